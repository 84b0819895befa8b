"""HTML tables in the paper's layout, built from the warehouse's marts and analysis_* tables."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

import pandas as pd

from netmob_tor.analysis.correlations import TABLE2_LABELS
from netmob_tor.report.data import displayable
from netmob_tor.report.numbers import fmt, interval, p_value, percent

TABLE1_STATS = [("count", "count"), ("mean", "mean"), ("std", "std"), ("min", "min"),
                ("p25", "25%"), ("p50", "50%"), ("p75", "75%"), ("max", "max")]
MAX_GENERIC_ROWS = 25
# A cell holding only a number, an interval or a coefficient with stars and SE: kept on one line.
NUMERIC_CELL = re.compile(r"^([\[\]()\d\s.,;%*+\-−e\u202f]|to)+$")
# Readable headers for the generic tables (a header with spaces can wrap; snake_case cannot).
COLUMN_LABELS = {
    "region_name": "Region (pre-2015)", "component": "Component", "eigenvalue": "Eigenvalue",
    "explained_variance_ratio": "Share of variance", "cumulative_ratio": "Cumulative share", "n_terms": "Search terms",
    "n_regions": "Regions", "city": "Urban area", "n_tiles": "Tiles", "n_tiles_outside": "Tiles outside the communes",
    "n_communes": "Communes", "commune": "Commune", "code": "INSEE code", "lines_set_aside": "Lines set aside",
    "pct_of_lines": "% of its lines", "reasons": "Reasons",
}


def column_label(name: str) -> str:
    """A column's header: its readable label, else its name with spaces for underscores."""
    return COLUMN_LABELS.get(name, name.replace("_", " "))


def _cell(value: object) -> str:
    """One <td>: the value in the number format, escaped; a number or an interval never wraps (class num)."""
    text = fmt(value)
    css = ' class="num"' if NUMERIC_CELL.match(text) else ""
    return f"<td{css}>{html.escape(text)}</td>"


def html_table(header: Sequence[str], rows: Sequence[Sequence[object]], caption: str = "", css: str = "") -> str:
    """A plain <table> with thead/tbody; every cell escaped."""
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(_cell(c) for c in row) + "</tr>" for row in rows)
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    cls = f' class="{css}"' if css else ""
    return f"<table{cls}>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _whole(column: pd.Series) -> bool:
    """True when every value of a numeric column is a whole number (a count stored as float)."""
    values = pd.to_numeric(column, errors="coerce").dropna()
    return bool(len(values)) and bool((values == values.round()).all())


def generic_table(frame: pd.DataFrame, caption: str = "", decimals: int = 3) -> str:
    """Any frame as a table, bookkeeping and tile/coordinate columns dropped, at most MAX_GENERIC_ROWS rows: readable
    headers, counts whole, other numbers (statistics: scores, eigenvalues, shares) to `decimals` decimals."""
    shown = displayable(frame)
    fixed = {c for c in shown.columns if pd.api.types.is_float_dtype(shown[c]) and not _whole(shown[c])}
    rows = [[fmt(v, decimals) if c in fixed else v for c, v in zip(shown.columns, r)]
            for r in shown.head(MAX_GENERIC_ROWS).itertuples(index=False)]
    if len(shown) > MAX_GENERIC_ROWS:
        caption = f"{caption} (first {MAX_GENERIC_ROWS} of {fmt(len(shown))} rows)".strip()
    return html_table([column_label(c) for c in shown.columns], rows, caption)


def table1(summary: pd.DataFrame, caption: str = "Table 1. Distribution of the correlation ρ_j and the correction factor c_j") -> str:
    """Table 1: distribution of rho (before the floor) and c, statistics as rows (4 decimals, as the paper)."""
    by_var = summary.set_index("variable")
    columns = [v for v in ("rho", "c") if v in by_var.index]
    rows = []
    for key, label in TABLE1_STATS:
        if key in by_var.columns:
            rows.append([label] + [fmt(by_var.loc[v, key], 4) if key != "count" else fmt(int(by_var.loc[v, key])) for v in columns])
    header = [""] + ["ρ_j (before the floor)" if v == "rho" else "c_j" for v in columns]
    return html_table(header, rows, caption)


