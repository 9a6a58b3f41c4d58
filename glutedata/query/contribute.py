"""Checking one new study before it is merged: its own problems, and where its values would land."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd

from ..data.io import data_dir
from ..data.loaders import load
from ..data.problems import Problem
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
        with open(path, encoding="utf-8", errors="replace", newline="") as f:
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


def preview(key: str, folder=None) -> pd.DataFrame:
    """Where the study's values land: for each muscle and segment it measured, its exercises' place in
    :func:`glutedata.rank` (all populations) with and without the study."""
    df = load(folder, validate=False)
    mine = df[df["source"] == key]
    rows = []
    for (muscle, segment), g in mine.groupby(["muscle", "segment"], observed=True):
        with_it = rank(segment, str(muscle), population=None, df=df, include_flagged=True).reset_index(drop=True)
        without = rank(segment, str(muscle), population=None, df=df[df["source"] != key],
                       include_flagged=True).reset_index(drop=True)
        for ex in sorted(set(g["exercise"])):
            now = with_it.index[with_it["exercise"] == ex]
            before = without.index[without["exercise"] == ex]
            rows.append({"muscle": muscle, "segment": segment, "exercise": ex,
                         "rank_with_study": int(now[0]) + 1 if len(now) else None,
                         "of": len(with_it),
                         "rank_without_study": int(before[0]) + 1 if len(before) else None,
                         "estimate_with_study": float(with_it.loc[now[0], "estimate"]) if len(now) else None})
    return pd.DataFrame(rows, columns=["muscle", "segment", "exercise", "rank_with_study", "of",
                                       "rank_without_study", "estimate_with_study"])


def known_study(folder, key: str) -> bool:
    folder = Path(data_dir(folder))
    return bool(study_lines(folder, key))
