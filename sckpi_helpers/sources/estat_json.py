"""The e-Stat API v3 ``getStatsData`` response parser, and the reader of saved responses.

Why a parser of its own: a response is one record per value with *every* classification of the
table as an attribute (``@tab``, ``@cat01`` … ``@cat15``, ``@area``, ``@time``), marks such as
``***``, ``-``, ``X`` whose meaning each table declares in ``DATA_INF.NOTE``, units as published
(``ｈａ`` full-width) and e-Stat's single-object quirk (one ``VALUE``/``CLASS``/``NOTE`` comes as an
object, several as a list). The parser keeps every dimension (see :func:`parse_stats_data` for the
item key), refuses values that would collapse onto one key, keeps marks as annotations and
normalises units once (:func:`~sckpi_helpers.sources.cells.normalize_unit`).

Why so fast a path: a page holds up to 100,000 records and a table up to millions. The ``VALUE``
array is cut out of the raw bytes and read column-wise by Arrow's JSON reader; the rest of the
response (metadata) is small and read with orjson. The fast path is validated against the record
count e-Stat states (``RESULT_INF``); anything unusual (pretty-printed, hand-edited files) takes the
plain orjson path, which gives the same frame.

Users also get responses as files (the API console, a colleague, an earlier run):
:class:`EstatJsonReader` (kind ``estat-json``) reads them with ``sckpi ingest --source estat-json``.

Stage: ``sources`` — imports ``errors``, ``sources.base`` and ``sources.cells`` only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.json as pa_json

from sckpi_helpers.errors import InputFileError, SckpiError
from sckpi_helpers.sources.base import ITEM_COLUMNS, Ignored, Reader, ReadResult, register
from sckpi_helpers.sources.cells import MARKS, normalize_unit

ROOT = "GET_STATS_DATA"
#: Marks e-Stat tables use for "no number" even when DATA_INF.NOTE does not declare them.
KNOWN_SPECIALS: dict[str, str] = dict(MARKS)
#: The classification attributes of a VALUE record besides area and time.
_DIMENSION = re.compile(r"^@(tab|cat\d{2})$")
_VALUE_ARRAY = re.compile(rb'"VALUE"\s*:\s*\[')
_BOM = b"\xef\xbb\xbf"
_COLON_TO_COMMA = bytes.maketrans(b":", b",")


class EstatParseError(SckpiError):
    """A getStatsData response that cannot be turned into values without guessing."""


# ------------------------------------------------------------------------------------- names
def split_item_code(code: str) -> str:
    """``"A1101_総人口"`` → ``"A1101"`` (SSDS names carry their code); plain codes pass through."""
    return code.split("_", 1)[0] if "_" in code else code


def strip_code_prefix(code: str, name: str) -> str:
    """``("A1101", "A1101_総人口")`` → ``"総人口"``."""
    return name.removeprefix(f"{code}_")


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
        raise EstatParseError(f"time code {bad!r} does not start with a four-digit year")
    return years.astype("int64")


def _as_list(x: Any) -> list:
    """e-Stat's JSON gives one element as an object and several as a list."""
    if x is None:
        return []
    return x if isinstance(x, list) else [x]


# ------------------------------------------------------------------------------------- pages
@dataclass
class _Page:
    """One response: its metadata (everything but the records) and the records, column-wise."""

    meta: dict
    values: pa.Table

    @property
    def data(self) -> dict:
        return self.meta.get(ROOT, {}).get("STATISTICAL_DATA", {}) or {}

    @property
    def stats_data_id(self) -> str:
        return str(self.data.get("TABLE_INF", {}).get("@id")
                   or self.meta.get(ROOT, {}).get("PARAMETER", {}).get("STATS_DATA_ID") or "")


def _records_table(values: list) -> pa.Table:
    """VALUE records (dicts) → a table of string columns, one per attribute seen."""
    keys: dict[str, None] = {}
    for v in values:
        if not isinstance(v, dict):
            raise EstatParseError(f"a VALUE record is {type(v).__name__}, not an object: {v!r}"[:200])
        keys.update(dict.fromkeys(v))
    cols = {}
    for k in keys:
        col = [v.get(k) for v in values]
        cols[k] = pa.array([None if x is None else str(x) for x in col], type=pa.string())
    return pa.table(cols) if cols else pa.table({"$": pa.array([], pa.string())})


