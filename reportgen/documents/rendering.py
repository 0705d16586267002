"""Analysis -> the period's documents: the HTML and PDF report and the e-mail briefing, around their charts.

This is the rendering half of a run. The command line runs it in worker processes (`reportgen.parallel.worker`): one
lays out the documents (Jinja2, WeasyPrint) while another draws the charts (Altair, vl-convert), and both
load their libraries while the analysis runs. Library callers and tests run it in this process with
`DrawnCharts`. Either way, the same job gives the same bytes.

The PDF is laid out around same-sized chart frames whose images WeasyPrint reads only when it paints their
page (see `report.chart_frame_uri`), so layout and chart drawing overlap when they run in two processes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from typing import Protocol

from reportgen.documents.briefing import briefing_content, briefing_message, eml_bytes
from reportgen.documents.formats import environment, numbers_in
from reportgen.documents.html import render_html
from reportgen.documents.month_over_month import change_sentences
from reportgen.documents.pdf import pdf_bytes, pdf_metadata, warm_pdf_engine
from reportgen.documents.report_model import ReportModel, chart_content, report_model
from reportgen.model import ChartImage, ReportJob

Progress = Callable[[str], None]


class ChartSource(Protocol):
    """Where the documents get their charts from; `chart` may wait until that chart is drawn."""

    def planned(self) -> tuple[ChartImage, ...]:
        """Return the report's charts in report order, as placeholders: name, title, alt text and size."""
        ...

    def chart(self, name: str) -> ChartImage:
        """Return a drawn report chart."""
        ...

    def briefing_chart(self) -> ChartImage:
        """Return the drawn chart of the e-mail briefing."""
        ...


class DrawnCharts:
    """Every chart of a job, drawn in this process before the documents are made."""

    def __init__(self, job: ReportJob) -> None:
        from reportgen.documents.charts import job_charts

        with numbers_in(job.settings.report.locale):  # the charts' labels and alt texts
            plan, briefing = job_charts(job)
            self._planned = tuple(p.placeholder() for p in plan)
            self._drawn = {p.name: p.draw() for p in plan}
            self._briefing = briefing.draw()

    def planned(self) -> tuple[ChartImage, ...]:
        """Return the report's charts as placeholders, in report order."""
        return self._planned

    def chart(self, name: str) -> ChartImage:
        """Return a drawn report chart."""
        return self._drawn[name]

    def briefing_chart(self) -> ChartImage:
        """Return the drawn briefing chart."""
        return self._briefing


def report_files(job: ReportJob, charts: ChartSource, progress: Progress) -> dict[str, bytes]:
    """Return report.pdf, report.html and briefing.eml for an analysed period."""
    # every sentence built in Python (headline, titles, "this month", the subject) in the report's locale
    with numbers_in(job.settings.report.locale):
        return _report_files(job, charts, progress)


def _report_files(job: ReportJob, charts: ChartSource, progress: Progress) -> dict[str, bytes]:
    analysis, brand, settings = job.analysis, job.brand, job.settings
    progress("writing the HTML and PDF report")
    planned = charts.planned()
    framed = report_model_for(job, planned)
    pdf = pdf_bytes(
        render_html(framed, target="pdf"),
        metadata=pdf_metadata(framed),
        charts=lambda name: chart_content(charts.chart(name)),
        attachments=job.attachments,
    )
    drawn = tuple(charts.chart(p.name) for p in planned)
    html = render_html(report_model_for(job, drawn), target="html").encode("utf-8")
    progress("writing the e-mail briefing")
    history = analysis.history
    briefing = briefing_content(
        analysis,
        job.period,
        brand_name=brand.name,
        archive_url=settings.email.archive_url,
        title=settings.report.title,
        changes=history.changes if history is not None else (),
        change_sentences=change_sentences(history) if history is not None else (),
        colors=brand.colors,
        labels=settings.data.labels,
    )
    message = briefing_message(
        briefing, [charts.briefing_chart()], pdf, settings.email.sender, settings.email.recipients
    )
    return {"report.pdf": pdf, "report.html": html, "briefing.eml": eml_bytes(message)}


def report_model_for(job: ReportJob, charts: tuple[ChartImage, ...]) -> ReportModel:
    """Return the report model of a job with these charts (drawn, or placeholders for the PDF's frames)."""
    return report_model(
        job.analysis,
        charts,
        job.brand,
        job.settings.report.title,
        job.period,
        job.generator,
        job.settings.as_dict(),
        currency=job.settings.report.currency,
        locale=job.settings.report.locale,
        amounts_cover=job.settings.report.amounts_cover,
    )


# every template a job renders: Jinja2 compiles each on first use (0.05 s in all, mostly the partials)
JOB_TEMPLATES = ("report.html.j2", "briefing.html.j2", "briefing.txt.j2")


def warm_up(until: threading.Event | None = None) -> None:
    """Pay the documents' first-use costs ahead of a job: Jinja2 compiles the templates, WeasyPrint makes a
    first small document (`pdf.warm_pdf_engine`); stop between steps once `until` is set (a job has come:
    it pays what is left itself)."""
    env = environment()  # the environment of the default locale, the one a job without [report] locale uses
    partials = env.list_templates(filter_func=lambda name: name.startswith("partials/"))
    steps: list[Callable[[], object]] = [
        partial(env.get_template, name) for name in (*JOB_TEMPLATES, *partials)
    ]
    for step in (*steps, warm_pdf_engine):
        if until is not None and until.is_set():
            return
        step()
