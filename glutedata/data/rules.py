"""The domain rules of validation, checked a column at a time on tables read by
:class:`glutedata.data.reader.TableReader`: values against the dictionary, duplicates, foreign keys,
activation values, the exercise vocabulary and its progressions, and the screening log."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..markup import looks_like_markup
from . import bib, numbers
from .arguments import suggestion
from .reader import TableReader
from .scan import Column
from .schema import MAX_CELL_BYTES, Field, cell_too_large

TRUE_FALSE = {"true", "false"}
# control characters other than the line breaks CSV itself uses
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def _markup(value: str) -> str | None:
    # ASCII text is its own NFKC form, and each pattern of looks_like_markup needs '<', ':' or '&'
    if value.isascii() and "<" not in value and ":" not in value and "&" not in value:
        return None
    return looks_like_markup(value)


def check_value(f: Field, value: str) -> str | None:
    """The message for a bad value, or None when it is fine."""
    if len(value) * 4 > MAX_CELL_BYTES:  # a UTF-8 character takes at most 4 bytes
        size = len(value.encode("utf-8", "surrogatepass"))
        if size > MAX_CELL_BYTES:
            return cell_too_large(size)
    if CONTROL.search(value):
        return "contains a control character"
    if value != value.strip():
        return f"'{value}' has leading or trailing spaces"
    if value == "":
        return "required value is empty" if f.required else None
    if f.type in ("number", "integer"):
        return numbers.check(value, f.type, f.minimum, f.maximum)
    if f.type == "boolean" and value not in TRUE_FALSE:
        return f"'{value}' is not true or false (lower case)"
    if f.enum and value not in f.enum:
        return f"'{value}' is not one of: {', '.join(f.enum)}{suggestion(value, f.enum)}"
    # Table Schema patterns match the whole value (as frictionless reads them)
    if f.pattern and not re.fullmatch(f.pattern, value):
        return pattern_message(f, value)
    if f.type == "string" and not f.enum:
        why = _markup(value)
        if why:
            return f"{why}; data are shown as plain text"
    return None


def pattern_message(f: Field, value: str) -> str:
    """A value that does not have its field's form, said in the dictionary's words, with the nearest value
    that has it: contributors read 'Table N', not a regular expression."""
    if not f.pattern_description:
        return f"'{value}' does not have the form of a {f.name} ({f.pattern})"
    lowered = value.lower()
    near = (lowered, value.capitalize(), re.sub(r"[\s_]+", "-", lowered), re.sub(r"[\s_-]+", "", lowered))
    hint = next((c for c in near if c != value and re.fullmatch(f.pattern, c)), None)
    return f"'{value}': {f.name} must be {f.pattern_description}" + (f"; did you mean '{hint}'?" if hint else "")


def _repeats(*codes: np.ndarray) -> tuple[list[int], list[int]]:
    """Rows whose combination of ``codes`` appeared on an earlier row, and that earlier (first) row."""
    frame = pd.DataFrame(dict(enumerate(codes)))
    again = frame.duplicated().to_numpy()
    if not again.any():
        return [], []
    # groups are numbered in order of first appearance, which is the order of the rows not seen before
    group = frame.groupby(list(frame.columns), sort=False).ngroup().to_numpy()
    rows = np.flatnonzero(again)
    return rows.tolist(), np.flatnonzero(~again)[group[rows]].tolist()


def _report(t: TableReader, field: str, col: Column, messages: dict[int, str]) -> None:
    """Report ``messages`` (by value index) on every record of ``col`` holding one of those values."""
    if messages:
        rows = col.rows(messages)
        for line, code in zip(t.lines[rows].tolist(), col.codes[rows].tolist()):
            t.add(line, field, messages[code])


def check_records(t: TableReader) -> None:
    fields = [f for f in t.table.fields if f.name in t.header]
    for f in fields:
        col = t.columns[f.name]
        used = col.used()
        _report(t, f.name, col, {i: msg for i in used if (msg := check_value(f, col.values[i]))})
        if f.unique:
            filled = col.rows(i for i in used if col.values[i])
            rows, firsts = _repeats(col.codes[filled])
            for row, first in zip(filled[rows].tolist(), filled[firsts].tolist()):
                t.add(int(t.lines[row]), f.name, f"'{col.values[col.codes[row]]}' already used on line "
                                                 f"{int(t.lines[first])}")
    key = t.table.primary_key
    if len(key) > 1 and all(k in t.header for k in key):
        rows, firsts = _repeats(*(t.columns[k].codes for k in key))
        for row, first in zip(rows, firsts):
            t.add(int(t.lines[row]), "-", f"duplicate row: same {', '.join(key)} as line {int(t.lines[first])}")


def check_foreign_keys(t: TableReader, known: dict[str, tuple[str, set[str]]],
                       said: dict[str, set[str] | None] | None = None) -> None:
    """Every value of a foreign-key field must exist in the resource the dictionary points it at.

    ``known`` maps a resource name to (its file name, the set of its key values); resources whose
    keys could not be read are absent, and their references are not checked. ``said`` maps a field to
    the values another check reports (``None``: all of them), which are not reported again here.
    """
    said = said or {}
    for field, resource, _ in t.table.foreign_keys:
        if resource not in known or field not in t.header or (field in said and said[field] is None):
            continue
        path, values = known[resource]
        skip, f = said.get(field) or set(), t.table.field(field)
        col = t.columns[field]
        # a value that is not even well-formed is reported once, by its own check (check_records)
        _report(t, field, col, {i: f"unknown {field} '{v}' (not in {path})" for i in col.used()
                                if (v := col.values[i]) and v not in values and v not in skip
                                and check_value(f, v) is None})


def _number(text: str) -> float:
    return float(text) if text and numbers.NUMBER.fullmatch(text) else np.nan


def _numbers(col: Column) -> np.ndarray:
    """Each record's value as a float (NaN when empty or not a number)."""
    return np.array([_number(v) for v in col.values], dtype=float)[col.codes]


