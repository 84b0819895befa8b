"""Known answers for the top-tile and POI logic (Table 4) on a hand-made grid of six tiles.

The dbt models are rendered with their own SQL (ref -> table name, var -> dbt_project.yml or the
test's override) and run on inputs built here; the expected Table 4 is computed in plain Python
from the same inputs. The inputs include an unassigned tile with the largest traffic, an anomaly
day that would change the ranking, a null hour, a place on a tile edge, one on a tile corner and a
place id listed twice with different categories, and a quarantined line.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import duckdb
import jinja2
import jinja2.runtime
import pandas as pd
import pytest
import yaml

from netmob_tor.duck import connect
from netmob_tor.params import defaults
from netmob_tor.paths import project_root

CITY = "Testville"
N_COLS, N_ROWS = 3, 2
SERVICES = ("Tor", "Web_Adult", "YouTube")
KEPT_DAYS = (date(2019, 4, 1), date(2019, 4, 2))
ANOMALY_DAY = date(2019, 3, 31)
COMMUNE_OF_TILE = {0: "A", 1: "A", 2: "A", 3: "B", 4: "B", 5: None}
C = {"A": 2.0, "B": 1.0}
# Hourly download per tile on the kept days (day 2 doubles it); tile 5 has no commune, so no c.
BASE = {
    "Tor": {0: 100, 1: 80, 2: 10, 3: 150, 4: 5, 5: 1000},
    "Web_Adult": {0: 10, 1: 90, 2: 1, 3: 200, 4: 1, 5: 1000},
    "YouTube": {0: 50, 1: 40, 2: 1, 3: 60, 4: 70, 5: 1000},
}
ANOMALY_BOOST = {("YouTube", 2): 1_000_000}  # would put tile 2 on top if the anomaly day were kept
TOP_SHARE = 0.12  # floor(0.12 x 18 pairs) = 2 tiles per service
MIN_PER_CATEGORY = 3
# place id, category, confidence, x, y (tile k covers [k % 3, k % 3 + 1] x [k // 3, k // 3 + 1])
PLACES = [
    ("p1", "cafe", 0.8, 0.5, 0.5),      # inside tile 0
    ("p2", "cafe", 0.8, 1.0, 0.5),      # edge of tiles 0 and 1 -> tile 0
    ("p3", "cafe", 0.8, 1.0, 1.0),      # corner of tiles 0, 1, 3, 4 -> tile 0
    ("p4", "bar", 0.9, 1.5, 0.5),       # inside tile 1, listed twice:
    ("p4", "cafe", 0.5, 1.5, 0.5),      #   the lower-confidence duplicate is dropped
    ("p5", "bar", 0.7, 1.2, 0.2),       # tile 1
    ("p6", "school", 0.7, 1.8, 0.8),    # tile 1
    ("p7", "bar", 0.7, 0.5, 1.5),       # tile 3
    ("p8", "school", 0.7, 0.2, 1.8),    # tile 3
    ("p9", "school", 0.7, 1.5, 1.5),    # tile 4
    ("p10", "school", 0.7, 2.5, 1.5),   # tile 5 (no commune)
    ("p11", "cafe", 0.7, 2.5, 0.5),     # tile 2
]
MODELS = [
    ("intermediate", "int_traffic__kept_tile_days"),
    ("intermediate", "int_traffic__tile_service_means"),
    ("intermediate", "int_tiles__top_traffic"),
    ("intermediate", "int_tiles__top_tile_places"),
    ("marts", "poi_top_tiles"),
]


def render_model(folder: str, name: str, overrides: dict, macros: dict | None = None) -> str:
    """The model's SQL with ref() as the bare table name, var() from dbt_project.yml or `overrides`,
    processing_choice() from `overrides` (the test names each choice it depends on), and any other
    project macro the model calls given in `macros`."""
    root = project_root()
    project_vars = yaml.safe_load((root / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]
    values = {**project_vars, **overrides}

    def var(key: str, default: object = None) -> object:
        if key in values:
            return values[key]
        if default is None:
            raise KeyError(key)
        return default

    env = jinja2.Environment(extensions=["jinja2.ext.do"])
    # The project's own macro for volume sums (defining the file's macros calls none of them).
    volume_sum = env.from_string((root / "macros" / "traffic_file_filters.sql").read_text(encoding="utf-8")).module.volume_sum
    template = env.from_string((root / "models" / folder / f"{name}.sql").read_text(encoding="utf-8"))
    return template.render(ref=lambda model: model, var=var, config=lambda **_: "", processing_choice=lambda key: overrides[key],
                           processing_profile_columns=lambda: "'test' as processing_profile, 'test' as processing_choices",
                           anomaly_days=lambda: "select * from anomaly_days", volume_sum=volume_sum, **dialect_macros(env),
                           **(macros or {}))


def dialect_macros(env: jinja2.Environment) -> dict[str, jinja2.runtime.Macro]:
    """The dispatching macros of macros/dialect.sql, each resolving to its duckdb__ implementation as dbt does
    on the DuckDB target (`return(x)` rendering x: the dialect macros return SQL text)."""
    loaded: dict[str, object] = {}

    def dispatch(macro: str, namespace: str | None = None) -> object:
        return getattr(loaded["module"], f"duckdb__{macro}")

    text = (project_root() / "macros" / "dialect.sql").read_text(encoding="utf-8")
    module = env.from_string(text, globals={"adapter": SimpleNamespace(dispatch=dispatch), "return": lambda value: value}).module
    loaded["module"] = module
    return {name: macro for name, macro in vars(module).items()
            if isinstance(macro, jinja2.runtime.Macro) and not name.startswith(("duckdb__", "spark__"))}


def hourly(service: str, tile: int, day: date) -> list[float | None]:
    """The 24 local-hour values of one tile, service and day (h02 missing on the second kept day)."""
    if day == ANOMALY_DAY:
        return [float(BASE[service][tile] + ANOMALY_BOOST.get((service, tile), 0))] * 24
    factor = 1 + KEPT_DAYS.index(day)
    values: list[float | None] = [float(BASE[service][tile] * factor)] * 24
    if factor == 2:
        values[2] = None
    return values


def tile_square(tile: int) -> tuple[int, int, int, int]:
    """xmin, ymin, xmax, ymax of a tile of the hand-made grid."""
    col, row = tile % N_COLS, tile // N_COLS
    return col, row, col + 1, row + 1


def build_inputs(con: duckdb.DuckDBPyConnection) -> None:
    """The upstream tables the four models read, as hand-made rows."""
    rows = []
    for service in SERVICES:
        for tile in COMMUNE_OF_TILE:
            for day in (ANOMALY_DAY, *KEPT_DAYS):
                values = hourly(service, tile, day)
                rows.append({"source_file": f"{CITY}/{service}/{day}", "tile_id": tile, "quarantine_reason": None,
                             "quarter_hours": None, **{f"h{h:02d}": v for h, v in enumerate(values)},
                             "daily_dl": sum(v for v in values if v is not None)})
    # a quarantined line (e.g. a negative value) that would put tile 4 on top for Tor if it were summed
    rows.append({"source_file": f"{CITY}/Tor/{KEPT_DAYS[0]}", "tile_id": 4, "quarantine_reason": "negative value",
                 "quarter_hours": None, **{f"h{h:02d}": 1e9 for h in range(24)}, "daily_dl": 24e9})
    traffic = pd.DataFrame(rows)
    con.register("traffic_frame", traffic)
    con.execute("create table int_traffic__tile_day_hours as "
                "select * replace (quarantine_reason::varchar as quarantine_reason) from traffic_frame")
    # the load ledger: one row per file, with the city, service and date the tile-day rows do not carry
    con.execute("create table int_traffic__loaded_files (source_file varchar, city varchar, service varchar, traffic_date date, "
                "local_day_hours integer, loaded_at timestamp)")
    con.executemany("insert into int_traffic__loaded_files values (?, ?, ?, ?::date, 24, current_timestamp)",
                    [(f"{CITY}/{service}/{day}", CITY, service, day) for service in SERVICES for day in (ANOMALY_DAY, *KEPT_DAYS)])
    con.execute(f"create table anomaly_days as select '*' as city, date '{ANOMALY_DAY}' as anomaly_date")
    con.execute("create table int_tiles__communes (city varchar, tile_id bigint, commune_code varchar, is_assigned boolean)")
    con.executemany("insert into int_tiles__communes values (?, ?, ?, ?)",
                    [(CITY, t, c, c is not None) for t, c in COMMUNE_OF_TILE.items()])
    con.execute("create table int_communes__correction_factors (commune_code varchar, c double)")
    con.executemany("insert into int_communes__correction_factors values (?, ?)", list(C.items()))
    con.execute("create table stg_netmob__tiles (city varchar, tile_id bigint, tile_geom geometry)")
    for tile in COMMUNE_OF_TILE:
        x0, y0, x1, y1 = tile_square(tile)
        con.execute("insert into stg_netmob__tiles values (?, ?, ST_GeomFromText(?))",
                    [CITY, tile, f"POLYGON(({x0} {y0}, {x1} {y0}, {x1} {y1}, {x0} {y1}, {x0} {y0}))"])
    con.execute("create table int_places__categorised (place_id varchar, category varchar, confidence double, geometry geometry)")
    for place_id, category, confidence, x, y in PLACES:
        con.execute("insert into int_places__categorised values (?, ?, ?, ST_Point(?, ?))", [place_id, category, confidence, x, y])


@pytest.fixture(scope="module")
def modelled() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB holding the hand-made inputs and the models built on them, in order."""
    con = connect()
    build_inputs(con)
    overrides = {"top_tile_share": TOP_SHARE, "poi_min_per_category": MIN_PER_CATEGORY, "anomaly_rule": "drop_days"}
    for folder, name in MODELS:
        con.execute(f"create table {name} as {render_model(folder, name, overrides)}")
    yield con
    con.close()


