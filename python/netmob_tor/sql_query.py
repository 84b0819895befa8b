"""`netmob-tor sql`: run SQL on the warehouse in a connection where DuckDB itself forbids every change.

The connection (`duck.sandboxed`) is read-only, cannot touch any file, attach a database, install or
load an extension, or change a setting: DuckDB refuses those, not a check of the statement's text.
The statements are split by DuckDB's own parser and run one by one, each result printed in order.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd

from netmob_tor.duck import sandboxed
from netmob_tor.errors import UserError

T = duckdb.StatementType
# What a refused statement of each kind tried to do (the message only; DuckDB is what refuses it).
ATTEMPTS = {
    T.SET: "change a setting", T.VARIABLE_SET: "change a setting", T.PRAGMA: "change a setting",
    T.COPY: "read or write a file", T.EXPORT: "write files", T.COPY_DATABASE: "copy a database",
    T.ATTACH: "attach a database", T.DETACH: "detach a database", T.LOAD: "install or load an extension",
    T.EXTENSION: "install or load an extension",
}
# Statements that cannot succeed on this connection at all, whichever error DuckDB gives first.
NEVER = {T.COPY, T.EXPORT, T.COPY_DATABASE, T.ATTACH, T.DETACH, T.LOAD, T.EXTENSION}
# Statements that read: refused only when they read a file (a staging view over the raw files, read_csv, ...).
READS = {T.SELECT, T.EXPLAIN, T.CALL, T.PREPARE, T.EXECUTE, T.RELATION}
RAW_VIEWS = ("sql reads the warehouse's tables only, not files: this query reads a file (a staging view "
             "over the raw files, or read_csv/read_parquet/...); query such views with `.venv/bin/dbt show --select <model>`, "
             "or with the DuckDB CLI from the project folder")
CHECKPOINT = re.compile(r"\bcheckpoint\b", re.IGNORECASE)
EXAMPLE = "netmob-tor sql \"select commune_name, cpc_per_1000 from commune_summary limit 5\""


def first_line(error: BaseException) -> str:
    """DuckDB's message, first line only."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def refusal(statement: duckdb.Statement, error: duckdb.Error) -> str:
    """One line for a statement DuckDB refused: read-only (and what it tried), a file read, or DuckDB's own error."""
    duck = first_line(error)
    if isinstance(error, duckdb.PermissionException) and statement.type in READS:
        return f"{RAW_VIEWS} (DuckDB: {duck})"
    if isinstance(error, duckdb.PermissionException) or statement.type in NEVER or "read-only" in duck or "has been locked" in duck:
        attempt = ATTEMPTS.get(statement.type, "change the warehouse")
        return f"sql is read-only: DuckDB refused to {attempt} ({duck})"
    return f"{type(error).__name__}: {duck}"


def no_op(statement: duckdb.Statement) -> str | None:
    """Why a statement DuckDB accepts on a read-only database did nothing (CHECKPOINT, VACUUM, ANALYZE), else None."""
    if statement.type == T.CALL and CHECKPOINT.search(statement.query):
        return "sql is read-only: CHECKPOINT did nothing (the warehouse is opened read-only)"
    if statement.type in (T.VACUUM, T.ANALYZE):
        return "sql is read-only: VACUUM/ANALYZE did nothing (the warehouse is opened read-only)"
    return None


def render(con: duckdb.DuckDBPyConnection, statement: duckdb.Statement, max_rows: int) -> str:
    """The statement's result as text: its rows (at most `max_rows`), or what it did when it has no result."""
    if duckdb.ExpectedResultType.QUERY_RESULT not in statement.expected_result_type or con.description is None:
        return f"ok: {statement.type.name} statement done (no result)"
    columns = [d[0] for d in con.description]
    rows = con.fetchmany(max_rows + 1)
    frame = pd.DataFrame(rows[:max_rows], columns=columns)
    if frame.empty:
        return " ".join(columns) + "\n(0 rows)"
    text = frame.to_string(index=False)
    return text + (f"\n(first {max_rows} rows shown; --max-rows to see more)" if len(rows) > max_rows else "")


def one_line(query: str, width: int = 70) -> str:
    """A statement's text on one line, shortened."""
    text = " ".join(query.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def run_sql(database: str | Path, text: str, max_rows: int = 50, out: Callable[[str], None] = print) -> int:
    """Run every statement of `text` in order and print each result; a refused or failing one stops with a UserError."""
    if not text.strip():
        raise UserError(f"the query is empty: give one or more SQL statements, e.g. {EXAMPLE}")
    con = sandboxed(database)
    try:
        statements = con.extract_statements(text)
        if not statements:
            raise UserError(f"the query holds no SQL statement (only comments or semicolons): e.g. {EXAMPLE}")
        many = len(statements) > 1
        for number, statement in enumerate(statements, start=1):
            where = f"statement {number} of {len(statements)}: " if many else ""
            if many:
                out(f"-- statement {number}: {one_line(statement.query)}")
            try:
                con.execute(statement)
            except duckdb.Error as error:
                raise UserError(where + refusal(statement, error)) from error
            nothing = no_op(statement)
            if nothing:
                raise UserError(where + nothing)
            out(render(con, statement, max_rows))
    finally:
        con.close()
    return 0
