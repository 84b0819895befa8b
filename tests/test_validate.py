"""netmob-tor validate: the Great Expectations suite passes on the built warehouse and catches a corrupted copy."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from netmob_tor.paths import default_database
from netmob_tor.validate import StudyBounds, main_validate, validate


@pytest.fixture(scope="module")
def good_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the built warehouse's two marts."""
    source = default_database()
    if not source.exists():
        pytest.fail(f"{source} is missing: run `make build` first")
    path = tmp_path_factory.mktemp("validate") / "good.duckdb"
    con = duckdb.connect(str(path))
    con.execute(f"attach '{source}' as w (read_only)")
    con.execute("create table commune_summary as select * from w.commune_summary")
    con.execute("create table commune_hour as select city, commune_code, hour_start_local, tor_dl, web_adult_dl, "
                "youtube_dl from w.commune_hour")
    con.close()
    return path


def test_good_warehouse_passes_and_results_are_stored(good_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    shutil.copyfile(good_db, db)
    summary = tmp_path / "summary.md"
    assert main_validate(["--database", str(db), "--summary", str(summary)]) == 0
    con = duckdb.connect(str(db), read_only=True)
    stored = con.execute("select count(*), bool_and(success) from validation_results").fetchone()
    con.close()
    assert stored[0] >= 15 and stored[1]
    text = summary.read_text()
    assert "0 failed" in text and "no individual or causal meaning" in text


def test_corrupted_commune_summary_fails_the_targeted_expectations(good_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "broken.duckdb"
    shutil.copyfile(good_db, db)
    con = duckdb.connect(str(db))
    n = con.execute("select count(*) from commune_summary").fetchone()[0]
    # rho out of [-1, 1] for some communes, c above 0.011 x 105/253 for one, sexual-violence rate wiped out,
    # and one commune losing half its hours.
    con.execute("update commune_summary set rho = 1.7 where commune_code in "
                "(select commune_code from commune_summary order by commune_code limit 5)")
    con.execute(f"update commune_summary set c = {StudyBounds().c_max * 2} where commune_code = "
                "(select max(commune_code) from commune_summary)")
    con.execute("update commune_summary set sexual_violence_rate = null")
    con.execute("delete from commune_hour where commune_code = (select min(commune_code) from commune_hour) "
                "and hour(hour_start_local) < 12")
    con.close()
    summary = tmp_path / "broken.md"
    assert main_validate(["--database", str(db), "--summary", str(summary)]) == 1
    results = validate(db, summary)
    failed = set(zip(results.loc[~results["success"], "expectation"], results.loc[~results["success"], "column_name"]))
    assert ("expect_column_values_to_be_between", "rho") in failed
    assert ("expect_column_values_to_be_between", "c") in failed
    assert ("expect_column_mean_to_be_between", "has_sexual_violence_rate_01") in failed
    assert ("expect_column_values_to_be_between", "hour_completeness") in failed
    assert ("expect_column_values_to_be_unique", "commune_code") not in failed
    rho_row = results[(results["expectation"] == "expect_column_values_to_be_between") & (results["column_name"] == "rho")]
    assert int(rho_row["unexpected_count"].iloc[0]) == 5 < n
    assert "**FAIL**" in summary.read_text()
