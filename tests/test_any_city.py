"""The traffic part on any city, commune file and period (docs/own-cities.md).

Two small datasets written by the tests, neither tuned to the pipeline:
- the real-format fixture (ADMIN-EXPRESS COMMUNE.shp in Lambert-93 with municipal districts, the
  Dijon grid and two days of traffic) plus a second city, "Overlap", whose grid repeats part of
  Dijon's, built under `commune_scope: study` and `all`;
- a tiny city outside the study (its own grid of four tiles, two communes in a GeoJSON with
  non-ADMIN-EXPRESS property names, three days of 2023, one of them an anomaly day given by var),
  under `commune_scope: all`.
Each build runs every dbt test of the traffic models; known answers are worked out here from the
files (sums by hand, rho by numpy), not from the SQL.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pytest

from conftest import run_dbt
from netmob_tor.duck import connect
from netmob_tor.paths import seeds_dir

FIXTURE = Path(__file__).parent / "fixtures" / "real"
TRAFFIC = ["+commune_hour", "+int_communes__correction_factors", "+city_tile_coverage"]
SERVICES = ("Tor", "Web_Adult", "YouTube")


def read_lines(path: Path) -> dict[int, list[float]]:
    """tile_id -> its values, from one NetMob traffic file."""
    out = {}
    for line in path.read_text().splitlines():
        fields = line.split()
        out[int(fields[0])] = [float(v) for v in fields[1:]]
    return out


def study_codes(city: str) -> set[str]:
    """The seed's communes of `city`."""
    with (seeds_dir() / "study_communes.csv").open() as handle:
        return {r["commune_code"] for r in csv.DictReader(handle) if r["city"] == city}


def build(root: Path, tmp: Path, name: str, variables: dict[str, object]) -> duckdb.DuckDBPyConnection:
    """dbt build of the traffic models (every test attached to them) into tmp/name.duckdb."""
    work = tmp / name
    work.mkdir()
    run = run_dbt(root, work / "wh.duckdb", work, TRAFFIC, variables)
    assert run.returncode == 0, run.stdout[-5000:]
    return connect(work / "wh.duckdb", read_only=True)


# --------------------------------------------------------------------------- national layout, two scopes

OVERLAP_TILES = 20  # the first tiles of Dijon's grid file, repeated as the second city's grid


EXTRA_CODE = "21999"


def add_extra_commune(root: Path) -> str:
    """Rewrite COMMUNE.shp (Lambert-93) so that the study commune holding most Dijon tiles after the
    city itself becomes a commune outside the study (code 21999): a neighbouring commune with tiles."""
    con = connect()
    shp = root / "communes" / "COMMUNE.shp"
    centroid = "ST_Centroid(ST_GeomFromGeoJSON(unnest(features).geometry::json))"
    busiest = con.execute(f"""
        with tiles as (select {centroid} as c from read_json('{root}/grid/Dijon.geojson')),
        communes as (select INSEE_COM as code, ST_Transform(geom, 'EPSG:2154', 'EPSG:4326', always_xy := true) as g
                     from ST_Read('{shp}'))
        select code from communes join tiles on ST_Contains(g, c) where code <> '21231'
        group by code order by count(*) desc, code limit 1""").fetchone()[0]
    out = root / "communes" / "rewritten"
    out.mkdir()
    con.execute(f"""copy (select * replace (
                        case when INSEE_COM = '{busiest}' then '{EXTRA_CODE}' else INSEE_COM end as INSEE_COM,
                        case when INSEE_COM = '{busiest}' then 'Commune hors étude' else NOM end as NOM)
                    from ST_Read('{shp}'))
                 to '{out}/COMMUNE.shp' with (format gdal, driver 'ESRI Shapefile', srs 'EPSG:2154')""")
    con.close()
    for part in out.iterdir():
        shutil.move(part, root / "communes" / part.name)
    out.rmdir()
    return busiest