def expected_scores() -> dict[str, dict[int, float]]:
    """Mean daily download over the kept days × c, per service and assigned tile."""
    scores: dict[str, dict[int, float]] = defaultdict(dict)
    for service in SERVICES:
        for tile, commune in COMMUNE_OF_TILE.items():
            if commune is None:
                continue
            daily = [sum(v for v in hourly(service, tile, d) if v is not None) for d in KEPT_DAYS]
            scores[service][tile] = sum(daily) / len(daily) * C[commune]
    return scores


def expected_top_tiles() -> dict[str, list[int]]:
    """The floor(share × pairs) best-scored tiles per service."""
    n_top = int(TOP_SHARE * len(SERVICES) * len(COMMUNE_OF_TILE))
    return {s: sorted(sc, key=lambda t: (-sc[t], t))[:n_top] for s, sc in expected_scores().items()}


def expected_place_tiles() -> dict[str, tuple[str, int]]:
    """Place id -> (category, tile): highest-confidence row per id, smallest tile among the closed squares holding it."""
    best: dict[str, tuple[float, str, float, float]] = {}
    for place_id, category, confidence, x, y in PLACES:
        if place_id not in best or confidence > best[place_id][0]:
            best[place_id] = (confidence, category, x, y)
    placed = {}
    for place_id, (_, category, x, y) in best.items():
        holding = [t for t in COMMUNE_OF_TILE if tile_square(t)[0] <= x <= tile_square(t)[2] and tile_square(t)[1] <= y <= tile_square(t)[3]]
        placed[place_id] = (category, min(holding))
    return placed


