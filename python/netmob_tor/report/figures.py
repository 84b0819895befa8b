"""Report figures with matplotlib (Agg): heatmaps, choropleths, PCA loadings, national context, sensitivity.

Maps carry no axes, ticks or coordinates: communes are drawn, never tiles or points. Every text is
drawn as plain text (no mathtext), so a name holding `$` or a backslash shows as it is written; every
number on an axis or a colour bar is in the report's format (numbers.tick). Each figure is laid out to
fit its canvas, and `_save` checks that at draw time: a text outside the canvas, or a legend over the
plotted data, is recorded in the PNG itself (text chunk LAYOUT_KEY) for the report's tests; the PNG is
saved with bbox_inches='tight', so a label is never cut off the image.
"""

from __future__ import annotations

import functools
import json
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import ParamSpec, TypeVar

import matplotlib

matplotlib.use("Agg")

import matplotlib.colorbar  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.backend_bases import RendererBase  # noqa: E402
from matplotlib.collections import LineCollection, PatchCollection, PathCollection  # noqa: E402
from matplotlib.colors import LogNorm  # noqa: E402
from matplotlib.legend import Legend  # noqa: E402
from matplotlib.patches import Polygon  # noqa: E402
from matplotlib.text import Text  # noqa: E402
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter  # noqa: E402

from netmob_tor.report.numbers import fmt, tick  # noqa: E402

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
HOUR_LABELS = [str(h).zfill(2) + "h" for h in range(0, 24, 3)]


LAYOUT_KEY = "netmob-tor layout"  # PNG text chunk: the draw-time layout check (layout_findings) as JSON
TOLERANCE_PX = 1.0
NUMBER_FORMATTER = FuncFormatter(lambda value, _position: tick(value))


def _drawn_texts(fig: plt.Figure) -> list[Text]:
    """Every non-empty visible text the figure draws: an Axes switched off (a map) draws no axis text, and an axis
    draws the labels of the ticks inside its view only (Axis._update_ticks, what Axis.draw itself uses)."""
    axis_texts: set[int] = set()
    drawn: set[int] = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            ticks = axis.get_major_ticks() + axis.get_minor_ticks()
            axis_texts |= {id(t) for one in ticks for t in (one.label1, one.label2)} | {id(axis.label), id(axis.offsetText)}
            if ax.axison and axis.get_visible():
                drawn |= {id(t) for one in axis._update_ticks() for t in (one.label1, one.label2)}
                drawn |= {id(axis.label), id(axis.offsetText)}
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip() and (id(t) not in axis_texts or id(t) in drawn)]


def _inside(box: matplotlib.transforms.Bbox, points: np.ndarray) -> bool:
    """True when any of `points` (display coordinates) lies strictly inside `box`."""
    x, y = points[:, 0], points[:, 1]
    return bool(((x > box.x0) & (x < box.x1) & (y > box.y0) & (y < box.y1)).any())


def _densify(points: np.ndarray, steps: int = 24) -> np.ndarray:
    """The points along a polyline (display coordinates), `steps` per segment: a segment crossing a box is caught."""
    if len(points) < 2:
        return points
    t = np.linspace(0.0, 1.0, steps)[:, None]
    return np.concatenate([a + t * (b - a) for a, b in zip(points[:-1], points[1:])])


def _data_points(ax: plt.Axes) -> Iterator[np.ndarray]:
    """The plotted data of an Axes (lines, segments, markers, bars) as display-coordinate points."""
    for line in ax.lines:
        yield _densify(line.get_transform().transform(line.get_xydata()))
    for collection in ax.collections:
        if isinstance(collection, PathCollection):  # scatter markers: their positions
            yield collection.get_offset_transform().transform(collection.get_offsets())
        elif isinstance(collection, (LineCollection, PatchCollection)):
            transform = collection.get_transform()
            for path in collection.get_paths():
                yield _densify(transform.transform(path.vertices))
    for patch in ax.patches:
        yield _densify(patch.get_transform().transform(patch.get_path().vertices))


