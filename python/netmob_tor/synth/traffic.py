"""Synthetic NetMob traffic calibrated to the study's released aggregates, as the authors processed it.

Calibration target (the `study` processing profile): all generated days are kept; after the tiles
are summed to commune x quarter-hour, the rows whose commune Web_Adult is exactly 0 on 2019-03-31
or 2019-05-12 are removed (all three services). On what that rule leaves, each commune's
Tor, Web_Adult and YouTube totals equal the targets exactly (integers), and the hourly ln-ln
Pearson correlation between Web_Adult and Tor (zeros floored at 0.001; an hour exists when at
least one of its quarter-hours is left) lands on the target rho. Shapes follow the released
day-of-week x hour profiles.

Outages: on the filter days a city-wide window of quarter-hours zeroes Web_Adult in a random half
of the communes while Tor and YouTube keep a degraded volume there (removed by the rule, so it
counts in no total); Web_Adult quarter-hours that are 0 by chance are removed too and the
calibration is computed on what is really left. On the other anomaly days all three services dip
(x0.1-0.3) over a window of hours, a dip that is part of the calibrated series.

Each commune's hourly values are split to commune quarter-hours first, then every commune
quarter-hour is split over the commune's tiles by cumulative rounding (sums stay exact), and
written as one file per city, service and day in the NetMob layout.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from netmob_tor.params import days_between, defaults

# The generator writes data for the study's parameters: dbt_project.yml's defaults.
STUDY = defaults()
SERVICES = STUDY.services
TOTAL_COLUMN = {"Tor": "tor_dl", "Web_Adult": "web_adult_dl", "YouTube": "youtube_dl"}
PROFILE_COLUMN = {"Tor": "Tor_scaled", "Web_Adult": "Web_Adult", "YouTube": "YouTube"}
DST_SPRING_FORWARD = STUDY.dst_day
# Days on which the authors' notebook removes commune quarter-hours with Web_Adult exactly 0.
STUDY_ZERO_FILTER_DAYS = frozenset(STUDY.zero_web_adult_days)
LOG_FLOOR = STUDY.log_floor
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
UNASSIGNED = "unassigned"
# Share of a city's traffic carried by tiles outside every commune (synthetic choice).
UNASSIGNED_SHARE = 0.002
# Latent Tor spreads tried when the first calibration misses the target rho by more than 1e-3.
RETRY_SPREADS = (0.8, 1.25, 0.6, 1.6, 2.0)


@dataclass(frozen=True)
class HourAxis:
    """The local hours of the generated days: day index and hour of day of each existing hour.
    Quarter-hour q of the whole axis belongs to hour q // 4."""

    days: tuple[dt.date, ...]
    day_index: np.ndarray
    hour: np.ndarray
    weekday: np.ndarray

    @classmethod
    def for_days(cls, days: list[dt.date]) -> HourAxis:
        """All local hours of these days; the gap hour (02:00) does not exist on the spring-forward day."""
        d_idx, hours = [], []
        for i, day in enumerate(days):
            for h in range(24):
                if day == DST_SPRING_FORWARD and h == STUDY.dst_gap_hour:
                    continue
                d_idx.append(i)
                hours.append(h)
        d_arr, h_arr = np.array(d_idx), np.array(hours)
        weekday = np.array([days[i].weekday() for i in d_arr])
        return cls(tuple(days), d_arr, h_arr, weekday)

    def on_days(self, chosen: set[dt.date] | frozenset[dt.date]) -> np.ndarray:
        """Boolean mask of hours on the chosen days."""
        hit = np.array([day in chosen for day in self.days])
        return hit[self.day_index]

    def kept(self, anomaly_days: set[dt.date]) -> np.ndarray:
        """Boolean mask of hours on days that are not anomaly days (the corrected profile's days)."""
        return ~self.on_days(anomaly_days)


def study_days(start: dt.date | None = None, end: dt.date | None = None) -> list[dt.date]:
    """Every day from start to end, inclusive (default: the study period, 77 days)."""
    return days_between(start or STUDY.study_start, end or STUDY.study_end)


