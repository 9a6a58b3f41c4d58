"""Citations for whatever frame a user ends up with."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from .. import markup
from ..data import bib
from ..data.arguments import suggestion
from ..data.loaders import sources
from ..data.release import dataset_bibtex


class References(list):
    """Formatted references: plain strings in Python and the terminal, an escaped Markdown list
    (with DOI links) in JupyterLab and on the site."""

    def __init__(self, entries: list[dict]):
        super().__init__(bib.format_reference(e) for e in entries)
        self._entries = entries

    def _repr_markdown_(self) -> str:
        lines = []
        for e in self._entries:
            text = markup.md(bib.format_reference({k: v for k, v in e.items() if k not in ("doi", "url")}))
            href = markup.doi_url(e["doi"]) if e.get("doi") else markup.url(e.get("url"))
            lines.append(f"- {text}" + (f" <{href}>" if href else ""))
        return "\n".join(lines)


def source_keys(df) -> list[str]:
    """Sorted source keys behind a frame: its ``source`` column and/or the tuples in ``sources``."""
    if isinstance(df, str):
        return [df]
    if not isinstance(df, pd.DataFrame):
        if df is None or not isinstance(df, Iterable) or not all(isinstance(k, str) for k in df):
            raise ValueError("cite() and references() take a frame from load/rank/pool, a source key, "
                            f"or a list of source keys; got {df!r:.60}")
        return sorted(set(df))
    keys: set[str] = set()
    if "source" in df:
        keys.update(str(k) for k in df["source"].dropna())
    if "sources" in df:
        for v in df["sources"].dropna():
            keys.update([v] if isinstance(v, str) else v)
    return sorted(keys)


def _entries(df, path=None) -> list[dict]:
    entries = sources(path)
    keys = source_keys(df)
    missing = [k for k in keys if k not in entries]
    if missing:
        hint = suggestion(missing[0], entries) if len(missing) == 1 else ""
        raise ValueError(f"not in sources.bib: {markup.one_line(', '.join(missing))}{hint}")
    return [entries[k] for k in keys]


def cite(df: pd.DataFrame | Iterable[str], path=None, *, dataset: bool = True) -> str:
    """BibTeX of every source behind ``df`` (a frame from load/rank/pool, or an iterable of keys),
    followed by the entry of the dataset itself (its version and date) unless ``dataset=False``.

    Examples
    --------
    >>> import glutedata as gd
    >>> print(gd.cite(["moore2019a"], dataset=False))  # doctest: +ELLIPSIS
    @article{moore2019a,
      author = {Moore, Damien and Pizzari, Tania and McClelland, Jodie and Semciw, Adam I.},
    ...
    >>> bib = gd.cite(gd.rank("posterior"))  # every source behind a table, then the dataset's own entry
    >>> bib.count("@misc{glutedata")
    1
    """
    entries = [bib.to_bibtex(e) for e in _entries(df, path)]
    if dataset:
        entries.append(dataset_bibtex(path))
    return "\n\n".join(entries) + "\n"


def references(df: pd.DataFrame | Iterable[str], path=None) -> References:
    """Formatted references (with DOI links) of every source behind ``df``: a list of strings that
    JupyterLab shows as a list with links.

    Examples
    --------
    >>> import glutedata as gd
    >>> print(gd.references(["moore2019a"])[0])  # doctest: +ELLIPSIS
    Moore D, Pizzari T, McClelland J, Semciw AI (2019). Rehabilitation Exercises ... https://doi.org/10.1123/jsr.2018-0340
    """
    return References(_entries(df, path))
