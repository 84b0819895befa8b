"""Incremental loading follows the files: a new day is read alone and equals a full rebuild; a
corrected file replaces its rows on a plain build; removed files and a shortened period leave no
stale rows and marts that agree; an empty file stops the build with a message that says so; the
commune sums add only the changed days, and sum everything again on a new crosswalk."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from netmob_tor.duck import connect
from netmob_tor.paths import landing_path
from netmob_tor.synth.generate import generate

DAYS = ("20190401", "20190402", "20190403")


def build(dbt_build, data_root: Path, database: Path, work: Path, last_day: str, *extra: str):
    """Build the traffic chain; the study period ends on `last_day`, so the missing-day test
    expects exactly the days present."""
    return dbt_build(
        data_root, database, work, ["+commune_hour", "+commune_summary"],
        {"study_start": "2019-04-01", "study_end": last_day}, *extra,
    )


def built(dbt_build, data_root: Path, database: Path, work: Path, last_day: str, *extra: str) -> None:
    """build(), which must succeed."""
    result = build(dbt_build, data_root, database, work, last_day, *extra)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def link_days(source: Path, target: Path, days: tuple[str, ...]) -> None:
    """A data root holding every non-traffic input (grid, communes, small inputs) and the traffic files of `days` only."""
    for folder in source.iterdir():
        if folder.is_dir() and not (folder / "Tor").is_dir():
            shutil.copytree(folder, target / folder.name)
    link_files(source, target, days)


def link_files(source: Path, target: Path, days: tuple[str, ...]) -> None:
    """Symlink the traffic files of `days` from source into target."""
    for path in source.glob("*/*/*/*_DL.txt"):
        if path.parent.name in days:
            dest = target / path.relative_to(source)
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(path, dest)


def loads(db: Path) -> dict[str, tuple[int, object]]:
    """Per raw file of the tile-day table: its row count and load time (from the load ledger, which must list the same files),
    in the landing's own file beside the warehouse."""
    con = connect(landing_path(db), read_only=True)
    rows = con.execute("select source_file, count(*) from int_traffic__tile_day_hours group by 1").fetchall()
    ledger = dict(con.execute("select source_file, loaded_at from int_traffic__loaded_files").fetchall())
    con.close()
    assert set(ledger) == {f for f, _ in rows}
    return {Path(f).name: (n, ledger[f]) for f, n in rows}


