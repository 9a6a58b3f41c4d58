"""Warnings: what is valid but probably not meant. They are shown beside the problems and never make the data
invalid: a template's placeholder text left in a submission, and an ``n`` that differs from the same study's
other rows of the same population (an SD typed into ``n`` is the usual cause).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .problems import Problem
from .reader import TableReader

# (resource, field) -> the placeholder text of the templates in contributing/, matched case-insensitively
# anywhere in a value. Only text no page would print is listed: the templates' example values that are valid
# answers ('Table 2', 'Methods', 'surface') cannot be told from a contributor's own.
# tests/data/test_package.py checks that every template still holds these.
PLACEHOLDERS: dict[tuple[str, str], tuple[str, ...]] = {
    ("emg_activation", "source"): ("yourname",),
    ("emg_activation", "notes"): ("row and column words", "the page leaves unsaid"),
    ("studies", "key"): ("yourname",),
    ("studies", "notes"): ("journal and year", "other pages read", "the page leaves unsaid"),
    ("screening", "key"): ("yourname",),
    ("screening", "title"): ("title as printed",),
    ("screening", "reason"): ("what the page gives",),
    ("sources", "ID"): ("yourname",),
    ("sources", "author"): ("surname, given",),
    ("sources", "title"): ("title as printed",),
    ("sources", "journal"): ("journal name",),
}


def placeholder(resource: str, field: str, value: str) -> str | None:
    """The placeholder text of a template that ``value`` still holds, or None."""
    lowered = value.lower()
    return next((h for h in PLACEHOLDERS.get((resource, field), ()) if h in lowered), None)


def _message(field: str, value: str, hint: str) -> str:
    what = ("the study's key (the first author's surname and the year, e.g. 'moore2019a')"
            if field in ("source", "key", "ID") else "what the page says")
    return f"'{value}' still holds the template's placeholder text ('{hint}'): replace it with {what}"


def table_warnings(t: TableReader) -> list[Problem]:
    """Placeholders left in a table, and (in ``emg_activation.csv``) an n unlike the study's other rows."""
    out = []
    for (resource, field), _ in PLACEHOLDERS.items():
        if resource != t.table.name or field not in t.columns:
            continue
        col = t.columns[field]
        for i, value in enumerate(col.values):
            hint = placeholder(resource, field, value)
            if hint:
                out += [Problem(t.path.name, int(line), field, _message(field, value, hint))
                        for line in t.lines[col.codes == i].tolist()]
    if t.table.name == "emg_activation" and {"source", "population", "n"} <= set(t.columns):
        out += _n_warnings(t)
    return out


def _n_warnings(t: TableReader) -> list[Problem]:
    """Rows whose n differs from the n most rows of the same study and population give (on a tie, the first
    row's); a column at a time, so a million rows take well under a second."""
    source, population, n = (t.columns[c] for c in ("source", "population", "n"))
    numbers = np.array([int(v) if v.isascii() and v.isdigit() else -1 for v in n.values], dtype=np.int64)[n.codes]
    # an empty or malformed n says nothing here (a malformed one is a problem already)
    rows = pd.DataFrame({"s": source.codes, "p": population.codes, "n": numbers,
                         "row": np.arange(len(numbers))})[numbers >= 0]
    # groups in order of first appearance, so that idxmax picks the first row's n on a tie
    counts = rows.groupby(["s", "p", "n"], sort=False).size().reset_index(name="count")
    usual = counts.loc[counts.groupby(["s", "p"], sort=False)["count"].idxmax(), ["s", "p", "n"]]
    odd = rows.merge(usual.rename(columns={"n": "usual"}), on=["s", "p"])
    odd = odd[odd["n"] != odd["usual"]].sort_values("row")
    return [Problem(t.path.name, int(t.lines[r.row]), "n",
                    f"n {r.n} differs from the n of {source.values[r.s]}'s other {population.values[r.p]} rows "
                    f"({r.usual}): check that an SD or another number was not typed into n")
            for r in odd.itertuples(index=False)]


def bib_warnings(entries: dict[str, dict], file: str) -> list[Problem]:
    """Placeholders left in .bib entries, at the line of each entry."""
    out = []
    for entry in entries.values():
        for field, value in entry.items():  # the key is the entry's "ID"
            hint = placeholder("sources", field, value) if isinstance(value, str) else None
            if hint:
                out.append(Problem(file, entry["line"], "key" if field == "ID" else field,
                                   _message(field, value, hint)))
    return out
