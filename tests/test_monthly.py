"""The monthly operation end to end on real pipeline outputs: two months, a shifted month, e-mail, archive.

One module-scoped history is built with the real command line (`reportgen run`, `reportgen send`) on small
synthetic months: October and November of one customer base in `out/` (in-process) and again in `twin/` (a
separate `python -m reportgen` process, for determinism); `shifted/` starts as a copy of `out/` whose November
briefing is sent, then November is re-run on a corrected extract in which a new behaviour group appears. Each
test copies what it changes, so the history stays as built.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import textwrap
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import numpy as np
import pytest
from aiosmtpd.controller import Controller

from reportgen.cli import main as cli_main
from reportgen.dev.sample import Month, generate_months, write_sample_csv
from reportgen.documents.archive import archive_entries, archive_index
from reportgen.io.period_folder import load_previous_model
from reportgen.period import Period, parse_period
from tests.delivery.test_deliver import Recorder, _bad_server, _free_port
from tests.documents.test_archive import CHROMIUM, Browser, opened_browser

ROOT = Path(__file__).resolve().parent.parent
OCT, NOV = "2026-10", "2026-11"
CUSTOMERS = 1500
SEED = 11
NEW_GROUP = 5  # reportgen.dev.sample's index of the "Full payers" group a shifted month introduces
RECIPIENTS = ("lead@example.com", "cfo@example.com")
PERIOD_FILES = ("report.pdf", "report.html", "summary.json", "segments.csv", "model.json", "briefing.eml")


@dataclass(frozen=True)
class History:
    base: Path
    config: Path  # reportgen.toml: fast clustering, [email] at the loopback server
    data: dict[str, Path]  # "2026-10", "2026-11", "shifted" -> CSV
    months: tuple[Month, ...]  # October, November as generated
    shifted: Month  # November with a new behaviour group
    out: Path  # October + November, run in this process
    twin: Path  # the same, run by a separate `python -m reportgen` process
    shifted_out: Path  # October + the shifted November, re-run after the first November was sent
    first_send: bytes  # sent.json of the first November briefing, before the re-run on corrected inputs
    recorder: Recorder
    port: int


def toml(path: Path, port: int, recipients: tuple[str, ...] = RECIPIENTS) -> Path:
    listed = ", ".join(f'"{r}"' for r in recipients)
    path.write_text(
        textwrap.dedent(
            f"""\
            [clustering]
            k_min = 3
            k_max = 7
            n_init = 3

            [email]
            smtp_host = "127.0.0.1"
            smtp_port = {port}
            timeout = 2
            sender = "reports@example.com"
            recipients = [{listed}]
            archive_url = "https://intranet.example.com/segments/"
            """
        ),
        encoding="utf-8",
    )
    return path


def run_args(history_config: Path, data: Path, period: str, out: Path) -> list[str]:
    return [
        "run",
        "--data",
        str(data),
        "--period",
        period,
        "--out",
        str(out),
        "--config",
        str(history_config),
    ]


def run(history: History, data: Path, period: str, out: Path) -> None:
    assert cli_main([*run_args(history.config, data, period, out), "--quiet"]) == 0


def send(history: History, out: Path, *extra: str, config: Path | None = None) -> int:
    args = ["send", "--period", NOV, "--out", str(out), "--config", str(config or history.config), *extra]
    return cli_main(args)


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[History]:
    base = tmp_path_factory.mktemp("monthly")
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=_free_port())
    controller.start()
    with contextlib.ExitStack() as stack:
        stack.callback(controller.stop)
        config = toml(base / "reportgen.toml", controller.port)
        months = generate_months(CUSTOMERS, [OCT, NOV], seed=SEED)
        shifted = generate_months(CUSTOMERS, [OCT, NOV], seed=SEED, new_group=True, new_group_share=0.15)[1]
        data = {OCT: base / "oct.csv", NOV: base / "nov.csv", "shifted": base / "nov-shifted.csv"}
        write_sample_csv(months[0].frame, data[OCT])
        write_sample_csv(months[1].frame, data[NOV])
        write_sample_csv(shifted.frame, data["shifted"])
        twin = base / "twin"
        # the twin history runs in its own process, alongside this one: same inputs, separate interpreter
        script = " && ".join(
            shlex.join([sys.executable, "-m", "reportgen", *run_args(config, data[p], p, twin), "--quiet"])
            for p in (OCT, NOV)
        )
        twin_proc = subprocess.Popen(["bash", "-c", script], cwd=Path.cwd(), stderr=subprocess.PIPE)
        stack.callback(_stop, twin_proc)
        shifted_out = base / "shifted"
        h = History(
            base=base,
            config=config,
            data=data,
            months=months,
            shifted=shifted,
            out=base / "out",
            twin=twin,
            shifted_out=shifted_out,
            first_send=b"",
            recorder=recorder,
            port=controller.port,
        )
        run(h, data[OCT], OCT, h.out)
        run(h, data[NOV], NOV, h.out)
        shutil.copytree(h.out, shifted_out)
        assert send(h, shifted_out) == 0 and len(recorder.received) == 1
        first_send = (shifted_out / NOV / "sent.json").read_bytes()
        run(h, data["shifted"], NOV, shifted_out)
        recorder.received.clear()
        h = replace(h, first_send=first_send)
        _, err = twin_proc.communicate(timeout=300)
        assert twin_proc.returncode == 0, err.decode()
        yield h


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:  # only when the fixture failed before waiting for it
        proc.kill()
        proc.wait()


@pytest.fixture
def smtp(history: History) -> Recorder:
    history.recorder.received.clear()
    return history.recorder


def summary(out: Path, period: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((out / period / "summary.json").read_text(encoding="utf-8"))
    return doc


def assignments(out: Path, period: str) -> dict[str, int]:
    lines = (out / period / "segments.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0].split(",")[:3] == ["customer_id", "segment_id", "segment_name"]
    return {row.split(",")[0]: int(row.split(",")[1]) for row in lines[1:]}


def majority_group(month: Month, ids: dict[str, int]) -> dict[int, int]:
    """Return segment id -> the planted group most of its customers belong to."""
    truth = dict(zip(month.frame["CUST_ID"].to_list(), month.truth.tolist(), strict=True))
    votes: dict[int, Counter[int]] = {}
    for customer, segment in ids.items():
        votes.setdefault(segment, Counter())[truth[customer]] += 1
    return {segment: c.most_common(1)[0][0] for segment, c in votes.items()}


def text_of(html: str) -> str:
    """Return the visible text of an HTML page (tags, data: URIs and extra spaces removed)."""
    html = re.sub(r"<(style|script)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def changes_text(report_html: str) -> str:
    """Return the text of the report's "What changed" chapter."""
    match = re.search(r'<section class="chapter" id="changes">(.*?)</section>', report_html, flags=re.S)
    assert match, "the report has no 'What changed' section"
    return text_of(match.group(1))


