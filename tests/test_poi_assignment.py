"""Known answers for the two POI rules of `poi_assignment` on a hand-made grid, communes and places.

The dbt models int_tiles__communes, int_places__communes, commune_poi and city_poi_coverage are
rendered with their own SQL (test_poi_top_tiles.render_model) and run on the inputs built here; every
expected count below is worked out by hand from the picture, not from the SQL.

Plane coordinates (x right, y up). Communes (squares, x-range x y-range):
    A [0, 20] x [0, 20]   B [20, 40] x [0, 20]   C [44, 54] x [0, 20]   (Testville's, in the seed)
    D [0, 20] x [20, 40]  (in the commune file, not in the seed: outside the sample)
    E [100, 120] x [0, 20]  (Upton's)
Testville's grid: one row of 10 x 10 tiles, y in [0, 10]:
    tile 0 [4, 14]   centroid x 9   in A
    tile 1 [14, 24]  centroid x 19  in A (the tile reaches 4 units into B)
    tile 2 [24, 34]  centroid x 29  in B
    tile 3 [34, 44]  centroid x 39  in B (reaches 4 units past B, into no commune)
    tile 4 [50, 60]  centroid x 55  in no commune (C ends at 54)
    tile 5 [110, 120] centroid x 115 in E, which is Upton's: no commune for Testville under scope study
Upton's grid: tile 0 [104, 114] x [0, 10], centroid x 109 in E.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from netmob_tor.duck import connect
from netmob_tor.params import defaults
from test_poi_top_tiles import render_model

COMMUNES = {  # code: (xmin, ymin, xmax, ymax)
    "A": (0, 0, 20, 20), "B": (20, 0, 40, 20), "C": (44, 0, 54, 20), "D": (0, 20, 20, 40), "E": (100, 0, 120, 20),
}
SEED = {"A": "Testville", "B": "Testville", "C": "Testville", "E": "Upton"}  # study_communes; D is not in it
POPULATION = {"A": 1000, "B": 2000, "C": 500, "E": 4000}  # the sample's rows (int_communes__estimates)
TILES = {  # (city, tile_id): (xmin, xmax), all with y in [0, 10]
    ("Testville", 0): (4, 14), ("Testville", 1): (14, 24), ("Testville", 2): (24, 34), ("Testville", 3): (34, 44),
    ("Testville", 4): (50, 60), ("Testville", 5): (110, 120), ("Upton", 0): (104, 114),
}
PLACES = [  # place id, category, x, y
    ("p1", "school", 10, 5),             # tile 0 (A), polygon A: same commune
    ("p2", "school", 22, 5),             # tile 1 (centroid in A), polygon B: tile of another commune
    ("p3", "church_cathedral", 24, 5),   # on the edge of tiles 1 (A) and 2 (B) -> tile 1 -> A; polygon B
    ("p4", "school", 30, 15),            # polygon B, above the tile row: outside every grid tile
    ("p5", "mosque", 42, 5),             # tile 3 (B), in the gap between B and C: outside every commune polygon
    ("p6", "school", 52, 5),             # tile 4 (no commune), polygon C: tile of no commune
    ("p7", "school", 57, 5),             # tile 4, no polygon: outside the study area (in Testville's grid)
    ("p8", "school", 10, 30),            # polygon D only (not in the sample), no tile: outside the study area, no city
    ("p9", "church_cathedral", 20, 15),  # on the A|B border (polygon rule: smaller code, A), outside every tile
    ("p10", "cafe", 10, 6),              # not a study category: never counted
    ("p11", "mosque", 5, 15),            # polygon A, outside every tile
    ("p12", "school", 112, 5),           # Testville tile 5 (no commune) and Upton tile 0 (E): Upton's, E; polygon E
]
STUDY = ("school", "church_cathedral", "mosque")

# Worked by hand from the picture above.
EXPECTED_PLACES = {  # place: (city, tile_id, n_touching_tiles, tile commune, polygon commune, case)
    "p1": ("Testville", 0, 1, "A", "A", "same commune"),
    "p2": ("Testville", 1, 1, "A", "B", "tile of another commune"),
    "p3": ("Testville", 1, 2, "A", "B", "tile of another commune"),
    "p4": ("Testville", None, 0, None, "B", "outside every grid tile"),
    "p5": ("Testville", 3, 1, "B", None, "outside every commune polygon"),
    "p6": ("Testville", 4, 1, None, "C", "tile of no commune"),
    "p7": ("Testville", 4, 1, None, None, "outside the study area"),
    "p8": (None, None, 0, None, None, "outside the study area"),
    "p9": ("Testville", None, 0, None, "A", "outside every grid tile"),
    "p11": ("Testville", None, 0, None, "A", "outside every grid tile"),
    "p12": ("Upton", 0, 1, "E", "E", "same commune"),
}
# commune: ({category: count}, n_places_in_polygon, n_counted_elsewhere, n_set_aside, n_from_elsewhere)
EXPECTED_TILE_RULE = {
    "A": ({"school": 2, "church_cathedral": 1}, 3, 0, 2, 2),  # p1, p2, p3 counted; p9, p11 (in A) set aside
    "B": ({"mosque": 1}, 3, 2, 1, 1),                          # p5; of p2, p3, p4 in B: two in A, p4 set aside
    "C": ({}, 1, 0, 1, 0),                                     # p6 set aside (its tile has no commune)
    "E": ({"school": 1}, 1, 0, 0, 0),                          # p12
}
EXPECTED_POLYGON_RULE = {
    "A": ({"school": 1, "church_cathedral": 1, "mosque": 1}, 3, 0, 0, 0),  # p1, p9, p11
    "B": ({"school": 2, "church_cathedral": 1}, 3, 0, 0, 0),               # p2, p4, p3
    "C": ({"school": 1}, 1, 0, 0, 0),                                      # p6
    "E": ({"school": 1}, 1, 0, 0, 0),                                      # p12
}
# (city, category): (n_places, same, another, outside grid, tile of no commune, outside polygons, outside study area)
EXPECTED_COVERAGE = {
    ("Testville", "school"): (5, 1, 1, 1, 1, 0, 1),            # p1, p2, p4, p6, p7 (p8 has no city, p12 is Upton's)
    ("Testville", "church_cathedral"): (2, 0, 1, 1, 0, 0, 0),  # p3, p9
    ("Testville", "mosque"): (2, 0, 0, 1, 0, 1, 0),            # p11, p5
    ("Upton", "school"): (1, 1, 0, 0, 0, 0, 0),                # p12
}


def square(xmin: float, ymin: float, xmax: float, ymax: float) -> str:
    """WKT of an axis-aligned square."""
    return f"POLYGON(({xmin} {ymin}, {xmax} {ymin}, {xmax} {ymax}, {xmin} {ymax}, {xmin} {ymin}))"


def build_inputs(con: duckdb.DuckDBPyConnection) -> None:
    """The upstream tables the models read, as hand-made rows."""
    con.execute("create table stg_netmob__tiles (city varchar, tile_id bigint, tile_geom geometry, centroid_geom geometry)")
    for (city, tile_id), (xmin, xmax) in TILES.items():
        con.execute("insert into stg_netmob__tiles select ?, ?, g, ST_Centroid(g) from (select ST_GeomFromText(?) as g)",
                    [city, tile_id, square(xmin, 0, xmax, 10)])
    con.execute("create table stg_ign__communes (commune_code varchar, commune_geom geometry)")
    for code, box in COMMUNES.items():
        con.execute("insert into stg_ign__communes values (?, ST_GeomFromText(?))", [code, square(*box)])
    con.execute("create table study_communes (commune_code varchar, city varchar)")
    con.executemany("insert into study_communes values (?, ?)", list(SEED.items()))
    con.execute("create table int_places__categorised (place_id varchar, category varchar, geometry geometry, is_study_category boolean)")
    for place_id, category, x, y in PLACES:
        con.execute("insert into int_places__categorised values (?, ?, ST_Point(?, ?), ?)", [place_id, category, x, y, category in STUDY])
    con.execute("create table int_communes__estimates (commune_code varchar, population bigint)")
    con.executemany("insert into int_communes__estimates values (?, ?)", list(POPULATION.items()))


def modelled(scope: str) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the hand-made inputs, the tile crosswalk and the place models under `scope`,
    and commune_poi under each rule (tables commune_poi_tile, commune_poi_polygon)."""
    con = connect()
    build_inputs(con)
    macros = {"commune_scope": lambda: scope}
    for folder, name in (("intermediate", "int_tiles__communes"), ("intermediate", "int_places__communes"),
                         ("marts", "city_poi_coverage")):
        con.execute(f"create table {name} as {render_model(folder, name, {}, macros)}")
    for rule in ("tile", "polygon"):
        sql = render_model("marts", "commune_poi", {"poi_assignment": rule, "poi_categories": list(STUDY)}, macros)
        con.execute(f"create table commune_poi_{rule} as {sql}")
    return con


