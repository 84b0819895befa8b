"""Bad tile and commune polygons (docs/bad-input.md): repaired and flagged, or set aside with
a reason, never a silent move of traffic.

A hand-made city, "Polyville", in the Atlantic (no study commune near), is added to two generated days of
Dijon (which supplies the small inputs commune_summary needs): a grid of 2 x 13 tiles of 0.01 degree and five
communes appended to the commune file, built under `commune_scope: all`. Written here, not tuned to the
pipeline; each expected count and total is worked out below from the files:
- tiles: a bow-tie (repaired, centroid at the square's centre, so it stays in its commune), a null geometry
  and a zero-area ring (set aside: their lines go to traffic_quarantine with the reason), a bow-tie beyond
  every commune (repaired, outside every commune);
- communes: a rectangle whose ring runs round it and then round its west part again (repaired: all 6 tiles,
  where the unrepaired ring holds 2), a duplicate code (the second feature set aside, its tiles counted
  outside), a malformed code (set aside, likewise), a null geometry (set aside);
- a grid file holding an empty FeatureCollection for a city with traffic: the build stops, naming the file.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pytest

from conftest import run_dbt
from netmob_tor.duck import connect
from netmob_tor.synth.generate import generate

CITY = "Polyville"
DAYS = ("20190401", "20190402")
SERVICES = ("Tor", "Web_Adult", "YouTube")
VARIABLES = {"study_start": "2019-04-01", "study_end": "2019-04-02", "commune_scope": "all",
             "zero_web_adult_days": [], "use_anomaly_days_seed": False, "anomaly_rule": "drop_days"}
SELECT = ["+commune_summary", "+traffic_quarantine", "+city_tile_coverage", "+int_small_inputs__reconciliation", "study_communes"]

X0, Y0, SIZE, N_COLS = -3.0, 46.0, 0.01, 13  # row 0 is the north row (y 46.01 .. 46.02), as NetMob numbers tiles


def tile_id(row: int, col: int) -> int:
    """NetMob numbering: row x n_cols + col."""
    return row * N_COLS + col


def corners(row: int, col: int) -> tuple[tuple[float, float], ...]:
    """South-west, south-east, north-east, north-west corners of a tile."""
    x, y = X0 + col * SIZE, Y0 + (1 - row) * SIZE
    return (x, y), (x + SIZE, y), (x + SIZE, y + SIZE), (x, y + SIZE)


BOWTIE_IN_ALPHA = tile_id(0, 1)
NULL_TILE = tile_id(1, 2)
FLAT_TILE = tile_id(0, 7)
BOWTIE_OUTSIDE = tile_id(0, 12)


def tile_geometry(row: int, col: int) -> dict[str, object] | None:
    """The tile's GeoJSON geometry, or the defect planted on it."""
    sw, se, ne, nw = corners(row, col)
    tile = tile_id(row, col)
    if tile == NULL_TILE:
        return None
    if tile in (BOWTIE_IN_ALPHA, BOWTIE_OUTSIDE):  # the ring crosses itself at the centre
        ring = [sw, ne, se, nw, sw]
    elif tile == FLAT_TILE:  # three points on the south edge: no area, nothing for ST_MakeValid to keep
        ring = [sw, (sw[0] + SIZE / 2, sw[1]), se, sw]
    else:
        ring = [sw, se, ne, nw, sw]
    return {"type": "Polygon", "coordinates": [[list(p) for p in ring]]}


def rectangle(first_col: int, last_col: int) -> list[list[float]]:
    """A ring around tile columns first_col..last_col (both rows)."""
    x1, x2, y1, y2 = X0 + first_col * SIZE, X0 + (last_col + 1) * SIZE, Y0, Y0 + 2 * SIZE
    return [[x1, y1], [x2, y1], [x2, y2], [x1, y2], [x1, y1]]


def double_traced(first_col: int, last_col: int) -> list[list[float]]:
    """The rectangle's ring, then round its west part again (up to between the 2nd and 3rd tile centres):
    a ring that overlaps itself, as a digitising slip leaves it. Read as it is (even-odd), the west part
    is inside twice, hence outside: its tiles are lost; ST_MakeValid gives back the whole rectangle."""
    x1, x2, y1, y2 = X0 + first_col * SIZE, X0 + (last_col + 1) * SIZE, Y0, Y0 + 2 * SIZE
    xm = X0 + (first_col + 1.8) * SIZE
    return [[x1, y1], [x2, y1], [x2, y2], [x1, y2], [x1, y1], [xm, y1], [xm, y2], [x1, y2], [x1, y1]]


