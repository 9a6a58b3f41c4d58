"""Bayesian random-effects meta-analysis: the normal-normal hierarchical model of R's bayesmeta
(Röver 2020, J Stat Softw 93(6)), computed deterministically.

y_i ~ N(mu, v_i + tau^2), with a uniform (improper) or normal prior on mu and a half-normal prior on
tau. Given tau, mu is normal and the marginal likelihood of tau is analytic, so mu is integrated out
exactly and only tau is discretised, on a grid fitted to the posterior's bulk. The posteriors
of mu and of a new study's effect theta_new ~ N(mu, tau^2) are mixtures of normals over that grid.

bayesmeta itself mixes over a coarser "DIRECT" support (Röver & Friede 2017, delta = 0.01), so its mu and
prediction intervals are slightly wider than the exact ones computed here (by up to 0.004 on the log scale
for the groups in tests/fixtures/bayesmeta-log-scale.json); its tau summaries agree to 2e-5.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import ndtr, ndtri

LEVEL = 0.95  # credible / prediction interval level
_N = 96  # grid points: tau summaries within ~1e-5 of a 1000-point grid, mu and pred within 1e-13
_DROP = 40.0  # log posterior this far below its maximum (e^-40 ~ 4e-18) counts as no mass
_ZOOMS = 8  # grid refinements allowed; 1-2 suffice unless the tau posterior is extremely narrow
_SQRT_2PI = np.sqrt(2 * np.pi)


def log_mean(mean, sd, n) -> tuple[np.ndarray, np.ndarray]:
    """Log mean and its delta-method variance, as metafor's ``escalc(measure="MNLN")``.

    Returns ``(y, v)`` with y = log(mean) and v = sd^2 / (n * mean^2).
    """
    mean, sd, n = (np.asarray(a, dtype=float) for a in (mean, sd, n))
    return np.log(mean), sd**2 / (n * mean**2)


def _quantiles(ev, q, x, lo, hi) -> np.ndarray:
    """Solve cdf(x) = q by Newton steps kept inside a bisection bracket [lo, hi] (the bracket makes it
    safe in the tails, where the density is too small for plain Newton). ``ev(x)`` -> cdf, pdf, pdf'."""
    lo, hi = np.broadcast_to(lo, q.shape), np.broadcast_to(hi, q.shape)
    for _ in range(100):
        cdf, pdf, _ = ev(x)
        lo, hi = np.where(cdf < q, x, lo), np.where(cdf < q, hi, x)
        new = x - (cdf - q) / np.maximum(pdf, 1e-300)
        new = np.where((new >= lo) & (new <= hi), new, 0.5 * (lo + hi))
        done = np.all(np.abs(new - x) <= 1e-12 * (1 + np.abs(x)))
        x = new
        if done:
            return x
    raise RuntimeError("quantile did not converge")


def _shortest(ev, a: float, b: float) -> tuple[float, float]:
    """Shortest LEVEL interval of a unimodal density, from a nearby start [a, b].

    It is the [a, b] with cdf(b) - cdf(a) = LEVEL and pdf(a) = pdf(b): Newton on both equations
    (the density condition on the log scale, where it is closer to linear).
    """
    for _ in range(50):
        cdf, pdf, dpdf = ev(np.array([a, b]))
        g = np.array([cdf[1] - cdf[0] - LEVEL, np.log(pdf[0] / pdf[1])])
        jac = np.array([[-pdf[0], pdf[1]], [dpdf[0] / pdf[0], -dpdf[1] / pdf[1]]])
        da, db = np.linalg.solve(jac, -g)
        a, b = a + da, b + db
        if abs(da) + abs(db) <= 1e-12 * (1 + abs(a) + abs(b)):
            return float(a), float(b)
    raise RuntimeError("shortest interval did not converge")


