"""The plain method `make bench` compares against: the seed notebook's pandas + scikit-learn job."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Protocol

K_RANGE = range(2, 11)


class Clock(Protocol):
    """What a job reports its stages to (bench.StageClock)."""

    def start(self, stage: str) -> None: ...

    def write(self, record: dict[str, Any]) -> None: ...


def plain_job(kind: str, data: Path, out: Path, clock: Clock) -> None:
    """Do the job the plain way: pandas and scikit-learn, full k sweep with n_init=10 (the seed notebook)."""
    clock.start("imports")
    import numpy as np
    import pandas as pd
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score
    from sklearn.preprocessing import StandardScaler

    clock.start("load")
    if kind == "customers":
        frame = pd.read_csv(data)
        clock.start("features")
        values = frame.drop(columns=["CUST_ID"])
        values = values.fillna(values.median())
    else:
        log = pd.read_parquet(data) if data.suffix == ".parquet" else pd.read_csv(data)
        clock.start("features")
        values = _plain_rfm(log, pd.Timestamp("2026-11-30 23:59:59"))
        del log
    X = StandardScaler().fit_transform(values)
    fits = 0.0
    sils = 0.0
    scores: dict[int, float] = {}
    clock.start("k sweep + silhouettes")
    for k in K_RANGE:
        t = time.perf_counter()
        model = KMeans(n_clusters=k, n_init=10, random_state=0).fit(X)
        fits += time.perf_counter() - t
        t = time.perf_counter()
        try:
            scores[k] = float(silhouette_score(X, model.labels_, sample_size=10000, random_state=0))
        except ValueError:  # the sample can miss a tiny cluster (heavy-tailed spend): no score for this k
            scores[k] = float("-inf")
        sils += time.perf_counter() - t
        clock.write({"partial": f"k={k}", "fits": fits, "silhouettes": sils})
    clock.write({"split": "k sweep + silhouettes", "fits": fits, "silhouettes": sils})
    best = max(scores, key=lambda k: scores[k])
    clock.start("final fit")
    labels = KMeans(n_clusters=best, n_init=10, random_state=0).fit_predict(X)
    clock.start("profiles")
    profiles = values.assign(segment=labels).groupby("segment").mean()
    (out / "plain-profiles.csv").write_text(profiles.to_csv())
    _ = np  # numpy is imported for parity with the notebook's imports


def _plain_rfm(log: Any, end: Any) -> Any:
    """Return recency, frequency and monetary per customer the plain pandas way."""
    import pandas as pd

    log = log.dropna(subset=["CustomerID"])
    log = log[(log["UnitPrice"] > 0) & (log["Quantity"] != 0)]
    dates = log["InvoiceDate"]
    if not pd.api.types.is_datetime64_any_dtype(dates):
        dates = pd.to_datetime(dates, format="%m/%d/%Y %H:%M")
    log = log.assign(InvoiceDate=dates, value=log["Quantity"] * log["UnitPrice"])
    rfm = log.groupby("CustomerID").agg(
        last=("InvoiceDate", "max"), frequency=("InvoiceNo", "nunique"), monetary=("value", "sum")
    )
    rfm = rfm[rfm["monetary"] > 0]
    rfm["recency"] = (end - rfm["last"]).dt.days
    return rfm[["recency", "frequency", "monetary"]]
