"""DuckLake with a DuckDB-file catalog: can two READ_ONLY reader processes attach at the same time?"""
import conc
d = conc.fresh("lake")
conc.scenario("lake: two READ_ONLY readers in two processes, overlapping",
              [(0, ("reader", "lake", d, 4)), (1, ("reader", "lake", d, 2))])
