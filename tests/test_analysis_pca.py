"""Google Trends PCA (step 9): reproduces the released PC1-PC3, and behaves as a PCA should."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from netmob_tor.analysis.pca import (
    REGION,
    STUDY_ORIENTATION,
    department_scores,
    load_old_regions,
    orient_components,
    read_gtrends_csv,
    trends_pca,
)
from netmob_tor.paths import reference_dir

RELEASE = reference_dir() / "study_release"


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    """The real export the study analysed."""
    return read_gtrends_csv(RELEASE / "intial_anaysis_gtrends.csv")


@pytest.fixture(scope="module")
def released_departments() -> pd.DataFrame:
    """The authors' department table after their PCA."""
    out = pd.read_csv(RELEASE / "gtrends_dep.csv", sep=";", dtype={"code_dep": str})
    out["department_code"] = out["code_dep"].str.zfill(2)
    return out


def max_gap_up_to_sign(ours: np.ndarray, theirs: np.ndarray) -> float:
    """Largest absolute difference after aligning the sign of the whole component."""
    return float(min(np.max(np.abs(ours - theirs)), np.max(np.abs(ours + theirs))))


def assert_released_signs(scores: pd.DataFrame, released_departments: pd.DataFrame) -> None:
    """PC1-PC3 equal the released columns per department, sign included (not only up to sign)."""
    merged = released_departments.merge(scores, on="department_code", suffixes=("_released", ""))
    assert len(merged) == len(released_departments) == 30
    for pc in ("PC1", "PC2", "PC3"):
        gap = np.abs(merged[pc].to_numpy() - merged[f"{pc}_released"].to_numpy())
        assert gap.max() < 1e-9, (pc, merged.loc[gap.argmax(), ["department_code", pc, f"{pc}_released"]].tolist())


def test_reproduces_released_components_up_to_sign(raw: pd.DataFrame, released_departments: pd.DataFrame) -> None:
    scores = department_scores(trends_pca(raw)["region_scores"], load_old_regions())
    merged = released_departments.merge(scores, on="department_code", suffixes=("_released", ""))
    assert len(merged) == len(released_departments) == 30
    for pc in ("PC1", "PC2", "PC3"):
        assert max_gap_up_to_sign(merged[pc].to_numpy(), merged[f"{pc}_released"].to_numpy()) < 1e-9, pc


def test_reproduces_released_components_sign_exact(raw: pd.DataFrame, released_departments: pd.DataFrame) -> None:
    """The anchor-term orientation gives the released signs: Île-de-France PC1 is +5.27, as in gtrends_dep.csv."""
    scores = department_scores(trends_pca(raw)["region_scores"], load_old_regions())
    assert_released_signs(scores, released_departments)
    paris = scores.set_index("department_code").loc["75"]
    assert round(paris["PC1"], 2) == 5.27 and round(paris["PC2"], 2) == -2.96 and round(paris["PC3"], 2) == 1.12


def test_orientation_anchors_are_stable(raw: pd.DataFrame) -> None:
    """Each anchor has the stated sign and is its component's largest |loading|, far from 0, so the rule cannot flip on noise."""
    wide = trends_pca(raw)["loadings"].pivot(index="search_term", columns="component", values="loading")
    assert list(STUDY_ORIENTATION) == ["PC1", "PC2", "PC3"]
    for pc, (term, sign) in STUDY_ORIENTATION.items():
        assert np.sign(wide.loc[term, pc]) == sign, pc
        assert abs(wide.loc[term, pc]) > 0.35, pc
        assert np.isclose(abs(wide.loc[term, pc]), wide[pc].abs().max()), pc


def test_orientation_matches_scikit_learn_score_based_flip(raw: pd.DataFrame) -> None:
    """On the release the anchors agree with what the authors' scikit-learn did: largest-|score| region positive."""
    scores = trends_pca(raw)["region_scores"].set_index(REGION)
    for pc in ("PC1", "PC2", "PC3"):
        extreme = scores[pc].abs().idxmax()
        assert scores.loc[extreme, pc] > 0, (pc, extreme)
    assert {pc: scores[pc].abs().idxmax() for pc in ("PC1", "PC2", "PC3")} == {
        "PC1": "Île-de-France", "PC2": "Corsica", "PC3": "Nord-Pas-de-Calais"}