def _legends(fig: plt.Figure) -> list[Legend]:
    """The figure's legends: each Axes' and the figure's own."""
    return [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None] + list(fig.legends)


def layout_findings(fig: plt.Figure, renderer: RendererBase | None = None) -> dict[str, object]:
    """The draw-time layout check: how many texts were measured, those reaching outside the canvas, and legends
    drawn over plotted data (each named by its text), for the report's tests."""
    renderer = renderer or fig.canvas.get_renderer()
    canvas = fig.bbox
    texts = _drawn_texts(fig)
    outside = []
    for text in texts:
        box = text.get_window_extent(renderer)
        if (box.x0 < canvas.x0 - TOLERANCE_PX or box.x1 > canvas.x1 + TOLERANCE_PX
                or box.y0 < canvas.y0 - TOLERANCE_PX or box.y1 > canvas.y1 + TOLERANCE_PX):
            outside.append(f"{text.get_text()!r} spans x {round(box.x0)} to {round(box.x1)}, y {round(box.y0)} to "
                           f"{round(box.y1)} px; the figure is {round(canvas.width)} x {round(canvas.height)} px")
    covering = []
    for legend in _legends(fig):
        box = legend.get_window_extent(renderer)
        inner = box.padded(-TOLERANCE_PX)
        if any(_inside(inner, points) for ax in fig.axes for points in _data_points(ax) if len(points)):
            covering.append("legend (" + ", ".join(t.get_text() for t in legend.get_texts()) + ") over the plotted data")
    return {"texts": len(texts), "outside": outside, "legend_over_data": covering}


def _save(fig: plt.Figure, path: Path, tight: bool = True) -> Path:
    """Draw, check the layout (layout_findings, stored in the PNG), write the PNG (trimmed to its content unless
    `tight` is False: the maps keep one size, so they scale alike on the page), close."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.canvas.draw()
    findings = layout_findings(fig)
    trim = {"bbox_inches": "tight", "pad_inches": 0.06} if tight else {}
    fig.savefig(path, dpi=DPI, metadata={LAYOUT_KEY: json.dumps(findings)}, **trim)
    plt.close(fig)
    return path


def _number_ticks(*axes: matplotlib.axis.Axis) -> None:
    """Tick labels in the report's number format (no offset, no comma)."""
    for axis in axes:
        axis.set_major_formatter(NUMBER_FORMATTER)


UNITS = [(1e9, "billions"), (1e6, "millions"), (1e3, "thousands")]


def _volume_bar(bar: matplotlib.colorbar.Colorbar, values: np.ndarray) -> None:
    """A volume colour bar in a unit that keeps its labels short (millions, ...), named in its label."""
    finite = np.abs(values[np.isfinite(values)])
    top = float(finite.max()) if finite.size else 0.0
    size, name = next(((size, name) for size, name in UNITS if top / size >= 10), (1.0, ""))
    bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _position: tick(value / size)))
    bar.set_label(f"download, {name}" if name else "download")


def _wrapped(text: str, width: int) -> str:
    """A long label broken into lines of at most `width` characters."""
    return "\n".join(textwrap.wrap(text, width)) or text


@plain_text
def weekday_hour_heatmap(cells: pd.DataFrame, title: str, path: Path) -> Path:
    """Three day-of-week × hour panels (YouTube, Web_Adult, Tor × c) of one heatmap scope."""
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6), layout="constrained")
    for ax, (column, label) in zip(axes, HEATMAP_SERIES):
        grid = cells.pivot(index="iso_day_of_week", columns="hour_of_day", values=column)
        grid = grid.reindex(index=range(1, 8), columns=range(24))
        values = grid.to_numpy(dtype=float)
        image = ax.imshow(values, aspect="auto", cmap="viridis")
        ax.set_title(label)
        ax.set_yticks(range(7), DAYS)
        ax.set_xticks(range(0, 24, 3), HOUR_LABELS)
        ax.set_xlabel("local hour")
        _volume_bar(fig.colorbar(image, ax=ax, shrink=0.85), values)
    fig.suptitle(_wrapped(title, 120))
    return _save(fig, path)


