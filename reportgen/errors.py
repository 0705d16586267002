"""Errors that the command line turns into one `error:` line and exit status 2."""

from __future__ import annotations


class InputError(Exception):
    """Bad input data or configuration: the message names the file, the place and what was expected."""


class DeliveryError(Exception):
    """The e-mail briefing could not be delivered (exit status 1, nothing recorded as sent)."""
