"""Random-effects pooling of %MVIC values across studies.

Rules (tested in ``tests/test_pooling.py``; the statistics in ``tests/test_meta.py`` against R metafor):

- Values are grouped by ``by`` plus ``statistic``: means, medians and mean peaks are never mixed.
- A study contributes once per group. When it reports several variants of one exercise (band at
  knees and at ankles, stance and moving limb), those are the same participants, so they are
  averaged first: the mean of the values, the root-mean-square of the SDs, and the largest n.
- Means whose SD and n are known in every study of the group are pooled by random effects
  (:func:`glutedata.stats.meta.random_effects`) with the within-study variance SD^2/n: tau^2 by REML
  (``tau2_method`` "pm" or "dl" for Paule-Mandel or DerSimonian-Laird, all truncated at 0), a
  Hartung-Knapp-Sidik-Jonkman 95% CI on t(k-1) that is never narrower than the Wald one, a
  Q-profile CI of tau^2, I^2 (a fraction), Cochran's Q, and for k >= 3 a 95% prediction interval.
- A single study with SD and n passes through with its own 95% CI, value +- t(n-1) SD/sqrt(n).
- Anything else (medians, peaks, or a mean without SD) gets the plain average of the study values and
  no CI, labelled ``unweighted``: the spread needed to weight them is not reported.
- Values from studies whose appraisal (``studies.csv``) records concerns are left out unless
  ``include_flagged=True``; what was left out, and why, is in ``attrs["left_out"]`` (records) and
  ``attrs["footnote"]``. A frame without a ``concerns`` column (a user's own) leaves nothing out.
- Every row carries ``flags`` (:mod:`glutedata.stats.certainty`): k<3, N<30, I²>0.75, abstract-only,
  study concerns, mixed EMG methods, mixed normalisation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..markup import one_line
from .certainty import group_flags
from .meta import TAU2_METHODS, random_effects, single_study

POOL_COLUMNS = ["statistic", "estimate", "ci_low", "ci_high", "k", "n", "tau2", "i2", "method", "sources", "variants",
                "tau2_ci_low", "tau2_ci_high", "q", "q_p", "pi_low", "pi_high", "flags", "ci_se", "ci_df"]
_RESULT_KEYS = ["estimate", "ci_low", "ci_high", "tau2", "i2", "tau2_ci_low", "tau2_ci_high", "q", "q_p",
                "pi_low", "pi_high", "ci_se", "ci_df"]


def _check_tau2_method(tau2_method: str) -> None:
    if tau2_method not in TAU2_METHODS:
        raise ValueError(f"tau2_method must be one of {', '.join(TAU2_METHODS)}; got {tau2_method!r}")


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
    group = keys + ["source"]
    g = d.groupby(group, observed=True, dropna=False, sort=True)
    out = g.agg(value=("value", "mean"), var=("var", "mean"), sd_missing=("sd_missing", "any"), n=("n", "max"))
    out["variants"] = _variants(d, group).reindex(out.index)
    out["sd"] = np.sqrt(out["var"]).where(~out["sd_missing"])
    return out.drop(columns=["var", "sd_missing"]).reset_index()


def _variants(d: pd.DataFrame, group: list[str]) -> pd.Series:
    """Sorted tuple of the variants of each group. The unique (group, variant) pairs are sorted and split
    at group boundaries, instead of a Python call per group (a million rows hold ~10^5 groups)."""
    unique = d[group + ["variant"]].drop_duplicates().sort_values(group + ["variant"], kind="stable")
    by = unique.groupby(group, observed=True, dropna=False, sort=True)
    ids = by.ngroup().to_numpy()
    values = unique["variant"].to_numpy(dtype=object)
    parts = np.split(values, np.flatnonzero(np.diff(ids)) + 1) if len(values) else []
    return pd.Series([tuple(p) for p in parts], index=by.size().index, dtype=object)


def pool_values(value, sd, n, statistic: str = "mean", *, tau2_method: str = "reml") -> dict:
    """Pool one group of per-study values; see the module docstring for the rules."""
    _check_tau2_method(tau2_method)
    value, sd, n = (np.asarray(x, dtype=float) for x in (value, sd, n))
    k = len(value)
    # "se" (the standard random-effects SE, not the HKSJ one) is for callers such as subgroup tests
    out = {**dict.fromkeys(_RESULT_KEYS + ["se"], np.nan), "k": k, "method": "unweighted"}
    if k == 0:
        return out
    weighted = statistic == "mean" and np.all(np.isfinite(sd)) and np.all(np.isfinite(n)) and np.all(n > 0)
    if weighted and k == 1:
        res = single_study(value[0], sd[0], n[0])
        res.update(ci_se=res["se"], ci_df=n[0] - 1)
    elif weighted:
        # The floor keeps a reported SD of 0 from giving one study infinite weight.
        res = random_effects(value, np.maximum(sd ** 2 / n, 1e-12), method=tau2_method)
        res.update(ci_se=res["se_hksj"], ci_df=k - 1)
    else:
        res = {"estimate": float(np.mean(value))}
    out.update({key: res[key] for key in out if key in res})
    return out


def left_out(df: pd.DataFrame, include_flagged: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split ``df`` into the rows to use and those left out for appraisal concerns (with a reason)."""
    if include_flagged or "concerns" not in df.columns:
        return df, df.iloc[0:0].assign(reason=pd.Series(dtype="string"))
    flagged = df["concerns"].notna()
    return df[~flagged], df[flagged].assign(reason=df.loc[flagged, "concerns"])


