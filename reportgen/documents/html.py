"""ReportModel + Jinja2 templates -> one HTML document: self-contained for the web, print-ready for PDF."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from markupsafe import Markup

from reportgen.config import TEMPLATES_DIR
from reportgen.documents.fonts import font_face_css
from reportgen.documents.formats import environment

if TYPE_CHECKING:
    from reportgen.documents.report_model import ReportModel

Target = Literal["html", "pdf"]


def _brand_css(colors: dict[str, str]) -> str:
    # colours were validated by brand.load_brand, so they cannot close the rule or the <style> element
    props = "".join(f"  --{role}: {value};\n" for role, value in sorted(colors.items()))
    return ":root {\n" + props + "}\n"


def render_html(model: ReportModel, *, target: Target) -> str:
    """Render the report: 'html' is one self-contained file, 'pdf' is the same content for WeasyPrint."""
    if target not in ("html", "pdf"):
        raise ValueError(f"target must be 'html' or 'pdf', got {target!r}")
    css = (TEMPLATES_DIR / "report.css").read_text(encoding="utf-8")
    # the web file carries its fonts as data: URIs; WeasyPrint reads the packaged files directly (faster)
    fonts = font_face_css(embed=target == "html")
    template = environment(model.locale, model.currency or None).get_template("report.html.j2")
    return template.render(
        model=model,
        target=target,
        styles=Markup(fonts + _brand_css(model.brand.colors) + css),
    )
