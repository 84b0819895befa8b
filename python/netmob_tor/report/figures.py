"""Report figures with matplotlib (Agg): heatmaps, choropleths, PCA loadings, national context.

Maps carry no axes, ticks or coordinates: communes are drawn, never tiles or points. Every text is
drawn as plain text (no mathtext), so a name holding `$` or a backslash shows as it is written.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec, TypeVar

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.collections import PatchCollection  # noqa: E402
from matplotlib.colors import LogNorm  # noqa: E402
from matplotlib.patches import Polygon  # noqa: E402

P = ParamSpec("P")
R = TypeVar("R")


def plain_text(draw: Callable[P, R]) -> Callable[P, R]:
    """Draw with matplotlib's math parsing off: names (communes, cities, labels) are never read as TeX."""
    @functools.wraps(draw)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with plt.rc_context({"text.parse_math": False}):
            return draw(*args, **kwargs)
    return wrapper


DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
HEATMAP_SERIES = [("youtube_dl", "YouTube"), ("web_adult_dl", "Web_Adult"), ("tor_scaled_dl", "Tor × c")]
DPI = 90


def _save(fig: plt.Figure, path: Path) -> Path:
    """Write the figure as PNG and close it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


@plain_text
def weekday_hour_heatmap(cells: pd.DataFrame, title: str, path: Path) -> Path:
    """Three day-of-week × hour panels (YouTube, Web_Adult, Tor × c) of one heatmap scope."""
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.4))
    fig.subplots_adjust(left=0.04, right=0.98, top=0.8, bottom=0.16, wspace=0.25)
    for ax, (column, label) in zip(axes, HEATMAP_SERIES):
        grid = cells.pivot(index="iso_day_of_week", columns="hour_of_day", values=column)
        grid = grid.reindex(index=range(1, 8), columns=range(24))
        image = ax.imshow(grid.to_numpy(dtype=float), aspect="auto", cmap="viridis")
        ax.set_title(label)
        ax.set_yticks(range(7), DAYS)
        ax.set_xticks(range(0, 24, 3), [f"{h:02d}h" for h in range(0, 24, 3)])
        ax.set_xlabel("local hour")
        fig.colorbar(image, ax=ax, shrink=0.85)
    fig.suptitle(title)
    return _save(fig, path)


@plain_text
def hourly_profiles(cells: pd.DataFrame, path: Path) -> Path:
    """Mean 24-hour profile (share of the day's volume per hour) of each single-commune scope, per series."""
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.4))
    fig.subplots_adjust(left=0.06, right=0.98, top=0.88, bottom=0.16, wspace=0.3)
    for ax, (column, label) in zip(axes, HEATMAP_SERIES):
        for (rank, name), rows in cells.groupby(["scope_rank", "commune_name"], sort=True):
            hourly = rows.groupby("hour_of_day")[column].sum().reindex(range(24), fill_value=0.0)
            total = hourly.sum()
            share = hourly / total if total else hourly
            ax.plot(range(24), share.to_numpy(), marker="o", markersize=2.5, label=f"{int(rank)}. {name}")
        ax.set_title(label)
        ax.set_xticks(range(0, 24, 3), [f"{h:02d}h" for h in range(0, 24, 3)])
        ax.set_xlabel("local hour")
        ax.set_ylabel("share of the volume")
    axes[0].legend(fontsize=8)
    return _save(fig, path)


def _rings(geometry: dict) -> list[np.ndarray]:
    """Exterior rings of a GeoJSON Polygon or MultiPolygon (holes are drawn over by neighbours)."""
    if geometry["type"] == "Polygon":
        polygons = [geometry["coordinates"]]
    elif geometry["type"] == "MultiPolygon":
        polygons = geometry["coordinates"]
    else:
        return []
    return [np.asarray(p[0], dtype=float)[:, :2] for p in polygons if p]


