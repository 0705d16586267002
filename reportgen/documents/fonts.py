"""The project font (Lato, from the `font_lato` package): file paths, chart registration, @font-face CSS."""

from __future__ import annotations

import base64
from functools import cache
from pathlib import Path

import font_lato

FAMILY = "Lato"

# style key -> (file name, CSS font-weight, CSS font-style)
_FACES: dict[str, tuple[str, int, str]] = {
    "regular": ("Lato-Regular.ttf", 400, "normal"),
    "bold": ("Lato-Bold.ttf", 700, "normal"),
    "italic": ("Lato-Italic.ttf", 400, "italic"),
    "bolditalic": ("Lato-BoldItalic.ttf", 700, "italic"),
    "light": ("Lato-Light.ttf", 300, "normal"),
}


def font_directory() -> Path:
    """Return the directory holding the packaged Lato .ttf files."""
    return Path(font_lato.__file__).resolve().parent / "files"


def font_files() -> dict[str, Path]:
    """Return the Lato files by style: regular, bold, italic, bolditalic, light."""
    directory = font_directory()
    files = {style: directory / name for style, (name, _, _) in _FACES.items()}
    missing = [str(path) for path in files.values() if not path.is_file()]
    if missing:
        # an installation problem, not a user input error: the package is a pinned dependency
        raise FileNotFoundError(f"font_lato is missing {', '.join(missing)}; reinstall the font-lato package")
    return files


@cache
def _register(directory: str) -> None:
    import vl_convert  # here: the archive page reads the fonts too, in a process that draws no charts

    vl_convert.register_font_directory(directory)


def register_chart_fonts() -> None:
    """Register the Lato directory with vl-convert (once per process) so chart text renders in PNGs."""
    # without this, text in a font vl-convert does not know is silently dropped from PNG output
    _register(str(font_directory()))


def warm_chart_engine() -> None:
    """Register the fonts and draw a one-word chart: vl-convert starts its JavaScript engine on the first
    chart (about 0.4 s), which a worker pays while it waits for the analysis."""
    import vl_convert

    register_chart_fonts()
    vl_convert.vegalite_to_svg(
        {
            "data": {"values": [{"x": 1}]},
            "mark": {"type": "text", "text": "warm", "font": FAMILY},
            "encoding": {"x": {"field": "x", "type": "quantitative"}},
        }
    )


def _font_src(path: Path, embed: bool) -> str:
    if embed:
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        return f'url("data:font/ttf;base64,{data}") format("truetype")'
    return f'url("{path.as_uri()}") format("truetype")'


def font_face_css(embed: bool, faces: tuple[str, ...] | None = None) -> str:
    """Return @font-face rules for family Lato: base64 data URIs if `embed`, else file:// URLs.

    `faces` picks styles by key ("regular", "bold", ...); None gives every one."""
    files = font_files()
    rules = []
    for style, (_, weight, font_style) in _FACES.items():
        if faces is not None and style not in faces:
            continue
        rules.append(
            "@font-face {\n"
            f'  font-family: "{FAMILY}";\n'
            f"  font-style: {font_style};\n"
            f"  font-weight: {weight};\n"
            f"  src: {_font_src(files[style], embed)};\n"
            "}"
        )
    return "\n".join(rules) + "\n"
