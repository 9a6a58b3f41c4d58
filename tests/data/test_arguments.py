"""Mistaken input: a typo is an error naming the valid values, never an empty answer; no tracebacks."""

import subprocess
import sys

import pandas as pd
import pytest

import glutedata as gd
from glutedata.cli import main
from glutedata.data.arguments import vocabulary

from ..conftest import edit_cell

TYPOS = [
    ("rank", ("posteriour",), {}, "segment", "posterior"),
    ("rank", ("Posterior",), {}, "segment", "posterior"),
    ("rank", ("posterior",), {"equipment": "bands"}, "equipment", "band"),
    ("rank", ("whole",), {"muscle": "gluteus medius"}, "muscle", "gluteus_medius"),
    ("rank", ("whole",), {"position": "sidelying"}, "position", "side-lying"),
    ("rank", ("whole",), {"population": "helthy"}, "population", "healthy"),
    ("rank", ("whole",), {"statistic": "medain"}, "statistic", "median"),
    ("rank", ("whole",), {"emg": "finewire"}, "emg", "fine-wire"),
    ("rank", ("whole",), {"equipment": ["none", "Band"]}, "equipment", "band"),
    ("progression", ("posteriour",), {}, "segment", "posterior"),
    ("progression", ("whole",), {"equipment": "dumbell"}, "equipment", "dumbbell"),
    ("progression", ("whole",), {"muscle": "gluteus_medus"}, "muscle", "gluteus_medius"),
    ("progression", ("whole",), {"population": "Healthy"}, "population", "healthy"),
]


@pytest.mark.parametrize("func, args, kwargs, argument, meant", TYPOS)
def test_typos_raise_with_a_suggestion_and_the_valid_values(func, args, kwargs, argument, meant, df):
    with pytest.raises(ValueError) as err:
        getattr(gd, func)(*args, df=df, **kwargs)
    message = str(err.value)
    assert message.startswith(f"{argument}=") and f"did you mean '{meant}'?" in message
    assert "valid values:" in message and meant in message.split("valid values:")[1]
    assert "\n" not in message


@pytest.mark.parametrize("kwargs", [{"muscle": "gluteus medius"}, {"segment": "Posterior"}, {"emg": "emg"},
                                    {"population": "helthy"}, {"statistic": "avg"}, {"exercise": "clam-shell"},
                                    {"position": "sidelying"}, {"equipment": "bands"}])
def test_filter_rows_checks_every_criterion(kwargs, df):
    with pytest.raises(ValueError, match="valid values"):
        gd.filter_rows(df, **kwargs)


@pytest.mark.parametrize("value", ["yes", "true", 1, ["yes"]])
def test_weight_bearing_takes_booleans_only(value, df):
    with pytest.raises(ValueError, match="weight_bearing must be True or False"):
        gd.rank("whole", weight_bearing=value, df=df)


def test_segment_must_belong_to_the_muscle(df):
    with pytest.raises(ValueError, match="not a segment of gluteus_medius; valid values: anterior, middle"):
        gd.rank("superior", df=df)
    assert not gd.rank("whole", "gluteus_maximus", df=df).empty


def test_a_gap_is_an_empty_answer_that_says_so(df):
    # valid values that no study has measured together
    gap = gd.rank("anterior", equipment="kettlebell", df=df)
    assert gap.empty and "no study" in gap.attrs["empty_reason"]
    text = gd.summarise(gap, "the anterior GMed with a kettlebell")
    assert text.startswith("No study in the dataset has measured") and "evidence gap" in text


def test_a_users_own_frame_may_hold_new_values(df):
    mine = df.copy()
    mine["population"] = mine["population"].astype(str).replace("healthy", "runners")
    assert not gd.rank("whole", population="runners", df=mine).empty
    with pytest.raises(ValueError, match="did you mean 'runners'"):
        gd.rank("whole", population="runner", df=mine)


def test_band_and_cite_reject_wrong_types_with_one_line():
    for call in (lambda: gd.band("high"), lambda: gd.band(True), lambda: gd.band(["a", 1]),
                 lambda: gd.cite(None), lambda: gd.cite(42), lambda: gd.references([None]),
                 lambda: gd.cite(["nobody1999"]), lambda: gd.summarise("top")):
        with pytest.raises(ValueError) as err:
            call()
        assert "\n" not in str(err.value) and str(err.value)


