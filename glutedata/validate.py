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

import codecs
import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from . import bib, numbers
from .io import Problem
from .io import data_dir as _data_dir
from .markup import looks_like_markup
from .schema import DICTIONARY, Field, Schema, SchemaError, Table, load_descriptor, parse

TRUE_FALSE = {"true", "false"}
# control characters other than the line breaks CSV itself uses
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
BOM = b"\xef\xbb\xbf"
BLOCK = 1 << 24  # bytes scanned at a time: large enough for numpy to pay, small enough to keep memory flat
NEWLINE, CR, QUOTE, COMMA = 10, 13, 34, 44

__all__ = ["Problem", "validate"]


class _Column:
    """One column: the distinct values as read, and for each record the index of its value."""

    def __init__(self, values: list[str], codes: np.ndarray):
        self.values, self.codes = values, codes

    def used(self) -> list[int]:
        """Indices of the values some record holds."""
        return np.flatnonzero(np.bincount(self.codes, minlength=len(self.values))).tolist()

    def rows(self, which) -> np.ndarray:
        """The records (row positions) whose value index is in ``which``."""
        mask = np.zeros(len(self.values), dtype=bool)
        mask[list(which)] = True
        return np.flatnonzero(mask[self.codes])

    def text(self) -> list[str]:
        """The value of every record."""
        return np.asarray(self.values, dtype=object)[self.codes].tolist()


def _encode(rows: list[list[str]], width: int) -> list[_Column]:
    """Columns of records given as lists of strings."""
    columns = []
    for i in range(width):
        index: dict[str, int] = {}
        codes = np.fromiter((index.setdefault(r[i], len(index)) for r in rows), dtype=np.int64, count=len(rows))
        columns.append(_Column(list(index), codes))
    return columns


