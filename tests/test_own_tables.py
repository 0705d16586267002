"""Users' own tables as they come, end to end through the command line: the two shared tables, a day-first
purchase log, and one bad-value test per own-table key (exit 2, one error line, earlier output intact)."""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import polars as pl
import pytest

from reportgen.cli import main

PERIOD = "2014-06"
MARKETING_TOML = """
[data]
id_column = "ID"
features = ["Income", "Recency", "MntWines", "MntFruits", "MntMeatProducts", "MntFishProducts",
            "MntSweetProducts", "MntGoldProds", "NumDealsPurchases", "NumWebPurchases",
            "NumCatalogPurchases", "NumStorePurchases", "NumWebVisitsMonth", "Dt_Customer", "Education"]
categorical = ["Education", "Marital_Status"]
dates = { Dt_Customer = "%d-%m-%Y" }
labels = { MntWines = "Wine spend" }
[clustering]
k_max = 5
"""
WHOLESALE_TOML = """
[data]
id_column = ""
features = ["Fresh", "Milk", "Grocery", "Frozen", "Detergents_Paper", "Delicassen"]
categorical = ["Channel", "Region"]
labels = { "Channel=1" = "Horeca channel", "Channel=2" = "Retail channel" }
[clustering]
k_max = 5
"""


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _run(data: Path, config: Path, out: Path, *more: str) -> int:
    return main(["run", "--quiet", "--data", str(data), "--config", str(config), "--out", str(out), *more])


def _segment_sections(page: str) -> dict[int, str]:
    """Return each segment page's HTML by segment id."""
    parts = re.split(r'<section class="chapter segment[^"]*" id="segment-(\d+)">', page)
    return {int(parts[i]): parts[i + 1].split("</section>")[0] for i in range(1, len(parts), 2)}


def _members(folder: Path) -> pl.DataFrame:
    return pl.read_csv(folder / "segments.csv", schema_overrides={"customer_id": pl.String})


# --- marketing_campaign.csv: TAB, dd-mm-yyyy dates, text categories, 24 missing incomes --------------------


@pytest.fixture(scope="module")
def marketing_run(tmp_path_factory: pytest.TempPathFactory, marketing_path: Path) -> Path:
    work = tmp_path_factory.mktemp("marketing")
    config = _write(work, "reportgen.toml", MARKETING_TOML)
    assert _run(marketing_path, config, work / "out", "--period", PERIOD) == 0
    return work / "out" / PERIOD


def test_marketing_campaign_runs_as_distributed(marketing_run: Path, marketing_path: Path) -> None:
    summary = json.loads((marketing_run / "summary.json").read_text())
    assert summary["input"]["customers"] == 2240
    assert summary["data_quality"]["missing"] == {"Income": 24}
    assert summary["data_quality"]["imputed"]["Income"]["count"] == 24
    used = summary["features"]["used"]
    assert "Dt_Customer" in used and "Education=Graduation" in used and "Education" not in used
    # the enrolment date became days before the period end: 04-09-2012 is 664 days before 2014-06-30
    source = pl.read_csv(marketing_path, separator="\t", schema_overrides={"ID": pl.String})
    days = (datetime(2014, 6, 30) - source.get_column("Dt_Customer").str.strptime(pl.Datetime, "%d-%m-%Y")).dt
    overall_days = float(days.total_days().mean() or 0)
    segments = summary["segments"]
    mean_days = sum(s["profile"]["Dt_Customer"]["mean"] * s["size"] for s in segments) / 2240
    assert mean_days == pytest.approx(overall_days, rel=1e-6)


