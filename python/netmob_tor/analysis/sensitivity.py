"""How far the headline depends on each processing choice: the Table 2 cpc correlation of the study
profile, then of the same models rebuilt with one choice changed (and with each pair of choices).

Every other row is a build of the dbt models with vars (dbt_project.yml `sensitivity_variations`, plus one
row per `s_onion_scenarios` value), in one in-process dbt session (netmob_tor.session) on a private
copy of the warehouse, into the schema `main_sensitivity` (the study profile's row is the copy's main
schema, built with the same vars): the models from the kept tile-days to
commune_summary are rebuilt from the loaded tile-day and commune-day tables, so nothing re-reads the
raw text. A row with `predictor: lagged` reads the lagged-Tor columns of the same build. This
module only measures what those builds give: Spearman rho of the sexual-violence rate with log cpc
per 1000 (Table 2), a commune-resampling percentile bootstrap interval, mean c, floored communes,
and the Spearman correlation of each row's commune ranking by cpc per 1000 with the study
profile's. Exploratory area-level associations: no individual or causal meaning.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from netmob_tor import loaders
from netmob_tor.analysis.bootstrap import LEVEL, SEED
from netmob_tor.analysis.correlations import LAGGED_PREDICTOR, OUTCOME, validation_correlations
from netmob_tor.duck import connect, use_schema
from netmob_tor.params import project_vars, recorded_vars
from netmob_tor.paths import landing_path, project_root
from netmob_tor.progress import Progress

SCHEMA_SUFFIX = "sensitivity"
SCHEMA = f"main_{SCHEMA_SUFFIX}"
# The first build: every model reading a processing choice (all read `processing_profile`), up to commune_summary.
FIRST_BUILD_VARS = {"processing_profile"}
PREDICTOR = "log_cpc_per_1000"
COLUMNS = ["commune_code", "population", OUTCOME, PREDICTOR, LAGGED_PREDICTOR, "cpc_per_1000", "cpc_tor_lagged_per_1000",
           "c", "c_tor_lagged", "is_rho_floored", "rho_tor_lagged"]
RESULT_COLUMNS = ["row_number", "kind", "label", "choices", "rho", "p_value", "n", "ci_low", "ci_high", "delta_rho",
                  "sum_of_single_deltas", "interaction", "mean_c", "n_floored", "ranking_rho_vs_study",
                  "is_study_profile"]


@dataclass(frozen=True)
class Variation:
    """One departure from the study profile: the choice it changes, dbt vars, and whether c is the lagged one."""

    choice: str
    label: str
    vars: dict[str, Any] = field(default_factory=dict)
    lagged: bool = False
    pairs: bool = True
    not_with: frozenset[str] = frozenset()

    @property
    def key(self) -> str:
        """`var=value; ...`, with `predictor=lagged` for a lagged row (the table's `choices` column)."""
        parts = [f"{k}={v}" for k, v in sorted(self.vars.items())]
        return "; ".join(parts + (["predictor=lagged"] if self.lagged else []))


def variations(settings: dict[str, Any]) -> list[Variation]:
    """The single-choice rows of dbt_project.yml's `sensitivity_variations`, then one per other s_onion scenario."""
    out = []
    for entry in settings.get("sensitivity_variations") or []:
        label = str(entry["label"]).replace("(tor_lag_hours)", f"{settings['tor_lag_hours']} h")
        out.append(Variation(entry["choice"], label, dict(entry.get("vars") or {}), entry.get("predictor") == "lagged",
                             bool(entry.get("pairs", True)), frozenset(entry.get("not_with") or ())))
    for value in settings.get("s_onion_scenarios") or []:
        if float(value) != float(settings["s_onion"]):
            out.append(Variation("s_onion", f"s_onion {value}", {"s_onion": value}))
    return out


def pairs(singles: Sequence[Variation]) -> list[tuple[Variation, Variation]]:
    """Pairs of rows that change different choices through different vars (both open to pairing, neither excluding the other)."""
    return [(a, b) for a, b in itertools.combinations(singles, 2)
            if a.pairs and b.pairs and a.choice != b.choice and not set(a.vars) & set(b.vars) and not (a.lagged and b.lagged)
            and a.choice not in b.not_with and b.choice not in a.not_with]


def bootstrap_interval(x: np.ndarray, y: np.ndarray, replicates: int, seed: int = SEED, level: float = LEVEL) -> tuple[float, float]:
    """Percentile interval of Spearman rho(x, y) over communes resampled with replacement."""
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(x), size=(replicates, len(x)))
    rhos = np.array([stats.spearmanr(x[i], y[i]).statistic for i in picks])
    rhos = rhos[np.isfinite(rhos)]
    tail = (1 - level) / 2
    return float(np.quantile(rhos, tail)), float(np.quantile(rhos, 1 - tail))


