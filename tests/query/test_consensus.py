"""Consensus ranking from within-study comparisons, checked on simulated studies with known truth."""

import math

import numpy as np
import pandas as pd
import pytest

import glutedata as gd
from glutedata.query.consensus import CONSENSUS_COLUMNS, Z, consensus

EX = [f"ex{i}" for i in range(10)]
TRUE = dict(zip(EX, np.geomspace(35, 60, len(EX))))  # 6% apart: close enough for normalisation to reorder
SEEDS = range(15)
CV = 0.4  # between-participant SD / mean of %MVIC


def frame(rows):
    """A frame with the columns and dtypes :func:`glutedata.load` gives, from (source, exercise, value, sd, n)."""
    df = pd.DataFrame(rows, columns=["source", "exercise", "pct_mvic", "sd", "n"])
    df = df.assign(name=df["exercise"], variant="", muscle="gluteus_medius", segment="whole", emg="surface",
                   statistic="mean", q1=pd.NA, q3=pd.NA, population="healthy", equipment="none",
                   position="standing", weight_bearing=True, contraction="dynamic")
    for col in ("pct_mvic", "sd", "q1", "q3"):
        df[col] = df[col].astype("Float64")
    df["n"] = df["n"].astype("Int64")
    df["weight_bearing"] = df["weight_bearing"].astype("boolean")
    return df


def synthetic(seed, *, spread=2.0, sd=True, n_studies=12, tau=0.0, extra=()):
    """Studies of 3-5 random exercises; each multiplies every value by its own normalisation factor,
    log-uniform in [1/spread, spread], and measures the means of 15-40 people (plus arm-level
    heterogeneity ``tau`` on the log scale)."""
    rng = np.random.default_rng(seed)
    rows = list(extra)
    for s in range(n_studies):
        factor = math.exp(rng.uniform(-math.log(spread), math.log(spread)))
        n = int(rng.integers(15, 41))
        for i in rng.choice(len(EX), int(rng.integers(3, 6)), replace=False):
            m = TRUE[EX[i]] * factor * math.exp(rng.normal(0, CV / math.sqrt(n)) + rng.normal(0, tau))
            rows.append((f"s{s:02d}", EX[i], m, CV * m if sd else None, n))
    return frame(rows)


def spearman(exercises, scores):
    truth = pd.Series(TRUE)[list(exercises)].to_numpy()
    return pd.Series(np.asarray(scores, float)).corr(pd.Series(truth), method="spearman")


def consensus_rho(df):
    out = consensus("whole", df=df, n_boot=200)
    return spearman(out["exercise"], out["p_score"]), out


def pooled_rho(df, exercises):
    r = gd.rank("whole", df=df)
    r = r[r["exercise"].isin(exercises)]
    return spearman(r["exercise"], r["estimate"])


def test_recovers_true_order_where_pooled_percentages_do_not():
    cons, pooled = [], []
    for seed in SEEDS:
        df = synthetic(seed)
        rho, out = consensus_rho(df)
        assert out.attrs["model"].startswith("random-effects network meta-analysis")
        cons.append(rho)
        pooled.append(pooled_rho(df, out["exercise"]))
    assert min(cons) >= 0.9, cons
    assert np.mean(pooled) <= np.mean(cons) - 0.15, (cons, pooled)


def test_without_normalisation_differences_both_agree():
    for seed in SEEDS[:6]:
        df = synthetic(seed, spread=1.0)
        rho, out = consensus_rho(df)
        assert rho >= 0.9 and pooled_rho(df, out["exercise"]) >= 0.9


def test_rank_model_when_sds_are_missing():
    for seed in SEEDS[:8]:
        rho, out = consensus_rho(synthetic(seed, sd=False))
        assert out.attrs["model"].startswith("Plackett-Luce")
        assert out[["ratio", "ratio_ci_low", "ratio_ci_high"]].isna().all().all()
        assert np.isnan(out.attrs["tau2"])
        assert rho >= 0.8
    # one study without SD moves the whole network to the rank model, and the note names it
    df = synthetic(0)
    df.loc[df["source"] == "s03", "sd"] = pd.NA
    out = consensus("whole", df=df, n_boot=50)
    assert out.attrs["model"].startswith("Plackett-Luce") and "s03" in out.attrs["model"]
    assert len(out) == len(consensus("whole", df=synthetic(0), n_boot=50))


def test_p_scores_and_ranks():
    out = consensus("whole", df=synthetic(1))
    assert list(out.columns) == CONSENSUS_COLUMNS
    assert out["p_score"].between(0, 1).all()
    assert out["p_score"].mean() == pytest.approx(0.5)
    assert out["p_score"].is_monotonic_decreasing
    assert out["rank"].tolist() == list(range(1, len(out) + 1))
    assert (out["rank_ci_low"] <= out["rank_ci_high"]).all()
    assert out["rank_ci_low"].min() >= 1 and out["rank_ci_high"].max() <= len(out)
    assert out.iloc[0]["ratio"] > out.iloc[-1]["ratio"]
    assert (out["ratio_ci_low"] <= out["ratio"]).all() and (out["ratio"] <= out["ratio_ci_high"]).all()
    studies = synthetic(1).groupby("exercise")["source"].nunique()
    assert out.set_index("exercise")["k"].to_dict() == studies[out["exercise"]].to_dict()


