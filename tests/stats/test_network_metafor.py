"""glutedata.stats.network.network_gls checked against R metafor's contrast-based network meta-analysis
of dat.senn2013 (tests/fixtures/metafor-network-senn2013.json, written by scripts/network_reference.R)."""

import json
import subprocess

import numpy as np
import pytest

from glutedata.stats.network import network_gls

from ..conftest import ROOT, require_rscript

FIXTURE = ROOT / "tests" / "fixtures" / "metafor-network-senn2013.json"
SCRIPT = ROOT / "scripts" / "network_reference.R"
REFERENCE = json.loads(FIXTURE.read_text(encoding="utf-8"))
FITS = {"fixed": "fe", "reml": "reml"}  # fixture fit -> network_gls method


def senn_units():
    """The fixture's arms as network_gls units on the MD scale: value = mean, variance = sd^2 / n."""
    names = [REFERENCE["reference"], *REFERENCE["treatments"]]
    idx = {t: i for i, t in enumerate(names)}
    studies: dict[str, list] = {}
    for arm in REFERENCE["arms"]:  # baseline arm of each study first, as metafor's contrasts
        studies.setdefault(arm["study"], []).append(arm)
    units = [(np.array([idx[a["treatment"]] for a in arms]), np.array([a["mi"] for a in arms]),
              np.array([a["sdi"] ** 2 / a["ni"] for a in arms])) for arms in studies.values()]
    return units, names


def fit(method):
    units, names = senn_units()
    theta, cov, tau2, note = network_gls(units, len(names), 0, method=method)
    return dict(zip(names[1:], theta[1:])), dict(zip(names[1:], np.sqrt(np.diag(cov))[1:])), tau2, note


def test_metafor_network_fixture_describes_senn2013():
    assert REFERENCE["data"] == "dat.senn2013" and REFERENCE["measure"] == "MD" and REFERENCE["reference"] == "placebo"
    assert len(REFERENCE["arms"]) == 53 and len({a["study"] for a in REFERENCE["arms"]}) == 26
    assert len(REFERENCE["contrasts"]) == 27 and len(REFERENCE["treatments"]) == 9
    assert REFERENCE["r_version"].startswith("R version") and REFERENCE["metafor_version"]
    call = REFERENCE["fits"]["reml"]["call"]
    assert "random = ~comp | study" in call and "rho = 1/2" in call and 'method = "REML"' in call


def test_metafor_network_contrasts_are_rebuilt_from_the_arms():
    # The units' contrasts (arm - study's first arm) are metafor's yi, and their variances its vi.
    units, names = senn_units()
    got = {(names[ex[0]], names[e], s): (m[j] - m[0], v[j] + v[0])
           for s, (ex, m, v) in zip(dict.fromkeys(a["study"] for a in REFERENCE["arms"]), units)
           for j, e in enumerate(ex) if j > 0}
    want = {(c["baseline"], c["treatment"], c["study"]): (c["yi"], c["vi"]) for c in REFERENCE["contrasts"]}
    assert got.keys() == want.keys()
    for key, (yi, vi) in want.items():
        assert got[key] == pytest.approx((yi, vi), rel=1e-12, abs=1e-12), key


@pytest.mark.parametrize("fit_name", FITS)
def test_network_gls_matches_metafor_network(fit_name):
    expected = REFERENCE["fits"][fit_name]
    est, se, tau2, note = fit(FITS[fit_name])
    for t in REFERENCE["treatments"]:
        assert abs(est[t] - expected["estimate"][t]) <= 1e-4, (t, est[t], expected["estimate"][t])
        assert abs(se[t] - expected["se"][t]) <= 1e-4, (t, se[t], expected["se"][t])
    assert abs(tau2 - expected["tau2"]) <= 1e-5, (tau2, expected["tau2"])
    assert f"Q = {expected['QE']:.2f} on {expected['QE_df']} df" in note