class _Table:
    """A CSV table as read for validation: its columns, and the line each record starts on."""

    def __init__(self, table: Table, path: Path, problems: list[Problem], careful: bool = False):
        self.table, self.path, self.problems, self.careful = table, path, problems, careful
        self.header: list[str] = []
        self.lines = np.zeros(0, dtype=np.int64)
        self.columns: dict[str, _Column] = {}
        # records read by the line-by-line reader: (line, values)
        self._slow: list[tuple[int, list[str]]] = []
        # False when a record could not be read: the table then cannot show that a value is missing from it
        self.complete = True
        self.ok = self._read()

    def add(self, line: int, field: str, message: str) -> None:
        self.problems.append(Problem(self.path.name, line, field, message))

    def _read(self) -> bool:
        try:
            with open(self.path, "rb") as f:
                first = f.readline()
                if self.careful or not first.endswith(b"\n"):
                    f.seek(0)
                    return self._read_text(f.read())
                return self._read_fast(f, first)
        except FileNotFoundError:
            self.add(0, "-", "file not found")
        except OSError as e:
            self.add(0, "-", f"cannot be read: {e.strerror or e}")
        return False

    # -- the line-by-line reader ----------------------------------------------------------------

    def _text(self, raw: bytes) -> str:
        if raw.startswith(BOM):
            self.add(1, "-", "file starts with a byte-order mark (BOM); save it as UTF-8 without BOM")
            raw = raw[3:]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            self._bad_utf8(raw[: e.start].count(b"\n") + 1, raw[e.start])
            text = raw.decode("utf-8", errors="replace")
        if "\r" in text and "\n" not in text:
            self.add(1, "-", "old Mac line endings (CR); use LF")
        return text

    def _bad_utf8(self, line: int, byte: int) -> None:
        self.add(line, "-", f"not valid UTF-8 (byte 0x{byte:02x}); save the file as UTF-8")

    def _read_text(self, raw: bytes) -> bool:
        text = self._text(raw)
        wrong = _delimiter(text.split("\n", 1)[0])
        if wrong:
            self.add(1, "-", wrong)
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
        self._records(reader, 0, lambda n: lines[n - 1], lambda n: False)
        return self._finish(header_ok)

    def _records(self, reader, base: int, line_text, stop) -> int:
        """Read records with ``reader`` (whose line 1 is file line ``base + 1``) until a record would start
        on a line where ``stop`` is true; return that line. Structural problems are reported here."""
        start = base + reader.line_num + 1
        while not stop(start):
            try:
                values = next(reader)
            except StopIteration:
                break
            except csv.Error as e:
                self.add(start, "-", f"malformed CSV in the record starting here: {e}{_quote_hint(line_text(start))}")
                start = base + reader.line_num + 1
                self.complete = False
                continue
            line, start = start, base + reader.line_num + 1
            if not values or all(v == "" for v in values) and len(values) <= 1:
                continue  # blank line
            if start - line > 1 and any("\n" in v or "\r" in v for v in values):
                # records are one line each; a line break inside a value is almost always a quote left open
                self.add(line, "-", "a value runs over several lines: a quote opened on this line is not closed "
                                    "where it should be")
                self.complete = False
                continue
            if len(values) != len(self.header):
                self.add(line, "-", f"row has {len(values)} fields, the header has {len(self.header)} "
                                    "(a comma inside a value needs quotes)")
                self.complete = False
                continue
            self._slow.append((line, values))
        return start

    def _finish(self, header_ok: bool, lines: np.ndarray | None = None, columns: list[_Column] | None = None) -> bool:
        """Put the records of the fast reader (``lines``, ``columns``) and of the line-by-line reader together
        in file order; the table is usable if its header is."""
        if not header_ok:
            return False
        parts = [(lines, columns)] if lines is not None and len(lines) else []
        if self._slow or not parts:
            slow_lines = np.array([line for line, _ in self._slow], dtype=np.int64)
            parts.append((slow_lines, _encode([values for _, values in self._slow], len(self.header))))
        self.lines = np.concatenate([part_lines for part_lines, _ in parts])
        order = np.argsort(self.lines, kind="stable") if len(parts) > 1 else None
        for i, name in enumerate(self.header):
            self.columns[name] = _concat([cols[i] for _, cols in parts], order)
        if order is not None:
            self.lines = self.lines[order]
        if not len(self.lines) and not any(p.file == self.path.name and p.line > 1 for p in self.problems):
            self.add(1, "-", "the table has a header but no rows")
            return False
        return True

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

    # -- the fast reader ------------------------------------------------------------------------

    def _read_fast(self, f, first_line: bytes) -> bool:
        """Read a file whose first line (with its line feed) is ``first_line``."""
        start = 3 if first_line.startswith(BOM) else 0
        first = first_line[start:].decode("utf-8", errors="replace")
        try:
            header = next(csv.reader([first], strict=True))
        except csv.Error:
            header = []
        if len(header) < 2 or _delimiter(first):
            # an odd header (one column, a quote left open, another delimiter): read it all line by line
            f.seek(0)
            return self._read_text(f.read())
        if start:
            self.add(1, "-", "file starts with a byte-order mark (BOM); save it as UTF-8 without BOM")
        self.header = header
        header_ok = self._check_header()
        scan = _Scan(f, start, len(header))
        if scan.bad_utf8:
            self._bad_utf8(*scan.bad_utf8)
        # each run of unclean lines goes to the line-by-line reader, from its first line to the next
        # record that starts on a clean line; the clean lines in between go to pandas
        unclean = dict(zip(scan.unclean, scan.offsets))
        ranges, lines, pos, next_line = [], [], len(first_line), 2
        for line in scan.unclean:
            if line < next_line:
                continue  # already read as part of an earlier record
            ranges.append((pos, unclean[line]))
            lines.append(np.arange(next_line, line, dtype=np.int64))
            next_line, pos = self._read_run(f, line, unclean[line], unclean)
        ranges.append((pos, scan.size))
        lines.append(np.arange(next_line, scan.lines + 1, dtype=np.int64))
        fast_lines = np.concatenate(lines)
        if not header_ok or not len(fast_lines):
            return self._finish(header_ok)
        columns = _parse(f, ranges, scan.newline_at_end, len(header), len(fast_lines))
        if columns is None:
            # pandas did not read exactly the lines the scan found clean; the line-by-line reader reports
            # the same problems again (the final list drops repeats)
            self._slow = []
            f.seek(0)
            return self._read_text(f.read())
        return self._finish(header_ok, fast_lines, columns)

    def _read_run(self, f, line: int, offset: int, unclean: dict[int, int]) -> tuple[int, int]:
        """Read records line by line from ``line`` (at byte ``offset``) until one starts on a clean line;
        return that line and its byte offset."""
        f.seek(offset)
        seen: list[str] = []
        ends = [offset]

        def text_lines() -> Iterator[str]:
            for raw in f:
                ends.append(ends[-1] + len(raw))
                seen.append(raw.decode("utf-8", errors="replace"))
                yield seen[-1]

        reader = csv.reader(text_lines(), strict=True)
        stop = self._records(reader, line - 1, lambda n: seen[n - line], lambda n: n not in unclean)
        return stop, ends[stop - line]


