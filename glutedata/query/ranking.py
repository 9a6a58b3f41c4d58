"""Ranking exercises by pooled activation, the answer in words, and a low-to-high progression."""

from __future__ import annotations

import pandas as pd

from .. import markup
from ..data.arguments import check_filters
from ..data.bands import BAND_DTYPE, band
from ..stats.certainty import CERTAINTY_DTYPE, band_range, rate
from ..stats.pooling import BAND_P_COLUMNS, per_study, pool, within_study_cv
from .select import STATISTIC_PREFERENCE, filter_rows

RANK_COLUMNS = ["exercise", "name", "statistic", "estimate", "ci_low", "ci_high", "k", "n", "band",
                "sources", "method", "position", "weight_bearing", "equipment", "pi_low", "pi_high", "band_range",
                *BAND_P_COLUMNS, "certainty", "certainty_reasons", "flags", "study_values", "model", "tau",
                "imputed"]


def rank(segment, muscle: str = "gluteus_medius", *, weight_bearing=None, equipment=None, position=None,
         emg=None, population="healthy", statistic=None, df: pd.DataFrame | None = None,
         include_flagged: bool = False, model: str = "bayes", prior_scale: float = 0.5, impute_sd: bool = True,
         tau2_method: str = "reml") -> pd.DataFrame:
    """Exercises ordered by pooled %MVIC of one muscle segment, highest first within each statistic.

    One row per exercise, with columns:

    - exercise, name, statistic, estimate (pooled %MVIC), ci_low, ci_high (95% credible interval; for
      one study its own CI), k (studies), n (participants), band (of the estimate), sources (keys),
      method (how it was pooled, in words)
    - position, weight_bearing, equipment (of the measurements)
    - pi_low, pi_high: 95% interval for a new study (k >= 2): where another study's value would fall
    - band_range: the bands the interval spans, e.g. "moderate to very high"
    - p_low, p_moderate, p_high, p_very_high: probability of each band for the pooled value
      (missing where no spread is known)
    - certainty (high / moderate / low / very low) and certainty_reasons, by the rule in
      :mod:`glutedata.stats.certainty`; flags (k<3, N<30, I²>0.75, abstract-only, ...)
    - study_values: each study's own value, e.g. "cynn2006: 52; mcbeth2012: 40"
    - model ("bayes" or "reml"), tau (between-study SD, log scale), imputed (values whose SD was
      imputed from the dataset's within-study coefficients of variation)

    Several studies of the same exercise are pooled by :func:`glutedata.pool` (``model``,
    ``prior_scale``, ``impute_sd``, ``tau2_method``); a missing SD is imputed from the whole
    dataset's coefficients of variation, not only the rows of this query.
    When an exercise has both means and medians, means are used (``statistic`` overrides); rows
    are ordered means first, then medians, then mean peaks, each highest first.
    ``population=None`` keeps every population. Values from studies whose appraisal records concerns
    are left out unless ``include_flagged=True``; ``attrs["left_out"]`` and ``attrs["footnote"]``
    say what was left out and why.

    Examples
    --------
    >>> import glutedata as gd
    >>> ranked = gd.rank("posterior", equipment="none")
    >>> ranked.columns[:6].tolist()
    ['exercise', 'name', 'statistic', 'estimate', 'ci_low', 'ci_high']
    >>> ranked.loc[0, "band"] in gd.BANDS
    True
    """
    check_filters(df, muscle=muscle, segment=segment)
    if df is None:
        from ..data.loaders import load
        df = load()
    rows = filter_rows(df, muscle=muscle, segment=segment, weight_bearing=weight_bearing, equipment=equipment,
                       position=position, emg=emg, population=population, statistic=statistic)
    pooled = pool(rows, by=("exercise",), model=model, prior_scale=prior_scale, impute_sd=impute_sd,
                  cv=within_study_cv(df), tau2_method=tau2_method, include_flagged=include_flagged)
    # pandas deep-copies attrs on every operation: set them aside and put them back at the end
    said, pooled.attrs = dict(pooled.attrs), {}
    rows = rows.copy(deep=False)
    rows.attrs = {}
    if pooled.empty:
        out = pd.DataFrame(columns=RANK_COLUMNS)
        out.attrs.update(said)
        out.attrs["empty_reason"] = ("no study in the dataset has measured this combination" if rows.empty else
                                     "every value was left out for appraisal concerns (include_flagged=True "
                                     "keeps them)")
        return out
    order = {s: i for i, s in enumerate(STATISTIC_PREFERENCE)}
    pooled["_pref"] = pooled["statistic"].map(order)
    pooled = pooled.sort_values(["exercise", "_pref"]).groupby("exercise", observed=True).head(1)
    attrs = rows.groupby("exercise", observed=True).agg(
        name=("name", "first"), position=("position", "first"), weight_bearing=("weight_bearing", "first"),
        equipment=("equipment", lambda s: ", ".join(sorted({str(x) for x in s.dropna()}))))
    out = pooled.join(attrs, on="exercise")
    out["band"] = band(out["estimate"]).astype(BAND_DTYPE)
    out["band_range"] = [band_range(lo, hi) for lo, hi in zip(out["ci_low"], out["ci_high"])]
    rated = [rate(r.k, r.n, r.i2, r.ci_low, r.ci_high, r.flags.split("; ") if r.flags else [])
             for r in out.itertuples()]
    out["certainty"] = pd.Categorical([c for c, _ in rated], dtype=CERTAINTY_DTYPE)
    out["certainty_reasons"] = [why for _, why in rated]
    used = rows if include_flagged or "concerns" not in rows else rows[rows["concerns"].isna()]
    studies = per_study(used, ["exercise", "statistic"])
    # one pass over the studies, not a filter per exercise: a large frame has thousands of exercises
    said_by = {}
    for e, st, src, v in zip(studies["exercise"], studies["statistic"], studies["source"], studies["value"]):
        said_by.setdefault((e, st), []).append(f"{src}: {v:.0f}")
    out["study_values"] = ["; ".join(said_by.get((e, st), [])) for e, st in zip(out["exercise"], out["statistic"])]
    # Peaks run higher than means for the same effort, so exercises are ordered within each kind of
    # statistic (means first, then medians, then peaks) rather than across them.
    out = out.sort_values(["_pref", "estimate", "k"], ascending=[True, False, False], kind="stable")
    out = out[RANK_COLUMNS].reset_index(drop=True)
    out.attrs.update(said)
    return out


