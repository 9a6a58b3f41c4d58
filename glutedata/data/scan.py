"""The fast path of reading a CSV table: numpy finds the lines that are single, well-formed records, and
pandas' C parser reads those lines as category codes. Lines it cannot vouch for are left to
:mod:`glutedata.data.reader`'s line-by-line reader."""

from __future__ import annotations

import codecs
import io

import numpy as np
import pandas as pd

BLOCK = 1 << 24  # bytes scanned at a time: large enough for numpy to pay, small enough to keep memory flat
NEWLINE, CR, QUOTE, COMMA = 10, 13, 34, 44


class Column:
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


def encode(rows: list[list[str]], width: int) -> list[Column]:
    """Columns of records given as lists of strings."""
    columns = []
    for i in range(width):
        index: dict[str, int] = {}
        codes = np.fromiter((index.setdefault(r[i], len(index)) for r in rows), dtype=np.int64, count=len(rows))
        columns.append(Column(list(index), codes))
    return columns


def concat(parts: list[Column], order: np.ndarray | None) -> Column:
    """One column from the columns of consecutive parts (re-ordered by ``order`` when given)."""
    if len(parts) == 1 and order is None:
        return parts[0]
    index: dict[str, int] = {}
    codes = []
    for col in parts:
        remap = np.array([index.setdefault(v, len(index)) for v in col.values], dtype=np.int64)
        codes.append(remap[col.codes])
    joined = np.concatenate(codes)
    return Column(list(index), joined if order is None else joined[order])


class Scan:
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


class Ranges(io.RawIOBase):
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


def parse_ranges(f, ranges, newline_at_end: bool, width: int, rows: int) -> list[Column] | None:
    """The clean lines (byte ``ranges`` of ``f``) as columns, read by pandas' C parser as category codes;
    None if pandas did not find ``rows`` records of ``width`` fields of text."""
    # pandas turns categories into numbers or booleans when every value reads as one, which would lose
    # the text as written ('04', '1.50'); a last record of text that is neither keeps them strings
    tail = (b"" if newline_at_end else b"\n") + b",".join([b"x"] * width) + b"\n"
    try:
        frame = pd.read_csv(io.BufferedReader(Ranges(f, ranges, tail), BLOCK), header=None, names=range(width),
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
        columns.append(Column(values.categories.tolist(), values.codes[:-1]))
    return columns


def delimiter(first: str) -> str | None:
    """What is wrong with the delimiter, judged by the first line, or None."""
    if first.count(";") > first.count(","):
        return "fields are separated by ';'; use ',' (comma-separated UTF-8)"
    if "\t" in first and first.count("\t") > first.count(","):
        return "fields are separated by tabs; use ','"
    return None


def quote_hint(line: str) -> str:
    return " (check the quotes on this line)" if line.count('"') % 2 else ""
