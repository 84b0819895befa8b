"""`netmob-tor bench`: time the warehouse build against the raw scan floor and the notebook-style baseline.

For each scale: generate synthetic raw files (cached by their generation arguments), measure the
floor (DuckDB `count(*)` over `read_csv` of the same files, same column spec as the source), build
`+commune_summary` with dbt into a fresh DuckDB file per thread count, time each stage from dbt's
run_results.json, run the analysis, then the pandas baseline of benchmarks/notebook_baseline.py
(three passes), checking its commune rho equals the warehouse's. Timings only: the data are
synthetic, and any figure they yield is an exploratory area-level association.

Modules, each importing only those above it: floors (raw files, scan floors, anchors; anchors runs in a
subprocess), equality (the Spark-against-DuckDB equality and the bench's tolerance), builds (timed dbt
builds), reanalysis (rebuilds after a change, on the command line and in a session), baseline (the
notebook's passes), run (one result per scale), results (results.json / results.md), spark (`--target
spark`), main (the command).
"""

from netmob_tor.bench.baseline import load_baseline
from netmob_tor.bench.builds import STAGES, machine
from netmob_tor.bench.floors import raw_files
from netmob_tor.bench.main import main_bench
from netmob_tor.bench.reanalysis import REANALYSES
from netmob_tor.bench.results import REQUIRED_KEYS, write_results
from netmob_tor.bench.run import run_bench

__all__ = ["REANALYSES", "REQUIRED_KEYS", "STAGES", "load_baseline", "machine", "main_bench", "raw_files", "run_bench", "write_results"]
