"""Pooling %MVIC values across studies.

Rules (tested in ``tests/stats/test_pooling.py``; the engines against R in ``test_bayes.py`` and
``test_meta.py``):

- Values are grouped by ``by`` plus ``statistic``: means, medians and mean peaks are never mixed.
- A study contributes once per group. When it reports several variants of one exercise (band at
  knees and at ankles, stance and moving limb), those are the same participants, so they are
  averaged first: the mean of the values, the root-mean-square of the SDs, and the largest n.
- ``model="bayes"`` (the default): %MVIC is positive, so each study's mean is pooled on the log scale
  (y = log(mean), v = SD^2 / (n mean^2), metafor's ``escalc("MNLN")``) by a Bayesian random-effects
  model (:mod:`glutedata.stats.bayes`) with a half-normal prior of scale ``prior_scale`` on tau, the
  model methodologists recommend for two to five studies. ``estimate`` is exp(posterior median of
  mu); ``ci_low``/``ci_high`` the shortest 95% credible interval; ``pi_low``/``pi_high`` the shortest
  95% interval for a new study; ``tau`` with its interval (log scale); ``p_low`` ... ``p_very_high``
  the posterior probability of each band. Nothing falls below 0.
- A single study with SD and n gets its own 95% CI on the log scale, exp(y +- t(n-1) sqrt(v)).
- A mean without SD but with n gets a variance imputed from the within-study coefficients of variation
  of the same statistic (Cochrane Handbook 6.5.2.7), v = CV^2 / n with the median CV of ``cv`` (by
  default, of the frame being pooled); its row is flagged "SD imputed". ``impute_sd=False`` gives such
  groups no interval, as does any group with a value lacking n or with medians only (``unweighted``).
- ``model="reml"`` is the labelled check: metafor's REML (``tau2_method`` "pm" or "dl"), HKSJ CI on
  t(k-1) never narrower than the Wald one, Q-profile CI of tau^2 and, for k >= 3, a prediction
  interval, on the %MVIC scale itself (so, with disagreeing studies, below 0). ``model="reml-log"``
  runs the same on the log scale and back-transforms, as :func:`glutedata.sensitivity` shows it.
- Values from studies whose appraisal (``studies.csv``) records concerns are left out unless
  ``include_flagged=True``; what was left out, and why, is in ``attrs["left_out"]`` (records) and
  ``attrs["footnote"]``. A frame without a ``concerns`` column (a user's own) leaves nothing out.
- Every row carries ``flags`` (:mod:`glutedata.stats.certainty`): k<3, N<30, I²>0.75, abstract-only,
  study concerns, mixed EMG methods, mixed normalisation, SD imputed, prior-sensitive (the band of
  the estimate or the bands its interval spans differ between half-normal priors of scale 0.3 and 1).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.bands import BANDS, EDGES, band
from ..markup import one_line
from .bayes import log_mean, posteriors
from .certainty import band_probabilities, band_range, group_flags
from .meta import TAU2_METHODS, random_effects, single_study

MODELS = ("bayes", "reml", "reml-log")
PRIOR_SCALES = (0.3, 0.5, 1.0)  # the default and the two that test its influence
BAND_P_COLUMNS = [f"p_{b.replace(' ', '_')}" for b in BANDS]
POOL_COLUMNS = ["statistic", "estimate", "ci_low", "ci_high", "k", "n", "tau2", "i2", "method", "sources", "variants",
                "tau2_ci_low", "tau2_ci_high", "q", "q_p", "pi_low", "pi_high", "flags", "ci_se", "ci_df",
                "model", "tau", "tau_ci_low", "tau_ci_high", *BAND_P_COLUMNS, "imputed"]
_RESULT_KEYS = ["estimate", "ci_low", "ci_high", "tau2", "i2", "tau2_ci_low", "tau2_ci_high", "q", "q_p",
                "pi_low", "pi_high", "ci_se", "ci_df", "tau", "tau_ci_low", "tau_ci_high", *BAND_P_COLUMNS]


def _check(tau2_method: str, model: str = "bayes", prior_scale: float = 0.5) -> None:
    if tau2_method not in TAU2_METHODS:
        raise ValueError(f"tau2_method must be one of {', '.join(TAU2_METHODS)}; got {tau2_method!r}")
    if model not in MODELS:
        raise ValueError(f"model must be one of {', '.join(MODELS)}; got {model!r}")
    if isinstance(prior_scale, bool) or not isinstance(prior_scale, (int, float)) or not 0 < prior_scale <= 10:
        raise ValueError(f"prior_scale must be a number above 0 and at most 10 (log-scale SD); got {prior_scale!r}")


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


def within_study_cv(df: pd.DataFrame) -> dict[str, float]:
    """Median coefficient of variation (SD / value) of each statistic, over the values that give an SD,
    leaving out studies with appraisal concerns: what a missing SD is imputed from."""
    rows = df[df["sd"].notna() & (df["pct_mvic"].astype(float) > 0)]
    if "concerns" in rows:
        rows = rows[rows["concerns"].isna()]
    cv = rows["sd"].astype(float) / rows["pct_mvic"].astype(float)
    return {str(s): float(c.median()) for s, c in cv.groupby(rows["statistic"].astype(str)) if len(c)}


def _band_p(p_above) -> dict[str, float]:
    """Band probabilities from P(X > 20), P(X > 40), P(X > 60)."""
    cum = [1.0, *map(float, p_above), 0.0]
    return {key: cum[i] - cum[i + 1] for i, key in enumerate(BAND_P_COLUMNS)}


def _log_single(value: float, v: float, n: float) -> dict:
    """One study's 95% CI on the log scale, exp(y +- t(n-1) sqrt(v)), and its band probabilities."""
    from scipy.special import stdtr, stdtrit

    if not n >= 2:
        return {"estimate": value}
    y, se = np.log(value), np.sqrt(v)
    half = stdtrit(n - 1, 0.975) * se
    above = [1 - stdtr(n - 1, (np.log(edge) - y) / se) for edge in EDGES]
    return {"estimate": value, "ci_low": float(np.exp(y - half)), "ci_high": float(np.exp(y + half)),
            "ci_se": se, "ci_df": n - 1, **_band_p(above)}


