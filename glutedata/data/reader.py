"""Reading one table of the data package for validation: encoding, BOM, header and records, with a
problem at the file and line of each fault. Well-formed lines go through :mod:`glutedata.data.scan`;
any other line is read from where it starts by the csv module."""

from __future__ import annotations

import contextlib
import csv
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from .arguments import suggestion
from .problems import Problem
from .scan import Column, Scan, concat, delimiter, encode, parse_ranges, quote_hint
from .schema import MAX_CELL_BYTES, Table, cell_too_large

BOM = b"\xef\xbb\xbf"
SMALL_FILE = 1 << 20  # bytes: below this the numpy scan costs more than it saves
# While a table is read, the csv module's field limit (128 KiB by default, which pandas does not have) is lifted
# to this, so a cell of any size is read and then reported by its size, at its place, as rules.check_value does.
FIELD_LIMIT = (1 << 31) - 1  # the largest a C long holds on every platform

_limit_lock = threading.Lock()
_limit_users = 0
_limit_saved = csv.field_size_limit()


@contextlib.contextmanager
def any_field_size() -> Iterator[None]:
    """Lift the csv module's field size limit (a setting of the whole process) while the block runs; the
    limit is put back when the last block that lifted it ends."""
    global _limit_users, _limit_saved
    with _limit_lock:
        if _limit_users == 0:
            _limit_saved = csv.field_size_limit(FIELD_LIMIT)
        _limit_users += 1
    try:
        yield
    finally:
        with _limit_lock:
            _limit_users -= 1
            if _limit_users == 0:
                csv.field_size_limit(_limit_saved)


class TableReader:
    """A CSV table as read for validation: its columns, and the line each record starts on."""

    def __init__(self, table: Table, path: Path, problems: list[Problem], careful: bool = False):
        self.table, self.path, self.problems, self.careful = table, path, problems, careful
        self.header: list[str] = []
        self.lines = np.zeros(0, dtype=np.int64)
        self.columns: dict[str, Column] = {}
        # records read by the line-by-line reader: (line, values)
        self._slow: list[tuple[int, list[str]]] = []
        # False when a record could not be read: the table then cannot show that a value is missing from it
        self.complete = True
        self.ok = self._read()

    def add(self, line: int, field: str, message: str) -> None:
        self.problems.append(Problem(self.path.name, line, field, message))

    def _read(self) -> bool:
        try:
            with any_field_size(), open(self.path, "rb") as f:
                first = f.readline()
                # the fast reader pays off only on large files; a small one is read line by line at once
                if self.careful or not first.endswith(b"\n") or os.fstat(f.fileno()).st_size < SMALL_FILE:
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
        wrong = delimiter(text.split("\n", 1)[0])
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
                self.add(start, "-", f"malformed CSV in the record starting here: {e}{quote_hint(line_text(start))}")
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

    def _finish(self, header_ok: bool, lines: np.ndarray | None = None, columns: list[Column] | None = None) -> bool:
        """Put the records of the fast reader (``lines``, ``columns``) and of the line-by-line reader together
        in file order; the table is usable if its header is."""
        if not header_ok:
            return False
        parts = [(lines, columns)] if lines is not None and len(lines) else []
        if self._slow or not parts:
            slow_lines = np.array([line for line, _ in self._slow], dtype=np.int64)
            parts.append((slow_lines, encode([values for _, values in self._slow], len(self.header))))
        self.lines = np.concatenate([part_lines for part_lines, _ in parts])
        order = np.argsort(self.lines, kind="stable") if len(parts) > 1 else None
        for i, name in enumerate(self.header):
            self.columns[name] = concat([cols[i] for _, cols in parts], order)
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
            size = len(name.encode("utf-8", "surrogatepass"))
            if size > MAX_CELL_BYTES:
                self.add(1, "-", f"a column name: {cell_too_large(size)}")
                ok = False
                continue
            if name in seen:
                self.add(1, name, "column appears twice")
                ok = False
            seen.add(name)
        missing = [name for name in expected if name not in self.header]
        renamed = set()  # a misspelt column is one cause: reported as unknown, with the name it stands for
        for name in dict.fromkeys(n for n in self.header if n in seen and n not in expected):
            meant = suggestion(name.strip(), missing) if missing else ""
            if not meant and name.strip() in expected:
                meant = f" (did you mean '{name.strip()}'?)"
            renamed.update(m for m in missing if meant.endswith(f"'{m}'?)"))
            self.add(1, name, f"unknown column{meant}; allowed: {', '.join(expected)}")
            ok = False
        for name in missing:
            if name not in renamed:
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
        if len(header) < 2 or delimiter(first):
            # an odd header (one column, a quote left open, another delimiter): read it all line by line
            f.seek(0)
            return self._read_text(f.read())
        if start:
            self.add(1, "-", "file starts with a byte-order mark (BOM); save it as UTF-8 without BOM")
        self.header = header
        header_ok = self._check_header()
        scan = Scan(f, start, len(header))
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
        columns = parse_ranges(f, ranges, scan.newline_at_end, len(header), len(fast_lines))
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
