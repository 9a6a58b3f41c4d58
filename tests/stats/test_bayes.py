"""glutedata.stats.bayes checked against R bayesmeta 3.4 (tests/fixtures/bayesmeta-log-scale.json), against a
brute-force dense-grid posterior, and by its properties. ``pytest -k bayesmeta`` runs the reference comparisons."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy.special import ndtr

from glutedata.stats.bayes import LEVEL, log_mean, posterior, posteriors

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = json.loads((ROOT / "tests" / "fixtures" / "bayesmeta-log-scale.json").read_text(encoding="utf-8"))
INPUTS = {g["name"]: g for g in REFERENCE["inputs"]}
RECORDS = REFERENCE["records"]
CRINS = REFERENCE["published_example"]
CRINS_MU_PRIOR = (0.0, 4.0)  # normal(0, 4^2) on mu, as in Roever (2020) section 3.3
CUTS = {"p_mu_above_log20": math.log(20), "p_mu_above_log40": math.log(40), "p_mu_above_log60": math.log(60)}
IDS = [f"{r['group']}-{r['prior_scale']}" for r in RECORDS]


def test_bayesmeta_fixture_keeps_its_provenance_and_covers_every_group_and_scale():
    assert "bayesmeta 3.4" in REFERENCE["about"] and "Roever 2020" in REFERENCE["about"]
    assert "Roever 2020" in CRINS["about"] and CRINS["published"].startswith("Roever 2020")
    assert sorted((r["group"], r["prior_scale"]) for r in RECORDS) == sorted(
        (g["name"], s) for g in REFERENCE["inputs"] for s in g["scales"])


@pytest.mark.parametrize("rec", RECORDS, ids=IDS)
def test_log_mean_gives_the_fixture_y_and_v(rec):
    g = INPUTS[rec["group"]]
    y, v = log_mean(g["mean"], g["sd"], g["n"])
    np.testing.assert_allclose(y, rec["y"], rtol=1e-9)
    np.testing.assert_allclose(v, rec["v"], rtol=1e-9)


@pytest.mark.parametrize("rec", RECORDS, ids=IDS)
def test_bayesmeta_reference_values(rec):
    res = posterior(rec["y"], rec["v"], prior_scale=rec["prior_scale"])
    for key in ("mu_median", "mu_low", "mu_high", "pred_median", "pred_low", "pred_high"):
        assert math.exp(getattr(res, key)) == pytest.approx(math.exp(rec[key]), rel=5e-3), key
    for key in ("tau_median", "tau_low", "tau_high"):
        assert getattr(res, key) == pytest.approx(rec[key], abs=5e-3), key
    np.testing.assert_allclose(res.p_above(list(CUTS.values())), [rec[k] for k in CUTS], rtol=0, atol=5e-3)


# bayesmeta takes mu and prediction intervals from its DIRECT mixture over a coarse tau support (delta = 0.01),
# not the exact posterior; here that puts its prediction interval 0.0017 / 0.0016 and its mu interval
# 0.0004 / 0.0003 outside the exact ones (test_bayesmeta_crins_intervals_hold_more_than_95_percent), so the
# prediction bounds get 2e-3 rather than 5e-4.
CRINS_TOL = {"mu_median": 5e-4, "mu_low": 5e-4, "mu_high": 5e-4, "tau_median": 5e-4, "pred_low": 2e-3,
             "pred_high": 2e-3}


def test_bayesmeta_published_example_crins():
    res = posterior(CRINS["y"], CRINS["v"], prior_scale=0.5, mu_prior=CRINS_MU_PRIOR)
    for key, tol in CRINS_TOL.items():
        assert getattr(res, key) == pytest.approx(CRINS[key], abs=tol), key


def test_bayesmeta_crins_intervals_hold_more_than_95_percent():
    """Under the exact posterior bayesmeta's intervals are wider than 95% and ours are exactly 95%."""
    res = posterior(CRINS["y"], CRINS["v"], prior_scale=0.5, mu_prior=CRINS_MU_PRIOR)
    dense = _Dense(CRINS["y"], CRINS["v"], 0.5, CRINS_MU_PRIOR)
    assert dense.mass(CRINS["mu_low"], CRINS["mu_high"]) == pytest.approx(0.95011, abs=2e-5)
    assert dense.mass(CRINS["pred_low"], CRINS["pred_high"], pred=True) == pytest.approx(0.95021, abs=2e-5)
    assert dense.mass(res.pred_low, res.pred_high, pred=True) == pytest.approx(LEVEL, abs=1e-7)


