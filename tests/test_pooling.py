"""Pooling checked against a hand-computed DerSimonian-Laird example."""

import math

import numpy as np
import pandas as pd
import pytest

from glutedata import pool
from glutedata.pooling import pool_values


def frame(rows):
    cols = ["source", "exercise", "variant", "muscle", "segment", "statistic", "pct_mvic", "sd", "n"]
    df = pd.DataFrame(rows, columns=cols)
    df["sd"] = df["sd"].astype("Float64")
    df["n"] = df["n"].astype("Int64")
    return df


def test_dersimonian_laird_by_hand():
    # Three studies: means 50, 60, 55; SD 10, 15, 12.5; n 25 each -> variances 4, 9, 6.25.
    # Fixed-effect weights 1/4, 1/9, 1/6.25 (sum 0.521111); FE mean 53.667377.
    # Q = sum w (y - FE)^2 = 8.102345; C = sum w - sum w^2 / sum w = 0.328356;
    # tau^2 = (Q - 2) / C = 18.584416; I^2 = (Q - 2) / Q = 0.753158.
    w = np.array([1 / 4, 1 / 9, 1 / 6.25])
    y = np.array([50.0, 60.0, 55.0])
    tau2 = 18.584416
    w_re = 1 / (1 / w + tau2)
    mu = (w_re * y).sum() / w_re.sum()
    se = math.sqrt(1 / w_re.sum())
    res = pool_values(y, [10, 15, 12.5], [25, 25, 25])
    assert res["tau2"] == pytest.approx(tau2, rel=1e-6)
    assert res["i2"] == pytest.approx(0.753158, rel=1e-5)
    assert res["estimate"] == pytest.approx(mu, rel=1e-9)
    assert res["estimate"] == pytest.approx(54.6678, abs=1e-4)
    assert res["ci_low"] == pytest.approx(mu - 1.959964 * se, rel=1e-6)
    assert res["ci_high"] == pytest.approx(mu + 1.959964 * se, rel=1e-6)
    assert res["method"] == "random effects (DL)"


def test_negative_tau2_and_i2_are_clipped_to_zero():
    # Two nearly equal studies: DL's moment estimate of tau^2 is negative; pooled = fixed effect.
    res = pool_values([50, 51], [10, 15], [25, 25])
    assert res["tau2"] == 0 and res["i2"] == 0
    w = np.array([1 / 4, 1 / 9])
    assert res["estimate"] == pytest.approx((w * [50, 51]).sum() / w.sum())
    assert res["ci_high"] - res["ci_low"] == pytest.approx(2 * 1.959964 / math.sqrt(w.sum()), rel=1e-6)


def test_single_study_passes_through_with_its_own_ci():
    res = pool_values([40.0], [20.0], [16])
    assert res["estimate"] == 40 and res["k"] == 1 and res["method"] == "single study"
    assert res["ci_low"] == pytest.approx(40 - 1.959964 * 5)


def test_medians_and_means_are_never_pooled_together():
    df = frame([
        ("a2020", "x", "", "gluteus_medius", "posterior", "median", 40, None, 10),
        ("b2021", "x", "", "gluteus_medius", "posterior", "mean", 60, 10, 20),
        ("c2022", "x", "", "gluteus_medius", "posterior", "mean", 50, 10, 20),
    ])
    out = pool(df).set_index("statistic")
    assert out.loc["median", "estimate"] == 40 and out.loc["median", "k"] == 1
    assert out.loc["median", "method"] == "unweighted" and pd.isna(out.loc["median", "ci_low"])
    assert out.loc["mean", "k"] == 2 and out.loc["mean", "sources"] == ("b2021", "c2022")


def test_variants_of_one_study_count_once():
    df = frame([
        ("a2020", "side-step", "band at knees", "gluteus_medius", "whole", "mean", 30, 6, 20),
        ("a2020", "side-step", "band at feet", "gluteus_medius", "whole", "mean", 50, 8, 20),
    ])
    out = pool(df).iloc[0]
    assert out["k"] == 1 and out["n"] == 20
    assert out["estimate"] == 40
    assert out["ci_high"] - out["estimate"] == pytest.approx(1.959964 * math.sqrt(50 / 20))


def test_missing_sd_gives_unweighted_mean_without_ci():
    df = frame([
        ("a2020", "x", "", "gluteus_medius", "whole", "mean", 30, None, 20),
        ("b2021", "x", "", "gluteus_medius", "whole", "mean", 50, 8, 20),
    ])
    out = pool(df).iloc[0]
    assert out["estimate"] == 40 and out["method"] == "unweighted" and pd.isna(out["ci_low"])


def test_pool_on_the_dataset(df):
    out = pool(df)
    assert len(out) > 0
    assert (out["k"] >= 1).all()
    assert set(out["statistic"]) <= {"mean", "median", "peak"}
    assert (out["tau2"].dropna() >= 0).all() and (out["i2"].dropna() >= 0).all()
    ok = out["ci_low"].notna()
    assert (out.loc[ok, "ci_low"] <= out.loc[ok, "estimate"]).all()
