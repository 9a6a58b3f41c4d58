"""Validation of the data directory against its data dictionary. Reads files; never writes them.

One problem is reported per root cause, at the file and line of the cause: checks that depend on a
table that could not be read are skipped rather than reported as knock-on errors elsewhere, and a
table with a record that could not be read is not used to show that a key is missing from it.

Tables are checked a column at a time: each distinct value is checked once, and problems are made
only for the records that hold a bad value. A large file is read in two passes: numpy finds the
lines that are single, well-formed CSV records, and pandas' C parser reads those lines as category
codes; any other line is read, from where it starts, by the line-by-line reader (the csv module),
whose messages, line numbers and knock-on behaviour are those of reading the whole file that way.
"""

from __future__ import annotations

from pathlib import Path

from . import bib
from .advisories import bib_warnings, table_warnings
from .io import data_dir as _data_dir
from .problems import Problem
from .provenance import check_as_printed, check_inferred
from .reader import TableReader
from .rules import (
    check_activation,
    check_exercises,
    check_foreign_keys,
    check_records,
    check_screening,
    check_studies,
    studied,
)
from .schema import DICTIONARY, Schema, SchemaError, load_descriptor, parse

__all__ = ["Problem", "validate", "validate_with_warnings"]


def _dictionary(folder: Path) -> tuple[Schema | None, list[Problem]]:
    try:
        return parse(load_descriptor(folder)), []
    except SchemaError as e:
        line = getattr(e, "line", None)
        if line is None:
            line = 0 if e.message.startswith("no data dictionary") else 1
        return None, [Problem(DICTIONARY, line, e.where, e.message)]


def validate(data_dir=None) -> list[Problem]:
    """Check every file of the data directory; return the problems (empty when the data is valid).

    Covers: the dictionary itself; encoding, BOM, delimiter and quoting; missing, unknown and
    duplicate columns; empty tables; required values, types (ASCII numbers within the dictionary's
    bounds), closed vocabularies and whole-value patterns from ``datapackage.json``; markup in free
    text; duplicate rows; exercise ids and source keys that do not resolve; progressions that run in
    a circle; medians outside their quartiles; .bib entries that do not parse, text outside entries,
    missing required fields; and the agreement of ``screening.csv`` with the data (what a study with rows
    lacks is one problem, at its first row). No file is modified. Warnings (valid but probably not meant)
    are left out: :func:`validate_with_warnings` gives both.

    Examples
    --------
    >>> import glutedata as gd
    >>> gd.validate()  # the bundled data; gd.validate("my-data") checks a copy you edited
    []
    """
    return _validate(data_dir)


def validate_with_warnings(data_dir=None) -> tuple[list[Problem], list[Problem]]:
    """The problems of :func:`validate` and, read in the same pass, the warnings
    (:mod:`glutedata.data.advisories`): what is valid but probably not meant. Warnings never make data
    invalid, so :func:`validate` leaves them out."""
    warnings: list[Problem] = []
    return _validate(data_dir, warnings=warnings), warnings


def _validate(data_dir=None, careful: bool = False, warnings: list[Problem] | None = None) -> list[Problem]:
    """:func:`validate`; ``careful`` reads every line of every table with the line-by-line reader; the warnings
    of the tables that could be read are added to ``warnings`` when given."""
    folder = _data_dir(data_dir)
    if not folder.is_dir():
        return [Problem(DICTIONARY, 0, "-", f"no data directory at {folder}")]
    schema, problems = _dictionary(folder)
    if schema is None:
        return problems

    bib_path = folder / schema.bib_path
    bib_keys: set[str] | None = None
    entries: dict[str, dict] = {}
    if bib_path.is_file():
        entries, bib_problems = bib.parse(bib_path, schema.bib_required)
        problems += [Problem(bib_path.name, p.line, p.field, p.message) for p in bib_problems]
        # an unreadable file gives no keys: checking references against it would only echo its problem
        bib_keys = set(entries) if entries or not bib_problems else None
    else:
        problems.append(Problem(bib_path.name, 0, "-", "file not found"))

    tables = {name: TableReader(tab, folder / tab.path, problems, careful) for name, tab in schema.tables.items()}
    for t in tables.values():
        if t.ok:
            check_records(t)
    # the key values each foreign key of the dictionary points at
    known = {"sources": (bib_path.name, bib_keys)} if bib_keys is not None else {}
    for t in tables.values():
        for _, resource, ref in t.table.foreign_keys:
            target = tables.get(resource)
            # a table with a record that could not be read cannot show that a key is missing from it
            if resource not in known and target is not None and target.ok and target.complete:
                col = target.columns[ref]
                known[resource] = (target.path.name, {col.values[i] for i in col.used()})
    exercises = tables.get("exercises")
    if exercises is not None and exercises.ok:
        check_exercises(exercises)
    activation, screening, studies = (t if t is not None and t.ok else None
                                      for t in map(tables.get, ("emg_activation", "screening", "studies")))
    with_rows = set(studied(activation)) if activation is not None else set()
    for t in tables.values():
        if t.ok:
            # what a study with rows lacks in screening.csv is said once, at its rows, by check_studies
            said = {"source": None} if t is activation else {"key": with_rows} if t is studies else {}
            check_foreign_keys(t, known, said)
    if activation is not None:
        check_activation(activation, schema.segments_by_muscle)
        check_as_printed(activation)
        check_inferred(activation)
        check_studies(activation, screening, studies, bib_keys, bib_path.name)
    if screening is not None:
        check_screening(screening, activation, bib_keys, studies)
    if warnings is not None:
        warnings += bib_warnings(entries, bib_path.name)
        for t in tables.values():
            warnings += table_warnings(t) if t.ok else []
        warnings.sort(key=lambda p: (p.file, p.line, p.field, p.message))
    # order=True compares (file, line, field, message); sorting by that tuple is the same order, faster
    return sorted(set(problems), key=lambda p: (p.file, p.line, p.field, p.message))