def _page_from_dict(body: Mapping[str, Any]) -> _Page:
    meta = dict(body)
    root = dict(meta.get(ROOT) or {})
    sd = dict(root.get("STATISTICAL_DATA") or {})
    data_inf = dict(sd.get("DATA_INF") or {})
    values = _as_list(data_inf.pop("VALUE", None))
    sd["DATA_INF"], root["STATISTICAL_DATA"], meta[ROOT] = data_inf, sd, root
    return _Page(meta, _records_table(values))


def _expected_count(meta: dict) -> int | None:
    info = meta.get(ROOT, {}).get("STATISTICAL_DATA", {}).get("RESULT_INF") or {}
    try:
        return int(info["TO_NUMBER"]) - int(info["FROM_NUMBER"]) + 1
    except (KeyError, TypeError, ValueError):
        return None


def _records_as_csv(segment: bytes, expected: int) -> pa.Table | None:
    """The records of compact JSON as e-Stat writes it, read by Arrow's CSV reader.

    ``{"@area":"01100","$":"111801"},{…}`` becomes the CSV lines ``"@area","01100","$","111801"``.
    Only when nothing could be misread: no escapes, no ``null``, no nested objects, the same keys
    in the same order in every record (checked column by column) and the stated record count.
    """
    if b"\\" in segment or b"null" in segment or not segment.startswith(b"{"):
        return None
    body = segment.strip()[1:-1]
    first = body[:body.find(b"}")] if b"}" in body else body
    n_cols = 2 * first.count(b'":"')
    if n_cols == 0:
        return None
    if body.count(b":") == n_cols // 2 * expected:  # no ":" inside any value: swap them all
        body = body.translate(_COLON_TO_COMMA)
    else:
        body = body.replace(b'":"', b'","')
    try:
        table = pa_csv.read_csv(
            pa.BufferReader(body.replace(b"},{", b"\n")),
            read_options=pa_csv.ReadOptions(autogenerate_column_names=True),
            convert_options=pa_csv.ConvertOptions(
                column_types={f"f{i}": pa.string() for i in range(n_cols)}))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if table.num_rows != expected or table.num_columns != n_cols:
        return None
    names = []
    for i in range(0, n_cols, 2):
        keys = pc.unique(table.column(i))
        if len(keys) != 1:
            return None
        names.append(keys[0].as_py())
    if len(set(names)) != len(names):
        return None
    return pa.table({name: table.column(2 * i + 1) for i, name in enumerate(names)})


def _records_as_json_lines(segment: bytes, expected: int) -> pa.Table | None:
    """The records, one per line, read by Arrow's JSON reader (handles escapes and key order)."""
    sep = b"}, {" if b"}, {" in segment[:4096] else b"},{"
    try:
        table = pa_json.read_json(pa.BufferReader(segment.replace(sep, b"}\n{")))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if table.num_rows != expected or not all(pa.types.is_string(t) or pa.types.is_null(t)
                                             for t in table.schema.types):
        return None
    return table.cast(pa.schema([(n, pa.string()) for n in table.column_names]))


def _page_from_bytes(raw: bytes) -> _Page:
    """Fast paths (Arrow reads the VALUE array column-wise), validated; else plain orjson."""
    m = _VALUE_ARRAY.search(raw)
    end = raw.find(b"]", m.end()) if m else -1
    if m and end > 0:
        segment = raw[m.end():end]
        try:
            meta = orjson.loads(raw[:m.end()] + raw[end:])
        except orjson.JSONDecodeError:
            meta = None
        expected = _expected_count(meta) if isinstance(meta, dict) else None
        if expected == 0 and not segment.strip():
            return _Page(meta, pa.table({"$": pa.array([], pa.string())}))
        if expected and b"\n" not in segment and segment.count(b"{") == expected:
            table = _records_as_csv(segment, expected)
            if table is None:
                table = _records_as_json_lines(segment, expected)
            if table is not None:
                return _Page(meta, table)
    return _page_from_dict(orjson.loads(raw))