@pytest.fixture(scope="module")
def national(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The fixture's ADMIN-EXPRESS layout plus a second city whose grid overlaps Dijon's."""
    tmp = tmp_path_factory.mktemp("national")
    root = tmp / "data"
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns("*.py"))
    extra = add_extra_commune(root)
    grid = json.loads((root / "grid" / "Dijon.geojson").read_text())
    overlap = {"type": "FeatureCollection", "features": []}
    id_map = {}
    for i, feature in enumerate(grid["features"][:OVERLAP_TILES]):
        id_map[feature["properties"]["tile_id"]] = 1000 + i
        overlap["features"].append({**feature, "properties": {"tile_id": 1000 + i}})
    (root / "grid" / "Overlap.geojson").write_text(json.dumps(overlap))
    for service in SERVICES:
        for day_dir in sorted((root / "Dijon" / service).iterdir()):
            source = day_dir / f"Dijon_{service}_{day_dir.name}_DL.txt"
            target = root / "Overlap" / service / day_dir.name / f"Overlap_{service}_{day_dir.name}_DL.txt"
            target.parent.mkdir(parents=True)
            lines = read_lines(source)
            # the second grid's own volumes: the Dijon tile's values, doubled, so the sums tell them apart
            target.write_text("".join(f"{new} " + " ".join(f"{2 * v:g}" for v in lines[old]) + "\n"
                                      for old, new in id_map.items()))
    days = sorted(p.name for p in (root / "Dijon" / "Tor").iterdir())
    period = {"study_start": f"{days[0][:4]}-{days[0][4:6]}-{days[0][6:]}", "study_end": f"{days[-1][:4]}-{days[-1][4:6]}-{days[-1][6:]}"}
    return {"root": root, "tmp": tmp, "period": period, "id_map": id_map, "extra": extra}


@pytest.fixture(scope="module")
def study_scope(national: dict[str, object]) -> duckdb.DuckDBPyConnection:
    con = build(national["root"], national["tmp"], "study", {**national["period"], "commune_scope": "study"})
    yield con
    con.close()


@pytest.fixture(scope="module")
def all_scope(national: dict[str, object]) -> duckdb.DuckDBPyConnection:
    con = build(national["root"], national["tmp"], "all", {**national["period"], "commune_scope": "all"})
    yield con
    con.close()


def test_study_scope_assigns_only_the_seed_communes_of_each_city(study_scope: duckdb.DuckDBPyConnection) -> None:
    reached = {r[0] for r in study_scope.execute("select distinct commune_code from commune_hour").fetchall()}
    assert reached and reached <= study_codes("Dijon") and EXTRA_CODE not in reached
    outside = study_scope.execute("select n_tiles_outside from city_tile_coverage where city = 'Dijon' and service = 'Tor'").fetchone()[0]
    assert outside > 0  # the extra commune's tiles, outside the study area
    # the second city is not in the study: all its tiles are outside the study area, and counted
    coverage = study_scope.execute("select n_tiles, n_tiles_in_communes, n_tiles_outside, dl_in_communes, share_dl_outside "
                                   "from city_tile_coverage where city = 'Overlap' and service = 'Tor'").fetchone()
    assert coverage[0] == OVERLAP_TILES and coverage[1] == 0 and coverage[2] == OVERLAP_TILES
    assert coverage[3] == 0 and coverage[4] == 1


def test_all_scope_takes_every_commune_and_sums_two_grids(all_scope: duckdb.DuckDBPyConnection,
                                                          study_scope: duckdb.DuckDBPyConnection,
                                                          national: dict[str, object]) -> None:
    reached = {r[0] for r in all_scope.execute("select distinct commune_code from commune_hour").fetchall()}
    assert reached - study_codes("Dijon") == {EXTRA_CODE}  # the neighbouring commune outside the study
    # every commune has one city; the communes both grids reach are flagged
    tiles = all_scope.execute("select city, tile_id, commune_code, commune_city, n_commune_cities from int_tiles__communes "
                              "where is_assigned").df()
    assert set(tiles["commune_city"]) == {"Dijon"}  # Dijon holds more tiles in each shared commune
    shared = set(tiles.loc[tiles["city"] == "Overlap", "commune_code"])
    assert shared and (tiles.loc[tiles["commune_code"].isin(shared), "n_commune_cities"] == 2).all()
    assert all_scope.execute("select count(*) from commune_hour where city <> 'Dijon'").fetchone()[0] == 0
    # known answer: a shared commune's Tor download = its Dijon tiles + twice the same tiles' values (Overlap)
    root = national["root"]
    expected = {}
    for day_dir in sorted((root / "Dijon" / "Tor").iterdir()):
        dijon = read_lines(day_dir / f"Dijon_Tor_{day_dir.name}_DL.txt")
        overlap = read_lines(root / "Overlap" / "Tor" / day_dir.name / f"Overlap_Tor_{day_dir.name}_DL.txt")
        for city, lines in (("Dijon", dijon), ("Overlap", overlap)):
            for tile_id, values in lines.items():
                match = tiles[(tiles["city"] == city) & (tiles["tile_id"] == tile_id)]
                if len(match):
                    code = match["commune_code"].iloc[0]
                    expected[code] = expected.get(code, 0.0) + sum(values)
    got = dict(all_scope.execute("select commune_code, sum(tor_dl) from commune_hour group by all").fetchall())
    for code in shared:
        assert got[code] == pytest.approx(expected[code], rel=1e-12)
    # the communes only Dijon reaches carry the same traffic in both scopes
    study = dict(study_scope.execute("select commune_code, sum(tor_dl) from commune_hour group by all").fetchall())
    for code in set(study) - shared:
        assert got[code] == pytest.approx(study[code], rel=1e-12)


def test_municipal_districts_replace_their_city(all_scope: duckdb.DuckDBPyConnection) -> None:
    codes = {r[0] for r in all_scope.execute("select commune_code from stg_ign__communes").fetchall()}
    assert "69381" in codes and "69123" not in codes


def test_shapefile_rewritten_in_latin1_under_a_utf8_cpg_is_read_as_latin1(all_scope: duckdb.DuckDBPyConnection) -> None:
    """add_extra_commune rewrites COMMUNE.shp with GDAL, which writes the .dbf in Latin-1 and leaves the fixture's
    UTF-8 .cpg: the names are read as Latin-1 (not stored as invalid UTF-8, which stops DuckDB)."""
    names = dict(all_scope.execute("select commune_code, commune_name from stg_ign__communes "
                                   "where commune_code in (?, '21605')", [EXTRA_CODE]).fetchall())
    assert names == {EXTRA_CODE: "Commune hors étude", "21605": "Sennecey-lès-Dijon"}


# --------------------------------------------------------------------------- a tiny city outside the study

TINY_DAYS = ["20230403", "20230404", "20230405"]
# 2 x 2 tiles of 0.01 degree near 0 E 45 N (no French commune); west column in commune A, east in B
TINY_TILES = {1: (0.00, 45.01), 2: (0.01, 45.01), 3: (0.00, 45.00), 4: (0.01, 45.00)}
TINY_COMMUNES = {"40001": ("Commune A", 0.00, 1200), "40002": ("Commune B", 0.01, 800)}
TINY_CITY = "Petiteville"
TINY_COMMUNE_OF_TILE = {1: "40001", 3: "40001", 2: "40002", 4: "40002"}
# an anomaly day given by var (not the seed), dropped whole under anomaly_rule: drop_days
TINY_ANOMALY_DAY = "20230404"
TINY_KEPT_DAYS = [d for d in TINY_DAYS if d != TINY_ANOMALY_DAY]


def square(x: float, y: float, size: float = 0.01) -> list[list[list[float]]]:
    """A square polygon with its south-west corner at (x, y), as GeoJSON coordinates."""
    return [[[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]]

# each commune is a column of two tiles: x .. x + 0.01, 45.00 .. 45.02


def write_tiny_city(root: Path) -> dict[tuple[str, str], dict[int, np.ndarray]]:
    """A city outside the study written under `root`: its grid, two communes (custom property names), three days of
    traffic; returns the values written, by (service, day) and tile (also the data of docs/own-cities.md's command)."""
    (root / "grid").mkdir(parents=True)
    (root / "communes").mkdir()
    grid = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"tile_id": t}, "geometry": {"type": "Polygon", "coordinates": square(x, y)}}
        for t, (x, y) in TINY_TILES.items()]}
    (root / "grid" / f"{TINY_CITY}.geojson").write_text(json.dumps(grid))
    communes = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": code, "label": name, "inhabitants": pop},
         "geometry": {"type": "Polygon", "coordinates": [[[x, 45.0], [x + 0.01, 45.0], [x + 0.01, 45.02], [x, 45.02], [x, 45.0]]]}}
        for code, (name, x, pop) in TINY_COMMUNES.items()]}
    (root / "communes" / "communes.geojson").write_text(json.dumps(communes))
    rng = np.random.default_rng(7)
    values = {}
    for service in SERVICES:
        for day in TINY_DAYS:
            path = root / TINY_CITY / service / day / f"{TINY_CITY}_{service}_{day}_DL.txt"
            path.parent.mkdir(parents=True)
            rows = {t: rng.integers(0, 50, 96) * (rng.random(96) > 0.2) for t in TINY_TILES}
            values[(service, day)] = rows
            path.write_text("".join(f"{t} " + " ".join(str(int(v)) for v in row) + "\n" for t, row in rows.items()))
    return values


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A city outside the study: its grid, two communes (custom property names), three days of traffic."""
    tmp = tmp_path_factory.mktemp("tiny")
    root = tmp / "data"
    values = write_tiny_city(root)
    variables = {
        "study_start": "2023-04-03", "study_end": "2023-04-05", "commune_scope": "all",
        "zero_web_adult_days": [], "use_anomaly_days_seed": False, "anomaly_rule": "drop_days",
        "extra_anomaly_days": [{"city": TINY_CITY, "date": "2023-04-04", "reason": "test outage"}],
        "commune_fields": {"code": "code", "name": "label", "department": None, "epci": None, "population": "inhabitants"},
    }
    con = build(root, tmp, "build", variables)
    yield {"con": con, "values": values}
    con.close()


def test_tiny_city_builds_with_every_test_green_and_known_totals(tiny: dict[str, object]) -> None:
    con, values = tiny["con"], tiny["values"]
    communes = dict(con.execute("select commune_code, commune_name from stg_ign__communes").fetchall())
    assert communes == {code: name for code, (name, _, _) in TINY_COMMUNES.items()}
    got = {(r[0], r[1]): r[2] for r in con.execute(
        "select commune_code, strftime(traffic_date, '%Y%m%d'), sum(tor_dl) from commune_hour group by all").fetchall()}
    assert {day for _, day in got} == set(TINY_KEPT_DAYS)  # the var's anomaly day is dropped whole
    for day in TINY_KEPT_DAYS:
        for code in TINY_COMMUNES:
            expected = sum(float(v) for t, row in values[("Tor", day)].items() if TINY_COMMUNE_OF_TILE[t] == code for v in row)
            assert got[(code, day)] == expected


def test_tiny_city_rho_matches_numpy(tiny: dict[str, object]) -> None:
    """rho = Pearson of ln(max(x, 0.001)) of the hourly Web_Adult and Tor sums over the kept days, recomputed with numpy."""
    con, values = tiny["con"], tiny["values"]
    rho = dict(con.execute("select commune_code, rho from int_communes__traffic_correlations").fetchall())
    for code in TINY_COMMUNES:
        series = {}
        for service in ("Tor", "Web_Adult"):
            hourly = []
            for day in TINY_KEPT_DAYS:
                quarter = sum(np.asarray(row, dtype=float) for t, row in values[(service, day)].items()
                              if TINY_COMMUNE_OF_TILE[t] == code)
                hourly.extend(quarter.reshape(24, 4).sum(axis=1))
            series[service] = np.log(np.maximum(np.asarray(hourly), 0.001))
        assert rho[code] == pytest.approx(np.corrcoef(series["Web_Adult"], series["Tor"])[0, 1], abs=1e-12)
