"""The playbook (data, not code): archetype -> marketing actions, filled with each segment's own numbers.

A bundled generic playbook keys its actions on the roles columns play (value, frequency, recency, tenure, the
mix of value columns) rather than on column names, so any table gets actions that fit its segments.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from reportgen.errors import InputError
from reportgen.formats import DEFAULT_LOCALE, amount, lift, percent, thousands
from reportgen.model import CategoryProfile, Recommendation, SegmentProfile, spend_share
from reportgen.model.columns import AMOUNT_COLUMNS, SPEND_NAME, feature_label

MAX_ACTIONS = 2  # with KPI and value at stake, two actions keep a segment to one page
MIN_ACTIONS = 2
DEFAULT_KPI = "Segment's share of {value_label}, against its share of customers"
NO_VALUE_KPI = "Response rate against a control group"

PLACEHOLDER = re.compile(r"\{([a-z_]+)(?::(@?[A-Za-z0-9_]+))?\}")
_NEEDS_COLUMN = {"lift", "mean", "median", "value_share", "min", "max", "label"}
_NO_COLUMN = {"share", "size", "value_label", "category", "traits"}
# `{traits}` names this many of the segment's strongest traits: what an offer "built on what sets them apart" is built on
TRAITS_NAMED = 2

CONDITION = re.compile(
    r"^\s*(lift|mean|median|value_share|min|max|concentration):(@?[A-Za-z0-9_]+)\s*(<=|>=|<|>)\s*(-?[0-9.]+)\s*$"
)
CONDITION_KINDS = "lift, mean, median, value_share, min, max, concentration"
# The roles a column can play, so one playbook fits any table: the first column whose name matches, in order.
ROLE_PATTERNS: dict[str, tuple[re.Pattern[str], ...]] = {
    "frequency": tuple(
        re.compile(p, re.IGNORECASE)
        for p in (r"^frequency$", r"^purchases_frequency$", r"^num(?!deal).*purchase", r"freq|orders|trx$")
    ),
    "recency": (re.compile(r"recen|days_since_last|last_purchase", re.IGNORECASE),),
    "tenure": (re.compile(r"tenure|dt_customer|customer_since|member_since", re.IGNORECASE),),
}
ROLES = ("value", "top", "weak", *ROLE_PATTERNS)
TOTAL = "+"  # a role resolved to several count columns, summed: "NumWebPurchases+NumStorePurchases"
TOTAL_LABEL = "purchases in all channels"
# A value column leads or trails a segment's mix when its lift is this far from 1.
MIX_LIFT = 1.25


@dataclass(frozen=True)
class Condition:
    """`when = "lift:PURCHASES < 1"`: the action applies only to segments that meet it."""

    kind: str
    column: str  # a column, or a role: "@value", "@frequency", "@recency", "@tenure", "@top", "@weak"
    op: str
    value: float


@dataclass(frozen=True)
class Action:
    title: str
    text: str
    when: tuple[Condition, ...] = ()
    kpi: str = ""
    stake: str = ""  # the column (or role) the action acts on, valued as its "at stake"; "" = the value


@dataclass(frozen=True)
class Play:
    key: str
    name: str
    summary: str
    actions: tuple[Action, ...]
    kpi: str = ""  # the play's measure to watch, for actions that name none


Playbook = dict[str, Play]


def load_playbook(path: Path) -> Playbook:
    """Read and validate a playbook TOML file: [archetypes.<key>] with name, summary and actions."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise InputError(f"{path}: playbook file not found") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"{path}: invalid playbook TOML: {exc}") from None
    archetypes = raw.get("archetypes")
    if not isinstance(archetypes, dict) or not archetypes:
        raise InputError(f"{path}: expected [archetypes.<name>] tables with name, summary and actions")
    book: Playbook = {}
    for key, body in archetypes.items():
        where = f"{path}: archetypes.{key}"
        if not isinstance(body, dict):
            raise InputError(f"{where} must be a table")
        for field in ("name", "summary"):
            if not isinstance(body.get(field), str):
                raise InputError(f"{where}.{field} must be a string")
        actions = body.get("actions", [])
        if not isinstance(actions, list) or not actions:
            raise InputError(f"{where}.actions must be a non-empty list of {{title, text}} tables")
        parsed = []
        for i, action in enumerate(actions):
            if not isinstance(action, dict) or not all(
                isinstance(action.get(f), str) for f in ("title", "text")
            ):
                raise InputError(f"{where}.actions[{i}] must have string title and text")
            _check_placeholders(action["text"], f"{where}.actions[{i}].text")
            when = _conditions(action.get("when", []), f"{where}.actions[{i}].when")
            kpi = action.get("kpi", "")
            if not isinstance(kpi, str):
                raise InputError(f"{where}.actions[{i}].kpi must be a string")
            _check_placeholders(kpi, f"{where}.actions[{i}].kpi")
            stake = action.get("stake", "")
            if not isinstance(stake, str) or not re.fullmatch(r"(@?[A-Za-z0-9_]+)?", stake):
                raise InputError(
                    f"{where}.actions[{i}].stake must be a column name or a role, e.g. CASH_ADVANCE"
                )
            _check_role(stake, f"{where}.actions[{i}].stake")
            parsed.append(Action(title=action["title"], text=action["text"], when=when, kpi=kpi, stake=stake))
        kpi = body.get("kpi", "")
        if not isinstance(kpi, str):
            raise InputError(f"{where}.kpi must be a string")
        book[key] = Play(key=key, name=body["name"], summary=body["summary"], actions=tuple(parsed), kpi=kpi)
    return book


