"""e-Stat API v3 client (getStatsData, getMetaInfo) with a raw-response cache, and its parser.

Why a cache of *raw* bodies: a report must be reproducible years later from exactly what e-Stat
said, and a second ``sckpi ingest`` must not spend the user's daily request quota. Why the appId
is scrubbed everywhere: it is a personal credential, and caches, logs and tracebacks get shared.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import os
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import requests
from urllib3.util.retry import RequestHistory, Retry

from sckpi_helpers.config import paths
from sckpi_helpers.atomic import atomic_write_bytes
from sckpi_helpers.sources.cells import MARKS
from sckpi_helpers.errors import SckpiError

log = logging.getLogger(__name__)

BASE_URL = "https://api.e-stat.go.jp/rest/3.0/app/json"
MAX_CODES_PER_FILTER = 100  # e-Stat accepts at most 100 comma-separated codes per cd* filter
MAX_LIMIT = 100_000  # records per page; the API's default and its maximum
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: Marks e-Stat tables use for "no number" even when DATA_INF.NOTE does not declare them.
KNOWN_SPECIALS: dict[str, str] = dict(MARKS)
COLUMNS = ["stats_data_id", "area_code", "area_name", "area_full_name", "time_code", "year",
           "item_code", "item_name", "unit", "value", "annotation"]
_ROOTS = {"getStatsData": "GET_STATS_DATA", "getMetaInfo": "GET_META_INFO"}


class EstatError(SckpiError):
    """e-Stat answered with RESULT.STATUS >= 100 (the HTTP status is 200 even then)."""

    def __init__(self, status: int, message: str, stats_data_id: str | None = None) -> None:
        self.status = status
        self.error_msg = message
        self.stats_data_id = stats_data_id
        where = f" for statsDataId {stats_data_id}" if stats_data_id else ""
        super().__init__(f"e-Stat error STATUS {status}{where}: {message}")


# --------------------------------------------------------------------------------------- cache
def _safe_name(text: str) -> str:
    return re.sub(r"[^0-9A-Za-z_.-]+", "-", text)[:40] or "x"


def cache_path(cache_dir: str | Path, endpoint: str, params: Mapping[str, Any]) -> Path:
    """Where the raw JSON body of one request is cached.

    The key is ``endpoint`` + the sorted parameters *without* ``appId`` (so the key never leaks it
    and users with different appIds share a cache), hashed; a readable prefix with the statsDataId
    helps browsing. Layout: ``<cache_dir>/<endpoint>/<statsDataId>_<sha256[:20]>.json``; the file
    holds the response body byte for byte as e-Stat sent it.
    """
    clean = sorted((str(k), str(v)) for k, v in params.items() if k != "appId")
    key = json.dumps([endpoint, clean], ensure_ascii=False, separators=(",", ":"))
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:20]
    sid = _safe_name(str(params.get("statsDataId", "nostats")))
    return Path(cache_dir) / _safe_name(endpoint) / f"{sid}_{digest}.json"


# ------------------------------------------------------------------------------ appId scrubbing
_APPID_IN_URL = re.compile(r"(appId=)[^&\s'\"]*", re.IGNORECASE)


class _ScrubAppIdFilter(logging.Filter):
    """Removes ``appId=…`` from urllib3's debug lines ("GET /…?appId=… HTTP/1.1")."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is not ours to fix
            return True
        if "appid=" in text.lower():
            record.msg, record.args = _APPID_IN_URL.sub(r"\1***", text), None
        return True


def _install_log_scrubber() -> None:
    logger = logging.getLogger("urllib3.connectionpool")
    if not any(isinstance(f, _ScrubAppIdFilter) for f in logger.filters):
        logger.addFilter(_ScrubAppIdFilter())


