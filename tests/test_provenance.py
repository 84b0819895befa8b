"""The data source comes from the warehouse (main.data_source), whatever folder a command is given: hand-made
tables of both kinds (synthetic, real) give the sentences worked out here, and a malformed table is one line."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from netmob_tor.errors import UserError
from netmob_tor.provenance import NOT_RECORDED, as_json, caveat, describe, read_data_source, size

# The contract of main.data_source (written by the build), one row.
DDL = """create table main.data_source (data_root varchar, source_kind varchar, generator_seed bigint, generator_scale varchar,
    generator_targets varchar, n_files bigint, n_bytes bigint, n_traffic_files bigint, traffic_bytes bigint, first_day date,
    last_day date, fingerprint varchar, recorded_at timestamp, dbt_invocation_id varchar)"""
SYNTHETIC = ("/data/embedded", "synthetic", 20190316, "20", "release", 4653, 47_212_345, 4620, 46_000_000,
             "2019-03-16", "2019-05-31", "3f2a9c1e77d0aa", "2024-01-02 03:04:05", "abc-123")
REAL = ("/mnt/netmob", "real", None, None, None, 12, 1_500_000_000, 6, 1_400_000_000,
        "2019-04-01", "2019-04-02", "00ff11ee22dd", "2024-01-02 03:04:05", "def-456")


def with_source(row: tuple | None, database: str = ":memory:") -> duckdb.DuckDBPyConnection:
    """A connection whose main schema holds a data_source table with `row` (no table when None)."""
    con = duckdb.connect(database)
    if row is not None:
        con.execute(DDL)
        con.execute(f"insert into main.data_source values ({', '.join('?' * len(row))})", list(row))
    return con


def data_source_table(con: duckdb.DuckDBPyConnection, kind: str) -> None:
    """Add a hand-made main.data_source of `kind` ('synthetic' or 'real') to a warehouse (tests of other modules)."""
    con.execute(DDL)
    row = SYNTHETIC if kind == "synthetic" else REAL
    con.execute(f"insert into main.data_source values ({', '.join('?' * len(row))})", list(row))


def test_synthetic_sentence() -> None:
    ds = read_data_source(with_source(SYNTHETIC))
    assert ds.is_synthetic and ds.generator_seed == 20190316
    assert describe(ds) == ("synthetic data (netmob-tor generate, seed 20190316, scale 20, targets release): 4,653 files, 47 MB, "
                            "traffic 2019-03-16 to 2019-05-31, at /data/embedded; fingerprint 3f2a9c1e")
    assert "not real traffic" in caveat(ds)


def test_real_sentence() -> None:
    ds = read_data_source(with_source(REAL))
    assert not ds.is_synthetic
    assert describe(ds) == "real files at /mnt/netmob: 12 files, 1.5 GB, traffic 2019-04-01 to 2019-04-02; fingerprint 00ff11ee"
    assert caveat(ds) == ""


def test_absent_table_is_none_and_says_rebuild() -> None:
    assert read_data_source(with_source(None)) is None
    assert describe(None) == NOT_RECORDED and NOT_RECORDED.endswith("rebuild")
    assert json.loads(as_json(None)) == {"recorded": False, "description": NOT_RECORDED}


def test_read_from_main_whatever_the_schema(tmp_path: Path) -> None:
    """A connection pointed at another profile's schema still reads main.data_source, not a table of that name elsewhere."""
    con = with_source(SYNTHETIC, str(tmp_path / "wh.duckdb"))
    con.execute("create schema main_corrected")
    con.execute("create table main_corrected.data_source as select 'decoy' as data_root")
    con.execute("use main_corrected")
    assert read_data_source(con).data_root == "/data/embedded"


def test_malformed_table_is_a_user_error() -> None:
    con = with_source(SYNTHETIC)
    con.execute("insert into main.data_source select * from main.data_source")
    with pytest.raises(UserError, match="holds 2 rows, one expected"):
        read_data_source(con)
    con = duckdb.connect()
    con.execute("create table data_source as select 'x' as data_root")
    with pytest.raises(UserError, match="lacks the columns source_kind"):
        read_data_source(con)


def test_record_is_json_with_dates() -> None:
    record = json.loads(as_json(read_data_source(with_source(REAL))))
    assert record["recorded"] and record["first_day"] == "2019-04-01" and record["source_kind"] == "real"
    assert record["description"].startswith("real files at /mnt/netmob")


def test_sizes() -> None:
    assert [size(n) for n in (999, 47_212_345, 1_500_000_000)] == ["1 kB", "47 MB", "1.5 GB"]
