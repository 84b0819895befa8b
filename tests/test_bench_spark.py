"""The Spark bench's arithmetic (netmob_tor.bench.spark) and its equality (netmob_tor.bench.equality), worked by hand;
the Spark builds themselves are checked against DuckDB by tests/test_spark_target.py and by every bench run."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from netmob_tor.bench.equality import column_gap, largest_gaps
from netmob_tor.bench.spark import SIZINGS, sizing_lines


def test_sizing_scales_the_measured_core_seconds_per_value() -> None:
    # 10 s of Spark models on 2 cores over 1e6 values: 2e-5 core-seconds a value. At 5 bytes a value, 50 GB is
    # 1e10 values, 2e5 core-seconds = 55.6 core-hours, 3.47 h on 16 cores; 2.3 TB is 46x that: 2,556 core-hours.
    result = {"spark_models_seconds": 10.0, "cores": 2, "raw_values": 1_000_000, "bytes_per_value": 5.0}
    study, netmob = sizing_lines(result)
    assert list(SIZINGS) == ["the study's 3 services (DL)", "NetMob 2023, 68 services x 2 directions"]
    assert "10 G values" in study and "-> 56 core-hours" in study and "3.47 h on 16 cores" in study
    assert "460 G values" in netmob and "-> 2,556 core-hours" in netmob and "9.98 h on 256 cores" in netmob


@pytest.mark.parametrize("cores", [1, 4])
def test_sizing_counts_cores(cores: int) -> None:
    # the same wall seconds on more cores is more core-seconds a value
    result = {"spark_models_seconds": 36.0, "cores": cores, "raw_values": 1e7, "bytes_per_value": 1.0}
    expected = 50e9 * 36.0 * cores / 1e7 / 3600  # core-hours for 50 GB
    assert f"-> {expected:,.0f} core-hours" in sizing_lines(result)[0]


def test_equality_gap_by_hand() -> None:
    # absolute: |3 - 3.5| = 0.5 (nulls on both sides are alike); relative to max(1, |value|): |10 - 11| / 10 = 0.1,
    # |0.5 - 0.6| / 1 = 0.1; a null on one side only, or a row more, is no equality at all
    duck = pd.DataFrame({"rho": [1.0, None, 3.0], "c": [10.0, 0.5, None]})
    spark = pd.DataFrame({"rho": [1.0, None, 3.5], "c": [11.0, 0.6, None]})
    assert largest_gaps(duck, spark, ["rho"]) == {"rho": 0.5}
    assert math.isclose(column_gap(duck["c"], spark["c"], relative=True), 0.1)
    assert column_gap(duck["rho"], pd.Series([1.0, 2.0, 3.0])) == math.inf
    assert column_gap(duck["rho"], pd.Series([1.0, None])) == math.inf
    assert column_gap(pd.Series([None], dtype=float), pd.Series([None], dtype=float)) == 0.0
