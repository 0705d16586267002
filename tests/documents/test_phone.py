"""The e-mail briefing and the web report on a phone: measured in a real headless Chromium at phone widths."""

from __future__ import annotations

import base64
import os
import shutil
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest

from tests.documents.test_archive import CHROMIUM, Browser, opened_browser

PHONES = (320, 360, 390, 479)  # phone widths below 480 px: an iPhone SE (1st gen), the narrowest common
# Android, a current iPhone


def email_html(eml: Path) -> str:
    """Return the HTML part of a briefing with its cid: images inlined, as a mail client shows it."""
    msg = BytesParser(policy=policy.default).parsebytes(eml.read_bytes())
    assert isinstance(msg, EmailMessage)
    html = ""
    images: dict[str, bytes] = {}
    for part in msg.walk():
        if part.get_content_type() == "text/html":
            html = part.get_content()
        elif part.get_content_type() == "image/png":
            images[part["Content-ID"].strip("<>")] = part.get_content()
    assert html and images
    for cid, png in images.items():
        html = html.replace(f"cid:{cid}", "data:image/png;base64," + base64.b64encode(png).decode("ascii"))
    return html


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's /usr/bin/chromium")
    with opened_browser(tmp_path) as b:
        yield b


def page_width(browser: Browser, url: str, width: int) -> int:
    """Return how wide a page lays out in a viewport `width` px wide (wider than the viewport = side-scrolling)."""
    browser.call(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": True},
        page=True,
    )
    browser.open(url)
    value = browser.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")
    return int(value)


def _shot(browser: Browser, name: str, tmp_path: Path) -> None:
    folder = Path(os.environ.get("REPORTGEN_SCREENSHOT_DIR", tmp_path))
    browser.call(
        "Emulation.setDeviceMetricsOverride",
        {"width": 390, "height": 2400, "deviceScaleFactor": 1, "mobile": True},
        page=True,
    )
    assert len(browser.screenshot(folder / name)) > 5000  # a rendered page, not a blank one


@pytest.mark.browser
def test_the_email_fits_a_phone_without_side_scrolling(
    second_month: Path, browser: Browser, tmp_path: Path
) -> None:
    page = tmp_path / "briefing.html"
    page.write_text(email_html(second_month / "briefing.eml"), encoding="utf-8")
    widths = {w: page_width(browser, page.as_uri(), w) for w in PHONES}
    assert all(laid <= w for w, laid in widths.items()), widths
    # the headline figures stack onto more than one line below 480 px (they are side by side on a desktop)
    tops = browser.evaluate(
        "Array.from(document.querySelectorAll('[data-kpi]')).map(e => e.getBoundingClientRect().top)"
    )
    assert len(tops) >= 3 and len(set(tops)) >= 2, tops
    _shot(browser, "briefing-390.png", tmp_path)


def _key_traits_fit_the_phone(browser: Browser) -> None:
    """Check every segment's key traits show as bars wholly in view at 390 px: no sideways scrolling, each
    label and ratio readable, each bar on the side of the 1x line its ratio says."""
    browser.call(
        "Emulation.setDeviceMetricsOverride",
        {"width": 390, "height": 900, "deviceScaleFactor": 1, "mobile": True},
        page=True,
    )
    pages = browser.evaluate(
        "Array.from(document.querySelectorAll('section.segment')).filter(s => s.querySelector('table.traits'))"
        ".map(s => { const drawn = s.querySelector('figure.chart'); const bars = s.querySelector('.trait-bars');"
        " return {drawn: drawn ? drawn.getBoundingClientRect().height : 0, rows: bars ? Array.from("
        "bars.querySelectorAll('li')).map(li => { const r = e => li.querySelector(e).getBoundingClientRect();"
        " const fill = r('.trait-bar-fill'), one = r('.trait-bar-one'), value = li.querySelector('.trait-bar-value');"
        " return {right: Math.max(r('.trait-bar-label').right, value.getBoundingClientRect().right),"
        " fill: [fill.left, fill.right, fill.width], one: one.left + one.width / 2, ratio: value.textContent,"
        " label: parseFloat(getComputedStyle(value).fontSize)}; }) : []}; })"
    )
    assert pages, "expected segment pages with key traits"
    for page in pages:
        assert page["drawn"] == 0 and page["rows"], page  # the drawn chart gives way to the bars
        for row in page["rows"]:
            assert row["right"] <= 390 and row["label"] >= 11, row
            left, right, width = row["fill"]
            assert width >= 2, row
            ratio = float(row["ratio"].lstrip("<>").rstrip("x"))
            if ratio > 1:
                assert abs(left - row["one"]) <= 1.5, row  # starts at the 1x line, to the right
            elif ratio < 1:
                assert abs(right - row["one"]) <= 1.5, row


