"""The playbook (data, not code): archetype -> marketing actions, filled with each segment's own numbers."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from reportgen.documents.formats import amount, lift, percent, thousands
from reportgen.errors import InputError
from reportgen.model import Recommendation, SegmentProfile

PLACEHOLDER = re.compile(r"\{([a-z_]+)(?::([A-Za-z0-9_]+))?\}")
_NEEDS_COLUMN = {"lift", "mean", "median", "value_share"}
_NO_COLUMN = {"share", "size"}


CONDITION = re.compile(r"^\s*(lift|mean|median|value_share):([A-Za-z0-9_]+)\s*(<=|>=|<|>)\s*(-?[0-9.]+)\s*$")


@dataclass(frozen=True)
class Condition:
    """`when = "lift:PURCHASES < 1"`: the action applies only to segments that meet it."""

    kind: str
    column: str
    op: str
    value: float


@dataclass(frozen=True)
class Action:
    title: str
    text: str
    when: tuple[Condition, ...] = ()


@dataclass(frozen=True)
class Play:
    key: str
    name: str
    summary: str
    actions: tuple[Action, ...]


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
            parsed.append(Action(title=action["title"], text=action["text"], when=when))
        book[key] = Play(key=key, name=body["name"], summary=body["summary"], actions=tuple(parsed))
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
                'e.g. "lift:PURCHASES < 1" (KIND: lift, mean, median, value_share; OP: <, <=, >, >=)'
            )
        try:
            value = float(m.group(4))
        except ValueError:
            raise InputError(f'{where}: "{m.group(4)}" in "{text}" is not a number') from None
        out.append(Condition(kind=m.group(1), column=m.group(2), op=m.group(3), value=value))
    return tuple(out)


def applies(action: Action, profile: SegmentProfile) -> bool:
    """Return whether a segment meets every condition of an action (a column it lacks fails the test)."""
    for cond in action.when:
        if cond.kind == "value_share":
            actual: float | None = profile.value_shares.get(cond.column)
        else:
            stat = profile.stats.get(cond.column)
            actual = (
                None
                if stat is None
                else {"lift": stat.lift, "mean": stat.mean, "median": stat.median}[cond.kind]
            )
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
                "value_share (with :COLUMN), share or size"
            )


def filled_text(template: str, profile: SegmentProfile) -> str | None:
    """Fill a playbook text with the segment's numbers; None when it names a column the data lacks."""
    missing = False

    def fill(m: re.Match[str]) -> str:
        nonlocal missing
        kind, col = m.group(1), m.group(2) or ""
        if kind == "share":
            return percent(profile.share)
        if kind == "size":
            return thousands(profile.size)
        if kind == "value_share":
            if col not in profile.value_shares:
                missing = True
                return ""
            return percent(profile.value_shares[col])
        stat = profile.stats.get(col)
        if stat is None:
            missing = True
            return ""
        if kind == "lift":
            if stat.lift is None:
                missing = True
                return ""
            return lift(stat.lift)
        return amount(stat.mean if kind == "mean" else stat.median)

    text = PLACEHOLDER.sub(fill, template)
    return None if missing else text


def recommendations(profiles: tuple[SegmentProfile, ...], book: Playbook) -> tuple[Recommendation, ...]:
    """Return each segment's actions from its archetype's play, filled with its numbers."""
    out: list[Recommendation] = []
    for p in profiles:
        play = book.get(p.archetype) or book.get("default")
        if play is None:
            continue
        filled = [(a.title, filled_text(a.text, p)) for a in play.actions if applies(a, p)]
        usable = [(t, x) for t, x in filled if x is not None]
        if not usable and "default" in book and play.key != "default":
            usable = [
                (a.title, x) for a in book["default"].actions if (x := filled_text(a.text, p)) is not None
            ]
        out += [Recommendation(segment_id=p.id, archetype=p.archetype, title=t, text=x) for t, x in usable]
    return tuple(out)


def archetype_names(book: Playbook) -> dict[str, str]:
    """Return the display name of each archetype in the playbook."""
    return {key: play.name for key, play in book.items() if key != "default"}
