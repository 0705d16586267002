"""k selection and K-Means: published results on the real table, hand-computed toy answers, the rule."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import silhouette_score

from reportgen.analysis.cluster import (
    SILHOUETTE_TOLERANCE,
    _auto_choice,
    elbow_k,
    k_selection,
    sample_rows,
    segmentation,
    silhouette_scores,
)
from reportgen.analysis.features import feature_matrix
from reportgen.config import ClusterConfig, DataConfig, FeatureConfig
from reportgen.errors import InputError
from reportgen.io.load import load_customers
from reportgen.model import KCandidate

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


def _cand(k: int, sil: float, db: float = 1.0) -> KCandidate:
    return KCandidate(k=k, inertia=1000.0 / k, silhouette=sil, calinski_harabasz=100.0, davies_bouldin=db)


def test_rule_takes_the_near_best_silhouette_nearest_the_elbow() -> None:
    cands = (_cand(2, 0.30), _cand(3, 0.25), _cand(4, 0.28), _cand(5, 0.20))
    k, reason = _auto_choice(cands, elbow=4)
    assert k == 4  # 0.28 is within 10% of 0.30 and sits at the elbow
    assert "4 segments" in reason and "0.30" in reason
    k, _ = _auto_choice(cands, elbow=5)
    assert k == 4  # 5 is too poorly separated; 4 is the near-best k closest to the elbow
    assert SILHOUETTE_TOLERANCE > (0.30 - 0.28) / 0.30


def test_rule_breaks_ties_on_davies_bouldin() -> None:
    cands = (_cand(3, 0.30, db=1.5), _cand(5, 0.30, db=1.1))
    assert _auto_choice(cands, elbow=4)[0] == 5


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
