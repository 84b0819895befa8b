"""Compare two built warehouses table by table: rows of each shared table EXCEPT ALL the other's, both ways.

Usage: python tests/compare_warehouses.py OLD.duckdb NEW.duckdb [--tables commune_summary,...]
                                          [--rename old_column=new_column ...]
Compares the columns the two tables share (by name, in the old table's order; load times left out) and prints, per
schema.table, the row counts, the columns only one side has, and the rows in one but not the other.
Exits 1 when any shared table differs. Used to show that a refactoring left every mart unchanged.
"""

from __future__ import annotations

import argparse
import sys

import duckdb

SKIP_TYPES = ("GEOMETRY",)
# When and from which file version a row was loaded: they change with every regeneration of the data.
LOAD_METADATA = ("loaded_at", "source_modified")


def tables(con: duckdb.DuckDBPyConnection, catalog: str) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """(schema, table) -> [(column, type)] of every base table in `catalog`."""
    rows = con.execute(
        "select c.table_schema, c.table_name, c.column_name, c.data_type from information_schema.columns c "
        "join information_schema.tables t using (table_catalog, table_schema, table_name) "
        "where c.table_catalog = ? and t.table_type = 'BASE TABLE' "
        "order by c.table_schema, c.table_name, c.ordinal_position", [catalog]
    ).fetchall()
    out: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for schema, table, column, dtype in rows:
        out.setdefault((schema, table), []).append((column, dtype))
    return out


def compare(old: str, new: str, only: set[str] | None, renamed: dict[str, str] | None = None) -> int:
    """Print the comparison; the number of differing tables."""
    con = duckdb.connect()
    con.execute(f"attach '{old}' as old (read_only)")
    con.execute(f"attach '{new}' as new (read_only)")
    old_tables, new_tables = tables(con, "old"), tables(con, "new")
    differing = 0
    for key in sorted(old_tables):
        schema, table = key
        if only and table not in only or schema.endswith("dbt_test__audit"):
            continue  # the tests' stored failing rows are not the warehouse's data
        if key not in new_tables:
            print(f"DIFFERENT {schema}.{table}: only in the old warehouse")
            differing += 1
            continue
        new_cols = dict(new_tables[key])
        renamed = renamed or {}
        as_new = {c: renamed.get(c, c) for c, _ in old_tables[key]}
        shared = [c for c, t in old_tables[key]
                  if as_new[c] in new_cols and not t.startswith(SKIP_TYPES) and c not in LOAD_METADATA]
        gone = [c for c, _ in old_tables[key] if as_new[c] not in new_cols]
        added = [c for c in new_cols if c not in as_new.values()]
        quoted = chr(34) + "{}" + chr(34)
        a = f'select {", ".join(quoted.format(c) for c in shared)} from old."{schema}"."{table}"'
        b = f'select {", ".join(quoted.format(as_new[c]) for c in shared)} from new."{schema}"."{table}"'
        n_old = con.execute(f"select count(*) from ({a})").fetchone()[0]
        n_new = con.execute(f"select count(*) from ({b})").fetchone()[0]
        only_old = con.execute(f"select count(*) from ({a} except all {b})").fetchone()[0]
        only_new = con.execute(f"select count(*) from ({b} except all {a})").fetchone()[0]
        same = only_old == 0 and only_new == 0 and not gone
        differing += not same
        note = (f" columns gone: {gone}" if gone else "") + (f" columns added: {added}" if added else "")
        print(f"{'same' if same else 'DIFFERENT'} {schema}.{table}: {n_old} / {n_new} rows, "
              f"{only_old} only old, {only_new} only new, {len(shared)} columns compared.{note}")
    for key in sorted(set(new_tables) - set(old_tables)):
        if (not only or key[1] in only) and not key[0].endswith("dbt_test__audit"):
            print(f"new table {key[0]}.{key[1]}")
    return differing


def main() -> None:
    """Command line: exit 1 when a shared table differs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--tables", help="comma-separated table names (default: all)")
    parser.add_argument("--rename", action="append", default=[], metavar="OLD=NEW", help="a column renamed in the new warehouse")
    args = parser.parse_args()
    only = set(args.tables.split(",")) if args.tables else None
    renamed = dict(pair.split("=", 1) for pair in args.rename)
    sys.exit(1 if compare(args.old, args.new, only, renamed) else 0)


if __name__ == "__main__":
    main()