@pytest.fixture(scope="module")
def study_scope() -> duckdb.DuckDBPyConnection:
    """The models under `commune_scope: study`."""
    con = modelled("study")
    yield con
    con.close()


def test_tiles_take_the_commune_of_their_centroid(study_scope: duckdb.DuckDBPyConnection) -> None:
    got = dict(((c, t), code) for c, t, code in study_scope.execute("select city, tile_id, commune_code from int_tiles__communes").fetchall())
    assert got == {("Testville", 0): "A", ("Testville", 1): "A", ("Testville", 2): "B", ("Testville", 3): "B",
                   ("Testville", 4): None, ("Testville", 5): None, ("Upton", 0): "E"}


def test_each_place_under_both_rules(study_scope: duckdb.DuckDBPyConnection) -> None:
    """One row per study-category place (the cafe is left out), with its tile, both communes and the case."""
    rows = study_scope.execute(
        "select place_id, city, tile_id, n_touching_tiles, tile_commune_code, polygon_commune_code, assignment_case "
        "from int_places__communes").fetchall()
    assert {r[0]: tuple(r[1:]) for r in rows} == EXPECTED_PLACES


def per_commune(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, tuple]:
    """commune -> (non-zero category counts, n_places_in_polygon, counted elsewhere, set aside, from elsewhere)."""
    rows = con.execute(
        f"select commune_code, n_school, n_church_cathedral, n_mosque, n_places, n_places_in_polygon, "
        f"n_places_counted_elsewhere, n_places_set_aside, n_places_from_elsewhere from {table}").fetchall()
    out = {}
    for code, school, church, mosque, n, in_polygon, elsewhere, set_aside, from_elsewhere in rows:
        counts = {k: v for k, v in (("school", school), ("church_cathedral", church), ("mosque", mosque)) if v}
        assert n == sum(counts.values())
        out[code] = (counts, in_polygon, elsewhere, set_aside, from_elsewhere)
    return out


