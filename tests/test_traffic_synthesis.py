"""Unit tests of the synthetic traffic's building blocks (exact integer splits, calibrated rho),
and an independent pandas check that the written files, processed as the authors did (study
profile), reproduce the generator's targets."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from netmob_tor.duck import connect
from netmob_tor.synth import generate, traffic

ORACLE_DAYS = "2019-03-30:2019-04-01,2019-04-14,2019-05-12"
FILTER_STAMPS = {"20190331", "20190512"}


def test_largest_remainder_hits_total_and_stays_close() -> None:
    rng = np.random.default_rng(1)
    values = rng.lognormal(size=500)
    out = traffic.largest_remainder(values, 1234)
    assert out.sum() == 1234
    assert np.all(np.abs(out - values * 1234 / values.sum()) < 1.0)


@pytest.mark.parametrize("shape, high", [((300, 97), 50), ((40, 97), 10**12), ((7, 1), 10), ((1, 5), 1)])
def test_integer_rows_text_is_what_savetxt_writes(tmp_path: Path, shape: tuple[int, int], high: int) -> None:
    rng = np.random.default_rng(shape[0])
    rows = rng.integers(0, high, size=shape)
    flat = rows.reshape(-1)  # a view: the edges of each width first (zero, 9 and 10, 99 and 100...), high last
    edges = [0, 9, 10, 99, 100, 999_999, 1_000_000]
    flat[: min(len(edges), flat.size)] = edges[: flat.size]
    flat[-1] = high
    np.savetxt(tmp_path / "oracle.txt", rows, fmt="%d", delimiter=" ")
    assert traffic.integer_rows_text(rows) == (tmp_path / "oracle.txt").read_bytes()


def test_integer_rows_text_refuses_negative_values() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        traffic.integer_rows_text(np.array([[1, -2]]))


def test_split_rows_is_exact_and_skips_zero_weights() -> None:
    rng = np.random.default_rng(4)
    values = rng.integers(0, 50, size=200)
    weights = rng.random((200, 4)) * (rng.random((200, 4)) < 0.7)
    weights[:, 0] += 0.01  # every row has some weight
    out = traffic.split_rows(values, weights)
    np.testing.assert_array_equal(out.sum(axis=1), values)
    assert out.min() >= 0 and np.all(out[weights == 0] == 0)


def test_split_to_tiles_keeps_every_group_quarter_sum_exact() -> None:
    rng = np.random.default_rng(2)
    quarters = rng.integers(0, 10_000_000_000, size=(3, 96))
    quarters[1, :10] = 0
    group_of_tile = np.array([0, 0, 1, 1, 1, 2])
    raw = rng.random(6)
    weight = raw / np.bincount(group_of_tile, weights=raw)[group_of_tile]
    cells = traffic.split_to_tiles(quarters, group_of_tile, weight)
    assert cells.shape == (6, 96)
    assert cells.min() >= 0
    assert np.all(cells[group_of_tile == 1][:, :10] == 0)
    for g in range(3):
        np.testing.assert_array_equal(cells[group_of_tile == g].sum(axis=0), quarters[g])


def test_hour_axis_has_no_0200_on_spring_forward_day() -> None:
    axis = traffic.HourAxis.for_days(traffic.study_days(dt.date(2019, 3, 30), dt.date(2019, 4, 1)))
    dst = axis.hour[axis.day_index == 1]
    assert len(dst) == 23 and 2 not in dst
    assert len(axis.hour) == 24 + 23 + 24


def test_parse_days_accepts_lists_and_ranges() -> None:
    days = generate.parse_days("2019-05-12,2019-03-30:2019-04-01,2019-03-31")
    assert [d.isoformat() for d in days] == ["2019-03-30", "2019-03-31", "2019-04-01", "2019-05-12"]


@pytest.mark.parametrize("target", [-0.04, 0.05, 0.17, 0.45])
def test_tor_series_reaches_target_correlation_on_visible_hours(target: float) -> None:
    rng = np.random.default_rng(3)
    n = 24 * 30
    share = np.ones(n)
    share[48:60] = 0.0  # hours the study rule removes
    share[60:72] = 0.5  # hours partly removed
    wa = rng.integers(50, 5000, size=n)
    wa[48:60] = 0
    shape = rng.normal(size=n)
    tor, level, rho = traffic.tor_with_correlation(wa, shape, 200_000, target, share)
    seen = share > 0
    assert tor[seen].sum() == 200_000 and np.all(tor[~seen] == 0)
    assert np.all(level[~seen] < 10 * np.median(level))  # a removed hour keeps a normal level
    realised = np.corrcoef(np.log(np.maximum(wa[seen], 1e-3)), np.log(np.maximum(tor[seen], 1e-3)))[0, 1]
    assert realised == pytest.approx(rho)
    assert abs(realised - target) < 2e-3


def commune_quarters(root: Path, city: str, tiles: pd.DataFrame) -> pd.DataFrame:
    """Commune x day x file position x service sums of the written files (pandas only)."""
    parts = []
    for path in sorted((root / city).glob("*/*/*_DL.txt")):
        raw = pd.read_csv(path, sep=" ", header=None)
        values = raw.set_index(0).rename_axis("tile_id")
        summed = values.join(tiles, how="inner").groupby("commune_code").sum()
        long = summed.stack().rename("value").reset_index().rename(columns={"level_1": "position"})
        long["position"] = long["position"] - 1
        long["stamp"], long["service"] = path.parent.name, path.parent.parent.name
        parts.append(long)
    return pd.concat(parts).pivot_table(index=["commune_code", "stamp", "position"], columns="service", values="value").reset_index()


def study_rule(rows: pd.DataFrame) -> pd.DataFrame:
    """The authors' filter: drop commune quarter-hours with Web_Adult exactly 0 on 03-31 and 05-12."""
    return rows[~(rows["stamp"].isin(FILTER_STAMPS) & (rows["Web_Adult"] == 0))]


