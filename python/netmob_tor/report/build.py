"""Assemble the static report: `build_report(con, out_dir)` writes index.html and images/.

Every section renders what the warehouse holds and names what is missing instead of failing.
The data source and its caveat come from the warehouse's record (netmob_tor.provenance).
Communes only: no tile id, no coordinate is written to the page. Every number goes through
report.numbers (one format, stated once on the page); every interval names what was resampled.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from netmob_tor import CAUTION, __version__, loaders, published
from netmob_tor.analysis.regressions import CPC, CPC_LAGGED, SV
from netmob_tor.params import StudyParameters, study_parameters
from netmob_tor.provenance import DataSource, caveat, describe, read_data_source
from netmob_tor.report import data, figures, interactive_map, tables
from netmob_tor.report.numbers import NUMBER_FORMAT, fmt, interval, p_value, percent, regroup
from netmob_tor.report.page import PAGE_CSS, Parameters, parameters_table

# Marts the report is built from; without them the matching sections say what is missing.
REQUIRED_TABLES = ("commune_summary", "commune_boundaries", "heatmap_weekday_hour", "national_context")
# Read when present: Table 4, its counts, and whatever `netmob-tor analyze` stored.
OPTIONAL_TABLES = (
    "poi_top_tiles", "top_tile_summary",
    "analysis_correction_factor_summary", "analysis_cpc_range_summary", "analysis_correlations",
    "analysis_dependent_correlation_tests", "analysis_regressions", "analysis_pca_loadings",
    "analysis_pca_explained_variance", "analysis_mixed_model", "analysis_morans_i",
    "analysis_bootstrap_correlations", "analysis_bootstrap_rho", "analysis_sensitivity",
)
# Analysis tables rendered by a dedicated layout or section (profile_comparison has its own section).
DEDICATED = {"correction_factor_summary", "cpc_range_summary", "correlations", "dependent_correlation_tests",
             "regressions", "pca_loadings", "pca_explained_variance", "bootstrap_correlations", "bootstrap_rho",
             "mixed_model", "morans_i", "sensitivity", "not_computed", "profile_comparison", "pca_region_scores"}
# Per-commune or per-department tables, too long for the page: named in one sentence, kept in the warehouse.
NOT_PRINTED = {"regression_input", "pca_department_scores"}
TITLES: dict[str, str] = {}  # a heading for a generic analysis table (default: its name)
HEATMAP_SCOPES = [("all_communes", "All study communes"), ("top_10_cpc", "The ten communes with the largest cpc per 1000")]
# The sections every page has after "Read this first", in order, with their entry in the table of contents;
# the processing-profile section follows the study tables when analysis_profile_comparison exists.
TOC = [("tables", "Study tables"), ("communes", "Communes"), ("beyond", "Beyond the paper"),
       ("sensitivity", "Sensitivity"), ("trends", "Google Trends"),
       ("temporal", "Day × hour"), ("maps", "Maps"), ("national", "National context"), ("quality", "Data quality"),
       ("parameters", "Parameters")]
CONTENTS = {"caution": "Read this first", "profiles": "Processing profiles", **dict(TOC)}


def _missing(names: list[str]) -> str:
    """A paragraph naming the tables a section needs but the warehouse lacks."""
    listed = ", ".join(f"<code>{html.escape(n)}</code>" for n in names)
    return f'<p class="missing">Not available in this warehouse: {listed}.</p>'


def _absent(analysis: dict[str, pd.DataFrame], name: str, note: str = "") -> str:
    """A paragraph for an analysis table the page lacks: why `analyze` did not compute it, else that it is missing."""
    skipped = analysis.get("not_computed")
    if skipped is not None and len(skipped):
        rows = skipped[(skipped["table_name"] == name) & (skipped["statistic"].fillna("") == "")]
        if len(rows):
            return f'<p class="missing"><code>analysis_{html.escape(name)}</code>: {html.escape(str(rows["reason"].iloc[0]))}.</p>'
    return _missing([f"analysis_{name}{note}"])


def _guard(render: Callable[[], str], what: str) -> str:
    """Run a section renderer; a failure becomes a short note on the page, not a crash."""
    try:
        return render()
    except Exception as error:  # noqa: BLE001 - one broken section must not take the whole report down
        return f'<p class="missing">{html.escape(what)} could not be rendered ({html.escape(type(error).__name__)}).</p>'


def _figure(src: str, alt: str, caption: str = "") -> str:
    """An <img> in a <figure>, path relative to index.html."""
    cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return f'<figure><img src="{html.escape(src)}" alt="{html.escape(alt)}">{cap}</figure>'


def _section(anchor: str, title: str, body: str) -> str:
    """One <section> with its heading and a link back to the table of contents."""
    return (f'<section id="{anchor}"><h2>{html.escape(title)} <a class="up" href="#contents" title="Back to the contents">'
            f'↑ contents</a></h2>{body}</section>')


def _not_computed(analysis: dict[str, pd.DataFrame]) -> str:
    """What `netmob-tor analyze` could not compute on this sample, and why (analysis_not_computed)."""
    skipped = analysis.get("not_computed")
    if skipped is None or not len(skipped):
        return ""
    items = "".join(f"<li><code>analysis_{html.escape(str(r.table_name))}</code>"
                    + ("" if pd.isna(r.statistic) or not r.statistic else f", {html.escape(str(r.statistic))}")
                    + f": {html.escape(str(r.reason))}</li>" for r in skipped.itertuples(index=False))
    return f'<div class="missing"><p>Not computed on this sample (too few communes, regions or days):</p><ul>{items}</ul></div>'


def _study_tables(analysis: dict[str, pd.DataFrame], con: duckdb.DuckDBPyConnection, present: set[str], top_tile_share: float) -> str:
    """Tables 1-4 and the robustness table in the paper's layout; first, what the sample was too small for."""
    parts = [_not_computed(analysis)]
    if "correction_factor_summary" in analysis:
        parts.append(_guard(lambda: tables.table1(analysis["correction_factor_summary"]), "Table 1"))
        if "cpc_range_summary" in analysis and len(analysis["cpc_range_summary"]):
            parts.append(_guard(lambda: _cpc_range(analysis["cpc_range_summary"].iloc[0]), "The cpc range"))
    else:
        parts.append(_absent(analysis, "correction_factor_summary"))
    if "correlations" in analysis:
        parts.append(_guard(lambda: tables.table2(analysis["correlations"], analysis.get("bootstrap_correlations")), "Table 2"))
        parts.append(_guard(lambda: _table2_intervals(analysis), "The note on Table 2's intervals"))
    else:
        parts.append(_absent(analysis, "correlations"))
    if "dependent_correlation_tests" in analysis:
        parts.append(_guard(lambda: tables.dependent_tests(analysis["dependent_correlation_tests"]), "The dependent-correlation tests"))
    if "regressions" in analysis:
        parts.append(_guard(lambda: tables.table3(analysis["regressions"]) or _missing(["analysis_regressions (model 'main')"]), "Table 3"))
        parts.append(_guard(lambda: tables.robustness(analysis["regressions"], _key_variables()) or "", "The robustness table"))
    else:
        parts.append(_absent(analysis, "regressions", " (Table 3 and robustness; needs the census and election inputs)"))
    parts.append(_guard(lambda: _table4(con, present, top_tile_share), "Table 4"))
    return "".join(parts)