def _conditions(raw: object, where: str) -> tuple[Condition, ...]:
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list) or not all(isinstance(x, str) for x in items):
        raise InputError(f'{where} must be a condition or a list of them, like "lift:PURCHASES < 1"')
    out = []
    for text in items:
        m = CONDITION.match(text)
        if m is None:
            raise InputError(
                f'{where}: cannot read condition "{text}"; expected KIND:COLUMN OP NUMBER, '
                f'e.g. "lift:PURCHASES < 1" (KIND: {CONDITION_KINDS}; COLUMN or a role: '
                f"{', '.join('@' + r for r in ROLES)}; OP: <, <=, >, >=)"
            )
        _check_role(m.group(2), f"{where}: {text}")
        try:
            value = float(m.group(4))
        except ValueError:
            raise InputError(f'{where}: "{m.group(4)}" in "{text}" is not a number') from None
        out.append(Condition(kind=m.group(1), column=m.group(2), op=m.group(3), value=value))
    return tuple(out)


def column_roles(profile: SegmentProfile) -> dict[str, str]:
    """Return the column each role names for a segment: frequency, recency, tenure, and, where the value has
    several columns, the one it buys most (top) and least (weak) of against the average among the value columns
    and every other spend column (Mnt*, *spend*, *sales*, ...)."""
    roles: dict[str, str] = {}
    for role, patterns in ROLE_PATTERNS.items():
        for pattern in patterns:
            cols = [c for c in profile.stats if pattern.search(c)]
            if cols:
                # purchases counted per channel (NumWebPurchases, NumStorePurchases ...): how often they buy
                # is their sum, not one channel (F36)
                many = role == "frequency" and pattern.pattern.startswith("^num") and len(cols) > 1
                roles[role] = TOTAL.join(cols) if many else cols[0]
                break
    value = profile.value
    if value is not None and len(value.columns) > 1:
        # "most" / "least" must hold among every spend column the profile shows, not only the summed ones
        spend = [c for c in profile.stats if SPEND_NAME.search(c) and c not in value.columns]
        compared = [*value.columns, *spend]
        lifted = [(profile.stats[c].lift, c) for c in compared if profile.stats[c].lift is not None]
        if lifted:
            top = max(lifted, key=lambda t: (t[0] or 0.0, t[1]))
            weak = min(lifted, key=lambda t: (t[0] or 0.0, t[1]))
            if (top[0] or 0.0) >= MIX_LIFT:
                roles["top"] = top[1]
            if (weak[0] or 0.0) <= 1 / MIX_LIFT:
                roles["weak"] = weak[1]
    return roles


