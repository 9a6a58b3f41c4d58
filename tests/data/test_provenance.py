"""Provenance to the cell: as_printed against the values, inferred against the fields."""

import csv

import pytest

import glutedata as gd
from glutedata.data.provenance import printed_numbers

from ..conftest import DATA, edit_cell


def _rows():
    with open(DATA / "emg_activation.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("text, values, spreads", [
    ("23,946% ± 11,321", [23.946], [11.321]),
    ("42 versus 9%MVC", [42, 9], []),
    ("52 SD 18% MVIC", [52], [18]),
    ("25.03%±10.25%", [25.03], [10.25]),
    ("48% maximum voluntary isometric contraction (MVIC)", [48], []),
    ("20 +/- 12%MVIC", [20], [12]),
])
def test_printed_numbers_read_the_page_forms(text, values, spreads):
    assert printed_numbers(text) == (values, spreads)


def test_every_row_has_its_printed_form_and_agrees_with_it():
    rows = _rows()
    assert rows and all(r["as_printed"] for r in rows)
    assert gd.validate() == []


def test_a_value_changed_by_hand_is_caught_at_its_cell(data_copy):
    edit_cell(data_copy / "emg_activation.csv", 2, "pct_mvic", "23.496")  # digits swapped
    found = [(p.file, p.line, p.field) for p in gd.validate(data_copy)]
    assert found == [("emg_activation.csv", 2, "pct_mvic")]


def test_an_sd_changed_by_hand_or_dropped_is_caught(data_copy):
    edit_cell(data_copy / "emg_activation.csv", 2, "sd", "11.231")
    assert [(p.line, p.field) for p in gd.validate(data_copy)] == [(2, "sd")]
    edit_cell(data_copy / "emg_activation.csv", 2, "sd", "")
    problems = gd.validate(data_copy)
    assert [(p.line, p.field) for p in problems] == [(2, "sd")] and "shows a spread" in problems[0].message


def test_a_printed_form_without_a_number_is_refused(data_copy):
    edit_cell(data_copy / "emg_activation.csv", 3, "as_printed", "see the table")
    assert [(p.line, p.field) for p in gd.validate(data_copy)] == [(3, "as_printed")]
    edit_cell(data_copy / "emg_activation.csv", 3, "as_printed", "12.5 ± 3")  # another row's numbers
    problems = gd.validate(data_copy)
    assert [(p.line, p.field) for p in problems] == [(3, "as_printed")] and "neither" in problems[0].message


@pytest.mark.parametrize("bad, why", [("exercise;Equipment", "inferred must be field names"),
                                      ("pct_mvic", "not a field"), ("statistic;statistic", "twice")])
def test_inferred_names_fields_a_rule_can_set(data_copy, bad, why):
    edit_cell(data_copy / "emg_activation.csv", 4, "inferred", bad)
    problems = gd.validate(data_copy)
    assert [(p.line, p.field) for p in problems] == [(4, "inferred")] and why in problems[0].message


def test_the_judgements_a_re_reading_found_are_marked():
    marked = {(r["source"], r["exercise"]): set(r["inferred"].split(";")) for r in _rows()}
    assert "exercise" in marked[("arayabaltra2011", "hip-hitch")]  # "Pelvic Drop" matched by name
    assert "equipment" in marked[("barton2014", "squat")]  # double-leg squat: body-weight rule
    assert "population" in marked[("stastny2015b", "load-carrying-walking")]  # "resistance-trained men"
    assert "exercise" in marked[("moore2019b", "standing-hip-abduction-extension")]  # standing assumed
    assert "exercise" in marked[("moore2019a", "standing-hip-abduction-extension")]


def test_load_keeps_both_columns_as_text():
    df = gd.load()
    assert df["as_printed"].notna().all() and str(df["as_printed"].dtype) == "string"
    assert df.loc[df["source"] == "arayabaltra2011", "as_printed"].iloc[0] == "23,946% ± 11,321"