@plain_text
def hourly_profiles(cells: pd.DataFrame, path: Path) -> Path:
    """Mean 24-hour profile (share of the day's volume per hour) of each single-commune scope, per series;
    the legend below the panels, off the lines."""
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), layout="constrained")
    for ax, (column, label) in zip(axes, HEATMAP_SERIES):
        for (rank, name), rows in cells.groupby(["scope_rank", "commune_name"], sort=True):
            hourly = rows.groupby("hour_of_day")[column].sum().reindex(range(24), fill_value=0.0)
            total = hourly.sum()
            share = hourly / total if total else hourly
            ax.plot(range(24), share.to_numpy(), marker="o", markersize=2.5, label=f"{int(rank)}. {name}")
        ax.set_title(label)
        ax.set_xticks(range(0, 24, 3), HOUR_LABELS)
        ax.set_xlabel("local hour")
        ax.set_ylabel("share of the volume")
        _number_ticks(ax.yaxis)
    handles, labels = axes[0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="outside lower center", ncols=min(len(handles), 3), fontsize=8)
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


MAP_CMAP = "magma_r"


def _map_norm(colour_range: tuple[float, float]) -> LogNorm:
    """The log colour scale every cpc map shares (data.colour_range over all study communes)."""
    low, high = colour_range
    return LogNorm(vmin=low, vmax=high)


@plain_text
def city_choropleth(communes: pd.DataFrame, city: str, small_threshold: int, colour_range: tuple[float, float], path: Path) -> Path:
    """cpc per 1000 of one urban area's communes on the shared log colour scale (`colour_range`, drawn once by
    map_colour_scale); small-population communes hatched."""
    norm = _map_norm(colour_range)
    cmap = plt.get_cmap(MAP_CMAP)
    fig, ax = plt.subplots(figsize=(4.2, 4.2), layout="constrained")
    patches, colours, hatched = [], [], []
    mean_lat = None
    for row in communes.itertuples(index=False):
        rings = _rings(json.loads(row.geojson))
        if rings and mean_lat is None:
            mean_lat = float(np.mean(rings[0][:, 1]))
        value = row.cpc_per_1000
        colour = cmap(norm(min(max(value, norm.vmin), norm.vmax))) if value is not None and np.isfinite(value) else (0.85, 0.85, 0.85, 1.0)
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
    ax.set_title(f"{city}: cpc per 1000 inhabitants", fontsize=12)
    ax.text(0.0, -0.02, f"hatched: under {fmt(small_threshold)} inhabitants (fragile)", transform=ax.transAxes, fontsize=9, va="top")
    return _save(fig, path, tight=False)


@plain_text
def map_colour_scale(colour_range: tuple[float, float], path: Path) -> Path:
    """The colour bar every static map shares: cpc per 1000 on one log scale, ticks in the report's number format
    (the report writes it as maps_colour_scale.png)."""
    fig, ax = plt.subplots(figsize=(7.5, 1.0), layout="constrained")
    bar = fig.colorbar(plt.cm.ScalarMappable(norm=_map_norm(colour_range), cmap=plt.get_cmap(MAP_CMAP)), cax=ax,
                       orientation="horizontal")
    bar.ax.xaxis.set_major_locator(LogLocator(base=10))
    bar.ax.xaxis.set_minor_formatter(NullFormatter())
    _number_ticks(bar.ax.xaxis)
    bar.set_label("cpc per 1000 inhabitants (log scale), the same scale on every map")
    return _save(fig, path)