DAY_BLOCK_INTERVAL = "95% interval, day-block bootstrap (days resampled, communes fixed)"
COMMUNE_INTERVAL = "95% interval, bootstrap over communes"


def table2(correlations: pd.DataFrame, boot: pd.DataFrame | None = None,
           title: str = "Table 2. Spearman correlation with") -> str:
    """Table 2: Spearman rho of each log per-1000 rate with the sexual-violence rate, p-value, n and, with `boot`
    (analysis_bootstrap_correlations), the day-block bootstrap interval, named for what it resamples."""
    ci = boot.set_index("predictor") if boot is not None and len(boot) and "predictor" in boot.columns else None
    header = ["Variable", "Spearman ρ", "p-value", "n"] + ([DAY_BLOCK_INTERVAL] if ci is not None else [])
    rows = []
    for r in correlations.itertuples(index=False):
        row = [TABLE2_LABELS.get(r.predictor, r.predictor), fmt(r.rho, 3), p_value(r.p_value), fmt(int(r.n))]
        if ci is not None:
            row.append(interval(ci.loc[r.predictor, "ci_low"], ci.loc[r.predictor, "ci_high"], 3) if r.predictor in ci.index else "")
        rows.append(row)
    outcome = correlations["outcome"].iloc[0] if len(correlations) and "outcome" in correlations.columns else ""
    return html_table(header, rows, f"{title} {outcome} (commune values)")


def _dependent_cell(r: object) -> str:
    """One test's cell: statistic and its reported p; the study's two-sided p with the one-sided p beside it."""
    kind = getattr(r, "p_value_kind", None)
    statistic = fmt(r.statistic, 2)
    if not isinstance(kind, str):  # a table stored before p_value existed: one-sided p only
        return f"{statistic} (one-sided p = {p_value(r.p_one_sided)})"
    if kind.startswith("two-sided"):
        return f"{statistic} (two-sided p = {p_value(r.p_value)}, as the study; one-sided p = {p_value(r.p_one_sided)})"
    return f"{statistic} (one-sided p = {p_value(r.p_value)})"


def dependent_tests(tests: pd.DataFrame) -> str:
    """Is the cpc correlation larger than each other one? Statistic and p per test (the study's t: two-sided p as the study, one-sided beside it)."""
    names = list(dict.fromkeys(tests["test"]))
    rows = []
    for comparison, group in tests.groupby("comparison", sort=False):
        cells = {r.test: _dependent_cell(r) for r in group.itertuples(index=False)}
        first = group.iloc[0]
        rows.append([comparison, fmt(first.r_cpc, 3), fmt(first.r_other, 3), fmt(first.r_between, 3)]
                    + [cells.get(n, "") for n in names])
    return html_table(["H1", "r_cpc", "r_other", "r_between"] + [column_label(n) for n in names], rows,
                      "Dependent correlations sharing the outcome: test statistic (p). Williams' t and Steiger's Z: one-sided p; "
                      "study_t: the study's formula with n - 2 df, two-sided p as the study computed it, 2 × (1 − t.cdf(|t|, n − 2)), "
                      "one-sided p beside it")


def _stars(row: pd.Series) -> str:
    """Significance stars of a coefficient row, empty when absent."""
    value = row.get("stars", "")
    return value if isinstance(value, str) else ""


def _direction_label(direction: str) -> str:
    """Readable model direction."""
    return direction.replace("_on_", " on ").replace("_", " ")


