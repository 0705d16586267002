"""The intranet archive: DIR/index.html listing every period, newest first, with relative links only."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reportgen.documents.formats import environment, month_label
from reportgen.period import Period, period_or_none

# only plain colour literals may reach a style attribute: anything else could smuggle CSS (e.g. url(...))
_COLOUR = re.compile(r"^(#[0-9a-fA-F]{3}|#[0-9a-fA-F]{6}|[a-zA-Z]{3,20})$")


@dataclass(frozen=True)
class ArchiveEntry:
    period: str
    label: str  # "November 2026"
    html: str | None  # relative link, None when the file is missing
    pdf: str | None
    customers: int | None
    segments: int | None
    silhouette: float | None
    largest_name: str | None
    largest_share: float | None
    new_customers: int | None
    lost_customers: int | None
    readable: bool


@dataclass(frozen=True)
class PageColours:
    """The four colours of the archive page and the e-mail briefing, each a plain CSS literal."""

    primary: str = "#14426b"
    text: str = "#1f2933"
    muted: str = "#5b6b7b"
    light: str = "#f3f5f8"


def safe_colour(value: str | None, default: str) -> str:
    """Return value if it is a plain CSS colour literal (#rgb, #rrggbb or a name), else the default."""
    if value and _COLOUR.match(value.strip()):
        return value.strip()
    return default


def archive_entries(out_dir: Path) -> tuple[ArchiveEntry, ...]:
    """Return one entry per published period folder under out_dir, newest first."""
    if not out_dir.is_dir():
        return ()
    periods = sorted(
        (
            (month, p)
            for p in out_dir.iterdir()
            if p.is_dir() and (month := period_or_none(p.name)) is not None
        ),
        reverse=True,
    )
    return tuple(_entry(month, p) for month, p in periods)


def _entry(period: Period, folder: Path) -> ArchiveEntry:
    summary = _summary(folder / "summary.json")
    segments = summary.get("segments") if isinstance(summary.get("segments"), list) else None
    largest = max(segments, key=lambda s: _num(s.get("size")) or 0) if segments else None
    moves: dict[str, Any] = summary["migration"] if isinstance(summary.get("migration"), dict) else {}
    return ArchiveEntry(
        period=str(period),
        label=month_label(period),
        html=f"{folder.name}/report.html" if (folder / "report.html").is_file() else None,
        pdf=f"{folder.name}/report.pdf" if (folder / "report.pdf").is_file() else None,
        customers=_int(_get(summary, "input", "customers")),
        segments=len(segments) if segments is not None else None,
        silhouette=_num(_get(summary, "quality", "silhouette")),
        largest_name=str(largest.get("name")) if isinstance(largest, dict) else None,
        largest_share=_num(largest.get("share")) if isinstance(largest, dict) else None,
        new_customers=_int(moves.get("new_customers")),
        lost_customers=_int(moves.get("lost_customers")),
        readable=bool(summary),
    )


def _summary(path: Path) -> dict[str, Any]:
    # one damaged period must not take the whole archive down: it is listed without figures
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return doc if isinstance(doc, dict) else {}


def _get(doc: dict[str, Any], *keys: str) -> Any:
    value: Any = doc
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else None


def page_colours(colors: Mapping[str, str] | None) -> PageColours:
    """Return the page palette from brand role colours (primary, foreground, secondary, light)."""
    given = colors or {}
    d = PageColours()
    return PageColours(
        primary=safe_colour(given.get("primary"), d.primary),
        text=safe_colour(given.get("foreground"), d.text),
        muted=safe_colour(given.get("secondary"), d.muted),
        light=safe_colour(given.get("light"), d.light),
    )


def archive_index(
    out_dir: Path,
    brand_name: str,
    title: str = "Customer Segmentation Report",
    colors: Mapping[str, str] | None = None,
) -> str:
    """Return the self-contained HTML of DIR/index.html: all periods newest first, relative links."""
    template = environment().get_template("index.html.j2")
    return template.render(
        brand_name=brand_name, title=title, colours=page_colours(colors), entries=archive_entries(out_dir)
    )
