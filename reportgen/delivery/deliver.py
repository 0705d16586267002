"""Delivery of the briefing over SMTP, once: the send and its sent.json record."""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from reportgen.config import EmailConfig
from reportgen.errors import DeliveryError, InputError
from reportgen.interrupts import critical, forget, on_stop
from reportgen.io.write import write_atomic
from reportgen.model.catalog import BRIEFING_FILE, SENT_FILE

_LOOPBACK = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class SendResult:
    period_dir: Path
    sent: bool
    message_id: str
    recipients: tuple[str, ...]
    message: str  # one line for the user


def kept_send_record(period_dir: Path, briefing: bytes) -> bytes | None:
    """Return the existing sent.json if a re-run must keep it, else None.

    Kept: a record of this exact briefing (sent, or a send not confirmed), and a record that cannot be read
    (it may record a delivery; `send` refuses until --resend). Dropped: a record of another briefing.
    """
    path = period_dir / SENT_FILE
    if not path.exists() and not path.is_symlink():
        return None
    try:
        record = read_send_record(path)
    except InputError:
        if not path.is_file():
            raise InputError(
                f"{path}: not a file, so it cannot record whether the briefing was sent; move it away"
            ) from None
        return path.read_bytes()
    if record is not None and record.get("briefing_sha256") == hashlib.sha256(briefing).hexdigest():
        return path.read_bytes()
    return None


def read_send_record(path: Path) -> dict[str, Any] | None:
    """Return the sent.json at path (None if there is none); raise InputError if it cannot be trusted."""
    if not path.exists() and not path.is_symlink():
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        problem = _record_problem(doc)
    except IsADirectoryError:
        problem = "it is a folder, not a file"
    except OSError as exc:
        problem = f"cannot be read ({exc.strerror})"
    except UnicodeDecodeError:
        problem = "not UTF-8 text"
    except json.JSONDecodeError as exc:
        problem = f"not valid JSON ({exc.msg} at line {exc.lineno})"
    if problem:
        raise InputError(
            f"{path}: not a readable send record: {problem}; it may record a delivery, so nothing was sent: "
            "check with the recipients, then send with --resend (which replaces it)"
        )
    return dict(doc)


def _record_problem(doc: Any) -> str | None:
    if not isinstance(doc, dict):
        return f"expected a JSON object, got {type(doc).__name__}"
    if not isinstance(doc.get("briefing_sha256"), str):
        return "briefing_sha256 must be a string"
    sends = doc.get("sends")
    if not isinstance(sends, list):
        return f"sends must be a list of sends, got {json.dumps(sends)[:40]}"
    for entry in sends:
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("sent_at"), str)
            or not isinstance(entry.get("recipients"), list)
            or not all(isinstance(r, str) for r in entry["recipients"])
        ):
            return "every entry of sends needs sent_at (text) and recipients (a list of addresses)"
    pending = doc.get("pending")
    if pending is not None and not (isinstance(pending, dict) and isinstance(pending.get("started_at"), str)):
        return "pending must be an object with started_at"
    return None


def _record_bytes(document: dict[str, Any]) -> bytes:
    return (json.dumps(document, indent=2) + "\n").encode("utf-8")


