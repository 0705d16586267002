"""Resampling stability of a K-Means fit: how much of it survives when the customers are resampled.

For a candidate k, each of `stability_resamples` seeded resamples takes 80% of the scored rows without
replacement, fits K-Means afresh on them (k-means++ starts of its own, never the full fit's centroids, which
would hide instability) and assigns every scored row to the nearest resample centroid. Two readings:

- per k, the mean adjusted Rand index between the full fit's labels and each resample's (1 = the same
  partition every time; about 0 = no better than chance);
- per segment, the mean Jaccard similarity between the segment and its best-matching resample cluster,
  read as Hennig's fpc::clusterboot does (2007): >= 0.75 stable, 0.6-0.75 patterns worth a look, < 0.5
  dissolved.

Speed: resample fits use STABILITY_INITS k-means++ starts instead of n_init on large tables, more on small
ones (rows x starts at most STABILITY_BUDGET, so a small table costs no more than a large one), in float32,
one OpenMP thread each, side by side on the available cores as the k sweep does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from reportgen.model import (
    FloatArray,
    IntArray,
    KStability,
    SegmentTrust,
    Trust,
    stability_reading,
    structure_reading,
)

Refit = Callable[[np.ndarray, int, IntArray, int, int], IntArray]
RESAMPLE_SHARE = 0.8
STABILITY_INITS = 2  # k-means++ starts per resample fit on large tables
# rows x starts per resample fit: small tables get more starts (up to n_init) at the cost of a large one's 2
STABILITY_BUDGET = 20_000


def adjusted_rand(a: IntArray, b: IntArray) -> float:
    """Return the adjusted Rand index of two labelings of the same rows (scikit-learn's definition)."""
    table = contingency(a, b)
    return _ari_of_table(table, a.shape[0])


def contingency(a: IntArray, b: IntArray) -> IntArray:
    """Return the table of rows per (label in a, label in b)."""
    ka, kb = int(a.max()) + 1, int(b.max()) + 1
    return np.bincount(a * kb + b, minlength=ka * kb).reshape(ka, kb).astype(np.int64)


def _ari_of_table(table: IntArray, n: int) -> float:
    def pairs(counts: IntArray) -> float:
        x = counts.astype(np.float64)
        return float((x * (x - 1.0) / 2.0).sum())

    both = pairs(table)
    rows, cols = pairs(table.sum(axis=1)), pairs(table.sum(axis=0))
    total = n * (n - 1.0) / 2.0
    expected = rows * cols / total if total else 0.0
    top = (rows + cols) / 2.0
    if top == expected:  # both labelings trivial (one group, or all singletons): identical partitions
        return 1.0
    return (both - expected) / (top - expected)


def best_jaccard(table: IntArray) -> FloatArray:
    """Return, per row label of a contingency table, the Jaccard similarity with its best column label."""
    sizes_a = table.sum(axis=1)[:, None]
    sizes_b = table.sum(axis=0)[None, :]
    union = sizes_a + sizes_b - table
    with np.errstate(invalid="ignore", divide="ignore"):
        jac = np.where(union > 0, table / np.maximum(union, 1), 0.0)
    return np.asarray(jac.max(axis=1), dtype=np.float64)


def resample_inits(rows: int, n_init: int) -> int:
    """Return the k-means++ starts of each resample fit: STABILITY_INITS, more on small tables, at most n_init."""
    return max(min(STABILITY_INITS, n_init), min(n_init, STABILITY_BUDGET // max(rows, 1)))


def resample_rows(n: int, resamples: int, seed: int) -> list[IntArray]:
    """Return the seeded row subsets of each resample (RESAMPLE_SHARE of n, without replacement)."""
    rng = np.random.default_rng(seed)
    size = max(2, round(RESAMPLE_SHARE * n))
    return [np.sort(rng.choice(n, size=size, replace=False)).astype(np.int64) for _ in range(resamples)]


def k_stabilities(
    X: FloatArray,
    fits: dict[int, IntArray],
    resamples: int,
    seed: int,
    refit: Refit,
    n_init: int = 10,
    lanes: int = 1,
) -> dict[int, KStability]:
    """Return the resampling stability of each given fit (k -> the full fit's labels over X's rows).

    `refit(X32, k, rows, seed, starts)` fits K-Means afresh on the rows and returns every row's nearest
    centroid (cluster.resample_labels; passed in so this module needs no scikit-learn).
    """
    if resamples <= 0 or not fits:
        return {}
    n = X.shape[0]
    X32 = np.ascontiguousarray(X, dtype=np.float32)
    subsets = resample_rows(n, resamples, seed)
    inits = resample_inits(len(subsets[0]), n_init)
    # the same resamples for every k, each fit seeded by (k, resample): results do not depend on scheduling
    jobs = [(k, r) for k in sorted(fits, reverse=True) for r in range(resamples)]

    def job(item: tuple[int, int]) -> IntArray:
        k, r = item
        return refit(X32, k, subsets[r], (seed + 1000 * k + r) % 2**32, inits)  # a valid seed for any k

    with ThreadPoolExecutor(max_workers=max(1, min(lanes, len(jobs)))) as pool:
        labels = dict(zip(jobs, pool.map(job, jobs), strict=True))
    out: dict[int, KStability] = {}
    for k, reference in fits.items():
        aris, jaccards = [], []
        for r in range(resamples):
            table = contingency(reference, labels[(k, r)])
            aris.append(_ari_of_table(table, n))
            jaccards.append(best_jaccard(table))
        out[k] = KStability(
            k=k,
            ari=float(np.mean(aris)),
            jaccard=tuple(float(v) for v in np.mean(jaccards, axis=0)),
            resamples=resamples,
            rows=n,
        )
    return out


_STRUCTURE_WORDS = {
    "strong": "Strong separation",
    "reasonable": "Moderate separation",
    "weak": "Weak separation",
    "none": "No clear separation",
}


def segment_sentence(reading: str) -> str:
    """Return what a segment's stability reading means, in one sentence for its page."""
    if reading == "stable":
        return (
            "Stable: this segment reappears largely unchanged when the segmentation is re-run on random samples "
            "of the customers."
        )
    if reading == "fairly stable":
        return (
            "Fairly stable: its core reappears when the segmentation is re-run on random samples of the "
            "customers, but its borders shift; check customers near the border before acting on them one by one."
        )
    return (
        "Unstable: this segment does not reappear consistently when the segmentation is re-run on random "
        "samples of the customers; treat it as tentative."
    )


def trust_verdict(structure: str, readings: Sequence[str]) -> str:
    """Return the one-sentence verdict: the structure and stability readings and what the segments are for."""
    head = _STRUCTURE_WORDS[structure]
    if not readings:
        stability = "stability not measured"
    elif all(r == "stable" for r in readings):
        stability = "stable segments"
    elif all(r != "unstable" for r in readings):
        stability = "mostly stable segments"
    else:
        stability = "some unstable segments"
    if structure == "none" and stability in ("stable segments", "mostly stable segments"):
        # never more permissive than "weak": resampling shows the slices are repeatable, not that they are apart
        use = (
            "the customers do not fall into well-apart groups, but these segments come back when re-run on "
            "random samples; treat them as slices for planning messages and campaign tests, not as distinct "
            "customer types, and do not use them for eligibility rules or decisions about individual customers"
        )
    elif structure == "none":
        use = (
            "the customers do not fall into well-apart groups, so treat the segments as convenient slices "
            "for planning, not as real customer types or for eligibility rules"
        )
        if stability == "some unstable segments":
            use += ", and do not base decisions on the unstable ones"
    elif stability == "some unstable segments":
        use = (
            "treat the segments as exploratory: do not use them for eligibility rules, nor base decisions on "
            "the unstable ones"
        )
    elif structure == "weak":
        use = (
            "use them as a guide for messages and campaign tests; the groups overlap, so do not use them "
            "for eligibility rules or decisions about individual customers"
        )
    elif structure == "reasonable":
        use = "use them to target campaigns, not for hard eligibility rules"
    else:
        use = "the groups are well apart, so they can be used for targeting and for planning segment offers"
    if readings and stability == "mostly stable segments":
        use += "; check the fairly stable segments before acting on them"
    if not readings:
        use += " (how well they hold up was not measured)"
    return f"{head}, {stability}: {use}."


def segmentation_trust(
    silhouette: float | None, ari: float | None, segment_ids: Sequence[int], jaccards: Sequence[float]
) -> Trust:
    """Return how far to trust a segmentation: readings, the verdict and each segment's stability in words."""
    structure = structure_reading(silhouette)
    segments = tuple(
        SegmentTrust(
            id=i, stability=j, reading=stability_reading(j), text=segment_sentence(stability_reading(j))
        )
        for i, j in zip(segment_ids, jaccards, strict=True)
    )
    return Trust(
        structure=structure,
        stability=ari,
        verdict=trust_verdict(structure, [s.reading for s in segments]),
        segments=segments,
    )
