"""The report's sentences written from the numbers: chart captions, segment paragraphs, readings."""

from __future__ import annotations

from collections.abc import Mapping

from reportgen.documents.formats import decimal, lift, percent, thousands
from reportgen.model import (
    Analysis,
    KSelection,
    SegmentProfile,
    spend_share,
    structure_reading,
)
from reportgen.model.columns import feature_label, in_sentence


def _axis_phrase(loadings: Mapping[str, tuple[float, float]], axis: int, labels: Mapping[str, str]) -> str:
    """Return what grows along one map axis: 'higher purchases and monthly purchases, lower cash advance'."""
    ranked = sorted(loadings.items(), key=lambda item: (-abs(item[1][axis]), item[0]))
    if not ranked or abs(ranked[0][1][axis]) == 0:
        return ""
    # the columns that carry the axis: within 80% of the strongest loading, at most four
    top = [(f, w[axis]) for f, w in ranked[:4] if abs(w[axis]) >= 0.8 * abs(ranked[0][1][axis])]
    parts = []
    for sign, word in ((1, "higher"), (-1, "lower")):
        names = [_in_sentence(labels.get(f, feature_label(f))) for f, w in top if w * sign > 0]
        if names:
            listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
            parts.append(f"{word} {listed}")
    return ", ".join(parts)


def map_caption(analysis: Analysis, labels: Mapping[str, str]) -> str:
    """Return how to read the customer map: what its axes stand for and how much of the picture they show."""
    pca = analysis.pca
    right = _axis_phrase(pca.loadings, 0, labels)
    up = _axis_phrase(pca.loadings, 1, labels) if pca.explained_variance[1] > 0 else ""
    if not right:
        return ""
    sentences = [
        f"Customers further right have {right}" + (f"; customers higher up have {up}." if up else ".")
    ]
    shown = sum(pca.explained_variance)
    sentences.append(
        f"The two axes capture {percent(shown, 0)} of the differences between customers, so segments that "
        "overlap here can still differ on the measures below."
    )
    return " ".join(sentences)


def heatmap_caption(analysis: Analysis) -> str:
    """Return how to read the heatmap, with each segment's strongest difference from the average."""
    standouts = [f"{p.name}: {_in_sentence(p.traits[0].text)}" for p in analysis.profiles if p.traits]
    text = (
        "Each cell is a segment's average as a multiple of the all-customer average (1x is average); "
        "the stronger the colour, the bigger the difference."
    )
    return text + (" What stands out: " + "; ".join(standouts) + "." if standouts else "")


def _in_sentence(text: str) -> str:
    """Return a trait phrase as it reads mid-sentence: 'Balance 51% below' -> 'balance 51% below'."""
    # only a capitalised word: 'RFM score' or 'PC1' keep their capitals
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def segment_text(
    profile: SegmentProfile, spend_label: str, traits_shown: int = 3, leaning: str | None = None
) -> str:
    """Return a segment's paragraph: size, share of value, strongest traits and the group it leans to
    (`leaning`: its strongest category highlight, "100% Gender Female vs 50% overall")."""
    _, spend = spend_share(profile)
    parts = [f"{thousands(profile.size)} customers ({percent(profile.share)} of the base)"]
    if spend is not None:
        label = in_sentence(spend_label)
        # "of all total spend" says "total" twice
        parts.append(
            f"account for {percent(spend)} of {label if label.startswith('total') else 'all ' + label}"
        )
        # worth saying only where the segment punches above its weight
        if profile.share > 0 and spend / profile.share >= 1.15:
            parts[-1] += f", {lift(spend / profile.share)} their share of customers"
    text = " ".join([parts[0], *(["who " + p for p in parts[1:]])]) + "."
    traits = [_in_sentence(t.text) for t in profile.traits[:traits_shown]]
    if traits:
        text += " Compared with the average customer: " + "; ".join(traits) + "."
    if leaning:
        # two segments alike in every number can differ in who they are: say so beside the numbers
        text += f" It leans to one group: {leaning}."
    return text[:1].upper() + text[1:]


def summary_traits(segment_count: int) -> int:
    """Return how many traits each segment's summary paragraph names: fewer when there are many segments."""
    # the executive summary should stay one page: eight three-trait paragraphs push the actions over
    return 3 if segment_count <= 4 else 2 if segment_count <= 6 else 1


def silhouette_reading(value: float | None) -> str:
    # Kaufman and Rousseeuw's reading (structure_reading): > 0.70 strong, > 0.50 reasonable, > 0.25 weak
    if value is None:
        return "Not computed for this run."
    reading = structure_reading(value)
    if reading == "strong":
        return "Strong structure: the segments are well apart and most customers sit deep inside their own."
    if reading == "reasonable":
        return "Reasonable structure: the segments are distinct, with some overlap at the edges."
    if reading == "weak":
        return (
            f"Weak structure ({decimal(0.26)} to {decimal(0.5)}): the segment centres differ, but the segments "
            "overlap and "
            "customers near a boundary could belong to either neighbour. Act on the segment profiles, not "
            "on individual borderline assignments."
        )
    return (
        f"No substantial structure ({decimal(0.25)} or less): the customers form a continuum; read the segments "
        "as a "
        "convenient split, not as distinct types."
    )


def ch_reading(value: float | None, selection: KSelection) -> str:
    if value is None:
        return "Not computed for this run."
    scored = [c.calinski_harabasz for c in selection.candidates if c.calinski_harabasz is not None]
    rank = ""
    if scored:
        if value >= max(scored) - 1e-9:
            rank = " It is the highest of all the numbers of segments tried."
        else:
            rank = f" The best of the numbers of segments tried was {thousands(max(scored))}."
    return (
        "Compares the spread between segments with the spread inside them; it has no absolute scale, "
        "higher means tighter, better separated segments." + rank
    )


def db_reading(value: float | None) -> str:
    if value is None:
        return "Not computed for this run."
    if value < 1.0:
        return "Below 1: each segment is compact compared with its distance to the nearest other segment."
    if value < 2.0:
        return (
            "Between 1 and 2: segments are reasonably compact but neighbours partly touch, so the "
            "boundaries are soft: read the profiles as descriptions of the segment centres."
        )
    return "Above 2: neighbouring segments are close relative to their size; look at the profiles with care."