@plain_text
def city_choropleth(communes: pd.DataFrame, city: str, small_threshold: int, path: Path) -> Path:
    """cpc per 1000 of one urban area's communes (log colour scale); small-population communes hatched."""
    values = communes["cpc_per_1000"].astype(float)
    positive = values[values > 0]
    vmin = float(positive.min()) if len(positive) else 1.0
    vmax = float(positive.max()) if len(positive) else 10.0
    norm = LogNorm(vmin=vmin, vmax=max(vmax, vmin * 10))
    cmap = plt.get_cmap("magma_r")
    fig, ax = plt.subplots(figsize=(5.2, 4.6))
    fig.subplots_adjust(left=0.02, right=0.9, top=0.92, bottom=0.08)
    patches, colours, hatched = [], [], []
    mean_lat = None
    for row in communes.itertuples(index=False):
        rings = _rings(json.loads(row.geojson))
        if rings and mean_lat is None:
            mean_lat = float(np.mean(rings[0][:, 1]))
        value = row.cpc_per_1000
        colour = cmap(norm(max(value, vmin))) if value is not None and np.isfinite(value) else (0.85, 0.85, 0.85, 1.0)
        for ring in rings:
            patch = Polygon(ring, closed=True)
            patches.append(patch)
            colours.append(colour)
            if bool(row.is_small_population):
                hatched.append(Polygon(ring, closed=True))
    ax.add_collection(PatchCollection(patches, facecolor=colours, edgecolor="white", linewidth=0.3))
    if hatched:
        ax.add_collection(PatchCollection(hatched, facecolor="none", edgecolor="0.35", hatch="///", linewidth=0))
    ax.autoscale_view()
    if mean_lat is not None:
        ax.set_aspect(1 / np.cos(np.radians(mean_lat)))
    ax.set_axis_off()
    ax.set_title(f"{city}: cpc per 1000 inhabitants", fontsize=10)
    mappable = plt.cm.ScalarMappable(norm=norm, cmap=cmap)
    fig.colorbar(mappable, ax=ax, shrink=0.7, label="cpc per 1000 (log scale)")
    ax.text(0.0, -0.04, f"hatched: under {small_threshold} inhabitants (fragile)", transform=ax.transAxes, fontsize=7)
    return _save(fig, path)


@plain_text
def pca_loadings_heatmap(loadings: pd.DataFrame, path: Path) -> Path:
    """Google Trends PCA loadings, search terms × components, diverging colours."""
    grid = loadings.pivot(index="search_term", columns="component", values="loading")
    limit = float(np.nanmax(np.abs(grid.to_numpy(dtype=float)))) or 1.0
    fig, ax = plt.subplots(figsize=(6.4, 0.32 * len(grid) + 1.4))
    fig.subplots_adjust(left=0.35, right=0.95, top=0.9, bottom=0.1)
    image = ax.imshow(grid.to_numpy(dtype=float), cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto")
    ax.set_yticks(range(len(grid.index)), grid.index)
    ax.set_xticks(range(len(grid.columns)), grid.columns)
    for i in range(grid.shape[0]):
        for j in range(grid.shape[1]):
            ax.text(j, i, f"{grid.iat[i, j]:.2f}", ha="center", va="center", fontsize=7)
    fig.colorbar(image, ax=ax, shrink=0.8, label="loading")
    ax.set_title("Google Trends PCA loadings")
    return _save(fig, path)


@plain_text
def national_context_chart(context: pd.DataFrame, year: int, path: Path) -> Path:
    """CyberTipline reports per 1000 inhabitants of the European countries in `year`, France highlighted."""
    rows = context[(context["report_year"] == year) & context["europe_rank_per_1000"].notna()]
    rows = rows.sort_values("reports_per_1000")
    fig, ax = plt.subplots(figsize=(7, 0.2 * len(rows) + 1.2))
    fig.subplots_adjust(left=0.25, right=0.97, top=0.95, bottom=0.08)
    colours = ["#c0392b" if f else "#7f8c8d" for f in rows["is_france"]]
    ax.barh(rows["country_name"], rows["reports_per_1000"], color=colours)
    ax.tick_params(axis="y", labelsize=7)
    ax.set_xlabel("CyberTipline reports per 1000 inhabitants")
    ax.set_title(f"Europe, {year}: CyberTipline reports per 1000 inhabitants (France in red)", fontsize=10)
    return _save(fig, path)


@plain_text
def specification_chart(table: pd.DataFrame, published: float, path: Path) -> Path:
    """One row per specification of analysis_sensitivity: Table 2 cpc rho with its bootstrap interval,
    the study profile's estimate as a vertical line and the published value as a dotted one."""
    rows = table.sort_values("row_number")
    y = np.arange(len(rows))[::-1]
    fig, ax = plt.subplots(figsize=(8, 0.32 * len(rows) + 1.4))
    study = rows.loc[rows["is_study_profile"].astype(bool), "rho"]
    colours = np.where(rows["is_study_profile"].astype(bool), "#b2182b", np.where(rows["kind"] == "pair", "#5e3c99", "#2166ac"))
    ax.hlines(y, rows["ci_low"], rows["ci_high"], colors=colours, lw=2)
    ax.scatter(rows["rho"], y, c=colours, zorder=3, s=22)
    if len(study):
        ax.axvline(float(study.iloc[0]), color="#b2182b", lw=1, ls="--", label="study profile (this build)")
    ax.axvline(published, color="0.3", lw=1, ls=":", label=f"published ({published:.3f})")
    ax.axvline(0, color="0.7", lw=0.8)
    ax.set_yticks(y, [str(label)[:70] for label in rows["label"]], fontsize=8)
    ax.set_xlabel("Spearman rho, sexual-violence rate vs log cpc per 1000 (95% commune bootstrap interval)")
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title("Table 2 (cpc) under each processing choice", fontsize=10)
    fig.tight_layout()
    return _save(fig, path)
