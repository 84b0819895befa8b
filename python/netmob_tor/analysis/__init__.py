"""Statistical layer: commune-level validation statistics of Koebe et al. (2024), steps 5-7.

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

__all__ = [
    "correction_factor_summary",
    "cpc_range_summary",
    "dependent_correlation_tests",
    "steiger_z",
    "study_t",
    "validation_correlations",
    "williams_t",
]