def row_figures(summary: pd.DataFrame, lagged: bool, study: pd.DataFrame | None, replicates: int) -> dict[str, Any]:
    """The Table 2 cpc figures of one build's commune_summary (study communes), and its ranking against the study's."""
    predictor, cpc, c = (LAGGED_PREDICTOR, "cpc_tor_lagged_per_1000", "c_tor_lagged") if lagged else (PREDICTOR, "cpc_per_1000", "c")
    table2 = validation_correlations(summary, predictors=[predictor]).iloc[0]
    cases = summary.dropna(subset=[OUTCOME, predictor])
    low, high = (bootstrap_interval(cases[OUTCOME].to_numpy(float), cases[predictor].to_numpy(float), replicates)
                 if replicates else (np.nan, np.nan))
    floored = summary["rho_tor_lagged"] < 0 if lagged else summary["is_rho_floored"].astype(bool)
    ranking = np.nan
    if study is not None:
        both = summary[["commune_code", cpc]].rename(columns={cpc: "row"}).merge(
            study[["commune_code", "cpc_per_1000"]].rename(columns={"cpc_per_1000": "study"}), on="commune_code").dropna()
        ranking = float(stats.spearmanr(both["row"], both["study"]).statistic)
    return {"rho": float(table2["rho"]), "p_value": float(table2["p_value"]), "n": int(table2["n"]), "ci_low": low,
            "ci_high": high, "mean_c": float(summary[c].mean()), "n_floored": int(floored.sum()), "ranking_rho_vs_study": ranking}


def build_order(needed: list[dict[str, Any]], cost: Callable[[str], int]) -> list[dict[str, Any]]:
    """The builds in an order that groups equal values of the costly vars (those that rebuild the most models),
    so that each costly stage changes as few times as possible between consecutive builds."""
    names = sorted({n for variables in needed for n in variables}, key=lambda n: (-cost(n), n))
    return sorted(needed, key=lambda variables: tuple(repr(variables.get(n)) for n in names))


