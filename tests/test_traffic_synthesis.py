"""Unit tests of the synthetic traffic's building blocks: exact integer splits and calibrated rho."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from netmob_tor.synth import traffic


def test_largest_remainder_hits_total_and_stays_close() -> None:
    rng = np.random.default_rng(1)
    values = rng.lognormal(size=500)
    out = traffic.largest_remainder(values, 1234)
    assert out.sum() == 1234
    assert np.all(np.abs(out - values * 1234 / values.sum()) < 1.0)


def test_split_to_tiles_keeps_every_group_hour_sum_exact() -> None:
    rng = np.random.default_rng(2)
    hourly = rng.integers(0, 10_000, size=(3, 24))
    group_of_tile = np.array([0, 0, 1, 1, 1, 2])
    raw = rng.random(6)
    weight = raw / np.bincount(group_of_tile, weights=raw)[group_of_tile]
    quarter = rng.random((24, 4))
    quarter /= quarter.sum(axis=1, keepdims=True)
    cells = traffic.split_to_tiles(hourly, group_of_tile, weight, quarter)
    assert cells.shape == (6, 96)
    assert cells.min() >= 0
    per_hour = cells.reshape(6, 24, 4).sum(axis=2)
    for g in range(3):
        np.testing.assert_array_equal(per_hour[group_of_tile == g].sum(axis=0), hourly[g])


def test_hour_axis_has_no_0200_on_spring_forward_day() -> None:
    axis = traffic.HourAxis.for_days(traffic.study_days(dt.date(2019, 3, 30), dt.date(2019, 4, 1)))
    dst = axis.hour[axis.day_index == 1]
    assert len(dst) == 23 and 2 not in dst
    assert len(axis.hour) == 24 + 23 + 24


@pytest.mark.parametrize("target", [-0.04, 0.05, 0.17, 0.45])
def test_tor_series_reaches_target_correlation(target: float) -> None:
    rng = np.random.default_rng(3)
    n = 24 * 30
    kept = np.ones(n, dtype=bool)
    kept[48:72] = False
    wa = rng.integers(50, 5000, size=n)
    shape = rng.normal(size=n)
    tor, rho = traffic.tor_with_correlation(wa, shape, 200_000, target, kept)
    assert tor[kept].sum() == 200_000
    realised = np.corrcoef(np.log(np.maximum(wa[kept], 1e-3)), np.log(np.maximum(tor[kept], 1e-3)))[0, 1]
    assert realised == pytest.approx(rho)
    assert abs(realised - target) < 2e-3
