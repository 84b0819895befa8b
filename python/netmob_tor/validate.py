"""`netmob-tor validate`: a Great Expectations suite guarding the study's assumptions on the marts.

Runs on `commune_summary` and an hourly-completeness profile of `commune_hour` (aggregated in DuckDB,
so only one row per commune reaches pandas), with an ephemeral GX context. Results go back into the
warehouse as table `validation_results` and into a readable markdown summary.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from netmob_tor import CAUTION
from netmob_tor.cli_help import HelpFormatter
from netmob_tor.params import StudyParameters, defaults, study_parameters, sv_mean_column
from netmob_tor.paths import default_database

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("TQDM_DISABLE", "1")  # GX metric progress bars


@dataclass(frozen=True)
class StudyBounds:
    """Plausible ranges of the study's quantities (defaults: Koebe et al. 2024, Table 1 and text;
    s_onion, s_csam and c_floor: dbt_project.yml's, see `for_parameters` for a build's own)."""

    s_onion: float = defaults().s_onion
    s_csam: float = defaults().s_csam
    c_floor: float = defaults().c_floor
    rho_mean: tuple[float, float] = (0.05, 0.30)       # published 0.1649
    rho_quartiles: tuple[tuple[float, float], ...] = ((0.03, 0.20), (0.08, 0.25), (0.12, 0.32))  # 0.117, 0.168, 0.214
    floored_share_max: float = 0.05                    # 14 of 1341 = 1 %
    sv_published_share: tuple[float, float] = (0.40, 0.70)  # 731 of 1341 = 0.545
    hour_completeness_min: float = 0.95                # hours of a commune / hours of the fullest commune

    @property
    def c_max(self) -> float:
        """Largest possible c (rho' = 1)."""
        return self.s_onion * self.s_csam

    @classmethod
    def for_parameters(cls, params: StudyParameters) -> StudyBounds:
        """The default bounds with the correction parameters a build used."""
        return cls(s_onion=params.s_onion, s_csam=params.s_csam, c_floor=params.c_floor)


def summary_frame(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """commune_summary columns the suite reads, with 0/1 indicators for share expectations."""
    sv = sv_mean_column()
    return con.execute(
        f"""
        select commune_code, population, rho, c, tor_per_1000, web_adult_per_1000, youtube_per_1000, cpc_per_1000,
               is_rho_floored::integer::double as is_rho_floored_01,
               ({sv} is not null)::integer::double as has_sexual_violence_rate_01,
               {sv}
        from commune_summary
        """
    ).df()


def hour_profile_frame(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per commune of commune_hour: hours present, share of the fullest commune's hours in its city
    (cities drop different anomaly days), null values, smallest value."""
    return con.execute(
        """
        with per_commune as (
            select city, commune_code,
                   count(*) as n_hours,
                   count(*) - count(tor_dl) + count(*) - count(web_adult_dl) + count(*) - count(youtube_dl) as n_null_values,
                   least(min(tor_dl), min(web_adult_dl), min(youtube_dl)) as min_value
            from commune_hour
            group by city, commune_code
        )
        select *, n_hours::double / max(n_hours) over (partition by city) as hour_completeness
        from per_commune
        """
    ).df()


def build_suites(bounds: StudyBounds) -> dict[str, list]:
    """The expectations per frame: name -> list of GX expectation objects."""
    import great_expectations as gx

    e = gx.expectations
    q = [0.25, 0.5, 0.75]
    summary = [
        e.ExpectColumnValuesToNotBeNull(column="commune_code"),
        e.ExpectColumnValuesToBeUnique(column="commune_code"),
        e.ExpectColumnValuesToBeBetween(column="population", min_value=1),
        e.ExpectColumnValuesToBeBetween(column="rho", min_value=-1, max_value=1),
        e.ExpectColumnMeanToBeBetween(column="rho", min_value=bounds.rho_mean[0], max_value=bounds.rho_mean[1]),
        e.ExpectColumnQuantileValuesToBeBetween(
            column="rho", quantile_ranges={"quantiles": q, "value_ranges": [list(r) for r in bounds.rho_quartiles]}),
        e.ExpectColumnMeanToBeBetween(column="is_rho_floored_01", min_value=0, max_value=bounds.floored_share_max),
        e.ExpectColumnMeanToBeBetween(column="has_sexual_violence_rate_01", min_value=bounds.sv_published_share[0],
                                      max_value=bounds.sv_published_share[1]),
        e.ExpectColumnValuesToBeBetween(column=sv_mean_column(), min_value=0),
        e.ExpectColumnValuesToNotBeNull(column="c"),
        e.ExpectColumnValuesToBeBetween(column="c", min_value=bounds.c_floor * (1 - 1e-9),
                                        max_value=bounds.c_max * (1 + 1e-9)),
    ] + [
        e.ExpectColumnValuesToBeBetween(column=col, min_value=0)
        for col in ("tor_per_1000", "web_adult_per_1000", "youtube_per_1000", "cpc_per_1000")
    ]
    hours = [
        e.ExpectTableRowCountToBeBetween(min_value=1),
        e.ExpectColumnValuesToBeBetween(column="hour_completeness", min_value=bounds.hour_completeness_min, max_value=1),
        e.ExpectColumnValuesToBeBetween(column="n_null_values", min_value=0, max_value=0),
        e.ExpectColumnValuesToBeBetween(column="min_value", min_value=0),
    ]
    return {"commune_summary": summary, "commune_hour_completeness": hours}


def run_suite(frames: dict[str, pd.DataFrame], bounds: StudyBounds) -> pd.DataFrame:
    """Validate each frame with its expectations in an ephemeral GX context; one result row per expectation."""
    import great_expectations as gx

    context = gx.get_context(mode="ephemeral")
    source = context.data_sources.add_pandas("warehouse")
    rows = []
    run_at = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    for name, expectations in build_suites(bounds).items():
        batch_definition = source.add_dataframe_asset(name=name).add_batch_definition_whole_dataframe(f"{name}_all")
        suite = context.suites.add(gx.ExpectationSuite(name=f"netmob_tor_{name}"))
        for expectation in expectations:
            suite.add_expectation(expectation)
        batch = batch_definition.get_batch(batch_parameters={"dataframe": frames[name]})
        result = batch.validate(suite)
        for r in result.results:
            config = r.expectation_config
            kwargs = {k: v for k, v in config.kwargs.items() if k not in ("batch_id",)}
            observed = r.result.get("observed_value", r.result.get("unexpected_count"))
            rows.append({
                "run_at": run_at,
                "suite": suite.name,
                "expectation": config.type,
                "column_name": kwargs.get("column"),
                "kwargs": json.dumps(kwargs, default=str, sort_keys=True),
                "success": bool(r.success),
                "observed": json.dumps(observed, default=str),
                "unexpected_count": r.result.get("unexpected_count"),
                "caution": CAUTION,
            })
    return pd.DataFrame(rows)


def write_results(con: duckdb.DuckDBPyConnection, results: pd.DataFrame) -> None:
    """Replace table validation_results in the warehouse."""
    con.register("validation_frame", results)
    con.execute("create or replace table validation_results as select * from validation_frame")
    con.unregister("validation_frame")
    comment = f"Great Expectations results of netmob-tor validate. {CAUTION}".replace("'", "''")
    con.execute(f"comment on table validation_results is '{comment}'")


def markdown_summary(results: pd.DataFrame, database: Path) -> str:
    """A readable summary: pass/fail counts and one line per expectation."""
    n_fail = int((~results["success"]).sum())
    lines = [
        "# Validation of the warehouse (Great Expectations)",
        "",
        f"Database: `{database}`. {len(results)} expectations, {len(results) - n_fail} passed, {n_fail} failed.",
        "",
        f"> {CAUTION}",
        "",
        "| result | suite | expectation | column | observed |",
        "| --- | --- | --- | --- | --- |",
    ]
    for r in results.itertuples(index=False):
        lines.append(f"| {'pass' if r.success else '**FAIL**'} | {r.suite} | {r.expectation} | "
                     f"{r.column_name if isinstance(r.column_name, str) else ''} | "
                     f"{r.observed[:80]} |")
    return "\n".join(lines) + "\n"


def validate(database: Path, summary_path: Path | None = None, bounds: StudyBounds | None = None) -> pd.DataFrame:
    """Run the suite on the warehouse, store validation_results, write the markdown; returns the results."""
    from netmob_tor.build_lock import held
    from netmob_tor.duck import open_warehouse, require_tables

    with held(Path(database), "validate"), open_warehouse(database, read_only=False, command="validate") as con:
        require_tables(con, ("commune_summary", "commune_hour"), database)
        bounds = bounds or StudyBounds.for_parameters(study_parameters(con))
        frames = {"commune_summary": summary_frame(con), "commune_hour_completeness": hour_profile_frame(con)}
        results = run_suite(frames, bounds)
        write_results(con, results)
    summary_path = summary_path or Path(database).with_name("validation_summary.md")
    summary_path.write_text(markdown_summary(results, Path(database)), encoding="utf-8")
    return results


def main_validate(argv: list[str] | None = None) -> int:
    """CLI: validate, print the summary, exit 1 when an expectation fails."""
    parser = argparse.ArgumentParser(prog="netmob-tor validate", description=__doc__.splitlines()[0],
                                     formatter_class=HelpFormatter)
    parser.add_argument("--database", default=str(default_database()), help="the warehouse (DuckDB file) whose marts are checked")
    parser.add_argument("--summary", help="markdown summary path (default: validation_summary.md beside the database)")
    args = parser.parse_args(argv)
    database = Path(args.database)
    summary = Path(args.summary) if args.summary else database.with_name("validation_summary.md")
    results = validate(database, summary)
    print(summary.read_text(encoding="utf-8"))
    print(f"stored in {database}: validation_results; summary: {summary}")
    return 0 if bool(results["success"].all()) else 1


if __name__ == "__main__":
    sys.exit(main_validate())
