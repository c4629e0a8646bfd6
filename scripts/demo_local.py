"""Local KPI data of the demo city サンプル市 (99201, fictional) for its logic model.

``make_local_frame(seed)`` returns, for every local indicator of ``data/raw/demo/logic_model.yaml``
(outputs, tiers 1–2, the foundation measure's tier 3), 8 fiscal quarters 2023Q1–2024Q4 for quarterly
indicators and fiscal years 2023–2024 for yearly ones, in the local-data layout
``area_code, indicator_id, period, value, unit, source, note``. The values tell the stories of the
logic model (seeded noise on top):

- env_course: attendance grows ahead of plan; understanding stays flat around its baseline of 42 %
  → 事業の取組内容の軌道修正 (the seminar's example).
- ondemand: registrations, trips and the elderly outing rate all run ahead of the linear path.
- watch_cam: camera installation lags far behind plan (procurement delays) → execution problem.
- opendata: datasets and catalogue accesses on track — the access log is missing for 2023Q3
  (log-server migration), so that quarter is no_data — but use cases barely grow → Check❸.

Importable with ``scripts/`` on ``sys.path`` (``from demo_local import make_local_frame``); no side
effects on import. Run it directly to print the frame.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

AREA_CODE = "99201"
QUARTERS = [f"{y}Q{q}" for y in (2023, 2024) for q in (1, 2, 3, 4)]
YEARS = ["2023", "2024"]
COLUMNS = ["area_code", "indicator_id", "period", "value", "unit", "source", "note"]
#: the quarter whose value is missing (no_data in the KPI table)
MISSING = ("it.od_catalog_access", "2023Q3")


def _cumulative(rng: np.random.Generator, start: float, per_step: float, n: int, sd: float) -> list[float]:
    """Cumulative counts growing ``per_step`` a period with noise, never decreasing."""
    vals, total = [], start
    for _ in range(n):
        total += max(0.0, per_step + rng.normal(0, sd))
        vals.append(round(total))
    return vals


def _series(rng: np.random.Generator) -> dict[str, tuple[str, str, list[str], list[float | None], str | None]]:
    """indicator id → (unit, source, periods, values, note)."""
    k = np.arange(1, 9)
    out: dict[str, tuple[str, str, list[str], list[float | None], str | None]] = {}

    # (a) environment course — attendance ahead of the 75/quarter path, understanding flat at ~42 %
    out["env.course_participants"] = ("人", "環境政策課 受講者名簿", QUARTERS,
                                      _cumulative(rng, 0, 82, 8, 4), None)
    out["env.warming_understanding"] = ("%", "市民Webアンケート（四半期）", QUARTERS,
                                        [round(42 + rng.normal(0, 0.5), 1) for _ in k], None)
    out["env.household_power"] = ("kWh/世帯", "電力会社 検針データ（受講世帯）", YEARS,
                                  [round(4300 - 8 + rng.normal(0, 5)), round(4300 - 14 + rng.normal(0, 5))], None)

    # (b) on-demand transport — every tier ahead of its linear path
    out["mob.ondemand_registered"] = ("人", "運行事業者 予約システム", QUARTERS,
                                      _cumulative(rng, 0, 410, 8, 20), None)
    out["mob.ondemand_trips"] = ("回", "運行事業者 運行記録", QUARTERS,
                                 [round(1650 * q + rng.normal(0, 120)) for q in k], None)
    out["t2.transport.outing_rate"] = ("%", "高齢者生活実態調査", YEARS,
                                       [round(63.9 + rng.normal(0, 0.2), 1), round(65.6 + rng.normal(0, 0.2), 1)],
                                       None)

    # (c) watch cameras — installation far behind 200 by 2024Q4
    out["sec.cameras_installed"] = ("台", "危機管理課 設置台帳", QUARTERS, _cumulative(rng, 20, 8.5, 8, 2),
                                    "機器調達の遅れ")
    out["sec.school_route_coverage"] = ("%", "危機管理課 GIS算定", QUARTERS,
                                        [round(10 + 2.2 * q + rng.normal(0, 0.3), 1) for q in k], None)
    out["t2.disaster.feel_safe"] = ("%", "市民意識調査", YEARS,
                                    [round(61.3 + rng.normal(0, 0.2), 1), round(61.6 + rng.normal(0, 0.2), 1)], None)

    # (d) open data — outputs and accesses on track (one quarter missing), use cases lag
    out["it.od_datasets"] = ("件", "デジタル推進課 カタログサイト", QUARTERS, _cumulative(rng, 40, 11, 8, 1.5), None)
    access: list[float | None] = [round(3000 + 850 * q + rng.normal(0, 90)) for q in k]
    access[QUARTERS.index(MISSING[1])] = None
    out["it.od_catalog_access"] = ("件", "カタログサイトのアクセスログ", QUARTERS, access, None)
    out["it.od_use_cases"] = ("件", "デジタル推進課 事例調査", YEARS, [3, 4], None)
    out["it.platform_services"] = ("件", "デジタル推進課 都市OS運用記録", YEARS, [4, 5], None)
    return out


def make_local_frame(seed: int = 7) -> pd.DataFrame:
    """The demo city's local KPI data (see module doc); deterministic for a given ``seed``.

    The missing quarter (:data:`MISSING`) is left out as a row, as a city's sheet would leave it.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for ind, (unit, source, periods, values, note) in _series(rng).items():
        for p, v in zip(periods, values, strict=True):
            if v is None:
                continue
            rows.append({"area_code": AREA_CODE, "indicator_id": ind, "period": p, "value": float(v),
                         "unit": unit, "source": source, "note": note})
    return pd.DataFrame(rows, columns=COLUMNS)


if __name__ == "__main__":  # pragma: no cover
    pd.set_option("display.width", 200)
    print(make_local_frame().to_string(index=False))