class _Dense:
    """Brute-force posterior: tau on a dense uniform grid with bayesmeta's closed-form marginal likelihood, plain
    trapezoid weights; mu and a new study's effect as mixtures of normals over it."""

    def __init__(self, y, v, scale, mu_prior=None, n=100001):
        y, v = np.asarray(y, dtype=float), np.asarray(v, dtype=float)
        self.tau = np.linspace(0, 10 * scale + 2 * np.ptp(y), n)
        var = v + self.tau[:, None] ** 2
        if mu_prior is not None:  # the prior as one more study with fixed variance
            y = np.append(y, mu_prior[0])
            var = np.hstack([var, np.full((n, 1), mu_prior[1] ** 2)])
        prec = (1 / var).sum(axis=1)
        self.mean = (y / var).sum(axis=1) / prec
        loglik = -0.5 * (np.log(var).sum(axis=1) + ((y - self.mean[:, None]) ** 2 / var).sum(axis=1) + np.log(prec))
        dens = np.exp(loglik - 0.5 * (self.tau / scale) ** 2 - np.max(loglik - 0.5 * (self.tau / scale) ** 2))
        trap = np.full(n, self.tau[1])
        trap[[0, -1]] /= 2
        self.dens = dens / (dens @ trap)  # tau's posterior density at the grid
        self.weights = self.dens * trap
        self.sd = np.sqrt(1 / prec)
        self.sd_pred = np.sqrt(1 / prec + self.tau**2)

    def cdf(self, x, pred=False):
        return ndtr((x - self.mean) / (self.sd_pred if pred else self.sd)) @ self.weights

    def pdf(self, x, pred=False):
        sd = self.sd_pred if pred else self.sd
        return np.exp(-0.5 * ((x - self.mean) / sd) ** 2) / (np.sqrt(2 * np.pi) * sd) @ self.weights

    def mass(self, a, b, pred=False):
        return self.cdf(b, pred) - self.cdf(a, pred)

    def tau_cdf(self, x):
        cum = np.concatenate([[0.0], np.cumsum(self.tau[1] * (self.dens[1:] + self.dens[:-1]) / 2)])
        return np.interp(x, self.tau, cum)

    def tau_pdf(self, x):
        return np.interp(x, self.tau, self.dens)


CASES = [(r["y"], r["v"], r["prior_scale"], None) for r in RECORDS] + [
    (CRINS["y"], CRINS["v"], 0.5, CRINS_MU_PRIOR), ([3.2], [0.02], 0.5, None), ([3.2, 4.5], [0.01, 0.03], 0.3, (3, 1))]


@pytest.mark.parametrize(("y", "v", "scale", "mu_prior"), CASES, ids=IDS + ["crins", "k1", "k2_normal_prior"])
def test_medians_and_shortest_intervals_match_a_dense_grid(y, v, scale, mu_prior):
    res = posterior(y, v, prior_scale=scale, mu_prior=mu_prior)
    dense = _Dense(y, v, scale, mu_prior)
    for pred, (med, low, high) in ((False, (res.mu_median, res.mu_low, res.mu_high)),
                                   (True, (res.pred_median, res.pred_low, res.pred_high))):
        assert dense.cdf(med, pred) == pytest.approx(0.5, abs=1e-8)
        assert dense.mass(low, high, pred) == pytest.approx(LEVEL, abs=1e-8)
        assert dense.pdf(low, pred) == pytest.approx(dense.pdf(high, pred), rel=1e-6)  # equal density: shortest
    np.testing.assert_allclose(res.p_above([3.0, 3.5, 4.0]), [1 - dense.cdf(c) for c in (3.0, 3.5, 4.0)], atol=1e-9)
    assert dense.tau_cdf(res.tau_median) == pytest.approx(0.5, abs=1e-6)
    assert dense.tau_cdf(res.tau_high) - dense.tau_cdf(res.tau_low) == pytest.approx(LEVEL, abs=1e-6)
    if res.tau_low == 0:  # the interval starts at the boundary only where the density there is the higher one
        assert dense.tau_pdf(0) >= dense.tau_pdf(res.tau_high)
    else:
        assert dense.tau_pdf(res.tau_low) == pytest.approx(dense.tau_pdf(res.tau_high), rel=1e-4)


def test_a_single_study_has_the_prior_for_tau_and_a_symmetric_posterior_for_mu():
    # k = 1 with a uniform prior on mu: the likelihood does not depend on tau, so tau keeps its half-normal prior
    res = posterior([math.log(40)], [0.01], prior_scale=0.5)
    assert res.tau_median == pytest.approx(0.5 * 0.6744897501960817, abs=1e-5)
    assert res.tau_low == 0 and res.tau_high == pytest.approx(0.5 * 1.959963984540054, abs=1e-5)
    assert res.mu_median == pytest.approx(math.log(40), abs=1e-12)
    assert res.mu_high - res.mu_median == pytest.approx(res.mu_median - res.mu_low, abs=1e-9)
    assert res.p_above(math.log(40)) == pytest.approx(0.5, abs=1e-12)


def test_repeated_calls_give_identical_results():
    rec = RECORDS[4]
    first = posterior(rec["y"], rec["v"], rec["prior_scale"])
    posterior(CRINS["y"], CRINS["v"], 0.5, CRINS_MU_PRIOR)
    second = posterior(rec["y"], rec["v"], rec["prior_scale"])
    assert first == second
    assert np.array_equal(first.p_above(list(CUTS.values())), second.p_above(list(CUTS.values())))


@pytest.mark.parametrize(("y", "v", "kwargs"), [
    ([3.0, 3.5], [0.01], {}), ([], [], {}), ([3.0], [0.0], {}), ([3.0], [0.01], {"prior_scale": 0}),
    ([3.0], [0.01], {"mu_prior": (0, 0)}), ([float("nan")], [0.01], {})])
def test_bad_input_is_refused(y, v, kwargs):
    with pytest.raises(ValueError):
        posterior(y, v, **kwargs)


@pytest.mark.parametrize("k", [2, 5, 40, 3000])
def test_posteriors_under_several_priors_equal_separate_posteriors(k):
    rng = np.random.default_rng(k)
    y, v = np.log(rng.uniform(15, 90, k)), rng.uniform(0.005, 0.2, k)
    for scale, shared in zip((0.5, 0.3, 1.0), posteriors(y, v, (0.5, 0.3, 1.0))):
        alone = posterior(y, v, prior_scale=scale)
        for key in ("mu_median", "mu_low", "mu_high", "pred_low", "pred_high", "tau_median", "tau_low", "tau_high"):
            assert getattr(shared, key) == pytest.approx(getattr(alone, key), abs=1e-5), (scale, key)
