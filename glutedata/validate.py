"""Validation of the data directory against its data dictionary. Reads files; never writes them."""

from __future__ import annotations

import csv
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

from . import bib
from .io import data_dir as _data_dir
from .schema import DICTIONARY, Field, Schema, Table, parse

TRUE_FALSE = {"true", "false"}


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the data: where it is and what it is."""

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.message}"


class _Table:
    """A CSV table as read for validation: records with their line numbers."""

    def __init__(self, table: Table, path: Path, problems: list[Problem]):
        self.table, self.path, self.problems = table, path, problems
        self.records: list[tuple[int, dict[str, str]]] = []
        self.header: list[str] = []
        self.ok = self._read()

    def add(self, line: int, field: str, message: str) -> None:
        self.problems.append(Problem(self.path.name, line, field, message))

    def _read(self) -> bool:
        if not self.path.is_file():
            self.add(0, "-", "file not found")
            return False
        raw = self.path.read_bytes()
        if raw.startswith(b"\xef\xbb\xbf"):
            self.add(1, "-", "file starts with a byte-order mark (BOM); save it as UTF-8 without BOM")
            raw = raw[3:]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            line = raw[: e.start].count(b"\n") + 1
            self.add(line, "-", f"not valid UTF-8 (byte 0x{raw[e.start]:02x}); save the file as UTF-8")
            text = raw.decode("utf-8", errors="replace")
        if "\r" in text and "\r\n" not in text:
            self.add(1, "-", "old Mac line endings (CR); use LF")
        first = text.split("\n", 1)[0]
        if first.count(";") > first.count(","):
            self.add(1, "-", "fields are separated by ';'; use ',' (comma-separated UTF-8)")
            return False
        if "\t" in first and first.count("\t") > first.count(","):
            self.add(1, "-", "fields are separated by tabs; use ','")
            return False
        reader = csv.reader(text.splitlines(keepends=True), strict=True)
        try:
            self.header = next(reader)
        except StopIteration:
            self.add(1, "-", "file is empty; expected a header row")
            return False
        except csv.Error as e:
            self.add(1, "-", f"header cannot be read as CSV: {e}")
            return False
        header_ok = self._check_header()
        start = 2
        while True:
            try:
                values = next(reader)
            except StopIteration:
                break
            except csv.Error as e:
                self.add(reader.line_num, "-", f"malformed CSV: {e}")
                start = reader.line_num + 1
                continue
            line = start
            start = reader.line_num + 1
            if not values or all(v == "" for v in values) and len(values) <= 1:
                continue  # blank line
            if len(values) != len(self.header):
                self.add(line, "-", f"row has {len(values)} fields, the header has {len(self.header)} "
                                    "(a comma inside a value needs quotes)")
                continue
            self.records.append((line, dict(zip(self.header, values))))
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


def _check_value(f: Field, value: str) -> str | None:
    """The message for a bad value, or None when it is fine."""
    if value != value.strip():
        return f"'{value}' has leading or trailing spaces"
    if value == "":
        return "required value is empty" if f.required else None
    if f.type in ("number", "integer"):
        try:
            num = float(value)
        except ValueError:
            return f"'{value}' is not a number"
        if math.isnan(num) or math.isinf(num):
            return f"'{value}' is not a finite number"
        if f.type == "integer" and not re.fullmatch(r"[+-]?\d+", value):
            return f"'{value}' is not a whole number"
        if f.minimum is not None and num < f.minimum:
            return f"{value} is below the minimum {f.minimum:g}"
        if f.maximum is not None and num > f.maximum:
            return f"{value} is above the maximum {f.maximum:g}"
    elif f.type == "boolean" and value.lower() not in TRUE_FALSE:
        return f"'{value}' is not true or false"
    if f.enum and value not in f.enum:
        return f"'{value}' is not one of: {', '.join(f.enum)}"
    if f.pattern and not re.search(f.pattern, value):
        return f"'{value}' does not match the pattern {f.pattern}"
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


def _check_activation(t: _Table, segments_by_muscle: dict) -> None:
    for line, rec in t.records:
        allowed = segments_by_muscle.get(rec["muscle"])
        if allowed and rec["segment"] and rec["segment"] not in allowed:
            t.add(line, "segment", f"'{rec['segment']}' is not a segment of {rec['muscle']} "
                                   f"(allowed: {', '.join(allowed)})")
        q1, q3 = rec.get("q1", ""), rec.get("q3", "")
        try:
            if q1 and q3 and float(q1) > float(q3):
                t.add(line, "q1", f"q1 {q1} is greater than q3 {q3}")
        except ValueError:
            pass  # already reported as not a number
        if rec.get("sd") and rec.get("statistic") == "median":
            t.add(line, "sd", "a median is reported with q1/q3, not sd")


def _check_exercises(t: _Table) -> None:
    ids = {rec["id"] for _, rec in t.records}
    for line, rec in t.records:
        for col in ("progresses_to", "regresses_to"):
            for target in filter(None, rec.get(col, "").split("|")):
                if target not in ids:
                    t.add(line, col, f"unknown exercise id '{target}'")
                elif target == rec["id"]:
                    t.add(line, col, "an exercise cannot lead to itself")


def _check_screening(t: _Table, activation: _Table | None, bib_keys: set[str] | None) -> None:
    used: dict[str, int] = {}
    if activation is not None:
        for line, rec in activation.records:
            used.setdefault(rec["source"], line)
    extracted = set()
    for line, rec in t.records:
        if rec["status"] == "extracted":
            extracted.add(rec["key"])
            if not bib.KEY_PATTERN.match(rec["key"]):
                t.add(line, "key", f"extracted study '{rec['key']}' needs a surnameYEAR[a-z] key")
            if rec["key"] not in used:
                t.add(line, "status", f"'{rec['key']}' is screened as extracted but has no rows in emg_activation.csv")
            if bib_keys is not None and rec["key"] not in bib_keys:
                t.add(line, "key", f"'{rec['key']}' is screened as extracted but has no entry in sources.bib")
            if not rec["url"]:
                t.add(line, "url", "an extracted study needs the url of the page read")
    if activation is not None:
        for key, line in sorted(used.items(), key=lambda kv: kv[1]):
            if key and key not in extracted:
                activation.add(line, "source", f"'{key}' has rows but is not screened as extracted in screening.csv")


def validate(data_dir=None) -> list[Problem]:
    """Check every file of the data directory; return the problems (empty when the data is valid).

    Covers: encoding, BOM and delimiter; missing, unknown and duplicate columns; required values,
    types, ranges, closed vocabularies and patterns from ``datapackage.json``; duplicate rows;
    exercise ids and source keys that do not resolve; .bib entries that do not parse or lack
    required fields; and the agreement of ``screening.csv`` with the data. No file is modified.
    """
    folder = _data_dir(data_dir)
    problems: list[Problem] = []
    dictionary = folder / DICTIONARY
    try:
        descriptor = json.loads(dictionary.read_text(encoding="utf-8"))
        schema: Schema = parse(descriptor)
    except FileNotFoundError:
        return [Problem(DICTIONARY, 0, "-", f"no data dictionary in {folder}")]
    except (json.JSONDecodeError, KeyError) as e:
        line = getattr(e, "lineno", 0)
        return [Problem(DICTIONARY, line, "-", f"data dictionary cannot be read: {e}")]
    act_res = next(r for r in descriptor["resources"] if r["name"] == "emg_activation")

    bib_path = folder / schema.bib_path
    bib_keys: set[str] | None = None
    if bib_path.is_file():
        entries, bib_problems = bib.parse(bib_path, schema.bib_required)
        problems += [Problem(bib_path.name, p.line, p.field, p.message) for p in bib_problems]
        bib_keys = set(entries)
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
        _check_activation(activation, act_res.get("segments_by_muscle", {}))
    screening = tables.get("screening")
    if screening is not None and screening.ok:
        _check_screening(screening, activation if activation is not None and activation.ok else None, bib_keys)
    return sorted(set(problems))