def test_marketing_segments_carry_their_category_shares(marketing_run: Path, marketing_path: Path) -> None:
    summary = json.loads((marketing_run / "summary.json").read_text())
    source = pl.read_csv(marketing_path, separator="\t", schema_overrides={"ID": pl.String})
    members = _members(marketing_run).join(source.rename({"ID": "customer_id"}), on="customer_id")
    for segment in summary["segments"]:
        rows = members.filter(pl.col("segment_id") == segment["id"])
        counts = Counter(rows.get_column("Education").to_list())
        shares = segment["categories"]["Education"]
        assert sum(shares.values()) == pytest.approx(1.0, abs=1e-5)
        assert shares["PhD"] == pytest.approx(counts["PhD"] / rows.height, abs=1e-6)
        # the junk statuses (Alone, Absurd, YOLO: 7 customers, under 1%) are grouped as "other"
        assert "YOLO" not in segment["categories"]["Marital_Status"]
    overall = summary["categories"]["Marital_Status"]
    assert overall["other"] == pytest.approx(7 / 2240, abs=1e-6)


def test_marketing_report_names_segments_in_words_and_shows_categories(marketing_run: Path) -> None:
    summary = json.loads((marketing_run / "summary.json").read_text())
    page = (marketing_run / "report.html").read_text()
    camel = ["MntWines", "MntFishProducts", "NumStorePurchases", "NumWebVisitsMonth", "Dt_Customer"]
    sections = _segment_sections(page)
    for segment in summary["segments"]:
        name = segment["name"]
        assert not any(c.lower() in name.lower().replace(" ", "_") for c in camel), name
        assert not re.search(r"[a-z][A-Z]", name), name
        section = sections[segment["id"]]
        assert "Categories in this segment" in section
        top = max(segment["categories"]["Education"].items(), key=lambda kv: (kv[1], kv[0]))[0]
        share = round(segment["categories"]["Education"][top] * 100)
        assert f"<dd>{html.escape(top)} {share}%" in section
    # the user's label names the column wherever the report shows it (profile tables, traits)
    assert ">Wine spend<" in page and "Mnt wines" not in page
    # no credit-card wording or defaults (F22): the note that engineered ratios do not apply names their columns
    assert "credit-card" not in page.lower() and "No engineered features: the ratios" in page
    assert "CUST_ID" not in page and "BALANCE" not in page


# --- wholesale_customers.csv: no id column, coded categories ----------------------------------------------


@pytest.fixture(scope="module")
def wholesale_run(tmp_path_factory: pytest.TempPathFactory, wholesale_path: Path) -> Path:
    work = tmp_path_factory.mktemp("wholesale")
    config = _write(work, "reportgen.toml", WHOLESALE_TOML)
    assert _run(wholesale_path, config, work / "out", "--period", "2026-11") == 0
    return work / "out" / "2026-11"


def test_wholesale_runs_without_an_id_column(wholesale_run: Path) -> None:
    members = _members(wholesale_run)
    assert members.get_column("customer_id").to_list() == [str(i) for i in range(1, 441)]
    summary = json.loads((wholesale_run / "summary.json").read_text())
    assert any("numbered by their data row" in n for n in summary["data_quality"]["notes"])
    # Channel and Region are profiled as shares, never averaged like amounts
    assert all("Channel" not in s["profile"] and "Region" not in s["profile"] for s in summary["segments"])


def test_wholesale_report_says_which_channel_dominates_each_segment(
    wholesale_run: Path, wholesale_path: Path
) -> None:
    source = pl.read_csv(wholesale_path).with_row_index("row", offset=1)
    source = source.with_columns(pl.col("row").cast(pl.String).alias("customer_id"))
    members = _members(wholesale_run).join(source, on="customer_id")
    sections = _segment_sections((wholesale_run / "report.html").read_text())
    names = {1: "Horeca channel", 2: "Retail channel"}
    dominant = {}
    for segment_id, section in sections.items():
        channels = Counter(members.filter(pl.col("segment_id") == segment_id).get_column("Channel").to_list())
        top, count = channels.most_common(1)[0]
        share = count / sum(channels.values())
        dominant[segment_id] = top
        # the channel row names the dominant channel first, with its share here and among all customers
        overall = (source.get_column("Channel") == top).mean()
        text = f"<dt>Channel</dt><dd>{names[top]} {round(share * 100)}% ({round(float(overall or 0) * 100)}% overall)"
        assert text in section
    # the known story of this table: the segments follow the two sales channels, each dominating some
    assert len(sections) >= 2 and set(dominant.values()) == {1, 2}
    page = (wholesale_run / "report.html").read_text()
    assert "Retail channel vs 32% overall" in page
    assert "BALANCE" not in page and "CUST_ID" not in page and "account data" not in page


