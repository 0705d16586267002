"""Errors that the command line turns into one `error:` line and exit status 2."""

from __future__ import annotations


class InputError(Exception):
    """Bad input data or configuration: the message names the file, the place and what was expected."""


class DeliveryError(Exception):
    """The e-mail briefing could not be delivered, or not recorded (exit status 1; nothing recorded as sent).

    `may_be_delivered`: the server may have the message (the send is left marked unconfirmed in sent.json).
    """

    def __init__(self, message: str, may_be_delivered: bool = False) -> None:
        super().__init__(message)
        self.may_be_delivered = may_be_delivered


class EngineError(Exception):
    """The compute engine (Apache Spark) failed: the message is the first line of its reason (exit status 1)."""
