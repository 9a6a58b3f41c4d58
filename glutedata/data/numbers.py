"""The one parser of numbers, shared by validation and loading.

Python's ``float()`` accepts ``4_8``, full-width digits and ``nan``; pandas reads some of those as
missing. Both ``validate`` and ``load`` therefore read numbers here, as plain ASCII decimals, so a
value that validates is exactly the value that loads.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)
INTEGER = re.compile(r"[+-]?[0-9]+", re.ASCII)


def check(text: str, kind: str, minimum=None, maximum=None) -> str | None:
    """Why ``text`` is not a valid ``kind`` ("number" or "integer") within the bounds, or None."""
    if kind == "integer" and not INTEGER.fullmatch(text):
        if NUMBER.fullmatch(text):
            return f"'{text}' is not a whole number"
        return f"'{text}' is not a whole number (digits 0-9 only)"
    if kind == "number" and not NUMBER.fullmatch(text):
        return f"'{text}' is not a number (digits 0-9 with '.' as decimal point)"
    value = float(text)
    if value in (float("inf"), float("-inf")):
        return f"'{text}' is too large"
    if minimum is not None and value < minimum:
        return f"{text} is below the minimum {minimum:g}"
    if maximum is not None and value > maximum:
        return f"{text} is above the maximum {maximum:g}"
    return None


def parse(series: pd.Series, kind: str) -> pd.Series:
    """Strings to ``Float64`` (number) or ``Int64`` (integer); empty strings become missing.

    Anything that :func:`check` would reject also becomes missing, which is why loading validates first.
    """
    # each distinct text is parsed once: a large table holds the same few values many times
    codes, texts = pd.factorize(series.astype("string"))
    pattern = INTEGER if kind == "integer" else NUMBER
    ok = np.array([pattern.fullmatch(t) is not None for t in texts], dtype=bool)
    values = pd.to_numeric(pd.Series(texts).where(ok), errors="coerce").astype("Float64")
    if kind == "integer":
        # beyond 2**53 a float no longer holds every whole number; the dictionary's maxima stay far below
        values = values.where(values.abs() < 2 ** 53).round().astype("Int64")
    return pd.Series(values.array.take(codes, allow_fill=True), index=series.index, name=series.name)
