"""DAG-flow check in the manner of dbt-project-evaluator: layers read one way, names say the layer, grains are tested.

Reads dbt's `target/manifest.json` (written by `dbt parse`) and the package's Python source, prints every
violation as `rule: model -> dependency (why)`, one summary line per rule, and exits 1 when there is any.
`make lint` runs it (`python -m netmob_tor.dag_check`). Only the project's own nodes are checked
(`package_name` equal to the manifest's `project_name`): an installed dbt package is not this project.

Besides the house rules, five of dbt-project-evaluator 1.3's DAG and governance rules, with its semantics:
multiple_sources_joined (a node reading two or more sources), too_many_joins (a model with 7 or more direct
parents), rejoining_of_upstream_concepts (A is a parent of C and of B, B is a parent of C and C is B's only
child), root_models (a model with no parent) and exposures_dependent_on_private_models (an exposure reading
anything but a model with `access: public`). The project's deliberate exceptions are in one allow-list,
dag_check_exceptions.yml, each with its reason; an entry that matches nothing is itself reported (rule
allow_list), so the list cannot go stale.

Layers, from a model's folder and name prefix:
  base          models/staging/<source>/base_<source>__<entity>: parses and rejects; reads sources only.
  staging       models/staging/<source>/stg_<source>__<entity>: reads sources or its own source's base_ models.
  intermediate  models/intermediate/int_<entity>__<verb>: reads staging, base, intermediate and seeds.
  mart          models/marts (but audit): reads intermediate, staging (stg_) and seeds; never another mart.
  audit         models/marts/audit: the quarantine views; read what they audit, free of the flow rules.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from netmob_tor.cli_help import HelpFormatter
from netmob_tor.paths import project_root

Manifest = Mapping[str, Any]

RULES = (
    "staging_flow",
    "intermediate_flow",
    "mart_flow",
    "source_outside_staging",
    "naming",
    "grain_test",
    "descriptions",
    "python_reads_marts",
    "multiple_sources_joined",
    "too_many_joins",
    "rejoining_of_upstream_concepts",
    "root_models",
    "exposures_dependent_on_private_models",
    "allow_list",
)

STAGING_NAME = re.compile(r"^(?P<prefix>stg|base)_(?P<source>[a-z0-9]+(?:_[a-z0-9]+)*?)__(?P<entity>[a-z0-9]+(?:_[a-z0-9]+)*)$")
INTERMEDIATE_NAME = re.compile(r"^int_[a-z0-9]+(?:_[a-z0-9]+)*__[a-z0-9]+(?:_[a-z0-9]+)*$")
PIPELINE_NAME = re.compile(r"\b(?:stg|base|int)_[a-z0-9_]+__[a-z0-9_]+\b")
TOO_MANY_JOINS = 7  # dbt-project-evaluator's too_many_joins_threshold
EXCEPTIONS_FILE = "dag_check_exceptions.yml"  # the allow-list, in the project's root
# What the DAG rules see: dbt-project-evaluator's graph resources (tests, analyses and operations are not in the DAG).
DAG_TYPES = ("model", "seed", "snapshot", "source", "exposure", "metric")


@dataclass(frozen=True)
class Violation:
    """One broken rule: which model (or file) reaches for what, and why that is against the house rules."""

    rule: str
    model: str
    dependency: str
    why: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.model} -> {self.dependency} ({self.why})"


@dataclass(frozen=True)
class Allowance:
    """A deliberate exception: the violations of `rule` whose model and dependency match the shell-style
    patterns, and why the project breaks the rule there."""

    rule: str
    model: str
    dependency: str
    reason: str

    def matches(self, violation: Violation) -> bool:
        """Whether this allowance covers the violation."""
        return (self.rule == violation.rule and fnmatchcase(violation.model, self.model)
                and fnmatchcase(violation.dependency, self.dependency))


def load_allowances(path: Path) -> tuple[Allowance, ...]:
    """The project's exceptions (dag_check_exceptions.yml: `exceptions`, a list of rule, model, dependency and
    reason); a malformed entry is a ValueError naming it."""
    import yaml

    entries = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("exceptions") or []
    found = []
    for number, entry in enumerate(entries, 1):
        fields = ("rule", "model", "dependency", "reason")
        if not isinstance(entry, dict) or sorted(entry) != sorted(fields) or not all(str(entry[f]).strip() for f in fields):
            raise ValueError(f"exception {number}: give exactly {', '.join(fields)}, none empty")
        if entry["rule"] not in RULES or entry["rule"] == "allow_list":
            raise ValueError(f"exception {number}: unknown rule {entry['rule']!r}")
        found.append(Allowance(*(str(entry[f]).strip() for f in fields)))
    return tuple(found)


def layer(node: Mapping[str, Any]) -> str:
    """Layer of a manifest node: source, seed, base, staging, intermediate, mart, audit or other."""
    kind = node.get("resource_type")
    if kind in ("source", "seed"):
        return str(kind)
    name = str(node.get("name", ""))
    path = str(node.get("original_file_path", "")).replace("\\", "/")
    if path.startswith("models/marts/audit/"):
        return "audit"
    if path.startswith("models/marts/"):
        return "mart"
    if name.startswith("base_"):
        return "base"
    if name.startswith("stg_") or path.startswith("models/staging/"):
        return "staging"
    if name.startswith("int_") or path.startswith("models/intermediate/"):
        return "intermediate"
    return "other"


def _node(manifest: Manifest, unique_id: str) -> Mapping[str, Any]:
    """The manifest entry of a node or source (a stand-in naming the id when dbt left it out)."""
    for section in ("nodes", "sources", "exposures"):
        found = manifest.get(section, {}).get(unique_id)
        if found is not None:
            return found
    kind, _, rest = unique_id.partition(".")
    return {"resource_type": kind, "name": rest.rsplit(".", 1)[-1], "unique_id": unique_id}


def project_name(manifest: Manifest) -> str:
    """The dbt project the manifest was parsed for (its `metadata.project_name`)."""
    name = manifest.get("metadata", {}).get("project_name")
    if not name:
        raise ValueError("the manifest names no project (metadata.project_name): run `dbt parse` in the project")
    return str(name)


def own_nodes(manifest: Manifest, *kinds: str) -> list[Mapping[str, Any]]:
    """The project's own nodes and exposures of the given resource types (an installed package's are left
    out), by name."""
    project = project_name(manifest)
    found = [
        n for section in ("nodes", "exposures") for n in manifest.get(section, {}).values()
        if n.get("resource_type") in kinds and n.get("package_name") == project
    ]
    return sorted(found, key=lambda n: (n["name"], n["unique_id"]))


def models(manifest: Manifest) -> list[Mapping[str, Any]]:
    """The project's models, by name."""
    return own_nodes(manifest, "model")


