"""`glutedata check-submission`: filled-in templates checked against a scratch copy of the data, each problem at
the submitted file's own line; the data directory is never touched."""

import shutil
import subprocess

import pytest

import glutedata as gd
from glutedata.cli import main
from glutedata.data.submission import MARKER

from ..conftest import DATA, ROOT, digest

VALUES_HEADER = (ROOT / "contributing" / "values-template.csv").read_text(encoding="utf-8").splitlines()[0]
APPRAISAL_HEADER = (ROOT / "contributing" / "appraisal-template.csv").read_text(encoding="utf-8").splitlines()[0]
SCREENING_HEADER = (ROOT / "contributing" / "screening-template.csv").read_text(encoding="utf-8").splitlines()[0]
ROWS = [
    "inventa2025,clamshell,,gluteus_medius,whole,surface,mean,35,10,,,12,healthy,none,Table 2,35 ± 10,,plain clam",
    "inventa2025,clamshell,band at knees,gluteus_medius,whole,surface,mean,45,12,,,12,healthy,band,Table 2,45 ± 12,,",
    "inventa2025,side-lying-hip-abduction,,gluteus_medius,whole,surface,mean,50,12,,,12,healthy,none,Table 2,"
    "50 ± 12,,",
    "inventa2025,side-lying-hip-abduction,,gluteus_maximus,whole,surface,mean,20,8,,,12,healthy,none,Table 2,20 ± 8,,",
    "inventa2025,clamshell,,gluteus_maximus,whole,surface,mean,25,9,,,12,healthy,none,Table 2,25 ± 9,,",
    "inventa2025,clamshell,,tensor_fasciae_latae,whole,surface,mean,15,7,,,12,healthy,none,Table 2,15 ± 7,,",
]
APPRAISAL = "inventa2025,journal-article,surface,mvic,,%MVIC,true,,https://example.org/inventa,Table 2,made up"
SCREENING = "inventa2025,,An invented study,2025,extracted,means and SDs in Table 2,https://example.org/inventa"
BIB = """@article{inventa2025,
  author  = {Inventa, Ann},
  title   = {An invented study},
  journal = {Journal of Examples},
  year    = {2025},
  url     = {https://example.org/inventa}
}
"""


def _csv(path, header, rows, crlf=False, bom=False):
    end = "\r\n" if crlf else "\n"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + (end.join([header, *rows]) + end).encode("utf-8"))
    return path


@pytest.fixture
def submission(tmp_path):
    """The four filled-in templates of an invented study, clean."""
    folder = tmp_path / "submitted"
    folder.mkdir()
    (folder / "citation.bib").write_text(BIB, encoding="utf-8")
    return {"values": _csv(folder / "values.csv", VALUES_HEADER, ROWS),
            "appraisal": _csv(folder / "appraisal.csv", APPRAISAL_HEADER, [APPRAISAL]),
            "screening": _csv(folder / "screening.csv", SCREENING_HEADER, [SCREENING]),
            "bib": folder / "citation.bib"}


def _run(capsys, *argv):
    code = main(["check-submission", *map(str, argv)])
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err


def test_a_clean_submission_passes_with_its_preview_and_leaves_the_data_alone(submission, data_copy, capsys):
    before, repository = digest(data_copy), digest(DATA)
    code, out, err = _run(capsys, *submission.values(), "--data", data_copy)
    assert code == 0, out + [err]
    assert "merges with" in err and "validates" in err
    assert out[0].startswith("Where inventa2025's values land in rank() (population healthy")
    assert out[1].split()[:4] == ["muscle", "segment", "exercise", "variant"] and "estimate_without" in out[1]
    assert sum(line.lstrip().startswith(("gluteus_", "tensor_")) for line in out) == len(ROWS)
    assert digest(data_copy) == before and digest(DATA) == repository


def test_problems_stand_at_the_submitted_files_own_lines(submission, data_copy, capsys):
    rows = [*ROWS]
    rows[0] = rows[0].replace(",whole,", ",Whole,")
    rows[2] = rows[2].replace("Table 2", "table 2", 1)
    _csv(submission["values"], VALUES_HEADER, rows[:1] + [",,,,,,,,,,,,,,,,,"] + rows[1:])  # an empty row as line 3
    before = digest(data_copy)
    code, out, err = _run(capsys, submission["values"], submission["appraisal"], "--data", data_copy)
    assert code == 1
    values = str(submission["values"])
    assert out == [
        f"{values}:2: segment: 'Whole' is not one of: anterior, middle, posterior, superior, inferior, whole "
        "(did you mean 'whole'?)",
        f"{values}:2: source: 'inventa2025' has rows but is not in screening.csv and has no entry in sources.bib",
        f"{values}:5: locator: 'table 2': locator must be 'abstract' or 'Table N' (e.g. 'Table 2', 'Table 3b'); "
        "did you mean 'Table 2'?",
    ]
    assert "3 problem(s) in the submission" in err
    assert digest(data_copy) == before


