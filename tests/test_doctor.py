"""netmob-tor doctor: a good real-format folder passes; each breakage is reported with a fix and exit code 1;
the data folder is never written (xlsx are converted elsewhere and read through path vars); paths outside
the traffic layout are their own finding; every list says how many it leaves out."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import shlex
import shutil
from pathlib import Path
from typing import Any

import pytest

from netmob_tor.cli import main
from netmob_tor.doctor import (
    LAYOUT_FIX,
    Finding,
    check_traffic_lines,
    convert_xlsx,
    doctor,
    layout_problem,
    listed,
    main_doctor,
    parse_days,
    vars_option,
)
from netmob_tor.errors import UserError

FIXTURE = Path(__file__).parent / "fixtures" / "real"
DAYS = "2019-04-01:2019-04-02"
CONVERTED = "insee/indicateurs_communes.csv"  # the fixture's one xlsx (insee/indicateurs_communes.xlsx), converted


def copy_fixture(base: Path) -> Path:
    """A copy of the real-format fixture folder (the data folder the tests check)."""
    root = base / "data"
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return root


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    """A copy of the real-format fixture folder (xlsx not converted)."""
    return copy_fixture(tmp_path)


@pytest.fixture()
def converted(folder: Path, tmp_path: Path) -> dict[str, Any]:
    """The fixture's xlsx converted outside the data folder: the path vars that point at the CSVs."""
    return dict(convert_xlsx(folder, tmp_path / "converted"))


def problems(root: Path, variables: dict[str, Any]) -> dict[str, str]:
    """input -> status of the problem findings."""
    return {f.input: f.status for f in doctor(root, parse_days(DAYS), variables=variables) if f.is_problem}


def snapshot(root: Path) -> dict[str, tuple[object, ...]]:
    """Every file and folder under root (root included): kind, size, modification time (ns) and a hash of the bytes."""
    found = {}
    for folder, dirs, files in os.walk(root):
        for name in ["", *dirs, *files]:
            path = Path(folder) / name
            stat = path.lstat()
            digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
            found[str(path.relative_to(root))] = (path.is_dir(), stat.st_size, stat.st_mtime_ns, stat.st_mode, digest)
    return found


