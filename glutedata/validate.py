"""Validation of the data directory against its data dictionary. Reads files; never writes them.

One problem is reported per root cause, at the file and line of the cause: checks that depend on a
table that could not be read are skipped rather than reported as knock-on errors elsewhere.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from . import bib, numbers
from .io import Problem
from .io import data_dir as _data_dir
from .markup import looks_like_markup
from .schema import DICTIONARY, Field, Schema, SchemaError, Table, load_descriptor, parse

TRUE_FALSE = {"true", "false"}
# control characters other than the line breaks CSV itself uses
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")

__all__ = ["Problem", "validate"]


class _Table:
    """A CSV table as read for validation: records with their line numbers."""

    def __init__(self, table: Table, path: Path, problems: list[Problem]):
        self.table, self.path, self.problems = table, path, problems
        self.records: list[tuple[int, dict[str, str]]] = []
        self.header: list[str] = []
        self.ok = self._read()

    def add(self, line: int, field: str, message: str) -> None:
        self.problems.append(Problem(self.path.name, line, field, message))

    def _text(self) -> str | None:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            self.add(0, "-", "file not found")
            return None
        except OSError as e:
            self.add(0, "-", f"cannot be read: {e.strerror or e}")
            return None
        if raw.startswith(b"\xef\xbb\xbf"):
            self.add(1, "-", "file starts with a byte-order mark (BOM); save it as UTF-8 without BOM")
            raw = raw[3:]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            line = raw[: e.start].count(b"\n") + 1
            self.add(line, "-", f"not valid UTF-8 (byte 0x{raw[e.start]:02x}); save the file as UTF-8")
            text = raw.decode("utf-8", errors="replace")
        if "\r" in text and "\n" not in text:
            self.add(1, "-", "old Mac line endings (CR); use LF")
        return text

    def _read(self) -> bool:
        text = self._text()
        if text is None:
            return False
        first = text.split("\n", 1)[0]
        if first.count(";") > first.count(","):
            self.add(1, "-", "fields are separated by ';'; use ',' (comma-separated UTF-8)")
            return False
        if "\t" in first and first.count("\t") > first.count(","):
            self.add(1, "-", "fields are separated by tabs; use ','")
            return False
        # split at line feeds only: str.splitlines() would also break at \x1c-\x1e, \x85 and \u2028,
        # which the CSV reader (and pandas, in load) treat as ordinary characters
        lines = re.findall(r"[^\n]*\n|[^\n]+$", text)
        reader = csv.reader(lines, strict=True)
        try:
            self.header = next(reader)
        except StopIteration:
            self.add(1, "-", "file is empty; expected a header row")
            return False
        except csv.Error as e:
            self.add(1, "-", f"header cannot be read as CSV: {e}")
            return False
        header_ok = self._check_header()
        start = reader.line_num + 1
        while True:
            try:
                values = next(reader)
            except StopIteration:
                break
            except csv.Error as e:
                self.add(start, "-", f"malformed CSV in the record starting here: {e}{_quote_hint(lines, start)}")
                start = reader.line_num + 1
                continue
            line, start = start, reader.line_num + 1
            if not values or all(v == "" for v in values) and len(values) <= 1:
                continue  # blank line
            if start - line > 1 and any("\n" in v or "\r" in v for v in values):
                # records are one line each; a line break inside a value is almost always a quote left open
                self.add(line, "-", "a value runs over several lines: a quote opened on this line is not closed "
                                    "where it should be")
                continue
            if len(values) != len(self.header):
                self.add(line, "-", f"row has {len(values)} fields, the header has {len(self.header)} "
                                    "(a comma inside a value needs quotes)")
                continue
            self.records.append((line, dict(zip(self.header, values))))
        if header_ok and not self.records and not any(p.file == self.path.name and p.line > 1
                                                     for p in self.problems):
            self.add(1, "-", "the table has a header but no rows")
            return False
        return header_ok

    def _check_header(self) -> bool:
        expected = self.table.columns
        ok = True
        seen = set()
        for name in self.header:
            if name in seen:
                self.add(1, name, "column appears twice")
                ok = False
            seen.add(name)
            if name not in expected:
                hint = f" (did you mean '{name.strip()}'?)" if name.strip() in expected else ""
                self.add(1, name, f"unknown column{hint}; allowed: {', '.join(expected)}")
                ok = False
        for name in expected:
            if name not in self.header:
                self.add(1, name, "missing column")
                ok = False
        return ok


def _quote_hint(lines: list[str], start: int) -> str:
    line = lines[start - 1] if 0 < start <= len(lines) else ""
    return " (check the quotes on this line)" if line.count('"') % 2 else ""


def _check_value(f: Field, value: str) -> str | None:
    """The message for a bad value, or None when it is fine."""
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
        from .arguments import suggestion
        return f"'{value}' is not one of: {', '.join(f.enum)}{suggestion(value, f.enum)}"
    # Table Schema patterns match the whole value (as frictionless reads them)
    if f.pattern and not re.fullmatch(f.pattern, value):
        return f"'{value}' does not match the pattern {f.pattern}"
    if f.type == "string" and not f.enum:
        why = looks_like_markup(value)
        if why:
            return f"{why}; data are shown as plain text"
    return None


def _check_records(t: _Table) -> None:
    fields = [f for f in t.table.fields if f.name in t.header]
    keys: dict[tuple, int] = {}
    uniques: dict[str, dict[str, int]] = {f.name: {} for f in fields if f.unique}
    for line, rec in t.records:
        for f in fields:
            msg = _check_value(f, rec[f.name])
            if msg:
                t.add(line, f.name, msg)
            if f.unique and rec[f.name]:
                first = uniques[f.name].setdefault(rec[f.name], line)
                if first != line:
                    t.add(line, f.name, f"'{rec[f.name]}' already used on line {first}")
        if t.table.primary_key and all(k in rec for k in t.table.primary_key):
            key = tuple(rec[k] for k in t.table.primary_key)
            first = keys.setdefault(key, line)
            if first != line and len(t.table.primary_key) > 1:
                t.add(line, "-", f"duplicate row: same {', '.join(t.table.primary_key)} as line {first}")


def _check_foreign_keys(t: _Table, known: dict[str, tuple[str, set[str]]]) -> None:
    """Every value of a foreign-key field must exist in the resource the dictionary points it at.

    ``known`` maps a resource name to (its file name, the set of its key values); resources whose
    keys could not be read are absent, and their references are not checked.
    """
    for field, resource, _ in t.table.foreign_keys:
        if resource not in known or field not in t.header:
            continue
        path, values = known[resource]
        for line, rec in t.records:
            if rec[field] and rec[field] not in values:
                t.add(line, field, f"unknown {field} '{rec[field]}' (not in {path})")


def _number(text: str) -> float | None:
    return float(text) if text and numbers.NUMBER.fullmatch(text) else None


def _check_activation(t: _Table, segments_by_muscle: dict) -> None:
    for line, rec in t.records:
        allowed = segments_by_muscle.get(rec["muscle"])
        if allowed and rec["segment"] and rec["segment"] not in allowed:
            t.add(line, "segment", f"'{rec['segment']}' is not a segment of {rec['muscle']} "
                                   f"(allowed: {', '.join(allowed)})")
        value, q1, q3 = _number(rec["pct_mvic"]), _number(rec["q1"]), _number(rec["q3"])
        if q1 is not None and q3 is not None and q1 > q3:
            t.add(line, "q1", f"q1 {rec['q1']} is greater than q3 {rec['q3']}")
        elif rec["statistic"] == "median" and value is not None and (
                (q1 is not None and value < q1) or (q3 is not None and value > q3)):
            t.add(line, "pct_mvic", f"median {rec['pct_mvic']} lies outside its own q1..q3 "
                                    f"({rec['q1'] or '?'}..{rec['q3'] or '?'})")
        if rec["sd"] and rec["statistic"] == "median":
            t.add(line, "sd", "a median is reported with q1/q3, not sd")


def _check_exercises(t: _Table) -> None:
    ids = {rec["id"] for _, rec in t.records}
    line_of = {rec["id"]: line for line, rec in t.records}
    harder: dict[str, list[str]] = {}
    for line, rec in t.records:
        for col in ("progresses_to", "regresses_to"):
            for target in filter(None, rec.get(col, "").split("|")):
                if target not in ids:
                    t.add(line, col, f"unknown exercise id '{target}'")
                elif target == rec["id"]:
                    t.add(line, col, "an exercise cannot lead to itself")
                elif col == "progresses_to":
                    harder.setdefault(rec["id"], []).append(target)
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


def _check_screening(t: _Table, activation: _Table | None, bib_keys: set[str] | None,
                     studies: _Table | None) -> None:
    used: dict[str, int] = {}
    appraised = {rec["key"]: line for line, rec in studies.records} if studies is not None else None
    if activation is not None:
        for line, rec in activation.records:
            used.setdefault(rec["source"], line)
    extracted = set()
    for line, rec in t.records:
        if rec["status"] == "extracted":
            extracted.add(rec["key"])
            if not bib.KEY_PATTERN.match(rec["key"]):
                t.add(line, "key", f"extracted study '{rec['key']}' needs a surnameYEAR[a-z] key")
            if activation is not None and rec["key"] not in used:
                t.add(line, "status", f"'{rec['key']}' is screened as extracted but has no rows in emg_activation.csv")
            if bib_keys is not None and rec["key"] not in bib_keys:
                t.add(line, "key", f"'{rec['key']}' is screened as extracted but has no entry in sources.bib")
            if not rec["url"]:
                t.add(line, "url", "an extracted study needs the url of the page read")
            if appraised is not None and rec["key"] not in appraised:
                t.add(line, "key", f"'{rec['key']}' is screened as extracted but has no appraisal row in studies.csv")
    if activation is not None:
        for key, line in sorted(used.items(), key=lambda kv: kv[1]):
            if key and key not in extracted:
                activation.add(line, "source", f"'{key}' has rows but is not screened as extracted in screening.csv")
    for key, line in sorted((appraised or {}).items(), key=lambda kv: kv[1]):
        if key not in extracted:
            studies.add(line, "key", f"'{key}' is appraised but not screened as extracted in screening.csv")


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
    missing required fields; and the agreement of ``screening.csv`` with the data. No file is modified.
    """
    folder = _data_dir(data_dir)
    if not folder.is_dir():
        return [Problem(DICTIONARY, 0, "-", f"no data directory at {folder}")]
    schema, problems = _dictionary(folder)
    if schema is None:
        return problems

    bib_path = folder / schema.bib_path
    bib_keys: set[str] | None = None
    if bib_path.is_file():
        entries, bib_problems = bib.parse(bib_path, schema.bib_required)
        problems += [Problem(bib_path.name, p.line, p.field, p.message) for p in bib_problems]
        # an unreadable file gives no keys: checking references against it would only echo its problem
        bib_keys = set(entries) if entries or not bib_problems else None
    else:
        problems.append(Problem(bib_path.name, 0, "-", "file not found"))

    tables = {name: _Table(tab, folder / tab.path, problems) for name, tab in schema.tables.items()}
    for t in tables.values():
        if t.ok:
            _check_records(t)
    # the key values each foreign key of the dictionary points at
    known = {"sources": (bib_path.name, bib_keys)} if bib_keys is not None else {}
    for t in tables.values():
        for _, resource, ref in t.table.foreign_keys:
            target = tables.get(resource)
            if resource not in known and target is not None and target.ok:
                known[resource] = (target.path.name, {rec[ref] for _, rec in target.records})
    exercises = tables.get("exercises")
    if exercises is not None and exercises.ok:
        _check_exercises(exercises)
    for t in tables.values():
        if t.ok:
            _check_foreign_keys(t, known)
    activation = tables.get("emg_activation")
    if activation is not None and activation.ok:
        _check_activation(activation, schema.segments_by_muscle)
    screening, studies = tables.get("screening"), tables.get("studies")
    if screening is not None and screening.ok:
        _check_screening(screening, activation if activation is not None and activation.ok else None, bib_keys,
                         studies if studies is not None and studies.ok else None)
    return sorted(set(problems))
