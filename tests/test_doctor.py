"""netmob-tor doctor: a good real-format folder passes; each breakage is reported with a fix and exit code 1."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from netmob_tor.doctor import convert_xlsx, doctor, main_doctor, parse_days

FIXTURE = Path(__file__).parent / "fixtures" / "real"
DAYS = "2019-04-01:2019-04-02"


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    """A writable copy of the real-format fixture folder, xlsx converted."""
    root = tmp_path / "data"
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns("*.py"))
    convert_xlsx(root)
    return root


def problems(root: Path) -> dict[str, str]:
    """input -> status of the problem findings."""
    return {f.input: f.status for f in doctor(root, parse_days(DAYS)) if f.is_problem}


def test_good_folder_has_no_problem(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert problems(folder) == {}
    assert main_doctor(["--data-root", str(folder), "--days", DAYS]) == 0
    out = capsys.readouterr().out
    assert "Dijon" in out and "0 problem(s)" in out


def test_xlsx_without_csv_asks_for_conversion(folder: Path) -> None:
    (folder / "insee" / "indicateurs_communes.csv").unlink()
    finding = next(f for f in doctor(folder, parse_days(DAYS)) if f.is_problem)
    assert finding.status == "missing" and "--convert-xlsx" in finding.fix
    assert main_doctor(["--data-root", str(folder), "--days", DAYS, "--convert-xlsx"]) == 0


def test_each_breakage_is_reported(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.rmtree(folder / "Dijon" / "Tor" / "20190402")  # a missing day
    bad = folder / "Dijon" / "YouTube" / "20190401" / "Dijon_YouTube_20190401_DL.txt"
    lines = bad.read_text().splitlines()
    bad.write_text("\n".join([" ".join(lines[0].split()[:50])] + lines[1:]) + "\n")  # truncated line
    (folder / "communes" / "COMMUNE.dbf").unlink()
    ssmsi = next((folder / "ssmsi").glob("*.csv"))
    ssmsi.unlink()
    (folder / "insee" / "pauvrete_epci.csv").write_text("Code;Taux\n242100410;14.2\n")
    (folder / "grid" / "Dijon.geojson").unlink()
    found = problems(folder)
    assert found == {
        "traffic Dijon/Tor": "missing",
        "traffic Dijon/YouTube": "malformed",
        "communes": "malformed",
        "ssmsi crime": "missing",
        "insee EPCI poverty rate 2020": "malformed",
        "grid Dijon": "missing",
    }
    assert main_doctor(["--data-root", str(folder), "--days", DAYS]) == 1
    out = capsys.readouterr().out
    assert out.count("fix:") >= len(found)
    assert "2019-04-02" in out and "line 1: 49 values, 96 expected" in out


def test_missing_folder() -> None:
    assert [f.status for f in doctor(Path("/nonexistent/netmob"))] == ["missing"]


def test_latin1_ssmsi_doctor_and_build_agree(folder: Path, tmp_path: Path) -> None:
    """An SSMSI file saved in Latin-1: doctor says it is read as such, and the build reads it, accents intact."""
    from conftest import run_dbt
    from netmob_tor.duck import connect

    path = next((folder / "ssmsi").glob("*.csv"))
    path.write_bytes(path.read_text(encoding="utf-8").encode("latin-1"))
    finding = next(f for f in doctor(folder, parse_days(DAYS)) if f.input == "ssmsi crime")
    assert finding.status == "ok" and "Latin-1, read as such" in finding.message
    db = tmp_path / "wh.duckdb"
    run = run_dbt(folder, db, tmp_path, ["+stg_ssmsi__commune_crime"], {})
    assert run.returncode == 0, run.stdout[-3000:]
    con = connect(db, read_only=True)
    indicators = {r[0] for r in con.execute("select distinct indicator from stg_ssmsi__commune_crime").fetchall()}
    rejected = con.execute("select count(*) from base_ssmsi__commune_crime where rejection_reason is not null").fetchone()[0]
    con.close()
    assert "Usage de stupéfiants" in indicators and rejected == 0
