"""The fit on every row with Spark: the scoring sample, Lloyd's passes, the assignment, the profiles."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from reportgen.analysis.cluster import SCORING_SAMPLE, id_hash, id_sample_rows
from reportgen.config import ClusterConfig, EngineConfig, Settings
from reportgen.dev.sample import generate_customers, write_sample_csv
from reportgen.engines.spark.fit import hash_key, sample_ids
from reportgen.engines.spark.read import POS
from reportgen.engines.spark.session import spark_failures
from reportgen.errors import EngineError
from reportgen.model import ID
from reportgen.pipeline import analyse

pytestmark = pytest.mark.spark


def test_spark_computes_each_ids_sampling_key_as_numpy_does(spark: Any) -> None:
    ids = ["C10001", "17850", "", "é-ü 42", "x" * 200, "0"]
    frame = spark.createDataFrame([(i, c) for i, c in enumerate(ids)], f"{POS} long, {ID} string")
    keys = {r[ID]: r["key"] for r in frame.select(ID, hash_key(7).alias("key")).collect()}
    assert keys == {c: id_hash(c, 7) for c in ids}
    assert all(0 <= k < 2**60 for k in keys.values())


def test_spark_chooses_the_same_customers_for_scoring_k(spark: Any) -> None:
    ids = [f"C{i:06d}" for i in range(3_000)]
    frame = spark.createDataFrame(list(enumerate(ids)), f"{POS} long, {ID} string")
    rows = id_sample_rows(ids, len(ids), 500, 3)
    assert rows is not None and len(rows) == 500
    assert sorted(sample_ids(frame, 500, 3)) == sorted(ids[i] for i in rows)


@pytest.fixture(scope="module")
def large_table(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a customer table larger than the scoring sample, so the final fit refines on every row."""
    path = tmp_path_factory.mktemp("large") / "customers.csv"
    write_sample_csv(generate_customers(SCORING_SAMPLE + 6_000, seed=4).frame, path)
    return path


def test_lloyd_passes_in_spark_give_the_local_refinement(spark: Any, large_table: Path) -> None:
    cfg = ClusterConfig(k_min=3, k_max=5, n_init=3, stability_resamples=0, silhouette_sample=2_000)
    settings = Settings(clustering=cfg)
    local = analyse(settings, large_table, "2026-11")
    on_spark = analyse(
        replace(settings, engine=EngineConfig(kind="spark", master="local[2]")), large_table, "2026-11"
    )
    for a in (local, on_spark):
        assert a.selection.scored_rows == SCORING_SAMPLE < a.features.X.shape[0]  # k chosen on the sample
    assert on_spark.selection.chosen_k == local.selection.chosen_k
    # the same sample of customers: the same candidate scores
    assert [c.inertia for c in on_spark.selection.candidates] == pytest.approx(
        [c.inertia for c in local.selection.candidates], rel=1e-9
    )
    # Lloyd's passes on every row from the sample's centroids: scikit-learn's refinement, to 1e-9
    np.testing.assert_allclose(
        on_spark.segmentation.centroids, local.segmentation.centroids, rtol=1e-9, atol=1e-12
    )
    moved = int((on_spark.segmentation.labels != local.segmentation.labels).sum())
    assert moved == 0
    assert on_spark.segmentation.inertia == pytest.approx(local.segmentation.inertia, rel=1e-9)
    # profile aggregates by Spark: means to 1e-9 relative, medians exact
    for p, q in zip(on_spark.profiles, local.profiles, strict=True):
        assert (p.name, p.size) == (q.name, q.size)
        for column, stat in q.stats.items():
            assert p.stats[column].mean == pytest.approx(stat.mean, rel=1e-9, abs=1e-12)
            assert p.stats[column].median == stat.median
            assert (p.stats[column].min, p.stats[column].max) == (stat.min, stat.max)


def test_a_spark_failure_is_one_line_with_its_reason(spark: Any) -> None:
    with pytest.raises(EngineError) as failure, spark_failures():
        spark.sql("select raise_error('the executor ran out of disk')").collect()
    message = str(failure.value)
    assert message.startswith("Spark failed: ") and "the executor ran out of disk" in message
    assert "\n" not in message and "at org.apache" not in message
