"""Brand files: colours validated as CSS colours, logos by content and sanitised, fonts never machine-dependent."""

from __future__ import annotations

import io
import re
import struct
import zlib
from pathlib import Path

import pytest

from reportgen.config import DEFAULT_BRAND
from reportgen.documents.brand import ROLES, clean_svg, is_css_color, load_brand
from reportgen.errors import InputError

PNG_HEADER = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _png_header(width: int, height: int) -> bytes:
    """Return the start of a PNG that declares width x height pixels (all a browser needs to allocate them)."""
    ihdr = struct.pack(">II", width, height) + bytes([8, 6, 0, 0, 0])
    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr
    return b"\x89PNG\r\n\x1a\n" + chunk + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))


def _jpeg(width: int, height: int) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "red").save(buffer, format="JPEG")
    return buffer.getvalue()


def _brand(tmp_path: Path, body: str, files: dict[str, bytes | str] | None = None) -> Path:
    for name, content in (files or {}).items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            target.write_text(content, encoding="utf-8")
        else:
            target.write_bytes(content)
    path = tmp_path / "_brand.yml"
    path.write_text(body, encoding="utf-8")
    return path


def test_default_brand_is_complete() -> None:
    brand = load_brand(DEFAULT_BRAND)
    assert brand.name == "Meridian Analytics"
    assert brand.logo_mime == "image/svg+xml" and brand.logo is not None and b"<svg" in brand.logo
    assert set(brand.colors) == set(ROLES)
    assert all(is_css_color(c) for c in brand.colors.values())
    assert brand.colors["primary"] == brand.palette["navy"]  # roles may name palette entries
    assert brand.font_family == "Lato"


@pytest.mark.parametrize(
    "value",
    [
        "#abc",
        "#14426B",
        "#14426bcc",
        "rgb(20, 66, 107)",
        "rgba(20,66,107,0.5)",
        "hsl(210 70% 25%)",
        "teal",
        "Navy",
    ],
)
def test_css_colours_accepted(value: str) -> None:
    assert is_css_color(value)


@pytest.mark.parametrize(
    "value",
    [
        "red; } body { display:none }",
        "#12345",
        "rgb(1,2,3); x",
        "url(http://example.com/x.png)",
        "expression(alert(1))",
        "rgb(var(--x), 1, 2)",
        "notacolour",
        "",
    ],
)
def test_unsafe_or_unknown_colours_refused(value: str) -> None:
    assert not is_css_color(value)


def test_injected_colour_is_an_input_error_naming_file_and_key(tmp_path: Path) -> None:
    path = _brand(tmp_path, 'color:\n  primary: "red; } body { display:none }"\n')
    with pytest.raises(InputError) as err:
        load_brand(path)
    message = str(err.value)
    assert str(path) in message and "color.primary" in message and "\n" not in message


def test_bad_palette_entry_is_named(tmp_path: Path) -> None:
    path = _brand(tmp_path, "color:\n  palette:\n    brandblue: 'blue}'\n  primary: brandblue\n")
    with pytest.raises(InputError, match=r"color\.palette\.brandblue"):
        load_brand(path)


def test_unknown_colour_role_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"color\.accent"):
        load_brand(_brand(tmp_path, "color:\n  accent: red\n"))


def test_missing_roles_fall_back_to_defaults(tmp_path: Path) -> None:
    brand = load_brand(_brand(tmp_path, "meta:\n  name: Acme\ncolor:\n  primary: '#ff0000'\n"))
    assert brand.name == "Acme" and brand.colors["primary"] == "#ff0000"
    assert set(brand.colors) == set(ROLES) and brand.logo is None