def _measure(kind: str, column: str, profile: SegmentProfile, roles: Mapping[str, str]) -> float | None:
    """Return a segment's figure for a condition or placeholder; None where the data lacks it."""
    if column == "@value":
        v = profile.value
        if v is None:
            return None
        per_customer = v.amount / profile.size if profile.size else 0.0
        concentration = v.share / profile.share if profile.share else None
        return {
            "value_share": v.share,
            "mean": per_customer,
            "lift": concentration,
            "concentration": concentration,
        }.get(kind)
    if column.startswith("@"):
        resolved = roles.get(column[1:])
        if resolved is None:
            return None
        column = resolved
    if TOTAL in column and column not in profile.stats:
        return _total_measure(kind, column.split(TOTAL), profile)
    if kind == "value_share":
        return profile.value_shares.get(column)
    if kind == "concentration":
        share = profile.value_shares.get(column)
        return share / profile.share if share is not None and profile.share else None
    stat = profile.stats.get(column)
    if stat is None:
        return None
    return {"lift": stat.lift, "mean": stat.mean, "median": stat.median, "min": stat.min, "max": stat.max}[
        kind
    ]


def _total_measure(kind: str, columns: list[str], profile: SegmentProfile) -> float | None:
    """Return the mean or lift of several count columns summed; None for what a sum of means cannot give."""
    stats = [profile.stats.get(c) for c in columns]
    if kind not in ("mean", "lift") or any(s is None for s in stats):
        return None
    means = [s.mean for s in stats if s is not None]
    total = sum(means)
    if kind == "mean":
        return total
    lifts = [s.lift for s in stats if s is not None]
    if any(lf is None or lf <= 0 for lf in lifts):
        return None
    overall = sum(m / lf for m, lf in zip(means, lifts, strict=True) if lf is not None)
    return total / overall if overall > 0 else None


def applies(action: Action, profile: SegmentProfile, roles: Mapping[str, str] | None = None) -> bool:
    """Return whether a segment meets every condition of an action (a column it lacks fails the test)."""
    found = column_roles(profile) if roles is None else roles
    for cond in action.when:
        actual = _measure(cond.kind, cond.column, profile, found)
        if actual is None:
            return False
        ok = {
            "<": actual < cond.value,
            "<=": actual <= cond.value,
            ">": actual > cond.value,
            ">=": actual >= cond.value,
        }[cond.op]
        if not ok:
            return False
    return True


def _check_role(column: str | None, where: str) -> None:
    if column and column.startswith("@") and column[1:] not in ROLES:
        raise InputError(
            f"{where}: unknown role {column}; expected one of {', '.join('@' + r for r in ROLES)}"
        )


def _check_placeholders(text: str, where: str) -> None:
    for m in PLACEHOLDER.finditer(text):
        kind, col = m.group(1), m.group(2)
        if kind in _NEEDS_COLUMN and not col:
            raise InputError(f"{where}: placeholder {{{kind}}} needs a column, e.g. {{{kind}:PURCHASES}}")
        if kind in _NO_COLUMN and col:
            raise InputError(f"{where}: placeholder {{{kind}}} takes no column")
        if kind not in _NEEDS_COLUMN | _NO_COLUMN:
            raise InputError(
                f"{where}: unknown placeholder {{{m.group(0)[1:-1]}}}; expected lift, mean, median, "
                "value_share, min, max, label (with :COLUMN or :@role), share, size, value_label, category or traits"
            )
        _check_role(col, where)


