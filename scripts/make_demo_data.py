"""Write the bundled demo data: the fictional prefecture サンプル県 (code 99) under data/raw/demo/.

Seeded and deterministic: running it twice gives the same bytes. It writes the raw files in the
formats the kit reads from real sources, so ``sckpi ingest --source demo`` exercises the real code
paths offline:

- ``estat_api/`` — e-Stat API v3 getStatsData JSON pages for SSDS tables 0000020201 (A 人口・世帯,
  two pages joined by NEXT_KEY) and 0000020209 (I 健康・医療), written by the kit's own
  :class:`~sckpi_helpers.estat.EstatClient` through a stand-in for the HTTP session, i.e. exactly
  the cache a real run leaves for the requests ``ingest(source='demo')`` makes;
- ``ssds_municipal.csv`` — an SSDS CSV download (CP932, title rows, ``2020年度``, thousands
  separators, marks X / - / ***) for categories B, C, D, F, H, J, K;
- ``external_statistics.csv`` — police, election commission, MHLW, MOE, tourism… (external layout);
- ``local_data.xlsx`` — the demo city's local data (``scripts/demo_local.make_local_frame``) in the
  template layout of ``sckpi template``;
- ``areas.csv`` (names and municipal types), ``mergers.csv`` (one village merged in 2016).

``README.md``, ``settings.yaml`` and ``logic_model.yaml`` are written by hand (:data:`HAND_WRITTEN`).
tests/test_demo_data.py runs this script into a temporary folder and compares every file it writes
with the bundled one, so the bundled data cannot drift from its source.

Usage: ``.venv/bin/python scripts/make_demo_data.py [--out DIR]``
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "data" / "raw" / "demo"
#: bundled demo files written by hand, not by this script
HAND_WRITTEN = ("README.md", "settings.yaml", "logic_model.yaml")
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from sckpi_helpers import atomic
from sckpi_helpers.sources.areas import to_lg_code

SEED = 20240401
YEARS = list(range(2010, 2025))
CENSUS = (2010, 2015, 2020)
HOUSING = (2013, 2018, 2023)          # 住宅・土地統計調査
ECON_CENSUS = (2012, 2014, 2016, 2021)  # 経済センサス
DOCTOR_YEARS = tuple(range(2010, 2025, 2))  # 医師・歯科医師・薬剤師統計 (biennial)
ELECTIONS = (2012, 2014, 2017, 2021, 2024)  # 衆議院議員総選挙
PREF_CODE, PREF_NAME = "99", "サンプル県"

# code, name, type, population 2010, yearly growth, commuting (inflow share, outflow share),
# urban-ness 0..1, 二次医療圏
MUNIS: list[tuple[str, str, str, int, float, tuple[float, float], float, str]] = [
    ("99201", "サンプル市", "core_city", 404_800, 0.0005, (0.14, 0.08), 1.0, "中央"),
    ("99202", "北浜市", "city", 148_300, -0.002, (0.10, 0.12), 0.8, "北部"),
    ("99203", "南山市", "city", 121_500, -0.004, (0.09, 0.13), 0.7, "南部"),
    ("99204", "東原市", "city", 96_200, 0.002, (0.08, 0.22), 0.7, "中央"),
    ("99205", "西川市", "city", 78_400, -0.005, (0.08, 0.14), 0.6, "南部"),
    ("99206", "青葉市", "city", 64_900, 0.003, (0.07, 0.27), 0.65, "中央"),
    ("99207", "若葉市", "city", 52_300, -0.006, (0.07, 0.15), 0.5, "北部"),
    ("99208", "緑川市", "city", 45_100, -0.008, (0.06, 0.16), 0.45, "南部"),
    ("99209", "桜台市", "city", 39_600, -0.007, (0.07, 0.20), 0.45, "中央"),
    ("99210", "朝日市", "city", 35_800, -0.009, (0.06, 0.14), 0.4, "北部"),
    ("99211", "港南市", "city", 33_400, -0.010, (0.05, 0.12), 0.4, "南部"),
    ("99212", "高原市", "city", 31_200, -0.012, (0.05, 0.11), 0.3, "北部"),
    ("99301", "海辺町", "town", 19_600, -0.008, (0.06, 0.30), 0.35, "中央"),
    ("99302", "山手町", "town", 16_300, -0.010, (0.05, 0.28), 0.3, "北部"),
    ("99303", "中川町", "town", 14_100, -0.009, (0.05, 0.26), 0.3, "中央"),
    ("99304", "川上町", "town", 12_200, -0.013, (0.05, 0.22), 0.25, "南部"),
    ("99305", "本郷町", "town", 10_400, -0.012, (0.05, 0.24), 0.25, "南部"),
    ("99306", "花園町", "town", 9_100, -0.014, (0.04, 0.20), 0.2, "北部"),
    ("99307", "松原町", "town", 7_800, -0.015, (0.04, 0.22), 0.2, "中央"),
    ("99308", "大野町", "town", 6_500, -0.016, (0.04, 0.18), 0.15, "北部"),
    ("99309", "岩田町", "town", 5_200, -0.017, (0.04, 0.17), 0.15, "南部"),
    ("99310", "森下町", "town", 4_100, -0.018, (0.04, 0.16), 0.1, "北部"),
    ("99311", "石橋町", "town", 3_300, -0.019, (0.03, 0.15), 0.1, "南部"),
    ("99312", "白浜町", "town", 2_600, -0.020, (0.03, 0.14), 0.1, "南部"),
    ("99361", "星川村", "village", 3_900, -0.018, (0.03, 0.18), 0.05, "北部"),
    ("99362", "雲井村", "village", 2_800, -0.020, (0.03, 0.15), 0.05, "北部"),
    ("99363", "千草村", "village", 2_200, -0.021, (0.03, 0.14), 0.05, "南部"),
    ("99364", "湖月村", "village", 1_800, -0.022, (0.03, 0.12), 0.05, "北部"),
    ("99365", "峰原村", "village", 1_400, -0.024, (0.02, 0.10), 0.0, "南部"),
]
#: 小滝村 merged into 本郷町 on 2016-04-01; e-Stat's re-aggregated tables already count it in 99305,
#: the prefectural police published it separately until FY2015
MERGED = ("99366", "小滝村", "99305", "2016-04-01", 0.16)  # old code, name, new code, date, share
CITY = "99201"
MEDICAL_AREAS = {"中央": 4, "北部": 2, "南部": 2}  # 災害拠点病院 per 二次医療圏


def lg_code(code5: str) -> str:
    """6-digit 全国地方公共団体コード."""
    return to_lg_code(code5)


# ---------------------------------------------------------------------------------- the model
class Demo:
    """Every series of every area: values[(area, variable)] = {year: value or mark}."""

    def __init__(self, seed: int = SEED) -> None:
        self.rng = np.random.default_rng(seed)
        self.values: dict[tuple[str, str], dict[int, float | str]] = {}
        self.build()

    def put(self, area: str, var: str, year: int, value: float | str) -> None:
        self.values.setdefault((area, var), {})[year] = value

    def has(self, var: str) -> bool:
        """Whether the demo models ``var`` for some area."""
        return any(v == var for _area, v in self.values)

    def noise(self, sd: float) -> float:
        return float(self.rng.normal(0.0, sd))

    def build(self) -> None:
        for code, _name, _kind, pop0, growth, (inflow, outflow), urban, _area in MUNIS:
            self.build_one(code, pop0, growth, inflow, outflow, urban)

    def build_one(self, code: str, pop0: int, growth: float, inflow: float, outflow: float,
                  urban: float) -> None:
        rng = self.rng
        put = lambda var, y, v: self.put(code, var, y, v)
        pop: dict[int, float] = {}
        p = float(pop0)
        for y in YEARS:
            # growth turns more negative after 2015; covid years add a small dip
            g = growth - (0.003 if y >= 2016 else 0.0) * (1 - urban * 0.6) - (0.002 if y in (2020, 2021) else 0)
            if y > YEARS[0]:
                p *= 1 + g + self.noise(0.0008)
            pop[y] = p
            put("A2301", y, round(p))
        old = 0.22 + 0.16 * (1 - urban)   # 65+ share in 2010
        kids = 0.14 - 0.03 * (1 - urban)
        t = lambda y: (y - 2010) / 10
        for y in YEARS:
            pp = pop[y]
            # counts are never negative (catalog.ranges would treat a negative count as an error)
            put("A4101", y, max(0, round(pp * (0.0085 - 0.003 * (1 - urban) - 0.00025 * (y - 2010))
                                     + self.noise(3))))
            put("A4200", y, max(0, round(pp * (0.0085 + 0.008 * (1 - urban) + 0.0002 * (y - 2010))
                                     + self.noise(3))))
            mig = 0.035 * (0.5 + urban * 0.7)
            put("A5103", y, round(pp * mig * (1 + growth * 8) + self.noise(pp * 0.001)))
            put("A5104", y, round(pp * mig * (1 - growth * 8) + self.noise(pp * 0.001)))
        for y in CENSUS:
            cp = round(pop[y] * (0.985 + 0.01 * urban + self.noise(0.003)))
            put("A1101", y, cp)
            s65 = old + 0.045 * t(y) * 2 + self.noise(0.004)
            s15 = kids - 0.012 * t(y) * 2 + self.noise(0.003)
            u15 = round(cp * s15)
            o65 = round(cp * s65)
            put("A1301", y, u15)
            put("A1303", y, o65)
            put("A1302", y, cp - u15 - o65 - round(cp * 0.004))  # 年齢不詳
            put("A1405", y, round(u15 * (0.372 - 0.012 * t(y)) + self.noise(5)))  # 0～5歳人口
            inf = round(cp * (inflow + self.noise(0.003)))
            outf = round(cp * (outflow + self.noise(0.003)))
            # 流入 = A6105 (県内他市区町村から) + A6106 (他県から); 流出 = A6103 + A6104
            put("A6105", y, round(inf * 0.8))
            put("A6106", y, inf - round(inf * 0.8))
            put("A6103", y, round(outf * 0.8))
            put("A6104", y, outf - round(outf * 0.8))
            day = cp + inf - outf
            put("A6107", y, day)
            put("A6108", y, round(day / cp * 100, 1))
            put("A7101", y, round(cp / (2.25 + 0.55 * (1 - urban) - 0.05 * t(y) * 2)))
            # F 労働 (census)
            p15 = cp - u15
            lf_rate = 0.60 - 0.05 * (1 - urban) - 0.01 * t(y)
            lf = round(p15 * lf_rate)
            unemp = round(lf * (0.055 - 0.015 * t(y) + self.noise(0.004)))
            emp = lf - unemp
            put("F1101", y, lf)
            put("F1108", y, p15 - lf)  # 非労働力人口 (労働力状態「不詳」なし)
            put("F1102", y, emp)
            put("F1107", y, unemp)
            male = round(emp * (0.56 - 0.01 * t(y)))
            put("F110201", y, male)
            put("F110202", y, emp - male)
            prim = round(emp * (0.02 + 0.10 * (1 - urban)))
            sec = round(emp * (0.27 - 0.07 * urban))
            put("F2201", y, prim)
            put("F2211", y, sec)
            put("F2221", y, emp - prim - sec - round(emp * 0.02))  # 2 % 分類不能
            m15 = round(p15 * 0.48)
            put("X.population_15plus_male", y, m15)
            put("X.population_15plus_female", y, p15 - m15)
            put("X.population_18_24", y, round(cp * (0.075 * (0.6 + 0.5 * urban) - 0.004 * t(y))))
            if y in (2010, 2020):  # 最終卒業学校 asked in 2010 and 2020
                p2564 = round(cp * (0.52 - 0.03 * t(y)))
                p25 = round(cp * (0.76 + 0.02 * t(y)))
                tert = 0.30 + 0.25 * urban + 0.05 * t(y) + self.noise(0.01)
                put("X.population_25_64", y, p2564)
                put("X.tertiary_graduates_25_64", y, round(p2564 * tert))
                put("X.population_25plus", y, p25)
                put("X.bachelor_graduates_25plus", y, round(p25 * (tert * 0.55 - 0.02)))
            # land use (農林業センサス / 国土数値情報)
        area_ha = round(pop0 ** 0.55 * (14 + 40 * (1 - urban)) + rng.uniform(500, 1500))
        forest = 0.20 + 0.6 * (1 - urban)
        for y in YEARS:
            put("B1101", y, area_ha)
            put("B1103", y, round(area_ha * (1 - forest) * 0.97))
        for y in CENSUS:
            put("B1105", y, round(area_ha * forest * (1 - 0.004 * t(y))))
            put("X.tree_cover_area", y, round(area_ha * (forest + 0.04) * (1 - 0.006 * t(y))))
        # C 経済基盤
        for y in ECON_CENSUS:
            put("C2108", y, round(pop[y] * (0.045 + 0.01 * urban) * (1 - 0.01 * (y - 2012))))
        # D 行政基盤 (千円)
        for y in YEARS:
            pp = pop[y]
            put("D320101", y, round(pp * (118 + 50 * urban) * (1 + 0.008 * (y - 2010)) + self.noise(pp * 2)))
            put("D3205", y, round(pp * (420 + 300 * (1 - urban)) * (1 - 0.01 * (y - 2010))
                                  + self.noise(pp * 5)))
        # H 居住 (not tabulated for municipalities under 15,000)
        for y in HOUSING:
            if pop[y] >= 15_000:
                hh = pop[y] / (2.3 + 0.4 * (1 - urban))
                put("H1101", y, round(hh * 0.97, -1))
                put("H2130", y, round(82 + 40 * (1 - urban) + 1.5 * (y - 2013) / 5 + self.noise(1), 2))
                put("H2110", y, round(4.1 + 1.3 * (1 - urban) + self.noise(0.05), 2))
                put("X.household_members_in_dwellings", y, round(hh * 0.97 * (2.3 + 0.4 * (1 - urban))))
                put("X.household_income_median", y, round(440 - 80 * (1 - urban) + self.noise(8)))
                put("X.commute_time_mean", y, round(22 + 8 * urban + self.noise(1), 1))
            elif code == "99311" and y == 2018:
                put("H1101", y, "***")
        # I 健康・医療
        for y in YEARS:
            pp = pop[y]
            hosp = max(0, round(pp / 16_000 * (0.7 + 0.4 * urban) + self.noise(0.4)))
            put("I510120", y, hosp)
            put("I5102", y, max(0, round(pp * (0.00075 + 0.0002 * urban) + self.noise(1))))
        for y in DOCTOR_YEARS:
            put("I6100", y, max(0, round(pop[y] * (0.0009 + 0.0022 * urban ** 1.5) * (1 + 0.01 * (y - 2010))
                                         + self.noise(1))))
        # J 福祉
        for y in YEARS:
            pp = pop[y]
            put("J250302", y, max(1, round(pp / 2_600 * (1 + 0.025 * (y - 2010)) + self.noise(0.5))))
            # 介護老人福祉施設数: J230121 (詳細票) to 2017, J230127 (基本票) from 2018
            put("J230121" if y <= 2017 else "J230127", y,
                max(0, round(pp * (old + 0.01 * (y - 2010)) / 2_300 + self.noise(0.4))))
        # K 安全 and the police's own series (external), crime and accidents per 1,000
        crime_rate = (0.0045 + 0.0045 * urban)
        acc_rate = (0.0035 + 0.0015 * urban)
        for y in YEARS:
            pp = pop[y]
            trend_c = 1 - 0.055 * min(y - 2010, 11) + 0.04 * max(0, y - 2021)
            trend_a = 1 - 0.055 * (y - 2010) + (0.0 if y < 2022 else 0.01)
            crimes = max(0, round(pp * crime_rate * trend_c + self.noise(math.sqrt(pp * 0.005))))
            acc = max(0, round(pp * acc_rate * trend_a + self.noise(math.sqrt(pp * 0.004))))
            deaths = int(rng.poisson(pp * 0.000035 * (1.4 - 0.5 * urban) * (1 - 0.03 * (y - 2010))))
            put("P.crimes_recognised", y, crimes)
            put("P.traffic_accidents", y, acc)
            put("P.traffic_deaths", y, deaths)
            if y <= 2011:  # SSDS's municipal series (older method, slightly different counts)
                put("K4201", y, round(crimes * 1.03))
                put("K3101", y, round(acc * 0.98))
                put("K3103", y, deaths)
        # external: election, life tables, tourism, MOE CO2 and waste, cars, GRP, transit
        for y in ELECTIONS:
            base = {2012: 59.3, 2014: 52.7, 2017: 53.7, 2021: 55.9, 2024: 53.9}[y]
            put("E.turnout", y, round(base + 8 * (1 - urban) - 3 * urban + self.noise(1.5), 2))
        for y in CENSUS:
            put("E.life_expectancy", y, round(83.4 + 0.9 * urban + 0.09 * (y - 2010) + self.noise(0.3), 1))
        vis = (3.0e6 * urban + 2.5e5) * (1 + rng.uniform(-0.3, 0.6))
        for y in YEARS:
            f = 1 + 0.02 * (y - 2010)
            if y == 2020:
                f *= 0.55
            elif y == 2021:
                f *= 0.65
            elif y == 2022:
                f *= 0.85
            put("E.visitors_annual", y, round(vis * f * (1 + self.noise(0.03)), -2))
        ind_share = rng.uniform(0.6, 1.6)
        for y in YEARS:  # (the real カルテ lags about two years; the demo does not)
            pp = pop[y] / 1000
            d = 1 - 0.018 * (y - 2013) if y > 2013 else 1 + 0.01 * (y - 2013)
            put("E.co2_industry", y, round(pp * 2.6 * ind_share * d * (1 + self.noise(0.03)), 1))
            put("E.co2_residential", y, round(pp * 1.55 * d * (1 + self.noise(0.02)), 1))
            put("E.co2_commercial", y, round(pp * 1.35 * (0.6 + 0.6 * urban) * d * (1 + self.noise(0.02)), 1))
            put("E.co2_transport", y, round(pp * 1.65 * (1.3 - 0.4 * urban) * (1 - 0.008 * (y - 2010)), 1))
            put("E.co2_non_energy", y, round(pp * 0.10 * (1 + self.noise(0.05)), 1))
        for y in YEARS:  # 一般廃棄物処理実態調査
            pp = pop[y]
            total = pp * 0.330 * (1 - 0.008 * (y - 2010)) * (1 + self.noise(0.02))
            rec = 0.19 + 0.04 * rng.random() + 0.002 * (y - 2010)
            put("E.waste_total", y, round(total))
            put("E.waste_recycled", y, round(total * rec))
            put("E.waste_group_collection", y, round(total * 0.03 * (1 + 0.5 * urban)))
            put("E.waste_management_cost", y, round(pp * (11.5 + 3 * (1 - urban)) * (1 + 0.01 * (y - 2010))))
        for y in YEARS:
            put("E.cars_registered", y, round(pop[y] * (0.58 + 0.35 * (1 - urban)) * (1 + 0.003 * (y - 2010)), -1))
        for y in YEARS:
            put("E.gross_municipal_product", y, round(pop[y] * (3.4 + 1.2 * urban) * (1 + 0.006 * (y - 2010))))
        for y in (2015, 2020):
            put("E.population_near_transit", y, round(pop[y] * (0.35 + 0.5 * urban)))


# ---------------------------------------------------------------------------------- catalog
def catalog_items() -> dict[str, dict]:
    """SSDS item code → {input id, stats_data_id, name, unit} from the catalog's inputs."""
    from sckpi_helpers.catalog import load_catalog

    cat = load_catalog()
    out = {}
    for iid, var in cat.inputs.items():
        for s in var.sources:
            if s.kind == "estat" and s.stats_data_id:
                for code, name in s.published_names.items():
                    out.setdefault(code, {"input": iid, "sid": s.stats_data_id, "name": name,
                                          "unit": var.unit})
    return out


