"""How much a pooled answer depends on choices: the tau² estimator, each study, the EMG method."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.arguments import check_filters
from ..data.loaders import load
from ..stats.pooling import PRIOR_SCALES, left_out_records, per_study, pool, pool_values, within_study_cv
from .select import filter_rows

COLUMNS = ["analysis", "k", "n", "estimate", "ci_low", "ci_high", "pi_low", "pi_high", "tau", "tau2", "i2",
           "method", "sources", "flags"]
ESTIMATORS = {"reml": "REML", "pm": "Paule-Mandel", "dl": "DerSimonian-Laird"}


def _prior_label(scale: float) -> str:
    return f"Bayes, half-normal({scale:g}) prior on tau" + (" (default)" if scale == 0.5 else "")


def _row(analysis: str, rows: pd.DataFrame, cv: dict, **how) -> dict:
    pooled = pool(rows, by=("exercise",), cv=cv, include_flagged=True, **how)
    if pooled.empty:
        return {"analysis": analysis, "k": 0}
    r = pooled.iloc[0]
    return {"analysis": analysis, **{c: r[c] for c in COLUMNS[1:]}}


def subgroup_test(rows: pd.DataFrame, by: str = "emg") -> dict:
    """Test for subgroup differences (as RevMan reports it): Q between the subgroups' random-effects
    estimates, weighted by 1/SE², on (groups - 1) degrees of freedom. Subgroups without a standard
    error (no SD or n) cannot take part; ``groups`` lists those that did."""
    from scipy.special import chdtrc

    est, se, groups = [], [], []
    for name, g in rows.groupby(by, observed=True):
        studies = per_study(g)
        res = pool_values(studies["value"], studies["sd"], studies["n"], "mean", model="reml")
        if pd.notna(res["se"]):  # the standard error, not the HKSJ-widened one, as in RevMan
            est.append(res["estimate"]), se.append(res["se"]), groups.append(str(name))
    if len(groups) < 2:
        return {"groups": groups, "q": np.nan, "df": 0, "p": np.nan,
                "note": "fewer than two subgroups with a standard error: no test"}
    w = 1 / np.square(se)
    mean = np.sum(w * np.array(est)) / np.sum(w)
    q = float(np.sum(w * (np.array(est) - mean) ** 2))
    return {"groups": groups, "q": q, "df": len(groups) - 1, "p": float(chdtrc(len(groups) - 1, q)), "note": ""}


def sensitivity(exercise: str, segment: str, muscle: str = "gluteus_medius", *, population="healthy",
                statistic: str = "mean", df: pd.DataFrame | None = None,
                include_flagged: bool = False) -> pd.DataFrame:
    """The pooled estimate of one exercise and segment under other reasonable choices.

    Rows (``analysis``): the Bayesian model under half-normal priors of scale 0.5 (the default), 0.3
    and 1.0 on tau; REML, Paule-Mandel and DerSimonian-Laird with an HKSJ interval on the log scale
    (the frequentist check, back-transformed so that no interval falls below 0); leaving out each
    study in turn ("without <key>"); each EMG method alone ("surface only", ...); and, when studies
    with appraisal concerns were left out, the estimate with them ("with flagged studies").
    Columns: analysis, k, n, estimate, ci_low, ci_high, pi_low, pi_high, tau, tau2, i2, method,
    sources, flags. ``attrs["subgroup_test"]`` compares the EMG methods (:func:`subgroup_test`);
    ``attrs["prior_sensitive"]`` says whether the band of the estimate, or the bands its interval
    spans, differ between the priors of scale 0.3 and 1.0.

    >>> import glutedata as gd
    >>> gd.sensitivity("clamshell", "whole")["analysis"].iloc[0]
    'Bayes, half-normal(0.5) prior on tau (default)'
    """
    check_filters(df, exercise=exercise, segment=segment, muscle=muscle, population=population,
                  statistic=statistic)
    if df is None:
        df = load()
    rows = filter_rows(df, exercise=exercise, segment=segment, muscle=muscle, population=population,
                       statistic=statistic)
    flagged = rows["concerns"].notna() if "concerns" in rows else pd.Series(False, index=rows.index)
    used = rows if include_flagged else rows[~flagged]
    cv = within_study_cv(df)
    scales = sorted(PRIOR_SCALES, key=lambda x: x != 0.5)  # the default first
    out = [_row(_prior_label(sc), used, cv, prior_scale=sc) for sc in scales]
    out += [_row(f"{label}, HKSJ (log scale)", used, cv, model="reml-log", tau2_method=m)
            for m, label in ESTIMATORS.items()]
    sources = sorted(used["source"].unique())
    if len(sources) > 1:
        out += [_row(f"without {s}", used[used["source"] != s], cv) for s in sources]
    methods = sorted(used["emg"].astype(str).unique())
    if len(methods) > 1:
        out += [_row(f"{m} only", used[used["emg"].astype(str) == m], cv) for m in methods]
    if not include_flagged and flagged.any():
        out.append(_row("with flagged studies", rows, cv))
    result = pd.DataFrame(out, columns=COLUMNS)
    result["k"] = result["k"].fillna(0).astype(int)
    result.attrs["subgroup_test"] = subgroup_test(used)
    result.attrs["prior_sensitive"] = bool(result["flags"].fillna("").str.contains("prior-sensitive").iloc[0])
    result.attrs["left_out"] = left_out_records(rows[flagged].assign(reason=rows.loc[flagged, "concerns"])
                                                if "concerns" in rows and not include_flagged else rows.iloc[0:0])
    return result
