"""Run the statistical layer on the warehouse or the released aggregates and store its tables in DuckDB."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import duckdb
import pandas as pd

from netmob_tor import CAUTION
from netmob_tor.analysis.correlations import OUTCOME, PREDICTORS, validation_correlations
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
        "caution": CAUTION,
    }


def write_tables(con: duckdb.DuckDBPyConnection, tables: dict[str, pd.DataFrame], params: dict[str, Any]) -> None:
    """Replace table analysis_<name> for each frame, adding run_at (UTC) and parameters (JSON text)."""
    run_at = datetime.now(timezone.utc).replace(tzinfo=None)
    parameters = json.dumps(params, sort_keys=True, default=str)
    for name, frame in tables.items():
        if not name.isidentifier():
            raise ValueError(f"table name {name!r} is not a plain identifier")
        stored = frame.copy()
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
