"""Checking one new study before it is merged: its own problems, and where its values would land."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd

from ..data.io import data_dir
from ..data.loaders import load
from ..data.problems import Problem
from ..data.reader import any_field_size
from ..data.schema import read_schema
from .ranking import rank


def study_lines(folder, key: str) -> dict[str, set[int]]:
    """The lines of every file of the package that belong to study ``key``."""
    folder = data_dir(folder)
    schema = read_schema(folder)
    owner = {"emg_activation": "source", "screening": "key", "studies": "key"}
    lines: dict[str, set[int]] = {}
    for name, column in owner.items():
        path = folder / schema.tables[name].path
        with any_field_size(), open(path, encoding="utf-8", errors="replace", newline="") as f:
            reader = csv.reader(f)
            header = next(reader, [])
            if column not in header:
                continue
            start = 2
            for row in reader:
                if len(row) > header.index(column) and row[header.index(column)] == key:
                    lines.setdefault(path.name, set()).update(range(start, reader.line_num + 1))
                start = reader.line_num + 1
    bib = folder / schema.bib_path
    text = bib.read_text(encoding="utf-8", errors="replace").splitlines()
    for i, line in enumerate(text, 1):
        if re.match(rf"\s*@\w+\s*\{{\s*{re.escape(key)}\s*,", line):
            lines.setdefault(bib.name, set()).add(i)
    return lines


def study_problems(problems: list[Problem], folder, key: str) -> list[Problem]:
    """The problems on the study's own lines, plus file-wide ones (line 0 or 1), which block everything."""
    own = study_lines(folder, key)
    return [p for p in problems if p.line <= 1 or p.line in own.get(p.file, set())]


PREVIEW_COLUMNS = ["muscle", "segment", "exercise", "variant", "statistic", "population", "value",
                   "estimate_without", "estimate_with", "place_without", "place_with", "k_with", "note"]


def _place(ranked: pd.DataFrame, exercise: str):
    """The exercise's row of a ranking and its place among the exercises ranked on the same statistic (as the
    exercise pages give it), or (None, '-')."""
    hit = ranked.index[ranked["exercise"] == exercise]
    if not len(hit):
        return None, "-"
    row = ranked.loc[hit[0]]
    same = ranked[ranked["statistic"] == row["statistic"]].reset_index(drop=True)
    return row, f"{int(same.index[same['exercise'] == exercise][0]) + 1} of {len(same)}"


def preview(key: str, folder=None, *, population="healthy", include_flagged: bool = False,
            df: pd.DataFrame | None = None) -> pd.DataFrame:
    """Where a study's values land in :func:`glutedata.rank`, in the scope rank() and the exercise pages use
    (``population``, studies with appraisal concerns left out unless ``include_flagged``, one statistic per
    exercise: means before medians before peaks).

    One row per value of the study (each exercise, variant, statistic and population), with the exercise's
    pooled estimate and its place among the exercises ranked on the same statistic, without and with the
    study; ``k_with`` is the number of studies behind the estimate with it, and ``note`` says why a value does
    not count. ``attrs["heading"]`` says the scope in words.
    """
    df = load(folder, validate=False) if df is None else df
    mine = df[df["source"] == key]
    flagged = "concerns" in mine and mine["concerns"].notna().any()
    rows = []
    for (muscle, segment), values in mine.groupby(["muscle", "segment"], observed=True, sort=True):
        with_it = rank(str(segment), str(muscle), population=population, df=df, include_flagged=include_flagged)
        without = rank(str(segment), str(muscle), population=population, df=df[df["source"] != key],
                       include_flagged=include_flagged)
        for r in values.itertuples(index=False):
            now, place_with = _place(with_it, r.exercise)
            before, place_without = _place(without, r.exercise)
            if population is not None and r.population != population:
                note = f"not ranked: population '{r.population}' (the preview ranks {population} only)"
            elif flagged and not include_flagged:
                note = "left out: the study's appraisal records concerns (--include-flagged keeps it)"
            elif now is None or now["statistic"] != r.statistic:
                note = f"not used: the ranking uses {now['statistic'] if now is not None else 'other'} values here"
            else:
                others = int(now["k"]) - 1
                note = "the only study of this exercise" if others == 0 else f"pooled with {others} other stud" \
                    + ("y" if others == 1 else "ies")
            rows.append({"muscle": str(muscle), "segment": str(segment), "exercise": r.exercise,
                         "variant": "" if pd.isna(r.variant) else str(r.variant), "statistic": str(r.statistic),
                         "population": str(r.population), "value": float(r.pct_mvic),
                         "estimate_without": float(before["estimate"]) if before is not None else None,
                         "estimate_with": float(now["estimate"]) if now is not None else None,
                         "place_without": place_without, "place_with": place_with,
                         "k_with": int(now["k"]) if now is not None else None, "note": note})
    out = pd.DataFrame(rows, columns=PREVIEW_COLUMNS).astype({"k_with": "Int64", "estimate_without": "Float64",
                                                               "estimate_with": "Float64"})
    scope = [f"population {population}" if population is not None else "every population",
             "flagged studies kept" if include_flagged else "studies with appraisal concerns left out",
             "means before medians before peaks"]
    out.attrs["heading"] = (f"Where {key}'s values land in rank() ({'; '.join(scope)}); places are among the "
                            "exercises ranked on the same statistic, as on the exercise pages:")
    return out


def known_study(folder, key: str) -> bool:
    folder = Path(data_dir(folder))
    return bool(study_lines(folder, key))


def study_findings(folder, key: str, problems: list[Problem], warnings: list[Problem]):
    """The problems and the warnings that concern study ``key`` (:func:`study_problems`), or None when the data
    holds nothing of it."""
    with any_field_size():  # a cell too large for the csv module is one of the problems, not a crash
        if not known_study(folder, key):
            return None
        return study_problems(problems, folder, key), study_problems(warnings, folder, key)
