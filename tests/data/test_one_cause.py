"""One problem per root cause, said in plain words; warnings beside the problems, never among them."""

import json
import re

import pytest

import glutedata as gd
from glutedata.data.schema import dictionary_text, read_schema
from glutedata.data.validate import validate_with_warnings

from ..conftest import DATA, digest, edit_cell

HEADER = (DATA / "emg_activation.csv").read_text(encoding="utf-8").splitlines()[0]


def _append(path, *rows):
    with open(path, "a", encoding="utf-8") as f:
        f.write("".join(r + "\n" for r in rows))
    return len(path.read_text(encoding="utf-8").splitlines()) - len(rows) + 1  # the first appended line


def _row(key="inventa2025", exercise="clamshell", muscle="gluteus_medius", segment="whole", n="12", variant=""):
    return f"{key},{exercise},{variant},{muscle},{segment},surface,mean,35,10,,,{n},healthy,none,Table 2,35 ± 10,,"


def test_a_segment_typo_is_one_problem_with_its_suggestion(data_copy):
    line = _append(data_copy / "emg_activation.csv", _row(key="barton2014", segment="Whole", variant="new"))
    problems = [p for p in gd.validate(data_copy) if p.line == line]
    assert [(p.field, p.message) for p in problems] == [
        ("segment", "'Whole' is not one of: anterior, middle, posterior, superior, inferior, whole "
                    "(did you mean 'whole'?)")]


def test_a_segment_of_another_muscle_is_still_reported(data_copy):
    edit_cell(data_copy / "emg_activation.csv", 2, "segment", "posterior")
    edit_cell(data_copy / "emg_activation.csv", 2, "muscle", "tensor_fasciae_latae")
    assert [(p.line, p.field, p.message) for p in gd.validate(data_copy)] == [
        (2, "segment", "'posterior' is not a segment of tensor_fasciae_latae (allowed: whole)")]


def test_a_study_without_its_other_pieces_is_one_line_at_its_first_row(data_copy):
    rows = [_row(exercise=e, muscle=m) for e in ("clamshell", "side-lying-hip-abduction")
            for m in ("gluteus_medius", "gluteus_maximus", "tensor_fasciae_latae")]
    first = _append(data_copy / "emg_activation.csv", *rows)
    problems = gd.validate(data_copy)
    assert [(p.file, p.line, p.field) for p in problems] == [("emg_activation.csv", first, "source")]
    assert problems[0].message == ("'inventa2025' has rows but is not in screening.csv, has no appraisal row in "
                                   "studies.csv and has no entry in sources.bib")


def test_each_piece_added_leaves_only_the_others(data_copy):
    first = _append(data_copy / "emg_activation.csv", _row(), _row(exercise="side-lying-hip-abduction"))
    _append(data_copy / "screening.csv", "inventa2025,,An invented study,2025,extracted,test,https://example.org/x")
    assert [str(p) for p in gd.validate(data_copy)] == [
        f"emg_activation.csv:{first}: source: 'inventa2025' has rows but has no appraisal row in studies.csv and "
        "has no entry in sources.bib"]
    # an appraisal row whose study is not screened is the same cause, said once at the rows
    text = (data_copy / "screening.csv").read_text(encoding="utf-8")
    (data_copy / "screening.csv").write_text(text.replace(",extracted,test,", ",excluded,test,"), encoding="utf-8")
    _append(data_copy / "studies.csv", "inventa2025,journal-article,surface,mvic,,%MVIC,true,,https://example.org/x,"
                                       "Table 2,")
    assert [str(p) for p in gd.validate(data_copy)] == [
        f"emg_activation.csv:{first}: source: 'inventa2025' has rows but is not screened as extracted in "
        "screening.csv (status 'excluded') and has no entry in sources.bib"]


def test_an_appraisal_of_an_unscreened_study_without_rows_is_still_reported(data_copy):
    line = _append(data_copy / "studies.csv", "ghost2020,journal-article,surface,mvic,,%MVIC,true,,"
                                              "https://example.org/x,Table 2,")
    assert [(p.file, p.line, p.field) for p in gd.validate(data_copy)] == [("studies.csv", line, "key")]


