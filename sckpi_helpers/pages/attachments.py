"""What a reviewer downloads from a report set: the notebooks' tables and figures, one workbook of
every table, and copies of the inputs the run used — all linked from the set's ``index.html``.

After the notebooks ran, ``reports/<city>/<period>/`` holds ``files/<notebook>/*.csv|png`` that no
page linked. :func:`attach` (called once by the runner, after the landing page is written and
before the folder is scrubbed of secrets and moved into place):

* copies the city's ``settings.yaml``, logic model and local-data file(s) into ``inputs/`` — text
  files through :func:`.redact.redact`, binary ones (a workbook) only when no secret value is found
  in them (the e-Stat appId never belongs in settings, but the copy is checked anyway);
* writes ``tables.xlsx``: a contents sheet, then one sheet per CSV table in notebook order, with
  Japanese sheet names of at most 31 characters; byte-for-byte the same for the same tables
  (fixed document dates and zip-entry times);
* replaces the marker :data:`MARKER` of the landing page by the download section (grouped by check,
  Japanese labels).

Why here: the runner (stage 8) stays a sequence of steps; labels and workbook layout are
presentation. Stage 9 (pages): imports stages 0–9.
"""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sckpi_helpers.atomic import atomic_write_bytes, workbook_bytes
from sckpi_helpers.config import paths
from sckpi_helpers.config.vocabulary import TIER_JA
from sckpi_helpers.pages.display import _slug
from sckpi_helpers.pages.html import nb_heading, templates
from sckpi_helpers.pages.redact import redact, secret_values

#: the landing page's placeholder for the download section (in ``templates/report_set.html.j2``)
MARKER = "<!-- sckpi:attachments -->"
#: the workbook of every table, inside the report set
WORKBOOK = "tables.xlsx"
#: folder of the copied inputs, inside the report set
INPUTS_DIR = "inputs"
#: input roles (manifest ``inputs``) copied into the set → Japanese label
INPUT_ROLES_JA = {"settings": "都市の設定（settings.yaml）", "logic_model": "ロジックモデル",
                  "local_data": "ローカルデータ"}
#: notebook order in the download list and the workbook
NOTEBOOK_ORDER = ("00_ingest", "check1_outputs", "check2_outcome1", "check3_outcome2", "check4_outcome3")
#: file stem (exact, or prefix before ``_<tier>``) → Japanese label
STEM_JA = {
    "kpi": "KPI表", "kpi_series": "KPIの推移（グラフ）", "coverage": "データ収集状況",
    "coverage_summary": "第3階層指標のカバレッジ", "diagnosis": "診断結果", "logic_model": "ロジックモデル図",
    "system_flags": "評価体系についての指摘", "peer_comparison": "第3階層指標と類似都市比較",
    "pillar_summary": "柱別の総合評価", "pillar_scores": "柱別の総合評価（グラフ）",
    "peer_strip": "類似都市との比較（グラフ）", "field_balance": "分野間バランス", "summary": "要約",
    "input_coverage": "統計変数の収録状況", "timeseries": "推移（グラフ）",
    "missing_indicators": "算出できない・推計を含む第3階層指標", "missing_inputs_plan": "データを追加すると算出できる指標",
    "map_deviation": "地図：比較団体の中での偏差値", "radar_deviation": "柱・分野ごとの偏差値（レーダー）",
    "scatter_pair": "2指標の散布図", "rank_neighbours": "順位の前後の団体",
}
KIND_JA = {".csv": "表 CSV", ".png": "図 PNG", ".json": "JSON", ".svg": "図 SVG"}
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class Download:
    """One linked file of a report set."""

    href: str  # relative to the set folder, POSIX
    label: str  # Japanese
    kind: str  # 表 CSV, 図 PNG, …
    sheet: str | None = None  # its sheet in the workbook (tables only)


def _indicator_name(slug: str) -> str:
    """The catalog's Japanese name of an indicator from its file-name form (``t3_soc_crime_rate``)."""
    with contextlib.suppress(Exception):
        from sckpi_helpers.catalog import load_catalog

        for ind_id, ind in load_catalog().indicators.items():
            if _slug(ind_id) == slug:
                return ind.name_ja
    return slug


