"""The embedded-default generator: deterministic, in the NetMob formats, every commune tiled."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pytest

from netmob_tor.synth.generate import generate

SMALL = dict(cities=["Dijon"], days="2019-03-30:2019-04-01", scale=40)


def digest(root: Path) -> dict[str, str]:
    """sha256 of every file under root, by relative path."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gen") / "a"
    generate(out, seed=7, **SMALL)
    return out


def test_same_seed_gives_identical_bytes(small_run: Path, tmp_path: Path) -> None:
    again = tmp_path / "b"
    generate(again, seed=7, **SMALL)
    assert digest(small_run) == digest(again)


def test_random_targets_are_deterministic_too(tmp_path: Path) -> None:
    runs = [tmp_path / "r1", tmp_path / "r2"]
    for out in runs:
        generate(out, seed=7, targets="random", **SMALL)
    assert digest(runs[0]) == digest(runs[1])
    assert json.loads((runs[0] / "_synthetic" / "manifest.json").read_text())["targets"] == "random"


def test_other_seed_changes_traffic(small_run: Path, tmp_path: Path) -> None:
    other = tmp_path / "c"
    generate(other, seed=8, **SMALL)
    a, b = digest(small_run), digest(other)
    traffic = [k for k in a if k.endswith("_DL.txt")]
    assert traffic and any(a[k] != b[k] for k in traffic)


def test_netmob_layout_and_value_counts(small_run: Path) -> None:
    for service in ("Tor", "Web_Adult", "YouTube"):
        for stamp, n_values in (("20190330", 96), ("20190331", 92), ("20190401", 96)):
            path = small_run / "Dijon" / service / stamp / f"Dijon_{service}_{stamp}_DL.txt"
            lines = path.read_text().splitlines()
            assert lines, path
            widths = {len(line.split(" ")) for line in lines}
            assert widths == {1 + n_values}, (path, widths)
            assert all(int(v) >= 0 for v in lines[0].split(" ")[1:])


def test_grid_geojson_and_manifest(small_run: Path) -> None:
    grid = json.loads((small_run / "grid" / "Dijon.geojson").read_text())
    ids = [f["properties"]["tile_id"] for f in grid["features"]]
    assert len(ids) == len(set(ids))
    assert all(0 <= i < 195 * 234 for i in ids)  # Dijon: 195 rows x 234 columns
    ring = grid["features"][0]["geometry"]["coordinates"][0]
    assert len(ring) == 5 and ring[0] == ring[-1]
    lon, lat = ring[0]
    assert 4.5 < lon < 5.5 and 47.0 < lat < 47.6  # WGS84 over Dijon
    manifest = json.loads((small_run / "_synthetic" / "manifest.json").read_text())
    assert manifest["n_tiles"] == len(ids)
    assert manifest["n_unassigned_tiles"] > 0
    assert manifest["targets"] == "release" and manifest["days"] == ["2019-03-30", "2019-03-31", "2019-04-01"]
    assert 0 < manifest["tor_volume_shares"]["removed_by_study_rule"] < 0.2
    communes = json.loads((small_run / "communes" / "communes.geojson").read_text())
    codes = {f["properties"]["INSEE_COM"] for f in communes["features"]}
    assert len(codes) == 48 and all(len(c) == 5 for c in codes)  # Dijon's 48 study communes


def test_generator_tile_assignment_equals_the_warehouse(warehouse: duckdb.DuckDBPyConnection, data_root: Path) -> None:
    """The generator's tile -> commune rule (TILE_ASSIGNMENT_SQL on the embedded grid and commune files) equals
    int_tiles__communes of the embedded build, tile by tile, unassigned tiles included."""
    from netmob_tor.duck import connect
    from netmob_tor.synth.generate import assign_tiles

    generator = assign_tiles(connect(), data_root)
    built = warehouse.execute("select city, tile_id, commune_code, n_containing_communes from int_tiles__communes").df()
    key = ["city", "tile_id"]
    merged = generator.merge(built, on=key, how="outer", validate="one_to_one", indicator=True)
    assert (merged["_merge"] == "both").all(), merged.loc[merged["_merge"] != "both", [*key, "_merge"]].head()
    assert len(merged) > 1000 and merged["commune_code_y"].notna().sum() > 1000 and merged["commune_code_y"].isna().any()
    differ = merged[merged["commune_code_x"].fillna("") != merged["commune_code_y"].fillna("")]
    assert differ.empty, differ[[*key, "commune_code_x", "commune_code_y"]].head()
    assert (merged["n_containing"] == merged["n_containing_communes"]).all()
