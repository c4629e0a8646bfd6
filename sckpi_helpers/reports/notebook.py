"""Small helpers the check notebooks call, so the notebooks stay thin.

- :func:`validate_parameters` — read and check the papermill parameters; one clear message
  listing every problem; also sets up inline figures, the Japanese font and pandas display;
- :func:`show_figure` — embed a matplotlib figure as an inline PNG (whatever the backend) and save
  it into ``output_dir`` when one is given;
- :func:`status_table` / :func:`show_table` — tables with status colours and Japanese labels,
  every cell HTML-escaped;
- :func:`summary_ja` / :func:`show_summary` — the short Japanese summary at the top of a check;
- :func:`show_missing_notes`, :func:`show_sources`, :func:`show_notice` — notes for reviewers;
- :func:`publish_summary` — ``summary.json`` in ``output_dir`` (the report landing page shows it).

Everything that comes from a city's files (names, labels, indicator names, notes) is escaped here.
"""

from __future__ import annotations

import html
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sckpi_helpers.errors import SckpiError
from sckpi_helpers.config.vocabulary import STATUS_COLOURS, STATUS_JA, peer_group_ja

#: check number → (label, tier, tier_ja, the guideline's Action when the check fails)
CHECKS: dict[int, tuple[str, str, str, str]] = {
    1: ("Check❶", "output", "アウトプット",
        "事業・取組が計画どおり実施されているかを確認し、遅れている取組の実施体制・スケジュールを見直す"),
    2: ("Check❷", "outcome1", "アウトカム第1階層", "事業の取組内容の軌道修正"),
    3: ("Check❸", "outcome2", "アウトカム第2階層",
        "施策そのものの見直し（目標・投入資源の再検討、継続・中止の判断）"),
    4: ("Check❹", "outcome3", "アウトカム第3階層",
        "分野間のバランスを踏まえた施策体系の見直し（2〜3年ごとに評価体系そのもの・指標の妥当性も見直す）"),
}

SOURCES = ("demo", "estat-api", "estat-csv")
LANGS = ("ja", "en")
_STATUS_ORDER = ("achieved", "on_track", "behind", "no_data")


class ParameterError(SckpiError, ValueError):
    """The notebook's parameters cannot be used; the message lists every problem."""


@dataclass
class Params:
    """Validated notebook parameters (what every check notebook works from)."""

    city_code: str
    period: Any  # periods.Period
    logic_model_path: Path | None
    source: str
    peer_group: str
    lang: str
    output_dir: Path | None
    settings: Any = None
    notes: list[str] = field(default_factory=list)

    @property
    def period_label(self) -> str:
        return self.period.label

    @property
    def period_ja(self) -> str:
        return self.period.label_ja

    @property
    def fiscal_year(self) -> int:
        return self.period.fiscal_year

    @property
    def city_name(self) -> str:
        return (getattr(self.settings, "name_ja", None) or self.city_code) if self.settings else self.city_code


def setup_notebook() -> None:
    """Inline PNG figures (even under ``MPLBACKEND=Agg``), the Japanese font, pandas display."""
    import matplotlib

    try:
        from IPython import get_ipython

        ip = get_ipython()
    except ImportError:  # pragma: no cover - plain Python
        ip = None
    if ip is not None:
        try:
            ip.run_line_magic("matplotlib", "inline")
        except Exception:  # noqa: BLE001 - no inline backend available: show_figure still embeds PNGs
            matplotlib.use("Agg")
    else:
        matplotlib.use("Agg")
    from sckpi_helpers.viz.style import use_japanese_font

    use_japanese_font()
    matplotlib.rcParams["figure.dpi"] = 100
    matplotlib.rcParams["savefig.dpi"] = 110
    import pandas as pd

    pd.set_option("display.max_columns", 50)
    pd.set_option("display.width", 160)


def validate_parameters(city_code: Any = "99201", period: Any = "2024", logic_model_path: Any = "",
                        source: Any = "demo", peer_group: Any = "", lang: Any = "ja", output_dir: Any = "",
                        *, setup: bool = True) -> Params:
    """Check the parameters cell; raise :class:`ParameterError` listing every problem at once."""
    from sckpi_helpers.config.periods import PeriodError, parse_period

    problems: list[str] = []
    code = str(city_code).strip()
    if not (len(code) == 5 and code.isdigit()):
        problems.append(f"city_code '{city_code}' は5桁の標準地域コードではありません (e.g. \"13101\")")
    p = None
    try:
        p = parse_period(str(period))
    except PeriodError as exc:
        problems.append(f"period: {exc}")
    src = str(source or "demo").strip()
    if src not in SOURCES:
        problems.append(f"source '{source}' must be one of {', '.join(SOURCES)}")
    lg = str(lang or "ja").strip()
    if lg not in LANGS:
        problems.append(f"lang '{lang}' must be one of {', '.join(LANGS)}")
    lm = Path(str(logic_model_path)).expanduser() if str(logic_model_path or "").strip() else None
    if lm is not None and not lm.is_file():
        problems.append(f"logic_model_path '{logic_model_path}' does not exist")
    out = Path(str(output_dir)).expanduser() if str(output_dir or "").strip() else None
    settings = None
    if not problems:
        from sckpi_helpers.config.settings import find_settings

        try:
            settings = find_settings(code)
        except SckpiError as exc:
            problems.append(f"settings of {code}: {exc}")
    if problems:
        raise ParameterError("notebook parameters are not usable:\n" + "\n".join(f"  - {x}" for x in problems))
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    if lm is None and settings is not None and getattr(settings, "logic_model", None):
        cand = settings.resolve(settings.logic_model)
        lm = Path(cand) if cand is not None and Path(cand).is_file() else None
    params = Params(city_code=code, period=p, logic_model_path=lm, source=src,
                    peer_group=str(peer_group or getattr(settings, "peer_group", "") or "prefecture"),
                    lang=lg, output_dir=out, settings=settings)
    if setup:
        setup_notebook()
    return params


# ---------------------------------------------------------------------------------------------
# display helpers
# ---------------------------------------------------------------------------------------------

def e(value: Any) -> str:
    """HTML-escape a user-given value."""
    return html.escape("" if value is None else str(value), quote=True)


def _display_html(text: str) -> None:
    from IPython.display import HTML, display

    display(HTML(text))


def heading_html(text: str, level: int = 2) -> str:
    return f"<h{level}>{e(text)}</h{level}>"


def show_heading(text: str, level: int = 2) -> None:
    """A heading built from user-given text (e.g. the city name), escaped."""
    _display_html(heading_html(text, level))


def show_notice(text: str, kind: str = "info") -> None:
    """A boxed note (``info``, ``warning`` or ``error``), escaped; newlines kept."""
    colour = {"info": "#24476b", "warning": "#fc8d59", "error": STATUS_COLOURS["behind"]}.get(kind, "#24476b")
    body = "<br>".join(e(line) for line in str(text).splitlines())
    _display_html(f'<div style="border-left:4px solid {colour};background:#f7f7f7;padding:0.4em 0.9em;'
                  f'margin:0.5em 0">{body}</div>')


