"""Loading reportgen.toml: defaults, path resolution, and one clear error per kind of mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from reportgen.config import (
    CC_FEATURES,
    DEFAULT_BRAND,
    DEFAULT_PLAYBOOK,
    EngineConfig,
    Settings,
    load_settings,
    with_engine,
    with_k,
)
from reportgen.errors import InputError
from reportgen.pipeline import playbook_file


def write(tmp_path: Path, text: str, name: str = "reportgen.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path) -> str:
    with pytest.raises(InputError) as info:
        load_settings(path)
    message = str(info.value)
    assert "\n" not in message, "errors are one line"
    assert str(path) in message, "errors name the file"
    return message


def test_defaults_when_no_file() -> None:
    settings = load_settings(None)
    assert settings == Settings()
    assert (
        settings.clustering.k is None and settings.clustering.k_min == 2 and settings.clustering.k_max == 10
    )
    assert settings.data.features == CC_FEATURES and settings.data.id_column == "CUST_ID"
    assert settings.brand.file == DEFAULT_BRAND and playbook_file(settings) == DEFAULT_PLAYBOOK
    assert settings.source is None


def test_empty_file_gives_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    settings = load_settings(path)
    assert settings.clustering == Settings().clustering
    assert settings.source == path.resolve()


def test_values_are_read(tmp_path: Path) -> None:
    text = """
[data]
id_column = "ID"
features = ["A", "B"]
[clustering]
k = 4
k_max = 8
random_state = 7
[features]
transform = "none"
"""
    settings = load_settings(write(tmp_path, text))
    assert settings.data.id_column == "ID" and settings.data.features == ("A", "B")
    assert (
        settings.clustering.k == 4
        and settings.clustering.k_max == 8
        and settings.clustering.random_state == 7
    )
    assert settings.features.transform == "none"


def test_bom_prefixed_toml_works(tmp_path: Path) -> None:
    path = tmp_path / "reportgen.toml"
    path.write_bytes(b"\xef\xbb\xbf[clustering]\nk_max = 6\n")
    assert load_settings(path).clustering.k_max == 6


def test_relative_paths_resolve_against_the_config_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "conf"
    (folder / "brand").mkdir(parents=True)
    (folder / "brand" / "_brand.yml").write_text("meta:\n  name: Acme\n")
    (folder / "play.toml").write_text("")
    text = '[data]\npath = "data/customers.csv"\n[brand]\nfile = "brand/_brand.yml"\n'
    write(folder, text + '[report]\nplaybook = "play.toml"\n')
    monkeypatch.chdir(tmp_path)  # the working directory must not matter
    settings = load_settings(Path("conf/reportgen.toml"))
    assert settings.data.path == folder.resolve() / "data" / "customers.csv"
    assert settings.brand.file == (folder / "brand" / "_brand.yml").resolve()
    assert settings.report.playbook == (folder / "play.toml").resolve()


def test_missing_config_file(tmp_path: Path) -> None:
    assert "not found" in error_of(tmp_path / "reportgen.toml")


def test_bad_toml(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "[clustering]\nk_max = \n"))
    assert "invalid TOML" in message and "line 2" in message


def test_unknown_section(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "[clusterin]\nk = 3\n"))
    assert "unknown section [clusterin]" in message and "[clustering]" in message


def test_key_outside_any_section(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "k = 3\n"))
    assert "key k is outside any section; put it under [clustering]" in message


def test_unknown_key(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "[clustering]\nkmax = 3\n"))
    assert "unknown key clustering.kmax" in message and "k_max" in message


def test_string_for_an_integer(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, '[clustering]\nk_max = "10"\n'))
    assert 'clustering.k_max must be an integer, got string "10"' in message


def test_true_is_not_an_integer(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "[clustering]\nn_init = true\n"))
    assert "clustering.n_init must be an integer, got boolean true" in message


def test_true_is_not_a_k(tmp_path: Path) -> None:
    assert "clustering.k must be" in error_of(write(tmp_path, "[clustering]\nk = true\n"))


def test_k_below_two(tmp_path: Path) -> None:
    assert "clustering.k must be an integer >= 2, got 1" in error_of(write(tmp_path, "[clustering]\nk = 1\n"))


def test_k_many(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, '[clustering]\nk = "many"\n'))
    assert 'clustering.k must be an integer >= 2 or "auto", got "many"' in message


def test_k_auto(tmp_path: Path) -> None:
    assert load_settings(write(tmp_path, '[clustering]\nk = "auto"\n')).clustering.k is None


def test_stability_keys_are_read_and_checked(tmp_path: Path) -> None:
    settings = load_settings(
        write(tmp_path, "[clustering]\nstability_resamples = 0\nmin_segment_share = 0.05\n")
    )
    assert settings.clustering.stability_resamples == 0 and settings.clustering.min_segment_share == 0.05
    defaults = load_settings(write(tmp_path, "[clustering]\n", "empty.toml")).clustering
    assert defaults.stability_resamples == 20 and defaults.min_segment_share == 0.02
    message = error_of(write(tmp_path, "[clustering]\nstability_resamples = -1\n"))
    assert "clustering.stability_resamples must be 0 (off) or a count up to 1000, got -1" in message
    message = error_of(write(tmp_path, "[clustering]\nmin_segment_share = 0.6\n"))
    assert "clustering.min_segment_share must be a share in [0, 0.5), e.g. 0.02, got 0.6" in message
    assert "clustering.min_segment_share" in error_of(
        write(tmp_path, '[clustering]\nmin_segment_share = "2%"\n')
    )


def test_k_min_above_k_max(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "[clustering]\nk_min = 6\nk_max = 4\n"))
    assert "clustering.k_min=6 must be <= clustering.k_max=4" in message


def test_features_must_be_a_list_of_names(tmp_path: Path) -> None:
    assert "data.features must be a list of strings" in error_of(write(tmp_path, '[data]\nfeatures = "A"\n'))
    assert "data.features" in error_of(write(tmp_path, "[data]\nfeatures = []\n"))


def test_empty_id_column_means_rows_are_numbered(tmp_path: Path) -> None:
    assert load_settings(write(tmp_path, '[data]\nid_column = ""\n')).data.id_column == ""


def test_own_table_keys_are_read(tmp_path: Path) -> None:
    text = """