def _parents(manifest: Manifest, model: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The nodes and sources a model reads (ref and source), deduplicated, in manifest order."""
    ids = dict.fromkeys(model.get("depends_on", {}).get("nodes", []))
    return [_node(manifest, i) for i in ids]


def _label(node: Mapping[str, Any]) -> str:
    """How a dependency is printed: a model or seed by name, a source as source.table."""
    if node.get("resource_type") == "source" and "source_name" in node:
        return f"source {node['source_name']}.{node['name']}"
    return str(node.get("name", node.get("unique_id", "?")))


def _source_segment(name: str) -> str | None:
    """The <source> of stg_<source>__<entity> or base_<source>__<entity>."""
    match = STAGING_NAME.match(name)
    return match.group("source") if match else None


def check_staging_flow(manifest: Manifest) -> Iterator[Violation]:
    """base_ reads sources only; stg_ reads sources or its own source's base_ models, never another stg_."""
    for model in models(manifest):
        kind = layer(model)
        if kind not in ("base", "staging"):
            continue
        own_source = _source_segment(model["name"])
        for parent in _parents(manifest, model):
            parent_kind = layer(parent)
            if parent_kind == "source":
                continue
            if kind == "base":
                why = "base models read only sources"
            elif parent_kind == "staging":
                why = "a staging model reads no other staging model"
            elif parent_kind == "base" and own_source is not None and _source_segment(parent["name"]) == own_source:
                continue
            elif parent_kind == "base":
                why = "a staging model reads only the base models of its own source"
            else:
                why = f"staging reads sources and base models, not a {parent_kind}"
            yield Violation("staging_flow", model["name"], _label(parent), why)


def check_intermediate_flow(manifest: Manifest) -> Iterator[Violation]:
    """int_ reads staging, base, intermediate or seeds, never a mart."""
    allowed = {"staging", "base", "intermediate", "seed", "source"}  # sources: see source_outside_staging
    for model in models(manifest):
        if layer(model) != "intermediate":
            continue
        for parent in _parents(manifest, model):
            parent_kind = layer(parent)
            if parent_kind not in allowed:
                why = "intermediate models never read a mart" if parent_kind in ("mart", "audit") else f"reads a {parent_kind} model"
                yield Violation("intermediate_flow", model["name"], _label(parent), why)


def check_mart_flow(manifest: Manifest) -> Iterator[Violation]:
    """Marts (models/marts but audit) read intermediate, stg_ or seeds: never another mart, nor a base_ model."""
    for model in models(manifest):
        if layer(model) != "mart":
            continue
        for parent in _parents(manifest, model):
            parent_kind = layer(parent)
            if parent_kind in ("intermediate", "staging", "seed", "source"):
                continue
            if parent_kind in ("mart", "audit"):
                why = "marts do not feed one another: move the shared part to an intermediate model"
            elif parent_kind == "base":
                why = "marts read stg_ models (kept rows only), not base_ models"
            else:
                why = f"reads a {parent_kind} model"
            yield Violation("mart_flow", model["name"], _label(parent), why)


def check_source_outside_staging(manifest: Manifest) -> Iterator[Violation]:
    """Only staging and base models call source(): everything else reads the source through them."""
    for model in models(manifest):
        if layer(model) in ("base", "staging"):
            continue
        for parent in _parents(manifest, model):
            if layer(parent) == "source":
                yield Violation("source_outside_staging", model["name"], _label(parent), "only staging and base models read sources")


def check_naming(manifest: Manifest) -> Iterator[Violation]:
    """Staging is stg_/base_<source>__<entity> in models/staging/<source>/; intermediate is int_<entity>__<verb>."""
    for model in models(manifest):
        name = model["name"]
        path = str(model.get("original_file_path", "")).replace("\\", "/")
        parts = path.split("/")
        if path.startswith("models/staging/"):
            match = STAGING_NAME.match(name)
            if not match:
                yield Violation("naming", name, path, "staging models are named stg_<source>__<entity> or base_<source>__<entity>")
            elif len(parts) > 3 and parts[2] != match.group("source"):
                yield Violation("naming", name, path, f"a {match.group('source')} model belongs in models/staging/{match.group('source')}/")
        elif path.startswith("models/intermediate/"):
            if not INTERMEDIATE_NAME.match(name):
                yield Violation("naming", name, path, "intermediate models are named int_<entity>__<verb or description>")
        elif re.match(r"^(stg|base|int)_", name):
            yield Violation("naming", name, path, f"a {name.split('_', 1)[0]}_ model belongs in its layer's folder")


def _tests_by_model(manifest: Manifest) -> dict[str, list[Mapping[str, Any]]]:
    """Generic data tests grouped by the model they are attached to; a test run on the table that lands a view's rows
    (argument `landed`, test unique_in_landed_table) counts for that table too, as it is the same check on it."""
    grouped: dict[str, list[Mapping[str, Any]]] = {}
    for node in manifest.get("nodes", {}).values():
        if node.get("resource_type") != "test" or not node.get("test_metadata"):
            continue
        depends = node.get("depends_on", {}).get("nodes", [])
        target = node.get("attached_node") or next(iter(depends), None)
        landed = (node["test_metadata"].get("kwargs") or {}).get("landed")
        for model in {target, *(_landed_model(depends, str(landed)) if landed else [])} - {None}:
            grouped.setdefault(model, []).append(node)
    return grouped


def _landed_model(depends: Iterable[str], landed: str) -> list[str]:
    """The node among `depends` that a test's `landed` argument (`ref('name')`, as written) names."""
    return [uid for uid in depends if f"'{uid.rsplit('.', 1)[-1]}'" in landed or f'"{uid.rsplit(".", 1)[-1]}"' in landed]


def _is_column_list(value: Any) -> bool:
    """A non-empty list of column names (the argument of a multi-column key test)."""
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value)