@dataclass(frozen=True)
class _Mixture:
    """Normal mixture sum_j w_j N(m_j, s_j^2), w summing to 1."""

    w: np.ndarray
    m: np.ndarray
    s: np.ndarray

    def ev(self, x: np.ndarray):
        """CDF, density and density derivative at each x."""
        z = (x[:, None] - self.m) / self.s
        phi = np.exp(-0.5 * z**2) / (_SQRT_2PI * self.s)
        return ndtr(z) @ self.w, phi @ self.w, (-z / self.s * phi) @ self.w

    def summary(self) -> tuple[float, float, float]:
        """Median and shortest interval, the latter started from the equal-tailed interval (close:
        the mixture is near-symmetric). Quantiles start from the moment-matched normal."""
        q = np.array([(1 - LEVEL) / 2, 0.5, (1 + LEVEL) / 2])
        mean = self.w @ self.m
        sd = np.sqrt(self.w @ (self.s**2 + (self.m - mean) ** 2))
        lo, hi = np.min(self.m - 40 * self.s), np.max(self.m + 40 * self.s)
        a, med, b = _quantiles(self.ev, q, np.clip(mean + sd * ndtri(q), lo, hi), lo, hi)
        return (float(med), *_shortest(self.ev, a, b))

    def sf(self, x) -> np.ndarray:
        """P(X > x) for each x."""
        z = (self.m - np.asarray(x, dtype=float)[..., None]) / self.s
        return ndtr(z) @ self.w


@dataclass(frozen=True)
class _GridDensity:
    """Distribution of tau = c sinh(u) from the density g of u, known with its derivative on a uniform
    u grid and cubic (Hermite) in between: CDF and quantiles accurate to O(h^4), not a linear
    density's O(h^2)."""

    u: np.ndarray
    g: np.ndarray
    dg: np.ndarray
    c: float
    nodes: np.ndarray = field(init=False)  # CDF at the grid points

    def __post_init__(self):
        _, h, _, g0, d0, g1, d1 = self._cell(self.u[:-1])
        cells = h * ((g0 + g1) / 2 + (d0 - d1) / 12)  # exact integrals of the cubics
        object.__setattr__(self, "nodes", np.concatenate([[0.0], np.cumsum(cells)]))

    def _cell(self, u):
        j = np.clip(np.searchsorted(self.u, u, side="right") - 1, 0, self.u.size - 2)
        h = self.u[1] - self.u[0]
        return j, h, (u - self.u[j]) / h, self.g[j], h * self.dg[j], self.g[j + 1], h * self.dg[j + 1]

    def ev(self, x: np.ndarray):
        """CDF, density and density derivative of tau at each x."""
        u = np.arcsinh(x / self.c)
        j, h, s, g0, d0, g1, d1 = self._cell(u)
        s2, s3, s4 = s**2, s**3, s**4
        pdf = g0 * (2 * s3 - 3 * s2 + 1) + d0 * (s3 - 2 * s2 + s) + g1 * (3 * s2 - 2 * s3) + d1 * (s3 - s2)
        dpdf = (6 * (g1 - g0) * (s - s2) + d0 * (3 * s2 - 4 * s + 1) + d1 * (3 * s2 - 2 * s)) / h
        part = (g0 * (s4 / 2 - s3 + s) + d0 * (s4 / 4 - 2 * s3 / 3 + s2 / 2)
                + g1 * (s3 - s4 / 2) + d1 * (s4 / 4 - s3 / 3))
        jac = self.c * np.cosh(u)  # dtau / du
        return self.nodes[j] + h * part, pdf / jac, (dpdf - pdf * np.tanh(u)) / jac**2

    def summary(self) -> tuple[float, float, float]:
        """Median and shortest interval; the interval is [lower end, Q(LEVEL)] when the density at the
        lower end is at least that at Q(LEVEL) (a decreasing density: tau_low = 0, as bayesmeta)."""
        grid = self.c * np.sinh(self.u)

        def quantiles(q):
            return _quantiles(self.ev, q, np.interp(q, self.nodes, grid), grid[0], grid[-1])

        med, top = quantiles(np.array([0.5, LEVEL]))
        if self.ev(grid[:1])[1][0] >= self.ev(np.array([top]))[1][0]:
            return float(med), float(grid[0]), float(top)
        # start Newton from the narrowest interval among tail masses p scanned on the grid's inverse CDF
        p = np.linspace(0, 1 - LEVEL, 101)[1:]
        width = np.interp(p + LEVEL, self.nodes, grid) - np.interp(p, self.nodes, grid)
        p0 = p[np.argmin(width)]
        return (float(med), *_shortest(self.ev, *quantiles(np.array([p0, p0 + LEVEL]))))


