"""k selection and K-Means: published results on the real table, hand-computed toy answers, the rule."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import silhouette_score

from reportgen.analysis.cluster import (
    elbow_k,
    k_selection,
    sample_rows,
    segmentation,
    silhouette_scores,
)
from reportgen.analysis.features import feature_matrix
from reportgen.analysis.k_rule import KRule
from reportgen.config import ClusterConfig, DataConfig, FeatureConfig
from reportgen.errors import InputError
from reportgen.io.load import load_customers
from reportgen.model import KCandidate, KStability

PUBLISHED = {
    2: (127784.53, 0.2100),
    3: (111975.04, 0.2510),
    4: (99061.94, 0.1977),
    5: (91490.50, 0.1931),
    6: (84826.59, 0.2029),
    7: (79856.16, 0.2077),
    8: (74484.88, 0.2217),
}
PLAIN = ClusterConfig(k=4, k_min=2, k_max=8, n_init=10, random_state=42, silhouette_sample=0)


@pytest.fixture(scope="module")
def plain_matrix(cc_path: Path):  # type: ignore[no-untyped-def]
    table = load_customers(cc_path, DataConfig())
    return feature_matrix(table, FeatureConfig(engineered=False, transform="none"))


def test_published_inertia_and_silhouette_for_every_k(plain_matrix) -> None:  # type: ignore[no-untyped-def]
    selection = k_selection(plain_matrix.X, PLAIN)
    scored = {c.k: c for c in selection.candidates}
    assert sorted(scored) == sorted(PUBLISHED)
    for k, (inertia, sil) in PUBLISHED.items():
        assert scored[k].inertia == pytest.approx(inertia, rel=1e-4), k
        assert scored[k].silhouette == pytest.approx(sil, abs=1e-3), k
    assert selection.silhouette_rows == 8950 and not selection.sampled


def test_plain_method_picks_three_by_silhouette_and_explains_the_fixed_k(plain_matrix) -> None:  # type: ignore[no-untyped-def]
    selection = k_selection(plain_matrix.X, PLAIN)
    assert selection.method == "fixed" and selection.chosen_k == 4
    assert "fixed at 4" in selection.reason and "would have chosen 3" in selection.reason


def test_the_reason_reads_in_the_reports_locale(plain_matrix) -> None:  # type: ignore[no-untyped-def]
    cfg = ClusterConfig(k_min=2, k_max=4, n_init=2, random_state=0, stability_resamples=0)
    english = k_selection(plain_matrix.X, cfg).reason
    german = k_selection(plain_matrix.X, cfg, locale="de_DE").reason
    assert re.search(r"silhouette 0\.\d\d", english) and "90%" in english
    # the same sentence, every number in German: decimal commas, "90 %", no English figure left
    assert re.search(r"silhouette 0,\d\d", german) and "90\u00a0%" in german
    assert not re.search(r"\d\.\d", german)
    assert re.sub(r"\d[\d,.\u00a0%]*", "#", english) == re.sub(r"\d[\d,.\u00a0%]*", "#", german)


def test_published_k4_sizes(plain_matrix) -> None:  # type: ignore[no-untyped-def]
    seg = segmentation(plain_matrix.X, 4, PLAIN)
    assert np.bincount(seg.labels).tolist() == [3977, 3367, 1197, 409]
    assert seg.inertia == pytest.approx(99061.94, rel=1e-4)
    assert seg.centroids.shape == (4, 17)


def test_silhouette_scores_match_scikit_learn_including_singletons() -> None:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(700, 5))
    X[:200] += 4.0
    sets = [rng.integers(0, 3, 700), (X[:, 0] > 2).astype(np.int64), np.r_[np.zeros(699, np.int64), [1]]]
    ours = silhouette_scores(X, [s.astype(np.int64) for s in sets], block=50_000)
    for got, labels in zip(ours, sets, strict=True):
        assert got == pytest.approx(silhouette_score(X, labels), abs=1e-5)


def test_elbow_on_a_hand_made_curve() -> None:
    assert elbow_k([2, 3, 4, 5, 6], [100.0, 40.0, 30.0, 25.0, 22.0]) == 3
    assert elbow_k([2, 3, 4, 5], [10.0, 7.0, 4.0, 1.0]) is None  # a straight line has no bend
    assert elbow_k([2, 3], [10.0, 5.0]) is None


def test_auto_k_finds_well_separated_groups() -> None:
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0, 0.0], [12.0, 0.0, 0.0], [0.0, 12.0, 0.0], [0.0, 0.0, 12.0]])
    X = np.vstack([c + rng.normal(size=(80, 3)) for c in centres])
    sel = k_selection(X, ClusterConfig(k_min=2, k_max=7, n_init=3))
    assert sel.chosen_k == 4 and sel.method == "auto"
    assert sel.reason.startswith("We chose 4 segments")


def test_segment_ids_number_largest_first_and_are_deterministic() -> None:
    rng = np.random.default_rng(1)
    X = np.vstack([rng.normal(size=(30, 2)), rng.normal(size=(90, 2)) + 8, rng.normal(size=(60, 2)) - 8])
    cfg = ClusterConfig(n_init=3, random_state=7)
    a, b = segmentation(X, 3, cfg), segmentation(X, 3, cfg)
    assert np.bincount(a.labels).tolist() == [90, 60, 30]
    assert np.array_equal(a.labels, b.labels) and np.array_equal(a.centroids, b.centroids)


def test_too_few_customers_for_the_k_range_says_how_many() -> None:
    X = np.random.default_rng(0).normal(size=(6, 2))
    with pytest.raises(InputError, match="need at least 11"):
        k_selection(X, ClusterConfig(k_max=10))


def test_sample_rows_is_seeded_and_bounded() -> None:
    assert sample_rows(100, 0, 1) is None and sample_rows(100, 200, 1) is None
    a, b = sample_rows(1000, 50, 4), sample_rows(1000, 50, 4)
    assert a is not None and b is not None and np.array_equal(a, b) and len(np.unique(a)) == 50


def test_separation_scores_match_scikit_learn() -> None:
    from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score

    from reportgen.analysis.cluster import separation_scores

    rng = np.random.default_rng(1)
    X = rng.standard_normal((3000, 5)) * rng.uniform(0.5, 3, 5)
    labels = rng.integers(0, 4, 3000)
    ch, db = separation_scores(X, labels, block=500)
    assert ch == pytest.approx(calinski_harabasz_score(X, labels), rel=1e-9)
    assert db == pytest.approx(davies_bouldin_score(X, labels), rel=1e-9)
    assert separation_scores(X, np.zeros(3000, dtype=np.int64)) == (None, None)


# ---- the k rule, branch by branch, on hand-made scores -----------------------------------------------


def _cand(k: int, sil: float, share: float = 0.1) -> KCandidate:
    return KCandidate(k, 1000.0 / k, sil, 100.0, 1.0, smallest_share=share)


def _rule(
    sils: dict[int, float],
    jaccards: dict[int, float],
    elbow: int | None = 5,
    shares: dict[int, float] | None = None,
    with_stability: bool = True,
) -> tuple[KRule, list[int]]:
    """Return a rule over the given silhouettes, with each k's segments all at the given Jaccard."""
    asked: list[int] = []

    def stability_of(ks: list[int]) -> dict[int, KStability]:
        asked.extend(k for k in ks if k not in asked)
        return {
            k: KStability(k, min(1.0, jaccards[k] + 0.02), (jaccards[k], 0.99), 20, 100) for k in jaccards
        }

    cands = tuple(_cand(k, s, (shares or {}).get(k, 0.1)) for k, s in sorted(sils.items()))
    return KRule(cands, elbow, 0.02, with_stability, stability_of), asked


