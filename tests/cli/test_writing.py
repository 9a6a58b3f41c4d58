"""Nothing lost: the commands that write files refuse what glutedata did not write, never write into the data,
and replace each file whole."""

import hashlib

import nbformat
import pytest

from glutedata.cli import main
from glutedata.publish import site

from ..conftest import DATA, ROOT


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("\n") == 1, err
    return err


@pytest.mark.parametrize("force", [[], ["--force"]])
def test_handout_never_writes_into_the_data(force, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    before = _sha(DATA / "emg_activation.csv")
    assert main(["handout", "--segment", "whole", "--out", "data/emg_activation.csv", *force]) == 2
    assert "inside the data directory" in _one_line_error(capsys)
    assert _sha(DATA / "emg_activation.csv") == before
    out = tmp_path / "sheet.html"
    assert main(["handout", "--segment", "whole", "--out", str(out), "--pdf", "data/x.pdf", *force]) == 2
    assert "inside the data directory" in _one_line_error(capsys)
    assert not (DATA / "x.pdf").exists() and not out.exists()


def test_handout_refuses_a_file_it_did_not_write(tmp_path, capsys):
    notes = tmp_path / "notes.html"
    notes.write_text("<p>my notes</p>\n", encoding="utf-8")
    assert main(["handout", "--segment", "whole", "--out", str(notes)]) == 2
    assert "not written by glutedata" in _one_line_error(capsys) and notes.read_text() == "<p>my notes</p>\n"
    assert main(["handout", "--segment", "whole", "--out", str(tmp_path)]) == 2
    assert "is a folder" in _one_line_error(capsys)
    assert main(["handout", "--segment", "whole", "--out", str(notes), "--force"]) == 0
    assert "Your hip exercises" in notes.read_text(encoding="utf-8")


def test_handout_replaces_its_own_output(tmp_path, capsys):
    out = tmp_path / "sheet.html"
    assert main(["handout", "--segment", "whole", "--out", str(out), "--title", "First"]) == 0
    assert '<meta name="generator" content="glutedata ' in out.read_text(encoding="utf-8")
    assert main(["handout", "--segment", "whole", "--out", str(out), "--title", "Second"]) == 0
    assert main(["handout", "--segment", "whole", "--out", str(out), "--title", "Third", "--force"]) == 0
    text = out.read_text(encoding="utf-8")
    assert "<h1>Third</h1>" in text and "First" not in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sheet.html"]  # no temporary file left behind


def test_an_existing_pdf_is_replaced_only_when_forced(tmp_path, capsys, monkeypatch):
    import glutedata.publish.handout as handout
    pdf = tmp_path / "sheet.pdf"
    pdf.write_bytes(b"%PDF-1.4 someone else's\n")

    def fake_print(html, target):
        pdf.write_bytes(b"%PDF-1.4 printed\n")
        return pdf
    monkeypatch.setattr(handout, "print_pdf", fake_print)
    argv = ["handout", "--segment", "whole", "--out", str(tmp_path / "sheet.html"), "--pdf", str(pdf)]
    assert main(argv) == 2
    assert "use --force" in _one_line_error(capsys)
    assert pdf.read_bytes() == b"%PDF-1.4 someone else's\n" and not (tmp_path / "sheet.html").exists()
    assert main([*argv, "--force"]) == 0 and pdf.read_bytes() == b"%PDF-1.4 printed\n"
    assert main(["handout", "--segment", "whole", "--out", str(pdf), "--pdf", str(pdf), "--force"]) == 2


def test_build_site_refuses_a_folder_that_holds_no_site(tmp_path, capsys):
    mine = tmp_path / "thesis"
    mine.mkdir()
    (mine / "chapter1.tex").write_text("my thesis", encoding="utf-8")
    notebooks = str(ROOT / "notebooks")
    assert main(["build-site", "--notebooks", notebooks, "--out", str(mine)]) == 2
    assert "not empty" in _one_line_error(capsys)
    assert sorted(p.name for p in mine.iterdir()) == ["chapter1.tex"]
    for out in ("data", "data/site"):
        assert main(["build-site", "--notebooks", notebooks, "--out", str(ROOT / out), "--force"]) == 2
        assert "inside the data directory" in _one_line_error(capsys)
    assert main(["build-site", "--notebooks", notebooks, "--out", str(tmp_path / "s"),
                 "--cache-dir", str(DATA / "cache")]) == 2
    assert "inside the data directory" in _one_line_error(capsys)
    assert not (DATA / "site").exists() and not (DATA / "cache").exists()


def test_build_site_marks_its_folder_and_builds_into_it_again(tmp_path, capsys):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Home")]
    nbformat.write(nb, notebooks / "00-index.ipynb")
    out, cache = tmp_path / "site", tmp_path / "cache"
    argv = ["build-site", "--notebooks", str(notebooks), "--out", str(out), "--cache-dir", str(cache)]
    assert main(argv) == 0
    assert (out / site.SITE_MARKER).is_file() and site.is_site(out)
    assert main(argv) == 0  # its own folder: no --force needed
    assert not list(out.rglob(".*.tmp"))
