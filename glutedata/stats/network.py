"""Network meta-analysis engines on arm-level data: a random-effects GLS on within-study contrasts
(tau^2 by REML as in metafor, generalised DerSimonian-Laird, or 0) and a penalised Plackett-Luce
rank model, with P-scores and bootstrap rank intervals.

The engines take contrasts on any scale (our %MVIC networks use log means; a mean-difference network
passes raw means); :mod:`glutedata.query.consensus` builds their input from the data.
"""

from __future__ import annotations

import numpy as np

PL_PRIOR_SD = 2.0  # N(0, 2^2) prior on Plackett-Luce log-strengths: keeps an always-winning exercise finite
TAU2_METHODS = ("reml", "dl", "fe")  # network_gls: REML (metafor's rma.mv default), DerSimonian-Laird, none


def network_gls(units, n_ex: int, ref: int, method: str = "reml"):
    """Random-effects GLS on within-study contrasts; effects relative to ``ref``.

    ``units``: (arm exercise indices, arm values on the analysis scale, arm variances) per study;
    each arm is contrasted with the study's first arm. Heterogeneity is one tau^2 for every comparison,
    tau^2 / 2 between two contrasts of one study (consistency). ``method``: tau^2 by "reml" (as
    metafor's ``rma.mv(..., random = ~ comp | study, rho = 1/2)``), "dl" (generalised DerSimonian-Laird,
    Jackson, White & Riley 2012) or "fe" (fixed effect, tau^2 = 0). Returns theta and its covariance
    (ref entries 0), tau2 and a note on how tau2 was obtained.
    """
    if method not in TAU2_METHODS:
        raise ValueError(f"method must be one of {', '.join(TAU2_METHODS)}, not {method!r}")
    ys, xs, vs, hs = [], [], [], []
    for ex, lm, v in units:
        ex, lm, v = np.asarray(ex), np.asarray(lm, float), np.asarray(v, float)
        m = len(ex) - 1  # contrasts of each arm against the study's first arm
        ys.append(lm[1:] - lm[0])
        x = np.zeros((m, n_ex))
        x[np.arange(m), ex[1:]] = 1.0
        x[:, ex[0]] = -1.0
        xs.append(x)
        vs.append(np.diag(v[1:]) + v[0])  # shared baseline arm -> covariance var(baseline arm)
        hs.append((np.eye(m) + 1.0) / 2)  # heterogeneity: tau^2 on the diagonal, tau^2 / 2 off it
    y = np.concatenate(ys)
    x = np.delete(np.vstack(xs), ref, axis=1)
    v, h = _block_diag(vs), _block_diag(hs)

    p = _projection(v, x)
    dof = len(y) - x.shape[1]
    trace = float(np.trace(p @ h))
    q = float(y @ p @ y)  # generalised Cochran's Q (fixed-effect weights)
    if method == "fe":
        tau2 = 0.0
        note = f"fixed effect (tau2 = 0), Q = {q:.2f} on {dof} df"
    elif dof > 0 and trace > 0:
        tau2 = max(0.0, (q - dof) / trace)  # DL; also the REML search's starting scale
        if method == "reml":
            tau2 = _reml_tau2(y, x, v, h, tau2)
            note = f"tau2 = {tau2:.4g} by REML, Q = {q:.2f} on {dof} df"
        else:
            note = f"tau2 = {tau2:.4g} by generalised DerSimonian-Laird, Q = {q:.2f} on {dof} df"
    else:
        tau2 = 0.0
        note = "tau2 not estimable (no loops or repeated comparisons), fixed effect"
    w = np.linalg.inv(v + tau2 * h)
    cov_b = np.linalg.inv(x.T @ w @ x)
    b = cov_b @ x.T @ w @ y
    theta = np.insert(b, ref, 0.0)
    cov = np.insert(np.insert(cov_b, ref, 0.0, axis=0), ref, 0.0, axis=1)
    return theta, cov, tau2, note


def _projection(s, x):
    """P = S^-1 - S^-1 X (X' S^-1 X)^-1 X' S^-1, the residual-forming matrix of GLS with covariance S."""
    w = np.linalg.inv(s)
    wx = w @ x
    return w - wx @ np.linalg.solve(x.T @ wx, wx.T)


