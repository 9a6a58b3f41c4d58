"""Property-based: random corruptions of one cell are reported at that cell, or load exactly as written."""

import csv
import io
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import glutedata as gd
from glutedata.data.schema import read_schema

from ..conftest import DATA, digest

# cells whose value cannot make a problem appear on another line (keys and references can)
CELLS = {
    "emg_activation.csv": ["variant", "muscle", "segment", "emg", "statistic", "pct_mvic", "sd", "q1", "q3", "n",
                           "population", "equipment", "locator", "notes"],
    "exercises.csv": ["name", "aliases", "position", "weight_bearing", "equipment", "contraction", "description",
                      "dosing", "seed"],
}
TRICKY = ["4_8", "４８", "１０", "1e999", "nan", "inf", "-0", "+5", ".5", "5.", "1,5", " 5", "5 ", "0x10", "1e3",
          "100000000000000000000", "<b>", "&amp;", "javascript:x", "\x00", "\x1b[1m", "a\nb", '"', "",
          "TRUE", "true", "false", "Mean", "median", "whole", "none", "abstract", "Table 2"]
VALUES = st.one_of(st.sampled_from(TRICKY), st.text(max_size=12),
                   st.from_regex(r"[+-]?[0-9]{1,4}(\.[0-9]{1,3})?", fullmatch=True),
                   st.integers(min_value=-5, max_value=10 ** 6).map(str))


def _rows(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def _write(path: Path, rows) -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(file=st.sampled_from(sorted(CELLS)), data=st.data(), value=VALUES)
def test_a_corrupted_cell_is_reported_at_its_place_or_loads_as_written(file, data, value):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "data"
        shutil.copytree(DATA, folder)
        rows = _rows(folder / file)
        line = data.draw(st.integers(min_value=2, max_value=len(rows)), label="line")
        column = data.draw(st.sampled_from(CELLS[file]), label="column")
        rows[line - 1][rows[0].index(column)] = value
        _write(folder / file, rows)
        before = digest(folder)

        problems = gd.validate(folder)  # never raises
        assert digest(folder) == before
        if problems:
            assert {(p.file, p.line) for p in problems} == {(file, line)}, [str(p) for p in problems]
            assert all(p.field in (column, "-", "q1", "pct_mvic", "sd") for p in problems)
            with pytest.raises(gd.DataError):
                gd.load(folder)
            return
        # accepted: load reads exactly what a CSV reader finds in the file (csv.writer leaves a lone
        # '\r' unquoted, which then reads as a line ending), no non-empty cell turned into NA
        value = _rows(folder / file)[line - 1][rows[0].index(column)]
        loaded = gd.load(folder) if file == "emg_activation.csv" else gd.exercises(folder)
        cell = loaded.iloc[line - 2][column]
        if value == "":
            return
        field = read_schema(folder).tables[file.removesuffix(".csv")].field(column)
        if field.type in ("number", "integer"):
            assert float(cell) == float(value)
        elif field.type == "boolean":
            assert bool(cell) is (value == "true")
        elif column == "aliases":
            assert "|".join(cell) == value
        else:
            assert str(cell) == value


def test_the_shipped_data_loads_without_losing_a_cell(df):
    rows = _rows(DATA / "emg_activation.csv")
    for col in rows[0]:
        written = [r[rows[0].index(col)] for r in rows[1:]]
        lost = [i for i, (w, na) in enumerate(zip(written, df[col].isna()), 2) if w != "" and na]
        assert not lost, f"{col}: non-empty cells read as missing on lines {lost}"
