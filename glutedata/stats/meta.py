"""Random-effects meta-analysis of one group of study estimates, as R metafor computes it.

:func:`random_effects` reproduces ``metafor::rma(yi, vi, method=..., test="adhoc")`` (checked against
``tests/fixtures/metafor_reference.json``, written by ``scripts/metafor_reference.R``), following the
methods Cochrane recommends since 2025: tau^2 by REML, a Hartung-Knapp-Sidik-Jonkman confidence
interval for the pooled estimate, a Q-profile interval for tau^2 and a prediction interval.

Quantiles come from ``scipy.special`` (the same numbers as ``scipy.stats``, without its second of
import time); scipy.optimize is imported only by the root finder.
"""

from __future__ import annotations

import math

import numpy as np

TAU2_METHODS = ("reml", "pm", "dl")
_LABELS = {"reml": "REML", "pm": "PM", "dl": "DL"}


def _rss(y, v, tau2):
    """Weighted mean and generalised Q, sum w (y - mu)^2 with w = 1/(v + tau2)."""
    w = 1.0 / (v + tau2)
    mu = float(np.sum(w * y) / np.sum(w))
    return mu, float(np.sum(w * (y - mu) ** 2))


def _positive_root(f, start: float) -> float:
    """Root of ``f`` above 0 for f(0) > 0 and f < 0 eventually, from a first guess ``start`` > 0: the
    bracket is doubled until the sign changes, so no artificial cap on tau^2 is needed."""
    from scipy.optimize import brentq

    lo, hi = 0.0, start
    while f(hi) > 0:
        lo, hi = hi, hi * 2.0
    return float(brentq(f, lo, hi, xtol=1e-14 * hi, rtol=4 * np.finfo(float).eps, maxiter=500))


def _reml_score(y, v, tau2):
    """d/dtau2 of the restricted log-likelihood, times 2: y'PPy - tr(P)."""
    w = 1.0 / (v + tau2)
    sw = np.sum(w)
    mu = np.sum(w * y) / sw
    return float(np.sum(w ** 2 * (y - mu) ** 2) - sw + np.sum(w ** 2) / sw)


def tau2_estimate(y, v, method: str = "reml") -> float:
    """Between-study variance by REML, Paule-Mandel ("pm") or DerSimonian-Laird ("dl"), truncated at 0."""
    y, v = np.asarray(y, float), np.asarray(v, float)
    k = len(y)
    if method == "dl":
        w = 1.0 / v
        _, q = _rss(y, v, 0.0)
        return max(0.0, (q - (k - 1)) / (np.sum(w) - np.sum(w ** 2) / np.sum(w)))
    if method == "pm":
        def f(t):
            return _rss(y, v, t)[1] - (k - 1)
    elif method == "reml":
        def f(t):
            return _reml_score(y, v, t)
    else:
        raise ValueError(f"tau2 method must be one of {', '.join(TAU2_METHODS)}; got {method!r}")
    # Q(tau2) decreases, so PM is 0 unless Q(0) > k - 1; REML is 0 unless the restricted likelihood
    # rises at 0. metafor reaches the root by uniroot (PM) or Fisher scoring (REML); bracketing here.
    if f(0.0) <= 0:
        return 0.0
    return _positive_root(f, float(np.var(y)))


def q_profile(y, v, level: float = 0.95) -> tuple[float, float]:
    """Q-profile confidence interval of tau^2 (Viechtbauer 2007), as ``metafor::confint(rma(...))``.

    The bounds solve generalised Q(tau2) = the 97.5% and 2.5% chi^2(k-1) quantiles. Q decreases in
    tau2, so the lower bound is 0 when Q(0) does not exceed the 97.5% quantile, and both are 0 when
    Q(0) does not exceed the 2.5% one.
    """
    from scipy.special import chdtri

    y, v = np.asarray(y, float), np.asarray(v, float)
    df = len(y) - 1
    alpha = 1 - level
    q0 = _rss(y, v, 0.0)[1]
    bounds = []
    for crit in (chdtri(df, alpha / 2), chdtri(df, 1 - alpha / 2)):  # upper-tail inverse: ppf(1-a/2), ppf(a/2)
        bounds.append(0.0 if q0 <= crit else
                      _positive_root(lambda t, c=crit: _rss(y, v, t)[1] - c, float(np.var(y))))
    return bounds[0], bounds[1]


