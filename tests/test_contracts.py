"""The marts' contracts: every model under models/marts/ is public with an enforced contract (each column's name
and DuckDB data_type in its YAML), so a column renamed or retyped in a mart's SQL without its contract fails
`dbt build` with dbt's contract error naming the column, instead of reaching the readers. Checked on a copy of
the project with one mart's SQL changed, built on two generated days of Dijon (only that mart and its parents);
the unmodified copy builds the same selection and its table has exactly the contract's columns and types."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from netmob_tor.paths import extension_dir, project_root
from netmob_tor.synth.generate import generate

# The mart changed: it needs only the Google Trends file and a seed, so its build takes seconds.
MART = "region_search_trends"
MART_SQL = Path("models/marts") / f"{MART}.sql"
PERIOD = {"study_start": "2019-04-01", "study_end": "2019-04-02"}
# What a dbt build of the project reads (dbt_project.yml's paths, the profile, the selectors).
PROJECT_FILES = ("dbt_project.yml", "profiles.yml", "selectors.yml", "models", "macros", "seeds", "tests/dbt", "analyses")
CONTRACT_ERROR = "This model has an enforced contract that failed."


def copy_project(to: Path) -> Path:
    """The dbt project's files, copied to `to` (the working tree is never changed)."""
    for name in PROJECT_FILES:
        source, target = project_root() / name, to / name
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, target)
    return to


def build(project: Path, data_root: Path, work: Path, *extra: str) -> subprocess.CompletedProcess:
    """`dbt build` of MART and its parents from `project` into `work`/wh.duckdb (extensions from the real project)."""
    env = {**os.environ, "DBT_PROFILES_DIR": str(project), "NETMOB_TOR_DB": str(work / "wh.duckdb"),
           "NETMOB_TOR_EXTENSION_DIR": str(extension_dir()), "NETMOB_TOR_TEMP_DIR": str(work / "tmp")}
    variables = {"data_root": str(data_root), **PERIOD}
    cmd = [str(project_root() / ".venv" / "bin" / "dbt"), "--no-use-colors", "build", "--project-dir", str(project),
           "--select", f"+{MART}", "--exclude", "test_type:unit", "--indirect-selection", "cautious",
           "--target-path", str(work / "target"), "--log-path", str(work / "logs"),
           "--vars", json.dumps(variables), *extra]
    return subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True)


def contract_rows(stdout: str) -> dict[str, tuple[str, str, str]]:
    """The rows of dbt's contract-error table: column -> (definition_type, contract_type, mismatch_reason)."""
    rows = {}
    for line in stdout.splitlines():
        cells = [c.strip() for c in line.strip().split("|")]
        if len(cells) == 6 and cells[0] == cells[-1] == "" and cells[1] not in ("column_name", "") and not set(cells[1]) <= {"-"}:
            rows[cells[1]] = (cells[2], cells[3], cells[4])
    return rows


@pytest.fixture(scope="module")
def data_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two generated days of Dijon at scale 60 (netmob-tor generate --cities Dijon --days ... --scale 60)."""
    root = tmp_path_factory.mktemp("contracts") / "data"
    generate(root, cities=["Dijon"], days="2019-04-01:2019-04-02", scale=60)
    return root


@pytest.fixture(scope="module")
def unmodified(data_root: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The unmodified project's build of MART: its result, warehouse and manifest."""
    base = tmp_path_factory.mktemp("unmodified")
    run = build(copy_project(base / "project"), data_root, base)
    return {"run": run, "db": base / "wh.duckdb", "manifest": json.loads((base / "target" / "manifest.json").read_text())}