def _cpc_range(r: pd.Series) -> str:
    """The results-text sentence on the range of cpc per 1000."""
    return (f"<p>cpc per 1000: mean {fmt(r.mean_cpc_per_1000)}, from {fmt(r.min_cpc_per_1000)} to "
            f"{fmt(r.max_cpc_per_1000)}; {fmt(int(r.n_floored))} communes with the floored c.</p>")


def _study_row(sensitivity: pd.DataFrame | None) -> pd.Series | None:
    """The study profile's row of analysis_sensitivity (its cpc rho with the interval over communes), if stored."""
    if sensitivity is None or not len(sensitivity) or "is_study_profile" not in sensitivity.columns:
        return None
    rows = sensitivity[sensitivity["is_study_profile"].astype(bool)]
    return rows.iloc[0] if len(rows) else None


def _replicates(frame: pd.DataFrame | None, key: str = "replicates") -> str:
    """', N replicates' from a bootstrap table's own record (a column, else its parameters), or nothing."""
    if frame is None or not len(frame):
        return ""
    if key in frame.columns:
        return f", {fmt(int(frame[key].iloc[0]))} replicates"
    if "parameters" in frame.columns:
        replicates = json.loads(frame["parameters"].iloc[0]).get("bootstrap", {}).get("replicates")
        return f", {fmt(int(replicates))} replicates" if replicates else ""
    return ""