@dataclass(frozen=True)
class BayesResult:
    """Posterior medians and shortest 95% intervals (log scale for mu and pred).

    ``mu_*``: the overall mean; ``pred_*``: a new study's effect; ``tau_*``: the heterogeneity SD
    (``tau_low`` is 0 when the shortest interval starts at the boundary).
    """

    mu_median: float
    mu_low: float
    mu_high: float
    pred_median: float
    pred_low: float
    pred_high: float
    tau_median: float
    tau_low: float
    tau_high: float
    _mu: _Mixture = field(repr=False, compare=False)

    def p_above(self, cuts) -> np.ndarray:
        """Posterior P(mu > c) for each cut point c (log scale, e.g. log(40) for 40 %MVIC)."""
        return self._mu.sf(cuts)


def _log_post(t, y, v, prior_scale, mu_prior):
    """Unnormalised log posterior of tau at each t and its derivative, with the mean and variance of
    mu given tau.

    A normal prior on mu enters as one more 'study' y0 = prior mean with fixed variance prior sd^2;
    the uniform prior is its limit w0 = 0 (constant factors dropped). The derivative uses that the
    conditional mean minimises chi2, so only the weights' dependence on tau^2 counts.
    """
    m0, w0 = (0.0, 0.0) if mu_prior is None else (mu_prior[0], mu_prior[1] ** -2.0)
    var = v + t[:, None] ** 2
    w = 1 / var
    big_w = w.sum(axis=1) + w0
    mean = (w @ y + w0 * m0) / big_w
    res2 = (y - mean[:, None]) ** 2
    chi2 = (w * res2).sum(axis=1) + w0 * (m0 - mean) ** 2
    lp = -0.5 * (np.log(var).sum(axis=1) + np.log(big_w) + chi2 + (t / prior_scale) ** 2)
    w2 = w**2
    dlp = -t * (w.sum(axis=1) - w2.sum(axis=1) / big_w - (w2 * res2).sum(axis=1) + prior_scale**-2.0)
    return lp, dlp, mean, 1 / big_w


def _tau_grid(y, v, prior_scale, mu_prior):
    """Grid in u, tau = c sinh(u), uniform over the posterior's bulk (log posterior within _DROP of
    its maximum); returns c, u and :func:`_log_post` at the grid.

    Why this grid: the integrands are even in u and vanish at the far end, so the trapezoid rule
    converges exponentially, at a rate set by the nearest complex singularity. In tau these are the
    poles at +-i sqrt(v_i); with c = sqrt(min v) they sit at u = +-i pi/2 whatever the scale of the
    data, and far out the grid turns logarithmic. Search range: beyond the spread of the data (and
    prior mean) the likelihood decreases in tau, and 10 prior scales further the half-normal prior
    has removed all mass.
    """
    c = np.sqrt(v.min())
    spread = np.ptp(y if mu_prior is None else np.append(y, mu_prior[0]))
    u = np.linspace(0, np.arcsinh((2 * spread + 10 * prior_scale) / c), _N)
    lp = _log_post(c * np.sinh(u), y, v, prior_scale, mu_prior)[0]
    for _ in range(_ZOOMS):
        bulk = np.flatnonzero(lp > lp.max() - _DROP)
        u = np.linspace(u[max(bulk[0] - 1, 0)], u[min(bulk[-1] + 1, _N - 1)], _N)
        lp, dlp, mean, var = _log_post(c * np.sinh(u), y, v, prior_scale, mu_prior)
        if np.count_nonzero(lp > lp.max() - _DROP) >= _N // 2:
            break
    return c, u, lp, dlp, mean, var