def _bayes(y, v, r) -> dict:
    """Posterior summaries of ``r`` on the %MVIC scale, Cochran's Q and I² (Higgins) on the log scale."""
    from scipy.special import chdtrc

    w = 1 / v
    q = float(np.sum(w * (y - np.sum(w * y) / np.sum(w)) ** 2))
    k = len(y)
    return {"estimate": float(np.exp(r.mu_median)), "ci_low": float(np.exp(r.mu_low)),
            "ci_high": float(np.exp(r.mu_high)), "pi_low": float(np.exp(r.pred_low)),
            "pi_high": float(np.exp(r.pred_high)), "tau": r.tau_median, "tau_ci_low": r.tau_low,
            "tau_ci_high": r.tau_high, "q": q, "q_p": float(chdtrc(k - 1, q)),
            "i2": max(0.0, (q - (k - 1)) / q) if q > 0 else 0.0, **_band_p(r.p_above(np.log(EDGES)))}


def _looks(r) -> tuple:
    """What a reader takes from a posterior: the band of the estimate and the bands its interval spans."""
    return band(float(np.exp(r.mu_median))), band_range(float(np.exp(r.mu_low)), float(np.exp(r.mu_high)))


def pool_values(value, sd, n, statistic: str = "mean", *, model: str = "bayes", prior_scale: float = 0.5,
                cv: float | None = None, impute_sd: bool = True, tau2_method: str = "reml") -> dict:
    """Pool one group of per-study values; see the module docstring for the rules.

    Besides the columns of :func:`pool`, ``imputed`` counts the values whose SD was imputed and
    ``prior_sensitive`` says whether the answer's band changes between priors (``model="bayes"``).
    """
    _check(tau2_method, model, prior_scale)
    value, sd, n = (np.asarray(x, dtype=float) for x in (value, sd, n))
    k = len(value)
    # "se" (the standard random-effects SE, not the HKSJ one) is for callers such as subgroup tests
    out = {**dict.fromkeys(_RESULT_KEYS + ["se"], np.nan), "k": k, "method": "unweighted", "model": model,
           "imputed": 0, "prior_sensitive": False}
    if k == 0:
        return out
    if model != "bayes":
        out.update(_reml(value, sd, n, statistic, tau2_method, log=model == "reml-log"))
        return out
    has_n = np.isfinite(n) & (n > 0)
    given = np.isfinite(sd) & has_n & (value > 0)
    can_impute = impute_sd and cv is not None and np.isfinite(cv) and cv > 0
    missing = ~np.isfinite(sd) & has_n & (value > 0)
    if statistic == "median" or not np.all(given | (missing & can_impute)):
        out["estimate"] = float(np.mean(value))  # no spread to weight by, or nothing to impute it from
        return out
    y, v = log_mean(value, np.where(given, sd, 0.0), n)
    v = np.where(given, np.maximum(v, 1e-12), (cv or 0.0) ** 2 / n)  # floor: an SD of 0 is not infinite weight
    out["imputed"] = int(np.sum(~given))
    if k == 1:
        out.update(_log_single(float(value[0]), float(v[0]), float(n[0])))
        out["method"] = "single study (95% CI on the log scale, t on n-1)"
    else:
        # the default and the two priors whose answers decide "prior-sensitive", on one likelihood
        default, narrow, wide = posteriors(y, v, (prior_scale, PRIOR_SCALES[0], PRIOR_SCALES[-1]))
        out.update(_bayes(y, v, default))
        out["prior_sensitive"] = _looks(narrow) != _looks(wide)
        out["method"] = f"Bayesian random effects (log scale, half-normal({prior_scale:g}) prior on tau)"
    if out["imputed"]:
        out["method"] += f"; SD imputed for {out['imputed']} of {k} (CV {cv:.2f})"
    return out