def _elbow_words_are_true(reason: str, k: int, elbow: int | None) -> None:
    m = re.search(r"bends (close by, )?(earlier|later), at (\d+)", reason)
    if m:
        at = int(m.group(3))
        assert at == elbow and (at < k if m.group(2) == "earlier" else at > k)
        assert bool(m.group(1)) == (abs(at - k) == 1)
    elif "there too" in reason:
        assert elbow == k
    else:
        assert elbow is None and "no clear bend" in reason


SILS = {2: 0.28, 3: 0.26, 4: 0.24, 5: 0.25, 6: 0.24, 7: 0.22}


def test_rule_takes_the_finest_stable_distinct_k_up_to_the_elbow() -> None:
    rule, asked = _rule(SILS, {2: 0.98, 3: 0.99, 4: 0.98, 5: 0.95, 6: 0.9})
    k, reason = rule.choice()
    assert k == 5 and asked == [5]  # finest first; coarser candidates are not resampled
    assert reason.startswith("We chose 5 segments: the finest grouping that held up when the customers")
    assert "stability 0.97" in reason and "silhouette 0.25 against 0.26 at 3" in reason
    _elbow_words_are_true(reason, 5, 5)
    assert "6 segments go past the elbow without separating best" in reason  # 6 > max(best 3, elbow 5)


