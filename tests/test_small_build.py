"""A small build (the real-format fixture: one city, two days, 3 communes with a sexual-violence rate) through
every command: `analyze` says what the sample is too small for and stores the rest; the report survives hostile
commune names; summary, analyze, report and export take the data source from the warehouse (hand-made
main.data_source tables of both kinds)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from conftest import run_dbt
from netmob_tor.cli import main
from netmob_tor.doctor import convert_xlsx
from netmob_tor.duck import connect
from netmob_tor.params import sv_mean_column
from netmob_tor.provenance import NOT_RECORDED, PARQUET_KEY, describe, read_data_source
from netmob_tor.report import build_report
from netmob_tor.report.build import TOC
from test_provenance import data_source_table
from test_report import browser_check, tooltip_rows

FIXTURE = Path(__file__).parent / "fixtures" / "real"
PERIOD = {"study_start": "2019-04-01", "study_end": "2019-04-02"}  # the fixture's two traffic days
# Names that broke the page: an HTML comment opener with a script tag inside the map's <script>, a closing
# tag, JavaScript line separators; and TeX that matplotlib's mathtext cannot parse, for a heatmap title.
HOSTILE = "<!--<script>Alpha</script>\u2028\u2029&amp;"
TEX = r"$\frac$ Beta"


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The real-format fixture built whole over its two days into its own DuckDB (its xlsx converted outside it,
    read through the path vars convert_xlsx gives)."""
    base = tmp_path_factory.mktemp("small")
    root = base / "data"
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns("*.py"))
    converted = {name: str(path) for name, path in convert_xlsx(root, base / "converted").items()}
    db = base / "small.duckdb"
    done = run_dbt(root, db, base, ["fqn:*"], {**PERIOD, **converted})
    assert done.returncode == 0, done.stdout[-4000:]
    return {"db": db, "manifest": base / "target" / "manifest.json", "root": root}


def copy_of(small: dict[str, Path], tmp_path: Path, kind: str | None) -> Path:
    """A private copy of the small warehouse: with its own data_source as the build recorded it (`real`: the fixture
    folder holds no generator marker), a hand-made one (`synthetic`), or none (None)."""
    db = tmp_path / small["db"].name
    shutil.copy(small["db"], db)
    con = duckdb.connect(str(db))
    if kind == "real":
        assert con.execute("select source_kind, data_root from data_source").fetchone() == ("real", str(small["root"]))
    else:
        con.execute("drop table data_source")
        if kind:
            data_source_table(con, kind)
    con.close()
    return db


def spearman_by_hand(x: pd.Series, y: pd.Series) -> float:
    """Spearman's rho of tie-free data: 1 - 6 sum d² / (n (n² - 1))."""
    d = x.rank() - y.rank()
    n = len(x)
    return 1 - 6 * float((d**2).sum()) / (n * (n**2 - 1))


