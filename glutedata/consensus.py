"""Consensus ranking of exercises from within-study comparisons (network meta-analysis).

%MVIC values from different studies are not on one scale: each study divides by its own maximal
contraction, recorded with its own electrodes, test positions and participants. Within one study
the ratio of two exercises' means shares the participants and the MVIC, so the normalisation
cancels. :func:`consensus` combines those ratios across studies into one network, the way network
meta-analysis combines treatment contrasts, and ranks the exercises on it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .pooling import per_study
from .query import STATISTIC_PREFERENCE, filter_rows

CONSENSUS_COLUMNS = ["exercise", "name", "ratio", "ratio_ci_low", "ratio_ci_high", "p_score", "rank",
                     "rank_ci_low", "rank_ci_high", "k"]
UNIT = ["source", "population", "muscle", "segment"]  # one set of participants measured on one site
Z = 1.959963984540054  # two-sided 95% normal quantile
PL_PRIOR_SD = 2.0  # N(0, 2^2) prior on Plackett-Luce log-strengths: keeps an always-winning exercise finite


def consensus(segment, muscle: str = "gluteus_medius", *, weight_bearing=None, equipment=None, position=None,
              emg=None, population="healthy", statistic=None, df: pd.DataFrame | None = None,
              reference: str | None = None, seed: int = 0, n_boot: int = 1000,
              absolute: bool = False) -> pd.DataFrame:
    """Exercises ranked by activation relative to each other, from comparisons made within studies.

    Rows are filtered as in :func:`glutedata.rank`. Within each study (and population) the exercises
    measured on the same muscle, segment and statistic form one comparison; several variants of an
    exercise are averaged first (:func:`glutedata.pooling.per_study`). A study reporting several
    statistics contributes its first of mean, median, peak. A ratio of medians or of peaks from one
    study is taken to estimate the same relative activation as a ratio of means from another (an
    approximation; ``statistic="mean"`` uses means only). Studies flagged for appraisal concerns
    (e.g. a doubtful MVIC) stay in: a within-study ratio survives a doubtful normalisation.

    **Random-effects network model** (when every study in the network gives SD and n):
    contrasts are log(mean_a / mean_b) against a baseline arm of each study, with
    var(log m) = SD^2 / (n m^2) by the delta method. Exercises measured in the same people are
    correlated, but no study reports that correlation; it is taken as 0, so contrasts sharing a
    baseline arm have covariance var(log m_baseline) (the standard multi-arm covariance) and a
    study with m exercises contributes m - 1 correlated contrasts, not independent pairs. Because
    repeated-measures correlation is positive, this overstates the contrast variances
    (conservative CIs). Heterogeneity tau^2 is common to all comparisons (multi-arm covariance
    tau^2 / 2, consistency assumed) and estimated by the generalised DerSimonian-Laird method of
    moments (Jackson, White & Riley 2012), clipped at 0, and 0 when the network has no degrees of
    freedom for it. Effects are fitted by GLS; ``ratio`` is activation relative to ``reference``.

    **Rank model** (when any study in the network lacks SD or n, or gives medians): a
    Plackett-Luce model of each study's ordering of its exercises, fitted to *all* studies of the
    network, so no study is dropped and none is weighted by a guessed spread. Ties are handled as in
    Breslow's method; log-strengths get a N(0, 2^2) prior, without which an exercise that wins
    every comparison would have infinite strength. A strength difference is the log-odds of being
    ranked higher within a study, not a ratio of activation, so ``ratio``, its CI and
    ``pct_mvic_via_reference`` are NaN and only ``p_score`` and ranks are given.

    Returns one row per exercise of the reference's network component, ordered by P-score (best
    first): exercise, name, ratio, ratio_ci_low, ratio_ci_high (95%), p_score (Ruecker & Schwarzer
    2015: mean one-sided certainty of being more active than each other exercise; the mean over
    the network is 0.5), rank (1 = highest P-score), rank_ci_low, rank_ci_high (95% interval of
    ranks over ``n_boot`` parametric bootstrap draws of the effects with ``seed``), k (studies
    measuring it). With ``absolute=True`` a column ``pct_mvic_via_reference`` multiplies ratio
    by the reference's pooled %MVIC (:func:`glutedata.pool` on the same rows), described in
    ``attrs["pct_mvic_via_reference"]``; it carries the reference's between-study spread.

    ``reference`` defaults to the exercise compared in most studies (ties by name); another
    exercise of the network may be chosen, else ValueError. ``attrs``: reference, studies (source
    keys used), disconnected (exercises outside the reference's component), model, tau2,
    left_out (notes on rows and studies not used), comparisons (a frame of the head-to-head pairs:
    exercise_a, exercise_b, studies, sources).
    """
    if df is None:
        from .dataset import load
        df = load()
    rows = filter_rows(df, muscle=muscle, segment=segment, weight_bearing=weight_bearing, equipment=equipment,
                       position=position, emg=emg, population=population, statistic=statistic)
    rows = rows[rows["pct_mvic"].notna()]
    names = rows.groupby("exercise", observed=True)["name"].first().to_dict()
    arms, left_out = _arms(rows)
    units = [g for _, g in arms.groupby(UNIT, observed=True, sort=True, dropna=False)]

    studies_of = arms.groupby("exercise")["source"].nunique().to_dict()
    valid = sorted(studies_of)
    if reference is None and valid:
        reference = min(valid, key=lambda e: (-studies_of[e], names.get(e, e)))
    elif reference is not None and reference not in studies_of:
        from .arguments import suggestion
        raise ValueError(f"reference {reference!r} is not compared within any study here"
                         f"{suggestion(reference, valid)}; valid values: {', '.join(valid) or 'none'}")

    component = _component(units, reference) if reference else set()
    disconnected = sorted(set(names) - component)
    for ex in disconnected:
        left_out.append(f"{ex}: not connected to {reference}'s network" if reference
                        else f"{ex}: no within-study comparison")
    units = [u for u in units if u["exercise"].iloc[0] in component]
    ex = sorted(component)
    attrs = {"reference": reference, "studies": sorted({u["source"].iloc[0] for u in units}),
             "disconnected": disconnected, "model": "none: no within-study comparisons", "tau2": np.nan,
             "left_out": left_out, "comparisons": _comparisons(units)}
    if not units:
        out = pd.DataFrame(columns=CONSENSUS_COLUMNS)
        out.attrs.update(attrs)
        return out

    idx = {e: i for i, e in enumerate(ex)}
    arm_ex = [np.array([idx[e] for e in u["exercise"]]) for u in units]
    log_m = [np.log(u["value"].to_numpy(float)) for u in units]
    no_spread = sorted({u["source"].iloc[0] for u in units if not _has_spread(u)})
    ref = idx[reference]
    if no_spread:
        theta, cov = _plackett_luce(list(zip(arm_ex, log_m)), len(ex), ref)
        attrs["model"] = (f"Plackett-Luce rank model (SD or n not given, or medians, in {', '.join(no_spread)}); "
                          "ratios not estimated")
        ratio = lo = hi = np.full(len(ex), np.nan)
    else:
        var = [(u["sd"].to_numpy(float) / u["value"].to_numpy(float)) ** 2 / u["n"].to_numpy(float) for u in units]
        theta, cov, tau2, note = _network_gls(list(zip(arm_ex, log_m, var)), len(ex), ref)
        attrs["model"] = f"random-effects network meta-analysis (GLS on log ratios; {note})"
        attrs["tau2"] = tau2
        se = np.sqrt(np.diag(cov))
        ratio, lo, hi = np.exp(theta), np.exp(theta - Z * se), np.exp(theta + Z * se)

    k = pd.concat(units).groupby("exercise")["source"].nunique()
    ranks = _bootstrap_ranks(theta, cov, ref, seed, n_boot)
    out = pd.DataFrame({
        "exercise": ex, "name": [names.get(e, e) for e in ex], "ratio": ratio, "ratio_ci_low": lo,
        "ratio_ci_high": hi, "p_score": _p_scores(theta, cov),
        "rank_ci_low": np.quantile(ranks, 0.025, axis=0, method="inverted_cdf"),
        "rank_ci_high": np.quantile(ranks, 0.975, axis=0, method="inverted_cdf"),
        "k": [int(k[e]) for e in ex], "_theta": theta,
    })
    out = out.sort_values(["p_score", "_theta", "name"], ascending=[False, False, True], kind="stable")
    out["rank"] = np.arange(1, len(out) + 1)
    out = out[CONSENSUS_COLUMNS].reset_index(drop=True)
    for col in ("rank_ci_low", "rank_ci_high"):
        out[col] = out[col].astype("Int64")
    if absolute:
        value, label = _reference_value(rows, reference)
        out["pct_mvic_via_reference"] = out["ratio"] * value
        attrs["pct_mvic_via_reference"] = f"ratio x {label}"
    out.attrs.update(attrs)
    return out


def _comparisons(units) -> pd.DataFrame:
    """Head-to-head comparisons of the network: exercise_a, exercise_b, studies (count), sources."""
    pairs: dict[tuple[str, str], set[str]] = {}
    for u in units:
        arms = sorted(u["exercise"])
        for i, a in enumerate(arms):
            for b in arms[i + 1:]:
                pairs.setdefault((a, b), set()).add(u["source"].iloc[0])
    return pd.DataFrame([{"exercise_a": a, "exercise_b": b, "studies": len(s), "sources": ", ".join(sorted(s))}
                         for (a, b), s in sorted(pairs.items())],
                        columns=["exercise_a", "exercise_b", "studies", "sources"])


def _arms(rows: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """One row per study unit x exercise (variants averaged), in units that compare >= 2 exercises."""
    notes = []
    arms = per_study(rows, keys=["population", "muscle", "segment", "statistic", "exercise"])
    if arms.empty:
        return arms, notes
    bad = arms["value"] <= 0
    for r in arms[bad].itertuples():
        notes.append(f"{r.source}: {r.exercise} {r.statistic} {r.value} %MVIC is not positive, so has no log")
    arms = arms[~bad]
    pref = arms["statistic"].astype(str).map({s: i for i, s in enumerate(STATISTIC_PREFERENCE)})
    counts = arms.groupby(UNIT + ["statistic"], observed=True, dropna=False)["exercise"].transform("nunique")
    # per unit: the preferred statistic among those that compare at least two exercises
    usable = pref.where(counts >= 2)
    best = usable.groupby([arms[c] for c in UNIT], observed=True, dropna=False).transform("min")
    keep = pref == best
    for key, g in arms[~keep].groupby(UNIT + ["statistic"], observed=True, dropna=False):
        src, pop = key[0], key[1]
        if best[g.index].notna().all():
            why = "its other statistic is used"
        else:
            why = "no within-study comparison"
        notes.append(f"{src} ({pop}): {key[-1]} of {', '.join(sorted(g['exercise']))} not used, {why}")
    return arms[keep].reset_index(drop=True), notes


def _component(units, reference: str) -> set[str]:
    """Exercises linked to ``reference`` through chains of within-study comparisons."""
    seen, frontier = {reference}, [reference]
    neighbours: dict[str, set[str]] = {}
    for u in units:
        for e in u["exercise"]:
            neighbours.setdefault(e, set()).update(u["exercise"])
    while frontier:
        new = neighbours.get(frontier.pop(), set()) - seen
        seen |= new
        frontier.extend(new)
    return seen


def _has_spread(unit: pd.DataFrame) -> bool:
    """Whether every arm of a study has what var(log mean) = SD^2 / (n mean^2) needs."""
    sd, n = unit["sd"].to_numpy(float), unit["n"].to_numpy(float)
    return bool((unit["statistic"].astype(str) != "median").all() and np.all(sd > 0) and np.all(n > 0))


def _network_gls(units, n_ex: int, ref: int):
    """Random-effects GLS on within-study log ratios; effects relative to ``ref``.

    ``units``: (exercise indices, log means, var of log means) per study. Returns theta and its
    covariance (ref entries 0), tau2 and a note on how tau2 was obtained.
    """
    ys, xs, vs, hs = [], [], [], []
    for ex, lm, v in units:
        m = len(ex) - 1  # contrasts of each arm against the study's first arm
        ys.append(lm[1:] - lm[0])
        x = np.zeros((m, n_ex))
        x[np.arange(m), ex[1:]] = 1.0
        x[:, ex[0]] = -1.0
        xs.append(x)
        vs.append(np.diag(v[1:]) + v[0])  # shared baseline arm -> covariance var(log m_baseline)
        hs.append((np.eye(m) + 1.0) / 2)  # heterogeneity: tau^2 on the diagonal, tau^2 / 2 off it
    y = np.concatenate(ys)
    x = np.delete(np.vstack(xs), ref, axis=1)
    v, h = _block_diag(vs), _block_diag(hs)

    w = np.linalg.inv(v)
    xtwx_inv = np.linalg.inv(x.T @ w @ x)
    p = w - w @ x @ xtwx_inv @ x.T @ w
    dof = len(y) - x.shape[1]
    trace = float(np.trace(p @ h))
    if dof > 0 and trace > 0:
        q = float(y @ p @ y)
        tau2 = max(0.0, (q - dof) / trace)
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


def _block_diag(blocks):
    size = sum(len(b) for b in blocks)
    out = np.zeros((size, size))
    at = 0
    for b in blocks:
        out[at:at + len(b), at:at + len(b)] = b
        at += len(b)
    return out


def _plackett_luce(units, n_ex: int, ref: int):
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


def _p_scores(theta, cov) -> np.ndarray:
    """P-scores (Ruecker & Schwarzer 2015): mean over the other exercises of Phi((t_i - t_j) / se)."""
    from scipy.special import ndtr

    d = np.diag(cov)
    var = d[:, None] + d[None, :] - 2 * cov
    np.fill_diagonal(var, 1.0)
    z = (theta[:, None] - theta[None, :]) / np.sqrt(var)
    np.fill_diagonal(z, 0.0)
    return (ndtr(z).sum(axis=1) - 0.5) / (len(theta) - 1)


def _bootstrap_ranks(theta, cov, ref: int, seed, n_boot: int) -> np.ndarray:
    """Ranks (1 = most active) in ``n_boot`` draws from N(theta, cov); the reference is fixed at 0."""
    rng = np.random.default_rng(seed)
    free = np.delete(np.arange(len(theta)), ref)
    draws = np.zeros((n_boot, len(theta)))
    draws[:, free] = rng.multivariate_normal(theta[free], cov[np.ix_(free, free)], size=n_boot, method="cholesky")
    return (-draws).argsort(axis=1).argsort(axis=1) + 1


def _reference_value(rows: pd.DataFrame, reference: str) -> tuple[float, str]:
    from .pooling import pool

    pooled = pool(rows[rows["exercise"] == reference], by=("exercise",))
    pooled["_pref"] = pooled["statistic"].astype(str).map({s: i for i, s in enumerate(STATISTIC_PREFERENCE)})
    top = pooled.sort_values("_pref").iloc[0]
    return float(top["estimate"]), (f"pooled {top['statistic']} %MVIC of {reference} "
                                    f"({top['estimate']:.1f}, {top['k']} studies, {top['method']})")


def compare_with_rank(frame: pd.DataFrame, ranked: pd.DataFrame) -> pd.DataFrame:
    """A :func:`consensus` result beside a :func:`glutedata.rank` result of the same query: exercise, name,
    p_score, rank, rank_ci_low, rank_ci_high, k, then the pooled ``estimate`` and ``absolute_rank`` (its
    place by absolute %MVIC; missing for exercises the ranking left out)."""
    absolute = ranked[["exercise", "estimate"]].reset_index(drop=True)
    absolute["absolute_rank"] = pd.array(range(1, len(absolute) + 1), dtype="Int64")
    cols = ["exercise", "name", "p_score", "rank", "rank_ci_low", "rank_ci_high", "k"]
    return frame[cols].merge(absolute, on="exercise", how="left")