def test_rule_skips_an_unstable_finer_k_and_says_so() -> None:
    rule, asked = _rule(SILS, {3: 0.99, 4: 0.98, 5: 0.55})
    k, reason = rule.choice()
    assert k == 4 and asked == [5, 4]
    assert "5 segments are less stable under resampling (stability 0.57, under 0.80)" in reason
    _elbow_words_are_true(reason, 4, 5)
    assert "close by, later, at 5" in reason


def test_rule_reports_a_too_small_segment_and_a_poorly_separated_runner_up() -> None:
    rule, _ = _rule(SILS, {3: 0.99, 4: 0.98, 5: 0.95}, shares={5: 0.01})
    k, reason = rule.choice()
    assert k == 4 and "5 segments would leave a segment of 1.0% of customers, under the 2% minimum" in reason
    rule, _ = _rule({2: 0.30, 3: 0.30, 4: 0.20, 5: 0.19}, {3: 0.9, 4: 0.9, 5: 0.9}, elbow=3)
    k, reason = rule.choice()
    assert k == 3 and "4 segments separate less well (silhouette 0.20, under 90% of 0.30)" in reason
    assert "separates best of the choices with 3 or more (silhouette 0.30)" in reason
    _elbow_words_are_true(reason, 3, 3)


def test_rule_goes_past_the_elbow_only_to_the_best_separated_k() -> None:
    rule, _ = _rule({2: 0.30, 3: 0.35, 4: 0.36, 5: 0.39, 6: 0.41, 7: 0.39}, {5: 1.0, 6: 0.9, 7: 0.8})
    k, reason = rule.choice()
    assert k == 6  # a new group separates best at 6, past the elbow at 5; 7 goes past both
    _elbow_words_are_true(reason, 6, 5)
    assert "bends close by, earlier, at 5" in reason and "7 segments go past the elbow" in reason


def test_rule_without_a_bend_and_with_the_elbow_earlier() -> None:
    rule, _ = _rule({2: 0.30, 3: 0.25, 4: 0.26, 5: 0.27, 6: 0.20}, {4: 0.9, 5: 0.9}, elbow=None)
    k, reason = rule.choice()
    assert k == 5
    _elbow_words_are_true(reason, 5, None)
    rule, _ = _rule({2: 0.30, 3: 0.25, 4: 0.26, 5: 0.27, 6: 0.20}, {4: 0.9, 5: 0.9}, elbow=3)
    k, reason = rule.choice()
    assert k == 5 and "bends earlier, at 3" in reason
    _elbow_words_are_true(reason, 5, 3)


def test_rule_falls_back_to_the_most_stable_fairly_stable_k() -> None:
    rule, _ = _rule(SILS, {3: 0.72, 4: 0.65, 5: 0.7})
    k, reason = rule.choice()
    assert k == 3  # none reaches 0.75 everywhere; 3 has the highest mean adjusted Rand
    assert "no well-separated grouping of 3 or more reached a stability of 0.80" in reason
    assert "stability 0.74, every segment's Jaccard at least 0.72" in reason
    _elbow_words_are_true(reason, 3, 5)


