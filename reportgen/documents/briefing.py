"""The e-mail briefing: its prepared content and a deterministic MIME message (briefing.eml)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import Any

from reportgen.documents.archive import PageColours, page_colours
from reportgen.documents.formats import DASH, current_locale, environment, month_label, percent, thousands
from reportgen.documents.labels import value_label as value_measure
from reportgen.documents.report_model.storyline import count_change, headline_change
from reportgen.documents.report_model.storyline import headline as key_message_of
from reportgen.errors import InputError
from reportgen.model import Analysis, ChartImage, SegmentChange, spend_share, top_actions
from reportgen.period import Period

MAX_HTML_BYTES = 100_000  # what mail clients and gateways handle without clipping, before images


@dataclass(frozen=True)
class BriefingSegment:
    id: int
    name: str
    size: int
    share: float
    change: str | None  # "-30 (-4%)" against the previous period, "new"; None in a first month
    action: str | None  # the segment's first recommendation title
    value_share: float | None = None  # of the value measure (`Briefing.value_label`); None without one
    category: str | None = None  # its strongest category lean: "99% Horeca channel vs 68% overall" (F32)


@dataclass(frozen=True)
class Briefing:
    """Everything the e-mail says, prepared: the templates only lay it out."""

    period: Period
    period_label: str  # "November 2026"
    subject: str
    title: str
    brand_name: str
    headline: tuple[tuple[str, str], ...]  # (label, formatted value)
    segments: tuple[BriefingSegment, ...]
    changes: tuple[str, ...]  # sentences on what changed since the previous period
    actions: tuple[str, ...]
    archive_url: str
    report_url: str  # the period's web report inside the archive
    colours: PageColours = field(default_factory=PageColours)
    verdict: str = ""  # how far to trust the segments, in one sentence (analysis.trust)
    preheader: str = ""  # the line a mail client shows after the subject in the inbox
    value_label: str | None = None  # "purchases": what `BriefingSegment.value_share` is a share of


def safe_url(url: str, key: str = "email.archive_url") -> str:
    """Return url if it is an absolute http(s) address, else raise InputError (no javascript:/file: links)."""
    cleaned = url.strip()
    if not cleaned.lower().startswith(("https://", "http://")) or any(c in cleaned for c in " \"'<>\n\r\t"):
        raise InputError(f"{key}: expected an absolute http:// or https:// address, got {url!r}")
    return cleaned


def briefing_colours(colors: Mapping[str, str] | None) -> PageColours:
    """Return the e-mail palette from brand role colours (the archive page's palette)."""
    return page_colours(colors)


def briefing_content(
    analysis: Analysis,
    period: Period,
    *,
    brand_name: str,
    archive_url: str,
    title: str = "Customer Segmentation Report",
    changes: Sequence[SegmentChange] = (),
    change_sentences: Sequence[str] = (),
    colors: Mapping[str, str] | None = None,
    max_actions: int = 3,
    labels: Mapping[str, str] | None = None,
) -> Briefing:
    """Return the briefing's prepared content for one analysed period; `labels`: the `[data] labels`."""
    archive = safe_url(archive_url)
    base = archive if archive.endswith("/") else archive + "/"
    label = month_label(period)
    profiles = sorted(analysis.profiles, key=lambda p: (-p.size, p.id))
    by_id = {c.id: c for c in changes}
    value_key = next((k for p in profiles if (k := spend_share(p)[0]) is not None), None)
    value_label = value_measure(analysis, labels or {}).lower() if value_key else None
    leans = analysis.categories.highlights if analysis.categories is not None else {}
    segments = []
    for p in profiles:
        change = by_id.get(p.id)
        recs = analysis.recommendations_for(p.id)
        segments.append(
            BriefingSegment(
                id=p.id,
                name=p.name,
                size=p.size,
                share=p.share,
                change=_change_text(change),
                action=recs[0].title if recs else None,
                value_share=p.value_shares.get(value_key) if value_key else None,
                category=next((h.text for h in leans.get(p.id, ())), None),
            )
        )
    customers = analysis.features.quality.customers
    largest = profiles[0] if profiles else None
    top = _top_value(tuple(segments))
    news = headline_change(changes, analysis.history.redefined_ids() if analysis.history else ())
    headline: list[tuple[str, str]] = [
        ("Customers", thousands(customers) + (f" ({_customers_change(changes)})" if changes else "")),
        ("Largest segment", f"{largest.name} ({_pct(largest.share)})" if largest else DASH),
    ]
    if top is not None and value_label:
        headline.append((f"Top share of {value_label}", f"{top.name} ({_pct(top.value_share)})"))
    if news is not None:
        headline.append(_news_figure(*news))
    else:
        headline.append(("Segments", thousands(len(profiles))))
    top_list = top_actions(analysis.profiles, analysis.recommendations, max_actions)
    actions = tuple(
        f"{p.name}: {rec.title}"
        + (f". At stake: {rec.value_at_stake}. KPI: {rec.kpi}" if rec.value_at_stake else "")
        for p, rec in top_list
    )
    preheader = change_sentences[0] if change_sentences else ""
    if top_list:
        first, rec = top_list[0]
        preheader = (preheader + " " if preheader else "") + f"Top action: {rec.title} ({first.name})."
    return Briefing(
        period=period,
        period_label=label,
        subject=briefing_subject(label, key_message_of(analysis, labels or {}) if profiles else None, news),
        preheader=preheader,
        value_label=value_label,
        title=title,
        brand_name=brand_name,
        headline=tuple(headline),
        segments=tuple(segments),
        changes=tuple(change_sentences),
        actions=actions,
        archive_url=base,
        report_url=f"{base}{period}/report.html",
        colours=briefing_colours(colors),
        verdict=analysis.trust.verdict if analysis.trust is not None else "",
    )


def _pct(share: float | None) -> str:
    return percent(share, 0)


def _count_change(change: SegmentChange) -> str:
    """Return a segment's change in customers with its relative size: "-30 (-4%)", "+5 (+1%)", "new"."""
    if change.new:
        return "new"
    if change.size_change is None:
        return DASH
    return count_change(change.size_change, change.previous_size)


def _customers_change(changes: Sequence[SegmentChange]) -> str:
    # the base's change: this month's customers against last month's, summed over the segments
    before = sum(c.previous_size or 0 for c in changes)
    after = sum(c.size for c in changes)
    diff = after - before
    # with its relative size, as on the cover; a comma, as it is already in brackets: "3,015 (+15, +0.5%)"
    return count_change(diff, before, bracketed=False)


def _change_text(change: SegmentChange | None) -> str | None:
    if change is None:
        return None
    return "new this month" if change.new else _count_change(change)


def _top_value(segments: tuple[BriefingSegment, ...]) -> BriefingSegment | None:
    valued = [s for s in segments if s.value_share is not None]
    return max(valued, key=lambda s: (s.value_share or 0.0, s.size, -s.id)) if valued else None


def _news_figure(change: SegmentChange, kind: str) -> tuple[str, str]:
    """Return the headline's news: a new or redefined segment with its share, else the largest change."""
    if kind == "new":
        return ("New segment", f"{change.name} ({_pct(change.share)} of customers)")
    if kind == "redefined":
        return ("Redefined segment", f"{change.name} ({_pct(change.share)} of customers)")
    return ("Largest change in customers", f"{change.name} {_count_change(change)}")


def briefing_subject(label: str, message: str | None, news: tuple[SegmentChange, str] | None) -> str:
    """Return a subject that carries the report's key message and the news: "November 2026 – High spenders:
    12% of customers make 65% of purchases; Moderate spenders -30 (-4%)", or "...; new segment: Full payers
    (10% of customers)"."""
    if message is None:
        return f"{label}: customer segments"
    subject = f"{label} – {message}"
    if news is not None:
        change, kind = news
        if kind == "change":
            subject += f"; {change.name} {_count_change(change)}"
        else:
            subject += f"; {kind} segment: {change.name} ({_pct(change.share)} of customers)"
    return subject


def briefing_html(briefing: Briefing, charts: Sequence[ChartImage]) -> str:
    """Return the HTML part: table layout, inline styles, images only by cid:, no scripts."""
    template = environment(current_locale()).get_template("briefing.html.j2")
    html = template.render(b=briefing, charts=[_chart_view(c, briefing.period) for c in charts])
    size = len(html.encode("utf-8"))
    if size > MAX_HTML_BYTES:
        raise ValueError(f"briefing HTML is {size:,} bytes; mail clients clip above {MAX_HTML_BYTES:,}")
    return html


def briefing_text(briefing: Briefing) -> str:
    """Return the plain-text part of the briefing."""
    return environment(current_locale()).get_template("briefing.txt.j2").render(b=briefing)


def _chart_view(chart: ChartImage, period: Period) -> dict[str, Any]:
    if chart.png is None:
        raise ValueError(f"chart {chart.name!r} has no PNG; e-mail clients do not render SVG")
    width = min(560, round(chart.width)) if chart.width else 560
    height = round(chart.height * width / chart.width) if chart.width and chart.height else None
    return {
        "cid": _content_id(chart.name, period),
        "alt": chart.alt,
        "title": chart.title,
        "w": width,
        "h": height,
    }


def _content_id(name: str, period: Period) -> str:
    safe = "".join(c if c.isalnum() or c in "-." else "-" for c in name)
    return f"chart-{safe}.{period}@reportgen"


def briefing_date(period: Period) -> datetime:
    """Return the briefing's Date: the first day after the period, 08:00 UTC (derived, never the clock)."""
    day = period.next.first_day
    return datetime(day.year, day.month, day.day, 8, 0, tzinfo=UTC)


def briefing_message(
    briefing: Briefing,
    charts: Sequence[ChartImage],
    pdf: bytes,
    sender: str,
    recipients: Sequence[str],
) -> EmailMessage:
    """Return the briefing as MIME: text + HTML alternatives, charts by cid:, the PDF attached."""
    html = briefing_html(briefing, charts)
    text = briefing_text(briefing)
    msg = EmailMessage(policy=policy.SMTP)
    msg["Subject"] = briefing.subject
    msg["From"] = formataddr((briefing.brand_name, sender))
    msg["To"] = ", ".join(recipients)
    msg["Date"] = format_datetime(briefing_date(briefing.period))
    # content-derived: the same run gives the same id, a changed report a new one
    digest = hashlib.sha256()
    for piece in (briefing.subject, text, html):
        digest.update(piece.encode("utf-8"))
    for blob in (*(c.png or b"" for c in charts), pdf):
        digest.update(blob)
    domain = sender.rpartition("@")[2] or "reportgen.invalid"
    msg["Message-ID"] = f"<briefing.{briefing.period}.{digest.hexdigest()[:20]}@{domain}>"
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Reportgen-Period"] = str(briefing.period)
    msg.set_content(text, subtype="plain", charset="utf-8")
    msg.add_alternative(html, subtype="html", charset="utf-8")
    html_part = next(p for p in msg.walk() if p.get_content_type() == "text/html")
    assert isinstance(html_part, EmailMessage)
    for chart in charts:
        assert chart.png is not None  # checked by briefing_html
        html_part.add_related(
            chart.png,
            maintype="image",
            subtype="png",
            cid=f"<{_content_id(chart.name, briefing.period)}>",
            filename=f"{chart.name}.png",
            disposition="inline",
        )
    msg.add_attachment(
        pdf,
        maintype="application",
        subtype="pdf",
        filename=f"customer-segments-{briefing.period}.pdf",
    )
    # the email package picks random boundaries; fixed ones keep briefing.eml byte-identical across runs
    for index, part in enumerate(msg.walk()):
        if part.is_multipart():
            part.set_boundary(f"=_reportgen_{index}_{digest.hexdigest()[:24]}")
    return msg


def eml_bytes(message: EmailMessage) -> bytes:
    """Return the message as .eml bytes with CRLF line ends, ready to send as is."""
    return message.as_bytes(policy=policy.SMTP)