def filled_text(
    template: str,
    profile: SegmentProfile,
    roles: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    category: str | None = None,
    *,
    locale: str = DEFAULT_LOCALE,
    currency: str | None = None,
) -> str | None:
    """Fill a playbook text with the segment's numbers; None when it names a column the data lacks.

    Amounts (of the value columns and the money columns) are formatted in `currency`, if given, and every
    number in `locale`.

    `category` is the categorical value the segment over-represents most, in words ("84% Retail channel vs
    32% overall"), for `{category}`; a text using it is left out for a segment without one. `{traits}` names the
    segment's strongest traits ("deals purchases 1.8x the average"); left out for a segment without any.
    """
    found = column_roles(profile) if roles is None else roles
    missing = False

    def fill(m: re.Match[str]) -> str:
        nonlocal missing
        kind, col = m.group(1), m.group(2) or ""
        if kind == "share":
            return percent(profile.share, locale=locale)
        if kind == "size":
            return thousands(profile.size, locale)
        if kind == "category":
            missing = missing or category is None
            return category or ""
        if kind == "traits":
            named = [_mid_sentence(t.text) for t in profile.traits[:TRAITS_NAMED]]
            missing = missing or not named
            return " and ".join(named)
        if kind in ("value_label", "label"):
            text = _label(col, profile, found, labels or {}) if kind == "label" else _value_label(profile)
            missing = missing or text is None
            return text or ""
        value = _measure(kind, col, profile, found)
        if value is None:
            missing = True
            return ""
        if kind in ("value_share", "concentration"):
            return percent(value, locale=locale)
        if kind == "lift":
            return lift(value, locale)
        return amount(value, locale, currency if _is_money(col, profile, found) else None)

    text = PLACEHOLDER.sub(fill, template)
    return None if missing else text


def _mid_sentence(text: str) -> str:
    """Return a label or trait as it reads mid-sentence: 'Balance 51% below' -> 'balance 51% below'."""
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _is_money(column: str, profile: SegmentProfile, roles: Mapping[str, str]) -> bool:
    """Whether a placeholder's column holds money: the value (spend) columns and the known amount columns."""
    if column == "@value":
        return profile.value is not None
    resolved = roles.get(column[1:]) if column.startswith("@") else column
    value_columns = profile.value.columns if profile.value is not None else ()
    return resolved is not None and (resolved in AMOUNT_COLUMNS or resolved in value_columns)


def _value_label(profile: SegmentProfile) -> str | None:
    return profile.value.label if profile.value is not None else None


def _label(
    column: str, profile: SegmentProfile, roles: Mapping[str, str], labels: Mapping[str, str]
) -> str | None:
    if column == "@value":
        return _value_label(profile)
    resolved = roles.get(column[1:]) if column.startswith("@") else column
    if resolved is not None and TOTAL in resolved and resolved not in profile.stats:
        return TOTAL_LABEL if all(c in profile.stats for c in resolved.split(TOTAL)) else None
    if resolved is None or resolved not in profile.stats:
        return None
    return _mid_sentence(labels.get(resolved) or feature_label(resolved))


def value_at_stake(
    profile: SegmentProfile,
    stake: str = "",
    roles: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    *,
    locale: str = DEFAULT_LOCALE,
    currency: str | None = None,
) -> str:
    """Return what an action has at stake, saying which measure: the segment's share and amount (in `currency`,
    if given) of the column the action acts on (`stake`) where the data has it, else of the value column(s)."""
    found = column_roles(profile) if roles is None else roles
    column = found.get(stake[1:], "") if stake.startswith("@") else stake
    stat = profile.stats.get(column) if column and stake != "@value" else None
    if stat is not None:
        share = profile.value_shares.get(column)
        # a segment's share of a column's total is its lift times its share of customers
        share = share if share is not None else (stat.lift * profile.share if stat.lift is not None else None)
        if share is not None:
            label = _mid_sentence((labels or {}).get(column) or feature_label(column))
            money = currency if _is_money(column, profile, found) else None
            return (
                f"the segment's {percent(share, locale=locale)} of {label} "
                f"({amount(stat.mean * profile.size, locale, money)})"
            )
    v = profile.value
    if v is None:
        return f"{thousands(profile.size, locale)} customers ({percent(profile.share, locale=locale)} of the base)"
    return (
        f"the segment's {percent(v.share, locale=locale)} of {v.label} ({amount(v.amount, locale, currency)})"
    )


