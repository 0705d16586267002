"""The PDF: text a reader sees, page numbers, embedded fonts, metadata, same bytes twice, nothing fetched."""

from __future__ import annotations

import html
import io
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pyphen
import pytest
from pypdf import PdfReader

from reportgen.analysis.summary import portable_summary
from reportgen.config import TEMPLATES_DIR
from reportgen.documents.brand import load_brand
from reportgen.documents.fonts import font_files
from reportgen.documents.html import render_html
from reportgen.documents.pdf import AssetFetcher, asset_roots, pdf_bytes, pdf_metadata, warm_pdf_engine
from reportgen.documents.report_model import chart_lookup
from tests.conftest import readme_config
from tests.documents.test_report_model import SEGMENTS, sample_charts, sample_model


def _pdf(title: str = "Customer Segmentation Report", brand_path: Path | None = None) -> bytes:
    model = sample_model(title, load_brand(brand_path) if brand_path else None)
    charts = chart_lookup(sample_charts())
    return pdf_bytes(render_html(model, target="pdf"), metadata=pdf_metadata(model), charts=charts)


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return _pdf()


@pytest.fixture(scope="module")
def pages(pdf: bytes) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]


def test_pdf_is_a_pdf_with_a_page_per_section_and_segment(pdf: bytes, pages: list[str]) -> None:
    assert pdf.startswith(b"%PDF-")
    # cover, contents, summary, overview, one per segment, methodology, appendix: at least
    assert len(pages) >= 6 + len(SEGMENTS)
    cover = " ".join(pages[0].split())
    assert "Customer Segmentation Report" in cover and "November 2026" in cover
    assert "page" not in pages[0].lower().replace("pages", "")  # no running footer on the cover


def test_every_segment_and_recommendation_is_in_the_text(pages: list[str]) -> None:
    text = re.sub(r"\s+", " ", " ".join(pages))
    for name, *_ in SEGMENTS.values():
        assert name in text
        assert f"First action for {name}" in text and f"Do the first thing for {name}." in text
    for heading in ("Executive summary", "Segment overview", "Methodology", "Appendix", "Reproducibility"):
        assert heading in text


def test_footer_says_page_n_of_m(pages: list[str]) -> None:
    total = len(pages)
    for number, text in enumerate(pages[1:], start=2):
        assert f"page {number} of {total}" in text
    assert "Meridian Analytics" in pages[2]  # running header


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_contents_on_the_cover_carry_page_numbers(pdf: bytes, pages: list[str], tmp_path: Path) -> None:
    (tmp_path / "report.pdf").write_bytes(pdf)
    cover = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", "-layout", str(tmp_path / "report.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "CONTENTS" in cover  # the heading is set in capitals
    summary = next(n for n, text in enumerate(pages, start=1) if "Executive summary" in text and n > 1)
    assert summary == 2  # no page of its own for the contents
    assert re.search(rf"Executive summary\W*\.*\s*{summary}\b", cover)
    overview = next(
        n for n, text in enumerate(pages, start=1) if "segment overview" in text.lower() and n > 2
    )
    assert re.search(rf"Segment overview\W*\.*\s*{overview}\b", cover)


def test_every_font_is_embedded_lato(pdf: bytes) -> None:
    reader = PdfReader(io.BytesIO(pdf))
    fonts = {}
    for page in reader.pages:
        resources = page.get("/Resources")
        font_dict = resources.get_object().get("/Font") if resources else None
        for font in (font_dict.get_object() if font_dict else {}).values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            inner = descendants[0].get_object() if descendants else font
            descriptor = inner.get("/FontDescriptor")
            fonts[str(font.get("/BaseFont"))] = descriptor is not None and any(
                k in descriptor.get_object() for k in ("/FontFile", "/FontFile2", "/FontFile3")
            )
    assert fonts, "no fonts found"
    assert all(fonts.values()), f"not embedded: {[f for f, ok in fonts.items() if not ok]}"
    assert all("Lato" in name for name in fonts), fonts