def load_profiles(heatmap_csv: Path) -> dict[str, np.ndarray]:
    """Centred log day-of-week x hour profiles (7 x 24) of each service from the released heatmap."""
    hm = pd.read_csv(heatmap_csv)
    hm["weekday"] = hm["Day"].map({d: i for i, d in enumerate(WEEKDAYS)})
    out = {}
    for service, col in PROFILE_COLUMN.items():
        grid = hm.pivot(index="weekday", columns="Hour", values=col).sort_index().to_numpy(dtype=float)
        log = np.log(grid)
        out[service] = log - log.mean()
    return out


def anomaly_days_by_city(seed_csv: Path, cities: list[str]) -> dict[str, set[dt.date]]:
    """The anomaly days of the dbt seed, per city (city `*` means every city)."""
    seed = pd.read_csv(seed_csv, dtype=str)
    out: dict[str, set[dt.date]] = {}
    for city in cities:
        rows = seed[(seed["city"] == "*") | (seed["city"] == city)]
        out[city] = {dt.date.fromisoformat(d) for d in rows["anomaly_date"]}
    return out


def largest_remainder(values: np.ndarray, total: int) -> np.ndarray:
    """Integers close to `values` (>= 0) that sum exactly to `total`: floor, then +1 to the
    largest remainders. Deterministic, and it puts sparse counts on the largest values."""
    scaled = values * (total / values.sum())
    out = np.floor(scaled).astype(np.int64)
    short = int(total - out.sum())
    if short > 0:
        order = np.argsort(-(scaled - out), kind="stable")
        out[order[:short]] += 1
    return out