# code -> (name, ring or None, the tile columns it covers); the file order is this order.
COMMUNES = [
    ("95990", "Alpha", rectangle(0, 2), range(0, 3)),
    ("95991", "Beta", double_traced(3, 5), range(3, 6)),
    ("95992", "Gamma", rectangle(6, 7), range(6, 8)),
    ("95992", "Gamma bis", rectangle(8, 9), range(8, 10)),   # duplicate code: set aside, its tiles outside
    ("95X93", "Malformed", rectangle(10, 11), range(10, 12)),  # malformed code: set aside, its tiles outside
    ("95994", "Nowhere", None, range(0)),                      # null geometry: set aside
]
KEPT = {"95990": range(0, 3), "95991": range(3, 6), "95992": range(6, 8)}
IN_SET_ASIDE_COMMUNES = [c for c in range(8, 12)]


def commune_of(tile: int) -> str | None:
    """The commune a tile lands in after the checks (None: outside every commune or set aside)."""
    col = tile % N_COLS
    if tile in (NULL_TILE, FLAT_TILE):
        return None
    return next((code for code, cols in KEPT.items() if col in cols), None)


def write_city(root: Path, seed: int = 11) -> dict[tuple[str, str], dict[int, np.ndarray]]:
    """Polyville's grid, communes (appended to the commune file) and traffic; returns the values written."""
    grid = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"tile_id": tile_id(r, c)}, "geometry": tile_geometry(r, c)}
        for r in range(2) for c in range(N_COLS)]}
    (root / "grid" / f"{CITY}.geojson").write_text(json.dumps(grid))
    path = root / "communes" / "communes.geojson"
    communes = json.loads(path.read_text())
    for code, name, ring, _ in COMMUNES:
        communes["features"].append({
            "type": "Feature",
            "properties": {"INSEE_COM": code, "NOM": name, "INSEE_DEP": "95", "SIREN_EPCI": None, "POPULATION": 1000},
            "geometry": {"type": "Polygon", "coordinates": [ring]} if ring else None})
    path.write_text(json.dumps(communes))
    rng = np.random.default_rng(seed)
    values = {}
    for service in SERVICES:
        for day in DAYS:
            rows = {tile_id(r, c): rng.integers(1, 1000, 96) for r in range(2) for c in range(N_COLS)}
            values[(service, day)] = rows
            file = root / CITY / service / day / f"{CITY}_{service}_{day}_DL.txt"
            file.parent.mkdir(parents=True)
            file.write_text("".join(f"{t} " + " ".join(str(int(v)) for v in row) + "\n" for t, row in rows.items()))
    return values


def total(values: dict, service: str, tiles: set[int]) -> float:
    """Download of `service` over both days on the given tiles, from the values written."""
    return float(sum(values[(service, day)][t].sum() for day in DAYS for t in tiles))


@pytest.fixture(scope="module")
def clean_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two days of Dijon in the NetMob formats, with every small input."""
    root = tmp_path_factory.mktemp("polygons") / "clean"
    generate(root, seed=5, cities=["Dijon"], days="2019-04-01:2019-04-02", scale=60)
    return root


@pytest.fixture(scope="module")
def built(clean_root: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Dijon plus Polyville, built into a scratch database; the build's output and the values written."""
    tmp = tmp_path_factory.mktemp("polyville")
    root = tmp / "data"
    shutil.copytree(clean_root, root)
    values = write_city(root)
    # commune_summary takes the department from the study's seed: a commune outside the study has none (not
    # what is tested here)
    run = run_dbt(root, tmp / "wh.duckdb", tmp, SELECT, VARIABLES, "--exclude", "not_null_commune_summary_department_code")
    assert run.returncode == 0, run.stdout[-5000:]
    con = connect(tmp / "wh.duckdb", read_only=True)
    yield {"con": con, "values": values, "stdout": run.stdout, "root": root}
    con.close()


