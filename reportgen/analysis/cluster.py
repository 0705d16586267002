"""Choosing k (separation, elbow, resampling stability, segment sizes) and the final K-Means fit.

The rule for k and its reason sentence live in k_rule.py; this module scores the candidates and fits.

Segment ids: 0 is the largest segment, then by decreasing size; equal sizes are ordered by their centroids.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import replace
from functools import cache
from typing import Any

import numpy as np
from sklearn.cluster import KMeans  # the pipeline imports this module with pandas hidden (parallel.runtime)
from sklearn.decomposition import PCA
from threadpoolctl import ThreadpoolController

from reportgen.analysis.k_rule import KRule
from reportgen.analysis.preparation import nearest_segments
from reportgen.analysis.stability import k_stabilities
from reportgen.config import ClusterConfig
from reportgen.errors import InputError
from reportgen.formats import percent, thousands
from reportgen.model import (
    FloatArray,
    IntArray,
    KCandidate,
    KSelection,
    KStability,
    PcaMap,
    Segmentation,
)

# Above this many rows, candidate k are scored on a seeded sample of this size; the final fit uses every row.
# 20,000 rows recover the planted groups of the synthetic million-row tables as 50,000 did, 2.5x faster.
# The sample is chosen from the customer ids (id_sample_rows), so every engine picks the same customers.
SCORING_SAMPLE = 20_000
# Hex digits of the sha256 kept as a customer's sampling key: 60 bits, a non-negative 64-bit integer in Spark.
ID_HASH_DIGITS = 15
# Rows per block when scoring a labeling over a large table (bounds the temporary arrays to ~16 MB).
SCORE_BLOCK = 1 << 16

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


def sample_rows(n: int, size: int, seed: int) -> IntArray | None:
    """Return sorted seeded row indices of a sample, or None when every row is used (size 0 or >= n)."""
    if size <= 0 or size >= n:
        return None
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n, size=size, replace=False)).astype(np.int64)


def id_hash(customer_id: str, seed: int) -> int:
    """Return a customer's sampling key: the first 60 bits of sha256("<seed>:<id>") (Spark computes the same)."""
    digest = hashlib.sha256(f"{seed}:{customer_id}".encode()).hexdigest()
    return int(digest[:ID_HASH_DIGITS], 16)


def id_sample_rows(ids: Sequence[str] | None, n: int, size: int, seed: int) -> IntArray | None:
    """Return the sorted rows of the `size` customers with the smallest sampling keys (ties by row), or None
    when every row is used. `ids` None: the rows are their own ids ("0", "1", ...)."""
    if size <= 0 or size >= n:
        return None
    names = ids if ids is not None else [str(i) for i in range(n)]
    keys = np.fromiter((id_hash(str(c), seed) for c in names), dtype=np.int64, count=n)
    chosen = np.argsort(keys, kind="stable")[:size]  # stable: equal keys keep row order
    return np.sort(chosen).astype(np.int64)


def fitted_kmeans(X: FloatArray, k: int, cfg: ClusterConfig) -> KMeans:
    """Return K-Means fitted with the configured n_init and random_state."""
    if X.shape[0] < k:
        raise InputError(f"n_samples={X.shape[0]} should be >= n_clusters={k}.")
    return KMeans(n_clusters=k, n_init=cfg.n_init, random_state=cfg.random_state).fit(X)


def _single_thread_fit(X: FloatArray, k: int, cfg: ClusterConfig) -> KMeans:
    # One OpenMP thread per fit (the limit is per calling thread): the same sums in the same order on any
    # machine, and the sweep's fits run side by side instead (Lloyd's loop releases the GIL). On the 8,950-row
    # table a fit is no slower on one thread than on two, and the sweep takes 0.6 s instead of 1.0 s.
    with thread_pools().limit(limits=1, user_api="openmp"):
        return fitted_kmeans(X, k, cfg)


def sweep_fits(X: FloatArray, ks: list[int], cfg: ClusterConfig, lanes: int = 1) -> dict[int, KMeans]:
    """Return K-Means fitted for every k, fitted side by side on the available cores."""
    # the largest k take longest: start them first so the lanes finish together
    order = sorted(ks, reverse=True)
    with ThreadPoolExecutor(max_workers=max(1, min(lanes, len(ks)))) as pool:
        fitted = pool.map(lambda k: _single_thread_fit(X, k, cfg), order)
        return dict(zip(order, fitted, strict=True))


