"""``sckpi init``: a city's folder scaffolded in the right order, nothing overwritten without --force."""

from pathlib import Path

import openpyxl
import pytest
import yaml

from sckpi_helpers.catalog import load_catalog
from sckpi_helpers.cli import main
from sckpi_helpers.cli.init import area_name, ssdse_area_names
from sckpi_helpers.config.settings import find_settings
from sckpi_helpers.sources.local_workbook import read_local_result
from sckpi_helpers.sources.logic_model import load_logic_model

ROOT = Path(__file__).resolve().parents[1]
#: the layout of SSDSE-A (row 1 item codes, row 2 years, row 3 names, area codes as R13101), CP932
SSDSE_HEAD = ("SSDSE-A-2025,Prefecture,Municipality,A1101\r\n,,年度,2020\r\n地域コード,都道府県,市区町村,総人口\r\n"
              "R13101,東京都,千代田区,66680\r\nR01100,北海道,札幌市,1973395\r\n")


@pytest.fixture
def home(tmp_path, monkeypatch):
    h = tmp_path / "home"
    (h / "data" / "raw" / "ssdse").mkdir(parents=True)
    (h / "data" / "raw" / "ssdse" / "SSDSE-A-2025.csv").write_bytes(SSDSE_HEAD.encode("cp932"))
    monkeypatch.setenv("SCKPI_HOME", str(h))
    monkeypatch.delenv("ESTAT_APP_ID", raising=False)
    return h


def test_names_are_read_from_ssdse(home):
    names = ssdse_area_names(home / "data/raw/ssdse/SSDSE-A-2025.csv")
    assert names["13101"] == ("東京都", "千代田区") and names["01100"] == ("北海道", "札幌市")


@pytest.mark.skipif(not (ROOT / "data/raw/ssdse").is_dir(), reason="SSDSE-A not bundled in this checkout")
def test_names_from_the_bundled_ssdse_file():
    assert area_name("13101", ROOT / "data" / "raw") == "千代田区"


def test_init_scaffolds_settings_logic_model_and_workbook(home, capsys):
    assert main(["init", "--city", "13101", "--period", "2025"]) == 0
    folder = home / "data" / "raw" / "13101"
    settings = find_settings("13101")
    assert (settings.name_ja, settings.source, settings.base_dir) == ("千代田区", "ssdse", folder)
    catalog = load_catalog()
    model = load_logic_model(folder / "logic_model.yaml", catalog)   # the starter validates
    assert model.city.code == "13101"
    assert (folder / "logic_model.yaml").read_text(encoding="utf-8").startswith("#")  # commented
    wb = openpyxl.load_workbook(folder / "local_data.xlsx")
    assert "measure1.users" in {r[0] for r in wb["データ"].iter_rows(min_row=3, values_only=True)}
    # the untouched workbook reads as "nothing reported yet", not as an error
    res = read_local_result(folder / "local_data.xlsx", catalog, extra_indicators=model.local_indicators())
    assert res.frame.empty
    out = capsys.readouterr().out
    assert "sckpi ingest --city 13101 --source ssdse" in out.splitlines()[-1]


def test_the_source_follows_what_the_user_has(home, monkeypatch):
    monkeypatch.setenv("ESTAT_APP_ID", "dummy-not-used")
    assert main(["init", "--city", "13101"]) == 0
    assert yaml.safe_load((home / "data/raw/13101/settings.yaml").read_text(encoding="utf-8"))["source"] == "estat-api"
    assert main(["init", "--city", "01100", "--source", "estat-csv"]) == 0
    assert find_settings("01100").source == "estat-csv"


def test_existing_files_are_not_overwritten_without_force(home, capsys):
    assert main(["init", "--city", "13101"]) == 0
    settings = home / "data/raw/13101/settings.yaml"
    settings.write_text('city_code: "13101"\nname_ja: 手で直した名前\n', encoding="utf-8")
    assert main(["init", "--city", "13101"]) == 1
    assert "--force" in capsys.readouterr().err
    assert "手で直した名前" in settings.read_text(encoding="utf-8")
    assert main(["init", "--city", "13101", "--force"]) == 0
    assert find_settings("13101").name_ja == "千代田区"


def test_an_unknown_code_asks_for_a_name(home, capsys):
    assert main(["init", "--city", "99999"]) == 1
    assert "--name" in capsys.readouterr().err
    assert not (home / "data/raw/99999").exists()
    assert main(["init", "--city", "99999", "--name", "架空町"]) == 0
    assert find_settings("99999").name_ja == "架空町"
