"""`python -m netmob_tor.bench`: the same as `netmob-tor bench`."""

from netmob_tor.bench.main import main_bench

raise SystemExit(main_bench())