def table3(regressions: pd.DataFrame, model: str = "main") -> str | None:
    """Table 3: one row per variable, coefficient with stars and (HC3 SE) per direction; n and R² at the foot."""
    rows_all = regressions[regressions["model"] == model] if "model" in regressions.columns else regressions
    if rows_all.empty:
        return None
    directions = list(dict.fromkeys(rows_all["direction"]))
    label_col = "paper_label" if "paper_label" in rows_all.columns else "variable"
    variables = list(dict.fromkeys(rows_all[label_col]))
    se_col = "se_hc3" if "se_hc3" in rows_all.columns else "se"
    rows = []
    for variable in variables:
        cells = []
        for d in directions:
            hit = rows_all[(rows_all["direction"] == d) & (rows_all[label_col] == variable)]
            if hit.empty:
                cells.append("")
            else:
                r = hit.iloc[0]
                cells.append(f"{fmt(r['coef'], 2)}{_stars(r)} ({fmt(r[se_col], 2)})")
        rows.append([variable] + cells)
    for stat, label in (("n", "Observations"), ("r2", "R²"), ("adj_r2", "Adjusted R²")):
        if stat in rows_all.columns:
            values = [rows_all.loc[rows_all["direction"] == d, stat].iloc[0] for d in directions]
            rows.append([label] + [fmt(int(v)) if stat == "n" else fmt(v, 2) for v in values])
    return html_table(["Variable"] + [_direction_label(d) for d in directions], rows,
                      f"Table 3. OLS with HC3 standard errors in parentheses (model: {model})")


def robustness(regressions: pd.DataFrame, key_variables: dict[str, list[str]]) -> str | None:
    """One row per model variant and direction: the key coefficient (HC3 SE), p, n, adjusted R²."""
    label_col = "paper_label" if "paper_label" in regressions.columns else "variable"
    se_col = "se_hc3" if "se_hc3" in regressions.columns else "se"
    rows = []
    for (model, direction), group in regressions.groupby(["model", "direction"], sort=False):
        keys = key_variables.get(direction, [])
        hit = group[group["variable"].isin(keys)]
        if hit.empty:
            continue
        r = hit.iloc[0]
        rows.append([model, _direction_label(direction), r[label_col], f"{fmt(r['coef'], 3)}{_stars(r)} ({fmt(r[se_col], 3)})",
                     p_value(r["p"]) if "p" in hit.columns else "", fmt(int(r["n"])) if "n" in hit.columns else "",
                     fmt(r["adj_r2"], 2) if "adj_r2" in hit.columns else ""])
    if not rows:
        return None
    return html_table(["Model", "Direction", "Key variable", "Coefficient (HC3 SE)", "p", "n", "Adj. R²"], rows,
                      "Robustness: the key coefficient of each Table 3 variant")


def table4(poi: pd.DataFrame, top_tile_share: float, top: int = 10) -> str:
    """Table 4: per service, the top categories of places in the top tiles by mean scaled traffic per place."""
    services = sorted(poi["service"].unique())
    ranks = range(1, min(top, int(poi["category_rank"].max())) + 1)
    rows = []
    for rank in ranks:
        row: list[object] = [fmt(rank)]
        for service in services:
            hit = poi[(poi["service"] == service) & (poi["category_rank"] == rank)]
            row.append(f"{hit.iloc[0].category} ({fmt(int(hit.iloc[0].n_places))}; {fmt(hit.iloc[0].mean_traffic_per_place)})" if len(hit) else "")
        rows.append(row)
    return html_table(["Rank"] + services, rows,
                      f"Table 4. Place categories in the top {percent(top_tile_share, None)} tiles: category (places; mean traffic × c per place)")


def top_tile_counts(counts: pd.DataFrame) -> str:
    """Counts behind Table 4: top tiles, their communes, places and categories per service (no ids)."""
    rows = [[r.service, fmt(int(r.n_top_tiles)), fmt(int(r.n_communes)), fmt(int(r.n_places)), fmt(int(r.n_categories))]
            for r in counts.itertuples(index=False)]
    return html_table(["Service", "Top tiles", "Communes", "Places inside", "Categories"], rows,
                      "Top tiles per service and the places they hold (counts only)")


