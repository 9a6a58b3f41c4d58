"""Pooling rules, and a hand-computed DerSimonian-Laird example (the statistics against metafor: test_meta.py)."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from glutedata import pool
from glutedata.stats.pooling import POOL_COLUMNS, pool_values

NEW_COLUMNS = ["tau2_ci_low", "tau2_ci_high", "q", "q_p", "pi_low", "pi_high"]


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
    res = pool_values(y, [10, 15, 12.5], [25, 25, 25], model="reml", tau2_method="dl")
    assert res["tau2"] == pytest.approx(tau2, rel=1e-6)
    assert res["i2"] == pytest.approx(0.753158, rel=1e-5)
    assert res["q"] == pytest.approx(8.102345, rel=1e-6)
    assert res["q_p"] == pytest.approx(math.exp(-8.102345 / 2), rel=1e-5)  # chi^2 on 2 df
    assert res["estimate"] == pytest.approx(mu, rel=1e-9)
    assert res["estimate"] == pytest.approx(54.6678, abs=1e-4)
    # HKSJ scales the SE by sqrt(sum w (y - mu)^2 / (k - 1)), here 0.99998, which the ad hoc correction
    # raises to 1; on t(2) instead of z, the interval is 2.2 times as wide as the old Wald mu +- 1.96 se.
    scale = math.sqrt((w_re * (y - mu) ** 2).sum() / 2)
    assert scale == pytest.approx(0.99998, abs=1e-5)
    half = stats.t.ppf(0.975, 2) * se * max(1.0, scale)
    assert res["ci_low"] == pytest.approx(mu - half, rel=1e-6)
    assert res["ci_high"] == pytest.approx(mu + half, rel=1e-6)
    assert res["ci_high"] - res["ci_low"] > 2 * 1.959964 * se
    # prediction interval: mu +- t(1) sqrt(tau^2 + se^2)
    assert res["pi_high"] == pytest.approx(mu + stats.t.ppf(0.975, 1) * math.sqrt(tau2 + se ** 2), rel=1e-6)
    assert res["method"] == "random effects (DL, HKSJ)"


@pytest.mark.parametrize("tau2_method", ["reml", "pm", "dl"])
def test_negative_tau2_and_i2_are_clipped_to_zero(tau2_method):
    # Two nearly equal studies: tau^2 would be negative; pooled = fixed effect.
    res = pool_values([50, 51], [10, 15], [25, 25], model="reml", tau2_method=tau2_method)
    assert res["tau2"] == 0 and res["i2"] == 0
    w = np.array([1 / 4, 1 / 9])
    assert res["estimate"] == pytest.approx((w * [50, 51]).sum() / w.sum())
    # Q = 0.0769 < 1, so the ad hoc floor keeps the standard SE; the quantile is t(1), not z.
    assert res["ci_high"] - res["ci_low"] == pytest.approx(2 * stats.t.ppf(0.975, 1) / math.sqrt(w.sum()), rel=1e-6)
    assert np.isnan(res["pi_low"])  # needs k >= 3


def test_reml_check_estimates_tau2_by_reml():
    res = pool_values([50.0, 60.0, 55.0], [10, 15, 12.5], [25, 25, 25], model="reml")
    assert res["method"] == "random effects (REML, HKSJ)"
    assert res["tau2"] == pytest.approx(18.583887, rel=1e-6)  # metafor rma(method="REML")


def test_single_study_passes_through_with_its_own_ci_on_the_log_scale():
    res = pool_values([40.0], [20.0], [16])
    assert res["estimate"] == 40 and res["k"] == 1 and res["method"].startswith("single study")
    se = math.sqrt(20 ** 2 / (16 * 40 ** 2))  # escalc("MNLN"): sd^2 / (n mean^2)
    assert res["ci_low"] == pytest.approx(40 * math.exp(-stats.t.ppf(0.975, 15) * se))
    assert res["ci_high"] == pytest.approx(40 * math.exp(stats.t.ppf(0.975, 15) * se))
    # the check keeps the %MVIC-scale interval
    raw = pool_values([40.0], [20.0], [16], model="reml")
    assert raw["method"] == "single study (t)" and raw["ci_low"] == pytest.approx(40 - stats.t.ppf(0.975, 15) * 5)
    assert all(np.isnan(res[c]) for c in ["tau2", "i2"] + NEW_COLUMNS)


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
    # RMS of the SDs (sqrt((6^2 + 8^2) / 2)), on the log scale
    assert out["ci_high"] == pytest.approx(40 * math.exp(stats.t.ppf(0.975, 19) * math.sqrt(50 / (20 * 40 ** 2))))


def test_missing_sd_gives_unweighted_mean_without_ci_when_not_imputed():
    df = frame([
        ("a2020", "x", "", "gluteus_medius", "whole", "mean", 30, None, 20),
        ("b2021", "x", "", "gluteus_medius", "whole", "mean", 50, 8, 20),
    ])
    out = pool(df, impute_sd=False).iloc[0]
    assert out["estimate"] == 40 and out["method"] == "unweighted" and pd.isna(out["ci_low"])
    assert pool(df, model="reml").iloc[0]["method"] == "unweighted"


def test_pool_on_the_dataset(df):
    out = pool(df)
    assert len(out) > 0
    assert (out["k"] >= 1).all()
    assert set(out["statistic"]) <= {"mean", "median", "peak"}
    assert (out["tau2"].dropna() >= 0).all() and (out["i2"].dropna() >= 0).all()
    ok = out["ci_low"].notna()
    assert (out.loc[ok, "ci_low"] <= out.loc[ok, "estimate"]).all()
    assert list(out.columns) == ["exercise", "muscle", "segment"] + POOL_COLUMNS
    # populations kept apart, so that some groups have SD and n in every study
    by_population = pool(df, by=("exercise", "muscle", "segment", "population"), model="reml")
    pooled = by_population[by_population["method"].str.startswith("random effects")]
    assert len(pooled) > 0 and (pooled["k"] >= 2).all()
    assert (pooled["tau2_ci_low"] <= pooled["tau2_ci_high"]).all()
    assert pooled["q_p"].between(0, 1).all()
    k3 = pooled[pooled["k"] >= 3]
    assert (k3["pi_low"] < k3["estimate"]).all() and (k3["pi_high"] > k3["estimate"]).all()


def test_new_columns():
    df = frame([
        ("a2020", "x", "", "gluteus_medius", "whole", "mean", 50, 10, 25),
        ("b2021", "x", "", "gluteus_medius", "whole", "mean", 60, 15, 25),
        ("c2022", "x", "", "gluteus_medius", "whole", "mean", 55, 12.5, 25),
        ("a2020", "y", "", "gluteus_medius", "whole", "mean", 50, 10, 25),
        ("b2021", "y", "", "gluteus_medius", "whole", "mean", 65, 15, 25),
    ])
    out = pool(df, model="reml").set_index("exercise")
    assert all(c in out.columns for c in NEW_COLUMNS + ["flags"])
    x, y = out.loc["x"], out.loc["y"]
    assert x["method"] == "random effects (REML, HKSJ)" and x["k"] == 3
    # metafor: confint(rma(c(50, 60, 55), c(4, 9, 6.25))) and predict(..., pi.type="riley")
    assert (x["tau2_ci_low"], x["tau2_ci_high"]) == pytest.approx((0.578539, 980.949365), rel=1e-5)
    assert x["pi_low"] < x["ci_low"] < x["estimate"] < x["ci_high"] < x["pi_high"]
    assert x["q"] == pytest.approx(8.102345, rel=1e-6) and 0 < x["q_p"] < 0.05
    assert y["k"] == 2 and pd.isna(y["pi_low"]) and pd.isna(y["pi_high"]) and y["tau2_ci_high"] > y["tau2"] > 0
    dl = pool(df, model="reml", tau2_method="dl").set_index("exercise")
    assert dl.loc["x", "method"] == "random effects (DL, HKSJ)"
    assert dl.loc["x", "tau2"] == pytest.approx(18.584416, rel=1e-6)
    assert (dl.loc["x", "tau2_ci_low"], dl.loc["x", "q"]) == pytest.approx((x["tau2_ci_low"], x["q"]))


@pytest.mark.parametrize("bad", ["DL", "sj", "", None])
def test_invalid_tau2_method(bad):
    df = frame([("a2020", "x", "", "gluteus_medius", "whole", "mean", 50, 10, 25)])
    with pytest.raises(ValueError, match="tau2_method must be one of reml, pm, dl"):
        pool(df, tau2_method=bad)
    with pytest.raises(ValueError, match="reml, pm, dl"):
        pool_values([50.0, 60.0], [10, 15], [25, 25], model="reml", tau2_method=bad)
