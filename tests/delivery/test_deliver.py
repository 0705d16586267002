"""Delivery over SMTP: once, again only on --resend, clear errors, the sent record."""

from __future__ import annotations

import contextlib
import json
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword

from reportgen.cli import main as cli_main
from reportgen.config import EmailConfig
from reportgen.delivery.deliver import kept_send_record, send_briefing
from reportgen.documents.briefing import (
    eml_bytes,
)
from reportgen.errors import DeliveryError, InputError
from tests.conftest import ROOT
from tests.documents.test_briefing import briefing, check_briefing, message, parsed

NOW = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)


PASSWORD = "s3cret-Pa55"


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


# ---- exactly once: the record can always be written, or nothing is sent ---------------------------------


def test_a_record_that_cannot_be_written_sends_nothing(
    smtp_server: tuple[Recorder, int], period_dir: Path
) -> None:
    recorder, port = smtp_server
    (period_dir / "sent.json").mkdir()  # e.g. a read-only folder or a full disk: the record cannot be written
    with pytest.raises(InputError, match=r"sent\.json: not a readable send record: it is a folder"):
        send_briefing(period_dir, config(port), resend=False, password=None, now=NOW)
    with pytest.raises(InputError, match=r"sent\.json: cannot write the send record .*nothing was sent"):
        send_briefing(period_dir, config(port), resend=True, password=None, now=NOW)
    assert recorder.received == []


class RecordBreaker(Recorder):
    """Accepts the message, but first turns sent.json into a folder: the final record cannot be written."""

    def __init__(self, record: Path) -> None:
        super().__init__()
        self.record = record
        self.pending: dict[str, Any] = {}

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
        self.pending = json.loads(self.record.read_text())
        self.record.unlink()
        self.record.mkdir()
        return await super().handle_DATA(server, session, envelope)