def _reml(value, sd, n, statistic: str, tau2_method: str, log: bool = False) -> dict:
    """The metafor check, on the %MVIC scale or (``log``) on the log scale, back-transformed."""
    weighted = statistic == "mean" and np.all(np.isfinite(sd)) and np.all(np.isfinite(n)) and np.all(n > 0)
    k = len(value)
    if log and weighted and np.all(value > 0):
        y, v = log_mean(value, sd, n)
        if k == 1:
            return {**_log_single(float(value[0]), float(v[0]), float(n[0])), "method": "single study (log scale)"}
        res = random_effects(y, np.maximum(v, 1e-12), method=tau2_method)
        out = {key: float(np.exp(res[key])) for key in ("estimate", "ci_low", "ci_high", "pi_low", "pi_high")}
        out.update({key: res[key] for key in ("tau2", "i2", "tau2_ci_low", "tau2_ci_high", "q", "q_p", "se")},
                   tau=float(np.sqrt(res["tau2"])), method=res["method"].replace("HKSJ", "HKSJ, log scale"))
        return out
    if weighted and k == 1:
        res = single_study(value[0], sd[0], n[0])
        res.update(ci_se=res["se"], ci_df=n[0] - 1)
    elif weighted:
        # The floor keeps a reported SD of 0 from giving one study infinite weight.
        res = random_effects(value, np.maximum(sd ** 2 / n, 1e-12), method=tau2_method)
        res.update(ci_se=res["se_hksj"], ci_df=k - 1)
    else:
        res = {"estimate": float(np.mean(value))}
    res.update(band_probabilities(res["estimate"], res.get("ci_se", np.nan), res.get("ci_df", np.nan)))
    return {key: res[key] for key in ["method", "se", *_RESULT_KEYS] if key in res}


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


def footnote(used: pd.DataFrame, dropped: pd.DataFrame, imputed: int = 0, cv: dict | None = None) -> str:
    """One plain line under a table or chart: studies and participants behind it, SDs imputed, and what
    was left out."""
    n = used.groupby("source", observed=True)["n"].max().sum() if "n" in used and len(used) else 0
    k = used["source"].nunique()
    line = f"Based on {k} {'study' if k == 1 else 'studies'} ({int(n)} participants where stated)"
    if imputed:
        cvs = ", ".join(f"{s} {c:.2f}" for s, c in sorted((cv or {}).items()))
        line += (f"; SD imputed for {imputed} {'value' if imputed == 1 else 'values'} from the median "
                 f"within-study coefficient of variation ({cvs})")
    if dropped.empty:
        return line + "; nothing left out."
    studies = dropped.groupby("source", observed=True).agg(values=("reason", "size"), reason=("reason", "first"))
    parts = [f"{src} ({row['values']} values: {_clip(one_line(row['reason']))})" for src, row in studies.iterrows()]
    return (line + f". Left out for appraisal concerns: {'; '.join(parts)}. "
            "include_flagged=True (CLI: --include-flagged) keeps them.")


