"""The brand: a brand.yml file (the format Quarto and Shiny read) -> validated name, logo, colours, font."""

from __future__ import annotations

import re
import struct
import xml.etree.ElementTree as ET
from html import escape
from pathlib import Path
from typing import Any

import tinycss2
import yaml
from tinycss2 import ast as css

from reportgen.errors import InputError
from reportgen.model import Brand

ROLES: tuple[str, ...] = (
    "foreground",
    "background",
    "primary",
    "secondary",
    "tertiary",
    "success",
    "info",
    "warning",
    "danger",
    "light",
    "dark",
)

# Used for any role the brand file leaves out, so the stylesheet always has every role.
DEFAULT_COLORS: dict[str, str] = {
    "foreground": "#1f2933",
    "background": "#ffffff",
    "primary": "#14426b",
    "secondary": "#5b6b7b",
    "tertiary": "#2a9d8f",
    "success": "#2e7d4f",
    "info": "#2b6cb0",
    "warning": "#c77d14",
    "danger": "#b83232",
    "light": "#f3f5f8",
    "dark": "#0d2438",
}

FONT_FAMILY = "Lato"
KNOWN_FONTS = frozenset({"lato"})  # the only family shipped with the project (font_lato package)

_NAMED_COLOR_LINES = (
    "aliceblue antiquewhite aqua aquamarine azure beige bisque black blanchedalmond blue blueviolet",
    "brown burlywood cadetblue chartreuse chocolate coral cornflowerblue cornsilk crimson cyan",
    "darkblue darkcyan darkgoldenrod darkgray darkgreen darkgrey darkkhaki darkmagenta",
    "darkolivegreen darkorange darkorchid darkred darksalmon darkseagreen darkslateblue",
    "darkslategray darkslategrey darkturquoise darkviolet deeppink deepskyblue dimgray dimgrey",
    "dodgerblue firebrick floralwhite forestgreen fuchsia gainsboro ghostwhite gold goldenrod gray",
    "green greenyellow grey honeydew hotpink indianred indigo ivory khaki lavender lavenderblush",
    "lawngreen lemonchiffon lightblue lightcoral lightcyan lightgoldenrodyellow lightgray lightgreen",
    "lightgrey lightpink lightsalmon lightseagreen lightskyblue lightslategray lightslategrey",
    "lightsteelblue lightyellow lime limegreen linen magenta maroon mediumaquamarine mediumblue",
    "mediumorchid mediumpurple mediumseagreen mediumslateblue mediumspringgreen mediumturquoise",
    "mediumvioletred midnightblue mintcream mistyrose moccasin navajowhite navy oldlace olive",
    "olivedrab orange orangered orchid palegoldenrod palegreen paleturquoise palevioletred",
    "papayawhip peachpuff peru pink plum powderblue purple rebeccapurple red rosybrown royalblue",
    "saddlebrown salmon sandybrown seagreen seashell sienna silver skyblue slateblue slategray",
    "slategrey snow springgreen steelblue tan teal thistle tomato turquoise violet wheat white",
    "whitesmoke yellow yellowgreen transparent",
)
CSS_NAMED_COLORS = frozenset(" ".join(_NAMED_COLOR_LINES).split())

_HEX = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})")
_NUM = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:%|deg)?"
_FUNC = re.compile(rf"(?:rgba?|hsla?)\(\s*{_NUM}(?:\s*[,/]?\s*{_NUM}){{2,3}}\s*\)", re.IGNORECASE)

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"

_DROPPED_TAGS = frozenset({"script", "foreignobject", "iframe", "embed", "object", "audio", "video"})
_URL_ATTRS = frozenset({"href", "src", "action", "formaction", "data"})
# CSS functions that load something: only url(#id) survives (gradients, clip paths of the same image)
_LOADING_FUNCTIONS = frozenset(
    {"url", "src", "image", "image-set", "-webkit-image-set", "cross-fade", "-webkit-cross-fade", "element"}
)

# Limits on the logo: far above any real logo, far below what makes a renderer or a browser struggle.
MAX_LOGO_BYTES = 5_000_000
MAX_LOGO_PIXELS = 4096 * 4096  # a PNG or JPEG; a browser decodes it to 4 bytes a pixel (64 MB here)
MAX_SVG_ELEMENTS = 5_000
MAX_SVG_DEPTH = 50  # nested elements
MAX_SVG_USE_DEPTH = 8  # <use> of something that itself holds a <use>
MAX_SVG_DRAWN = 20_000  # elements drawn once every <use> is expanded
MAX_NAME_CHARS = 100  # meta.name