def _concat(parts: list[_Column], order: np.ndarray | None) -> _Column:
    """One column from the columns of consecutive parts (re-ordered by ``order`` when given)."""
    if len(parts) == 1 and order is None:
        return parts[0]
    index: dict[str, int] = {}
    codes = []
    for col in parts:
        remap = np.array([index.setdefault(v, len(index)) for v in col.values], dtype=np.int64)
        codes.append(remap[col.codes])
    joined = np.concatenate(codes)
    return _Column(list(index), joined if order is None else joined[order])


class _Scan:
    """One pass over a file's bytes (numpy, a block at a time) from the start of line 1.

    Finds the data lines (from line 2) that are not a single well-formed CSV record of ``width`` fields:
    a quote that does not open or close a field, an odd number of quotes (a value that runs on), a
    field count that differs from the header's, a NUL byte or a carriage return that does not end the
    line. Also finds the first byte that is not UTF-8.
    """

    def __init__(self, f, start: int, width: int):
        self.width = width
        self.unclean: list[int] = []
        self.offsets: list[int] = []
        self.bad_utf8: tuple[int, int] | None = None
        self.lines, self.size, self.newline_at_end = 0, start, True
        f.seek(start)
        # one buffer, refilled: fresh memory for every block would cost more than the scan itself
        buf, filled = bytearray(BLOCK), 0
        while True:
            with memoryview(buf) as view:
                n = f.readinto(view[filled:])
            filled += n
            cut = buf.rfind(b"\n", 0, filled) + 1 if n else filled
            if n and not cut:
                buf.extend(bytes(len(buf)))  # a line longer than the buffer
                continue
            if not cut:
                break
            self.newline_at_end = buf[cut - 1] == NEWLINE
            self._block(buf, cut)
            buf[: filled - cut] = buf[cut:filled]
            filled -= cut

    def _block(self, buf: bytearray, size: int) -> None:
        """Scan the lines in ``buf[:size]``, which ends at the end of a line."""
        if self.bad_utf8 is None:
            self._check_utf8(buf, size)
        a = np.frombuffer(buf, dtype=np.uint8, count=size)
        ends = np.flatnonzero(a == NEWLINE)
        if a[-1] != NEWLINE:
            ends = np.append(ends, size)
        starts = np.concatenate([[0], ends[:-1] + 1])
        n = len(ends)
        bad = np.zeros(n, dtype=bool)
        pairs = self._quotes(a, starts, ends, bad)
        commas = np.flatnonzero(a == COMMA)
        fields = np.diff(np.searchsorted(commas, ends), prepend=0) + 1
        if pairs is not None:
            opens, closes, line_of = pairs
            inside = np.searchsorted(commas, closes) - np.searchsorted(commas, opens)
            fields -= np.bincount(line_of, weights=inside, minlength=n).astype(np.int64)
        bad |= fields != self.width
        if buf.find(b"\x00", 0, size) >= 0:
            bad[np.searchsorted(ends, np.flatnonzero(a == 0))] = True
        if buf.find(b"\r", 0, size) >= 0:
            at = np.flatnonzero(a == CR)
            lone = (at + 1 == len(a)) | (a[np.minimum(at + 1, len(a) - 1)] != NEWLINE)
            bad[np.searchsorted(ends, at[lone])] = True
        if self.lines == 0:
            bad[0] = False  # the header
        which = np.flatnonzero(bad)
        self.unclean += (which + self.lines + 1).tolist()
        self.offsets += (starts[which] + self.size).tolist()
        self.lines += n
        self.size += size

    def _check_utf8(self, buf: bytearray, size: int) -> None:
        # a megabyte at a time: decoding the whole block would allocate (and fault in) a new string of its size
        pos = 0
        with memoryview(buf) as view:
            while pos < size:
                end = min(pos + (1 << 20), size)
                try:
                    pos += codecs.utf_8_decode(view[pos:end], "strict", end == size)[1]
                except UnicodeDecodeError as e:
                    at = pos + e.start
                    self.bad_utf8 = (self.lines + 1 + buf.count(b"\n", 0, at), buf[at])
                    return

    @staticmethod
    def _quotes(a: np.ndarray, starts: np.ndarray, ends: np.ndarray, bad: np.ndarray):
        """Mark lines whose quotes are not well formed; return the quoted spans (open, close, line) of the rest."""
        q = np.flatnonzero(a == QUOTE)
        if not len(q):
            return None
        line = np.searchsorted(ends, q)
        count = np.bincount(line, minlength=len(ends))
        rank = np.arange(len(q)) - (np.cumsum(count) - count)[line]
        opening = rank % 2 == 0
        before = np.where(q > starts[line], a[q - 1], NEWLINE)
        after = np.where(q + 1 < ends[line], a[np.minimum(q + 1, len(a) - 1)], NEWLINE)
        # a field opens with a quote at its start (or right after a doubled quote) and closes with one at its end
        ok = np.where(opening, (before == COMMA) | (before == NEWLINE) | (before == QUOTE),
                      (after == COMMA) | (after == NEWLINE) | (after == QUOTE) | (after == CR))
        bad[line[~ok]] = True
        odd = count % 2 == 1
        bad |= odd
        keep = ~(odd[line] & (rank == count[line] - 1))  # pair up the quotes of the other lines
        q, line = q[keep], line[keep]
        return q[0::2], q[1::2], line[0::2]