_NUMBER = re.compile(r"[<>]?[0-9][0-9,.]*(?:%|x\b)?")


def action_words(text: str) -> str:
    """Return an action's words with its numbers blanked: two segments never get the same words."""
    return _NUMBER.sub("#", text)


# Actions are drawn in this order: the segment's own play, then the role-based plays, then the default.
GENERIC_PLAY = "generic"


def recommendations(
    profiles: tuple[SegmentProfile, ...],
    book: Playbook,
    generic: Playbook | None = None,
    labels: Mapping[str, str] | None = None,
    per_segment: int = MAX_ACTIONS,
    categories: CategoryProfile | None = None,
    *,
    locale: str = DEFAULT_LOCALE,
    currency: str | None = None,
) -> tuple[Recommendation, ...]:
    """Return each segment's actions, filled with its numbers; no playbook text goes to two segments, except
    one built on `{category}`, which each segment fills with the group it leans to.

    The most valuable segments choose first (share of value, then size). Each takes up to `per_segment`
    actions whose conditions it meets from its archetype's play; the role-based ones (value, frequency,
    recency, tenure, the mix of value columns), then the default play's, fill in up to MIN_ACTIONS.
    """
    plays = {**(generic or {}), **book}
    ranked = sorted(profiles, key=lambda p: (-(spend_share(p)[1] or 0.0), -p.size, p.id))
    used: set[tuple[str, int]] = set()
    texts: set[str] = set()
    chosen: dict[int, list[Recommendation]] = {}
    for p in ranked:
        roles = column_roles(p)
        highlights = categories.highlights.get(p.id, ()) if categories is not None else ()
        leaning = highlights[0].text if highlights else None
        keys = [p.archetype, GENERIC_PLAY, "default"]
        mine: list[Recommendation] = []
        # a segment the first pass left with nothing (the more valuable ones took every action it meets) takes
        # an action built on `{traits}` again: each segment fills it with what sets it apart
        for again, key in [(again, key) for again in (False, True) for key in dict.fromkeys(keys)]:
            play = plays.get(key)
            if play is None or (again and mine):
                continue
            # the role-based and default plays fill in up to MIN_ACTIONS, not beyond: a segment page holds
            # its traits, its chart and about three actions
            limit = per_segment if key == p.archetype else max(MIN_ACTIONS, len(mine))
            for i, action in enumerate(play.actions):
                if len(mine) >= limit or (again and mine):
                    break
                if ((key, i) in used and not (again and "{traits}" in action.text)) or not applies(
                    action, p, roles
                ):
                    continue
                text = filled_text(action.text, p, roles, labels, leaning, locale=locale, currency=currency)
                if text is None or action_words(text) in texts or any(r.title == action.title for r in mine):
                    continue
                kpi = action.kpi or play.kpi or DEFAULT_KPI
                kpi = filled_text(kpi, p, roles, labels, locale=locale, currency=currency) or NO_VALUE_KPI
                kpi = kpi[:1].upper() + kpi[1:]
                # a `{category}` text is filled with each segment's own group, so it may go to several
                # segments: the segment a group defines must not lose it to a more valuable one (F21)
                if "{category}" not in action.text:
                    used.add((key, i))
                texts.add(action_words(text))
                mine.append(
                    Recommendation(
                        segment_id=p.id,
                        archetype=p.archetype,
                        title=action.title,
                        text=text,
                        kpi=kpi,
                        value_at_stake=value_at_stake(
                            p, action.stake, roles, labels, locale=locale, currency=currency
                        ),
                    )
                )
        chosen[p.id] = mine
    return tuple(r for p in profiles for r in chosen[p.id])


def archetype_names(book: Playbook) -> dict[str, str]:
    """Return the display name of each archetype in the playbook."""
    return {key: play.name for key, play in book.items() if key != "default"}
