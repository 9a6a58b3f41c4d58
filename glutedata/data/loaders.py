"""The public loaders: activation values, exercise vocabulary, sources, screening log."""

from __future__ import annotations

import os

import pandas as pd

from . import bib
from .bands import band
from .flags import value_flags
from .io import data_dir, read_table
from .problems import DataError, Problem
from .schema import load_descriptor, read_schema
from .validate import validate

EXERCISE_ATTRIBUTES = ["name", "position", "weight_bearing", "contraction"]
APPRAISAL_ATTRIBUTES = ["publication_type", "normalisation", "concerns"]


def _validating(validate: bool | None) -> bool:
    return os.environ.get("GLUTEDATA_VALIDATE", "1") != "0" if validate is None else validate


def _folder(path, check: bool):
    folder = data_dir(path)
    if not folder.is_dir():
        raise DataError([Problem(str(folder), 0, "-", "no such data directory")])
    if check:
        problems = validate(folder)
        if problems:
            raise DataError(problems)
    return folder


def load(path=None, *, validate: bool | None = None) -> pd.DataFrame:
    """Load the EMG activation values, one row per source x exercise variant x muscle x segment x statistic.

    Parameters
    ----------
    path : str or Path, optional
        A data directory; by default the checkout's ``data/`` or the copy shipped with the package.
    validate : bool, optional
        Check the data first and raise :class:`glutedata.DataError` listing every problem. By default
        it does, unless the environment sets ``GLUTEDATA_VALIDATE=0`` (for data already validated,
        e.g. a large synthetic set; whatever is shown is escaped either way).

    Returns
    -------
    pandas.DataFrame
        One row per value, with columns:

        - ``source`` (string): key in ``sources.bib``
        - ``exercise`` (string): exercise id; ``name`` its display name
        - ``variant`` (string): what the study changed (empty for the plain form)
        - ``muscle`` (category): gluteus_medius, gluteus_minimus, gluteus_maximus, tensor_fasciae_latae
        - ``segment`` (ordered category): anterior < middle < posterior < superior < inferior < whole
        - ``emg`` (category): surface, fine-wire
        - ``statistic`` (category): mean, median, peak (mean of peak amplitudes)
        - ``pct_mvic``, ``sd``, ``q1``, ``q3`` (Float64, %MVIC)
        - ``n`` (Int64): participants; missing when the source does not state it
        - ``population`` (category), ``equipment`` (category, used in this measurement)
        - ``locator`` (string): where the number stands in the source; ``notes`` (string)
        - ``position`` (category), ``weight_bearing`` (boolean), ``contraction`` (category): from the
          exercise vocabulary
        - ``band`` (ordered category): low < moderate < high < very high
        - ``publication_type``, ``normalisation`` (category), ``concerns`` (string, missing when none):
          from the study's appraisal in ``studies.csv``
        - ``flags`` (string): abstract-only, N<30, n unknown, SD imputed, study concerns (joined by '; ')

        ``df.attrs["version"]`` is the data version (see :func:`metadata`).

    Examples
    --------
    >>> import glutedata as gd
    >>> df = gd.load()
    >>> df.columns[:8].tolist()
    ['source', 'exercise', 'variant', 'muscle', 'segment', 'emg', 'statistic', 'pct_mvic']
    >>> str(df["pct_mvic"].dtype), str(df["n"].dtype)
    ('Float64', 'Int64')
    >>> df.attrs["version"] == gd.metadata()["version"]
    True
    """
    folder = _folder(path, _validating(validate))
    schema = read_schema(folder)
    df = read_table(schema.tables["emg_activation"], folder)
    ex = read_table(schema.tables["exercises"], folder).set_index("id")[EXERCISE_ATTRIBUTES]
    df = df.join(ex, on="exercise")
    appraisal = read_table(schema.tables["studies"], folder).set_index("key")[APPRAISAL_ATTRIBUTES]
    appraisal["concerns"] = appraisal["concerns"].replace("", pd.NA)
    df = df.join(appraisal, on="source")
    df["flags"] = value_flags(df)
    df["band"] = band(df["pct_mvic"])
    df.attrs["version"] = metadata(folder)["version"]
    return df


def metadata(path=None) -> dict:
    """The data package's own record: name, title, version (data semver), created (date), licenses.

    Examples
    --------
    >>> import glutedata as gd
    >>> meta = gd.metadata()
    >>> meta["name"], sorted(meta)
    ('glutedata', ['created', 'licenses', 'name', 'title', 'version'])
    """
    folder = _folder(path, False)
    read_schema(folder)  # a malformed dictionary raises DataError here
    d = load_descriptor(folder)
    return {k: d.get(k) for k in ("name", "title", "version", "created", "licenses")}


def exercises(path=None, *, validate: bool = False) -> pd.DataFrame:
    """The exercise vocabulary: id, name, aliases, position, weight_bearing, equipment, contraction,
    description, dosing, progresses_to, regresses_to, seed. ``aliases`` and the progression columns
    are lists.

    Examples
    --------
    >>> import glutedata as gd
    >>> vocab = gd.exercises().set_index("id")
    >>> vocab.loc["clamshell", ["name", "progresses_to"]].tolist()
    ['Clamshell', ['side-lying-hip-abduction']]
    """
    folder = _folder(path, validate)
    df = read_table(read_schema(folder).tables["exercises"], folder)
    for col in ("aliases", "progresses_to", "regresses_to"):
        df[col] = df[col].fillna("").map(lambda s: [x for x in str(s).split("|") if x])
    return df


def sources(path=None, *, validate: bool | None = None) -> dict[str, dict]:
    """``{key: entry}`` from ``sources.bib``; each entry is a dict of its BibTeX fields.

    Problems in the file raise :class:`glutedata.DataError` unless validation is off (as for :func:`load`).

    Examples
    --------
    >>> import glutedata as gd
    >>> gd.sources()["moore2019a"]["title"]
    'Rehabilitation Exercises for the Gluteus Medius Muscle Segments: An Electromyography Study'
    """
    folder = _folder(path, False)
    name = read_schema(folder).bib_path
    try:
        entries, problems = bib.parse(folder / name)
    except OSError as e:
        raise DataError([Problem(name, 0, "-", f"cannot read {folder / name}: {e.strerror or e}")]) from None
    if problems and _validating(validate):
        raise DataError([Problem(name, p.line, p.field, p.message) for p in problems])
    return entries


def studies(path=None) -> pd.DataFrame:
    """The appraisal of each extracted study: key, publication_type, emg_method, normalisation,
    mvic_position, unit_printed, statistic_named, concerns (empty when none), appraisal_url,
    appraisal_locator, notes.

    Examples
    --------
    >>> import glutedata as gd
    >>> gd.studies().set_index("key").loc["moore2019a", ["publication_type", "emg_method"]].tolist()
    ['journal-article', 'fine-wire']
    """
    folder = _folder(path, False)
    return read_table(read_schema(folder).tables["studies"], folder)


def screening(path=None) -> pd.DataFrame:
    """The screening log: one row per study screened (key, reading_list_key, title, year, status, reason, url).

    Examples
    --------
    >>> import glutedata as gd
    >>> log = gd.screening()
    >>> set(gd.load()["source"]) <= set(log["key"])  # every study with values was screened
    True
    """
    folder = _folder(path, False)
    return read_table(read_schema(folder).tables["screening"], folder)