def test_rule_picks_two_only_for_two_clear_groups_or_when_nothing_finer_holds() -> None:
    rule, _ = _rule({2: 0.78, 3: 0.52, 4: 0.45}, {2: 0.99, 3: 0.99, 4: 0.99}, elbow=3)
    k, reason = rule.choice()
    assert k == 2 and "fall clearly into two groups (silhouette 0.78, against at most 0.52" in reason
    # a weak two-way split is not "two clear groups": the finer stable choice wins
    rule, _ = _rule({2: 0.40, 3: 0.30, 4: 0.28}, {2: 0.99, 3: 0.99, 4: 0.99}, elbow=3)
    assert rule.choice()[0] == 3
    rule, _ = _rule({2: 0.40, 3: 0.38, 4: 0.37}, {2: 0.95, 3: 0.5, 4: 0.4}, elbow=4)
    k, reason = rule.choice()
    assert k == 2 and "no grouping of 3 or more segments held up" in reason and "stability 0.97" in reason


def test_rule_names_a_segment_that_dissolves_and_never_prints_a_limit_as_under_itself() -> None:
    # overall agreement is good but one segment's Jaccard is 0.598: told with 3 decimals, not as "0.60"
    rule, _ = _rule(SILS, {3: 0.99, 4: 0.98, 5: 0.598})
    rule = KRule(
        rule.candidates,
        5,
        0.02,
        True,
        lambda ks: {
            3: KStability(3, 0.99, (0.99, 0.99, 0.99), 20, 100),
            4: KStability(4, 0.98, (0.98,) * 4, 20, 100),
            5: KStability(5, 0.9, (0.598, 0.95, 0.95, 0.95, 0.95), 20, 100),
        },
    )
    k, reason = rule.choice()
    assert (
        k == 4
        and "5 segments do not all hold up under resampling (a segment's Jaccard 0.598, under 0.6)" in reason
    )


def test_rule_states_the_weakest_segment_as_a_true_floor_and_never_above_one() -> None:
    def reason_with(jaccards: tuple[float, ...]) -> str:
        rule, _ = _rule(SILS, {5: 1.0})
        stable = KStability(len(jaccards), 1.0, jaccards, 20, 100)
        return KRule(rule.candidates, 5, 0.02, True, lambda ks: dict.fromkeys(ks, stable)).choice()[1]

    perfect = reason_with((1.0,) * 5)
    assert "every segment came back unchanged in every resample" in perfect and "Jaccard" not in perfect
    # 0.998 prints as 1.00 with two decimals: the floor is rounded down so "at least" stays true
    nearly = reason_with((0.998, 1.0, 1.0, 1.0, 1.0))
    assert "every segment's Jaccard at least 0.99" in nearly and "Jaccard 1.00" not in nearly
    assert "or more" not in re.sub(r"3 or more", "", nearly)


def test_rule_says_rough_when_nothing_holds_and_handles_tiny_segments() -> None:
    rule, _ = _rule({2: 0.30, 3: 0.29, 4: 0.28}, {2: 0.4, 3: 0.5, 4: 0.45}, elbow=4)
    k, reason = rule.choice()
    assert k == 3 and "treat the segments as rough" in reason and "stability 0.52" in reason
    rule, _ = _rule({2: 0.3, 3: 0.3}, {}, elbow=None, shares={2: 0.01, 3: 0.005})
    k, reason = rule.choice()
    assert k == 2 and "under the 2% minimum" in reason and "(1.0% of customers)" in reason


def test_rule_without_stability_says_it_was_not_measured() -> None:
    rule, asked = _rule(SILS, {}, with_stability=False)
    k, reason = rule.choice()
    assert k == 5 and asked == [] and "stability was not measured" in reason