def is_css_color(value: str) -> bool:
    """Return whether `value` is a plain CSS colour: hex, numeric rgb()/hsl() or a named colour."""
    text = value.strip()
    return bool(_HEX.fullmatch(text) or _FUNC.fullmatch(text) or text.lower() in CSS_NAMED_COLORS)


def load_brand(path: Path) -> Brand:
    """Read, validate and return the brand described by a brand.yml file."""
    where = str(path)
    if not path.is_file():
        raise InputError(f"{where}: brand file not found")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise InputError(f"{where}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "unreadable YAML"
        raise InputError(f"{where}: invalid YAML{at}: {problem}") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise InputError(f"{where}: expected a mapping of brand keys (meta, logo, color, typography)")

    palette = _palette(raw.get("color"), where)
    colors = _role_colors(raw.get("color"), palette, where)
    logo, mime = _logo(raw.get("logo"), path, where)
    family, requested = _font_family(raw.get("typography"), where)
    return Brand(
        name=_name(raw.get("meta"), where),
        logo=logo,
        logo_mime=mime,
        colors=colors,
        palette=palette,
        font_family=family,
        requested_font=requested,
    )


def _name(meta: Any, where: str) -> str:
    if meta is None:
        return ""
    if not isinstance(meta, dict):
        raise InputError(f"{where}: meta must be a mapping with a name")
    name = meta.get("name", "")
    if isinstance(name, dict):  # brand.yml allows {short, full}
        name = name.get("full") or name.get("short") or ""
    if not isinstance(name, str):
        raise InputError(f"{where}: meta.name must be a string, got {type(name).__name__}")
    cleaned = " ".join(name.split())
    if len(cleaned) > MAX_NAME_CHARS:
        raise InputError(f"{where}: meta.name is {len(cleaned):,} characters; at most {MAX_NAME_CHARS} fit")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in cleaned):
        raise InputError(f"{where}: meta.name holds a control character (e.g. NUL); remove it")
    return cleaned


def _color(value: Any, key: str, where: str) -> str:
    if not isinstance(value, str) or not is_css_color(value):
        raise InputError(
            f"{where}: {key} must be a CSS colour (#rrggbb, rgb()/hsl() with numbers, or a colour name), "
            f"got {value!r}"
        )
    return value.strip()


def _palette(color: Any, where: str) -> dict[str, str]:
    if color is None:
        return {}
    if not isinstance(color, dict):
        raise InputError(f"{where}: color must be a mapping of roles and a palette")
    palette = color.get("palette", {}) or {}
    if not isinstance(palette, dict):
        raise InputError(f"{where}: color.palette must be a mapping of name -> colour")
    out: dict[str, str] = {}
    for name, value in palette.items():
        key = f"color.palette.{name}"
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", name):
            raise InputError(f"{where}: {key}: palette names must be letters, digits, - or _")
        out[name] = _color(value, key, where)
    return out


def _role_colors(color: Any, palette: dict[str, str], where: str) -> dict[str, str]:
    colors = dict(DEFAULT_COLORS)
    if not isinstance(color, dict):
        return colors
    for key, value in color.items():
        if key == "palette":
            continue
        if key not in ROLES:
            raise InputError(
                f"{where}: unknown key color.{key}; expected palette or one of {', '.join(ROLES)}"
            )
        if value is None:
            continue
        # a role may name a palette entry instead of giving a colour
        resolved = palette.get(value, value) if isinstance(value, str) else value
        colors[key] = _color(resolved, f"color.{key}", where)
    return colors