def test_a_duplicate_names_the_line_of_the_data_it_repeats(submission, data_copy, capsys):
    line = next(i for i, r in enumerate((data_copy / "screening.csv").read_text().splitlines(), 1)
                if r.startswith("barton2014,"))
    _csv(submission["screening"], SCREENING_HEADER, [SCREENING, SCREENING.replace("inventa2025", "barton2014")])
    code, out, _ = _run(capsys, *submission.values(), "--data", data_copy)
    assert code == 1
    assert out == [f"{submission['screening']}:3: key: 'barton2014' already used on line {line} of "
                   f"{data_copy / 'screening.csv'}"]


def test_spreadsheet_exports_are_normalised_in_the_merged_copy_only(submission, data_copy, tmp_path, capsys):
    _csv(submission["values"], VALUES_HEADER, ROWS, crlf=True, bom=True)
    _csv(submission["appraisal"], APPRAISAL_HEADER, [APPRAISAL.replace(",true,", ",TRUE,")], crlf=True, bom=True)
    _csv(submission["screening"], SCREENING_HEADER, [SCREENING], crlf=True)
    before = digest(data_copy)
    out_dir = tmp_path / "merged"
    code, out, err = _run(capsys, *submission.values(), "--data", data_copy, "--out", out_dir)
    assert code == 0, out + [err]
    assert digest(data_copy) == before
    assert gd.validate(out_dir) == []
    studies = (out_dir / "studies.csv").read_bytes()
    assert studies.endswith(APPRAISAL.encode() + b"\n") and b"\r" not in studies and b"TRUE" not in studies
    values = (out_dir / "emg_activation.csv").read_bytes()
    assert b"\xef\xbb\xbf" not in values and b"\r" not in values
    assert values.endswith(("\n".join(ROWS) + "\n").encode())


def test_out_refuses_a_foreign_folder_and_the_data_but_reuses_its_own(submission, data_copy, tmp_path, capsys):
    foreign = tmp_path / "notes"
    foreign.mkdir()
    (foreign / "mine.txt").write_text("keep me", encoding="utf-8")
    before = digest(data_copy)
    for target in (foreign, data_copy, data_copy / "sub", tmp_path):
        code, _, err = _run(capsys, *submission.values(), "--data", data_copy, "--out", target)
        assert code == 2, target
        assert "Traceback" not in err and err.count("\n") == 1
    assert (foreign / "mine.txt").read_text(encoding="utf-8") == "keep me" and digest(data_copy) == before
    own = tmp_path / "merged"
    for _ in range(2):  # its own output may be written again
        assert _run(capsys, *submission.values(), "--data", data_copy, "--out", own)[0] == 0
    assert (own / MARKER).is_file() and gd.validate(own) == []


