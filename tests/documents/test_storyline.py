"""The storyline: messages that are true of the numbers, deltas in a second month, the e-mail's subject."""

from __future__ import annotations

import json
import re
from email import policy
from email.parser import BytesParser
from html import escape
from pathlib import Path
from types import SimpleNamespace

import pytest

from reportgen.documents.report_model.storyline import (
    count_delta,
    headline_change,
    key_figure_table,
    key_message,
    points_delta,
    ratio_delta,
    ratio_text,
    this_month,
)
from reportgen.model import (
    FeatureStat,
    FigureChange,
    Flow,
    Matching,
    Migration,
    MonthOverMonth,
    Redefinition,
    SegmentChange,
    SegmentProfile,
)
from reportgen.period import Period


def profile(id_: int, name: str, share: float, value: float | None) -> SegmentProfile:
    return SegmentProfile(
        id=id_,
        name=name,
        archetype="x",
        size=round(share * 1000),
        share=share,
        stats={"PURCHASES": FeatureStat(mean=1.0, median=1.0, lift=1.0)},
        value_shares={} if value is None else {"PURCHASES": value},
        traits=(),
    )


def test_key_message_gives_the_concentration_of_value() -> None:
    one = SimpleNamespace(
        profiles=(profile(0, "High spenders", 0.12, 0.65), profile(1, "Savers", 0.88, 0.35))
    )
    assert key_message(one, "Purchases") == "High spenders: 12% of customers make 65% of purchases"  # type: ignore[arg-type]
    # two segments needed to pass 60%: named, with their combined shares
    two = SimpleNamespace(
        profiles=(profile(0, "A", 0.30, 0.40), profile(1, "B", 0.20, 0.30), profile(2, "C", 0.50, 0.30))
    )
    assert key_message(two, "Purchases") == "B and A: 50% of customers make 70% of purchases"  # type: ignore[arg-type]
    # a segment making less than its share per customer is not pulled in to reach 60%: the claim is
    # concentration, and it adds customers, not concentration
    diluted = SimpleNamespace(
        profiles=(profile(0, "A", 0.33, 0.53), profile(1, "B", 0.18, 0.16), profile(2, "C", 0.49, 0.31))
    )
    assert key_message(diluted, "Combined value") == "A: 33% of customers make 53% of combined value"  # type: ignore[arg-type]
    # never more than three names: a headline, not a list
    many = SimpleNamespace(profiles=tuple(profile(i, n, 0.1, 0.15) for i, n in enumerate("ABCDE")))
    assert key_message(many, "Spend").startswith("A, B and C: 30% of customers make 45% of spend")  # type: ignore[arg-type]
    none = SimpleNamespace(profiles=(profile(0, "A", 0.7, None), profile(1, "B", 0.3, None)))
    # a name need not be a plural ("Mixed behaviour hold 35%"): no verb agrees with it
    assert key_message(none, "spend") == "A: 70% of customers, the largest segment"  # type: ignore[arg-type]
    # an abbreviation stays one: a SaaS table's headline and e-mail subject read "73% of mrr"
    assert key_message(one, "MRR") == "High spenders: 12% of customers make 65% of MRR"  # type: ignore[arg-type]


def test_deltas_carry_sign_size_and_direction() -> None:
    assert count_delta(-30, 750) is not None and count_delta(-30, 750).text == "▼ -30 (-4%)"  # type: ignore[union-attr]
    assert count_delta(120, 4000).text == "▲ +120 (+3%)"  # type: ignore[union-attr]
    assert count_delta(0, 10).direction == "flat"  # type: ignore[union-attr]
    assert count_delta(0, 10).text == "= no change"  # type: ignore[union-attr]
    # a relative change that prints as 0% carries no arrow: "▼ 0.0%" would contradict its number
    assert ratio_delta(-0.0).text == ratio_delta(0.0004).text == "= no change"
    assert ratio_delta(-0.0004).direction == "flat" and ratio_delta(0.004).text == "▲ +0.4%"
    assert ratio_delta(-0.04).text == "▼ -4%" and ratio_delta(-0.04).direction == "down"
    assert count_delta(None, None) is None
    assert points_delta(0.25, 0.262).text == "▼ -1.2 pts"  # type: ignore[union-attr]
    assert ratio_text(0.004) == "+0.4%" and ratio_text(0.0) == "0%" and ratio_text(-0.5) == "-50%"


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_second_month_shows_changes_on_every_segment_page(second_month: Path) -> None:
    summary = json.loads((second_month / "summary.json").read_text())
    html = (second_month / "report.html").read_text(encoding="utf-8")
    for seg in summary["segments"]:
        page = html[html.index(f'id="segment-{seg["id"]}"') :]
        page = page[: page.index("</section>")]
        text = _text(page)
        if seg["new"]:
            assert "new this month" in text
            continue
        change, before = seg["size_change"], seg["previous_size"]
        if change == 0:
            assert "= no change" in text, seg["name"]
            continue
        arrow = "▲" if change > 0 else "▼"
        sign = "+" if change > 0 else "-"
        assert f"{arrow} {sign}{abs(change):,} ({ratio_text(change / before)})" in text, seg["name"]
    # the overview's table carries the same change beside each segment
    overview = _text(html[html.index('id="overview"') : html.index('id="segment-')])
    assert "Change" in overview and ("▲" in overview or "▼" in overview)
    # "What changed" lists every segment's key figures with their change
    changes = _text(html[html.index('id="changes"') : html.index('id="overview"')])
    assert "Key figures per customer" in changes
    first = next(s for s in summary["segments"] if not s["new"])
    pct = first["key_figures"]["PURCHASES"]["change_pct"]
    assert ratio_text(pct) in changes
    summary_page = _text(html[html.index('id="summary"') : html.index('id="changes"')])
    assert "This month" in summary_page