[data]
separator = "\\t"
id_column = "ID"
features = ["Income", "Education", "Dt_Customer"]
categorical = ["Education", "Marital_Status"]
dates = { Dt_Customer = "%d-%m-%Y" }
labels = { MntWines = "Wine spend" }
value = ["MntWines", "MntFruits"]
[transactions]
timestamp_format = "%d/%m/%Y %H:%M"
"""
    data = load_settings(write(tmp_path, text)).data
    assert data.separator == "\t" and data.categorical == ("Education", "Marital_Status")
    assert data.dates == {"Dt_Customer": "%d-%m-%Y"} and data.labels == {"MntWines": "Wine spend"}
    assert data.value == ("MntWines", "MntFruits")
    assert load_settings(write(tmp_path, text)).transactions.timestamp_format == "%d/%m/%Y %H:%M"
    assert Settings().data.separator == "auto" and Settings().transactions.timestamp_format == ""


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('[data]\nseparator = ":"\n', 'data.separator must be "auto" or one of'),
        ("[data]\nseparator = 1\n", "data.separator must be a string"),
        ('[data]\ncategorical = "Education"\n', "data.categorical must be a list of strings"),
        ('[data]\ncategorical = ["A", "A"]\n', "data.categorical names A more than once"),
        ('[data]\ndates = ["Dt_Customer"]\n', "data.dates must be a table of column = text"),
        ('[data]\ndates = { Dt = "dd-mm-yyyy" }\n', "data.dates.Dt = 'dd-mm-yyyy' has no % directive"),
        (
            '[data]\ndates = { Dt = "%d-%m" }\n',
            "data.dates.Dt = '%d-%m' does not hold a day, a month and a year",
        ),
        ("[data]\ndates = { Dt = 5 }\n", "data.dates.Dt must be non-empty text"),
        ('[data]\nlabels = { A = "" }\n', "data.labels.A must be non-empty text"),
        ('[data]\nlabels = "A"\n', "data.labels must be a table"),
        ('[data]\nvalue = "MntWines"\n', "data.value must be a list of strings"),
        ('[data]\nvalue = ["E"]\ncategorical = ["E"]\n', "data.value names E, a categorical or date column"),
        ('[data]\ncategorical = ["D"]\ndates = { D = "%Y-%m-%d" }\n', "both data.categorical and data.dates"),
        ('[transactions]\ntimestamp_format = "day first"\n', "transactions.timestamp_format = 'day first'"),
        ('[transactions]\ntimestamp_format = "%H:%M"\n', "transactions.timestamp_format = '%H:%M' does not"),
        ("[transactions]\ntimestamp_format = true\n", "transactions.timestamp_format must be a string"),
    ],
)
def test_own_table_keys_bad_values(tmp_path: Path, body: str, expected: str) -> None:
    assert expected in error_of(write(tmp_path, body))


def test_column_names_are_stripped(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, '[data]\nid_column = " ID "\nfeatures = [" A", "B "]\n'))
    assert settings.data.id_column == "ID" and settings.data.features == ("A", "B")


def test_unknown_transform(tmp_path: Path) -> None:
    assert "features.transform" in error_of(write(tmp_path, '[features]\ntransform = "log"\n'))


def test_brand_file_that_does_not_exist(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, '[brand]\nfile = "nope/_brand.yml"\n'))
    assert "brand.file" in message and "nope/_brand.yml" in message and "not found" in message


def test_playbook_file_that_does_not_exist(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, '[report]\nplaybook = "missing.toml"\n'))
    assert "report.playbook" in message and "missing.toml" in message and "not found" in message


def test_config_path_is_a_directory(tmp_path: Path) -> None:
    assert "directory" in error_of(tmp_path)


def test_smtp_port_range(tmp_path: Path) -> None:
    assert "email.smtp_port" in error_of(write(tmp_path, "[email]\nsmtp_port = 70000\n"))


def test_with_k() -> None:
    assert with_k(Settings(), 5).clustering.k == 5
    with pytest.raises(InputError, match="--k"):
        with_k(Settings(), 1)


def test_labels_value_and_segment_names_are_read(tmp_path: Path) -> None:
    settings = load_settings(
        write(
            tmp_path,
            '[data]\nlabels = { MntFishProducts = "Fish spend" }\nvalue = ["MntWines", " MntFruits"]\n'
            '[report]\nnames = { "0" = "Transactors", "2" = "Revolvers" }\n',
        )
    )
    assert settings.data.labels == {"MntFishProducts": "Fish spend"}
    assert settings.data.value == ("MntWines", "MntFruits")
    assert settings.report.names == {"0": "Transactors", "2": "Revolvers"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[data]\nlabels = ["x"]\n', "data.labels must be a table of column = text"),
        ("[data]\nlabels = { A = 1 }\n", "data.labels.A must be non-empty text"),
        ('[report]\nnames = { first = "x" }\n', 'report.names keys must be segment ids like "0"'),
        ('[report]\nnames = { "0" = "x", "1" = "x" }\n', 'gives "x" to more than one segment'),
    ],
)
def test_bad_labels_and_names(tmp_path: Path, body: str, message: str) -> None:
    assert message in error_of(write(tmp_path, body))


def test_report_currency_locale_and_amounts_cover_are_read_and_checked(tmp_path: Path) -> None:
    text = '[report]\ncurrency = "eur"\nlocale = "de-DE"\namounts_cover = "the last  6 months"\n'
    report = load_settings(write(tmp_path, text)).report
    assert (report.currency, report.locale, report.amounts_cover) == ("EUR", "de_DE", "the last 6 months")
    assert load_settings(None).report.currency == "" and load_settings(None).report.locale == "en"
    assert "report.currency" in error_of(write(tmp_path, '[report]\ncurrency = "XYZ"\n'))
    assert "ISO 4217" in error_of(write(tmp_path, '[report]\ncurrency = "dollars"\n'))
    assert "report.locale" in error_of(write(tmp_path, '[report]\nlocale = "xx_YY"\n'))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "[clustering]\nrandom_state = 4294967296\n",
            "clustering.random_state must be between 0 and 4294967295",
        ),
        (
            "[email]\ntimeout = nan\n",
            "email.timeout must be a number of seconds above 0 and at most 600, got nan",
        ),
        ("[email]\ntimeout = inf\n", "email.timeout must be a number of seconds above 0"),
        (
            '[email]\nsender = "me@example.com\\r\\nBcc: x@evil.example"\n',
            "email.sender: 'me@example.com\\r\\nBcc",
        ),
        (
            '[email]\nrecipients = ["a@example.com\\nb@evil.example"]\n',
            "email.recipients: 'a@example.com\\nb@",
        ),
        (
            '[email]\nrecipients = ["a@example.com, b@evil.example"]\n',
            "expected one address like name@example.com",
        ),
        ('[email]\nrecipients = ["nobody"]\n', "email.recipients: expected one address"),
        ('[email]\narchive_url = "javascript:alert(1)"\n', "email.archive_url: expected an absolute http"),
        (f'[report]\ntitle = "{"x" * 1000}"\n', "report.title is 1,000 characters; at most 200"),
        ('[report]\ntitle = "A\\u0000B"\n', "report.title holds a NUL character"),
        ('[report]\ntitle = "A\\nB"\n', "report.title holds a control character"),
    ],
)
def test_values_that_would_fail_later_are_refused_naming_the_file(
    tmp_path: Path, text: str, expected: str
) -> None:
    assert expected in error_of(write(tmp_path, text))


@pytest.mark.parametrize("special", ["/dev/zero", "fifo"])
def test_a_config_that_is_not_a_regular_file_is_refused(tmp_path: Path, special: str) -> None:
    import os

    path = Path(special)
    if special == "fifo":
        path = tmp_path / "reportgen.toml"
        os.mkfifo(path)
    assert "is not a regular file" in error_of(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            f'[report.names]\n1 = "{"x" * 5000}"\n',
            "report.names holds 5,000 characters of text; at most 4,096",
        ),
        (f'[data]\nlabels = {{ BALANCE = "{"y" * 5000}" }}\n', "data.labels holds 5,000 characters"),
        ('[report]\namounts_cover = "the last\\u0000 month"\n', "report.amounts_cover holds a NUL character"),
        ('[data]\nfeatures = ["A\\u0000B"]\n', "data.features holds a NUL character"),
    ],
)
def test_huge_or_nul_texts_anywhere_in_the_config_are_refused(
    tmp_path: Path, text: str, expected: str
) -> None:
    assert expected in error_of(write(tmp_path, text))


def test_engine_keys_are_read_and_kept_out_of_the_report_settings(tmp_path: Path) -> None:
    assert (Settings().engine.kind, Settings().engine.master) == ("local", "local[*]")
    settings = load_settings(write(tmp_path, '[engine]\nkind = "spark"\nmaster = "spark://head:7077"\n'))
    assert (settings.engine.kind, settings.engine.master) == ("spark", "spark://head:7077")
    # both engines give the same report: the settings it prints (and the config hash) hold no engine
    assert "engine" not in settings.as_dict()
    assert with_engine(settings, "local").engine == EngineConfig(kind="local", master="spark://head:7077")
    with pytest.raises(InputError, match='--engine must be "local" or "spark", got "dask"'):
        with_engine(settings, "dask")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('[engine]\nkind = "dask"\n', 'engine.kind must be "local" or "spark", got "dask"'),
        ("[engine]\nkind = 1\n", "engine.kind must be a string"),
        ('[engine]\nmaster = ""\n', "engine.master must be a Spark master URL without spaces"),
        ('[engine]\nmaster = "local [2]"\n', "engine.master must be a Spark master URL without spaces"),
        ("[engine]\nmaster = 7077\n", "engine.master must be a string"),
        ("[engine]\ncores = 4\n", "unknown key engine.cores; expected one of kind, master"),
    ],
)
def test_engine_keys_bad_values(tmp_path: Path, body: str, expected: str) -> None:
    assert expected in error_of(write(tmp_path, body))
