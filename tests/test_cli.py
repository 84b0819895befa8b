"""The CLI answers a user's mistake with one clear line (a traceback only with --debug)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from netmob_tor.cli import main
from netmob_tor.summary import set_aside_line


def test_missing_warehouse_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sql", "--database", str(tmp_path / "none.duckdb"), "select 1"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "database does not exist" in err[0] and "Traceback" not in err[0]


def test_unknown_table_is_one_line_and_debug_raises(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "wh.duckdb"
    duckdb.connect(str(db)).close()
    assert main(["sql", "--database", str(db), "select * from no_such_table"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no_such_table" in err[0]
    with pytest.raises(duckdb.CatalogException):
        main(["sql", "--database", str(db), "select * from no_such_table", "--debug"])


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
