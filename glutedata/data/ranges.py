"""Checking the numeric arguments of the public functions (counts, seeds, levels): a value of the wrong type
or outside its range is a one-line ValueError that names the argument and what it may be."""

from __future__ import annotations

import math
import numbers

from ..markup import one_line


def _span(minimum, maximum, *, open_low: bool = False, open_high: bool = False) -> str:
    low = f"{'over' if open_low else 'at least'} {minimum}"
    if maximum is None:
        return f"of {low}" if not open_low else low
    if not open_low and not open_high:
        return f"from {minimum} to {maximum}"
    if open_low and open_high:
        return f"strictly between {minimum} and {maximum}"
    return f"{low} and {'under' if open_high else 'at most'} {maximum}"


def _shown(value) -> str:
    return one_line(repr(value))[:80]


def whole_number(argument: str, value, minimum: int = 0, maximum: int | None = None) -> int:
    """``value`` as an int when it is a whole number (not a bool, not a float) from ``minimum`` to ``maximum``
    (no upper bound when None); else ValueError naming ``argument`` and the range."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{argument} must be a whole number {_span(minimum, maximum)}, got {_shown(value)}")
    number = int(value)
    if number < minimum or (maximum is not None and number > maximum):
        raise ValueError(f"{argument} must be a whole number {_span(minimum, maximum)}, got {number}")
    return number


def number_in(argument: str, value, minimum: float, maximum: float | None = None, *,
              open_low: bool = False, open_high: bool = False) -> float:
    """``value`` as a float when it is a finite real number (not a bool) in the range, whose ends are excluded
    when ``open_low`` / ``open_high``; else ValueError naming ``argument`` and the range."""
    span = _span(minimum, maximum, open_low=open_low, open_high=open_high)
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
        raise ValueError(f"{argument} must be a number {span}, got {_shown(value)}")
    number = float(value)
    low_ok = number > minimum if open_low else number >= minimum
    high_ok = maximum is None or (number < maximum if open_high else number <= maximum)
    if not (low_ok and high_ok):
        raise ValueError(f"{argument} must be a number {span}, got {_shown(value)}")
    return number