def test_missing_brand_file_and_bad_yaml(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        load_brand(tmp_path / "nope.yml")
    with pytest.raises(InputError, match="invalid YAML"):
        load_brand(_brand(tmp_path, "meta: [unclosed\n"))


def test_logo_is_resolved_next_to_the_brand_file_and_checked_by_content(tmp_path: Path) -> None:
    brand = load_brand(_brand(tmp_path, "logo:\n  medium: img/mark.svg\n", {"img/mark.svg": PNG_HEADER}))
    assert brand.logo_mime == "image/png"  # content wins over the file name
    jpeg = load_brand(_brand(tmp_path, "logo: mark.jpg\n", {"mark.jpg": _jpeg(8, 4)}))
    assert jpeg.logo_mime == "image/jpeg"


def test_missing_or_non_image_logo_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"logo.*not found"):
        load_brand(_brand(tmp_path, "logo: missing.png\n"))
    with pytest.raises(InputError, match="PNG, JPEG or SVG"):
        load_brand(_brand(tmp_path, "logo: notes.png\n", {"notes.png": "just text"}))
    with pytest.raises(InputError, match="URL"):
        load_brand(_brand(tmp_path, "logo: https://example.com/logo.png\n"))


EVIL_SVG = """<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10"
     onload="alert(1)">
  <script>alert(2)</script>
  <defs><linearGradient id="g"><stop offset="0" stop-color="red"/></linearGradient></defs>
  <rect width="10" height="10" fill="url(#g)" onclick="alert(3)"/>
  <image href="file:///etc/passwd" width="5" height="5"/>
  <image xlink:href="../secret.png" width="5" height="5"/>
  <use xlink:href="http://example.com/sprite.svg#x"/>
  <use href="#g"/>
  <rect width="1" height="1" style="fill: url(http://example.com/track.png)"/>
  <style>@import url(http://example.com/x.css); rect { fill: url('file:///etc/x') }</style>
  <foreignObject><div xmlns="http://www.w3.org/1999/xhtml">hi</div></foreignObject>
  <a href="javascript:alert(4)"><text>t</text></a>
</svg>
"""


def test_svg_logo_is_sanitised(tmp_path: Path) -> None:
    brand = load_brand(_brand(tmp_path, "logo: logo.svg\n", {"logo.svg": EVIL_SVG, "secret.png": PNG_HEADER}))
    assert brand.logo is not None
    svg = brand.logo.decode()
    for bad in (
        "script",
        "alert",
        "onload",
        "onclick",
        "passwd",
        "secret",
        "example.com",
        "foreignObject",
        "javascript",
        "@import",
        "file:",
    ):
        assert bad not in svg, bad
    assert 'fill="url(#g)"' in svg and 'href="#g"' in svg  # same-document references stay


def test_svg_with_entities_is_refused(tmp_path: Path) -> None:
    xxe = '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg xmlns="http://www.w3.org/2000/svg">&x;</svg>'
    with pytest.raises(InputError, match="DOCTYPE"):
        load_brand(_brand(tmp_path, "logo: logo.svg\n", {"logo.svg": xxe}))


def test_clean_svg_prefixes_ids_consistently() -> None:
    svg = clean_svg(
        '<svg xmlns="http://www.w3.org/2000/svg"><clipPath id="c"/><g clip-path="url(#c)"/></svg>',
        "x",
        "chart-",
    )
    assert 'id="chart-c"' in svg and "url(#chart-c)" in svg


def test_unknown_font_falls_back_to_lato(tmp_path: Path) -> None:
    brand = load_brand(_brand(tmp_path, "typography:\n  base:\n    family: Comic Sans MS\n"))
    assert brand.font_family == "Lato" and brand.requested_font == "Comic Sans MS"
    plain = load_brand(_brand(tmp_path, "typography:\n  base: Lato\n"))
    assert plain.font_family == "Lato" and plain.requested_font is None


@pytest.mark.parametrize(
    "style",
    [
        "fill: u\\72l(http://example.com/track.png)",
        "fill: url( 'http://example.com/a.png' )",
        "background: image-set('http://example.com/a.png' 1x)",
        "@im\\70ort 'http://example.com/x.css'; fill: red",
        "fill: \\75 rl(http://example.com/a.png)",
    ],
)
def test_css_escapes_cannot_smuggle_a_url_past_the_cleaner(style: str) -> None:
    import tinycss2

    svg = clean_svg(
        f'<svg xmlns="http://www.w3.org/2000/svg"><style>{style}</style><rect style="{style}" fill="{style}"/></svg>',
        "x",
    )
    assert "example.com" not in svg
    # what a CSS reader (WeasyPrint's, tinycss2) sees in what is left: no URL at all
    for chunk in re.findall(r'(?:style="|fill="|<style>)([^"<]*)', svg):
        tokens = tinycss2.parse_component_value_list(chunk.replace("&apos;", "'").replace("&quot;", '"'))
        assert not any(t.type in ("url", "at-keyword") for t in tokens), chunk


