"""The intranet archive: DIR/index.html lists every period; it works from any folder, fetching nothing outside."""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pytest

from reportgen.documents.archive import archive_entries, archive_index, safe_colour
from reportgen.documents.brand import load_brand
from reportgen.io.write import publish_period, write_atomic

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
PNG_1PX = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGNgYPgPAAEDAQAIicLsAAAAAElFTkSuQmCC"


def summary(period: str, customers: int, segments: list[tuple[str, int]], migration: bool = False) -> bytes:
    total = sum(size for _, size in segments)
    doc: dict[str, Any] = {
        "schema_version": 1,
        "period": period,
        "input": {"customers": customers},
        "quality": {"silhouette": 0.2134},
        "segments": [
            {"id": i, "name": name, "size": size, "share": size / total}
            for i, (name, size) in enumerate(segments)
        ],
    }
    if migration:
        doc["migration"] = {"from_period": "2026-10", "new_customers": 300, "lost_customers": 268}
    return json.dumps(doc).encode()


def report_html(label: str) -> bytes:
    """A stand-in self-contained report: inline CSS, inline SVG, an embedded PNG."""
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Report {label}</title>"
        "<style>body{font-family:sans-serif}</style></head><body>"
        f"<h1>Customer segments {label}</h1>"
        "<svg width='120' height='40'><rect width='120' height='40' fill='#14426b'/></svg>"
        f"<img alt='dot' src='data:image/png;base64,{PNG_1PX}'>"
        "<p><a href='../index.html'>Back to the archive</a></p></body></html>"
    ).encode()


def publish(out: Path, period: str, **kw: Any) -> None:
    label = period
    publish_period(
        out,
        period,
        {
            "summary.json": summary(period, **kw),
            "report.html": report_html(label),
            "report.pdf": b"%PDF-1.7\n%%EOF\n",
        },
    )


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    out = tmp_path / "output"
    publish(out, "2026-10", customers=8950, segments=[("High spenders", 409), ("Savers", 8541)])
    publish(
        out, "2026-11", customers=8982, segments=[("High spenders", 430), ("Savers", 8552)], migration=True
    )
    (out / ".staging-2026-12-abc").mkdir()  # a killed run's leftovers are never listed
    (out / "notes").mkdir()
    write_atomic(out / "index.html", archive_index(out, "Meridian Analytics").encode())
    return out


def test_index_lists_periods_newest_first_with_headline_figures(archive: Path) -> None:
    html = (archive / "index.html").read_text()
    assert [e.period for e in archive_entries(archive)] == ["2026-11", "2026-10"]
    assert html.index("November 2026") < html.index("October 2026")
    assert "8,982" in html and "8,950" in html
    assert "Savers" in html and "95.2%" in html  # largest segment and its share
    assert "Silhouette" not in html  # a statistician's number does not lead a manager's page
    assert "+300 new, 268 no longer in the extract" in html
    assert "2026-12" not in html and "notes" not in html
    # review3 F13: a table need not be monthly; the archive counts reports, not months
    assert "Since the previous report" in html and "first report" in html and "month</" not in html


def test_index_is_self_contained_with_relative_links_only(archive: Path) -> None:
    html = (archive / "index.html").read_text()
    links = re.findall(r'(?:href|src)="([^"]*)"', html)
    assert sorted(links) == sorted(
        ["2026-11/report.html", "2026-11/report.pdf", "2026-10/report.html", "2026-10/report.pdf"]
    )
    for banned in ("http:", "https:", "<script", "@import", "<link"):
        assert banned not in html.lower()
    assert re.findall(r"url\((?!\"data:font/ttf;base64,)", html) == []  # only the inline font
    for link in links:
        assert (archive / link).is_file()