def has_key_test(tests: Iterable[Mapping[str, Any]]) -> bool:
    """A primary-key test: unique + not_null on one column, or a unique/primary_key test over a column list."""
    by_column: dict[str, set[str]] = {}
    for test in tests:
        meta = test["test_metadata"]
        name = str(meta.get("name", ""))
        kwargs = meta.get("kwargs") or {}
        if ("unique" in name or "primary_key" in name) and any(_is_column_list(v) for v in kwargs.values()):
            return True
        column = test.get("column_name") or kwargs.get("column_name")
        if column and name in ("unique", "not_null"):
            by_column.setdefault(str(column), set()).add(name)
    return any(found == {"unique", "not_null"} for found in by_column.values())


def check_grain_test(manifest: Manifest) -> Iterator[Violation]:
    """Every model has a primary-key test on its stated grain."""
    tests = _tests_by_model(manifest)
    for model in models(manifest):
        if not has_key_test(tests.get(model["unique_id"], [])):
            yield Violation(
                "grain_test", model["name"], "primary key",
                "no unique + not_null column nor unique_combination_of_columns test on its grain",
            )


def check_descriptions(manifest: Manifest) -> Iterator[Violation]:
    """Every model has a description, documents its columns, and every documented or tested column is described."""
    tests = _tests_by_model(manifest)
    for model in models(manifest):
        if not str(model.get("description") or "").strip():
            yield Violation("descriptions", model["name"], "model", "no description")
        columns = model.get("columns") or {}
        if not columns:
            yield Violation("descriptions", model["name"], "columns", "no column documented in the model's YAML")
        for column, spec in columns.items():
            if not str(spec.get("description") or "").strip():
                yield Violation("descriptions", model["name"], f"column {column}", "no description")
        documented = {c.lower() for c in columns}
        tested = sorted({str(t["column_name"]) for t in tests.get(model["unique_id"], []) if t.get("column_name")})
        for column in tested:
            if column.lower() not in documented:
                yield Violation("descriptions", model["name"], f"column {column}", "tested but not documented in the model's YAML")