def input_units() -> dict[str, str]:
    from sckpi_helpers.catalog import load_catalog

    return {iid: v.unit for iid, v in load_catalog().inputs.items()}


# ---------------------------------------------------------------------------------- e-Stat API
TABLE_TITLES = {"0000020201": "Ａ　人口・世帯", "0000020209": "Ｉ　健康・医療"}
NOTES = [{"@char": "***", "$": "該当数値がないもの"}, {"@char": "-", "$": "数値が得られないもの"},
         {"@char": "X", "$": "数値が秘匿されているもの"}]
PAGE_SIZE = 2000  # the stand-in server's page size, so table A spans two pages (NEXT_KEY)
#: a few cells published as marks instead of numbers (declared in DATA_INF.NOTE)
API_MARKS = {("0000020209", "I6100", "99365", 2016): "X", ("0000020209", "I6100", "99364", 2018): "X",
             ("0000020209", "I5102", "99363", 2012): "-", ("0000020201", "A6108", "99365", 2010): "-"}


def full_name(code: str) -> str:
    name = next(m[1] for m in MUNIS if m[0] == code)
    return f"{PREF_NAME} {name}"


def table_records(demo: Demo, sid: str, items: dict[str, dict], areas: list[str]) -> tuple[list, list]:
    """(cat01 CLASS list, VALUE list) of one SSDS table, in e-Stat's order (cat01, area, time)."""
    codes = sorted(c for c, it in items.items() if it["sid"] == sid and demo.has(c))
    classes, values = [], []
    for item in codes:
        unit = items[item]["unit"]
        classes.append({"@code": item, "@name": f"{item}_{items[item]['name']}", "@level": "1",
                        "@unit": unit})
        for area in areas:
            series = demo.values.get((area, item), {})
            for y in sorted(series):
                v = API_MARKS.get((sid, item, area, y), series[y])
                values.append({"@tab": "00001", "@cat01": item, "@area": area, "@time": f"{y}100000",
                               "@unit": unit, "$": v if isinstance(v, str) else _num(v)})
    return classes, values


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))