def _page(page: bytes | str | Mapping[str, Any]) -> _Page:
    if isinstance(page, str):
        page = page.encode("utf-8")
    if isinstance(page, bytes | bytearray | memoryview):
        return _page_from_bytes(bytes(page).removeprefix(_BOM))
    return _page_from_dict(page)


# ----------------------------------------------------------------------------------- classes
def _class_maps(pages: Sequence[_Page]) -> tuple[dict[str, dict[str, dict]], dict[str, str]]:
    """Per dimension id (``area``, ``cat01`` …): code → CLASS; and dimension id → its title."""
    maps: dict[str, dict[str, dict]] = {}
    titles: dict[str, str] = {}
    for page in pages:
        for obj in _as_list((page.data.get("CLASS_INF") or {}).get("CLASS_OBJ")):
            dim = str(obj.get("@id", ""))
            titles.setdefault(dim, str(obj.get("@name", dim)))
            m = maps.setdefault(dim, {})
            for c in _as_list(obj.get("CLASS")):
                m[str(c.get("@code"))] = c
    return maps, titles


def _narrowed(pages: Sequence[_Page]) -> set[str]:
    """Dimensions a request narrowed (``CODE_CAT02_SELECT`` …): their declared classes may be
    only the selected ones, so a single declared class says nothing about the table."""
    out = set()
    for page in pages:
        cond = page.meta.get(ROOT, {}).get("PARAMETER", {}).get("NARROWING_COND") or {}
        for key in cond:
            parts = str(key).lower().split("_")
            out.update(p for p in parts if p == "tab" or re.fullmatch(r"cat\d{2}", p))
    return out


def _encode(col: pa.ChunkedArray) -> tuple[np.ndarray, list[str]]:
    """(index per record, distinct codes) of one attribute; a missing attribute reads as ''."""
    enc = pc.dictionary_encode(pc.fill_null(col, "")).combine_chunks()
    return enc.indices.to_numpy(zero_copy_only=False).astype(np.int64), enc.dictionary.to_pylist()


# ------------------------------------------------------------------------------------ values
def _values(page: _Page, specials: Mapping[str, str], where: str) -> tuple[np.ndarray, np.ndarray]:
    """(float values, annotation per record): marks become NaN with the mark as annotation."""
    t = page.values
    n = t.num_rows
    if "$" not in t.column_names:
        raise EstatParseError(f"e-Stat {where}: the VALUE records have no '$' (the value)")
    raw = t.column("$")
    annotation = np.full(n, None, dtype=object)
    if "@anno" in t.column_names:
        annotation[:] = t.column("@anno").to_numpy(zero_copy_only=False)
    is_mark = pc.fill_null(pc.is_in(raw, value_set=pa.array(sorted(specials), pa.string())), False)
    numbers = pc.if_else(is_mark, pa.scalar(None, pa.string()), raw)
    try:
        value = pc.cast(numbers, pa.float64())
        bad = pc.or_(pc.and_(pc.is_null(value), pc.invert(is_mark)),
                     pc.invert(pc.fill_null(pc.is_finite(value), True)))
        bad_np = bad.to_numpy(zero_copy_only=False)
    except pa.ArrowInvalid:  # some text Arrow cannot read as a number: find it the slow way
        value = None
        coerced = pd.to_numeric(pd.Series(numbers.to_pylist(), dtype=object), errors="coerce")
        bad_np = (~np.isfinite(coerced.to_numpy(dtype="float64", na_value=np.nan))
                  & ~is_mark.to_numpy(zero_copy_only=False))
    if bad_np.any():
        pos = int(np.argmax(bad_np))
        raise EstatParseError(
            f"e-Stat {where}: record {pos + 1} has value {raw[pos].as_py()!r}, which is neither a "
            f"number nor a declared special character ({', '.join(sorted(specials))})")
    out = value.to_numpy(zero_copy_only=False).astype("float64") if value is not None else \
        pd.to_numeric(pd.Series(numbers.to_pylist(), dtype=object)).to_numpy(dtype="float64",
                                                                            na_value=np.nan)
    mark_np = is_mark.to_numpy(zero_copy_only=False)
    if mark_np.any():
        annotation[mark_np] = raw.filter(is_mark).to_numpy(zero_copy_only=False)
        out[mark_np] = np.nan
    return out, annotation


