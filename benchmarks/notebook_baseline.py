"""The notebook-style baseline of `netmob-tor bench`: what the original analysis notebooks did, in pandas.

Pass 1 (the commune correlations): for each raw file, `pandas.read_csv(sep=' ', header=None)`,
merge with the tile -> commune crosswalk, group by commune and quarter-hour, concatenate; then
hourly sums and the Pearson ln-ln correlation per commune (zeros -> `log_floor`, anomaly days
dropped, the 92-value spring-forward file mapped to real local hours as the models do).
Pass 2 re-reads every file for the top 0.1 % of (tile, service) pairs by mean daily traffic x c;
pass 3 re-reads every file for the hourly tile series of the top communes by cpc.
Lives outside the package on purpose: it is the yardstick, not the pipeline. Results are
exploratory area-level associations with no individual or causal meaning.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

SERVICES = ("Tor", "Web_Adult", "YouTube")
DIRECTION = "DL"
LOG_FLOOR = 0.001
DST_GAP_HOUR = 2
TOP_TILE_SHARE = 0.001
TOP_COMMUNES = 10
FILE_RE = re.compile(r"(?P<city>[^/]+)/(?P<service>[^/]+)/(?P<stamp>\d{8})/[^/]+_(?P=stamp)_(?P<dir>[A-Z]+)\.txt$")


def traffic_files(data_root: Path, services: tuple[str, ...] = SERVICES) -> Iterator[tuple[str, str, pd.Timestamp, Path]]:
    """Every NetMob traffic file under data_root as (city, service, date, path), in a stable order."""
    for path in sorted(data_root.glob(f"*/*/*/*_{DIRECTION}.txt")):
        match = FILE_RE.search(path.as_posix())
        if match and match["service"] in services:
            yield match["city"], match["service"], pd.Timestamp(match["stamp"]), path


def read_raw(path: Path) -> pd.DataFrame:
    """One raw file as the notebooks read it: column 0 the tile id, 1..96 (or 1..92) the quarter-hours."""
    return pd.read_csv(path, sep=" ", header=None)


def quarter_hours_to_hours(n_values: int) -> np.ndarray:
    """Local hour of each value of a file: 96 values -> 24 hours; 92 (spring-forward) skip the gap hour."""
    hours = np.arange(n_values) // 4
    if n_values == 92:
        hours = np.where(hours >= DST_GAP_HOUR, hours + 1, hours)
    return hours


def load_anomaly_days(seed_csv: Path) -> pd.DataFrame:
    """The anomaly-days seed: city ('*' for all) and date."""
    days = pd.read_csv(seed_csv)
    days["anomaly_date"] = pd.to_datetime(days["anomaly_date"])
    return days[["city", "anomaly_date"]]


def is_anomaly(city: str, day: pd.Timestamp, anomalies: pd.DataFrame) -> bool:
    """Whether `day` is an anomaly day for `city` (listed for the city or for every city)."""
    hit = anomalies[(anomalies["anomaly_date"] == day) & anomalies["city"].isin(["*", city])]
    return not hit.empty


def commune_quarter_hours(data_root: Path, crosswalk: pd.DataFrame) -> pd.DataFrame:
    """Pass 1, the loop: per file read, merge with the crosswalk, group by commune and quarter-hour; concatenate."""
    frames = []
    for city, service, day, path in traffic_files(data_root):
        raw = read_raw(path)
        n_values = raw.shape[1] - 1
        tiles = crosswalk[crosswalk["city"] == city][["tile_id", "commune_code"]]
        merged = raw.merge(tiles, left_on=0, right_on="tile_id", how="inner")
        grouped = merged.groupby("commune_code")[list(range(1, n_values + 1))].sum()
        long = grouped.stack().rename("dl").reset_index().rename(columns={"level_1": "quarter"})
        long["city"], long["service"], long["traffic_date"], long["n_values"] = city, service, day, n_values
        frames.append(long)
    return pd.concat(frames, ignore_index=True)


def commune_hours(quarters: pd.DataFrame, anomalies: pd.DataFrame) -> pd.DataFrame:
    """Hourly sums per commune and kept local hour, one column per service (anomaly days dropped)."""
    quarters = quarters.copy()
    hour = np.where(
        (quarters["n_values"] == 92) & ((quarters["quarter"] - 1) // 4 >= DST_GAP_HOUR),
        (quarters["quarter"] - 1) // 4 + 1,
        (quarters["quarter"] - 1) // 4,
    )
    quarters["hour"] = hour
    pairs = quarters[["city", "traffic_date"]].drop_duplicates()
    pairs = pairs[[not is_anomaly(c, d, anomalies) for c, d in zip(pairs["city"], pairs["traffic_date"])]]
    kept = quarters.merge(pairs, on=["city", "traffic_date"], how="inner")
    hourly = kept.groupby(["commune_code", "traffic_date", "hour", "service"])["dl"].sum()
    return hourly.unstack("service").reset_index()


def commune_rho(hours: pd.DataFrame) -> pd.Series:
    """Pearson correlation of ln Web_Adult and ln Tor over each commune's hours, zeros floored."""
    logged = pd.DataFrame(
        {
            "commune_code": hours["commune_code"],
            "ln_web_adult": np.log(hours["Web_Adult"].replace(0, LOG_FLOOR).clip(lower=LOG_FLOOR)),
            "ln_tor": np.log(hours["Tor"].replace(0, LOG_FLOOR).clip(lower=LOG_FLOOR)),
        }
    )
    return logged.groupby("commune_code").apply(lambda g: g["ln_web_adult"].corr(g["ln_tor"]), include_groups=False).rename("rho")