def test_headline_is_the_top_value_segment_with_its_change_flags_and_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    doc = json.loads(summary("2026-11", customers=1000, segments=[("Savers", 700), ("High spenders", 200)]))
    doc["segments"][0].update(value_shares={"PURCHASES": 0.3}, size_change=-30, previous_size=730)
    doc["segments"][1].update(value_shares={"PURCHASES": 0.65}, size_change=-8, previous_size=208)
    doc["segments"].append({"id": 2, "name": "Newcomers", "size": 100, "share": 0.1, "new": True})
    doc["segment_matching"] = {"new": [2], "redefined": [0]}
    files = {"summary.json": json.dumps(doc).encode(), "briefing.eml": b"x", "segments.csv": b"x"}
    publish_period(out, "2026-11", files)
    entry = archive_entries(out)[0]
    assert entry.headline is not None and entry.headline.name == "High spenders"  # top value, not largest
    assert entry.new_segments == ("Newcomers",) and entry.redefined_segments == ("Savers",)
    brand = load_brand(ROOT / "brand" / "_brand.yml")
    html = archive_index(out, "Meridian Analytics", logo_src=brand.logo_src)
    text = re.sub(r"<[^>]+>", "", html)
    assert "High spenders: 65% of purchases from 22% of customers (-8 customers, -4%)" in " ".join(
        text.split()
    )
    assert "new: Newcomers" in text and "redefined: Savers" in text
    assert 'href="2026-11/briefing.eml"' in html and 'href="2026-11/segments.csv"' in html
    assert '<img src="data:image/' in html  # the brand logo, inline
    assert re.search(r"@font-face \{[^}]*font-family: \"Lato\"[^}]*data:font/ttf;base64", html)


def test_missing_files_and_damaged_summary_are_listed_not_fatal(tmp_path: Path) -> None:
    out = tmp_path / "out"
    publish_period(out, "2026-08", {"summary.json": b"{broken"})
    publish_period(out, "2026-09", {"summary.json": summary("2026-09", customers=5, segments=[("A", 5)])})
    html = archive_index(out, "Brand")
    assert "summary.json missing or unreadable" in html
    assert "no report files" in html
    assert 'href="2026-09/report.html"' not in html
    assert "No reports have been published yet" in archive_index(tmp_path / "empty", "Brand")


def test_names_and_colours_cannot_inject_markup_or_requests(tmp_path: Path) -> None:
    out = tmp_path / "out"
    evil = [("<script>alert(1)</script>", 5), ("B", 1)]
    publish_period(out, "2026-09", {"summary.json": summary("2026-09", customers=6, segments=evil)})
    html = archive_index(
        out,
        '<img src="http://x/">',
        title="</title><script>",
        colors={"primary": "red;background:url(http://x/)", "foreground": "#1f2933"},
    )
    assert "<script" not in html and "&lt;script&gt;" in html
    assert "<img" not in html and re.findall(r"url\((?!\"data:font/ttf;base64,)", html) == []
    assert safe_colour("#abc", "#000") == "#abc"
    assert safe_colour("expression(alert(1))", "#000") == "#000"


# ---- the archive in a real headless Chromium ------------------------------------------------------------


class Browser:
    """Headless Chromium driven over the DevTools pipe; every request outside `root` is blocked and kept."""

    def __init__(self, root: Path, profile: Path) -> None:
        self.root = root.resolve()
        self.requests: list[str] = []
        self.blocked: list[str] = []
        cmd_r, self._cmd_w = os.pipe()
        self._resp_r, resp_w = os.pipe()

        def wire_pipes() -> None:  # DevTools reads commands on fd 3 and writes replies on fd 4
            a = fcntl.fcntl(cmd_r, fcntl.F_DUPFD, 10)
            b = fcntl.fcntl(resp_w, fcntl.F_DUPFD, 10)
            os.dup2(a, 3)
            os.dup2(b, 4)

        flags = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--remote-debugging-pipe",
            "--window-size=1200,800",
            "about:blank",
        ]
        self.proc = subprocess.Popen(
            [str(CHROMIUM), *flags],
            preexec_fn=wire_pipes,
            close_fds=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(cmd_r)
        os.close(resp_w)
        self._buf = b""
        self._next = 0
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.call("Fetch.enable", {"patterns": [{"urlPattern": "*"}]}, page=True)
        self.call("Page.enable", {}, page=True)

    def _send(self, method: str, params: dict[str, Any], page: bool) -> int:
        self._next += 1
        msg: dict[str, Any] = {"id": self._next, "method": method, "params": params}
        if page:
            msg["sessionId"] = self.session
        os.write(self._cmd_w, json.dumps(msg).encode() + b"\0")
        return self._next

    def _receive(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buf:
            if time.monotonic() > deadline:
                raise TimeoutError("chromium did not answer in time")
            chunk = os.read(self._resp_r, 1 << 20)
            if not chunk:
                raise EOFError("chromium closed the DevTools pipe")
            self._buf += chunk
        raw, _, self._buf = self._buf.partition(b"\0")
        msg: dict[str, Any] = json.loads(raw)
        if msg.get("method") == "Fetch.requestPaused":
            self._gate(msg["params"])
        return msg

    def _inside(self, url: str) -> bool:
        parsed = urlparse(url)
        if parsed.scheme == "data":
            return True
        if parsed.scheme != "file":
            return False
        path = Path(os.path.normpath(unquote(parsed.path)))
        return path == self.root or self.root in path.parents

    def _gate(self, params: dict[str, Any]) -> None:
        url = params["request"]["url"]
        self.requests.append(url)
        if self._inside(url):
            self._send("Fetch.continueRequest", {"requestId": params["requestId"]}, page=True)
        else:
            self.blocked.append(url)
            self._send(
                "Fetch.failRequest",
                {"requestId": params["requestId"], "errorReason": "BlockedByClient"},
                True,
            )

    def call(self, method: str, params: dict[str, Any] | None = None, page: bool = False) -> dict[str, Any]:
        ident = self._send(method, params or {}, page)
        deadline = time.monotonic() + 30
        while True:
            msg = self._receive(deadline)
            if msg.get("id") == ident:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                result: dict[str, Any] = msg.get("result", {})
                return result

    def open(self, url: str) -> None:
        """Navigate and wait for the load event (sub-resources included)."""
        ident = self._send("Page.navigate", {"url": url}, page=True)
        deadline = time.monotonic() + 30
        loaded = navigated = False
        while not (loaded and navigated):
            msg = self._receive(deadline)
            if msg.get("id") == ident:
                assert "errorText" not in msg.get("result", {}), msg
                navigated = True
            loaded = loaded or msg.get("method") == "Page.loadEventFired"

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True}, page=True)
        return result["result"].get("value")

    def screenshot(self, path: Path) -> bytes:
        data = base64.b64decode(self.call("Page.captureScreenshot", {"format": "png"}, page=True)["data"])
        path.write_bytes(data)
        return data

    def close(self) -> None:
        with contextlib.suppress(EOFError, OSError, TimeoutError):
            self.call("Browser.close")
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._cmd_w)
        os.close(self._resp_r)