# ------------------------------------------------------------------------------------- frame
def _page_frame(page: _Page, maps: dict[str, dict[str, dict]], titles: dict[str, str],
                trivial: set[str], specials: Mapping[str, str], where: str) -> pd.DataFrame:
    t = page.values
    cols = t.column_names
    for need in ("@area", "@time"):
        if need not in cols:
            raise EstatParseError(f"e-Stat {where}: the records have no {need} (a table by area and "
                                  "time is needed; narrow the request to one)")
    dims = sorted((c[1:] for c in cols if _DIMENSION.match(c)), key=lambda d: (d != "tab", d))
    head = "cat01" if "cat01" in dims else ("tab" if "tab" in dims else None)
    keyed = [d for d in dims if d != head and d not in trivial]

    area_idx, area_codes = _encode(t.column("@area"))
    time_idx, time_codes = _encode(t.column("@time"))
    # the item key: the head dimension's code, then every other dimension that distinguishes values
    parts = [_encode(t.column(f"@{d}")) for d in ([head] if head else []) + keyed]
    if len(parts) == 1:
        uniq, inverse = np.arange(len(parts[0][1])), parts[0][0]
    else:  # several dimensions: number their combinations (few) once
        combo = np.zeros(t.num_rows, dtype=np.int64)
        for idx, codes in parts:
            combo = combo * len(codes) + idx
        uniq, inverse = np.unique(combo, return_inverse=True)
    item_codes, item_names, item_units = [], [], []
    for u in uniq.tolist():
        chosen = []
        for idx, codes in reversed(parts):
            chosen.append(codes[u % len(codes)])
            u //= len(codes)
        chosen.reverse()
        head_code = chosen[0] if head else ""
        head_cls = maps.get(head or "", {}).get(head_code, {})
        code = split_item_code(head_code)
        extra = list(zip(keyed, chosen[1:] if head else chosen, strict=True))
        item_codes.append(code + "".join(f"|{d}={c}" for d, c in extra))
        name = strip_code_prefix(code, str(head_cls.get("@name", "")))
        named = [f"{titles.get(d, d)}: {maps[d][c].get('@name', c)}" for d, c in extra
                 if c in maps.get(d, {})]
        item_names.append(" | ".join([name, *named]) if named else name)
        item_units.append(normalize_unit(head_cls.get("@unit")))

    area_cls = maps.get("area", {})
    full = [str(area_cls.get(c, {}).get("@name", "")) for c in area_codes]
    years = year_of_time_code(pd.Series(time_codes, dtype=object)).to_numpy()
    value, annotation = _values(page, specials, where)
    # the unit each record states, else its item's; normalised once per distinct unit
    if "@unit" in cols:
        own_idx, own = _encode(t.column("@unit"))
        unit_codes = [normalize_unit(u) for u in own] + item_units
        unit_idx = np.where(np.array([u != "" for u in unit_codes[:len(own)]])[own_idx],
                            own_idx, len(own) + inverse)
    else:
        unit_codes, unit_idx = item_units, inverse

    key = (area_idx * len(time_codes) + time_idx) * len(uniq) + inverse
    if _has_duplicates(key):
        _collision(t, key, area_codes, area_idx, time_codes, time_idx, item_codes, inverse,
                   [d for d in dims if d not in keyed and d != head], where)
    n = t.num_rows
    return pd.DataFrame({
        "stats_data_id": _take([page.stats_data_id], np.zeros(n, dtype=np.int64)),
        "area_code": _take(area_codes, area_idx),
        "area_name": _take([municipality_part(f) for f in full], area_idx),
        "area_full_name": _take(full, area_idx),
        "time_code": _take(time_codes, time_idx),
        "year": years[time_idx].astype("int64"),
        "item_code": _take(item_codes, inverse),
        "item_name": _take(item_names, inverse),
        "unit": _take(unit_codes, unit_idx),
        "value": value,
        "annotation": pd.Series(annotation, dtype=object),
        "source": _take([""], np.zeros(n, dtype=np.int64)),
    }, columns=ITEM_COLUMNS)


#: pandas' string dtype backed by Arrow: columns are built by Arrow ``take`` from a few distinct
#: strings, without one Python object per cell
_STR = pd.StringDtype("pyarrow", na_value=np.nan)


