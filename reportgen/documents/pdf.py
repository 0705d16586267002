"""HTML -> PDF with WeasyPrint, fetching nothing but data: URIs and the project's own asset files."""

from __future__ import annotations

import atexit
import base64
import hashlib
import io
import logging
import mimetypes
import re
import shutil
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

from weasyprint import HTML, Attachment
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from reportgen.config import PROJECT_ROOT, TEMPLATES_DIR
from reportgen.documents import svg_text
from reportgen.documents.fonts import font_directory
from reportgen.documents.report_model import CHART_SCHEME, ReportModel


@dataclass(frozen=True)
class PdfMetadata:
    """The PDF's document information; dates derive from the period, never from the clock."""

    title: str
    author: str
    subject: str
    keywords: tuple[str, ...]
    created: str  # W3C date, e.g. "2026-11-30"
    generator: str
    lang: str = "en"  # the document language screen readers read it in (BCP 47)


def pdf_metadata(model: ReportModel) -> PdfMetadata:
    """Return the PDF metadata of a report: title, brand as author, subject, keywords, period-derived dates."""
    return PdfMetadata(
        title=f"{model.title} · {model.period_label}",
        author=model.brand.name,
        subject=f"{model.segment_count} customer segments, {model.period_label}",
        keywords=model.keywords,
        created=model.issued_iso,
        generator=model.generator,
    )


def asset_roots() -> tuple[Path, ...]:
    """Return the only folders whose files WeasyPrint may read: templates/, brand/ and the Lato fonts."""
    return (TEMPLATES_DIR.resolve(), (PROJECT_ROOT / "brand").resolve(), font_directory().resolve())


_IMAGE_DATA_URI = re.compile(r'src="data:(image/(?:png|jpeg));base64,([A-Za-z0-9+/=]{4096,})"')
_MEMORY = "reportgen-memory"


ChartSource = Callable[[str], tuple[str, bytes]]  # chart name -> (MIME type, bytes); may wait for the drawing


def _no_charts(name: str) -> tuple[str, bytes]:
    raise ValueError(f"no chart named {name!r}")


class AssetFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that serves data: URIs, the report's charts and project asset files, and
    refuses everything else."""

    def __init__(
        self,
        roots: tuple[Path, ...],
        memory: tuple[tuple[str, bytes], ...] = (),
        charts: ChartSource = _no_charts,
    ) -> None:
        super().__init__(allowed_protocols=("data", "file"), allow_redirects=False)
        self._roots = roots
        self._memory = memory  # (mime, bytes) of large data: URIs lifted out of the HTML
        self._charts = charts

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        """Return the resource behind an allowed URL; raise ValueError for any other."""
        scheme = url.split(":", 1)[0].lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == CHART_SCHEME:
            mime, body = self._charts(unquote(url.split(":", 1)[1].lstrip("/")))
            return URLFetcherResponse(url, body, {"Content-Type": mime})
        if scheme == _MEMORY:
            index = url.split(":", 1)[1].strip("/")
            if index.isdigit() and int(index) < len(self._memory):
                mime, body = self._memory[int(index)]
                return URLFetcherResponse(url, body, {"Content-Type": mime})
        if scheme == "file":
            parsed = urlparse(url)
            if parsed.netloc not in ("", "localhost"):
                raise ValueError(f"refused {url}: remote file URL")
            path = Path(url2pathname(unquote(parsed.path))).resolve()
            if path.is_file() and any(path.is_relative_to(root) for root in self._roots):
                mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": mime})
        raise ValueError(f"refused {url}: only data: URIs and the project's asset files may be loaded")


@contextmanager
def _quiet_weasyprint() -> Iterator[None]:
    # WeasyPrint warns about CSS it ignores (e.g. screen-only rules); the CLI's stderr is for the analyst
    logger = logging.getLogger("weasyprint")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _lifted_images(html: str) -> tuple[str, tuple[tuple[str, bytes], ...]]:
    """Return the HTML with large base64 images replaced by in-memory references, and those images."""
    # WeasyPrint's HTML tokenizer crawls through megabyte-long attributes; decoding them here is instant
    images: list[tuple[str, bytes]] = []

    def lift(match: re.Match[str]) -> str:
        images.append((match.group(1), base64.b64decode(match.group(2))))
        return f'src="{_MEMORY}:/{len(images) - 1}"'

    return _IMAGE_DATA_URI.sub(lift, html), tuple(images)


class ProjectFonts(FontConfiguration):
    """WeasyPrint's font configuration, whose copies of the font files can be deleted on demand.

    WeasyPrint copies @font-face files to a temporary folder and deletes it when the configuration is garbage
    collected, which never happens in a process that ends with os._exit: `close()` deletes it explicitly.
    """

    _folder: Path | None  # set by FontConfiguration.add_font_face

    def close(self) -> None:
        """Delete the temporary copies of the font files."""
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None


@cache
def shared_fonts() -> ProjectFonts:
    """Return this process's font configuration: loaded once, reused by every document (same bytes)."""
    fonts = ProjectFonts()
    atexit.register(fonts.close)  # a normal exit; os._exit callers use release_fonts()
    return fonts


