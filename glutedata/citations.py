"""Citations for whatever frame a user ends up with."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from . import bib


def source_keys(df) -> list[str]:
    """Sorted source keys behind a frame: its ``source`` column and/or the tuples in ``sources``."""
    if isinstance(df, str):
        return [df]
    if not isinstance(df, pd.DataFrame):
        return sorted(set(df))
    keys: set[str] = set()
    if "source" in df:
        keys.update(str(k) for k in df["source"].dropna())
    if "sources" in df:
        for v in df["sources"].dropna():
            keys.update([v] if isinstance(v, str) else v)
    return sorted(keys)


def _entries(df, path=None) -> list[dict]:
    from .dataset import sources
    entries = sources(path)
    keys = source_keys(df)
    missing = [k for k in keys if k not in entries]
    if missing:
        raise KeyError(f"not in sources.bib: {', '.join(missing)}")
    return [entries[k] for k in keys]


def cite(df: pd.DataFrame | Iterable[str], path=None) -> str:
    """BibTeX of every source behind ``df`` (a frame from load/rank/pool, or an iterable of keys)."""
    return "\n\n".join(bib.to_bibtex(e) for e in _entries(df, path)) + "\n"


def references(df: pd.DataFrame | Iterable[str], path=None) -> list[str]:
    """Formatted references (with DOI links) of every source behind ``df``."""
    return [bib.format_reference(e) for e in _entries(df, path)]