@pytest.mark.skipif(shutil.which("pdffonts") is None, reason="poppler-utils not installed")
def test_pdffonts_reports_every_font_embedded(pdf: bytes, tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    header, _, *rows = out.splitlines()
    emb = header.index("emb")  # fixed-width columns: name, type, encoding, emb, sub, uni, object ID
    assert rows and all(row[emb : emb + 3] == "yes" for row in rows), out


def test_metadata_comes_from_the_model_not_the_clock(pdf: bytes) -> None:
    info = PdfReader(io.BytesIO(pdf)).metadata
    assert info is not None
    assert info.title == "Customer Segmentation Report · November 2026"
    assert info.author == "Meridian Analytics"
    assert "November 2026" in (info.subject or "")
    assert str(info.get("/CreationDate", "")).startswith("D:20261130")
    assert str(info.get("/ModDate", "")).startswith("D:20261130")


def test_same_input_gives_same_bytes(pdf: bytes) -> None:
    assert _pdf() == pdf


def test_same_report_from_another_install_folder_gives_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the PDF target links the fonts by file:// URL; the file identifier (/ID) and so the bytes, and the
    # briefing's Message-ID that hashes them, must not depend on where the package is installed
    from reportgen.documents import fonts, pdf

    model = sample_model("Customer Segmentation Report")
    charts = chart_lookup(sample_charts())
    results = []
    for place in ("checkout-a", "elsewhere/checkout-b"):
        folder = tmp_path / place / "files"
        shutil.copytree(fonts.font_directory(), folder)
        monkeypatch.setattr(fonts, "font_directory", lambda folder=folder: folder.resolve())
        monkeypatch.setattr(pdf, "font_directory", lambda folder=folder: folder.resolve())
        source = render_html(model, target="pdf")
        assert folder.resolve().as_uri() in source  # the fonts really come from this folder
        results.append(pdf_bytes(source, metadata=pdf_metadata(model), charts=charts))
    first, second = (PdfReader(io.BytesIO(result)).trailer["/ID"] for result in results)
    assert first == second
    assert results[0] == results[1]


def test_injected_title_comes_out_as_text() -> None:
    text = " ".join(
        p.extract_text() or "" for p in PdfReader(io.BytesIO(_pdf("<script>alert(1)</script>"))).pages
    )
    assert "<script>alert(1)</script>" in text


def test_fetcher_allows_only_data_and_project_assets(tmp_path: Path) -> None:
    fetcher = AssetFetcher(asset_roots())
    font = font_files()["regular"]
    assert fetcher.fetch(font.as_uri()).read()[:4] in (b"\x00\x01\x00\x00", b"true", b"OTTO")
    assert fetcher.fetch("data:text/plain;base64,aGk=").read() == b"hi"
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"\x89PNG secret")
    for url in (
        secret.as_uri(),
        "file:///etc/passwd",
        "http://127.0.0.1:9/x.png",
        "https://example.com/x.css",
        font.parent.as_uri() + "/../../../../../../etc/passwd",
        "ftp://example.com/x",
    ):
        with pytest.raises(ValueError, match=r"refused|disallowed"):
            fetcher.fetch(url)


def test_logo_referencing_local_files_pulls_nothing_in(tmp_path: Path) -> None:
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"\x89PNG\r\n\x1a\n" + b"TOPSECRET" * 10)
    (tmp_path / "logo.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10"/>'
        '<image href="file:///etc/passwd"/><image href="secret.png"/><image href="../secret.png"/></svg>',
        encoding="utf-8",
    )
    (tmp_path / "_brand.yml").write_text("meta:\n  name: Evil Co\nlogo: logo.svg\n", encoding="utf-8")
    pdf = _pdf(brand_path=tmp_path / "_brand.yml")
    assert b"TOPSECRET" not in pdf and b"root:x:0" not in pdf
    html = render_html(sample_model(brand=load_brand(tmp_path / "_brand.yml")), target="html")
    assert "secret.png" not in html and "passwd" not in html


def test_bookmarks_list_sections_and_segments(pdf: bytes) -> None:
    reader = PdfReader(io.BytesIO(pdf))

    def titles(items: list) -> list[str]:  # type: ignore[type-arg]
        out: list[str] = []
        for item in items:
            out += titles(item) if isinstance(item, list) else [item.title]
        return out

    marks = titles(reader.outline)
    for expected in ("Executive summary", "Segment overview", "Methodology", "Appendix"):
        assert expected in marks
    for name, *_ in SEGMENTS.values():
        assert name in marks


