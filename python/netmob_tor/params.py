"""The study parameters as dbt defines them: the one place Python reads a study constant from.

Defaults are the `vars:` of dbt_project.yml (read with PyYAML from the project root). Given a
connection to a built warehouse, the vars that build recorded overlay them: the mart
`study_parameters` (columns `parameter`, the var name, and `value_json`, `tojson(var(name))`; one
per profile schema) is read from the connection's current schema when it exists; without it (a
warehouse built before the mart existed, or an empty connection) the defaults are used as they are.
Derived values (s_csam, the correction scale, the period as dates, the spring-forward day) are
properties of `StudyParameters`, not constants elsewhere.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import yaml

from netmob_tor.paths import project_root

STUDY_PARAMETERS_TABLE = "study_parameters"


def _date(value: object) -> dt.date:
    """A var holding a day ('2019-03-16', or a date YAML already parsed)."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


@dataclass(frozen=True)
class StudyParameters:
    """Every dbt var (`values`) with typed accessors for the ones Python uses; `source` says where they came from."""

    values: Mapping[str, Any]
    source: str = "dbt_project.yml"

    def __getitem__(self, name: str) -> Any:
        """The raw value of var `name` (KeyError when dbt_project.yml does not define it)."""
        return self.values[name]

    # --- traffic: services, period, local time, the anomaly rule's days
    @property
    def services(self) -> tuple[str, ...]:
        """NetMob services the study reads."""
        return tuple(self.values["services"])

    @property
    def direction(self) -> str:
        """Traffic direction read (DL)."""
        return str(self.values["direction"])

    @property
    def study_start(self) -> dt.date:
        """First day of the study period (local time)."""
        return _date(self.values["study_start"])

    @property
    def study_end(self) -> dt.date:
        """Last day of the study period (local time), inclusive."""
        return _date(self.values["study_end"])

    @property
    def study_days(self) -> list[dt.date]:
        """Every day of the study period, inclusive."""
        return days_between(self.study_start, self.study_end)

    @property
    def timezone(self) -> str:
        """IANA time zone of the traffic files' local time."""
        return str(self.values["timezone"])

    @property
    def dst_gap_hour(self) -> int:
        """Local hour that does not exist on the spring-forward day."""
        return int(self.values["dst_gap_hour"])

    @property
    def dst_day(self) -> dt.date | None:
        """The spring-forward day of the period in `timezone` (a 23-hour local day), or None when the period has none."""
        zone = ZoneInfo(self.timezone)
        for day in self.study_days:
            start = dt.datetime.combine(day, dt.time(), zone)
            end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone)
            if end.astimezone(dt.UTC) - start.astimezone(dt.UTC) < dt.timedelta(hours=24):
                return day
        return None

    @property
    def zero_web_adult_days(self) -> tuple[dt.date, ...]:
        """Days on which the zero-Web_Adult rule removes commune quarter-hours."""
        return tuple(_date(d) for d in self.values["zero_web_adult_days"])

    # --- step 4: logs and the lag
    @property
    def log_floor(self) -> float:
        """Zeros are replaced by this value before the log."""
        return float(self.values["log_floor"])

    @property
    def tor_lag_hours(self) -> int:
        """Hours Tor is lagged against Web_Adult in the lagged variant."""
        return int(self.values["tor_lag_hours"])

    # --- step 5: the correction factor
    @property
    def s_onion(self) -> float:
        """Share of Tor traffic going to onion services."""
        return float(self.values["s_onion"])

    @property
    def s_csam(self) -> float:
        """Share of pornographic onion sites that are CSAM: s_csam_sites / s_porn_onion_sites."""
        return int(self.values["s_csam_sites"]) / int(self.values["s_porn_onion_sites"])

    @property
    def porn_page_share(self) -> float:
        """Share of onion pages that are pornography: porn_onion_pages / onion_pages (the release's middle factor)."""
        return int(self.values["porn_onion_pages"]) / int(self.values["onion_pages"])

    @property
    def correction_scale(self) -> float:
        """s_onion x s_csam: c = correction_scale x rho' (the published correction), the largest c."""
        return self.s_onion * self.s_csam

    @property
    def c_floor(self) -> float:
        """The value c takes where rho < 0."""
        return float(self.values["c_floor"])

    # --- step 7, step 10 and the report
    @property
    def sv_years(self) -> tuple[int, int]:
        """First and last year of the mean sexual-violence rate."""
        return int(self.values["sv_first_year"]), int(self.values["sv_last_year"])

    @property
    def sv_reference_year(self) -> int:
        """The single year of the sexual-violence rate compared with the mean."""
        return int(self.values["sv_reference_year"])

    @property
    def poi_categories(self) -> tuple[str, ...]:
        """Overture Places categories counted per 1000 inhabitants."""
        return tuple(self.values["poi_categories"])

    @property
    def top_tile_share(self) -> float:
        """Share of (tile, service) pairs kept as top tiles."""
        return float(self.values["top_tile_share"])

    @property
    def poi_min_per_category(self) -> int:
        """Minimum places of a category in the top tiles for Table 4."""
        return int(self.values["poi_min_per_category"])

    @property
    def small_population_threshold(self) -> int:
        """Communes below this population are flagged as fragile estimates."""
        return int(self.values["small_population_threshold"])