def _logo(logo: Any, brand_path: Path, where: str) -> tuple[bytes | None, str | None]:
    if logo is None:
        return None, None
    ref, key = _logo_ref(logo, where)
    if ref is None:
        return None, None
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", ref) and not re.match(r"^[a-zA-Z]:[\\/]", ref):
        raise InputError(f"{where}: {key} must be a file path next to the brand file, got URL {ref!r}")
    folder = brand_path.resolve().parent
    file = (folder / ref).resolve()
    # a brand file may only show what sits beside it: no absolute paths, no ../, no links out of its folder
    if Path(ref).is_absolute() or not file.is_relative_to(folder):
        raise InputError(
            f"{where}: {key} = {ref!r} is outside the brand file's folder {folder}; "
            "put the logo next to the brand file (or in a folder below it)"
        )
    if not file.is_file():
        raise InputError(f"{where}: {key} = {ref!r}: file not found at {file}")
    if file.stat().st_size > MAX_LOGO_BYTES:
        raise InputError(
            f"{where}: {key} = {ref!r} is {file.stat().st_size:,} bytes; a logo may have at most "
            f"{MAX_LOGO_BYTES:,}"
        )
    data = file.read_bytes()
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        _check_pixels(_png_size(data), where, key)
        return data, "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        _check_pixels(_jpeg_size(data, f"{where}: {key} = {ref!r}"), where, key)
        return data, "image/jpeg"
    if _looks_like_svg(data):
        text = data.decode("utf-8-sig", errors="replace")
        _check_logo_svg(text, f"{where}: {key}")
        return clean_svg(text, f"{where}: {key}").encode("utf-8"), "image/svg+xml"
    raise InputError(f"{where}: {key} = {ref!r} must be a PNG, JPEG or SVG image")


