"""Validation: the repository's data passes; each corruption is reported with file, line and field."""

import csv
import io
import shutil

import pytest

import glutedata
from glutedata import validate
from glutedata.cli import main

from ..conftest import DATA, digest, edit_cell


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


def _line_where(file, column, value):
    """Line of the first record of ``file`` whose ``column`` equals ``value``."""
    def find(d):
        with open(d / file, encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
        return next(i for i, r in enumerate(rows[1:], 2) if r[rows[0].index(column)] == value)
    return find


def _set_where(file, column, value, field, new):
    def apply(d):
        line = _line_where(file, column, value)(d)
        edit_cell(d / file, line, field, new)
        return file, line, field
    return apply


def _set_many(file, line, expect_field, **values):
    def apply(d):
        for k, v in values.items():
            edit_cell(d / file, line, k, v)
        return file, line, expect_field
    return apply


def _bib(old: bytes, new: bytes, field: str, key: bytes = b"barton2014"):
    """Replace text inside one .bib entry; expect the problem at the entry's line."""
    def apply(d):
        raw = (d / "sources.bib").read_bytes()
        start = raw.index(b"{" + key + b",")
        end = raw.index(b"\n}", start)
        raw = raw[:start] + raw[start:end].replace(old, new, 1) + raw[end:]
        (d / "sources.bib").write_bytes(raw)
        return "sources.bib", raw[:start].count(b"\n") + 1, field
    return apply


def _dictionary(fn, line=1, field="-"):
    def apply(d):
        p = d / "datapackage.json"
        p.write_bytes(fn(p.read_bytes()))
        return "datapackage.json", line, field
    return apply


def _json(edit):
    def fn(raw):
        import json
        d = json.loads(raw)
        edit(d)
        return json.dumps(d, indent=1).encode()
    return fn


def _unclosed_quote(d):
    lines = (d / "emg_activation.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2] = lines[2].replace(",abstract,", ',"abstract,', 1)
    (d / "emg_activation.csv").write_text("".join(lines), encoding="utf-8")
    return "emg_activation.csv", 3, "-"


def _line_break_in_value(d):
    edit_cell(d / "emg_activation.csv", 4, "notes", "first line\nsecond line")
    return "emg_activation.csv", 4, "-"


def _cycle(d):
    a = _line_where("exercises.csv", "id", "clamshell")(d)
    b = _line_where("exercises.csv", "id", "side-lying-hip-abduction")(d)
    edit_cell(d / "exercises.csv", a, "progresses_to", "side-lying-hip-abduction")
    edit_cell(d / "exercises.csv", b, "progresses_to", "clamshell")
    return "exercises.csv", min(a, b), "progresses_to"


def _stray_bib_text(d):
    raw = (d / "sources.bib").read_bytes()
    at = raw.index(b"@article{barton2014")
    (d / "sources.bib").write_bytes(raw[:at] + raw[at + 1:])
    return "sources.bib", raw[:at].count(b"\n") + 1, "entry"


def _symlink_loop(d):
    (d / "datapackage.json").unlink()
    (d / "datapackage.json").symlink_to(d / "datapackage.json")
    return "datapackage.json", 1, "-"


def _dictionary_directory(d):
    (d / "datapackage.json").unlink()
    (d / "datapackage.json").mkdir()
    return "datapackage.json", 1, "-"


POISON = "<img src=x onerror=alert(1)>"
MEDIAN = ("emg_activation.csv", "statistic", "median")

CORRUPTIONS.update({
    # numbers: one ASCII parser for validate and load, with the dictionary's bounds
    "underscore inside a number": _set("pct_mvic", "4_8"),
    "full-width digits in pct_mvic": _set("pct_mvic", "４８"),
    "full-width digits in n": _set("n", "１０"),
    "n beyond its maximum": _set("n", "100000000000000000000"),
    "nan as a value": _set("pct_mvic", "nan"),
    "infinity as a value": _set("pct_mvic", "inf"),
    "overflowing exponent": _set("pct_mvic", "1e999"),
    "decimal comma": _set("pct_mvic", "23,9"),
    "sd above its maximum": _set("sd", "900"),
    "q1 above q3": _set_many("emg_activation.csv", 2, "q1", q1="30", q3="20"),
    "median outside its quartiles": lambda d: _set_many(
        "emg_activation.csv", _line_where(*MEDIAN)(d), "pct_mvic", q1="50", q3="60")(d),
    "sd given for a median": lambda d: _set_many(
        "emg_activation.csv", _line_where(*MEDIAN)(d), "sd", sd="5")(d),
    # closed vocabularies are case-sensitive
    "statistic in capitals": _set("statistic", "Mean"),
    "population misspelt": _set("population", "helthy"),
    "emg in capitals": _set("emg", "Surface"),
    "locator in lower case": _set("locator", "table 3"),
    "source key in capitals": _set("source", "Barton2014"),
    "exercise id with a space": _set("exercise", "single leg squat"),
    # markup and control characters in free text
    "script in notes": _set("notes", "<script>alert(1)</script>"),
    "img onerror in variant": _set("variant", POISON),
    "javascript address in notes": _set("notes", "see javascript:alert(1)"),
    "html entity in notes": _set("notes", "&lt;script&gt;"),
    "NUL in notes": _set("notes", "a\x00b"),
    "escape sequence in notes": _set("notes", "\x1b[31mred"),
    "markup in an exercise name": _set("name", POISON, file="exercises.csv"),
    "markup in aliases": _set("aliases", "clam|<svg onload=alert(1)>", file="exercises.csv"),
    "markup in a description": _set("description", "<iframe src=x></iframe>", file="exercises.csv"),
    "markup in dosing": _set("dosing", "<b>10</b> reps", file="exercises.csv"),
    "markup in a screening title": _set("title", POISON, file="screening.csv"),
    "script address as screening url": _set("url", "javascript:alert(1)", file="screening.csv"),
    "quote breaking out of a url": _set("url", 'https://x.org/" onmouseover="alert(1)', file="screening.csv"),
    "markup in studies concerns": _set("concerns", POISON, file="studies.csv"),
    # CSV structure: one problem at the line of the cause
    "unclosed quote": _unclosed_quote,
    "line break inside a value": _line_break_in_value,
    "header only": _rewrite("emg_activation.csv", lambda b: b.split(b"\n")[0] + b"\n", ("emg_activation.csv", 1, "-")),
    "empty file": _rewrite("exercises.csv", lambda b: b"", ("exercises.csv", 1, "-")),
    "tab-separated": _rewrite("screening.csv", lambda b: b.replace(b",", b"\t"), ("screening.csv", 1, "-")),
    "old Mac line endings": _rewrite("exercises.csv", lambda b: b.replace(b"\n", b"\r"), ("exercises.csv", 1, "-")),
    "duplicate column": _rewrite("screening.csv", lambda b: b.replace(b"reason,", b"title,", 1),
                                 ("screening.csv", 1, "title")),
    # the exercise vocabulary
    "progressions in a circle": _cycle,
    "exercise leads to itself": lambda d: _set_where("exercises.csv", "id", "clamshell", "progresses_to",
                                                     "clamshell")(d),
    "duplicate exercise id": lambda d: ("exercises.csv", _append_copy_of_line(d / "exercises.csv", 2), "id"),
    "position misspelt": _set("position", "sidelying", file="exercises.csv"),
    "boolean as yes": _set("seed", "yes", file="exercises.csv"),
    "boolean in capitals": _set("weight_bearing", "True", file="exercises.csv"),
    "name with trailing space": _set("name", "Clamshell ", file="exercises.csv"),
    # screening and appraisal
    "full-width year": _set("year", "２０２０", file="screening.csv"),
    "year before 1900": _set("year", "1800", file="screening.csv"),
    "duplicate screening key": lambda d: ("screening.csv", _append_copy_of_line(d / "screening.csv", 2), "key"),
    "publication type misspelt": _set("publication_type", "journal", file="studies.csv"),
    "statistic_named as yes": _set("statistic_named", "yes", file="studies.csv"),
    "appraisal of an unknown study": _set("key", "nobody2020", file="studies.csv"),
    # said at the study's first row, where the study was added (one problem per study, however many rows)
    "extracted study without appraisal": lambda d: (
        _rewrite("studies.csv", lambda b: b"\n".join(r for r in b.split(b"\n") if not r.startswith(b"barton2014,")),
                 None)(d),
        ("emg_activation.csv", _line_where("emg_activation.csv", "source", "barton2014")(d), "source"))[1],
    # sources.bib
    "markup in a bib title": _bib(b"title   = {", b"title   = {" + POISON.encode(), "title"),
    "markup in a bib author": _bib(b"author  = {", b"author  = {<b>x</b> and ", "author"),
    "markup in a bib journal": _bib(b"journal = {", b"journal = {<svg/onload=alert(1)>", "journal"),
    "DOI breaking out of an attribute": _bib(b"doi     = {10.1016/j.ptsp.2013.02.006}",
                                             b'doi     = {10.1016/x"><script>alert(1)</script>}', "doi"),
    "DOI with spaces": _bib(b"doi     = {10.1016/j.ptsp.2013.02.006}", b"doi     = {10.1016/j ptsp}", "doi"),
    "script address as bib url": _bib(b"url     = {https://", b"url     = {javascript:alert(1)//", "url"),
    "bib year not a year": _bib(b"year    = {2014}", b"year    = {20x4}", "year"),
    "bib entry that lost its @": _stray_bib_text,
    "non-UTF-8 bib": _rewrite("sources.bib", lambda b: b.replace(b"Barton", "Bårton".encode("latin-1"), 1),
                              lambda d: ("sources.bib", next(i for i, r in enumerate(
                                  (d / "sources.bib").read_bytes().split(b"\n"), 1) if b"B\xe5rton" in r), "-")),
    "empty bib": _rewrite("sources.bib", lambda b: b"", ("sources.bib", 1, "-")),
    "bib with a byte-order mark": _rewrite("sources.bib", lambda b: b"\xef\xbb\xbf" + b, ("sources.bib", 1, "-")),
    # the data dictionary itself
    "dictionary not UTF-8": _dictionary(lambda b: b.replace(b"Published", b"Publi\xe9", 1), line=4),
    "dictionary not JSON": _dictionary(lambda b: b[:200], line=4),
    "dictionary of the wrong shape": _dictionary(lambda b: b"[1, 2, 3]"),
    "dictionary without resources": _dictionary(lambda b: b"{}", field="resources"),
    "dictionary lacks a resource": _dictionary(_json(lambda d: d["resources"].pop(0)), field="resources"),
    "dictionary fields not a list": _dictionary(_json(lambda d: d["resources"][0]["schema"].update(fields=3)),
                                                field="resources[0].schema.fields"),
    "dictionary enum not a list": _dictionary(
        _json(lambda d: d["resources"][0]["schema"]["fields"][3]["constraints"].update(enum="x")),
        field="resources[0].schema.fields[3].constraints.enum"),
    "dictionary path outside the folder": _dictionary(_json(lambda d: d["resources"][0].update(path="../x.csv")),
                                                      field="resources[0].path"),
    "dictionary is a directory": _dictionary_directory,
    "dictionary is a symlink loop": _symlink_loop,
})


def test_there_are_at_least_sixty_named_cases():
    assert len(CORRUPTIONS) >= 60


@pytest.mark.parametrize("name", sorted(CORRUPTIONS))
def test_corruption_is_reported_with_file_line_field_and_nothing_changes(name, data_copy):
    expected = CORRUPTIONS[name](data_copy)
    before = digest(data_copy)
    problems = validate(data_copy)
    assert digest(data_copy) == before, "validate must not modify any file"
    found = [(p.file, p.line, p.field) for p in problems]
    assert expected in found, f"{name}: expected {expected}, got {[str(p) for p in problems]}"
    assert all(p.message for p in problems)
    # every problem prints on one line, whatever bytes the data holds
    assert all("\n" not in str(p) and "\x00" not in str(p) and "\x1b" not in str(p) for p in problems)
    # and load() refuses the data with the same report, as an error, not a traceback of its own
    with pytest.raises(glutedata.DataError):
        glutedata.load(data_copy)


ROOT_CAUSES = ["header only", "unknown column", "missing column", "empty bib", "semicolons", "unclosed quote",
               "dictionary lacks a resource", "non-UTF-8 bib", "unknown source key"]


@pytest.mark.parametrize("name", ROOT_CAUSES)
def test_one_root_cause_gives_problems_only_where_it_is(name, data_copy):
    file, line, _ = CORRUPTIONS[name](data_copy)
    problems = validate(data_copy)
    assert {p.file for p in problems} == {file}, [str(p) for p in problems]
    assert len(problems) <= 2, [str(p) for p in problems]


def test_unclosed_quote_is_reported_once_where_it_opens(data_copy):
    _unclosed_quote(data_copy)
    problems = validate(data_copy)
    assert [(p.line, p.field) for p in problems] == [(3, "-")], [str(p) for p in problems]


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
    problems = validate(data_copy)
    # one cause, one problem: every piece the study lacks is named on the screening row
    assert [(p.file, p.line, p.field) for p in problems] == [("screening.csv", n, "status")], problems
    assert problems[0].message == ("'ghost2020' is screened as extracted but has no rows in emg_activation.csv, "
                                   "no appraisal row in studies.csv and no entry in sources.bib")


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
