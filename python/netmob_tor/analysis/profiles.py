"""The processing profiles side by side: Table 2 and Table 1's c row of each profile built in the
warehouse, beside the published figures. Exploratory area-level associations, no individual or
causal meaning."""

from __future__ import annotations

import duckdb
import pandas as pd

from netmob_tor import loaders, published

TABLE1_C_STATS = ("mean", "std", "min", "p25", "p50", "p75", "max")


def profile_figures(table2: pd.DataFrame, c_row: pd.DataFrame) -> pd.Series:
    """One profile's Table 2 rho (with its n) and Table 1 c row, from its analysis_correlations and the
    `c` row of its analysis_correction_factor_summary (loaders.profile_analysis)."""
    figures = {f"Table 2 {row.predictor}": row.rho for row in table2.itertuples()}
    figures["Table 2 n"] = float(table2["n"].max())
    for stat in TABLE1_C_STATS:
        figures[f"Table 1 c {stat}"] = float(c_row[stat].iloc[0])
    figures["Table 1 communes floored"] = float(c_row["n_floored"].iloc[0])
    return pd.Series(figures)


def published_figures() -> pd.Series:
    """The same figures as published (Table 2, results text, Table 1)."""
    figures = {f"Table 2 {k}": rho for k, (rho, _) in published.TABLE2.items()}
    figures["Table 2 log_cpc_tor_lagged_per_1000"] = published.TABLE2_CPC_TOR_LAGGED
    figures["Table 2 n"] = published.TABLE2_N
    figures.update({f"Table 1 c {k}": v for k, v in published.TABLE1_C.items()})
    figures["Table 1 communes floored"] = published.N_FLOORED
    return pd.Series(figures)


def preprint_published_figures() -> pd.Series:
    """The figures the preprint published for its variant (Table 2 cpc, its lagged version, mean c)."""
    return pd.Series({
        "Table 2 log_cpc_per_1000": published.PREPRINT_TABLE2_CPC,
        "Table 2 log_cpc_tor_lagged_per_1000": published.PREPRINT_TABLE2_CPC_TOR_LAGGED,
        "Table 1 c mean": published.PREPRINT_MEAN_C,
    })


def column_label(schema: str, profile: str) -> str:
    """A profile's column heading: the main schema's profile name, else the schema's suffix (`main_preprint` -> `preprint`)."""
    return profile if schema == "main" else schema.removeprefix("main_")


def compare_profiles(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per figure: the published values (paper, then preprint), then one column per profile built
    (`<label> (<schema>: <profile>)`)."""
    columns = {"published": published_figures(), "preprint published": preprint_published_figures()}
    for schema, profile in loaders.analysed_profiles(con).items():
        columns[f"{column_label(schema, profile)} ({schema}: {profile})"] = profile_figures(*loaders.profile_analysis(con, schema))
    table = pd.DataFrame(columns).reindex(published_figures().index)
    table.index.name = "figure"
    return table.reset_index()


def format_comparison(table: pd.DataFrame) -> str:
    """The comparison as plain text, 4 decimals (3 for Table 2 correlations, integers for counts)."""
    lines = ["Processing profiles side by side (exploratory area-level associations; no individual or causal meaning)"]
    values = table.set_index("figure")
    width = max(len(f) for f in values.index) + 2
    heads = [c.split(" (")[0] for c in values.columns]
    cell = max(16, *(len(h) + 2 for h in heads))
    lines.append(f"{'':<{width}}" + "".join(f"{h:>{cell}}" for h in heads))
    for figure, row in values.iterrows():
        decimals = 0 if figure.endswith((" n", "floored")) else (3 if figure.startswith("Table 2") else 4)
        cells = "".join(f"{'':>{cell}}" if pd.isna(v) else f"{v:>{cell}.{decimals}f}" for v in row)
        lines.append(f"{figure:<{width}}{cells}")
    lines.append("Columns: " + "; ".join(values.columns) + ".")
    lines.append("On the embedded synthetic data only the study profile's commune totals and rho are calibrated to the release; "
                 "the lagged and preprint correlations are not, so those rows and the other columns illustrate how each "
                 "choice moves the figures, they do not reproduce the papers.")
    return "\n".join(lines)
