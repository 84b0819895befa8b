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
