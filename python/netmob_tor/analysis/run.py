"""Run the statistical layer on the warehouse or the released aggregates and store its tables in DuckDB.

The warehouse's inputs come from `netmob_tor.loaders` (marts only); every function called here on
them takes DataFrames and returns DataFrames.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import duckdb
import pandas as pd

from netmob_tor import CAUTION, loaders
from netmob_tor.analysis.bootstrap import bootstrap_correlations, bootstrap_rho, check_days, day_draws
from netmob_tor.analysis.correlations import LAGGED_PREDICTOR, OUTCOME, PREDICTORS, validation_correlations
from netmob_tor.analysis.dependent_correlations import OTHERS, TARGET, dependent_correlation_tests
from netmob_tor.analysis.distribution import correction_factor_summary, cpc_range_summary
from netmob_tor.analysis.mixed import random_intercept_models
from netmob_tor.analysis.pca import (
    N_COMPONENTS,
    STUDY_EXCLUDED_TERMS,
    STUDY_ORIENTATION,
    department_scores,
    load_old_regions,
    read_gtrends_csv,
    trends_pca,
    wide_search_terms,
)
from netmob_tor.analysis.regression_input import SUMMARY_COLUMNS as REGRESSION_COLUMNS
from netmob_tor.analysis.regression_input import regression_input
from netmob_tor.analysis.regressions import CONTROLS, MODELS, POI, residuals, table3
from netmob_tor.analysis.released import released_summary
from netmob_tor.analysis.sample_size import NotComputed, log_frame, log_row
from netmob_tor.analysis.spatial import residual_morans_i
from netmob_tor.params import study_parameters
from netmob_tor.paths import reference_dir
from netmob_tor.provenance import as_record, read_data_source

SOURCES = ("warehouse", "released")


def default_parameters(source: str) -> dict[str, Any]:
    """The parameters of Tables 1 and 2, for the `parameters` column of the stored tables."""
    return {
        "source": source,
        "outcome": OUTCOME,
        "predictors": list(PREDICTORS),
        "target": TARGET,
        "correlation": "spearman",
        "tests": ["williams_t", "steiger_z", "study_t"],
        "reported_p": {"williams_t": "one-sided", "steiger_z": "one-sided", "study_t": "two-sided as the study (one-sided beside it)"},
        "caution": CAUTION,
    }


def processing_profile(con: duckdb.DuckDBPyConnection, source: str) -> str:
    """The processing profile behind `source`: commune_summary's (warehouse) or the release's own (paper mode)."""
    if source == "released":
        return "released aggregates (cpc_com.csv)"
    return loaders.processing_profile(con)


def write_tables(con: duckdb.DuckDBPyConnection, tables: dict[str, pd.DataFrame], params: dict[str, Any]) -> None:
    """Replace table analysis_<name> for each frame, adding run_at (UTC), parameters (JSON text) and
    the processing profile the input was built with (params['processing_profile'], when given)."""
    run_at = datetime.now(UTC).replace(tzinfo=None)
    parameters = json.dumps(params, sort_keys=True, default=str)
    for name, frame in tables.items():
        if not name.isidentifier():
            raise ValueError(f"table name {name!r} is not a plain identifier")
        stored = frame.copy()
        stored["processing_profile"] = params.get("processing_profile")
        stored["run_at"] = pd.Timestamp(run_at)
        stored["parameters"] = parameters
        con.register("_analysis_frame", stored)
        try:
            con.execute(
                f"create or replace table analysis_{name} as "
                "select * replace (run_at::timestamp as run_at) from _analysis_frame"
            )
        finally:
            con.unregister("_analysis_frame")


# --- every table: Tables 1-3, robustness, PCA and the beyond-the-paper methods -----------------

# Defaults of the beyond-the-paper methods: 200 day-block replicates run in about 30 s on 2 cores
# on the embedded data (the whole of analyze_all in about 35 s).
BOOTSTRAP_REPLICATES = 200
MORAN_PERMUTATIONS = 999
K_NEAREST = 4
SEED = 20190316


def summary_for(con: duckdb.DuckDBPyConnection, source: str) -> pd.DataFrame:
    """Every column of commune_summary (warehouse) or of the released frame (paper mode)."""
    if source == "warehouse":
        return loaders.commune_summary(con)
    if source == "released":
        return released_summary()
    raise ValueError(f"source must be one of {SOURCES}, not {source!r}")


def search_trends_for(con: duckdb.DuckDBPyConnection, source: str) -> pd.DataFrame:
    """The wide Google Trends table: region_search_trends (warehouse) or the vendored release export (paper mode)."""
    if source == "warehouse":
        return wide_search_terms(loaders.search_trends(con))
    if source == "released":
        return read_gtrends_csv(reference_dir() / "study_release" / "intial_anaysis_gtrends.csv")
    raise ValueError(f"source must be one of {SOURCES}, not {source!r}")


class Attempts:
    """The tables computed so far and the log of those the sample is too small for (analysis_not_computed)."""

    def __init__(self) -> None:
        self.tables: dict[str, pd.DataFrame] = {}
        self.log: list[dict[str, object]] = []
        self.reasons: dict[str, NotComputed] = {}

    def run(self, names: Sequence[str], compute: Callable[[], dict[str, pd.DataFrame]]) -> None:
        """Add the tables `compute` returns; on NotComputed, log each of `names` with the reason and go on."""
        try:
            self.tables.update(compute())
        except NotComputed as skipped:
            self.skip(names, skipped)

    def skip(self, names: Sequence[str], skipped: NotComputed, statistic: str = "") -> None:
        """Log tables (or one statistic of a table) not computed."""
        for name in names:
            self.log.append(log_row(name, statistic, skipped))
            self.reasons.setdefault(name, skipped)

    def needs(self, name: str, what: str) -> None:
        """NotComputed when table `name`, which `what` needs, was not computed (the reason carried along)."""
        if name not in self.tables:
            reason = self.reasons.get(name)
            detail = f"{what} needs analysis_{name}, " + (reason.reason if reason else "not computed")
            raise NotComputed(what, reason.n if reason else 0, reason.minimum if reason else 1, detail=detail)


def table1_table2(summary: pd.DataFrame, attempts: Attempts | None = None) -> dict[str, pd.DataFrame]:
    """Table 1 (`correction_factor_summary`, `cpc_range_summary`) and Table 2 (`correlations`, with the
    lagged cpc when `summary` has it, and `dependent_correlation_tests`) from a commune_summary frame.

    With `attempts`, a table the sample is too small for is logged there and left out; without, NotComputed propagates.
    """
    table2 = [*PREDICTORS, *([LAGGED_PREDICTOR] if LAGGED_PREDICTOR in summary else [])]
    steps = [
        ("correction_factor_summary", lambda: correction_factor_summary(summary)),
        ("cpc_range_summary", lambda: cpc_range_summary(summary)),
        ("correlations", lambda: validation_correlations(summary, OUTCOME, table2)),
        ("dependent_correlation_tests", lambda: dependent_correlation_tests(summary, OUTCOME, TARGET, OTHERS)),
    ]
    if attempts is None:
        return {name: compute() for name, compute in steps}
    for name, compute in steps:
        attempts.run([name], lambda compute=compute, name=name: {name: compute()})
    if "correlations" in attempts.tables:
        for row in attempts.tables["correlations"].itertuples(index=False):
            if row.note:
                attempts.log.append({"table_name": "correlations", "statistic": row.predictor, "n": row.n,
                                     "minimum_n": 3, "reason": row.note})
    return {name: attempts.tables[name] for name, _ in steps if name in attempts.tables}


PCA_TABLES = ("pca_loadings", "pca_explained_variance", "pca_region_scores", "pca_department_scores")


def trends_tables(wide: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The Google Trends PCA of the wide search-term table and its department scores."""
    pca = trends_pca(wide)
    return {
        "pca_loadings": pca["loadings"],
        "pca_explained_variance": pca["explained_variance"],
        "pca_region_scores": pca["region_scores"],
        "pca_department_scores": department_scores(pca["region_scores"], load_old_regions()),
    }