def test_commune_poi_tile_rule(study_scope: duckdb.DuckDBPyConnection) -> None:
    """The study's rule: A counts p2 and p3 (its tile 1 reaches into B) and loses p9 and p11 (outside every
    tile); C's only place lies in a tile whose centroid is in no commune, so C counts none."""
    assert per_commune(study_scope, "commune_poi_tile") == EXPECTED_TILE_RULE
    school_a, rule = study_scope.execute(
        "select school_per_1000, poi_assignment from commune_poi_tile where commune_code = 'A'").fetchone()
    assert school_a == pytest.approx(2 / 1000 * 1000) and rule == "tile"


def test_commune_poi_polygon_rule(study_scope: duckdb.DuckDBPyConnection) -> None:
    """The polygon rule: each place in the sample commune holding it; D's place and the points in no polygon count nowhere."""
    assert per_commune(study_scope, "commune_poi_polygon") == EXPECTED_POLYGON_RULE
    school_b = study_scope.execute("select school_per_1000 from commune_poi_polygon where commune_code = 'B'").fetchone()[0]
    assert school_b == pytest.approx(2 / 2000 * 1000)


def test_city_coverage_shows_both_rules(study_scope: duckdb.DuckDBPyConnection) -> None:
    rows = study_scope.execute(
        "select city, category, n_places, n_same_commune, n_tile_of_another_commune, n_outside_grid, n_tile_of_no_commune, "
        "n_outside_commune_polygons, n_outside_study_area, n_counted_by_tile, n_counted_by_polygon from city_poi_coverage").fetchall()
    got = {(r[0], r[1]): tuple(r[2:9]) for r in rows}
    assert got == EXPECTED_COVERAGE
    by_rule = {(r[0], r[1]): (r[9], r[10]) for r in rows}
    # Testville schools: the tile rule counts p1, p2; the polygon rule p1, p2, p4, p6.
    assert by_rule[("Testville", "school")] == (2, 4)
    # the tile rule's totals are commune_poi's under that rule (p8, outside every city, is in neither)
    assert sum(t for t, _ in by_rule.values()) == sum(v[0].get(c, 0) for v in EXPECTED_TILE_RULE.values() for c in STUDY)
    assert sum(p for _, p in by_rule.values()) == sum(v[0].get(c, 0) for v in EXPECTED_POLYGON_RULE.values() for c in STUDY)


