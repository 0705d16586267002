"""Segment names and traits that are true of the segment's mean and of most of its members.

Every name states conditions ("purchases above the all-customer average", "almost no cash advance"). A condition
holds for a segment when it holds for the segment mean in raw units and for at least MEMBER_SHARE (two thirds)
of its members, member by member, on the scale the clustering uses (after log1p and standard scaling, where 0 is
the all-customer mean): "above" means a member's scaled value is above 0, "below" under 0, "almost none" a raw
value at most 5% of the all-customer mean. A condition also needs the segment's centroid to lie at least
MIN_STRENGTH standard deviations from the mean, so a name never rests on a sliver of a difference.

A segment whose centroid lies within MAINSTREAM_SD (half a standard deviation) of the all-customer mean on
every feature, whose raw means are within NEAR_LIFT (1.5x) of the all-customer means either way, and two thirds
of whose members lie within one standard deviation on average over the features (root mean square), is the
mainstream. Otherwise candidates are the archetypes of the data kind whose
conditions all hold (scored by how far the centroid lies from the mean on them, plus ARCHETYPE_BONUS), and
plain names from single features ("High income") or two ("High income, low spending score"), and, with several
value columns, from one column's share of the summed value ("High fresh share"); a segment that does something
more than most others is named for it before what it does not do (ABSENCE_FACTOR). The segment that
holds the largest share of value never takes a "low" or "moderate" name. Names are at most MAX_NAME_LENGTH
characters; one assignment over all segments gives each a different name with the largest total score.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy.optimize import linear_sum_assignment

from reportgen.analysis.evidence import ALMOST_NONE, SHARE, VALUE, Evidence
from reportgen.model import Claim, Naming, SegmentProfile
from reportgen.model.columns import indicator_name

MEMBER_SHARE = 2 / 3
MAINSTREAM_SD = 0.5
MIN_STRENGTH = 0.25
# A second feature joins a name only when it is at least this far from the mean (in standard deviations).
PAIR_STRENGTH = 0.5
NEAR_LIFT = 1.5
MAX_NAME_LENGTH = 28
# A name of absences only ("Low fresh, low frozen") weighs this much of its strength where the segment also has
# a true difference in what it does ("High detergents share"), which then names it unless much weaker.
ABSENCE_FACTOR = 0.75
SHARED_PENALTY = 10.0  # a plain name true of more than half the segments: only where nothing else is true
ARCHETYPE_BONUS = 1.0
SPECIFICITY = 0.25
VALUE_NAME_BONUS = 0.5
# A matched segment keeps last month's name while that name is still one of its true names: continuity beats a
# slightly better-scoring alternative, never the truth (a name no longer true is not a candidate at all).
KEPT_NAME_BONUS = 1000.0
# Strengths above this many standard deviations count as this many: an outlier segment's 15 SD should not
# make its name outrank every other consideration.
MAX_STRENGTH = 4.0
MAX_LOW_WEIGHT = 1.0  # half the average, or less, weighs as much as twice the average
TRAIT_MIN_LIFT = 1.25
MAX_TRAITS = 5
# Two traits on columns this correlated (on the clustering's scale) and in the same direction state one fact.
SAME_FACT_CORRELATION = 0.9
MAINSTREAM_KEY = "mainstream"
MAINSTREAM_NAME = "Mainstream customers"
FALLBACK_NAME = "Mixed behaviour"


@dataclass(frozen=True)
class Condition:
    """One thing an archetype's name says: a column that is high, low, near the average or almost nil."""

    feature: str
    direction: str  # "high" | "low" | "none" | "near"
    min_lift: float | None = None  # high: the segment mean is at least this multiple of the overall mean
    max_lift: float | None = None  # low: at most this multiple
    min_mean: float | None = None  # high: the segment mean is at least this (e.g. a 15% return rate)