def _reml_tau2(y, x, v, h, start: float) -> float:
    """The tau^2 >= 0 maximising the restricted log-likelihood of y ~ N(X b, V + tau^2 H)."""
    from scipy.optimize import brentq, minimize_scalar

    def neg_loglik(t):  # up to a constant: log|S| + log|X' S^-1 X| + y' P y, halved
        s = v + t * h
        p = _projection(s, x)
        wx = np.linalg.solve(s, x)
        return 0.5 * (np.linalg.slogdet(s)[1] + np.linalg.slogdet(x.T @ wx)[1] + y @ p @ y)

    def score(t):  # d loglik / d tau^2 = (y' P H P y - tr(P H)) / 2
        p = _projection(v + t * h, x)
        py = p @ y
        return 0.5 * (py @ h @ py - np.trace(p @ h))

    if score(0.0) <= 0:  # the likelihood falls from tau^2 = 0 on: the estimate is on the boundary
        return 0.0
    # Bracket the maximum: the likelihood decreases beyond hi. Start from the DL value's scale.
    hi = max(2.0 * start, float(np.mean(np.diag(v))), 1e-8)
    for _ in range(200):
        if score(hi) < 0:
            break
        hi *= 2.0
    res = minimize_scalar(neg_loglik, bounds=(0.0, hi), method="bounded", options={"xatol": 1e-12 * hi})
    tau2 = float(res.x)
    if neg_loglik(tau2) >= neg_loglik(0.0):
        return 0.0
    # The likelihood is flat at its maximum, so the search stops ~1e-8 (relative) away; the score's
    # root close by is the maximum to machine precision (metafor's nlminb gets within ~1e-9).
    lo, up = max(0.0, tau2 * (1 - 1e-6)), tau2 * (1 + 1e-6)
    if score(lo) > 0 > score(up):
        tau2 = brentq(score, lo, up, xtol=1e-15 * tau2, rtol=1e-15)
    return tau2


def _block_diag(blocks):
    size = sum(len(b) for b in blocks)
    out = np.zeros((size, size))
    at = 0
    for b in blocks:
        out[at:at + len(b), at:at + len(b)] = b
        at += len(b)
    return out


def plackett_luce(units, n_ex: int, ref: int):
    """Penalised Plackett-Luce fit by Newton's method; log-strengths relative to ``ref`` and their
    covariance (inverse penalised information, i.e. a Laplace approximation)."""
    alpha = 1 / PL_PRIOR_SD ** 2
    # Breslow ties: each arm is "chosen" from the arms of its study not above it (itself included)
    choices = [(ex[i], ex[lm <= lm[i]]) for ex, lm in units for i in range(len(ex)) if (lm <= lm[i]).sum() > 1]

    def terms(theta):
        loglik, grad, info = -alpha / 2 * theta @ theta, -alpha * theta, alpha * np.eye(n_ex)
        for chosen, pool in choices:
            s = theta[pool]
            top = s.max()
            p = np.exp(s - top)
            total = p.sum()
            p /= total
            loglik += theta[chosen] - top - np.log(total)
            grad[chosen] += 1.0
            grad[pool] -= p
            info[np.ix_(pool, pool)] += np.diag(p) - np.outer(p, p)
        return loglik, grad, info

    theta = np.zeros(n_ex)
    loglik, grad, info = terms(theta)
    for _ in range(100):
        step = np.linalg.solve(info, grad)
        while True:  # step halving keeps each Newton step an ascent step
            new = terms(theta + step)
            if new[0] >= loglik - 1e-12 or np.abs(step).max() < 1e-12:
                break
            step /= 2
        theta = theta + step
        loglik, grad, info = new
        if np.abs(step).max() < 1e-10:
            break
    cov = np.linalg.inv(info)
    to_ref = np.eye(n_ex)
    to_ref[:, ref] -= 1.0  # theta_i - theta_ref
    return to_ref @ theta, to_ref @ cov @ to_ref.T


def p_scores(theta, cov) -> np.ndarray:
    """P-scores (Ruecker & Schwarzer 2015): mean over the other exercises of Phi((t_i - t_j) / se)."""
    from scipy.special import ndtr

    d = np.diag(cov)
    var = d[:, None] + d[None, :] - 2 * cov
    np.fill_diagonal(var, 1.0)
    z = (theta[:, None] - theta[None, :]) / np.sqrt(var)
    np.fill_diagonal(z, 0.0)
    return (ndtr(z).sum(axis=1) - 0.5) / (len(theta) - 1)


def bootstrap_ranks(theta, cov, ref: int, seed, n_boot: int) -> np.ndarray:
    """Ranks (1 = most active) in ``n_boot`` draws from N(theta, cov); the reference is fixed at 0."""
    rng = np.random.default_rng(seed)
    free = np.delete(np.arange(len(theta)), ref)
    draws = np.zeros((n_boot, len(theta)))
    draws[:, free] = rng.multivariate_normal(theta[free], cov[np.ix_(free, free)], size=n_boot, method="cholesky")
    return (-draws).argsort(axis=1).argsort(axis=1) + 1
