"""The papermill parameters of a check notebook, validated: :func:`validate_parameters` → :class:`Params`.

One clear message lists every problem at once (:class:`ParameterError`); on success the notebook
is also set up (inline figures, the Japanese font, pandas display). The parameters themselves
are DESIGN.md's contract (city_code, period, logic_model_path, source, peer_group, lang, output_dir).
Stage 10 (notebook): imports stages 0–10.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sckpi_helpers.config.settings import SOURCES
from sckpi_helpers.errors import SckpiError

LANGS = ("ja", "en")


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


def _demo_codes() -> set[str]:
    """Area codes of the bundled fictional prefecture (``data/raw/demo/areas.csv``)."""
    import csv

    from sckpi_helpers.config import paths

    f = paths.demo_dir() / "areas.csv"
    if not f.is_file():
        return set()
    with f.open(encoding="utf-8-sig", newline="") as fh:
        return {str(r.get("area_code", "")).strip() for r in csv.DictReader(fh)}


def _default_source(settings: Any) -> str:
    """The source of a city's own settings; for a city without a ``settings.yaml``, the source of an
    existing processed build that includes it (``store.serving_settings``), else the settings default."""
    if getattr(settings, "base_dir", None) is None:
        from sckpi_helpers.store import processed

        owner = processed.serving_settings(settings, None)
        if getattr(owner, "base_dir", None) is not None:
            return str(owner.source)
    return str(getattr(settings, "source", "") or "")


def _source_problem(code: str, src: str, given: bool, settings: Any) -> str | None:
    """Why ``src`` cannot serve ``code`` (Japanese, naming what to set), or None: an unknown source,
    or the fictional demo data for a real city without settings of its own."""
    if src not in SOURCES:
        return (f"source '{src}' は使えません。{' | '.join(SOURCES)} のいずれかを指定してください "
                f"(source must be one of {', '.join(SOURCES)})")
    own = getattr(settings, "base_dir", None) is not None  # a city with its own settings chose its source
    if src == "demo" and not own and code not in _demo_codes():
        where = ("ノートブックの source パラメータ" if given else
                 f"source パラメータ（または data/raw/<フォルダ>/settings.yaml に city_code: \"{code}\" と source）")
        return (f"{code} は同梱のデモデータ（架空のサンプル県）にありません。{where}に実在の市区町村の"
                f"データ源（ssdse | estat-api | estat-csv）を設定してください (source 'demo' cannot serve {code})")
    return None


def validate_parameters(city_code: Any = "99201", period: Any = "2024", logic_model_path: Any = "",
                        source: Any = "", peer_group: Any = "", lang: Any = "ja", output_dir: Any = "",
                        *, setup: bool = True) -> Params:
    """Check the parameters cell; raise :class:`ParameterError` listing every problem at once.

    Empty ``source``, ``peer_group`` and ``logic_model_path`` come from the city's settings
    (:func:`sckpi_helpers.config.settings.find_settings`; a city without a ``settings.yaml`` gets the
    defaults of a settings-less city), so ``-p city_code 13101 -p period 2022`` is enough.
    """
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
    given_src = str(source or "").strip()
    lg = str(lang or "ja").strip()
    if lg not in LANGS:
        problems.append(f"lang '{lang}' must be one of {', '.join(LANGS)}")
    lm = Path(str(logic_model_path)).expanduser() if str(logic_model_path or "").strip() else None
    if lm is not None and not lm.is_file():
        problems.append(f"logic_model_path '{logic_model_path}' does not exist")
    out = Path(str(output_dir)).expanduser() if str(output_dir or "").strip() else None
    settings = None
    src = given_src
    if len(code) == 5 and code.isdigit():
        from sckpi_helpers.config.settings import find_settings

        try:
            settings = find_settings(code)
        except SckpiError as exc:
            problems.append(f"settings of {code}: {exc}")
    if settings is not None:
        src = given_src or _default_source(settings)
        why = _source_problem(code, src, bool(given_src), settings)
        if why:
            problems.append(why)
        if lm is None and getattr(settings, "logic_model", None):
            cand = Path(settings.resolve(settings.logic_model))
            if cand.is_file():
                lm = cand
            else:
                where = settings.base_dir / "settings.yaml" if settings.base_dir else f"settings of {code}"
                problems.append(f"{where}: logic_model: "
                                f"ファイルがありません (file not found): {cand}")
    elif given_src and given_src not in SOURCES:
        problems.append(_source_problem(code, given_src, True, None))
    if problems:
        raise ParameterError("notebook parameters are not usable:\n" + "\n".join(f"  - {x}" for x in problems))
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    params = Params(city_code=code, period=p, logic_model_path=lm, source=src,
                    peer_group=str(peer_group or getattr(settings, "peer_group", "") or "prefecture"),
                    lang=lg, output_dir=out, settings=settings)
    if setup:
        setup_notebook()
    return params