@dataclass(frozen=True)
class Archetype:
    key: str
    name: str
    conditions: tuple[Condition, ...]
    low_rank: bool = False  # a "low" or "moderate" name: never for the segment with the most value
    bonus: float = 0.0  # for a name whose condition says more than "above average" (a lift of 2, say)


def _level_candidates(ev: Evidence, seg: int) -> list[Candidate]:
    """Return "Mostly <value>" for a categorical value two thirds of the members hold, at least TRAIT_MIN_LIFT
    times as common as among all customers ("Mostly Retail channel": 93% against 32%)."""
    out = []
    for column, value, share, overall, words in ev.levels[seg] if ev.levels else ():
        if share < MEMBER_SHARE or overall <= 0 or share / overall < TRAIT_MIN_LIFT:
            continue
        name = f"Mostly {lower_first(words)}"
        if len(name) <= MAX_NAME_LENGTH:
            text = f"{words} held by two thirds of the members or more, more often than by all customers"
            claim = Claim(indicator_name(column, value), "level", text, True, share)
            strength = min(math.log2(share / overall), MAX_STRENGTH)
            out.append(
                Candidate(name, f"level:{indicator_name(column, value)}", strength, "generic", (claim,))
            )
    return out


def _lift(ev: Evidence, seg: int, col: str) -> float | None:
    overall = ev.overall[col]
    return ev.means[seg][col] / overall if overall > 0 and col in ev.nonnegative else None


def condition_claim(ev: Evidence, seg: int, cond: Condition) -> tuple[Claim, float] | None:
    """Return the claim a condition makes about a segment and its strength; None where it cannot be measured."""
    col = cond.feature
    if col not in ev.overall:
        return None
    mean, overall, centre = ev.means[seg][col], ev.overall[col], ev.centroids[seg][col]
    lift = _lift(ev, seg, col)
    label = lower_first(ev.label(col))
    if cond.direction == "high":
        holds = mean > overall
        if cond.min_lift is not None:
            holds = holds and lift is not None and lift >= cond.min_lift
        if cond.min_mean is not None:
            holds = holds and mean >= cond.min_mean
        return Claim(
            col, "above", f"{label} above the all-customer average", holds, ev.above[seg][col]
        ), centre
    if cond.direction == "low":
        holds = mean < overall
        if cond.max_lift is not None:
            holds = holds and lift is not None and lift <= cond.max_lift
        return Claim(
            col, "below", f"{label} below the all-customer average", holds, ev.below[seg][col]
        ), -centre
    if cond.direction == "none":
        holds = col in ev.nonnegative and overall > 0 and mean <= ALMOST_NONE * overall
        return Claim(col, "almost_none", f"almost no {label}", holds, ev.none[seg][col]), max(-centre, 0.0)
    # near the average: the centroid within half an SD, most members within one SD, and a mean that reads
    # as average too (within NEAR_LIFT of the overall mean either way)
    holds = abs(centre) <= MAINSTREAM_SD and (lift is None or 1 / NEAR_LIFT <= lift <= NEAR_LIFT)
    text = f"{label} near the all-customer average"
    return Claim(col, "near", text, holds, ev.near[seg][col]), MAINSTREAM_SD + MIN_STRENGTH - abs(centre)


def claim_weight(ev: Evidence, seg: int, claim: Claim, strength: float) -> float:
    """Return how much a true claim says, to rank names and traits: |log2 lift| where a lift means something.

    Lifts are what the report prints ("3.5x the average"), so a segment is named for its largest printed
    difference; standard deviations rank columns that can be negative. Capped at MAX_STRENGTH (16x); an
    absence counts at most as much as doubling (MAX_LOW_WEIGHT), so a segment is named for what it does
    rather than for what it does not.
    """
    lift = _lift(ev, seg, claim.feature)
    if claim.direction == "almost_none":
        return MAX_LOW_WEIGHT
    if claim.direction == "above" and lift is not None and lift > 0:
        return min(math.log2(lift), MAX_STRENGTH)
    if claim.direction == "below" and lift is not None:
        return min(-math.log2(lift), MAX_LOW_WEIGHT) if lift > 0 else MAX_LOW_WEIGHT
    return min(strength, MAX_STRENGTH)


