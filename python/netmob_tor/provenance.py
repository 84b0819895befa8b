"""Where a warehouse's data came from, as its build recorded it (audit table `main.data_source`).

Every output (summary, analyze, report, export) takes the source from the warehouse, never from a
command-line folder: a warehouse built on real files says so wherever it is read.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

import duckdb

from netmob_tor.errors import UserError

TABLE = "data_source"
NOT_RECORDED = "data source not recorded in this warehouse (built before provenance was recorded): rebuild"
SYNTHETIC = "synthetic"
PARQUET_KEY = "netmob_tor_data_source"


@dataclasses.dataclass(frozen=True)
class DataSource:
    """The one row of main.data_source: the folder a build read, its kind, and what it held."""

    data_root: str
    source_kind: str
    generator_seed: int | None
    generator_scale: str | None
    generator_targets: str | None
    n_files: int
    n_bytes: int
    n_traffic_files: int
    traffic_bytes: int
    first_day: dt.date | None
    last_day: dt.date | None
    fingerprint: str
    recorded_at: dt.datetime | None
    dbt_invocation_id: str | None

    @property
    def is_synthetic(self) -> bool:
        """True when the folder held the generator's marker file (netmob-tor generate wrote it)."""
        return self.source_kind == SYNTHETIC


COLUMNS = tuple(f.name for f in dataclasses.fields(DataSource))


def read_data_source(con: duckdb.DuckDBPyConnection) -> DataSource | None:
    """The warehouse's recorded data source, None when the table is absent (a warehouse built before it existed).

    Read from the `main` schema of the connection's database whatever schema the connection uses. A table
    that is there but not one row with the expected columns is a UserError.
    """
    database = con.execute("select current_database()").fetchone()[0]
    found = con.execute("select count(*) from information_schema.tables where table_catalog = ? and table_schema = 'main' "
                        "and table_name = ?", [database, TABLE]).fetchone()[0]
    if not found:
        return None
    relation = f'"{database.replace(chr(34), chr(34) * 2)}".main.{TABLE}'
    present = [r[0] for r in con.execute(f"describe {relation}").fetchall()]
    missing = [c for c in COLUMNS if c not in present]
    if missing:
        raise UserError(f"main.{TABLE} lacks the columns {', '.join(missing)}: rebuild the warehouse (make build)")
    rows = con.execute(f"select {', '.join(COLUMNS)} from {relation}").fetchall()
    if len(rows) != 1:
        raise UserError(f"main.{TABLE} holds {len(rows)} rows, one expected: rebuild the warehouse (make build)")
    return DataSource(*rows[0])


def size(n_bytes: int) -> str:
    """A byte count as people read it: kB below 1 MB, MB below 1 GB, then GB (decimal units)."""
    if n_bytes < 1e6:
        return f"{n_bytes / 1e3:,.0f} kB"
    if n_bytes < 1e9:
        return f"{n_bytes / 1e6:,.0f} MB"
    return f"{n_bytes / 1e9:,.1f} GB"


def _days(ds: DataSource) -> str:
    """The traffic days landed, as a range."""
    if ds.first_day is None or ds.last_day is None:
        return "no traffic day"
    return f"traffic {ds.first_day}" if ds.first_day == ds.last_day else f"traffic {ds.first_day} to {ds.last_day}"


def describe(ds: DataSource | None) -> str:
    """One neutral sentence: which data, how many files and bytes, which days, where, and a short fingerprint."""
    if ds is None:
        return NOT_RECORDED
    held = f"{ds.n_files:,} files, {size(ds.n_bytes)}, {_days(ds)}"
    if ds.is_synthetic:
        return (f"synthetic data (netmob-tor generate, seed {ds.generator_seed}, scale {ds.generator_scale}, "
                f"targets {ds.generator_targets}): {held}, at {ds.data_root}; fingerprint {ds.fingerprint[:8]}")
    return f"real files at {ds.data_root}: {held}; fingerprint {ds.fingerprint[:8]}"


def caveat(ds: DataSource | None) -> str:
    """What the figures are worth given the source: synthetic data are not real traffic; empty for real files."""
    if ds is None:
        return "Whether these figures come from real or synthetic data is not recorded in this warehouse."
    if not ds.is_synthetic:
        return ""
    if ds.generator_targets == "release":
        return ("These are synthetic data, calibrated to the study's released aggregates, not real traffic: "
                "the figures are illustrative.")
    return "These are synthetic data with random targets (uncalibrated), not real traffic: the figures are illustrative."


def source_line(ds: DataSource | None) -> str:
    """The line `summary` and `analyze` open with: the source in words and, for synthetic data, its caveat."""
    if ds is None:
        return NOT_RECORDED + "."
    return " ".join(filter(None, [f"data: {describe(ds)}.", caveat(ds)]))


def as_record(ds: DataSource | None) -> dict[str, Any]:
    """The source as JSON-ready values with its description, for stored parameters and file metadata."""
    if ds is None:
        return {"recorded": False, "description": NOT_RECORDED}
    values = {k: v.isoformat() if isinstance(v, dt.date | dt.datetime) else v for k, v in dataclasses.asdict(ds).items()}
    return {"recorded": True, "description": describe(ds), **values}


def as_json(ds: DataSource | None) -> str:
    """as_record as one JSON text (the Parquet key-value metadata value)."""
    return json.dumps(as_record(ds), sort_keys=True, ensure_ascii=False)
