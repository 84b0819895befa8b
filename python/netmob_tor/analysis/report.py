"""Plain-text report of the statistical layer: each table in the paper's layout where it has one.

Communes only, never tiles or coordinates; per-commune bootstrap intervals are summarised.
"""

from __future__ import annotations

import pandas as pd

from netmob_tor import CAUTION
from netmob_tor.analysis.correlations import TABLE2_LABELS
from netmob_tor.analysis.regressions import CPC, CPC_LAGGED, PAPER_LABELS, SV, format_table3
from netmob_tor.analysis.sample_size import format_not_computed
from netmob_tor.params import defaults


def _key_variable(direction: str, model_rows: pd.DataFrame) -> str:
    """The coefficient a Table 3 variant is read for: SV in the cpc model, the cpc estimate in the SV model."""
    if direction == "cpc_on_sexual_violence":
        return SV
    return CPC_LAGGED if (model_rows["variable"] == CPC_LAGGED).any() else CPC


def format_table1(summary: pd.DataFrame, cpc_range: pd.DataFrame | None = None) -> str:
    """Table 1 (rho before the floor, c) and the results-text range of cpc per 1000."""
    lines = ["Table 1: distribution of rho (before the floor) and c", summary.to_string(index=False, float_format=lambda x: f"{x:.4f}")]
    if cpc_range is not None and len(cpc_range):
        r = cpc_range.iloc[0]
        lines.append(
            f"cpc per 1000: mean {r.mean_cpc_per_1000:,.0f}, min {r.min_cpc_per_1000:,.0f}, max {r.max_cpc_per_1000:,.0f} "
            f"(commune {r.max_commune_code}); {r.n_floored} communes with the floored c"
        )
    return "\n".join(lines)


def format_correlations(correlations: pd.DataFrame, boot: pd.DataFrame | None = None) -> str:
    """Table 2 with, when available, the day-block bootstrap 95% interval of each rho."""
    width = max(len(v) for v in TABLE2_LABELS.values()) + 2
    head = f"{'':<{width}}{'rho':>8}{'p-value':>12}{'n':>6}"
    ci = boot.set_index("predictor") if boot is not None and len(boot) else None
    if ci is not None:
        head += f"{'day-block 95% CI':>22}"
    first, last = defaults().sv_years
    lines = [f"Table 2: Spearman correlation with the sexual-violence rate ({first}-{last}, commune values)", head]
    for row in correlations.itertuples(index=False):
        label = f"{TABLE2_LABELS.get(row.predictor, row.predictor):<{width}}"
        if pd.isna(row.rho):
            lines.append(f"{label}{getattr(row, 'note', '') or 'not computed'}")
            continue
        line = f"{label}{row.rho:>8.3f}{row.p_value:>12.2e}{row.n:>6d}"
        if ci is not None and row.predictor in ci.index:
            low, high = ci.loc[row.predictor, "ci_low"], ci.loc[row.predictor, "ci_high"]
            interval = f"[{low:.3f}, {high:.3f}]"
            line += f"{interval:>22}"
        lines.append(line)
    if ci is not None:
        lines.append(f"Interval: percentile, {int(boot['replicates'].iloc[0])} day-block bootstrap replicates.")
    return "\n".join(lines)


def format_dependent_tests(tests: pd.DataFrame) -> str:
    """Is the cpc correlation larger than each other one? Statistic, df, reported p (its kind) and one-sided p per test.

    The study's t is reported with its two-sided p, as the authors computed it, and its one-sided
    p beside it; Williams' t and Steiger's Z with their one-sided p. Tables stored before the
    `p_value` column existed are printed with their one-sided p only.
    """
    has_reported = "p_value" in tests.columns
    width = max(len(c) for c in tests["comparison"]) + 2
    lines = ["Dependent correlations (H1: r_cpc > r_other): statistic, df, p as reported, one-sided p",
             f"{'':<{width}}{'test':<12}{'statistic':>10}{'df':>6}{'p reported':>12}  {'':<12}{'one-sided p':>12}"]
    for comparison, group in tests.groupby("comparison", sort=False):
        for i, r in enumerate(group.itertuples(index=False)):
            label = comparison if i == 0 else ""
            df_text = "" if pd.isna(r.df) else f"{r.df:.0f}"
            p_value = r.p_value if has_reported else r.p_one_sided
            kind = "two-sided" if has_reported and r.p_value_kind.startswith("two-sided") else "one-sided"
            lines.append(f"{label:<{width}}{r.test:<12}{r.statistic:>10.2f}{df_text:>6}{p_value:>12.3g}  "
                         f"{'(' + kind + ')':<12}{r.p_one_sided:>12.3g}")
    lines.append("williams_t: Williams' T2 (Steiger 1980), the standard test; steiger_z: Steiger's Z; study_t: the study's own formula "
                 "t = (r_ab - r_ac) / sqrt((1 - r_bc^2)/(n - 3)), n - 2 df, p two-sided as the study computed it, 2 * (1 - t.cdf(|t|, n - 2)).")
    return "\n".join(lines)