def random_effects(y, v, *, method: str = "reml", level: float = 0.95) -> dict:
    """Random-effects pooling of k >= 2 estimates ``y`` with within-study variances ``v``.

    Returns a dict with:

    - ``estimate``, ``se``: the inverse-(v + tau^2)-weighted mean and its standard RE standard error.
    - ``ci_low``, ``ci_high``, ``se_hksj``: Hartung-Knapp-Sidik-Jonkman interval on t(k-1), with the
      ad hoc correction of ``rma(test="adhoc")``: the HKSJ scale factor is floored at 1, so the
      interval is never narrower than the standard (Wald z) one. ``se_hksj`` is the SE it used.
    - ``wald_ci_low``, ``wald_ci_high``: that standard interval, estimate +- z se.
    - ``tau2`` (by ``method``: "reml", "pm" or "dl"), ``tau2_ci_low``, ``tau2_ci_high`` (Q-profile).
    - ``i2`` (a fraction, 0-1) and ``h2`` as metafor defines them, from tau^2 and the "typical"
      within-study variance; ``q``, ``q_df``, ``q_p``: Cochran's Q with fixed-effect weights.
    - ``pi_low``, ``pi_high``: prediction interval estimate +- t(k-2) sqrt(tau^2 + se^2) (Riley et
      al. 2011; metafor ``predict(rma(test="z"), pi.type="riley")``); NaN when k < 3.
    - ``k``, ``method`` (e.g. "random effects (REML, HKSJ)").
    """
    from scipy.special import chdtrc, ndtri, stdtrit

    y, v = np.asarray(y, float).ravel(), np.asarray(v, float).ravel()
    k = len(y)
    if method not in TAU2_METHODS:
        raise ValueError(f"tau2 method must be one of {', '.join(TAU2_METHODS)}; got {method!r}")
    if k < 2 or len(v) != k:
        raise ValueError(f"need k >= 2 estimates with one variance each; got {k} and {len(v)}")
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(v)) and np.all(v > 0)):
        raise ValueError("estimates must be finite and variances finite and positive")

    tau2 = tau2_estimate(y, v, method)
    w = 1.0 / (v + tau2)
    mu, rss = _rss(y, v, tau2)
    se = math.sqrt(1.0 / np.sum(w))
    se_hksj = se * math.sqrt(max(1.0, rss / (k - 1)))
    half = stdtrit(k - 1, 1 - (1 - level) / 2) * se_hksj

    w0 = 1.0 / v
    s2 = (k - 1) * np.sum(w0) / (np.sum(w0) ** 2 - np.sum(w0 ** 2))
    q = _rss(y, v, 0.0)[1]
    lb, ub = q_profile(y, v, level)
    if k >= 3:
        pi_half = stdtrit(k - 2, 1 - (1 - level) / 2) * math.sqrt(tau2 + se ** 2)
        pi = (mu - pi_half, mu + pi_half)
    else:
        pi = (math.nan, math.nan)
    return {"estimate": mu, "se": se, "se_hksj": se_hksj, "ci_low": mu - half, "ci_high": mu + half,
            "wald_ci_low": mu - ndtri(1 - (1 - level) / 2) * se,
            "wald_ci_high": mu + ndtri(1 - (1 - level) / 2) * se,
            "tau2": tau2, "tau2_ci_low": lb, "tau2_ci_high": ub,
            "i2": tau2 / (tau2 + s2), "h2": (tau2 + s2) / s2,
            "q": q, "q_df": k - 1, "q_p": float(chdtrc(k - 1, q)),
            "pi_low": pi[0], "pi_high": pi[1], "k": k,
            "method": f"random effects ({_LABELS[method]}, HKSJ)"}


def single_study(value: float, sd: float, n: float, level: float = 0.95) -> dict:
    """One study's mean with its own confidence interval, value +- t(n-1) sd/sqrt(n) (NaN when n < 2)."""
    from scipy.special import stdtrit

    se = sd / math.sqrt(n) if n > 0 else math.nan
    half = stdtrit(n - 1, 1 - (1 - level) / 2) * se if n >= 2 else math.nan
    return {"estimate": float(value), "se": se, "ci_low": value - half, "ci_high": value + half, "k": 1,
            "method": "single study (t)"}
