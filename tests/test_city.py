"""One city, resolved once: codes as people type them, the build that serves a city, a user's own
files never replaced, the 補正人口 definition checked when the city is resolved, and each decision
made in one place (issue 17)."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import pytest

from sckpi_helpers.cli import build_parser, main
from sckpi_helpers.config.codes import AreaCodeError, normalize_area_code, parse_code, parse_codes
from sckpi_helpers.errors import SckpiError

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "sckpi_helpers"
BUNDLED = ROOT / "data" / "raw" / "ssdse" / "SSDSE-A-2025.csv"
#: 札幌市, 千代田区, 新宿区: the small "bundled" national file of the test home
CITIES = ("R01100", "R13101", "R13104")


def _ssdse_lines() -> list[str]:
    lines = BUNDLED.read_bytes().decode("cp932").splitlines()
    return lines[:3] + [x for x in lines[3:] if x.split(",", 1)[0] in CITIES]


@pytest.fixture()
def home(tmp_path, monkeypatch):
    """A project root whose bundled national file holds 札幌市, 千代田区 and 新宿区 only."""
    root = tmp_path / "home"
    (root / "data" / "raw" / "ssdse").mkdir(parents=True)
    (root / "data" / "raw" / "ssdse" / "SSDSE-A-2025.csv").write_bytes(
        ("\r\n".join(_ssdse_lines()) + "\r\n").encode("cp932"))
    monkeypatch.setenv("SCKPI_HOME", str(root))
    monkeypatch.delenv("ESTAT_APP_ID", raising=False)
    return root


@pytest.fixture()
def edition_2026(tmp_path) -> Path:
    """A newer edition the user downloaded: 札幌市's census population changed to 1,234,567."""
    lines = _ssdse_lines()
    lines[0] = lines[0].replace("SSDSE-A-2025", "SSDSE-A-2026", 1)
    row = lines[3].split(",")
    row[3] = "1234567"
    lines[3] = ",".join(row)
    f = tmp_path / "downloads" / "SSDSE-A-2026.csv"
    f.parent.mkdir()
    f.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp932"))
    return f


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _write_settings(home: Path, folder: str, text: str) -> Path:
    f = home / "data" / "raw" / folder / "settings.yaml"
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_text(text, encoding="utf-8")
    return f


# ---------------------------------------------------------------------------- codes as typed
def test_a_full_width_code_from_a_japanese_ime_is_read_as_the_code():
    assert parse_code("１３１０１") == "13101"
    assert build_parser().parse_args(["indicators", "--city", "１３１０１", "--period", "2022"]).city == "13101"


def test_a_6_digit_code_with_the_right_check_digit_is_accepted():
    assert parse_code("131016") == "13101" and parse_code("011002") == "01100"
    assert parse_codes("131016,１３１０４") == ["13101", "13104"]


def test_a_6_digit_code_with_a_wrong_check_digit_is_refused_naming_the_check_digit(capsys):
    with pytest.raises(AreaCodeError, match=r"検査数字.*7.*6"):
        parse_code("131017")
    with pytest.raises(SystemExit) as exc:
        main(["indicators", "--city", "131017", "--period", "2022"])
    assert exc.value.code == 2 and "検査数字" in capsys.readouterr().err


def test_a_cell_in_a_users_file_follows_the_same_rules():
    assert normalize_area_code("１３１０１") == "13101" and normalize_area_code(1101.0) == "01101"
    with pytest.raises(AreaCodeError, match="検査数字"):
        normalize_area_code("131017")


def test_an_unquoted_leading_zero_code_in_settings_gets_one_japanese_message(home, capsys):
    f = _write_settings(home, "sapporo", "city_code: 01100\nsource: ssdse\n")
    assert main(["ingest", "--city", "01100"]) == 1
    err = capsys.readouterr().err.strip()
    assert 'city_code: "01100"' in err and "引用符" in err and str(f) in err
    assert "has no settings.yaml" not in err and "must be a 5-digit" not in err
    assert len(err.splitlines()) == 1


