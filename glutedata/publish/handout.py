"""A printable home-exercise handout: a few steps of a progression, in plain words, for a patient.

The sheet is one HTML document with print CSS for A4 in black and white; :func:`print_pdf` prints it
with headless Chromium. The evidence behind each step is in small print, because %MVIC describes how
strongly a muscle is activated and is not, by itself, a prescription.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pandas as pd

from .._version import __version__
from ..data import bib
from ..data.arguments import check_filters, choice
from ..data.files import has_generator_meta, replacing, with_generator_meta, write_atomic
from ..data.loaders import exercises as vocabulary_of
from ..data.loaders import load, metadata, sources
from ..query.ranking import progression, rank
from .render import day, environment

MOVE_ON = ("Move on to the next step when you can do every set with good form and without pain on two "
           "sessions in a row.")
LAST_STEP = "This is the last step on this sheet: keep it up, and ask your clinician what comes next."
IF_IT_HURTS = ("stop the exercise. Feeling your muscles work and tire is normal; sharp pain, pain in a joint, or "
               "pain that is still there the next day is not. Ask your clinician before you carry on.")


class NoEvidence(ValueError):
    """No study in the dataset has measured the requested combination, so there is no ladder to print."""


def spread(count: int, steps: int) -> list[int]:
    """Positions of ``steps`` rungs spread evenly over a ladder of ``count``, from the lowest to the highest."""
    if count <= steps:
        return list(range(count))
    if steps == 1:
        return [0]
    return [round(i * (count - 1) / (steps - 1)) for i in range(steps)]


def _target(muscle: str, segment: str) -> str:
    name = muscle.replace("_", " ")
    return f"{name} (whole muscle)" if segment == "whole" else f"{segment} {name}"


def _conditions(equipment, weight_bearing) -> str:
    parts = []
    if equipment is not None:
        kit = [equipment] if isinstance(equipment, str) else list(equipment)
        parts.append("no equipment needed" if kit == ["none"] else "equipment: " + ", ".join(kit))
    if weight_bearing is not None:
        parts.append("standing and weight-bearing exercises" if weight_bearing else "exercises lying or kneeling")
    return "; ".join(parts)


def _given(value) -> bool:
    return value is not None and not (pd.api.types.is_scalar(value) and pd.isna(value))


def _evidence(row, target: str) -> str:
    what = "95% credible interval" if row["k"] > 1 and row.get("model") == "bayes" else "95% CI"
    ci = (f", {what} {row['ci_low']:.0f}-{row['ci_high']:.0f}" if _given(row["ci_low"]) and _given(row["ci_high"])
          else "")
    if _given(row.get("imputed")) and row["imputed"]:
        ci += f" (SD imputed for {row['imputed']} of {row['k']})"
    studies = "1 study" if row["k"] == 1 else f"{row['k']} studies"
    n = f"n = {row['n']}" if _given(row["n"]) else "n not stated"
    line = (f"{target}: {row['statistic']} {row['estimate']:.0f} %MVIC{ci} ({row['band']}); {studies}, {n}; "
            f"sources: {', '.join(row['sources'])}")
    if "certainty" in row.index and _given(row["certainty"]):
        line += f"; certainty: {row['certainty']}"
    return line + "."


def handout(segment, *, equipment=None, weight_bearing=None, steps: int = 4, title: str | None = None,
            exercises=None, muscle: str = "gluteus_medius", population="healthy", path=None) -> str:
    """A home-exercise sheet (an HTML document for A4) for one muscle segment.

    The steps are up to ``steps`` exercises of :func:`glutedata.progression` spread from the lowest
    activation to the highest, or the exercise ids in ``exercises``, in the order given. Each step has
    the exercise's instructions and dosing from the vocabulary, when to move on, and what to do if it
    hurts; the small print gives the evidence (band, k, n, sources) behind each step. ``path`` is a data
    directory as for :func:`glutedata.load`. Raises ValueError for arguments outside the data dictionary
    or unknown exercise ids, and :class:`NoEvidence` when nothing has been measured for the filters.

    Examples
    --------
    >>> import glutedata as gd
    >>> html = gd.handout("posterior", equipment="none", steps=3)
    >>> html.startswith("<!DOCTYPE html>")  # save it as .html and print it from a browser
    True
    """

    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a whole number of at least 1, got {steps!r}")
    if not isinstance(segment, str):
        raise ValueError(f"segment must be one segment name, got {segment!r}")
    df, vocab = load(path), vocabulary_of(path)
    check_filters(df, muscle=muscle, segment=segment, equipment=equipment, weight_bearing=weight_bearing,
                  population=population)
    filters = dict(equipment=equipment, weight_bearing=weight_bearing, population=population, df=df)
    target = _target(muscle, segment)
    if exercises is None:
        ladder = progression(segment, muscle=muscle, vocabulary=vocab, **filters)
        if ladder.empty:
            raise NoEvidence(f"no study in the dataset has measured the {target} with these filters, so there is "
                             "no ladder to print; choose the exercises yourself (exercises=[...], or --exercise "
                             "on the command line) or widen the filters")
        chosen = [ladder["exercise"].iloc[i] for i in spread(len(ladder), steps)]
    else:
        ids = [exercises] if isinstance(exercises, str) else list(exercises)
        if not ids:
            raise ValueError("exercises= names no exercise; give exercise ids, or leave it out to use the ladder")
        choice("exercises", ids, list(vocab["id"]))
        chosen = list(dict.fromkeys(ids))
    ranked = rank(segment, muscle, **filters).set_index("exercise")
    info = vocab.set_index("id")
    entries = sources(path)
    rows = []
    for i, ex in enumerate(chosen, start=1):
        measured = ex in ranked.index
        rows.append({
            "number": i, "name": info.at[ex, "name"],
            "description": info.at[ex, "description"] if _given(info.at[ex, "description"]) else "",
            "dosing": info.at[ex, "dosing"] if _given(info.at[ex, "dosing"]) else "as your clinician advises",
            "move_on": MOVE_ON if i < len(chosen) else LAST_STEP,
            "evidence": _evidence(ranked.loc[ex], target) if measured else
            f"{target}: no study in the dataset has measured this exercise with these filters.",
        })
    keys = sorted({k for ex in chosen if ex in ranked.index for k in ranked.at[ex, "sources"]})
    meta = metadata(path)
    return environment().get_template("handout.html.j2").render(
        title=title or "Your hip exercises", target=target, conditions=_conditions(equipment, weight_bearing),
        steps=rows, if_it_hurts=IF_IT_HURTS, population=population or "all populations",
        references=[bib.format_reference(entries[k]) if k in entries else k for k in keys],
        version=meta.get("version") or "?", created=day(meta.get("created")), package=__version__)


def is_handout(path) -> bool:
    """Whether a file is a sheet :func:`write_handout` wrote (it carries glutedata's generator meta)."""
    return has_generator_meta(Path(path))


def write_handout(html: str, path) -> Path:
    """Write a sheet made by :func:`handout` to ``path`` (through a temporary file, so a failed write leaves the
    old file whole), marked with glutedata's generator meta so :func:`is_handout` knows it again."""
    return write_atomic(path, with_generator_meta(html, __version__))


def find_chromium() -> str | None:
    """Chromium's executable: ``$GLUTEDATA_CHROMIUM``, else ``chromium`` or ``chromium-browser`` on the PATH."""
    return os.environ.get("GLUTEDATA_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


def print_pdf(html, pdf, *, chromium: str | None = None, timeout: float = 120) -> Path:
    """Print an HTML file to PDF with headless Chromium (A4 from the page's CSS, no header or footer).

    Chromium prints to a temporary file beside ``pdf``, which replaces ``pdf`` only once it is complete: a
    failed print leaves an existing ``pdf`` as it was. Raises FileNotFoundError when Chromium is not installed
    and RuntimeError when printing fails.
    """
    exe = chromium or find_chromium()
    if not exe:
        raise FileNotFoundError("Chromium is needed to print a PDF and was not found (install it, e.g. "
                                "`apt-get install chromium`, or set GLUTEDATA_CHROMIUM); the HTML file prints "
                                "from any browser too")
    source, target = Path(html).resolve(), Path(pdf).resolve()
    # a fresh profile: no first-run work, no lock on a shared one; the temporary file is new, so a PDF left
    # from an earlier run cannot pass for this one
    with tempfile.TemporaryDirectory() as profile, replacing(target) as printed:
        cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", f"--user-data-dir={profile}",
               f"--print-to-pdf={printed}", source.as_uri()]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"Chromium did not finish printing {source.name} within {timeout:.0f} s") from None
        except OSError as e:  # e.g. GLUTEDATA_CHROMIUM names a file that is not there
            raise FileNotFoundError(f"cannot run Chromium ({exe}): {e.strerror or e}") from None
        if done.returncode != 0 or not printed.is_file() or printed.stat().st_size == 0:
            detail = (done.stderr.strip().splitlines() or ["no message"])[-1]
            raise RuntimeError(f"Chromium could not print {source.name} (exit {done.returncode}): {detail}")
    return target
