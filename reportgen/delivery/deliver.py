"""The e-mail briefing: a deterministic MIME message (briefing.eml) and its delivery over SMTP, once."""

from __future__ import annotations

import hashlib
import json
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import Any

from reportgen.analysis.recommend import top_actions
from reportgen.config import EmailConfig
from reportgen.documents.archive import PageColours, page_colours, template_environment
from reportgen.documents.formats import month_label
from reportgen.errors import DeliveryError, InputError
from reportgen.io.write import write_atomic
from reportgen.model import Analysis, ChartImage, SegmentChange

BRIEFING_FILE = "briefing.eml"
SENT_FILE = "sent.json"
MAX_HTML_BYTES = 100_000  # what mail clients and gateways handle without clipping, before images
_LOOPBACK = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class BriefingSegment:
    id: int
    name: str
    size: int
    share: float
    change: str | None  # "+120 since October 2026", None in a first month
    action: str | None  # the segment's first recommendation title


@dataclass(frozen=True)
class Briefing:
    """Everything the e-mail says, prepared: the templates only lay it out."""

    period: str
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


@dataclass(frozen=True)
class SendResult:
    period_dir: Path
    sent: bool
    message_id: str
    recipients: tuple[str, ...]
    message: str  # one line for the user


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
    period: str,
    *,
    brand_name: str,
    archive_url: str,
    title: str = "Customer Segmentation Report",
    changes: Sequence[SegmentChange] = (),
    change_sentences: Sequence[str] = (),
    colors: Mapping[str, str] | None = None,
    max_actions: int = 3,
) -> Briefing:
    """Return the briefing's prepared content for one analysed period."""
    archive = safe_url(archive_url)
    base = archive if archive.endswith("/") else archive + "/"
    label = month_label(period)
    profiles = sorted(analysis.profiles, key=lambda p: (-p.size, p.id))
    by_id = {c.id: c for c in changes}
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
            )
        )
    customers = analysis.features.quality.customers
    silhouette = analysis.segmentation.silhouette
    largest = profiles[0] if profiles else None
    headline = (
        ("Customers", f"{customers:,}"),
        ("Segments", str(len(profiles))),
        ("Largest segment", f"{largest.name} ({largest.share * 100:.0f}%)" if largest else "–"),
        ("Separation (silhouette)", f"{silhouette:.2f}" if silhouette is not None else "–"),
    )
    actions = tuple(
        f"{p.name}: {rec.title}"
        for p, rec in top_actions(analysis.profiles, analysis.recommendations, max_actions)
    )
    return Briefing(
        period=period,
        period_label=label,
        subject=f"Customer segments: {label}",
        title=title,
        brand_name=brand_name,
        headline=headline,
        segments=tuple(segments),
        changes=tuple(change_sentences),
        actions=actions,
        archive_url=base,
        report_url=f"{base}{period}/report.html",
        colours=briefing_colours(colors),
        verdict=analysis.trust.verdict if analysis.trust is not None else "",
    )


def _change_text(change: SegmentChange | None) -> str | None:
    if change is None:
        return None
    if change.new:
        return "new this month"
    if change.size_change is None:
        return None
    return f"{change.size_change:+,} customers"


def briefing_html(briefing: Briefing, charts: Sequence[ChartImage]) -> str:
    """Return the HTML part: table layout, inline styles, images only by cid:, no scripts."""
    template = template_environment().get_template("briefing.html.j2")
    html = template.render(b=briefing, charts=[_chart_view(c, briefing.period) for c in charts])
    size = len(html.encode("utf-8"))
    if size > MAX_HTML_BYTES:
        raise ValueError(f"briefing HTML is {size:,} bytes; mail clients clip above {MAX_HTML_BYTES:,}")
    return html


def briefing_text(briefing: Briefing) -> str:
    """Return the plain-text part of the briefing."""
    return template_environment().get_template("briefing.txt.j2").render(b=briefing)


def _chart_view(chart: ChartImage, period: str) -> dict[str, Any]:
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


