"""Write the embedded default: a calibrated synthetic NetMob dataset in the real file formats."""

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

from netmob_tor.duck import connect
from netmob_tor.paths import reference_dir, seeds_dir
from netmob_tor.release import released_communes, grid_dims
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
    select INSEE_COM as commune_code, geom from ST_Read($communes)
)
select tiles.city, tiles.tile_id, min(communes.commune_code) as commune_code, count(communes.commune_code) as n_containing
from tiles left join communes on ST_Contains(communes.geom, tiles.centroid)
group by all
"""
"""Tile -> commune by centroid-in-polygon, as models/intermediate/int_tiles__communes.sql does it."""


@dataclass
class Manifest:
    """What was generated, written as manifest.json beside the data (no timestamps: deterministic)."""

    seed: int
    scale: str
    cities: list[str]
    first_day: str
    last_day: str
    n_days: int
    n_tiles: int = 0
    n_unassigned_tiles: int = 0
    traffic_bytes: int = 0
    rho_target_vs_realised: dict[str, float] = field(default_factory=dict)


def parse_scale(scale: str | int) -> int:
    """Tile sampling stride: 'full' is 1 (every 100 m tile), an integer k keeps every k-th row and column."""
    if str(scale).lower() == "full":
        return 1
    stride = int(scale)
    if stride < 1:
        raise ValueError("--scale is 'full' or a positive integer stride")
    return stride


def parse_days(spec: str | None) -> list[dt.date]:
    """Days to generate: all 77 study days, or 'YYYY-MM-DD:YYYY-MM-DD' (inclusive)."""
    if not spec:
        return traffic.study_days()
    first, _, last = spec.partition(":")
    return traffic.study_days(dt.date.fromisoformat(first), dt.date.fromisoformat(last or first))


def assign_tiles(con: duckdb.DuckDBPyConnection, out: Path) -> pd.DataFrame:
    """Tile -> commune on the files just written, with the models' rule (centroid in polygon)."""
    return con.execute(
        TILE_ASSIGNMENT_SQL,
        {"tiles": str(out / "grid" / "*.geojson"), "communes": str(out / "communes" / "communes.geojson")},
    ).df()


def write_geography(con: duckdb.DuckDBPyConnection, out: Path, communes: pd.DataFrame, stride: int, rng: np.random.Generator) -> pd.DataFrame:
    """Write the tile grids and commune polygons; return the tile -> commune assignment."""
    ref = reference_dir()
    geography.load_metropoles(con, ref)
    con.execute("delete from metro where city not in (select unnest($cities))", {"cities": sorted(communes["city"].unique())})
    dims = grid_dims(ref)
    grids = geography.city_grids(con, dims[dims["city"].isin(communes["city"])])
    geography.generate_extra_communes(con, grids, communes, rng)
    geography.commune_polygons(con)
    geography.write_commune_geojson(con, out / "communes" / "communes.geojson", communes)
    for city, grid in grids.items():
        tiles = geography.select_tiles(con, grid, stride)
        lon, lat = geography.lattice_wgs84(con, grid)
        geography.write_tile_geojson(out / "grid" / f"{city}.geojson", tiles, lon, lat)
    assigned = assign_tiles(con, out)
    missing = sorted(set(communes["commune_code"]) - set(assigned["commune_code"].dropna()))
    if missing:
        raise RuntimeError(f"{len(missing)} communes got no tile at this scale: {missing[:10]}")
    return assigned


