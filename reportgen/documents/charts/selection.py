"""Charts of the choice of k: inertia (elbow) and silhouette by number of segments."""

from __future__ import annotations

from typing import Any

import altair as alt

from reportgen.documents import formats
from reportgen.documents.charts.layout import finished, inline_data, layer_chart, unvalidated
from reportgen.documents.charts.theme import AnyChart, ChartTheme
from reportgen.model import KSelection


def _k_axis(selection: KSelection) -> alt.X:
    ks = sorted(c.k for c in selection.candidates)
    lo, hi = (ks[0], ks[-1]) if ks else (selection.chosen_k, selection.chosen_k)
    return alt.X(
        "k:Q",
        title="Number of segments (k)",
        scale=alt.Scale(domain=[lo - 0.3, hi + 0.3], nice=False, zero=False),
        axis=alt.Axis(values=ks, format="d", grid=False),
    )


def _chosen_marker(selection: KSelection, theme: ChartTheme) -> list[alt.Chart]:
    data = inline_data([{"k": selection.chosen_k, "label": f"chosen: k = {selection.chosen_k}"}])
    rule = (
        alt.Chart(data)
        .mark_rule(color=theme.primary, strokeDash=[5, 3], strokeWidth=1.5)
        .encode(x=alt.X("k:Q"))
    )
    label = (
        alt.Chart(data)
        .mark_text(align="left", baseline="top", dx=5, dy=2, color=theme.primary, fontWeight="bold")
        .encode(x=alt.X("k:Q"), y=alt.YValue(0), text=alt.Text("label:N"))
    )
    return [rule, label]


def _k_line(
    rows: list[dict[str, Any]], selection: KSelection, field: str, title: str, fmt: str, theme: ChartTheme
) -> alt.Chart:
    return (
        alt.Chart(inline_data(rows))
        .mark_line(point=alt.OverlayMarkDef(size=40, filled=True, color=theme.foreground), strokeWidth=2)
        .encode(
            x=_k_axis(selection),
            y=alt.Y(
                f"{field}:Q", title=title, axis=alt.Axis(format=fmt, tickCount=5), scale=alt.Scale(zero=False)
            ),
            color=alt.ColorValue(theme.foreground),
        )
    )


@unvalidated
def elbow_chart(selection: KSelection, theme: ChartTheme) -> AnyChart:
    """Return inertia against k, with the chosen k and the elbow marked."""
    rows = [
        {"k": c.k, "inertia": round(c.inertia, 4)} for c in sorted(selection.candidates, key=lambda c: c.k)
    ]
    line = _k_line(rows, selection, "inertia", "Inertia (within-segment spread)", "~s", theme)
    layers: list[alt.Chart] = [line, *_chosen_marker(selection, theme)]
    elbow = next((r for r in rows if r["k"] == selection.elbow_k), None)
    if elbow is not None:
        marker = inline_data([{**elbow, "label": "elbow"}])
        layers.append(
            alt.Chart(marker)
            .mark_point(
                size=220,
                shape="circle",
                filled=False,
                strokeWidth=2,
                color=theme.palette[1 % len(theme.palette)],
            )
            .encode(x=alt.X("k:Q"), y=alt.Y("inertia:Q"))
        )
        layers.append(
            alt.Chart(marker)
            .mark_text(align="left", baseline="bottom", dx=9, dy=-7, color=theme.foreground)
            .encode(x=alt.X("k:Q"), y=alt.Y("inertia:Q"), text=alt.Text("label:N"))
        )
    subtitle = "Lower is tighter; the bend (elbow) is where more segments stop paying off"
    return finished(layer_chart(*layers), theme, "Choosing the number of segments: inertia", subtitle)


def elbow_alt(selection: KSelection) -> str:
    """Return the text alternative of the elbow chart."""
    points = ", ".join(
        f"k={c.k} {formats.thousands(c.inertia)}" for c in sorted(selection.candidates, key=lambda c: c.k)
    )
    elbow = (
        f"; the elbow is at k = {selection.elbow_k}" if selection.elbow_k is not None else "; no clear elbow"
    )
    return f"Line chart of inertia by number of segments: {points}; chosen k = {selection.chosen_k}{elbow}."


@unvalidated
def silhouette_chart(selection: KSelection, theme: ChartTheme) -> AnyChart:
    """Return the silhouette score against k (unscored k skipped), with the chosen k marked."""
    rows = [
        {"k": c.k, "silhouette": round(c.silhouette, 6)}
        for c in sorted(selection.candidates, key=lambda c: c.k)
        if c.silhouette is not None
    ]
    line = _k_line(rows, selection, "silhouette", "Silhouette score", ".2f", theme)
    subtitle = "Higher means better-separated segments"
    return finished(
        layer_chart(line, *_chosen_marker(selection, theme)), theme, "Silhouette score by k", subtitle
    )


def silhouette_alt(selection: KSelection) -> str:
    """Return the text alternative of the silhouette chart."""
    ordered = sorted(selection.candidates, key=lambda c: c.k)
    scored = [f"k={c.k} {formats.decimal(c.silhouette, 3)}" for c in ordered if c.silhouette is not None]
    skipped = [str(c.k) for c in ordered if c.silhouette is None]
    text = "Line chart of silhouette score by number of segments (higher means better separated): "
    text += ", ".join(scored) if scored else "no k was scored"
    if skipped:
        text += f"; not scored for k = {', '.join(skipped)}"
    return text + f"; chosen k = {selection.chosen_k}."
