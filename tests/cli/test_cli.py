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
    assert main(["dictionary", "--markdown"]) == 0
    assert "| pct\\_mvic | number | %MVIC |" in capsys.readouterr().out


def test_dictionary_is_plain_text_in_a_terminal(capsys):
    assert main(["dictionary"]) == 0
    out = capsys.readouterr().out
    assert "pct_mvic (number, unit %MVIC, required)" in out and "emg_activation.csv" in out
    assert "\\_" not in out and "|---|" not in out and "### " not in out


def test_dictionary_text_keeps_control_characters_inert(data_copy, capsys):
    import json
    path = data_copy / "datapackage.json"
    d = json.loads(path.read_text(encoding="utf-8"))
    d["resources"][0]["schema"]["fields"][0]["description"] = "red \x1b[31malert\x07 and a\nnew line"
    path.write_text(json.dumps(d), encoding="utf-8")
    for argv in (["dictionary", "--data", str(data_copy)], ["dictionary", "--markdown", "--data", str(data_copy)]):
        assert main(argv) == 0
        out = capsys.readouterr().out
        assert "\x1b" not in out and "\x07" not in out and "\\x1b" in out and "\\x07" in out


def test_help_names_only_commands_that_exist(capsys):
    from glutedata import cli
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    commands = set(cli._parser()._subparsers._group_actions[0].choices)
    assert commands == {"validate", "check-submission", "rank", "progression", "cite", "gaps", "dictionary", "stamp",
                        "handout", "build-site"}
    named = set(cli.__doc__.split("\n\n", 1)[0].replace("glutedata's command line:", "").replace("\n", " ")
                .replace(".", "").replace(" ", "").split(","))
    assert named == commands and "pool," not in out and ",pool" not in out


def test_console_script_installed():
    exe = shutil.which("glutedata", path=os.path.dirname(sys.executable))
    assert exe, "the glutedata console script is not installed next to this Python"
    r = subprocess.run([exe, "validate"], capture_output=True, text=True)
    assert r.returncode == 0 and "valid" in r.stderr


def test_no_interval_the_cli_prints_is_below_zero(capsys):
    import re
    for muscle, segments in (("gluteus_medius", ("anterior", "middle", "posterior", "whole")),
                             ("gluteus_minimus", ("anterior", "posterior")), ("gluteus_maximus", ("whole",)),
                             ("tensor_fasciae_latae", ("whole",))):
        for segment in segments:
            for command in ("rank", "progression"):
                for extra in ([], ["--include-flagged"], ["--population", "all"]):
                    assert main([command, "--segment", segment, "--muscle", muscle, *extra]) == 0
                    text = capsys.readouterr().out
                    assert not re.search(r"(?<![\w.])-\d", text), (command, muscle, segment, extra, text)


def test_validate_study_shows_its_warnings_and_the_scope_of_its_preview(data_copy, capsys):
    from ..conftest import digest, edit_cell
    lines = (data_copy / "emg_activation.csv").read_text(encoding="utf-8").splitlines()
    barton = [i for i, r in enumerate(lines, 1) if r.startswith("barton2014,")]
    other = next(i for i, r in enumerate(lines, 1) if r.startswith("youdas2015,"))
    edit_cell(data_copy / "emg_activation.csv", barton[1], "n", "9")  # an SD typed into n
    edit_cell(data_copy / "emg_activation.csv", other, "notes", "row and column words")  # another study's warning
    before = digest(data_copy)
    assert main(["validate", str(data_copy), "--study", "barton2014"]) == 0
    captured = capsys.readouterr()
    out = captured.out.splitlines()
    assert out[0] == (f"emg_activation.csv:{barton[1]}: n: warning: n 9 differs from the n of barton2014's other "
                      "healthy rows (19): check that an SD or another number was not typed into n")
    assert not any(line.startswith(f"emg_activation.csv:{other}:") for line in out)
    assert "has no problems; 1 warning(s)" in captured.err
    assert out[1].startswith("Where barton2014's values land in rank() (population healthy; studies with appraisal "
                             "concerns left out; means before medians before peaks)")
    assert out[2].split() == ["muscle", "segment", "exercise", "variant", "statistic", "population", "value",
                              "estimate_without", "estimate_with", "place_without", "place_with", "k_with", "note"]
    assert len(out) == 3 + len(barton)
    assert main(["validate", str(data_copy), "--study", "fatima2020", "--population", "all",
                 "--include-flagged"]) == 0
    assert "(every population; flagged studies kept;" in capsys.readouterr().out
    assert main(["validate", str(data_copy), "--study", "fatima2020", "--population", "helthy"]) == 2
    assert digest(data_copy) == before
