"""The documents' formatting: the one Jinja environment and its number filters."""

from __future__ import annotations

from reportgen.documents.formats import bar_width, environment


def test_one_environment_escapes_html_templates_and_not_text_ones() -> None:
    env = environment()
    assert env is environment()  # built once per locale and currency
    html = env.from_string("{{ x }} {{ s | percent }}")
    assert env.autoescape("briefing.html.j2") and env.autoescape("report.html.j2")
    assert not env.autoescape("briefing.txt.j2")
    assert env.get_template("briefing.txt.j2").environment is env
    assert html.render(x="<b>", s=0.0004) == "&lt;b&gt; &lt;0.1%"  # a template without a name is escaped too
    assert env.get_template("index.html.j2").environment is env


def test_the_filters_follow_the_environments_locale() -> None:
    german = environment("de", "EUR")
    rendered = german.from_string("{{ n | thousands }} {{ s | percent }} {{ a | money }}").render(
        n=8950, s=0.0457, a=1234.5
    )
    assert rendered == "8.950 4,6\u00a0% 1.234\u00a0€"


def test_bar_widths_are_css_whatever_the_locale() -> None:
    assert bar_width(0.527) == "52.7%" and bar_width(1.4) == "100.0%"
    assert bar_width(None) == "0%" and bar_width(float("nan")) == "0%"
