"""The report runner: papermill runs, HTML without code, manifest, indexes, failures, secrets.

Most tests run the tiny notebooks in tests/fixtures/notebooks (a few seconds each); their behaviour
is switched by environment variables the kernel inherits (SCKPI_FIXTURE_FAIL, SCKPI_FIXTURE_LEAK).
The end-to-end test at the bottom runs ``sckpi report`` on the demo with the real notebooks.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sckpi_helpers import cli
from sckpi_helpers.cli.report import summary_table
from sckpi_helpers.errors import SckpiError
from sckpi_helpers.pages.redact import redact, secret_values
from sckpi_helpers.reports import executors, plan
from sckpi_helpers.reports import runner as report
from sckpi_helpers.reports.executors import SerialExecutor, make_executor

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "notebooks"
HOSTILE = "<script>alert(\"x\")</script>&'市"
FAKE_APP_ID = "fakeAppId0123456789abcdef"


@pytest.fixture
def home(demo_home, monkeypatch):
    """SCKPI_HOME = a tmp copy of the demo's raw data; the runner uses the fixture notebooks."""
    root = demo_home
    monkeypatch.setenv("SCKPI_NOTEBOOKS_DIR", str(FIXTURES))
    for var in ("SCKPI_FIXTURE_FAIL", "SCKPI_FIXTURE_LEAK", "ESTAT_APP_ID"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(report, "prepare_data", lambda city: None)
    _processed_areas(root)
    return root


def _processed_areas(root: Path) -> None:
    """The demo build's areas.parquet (all the runner reads of a build when notebooks are fixtures):
    a city without settings is known when a processed build includes it."""
    import pandas as pd

    from sckpi_helpers.config.settings import demo_settings
    from sckpi_helpers.store.processed import processed_paths

    f = processed_paths(demo_settings())["areas"]
    f.parent.mkdir(parents=True, exist_ok=True)
    pd.read_csv(root / "data" / "raw" / "demo" / "areas.csv", dtype=str).to_parquet(f, index=False)


def _run(city="99201", period="2024", **kw):
    kw.setdefault("prepare", False)
    return report.run_report(city, period, **kw)


def _files(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _code_sources(nb_path: Path) -> list[str]:
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


def test_parallel_notebooks_start_in_the_report_folder_without_a_process_wide_chdir(home, monkeypatch):
    """os.chdir is shared by every thread: with --jobs 2 one run's chdir would move another's kernel.
    (papermill's file handler re-enters the current directory; that never moves anything.)"""
    start, real_chdir, moves = os.getcwd(), os.chdir, []

    def recording_chdir(path):
        if os.path.realpath(path) != os.path.realpath(start):
            moves.append(str(path))
        real_chdir(path)

    monkeypatch.setattr(os, "chdir", recording_chdir)
    res = _run(jobs=2)
    assert res.ok, [n.error for n in res.notebooks]
    assert moves == [], f"process-wide chdir to {moves}"
    for n in ("check1_outputs", "check2_outcome1", "check3_outcome2", "check4_outcome3"):
        assert (home / "reports" / "99201" / "2024" / "files" / n / "summary.json").is_file()


def test_report_set_manifest_and_indexes(home):
    res = _run(jobs=2)
    assert res.ok and res.status == "ok"
    folder = home / "reports" / "99201" / "2024"
    assert res.folder == folder
    names = ["check1_outputs", "check2_outcome1", "check3_outcome2", "check4_outcome3"]
    assert [n.name for n in res.notebooks] == names
    for n in names:
        assert (folder / f"{n}.html").is_file() and (folder / f"{n}.ipynb").is_file()

    m = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert m["city_code"] == "99201" and m["city_name"] == "サンプル市"
    assert m["period"] == "2024" and m["period_ja"] == "2024年度（令和6年度）" and m["checks_due"] == [1, 2, 3, 4]
    assert m["kit_version"] and m["python_version"].count(".") == 2
    assert m["parameters"] == {"city_code": "99201", "period": "2024", "logic_model_path": "",
                               "source": "demo", "peer_group": "prefecture", "lang": "ja", "layout": "full"}
    assert m["adjusted_population"]["definition"] == "resident_plus_inflow"
    assert m["status"] == "ok" and m["started"] <= m["finished"]
    assert [(n["name"], n["status"], n["error"]) for n in m["notebooks"]] == [(n, "ok", None) for n in names]
    # every input the settings name is listed; the ones on disk with their SHA-256
    settings_entry = next(i for i in m["inputs"] if i["role"] == "settings")
    raw = home / "data" / "raw" / "demo" / "settings.yaml"
    assert settings_entry["path"] == "data/raw/demo/settings.yaml"
    assert settings_entry["sha256"] == hashlib.sha256(raw.read_bytes()).hexdigest()
    roles = {i["role"] for i in m["inputs"]}
    assert {"settings", "logic_model", "local_data", "external_statistics", "estat_csv"} <= roles
    for i in m["inputs"]:
        f = home / i["path"]
        assert i["exists"] == f.is_file()
        if f.is_file():
            assert i["sha256"] == hashlib.sha256(f.read_bytes()).hexdigest()

    # landing page, city index and top index: Japanese, links, status, 補正人口
    landing = (folder / "index.html").read_text(encoding="utf-8")
    assert "サンプル市 2024年度" in landing and "補正人口の定義" in landing and "resident_plus_inflow" in landing
    for n in names:
        assert f'href="{n}.html"' in landing
    assert "完了" in landing
    city_index = (home / "reports" / "99201" / "index.html").read_text(encoding="utf-8")
    assert 'href="2024/index.html"' in city_index and "2024年度" in city_index
    top = (home / "reports" / "index.html").read_text(encoding="utf-8")
    assert 'href="99201/index.html"' in top and "サンプル市" in top
    # the notebooks' output_dir files and summaries reached the set
    assert (folder / "files" / "check1_outputs" / "summary.json").is_file()
    assert "check1_outputs: サンプル市" in landing
    # no temporary folders left beside the report
    assert not [p for p in (home / "reports" / "99201").iterdir() if p.name.startswith(".")]


def test_html_has_no_code_and_is_self_contained(home):
    res = _run(period="2024Q4")
    assert [n.name for n in res.notebooks] == ["check1_outputs", "check2_outcome1"]  # quarter: Check1-2
    for n in res.notebooks:
        page = (res.folder / n.html).read_text(encoding="utf-8")
        assert re.search(r'<meta[^>]+name="viewport"', page) and "@media print" in page and "overflow-x" in page
        assert "data:image/png;base64," in page  # an image a (fixture) notebook displays itself stays embedded
        assert "<table" in page and "達成" in page
        assert not re.search(r"<script[^>]*\bsrc=", page)  # nothing fetched from the network
        assert 'class="jp-InputArea-editor' not in page and 'class="jp-InputPrompt' not in page
        for src in _code_sources(res.folder / n.ipynb):
            for line in src.splitlines():
                line = line.strip()
                if len(line) > 12 and not line.startswith("#"):
                    assert line not in page, f"code leaked into {n.html}: {line}"
        assert "&lt;b&gt;指標&lt;/b&gt;" in page and "<b>指標</b>" not in page


def test_hostile_city_name_is_escaped(home):
    d = home / "data" / "raw" / "hostile"
    d.mkdir(parents=True)
    (d / "settings.yaml").write_text(
        f"city_code: '99999'\nname_ja: {json.dumps(HOSTILE, ensure_ascii=False)}\n", encoding="utf-8")
    res = _run(city="99999", period="2024-10")
    assert res.ok and res.city_name == HOSTILE
    pages = list((home / "reports").rglob("*.html"))
    assert len(pages) >= 5
    for p in pages:
        text = p.read_text(encoding="utf-8")
        assert "<script>alert" not in text, p
    from sckpi_helpers.pages.display import e

    assert e(HOSTILE) == "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#x27;市"
    assert e(HOSTILE) in (res.folder / "index.html").read_text(encoding="utf-8")


def test_failing_notebook_is_marked_and_the_rest_run(home, monkeypatch):
    monkeypatch.setenv("SCKPI_FIXTURE_FAIL", "check2_outcome1")
    res = _run()
    assert res.status == "partial" and not res.ok and res.failed_notebooks == ["check2_outcome1"]
    folder = res.folder
    m = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    failed = {n["name"]: n for n in m["notebooks"]}
    assert failed["check2_outcome1"]["status"] == "failed"
    assert "RuntimeError: fixture failure in check2_outcome1" in failed["check2_outcome1"]["error"]
    assert all(failed[n]["status"] == "ok" for n in ("check1_outputs", "check3_outcome2", "check4_outcome3"))
    page = (folder / "check2_outcome1.html").read_text(encoding="utf-8")
    assert "実行失敗" in page and "RuntimeError" in page and "<script>alert" not in page
    assert 'href="check2_outcome1.partial.html"' in page
    partial = (folder / "check2_outcome1.partial.html").read_text(encoding="utf-8")
    assert "Check❷" in partial and "<table" in partial  # what ran before the error
    assert "失敗" in (folder / "index.html").read_text(encoding="utf-8")
    # the CLI exits non-zero for the same situation
    rc = cli.main(["report", "--city", "99201", "--period", "2024Q1"])
    assert rc == 1


def test_cli_success_prints_index(home, capsys):
    rc = cli.main(["report", "--city", "99201", "--period", "2024-05", "--only", "check1"])
    out = capsys.readouterr().out
    assert rc == 0
    assert str(home / "reports" / "99201" / "2024-05" / "index.html") in out
    assert str(home / "reports" / "index.html") in out
    assert (home / "reports" / "99201" / "2024-05" / "check1_outputs.html").is_file()
    assert not (home / "reports" / "99201" / "2024-05" / "check2_outcome1.html").exists()


def test_existing_period_is_not_overwritten_unless_forced(home, capsys):
    first = _run(period="2024Q2")
    before = _files(first.folder)
    with pytest.raises(report.ReportExistsError, match="--force"):
        _run(period="2024Q2")
    assert _files(first.folder) == before
    rc = cli.main(["report", "--city", "99201", "--period", "2024Q2"])
    assert rc == 1
    assert "already exists" in capsys.readouterr().err
    assert _files(first.folder) == before
    again = _run(period="2024Q2", force=True)
    assert again.ok
    m = json.loads((again.folder / "manifest.json").read_text(encoding="utf-8"))
    assert m["force"] is True and _files(again.folder) != before
    assert not [p for p in (home / "reports" / "99201").iterdir() if p.name.startswith(".")]


def test_temporary_folder_removed_when_the_run_breaks(home, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(report, "write_catalog_page", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        _run(period="2024Q3", only="check1")
    city_dir = home / "reports" / "99201"
    assert not (city_dir / "2024Q3").exists()
    assert not [p for p in city_dir.iterdir() if p.name.startswith(".")] if city_dir.exists() else True


def test_app_id_never_written(home, monkeypatch):
    monkeypatch.setenv("ESTAT_APP_ID", FAKE_APP_ID)
    monkeypatch.setenv("SCKPI_FIXTURE_LEAK", "1")  # the fixture prints the appId on purpose
    monkeypatch.setenv("SCKPI_FIXTURE_FAIL", "check2_outcome1")
    res = _run(period="2024H1")
    assert res.folder is not None
    written = [p for p in (home / "reports").rglob("*") if p.is_file()]
    assert written
    for p in written:
        assert FAKE_APP_ID.encode() not in p.read_bytes(), p
    m = json.loads((res.folder / "manifest.json").read_text(encoding="utf-8"))
    assert {r["variable"] for r in m["redactions"]} == {"ESTAT_APP_ID"}
    assert "[REDACTED:ESTAT_APP_ID]" in (res.folder / "check1_outputs.html").read_text(encoding="utf-8")
    for params in m["parameters_by_notebook"].values():
        assert set(params) == {"city_code", "period", "logic_model_path", "source", "peer_group", "lang",
                               "output_dir", "layout"}
        assert FAKE_APP_ID not in json.dumps(params)


def test_parameters_come_from_settings_not_environment(monkeypatch):
    monkeypatch.setenv("ESTAT_APP_ID", FAKE_APP_ID)
    from sckpi_helpers.city import resolve_city

    p = report.build_parameters(resolve_city("13101", source="estat-api"), "2025")
    assert p == {"city_code": "13101", "period": "2025", "logic_model_path": "", "source": "estat-api",
                 "peer_group": "prefecture", "lang": "ja", "output_dir": "", "layout": "full"}


def test_redact_and_secret_values():
    env = {"ESTAT_APP_ID": "abc123xyz", "GITHUB_TOKEN": "ghp_0123456789", "HOME": "/root", "SHORT_KEY": "x"}
    secrets = secret_values(env)
    assert set(secrets) == {"ESTAT_APP_ID", "GITHUB_TOKEN"}
    assert redact("id=abc123xyz tok=ghp_0123456789", secrets) == \
        "id=[REDACTED:ESTAT_APP_ID] tok=[REDACTED:GITHUB_TOKEN]"


def test_plan_notebooks(home):
    assert plan.plan_notebooks("2025") == list(plan.CHECK_NOTEBOOKS.values())
    assert plan.plan_notebooks("2025Q3") == ["check1_outputs", "check2_outcome1"]
    assert plan.plan_notebooks("2025H2") == ["check1_outputs", "check2_outcome1"]
    assert plan.plan_notebooks("2025", only="4,check1,ingest") == ["check4_outcome3", "check1_outputs",
                                                                     "00_ingest"]
    with pytest.raises(SckpiError, match="interactive"):
        plan.plan_notebooks("2025", only="explorer")
    with pytest.raises(SckpiError, match="no such notebook"):
        plan.plan_notebooks("2025", only="check9")
    with pytest.raises(SckpiError):
        report.run_report("123", "2025", prepare=False)
    with pytest.raises(SckpiError):
        report.run_report("99201", "2025Q5", prepare=False)


def test_batch_with_process_pool(home, capsys):
    results = executors.run_batch(["99201", "99202"], "2024Q4", jobs=2, prepare=False, only="check1",
                               progress=False)
    assert [r.city_code for r in results] == ["99201", "99202"]
    assert all(r.ok for r in results), [r.message for r in results]
    top = (home / "reports" / "index.html").read_text(encoding="utf-8")
    assert 'href="99201/index.html"' in top and 'href="99202/index.html"' in top
    table = summary_table(results)
    assert "99201" in table and "99202" in table and "ok" in table
    # a second batch: existing periods are reported, not overwritten, and the CLI says so
    again = executors.run_batch(["99201"], "2024Q4", executor=SerialExecutor(), prepare=False, only="check1",
                             progress=False)
    assert again[0].status == "exists" and "--force" in again[0].message
    rc = cli.main(["report", "--cities", "99201,99202", "--period", "2024Q4", "--only", "check1"])
    assert rc == 1
    out = capsys.readouterr().out
    assert "exists" in out and "99202" in out


def test_scheduler_without_dask_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "dask.distributed", None)  # import fails as if not installed
    with pytest.raises(SckpiError, match=r"sckpi\[dask\]"):
        make_executor(2, scheduler="tcp://127.0.0.1:8786")


def test_batch_runs_on_a_dask_scheduler(home):
    """The executor is pluggable: the same batch runs on a Dask cluster (here one on loopback).

    A report rendered in this thread first leaves jupyter_core's event loop in the context that
    Dask copies into its worker threads; two notebooks running at once there must not share it.
    """
    distributed = pytest.importorskip("dask.distributed")
    assert _run("99203", "2024Q4", only="check1").ok
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, protocol="tcp://",
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        results = executors.run_batch(["99201", "99202"], "2024Q4", scheduler=cluster.scheduler_address,
                                   prepare=False, only="check1", progress=False)
    assert sorted(r.city_code for r in results) == ["99201", "99202"]
    assert all(r.ok for r in results), [r.message for r in results]
    for city in ("99201", "99202"):
        assert (home / "reports" / city / "2024Q4" / "check1_outputs.html").exists()


def test_an_unreachable_scheduler_is_a_clear_error():
    pytest.importorskip("dask.distributed")
    with pytest.raises(SckpiError, match="cannot connect to the Dask scheduler"):
        from sckpi_helpers.reports.executors import DaskExecutor

        DaskExecutor("tcp://127.0.0.1:1", connect_timeout=2)


# ------------------------------------------------------------------------------------------------
# end to end on the demo with the real notebooks
# ------------------------------------------------------------------------------------------------

def test_end_to_end_demo_report(tmp_path):
    home = tmp_path / "home"
    shutil.copytree(REPO / "data" / "raw" / "demo", home / "data" / "raw" / "demo")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCKPI_")}
    env |= {"SCKPI_HOME": str(home), "ESTAT_APP_ID": FAKE_APP_ID, "MPLBACKEND": "Agg"}
    sckpi = [sys.executable, "-m", "sckpi_helpers.cli"]
    proc = subprocess.run([*sckpi, "report", "--city", "99201", "--period", "2024", "--jobs", "2"],
                          env=env, capture_output=True, text=True, timeout=900, cwd=tmp_path, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    folder = home / "reports" / "99201" / "2024"
    assert str(folder / "index.html") in proc.stdout
    expected = {
        "check1_outputs": "Check❶",
        "check2_outcome1": "Check❷",
        "check3_outcome2": "Check❸",
        "check4_outcome3": "Check❹",
    }
    for name, heading in expected.items():
        page = (folder / f"{name}.html").read_text(encoding="utf-8")
        assert heading in page and "サンプル市" in page
        imgs = re.findall(r"<img[^>]*>", page)
        assert "<table" in page and any(re.search(r'\bsrc="files/[^"]+\.svg"', i) and re.search(r'\balt="[^"]{20,}"', i)
                                        for i in imgs)
        assert "validate_parameters" not in page and "import " not in page
        assert 'class="jp-InputArea-editor' not in page
    assert "アウトカム第3階層" in (folder / "check4_outcome3.html").read_text(encoding="utf-8")
    assert "事業の取組内容の軌道修正" in (folder / "check2_outcome1.html").read_text(encoding="utf-8")
    assert (folder / "catalog.html").is_file()
    m = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert m["status"] == "ok" and any(i["role"] == "logic_model" and i["exists"] for i in m["inputs"])
    for p in (home / "reports").rglob("*"):
        if p.is_file():
            assert FAKE_APP_ID.encode() not in p.read_bytes(), p


def test_cli_peer_group_batch_selects_the_demo_prefecture(home, monkeypatch, capsys):
    seen = {}

    def fake_batch(cities, period, **kw):
        seen["cities"], seen["period"], seen["jobs"] = list(cities), str(period), kw["jobs"]
        return [report.ReportResult(city_code=c, period="2024", status="ok") for c in cities]

    monkeypatch.setattr(executors, "run_batch", fake_batch)
    rc = cli.main(["report", "--peer-group", "prefecture", "--period", "2024", "--jobs", "2"])
    assert rc == 0
    assert seen["cities"][0] == "99201" and len(seen["cities"]) > 5
    assert all(c.startswith("99") and len(c) == 5 for c in seen["cities"]) and seen["jobs"] == 2
    assert "99201" in capsys.readouterr().out


# ------------------------------------------------------------------------------------------------
# issue #10: what a scheduled run meets in practice
# ------------------------------------------------------------------------------------------------

def test_a_failed_set_is_rerun_by_the_next_run_without_force(home, monkeypatch):
    monkeypatch.setenv("SCKPI_FIXTURE_FAIL", "check2_outcome1")
    first = _run(period="2024Q1")
    assert first.status == "partial"
    city_index = (home / "reports" / "99201" / "index.html").read_text(encoding="utf-8")
    assert "一部失敗" in city_index  # the failed set stays marked until it is re-run
    monkeypatch.delenv("SCKPI_FIXTURE_FAIL")
    rc = cli.main(["report", "--city", "99201", "--period", "2024Q1"])  # the next cron run, no --force
    assert rc == 0
    m = json.loads((first.folder / "manifest.json").read_text(encoding="utf-8"))
    assert m["status"] == "ok" and m["replaced"] == "partial" and m["force"] is False
    with pytest.raises(report.ReportExistsError):  # now finished: refused as before
        _run(period="2024Q1")


def test_an_unknown_city_is_one_line_and_adds_nothing(home, capsys):
    assert _run(period="2024Q4", only="check1").ok
    before = _files(home / "reports")
    rc = cli.main(["report", "--city", "12345", "--period", "2024"])
    err = capsys.readouterr().err
    assert rc == 1 and "12345" in err and "unknown" in err and err.count("\n") == 1
    assert not (home / "reports" / "12345").exists() and _files(home / "reports") == before


def test_a_real_municipality_is_known_before_any_build(home):
    """Every municipality of the bundled SSDSE-A is served by the national build, built on first use."""
    from sckpi_helpers.city import resolve_city
    from sckpi_helpers.reports import preflight

    preflight.check_city_known(resolve_city("13101"))
    with pytest.raises(SckpiError, match="unknown"):
        preflight.check_city_known(resolve_city("13999"))


def test_a_city_without_settings_in_a_processed_build_is_known(home):
    assert _run(city="99202", period="2024Q4", only="check1").ok


def test_a_period_year_out_of_range_is_one_line_up_front(home, capsys):
    rc = cli.main(["report", "--city", "99201", "--period", "9999"])
    err = capsys.readouterr().err
    assert rc == 1 and "9999" in err and "out of range" in err and err.count("\n") == 1
    assert not (home / "reports").exists()
    with pytest.raises(SckpiError, match="out of range"):
        executors.run_batch(["99201"], "1899", prepare=False, progress=False)


def test_a_broken_settings_file_of_another_city_does_not_stop_a_run(home):
    bad = home / "data" / "raw" / "00_other_city" / "settings.yaml"  # read before the demo's
    bad.parent.mkdir(parents=True)
    bad.write_text("city_code: [unclosed\n", encoding="utf-8")
    res = _run(period="2024-06", only="check1")
    assert res.ok and res.city_name == "サンプル市"  # only the asked city's settings file is read


def test_a_typo_in_the_logic_model_path_stops_before_any_notebook(home, capsys):
    settings = home / "data" / "raw" / "demo" / "settings.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace(
        "logic_model: logic_model.yaml", "logic_model: logic_modle.yaml"), encoding="utf-8")
    rc = cli.main(["report", "--city", "99201", "--period", "2024"])
    err = capsys.readouterr().err
    # one title line naming the settings file, one line per missing file
    assert rc == 1 and str(settings) in err and "logic_modle.yaml" in err and err.count("\n") <= 2
    assert not (home / "reports" / "99201" / "2024").exists()


def test_logic_model_problems_are_printed_on_the_console_line_by_line(home, capsys):
    lm = home / "data" / "raw" / "demo" / "logic_model.yaml"
    lm.write_text(lm.read_text(encoding="utf-8").replace("feeds: [env_course]", "feeds: [no_such_box]", 1),
                  encoding="utf-8")
    rc = cli.main(["report", "--city", "99201", "--period", "2024-07", "--only", "check1"])
    err = capsys.readouterr().err
    assert rc == 0  # the notebooks explain the problem in the report too
    warned = [line for line in err.splitlines() if "warning:" in line]
    assert any("no_such_box" in line for line in warned) and len(warned) >= 3  # title, file, each problem
    m = json.loads((home / "reports" / "99201" / "2024-07" / "manifest.json").read_text(encoding="utf-8"))
    assert any("no_such_box" in line for line in m["logic_model_problems"])


def test_stale_temporary_folders_of_an_interrupted_run_are_removed(home):
    city_dir = home / "reports" / "99201"
    stale = [city_dir / ".2024-08.k3j2.tmp", city_dir / ".2024-08.old-4242"]
    for d in stale:
        (d / "files").mkdir(parents=True)
        (d / "index.html").write_text("half a report", encoding="utf-8")
    other = city_dir / ".2024-09.a1b2.tmp"  # another period's run: not ours to remove
    other.mkdir()
    assert _run(period="2024-08", only="check1").ok
    assert not any(d.exists() for d in stale) and other.exists()


def test_a_second_concurrent_run_for_the_same_city_and_period_is_refused(home, capsys):
    from sckpi_helpers.reports.preflight import ReportLockedError, report_lock

    city_dir = home / "reports" / "99201"
    with report_lock(city_dir, "2024-11"):  # the first run, still going
        with pytest.raises(ReportLockedError, match="another 'sckpi report' is running"):
            _run(period="2024-11", only="check1")
        rc = cli.main(["report", "--city", "99201", "--period", "2024-11", "--only", "check1"])
        err = capsys.readouterr().err
        assert rc == 1 and "another 'sckpi report' is running" in err and err.count("\n") == 1
        assert not (city_dir / "2024-11").exists()
    assert _run(period="2024-11", only="check1").ok  # released: the next run goes ahead
    assert not [p for p in city_dir.iterdir() if p.name.startswith(".")]


def test_report_files_follow_the_umask(home):
    import stat

    old = os.umask(0o022)
    try:
        res = _run(period="2024-12", only="check1")
    finally:
        os.umask(old)
    assert res.ok
    mode = lambda p: stat.S_IMODE(p.stat().st_mode)
    assert mode(res.folder) == 0o755 and mode(res.folder / "files" / "check1_outputs") == 0o755
    for f in (res.folder / "index.html", res.folder / "manifest.json", res.folder / "check1_outputs.html",
              home / "reports" / "index.html", home / "reports" / "99201" / "index.html"):
        assert mode(f) == 0o644, f