def beyond_the_paper(
    con: duckdb.DuckDBPyConnection,
    summary: pd.DataFrame,
    attempts: Attempts,
    replicates: int,
    permutations: int,
    k_nearest: int,
    seed: int,
) -> None:
    """Warehouse only, into `attempts`: Table 3 and its variants, the mixed model, Moran's I and the day-block bootstrap.

    Table 3 and what rests on it need the Google Trends PCA (PC1, PC3 are controls); each model or
    method the sample is too small for is logged and the others go on.
    """
    frame = loaders.commune_summary(con, REGRESSION_COLUMNS)
    scores = attempts.tables.get("pca_department_scores", pd.DataFrame(columns=["department_code", *STUDY_ORIENTATION]))
    data = regression_input(frame, loaders.commune_poi(con, POI), scores)
    attempts.tables["regression_input"] = data

    def regressions() -> dict[str, pd.DataFrame]:
        attempts.needs("pca_department_scores", "Table 3 (PC1 and PC3 are controls)")
        skipped: list[tuple[str, NotComputed]] = []
        table = table3(data, skipped=skipped)
        if table.empty:
            raise skipped[0][1]  # no model at all: logged once, with the main model's reason
        for model, reason in skipped:
            attempts.skip(["regressions"], reason, statistic=f"model {model}")
        return {"regressions": table}

    def mixed() -> dict[str, pd.DataFrame]:
        attempts.needs("pca_department_scores", "the random-intercept model (Table 3's controls)")
        return {"mixed_model": random_intercept_models(data)}

    def morans() -> dict[str, pd.DataFrame]:
        attempts.needs("pca_department_scores", "Moran's I of Table 3's residuals")
        res = residuals(data)
        pairs, centroids = loaders.commune_adjacency(con, sorted(res["commune_code"].unique()))
        return {"morans_i": residual_morans_i(res, pairs, centroids, permutations=permutations, k=k_nearest, seed=seed)}

    attempts.run(["regressions"], regressions)
    attempts.run(["mixed_model"], mixed)
    attempts.run(["morans_i"], morans)
    days = loaders.hour_days(con)
    try:
        check_days(len(days))
    except NotComputed as skipped:
        attempts.skip(["bootstrap_rho", "bootstrap_correlations"], skipped)
        return
    # 'moments': each replicate's correlation from per-(commune, day) sums, equal to `corr` over the drawn
    # days' hours to 1e-9 (tests/test_analysis_beyond.py) and about 30 times faster
    per_replicate = loaders.replicate_commune_stats(con, day_draws(days, replicates, seed), method="moments")
    log_floor = study_parameters(con).log_floor
    attempts.run(["bootstrap_rho"], lambda: {"bootstrap_rho": bootstrap_rho(per_replicate, summary, replicates, log_floor, seed)})

    def boot_table2() -> dict[str, pd.DataFrame]:
        attempts.needs("correlations", "the bootstrap of Table 2")
        return {"bootstrap_correlations": bootstrap_correlations(
            per_replicate, summary, attempts.tables["correlations"], replicates, log_floor, seed)}

    attempts.run(["bootstrap_correlations"], boot_table2)