# ---------------------------------------------------------------------------- build scopes
def test_a_city_without_settings_is_never_served_by_another_citys_build(home, edition_2026):
    from sckpi_helpers.city import resolve_city
    from sckpi_helpers.store.processed import load_areas

    assert main(["ingest", "--source", "ssdse", "--city", "13101", "--input", str(edition_2026)]) == 0
    chiyoda = resolve_city("13101")
    assert chiyoda.build.scope == "13101"
    assert "13104" in set(load_areas(chiyoda.build)["area_code"])  # 千代田区's build holds 新宿区 …
    shinjuku = resolve_city("13104")
    assert shinjuku.build.scope == "ssdse" and shinjuku.build.national  # … but the stated rule serves it


def test_a_users_own_edition_is_not_replaced_by_a_later_command(home, edition_2026, capsys):
    from sckpi_helpers.city import resolve_city
    from sckpi_helpers.store.processed import load_panel

    assert main(["ingest", "--source", "ssdse", "--city", "01100", "--input", str(edition_2026)]) == 0
    own = home / "data" / "processed" / "01100"
    before = _hashes(own)
    capsys.readouterr()
    assert main(["indicators", "--city", "13104", "--period", "2020", "--format", "csv"]) == 0
    assert re.search(r"data/processed/ssdse/ .*\(rebuilding\)", capsys.readouterr().err)  # says which and why
    assert _hashes(own) == before
    sapporo = resolve_city("01100")
    assert sapporo.build.scope == "01100" and [f.path.name for f in sapporo.inputs if f.role == "input"] == [
        "SSDSE-A-2026.csv"]
    panel = load_panel(sapporo.build)
    census = panel.query("area_code == '01100' and variable == 'population_census' and year == 2020")
    assert census["value"].tolist() == [1234567]
    assert main(["indicators", "--city", "01100", "--period", "2020", "--format", "csv"]) == 0
    assert "rebuilding" not in capsys.readouterr().err and _hashes(own) == before


def test_the_national_build_reads_only_the_bundled_files(home, edition_2026, capsys):
    assert main(["ingest", "--source", "ssdse", "--input", str(edition_2026)]) == 1
    assert "--city CODE --input FILE" in capsys.readouterr().err
    assert not (home / "data" / "processed" / "ssdse").exists()


# ---------------------------------------------------------------------------- the context
def test_an_unknown_adjusted_population_id_is_caught_when_the_city_is_resolved(home):
    from sckpi_helpers.city import resolve_city

    f = _write_settings(home, "chiyoda", 'city_code: "13101"\nsource: ssdse\nadjusted_population: nighttime\n')
    with pytest.raises(SckpiError, match=rf"{re.escape(str(f))}: adjusted_population: 'nighttime'"):
        resolve_city("13101")
    _write_settings(home, "chiyoda", 'city_code: "13101"\nsource: ssdse\nadjusted_population_fallbacks: [dusk]\n')
    with pytest.raises(SckpiError, match="adjusted_population_fallbacks: 'dusk'"):
        resolve_city("13101")


def test_the_adjusted_population_names_come_from_the_catalog(home):
    from sckpi_helpers.catalog import load_catalog
    from sckpi_helpers.city import resolve_city

    _write_settings(home, "chiyoda", 'city_code: "13101"\nsource: ssdse\nadjusted_population: resident\n'
                                     "adjusted_population_fallbacks: [resident_plus_inflow]\n")
    ap = resolve_city("13101").adjusted_population
    d = load_catalog().adjusted_population.definitions["resident"]
    assert (ap.id, ap.name_ja, ap.name_en, ap.formula) == ("resident", d.name_ja, d.name_en, d.formula)
    assert ap.fallbacks == ("resident_plus_inflow",)


