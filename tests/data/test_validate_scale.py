"""Validation of a large table: faults injected at known lines of 20,000 synthetic rows are reported at
exactly those lines, and the fast reader (numpy scan + pandas) reports what the line-by-line reader does.

Speed is measured by bench/bench.py, never here.
"""

import csv
import importlib
import importlib.util
import io

import pytest

from ..conftest import ROOT

validation = importlib.import_module("glutedata.data.validate")  # the module; glutedata.validate is the function
scan = importlib.import_module("glutedata.data.scan")
reader = importlib.import_module("glutedata.data.reader")

ROWS = 20_000
EMG = "emg_activation.csv"


def _write_rows(path, header, rows) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def _synthetic(dest):
    """The benchmark's valid synthetic data directory (bench/bench.py) with ROWS rows; returns header and rows."""
    spec = importlib.util.spec_from_file_location("glutedata_bench", ROOT / "bench" / "bench.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    bench.synthetic(ROWS, dest)
    with open(dest / EMG, encoding="utf-8", newline="") as f:
        header, *rows = list(csv.reader(f))
    return header, rows


def _line(header, row, **raw) -> bytes:
    """One CSV line; fields given in ``raw`` are written exactly as given (bytes), not quoted."""
    row = list(row)
    for name in raw:
        row[header.index(name)] = f"@{name}@"
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(row)
    line = buf.getvalue().encode("utf-8")
    for name, value in raw.items():
        line = line.replace(f"@{name}@".encode(), value)
    return line


def _with(header, row, **values):
    row = list(row)
    for name, value in values.items():
        row[header.index(name)] = value
    return row


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scale") / "data"
    _synthetic(folder)
    return folder


@pytest.fixture(scope="module")
def faulty(tmp_path_factory):
    """The synthetic directory with faults at known lines; returns it and the expected (file, line, field)."""
    folder = tmp_path_factory.mktemp("faulty") / "data"
    header, rows = _synthetic(folder)
    lines = [_line(header, r) for r in rows]  # lines[i] is file line i + 2

    def at(line, **values):
        lines[line - 2] = _line(header, _with(header, rows[line - 2], **values))
        return line

    expected = {
        (at(1000, pct_mvic="abc"), "pct_mvic"),
        (at(2500, muscle=""), "muscle"),
        (at(4000, notes="<script>alert(1)</script>"), "notes"),
        (at(6000, exercise="moonwalk"), "exercise"),
        (at(7000, q1="30", q3="20"), "q1"),
        (at(14000, muscle="tensor_fasciae_latae", segment="posterior"), "segment"),
        (at(15000, emg=" surface"), "emg"),
        (at(16000, n="10.5"), "n"),
    }
    lines[5000 - 2] = lines[5000 - 2].replace(b"\n", b",extra\n")  # one field too many
    expected.add((5000, "-"))
    lines[8000 - 2] = _line(header, rows[8000 - 2], variant=b'a"b')  # a quote inside a value: read as written
    lines[9000 - 2] = _line(header, rows[9000 - 2], notes=b'"a\rb"')  # a carriage return inside quotes
    expected.add((9000, "notes"))  # is a control character
    lines[10000 - 2] = lines[10000 - 2].replace(b"\n", b"\r\n")  # one Windows line ending: fine
    lines[11000 - 2] = _line(header, rows[11000 - 2], notes=b"caf\xe9")  # Latin-1, not UTF-8
    expected.add((11000, "-"))
    # a quote left open; the quoted notes on the same line close it where a comma should follow
    lines[12000 - 2] = _line(header, _with(header, rows[12000 - 2], notes="first, second"), variant=b'"open')
    expected.add((12000, "-"))
    lines[13000 - 2] = lines[0]  # the same row as line 2
    expected.add((13000, "-"))
    # from here on, records no longer start on line index + 2
    lines[19500 - 2] = _line(header, _with(header, rows[19500 - 2], pct_mvic="700"))
    lines[19000 - 2] = _line(header, _with(header, rows[19000 - 2], notes="first line\nsecond line"))
    lines.insert(18000 - 1, b"\n")  # a blank line after line 18000
    expected |= {(19001, "-"), (19502, "pct_mvic")}  # +1 for the blank line, +1 more for the two-line record
    (folder / EMG).write_bytes(_line(header, header) + b"".join(lines))
    return folder, {(EMG, line, field) for line, field in expected}


def test_synthetic_rows_are_valid_to_both_readers(synthetic):
    assert validation.validate(synthetic) == []
    assert validation._validate(synthetic, careful=True) == []


def test_faults_are_reported_at_their_file_line_and_field(faulty):
    folder, expected = faulty
    problems = validation.validate(folder)
    assert {(p.file, p.line, p.field) for p in problems} == expected, [str(p) for p in problems]


def test_fast_and_line_by_line_readers_report_the_same(faulty):
    folder, _ = faulty
    assert validation.validate(folder) == validation._validate(folder, careful=True)


@pytest.mark.parametrize("block", [100, 4096])
def test_block_size_does_not_change_the_report(faulty, monkeypatch, block):
    # 100 bytes is shorter than a line: the scan's buffer has to grow
    folder, _ = faulty
    expected = validation.validate(folder)
    monkeypatch.setattr(scan, "BLOCK", block)
    assert validation.validate(folder) == expected


def test_the_line_by_line_reader_takes_over_when_pandas_disagrees(faulty, monkeypatch):
    folder, _ = faulty
    expected = validation.validate(folder)
    monkeypatch.setattr(reader, "parse_ranges", lambda *args: None)
    assert validation.validate(folder) == expected


def test_a_character_split_between_the_pieces_checked_for_utf8_is_not_a_fault(tmp_path):
    # UTF-8 is checked a megabyte at a time; put an 'é' across the first boundary, then a bad byte further on
    folder = tmp_path / "data"
    header, rows = _synthetic(folder)
    lines = [_line(header, header)] + [_line(header, r) for r in rows]
    offset, k = 0, 0
    while offset + len(lines[k]) < 2 ** 20 - 1000:
        offset += len(lines[k])
        k += 1
    row = _line(header, rows[k - 1], notes=b"@notes@")
    pad = 2 ** 20 - 1 - offset - row.index(b"@notes@")
    lines[k] = _line(header, rows[k - 1], notes=b"x" * pad + "\u00e9".encode() + b" end")
    assert lines[k][2 ** 20 - 1 - offset:][:2] == "\u00e9".encode()
    lines[k + 5000] = _line(header, rows[k + 5000 - 1], notes=b"caf\xe9")
    (folder / EMG).write_bytes(b"".join(lines))
    problems = validation.validate(folder)
    assert [(p.file, p.line, p.field) for p in problems] == [(EMG, k + 5001, "-")], [str(p) for p in problems]