def _take(distinct: Sequence[str], idx: np.ndarray) -> pd.Series:
    return pd.Series(pa.array(distinct, pa.string()).take(pa.array(idx)), dtype=_STR)


def _has_duplicates(key: np.ndarray) -> bool:
    """True when some key occurs twice (keys are small non-negative ints: counted, not sorted)."""
    if len(key) == 0:
        return False
    top = int(key.max()) + 1
    if top <= 64 * len(key) + 1_000_000:
        return bool((np.bincount(key, minlength=top) > 1).any())
    ordered = np.sort(key)
    return bool((ordered[1:] == ordered[:-1]).any())


def _collision(t: pa.Table, key: np.ndarray, area_codes: list[str], area_idx: np.ndarray,
               time_codes: list[str], time_idx: np.ndarray, item_codes: list[str],
               inverse: np.ndarray, dropped: list[str], where: str) -> None:
    """Several records on one (area, time, item key): name them and the dimensions they differ in."""
    order = np.argsort(key, kind="stable")
    dup = order[np.flatnonzero(np.diff(key[order]) == 0)[0]]
    same = np.flatnonzero(key == key[dup])
    differ = [d for d in dropped
              if len(set(t.column(f"@{d}").take(pa.array(same)).to_pylist())) > 1]
    what = (f"they differ only in dimension(s) {', '.join(differ)}, which the table declares with "
            "a single class" if differ else "the same record appears more than once")
    raise EstatParseError(
        f"e-Stat {where}: {len(same)} values would collapse onto one key (area "
        f"{area_codes[area_idx[dup]]}, time {time_codes[time_idx[dup]]}, item "
        f"{item_codes[inverse[dup]]}; records {', '.join(str(i + 1) for i in same[:5])}): {what}. "
        "Nothing was merged; check that the response is not a mix of tables or pages saved twice")


def parse_stats_data(pages: Sequence[bytes | str | Mapping[str, Any]]) -> pd.DataFrame:
    """Tidy frame from getStatsData pages (raw bytes as e-Stat sent them, or parsed dicts).

    Columns :data:`~sckpi_helpers.sources.base.ITEM_COLUMNS`, one row per VALUE; ``source`` is
    ``""`` (the caller says where the pages came from).

    ``item_code`` is the item's code (``cat01``, with SSDS's ``A1101_総人口`` split to ``A1101``)
    followed by every other classification that tells values apart, as ``|dim=code``:
    ``"008|cat02=001|cat03=001"``. A dimension is left out of the key only when the table
    declares a single class for it (SSDS's ``tab`` 観測値), so SSDS items keep their plain codes
    (``B1101``) and the store maps them by code, while a table by sex or age keeps each breakdown
    as a distinct item. ``item_name`` likewise: ``"（行動者数）総数 | 性別: 男"``. Values that would
    still share (statsDataId, area, time, item key) are an :class:`EstatParseError` naming the
    dimensions — never merged.

    Special characters (declared in ``DATA_INF.NOTE`` or in :data:`KNOWN_SPECIALS`) become NaN
    with the mark kept in ``annotation``; anything else that is not a number is an error naming
    the statsDataId, the record and the value. Units are NFKC-normalised (``ｈａ`` → ``ha``).
    """
    return _frame([_page(p) for p in pages])


def _frame(parsed: list[_Page]) -> pd.DataFrame:
    parsed = [p for p in parsed if p.values.num_rows]
    if not parsed:
        return _empty_frame()
    maps, titles = _class_maps(parsed)
    narrowed = _narrowed(parsed)
    trivial = {d for d, classes in maps.items() if len(classes) == 1 and d not in narrowed}
    frames = []
    for i, page in enumerate(parsed):
        specials = dict(KNOWN_SPECIALS)
        for note in _as_list(page.data.get("DATA_INF", {}).get("NOTE")):
            specials[str(note.get("@char"))] = str(note.get("$", ""))
        where = f"statsDataId {page.stats_data_id}" + (f" page {i + 1}" if len(parsed) > 1 else "")
        frames.append(_page_frame(page, maps, titles, trivial, specials, where))
    df = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    if len(frames) > 1:
        dup = df.duplicated(["stats_data_id", "area_code", "time_code", "item_code"], keep=False)
        if dup.any():
            r = df[dup].iloc[0]
            raise EstatParseError(
                f"e-Stat statsDataId {r.stats_data_id}: {int(dup.sum())} values from different "
                f"pages share one key (area {r.area_code}, time {r.time_code}, item {r.item_code}); "
                "the same page was given twice or pages of different requests overlap. Nothing "
                "was merged")
    return df