def _png_size(data: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", data[16:24]) if len(data) >= 24 else (0, 0)
    return width, height


def _jpeg_size(data: bytes, where: str) -> tuple[int, int]:
    """Return a JPEG's width and height from its frame header (SOF marker)."""
    at = 2
    while at + 9 < len(data):
        if data[at] != 0xFF:
            break
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        length = int.from_bytes(data[at + 2 : at + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height = int.from_bytes(data[at + 5 : at + 7], "big")
            width = int.from_bytes(data[at + 7 : at + 9], "big")
            return width, height
        at += 2 + length
    raise InputError(f"{where}: a JPEG without a readable frame header; export the logo again")


def _check_pixels(size: tuple[int, int], where: str, key: str) -> None:
    width, height = size
    if width * height > MAX_LOGO_PIXELS:
        raise InputError(
            f"{where}: {key} is {width:,} x {height:,} pixels; a logo may have at most {MAX_LOGO_PIXELS:,} "
            "pixels (e.g. 4096 x 4096): scale it down"
        )


def _check_logo_svg(text: str, where: str) -> None:
    """Refuse an SVG logo too large or too deep to draw: elements, nesting, <use> expansion."""
    if re.search(r"<!DOCTYPE|<!ENTITY", text, re.IGNORECASE):
        raise InputError(f"{where}: SVG with a DOCTYPE or entities is not accepted")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise InputError(f"{where}: not a well-formed SVG image ({exc})") from None
    count, stack = 0, [(root, 1)]
    while stack:
        element, depth = stack.pop()
        count += 1
        if depth > MAX_SVG_DEPTH:
            raise InputError(
                f"{where}: SVG elements nested more than {MAX_SVG_DEPTH} deep; simplify the logo"
            )
        if count > MAX_SVG_ELEMENTS:
            raise InputError(f"{where}: SVG with more than {MAX_SVG_ELEMENTS:,} elements; simplify the logo")
        stack.extend((child, depth + 1) for child in element)
    by_id = {e.attrib["id"]: e for e in root.iter() if "id" in e.attrib}
    drawn: dict[int, int] = {}
    busy: set[int] = set()

    def size(element: ET.Element, uses: int) -> int:
        key = id(element)
        if key in drawn:
            return drawn[key]
        if key in busy:
            raise InputError(f"{where}: SVG <use> refers to itself (a loop); remove the loop")
        busy.add(key)
        total = 1 + sum(size(child, uses) for child in element)
        if _local(element.tag)[1] == "use":
            ref = element.get("href") or element.get(f"{{{XLINK_NS}}}href") or ""
            target = by_id.get(ref.strip()[1:]) if ref.strip().startswith("#") else None
            if target is not None:
                if uses >= MAX_SVG_USE_DEPTH:
                    raise InputError(
                        f"{where}: SVG <use> nested more than {MAX_SVG_USE_DEPTH} deep; simplify the logo"
                    )
                total += size(target, uses + 1)
        if total > MAX_SVG_DRAWN:
            raise InputError(
                f"{where}: SVG draws more than {MAX_SVG_DRAWN:,} elements once its <use> references are "
                "expanded; simplify the logo"
            )
        busy.discard(key)
        drawn[key] = total
        return total

    size(root, 0)


def _logo_ref(logo: Any, where: str) -> tuple[str | None, str]:
    """Pick one logo path: a plain string, else medium, large, small (each a path, images key or mapping)."""
    if isinstance(logo, str):
        return logo, "logo"
    if not isinstance(logo, dict):
        raise InputError(f"{where}: logo must be a path or a mapping of small/medium/large paths")
    images = logo.get("images", {}) or {}
    if not isinstance(images, dict):
        raise InputError(f"{where}: logo.images must be a mapping of name -> path")
    for size in ("medium", "large", "small"):
        value = logo.get(size)
        if value is None:
            continue
        if isinstance(value, dict):  # {light: ..., dark: ...} or {path: ..., alt: ...}
            value = value.get("light") or value.get("path")
        if isinstance(value, dict):
            value = value.get("path")
        if not isinstance(value, str):
            raise InputError(f"{where}: logo.{size} must be a path")
        named = images.get(value)
        if isinstance(named, dict):
            named = named.get("path")
        if isinstance(named, str):
            return named, f"logo.images.{value}"
        return value, f"logo.{size}"
    return None, "logo"


def _looks_like_svg(data: bytes) -> bool:
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<svg", b"<?xml", b"<!--")) and b"<svg" in data[:65536].lower()


def _local(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        ns, _, name = tag[1:].partition("}")
        return ns, name
    return "", tag


def _may_load(value: str) -> bool:
    # without a backslash (a CSS escape) a loading function or at-rule shows its name as written
    lower = value.lower()
    return "\\" in value or "@" in value or any(name in lower for name in _LOADING_HINTS)


_LOADING_HINTS = ("url", "src", "image", "element", "cross-fade")


def safe_css(text: str, id_prefix: str = "", stylesheet: bool = False) -> str:
    """Return CSS that loads nothing: parsed into tokens (so escapes such as `u\\72l(` are read as a CSS
    reader reads them), every at-rule and every loading function but url(#id) dropped; `#id` references get
    `id_prefix`. Text that needs no change comes back as it was."""
    if stylesheet:
        rules = tinycss2.parse_stylesheet(text)
        kept: list[css.Node] = []
        changed = False
        for rule in rules:
            if isinstance(rule, css.QualifiedRule):
                prelude, a = _safe_tokens(rule.prelude, id_prefix)
                content, b = _safe_tokens(rule.content, id_prefix)
                rule.prelude, rule.content = prelude, content
                kept.append(rule)
                changed = changed or a or b
            elif isinstance(rule, (css.WhitespaceToken, css.Comment)):
                kept.append(rule)
            else:  # @import, @font-face, @namespace and every other at-rule, and parse errors
                changed = True
        return tinycss2.serialize(kept) if changed else text
    tokens, changed = _safe_tokens(tinycss2.parse_component_value_list(text), id_prefix)
    return tinycss2.serialize(tokens) if changed else text


def _safe_tokens(tokens: list[css.Node] | None, id_prefix: str) -> tuple[list[css.Node], bool]:
    out: list[css.Node] = []
    changed = skipping = False
    for token in tokens or []:
        if skipping:  # the rest of an at-rule written inside a declaration list, up to its ";"
            skipping = not (isinstance(token, css.LiteralToken) and token.value == ";")
            continue
        if isinstance(token, css.URLToken):
            out.append(_local_url(token, token.value, id_prefix))
            changed = changed or out[-1] is not token
        elif isinstance(token, css.FunctionBlock) and token.lower_name in _LOADING_FUNCTIONS:
            args = [a for a in token.arguments if not isinstance(a, (css.WhitespaceToken, css.Comment))]
            value = args[0].value if len(args) == 1 and isinstance(args[0], css.StringToken) else None
            out.append(_local_url(token, value if token.lower_name == "url" else None, id_prefix))
            changed = True
        elif isinstance(token, css.FunctionBlock):
            token.arguments, inner = _safe_tokens(token.arguments, id_prefix)
            out.append(token)
            changed = changed or inner
        elif isinstance(token, (css.ParenthesesBlock, css.SquareBracketsBlock, css.CurlyBracketsBlock)):
            token.content, inner = _safe_tokens(token.content, id_prefix)
            out.append(token)
            changed = changed or inner
        elif isinstance(token, css.AtKeywordToken):
            changed = skipping = True  # e.g. an @import inside a style attribute
        elif isinstance(token, css.ParseError):
            changed = True  # what a CSS reader would skip
        else:
            out.append(token)
    return out, changed


def _local_url(token: css.Node, value: str | None, id_prefix: str) -> css.Node:
    """Return the token itself for an unprefixed url(#id), url(#<prefix>id) for a prefixed one, else `none`."""
    target = (value or "").strip()
    if not target.startswith("#"):
        return css.IdentToken(token.source_line, token.source_column, "none")
    if not id_prefix and isinstance(token, css.URLToken):
        return token
    local = "#" + id_prefix + target[1:]
    return css.URLToken(token.source_line, token.source_column, local, f"url({_url_text(local)})")


def _url_text(url: str) -> str:
    from tinycss2.serializer import serialize_url

    return serialize_url(url)


def clean_svg(text: str, where: str, id_prefix: str = "") -> str:
    """Return SVG markup without scripts, event handlers, foreignObject or any non-'#id' reference."""
    if re.search(r"<!DOCTYPE|<!ENTITY", text, re.IGNORECASE):
        # entities can pull in files or explode in size; a logo never needs them
        raise InputError(f"{where}: SVG with a DOCTYPE or entities is not accepted")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise InputError(f"{where}: not a well-formed SVG image ({exc})") from None
    if _local(root.tag) != (SVG_NS, "svg"):
        raise InputError(f"{where}: not an SVG image (root element is {_local(root.tag)[1]!r})")
    _clean_element(root, id_prefix)
    return _serialise(root, top=True)


def _clean_element(element: ET.Element, id_prefix: str) -> None:
    for child in list(element):
        if not isinstance(child.tag, str):  # comments, processing instructions
            element.remove(child)
            continue
        ns, name = _local(child.tag)
        if ns != SVG_NS or name.lower() in _DROPPED_TAGS:
            element.remove(child)
            continue
        _clean_element(child, id_prefix)
    for attr in list(element.attrib):
        ns, name = _local(attr)
        value = element.attrib[attr]
        lname = name.lower()
        if ns not in ("", XLINK_NS, XML_NS) or lname.startswith("on"):
            del element.attrib[attr]
        elif lname in _URL_ATTRS:
            if value.strip().startswith("#"):
                element.attrib[attr] = "#" + id_prefix + value.strip()[1:]
            else:
                del element.attrib[attr]
        elif lname == "id" and id_prefix:
            element.attrib[attr] = id_prefix + value
        elif _may_load(value):
            element.attrib[attr] = safe_css(value, id_prefix)
    if _local(element.tag)[1] == "style" and element.text:
        element.text = safe_css(element.text, id_prefix, stylesheet=True)


def _serialise(element: ET.Element, top: bool = False) -> str:
    # written by hand: ElementTree's namespace prefixes are process-global and other libraries change them
    _, name = _local(element.tag)
    attrs = ' xmlns="http://www.w3.org/2000/svg"' if top else ""
    if top and any(_local(a)[0] == XLINK_NS for e in element.iter() for a in e.attrib):
        attrs += ' xmlns:xlink="http://www.w3.org/1999/xlink"'
    for attr, value in element.attrib.items():
        ns, local = _local(attr)
        qualified = {XLINK_NS: "xlink:", XML_NS: "xml:"}.get(ns, "") + local
        attrs += f' {qualified}="{escape(value, quote=True)}"'
    inner = escape(element.text or "", quote=False)
    for child in element:
        inner += _serialise(child) + escape(child.tail or "", quote=False)
    return f"<{name}{attrs}>{inner}</{name}>"


def _font_family(typography: Any, where: str) -> tuple[str, str | None]:
    if typography is None:
        return FONT_FAMILY, None
    if not isinstance(typography, dict):
        raise InputError(f"{where}: typography must be a mapping (base, headings, fonts)")
    base = typography.get("base")
    family = base.get("family") if isinstance(base, dict) else base
    if family is None:
        headings = typography.get("headings")
        family = headings.get("family") if isinstance(headings, dict) else headings
    if family is None:
        return FONT_FAMILY, None
    if not isinstance(family, str):
        raise InputError(f"{where}: typography.base.family must be a font name")
    if family.strip().lower() in KNOWN_FONTS:
        return FONT_FAMILY, None
    # output must never depend on the fonts of the machine that renders it
    return FONT_FAMILY, family