def marts(db: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """commune_hour and commune_summary (traffic columns) of one build, in a stable order."""
    con = connect(db, read_only=True)
    hours = con.execute("select * exclude (processing_profile, processing_choices) from commune_hour "
                        "order by commune_code, hour_start_utc").df()
    summary = con.execute("select commune_code, n_hours, tor_dl, web_adult_dl, youtube_dl, rho from commune_summary "
                          "where tor_dl is not null order by commune_code").df()
    con.close()
    return hours, summary


def test_new_day_is_loaded_alone_and_matches_full_rebuild(tmp_path: Path, dbt_build) -> None:
    full = tmp_path / "full"
    generate(full, seed=11, cities=["Dijon"], days="2019-04-01:2019-04-03", scale=60)
    root = tmp_path / "root"
    root.mkdir()
    link_days(full, root, DAYS[:2])
    db = tmp_path / "wh.duckdb"
    built(dbt_build, root, db, tmp_path, "2019-04-02")
    first = loads(db)

    link_files(full, root, DAYS[2:])
    built(dbt_build, root, db, tmp_path, "2019-04-03")
    second = loads(db)
    assert {k: v for k, v in second.items() if k in first} == first  # the first two days were not re-read
    new = {k: v for k, v in second.items() if k not in first}
    assert len(new) == 3 and len({at for _, at in new.values()}) == 1  # the new day's three files, read once, together
    incremental = marts(db)

    # a run that failed after landing a file's rows but before the ledger recorded it: the file is read again
    name = "Dijon_YouTube_20190402_DL.txt"
    con = connect(landing_path(db))
    con.execute("delete from int_traffic__loaded_files where source_file like ?", [f"%{name}"])
    con.close()
    built(dbt_build, root, db, tmp_path, "2019-04-03")
    third = loads(db)
    assert third[name][0] == second[name][0] and third[name][1] > second[name][1]
    assert {k: v for k, v in third.items() if k != name} == {k: v for k, v in second.items() if k != name}
    for got, want in zip(marts(db), incremental):
        assert got.equals(want)

    rebuilt_db = tmp_path / "rebuilt.duckdb"
    built(dbt_build, root, rebuilt_db, tmp_path, "2019-04-03", "--full-refresh")
    for got, want in zip(incremental, marts(rebuilt_db)):
        assert len(got) == len(want) > 0
        assert got.equals(want)


def test_corrected_removed_and_empty_files_follow_on_plain_builds(tmp_path: Path, dbt_build) -> None:
    full = tmp_path / "full"
    generate(full, seed=12, cities=["Dijon"], days="2019-04-01:2019-04-03", scale=60)
    root = tmp_path / "l'été"  # an apostrophe in the data folder's path: every path enters SQL quoted
    root.mkdir()
    link_days(full, root, DAYS)
    db = tmp_path / "wh.duckdb"
    built(dbt_build, root, db, tmp_path, "2019-04-03")
    before, before_hours = loads(db), marts(db)[0]

    # 1. a corrected file replaces its rows on a plain build; no other file is read again
    name = "Dijon_Tor_20190401_DL.txt"
    path = root / "Dijon" / "Tor" / "20190401" / name
    raw = pd.read_csv(path, sep=" ", header=None)
    path.unlink()
    raw.iloc[0, 1 + 40] += 1000  # 10:00, first tile of the file
    np.savetxt(path, raw.to_numpy(), fmt="%d", delimiter=" ")
    built(dbt_build, root, db, tmp_path, "2019-04-03")
    after = loads(db)
    assert after[name][0] == before[name][0] and after[name][1] > before[name][1]
    assert {k: v for k, v in after.items() if k != name} == {k: v for k, v in before.items() if k != name}
    con = connect(db, read_only=True)
    commune = con.execute("select commune_code from int_tiles__communes where city = 'Dijon' and tile_id = ?",
                          [int(raw.iloc[0, 0])]).fetchone()[0]
    con.close()
    after_hours = marts(db)[0]
    gap = after_hours["tor_dl"] - before_hours["tor_dl"]
    hit = (after_hours["commune_code"] == commune) & (after_hours["traffic_date"] == pd.Timestamp("2019-04-01")) & (after_hours["hour_of_day"] == 10)
    if commune is not None:
        assert gap[hit].tolist() == [1000] and (gap[~hit] == 0).all()
    else:
        assert (gap == 0).all()

    # 1b. a file replaced by one of the same size and modification time: read again (its bytes' hash changed)
    name = "Dijon_Web_Adult_20190402_DL.txt"
    path = root / "Dijon" / "Web_Adult" / "20190402" / name
    stamp, text = path.stat(), path.read_text()
    digits = [i for i, ch in enumerate(text) if ch in "12345678"]
    changed = text[:digits[0]] + str(int(text[digits[0]]) + 1) + text[digits[0] + 1:]  # one digit up: same size
    path.unlink()
    path.write_text(changed)
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert path.stat().st_size == stamp.st_size and path.stat().st_mtime_ns == stamp.st_mtime_ns
    before = loads(db)
    built(dbt_build, root, db, tmp_path, "2019-04-03")
    after = loads(db)
    assert after[name][1] > before[name][1], "a file of the same size and modification time was not read again"
    assert {k: v for k, v in after.items() if k != name} == {k: v for k, v in before.items() if k != name}

    # 2. removed files and a shortened period: no stale rows, and the marts agree with each other
    shutil.rmtree(root / "Dijon" / "Tor" / "20190403")
    shutil.rmtree(root / "Dijon" / "Web_Adult" / "20190403")
    shutil.rmtree(root / "Dijon" / "YouTube" / "20190403")
    built(dbt_build, root, db, tmp_path, "2019-04-02")
    assert not [k for k in loads(db) if "20190403" in k]
    hours, summary = marts(db)
    assert hours["traffic_date"].max() == pd.Timestamp("2019-04-02")
    per_commune = hours.groupby("commune_code")[["tor_dl", "web_adult_dl", "youtube_dl"]].sum()
    summed = summary.set_index("commune_code")[["tor_dl", "web_adult_dl", "youtube_dl"]]
    assert per_commune.reindex(summed.index).equals(summed)
    assert (hours.groupby("commune_code").size().reindex(summed.index) == summary.set_index("commune_code")["n_hours"]).all()

    # 3. an empty file stops the build, naming the file
    empty = root / "Dijon" / "YouTube" / "20190402" / "Dijon_YouTube_20190402_DL.txt"
    empty.unlink()
    empty.write_text("")
    result = build(dbt_build, root, db, tmp_path, "2019-04-02")
    assert result.returncode != 0
    assert "empty traffic file (0 bytes)" in result.stdout and "Dijon_YouTube_20190402_DL.txt" in result.stdout


SUM_TABLES = {"int_traffic__commune_day_hours": "city, commune_code, service, traffic_date",
              "int_traffic__commune_quarter_hours": "city, commune_code, service, traffic_date, value_position",
              "int_traffic__absent_tile_lines": "city, service, traffic_date, tile_id"}


def commune_sums(db: Path) -> dict[str, pd.DataFrame]:
    """The incremental commune sums and absent lines, without their load times (which differ between warehouses), in a stable order."""
    con = connect(db, read_only=True)
    out = {t: con.execute(f"select * exclude ({'loaded_at, ' if 'day' in t else ''}files_signature) from {t} order by {k}").df()
           for t, k in SUM_TABLES.items()}
    con.close()
    return out


def swap_communes(path: Path, a: str, b: str) -> None:
    """Swap two communes' polygons in the commune GeoJSON (a new crosswalk in which every commune keeps tiles)."""
    doc = json.loads(path.read_text())
    found = {}
    for feature in doc["features"]:
        codes = {str(v) for v in feature["properties"].values()}
        for code in (a, b):
            if code in codes:
                found.setdefault(code, []).append(feature)
    assert all(len(found.get(c, [])) == 1 for c in (a, b)), f"communes {a}, {b} not found once each in {path}"
    fa, fb = found[a][0], found[b][0]
    fa["geometry"], fb["geometry"] = fb["geometry"], fa["geometry"]
    path.write_text(json.dumps(doc))


def test_commune_sums_resum_only_changed_days_and_everything_on_a_new_crosswalk(tmp_path: Path, dbt_build) -> None:
    full = tmp_path / "full"
    generate(full, seed=13, cities=["Dijon"], days="2019-05-11:2019-05-12", scale=60)
    root = tmp_path / "root"
    root.mkdir()
    link_days(full, root, ("20190511", "20190512"))
    short = next(root.glob("Dijon/YouTube/20190511/*_DL.txt"))
    lines = short.read_text().splitlines(keepends=True)
    short.unlink()
    short.write_text("".join(lines[20:]))  # 20 grid tiles absent from one file
    db = tmp_path / "wh.duckdb"
    period = {"study_start": "2019-05-11", "study_end": "2019-05-12"}
    select = ["+commune_hour", "+commune_summary"]

    def plain_build(database: Path, *extra: str) -> None:
        result = dbt_build(root, database, tmp_path, select, period, *extra)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    plain_build(db)
    con = connect(db, read_only=True)
    code, other = [r[0] for r in con.execute(
        "select commune_code from int_tiles__communes where commune_code is not null "
        "group by 1 order by count(*) desc, commune_code limit 2").fetchall()]
    con.close()
    assert len(commune_sums(db)["int_traffic__commune_quarter_hours"]) > 0  # 2019-05-12 is a zero-Web_Adult day

    # sentinels on two days of Tor: only the day whose file changes is summed again
    where = "service = 'Tor' and commune_code = ? and traffic_date = ?"
    con = connect(db)
    for day in ("2019-05-11", "2019-05-12"):
        con.execute(f"update int_traffic__commune_day_hours set h05 = h05 + 7 where {where}", [code, day])
    con.execute("update int_traffic__commune_quarter_hours set dl_volume = dl_volume + 7 "
                f"where {where} and value_position = 21", [code, "2019-05-12"])
    con.close()
    sentinel = "select h05 from int_traffic__commune_day_hours where " + where
    tor = next(root.glob("Dijon/Tor/20190512/*_DL.txt"))
    os.utime(tor.resolve(), (tor.stat().st_atime, tor.stat().st_mtime + 60))  # the file is read again
    con = connect(db, read_only=True)
    marked = {day: con.execute(sentinel, [code, day]).fetchone()[0] for day in ("2019-05-11", "2019-05-12")}
    quarter_sentinel = f"select dl_volume from int_traffic__commune_quarter_hours where {where} and value_position = 21"
    marked_quarter = con.execute(quarter_sentinel, [code, "2019-05-12"]).fetchone()[0]
    con.close()
    plain_build(db)
    con = connect(db, read_only=True)
    assert con.execute(sentinel, [code, "2019-05-11"]).fetchone()[0] == marked["2019-05-11"]  # not summed again
    assert con.execute(sentinel, [code, "2019-05-12"]).fetchone()[0] == marked["2019-05-12"] - 7  # summed again
    assert con.execute(quarter_sentinel, [code, "2019-05-12"]).fetchone()[0] == marked_quarter - 7  # summed again
    con.close()

    # a new crosswalk sums every day again, equal to a fresh build (sentinel of 2019-05-11 gone)
    tiles_of = "select list(tile_id order by tile_id) from int_tiles__communes where commune_code = ?"
    con = connect(db, read_only=True)
    before = con.execute(tiles_of, [other]).fetchone()[0]
    con.close()
    swap_communes(root / "communes" / "communes.geojson", code, other)
    plain_build(db)
    fresh = tmp_path / "fresh.duckdb"
    plain_build(fresh)
    got, want = commune_sums(db), commune_sums(fresh)
    for table in SUM_TABLES:
        assert len(got[table]) == len(want[table]) > 0
        pd.testing.assert_frame_equal(got[table], want[table], check_exact=True)
    con = connect(db, read_only=True)
    after = con.execute(tiles_of, [code]).fetchone()[0]
    con.close()
    assert after == before  # the commune now holds the other's tiles: the crosswalk did change
    for hours, fresh_hours in zip(marts(db), marts(fresh)):
        assert hours.equals(fresh_hours)
