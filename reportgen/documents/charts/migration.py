"""The month-over-month chart: how many customers moved from each segment to each."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import altair as alt

from reportgen.documents import formats
from reportgen.documents.charts.layout import (
    LINE_HEIGHT,
    SPLIT_LINES,
    GridLayout,
    finished,
    grid_layout,
    inline_data,
    layer_chart,
    swatch_legend,
    top_axis,
    unvalidated,
    wrapped_label,
)
from reportgen.documents.charts.theme import AnyChart, ChartTheme
from reportgen.documents.heat import cell_ink, count_fill
from reportgen.documents.heat import migration_grid as _migration_grid

_MIGRATION_ROW_PX = 170.0  # previous-period names wrap to this width


def migration_layout(
    flows: Sequence[tuple[int, int, int]], names: Mapping[int, str], theme: ChartTheme
) -> GridLayout:
    """Return how the migration heatmap fits the page (its height is the image height)."""
    rows, columns, _, full = _migration_grid(flows, names)
    row_labels = [wrapped_label(full[i], _MIGRATION_ROW_PX, theme.label_size) for i in rows]
    return grid_layout([full[i] for i in columns], row_labels, theme, row_title=True)


def _count_swatches(top: int) -> list[int]:
    """Return 0, round counts in steps of 1, 2 or 5 x 10^k (at most 4 of them), and `top` itself."""
    magnitude = 10 ** max(0, len(str(max(top, 1))) - 1)
    step = next(m * magnitude for m in (1, 2, 5, 10) if top / (m * magnitude) <= 4)
    values = list(range(0, top + 1, step))
    return values if values[-1] == top else [*values, top]  # the darkest cell's colour is always shown


@unvalidated
def migration_chart(
    flows: Sequence[tuple[int, int, int]], names: Mapping[int, str], theme: ChartTheme
) -> AnyChart:
    """Return a from-segment x to-segment heatmap of customer counts since the previous period."""
    row_ids, column_ids, counts, full = _migration_grid(flows, names)
    layout = migration_layout(flows, names, theme)
    header = dict(zip(column_ids, layout.headers, strict=True))
    row = {i: wrapped_label(full[i], _MIGRATION_ROW_PX, theme.label_size) for i in row_ids}
    top = max([1, *counts.values()])
    rows = [
        {
            "from": row[f],
            "to": header[t],
            "customers": counts[(f, t)],
            "text": f"{formats.thousands(counts[(f, t)])}",
            # the text colour by its measured contrast on the cell's own fill (at least 4.5:1)
            "ink": cell_ink(count_fill(counts[(f, t)], top, theme.sequential), theme.foreground),
        }
        for f in row_ids
        for t in column_ids
    ]
    columns = [header[i] for i in column_ids]
    base = alt.Chart().encode(
        x=alt.X("to:N", sort=columns, title="This period's segment", axis=top_axis(layout)),
        y=alt.Y(
            "from:N",
            sort=[row[i] for i in row_ids],
            title="Previous period's segment",
            # Vega starts a multi-line label at the row's middle and grows it downwards: lifting every label
            # by half the extra lines of the tallest centres the tallest and top-aligns all within their rows
            axis=alt.Axis(
                labelExpr=SPLIT_LINES,
                labelLineHeight=LINE_HEIGHT,
                labelLimit=0,
                labelOffset=-LINE_HEIGHT * (max(r.count("\n") for r in row.values()) if row else 0) / 2,
            ),
        ),
    )
    cells = base.mark_rect(stroke=theme.background, strokeWidth=1.5).encode(
        color=alt.Color(
            "customers:Q",
            # "rgb": the same linear mix as heat.count_fill, on which the text colour was measured
            scale=alt.Scale(domain=[0, top], range=list(theme.sequential), interpolate="rgb"),
            legend=swatch_legend("Customers", _count_swatches(top), layout, theme, format=",.0f"),
        )
    )
    text = base.mark_text(baseline="middle").encode(
        text=alt.Text("text:N"), color=alt.Color("ink:N", scale=None)
    )
    subtitle = "Rows: where customers were; columns: where they are now; the diagonal stayed put"
    layered = layer_chart(cells, text, data=inline_data(rows)).resolve_scale(color="independent")
    return finished(layered, theme, "Movement between segments", subtitle)


def migration_alt(flows: Sequence[tuple[int, int, int]], names: Mapping[int, str], top: int = 10) -> str:
    """Return the text alternative of the migration heatmap: who stayed, and the largest moves."""
    rows, _, counts, name = _migration_grid(flows, names)
    stayed = {i: counts[(i, i)] for i in rows}
    was = {i: sum(n for (f, _), n in counts.items() if f == i) for i in rows}
    moves = {(f, t): n for (f, t), n in counts.items() if f != t and n > 0}
    kept = "; ".join(
        f"{name[i]} kept {formats.thousands(stayed[i])} of {formats.thousands(was[i])}" for i in rows
    )
    largest = sorted(((n, f, t) for (f, t), n in moves.items()), key=lambda m: (-m[0], m[1], m[2]))
    moved = "; ".join(f"{name[f]} to {name[t]} {formats.thousands(n)}" for n, f, t in largest[:top]) or "none"
    return f"Heatmap of customers by previous and current segment: {kept}. Largest moves: {moved}."