class StandInServer:
    """A stand-in for requests.Session that answers getStatsData like e-Stat would."""

    def __init__(self, demo: Demo, items: dict[str, dict]) -> None:
        self.demo, self.items = demo, items
        self.calls = 0

    def get(self, url: str, params: dict, timeout: float | None = None) -> _Response:
        self.calls += 1
        endpoint = urlparse(url).path.rsplit("/", 1)[-1]
        if endpoint != "getStatsData":
            raise AssertionError(f"demo server: unexpected endpoint {endpoint}")
        sid = params["statsDataId"]
        areas = params["cdArea"].split(",") if "cdArea" in params else [m[0] for m in MUNIS]
        classes, values = table_records(self.demo, sid, self.items, areas)
        if "cdCat01" in params:
            want = set(params["cdCat01"].split(","))
            values = [v for v in values if v["@cat01"] in want]
            classes = [c for c in classes if c["@code"] in want]
        start = int(params.get("startPosition", 1))
        limit = min(int(params.get("limit", 100_000)), PAGE_SIZE)
        page = values[start - 1:start - 1 + limit]
        total = len(values)
        result_inf = {"TOTAL_NUMBER": total, "FROM_NUMBER": start, "TO_NUMBER": start + len(page) - 1}
        if start - 1 + limit < total:
            result_inf["NEXT_KEY"] = start + limit
        years = sorted({int(v["@time"][:4]) for v in values})
        body = {"GET_STATS_DATA": {
            "RESULT": {"STATUS": 0, "ERROR_MSG": "正常に終了しました。",
                       "DATE": "2025-06-20T10:00:00.000+09:00"},
            "PARAMETER": {"LANG": "J", "STATS_DATA_ID": sid,
                          "NARROWING_COND": {"CODE_AREA_SELECT": ",".join(areas)},
                          "DATA_FORMAT": "J", "START_POSITION": start, "LIMIT": int(params.get("limit", 100_000)),
                          "METAGET_FLG": params.get("metaGetFlg", "Y"), "CNT_GET_FLG": params.get("cntGetFlg", "N"),
                          "REPLACE_SP_CHARS": int(params.get("replaceSpChars", 0))},
            "STATISTICAL_DATA": {
                "RESULT_INF": result_inf,
                "TABLE_INF": {
                    "@id": sid, "STAT_NAME": {"@code": "00200502", "$": "社会・人口統計体系"},
                    "GOV_ORG": {"@code": "00200", "$": "総務省"},
                    "STATISTICS_NAME": "市区町村データ 基礎データ（廃置分合処理済）",
                    "TITLE": {"@no": sid, "$": TABLE_TITLES.get(sid, sid)}, "CYCLE": "年度次",
                    "SURVEY_DATE": 0, "OPEN_DATE": "2025-06-20", "SMALL_AREA": 0,
                    "COLLECT_AREA": "該当なし", "MAIN_CATEGORY": {"@code": "99", "$": "その他"},
                    "SUB_CATEGORY": {"@code": "99", "$": "その他"}, "OVERALL_TOTAL_NUMBER": total,
                    "UPDATED_DATE": "2025-06-20",
                    "DESCRIPTION": "架空のデモデータ（サンプル県は実在しません）/ fictional demo data"},
                "CLASS_INF": {"CLASS_OBJ": [
                    {"@id": "tab", "@name": "観測値",
                     "CLASS": {"@code": "00001", "@name": "観測値", "@level": ""}},
                    {"@id": "cat01", "@name": TABLE_TITLES.get(sid, sid), "CLASS": classes},
                    {"@id": "area", "@name": "地域", "CLASS": [
                        {"@code": a, "@name": full_name(a), "@level": "2", "@parentCode": f"{PREF_CODE}000"}
                        for a in areas]},
                    {"@id": "time", "@name": "調査年", "CLASS": [
                        {"@code": f"{y}100000", "@name": f"{y}年度", "@level": "1"} for y in years]},
                ]},
                "DATA_INF": {"NOTE": NOTES, "VALUE": page},
            }}}
        return _Response(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


class _Response:
    status_code = 200

    def __init__(self, content: bytes) -> None:
        self.content = content
        self.text = content.decode("utf-8")

    def json(self) -> dict:
        return json.loads(self.content)


def write_api_cache(out: Path, demo: Demo, items: dict[str, dict]) -> int:
    """Let the kit's EstatClient fetch the demo's requests from the stand-in server."""
    from sckpi_helpers.sources.estat_api import EstatClient
    from sckpi_helpers.store.items import demo_api_requests, fetch_api

    cache = out / "estat_api"
    if cache.exists():
        for f in cache.rglob("*.json"):
            f.unlink()
    server = StandInServer(demo, items)
    client = EstatClient(app_id="demo-not-a-real-appid", cache_dir=cache, session=server, retries=0)
    areas = [m[0] for m in MUNIS]
    fetch_api(client, demo_api_requests(areas))
    return server.calls


# ---------------------------------------------------------------------------------- SSDS CSV
CSV_CATEGORIES = ("B", "C", "D", "F", "H", "J", "K")
CSV_MARKS = {("I", "x"): "X"}  # placeholder (no I in the CSV)


def write_ssds_csv(path: Path, demo: Demo, items: dict[str, dict]) -> None:
    # like a real download, only the items asked for: those the demo models (a catalog item the
    # demo does not model adds no empty column, so the bundled bytes follow the model, not the catalog)
    codes = sorted(c for c, it in items.items()
                   if c[0] in CSV_CATEGORIES and it["sid"] not in TABLE_TITLES and demo.has(c))
    header = ["調査年 コード", "調査年", "地域 コード", "地域"]
    for c in codes:
        unit = items[c]["unit"].replace("m²", "㎡")  # as SSDS writes it (and CP932 can encode)
        header += [f"{c}_{items[c]['name']}【{unit}】", "注釈"]
    lines = [
        ["社会・人口統計体系 市区町村データ 基礎データ（廃置分合処理済）"],
        ["※ 架空のデモデータです。サンプル県（コード99）は実在しません。/ fictional demo data"],
        ["出典：総務省統計局「統計でみる市区町村のすがた」の形式を模したもの"],
        ["「X」秘匿、「-」数値が得られないもの、「***」該当数値がないもの"],
        [],
        header,
    ]
    for y in sorted(YEARS, reverse=True):
        for code, *_ in MUNIS:
            row = [f"{y}100000", f"{y}年度", code, full_name(code)]
            any_value = False
            for c in codes:
                v = demo.values.get((code, c), {}).get(y)
                note = ""
                if v is None:
                    cell = ""
                elif isinstance(v, str):
                    cell = v
                    any_value = True
                else:
                    any_value = True
                    cell = f"{v:,.0f}" if float(v).is_integer() else f"{v:,.2f}"
                    if c == "D3205" and code == "99365" and y == 2015:
                        cell = "X"
                    if c == "J230127" and code == "99364" and y == 2019:
                        cell, note = "-", "調査票未回収"
                row += [cell, note]
            if any_value:
                lines.append(row)
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    w.writerows(lines)
    atomic.atomic_write_bytes(path, buf.getvalue().encode("cp932"))


# ---------------------------------------------------------------------------------- external
PUBLISHERS: dict[str, tuple[str, Callable[[int], str]]] = {
    "crimes_recognised": ("サンプル県警察 市区町村別刑法犯認知件数", lambda y: f"{y + 1}-03-10"),
    "traffic_accidents": ("サンプル県警察 市区町村別交通事故発生状況（人身事故件数）", lambda y: f"{y + 1}-02-20"),
    "traffic_deaths": ("サンプル県警察 市区町村別交通事故死者数（24時間死者）", lambda y: f"{y + 1}-02-20"),
    "turnout": ("サンプル県選挙管理委員会 衆議院議員総選挙（小選挙区）市区町村別投票率",
                lambda y: f"{y}-12-20"),
    "life_expectancy": ("厚生労働省 市区町村別生命表（男女の平均余命0歳の平均）", lambda y: f"{y + 2}-07-30"),
    "visitors_annual": ("サンプル県観光振興課 観光入込客統計（共通基準）", lambda y: f"{y + 1}-09-30"),
    "co2_industry": ("環境省 自治体排出量カルテ（部門別CO2排出量の現況推計）", lambda y: f"{y + 1}-12-20"),
    "co2_residential": ("環境省 自治体排出量カルテ（部門別CO2排出量の現況推計）", lambda y: f"{y + 1}-12-20"),
    "co2_commercial": ("環境省 自治体排出量カルテ（部門別CO2排出量の現況推計）", lambda y: f"{y + 1}-12-20"),
    "co2_transport": ("環境省 自治体排出量カルテ（部門別CO2排出量の現況推計）", lambda y: f"{y + 1}-12-20"),
    "co2_non_energy": ("環境省 自治体排出量カルテ（一般廃棄物の焼却に伴うCO2）", lambda y: f"{y + 1}-12-20"),
    "waste_total": ("環境省 一般廃棄物処理実態調査（ごみ総排出量）", lambda y: f"{y + 1}-12-26"),
    "waste_recycled": ("環境省 一般廃棄物処理実態調査（総資源化量）", lambda y: f"{y + 1}-12-26"),
    "waste_group_collection": ("環境省 一般廃棄物処理実態調査（集団回収量）", lambda y: f"{y + 1}-12-26"),
    "waste_management_cost": ("環境省 一般廃棄物処理実態調査（ごみ処理事業経費）", lambda y: f"{y + 1}-12-26"),
    "cars_registered": ("自動車検査登録情報協会 市区町村別自動車保有車両数（3月末）", lambda y: f"{y + 1}-06-30"),
    "gross_municipal_product": ("サンプル県統計課 市町村民経済計算（市町村内総生産・名目）", lambda y: f"{y + 1}-11-28"),
    "population_near_transit": ("国土数値情報（駅・バス停留所）×国勢調査 地域メッシュ統計（サンプル県都市計画課集計）",
                                lambda y: f"{y + 2}-06-30"),
    "tree_cover_area": ("国土数値情報 土地利用細分メッシュ（森林）", lambda y: f"{y + 2}-04-01"),
    "disaster_base_hospitals_area": ("サンプル県医療計画 二次医療圏別災害拠点病院数", lambda y: f"{y}-04-01"),
    "medical_area_population": ("サンプル県医療計画 二次医療圏別人口（住民基本台帳）", lambda y: f"{y}-04-01"),
    "population_15plus_male": ("総務省統計局 国勢調査 就業状態等基本集計（e-Stat 表から転記）", lambda y: f"{y + 2}-05-31"),
    "population_15plus_female": ("総務省統計局 国勢調査 就業状態等基本集計（e-Stat 表から転記）", lambda y: f"{y + 2}-05-31"),
    "population_18_24": ("総務省統計局 国勢調査 人口等基本集計 年齢各歳別人口（e-Stat 表から転記）",
                         lambda y: f"{y + 1}-10-31"),
    "population_25_64": ("総務省統計局 国勢調査 就業状態等基本集計 最終卒業学校（e-Stat 表から転記）",
                         lambda y: f"{y + 2}-05-31"),
    "tertiary_graduates_25_64": ("総務省統計局 国勢調査 就業状態等基本集計 最終卒業学校（e-Stat 表から転記）",
                                 lambda y: f"{y + 2}-05-31"),
    "population_25plus": ("総務省統計局 国勢調査 就業状態等基本集計 最終卒業学校（e-Stat 表から転記）",
                          lambda y: f"{y + 2}-05-31"),
    "bachelor_graduates_25plus": ("総務省統計局 国勢調査 就業状態等基本集計 最終卒業学校（e-Stat 表から転記）",
                                  lambda y: f"{y + 2}-05-31"),
    "household_members_in_dwellings": ("総務省統計局 住宅・土地統計調査（e-Stat 表から転記）", lambda y: f"{y + 2}-04-28"),
    "household_income_median": ("総務省統計局 住宅・土地統計調査 世帯の年間収入階級（中央値を推計）",
                                lambda y: f"{y + 2}-04-28"),
    "commute_time_mean": ("総務省統計局 住宅・土地統計調査 家計を主に支える者の通勤時間（平均を推計）",
                          lambda y: f"{y + 2}-04-28"),
}
#: the demo city's own records of local power generation (kind: local in the catalog)
CITY_POWER = ("サンプル市環境政策課 域内発電所・地域新電力の実績（市集計）", lambda y: f"{y + 1}-07-31")


def external_rows(demo: Demo, units: dict[str, str]) -> list[list[str]]:
    rows: list[list[str]] = []

    def add(code: str, year: int, var: str, value: float | str, note: str = "",
            pub: tuple[str, Callable[[int], str]] | None = None, code_text: str | None = None) -> None:
        src, when = pub or PUBLISHERS[var]
        if isinstance(value, str):
            cell = value
        elif var in ("turnout", "life_expectancy", "co2_industry", "co2_residential", "co2_commercial",
                     "co2_transport", "co2_non_energy", "commute_time_mean", "electricity_generated"):
            cell = f"{value:.2f}" if var == "turnout" else f"{value:.1f}"
        else:
            cell = f"{value:,.0f}" if code_text is not None else f"{value:.0f}"
        rows.append([code_text or code, str(year), var, cell, units[var], src, when(year), note])

    for code, name, *_rest in MUNIS:
        for key, series in sorted(demo.values.items()):
            if key[0] != code or "." not in key[1]:
                continue
            _prefix, var = key[1].split(".", 1)
            if var not in units:
                continue
            for y, v in sorted(series.items()):
                note = ""
                code_text = None
                if var == "visitors_annual":  # the tourism bureau uses 6-digit 団体コード
                    code_text = lg_code(code)
                if var == "turnout" and code == "99365" and y == 2014:
                    v, note = "…", "無投票（小選挙区の候補者1名）"
                if var == "life_expectancy" and code in ("99364", "99365") and y == 2010:
                    v, note = "-", "人口規模が小さく算定対象外"
                if var == "life_expectancy":
                    note = note or "男女の平均"
                if code == "99305" and var in ("crimes_recognised", "traffic_accidents") and y <= 2015:
                    note = "旧小滝村を含まない（2016年4月1日合併）"
                add(code, y, var, v, note, code_text=code_text)
        # old village, published separately by the police until FY2015
    old_code, old_name, new_code, _date, share = MERGED
    for var in ("crimes_recognised", "traffic_accidents"):
        series = demo.values[(new_code, f"P.{var}")]
        for y in YEARS:
            if y <= 2015:
                part = round(series[y] * share)
                series[y] = series[y] - part  # the police counted 本郷町 without 小滝村
                rows_var = [r for r in rows if r[0] == new_code and r[1] == str(y) and r[2] == var]
                for r in rows_var:
                    r[3] = f"{series[y]:.0f}"
                add(old_code, y, var, part, f"旧{old_name}（2016年4月1日 本郷町に編入）")
    # 二次医療圏: each municipality carries its area's disaster base hospitals and population
    for y in YEARS:
        area_pop = {}
        for code, *_r, med in MUNIS:
            area_pop[med] = area_pop.get(med, 0) + demo.values[(code, "A2301")][y]
        for code, *_r, med in MUNIS:
            n = MEDICAL_AREAS[med] + (1 if med == "中央" and y >= 2017 else 0)
            add(code, y, "disaster_base_hospitals_area", n, f"二次医療圏「{med}」")
            add(code, y, "medical_area_population", area_pop[med], f"二次医療圏「{med}」")
    # the demo city's own power records (local kind, entered in the same layout)
    if "electricity_generated" in units and "co2_power_generation" in units:
        for y in range(2016, 2024):
            gwh = 180 + 25 * (y - 2016)
            add(CITY, y, "electricity_generated", float(gwh), pub=CITY_POWER)
            add(CITY, y, "co2_power_generation", round(gwh * (520 - 22 * (y - 2016))), pub=CITY_POWER)
    rows.sort(key=lambda r: (r[2], r[0][:5], int(r[1])))
    return rows


def write_external(path: Path, demo: Demo, units: dict[str, str]) -> int:
    rows = external_rows(demo, units)
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["area_code", "year", "variable", "value", "unit", "source", "published", "note"])
    w.writerows(rows)
    atomic.atomic_write_bytes(path, buf.getvalue().encode("utf-8-sig"))
    return len(rows)