def _check(y, v, prior_scale, mu_prior) -> tuple[np.ndarray, np.ndarray]:
    y, v = np.atleast_1d(np.asarray(y, dtype=float)), np.atleast_1d(np.asarray(v, dtype=float))
    if y.shape != v.shape or y.ndim != 1 or y.size == 0:
        raise ValueError("y and v must be 1-d and of the same, non-zero length")
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(v)) and np.all(v > 0)):
        raise ValueError("y must be finite and v positive and finite")
    if not prior_scale > 0 or (mu_prior is not None and not mu_prior[1] > 0):
        raise ValueError("prior scales must be positive")
    return y, v


def _summarise(c, u, lp, dlp, mean, var) -> BayesResult:
    tau, jac = c * np.sinh(u), c * np.cosh(u)
    g = np.exp(lp - lp.max()) * jac  # density of u, unnormalised
    trap = np.full(u.size, u[1] - u[0])
    trap[[0, -1]] *= 0.5
    g /= g @ trap
    w = g * trap
    mu = _Mixture(w, mean, np.sqrt(var))
    pred = _Mixture(w, mean, np.sqrt(var + tau**2))
    for a in (w, mean, mu.s, pred.s):
        a.setflags(write=False)
    tau_summary = _GridDensity(u, g, g * (dlp * jac + np.tanh(u)), c).summary()
    return BayesResult(*mu.summary(), *pred.summary(), *tau_summary, mu)


def posterior(y, v, prior_scale: float = 0.5, mu_prior: tuple[float, float] | None = None) -> BayesResult:
    """Posterior of the normal-normal hierarchical model y_i ~ N(mu, v_i + tau^2).

    ``y``, ``v``: study estimates and their variances (k >= 1; see :func:`log_mean`).
    ``prior_scale``: scale of the half-normal prior on tau. ``mu_prior``: ``(mean, sd)`` of a normal
    prior on mu; ``None`` for the uniform (improper) prior, bayesmeta's default.
    """
    y, v = _check(y, v, prior_scale, mu_prior)
    return _summarise(*_tau_grid(y, v, prior_scale, mu_prior))


def posteriors(y, v, prior_scales, mu_prior: tuple[float, float] | None = None) -> list[BayesResult]:
    """:func:`posterior` under each of several half-normal prior scales, sharing the work.

    The prior enters the log posterior of tau only as -(tau / scale)^2 / 2, so the likelihood computed on
    the first scale's grid serves the others whenever that grid also covers their posterior's bulk with
    at least half its points (the test :func:`_tau_grid` applies); otherwise their own grid is built.
    With many studies the likelihood dominates and the grid is shared; with few, building it is cheap.
    """
    first, *rest = prior_scales
    y, v = _check(y, v, first, mu_prior)
    c, u, lp, dlp, mean, var = _tau_grid(y, v, first, mu_prior)
    out = [_summarise(c, u, lp, dlp, mean, var)]
    t = c * np.sinh(u)
    for scale in rest:
        _check(y, v, scale, mu_prior)
        lp2 = lp + 0.5 * t**2 * (first**-2.0 - scale**-2.0)
        dlp2 = dlp + t * (first**-2.0 - scale**-2.0)
        bulk = lp2 > lp2.max() - _DROP
        covered = not bulk[-1] and (u[0] == 0 or not bulk[0]) and np.count_nonzero(bulk) >= _N // 2
        out.append(_summarise(c, u, lp2, dlp2, mean, var) if covered
                   else _summarise(*_tau_grid(y, v, scale, mu_prior)))
    return out