def test_first_month_shows_no_change(tmp_path: Path) -> None:
    from reportgen.config import Settings
    from reportgen.pipeline import run

    run(Settings(), "2026-11", tmp_path)
    html = (tmp_path / "2026-11" / "report.html").read_text(encoding="utf-8")
    assert "▲" not in html and "▼" not in html and "This month" not in html


def test_email_subject_carries_a_segment_name_and_a_number(second_month: Path) -> None:
    summary = json.loads((second_month / "summary.json").read_text())
    msg = BytesParser(policy=policy.default).parsebytes((second_month / "briefing.eml").read_bytes())
    subject = str(msg["Subject"])
    names = [s["name"] for s in summary["segments"]]
    top = max(summary["segments"], key=lambda s: s["value_shares"]["PURCHASES"])
    # the report's key message, word for word, names the top-value segment with its shares
    assert subject.startswith(f"November 2026 – {summary['headline']}; ")
    assert subject.startswith(f"November 2026 – {top['name']}")
    assert f"{top['value_shares']['PURCHASES'] * 100:.0f}% of purchases" in subject
    report = (second_month / "report.html").read_text(encoding="utf-8")
    assert f'<p class="cover-message">{escape(summary["headline"], quote=False)}</p>' in report  # the cover
    assert any(name in subject.split("; ", 1)[1] for name in names)  # the largest move, by name
    assert re.search(r"[+-]\d", subject.split("; ", 1)[1])
    # the news is the largest change in customers by count (no new segment in this sample)
    assert not any(s["new"] for s in summary["segments"])
    biggest = max(summary["segments"], key=lambda s: (abs(s["size_change"]), -s["id"]))
    assert subject.split("; ", 1)[1].startswith(f"{biggest['name']} {biggest['size_change']:+,} (")


def change(
    id_: int, name: str, size: int, before: int | None, figures: tuple[FigureChange, ...] = ()
) -> SegmentChange:
    new = before is None
    return SegmentChange(
        id_,
        name,
        size,
        size / 1000,
        new,
        before,
        None if new else before / 1000,
        None if before is None else size - before,
        figures,
    )


def history(changes: tuple[SegmentChange, ...], **kw: object) -> MonthOverMonth:
    flows = (Flow(0, 1, 24), Flow(1, 0, 5), Flow(0, 0, 700))
    return MonthOverMonth(
        Period(2026, 10),
        Migration(Period(2026, 10), 729, 10, 10, flows),
        Matching(Period(2026, 10), (), ()),
        changes,
        **kw,  # type: ignore[arg-type]
    )


def test_the_news_is_a_new_segment_else_the_largest_change_by_count() -> None:
    grew = change(0, "High spenders", 347, 327)  # +20, +6%
    fell = change(1, "One-off buyers", 729, 759)  # -30, -4%
    assert headline_change((grew, fell)) == (fell, "change")  # -30 beats +20 though +6% beats -4%
    fresh = change(2, "Full payers", 304, None)
    assert headline_change((grew, fell, fresh)) == (fresh, "new")
    assert headline_change((grew, fell), redefined={0}) == (grew, "redefined")
    assert headline_change((change(0, "A", 10, 10),)) is None


def _analysis(h: MonthOverMonth) -> SimpleNamespace:
    value = profile(0, "High spenders", 0.3, 0.6)
    return SimpleNamespace(history=h, profiles=(value,))


