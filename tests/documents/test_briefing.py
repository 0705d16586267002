"""The e-mail briefing: content from the analysis, deterministic MIME, nothing injectable."""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import replace
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from types import SimpleNamespace
from typing import Any

import pytest

from reportgen.analysis.stability import segmentation_trust
from reportgen.documents.briefing import (
    MAX_HTML_BYTES,
    Briefing,
    BriefingSegment,
    briefing_colours,
    briefing_content,
    briefing_message,
    briefing_text,
    eml_bytes,
    safe_url,
)
from reportgen.documents.report_model.storyline import count_delta
from reportgen.errors import InputError
from reportgen.model import ChartImage, FeatureStat, Recommendation, SegmentChange, SegmentProfile
from reportgen.period import Period

PDF = b"%PDF-1.7\n% a tiny stand-in report\n%%EOF\n"


def tiny_png(width: int = 4, height: int = 3) -> bytes:
    """Return a valid RGB PNG (a few grey pixels), built by hand."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x80\x80\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


CHARTS = (
    ChartImage(
        name="sizes",
        title="Segment sizes",
        alt="Bar chart: High spenders 12%, Savers 88%.",
        png=tiny_png(),
        width=560,
        height=300,
    ),
    ChartImage(
        name="migration",
        title="Movement",
        alt="Heatmap: 312 customers moved from Savers to High spenders.",
        png=tiny_png(5, 5),
        width=560,
        height=400,
    ),
)


def briefing(**changes: Any) -> Briefing:
    base = Briefing(
        period=Period(2026, 11),
        period_label="November 2026",
        subject="Customer segments: November 2026",
        title="Customer Segmentation Report",
        brand_name="Meridian Analytics",
        headline=(
            ("Customers", "8,950"),
            ("Segments", "2"),
            ("Largest segment", "Savers (88%)"),
            ("Separation (silhouette)", "0.21"),
        ),
        segments=(
            BriefingSegment(
                id=1, name="Savers", size=7876, share=0.88, change="-40 customers", action="Nudge to spend"
            ),
            BriefingSegment(
                id=0,
                name="High spenders",
                size=1074,
                share=0.12,
                change="+40 customers",
                action="Reward loyalty",
            ),
        ),
        changes=("Since October 2026, 8,682 customers stayed on the books, 300 joined and 268 left.",),
        actions=("High spenders: Reward loyalty", "Savers: Nudge to spend"),
        archive_url="https://intranet.example.com/segments/",
        report_url="https://intranet.example.com/segments/2026-11/report.html",
        colours=briefing_colours({"primary": "#14426b"}),
    )
    return replace(base, **changes)


def message(
    b: Briefing | None = None, recipients: tuple[str, ...] = ("lead@example.com", "cfo@example.com")
) -> EmailMessage:
    return briefing_message(b or briefing(), CHARTS, PDF, "reports@example.com", recipients)


def parsed(raw: bytes) -> EmailMessage:
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(msg, EmailMessage)
    return msg


def check_briefing(msg: EmailMessage) -> None:
    """Assert what a mail client needs: alternatives, cid images with alt text, the PDF attached."""
    assert msg["Subject"] == "Customer segments: November 2026"
    assert msg.get_content_type() == "multipart/mixed"
    alternative, attachment = msg.get_payload()  # type: ignore[misc]
    assert alternative.get_content_type() == "multipart/alternative"
    plain, related = alternative.get_payload()
    assert plain.get_content_type() == "text/plain"
    assert related.get_content_type() == "multipart/related"
    html_part, *images = related.get_payload()
    assert html_part.get_content_type() == "text/html"
    html = html_part.get_content()
    cids = {img["Content-ID"].strip("<>"): img for img in images}
    referenced = re.findall(r'src="cid:([^"]+)"', html)
    assert referenced and sorted(referenced) == sorted(cids)
    for img in images:
        assert img.get_content_type() == "image/png"
        assert img.get_content().startswith(b"\x89PNG")
    for chart in CHARTS:
        assert f'alt="{chart.alt}"' in html
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "customer-segments-2026-11.pdf"
    assert attachment.get_content() == PDF
    assert "Savers: 7,876 customers" in plain.get_content()


def test_briefing_has_text_html_cid_charts_and_the_pdf() -> None:
    check_briefing(parsed(eml_bytes(message())))


def test_briefing_html_follows_what_mail_clients_render() -> None:
    msg = parsed(eml_bytes(message()))
    html = next(p for p in msg.walk() if p.get_content_type() == "text/html").get_content()
    assert len(html.encode("utf-8")) < MAX_HTML_BYTES
    lowered = html.lower()
    for banned in ("<script", "<svg", "data:", "<style", "<link", "javascript:", "@import"):
        assert banned not in lowered, banned
    assert "<table" in lowered and 'style="' in lowered
    srcs = re.findall(r'src="([^"]+)"', html)
    assert srcs and all(s.startswith("cid:") for s in srcs)
    hrefs = re.findall(r'href="([^"]+)"', html)
    assert hrefs == [
        "https://intranet.example.com/segments/2026-11/report.html",
        "https://intranet.example.com/segments/",
    ]


def test_same_briefing_gives_the_same_bytes() -> None:
    first, second = eml_bytes(message()), eml_bytes(message())
    assert first == second
    msg = parsed(first)
    assert msg["Date"] == "Tue, 01 Dec 2026 08:00:00 +0000"
    assert re.fullmatch(r"<briefing\.2026-11\.[0-9a-f]{20}@example\.com>", msg["Message-ID"])
    other = eml_bytes(message(briefing(changes=("Something else happened.",))))
    assert parsed(other)["Message-ID"] != msg["Message-ID"]
    assert b"\r\n" in first and b"\n" not in first.replace(b"\r\n", b"")


def test_names_from_data_cannot_inject_markup() -> None:
    evil = briefing(
        brand_name='Evil <img src="http://x/">',
        segments=(
            BriefingSegment(
                id=0, name="<script>alert(1)</script>", size=1, share=1.0, change=None, action=None
            ),
        ),
        colours=briefing_colours({"primary": "red;background:url(http://x/)"}),
    )
    html = next(
        p for p in parsed(eml_bytes(message(evil))).walk() if p.get_content_type() == "text/html"
    ).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "http://x/" not in html.replace("&#34;http://x/&#34;", "")
    assert "url(" not in html


def test_archive_url_must_be_http() -> None:
    assert safe_url("https://intranet.example.com/segments/") == "https://intranet.example.com/segments/"
    for bad in (
        "javascript:alert(1)",
        "file:///etc/passwd",
        "intranet/segments",
        'https://x/"onmouseover="x',
    ):
        with pytest.raises(InputError, match=r"email\.archive_url"):
            safe_url(bad)


def test_briefing_content_from_an_analysis() -> None:
    def profile(id_: int, name: str, size: int) -> SegmentProfile:
        stats = {"PURCHASES": FeatureStat(mean=1.0, median=1.0, lift=1.0)}
        return SegmentProfile(
            id=id_,
            name=name,
            archetype="x",
            size=size,
            share=size / 100,
            stats=stats,
            value_shares={},
            traits=(),
        )

    profiles = (profile(0, "High spenders", 30), profile(1, "Savers", 70))
    recs = (Recommendation(segment_id=0, archetype="x", title="Reward loyalty", text="..."),)
    analysis = SimpleNamespace(
        profiles=profiles,
        recommendations=recs,
        recommendations_for=lambda i: tuple(r for r in recs if r.segment_id == i),
        features=SimpleNamespace(
            quality=SimpleNamespace(customers=100), input_features=(), raw=SimpleNamespace(columns=())
        ),
        segmentation=SimpleNamespace(silhouette=0.3123),
        trust=segmentation_trust(0.3123, 0.9, [0, 1], [0.9, 0.7]),
        history=None,
        categories=None,
    )
    changes = (
        SegmentChange(
            id=0,
            name="High spenders",
            size=30,
            share=0.3,
            new=False,
            previous_size=20,
            previous_share=0.2,
            size_change=10,
            figures=(),
        ),
        SegmentChange(
            id=1,
            name="Savers",
            size=70,
            share=0.7,
            new=True,
            previous_size=None,
            previous_share=None,
            size_change=None,
            figures=(),
        ),
    )

    def brief(**given: Any) -> Any:
        return briefing_content(
            analysis,  # type: ignore[arg-type]
            Period(2026, 11),
            brand_name="Meridian",
            archive_url="https://intranet.example.com/segments",
            **given,
        )

    b = brief(changes=changes, change_sentences=("One sentence.",))
    # the news in the subject: the largest segment (no value measure here) and the new segment
    assert (
        b.subject
        == "November 2026 – Savers: 70% of customers, the largest segment; new segment: Savers (70% of customers)"
    )
    assert b.report_url == "https://intranet.example.com/segments/2026-11/report.html"
    assert [s.name for s in b.segments] == ["Savers", "High spenders"]  # largest first
    assert [s.change for s in b.segments] == ["new this month", "+10 (+50%)"]
    assert dict(b.headline)["New segment"] == "Savers (70% of customers)"
    # without a new segment: the largest change in customers, by count (-30 beats +20, though +20 is +50%)
    matched = (
        replace(changes[0], size=60, previous_size=40, size_change=20),
        replace(changes[1], new=False, size=40, previous_size=70, previous_share=0.7, size_change=-30),
    )
    b2 = brief(changes=matched)
    assert b2.subject.endswith("; Savers -30 (-43%)")
    assert dict(b2.headline)["Largest change in customers"] == "Savers -30 (-43%)"
    assert b.preheader == "One sentence. Top action: Reward loyalty (High spenders)."
    # a small change reads as in the report ("+1 (+0.2%)", storyline.count_delta), not "+1 (<1%)"
    small = (
        replace(changes[0], size=541, previous_size=540, size_change=1),
        replace(changes[1], new=False, size=2474, previous_size=2460, previous_share=0.7, size_change=14),
    )
    b3 = brief(changes=small)
    assert [s.change for s in b3.segments] == ["+14 (+0.6%)", "+1 (+0.2%)"]
    assert [s.change for s in b3.segments] == [
        count_delta(c.size_change, c.previous_size).text.split(" ", 1)[1]  # type: ignore[union-attr]
        for c in (small[1], small[0])
    ]
    assert dict(b3.headline)["Customers"].endswith("(+15, +0.5%)")  # 3,015 against 3,000, as on the cover
    valued = replace(profiles[0], value_shares={"PURCHASES": 0.65})
    analysis.profiles = (valued, profiles[1])
    b = brief()
    # the report's key message, word for word (storyline.headline)
    assert b.subject == "November 2026 – High spenders: 30% of customers make 65% of purchases"
    assert [s.value_share for s in b.segments] == [None, 0.65] and b.value_label == "purchases"
    assert b.actions == ("High spenders: Reward loyalty",)
    assert b.verdict == "Weak separation, mostly stable segments: " + (
        "use them as a guide for messages and campaign tests; the groups overlap, so do not use them for "
        "eligibility rules or decisions about individual customers; check the fairly stable segments "
        "before acting on them."
    )
    assert b.verdict in briefing_text(b)
