"""The CLI answers a user's mistake with one clear line (a traceback only with --debug).

`netmob-tor sql` runs in a connection where DuckDB itself refuses every change: each refused statement
is one line saying so, and the warehouse folder is byte for byte and timestamp for timestamp as it was.
Read commands never create a warehouse; a read-only warehouse folder is named as such.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from netmob_tor.cli import main
from netmob_tor.summary import set_aside_line


def snapshot(root: Path) -> dict[str, tuple]:
    """Every file and folder under `root` (itself included): size, modification time and, for files, SHA-256."""
    out = {".": (root.stat().st_mtime_ns,)}
    for path in sorted(root.rglob("*")):
        stat = path.stat()
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
        out[str(path.relative_to(root))] = (stat.st_size, stat.st_mtime_ns, digest)
    return out


@pytest.fixture
def small(tmp_path: Path) -> dict[str, Path]:
    """A warehouse folder holding one DuckDB file with a table and a view over a raw CSV file kept elsewhere."""
    folder, raw = tmp_path / "warehouse", tmp_path / "raw"
    folder.mkdir()
    raw.mkdir()
    (raw / "rows.csv").write_text("x\n1\n2\n")
    db = folder / "wh.duckdb"
    con = duckdb.connect(str(db))
    con.execute("create table t as select 1 as x")
    con.execute(f"create view raw_rows as select * from read_csv('{raw / 'rows.csv'}')")
    con.close()
    return {"root": tmp_path, "folder": folder, "db": db, "raw": raw}


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, list[str]]:
    """main(argv): exit code, stdout, stderr lines."""
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, [line for line in captured.err.splitlines() if line.strip()]


def refused_statements(small: dict[str, Path]) -> list[str]:
    """Statements that would write a file, attach, load, change a setting, checkpoint or write a table."""
    db, root = small["db"], small["root"]
    return [
        f"copy (select 'gone' as x) to '{db}' (format csv)",   # the issue's own example: overwrite the warehouse
        f"copy t to '{root / 'out.csv'}'",
        f"copy t from '{small['raw'] / 'rows.csv'}'",
        f"export database '{root / 'exported'}'",
        f"attach '{root / 'other.duckdb'}' as other",
        f"attach '{db}' as again (read_write)",
        "attach ':memory:' as scratch",
        "install httpfs",
        "load httpfs",
        "set threads = 1",
        "set enable_external_access = true",
        "set lock_configuration = false",
        "reset memory_limit",
        "pragma threads = 1",
        "checkpoint",
        "force checkpoint",
        "vacuum",
        "insert into t values (2)",
        "update t set x = 3",
        "delete from t",
        "create table u (x integer)",
        "create view w as select 1",
        "drop table t",
        "alter table t add column y integer",
        "comment on table t is 'changed'",
    ]


def test_sql_refuses_every_change_in_one_line_and_changes_no_file(small: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(small["root"])
    for statement in refused_statements(small):
        code, out, err = run(["sql", "--database", str(small["db"]), statement], capsys)
        assert code == 1, f"{statement!r} was not refused: {out}"
        assert len(err) == 1 and "read-only" in err[0] and "Traceback" not in err[0], (statement, err)
        assert snapshot(small["root"]) == before, f"{statement!r} changed a file"
    con = duckdb.connect(str(small["db"]), read_only=True)
    assert con.execute("select * from t").fetchall() == [(1,)]  # the table is as it was
    con.close()


def test_sql_names_raw_reading_views(small: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    """A view that reads a raw file is refused by DuckDB: one line saying sql reads tables only, and what to use."""
    code, _, err = run(["sql", "--database", str(small["db"]), "select count(*) from raw_rows"], capsys)
    assert code == 1 and len(err) == 1
    assert "reads the warehouse's tables only" in err[0] and "dbt show" in err[0] and "DuckDB CLI" in err[0]


def test_sql_prints_each_result_in_order(small: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    db = str(small["db"])
    code, out, err = run(["sql", "--database", db, "select 1 as a; select 2 as b; set variable v = 7; select getvariable('v') as v"], capsys)
    assert code == 0 and not err
    lines = [line.strip() for line in out.splitlines()]
    assert lines == ["-- statement 1: select 1 as a", "a", "1", "-- statement 2: select 2 as b", "b", "2",
                     "-- statement 3: set variable v = 7", "ok: SET statement done (no result)",
                     "-- statement 4: select getvariable('v') as v", "v", "7"]
    code, out, err = run(["sql", "--database", db, "select x from t where false"], capsys)
    assert code == 0 and out.split() == ["x", "(0", "rows)"]
    code, out, _ = run(["sql", "--database", db, "--max-rows", "3", "select * from range(10)"], capsys)
    assert code == 0 and out.split()[:4] == ["range", "0", "1", "2"] and "first 3 rows shown" in out


def test_sql_stops_at_the_first_refused_statement(small: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    out_file = small["root"] / "out.csv"
    code, out, err = run(["sql", "--database", str(small["db"]), f"select 1 as a; copy t to '{out_file}'; select 3 as c"], capsys)
    assert code == 1 and "a\n 1" in out.replace(" a\n", "a\n") and "statement 3" not in out
    assert len(err) == 1 and err[0].startswith("netmob-tor: statement 2 of 3: sql is read-only")
    assert not out_file.exists()


@pytest.mark.parametrize("query", ["", "   ", ";;", "-- only a comment"])
def test_sql_without_a_statement_is_one_line(small: dict[str, Path], capsys: pytest.CaptureFixture[str], query: str) -> None:
    code, out, err = run(["sql", "--database", str(small["db"]), query], capsys)
    assert code == 1 and not out and len(err) == 1 and "SQL statement" in err[0] and "Traceback" not in err[0]


@pytest.mark.parametrize("command", [
    ["sql", "select 1"], ["summary"], ["analyze"], ["report"], ["profiles"], ["export", "--release", "OUT"], ["validate"],
])
def test_read_commands_never_create_a_warehouse(tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    """A mistyped --database: one line naming the path and how to build it; no file appears there."""
    typo = tmp_path / "warehuose" / "netmob_tor.duckdb"
    argv = [a.replace("OUT", str(tmp_path / "out")) for a in command]
    code, _, err = run([*argv, "--database", str(typo)], capsys)
    assert code == 1 and len(err) == 1, err
    assert f"no warehouse at {typo}" in err[0] and "make build" in err[0] and "Traceback" not in err[0]
    assert not typo.exists() and not typo.parent.exists()


def test_missing_marts_are_named(small: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    """A DuckDB file without the marts: one line naming the missing table, not a replacement-scan error."""
    for command in (["summary"], ["analyze", "--tables-dir", str(small["root"] / "tables")], ["export", "--release", str(small["root"] / "out")]):
        code, _, err = run([*command, "--database", str(small["db"])], capsys)
        assert code == 1 and len(err) == 1, err
        assert "has no table commune_summary" in err[0] and "replacement" not in err[0]


def test_unknown_table_is_one_line_and_debug_raises(small: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["sql", "--database", str(small["db"]), "select * from no_such_table"], capsys)
    assert code == 1 and len(err) == 1 and "no_such_table" in err[0]
    with pytest.raises(Exception, match="no_such_table"):
        main(["sql", "--database", str(small["db"]), "select * from no_such_table", "--debug"])


@contextlib.contextmanager
def read_only_folder(folder: Path) -> Iterator[None]:
    """Make `folder` refuse new files, also for root (chattr +i), and restore it."""
    if os.geteuid() == 0:
        done = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot make a folder read-only for root here: {done.stderr.strip()}")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
    else:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)


def test_read_only_warehouse_folder(small: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    """Reads work in a read-only folder; a command that stores tables says the folder is read-only; writing
    a page into a read-only folder is one line naming it."""
    with read_only_folder(small["folder"]):
        before = snapshot(small["folder"])
        code, out, err = run(["sql", "--database", str(small["db"]), "select x from t"], capsys)
        assert code == 0 and out.split() == ["x", "1"] and not err
        for command in (["analyze", "--tables-dir", str(small["root"] / "tables")], ["validate"], ["profiles"]):
            code, _, err = run([*command, "--database", str(small["db"])], capsys)
            assert code == 1 and len(err) == 1, err
            assert f"the warehouse folder {small['folder']} is read-only" in err[0] and "--database" in err[0]
        code, _, err = run(["report", "--database", str(small["db"]), "--out", str(small["folder"] / "report")], capsys)
        assert code == 1 and len(err) == 1 and f"cannot write {small['folder'] / 'report'}" in err[0]
        assert snapshot(small["folder"]) == before


def test_report_without_analysis_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "wh.duckdb"
    duckdb.connect(str(db)).close()
    assert main(["report", "--database", str(db), "--out", str(tmp_path / "report")]) == 1
    assert "run `netmob-tor analyze` first" in capsys.readouterr().err


def test_set_aside_line_names_the_communes() -> None:
    assert "no traffic line" in set_aside_line(0, None)
    many = "; ".join(f"C{i} (2100{i}, 3 lines: negative traffic value)" for i in range(12))
    text = set_aside_line(12, many)
    assert text.startswith("data quality: 12 communes") and "C9 (21009" in text and "C10" not in text and text.endswith("; ...")


def subcommands() -> list[str]:
    """Every subcommand, from the parser itself."""
    from netmob_tor.cli import build_parser

    action = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return sorted(action.choices)


@pytest.mark.parametrize("name", subcommands())
def test_help_describes_every_option_once(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    """`netmob-tor <command> --help`: every option has a description, a default shown once and never `None`,
    required options marked."""
    import re

    try:
        code = main([name, "--help"])
    except SystemExit as done:
        code = done.code
    assert code in (0, None)
    text = capsys.readouterr().out
    assert "(default: None)" not in text and "Traceback" not in text
    entries: list[list[str]] = []
    for line in text.split("options:", 1)[-1].splitlines() if "options:" in text else []:
        if re.match(r"^  -", line):
            entries.append([line])
        elif entries and line.startswith("   "):
            entries[-1].append(line)
    for entry in entries:
        first = re.match(r"^  (-\S.*?)(?:\s{2,}(.*))?$", entry[0])
        described = " ".join([first.group(2) or "", *[line.strip() for line in entry[1:]]]).strip()
        assert described, f"{name}: option without a description: {entry[0].strip()}"
        assert described.count("default") <= 1 or "(default" not in described, f"{name}: {described}"
        assert described.count("(default:") <= 1, f"{name}: default shown twice: {described}"


def test_docs_cli_is_generated_from_the_parser() -> None:
    """docs/cli.md lists every subcommand as the parser holds it (regenerate: python -m netmob_tor.cli_doc > docs/cli.md)."""
    from netmob_tor.cli_doc import commands_markdown
    from netmob_tor.paths import project_root

    assert (project_root() / "docs" / "cli.md").read_text(encoding="utf-8") == commands_markdown()