def release_fonts() -> None:
    """Delete the temporary font copies of this process's documents, if any (before os._exit)."""
    if shared_fonts.cache_info().currsize:
        shared_fonts().close()
        shared_fonts.cache_clear()


_FILE_URL = re.compile(r"file://[^\"')\s]*")


def _portable(html: str, roots: tuple[Path, ...]) -> str:
    """Return the HTML with each file:// URL of a project asset written relative to its asset folder."""
    prefixes = [(root.as_uri().rstrip("/") + "/", f"asset-{index}:") for index, root in enumerate(roots)]

    def relative(match: re.Match[str]) -> str:
        url = match.group(0)
        for prefix, name in prefixes:
            if url.startswith(prefix):
                return name + url[len(prefix) :]
        return "file:" + url.rsplit("/", 1)[-1]  # not an asset (refused when fetched): its name only

    return _FILE_URL.sub(relative, html)


def pdf_identifier(html: str, metadata: PdfMetadata, attachments: Sequence[tuple[str, bytes]] = ()) -> bytes:
    """Return the PDF file identifier (/ID) of a document: a hash of its HTML, metadata and attached files,
    with the asset files' URLs taken relative to their folders, so the same report from any install folder
    has the same bytes (WeasyPrint's default identifier is random)."""
    source = _portable(html, asset_roots()) + "\n" + repr(metadata)
    digest = hashlib.sha256(source.encode("utf-8"))
    for name, data in attachments:
        digest.update(name.encode("utf-8") + b"\0" + hashlib.sha256(data).digest())
    return digest.hexdigest()[:32].encode("ascii")


PDF_VARIANT = "pdf/a-3b"  # archivable (ISO 19005-3, level B) and able to carry the data files


def _attached(attachments: Sequence[tuple[str, bytes]], created: str) -> list[Attachment]:
    """Return the data files as PDF/A-3 attachments, dated by the period (WeasyPrint's default is the clock)."""
    day = datetime.fromisoformat(created).replace(tzinfo=UTC)
    return [
        Attachment(
            file_obj=io.BytesIO(data),
            name=name,
            description=ATTACHMENT_DESCRIPTIONS.get(name, name),
            created=day,
            modified=day,
            relationship="Data",  # the data the report's figures are drawn from (ISO 32000-2, 7.11.3)
        )
        # a name tree lists its keys in order (ISO 32000-1, 7.9.6): WeasyPrint keeps the order it is given
        for name, data in sorted(attachments)
    ]


ATTACHMENT_DESCRIPTIONS = {
    "summary.json": "Every figure of the report, machine-readable",
    "segments.csv": "Each customer's segment",
}


def _files_listed_once(document: Any, pdf: Any) -> None:
    """List each attachment once in the catalog's /AF (WeasyPrint's PDF/A-3 step adds every one twice)."""
    listed = pdf.catalog.get("AF")
    if listed is not None:
        unique = list(dict.fromkeys(listed))
        listed.clear()
        listed.extend(unique)