def expected_table4() -> pd.DataFrame:
    """Table 4 computed directly: traffic per place, averaged per category, categories with enough places, ranked."""
    scores, top, placed = expected_scores(), expected_top_tiles(), expected_place_tiles()
    rows = []
    for service in SERVICES:
        per_category: dict[str, list[float]] = defaultdict(list)
        for tile in top[service]:
            inside = [(pid, cat) for pid, (cat, t) in placed.items() if t == tile]
            for _, category in inside:
                per_category[category].append(scores[service][tile] / len(inside))
        kept = {c: v for c, v in per_category.items() if len(v) >= MIN_PER_CATEGORY}
        ranked = sorted(kept, key=lambda c: (-sum(kept[c]) / len(kept[c]), c))
        for rank, category in enumerate(ranked, start=1):
            rows.append({"service": service, "category_rank": rank, "category": category,
                         "n_places": len(kept[category]), "mean_traffic_per_place": sum(kept[category]) / len(kept[category])})
    return pd.DataFrame(rows)


def test_tile_means_drop_anomaly_days(modelled: duckdb.DuckDBPyConnection) -> None:
    """Mean daily download per tile and service over the kept days only; a null hour counts as 0."""
    got = modelled.execute("select service, tile_id, n_days, mean_daily_dl from int_traffic__tile_service_means").df()
    assert set(got["n_days"]) == {len(KEPT_DAYS)}
    for row in got.itertuples(index=False):
        daily = [sum(v for v in hourly(row.service, row.tile_id, d) if v is not None) for d in KEPT_DAYS]
        assert row.mean_daily_dl == pytest.approx(sum(daily) / len(daily))


