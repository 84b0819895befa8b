"""netmob_tor: a DuckDB + dbt warehouse for Koebe et al. (2024) on NetMob 2023 traffic.

Every figure it produces is an exploratory, area-level association between communes'
aggregate mobile traffic and recorded crime; none has an individual or causal meaning.
"""

CAUTION = (
    "Exploratory area-level associations between communes' aggregate mobile traffic and "
    "recorded statistics; they carry no individual or causal meaning."
)

__version__ = "0.1.0"
