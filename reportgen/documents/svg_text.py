"""Chart labels drawn as one run each: WeasyPrint lays out SVG text one character at a time.

WeasyPrint (62 to 70 at least) lays out and draws every character of an SVG `<text>` on its own, so that
per-character `x`/`y`/`dx`/`dy`/`rotate` lists can place each one: one Pango layout, one text-drawing call
and one bounding-box update per character. The charts' labels (vl-convert's SVG) have a single position
each, and for them drawing the label as one run puts it in the same place (with the font's kerning applied
across it, as in the HTML report's charts). On the 8,950-row table's report, 279 labels of 2,529 characters:
painting its pages took 0.93 s CPU with one run per character and 0.75 s with one per label (in-process
medians of 5 alternating runs); the labels moved by under 0.1 pt.

How: WeasyPrint's text drawing loops `for char in node.text`; a label with one position (no lists of
them), no rotation, letter-spacing or textLength is handed to it as a string that iterates as one piece.
Every other label, and any WeasyPrint without this text drawing, is drawn exactly as WeasyPrint draws it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

_LABELS = ("text", "tspan")  # not <a> or <textPath>, which WeasyPrint draws with the same function
_PER_CHARACTER = ("rotate", "letter-spacing", "textLength", "lengthAdjust")

TextDrawing = Callable[[Any, Any, float], Any]


class OneRun(str):
    """A label's text that iterates as a single piece, so a per-character drawing loop draws it once."""

    __slots__ = ()

    def __iter__(self) -> Iterator[str]:
        return iter((str(self),))


def single_position(attributes: dict[str, str]) -> bool:
    """Return whether a text element places its text at one point: at most one x, y, dx and dy (which place
    the first character; the others follow it), no rotation, letter-spacing or textLength."""
    if any(name in attributes for name in _PER_CHARACTER):
        return False
    return all(
        len(attributes.get(axis, "").replace(",", " ").split()) <= 1 for axis in ("x", "y", "dx", "dy")
    )


def one_run_text(draw: TextDrawing) -> TextDrawing:
    """Return WeasyPrint's SVG text drawing `draw`, drawing each single-position label as one run."""

    @functools.wraps(draw)  # text.__wrapped__ is WeasyPrint's own
    def text(svg: Any, node: Any, font_size: float) -> Any:
        element: Any = getattr(node, "_etree_node", None)  # the parsed element, whose text the loop reads
        label = getattr(element, "text", None)
        if getattr(node, "tag", None) not in _LABELS or type(label) is not str or not label:
            return draw(svg, node, font_size)
        if not single_position(node.attrib):
            return draw(svg, node, font_size)
        element.text = OneRun(label)
        try:
            return draw(svg, node, font_size)
        finally:
            element.text = label

    text.one_run = True  # type: ignore[attr-defined]
    return text


def install() -> bool:
    """Make WeasyPrint draw single-position SVG labels as one run (idempotent); return whether it could.

    WeasyPrint dispatches SVG tags through `weasyprint.svg.TAGS` and recognises text elements (for
    text-anchor) by comparing with `weasyprint.svg.text`: both are pointed at the one-run drawing.
    """
    import weasyprint.svg as svg

    draw = getattr(svg, "text", None)
    tags = getattr(svg, "TAGS", None)
    if draw is None or not isinstance(tags, dict) or not callable(draw):
        return False
    if getattr(draw, "one_run", False):
        return True
    if any(tags.get(tag) is not draw for tag in ("text", "tspan")):
        return False  # not the text drawing this module knows
    ours = one_run_text(draw)
    for tag, drawing in list(tags.items()):
        if drawing is draw:
            tags[tag] = ours
    svg.text = ours
    return True