def footnote(frame: pd.DataFrame) -> markup.Markdown:
    """The line to print under a table from :func:`rank` or :func:`glutedata.pool`: studies and
    participants behind it and what was left out, escaped for display.

    Examples
    --------
    >>> import glutedata as gd
    >>> print(gd.footnote(gd.rank("whole")))  # doctest: +ELLIPSIS
    *Based on ... studies (... participants where stated)...
    """
    return markup.Markdown(f"*{markup.md(frame.attrs.get('footnote', ''))}*" if frame.attrs.get("footnote") else "")


def summarise(ranked: pd.DataFrame, question: str = "this query") -> markup.Markdown:
    """A short Markdown answer to a :func:`rank` result: the top exercise, its estimate and the
    bands its CI spans, the certainty with its reasons, and the studies, participants and anything
    left out. Two studies are named with their own values rather than summarised by an interval.
    Text from the data is escaped, so it shows as written.

    An empty result (a valid query that no study has measured) says so; a query with a typo never
    gets here, because :func:`rank` rejects it.

    Examples
    --------
    >>> import glutedata as gd
    >>> print(gd.summarise(gd.rank("posterior", equipment="none")))  # doctest: +ELLIPSIS
    For this query: **...**, ... %MVIC (...), from ... Certainty: **...**...
    """
    if not isinstance(ranked, pd.DataFrame):
        raise ValueError(f"summarise() takes the frame rank() returns, not {type(ranked).__name__}")
    question = markup.md(question)
    footnote = markup.md(ranked.attrs.get("footnote", ""))
    if ranked.empty:
        reason = ranked.attrs.get("empty_reason", "no study in the dataset has measured this combination")
        lead = (f"No study in the dataset has measured {question}: this is an evidence gap, not a zero."
                if reason.startswith("no study") else f"No answer for {question}: {markup.md(reason)}.")
        return markup.Markdown(lead + (f" {footnote}" if footnote and not reason.startswith("no study") else ""))
    top = ranked.iloc[0]
    n = f"{top.n} participants" if pd.notna(top.n) else "an unstated number of participants"
    if top.k == 2 and "study_values" in ranked:
        evidence = (f"two studies of {n} in all: "
                    f"{markup.md(top.study_values.replace(': ', ' at ').replace('; ', ' and '))} %MVIC")
    else:
        studies = "1 study" if top.k == 1 else f"{top.k} studies"
        evidence = f"{studies} ({markup.md(', '.join(top.sources))}) of {n}"
    what = "95% CI" if top.k == 1 or top.get("model") != "bayes" else "95% credible interval"
    spread = (f"; {what} {top.ci_low:.0f} to {top.ci_high:.0f} %MVIC ({markup.md(top.band_range)})"
              if pd.notna(top.ci_low) else "; no confidence interval (the sources give no spread)")
    if pd.notna(top.get("pi_low")):
        spread += f"; a new study could find anywhere from {top.pi_low:.0f} to {top.pi_high:.0f}"
    if top.get("imputed", 0):
        spread += f" (SD imputed for {top.imputed} of {top.k})"
    certainty = ""
    if "certainty" in ranked:
        certainty = f" Certainty: **{top.certainty}** ({markup.md(top.certainty_reasons)})."
    return markup.Markdown(
        f"For {question}: **{markup.md(top['name'])}**, {top.statistic} {top.estimate:.0f} %MVIC ({top.band}), "
        f"from {evidence}{spread}.{certainty}" + (f" {footnote}" if footnote else ""))