@contextlib.contextmanager
def opened_browser(root: Path) -> Iterator[Browser]:
    """Yield a headless Chromium serving `root`, with a fresh profile deleted afterwards."""
    profile = Path(tempfile.mkdtemp(prefix="chromium-profile-"))
    b = Browser(root, profile)
    try:
        yield b
    finally:
        b.close()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def copied(archive: Path, tmp_path: Path) -> Path:
    """The archive copied as is to another place, as an intranet share would hold it."""
    target = tmp_path / "share" / "segments"
    shutil.copytree(archive, target)
    return target


@pytest.fixture
def browser(copied: Path) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's /usr/bin/chromium")
    with opened_browser(copied) as b:
        yield b


@pytest.mark.browser
def test_archive_renders_in_chromium_and_fetches_nothing_outside(
    browser: Browser, copied: Path, tmp_path: Path
) -> None:
    index = (copied / "index.html").as_uri()
    browser.open(index)
    assert browser.evaluate("document.title") == "Customer Segmentation Report archive · Meridian Analytics"
    rows = browser.evaluate("Array.from(document.querySelectorAll('tbody tr')).map(r => r.innerText)")
    assert len(rows) == 2 and rows[0].startswith("November 2026") and rows[1].startswith("October 2026")
    links = browser.evaluate("Array.from(document.links).map(a => a.href)")
    assert len(links) == 4
    shot = browser.screenshot(
        Path(os.environ.get("REPORTGEN_SCREENSHOT_DIR", tmp_path)) / "archive-index.png"
    )
    assert len(shot) > 5000  # a rendered page, not a blank one

    for link in links:
        path = Path(unquote(urlparse(link).path))
        assert path.is_file() and copied in path.parents, link
        if path.suffix == ".html":
            browser.open(link)
            assert browser.evaluate("document.title") == f"Report {path.parent.name}"
            images = browser.evaluate(
                "Array.from(document.images).map(i => i.complete && i.naturalWidth > 0)"
            )
            assert images == [True]
            back = browser.evaluate("document.querySelector('a').href")
            assert back == index

    assert browser.blocked == []
    assert browser.requests and all(browser._inside(u) for u in browser.requests)


@pytest.mark.browser
def test_the_browser_check_catches_requests_leaving_the_folder(browser: Browser, copied: Path) -> None:
    probe = copied / "probe.html"
    probe.write_text('<img src="https://example.com/x.png"><img src="../outside.png">', encoding="utf-8")
    browser.open(probe.as_uri())
    assert sorted(browser.blocked) == sorted(
        ["https://example.com/x.png", (copied.parent / "outside.png").as_uri()]
    )
