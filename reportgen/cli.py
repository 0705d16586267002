"""Command line: parse arguments, load settings, call the pipeline; no logic of its own."""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from reportgen import __version__
from reportgen.config import ENGINE_KINDS, Settings, load_settings, with_engine, with_k
from reportgen.errors import DeliveryError, InputError
from reportgen.interrupts import EXIT_INTERRUPTED, INTERRUPTED, STOPPER
from reportgen.io.write import output_lock
from reportgen.parallel.runtime import collector_paused, cpu_lanes, run_scratch
from reportgen.parallel.worker import RenderWorker, release_temporary_files
from reportgen.period import parse_period

EXIT_OK, EXIT_FAILURE, EXIT_INPUT = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one `error:` line and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        print(f"error: {self.prog}: {message}", file=sys.stderr)
        raise SystemExit(EXIT_INPUT)


def _positive_k(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 2, got {text!r}") from None
    if value < 2:
        raise argparse.ArgumentTypeError(f"expected an integer >= 2, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser for `reportgen run`, `reportgen assign` and `reportgen send`."""
    parser = _Parser(prog="reportgen", description="Customer-segmentation reports from a customer extract.")
    parser.add_argument("--version", action="version", version=f"reportgen {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser("run", help="analyse a month's data and write the report")
    run.add_argument("--data", type=Path, help="input table: CSV, gzip CSV or Parquet")
    run.add_argument("--config", type=Path, help="reportgen.toml (default: ./reportgen.toml if present)")
    run.add_argument(
        "--period",
        help="reporting month YYYY-MM (default: a transaction log's last month, else the current month)",
    )
    run.add_argument("--out", type=Path, default=Path("output"), help="output folder (default: output)")
    run.add_argument("--k", type=_positive_k, help="fix the number of segments")
    run.add_argument("--quiet", action="store_true", help="print nothing but errors")
    run.add_argument("--engine", choices=ENGINE_KINDS, help="override [engine] kind: local or spark")

    assign = sub.add_parser("assign", help="place new customers in a period's segments (no refit)")
    assign.add_argument("--period", required=True, help="the month whose model.json to use, YYYY-MM")
    assign.add_argument("--data", type=Path, required=True, help="the customers: CSV, gzip CSV or Parquet")
    assign.add_argument("--out", type=Path, default=Path("output"), help="output folder (default: output)")
    assign.add_argument(
        "--to", type=Path, help="write customer_id,segment_id,segment_name here (default: stdout)"
    )
    assign.add_argument("--config", type=Path, help="reportgen.toml (default: ./reportgen.toml if present)")
    assign.add_argument("--engine", choices=ENGINE_KINDS, help="override [engine] kind: local or spark")

    send = sub.add_parser("send", help="e-mail a period's briefing over SMTP (once)")
    send.add_argument("--period", required=True, help="reporting month YYYY-MM")
    send.add_argument("--out", type=Path, default=Path("output"), help="output folder (default: output)")
    send.add_argument("--config", type=Path, help="reportgen.toml (default: ./reportgen.toml if present)")
    send.add_argument("--resend", action="store_true", help="deliver again even if already sent")
    send.add_argument("--quiet", action="store_true", help="print nothing but errors")
    return parser


def _settings(config: Path | None) -> Settings:
    if config is None and Path("reportgen.toml").is_file():
        config = Path("reportgen.toml")
    return load_settings(config)


@contextmanager
def _render_worker() -> Iterator[RenderWorker | None]:
    """Yield a started render worker, or None (render in this process) where processes cannot be started."""
    # the workers talk over inherited pipe descriptors, and need a second core to gain anything
    if os.name != "posix" or cpu_lanes() < 2:
        yield None
        return
    try:
        worker = RenderWorker.start()
    except OSError:  # e.g. the process limit: slower, same bytes
        yield None
        return
    with worker:
        yield worker


def _run(args: argparse.Namespace) -> int:
    settings = _settings(args.config)
    if args.engine is not None:
        settings = with_engine(settings, args.engine)
    if args.k is not None:
        settings = with_k(settings, args.k)
    period = parse_period(args.period) if args.period else None  # None: the period the data dates
    # the output folder is checked (and held) before any work; the workers start before the analysis stack
    # is imported: they load the rendering stack on the other core meanwhile
    with output_lock(args.out), run_scratch(), _render_worker() as renderer:
        try:
            with collector_paused():
                from reportgen.api import SegmentReport
                from reportgen.pipeline import quiet, stderr_progress

            progress = stderr_progress() if sys.stderr.isatty() and not args.quiet else quiet
            folder = SegmentReport(args.data, settings, period=period).to_file(args.out, progress, renderer)
        finally:
            # fonts copied for an in-process render live in the run's folder, which goes now: a later
            # document in this process (main() called again) makes new copies
            release_temporary_files()
    if not args.quiet:
        print(f"wrote {folder}", file=sys.stderr)
    return EXIT_OK


def _assign(args: argparse.Namespace) -> int:
    settings = _settings(args.config)
    if args.engine is not None:
        settings = with_engine(settings, args.engine)
    period = parse_period(args.period)
    if args.to is not None and args.to.is_dir():
        raise InputError(f"{args.to}: --to names a folder; expected the file to write the assignments to")
    with collector_paused():
        from reportgen.pipeline import assignments, assignments_csv
    # every byte is made before any is written: an error leaves FILE (or stdout) as it was
    table = assignments_csv(assignments(settings, period, args.out, args.data, str(args.data)))
    if args.to is None:
        sys.stdout.buffer.write(table)
        sys.stdout.flush()
    else:
        from reportgen.io.write import write_atomic

        write_atomic(args.to, table)
    return EXIT_OK


def _send(args: argparse.Namespace) -> int:
    from reportgen.delivery.deliver import send_briefing

    settings = _settings(args.config)
    folder = args.out / str(parse_period(args.period))
    with output_lock(args.out, create=False):
        result = send_briefing(
            folder, settings.email, resend=args.resend, password=os.environ.get("REPORTGEN_SMTP_PASSWORD")
        )
    if not args.quiet:
        print(result.message, file=sys.stderr)
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # usage errors (exit 2), --help and --version (exit 0)
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    try:
        with warnings.catch_warnings():
            if not os.environ.get("REPORTGEN_DEBUG"):
                # the libraries' warnings (scikit-learn, numpy, Pillow) are not for the report's reader: what
                # matters is checked and said in the report or as an `error:` line
                warnings.simplefilter("ignore")
            command = {"run": _run, "assign": _assign, "send": _send}[args.command]
            return command(args)
    except InputError as exc:
        STOPPER.defer_to_stop()
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except DeliveryError as exc:
        STOPPER.defer_to_stop()
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:  # main() called without the stopper installed (e.g. from Python)
        print(INTERRUPTED, file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # an internal failure: one line for the user, the traceback only on request
        STOPPER.defer_to_stop()  # e.g. a worker the stop ended: the stop reports, not this
        if os.environ.get("REPORTGEN_DEBUG"):
            raise
        print(
            f"error: internal failure: {type(exc).__name__}: {exc} (set REPORTGEN_DEBUG=1 for details)",
            file=sys.stderr,
        )
        return EXIT_FAILURE


def console() -> None:
    """Entry point of the `reportgen` command and `python -m reportgen`: run, flush, exit at once.

    Everything is written and fsynced before main() returns, so the interpreter's teardown (about 0.4 s of
    garbage collection and thread-pool shutdown after a report) only delays the prompt: skip it.
    Signals are handled by `reportgen.interrupts`: see the README's "Reliability".
    """
    STOPPER.install()  # Ctrl-C / SIGTERM from here on: a prompt exit 130 with everything cleaned up
    code = main()
    STOPPER.defer_to_stop()
    release_temporary_files()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
