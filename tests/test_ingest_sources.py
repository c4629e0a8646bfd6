"""Real data in, right numbers out (issue #13, the store side): SSDSE-A, police files, 補正人口.

Each test starts from a tmp project (SCKPI_HOME) holding only what it needs and checks the number
the kit prints or stores against one computed by hand from the published file.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from sckpi_helpers.catalog import load_catalog
from sckpi_helpers.cli import main
from sckpi_helpers.config.settings import CitySettings, find_settings
from sckpi_helpers.errors import SckpiError

REPO = Path(__file__).resolve().parents[1]
POLICE = REPO / "tests" / "data" / "real" / "police"


@pytest.fixture()
def home(tmp_path, monkeypatch):
    """A project root with only the bundled SSDSE-A (no demo)."""
    root = tmp_path / "home"
    shutil.copytree(REPO / "data" / "raw" / "ssdse", root / "data" / "raw" / "ssdse")
    monkeypatch.setenv("SCKPI_HOME", str(root))
    monkeypatch.delenv("ESTAT_APP_ID", raising=False)
    return root


def ssdse_row(code: str) -> pd.Series:
    raw = pd.read_csv(REPO / "data" / "raw" / "ssdse" / "SSDSE-A-2025.csv", encoding="cp932",
                      skiprows=[0, 1], dtype=str)
    return raw[raw["地域コード"] == f"R{code}"].iloc[0]


# ---------------------------------------------------------------------------- SSDSE-A
def test_a_real_city_without_settings_is_served_by_the_national_ssdse_build(home, capsys):
    from sckpi_helpers.store.scopes import serving_build

    settings = find_settings("13101")
    assert settings.source == "ssdse" and serving_build(settings).scope == "ssdse"
    assert main(["indicators", "--city", "13101", "--period", "2022", "--peer-group", "similar",
                 "--format", "csv"]) == 0
    out = pd.read_csv(__import__("io").StringIO(capsys.readouterr().out))
    assert (home / "data" / "processed" / "ssdse" / "panel.parquet").exists()
    row = ssdse_row("13101")
    employed, unemployed = float(row["就業者数"]), float(row["完全失業者数"])
    got = out.set_index("indicator_id").loc["t3.eco.unemployment_rate"]
    assert got["value"] == pytest.approx(unemployed / (employed + unemployed) * 100, abs=0.01)
    assert got["n"] == 23  # 類似団体 of a special ward: the 23 special wards, from SSDSE-A's F2201/F2211/F2221


def test_ssdse_ingest_reads_the_bundled_file_or_another_edition(home, capsys):
    assert main(["ingest", "--source", "ssdse"]) == 0
    out = capsys.readouterr().out
    assert "SSDSE-A-2025.csv" in out and "全国" in out
    manifest = json.loads((home / "data" / "processed" / "ssdse" / "ingest.json").read_text(encoding="utf-8"))
    assert manifest["rows"]["areas"] == 1741 + 175  # and the designated cities' wards (すがた, 住民基本台帳)
    head = REPO / "tests" / "data" / "real" / "ssdse" / "SSDSE-A-2025_head.csv"
    assert main(["ingest", "--source", "ssdse", "--city", "01100", "--input", str(head)]) == 0
    assert "SSDSE-A-2025_head.csv" in capsys.readouterr().out


def test_init_writes_ssdse_without_an_appid_and_its_command_works(home, capsys):
    assert main(["init", "--city", "13101"]) == 0
    out = capsys.readouterr().out
    command = re.search(r"(sckpi ingest [^\n]+)", out).group(1).split()[1:]
    assert command == ["ingest", "--city", "13101", "--source", "ssdse"]
    assert main(command) == 0
    assert (home / "data" / "processed" / "13101" / "panel.parquet").exists()


def test_estat_json_needs_its_input(home):
    from sckpi_helpers.store.build import ingest

    with pytest.raises(SckpiError, match="--input FILE_OR_FOLDER"):
        ingest(CitySettings(city_code="13101", source="estat-json"))


# ---------------------------------------------------------------------------- police files
def _second_method(tmp: Path) -> Path:
    """The real 車上ねらい file with its 手口 renamed: a second 手口 file of the same year."""
    text = (POLICE / "tokyo_2021syazyounerai.csv").read_bytes().decode("cp932")
    out = tmp / "tokyo_2021buhinnerai.csv"
    out.write_bytes(text.replace(",車上ねらい,", ",部品ねらい,").encode("cp932"))
    return out


def test_police_files_of_one_year_are_added_up(home, tmp_path):
    from sckpi_helpers.sources.police_open_data import read_police_open_data
    from sckpi_helpers.store.build import ingest
    from sckpi_helpers.store.processed import load_panel
    from sckpi_helpers.store.scopes import own_build

    one = POLICE / "tokyo_2021syazyounerai.csv"
    settings = CitySettings(city_code="13101", source="ssdse")
    ingest(settings, police=[one, _second_method(tmp_path)], years="2020-2023")
    panel = load_panel(own_build("13101"))  # the user's police files made the city's own build
    got = panel.query("area_code == '13101' and variable == 'street_crimes' and year == 2021")
    by_hand = read_police_open_data(one)[0].set_index("area_code").loc["13101", "value"]
    assert got["value"].tolist() == [2 * by_hand]
    assert "車上ねらい" in got["source"].iloc[0] and "部品ねらい" in got["source"].iloc[0]


def test_police_year_for_a_file_without_one_in_its_name(home, tmp_path, capsys):
    nameless = tmp_path / "keishicho_ninchikensu.csv"
    shutil.copy(POLICE / "keishicho_ninchikensu_R4.csv", nameless)
    assert main(["ingest", "--source", "ssdse", "--city", "13101", "--police", str(nameless)]) == 1
    assert "ファイル名から年が分かりません" in capsys.readouterr().err
    assert main(["ingest", "--source", "ssdse", "--city", "13101", "--police", str(nameless),
                 "--police-year", "2020"]) == 0  # 2020: the year no bundled 警視庁 file covers
    panel = pd.read_parquet(home / "data" / "processed" / "13101" / "panel.parquet")  # the city's own build
    chiyoda = panel.query("variable == 'crimes_recognised' and area_code == '13101'").set_index("year")
    assert "(keishicho_ninchikensu.csv)" in chiyoda.at[2020, "source"]  # the nameless file, read as 2020
    assert not (home / "data" / "processed" / "ssdse" / "panel.parquet").exists()  # national build untouched


# ---------------------------------------------------------------------------- 補正人口
SSDS_HEAD = ('"","","","","/項目 コード",{codes}\n'
             '"調査年 コード","調査年","地域 コード","地域","/項目",{names}\n')


def _real_layout(path: Path, items: dict[str, tuple[str, str, int]]) -> Path:
    """A file in the real SSDS download layout (tests/data/real/ssds-csv) for 千代田区 2020."""
    codes = ",".join(f'"{c}"' for c in items)
    names = ",".join(f'"{c}_{n}【{u}】"' for c, (n, u, _v) in items.items())
    values = ",".join(f'"{v}"' for _n, _u, v in items.values())
    path.write_text(SSDS_HEAD.format(codes=codes, names=names)
                    + f'"2020100000","2020年度","13101","東京都 千代田区","",{values}\n', encoding="utf-8")
    return path


def test_the_default_adjusted_population_adds_the_total_inflow(home, tmp_path, capsys):
    from sckpi_helpers.indicators.engine import compute
    from sckpi_helpers.store.processed import load_panel

    folder = tmp_path / "downloads"
    folder.mkdir()
    census, resident, within, other, doctors = 66680, 67216, 520_000, 310_000, 1873
    _real_layout(folder / "A.csv", {"A1101": ("総人口", "人", census),
                                    "A2301": ("住民基本台帳人口（総数）", "人", resident),
                                    "A6105": ("流入人口（県内他市区町村に常住している人口）", "人", within),
                                    "A6106": ("流入人口（他県に常住している人口）", "人", other)})
    _real_layout(folder / "I.csv", {"I6100": ("医師数", "人", doctors)})
    assert main(["ingest", "--source", "estat-csv", "--city", "13101", "--input", str(folder)]) == 0
    panel = load_panel(CitySettings(city_code="13101", source="estat-csv"))
    results = compute(panel, load_catalog())
    got = results.query("area_code == '13101' and year == 2020 and indicator_id == 't3.soc.medical_capacity'")
    adjusted = resident * (1 + (within + other) / census)  # 常住人口＋流入人口 (A6105 + A6106)
    assert got["value"].iloc[0] == pytest.approx(doctors / adjusted * 1000)