def test_orient_components_rule_and_fallback() -> None:
    """Anchor sign enforced whatever the input sign; without a usable anchor, the largest |loading| is made positive."""
    terms = ["a", "b", "c"]
    vt = np.array([[0.6, -0.8, 0.0], [0.8, 0.6, 0.0], [0.0, 0.0, -1.0], [0.0, 0.0, 1.0]])
    orientation = {"PC1": ("a", -1), "PC2": ("b", 1), "PC3": ("missing term", 1)}
    for flipped in (vt, -vt):
        out = orient_components(flipped, terms, orientation)
        np.testing.assert_array_equal(out[0], [-0.6, 0.8, 0.0])  # a negative
        np.testing.assert_array_equal(out[1], [0.8, 0.6, 0.0])  # b positive
        np.testing.assert_array_equal(out[2], [0.0, 0.0, 1.0])  # fallback: largest |loading| positive
        np.testing.assert_array_equal(out[3], [0.0, 0.0, 1.0])  # PC4 has no anchor: fallback
    zero_anchor = orient_components(np.array([[0.0, -1.0, 0.0]]), terms, {"PC1": ("a", 1)})
    np.testing.assert_array_equal(zero_anchor, [[0.0, 1.0, 0.0]])


def test_warehouse_path_has_the_released_orientation(warehouse: duckdb.DuckDBPyConnection, released_departments: pd.DataFrame) -> None:
    """analyze_all on the marts reads region_search_trends (search_trends_for) and orients it by the same rule: released signs."""
    from netmob_tor.analysis.run import search_trends_for

    scores = department_scores(trends_pca(search_trends_for(warehouse, "warehouse"))["region_scores"], load_old_regions())
    assert_released_signs(scores, released_departments)
    paper = department_scores(trends_pca(search_trends_for(warehouse, "released"))["region_scores"], load_old_regions())
    assert_released_signs(paper, released_departments)


def test_population_sd_is_what_reproduces_the_release(raw: pd.DataFrame, released_departments: pd.DataFrame) -> None:
    """ddof 1 (R's scale) would give visibly different scores: the authors' StandardScaler used ddof 0."""
    scores = department_scores(trends_pca(raw, ddof=1)["region_scores"], load_old_regions())
    merged = released_departments.merge(scores, on="department_code", suffixes=("_released", ""))
    assert max_gap_up_to_sign(merged["PC1"].to_numpy(), merged["PC1_released"].to_numpy()) > 0.05


def test_invariant_to_term_order(raw: pd.DataFrame) -> None:
    rng = np.random.default_rng(7)
    terms = [c for c in raw.columns if c != REGION]
    shuffled = raw[[REGION, *rng.permutation(terms)]]
    a, b = trends_pca(raw), trends_pca(shuffled)
    pd.testing.assert_frame_equal(a["region_scores"], b["region_scores"], atol=1e-10, rtol=0)
    pd.testing.assert_frame_equal(a["loadings"], b["loadings"], atol=1e-10, rtol=0)


def test_all_zero_terms_dropped(raw: pd.DataFrame) -> None:
    result = trends_pca(raw)
    kept = set(result["loadings"]["search_term"])
    zero = [c for c in raw.columns if c != REGION and (raw[c] == 0).all()]
    assert zero and not kept & {z.removesuffix("_x") for z in zero}
    assert len(kept) == 14 == int(result["explained_variance"]["n_terms"].iloc[0])
    padded = raw.assign(**{"extra all-zero term": 0})
    pd.testing.assert_frame_equal(trends_pca(padded)["region_scores"], result["region_scores"])


def test_loadings_orthonormal_and_variance_ordered(raw: pd.DataFrame) -> None:
    result = trends_pca(raw)
    v = result["loadings"].pivot(index="search_term", columns="component", values="loading").to_numpy()
    np.testing.assert_allclose(v.T @ v, np.eye(3), atol=1e-12)
    ratio = result["explained_variance"]["explained_variance_ratio"].to_numpy()
    assert np.all(np.diff(ratio) <= 0) and 0 < ratio.sum() <= 1
    scores = result["region_scores"][["PC1", "PC2", "PC3"]].to_numpy()
    np.testing.assert_allclose(scores.mean(axis=0), 0, atol=1e-12)
    cov = np.cov(scores, rowvar=False)
    np.testing.assert_allclose(cov - np.diag(np.diag(cov)), 0, atol=1e-10)  # uncorrelated scores


def test_old_regions_seed_matches_release_and_covers_study(raw: pd.DataFrame, released_departments: pd.DataFrame) -> None:
    seed = load_old_regions()
    assert seed["department_code"].is_unique and len(seed) == 96
    merged = released_departments.merge(seed, on="department_code", how="left")
    assert (merged["geoName"] == merged["old_region_name"]).all()
    assert set(seed["old_region_name"]) == set(raw[REGION])
    export = pd.read_csv(RELEASE / "intial_anaysis_gtrends.csv", sep=";", dtype={"code_reg": str})
    codes = seed.drop_duplicates("old_region_name").set_index("old_region_name")["region_code"]
    assert (export.set_index("geoName")["code_reg"] == codes.reindex(export["geoName"]).to_numpy()).all()
    admin = pd.read_csv(reference_dir() / "admin" / "study_communes_admin.csv", dtype=str)
    assert set(admin["department"]) <= set(seed["department_code"])