def progression(segment, *, muscle: str = "gluteus_medius", equipment=None, weight_bearing=None,
                population="healthy", df: pd.DataFrame | None = None, vocabulary: pd.DataFrame | None = None,
                include_flagged: bool = False) -> pd.DataFrame:
    """An ordered ladder of exercises from low to very high activation of a segment.

    Each step has the exercise, its estimate and band, the evidence (k, sources), suggested dosing
    and the easier and harder exercises named in the vocabulary. Columns: step (1 = lowest
    activation), exercise, name, band, estimate, ci_low, ci_high (95%, as in :func:`rank`),
    statistic, k (studies), sources, dosing, regresses_to, progresses_to (names of the easier and
    harder exercises).

    Examples
    --------
    >>> import glutedata as gd
    >>> ladder = gd.progression("whole", equipment="none")
    >>> ladder.columns[:5].tolist()
    ['step', 'exercise', 'name', 'band', 'estimate']
    >>> ladder["step"].tolist() == list(range(1, len(ladder) + 1))
    True
    """
    from ..data.loaders import exercises
    if not isinstance(segment, str):
        raise ValueError(f"segment must be one segment name, got {segment!r}")
    ranked = rank(segment, muscle, equipment=equipment, weight_bearing=weight_bearing,
                  population=population, df=df, include_flagged=include_flagged)
    vocab = (vocabulary if vocabulary is not None else exercises()).set_index("id")
    names = vocab["name"].to_dict()
    ladder = ranked.sort_values("estimate", kind="stable").reset_index(drop=True)
    ladder.insert(0, "step", range(1, len(ladder) + 1))
    ladder["dosing"] = ladder["exercise"].map(vocab["dosing"]).fillna("")
    for col in ("regresses_to", "progresses_to"):
        ladder[col] = ladder["exercise"].map(
            lambda e, c=col: ", ".join(names.get(x, x) for x in vocab[c].get(e, [])) if e in vocab.index else "")
    return ladder[["step", "exercise", "name", "band", "estimate", "ci_low", "ci_high", "statistic", "k",
                   "sources", "dosing", "regresses_to", "progresses_to"]]