def format_pca(explained: pd.DataFrame, loadings: pd.DataFrame) -> str:
    """Google Trends PCA: explained variance and loadings (terms x components)."""
    lines = [f"Google Trends PCA ({int(explained['n_terms'].iloc[0])} non-zero terms, "
             f"{int(explained['n_regions'].iloc[0])} pre-2015 regions, standardised)"]
    lines.append(explained[["component", "eigenvalue", "explained_variance_ratio", "cumulative_ratio"]].to_string(
        index=False, float_format=lambda x: f"{x:.3f}"))
    wide = loadings.pivot(index="search_term", columns="component", values="loading")
    lines.append(wide.to_string(float_format=lambda x: f"{x:.3f}"))
    return "\n".join(lines)


def format_robustness(regressions: pd.DataFrame) -> str:
    """One line per Table 3 variant and direction: the key coefficient, (HC3 SE), p, n, adjusted R²."""
    lines = ["Table 3 robustness: key coefficient (HC3 SE), p, n, adj. R2"]
    for (model, direction), rows in regressions.groupby(["model", "direction"], sort=False):
        key = _key_variable(direction, rows)
        hit = rows[rows["variable"] == key]
        if hit.empty:
            continue
        r = hit.iloc[0]
        lines.append(f"  {model:<26}{direction:<26}{PAPER_LABELS.get(key, key):<36}{r.coef:>8.3f}{r.stars:<3} ({r.se_hc3:.3f})  "
                     f"p={r.p:.3g}  n={r.n}  adj.R2={r.adj_r2:.2f}")
    return "\n".join(lines)


def format_mixed(mixed: pd.DataFrame) -> str:
    """Random-intercept model by urban area: key coefficient and the share of variance between cities."""
    lines = ["Random intercept by urban area (MixedLM, REML): key coefficient (SE), p, n, cities, ICC"]
    for direction, rows in mixed.groupby("direction", sort=False):
        key = _key_variable(direction, rows)
        r = rows[rows["variable"] == key].iloc[0]
        lines.append(f"  {direction:<26}{PAPER_LABELS.get(key, key):<28}{r.coef:>8.3f}{r.stars:<3} ({r.se:.3f})  p={r.p:.3g}  n={r.n}  "
                     f"cities={r.n_groups}  ICC={r.icc:.3f}{'' if r.converged else '  (not converged)'}")
    return "\n".join(lines)


def format_morans(morans: pd.DataFrame) -> str:
    """Moran's I of the OLS residuals per direction, with the permutation p-value."""
    lines = ["Moran's I of the Table 3 (main) OLS residuals over neighbouring communes"]
    for r in morans.itertuples(index=False):
        lines.append(f"  {r.direction:<26} I={r.moran_i:.3f} (E[I]={r.expected_i:.4f})  z={r.z_permutation:.2f}  "
                     f"p={r.p_permutation:.3g} ({r.permutations} permutations)  n={r.n}, {r.n_knn_fallback} by {r.k_nearest} nearest")
    return "\n".join(lines)


def format_bootstrap_rho(boot: pd.DataFrame) -> str:
    """Summary of the per-commune bootstrap intervals of rho (the table itself is in the warehouse)."""
    width = (boot["ci_high"] - boot["ci_low"]).dropna()
    excludes_zero = int(((boot["ci_low"] > 0) | (boot["ci_high"] < 0)).sum())
    return (f"Day-block bootstrap of each commune's rho ({int(boot['replicates'].iloc[0])} replicates): {len(boot)} communes, "
            f"median 95% interval width {width.median():.3f} (IQR {width.quantile(0.25):.3f}-{width.quantile(0.75):.3f}), "
            f"{excludes_zero} intervals exclude 0. Per commune: table analysis_bootstrap_rho.")


def format_report(tables: dict[str, pd.DataFrame], header: str = "") -> str:
    """`header` (the data source), then every table present in `tables` (keys as analyze_all names them, with or
    without a source prefix), then what was not computed on this sample and why."""
    t = {name.removeprefix("released_"): frame for name, frame in tables.items()}
    parts = [header] if header else []
    if "correction_factor_summary" in t:
        parts.append(format_table1(t["correction_factor_summary"], t.get("cpc_range_summary")))
    if "correlations" in t:
        parts.append(format_correlations(t["correlations"], t.get("bootstrap_correlations")))
    if "dependent_correlation_tests" in t:
        parts.append(format_dependent_tests(t["dependent_correlation_tests"]))
    if "regressions" in t:
        parts.append("Table 3: OLS, both directions\n" + format_table3(t["regressions"]))
        parts.append(format_robustness(t["regressions"]))
    if "pca_explained_variance" in t and "pca_loadings" in t:
        parts.append(format_pca(t["pca_explained_variance"], t["pca_loadings"]))
    if "mixed_model" in t:
        parts.append(format_mixed(t["mixed_model"]))
    if "morans_i" in t:
        parts.append(format_morans(t["morans_i"]))
    if "bootstrap_rho" in t:
        parts.append(format_bootstrap_rho(t["bootstrap_rho"]))
    not_computed = t.get("not_computed")
    if not_computed is not None and len(not_computed):
        parts.append(format_not_computed(not_computed))
    elif "regressions" not in t:
        parts.append("Table 3 and the beyond-the-paper models need the census and election inputs (warehouse source).")
    parts.append(CAUTION)
    return "\n\n".join(parts)