def test_each_segment_starts_its_own_page(pages: list[str]) -> None:
    for number in range(1, len(SEGMENTS) + 1):
        kicker = f"SEGMENT {number} OF {len(SEGMENTS)}"
        starts = [p.upper().index(kicker) for p in pages if kicker in p.upper()]
        assert len(starts) == 1 and starts[0] < 80  # only the running header comes before it


def test_a_chart_that_cannot_be_given_is_an_error_not_a_blank_space() -> None:
    model = sample_model()
    drawn = chart_lookup(sample_charts())

    def charts(name: str) -> tuple[str, bytes]:
        if name == "heatmap":
            raise ValueError("the chart engine crashed")
        return drawn(name)

    with pytest.raises(
        RuntimeError, match=r"missing a chart: chart 'heatmap': ValueError: the chart engine crashed"
    ):
        pdf_bytes(render_html(model, target="pdf"), metadata=pdf_metadata(model), charts=charts)


def _structure(node: Any, found: list[tuple[str, str | None]]) -> list[tuple[str, str | None]]:
    """Return (tag, alt text) of every element below a node of the PDF's structure tree, in order."""
    node = node.get_object()
    if "/S" in node:
        found.append((str(node["/S"]), node.get("/Alt")))
    kids = node.get("/K")
    for kid in kids if isinstance(kids, list) else [kids] if kids is not None else []:
        kid = kid.get_object() if hasattr(kid, "get_object") else kid
        if isinstance(kid, dict):
            _structure(kid, found)
    return found


def test_pdf_is_tagged_with_language_title_and_every_charts_alt_text(pdf: bytes, tmp_path: Path) -> None:
    reader = PdfReader(io.BytesIO(pdf))
    root = reader.trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"] == True  # noqa: E712 (a PDF boolean object)
    assert root["/Lang"] == "en"
    # readers show the title, not the file name
    assert root["/ViewerPreferences"]["/DisplayDocTitle"] == True  # noqa: E712
    tags = _structure(root["/StructTreeRoot"], [])
    kinds = {tag for tag, _ in tags}
    assert {"/H1", "/H2", "/Table", "/TH", "/TD", "/Figure", "/L"} <= kinds
    figures = [alt for tag, alt in tags if tag == "/Figure"]
    expected = re.findall(r'<img[^>]* alt="([^"]*)"', render_html(sample_model(), target="pdf"))
    assert len(expected) >= 4  # the logo and the charts
    assert all(alt for alt in figures)  # a figure without words is noise to a screen reader
    assert sorted(figures) == sorted(html.unescape(alt) for alt in expected)
    if shutil.which("pdfinfo"):
        path = tmp_path / "report.pdf"
        path.write_bytes(pdf)
        info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
        assert re.search(r"^Tagged:\s+yes$", info, re.M), info


MM_PER_PT = 25.4 / 72


def _page_image_spans(page: Any) -> list[tuple[float, float]]:
    """Return the vertical extent (top, bottom in points from the page top) of each image placed on a page."""
    resources = page.get("/Resources") or {}
    xobjects = resources.get("/XObject") or {}
    images = {name for name, ref in xobjects.items() if ref.get_object().get("/Subtype") == "/Image"}
    height = float(page.mediabox.height)
    found: list[tuple[float, float]] = []

    def placed(op: bytes, args: list[Any], cm: list[float], tm: list[float]) -> None:
        if op == b"Do" and args and args[0] in images:
            # the image is the unit square under the current matrix
            ys = (cm[5], cm[5] + cm[3], cm[5] + cm[1], cm[5] + cm[1] + cm[3])
            found.append((height - max(ys), height - min(ys)))

    page.extract_text(visitor_operand_before=placed)
    return found


def image_spans(pdf: Path) -> list[list[tuple[float, float]]]:
    """Return, per page, the vertical extent of each placed image."""
    return [_page_image_spans(page) for page in PdfReader(pdf).pages]