# ---------------------------------------------------------------------------------- the client
class EstatClient:
    """Client for getStatsData / getMetaInfo; caches every successful raw response.

    ``offline=True`` never touches the network and fails naming the request that is not cached.
    Retries (timeouts, connection errors, 429/5xx) follow a :class:`urllib3.util.Retry` policy,
    driven here rather than inside the HTTP adapter so that an injected session (a proxy setup,
    a test double) gets the same behaviour.
    """

    def __init__(self, app_id: str | None = None, cache_dir: str | Path | None = None,
                 offline: bool = False, session: requests.Session | None = None,
                 base_url: str = BASE_URL, timeout: float = 60, retries: int = 5,
                 backoff_factor: float = 1.0) -> None:
        self._app_id = app_id or os.environ.get("ESTAT_APP_ID") or None
        self.cache_dir = Path(cache_dir) if cache_dir is not None else paths.raw_dir() / "estat"
        self.offline = offline
        self.session = session if session is not None else requests.Session()
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retry = Retry(total=retries, connect=retries, read=retries, status=retries,
                           backoff_factor=backoff_factor, backoff_max=60,
                           status_forcelist=RETRY_STATUSES, allowed_methods=frozenset({"GET"}))
        self.requests_made = 0
        _install_log_scrubber()

    def __repr__(self) -> str:
        return (f"EstatClient(app_id={'set' if self._app_id else 'unset'}, "
                f"cache_dir={str(self.cache_dir)!r}, offline={self.offline})")

    # -- public API ---------------------------------------------------------------------------
    def get_stats_data(self, stats_data_id: str, *, areas: Sequence[str] | None = None,
                       times: Sequence[str] | None = None,
                       cats: Mapping[str, Sequence[str]] | None = None,
                       levels: Mapping[str, Any] | None = None,
                       refresh: bool = False) -> list[dict]:
        """Every page of every request needed, as raw JSON dicts.

        Filters longer than 100 codes are split into several requests (the cartesian product of
        the chunks); each request follows ``NEXT_KEY`` with the same filters.
        """
        pages: list[dict] = []
        for params in self._filter_sets(stats_data_id, areas, times, cats, levels):
            start: int | None = None
            while True:
                p = dict(params)
                if start is not None:
                    p["startPosition"] = str(start)
                body = self._request("getStatsData", p, refresh=refresh)
                pages.append(body)
                nxt = (body.get("GET_STATS_DATA", {}).get("STATISTICAL_DATA", {})
                       .get("RESULT_INF", {}).get("NEXT_KEY"))
                if nxt in (None, ""):
                    break
                if start is not None and int(nxt) <= start:
                    raise SckpiError(f"e-Stat NEXT_KEY {nxt} does not advance past {start} "
                                     f"for statsDataId {stats_data_id}")
                start = int(nxt)
        return pages

    def get_meta_info(self, stats_data_id: str, *, refresh: bool = False) -> dict:
        """The table's metadata (classification codes and names) as the raw JSON dict."""
        return self._request("getMetaInfo", {"statsDataId": str(stats_data_id), "lang": "J"},
                             refresh=refresh)

    def fetch_frame(self, stats_data_id: str, *, areas: Sequence[str] | None = None,
                    times: Sequence[str] | None = None,
                    cats: Mapping[str, Sequence[str]] | None = None,
                    levels: Mapping[str, Any] | None = None,
                    refresh: bool = False) -> pd.DataFrame:
        """``get_stats_data`` + ``parse_stats_data``."""
        return parse_stats_data(self.get_stats_data(stats_data_id, areas=areas, times=times,
                                                    cats=cats, levels=levels, refresh=refresh))

    # -- request building ---------------------------------------------------------------------
    @staticmethod
    def _filter_sets(stats_data_id: str, areas: Sequence[str] | None,
                     times: Sequence[str] | None, cats: Mapping[str, Sequence[str]] | None,
                     levels: Mapping[str, Any] | None) -> Iterator[dict[str, str]]:
        base = {"statsDataId": str(stats_data_id), "lang": "J", "metaGetFlg": "Y",
                "cntGetFlg": "N", "limit": str(MAX_LIMIT),
                # 0 = leave special characters as they are, so a suppressed cell never reads as 0
                "replaceSpChars": "0"}
        for key, value in (levels or {}).items():
            base[_param_name("lv", key)] = str(value)
        filters: list[tuple[str, list[str]]] = []
        if areas is not None:
            filters.append(("cdArea", [str(c) for c in areas]))
        if times is not None:
            filters.append(("cdTime", [str(c) for c in times]))
        for key, codes in (cats or {}).items():
            filters.append((_param_name("cd", key), [str(c) for c in codes]))
        for name, codes in filters:
            if not codes:
                raise SckpiError(f"e-Stat filter {name} was given an empty list of codes")
        chunked = [[(name, ",".join(codes[i:i + MAX_CODES_PER_FILTER]))
                    for i in range(0, len(codes), MAX_CODES_PER_FILTER)]
                   for name, codes in filters]
        for combo in itertools.product(*chunked):
            yield {**base, **dict(combo)}

    # -- transport ----------------------------------------------------------------------------
    def _request(self, endpoint: str, params: dict[str, str], *, refresh: bool) -> dict:
        if params.get("replaceSpChars", "0") != "0":  # guard: never let a zero hide a secret cell
            raise SckpiError("replaceSpChars must stay 0")
        path = cache_path(self.cache_dir, endpoint, params)
        sid = params.get("statsDataId")
        if not refresh and path.exists():
            log.debug("e-Stat cache hit %s %s -> %s", endpoint, _describe(params), path.name)
            return self._check(endpoint, json.loads(path.read_bytes()), sid)
        if self.offline:
            raise SckpiError(f"offline: no cached e-Stat response for {endpoint} "
                             f"{_describe(params)} (expected {path}); run once online with "
                             "ESTAT_APP_ID set, or drop --offline")
        if not self._app_id:
            raise SckpiError(f"e-Stat request {endpoint} {_describe(params)} needs an appId: set "
                             "the ESTAT_APP_ID environment variable (free registration at "
                             "https://www.e-stat.go.jp/api/)")
        raw = self._get(endpoint, params)
        try:
            body = json.loads(raw)
        except ValueError:
            raise SckpiError(f"e-Stat {endpoint} {_describe(params)} did not return JSON: "
                             f"{self._scrub(raw[:200].decode('utf-8', 'replace'))!r}") from None
        checked = self._check(endpoint, body, sid)  # raises before caching an error answer
        if self._app_id.encode() in raw:  # never seen, but a cache must not hold the credential
            log.warning("e-Stat echoed the appId in its %s response; scrubbed before caching",
                        endpoint)
            raw = raw.replace(self._app_id.encode(), b"***")
        atomic_write_bytes(path, raw)
        log.info("e-Stat %s %s cached at %s", endpoint, _describe(params), path.name)
        return checked

    def _get(self, endpoint: str, params: dict[str, str]) -> bytes:
        url = f"{self.base_url}/{endpoint}"
        retry = self.retry
        while True:
            error: str | None = None
            status: int | None = None
            try:
                self.requests_made += 1
                resp = self.session.get(url, params={"appId": self._app_id, **params},
                                        timeout=self.timeout)
                status = resp.status_code
                if status == 200:
                    return resp.content
                error = f"HTTP {status}"
            except (requests.Timeout, requests.ConnectionError) as exc:
                error = f"{type(exc).__name__}: {self._scrub(str(exc))}"
            except requests.RequestException as exc:  # invalid URL etc.: not worth retrying
                msg = f"{type(exc).__name__}: {self._scrub(str(exc))}"
                break
            retryable = status is None or retry.is_retry("GET", status)
            if not retryable or not retry.total:
                msg = error
                break
            retry = retry.new(total=retry.total - 1,
                              history=(*retry.history,
                                       RequestHistory("GET", endpoint, None, status, None)))
            wait = retry.get_backoff_time()
            log.warning("e-Stat %s %s failed (%s); retry %d in %.1fs", endpoint,
                        _describe(params), error, len(retry.history), wait)
            _sleep(wait)
        # raised outside the except blocks: no chained exception carrying the URL (and appId)
        raise SckpiError(f"e-Stat request {endpoint} {_describe(params)} failed after "
                         f"{len(retry.history) + 1} attempt(s): {msg}")

    def _scrub(self, text: str) -> str:
        text = _APPID_IN_URL.sub(r"\1***", text)
        return text.replace(self._app_id, "***") if self._app_id else text

    def _check(self, endpoint: str, body: Any, sid: str | None) -> dict:
        root = body.get(_ROOTS.get(endpoint, ""), body) if isinstance(body, dict) else None
        result = root.get("RESULT") if isinstance(root, dict) else None
        if not isinstance(result, dict) or "STATUS" not in result:
            raise SckpiError(f"e-Stat {endpoint} answer for statsDataId {sid} has no RESULT.STATUS")
        status = int(result["STATUS"])
        if status >= 100:
            raise EstatError(status, self._scrub(str(result.get("ERROR_MSG", ""))), sid)
        if status == 1:
            log.info("e-Stat %s statsDataId %s: no data matches (STATUS 1)", endpoint, sid)
        elif status == 2:
            log.info("e-Stat %s statsDataId %s: %s", endpoint, sid, result.get("ERROR_MSG", ""))
        return body


