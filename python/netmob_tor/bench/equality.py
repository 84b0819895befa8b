"""The one Spark-against-DuckDB equality: a table of each build side by side, and the largest gap per column (nulls alike, or no equality).

Used by `netmob-tor bench --target spark` before it writes a figure, and by tests/test_spark_target.py on
every mart it compares. Also the bench's tolerance for every "equal" it checks (rho, the baseline's passes).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from netmob_tor.duck import connect

RHO_TOLERANCE = 1e-9


def read_both(duckdb_file: Path, spark_marts: Path, table: str, key: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One table from each build, DuckDB's from its warehouse and Spark's Parquet read by DuckDB, both sorted by `key`."""
    con = connect(duckdb_file, read_only=True)
    try:
        duck = con.execute(f"select * from {table}").df()
        spark = con.execute(f"select * from read_parquet('{spark_marts / table / '*.parquet'}')").df()
    finally:
        con.close()
    return duck.sort_values(key).reset_index(drop=True), spark.sort_values(key).reset_index(drop=True)


def column_gap(duck: pd.Series, spark: pd.Series, relative: bool = False) -> float:
    """Largest difference of two aligned float columns (relative to max(1, |value|) if asked); inf where nulls differ."""
    a, b = duck.astype(float).to_numpy(), spark.astype(float).to_numpy()
    if len(a) != len(b) or not (np.isnan(a) == np.isnan(b)).all():
        return float("inf")
    both = ~np.isnan(a)
    if not both.any():
        return 0.0
    gap = np.abs(a[both] - b[both])
    if relative:
        gap = gap / np.maximum(1.0, np.abs(a[both]))
    return float(gap.max())


def largest_gaps(duck: pd.DataFrame, spark: pd.DataFrame, columns: Iterable[str], relative: bool = False) -> dict[str, float]:
    """column_gap of each of `columns` between two frames aligned row by row (read_both)."""
    return {column: column_gap(duck[column], spark[column], relative) for column in columns}