def test_seed_makes_rank_intervals_reproducible():
    df = synthetic(2)
    a, b = consensus("whole", df=df, seed=7), consensus("whole", df=df, seed=7)
    pd.testing.assert_frame_equal(a, b)
    draws = {tuple(consensus("whole", df=df, seed=s, n_boot=30)["rank_ci_high"]) for s in range(5)}
    assert len(draws) > 1, "the seed drives the bootstrap"


def test_reference_choice():
    df = synthetic(3)
    out = consensus("whole", df=df, n_boot=50)
    studies = df.groupby("exercise")["source"].nunique()
    best = studies[studies == studies.max()].index.min()
    assert out.attrs["reference"] == best
    ref = out.set_index("exercise").loc[best]
    assert ref["ratio"] == ref["ratio_ci_low"] == ref["ratio_ci_high"] == 1.0

    other = consensus("whole", df=df, reference="ex7", n_boot=50).set_index("exercise")
    assert other.attrs["reference"] == "ex7" and other.loc["ex7", "ratio"] == 1.0
    base = out.set_index("exercise")
    # the same network estimates, expressed against another exercise
    np.testing.assert_allclose(other["ratio"], base["ratio"] / base.loc["ex7", "ratio"], rtol=1e-9)
    np.testing.assert_allclose(other["p_score"], base.loc[other.index, "p_score"], rtol=1e-9)

    with pytest.raises(ValueError, match="valid values: ex0, ex1"):
        consensus("whole", df=df, reference="plank")


def test_disconnected_exercises_are_reported():
    island = [("z1", "zig", 30.0, 12.0, 20), ("z1", "zag", 45.0, 18.0, 20),
              ("z2", "zag", 60.0, 24.0, 20), ("z2", "zig", 50.0, 20.0, 20), ("z3", "lonely", 40.0, 16.0, 20)]
    df = synthetic(4, extra=island)
    out = consensus("whole", df=df, n_boot=50)
    assert out.attrs["disconnected"] == ["lonely", "zag", "zig"]
    assert not set(out["exercise"]) & {"zig", "zag", "lonely"}
    assert "z1" not in out.attrs["studies"] and "s00" in out.attrs["studies"]
    assert any(note.startswith("z3 (healthy)") for note in out.attrs["left_out"])
    islet = consensus("whole", df=df, reference="zig", n_boot=50)
    assert islet["exercise"].tolist() == ["zag", "zig"] and islet.attrs["studies"] == ["z1", "z2"]


def test_no_comparison_gives_an_empty_frame():
    df = frame([("one", "a", 40.0, 10.0, 20), ("two", "b", 50.0, 10.0, 20)])
    out = consensus("whole", df=df)
    assert out.empty and list(out.columns) == CONSENSUS_COLUMNS
    assert out.attrs["disconnected"] == ["a", "b"] and out.attrs["reference"] is None
    with pytest.raises(ValueError, match="valid values: none"):
        consensus("whole", df=df, reference="a")


def delta_var(m, sd, n):
    return sd ** 2 / (n * m ** 2)


def test_multi_arm_study_contributes_correlated_contrasts():
    # One three-arm study: the network estimates are its own log ratios, and B vs C, both
    # measured against the shared baseline arm, have variance var(log B) + var(log C) only.
    arms = {"a": (40.0, 16.0, 20), "b": (50.0, 30.0, 20), "c": (80.0, 24.0, 20)}
    df = frame([("one", e, *v) for e, v in arms.items()])
    out = consensus("whole", df=df, reference="b", n_boot=50).set_index("exercise")
    assert out.loc["c", "ratio"] == pytest.approx(80 / 50) and out.loc["a", "ratio"] == pytest.approx(40 / 50)
    half = Z * math.sqrt(delta_var(*arms["b"]) + delta_var(*arms["c"]))
    assert out.loc["c", "ratio_ci_high"] == pytest.approx(1.6 * math.exp(half))
    assert out.loc["c", "ratio_ci_low"] == pytest.approx(1.6 * math.exp(-half))
    assert "not estimable" in out.attrs["model"] and out.attrs["tau2"] == 0


def test_baseline_arm_does_not_matter():
    # Renaming reverses the order of the exercises, so each study's baseline arm changes; with the
    # multi-arm covariance (within-study and tau^2 / 2) the network estimates must not.
    df = synthetic(5, tau=0.15, n_studies=20)
    rename = {e: f"r{9 - i}" for i, e in enumerate(EX)}
    a = consensus("whole", df=df, reference="ex3", n_boot=50)
    b = consensus("whole", df=df.assign(exercise=df["exercise"].map(rename)), reference="r6", n_boot=50)
    assert a.attrs["tau2"] > 0.01
    assert b.attrs["tau2"] == pytest.approx(a.attrs["tau2"], rel=1e-9)
    b["exercise"] = b["exercise"].map({v: k for k, v in rename.items()})
    cols = ["exercise", "ratio", "ratio_ci_low", "ratio_ci_high", "p_score"]
    pd.testing.assert_frame_equal(a[cols], b[cols], rtol=1e-9)