def file_label(stem: str) -> str:
    """Japanese label of a notebook output file (``kpi_outcome1`` → ``KPI表（アウトカム第1階層）``)."""
    if stem in STEM_JA:
        return STEM_JA[stem]
    if stem.startswith("timeseries_"):
        return f"推移：{_indicator_name(stem.removeprefix('timeseries_'))}（グラフ）"
    head, _, tier = stem.rpartition("_")
    if head in STEM_JA and tier in TIER_JA:
        base = STEM_JA[head]
        return f"{base[:-5]}（{TIER_JA[tier]}・グラフ）" if base.endswith("（グラフ）") else f"{base}（{TIER_JA[tier]}）"
    return stem


def _notebook_key(name: str) -> tuple[int, str]:
    return (NOTEBOOK_ORDER.index(name) if name in NOTEBOOK_ORDER else len(NOTEBOOK_ORDER), name)


def _kind_key(p: Path) -> tuple[int, str]:
    return ({".csv": 0, ".png": 1, ".svg": 1, ".json": 2}.get(p.suffix, 3), p.name)


def notebook_files(folder: Path) -> dict[str, list[Download]]:
    """``files/<notebook>/*`` of a set, by notebook (in check order), each with its label."""
    out: dict[str, list[Download]] = {}
    base = folder / "files"
    if not base.is_dir():
        return out
    for nb_dir in sorted((d for d in base.iterdir() if d.is_dir()), key=lambda d: _notebook_key(d.name)):
        files = sorted((f for f in nb_dir.iterdir() if f.is_file() and f.suffix in KIND_JA), key=_kind_key)
        if files:
            out[nb_dir.name] = [Download(f.relative_to(folder).as_posix(), file_label(f.stem), KIND_JA[f.suffix])
                                for f in files]
    return out


# ------------------------------------------------------------------------------------------ workbook

def sheet_name(prefix: str, label: str, taken: set[str]) -> str:
    """An Excel sheet name: forbidden characters replaced, at most 31 characters, unique in ``taken``."""
    base = _SHEET_FORBIDDEN.sub("・", f"{prefix}{label}").strip("'")[:31] or "表"
    name, n = base, 2
    while name.lower() in {t.lower() for t in taken}:
        suffix = f"～{n}"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name)
    return name


def _check_mark(notebook: str) -> str:
    label = nb_heading(notebook)[0]
    return label.removeprefix("Check") if label.startswith("Check") else f"{label}・"