def test_tiles_repaired_or_set_aside_with_reasons(built: dict[str, object]) -> None:
    con: duckdb.DuckDBPyConnection = built["con"]
    rows = con.execute("select tile_id, is_kept, is_geom_repaired, rejection_reason from base_netmob__tiles "
                       "where city = ? and (not is_kept or is_geom_repaired) order by tile_id", [CITY]).fetchall()
    assert rows == sorted([
        (BOWTIE_IN_ALPHA, True, True, None),
        (NULL_TILE, False, False, "null or empty geometry"),
        (FLAT_TILE, False, False, "invalid polygon that ST_MakeValid cannot repair"),
        (BOWTIE_OUTSIDE, True, True, None),
    ])
    crosswalk = dict(con.execute("select tile_id, commune_code from int_tiles__communes where city = ?", [CITY]).fetchall())
    expected = {tile_id(r, c): commune_of(tile_id(r, c)) for r in range(2) for c in range(N_COLS)
                if tile_id(r, c) not in (NULL_TILE, FLAT_TILE)}
    assert crosswalk == expected  # the repaired bow-tie stays in Alpha; the overlapping ring's commune keeps its 6 tiles
    # without the repair the overlapping ring's commune loses tiles, and the bow-tie has no centroid to place (what the test guards)
    raw = connect()
    beta = "POLYGON((" + ", ".join(f"{x} {y}" for x, y in double_traced(3, 5)) + "))"
    centres = [(X0 + (c + 0.5) * SIZE, Y0 + (1.5 - r) * SIZE) for r in range(2) for c in range(3, 6)]
    held = sum(raw.execute(f"select ST_Contains(ST_GeomFromText('{beta}'), ST_Point({x}, {y}))").fetchone()[0] for x, y in centres)
    bowtie = "POLYGON((" + ", ".join(f"{x} {y}" for x, y in tile_geometry(0, 1)["coordinates"][0]) + "))"
    assert held < 6 and raw.execute(f"select ST_IsEmpty(ST_Centroid(ST_GeomFromText('{bowtie}')))").fetchone()[0]
    raw.close()


def test_commune_polygons_repaired_or_set_aside_and_reconciled(built: dict[str, object]) -> None:
    con: duckdb.DuckDBPyConnection = built["con"]
    ours = con.execute("select commune_code_raw, is_kept, is_geom_repaired, rejection_reason from base_ign__communes "
                       "where commune_code_raw like '95%' and commune_name in ('Alpha', 'Beta', 'Gamma', 'Gamma bis', "
                       "'Malformed', 'Nowhere') order by feature_number").fetchall()
    first_gamma = con.execute("select feature_number from base_ign__communes where commune_name = 'Gamma'").fetchone()[0]
    assert ours == [
        ("95990", True, False, None),
        ("95991", True, True, None),
        ("95992", True, False, None),
        ("95992", False, False, f"duplicate commune code (feature {first_gamma} kept)"),
        ("95X93", False, False, "malformed commune code"),
        ("95994", False, False, "null or empty geometry"),
    ]
    quarantined = con.execute("select record_key, rejection_reason from int_small_inputs__quarantine "
                              "where input_name = 'ign_communes' order by line_number").fetchall()
    assert quarantined == [r[::3] for r in ours if not r[1]]
    n_read, n_kept, n_quarantined, balanced = con.execute(
        "select n_read, n_kept, n_quarantined, is_balanced from int_small_inputs__reconciliation "
        "where input_name = 'ign_communes'").fetchone()
    assert (n_quarantined, balanced) == (3, True) and n_read == n_kept + n_quarantined
    assert n_read == con.execute("select count(*) from base_ign__communes").fetchone()[0]
    assert con.execute("select count(*) from stg_ign__communes").fetchone()[0] == n_kept


def test_commune_summary_flags_and_totals(built: dict[str, object]) -> None:
    con: duckdb.DuckDBPyConnection = built["con"]
    values = built["values"]
    got = {r[0]: r[1:] for r in con.execute(
        "select commune_code, n_tiles, tor_dl, is_commune_geom_repaired, n_tiles_geom_repaired, "
        "n_commune_polygons_set_aside, commune_polygons_set_aside_reasons from commune_summary "
        "where commune_code in ('95990', '95991', '95992')").fetchall()}
    tiles = {code: {t for t in range(2 * N_COLS) if commune_of(t) == code} for code in KEPT}
    assert {code: len(t) for code, t in tiles.items()} == {"95990": 5, "95991": 6, "95992": 3}
    first_gamma = con.execute("select feature_number from base_ign__communes where commune_name = 'Gamma'").fetchone()[0]
    assert got == {
        "95990": (5, total(values, "Tor", tiles["95990"]), False, 1, 0, None),
        "95991": (6, total(values, "Tor", tiles["95991"]), True, 0, 0, None),
        "95992": (3, total(values, "Tor", tiles["95992"]), False, 0, 1, f"duplicate commune code (feature {first_gamma} kept)"),
    }
    # Dijon's communes are untouched by the checks
    flagged = con.execute("select commune_code from commune_summary where is_commune_geom_repaired or n_tiles_geom_repaired > 0 "
                          "or n_commune_polygons_set_aside > 0 order by all").fetchall()
    assert flagged == [("95990",), ("95991",), ("95992",)]