def metafor_model():
    """y, X, V, H of metafor's fit, in its row order, from the fixture's contrasts and arms."""
    arm_var = {(a["study"], a["treatment"]): a["sdi"] ** 2 / a["ni"] for a in REFERENCE["arms"]}
    rows = REFERENCE["contrasts"]
    y = np.array([c["yi"] for c in rows])
    x = np.array([[float(c["treatment"] == t) - float(c["baseline"] == t) for t in REFERENCE["treatments"]]
                  for c in rows])
    same = np.array([[a["study"] == b["study"] for b in rows] for a in rows])
    base = np.array([arm_var[c["study"], c["baseline"]] for c in rows])
    v = np.where(same, base[:, None], 0.0) + np.diag([c["vi"] for c in rows]) - np.diag(base)
    h = np.where(same, 0.5, 0.0) + 0.5 * np.eye(len(rows))
    return y, x, v, h


def restricted_loglik(tau2):
    """metafor's REML log-likelihood, with its constant and its 1/2 log|X'X| term."""
    y, x, v, h = metafor_model()
    s = v + tau2 * h
    k, p = x.shape
    wx = np.linalg.solve(s, x)
    resid = y - x @ np.linalg.solve(x.T @ wx, wx.T @ y)
    return -0.5 * ((k - p) * np.log(2 * np.pi) - np.linalg.slogdet(x.T @ x)[1] + np.linalg.slogdet(s)[1]
                   + np.linalg.slogdet(x.T @ wx)[1] + resid @ np.linalg.solve(s, resid))


def test_network_reml_maximises_metafor_network_likelihood():
    # The likelihood rebuilt here is metafor's (its value at both fits' tau^2), and network_gls's tau^2
    # is at least as good a maximum of it as metafor's.
    for name in FITS:
        want = REFERENCE["fits"][name]
        assert restricted_loglik(want["tau2"]) == pytest.approx(want["logLik_REML"], abs=1e-8), name
    units, names = senn_units()
    tau2 = network_gls(units, len(names), 0, method="reml")[2]
    dl = network_gls(units, len(names), 0, method="dl")[2]
    assert abs(dl - tau2) > 1e-3  # DL differs here: the comparison with metafor tells the estimators apart
    best = restricted_loglik(tau2)
    assert best >= REFERENCE["fits"]["reml"]["logLik_REML"] - 1e-12
    assert best > max(restricted_loglik(tau2 - 1e-4), restricted_loglik(tau2 + 1e-4), restricted_loglik(dl))


def test_network_gls_method_validation_and_boundary_metafor():
    units, names = senn_units()
    with pytest.raises(ValueError, match="reml, dl, fe"):
        network_gls(units, len(names), 0, method="REML")
    # No heterogeneity beyond sampling error: REML on the boundary, as metafor's truncation at 0.
    flat = [(ex, np.full(len(ex), 1.0) + 0.0 * m, v) for ex, m, v in units]
    theta, _, tau2, note = network_gls(flat, len(names), 0, method="reml")
    assert tau2 == 0.0 and np.allclose(theta, 0.0) and "by REML" in note


def test_metafor_network_r_script_reproduces_the_fixture():
    require_rscript("metafor", "metadat", "jsonlite")
    run = subprocess.run(["Rscript", str(SCRIPT)], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert run.returncode == 0, run.stderr
    fresh = json.loads(run.stdout)
    for key in ("data", "measure", "reference", "treatments", "arms"):
        assert fresh[key] == REFERENCE[key], key
    assert [(c["study"], c["treatment"], c["baseline"]) for c in fresh["contrasts"]] == \
        [(c["study"], c["treatment"], c["baseline"]) for c in REFERENCE["contrasts"]]
    for name, old in REFERENCE["fits"].items():
        new = fresh["fits"][name]
        assert new["call"] == old["call"], name
        for key in ("tau2", "logLik_REML", "QE", "QE_df"):
            assert new[key] == pytest.approx(old[key], rel=1e-8, abs=1e-10), (name, key)
        for key in ("estimate", "se"):
            for t, want in old[key].items():
                # metafor versions differ in the last digits at most; the fixture records which ran.
                assert new[key][t] == pytest.approx(want, rel=1e-8, abs=1e-10), (
                    name, key, t, fresh["metafor_version"], REFERENCE["metafor_version"])
