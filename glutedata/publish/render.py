"""What every generated page and the handout share: the Jinja2 environment, numbers for cells, the footer."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from .._version import __version__

TEMPLATES = Path(__file__).parent / "templates"


def environment():
    """The Jinja2 environment of the generated pages and the handout: autoescape on, undefined is an error."""
    import jinja2
    return jinja2.Environment(loader=jinja2.FileSystemLoader([TEMPLATES / "glutedata_pages",
                                                              TEMPLATES / "glutedata_site"]),
                              autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def number(value, digits: int | None = None) -> str:
    """A number for a table cell: '' when missing, ``digits`` decimals, or as recorded (up to 6 figures)."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if digits is None:
        return f"{float(value):g}" if not isinstance(value, int) else str(value)
    return f"{float(value):.{digits}f}"


def day(created) -> str:
    """The date of the data package's ``created`` stamp (``2026-12-02T00:00:00Z`` -> ``2026-12-02``)."""
    return str(created).split("T", 1)[0] if created else "?"


def footer(meta: dict) -> dict:
    """What every page's footer shows: the data version and date (from :func:`glutedata.metadata`) and
    the package version."""
    return {"version": meta.get("version") or "?", "created": day(meta.get("created")), "package": __version__}
