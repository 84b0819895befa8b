"""Synthetic NetMob traffic calibrated to the study's released aggregates.

For each commune the generator builds integer hourly download series whose sums over the kept
(non-anomaly) days equal the released Tor, Web_Adult and YouTube totals exactly, whose shapes
follow the released day-of-week x hour profiles, and whose hourly ln-ln Pearson correlation
between Web_Adult and Tor (zeros floored at 0.001, as the study does) lands on the released rho.
Each hour is then split over the commune's tiles and its four quarter-hours by cumulative
rounding, which keeps every hourly commune sum exact, and written as one file per city,
service and day in the NetMob layout.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

SERVICES = ("Tor", "Web_Adult", "YouTube")
TOTAL_COLUMN = {"Tor": "tor_dl", "Web_Adult": "web_adult_dl", "YouTube": "youtube_dl"}
PROFILE_COLUMN = {"Tor": "Tor_scaled", "Web_Adult": "Web_Adult", "YouTube": "YouTube"}
DST_SPRING_FORWARD = dt.date(2019, 3, 31)
LOG_FLOOR = 0.001
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
UNASSIGNED = "unassigned"
# Share of a city's traffic carried by tiles outside every commune (synthetic choice).
UNASSIGNED_SHARE = 0.002


@dataclass(frozen=True)
class HourAxis:
    """The local hours of the study period: day index and hour of day of each existing hour."""

    days: tuple[dt.date, ...]
    day_index: np.ndarray
    hour: np.ndarray
    weekday: np.ndarray

    @classmethod
    def for_days(cls, days: list[dt.date]) -> HourAxis:
        """All local hours of these days; 02:00 does not exist on the spring-forward day."""
        d_idx, hours = [], []
        for i, day in enumerate(days):
            for h in range(24):
                if day == DST_SPRING_FORWARD and h == 2:
                    continue
                d_idx.append(i)
                hours.append(h)
        d_arr, h_arr = np.array(d_idx), np.array(hours)
        weekday = np.array([days[i].weekday() for i in d_arr])
        return cls(tuple(days), d_arr, h_arr, weekday)

    def kept(self, anomaly_days: set[dt.date]) -> np.ndarray:
        """Boolean mask of hours on days that the study keeps."""
        bad = np.array([day in anomaly_days for day in self.days])
        return ~bad[self.day_index]


def study_days(start: dt.date = dt.date(2019, 3, 16), end: dt.date = dt.date(2019, 5, 31)) -> list[dt.date]:
    """Every day of the study period, inclusive (77 days by default)."""
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


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
    """The anomaly days the models drop, per city, from the dbt seed (city `*` means every city)."""
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


def scaled_series(log_values: np.ndarray, total: float, kept: np.ndarray) -> np.ndarray:
    """Integer hourly series with shape exp(log_values) summing to `total` over the kept hours;
    hours of dropped days get the same scale, rounded."""
    y = np.exp(log_values - log_values[kept].max())
    out = np.rint(y * (total / y[kept].sum())).astype(np.int64)
    out[kept] = largest_remainder(y[kept], int(round(total)))
    return out


def floored_log(x: np.ndarray) -> np.ndarray:
    """ln(max(x, 0.001)): the study's log with zeros floored."""
    return np.log(np.maximum(x, LOG_FLOOR))


def tor_with_correlation(
    wa: np.ndarray, tor_shape: np.ndarray, total: float, target: float, kept: np.ndarray, spread: float = 1.0
) -> tuple[np.ndarray, float]:
    """Integer Tor series summing to `total` on kept hours whose floored ln-ln correlation with
    the Web_Adult series `wa` over kept hours is as close to `target` as integers allow.

    The latent log Tor mixes the standardised log Web_Adult with the part of the Tor shape
    orthogonal to it, alpha : sqrt(1 - alpha^2); alpha is found by bisection on the realised
    correlation of the rounded series.
    """
    lw = floored_log(wa)
    x_all = (lw - lw[kept].mean()) / (lw[kept].std() or 1.0)
    u_all = tor_shape - tor_shape[kept].mean()
    u_all = u_all - float(np.mean(u_all[kept] * x_all[kept])) * x_all
    u_all = u_all / (u_all[kept].std() or 1.0)

    def realise(alpha: float) -> tuple[np.ndarray, float]:
        latent = spread * (alpha * x_all + np.sqrt(max(0.0, 1 - alpha * alpha)) * u_all)
        series = scaled_series(latent, total, kept)
        rho = float(np.corrcoef(floored_log(wa[kept]), floored_log(series[kept]))[0, 1])
        return series, rho

    lo, hi = -1.0, 1.0
    best = realise(target)
    for _ in range(30):
        mid = 0.5 * (lo + hi)
        series, rho = realise(mid)
        if abs(rho - target) < abs(best[1] - target):
            best = (series, rho)
        if abs(rho - target) < 1e-4:
            break
        if rho < target:
            lo = mid
        else:
            hi = mid
    return best


@dataclass(frozen=True)
class CommuneTarget:
    """What one commune's synthetic series must reproduce."""

    key: str
    totals: dict[str, float]
    rho: float