def _slug(text: str) -> str:
    s = re.sub(r"[^0-9A-Za-z_-]+", "_", str(text)).strip("_")
    return s or "figure"


def figure_png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    return buf.getvalue()


def _figure_alt(fig) -> str:
    texts = []
    sup = getattr(fig, "_suptitle", None)
    if sup is not None and sup.get_text():
        texts.append(sup.get_text())
    for ax in fig.get_axes():
        t = ax.get_title() or ax.get_title(loc="left")
        if t:
            texts.append(t)
    return " ／ ".join(dict.fromkeys(texts))[:200] or "グラフ"


def show_figure(fig, name: str | None = None, params: Params | None = None, alt: str | None = None) -> None:
    """Embed ``fig`` as an inline PNG (so the HTML export carries it), save it, close it.

    ``alt`` (default: the figure's titles) becomes the image's alternative text.
    """
    import matplotlib.pyplot as plt
    from IPython.display import Image, display

    if fig is None:
        return
    data = figure_png(fig)
    display(Image(data=data, format="png"), metadata={"alt": alt or _figure_alt(fig)})
    if params is not None and params.output_dir is not None and name:
        (params.output_dir / f"{_slug(name)}.png").write_bytes(data)
    plt.close(fig)


def status_label(status: Any) -> str:
    return STATUS_JA.get(str(status), "" if status is None else str(status))


def status_cell(status: Any) -> str:
    """HTML for a coloured status label (達成/順調/遅れ/データなし)."""
    s = str(status) if status is not None else "no_data"
    colour = STATUS_COLOURS.get(s)
    if colour is None:
        return e(status)
    fg = "#222" if s in ("on_track", "no_data") else "#fff"
    return (f'<span style="background:{colour};color:{fg};padding:0.05em 0.5em;border-radius:0.7em;'
            f'white-space:nowrap">{e(STATUS_JA[s])}</span>')


def _fmt(v: Any) -> str:
    try:
        import math

        if v is None or (isinstance(v, float) and math.isnan(v)):
            return "—"
    except TypeError:
        pass
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e15:
            return f"{int(v):,}"
        if abs(v) < 1e-3:
            return f"{v:.3g}"
        return f"{v:,.4g}" if abs(v) < 1000 else f"{v:,.1f}"
    try:
        import pandas as pd

        if v is pd.NA or v is pd.NaT:
            return "—"
    except ImportError:  # pragma: no cover
        pass
    return str(v)


def status_table(df, *, status_col: str | Iterable[str] = "status", columns: Mapping[str, str] | None = None,
                 caption: str | None = None, max_rows: int = 200) -> str:
    """HTML table of ``df``: every cell escaped, status columns coloured with Japanese labels.

    ``columns`` maps column → Japanese header (and selects/orders the columns shown).
    """
    status_cols = {status_col} if isinstance(status_col, str) else set(status_col)
    if columns:
        cols = [c for c in columns if c in df.columns]
        headers = [columns[c] for c in cols]
    else:
        cols = list(df.columns)
        headers = [str(c) for c in cols]
    rows = []
    for _, row in df.head(max_rows).iterrows():
        tds = []
        for c in cols:
            v = row[c]
            if c in status_cols:
                tds.append(f"<td>{status_cell(v)}</td>")
            else:
                align = ' style="text-align:right"' if isinstance(v, int | float) and not isinstance(v, bool) else ""
                tds.append(f"<td{align}>{e(_fmt(v))}</td>")
        rows.append("<tr>" + "".join(tds) + "</tr>")
    more = (f'<p><small>（ほか {len(df) - max_rows} 行）</small></p>' if len(df) > max_rows else "")
    cap = f"<caption>{e(caption)}</caption>" if caption else ""
    head = "".join(f"<th>{e(h)}</th>" for h in headers)
    return (f'<div class="sckpi-table-wrap" style="overflow-x:auto;max-width:100%">'
            f'<table class="sckpi-table">{cap}<thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody>'
            f"</table></div>{more}")


def show_table(df, *, status_col: str | Iterable[str] = "status", columns: Mapping[str, str] | None = None,
               caption: str | None = None, name: str | None = None, params: Params | None = None,
               empty: str = "該当する行はありません。", max_rows: int = 200) -> None:
    """Display :func:`status_table` and save ``df`` as CSV into ``output_dir`` when given."""
    if df is None or len(df) == 0:
        show_notice(empty)
        return
    _display_html(status_table(df, status_col=status_col, columns=columns, caption=caption, max_rows=max_rows))
    if params is not None and params.output_dir is not None and name:
        df.to_csv(params.output_dir / f"{_slug(name)}.csv", index=False, encoding="utf-8-sig")


def status_counts(statuses: Iterable[Any]) -> dict[str, int]:
    counts = dict.fromkeys(_STATUS_ORDER, 0)
    for s in statuses:
        key = str(s) if str(s) in counts else "no_data"
        counts[key] += 1
    return counts


def counts_ja(counts: Mapping[str, int]) -> str:
    return "、".join(f"{STATUS_JA[k]} {counts.get(k, 0)}" for k in _STATUS_ORDER)


def summary_ja(check: int, *, improved: Sequence[str] = (), behind: Sequence[str] = (),
               no_data: Sequence[str] = (), diagnosis: Sequence[str] = (), counts: Mapping[str, int] | None = None,
               action: str | None = None, limit: int = 6) -> list[str]:
    """The Japanese summary lines of a check: improved, behind, diagnosis, Action."""
    label, _, tier_ja, default_action = CHECKS[check]

    def _names(items: Sequence[str]) -> str:
        items = [str(x) for x in items]
        head = "、".join(items[:limit])
        return head + (f" ほか{len(items) - limit}件" if len(items) > limit else "")

    lines = []
    if counts is not None:
        lines.append(f"{label}（{tier_ja}）の指標 {sum(counts.values())} 件：{counts_ja(counts)}。")
    lines.append(f"改善・達成：{_names(improved)}。" if improved else "改善・達成した指標はありません。")
    lines.append(f"遅れ：{_names(behind)}。" if behind else "遅れている指標はありません。")
    if no_data:
        lines.append(f"データなし：{_names(no_data)}（データの収集・入力を確認してください）。")
    for d in diagnosis:
        lines.append(f"診断：{d}")
    if behind:
        lines.append(f"推奨される改善（Action）：{action or default_action}。")
    else:
        lines.append("推奨される改善（Action）：現在の取組を継続し、次回のチェックで推移を確認する。")
    return lines