def _table2_intervals(analysis: dict[str, pd.DataFrame]) -> str:
    """The sentence that reconciles Table 2's day-block interval with the sensitivity section's interval over communes."""
    boot = analysis.get("bootstrap_correlations")
    cpc = boot[boot["predictor"] == CPC] if boot is not None and len(boot) and "predictor" in boot.columns else None
    study = _study_row(analysis.get("sensitivity"))
    if cpc is None or not len(cpc):
        return ""
    day = cpc.iloc[0]
    day_block = (f"Two intervals are given for the cpc ρ = {fmt(day.rho, 3)}: Table 2's interval from the day-block bootstrap, "
                 f"{interval(day.ci_low, day.ci_high, 3)} ({fmt(int(day.replicates))} replicates), redraws whole days with "
                 f"replacement (the same days for every commune) and keeps the {fmt(int(day.n))} communes fixed, so it "
                 "measures only how each commune's traffic figures vary from day to day")
    if study is None:
        return (f'<p class="intervals">{day_block}; it leaves out the variation from which communes are in the sample, '
                "which the bootstrap over communes of the sensitivity section measures (run <code>netmob-tor sensitivity</code>).</p>")
    same = "for the same estimate" if abs(float(study.rho) - float(day.rho)) < 5e-4 else f"for its estimate {fmt(study.rho, 3)}"
    return (f'<p class="intervals">{day_block}, while the sensitivity section\'s interval from the bootstrap over communes, '
            f"{interval(study.ci_low, study.ci_high, 3)} ({same}{_replicates(analysis.get('sensitivity'))}), redraws the "
            "communes themselves, so it also carries the variation between communes, which is much larger than the "
            "day-to-day variation of each commune's figures: hence it is the wider of the two, and the one to read for how "
            "far the correlation would move with another sample of communes.</p>")


def _key_variables() -> dict[str, list[str]]:
    """The coefficient each Table 3 direction is read for (the cpc estimate or the sexual-violence rate)."""
    return {"cpc_on_sexual_violence": [SV], "sexual_violence_on_cpc": [CPC, CPC_LAGGED]}


def _table4(con: duckdb.DuckDBPyConnection, present: set[str], top_tile_share: float) -> str:
    """Table 4 when some category reaches the minimum; otherwise the counts and why it is empty."""
    poi = loaders.read_table(con, "poi_top_tiles", present)
    counts = loaders.top_tile_summary(con, present)
    parts = []
    if poi is None:
        parts.append(_missing(["poi_top_tiles"]))
    elif len(poi):
        parts.append(tables.table4(poi, top_tile_share))
    else:
        parts.append(
            "<p>Table 4: no place category reaches the minimum number of places inside the top tiles of any "
            "service in this warehouse (on a coarse grid that keeps few tiles, few places may fall inside the top "
            "tiles); the counts below show what was found.</p>"
        )
    if counts is not None and len(counts):
        parts.append(tables.top_tile_counts(counts))
    return "".join(parts)


