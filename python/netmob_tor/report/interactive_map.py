"""The report's one interactive map: cpc per 1000 by commune, the urban area picked from a list, figures on hover.

A Vega-Lite chart (built with Altair) drawn by Vega, Vega-Lite and Vega-Embed inlined in the page
(vl-convert-python's bundle), so the page works offline from a file. The commune polygons are embedded
in a <script> for drawing only; the tooltip shows the commune's name, code, population, cpc per 1000
with its day-block bootstrap interval and the small-population flag, never a coordinate or a tile.
Every number shown (tooltip and legend) is written by numbers.fmt, and the colour scale is the one
the static maps share (data.colour_range). The static maps stay for printing; this one is hidden in print.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd
import vl_convert

from netmob_tor.report.data import colour_range as shared_colour_range
from netmob_tor.report.numbers import fmt, interval, tick

MAP_ID = "cpc-map"
CITY_PARAM = "urban_area"
# Polygon vertices rounded to 5 decimals (about 1 m): the drawing needs no more, and the page is smaller.
DECIMALS = 5
WIDTH, HEIGHT = 560, 480
# The fields the tooltip shows, in order (feature property, title), numbers as the report's tables print them
# (numbers.fmt); nothing else is ever displayed.
INTERVAL_TITLE = "95% interval, day-block bootstrap"
TOOLTIP = [("commune_name", "Commune"), ("commune_code", "Code"), ("population", "Population"),
           ("cpc_label", "cpc per 1000"), ("interval", INTERVAL_TITLE), ("small_population", "Small population")]
PRINT_CSS = f"#{MAP_ID}-figure .vega-bindings {{margin-bottom: 0.5em}} @media print {{#{MAP_ID}-figure {{display: none}}}}"


def _rounded(coordinates: Any) -> Any:
    """GeoJSON coordinates (nested lists) rounded to DECIMALS."""
    if isinstance(coordinates, list):
        return [_rounded(c) for c in coordinates]
    return round(float(coordinates), DECIMALS)


def _signed_area(ring: list[list[float]]) -> float:
    """Twice the planar signed area of a ring (x = longitude, y = latitude): positive when counter-clockwise."""
    return sum(x0 * y1 - x1 * y0 for (x0, y0, *_), (x1, y1, *_) in zip(ring, ring[1:]))


def _d3_winding(geometry: dict[str, Any]) -> dict[str, Any]:
    """The polygon with exterior rings clockwise and holes counter-clockwise, as d3-geo (Vega) reads them.

    GeoJSON (RFC 7946) files wind the other way; d3 would then draw the rest of the globe instead of the commune.
    """
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    for polygon in polygons:
        for i, ring in enumerate(polygon):
            if (_signed_area(ring) > 0) == (i == 0):  # an exterior ring counter-clockwise, or a hole clockwise
                ring.reverse()
    return geometry


def _number(value: object) -> float | None:
    """A finite float, or None (JSON null) for a missing value."""
    if value is None or value is pd.NA:
        return None
    v = float(value)
    return v if math.isfinite(v) else None


def _interval(low: float | None, high: float | None) -> str:
    """The interval as the tooltip prints it, or why it is absent."""
    if low is None or high is None:
        return "not computed (run netmob-tor analyze)"
    return interval(low, high)


def features(shapes: pd.DataFrame, intervals: pd.DataFrame | None, threshold: int) -> list[dict[str, Any]]:
    """One GeoJSON Feature per commune of `shapes` (loaders.commune_shapes), with the tooltip's figures as properties.

    `intervals` (loaders.commune_cpc_intervals) gives each commune's cpc per 1000 bootstrap interval;
    a commune without one says so. Raises ValueError naming a commune whose polygon is missing.
    """
    bounds = {} if intervals is None else {
        r.commune_code: (_number(r.cpc_per_1000_ci_low), _number(r.cpc_per_1000_ci_high)) for r in intervals.itertuples(index=False)
    }
    out = []
    for row in shapes.itertuples(index=False):
        if row.geojson is None or (isinstance(row.geojson, float) and math.isnan(row.geojson)):
            raise ValueError(f"commune {row.commune_code} ({row.commune_name}, {row.city}) has no polygon in commune_boundaries")
        geometry = json.loads(row.geojson)
        if geometry.get("type") not in ("Polygon", "MultiPolygon"):
            raise ValueError(f"commune {row.commune_code} ({row.commune_name}, {row.city}): a {geometry.get('type')} in commune_boundaries, "
                             "not a polygon")
        geometry["coordinates"] = _rounded(geometry["coordinates"])
        geometry = _d3_winding(geometry)
        low, high = bounds.get(row.commune_code, (None, None))
        small = bool(row.is_small_population)
        out.append({"type": "Feature", "geometry": geometry, "properties": {
            "city": row.city, "commune_code": row.commune_code, "commune_name": row.commune_name,
            "population": fmt(int(row.population)) if _number(row.population) is not None else "not known",
            "cpc_per_1000": _number(row.cpc_per_1000), "cpc_label": fmt(_number(row.cpc_per_1000)) or "not known",
            "interval": _interval(low, high),
            "small_population": _small_label(threshold) if small else "no",
        }})
    return out


def legend_ticks(colour_range: tuple[float, float]) -> list[float]:
    """The colour legend's labelled values: the powers of ten inside the scale, else its two ends."""
    low, high = colour_range
    powers = [10.0 ** k for k in range(math.ceil(math.log10(low)), math.floor(math.log10(high)) + 1)]
    return powers or [low, high]


