"""Synthetic places follow the traffic and the study's tile rule: each place drawn for a commune lies in
a tile of that commune drawn by the tile's traffic weight, uniform over the tile (so the study's rule,
tile then the tile's commune, gives the release's per-commune counts, while in a tile crossing a commune
border some points lie in the neighbour's polygon); besides these, study-category places lie in the parts
of communes beyond the grid, which the study's tiles never saw.

The grid, tile-to-commune assignment and weights are built here (independent of the traffic
generator): small square tiles over Dijon's real commune polygons but for a strip along each side of
their extent (TRIM), lognormal weights per commune.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from netmob_tor.duck import connect
from netmob_tor.paths import reference_dir
from netmob_tor.release import released_communes
from netmob_tor.synth.small_inputs import BEYOND_GRID_MIN_KM2, STUDY_CATEGORIES, beyond_grid_targets, commune_shapes, write_places
from netmob_tor.synth.traffic import UNASSIGNED

CITY = "Dijon"
SEED = 20190316
SPACING, SIDE = 0.006, 0.0013  # degrees between tile corners and tile side (about 100 m)
MIN_TILES = 10  # communes with at least this many tiles enter the top-decile comparison
# Degrees of the communes' extent left without tiles on the west, east, south and north (every commune
# keeps a tile; about 5 places are expected beyond the grid, mostly in the north).
TRIM = {"west": 0.04, "east": 0.04, "south": 0.02, "north": 0.03}


def commune_geojson() -> Path:
    """The real Dijon métropole polygons (property `code`, read as the commune code)."""
    return reference_dir() / "netmob23_geography" / "cities_communes" / f"{CITY}.geojson"


def write_grid(path: Path, bbox: tuple[float, float, float, float]) -> pd.DataFrame:
    """Square tiles on a regular lon/lat lattice over bbox less the TRIM strips, as a NetMob grid file;
    returns tile_id and corners."""
    xmin, xmax, ymin, ymax = bbox
    xs = np.arange(xmin + TRIM["west"], xmax - TRIM["east"], SPACING)
    ys = np.arange(ymax - TRIM["north"], ymin + TRIM["south"], -SPACING)
    tiles = pd.DataFrame([(r * len(xs) + c, x, y - SIDE) for r, y in enumerate(ys) for c, x in enumerate(xs)],
                         columns=["tile_id", "x0", "y0"])
    features = [
        {"type": "Feature", "properties": {"tile_id": int(t.tile_id)},
         "geometry": {"type": "Polygon", "coordinates": [[
             [t.x0, t.y0 + SIDE], [t.x0 + SIDE, t.y0 + SIDE], [t.x0 + SIDE, t.y0], [t.x0, t.y0], [t.x0, t.y0 + SIDE]]]}}
        for t in tiles.itertuples(index=False)
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return tiles


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Places written twice with the same hand-made grid and weights."""
    root = tmp_path_factory.mktemp("places")
    geojson = commune_geojson()
    shapes = commune_shapes(geojson)
    communes = released_communes()
    communes = communes[communes["city"] == CITY].reset_index(drop=True)
    bbox = (shapes["xmin"].min(), shapes["xmax"].max(), shapes["ymin"].min(), shapes["ymax"].max())
    con = connect()
    paths = []
    for name in ("a", "b"):
        tiles = write_grid(root / name / "grid" / f"{CITY}.geojson", bbox)
        con.register("tile_corners", tiles)
        assigned = con.execute(
            "select t.tile_id, min(lpad(c.code::varchar, 5, '0')) as commune_code from tile_corners t "
            f"left join st_read('{geojson}') c on st_contains(c.geom, st_point(t.x0 + {SIDE / 2}, t.y0 + {SIDE / 2})) "
            "group by t.tile_id order by t.tile_id"
        ).df()
        con.unregister("tile_corners")
        assigned["group"] = assigned["commune_code"].fillna(UNASSIGNED)
        raw = np.random.default_rng(7).lognormal(0.0, 1.0, len(assigned))
        assigned["weight"] = raw / assigned.assign(raw=raw).groupby("group")["raw"].transform("sum").to_numpy()
        weights = assigned.assign(city=CITY)[["city", "tile_id", "group", "weight"]]
        paths.append(write_places(root / name, communes, geojson, shapes, SEED, weights))
    con.register("tile_corners", tiles)
    con.register("tile_communes", assigned[["tile_id", "commune_code"]])
    envelope = (f"st_makeenvelope({tiles['x0'].min()}, {tiles['y0'].min()}, "
                f"{tiles['x0'].max() + SIDE}, {tiles['y0'].max() + SIDE})")
    located = con.execute(
        f"""
        with p as (select id, categories.main as category, st_geomfromwkb(geometry) as g from read_parquet('{paths[0]}')),
        c as (select lpad(code::varchar, 5, '0') as commune_code, geom from st_read('{geojson}')),
        in_commune as (
            select p.id, any_value(p.category) as category, min(c.commune_code) as commune_code,
                   not st_intersects(any_value(p.g), {envelope}) as beyond_grid
            from p left join c on st_intersects(c.geom, p.g)
            group by p.id
        ),
        in_tile as (
            select p.id, t.tile_id, count(*) over (partition by p.id) as n_tiles from p join tile_corners t
              on st_contains(st_makeenvelope(t.x0, t.y0, t.x0 + {SIDE}, t.y0 + {SIDE}), p.g)
        )
        select in_commune.*, in_tile.tile_id, in_tile.n_tiles, tile_communes.commune_code as tile_commune_code
        from in_commune left join in_tile using (id) left join tile_communes using (tile_id)
        order by id
        """
    ).df()
    # per tile of a commune: the share of its area outside that commune's polygon
    outside_share = con.execute(
        f"""
        with c as (select lpad(code::varchar, 5, '0') as commune_code, geom from st_read('{geojson}')),
        t as (select tile_id, commune_code, st_makeenvelope(x0, y0, x0 + {SIDE}, y0 + {SIDE}) as g
              from tile_corners join tile_communes using (tile_id) where commune_code is not null)
        select t.tile_id, 1 - st_area(st_intersection(t.g, c.geom)) / st_area(t.g) as share
        from t join c using (commune_code)
        """
    ).df().set_index("tile_id")["share"]
    con.close()
    return {"paths": paths, "places": located, "weights": assigned, "communes": communes,
            "outside_share": outside_share}


