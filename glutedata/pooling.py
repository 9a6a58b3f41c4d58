"""Random-effects pooling of %MVIC values across studies.

Rules (tested in ``tests/test_pooling.py``):

- Values are grouped by ``by`` plus ``statistic``: means, medians and mean peaks are never mixed.
- A study contributes once per group. When it reports several variants of one exercise (band at
  knees and at ankles, stance and moving limb), those are the same participants, so they are
  averaged first: the mean of the values, the root-mean-square of the SDs, and the largest n.
- Means whose SD and n are known in every study of the group are pooled by DerSimonian-Laird
  random effects (statsmodels ``combine_effects``), with the within-study variance SD^2/n. A
  negative tau^2 is clipped to 0 (the estimate is then the fixed-effect one) and so is I^2.
- A single study with SD and n passes through with its own normal 95% CI.
- Anything else (medians, peaks, or a mean without SD) gets the plain average of the study values and
  no CI, labelled ``unweighted``: the spread needed to weight them is not reported.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

Z = 1.959963984540054  # two-sided 95% normal quantile

POOL_COLUMNS = ["statistic", "estimate", "ci_low", "ci_high", "k", "n", "tau2", "i2", "method", "sources", "variants"]


def per_study(df: pd.DataFrame, keys=()) -> pd.DataFrame:
    """One row per ``keys`` + source: variants averaged (value mean, RMS of SDs, largest n)."""
    keys = list(keys)
    sd = df["sd"].astype("Float64")
    d = pd.DataFrame({
        **{k: df[k] for k in keys}, "source": df["source"],
        "value": df["pct_mvic"].astype(float), "var": (sd.astype(float) ** 2), "sd_missing": sd.isna(),
        "n": df["n"].astype("Float64").astype(float),
        "variant": df["variant"].fillna("").astype(str).replace("", "plain"),
    })
    g = d.groupby(keys + ["source"], observed=True, dropna=False, sort=True)
    out = g.agg(value=("value", "mean"), var=("var", "mean"), sd_missing=("sd_missing", "any"), n=("n", "max"))
    out["variants"] = g["variant"].unique().map(lambda v: tuple(sorted(v)))
    out["sd"] = np.sqrt(out["var"]).where(~out["sd_missing"])
    return out.drop(columns=["var", "sd_missing"]).reset_index()


def pool_values(value, sd, n, statistic: str = "mean") -> dict:
    """Pool one group of per-study values; see the module docstring for the rules."""
    value, sd, n = (np.asarray(x, dtype=float) for x in (value, sd, n))
    k = len(value)
    out = {"estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan, "k": k,
           "tau2": np.nan, "i2": np.nan, "method": "unweighted"}
    if k == 0:
        return out
    weighted = statistic == "mean" and np.all(np.isfinite(sd)) and np.all(np.isfinite(n)) and np.all(n > 0)
    if weighted:
        var = np.maximum(sd ** 2 / n, 1e-12)
        if k == 1:
            half = Z * np.sqrt(var[0])
            out.update(estimate=value[0], ci_low=value[0] - half, ci_high=value[0] + half, method="single study")
            return out
        from statsmodels.stats.meta_analysis import combine_effects  # imported here: it is slow to import

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # sqrt of a negative tau2 before we clip it
            res = combine_effects(value, var, method_re="dl", use_t=False)
            tau2 = max(float(res.tau2), 0.0)
            row = res.summary_frame().loc["random effect" if tau2 > 0 else "fixed effect"]
        out.update(estimate=float(row["eff"]), ci_low=float(row["ci_low"]), ci_high=float(row["ci_upp"]),
                   tau2=tau2, i2=max(float(res.i2), 0.0), method="random effects (DL)")
        return out
    out["estimate"] = float(np.mean(value))
    return out


def pool(df: pd.DataFrame | None = None, by=("exercise", "muscle", "segment")) -> pd.DataFrame:
    """Pooled %MVIC per group, with 95% CI, k (studies), n (participants), tau2 and I^2.

    ``df`` defaults to :func:`glutedata.load`. Returns one row per group of ``by`` and statistic, with
    columns ``by`` + statistic, estimate, ci_low, ci_high, k, n, tau2, i2, method, sources, variants.
    """
    if df is None:
        from .dataset import load
        df = load()
    by = [b for b in by if b != "statistic"]
    keys = by + ["statistic"]
    rows = []
    for key, studies in per_study(df, keys).groupby(keys, sort=True, observed=True, dropna=False):
        res = pool_values(studies["value"], studies["sd"], studies["n"], statistic=str(key[-1]))
        n = studies["n"].sum(min_count=1)
        rows.append({**dict(zip(keys, key)), **res,
                     "n": int(n) if pd.notna(n) else pd.NA,
                     "sources": tuple(studies["source"]),
                     "variants": tuple(v for vs in studies["variants"] for v in vs)})
    out = pd.DataFrame(rows, columns=keys + [c for c in POOL_COLUMNS if c != "statistic"])
    out["n"] = out["n"].astype("Int64")
    out["k"] = out["k"].astype(int)
    for col in by:
        if isinstance(df[col].dtype, pd.CategoricalDtype):
            out[col] = pd.Categorical(out[col], dtype=df[col].dtype)
    return out.reset_index(drop=True)