def commune_series(
    target: CommuneTarget, axis: HourAxis, kept: np.ndarray, profiles: dict[str, np.ndarray], rng: np.random.Generator
) -> tuple[dict[str, np.ndarray], float]:
    """Integer hourly series of the three services for one commune, and the realised rho."""
    day_noise = rng.normal(0.0, 0.12, size=(len(axis.days), 3))
    out: dict[str, np.ndarray] = {}
    base = {s: profiles[s][axis.weekday, axis.hour] for s in SERVICES}
    youtube_log = base["YouTube"] + day_noise[axis.day_index, 0] + rng.normal(0.0, 0.12, len(axis.hour))
    wa_log = base["Web_Adult"] + day_noise[axis.day_index, 1] + rng.normal(0.0, 0.3, len(axis.hour))
    out["YouTube"] = scaled_series(youtube_log, target.totals["YouTube"], kept)
    out["Web_Adult"] = scaled_series(wa_log, target.totals["Web_Adult"], kept)
    tor_shape = base["Tor"] + day_noise[axis.day_index, 2] + rng.normal(0.0, 0.6, len(axis.hour))
    out["Tor"], rho = tor_with_correlation(out["Web_Adult"], tor_shape, target.totals["Tor"], target.rho, kept)
    return out, rho


def split_to_tiles(
    hourly: np.ndarray, group_of_tile: np.ndarray, tile_weight: np.ndarray, quarter_weight: np.ndarray
) -> np.ndarray:
    """Split each group's integer hourly value over its tiles and four quarter-hours.

    hourly: (n_groups, n_hours) integers; group_of_tile: (n_tiles,) group index, tiles sorted by
    group; tile_weight: (n_tiles,) summing to 1 within each group; quarter_weight: (n_hours, 4)
    rows summing to 1. Returns (n_tiles, n_hours * 4) integers whose sum over a group's tiles
    and an hour's quarters equals that group's hourly value (cumulative rounding).
    """
    n_hours = hourly.shape[1]
    cells = hourly[group_of_tile][:, :, None] * tile_weight[:, None, None] * quarter_weight[None, :, :]
    # (tiles, hours, 4) -> (hours, tiles * 4): one row per hour, a group's cells contiguous.
    flat = cells.transpose(1, 0, 2).reshape(n_hours, -1)
    cum = np.cumsum(flat, axis=1)
    group_of_cell = np.repeat(group_of_tile, 4)
    first = np.flatnonzero(np.r_[True, group_of_cell[1:] != group_of_cell[:-1]])
    before = np.where(first > 0, cum[:, np.maximum(first - 1, 0)], 0.0)
    starts = np.zeros(flat.shape[1], dtype=np.int64)
    starts[first] = 1
    group_pos = np.cumsum(starts) - 1
    within = cum - before[:, group_pos]
    rounded = np.floor(within + 0.5)
    previous = np.concatenate([np.zeros((n_hours, 1)), rounded[:, :-1]], axis=1)
    previous[:, first] = 0.0
    values = (rounded - previous).astype(np.int64)
    return values.reshape(n_hours, -1, 4).transpose(1, 0, 2).reshape(-1, n_hours * 4)


def outage_window(rng: np.random.Generator) -> tuple[int, int]:
    """Hours [start, end) of a synthetic network outage on an anomaly day."""
    start = int(rng.integers(0, 18))
    return start, start + int(rng.integers(3, 7))


def traffic_path(root: Path, city: str, service: str, day: dt.date, direction: str = "DL") -> Path:
    """`<City>/<Service>/<YYYYMMDD>/<City>_<Service>_<YYYYMMDD>_<DL|UL>.txt` under root."""
    stamp = day.strftime("%Y%m%d")
    return root / city / service / stamp / f"{city}_{service}_{stamp}_{direction}.txt"


def write_city_traffic(
    root: Path,
    city: str,
    tiles: pd.DataFrame,
    series: dict[str, dict[str, np.ndarray]],
    axis: HourAxis,
    anomaly_days: set[dt.date],
    rng: np.random.Generator,
) -> int:
    """Write one city's files for every service and day; return the number of bytes written.

    tiles: tile_id and `group` (commune code or UNASSIGNED) for each tile of the city.
    series: group -> service -> integer hourly series on `axis`.
    """
    tiles = tiles.sort_values(["group", "tile_id"]).reset_index(drop=True)
    groups = sorted(series)
    group_index = {g: i for i, g in enumerate(groups)}
    group_of_tile = tiles["group"].map(group_index).to_numpy()
    raw = rng.lognormal(0.0, 1.0, len(tiles))
    sums = np.bincount(group_of_tile, weights=raw, minlength=len(groups))
    tile_weight = raw / sums[group_of_tile]
    order = np.argsort(tiles["tile_id"].to_numpy(), kind="stable")
    tile_ids = tiles["tile_id"].to_numpy()[order]
    outages = {day: outage_window(rng) for day in axis.days if day in anomaly_days}
    written = 0
    for service in SERVICES:
        hourly = np.stack([series[g][service] for g in groups])
        for d, day in enumerate(axis.days):
            hours = np.flatnonzero(axis.day_index == d)
            q = 1.0 + 0.15 * rng.standard_normal((len(hours), 4))
            q = np.clip(q, 0.2, None)
            q /= q.sum(axis=1, keepdims=True)
            values = split_to_tiles(hourly[:, hours], group_of_tile, tile_weight, q)[order]
            if day in outages:
                start, end = outages[day]
                hour_of_col = np.repeat(axis.hour[hours], 4)
                values[:, (hour_of_col >= start) & (hour_of_col < end)] = 0
            path = traffic_path(root, city, service, day)
            path.parent.mkdir(parents=True, exist_ok=True)
            np.savetxt(path, np.column_stack([tile_ids, values]), fmt="%d", delimiter=" ")
            written += path.stat().st_size
    return written