def pass_rho(data_root: Path, crosswalk: pd.DataFrame, anomalies: pd.DataFrame) -> pd.Series:
    """Pass 1: the commune correlations from the raw files, as the notebooks computed them."""
    return commune_rho(commune_hours(commune_quarter_hours(data_root, crosswalk), anomalies))


def pass_top_tiles(data_root: Path, crosswalk: pd.DataFrame, c: pd.Series, anomalies: pd.DataFrame) -> pd.DataFrame:
    """Pass 2: re-read every file; top 0.1 % of (tile, service) pairs by mean daily traffic over kept days x c."""
    frames = []
    for city, service, day, path in traffic_files(data_root):
        if is_anomaly(city, day, anomalies):
            continue
        raw = read_raw(path)
        frames.append(pd.DataFrame({"city": city, "service": service, "tile_id": raw[0], "daily": raw.iloc[:, 1:].sum(axis=1)}))
    daily = pd.concat(frames, ignore_index=True)
    means = daily.groupby(["city", "service", "tile_id"], as_index=False)["daily"].mean()
    scored = means.merge(crosswalk, on=["city", "tile_id"], how="inner").merge(c.rename("c").reset_index(), on="commune_code")
    scored["score"] = scored["daily"] * scored["c"]
    k = math.ceil(TOP_TILE_SHARE * len(scored))
    return scored.nlargest(k, "score")[["city", "service", "tile_id", "commune_code", "score"]].reset_index(drop=True)


def pass_top_commune_series(
    data_root: Path, crosswalk: pd.DataFrame, top_communes: list[str], c: pd.Series, anomalies: pd.DataFrame
) -> pd.DataFrame:
    """Pass 3: re-read every file; hourly series of each tile of the top communes (Tor x c), kept days."""
    tiles = crosswalk[crosswalk["commune_code"].isin(top_communes)]
    frames = []
    for city, service, day, path in traffic_files(data_root):
        if is_anomaly(city, day, anomalies):
            continue
        raw = read_raw(path)
        raw = raw[raw[0].isin(tiles.loc[tiles["city"] == city, "tile_id"])]
        n_values = raw.shape[1] - 1
        values = raw.iloc[:, 1:].T.groupby(quarter_hours_to_hours(n_values)).sum().T
        values["tile_id"] = raw[0].to_numpy()
        long = values.melt(id_vars="tile_id", var_name="hour", value_name="dl")
        long["city"], long["service"], long["traffic_date"] = city, service, day
        frames.append(long)
    series = pd.concat(frames, ignore_index=True).merge(crosswalk, on=["city", "tile_id"])
    scale = np.where(series["service"] == "Tor", series["commune_code"].map(c), 1.0)
    series["dl"] = series["dl"] * scale
    return series[["commune_code", "tile_id", "service", "traffic_date", "hour", "dl"]]


def run_workflow(data_root: Path, crosswalk: pd.DataFrame, summary: pd.DataFrame, anomalies: pd.DataFrame) -> dict[str, object]:
    """The three passes in order; c and the top communes come from `summary` (commune_code, c, cpc_per_1000)."""
    import time

    timings: dict[str, float] = {}
    start = time.perf_counter()
    rho = pass_rho(data_root, crosswalk, anomalies)
    timings["rho"] = time.perf_counter() - start
    c = summary.set_index("commune_code")["c"]
    top = summary.sort_values(["cpc_per_1000", "commune_code"], ascending=[False, True])["commune_code"].head(TOP_COMMUNES).tolist()
    start = time.perf_counter()
    tiles = pass_top_tiles(data_root, crosswalk, c, anomalies)
    timings["top_tiles"] = time.perf_counter() - start
    start = time.perf_counter()
    series = pass_top_commune_series(data_root, crosswalk, top, c, anomalies)
    timings["top_commune_series"] = time.perf_counter() - start
    return {"rho": rho, "top_tiles": tiles, "series": series, "top_communes": top, "seconds": timings}
