"""Statistical layer: commune-level statistics of Koebe et al. (2024), steps 5-9, and beyond-the-paper checks.

Every figure here is an exploratory, area-level association between communes' aggregate
traffic and recorded crime; none has an individual or causal meaning.
"""

from netmob_tor.analysis.correlations import validation_correlations
from netmob_tor.analysis.dependent_correlations import (
    dependent_correlation_tests,
    steiger_z,
    study_t,
    williams_t,
)
from netmob_tor.analysis.distribution import correction_factor_summary, cpc_range_summary
from netmob_tor.analysis.pca import department_scores, trends_pca
from netmob_tor.analysis.regressions import format_table3, table3

__all__ = [
    "correction_factor_summary",
    "cpc_range_summary",
    "department_scores",
    "dependent_correlation_tests",
    "format_table3",
    "steiger_z",
    "study_t",
    "table3",
    "trends_pca",
    "validation_correlations",
    "williams_t",
]