def test_same_inputs_same_bytes(generated: dict[str, object]) -> None:
    a, b = generated["paths"]
    assert a.read_bytes() == b.read_bytes()


def release_counts(communes: pd.DataFrame) -> dict[tuple[str, str], int]:
    """(commune, study category) -> the release's count, poi.csv rate x population / 1000, rounded."""
    poi = pd.read_csv(reference_dir() / "study_release" / "poi.csv", dtype={"code_com": str})
    poi["commune_code"] = poi["code_com"].str.replace(r"\.0$", "", regex=True).str.zfill(5)
    return {(row.commune_code, category): int(round(getattr(row, category) * row.population / 1000))
            for row in communes.merge(poi, on="commune_code").itertuples(index=False) for category in STUDY_CATEGORIES}


def test_tile_rule_counts_match_release(generated: dict[str, object]) -> None:
    """The study's rule, the tile holding the point then that tile's commune, gives the release's count of
    every commune and category; no place lies in a tile of no commune."""
    places = generated["places"]
    expected = release_counts(generated["communes"])
    in_tiles = places[places["tile_id"].notna()]
    assert in_tiles["tile_commune_code"].notna().all()
    counted = in_tiles[in_tiles["category"].isin(STUDY_CATEGORIES)].groupby(["tile_commune_code", "category"]).size()
    assert len({code for code, _ in expected}) >= 5 and sum(expected.values()) >= 100
    assert {k: v for k, v in counted.items()} == {k: v for k, v in expected.items() if v}


def test_each_place_in_one_tile_or_beyond_the_grid(generated: dict[str, object]) -> None:
    """A place lies in exactly one tile, or, for the study categories only, in a commune polygon beyond the
    grid's extent (there the study's rule counts it nowhere, the polygon rule in its commune)."""
    places = generated["places"]
    assert places["id"].is_unique
    in_tiles = places[places["tile_id"].notna()]
    assert (in_tiles["n_tiles"] == 1).all() and not in_tiles["beyond_grid"].any()
    beyond = places[places["tile_id"].isna()]
    assert len(beyond) >= 1
    assert beyond["beyond_grid"].all() and beyond["commune_code"].notna().all()
    assert beyond["category"].isin(STUDY_CATEGORIES).all()


