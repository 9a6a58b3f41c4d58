"""Questions a clinician asks of the data: filter, rank, build a progression, find the gaps."""

from __future__ import annotations

import pandas as pd

from . import markup
from .arguments import check_filters
from .bands import BAND_DTYPE, band
from .pooling import pool

# When an exercise has values of several kinds, rank uses the first available.
STATISTIC_PREFERENCE = ("mean", "median", "peak")
RANK_COLUMNS = ["exercise", "name", "statistic", "estimate", "ci_low", "ci_high", "k", "n", "band",
                "sources", "method", "position", "weight_bearing", "equipment"]
GAP_GRID = {
    "gluteus_medius": ("anterior", "middle", "posterior", "whole"),
    "gluteus_minimus": ("anterior", "posterior"),
    "gluteus_maximus": ("whole",),
    "tensor_fasciae_latae": ("whole",),
}


def _as_set(x):
    return None if x is None else ({x} if isinstance(x, (str, bool)) else set(x))


def filter_rows(df: pd.DataFrame, *, muscle=None, segment=None, weight_bearing=None, equipment=None,
                position=None, emg=None, population=None, statistic=None, exercise=None) -> pd.DataFrame:
    """Rows of a :func:`load` frame that match every given criterion (a value or a list of values).

    ``equipment`` is the equipment of the measurement itself, so ``equipment="none"`` keeps
    body-weight variants of exercises that are also done with a band. Every criterion is checked
    against the data dictionary: a value it does not define raises ValueError naming the valid ones.
    """
    check_filters(df, muscle=muscle, segment=segment, weight_bearing=weight_bearing, equipment=equipment,
                  position=position, emg=emg, population=population, statistic=statistic, exercise=exercise)
    mask = pd.Series(True, index=df.index)
    for col, want in (("muscle", muscle), ("segment", segment), ("equipment", equipment),
                      ("position", position), ("emg", emg), ("population", population),
                      ("statistic", statistic), ("exercise", exercise), ("weight_bearing", weight_bearing)):
        want = _as_set(want)
        if want is not None:
            mask &= df[col].isin(want).fillna(False).astype(bool)
    return df[mask]


def rank(segment, muscle: str = "gluteus_medius", *, weight_bearing=None, equipment=None, position=None,
         emg=None, population="healthy", statistic=None, df: pd.DataFrame | None = None) -> pd.DataFrame:
    """Exercises ordered by pooled %MVIC of one muscle segment, highest first within each statistic.

    One row per exercise: exercise, name, statistic, estimate, ci_low, ci_high, k (studies),
    n (participants), band, sources (keys), method, position, weight_bearing, equipment (of the
    measurements). Several studies of the same exercise are pooled (:func:`glutedata.pool`).
    When an exercise has both means and medians, means are used (``statistic`` overrides); rows
    are ordered means first, then medians, then mean peaks, each highest first.
    ``population=None`` keeps every population.
    """
    check_filters(df, muscle=muscle, segment=segment)
    if df is None:
        from .dataset import load
        df = load()
    rows = filter_rows(df, muscle=muscle, segment=segment, weight_bearing=weight_bearing, equipment=equipment,
                       position=position, emg=emg, population=population, statistic=statistic)
    if rows.empty:
        out = pd.DataFrame(columns=RANK_COLUMNS)
        out.attrs["empty_reason"] = "no study in the dataset has measured this combination"
        return out
    pooled = pool(rows, by=("exercise",))
    order = {s: i for i, s in enumerate(STATISTIC_PREFERENCE)}
    pooled["_pref"] = pooled["statistic"].map(order)
    pooled = pooled.sort_values(["exercise", "_pref"]).groupby("exercise", observed=True).head(1)
    attrs = rows.groupby("exercise", observed=True).agg(
        name=("name", "first"), position=("position", "first"), weight_bearing=("weight_bearing", "first"),
        equipment=("equipment", lambda s: ", ".join(sorted({str(x) for x in s.dropna()}))))
    out = pooled.join(attrs, on="exercise")
    out["band"] = band(out["estimate"]).astype(BAND_DTYPE)
    # Peaks run higher than means for the same effort, so exercises are ordered within each kind of
    # statistic (means first, then medians, then peaks) rather than across them.
    out = out.sort_values(["_pref", "estimate", "k"], ascending=[True, False, False], kind="stable")
    return out[RANK_COLUMNS].reset_index(drop=True)


