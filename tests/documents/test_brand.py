"""Brand files: colours validated as CSS colours, logos by content and sanitised, fonts never machine-dependent."""

from __future__ import annotations

from pathlib import Path

import pytest

from reportgen.config import DEFAULT_BRAND
from reportgen.documents.brand import ROLES, clean_svg, is_css_color, load_brand
from reportgen.errors import InputError

PNG_HEADER = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


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
    jpeg = load_brand(_brand(tmp_path, "logo: mark.jpg\n", {"mark.jpg": b"\xff\xd8\xff\xe0" + b"\0" * 16}))
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
