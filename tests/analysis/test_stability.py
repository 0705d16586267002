"""Resampling stability: the indices against scikit-learn, the readings, and the trust wording as claims."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from reportgen.analysis.cluster import resample_labels
from reportgen.analysis.stability import (
    adjusted_rand,
    best_jaccard,
    contingency,
    k_stabilities,
    resample_rows,
    segmentation_trust,
    stability_reading,
    structure_reading,
    trust_verdict,
)


def test_adjusted_rand_matches_scikit_learn() -> None:
    rng = np.random.default_rng(0)
    for _ in range(5):
        a, b = rng.integers(0, 4, 500), rng.integers(0, 6, 500)
        b[:300] = a[:300]
        assert adjusted_rand(a, b) == pytest.approx(adjusted_rand_score(a, b), abs=1e-12)
    same = rng.integers(0, 3, 100)
    assert adjusted_rand(same, (same + 1) % 3) == pytest.approx(1.0)  # renumbering changes nothing


def test_best_jaccard_by_hand() -> None:
    a = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    b = np.array([0, 0, 0, 1, 1, 1, 1, 1])
    # segment 0 = {0,1,2,3}; best match {0,1,2}: 3 shared / 4 in the union. Segment 1 = {4..7} vs {3..7}: 4/5
    assert best_jaccard(contingency(a, b)).tolist() == pytest.approx([0.75, 0.8])


def test_resamples_are_seeded_subsets_of_80_percent() -> None:
    a, b = resample_rows(1000, 3, seed=5), resample_rows(1000, 3, seed=5)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert all(len(x) == 800 and len(np.unique(x)) == 800 for x in a)
    assert not np.array_equal(a[0], a[1])


def _blobs(centres: list[list[float]], n: int, seed: int, sd: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = np.vstack([np.asarray(c) + sd * rng.normal(size=(n, len(c))) for c in centres])
    truth = np.repeat(np.arange(len(centres)), n)
    return X, truth


def test_separated_groups_are_stable_and_a_blob_split_is_not() -> None:
    X, truth = _blobs([[0, 0], [10, 0], [0, 10]], 150, seed=1)
    st = k_stabilities(X, {3: truth}, resamples=10, seed=0, refit=resample_labels)[3]
    assert st.ari > 0.99 and min(st.jaccard) > 0.99 and st.resamples == 10 and st.rows == 450
    # one round blob cut in 5: k-means lands on different cuts each time
    blob = np.random.default_rng(2).normal(size=(600, 2))
    from sklearn.cluster import KMeans

    labels = KMeans(5, n_init=10, random_state=0).fit(blob).labels_.astype(np.int64)
    loose = k_stabilities(blob, {5: labels}, resamples=10, seed=0, refit=resample_labels)[5]
    assert loose.ari < st.ari and min(loose.jaccard) < 0.9


def test_stability_is_deterministic_and_off_at_zero() -> None:
    X, truth = _blobs([[0, 0], [4, 0]], 100, seed=3)
    a = k_stabilities(X, {2: truth}, resamples=6, seed=4, refit=resample_labels)
    b = k_stabilities(X, {2: truth}, resamples=6, seed=4, refit=resample_labels)
    assert a == b
    assert k_stabilities(X, {2: truth}, resamples=0, seed=4, refit=resample_labels) == {}


def test_readings_follow_the_published_thresholds() -> None:
    assert [stability_reading(v) for v in (0.9, 0.75, 0.74, 0.6, 0.59)] == [
        "stable",
        "stable",
        "fairly stable",
        "fairly stable",
        "unstable",
    ]
    assert [structure_reading(v) for v in (0.8, 0.7, 0.6, 0.5, 0.3, 0.25, 0.1, None)] == [
        "strong",
        "reasonable",
        "reasonable",
        "weak",
        "weak",
        "none",
        "none",
        "none",
    ]


@pytest.mark.parametrize("structure", ["strong", "reasonable", "weak", "none"])
@pytest.mark.parametrize(
    "readings", [("stable", "stable"), ("stable", "fairly stable"), ("stable", "unstable"), ()]
)
def test_verdict_says_what_the_readings_say(structure: str, readings: tuple[str, ...]) -> None:
    text = trust_verdict(structure, readings)
    head = {"strong": "Strong", "reasonable": "Moderate", "weak": "Weak", "none": "No clear"}[structure]
    assert text.startswith(f"{head} separation, ") and text.endswith(".")
    assert "reliable" not in text.lower()
    if not readings:
        assert "stability not measured" in text
    elif "unstable" in readings:
        assert ("some unstable segments" in text and "exploratory" in text) or structure == "none"
    elif "fairly stable" in readings:
        assert "mostly stable segments" in text
    else:
        assert "stable segments:" in text and "unstable" not in text
    if structure in ("weak", "none"):
        assert "target campaigns" not in text  # weak structure never reads as ready for targeting rules
        assert (
            "eligibility rules" in text
        )  # and always warns against rules (F30: "none" no laxer than "weak")
    if "fairly stable" in readings and "unstable" not in readings:
        assert "check the fairly stable segments" in text
    if structure == "reasonable" and readings == ("stable", "stable"):
        assert text == (
            "Moderate separation, stable segments: use them to target campaigns, not for hard eligibility rules."
        )


def test_segmentation_trust_reads_each_segment() -> None:
    trust = segmentation_trust(0.31, 0.88, [0, 1, 4], [0.95, 0.7, 0.4])
    assert trust.structure == "weak" and trust.stability == 0.88
    assert [s.reading for s in trust.segments] == ["stable", "fairly stable", "unstable"]
    assert trust.for_segment(4) is not None and trust.for_segment(4).text.startswith("Unstable")  # type: ignore[union-attr]
    assert trust.for_segment(2) is None
    assert trust.verdict.startswith("Weak separation, some unstable segments")
    off = segmentation_trust(0.6, None, [], [])
    assert off.segments == () and "not measured" in off.verdict


def test_small_tables_get_more_starts_within_the_same_budget() -> None:
    from reportgen.analysis.stability import STABILITY_BUDGET, resample_inits

    assert resample_inits(16_000, 10) == 2  # large tables: 2 starts
    assert resample_inits(352, 10) == 10  # a 440-row table: n_init starts, still a fraction of the budget
    assert resample_inits(1_792, 10) * 1_792 <= STABILITY_BUDGET
    assert resample_inits(352, 1) == 1  # never more than n_init
