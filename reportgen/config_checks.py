"""Checks of single configuration values (dates, addresses, URLs, currency, locale): one message each."""

from __future__ import annotations

from datetime import datetime

from reportgen.errors import InputError

# a probe date whose day, month and year differ, so a format that loses one of them cannot read it back
PROBE = datetime(2011, 12, 9, 13, 45, 30)


def check_date_format(fmt: str, key: str, where: str) -> None:
    """Raise InputError unless `fmt` is a strftime format that writes and reads back a date."""
    hint = 'expected a strftime format such as "%d-%m-%Y" or "%d/%m/%Y %H:%M"'
    if "%" not in fmt:
        raise InputError(f"{where}: {key} = {fmt!r} has no % directive; {hint}")
    try:
        back = datetime.strptime(PROBE.strftime(fmt), fmt)
    except ValueError as exc:
        raise InputError(f"{where}: {key} = {fmt!r} is not a usable date format ({exc}); {hint}") from None
    if back.date() != PROBE.date():
        raise InputError(f"{where}: {key} = {fmt!r} does not hold a day, a month and a year; {hint}")


ADDRESS_FORBIDDEN = set(' ,;<>"()[]\\')


def check_address(address: str, key: str, where: str) -> None:
    """Refuse an address smtplib would silently rewrite (CR/LF, controls) or that cannot be one mailbox."""
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in address):
        raise InputError(
            f"{where}: {key}: {address!r} holds a control character (CR, LF, ...); expected one address "
            "like name@example.com"
        )
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain or ADDRESS_FORBIDDEN & set(address):
        raise InputError(f"{where}: {key}: expected one address like name@example.com, got {address!r}")


def check_archive_url(url: str, where: str) -> None:
    cleaned = url.strip()
    if not cleaned.lower().startswith(("https://", "http://")) or any(c in cleaned for c in " \"'<>\n\r\t"):
        raise InputError(
            f"{where}: email.archive_url: expected an absolute http:// or https:// address, got {url!r}"
        )


def checked_currency(code: str, where: str) -> str:
    """Return an ISO 4217 currency code Babel knows, upper-cased; "" stays "" (amounts without a currency)."""
    cleaned = code.strip().upper()
    if not cleaned:
        return ""
    from babel.numbers import is_currency  # here: only a configured currency needs Babel at start-up

    if not (len(cleaned) == 3 and cleaned.isalpha() and is_currency(cleaned)):
        raise InputError(
            f'{where}: report.currency: expected an ISO 4217 code such as "USD" or "EUR", got "{code}"'
        )
    return cleaned


def checked_locale(name: str, where: str) -> str:
    """Return a locale identifier Babel knows ("en", "en_GB", "de_DE"; "de-DE" is read as "de_DE")."""
    cleaned = name.strip().replace("-", "_")
    if cleaned == "en":
        return cleaned
    from babel import Locale, UnknownLocaleError

    try:
        Locale.parse(cleaned)
    except (ValueError, UnknownLocaleError):
        raise InputError(
            f'{where}: report.locale: expected a locale such as "en_GB" or "de_DE", got "{name}"'
        ) from None
    return cleaned
