"""Delivery of the briefing over SMTP, once: the send and its sent.json record."""

from __future__ import annotations

import hashlib
import json
import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from reportgen.config import EmailConfig
from reportgen.errors import DeliveryError, InputError
from reportgen.io.period_folder import BRIEFING_FILE
from reportgen.io.write import write_atomic

SENT_FILE = "sent.json"
_LOOPBACK = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class SendResult:
    period_dir: Path
    sent: bool
    message_id: str
    recipients: tuple[str, ...]
    message: str  # one line for the user


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
