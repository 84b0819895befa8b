"""The study's released aggregates (reference/study_release), read with codes normalised."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from netmob_tor.params import defaults
from netmob_tor.paths import reference_dir


def normalise_code(code: object) -> str:
    """INSEE commune code as 5 characters: restores the leading zero a spreadsheet dropped."""
    text = str(code).strip()
    if text.endswith(".0"):
        text = text[:-2]
    return text.zfill(5)


def released_communes(ref: Path | None = None) -> pd.DataFrame:
    """One row per study commune: city, code, released totals, c, rho, population, sexual-violence rates.

    `rho_released` is c / (s_onion x s_csam); it is the floored rho' for the communes whose rho
    was negative (`is_floored`). The file's wrong `log_*` columns are not read.
    """
    ref = ref or reference_dir()
    raw = pd.read_csv(ref / "study_release" / "cpc_com.csv", sep=";", dtype={"code_com": str})
    out = pd.DataFrame(
        {
            "city": raw["cities"],
            "commune_code": raw["code_com"].map(normalise_code),
            "tor_dl": raw["Tor"].astype(float),
            "web_adult_dl": raw["Web_Adult"].astype(float),
            "youtube_dl": raw["YouTube"].astype(float),
            "c": raw["c"].astype(float),
            "population": raw["pop"].astype(int),
            "cpc_per_1000": raw["cpc_per_1000"].astype(float),
            "sv_19": raw["sv_19"],
            "sv_17_21": raw["sv_17_21"],
            "sv_com_19": raw["sv_com_19"],
            "sv_com_17_21": raw["sv_com_17_21"],
        }
    )
    study = defaults()  # the release was computed with the study's parameters, dbt_project.yml's defaults
    out["rho_released"] = out["c"] / study.correction_scale
    out["is_floored"] = out["c"] <= study.c_floor * (1 + 1e-9)
    admin = pd.read_csv(ref / "admin" / "study_communes_admin.csv", dtype=str)
    admin = admin.rename(columns={"code_commune": "commune_code", "name": "commune_name"})
    out = out.merge(admin[["commune_code", "commune_name", "department", "region", "epci"]], on="commune_code", how="left", validate="one_to_one")
    if out["commune_name"].isna().any():
        missing = out.loc[out["commune_name"].isna(), "commune_code"].tolist()
        raise ValueError(f"released communes without an admin record: {missing[:10]}")
    return out.sort_values(["city", "commune_code"]).reset_index(drop=True)


def grid_dims(ref: Path | None = None) -> pd.DataFrame:
    """Rows and columns of each city's 100 m NetMob grid (tile_id = row x n_cols + col)."""
    ref = ref or reference_dir()
    return pd.read_csv(ref / "netmob23_geography" / "city_grid_dims.csv")