def test_points_are_uniform_over_their_tile(generated: dict[str, object]) -> None:
    """A point is uniform over its tile, whatever the commune border crossing the tile: the places lying in
    another polygon than their tile's commune number what the tiles' area outside that commune predicts
    (sum of Bernoulli trials, 4 sd), and there is at least one."""
    places = generated["places"]
    in_tiles = places[places["tile_id"].notna()]
    p = in_tiles["tile_id"].map(generated["outside_share"]).to_numpy()
    observed = int((in_tiles["commune_code"] != in_tiles["tile_commune_code"]).sum())
    expected, sd = p.sum(), np.sqrt((p * (1 - p)).sum())
    assert observed >= 1 and expected >= 1
    assert abs(observed - expected) <= 4 * sd, (observed, expected, sd)


def test_beyond_grid_counts_follow_population() -> None:
    """Per commune and category, places beyond the grid average the category's places per inhabitant x the
    commune's population x its share of area beyond the grid (worked by hand: 40 schools for 4000
    inhabitants is 0.01 each; 1000 people x 0.5 beyond -> 5, 3000 x 0.2 -> 6; mosques 0.001 each -> 0.5, 0.6)."""
    targets = pd.DataFrame({"commune_code": ["X"] * 30 + ["Y"] * 10 + ["Y"] * 4 + ["X"] * 7,
                            "category": ["school"] * 40 + ["mosque"] * 4 + ["bakery"] * 7, "alternate": ""})
    communes = pd.DataFrame({"commune_code": ["X", "Y"], "population": [1000, 3000]})
    beyond = pd.DataFrame({"commune_code": ["X", "Y"], "share_beyond": [0.5, 0.2]})
    draws = 400
    counts = pd.concat([beyond_grid_targets(targets, communes, beyond, np.random.default_rng(k)) for k in range(draws)])
    assert set(counts["category"]) <= set(STUDY_CATEGORIES)
    mean = counts.groupby(["commune_code", "category"]).size() / draws
    for key, want in {("X", "school"): 5.0, ("Y", "school"): 6.0, ("X", "mosque"): 0.5, ("Y", "mosque"): 0.6}.items():
        assert abs(mean[key] - want) <= 4 * np.sqrt(want / draws), (key, mean[key], want)
    one = beyond_grid_targets(targets, communes, beyond, np.random.default_rng(0))
    assert one["id"].is_unique and not set(one["id"]) & set(targets.get("id", []))
    assert BEYOND_GRID_MIN_KM2 > 0


def test_places_concentrate_in_high_weight_tiles(generated: dict[str, object]) -> None:
    """Per commune with enough tiles, its top decile of tiles by weight holds the share of its places
    the weights predict (binomial, 4 sd), which is far above the decile's share of the tile area."""
    places, weights = generated["places"], generated["weights"]
    per_tile = places.groupby("tile_id").size()
    w = weights[weights["commune_code"].notna()].copy()
    w["n_tiles"] = w.groupby("commune_code")["tile_id"].transform("size")
    w = w[w["n_tiles"] >= MIN_TILES]
    w["rank"] = w.groupby("commune_code")["weight"].rank(ascending=False, method="first")
    w["top"] = w["rank"] <= np.ceil(0.1 * w["n_tiles"])
    w["places"] = w["tile_id"].map(per_tile).fillna(0)
    per_commune = w.groupby("commune_code").apply(
        lambda g: pd.Series({"n": g["places"].sum(), "top_places": g.loc[g["top"], "places"].sum(),
                             "top_weight": g.loc[g["top"], "weight"].sum()}), include_groups=False)
    assert len(per_commune) >= 5 and per_commune["n"].sum() >= 200
    n = per_commune["n"].sum()
    observed = per_commune["top_places"].sum() / n
    expected = (per_commune["n"] * per_commune["top_weight"]).sum() / n
    sd = np.sqrt((per_commune["n"] * per_commune["top_weight"] * (1 - per_commune["top_weight"])).sum()) / n
    area_share = w["top"].mean()  # equal-size tiles
    assert abs(observed - expected) <= 4 * sd, (observed, expected, sd)
    assert observed >= 2.5 * area_share, (observed, area_share)
