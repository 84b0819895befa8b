"""The study parameters have one home: dbt_project.yml's vars, overlaid by the build's recorded study_parameters."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml

from netmob_tor.duck import use_schema
from netmob_tor.params import StudyParameters, defaults, recorded_vars, study_parameters
from netmob_tor.paths import project_root


@pytest.fixture(scope="module")
def project_vars() -> dict:
    """The vars as dbt reads them from dbt_project.yml, parsed here independently of the loader."""
    return yaml.safe_load((project_root() / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]


def test_defaults_are_dbt_project_vars(project_vars: dict) -> None:
    """Every var comes back unchanged, and the typed accessors read the same values."""
    params = defaults()
    assert dict(params.values) == project_vars and params.source == "dbt_project.yml"
    assert params.services == tuple(project_vars["services"])
    assert params.study_start == dt.date.fromisoformat(project_vars["study_start"])
    assert params.study_end == dt.date.fromisoformat(project_vars["study_end"])
    assert params.zero_web_adult_days == tuple(dt.date.fromisoformat(d) for d in project_vars["zero_web_adult_days"])
    assert (params.log_floor, params.c_floor, params.s_onion) == (project_vars["log_floor"], project_vars["c_floor"], project_vars["s_onion"])
    assert params.s_csam == project_vars["s_csam_sites"] / project_vars["s_porn_onion_sites"]
    assert params.correction_scale == project_vars["s_onion"] * (project_vars["s_csam_sites"] / project_vars["s_porn_onion_sites"])
    assert params.sv_years == (project_vars["sv_first_year"], project_vars["sv_last_year"])
    assert params.poi_categories == tuple(project_vars["poi_categories"])
    assert params.small_population_threshold == project_vars["small_population_threshold"]
    days = params.study_days
    assert days[0] == params.study_start and days[-1] == params.study_end and len(set(days)) == len(days)
    assert all((b - a).days == 1 for a, b in zip(days, days[1:]))


def test_spring_forward_day_is_the_short_local_day(project_vars: dict) -> None:
    """The derived DST day is the one period day that pandas' tz arithmetic gives 23 local hours, and none outside spring."""
    params = defaults()
    hours = {
        day: (pd.Timestamp(day + dt.timedelta(days=1)).tz_localize(params.timezone) - pd.Timestamp(day).tz_localize(params.timezone))
        / pd.Timedelta(hours=1)
        for day in params.study_days
    }
    short = [day for day, n in hours.items() if n == 23]
    assert short == [params.dst_day]
    summer = StudyParameters({**project_vars, "study_start": "2019-06-01", "study_end": "2019-06-30"})
    assert summer.dst_day is None


def recorded_table(con: duckdb.DuckDBPyConnection, values: dict, schema: str = "main") -> None:
    """A study_parameters table as the mart stores it: the var name and tojson(var(name))."""
    con.execute(f"create schema if not exists {schema}")
    con.execute(f"create table {schema}.study_parameters (parameter varchar, value_json varchar)")
    con.executemany(f"insert into {schema}.study_parameters values (?, ?)", [[k, json.dumps(v)] for k, v in values.items()])


def test_recorded_vars_override_the_defaults(project_vars: dict) -> None:
    """A build run with --vars records them; the loader returns those, and the defaults for what was not recorded."""
    con = duckdb.connect()
    assert recorded_vars(con) is None and study_parameters(con) == defaults()
    recorded_table(con, {"s_onion": 0.034, "log_floor": 0.5, "zero_web_adult_days": ["2019-04-14"], "study_end": "2019-04-30"})
    params = study_parameters(con)
    assert params.source == "study_parameters"
    assert params.s_onion == 0.034 and params.log_floor == 0.5
    assert params.zero_web_adult_days == (dt.date(2019, 4, 14),)
    assert params.study_end == dt.date(2019, 4, 30)
    assert params.correction_scale == pytest.approx(0.034 * project_vars["s_csam_sites"] / project_vars["s_porn_onion_sites"], rel=1e-15)
    assert params.c_floor == project_vars["c_floor"]  # not recorded: the default
    assert defaults().s_onion == project_vars["s_onion"]  # the defaults themselves are untouched


