"""Run the statistical layer on the warehouse or the released aggregates and store its tables in DuckDB."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import duckdb
import pandas as pd

from netmob_tor import CAUTION
from netmob_tor.analysis.correlations import LAGGED_PREDICTOR, OUTCOME, PREDICTORS, validation_correlations
from netmob_tor.analysis.dependent_correlations import OTHERS, TARGET, dependent_correlation_tests
from netmob_tor.analysis.distribution import correction_factor_summary
from netmob_tor.analysis.released import released_summary

SOURCES = ("warehouse", "released")
SUMMARY_COLUMNS = ["commune_code", "rho", "c", "is_rho_floored", OUTCOME, *PREDICTORS]

TABLE2_LABELS = {
    "log_youtube_per_1000": "log_YouTube_per_1000",
    "log_web_adult_per_1000": "log_Web_Adult_per_1000",
    "log_tor_per_1000": "log_Tor_per_1000",
    "log_cpc_per_1000": "log_cpc_per_1000",
    LAGGED_PREDICTOR: "log_cpc_per_1000, Tor lagged 2 h",
}


def load_summary(con: duckdb.DuckDBPyConnection, source: str) -> pd.DataFrame:
    """The commune-level input: table commune_summary from `con`, or the release (paper mode)."""
    if source == "warehouse":
        columns = ", ".join(SUMMARY_COLUMNS)
        return con.execute(f"select {columns} from commune_summary").df()
    if source == "released":
        return released_summary()
    raise ValueError(f"source must be one of {SOURCES}, not {source!r}")


def analyze(con: duckdb.DuckDBPyConnection, source: str) -> dict[str, pd.DataFrame]:
    """Tables 1 and 2 and the dependent-correlation tests from `source` ('warehouse' or 'released')."""
    summary = load_summary(con, source)
    return {
        "correction_factor_summary": correction_factor_summary(summary),
        "correlations": validation_correlations(summary, OUTCOME, PREDICTORS),
        "dependent_correlation_tests": dependent_correlation_tests(summary, OUTCOME, TARGET, OTHERS),
    }


def default_parameters(source: str) -> dict[str, Any]:
    """The parameters `analyze` used, for the `parameters` column of the stored tables."""
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
    return con.execute("select any_value(processing_profile) from commune_summary").fetchone()[0]


def write_tables(con: duckdb.DuckDBPyConnection, tables: dict[str, pd.DataFrame], params: dict[str, Any]) -> None:
    """Replace table analysis_<name> for each frame, adding run_at (UTC), parameters (JSON text) and
    the processing profile the input was built with (params['processing_profile'], when given)."""
    run_at = datetime.now(timezone.utc).replace(tzinfo=None)
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


def format_table2(df: pd.DataFrame) -> str:
    """Table 2 as printed in the paper: variable, Spearman rho (3 decimals), p-value (3 significant digits), n."""
    width = max(len(label) for label in TABLE2_LABELS.values()) + 2
    lines = [f"{'':<{width}}{'rho':>8}{'p-value':>12}{'n':>6}"]
    for row in df.itertuples(index=False):
        label = TABLE2_LABELS.get(row.predictor, row.predictor)
        lines.append(f"{label:<{width}}{row.rho:>8.3f}{row.p_value:>12.2e}{row.n:>6d}")
    lines.append(f"Spearman correlation with {df['outcome'].iloc[0] if len(df) else OUTCOME}. {CAUTION}")
    return "\n".join(lines)


# --- every table: Tables 1-3, robustness, PCA and the beyond-the-paper methods -----------------

# Defaults of the beyond-the-paper methods: 200 day-block replicates run in about 30 s on 2 cores
# on the embedded data (the whole of analyze_all in about 35 s).
BOOTSTRAP_REPLICATES = 200
MORAN_PERMUTATIONS = 999
K_NEAREST = 4
SEED = 20190316


def load_full_summary(con: duckdb.DuckDBPyConnection, source: str) -> pd.DataFrame:
    """Every column of commune_summary (warehouse) or of the released frame (paper mode)."""
    if source == "warehouse":
        return con.execute("select * from commune_summary").df()
    if source == "released":
        return released_summary()
    raise ValueError(f"source must be one of {SOURCES}, not {source!r}")


def load_gtrends(con: duckdb.DuckDBPyConnection, source: str) -> pd.DataFrame:
    """The raw Google Trends table: staging model (warehouse) or the vendored release export (paper mode)."""
    from netmob_tor.analysis.pca import gtrends_from_warehouse, read_gtrends_csv
    from netmob_tor.paths import reference_dir

    if source == "warehouse":
        return gtrends_from_warehouse(con)
    return read_gtrends_csv(reference_dir() / "study_release" / "intial_anaysis_gtrends.csv")


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
    from netmob_tor.analysis.bootstrap import day_block_bootstrap
    from netmob_tor.analysis.distribution import cpc_range_summary
    from netmob_tor.analysis.mixed import random_intercept_models
    from netmob_tor.analysis.pca import department_scores, load_old_regions, trends_pca
    from netmob_tor.analysis.regression_input import load_regression_frames, regression_input
    from netmob_tor.analysis.regressions import residuals, table3
    from netmob_tor.analysis.spatial import residual_morans_i

    summary = load_full_summary(con, source)
    table2 = [*PREDICTORS, *([LAGGED_PREDICTOR] if LAGGED_PREDICTOR in summary else [])]
    tables = {
        "correction_factor_summary": correction_factor_summary(summary),
        "cpc_range_summary": cpc_range_summary(summary),
        "correlations": validation_correlations(summary, OUTCOME, table2),
        "dependent_correlation_tests": dependent_correlation_tests(summary, OUTCOME, TARGET, OTHERS),
    }
    pca = trends_pca(load_gtrends(con, source))
    departments = department_scores(pca["region_scores"], load_old_regions())
    tables.update({
        "pca_loadings": pca["loadings"],
        "pca_explained_variance": pca["explained_variance"],
        "pca_region_scores": pca["region_scores"],
        "pca_department_scores": departments,
    })
    if source == "released":
        return tables
    frame, poi = load_regression_frames(con)
    data = regression_input(frame, poi, departments)
    tables["regression_input"] = data
    tables["regressions"] = table3(data)
    tables["mixed_model"] = random_intercept_models(data)
    tables["morans_i"] = residual_morans_i(con, residuals(data), permutations=permutations, k=k_nearest, seed=seed)
    tables.update(day_block_bootstrap(con, summary, tables["correlations"], replicates=replicates, seed=seed))
    return tables


def all_parameters(
    source: str,
    replicates: int = BOOTSTRAP_REPLICATES,
    permutations: int = MORAN_PERMUTATIONS,
    k_nearest: int = K_NEAREST,
    seed: int = SEED,
) -> dict[str, Any]:
    """The parameters `analyze_all` used, for the `parameters` column of every stored table."""
    from netmob_tor.analysis.pca import N_COMPONENTS, STUDY_EXCLUDED_TERMS, STUDY_ORIENTATION
    from netmob_tor.analysis.regressions import CONTROLS, MODELS

    params = default_parameters(source)
    params.update({
        "pca": {"n_components": N_COMPONENTS, "excluded_terms": list(STUDY_EXCLUDED_TERMS), "standardisation_ddof": 0,
                "orientation": {pc: {"anchor_term": term, "loading_sign": sign} for pc, (term, sign) in STUDY_ORIENTATION.items()}},
    })
    if source == "warehouse":
        params.update({
            "regressions": {"controls": list(CONTROLS), "models": [m.name for m in MODELS], "covariance": "HC3", "poi": "standardised over complete cases"},
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


def format_report(tables: dict[str, pd.DataFrame]) -> str:
    """Every table present in `tables`, in the paper's layout where it has one, as plain text."""
    from netmob_tor.analysis.report import format_report as _format

    return _format(tables)