def _beyond_the_paper(analysis: dict[str, pd.DataFrame]) -> str:
    """The analyses the paper did not run: per-commune intervals (summarised), the mixed model, Moran's I, any other
    analysis_* table, and the paper-mode tables from the released aggregates; long tables are named, not printed."""
    parts = []
    if "bootstrap_rho" in analysis and len(analysis["bootstrap_rho"]):
        boot = analysis["bootstrap_rho"]
        width = (boot["ci_high"] - boot["ci_low"]).dropna()
        excluding = int(((boot["ci_low"] > 0) | (boot["ci_high"] < 0)).sum())
        parts.append(
            f"<p>Each commune's ρ with its 95% interval from the day-block bootstrap (whole days resampled, the same days "
            f"for every commune{_replicates(boot)}): {fmt(len(boot))} communes, median interval width "
            f"{fmt(width.median(), 3)}; {fmt(excluding)} intervals exclude 0. The map's tooltips show the same bootstrap's "
            "interval of each commune's cpc per 1000.</p>"
        )
    if "mixed_model" in analysis and len(analysis["mixed_model"]):
        parts.append(_guard(lambda: tables.mixed_model(analysis["mixed_model"], _key_variables()), "The mixed model"))
    if "morans_i" in analysis and len(analysis["morans_i"]):
        parts.append(_guard(lambda: tables.morans_i(analysis["morans_i"]), "Moran's I"))
    for name, frame in analysis.items():
        if name in DEDICATED or name in NOT_PRINTED or name.startswith("released_") or not len(frame):
            continue
        parts.append(f"<h3>{html.escape(TITLES.get(name, name.replace('_', ' ')))}</h3>"
                     + _guard(lambda: tables.generic_table(frame, f"analysis_{name}"), f"analysis_{name}"))
    kept = [f"<code>analysis_{html.escape(n)}</code>" for n in ["bootstrap_rho", *sorted(NOT_PRINTED)] if n in analysis and len(analysis[n])]
    if kept:
        parts.append(f"<p>The per-commune and per-department tables are too long for this page and stay in the warehouse "
                     f"(read them with <code>netmob-tor sql</code>): {', '.join(kept)}.</p>")
    released = {k.removeprefix("released_"): v for k, v in analysis.items() if k.startswith("released_")}
    if released:
        parts.append("<h3>Paper mode: Tables 1 and 2 from the study's released aggregates</h3>")
        if "correction_factor_summary" in released:
            parts.append(_guard(lambda: tables.table1(released["correction_factor_summary"],
                                                      "Table 1, paper mode (released aggregates). Distribution of ρ_j and c_j"),
                                "Table 1 (paper mode)"))
        if "correlations" in released:
            parts.append(_guard(lambda: tables.table2(released["correlations"], title="Table 2, paper mode (released "
                                                      "aggregates). Spearman correlation with"), "Table 2 (paper mode)"))
    parts += [_absent(analysis, n) for n in ("regressions", "mixed_model", "morans_i", "bootstrap_correlations", "pca_loadings")
              if n not in analysis]
    if not parts:
        parts.append("<p>No further analysis tables in this warehouse.</p>")
    return "".join(parts)


SENSITIVITY_HEADER = ["Processing choice", "Spearman ρ", tables.COMMUNE_INTERVAL, "p-value", "n", "Mean c", "Communes with floored c",
                      "Commune ranking vs the study profile (Spearman)"]


def _sensitivity_rows(table: pd.DataFrame, with_interaction: bool) -> list[list[object]]:
    """One row per specification: estimate, interval over communes, p, n, mean c, floored communes, ranking (interaction)."""
    rows = []
    for r in table.itertuples(index=False):
        row = [r.label, fmt(r.rho, 3), interval(r.ci_low, r.ci_high, 3), p_value(r.p_value), fmt(int(r.n)), fmt(r.mean_c),
               fmt(int(r.n_floored)), fmt(r.ranking_rho_vs_study, 3)]
        rows.append(row + ([fmt(r.interaction, 3)] if with_interaction else []))
    return rows


def _interaction_note(table: pd.DataFrame, with_interaction: bool) -> str:
    """What the interaction column holds, or why the table has no pair rows (and so no interaction column)."""
    params = json.loads(table["parameters"].iloc[0]) if "parameters" in table.columns else {}
    threshold = params.get("interaction_threshold")
    limit = f" (sensitivity_interaction_threshold = {fmt(threshold, exact=True)})" if threshold is not None else ""
    if params.get("pairs_built") is False:
        return ("<p>One choice at a time: this run did not build the pairs of choices (<code>netmob-tor sensitivity "
                "--no-pairs</code>, as <code>make demo</code> runs it), so whether two choices together move ρ by more "
                "than the sum of their single effects is not measured here. <code>netmob-tor sensitivity</code> builds "
                "every pair.</p>")
    if with_interaction:
        return (f"<p>Interaction (pair rows): the pair's change of ρ minus the sum of its two single changes; a pair is "
                f"listed only when that departs from 0 by more than the threshold{limit}.</p>")
    return (f"<p>Every pair of choices was built too: in none did the joint change of ρ depart from the sum of the two "
            f"single changes by more than the threshold{limit}, so no pair row is listed, and no interaction column.</p>")


