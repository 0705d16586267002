"""The Python API: a report from a pandas or Polars DataFrame is the command line's report of the file."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pandas as pd
import polars as pl
import pytest

from reportgen.api import SegmentReport, settings_of
from reportgen.cli import main
from reportgen.config import Settings
from reportgen.errors import InputError

PERIOD = "2014-06"
SETTINGS = {
    "data": {
        "id_column": "ID",
        "features": ["Income", "Recency", "MntWines", "MntMeatProducts", "NumStorePurchases", "Education"],
        "categorical": ["Education", "Marital_Status"],
    },
    "clustering": {"k_max": 4},
}
TOML = """[data]
id_column = "ID"
features = ["Income", "Recency", "MntWines", "MntMeatProducts", "NumStorePurchases", "Education"]
categorical = ["Education", "Marital_Status"]
[clustering]
k_max = 4
"""


@pytest.fixture(scope="module")
def cli_files(tmp_path_factory: pytest.TempPathFactory, marketing_path: Path) -> dict[str, bytes]:
    work = tmp_path_factory.mktemp("cli")
    config = work / "reportgen.toml"
    config.write_text(TOML)
    args = ["run", "--quiet", "--data", str(marketing_path), "--config", str(config), "--period", PERIOD]
    assert main([*args, "--out", str(work / "out")]) == 0
    return {p.name: p.read_bytes() for p in (work / "out" / PERIOD).iterdir()}


def _as_from_frame(data: bytes, file_name: str, file_sha: str, label: str, frame_sha: str) -> bytes:
    """Return a file of the command line's run with the input's name and fingerprint as a frame's."""
    text = data.decode("utf-8").replace(file_sha, frame_sha).replace(html.escape(file_name), label)
    return text.replace(file_name, label).encode("utf-8")


@pytest.mark.parametrize("library", ["pandas", "polars"])
def test_dataframe_gives_the_command_line_report(
    library: str, marketing_path: Path, cli_files: dict[str, bytes]
) -> None:
    frame = (
        pd.read_csv(marketing_path, sep="\t")
        if library == "pandas"
        else pl.read_csv(marketing_path, separator="\t")
    )
    report = SegmentReport(frame, SETTINGS, period=PERIOD)
    files = report.files()
    assert set(files) == set(cli_files)
    # what a CRM loads and what the report says are the same bytes
    assert files["segments.csv"] == cli_files["segments.csv"]
    ours, theirs = json.loads(files["summary.json"]), json.loads(cli_files["summary.json"])
    label = "pandas DataFrame" if library == "pandas" else "Polars DataFrame"
    assert ours["input"]["path"] == label and ours["input"]["customers"] == 2240
    frame_sha = ours.pop("input")["sha256"]
    file_sha = theirs.pop("input")["sha256"]
    assert ours == theirs
    # the report differs only where it names its input: the file's name and sha256 against the frame's
    expected = _as_from_frame(cli_files["report.html"], marketing_path.name, file_sha, label, frame_sha)
    assert files["report.html"] == expected
    assert files["model.json"] == _as_from_frame(
        cli_files["model.json"], marketing_path.name, file_sha, label, frame_sha
    )


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
