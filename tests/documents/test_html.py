"""The report's HTML: golden file (stylesheet scrubbed), self-containment, escaping."""

from __future__ import annotations

import os
import re
from html.parser import HTMLParser

import pytest

from reportgen.config import DEFAULT_BRAND, TEMPLATES_DIR
from reportgen.documents.brand import Brand, load_brand
from reportgen.documents.html import render_html
from tests.conftest import ROOT
from tests.documents.test_report_model import SEGMENTS, sample_model

GOLDEN = ROOT / "tests" / "golden" / "report.html"


ACTUAL = ROOT / "tests" / "actual" / "report.html"


def scrubbed(html: str) -> str:
    """Return the HTML with volatile or bulky parts replaced by placeholders: base64 payloads and the
    stylesheet (fonts, brand colours, templates/report.css), so a CSS change does not rewrite the golden."""
    html = re.sub(
        r"<style>.*?</style>",
        "<style>/* stylesheet: see test_html_carries_its_stylesheet */</style>",
        html,
        flags=re.S,
    )
    return re.sub(r"(data:[a-z/+.-]+;base64,)[A-Za-z0-9+/=]+", r"\1...", html)


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href", "xlink:href", "action", "srcset", "poster", "data", "background"):
                self.refs.append((tag, name, value or ""))


@pytest.fixture(scope="module")
def html() -> str:
    return render_html(sample_model(), target="html")


def test_html_matches_golden_file(html: str) -> None:
    got = scrubbed(html)
    if os.environ.get("REPORTGEN_UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(got, encoding="utf-8")
    assert GOLDEN.exists(), f"{GOLDEN} is missing; create it with `make golden`"
    if got != GOLDEN.read_text(encoding="utf-8"):
        # coverage.py's habit: the actual file beside the expected one, to diff (tests/actual is gitignored)
        ACTUAL.parent.mkdir(parents=True, exist_ok=True)
        ACTUAL.write_text(got, encoding="utf-8")
        pytest.fail(f"HTML changed (actual file: {ACTUAL}); run `make golden` if intended")


def test_html_carries_its_stylesheet(html: str) -> None:
    # the golden file leaves the stylesheet out: check here that the page is styled and self-contained
    style = html[html.index("<style>") : html.index("</style>")]
    assert (TEMPLATES_DIR / "report.css").read_text(encoding="utf-8") in style
    assert "@font-face" in style and "--primary:" in style


def test_html_is_the_same_twice(html: str) -> None:
    assert render_html(sample_model(), target="html") == html


def test_html_has_every_section_and_segment(html: str) -> None:
    for text in ("Executive summary", "Segment overview", "Methodology", "Appendix", "Reproducibility"):
        assert text in html
    for name, *_ in SEGMENTS.values():
        assert f">{name}<" in html
    assert "November 2026" in html
    assert "Do the first thing for Big spenders." in html


def test_the_k_section_says_the_number_of_segments_once(html: str) -> None:
    section = html[html.index('id="choosing-k"') :]
    paragraph = section[section.index("<p>") : section.index("</p>")]
    assert paragraph.count("3 segments") == 1 and "chosen automatically" not in paragraph


def test_actions_show_their_kpi_and_value_at_stake(html: str) -> None:
    segment_page = html[html.index('id="segment-0"') :]
    summary = html[html.index("Top actions") :]
    for part in (segment_page, summary):
        assert "KPI: Purchases per customer in" in part and "At stake: 1" in part


def test_html_fetches_nothing(html: str) -> None:
    parser = _References()
    parser.feed(html)
    for tag, attr, value in parser.refs:
        assert value.startswith(("#", "data:")), f"<{tag} {attr}={value[:60]!r}> refers outside the file"
    assert not {"script", "link", "iframe", "object", "embed", "base"} & set(parser.tags)
    urls = re.findall(r"url\(\s*['\"]?([^'\")]*)", html)
    assert urls and all(u.startswith(("data:", "#")) for u in urls)
    assert "@import" not in html
    assert "file:" not in html  # no file URL of any kind
    # fonts, styles and images are inline
    assert html.count("@font-face") >= 4 and "data:font/ttf;base64," in html
    assert "data:image/png;base64," in html and "<svg" in html


def test_pdf_target_has_page_numbers_in_contents_and_uses_font_files() -> None:
    html = render_html(sample_model(), target="pdf")
    assert 'class="target-pdf"' in html
    assert "target-counter" in html
    assert "font_lato" in html and "data:font/ttf" not in html


def test_injected_title_and_brand_name_are_escaped() -> None:
    brand = load_brand(DEFAULT_BRAND)
    evil_brand = Brand(
        name="<img src=x onerror=alert(1)>",
        logo=brand.logo,
        logo_mime=brand.logo_mime,
        colors=brand.colors,
        palette=brand.palette,
        font_family=brand.font_family,
    )
    for target in ("html", "pdf"):
        html = render_html(sample_model("<script>alert(1)</script>", evil_brand), target=target)
        assert "<script>alert(1)" not in html
        assert "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_render_refuses_unknown_target() -> None:
    with pytest.raises(ValueError, match="target"):
        render_html(sample_model(), target="docx")  # type: ignore[arg-type]