def test_loaders_raise_data_errors_for_missing_files(data_copy, tmp_path):
    for name, loader in (("exercises.csv", gd.exercises), ("sources.bib", gd.sources),
                         ("screening.csv", gd.screening), ("studies.csv", gd.studies)):
        (data_copy / name).rename(data_copy / (name + ".away"))
        with pytest.raises(gd.DataError, match=name):
            loader(data_copy)
        (data_copy / (name + ".away")).rename(data_copy / name)
    for loader in (gd.load, gd.exercises, gd.sources, gd.screening, gd.studies, gd.metadata):
        with pytest.raises(gd.DataError, match="no such data directory"):
            loader(tmp_path / "nowhere")


def test_load_reads_what_validate_accepts(data_copy):
    # numbers Python's float() would take but the dictionary does not are rejected, not read as missing
    for bad in ("4_8", "４８", "1e999", "nan"):
        edit_cell(data_copy / "emg_activation.csv", 2, "pct_mvic", bad)
        with pytest.raises(gd.DataError, match="pct_mvic"):
            gd.load(data_copy)
    edit_cell(data_copy / "emg_activation.csv", 2, "pct_mvic", "+4.8e1")
    edit_cell(data_copy / "emg_activation.csv", 2, "as_printed", "48% ± 11,321")
    edit_cell(data_copy / "emg_activation.csv", 2, "n", "0012")
    loaded = gd.load(data_copy)
    assert loaded.loc[0, "pct_mvic"] == 48.0 and loaded.loc[0, "n"] == 12


CLI_TYPOS = [
    (["rank", "--segment", "posteriour"], "did you mean 'posterior'"),
    (["rank", "--segment", "whole", "--muscle", "gluteus medius"], "did you mean 'gluteus_medius'"),
    (["rank", "--segment", "whole", "--equipment", "bands"], "did you mean 'band'"),
    (["rank", "--segment", "whole", "--position", "sidelying"], "did you mean 'side-lying'"),
    (["rank", "--segment", "whole", "--population", "helthy"], "did you mean 'healthy'"),
    (["rank", "--segment", "whole", "--emg", "Surface"], "did you mean 'surface'"),
    (["progression", "--segment", "whole", "--equipment", "bands"], "did you mean 'band'"),
    (["cite", "--exercise", "clamshel"], "did you mean 'clamshell'"),
    (["cite", "nobody1999"], "not in sources.bib"),
    (["dictionary", "--data", "/nonexistent"], "no such data directory"),
    (["rank", "--segment", "whole", "--data", "/nonexistent"], "no such data directory"),
    (["build-site", "--notebooks", "/nonexistent"], "no such notebooks folder"),
]


