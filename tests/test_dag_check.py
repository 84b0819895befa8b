"""The DAG-flow check (netmob_tor.dag_check) on small hand-made manifests: each rule passes a clean DAG and fails its breach."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from netmob_tor import dag_check

PROJECT = "netmob_tor"


def model(name: str, folder: str, *parents: str, description: str = "A model.", columns: dict | None = None) -> dict:
    """A manifest model node under models/<folder>/ reading the given unique ids."""
    return {
        "resource_type": "model",
        "name": name,
        "unique_id": f"model.{PROJECT}.{name}",
        "original_file_path": f"models/{folder}/{name}.sql",
        "depends_on": {"nodes": list(parents), "macros": []},
        "description": description,
        "columns": {"id": {"name": "id", "description": "The key."}} if columns is None else columns,
    }


def source(source_name: str, table: str) -> dict:
    """A manifest source entry."""
    return {"resource_type": "source", "name": table, "source_name": source_name, "unique_id": f"source.{PROJECT}.{source_name}.{table}"}


def seed(name: str) -> dict:
    """A manifest seed node."""
    return {"resource_type": "seed", "name": name, "unique_id": f"seed.{PROJECT}.{name}", "original_file_path": f"seeds/{name}.csv"}


def test_node(name: str, target: str, column: str | None = None, **kwargs) -> dict:
    """A generic data test attached to `target` (a unique id)."""
    if column:
        kwargs["column_name"] = column
    return {
        "resource_type": "test",
        "name": f"{name}_{target.rsplit('.', 1)[-1]}_{column or 'x'}",
        "unique_id": f"test.{PROJECT}.{name}_{target}_{column}",
        "attached_node": target,
        "column_name": column,
        "test_metadata": {"name": name, "kwargs": kwargs, "namespace": None},
        "depends_on": {"nodes": [target], "macros": []},
    }


test_node.__test__ = False  # a helper, not a pytest test


def mid(name: str) -> str:
    """Unique id of a model."""
    return f"model.{PROJECT}.{name}"


def manifest(*entries: dict, keyed: bool = True) -> dict:
    """A manifest holding the entries; with `keyed`, every model gets a unique + not_null key test on `id`."""
    nodes = {e["unique_id"]: e for e in entries if e["resource_type"] != "source"}
    sources = {e["unique_id"]: e for e in entries if e["resource_type"] == "source"}
    if keyed:
        for e in [e for e in entries if e["resource_type"] == "model"]:
            for name in ("unique", "not_null"):
                t = test_node(name, e["unique_id"], "id")
                nodes[t["unique_id"]] = t
    return {"nodes": nodes, "sources": sources}


SRC = source("ign", "communes")
SRC_ID = SRC["unique_id"]


def clean_dag() -> list[dict]:
    """A DAG that follows every rule: source -> base -> stg -> int -> mart, an audit view and a seed."""
    return [
        SRC,
        seed("study_communes"),
        model("base_ign__communes", "staging/ign", SRC_ID),
        model("stg_ign__communes", "staging/ign", mid("base_ign__communes")),
        model("stg_ign__districts", "staging/ign", SRC_ID),
        model("int_communes__joined", "intermediate", mid("stg_ign__communes"), mid("base_ign__communes"), f"seed.{PROJECT}.study_communes"),
        model("int_communes__ranked", "intermediate", mid("int_communes__joined")),
        model("commune_summary", "marts", mid("int_communes__ranked"), mid("stg_ign__districts")),
        model("commune_rejects", "marts/audit", mid("base_ign__communes"), mid("commune_summary")),
    ]


def rules(violations: list[dag_check.Violation]) -> list[str]:
    return [v.rule for v in violations]


def test_clean_dag_passes_every_manifest_rule():
    assert dag_check.check_manifest(manifest(*clean_dag())) == []


def test_layers_follow_folder_and_prefix():
    by_name = {e["name"]: dag_check.layer(e) for e in clean_dag()}
    assert by_name == {
        "communes": "source", "study_communes": "seed", "base_ign__communes": "base", "stg_ign__communes": "staging",
        "stg_ign__districts": "staging", "int_communes__joined": "intermediate", "int_communes__ranked": "intermediate",
        "commune_summary": "mart", "commune_rejects": "audit",
    }


@pytest.mark.parametrize(
    ("breach", "expected"),
    [
        (model("stg_ign__districts", "staging/ign", mid("stg_ign__communes")),
         "staging_flow: stg_ign__districts -> stg_ign__communes (a staging model reads no other staging model)"),
        (model("base_ign__communes", "staging/ign", f"seed.{PROJECT}.study_communes"),
         "staging_flow: base_ign__communes -> study_communes (base models read only sources)"),
        (model("stg_ign__districts", "staging/ign", mid("base_insee__communes")),
         "staging_flow: stg_ign__districts -> base_insee__communes (a staging model reads only the base models of its own source)"),
        (model("int_communes__ranked", "intermediate", mid("commune_summary")),
         "intermediate_flow: int_communes__ranked -> commune_summary (intermediate models never read a mart)"),
        (model("commune_summary", "marts", mid("int_communes__ranked"), mid("commune_rejects")),
         "mart_flow: commune_summary -> commune_rejects (marts do not feed one another: move the shared part to an intermediate model)"),
        (model("commune_summary", "marts", mid("base_ign__communes")),
         "mart_flow: commune_summary -> base_ign__communes (marts read stg_ models (kept rows only), not base_ models)"),
        (model("int_communes__ranked", "intermediate", SRC_ID),
         "source_outside_staging: int_communes__ranked -> source ign.communes (only staging and base models read sources)"),
    ],
)
def test_flow_rules_report_a_dependency_against_the_flow(breach, expected):
    entries = [e for e in clean_dag() if e["name"] != breach["name"]] + [breach]
    assert [str(v) for v in dag_check.check_manifest(manifest(*entries))] == [expected]


def test_a_mart_reading_two_marts_is_reported_once_per_dependency():
    entries = clean_dag() + [model("heatmap", "marts", mid("commune_summary"), mid("commune_summary"), mid("int_communes__ranked"))]
    found = dag_check.check_manifest(manifest(*entries))
    assert [(v.rule, v.model, v.dependency) for v in found] == [("mart_flow", "heatmap", "commune_summary")]
    assert found[0].why.startswith("marts do not feed one another")


def test_audit_models_are_free_of_the_flow_rules():
    entries = clean_dag() + [model("lines_audit", "marts/audit", mid("commune_summary"), mid("stg_ign__communes"))]
    assert dag_check.check_manifest(manifest(*entries)) == []


@pytest.mark.parametrize(
    ("name", "folder"),
    [
        ("stg_communes", "staging/ign"),           # no __entity
        ("ign_communes", "staging/ign"),           # no layer prefix
        ("stg_ign__communes", "staging/insee"),    # source segment against its folder
        ("int_communes", "intermediate"),          # no __verb
        ("tiles_ranked", "intermediate"),          # no int_ prefix
        ("int_tiles__ranked", "marts"),            # an int_ model outside its folder
    ],
)
def test_naming_rule_fails_names_that_hide_the_layer(name, folder):
    entries = [SRC, model(name, folder, SRC_ID)]
    found = list(dag_check.check_naming(manifest(*entries)))
    assert [(v.rule, v.model) for v in found] == [("naming", name)]


def test_naming_rule_accepts_the_house_names():
    entries = [
        model("stg_elections__presidential_2017_communes", "staging/elections"),
        model("base_netmob__traffic_lines", "staging/netmob"),
        model("int_traffic__tile_day_hours", "intermediate"),
        model("commune_hour", "marts"),
    ]
    assert list(dag_check.check_naming(manifest(*entries))) == []


def test_grain_rule_fails_a_model_without_a_key_test():
    entries = clean_dag()
    m = manifest(*entries, keyed=False)
    missing = {v.model for v in dag_check.check_grain_test(m)}
    assert missing == {e["name"] for e in entries if e["resource_type"] == "model"}


@pytest.mark.parametrize(
    ("tests", "is_key"),
    [
        ([("unique", "id", {}), ("not_null", "id", {})], True),
        ([("unique", "id", {}), ("not_null", "other", {})], False),        # not on the same column
        ([("unique", "id", {})], False),                                  # nulls not excluded
        ([("unique_combination_of_columns", None, {"combination_of_columns": ["city", "tile_id"]})], True),
        ([("primary_key", None, {"columns": ["city", "hour"]})], True),
        ([("unique_combination_of_columns", None, {"combination_of_columns": []})], False),
        ([("accepted_values", "id", {"values": ["a", "b"]})], False),     # a list, but not a key test
        ([("relationships", "id", {"to": "ref('x')", "field": "id"})], False),
    ],
)
def test_key_tests_are_unique_and_not_null_or_a_multi_column_unique(tests, is_key):
    target = mid("m")
    nodes = [test_node(name, target, column, **kwargs) for name, column, kwargs in tests]
    assert dag_check.has_key_test(nodes) is is_key


def test_grain_rule_counts_only_tests_attached_to_the_model():
    entries = [SRC, model("stg_ign__communes", "staging/ign", SRC_ID), model("stg_ign__districts", "staging/ign", SRC_ID)]
    m = manifest(*entries, keyed=False)
    for name in ("unique", "not_null"):
        t = test_node(name, mid("stg_ign__communes"), "id")
        m["nodes"][t["unique_id"]] = t
    assert [v.model for v in dag_check.check_grain_test(m)] == ["stg_ign__districts"]


def test_descriptions_rule_fails_a_missing_model_or_column_description():
    entries = [
        SRC,
        model("stg_ign__communes", "staging/ign", SRC_ID, description="  "),
        model("stg_ign__districts", "staging/ign", SRC_ID, columns={"id": {"name": "id", "description": ""}}),
        model("stg_ign__regions", "staging/ign", SRC_ID, columns={}),
    ]
    m = manifest(*entries, keyed=False)
    t = test_node("not_null", mid("stg_ign__communes"), "undocumented")
    m["nodes"][t["unique_id"]] = t
    found = sorted(str(v) for v in dag_check.check_descriptions(m))
    assert found == [
        "descriptions: stg_ign__communes -> column undocumented (tested but not documented in the model's YAML)",
        "descriptions: stg_ign__communes -> model (no description)",
        "descriptions: stg_ign__districts -> column id (no description)",
        "descriptions: stg_ign__regions -> columns (no column documented in the model's YAML)",
    ]


def test_python_names_of_inner_models_are_found_in_strings_but_not_docstrings():
    text = '''"""Reads int_tiles__top_traffic, as its docstring says."""
QUERY = "select * from main.int_tiles__top_traffic join stg_ign__communes using (commune_code)"
MART = "select * from commune_summary"
def f():
    """Mentions base_x__y only in prose."""
    return f"from {MART} join base_netmob__lines"
'''
    assert dag_check.pipeline_names_in_source(text) == [
        (2, "int_tiles__top_traffic"), (2, "stg_ign__communes"), (6, "base_netmob__lines"),
    ]


def test_python_rule_skips_the_modules_that_inspect_the_pipeline(tmp_path: Path):
    package = tmp_path / "python" / "netmob_tor"
    for relative in ("bench/builds.py", "doctor.py", "dag_check.py", "synth/traffic.py", "report/data.py", "summary.py"):
        (package / relative).parent.mkdir(parents=True, exist_ok=True)
        (package / relative).write_text('Q = "select * from int_tiles__top_traffic"\n', encoding="utf-8")
    (package / "analysis.py").write_text('Q = "select * from commune_summary"\n', encoding="utf-8")
    found = [str(v) for v in dag_check.check_python_reads_marts(package, tmp_path)]
    assert found == [
        f"python_reads_marts: python/netmob_tor/{name}:1 -> int_tiles__top_traffic (Python reads marts, never staging or intermediate models)"
        for name in ("report/data.py", "summary.py")
    ]


def test_summary_has_one_line_per_rule():
    v = dag_check.Violation("mart_flow", "a", "b", "why")
    lines = dag_check.summary([v, v, dag_check.Violation("naming", "c", "d", "why")])
    assert len(lines) == len(dag_check.RULES)
    assert "mart_flow: 2 violations" in lines and "naming: 1 violation" in lines and "grain_test: ok" in lines


def test_main_exits_1_on_a_violation_and_0_on_a_clean_project(tmp_path: Path, capsys):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "run.py").write_text('Q = "select * from commune_summary"\n', encoding="utf-8")
    clean = tmp_path / "clean.json"
    clean.write_text(json.dumps(manifest(*clean_dag())), encoding="utf-8")
    assert dag_check.main(["--manifest", str(clean), "--package", str(package)]) == 0
    assert "mart_flow: ok" in capsys.readouterr().out

    broken = clean_dag() + [model("heatmap", "marts", mid("commune_summary"))]
    dirty = tmp_path / "dirty.json"
    dirty.write_text(json.dumps(manifest(*broken)), encoding="utf-8")
    assert dag_check.main(["--manifest", str(dirty), "--package", str(package)]) == 1
    out = capsys.readouterr().out
    assert "mart_flow: heatmap -> commune_summary (" in out and "mart_flow: 1 violation" in out


def test_main_asks_for_dbt_parse_when_the_manifest_is_missing(tmp_path: Path, capsys):
    assert dag_check.main(["--manifest", str(tmp_path / "none.json"), "--package", str(tmp_path)]) == 2
    assert "dbt parse" in capsys.readouterr().err