def _sleep(seconds: float) -> None:  # module-level so tests can skip the waiting
    time.sleep(seconds)


def _param_name(prefix: str, key: str) -> str:
    """``("cd", "cat01") -> "cdCat01"``; ``"cdCat01"`` passes through."""
    if key.startswith(prefix) and len(key) > len(prefix) and key[len(prefix)].isupper():
        return key
    return prefix + key[:1].upper() + key[1:]


def _describe(params: Mapping[str, str]) -> str:
    """Request parameters for messages: short, and never the appId."""
    parts = []
    for k in ("statsDataId", "cdArea", "cdTime", "startPosition"):
        if k in params:
            v = params[k]
            parts.append(f"{k}={v if len(v) <= 40 else v[:37] + '...'}")
    parts += [f"{k}={v[:40]}" for k, v in params.items() if k.startswith("cdCat")]
    return " ".join(parts)


# ---------------------------------------------------------------------------------- the parser
def _as_list(x: Any) -> list:
    """e-Stat's JSON gives one element as an object and several as a list."""
    if x is None:
        return []
    return x if isinstance(x, list) else [x]


def split_item_code(code: str) -> str:
    """``"A1101_総人口"`` → ``"A1101"`` (SSDS names carry their code); plain codes pass through."""
    return code.split("_", 1)[0] if "_" in code else code