@pytest.mark.parametrize("file, field, value, message", [
    ("emg_activation.csv", "locator", "table 2",
     "'table 2': locator must be 'abstract' or 'Table N' (e.g. 'Table 2', 'Table 3b'); did you mean 'Table 2'?"),
    ("emg_activation.csv", "exercise", "Single Leg Squat",
     "'Single Leg Squat': exercise must be an exercise id: lower-case letters and digits in words joined by single "
     "hyphens (e.g. 'single-leg-squat'); did you mean 'single-leg-squat'?"),
    ("studies.csv", "appraisal_locator", "Table 3, abstract",
     "'Table 3, abstract': appraisal_locator must be 'abstract', 'Methods' or 'Table N', several joined by '; ' "
     "(e.g. 'Table 3; abstract')"),
    ("screening.csv", "url", "www.example.org",
     "'www.example.org': url must be a web address starting with http:// or https://, with no spaces, quotes, < > "
     "or `"),
])
def test_patterns_are_said_in_plain_words(data_copy, file, field, value, message):
    edit_cell(data_copy / file, 2, field, value)
    problems = [p for p in gd.validate(data_copy) if (p.file, p.line, p.field) == (file, 2, field)]
    assert [p.message for p in problems] == [message]


def test_no_message_shows_a_regular_expression(data_copy):
    for file, field in (("emg_activation.csv", "source"), ("emg_activation.csv", "inferred"),
                        ("exercises.csv", "id"), ("studies.csv", "key"), ("studies.csv", "appraisal_url")):
        edit_cell(data_copy / file, 2, field, "Not Valid!")
    problems = gd.validate(data_copy)
    assert problems and not [str(p) for p in problems if re.search(r"\^|\$|\[a-z|pattern", p.message)]


def test_every_pattern_of_the_dictionary_is_described():
    d = json.loads((DATA / "datapackage.json").read_text(encoding="utf-8"))
    fields = [f for r in d["resources"] for f in r.get("schema", {}).get("fields", [])]
    patterned = [f for f in fields if "pattern" in f.get("constraints", {})]
    assert len(patterned) >= 9 and all(f.get("pattern_description") for f in patterned)
    # the terminal's dictionary shows the words, not the expression
    text = dictionary_text(read_schema(DATA))
    assert "allowed: 'abstract' or 'Table N'" in text and "^(" not in text


def test_warnings_are_kept_apart_from_problems(data_copy):
    assert validate_with_warnings(DATA) == ([], [])
    # barton2014's rows give n 19
    rows = [_row(key="barton2014", variant=f"v{i}", n=n) for i, n in enumerate("19 19 4".split())]
    first = _append(data_copy / "emg_activation.csv", *rows)
    edit_cell(data_copy / "emg_activation.csv", first, "notes", "anything the page leaves unsaid")
    before = digest(data_copy)
    problems, warnings = validate_with_warnings(data_copy)
    assert gd.validate(data_copy) == problems
    assert [(w.line, w.field) for w in warnings if w.line >= first] == [(first, "notes"), (first + 2, "n")]
    assert digest(data_copy) == before


def test_validate_prints_warnings_and_still_exits_0(data_copy, capsys):
    from glutedata.cli import main
    _append(data_copy / "emg_activation.csv", _row(key="barton2014", variant="a", n="19"),
            _row(key="barton2014", variant="b", n="20"))
    assert main(["validate", str(data_copy)]) == 0
    captured = capsys.readouterr()
    assert any(": n: warning: n 20 differs from the n of barton2014's other healthy rows (19)" in line
               for line in captured.out.splitlines())
    assert "is valid; 1 warning(s)" in captured.err


def test_a_misspelt_column_is_one_problem_with_the_name_it_stands_for(data_copy):
    path = data_copy / "emg_activation.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("pct_mvic", "pct_mvc", 1), encoding="utf-8")
    problems = gd.validate(data_copy)
    assert [(p.line, p.field) for p in problems] == [(1, "pct_mvc")]
    assert "did you mean 'pct_mvic'" in problems[0].message
    # a column name that stands for nothing: unknown, and the one it replaced is missing
    path.write_text(path.read_text(encoding="utf-8").replace("pct_mvc", "zzz", 1), encoding="utf-8")
    assert sorted((p.field, p.message.split(";")[0]) for p in gd.validate(data_copy)) == [
        ("pct_mvic", "missing column"), ("zzz", "unknown column")]
