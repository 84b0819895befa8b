"""The DAG-flow check (netmob_tor.dag_check) on small hand-made manifests: each rule passes a clean DAG and fails its breach."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from netmob_tor import dag_check
from netmob_tor.paths import project_root

PROJECT = "netmob_tor"
PROJECT_EXCEPTIONS = dag_check.load_allowances(project_root() / dag_check.EXCEPTIONS_FILE)


def model(name: str, folder: str, *parents: str, description: str = "A model.", columns: dict | None = None,
          package: str = PROJECT, access: str = "protected") -> dict:
    """A manifest model node of `package` under models/<folder>/ reading the given unique ids."""
    return {
        "resource_type": "model",
        "name": name,
        "package_name": package,
        "access": access,
        "unique_id": f"model.{package}.{name}",
        "original_file_path": f"models/{folder}/{name}.sql",
        "depends_on": {"nodes": list(parents), "macros": []},
        "description": description,
        "columns": {"id": {"name": "id", "description": "The key."}} if columns is None else columns,
    }


def source(source_name: str, table: str) -> dict:
    """A manifest source entry."""
    return {"resource_type": "source", "name": table, "source_name": source_name, "package_name": PROJECT,
            "unique_id": f"source.{PROJECT}.{source_name}.{table}"}


def seed(name: str) -> dict:
    """A manifest seed node."""
    return {"resource_type": "seed", "name": name, "package_name": PROJECT, "unique_id": f"seed.{PROJECT}.{name}",
            "original_file_path": f"seeds/{name}.csv"}


def exposure(name: str, *parents: str, package: str = PROJECT) -> dict:
    """A manifest exposure reading the given unique ids."""
    return {"resource_type": "exposure", "name": name, "package_name": package, "unique_id": f"exposure.{package}.{name}",
            "depends_on": {"nodes": list(parents), "macros": []}}


def test_node(name: str, target: str, column: str | None = None, **kwargs) -> dict:
    """A generic data test attached to `target` (a unique id)."""
    if column:
        kwargs["column_name"] = column
    return {
        "resource_type": "test",
        "package_name": PROJECT,
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
    """A manifest of the project PROJECT holding the entries; with `keyed`, every model gets a unique + not_null
    key test on `id`."""
    nodes = {e["unique_id"]: e for e in entries if e["resource_type"] not in ("source", "exposure")}
    sources = {e["unique_id"]: e for e in entries if e["resource_type"] == "source"}
    exposures = {e["unique_id"]: e for e in entries if e["resource_type"] == "exposure"}
    if keyed:
        for e in [e for e in entries if e["resource_type"] == "model"]:
            for name in ("unique", "not_null"):
                t = test_node(name, e["unique_id"], "id")
                nodes[t["unique_id"]] = t
    return {"metadata": {"project_name": PROJECT}, "nodes": nodes, "sources": sources, "exposures": exposures}


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
        model("int_communes__joined", "intermediate", mid("stg_ign__communes"), f"seed.{PROJECT}.study_communes"),
        model("int_communes__ranked", "intermediate", mid("int_communes__joined")),
        model("commune_summary", "marts", mid("int_communes__ranked"), mid("stg_ign__districts")),
        model("commune_rejects", "marts/audit", mid("base_ign__communes"), mid("stg_ign__communes")),
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
    entries = clean_dag() + [model("heatmap", "marts", mid("commune_summary"), mid("commune_summary"), mid("int_communes__joined"))]
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


def test_grain_rule_counts_a_landed_table_test_for_the_view_and_the_table_it_names():
    entries = [SRC, model("stg_netmob__traffic", "staging/netmob", SRC_ID),
               model("int_traffic__tile_day_hours", "intermediate"), model("int_traffic__loaded_files", "intermediate")]
    m = manifest(*entries, keyed=False)
    t = test_node("unique_in_landed_table", mid("stg_netmob__traffic"),
                  combination_of_columns=["source_file", "tile_id"], landed="ref('int_traffic__tile_day_hours')")
    t["depends_on"]["nodes"] += [mid("int_traffic__tile_day_hours"), mid("int_traffic__loaded_files")]
    m["nodes"][t["unique_id"]] = t
    assert [v.model for v in dag_check.check_grain_test(m)] == ["int_traffic__loaded_files"]


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
    for relative in ("bench/builds.py", "doctor.py", "synth/traffic.py", "report/data.py", "summary.py"):
        (package / relative).parent.mkdir(parents=True, exist_ok=True)
        (package / relative).write_text('Q = "select * from int_tiles__top_traffic"\n', encoding="utf-8")
    (package / "analysis.py").write_text('Q = "select * from commune_summary"\n', encoding="utf-8")
    found = list(dag_check.check_python_reads_marts(package, tmp_path))
    assert len(found) == 5  # before the allow-list, every module naming an inner model
    python_allowances = [a for a in PROJECT_EXCEPTIONS if a.rule == "python_reads_marts"]
    assert [str(v) for v in dag_check.apply_allow_list(found, python_allowances)] == [
        f"python_reads_marts: python/netmob_tor/{name}:1 -> int_tiles__top_traffic (Python reads marts, never staging or intermediate models)"
        for name in ("report/data.py", "summary.py")
    ]


def test_summary_has_one_line_per_rule():
    v = dag_check.Violation("mart_flow", "a", "b", "why")
    lines = dag_check.summary([v, v, dag_check.Violation("naming", "c", "d", "why")])
    assert len(lines) == len(dag_check.RULES)
    assert "mart_flow: 2 violations" in lines and "naming: 1 violation" in lines and "grain_test: ok" in lines


def no_exceptions(tmp_path: Path) -> list[str]:
    """The --exceptions option of an empty allow-list (the project's names models these manifests lack)."""
    path = tmp_path / "exceptions.yml"
    path.write_text("exceptions: []\n", encoding="utf-8")
    return ["--exceptions", str(path)]


def test_main_exits_1_on_a_violation_and_0_on_a_clean_project(tmp_path: Path, capsys):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "run.py").write_text('Q = "select * from commune_summary"\n', encoding="utf-8")
    clean = tmp_path / "clean.json"
    clean.write_text(json.dumps(manifest(*clean_dag())), encoding="utf-8")
    assert dag_check.main(["--manifest", str(clean), "--package", str(package), *no_exceptions(tmp_path)]) == 0
    assert "mart_flow: ok" in capsys.readouterr().out

    broken = clean_dag() + [model("heatmap", "marts", mid("commune_summary"))]
    dirty = tmp_path / "dirty.json"
    dirty.write_text(json.dumps(manifest(*broken)), encoding="utf-8")
    assert dag_check.main(["--manifest", str(dirty), "--package", str(package), *no_exceptions(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "mart_flow: heatmap -> commune_summary (" in out and "mart_flow: 1 violation" in out


def test_main_asks_for_dbt_parse_when_the_manifest_is_missing(tmp_path: Path, capsys):
    assert dag_check.main(["--manifest", str(tmp_path / "none.json"), "--package", str(tmp_path)]) == 2
    assert "dbt parse" in capsys.readouterr().err


def test_main_reports_a_manifest_without_a_project_name(tmp_path: Path, capsys):
    m = manifest(*clean_dag())
    del m["metadata"]
    path = tmp_path / "m.json"
    path.write_text(json.dumps(m), encoding="utf-8")
    assert dag_check.main(["--manifest", str(path), "--package", str(tmp_path)]) == 2
    assert "metadata.project_name" in capsys.readouterr().err


# --------------------------------------------------------------------------- an installed dbt package

def evaluator_package() -> list[dict]:
    """Nodes like dbt-project-evaluator's: staging models reading marts, marts reading marts, no tests, no
    descriptions, a model with 8 parents, a root model and an exposure on a protected model; all of package
    `dbt_project_evaluator`."""
    pkg = "dbt_project_evaluator"
    ids = [f"model.{pkg}.fct_{i}" for i in range(8)]
    nodes = [model(f"fct_{i}", "marts/dag", package=pkg, description="", columns={}) for i in range(8)]
    return [
        *nodes,
        model("stg_nodes", "staging/graph", ids[0], package=pkg, description=""),
        model("int_all_graph_resources", "marts/core", *ids, package=pkg),
        model("summary", "marts", ids[1], f"model.{pkg}.stg_nodes", package=pkg),
        exposure("evaluator_dashboard", ids[2], package=pkg),
    ]


def with_package(package_entries: list[dict]) -> dict:
    """The clean project's manifest (key tests on its models) plus the package's nodes, untested."""
    m = manifest(*clean_dag())
    extra = manifest(*package_entries, keyed=False)
    m["nodes"].update(extra["nodes"])
    m["exposures"].update(extra["exposures"])
    return m


def test_an_installed_package_is_not_checked():
    assert dag_check.check_manifest(with_package(evaluator_package())) == []


def test_the_same_nodes_in_the_project_break_the_rules():
    """The package test above can fail: the same nodes, as the project's own, break many rules."""
    own = [{**e, "package_name": PROJECT} for e in evaluator_package()]
    found = dag_check.check_manifest(with_package(own))
    assert set(rules(found)) == {"staging_flow", "mart_flow", "naming", "grain_test", "descriptions", "too_many_joins",
                                 "root_models", "exposures_dependent_on_private_models"}


# --------------------------------------------------------------------------- dbt-project-evaluator's DAG rules

def allowed_only_by(found: list[dag_check.Violation], allowance: dag_check.Allowance) -> None:
    """The violations stand without the allow-list, and the allowance (used, so not stale) covers them all."""
    assert found
    assert dag_check.apply_allow_list(found, ()) == found
    assert dag_check.apply_allow_list(found, (allowance,)) == []


def test_multiple_sources_joined_fails_a_model_reading_two_sources_and_the_allow_list_covers_it():
    districts = source("ign", "districts")
    entries = [e for e in clean_dag() if e["name"] != "base_ign__communes"]
    entries += [districts, model("base_ign__communes", "staging/ign", SRC_ID, districts["unique_id"])]
    found = dag_check.check_manifest(manifest(*entries))
    assert [str(v) for v in found] == [
        "multiple_sources_joined: base_ign__communes -> source ign.communes, source ign.districts "
        "(2 sources in one node: stage each source in its own model, join the staged models)"
    ]
    allowed_only_by(found, dag_check.Allowance("multiple_sources_joined", "base_ign__communes", "*", "one layer in two files"))


def test_multiple_sources_joined_counts_a_source_read_twice_once():
    entries = [*[e for e in clean_dag() if e["name"] != "stg_ign__districts"], model("stg_ign__districts", "staging/ign", SRC_ID, SRC_ID)]
    assert dag_check.check_manifest(manifest(*entries)) == []


def seven_seeds() -> list[dict]:
    return [seed(f"lookup_{i}") for i in range(7)]


def test_too_many_joins_fails_seven_distinct_parents_and_the_allow_list_covers_it():
    seeds = seven_seeds()
    six = model("int_lookups__joined", "intermediate", *[s["unique_id"] for s in seeds[:6]], seeds[0]["unique_id"])
    assert dag_check.check_manifest(manifest(*clean_dag(), *seeds, six)) == []  # 6 distinct parents (one read twice)
    seven = model("int_lookups__joined", "intermediate", *[s["unique_id"] for s in seeds])
    found = dag_check.check_manifest(manifest(*clean_dag(), *seeds, seven))
    assert [str(v) for v in found] == [
        "too_many_joins: int_lookups__joined -> 7 parents: lookup_0, lookup_1, lookup_2, lookup_3, lookup_4, lookup_5, "
        "lookup_6 (7 or more direct parents: split the model into intermediate steps)"
    ]
    allowed_only_by(found, dag_check.Allowance("too_many_joins", "int_lookups__*", "*", "one parent per lookup"))


def rejoining_dag(*extra: dict) -> list[dict]:
    """clean_dag plus int_communes__matched (reads stg_ign__communes) and int_communes__scored (reads
    stg_ign__communes and int_communes__matched): stg_ign__communes is rejoined through int_communes__matched."""
    return [
        *clean_dag(),
        model("int_communes__matched", "intermediate", mid("stg_ign__communes")),
        model("int_communes__scored", "intermediate", mid("stg_ign__communes"), mid("int_communes__matched")),
        *extra,
    ]


def test_rejoining_fails_a_parent_read_again_through_a_single_use_model_and_the_allow_list_covers_it():
    found = dag_check.check_manifest(manifest(*rejoining_dag()))
    assert [str(v) for v in found] == [
        "rejoining_of_upstream_concepts: int_communes__scored -> stg_ign__communes via int_communes__matched "
        "(int_communes__matched reads stg_ign__communes and feeds only int_communes__scored, which reads "
        "stg_ign__communes again: fold int_communes__matched into int_communes__scored as a CTE)"
    ]
    allowed_only_by(found, dag_check.Allowance(
        "rejoining_of_upstream_concepts", "int_communes__scored", "stg_* via int_communes__matched", "incremental"))


def test_rejoining_is_allowed_when_the_model_in_between_has_another_child():
    other = model("int_communes__reported", "intermediate", mid("int_communes__matched"))
    assert dag_check.check_manifest(manifest(*rejoining_dag(other))) == []


def test_rejoining_counts_neither_exposures_nor_tests_as_children():
    """As dbt-project-evaluator: an exposure or a test on the model in between does not make it shared."""
    dashboard = exposure("dashboard", mid("int_communes__matched"))
    found = dag_check.check_manifest(manifest(*rejoining_dag(dashboard)))  # keyed: tests on every model
    assert rules(found) == ["rejoining_of_upstream_concepts", "exposures_dependent_on_private_models"]


def test_root_models_fails_a_model_with_no_parent_and_the_allow_list_covers_it():
    params = model("study_parameters", "marts")
    spine = {**model("time_spine_daily", "marts"), "time_spine": {"standard_granularity_column": "date_day"}}
    found = dag_check.check_manifest(manifest(*clean_dag(), params, spine))
    assert [str(v) for v in found] == [
        "root_models: study_parameters -> no parent (reads no ref() nor source(): a table named in the SQL is invisible to the DAG)"
    ]
    allowed_only_by(found, dag_check.Allowance("root_models", "study_parameters", "no parent", "built from vars"))


def test_a_model_reading_only_seeds_is_not_a_root_model():
    entries = [*clean_dag(), model("int_lookups__joined", "intermediate", f"seed.{PROJECT}.study_communes")]
    assert dag_check.check_manifest(manifest(*entries)) == []


def test_exposures_fail_on_anything_but_a_public_model_and_the_allow_list_covers_it():
    summary = next(e for e in clean_dag() if e["name"] == "commune_summary")
    public = [e for e in clean_dag() if e is not summary] + [{**summary, "access": "public"}]
    report = exposure("study_report", mid("commune_summary"))
    assert dag_check.check_manifest(manifest(*public, report)) == []
    found = dag_check.check_manifest(manifest(*clean_dag(), exposure("study_report", mid("commune_summary"), f"seed.{PROJECT}.study_communes")))
    assert [str(v) for v in found] == [
        "exposures_dependent_on_private_models: study_report -> commune_summary "
        "(access: protected: an exposure reads public models only; declare the mart `access: public`)",
        "exposures_dependent_on_private_models: study_report -> study_communes "
        "(a seed: an exposure reads public models only; declare the mart `access: public`)",
    ]
    allowed_only_by(found, dag_check.Allowance("exposures_dependent_on_private_models", "study_report", "*", "reason"))


# --------------------------------------------------------------------------- the allow-list

def test_an_allowance_that_matches_nothing_is_reported():
    v = dag_check.Violation("root_models", "study_parameters", "no parent", "why")
    used = dag_check.Allowance("root_models", "study_parameters", "*", "built from vars")
    stale = dag_check.Allowance("too_many_joins", "int_communes__estimates", "*", "split since")
    assert [str(x) for x in dag_check.apply_allow_list([v], (used, stale))] == [
        "allow_list: int_communes__estimates -> too_many_joins * (the exception matches no violation: remove it from the allow-list)"
    ]


def test_an_allowance_covers_only_its_rule_model_and_dependency():
    v = dag_check.Violation("rejoining_of_upstream_concepts", "int_small_inputs__reconciliation", "stg_ign__communes via int_x__y", "why")
    narrow = dag_check.Allowance("rejoining_of_upstream_concepts", "int_small_inputs__reconciliation", "base_* via int_x__y", "r")
    other_rule = dag_check.Allowance("too_many_joins", "int_small_inputs__reconciliation", "*", "r")
    assert not narrow.matches(v) and not other_rule.matches(v)


def test_every_project_exception_gives_its_reason():
    assert PROJECT_EXCEPTIONS
    for allowance in PROJECT_EXCEPTIONS:
        assert len(allowance.reason.split()) >= 5, allowance
    assert not any(a.rule == "too_many_joins" and a.model == "int_communes__estimates" for a in PROJECT_EXCEPTIONS)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("exceptions:\n  - {rule: root_models, model: x, dependency: '*'}\n", "exception 1: give exactly rule, model, dependency, reason"),
        ("exceptions:\n  - {rule: root_models, model: x, dependency: '*', reason: ' '}\n", "none empty"),
        ("exceptions:\n  - {rule: root_model, model: x, dependency: '*', reason: r}\n", "exception 1: unknown rule 'root_model'"),
        ("exceptions:\n  - {rule: allow_list, model: x, dependency: '*', reason: r}\n", "unknown rule 'allow_list'"),
    ],
)
def test_a_malformed_exception_is_named(tmp_path: Path, capsys, text: str, message: str):
    path = tmp_path / "exceptions.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        dag_check.load_allowances(path)
    clean = tmp_path / "clean.json"
    clean.write_text(json.dumps(manifest(*clean_dag())), encoding="utf-8")
    assert dag_check.main(["--manifest", str(clean), "--package", str(tmp_path), "--exceptions", str(path)]) == 2
    assert message in capsys.readouterr().err


def test_the_allow_list_file_is_read_as_written(tmp_path: Path):
    path = tmp_path / "exceptions.yml"
    path.write_text("# why\nexceptions:\n  - rule: root_models\n    model: study_*\n    dependency: no parent\n"
                    "    reason: >-\n      built from\n      vars\n", encoding="utf-8")
    assert dag_check.load_allowances(path) == (dag_check.Allowance("root_models", "study_*", "no parent", "built from vars"),)