@plain_text
def pca_loadings_heatmap(loadings: pd.DataFrame, path: Path) -> Path:
    """Google Trends PCA loadings, search terms × components, diverging colours."""
    grid = loadings.pivot(index="search_term", columns="component", values="loading")
    limit = float(np.nanmax(np.abs(grid.to_numpy(dtype=float)))) or 1.0
    fig, ax = plt.subplots(figsize=(6.4, 0.32 * len(grid) + 1.4), layout="constrained")
    image = ax.imshow(grid.to_numpy(dtype=float), cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto")
    ax.set_yticks(range(len(grid.index)), grid.index)
    ax.set_xticks(range(len(grid.columns)), grid.columns)
    for i in range(grid.shape[0]):
        for j in range(grid.shape[1]):
            ax.text(j, i, fmt(grid.iat[i, j], 2), ha="center", va="center", fontsize=7)
    bar = fig.colorbar(image, ax=ax, shrink=0.8, label="loading")
    _number_ticks(bar.ax.yaxis)
    ax.set_title("Google Trends PCA loadings")
    return _save(fig, path)


@plain_text
def national_context_chart(context: pd.DataFrame, year: int, path: Path) -> Path:
    """CyberTipline reports per 1000 inhabitants of the European countries in `year`, France highlighted."""
    rows = context[(context["report_year"] == year) & context["europe_rank_per_1000"].notna()]
    rows = rows.sort_values("reports_per_1000")
    fig, ax = plt.subplots(figsize=(7, 0.2 * len(rows) + 1.2), layout="constrained")
    colours = ["#c0392b" if f else "#7f8c8d" for f in rows["is_france"]]
    ax.barh(rows["country_name"], rows["reports_per_1000"], color=colours)
    ax.tick_params(axis="y", labelsize=7)
    _number_ticks(ax.xaxis)
    ax.set_xlabel("CyberTipline reports per 1000 inhabitants")
    ax.set_title(f"Europe, {year}: CyberTipline reports per 1000 inhabitants (France in red)", fontsize=10)
    return _save(fig, path)


@plain_text
def specification_chart(table: pd.DataFrame, published: float, path: Path) -> Path:
    """One row per specification of analysis_sensitivity: Table 2 cpc rho with its interval from the bootstrap
    over communes, the study profile's estimate as a dashed line and the published value as a dotted one; the
    legend below the plot, off the intervals."""
    rows = table.sort_values("row_number")
    labels = [_wrapped(str(label), 38) for label in rows["label"]]
    lines = sum(label.count("\n") + 1 for label in labels)
    y = np.arange(len(rows))[::-1]
    fig, ax = plt.subplots(figsize=(8, 0.3 * lines + 2.2), layout="constrained")
    study = rows.loc[rows["is_study_profile"].astype(bool), "rho"]
    colours = np.where(rows["is_study_profile"].astype(bool), "#b2182b", np.where(rows["kind"] == "pair", "#5e3c99", "#2166ac"))
    ax.hlines(y, rows["ci_low"], rows["ci_high"], colors=colours, lw=2)
    ax.scatter(rows["rho"], y, c=colours, zorder=3, s=22)
    if len(study):
        ax.axvline(float(study.iloc[0]), color="#b2182b", lw=1, ls="--", label="study profile (this build)")
    ax.axvline(published, color="0.3", lw=1, ls=":", label=f"published ({fmt(published, 3)})")
    ax.axvline(0, color="0.7", lw=0.8)
    ax.set_yticks(y, labels, fontsize=8)
    _number_ticks(ax.xaxis)
    ax.set_xlabel("Spearman ρ, sexual-violence rate vs log cpc per 1000\n(point: estimate; bar: 95% interval, bootstrap over communes)")
    fig.legend(loc="outside lower center", ncols=2, fontsize=8)
    ax.set_title("Table 2 (cpc) under each processing choice", fontsize=10)
    return _save(fig, path)
