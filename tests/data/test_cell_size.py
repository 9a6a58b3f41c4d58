"""A cell larger than any value needs is reported at its file, line and field by every reader, and load() raises
DataError for it: the csv module's field limit never surfaces."""

import csv
import importlib

import pytest

import glutedata as gd
from glutedata.cli import main
from glutedata.data.schema import MAX_CELL_BYTES

from ..conftest import edit_cell

validation = importlib.import_module("glutedata.data.validate")  # the module; glutedata.validate is the function
reader = importlib.import_module("glutedata.data.reader")

EMG = "emg_activation.csv"
BIG = "x" * 200_000  # over the csv module's default field limit (128 KiB)
SAID = "value is 200,000 bytes; the most a cell may hold is 10 kB"


def _problems(folder, how):
    return validation._validate(folder, careful=True) if how == "careful" else validation.validate(folder)


@pytest.mark.parametrize("how", ["line by line", "careful", "fast"])
def test_a_huge_notes_cell_is_reported_where_it_is(how, data_copy, monkeypatch):
    edit_cell(data_copy / EMG, 2, "notes", BIG)
    if how == "fast":
        monkeypatch.setattr(reader, "SMALL_FILE", 0)  # the numpy scan and pandas, whatever the file's size
    problems = _problems(data_copy, how)
    assert [(p.file, p.line, p.field, p.message) for p in problems] == [(EMG, 2, "notes", SAID)]
    assert csv.field_size_limit() == 128 * 1024  # put back for everyone else


def test_a_huge_cell_on_a_line_the_fast_reader_leaves_to_the_csv_module(data_copy, monkeypatch):
    # a quote inside an unquoted value makes the scan hand the line to the line-by-line reader (which reads it
    # as written); the huge cell must still be read, and reported by its size
    edit_cell(data_copy / EMG, 3, "variant", "PLACEHOLDER")
    edit_cell(data_copy / EMG, 3, "notes", BIG)
    path = data_copy / EMG
    path.write_text(path.read_text(encoding="utf-8").replace("PLACEHOLDER", 'a"b', 1), encoding="utf-8")
    monkeypatch.setattr(reader, "SMALL_FILE", 0)
    fast = validation.validate(data_copy)
    assert (EMG, 3, "notes", SAID) in [(p.file, p.line, p.field, p.message) for p in fast]
    assert fast == validation._validate(data_copy, careful=True)


def test_load_raises_a_data_error_not_a_csv_error(data_copy):
    edit_cell(data_copy / EMG, 2, "notes", BIG)
    with pytest.raises(gd.DataError) as err:
        gd.load(data_copy)
    assert SAID in str(err.value) and "field limit" not in str(err.value)
    assert gd.load(data_copy, validate=False)["notes"].str.len().max() == len(BIG)  # pandas reads it as written


@pytest.mark.parametrize("value, too_big", [("x" * MAX_CELL_BYTES, False), ("x" * (MAX_CELL_BYTES + 1), True),
                                            ("é" * (MAX_CELL_BYTES // 2), False),
                                            ("é" * (MAX_CELL_BYTES // 2 + 1), True)])
def test_the_limit_is_in_bytes_of_utf8(value, too_big, data_copy):
    edit_cell(data_copy / EMG, 2, "notes", value)
    problems = gd.validate(data_copy)
    assert bool(problems) == too_big
    if too_big:
        assert problems[0].message.startswith(f"value is {len(value.encode()):,} bytes")


def test_a_huge_column_name_is_reported_without_echoing_it(data_copy):
    path = data_copy / EMG
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(",notes\n", "," + BIG + "\n", 1), encoding="utf-8")
    problems = gd.validate(data_copy)
    assert any(p.line == 1 and SAID in p.message for p in problems)
    assert all(len(str(p)) < 1000 for p in problems)


def test_validate_one_study_with_a_huge_cell(data_copy, capsys):
    with open(data_copy / EMG, encoding="utf-8", newline="") as f:
        key = next(csv.DictReader(f))["source"]
    edit_cell(data_copy / EMG, 2, "notes", BIG)
    assert main(["validate", str(data_copy), "--study", key]) == 1
    captured = capsys.readouterr()
    assert SAID in captured.out and "unexpected error" not in captured.err