def claim_holds(claim: Claim, strength: float) -> bool:
    """Return whether a claim is true of the segment mean and of at least two thirds of its members."""
    return claim.mean_holds and claim.member_share >= MEMBER_SHARE and strength >= MIN_STRENGTH


def lower_first(text: str) -> str:
    """Return a label as it reads mid-sentence: 'Annual income' -> 'annual income', 'RFM score' kept."""
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


@dataclass(frozen=True)
class Candidate:
    name: str
    key: str
    score: float
    rule: str
    claims: tuple[Claim, ...]
    low_rank: bool = False


def _archetype_candidate(ev: Evidence, seg: int, arch: Archetype, name: str) -> Candidate | None:
    claims, total = [], 0.0
    for cond in arch.conditions:
        found = condition_claim(ev, seg, cond)
        if found is None or not claim_holds(*found):
            return None
        claims.append(found[0])
        total += claim_weight(ev, seg, *found)
    score = _score(total, len(claims)) + ARCHETYPE_BONUS + arch.bonus
    return Candidate(name, arch.key, score, "archetype", tuple(claims), arch.low_rank)


def _score(total_strength: float, conditions: int) -> float:
    """Return a name's score: its conditions' mean strength, plus a little for each further true condition.

    The mean, not the sum, so a name resting on one very strong difference ("High spenders" at 8x) is not
    outscored by one listing two milder ones; the bonus prefers the more specific of two equally strong names.
    """
    return total_strength / conditions + SPECIFICITY * (conditions - 1)


def _mainstream(ev: Evidence, seg: int) -> Candidate | None:
    if not ev.columns:
        return None
    furthest = max(abs(ev.centroids[seg][c]) for c in ev.columns if c != VALUE)
    share = ev.central[seg]
    if furthest > MAINSTREAM_SD or share < MEMBER_SHARE:
        return None
    # on a skewed column a centroid near 0 after log1p can still be half the raw average, which the report
    # prints beside the name: the mean must read as average too, as for a "near" claim
    lifts = [_lift(ev, seg, c) for c in ev.inputs]
    if any(lift is not None and not 1 / NEAR_LIFT <= lift <= NEAR_LIFT for lift in lifts):
        return None
    claim = Claim(
        "*",
        "central",
        f"within {MAINSTREAM_SD:g} SD of the all-customer mean on every feature",
        True,
        share,
    )
    return Candidate(MAINSTREAM_NAME, MAINSTREAM_KEY, 100.0, "mainstream", (claim,))


def _holds_in(ev: Evidence, col: str, direction: str) -> int:
    """Return in how many segments a plain claim ("high X", "low X") is true of the mean and most members."""
    count = 0
    for other in range(len(ev.means)):
        found = condition_claim(ev, other, Condition(col, direction))
        count += found is not None and claim_holds(*found)
    return count