def test_traffic_of_tiles_set_aside_is_quarantined_and_counted(built: dict[str, object]) -> None:
    con: duckdb.DuckDBPyConnection = built["con"]
    values = built["values"]
    reasons = con.execute("select tile_id, reason, count(*) from traffic_quarantine where city = ? group by all order by all",
                          [CITY]).fetchall()
    assert reasons == [
        (FLAT_TILE, "tile set aside from the city grid: invalid polygon that ST_MakeValid cannot repair", 6),
        (NULL_TILE, "tile set aside from the city grid: null or empty geometry", 6),
    ]
    coverage = {r[0]: r[1:] for r in con.execute(
        "select service, n_tiles, n_tiles_outside, n_tiles_set_aside, n_tiles_geom_repaired, n_tiles_geom_repaired_outside, "
        "n_tiles_in_set_aside_communes, dl_in_communes, dl_outside, dl_tiles_set_aside, dl_outside_in_set_aside_communes "
        "from city_tile_coverage where city = ?", [CITY]).fetchall()}
    all_tiles = set(range(2 * N_COLS))
    set_aside = {NULL_TILE, FLAT_TILE}
    inside = {t for t in all_tiles if commune_of(t)}
    outside = all_tiles - inside - set_aside
    in_set_aside_communes = {t for t in all_tiles if t % N_COLS in IN_SET_ASIDE_COMMUNES}
    for service in SERVICES:
        row = coverage[service]
        assert row[:6] == (24, 10, 2, 2, 1, 8)
        assert row[6:] == (total(values, service, inside), total(values, service, outside),
                           total(values, service, set_aside), total(values, service, in_set_aside_communes))
        # kept + set aside = read: every value of the files is in one of the three
        assert row[6] + row[7] + row[8] == total(values, service, all_tiles)


def test_warnings_name_the_files_features_and_tiles(built: dict[str, object]) -> None:
    out = built["stdout"]
    assert "WARN assert_no_grid_tile_set_aside_or_repaired" in out
    assert f"1 tile(s) of grid/{CITY}.geojson set aside: null or empty geometry (tiles {NULL_TILE})" in out
    repaired = f"tiles {BOWTIE_IN_ALPHA}, {BOWTIE_OUTSIDE}"
    assert f"2 tile(s) of grid/{CITY}.geojson polygon repaired by ST_MakeValid ({repaired}); 1 of them outside every commune" in out
    tor_file = f"{built['root']}/{CITY}/Tor/20190401/{CITY}_Tor_20190401_DL.txt"
    assert f"1 line(s) set aside in {tor_file}: tile set aside from the city grid: null or empty geometry" in out
    assert "tile not in the city grid" not in out
    assert "WARN assert_no_commune_polygon_set_aside_or_repaired" in out
    assert "(code 95X93): set aside, malformed commune code" in out
    assert "(code 95991): polygon repaired by ST_MakeValid" in out


def test_empty_grid_file_stops_the_build_naming_it(clean_root: Path, tmp_path: Path) -> None:
    """A grid file that holds an empty FeatureCollection is not `no grid file`: the message says it exists and holds no tiles."""
    root = tmp_path / "data"
    shutil.copytree(clean_root, root)
    (root / "grid" / "Dijon.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": []}))
    run = run_dbt(root, tmp_path / "wh.duckdb", tmp_path, ["+int_traffic__set_aside_lines"],
                  {"study_start": "2019-04-01", "study_end": "2019-04-02"})
    assert run.returncode != 0
    assert "assert_every_city_has_grid_and_traffic" in run.stdout, run.stdout[-3000:]
    assert "grid file grid/Dijon.geojson exists but holds no tiles (an empty FeatureCollection)" in run.stdout
    assert "no grid file" not in run.stdout
