"""The PDF: text a reader sees, page numbers, embedded fonts, metadata, same bytes twice, nothing fetched."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from reportgen.documents.brand import load_brand
from reportgen.documents.fonts import font_files
from reportgen.documents.html import render_html
from reportgen.documents.pdf import AssetFetcher, asset_roots, pdf_bytes, pdf_metadata
from reportgen.documents.report_model import chart_lookup
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


def test_contents_carries_page_numbers(pages: list[str]) -> None:
    contents = pages[1]
    assert "Contents" in contents
    assert re.search(r"Executive summary\W*\.*\s*3", contents)


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
