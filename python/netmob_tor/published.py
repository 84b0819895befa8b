"""The study's published figures (Koebe et al. 2024 and its preprint), the yardstick of a reproduction.

Transcribed from the paper's tables and text (see ../shared/docs/STUDY.md, "Published figures to
reproduce"); exploratory area-level associations with no individual or causal meaning.
"""

from __future__ import annotations

# Table 2 (n = 731): Spearman rho and p of the commune sexual-violence rate with each log rate.
TABLE2 = {
    "log_youtube_per_1000": (0.178, 1.33e-06),
    "log_web_adult_per_1000": (0.161, 1.18e-05),
    "log_tor_per_1000": (0.237, 7.94e-11),
    "log_cpc_per_1000": (0.284, 4.99e-15),
}
TABLE2_N = 731
# Results text: the Table 2 cpc correlation with Tor lagged by 2 hours.
TABLE2_CPC_TOR_LAGGED = 0.34

# Table 1, row c: mean, std, min, quartiles, max (as printed, 4 decimals; max 0.002).
TABLE1_C = {"mean": 0.0008, "std": 0.0003, "min": 0.0000, "p25": 0.0005, "p50": 0.0008, "p75": 0.0010, "max": 0.002}
# Table 1, row rho (before flooring).
TABLE1_RHO = {"mean": 0.1649, "std": 0.0750, "min": -0.0493, "p25": 0.1166, "p50": 0.1684, "p75": 0.2139, "max": 0.4971}
N_FLOORED = 14

# The preprint's variant (c = 0.415 x rho', Spearman on YouTube-differenced logs).
PREPRINT_TABLE2_CPC = 0.312
PREPRINT_TABLE2_CPC_TOR_LAGGED = 0.44
PREPRINT_MEAN_C = 0.033
