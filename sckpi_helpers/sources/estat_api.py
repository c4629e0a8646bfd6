"""e-Stat API v3 client (getStatsData, getMetaInfo) with a raw-response cache.

Why a cache of *raw* bodies: a report must be reproducible years later from exactly what e-Stat
said, and a second ``sckpi ingest`` must not spend the user's daily request quota. Only answers
with data are cached: an error or a "no data" answer (STATUS 1) is asked again next time, since it
may be a passing state of the server. Why the appId is scrubbed everywhere: it is a personal
credential, and caches, logs and tracebacks get shared. Why bounded waiting: a dead server must
fail in well under a minute by default, not after minutes of silent retries.

The response parser lives in :mod:`sckpi_helpers.sources.estat_json` (re-exported here).

Stage: ``sources`` — imports ``errors``, ``atomic``, ``config`` and ``sources.*``.
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

import orjson
import pandas as pd
import requests
from urllib3.util.retry import RequestHistory, Retry

from sckpi_helpers.atomic import atomic_write_bytes
from sckpi_helpers.config import paths
from sckpi_helpers.errors import SckpiError
from sckpi_helpers.sources.base import ITEM_COLUMNS
from sckpi_helpers.sources.estat_json import (
    KNOWN_SPECIALS,
    municipality_part,
    parse_stats_data,
    split_item_code,
    year_of_time_code,
)

log = logging.getLogger(__name__)

BASE_URL = "https://api.e-stat.go.jp/rest/3.0/app/json"
MAX_CODES_PER_FILTER = 100  # e-Stat accepts at most 100 comma-separated codes per cd* filter
MAX_LIMIT = 100_000  # records per page; the API's default and its maximum
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: the parser's columns (the items columns every reader emits)
COLUMNS = ITEM_COLUMNS
#: default waiting: seconds to connect, seconds without a byte from the server, attempts after the
#: first, and the most seconds one request may take with all its retries (dead server → < 1 min)
CONNECT_TIMEOUT, READ_TIMEOUT, RETRIES, MAX_TOTAL = 5.0, 20.0, 2, 55.0
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

    Waiting is bounded: ``timeout`` is the seconds without an answer before an attempt is given
    up (a number, or ``(connect, read)``), ``retries`` the attempts after the first, and
    ``max_total`` the seconds one request may take with every retry and back-off — no retry starts
    that could end after it. The defaults give up on a dead server within a minute.
    """

    def __init__(self, app_id: str | None = None, cache_dir: str | Path | None = None,
                 offline: bool = False, session: requests.Session | None = None,
                 base_url: str = BASE_URL,
                 timeout: float | tuple[float, float] = (CONNECT_TIMEOUT, READ_TIMEOUT),
                 retries: int = RETRIES, backoff_factor: float = 0.5,
                 max_total: float = MAX_TOTAL) -> None:
        if retries < 0 or max_total <= 0:
            raise SckpiError("e-Stat client: retries must be >= 0 and max_total > 0")
        self._app_id = app_id or os.environ.get("ESTAT_APP_ID") or None
        self.cache_dir = Path(cache_dir) if cache_dir is not None else paths.raw_dir() / "estat"
        self.offline = offline
        self.session = session if session is not None else requests.Session()
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.max_total = max_total
        self.retry = Retry(total=retries, connect=retries, read=retries, status=retries,
                           backoff_factor=backoff_factor, backoff_max=10,
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
                       refresh: bool = False, raw: bool = False) -> list[dict] | list[bytes]:
        """Every page of every request needed, as JSON dicts (``raw=True``: the bodies as bytes,
        which :func:`parse_stats_data` reads fastest).

        Filters longer than 100 codes are split into several requests (the cartesian product of
        the chunks); each request follows ``NEXT_KEY`` with the same filters.
        """
        pages: list = []
        for params in self._filter_sets(stats_data_id, areas, times, cats, levels):
            start: int | None = None
            while True:
                p = dict(params)
                if start is not None:
                    p["startPosition"] = str(start)
                content, body = self._request("getStatsData", p, refresh=refresh)
                pages.append(content if raw else body)
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
                             refresh=refresh)[1]

    def fetch_frame(self, stats_data_id: str, *, areas: Sequence[str] | None = None,
                    times: Sequence[str] | None = None,
                    cats: Mapping[str, Sequence[str]] | None = None,
                    levels: Mapping[str, Any] | None = None,
                    refresh: bool = False) -> pd.DataFrame:
        """``get_stats_data`` + ``parse_stats_data``."""
        return parse_stats_data(self.get_stats_data(stats_data_id, areas=areas, times=times,
                                                    cats=cats, levels=levels, refresh=refresh,
                                                    raw=True))

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
    def _request(self, endpoint: str, params: dict[str, str], *,
                 refresh: bool) -> tuple[bytes, dict]:
        """(body bytes, parsed body) from the cache or from e-Stat."""
        if params.get("replaceSpChars", "0") != "0":  # guard: never let a zero hide a secret cell
            raise SckpiError("replaceSpChars must stay 0")
        path = cache_path(self.cache_dir, endpoint, params)
        sid = params.get("statsDataId")
        if not refresh and path.exists():
            cached = path.read_bytes()
            body = orjson.loads(cached)
            if _status(endpoint, body) != 1:  # a "no data" answer saved by an older version: ask again
                log.debug("e-Stat cache hit %s %s -> %s", endpoint, _describe(params), path.name)
                return cached, self._check(endpoint, body, sid)
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
            body = orjson.loads(raw)
        except ValueError:
            raise SckpiError(f"e-Stat {endpoint} {_describe(params)} did not return JSON: "
                             f"{self._scrub(raw[:200].decode('utf-8', 'replace'))!r}") from None
        checked = self._check(endpoint, body, sid)  # raises before caching an error answer
        if _status(endpoint, body) == 1:  # "no data" may be passing: never cached, never replayed
            return raw, checked
        if self._app_id.encode() in raw:  # never seen, but a cache must not hold the credential
            log.warning("e-Stat echoed the appId in its %s response; scrubbed before caching",
                        endpoint)
            raw = raw.replace(self._app_id.encode(), b"***")
        atomic_write_bytes(path, raw)
        log.info("e-Stat %s %s cached at %s", endpoint, _describe(params), path.name)
        return raw, checked

    def _get(self, endpoint: str, params: dict[str, str]) -> bytes:
        url = f"{self.base_url}/{endpoint}"
        retry = self.retry
        started = _clock()
        while True:
            error: str | None = None
            status: int | None = None
            try:
                self.requests_made += 1
                resp = self.session.get(url, params={"appId": self._app_id, **params},
                                        timeout=self._attempt_timeout(started))
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
            if _clock() - started + wait + self._shortest_attempt() > self.max_total:
                msg = f"{error}; no time left for another attempt within {self.max_total:g} s"
                break
            log.warning("e-Stat %s %s failed (%s); retry %d in %.1fs", endpoint,
                        _describe(params), error, len(retry.history), wait)
            _sleep(wait)
        # raised outside the except blocks: no chained exception carrying the URL (and appId)
        raise SckpiError(f"e-Stat request {endpoint} {_describe(params)} failed after "
                         f"{len(retry.history) + 1} attempt(s): {msg}")

    def _attempt_timeout(self, started: float) -> float | tuple[float, float]:
        """This attempt's timeout, cut so that it ends within ``max_total`` of the first."""
        left = max(self.max_total - (_clock() - started), 0.1)
        if isinstance(self.timeout, tuple):
            return (min(self.timeout[0], left), min(self.timeout[1], left))
        return min(self.timeout, left)

    def _shortest_attempt(self) -> float:
        """The least time a retry is worth: its connect timeout (a dead server answers nothing)."""
        return float(self.timeout[0] if isinstance(self.timeout, tuple) else self.timeout)

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


def _clock() -> float:  # module-level so tests can pretend time passes
    return time.monotonic()


def _status(endpoint: str, body: Any) -> int | None:
    root = body.get(_ROOTS.get(endpoint, ""), body) if isinstance(body, dict) else None
    result = root.get("RESULT") if isinstance(root, dict) else None
    try:
        return int(result["STATUS"])  # type: ignore[index]
    except (TypeError, KeyError, ValueError):
        return None


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
