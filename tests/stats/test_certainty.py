"""Honest answers: flags, exclusions, band probabilities, certainty, sensitivity."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2

import glutedata as gd
from glutedata.stats.certainty import band_probabilities, band_range, group_flags, rate
from glutedata.stats.meta import random_effects


def frame(rows, **extra):
    cols = ["source", "exercise", "name", "variant", "muscle", "segment", "emg", "statistic", "pct_mvic", "sd",
            "n", "population", "equipment", "position", "weight_bearing", "locator"]
    df = pd.DataFrame([(s, e, e.title(), "", "gluteus_medius", "whole", emg, "mean", v, sd, n, "healthy", "none",
                        "standing", True, loc) for s, e, emg, v, sd, n, loc in rows], columns=cols)
    df["sd"], df["n"] = df["sd"].astype("Float64"), df["n"].astype("Int64")
    for k, v in extra.items():
        df[k] = v
    return df


# --- what is left out, and saying so ---------------------------------------------------------------

def test_rank_whole_is_not_led_by_a_doubtful_value_and_says_what_it_left_out(df):
    flagged = set(df.loc[df["concerns"].notna(), "source"])
    assert flagged, "the repository's appraisal marks at least one study"
    r = gd.rank("whole", df=df)
    assert not any(set(s) & flagged for s in r["sources"]), "flagged studies are left out by default"
    left = pd.DataFrame(r.attrs["left_out"])
    assert set(left["source"]) <= flagged and not left.empty and left["reason"].notna().all()
    assert "Left out for appraisal concerns" in r.attrs["footnote"] and "include_flagged=True" in r.attrs["footnote"]
    everything = gd.rank("whole", df=df, include_flagged=True)
    assert set(everything["sources"].iloc[0]) & flagged, "include_flagged=True brings the flagged value back"
    assert everything.attrs["left_out"] == [] and "nothing left out" in everything.attrs["footnote"]
    assert "study concerns" in everything["flags"].iloc[0]
    assert "Left out for appraisal concerns" in gd.summarise(r, "GMed whole")


def test_a_users_frame_without_appraisal_is_pooled_as_having_no_concerns():
    mine = frame([("a2020", "x", "surface", 50, 10, 40, "Table 1"), ("b2021", "x", "surface", 300, 250, 40,
                                                                     "Table 2")])
    r = gd.rank("whole", df=mine)
    assert r.iloc[0]["k"] == 2 and r.attrs["left_out"] == []


def test_pool_leaves_out_flagged_studies_unless_asked(df):
    concerned = df[df["concerns"].notna()]
    pooled = gd.pool(df)
    assert not any(set(s) & set(concerned["source"]) for s in pooled["sources"])
    assert sum(r["values"] for r in pooled.attrs["left_out"]) == len(concerned)
    assert {r["source"] for r in pooled.attrs["left_out"]} == set(concerned["source"])
    assert any(set(s) & set(concerned["source"]) for s in gd.pool(df, include_flagged=True)["sources"])


# --- flags --------------------------------------------------------------------------------------

def test_group_flags_name_every_reason():
    rows = frame([("a2020", "x", "surface", 50, 10, 10, "abstract"), ("b2021", "x", "fine-wire", 60, 10, 12,
                                                                       "abstract")],
                 concerns=[pd.NA, "doubtful"], normalisation=["mvic", "mvc"])
    assert group_flags(rows, 2, 22, 0.9) == ["k<3", "N<30", "I²>0.75", "abstract-only", "study concerns",
                                             "mixed EMG methods", "mixed normalisation"]
    clean = frame([(f"s{i}2020", "x", "surface", 50, 10, 40, "Table 1") for i in range(3)])
    assert group_flags(clean, 3, 120, 0.2) == []


def test_pooled_rows_carry_flags(df):
    pooled = gd.pool(df)
    assert pooled["flags"].str.contains("k<3").sum() == (pooled["k"] < 3).sum()
    assert pooled.loc[pooled["i2"] > 0.75, "flags"].str.contains("I²>0.75").all()


def test_values_carry_flags(df):
    assert (df.loc[df["locator"] == "abstract", "flags"].str.contains("abstract-only")).all()
    assert (df.loc[df["n"] < 30, "flags"].str.contains("N<30")).all()
    assert (df.loc[df["concerns"].notna(), "flags"].str.contains("study concerns")).all()


# --- bands with uncertainty ---------------------------------------------------------------------

def test_band_range():
    assert band_range(45, 55) == "high"
    assert band_range(30, 70) == "moderate to very high"
    assert band_range(-20, 10) == "low"
    assert band_range(np.nan, 10) is None


def test_band_probabilities_follow_the_t_distribution():
    p = band_probabilities(50.0, 5.0, 4)
    assert sum(p.values()) == pytest.approx(1.0)
    from scipy.stats import t
    assert p["p_high"] == pytest.approx(t.cdf(2, 4) - t.cdf(-2, 4))
    assert p["p_very_high"] == pytest.approx(t.sf(2, 4))
    assert all(math.isnan(v) for v in band_probabilities(50.0, np.nan, 4).values())


def test_rank_columns_for_uncertainty(df):
    r = gd.rank("whole", df=df)
    for col in ("pi_low", "pi_high", "band_range", "p_low", "p_moderate", "p_high", "p_very_high", "certainty",
                "certainty_reasons", "flags", "study_values"):
        assert col in r.columns and f"{col}" in gd.rank.__doc__
    with_ci = r[r["ci_low"].notna()]
    assert not with_ci.empty
    sums = with_ci[["p_low", "p_moderate", "p_high", "p_very_high"]].sum(axis=1)
    assert np.allclose(sums, 1.0)
    assert r.loc[r["ci_low"].isna(), "p_high"].isna().all(), "no spread, no probabilities"
    assert set(r["certainty"].astype(str)) <= {"high", "moderate", "low", "very low"}


def test_prediction_interval_from_two_studies_and_in_the_reml_check_from_three():
    rows = frame([("a2020", "x", "surface", 50, 10, 40, "Table 1"), ("b2021", "x", "surface", 62, 12, 40, "Table 1")])
    assert pd.isna(gd.rank("whole", df=rows, model="reml").iloc[0]["pi_low"])
    two = gd.rank("whole", df=rows).iloc[0]
    assert 0 < two["pi_low"] < two["ci_low"] <= two["ci_high"] < two["pi_high"]
    rows3 = frame([("a2020", "x", "surface", 50, 10, 40, "Table 1"), ("b2021", "x", "surface", 62, 12, 40, "Table 1"),
                   ("c2022", "x", "surface", 41, 9, 40, "Table 1")])
    r = gd.rank("whole", df=rows3).iloc[0]
    assert r["pi_low"] < r["ci_low"] <= r["ci_high"] < r["pi_high"]


def test_two_studies_are_named_with_their_values_not_an_interval():
    rows = frame([("a2020", "x", "surface", 50, 10, 40, "Table 1"), ("b2021", "x", "surface", 62, 12, 40, "Table 1")])
    text = gd.summarise(gd.rank("whole", df=rows), "x")
    assert "two studies" in text and "a2020 at 50" in text and "b2021 at 62" in text
    assert "95% CI" not in text and "Certainty" in text


# --- certainty ----------------------------------------------------------------------------------

@pytest.mark.parametrize("args, level, reason", [
    ((5, 200, 0.1, 45, 55, []), "high", ""),
    ((2, 200, 0.1, 45, 55, []), "moderate", "2 studies"),
    ((5, 20, 0.1, 45, 55, []), "moderate", "N=20"),
    ((5, 200, 0.9, 45, 55, []), "moderate", "I²=90%"),
    ((5, 200, 0.1, 35, 55, []), "moderate", "CI spans 2 bands"),
    ((5, 200, 0.1, 15, 75, []), "low", "CI spans 4 bands"),
    ((5, 200, 0.1, np.nan, np.nan, []), "low", "no spread reported"),
    ((5, 200, 0.1, 45, 55, ["abstract-only"]), "moderate", "values from abstracts only"),
    ((5, 200, 0.1, 45, 55, ["study concerns"]), "moderate", "appraisal concerns"),
    ((5, 200, 0.1, 45, 55, ["mixed EMG methods", "mixed normalisation"]), "low", "mixed normalisation"),
    ((1, 10, np.nan, np.nan, np.nan, ["abstract-only"]), "very low", "one study"),
])
def test_certainty_rule(args, level, reason):
    got, why = rate(*args)
    assert got == level and reason in why


# --- sensitivity --------------------------------------------------------------------------------

def test_sensitivity_estimators_leave_one_out_and_subgroups():
    rows = frame([("a2020", "x", "surface", 50, 10, 40, "Table 1"), ("b2021", "x", "surface", 62, 12, 30, "Table 1"),
                  ("c2022", "x", "fine-wire", 35, 8, 15, "Table 1"), ("d2023", "x", "fine-wire", 40, 9, 12,
                                                                     "Table 1")])
    s = gd.sensitivity("x", "whole", df=rows)
    assert list(s["analysis"][:6]) == ["Bayes, half-normal(0.5) prior on tau (default)",
                                       "Bayes, half-normal(0.3) prior on tau",
                                       "Bayes, half-normal(1) prior on tau", "REML, HKSJ (log scale)",
                                       "Paule-Mandel, HKSJ (log scale)", "DerSimonian-Laird, HKSJ (log scale)"]
    assert {"without a2020", "without d2023", "surface only", "fine-wire only"} <= set(s["analysis"])
    assert (s.loc[s["analysis"].str.startswith("without"), "k"] == 3).all()
    by = s.set_index("analysis")
    assert by.iloc[0]["estimate"] == gd.pool(rows).iloc[0]["estimate"]
    assert by.loc["REML, HKSJ (log scale)", "estimate"] == gd.pool(rows, model="reml-log").iloc[0]["estimate"]
    assert (s[["ci_low", "pi_low"]].dropna() > 0).all().all()
    test = s.attrs["subgroup_test"]
    # by hand: each subgroup's random-effects estimate and standard SE, Q between on 1 df
    est, se = [], []
    for g in (rows[rows.emg == "fine-wire"], rows[rows.emg == "surface"]):
        res = random_effects(g["pct_mvic"].astype(float), (g["sd"] ** 2 / g["n"]).astype(float))
        est.append(res["estimate"]), se.append(res["se"])
    w = 1 / np.square(se)
    q = float(np.sum(w * (np.array(est) - np.sum(w * est) / np.sum(w)) ** 2))
    assert test["groups"] == ["fine-wire", "surface"] and test["df"] == 1
    assert test["q"] == pytest.approx(q) and test["p"] == pytest.approx(chi2.sf(q, 1))


def test_sensitivity_checks_its_arguments(df):
    with pytest.raises(ValueError, match="did you mean 'clamshell'"):
        gd.sensitivity("clamshel", "whole", df=df)
    s = gd.sensitivity("side-lying-hip-abduction", "whole", df=df)
    assert s.iloc[0]["k"] >= 1


def test_rankings_can_be_concatenated(df):
    both = pd.concat({"whole": gd.rank("whole", df=df), "posterior": gd.rank("posterior", df=df)})
    assert len(both) == len(gd.rank("whole", df=df)) + len(gd.rank("posterior", df=df))