def test_this_month_says_what_it_ranks_with_the_amount() -> None:
    # totals: High spenders 300 x 100 -> 290 x 100 = -1,000 (-3%); One-off 100 x 10 -> 50 x 12 = -400 (-40%)
    hs = change(0, "High spenders", 290, 300, (FigureChange("PURCHASES", 100.0, 100.0, 0.0, 0.0),))
    oo = change(1, "One-off buyers", 50, 100, (FigureChange("PURCHASES", 10.0, 12.0, 2.0, 0.2),))
    lines = this_month(_analysis(history((hs, oo))), "Purchases")  # type: ignore[arg-type]
    assert lines[0] == (
        "Largest change in total purchases: High spenders, -1,000 (-3%); per customer 100 then, 100 now."
    )
    assert lines[1] == "Largest change in customers: One-off buyers shrank by 50 (-50%)."
    assert lines[2] == "Largest move: 24 customers from High spenders to One-off buyers."
    fresh = change(2, "Full payers", 30, None)
    lines = this_month(_analysis(history((hs, oo, fresh))), "Purchases")  # type: ignore[arg-type]
    assert "New this month: Full payers (30 customers)." in lines
    assert (
        "Largest change in customers among last month's segments: One-off buyers shrank by 50 (-50%)."
        in lines
    )
    redefined = history((hs, oo), redefined=(Redefinition(0, (3,), 20),))
    lines = this_month(_analysis(redefined), "Purchases")  # type: ignore[arg-type]
    assert any(
        line.startswith("Largest change in customers among last month's segments: One-off") for line in lines
    )


def test_a_month_whose_totals_print_as_no_change_names_no_largest_change() -> None:
    # the same extract run again: 2,168 x 2.4 against 2,168 x 2.40004 (the stored mean's last digits)
    same = change(
        0, "Cash advance, no purchases", 2168, 2168, (FigureChange("PURCHASES", 2.40004, 2.4, 0.0, -0.00002),)
    )
    other = change(1, "High spenders", 500, 500, (FigureChange("PURCHASES", 50.0, 50.0, 0.0, 0.0),))
    lines = this_month(_analysis(history((same, other))), "Purchases")  # type: ignore[arg-type]
    assert not any(line.startswith("Largest change") for line in lines)
    assert "No segment's total purchases changed by 0.1% or more." in lines
    table = key_figure_table(history((same, other)), {}, {})
    assert table is not None
    assert [c.delta.text for r in table.rows for c in r.cells if c is not None and c.delta] == [
        "= no change"
    ] * 2
    # one segment that did change is the largest change, however small the others' are
    moved = change(1, "High spenders", 500, 500, (FigureChange("PURCHASES", 50.0, 52.0, 2.0, 0.04),))
    lines = this_month(_analysis(history((same, moved))), "Purchases")  # type: ignore[arg-type]
    assert lines[0].startswith("Largest change in total purchases: High spenders, +1,000 (+4%)")


def test_key_figures_of_a_new_segment_show_its_current_values() -> None:
    hs = change(0, "High spenders", 290, 300, (FigureChange("PURCHASES", 100.0, 110.0, 10.0, 0.1),))
    fresh = change(2, "Full payers", 30, None)
    current = (profile(0, "High spenders", 0.29, 0.6), profile(2, "Full payers", 0.03, 0.1))
    table = key_figure_table(history((hs, fresh)), {}, {}, current)
    assert table is not None
    new_row = table.rows[1]
    assert new_row.name == "Full payers" and new_row.size_delta is not None
    assert new_row.size_delta.text == "new this month"
    cell = new_row.cells[0]
    assert cell is not None and cell.value == 1.0 and cell.delta is None and cell.change_pct is None
    old = table.rows[0].cells[0]
    assert old is not None and old.value == 110.0 and old.delta is not None and old.delta.text == "▲ +10%"


@pytest.mark.parametrize("field", ["preheader"])
def test_email_has_a_hidden_preheader(second_month: Path, field: str) -> None:
    msg = BytesParser(policy=policy.default).parsebytes((second_month / "briefing.eml").read_bytes())
    html = next(p for p in msg.walk() if p.get_content_type() == "text/html").get_content()
    hidden = re.search(r'<div style="display:none;[^"]*">([^<]+)</div>', html)
    assert hidden and "Top action:" in hidden.group(1)