def parsed(raw: bytes) -> EmailMessage:
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(msg, EmailMessage)
    return msg


def mail_texts(msg: EmailMessage) -> tuple[str, str]:
    plain = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert isinstance(plain, EmailMessage) and isinstance(html, EmailMessage)
    return plain.get_content(), text_of(html.get_content())


def snapshot(folder: Path) -> dict[str, bytes]:
    """Return every file under folder, hidden ones included, with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# ---- 1. two months keep their segments; migration matches the generator; a new segment is reported ---------


def test_second_month_keeps_ids_names_and_meaning(history: History) -> None:
    oct_, nov = summary(history.out, OCT), summary(history.out, NOV)
    names = {s["id"]: s["name"] for s in oct_["segments"]}
    assert {s["id"]: s["name"] for s in nov["segments"]} == names
    assert nov["segment_matching"]["new"] == [] and nov["segment_matching"]["vanished"] == []
    assert all(s["new"] is False and s["previous_size"] > 0 for s in nov["segments"])
    # an id keeps its meaning, not only its label: the same planted behaviour group holds it in both months
    before = majority_group(history.months[0], assignments(history.out, OCT))
    after = majority_group(history.months[1], assignments(history.out, NOV))
    assert before == after and len(set(after.values())) == len(after)
    # what the next month reads (model.json) and the customer list agree with the published names
    for period in (OCT, NOV):
        model = json.loads((history.out / period / "model.json").read_text(encoding="utf-8"))
        published = {s["id"]: (s["name"], s["size"]) for s in summary(history.out, period)["segments"]}
        assert {s["id"]: (s["name"], s["size"]) for s in model["segments"]} == published
        rows = (history.out / period / "segments.csv").read_text(encoding="utf-8").splitlines()[1:]
        assert {(int(r.split(",")[1]), r.split(",")[2]) for r in rows} == {
            (i, n) for i, (n, _) in published.items()
        }


def test_migration_matches_the_generators_churn_arrivals_and_changes(history: History) -> None:
    october, november = history.months
    moves = summary(history.out, NOV)["migration"]
    assert moves["from_period"] == OCT
    assert moves["new_customers"] == len(november.arrived)
    assert moves["lost_customers"] == len(november.left)
    assert moves["customers_in_both"] == october.frame.height - len(november.left)
    assert sum(f["customers"] for f in moves["flows"]) == moves["customers_in_both"]

    # the generator's behaviour changes, translated into segment ids, against the reported flows
    nov_ids = assignments(history.out, NOV)
    group_to_id = {g: s for s, g in majority_group(november, nov_ids).items()}
    expected = Counter((group_to_id[a], group_to_id[b]) for a, b in november.switched.values())
    moved = {(f["from"], f["to"]): f["customers"] for f in moves["flows"] if f["from"] != f["to"]}
    noise = int(0.03 * moves["customers_in_both"])  # K-Means places a few boundary customers differently
    assert len(november.switched) <= sum(moved.values()) <= len(november.switched) + noise
    for pair, n in expected.items():
        assert n - 3 <= moved.get(pair, 0) <= n + noise, pair
    # per customer: those the generator switched are the ones reported as moving
    oct_ids = assignments(history.out, OCT)
    reported = {c for c in nov_ids if c in oct_ids and oct_ids[c] != nov_ids[c]}
    assert len(reported & set(november.switched)) >= 0.95 * len(november.switched)

    # the briefing opens with the report's own sentence: in both extracts, new, no longer in it (not churn)
    sentence = (
        f"Compared with October 2026, {moves['customers_in_both']:,} customers appear in both months, "
        f"{moves['new_customers']:,} are new and {moves['lost_customers']:,} are no longer in the extract."
    )
    report = changes_text((history.out / NOV / "report.html").read_text(encoding="utf-8"))
    plain, html = mail_texts(parsed((history.out / NOV / "briefing.eml").read_bytes()))
    assert sentence in report and sentence in plain and sentence in html
    assert not re.search(r"\bjoined\b|\d left\b", plain)


def _new_segment(history: History) -> dict[str, Any]:
    doc = summary(history.shifted_out, NOV)
    previous_ids = [s["id"] for s in summary(history.out, OCT)["segments"]]
    assert doc["segment_matching"]["new"] == [max(previous_ids) + 1]
    (segment,) = (s for s in doc["segments"] if s["id"] == doc["segment_matching"]["new"][0])
    return segment


def test_shifted_month_reports_a_new_segment_in_summary_and_briefing(history: History) -> None:
    doc = summary(history.shifted_out, NOV)
    new = _new_segment(history)
    assert new["new"] is True and new["previous_size"] is None
    # it is the planted new behaviour, and it is named for it
    ids = assignments(history.shifted_out, NOV)
    assert majority_group(history.shifted, ids)[new["id"]] == NEW_GROUP
    assert new["name"] == "Full payers"
    # the segments that kept their identity kept their names
    old = {s["id"]: s["name"] for s in summary(history.out, OCT)["segments"]}
    assert all(old[m["id"]] == m["name"] for m in doc["segment_matching"]["matched"])
    assert len(doc["segment_matching"]["matched"]) >= len(old) - 1

    vanished = [v["name"] for v in doc["segment_matching"]["vanished"]]
    msg = parsed((history.shifted_out / NOV / "briefing.eml").read_bytes())
    for body in mail_texts(msg):
        assert f"new this month: {new['name']}" in body
        # its row in the segment list: "Full payers: 356 customers (23.6%), 68% of purchases; change new"
        # (text), or a table row that flags it as new
        row = rf"{re.escape(new['name'])}:? [^0-9]*{new['size']:,} (customers )?\(?[0-9.]+%\)?[^\n]*\bnew\b"
        assert re.search(row, body), body
        for name in vanished:
            assert f"no longer found: {name}" in body


def test_shifted_month_reports_the_new_segment_in_what_changed(history: History) -> None:
    new = _new_segment(history)
    report = changes_text((history.shifted_out / NOV / "report.html").read_text(encoding="utf-8"))
    assert "new" in report.lower() and new["name"] in report
    sentence = re.search(r"[^.]*\bnew (?:this month|segment)[^.]*\.", report, flags=re.I)
    assert sentence and new["name"] in sentence.group(0)
    for vanished in summary(history.shifted_out, NOV)["segment_matching"]["vanished"]:
        assert re.search(rf"no longer (found|seen)[^.]*{re.escape(vanished['name'])}", report)


def test_what_changed_names_every_segment(history: History) -> None:
    report = changes_text((history.shifted_out / NOV / "report.html").read_text(encoding="utf-8"))
    assert re.findall(r"\bSegment \d+\b", report) == []


# ---- 2. the briefing over a real SMTP server on loopback ---------------------------------------------------


def check_arrived(raw: bytes, folder: Path) -> EmailMessage:
    """Check a delivered briefing: text + HTML, charts resolved by cid, the period's PDF attached."""
    msg = parsed(raw)
    # a headline subject: the month, then a segment this month's summary names, with a share
    names = [s["name"] for s in json.loads((folder / "summary.json").read_text(encoding="utf-8"))["segments"]]
    doc = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert msg["Subject"].startswith(f"November 2026 – {doc['headline']}")  # the report's key message
    assert any(name in msg["Subject"] for name in names) and re.search(r"\d+%", msg["Subject"])
    assert msg["To"] == ", ".join(RECIPIENTS)
    assert msg.get_content_type() == "multipart/mixed"
    alternative = next(p for p in msg.walk() if p.get_content_type() == "multipart/alternative")
    kinds = [p.get_content_type() for p in alternative.iter_parts()]
    assert kinds == ["text/plain", "multipart/related"]
    related = list(alternative.iter_parts())[1]
    html_part, *images = list(related.iter_parts())
    assert html_part.get_content_type() == "text/html" and images
    html = html_part.get_content()
    cids = {str(img["Content-ID"]).strip("<>"): img for img in images}
    referenced = re.findall(r'src="cid:([^"]+)"', html)
    assert referenced and sorted(set(referenced)) == sorted(cids)
    for img in images:
        assert img.get_content_type() == "image/png" and img.get_content().startswith(b"\x89PNG")
    (attachment,) = [p for p in msg.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert attachment.get_filename() == "customer-segments-2026-11.pdf"
    assert attachment.get_content() == (folder / "report.pdf").read_bytes()
    plain, _ = mail_texts(msg)
    assert "Customers: " in plain and "Full report: https://intranet.example.com/segments/2026-11/" in plain
    assert "https://intranet.example.com/segments/2026-11/report.html" in html
    assert raw.replace(b"\r\n", b"\n") == (folder / "briefing.eml").read_bytes().replace(b"\r\n", b"\n")
    return msg


def test_send_over_smtp_once_then_resend(
    history: History, smtp: Recorder, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    shutil.copytree(history.out, out)
    folder = out / NOV

    # a server that refuses the connection, or accepts and drops it: exit 1, nothing recorded
    refused = toml(tmp_path / "refused.toml", _free_port())
    assert send(history, out, config=refused) == 1
    assert "connection refused" in capsys.readouterr().err
    listener, stop = _bad_server("drop")
    try:
        dropped = toml(tmp_path / "dropped.toml", listener.getsockname()[1])
        assert send(history, out, config=dropped) == 1
    finally:
        stop.set()
        listener.close()
    err = capsys.readouterr().err
    assert err.startswith("error: could not send the 2026-11 briefing") and "Traceback" not in err
    assert not (folder / "sent.json").exists() and smtp.received == []

    # the real send: what arrives is the period's briefing
    assert send(history, out) == 0
    assert len(smtp.received) == 1
    rcpts, raw = smtp.received[0]
    assert rcpts == RECIPIENTS
    first = check_arrived(raw, folder)
    record = json.loads((folder / "sent.json").read_text(encoding="utf-8"))
    assert record["message_id"] == first["Message-ID"] and len(record["sends"]) == 1

    assert send(history, out) == 0  # once only
    assert "already sent" in capsys.readouterr().err and len(smtp.received) == 1
    assert send(history, out, "--resend") == 0
    assert len(smtp.received) == 2 and smtp.received[1][1] == raw
    assert len(json.loads((folder / "sent.json").read_text(encoding="utf-8"))["sends"]) == 2


def test_rerun_on_corrected_inputs_gives_a_new_briefing_that_can_be_sent(
    history: History, smtp: Recorder, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    shutil.copytree(history.shifted_out, out)
    first = json.loads(history.first_send)
    assert first["period"] == NOV and len(first["sends"]) == 1  # the first November briefing went out
    assert not (out / NOV / "sent.json").exists()  # the re-run on corrected inputs dropped that record
    assert send(history, out) == 0 and len(smtp.received) == 1
    arrived = check_arrived(smtp.received[0][1], out / NOV)
    assert arrived["Message-ID"] != first["message_id"]
    assert "new this month: Full payers" in mail_texts(arrived)[0]
    assert (
        json.loads((out / NOV / "sent.json").read_text(encoding="utf-8"))["message_id"]
        == arrived["Message-ID"]
    )


# ---- 3. the archive in a real headless Chromium ------------------------------------------------------------


@pytest.fixture
def browser_on_copy(history: History, tmp_path: Path) -> Iterator[tuple[Browser, Path]]:
    if not CHROMIUM.exists():
        pytest.fail("needs Debian's /usr/bin/chromium (scripts/sysdeps.sh installs it)")
    share = (
        tmp_path / "share" / "segments"
    )  # copied elsewhere: the archive must not depend on where it was built
    shutil.copytree(history.out, share)
    with opened_browser(share) as browser:
        yield browser, share


@pytest.mark.browser
def test_archive_of_real_reports_renders_in_chromium_from_a_copy(
    browser_on_copy: tuple[Browser, Path], tmp_path: Path
) -> None:
    browser, share = browser_on_copy
    shots = Path(os.environ.get("REPORTGEN_SCREENSHOT_DIR", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    index_html = (share / "index.html").read_text(encoding="utf-8")
    hrefs = [h for h in re.findall(r'(?:href|src)="([^"]*)"', index_html) if not h.startswith("data:image/")]
    files = ("report.html", "report.pdf", "briefing.eml", "segments.csv")
    assert sorted(hrefs) == sorted(f"{p}/{name}" for p in (OCT, NOV) for name in files)
    assert all((share / h).is_file() for h in hrefs)

    index = (share / "index.html").as_uri()
    browser.open(index)
    rows = browser.evaluate("Array.from(document.querySelectorAll('tbody tr')).map(r => r.innerText)")
    assert len(rows) == 2 and rows[0].startswith("November 2026") and rows[1].startswith("October 2026")
    nov = summary(share, NOV)
    assert f"{nov['input']['customers']:,}" in rows[0]
    assert f"+{nov['migration']['new_customers']:,} new" in rows[0]
    assert len(browser.screenshot(shots / "monthly-archive-index.png")) > 5000

    links = browser.evaluate("Array.from(document.links).map(a => a.href)")
    assert len(links) == 8
    for link in links:
        path = Path(unquote(urlparse(link).path))
        assert path.is_file() and share in path.parents, link
        if path.suffix != ".html":
            start = {".pdf": b"%PDF-", ".eml": b"Subject: ", ".csv": b"customer_id,"}[path.suffix]
            assert path.read_bytes().startswith(start), path
            continue
        browser.open(link)
        period = path.parent.name
        assert period in (OCT, NOV)
        title = browser.evaluate("document.title")
        assert "October 2026" in title or "November 2026" in title, title
        images = browser.evaluate("Array.from(document.images).map(i => i.complete && i.naturalWidth > 0)")
        assert images and all(images)
        svgs = browser.evaluate("document.querySelectorAll('svg').length")
        assert svgs > 0
        fonts = browser.evaluate("Array.from(document.fonts).filter(f => f.status === 'loaded').length")
        assert fonts > 0  # the embedded Lato, not a machine font
        height = browser.evaluate("document.documentElement.scrollHeight")
        assert height > 3000  # a whole report, not an error page
        if period == NOV:
            assert browser.evaluate("!!document.getElementById('changes')")
            browser.screenshot(shots / "monthly-report-2026-11.png")
            browser.evaluate("document.getElementById('changes').scrollIntoView()")
            browser.screenshot(shots / "monthly-report-2026-11-what-changed.png")
        else:
            assert not browser.evaluate("!!document.getElementById('changes')")

    assert browser.blocked == []
    assert browser.requests and all(browser._inside(u) for u in browser.requests)


# ---- 4. a run killed midway leaves the earlier archive byte-identical --------------------------------------

KILL_AFTER_PDF = """
import os, runpy, signal, sys
import reportgen.pipeline as pipeline

real = pipeline.publish_period


class KillAfterPdf(dict):
    # publish_period writes each item into the staging folder; die right after report.pdf is on disk
    def items(self):
        for name, data in super().items():
            yield name, data
            if name == "report.pdf":
                os.kill(os.getpid(), signal.SIGKILL)


def publish(out_dir, period, files):
    assert next(iter(files)) == "report.pdf"
    return real(out_dir, period, KillAfterPdf(files))


pipeline.publish_period = publish
sys.argv = ["reportgen", *sys.argv[1:]]
runpy.run_module("reportgen", run_name="__main__")
"""


def test_killed_run_leaves_the_archive_byte_identical_and_the_next_run_cleans_up(
    history: History, smtp: Recorder, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    shutil.copytree(history.out, out)
    assert send(history, out) == 0 and len(smtp.received) == 1  # November was already e-mailed
    before = snapshot(out)
    assert "2026-11/sent.json" in before
    wrapper = tmp_path / "kill_after_pdf.py"
    wrapper.write_text(KILL_AFTER_PDF, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(wrapper), *run_args(history.config, history.data["shifted"], NOV, out)],
        capture_output=True,
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()

    # the kill left a staging folder with the new PDF in it, and nothing else changed
    staging = [p for p in out.iterdir() if p.name.startswith(".staging-2026-11-")]
    assert len(staging) == 1 and (staging[0] / "report.pdf").read_bytes().startswith(b"%PDF-")
    assert {k: v for k, v in snapshot(out).items() if not k.startswith(".staging-")} == before
    # hidden: neither the archive nor the next month's model lookup sees it
    assert [e.period for e in archive_entries(out)] == [NOV, OCT]
    assert ".staging" not in archive_index(out, "Meridian Analytics")
    previous = load_previous_model(out, Period(2026, 12))
    assert previous is not None and previous.period == parse_period(NOV)

    # the next run of the period cleans up; on the original inputs it rebuilds the archive byte for byte,
    # send record included, so the unchanged briefing is not e-mailed a second time
    run(history, history.data[NOV], NOV, out)
    assert not any(p.name.startswith(".") for p in out.iterdir())
    assert snapshot(out) == before
    capsys.readouterr()
    assert send(history, out) == 0 and len(smtp.received) == 1
    assert "already sent" in capsys.readouterr().err


# ---- 5. determinism -----------------------------------------------------------------------------------------


def test_same_inputs_give_byte_identical_outputs_in_another_folder_and_process(history: History) -> None:
    for period in (OCT, NOV):
        for name in PERIOD_FILES:
            a = (history.out / period / name).read_bytes()
            b = (history.twin / period / name).read_bytes()
            assert a == b, f"{period}/{name} differs between two runs"
    assert (history.out / "index.html").read_bytes() == (history.twin / "index.html").read_bytes()
    assert sorted(p.name for p in history.out.iterdir()) == sorted(p.name for p in history.twin.iterdir())
    assert sorted(p.name for p in (history.out / NOV).iterdir()) == sorted(PERIOD_FILES)
    # nothing in the published files names the folder they were written to
    for period in (OCT, NOV):
        for name in ("report.html", "summary.json", "model.json", "briefing.eml"):
            assert str(history.out).encode() not in (history.out / period / name).read_bytes()


def test_pdf_is_the_real_report(history: History) -> None:
    pdf = (history.out / NOV / "report.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-") and len(pdf) > 50_000
    text = subprocess.run(
        ["pdftotext", "-layout", str(history.out / NOV / "report.pdf"), "-"],
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout.decode()
    assert "What changed" in text and "November 2026" in text
    assert np.isfinite(summary(history.out, NOV)["quality"]["silhouette"])