def _content_id(name: str, period: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-." else "-" for c in name)
    return f"chart-{safe}.{period}@reportgen"


def briefing_date(period: str) -> datetime:
    """Return the briefing's Date: the first day after the period, 08:00 UTC (derived, never the clock)."""
    year, month = (int(x) for x in period.split("-"))
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return datetime(year, month, 1, 8, 0, tzinfo=UTC)


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
    msg["X-Reportgen-Period"] = briefing.period
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


def kept_send_record(period_dir: Path, briefing: bytes) -> bytes | None:
    """Return the existing sent.json if it records this exact briefing (so a re-run keeps it), else None."""
    path = period_dir / SENT_FILE
    record = _record(path)
    if record and record.get("briefing_sha256") == hashlib.sha256(briefing).hexdigest():
        return path.read_bytes()
    return None


def _record(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return doc if isinstance(doc, dict) else {}


def send_briefing(
    period_dir: Path,
    email: EmailConfig,
    *,
    resend: bool,
    password: str | None,
    now: datetime | None = None,
) -> SendResult:
    """Deliver the period's briefing.eml over SMTP once; record it in sent.json (never the password)."""
    path = period_dir / BRIEFING_FILE
    if not path.is_file():
        raise InputError(f"{path}: not found; run `reportgen run --period {period_dir.name}` first")
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    parsed = BytesParser(policy=policy.default).parsebytes(raw, headersonly=True)
    message_id = str(parsed.get("Message-ID", "")).strip()
    recipients = tuple(email.recipients)
    record_path = period_dir / SENT_FILE
    record = _record(record_path)
    previous_sends = record.get("sends", []) if record.get("briefing_sha256") == digest else []
    if previous_sends and not resend:
        last = previous_sends[-1]
        return SendResult(
            period_dir=period_dir,
            sent=False,
            message_id=message_id,
            recipients=tuple(last.get("recipients", ())),
            message=(
                f"briefing for {period_dir.name} already sent at {last.get('sent_at')} to "
                f"{', '.join(last.get('recipients', ()))}; not sent again (use --resend to send it anyway)"
            ),
        )
    _check_credentials(email, password)
    _deliver(raw, email, password, period_dir.name)
    sent_at = (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")
    send: dict[str, Any] = {
        "sent_at": sent_at,
        "recipients": list(recipients),
        "smtp_host": email.smtp_host,
        "smtp_port": email.smtp_port,
    }
    document = {
        "period": period_dir.name,
        "message_id": message_id,
        "briefing_sha256": digest,
        "sends": [*previous_sends, send],
    }
    write_atomic(record_path, (json.dumps(document, indent=2) + "\n").encode("utf-8"))
    verb = "sent again" if previous_sends else "sent"
    return SendResult(
        period_dir=period_dir,
        sent=True,
        message_id=message_id,
        recipients=recipients,
        message=f"briefing for {period_dir.name} {verb} to {', '.join(recipients)} via "
        f"{email.smtp_host}:{email.smtp_port}",
    )


def _check_credentials(email: EmailConfig, password: str | None) -> None:
    if not email.recipients:
        raise InputError("email.recipients: expected at least one address")
    if not email.username:
        return
    if not password:
        raise InputError("email.username is set but REPORTGEN_SMTP_PASSWORD is empty; export the password")
    if not email.starttls and email.smtp_host not in _LOOPBACK:
        raise InputError(
            f"email.starttls is false: refusing to send the SMTP password unencrypted to {email.smtp_host}"
        )


def _deliver(raw: bytes, email: EmailConfig, password: str | None, period: str) -> None:
    where = f"{email.smtp_host}:{email.smtp_port}"
    fail = f"could not send the {period} briefing via {where}"
    try:
        with smtplib.SMTP(
            email.smtp_host, email.smtp_port, timeout=email.timeout, local_hostname="reportgen.localdomain"
        ) as smtp:
            smtp.ehlo()
            if email.starttls:
                if not smtp.has_extn("starttls"):
                    raise DeliveryError(f"{fail}: the server does not offer STARTTLS (email.starttls = true)")
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if email.username:
                smtp.login(email.username, password or "")
            code, reply = smtp.mail(email.sender)
            if code != 250:
                raise DeliveryError(f"{fail}: sender {email.sender} refused ({code} {_text(reply)})")
            refused = {}
            for rcpt in email.recipients:
                code, reply = smtp.rcpt(rcpt)
                if code not in (250, 251):
                    refused[rcpt] = f"{code} {_text(reply)}"
            if refused:
                # all or nobody: abort before DATA so a partial delivery never happens
                smtp.rset()
                listed = "; ".join(f"{r}: {why}" for r, why in refused.items())
                raise DeliveryError(f"{fail}: recipient refused ({listed}); nothing was sent")
            code, reply = smtp.data(raw)
            if code != 250:
                raise DeliveryError(f"{fail}: message refused ({code} {_text(reply)})")
    except DeliveryError:
        raise
    except ConnectionRefusedError:
        raise DeliveryError(f"{fail}: connection refused (is an SMTP server listening there?)") from None
    except TimeoutError:
        raise DeliveryError(f"{fail}: no answer within {email.timeout:g} s (email.timeout)") from None
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(f"{fail}: login as {email.username} rejected ({exc.smtp_code})") from None
    except smtplib.SMTPServerDisconnected as exc:
        # smtplib reports a read timeout as a disconnect; tell the two apart for the user
        if "timed out" in str(exc):
            raise DeliveryError(f"{fail}: no answer within {email.timeout:g} s (email.timeout)") from None
        raise DeliveryError(f"{fail}: the server closed the connection") from None
    except smtplib.SMTPResponseException as exc:
        raise DeliveryError(f"{fail}: {exc.smtp_code} {_text(exc.smtp_error)}") from None
    except (smtplib.SMTPException, ssl.SSLError, OSError) as exc:
        raise DeliveryError(f"{fail}: {type(exc).__name__}: {exc}") from None


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