def test_patch_applies_to_the_data_and_gives_the_merged_folder(submission, data_copy, tmp_path, capsys):
    patch_file, merged = tmp_path / "add-inventa2025.diff", tmp_path / "merged"
    code, _, err = _run(capsys, *submission.values(), "--data", data_copy, "--patch", patch_file, "--out", merged)
    assert code == 0, err
    text = patch_file.read_text(encoding="utf-8")
    assert "+++ b/data/emg_activation.csv" in text and "+@article{inventa2025," in text
    if not shutil.which("patch"):
        pytest.skip("the patch program is not installed")
    target = tmp_path / "checkout"
    shutil.copytree(data_copy, target / "data")
    r = subprocess.run(["patch", "-p1", "-i", str(patch_file)], cwd=target, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert digest(target / "data") == {k: v for k, v in digest(merged).items() if k != MARKER}


def test_patch_refuses_a_foreign_file_and_nothing_is_written_with_problems(submission, data_copy, tmp_path, capsys):
    notes = tmp_path / "notes.diff"
    notes.write_text("my own diff\n", encoding="utf-8")
    assert _run(capsys, *submission.values(), "--data", data_copy, "--patch", notes)[0] == 2
    assert notes.read_text(encoding="utf-8") == "my own diff\n"
    assert _run(capsys, *submission.values(), "--data", data_copy, "--patch", data_copy / "x.diff")[0] == 2
    _csv(submission["values"], VALUES_HEADER, [ROWS[0].replace("35,10", "abc,10")])
    fresh, folder = tmp_path / "fresh.diff", tmp_path / "fresh"
    code, _, err = _run(capsys, *submission.values(), "--data", data_copy, "--patch", fresh, "--out", folder)
    assert code == 1 and "nothing was written" in err
    assert not fresh.exists() and not folder.exists()


def test_files_that_are_no_template(data_copy, tmp_path, capsys):
    semicolons = tmp_path / "values.csv"
    semicolons.write_text(VALUES_HEADER.replace(",", ";") + "\n" + ROWS[0].replace(",", ";") + "\n", encoding="utf-8")
    workbook = tmp_path / "values.xlsx"
    workbook.write_bytes(b"PK\x03\x04 a zipped workbook")
    other = tmp_path / "other.csv"
    other.write_text("foo,bar\n1,2\n", encoding="utf-8")
    renamed = _csv(tmp_path / "appraisal.csv", APPRAISAL_HEADER.replace(",notes", ",note"), [APPRAISAL])
    empty = _csv(tmp_path / "screening.csv", SCREENING_HEADER, [",,,,,,"])
    code, out, _ = _run(capsys, semicolons, workbook, other, renamed, empty, "--data", data_copy)
    assert code == 1
    assert out.pop() == f"{empty}:1: -: the file has a header but no rows"
    assert out[0] == f"{semicolons}:1: -: fields are separated by ';'; use ',' (comma-separated UTF-8)"
    assert out[1].startswith(f"{workbook}:1: -: a spreadsheet file, not CSV")
    assert out[2].startswith(f"{other}:1: -: its header is that of no template")
    # a misspelt column is one problem, not also a missing one
    assert out[3:] == [f"{renamed}:1: note: unknown column (did you mean 'notes'?); the appraisal template's "
                       "columns are: " + APPRAISAL_HEADER.replace(",", ", ")]


def test_usage_errors(data_copy, submission, capsys):
    assert main(["check-submission"]) == 2
    assert _run(capsys, data_copy / "nowhere.csv", "--data", data_copy)[0] == 2
    assert _run(capsys, submission["values"], submission["values"], "--data", data_copy)[0] == 2
    assert _run(capsys, data_copy / "studies.csv", "--data", data_copy)[0] == 2


def test_warnings_are_printed_and_do_not_fail(submission, data_copy, capsys):
    rows = [*ROWS]
    rows[1] = rows[1].replace(",12,healthy,band", ",11,healthy,band")  # an SD typed into n
    rows[0] = rows[0].replace("plain clam", "where in the table: row and column words")
    _csv(submission["values"], VALUES_HEADER, rows)
    code, out, err = _run(capsys, *submission.values(), "--data", data_copy)
    assert code == 0 and "2 warning(s)" in err
    values = str(submission["values"])
    assert out[:2] == [
        f"{values}:2: notes: warning: 'where in the table: row and column words' still holds the template's "
        "placeholder text ('row and column words'): replace it with what the page says",
        f"{values}:3: n: warning: n 11 differs from the n of inventa2025's other healthy rows (12): check that an "
        "SD or another number was not typed into n",
    ]


def test_the_unchanged_templates_give_a_warning_for_every_placeholder(data_copy, capsys):
    templates = sorted((ROOT / "contributing").iterdir())
    code, out, _ = _run(capsys, *templates, "--data", data_copy)
    assert code == 1  # the templates' urls and values are empty or unfinished on purpose
    warned = {(line.split(":")[0].rsplit("/", 1)[-1], line.split(": ")[1]) for line in out if ": warning: " in line}
    assert warned == {("appraisal-template.csv", "key"), ("appraisal-template.csv", "notes"),
                      ("citation-template.bib", "key"), ("citation-template.bib", "author"),
                      ("citation-template.bib", "title"), ("citation-template.bib", "journal"),
                      ("screening-template.csv", "key"), ("screening-template.csv", "title"),
                      ("screening-template.csv", "reason"), ("values-template.csv", "source"),
                      ("values-template.csv", "notes")}