def test_currency_and_period_appear_with_amounts_when_set(tmp_path: Path) -> None:
    from reportgen.config import load_settings
    from reportgen.pipeline import run

    config = tmp_path / "reportgen.toml"
    config.write_text('[report]\ncurrency = "USD"\namounts_cover = "the last 6 months"\n', encoding="utf-8")
    run(load_settings(config), "2026-11", tmp_path / "out")
    html = (tmp_path / "out" / "2026-11" / "report.html").read_text(encoding="utf-8")
    assert "Amounts in US dollars (USD), over the last 6 months." in html
    appendix = html[html.index('id="appendix"') :]
    rows = dict(re.findall(r'<tr><td class="name-col">([^<]+)</td>(.*?)</tr>', appendix))
    assert re.fullmatch(
        r'(<td class="num[^"]*">\$[\d,.]+</td>)+', rows["Purchases"]
    )  # every amount in dollars
    assert "$" not in rows["Purchase transactions"]  # a count is not money
    assert re.search(r">\d+\.\d%<", rows["Purchase frequency (% of months)"])  # a share of months, in percent
    traits = html[html.index('id="segment-0"') :]
    assert "$" in traits[: traits.index("</table>")]
    # amounts in sentences carry the currency too: the actions' figures and every "At stake" line
    pages = html[html.index('id="segment-') : html.index('id="methodology"')]
    stakes = re.findall(r"At stake: ([^<]+)", pages)
    assert stakes and all(
        re.fullmatch(r"the segment&#39;s [\d.]+% of [\w ]+ \(\$[\d,]+\)", s) for s in stakes
    ), stakes
    per_customer = re.findall(r"(\S*\d) per customer", pages)  # "($604 per customer)"
    assert per_customer and all(re.fullmatch(r"\(?\$[\d,.]+", a) for a in per_customer), per_customer
    assert "customers (" in pages and "$" not in "".join(re.findall(r"[\d,]+ customers", pages))  # counts
    # a missing amount replaced by its median is money; the scores (inertia, Calinski-Harabasz) are not
    methodology = html[html.index('id="methodology"') : html.index('id="appendix"')]
    medians = re.findall(r"replaced by the median \(([^)]+)\)", methodology)
    assert medians and all(m.startswith("$") for m in medians), medians
    assert "$" not in re.sub(r"replaced by the median \([^)]+\)", "", methodology)
    # the e-mail briefing and the archive index
    msg = BytesParser(policy=policy.default).parsebytes(
        (tmp_path / "out" / "2026-11" / "briefing.eml").read_bytes()
    )
    for part in ("text/plain", "text/html"):
        body = next(p for p in msg.walk() if p.get_content_type() == part).get_content()
        briefed = re.findall(r"At stake: ([^.<]+\.?[^.<]*)\.", body)
        assert briefed and all("($" in b for b in briefed), (part, briefed)
    index = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert "$" not in re.sub(
        r"<style.*?</style>", "", index, flags=re.S
    )  # shares and counts only, no amounts


def test_web_report_shows_the_movement_matrix_as_a_table_with_readable_cells(second_month: Path) -> None:
    from reportgen.documents.colours import contrast_ratio, srgb

    summary = json.loads((second_month / "summary.json").read_text())
    html = (second_month / "report.html").read_text(encoding="utf-8")
    table = html[html.index('<table class="data heat-table moves-table">') :]
    table = table[: table.index("</table>")]
    cells = re.findall(r'style="background: ([^;]+); color: ([^"]+)">([^<]+)</td>', table)
    assert cells
    assert all(contrast_ratio(srgb(f), srgb(i)) >= 4.5 for f, i, _ in cells)  # type: ignore[arg-type]
    shown = sorted(int(t.replace(",", "")) for _, _, t in cells if t != "0")
    assert shown == sorted(f["customers"] for f in summary["migration"]["flows"] if f["customers"])


def test_a_second_month_with_a_currency_shows_it_in_the_this_month_line(tmp_path: Path) -> None:
    from dataclasses import replace

    from reportgen.config import ClusterConfig, Settings
    from reportgen.dev.sample import generate_months, write_sample_csv
    from reportgen.pipeline import run

    settings = Settings(clustering=ClusterConfig(k_min=3, k_max=6, n_init=2))
    settings = replace(settings, report=replace(settings.report, currency="USD"))
    for month in generate_months(1500, ["2026-10", "2026-11"], seed=5):
        write_sample_csv(month.frame, tmp_path / f"{month.period}.csv")
        run(settings, month.period, tmp_path / "out", tmp_path / f"{month.period}.csv")
    html = (tmp_path / "out" / "2026-11" / "report.html").read_text(encoding="utf-8")
    line = re.search(r"per customer ([^<]*?) then, ([^<]*?) now\.", html)
    assert line and all(re.fullmatch(r"\$[\d,.]+", a) for a in line.groups()), line