def test_css_cleaning_keeps_local_references_and_leaves_harmless_css_alone() -> None:
    plain = '<svg xmlns="http://www.w3.org/2000/svg"><style>.a { fill: #123 }</style><g transform="translate(1, 2)"/></svg>'
    out = clean_svg(plain, "x")
    assert ".a { fill: #123 }" in out and 'transform="translate(1, 2)"' in out
    prefixed = clean_svg(
        '<svg xmlns="http://www.w3.org/2000/svg"><style>rect { fill: url("#g") }</style></svg>', "x", "c-"
    )
    assert "url(#c-g)" in prefixed


USE_BOMB = (
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
    '<defs><rect id="a0" width="1" height="1"/>'
    + "".join(f'<g id="a{i}">' + f'<use xlink:href="#a{i - 1}"/>' * 10 + "</g>" for i in range(1, 9))
    + '</defs><use xlink:href="#a8"/></svg>'
)


@pytest.mark.parametrize(
    ("svg", "expected"),
    [
        (USE_BOMB, "draws more than 20,000 elements once its <use> references are expanded"),
        (
            '<svg xmlns="http://www.w3.org/2000/svg">' + "<g>" * 3000 + "</g>" * 3000 + "</svg>",
            "nested more than 50 deep",
        ),
        (
            '<svg xmlns="http://www.w3.org/2000/svg">' + "<rect/>" * 6000 + "</svg>",
            "more than 5,000 elements",
        ),
        (
            '<svg xmlns="http://www.w3.org/2000/svg"><g id="a"><use href="#a"/></g></svg>',
            "refers to itself",
        ),
    ],
)
def test_svg_logos_too_big_to_draw_are_refused(tmp_path: Path, svg: str, expected: str) -> None:
    assert len(USE_BOMB) < 2500  # about 2 KB that would draw 10^8 rectangles
    with pytest.raises(InputError, match=re.escape(expected)) as failure:
        load_brand(_brand(tmp_path, "logo: logo.svg\n", {"logo.svg": svg}))
    assert str(failure.value).startswith(str(tmp_path / "_brand.yml")) and ": logo:" in str(failure.value)


def test_a_logo_with_too_many_pixels_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"20,000 x 20,000 pixels; a logo may have at most 16,777,216"):
        load_brand(_brand(tmp_path, "logo: big.png\n", {"big.png": _png_header(20_000, 20_000)}))
    with pytest.raises(InputError, match=r"5,000 x 4,000 pixels"):
        load_brand(_brand(tmp_path, "logo: big.jpg\n", {"big.jpg": _jpeg(5_000, 4_000)}))
    assert load_brand(_brand(tmp_path, "logo: ok.png\n", {"ok.png": _png_header(4096, 4096)})).logo


def test_the_logo_must_sit_in_the_brand_files_folder(tmp_path: Path) -> None:
    outside = tmp_path / "secret.png"
    outside.write_bytes(PNG_HEADER)
    home = tmp_path / "brand"
    home.mkdir()
    for ref in ("../secret.png", str(outside), "sub/../../secret.png"):
        with pytest.raises(InputError, match=r"is outside the brand file's folder"):
            load_brand(_brand(home, f"logo: '{ref}'\n"))
    (home / "link.png").symlink_to(outside)
    with pytest.raises(InputError, match=r"outside the brand file's folder"):
        load_brand(_brand(home, "logo: link.png\n"))
    assert load_brand(_brand(home, "logo: img/ok.png\n", {"img/ok.png": PNG_HEADER})).logo == PNG_HEADER


def test_brand_name_limits(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"meta\.name is 1,000 characters; at most 100"):
        load_brand(_brand(tmp_path, f"meta:\n  name: {'x' * 1000}\n"))
    with pytest.raises(InputError, match=r"meta\.name holds a control character"):
        load_brand(_brand(tmp_path, 'meta:\n  name: "Acme\\0"\n'))
