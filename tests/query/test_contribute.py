"""The preview of a study (`validate --study`, `check-submission`) agrees with rank() and the exercise pages."""

import pandas as pd
import pytest

import glutedata as gd
from glutedata.query.contribute import PREVIEW_COLUMNS, preview


def _place(ranked, exercise):
    """The exercise's place among the exercises ranked on the same statistic, as the exercise pages give it."""
    row = ranked[ranked["exercise"] == exercise].iloc[0]
    same = ranked[ranked["statistic"] == row["statistic"]].reset_index(drop=True)
    return f"{int(same.index[same['exercise'] == exercise][0]) + 1} of {len(same)}"


@pytest.mark.parametrize("key", ["barton2014", "cynn2006", "moore2019a", "okubo2019", "youdas2013"])
def test_one_row_per_value_with_the_estimates_rank_gives(df, key):
    out = preview(key, df=df)
    assert list(out.columns) == PREVIEW_COLUMNS
    assert len(out) == (df["source"] == key).sum()
    counted = out[out["note"].str.startswith(("pooled", "the only"))]
    assert len(counted), "nothing of the study counts"
    for r in counted.itertuples():
        with_it = gd.rank(r.segment, r.muscle, df=df)
        without = gd.rank(r.segment, r.muscle, df=df[df["source"] != key])
        assert r.estimate_with == pytest.approx(with_it.set_index("exercise").loc[r.exercise, "estimate"])
        assert r.place_with == _place(with_it, r.exercise)
        if r.exercise in set(without["exercise"]):
            assert r.estimate_without == pytest.approx(without.set_index("exercise").loc[r.exercise, "estimate"])
            assert r.place_without == _place(without, r.exercise)
        else:
            assert pd.isna(r.estimate_without) and r.place_without == "-"
    assert out.attrs["heading"].startswith(f"Where {key}'s values land in rank() (population healthy; studies with "
                                           "appraisal concerns left out")


def test_a_flagged_study_counts_only_when_asked(df):
    flagged = df.loc[df["concerns"].notna(), "source"].iloc[0]
    out = preview(flagged, df=df)
    healthy = out[out["population"] == "healthy"]
    assert len(healthy) and healthy["note"].str.startswith("left out: the study's appraisal records concerns").all()
    assert (healthy["estimate_with"].fillna(-1) == healthy["estimate_without"].fillna(-1)).all()
    kept = preview(flagged, df=df, include_flagged=True)
    for r in kept[kept["population"] == "healthy"].itertuples():
        ranked = gd.rank(r.segment, r.muscle, df=df, include_flagged=True).set_index("exercise")
        assert r.estimate_with == pytest.approx(ranked.loc[r.exercise, "estimate"])
    assert "flagged studies kept" in kept.attrs["heading"]


def test_other_populations_are_outside_the_default_scope(df):
    key = df.loc[df["population"] != "healthy", "source"].iloc[0]
    out = preview(key, df=df)
    other = out[out["population"] != "healthy"]
    assert len(other) and other["note"].str.startswith("not ranked: population").all()
    every = preview(key, df=df, population=None, include_flagged=True)
    assert not every["note"].str.startswith("not ranked").any()
    assert "every population" in every.attrs["heading"]


def test_a_statistic_the_ranking_does_not_use_is_said(df):
    # a median of an exercise that other studies give as means: rank() uses the means
    mean_row = df[(df["exercise"] == "clamshell") & (df["statistic"] == "mean") & (df["segment"] == "whole")
                  & (df["population"] == "healthy") & df["concerns"].isna()].iloc[[0]].copy()
    mean_row["source"] = "synth2025"
    mean_row["statistic"] = pd.Categorical(["median"], dtype=df["statistic"].dtype)
    mean_row["sd"] = pd.NA
    out = preview("synth2025", df=pd.concat([df, mean_row], ignore_index=True))
    assert out["note"].tolist() == ["not used: the ranking uses mean values here"]
    assert out.loc[0, "estimate_with"] == pytest.approx(out.loc[0, "estimate_without"])