def check_activation(t: TableReader, segments_by_muscle: dict) -> None:
    muscle, segment = t.columns["muscle"], t.columns["segment"]
    pair = muscle.codes.astype(np.int64) * len(segment.values) + segment.codes
    # a segment outside the vocabulary is reported once, by the vocabulary check with its suggestion
    vocabulary = set(t.table.field("segment").enum or ())
    for p in pd.unique(pair).tolist():
        m, s = muscle.values[p // len(segment.values)], segment.values[p % len(segment.values)]
        allowed = segments_by_muscle.get(m)
        if allowed and s and s not in allowed and (s in vocabulary or not vocabulary):
            for line in t.lines[pair == p].tolist():
                t.add(line, "segment", f"'{s}' is not a segment of {m} (allowed: {', '.join(allowed)})")
    value, q1, q3 = (_numbers(t.columns[name]) for name in ("pct_mvic", "q1", "q3"))
    stat, sd = t.columns["statistic"], t.columns["sd"]
    median = stat.codes == stat.values.index("median") if "median" in stat.values else np.zeros(len(t.lines), bool)
    crossed = q1 > q3  # False wherever either is missing (NaN)
    outside = ~crossed & median & ((value < q1) | (value > q3))
    with_sd = median & (sd.codes != sd.values.index("")) if "" in sd.values else median

    def text(name, row):
        return t.columns[name].values[t.columns[name].codes[row]]

    for row in np.flatnonzero(crossed).tolist():
        t.add(int(t.lines[row]), "q1", f"q1 {text('q1', row)} is greater than q3 {text('q3', row)}")
    for row in np.flatnonzero(outside).tolist():
        t.add(int(t.lines[row]), "pct_mvic", f"median {text('pct_mvic', row)} lies outside its own q1..q3 "
                                             f"({text('q1', row) or '?'}..{text('q3', row) or '?'})")
    for line in t.lines[with_sd].tolist():
        t.add(line, "sd", "a median is reported with q1/q3, not sd")


def check_exercises(t: TableReader) -> None:
    lines = t.lines.tolist()
    ids = t.columns["id"].text()
    line_of = dict(zip(ids, lines))
    harder: dict[str, list[str]] = {}
    for col in ("progresses_to", "regresses_to"):
        targets = t.columns[col].text() if col in t.columns else [""] * len(lines)
        for line, own, cell in zip(lines, ids, targets):
            for target in filter(None, cell.split("|")):
                if target not in line_of:
                    if t.complete:
                        t.add(line, col, f"unknown exercise id '{target}'")
                elif target == own:
                    t.add(line, col, "an exercise cannot lead to itself")
                elif col == "progresses_to":
                    harder.setdefault(own, []).append(target)
    for cycle in _cycles(harder):
        first = min(cycle, key=lambda e: line_of[e])
        loop = cycle[cycle.index(first):] + cycle[:cycle.index(first)] + [first]
        t.add(line_of[first], "progresses_to", f"progressions run in a circle: {' -> '.join(loop)}")


def _cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """One representative cycle per strongly connected loop of ``graph`` (depth-first search)."""
    state: dict[str, int] = {}  # 1 on the current path, 2 finished
    found: list[list[str]] = []
    for root in sorted(graph):
        if state.get(root):
            continue
        path, stack = [], [(root, iter(graph.get(root, ())))]
        state[root] = 1
        path.append(root)
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
                path.pop()
            elif state.get(child) == 1:
                found.append(path[path.index(child):])
            elif not state.get(child):
                state[child] = 1
                path.append(child)
                stack.append((child, iter(graph.get(child, ()))))
    return found


def _first_lines(t: TableReader, name: str) -> dict[str, int]:
    """Each value of a column with the line of the first record holding it."""
    col = t.columns[name]
    codes, first = np.unique(col.codes, return_index=True)
    return {col.values[c]: line for c, line in zip(codes.tolist(), t.lines[first].tolist())}


def studied(activation: TableReader) -> dict[str, int]:
    """The well-formed study keys of ``emg_activation.csv``, each with the line of its first row. A malformed
    key is reported by its own check, not as a study whose screening row, appraisal or .bib entry is missing."""
    field = activation.table.field("source")
    return {k: line for k, line in _first_lines(activation, "source").items() if k and check_value(field, k) is None}


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _keys(t: TableReader | None, value: str | None = None) -> dict[str, str] | None:
    """key -> ``value`` column of a table (the first row of a key), or None when the table cannot show that a
    key is missing from it (not read, or a record that could not be read)."""
    if t is None or not t.complete:
        return None
    keys, values = t.columns["key"].text(), t.columns[value].text() if value else None
    out: dict[str, str] = {}
    for i, k in enumerate(keys):
        out.setdefault(k, values[i] if values else "")
    return out


def check_studies(activation: TableReader, screening: TableReader | None, studies: TableReader | None,
                  bib_keys: set[str] | None, bib_name: str) -> None:
    """A study with rows needs a screening row marked extracted, an appraisal row and a .bib entry. Whatever it
    lacks is said in one problem, at its first row in ``emg_activation.csv``: a study added without its other
    pieces is one cause, however many rows it has."""
    status, appraised = _keys(screening, "status"), _keys(studies)
    for key, line in studied(activation).items():
        missing = []
        if status is not None and key not in status:
            missing.append("is not in screening.csv")
        elif status is not None and status[key] != "extracted":
            missing.append(f"is not screened as extracted in screening.csv (status '{status[key]}')")
        if appraised is not None and key not in appraised:
            missing.append("has no appraisal row in studies.csv")
        if bib_keys is not None and key not in bib_keys:
            missing.append(f"has no entry in {bib_name}")
        if missing:
            activation.add(line, "source", f"'{key}' has rows but {_and(missing)}")


def check_screening(t: TableReader, activation: TableReader | None, bib_keys: set[str] | None,
                     studies: TableReader | None) -> None:
    """Each study screened as extracted has a usable key, the page read, and rows, an appraisal and a .bib
    entry (said once per study; a study with rows is reported by :func:`check_studies` instead)."""
    used = _first_lines(activation, "source") if activation is not None else {}
    appraised = _keys(studies)
    extracted, screened = set(), set()
    rows = zip(t.lines.tolist(), *(t.columns[c].text() for c in ("key", "status", "url")))
    for line, key, status, url in rows:
        screened.add(key)
        if status != "extracted":
            continue
        extracted.add(key)
        if not bib.KEY_PATTERN.match(key):
            t.add(line, "key", f"extracted study '{key}' needs a surnameYEAR[a-z] key")
        if not url:
            t.add(line, "url", "an extracted study needs the url of the page read")
        if key in used:
            continue
        lacks = ["no rows in emg_activation.csv"] if activation is not None and activation.complete else []
        if appraised is not None and key not in appraised:
            lacks.append("no appraisal row in studies.csv")
        if bib_keys is not None and key not in bib_keys:
            lacks.append("no entry in sources.bib")
        if lacks:
            t.add(line, "status" if activation is not None and activation.complete else "key",
                  f"'{key}' is screened as extracted but has {_and(lacks)}")
    if not t.complete or studies is None:
        return  # the study may be on a line of screening.csv that could not be read
    # the last appraisal row of a key stands for it
    for key, line in dict(zip(studies.columns["key"].text(), studies.lines.tolist())).items():
        # a study with rows and the wrong status is reported once, at its rows (check_studies)
        if key in screened and key not in extracted and key not in used:
            studies.add(line, "key", f"'{key}' is appraised but not screened as extracted in screening.csv")