def write_city(
    out: Path,
    city: str,
    c_idx: int,
    communes: pd.DataFrame,
    assigned: pd.DataFrame,
    days: list[dt.date],
    seed: int,
    targets: dict[str, float],
) -> tuple[int, dict[str, float]]:
    """Write one city's traffic files; return bytes written and its communes' realised rho.
    Each city draws from its own random stream, so cities can be written in any order."""
    ref = reference_dir()
    axis = traffic.HourAxis.for_days(days)
    profiles = traffic.load_profiles(ref / "study_release" / "heatmap.csv")
    anomalies = traffic.anomaly_days_by_city(seeds_dir() / "anomaly_days.csv", [city])[city]
    rng = np.random.default_rng([seed, 1, c_idx])
    kept = axis.kept(anomalies)
    if not kept.any():
        raise ValueError(f"{city}: every generated day is an anomaly day; nothing to calibrate")
    series: dict[str, dict[str, np.ndarray]] = {}
    realised: dict[str, float] = {}
    for row in communes.itertuples():
        totals = {s: getattr(row, traffic.TOTAL_COLUMN[s]) for s in traffic.SERVICES}
        target = traffic.CommuneTarget(row.commune_code, totals, targets[row.commune_code])
        series[row.commune_code], realised[row.commune_code] = traffic.commune_series(target, axis, kept, profiles, rng)
    city_tiles = assigned.copy()
    city_tiles["group"] = city_tiles["commune_code"].fillna(traffic.UNASSIGNED)
    if (city_tiles["group"] == traffic.UNASSIGNED).any():
        totals = {s: round(traffic.UNASSIGNED_SHARE * communes[traffic.TOTAL_COLUMN[s]].sum()) for s in traffic.SERVICES}
        series[traffic.UNASSIGNED], _ = traffic.commune_series(
            traffic.CommuneTarget(traffic.UNASSIGNED, totals, 0.1), axis, kept, profiles, rng
        )
    written = traffic.write_city_traffic(out, city, city_tiles[["tile_id", "group"]], series, axis, anomalies, rng)
    return written, realised


def write_traffic(
    out: Path,
    communes: pd.DataFrame,
    assigned: pd.DataFrame,
    days: list[dt.date],
    seed: int,
    targets: dict[str, float],
    workers: int = 2,
) -> tuple[int, dict[str, float]]:
    """Write every city's traffic files, `workers` cities at a time; return bytes and realised rho."""
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
    realised = {code: rho for _, part in results for code, rho in part.items()}
    return sum(written for written, _ in results), realised


def rho_targets(communes: pd.DataFrame) -> dict[str, float]:
    """Released rho per commune; the floored ones get negative targets spread over the published
    range of negative rho (Table 1 minimum -0.0493), in code order."""
    targets = dict(zip(communes["commune_code"], communes["rho_released"]))
    floored = sorted(communes.loc[communes["is_floored"], "commune_code"])
    for code, value in zip(floored, np.linspace(-0.0493, -0.004, max(len(floored), 1))):
        targets[code] = float(value)
    return targets


def generate(out: Path, seed: int = 20190316, cities: list[str] | None = None, days: str | None = None, scale: str | int = 20) -> Manifest:
    """Generate the embedded default into `out` (replaced). Same arguments, same bytes."""
    from netmob_tor.synth.small_inputs import write_small_inputs

    communes = released_communes()
    if cities:
        unknown = sorted(set(cities) - set(communes["city"]))
        if unknown:
            raise ValueError(f"unknown cities: {unknown}")
        communes = communes[communes["city"].isin(cities)].reset_index(drop=True)
    day_list = parse_days(days)
    stride = parse_scale(scale)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    con = connect()
    rng = np.random.default_rng([seed, 0])
    assigned = write_geography(con, out, communes, stride, rng)
    targets = rho_targets(communes)
    written, realised = write_traffic(out, communes, assigned, day_list, seed, targets)
    write_small_inputs(out, communes, out / "communes" / "communes.geojson", seed)
    calibration = pd.DataFrame(
        {"commune_code": list(realised), "rho_target": [targets[c] for c in realised], "rho_generated": list(realised.values())}
    ).sort_values("commune_code")
    (out / "_synthetic").mkdir()
    calibration.to_csv(out / "_synthetic" / "calibration.csv", index=False, float_format="%.10f")
    gap = (calibration["rho_generated"] - calibration["rho_target"]).abs()
    manifest = Manifest(
        seed=seed,
        scale="full" if stride == 1 else str(stride),
        cities=sorted(communes["city"].unique()),
        first_day=day_list[0].isoformat(),
        last_day=day_list[-1].isoformat(),
        n_days=len(day_list),
        n_tiles=len(assigned),
        n_unassigned_tiles=int(assigned["commune_code"].isna().sum()),
        traffic_bytes=written,
        rho_target_vs_realised={
            "pearson": round(float(np.corrcoef(calibration["rho_target"], calibration["rho_generated"])[0, 1]), 6),
            "max_abs_gap": round(float(gap.max()), 6),
            "mean_abs_gap": round(float(gap.mean()), 6),
        },
    )
    (out / "_synthetic" / "manifest.json").write_text(json.dumps(manifest.__dict__, indent=2) + "\n")
    (out / ".complete").write_text("")
    return manifest