def _sensitivity(analysis: dict[str, pd.DataFrame], images: Path, source: DataSource | None) -> str:
    """The specification chart and table of analysis_sensitivity (`netmob-tor sensitivity`)."""
    if "sensitivity" not in analysis or not len(analysis["sensitivity"]):
        return _missing(["analysis_sensitivity"]) + "<p>Run <code>netmob-tor sensitivity</code> (part of <code>make demo</code>).</p>"
    table = analysis["sensitivity"].sort_values("row_number")
    synthetic = ("These figures come from the embedded synthetic data, whose only calibrated figures are the study profile's "
                 "commune totals and rho: they illustrate how each choice moves the estimate and stay illustrative until "
                 "the real files are used. " if source is not None and source.is_synthetic else "")
    intro = ("<p>Each row rebuilds the study profile's models with one processing choice changed (or two, where their joint "
             "effect departs from the sum of their single effects), from the loaded tables, without re-reading the raw text. "
             f"{synthetic}Intervals: 95% percentile bootstrap over communes (the communes are resampled with replacement"
             f"{_replicates(table)}), wider than Table 2's day-block interval (see the note under Table 2). Exploratory "
             "area-level associations; no individual or causal meaning.</p>")
    chart = _figure(_rel(figures.specification_chart(table, published.TABLE2["log_cpc_per_1000"][0], images / "sensitivity.png")),
                    "Specification chart: Table 2 cpc correlation per processing choice",
                    "Point: Spearman ρ; bar: its 95% interval, bootstrap over communes. Study profile dashed, published value dotted.")
    with_interaction = "interaction" in table.columns and table["interaction"].notna().any()
    header = SENSITIVITY_HEADER + (["Interaction"] if with_interaction else [])
    caption = "analysis_sensitivity: Table 2's cpc correlation under each processing choice"
    return (intro + chart + tables.html_table(header, _sensitivity_rows(table, with_interaction), caption)
            + _interaction_note(table, with_interaction))


def _trends(analysis: dict[str, pd.DataFrame], images: Path) -> str:
    """The Google Trends loading heatmap and explained variance, when the PCA was stored."""
    if "pca_loadings" not in analysis or not len(analysis["pca_loadings"]):
        return _absent(analysis, "pca_loadings")
    parts = [_figure(_rel(figures.pca_loadings_heatmap(analysis["pca_loadings"], images / "pca_loadings.png")),
                     "Google Trends PCA loadings heatmap", "Loadings of the standardised search terms on each component.")]
    if "pca_explained_variance" in analysis:
        parts.append(tables.generic_table(analysis["pca_explained_variance"], "Explained variance of each component"))
    if "pca_region_scores" in analysis and len(analysis["pca_region_scores"]):
        parts.append(tables.generic_table(analysis["pca_region_scores"], "Scores of the pre-2015 regions on each component"))
    return "".join(parts)


def _rel(path: Path) -> str:
    """Image path relative to index.html."""
    return f"images/{path.name}"


def _temporal(con: duckdb.DuckDBPyConnection, present: set[str], images: Path) -> str:
    """The day-of-week × hour heatmaps and the top three communes' hourly profiles."""
    cells = loaders.read_table(con, "heatmap_weekday_hour", present)
    if cells is None or not len(cells):
        return _missing(["heatmap_weekday_hour"])
    parts = []
    scopes = list(HEATMAP_SCOPES)
    for rank in sorted(cells["scope_rank"].dropna().unique()):
        row = cells[cells["scope_rank"] == rank].iloc[0]
        scopes.append((row.scope, f"Commune ranked {int(rank)} by cpc per 1000: {row.commune_name} ({row.commune_code})"))
    for scope, title in scopes:
        rows = cells[cells["scope"] == scope]
        if rows.empty:
            continue
        path = figures.weekday_hour_heatmap(rows, title, images / f"heatmap_{scope}.png")
        n = int(rows["n_communes"].iloc[0])
        parts.append(_figure(_rel(path), f"Day-of-week by hour heatmap: {title}",
                             f"{title} ({fmt(n)} commune{'s' if n != 1 else ''}): sums over the kept days, local time; "
                             "each panel has its own colour scale (volumes of different services)."))
    singles = cells[cells["scope_rank"].notna()]
    if len(singles):
        path = figures.hourly_profiles(singles, images / "hourly_top3.png")
        parts.append(_figure(_rel(path), "Hourly profiles of the three communes with the largest cpc per 1000",
                             "Share of each series' volume by local hour, commune level (Fig. 4 of the study drew tiles; "
                             "this report draws communes only)."))
    return "".join(parts)


