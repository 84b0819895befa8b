"""What the report may show of the warehouse's tables (the reads themselves are in netmob_tor.loaders)."""

from __future__ import annotations

import json
import math

import pandas as pd

# Columns never shown: run bookkeeping (the header names the processing profile) and anything that could
# locate a tile or a point.
HIDDEN_COLUMNS = {"run_at", "parameters", "seed", "processing_profile"}
FORBIDDEN_COLUMN_PARTS = ("tile", "geom", "lon", "lat", "coord", "centroid", "wkb")


def displayable(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame without bookkeeping columns and without any tile or coordinate column."""
    keep = [
        c for c in frame.columns
        if c not in HIDDEN_COLUMNS and not any(part in c.lower() for part in FORBIDDEN_COLUMN_PARTS)
    ]
    return frame[keep]


def analysis_run_info(tables: dict[str, pd.DataFrame]) -> dict[str, str]:
    """When the analysis ran and on which source, from the bookkeeping columns of any analysis table."""
    for frame in tables.values():
        if len(frame) and "parameters" in frame.columns:
            params = json.loads(frame["parameters"].iloc[0])
            return {"run_at": str(frame["run_at"].iloc[0])[:19], "source": str(params.get("source", "?"))}
    return {}


def colour_range(values: pd.Series) -> tuple[float, float]:
    """The one log colour scale of every cpc map (static and interactive): the smallest and largest positive value
    over all study communes, at least a decade apart (1 to 10 when no value is positive)."""
    positive = pd.to_numeric(values, errors="coerce")
    positive = positive[(positive > 0) & positive.map(math.isfinite)]
    low = float(positive.min()) if len(positive) else 1.0
    high = float(positive.max()) if len(positive) else 10.0
    return low, max(high, low * 10)