def analyze_all(
    con: duckdb.DuckDBPyConnection,
    source: str,
    replicates: int = BOOTSTRAP_REPLICATES,
    permutations: int = MORAN_PERMUTATIONS,
    k_nearest: int = K_NEAREST,
    seed: int = SEED,
) -> dict[str, pd.DataFrame]:
    """Every table of the statistical layer from `source` that its sample supports, and `not_computed`.

    Both sources: Table 1 (`correction_factor_summary`, `cpc_range_summary`), Table 2
    (`correlations`, `dependent_correlation_tests`) and the Google Trends PCA (`pca_loadings`,
    `pca_explained_variance`, `pca_region_scores`, `pca_department_scores`). Warehouse only:
    `regression_input`, Table 3 with its robustness variants (`regressions`), the random-intercept
    model (`mixed_model`), Moran's I of the OLS residuals (`morans_i`) and the day-block bootstrap
    (`bootstrap_rho`, `bootstrap_correlations`; `replicates` resampled day sets). A table (or a
    model, a predictor) the sample is too small for is left out and listed in `not_computed`
    (sample_size.COLUMNS: table, statistic, n, the n it needs, the reason); the others are computed.
    """
    summary = summary_for(con, source)
    attempts = Attempts()
    table1_table2(summary, attempts)
    attempts.run(PCA_TABLES, lambda: trends_tables(search_trends_for(con, source)))
    if source == "warehouse":
        beyond_the_paper(con, summary, attempts, replicates, permutations, k_nearest, seed)
    return {**attempts.tables, "not_computed": log_frame(attempts.log)}