def _maps(con: duckdb.DuckDBPyConnection, present: set[str], images: Path, threshold: int, source_caveat: str = "") -> str:
    """The interactive choropleth (report.interactive_map), then one static choropleth per urban area, small populations
    hatched; all on one log colour scale (data.colour_range over every study commune), its colour bar drawn once."""
    if not {"commune_summary", "commune_boundaries"} <= present:
        return _missing([n for n in ("commune_summary", "commune_boundaries") if n not in present])
    shapes = loaders.commune_shapes(con)
    scale = data.colour_range(shapes["cpc_per_1000"])
    parts = [_guard(lambda: interactive_map.render(shapes, loaders.commune_cpc_intervals(con, present), threshold, source_caveat,
                                                   scale), "The interactive map"),
             _figure(_rel(figures.map_colour_scale(scale, images / "maps_colour_scale.png")),
                     "Colour scale of the static maps: cpc per 1000 inhabitants, log scale",
                     f"One colour scale for every static map below (and the interactive map): cpc per 1000 inhabitants on a "
                     f"log scale from {fmt(scale[0])} to {fmt(scale[1])}, the smallest and largest value over all study "
                     f"communes; hatched communes have fewer than {fmt(threshold)} inhabitants (fragile estimates)."),
             '<div class="maps">']
    for city, communes in shapes.groupby("city", sort=True):
        slug = "".join(ch if ch.isalnum() else "_" for ch in city)
        path = figures.city_choropleth(communes, city, threshold, scale, images / f"map_{slug}.png")
        parts.append(_figure(_rel(path), f"Choropleth of cpc per 1000 in {city}", f"{city}: {fmt(len(communes))} communes"))
    parts.append("</div>")
    return "".join(parts)


def _national(con: duckdb.DuckDBPyConnection, present: set[str], images: Path, year: int) -> str:
    """The study year's European chart, France per year, and the study's totals beside France that year."""
    context = loaders.read_table(con, "national_context", present)
    if context is None or not len(context):
        return _missing(["national_context"])
    parts = [_figure(_rel(figures.national_context_chart(context, year, images / "national_context.png")),
                     f"CyberTipline reports per 1000 inhabitants in Europe, {year}",
                     "NCMEC CyberTipline reports by country (Diaphanous, CC BY 4.0) per 1000 inhabitants.")]
    france = context[context["is_france"]].sort_values("report_year")
    rows = [[fmt_year(r.report_year), fmt(r.cybertipline_reports), fmt(r.reports_per_1000),
             f"{fmt(int(r.europe_rank_per_1000))} of {fmt(int(r.n_europe_ranked))}" if pd.notna(r.europe_rank_per_1000) else ""]
            for r in france.itertuples(index=False)]
    parts.append(tables.html_table(["Year", "CyberTipline reports", "per 1000 inhabitants", "rank in Europe"], rows,
                                   "France: CyberTipline reports per year"))
    study = france[france["study_n_communes"].notna()]
    if len(study):
        s = study.iloc[0]
        parts.append(tables.html_table(
            ["", "value"],
            [["Study communes", fmt(int(s.study_n_communes))],
             ["Their population", fmt(int(s.study_population))],
             ["Share of France's population", percent(s.study_population_share)],
             ["Sum of cpc (traffic units)", fmt(float(s.study_cpc))],
             ["cpc per 1000 inhabitants (study area)", fmt(float(s.study_cpc_per_1000))],
             ["CyberTipline reports, France", fmt(int(s.cybertipline_reports))]],
            f"The study's totals next to France {year}: different quantities (traffic volume vs reports), for context only"))
    return "".join(parts)


def fmt_year(year: object) -> str:
    """A year without thousands separator."""
    return str(int(year))


def _top_communes(con: duckdb.DuckDBPyConnection, present: set[str], threshold: int) -> str:
    """The largest cpc per 1000, with the small-population flag."""
    if "commune_summary" not in present:
        return _missing(["commune_summary"])
    summary = loaders.top_communes(con, 20)
    n_small = loaders.n_small_population(con)
    return (tables.top_communes(summary, threshold)
            + f"<p>{fmt(n_small)} communes have fewer than {fmt(threshold)} inhabitants; their per-1000 figures rest on few "
              "people and are flagged (⚑ here, hatched on the maps).</p>")


