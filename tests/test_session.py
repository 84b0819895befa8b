"""The in-process re-analysis session (netmob_tor.session) keeps dbt's parsed graph across changes of
the `reanalysis_vars`. Two checks make that safe: each such var, changed, leaves the graph dbt
parses (every node's dependencies and config) as it was; and a session build gives the same tables
as a fresh command-line `dbt build` with the same vars."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from netmob_tor.paths import default_database, project_root
from netmob_tor.session import Session, reanalysis_vars

# A value other than the default for each re-analysis var (a var added to the list needs one here).
ALTERNATIVES = {
    "processing_profile": "corrected", "anomaly_rule": "drop_days", "dst_day_labels": "local_time",
    "population_source": "communes", "district_controls": "parent", "correction": "preprint",
    "log_floor": 0.01, "tor_lag_hours": 3, "s_onion": 0.078, "c_floor": 0.001, "published_rho": "spearman",
}
PROFILE_DEPENDENT = ["int_traffic__kept_tile_days+,+commune_summary", "int_traffic__commune_hours+,+commune_summary",
                     "int_communes__controls+,+commune_summary"]


def parsed_graph(work: Path, variables: dict) -> dict[str, tuple]:
    """Every node's dependencies and config, from `dbt parse` (command line) with `variables`."""
    env = {**os.environ, "DBT_PROFILES_DIR": str(project_root())}
    target = work / "target"
    cmd = [str(project_root() / ".venv" / "bin" / "dbt"), "parse", "--quiet", "--no-partial-parse", "--target-path", str(target),
           "--log-path", str(work / "logs"), "--vars", json.dumps(variables)]
    done = subprocess.run(cmd, cwd=project_root(), env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    nodes = json.loads((target / "manifest.json").read_text())["nodes"]
    return {uid: (sorted(n["depends_on"].get("nodes", [])), json.dumps(n["config"], sort_keys=True)) for uid, n in nodes.items()}


def test_every_reanalysis_var_has_an_alternative_to_check() -> None:
    assert set(ALTERNATIVES) == reanalysis_vars()


@pytest.mark.parametrize("name", sorted(ALTERNATIVES))
def test_a_reanalysis_var_leaves_the_parsed_graph_unchanged(tmp_path: Path, data_root: Path, name: str) -> None:
    base = {"data_root": str(data_root)}
    default = parsed_graph(tmp_path / "default", base)
    changed = parsed_graph(tmp_path / "changed", {**base, name: ALTERNATIVES[name]})
    differ = sorted(uid for uid in set(default) | set(changed) if default.get(uid) != changed.get(uid))
    assert not differ, f"{name} changes the parsed graph of {differ[:5]}: it cannot be a re-analysis var"


def table(db: Path, name: str) -> set[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    rows = set(con.execute(f"select * from {name}").fetchall())
    con.close()
    return rows


def rows_of(con: duckdb.DuckDBPyConnection, name: str) -> set[tuple]:
    return set(con.execute(f"select * from main.{name}").fetchall())


def test_session_build_equals_a_fresh_build(tmp_path: Path, data_root: Path, dbt_build, warehouse: duckdb.DuckDBPyConnection,
                                            monkeypatch) -> None:
    built = default_database()
    session_db, fresh_db = tmp_path / "session" / "netmob_tor.duckdb", tmp_path / "fresh" / "netmob_tor.duckdb"
    for db in (session_db, fresh_db):
        db.parent.mkdir()
        shutil.copyfile(built, db)
    change = {"tor_lag_hours": 3, "s_onion": 0.078, "processing_profile": "corrected"}

    monkeypatch.setenv("NETMOB_TOR_DB", str(session_db))
    monkeypatch.setenv("DBT_PROFILES_DIR", str(project_root()))
    session = Session({"data_root": str(data_root)},
                      dbt_args=["--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")])
    rebuild = session.build(PROFILE_DEPENDENT, change)
    assert rebuild.success, rebuild.error
    assert not rebuild.reparsed and "int_traffic__tile_day_hours" not in rebuild.node_seconds
    assert "commune_summary" in rebuild.node_seconds
    session.close()

    result = dbt_build(data_root, fresh_db, tmp_path / "cli", PROFILE_DEPENDENT, change, "--exclude-resource-type", "test")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    for name in ("int_communes__traffic_correlations", "int_communes__correction_factors", "commune_summary"):
        got, want = table(session_db, name), table(fresh_db, name)
        assert got == want, name
        assert got != rows_of(warehouse, name), f"{name}: the change had no effect"

    # a var outside reanalysis_vars makes the session parse again, and says so
    again = session.build(["study_parameters"], {"study_end": "2019-05-30"})
    session.close()
    assert again.success and again.reparsed
