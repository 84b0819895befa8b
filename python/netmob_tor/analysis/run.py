"""Run the statistical layer on the warehouse or the released aggregates and store its tables in DuckDB.

The warehouse's inputs come from `netmob_tor.loaders` (marts only); every function called here on
them takes DataFrames and returns DataFrames.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import duckdb
import pandas as pd

from netmob_tor import CAUTION, loaders
from netmob_tor.analysis.bootstrap import bootstrap_tables, day_draws
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
from netmob_tor.analysis.spatial import residual_morans_i
from netmob_tor.params import study_parameters
from netmob_tor.paths import reference_dir

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


def table1_table2(summary: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Table 1 (`correction_factor_summary`, `cpc_range_summary`) and Table 2 (`correlations`, with the
    lagged cpc when `summary` has it, and `dependent_correlation_tests`) from a commune_summary frame."""
    table2 = [*PREDICTORS, *([LAGGED_PREDICTOR] if LAGGED_PREDICTOR in summary else [])]
    return {
        "correction_factor_summary": correction_factor_summary(summary),
        "cpc_range_summary": cpc_range_summary(summary),
        "correlations": validation_correlations(summary, OUTCOME, table2),
        "dependent_correlation_tests": dependent_correlation_tests(summary, OUTCOME, TARGET, OTHERS),
    }


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
    tables: dict[str, pd.DataFrame],
    replicates: int,
    permutations: int,
    k_nearest: int,
    seed: int,
) -> dict[str, pd.DataFrame]:
    """Warehouse only: Table 3 and its variants, the mixed model, Moran's I and the day-block bootstrap."""
    frame = loaders.commune_summary(con, REGRESSION_COLUMNS)
    data = regression_input(frame, loaders.commune_poi(con, POI), tables["pca_department_scores"])
    res = residuals(data)
    pairs, centroids = loaders.commune_adjacency(con, sorted(res["commune_code"].unique()))
    per_replicate = loaders.replicate_commune_stats(con, day_draws(loaders.hour_days(con), replicates, seed))
    return {
        "regression_input": data,
        "regressions": table3(data),
        "mixed_model": random_intercept_models(data),
        "morans_i": residual_morans_i(res, pairs, centroids, permutations=permutations, k=k_nearest, seed=seed),
        **bootstrap_tables(per_replicate, summary, tables["correlations"], replicates, study_parameters(con).log_floor, seed),
    }


def analyze_all(
    con: duckdb.DuckDBPyConnection,
    source: str,
    replicates: int = BOOTSTRAP_REPLICATES,
    permutations: int = MORAN_PERMUTATIONS,
    k_nearest: int = K_NEAREST,
    seed: int = SEED,
) -> dict[str, pd.DataFrame]:
    """Every table of the statistical layer from `source`.

    Both sources: Table 1 (`correction_factor_summary`, `cpc_range_summary`), Table 2
    (`correlations`, `dependent_correlation_tests`) and the Google Trends PCA (`pca_loadings`,
    `pca_explained_variance`, `pca_region_scores`, `pca_department_scores`). Warehouse only:
    `regression_input`, Table 3 with its robustness variants (`regressions`), the random-intercept
    model (`mixed_model`), Moran's I of the OLS residuals (`morans_i`) and the day-block bootstrap
    (`bootstrap_rho`, `bootstrap_correlations`; `replicates` resampled day sets).
    """
    summary = summary_for(con, source)
    tables = {**table1_table2(summary), **trends_tables(search_trends_for(con, source))}
    if source == "warehouse":
        tables.update(beyond_the_paper(con, summary, tables, replicates, permutations, k_nearest, seed))
    return tables


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


def analyze_and_store(con: duckdb.DuckDBPyConnection, source: str, **options: Any) -> dict[str, pd.DataFrame]:
    """analyze_all + write_tables: stores analysis_<name> (analysis_released_<name> in paper mode); returns the tables."""
    tables = analyze_all(con, source, **options)
    prefix = "" if source == "warehouse" else f"{source}_"
    params = {**all_parameters(source, **options), "processing_profile": processing_profile(con, source)}
    write_tables(con, {prefix + name: frame for name, frame in tables.items()}, params)
    return tables
