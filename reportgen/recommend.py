"""The playbook (data, not code): archetype -> marketing actions, filled with each segment's own numbers."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from reportgen.errors import InputError
from reportgen.models import Recommendation, SegmentProfile

PLACEHOLDER = re.compile(r"\{([a-z_]+)(?::([A-Za-z0-9_]+))?\}")
_NEEDS_COLUMN = {"lift", "mean", "median", "value_share"}
_NO_COLUMN = {"share", "size"}


@dataclass(frozen=True)
class Action:
    title: str
    text: str


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
            parsed.append(Action(title=action["title"], text=action["text"]))
        book[key] = Play(key=key, name=body["name"], summary=body["summary"], actions=tuple(parsed))
    return book


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
            return f"{profile.share:.1%}"
        if kind == "size":
            return f"{profile.size:,}"
        if kind == "value_share":
            if col not in profile.value_shares:
                missing = True
                return ""
            return f"{profile.value_shares[col]:.1%}"
        stat = profile.stats.get(col)
        if stat is None:
            missing = True
            return ""
        if kind == "lift":
            if stat.lift is None:
                missing = True
                return ""
            return f"{stat.lift:.1f}x"
        return format_amount(stat.mean if kind == "mean" else stat.median)

    text = PLACEHOLDER.sub(fill, template)
    return None if missing else text


def format_amount(value: float) -> str:
    """Format a raw-unit figure for prose: thousands separators, decimals only for small values."""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:,.1f}"
    return f"{value:.2f}"


def recommendations(profiles: tuple[SegmentProfile, ...], book: Playbook) -> tuple[Recommendation, ...]:
    """Return each segment's actions from its archetype's play, filled with its numbers."""
    out: list[Recommendation] = []
    for p in profiles:
        play = book.get(p.archetype) or book.get("default")
        if play is None:
            continue
        filled = [(a.title, filled_text(a.text, p)) for a in play.actions]
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