@pytest.mark.parametrize("argv, says", CLI_TYPOS)
def test_cli_usage_errors_exit_2_with_one_clear_line(argv, says, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err


def test_cli_cite_of_an_unmeasured_exercise_is_not_the_whole_bibliography(capsys):
    assert main(["cite", "--exercise", "wall-press"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "no study in the dataset has measured wall-press" in err


def test_cli_takes_its_choices_from_the_dictionary(capsys):
    assert main(["rank", "--help"]) == 0
    help_text = capsys.readouterr().out
    for value in vocabulary("equipment") + vocabulary("position"):
        assert value in help_text


def test_build_site_on_invalid_data_stops_with_the_validation_report(data_copy, tmp_path, capsys):
    edit_cell(data_copy / "emg_activation.csv", 2, "segment", "posteriour")
    import os
    os.environ["GLUTEDATA_DATA"] = str(data_copy)
    try:
        assert main(["build-site", "--notebooks", "notebooks", "--out", str(tmp_path / "site")]) == 1
    finally:
        del os.environ["GLUTEDATA_DATA"]
    out, err = capsys.readouterr()
    assert "emg_activation.csv:2: segment: 'posteriour' is not one of" in out
    assert "the site was not built" in err and "Traceback" not in out + err
    assert not (tmp_path / "site").exists()


@pytest.mark.parametrize("payload", ['[1, 2]', '{"resources": 3}', '{"resources": [{"name": "x"}]}'])
def test_validate_command_on_a_malformed_dictionary(payload, data_copy):
    (data_copy / "datapackage.json").write_text(payload, encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "glutedata", "validate", str(data_copy)], capture_output=True, text=True)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stdout.startswith("datapackage.json:1: ") and len(r.stdout.splitlines()) == 1


def test_cli_output_keeps_control_characters_inert(data_copy, capsys):
    edit_cell(data_copy / "emg_activation.csv", 2, "notes", "ok")
    # a terminal escape smuggled into a .bib title (validation would reject markup, not this)
    bib = (data_copy / "sources.bib").read_text(encoding="utf-8")
    (data_copy / "sources.bib").write_text(bib.replace("title   = {", "title   = {\x1b[2J", 1), encoding="utf-8")
    main(["cite", "--data", str(data_copy), "--format", "text", "arayabaltra2011"])
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\\x1b[2J" in out


def test_empty_frames_and_unknown_columns_in_pool():
    with pytest.raises(ValueError, match="pool"):
        gd.pool(pd.DataFrame())
    with pytest.raises(ValueError, match="nope"):
        gd.pool(by=("exercise", "nope"))


def test_cli_rank_consensus_and_include_flagged(capsys):
    assert main(["rank", "--segment", "whole", "--consensus"]) == 0
    out = capsys.readouterr().out
    assert "p_score" in out and "model:" in out and "reference:" in out
    assert main(["rank", "--segment", "whole", "--consensus", "--reference", "clamshel"]) == 2
    assert "did you mean 'clamshell'" in capsys.readouterr().err
    assert main(["rank", "--segment", "whole"]) == 0
    plain = capsys.readouterr().out
    assert "certainty" in plain and "Left out for appraisal concerns" in plain
    assert main(["rank", "--segment", "whole", "--include-flagged"]) == 0
    assert "star-excursion-balance" in capsys.readouterr().out and "star-excursion-balance" not in plain


NUMERIC = [  # (call, argument named in the message)
    (lambda v: gd.gaps(max_studies=v), "max_studies"),
    (lambda v: gd.handout("whole", steps=v), "steps"),
]


@pytest.mark.parametrize("call, argument", NUMERIC)
@pytest.mark.parametrize("value", [-1, 1.5, "2", True, None, float("nan")])
def test_numeric_arguments_reject_wrong_types_and_ranges(call, argument, value):
    if argument == "steps" and value == -1:
        value = 0
    with pytest.raises(ValueError) as err:
        call(value)
    message = str(err.value)
    assert message.startswith(f"{argument} must be") and "\n" not in message, message


def test_gaps_counts_with_any_whole_number_of_studies(df):
    assert gd.gaps(df, max_studies=0)["k"].eq(0).all()
    assert len(gd.gaps(df, max_studies=10**6)) >= len(gd.gaps(df, max_studies=1))
    with pytest.raises(ValueError, match="seed_only must be True or False"):
        gd.gaps(df, seed_only="yes")


def test_range_checks_name_the_argument_and_the_range():
    from glutedata.data.ranges import number_in, whole_number
    assert whole_number("n_boot", 1000, 1) == 1000 and whole_number("seed", __import__("numpy").int64(3)) == 3
    with pytest.raises(ValueError, match=r"^n_boot must be a whole number of at least 1, got 0$"):
        whole_number("n_boot", 0, 1)
    with pytest.raises(ValueError, match=r"^steps must be a whole number from 1 to 50, got 2\.0$"):
        whole_number("steps", 2.0, 1, 50)
    assert number_in("level", 0.9, 0, 1, open_low=True, open_high=True) == 0.9
    for bad in (0, 1, 1.5, float("inf"), True, "0.9"):
        with pytest.raises(ValueError, match=r"^level must be a number strictly between 0 and 1, got "):
            number_in("level", bad, 0, 1, open_low=True, open_high=True)


@pytest.mark.parametrize("argv", [["handout", "--segment", "whole", "--steps", "0"],
                                  ["handout", "--segment", "whole", "--steps", "two"],
                                  ["rank", "--segment", "whole", "--consensus", "--seed", "-1"],
                                  ["build-site", "--timeout", "0"]])
def test_cli_numbers_out_of_range_are_usage_errors(argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "expected a whole number of at least" in err and "Traceback" not in err
