"""Paper mode: a commune_summary-like frame rebuilt from the study's released aggregates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from netmob_tor.params import sv_mean_column, sv_mean_with_fallback_column, sv_reference_column, sv_reference_with_fallback_column
from netmob_tor.release import released_communes

SERVICES = {"tor": "tor_dl", "web_adult": "web_adult_dl", "youtube": "youtube_dl"}


def released_summary(ref: Path | None = None) -> pd.DataFrame:
    """One row per study commune (1341) with the columns the analysis reads from commune_summary.

    rho is c / (s_onion x s_csam) except for floored communes, whose rho (negative) was not
    released: there it is NaN and `is_rho_floored` is true, while `rho_prime` keeps the floor.
    Per-1000 rates are totals / population x 1000 and logs are ln(per_1000) (the release's own
    log_* columns are wrong and are not used); cpc = c x Tor. `sexual_violence_rate`
    is the commune-only mean 2017-2021 (`sv_com_17_21`), missing where SSMSI withholds it; the
    reference year and the department fallbacks (`sv_com_19`, `sv_17_21`, `sv_19`) come alongside.
    """
    rel = released_communes(ref)
    out = rel[["city", "commune_code", "commune_name", "department", "region", "epci", "population", "c"]].copy()
    floored = rel["is_floored"].astype(bool)
    out["is_rho_floored"] = floored
    out["rho_prime"] = rel["rho_released"]
    out["rho"] = rel["rho_released"].where(~floored, np.nan)
    for service, column in SERVICES.items():
        out[column] = rel[column]
        out[f"{service}_per_1000"] = rel[column] / rel["population"] * 1000
    out["cpc"] = rel["c"] * rel["tor_dl"]
    out["cpc_per_1000"] = out["cpc"] / out["population"] * 1000
    with np.errstate(divide="ignore"):
        for name in ("youtube", "web_adult", "tor", "cpc"):
            out[f"log_{name}_per_1000"] = np.log(out[f"{name}_per_1000"])
    out[sv_mean_column()] = pd.to_numeric(rel["sv_com_17_21"], errors="coerce")
    out[sv_reference_column()] = pd.to_numeric(rel["sv_com_19"], errors="coerce")
    out[sv_mean_with_fallback_column()] = pd.to_numeric(rel["sv_17_21"], errors="coerce")
    out[sv_reference_with_fallback_column()] = pd.to_numeric(rel["sv_19"], errors="coerce")
    return out.reset_index(drop=True)