def test_analyze_reports_what_it_cannot_compute(small: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = copy_of(small, tmp_path, "real")
    con = duckdb.connect(str(db))
    con.execute("create table analysis_regressions as select 'stale from an earlier run' as note")
    outcome = sv_mean_column()
    rated = con.execute(f"select {outcome}, log_cpc_per_1000 from commune_summary where is_study_commune "
                        f"and {outcome} is not null and log_cpc_per_1000 is not null").df()
    con.close()
    assert len(rated) == 3  # the fixture's three communes with a rate

    code = main(["analyze", "--database", str(db), "--tables-dir", str(tmp_path / "tables"), "--replicates", "10"])
    out, err = capsys.readouterr()
    assert code == 0 and "Traceback" not in err, err
    assert out.splitlines()[0].startswith(f"data: real files at {small['root']}")  # the build's own record
    assert ("analysis_dependent_correlation_tests: not computed: n = 3 (Williams' t, Steiger's Z and the study's t divide by "
            "n - 3: they need n >= 4 communes") in out
    assert "analysis_pca_loadings: not computed: n = 2 (the Google Trends PCA (3 components) needs n >= 4 regions" in out

    con = duckdb.connect(str(db), read_only=True)
    log = con.execute("select table_name, n, minimum_n from analysis_not_computed where statistic = '' or statistic is null").fetchall()
    assert ("dependent_correlation_tests", 3, 4) in log and ("pca_loadings", 2, 4) in log
    assert {r[0] for r in log} >= {"regressions", "mixed_model", "morans_i"}
    tables = {r[0] for r in con.execute("select table_name from information_schema.tables where table_name like 'analysis_%'").fetchall()}
    assert {"analysis_correction_factor_summary", "analysis_correlations", "analysis_bootstrap_rho"} <= tables
    assert "analysis_regressions" not in tables  # the stale table of an earlier run is gone
    cpc = con.execute("select rho, n from analysis_correlations where predictor = 'log_cpc_per_1000'").fetchone()
    assert cpc == (pytest.approx(spearman_by_hand(rated[outcome], rated["log_cpc_per_1000"]), abs=1e-12), 3)
    params = json.loads(con.execute("select parameters from analysis_correlations limit 1").fetchone()[0])
    assert params["data_source"]["source_kind"] == "real" and params["data_source"]["description"].startswith("real files at")
    con.close()


def test_summary_starts_with_the_warehouse_source(small: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for kind, first in (("synthetic", "data: synthetic data (netmob-tor generate, seed 20190316, scale 20, targets release)"),
                        ("real", f"data: real files at {small['root']}"), (None, NOT_RECORDED)):
        folder = tmp_path / str(kind)
        folder.mkdir()
        assert main(["summary", "--database", str(copy_of(small, folder, kind))]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert lines[0].startswith(first), lines[0]
        assert ("not real traffic" in lines[0]) == (kind == "synthetic")


def test_export_carries_the_source(small: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = copy_of(small, tmp_path, "synthetic")
    release, parquet = tmp_path / "release", tmp_path / "parquet"
    code = main(["export", "--database", str(db), "--release", str(release), "--parquet", str(parquet), "--manifest", str(small["manifest"])])
    assert code == 0, capsys.readouterr().err
    con = duckdb.connect(str(db), read_only=True)
    sentence = describe(read_data_source(con))
    con.close()
    assert sentence.startswith("synthetic data (netmob-tor generate")
    for note in ("DATA_DICTIONARY.md", "DIFF_SUMMARY.md"):
        assert f"Data source: {sentence}." in (release / note).read_text()
    files = sorted(parquet.glob("*.parquet"))
    assert files
    con = duckdb.connect()
    for path in files:
        kv = {k.decode(): v.decode() for k, v in con.execute("select key, value from parquet_kv_metadata(?)", [str(path)]).fetchall()}
        record = json.loads(kv[PARQUET_KEY])
        assert record["source_kind"] == "synthetic" and record["generator_seed"] == 20190316 and record["description"] == sentence
    con.close()


def test_report_with_hostile_names(small: dict[str, Path], tmp_path: Path) -> None:
    """A name that opens an HTML comment and a script inside the map's <script>, and a TeX name in a heatmap title:
    every section is still there, the map shows both names as written, the heatmaps are drawn."""
    db = copy_of(small, tmp_path, "synthetic")
    con = duckdb.connect(str(db))
    top = con.execute("select commune_code from heatmap_weekday_hour where scope_rank = 1 limit 1").fetchone()[0]
    other = con.execute("select commune_code from commune_summary where is_study_commune and commune_code <> ? "
                        "order by commune_code limit 1", [top]).fetchone()[0]
    for table in ("commune_summary", "heatmap_weekday_hour"):
        con.execute(f"update {table} set commune_name = ? where commune_code = ?", [TEX, top])
        con.execute(f"update {table} set commune_name = ? where commune_code = ?", [HOSTILE, other])
    con.close()
    con = connect(db, read_only=True)
    page = build_report(con, tmp_path / "report")
    con.close()
    text = page.read_text(encoding="utf-8")
    assert "could not be rendered" not in text
    assert len(re.findall(r"<section id=", text)) == len(TOC) + 1
    seen = browser_check(page, tmp_path / "profile")
    assert seen["sections"] == ["caution", *[anchor for anchor, _ in TOC]]
    assert "Data source: synthetic data (netmob-tor generate, seed 20190316" in seen["text"] and "not real traffic" in seen["text"]
    assert any("/heatmap_top_cpc_1" in i["src"] and i["ok"] for i in seen["images"])
    assert f"{TEX} ({top})" in seen["text"]  # the heatmap's caption, as written
    rows = {r["Code"]: r for r in map(tooltip_rows, seen["map"]["first"]["hovered"])}
    assert rows[other]["Commune"] == HOSTILE and rows[top]["Commune"] == TEX  # pointing at them shows them as written


def test_report_names_the_real_folder_the_warehouse_was_built_from(small: dict[str, Path], tmp_path: Path) -> None:
    """The report of a build on the real-format fixture names that folder as its source (from the warehouse's
    data_source, written by the build), with no synthetic caveat."""
    db = copy_of(small, tmp_path, "real")
    con = connect(db, read_only=True)
    text = build_report(con, tmp_path / "report").read_text(encoding="utf-8")
    con.close()
    assert f"Data source: <strong id=\"data-source\">real files at {small['root']}" in text
    assert "not real traffic" not in text