def strip_code_prefix(code: str, name: str) -> str:
    """``("A1101", "A1101_総人口")`` → ``"総人口"``."""
    prefix = f"{code}_"
    return name.removeprefix(prefix)


def municipality_part(full_name: str) -> str:
    """``"埼玉県 さいたま市"`` → ``"さいたま市"``; ``"北海道 札幌市 中央区"`` → ``"札幌市中央区"``.

    The prefecture is dropped when the name starts with one (a word ending in 都/道/府/県).
    """
    parts = full_name.split()
    if len(parts) > 1 and parts[0][-1:] in "都道府県":
        return "".join(parts[1:])
    return full_name.strip()


def year_of_time_code(codes: pd.Series) -> pd.Series:
    """``2020000000`` (calendar) and ``2020100000`` (fiscal) → 2020: the first four digits."""
    years = pd.to_numeric(codes.astype(str).str[:4], errors="coerce")
    if years.isna().any():
        bad = codes[years.isna()].iloc[0]
        raise SckpiError(f"time code {bad!r} does not start with a four-digit year")
    return years.astype("int64")


def _class_maps(pages: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, dict]]:
    maps: dict[str, dict[str, dict]] = {}
    for page in pages:
        sd = page.get("GET_STATS_DATA", {}).get("STATISTICAL_DATA", {})
        for obj in _as_list(sd.get("CLASS_INF", {}).get("CLASS_OBJ")):
            m = maps.setdefault(obj.get("@id", ""), {})
            for c in _as_list(obj.get("CLASS")):
                m[str(c.get("@code"))] = c
    return maps