def show_summary(title: str, lines: Sequence[str]) -> None:
    """The boxed summary at the top of a check notebook (escaped)."""
    items = "".join(f"<li>{e(x)}</li>" for x in lines)
    _display_html(f'<div style="background:#f4f8fb;border-left:4px solid #24476b;padding:0.4em 1em;'
                  f'margin:0.5em 0"><strong>{e(title)}</strong><ul style="margin:0.3em 0">{items}</ul></div>')


def show_missing_notes(df, *, name_col: str = "name", reason_col: str = "reason",
                       title: str = "データが欠けている指標") -> None:
    """List indicators without data and why (or say nothing is missing)."""
    if df is None or len(df) == 0:
        show_notice("欠損しているデータはありません。")
        return
    items = []
    for _, r in df.iterrows():
        reason = r.get(reason_col) if hasattr(r, "get") else None
        reason_txt = _fmt(reason) if reason is not None else ""
        items.append(f"<li>{e(r.get(name_col, ''))}" + (f"：{e(reason_txt)}" if reason_txt and reason_txt != "—"
                                                        else "") + "</li>")
    _display_html(f"<p><strong>{e(title)}（{len(items)} 件）</strong></p><ul>{''.join(items)}</ul>")


def show_sources(df, *, columns: Mapping[str, str] | None = None, title: str = "データの出典と日付") -> None:
    """Data sources with their dates (a table, escaped)."""
    show_heading(title, 3)
    show_table(df, status_col=(), columns=columns, empty="出典の情報はありません。")


