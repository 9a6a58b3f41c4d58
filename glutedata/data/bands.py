"""Intensity bands of Reiman et al. (2012) and Ebert et al. (2017)."""

from __future__ import annotations

import numpy as np
import pandas as pd

BANDS = ("low", "moderate", "high", "very high")
# Upper edges in %MVIC: low 0-20, moderate 21-40, high 41-60, very high over 60.
# Values between the printed integer edges (e.g. 20.5) go to the higher band.
EDGES = (20.0, 40.0, 60.0)
BAND_DTYPE = pd.CategoricalDtype(list(BANDS), ordered=True)


def band(pct):
    """Intensity band of a %MVIC value (or of each value of an array or Series).

    >>> band(48)
    'high'
    >>> band([10, 61]).tolist()
    ['low', 'very high']
    """
    if np.ndim(pct) == 0:
        if pct is None or (not isinstance(pct, str) and pd.isna(pct)):
            return None
        if isinstance(pct, (str, bytes, bool)) or not isinstance(pct, (int, float, np.number)):
            raise ValueError(f"band() takes a %MVIC number, got {pct!r}")
        if pct < 0:
            raise ValueError(f"%MVIC cannot be negative: {pct}")
        return BANDS[int(np.searchsorted(EDGES, float(pct), side="left"))]
    try:
        values = pd.Series(pct, dtype="Float64") if not isinstance(pct, pd.Series) else pct.astype("Float64")
    except (TypeError, ValueError):
        raise ValueError("band() takes %MVIC numbers; the values given are not all numbers") from None
    if (values.dropna() < 0).any():
        raise ValueError("%MVIC cannot be negative")
    idx = np.searchsorted(EDGES, values.fillna(0).to_numpy(dtype=float), side="left")
    out = pd.Series(pd.Categorical.from_codes(idx, dtype=BAND_DTYPE), index=values.index)
    out[values.isna().to_numpy()] = None
    return out