def parse_stats_data(pages: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Tidy frame from getStatsData pages: one row per VALUE.

    Columns: ``stats_data_id, area_code, area_name, area_full_name, time_code, year, item_code,
    item_name, unit, value, annotation``. Special characters (declared in ``DATA_INF.NOTE`` or in
    :data:`KNOWN_SPECIALS`) become NaN with the mark kept in ``annotation``; anything else that is
    not a number is an error naming the statsDataId, the record position and the value.
    """
    sids: list[str] = []
    cols: dict[str, list] = {k: [] for k in ("@area", "@time", "@cat01", "@unit", "@anno", "$")}
    specials = dict(KNOWN_SPECIALS)
    for page in pages:
        root = page.get("GET_STATS_DATA", {})
        sd = root.get("STATISTICAL_DATA", {})
        sid = str(sd.get("TABLE_INF", {}).get("@id")
                  or root.get("PARAMETER", {}).get("STATS_DATA_ID") or "")
        data_inf = sd.get("DATA_INF") or {}
        for note in _as_list(data_inf.get("NOTE")):
            specials[str(note.get("@char"))] = str(note.get("$", ""))
        values = _as_list(data_inf.get("VALUE"))
        sids.extend([sid] * len(values))
        for key, col in cols.items():
            col.extend([v.get(key) for v in values])
    if not sids:
        return _empty_frame()
    maps = _class_maps(pages)
    df = pd.DataFrame({"stats_data_id": sids, "area_code": cols["@area"],
                       "time_code": cols["@time"], "item_code": cols["@cat01"]})
    raw = pd.Series(cols["$"], dtype=object)
    value = pd.to_numeric(raw, errors="coerce").astype("float64")
    not_number = ~np.isfinite(value.to_numpy())  # "inf" is no statistic either
    annotation = pd.Series(cols["@anno"], dtype=object)
    if not_number.any():
        marks = raw[not_number]
        bad = ~marks.isin(list(specials))
        if bad.any():
            pos = int(marks.index[bad.to_numpy()][0])
            raise SckpiError(f"e-Stat statsDataId {sids[pos]}: record {pos + 1} has value "
                             f"{raw.iloc[pos]!r}, which is neither a number nor a declared "
                             f"special character ({', '.join(sorted(specials))})")
        annotation[not_number] = marks.to_numpy()
    value[not_number] = np.nan
    df["value"] = value

    # name lookups run once per class code (≈1,741 areas), never once per record
    area_map = maps.get("area", {})
    full_names = {k: str(c.get("@name", "")) for k, c in area_map.items()}
    df["area_full_name"] = df["area_code"].map(full_names)
    df["area_name"] = df["area_code"].map({k: municipality_part(v) for k, v in full_names.items()})
    time_codes = pd.Series(pd.unique(df["time_code"].astype(str).to_numpy()))
    years = dict(zip(time_codes, year_of_time_code(time_codes), strict=True))
    df["year"] = df["time_code"].astype(str).map(years).astype("int64")
    cat_map = maps.get("cat01", {})
    codes = df["item_code"].fillna("")
    df["item_name"] = codes.map({k: strip_code_prefix(split_item_code(k), str(c.get("@name", "")))
                                 for k, c in cat_map.items()})
    df["item_code"] = codes.map({c: split_item_code(c) if c else None for c in pd.unique(codes)})
    class_unit = df["item_code"].map({split_item_code(k): c.get("@unit")
                                      for k, c in cat_map.items()})
    df["unit"] = pd.Series(cols["@unit"], dtype=object).fillna(class_unit).fillna("")
    df["annotation"] = annotation.where(annotation.notna(), None)
    return df[COLUMNS]


def _empty_frame() -> pd.DataFrame:
    df = pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
    df["year"] = df["year"].astype("int64")
    df["value"] = df["value"].astype("float64")
    return df


__all__ = [
    "BASE_URL",
    "COLUMNS",
    "KNOWN_SPECIALS",
    "EstatClient",
    "EstatError",
    "cache_path",
    "municipality_part",
    "parse_stats_data",
    "split_item_code",
    "year_of_time_code",
]
