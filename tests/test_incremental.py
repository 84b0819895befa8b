"""Incremental loading: a new day of NetMob files is read alone, and the result equals a full rebuild."""

from __future__ import annotations

import os
import shutil
from pathlib import Path


from netmob_tor.duck import connect
from netmob_tor.synth.generate import generate

DAYS = ("20190401", "20190402", "20190403")


def build(dbt_build, data_root: Path, database: Path, work: Path, last_day: str, *extra: str) -> None:
    """Build the traffic chain; the study period ends on `last_day`, so the missing-day test
    expects exactly the days present."""
    result = dbt_build(
        data_root, database, work, ["+commune_hour", "study_communes"],
        {"study_start": "2019-04-01", "study_end": last_day}, *extra,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def link_days(source: Path, target: Path, days: tuple[str, ...]) -> None:
    """A data root holding the grid, communes and the traffic files of `days` only."""
    for name in ("grid", "communes"):
        shutil.copytree(source / name, target / name)
    for path in source.glob("*/*/*/*_DL.txt"):
        if path.parent.name in days:
            dest = target / path.relative_to(source)
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(path, dest)


def test_new_day_is_loaded_alone_and_matches_full_rebuild(tmp_path: Path, dbt_build) -> None:
    full = tmp_path / "full"
    generate(full, seed=11, cities=["Dijon"], days="2019-04-01:2019-04-03", scale=60)
    root = tmp_path / "root"
    root.mkdir()
    link_days(full, root, DAYS[:2])
    db = tmp_path / "wh.duckdb"
    build(dbt_build, root, db, tmp_path, "2019-04-02")
    con = connect(db, read_only=True)
    first = con.execute("select count(*), max(loaded_at) from int_traffic__commune_day_hours").fetchone()
    con.close()

    for path in full.glob("*/*/20190403/*_DL.txt"):
        dest = root / path.relative_to(full)
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(path, dest)
    build(dbt_build, root, db, tmp_path, "2019-04-03")
    con = connect(db, read_only=True)
    per_day = dict(con.execute(
        "select strftime(traffic_date, '%Y%m%d'), count(distinct loaded_at) from int_traffic__commune_day_hours group by 1"
    ).fetchall())
    tile_loads = dict(con.execute(
        "select strftime(traffic_date, '%Y%m%d'), count(distinct loaded_at) from int_traffic__tile_day_hours group by 1"
    ).fetchall())
    old_rows = con.execute(
        "select count(*) from int_traffic__commune_day_hours where loaded_at <= ?", [first[1]]
    ).fetchone()[0]
    incremental = con.execute("select * from commune_hour order by commune_code, hour_start_utc").df()
    con.close()
    assert old_rows == first[0]  # the first two days were not re-read or duplicated
    assert set(per_day) == set(DAYS) and all(n == 1 for n in per_day.values())
    assert set(tile_loads) == set(DAYS) and all(n == 1 for n in tile_loads.values())  # each raw file parsed once

    rebuilt_db = tmp_path / "rebuilt.duckdb"
    build(dbt_build, root, rebuilt_db, tmp_path, "2019-04-03", "--full-refresh")
    con = connect(rebuilt_db, read_only=True)
    rebuilt = con.execute("select * from commune_hour order by commune_code, hour_start_utc").df()
    con.close()
    cols = [c for c in rebuilt.columns if c != "loaded_at"]
    assert len(incremental) == len(rebuilt) > 0
    assert incremental[cols].equals(rebuilt[cols])