def test_each_profile_schema_reads_its_own_record() -> None:
    """A second profile built into main_<profile_schema> records its own vars; use_schema points the loader at them."""
    con = duckdb.connect()
    recorded_table(con, {"s_onion": 0.011})
    recorded_table(con, {"s_onion": 0.078}, schema="main_other")
    assert study_parameters(con).s_onion == 0.011
    use_schema(con, "main_other")
    assert study_parameters(con).s_onion == 0.078


def test_another_project_file(tmp_path: Path, project_vars: dict) -> None:
    """defaults() of another dbt_project.yml reads that file's vars."""
    path = tmp_path / "dbt_project.yml"
    path.write_text(yaml.safe_dump({"name": "x", "vars": {**project_vars, "tor_lag_hours": 3}}), encoding="utf-8")
    assert defaults(path).tor_lag_hours == 3 and defaults().tor_lag_hours == project_vars["tor_lag_hours"]


# Each case: (var, a value) and whether its rule accepts it. Both checks of the rules (netmob_tor.params in
# Python, macros/validate_vars.sql in dbt) must agree with the verdict worked out here.
RULE_CASES = [
    ("s_onion", "abc", False), ("s_onion", 0.034, True), ("s_onion", 0, False), ("s_onion", 1.5, False), ("s_onion", 1, True),
    ("timezone", "Mars/Base", False), ("timezone", "Europe/Paris", True), ("timezone", "America/New_York", True),
    ("absent_tile_lines", "ignore", False), ("absent_tile_lines", "error", True),
    ("anomaly_rule", None, True), ("anomaly_rule", "drop_days", True), ("anomaly_rule", "drop", False),
    ("log_floor", 1, True), ("log_floor", 0, False), ("log_floor", -1e-6, False), ("log_floor", "0.001", True),
    ("c_floor", "1e-05", True), ("log_floor", "1e-6x", False),
    ("tor_lag_hours", 1, True), ("tor_lag_hours", 1.5, False), ("tor_lag_hours", 24, False), ("tor_lag_hours", True, False),
    ("study_start", "2019-02-30", False), ("study_start", "2019-03-01", True), ("study_start", "16/03/2019", False),
    ("study_end", "2019-03-01", False), ("study_end", "2019-06-30", True),
    ("zero_web_adult_days", [], True), ("zero_web_adult_days", ["2019-03-31", "x"], False),
    ("use_anomaly_days_seed", "no", False), ("use_anomaly_days_seed", False, True),
    ("profile_schema", "a b", False), ("profile_schema", "corrected", True), ("profile_schema", None, True),
    ("extra_anomaly_days", [{"city": "*", "date": "2023-04-04", "reason": "outage"}], True),
    ("extra_anomaly_days", [{"city": "*", "date": "2023-04-04", "reasn": "outage"}], False),
    ("commune_fields", {"code": "code", "name": "label", "department": None, "epci": None, "population": "inhabitants"}, True),
    ("commune_fields", {"code": "code", "nom": "label"}, False),
    ("s_csam_sites", 300, False), ("s_csam_sites", 105, True), ("sv_last_year", 2016, False),
    ("services", ["Tor", "Web_Adult"], True), ("services", "Tor", False), ("dst_gap_hour", 25, False),
]


@pytest.mark.parametrize(("name", "value", "accepted"), RULE_CASES)
def test_python_check_of_the_var_rules(name: str, value: object, accepted: bool) -> None:
    from netmob_tor.params import project_vars, rule_problem

    values = project_vars()
    problem = rule_problem(name, value, values["var_rules"][name], values)
    assert (problem is None) == accepted, problem
    if problem:
        assert problem.startswith(f"var {name}") and "\n" not in problem