def sensitivity_table(build: Callable[[dict[str, Any]], pd.DataFrame], settings: dict[str, Any],
                      replicates: int | None = None, cost: Callable[[str], int] | None = None,
                      with_pairs: bool = True) -> pd.DataFrame:
    """The table, from `build(vars) -> commune_summary of the study communes` (called once per distinct vars,
    in build_order when `cost` says what each var's change costs).

    Rows: the study profile, each single variation, then (unless `with_pairs` is false: one choice at a
    time, the pairs neither built nor listed) each pair whose effect on rho departs from the sum of the
    two single effects by more than `sensitivity_interaction_threshold`.
    """
    replicates = int(replicates or settings["sensitivity_bootstrap_replicates"])
    threshold = float(settings["sensitivity_interaction_threshold"])
    singles = variations(settings)
    paired = pairs(singles) if with_pairs else []
    needed = [{}, *(v.vars for v in singles), *({**a.vars, **b.vars} for a, b in paired)]
    distinct = list({repr(sorted(v.items())): v for v in needed}.values())
    cache = {}
    progress = Progress(len(distinct), "sensitivity builds")
    for v in build_order(distinct, cost) if cost else distinct:
        cache[repr(sorted(v.items()))] = build(v)
        progress.step(note=", ".join(f"{k}={x}" for k, x in sorted(v.items())) or "study profile")
    progress.done()

    def summary_for(variables: dict[str, Any]) -> pd.DataFrame:
        return cache[repr(sorted(variables.items()))]

    study = summary_for({})
    rows = [{"kind": "study profile", "label": "study profile", "choices": "", **row_figures(study, False, study, replicates)}]
    base_rho = rows[0]["rho"]
    delta: dict[str, float] = {}
    for v in singles:
        figures = row_figures(summary_for(v.vars), v.lagged, study, replicates)
        delta[v.key] = figures["rho"] - base_rho
        rows.append({"kind": "one choice", "label": v.label, "choices": v.key, **figures})
    for a, b in paired:
        joint = summary_for({**a.vars, **b.vars})
        expected = delta[a.key] + delta[b.key]
        interaction = row_figures(joint, a.lagged or b.lagged, None, 0)["rho"] - base_rho - expected
        if abs(interaction) > threshold:
            full = row_figures(joint, a.lagged or b.lagged, study, replicates)
            rows.append({"kind": "pair", "label": f"{a.label} + {b.label}", "choices": f"{a.key}; {b.key}", **full,
                         "sum_of_single_deltas": expected, "interaction": interaction})
    table = pd.DataFrame(rows)
    table["delta_rho"] = table["rho"] - base_rho
    table["is_study_profile"] = table["kind"] == "study profile"
    table["row_number"] = np.arange(1, len(table) + 1)
    return table.reindex(columns=RESULT_COLUMNS)


def descendants(manifest: Any, models: set[str]) -> set[str]:
    """The models downstream of `models` (names), themselves included."""
    parents = {n.name: {manifest.nodes[p].name for p in n.depends_on.nodes if p in manifest.nodes}
               for n in manifest.nodes.values() if n.resource_type == "model"}
    found = set(models)
    while True:
        more = {m for m, ps in parents.items() if m not in found and ps & found}
        if not more:
            return found
        found |= more


def models_using(manifest: Any, names: set[str]) -> set[str]:
    """Models whose SQL, or a macro it calls (transitively), reads one of the vars `names`: `var('name'` or
    `processing_choice('name')` written out (a macro that reads a var by a variable name reads no var here)."""
    quoted = [pattern.format(n) for n in names for pattern in ("var('{}'", 'var("{}"', "processing_choice('{}')")]

    def macro_uses(uid: str, seen: set[str]) -> bool:
        if uid in seen or uid not in manifest.macros:
            return False
        seen.add(uid)
        macro = manifest.macros[uid]
        return any(q in macro.macro_sql for q in quoted) or any(macro_uses(m, seen) for m in macro.depends_on.macros)

    return {node.name for node in manifest.nodes.values() if node.resource_type == "model"
            and (any(q in node.raw_code for q in quoted) or any(macro_uses(m, set()) for m in node.depends_on.macros))}


def rebuild_selection(manifest: Any, changed: set[str]) -> list[str]:
    """What a change of the vars `changed` rebuilds: each model naming one of them, and what follows it up to commune_summary."""
    return sorted(f"{model}+,+commune_summary" for model in models_using(manifest, changed))


def session_vars(con: Any) -> dict[str, Any]:
    """The main build's recorded vars (study_parameters), with the sensitivity schema."""
    recorded = recorded_vars(con) or {}
    return {**{k: v for k, v in recorded.items() if v is not None}, "profile_schema": SCHEMA_SUFFIX}


def private_copy(database: Path) -> Path:
    """A copy of the warehouse file for this process's sensitivity builds (taken under the writer lock)."""
    copy = database.with_name(f"{database.name}.{SCHEMA_SUFFIX}-{os.getpid()}")
    shutil.copyfile(database, copy)
    return copy


def remove_copy(copy: Path) -> None:
    """Remove a private copy and its write-ahead log."""
    for leftover in (copy, copy.with_name(copy.name + ".wal")):
        leftover.unlink(missing_ok=True)


