"""Each statistic says what it needs when the sample is too small (NotComputed: 'not computed: n = 3 (...)'),
instead of dividing by zero; at the threshold it computes. Hand-made frames, thresholds worked out from the formulas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from netmob_tor.analysis.correlations import validation_correlations
from netmob_tor.analysis.dependent_correlations import dependent_correlation_tests, steiger_z, study_t, williams_t
from netmob_tor.analysis.pca import trends_pca
from netmob_tor.analysis.regressions import POI, SV, ModelSpec, table3
from netmob_tor.analysis.sample_size import NotComputed


@pytest.mark.parametrize("test", [williams_t, steiger_z, study_t])
def test_dependent_tests_need_four(test) -> None:
    """Each divides by n - 3: n = 3 is not computed (the issue's ZeroDivisionError), n = 4 is."""
    with pytest.raises(NotComputed, match=r"^not computed: n = 3 \(.*needs n >= 4 communes\)$"):
        test(0.3, 0.2, 0.5, 3)
    assert np.isfinite(test(0.3, 0.2, 0.5, 4)[0])


def test_dependent_table_names_its_sample() -> None:
    frame = pd.DataFrame({"y": [1.0, 2.0, 3.0], "a": [1.0, 3.0, 2.0], "b": [3.0, 1.0, 2.0]})
    with pytest.raises(NotComputed) as caught:
        dependent_correlation_tests(frame, "y", "a", ["b"])
    assert caught.value.n == 3 and caught.value.minimum == 4 and "need n >= 4 communes with y, a and b" in caught.value.reason


def test_correlations_keep_the_rows_they_can() -> None:
    """Per predictor: n = 2 and a constant predictor are not computed (reason in `note`); n = 3 is, rho by hand."""
    frame = pd.DataFrame({"y": [1.0, 2.0, 3.0], "three": [2.0, 1.0, 3.0], "two": [1.0, np.nan, 2.0], "flat": [5.0, 5.0, 5.0]})
    out = validation_correlations(frame, "y", ["three", "two", "flat"]).set_index("predictor")
    assert out.loc["three", "rho"] == pytest.approx(1 - 6 * (1 + 1 + 0) / (3 * 8)) and out.loc["three", "note"] == ""
    assert np.isnan(out.loc["two", "rho"]) and out.loc["two", "note"].startswith("not computed: n = 2 (")
    assert np.isnan(out.loc["flat", "rho"]) and "flat takes one value on all 3 communes" in out.loc["flat", "note"]


def test_table3_logs_the_models_it_skips() -> None:
    """A model needs more complete cases than coefficients (2 controls + key + intercept = 4: n >= 5)."""
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"commune_code": [f"{i:05d}" for i in range(5)], "c1": rng.normal(size=5), "c2": rng.normal(size=5),
                          SV: rng.gamma(2.0, size=5), "log_cpc_per_1000": rng.normal(size=5)})
    frame[list(POI)] = 0.0
    skipped: list = []
    out = table3(frame, [ModelSpec("main", controls=("c1", "c2")), ModelSpec("small", controls=("c1", "c2"), drop_zero_sv=True)], skipped)
    assert set(out["model"]) == {"main", "small"} and not skipped
    skipped = []
    out = table3(frame.iloc[:4], [ModelSpec("main", controls=("c1", "c2"))], skipped)
    assert out.empty and skipped[0][0] == "main"
    assert skipped[0][1].reason == ("not computed: n = 4 (Table 3 model main has 4 coefficients and needs n >= 5 communes "
                                    "with the outcome, the estimate and every control)")


def test_pca_needs_more_regions_than_components() -> None:
    wide = pd.DataFrame({"region_name": list("ABC"), "t1": [1.0, 2.0, 4.0], "t2": [3.0, 1.0, 2.0], "t3": [1.0, 5.0, 2.0]})
    with pytest.raises(NotComputed, match=r"n = 3 \(the Google Trends PCA \(3 components\) needs n >= 4 regions"):
        trends_pca(wide, excluded=())
    four = pd.concat([wide, pd.DataFrame({"region_name": ["D"], "t1": [0.5], "t2": [2.5], "t3": [4.0]})], ignore_index=True)
    assert len(trends_pca(four, excluded=())["region_scores"]) == 4
