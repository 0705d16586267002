"""The e-mail briefing: its MIME structure, and delivery to a real SMTP server on loopback."""

from __future__ import annotations

import json
import re
import socket
import struct
import threading
import zlib
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword

from reportgen.cli import main as cli_main
from reportgen.config import EmailConfig
from reportgen.delivery.deliver import kept_send_record, send_briefing
from reportgen.documents.briefing import (
    MAX_HTML_BYTES,
    Briefing,
    BriefingSegment,
    briefing_colours,
    briefing_content,
    briefing_message,
    eml_bytes,
    safe_url,
)
from reportgen.errors import DeliveryError, InputError
from reportgen.model import ChartImage, FeatureStat, Recommendation, SegmentChange, SegmentProfile
from reportgen.period import Period

PDF = b"%PDF-1.7\n% a tiny stand-in report\n%%EOF\n"
NOW = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
PASSWORD = "s3cret-Pa55"


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
        features=SimpleNamespace(quality=SimpleNamespace(customers=100)),
        segmentation=SimpleNamespace(silhouette=0.3123),
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
    b = briefing_content(
        analysis,  # type: ignore[arg-type]
        Period(2026, 11),
        brand_name="Meridian",
        archive_url="https://intranet.example.com/segments",
        changes=changes,
        change_sentences=("One sentence.",),
    )
    # the news in the subject: the largest segment (no value measure here) and the largest move
    assert b.subject == "November 2026: Savers – 70% of customers; High spenders +10 (+50%)"
    assert b.report_url == "https://intranet.example.com/segments/2026-11/report.html"
    assert [s.name for s in b.segments] == ["Savers", "High spenders"]  # largest first
    assert [s.change for s in b.segments] == ["new", "+10 (+50%)"]
    assert dict(b.headline)["Largest change"] == "High spenders +10 (+50%)"
    assert b.preheader == "One sentence. Top action: Reward loyalty (High spenders)."
    valued = replace(profiles[0], value_shares={"PURCHASES": 0.65})
    analysis.profiles = (valued, profiles[1])
    b = briefing_content(
        analysis,  # type: ignore[arg-type]
        Period(2026, 11),
        brand_name="Meridian",
        archive_url="https://intranet.example.com/segments",
    )
    assert b.subject == "November 2026: High spenders – 30% of customers, 65% of purchases"
    assert [s.value_share for s in b.segments] == [None, 0.65] and b.value_label == "purchases"
    assert b.actions == ("High spenders: Reward loyalty",)


# ---- delivery over a real SMTP server on loopback --------------------------------------------------------


