"""`python -m reportgen` runs the command line."""

from reportgen.interrupts import STOPPER

STOPPER.install()  # first: a Ctrl-C while the command line's modules load is a clean stop too

from reportgen.cli import console  # noqa: E402

console()