def pool(df: pd.DataFrame | None = None, by=("exercise", "muscle", "segment"), *, model: str = "bayes",
         prior_scale: float = 0.5, impute_sd: bool = True, cv: dict | None = None, tau2_method: str = "reml",
         include_flagged: bool = False) -> pd.DataFrame:
    """Pooled %MVIC per group, with a 95% interval, k (studies), n (participants), heterogeneity and the
    interval for a new study.

    ``df`` defaults to :func:`glutedata.load`. ``model`` is "bayes" (default: log scale, half-normal
    prior of scale ``prior_scale`` on tau) or "reml" (metafor's REML/HKSJ on the %MVIC scale, with
    ``tau2_method`` "reml", "pm" or "dl"); see :mod:`glutedata.stats.pooling` for the rules.
    ``impute_sd`` imputes a missing SD from ``cv`` ({statistic: coefficient of variation}; by default
    :func:`within_study_cv` of ``df``).

    Returns one row per group of ``by`` and statistic, with columns ``by`` + statistic, estimate,
    ci_low, ci_high (95% credible interval, or CI), k, n, tau2, i2, method (what ran, in words),
    sources, variants, tau2_ci_low, tau2_ci_high (Q-profile; "reml"), q, q_p (Cochran's Q and its
    p), pi_low, pi_high (95% interval for a new study), flags, ci_se, ci_df (the t distribution of a
    single study's or an HKSJ interval), model, tau, tau_ci_low, tau_ci_high (posterior median and
    interval of tau, log scale; "bayes"), p_low, p_moderate, p_high, p_very_high (probability of each
    band) and imputed (values whose SD was imputed).

    Values from studies with appraisal concerns are left out unless ``include_flagged=True``;
    ``attrs["left_out"]`` lists them, one dict per study (source, values, exercises, reason), and
    ``attrs["footnote"]`` says it in one line, with the SDs imputed.

    >>> import glutedata as gd
    >>> gd.pool(gd.load(), by="exercise").columns[:4].tolist()
    ['exercise', 'statistic', 'estimate', 'ci_low']
    """
    _check(tau2_method, model, prior_scale)
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
    cv = within_study_cv(used) if cv is None else cv
    values = {key: g for key, g in used.groupby(keys, sort=True, observed=True, dropna=False)}
    rows, imputed = [], 0
    for key, studies in per_study(used, keys).groupby(keys, sort=True, observed=True, dropna=False):
        res = pool_values(studies["value"], studies["sd"], studies["n"], statistic=str(key[-1]), model=model,
                          prior_scale=prior_scale, cv=cv.get(str(key[-1])), impute_sd=impute_sd,
                          tau2_method=tau2_method)
        n = studies["n"].sum(min_count=1)
        flags = group_flags(values[key], res["k"], n, res["i2"])
        flags += ["SD imputed"] * bool(res["imputed"]) + ["prior-sensitive"] * res.pop("prior_sensitive")
        imputed += res["imputed"]
        rows.append({**dict(zip(keys, key)), **res,
                     "n": int(n) if pd.notna(n) else pd.NA,
                     "sources": tuple(studies["source"]),
                     "variants": tuple(sorted({v for vs in studies["variants"] for v in vs})),
                     "flags": "; ".join(flags)})
    out = pd.DataFrame(rows, columns=keys + [c for c in POOL_COLUMNS if c != "statistic"])
    out["n"] = out["n"].astype("Int64")
    out["k"] = out["k"].astype(int)
    out["imputed"] = out["imputed"].astype(int)
    for col in by:
        if isinstance(df[col].dtype, pd.CategoricalDtype):
            out[col] = pd.Categorical(out[col], dtype=df[col].dtype)
    out = out.reset_index(drop=True)
    out.attrs["left_out"] = left_out_records(dropped)
    out.attrs["footnote"] = footnote(used, dropped, imputed, cv if imputed else None)
    return out
