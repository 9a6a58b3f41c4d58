"""Tables a reader can follow: human headers, numbers rounded for reading, "–" for anything missing.

:func:`table` is the one display helper for frames in the notebooks and for the data inside every chart
(:mod:`glutedata.views.figures`). It never changes the frame it is given: ``rank()``, ``pool()`` and the
CSV downloads keep every value as computed or recorded. Every cell and header is data, so every one of
them goes through :func:`glutedata.markup.html`.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
import pandas as pd

from ..markup import html as _h

MISSING = "\u2013"  # an en dash: what a missing value shows, never NaN, None or <NA>

# Pairs shown as one column "low to high", under the name of the pair.
RANGES = {
    "ci": ("ci_low", "ci_high", "95% CI"),
    "pi": ("pi_low", "pi_high", "New study (95%)"),
    "tau_ci": ("tau_ci_low", "tau_ci_high", "tau, 95% interval"),
    "tau2_ci": ("tau2_ci_low", "tau2_ci_high", "tau², 95% CI"),
    "rank_ci": ("rank_ci_low", "rank_ci_high", "Rank, 95% interval"),
    "ratio_ci": ("ratio_ci_low", "ratio_ci_high", "Ratio, 95% CI"),
    "interval": ("low", "high", "95% interval"),
}
HEADERS = {
    "exercise": "Exercise id", "name": "Exercise", "variant": "Variant", "statistic": "Statistic",
    "estimate": "%MVIC", "pct_mvic": "%MVIC", "sd": "SD", "band": "Band", "band_range": "Bands the CI covers",
    "k": "Studies (k)", "n": "Participants (n)", "certainty": "Certainty", "certainty_reasons": "Why this certainty",
    "sources": "Sources", "source": "Study", "flags": "Flags", "study_values": "Each study's value",
    "p_low": "P(low)", "p_moderate": "P(moderate)", "p_high": "P(high)", "p_very_high": "P(very high)",
    "tau": "tau (log scale)", "tau2": "tau²", "i2": "I²", "q": "Q", "q_p": "p (Q)", "imputed": "SDs imputed",
    "muscle": "Muscle", "segment": "Segment", "emg": "EMG", "locator": "Where in the paper", "notes": "Notes",
    "population": "Population", "position": "Position", "weight_bearing": "Weight-bearing",
    "equipment": "Equipment", "contraction": "Contraction", "step": "Step", "dosing": "Dosing",
    "regresses_to": "Easier", "progresses_to": "Harder", "analysis": "Analysis", "method": "Method",
    "model": "Model", "ratio": "Ratio to the reference", "p_score": "P-score", "rank": "Rank",
    "absolute_rank": "Place in gd.rank()", "id": "Id", "key": "Study", "title": "Title", "reason": "Reason",
    "status": "Status", "values": "Values", "evidence": "Evidence", "weight": "Weight", "row": "What",
    "low": "Low", "high": "High", "description": "Description", "aliases": "Also called", "seed": "Seed",
    "exercise_a": "Exercise", "exercise_b": "Compared with", "studies": "Studies", "ci_se": "SE (log scale)",
    "ci_df": "df",
}
# Decimals by column (what is not listed: integers as integers, other numbers to 1 decimal, or 2 below 1).
DIGITS = {"estimate": 1, "ci_low": 1, "ci_high": 1, "pi_low": 1, "pi_high": 1, "low": 1, "high": 1, "tau": 2,
          "tau_ci_low": 2, "tau_ci_high": 2, "tau2": 1, "q": 2, "ratio": 2, "ratio_ci_low": 2, "ratio_ci_high": 2,
          "p_score": 2}
PERCENT = {"i2", "p_low", "p_moderate", "p_high", "p_very_high", "weight"}
AS_RECORDED = {"pct_mvic", "sd"}  # values as the study printed them (up to 3 decimals)


def is_missing(value) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return bool(pd.isna(value)) if not isinstance(value, (list, tuple, set, dict)) else False
    except (TypeError, ValueError):
        return False


def cell(value, column: str = "", integral: bool = False) -> str:
    """One value as a reader sees it (plain text, not yet escaped); ``integral``: a count stored as float."""
    if isinstance(value, (list, tuple, set)):
        items = sorted(value) if isinstance(value, set) else value
        return ", ".join(str(v) for v in items if not is_missing(v)) or MISSING
    if is_missing(value) or (isinstance(value, str) and not value.strip()):
        return MISSING
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        v = float(value)
        if column in PERCENT:
            return "<1%" if 0 < v < 0.005 else ">99%" if 0.995 < v < 1 else f"{v:.0%}"
        if column == "q_p":
            return "<0.001" if v < 0.001 else f"{v:.3f}"
        if column in AS_RECORDED:
            return f"{round(v, 3):g}"
        if column in DIGITS:
            return f"{v:.{DIGITS[column]}f}"
        if integral and math.isfinite(v):
            return str(int(round(v)))
        return f"{v:.2f}" if abs(v) < 1 else f"{v:.1f}"
    return str(value)


def _flat(name) -> str:
    if isinstance(name, tuple):
        return ", ".join(str(p) for p in name if str(p) != "")
    return str(name)


def header(column: str) -> str:
    if column in RANGES:
        return RANGES[column][2]
    if column in HEADERS:
        return HEADERS[column]
    text = str(column).replace("_", " ")
    return text[:1].upper() + text[1:]


def _integral(series: pd.Series) -> bool:
    """A float column that only holds whole numbers (counts with gaps), shown without decimals."""
    values = pd.to_numeric(series, errors="coerce").dropna()
    return series.dtype.kind == "f" and len(values) > 0 and bool((values == values.round()).all())


def readable(frame: pd.DataFrame, columns=None, headers: dict | None = None) -> pd.DataFrame:
    """``frame`` as text for reading: one column per entry of ``columns`` (a column of ``frame``, or a name
    of :data:`RANGES` such as ``"ci"``, shown as "low to high"), human headers, every cell a string.

    Without ``columns``: every column, each low/high pair of :data:`RANGES` joined into one, a named or
    non-default index kept as the first columns and the parts of MultiIndex headers joined with ", "."""
    frame = frame.copy()
    if not isinstance(frame.index, pd.RangeIndex) or frame.index.name is not None:
        names = [n for n in frame.index.names if n is not None]
        frame = frame.reset_index() if names else frame.reset_index(drop=True)
    frame.columns = [_flat(c) for c in frame.columns]
    if columns is None:
        columns, paired = [], set()
        for c in frame.columns:
            pair = next((k for k, (lo, hi, _) in RANGES.items() if c == lo and hi in frame.columns), None)
            if pair:
                columns.append(pair)
                paired |= {RANGES[pair][0], RANGES[pair][1]}
            elif c not in paired:
                columns.append(c)
    out, numeric = {}, []
    for c in columns:
        if c in RANGES and c not in frame.columns:
            lo, hi, _ = RANGES[c]
            values = [MISSING if is_missing(a) and is_missing(b) else f"{cell(a, lo)} to {cell(b, hi)}"
                      for a, b in zip(frame[lo], frame[hi])]
            kind = "f"
        else:
            integral = _integral(frame[c]) and c not in DIGITS and c not in PERCENT
            values = [cell(v, c, integral) for v in frame[c]]
            kind = frame[c].dtype.kind
        label = (headers or {}).get(c) or header(c)
        while label in out:  # two columns with one header (estimate and pct_mvic): keep both
            label += " "
        out[label] = values
        if kind in "iuf":
            numeric.append(label)
    shown = pd.DataFrame(out, index=range(len(frame)))
    shown.attrs["numeric"] = numeric
    return shown


class Table:
    """A frame shown for reading (:func:`table`): ``.shown`` holds the text, ``.frame`` the values as given."""

    def __init__(self, frame: pd.DataFrame, shown: pd.DataFrame, footnote: str | None, caption: str | None):
        self.frame, self.shown, self.footnote, self.caption = frame, shown, footnote, caption

    def to_html(self, label: str | None = None) -> str:
        """The table in a box that scrolls sideways when it is wider than the page: a labelled region a keyboard
        can reach (``label``, default the caption or the first headers)."""
        numeric = [c in self.shown.attrs.get("numeric", ()) for c in self.shown.columns]
        rows = []
        for values in self.shown.itertuples(index=False):
            rows.append("<tr>" + "".join(f'<td class="gd-num">{_h(v)}</td>' if num else f"<td>{_h(v)}</td>"
                                         for v, num in zip(values, numeric)) + "</tr>")
        head = "".join(f'<th scope="col" class="gd-num">{_h(c.rstrip())}</th>' if num else
                       f'<th scope="col">{_h(c.rstrip())}</th>' for c, num in zip(self.shown.columns, numeric))
        caption = f"<caption>{_h(self.caption)}</caption>" if self.caption else ""
        note = f'<p class="gd-footnote">{_h(self.footnote)}</p>' if self.footnote else ""
        label = label or self.caption or "Table: " + ", ".join(c.rstrip() for c in self.shown.columns[:3]) + (
            ", ..." if len(self.shown.columns) > 3 else "")
        return (f'<div class="gd-table" role="region" tabindex="0" aria-label="{_h(label)}">'
                f'<table class="gd-reading">{caption}<thead><tr>{head}</tr></thead>'
                f'<tbody>{"".join(rows)}</tbody></table>{note}</div>')

    def _repr_html_(self) -> str:
        return self.to_html()

    def __repr__(self) -> str:
        text = self.shown.to_string(index=False) if len(self.shown.columns) else "(no columns)"
        return "\n".join(t for t in (self.caption, text, self.footnote) if t)

    def __len__(self) -> int:
        return len(self.shown)


def table(frame: pd.DataFrame | pd.Series, columns=None, *, footnote: str | None = None, caption: str | None = None,
          headers: dict | None = None, rows: int | None = None) -> Table:
    """``frame`` for reading, in a notebook or on the site: human headers ("95% CI" for ``ci_low`` and
    ``ci_high`` shown as "21.2 to 103.4", "New study (95%)", "Studies (k)" ...), estimates to 1 decimal,
    "–" for missing values, lists as ``a, b``, no index column, and the footnote under the table.

    ``columns`` picks and orders what is shown (names of ``frame`` or of :data:`RANGES`, e.g. ``"ci"``);
    ``footnote`` defaults to ``frame.attrs["footnote"]`` (what :func:`glutedata.rank` left out);
    ``headers`` overrides a header; ``rows`` shows only the first rows. The frame itself is not changed. A Series
    (``value_counts()``, say) is shown as its index and its values.
    """
    if isinstance(frame, pd.Series):
        frame = frame.to_frame(frame.name if frame.name is not None else "value")
    head = frame if rows is None else frame.head(rows)
    note = footnote if footnote is not None else frame.attrs.get("footnote")
    if rows is not None and len(frame) > rows:
        more = f"First {rows} of {len(frame)} rows."
        note = f"{more} {note}" if note else more
    return Table(frame, readable(head, columns, headers), note, caption)
