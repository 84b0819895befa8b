"""Synthetic NetMob geography: each city's 100 m Lambert-93 tile grid over its real extent, and
commune polygons for all study communes (real métropole polygons, generated ones for the rest).

The grid of a city is the bounding box of its real métropole communes (its published rows and
columns match that box to the tile), row 0 at the north edge, so `tile_id = row x n_cols + col`.
Communes of the study outside the métropole get Voronoi cells of well-spread seed tiles inside
the box and outside the métropole; an outer band of the box is left to no commune, so that
unassigned tiles exist and are counted as in the real data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

TILE_M = 100.0
LAMBERT93 = "EPSG:2154"
WGS84 = "EPSG:4326"


@dataclass(frozen=True)
class CityGrid:
    """A city's grid in Lambert-93: west edge x0, north edge y1, and its size in tiles."""

    city: str
    n_rows: int
    n_cols: int
    x0: float
    y1: float

    def centroids(self, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Lambert-93 centres of the tiles at (row, col)."""
        return self.x0 + (cols + 0.5) * TILE_M, self.y1 - (rows + 0.5) * TILE_M


def load_metropoles(con: duckdb.DuckDBPyConnection, ref: Path) -> None:
    """Table `metro`: the real métropole commune polygons, WGS84 and Lambert-93."""
    parts = []
    for path in sorted((ref / "netmob23_geography" / "cities_communes").glob("*.geojson")):
        parts.append(
            f"select '{path.stem}' as city, lpad(code::varchar, 5, '0') as commune_code, geom as geom_wgs84 "
            f"from ST_Read('{path}')"
        )
    con.execute(
        "create or replace table metro as select *, "
        f"ST_Transform(geom_wgs84, '{WGS84}', '{LAMBERT93}', always_xy := true) as geom "
        f"from ({' union all '.join(parts)})"
    )


def city_grids(con: duckdb.DuckDBPyConnection, dims: pd.DataFrame) -> dict[str, CityGrid]:
    """Place each city's grid on the 100 m Lambert-93 lattice over its métropole's extent."""
    ext = con.execute(
        "select city, min(ST_XMin(geom)), max(ST_YMax(geom)) from metro group by city"
    ).fetchall()
    origin = {city: (float(np.floor(x / TILE_M) * TILE_M), float(np.ceil(y / TILE_M) * TILE_M)) for city, x, y in ext}
    return {
        row.city: CityGrid(row.city, int(row.n_rows), int(row.n_cols), *origin[row.city])
        for row in dims.itertuples()
    }


def full_grid(grid: CityGrid) -> pd.DataFrame:
    """Every tile of a city: tile_id, row, col and Lambert-93 centre."""
    rows, cols = np.meshgrid(np.arange(grid.n_rows), np.arange(grid.n_cols), indexing="ij")
    rows, cols = rows.ravel(), cols.ravel()
    x, y = grid.centroids(rows, cols)
    return pd.DataFrame({"city": grid.city, "tile_id": rows * grid.n_cols + cols, "row": rows, "col": cols, "x": x, "y": y})


def farthest_point_seeds(xy: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of k well-spread points (greedy farthest-point sampling from a random start)."""
    chosen = [int(rng.integers(len(xy)))]
    dist = np.hypot(*(xy - xy[chosen[0]]).T)
    for _ in range(k - 1):
        nxt = int(np.argmax(dist))
        chosen.append(nxt)
        dist = np.minimum(dist, np.hypot(*(xy - xy[nxt]).T))
    return np.array(chosen)


def margin_width(grid: CityGrid) -> int:
    """Width in tiles of the outer band left to no commune outside the métropole."""
    return max(2, int(round(0.03 * min(grid.n_rows, grid.n_cols))))


EXTRA_CELLS_SQL = """
    insert into extra
    with inner_box as (
        select ST_MakeEnvelope({x_min}, {y_min}, {x_max}, {y_max}) as box
    ),
    free_area as (
        select ST_Difference(box, (select ST_Union_Agg(geom) from metro where city = $city)) as geom
        from inner_box
    ),
    cells as (
        select unnest(ST_Dump(ST_VoronoiDiagram(ST_Collect(list(ST_Point(x, y))))), recursive := true)
        from seeds
    ),
    matched as (
        select s.commune_code, cells.geom as cell
        from seeds s join cells on ST_Contains(cells.geom, ST_Point(s.x, s.y))
    ),
    final as (
        select $city as city, commune_code, ST_Intersection(cell, (select geom from free_area)) as geom
        from matched
    )
    select * from final
"""


def free_inner_tiles(con: duckdb.DuckDBPyConnection, city: str, grid: CityGrid) -> pd.DataFrame:
    """Tiles inside the grid's margin whose centre no métropole polygon of `city` contains (tile_id, x, y)."""
    tiles = full_grid(grid)
    m = margin_width(grid)
    inner = tiles[(tiles.row >= m) & (tiles.row < grid.n_rows - m) & (tiles.col >= m) & (tiles.col < grid.n_cols - m)]
    con.register("cand", inner[["tile_id", "x", "y"]])
    try:
        return con.execute(
            """
            select c.tile_id, c.x, c.y from cand c
            where not exists (
                select 1 from metro where metro.city = $city and ST_Contains(metro.geom, ST_Point(c.x, c.y)))
            order by c.tile_id
            """,
            {"city": city},
        ).df()
    finally:
        con.unregister("cand")


def insert_voronoi_cells(con: duckdb.DuckDBPyConnection, city: str, grid: CityGrid, seeds: pd.DataFrame) -> None:
    """Append to `extra` each seed's Voronoi cell (commune_code, x, y), clipped to the grid's inner box outside the métropole."""
    m = margin_width(grid)
    x_min, x_max = grid.x0 + m * TILE_M, grid.x0 + (grid.n_cols - m) * TILE_M
    y_max, y_min = grid.y1 - m * TILE_M, grid.y1 - (grid.n_rows - m) * TILE_M
    con.register("seeds", seeds[["commune_code", "x", "y"]])
    try:
        con.execute(EXTRA_CELLS_SQL.format(x_min=x_min, y_min=y_min, x_max=x_max, y_max=y_max), {"city": city})
    finally:
        con.unregister("seeds")


def generate_extra_communes(
    con: duckdb.DuckDBPyConnection, grids: dict[str, CityGrid], communes: pd.DataFrame, rng: np.random.Generator
) -> None:
    """Table `extra`: Voronoi polygons (Lambert-93) for study communes without a real polygon."""
    con.execute("create or replace table extra (city varchar, commune_code varchar, geom geometry)")
    metro_codes = set(con.execute("select commune_code from metro").df()["commune_code"])
    for city, grid in grids.items():
        codes = sorted(set(communes.loc[communes["city"] == city, "commune_code"]) - metro_codes)
        if not codes:
            continue
        free = free_inner_tiles(con, city, grid)
        if len(free) < len(codes):
            raise ValueError(f"{city}: {len(free)} free tiles for {len(codes)} communes outside the métropole")
        seeds = free.iloc[farthest_point_seeds(free[["x", "y"]].to_numpy(), len(codes), rng)]
        insert_voronoi_cells(con, city, grid, seeds.assign(commune_code=rng.permutation(codes)))
    n = con.execute("select count(*) from extra").fetchone()[0]
    expected = len(set(communes["commune_code"]) - metro_codes)
    if n != expected:
        raise ValueError(f"generated {n} commune polygons outside the métropoles, expected {expected}")


def commune_polygons(con: duckdb.DuckDBPyConnection) -> None:
    """Table `commune_poly`: every study commune's polygon, Lambert-93 and WGS84."""
    con.execute(
        f"""
        create or replace table commune_poly as
        select city, commune_code, geom, geom_wgs84 from metro
        union all
        select city, commune_code, geom, ST_Transform(geom, '{LAMBERT93}', '{WGS84}', always_xy := true) from extra
        """
    )


def select_tiles(con: duckdb.DuckDBPyConnection, grid: CityGrid, stride: int) -> pd.DataFrame:
    """The city's tiles at this scale: every `stride`-th row and column and the grid's edge at
    that spacing, plus for each commune the tile nearest its interior point among those whose
    centre it contains, so every commune has a tile. stride 1 is the full grid."""
    tiles = full_grid(grid)
    if stride == 1:
        return tiles
    half = stride // 2
    on_row, on_col = tiles.row % stride == half, tiles.col % stride == half
    edge_row = (tiles.row == 0) | (tiles.row == grid.n_rows - 1)
    edge_col = (tiles.col == 0) | (tiles.col == grid.n_cols - 1)
    # The lattice, plus the grid's outer edge at the same spacing (mostly outside every commune).
    sampled = tiles[(on_row & on_col) | (edge_row & on_col) | (edge_col & on_row)]
    con.register("all_tiles", tiles[["tile_id", "x", "y"]])
    anchors = con.execute(
        """
        with pts as (select tile_id, ST_Point(x, y) as p from all_tiles),
        inside as (
            select c.commune_code, pts.tile_id,
                   ST_Distance(pts.p, ST_PointOnSurface(c.geom)) as dist
            from pts join commune_poly c on ST_Contains(c.geom, pts.p)
            where c.city = $city
        )
        select commune_code, arg_min(tile_id, dist) as tile_id from inside group by commune_code
        """,
        {"city": grid.city},
    ).df()
    con.unregister("all_tiles")
    keep = np.union1d(sampled["tile_id"].to_numpy(), anchors["tile_id"].to_numpy())
    return tiles[tiles["tile_id"].isin(keep)].reset_index(drop=True)


def lattice_wgs84(con: duckdb.DuckDBPyConnection, grid: CityGrid) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 lon/lat of every tile corner of the city, shaped (n_rows + 1, n_cols + 1)."""
    rows, cols = np.meshgrid(np.arange(grid.n_rows + 1), np.arange(grid.n_cols + 1), indexing="ij")
    pts = pd.DataFrame({"x": (grid.x0 + cols * TILE_M).ravel(), "y": (grid.y1 - rows * TILE_M).ravel()})
    con.register("corners", pts)
    out = con.execute(
        f"""
        select ST_X(p) as lon, ST_Y(p) as lat from (
            select ST_Transform(ST_Point(x, y), '{LAMBERT93}', '{WGS84}', always_xy := true) as p from corners
        )
        """
    ).fetchnumpy()
    con.unregister("corners")
    shape = (grid.n_rows + 1, grid.n_cols + 1)
    return np.round(out["lon"], 7).reshape(shape), np.round(out["lat"], 7).reshape(shape)


def write_tile_geojson(path: Path, tiles: pd.DataFrame, lon: np.ndarray, lat: np.ndarray) -> None:
    """Write tiles as a NetMob `<City>.geojson`: WGS84 polygons with property tile_id."""
    r, c = tiles["row"].to_numpy(), tiles["col"].to_numpy()
    ring = [(r, c), (r, c + 1), (r + 1, c + 1), (r + 1, c), (r, c)]  # NW, NE, SE, SW, NW
    xs = np.stack([lon[i, j] for i, j in ring], axis=1)
    ys = np.stack([lat[i, j] for i, j in ring], axis=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        f.write('{"type": "FeatureCollection", "features": [\n')
        last = len(tiles) - 1
        for k, tile_id in enumerate(tiles["tile_id"].tolist()):
            coords = ", ".join(f"[{x:.7f}, {y:.7f}]" for x, y in zip(xs[k], ys[k]))
            sep = "," if k < last else ""
            f.write(
                f'{{"type": "Feature", "properties": {{"tile_id": {tile_id}}}, '
                f'"geometry": {{"type": "Polygon", "coordinates": [[{coords}]]}}}}{sep}\n'
            )
        f.write("]}\n")


def write_commune_geojson(con: duckdb.DuckDBPyConnection, path: Path, communes: pd.DataFrame) -> None:
    """Write commune polygons in ADMIN-EXPRESS style (INSEE_COM, NOM, INSEE_DEP, SIREN_EPCI, POPULATION)."""
    geo = con.execute("select commune_code, ST_AsGeoJSON(geom_wgs84) as g from commune_poly order by commune_code").df()
    attrs = communes.set_index("commune_code")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        f.write('{"type": "FeatureCollection", "name": "COMMUNE", "features": [\n')
        last = len(geo) - 1
        for k, (code, g) in enumerate(zip(geo["commune_code"], geo["g"])):
            a = attrs.loc[code]
            props = {
                "INSEE_COM": code,
                "NOM": a["commune_name"],
                "INSEE_DEP": a["department"],
                "SIREN_EPCI": a["epci"],
                "POPULATION": int(a["population"]),
            }
            sep = "," if k < last else ""
            f.write(f'{{"type": "Feature", "properties": {json.dumps(props, ensure_ascii=False)}, "geometry": {g}}}{sep}\n')
        f.write("]}\n")
