"""Beyond the paper: Moran's I of the OLS residuals over neighbouring communes, with a permutation p-value.

Neighbours share a border or a corner (queen contiguity, DuckDB spatial `ST_Intersects` on the
commune polygons of commune_boundaries, read by `loaders.commune_adjacency`), restricted to the
communes of the model's sample; a commune left without any
such neighbour gets its k nearest sample communes by centroid distance instead. Weights are
row-standardised, so I = z'Wz / z'z for the centred residuals z. Residual spatial
autocorrelation means the OLS standard errors understate the uncertainty.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from netmob_tor.analysis.sample_size import require

K_NEAREST = 4
PERMUTATIONS = 999
SEED = 20190316
COLUMNS = ["model", "direction", "n", "n_contiguity_links", "n_knn_fallback", "k_nearest", "moran_i", "expected_i",
           "permutation_mean", "permutation_sd", "z_permutation", "p_permutation", "permutations", "seed"]


def neighbour_weights(codes: Sequence[str], pairs: pd.DataFrame, centroids: pd.DataFrame, k: int = K_NEAREST) -> tuple[np.ndarray, int]:
    """Row-standardised weight matrix over `codes` (contiguity, else k nearest centroids) and the fallback count.

    Centroid distances are equirectangular (lon scaled by cos of the mean latitude): only their
    ranking matters. Every code must have a centroid.
    """
    index = {code: i for i, code in enumerate(codes)}
    n = len(codes)
    w = np.zeros((n, n))
    for a, b in zip(pairs["code_i"], pairs["code_j"]):
        if a in index and b in index and a != b:
            w[index[a], index[b]] = w[index[b], index[a]] = 1.0
    xy = centroids.set_index("commune_code").loc[list(codes), ["lon", "lat"]].to_numpy()
    scale = np.cos(np.deg2rad(xy[:, 1].mean()))
    xy = np.column_stack([xy[:, 0] * scale, xy[:, 1]])
    isolated = np.flatnonzero(w.sum(axis=1) == 0)
    for i in isolated:
        d = np.hypot(*(xy - xy[i]).T)
        d[i] = np.inf
        w[i, np.argsort(d, kind="stable")[: min(k, n - 1)]] = 1.0
    return w / w.sum(axis=1, keepdims=True), int(len(isolated))


def morans_i(values: np.ndarray, w: np.ndarray) -> float:
    """Moran's I = (n / S0) z'Wz / z'z for centred values z (S0 = sum of weights)."""
    z = np.asarray(values, float) - np.mean(values)
    return float(len(z) / w.sum() * (z @ w @ z) / (z @ z))


def permutation_test(values: np.ndarray, w: np.ndarray, permutations: int = PERMUTATIONS, seed: int = SEED) -> dict[str, float]:
    """Moran's I with a one-sided (positive autocorrelation) permutation p-value, (1 + #{I_perm >= I}) / (1 + P)."""
    z = np.asarray(values, float) - np.mean(values)
    n = len(z)
    observed = morans_i(z, w)
    rng = np.random.default_rng(seed)
    perms = np.stack([rng.permutation(z) for _ in range(permutations)])
    simulated = n / w.sum() * np.einsum("pi,ij,pj->p", perms, w, perms) / (z @ z)
    sd = simulated.std(ddof=1)
    return {
        "moran_i": observed,
        "expected_i": -1.0 / (n - 1),
        "permutation_mean": float(simulated.mean()),
        "permutation_sd": float(sd),
        "z_permutation": float((observed - simulated.mean()) / sd) if sd > 0 else float("nan"),
        "p_permutation": float((1 + np.sum(simulated >= observed)) / (1 + permutations)),
    }


def residual_morans_i(
    residuals: pd.DataFrame,
    pairs: pd.DataFrame,
    centroids: pd.DataFrame,
    model: str = "main",
    k: int = K_NEAREST,
    permutations: int = PERMUTATIONS,
    seed: int = SEED,
) -> pd.DataFrame:
    """One row per direction: Moran's I of the residuals (commune_code, direction, residual) over neighbours.

    `pairs` (code_i, code_j touching) and `centroids` (commune_code, lon, lat) cover at least the
    residuals' communes (loaders.commune_adjacency); each direction uses the pairs within its sample.
    """
    rows = []
    for direction, part in residuals.groupby("direction", sort=True):
        part = part[part["commune_code"].isin(set(centroids["commune_code"]))]
        codes = part["commune_code"].tolist()
        inside = set(codes)
        within = pairs[pairs["code_i"].isin(inside) & pairs["code_j"].isin(inside)]
        require(len(codes), 3, "Moran's I (a permutation test over neighbours)")
        w, n_fallback = neighbour_weights(codes, within, centroids, k)
        stats = permutation_test(part["residual"].to_numpy(), w, permutations, seed)
        rows.append({"model": model, "direction": direction, "n": len(codes), "n_contiguity_links": int(len(within)),
                     "n_knn_fallback": n_fallback, "k_nearest": k, **stats, "permutations": permutations, "seed": seed})
    return pd.DataFrame(rows, columns=COLUMNS)