def _profiles(con: duckdb.DuckDBPyConnection) -> str:
    """The processing profiles' Table 2 and Table 1 (c) beside the published figures (analysis_profile_comparison)."""
    table = loaders.profile_comparison(con)
    note = ("<p>The study profile does what the authors' notebooks did; the corrected profile drops the anomaly days, "
            "puts the spring-forward day on its real hours and uses the commune file's population (docs/profiles.md"
            "). On the embedded synthetic data the study profile is calibrated to the release, "
            "so its figures are a check of the pipeline, and the corrected profile's differences are illustrative.</p>")
    return note + tables.profile_comparison(table)


def _coverage(con: duckdb.DuckDBPyConnection, present: set[str]) -> str:
    """Per urban area: the grid's tiles and download outside the communes of the sample (city_tile_coverage)."""
    coverage = loaders.city_tile_coverage(con, present)
    if coverage is None:
        return _missing([loaders.CITY_TILE_COVERAGE])
    shares = coverage.pivot(index="city", columns="service", values="share_dl_outside")
    counts = coverage.groupby("city")[["n_tiles", "n_tiles_outside", "n_communes"]].first()
    services = list(shares.columns)
    rows = [[city, fmt(int(r.n_tiles)), fmt(int(r.n_tiles_outside)), fmt(int(r.n_communes))]
            + [percent(shares.loc[city, service], 2) for service in services] for city, r in counts.iterrows()]
    header = [tables.column_label(c) for c in ("city", "n_tiles", "n_tiles_outside", "n_communes")]
    return ("<p>Tiles whose centroid lies outside the communes of the sample (under the study's rule, outside the study's "
            "communes of that urban area) are not assigned to any commune; they are counted here per urban area.</p>"
            + tables.html_table(header + [f"{service}: download outside" for service in services], rows,
                                "Tiles and download outside the communes of the sample, per urban area"))


def _data_quality(con: duckdb.DuckDBPyConnection, present: set[str]) -> str:
    """Each city's tiles outside the sample, and the communes whose traffic lines were set aside
    (commune_summary.has_set_aside_lines): communes and cities only."""
    return _coverage(con, present) + _set_aside(con)


def _set_aside(con: duckdb.DuckDBPyConnection) -> str:
    """The communes whose traffic lines were set aside (commune_summary.has_set_aside_lines): communes only."""
    flagged = loaders.set_aside_communes(con)
    if flagged.empty:
        return "<p>No traffic line of a study commune's tiles was set aside: every file held every tile, and every line was read.</p>"
    rows = [[r.commune, r.code, r.city, fmt(int(r.lines_set_aside)), fmt(r.pct_of_lines, 3), r.reasons or ""]
            for r in flagged.itertuples(index=False)]
    return (f"<p>{fmt(len(flagged))} communes rest on traffic files from which lines were set aside (listed in the audit table "
            "<code>traffic_quarantine</code>); their totals and correlations exclude those lines. Read their figures with care.</p>"
            + tables.html_table([tables.column_label(c) for c in flagged.columns], rows, "Communes with traffic lines set aside"))


def _sections(con: duckdb.DuckDBPyConnection, present: set[str], analysis: dict[str, pd.DataFrame], images: Path,
              study: StudyParameters, params: Parameters, source: DataSource | None = None) -> list[str]:
    """Every <section> of the page, in order; each renders what the warehouse holds."""
    threshold = params.threshold
    missing_required = [n for n in REQUIRED_TABLES if n not in present]
    year = study.study_start.year
    sections = [
        _section("caution", "Read this first", f'<p class="caution">{html.escape(CAUTION)} Figures are per commune; '
                 "the report never shows a tile or a coordinate. Communes under "
                 f"{fmt(threshold)} inhabitants are flagged as fragile estimates. The estimate cpc is the study's correction "
                 "factor times Tor download volume: a model quantity, not a count of people or of offences.</p>"
                 f'<p id="number-format">{html.escape(NUMBER_FORMAT)}</p>'
                 + (_missing(missing_required) if missing_required else "")),
        _section("tables", "Study tables (Tables 1-4 and robustness)", _study_tables(analysis, con, present, study.top_tile_share)),
        _section("communes", "Communes with the largest estimates", _guard(lambda: _top_communes(con, present, threshold), "The commune table")),
        _section("beyond", "Beyond the paper", _guard(lambda: _beyond_the_paper(analysis), "The further analyses")),
        _section("sensitivity", "How far the headline depends on each processing choice",
                 _guard(lambda: _sensitivity(analysis, images, source), "The sensitivity table")),
        _section("trends", "Google Trends principal components", _guard(lambda: _trends(analysis, images), "The PCA heatmap")),
        _section("temporal", "Day of week × hour", _guard(lambda: _temporal(con, present, images), "The heatmaps")),
        _section("maps", "Maps: cpc per 1000 inhabitants by commune, per urban area",
                 _guard(lambda: _maps(con, present, images, threshold, caveat(source)), "The maps")),
        _section("national", f"National context ({year})", _guard(lambda: _national(con, present, images, year), "The national context")),
        _section("quality", "Data quality: tiles outside the communes, lines set aside",
                 _guard(lambda: _data_quality(con, present), "The data-quality tables")),
        _section("parameters", "Assumptions and parameters", params.html),
    ]
    if "analysis_profile_comparison" in present:
        sections.insert(2, _section("profiles", "Processing profiles side by side", _guard(lambda: _profiles(con), "The profile comparison")))
    return sections