def resample_labels(X32: np.ndarray, k: int, rows: IntArray, seed: int, inits: int) -> IntArray:
    """Return every row's nearest centroid of K-Means fitted afresh on `rows` (one OpenMP thread)."""
    with thread_pools().limit(limits=1, user_api="openmp"):
        model = KMeans(n_clusters=k, n_init=inits, random_state=seed).fit(X32[rows])
        return np.asarray(model.predict(X32), dtype=np.int64)


def elbow_k(ks: list[int], inertias: list[float]) -> int | None:
    """Return the elbow of a decreasing inertia curve by the kneedle method, or None if it has no bend."""
    if len(ks) < 3:
        return None
    x = np.asarray(ks, dtype=float)
    y = np.asarray(inertias, dtype=float)
    if y.max() == y.min():
        return None
    xn = (x - x.min()) / (x.max() - x.min())
    yn = (y - y.min()) / (y.max() - y.min())
    gap = (1.0 - xn) - yn  # distance below the chord from (0, 1) to (1, 0)
    best = int(np.argmax(gap))
    return ks[best] if gap[best] > 1e-6 else None


def silhouette_scores(
    X: FloatArray, label_sets: list[IntArray], block: int = 2_000_000, lanes: int = 1
) -> list[float | None]:
    """Return the mean silhouette of several labelings of the same rows, sharing one pass over distances.

    Same definition as scikit-learn's silhouette_score (Euclidean; 0 for members of singleton clusters), but
    the pairwise distances are computed once, block by block in float32 (4-6x faster than float64; the mean
    moves by about 1e-6), and reduced for every labeling with one matrix product.
    """
    n = X.shape[0]
    X32 = np.ascontiguousarray(X, dtype=np.float32)
    ks = [int(labels.max()) + 1 for labels in label_sets]
    onehot = np.zeros((n, sum(ks)), dtype=np.float32)
    offsets = np.cumsum([0, *ks])
    for labels, off in zip(label_sets, offsets, strict=False):
        onehot[np.arange(n), off + labels] = 1.0
    counts = onehot.sum(axis=0, dtype=np.float64)
    sums = np.empty((n, onehot.shape[1]), dtype=np.float64)
    sq = np.einsum("ij,ij->i", X32, X32)
    step = max(1, block // max(n, 1))

    def distance_sums(start: int) -> None:  # each block writes its own rows: blocks may run in any order
        stop = min(n, start + step)
        d2 = X32[start:stop] @ X32.T
        d2 *= -2.0
        d2 += sq[start:stop, None]
        d2 += sq[None, :]
        np.maximum(d2, 0.0, out=d2)
        d2[np.arange(stop - start), np.arange(start, stop)] = 0.0
        sums[start:stop] = np.sqrt(d2, out=d2) @ onehot

    starts = range(0, n, step)
    with ThreadPoolExecutor(max_workers=max(1, min(lanes, len(starts)))) as pool:
        list(pool.map(distance_sums, starts))  # numpy releases the GIL in the products
    out: list[float | None] = []
    rows = np.arange(n)
    for labels, k, off in zip(label_sets, ks, offsets, strict=False):
        if k < 2 or k >= n:
            out.append(None)
            continue
        s_k = sums[:, off : off + k]
        c_k = counts[off : off + k]
        own = c_k[labels]
        a = s_k[rows, labels] / np.maximum(own - 1.0, 1.0)
        means = s_k / np.maximum(c_k, 1.0)
        means[rows, labels] = np.inf
        means[:, c_k == 0] = np.inf
        b = means.min(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            sil = np.where(own > 1, (b - a) / np.maximum(a, b), 0.0)
        out.append(float(np.nan_to_num(sil).mean()))
    return out


@cache
def thread_pools() -> ThreadpoolController:
    """Return the controller of the loaded OpenMP and BLAS pools (finding them takes ~3 ms: once is enough)."""
    return ThreadpoolController()


def one_blas_thread() -> AbstractContextManager[Any]:
    """Return a context that keeps BLAS (OpenBLAS) to one thread.

    The products in k-means++ seeding and the silhouette blocks are skinny; OpenBLAS's second thread gains
    little there and busy-waits between calls, which made the k sweep 2x and the silhouettes 3-10x slower in
    CPU and wall time while the other core was busy (measured on the shared 2-core machine). K-Means's own
    OpenMP threads are not affected.
    """
    limiter: AbstractContextManager[Any] = thread_pools().limit(limits=1, user_api="blas")
    return limiter


def separation_scores(
    X: FloatArray, labels: IntArray, block: int = SCORE_BLOCK
) -> tuple[float | None, float | None]:
    """Return the Calinski-Harabasz and Davies-Bouldin indices of a labeling (None for fewer than 2 groups).

    Same definitions as scikit-learn's calinski_harabasz_score and davies_bouldin_score (groups are the labels
    present; centroids are the group means), computed in one pass over the rows in blocks instead of copying
    the table once per group: values agree with scikit-learn to about 1e-9 relative.
    """
    n = X.shape[0]
    counts = np.bincount(labels)
    present = np.flatnonzero(counts)
    k = len(present)
    if k < 2 or k > n - 1:
        return None, None
    sums = np.column_stack(
        [np.bincount(labels, weights=X[:, j], minlength=len(counts)) for j in range(X.shape[1])]
    )
    size = counts[present].astype(np.float64)
    means = sums[present] / size[:, None]
    remap = np.zeros(len(counts), dtype=np.int64)
    remap[present] = np.arange(k)
    within_sq = np.zeros(k)
    within = np.zeros(k)
    for start in range(0, n, block):
        group = remap[labels[start : start + block]]
        diff = X[start : start + block] - means[group]
        d2 = np.einsum("ij,ij->i", diff, diff)
        within_sq += np.bincount(group, weights=d2, minlength=k)
        within += np.bincount(group, weights=np.sqrt(d2), minlength=k)
    between = float((size * ((means - X.mean(axis=0)) ** 2).sum(axis=1)).sum())
    total_within = float(within_sq.sum())
    ch = 1.0 if total_within == 0.0 else between * (n - k) / (total_within * (k - 1.0))
    spread = within / size
    gaps = np.sqrt(((means[:, None, :] - means[None, :, :]) ** 2).sum(axis=2))
    if np.allclose(spread, 0) or np.allclose(gaps, 0):
        return float(ch), 0.0
    gaps[gaps == 0] = np.inf
    db = float(np.mean(np.max((spread[:, None] + spread[None, :]) / gaps, axis=1)))
    return float(ch), db


def inertia(X: FloatArray, centroids: FloatArray, labels: IntArray, block: int = SCORE_BLOCK) -> float:
    """Return the sum of squared distances from each row to its centroid, in blocks of rows."""
    total = 0.0
    for start in range(0, X.shape[0], block):
        diff = X[start : start + block] - centroids[labels[start : start + block]]
        total += float((diff**2).sum())
    return total


def k_candidates(
    X: FloatArray,
    cfg: ClusterConfig,
    ks: list[int],
    progress: Progress = _quiet,
    lanes: int = 1,
    fit_idx: IntArray | None = None,
) -> tuple[tuple[KCandidate, ...], int, int, dict[int, tuple[IntArray, FloatArray]]]:
    """Return the scores of every k, the rows fitted and used for silhouettes, and full-data fits.

    `fit_idx`: the rows of X the candidates are fitted on (None: every row).
    """
    Xf = X if fit_idx is None else X[fit_idx]
    sil_idx = sample_rows(Xf.shape[0], cfg.silhouette_sample, cfg.random_state + 1)
    fits = []
    models: dict[int, tuple[IntArray, FloatArray]] = {}
    with one_blas_thread():
        progress(f"scoring k={ks[0]}..{ks[-1]}")
        fitted = sweep_fits(Xf, ks, cfg, lanes)
        for k in ks:
            model = fitted[k]
            labels = model.labels_.astype(np.int64)
            fits.append((k, labels, float(model.inertia_)))
            models[k] = (labels, np.asarray(model.cluster_centers_, dtype=np.float64))
        Xs = Xf if sil_idx is None else Xf[sil_idx]
        progress("scoring separation (silhouette)")
        sils = silhouette_scores(
            Xs, [labels if sil_idx is None else labels[sil_idx] for _, labels, _ in fits], lanes=lanes
        )
        separations = [separation_scores(Xf, labels) for _, labels, _ in fits]
    out = tuple(
        KCandidate(
            k=k,
            inertia=spread,
            silhouette=sil,
            calinski_harabasz=ch,
            davies_bouldin=db,
            smallest_share=float(np.bincount(labels, minlength=k).min()) / labels.shape[0],
        )
        for (k, labels, spread), sil, (ch, db) in zip(fits, sils, separations, strict=True)
    )
    return out, Xf.shape[0], Xs.shape[0], models


def _silhouette(X: FloatArray, labels: IntArray, idx: IntArray | None, lanes: int = 1) -> float | None:
    Xs, ls = (X, labels) if idx is None else (X[idx], labels[idx])
    return silhouette_scores(Xs, [ls], lanes=lanes)[0]


def k_selection(
    X: FloatArray,
    cfg: ClusterConfig,
    progress: Progress = _quiet,
    lanes: int = 1,
    previous_k: int | None = None,
    locale: str | None = None,
    sample: IntArray | None = None,
) -> KSelection:
    """Score the k range and choose k by the documented rule (or take the configured k), on `lanes` threads.

    `previous_k`: the k of the earlier period, kept unless another k is clearly better (MONTH_MARGIN).
    `locale`: the report's, for the numbers in the reason sentence.
    `sample`: the rows the candidates are scored on when X has more than SCORING_SAMPLE rows (see
    id_sample_rows; None: chosen with the rows as their own ids).
    """
    n = X.shape[0]
    top = max(cfg.k_max, cfg.k or 0)
    if n <= top:
        raise InputError(f"{n} customers are too few for k up to {top}: need at least {top + 1}")
    ks = list(range(cfg.k_min, cfg.k_max + 1))
    if cfg.k is not None and cfg.k not in ks:
        ks = sorted([*ks, cfg.k])
    fit_idx = sample if sample is not None else id_sample_rows(None, n, SCORING_SAMPLE, cfg.random_state)
    if fit_idx is not None and len(fit_idx) >= n:
        fit_idx = None
    candidates, fitted_rows, sil_rows, fits = k_candidates(X, cfg, ks, progress, lanes, fit_idx)
    elbow = elbow_k([c.k for c in candidates], [c.inertia for c in candidates])
    Xf = X if fit_idx is None else X[fit_idx]
    stabilities: dict[int, KStability] = {}

    def stability(wanted: list[int]) -> dict[int, KStability]:
        missing = sorted({k for k in wanted if k not in stabilities and k in fits})
        if missing and cfg.stability_resamples > 0:
            progress(f"resampling k={', '.join(map(str, missing))} for stability")
            labels = {k: fits[k][0] for k in missing}
            with one_blas_thread():
                stabilities.update(
                    k_stabilities(
                        Xf,
                        labels,
                        cfg.stability_resamples,
                        cfg.random_state,
                        resample_labels,
                        cfg.n_init,
                        lanes,
                    )
                )
        return stabilities

    rule = KRule(
        candidates, elbow, cfg.min_segment_share, cfg.stability_resamples > 0, stability, locale, customers=n
    )
    auto_k, auto_reason = rule.choice()
    if previous_k is not None and cfg.k is None:  # a fixed k needs no continuity
        auto_k, auto_reason = rule.month_choice(previous_k, auto_k, auto_reason)
    if cfg.k is None:
        method, chosen, reason = "auto", auto_k, auto_reason
    else:
        method, chosen = "fixed", cfg.k
        reason = (
            f"The number of segments was fixed at {cfg.k} by the configuration or the --k option; "
            f"left to the data, the rule would have chosen {auto_k}."
        )
        fixed = next(c for c in candidates if c.k == cfg.k)
        if fixed.smallest_share is not None and fixed.smallest_share < cfg.min_segment_share:
            floor_digits = 0 if round(cfg.min_segment_share * 100, 6).is_integer() else 1
            reason += (
                f" With {cfg.k}, the smallest segment holds {percent(fixed.smallest_share, 1, locale)} of the "
                f"customers{' scored' if fitted_rows < n else ''}, under the {percent(cfg.min_segment_share, floor_digits, locale)} the rule requires of every "
                "segment: plan for the smallest ones with care."
            )
    stability([chosen])
    if fitted_rows < n:
        reason += (
            f" Candidates were scored on a random sample of {thousands(fitted_rows, locale)} of the "
            f"{thousands(n, locale)} customers."
        )
    scored = tuple(
        replace(c, stability=stabilities[c.k].ari if c.k in stabilities else None) for c in candidates
    )
    return KSelection(
        method=method,
        chosen_k=chosen,
        reason=reason,
        candidates=scored,
        elbow_k=elbow,
        scored_rows=fitted_rows,
        silhouette_rows=sil_rows,
        sampled=fitted_rows < n or sil_rows < fitted_rows,
        previous_k=previous_k,
        stabilities=dict(sorted(stabilities.items())),
        fits=fits,
    )


def segmentation(
    X: FloatArray, k: int, cfg: ClusterConfig, selection: KSelection | None = None, lanes: int = 1
) -> Segmentation:
    """Fit K-Means with k on every row (or reuse the scoring fit) and number segments by decreasing size."""
    fit = selection.fits.get(k) if selection is not None else None
    scored = (
        fit if fit is not None and selection is not None and selection.scored_rows == X.shape[0] else None
    )
    with one_blas_thread():
        if scored is not None:
            fitted_labels, centroids = scored
        elif fit is not None:
            # Scored on a sample: refine the sample's best solution on every row (one run of Lloyd's algorithm
            # started from its centroids) instead of n_init fresh starts on the full table.
            model = KMeans(n_clusters=k, init=fit[1], n_init=1, random_state=cfg.random_state).fit(X)
            fitted_labels = model.labels_.astype(np.int64)
            centroids = np.asarray(model.cluster_centers_, dtype=np.float64)
        else:
            model = fitted_kmeans(X, k, cfg)
            fitted_labels = model.labels_.astype(np.int64)
            centroids = np.asarray(model.cluster_centers_, dtype=np.float64)
        # Every customer's segment is its nearest final centroid by the one assignment function that
        # `reportgen assign` and the Spark engine use too, so they all agree. scikit-learn's labels_ come from
        # a matrix-product distance and can differ from it only on a tie at float precision.
        raw_labels = nearest_segments(X, centroids)
    same = scored is not None and np.array_equal(raw_labels, fitted_labels)
    return numbered_segmentation(X, raw_labels, centroids, cfg, selection, lanes, same)


def numbered_segmentation(
    X: FloatArray,
    raw_labels: IntArray,
    centroids: FloatArray,
    cfg: ClusterConfig,
    selection: KSelection | None = None,
    lanes: int = 1,
    scored: bool = False,
) -> Segmentation:
    """Return the segmentation of a fit (label j = centroid j) with segments numbered by decreasing size.

    `selection`: the k scoring; its fit of this k is the one refined (label j started from its centroid j).
    `scored`: the labels are the scoring fit's own partition of every row (its scores are reused).
    """
    k = centroids.shape[0]
    fit = selection.fits.get(k) if selection is not None else None
    with one_blas_thread():
        sizes = np.bincount(raw_labels, minlength=k)
        order = sorted(range(k), key=lambda j: (-sizes[j], tuple(np.round(centroids[j], 12))))
        remap = np.empty(k, dtype=np.int64)
        remap[order] = np.arange(k)
        labels = remap[raw_labels]
        centroids = centroids[order]
        spread = inertia(X, centroids, labels)
        candidate = (
            next((c for c in selection.candidates if c.k == k), None) if scored and selection else None
        )
        if candidate is not None:  # same rows, same partition: the scores do not depend on the numbering
            sil, ch, db = candidate.silhouette, candidate.calinski_harabasz, candidate.davies_bouldin
        else:
            sil = _silhouette(
                X, labels, sample_rows(X.shape[0], cfg.silhouette_sample, cfg.random_state + 1), lanes
            )
            ch, db = separation_scores(X, labels)
    # the scoring fit's label j is the refined fit's label j (it starts from centroid j): its resampling
    # stability carries over to the segment it became
    measured = selection.stabilities.get(k) if selection is not None and fit is not None else None
    return Segmentation(
        labels=labels,
        centroids=centroids,
        k=k,
        inertia=spread,
        silhouette=sil,
        calinski_harabasz=ch,
        davies_bouldin=db,
        stability=() if measured is None else tuple(measured.jaccard[j] for j in order),
    )


def segment_map(X: FloatArray, labels: IntArray, used: tuple[str, ...], seed: int) -> PcaMap:
    """Return the 2-D PCA projection of every customer, with explained variance and loadings."""
    n_comp = min(2, X.shape[1])
    pca = PCA(n_components=n_comp, svd_solver="covariance_eigh", random_state=seed)
    coords = pca.fit_transform(X)
    if n_comp == 1:
        coords = np.column_stack([coords[:, 0], np.zeros(X.shape[0])])
    ratio = [float(v) for v in pca.explained_variance_ratio_] + [0.0]
    components = np.vstack([pca.components_, np.zeros((2 - n_comp, X.shape[1]))])
    return PcaMap(
        x=np.ascontiguousarray(coords[:, 0]),
        y=np.ascontiguousarray(coords[:, 1]),
        labels=labels,
        explained_variance=(ratio[0], ratio[1]),
        loadings={c: (float(components[0, i]), float(components[1, i])) for i, c in enumerate(used)},
    )