def test_delivered_but_not_recorded_says_so_and_the_next_send_refuses(period_dir: Path) -> None:
    record = period_dir / "sent.json"
    recorder = RecordBreaker(record)
    controller = Controller(recorder, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        with pytest.raises(
            DeliveryError, match=r"delivered to lead@example.com, cfo@example.com, but not recorded"
        ):
            send_briefing(period_dir, config(controller.port), resend=False, password=None, now=NOW)
        # before connecting, the send was recorded as pending
        assert recorder.pending["pending"]["started_at"] == "2026-12-02T09:30:00+00:00"
        assert recorder.pending["sends"] == []
        with pytest.raises(InputError, match=r"sent\.json: not a readable send record.*--resend"):
            send_briefing(period_dir, config(controller.port), resend=False, password=None, now=NOW)
    finally:
        controller.stop()
    assert len(recorder.received) == 1


def _confirmless_server() -> tuple[socket.socket, list[bytes]]:
    """An SMTP server that takes the whole message, then closes the connection without confirming it."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    received: list[bytes] = []

    def serve() -> None:
        with contextlib.suppress(OSError):
            conn, _ = listener.accept()
            with conn:
                stream = conn.makefile("rb")
                conn.sendall(b"220 ready\r\n")
                while line := stream.readline():
                    verb = line[:4].upper()
                    if verb in (b"EHLO", b"HELO", b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                        conn.sendall(b"250 OK\r\n")
                    elif verb == b"DATA":
                        conn.sendall(b"354 go ahead\r\n")
                        body = b""
                        while not body.endswith(b"\r\n.\r\n"):
                            body += stream.readline()
                        received.append(body)
                        return  # gone before the 250

    threading.Thread(target=serve, daemon=True).start()
    return listener, received


def test_a_send_the_server_never_confirms_stays_unconfirmed_until_resend(
    period_dir: Path, smtp_server: tuple[Recorder, int]
) -> None:
    listener, received = _confirmless_server()
    try:
        cfg = config(listener.getsockname()[1], timeout=2.0)
        with pytest.raises(
            DeliveryError,
            match=r"the server closed the connection after the whole message was sent.*may have been delivered",
        ) as failure:
            send_briefing(period_dir, cfg, resend=False, password=None, now=NOW)
        assert failure.value.may_be_delivered and len(received) == 1
    finally:
        listener.close()
    record = json.loads((period_dir / "sent.json").read_text())
    assert record["sends"] == [] and record["pending"]["recipients"] == [
        "lead@example.com",
        "cfo@example.com",
    ]
    recorder, port = smtp_server
    with pytest.raises(InputError, match=r"never confirmed .*it may have been delivered.*--resend"):
        send_briefing(period_dir, config(port), resend=False, password=None, now=NOW)
    assert recorder.received == []
    assert send_briefing(period_dir, config(port), resend=True, password=None, now=NOW).sent
    record = json.loads((period_dir / "sent.json").read_text())
    assert "pending" not in record and len(record["sends"]) == 1 and len(record["unconfirmed"]) == 1
    assert len(recorder.received) == 1


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{not json", "not valid JSON"),
        ('{"briefing_sha256": "x", "sends": 5}', "sends must be a list of sends, got 5"),
        ("[1, 2]", "expected a JSON object"),
    ],
)
def test_a_corrupt_record_is_refused_not_taken_for_never_sent(
    smtp_server: tuple[Recorder, int], period_dir: Path, content: str, problem: str
) -> None:
    recorder, port = smtp_server
    (period_dir / "sent.json").write_text(content)
    with pytest.raises(
        InputError, match=rf"2026-11/sent\.json: not a readable send record: {re.escape(problem)}"
    ):
        send_briefing(period_dir, config(port), resend=False, password=None, now=NOW)
    assert recorder.received == [] and (period_dir / "sent.json").read_text() == content
    # a re-run keeps it (it may record a delivery)
    assert kept_send_record(period_dir, (period_dir / "briefing.eml").read_bytes()) == content.encode()
    assert send_briefing(period_dir, config(port), resend=True, password=None, now=NOW).sent
    assert len(json.loads((period_dir / "sent.json").read_text())["sends"]) == 1


def test_concurrent_sends_deliver_once(
    smtp_server: tuple[Recorder, int], period_dir: Path, tmp_path: Path
) -> None:
    recorder, port = smtp_server
    toml = _toml(tmp_path / "send.toml", port)
    command = [sys.executable, "-m", "reportgen", "send", "--period", "2026-11"]
    command += ["--out", str(period_dir.parent), "--config", str(toml)]
    sends = [
        subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(3)
    ]
    outcomes = [(p.wait(timeout=60), p.communicate()[1].decode()) for p in sends]
    assert [code for code, _ in outcomes] == [0, 0, 0], outcomes
    assert len(recorder.received) == 1
    assert sorted("already sent" in err for _, err in outcomes) == [False, True, True]
    assert len(json.loads((period_dir / "sent.json").read_text())["sends"]) == 1


def test_ctrl_c_while_connecting_exits_130_and_leaves_no_record(period_dir: Path, tmp_path: Path) -> None:
    listener, stop = _bad_server("silent")
    try:
        toml = _toml(tmp_path / "send.toml", listener.getsockname()[1])
        toml.write_text(toml.read_text().replace("timeout = 2", "timeout = 30"))
        command = [sys.executable, "-m", "reportgen", "send", "--period", "2026-11"]
        send = subprocess.Popen(
            [*command, "--out", str(period_dir.parent), "--config", str(toml)],
            cwd=ROOT,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 20
        while not (period_dir / "sent.json").exists() and time.monotonic() < deadline:
            time.sleep(0.02)  # the pending record appears just before connecting
        time.sleep(0.2)
        send.send_signal(signal.SIGINT)
        _, err = send.communicate(timeout=5)
    finally:
        stop.set()
        listener.close()
    assert send.returncode == 130 and err.decode().startswith("error: interrupted")
    assert not (period_dir / "sent.json").exists()  # nothing went out: no record, the next send will send


def test_a_full_disk_sends_nothing(
    smtp_server: tuple[Recorder, int], period_dir: Path, tmp_path: Path
) -> None:
    recorder, port = smtp_server
    toml = _toml(tmp_path / "send.toml", port)

    def full_disk() -> None:  # files cannot grow past 100 bytes (EFBIG), as on a full disk (ENOSPC)
        import resource

        resource.setrlimit(resource.RLIMIT_FSIZE, (100, 100))

    command = [sys.executable, "-m", "reportgen", "send", "--period", "2026-11"]
    done = subprocess.run(
        [*command, "--out", str(period_dir.parent), "--config", str(toml)],
        preexec_fn=full_disk,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 2 and "cannot write there (File too large)" in done.stderr, done.stderr
    assert recorder.received == [] and not (period_dir / "sent.json").exists()