def test_two_arm_network_is_dersimonian_laird_on_log_ratios():
    studies = [(40, 10, 20, 52, 14, 20), (30, 9, 25, 33, 10, 25), (55, 20, 15, 90, 30, 15), (20, 8, 30, 28, 9, 30)]
    rows = []
    for i, (ma, sa, na, mb, sb, nb) in enumerate(studies):
        rows += [(f"s{i}", "a", ma, sa, na), (f"s{i}", "b", mb, sb, nb)]
    y = np.array([math.log(s[3] / s[0]) for s in studies])
    v = np.array([delta_var(*s[:3]) + delta_var(*s[3:]) for s in studies])
    w = 1 / v
    q = np.sum(w * (y - np.sum(w * y) / w.sum()) ** 2)
    tau2 = max(0.0, (q - 3) / (w.sum() - np.sum(w ** 2) / w.sum()))
    w_re = 1 / (v + tau2)
    mu, se = np.sum(w_re * y) / w_re.sum(), math.sqrt(1 / w_re.sum())
    assert tau2 > 0
    out = consensus("whole", df=frame(rows), reference="a", n_boot=50, tau2_method="dl").set_index("exercise")
    assert out.attrs["tau2"] == pytest.approx(tau2, rel=1e-9)
    assert out.loc["b", "ratio"] == pytest.approx(math.exp(mu), rel=1e-9)
    assert out.loc["b", "ratio_ci_low"] == pytest.approx(math.exp(mu - Z * se), rel=1e-9)


def test_heterogeneity_is_estimated():
    assert consensus("whole", df=synthetic(0, n_studies=40), n_boot=10).attrs["tau2"] < 0.005
    # arm-level heterogeneity 0.15 on the log scale -> contrast heterogeneity 2 x 0.15^2 = 0.045
    assert 0.02 < consensus("whole", df=synthetic(0, n_studies=40, tau=0.15), n_boot=10).attrs["tau2"] < 0.08


def test_variants_are_averaged_and_absolute_scale():
    rows = [("one", "a", 40.0, 10.0, 20), ("one", "a", 60.0, 10.0, 20), ("one", "b", 100.0, 20.0, 20),
            ("two", "a", 30.0, 9.0, 20), ("two", "b", 66.0, 20.0, 20)]
    df = frame(rows)
    df.loc[1, "variant"] = "with band"
    out = consensus("whole", df=df, reference="a", absolute=True, n_boot=50).set_index("exercise")
    assert out.loc["b", "k"] == 2 and out.loc["a", "k"] == 2
    assert out.loc["b", "ratio"] == pytest.approx(2.1, rel=0.06)  # one says 100/50, the other 66/30
    ref = gd.pool(df[df["exercise"] == "a"], by=("exercise",)).iloc[0]["estimate"]
    assert out.loc["a", "pct_mvic_via_reference"] == pytest.approx(ref)
    assert out.loc["b", "pct_mvic_via_reference"] == pytest.approx(out.loc["b", "ratio"] * ref)
    assert "pooled mean %MVIC of a" in out.attrs["pct_mvic_via_reference"]


def test_repository_data(df):
    out = consensus("whole", df=df)
    assert list(out.columns) == CONSENSUS_COLUMNS and len(out) >= 2
    assert set(out.attrs) >= {"reference", "studies", "disconnected", "model", "left_out"}
    assert out.attrs["reference"] in set(out["exercise"])
    assert out["p_score"].mean() == pytest.approx(0.5)
    assert out["exercise"].is_unique and not set(out["exercise"]) & set(out.attrs["disconnected"])
    assert set(out.attrs["studies"]) <= set(df["source"])


def test_compare_with_rank_places_each_exercise_by_both_orders(df):
    from glutedata.query.consensus import compare_with_rank
    c = gd.consensus("whole", df=df)
    ranked = gd.rank("whole", df=df, include_flagged=True)
    both = compare_with_rank(c, ranked)
    assert list(both["exercise"]) == list(c["exercise"])
    for row in both.itertuples():
        assert ranked.iloc[row.absolute_rank - 1]["exercise"] == row.exercise


@pytest.mark.parametrize("kwargs, argument", [({"seed": -1}, "seed"), ({"seed": 1.5}, "seed"),
                                              ({"n_boot": 0}, "n_boot"), ({"n_boot": True}, "n_boot")])
def test_seed_and_draws_are_checked(df, kwargs, argument):
    with pytest.raises(ValueError, match=rf"^{argument} must be a whole number"):
        consensus("whole", df=df, **kwargs)
