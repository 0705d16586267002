"""Segment traits: what sets a segment apart, each true of its mean and of two thirds of its members.

A trait is a claim about one column ("Purchases 7.7x the average", "Cash advance almost none") checked by the
same rules as a name (`naming.condition_claim`, `naming.claim_holds`); one trait per fact.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from reportgen.analysis.evidence import ALMOST_NONE, VALUE, Evidence
from reportgen.analysis.naming import (
    MAX_TRAITS,
    SAME_FACT_CORRELATION,
    TRAIT_MIN_LIFT,
    Condition,
    claim_holds,
    claim_weight,
    condition_claim,
)
from reportgen.formats import lift as formatted_lift
from reportgen.formats import percent
from reportgen.model import Claim, FeatureStat, Trait

# Card columns whose names say one thing twice ("cash advance", "cash-advance transactions"): one trait each.
TRAIT_FAMILIES: tuple[str, ...] = (
    "AVG_PURCHASE",  # the size of a ticket is another fact than how much is bought
    "AVG_CASH_ADVANCE",
    "CASH_ADVANCE",
    "INSTALLMENT",
    "ONEOFF",
    "PURCHASE",
    "MINIMUM",
    "PAYMENT",
    "BALANCE",
    "CREDIT_LIMIT",
    "LIMIT_USAGE",
    "PRC_FULL",
    "TENURE",
)
# Purchases are one-off plus instalment purchases: little of the whole and little of a part are one fact.
_PARTS_OF = {"ONEOFF": "PURCHASE", "INSTALLMENT": "PURCHASE"}


def _family(col: str) -> str:
    upper = col.upper()
    return next((f for f in TRAIT_FAMILIES if f in upper), upper)


def _fact(col: str, direction: str) -> str:
    family = _family(col)
    return _PARTS_OF.get(family, family) if direction != "above" else family


def segment_traits(
    ev: Evidence,
    seg: int,
    stats: Mapping[str, FeatureStat],
    lift_columns: Sequence[str],
    lead: Sequence[str] = (),
) -> tuple[Trait, ...]:
    """Return what sets a segment apart, each true of its mean and of two thirds of its members.

    The name's own columns (`lead`) come first, then the largest differences above the average, then below;
    one trait per fact (a column family, a whole and its parts, two near-identical columns), and at most one
    "almost none".
    """
    lead_order = {c: i for i, c in enumerate(lead)}
    for col in (VALUE, *ev.mix):
        if col in lead_order and col in ev.overall and ev.overall[col] > 0:
            # a name from the summed value ("High spenders") or from a part's share of it ("High fresh
            # share") leads with that measure: "Total spend 1.8x the average"
            mean = ev.means[seg][col]
            stats = {**stats, col: FeatureStat(mean=mean, median=mean, lift=mean / ev.overall[col])}
            lift_columns = (col, *lift_columns)
    found: list[tuple[int, int, float, str, str, float]] = []  # sort keys, column, direction, member share
    for col in lift_columns:
        st = stats.get(col)
        if col not in ev.overall or st is None or st.lift is None or st.lift < 0:
            continue
        found_claim = _trait_claim(ev, seg, col, st.lift, col in lead_order)
        if found_claim is None:
            continue
        claim, strength = found_claim
        strength = claim_weight(ev, seg, claim, strength)
        group = 0 if col in lead_order else (1 if claim.direction == "above" else 2)
        order = lead_order.get(col, 0)
        found.append((group, order, -strength, col, claim.direction, claim.member_share))
    found.sort(key=lambda t: (t[0], t[1], t[2], t[3]))
    picked: list[tuple[str, str, float]] = []
    facts: set[str] = set()
    for *_, col, direction, share in found:
        fact = _fact(col, direction)
        if fact in facts:
            continue
        if direction == "almost_none" and any(d == "almost_none" for _, d, _ in picked):
            continue
        if any(
            d == direction or {d, direction} == {"below", "almost_none"}
            for c, d, _ in picked
            if abs(ev.correlation.get((c, col), 0.0)) > SAME_FACT_CORRELATION
        ):
            continue
        facts.add(fact)
        picked.append((col, direction, share))
    return tuple(
        Trait(
            feature=col,
            label=_capitalised(ev.label(col)),
            lift=float(stats[col].lift or 0.0),
            segment_mean=stats[col].mean,
            overall_mean=ev.overall[col],
            text=flag_text(_capitalised(ev.label(col)), stats[col].mean, ev.overall[col])
            if col in ev.flags
            else trait_text(_capitalised(ev.label(col)), float(stats[col].lift or 0.0), direction),
            direction=direction,
            member_share=share,
            flag=col in ev.flags,
        )
        for col, direction, share in picked[:MAX_TRAITS]
    )


def _capitalised(label: str) -> str:
    return label[:1].upper() + label[1:]


def _trait_claim(
    ev: Evidence, seg: int, col: str, lift: float, named: bool = False
) -> tuple[Claim, float] | None:
    """Return the strongest true claim a trait can make about a column: x times, % below or almost none.

    Other columns need a lift of TRAIT_MIN_LIFT (or its inverse); a column the name rests on (`named`) is
    shown whatever the size of its lift, as its claim holds.
    """
    threshold = 1.0 if named else TRAIT_MIN_LIFT
    if lift < ALMOST_NONE:
        directions: tuple[str, ...] = (
            "none",
            "low",
        )  # "almost none" only where most members have almost none
    elif lift > threshold or (lift == threshold and not named):
        directions = ("high",)
    elif lift < 1 / threshold or (lift == 1 / threshold and not named):
        directions = ("low",)
    else:
        return None
    for direction in directions:
        found = condition_claim(ev, seg, Condition(col, direction))
        if found is not None and claim_holds(*found):
            return found
    return None


def flag_text(label: str, mean: float, overall: float) -> str:
    """Return a 0/1 column's trait as shares of customers: 'Churned: 45% of the segment, 6% overall'."""
    return f"{label}: {percent(mean, 0)} of the segment, {percent(overall, 0)} overall"


def trait_text(label: str, lift: float, direction: str) -> str:
    """Return a trait as the report prints it: 'Purchases 7.7x the average', 'Cash advance almost none'."""
    # in the run's locale (formats.numbers_in around the analysis): "2,5x" and "72 %" in de_DE
    if direction == "almost_none":
        return f"{label} almost none ({percent(0.95, 0)}+ below the average)"
    if lift >= 1:
        return f"{label} {formatted_lift(lift)} the average"
    return f"{label} {percent(math.floor((1 - lift) * 100) / 100, 0)} below the average"