def _empty_frame() -> pd.DataFrame:
    df = pd.DataFrame({c: pd.Series(dtype=object) for c in ITEM_COLUMNS})
    df["year"] = df["year"].astype("int64")
    df["value"] = df["value"].astype("float64")
    return df


def response_status(page: bytes | Mapping[str, Any]) -> tuple[int, str]:
    """(RESULT.STATUS, ERROR_MSG) of a response; raises when there is none."""
    body = orjson.loads(page) if isinstance(page, bytes | str) else page
    result = (body.get(ROOT) or {}).get("RESULT") if isinstance(body, dict) else None
    if not isinstance(result, dict) or "STATUS" not in result:
        raise EstatParseError("the e-Stat answer has no GET_STATS_DATA.RESULT.STATUS")
    return int(result["STATUS"]), str(result.get("ERROR_MSG", ""))


# ------------------------------------------------------------------------------------ reader
_RECOGNISE = re.compile(rb'^\s*\{\s*"GET_STATS_DATA"\s*:')


class EstatJsonReader(Reader):
    """Saved getStatsData responses (``*.json``), one response per file, any number of files."""

    kind = "estat-json"
    title_ja = "e-Stat API 統計データ（保存した JSON）"
    target = "items"

    def recognise(self, path: Path, head: bytes) -> bool:
        return bool(_RECOGNISE.match(head.removeprefix(_BOM)))

    def read(self, path: Path, **context: Any) -> ReadResult:
        path = Path(path)
        raw = path.read_bytes().removeprefix(_BOM)
        try:
            page = _page(raw)
        except orjson.JSONDecodeError as exc:
            line = raw[:exc.pos].count(b"\n") + 1
            truncated = not raw.rstrip().endswith(b"}")
            msg = ("ファイルが途中で切れています（JSON が閉じていません）。e-Stat から保存し直してください"
                   if truncated else f"JSON として読めません（{exc.msg}）")
            raise InputFileError(msg, file=path, row=line) from None
        except EstatParseError as exc:
            raise InputFileError(str(exc), file=path) from None
        try:
            status, message = response_status(page.meta)
        except EstatParseError:
            raise InputFileError("GET_STATS_DATA.RESULT.STATUS がありません（getStatsData の応答で"
                                 "はないようです）", file=path) from None
        if status >= 100:
            raise InputFileError(f"e-Stat がエラーを返した応答です（STATUS {status}: {message}）",
                                 file=path)
        ignored: list[Ignored] = []
        if status == 1:
            ignored.append(Ignored(str(path), f"該当データなし（e-Stat STATUS 1: {message}）"))
        info = page.data.get("RESULT_INF") or {}
        if info.get("NEXT_KEY") not in (None, ""):
            rest = int(info.get("TOTAL_NUMBER", 0) or 0) - int(info.get("TO_NUMBER", 0) or 0)
            ignored.append(Ignored(
                str(path), f"この応答は全 {info.get('TOTAL_NUMBER')} 件のうち {info.get('FROM_NUMBER')}"
                f"〜{info.get('TO_NUMBER')} 件目だけです（続きは startPosition={info['NEXT_KEY']} "
                "で取得して保存してください）", count=max(rest, 1)))
        try:
            frame = _frame([page])
        except EstatParseError as exc:
            raise InputFileError(str(exc), file=path) from None
        frame["source"] = f"e-Stat API {path.name}"
        return ReadResult(self.kind, self.target, frame, ignored, file=str(path))


register(EstatJsonReader())

__all__ = [
    "KNOWN_SPECIALS",
    "EstatJsonReader",
    "EstatParseError",
    "municipality_part",
    "parse_stats_data",
    "response_status",
    "split_item_code",
    "strip_code_prefix",
    "year_of_time_code",
]
