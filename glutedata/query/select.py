"""Selecting rows of a :func:`glutedata.load` frame by the query arguments every question shares."""

from __future__ import annotations

import pandas as pd

from ..data.arguments import check_filters

# When an exercise has values of several kinds, rank uses the first available.
STATISTIC_PREFERENCE = ("mean", "median", "peak")


def _as_set(x):
    return None if x is None else ({x} if isinstance(x, (str, bool)) else set(x))


def filter_rows(df: pd.DataFrame, *, muscle=None, segment=None, weight_bearing=None, equipment=None,
                position=None, emg=None, population=None, statistic=None, exercise=None) -> pd.DataFrame:
    """Rows of a :func:`load` frame that match every given criterion (a value or a list of values).

    ``equipment`` is the equipment of the measurement itself, so ``equipment="none"`` keeps
    body-weight variants of exercises that are also done with a band. Every criterion is checked
    against the data dictionary: a value it does not define raises ValueError naming the valid ones.

    Examples
    --------
    >>> import glutedata as gd
    >>> df = gd.load()
    >>> wire = gd.filter_rows(df, emg="fine-wire", segment=["anterior", "middle", "posterior"])
    >>> sorted(wire["emg"].unique())
    ['fine-wire']
    >>> gd.filter_rows(df, segment="posteriour")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ValueError: segment='posteriour' is not valid (did you mean 'posterior'?)...
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