# ---------------------------------------------------------------------------------- areas etc.
def write_areas(out: Path) -> None:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["area_code", "area_name", "municipal_type"])
    w.writerow([f"{PREF_CODE}000", PREF_NAME, "prefecture"])
    for code, name, kind, *_ in MUNIS:
        w.writerow([code, name, kind])
    atomic.atomic_write_bytes(out / "areas.csv", buf.getvalue().encode("utf-8"))
    old_code, old_name, new_code, date, _ = MERGED
    new_name = next(m[1] for m in MUNIS if m[0] == new_code)
    text = ("old_code,new_code,effective_date,note\n"
            f"{old_code},{new_code},{date},{old_name}を{new_name}に編入（架空）\n")
    atomic.atomic_write_bytes(out / "mergers.csv", text.encode("utf-8"))


def write_local(out: Path) -> str:
    """local_data.xlsx from scripts/demo_local.make_local_frame (the logic-model engineer's), one row
    per period of each indicator of the demo city's hand-written logic model (``out``'s own when it
    has one, else the bundled one)."""
    from demo_local import make_local_frame

    from sckpi_helpers.catalog import load_catalog
    from sckpi_helpers.checks.template import logic_model_indicators, write_template
    from sckpi_helpers.config.periods import parse_period
    from sckpi_helpers.sources.logic_model import load_logic_model

    frame = make_local_frame(seed=7)
    catalog = load_catalog()
    lm = out / "logic_model.yaml"
    if not lm.exists():
        lm = BUNDLED / "logic_model.yaml"
    indicators = logic_model_indicators(load_logic_model(lm, catalog), catalog)
    fys = sorted({parse_period(p).fiscal_year for p in frame["period"]})
    span = f"{fys[0]}-{fys[-1]}" if len(fys) > 1 else str(fys[0])
    write_template(out / "local_data.xlsx", CITY, indicators, span, values=frame, city_name="サンプル市",
                   source="demo")
    return f"{len(frame)} values"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=BUNDLED)
    ap.add_argument("--skip-local", action="store_true", help="do not (re)write local_data.xlsx")
    args = ap.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    demo = Demo()
    items = catalog_items()
    units = input_units()
    write_areas(out)
    calls = write_api_cache(out, demo, items)
    write_ssds_csv(out / "ssds_municipal.csv", demo, items)
    n_ext = write_external(out / "external_statistics.csv", demo, units)
    local = "skipped" if args.skip_local else write_local(out)
    print(f"areas: {len(MUNIS)} municipalities + 1 merged village; years {YEARS[0]}-{YEARS[-1]}")
    print(f"estat_api: {calls} pages; external rows: {n_ext}; local: {local}")
    for f in sorted(out.rglob("*")):
        if f.is_file():
            print(f"  {f.relative_to(out)}  {f.stat().st_size:,} B")
    return 0


if __name__ == "__main__":
    sys.exit(main())