def publish_summary(params: Params | None, headline: str, **extra: Any) -> dict[str, Any]:
    """Write ``summary.json`` (headline + extras) into ``output_dir``; return it."""
    data = {"headline": headline, **extra}
    if params is not None and params.output_dir is not None:
        (params.output_dir / "summary.json").write_text(
            json.dumps(data, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    return data


def save_table(df, name: str, params: Params | None) -> None:
    """Save a table as CSV into ``output_dir`` (nothing when no output_dir)."""
    if params is not None and params.output_dir is not None and df is not None:
        df.to_csv(params.output_dir / f"{_slug(name)}.csv", index=False, encoding="utf-8-sig")


# ---------------------------------------------------------------------------------------------
# data for the check notebooks
# ---------------------------------------------------------------------------------------------

TIER_OF_CHECK = {1: "output", 2: "outcome1", 3: "outcome2", 4: "outcome3"}
DIAGNOSIS_OF_CHECK = {1: "execution", 2: "activity", 3: "policy", 4: "system"}


def ensure_data(params: Params) -> tuple[Any, dict[str, Path]]:
    """``ingest.ensure_processed`` for the notebook's city, so it runs on a clean clone; returns
    the settings of the build that serves it (``ingest.serving_settings``) and the build's files."""
    from sckpi_helpers.store import build as ingest

    build = ingest.serving_settings(params.settings, params.source)
    return build, ingest.ensure_processed(build)


@dataclass
class CheckData:
    """Everything a check notebook shows, computed once by :func:`load_check_data`."""

    params: Params
    catalog: Any
    panel: Any
    local: Any
    areas: Any
    city_name: str
    model: Any = None
    model_problem: str | None = None
    tracking: Any = None
    latest: Any = None
    diagnosis: Any = None
    flags: Any = None
    results: Any = None
    year: int | None = None
    year_note: str | None = None
    peer_codes: list[str] = field(default_factory=list)
    peer_problem: str | None = None
    comparison: Any = None
    pillars: Any = None
    coverage: Any = None

    @property
    def has_model(self) -> bool:
        return self.model is not None

    def measure_name(self, measure_id: str) -> str:
        try:
            m = self.model.measure(measure_id)
        except Exception:  # noqa: BLE001
            return str(measure_id)
        return (m.name_en or m.name_ja) if self.params.lang == "en" else m.name_ja


def load_check_data(params: Params, *, tier3: bool = False) -> CheckData:
    """Processed data, catalog, logic model, KPI tracking and diagnosis for one city and period.

    ``tier3`` also computes the composite indicators, coverage and the peer comparison (Check❹).
    A city without a logic model gets ``model=None`` and ``model_problem`` saying why.
    """
    from sckpi_helpers.indicators import engine
    from sckpi_helpers.store import build as ingest
    from sckpi_helpers.checks import kpi
    from sckpi_helpers.catalog import load_catalog

    build, _ = ensure_data(params)
    s = params.settings
    extra = [s.resolve(p) for p in (getattr(s, "catalog_extensions", []) or [])] if s is not None else []
    catalog = load_catalog(extra=extra) if extra else load_catalog()
    panel = ingest.load_panel(build)
    local = ingest.load_local(build)
    areas = ingest.load_areas(build)
    local = local[local["area_code"].astype(str) == params.city_code]
    name = getattr(s, "name_ja", None)
    if not name:
        hit = areas.loc[areas["area_code"].astype(str) == params.city_code, "area_name"]
        name = str(hit.iloc[0]) if len(hit) else params.city_code
    d = CheckData(params=params, catalog=catalog, panel=panel, local=local, areas=areas, city_name=name)

    adj = getattr(s, "adjusted_population", None) if s is not None else None
    need_results = tier3
    if params.logic_model_path is not None:
        from sckpi_helpers.checks import diagnosis
        from sckpi_helpers.checks import logic_model

        try:
            d.model = logic_model.load_logic_model(params.logic_model_path, catalog)
        except SckpiError as exc:
            d.model_problem = f"ロジックモデルを読み込めません: {exc}"
        if d.model is not None:
            need_results = True
    else:
        d.model_problem = ("この自治体にはロジックモデルが設定されていません"
                           "（settings.yaml の logic_model）。")
    if need_results:
        d.results = engine.compute(panel, catalog, adjusted_population=adj)
    if d.model is not None:
        from sckpi_helpers.checks import diagnosis

        mine = d.results[d.results["area_code"] == params.city_code] if d.results is not None else None
        d.tracking = kpi.track(d.model, catalog, local, mine, period=params.period)
        d.latest = kpi.latest_status(d.tracking, params.period)
        d.diagnosis = diagnosis.diagnose(d.model, d.tracking, params.period)
        d.flags = diagnosis.system_flags(d.model, d.tracking, params.period)
    if tier3:
        from sckpi_helpers.indicators import coverage, peers
        from sckpi_helpers.store.peer_groups import peer_group

        city_rows = d.results[(d.results["area_code"] == params.city_code)]
        years = sorted(int(y) for y in city_rows.loc[city_rows["status"] != "missing", "year"].unique())
        want = params.fiscal_year
        if not years:
            d.year = want
            d.year_note = f"{params.city_code} の第3階層指標を算出できる年がありません。"
        elif want in years:
            d.year = want
        else:
            d.year = max(y for y in years if y <= want) if any(y <= want for y in years) else years[0]
            d.year_note = f"{want}年のデータがないため、{d.year}年の値で評価しています。"
        d.coverage = coverage.coverage(d.results, catalog, params.city_code, d.year)
        try:
            d.peer_codes = peer_group(areas, params.city_code, params.peer_group, panel)
        except SckpiError as exc:
            d.peer_problem = str(exc)
            d.peer_codes = [params.city_code]
        d.comparison = peers.compare(d.results, catalog, params.city_code, d.year, d.peer_codes)
        d.pillars = peers.pillar_summary(d.comparison, catalog)
    return d


# ---------------------------------------------------------------------------------------------
# sections of the check notebooks
# ---------------------------------------------------------------------------------------------

def show_report_header(d: CheckData, check: int | None = None) -> None:
    """City, period, 補正人口 and peer group in one box."""
    p = d.params
    s = p.settings
    lines = [f"自治体：{d.city_name}（{p.city_code}）", f"対象期間：{p.period_ja}（{p.period_label}）"]
    if check is not None:
        label, _, tier_ja, _ = CHECKS[check]
        lines.insert(0, f"{label} {tier_ja}")
    adj = getattr(s, "adjusted_population", None) if s is not None else None
    if adj:
        name = adj
        defs = getattr(getattr(d.catalog, "adjusted_population", None), "definitions", None) or {}
        if not isinstance(defs, dict):
            defs = {getattr(x, "id", None): x for x in defs}
        if adj in defs:
            name = f"{defs[adj].name_ja}（{adj}）"
        lines.append(f"補正人口の定義：{name}")
    if check in (None, 4):
        lines.append(f"比較対象：{peer_group_ja(p.peer_group)}")
    lines.append(f"データソース：{p.source}")
    show_notice("\n".join(lines))


def _tier_latest(d: CheckData, tier: str):
    if d.latest is None or len(d.latest) == 0:
        return None
    return d.latest[d.latest["tier"] == tier]


def _names(df, col: str = "name_ja") -> list[str]:
    return [str(x) for x in df[col]] if df is not None and len(df) else []


def _action_of(check: int) -> str:
    try:
        from sckpi_helpers.checks.diagnosis import ACTIONS

        return ACTIONS[DIAGNOSIS_OF_CHECK[check]][0]
    except Exception:  # noqa: BLE001
        return CHECKS[check][3]


def check_summary_lines(d: CheckData, check: int) -> list[str]:
    """The Japanese summary of Check❶–❸ (what improved, what is behind, diagnosis, Action)."""
    label, tier, tier_ja, _ = CHECKS[check]
    if not d.has_model:
        return [f"{d.model_problem} {label}（{tier_ja}）は評価できません。",
                "Check❹（政府統計による第3階層の評価）は、ロジックモデルがなくても実施できます。"]
    rows = _tier_latest(d, tier)
    if rows is None or len(rows) == 0:
        return [f"ロジックモデルに{tier_ja}の評価指標がありません。評価体系の見直し（指標の設定）を検討してください。"]
    counts = status_counts(rows["status"])
    improved = rows[(rows["status"] == "achieved") | ((rows["status"] == "on_track") & (rows["trend"] == "improving"))]
    behind = rows[rows["status"] == "behind"]
    nodata = rows[rows["status"] == "no_data"]
    code = DIAGNOSIS_OF_CHECK[check]
    diag = []
    if d.diagnosis is not None and len(d.diagnosis):
        hit = d.diagnosis[d.diagnosis["diagnosis"] == code]
        diag = [f"{r.measure_name_ja}：{r.message_ja}" for r in hit.itertuples(index=False)]
        nod = d.diagnosis[(d.diagnosis["diagnosis"] == "no_data") & (d.diagnosis["break_to"] == tier)]
        diag += [f"{r.measure_name_ja}：{r.message_ja}" for r in nod.itertuples(index=False)]
    if not diag:
        diag = [f"{tier_ja}で因果の連鎖が途切れている施策はありません。"]
    return summary_ja(check, improved=_names(improved), behind=_names(behind), no_data=_names(nodata),
                      diagnosis=diag, counts=counts, action=_action_of(check))


def show_check_summary(d: CheckData, check: int) -> list[str]:
    """Summary box at the top of a check notebook; also ``summary.json`` for the landing page."""
    label, _, tier_ja, _ = CHECKS[check]
    lines = check4_summary_lines(d) if check == 4 else check_summary_lines(d, check)
    show_summary(f"{label} {tier_ja} の要約（{d.city_name} {d.params.period_ja}）", lines)
    publish_summary(d.params, lines[0], lines=lines)
    return lines


def _pct(v: Any) -> Any:
    try:
        import math

        return None if v is None or math.isnan(float(v)) else f"{float(v):.0%}"
    except (TypeError, ValueError):
        return None


def kpi_table(d: CheckData, tier: str):
    """The KPI table of one tier (latest status per indicator), Japanese columns."""
    import pandas as pd

    from sckpi_helpers.checks.kpi import TREND_JA

    rows = _tier_latest(d, tier)
    if rows is None or len(rows) == 0:
        return pd.DataFrame()
    name_col = "name_en" if d.params.lang == "en" else "name_ja"
    out = pd.DataFrame({
        "measure": [d.measure_name(m) for m in rows["measure_id"]],
        "name": rows[name_col].fillna(rows["name_ja"]).to_list(),
        "period": rows["period"].to_list(),
        "actual": rows["actual"].to_list(),
        "unit": rows["unit"].to_list(),
        "baseline": [f"{_fmt(v)}（{p}）" if p else _fmt(v) for v, p in zip(rows["baseline"], rows["baseline_period"],
                                                                        strict=False)],
        "target": [f"{_fmt(v)}（{p}）" if p else _fmt(v) for v, p in zip(rows["target"], rows["target_period"],
                                                                      strict=False)],
        "progress": [_pct(v) for v in rows["progress"]],
        "expected": [_pct(v) for v in rows["expected_progress"]],
        "status": rows["status"].to_list(),
        "trend": [TREND_JA.get(t, "—") if isinstance(t, str) else "—" for t in rows["trend"]],
        "source": rows["data_source"].to_list(),
    })
    return out


KPI_COLUMNS = {"measure": "施策", "name": "指標", "period": "期間", "actual": "実績", "unit": "単位",
               "baseline": "基準値", "target": "次の目標", "progress": "進捗", "expected": "計画上の目安",
               "status": "状況", "trend": "傾向", "source": "出典"}


def show_kpi_table(d: CheckData, check: int) -> None:
    """KPI table of the check's tier with coloured status."""
    label, tier, tier_ja, _ = CHECKS[check]
    if not d.has_model:
        show_notice(f"{d.model_problem} {label}のKPI表はありません。", "warning")
        return
    show_table(kpi_table(d, tier), columns=KPI_COLUMNS, name=f"kpi_{tier}", params=d.params,
               caption=f"{tier_ja}の指標（{d.params.period_ja}時点）",
               empty=f"ロジックモデルに{tier_ja}の指標がありません。")


def plot_kpi_series(d: CheckData, tier: str, *, ncols: int = 2):
    """Small multiples: each indicator's actuals by period, the planned line and the targets."""
    import math

    import matplotlib.pyplot as plt

    from sckpi_helpers.viz.style import use_japanese_font

    use_japanese_font()
    tr = d.tracking[d.tracking["tier"] == tier] if d.tracking is not None else None
    if tr is None or tr.empty:
        return None
    groups = list(tr.groupby(["measure_id", "indicator_id"], sort=False))
    n = len(groups)
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.2 * ncols, 3.2 * nrows), squeeze=False)
    for ax, ((_, _), g) in zip(axes.flat, groups, strict=False):
        g = g.sort_values("period_end")
        x = list(range(len(g)))
        labels = list(g["period"])
        ax.plot(x, g["expected"], color="#969696", ls="--", lw=1, label="計画上の目安")
        ax.plot(x, g["actual"], color="#24476b", lw=1.2, zorder=2)
        for xi, (v, st) in enumerate(zip(g["actual"], g["status"], strict=False)):
            if not math.isnan(v):
                ax.scatter([xi], [v], color=STATUS_COLOURS.get(st, "#999"), zorder=3, s=28,
                           edgecolor="#333", linewidth=0.4)
        tgt = g.dropna(subset=["target"]).drop_duplicates("target_period")
        for tp, tv in zip(tgt["target_period"], tgt["target"], strict=False):
            if tp in labels:
                ax.scatter([labels.index(tp)], [tv], marker="*", s=90, color="#fdae61", edgecolor="#333",
                           zorder=4)
            else:
                ax.axhline(tv, color="#fdae61", lw=0.8, ls=":")
        unit = g["unit"].iloc[0] or ""
        ax.set_title(f"{d.measure_name(g['measure_id'].iloc[0])}：{g['name_ja'].iloc[0]}", fontsize=9.5)
        ax.set_ylabel(unit, fontsize=8)
        step = max(1, len(labels) // 6)
        ax.set_xticks(x[::step])
        ax.set_xticklabels(labels[::step], fontsize=7.5, rotation=0)
        ax.tick_params(axis="y", labelsize=8)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    handles = [plt.Line2D([], [], color="#969696", ls="--", label="計画上の目安"),
               plt.Line2D([], [], marker="*", color="#fdae61", ls="", markersize=10, label="目標")]
    handles += [plt.Line2D([], [], marker="o", color=c, ls="", label=STATUS_JA[k])
                for k, c in STATUS_COLOURS.items() if k != "no_data"]
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig


def show_kpi_charts(d: CheckData, check: int) -> None:
    """The tier's KPI time series (or a note)."""
    _, tier, tier_ja, _ = CHECKS[check]
    if not d.has_model:
        show_notice(f"{d.model_problem} グラフはありません。", "warning")
        return
    fig = plot_kpi_series(d, tier)
    if fig is None:
        show_notice(f"{tier_ja}の指標の推移データはありません。")
        return
    show_figure(fig, f"kpi_series_{tier}", d.params, alt=f"{tier_ja}の指標の推移と目標")


def show_logic_model(d: CheckData) -> None:
    """The logic model diagram, boxes coloured by status (or why there is none)."""
    if not d.has_model:
        show_notice(f"{d.model_problem} ロジックモデル図はありません。", "warning")
        return
    from sckpi_helpers.viz.diagram import draw_logic_model

    fig = draw_logic_model(d.model, d.tracking, period=d.params.period,
                           title=f"{d.city_name} ロジックモデル（{d.params.period_ja}）")
    show_figure(fig, "logic_model", d.params, alt="ロジックモデル図（階層ごと、状況で色分け）")


DIAGNOSIS_COLUMNS_JA = {"measure_name_ja": "施策", "field_ja": "分野", "diagnosis_ja": "診断",
                        "message_ja": "内容", "action_ja": "推奨される改善（Action）", "evidence": "根拠"}
DIAGNOSIS_JA = {"execution": "実施状況に課題", "activity": "取組内容に課題", "policy": "施策自体に課題",
                "system": "施策体系に課題", "continue": "継続", "no_data": "データ不足",
                "not_measured": "指標未設定"}


def show_diagnosis(d: CheckData, check: int | None = None) -> None:
    """Where each measure's chain breaks and the Action (all measures; the check's first)."""
    if not d.has_model:
        show_notice(f"{d.model_problem} 診断はできません。", "warning")
        return
    dg = d.diagnosis.copy()
    dg["diagnosis_ja"] = dg["diagnosis"].map(DIAGNOSIS_JA).fillna(dg["diagnosis"])
    if check is not None:
        code = DIAGNOSIS_OF_CHECK[check]
        dg = dg.assign(_o=(dg["diagnosis"] != code).astype(int)).sort_values("_o", kind="stable").drop(columns="_o")
    show_table(dg, status_col=(), columns=DIAGNOSIS_COLUMNS_JA, name="diagnosis", params=d.params,
               empty="診断する施策がありません。")


def kpi_data_coverage(d: CheckData, tier: str):
    """Per indicator: periods due, periods with data, last period with data, source."""
    import pandas as pd

    tr = d.tracking[d.tracking["tier"] == tier] if d.tracking is not None else None
    if tr is None or tr.empty:
        return pd.DataFrame()
    rows = []
    for (_, _), g in tr.groupby(["measure_id", "indicator_id"], sort=False):
        have = g[g["actual"].notna()]
        rows.append({"name": g["name_ja"].iloc[0], "cadence": g["cadence"].iloc[0], "due": len(g),
                     "with_data": len(have), "share": f"{len(have) / len(g):.0%}" if len(g) else "—",
                     "last": have["period"].iloc[-1] if len(have) else "—",
                     "source": g["data_source"].iloc[0],
                     "recorded_as": "、".join(sorted({str(x) for x in have["source"].dropna()})) or "—"})
    return pd.DataFrame(rows)


CADENCE_JA = {"as_needed": "適宜", "monthly": "毎月", "quarterly": "四半期", "semiannual": "半期",
              "yearly": "毎年", "every_2_years": "2年ごと", "every_5_years": "5年ごと", "every_10_years": "10年ごと"}


def show_data_coverage(d: CheckData, check: int) -> None:
    """Data coverage of the tier's indicators, the data sources and notes on missing data."""
    _, tier, tier_ja, _ = CHECKS[check]
    if not d.has_model:
        show_notice(f"{d.model_problem} 地域データ（アウトプット・アウトカム第1〜2階層）の収集状況は表示できません。",
                    "warning")
        return
    cov = kpi_data_coverage(d, tier)
    if len(cov):
        cov["cadence"] = cov["cadence"].map(lambda c: CADENCE_JA.get(c, c))
    show_table(cov, status_col=(), caption=f"{tier_ja}の指標のデータ収集状況（計画開始から{d.params.period_ja}まで）",
               columns={"name": "指標", "cadence": "頻度", "due": "対象期間数", "with_data": "データあり",
                        "share": "充足率", "last": "最新のデータ", "source": "データ取得元",
                        "recorded_as": "記録された出典"},
               name=f"coverage_{tier}", params=d.params)
    rows = _tier_latest(d, tier)
    missing = rows[rows["status"] == "no_data"] if rows is not None and len(rows) else None
    if missing is not None and len(missing):
        import pandas as pd

        missing = pd.DataFrame({
            "name": missing["name_ja"],
            "reason": [f"{p} のデータがありません（最新のデータ：{lp or 'なし'}、取得元：{src or '未記載'}）"
                       + (f"。{n}" if isinstance(n, str) and n else "")
                       for p, lp, src, n in zip(missing["period"], missing["last_period_with_data"],
                                                missing["data_source"], missing["note"], strict=False)]})
    show_missing_notes(missing)
    show_local_sources(d)


def show_local_sources(d: CheckData) -> None:
    """Where the city's local data came from: source, indicators, periods."""
    import pandas as pd

    loc = d.local
    if loc is None or len(loc) == 0:
        show_notice("地域データ（ローカルデータ）は登録されていません。")
        return
    g = loc.groupby(loc["source"].fillna("（出典未記載）"))
    df = pd.DataFrame({"source": list(g.groups),
                       "indicators": [int(x) for x in g["indicator_id"].nunique()],
                       "rows": [int(x) for x in g.size()],
                       "first": [min(map(str, v)) for _, v in g["period"]],
                       "last": [max(map(str, v)) for _, v in g["period"]]})
    show_sources(df, columns={"source": "出典", "indicators": "指標数", "rows": "行数", "first": "最初の期間",
                              "last": "最新の期間"}, title="地域データの出典と期間")


def show_system_flags(d: CheckData) -> None:
    """Flags on the evaluation system itself (評価体系の見直し)."""
    if not d.has_model:
        return
    show_table(d.flags, status_col=(), columns={"name_ja": "指標", "flag": "種類", "message_ja": "内容",
                                                "action_ja": "推奨"},
               name="system_flags", params=d.params, empty="評価体系について指摘事項はありません。")


# ---------------------------------------------------------------------------------------------
# Check❹
# ---------------------------------------------------------------------------------------------

def check4_summary_lines(d: CheckData) -> list[str]:
    """Check❹ summary: standing among peers, trends, weakest pillar, Action."""
    import math

    cmp = d.comparison
    lines = []
    if d.year_note:
        lines.append(d.year_note)
    if cmp is None or len(cmp) == 0:
        return lines + ["第3階層の複合指標を算出できませんでした。データの取込状況を確認してください。"]
    scored = cmp[cmp["deviation_score"].notna()]
    lines.append(f"{d.year}年の第3階層指標 {len(cmp)} 件のうち {len(scored)} 件を"
                 f"{peer_group_ja(d.params.peer_group)}（{len(d.peer_codes)}団体）と比較しました。")
    better = cmp[cmp["trend"] == "better"]
    worse = cmp[cmp["trend"] == "worse"]
    low = scored[scored["deviation_score"] < 45].sort_values("deviation_score")
    lines.append("改善傾向：" + ("、".join(better["name_ja"].astype(str).head(6))
                               + (f" ほか{len(better) - 6}件" if len(better) > 6 else "") if len(better)
                               else "なし") + "。")
    lines.append("悪化傾向：" + ("、".join(worse["name_ja"].astype(str).head(6))
                               + (f" ほか{len(worse) - 6}件" if len(worse) > 6 else "") if len(worse)
                               else "なし") + "。")
    if len(low):
        lines.append("比較団体より遅れている指標（偏差値45未満）：" + "、".join(
            f"{n}（{s:.0f}）" for n, s in zip(low["name_ja"].head(6), low["deviation_score"].head(6), strict=False))
            + "。")
    ps = d.pillars
    if ps is not None and len(ps) and ps["deviation_score"].notna().any():
        w = ps.loc[ps["deviation_score"].idxmin()]
        lines.append("柱別の平均偏差値：" + "、".join(
            f"{r.pillar_ja} {r.deviation_score:.1f}" for r in ps.itertuples(index=False)
            if not math.isnan(r.deviation_score)) + f"。最も弱いのは「{w['pillar_ja']}」です。")
    if d.has_model:
        t3 = _tier_latest(d, "outcome3")
        if t3 is not None and len(t3):
            lines.append(f"ロジックモデルの第3階層KPI：{counts_ja(status_counts(t3['status']))}。")
    lines.append(f"推奨される改善（Action）：{_action_of(4)}。2〜3年ごとに評価体系（指標の妥当性・代替指標）も見直す。")
    return lines


COMPARE_COLUMNS_JA = {"name_ja": "指標", "pillar_ja": "柱", "required_ja": "必須", "value": "値", "unit": "単位",
                      "rank_txt": "順位", "deviation_score": "偏差値", "peer_median": "比較団体の中央値",
                      "trend_ja": "傾向", "status_ja": "算出"}
_RESULT_STATUS_JA = {"ok": "算出", "estimated": "推計（補完）", "missing": "欠損"}


def comparison_table(d: CheckData):
    import math

    from sckpi_helpers.config.vocabulary import PILLAR_JA

    cmp = d.comparison.copy()
    fields = getattr(d.catalog, "fields", {}) or {}
    cmp["pillar_ja"] = [PILLAR_JA.get(p) or getattr(fields.get(p), "name_ja", p) for p in cmp["pillar"]]
    cmp["required_ja"] = ["必須" if r else "選択" for r in cmp["required"]]
    cmp["rank_txt"] = [f"{int(r)} / {n}" if not math.isnan(r) else "—" for r, n in zip(cmp["rank"], cmp["n"], strict=False)]
    cmp["status_ja"] = cmp["status"].map(_RESULT_STATUS_JA).fillna(cmp["status"])
    cmp["deviation_score"] = cmp["deviation_score"].round(1)
    return cmp


def show_comparison(d: CheckData) -> None:
    """The peer comparison table (every tier-3 indicator)."""
    if d.peer_problem:
        show_notice(f"比較対象を決められません：{d.peer_problem}", "warning")
    show_table(comparison_table(d), status_col=(), columns=COMPARE_COLUMNS_JA, name="peer_comparison",
               params=d.params, caption=f"第3階層指標と類似都市比較（{d.year}年、{peer_group_ja(d.params.peer_group)}）",
               empty="比較できる指標がありません。")


def show_pillar_scores(d: CheckData) -> None:
    from sckpi_helpers.viz.plots import plot_pillar_scores

    if d.pillars is None or len(d.pillars) == 0 or not d.pillars["deviation_score"].notna().any():
        show_notice("柱別の得点を計算できる指標がありません。")
        return
    show_figure(plot_pillar_scores(d.pillars), "pillar_scores", d.params, alt="柱別の平均偏差値")
    show_table(d.pillars.assign(deviation_score=d.pillars["deviation_score"].round(1)), status_col=(),
               columns={"pillar_ja": "柱", "deviation_score": "平均偏差値", "note": "使用した指標数",
                        "indicators": "指標"}, name="pillar_summary", params=d.params)


def show_peer_strip(d: CheckData) -> None:
    from sckpi_helpers.viz.plots import plot_peer_strip

    if len(d.peer_codes) < 2:
        show_notice("比較団体がないため、分布図はありません。")
        return
    fig = plot_peer_strip(d.results, d.catalog, d.params.city_code, d.year, d.peer_codes)
    show_figure(fig, "peer_strip", d.params, alt="指標ごとの比較団体の分布と本市の位置（偏差値）")


def show_timeseries(d: CheckData, *, max_charts: int = 6) -> None:
    """Time series against the peer band for the required indicators with the most data."""
    from sckpi_helpers.viz.plots import plot_timeseries_with_peers

    cmp = d.comparison
    if cmp is None or len(cmp) == 0:
        show_notice("時系列を描ける指標がありません。")
        return
    pick = cmp[cmp["value"].notna()].sort_values(["required", "trend_n"], ascending=[False, False])
    ids = list(pick["indicator_id"].head(max_charts))
    if d.has_model:  # the logic model's own tier-3 indicators first
        t3 = _tier_latest(d, "outcome3")
        own = [i for i in (t3["indicator_id"] if t3 is not None else []) if i in set(cmp["indicator_id"])]
        ids = list(dict.fromkeys(own + ids))[:max_charts]
    for i in ids:
        try:
            fig = plot_timeseries_with_peers(d.results, i, d.params.city_code, d.peer_codes, d.catalog)
        except SckpiError as exc:
            show_notice(f"{i}：{exc}")
            continue
        show_figure(fig, f"timeseries_{i}", d.params)


from sckpi_helpers.config.vocabulary import COVERAGE_JA  # noqa: E402


def show_tier3_coverage(d: CheckData) -> None:
    """How many tier-3 indicators the city has, and why the others are missing."""
    from sckpi_helpers.indicators.coverage import coverage_summary

    cov = d.coverage
    if cov is None or len(cov) == 0:
        show_notice("カバレッジを計算できません。")
        return
    summ = coverage_summary(cov)
    show_table(summ, status_col=(), caption=f"第3階層指標のカバレッジ（{d.year}年）",
               columns={c: h for c, h in (("state_ja", "状態"), ("n", "指標数"), ("count", "指標数"),
                                         ("required", "うち必須"), ("n_required", "うち必須"))
                        if c in summ.columns} or None, name="coverage_summary", params=d.params)
    miss = cov[cov["state"] != "computed"].copy()
    if len(miss):
        from sckpi_helpers.indicators.reasons import reason_ja

        miss["reason"] = [f"{COVERAGE_JA.get(s, s)}：{reason_ja(det, d.catalog)}"
                          for s, det in zip(miss["state"], miss["detail"], strict=False)]
    show_missing_notes(miss if len(miss) else None, name_col="name_ja",
                       title="算出できない・推計を含む第3階層指標")


def show_statistics_sources(d: CheckData, variables: Iterable[str] | None = None) -> None:
    """Government-statistics sources used for the city: variables, years, publication dates."""
    import pandas as pd

    panel = d.panel[d.panel["area_code"].astype(str) == d.params.city_code]
    if variables is not None:
        panel = panel[panel["variable"].isin(set(variables))]
    if panel.empty:
        show_notice("この自治体の政府統計データはありません。")
        return
    g = panel.groupby("source")
    df = pd.DataFrame({
        "source": list(g.groups),
        "variables": ["、".join(sorted(map(str, v.unique()))[:8]) for _, v in g["variable"]],
        "years": [f"{int(v.min())}–{int(v.max())}" for _, v in g["year"]],
        "rows": [int(x) for x in g.size()],
        "published": [max(map(str, v.dropna())) if v.notna().any() else "—" for _, v in g["published"]],
    })
    show_sources(df, columns={"source": "出典", "variables": "変数", "years": "年", "rows": "件数",
                              "published": "公表日（最新）"}, title="政府統計の出典と日付")


def show_field_balance(d: CheckData) -> None:
    """Measures per field (施策体系の分野間バランス)."""
    if not d.has_model:
        return
    from sckpi_helpers.checks.diagnosis import field_balance

    fb = field_balance(d.model, d.catalog)
    show_table(fb, status_col=(), columns={"field_ja": "分野", "n_measures": "施策数", "n_indicators": "指標数",
                                           "n_tier3_catalog": "第3階層指標", "note": "所見",
                                           "action_ja": "推奨"},
               name="field_balance", params=d.params)


# ---------------------------------------------------------------------------------------------
# 00_ingest
# ---------------------------------------------------------------------------------------------

def ingest_overview(params: Params) -> dict[str, Any]:
    """Build (if needed) and describe ``data/processed``: manifest, rows, sources, input coverage."""
    import pandas as pd

    from sckpi_helpers.store import build as ingest

    build, written = ensure_data(params)
    man = ingest.read_manifest(build)
    panel = ingest.load_panel(build)
    local = ingest.load_local(build)
    areas = ingest.load_areas(build)
    files = pd.DataFrame({
        "file": [Path(p).name for p in written.values()],
        "rows": [len(x) for x in (panel, areas, local)][: len(written)],
    })
    return {"manifest": man, "panel": panel, "local": local, "areas": areas, "files": files}


def input_coverage(panel, catalog, city_code: str, year: int):
    """Per catalog input: years with a value for the city, the latest year, source, publication date."""
    import pandas as pd

    mine = panel[(panel["area_code"].astype(str) == city_code)]
    rows = []
    for iid, inp in catalog.inputs.items():
        g = mine[(mine["variable"] == iid) & mine["value"].notna()]
        latest = int(g["year"].max()) if len(g) else None
        rows.append({
            "input": iid, "name": getattr(inp, "name_ja", iid),
            "years": len(g), "latest": latest if latest is not None else "—",
            "current": "あり" if latest is not None and latest >= year else ("古い" if latest else "なし"),
            "source": "、".join(sorted({str(s) for s in g["source"].dropna()}))[:120] or "—",
            "published": max(map(str, g["published"].dropna())) if g["published"].notna().any() else "—",
        })
    return pd.DataFrame(rows)


def show_ingest(params: Params) -> dict[str, Any]:
    """The 00_ingest notebook's body: what was built, from which sources, how complete."""
    from sckpi_helpers.catalog import load_catalog

    info = ingest_overview(params)
    man = info["manifest"]
    show_heading("取込結果", 2)
    if man:
        show_notice("\n".join([
            f"作成日時：{man.get('built_at', '—')}",
            f"対象自治体（設定）：{man.get('city_code', '—')}　データソース：{man.get('source', '—')}",
            f"年の範囲：{'–'.join(map(str, man.get('years') or [])) or '—'}",
            f"外部統計で置き換えた行：{man.get('overridden_by_external', 0)}",
            f"対応づけできなかった統計項目：{'、'.join(man.get('unmapped_items') or []) or 'なし'}",
        ]))
    rows = man.get("rows") or {}
    import pandas as pd

    show_table(pd.DataFrame({"file": list(rows), "rows": list(rows.values())}) if rows else info["files"],
               status_col=(), columns={"file": "データ", "rows": "行数"}, name="processed_files", params=params)
    panel = info["panel"]
    mine = panel[panel["area_code"].astype(str) == params.city_code]
    show_heading("自治体", 3)
    muni = info["areas"]
    show_notice(f"地域数：{len(muni)}（うち市区町村 {int((muni['level'] == 'municipality').sum())}）。"
                f"{params.city_code} の政府統計：{len(mine)} 行、"
                f"{mine['variable'].nunique()} 変数、{int(mine['year'].min()) if len(mine) else '—'}–"
                f"{int(mine['year'].max()) if len(mine) else '—'} 年。")
    catalog = load_catalog()
    cov = input_coverage(panel, catalog, params.city_code, params.fiscal_year)
    show_heading(f"入力変数のカバレッジ（{params.city_code}、{params.fiscal_year}年時点）", 3)
    show_table(cov, status_col=(), columns={"input": "変数ID", "name": "変数", "years": "年数", "latest": "最新年",
                                            "current": "当年の値", "source": "出典", "published": "公表日"},
               name="input_coverage", params=params)
    missing = cov[cov["current"] != "あり"].assign(
        reason=lambda x: [f"最新年 {v}" if v != "—" else "データなし" for v in x["latest"]])
    show_missing_notes(missing if len(missing) else None, title="当年の値がない入力変数")
    d = CheckData(params=params, catalog=catalog, panel=panel, local=info["local"][
        info["local"]["area_code"].astype(str) == params.city_code], areas=info["areas"],
        city_name=params.city_name)
    show_statistics_sources(d)
    show_local_sources(d)
    return info


# ---------------------------------------------------------------------------------------------
# explorer
# ---------------------------------------------------------------------------------------------

class Explorer:
    """Pick a city, peer group, indicator and years; the chart and the standing update live.

    Works in a browser (ipywidgets) and headless: :meth:`render` draws the current selection
    as a static figure, so the notebook executes top to bottom under papermill/nbval.
    """

    def __init__(self, params: Params) -> None:
        from sckpi_helpers.indicators import engine
        from sckpi_helpers.store import build as ingest
        from sckpi_helpers.catalog import load_catalog

        build, _ = ensure_data(params)
        self.params = params
        self.catalog = load_catalog()
        self.panel = ingest.load_panel(build)
        self.areas = ingest.load_areas(build)
        adj = getattr(params.settings, "adjusted_population", None) if params.settings is not None else None
        self.results = engine.compute(self.panel, self.catalog, adjusted_population=adj)
        muni = self.areas[self.areas["level"].isin(["municipality", "ward"])]
        self.cities = [(f"{n}（{c}）", str(c)) for c, n in zip(muni["area_code"], muni["area_name"], strict=False)]
        have = set(self.results.loc[self.results["value"].notna(), "indicator_id"])
        self.indicators = [(f"{i.name_ja}", i.id) for i in engine.tier3_indicators(self.catalog, with_formula=True)
                           if i.id in have]
        ys = self.results["year"]
        self.year_range = (int(ys.min()), int(ys.max())) if len(ys) else (params.fiscal_year, params.fiscal_year)
        default_city = params.city_code if params.city_code in {c for _, c in self.cities} else \
            (self.cities[0][1] if self.cities else params.city_code)
        self.state = {"city": default_city, "peer_group": params.peer_group or "prefecture",
                      "indicator": self.indicators[0][1] if self.indicators else None,
                      "years": self.year_range}

    def figure(self, city: str, peer_group: str, indicator: str, years: tuple[int, int]):
        from sckpi_helpers.store.peer_groups import peer_group as members
        from sckpi_helpers.viz.plots import plot_timeseries_with_peers

        codes = members(self.areas, city, peer_group, self.panel)
        r = self.results[(self.results["year"] >= years[0]) & (self.results["year"] <= years[1])]
        return plot_timeseries_with_peers(r, indicator, city, codes, self.catalog), codes

    def standing(self, city: str, codes: list[str], indicator: str, year: int):
        from sckpi_helpers.indicators import peers

        cmp = peers.compare(self.results, self.catalog, city, year, codes)
        return cmp[cmp["indicator_id"] == indicator]

    def render(self, city: str | None = None, peer_group: str | None = None, indicator: str | None = None,
               years: tuple[int, int] | None = None) -> None:
        """Draw one selection (default: the current state) as a static figure and table."""
        st = {**self.state, **{k: v for k, v in {"city": city, "peer_group": peer_group, "indicator": indicator,
                                                  "years": years}.items() if v is not None}}
        self.state = st
        if not st["indicator"]:
            show_notice("表示できる指標がありません。")
            return
        try:
            fig, codes = self.figure(st["city"], st["peer_group"], st["indicator"], tuple(st["years"]))
        except SckpiError as exc:
            show_notice(str(exc), "warning")
            return
        show_figure(fig, params=None)
        row = self.standing(st["city"], codes, st["indicator"], int(st["years"][1]))
        show_table(row, status_col=(), columns={"name_ja": "指標", "year": "年", "value": "値", "unit": "単位",
                                                "rank": "順位", "n": "団体数", "deviation_score": "偏差値",
                                                "trend_ja": "傾向"},
                   empty="この年の値はありません。")

    def widgets(self):
        """The interactive UI (ipywidgets): controls + an output area updated on every change."""
        import ipywidgets as w

        city = w.Dropdown(options=self.cities, value=self.state["city"], description="都市")
        peer = w.Dropdown(options=[(peer_group_ja(s), s) for s in ("prefecture", "population_band",
                                                                    "municipal_type", "all")],
                          value=self.state["peer_group"] if self.state["peer_group"] in
                          ("prefecture", "population_band", "municipal_type", "all") else "prefecture",
                          description="比較対象")
        ind = w.Dropdown(options=self.indicators, value=self.state["indicator"], description="指標",
                         layout=w.Layout(width="95%"))
        yrs = w.IntRangeSlider(value=self.year_range, min=self.year_range[0], max=self.year_range[1], step=1,
                               description="年", continuous_update=False)

        def update(city, peer, ind, yrs):
            self.render(city, peer, ind, yrs)

        out = w.interactive_output(update, {"city": city, "peer": peer, "ind": ind, "yrs": yrs})
        return w.VBox([w.HBox([city, peer]), ind, yrs, out])
