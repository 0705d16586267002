"""Tests for the project font: packaged files, vl-convert registration, @font-face CSS."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import altair as alt
import font_lato
import vl_convert
from PIL import Image

from reportgen.documents import fonts


def test_font_files_are_the_packaged_lato_ttfs() -> None:
    files = fonts.font_files()
    assert set(files) == {"regular", "bold", "italic", "bolditalic", "light"}
    package = Path(font_lato.__file__).resolve().parent / "files"
    for path in files.values():
        assert path.parent == package
        assert path.name.startswith("Lato-") and path.suffix == ".ttf"
        # a TrueType file starts with the sfnt version 0x00010000
        assert path.read_bytes()[:4] == b"\x00\x01\x00\x00"
    assert files["bold"].name == "Lato-Bold.ttf"


def test_register_chart_fonts_registers_the_directory_once(monkeypatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(vl_convert, "register_font_directory", calls.append)
    fonts._register.cache_clear()
    try:
        fonts.register_chart_fonts()
        fonts.register_chart_fonts()
    finally:
        fonts._register.cache_clear()
    assert calls == [str(fonts.font_directory())]


def test_registered_font_draws_chart_text_in_png() -> None:
    fonts.register_chart_fonts()
    chart = alt.Chart(alt.Data(values=[{"a": 1}])).mark_text(
        text="Lato", font="Lato", fontSize=40, color="black"
    )
    png = vl_convert.vegalite_to_png(chart.properties(width=200, height=80).to_dict())
    image = Image.open(io.BytesIO(png)).convert("L")
    # unregistered fonts make text vanish from PNGs: the image would be all background
    assert image.getextrema()[0] < 100


def _rules(css: str) -> list[str]:
    return re.findall(r"@font-face \{.*?\}", css, flags=re.S)


def test_font_face_css_embedded_is_self_contained() -> None:
    css = fonts.font_face_css(embed=True)
    rules = _rules(css)
    assert len(rules) == 5
    assert all('font-family: "Lato"' in r for r in rules)
    weights = {
        (re.search(r"font-weight: (\d+)", r).group(1), re.search(r"font-style: (\w+)", r).group(1))
        for r in rules
    }
    assert {("400", "normal"), ("700", "normal"), ("400", "italic"), ("300", "normal")} <= weights
    assert "file:" not in css and "http" not in css
    first = re.search(r"base64,([A-Za-z0-9+/=]+)", css).group(1)
    assert base64.b64decode(first) == fonts.font_files()["regular"].read_bytes()


def test_font_face_css_linked_points_at_the_package_files() -> None:
    css = fonts.font_face_css(embed=False)
    urls = re.findall(r'url\("([^"]+)"\)', css)
    assert urls == [p.as_uri() for p in fonts.font_files().values()]
    assert all(u.startswith("file:///") for u in urls)
    assert "base64" not in css
