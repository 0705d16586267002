"""The playbook: validation, placeholders filled with the segment's numbers, swapping in a company's own."""

from __future__ import annotations

from pathlib import Path

import pytest

from reportgen.analysis.recommend import archetype_names, filled_text, load_playbook, recommendations
from reportgen.config import DEFAULT_PLAYBOOK
from reportgen.errors import InputError
from reportgen.model import FeatureStat, SegmentProfile


def _profile(archetype: str = "instalment_buyers") -> SegmentProfile:
    return SegmentProfile(
        id=1,
        name="Instalment buyers",
        archetype=archetype,
        size=3367,
        share=0.3762,
        stats={
            "INSTALLMENTS_PURCHASES": FeatureStat(mean=642.5, median=400.0, lift=3.14),
            "PURCHASES": FeatureStat(mean=1236.0, median=900.0, lift=1.23),
        },
        value_shares={"PURCHASES": 0.4634},
        traits=(),
    )


def test_placeholders_are_filled_with_the_segment_numbers() -> None:
    text = filled_text(
        "instalments {lift:INSTALLMENTS_PURCHASES} ({mean:INSTALLMENTS_PURCHASES}); {share} / {size} / {value_share:PURCHASES}",
        _profile(),
    )
    assert text == "instalments 3.1x (642); 37.6% / 3,367 / 46.3%"


def test_an_action_naming_an_absent_column_is_left_out() -> None:
    assert filled_text("cash {lift:CASH_ADVANCE}", _profile()) is None


def test_default_playbook_covers_every_archetype_with_filled_actions() -> None:
    book = load_playbook(DEFAULT_PLAYBOOK)
    assert {
        "high_spenders",
        "cash_advance_users",
        "instalment_buyers",
        "full_payers",
        "low_activity",
        "moderate_spenders",
    } <= set(book)
    recs = recommendations((_profile(),), book)
    assert recs and all(r.segment_id == 1 for r in recs)
    assert any("3.1x the average" in r.text for r in recs)
    assert all("{" not in r.text for r in recs)


def test_a_company_playbook_replaces_the_default(tmp_path: Path) -> None:
    path = tmp_path / "ours.toml"
    path.write_text(
        '[archetypes.instalment_buyers]\nname = "Plan lovers"\nsummary = "s"\n'
        '[[archetypes.instalment_buyers.actions]]\ntitle = "Call them"\ntext = "They are {share} of customers."\n'
    )
    book = load_playbook(path)
    assert archetype_names(book) == {"instalment_buyers": "Plan lovers"}
    (rec,) = recommendations((_profile(),), book)
    assert rec.title == "Call them" and rec.text == "They are 37.6% of customers."


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[archetypes.x]\nname = 1\nsummary = 's'\n", "archetypes.x.name must be a string"),
        ("title = 'no archetypes'\n", "expected [archetypes.<name>]"),
        ("[archetypes.x]\nname = 'n'\nsummary = 's'\nactions = []\n", "actions must be a non-empty list"),
        (
            "[archetypes.x]\nname = 'n'\nsummary = 's'\n[[archetypes.x.actions]]\ntitle = 't'\ntext = '{bogus:PURCHASES}'\n",
            "unknown placeholder {bogus:PURCHASES}",
        ),
        (
            "[archetypes.x]\nname = 'n'\nsummary = 's'\n[[archetypes.x.actions]]\ntitle = 't'\ntext = '{lift}'\n",
            "needs a column",
        ),
        ("not toml = = 1", "invalid playbook TOML"),
    ],
)
def test_bad_playbooks_name_the_file_and_the_key(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(body)
    with pytest.raises(InputError, match=r"bad\.toml") as info:
        load_playbook(path)
    assert message in str(info.value)


def test_conditions_limit_an_action_to_segments_that_meet_them(tmp_path: Path) -> None:
    path = tmp_path / "cond.toml"
    path.write_text(
        '[archetypes.instalment_buyers]\nname = "n"\nsummary = "s"\n'
        '[[archetypes.instalment_buyers.actions]]\ntitle = "Low buyers only"\ntext = "x"\nwhen = "lift:PURCHASES < 1"\n'
        '[[archetypes.instalment_buyers.actions]]\ntitle = "Big instalments"\ntext = "y"\n'
        'when = ["lift:INSTALLMENTS_PURCHASES >= 3", "value_share:PURCHASES > 0.4"]\n'
    )
    (rec,) = recommendations((_profile(),), load_playbook(path))  # purchases are 1.23x: the first is skipped
    assert rec.title == "Big instalments"


def test_a_bad_condition_names_the_file_and_the_action(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        '[archetypes.x]\nname = "n"\nsummary = "s"\n[[archetypes.x.actions]]\ntitle = "t"\ntext = "x"\nwhen = "purchases are low"\n'
    )
    with pytest.raises(
        InputError, match=r"bad\.toml: archetypes\.x\.actions\[0\]\.when: cannot read condition"
    ):
        load_playbook(path)


def test_small_lifts_and_whole_amounts_read_naturally() -> None:
    profile = _profile()
    tiny = SegmentProfile(
        **{**profile.__dict__, "stats": {"PURCHASES": FeatureStat(mean=91.0, median=91.0, lift=0.0004)}}
    )
    assert filled_text("{lift:PURCHASES} / {mean:PURCHASES}", tiny) == "<0.01x / 91"