class Recorder:
    """An aiosmtpd handler that keeps what arrived and refuses recipients on a block list."""

    def __init__(self, refuse: tuple[str, ...] = ()) -> None:
        self.refuse = refuse
        self.received: list[tuple[tuple[str, ...], bytes]] = []

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Envelope, address: str, rcpt_options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
        assert envelope.content is not None
        content = envelope.content if isinstance(envelope.content, bytes) else envelope.content.encode()
        self.received.append((tuple(envelope.rcpt_tos), content))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[tuple[Recorder, int]]:
    recorder = Recorder(refuse=("nobody@example.com",))
    controller = Controller(recorder, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield recorder, controller.port
    finally:
        controller.stop()


@pytest.fixture
def period_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "output" / "2026-11"
    folder.mkdir(parents=True)
    (folder / "briefing.eml").write_bytes(eml_bytes(message()))
    return folder


def config(port: int, **changes: Any) -> EmailConfig:
    base = EmailConfig(
        smtp_host="127.0.0.1",
        smtp_port=port,
        sender="reports@example.com",
        recipients=("lead@example.com", "cfo@example.com"),
        timeout=5.0,
    )
    return replace(base, **changes)


def test_send_delivers_once_and_resend_delivers_again(
    smtp_server: tuple[Recorder, int], period_dir: Path
) -> None:
    recorder, port = smtp_server
    result = send_briefing(period_dir, config(port), resend=False, password=None, now=NOW)
    assert result.sent
    assert len(recorder.received) == 1
    recipients, raw = recorder.received[0]
    assert recipients == ("lead@example.com", "cfo@example.com")
    arrived = parsed(raw)
    check_briefing(arrived)
    assert arrived["To"] == "lead@example.com, cfo@example.com"

    record = json.loads((period_dir / "sent.json").read_text())
    assert record["message_id"] == arrived["Message-ID"] == result.message_id
    assert record["sends"] == [
        {
            "sent_at": "2026-12-02T09:30:00+00:00",
            "recipients": ["lead@example.com", "cfo@example.com"],
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
        }
    ]

    again = send_briefing(period_dir, config(port), resend=False, password=None, now=NOW)
    assert not again.sent and "already sent" in again.message and "--resend" in again.message
    assert len(recorder.received) == 1

    resent = send_briefing(period_dir, config(port), resend=True, password=None, now=NOW)
    assert resent.sent and len(recorder.received) == 2
    assert len(json.loads((period_dir / "sent.json").read_text())["sends"]) == 2


def test_a_rebuilt_briefing_is_a_new_briefing(smtp_server: tuple[Recorder, int], period_dir: Path) -> None:
    recorder, port = smtp_server
    send_briefing(period_dir, config(port), resend=False, password=None, now=NOW)
    same = (period_dir / "briefing.eml").read_bytes()
    assert kept_send_record(period_dir, same) == (period_dir / "sent.json").read_bytes()
    changed = eml_bytes(message(briefing(changes=("Corrected figures.",))))
    assert kept_send_record(period_dir, changed) is None
    (period_dir / "briefing.eml").write_bytes(changed)
    assert send_briefing(period_dir, config(port), resend=False, password=None, now=NOW).sent
    assert len(recorder.received) == 2


def test_rejected_recipient_sends_nothing_and_records_nothing(
    smtp_server: tuple[Recorder, int], period_dir: Path
) -> None:
    recorder, port = smtp_server
    cfg = config(port, recipients=("lead@example.com", "nobody@example.com"))
    with pytest.raises(DeliveryError, match=r"recipient refused \(nobody@example.com: 550"):
        send_briefing(period_dir, cfg, resend=False, password=None, now=NOW)
    assert recorder.received == []  # all or nobody: lead@ did not get a copy either
    assert not (period_dir / "sent.json").exists()


def test_refused_connection_is_a_clear_error(period_dir: Path) -> None:
    with pytest.raises(DeliveryError, match=r"via 127\.0\.0\.1:\d+: connection refused"):
        send_briefing(period_dir, config(_free_port()), resend=False, password=None, now=NOW)
    assert not (period_dir / "sent.json").exists()


def _bad_server(behaviour: str) -> tuple[socket.socket, threading.Event]:
    """Listen on loopback and either drop every connection at once or never say a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    stop = threading.Event()

    def serve() -> None:
        held = []
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            if behaviour == "drop":
                conn.close()
            else:
                held.append(conn)
        for conn in held:
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    return listener, stop


@pytest.mark.parametrize(
    ("behaviour", "expected"), [("drop", "closed the connection"), ("silent", "no answer within 0.5 s")]
)
def test_dropped_or_silent_server_is_a_clear_error(period_dir: Path, behaviour: str, expected: str) -> None:
    listener, stop = _bad_server(behaviour)
    try:
        port = listener.getsockname()[1]
        with pytest.raises(DeliveryError, match=expected):
            send_briefing(period_dir, config(port, timeout=0.5), resend=False, password=None, now=NOW)
    finally:
        stop.set()
        listener.close()
    assert not (period_dir / "sent.json").exists()


class Authenticator:
    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and auth_data.password == PASSWORD.encode()
        return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535 itself


def test_login_uses_the_password_but_never_records_it(
    period_dir: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    recorder = Recorder()
    controller = Controller(
        recorder,
        hostname="127.0.0.1",
        port=_free_port(),
        authenticator=Authenticator(),
        auth_require_tls=False,
    )
    controller.start()
    try:
        cfg = config(controller.port, username="reports")
        with pytest.raises(DeliveryError, match="login as reports rejected") as failure:
            send_briefing(period_dir, cfg, resend=False, password="wrong-one", now=NOW)
        assert "wrong-one" not in str(failure.value)
        result = send_briefing(period_dir, cfg, resend=False, password=PASSWORD, now=NOW)
    finally:
        controller.stop()
    assert result.sent and len(recorder.received) == 1
    out = capsys.readouterr()
    for text in ((period_dir / "sent.json").read_text(), caplog.text, out.out, out.err, result.message):
        assert PASSWORD not in text


def test_password_is_refused_over_plain_text_to_a_remote_host(period_dir: Path) -> None:
    cfg = config(25, smtp_host="mail.example.com", username="reports")
    with pytest.raises(InputError, match="starttls"):
        send_briefing(period_dir, cfg, resend=False, password=PASSWORD, now=NOW)
    with pytest.raises(InputError, match="REPORTGEN_SMTP_PASSWORD"):
        send_briefing(period_dir, config(25, username="reports"), resend=False, password=None, now=NOW)


def test_missing_briefing_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"2026-11/briefing\.eml: not found"):
        send_briefing(tmp_path / "2026-11", config(25), resend=False, password=None, now=NOW)


def _toml(path: Path, port: int, recipients: tuple[str, ...] = ("lead@example.com",)) -> Path:
    listed = ", ".join(f'"{r}"' for r in recipients)
    path.write_text(
        f'[email]\nsmtp_host = "127.0.0.1"\nsmtp_port = {port}\ntimeout = 2\nrecipients = [{listed}]\n',
        encoding="utf-8",
    )
    return path


def test_command_line_exit_status(
    smtp_server: tuple[Recorder, int], period_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recorder, port = smtp_server
    out = period_dir.parent
    good = _toml(tmp_path / "good.toml", port)
    args = ["send", "--period", "2026-11", "--out", str(out), "--config"]
    assert cli_main([*args, str(good)]) == 0
    assert cli_main([*args, str(good)]) == 0
    assert "already sent" in capsys.readouterr().err
    assert len(recorder.received) == 1
    assert cli_main([*args, str(good), "--resend"]) == 0
    assert len(recorder.received) == 2

    capsys.readouterr()
    (period_dir / "sent.json").unlink()
    refused = _toml(tmp_path / "refused.toml", _free_port())
    assert cli_main([*args, str(refused)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: could not send the 2026-11 briefing") and "Traceback" not in err
    assert not (period_dir / "sent.json").exists()