class _Ranges(io.RawIOBase):
    """Byte ranges of a file followed by some text, as one binary stream (what pandas reads)."""

    def __init__(self, f, ranges: list[tuple[int, int]], tail: bytes):
        self.f, self.ranges, self.tail = f, [r for r in ranges if r[0] < r[1]][::-1], tail

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        view = memoryview(buffer).cast("B")
        if self.ranges:
            start, end = self.ranges[-1]
            self.f.seek(start)
            n = self.f.readinto(view[: min(len(view), end - start)])
            self.ranges[-1] = (start + n, end)
            if start + n >= end or not n:
                self.ranges.pop()
            return n
        n = min(len(view), len(self.tail))
        view[:n], self.tail = self.tail[:n], self.tail[n:]
        return n


def _parse(f, ranges, newline_at_end: bool, width: int, rows: int) -> list[_Column] | None:
    """The clean lines (byte ``ranges`` of ``f``) as columns, read by pandas' C parser as category codes;
    None if pandas did not find ``rows`` records of ``width`` fields of text."""
    # pandas turns categories into numbers or booleans when every value reads as one, which would lose
    # the text as written ('04', '1.50'); a last record of text that is neither keeps them strings
    tail = (b"" if newline_at_end else b"\n") + b",".join([b"x"] * width) + b"\n"
    try:
        frame = pd.read_csv(io.BufferedReader(_Ranges(f, ranges, tail), BLOCK), header=None, names=range(width),
                            dtype="category", keep_default_na=False, na_filter=False, skip_blank_lines=False,
                            index_col=False, encoding="utf-8", encoding_errors="replace", engine="c")
    except pd.errors.ParserError:
        return None
    if len(frame) != rows + 1:
        return None
    columns = []
    for i in range(width):
        values = frame[i].array
        if not pd.api.types.is_string_dtype(values.categories.dtype) or (values.codes < 0).any():
            return None
        columns.append(_Column(values.categories.tolist(), values.codes[:-1]))
    return columns


def _delimiter(first: str) -> str | None:
    """What is wrong with the delimiter, judged by the first line, or None."""
    if first.count(";") > first.count(","):
        return "fields are separated by ';'; use ',' (comma-separated UTF-8)"
    if "\t" in first and first.count("\t") > first.count(","):
        return "fields are separated by tabs; use ','"
    return None


def _quote_hint(line: str) -> str:
    return " (check the quotes on this line)" if line.count('"') % 2 else ""


def _markup(value: str) -> str | None:
    # ASCII text is its own NFKC form, and each pattern of looks_like_markup needs '<', ':' or '&'
    if value.isascii() and "<" not in value and ":" not in value and "&" not in value:
        return None
    return looks_like_markup(value)


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
        why = _markup(value)
        if why:
            return f"{why}; data are shown as plain text"
    return None


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


def _report(t: _Table, field: str, col: _Column, messages: dict[int, str]) -> None:
    """Report ``messages`` (by value index) on every record of ``col`` holding one of those values."""
    if messages:
        rows = col.rows(messages)
        for line, code in zip(t.lines[rows].tolist(), col.codes[rows].tolist()):
            t.add(line, field, messages[code])


