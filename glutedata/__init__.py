"""glutedata: cited gluteus medius exercise EMG (%MVIC), and tools to rank, pool and chart it."""

from .bands import BANDS, band
from .citations import cite, references
from .consensus import consensus
from .dataset import exercises, load, metadata, screening, sources, studies
from .handout import handout
from .io import DataError, data_dir
from .pooling import pool
from .query import filter_rows, footnote, gaps, progression, rank, summarise
from .sensitivity import sensitivity
from .validate import Problem, validate

__version__ = "0.2.0"
__all__ = ["BANDS", "DataError", "Problem", "band", "cite", "consensus", "data_dir", "exercises", "filter_rows",
           "footnote", "gaps", "handout", "load", "metadata", "plots", "pool", "progression", "rank", "references",
           "screening", "sensitivity", "sources", "studies", "summarise", "validate"]


def __getattr__(name):
    # plotly is slow to import; load the charts module on first use of ``glutedata.plots``
    if name == "plots":
        import importlib
        return importlib.import_module(".plots", __name__)
    raise AttributeError(f"module 'glutedata' has no attribute {name!r}")
