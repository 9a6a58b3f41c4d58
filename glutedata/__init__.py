"""glutedata: cited gluteus medius exercise EMG (%MVIC), and tools to rank, pool and chart it.

This module is the one public facade: everything in ``__all__`` is importable from ``glutedata`` itself,
while the layers under it (see ARCHITECTURE.md) are free to move. Each name is imported on first use, so
``import glutedata; glutedata.load()`` loads only what loading needs (``glutedata.plots`` brings plotly).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from ._version import __version__ as __version__

# public name -> module (relative to this package) that defines it
_EXPORTS = {
    "BANDS": ".data.bands", "band": ".data.bands",
    "data_dir": ".data.io",
    "exercises": ".data.loaders", "load": ".data.loaders", "metadata": ".data.loaders",
    "screening": ".data.loaders", "sources": ".data.loaders", "studies": ".data.loaders",
    "DataError": ".data.problems", "Problem": ".data.problems",
    "validate": ".data.validate",
    "pool": ".stats.pooling",
    "cite": ".query.citations", "references": ".query.citations",
    "consensus": ".query.consensus",
    "gaps": ".query.coverage",
    "footnote": ".query.ranking", "progression": ".query.ranking", "rank": ".query.ranking",
    "summarise": ".query.ranking",
    "filter_rows": ".query.select",
    "sensitivity": ".query.sensitivity",
    "handout": ".publish.handout",
}
_MODULES = {"plots": ".views.plots"}

__all__ = sorted([*_EXPORTS, *_MODULES], key=str.lower)

if TYPE_CHECKING:  # what static tools and IDEs see; at run time each name is imported on first use
    from .data.bands import BANDS, band
    from .data.io import data_dir
    from .data.loaders import exercises, load, metadata, screening, sources, studies
    from .data.problems import DataError, Problem
    from .data.validate import validate
    from .publish.handout import handout
    from .query.citations import cite, references
    from .query.consensus import consensus
    from .query.coverage import gaps
    from .query.ranking import footnote, progression, rank, summarise
    from .query.select import filter_rows
    from .query.sensitivity import sensitivity
    from .stats.pooling import pool
    from .views import plots


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name], __name__), name)
    elif name in _MODULES:
        value = importlib.import_module(_MODULES[name], __name__)
    else:
        raise AttributeError(f"module 'glutedata' has no attribute {name!r}")
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