def run_doctor(argv: list[str]) -> tuple[int, str]:
    """main_doctor's exit code and what it printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main_doctor(argv)
    return code, out.getvalue()


def test_good_folder_has_no_problem(folder: Path, converted: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    assert set(converted) == {"insee_communes_path"} and str(converted["insee_communes_path"]).endswith(CONVERTED)
    assert problems(folder, converted) == {}
    assert main_doctor(["--data-root", str(folder), "--days", DAYS, "--vars", shlex.split(vars_option(converted))[0]]) == 0
    out = capsys.readouterr().out
    assert "Dijon" in out and "0 problem(s)" in out


def test_xlsx_without_csv_asks_for_conversion_outside_the_folder(folder: Path, tmp_path: Path) -> None:
    finding = next(f for f in doctor(folder, parse_days(DAYS)) if f.is_problem)
    assert finding.status == "missing" and "--convert-xlsx DIR" in finding.fix and "outside the data folder" in finding.fix
    out_dir = tmp_path / "csv"
    code, out = run_doctor(["--data-root", str(folder), "--days", DAYS, "--quick", "--convert-xlsx", str(out_dir)])
    assert code == 0, out
    csv_path = out_dir / CONVERTED
    assert csv_path.read_text(encoding="utf-8").startswith("Code;")
    assert f"converted -> {csv_path} (var insee_communes_path)" in out
    assert f"--vars '{{insee_communes_path: \"{csv_path}\"}}'" in out  # the exact vars to build with
    assert f"[OK       ] insee commune density and singles 2020: {csv_path}" in out  # checked in the same run
    assert not (folder / CONVERTED).exists()


def test_convert_refuses_a_folder_inside_the_data_folder(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(folder)
    for inside in (folder, folder / "converted", folder / "insee"):
        with pytest.raises(UserError, match="inside the data folder .* pass a folder outside it"):
            main_doctor(["--data-root", str(folder), "--quick", "--convert-xlsx", str(inside)])
    assert main(["doctor", "--data-root", str(folder), "--quick", "--convert-xlsx", str(folder / "x")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "inside the data folder" in err and "Traceback" not in err
    assert snapshot(folder) == before


def test_vars_name_what_doctor_checks(folder: Path, converted: dict[str, Any]) -> None:
    """A path var naming no file is missing (named by its var); a data_root in --vars must be --data-root's;
    the vars are checked against var_rules; --days is one line when malformed."""
    gone = {**converted, "gtrends_path": "/nonexistent/gtrends.csv"}
    finding = next(f for f in doctor(folder, parse_days(DAYS), variables=gone) if f.input == "google trends")
    assert finding.status == "missing" and "var gtrends_path names /nonexistent/gtrends.csv" in finding.message
    assert "correct gtrends_path" in finding.fix
    relative = {**converted, "gtrends_path": "gtrends/gtrends_regions.csv"}  # relative to data_root, as the build reads it
    assert problems(folder, relative) == {}
    with pytest.raises(UserError, match="give the folder once"):
        main_doctor(["--data-root", str(folder), "--quick", "--vars", "{data_root: /elsewhere}"])
    with pytest.raises(UserError, match="communes_source"):
        main_doctor(["--data-root", str(folder), "--quick", "--vars", "{communes_source: osm}"])
    with pytest.raises(UserError, match="FIRST:LAST"):
        main_doctor(["--data-root", str(folder), "--quick", "--days", "2019-04-01"])
    # the vars' study period is the default of --days
    period = doctor(folder, variables={**converted, "study_start": "2019-04-01", "study_end": "2019-04-02"})
    assert not [f for f in period if f.is_problem]


def test_each_breakage_is_reported(folder: Path, converted: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    shutil.rmtree(folder / "Dijon" / "Tor" / "20190402")  # a missing day
    bad = folder / "Dijon" / "YouTube" / "20190401" / "Dijon_YouTube_20190401_DL.txt"
    lines = bad.read_text().splitlines()
    bad.write_text("\n".join([" ".join(lines[0].split()[:50])] + lines[1:]) + "\n")  # truncated line
    (folder / "communes" / "COMMUNE.dbf").unlink()
    ssmsi = next((folder / "ssmsi").glob("*.csv"))
    ssmsi.unlink()
    (folder / "insee" / "pauvrete_epci.csv").write_text("Code;Taux\n242100410;14.2\n")
    (folder / "grid" / "Dijon.geojson").unlink()
    found = problems(folder, converted)
    assert found == {
        "traffic Dijon/Tor": "missing",
        "traffic Dijon/YouTube": "malformed",
        "communes": "malformed",
        "ssmsi crime": "missing",
        "insee EPCI poverty rate 2020": "malformed",
        "grid Dijon": "missing",
    }
    assert main_doctor(["--data-root", str(folder), "--days", DAYS, "--vars", shlex.split(vars_option(converted))[0]]) == 1
    out = capsys.readouterr().out
    assert out.count("fix:") >= len(found)
    assert "2019-04-02" in out and "line 1: 49 values, 96 expected" in out
    # the missing day: which day, that the build stops, and the days there are to check and build instead
    tor = next(f for f in doctor(folder, parse_days(DAYS), variables=converted) if f.input == "traffic Dijon/Tor")
    assert tor.message == "1 of 2 days have no file: 2019-04-02; the build stops on a missing day"
    assert "--days 2019-04-01:2019-04-01" in tor.fix and "{study_start: 2019-04-01, study_end: 2019-04-01}" in tor.fix


def test_missing_folder() -> None:
    assert [f.status for f in doctor(Path("/nonexistent/netmob"))] == ["missing"]


def test_layout_problem_follows_the_build_rule() -> None:
    """Hand-worked cases of macro is_traffic_file_name: a real YYYYMMDD day folder holding <City>_<Service>_<day>_<direction>.txt."""
    assert layout_problem(("Nancy", "Tor", "20190401", "Nancy_Tor_20190401_DL.txt"), "DL") is None
    assert layout_problem(("Nancy", "Tor", "20200229", "Nancy_Tor_20200229_DL.txt"), "DL") is None  # a leap day
    assert layout_problem(("Nancy", "Tor", "20190401.bak", "Nancy_Tor_20190401_DL.txt"), "DL") == \
        "day folder 20190401.bak is not a date YYYYMMDD"
    assert layout_problem(("Nancy", "Tor", "20190229", "Nancy_Tor_20190229_DL.txt"), "DL") == \
        "day folder 20190229 is not a date YYYYMMDD"  # 2019 is not a leap year
    assert layout_problem(("Nancy", "Tor", "2019041", "Nancy_Tor_2019041_DL.txt"), "DL") is not None
    assert layout_problem(("Nancy", "Tor", "20190401", "Nice_Tor_20190401_DL.txt"), "DL") == \
        "file name is not Nancy_Tor_20190401_DL.txt"
    assert layout_problem(("Nancy", "Tor", "20190401", "Nancy_Tor_20190401_DL.txt"), "UL") == \
        "file name is not Nancy_Tor_20190401_UL.txt"


STRAYS = (  # each matched by the traffic glob */Tor/*/*_Tor_*_DL.txt, none of the layout
    "Dijon/Tor/20190401.bak/Dijon_Tor_20190401_DL.txt",  # a backup folder
    "Dijon/Tor/20190231/Dijon_Tor_20190231_DL.txt",  # a day folder that is no date
    "Dijon/Tor/20190402/Nancy_Tor_20190402_DL.txt",  # a file that does not repeat its city
)


@pytest.fixture()
def strayed(folder: Path) -> Path:
    """The fixture copy with three stray paths in its traffic layout (the days' own files are intact)."""
    original = folder / "Dijon" / "Tor" / "20190401" / "Dijon_Tor_20190401_DL.txt"
    for stray in STRAYS:
        (folder / stray).parent.mkdir(exist_ok=True)
        shutil.copy(original, folder / stray)
    return folder


def test_stray_paths_are_their_own_finding(strayed: Path, converted: dict[str, Any]) -> None:
    for every_line in (False, True):
        findings = doctor(strayed, parse_days(DAYS), every_line=every_line, variables=converted)
        assert [(f.input, f.status) for f in findings if f.is_problem] == [("traffic layout", "malformed")]
        layout = next(f for f in findings if f.input == "traffic layout")
        assert layout.fix == LAYOUT_FIX and layout.message.startswith("3 path(s) match")
        assert all(stray in layout.message for stray in STRAYS)
        assert "(day folder 20190231 is not a date YYYYMMDD)" in layout.message
        assert "(file name is not Dijon_Tor_20190402_DL.txt)" in layout.message
        assert all(f.status == "ok" for f in findings if f.input.startswith("traffic Dijon/"))  # the real days are there
    skipped = next(f for f in findings if f.input == "traffic lines")  # the build would stop before reading a line
    assert skipped.status == "warning" and "mend traffic layout" in skipped.fix


def test_the_build_stop_on_a_stray_path_gets_the_same_fix(strayed: Path, converted: dict[str, Any]) -> None:
    """The build's own stop (macro traffic_file_stamps), read by doctor's line check: the same paths, the same fix."""
    findings = check_traffic_lines(strayed, parse_days(DAYS), variables=converted)
    assert [(f.input, f.status, f.fix) for f in findings] == [("traffic layout", "malformed", LAYOUT_FIX)]
    assert "unexpected path in the traffic layout, 3 in all" in findings[0].message
    assert "replace the file" not in findings[0].line()


def test_listed_says_how_many_more() -> None:
    items = [f"d{i}" for i in range(14)]
    assert listed(items) == ", ".join(items[:10]) + ", … and 4 more"
    assert listed(items[:10]) == ", ".join(items[:10])
    assert listed(items[:3], total=25, sep="\n") == "d0\nd1\nd2\n… and 22 more"


@pytest.fixture(scope="module")
def every_option(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """doctor with every option on a copy of the fixture (the study's 77 days: 75 missing), in full and
    in --quick mode, with the data folder's snapshot before and after."""
    base = tmp_path_factory.mktemp("every_option")
    root = copy_fixture(base)
    before = snapshot(root)
    options = ["--data-root", str(root), "--vars", "{gtrends_path: gtrends/gtrends_regions.csv}", "--communes-source", "ign"]
    full = run_doctor([*options, "--convert-xlsx", str(base / "out")])
    quick = run_doctor([*options, "--convert-xlsx", str(base / "out2"), "--days", DAYS, "--quick"])
    return {"root": root, "base": base, "before": before, "after": snapshot(root), "full": full, "quick": quick}


def test_every_option_leaves_the_data_folder_unchanged(every_option: dict[str, Any]) -> None:
    before, after = every_option["before"], every_option["after"]
    assert sorted(after) == sorted(before)  # no file added or removed
    assert after == before  # byte for byte, mtime for mtime, mode for mode
    assert len(before) > 30
    assert (every_option["base"] / "out" / CONVERTED).is_file() and (every_option["base"] / "out2" / CONVERTED).is_file()


def test_printed_vars_check_what_the_build_reads(every_option: dict[str, Any]) -> None:
    code, out = every_option["quick"]
    assert code == 0, out
    csv_path = every_option["base"] / "out2" / CONVERTED
    expected = f"{{gtrends_path: \"gtrends/gtrends_regions.csv\", communes_source: \"ign\", insee_communes_path: \"{csv_path}\"}}"
    assert f"build with them: --vars '{expected}'" in out
    again = next(line for line in out.splitlines() if "check them again:" in line).split("check them again: ")[1]
    argv = shlex.split(again)
    assert argv[:2] == ["netmob-tor", "doctor"]
    code, again_out = run_doctor([*argv[2:], "--days", DAYS, "--quick"])  # a later run with the printed vars
    assert code == 0 and f"insee commune density and singles 2020: {csv_path}" in again_out, again_out
    build = next(line for line in out.splitlines() if "netmob-tor build" in line)
    assert f"data_root: \"{every_option['root'].resolve()}\"" in build and str(csv_path) in build


def test_full_check_names_missing_days_and_how_many_more(every_option: dict[str, Any]) -> None:
    """Without --days on the two-day fixture: the missing days per service (from the files) and the build's
    own test (225 rows, 10 shown, the rest counted); no fix tells to replace a file that does not exist."""
    code, out = every_option["full"]
    assert code == 1
    assert "4 problem(s), 0 warning(s)" in out, out
    for service in ("Tor", "Web_Adult", "YouTube"):
        assert (f"[MISSING  ] traffic Dijon/{service}: 75 of 77 days have no file: 2019-03-16..2019-03-31, "
                "2019-04-03..2019-05-31; the build stops on a missing day") in out
    assert out.count("--days 2019-04-01:2019-04-02 and build them with --vars '{study_start: 2019-04-01, study_end: 2019-04-02}'") == 3
    assert "[MISSING  ] traffic days: 225 failing rows (test assert_no_missing_traffic_days):" in out
    assert "no Tor file for Dijon on 2019-03-16" in out and "… and 215 more" in out
    assert "replace the file" not in out
    assert "fix: the build stops on a missing day" in out and "--days FIRST:LAST" in out


@pytest.mark.parametrize("mode", ["full", "quick"])
def test_every_problem_line_has_a_fix(every_option: dict[str, Any], mode: str) -> None:
    _, out = every_option[mode]
    heads = [line for line in out.splitlines() if line.startswith("[") and not line.startswith("[OK")]
    assert out.count("            fix: ") == len(heads)


def test_a_finding_prints_its_own_lines_indented() -> None:
    line = Finding("traffic days", "missing", "2 rows:\na\nb", "do this").line()
    assert line == "[MISSING  ] traffic days: 2 rows:\n            a\n            b\n            fix: do this"


def test_latin1_ssmsi_doctor_and_build_agree(folder: Path, converted: dict[str, Any], tmp_path: Path) -> None:
    """An SSMSI file saved in Latin-1: doctor says it is read as such, and the build reads it, accents intact."""
    from conftest import run_dbt
    from netmob_tor.duck import connect

    path = next((folder / "ssmsi").glob("*.csv"))
    path.write_bytes(path.read_text(encoding="utf-8").encode("latin-1"))
    finding = next(f for f in doctor(folder, parse_days(DAYS), variables=converted) if f.input == "ssmsi crime")
    assert finding.status == "ok" and "Latin-1, read as such" in finding.message
    db = tmp_path / "wh.duckdb"
    run = run_dbt(folder, db, tmp_path, ["+stg_ssmsi__commune_crime"], {k: str(v) for k, v in converted.items()})
    assert run.returncode == 0, run.stdout[-3000:]
    con = connect(db, read_only=True)
    indicators = {r[0] for r in con.execute("select distinct indicator from stg_ssmsi__commune_crime").fetchall()}
    rejected = con.execute("select count(*) from base_ssmsi__commune_crime where rejection_reason is not null").fetchone()[0]
    con.close()
    assert "Usage de stupéfiants" in indicators and rejected == 0