def summarise(ranked: pd.DataFrame, question: str = "this query") -> markup.Markdown:
    """One Markdown sentence answering a :func:`rank` result: the top exercise, its estimate and band,
    and how much evidence stands behind it. Text from the data is escaped, so it shows as written.

    An empty result (a valid query that no study has measured) says so; a query with a typo never
    gets here, because :func:`rank` rejects it.
    """
    if not isinstance(ranked, pd.DataFrame):
        raise ValueError(f"summarise() takes the frame rank() returns, not {type(ranked).__name__}")
    question = markup.md(question)
    if ranked.empty:
        return markup.Markdown(f"No study in the dataset has measured {question}: this is an evidence gap, "
                               "not a zero.")
    top = ranked.iloc[0]
    ci = (f"95% CI {top.ci_low:.0f}-{top.ci_high:.0f} %MVIC" if pd.notna(top.ci_low)
          else "no confidence interval (the source gives no spread)")
    n = f"{top.n} participants" if pd.notna(top.n) else "an unstated number of participants"
    studies = "1 study" if top.k == 1 else f"{top.k} studies"
    return markup.Markdown(
        f"For {question}: **{markup.md(top['name'])}**, {top.statistic} {top.estimate:.0f} %MVIC ({top.band}), "
        f"from {studies} of {n} ({markup.md(', '.join(top.sources))}); {ci}.")


def progression(segment, *, muscle: str = "gluteus_medius", equipment=None, weight_bearing=None,
                population="healthy", df: pd.DataFrame | None = None, vocabulary: pd.DataFrame | None = None
                ) -> pd.DataFrame:
    """An ordered ladder of exercises from low to very high activation of a segment.

    Each step has the exercise, its estimate and band, the evidence (k, sources), suggested dosing
    and the easier and harder exercises named in the vocabulary.
    """
    from .dataset import exercises
    if not isinstance(segment, str):
        raise ValueError(f"segment must be one segment name, got {segment!r}")
    ranked = rank(segment, muscle, equipment=equipment, weight_bearing=weight_bearing,
                  population=population, df=df)
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


def gaps(df: pd.DataFrame | None = None, vocabulary: pd.DataFrame | None = None, *, seed_only: bool = True,
         max_studies: int = 1) -> pd.DataFrame:
    """Where evidence is missing: exercise x muscle x segment cells with at most ``max_studies`` studies.

    Returns exercise, name, muscle, segment, k (studies with any value there) and ``evidence``
    ("none" or "single study"), for the seed exercises (all exercises with ``seed_only=False``).
    """
    from .dataset import exercises, load
    df = load() if df is None else df
    vocab = exercises() if vocabulary is None else vocabulary
    if seed_only:
        vocab = vocab[vocab["seed"].fillna(False).astype(bool)]
    counts = (df.groupby(["exercise", "muscle", "segment"], observed=True)["source"].nunique())
    rows = []
    for ex_id, name in zip(vocab["id"], vocab["name"]):
        for muscle, segments in GAP_GRID.items():
            for seg in segments:
                k = int(counts.get((ex_id, muscle, seg), 0))
                if k <= max_studies:
                    rows.append({"exercise": ex_id, "name": name, "muscle": muscle, "segment": seg, "k": k,
                                 "evidence": "none" if k == 0 else "single study" if k == 1 else f"{k} studies"})
    return pd.DataFrame(rows, columns=["exercise", "name", "muscle", "segment", "k", "evidence"])