def blank_shares(pdf: Path, dpi: int = 30) -> list[float]:
    """Return, per page, the share of the body (inside the page margins) taken by empty bands over 15 mm tall.

    Gaps between paragraphs, tables and charts are well under 15 mm; a band taller than that is space the
    layout failed to use (a chart pushed to the next page, a short page). A chart drawn as an image is used
    space however sparse its dots: the customer map of a small table has empty corners that are part of it.
    """
    from PIL import Image

    spans = image_spans(pdf)
    # each page's own height: the appendix of more than six segments turns landscape
    heights = [float(page.mediabox.height) * MM_PER_PT for page in PdfReader(pdf).pages]
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(["pdftoppm", "-gray", "-r", str(dpi), str(pdf), f"{folder}/p"], check=True)
        shares = []
        for number, page in enumerate(sorted(Path(folder).glob("p-*.pgm"))):
            image = Image.open(page)
            width, height = image.size
            mm = height / heights[number]
            top, bottom, left, right = int(22 * mm), int(height - 20 * mm), int(18 * mm), int(width - 18 * mm)
            pixels = image.load()
            px_per_pt = mm * MM_PER_PT
            pictured = [(a * px_per_pt, b * px_per_pt) for a, b in spans[number]]
            inked = [
                any(a <= y <= b for a, b in pictured) or any(pixels[x, y] < 200 for x in range(left, right))
                for y in range(top, bottom)
            ]
            blank = run = 0
            for ink in [*inked, True]:
                if ink:
                    blank += run if run > 15 * mm else 0
                    run = 0
                else:
                    run += 1
            shares.append(blank / len(inked))
    return shares


def section_ends(pdf: Path) -> set[int]:
    """Return the 1-based numbers of the pages after which a new section starts on a new page, and the last."""
    reader = PdfReader(pdf)
    marks: list[Any] = []

    def walk(items: list[Any]) -> None:
        for item in items:
            walk(item) if isinstance(item, list) else marks.append(item)

    walk(reader.outline)
    starts = set()
    for mark in marks:
        number = reader.get_destination_page_number(mark)
        body_top = float(reader.pages[number].mediabox.top) - 22 / MM_PER_PT  # a landscape page is lower
        # a chapter or segment heading at the top of a page (the segment's kicker line may sit above it)
        if float(mark.top) >= body_top - 12 / MM_PER_PT:
            starts.add(number + 1)
    return {page - 1 for page in starts} | {len(reader.pages)}


# the README's "Your own table" examples: coded and text categories, no id column, a TAB file with dates
WHOLESALE_CONFIG = readme_config("wholesale_customers.csv")
MARKETING_CONFIG = readme_config("marketing_campaign.csv")


@pytest.fixture(scope="module")
def real_reports(
    tmp_path_factory: pytest.TempPathFactory, cc_path: Path, wholesale_path: Path, marketing_path: Path
) -> dict[str, Path]:
    from reportgen.config import Settings, load_settings
    from reportgen.pipeline import run

    out = tmp_path_factory.mktemp("reports")
    run(Settings(), "2026-11", out / "sample")
    run(Settings(), "2026-11", out / "cc", cc_path)
    for name, path, text in (
        ("wholesale", wholesale_path, WHOLESALE_CONFIG),
        ("marketing", marketing_path, MARKETING_CONFIG),
    ):
        config = out / f"{name}.toml"
        config.write_text(text, encoding="utf-8")
        run(load_settings(config), "2026-11", out / name, path)
    return {
        "sample": out / "sample" / "2026-11" / "report.pdf",
        "cc_general": out / "cc" / "2026-11" / "report.pdf",
        "wholesale": out / "wholesale" / "2026-11" / "report.pdf",
        "marketing_campaign": out / "marketing" / "2026-11" / "report.pdf",
    }


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
@pytest.mark.parametrize("table", ["sample", "cc_general", "wholesale", "marketing_campaign"])
def test_no_page_is_more_than_40_percent_blank_but_a_sections_last(
    real_reports: dict[str, Path], table: str
) -> None:
    pdf = real_reports[table]
    shares = blank_shares(pdf)
    ends = section_ends(pdf)
    assert len(ends) >= 4  # the cover, the summary, the overview, each segment...
    too_blank = {n: f"{s:.0%}" for n, s in enumerate(shares, start=1) if n not in ends and s > 0.40}
    assert not too_blank, f"{table}: pages more than 40% blank: {too_blank} (section ends: {sorted(ends)})"


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
@pytest.mark.parametrize("table", ["sample", "cc_general", "wholesale", "marketing_campaign"])
def test_the_appendix_does_not_end_on_a_few_stray_lines(real_reports: dict[str, Path], table: str) -> None:
    # the settings block runs on in two columns: a last page holding only its tail is a page for six lines
    last = blank_shares(real_reports[table])[-1]
    assert last <= 0.80, f"{table}: the last page is {last:.0%} blank"
    text = subprocess.run(
        ["pdftotext", "-f", "1", str(real_reports[table]), "-"], capture_output=True, text=True, check=True
    ).stdout
    appendix = text[text.rindex("CONFIGURATION") :] if "CONFIGURATION" in text else text
    # a setting with nothing to act on (no account columns for the card ratios) is not shown as shaping the run
    assert ("engineered = true" in appendix) == (table in ("sample", "cc_general")), table


