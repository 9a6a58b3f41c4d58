"""Finding the data directory and reading its tables into typed DataFrames."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from . import numbers
from .problems import DataError, Problem
from .schema import DICTIONARY, Table

ENV_VAR = "GLUTEDATA_DATA"


def data_dir(path: str | os.PathLike | None = None) -> Path:
    """Where the data lives.

    In order: an explicit ``path``; ``$GLUTEDATA_DATA``; the ``data/`` folder of a source
    checkout (so researchers' edits are picked up); the copy shipped inside the installed package.

    Examples
    --------
    >>> import glutedata as gd
    >>> (gd.data_dir() / "emg_activation.csv").is_file()
    True
    """
    if path is not None:
        return Path(path)
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR])
    checkout = Path(__file__).resolve().parents[2] / "data"
    if (checkout / DICTIONARY).is_file():
        return checkout
    from importlib import resources  # only an installed package needs it; importing it costs ~7 ms
    return Path(str(resources.files("glutedata.data") / "bundled"))


def protected_dirs(path: str | os.PathLike | None = None) -> list[Path]:
    """Every data directory glutedata may read: ``path``, ``$GLUTEDATA_DATA``, the checkout's ``data/`` and the
    copy shipped inside the package. Commands that write files never write inside any of them."""
    from importlib import resources
    found = [Path(path)] if path is not None else []
    if os.environ.get(ENV_VAR):
        found.append(Path(os.environ[ENV_VAR]))
    checkout = Path(__file__).resolve().parents[2] / "data"
    if (checkout / DICTIONARY).is_file():
        found.append(checkout)
    found.append(Path(str(resources.files("glutedata.data") / "bundled")))
    return list(dict.fromkeys(found))


def _convert(series: pd.Series, field) -> pd.Series:
    if field.type in ("number", "integer"):
        return numbers.parse(series, field.type)
    if field.type == "boolean":
        return series.str.lower().map({"true": True, "false": False}).astype("boolean")
    if field.enum:
        return pd.Categorical(series.replace("", None), categories=list(field.enum), ordered=field.ordered)
    return series.astype("string")


def read_table(table: Table, folder: Path) -> pd.DataFrame:
    """Read one CSV table of the package with the dictionary's types and categories."""
    try:
        # from the path, not from decoded text: pandas' C parser reads a file several times faster than a
        # StringIO; utf-8-sig drops a BOM and bad bytes are replaced, as validation reads them
        df = pd.read_csv(folder / table.path, dtype=str, keep_default_na=False, na_filter=False,
                         encoding="utf-8-sig", encoding_errors="replace")
    except OSError as e:
        why = f"cannot read {folder / table.path}: {e.strerror or e}"
        raise DataError([Problem(table.path, 0, "-", why)]) from None
    for f in table.fields:
        if f.name in df.columns:
            df[f.name] = _convert(df[f.name], f)
    return df