def send_briefing(
    period_dir: Path,
    email: EmailConfig,
    *,
    resend: bool,
    password: str | None,
    now: datetime | None = None,
) -> SendResult:
    """Deliver the period's briefing.eml over SMTP once; record it in sent.json (never the password).

    Exactly once, like a mail queue: before connecting, a pending record is written (so a folder where the
    record cannot be written fails before anything is sent); a definite failure restores the record as it
    was; a send whose outcome is unknown (interrupted or dropped after the message went out, or delivered
    but not recorded) leaves the pending record, and every later send refuses until `--resend`.
    """
    path = period_dir / BRIEFING_FILE
    if not path.is_file():
        raise InputError(f"{path}: not found; run `reportgen run --period {period_dir.name}` first")
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    parsed = BytesParser(policy=policy.default).parsebytes(raw, headersonly=True)
    message_id = str(parsed.get("Message-ID", "")).strip()
    recipients = tuple(email.recipients)
    record_path = period_dir / SENT_FILE
    try:
        record = read_send_record(record_path)
    except InputError:
        if not resend:
            raise
        record = None  # the user has decided: a new record replaces the unreadable one
    same = record is not None and record.get("briefing_sha256") == digest
    previous_sends: list[dict[str, Any]] = list(record["sends"]) if record is not None and same else []
    unconfirmed: list[dict[str, Any]] = (
        list(record.get("unconfirmed", [])) if record is not None and same else []
    )
    pending = record.get("pending") if record is not None and same else None
    if pending is not None and not resend:
        raise InputError(
            f"{record_path}: the send started at {pending['started_at']} to "
            f"{', '.join(pending.get('recipients', []))} was never confirmed (interrupted, or delivered but "
            "not recorded): it may have been delivered; check with the recipients, then use --resend"
        )
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
    if pending is not None:  # --resend after an unconfirmed send: keep it in the history
        unconfirmed.append(pending)
    started_at = _timestamp(now)
    target = {"recipients": list(recipients), "smtp_host": email.smtp_host, "smtp_port": email.smtp_port}
    document: dict[str, Any] = {
        "period": period_dir.name,
        "message_id": message_id,
        "briefing_sha256": digest,
        "sends": previous_sends,
    }
    if unconfirmed:
        document["unconfirmed"] = unconfirmed
    earlier = record_path.read_bytes() if record is not None else None
    try:
        write_atomic(
            record_path, _record_bytes({**document, "pending": {"started_at": started_at, **target}})
        )
    except OSError as exc:
        raise InputError(
            f"{record_path}: cannot write the send record ({exc.strerror}); nothing was sent; "
            "make the period folder writable (and free some space)"
        ) from None
    # a stop (Ctrl-C) before the message goes out: nothing was sent, so the record is put back as it was
    restore = on_stop(lambda: _restore(record_path, earlier))
    with contextlib.ExitStack() as finishing:
        try:
            # from the moment the message goes out until it is recorded, a stop waits (email.timeout at most)
            _deliver(raw, email, password, period_dir.name, lambda: _enter(finishing, restore))
        except DeliveryError as exc:
            forget(restore)
            if not exc.may_be_delivered:
                _restore(record_path, earlier)
            raise
        forget(restore)
        document["sends"] = [*previous_sends, {"sent_at": _timestamp(now), **target}]
        try:
            write_atomic(record_path, _record_bytes(document))
        except OSError as exc:
            raise DeliveryError(
                f"the {period_dir.name} briefing was delivered to {', '.join(recipients)}, but not recorded: "
                f"{record_path}: {exc.strerror or exc}; the next send refuses until --resend",
                may_be_delivered=True,
            ) from None
    verb = "sent again" if previous_sends else "sent"
    return SendResult(
        period_dir=period_dir,
        sent=True,
        message_id=message_id,
        recipients=recipients,
        message=f"briefing for {period_dir.name} {verb} to {', '.join(recipients)} via "
        f"{email.smtp_host}:{email.smtp_port}",
    )


def _timestamp(now: datetime | None) -> str:
    return (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")


def _enter(finishing: contextlib.ExitStack, restore: int) -> None:
    forget(restore)  # from here on the message may arrive: the pending record stays
    finishing.enter_context(critical(completes=True))


def _restore(record_path: Path, earlier: bytes | None) -> None:
    """Put the send record back as it was before a send that certainly did not deliver."""
    with contextlib.suppress(OSError):
        if earlier is None:
            record_path.unlink(missing_ok=True)
        else:
            write_atomic(record_path, earlier)


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


def _deliver(
    raw: bytes, email: EmailConfig, password: str | None, period: str, going_out: Callable[[], None]
) -> None:
    """Hand the message to the SMTP server; `going_out` is called just before its bytes are sent."""
    where = f"{email.smtp_host}:{email.smtp_port}"
    fail = f"could not send the {period} briefing via {where}"
    phase = "before"  # -> "sent" (all bytes out, no answer yet) -> "accepted"
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
            # smtplib's data(), in steps: a failure before the final "." reaches the server sends nothing,
            # one after it leaves the outcome unknown
            code, reply = smtp.docmd("DATA")
            if code != 354:
                raise DeliveryError(f"{fail}: message refused ({code} {_text(reply)})")
            going_out()
            smtp.send(_dot_stuffed(raw))
            phase = "sent"
            code, reply = smtp.getreply()
            if code != 250:
                raise DeliveryError(f"{fail}: message refused ({code} {_text(reply)})")
            phase = "accepted"
    except DeliveryError:
        raise
    except Exception as exc:
        if phase == "accepted":
            return  # delivered: only the goodbye (QUIT) failed
        reason = _failure(exc, email)
        if phase == "sent":
            raise DeliveryError(
                f"{fail}: {reason} after the whole message was sent, before the server confirmed it: it may "
                "have been delivered; sent.json marks the send unconfirmed: check with the recipients, "
                "then use --resend",
                may_be_delivered=True,
            ) from None
        raise DeliveryError(f"{fail}: {reason}") from None


def _failure(exc: Exception, email: EmailConfig) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (is an SMTP server listening there?)"
    if isinstance(exc, TimeoutError):
        return f"no answer within {email.timeout:g} s (email.timeout)"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"login as {email.username} rejected ({exc.smtp_code})"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        # smtplib reports a read timeout as a disconnect; tell the two apart for the user
        if "timed out" in str(exc):
            return f"no answer within {email.timeout:g} s (email.timeout)"
        return "the server closed the connection"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_text(exc.smtp_error)}"
    if isinstance(exc, (smtplib.SMTPException, ssl.SSLError, OSError)):
        return f"{type(exc).__name__}: {exc}"
    raise exc


def _dot_stuffed(raw: bytes) -> bytes:
    """Return the message as the DATA phase sends it: leading dots doubled, ended by CRLF . CRLF."""
    body = re.sub(rb"(?m)^\.", b"..", raw)
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    return body + b".\r\n"


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
