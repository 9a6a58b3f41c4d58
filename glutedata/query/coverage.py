"""Where the evidence is missing: the seed exercises crossed with muscles and segments."""

from __future__ import annotations

import pandas as pd

from ..data.loaders import exercises, load
from ..data.ranges import whole_number
from ..markup import one_line

GAP_GRID = {
    "gluteus_medius": ("anterior", "middle", "posterior", "whole"),
    "gluteus_minimus": ("anterior", "posterior"),
    "gluteus_maximus": ("whole",),
    "tensor_fasciae_latae": ("whole",),
}


def gaps(df: pd.DataFrame | None = None, vocabulary: pd.DataFrame | None = None, *, seed_only: bool = True,
         max_studies: int = 1) -> pd.DataFrame:
    """Where evidence is missing: exercise x muscle x segment cells with at most ``max_studies`` studies.

    Returns exercise, name, muscle, segment, k (studies with any value there) and ``evidence``
    ("none" or "single study"), for the seed exercises (all exercises with ``seed_only=False``).
    ``max_studies`` is a whole number of at least 0; anything else raises ValueError.

    Examples
    --------
    >>> import glutedata as gd
    >>> missing = gd.gaps()
    >>> missing.columns.tolist()
    ['exercise', 'name', 'muscle', 'segment', 'k', 'evidence']
    >>> sorted(missing["evidence"].unique())
    ['none', 'single study']
    """
    max_studies = whole_number("max_studies", max_studies, 0)
    if not isinstance(seed_only, bool):
        raise ValueError(f"seed_only must be True or False, got {one_line(repr(seed_only))[:80]}")
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
