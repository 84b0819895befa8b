"""`netmob-tor bench`: time the warehouse build against the raw scan floor and the notebook-style baseline.

The command's arguments and its run: the DuckDB bench (netmob_tor.bench.run, written by .results), or with
`--target spark` the Spark-beside-DuckDB bench (netmob_tor.bench.spark).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from netmob_tor import CAUTION
from netmob_tor.bench.builds import machine, snapshot
from netmob_tor.bench.results import format_table, write_results
from netmob_tor.bench.run import run_bench
from netmob_tor.bench.spark import main_spark_bench
from netmob_tor.cli_help import parser as cli_parser
from netmob_tor.paths import project_root


def build_parser() -> argparse.ArgumentParser:
    """Arguments of `netmob-tor bench`."""
    parser = cli_parser("netmob-tor bench", __doc__.splitlines()[0])
    parser.add_argument("--scales", default="full,full:Nancy+Nice",
                        help="comma-separated generator scales: full, a stride, or full:CityA+CityB for other cities (default: full Nancy, "
                             "then Nancy and Nice together, about 2.3x its size; about 20 minutes on 2 cores with the data already generated)")
    parser.add_argument("--cities", default="Nancy", help="comma-separated urban areas (default Nancy, the smallest full grid)")
    parser.add_argument("--days", default=None, help="YYYY-MM-DD:YYYY-MM-DD (default: all 77 study days)")
    parser.add_argument("--threads", default="2", help="DuckDB thread counts to measure, comma-separated (default 2, the machine's cores)")
    parser.add_argument("--seed", type=int, default=20190316, help="the generator's seed for the benchmark data")
    parser.add_argument("--work-dir", default=str(project_root() / "benchmarks" / "data"),
                        help="generated data, DBs and dbt artefacts (gitignored; default: benchmarks/data)")
    parser.add_argument("--results-dir", default=str(project_root() / "benchmarks"),
                        help="where results.md and results.json go (default: benchmarks)")
    parser.add_argument("--rev", default=None,
                        help="measure the models of this git revision (a git-archive snapshot under the work dir) instead of the working tree")
    parser.add_argument("--attempts", default=str(project_root() / "benchmarks" / "attempts.md"),
                        help="hand-kept record of what was tried for the targets not met, with its own measurements, "
                             "appended to results.md (a missing file is skipped; default: benchmarks/attempts.md)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the pandas baseline")
    parser.add_argument("--no-incremental", action="store_true", help="skip the one-new-day incremental measurement")
    parser.add_argument("--target", choices=("duckdb", "spark"), default="duckdb",
                        help="spark: the traffic DAG on Spark in local mode beside DuckDB, on the same files (netmob_tor.bench.spark; "
                             "needs `make setup-spark`), written to spark.md / spark.json in --results-dir (default: duckdb)")
    parser.add_argument("--spark-driver-memory", default="4g",
                        help="with --target spark: Spark's driver memory (local mode: all of Spark; default: 4g)")
    return parser


def main_bench(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the table and write results.md / results.json."""
    args = build_parser().parse_args(argv)
    scales = [s.strip() for s in args.scales.split(",") if s.strip()]
    cities = [c.strip() for c in args.cities.split(",") if c.strip()]
    threads = [int(t) for t in args.threads.split(",")]
    work = Path(args.work_dir).resolve()
    if args.target == "spark":
        return main_spark_bench(scales, cities, args.days, work, Path(args.results_dir), args.seed, max(threads), args.spark_driver_memory)
    project, sha = snapshot(args.rev, work) if args.rev else (None, None)
    info = machine(sha)
    results = run_bench(scales, cities, args.days, threads, work, seed=args.seed, baseline=not args.no_baseline, project_dir=project,
                        incremental=not args.no_incremental)
    attempts = Path(args.attempts)
    json_path, md_path = write_results(results, Path(args.results_dir), info,
                                       attempts.read_text(encoding="utf-8").splitlines() if attempts.exists() else None)
    print(format_table(results))
    print(f"\nwrote {md_path} and {json_path} (git {info['git_commit']}). {CAUTION}")
    return 0