def scaled_series(log_values: np.ndarray, total: int, share: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Visible integer hourly values and the underlying hourly level, shape exp(log_values).

    share: visible fraction of each hour (0 = hour not seen). The visible values are close to
    level x share and sum exactly to `total`; the level is the full hour's float volume.
    """
    seen = share > 0
    y = np.exp(log_values - log_values[seen].max())
    weight = y * share
    level = y * (total / weight[seen].sum())
    visible = np.zeros(len(y), dtype=np.int64)
    visible[seen] = largest_remainder(weight[seen], int(total))
    return visible, level


def floored_log(x: np.ndarray) -> np.ndarray:
    """ln(max(x, log_floor)): the study's log with zeros floored."""
    return np.log(np.maximum(x, LOG_FLOOR))


def tor_with_correlation(
    wa: np.ndarray,
    tor_shape: np.ndarray,
    total: int,
    target: float,
    share: np.ndarray,
    spread: float = 1.0,
    offset: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Visible integer Tor hours (sum `total`), their level, and the floored ln-ln correlation with
    Web_Adult `wa` over the visible hours (share > 0), as close to `target` as integers allow.

    The latent log Tor mixes the standardised log Web_Adult with the part of the Tor shape
    orthogonal to it, alpha : sqrt(1 - alpha^2), plus `offset` (outage dips); alpha is found by
    bisection on the realised correlation of the rounded visible series. Hours the rule removes
    get the Web_Adult term of an average hour, so their level is a normal Tor level.
    """
    seen = share > 0
    lw = floored_log(wa)
    x_all = np.where(seen, (lw - lw[seen].mean()) / (lw[seen].std() or 1.0), 0.0)  # unseen hours: average
    u_all = tor_shape - tor_shape[seen].mean()
    u_all = u_all - float(np.mean(u_all[seen] * x_all[seen])) * x_all
    u_all = u_all / (u_all[seen].std() or 1.0)
    shift = np.zeros(len(wa)) if offset is None else offset
    lw_seen = lw[seen]

    def realise(alpha: float) -> tuple[np.ndarray, np.ndarray, float]:
        latent = spread * (alpha * x_all + np.sqrt(max(0.0, 1 - alpha * alpha)) * u_all) + shift
        series, level = scaled_series(latent, total, share)
        return series, level, float(np.corrcoef(lw_seen, floored_log(series[seen]))[0, 1])

    lo, hi = -1.0, 1.0
    best = realise(target)
    for _ in range(30):
        mid = 0.5 * (lo + hi)
        trial = realise(mid)
        if abs(trial[2] - target) < abs(best[2] - target):
            best = trial
        if abs(trial[2] - target) < 1e-4:
            break
        lo, hi = (mid, hi) if trial[2] < target else (lo, mid)
    return best


def split_rows(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Split each integer values[i] over the columns of weights[i] (>= 0) by cumulative rounding;
    every row sums exactly to its value and zero-weight columns get 0."""
    w = weights / np.maximum(weights.sum(axis=1, keepdims=True), 1e-300)
    rounded = np.floor(np.cumsum(values[:, None] * w, axis=1) + 0.5)
    rounded[:, -1] = values
    return np.diff(rounded, axis=1, prepend=0.0).astype(np.int64)


def split_to_tiles(quarters: np.ndarray, group_of_tile: np.ndarray, tile_weight: np.ndarray) -> np.ndarray:
    """Split each group's integer quarter-hour values over its tiles by cumulative rounding.

    quarters: (n_groups, n_cols) integers; group_of_tile: (n_tiles,) group index, tiles sorted by
    group; tile_weight: (n_tiles,) summing to 1 within each group. Returns (n_tiles, n_cols)
    integers whose sum over a group's tiles equals the group's value in every column.
    """
    cells = quarters[group_of_tile] * tile_weight[:, None]
    cum = np.cumsum(cells, axis=0)
    first = np.flatnonzero(np.r_[True, group_of_tile[1:] != group_of_tile[:-1]])
    last = np.r_[first[1:] - 1, len(group_of_tile) - 1]
    before = np.where(first[:, None] > 0, cum[np.maximum(first - 1, 0)], 0.0)
    group_pos = np.cumsum(np.isin(np.arange(len(group_of_tile)), first)) - 1
    rounded = np.floor(cum - before[group_pos] + 0.5)
    rounded[last] = quarters[group_of_tile[last]]
    previous = np.vstack([np.zeros((1, cells.shape[1])), rounded[:-1]])
    previous[first] = 0.0
    return (rounded - previous).astype(np.int64)


@dataclass(frozen=True)
class CityOutages:
    """One city's outages and quarter-hour shapes on the hour axis (quarter q is in hour q // 4)."""

    quarter_weight: dict[str, np.ndarray]  # service -> (n_hours, 4), rows summing to 1
    filtered: np.ndarray  # (n_hours * 4,) quarter-hours on the study's zero-filter days
    outage: np.ndarray  # (n_hours * 4,) Web_Adult outage window on the filter days
    degraded: dict[str, float]  # service -> volume factor of Tor/YouTube in the outage window
    dip: np.ndarray  # (n_hours,) log factor of every service on the other anomaly days


def outage_quarters(axis: HourAxis, day: int, rng: np.random.Generator) -> np.ndarray:
    """Quarter-hour indices of a 6-20 quarter-hour outage window on day `day` of the axis."""
    hours = np.flatnonzero(axis.day_index == day)
    n_q = 4 * len(hours)
    length = int(rng.integers(6, 21))
    start = int(rng.integers(0, n_q - length + 1))
    return 4 * hours[0] + np.arange(start, start + length)


def dip_hours(rng: np.random.Generator) -> tuple[int, int, float]:
    """Hours [start, end) and volume factor of a degradation on a kept anomaly day."""
    start = int(rng.integers(0, 18))
    return start, start + int(rng.integers(3, 7)), float(rng.uniform(0.1, 0.3))


def city_outages(axis: HourAxis, anomaly_days: set[dt.date], rng: np.random.Generator) -> CityOutages:
    """Draw one city's quarter-hour shapes, filter-day outage window and anomaly-day dips."""
    n_hours = len(axis.hour)
    weights = {}
    for service in SERVICES:
        q = np.clip(1.0 + 0.15 * rng.standard_normal((n_hours, 4)), 0.2, None)
        weights[service] = q / q.sum(axis=1, keepdims=True)
    outage = np.zeros(4 * n_hours, dtype=bool)
    dip = np.zeros(n_hours)
    for d, day in enumerate(axis.days):
        if day in STUDY_ZERO_FILTER_DAYS:
            outage[outage_quarters(axis, d, rng)] = True
        elif day in anomaly_days:
            start, end, factor = dip_hours(rng)
            dip[(axis.day_index == d) & (axis.hour >= start) & (axis.hour < end)] = np.log(factor)
    degraded = {s: float(rng.uniform(0.2, 0.3)) for s in ("Tor", "YouTube")}
    filtered = np.repeat(axis.on_days(STUDY_ZERO_FILTER_DAYS), 4)
    return CityOutages(weights, filtered, outage, degraded, dip)


@dataclass(frozen=True)
class CommuneTarget:
    """What one commune's study-visible series must reproduce (integer totals, hourly rho)."""

    key: str
    totals: dict[str, int]
    rho: float


@dataclass(frozen=True)
class CommuneSeries:
    """One commune's integer quarter-hour series, what the study rule keeps, and the realised rho."""

    quarters: dict[str, np.ndarray]  # service -> (n_hours * 4,)
    visible: np.ndarray  # (n_hours * 4,) quarter-hours the study rule keeps
    rho: float


def calibrated_tor(
    wa: np.ndarray, tor_shape: np.ndarray, target: CommuneTarget, share: np.ndarray, offset: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float]:
    """tor_with_correlation, retried with a few latent spreads when integer rounding (sparse Tor)
    leaves the realised rho more than 1e-3 from the target; the closest result wins."""
    best = tor_with_correlation(wa, tor_shape, target.totals["Tor"], target.rho, share, offset=offset)
    for spread in RETRY_SPREADS:
        if abs(best[2] - target.rho) <= 1e-3:
            break
        trial = tor_with_correlation(wa, tor_shape, target.totals["Tor"], target.rho, share, spread, offset)
        if abs(trial[2] - target.rho) < abs(best[2] - target.rho):
            best = trial
    return best


def spread_quarters(
    visible_hours: np.ndarray, level: np.ndarray, weight: np.ndarray, visible: np.ndarray, factor: np.ndarray
) -> np.ndarray:
    """Quarter-hour values: visible hour values split over the visible quarters, and the level x
    factor (rounded) in the quarters the rule removes."""
    vis = visible.reshape(-1, 4)
    seen = split_rows(visible_hours, weight * vis)
    hidden = np.rint(level[:, None] * weight * factor.reshape(-1, 4)).astype(np.int64)
    return np.where(vis, seen, hidden).ravel()


def commune_series(
    target: CommuneTarget,
    axis: HourAxis,
    plan: CityOutages,
    affected: bool,
    profiles: dict[str, np.ndarray],
    rng: np.random.Generator,
) -> CommuneSeries:
    """Integer quarter-hour series of the three services for one commune, calibrated on the
    quarter-hours the study rule keeps."""
    day_noise = rng.normal(0.0, 0.12, size=(len(axis.days), 3))
    base = {s: profiles[s][axis.weekday, axis.hour] + plan.dip for s in SERVICES}
    youtube_log = base["YouTube"] + day_noise[axis.day_index, 0] + rng.normal(0.0, 0.12, len(axis.hour))
    wa_log = base["Web_Adult"] + day_noise[axis.day_index, 1] + rng.normal(0.0, 0.3, len(axis.hour))
    tor_shape = profiles["Tor"][axis.weekday, axis.hour] + day_noise[axis.day_index, 2]
    tor_shape = tor_shape + rng.normal(0.0, 0.6, len(axis.hour))
    cut = plan.outage if affected else np.zeros_like(plan.outage)
    wa_weight = plan.quarter_weight["Web_Adult"] * ~cut.reshape(-1, 4)
    wa_hours, _ = scaled_series(wa_log, target.totals["Web_Adult"], wa_weight.sum(axis=1))
    quarters = {"Web_Adult": split_rows(wa_hours, wa_weight).ravel()}
    visible = ~(plan.filtered & (quarters["Web_Adult"] == 0))
    vis = visible.reshape(-1, 4)
    share = {s: (plan.quarter_weight[s] * vis).sum(axis=1) for s in ("Tor", "YouTube")}
    yt_hours, yt_level = scaled_series(youtube_log, target.totals["YouTube"], share["YouTube"])
    tor_hours, tor_level, rho = calibrated_tor(wa_hours, tor_shape, target, share["Tor"], plan.dip)
    for service, hours, level in (("YouTube", yt_hours, yt_level), ("Tor", tor_hours, tor_level)):
        factor = np.where(cut, plan.degraded[service], 1.0)
        quarters[service] = spread_quarters(hours, level, plan.quarter_weight[service], visible, factor)
    return CommuneSeries(quarters, visible, rho)


def traffic_path(root: Path, city: str, service: str, day: dt.date, direction: str = "DL") -> Path:
    """`<City>/<Service>/<YYYYMMDD>/<City>_<Service>_<YYYYMMDD>_<DL|UL>.txt` under root."""
    stamp = day.strftime("%Y%m%d")
    return root / city / service / stamp / f"{city}_{service}_{stamp}_{direction}.txt"


def integer_rows_text(rows: np.ndarray) -> bytes:
    """The text `np.savetxt(fmt="%d", delimiter=" ")` writes for a matrix of non-negative integers (a NetMob
    file's lines), built with whole-array numpy steps: about twice as fast as savetxt's line-by-line formatting,
    which was the larger part of writing the traffic files."""
    rows = np.ascontiguousarray(rows, dtype=np.int64)
    values = rows.ravel()
    if values.size == 0:
        return b""
    if values.min() < 0:
        raise ValueError("integer_rows_text writes non-negative integers only")
    digits = np.ones(values.shape, dtype=np.int64)
    power = 10
    while (wider := values >= power).any():
        digits += wider
        power *= 10
    ends = np.cumsum(digits + 1)  # each value's end: the space or newline after it
    text = np.empty(int(ends[-1]), dtype=np.uint8)
    separators = np.full(rows.shape, ord(" "), dtype=np.uint8)
    separators[:, -1] = ord("\n")
    text[ends - 1] = separators.ravel()
    remaining, last_digit = values.copy(), ends - 2
    for k in range(int(digits.max())):  # the k-th digit from the right of every value that has one
        has = digits > k
        text[last_digit[has] - k] = (remaining[has] % 10 + ord("0")).astype(np.uint8)
        remaining //= 10
    return text.tobytes()


def write_city_traffic(
    root: Path,
    city: str,
    tiles: pd.DataFrame,
    quarters: dict[str, dict[str, np.ndarray]],
    axis: HourAxis,
    rng: np.random.Generator,
) -> tuple[int, pd.DataFrame]:
    """Write one city's files for every service and day; return the number of bytes written and
    each tile's share of its group's traffic (tile_id, group, weight: summing to 1 per group),
    which the synthetic places follow.

    tiles: tile_id and `group` (commune code or UNASSIGNED) for each tile of the city.
    quarters: group -> service -> integer quarter-hour series on `axis` (4 per hour).
    """
    tiles = tiles.sort_values(["group", "tile_id"]).reset_index(drop=True)
    groups = sorted(quarters)
    group_index = {g: i for i, g in enumerate(groups)}
    group_of_tile = tiles["group"].map(group_index).to_numpy()
    raw = rng.lognormal(0.0, 1.0, len(tiles))
    sums = np.bincount(group_of_tile, weights=raw, minlength=len(groups))
    tile_weight = raw / sums[group_of_tile]
    weights = pd.DataFrame({"tile_id": tiles["tile_id"].to_numpy(), "group": tiles["group"].to_numpy(),
                            "weight": tile_weight})
    order = np.argsort(tiles["tile_id"].to_numpy(), kind="stable")
    tile_ids = tiles["tile_id"].to_numpy()[order]
    written = 0
    for service in SERVICES:
        per_group = np.stack([quarters[g][service] for g in groups])
        for d, day in enumerate(axis.days):
            hours = np.flatnonzero(axis.day_index == d)
            cols = slice(4 * hours[0], 4 * (hours[-1] + 1))
            values = split_to_tiles(per_group[:, cols], group_of_tile, tile_weight)[order]
            path = traffic_path(root, city, service, day)
            path.parent.mkdir(parents=True, exist_ok=True)
            text = integer_rows_text(np.column_stack([tile_ids, values]))
            path.write_bytes(text)
            written += len(text)
    return written, weights