def _plain_candidates(ev: Evidence, seg: int, held: bool = False) -> list[Candidate]:
    """Return names from one or two features whose difference holds for the mean and most members.

    A name sets its segment apart: a claim true of more than half the segments ("Low cash advance" where
    three of five segments draw almost none) is shared, and a name resting on shared claims only is the
    last resort (SHARED_PENALTY), taken only where nothing true sets the segment apart. `held`: most members
    hold a categorical value that can name the segment (something it is, beside what it does).
    """
    singles: list[tuple[float, str, str, Claim, float]] = []  # weight, column, direction, claim, SDs
    k = len(ev.means)
    shared: set[str] = set()
    for col in (*ev.inputs, *ev.mix):
        # a part's small share is the other parts' large one: a mix names a segment by what it leans to
        for direction in ("high",) if col in ev.mix else ("high", "low"):
            found = condition_claim(ev, seg, Condition(col, direction))
            if found is not None and claim_holds(*found):
                if _holds_in(ev, col, direction) > k / 2:
                    shared.add(f"{direction}:{col}")
                singles.append((claim_weight(ev, seg, *found), col, direction, found[0], found[1]))
    singles.sort(key=lambda s: (-s[0], s[1]))
    # a segment that does something more than most others is named for it before what it does not do
    does = held or any(d == "high" and f"high:{c}" not in shared for _, c, d, _, _ in singles)
    out = []
    for strength, col, direction, claim, _ in singles:
        name = f"{_level(ev, col, direction).capitalize()} {_name_label(ev, col)}"
        if col == VALUE:  # what a customer is worth names a segment before any one of its parts
            name = VALUE_NAMES.get((ev.label(VALUE), direction), f"{direction.capitalize()}-value customers")
            strength += VALUE_NAME_BONUS
        if direction == "low" and col != VALUE and does:
            strength *= ABSENCE_FACTOR
        if f"{direction}:{col}" in shared:
            strength -= SHARED_PENALTY
        if len(name) <= MAX_NAME_LENGTH:
            out.append(
                Candidate(name, f"{direction}:{col}", strength, "generic", (claim,), direction == "low")
            )
    top = singles[:4]
    for i, (s1, c1, d1, claim1, _) in enumerate(top):
        for s2, c2, d2, claim2, sd2 in top[i + 1 :]:
            if sd2 < PAIR_STRENGTH or abs(ev.correlation.get((c1, c2), 0.0)) > SAME_FACT_CORRELATION:
                continue
            if VALUE in (c1, c2) or c1 in ev.mix or c2 in ev.mix:
                continue
            a, b = _name_label(ev, c1), _name_label(ev, c2)
            # "Low balance and cash advance" reads as "uses cash advance": two absences name both
            w1, w2 = _level(ev, c1, d1), _level(ev, c2, d2)
            name = (
                f"{w1.capitalize()} {a} and {b}"
                if w1 == w2 and d1 == "high"
                else f"{w1.capitalize()} {a}, {w2} {b}"
            )
            if len(name) <= MAX_NAME_LENGTH:
                key = f"{d1}:{c1}+{d2}:{c2}"
                score = _score(s1 + s2, 2)
                if d1 == d2 == "low" and does:
                    score *= ABSENCE_FACTOR
                if {f"{d1}:{c1}", f"{d2}:{c2}"} <= shared:
                    score -= SHARED_PENALTY
                out.append(Candidate(name, key, score, "generic", (claim1, claim2), "low" in (d1, d2)))
    return out


VALUE_NAMES = {("total spend", "high"): "High spenders", ("total spend", "low"): "Low spenders"}
_UNIT = re.compile(r"\s*\([^)]*\)")


# Shorter words for the purchase-log columns, as names use them ("Low tenure and orders").
NAME_WORDS = {
    "recency_days": "recency",
    "frequency": "orders",
    "monetary": "net spend",
    "tenure_days": "tenure",
    "avg_basket": "basket value",
    "distinct_products": "product range",
}


# Columns that count things (NumDealsPurchases, visit_count): "many deal purchases" reads, "high deal purchases" not
COUNT_NAME = re.compile(r"^num(?=[A-Z_])|(^|_)count(_|$)", re.IGNORECASE)


def _level(ev: Evidence, col: str, direction: str) -> str:
    """Return the word a name puts before a column: high / low, many / few for a count, mostly / mostly not
    for a 0/1 flag (its claim holds when two thirds of the members have the flag, or have not)."""
    if col in ev.flags:
        return "mostly" if direction == "high" else "mostly not"
    if COUNT_NAME.search(col):
        return "many" if direction == "high" else "few"
    return direction


