"""Validation: the repository's data passes; each corruption is reported with file, line and field."""

import csv
import io
import shutil

import pytest

from glutedata import validate
from glutedata.cli import main

from .conftest import DATA, digest, edit_cell


def test_repository_data_is_valid():
    assert validate(DATA) == []


def _append_copy_of_line(path, line):
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines) + lines[line - 1], encoding="utf-8")
    return len(lines) + 1


def _set(field, value, file="emg_activation.csv", line=2):
    return lambda d: edit_cell(d / file, line, field, value) or (file, line, field)


def _rewrite(file, fn, expect):
    def apply(d):
        p = d / file
        p.write_bytes(fn(p.read_bytes()))
        return expect(d) if callable(expect) else expect
    return apply


def _drop_column(name):
    def fn(raw):
        rows = raw.decode().splitlines()
        idx = rows[0].split(",").index(name)
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        for r in csv.reader(rows):
            w.writerow(r[:idx] + r[idx + 1:])
        return out.getvalue().encode()
    return fn


def _add_column(name):
    def fn(raw):
        lines = raw.decode().splitlines()
        return ("\n".join([lines[0] + "," + name] + [row + ",x" for row in lines[1:]]) + "\n").encode()
    return fn


def _extend_line(line, extra):
    def fn(raw):
        lines = raw.split(b"\n")
        lines[line - 1] += extra
        return b"\n".join(lines)
    return fn


CORRUPTIONS = {
    "unknown source key": _set("source", "nobody2020"),
    "unknown exercise id": _set("exercise", "moonwalk"),
    "pct_mvic out of range": _set("pct_mvic", "700"),
    "pct_mvic not a number": _set("pct_mvic", "48%"),
    "negative sd": _set("sd", "-3"),
    "n zero": _set("n", "0"),
    "n not whole": _set("n", "10.5"),
    "segment outside the list": _set("segment", "lateral"),
    "equipment outside the list": _set("equipment", "trampoline"),
    "locator not a place": _set("locator", "somewhere"),
    "empty required value": _set("muscle", ""),
    "stray spaces": _set("emg", " surface"),
    "missing column": _rewrite("emg_activation.csv", _drop_column("locator"), ("emg_activation.csv", 1, "locator")),
    "unknown column": _rewrite("emg_activation.csv", _add_column("comment"), ("emg_activation.csv", 1, "comment")),
    "byte-order mark": _rewrite("emg_activation.csv", lambda b: b"\xef\xbb\xbf" + b, ("emg_activation.csv", 1, "-")),
    "semicolons": _rewrite("emg_activation.csv", lambda b: b.replace(b",", b";"), ("emg_activation.csv", 1, "-")),
    "latin-1 encoding": _rewrite("exercises.csv", lambda b: b.replace(b"Clamshell", "Clämshell".encode("latin-1"), 1),
                                 lambda d: ("exercises.csv", next(i for i, row in enumerate(
                                     (d / "exercises.csv").read_bytes().split(b"\n"), 1) if b"Cl\xe4m" in row), "-")),
    "too many fields": _rewrite("emg_activation.csv", _extend_line(2, b",extra"), ("emg_activation.csv", 2, "-")),
    "duplicate row": lambda d: ("emg_activation.csv", _append_copy_of_line(d / "emg_activation.csv", 2), "-"),
    "broken bib entry": _rewrite("sources.bib", lambda b: b.replace(b"},\n", b",\n", 1),
                                 lambda d: ("sources.bib", 1, "entry")),
    "bib entry without title": _rewrite("sources.bib", lambda b: b.replace(b"title", b"titel", 1),
                                        lambda d: ("sources.bib", 1, "title")),
    "exercise progression to an unknown id": _set("progresses_to", "moonwalk", file="exercises.csv"),
    "screening status not in the list": _set("status", "maybe", file="screening.csv"),
}


@pytest.mark.parametrize("name", sorted(CORRUPTIONS))
def test_corruption_is_reported_with_file_line_field_and_nothing_changes(name, data_copy):
    expected = CORRUPTIONS[name](data_copy)
    before = digest(data_copy)
    problems = validate(data_copy)
    assert digest(data_copy) == before, "validate must not modify any file"
    found = [(p.file, p.line, p.field) for p in problems]
    assert expected in found, f"{name}: expected {expected}, got {[str(p) for p in problems]}"
    assert all(p.message for p in problems)


def test_muscle_segment_pairing(data_copy):
    edit_cell(data_copy / "emg_activation.csv", 2, "muscle", "tensor_fasciae_latae")
    edit_cell(data_copy / "emg_activation.csv", 2, "segment", "posterior")
    assert ("emg_activation.csv", 2, "segment") in [(p.file, p.line, p.field) for p in validate(data_copy)]


def test_rows_need_a_screened_source(data_copy):
    text = (data_copy / "screening.csv").read_text().splitlines(keepends=True)
    line = next(i for i, row in enumerate(text, 1) if ",extracted," in row)
    key = text[line - 1].split(",")[0]
    edit_cell(data_copy / "screening.csv", line, "status", "excluded")
    problems = [str(p) for p in validate(data_copy)]
    assert any(p.startswith("emg_activation.csv:") and f"'{key}' has rows but is not screened" in p for p in problems)


def test_extracted_study_without_rows(data_copy):
    with open(data_copy / "screening.csv", "a", encoding="utf-8") as f:
        f.write("ghost2020,,A study with no rows,2020,extracted,test,https://example.org/x\n")
    n = len((data_copy / "screening.csv").read_text().splitlines())
    found = [(p.file, p.line, p.field) for p in validate(data_copy)]
    assert ("screening.csv", n, "status") in found and ("screening.csv", n, "key") in found


def test_missing_file(data_copy):
    (data_copy / "exercises.csv").unlink()
    assert ("exercises.csv", 0, "-") in [(p.file, p.line, p.field) for p in validate(data_copy)]


def test_cli_exit_codes_and_format(data_copy, capsys):
    assert main(["validate", str(DATA)]) == 0
    edit_cell(data_copy / "emg_activation.csv", 3, "pct_mvic", "abc")
    assert main(["validate", str(data_copy)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert any(line.startswith("emg_activation.csv:3: pct_mvic: 'abc' is not a number") for line in out)
    assert main(["validate", str(data_copy / "nowhere")]) == 2
    assert main(["frobnicate"]) == 2


def test_module_entry_point(data_copy):
    import subprocess
    import sys
    shutil.copy(DATA / "emg_activation.csv", data_copy / "emg_activation.csv")
    r = subprocess.run([sys.executable, "-m", "glutedata", "validate", str(data_copy)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
