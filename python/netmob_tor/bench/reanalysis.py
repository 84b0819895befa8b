"""Rebuilds of `netmob-tor bench` into a built warehouse: the re-analyses (a changed var or polygon) and one new day.

Each is timed twice: as a command-line `dbt build` of the affected models, and in one in-process dbt session
(netmob_tor.session) that parsed the project once. Each checks that no model reading the raw text ran.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from netmob_tor.bench.builds import NEW_DAY_SELECTOR, dbt_build, dbt_common_args, dbt_env, stage_seconds
from netmob_tor.bench.floors import raw_files
from netmob_tor.errors import UserError
from netmob_tor.paths import landing_path

# Re-analysis: what each change rebuilds (from the tile-day and commune-day tables, never the text), as dbt
# selections, with the vars of the change. The notebook re-runs its pass 1 (it re-reads every file) for each.
# Each selection is the selector processing_profile_dependent's members (selectors.yml), or the changed model,
# with their children up to commune_summary (the marts the bench builds).
PROFILE_DEPENDENT = " ".join(f"{m}+,+commune_summary" for m in ("int_traffic__kept_tile_days", "int_traffic__commune_hours",
                                                                  "int_communes__controls"))
REANALYSES = (
    ("processing profile (corrected)", {"selector": PROFILE_DEPENDENT}, {"processing_profile": "corrected"}),
    ("Tor lag 3 hours", {"selector": PROFILE_DEPENDENT}, {"tor_lag_hours": 3}),
    ("population (the commune file's)", {"selector": PROFILE_DEPENDENT}, {"population_source": "communes"}),
    ("s_onion 0.078", {"selector": "int_communes__correction_factors+,+commune_summary"}, {"s_onion": 0.078}),
    ("commune polygons (new tile -> commune crosswalk)", {"selector": "int_tiles__communes+,+commune_summary"}, {}),
)
TEXT_MODELS = ("stg_netmob__traffic", "int_traffic__tile_day_hours")


def reanalysis(data_root: Path, db: Path, work: Path, threads: int, project: Path, variables: dict[str, Any]) -> list[dict[str, Any]]:
    """Wall seconds of rebuilding the affected models after each change of REANALYSES, into the built warehouse
    (dbt start-up and its full re-parse after a change of vars included); checks no text model ran."""
    rows = []
    for label, selection, change in REANALYSES:
        run = dbt_build(data_root, db, work, threads, project, fresh=False, variables={**variables, **change}, **selection)
        read_text = sorted(set(run["model_seconds"]) & set(TEXT_MODELS))
        if read_text:
            raise AssertionError(f"re-analysis '{label}' re-read the raw text ({read_text})")
        rows.append({"change": label, "vars": change, "selection": next(iter(selection.values())),
                     "wall_seconds": round(run["wall_seconds"], 3), "n_models": len(run["model_seconds"]),
                     "model_seconds": round(sum(run["model_seconds"].values()), 3),
                     "parse_seconds": round(run["parse_seconds"], 3)})
    warm = session_reanalysis(data_root, db, work, threads, project, variables)
    for row in rows:
        row.update(warm[row["change"]])
    dbt_build(data_root, db, work, threads, project, fresh=False, variables=variables)  # back to the study's marts
    return rows


def session_builds(data_root: Path, db: Path, work: Path, threads: int, project: Path,
                   variables: dict[str, Any] | None, changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each change ({label, select, vars}) built in turn in one in-process dbt session (netmob_tor.session) on `db`:
    the project parsed once, untimed, then each build timed alone (no start-up, no re-parse)."""
    common = dbt_common_args(data_root, work, threads, variables)
    base = json.loads(common[1])
    cmd = [sys.executable, "-m", "netmob_tor.session", json.dumps(base), json.dumps(changes), "--project-dir", str(project),
           *common[2:]]
    proc = subprocess.run(cmd, cwd=project, env=dbt_env(work, threads, project, db), capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"session build failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])[1:]


def session_reanalysis(data_root: Path, db: Path, work: Path, threads: int, project: Path,
                       variables: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """The re-analysis changes in one session (session_builds); checks no text model ran and nothing re-parsed."""
    changes = [{"label": label, "select": next(iter(selection.values())).split(), "vars": change}
               for label, selection, change in REANALYSES]
    out = {}
    for row in session_builds(data_root, db, work, threads, project, variables, changes):
        read_text = sorted(set(row["node_seconds"]) & set(TEXT_MODELS))
        if read_text or row["reparsed"]:
            raise AssertionError(f"session re-analysis '{row['label']}' re-read the text ({read_text}) or re-parsed")
        out[row["label"]] = {"session_wall_seconds": row["wall_seconds"],
                             "session_model_seconds": round(sum(row["node_seconds"].values()), 3)}
    return out


def incremental_build(data_root: Path, work: Path, threads: int, project: Path, scale: str) -> dict[str, Any]:
    """Build with the last day's files held out, put them back, build the traffic lineage again
    (NEW_DAY_SELECTOR): the second build's wall seconds are what adding one day costs (the incremental
    models read only the new day's files and sum only its rows). Timed twice from the same warehouse: as a
    command-line `dbt build`, and in a session already parsed (netmob_tor.session) on a copy of it."""
    last = max(p.parent.name for p in raw_files(data_root))
    from netmob_tor.synth.generate import is_generated

    if not is_generated(data_root):  # a user's folder is only read: its day folders are never moved
        raise UserError(f"bench moves a day's folders out and back: {data_root} is not a folder `netmob-tor generate` wrote")
    hold = work / "held_out_day"
    moved: list[tuple[Path, Path]] = []
    db = work / f"bench_s{scale}_t{threads}_incremental.duckdb"
    session_db = db.with_name(db.stem + "_session.duckdb")
    try:
        for folder in sorted(data_root.glob(f"*/*/{last}")):
            parked = hold / folder.relative_to(data_root)
            parked.parent.mkdir(parents=True, exist_ok=True)
            folder.rename(parked)
            moved.append((parked, folder))
        first = dbt_build(data_root, db, work, threads, project)
    finally:
        for parked, folder in moved:
            parked.rename(folder)
    shutil.copyfile(db, session_db)
    shutil.copyfile(landing_path(db), landing_path(session_db))
    added = dbt_build(data_root, db, work, threads, project, fresh=False, selector=NEW_DAY_SELECTOR)
    [warm] = session_builds(data_root, session_db, work, threads, project, None,
                            [{"label": "one new day", "select": [NEW_DAY_SELECTOR], "vars": {}}])
    session_db.unlink()
    landing_path(session_db).unlink()
    return {
        "held_out_day": last,
        "selector": NEW_DAY_SELECTOR,
        "build_without_day_seconds": round(first["wall_seconds"], 3),
        "incremental_seconds": round(added["wall_seconds"], 3),
        "incremental_stage_seconds": {k: round(v, 4) for k, v in stage_seconds(added).items()},
        "incremental_model_seconds": round(sum(added["model_seconds"].values()), 3),
        "incremental_model_seconds_by_model": {k: round(v, 4) for k, v in sorted(added["model_seconds"].items())},
        "incremental_peak_rss_mb": round(added["peak_rss_mb"], 1),
        "incremental_session_seconds": round(warm["wall_seconds"], 3),
        "incremental_session_model_seconds": round(sum(warm["node_seconds"].values()), 3),
    }


def add_incremental(result: dict[str, Any], data_root: Path, work: Path, threads: int, project: Path, scale: str) -> None:
    """Measure adding one day (incremental_build) and its ratios to the full build, into `result`."""
    top = result["by_threads"][-1]
    inc = incremental_build(data_root, work, threads, project, scale)
    inc["ratio_to_full_build"] = round(inc["incremental_seconds"] / top["end_to_end_seconds"], 3)
    inc["model_seconds_ratio_to_full_build"] = round(inc["incremental_model_seconds"] / top["model_seconds_total"], 3)
    inc["session_ratio_to_full_build"] = round(inc["incremental_session_seconds"] / top["end_to_end_seconds"], 3)
    result["incremental"] = inc
