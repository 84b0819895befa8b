"""Smoke run of `netmob-tor bench`: one small city, two days, a coarse grid; correctness only, no timings.

The notebook-style baseline (benchmarks/notebook_baseline.py) must give the warehouse's commune rho
to 1e-9 and the same top-tile scores and top-commune tile series, and the results must carry the
documented keys. Builds its own DuckDB file under pytest's tmp_path (never the project warehouse).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from netmob_tor import bench
from netmob_tor.duck import connect
from netmob_tor.paths import project_root


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict], Path]:
    """run_bench at scale 40 on Nancy over 2019-03-31..04-01 (the 92-value spring-forward files included); a top-tile
    share of 2 % so that the coarse grid's few (tile, service) pairs still rank a few top tiles per service."""
    work = tmp_path_factory.mktemp("bench")
    results = bench.run_bench(["40"], ["Nancy"], "2019-03-31:2019-04-01", [2], work, incremental=False,
                              variables={"top_tile_share": 0.02}, user_commands=False)
    return results, work


def test_baseline_rho_equals_warehouse_rho(smoke: tuple[list[dict], Path]) -> None:
    results, work = smoke
    con = connect(work / "bench_s40_t2.duckdb", read_only=True)
    warehouse = con.execute("select commune_code, rho from commune_summary where rho is not null").df().set_index("commune_code")["rho"]
    crosswalk = con.execute("select city, tile_id, commune_code from int_tiles__communes where commune_code is not null").df()
    con.close()
    nb = bench.load_baseline()
    data_root = next((work / "data").iterdir())
    rho = nb.pass_rho(data_root, crosswalk, nb.load_anomaly_days(project_root() / "seeds" / "anomaly_days.csv"))
    assert len(warehouse) > 0
    assert set(rho.dropna().index) == set(warehouse.index)
    np.testing.assert_allclose(rho.reindex(warehouse.index), warehouse, rtol=0, atol=1e-9)
    assert results[0]["checks"]["max_abs_rho_gap"] <= 1e-9
    assert results[0]["checks"]["n_top_tiles"] >= 3  # at least one per service: the comparison is not empty
    assert results[0]["checks"]["top_tiles_match"] and results[0]["checks"]["series_match"]


def test_results_have_documented_keys(smoke: tuple[list[dict], Path], tmp_path: Path) -> None:
    results, work = smoke
    json_path, md_path = bench.write_results(results, tmp_path, bench.machine())
    stored = json.loads(json_path.read_text())["results"]
    assert len(stored) == 1
    for key in bench.REQUIRED_KEYS:
        assert key in stored[0], key
    assert set(stored[0]["stage_seconds"]) == set(bench.STAGES)
    # every re-analysis timed both ways: command-line dbt and one in-process session
    assert len(stored[0]["reanalysis"]) == len(bench.REANALYSES)
    assert all(row["session_wall_seconds"] > 0 and row["wall_seconds"] > 0 for row in stored[0]["reanalysis"])
    files = bench.raw_files(next((work / "data").iterdir()))
    assert stored[0]["raw_bytes"] == sum(f.stat().st_size for f in files)
    assert stored[0]["raw_values"] == sum(len(line.split()) - 1 for f in files for line in f.read_text().splitlines())
    assert "no individual or causal meaning" in md_path.read_text()


def test_limits_pass_over_every_line_duckdb_reads(smoke: tuple[list[dict], Path]) -> None:
    from netmob_tor.bench.limits import format_rows, measure

    _, work = smoke
    result = measure(next((work / "data").iterdir()), 1)
    assert result["lines"] == result["duckdb_lines"] > 0 and result["bytes"] > 0
    assert {r["kind"] for r in result["rows"]} == {"measured", "estimate"} and all(r["seconds"] >= 0 for r in result["rows"])
    assert format_rows(result).count("\n| ") == len(result["rows"]) + 1


def test_spring_forward_file_skips_the_gap_hour() -> None:
    nb = bench.load_baseline()
    hours = nb.quarter_hours_to_hours(92)
    assert sorted(set(hours)) == [h for h in range(24) if h != nb.DST_GAP_HOUR]
    assert (np.bincount(hours, minlength=24) == [0 if h == nb.DST_GAP_HOUR else 4 for h in range(24)]).all()
