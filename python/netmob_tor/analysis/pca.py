"""Google Trends PCA (step 9): principal components of regional search popularity, mapped to departments.

The input has one row per pre-2015 region and one column per search-term column of the raw export.
As the study's code did, a fixed list of columns is excluded first (duplicated `_y` export columns,
the misspellings `phtc`/`psthc`, `sexe mineur`/`sex mineur`), the `_x` suffix is dropped, all-zero
terms are dropped, every term is standardised with the population standard deviation (ddof 0,
scikit-learn's StandardScaler, which reproduces the released PC1-PC3 exactly) and the first three
components are kept. Region-level search popularity says nothing about any person.

Orientation. A component's sign is arbitrary; the released components (gtrends_dep.csv) are the
reference, so each component is oriented by a fixed anchor term whose loading sign is stated in
`STUDY_ORIENTATION`:

- PC1: the loading on "jeune porno" is negative (release: -0.384, the largest |loading| of PC1);
- PC2: the loading on "porno mineur" is negative (release: -0.411, the largest of PC2);
- PC3: the loading on "video porno ado" is positive (release: +0.456, the largest of PC3).

With it PC1-PC3 equal the released columns sign for sign (Île-de-France PC1 = +5.27), and so
does the sign of Table 3's PC1 coefficient. On the release the rule coincides with the one the
authors' scikit-learn PCA applied implicitly (`svd_flip` on the scores: the region with the
largest |score| scores positive: Île-de-France on PC1, Corsica on PC2, Nord-Pas-de-Calais on
PC3), but unlike that rule it does not depend on which region happens to be extreme. A component
with no anchor (beyond PC3), or whose anchor term is absent or has a loading of ~0, falls back to
"the largest |loading| is positive".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from netmob_tor.analysis.sample_size import NotComputed
from netmob_tor.paths import seeds_dir

REGION = "region_name"
# Columns the study's code (5_gtrends.ipynb) dropped before the PCA.
STUDY_EXCLUDED_TERMS = ("phtc", "psthc", "porno jeune ado_y", "video porno ado_y", "sexe mineur", "sex mineur")
N_COMPONENTS = 3
# Sign convention reproducing the released PC1-PC3: component -> (anchor term, sign of its loading).
STUDY_ORIENTATION: dict[str, tuple[str, int]] = {
    "PC1": ("jeune porno", -1),
    "PC2": ("porno mineur", -1),
    "PC3": ("video porno ado", +1),
}
# An anchor loading smaller than this in absolute value is treated as undetermined (fallback rule).
ANCHOR_TOLERANCE = 1e-6


def read_gtrends_csv(path: Path) -> pd.DataFrame:
    """The raw export (`;`-separated, one column per term) as region_name + term columns."""
    raw = pd.read_csv(path, sep=";", dtype={"code_reg": str})
    raw = raw.rename(columns={"geoName": REGION}).drop(columns=["code_reg"])
    raw[REGION] = raw[REGION].str.strip()
    return raw


def wide_search_terms(long: pd.DataFrame) -> pd.DataFrame:
    """region_search_trends (long: region_name, search_term_column, popularity) back to region_name + one column per raw term column."""
    wide = long.pivot(index=REGION, columns="search_term_column", values="popularity")
    wide.columns.name = None
    return wide.reset_index()


def prepare_terms(wide: pd.DataFrame, excluded: Sequence[str] = STUDY_EXCLUDED_TERMS) -> pd.DataFrame:
    """Region-indexed matrix of the terms kept: exclusions removed, `_x` suffix dropped, all-zero terms dropped, columns sorted."""
    terms = wide.set_index(REGION).drop(columns=[c for c in excluded if c in wide.columns])
    terms.columns = [c[:-2] if c.endswith("_x") else c for c in terms.columns]
    if terms.columns.duplicated().any():
        raise ValueError(f"duplicated search terms after dropping suffixes: {terms.columns[terms.columns.duplicated()].tolist()}")
    terms = terms.astype(float)
    terms = terms.loc[:, (terms != 0).any(axis=0)]
    return terms[sorted(terms.columns)]


def orient_components(
    vt: np.ndarray,
    terms: Sequence[str],
    orientation: Mapping[str, tuple[str, int]] = STUDY_ORIENTATION,
) -> np.ndarray:
    """Rows of `vt` (components x terms) with each sign fixed by `orientation` (see the module docstring).

    Component i (named PC{i+1}) is flipped unless its loading on the anchor term has the stated
    sign. Without a usable anchor the largest absolute loading (first of near-ties) is made
    positive. Both rules depend on term names, not on column order.
    """
    out = np.array(vt, dtype=float, copy=True)
    position = {term: j for j, term in enumerate(terms)}
    for i in range(out.shape[0]):
        anchor = orientation.get(f"PC{i + 1}")
        j = position.get(anchor[0]) if anchor else None
        if j is not None and abs(out[i, j]) > ANCHOR_TOLERANCE:
            flip = np.sign(out[i, j]) != np.sign(anchor[1])
        else:
            top = np.argmax(np.abs(out[i]) - 1e-12 * np.arange(out.shape[1]))  # first of (near-)ties
            flip = out[i, top] < 0
        if flip:
            out[i] = -out[i]
    return out


def check_pca(terms: pd.DataFrame, n_components: int = N_COMPONENTS) -> None:
    """NotComputed unless there are more regions than components, as many non-zero terms, and no constant term.

    n regions give at most n - 1 components once the terms are centred, so PC3 needs 4 regions.
    """
    n_regions, n_terms = terms.shape
    what = f"the Google Trends PCA ({n_components} components)"
    if n_regions <= n_components:
        raise NotComputed(what, n_regions, n_components + 1, detail=f"{what} needs n >= {n_components + 1} regions with search data")
    if n_terms < n_components:
        raise NotComputed(what, n_terms, n_components, detail=f"{what} needs n >= {n_components} search terms that are not zero everywhere")
    constant = [c for c in terms.columns if terms[c].nunique() < 2]
    if constant:
        raise NotComputed(what, n_regions, n_components + 1,
                          detail=f"term(s) {', '.join(constant)} take one value in all {n_regions} regions: they cannot be standardised")


def trends_pca(
    wide: pd.DataFrame,
    n_components: int = N_COMPONENTS,
    excluded: Sequence[str] = STUDY_EXCLUDED_TERMS,
    ddof: int = 0,
    orientation: Mapping[str, tuple[str, int]] = STUDY_ORIENTATION,
) -> dict[str, pd.DataFrame]:
    """PCA of standardised terms: {'loadings', 'explained_variance', 'region_scores'}.

    Loadings are unit eigenvectors of the correlation matrix (one row per component and term),
    each component oriented by `orient_components` (default: the released signs, via the anchor
    terms of `STUDY_ORIENTATION`); the result is independent of the order of the term columns.
    Scores are the standardised data times the loadings (scikit-learn's `PCA.transform`).
    """
    terms = prepare_terms(wide, excluded)
    check_pca(terms, n_components)
    x = terms.to_numpy()
    sd = x.std(axis=0, ddof=ddof)
    z = (x - x.mean(axis=0)) / sd
    _, singular, vt = np.linalg.svd(z, full_matrices=False)
    vt = orient_components(vt[:n_components], list(terms.columns), orientation)
    names = [f"PC{i + 1}" for i in range(vt.shape[0])]
    scores = pd.DataFrame(z @ vt.T, columns=names)
    scores.insert(0, REGION, terms.index.to_numpy())
    eigen = singular**2 / (len(z) - 1)
    explained = pd.DataFrame(
        {
            "component": names,
            "eigenvalue": eigen[: len(names)],
            "explained_variance_ratio": (singular**2 / np.sum(singular**2))[: len(names)],
        }
    )
    explained["cumulative_ratio"] = explained["explained_variance_ratio"].cumsum()
    explained["n_terms"] = terms.shape[1]
    explained["n_regions"] = terms.shape[0]
    loadings = pd.DataFrame(vt.T, index=terms.columns, columns=names).rename_axis("search_term").reset_index()
    loadings = loadings.melt(id_vars="search_term", var_name="component", value_name="loading")
    return {
        "loadings": loadings[["component", "search_term", "loading"]],
        "explained_variance": explained,
        "region_scores": scores,
    }


def load_old_regions(path: Path | None = None) -> pd.DataFrame:
    """The seed old_regions.csv: department_code -> old_region_name (pre-2015 region, Google's spelling)."""
    return pd.read_csv(path or seeds_dir() / "old_regions.csv", dtype=str)


def department_scores(region_scores: pd.DataFrame, old_regions: pd.DataFrame) -> pd.DataFrame:
    """One row per department whose old region has scores: department_code, old_region_name, PC1...PCk."""
    merged = old_regions.merge(region_scores, left_on="old_region_name", right_on=REGION, how="inner")
    return merged.drop(columns=[REGION, "region_code"]).sort_values("department_code").reset_index(drop=True)
