"""Chart labels drawn a label at a time land where WeasyPrint's character-at-a-time drawing puts them."""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import weasyprint.svg
from pypdf import PdfReader
from weasyprint import HTML

from reportgen.documents import svg_text
from reportgen.documents.fonts import font_face_css
from reportgen.documents.pdf import shared_fonts

# labels as vl-convert writes them: anchored start / middle / end, a two-line label in tspans placed by dy,
# a rotated axis title (a transform: one position), and one with per-character rotation (WeasyPrint's own)
CHART = """<svg xmlns="http://www.w3.org/2000/svg" width="400" height="200">
<g font-family="Lato" font-size="11">
<text x="10" y="20">Cash advance</text>
<text x="200" y="40" text-anchor="middle">Heavy cash-advance users</text>
<text x="390" y="60" text-anchor="end">1/16x · 0.03x</text>
<text x="100" y="100" text-anchor="middle"><tspan x="100" dy="-1.1em">One-off</tspan><tspan x="100" dy="1.1em">buyers</tspan></text>
<text transform="translate(20,190) rotate(-90)">Customers</text>
<text x="250" y="150" rotate="10">Tilted</text>
</g></svg>"""


def _pdf(tmp_path: Path, name: str) -> Path:
    uri = "data:image/svg+xml;base64," + base64.b64encode(CHART.encode()).decode()
    html = (
        f'<html><head><style>{font_face_css(embed=False)}</style></head><body><img src="{uri}"></body></html>'
    )
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(HTML(string=html).write_pdf(font_config=shared_fonts(), uncompressed_pdf=True))
    return path


@contextmanager
def _drawing(one_run: bool) -> Iterator[None]:
    """Draw SVG text with the one-run drawing or with WeasyPrint's own, then restore what was installed."""
    assert svg_text.install()
    ours = weasyprint.svg.text
    own = ours.__wrapped__
    chosen = ours if one_run else own
    tags = {tag: f for tag, f in weasyprint.svg.TAGS.items() if f is ours}
    try:
        weasyprint.svg.text = chosen
        weasyprint.svg.TAGS.update({tag: chosen for tag in tags})
        yield
    finally:
        weasyprint.svg.text = ours
        weasyprint.svg.TAGS.update({tag: ours for tag in tags})


def _words(path: Path) -> list[tuple[str, float, float, float]]:
    out = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True)
    return [
        (html_word, float(x0), float(y0), float(x1))
        for x0, y0, x1, html_word in re.findall(
            r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>', out.stdout
        )
    ]


def _text_draws(path: Path) -> int:
    """Return the text-showing operators of the page (WeasyPrint draws an SVG image into it) and of the
    groups it draws anchored labels in."""

    def shown(data: bytes) -> int:
        return len(re.findall(rb"\bTj\b|\bTJ\b", data))

    def draws(resources: object) -> int:
        xobjects = resources.get("/XObject", {}) if isinstance(resources, dict) else {}
        total = 0
        for ref in xobjects.values():
            obj = ref.get_object()
            total += shown(obj.get_data())
            total += draws(obj.get("/Resources", {}))
        return total

    page = PdfReader(path).pages[0]
    return shown(page.get_contents().get_data()) + draws(page["/Resources"])


def test_a_label_with_one_position_is_one_run() -> None:
    assert svg_text.single_position({"x": "10", "y": "20"})
    assert svg_text.single_position({"x": "100", "dy": "-1.1em"})
    assert svg_text.single_position({})
    assert not svg_text.single_position({"x": "10 20 30", "y": "5"})
    assert not svg_text.single_position({"x": "10,20"})
    assert not svg_text.single_position({"x": "10", "rotate": "10"})
    assert not svg_text.single_position({"x": "10", "letter-spacing": "2"})
    assert not svg_text.single_position({"x": "10", "textLength": "80"})


def test_one_run_text_iterates_as_one_piece() -> None:
    run = svg_text.OneRun("Cash advance")
    assert list(run) == ["Cash advance"]
    assert run == "Cash advance" and len(run) == 12


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_labels_land_where_weasyprint_puts_them_with_fewer_text_draws(tmp_path: Path) -> None:
    with _drawing(one_run=False):
        own = _pdf(tmp_path, "own")
    with _drawing(one_run=True):
        ours = _pdf(tmp_path, "ours")
    own_words, our_words = _words(own), _words(ours)
    assert [w[0] for w in our_words] == [w[0] for w in own_words]
    assert {"Heavy", "cash-advance", "One-off", "buyers", "0.03x", "Customers", "Tilted"} <= {
        w[0] for w in our_words
    }
    for (word, *own_box), (_, *our_box) in zip(own_words, our_words, strict=True):
        # kerning across a run moves a word's end by a fraction of a point; its start stays
        assert all(abs(a - b) < 1.0 for a, b in zip(own_box, our_box, strict=True)), (word, own_box, our_box)
    # one text draw per label or line (the tilted label keeps one per character), not one per character
    assert _text_draws(ours) == 6 + len("Tilted")
    assert _text_draws(own) == sum(len(w[0]) for w in own_words)  # spaces are not drawn


def test_install_is_idempotent() -> None:
    assert svg_text.install() and svg_text.install()
    assert weasyprint.svg.TAGS["text"] is weasyprint.svg.text
    assert weasyprint.svg.TAGS["tspan"] is weasyprint.svg.text
    assert weasyprint.svg.text.__wrapped__.__module__ == "weasyprint.svg.text"
