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

from ..data.arguments import suggestion
from ..data.loaders import load
from ..data.ranges import whole_number
from ..stats.network import bootstrap_ranks, network_gls, p_scores, plackett_luce
from ..stats.pooling import per_study, pool
from .select import STATISTIC_PREFERENCE, filter_rows

CONSENSUS_COLUMNS = ["exercise", "name", "ratio", "ratio_ci_low", "ratio_ci_high", "p_score", "rank",
                     "rank_ci_low", "rank_ci_high", "k"]
UNIT = ["source", "population", "muscle", "segment"]  # one set of participants measured on one site
Z = 1.959963984540054  # two-sided 95% normal quantile


def consensus(segment, muscle: str = "gluteus_medius", *, weight_bearing=None, equipment=None, position=None,
              emg=None, population="healthy", statistic=None, df: pd.DataFrame | None = None,
              reference: str | None = None, seed: int = 0, n_boot: int = 1000,
              absolute: bool = False, tau2_method: str = "reml") -> pd.DataFrame:
    """Exercises ranked by activation relative to each other, from comparisons made within studies.

    Rows are filtered as in :func:`glutedata.rank`. Within each study (and population) the exercises
    measured on the same muscle, segment and statistic form one comparison; several variants of an
    exercise are averaged first (:func:`glutedata.stats.pooling.per_study`). A study reporting several
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
    tau^2 / 2, consistency assumed), estimated by REML as metafor's ``rma.mv`` does (checked
    against it on ``dat.senn2013``), or with ``tau2_method="dl"`` by the generalised
    DerSimonian-Laird method of moments (Jackson, White & Riley 2012); 0 when the network has no
    degrees of freedom for it. Effects are fitted by GLS; ``ratio`` is activation relative to
    ``reference``.

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

    Examples
    --------
    >>> import glutedata as gd
    >>> net = gd.consensus("whole")
    >>> net.columns[:6].tolist()
    ['exercise', 'name', 'ratio', 'ratio_ci_low', 'ratio_ci_high', 'p_score']
    >>> net.attrs["reference"] in set(net["exercise"])
    True
    """
    seed, n_boot = whole_number("seed", seed, 0), whole_number("n_boot", n_boot, 1)
    if df is None:
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
        theta, cov = plackett_luce(list(zip(arm_ex, log_m)), len(ex), ref)
        attrs["model"] = (f"Plackett-Luce rank model (SD or n not given, or medians, in {', '.join(no_spread)}); "
                          "ratios not estimated")
        ratio = lo = hi = np.full(len(ex), np.nan)
    else:
        var = [(u["sd"].to_numpy(float) / u["value"].to_numpy(float)) ** 2 / u["n"].to_numpy(float) for u in units]
        theta, cov, tau2, note = network_gls(list(zip(arm_ex, log_m, var)), len(ex), ref, method=tau2_method)
        attrs["model"] = f"random-effects network meta-analysis (GLS on log ratios; {note})"
        attrs["tau2"] = tau2
        se = np.sqrt(np.diag(cov))
        ratio, lo, hi = np.exp(theta), np.exp(theta - Z * se), np.exp(theta + Z * se)

    k = pd.concat(units).groupby("exercise")["source"].nunique()
    ranks = bootstrap_ranks(theta, cov, ref, seed, n_boot)
    out = pd.DataFrame({
        "exercise": ex, "name": [names.get(e, e) for e in ex], "ratio": ratio, "ratio_ci_low": lo,
        "ratio_ci_high": hi, "p_score": p_scores(theta, cov),
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


def _reference_value(rows: pd.DataFrame, reference: str) -> tuple[float, str]:

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
