"""Reading the processed store in a long national run: tables kept in memory while their file is
unchanged, and a city's tier-3 rows read for the city and its peers only — never a stale or a
different value (sckpi_helpers.store.reads, indicators.cache.indicator_results)."""

from __future__ import annotations

import pandas as pd
import pytest

from sckpi_helpers.atomic import atomic_write_parquet
from sckpi_helpers.store import reads


@pytest.fixture(autouse=True)
def _fresh():
    reads.forget()
    yield
    reads.forget()


def _table(values: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"area_code": ["01100", "13101", "13101", "20448"][: len(values)],
                         "reason": ["a", "b", "c", "d"][: len(values)], "value": values})


def test_a_rebuilt_file_is_read_again_not_served_from_memory(tmp_path):
    path = tmp_path / "indicators.parquet"
    atomic_write_parquet(_table([1.0, 2.0, 3.0]), path)
    assert reads.read_parquet(path)["value"].tolist() == [1.0, 2.0, 3.0]
    atomic_write_parquet(_table([1.0, 2.0, 30.0]), path)  # a rebuild: same size, a new file
    assert reads.read_parquet(path)["value"].tolist() == [1.0, 2.0, 30.0]
    assert reads.read_rows(path, "area_code", ["13101"])["value"].tolist() == [2.0, 30.0]


def test_a_caller_may_change_what_it_read(tmp_path):
    path = tmp_path / "panel.parquet"
    atomic_write_parquet(_table([1.0, 2.0, 3.0, 4.0]), path)
    first = reads.read_parquet(path)
    first.loc[0, "value"] = -1
    rows = reads.read_rows(path, "area_code", ["01100"])
    rows.loc[0, "value"] = -1
    assert reads.read_parquet(path)["value"].iloc[0] == 1.0
    assert reads.read_rows(path, "area_code", ["01100"])["value"].iloc[0] == 1.0


def test_the_rows_of_some_areas_are_the_whole_file_filtered_in_file_order(tmp_path):
    path = tmp_path / "indicators.parquet"
    atomic_write_parquet(_table([1.0, 2.0, 3.0, 4.0]), path)
    some = reads.read_rows(path, "area_code", ["20448", "13101", "99999"])
    whole = pd.read_parquet(path)
    want = whole[whole["area_code"].isin(["20448", "13101"])].reset_index(drop=True)
    assert some["area_code"].astype(str).tolist() == want["area_code"].tolist()
    assert some["value"].tolist() == want["value"].tolist()
    assert some["reason"].astype(str).tolist() == want["reason"].tolist()


def test_a_citys_tier3_rows_for_its_peers_equal_the_whole_nations_rows():
    """The values a city's page shows do not depend on reading the nation or only its peers: the
    補正人口 chain's pick is the city's in both."""
    from sckpi_helpers.city import resolve_city
    from sckpi_helpers.indicators.cache import ensure_indicators, indicator_results
    from sckpi_helpers.store.build import ensure_processed
    from sckpi_helpers.store.processed import load_areas, load_panel

    ctx = resolve_city("13101", "2022")
    ensure_processed(ctx.build)
    ensure_indicators(ctx)
    panel, areas = load_panel(ctx.build), load_areas(ctx.build)
    peers = ctx.peers_in(areas, panel)
    some = indicator_results(ctx, panel, areas=peers)
    whole = indicator_results(ctx, panel)
    whole = whole[whole["area_code"].isin(set(peers) | {"13101"})]
    key = ["area_code", "indicator_id", "year"]
    a = some.sort_values(key).reset_index(drop=True)
    b = whole.sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(a[[*key, "value", "status", "flag", "adjusted_population"]],
                                  b[[*key, "value", "status", "flag", "adjusted_population"]])
    assert len(a) > 1000 and a["value"].notna().any()