@pytest.mark.parametrize("table", ["sample", "cc_general", "wholesale", "marketing_campaign"])
def test_the_executive_summary_keeps_to_one_page(real_reports: dict[str, Path], table: str) -> None:
    # a longer verdict once pushed marketing_campaign's third top action onto a page of its own
    texts = [page.extract_text() or "" for page in PdfReader(real_reports[table]).pages]
    assert "Executive summary" in texts[1], table
    assert "segment overview" in texts[2].lower() and "Top actions" not in texts[2], table


@pytest.mark.parametrize("table", ["wholesale", "marketing_campaign"])
def test_a_segment_with_categories_keeps_to_one_page(real_reports: dict[str, Path], table: str) -> None:
    # F20: the categories block pushed the top segment's second action onto a page of its own
    pdf = real_reports[table]
    segments = len(json.loads((pdf.parent / "summary.json").read_text(encoding="utf-8"))["segments"])
    texts = [page.extract_text() or "" for page in PdfReader(pdf).pages]
    starts = [n for n, text in enumerate(texts) if re.search(r"segment \d+ of \d+", text, re.IGNORECASE)]
    assert len(starts) == segments, starts
    assert starts == list(range(starts[0], starts[0] + segments)), starts
    assert "Methodology" in texts[starts[-1] + 1]
    assert all("Categories in this segment".lower() in texts[n].lower() for n in starts)


@pytest.mark.parametrize("table", ["sample", "wholesale"])
def test_the_pdf_is_pdf_a_3b_with_its_data_files_attached(real_reports: dict[str, Path], table: str) -> None:
    """The structural checks that can run here (veraPDF, the reference validator, is not on PyPI or in Debian):
    qpdf's syntax check, the PDF/A identification in XMP, an sRGB output intent, every font embedded, no
    encryption or JavaScript, and the attachments as ISO 19005-3 wants them."""
    import pikepdf

    path = real_reports[table]
    folder = path.parent
    with pikepdf.open(path) as pdf:
        assert pdf.check_pdf_syntax() == []  # qpdf --check
        with pdf.open_metadata(set_pikepdf_as_editor=False) as xmp:
            assert xmp.pdfa_status == "3B"
            # XMP and the document information agree
            assert xmp["dc:title"] == str(pdf.docinfo["/Title"])
            assert xmp["pdf:Producer"] == str(pdf.docinfo["/Producer"])
            assert xmp["xmp:CreateDate"] == "2026-11-30" and str(pdf.docinfo["/CreationDate"]) == "D:20261130"
        (intent,) = pdf.Root.OutputIntents
        assert intent.S == "/GTS_PDFA1" and "/DestOutputProfile" in intent
        assert not pdf.is_encrypted and "/JavaScript" not in pdf.Root.get("/Names", {})
        # summary.json and segments.csv, the period's files (the summary without the input file's local path
        # and hash, which a shared document should not carry), dated by the period, not the clock
        attached = {name: spec.get_file() for name, spec in pdf.attachments.items()}
        assert set(attached) == {"summary.json", "segments.csv"}
        assert attached["segments.csv"].read_bytes() == (folder / "segments.csv").read_bytes()
        beside = (folder / "summary.json").read_bytes()
        assert attached["summary.json"].read_bytes() == portable_summary(beside)
        embedded = json.loads(attached["summary.json"].read_bytes())
        assert embedded["input"]["path"] is None and json.loads(beside)["input"]["path"] is not None
        for file in attached.values():
            assert file.mod_date == file.creation_date
            assert (file.mod_date.year, file.mod_date.month, file.mod_date.day) == (2026, 11, 30)
        assert {spec.obj.AFRelationship for spec in pdf.attachments.values()} == {pikepdf.Name.Data}
        # each file listed once in the catalog's associated files (WeasyPrint lists them twice)
        assert sorted(str(spec.UF) for spec in pdf.Root.AF) == ["segments.csv", "summary.json"]
        names = [str(n) for n in pdf.Root.Names.EmbeddedFiles.Names[::2]]
        assert names == sorted(names)
        # every font embedded: the page text and the charts' labels (a Type 3 font draws its own glyphs)
        fonts = [
            obj
            for obj in pdf.objects
            if isinstance(obj, pikepdf.Dictionary)
            and obj.get("/Type") == "/Font"
            and obj.get("/Subtype") not in ("/Type0", "/Type3")
        ]
        assert fonts
        files = ("/FontFile", "/FontFile2", "/FontFile3")
        assert all(any(key in font.FontDescriptor for key in files) for font in fonts)


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_a_second_month_wastes_no_page_either(second_month: Path) -> None:
    pdf = second_month / "report.pdf"
    shares, ends = blank_shares(pdf), section_ends(pdf)
    too_blank = {n: f"{s:.0%}" for n, s in enumerate(shares, start=1) if n not in ends and s > 0.40}
    assert not too_blank, f"pages more than 40% blank: {too_blank} (section ends: {sorted(ends)})"
    # and no section spills a lone paragraph onto a page of its own
    assert max(shares) < 0.85, [f"{s:.0%}" for s in shares]