def _legend_labels(values: Sequence[float]) -> str:
    """A Vega expression writing each legend value as numbers.tick does (the static maps' colour bar: 0.01, 1 000)."""
    expression = "datum.label"
    for value in reversed(values):
        expression = f"datum.value == {value!r} ? {json.dumps(tick(value))} : ({expression})"
    return expression


def chart(collection: list[dict[str, Any]], cities: Sequence[str], threshold: int,
          colour_range: tuple[float, float] = (1.0, 10.0)) -> alt.Chart:
    """The Vega-Lite choropleth: cpc per 1000 on the static maps' log colour scale (`colour_range`), one urban
    area at a time (a select list)."""
    city = alt.param(name=CITY_PARAM, value=cities[0], bind=alt.binding_select(options=list(cities), name="Urban area "))
    data = alt.InlineData(values={"type": "FeatureCollection", "features": collection}, format=alt.DataFormat(property="features"))
    tooltip = [alt.Tooltip(f"properties.{name}:N", title=title) for name, title in TOOLTIP]
    small = alt.Legend(labelExpr="datum.label == 'no' ? 'no' : 'yes (fragile)'", symbolType="square", symbolFillColor="#ffffff",
                       symbolStrokeColor="#555555", symbolStrokeWidth=1.5, symbolSize=300)
    title = alt.Title(alt.ExprRef(f"'cpc per 1000 inhabitants by commune: ' + {CITY_PARAM}"))
    ticks = legend_ticks(colour_range)
    return (
        alt.Chart(data, width=WIDTH, height=HEIGHT, title=title)
        .mark_geoshape(stroke="#555555", strokeWidth=0.5)
        .encode(
            color=alt.Color("properties.cpc_per_1000:Q", title="cpc per 1000 (log scale)",
                            scale=alt.Scale(type="log", scheme="magma", reverse=True, domain=list(colour_range), clamp=True),
                            legend=alt.Legend(values=ticks, labelExpr=_legend_labels(ticks))),
            strokeDash=alt.StrokeDash("properties.small_population:N", title=f"Under {fmt(threshold)} inhabitants",
                                      scale=alt.Scale(domain=["no", _small_label(threshold)], range=[[1, 0], [3, 2]]),
                                      legend=small),
            tooltip=tooltip,
        )
        .transform_filter(f"datum.properties.city == {CITY_PARAM}")
        .add_params(city)
        .project(type="mercator")
        .configure_view(stroke=None)
    )