def _docstring_ids(tree: ast.AST) -> set[int]:
    """ids of the string constants that are docstrings (describing, not reading, a model)."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
                found.add(id(body[0].value))
    return found


def pipeline_names_in_source(text: str) -> list[tuple[int, str]]:
    """(line, name) of every stg_/base_/int_ model name in a module's string literals, docstrings aside."""
    tree = ast.parse(text)
    skip = _docstring_ids(tree)
    found: set[tuple[int, str]] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            for match in PIPELINE_NAME.finditer(node.value):
                found.add((node.lineno, match.group(0)))
    return sorted(found)


def check_python_reads_marts(package_dir: Path, root: Path | None = None) -> Iterator[Violation]:
    """Python reads marts only: no stg_/base_/int_ name in a string (the modules that inspect the pipeline
    are in the allow-list)."""
    root = root or package_dir.parent.parent
    for path in sorted(package_dir.rglob("*.py")):
        shown = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
        for line, name in pipeline_names_in_source(path.read_text(encoding="utf-8")):
            yield Violation("python_reads_marts", f"{shown}:{line}", name, "Python reads marts, never staging or intermediate models")


# --------------------------------------------------------------------------- dbt-project-evaluator's DAG rules

def _children(manifest: Manifest) -> dict[str, set[str]]:
    """unique id -> the ids of the project's models and snapshots reading it (dbt-project-evaluator counts
    neither tests nor exposures nor metrics as children)."""
    children: dict[str, set[str]] = defaultdict(set)
    for node in own_nodes(manifest, "model", "snapshot"):
        for parent in node.get("depends_on", {}).get("nodes", []):
            children[parent].add(node["unique_id"])
    return children