def _check_records(t: _Table) -> None:
    fields = [f for f in t.table.fields if f.name in t.header]
    for f in fields:
        col = t.columns[f.name]
        used = col.used()
        _report(t, f.name, col, {i: msg for i in used if (msg := _check_value(f, col.values[i]))})
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


def _check_foreign_keys(t: _Table, known: dict[str, tuple[str, set[str]]]) -> None:
    """Every value of a foreign-key field must exist in the resource the dictionary points it at.

    ``known`` maps a resource name to (its file name, the set of its key values); resources whose
    keys could not be read are absent, and their references are not checked.
    """
    for field, resource, _ in t.table.foreign_keys:
        if resource not in known or field not in t.header:
            continue
        path, values = known[resource]
        col = t.columns[field]
        _report(t, field, col, {i: f"unknown {field} '{v}' (not in {path})" for i in col.used()
                                if (v := col.values[i]) and v not in values})


def _number(text: str) -> float:
    return float(text) if text and numbers.NUMBER.fullmatch(text) else np.nan


def _numbers(col: _Column) -> np.ndarray:
    """Each record's value as a float (NaN when empty or not a number)."""
    return np.array([_number(v) for v in col.values], dtype=float)[col.codes]


def _check_activation(t: _Table, segments_by_muscle: dict) -> None:
    muscle, segment = t.columns["muscle"], t.columns["segment"]
    pair = muscle.codes.astype(np.int64) * len(segment.values) + segment.codes
    for p in pd.unique(pair).tolist():
        m, s = muscle.values[p // len(segment.values)], segment.values[p % len(segment.values)]
        allowed = segments_by_muscle.get(m)
        if allowed and s and s not in allowed:
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


def _check_exercises(t: _Table) -> None:
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


def _first_lines(t: _Table, name: str) -> dict[str, int]:
    """Each value of a column with the line of the first record holding it."""
    col = t.columns[name]
    codes, first = np.unique(col.codes, return_index=True)
    return {col.values[c]: line for c, line in zip(codes.tolist(), t.lines[first].tolist())}


def _check_screening(t: _Table, activation: _Table | None, bib_keys: set[str] | None,
                     studies: _Table | None) -> None:
    used = _first_lines(activation, "source") if activation is not None else {}
    # the last appraisal row of a key stands for it
    appraised = dict(zip(studies.columns["key"].text(), studies.lines.tolist())) if studies is not None else None
    extracted, screened = set(), set()
    rows = zip(t.lines.tolist(), *(t.columns[c].text() for c in ("key", "status", "url")))
    for line, key, status, url in rows:
        screened.add(key)
        if status == "extracted":
            extracted.add(key)
            if not bib.KEY_PATTERN.match(key):
                t.add(line, "key", f"extracted study '{key}' needs a surnameYEAR[a-z] key")
            if activation is not None and activation.complete and key not in used:
                t.add(line, "status", f"'{key}' is screened as extracted but has no rows in emg_activation.csv")
            if bib_keys is not None and key not in bib_keys:
                t.add(line, "key", f"'{key}' is screened as extracted but has no entry in sources.bib")
            if not url:
                t.add(line, "url", "an extracted study needs the url of the page read")
            if appraised is not None and studies.complete and key not in appraised:
                t.add(line, "key", f"'{key}' is screened as extracted but has no appraisal row in studies.csv")
    if not t.complete:
        return  # the study may be on a line of screening.csv that could not be read
    # a key missing from screening.csv altogether is reported once, by the foreign key
    for key, line in used.items():
        if key and key in screened and key not in extracted:
            activation.add(line, "source", f"'{key}' has rows but is not screened as extracted in screening.csv")
    for key, line in (appraised or {}).items():
        if key in screened and key not in extracted:
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
    return _validate(data_dir)


def _validate(data_dir=None, careful: bool = False) -> list[Problem]:
    """:func:`validate`; ``careful`` reads every line of every table with the line-by-line reader."""
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

    tables = {name: _Table(tab, folder / tab.path, problems, careful) for name, tab in schema.tables.items()}
    for t in tables.values():
        if t.ok:
            _check_records(t)
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
    # order=True compares (file, line, field, message); sorting by that tuple is the same order, faster
    return sorted(set(problems), key=lambda p: (p.file, p.line, p.field, p.message))