def _small_label(threshold: int) -> str:
    """The tooltip's small-population flag for a commune under the threshold."""
    return f"yes: under {fmt(threshold)} inhabitants, a fragile estimate"


# Characters that could end or change a <script> element (`</script`, `<!--` then `<script`), or end a
# JavaScript string before ES2019 (U+2028, U+2029), written as JSON escapes: the same value, inert markup.
SCRIPT_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
# What must never appear in a <script> element's text.
SCRIPT_HAZARDS = ("</script", "<!--", "<script")


def _script_json(value: object) -> str:
    """JSON safe inside a <script> element: no '<', '>' or '&' (so no '</script', '<!--' or '<script'), no U+2028/9."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "".join(SCRIPT_ESCAPES.get(ch, ch) for ch in text)


def vegalite_version() -> str:
    """The Vega-Lite minor version Altair writes (e.g. '6.4'), which the inlined bundle must match."""
    return ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])


def render(shapes: pd.DataFrame, intervals: pd.DataFrame | None, threshold: int, source_caveat: str = "",
           colour_range: tuple[float, float] | None = None) -> str:
    """The map's HTML: a <figure> with its caption (ending with `source_caveat`, the data source's caveat), the
    inlined JavaScript bundle and the chart's spec, every name escaped for its <script>. `colour_range`: the log
    colour scale the static maps share (default: data.colour_range of `shapes`)."""
    if shapes.empty:
        return '<p class="missing">No commune polygon to draw the interactive map.</p>'
    collection = features(shapes, intervals, threshold)
    cities = sorted(shapes["city"].unique())
    scale = colour_range or shared_colour_range(shapes["cpc_per_1000"])
    spec = chart(collection, cities, threshold, scale).to_dict()
    replicates = ""
    if intervals is not None and len(intervals):
        replicates = f", {fmt(int(intervals['replicates'].iloc[0]))} replicates at {fmt(100 * float(intervals['level'].iloc[0]))}%"
    caption = (
        f"Interactive map of cpc per 1000 inhabitants by commune (one log colour scale for every urban area, from "
        f"{fmt(scale[0])} to {fmt(scale[1])}, the static maps' scale; dashed borders: under {fmt(threshold)} inhabitants, "
        "fragile estimates). Pick an urban area in the list; pointing at a commune shows its name, code, population, cpc "
        "per 1000 and its 95% interval from the day-block bootstrap (whole days resampled, the same days for every "
        f"commune{replicates}). Exploratory area-level associations only: cpc is a model quantity (correction factor times "
        f"Tor download volume), not a count of people or of offences. {source_caveat + ' ' if source_caveat else ''}"
        "The static maps below are for printing."
    )
    options = {"renderer": "svg", "actions": False}
    bundle = vl_convert.javascript_bundle(vl_version=vegalite_version())
    hazards = [h for h in SCRIPT_HAZARDS if h in bundle.lower()]
    if hazards:
        raise ValueError(f"vl-convert's JavaScript bundle holds {hazards}, which would end or change its <script> element")
    return (
        f'<figure id="{MAP_ID}-figure"><style>{PRINT_CSS}</style><div id="{MAP_ID}"></div>'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>\n"
        f"<script>/* Vega, Vega-Lite {vegalite_version()} and Vega-Embed, inlined by vl-convert-python */\n{bundle}\n</script>\n"
        f"<script>window.cpcMapReady = vegaEmbed('#{MAP_ID}', {_script_json(spec)}, {_script_json(options)})"
        ".then(function (result) { return result.view; })"
        f".catch(function (error) {{ document.getElementById('{MAP_ID}').textContent = "
        "'The interactive map could not be drawn in this browser (' + error.message + '); the static maps below show the same figures.';"
        " throw error; });</script>"
    )
