"""The words every table, caption and chart of the report uses for a column: one map, so they agree."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from reportgen.model import Analysis, spend_share
from reportgen.model.columns import feature_label, value_words


def column_labels(analysis: Analysis, user_labels: Mapping[str, str]) -> dict[str, str]:
    """Return each column's words: the readable default, then the traits' words, then the user's own
    (`[data] labels`, which win)."""
    columns = dict.fromkeys((*analysis.features.input_features, *analysis.features.raw.columns))
    labels = {c: feature_label(c) for c in columns}
    labels.update({t.feature: t.label for p in analysis.profiles for t in p.traits})
    labels.update(user_labels)
    return labels


def value_label(analysis: Analysis, user_labels: Mapping[str, str]) -> str:
    """Return the words for the value measure ("Purchases", "Total spend"): the same in every document."""
    key = next((k for p in analysis.profiles if (k := spend_share(p)[0]) is not None), None)
    return column_labels(analysis, user_labels).get(key, feature_label(key)) if key else "spend"


def with_indicator_labels(used: Iterable[str], labels: Mapping[str, str]) -> dict[str, str]:
    """Return `labels` with words for a category's clustered 0/1 columns among `used`: "Channel 2", or the
    user's label for the value."""
    out = dict(labels)
    for name in used:
        column, _, value = name.partition("=")
        if value and name not in labels:
            out[name] = value_words(column, value, labels)
    return out