def pdf_bytes(
    html: str,
    *,
    metadata: PdfMetadata,
    charts: ChartSource,
    attachments: Sequence[tuple[str, bytes]] = (),
) -> bytes:
    """Render report HTML (target 'pdf') to PDF/A-3b bytes, tagged, with `attachments` (name, bytes)
    embedded; the same input gives the same bytes.

    `charts` gives each chart's image by name when WeasyPrint paints its page (it may still be being drawn
    when the layout starts); a chart it cannot give is an error, not a blank space.
    """
    light_html, images = _lifted_images(html)
    failures: list[str] = []

    def chart(name: str) -> tuple[str, bytes]:
        try:
            return charts(name)
        except Exception as exc:  # WeasyPrint would log it and leave the space blank
            failures.append(f"chart {name!r}: {type(exc).__name__}: {exc}")
            raise

    fetcher = AssetFetcher(asset_roots(), images, chart)
    svg_text.install()  # the charts' labels drawn a label at a time, not a character at a time
    with _quiet_weasyprint():
        document = HTML(
            string=light_html, base_url=TEMPLATES_DIR.resolve().as_uri() + "/", url_fetcher=fetcher
        ).render(font_config=shared_fonts(), pdf_variant=PDF_VARIANT)
        document.metadata.title = metadata.title
        document.metadata.authors = [metadata.author] if metadata.author else []
        document.metadata.description = metadata.subject
        document.metadata.keywords = list(metadata.keywords)
        document.metadata.generator = metadata.generator
        document.metadata.created = metadata.created
        document.metadata.modified = metadata.created
        document.metadata.lang = metadata.lang
        # tagged: a screen reader gets the reading order, headings, tables and every chart's alt text
        result: bytes = document.write_pdf(
            pdf_identifier=pdf_identifier(html, metadata, attachments),
            pdf_tags=True,
            pdf_variant=PDF_VARIANT,
            attachments=_attached(attachments, metadata.created),
            finisher=_files_listed_once,
        )
    if failures:
        raise RuntimeError("the PDF is missing a chart: " + "; ".join(failures))
    return result


def warm_pdf_engine() -> None:
    """Make a small document the way the report is made (`pdf_bytes`: chart frames, tagged PDF/A with an
    attachment): WeasyPrint's first document pays for loading Pango, fontconfig and the fonts, its first
    hyphenated word for the language's patterns, its first chart frame for Pillow's image plugins, and
    more first-use set-up in SVG text, table borders, tagging and font subsetting (about 0.1 s of a job);
    a worker does this while it waits for the analysis."""
    from PIL import Image

    from reportgen.documents.fonts import font_face_css
    from reportgen.documents.report_model import chart_frame_uri
    from reportgen.model import ChartImage

    png = io.BytesIO()
    Image.new("RGBA", (2, 2), (255, 255, 255, 128)).save(png, format="PNG")  # RGBA like the map chart
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20" '
        'fill="#ffffff"></rect><text x="2" y="14" font-family="Lato" font-size="10">k=5</text></svg>'
    )
    charts = {"svg": ("image/svg+xml", svg.encode("utf-8")), "png": ("image/png", png.getvalue())}
    frames = "".join(
        f'<img alt="{name}" src="{chart_frame_uri(ChartImage(name=name, title=name, alt=name, width=40, height=20))}">'
        for name in charts
    )
    # lang as in templates/report.html.j2; the narrow paragraph makes WeasyPrint hyphenate "Segmentation"
    html = (
        f'<!DOCTYPE html><html lang="en"><head><style>{font_face_css(embed=False)}'
        "body { font-family: Lato; } p { width: 4em; hyphens: auto; }"
        "table { border-collapse: collapse; } td { border-bottom: 1px solid #ccc; }</style></head>"
        "<body><h1>Segments</h1><p>Segmentation <b>bold</b> <i>italic</i></p>"
        f"<table><tr><th>k</th><td>5</td></tr></table>{frames}</body></html>"
    )
    metadata = PdfMetadata("warm-up", "", "", (), "2000-01-01", "reportgen")
    pdf_bytes(html, metadata=metadata, charts=charts.__getitem__, attachments=[("warm-up.txt", b"warm-up")])
