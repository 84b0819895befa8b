"""The notebook-style baseline of `netmob-tor bench`, and an independent pandas oracle of the two processing profiles.

Written from the authors' notebook (2_compute_cpc.ipynb), step by step, not from the warehouse's SQL:
read each raw file with 96 quarter-hour names (`pd.read_csv(..., names=['tile_id'] + labels)`),
merge the tiles with the tile -> commune crosswalk, group by commune and quarter-hour, join the three
services, apply the anomaly rule, sum per commune (totals) and per commune x date x hour, floor and
log, then Pearson / lagged Pearson / Spearman per commune and the correction factor c.

Two choices make the processing profiles, each a parameter of its own (as the dbt vars are):

- anomaly_rule: 'zero_web_adult' (the notebook: drop commune x quarter-hour rows whose Web_Adult is 0
  on the filter days, zero_web_adult_days; every day kept) or 'drop_days' (whole anomaly days of
  the `anomaly_days` seed dropped per city; no zero filter).
- day_labels: 'position' (the notebook: values labelled by position with 96 names, so the 92-value
  spring-forward file's last four labels are empty, and the Tor lag is 2 clock hours on those labels)
  or 'local_time' (values mapped to real local times, 02:00-02:45 absent that night, and the lag is 2
  real elapsed hours, compared as UTC instants).

Presets: PROFILES['study'] = (zero_web_adult, position); PROFILES['corrected'] = (drop_days, local_time).

The bench passes: pass 1 (the commune rho) is the oracle; pass 2 re-reads every file for the top 0.1 %
of (tile, service) pairs by mean daily traffic x c; pass 3 re-reads every file for the hourly tile
series of the top communes by cpc. Lives outside the package on purpose: it is the yardstick, not the
pipeline. Results are exploratory area-level associations with no individual or causal meaning.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from netmob_tor.params import defaults

# The study's parameters (dbt_project.yml's vars): the yardstick follows the notebook's steps, not its constants' copies.
STUDY = defaults()
SERVICES = STUDY.services
NOTEBOOK_APPS = ("Web_Adult", "Tor", "YouTube")  # the notebook's order: Web_Adult first, the others left-joined to it
DIRECTION = STUDY.direction
LOG_FLOOR = STUDY.log_floor
DST_GAP_HOUR = STUDY.dst_gap_hour
FILTER_DAYS = tuple(d.isoformat() for d in STUDY.zero_web_adult_days)
TOR_LAG_HOURS = STUDY.tor_lag_hours
LOCAL_TZ = STUDY.timezone
CP_SHARE = STUDY.s_csam  # child pornography among pornographic onion URLs (DUTA)
TOR_TO_DARKNET_SHARE = STUDY.s_onion
C_FLOOR = STUDY.c_floor
TOP_TILE_SHARE = STUDY.top_tile_share
TOP_COMMUNES = 10
FILE_RE = re.compile(r"(?P<city>[^/]+)/(?P<service>[^/]+)/(?P<stamp>\d{8})/[^/]+_(?P=stamp)_(?P<dir>[A-Z]+)\.txt$")
QUARTER_LABELS = [f"{i // 4:02d}:{15 * (i % 4):02d}" for i in range(96)]
ANOMALY_RULES = ("zero_web_adult", "drop_days")
DAY_LABELS = ("position", "local_time")


class Profile(NamedTuple):
    """One combination of the processing choices the oracle follows (a NamedTuple: bench loads this file unregistered)."""

    anomaly_rule: str = "zero_web_adult"
    day_labels: str = "position"
    filter_days: tuple[str, ...] = FILTER_DAYS
    log_floor: float = LOG_FLOOR
    lag_hours: int = TOR_LAG_HOURS


PROFILES = {
    "study": Profile(anomaly_rule="zero_web_adult", day_labels="position"),
    "corrected": Profile(anomaly_rule="drop_days", day_labels="local_time"),
}


def resolve_profile(profile: str | Profile) -> Profile:
    """A preset name ('study', 'corrected') or a Profile, as a Profile."""
    p = profile if isinstance(profile, Profile) else PROFILES[profile]
    if p.anomaly_rule not in ANOMALY_RULES:
        raise ValueError(f"anomaly_rule must be one of {ANOMALY_RULES}, got {p.anomaly_rule!r}")
    if p.day_labels not in DAY_LABELS:
        raise ValueError(f"day_labels must be one of {DAY_LABELS}, got {p.day_labels!r}")
    return p


# ---------------------------------------------------------------- files


def traffic_files(data_root: Path, services: tuple[str, ...] = SERVICES) -> Iterator[tuple[str, str, pd.Timestamp, Path]]:
    """Every NetMob traffic file under data_root as (city, service, date, path), in a stable order."""
    for path in sorted(data_root.glob(f"*/*/*/*_{DIRECTION}.txt")):
        match = FILE_RE.search(path.as_posix())
        if match and match["service"] in services:
            yield match["city"], match["service"], pd.Timestamp(match["stamp"]), path


def read_raw(path: Path) -> pd.DataFrame:
    """One raw file with no names: column 0 the tile id, 1..96 (or 1..92) the quarter-hours."""
    return pd.read_csv(path, sep=" ", header=None)


def quarter_hours_to_hours(n_values: int) -> np.ndarray:
    """Local hour of each value of a file: 96 values -> 24 hours; 92 (spring-forward) skip the gap hour."""
    hours = np.arange(n_values) // 4
    if n_values == 92:
        hours = np.where(hours >= DST_GAP_HOUR, hours + 1, hours)
    return hours


def local_quarter_labels(n_values: int) -> list[str]:
    """Real local time ('HH:MM') of each value of a file: all 96, or 92 without 02:00-02:45."""
    if n_values == 96:
        return list(QUARTER_LABELS)
    if n_values == 92:
        return [label for label in QUARTER_LABELS if int(label[:2]) != DST_GAP_HOUR]
    raise ValueError(f"a traffic file has 96 or 92 values per tile, not {n_values}")


def read_labelled(path: Path, day_labels: str) -> pd.DataFrame:
    """One raw file with quarter-hour names: by position (the notebook's read_csv) or by real local time."""
    if day_labels == "position":
        return pd.read_csv(path, sep=" ", names=["tile_id", *QUARTER_LABELS])
    raw = read_raw(path)
    return raw.set_axis(["tile_id", *local_quarter_labels(raw.shape[1] - 1)], axis=1)


def load_anomaly_days(seed_csv: Path) -> pd.DataFrame:
    """The anomaly-days seed: city ('*' for all) and date."""
    days = pd.read_csv(seed_csv)
    days["anomaly_date"] = pd.to_datetime(days["anomaly_date"])
    return days[["city", "anomaly_date"]]


def is_anomaly(city: str, day: pd.Timestamp, anomalies: pd.DataFrame) -> bool:
    """Whether `day` is an anomaly day for `city` (listed for the city or for every city)."""
    hit = anomalies[(anomalies["anomaly_date"] == day) & anomalies["city"].isin(["*", city])]
    return not hit.empty


def selected_files(data_root: Path, cities: Iterable[str] | None, days: Iterable[str | pd.Timestamp] | None) -> list[tuple[str, str, pd.Timestamp, Path]]:
    """traffic_files restricted to some cities and days (None: all)."""
    city_set = None if cities is None else set(cities)
    day_set = None if days is None else {pd.Timestamp(d) for d in days}
    return [f for f in traffic_files(data_root) if (city_set is None or f[0] in city_set) and (day_set is None or f[2] in day_set)]


# ---------------------------------------------------------------- the notebook's steps


def commune_file_sums(labelled: pd.DataFrame, tiles: pd.DataFrame) -> pd.DataFrame:
    """One file: left-merge the tiles with the city's crosswalk, group by commune, sum each quarter-hour (NaN -> 0)."""
    columns = [c for c in labelled.columns if c != "tile_id"]
    merged = labelled.merge(tiles, on="tile_id", how="left")
    return merged.groupby("commune_code")[columns].sum().reset_index()  # tiles outside every commune (NaN key) drop out


def service_quarters(files: list[tuple[str, str, pd.Timestamp, Path]], crosswalk: pd.DataFrame, city: str, service: str, day_labels: str) -> pd.DataFrame:
    """One city and service, all its days: per-file commune sums concatenated, melted to (commune, date, time)."""
    tiles = crosswalk.loc[crosswalk["city"] == city, ["tile_id", "commune_code"]]
    frames = []
    for _, _, day, path in (f for f in files if f[0] == city and f[1] == service):
        sums = commune_file_sums(read_labelled(path, day_labels), tiles)
        sums["date"] = day
        frames.append(sums.melt(id_vars=["commune_code", "date"], var_name="time", value_name=service))
    return pd.concat(frames, ignore_index=True)


def join_services(per_service: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The three services on (commune, date, time): Web_Adult first, the others left-joined, as the notebook did."""
    joined = per_service[NOTEBOOK_APPS[0]]
    for app in NOTEBOOK_APPS[1:]:
        joined = joined.merge(per_service[app], on=["commune_code", "date", "time"], how="left")
    return joined.drop_duplicates(subset=["commune_code", "date", "time"])


def commune_quarters(
    data_root: Path, crosswalk: pd.DataFrame, day_labels: str, cities: Iterable[str] | None = None, days: Iterable[str | pd.Timestamp] | None = None
) -> pd.DataFrame:
    """Per city: commune x date x quarter-hour rows with one column per service (before any anomaly rule)."""
    files = selected_files(data_root, cities, days)
    crosswalk = crosswalk.dropna(subset=["commune_code"])
    frames = []
    for city in sorted({f[0] for f in files}):
        joined = join_services({app: service_quarters(files, crosswalk, city, app, day_labels) for app in NOTEBOOK_APPS})
        joined["city"] = city
        frames.append(joined)
    quarters = pd.concat(frames, ignore_index=True)
    quarters["hour"] = quarters["time"].str.split(":").str[0].astype(int)
    return quarters


def filter_zero_web_adult(quarters: pd.DataFrame, filter_days: Iterable[str | pd.Timestamp]) -> pd.DataFrame:
    """The notebook's filter: drop rows whose Web_Adult is 0 on one of the filter days (all services go)."""
    on_filter_day = quarters["date"].isin([pd.Timestamp(d) for d in filter_days])
    return quarters[~((quarters["Web_Adult"] == 0) & on_filter_day)]


def drop_anomaly_days(quarters: pd.DataFrame, anomalies: pd.DataFrame) -> pd.DataFrame:
    """The corrected rule: drop whole anomaly days of the seed, per city ('*' = every city)."""
    cities = quarters["city"].unique()
    listed = anomalies.assign(city=anomalies["city"].map(lambda c: list(cities) if c == "*" else [c])).explode("city")
    pairs = listed.rename(columns={"anomaly_date": "date"})[["city", "date"]].drop_duplicates()
    marked = quarters.merge(pairs.assign(_anomaly=True), on=["city", "date"], how="left")
    return marked[marked["_anomaly"].isna()].drop(columns="_anomaly")


def apply_anomaly_rule(quarters: pd.DataFrame, anomaly_rule: str, filter_days: Iterable[str | pd.Timestamp], anomalies: pd.DataFrame | None) -> pd.DataFrame:
    """The profile's anomaly rule: 'zero_web_adult' with the filter days, or 'drop_days' with the seed."""
    if anomaly_rule == "zero_web_adult":
        return filter_zero_web_adult(quarters, filter_days)
    if anomalies is None:
        raise ValueError("anomaly_rule 'drop_days' needs the anomaly-days seed (load_anomaly_days)")
    return drop_anomaly_days(quarters, anomalies)


def commune_totals(quarters: pd.DataFrame) -> pd.DataFrame:
    """Per commune: the sum of each service over the remaining quarter-hour rows."""
    return quarters.groupby(["city", "commune_code"])[list(NOTEBOOK_APPS)].sum().reset_index()


def hour_clock(hours: pd.DataFrame, day_labels: str) -> pd.Series:
    """The timestamp the lag compares: naive date + hour label ('position'), or the UTC instant of the local hour."""
    local = hours["date"] + pd.to_timedelta(hours["hour"], unit="h")
    if day_labels == "position":
        return local
    return local.dt.tz_localize(LOCAL_TZ, ambiguous="raise", nonexistent="raise").dt.tz_convert("UTC")


def commune_hours(quarters: pd.DataFrame, day_labels: str = "position") -> pd.DataFrame:
    """Hourly sums per date, hour and commune of the remaining rows (an hour with no row left is absent)."""
    hours = quarters.groupby(["date", "hour", "city", "commune_code"])[list(NOTEBOOK_APPS)].sum().reset_index()
    hours["clock"] = hour_clock(hours, day_labels)
    return hours


def floored_logs(hours: pd.DataFrame, log_floor: float = LOG_FLOOR) -> pd.DataFrame:
    """ln(max(x, log_floor)) of each service (the notebook replaced exact zeros by the floor)."""
    logged = hours.copy()
    for app in NOTEBOOK_APPS:
        logged[f"{app}_log"] = np.log(logged[app].clip(lower=log_floor))
    return logged


def commune_correlations(logged: pd.DataFrame) -> pd.DataFrame:
    """Per commune over its hour rows: n_hours, Pearson rho, Spearman rho, and the preprint's YouTube-relative Spearman."""

    def one(g: pd.DataFrame) -> pd.Series:
        wa, tor, yt = g["Web_Adult_log"], g["Tor_log"], g["YouTube_log"]
        return pd.Series(
            {
                "n_hours": len(g),
                "n_hours_without_tor": int((g["Tor"] == 0).sum()),
                "rho": wa.corr(tor, method="pearson"),
                "rho_spearman": wa.corr(tor, method="spearman"),
                "rho_preprint": (wa - yt).corr(tor - yt, method="spearman"),
            }
        )

    out = logged.groupby("commune_code")[["Web_Adult_log", "Tor_log", "YouTube_log", "Tor"]].apply(one)
    return out.astype({"n_hours": int, "n_hours_without_tor": int})


def lagged_correlation(logged: pd.DataFrame, lag_hours: int = TOR_LAG_HOURS) -> pd.DataFrame:
    """Per commune: Pearson of ln Web_Adult at t with ln Tor at t - lag (both rows present, inner match on the clock)."""
    now = logged[["commune_code", "clock", "Web_Adult_log"]]
    earlier = logged[["commune_code", "clock", "Tor_log"]].assign(clock=logged["clock"] + pd.Timedelta(hours=lag_hours))
    pairs = now.merge(earlier, on=["commune_code", "clock"], how="inner")
    grouped = pairs.groupby("commune_code")
    return pd.DataFrame(
        {
            "n_hour_pairs_lagged": grouped.size(),
            "rho_tor_lagged": grouped[["Web_Adult_log", "Tor_log"]].apply(lambda g: g["Web_Adult_log"].corr(g["Tor_log"])),
        }
    )


def correction_factors(rho: pd.Series) -> pd.DataFrame:
    """c = rho x s_csam x s_onion floored to c_floor where negative (published); preprint c = s_csam x rho'."""
    c = rho * CP_SHARE * TOR_TO_DARKNET_SHARE
    c = c.mask(c < 0, C_FLOOR)
    rho_prime = rho.mask(rho < 0, C_FLOOR / (TOR_TO_DARKNET_SHARE * CP_SHARE))
    return pd.DataFrame({"c": c, "rho_prime": rho_prime, "c_preprint": CP_SHARE * rho_prime})


def oracle(
    data_root: Path,
    crosswalk: pd.DataFrame,
    profile: str | Profile = "study",
    anomalies: pd.DataFrame | None = None,
    cities: Iterable[str] | None = None,
    days: Iterable[str | pd.Timestamp] | None = None,
) -> pd.DataFrame:
    """Per commune: the three totals, n_hours, rho, rho_tor_lagged, rho_spearman, rho_preprint, c under a profile."""
    p = resolve_profile(profile)
    quarters = commune_quarters(data_root, crosswalk, p.day_labels, cities, days)
    kept = apply_anomaly_rule(quarters, p.anomaly_rule, p.filter_days, anomalies)
    totals = commune_totals(kept).set_index("commune_code")
    logged = floored_logs(commune_hours(kept, p.day_labels), p.log_floor)
    corr = commune_correlations(logged)
    result = totals.join(corr, how="left").join(lagged_correlation(logged, p.lag_hours), how="left")
    result["n_hour_pairs_lagged"] = result["n_hour_pairs_lagged"].fillna(0).astype(int)
    result = result.join(correction_factors(result["rho"]))
    return result.rename(columns={"Tor": "tor_dl", "Web_Adult": "web_adult_dl", "YouTube": "youtube_dl"}).sort_index()


# ---------------------------------------------------------------- the bench's three passes


def tile_day_kept(city: str, day: pd.Timestamp, p: Profile, anomalies: pd.DataFrame | None) -> bool:
    """Whether a tile-level pass reads this city-day: 'drop_days' skips seed days; 'zero_web_adult' (a commune-level rule) keeps all."""
    return not (p.anomaly_rule == "drop_days" and anomalies is not None and is_anomaly(city, day, anomalies))


def pass_rho(data_root: Path, crosswalk: pd.DataFrame, anomalies: pd.DataFrame | None = None, profile: str | Profile = "study") -> pd.Series:
    """Pass 1: the commune correlations from the raw files, as the oracle computes them under a profile."""
    return oracle(data_root, crosswalk, profile, anomalies)["rho"]


def pass_top_tiles(data_root: Path, crosswalk: pd.DataFrame, c: pd.Series, anomalies: pd.DataFrame | None = None,
                   profile: str | Profile = "study", top_tile_share: float = TOP_TILE_SHARE) -> pd.DataFrame:
    """Pass 2: re-read every file; per service, the n = floor(top_tile_share x all (tile, service) pairs) pairs with
    the largest mean daily traffic over kept days x c (the study's `nlargest(n, traffic_mean x c)`)."""
    p = resolve_profile(profile)
    frames = []
    for city, service, day, path in traffic_files(data_root):
        if not tile_day_kept(city, day, p, anomalies):
            continue
        raw = read_raw(path)
        frames.append(pd.DataFrame({"city": city, "service": service, "tile_id": raw[0], "daily": raw.iloc[:, 1:].sum(axis=1)}))
    daily = pd.concat(frames, ignore_index=True)
    means = daily.groupby(["city", "service", "tile_id"], as_index=False)["daily"].mean()
    n_top = math.floor(len(means) * top_tile_share)
    scored = means.merge(crosswalk, on=["city", "tile_id"], how="inner").merge(c.rename("c").reset_index(), on="commune_code")
    scored["score"] = scored["daily"] * scored["c"]
    scored = scored.dropna(subset=["score"])
    top = scored.sort_values("score", ascending=False, kind="stable").groupby("service").head(n_top)
    return top[["city", "service", "tile_id", "commune_code", "score"]].reset_index(drop=True)


def pass_top_commune_series(
    data_root: Path, crosswalk: pd.DataFrame, top_communes: list[str], c: pd.Series, anomalies: pd.DataFrame | None = None, profile: str | Profile = "study"
) -> pd.DataFrame:
    """Pass 3: re-read every file; hourly tile series of the top communes (Tor x c), kept days, real local hours.

    Tile-level series carry real local hours under every profile (as the warehouse's tile-day table
    does); the profile decides only which days are kept (see tile_day_kept).
    """
    p = resolve_profile(profile)
    tiles = crosswalk[crosswalk["commune_code"].isin(top_communes)]
    frames = []
    for city, service, day, path in traffic_files(data_root):
        if not tile_day_kept(city, day, p, anomalies):
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


def run_workflow(
    data_root: Path, crosswalk: pd.DataFrame, summary: pd.DataFrame, anomalies: pd.DataFrame | None = None, profile: str | Profile = "study",
    top_tile_share: float = TOP_TILE_SHARE,
) -> dict[str, object]:
    """The three passes in order; c and the top communes come from `summary` (commune_code, c, cpc_per_1000)."""
    import time

    timings: dict[str, float] = {}
    start = time.perf_counter()
    rho = pass_rho(data_root, crosswalk, anomalies, profile)
    timings["rho"] = time.perf_counter() - start
    c = summary.set_index("commune_code")["c"]
    top = summary.sort_values(["cpc_per_1000", "commune_code"], ascending=[False, True])["commune_code"].head(TOP_COMMUNES).tolist()
    start = time.perf_counter()
    tiles = pass_top_tiles(data_root, crosswalk, c, anomalies, profile, top_tile_share)
    timings["top_tiles"] = time.perf_counter() - start
    start = time.perf_counter()
    series = pass_top_commune_series(data_root, crosswalk, top, c, anomalies, profile)
    timings["top_commune_series"] = time.perf_counter() - start
    return {"rho": rho, "top_tiles": tiles, "series": series, "top_communes": top, "seconds": timings}
