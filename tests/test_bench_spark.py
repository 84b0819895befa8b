"""The Spark bench's arithmetic (netmob_tor.bench_spark), worked by hand; the Spark builds themselves are
checked against DuckDB by tests/test_spark_target.py and by every bench run."""

from __future__ import annotations

import pytest

from netmob_tor.bench_spark import SIZINGS, sizing_lines


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