@pytest.mark.browser
def test_the_web_report_fits_a_phone_and_wide_tables_scroll_inside_the_page(
    second_month: Path, browser: Browser, tmp_path: Path
) -> None:
    page = tmp_path / "report.html"
    shutil.copyfile(second_month / "report.html", page)
    widths = {w: page_width(browser, page.as_uri(), w) for w in (320, 390)}
    assert all(laid <= w for w, laid in widths.items()), widths
    # a table wider than the phone scrolls inside its own box, with the first column kept in view
    wide = browser.evaluate(
        "Array.from(document.querySelectorAll('table.data')).filter(t => t.scrollWidth > t.parentElement.clientWidth"
        " + 1).map(t => [getComputedStyle(t.parentElement).overflowX,"
        " getComputedStyle(t.querySelector('tbody tr > :first-child')).position])"
    )
    assert wide, "expected the profile table to be wider than a phone"
    assert all(box in ("auto", "scroll") and first == "sticky" for box, first in wide), wide
    # F19/F5: the key figures, the movement matrix, the heatmap and the k table scroll in a box and keep every
    # number and heading on one line ("1,185", not "1,1 / 85"; "<0.01x", not "<0.01 / x")
    unscrolled = browser.evaluate(
        "['table.key-figures', 'table.moves-table', 'table.heat-table', 'table.candidates']"
        ".filter(s => { const t = document.querySelector(s); return !t || !t.parentElement.classList"
        ".contains('table-scroll'); })"
    )
    assert not unscrolled, unscrolled
    wrapping = browser.evaluate(
        "Array.from(document.querySelectorAll('.table-scroll table.data td.num, .table-scroll table.data th'))"
        ".filter(c => !c.closest('table.overview-table') && getComputedStyle(c).whiteSpace !== 'nowrap')"
        ".map(c => c.textContent.trim()).slice(0, 5)"
    )
    assert not wrapping, wrapping
    # a chart keeps a legible width and scrolls in its own box rather than shrinking its labels
    charts = browser.evaluate(
        "Array.from(document.querySelectorAll('figure.chart .chart-body')).filter(b => !b.closest('.segment'))"
        ".map(b => [b.getBoundingClientRect().width, getComputedStyle(b.parentElement).overflowX])"
    )
    assert charts and all(w >= 450 and box in ("auto", "scroll") for w, box in charts), charts
    # and says so (review3 F9): each chart wider than the screen shows a "swipe sideways" line
    hinted = (
        "Array.from(document.querySelectorAll('figure.chart'))"
        ".filter(f => !f.closest('.segment') && f.querySelector('.chart-body'))"  # the drawn ones, not tables
    )
    shown = ".map(f => [f.scrollWidth > f.clientWidth + 1, getComputedStyle(f.querySelector('.swipe-hint')).display])"
    swipes = browser.evaluate(hinted + shown)
    assert swipes and all(wider and display != "none" for wider, display in swipes), swipes
    _key_traits_fit_the_phone(browser)
    _shot(browser, "report-390.png", tmp_path)
    # on a desktop every chart fits its box: no hint
    page_width(browser, page.as_uri(), 1366)
    swipes = browser.evaluate(hinted + shown)
    assert swipes and all(not wider and display == "none" for wider, display in swipes), swipes
