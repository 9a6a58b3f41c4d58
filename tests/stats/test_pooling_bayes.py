"""The default pooling: Bayesian random effects on the log scale, SD imputation, prior sensitivity."""

import json
import math

import numpy as np
import pandas as pd
import pytest

import glutedata as gd
from glutedata.stats.bayes import log_mean, posterior
from glutedata.stats.pooling import BAND_P_COLUMNS, pool_values, within_study_cv

from ..conftest import ROOT
from .test_pooling import frame

REFERENCE = json.loads((ROOT / "tests" / "fixtures" / "bayesmeta-log-scale.json").read_text(encoding="utf-8"))
INPUTS = {g["name"]: g for g in REFERENCE["inputs"]}


def _rows(group: str) -> pd.DataFrame:
    g = INPUTS[group]
    return frame([(f"s{i}2020", "x", "", "gluteus_medius", "whole", "mean", m, s, n)
                  for i, (m, s, n) in enumerate(zip(g["mean"], g["sd"], g["n"]))])


@pytest.mark.parametrize("rec", REFERENCE["records"], ids=lambda r: f"{r['group']}-{r['prior_scale']}")
def test_pool_matches_bayesmeta_in_percent_mvic(rec):
    out = gd.pool(_rows(rec["group"]), prior_scale=rec["prior_scale"]).iloc[0]
    assert out["model"] == "bayes" and out["k"] == len(rec["y"])
    for col, key in (("estimate", "mu_median"), ("ci_low", "mu_low"), ("ci_high", "mu_high"),
                     ("pi_low", "pred_low"), ("pi_high", "pred_high")):
        assert out[col] == pytest.approx(math.exp(rec[key]), rel=5e-3), col
    assert out["tau"] == pytest.approx(rec["tau_median"], abs=5e-3)
    above = [rec[f"p_mu_above_log{c}"] for c in (20, 40, 60)]
    expected = [1 - above[0], above[0] - above[1], above[1] - above[2], above[2]]
    np.testing.assert_allclose(out[BAND_P_COLUMNS].astype(float), expected, atol=5e-3)


def test_every_interval_stays_above_zero_where_reml_went_below():
    # two disagreeing studies: HKSJ on the %MVIC scale goes far below 0, the log-scale model cannot
    rows = _rows("k2_disagree")
    reml = gd.pool(rows, model="reml").iloc[0]
    bayes = gd.pool(rows).iloc[0]
    assert reml["ci_low"] < 0 < bayes["ci_low"] < bayes["estimate"] < bayes["ci_high"]
    assert 0 < bayes["pi_low"] < bayes["ci_low"] and bayes["pi_high"] > bayes["ci_high"]


def test_no_pooled_interval_on_the_dataset_falls_below_zero(df):
    for by in (("exercise", "muscle", "segment"), ("exercise", "muscle", "segment", "population")):
        out = gd.pool(df, by=by, include_flagged=True)
        for col in ("ci_low", "pi_low"):
            assert (out[col].dropna() > 0).all(), col
        ok = out["ci_low"].notna()
        assert (out.loc[ok, "ci_low"] <= out.loc[ok, "estimate"]).all()
        assert (out.loc[ok, "estimate"] <= out.loc[ok, "ci_high"]).all()


def test_a_missing_sd_is_imputed_from_the_median_within_study_cv():
    rows = frame([
        ("a2020", "x", "", "gluteus_medius", "whole", "mean", 82, None, 13),
        ("b2021", "x", "", "gluteus_medius", "whole", "mean", 33, 17, 20),
        ("c2022", "y", "", "gluteus_medius", "whole", "mean", 40, 20, 10),
    ])
    cv = within_study_cv(rows)
    assert cv == {"mean": pytest.approx(np.median([17 / 33, 20 / 40]))}
    out = gd.pool(rows).set_index("exercise").loc["x"]
    assert out["imputed"] == 1 and "SD imputed" in out["flags"] and "SD imputed" in out["method"]
    y, v = log_mean([82, 33], [0, 17], [13, 20])
    v[0] = cv["mean"] ** 2 / 13
    r = posterior(y, v, prior_scale=0.5)
    assert out["estimate"] == pytest.approx(math.exp(r.mu_median))
    assert (out["ci_low"], out["ci_high"]) == pytest.approx((math.exp(r.mu_low), math.exp(r.mu_high)))
    assert "SD imputed for 1 value" in gd.pool(rows).attrs["footnote"]
    # left out of the interval when asked
    plain = gd.pool(rows, impute_sd=False).set_index("exercise").loc["x"]
    assert pd.isna(plain["ci_low"]) and plain["method"] == "unweighted" and "SD imputed" not in plain["flags"]


def test_clamshell_gets_an_interval_with_its_sd_imputed(df):
    row = gd.rank("whole", df=df).set_index("exercise").loc["clamshell"]
    assert row["k"] == 2 and 0 < row["ci_low"] < row["estimate"] < row["ci_high"]
    assert "SD imputed" in row["flags"] and row["imputed"] == 1
    assert "SD imputed" in gd.load()[lambda d: (d["exercise"] == "clamshell") & d["sd"].isna()]["flags"].iloc[0]


def test_medians_stay_unweighted_and_apart():
    rows = frame([
        ("a2020", "x", "", "gluteus_medius", "posterior", "median", 40, None, 10),
        ("b2021", "x", "", "gluteus_medius", "posterior", "median", 60, None, 10),
        ("c2022", "x", "", "gluteus_medius", "posterior", "mean", 50, 10, 20),
    ])
    out = gd.pool(rows).set_index("statistic")
    assert out.loc["median", "method"] == "unweighted" and pd.isna(out.loc["median", "ci_low"])
    assert out.loc["median", "k"] == 2 and out.loc["mean", "k"] == 1


def test_prior_sensitive_when_the_band_moves_between_priors():
    # two far-apart studies: the width of the prior on tau decides how wide the interval is
    wide = pool_values([25.0, 70.0], [10.0, 30.0], [18, 20])
    assert wide["prior_sensitive"]
    close = pool_values([41.0, 42.0, 43.0], [8.0, 8.0, 8.0], [40, 40, 40])
    assert not close["prior_sensitive"]


@pytest.mark.parametrize("bad", [0, -1, "0.5", True, float("nan")])
def test_prior_scale_out_of_range_is_refused(bad):
    with pytest.raises(ValueError, match="prior_scale"):
        gd.pool(_rows("k2_close"), prior_scale=bad)


def test_model_must_be_known():
    with pytest.raises(ValueError, match="model must be one of bayes, reml"):
        gd.pool(_rows("k2_close"), model="Bayes")