def _dag_parents(manifest: Manifest, node: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """A node's direct parents in the DAG (tests and other non-DAG nodes aside)."""
    return [p for p in _parents(manifest, node) if p.get("resource_type") in DAG_TYPES]


def check_multiple_sources_joined(manifest: Manifest) -> Iterator[Violation]:
    """No model, snapshot or exposure reads two sources or more: each source is staged on its own, then joined."""
    for node in own_nodes(manifest, "model", "snapshot", "exposure"):
        sources = sorted(_label(p) for p in _dag_parents(manifest, node) if p.get("resource_type") == "source")
        if len(sources) > 1:
            yield Violation("multiple_sources_joined", node["name"], ", ".join(sources),
                            f"{len(sources)} sources in one node: stage each source in its own model, join the staged models")


def check_too_many_joins(manifest: Manifest, threshold: int = TOO_MANY_JOINS) -> Iterator[Violation]:
    """No model has `threshold` (7) or more direct parents."""
    for model in models(manifest):
        parents = sorted({_label(p) for p in _dag_parents(manifest, model)})
        if len(parents) >= threshold:
            yield Violation("too_many_joins", model["name"], f"{len(parents)} parents: {', '.join(parents)}",
                            f"{threshold} or more direct parents: split the model into intermediate steps")


def check_rejoining_of_upstream_concepts(manifest: Manifest) -> Iterator[Violation]:
    """No model C reads A and B where B also reads A and C is B's only child: B then belongs in C as a CTE."""
    children = _children(manifest)
    for model in models(manifest):
        parents = {p["unique_id"]: p for p in _dag_parents(manifest, model) if "unique_id" in p}
        for middle in parents.values():
            if children.get(middle["unique_id"]) != {model["unique_id"]}:
                continue
            for upstream in _dag_parents(manifest, middle):
                if upstream.get("unique_id") in parents:
                    yield Violation(
                        "rejoining_of_upstream_concepts", model["name"], f"{_label(upstream)} via {_label(middle)}",
                        f"{_label(middle)} reads {_label(upstream)} and feeds only {model['name']}, which reads "
                        f"{_label(upstream)} again: fold {_label(middle)} into {model['name']} as a CTE",
                    )


def check_root_models(manifest: Manifest) -> Iterator[Violation]:
    """Every model has a parent (a ref or a source): none reads a hard-coded relation dbt cannot trace."""
    for model in models(manifest):
        if not model.get("time_spine") and not model.get("depends_on", {}).get("nodes"):
            yield Violation("root_models", model["name"], "no parent",
                            "reads no ref() nor source(): a table named in the SQL is invisible to the DAG")


def check_exposures_dependent_on_private_models(manifest: Manifest) -> Iterator[Violation]:
    """An exposure reads models declared `access: public` only (never a protected model, a seed or a source)."""
    for exposure in own_nodes(manifest, "exposure"):
        for parent in _dag_parents(manifest, exposure):
            kind = str(parent.get("resource_type"))
            if kind == "model" and parent.get("access") == "public":
                continue
            what = f"access: {parent.get('access') or 'protected'}" if kind == "model" else f"a {kind}"
            yield Violation("exposures_dependent_on_private_models", exposure["name"], _label(parent),
                            f"{what}: an exposure reads public models only; declare the mart `access: public`")


# --------------------------------------------------------------------------- the allow-list

def apply_allow_list(found: Iterable[Violation], allowed: Iterable[Allowance]) -> list[Violation]:
    """The violations no allowance covers, then one allow_list violation per allowance that covers none
    (a fixed exception must leave the list)."""
    allowed = list(allowed)
    used: set[int] = set()
    kept = []
    for violation in found:
        covering = [i for i, allowance in enumerate(allowed) if allowance.matches(violation)]
        used.update(covering)
        if not covering:
            kept.append(violation)
    stale = [
        Violation("allow_list", a.model, f"{a.rule} {a.dependency}", "the exception matches no violation: remove it from the allow-list")
        for i, a in enumerate(allowed) if i not in used
    ]
    return kept + stale


def check_manifest(manifest: Manifest) -> list[Violation]:
    """Every manifest rule's violations, rule by rule, before the allow-list."""
    checks = (
        check_staging_flow, check_intermediate_flow, check_mart_flow, check_source_outside_staging,
        check_naming, check_grain_test, check_descriptions, check_multiple_sources_joined, check_too_many_joins,
        check_rejoining_of_upstream_concepts, check_root_models, check_exposures_dependent_on_private_models,
    )
    return [v for check in checks for v in check(manifest)]


def summary(violations: Iterable[Violation]) -> list[str]:
    """One line per rule: how many violations, or ok."""
    counts = {rule: 0 for rule in RULES}
    for violation in violations:
        counts[violation.rule] = counts.get(violation.rule, 0) + 1
    return [f"{rule}: {n} violation{'s' if n != 1 else ''}" if n else f"{rule}: ok" for rule, n in counts.items()]


def main(argv: list[str] | None = None) -> int:
    """Check the parsed project and the package; print violations and a summary; 1 when any rule is broken."""
    parser = argparse.ArgumentParser(
        prog="python -m netmob_tor.dag_check", description=__doc__.splitlines()[0],
        formatter_class=HelpFormatter,
    )
    root = project_root()
    parser.add_argument("--manifest", type=Path, default=root / "target" / "manifest.json", help="dbt manifest (run `dbt parse` first)")
    parser.add_argument("--package", type=Path, default=root / "python" / "netmob_tor", help="Python package scanned for model names")
    parser.add_argument("--exceptions", type=Path, default=root / EXCEPTIONS_FILE, help="the project's allow-list")
    args = parser.parse_args(argv)
    if not args.manifest.exists():
        print(f"dag_check: {args.manifest} not found: run `dbt parse` first", file=sys.stderr)
        return 2
    manifest = json.loads(args.manifest.read_text(encoding="utf-8"))
    try:
        found = check_manifest(manifest) + list(check_python_reads_marts(args.package, root))
    except ValueError as err:
        print(f"dag_check: {args.manifest}: {err}", file=sys.stderr)
        return 2
    try:
        allowed = load_allowances(args.exceptions)
    except (OSError, ValueError) as err:
        print(f"dag_check: {args.exceptions}: {err}", file=sys.stderr)
        return 2
    violations = apply_allow_list(found, allowed)
    for violation in violations:
        print(violation)
    if violations:
        print()
    for line in summary(violations):
        print(line)
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