def all_parameters(
    source: str,
    replicates: int = BOOTSTRAP_REPLICATES,
    permutations: int = MORAN_PERMUTATIONS,
    k_nearest: int = K_NEAREST,
    seed: int = SEED,
) -> dict[str, Any]:
    """The parameters `analyze_all` used, for the `parameters` column of every stored table."""
    params = default_parameters(source)
    params.update({
        "pca": {"n_components": N_COMPONENTS, "excluded_terms": list(STUDY_EXCLUDED_TERMS), "standardisation_ddof": 0,
                "orientation": {pc: {"anchor_term": term, "loading_sign": sign} for pc, (term, sign) in STUDY_ORIENTATION.items()}},
    })
    if source == "warehouse":
        params.update({
            "regressions": {"controls": list(CONTROLS), "models": [m.name for m in MODELS], "covariance": "HC3",
                            "poi": "standardised over complete cases"},
            "mixed_model": {"groups": "city", "random": "intercept", "fit": "REML"},
            "morans_i": {"neighbours": "ST_Intersects (queen), else k nearest centroids", "k_nearest": k_nearest,
                         "weights": "row-standardised", "permutations": permutations, "seed": seed},
            "bootstrap": {"block": "local calendar day", "replicates": replicates, "seed": seed, "interval": "percentile 95%"},
        })
    return params


RELEASED_SOURCE = "the study's released aggregates (reference/study_release/cpc_com.csv), paper mode"


def data_source_record(con: duckdb.DuckDBPyConnection, source: str) -> dict[str, Any]:
    """Where the analysed data came from: the warehouse's recorded data source, or the release in paper mode."""
    if source == "released":
        return {"recorded": True, "description": RELEASED_SOURCE}
    return as_record(read_data_source(con))


def drop_not_computed(con: duckdb.DuckDBPyConnection, names: Sequence[str]) -> None:
    """Drop analysis_<name> left by an earlier run in the connection's current schema, so no stale table outlives
    a run that could not compute it."""
    schema = con.execute("select current_schema()").fetchone()[0].replace('"', '""')
    for name in names:
        if not name.isidentifier():
            raise ValueError(f"table name {name!r} is not a plain identifier")
        con.execute(f'drop table if exists "{schema}".analysis_{name}')


def analyze_and_store(con: duckdb.DuckDBPyConnection, source: str, **options: Any) -> dict[str, pd.DataFrame]:
    """analyze_all + write_tables: stores analysis_<name> (analysis_released_<name> in paper mode), with the data
    source in the parameters, and drops those of an earlier run this one could not compute; returns the tables."""
    tables = analyze_all(con, source, **options)
    prefix = "" if source == "warehouse" else f"{source}_"
    record = data_source_record(con, source)
    params = {**all_parameters(source, **options), "processing_profile": processing_profile(con, source), "data_source": record}
    skipped = sorted(set(tables["not_computed"]["table_name"]) - set(tables))
    drop_not_computed(con, [prefix + name for name in skipped])
    write_tables(con, {prefix + name: frame for name, frame in tables.items()}, params)
    return tables
