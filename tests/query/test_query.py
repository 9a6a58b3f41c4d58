"""Loading, bands, ranking, progression and gaps on the real data."""

import pandas as pd
import pytest

import glutedata as gd


def test_load_types_and_order(df):
    assert list(df["segment"].cat.categories)[:3] == ["anterior", "middle", "posterior"]
    assert df["segment"].cat.ordered
    assert df["band"].cat.ordered and list(df["band"].cat.categories) == list(gd.BANDS)
    assert str(df["pct_mvic"].dtype) == "Float64" and str(df["n"].dtype) == "Int64"
    assert str(df["weight_bearing"].dtype) == "boolean"
    assert df["name"].notna().all(), "every row joins an exercise"
    for col in ("source", "exercise", "variant", "muscle", "segment", "emg", "statistic", "pct_mvic", "sd",
                "n", "population", "equipment", "locator", "position", "weight_bearing", "band"):
        assert col in df.columns
        assert f"``{col}``" in gd.load.__doc__


def test_load_explicit_path_and_error(data_copy):
    assert len(gd.load(data_copy)) == len(gd.load())
    (data_copy / "emg_activation.csv").write_text("source\n", encoding="utf-8")
    with pytest.raises(gd.DataError) as err:
        gd.load(data_copy)
    assert "emg_activation.csv:1: exercise: missing column" in str(err.value)


@pytest.mark.parametrize("value, expected", [(0, "low"), (20, "low"), (20.5, "moderate"), (21, "moderate"),
                                             (40, "moderate"), (41, "high"), (60, "high"), (61, "very high"),
                                             (150, "very high")])
def test_band_edges(value, expected):
    assert gd.band(value) == expected


def test_band_vector_and_errors():
    assert gd.band(pd.Series([10, None, 70])).tolist()[::2] == ["low", "very high"]
    assert gd.band(None) is None
    with pytest.raises(ValueError):
        gd.band(-1)


def test_rank_posterior_gmed(df):
    r = gd.rank("posterior", df=df)
    assert list(r.columns[:8]) == ["exercise", "name", "statistic", "estimate", "ci_low", "ci_high", "k", "n"]
    assert r["exercise"].is_unique and len(r) >= 3
    for _, g in r.groupby("statistic", observed=True):
        assert g["estimate"].is_monotonic_decreasing
    rows = df[(df.segment == "posterior") & (df.muscle == "gluteus_medius") & (df.population == "healthy")]
    assert set(r["exercise"]) == set(rows["exercise"])
    top = r.iloc[0]
    assert top["band"] == gd.band(top["estimate"])
    assert all(s in set(rows["source"]) for s in top["sources"])


def test_rank_filters(df):
    none = gd.rank("whole", equipment="none", df=df)
    used = df[df["exercise"].isin(none["exercise"]) & (df["equipment"] != "none")]
    assert (none["equipment"] == "none").all(), used
    wb = gd.rank("whole", weight_bearing=True, df=df)
    assert wb["weight_bearing"].all()
    side = gd.rank("whole", position="side-lying", df=df)
    assert set(side["position"]) <= {"side-lying"}
    assert gd.rank("whole", muscle="gluteus_medius", emg="fine-wire", population="patellofemoral-pain", df=df).empty


def test_rank_pools_several_studies(df):
    r = gd.rank("whole", population=None, df=df)
    multi = r[r["k"] > 1]
    assert not multi.empty
    row = multi.iloc[0]
    assert len(row["sources"]) == row["k"]


def test_progression_is_a_low_to_high_ladder(df):
    ladder = gd.progression("whole", equipment="none", df=df)
    assert ladder["estimate"].is_monotonic_increasing
    assert list(ladder["step"]) == list(range(1, len(ladder) + 1))
    assert ladder["dosing"].str.len().gt(0).all()
    assert {"regresses_to", "progresses_to", "band", "sources"} <= set(ladder.columns)


def test_gaps_lists_missing_seed_evidence(df):
    g = gd.gaps(df)
    seeds = gd.exercises().query("seed")["id"]
    assert set(g["exercise"]) <= set(seeds)
    assert set(g["evidence"]) <= {"none", "single study"}
    assert ((g["evidence"] == "none") == (g["k"] == 0)).all()
    # the wall press (a seed exercise) has no value in the dataset
    assert ((g["exercise"] == "wall-press") & (g["muscle"] == "gluteus_medius")).sum() == 4
    counts = df.groupby(["exercise", "muscle", "segment"], observed=True)["source"].nunique()
    for row in g.itertuples():
        assert counts.get((row.exercise, row.muscle, row.segment), 0) == row.k


def test_exercise_vocabulary_covers_the_seed_documents():
    ex = gd.exercises()
    assert ex["id"].is_unique
    for needed in ("hip-hitch", "wall-press", "single-leg-bridge", "side-lying-hip-abduction", "clamshell",
                   "lateral-step-up", "resisted-side-step", "standing-hip-abduction", "single-leg-squat",
                   "single-leg-deadlift", "side-plank", "side-plank-hip-abduction", "short-side-plank",
                   "reverse-lunge", "single-leg-stance", "weighted-march", "buttock-clench",
                   "supine-hip-abduction-slide", "side-lying-activation-lift", "side-lying-leg-circles"):
        assert needed in set(ex["id"]), needed
    assert "clam" in ex.set_index("id").loc["clamshell", "aliases"]
    assert "lateral band walk" in ex.set_index("id").loc["resisted-side-step", "aliases"]


def test_summarise_answers_with_its_evidence(df):
    r = gd.rank("posterior", equipment="none", df=df)
    text = gd.summarise(r, "posterior GMed")
    top = r.iloc[0]
    assert top["name"] in text and f"{top.estimate:.0f} %MVIC" in text and top["sources"][0] in text
    assert "no confidence interval" in text  # medians without spread
    gap = gd.summarise(r.iloc[0:0], "nothing")
    assert gap.startswith("No study in the dataset has measured nothing") and "evidence gap" in gap