def _display_width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _write_sheet(ws, frame) -> None:
    from openpyxl.styles import Alignment, Font

    ws.append([str(c) for c in frame.columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(vertical="top")
    for row in frame.itertuples(index=False):
        ws.append([_cell_value(v) for v in row])
    for cells in ws.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text from the data, never a formula
    for i, col in enumerate(ws.iter_cols(), start=1):
        width = max((_display_width(str(c.value)) for c in col if c.value is not None), default=4)
        ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = min(max(width + 2, 6), 60)
    ws.freeze_panes = "A2"


def _cell_value(v: Any) -> Any:
    import pandas as pd

    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return None
    if hasattr(v, "item"):  # numpy scalar
        v = v.item()
    return v


def build_workbook(tables: list[tuple[str, str, Path]]) -> bytes:
    """The workbook of ``tables`` ((notebook, label, CSV path) in order): a contents sheet, then one
    sheet per table. Deterministic: fixed document dates and zip-entry times."""
    import pandas as pd
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    toc = wb.active
    toc.title = "目次"
    toc.append(["シート", "チェック", "内容", "CSV ファイル"])
    for cell in toc[1]:
        cell.font = Font(bold=True)
    taken = {"目次"}
    for notebook, label, path in tables:
        name = sheet_name(_check_mark(notebook), label, taken)
        frame = pd.read_csv(path, encoding="utf-8-sig")
        _write_sheet(wb.create_sheet(name), frame)
        check_label, ja, _ = nb_heading(notebook)
        toc.append([name, f"{check_label} {ja}", label, f"files/{notebook}/{path.name}"])
    for col, width in zip("ABCD", (34, 26, 40, 46), strict=True):
        toc.column_dimensions[col].width = width
    wb.properties.creator = wb.properties.lastModifiedBy = "sckpi"
    return workbook_bytes(wb)


def write_workbook(folder: Path, files: dict[str, list[Download]]) -> Download | None:
    """``tables.xlsx`` of every CSV in ``files`` (nothing when there is no table); sheets noted."""
    tables = [(nb, d.label, folder / d.href) for nb, ds in files.items() for d in ds if d.href.endswith(".csv")]
    if not tables:
        return None
    atomic_write_bytes(folder / WORKBOOK, build_workbook(tables))
    return Download(WORKBOOK, f"すべての表（{len(tables)} 表、1 表 1 シート）", "Excel ブック")


# ------------------------------------------------------------------------------------------ inputs

def _holds_secret(data: bytes, secrets: dict[str, str]) -> bool:
    """Whether ``data`` (or, for a zip such as .xlsx, any member) holds a secret value."""
    if not secrets:
        return False
    blobs = [data]
    if zipfile.is_zipfile(io.BytesIO(data)):
        with contextlib.suppress(zipfile.BadZipFile), zipfile.ZipFile(io.BytesIO(data)) as z:
            blobs += [z.read(n) for n in z.namelist()]
    return any(v.encode() in b for v in secrets.values() for b in blobs)


def copy_inputs(folder: Path, inputs: list[dict[str, Any]], root: Path) -> tuple[list[Download], list[str]]:
    """Copy the settings, logic model and local data of ``inputs`` (manifest entries, paths relative
    to ``root``) into ``inputs/``. Returns the copies and notes on files left out (Japanese)."""
    secrets = secret_values()
    copied: list[Download] = []
    notes: list[str] = []
    used: set[str] = set()
    for entry in inputs:
        role = entry.get("role")
        if role not in INPUT_ROLES_JA:
            continue
        src = Path(entry["path"]) if Path(entry["path"]).is_absolute() else root / entry["path"]
        if not src.is_file():
            notes.append(f"{INPUT_ROLES_JA[role]}：{src.name} が見つからないため複製していません。")
            continue
        name = src.name if src.name not in used else f"{role}_{src.name}"
        used.add(name)
        target = folder / INPUTS_DIR / name
        target.parent.mkdir(parents=True, exist_ok=True)
        data = src.read_bytes()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            if _holds_secret(data, secrets):
                notes.append(f"{INPUT_ROLES_JA[role]}：{src.name} に秘密情報が含まれるため複製していません。")
                continue
            shutil.copyfile(src, target)
        else:
            target.write_text(redact(text, secrets), encoding="utf-8")
        copied.append(Download(f"{INPUTS_DIR}/{name}", INPUT_ROLES_JA[role], src.suffix.lstrip(".").upper()))
    return copied, notes


# ------------------------------------------------------------------------------------------ the page

def downloads_html(files: dict[str, list[Download]], workbook: Download | None, inputs: list[Download],
                   notes: list[str]) -> str:
    """The landing page's download section (template ``attachments.html.j2``)."""
    groups = [(nb, *nb_heading(nb)[:2], ds) for nb, ds in files.items()]
    return templates().get_template("attachments.html.j2").render(
        groups=groups, workbook=workbook, inputs=inputs, notes=notes)


def attach(folder: str | Path, inputs: list[dict[str, Any]], *, workbook_note: str | None = None) -> dict[str, Any]:
    """Copy the ``inputs`` (the manifest's input entries), write the workbook and link everything
    from ``folder/index.html``. ``workbook_note``: write no workbook and say this instead (a national
    run's light sets: its bulk table holds every municipality's values).

    Returns what was added (for the manifest or a log): workbook, inputs, notes.
    """
    folder = Path(folder)
    files = notebook_files(folder)
    workbook = write_workbook(folder, files) if workbook_note is None else None
    copies, notes = copy_inputs(folder, inputs, paths.project_root())
    if workbook_note is not None:
        notes = [workbook_note, *notes]
    index = folder / "index.html"
    if index.is_file():
        page = index.read_text(encoding="utf-8")
        if MARKER in page:
            section = downloads_html(files, workbook, copies, notes)
            index.write_text(page.replace(MARKER, section, 1), encoding="utf-8")
    return {"workbook": workbook.href if workbook else None, "inputs": [d.href for d in copies], "notes": notes}
