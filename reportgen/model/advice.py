"""What the report recommends for a segment."""

from __future__ import annotations

from dataclasses import dataclass

from reportgen.model.segments import SegmentProfile, spend_share


@dataclass(frozen=True)
class Recommendation:
    segment_id: int
    archetype: str
    title: str
    text: str
    kpi: str = ""  # the measure to watch
    value_at_stake: str = ""  # "70.2% of purchases (6.3M)"


def top_actions(
    profiles: tuple[SegmentProfile, ...], recs: tuple[Recommendation, ...], limit: int = 3
) -> tuple[tuple[SegmentProfile, Recommendation], ...]:
    """Return the first action of the most valuable segments, never the same action twice.

    Most valuable first (share of spend), then largest: that is where a first action pays off most. Two
    segments sharing an archetype share a playbook, so the second one gets its next, different action.
    """
    ranked = sorted(profiles, key=lambda p: (-(spend_share(p)[1] or 0.0), -p.size, p.id))
    chosen: list[tuple[SegmentProfile, Recommendation]] = []
    for profile in ranked:
        titles = {r.title for _, r in chosen}
        fresh = [r for r in recs if r.segment_id == profile.id and r.title not in titles]
        if fresh:
            chosen.append((profile, fresh[0]))
        if len(chosen) == limit:
            break
    return tuple(chosen)