def check_against_targets(root: Path, city: str) -> None:
    """Totals and hourly rho of the study-visible files equal the targets in calibration.csv."""
    assigned = generate.assign_tiles(connect(), root)
    tiles = assigned[(assigned["city"] == city) & assigned["commune_code"].notna()].set_index("tile_id")[["commune_code"]]
    kept = study_rule(commune_quarters(root, city, tiles))
    removed_days = set(kept["stamp"]) ^ {p.name for p in (root / city / "Tor").iterdir()}
    assert not removed_days
    kept = kept.assign(hour=kept["position"] // 4)  # 92-value day: labels by position, as the study read it
    hourly = kept.groupby(["commune_code", "stamp", "hour"])[["Tor", "Web_Adult"]].sum()
    logs = np.log(hourly.clip(lower=1e-3))
    rho = logs.groupby("commune_code").apply(lambda g: np.corrcoef(g["Web_Adult"], g["Tor"])[0, 1])
    totals = kept.groupby("commune_code")[["Tor", "Web_Adult", "YouTube"]].sum()
    calibration = pd.read_csv(root / "_synthetic" / "calibration.csv", dtype={"commune_code": str}).set_index("commune_code")
    assert set(totals.index) == set(tiles["commune_code"]) and len(totals) > 5
    assert set(totals.index) <= set(calibration.index)
    for service, column in traffic.TOTAL_COLUMN.items():
        np.testing.assert_array_equal(totals[service].astype("int64"), calibration.loc[totals.index, column])
    assert (rho - calibration.loc[rho.index, "rho_target"]).abs().max() < 2e-3
    np.testing.assert_allclose(rho, calibration.loc[rho.index, "rho_generated"], atol=1e-9)


@pytest.fixture(scope="module")
def oracle_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    runs = {}
    for mode in generate.TARGET_MODES:
        runs[mode] = tmp_path_factory.mktemp("oracle") / mode
        generate.generate(runs[mode], seed=11, cities=["Dijon"], days=ORACLE_DAYS, scale=40, targets=mode)
    return runs


@pytest.mark.parametrize("mode", generate.TARGET_MODES)
def test_study_visible_files_hit_the_targets(oracle_runs: dict[str, Path], mode: str) -> None:
    check_against_targets(oracle_runs[mode], "Dijon")


def test_release_targets_are_the_released_totals(oracle_runs: dict[str, Path]) -> None:
    calibration = pd.read_csv(oracle_runs["release"] / "_synthetic" / "calibration.csv", dtype={"commune_code": str})
    released = generate.released_communes().set_index("commune_code").loc[calibration["commune_code"]]
    np.testing.assert_array_equal(calibration["tor_dl"], released["tor_dl"].round().astype("int64"))


def test_random_targets_are_not_the_release(oracle_runs: dict[str, Path]) -> None:
    calibration = pd.read_csv(oracle_runs["random"] / "_synthetic" / "calibration.csv", dtype={"commune_code": str})
    released = generate.released_communes().set_index("commune_code").loc[calibration["commune_code"]]
    assert not np.any(calibration["tor_dl"].to_numpy() == released["tor_dl"].round().to_numpy())
    assert calibration["rho_target"].between(-0.1, 0.5).all()
    assert np.corrcoef(calibration["rho_target"], released["rho_released"])[0, 1] < 0.5


def test_filter_day_outage_zeroes_web_adult_and_degrades_the_others(oracle_runs: dict[str, Path]) -> None:
    root = oracle_runs["release"]
    assigned = generate.assign_tiles(connect(), root)
    tiles = assigned[(assigned["city"] == "Dijon") & assigned["commune_code"].notna()].set_index("tile_id")[["commune_code"]]
    rows = commune_quarters(root, "Dijon", tiles)
    day = rows[rows["stamp"] == "20190512"]
    zero = day[day["Web_Adult"] == 0]
    assert zero["commune_code"].nunique() >= 1
    assert (zero["Tor"] + zero["YouTube"]).sum() > 0  # degraded volume the rule removes
    assert len(study_rule(rows)) < len(rows)
