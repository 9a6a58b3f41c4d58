"""Provenance to the cell: each value against the text printed on its page (``as_printed``), and the
fields a row says were set by a rule or a judgement (``inferred``).

``as_printed`` keeps the page's own form (``23,946% ± 11,321``, ``42 versus 9%MVC``, ``52 SD 18% MVIC``),
so a transcription slip is caught by a machine and a reader can search the page for it: ``pct_mvic``
must be one of the numbers printed there, and ``sd`` one printed as a spread (after ``±``, ``+/-`` or
``SD``).
"""

from __future__ import annotations

import re

import numpy as np

from .reader import TableReader

# a number as pages print them: decimal point or decimal comma
_NUMBER = re.compile(r"(?<![\d.,])(\d+(?:[.,]\d+)?)")
# a number printed as a spread: after a plus-minus sign, '+/-' or 'SD'
_SPREAD = re.compile(r"(?:±|\+/-|\+-|\bSD\b)\s*(\d+(?:[.,]\d+)?)")
# fields read by definition: never set by a rule
NOT_INFERABLE = ("source", "pct_mvic", "locator", "as_printed", "inferred", "notes")


def printed_numbers(text: str) -> tuple[list[float], list[float]]:
    """The values and the spreads a printed text holds, decimal commas read as points."""
    spreads = [float(m.replace(",", ".")) for m in _SPREAD.findall(text)]
    values = [float(m.replace(",", ".")) for m in _NUMBER.findall(text)]
    for s in spreads:  # what is printed as a spread is not also a value
        values.remove(s)
    return values, spreads


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a))


def check_as_printed(t: TableReader) -> None:
    """``pct_mvic`` (and ``sd``) of each row agree with the row's ``as_printed``."""
    if not {"as_printed", "pct_mvic", "sd"} <= set(t.columns):
        return
    printed, value, sd = (t.columns[name].text() for name in ("as_printed", "pct_mvic", "sd"))
    for line, text, v, s in zip(t.lines.tolist(), printed, value, sd):
        if not text:
            continue  # a required field: its absence is reported where requirements are
        values, spreads = printed_numbers(text)
        if not values:
            t.add(line, "as_printed", f"'{text}' holds no number: copy the value as the page prints it")
            continue
        try:
            v_num = float(v) if v else None
            s_num = float(s) if s else None
        except ValueError:
            continue  # not a number: reported by the type check
        value_ok = v_num is None or any(_same(v_num, x) for x in values)
        spread_ok = s_num is None or any(_same(s_num, x) for x in spreads)
        if not value_ok and not spread_ok:  # one cause: as_printed itself is from another row or page
            t.add(line, "as_printed", f"'{text}' prints neither pct_mvic {v} nor sd {s}: copy the value as "
                                      "the page prints it")
        elif not value_ok:
            t.add(line, "pct_mvic", f"{v} is not a value printed on the page as recorded in as_printed "
                                    f"('{text}'): check the transcription")
        elif not spread_ok:
            t.add(line, "sd", f"{s} is not a spread printed on the page as recorded in as_printed ('{text}')")
        elif s_num is None and spreads:
            t.add(line, "sd", f"as_printed ('{text}') shows a spread of {spreads[0]:g} but sd is empty")


def check_inferred(t: TableReader) -> None:
    """``inferred`` names fields of the table that can be set by a rule, each once."""
    if "inferred" not in t.columns:
        return
    col = t.columns["inferred"]
    inferable = [f.name for f in t.table.fields if f.name not in NOT_INFERABLE]
    messages = {}
    pattern = t.table.field("inferred").pattern
    for i, text in enumerate(col.values):
        if pattern and not re.fullmatch(pattern, text):
            continue  # reported by the dictionary's pattern
        names = [n for n in text.split(";") if n]
        wrong = [n for n in names if n not in inferable]
        if wrong:
            messages[i] = (f"'{wrong[0]}' is not a field that a rule or judgement can set; "
                           f"use any of: {', '.join(inferable)}")
        elif len(set(names)) < len(names):
            messages[i] = f"'{text}' names a field twice"
    for i, message in messages.items():
        for line in t.lines[np.flatnonzero(col.codes == i)].tolist():
            t.add(int(line), "inferred", message)
