"""The command line prints plain tables and BibTeX."""

import os
import shutil
import subprocess
import sys

from glutedata.cli import main


def test_rank_prints_a_table(capsys):
    assert main(["rank", "--segment", "posterior", "--equipment", "none"]) == 0
    out = capsys.readouterr().out
    assert "single-leg-squat" in out and "moore2019a" in out and "estimate" in out and "certainty" in out


def test_rank_usage_error(capsys):
    assert main(["rank", "--segment", "sideways"]) == 2
    assert main(["rank", "--segment", "whole", "--weight-bearing", "maybe"]) == 2


def test_cite_bibtex_and_text(capsys):
    assert main(["cite", "moore2019a"]) == 0
    assert capsys.readouterr().out.startswith("@article{moore2019a,")
    assert main(["cite", "--exercise", "clamshell", "--format", "text"]) == 0
    assert "https://" in capsys.readouterr().out
    assert main(["cite", "nobody1999"]) == 2


def test_progression_gaps_dictionary(capsys):
    assert main(["progression", "--segment", "whole", "--equipment", "none"]) == 0
    assert "dosing" in capsys.readouterr().out
    assert main(["gaps"]) == 0
    assert "wall-press" in capsys.readouterr().out
    assert main(["dictionary"]) == 0
    assert "| pct\\_mvic | number | %MVIC |" in capsys.readouterr().out


def test_console_script_installed():
    exe = shutil.which("glutedata", path=os.path.dirname(sys.executable))
    assert exe, "the glutedata console script is not installed next to this Python"
    r = subprocess.run([exe, "validate"], capture_output=True, text=True)
    assert r.returncode == 0 and "valid" in r.stderr