def left_out_records(dropped: pd.DataFrame) -> list[dict]:
    """What was left out, one record per study: source, values (how many), exercises, reason.

    Plain records, not a frame: pandas compares attrs when frames are concatenated, and copies them on
    every operation, so they stay small."""
    if dropped.empty:
        return []
    per = dropped.groupby("source", observed=True, sort=True).agg(
        values=("source", "size"), exercises=("exercise", lambda s: ", ".join(sorted(set(map(str, s))))),
        reason=("reason", "first"))
    return [{"source": str(src), "values": int(r["values"]), "exercises": r["exercises"], "reason": str(r["reason"])}
            for src, r in per.iterrows()]


def _clip(text: str, limit: int = 110) -> str:
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0].rstrip(",;(") + " ..."


def footnote(used: pd.DataFrame, dropped: pd.DataFrame) -> str:
    """One plain line under a table or chart: studies and participants behind it, and what was left out."""
    n = used.groupby("source", observed=True)["n"].max().sum() if "n" in used and len(used) else 0
    k = used["source"].nunique()
    line = f"Based on {k} {'study' if k == 1 else 'studies'} ({int(n)} participants where stated)"
    if dropped.empty:
        return line + "; nothing left out."
    studies = dropped.groupby("source", observed=True).agg(values=("reason", "size"), reason=("reason", "first"))
    parts = [f"{src} ({row['values']} values: {_clip(one_line(row['reason']))})" for src, row in studies.iterrows()]
    return (line + f". Left out for appraisal concerns: {'; '.join(parts)}. "
            "include_flagged=True (CLI: --include-flagged) keeps them.")


def pool(df: pd.DataFrame | None = None, by=("exercise", "muscle", "segment"), *,
         tau2_method: str = "reml", include_flagged: bool = False) -> pd.DataFrame:
    """Pooled %MVIC per group, with 95% CI, k (studies), n (participants), heterogeneity and prediction interval.

    ``df`` defaults to :func:`glutedata.load`; ``tau2_method`` is "reml", "pm" or "dl". Returns one row
    per group of ``by`` and statistic, with columns ``by`` + statistic, estimate, ci_low, ci_high, k, n,
    tau2, i2, method, sources, variants, tau2_ci_low, tau2_ci_high (Q-profile), q, q_p (Cochran's Q
    and its p), pi_low, pi_high (95% prediction interval, k >= 3), flags (see the module docstring),
    and ci_se, ci_df: the scale and degrees of freedom of the t distribution the CI comes from.

    Values from studies with appraisal concerns are left out unless ``include_flagged=True``;
    ``attrs["left_out"]`` lists them, one dict per study (source, values, exercises, reason), and
    ``attrs["footnote"]`` says it in one line.
    """
    _check_tau2_method(tau2_method)
    if df is None:
        from ..data.loaders import load
        df = load()
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"pool() takes a frame from load() or filter_rows(), not {type(df).__name__}")
    by = [by] if isinstance(by, str) else list(by)
    needed = {"source", "pct_mvic", "sd", "n", "variant", "statistic"}
    missing = sorted(needed - set(df.columns))
    if missing:
        raise ValueError(f"pool() needs the columns of load(); this frame lacks {', '.join(missing)}")
    unknown = [b for b in by if b not in df.columns]
    if unknown:
        raise ValueError(f"pool(by=...): no column {', '.join(map(repr, unknown))}; "
                         f"group by any of: {', '.join(map(str, df.columns))}")
    by = [b for b in by if b != "statistic"]
    keys = by + ["statistic"]
    used, dropped = left_out(df, include_flagged)
    values = {key: g for key, g in used.groupby(keys, sort=True, observed=True, dropna=False)}
    rows = []
    for key, studies in per_study(used, keys).groupby(keys, sort=True, observed=True, dropna=False):
        res = pool_values(studies["value"], studies["sd"], studies["n"], statistic=str(key[-1]),
                          tau2_method=tau2_method)
        n = studies["n"].sum(min_count=1)
        rows.append({**dict(zip(keys, key)), **res,
                     "n": int(n) if pd.notna(n) else pd.NA,
                     "sources": tuple(studies["source"]),
                     "variants": tuple(sorted({v for vs in studies["variants"] for v in vs})),
                     "flags": "; ".join(group_flags(values[key], res["k"], n, res["i2"]))})
    out = pd.DataFrame(rows, columns=keys + [c for c in POOL_COLUMNS if c != "statistic"])
    out["n"] = out["n"].astype("Int64")
    out["k"] = out["k"].astype(int)
    for col in by:
        if isinstance(df[col].dtype, pd.CategoricalDtype):
            out[col] = pd.Categorical(out[col], dtype=df[col].dtype)
    out = out.reset_index(drop=True)
    out.attrs["left_out"] = left_out_records(dropped)
    out.attrs["footnote"] = footnote(used, dropped)
    return out