def _name_label(ev: Evidence, col: str) -> str:
    """Return a column's label as a name uses it: mid-sentence case, without a unit in brackets."""
    if col.startswith(SHARE):  # "High fresh share": the share of the value, which the traits spell out
        return f"{_name_label(ev, col.removeprefix(SHARE))} share"
    if col in NAME_WORDS and col not in ev.labels:
        return NAME_WORDS[col]
    label = lower_first(ev.label(col))
    return _UNIT.sub("", label).strip() or label


def name_candidates(
    ev: Evidence,
    seg: int,
    archetypes: Sequence[Archetype],
    display: Mapping[str, str],
    top_value: bool = False,
) -> list[Candidate]:
    """Return every name whose claims hold for the segment's mean and most of its members."""
    found = [c for c in (_mainstream(ev, seg),) if c is not None]
    for arch in archetypes:
        cand = _archetype_candidate(ev, seg, arch, display.get(arch.key, arch.name))
        if cand is not None:
            found.append(cand)
    levels = _level_candidates(ev, seg)
    found += _plain_candidates(ev, seg, bool(levels))
    found += levels
    if top_value:  # the segment holding the most value is never "low" or "moderate"
        found = [c for c in found if not c.low_rank]
    return found


def segment_names(
    ev: Evidence,
    archetypes: Sequence[Archetype],
    display: Mapping[str, str],
    value_shares: Sequence[float | None],
    kept: Mapping[int, str] | None = None,
) -> list[tuple[str, str, Naming]]:
    """Return (archetype key, unique name, why) per segment: the best-scoring true name for each.

    `display` renames archetypes (a company's playbook names); `value_shares` rank the segments by value;
    `kept` (segment -> last period's name) keeps a matched segment's name wherever it is still true of it.
    """
    kept = kept or {}
    k = len(ev.means)
    valued = [v for v in value_shares if v is not None]
    top = max(range(k), key=lambda s: (value_shares[s] or 0.0, -s)) if valued else None
    options = [name_candidates(ev, seg, archetypes, display, seg == top) for seg in range(k)]
    names = sorted({c.name for opts in options for c in opts})
    out: list[tuple[str, str, Naming] | None] = [None] * k
    if names:
        forbidden = -1e6
        scores = np.full((k, len(names)), forbidden)
        best: dict[tuple[int, str], Candidate] = {}
        for seg, opts in enumerate(options):
            for cand in opts:
                j = names.index(cand.name)
                score = cand.score + (KEPT_NAME_BONUS if kept.get(seg) == cand.name else 0.0)
                if score > scores[seg, j]:
                    scores[seg, j] = score
                    best[(seg, cand.name)] = cand
        rows, cols = linear_sum_assignment(scores, maximize=True)
        for seg, j in zip(rows, cols, strict=True):
            if scores[seg, j] > forbidden:
                cand = best[(int(seg), names[j])]
                out[int(seg)] = (cand.key, cand.name, Naming(cand.rule, cand.claims, MEMBER_SHARE))
    taken = {o[1] for o in out if o is not None}
    result = []
    for seg in range(k):
        item = out[seg]
        if item is None:
            name, n = FALLBACK_NAME, 2
            while name in taken:
                name, n = f"{FALLBACK_NAME} {n}", n + 1
            taken.add(name)
            item = ("mixed", name, Naming("fallback", (), MEMBER_SHARE))
        result.append(item)
    return result


def configured_names(
    profiles: tuple[SegmentProfile, ...], names: Mapping[str, str]
) -> tuple[SegmentProfile, ...]:
    """Return the profiles with the user's names (`[report] names`, by segment id) in place of the rules'.

    An automatic name that equals a user's name for another segment gets the segment id beside it.
    """
    if not names:
        return profiles
    given = {int(key): name for key, name in names.items()}
    taken = set(given.values())
    out = []
    for p in profiles:
        if p.id in given:
            out.append(replace(p, name=given[p.id], naming=Naming("configured", (), MEMBER_SHARE)))
        elif p.name in taken:
            out.append(replace(p, name=f"{p.name} (segment {p.id})"))
        else:
            out.append(p)
    return tuple(out)
