"""A run with `[report] locale` and `currency`: every number in every channel is in the locale's format."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest

from reportgen.cli import main
from reportgen.dev.sample import generate_months, write_sample_csv

# "1,234", "1,234.5", "12.3", "0.245" or "12%" / "12.3%": how English writes numbers; German writes
# "1.234", "1.234,5", "12,3", "0,245" and "12 %" (a thousands group never starts with 0, so "0.245" is a decimal)
ENGLISH_NUMBER = re.compile(
    r"(?<![\w.,])(?:[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?|\d+\.\d{1,2}(?!\d)|0\.\d+|\d+(?:\.\d+)?%)"
)


def visible_text(markup: str) -> str:
    """Return what a reader sees of an HTML page, alt texts and chart labels included, but the settings
    block (the configuration file as written) and the generator's version."""
    markup = re.sub(r"<(style|script)\b.*?</\1>", " ", markup, flags=re.S)
    markup = re.sub(r'<pre class="config">.*?</pre>', " ", markup, flags=re.S)
    alts = " ".join(re.findall(r'(?:alt|aria-label|content)="([^"]*)"', markup))
    text = html.unescape(re.sub(r"<[^>]+>", " ", markup) + " " + alts)
    return re.sub(r"reportgen \d+\.\d+\.\d+", "reportgen", text)


def english_numbers(text: str) -> list[str]:
    """Return each English-formatted number with a little of its context."""
    return [text[max(0, m.start() - 40) : m.end() + 10] for m in ENGLISH_NUMBER.finditer(text)]


@pytest.fixture(scope="module")
def german_months(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the output folder of two months run from the command line in de_DE with euros."""
    base = tmp_path_factory.mktemp("de")
    config = base / "reportgen.toml"
    config.write_text(
        '[report]\nlocale = "de_DE"\ncurrency = "EUR"\n\n[clustering]\nk_min = 3\nk_max = 6\nn_init = 2\n',
        encoding="utf-8",
    )
    for month in generate_months(1500, ["2026-10", "2026-11"], seed=5):
        data = base / f"{month.period}.csv"
        write_sample_csv(month.frame, data)
        args = ["run", "--quiet", "--data", str(data), "--config", str(config), "--out", str(base / "out")]
        assert main([*args, "--period", month.period]) == 0
    return base / "out"


def channel_texts(out: Path) -> dict[str, str]:
    """Return the text of every channel of the second month: web report, PDF, e-mail (subject, text, HTML),
    the archive index."""
    folder = out / "2026-11"
    texts = {"report.html": visible_text((folder / "report.html").read_text(encoding="utf-8"))}
    msg = BytesParser(policy=policy.default).parsebytes((folder / "briefing.eml").read_bytes())
    assert isinstance(msg, EmailMessage)
    texts["subject"] = str(msg["Subject"])
    for part in msg.walk():
        if part.get_content_type() == "text/plain":
            texts["briefing.txt"] = part.get_content()
        elif part.get_content_type() == "text/html":
            texts["briefing.html"] = visible_text(part.get_content())
    texts["index.html"] = visible_text((out / "index.html").read_text(encoding="utf-8"))
    if shutil.which("pdftotext"):
        pdf = subprocess.run(
            ["pdftotext", str(folder / "report.pdf"), "-"], capture_output=True, text=True, check=True
        ).stdout
        # the PDF's settings block has no <pre> to cut: drop from its heading to the end
        texts["report.pdf"] = re.sub(r"reportgen \d+\.\d+\.\d+", "reportgen", pdf.split("CONFIGURATION")[0])
    return texts


def test_no_channel_prints_an_english_number(german_months: Path) -> None:
    texts = channel_texts(german_months)
    assert {"report.html", "subject", "briefing.txt", "briefing.html", "index.html"} <= set(texts)
    found = {name: english_numbers(text)[:5] for name, text in texts.items() if english_numbers(text)}
    assert not found, found
    # and they are German: a decimal comma in the prose, the month's news and the subject
    report = texts["report.html"]
    assert re.search(r"\d,\d\s?%", report) and re.search(r"\d,\dx the average", report)
    assert re.search(r"\d{1,3}(\.\d{3})+", report)  # a thousands group: the customers, the amounts


def test_amounts_in_sentences_carry_the_currency(german_months: Path) -> None:
    texts = channel_texts(german_months)
    for name in ("report.html", "briefing.txt"):
        # "(1.312 € per customer)", "At stake: 63,9 % of purchases (2.511.639 €)", "average 4.426 €"
        amounts = re.findall(r"\(([^()]*?) per customer\)|At stake: [^(]*\(([^()]*)\)", texts[name])
        figures = [a or b for a, b in amounts]
        assert figures, name
        assert all(f.endswith("€") for f in figures), [f for f in figures if not f.endswith("€")]