def _overview_widths(css: str, selector_suffix: str) -> dict[str, float]:
    """Return the print widths (%) of the overview table's columns for one table class, later rules winning."""
    widths: dict[str, float] = {}
    screen = css.index("@media screen")
    for rule in re.finditer(
        r"table\.(?:data|overview-table)(\.with-change)?\s+\.(\w+-col)\s*\{[^}]*?width:\s*([\d.]+)%", css
    ):
        if rule.start() > screen and rule.start() < css.index("@page"):
            continue  # the phone rules, not the page's
        if rule.group(1) and selector_suffix != "with-change":
            continue
        widths[rule.group(2)] = float(rule.group(3))
    return widths


def test_overview_columns_add_up_to_at_most_the_page_width() -> None:
    # F6: name 34 + count 16 + Change 16 + 2 x share 25 = 116% pushed the last column's "%" off the page
    css = (Path(__file__).resolve().parents[2] / "templates" / "report.css").read_text(encoding="utf-8")
    plain = _overview_widths(css, "")
    change = _overview_widths(css, "with-change")
    assert plain["name-col"] + plain["count-col"] + 2 * plain["share-col"] <= 100, plain
    total = change["name-col"] + change["count-col"] + change["delta-col"] + 2 * change["share-col"]
    assert total <= 100, change


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_a_second_months_overview_shows_every_share_whole(second_month: Path) -> None:
    text = subprocess.run(
        ["pdftotext", "-layout", str(second_month / "report.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    start = text.index("Share of customers")
    rows = [line for line in text[start:].splitlines()[1:] if line.strip()][:3]
    # each row: its shares and its change in customers ("+7 (+2%)", or "no change")
    assert rows and all(
        len(re.findall(r"\d%", row)) >= 1 and ("(" in row or "no change" in row) for row in rows
    )
    # every row ends in a share with its "%": nothing cut at the page edge
    assert all(row.rstrip().endswith("%") for row in rows), rows


def test_the_warm_up_loads_the_hyphenation_patterns_of_the_reports_language() -> None:
    """A worker's warm-up pays for the patterns the report's layout would otherwise load during the job."""
    found = re.search(r'<html lang="([^"]+)"', (TEMPLATES_DIR / "report.html.j2").read_text(encoding="utf-8"))
    assert found is not None
    warm_pdf_engine()
    assert pyphen.LANGUAGES[pyphen.language_fallback(found.group(1))] in pyphen.hdcache
