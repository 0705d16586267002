"""Choosing k (separation, elbow, resampling stability, segment sizes) and the final K-Means fit.

The rule for k, as the README states it:
1. Score every k in k_min..k_max: inertia, silhouette (on a seeded sample of `silhouette_sample` rows),
   Calinski-Harabasz, Davies-Bouldin and the smallest segment's share. Locate the elbow of the inertia curve
   with the kneedle method (the point farthest below the chord joining the ends of the normalised curve).
2. A k is eligible when no segment is smaller than `min_segment_share` of the customers.
3. Two segments are chosen when the customers clearly form two groups: k = 2 has a silhouette of at least
   TWO_GROUPS_SILHOUETTE (a "reasonable" structure), every k >= 3 separates under DISTINCT_SHARE of it, and
   (with stability on) every segment of the split holds up under resampling at FAIR_SEGMENT or more.
4. Otherwise the k >= 3 are considered that are eligible, separate within DISTINCT_SHARE of the best-separated
   k >= 3, and are no finer than the later of that k and the elbow (past the bend, more segments explain
   little more of the spread unless they also separate best). Their stability is measured by resampling.
5. Of those, the finest that holds up under resampling is chosen: a mean adjusted Rand index of at least
   STABLE_ARI (a "good" agreement) with every segment's mean Jaccard at least FAIR_SEGMENT. Else the most
   stable (highest mean adjusted Rand) of those whose segments all reach FAIR_SEGMENT; else 2 if its split
   holds up; else the most stable considered k, said to be rough.
6. Month to month: last period's k is kept while it is eligible, holds up at FAIR_SEGMENT, and the rule's
   choice does not beat its silhouette by more than MONTH_MARGIN (relative).

Segment ids: 0 is the largest segment, then by decreasing size; equal sizes are ordered by their centroids.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

import numpy as np
from threadpoolctl import ThreadpoolController

from reportgen.parallel.runtime import cpu_lanes, without_optional_module

# scikit-learn imports pandas, if installed, only to accept pandas inputs (0.2 s of a 4 s run; ours are NumPy
# arrays): let it see pandas as absent while it loads. Later imports of pandas are unaffected.
with without_optional_module("pandas"):
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA

from reportgen.analysis.stability import k_stabilities
from reportgen.config import ClusterConfig
from reportgen.errors import InputError
from reportgen.model import (
    FloatArray,
    IntArray,
    KCandidate,
    KSelection,
    KStability,
    PcaMap,
    Segmentation,
)

DISTINCT_SHARE = 0.90  # "distinct": a silhouette at least this share of the best-separated k >= 3
TWO_GROUPS_SILHOUETTE = 0.50  # k = 2 only when its split is at least a "reasonable" structure
STABLE_ARI = 0.80  # a k "holds up" with a mean adjusted Rand index of at least this (Steinley's "good", 2004)
FAIR_SEGMENT = 0.60  # clusterboot's "patterns worth a look": the floor for every segment of a chosen k
MONTH_MARGIN = 0.03  # another k replaces last period's only with a silhouette more than 3% higher
# Above this many rows, candidate k are scored on a seeded sample of this size; the final fit uses every row.
# 20,000 rows recover the planted groups of the synthetic million-row tables as 50,000 did, 2.5x faster.
SCORING_SAMPLE = 20_000
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


def sweep_fits(X: FloatArray, ks: list[int], cfg: ClusterConfig) -> dict[int, KMeans]:
    """Return K-Means fitted for every k, fitted side by side on the available cores."""
    # the largest k take longest: start them first so the lanes finish together
    order = sorted(ks, reverse=True)
    with ThreadPoolExecutor(max_workers=min(cpu_lanes(), len(ks))) as pool:
        fitted = pool.map(lambda k: _single_thread_fit(X, k, cfg), order)
        return dict(zip(order, fitted, strict=True))


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
    X: FloatArray, label_sets: list[IntArray], block: int = 2_000_000
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
    with ThreadPoolExecutor(max_workers=min(cpu_lanes(), len(starts))) as pool:
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
    X: FloatArray, cfg: ClusterConfig, ks: list[int], progress: Progress = _quiet
) -> tuple[tuple[KCandidate, ...], int, int, dict[int, tuple[IntArray, FloatArray]]]:
    """Return the scores of every k, the rows fitted and used for silhouettes, and full-data fits."""
    fit_idx = sample_rows(X.shape[0], SCORING_SAMPLE, cfg.random_state)
    Xf = X if fit_idx is None else X[fit_idx]
    sil_idx = sample_rows(Xf.shape[0], cfg.silhouette_sample, cfg.random_state + 1)
    fits = []
    models: dict[int, tuple[IntArray, FloatArray]] = {}
    with one_blas_thread():
        progress(f"scoring k={ks[0]}..{ks[-1]}")
        fitted = sweep_fits(Xf, ks, cfg)
        for k in ks:
            model = fitted[k]
            labels = model.labels_.astype(np.int64)
            fits.append((k, labels, float(model.inertia_)))
            models[k] = (labels, np.asarray(model.cluster_centers_, dtype=np.float64))
        Xs = Xf if sil_idx is None else Xf[sil_idx]
        progress("scoring separation (silhouette)")
        sils = silhouette_scores(
            Xs, [labels if sil_idx is None else labels[sil_idx] for _, labels, _ in fits]
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


def _silhouette(X: FloatArray, labels: IntArray, idx: IntArray | None) -> float | None:
    Xs, ls = (X, labels) if idx is None else (X[idx], labels[idx])
    return silhouette_scores(Xs, [ls])[0]


def k_selection(
    X: FloatArray, cfg: ClusterConfig, progress: Progress = _quiet, previous_k: int | None = None
) -> KSelection:
    """Score the k range and choose k by the documented rule (or take the configured k).

    `previous_k`: the k of the earlier period, kept unless another k is clearly better (MONTH_MARGIN).
    """
    n = X.shape[0]
    top = max(cfg.k_max, cfg.k or 0)
    if n <= top:
        raise InputError(f"{n} customers are too few for k up to {top}: need at least {top + 1}")
    ks = list(range(cfg.k_min, cfg.k_max + 1))
    if cfg.k is not None and cfg.k not in ks:
        ks = sorted([*ks, cfg.k])
    candidates, fitted_rows, sil_rows, fits = k_candidates(X, cfg, ks, progress)
    elbow = elbow_k([c.k for c in candidates], [c.inertia for c in candidates])
    fit_idx = sample_rows(n, SCORING_SAMPLE, cfg.random_state)
    Xf = X if fit_idx is None else X[fit_idx]
    stabilities: dict[int, KStability] = {}

    def stability(wanted: list[int]) -> dict[int, KStability]:
        missing = sorted({k for k in wanted if k not in stabilities and k in fits})
        if missing and cfg.stability_resamples > 0:
            progress(f"resampling k={', '.join(map(str, missing))} for stability")
            labels = {k: fits[k][0] for k in missing}
            with one_blas_thread():
                stabilities.update(
                    k_stabilities(Xf, labels, cfg.stability_resamples, cfg.random_state, cfg.n_init)
                )
        return stabilities

    rule = KRule(candidates, elbow, cfg.min_segment_share, cfg.stability_resamples > 0, stability)
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
    stability([chosen])
    if fitted_rows < n:
        reason += f" Candidates were scored on a random sample of {fitted_rows:,} of the {n:,} customers."
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


StabilityOf = Callable[[list[int]], dict[int, KStability]]


def _s(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _under(value: float, limit: float) -> str:
    """Return a value under a limit with enough decimals not to read as the limit (0.749 -> '0.749')."""
    text = f"{value:.2f}"
    return text if float(text) < limit else f"{value:.3f}"


def distinct_floor(silhouette: float | None) -> float:
    """Return the silhouette a k needs to count as distinct from one with this silhouette (any sign)."""
    value = silhouette or 0.0
    return value - (1.0 - DISTINCT_SHARE) * abs(value)


def holds_up(st: KStability) -> bool:
    """Return whether a fit holds up under resampling: STABLE_ARI overall, FAIR_SEGMENT for every segment."""
    return st.ari >= STABLE_ARI and min(st.jaccard) >= FAIR_SEGMENT


def elbow_clause(k: int, elbow: int | None) -> str:
    """Return where k sits against the elbow of the spread curve, as a clause."""
    if elbow is None:
        return "the spread curve has no clear bend"
    if elbow == k:
        return "the spread curve bends (the elbow) there too"
    side = "earlier" if elbow < k else "later"
    near = "close by, " if abs(elbow - k) == 1 else ""
    return f"the spread curve bends {near}{side}, at {elbow}"


@dataclass(frozen=True)
class KRule:
    """The documented rule for k, applied to scored candidates (stability is asked for as needed)."""

    candidates: tuple[KCandidate, ...]
    elbow: int | None
    min_share: float
    with_stability: bool
    stability_of: StabilityOf

    def candidate(self, k: int) -> KCandidate | None:
        """Return the scores of one k, if it was tried."""
        return next((c for c in self.candidates if c.k == k), None)

    def eligible(self, c: KCandidate) -> bool:
        """Return whether k was scored and leaves no segment under the minimum share."""
        return c.silhouette is not None and (c.smallest_share or 0.0) >= self.min_share

    def best_finer(self) -> KCandidate | None:
        """Return the best-separated eligible k of 3 or more segments."""
        finer = [c for c in self.candidates if c.k >= 3 and self.eligible(c)]
        return max(finer, key=lambda c: (c.silhouette or 0.0, -c.k)) if finer else None

    def considered(self, best: KCandidate) -> list[KCandidate]:
        """Return the eligible k >= 3 within DISTINCT_SHARE of the best and no finer than best or elbow."""
        limit = max(best.k, self.elbow if self.elbow is not None else best.k)
        floor = distinct_floor(best.silhouette)
        return [
            c
            for c in self.candidates
            if c.k >= 3 and self.eligible(c) and (c.silhouette or 0.0) >= floor and c.k <= limit
        ]

    def lost(self, c: KCandidate, best: KCandidate | None) -> str:
        """Return why a candidate was not chosen, as a clause that names its numbers."""
        if c.silhouette is None:
            return f"{c.k} segments could not be scored"
        if (c.smallest_share or 0.0) < self.min_share:
            return (
                f"{c.k} segments would leave a segment of {c.smallest_share or 0.0:.1%} of customers, "
                f"under the {self.min_share:.0%} minimum"
            )
        if best is not None and c.k >= 3 and c.silhouette < distinct_floor(best.silhouette):
            return (
                f"{c.k} segments separate less well (silhouette {c.silhouette:.2f}, under "
                f"{DISTINCT_SHARE:.0%} of {_s(best.silhouette)})"
            )
        if best is not None and self.elbow is not None and c.k > max(best.k, self.elbow):
            return f"{c.k} segments go past the elbow without separating best"
        st = self.stability_of([c.k]).get(c.k) if self.with_stability else None
        if st is not None and st.ari < STABLE_ARI:
            return (
                f"{c.k} segments are less stable under resampling (stability {_under(st.ari, STABLE_ARI)}, "
                f"under {STABLE_ARI:.2f})"
            )
        if st is not None and min(st.jaccard) < FAIR_SEGMENT:
            return (
                f"{c.k} segments do not all hold up under resampling (a segment's Jaccard "
                f"{_under(min(st.jaccard), FAIR_SEGMENT)}, under {FAIR_SEGMENT})"
            )
        return f"{c.k} segments were less stable or less distinct"

    def runner_up(self, k: int, best: KCandidate | None) -> str:
        """Return the clause on the next finer k and why it lost ('' when k is the finest tried)."""
        finer = self.candidate(k + 1)
        return "" if finer is None else f"; {self.lost(finer, best)}"

    def two_groups(self, best: KCandidate | None) -> str | None:
        """Return the reason for 2 segments when the customers clearly form two groups, else None."""
        two = self.candidate(2)
        if two is None or not self.eligible(two) or (two.silhouette or 0.0) < TWO_GROUPS_SILHOUETTE:
            return None
        if best is not None and (best.silhouette or 0.0) >= distinct_floor(two.silhouette):
            return None
        st2 = self.stability_of([2]).get(2) if self.with_stability else None
        if st2 is not None and not holds_up(st2):
            return None
        held = "" if st2 is None else f", and the split holds up under resampling (stability {st2.ari:.2f})"
        versus = "" if best is None else f", against at most {_s(best.silhouette)} for 3 or more"
        return (
            f"We chose 2 segments: the customers fall clearly into two groups "
            f"(silhouette {_s(two.silhouette)}{versus}){held}."
        )

    def choice(self) -> tuple[int, str]:
        """Return the chosen k and the one sentence that explains it."""
        tried = f"{self.candidates[0].k} to {self.candidates[-1].k} segments were tried"
        eligible = [c for c in self.candidates if self.eligible(c)]
        if not eligible:
            scored = [c for c in self.candidates if c.silhouette is not None] or list(self.candidates)
            pick = max(scored, key=lambda c: (c.smallest_share or 0.0, -c.k))
            return pick.k, (
                f"We chose {pick.k} segments: every number of segments tried ({tried.split(' segments')[0]}) "
                f"leaves a segment under the {self.min_share:.0%} minimum, and {pick.k} segments leave the "
                f"largest smallest segment ({pick.smallest_share or 0.0:.1%} of customers)."
            )
        best = self.best_finer()
        two = self.candidate(2)
        two_ok = two is not None and self.eligible(two)
        clear = self.two_groups(best)
        if clear is not None:
            return 2, clear
        if best is None:
            assert two is not None
            return (
                2,
                f"We chose 2 segments: no finer grouping leaves every segment at {self.min_share:.0%} or more of customers ({tried}).",
            )
        considered = self.considered(best)
        sil_best = _s(best.silhouette)

        def separation(pick: KCandidate) -> str:
            if pick.k == best.k:
                return f"separates best of the choices with 3 or more (silhouette {sil_best})"
            return (
                f"separates at least {DISTINCT_SHARE:.0%} as well as the best of 3 or more (silhouette "
                f"{_s(pick.silhouette)} against {sil_best} at {best.k})"
            )

        if not self.with_stability:
            pick = considered[-1]
            return pick.k, (
                f"We chose {pick.k} segments: the finest grouping that {separation(pick)}; "
                f"{elbow_clause(pick.k, self.elbow)}{self.runner_up(pick.k, best)} "
                f"(stability was not measured: clustering.stability_resamples = 0)."
            )
        # finest first, stopping at the first that holds up: coarser candidates are not resampled
        for pick in reversed(considered):
            st = self.stability_of([pick.k])[pick.k]
            if holds_up(st):
                return pick.k, (
                    f"We chose {pick.k} segments: the finest grouping that held up when the customers were "
                    f"resampled (stability {st.ari:.2f}, every segment's Jaccard {min(st.jaccard):.2f} or more) "
                    f"and that {separation(pick)}; {elbow_clause(pick.k, self.elbow)}"
                    f"{self.runner_up(pick.k, best)}."
                )
        stab = self.stability_of([c.k for c in considered])
        fair = [c for c in considered if min(stab[c.k].jaccard) >= FAIR_SEGMENT]
        if fair:
            pick = max(fair, key=lambda c: (stab[c.k].ari, c.k))
            st = stab[pick.k]
            return pick.k, (
                f"We chose {pick.k} segments: no well-separated grouping of 3 or more reached a stability of "
                f"{STABLE_ARI:.2f} when the customers were resampled, and {pick.k} segments are the most stable "
                f"of those whose segments all held up at {FAIR_SEGMENT} or more (stability {st.ari:.2f}, every "
                f"segment's Jaccard {min(st.jaccard):.2f} or more; silhouette {_s(pick.silhouette)}); "
                f"{elbow_clause(pick.k, self.elbow)}."
            )
        if two is not None and two_ok:
            st2 = self.stability_of([2])[2]
            if holds_up(st2):
                return 2, (
                    f"We chose 2 segments: no grouping of 3 or more segments held up under resampling (each "
                    f"had a segment with a Jaccard under {FAIR_SEGMENT}), while the two-way split did "
                    f"(stability {st2.ari:.2f}, silhouette {_s(two.silhouette)})."
                )
        pick = max(considered, key=lambda c: (stab[c.k].ari, c.k))
        return pick.k, (
            f"We chose {pick.k} segments, the most stable of the well-separated choices (stability "
            f"{stab[pick.k].ari:.2f}, silhouette {_s(pick.silhouette)}), but no grouping held up well when "
            f"the customers were resampled: treat the segments as rough."
        )

    def month_choice(self, previous_k: int, auto_k: int, auto_reason: str) -> tuple[int, str]:
        """Return last period's k unless the rule's choice separates clearly better (MONTH_MARGIN)."""
        said = auto_reason.removesuffix(".")
        if previous_k == auto_k:
            return auto_k, f"{said}; last period had {auto_k} segments too."
        prev, auto = self.candidate(previous_k), self.candidate(auto_k)
        if prev is None or auto is None:
            return auto_k, f"{said}; last period's {previous_k} segments are outside the range tried now."
        if not self.eligible(prev):
            return (
                auto_k,
                f"{said}; last period's {previous_k} segments no longer fit ({self.lost(prev, None)}).",
            )
        st = self.stability_of([previous_k]).get(previous_k) if self.with_stability else None
        if st is not None and min(st.jaccard) < FAIR_SEGMENT:
            return auto_k, (
                f"{said}; last period's {previous_k} segments no longer hold up under resampling (a "
                f"segment's Jaccard {min(st.jaccard):.2f}, under {FAIR_SEGMENT})."
            )
        a, b = auto.silhouette or 0.0, prev.silhouette or 0.0
        if a > b * (1.0 + MONTH_MARGIN):
            return auto_k, (
                f"{said}; this changes last period's {previous_k} segments because {auto_k} separate clearly "
                f"better now (silhouette {a:.2f} against {b:.2f}, more than {MONTH_MARGIN:.0%} higher)."
            )
        held = (
            ""
            if st is None
            else f" and every segment still holds up under resampling (stability {st.ari:.2f})"
        )
        return previous_k, (
            f"We kept last period's {previous_k} segments: the choice on this month alone, {auto_k}, does not "
            f"separate clearly better (silhouette {a:.2f} against {b:.2f}; a change needs more than "
            f"{MONTH_MARGIN:.0%}), and {previous_k} segments leave every segment at {self.min_share:.0%} of "
            f"customers or more{held}."
        )


def segmentation(
    X: FloatArray, k: int, cfg: ClusterConfig, selection: KSelection | None = None
) -> Segmentation:
    """Fit K-Means with k on every row (or reuse the scoring fit) and number segments by decreasing size."""
    fit = selection.fits.get(k) if selection is not None else None
    scored = (
        fit if fit is not None and selection is not None and selection.scored_rows == X.shape[0] else None
    )
    with one_blas_thread():
        if scored is not None:
            raw_labels, centroids = scored
        elif fit is not None:
            # Scored on a sample: refine the sample's best solution on every row (one run of Lloyd's algorithm
            # started from its centroids) instead of n_init fresh starts on the full table.
            model = KMeans(n_clusters=k, init=fit[1], n_init=1, random_state=cfg.random_state).fit(X)
            raw_labels = model.labels_.astype(np.int64)
            centroids = np.asarray(model.cluster_centers_, dtype=np.float64)
        else:
            model = fitted_kmeans(X, k, cfg)
            raw_labels = model.labels_.astype(np.int64)
            centroids = np.asarray(model.cluster_centers_, dtype=np.float64)
        sizes = np.bincount(raw_labels, minlength=k)
        order = sorted(range(k), key=lambda j: (-sizes[j], tuple(np.round(centroids[j], 12))))
        remap = np.empty(k, dtype=np.int64)
        remap[order] = np.arange(k)
        labels = remap[raw_labels]
        centroids = centroids[order]
        spread = inertia(X, centroids, labels)
        candidate = (
            next((c for c in selection.candidates if c.k == k), None)
            if scored is not None and selection
            else None
        )
        if candidate is not None:  # same rows, same partition: the scores do not depend on the numbering
            sil, ch, db = candidate.silhouette, candidate.calinski_harabasz, candidate.davies_bouldin
        else:
            sil = _silhouette(X, labels, sample_rows(X.shape[0], cfg.silhouette_sample, cfg.random_state + 1))
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
