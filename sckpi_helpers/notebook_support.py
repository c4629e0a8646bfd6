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

from .errors import SckpiError
from .style import STATUS_COLOURS, STATUS_JA

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
    from .style import use_japanese_font

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
    from .periods import PeriodError, parse_period

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
        from .settings import find_settings

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
        if v != 0 and (abs(v) >= 1e6 or abs(v) < 1e-3):
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