def test_study_rule_keeps_every_day_in_tile_means(modelled: duckdb.DuckDBPyConnection) -> None:
    """Under the study's anomaly rule (zero_web_adult, a commune-level rule) the tile means keep the anomaly day too."""
    for _, name in MODELS[:2]:
        modelled.execute(f"create temp table study_{name} as "
                         + render_model("intermediate", name, {"anomaly_rule": "zero_web_adult"}).replace(
                             "from int_traffic__kept_tile_days", "from study_int_traffic__kept_tile_days"))
    got = modelled.execute("select service, tile_id, n_days, mean_daily_dl from study_int_traffic__tile_service_means").df()
    days = (ANOMALY_DAY, *KEPT_DAYS)
    assert set(got["n_days"]) == {len(days)}
    for row in got.itertuples(index=False):
        daily = [sum(v for v in hourly(row.service, row.tile_id, d) if v is not None) for d in days]
        assert row.mean_daily_dl == pytest.approx(sum(daily) / len(daily))


def test_top_tiles(modelled: duckdb.DuckDBPyConnection) -> None:
    """floor(share × pairs) tiles per service by mean × c; the unassigned tile is never ranked."""
    got = modelled.execute("select service, tile_id from int_tiles__top_traffic order by service, tile_rank").df()
    assert {s: g["tile_id"].tolist() for s, g in got.groupby("service")} == expected_top_tiles()
    assert 5 not in set(got["tile_id"])


def test_border_points_and_duplicates(modelled: duckdb.DuckDBPyConnection) -> None:
    """Edge and corner points belong to the smallest touching tile; a duplicated id counts once, at its best row."""
    got = modelled.execute("select place_id, category, tile_id, n_touching_tiles from int_tiles__top_tile_places").df()
    assert got["place_id"].is_unique
    by_id = got.set_index("place_id")
    assert by_id.loc["p2", "n_touching_tiles"] == 2 and by_id.loc["p3", "n_touching_tiles"] == 4
    expected = expected_place_tiles()
    for place_id, row in by_id.iterrows():
        assert (row["category"], row["tile_id"]) == expected[place_id]
    assert by_id.loc["p4", "category"] == "bar"


def test_table4_known_answer(modelled: duckdb.DuckDBPyConnection) -> None:
    """poi_top_tiles equals Table 4 computed in Python from the same hand-made inputs."""
    got = modelled.execute(
        "select service, category_rank, category, n_places, mean_traffic_per_place from poi_top_tiles order by service, category_rank"
    ).df()
    expected = expected_table4()
    assert len(expected) >= 2  # the scenario yields categories for more than one service
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected, check_dtype=False)