def test_a_renamed_or_retyped_column_fails_the_build_naming_it(data_root: Path, tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    sql = (project / MART_SQL).read_text()
    changed = sql.replace("        search_term,\n", "        search_term as term,\n").replace(
        "        popularity\n", "        popularity::double as popularity\n")
    assert changed.count("as term,") == 1 and changed.count("::double as popularity") == 1, "the mart's SQL changed: update this test"
    (project / MART_SQL).write_text(changed)

    run = build(project, data_root, tmp_path)

    assert run.returncode != 0, run.stdout[-3000:]
    assert f"Compilation Error in model {MART}" in run.stdout and CONTRACT_ERROR in run.stdout, run.stdout[-3000:]
    rows = contract_rows(run.stdout)
    assert rows["term"][2] == "missing in contract"
    assert rows["search_term"][2] == "missing in definition"
    assert rows["popularity"] == ("DOUBLE", "INTEGER", "data type mismatch")
    assert set(rows) == {"term", "search_term", "popularity"}
    # Nothing reached the readers: the mart was never created.
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    try:
        assert con.execute("select count(*) from information_schema.tables where table_name = ?", [MART]).fetchone() == (0,)
    finally:
        con.close()


def test_the_unmodified_mart_builds_with_its_contract_columns_and_types(unmodified: dict[str, object]) -> None:
    run: subprocess.CompletedProcess = unmodified["run"]
    assert run.returncode == 0, run.stdout[-3000:]
    node = unmodified["manifest"]["nodes"][f"model.netmob_tor.{MART}"]
    contract = [(name, column["data_type"].upper()) for name, column in node["columns"].items()]
    con = duckdb.connect(str(unmodified["db"]), read_only=True)
    try:
        built = con.execute("select column_name, data_type from information_schema.columns where table_name = ? "
                            "order by ordinal_position", [MART]).fetchall()
        # The grain is a primary key: DuckDB refuses a duplicate (region, search-term column) at insert.
        keys = con.execute("select constraint_type, constraint_column_names from duckdb_constraints() "
                           "where table_name = ? and constraint_type = 'PRIMARY KEY'", [MART]).fetchall()
    finally:
        con.close()
    assert built == contract
    assert keys == [("PRIMARY KEY", ["region_name", "search_term_column"])]


def test_every_mart_is_public_with_an_enforced_contract_on_every_column(unmodified: dict[str, object]) -> None:
    """What dbt-project-evaluator checks of public models (fct_public_models_without_contract,
    fct_undocumented_public_models), from the manifest of the DuckDB target."""
    marts = {n["name"]: n for n in unmodified["manifest"]["nodes"].values()
             if n["resource_type"] == "model" and n["original_file_path"].startswith("models/marts/")}
    assert {"commune_summary", "commune_hour", "commune_boundaries", "traffic_quarantine", "data_source"} <= set(marts)
    problems = []
    for name, node in sorted(marts.items()):
        if node["access"] != "public" or not node["contract"]["enforced"]:
            problems.append(f"{name}: access {node['access']}, contract {node['contract']}")
        if not node["description"].strip():
            problems.append(f"{name}: no description")
        for column, spec in node["columns"].items():
            if not spec.get("data_type") or not spec.get("description", "").strip():
                problems.append(f"{name}.{column}: data_type {spec.get('data_type')!r}, description {bool(spec.get('description'))}")
    assert not problems, "\n".join(problems)
    # The spatial type is in the contract (commune_boundaries holds each commune's polygon).
    assert marts["commune_boundaries"]["columns"]["commune_geom"]["data_type"] == "geometry"


@pytest.mark.spark
def test_contracts_are_not_enforced_on_the_spark_target(tmp_path: Path) -> None:
    """The data types are DuckDB's: on the Spark target the marts build without the contract check."""
    pytest.importorskip("dbt.adapters.spark")
    env = {**os.environ, "DBT_PROFILES_DIR": str(project_root())}
    run = subprocess.run([str(project_root() / ".venv" / "bin" / "dbt"), "--no-use-colors", "parse", "--target", "spark",
                          "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")],
                         cwd=project_root(), env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-3000:]
    nodes = json.loads((tmp_path / "target" / "manifest.json").read_text())["nodes"]
    marts = [n for n in nodes.values() if n["resource_type"] == "model" and n["original_file_path"].startswith("models/marts/")]
    assert marts and all(n["access"] == "public" and not n["contract"]["enforced"] for n in marts)
    assert not re.search(r"\berror\b", run.stdout, re.IGNORECASE)