def test_a_city_without_settings_takes_the_catalogs_default_definition(home):
    from sckpi_helpers.catalog import load_catalog
    from sckpi_helpers.city import resolve_city

    assert resolve_city("13104").adjusted_population.id == load_catalog().adjusted_population.default


def test_the_context_lists_the_planners_inputs_including_police_and_mergers(home, tmp_path):
    from sckpi_helpers.city import resolve_city

    folder = home / "data" / "raw" / "chiyoda"
    folder.mkdir(parents=True)
    shutil.copy(ROOT / "tests" / "data" / "real" / "police" / "keishicho_ninchikensu_R4.csv", folder / "police.csv")
    (folder / "mergers.csv").write_text("old_code,new_code,effective_date,note\n", encoding="utf-8")
    _write_settings(home, "chiyoda", 'city_code: "13101"\nsource: ssdse\npolice: [police.csv]\n')
    city = resolve_city("13101")
    roles = {(f.role, f.path.name) for f in city.inputs}
    assert {("settings", "settings.yaml"), ("police", "police.csv"), ("mergers", "mergers.csv"),
            ("input", "SSDSE-A-2025.csv")} <= roles


def test_the_manifest_lists_the_planners_inputs_with_their_hashes(home):
    from sckpi_helpers.city import resolve_city
    from sckpi_helpers.reports.manifest import collect_inputs

    folder = home / "data" / "raw" / "chiyoda"
    folder.mkdir(parents=True)
    shutil.copy(ROOT / "tests" / "data" / "real" / "police" / "keishicho_ninchikensu_R4.csv", folder / "police.csv")
    _write_settings(home, "chiyoda", 'city_code: "13101"\nsource: ssdse\npolice: [police.csv]\n')
    listed = collect_inputs(resolve_city("13101"))
    entries = {e["role"]: e for e in listed}
    police = entries["police"]
    assert police["path"].endswith("police.csv") and police["sha256"] == hashlib.sha256(
        (folder / "police.csv").read_bytes()).hexdigest()
    assert any(e["role"] == "input" and e["path"].endswith("SSDSE-A-2025.csv") for e in listed)


# ---------------------------------------------------------------------------- decided once
def _callers(pattern: str) -> set[str]:
    rx = re.compile(pattern)
    return {str(p.relative_to(PKG)) for p in PKG.rglob("*.py")
            if any(rx.search(line) and not line.lstrip().startswith(("def ", "#"))
                   for line in p.read_text(encoding="utf-8").splitlines())}


@pytest.mark.parametrize(("decision", "pattern", "allowed"), [
    ("settings", r"\bfind_settings\(", {"city/context.py", "cli/ingest.py"}),
    ("the serving build", r"\bserving_build\(", {"city/context.py"}),
    ("補正人口", r"settings\.adjusted_population\b", {"city/context.py"}),
    ("the catalog with the city's extensions", r"\bload_catalog\(extra=", {"city/context.py", "store/build.py"}),
    ("the period", r"\bparse_period\(", {"city/context.py", "cli/__init__.py", "config/periods.py",
                                         "checks/kpi.py", "checks/diagnosis.py", "checks/template.py", "notebook/sections.py",
                                         "sources/logic_model.py", "reports/executors.py", "reports/national_run.py",
                                         "reports/manifest.py"}),
])
def test_each_decision_about_a_city_is_made_in_one_place(decision, pattern, allowed):
    """Only the city context decides (the store's build reads its own settings' catalog, and ``sckpi
    ingest`` picks the build to write; the other period readers read periods in data, not the
    command's)."""
    assert _callers(pattern) <= allowed, f"{decision} decided outside the city context"


def test_no_parquet_is_read_past_the_store_and_the_indicators():
    readers = _callers(r"read_parquet\(")
    assert {p.split("/")[0] for p in readers} <= {"store", "indicators"}, readers


def test_a_city_code_is_read_in_one_module():
    assert _callers(r"len\([a-z_]+\) == 5 and [a-z_]+\.isdigit\(\)") <= set(), "a code read outside config/codes.py"
