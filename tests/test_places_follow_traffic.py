"""Synthetic places follow the traffic: each lies in a tile of its commune drawn by the tile's traffic
weight, inside the commune polygon, with the release's per-commune counts.

The grid, tile-to-commune assignment and weights are built here (independent of the traffic
generator): small square tiles over Dijon's real commune polygons, lognormal weights per commune.
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
from netmob_tor.synth.small_inputs import STUDY_CATEGORIES, commune_shapes, write_places
from netmob_tor.synth.traffic import UNASSIGNED

CITY = "Dijon"
SEED = 20190316
SPACING, SIDE = 0.006, 0.0013  # degrees between tile corners and tile side (about 100 m)
MIN_TILES = 10  # communes with at least this many tiles enter the top-decile comparison


def commune_geojson() -> Path:
    """The real Dijon métropole polygons (property `code`, read as the commune code)."""
    return reference_dir() / "netmob23_geography" / "cities_communes" / f"{CITY}.geojson"


def write_grid(path: Path, bbox: tuple[float, float, float, float]) -> pd.DataFrame:
    """Square tiles on a regular lon/lat lattice over bbox, as a NetMob grid file; returns tile_id and corners."""
    xmin, xmax, ymin, ymax = bbox
    xs, ys = np.arange(xmin, xmax, SPACING), np.arange(ymax, ymin, -SPACING)
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
    located = con.execute(
        f"""
        with p as (select id, categories.main as category, st_geomfromwkb(geometry) as g from read_parquet('{paths[0]}')),
        c as (select lpad(code::varchar, 5, '0') as commune_code, geom from st_read('{geojson}')),
        in_commune as (select p.id, p.category, c.commune_code from p left join c on st_contains(c.geom, p.g)),
        in_tile as (
            select p.id, t.tile_id from p join tile_corners t
              on st_contains(st_makeenvelope(t.x0, t.y0, t.x0 + {SIDE}, t.y0 + {SIDE}), p.g)
        )
        select * from in_commune left join in_tile using (id) order by id
        """
    ).df()
    con.close()
    return {"paths": paths, "places": located, "weights": assigned, "communes": communes}


def test_same_inputs_same_bytes(generated: dict[str, object]) -> None:
    a, b = generated["paths"]
    assert a.read_bytes() == b.read_bytes()


def test_counts_per_commune_match_release(generated: dict[str, object]) -> None:
    poi = pd.read_csv(reference_dir() / "study_release" / "poi.csv", dtype={"code_com": str})
    poi["commune_code"] = poi["code_com"].str.replace(r"\.0$", "", regex=True).str.zfill(5)
    expected = generated["communes"].merge(poi, on="commune_code")
    places = generated["places"]
    assert places["commune_code"].notna().all()  # every place inside a commune polygon
    counted = places.groupby(["commune_code", "category"]).size()
    assert len(expected) >= 5
    for row in expected.itertuples(index=False):
        for category in STUDY_CATEGORIES:
            want = int(round(getattr(row, category) * row.population / 1000))
            assert counted.get((row.commune_code, category), 0) == want, (row.commune_code, category)


def test_every_place_in_one_tile_of_its_commune(generated: dict[str, object]) -> None:
    places, weights = generated["places"], generated["weights"]
    assert places["id"].is_unique and places["tile_id"].notna().all()  # in exactly one tile
    tile_commune = weights.set_index("tile_id")["commune_code"]
    assert (places["tile_id"].map(tile_commune) == places["commune_code"]).all()


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
