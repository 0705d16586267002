"""The intranet archive: DIR/index.html listing every period, newest first, with relative links only."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markupsafe import Markup

from reportgen.documents.fonts import font_face_css
from reportgen.documents.formats import current_locale, environment, month_label
from reportgen.documents.report_model.storyline import count_change
from reportgen.model.columns import SPEND_COLUMNS, feature_label
from reportgen.period import Period, period_or_none

ARCHIVE_TEMPLATE = "index.html.j2"

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
    headline: Headline | None = None  # the segment with the largest share of value, and its change
    new_segments: tuple[str, ...] = ()  # names of segments first found this period
    redefined_segments: tuple[str, ...] = ()  # names kept, but the segment behind them changed
    briefing: str | None = None  # relative links to the e-mail briefing and the customer list
    segments_csv: str | None = None


@dataclass(frozen=True)
class Headline:
    """The period's top-value segment: its shares and its change in customers since the previous period."""

    name: str
    value_share: float | None  # of `value_label`; None when the data has no value measure
    value_label: str  # "purchases", "spend"
    share: float | None  # of customers
    size_change: int | None  # customers, None in a first month or for a new segment
    previous_size: int | None  # customers in the previous period
    new: bool
    text: str | None = None  # the report's key message as summary.json gives it; None in older folders

    @property
    def change_text(self) -> str | None:
        """Return the change in customers with its relative size: '-8 customers, -4%' (None without one)."""
        if self.size_change is None:
            return None
        # a comma, not brackets: the archive shows it in brackets already (as the e-mail does)
        return count_change(self.size_change, self.previous_size, noun="customers", bracketed=False)


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
        headline=_headline(segments or [], summary.get("headline")),
        new_segments=_flagged(summary, segments or [], "new"),
        redefined_segments=_flagged(summary, segments or [], "redefined"),
        briefing=f"{folder.name}/briefing.eml" if (folder / "briefing.eml").is_file() else None,
        segments_csv=f"{folder.name}/segments.csv" if (folder / "segments.csv").is_file() else None,
    )


def _value(segment: dict[str, Any]) -> tuple[str, float | None]:
    """Return the label and share of the segment's value measure: `value_share`, else the spend column."""
    if _num(segment.get("value_share")) is not None:
        value = segment.get("value")
        named = value.get("label") if isinstance(value, dict) else None
        return (named.lower() if isinstance(named, str) and named else "value"), _num(
            segment.get("value_share")
        )
    shares = segment.get("value_shares")
    if isinstance(shares, dict):
        for key in (*SPEND_COLUMNS, *shares):
            if isinstance(key, str) and _num(shares.get(key)) is not None:
                return feature_label(key).lower(), _num(shares.get(key))
    return "value", None


def _headline(segments: list[Any], message: Any = None) -> Headline | None:
    rows = [s for s in segments if isinstance(s, dict)]
    if not rows:
        return None
    # the top-value segment; by size where the data has no value measure
    top = max(rows, key=lambda s: (_value(s)[1] or -1.0, _num(s.get("size")) or 0.0))
    label, value_share = _value(top)
    change, before = _int(top.get("size_change")), _int(top.get("previous_size"))
    return Headline(
        name=str(top.get("name")),
        value_share=value_share,
        value_label=label,
        share=_num(top.get("share")),
        size_change=change,
        previous_size=before,
        new=top.get("new") is True,
        text=message if isinstance(message, str) and message else None,
    )


def _flagged(summary: dict[str, Any], segments: list[Any], flag: str) -> tuple[str, ...]:
    """Return the names of segments flagged `flag` ("new", "redefined") on the segment or in the matching."""
    listed = _get(summary, "segment_matching", flag)
    ids = {i for i in listed if isinstance(i, int)} if isinstance(listed, list) else set()
    return tuple(
        str(s.get("name"))
        for s in segments
        if isinstance(s, dict) and (s.get(flag) is True or (_int(s.get("id")) in ids))
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


def ready_archive(locale: str) -> None:
    """Compile the archive page's template in `locale` ahead of `archive_index` (a run does it while its
    documents are being made: Jinja2 and the template otherwise cost the run's last 0.03 s)."""
    environment(locale).get_template(ARCHIVE_TEMPLATE)


def archive_index(
    out_dir: Path,
    brand_name: str,
    title: str = "Customer Segmentation Report",
    colors: Mapping[str, str] | None = None,
    logo_src: str | None = None,
) -> str:
    """Return the self-contained HTML of DIR/index.html: all periods newest first, relative links.

    `logo_src` is the brand logo as a data: URI; the page carries the report's font (Lato) inline.
    """
    template = environment(current_locale()).get_template(ARCHIVE_TEMPLATE)
    return template.render(
        brand_name=brand_name,
        title=title,
        colours=page_colours(colors),
        entries=archive_entries(out_dir),
        logo_src=logo_src if logo_src and logo_src.startswith("data:image/") else None,
        fonts=Markup(font_face_css(embed=True, faces=("regular", "bold"))),
    )