def top_communes(summary: pd.DataFrame, threshold: int, n: int = 20) -> str:
    """The communes with the largest cpc per 1000, small populations flagged."""
    rows = []
    for i, r in enumerate(summary.head(n).itertuples(index=False), start=1):
        flag = f"⚑ under {fmt(threshold)}" if bool(r.is_small_population) else ""
        rows.append([fmt(i), r.commune_name or "", r.commune_code, r.city, fmt(int(r.population)) if pd.notna(r.population) else "",
                     fmt(r.c), fmt(r.cpc_per_1000), flag])
    return html_table(["#", "Commune", "INSEE code", "Urban area", "Population", "c", "cpc per 1000", "Small population"], rows,
                      f"Communes with the largest cpc per 1000 (⚑: population under {fmt(threshold)}, fragile estimate)")


def mixed_model(mixed: pd.DataFrame, key_variables: dict[str, list[str]]) -> str:
    """Random intercept by urban area: the key coefficient (SE), p, n, groups and ICC per direction."""
    label_col = "paper_label" if "paper_label" in mixed.columns else "variable"
    rows = []
    for (model, direction), group in mixed.groupby(["model", "direction"], sort=False):
        hit = group[group["variable"].isin(key_variables.get(direction, []))]
        if hit.empty:
            continue
        r = hit.iloc[0]
        rows.append([model, _direction_label(direction), r[label_col], f"{fmt(r['coef'], 3)}{_stars(r)} ({fmt(r['se'], 3)})",
                     p_value(r["p"]), fmt(int(r["n"])), fmt(int(r["n_groups"])) if "n_groups" in group.columns else "",
                     fmt(r["icc"], 3) if "icc" in group.columns else ""])
    if not rows:
        return generic_table(mixed, "analysis_mixed_model")
    return html_table(["Model", "Direction", "Key variable", "Coefficient (SE)", "p", "n", "Urban areas", "ICC"], rows,
                      "Random intercept by urban area (mixed model): key coefficient")


def morans_i(morans: pd.DataFrame) -> str:
    """Moran's I of the Table 3 residuals per model and direction: I, its expectation, permutation z and p, n, links
    (the permutation count and k in the caption)."""
    rows = [[f"{r.model}: {_direction_label(r.direction)}", fmt(int(r.n)), fmt(int(r.n_contiguity_links)),
             fmt(int(r.n_knn_fallback)), fmt(r.moran_i, 3), fmt(r.expected_i, 3), fmt(r.z_permutation, 2), p_value(r.p_permutation)]
            for r in morans.itertuples(index=False)]
    first = morans.iloc[0]
    return html_table(["Model: direction", "n", "Contiguity links", "Communes without a neighbour", "Moran's I", "Expected I",
                       "z", "p"], rows,
                      "Moran's I of the Table 3 residuals over neighbouring communes (communes sharing a border; a commune "
                      f"without one is linked to its {fmt(int(first.k_nearest))} nearest); z and p from "
                      f"{fmt(int(first.permutations))} permutations")


def _profile_cell(figure: str, value: object) -> str:
    """One profile-comparison cell: correlations to 3 decimals and c to 4 (as Tables 2 and 1 print them), counts whole."""
    if figure.startswith("Table 2 log"):
        return fmt(value, 3)
    return fmt(value, 4) if figure.startswith("Table 1 c ") else fmt(value)


def profile_comparison(table: pd.DataFrame) -> str:
    """analysis_profile_comparison: one row per published figure, one column per source (published, each profile)."""
    shown = displayable(table)
    columns = [c for c in shown.columns if c != "figure"]
    rows = [[str(r["figure"])] + [_profile_cell(str(r["figure"]), r[c]) for c in columns] for _, r in shown.iterrows()]
    return html_table(["Figure"] + columns, rows, "Table 2 and Table 1 (c) under each processing profile, beside the published figures")
