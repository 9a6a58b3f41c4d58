"""What the command line needs from below: option values checked against the data dictionary (argparse types,
so a typo is a usage error with a suggestion before any work is done) and frames as plain text."""

from __future__ import annotations

import argparse

import pandas as pd

from ..markup import one_line


def yes_no(value: str) -> bool:
    v = value.lower()
    if v in ("yes", "true", "1", "y"):
        return True
    if v in ("no", "false", "0", "n"):
        return False
    raise argparse.ArgumentTypeError(f"expected yes or no, got '{value}'")


def whole(minimum: int):
    """An argparse type that accepts a whole number of at least ``minimum``."""
    def check(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            number = None
        if number is None or number < minimum:
            raise argparse.ArgumentTypeError(f"expected a whole number of at least {minimum}, got '{value}'")
        return number
    check.__name__ = "whole number"
    return check


def vocabulary_value(argument: str):
    """An argparse type that accepts only the dictionary's values for ``argument``, suggesting the closest."""
    def check(value: str) -> str:
        from ..data.arguments import choice, vocabulary
        try:
            choice(argument, value, vocabulary(argument))
        except ValueError as e:
            raise argparse.ArgumentTypeError(str(e).split("=", 1)[1]) from None
        return value
    check.__name__ = argument
    return check


def choices(argument: str) -> str:
    """The dictionary's values for ``argument``, for a help text."""
    from ..data.arguments import vocabulary
    try:
        return ", ".join(vocabulary(argument))
    except Exception:  # a broken data directory is reported by the command itself, not by --help
        return "see `glutedata dictionary`"


def table(df: pd.DataFrame, empty: str = "(no rows)") -> str:
    """A frame as plain text; text from the data is put on one line with control characters escaped,
    so it cannot move the cursor or recolour the terminal."""
    if df.empty:
        return empty
    shown = df.copy()
    for col in shown.columns:
        # nullable numbers print their gaps as <NA>; shown as '-' like any other missing value
        if isinstance(shown[col].dtype, pd.Float64Dtype):
            shown[col] = shown[col].astype("float64")
        elif pd.api.types.is_extension_array_dtype(shown[col].dtype) and pd.api.types.is_integer_dtype(shown[col]):
            shown[col] = shown[col].astype(object).where(shown[col].notna(), "-")
        if shown[col].map(lambda v: isinstance(v, (tuple, list))).any():
            shown[col] = shown[col].map(lambda v: ", ".join(v) if isinstance(v, (tuple, list)) else v)
        if shown[col].dtype == object or isinstance(shown[col].dtype, (pd.StringDtype, pd.CategoricalDtype)):
            shown[col] = shown[col].map(lambda v: one_line(v) if isinstance(v, str) else v)
    return shown.to_string(index=False, float_format=lambda x: f"{x:.1f}", na_rep="-")
