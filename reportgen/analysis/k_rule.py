"""The rule for the number of segments, applied to scored candidates, and the one sentence that explains it.

The rule, as the README states it:
1. Score every k in k_min..k_max: inertia, silhouette (on a seeded sample of `silhouette_sample` rows),
   Calinski-Harabasz, Davies-Bouldin and the smallest segment's share. Locate the elbow of the inertia curve
   with the kneedle method (the point farthest below the chord joining the ends of the normalised curve).
2. A k is eligible when no segment is smaller than `min_segment_share` of the customers and, like a fixed
   k, it leaves at least MIN_PER_SEGMENT customers per segment on average (2 is always allowed).
3. Two segments are chosen when the customers clearly form two groups: k = 2 has a silhouette of at least
   TWO_GROUPS_SILHOUETTE (a "reasonable" structure), every k >= 3 separates under DISTINCT_SHARE of it, and
   (with stability on) the split holds up under resampling as in 5.
4. Otherwise the k >= 3 are considered that are eligible, separate within DISTINCT_SHARE of the best-separated
   k >= 3, and are no finer than the later of that k and the elbow (past the bend, more segments explain
   little more of the spread unless they also separate best). Their stability is measured by resampling.
5. Of those, the finest that holds up under resampling is chosen: a mean adjusted Rand index of at least
   STABLE_ARI (a "good" agreement) with every segment's mean Jaccard at least FAIR_SEGMENT. Else the most
   stable (highest mean adjusted Rand) of those whose segments all reach FAIR_SEGMENT; else 2 if its split
   holds up; else the most stable considered k, said to be rough.
6. Month to month: last period's k is kept while it is eligible, holds up at FAIR_SEGMENT, and the rule's
   choice does not beat its silhouette by more than MONTH_MARGIN (relative).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from reportgen.formats import decimal, percent
from reportgen.model import KCandidate, KStability

DISTINCT_SHARE = 0.90  # "distinct": a silhouette at least this share of the best-separated k >= 3
TWO_GROUPS_SILHOUETTE = 0.50  # k = 2 only when its split is at least a "reasonable" structure
STABLE_ARI = 0.80  # a k "holds up" with a mean adjusted Rand index of at least this (Steinley's "good", 2004)
FAIR_SEGMENT = 0.60  # clusterboot's "patterns worth a look": the floor for every segment of a chosen k
MONTH_MARGIN = 0.03  # another k replaces last period's only with a silhouette more than 3% higher
MIN_PER_SEGMENT = (
    10  # customers per segment on average, as a fixed k needs: fewer, and segments are individuals
)


StabilityOf = Callable[[list[int]], dict[int, KStability]]


def _under(value: float, limit: float) -> int:
    """Return the decimals a value under a limit needs not to read as the limit (0.749 -> 3, not '0.75')."""
    return 2 if round(value, 2) < limit else 3


def distinct_floor(silhouette: float | None) -> float:
    """Return the silhouette a k needs to count as distinct from one with this silhouette (any sign)."""
    value = silhouette or 0.0
    return value - (1.0 - DISTINCT_SHARE) * abs(value)


def holds_up(st: KStability) -> bool:
    """Return whether a fit holds up under resampling: STABLE_ARI overall, FAIR_SEGMENT for every segment."""
    return st.ari >= STABLE_ARI and min(st.jaccard) >= FAIR_SEGMENT


def elbow_clause(k: int, elbow: int | None) -> str:
    """Return where k sits against the elbow of the spread curve, as a clause."""
    if elbow is None:
        return "the spread curve has no clear bend"
    if elbow == k:
        return "the spread curve bends (the elbow) there too"
    side = "earlier" if elbow < k else "later"
    near = "close by, " if abs(elbow - k) == 1 else ""
    return f"the spread curve bends {near}{side}, at {elbow}"


@dataclass(frozen=True)
class KRule:
    """The documented rule for k, applied to scored candidates (stability is asked for as needed)."""

    candidates: tuple[KCandidate, ...]
    elbow: int | None
    min_share: float
    with_stability: bool
    stability_of: StabilityOf
    locale: str | None = None  # the sentences' numbers: the report's (None: the run's, formats.numbers_in)
    customers: int | None = (
        None  # how many were segmented: k above customers / MIN_PER_SEGMENT is not eligible
    )

    def _d(self, value: float | None, digits: int = 2) -> str:
        """Return a score with fixed decimals in the report's locale ('n/a' when there is none)."""
        return "n/a" if value is None else decimal(value, digits, self.locale)

    def _p(self, share: float, digits: int = 0) -> str:
        """Return a share as a percentage in the report's locale."""
        return percent(share, digits, self.locale)

    def every_segment(self, st: KStability) -> str:
        """Return how well the weakest segment came back under resampling, as a floor that is true."""
        low = min(st.jaccard)
        if low >= 1.0 - 1e-9:  # a Jaccard cannot exceed 1: "1.00 or more" would be a false floor
            return "every segment came back unchanged in every resample"
        floor = math.floor(low * 100 + 1e-9) / 100  # rounded down, so "at least" holds
        return f"every segment's Jaccard at least {self._d(floor)}"

    def candidate(self, k: int) -> KCandidate | None:
        """Return the scores of one k, if it was tried."""
        return next((c for c in self.candidates if c.k == k), None)

    def too_fine(self, k: int) -> bool:
        """Return whether k leaves fewer than MIN_PER_SEGMENT customers per segment on average (never 2)."""
        return self.customers is not None and k > max(2, self.customers // MIN_PER_SEGMENT)

    def eligible(self, c: KCandidate) -> bool:
        """Return whether k was scored, leaves no segment under the minimum share and is not too fine."""
        return (
            c.silhouette is not None
            and (c.smallest_share or 0.0) >= self.min_share
            and not self.too_fine(c.k)
        )

    def best_finer(self) -> KCandidate | None:
        """Return the best-separated eligible k of 3 or more segments."""
        finer = [c for c in self.candidates if c.k >= 3 and self.eligible(c)]
        return max(finer, key=lambda c: (c.silhouette or 0.0, -c.k)) if finer else None

    def considered(self, best: KCandidate) -> list[KCandidate]:
        """Return the eligible k >= 3 within DISTINCT_SHARE of the best and no finer than best or elbow."""
        limit = max(best.k, self.elbow if self.elbow is not None else best.k)
        floor = distinct_floor(best.silhouette)
        return [
            c
            for c in self.candidates
            if c.k >= 3 and self.eligible(c) and (c.silhouette or 0.0) >= floor and c.k <= limit
        ]

    def lost(self, c: KCandidate, best: KCandidate | None) -> str:
        """Return why a candidate was not chosen, as a clause that names its numbers."""
        if c.silhouette is None:
            return f"{c.k} segments could not be scored"
        if self.too_fine(c.k):
            return (
                f"{c.k} segments would leave fewer than {MIN_PER_SEGMENT} customers per segment on average "
                f"({self.customers} customers)"
            )
        if (c.smallest_share or 0.0) < self.min_share:
            return (
                f"{c.k} segments would leave a segment of {self._p(c.smallest_share or 0.0, 1)} of customers, "
                f"under the {self._p(self.min_share)} minimum"
            )
        if best is not None and c.k >= 3 and c.silhouette < distinct_floor(best.silhouette):
            return (
                f"{c.k} segments separate less well (silhouette {self._d(c.silhouette)}, under "
                f"{self._p(DISTINCT_SHARE)} of {self._d(best.silhouette)})"
            )
        if best is not None and self.elbow is not None and c.k > max(best.k, self.elbow):
            return f"{c.k} segments go past the elbow without separating best"
        st = self.stability_of([c.k]).get(c.k) if self.with_stability else None
        if st is not None and st.ari < STABLE_ARI:
            return (
                f"{c.k} segments are less stable under resampling (stability {self._d(st.ari, _under(st.ari, STABLE_ARI))}, "
                f"under {self._d(STABLE_ARI)})"
            )
        if st is not None and min(st.jaccard) < FAIR_SEGMENT:
            return (
                f"{c.k} segments do not all hold up under resampling (a segment's Jaccard "
                f"{self._d(min(st.jaccard), _under(min(st.jaccard), FAIR_SEGMENT))}, under {self._d(FAIR_SEGMENT, 1)})"
            )
        return f"{c.k} segments were less stable or less distinct"

    def runner_up(self, k: int, best: KCandidate | None) -> str:
        """Return the clause on the next finer k and why it lost ('' when k is the finest tried)."""
        finer = self.candidate(k + 1)
        return "" if finer is None else f"; {self.lost(finer, best)}"

    def two_groups(self, best: KCandidate | None) -> str | None:
        """Return the reason for 2 segments when the customers clearly form two groups, else None."""
        two = self.candidate(2)
        if two is None or not self.eligible(two) or (two.silhouette or 0.0) < TWO_GROUPS_SILHOUETTE:
            return None
        if best is not None and (best.silhouette or 0.0) >= distinct_floor(two.silhouette):
            return None
        st2 = self.stability_of([2]).get(2) if self.with_stability else None
        if st2 is not None and not holds_up(st2):
            return None
        held = (
            "" if st2 is None else f", and the split holds up under resampling (stability {self._d(st2.ari)})"
        )
        versus = "" if best is None else f", against at most {self._d(best.silhouette)} for 3 or more"
        return (
            f"We chose 2 segments: the customers fall clearly into two groups "
            f"(silhouette {self._d(two.silhouette)}{versus}){held}."
        )

    def choice(self) -> tuple[int, str]:
        """Return the chosen k and the one sentence that explains it."""
        tried = f"{self.candidates[0].k} to {self.candidates[-1].k} segments were tried"
        eligible = [c for c in self.candidates if self.eligible(c)]
        if not eligible and all(self.too_fine(c.k) for c in self.candidates):
            pick = self.candidates[0]
            return pick.k, (
                f"We chose {pick.k} segments, the fewest tried ({tried}), although {self.customers} customers "
                f"leave fewer than {MIN_PER_SEGMENT} per segment on average: lower clustering.k_min or add data."
            )
        if not eligible:
            scored = [c for c in self.candidates if c.silhouette is not None] or list(self.candidates)
            pick = max(scored, key=lambda c: (c.smallest_share or 0.0, -c.k))
            return pick.k, (
                f"We chose {pick.k} segments: every number of segments tried ({tried.split(' segments')[0]}) "
                f"leaves a segment under the {self._p(self.min_share)} minimum, and {pick.k} segments leave the "
                f"largest smallest segment ({self._p(pick.smallest_share or 0.0, 1)} of customers)."
            )
        best = self.best_finer()
        two = self.candidate(2)
        two_ok = two is not None and self.eligible(two)
        clear = self.two_groups(best)
        if clear is not None:
            return 2, clear
        if best is None and self.too_fine(3):
            return 2, (
                f"We chose 2 segments: with {self.customers} customers, 3 or more segments would leave fewer "
                f"than {MIN_PER_SEGMENT} customers per segment on average."
            )
        if best is None:
            assert two is not None
            return (
                2,
                f"We chose 2 segments: no finer grouping leaves every segment at {self._p(self.min_share)} or more of customers ({tried}).",
            )
        considered = self.considered(best)
        sil_best = self._d(best.silhouette)

        def separation(pick: KCandidate) -> str:
            if pick.k == best.k:
                return f"separates best of the choices with 3 or more (silhouette {sil_best})"
            return (
                f"separates at least {self._p(DISTINCT_SHARE)} as well as the best of 3 or more (silhouette "
                f"{self._d(pick.silhouette)} against {sil_best} at {best.k})"
            )

        if not self.with_stability:
            pick = considered[-1]
            return pick.k, (
                f"We chose {pick.k} segments: the finest grouping that {separation(pick)}; "
                f"{elbow_clause(pick.k, self.elbow)}{self.runner_up(pick.k, best)} "
                f"(stability was not measured: clustering.stability_resamples = 0)."
            )
        # finest first, stopping at the first that holds up: coarser candidates are not resampled
        for pick in reversed(considered):
            st = self.stability_of([pick.k])[pick.k]
            if holds_up(st):
                return pick.k, (
                    f"We chose {pick.k} segments: the finest grouping that held up when the customers were "
                    f"resampled (stability {self._d(st.ari)}, {self.every_segment(st)}) "
                    f"and that {separation(pick)}; {elbow_clause(pick.k, self.elbow)}"
                    f"{self.runner_up(pick.k, best)}."
                )
        stab = self.stability_of([c.k for c in considered])
        fair = [c for c in considered if min(stab[c.k].jaccard) >= FAIR_SEGMENT]
        if fair:
            pick = max(fair, key=lambda c: (stab[c.k].ari, c.k))
            st = stab[pick.k]
            return pick.k, (
                f"We chose {pick.k} segments: no well-separated grouping of 3 or more reached a stability of "
                f"{self._d(STABLE_ARI)} when the customers were resampled, and {pick.k} segments are the most stable "
                f"of those whose segments all held up at {self._d(FAIR_SEGMENT, 1)} or more (stability {self._d(st.ari)}, "
                f"{self.every_segment(st)}; silhouette {self._d(pick.silhouette)}); "
                f"{elbow_clause(pick.k, self.elbow)}."
            )
        if two is not None and two_ok:
            st2 = self.stability_of([2])[2]
            if holds_up(st2):
                return 2, (
                    f"We chose 2 segments: no grouping of 3 or more segments held up under resampling (each "
                    f"had a segment with a Jaccard under {self._d(FAIR_SEGMENT, 1)}), while the two-way split did "
                    f"(stability {self._d(st2.ari)}, silhouette {self._d(two.silhouette)})."
                )
        pick = max(considered, key=lambda c: (stab[c.k].ari, c.k))
        return pick.k, (
            f"We chose {pick.k} segments, the most stable of the well-separated choices (stability "
            f"{self._d(stab[pick.k].ari)}, silhouette {self._d(pick.silhouette)}), but no grouping held up well when "
            f"the customers were resampled: treat the segments as rough."
        )

    def month_choice(self, previous_k: int, auto_k: int, auto_reason: str) -> tuple[int, str]:
        """Return last period's k unless the rule's choice separates clearly better (MONTH_MARGIN)."""
        said = auto_reason.removesuffix(".")
        if previous_k == auto_k:
            return auto_k, f"{said}; last period had {auto_k} segments too."
        prev, auto = self.candidate(previous_k), self.candidate(auto_k)
        if prev is None or auto is None:
            return auto_k, f"{said}; last period's {previous_k} segments are outside the range tried now."
        if not self.eligible(prev):
            return (
                auto_k,
                f"{said}; last period's {previous_k} segments no longer fit ({self.lost(prev, None)}).",
            )
        st = self.stability_of([previous_k]).get(previous_k) if self.with_stability else None
        if st is not None and min(st.jaccard) < FAIR_SEGMENT:
            return auto_k, (
                f"{said}; last period's {previous_k} segments no longer hold up under resampling (a "
                f"segment's Jaccard {self._d(min(st.jaccard))}, under {self._d(FAIR_SEGMENT, 1)})."
            )
        a, b = auto.silhouette or 0.0, prev.silhouette or 0.0
        if a > b * (1.0 + MONTH_MARGIN):
            return auto_k, (
                f"{said}; this changes last period's {previous_k} segments because {auto_k} separate clearly "
                f"better now (silhouette {self._d(a)} against {self._d(b)}, more than {self._p(MONTH_MARGIN)} higher)."
            )
        held = (
            ""
            if st is None
            else f" and every segment still holds up under resampling (stability {self._d(st.ari)})"
        )
        return previous_k, (
            f"We kept last period's {previous_k} segments: the choice on this month alone, {auto_k}, does not "
            f"separate clearly better (silhouette {self._d(a)} against {self._d(b)}; a change needs more than "
            f"{self._p(MONTH_MARGIN)}), and {previous_k} segments leave every segment at {self._p(self.min_share)} of "
            f"customers or more{held}."
        )
