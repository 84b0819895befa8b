"""Bad NetMob lines are set aside and accounted for line by line: every line is summed or listed, the
warnings name the files, and the communes they touch are flagged. Which faults stop the build and
which are set aside is the fault suite's (test_fault_suite.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from netmob_tor.duck import connect
from netmob_tor.synth.generate import generate

VARS = {"study_start": "2019-04-01", "study_end": "2019-04-02"}
SELECT = ["+commune_hour", "+traffic_quarantine", "+commune_summary", "study_communes"]


@pytest.fixture(scope="module")
def clean_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two days of Dijon in the NetMob formats."""
    root = tmp_path_factory.mktemp("bad") / "clean"
    generate(root, seed=5, cities=["Dijon"], days="2019-04-01:2019-04-02", scale=60)
    return root


def copy_root(clean: Path, target: Path) -> Path:
    """A private copy of the clean data root to corrupt."""
    shutil.copytree(clean, target)
    return target


def lines_of(path: Path) -> list[str]:
    """The file's lines without line ends."""
    return path.read_text().splitlines()


def write_lines(path: Path, lines: list[str]) -> None:
    """Rewrite the file."""
    path.write_text("\n".join(lines) + "\n")


def test_corrupt_lines_are_quarantined_and_counted(clean_root: Path, tmp_path: Path, dbt_build) -> None:
    root = copy_root(clean_root, tmp_path / "root")
    tor = root / "Dijon" / "Tor" / "20190401" / "Dijon_Tor_20190401_DL.txt"
    lines = lines_of(tor)
    n_lines = len(lines)
    short = lines[0].rsplit(" ", 1)[0]                          # 95 values: a lost column
    negative = lines[1].split(" ")
    negative[5], negative[6] = "-3", "3"                       # negative traffic, cancelled within its hour
    unknown = "99999999 " + lines[2].split(" ", 1)[1]          # tile not in the grid
    empty = lines[3].split(" ")
    empty[40] = ""                                             # an empty field inside the line
    extra = lines[4] + " 7"                                    # 97 values: one too many
    write_lines(tor, [short, " ".join(negative), unknown, " ".join(empty), extra, *lines[5:]])
    youtube = root / "Dijon" / "YouTube" / "20190401" / "Dijon_YouTube_20190401_DL.txt"
    yt_lines = lines_of(youtube)
    exponent = yt_lines[0].split(" ")
    exponent[7] = "1e-05"                                      # a minus sign that is not a negative value
    write_lines(youtube, [" ".join(exponent), *yt_lines[1:]])

    result = dbt_build(root, tmp_path / "wh.duckdb", tmp_path, SELECT, VARS)
    assert result.returncode == 0, result.stdout[-2000:]  # a quarantine warns, it does not fail
    con = connect(tmp_path / "wh.duckdb", read_only=True)
    reasons = dict(con.execute("select reason, count(*) from traffic_quarantine group by reason").fetchall())
    assert reasons == {
        "expected 96 quarter-hour values, found 95": 1,
        "expected 96 quarter-hour values, found 97": 1,
        "negative traffic value": 1,
        "tile not in the city grid": 1,
        "empty quarter-hour value": 1,
        "tile absent from file": 1,  # the tile whose id was overwritten by 99999999 has no line left
    }
    # the warnings name the file, the reason and the count
    assert "WARN assert_no_traffic_lines_set_aside" in result.stdout
    assert "1 line(s) set aside in " in result.stdout and "Dijon_Tor_20190401_DL.txt: negative traffic value" in result.stdout
    assert "WARN assert_every_grid_tile_in_every_file" in result.stdout
    assert "1 grid tile(s) absent from " in result.stdout
    # the communes they touch are flagged in commune_summary, line for line
    flagged = con.execute("select count(*), sum(n_lines_set_aside), sum(n_lines_absent) from commune_summary where has_set_aside_lines").fetchone()
    in_communes = con.execute(
        "select count(*), count(*) filter (where q.reason = 'tile absent from file') from traffic_quarantine q "
        "inner join int_tiles__communes t on t.city = q.city and t.tile_id = q.tile_id where t.is_assigned"
    ).fetchone()
    assert in_communes[0] >= 1 and (flagged[1], flagged[2]) == in_communes and flagged[0] >= 1
    kept, quarantined = con.execute(
        "select sum(n_tiles), sum(n_quarantined_lines) from int_traffic__commune_day_hours "
        "where service = 'Tor' and traffic_date = date '2019-04-01'"
    ).fetchone()
    assert kept + quarantined == n_lines  # every line is summed or listed
    yt_quarantined = con.execute(
        "select sum(n_quarantined_lines) from int_traffic__commune_day_hours "
        "where service = 'YouTube' and traffic_date = date '2019-04-01'"
    ).fetchone()[0]
    assert yt_quarantined == 0  # the file is searched value by value and the line is kept
    con.close()


def test_city_without_grid_or_traffic_stops_the_build(clean_root: Path, tmp_path: Path, dbt_build) -> None:
    """Traffic files for a city with no grid file, and a grid with no traffic, stop the build naming the city."""
    root = copy_root(clean_root, tmp_path / "root")
    shutil.copy(root / "grid" / "Dijon.geojson", root / "grid" / "Gridonly.geojson")
    for path in (root / "Dijon").glob("*/*/*_DL.txt"):
        target = root / "Trafficonly" / path.relative_to(root / "Dijon").parent / path.name.replace("Dijon", "Trafficonly")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    result = dbt_build(root, tmp_path / "wh.duckdb", tmp_path, SELECT, VARS)
    assert result.returncode != 0
    assert "assert_every_city_has_grid_and_traffic" in result.stdout, result.stdout[-3000:]
    assert "traffic files for Trafficonly but no grid file grid/Trafficonly.geojson" in result.stdout
    assert "grid file grid/Gridonly.geojson but no traffic file for Gridonly" in result.stdout


def test_tile_repeated_in_one_file_and_absent_from_another_is_still_found_absent(clean_root: Path, tmp_path: Path,
                                                                                  dbt_build) -> None:
    """A tile's line repeated in one file must not hide its absence from another (as a count of the tile's lines
    over the city's files would): the absent line is listed. The repeat's own test is left out of this build."""
    root = copy_root(clean_root, tmp_path / "root")
    first = root / "Dijon" / "Tor" / "20190401" / "Dijon_Tor_20190401_DL.txt"
    second = root / "Dijon" / "Tor" / "20190402" / "Dijon_Tor_20190402_DL.txt"
    lines = lines_of(first)
    tile = lines[0].split(" ", 1)[0]
    write_lines(first, [lines[0], *lines])                        # the tile twice on 04-01
    write_lines(second, [line for line in lines_of(second) if line.split(" ", 1)[0] != tile])  # and not on 04-02
    db = tmp_path / "wh.duckdb"
    result = dbt_build(root, db, tmp_path, ["+int_traffic__absent_tile_lines"], VARS, "--exclude", "assert_no_tile_repeated_in_a_file")
    assert "int_traffic__absent_tile_lines" not in result.stdout  # built (dbt --quiet names only what failed)
    con = connect(db, read_only=True)
    absent = con.execute("select service, traffic_date::varchar, tile_id from int_traffic__absent_tile_lines").fetchall()
    con.close()
    assert absent == [("Tor", "2019-04-02", int(tile))]