def days_between(start: dt.date, end: dt.date) -> list[dt.date]:
    """Every day from start to end, inclusive."""
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def project_config(dbt_project: Path | None = None) -> dict[str, Any]:
    """dbt_project.yml as a mapping (the project root's unless a file is given)."""
    path = dbt_project or project_root() / "dbt_project.yml"
    return dict(yaml.safe_load(path.read_text(encoding="utf-8")) or {})


def project_vars(dbt_project: Path | None = None) -> dict[str, Any]:
    """The `vars:` mapping of dbt_project.yml (the project root's unless a file is given)."""
    return dict(project_config(dbt_project).get("vars") or {})


@cache
def _cached_defaults(path: Path) -> StudyParameters:
    """The defaults of one dbt_project.yml, read once."""
    return StudyParameters(MappingProxyType(project_vars(path)), source=str(path.name))


def defaults(dbt_project: Path | None = None) -> StudyParameters:
    """The parameters as dbt_project.yml sets them (what a build without --vars uses)."""
    return _cached_defaults((dbt_project or project_root() / "dbt_project.yml").resolve())


def recorded_vars(con: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    """The vars the warehouse's build recorded (mart study_parameters, current schema), or None without that mart."""
    found = con.execute(
        "select count(*) from information_schema.tables "
        "where table_catalog = current_database() and table_schema = current_schema() and table_name = ?",
        [STUDY_PARAMETERS_TABLE],
    ).fetchone()[0]
    if not found:
        return None
    rows = con.execute(f'select parameter, value_json from "{STUDY_PARAMETERS_TABLE}"').fetchall()
    return {name: json.loads(value) for name, value in rows if value is not None}


def study_parameters(con: duckdb.DuckDBPyConnection | None = None, dbt_project: Path | None = None) -> StudyParameters:
    """The defaults of dbt_project.yml, overlaid by the build's recorded vars when `con` holds study_parameters."""
    base = defaults(dbt_project)
    recorded = recorded_vars(con) if con is not None else None
    if recorded is None:
        return base
    return StudyParameters(MappingProxyType({**base.values, **recorded}), source=STUDY_PARAMETERS_TABLE)


# --- Columns the models name after a var's value. The models write these names literally today; when
# they are renamed by role (issue 12), each is one line here.

def sv_mean_column() -> str:
    """commune_summary's mean sexual-violence rate over sv_first_year..sv_last_year, commune values only (Table 2's outcome)."""
    return "sexual_violence_rate"


def sv_mean_with_fallback_column() -> str:
    """The same mean with the department's rate where the commune's is not published."""
    return "sexual_violence_rate_with_fallback"


def sv_reference_column() -> str:
    """commune_summary's sexual-violence rate of sv_reference_year, commune values only."""
    return "sexual_violence_rate_reference_year"


def sv_reference_with_fallback_column() -> str:
    """The rate of sv_reference_year with the department's rate where the commune's is not published."""
    return "sexual_violence_rate_reference_year_with_fallback"


# --- The vars' rules (dbt_project.yml `var_rules`), checked before a build; macros/validate_vars.sql checks the same in dbt.

def _is_date(value: Any) -> bool:
    """A day as YAML or JSON gives it: a date, or an ISO 'YYYY-MM-DD' string."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return True
    try:
        dt.date.fromisoformat(str(value))
    except ValueError:
        return False
    return len(str(value)) == 10


def _is_timezone(value: Any) -> bool:
    """An IANA time-zone name that zoneinfo knows."""
    from zoneinfo import ZoneInfoNotFoundError

    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return isinstance(value, str)


NUMBER_TEXT = r"[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?"
"""A number written as text: YAML reads `1e-05` (no dot) as a string, and dbt pastes it into SQL as the number."""


def _as_number(value: Any) -> float | int | None:
    """`value` as a number: an int or float, or a string that reads as one (1e-05); else None."""
    import re

    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str) and re.fullmatch(NUMBER_TEXT, value.strip()):
        return float(value)
    return None


TYPE_CHECKS = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: _as_number(v) is not None,
    "boolean": lambda v: isinstance(v, bool),
    "date": _is_date,
    "timezone": _is_timezone,
    "identifier": lambda v: isinstance(v, str) and v.replace("_", "").isalnum() and v.isascii(),
    "list": lambda v: isinstance(v, list),
    "mapping": lambda v: isinstance(v, dict),
}
TYPE_WORDS = {"string": "a string", "integer": "a whole number", "number": "a number", "boolean": "true or false",
              "date": "a date YYYY-MM-DD", "timezone": "an IANA time zone such as Europe/Paris",
              "identifier": "a plain name (letters, digits, _)", "list": "a list", "mapping": "a mapping {key: value}"}


def rule_problem(name: str, value: Any, rule: Mapping[str, Any], values: Mapping[str, Any]) -> str | None:
    """Why `value` breaks `rule` (one line naming the var and what it may hold), or None."""
    if "allowed" in rule:
        allowed = list(rule["allowed"])
        if not any(value == a and type(value) is type(a) for a in allowed):
            shown = ", ".join("null" if a is None else str(a) for a in allowed)
            return f"var {name} is {value!r}; allowed: {shown}"
        return None
    if value is None:
        return None if rule.get("nullable") else f"var {name} is null; it must be {TYPE_WORDS[rule['type']]}"
    kind = rule.get("type", "string")
    if not TYPE_CHECKS[kind](value):
        return f"var {name} is {value!r}; it must be {TYPE_WORDS[kind]}"
    if kind in ("integer", "number"):
        number = _as_number(value)
        bounds = [(rule.get("min"), lambda b: number >= b, "at least"), (rule.get("max"), lambda b: number <= b, "at most"),
                  (rule.get("above"), lambda b: number > b, "above")]
        for bound, ok, word in bounds:
            if bound is not None and not ok(bound):
                return f"var {name} is {value!r}; it must be {word} {bound}"
    for key, ok, word in (("at_least", lambda a, b: a >= b, "on or after"), ("at_most", lambda a, b: a <= b, "at most")):
        other = rule.get(key)
        if other and values.get(other) is not None and not ok(str(value) if kind == "date" else value,
                                                                   str(values[other]) if kind == "date" else values[other]):
            return f"var {name} is {value!r}; it must be {word} var {other} ({values[other]!r})"
    if kind == "list" and rule.get("items"):
        for i, item in enumerate(value):
            problem = rule_problem(f"{name}[{i}]", item, rule["items"], values)
            if problem:
                return problem
    if kind == "mapping" and rule.get("keys"):
        unknown = sorted(set(map(str, value)) - set(rule["keys"]))
        if unknown:
            return f"var {name} has unknown key(s) {', '.join(unknown)}; allowed: {', '.join(rule['keys'])}"
    return None


def vars_problems(overrides: Mapping[str, Any], dbt_project: Path | None = None) -> list[str]:
    """Every problem of the vars a build would run with (dbt_project.yml's, overlaid by `overrides`)."""
    import difflib

    defaults = project_vars(dbt_project)
    rules: dict[str, Any] = defaults.get("var_rules") or {}
    values = {**defaults, **overrides}
    problems = []
    for name in overrides:
        if name not in rules:
            close = difflib.get_close_matches(name, list(rules), n=1)
            problems.append(f"var {name} is not a var of this project" + (f"; did you mean {close[0]}?" if close else ""))
    for name, rule in rules.items():
        if name in values:
            problem = rule_problem(name, values[name], rule, values)
            if problem:
                problems.append(problem)
    return problems


def check_vars(overrides: Mapping[str, Any], dbt_project: Path | None = None) -> None:
    """Raise UserError naming every var that breaks its rule, before anything is built."""
    from netmob_tor.errors import UserError

    problems = vars_problems(overrides, dbt_project)
    if problems:
        raise UserError("; ".join(problems) + " (dbt_project.yml `var_rules`)")


def parse_vars_option(dbt_args: list[str]) -> dict[str, Any]:
    """The mapping a `--vars` option of dbt arguments holds (YAML or JSON), {} without one."""
    from netmob_tor.errors import UserError

    if "--vars" not in dbt_args:
        return {}
    i = dbt_args.index("--vars")
    if i + 1 >= len(dbt_args):
        raise UserError("--vars needs a value, e.g. --vars '{data_root: /path/to/data}'")
    try:
        parsed = yaml.safe_load(dbt_args[i + 1])
    except yaml.YAMLError as error:
        raise UserError(f"--vars is not valid YAML ({str(error).splitlines()[0]}): e.g. --vars '{{data_root: /path}}'") from None
    if parsed is None:
        return {}
    if not isinstance(parsed, dict):
        raise UserError(f"--vars must be a mapping such as '{{s_onion: 0.034}}', not {dbt_args[i + 1]!r}")
    return parsed
