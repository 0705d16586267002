"""Month to month: the number of segments and the segment identities hold, a new group is added as a new
segment, and a merge is told as a redefinition rather than as customers moving."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from reportgen.config import Settings
from reportgen.dev.sample import Month, generate_months, write_sample_csv
from reportgen.documents.month_over_month import change_sentences
from reportgen.io.period_folder import load_previous_model
from reportgen.model import Analysis
from reportgen.period import Period
from reportgen.pipeline import analyse, run

PERIODS = ["2026-10", "2026-11"]


def _november(base: Path, name: str, month: Month, out: Path, settings: Settings) -> Analysis:
    path = base / f"{name}.csv"
    write_sample_csv(month.frame, path)
    return analyse(settings, path, Period(2026, 11), previous=load_previous_model(out, Period(2026, 11)))


@pytest.fixture(scope="module")
def months(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """October published once; three Novembers analysed against it: as usual, with a new group, with k = 4."""
    base = tmp_path_factory.mktemp("months_k")
    normal = generate_months(3000, PERIODS, seed=0)
    shifted = generate_months(3000, PERIODS, seed=0, new_group=True)
    write_sample_csv(normal[0].frame, base / "october.csv")
    out = base / "out"
    october = run(Settings(), "2026-10", out, base / "october.csv").analysis
    fixed = Settings()
    fixed = replace(fixed, clustering=replace(fixed.clustering, k=4))
    return {
        "october": october,
        "november": _november(base, "november", normal[1], out, Settings()),
        "shifted": _november(base, "shifted", shifted[1], out, Settings()),
        "shifted_month": shifted[1],
        "merged": _november(base, "merged", normal[1], out, fixed),
    }


def _names(a: Analysis) -> dict[int, str]:
    return {p.id: p.name for p in a.profiles}


def test_an_ordinary_month_keeps_k_ids_and_names(months: dict[str, object]) -> None:
    october: Analysis = months["october"]  # type: ignore[assignment]
    november: Analysis = months["november"]  # type: ignore[assignment]
    assert (
        october.selection.previous_k is None and november.selection.previous_k == october.selection.chosen_k
    )
    assert november.selection.chosen_k == october.selection.chosen_k == 5
    assert november.selection.reason.endswith("last period had 5 segments too.")
    assert _names(november) == _names(october)
    assert november.history is not None
    assert november.history.matching.new_ids == () and november.history.matching.vanished == ()
    assert november.history.redefined == ()


def test_a_new_behaviour_group_is_added_as_one_new_segment(months: dict[str, object]) -> None:
    october: Analysis = months["october"]  # type: ignore[assignment]
    shifted: Analysis = months["shifted"]  # type: ignore[assignment]
    month: Month = months["shifted_month"]  # type: ignore[assignment]
    assert shifted.selection.previous_k == 5 and shifted.selection.chosen_k == 6
    assert (
        "this changes last period's 5 segments because 6 separate clearly better" in shifted.selection.reason
    )
    old, now = _names(october), _names(shifted)
    assert {i: now[i] for i in old} == old  # every old segment keeps its id and name
    assert shifted.history is not None
    matching = shifted.history.matching
    assert matching.vanished == () and shifted.history.redefined == ()
    assert len(matching.new_ids) == 1 and set(now) - set(old) == set(matching.new_ids)
    new_id = matching.new_ids[0]
    members = month.truth[shifted.segmentation.labels == new_id]
    assert Counter(members.tolist()).most_common(1)[0][0] == 5  # the planted new group
    text = " ".join(change_sentences(shifted.history))
    assert f"new this month: {now[new_id]}" in text and "no longer found" not in text


def test_a_merge_is_a_redefinition_not_a_move(months: dict[str, object]) -> None:
    october: Analysis = months["october"]  # type: ignore[assignment]
    merged: Analysis = months["merged"]  # type: ignore[assignment]
    assert merged.selection.method == "fixed" and merged.segmentation.k == 4
    assert merged.history is not None
    redefined = merged.history.redefined
    assert len(redefined) == 1
    target, sources = redefined[0].id, redefined[0].sources
    flows = {(f.from_id, f.to_id): f.customers for f in merged.history.migration.flows}
    for source in sources:  # most of each source's staying customers now sit in the target
        stayed = sum(n for (a, _), n in flows.items() if a == source)
        assert flows[(source, target)] >= 0.5 * stayed
    assert redefined[0].customers == sum(flows[(s, target)] for s in sources)
    text = " ".join(change_sentences(merged.history))
    names = _names(october)
    assert f"{_names(merged)[target]} was redefined" in text
    gone = text.split("no longer found:")[1] if "no longer found:" in text else ""
    assert not any(names[s] in gone for s in sources)  # merged, not lost
    moves = [int(x.replace(",", "")) for x in re.findall(r"largest move was ([\d,]+)", text)]
    assert all(m < redefined[0].customers for m in moves)  # the merged customers are not the largest move
    from reportgen.analysis.summary import summary_document

    doc = summary_document(merged, period=Period(2026, 11), generator="t", input_label="x.csv")
    assert doc["segment_matching"]["redefined"] == [r.as_dict() for r in redefined]
    assert [s["id"] for s in doc["segments"] if s["redefined"]] == [target]