def warehouse_stamp(database: Path) -> tuple[Any, ...]:
    """What changes when the warehouse is rebuilt: the file (a build swaps a new one in) and its build log
    (every dbt build appends to it). Equal stamps: the table computed from a copy still describes the warehouse."""
    with connect(database, read_only=True) as con:
        logged = (con.execute("select count(*), max(finished_at) from build_log").fetchone()
                  if con.execute("select count(*) from information_schema.tables where table_name = 'build_log'").fetchone()[0]
                  else None)
    return database.stat().st_ino, logged


def run(database: Path, replicates: int | None = None, settings: dict[str, Any] | None = None,
        with_pairs: bool = True, copy: Path | None = None, rebuild_study: bool = False) -> pd.DataFrame:
    """Build every row in a session on a private copy of `database` (`copy`, from private_copy, removed by the
    caller; or made here and removed here), and return the table; `settings` overrides dbt_project.yml's
    sensitivity vars (tests); `with_pairs` false builds one choice at a time. The study profile's row is read from
    the copy's main schema, which the warehouse's build made with the very vars the session starts from
    (session_vars); `rebuild_study` builds it in the session instead (a test checks the two agree)."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    from netmob_tor.session import Session

    settings = {**project_vars(), **(settings or {})}
    owned = copy is None
    copy = copy or private_copy(database)
    previous = {name: os.environ.get(name) for name in ("NETMOB_TOR_DB", "NETMOB_TOR_LANDING", "NETMOB_TOR_LANDING_READ_ONLY")}
    cwd = Path.cwd()
    try:
        with connect(copy, read_only=True) as con:
            base = session_vars(con)
        # the private copy of the marts, reading (never writing) the warehouse's landing
        os.environ.update({"NETMOB_TOR_DB": str(copy), "NETMOB_TOR_LANDING": str(landing_path(database.absolute())),
                           "NETMOB_TOR_LANDING_READ_ONLY": "1"})
        os.chdir(project_root())  # staging views read the raw files by paths relative to the project
        with Session(base, dbt_args=["--target-path", "target/sensitivity"]) as session:

            built: dict[str, Any] | None = None  # the vars the sensitivity schema holds now

            def build(variables: dict[str, Any]) -> pd.DataFrame:
                nonlocal built
                if not variables and not rebuild_study:
                    return summary_of("main")
                if built is None:
                    select = rebuild_selection(session.manifest, FIRST_BUILD_VARS)
                else:
                    changed = {k for k in set(built) | set(variables) if built.get(k) != variables.get(k)}
                    select = rebuild_selection(session.manifest, changed) if changed else []
                if select:
                    done = session.build(select, variables)
                    built = dict(variables)
                    if not done.success:
                        raise RuntimeError(f"sensitivity build with {variables} failed: {done.error}")
                DuckDBConnectionManager.close_all_connections()  # one writer per file: let this process read it
                return summary_of(SCHEMA)

            def summary_of(schema: str) -> pd.DataFrame:
                with connect(copy, read_only=True) as con:
                    use_schema(con, schema)
                    return loaders.commune_summary(con, COLUMNS)

            def cost(name: str) -> int:
                return len(descendants(session.manifest, models_using(session.manifest, {name})))

            return sensitivity_table(build, settings, replicates, cost, with_pairs)
    finally:
        os.chdir(cwd)
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        if owned:
            remove_copy(copy)


def format_table(table: pd.DataFrame) -> str:
    """The table as plain text: one line per row, estimate with its interval."""
    lines = ["Sensitivity of Table 2 (Spearman rho, sexual-violence rate vs log cpc per 1000) to each processing choice",
             "(exploratory area-level associations; no individual or causal meaning)",
             "[low, high]: 95% percentile interval of a bootstrap over communes (communes resampled with replacement)"]
    for r in table.itertuples():
        extra = f"  interaction {r.interaction:+.3f}" if r.kind == "pair" else ""
        lines.append(f"{r.label[:60]:<60} rho {r.rho:+.3f} [{r.ci_low:+.3f}, {r.ci_high:+.3f}] n {r.n:>4}  "
                     f"mean c {r.mean_c:.2e}  floored {r.n_floored:>4}  ranking vs study {r.ranking_rho_vs_study:.3f}{extra}")
    return "\n".join(lines)