def test_month_rule_keeps_last_k_unless_another_is_clearly_better() -> None:
    sils = {2: 0.30, 3: 0.35, 4: 0.36, 5: 0.389, 6: 0.406, 7: 0.39}
    rule, _ = _rule(sils, {5: 1.0, 6: 0.9, 7: 0.8})
    auto, reason = rule.choice()
    assert auto == 6
    k, text = rule.month_choice(5, auto, reason)
    assert k == 6 and "this changes last period's 5 segments" in text and "0.41 against 0.39" in text
    # a 0.002 lead is noise: last period's k stays
    rule, _ = _rule({**sils, 6: 0.391}, {5: 1.0, 6: 0.9, 7: 0.8})
    auto, reason = rule.choice()
    k, text = rule.month_choice(5, 6, reason)
    assert k == 5 and text.startswith("We kept last period's 5 segments") and "0.39 against 0.39" in text
    # last k no longer holds up
    rule, _ = _rule(sils, {5: 0.5, 6: 0.9, 7: 0.8})
    k, text = rule.month_choice(5, 6, "We chose 6 segments.")
    assert k == 6 and "no longer hold up under resampling" in text
    k, text = rule.month_choice(6, 6, "We chose 6 segments: x.")
    assert k == 6 and text == "We chose 6 segments: x; last period had 6 segments too."


def test_rule_copes_with_negative_silhouettes() -> None:
    rule, _ = _rule({2: -0.05, 3: -0.10, 4: -0.105, 5: -0.2}, {3: 0.9, 4: 0.9, 5: 0.9}, elbow=4)
    k, reason = rule.choice()
    assert k == 4 and "silhouette -0.10 against -0.10 at 3" in reason  # -0.105 is within 10% of -0.10


def test_a_fixed_k_with_segments_under_the_floor_says_so() -> None:
    rng = np.random.default_rng(3)
    # 3 clear groups of 200 and one of 6 customers: fixing k = 4 keeps a 1% segment, and the reason says so
    centres = [(0, 0), (8, 0), (0, 8), (8, 8)]
    X = np.vstack([rng.normal(c, 0.5, (n, 2)) for c, n in zip(centres, (200, 200, 200, 6), strict=True)])
    selection = k_selection(X, ClusterConfig(k=4, k_min=2, k_max=5, n_init=3, stability_resamples=0))
    smallest = next(c for c in selection.candidates if c.k == 4).smallest_share
    assert smallest is not None and smallest == pytest.approx(6 / 606)
    assert "With 4, the smallest segment holds 1.0% of the customers, under the 2% the rule requires" in (
        selection.reason
    )
    plenty = k_selection(X, ClusterConfig(k=3, k_min=2, k_max=5, n_init=3, stability_resamples=0))
    assert "smallest segment" not in plenty.reason


def _small_table_rule(customers: int, sils: dict[int, float] = SILS) -> KRule:
    rule, _ = _rule(sils, {k: 0.99 for k in sils})
    return replace(rule, customers=customers)


def test_auto_k_leaves_at_least_ten_customers_per_segment_on_a_small_table() -> None:
    k, reason = _small_table_rule(45).choice()
    assert k == 4 and 45 / k >= 10  # 5, the elbow and otherwise the pick, would leave 9 per segment
    assert "5 segments would leave fewer than 10 customers per segment on average (45 customers)" in reason


def test_auto_k_takes_two_when_three_would_be_too_fine() -> None:
    k, reason = _small_table_rule(25).choice()
    assert k == 2
    assert reason == (
        "We chose 2 segments: with 25 customers, 3 or more segments would leave fewer than 10 customers "
        "per segment on average."
    )


def test_auto_k_names_the_key_when_every_k_tried_is_too_fine() -> None:
    k, reason = _small_table_rule(25, {4: 0.3, 5: 0.3}).choice()
    assert k == 4 and "lower clustering.k_min or add data" in reason


def test_a_large_table_is_not_limited_by_the_customers_per_segment() -> None:
    assert _small_table_rule(10_000).choice() == _rule(SILS, {k: 0.99 for k in SILS})[0].choice()
