"""The rendering half of a run: a worker's warm-up pays the first-use costs a job would otherwise pay."""

from __future__ import annotations

import threading
from typing import Any

import jinja2
import pytest

from reportgen import pipeline
from reportgen.config import SAMPLE_DATA, Settings
from reportgen.documents import formats
from reportgen.documents.brand import load_brand
from reportgen.documents.rendering import DrawnCharts, report_files, warm_up
from reportgen.model import ReportJob
from reportgen.period import Period

SETTINGS = Settings()
PERIOD = Period(2026, 11)


@pytest.fixture(scope="module")
def job() -> ReportJob:
    analysis = pipeline.analyse(SETTINGS, SAMPLE_DATA, PERIOD)
    return pipeline.report_job(analysis.report_view(), SETTINGS, load_brand(SETTINGS.brand.file), PERIOD)


def test_after_the_warm_up_a_job_compiles_no_template(
    job: ReportJob, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every template the report and the briefing render is compiled during the warm-up, in the
    environment the job then uses (compiling them during the job costs it about 0.05 s)."""
    formats._environment.cache_clear()  # as in a fresh worker: nothing compiled yet
    warm_up()
    charts = DrawnCharts(job)  # drawn first: Altair compiles templates of its own
    compiled: list[str | None] = []
    parse = jinja2.Environment._parse

    def recording(self: jinja2.Environment, source: str, name: str | None, filename: str | None) -> Any:
        compiled.append(name)
        return parse(self, source, name, filename)

    monkeypatch.setattr(jinja2.Environment, "_parse", recording)
    files = report_files(job, charts, pipeline.quiet)
    assert set(files) == {"report.pdf", "report.html", "briefing.eml"}
    assert compiled == []


def test_an_environment_is_one_per_locale_and_currency_however_it_is_asked_for() -> None:
    assert formats.environment() is formats.environment(formats.DEFAULT_LOCALE, None)
    assert formats.environment("de") is formats.environment("de", None)
    assert formats.environment("de", "EUR") is not formats.environment("de")


def test_a_warm_up_stops_once_the_job_has_come() -> None:
    """What is left of the warm-up (a niced thread in the documents worker) is the job's to do, at its
    normal priority."""
    formats._environment.cache_clear()
    arrived = threading.Event()
    arrived.set()
    warm_up(until=arrived)
    assert len(formats.environment().cache or {}) == 0
