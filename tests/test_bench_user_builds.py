"""The bench's rows for what the user types (netmob_tor.bench.user_builds, .results), on hand-made dbt results.

No build runs here: the per-node times and the walls are made up, and the expected order, sums and ratios
are worked out by hand. Exploratory area-level data: no individual or causal meaning.
"""

from __future__ import annotations

import json
from pathlib import Path

from netmob_tor.bench.results import format_user_builds, target_lines
from netmob_tor.bench.user_builds import command_line, seconds_in_tests, slowest_tests
from netmob_tor.paths import project_root


def write_run_results(target: Path) -> None:
    """A run_results.json with two models, three data tests and a unit test."""
    target.mkdir(parents=True, exist_ok=True)
    nodes = [("model.netmob_tor.a", 5.0), ("model.netmob_tor.b", 1.0), ("test.netmob_tor.unique_a_id.123", 0.5),
             ("test.netmob_tor.not_null_b_x.456", 2.25), ("test.netmob_tor.grain_of_c.789", 0.75),
             ("unit_test.netmob_tor.b.lag_works", 0.125)]
    results = [{"unique_id": uid, "execution_time": seconds} for uid, seconds in nodes]
    (target / "run_results.json").write_text(json.dumps({"results": results}))


def test_slowest_tests_and_test_seconds(tmp_path: Path) -> None:
    write_run_results(tmp_path)
    assert slowest_tests(tmp_path, 2) == [{"test": "not_null_b_x", "seconds": 2.25}, {"test": "grain_of_c", "seconds": 0.75}]
    assert seconds_in_tests(tmp_path) == 0.5 + 2.25 + 0.75 + 0.125


def test_make_build_is_typed_as_make_in_the_working_tree(tmp_path: Path) -> None:
    assert command_line("make_build", tmp_path, project_root())[:3] == ["make", "-s", "build"]
    snapshot = command_line("make_build", tmp_path, tmp_path)  # a git snapshot has no set-up: the command make runs
    assert snapshot[-4:-2] == ["--all-profiles", "--store-failures"]
    assert json.loads(snapshot[-1]) == {"data_root": str(tmp_path)}


def result_with_user_builds() -> dict:
    """One scale's result: notebook 15 s, models-only 10 s, make build 30 s cold and 12 s warm."""
    t = {"threads": 2, "raw_read_ratio_to_parse_floor": 1.5, "raw_read_ratio_to_parse_floor_double": 1.4, "speedup_vs_baseline": 1.5,
         "three_pass_speedup_vs_baseline": 3.0, "peak_rss_mb": 1000, "floor_seconds": 2, "parse_floor_seconds": 4,
         "parse_floor_double_seconds": 4.5}
    rows = [{"command": "make_build", "cold_wall_seconds": 30.0, "warm_wall_seconds": 12.0, "cold_test_seconds": 5.0,
             "cold_peak_rss_mb": 900.0, "warm_peak_rss_mb": 950.0, "cold_speedup_vs_notebook": 0.5, "warm_speedup_vs_notebook": 1.25},
            {"command": "netmob_tor_build", "cold_wall_seconds": 20.0, "warm_wall_seconds": 15.0, "cold_test_seconds": 4.0,
             "cold_peak_rss_mb": 800.0, "warm_peak_rss_mb": 700.0, "cold_speedup_vs_notebook": 0.75, "warm_speedup_vs_notebook": 1.0,
             "slowest_tests": [{"test": "not_null_b_x", "seconds": 2.25}]}]
    return {"scale": "full", "by_threads": [t], "baseline_seconds": 15.0, "end_to_end_seconds": 10.0, "user_builds": rows}


def test_user_build_rows_and_targets() -> None:
    result = result_with_user_builds()
    table = format_user_builds([result])
    assert "| full | `make build` | 30.00 | 0.5 | 12.00 | 1.25 | 5.00 | 950 | 10.00 | 15.0 |" in table
    assert "| full | `not_null_b_x` | 2.250 |" in table
    lines = "\n".join(target_lines([result]))
    assert "models-only first build: 1.50x the notebook's pass 1 (met for 1.5x)" in lines
    assert "`make build` with its tests: 30.00 s, 0.50x the notebook's pass 1 (**not met** for 1.0x; aim 1.3x)" in lines
    assert "`netmob-tor build` with its tests: 20.00 s, 0.75x the notebook's pass 1; with the parse kept" in lines
