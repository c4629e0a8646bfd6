"""The papermill parameters of a check notebook, validated: :func:`validate_parameters` → :class:`Params`.

One clear message lists every problem at once (:class:`ParameterError`); on success the notebook
is also set up (inline figures, the Japanese font, pandas display). The parameters themselves
are DESIGN.md's contract (city_code, period, logic_model_path, source, peer_group, lang, output_dir,
layout).
Stage 10 (notebook): imports stages 0–10.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sckpi_helpers.city import CityContext
from sckpi_helpers.config.periods import Period
from sckpi_helpers.config.settings import CitySettings
from sckpi_helpers.errors import SckpiError

LANGS = ("ja", "en")
#: a report set's layout (reports.lighten): ``light`` sets of a national run show the maps and time
#: series as links to the national pages and their data as tables, not as 1,741 more drawings
LIGHT = "light"
LAYOUTS = ("full", LIGHT)


class ParameterError(SckpiError, ValueError):
    """The notebook's parameters cannot be used; the message lists every problem."""


@dataclass
class Params:
    """Validated notebook parameters (what every check notebook works from)."""

    city_code: str
    period: Period
    logic_model_path: Path | None
    source: str
    peer_group: str
    lang: str
    output_dir: Path | None
    layout: str = "full"
    settings: CitySettings | None = None
    city: CityContext | None = None  # the one resolved city (every field above is read from it)
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
        return self.city.name_ja if self.city is not None else self.city_code


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
                        source: Any = "", peer_group: Any = "", lang: Any = "ja", output_dir: Any = "",
                        layout: Any = "full", *, setup: bool = True) -> Params:
    """Check the parameters cell; raise :class:`ParameterError` listing every problem at once.

    The city is resolved once here (:func:`sckpi_helpers.city.resolve_city`, the same function the
    command that started the notebook called): empty ``source``, ``peer_group`` and
    ``logic_model_path`` come from the city's settings or the build that serves it, so
    ``-p city_code 13101 -p period 2022`` is enough.
    """
    from sckpi_helpers.city import CityError, resolve_city

    problems: list[str] = []
    lg = str(lang or "ja").strip()
    if lg not in LANGS:
        problems.append(f"lang '{lang}' must be one of {', '.join(LANGS)}")
    lay = str(layout or "full").strip()
    if lay not in LAYOUTS:
        problems.append(f"layout '{layout}' must be one of {', '.join(LAYOUTS)}")
    out = Path(str(output_dir)).expanduser() if str(output_dir or "").strip() else None
    ctx = None
    try:
        ctx = resolve_city(city_code, str(period), source=str(source or "").strip() or None,
                           peer_group=str(peer_group or "").strip() or None,
                           logic_model_path=str(logic_model_path or "").strip() or None)
    except CityError as exc:
        problems += exc.problems
    except SckpiError as exc:
        problems.append(str(exc))
    if problems or ctx is None:
        raise ParameterError("notebook parameters are not usable:\n" + "\n".join(f"  - {x}" for x in problems))
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    params = Params(city_code=ctx.code, period=ctx.period, logic_model_path=ctx.logic_model_path,
                    source=ctx.source, peer_group=ctx.peer_group.spec, lang=lg, output_dir=out, layout=lay,
                    settings=ctx.settings, city=ctx)
    if setup:
        setup_notebook()
    return params