def test_engineered_on_another_table_is_noted_once(wholesale_run: Path) -> None:
    notes = json.loads((wholesale_run / "summary.json").read_text())["data_quality"]["notes"]
    assert sum("No engineered features" in n for n in notes) == 1
    # F22: in words a wholesale reader knows, without the credit-card layout
    assert not any("credit-card" in n for n in notes)


def test_the_briefing_tells_each_segments_category_story(wholesale_run: Path) -> None:
    # F32: the table's main finding (which channel each segment leans to) reaches the e-mail too
    summary = json.loads((wholesale_run / "summary.json").read_text())
    leans = {s["name"]: s["category_highlights"] for s in summary["segments"]}
    assert any(leans.values())
    msg = BytesParser(policy=policy.default).parsebytes((wholesale_run / "briefing.eml").read_bytes())
    assert isinstance(msg, EmailMessage)
    text = next(p.get_content() for p in msg.walk() if p.get_content_type() == "text/plain")
    page = next(p.get_content() for p in msg.walk() if p.get_content_type() == "text/html")
    for name, highlights in leans.items():
        line = next(chunk for chunk in text.split("\n- ") if chunk.startswith(name + ":"))
        if highlights:
            first = highlights[0]
            assert first in line and first in page


def test_undeclared_codes_get_a_note(tmp_path: Path, wholesale_path: Path) -> None:
    config = _write(
        tmp_path,
        "reportgen.toml",
        '[data]\nid_column = ""\nfeatures = ["Fresh", "Milk", "Grocery", "Channel"]\n[clustering]\nk = 2\n',
    )
    assert _run(wholesale_path, config, tmp_path / "out", "--period", "2026-11") == 0
    notes = json.loads((tmp_path / "out" / "2026-11" / "summary.json").read_text())["data_quality"]["notes"]
    assert any(n.startswith("Channel holds only 2 distinct whole numbers (1, 2)") for n in notes)
    assert any("data.categorical" in n for n in notes)


# --- a day-first purchase log ------------------------------------------------------------------------------


def _day_first_log(folder: Path) -> Path:
    """Write a purchase log of 30 customers over Jan-Mar 2011 with day-first timestamps (25/01/2011 ...)."""
    lines = ["InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice,CustomerID"]
    start = datetime(2011, 1, 3, 9, 30)
    invoice = 500000
    for customer in range(30):
        for order in range(1 + customer % 4):
            when = start + timedelta(days=(customer * 7 + order * 13) % 85, hours=customer % 5)
            invoice += 1
            lines.append(
                f"{invoice},P{order},{1 + customer % 3},{when:%d/%m/%Y %H:%M},{2.5 + customer},{10000 + customer}"
            )
    path = folder / "log.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_day_first_log_runs_with_timestamp_format(tmp_path: Path) -> None:
    log = _day_first_log(tmp_path)
    config = _write(
        tmp_path,
        "reportgen.toml",
        '[data]\nkind = "transactions"\n[transactions]\ntimestamp_format = "%d/%m/%Y %H:%M"\n'
        "[clustering]\nk_max = 4\n",
    )
    assert _run(log, config, tmp_path / "out") == 0  # no --period: the month of the last timestamp
    folders = [p.name for p in (tmp_path / "out").iterdir() if p.is_dir()]
    rows = pl.read_csv(log).with_columns(pl.col("InvoiceDate").str.strptime(pl.Datetime, "%d/%m/%Y %H:%M"))
    last = rows.get_column("InvoiceDate").max()
    assert isinstance(last, datetime) and folders == [last.strftime("%Y-%m")]
    members = pl.read_csv(tmp_path / "out" / folders[0] / "segments.csv")
    assert members.columns[-3:] == ["recency_days", "frequency", "monetary"]
    # one customer's figures by hand: orders, net spend, whole days from the last purchase to the log's end
    mine = rows.filter(pl.col("CustomerID") == 10003)
    figures = members.filter(pl.col("customer_id") == 10003).row(0, named=True)
    assert figures["frequency"] == mine.height
    assert figures["monetary"] == pytest.approx(float((mine["Quantity"] * mine["UnitPrice"]).sum()))
    assert figures["recency_days"] == (last.date() - mine["InvoiceDate"].max().date()).days  # type: ignore[union-attr]
    page = (tmp_path / "out" / folders[0] / "report.html").read_text()
    assert "buying in this log" in page and "this month&#39;s" not in page  # three months, not one