def _page(sections: list[str], source: DataSource | None, profile: str, choices: str, run: dict[str, str]) -> str:
    """The whole HTML page: header (the warehouse's data source and its caveat, profile, when built and analysed),
    table of contents, sections, caution."""
    built = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    analysis_line = (f"analysis run {html.escape(run['run_at'])} on the {html.escape(run['source'])} source"
                     if run else "no analysis tables stored (run <code>netmob-tor analyze</code>)")
    anchors = [a for section in sections for a in [section.partition('<section id="')[2].partition('"')[0]] if a]
    toc = "".join(f'<li><a href="#{a}">{html.escape(CONTENTS.get(a, a))}</a></li>' for a in anchors)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>netmob_tor: study report</title>
<style>{PAGE_CSS}</style>
</head>
<body>
<header>
<h1>Tor traffic and sexual-violence statistics by French commune: study report</h1>
<p class="meta">Reproduction of Koebe et al. (2024), <i>Humanities and Social Sciences Communications</i> 11,
doi:10.1057/s41599-024-03343-4. Data source: <strong id="data-source">{html.escape(source_sentence(source))}</strong>.
<span id="data-source-caveat">{html.escape(caveat(source))}</span>
Processing profile: <strong id="processing-profile">{html.escape(str(profile))}</strong> ({html.escape(str(choices))}).
Built {built} by netmob_tor {html.escape(__version__)}; {analysis_line}.</p>
<nav id="contents" aria-label="Contents"><strong>Contents</strong><ol>{toc}</ol></nav>
</header>
<main>
{''.join(sections)}
</main>
<footer><p class="caution">{html.escape(CAUTION)}</p></footer>
</body>
</html>
"""


def source_sentence(source: DataSource | None) -> str:
    """The warehouse's data source in words (provenance.describe), its counts in the report's number format (the
    folder's path left exactly as recorded)."""
    text = describe(source)
    root = str(source.data_root) if source is not None and source.data_root else ""
    if root and root in text:
        return root.join(regroup(part) for part in text.split(root))
    return regroup(text)


def build_report(con: duckdb.DuckDBPyConnection, out_dir: Path) -> Path:
    """Write out_dir/index.html and out_dir/images/*.png from the warehouse behind `con`; return the page path.

    Needs commune_summary, commune_boundaries, heatmap_weekday_hour and national_context (with the
    spatial extension loaded); reads poi_top_tiles, top_tile_summary, study_parameters, the data
    source (main.data_source) and every analysis_* table when present.
    """
    source = read_data_source(con)
    images = Path(out_dir) / "images"
    images.mkdir(parents=True, exist_ok=True)
    for old in images.glob("*.png"):
        old.unlink()
    present = loaders.table_names(con)
    analysis = loaders.analysis_tables(con, present)
    study = study_parameters(con)
    params = parameters_table(study, _guard_float(lambda: loaders.implied_scaling(con)))
    profile, choices = loaders.processing_description(con) if "commune_summary" in present else ("unknown", "")
    sections = _sections(con, present, analysis, images, study, params, source)
    page = _page(sections, source, profile, choices, data.analysis_run_info(analysis))
    index = Path(out_dir) / "index.html"
    index.write_text(page, encoding="utf-8")
    return index


def _guard_float(compute: Callable[[], float | None]) -> float | None:
    """A number from the warehouse, or None when it cannot be read."""
    try:
        return compute()
    except duckdb.Error:
        return None
