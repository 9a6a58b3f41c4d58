"""Checking query arguments against the data dictionary, so a typo is never answered as an evidence gap."""

from __future__ import annotations

import difflib

import pandas as pd

from ..markup import one_line
from .io import data_dir, read_table
from .schema import read_schema

# query argument -> (table, field) of the data dictionary that defines its vocabulary
FIELDS = {
    "muscle": ("emg_activation", "muscle"),
    "segment": ("emg_activation", "segment"),
    "emg": ("emg_activation", "emg"),
    "statistic": ("emg_activation", "statistic"),
    "population": ("emg_activation", "population"),
    "equipment": ("emg_activation", "equipment"),
    "position": ("exercises", "position"),
    "contraction": ("exercises", "contraction"),
}


def _schema(path=None):
    return read_schema(data_dir(path))


def _exercise_ids(path=None) -> pd.Series:
    folder = data_dir(path)
    return read_table(read_schema(folder).tables["exercises"], folder)["id"]


def vocabulary(argument: str, path=None) -> tuple[str, ...]:
    """The values the data dictionary allows for a query argument (``"segment"``, ``"equipment"`` ...)."""
    table, field = FIELDS[argument]
    return _schema(path).vocabulary(table, field)


def segments_of(muscle: str, path=None) -> tuple[str, ...]:
    """The segments the dictionary defines for a muscle."""
    return tuple(_schema(path).segments_by_muscle.get(muscle, ()))


def suggestion(value, allowed) -> str:
    """' (did you mean 'x'?)' for the closest allowed value, or ''."""
    text = str(value)
    lowered = {a.lower(): a for a in allowed}
    if text.lower() in lowered:
        return f" (did you mean '{lowered[text.lower()]}'?)"
    close = difflib.get_close_matches(text.lower().replace(" ", "-"), list(lowered), n=1, cutoff=0.6)
    if not close:
        close = difflib.get_close_matches(text.lower().replace(" ", "_"), list(lowered), n=1, cutoff=0.6)
    return f" (did you mean '{lowered[close[0]]}'?)" if close else ""


def choice(argument: str, value, allowed) -> None:
    """Raise ValueError unless every value (one or a list) is in ``allowed``, naming the valid values."""
    values = [value] if isinstance(value, (str, bool)) or not hasattr(value, "__iter__") else list(value)
    allowed = [str(a) for a in allowed]
    for v in values:
        if not isinstance(v, str) or v not in allowed:
            shown = one_line(repr(v) if not isinstance(v, str) else f"'{v}'")
            raise ValueError(f"{argument}={shown} is not valid{suggestion(v, allowed)}; "
                             f"valid values: {', '.join(allowed)}")


def check_filters(df: pd.DataFrame | None = None, **arguments) -> None:
    """Check the filters of a query (``None`` means no filter) against the dictionary.

    Values present in ``df`` are accepted too, so a user's own frame with new exercises or
    populations can be queried. ``segment`` must belong to ``muscle`` when one muscle is given.
    """
    for arg, value in arguments.items():
        if value is None:
            continue
        if arg == "weight_bearing":
            values = [value] if isinstance(value, bool) or not hasattr(value, "__iter__") else list(value)
            if any(not isinstance(v, bool) for v in values):
                raise ValueError(f"weight_bearing must be True or False (or None for both), got {value!r}")
            continue
        allowed = list(vocabulary(arg)) if arg in FIELDS else []
        if arg == "exercise":
            allowed = list(_exercise_ids())
        if df is not None and arg in df.columns:
            allowed += [str(v) for v in pd.unique(df[arg].dropna()) if str(v) not in allowed]
        choice(arg, value, allowed)
    muscle, segment = arguments.get("muscle"), arguments.get("segment")
    if isinstance(muscle, str) and segment is not None:
        segments = list(segments_of(muscle))
        if df is not None and "segment" in df.columns and "muscle" in df.columns:
            segments += [str(s) for s in pd.unique(df.loc[df["muscle"] == muscle, "segment"].dropna())
                         if str(s) not in segments]
        for seg in [segment] if isinstance(segment, str) else segment:
            if segments and seg not in segments:
                raise ValueError(f"segment='{seg}' is not a segment of {muscle}; valid values: {', '.join(segments)}")