def test_day_first_log_without_the_key_names_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = _day_first_log(tmp_path)
    config = _write(tmp_path, "reportgen.toml", '[data]\nkind = "transactions"\n')
    assert _run(log, config, tmp_path / "out") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and str(log) in err[0]
    assert "transactions.timestamp_format" in err[0]
    # a format that does not fit the log names the key and the format too
    _write(
        tmp_path,
        "reportgen.toml",
        '[data]\nkind = "transactions"\n[transactions]\ntimestamp_format = "%m/%d/%Y %H:%M"\n',
    )
    assert _run(log, config, tmp_path / "out") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "format '%m/%d/%Y %H:%M' (transactions.timestamp_format)" in err[0], err


# --- one bad-value test per own-table key -----------------------------------------------------------------

GOOD_TABLE = "ID;Spend;Visits;Joined;Channel\n" + "".join(
    f"{i};{10 + i * 3 % 17};{1 + i % 5};{1 + i % 28:02d}-0{1 + i % 9}-2013;{1 + i % 2}\n"
    for i in range(1, 61)
)
GOOD_TOML = """[data]
separator = ";"
id_column = "ID"
features = ["Spend", "Visits", "Joined"]
categorical = ["Channel"]
dates = { Joined = "%d-%m-%Y" }
value = ["Spend"]
labels = { Spend = "Spend" }
[clustering]
k = 2
"""


@pytest.mark.parametrize(
    ("old", "new", "key", "names_config"),
    [
        ('separator = ";"', 'separator = ","', "data.separator", False),
        ('separator = ";"', 'separator = "::"', "data.separator", True),
        ('id_column = "ID"', 'id_column = "CustomerNo"', "data.id_column", False),
        ('categorical = ["Channel"]', 'categorical = ["Segment"]', "data.categorical", False),
        ('categorical = ["Channel"]', 'categorical = "Channel"', "data.categorical", True),
        ('{ Joined = "%d-%m-%Y" }', '{ Joined = "%Y-%m-%d" }', "data.dates.Joined", False),
        ('{ Joined = "%d-%m-%Y" }', '{ Joined = "yyyy" }', "data.dates.Joined", True),
        ('value = ["Spend"]', 'value = ["Revenue"]', "data.value", False),
        ('labels = { Spend = "Spend" }', 'labels = { Spend = "" }', "data.labels.Spend", True),
        (
            "[clustering]",
            '[transactions]\ntimestamp_format = "%H"\n[clustering]',
            "transactions.timestamp_format",
            True,
        ),
    ],
)
def test_own_table_key_that_does_not_fit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str, key: str, names_config: bool
) -> None:
    data = _write(tmp_path, "table.csv", GOOD_TABLE)
    config = _write(tmp_path, "reportgen.toml", GOOD_TOML)
    out = tmp_path / "out"
    assert _run(data, config, out, "--period", "2013-12") == 0
    before = {p.name: p.read_bytes() for p in (out / "2013-12").iterdir()}
    capsys.readouterr()
    assert old in GOOD_TOML
    _write(tmp_path, "reportgen.toml", GOOD_TOML.replace(old, new))
    assert _run(data, config, out, "--period", "2013-12") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:"), err
    assert key in err[0] and str(config if names_config else data) in err[0], err[0]
    assert {p.name: p.read_bytes() for p in (out / "2013-12").iterdir()} == before