def test_table4_has_no_tile_ids_or_geometry(modelled: duckdb.DuckDBPyConnection) -> None:
    """The mart meant for the report carries counts and averages only."""
    columns = [r[0] for r in modelled.execute("describe poi_top_tiles").fetchall()]
    assert not [c for c in columns if "tile_id" in c or "geom" in c or c in ("x", "y", "lon", "lat")]


# --------------------------------------------------------------------------- the embedded default

def raw_places_in_top_tiles(data_root: Path, top_tiles: pd.DataFrame) -> pd.DataFrame:
    """Service, category and tile of each raw place (overture/places.parquet) lying in a top tile of
    the raw grid files, found here with the generator's files only (not the warehouse's place models)."""
    con = connect(threads=1)
    con.register("top_tiles", top_tiles[["service", "city", "tile_id"]])
    found = con.execute(
        f"""
        with grid as (
            select regexp_extract(filename, '([^/\\\\]+)\\.geojson$', 1) as city,
                   f.properties.tile_id::bigint as tile_id, ST_GeomFromGeoJSON(f.geometry) as geom
            from (select filename, unnest(features) as f
                  from read_json('{data_root / "grid" / "*.geojson"}', filename = true, format = 'auto',
                                 maximum_object_size = 268435456,
                                 columns = {{'features': 'STRUCT(properties STRUCT(tile_id BIGINT), geometry JSON)[]'}}))
        ),
        places as (
            select id, categories.main as category, ST_GeomFromWKB(geometry) as geom
            from read_parquet('{data_root / "overture" / "places.parquet"}')
        )
        select t.service, t.city, t.tile_id, p.id, p.category
        from top_tiles t
        join grid g using (city, tile_id)
        join places p on ST_Intersects(g.geom, p.geom)
        """
    ).df()
    n_ids = con.execute(f"select count(*) - count(distinct id) from read_parquet('{data_root / 'overture' / 'places.parquet'}')").fetchone()[0]
    con.close()
    assert n_ids == 0, "place ids repeat: this check assumes one row per place"
    return found


def test_table4_is_ranked_on_the_embedded_default(warehouse: duckdb.DuckDBPyConnection, data_root: Path) -> None:
    """On the embedded default the synthetic places follow the traffic, so every service ranks
    several categories with at least poi_min_per_category places; counts and means agree with a
    pandas recount of the raw places inside the top tiles."""
    study = defaults()
    table4 = warehouse.execute("select * from poi_top_tiles order by service, category_rank").df()
    top = warehouse.execute("select service, city, tile_id, scaled_mean_daily_dl from int_tiles__top_traffic").df()
    assert set(table4["service"]) == set(SERVICES)
    for service, ranked in table4.groupby("service"):
        assert len(ranked) >= 5, service
        assert ranked["category_rank"].tolist() == list(range(1, len(ranked) + 1)), service
        assert ranked["mean_traffic_per_place"].is_monotonic_decreasing, service
        assert len(set(ranked["category"]) & set(study.poi_categories)) >= 3, service
    assert (table4["n_places"] >= study.poi_min_per_category).all()

    found = raw_places_in_top_tiles(data_root, top)
    found["n_in_tile"] = found.groupby(["service", "city", "tile_id"])["id"].transform("size")
    found = found.merge(top, on=["service", "city", "tile_id"])
    found["per_place"] = found["scaled_mean_daily_dl"] / found["n_in_tile"]
    expected = found.groupby(["service", "category"]).agg(
        n_places=("id", "size"), mean_traffic_per_place=("per_place", "mean")).reset_index()
    expected = expected[expected["n_places"] >= study.poi_min_per_category]
    merged = expected.merge(table4, on=["service", "category"], how="outer", indicator=True, suffixes=("", "_mart"))
    assert (merged["_merge"] == "both").all(), merged.loc[merged["_merge"] != "both", ["service", "category", "_merge"]]
    assert (merged["n_places"] == merged["n_places_mart"]).all()
    pd.testing.assert_series_equal(merged["mean_traffic_per_place"], merged["mean_traffic_per_place_mart"],
                                   check_names=False, rtol=1e-9)