def test_scope_all_takes_the_communes_with_tiles() -> None:
    """Under `commune_scope: all` the sample is the communes receiving tiles (A, B, E): C's place p6 is then
    outside the study area, and Testville's tile 5 (centroid in E) has a commune, so p12, in two cities'
    tiles that both have one, goes to the first city by name."""
    con = modelled("all")
    try:
        rows = dict((r[0], r[1:]) for r in con.execute(
            "select place_id, city, tile_id, tile_commune_code, polygon_commune_code, assignment_case from int_places__communes").fetchall())
    finally:
        con.close()
    assert rows["p6"] == ("Testville", 4, None, None, "outside the study area")
    assert rows["p12"] == ("Testville", 5, "E", "E", "same commune")
    assert rows["p2"] == ("Testville", 1, "A", "B", "tile of another commune")


# --------------------------------------------------------------------------- the embedded default

def raw_recount(data_root: Path, tile_communes: pd.DataFrame, sample: pd.DataFrame) -> dict[str, dict[tuple[str, str], int]]:
    """Per rule, (commune, category) -> places, recounted from the raw grid, commune and places files (the
    tile -> commune crosswalk is the warehouse's, which test_generator checks against the generator's)."""
    con = connect(threads=1)
    con.register("tile_communes", tile_communes)
    con.register("sample", sample)
    rows = con.execute(
        f"""
        with grid as (
            select regexp_extract(filename, '([^/\\\\]+)\\.geojson$', 1) as city,
                   f.properties.tile_id::bigint as tile_id, ST_GeomFromGeoJSON(f.geometry) as geom
            from (select filename, unnest(features) as f
                  from read_json('{data_root / "grid" / "*.geojson"}', filename = true, format = 'auto',
                                 maximum_object_size = 268435456,
                                 columns = {{'features': 'STRUCT(properties STRUCT(tile_id BIGINT), geometry JSON)[]'}}))
        ),
        communes as (
            select INSEE_COM as commune_code, geom from ST_Read('{data_root / "communes" / "communes.geojson"}')
            where INSEE_COM in (select commune_code from sample)
        ),
        places as (
            select id, categories.main as category, ST_GeomFromWKB(geometry) as geom
            from read_parquet('{data_root / "overture" / "places.parquet"}')
            where categories.main in ({", ".join(f"'{c}'" for c in defaults().poi_categories)})
        ),
        by_tile as (
            select places.id, any_value(places.category) as category, min(tile_communes.commune_code) as commune_code
            from places join grid on ST_Intersects(grid.geom, places.geom)
            join tile_communes on tile_communes.city = grid.city and tile_communes.tile_id = grid.tile_id
            group by places.id
        ),
        by_polygon as (
            select places.id, any_value(places.category) as category, min(communes.commune_code) as commune_code
            from places join communes on ST_Intersects(communes.geom, places.geom)
            group by places.id
        )
        select 'tile' as rule, commune_code, category, count(*) from by_tile where commune_code is not null group by all
        union all
        select 'polygon', commune_code, category, count(*) from by_polygon group by all
        """
    ).fetchall()
    con.close()
    out: dict[str, dict[tuple[str, str], int]] = {"tile": {}, "polygon": {}}
    for rule, code, category, n in rows:
        out[rule][(code, category)] = n
    return out


def test_embedded_default_counts_by_each_profile(warehouse: duckdb.DuckDBPyConnection, data_root: Path) -> None:
    """The study profile's commune_poi counts by tile, the corrected one's by polygon, each equal to a recount
    from the raw files; the generator's places beyond the grid and across commune borders make the two differ."""
    study = defaults()
    tile_communes = warehouse.execute("select city, tile_id, commune_code from int_tiles__communes").df()
    sample = warehouse.execute("select commune_code from commune_poi").df()
    recount = raw_recount(data_root, tile_communes, sample)
    columns = ", ".join(f"n_{c}" for c in study.poi_categories)
    for schema, rule in (("main", "tile"), ("main_corrected", "polygon")):
        frame = warehouse.execute(f"select commune_code, poi_assignment, {columns} from {schema}.commune_poi").df()
        assert set(frame["poi_assignment"]) == {rule}
        got = {(r.commune_code, c): getattr(r, f"n_{c}") for r in frame.itertuples() for c in study.poi_categories
               if getattr(r, f"n_{c}")}
        assert got == recount[rule], schema
    assert recount["tile"] != recount["polygon"]
    coverage = warehouse.execute("select sum(n_outside_grid), sum(n_tile_of_another_commune) from city_poi_coverage").fetchone()
    assert coverage[0] > 0 and coverage[1] > 0
    assert sum(recount["polygon"].values()) - sum(recount["tile"].values()) == coverage[0] + warehouse.execute(
        "select sum(n_tile_of_no_commune) - sum(n_outside_commune_polygons) from city_poi_coverage").fetchone()[0]
