"""The Python API: a report from a pandas or Polars DataFrame is the command line's report of the file."""

from __future__ import annotations

import hashlib
import html
import json
import tomllib
from pathlib import Path

import pandas as pd
import polars as pl
import pytest

from reportgen.api import SegmentReport, settings_of
from reportgen.cli import main
from reportgen.config import Settings
from reportgen.errors import InputError
from tests.conftest import readme_config

PERIOD = "2014-06"
# the README's configuration for marketing_campaign.csv as distributed: TAB-separated, a dd-mm-yyyy date,
# two text categories (one clustered on), 24 missing incomes, the user's own labels and value columns
TOML = (
    readme_config("marketing_campaign.csv")
    + """[clustering]
k_max = 4
"""
)
SETTINGS = tomllib.loads(TOML)


@pytest.fixture(scope="module")
def cli_files(tmp_path_factory: pytest.TempPathFactory, marketing_path: Path) -> dict[str, bytes]:
    work = tmp_path_factory.mktemp("cli")
    config = work / "reportgen.toml"
    config.write_text(TOML)
    args = ["run", "--quiet", "--data", str(marketing_path), "--config", str(config), "--period", PERIOD]
    assert main([*args, "--out", str(work / "out")]) == 0
    return {p.name: p.read_bytes() for p in (work / "out" / PERIOD).iterdir()}


def _frame(library: str, path: Path) -> pd.DataFrame | pl.DataFrame:
    if library == "pandas":
        return pd.read_csv(path, sep="\t")
    return pl.read_csv(path, separator="\t")


@pytest.mark.parametrize("library", ["pandas", "polars"])
def test_dataframe_gives_the_command_line_report(
    library: str, marketing_path: Path, cli_files: dict[str, bytes]
) -> None:
    frame = _frame(library, marketing_path)
    files = SegmentReport(frame, SETTINGS, period=PERIOD, name=marketing_path.name).files()
    assert set(files) == set(cli_files)
    # every document is the command line's, byte for byte: report, PDF, e-mail, model, CRM file
    for name in ("report.html", "report.pdf", "briefing.eml", "model.json", "segments.csv"):
        assert files[name] == cli_files[name], name
    ours, theirs = json.loads(files["summary.json"]), json.loads(cli_files["summary.json"])
    # the summary differs only in the two documented fields a table in memory does not have
    assert Path(theirs["input"]["path"]).resolve() == marketing_path.resolve()
    assert theirs["input"]["sha256"] == hashlib.sha256(marketing_path.read_bytes()).hexdigest()
    assert ours["input"]["path"] is None and ours["input"]["sha256"] is None
    for doc in (ours, theirs):
        del doc["input"]["path"], doc["input"]["sha256"]
    assert ours == theirs
    assert ours["input"]["name"] == "marketing_campaign.csv" and ours["input"]["customers"] == 2240
    assert len(ours["input"]["fingerprint"]) == 64


def test_a_frame_unlike_the_file_claims_neither_its_hash_nor_its_fingerprint(
    marketing_path: Path, cli_files: dict[str, bytes]
) -> None:
    frame = pl.read_csv(marketing_path, separator="\t")
    changed = frame.with_columns(
        pl.when(pl.col("ID") == 5524).then(1).otherwise(pl.col("Recency")).alias("Recency")
    )
    report = SegmentReport(changed, SETTINGS, period=PERIOD, name=marketing_path.name)
    files = report.files()
    file_doc, doc = json.loads(cli_files["summary.json"]), json.loads(files["summary.json"])
    assert doc["input"]["sha256"] is None
    assert doc["input"]["fingerprint"] != file_doc["input"]["fingerprint"]
    for name in ("report.html", "summary.json", "model.json", "briefing.eml"):
        text = files[name].decode("utf-8")
        assert file_doc["input"]["sha256"] not in text and file_doc["input"]["fingerprint"] not in text, name
    # the report prints the fingerprint of what it analysed
    assert doc["input"]["fingerprint"] in files["report.html"].decode("utf-8")


def test_a_frame_without_a_name_is_called_what_it_is(marketing_path: Path) -> None:
    doc = SegmentReport(_frame("pandas", marketing_path), SETTINGS, period=PERIOD).summary
    assert doc["input"]["name"] == "pandas DataFrame" and doc["input"]["path"] is None
    named = SegmentReport(marketing_path, SETTINGS, period=PERIOD, name="campaign extract").summary
    # a file keeps its path and hash whatever the report calls it
    assert named["input"]["name"] == "campaign extract"
    assert named["input"]["sha256"] == hashlib.sha256(marketing_path.read_bytes()).hexdigest()


def test_analysis_summary_and_assignments(marketing_path: Path, cli_files: dict[str, bytes]) -> None:
    report = SegmentReport(marketing_path, SETTINGS, period=PERIOD)
    assert report.summary == json.loads(cli_files["summary.json"])
    assert [s["name"] for s in report.segments] == [p.name for p in report.analysis.profiles]
    assignments = report.assignments
    assert assignments.columns == ["customer_id", "segment_id", "segment_name"]
    assert assignments.write_csv().encode("utf-8") == cli_files["segments.csv"]
    assert str(report.period) == PERIOD


def test_to_file_writes_the_command_line_folder(
    tmp_path: Path, marketing_path: Path, cli_files: dict[str, bytes]
) -> None:
    folder = SegmentReport(str(marketing_path), SETTINGS, period=PERIOD).to_file(tmp_path / "out")
    assert folder == tmp_path / "out" / PERIOD
    written = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert written == cli_files
    assert (tmp_path / "out" / "index.html").is_file()


def test_notebook_display_is_the_report_in_a_frame(marketing_path: Path) -> None:
    report = SegmentReport(marketing_path, SETTINGS, period=PERIOD)
    shown = report._repr_html_()
    assert shown.startswith("<iframe") and 'sandbox="allow-same-origin"' in shown
    # the report sits escaped inside srcdoc: its markup cannot reach the notebook page
    assert "<section" not in shown and html.escape("<section", quote=True) in shown
    assert html.unescape(shown.split('srcdoc="', 1)[1].rsplit('"></iframe>', 1)[0]) == report.to_html()


def test_settings_dict_is_checked_like_the_file() -> None:
    with pytest.raises(InputError, match=r"settings: unknown key data\.colour"):
        settings_of({"data": {"colour": "red"}})
    with pytest.raises(InputError, match=r"settings: clustering\.k_max must be an integer"):
        settings_of({"clustering": {"k_max": "4"}})
    assert settings_of(None) == Settings()
    assert settings_of({"data": {"id_column": ""}}).data.id_column == ""


def test_unknown_data_is_refused() -> None:
    with pytest.raises(InputError, match="expected a file path, a Polars or a pandas DataFrame, got list"):
        SegmentReport([1, 2, 3])


def test_dataframe_errors_name_the_frame_and_the_key() -> None:
    frame = pl.DataFrame({"ID": ["a", "b", "c"], "Spend": [1.0, 2.0, 3.0]})
    report = SegmentReport(frame, {"data": {"id_column": "ID", "features": ["Spend", "Visits"]}})
    with pytest.raises(InputError, match=r"Polars DataFrame: data\.features names column Visits"):
        report.run()