def test_dbt_check_of_the_var_rules_agrees(tmp_path: Path) -> None:
    """macros/validate_vars.sql judges every case as the Python check does (one dbt run-operation)."""
    import os
    import subprocess
    import sys

    cases = [{"name": n, "value": v} for n, v, _ in RULE_CASES]
    env = {**os.environ, "NETMOB_TOR_DB": str(tmp_path / "wh.duckdb"), "DBT_PROFILES_DIR": str(project_root())}
    done = subprocess.run([str(Path(sys.executable).with_name("dbt")), "run-operation", "var_rule_cases", "--args",
                           json.dumps({"cases": cases}), "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path)],
                          cwd=project_root(), env=env, capture_output=True, text=True)
    line = next((x for x in done.stdout.splitlines() if "VAR_RULE_CASES " in x), None)
    assert line, done.stdout[-2000:] + done.stderr[-2000:]
    verdicts = json.loads(line.split("VAR_RULE_CASES ", 1)[1])
    wrong = [(n, v, problem) for (n, v, accepted), problem in zip(RULE_CASES, verdicts) if (problem == "") != accepted]
    assert not wrong, wrong


def test_netmob_tor_build_stops_on_bad_vars_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    """Before anything runs (no lock, no copy, no dbt): one line naming each bad var and what it may hold."""
    from netmob_tor.cli import main

    code = main(["build", "--vars", "{s_onion: abc, timezone: Mars/Base, absent_tile_lines: ignore, s_onoin: 1}"])
    err = capsys.readouterr().err.strip()
    assert code == 1 and len(err.splitlines()) == 1, err
    for text in ("var s_onion is 'abc'; it must be a number", "var timezone is 'Mars/Base'", "allowed: warn, error",
                 "did you mean s_onion?"):
        assert text in err, err


# Every documented study parameter and processing choice at a value other than its default (docs/profiles.md,
# dbt_project.yml): the unit tests still pass, since each pins the conditions its expected rows hold under.
OTHER_VALUES = {"log_floor": 1, "tor_lag_hours": 1, "s_onion": 0.078, "c_floor": 0.001, "s_csam_sites": 100,
                "processing_profile": "corrected", "anomaly_rule": "drop_days", "dst_day_labels": "local_time",
                "published_rho": "spearman", "population_source": "communes", "district_controls": "parent",
                "use_anomaly_days_seed": False, "extra_anomaly_days": [{"city": "*", "date": "2023-04-04", "reason": "outage"}],
                "zero_web_adult_days": [], "dst_gap_hour": 3, "timezone": "America/New_York"}


def test_unit_tests_hold_at_other_documented_values(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from netmob_tor.params import vars_problems
    from netmob_tor.synth.generate import generate

    assert not vars_problems(OTHER_VALUES)
    root = tmp_path / "root"
    generate(root, seed=3, cities=["Dijon"], days="2019-04-01", scale=60)
    env = {**os.environ, "NETMOB_TOR_DB": str(tmp_path / "wh.duckdb"), "DBT_PROFILES_DIR": str(project_root())}
    dbt = str(Path(sys.executable).with_name("dbt"))
    common = ["--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path)]
    period = {"data_root": str(root), "study_start": "2019-04-01", "study_end": "2019-04-01"}
    parents = subprocess.run([dbt, "build", "--exclude-resource-type", "test", "unit_test", "--select",
                              "+int_communes__correction_factors", "+int_traffic__tile_day_hours",
                              "--vars", json.dumps(period), *common], cwd=project_root(), env=env, capture_output=True, text=True)
    assert parents.returncode == 0, parents.stdout[-3000:]
    units = subprocess.run([dbt, "test", "--select", "test_type:unit", "--vars", json.dumps({**period, **OTHER_VALUES}), *common],
                           cwd=project_root(), env=env, capture_output=True, text=True)
    assert units.returncode == 0, units.stdout[-4000:]
    assert len([line for line in units.stdout.splitlines() if " PASS int_" in line]) == 13, units.stdout[-4000:]


def test_every_var_the_project_reads_has_a_rule() -> None:
    """A var read by a model, macro, test or analysis is in dbt_project.yml `var_rules` (else passing it would be
    refused as unknown, and a wrong value would not be caught before the build)."""
    import re

    from netmob_tor.params import project_vars

    rules = project_vars()["var_rules"]
    read: set[str] = set()
    for folder in ("models", "macros", "tests/dbt", "analyses"):
        for path in (project_root() / folder).rglob("*"):
            if path.suffix in (".sql", ".yml", ".md"):
                read |= set(re.findall(r"""var\(\s*['"]([a-z_]+)['"]""", path.read_text(encoding="utf-8")))
                read |= set(re.findall(r"""csv_encoding\([^,]+,\s*['"]([a-z_]+)['"]""", path.read_text(encoding="utf-8")))
    assert read, "no var found: the pattern is wrong"
    assert not sorted(read - set(rules)), f"vars read without a rule in var_rules: {sorted(read - set(rules))}"
