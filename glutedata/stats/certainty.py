"""Flags, band probabilities and a certainty rating for pooled answers.

The rating follows the spirit of GRADE (start high, step down for each reason to doubt), but it is
this project's own, documented rule, applied mechanically:

=============================================  ======  ==========================================
reason                                         steps   why
=============================================  ======  ==========================================
fewer than 3 studies (``k<3``)                 1       one or two studies cannot show consistency
fewer than 30 participants in all (``N<30``)   1       small samples, unstable means
no spread reported (no CI)                     2       the uncertainty cannot be measured at all
SD imputed for a value                         1       its spread is borrowed from other studies
CI spans 3 or more bands                       2       the answer could be almost anything
CI spans 2 bands                               1       the band itself is uncertain
I² above 0.75 (``I²>0.75``)                    1       the studies disagree
every value read from an abstract only         1       methods and tables could not be checked
a study with appraisal concerns included       1       its normalisation is doubtful
mixed EMG methods or mixed normalisation       1       the values measure slightly different things
=============================================  ======  ==========================================

Four levels: high, moderate, low, very low; the rating never falls below very low. The reasons are
returned with the rating, so a reader sees why.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.bands import BANDS, EDGES, band
from ..data.flags import SMALL_N

CERTAINTY = ("high", "moderate", "low", "very low")
CERTAINTY_DTYPE = pd.CategoricalDtype(list(CERTAINTY), ordered=True)
HIGH_I2 = 0.75


def group_flags(rows: pd.DataFrame, k: int, n, i2) -> list[str]:
    """Flags of one pooled group from its rows and its k, total N and I²."""
    flags = []
    if k < 3:
        flags.append("k<3")
    if pd.isna(n) or n < SMALL_N:
        flags.append("N<30")
    if pd.notna(i2) and i2 > HIGH_I2:
        flags.append("I²>0.75")
    if "locator" in rows and (rows["locator"].astype(str) == "abstract").all():
        flags.append("abstract-only")
    if "concerns" in rows and rows["concerns"].notna().any():
        flags.append("study concerns")
    if "emg" in rows and rows["emg"].astype(str).nunique() > 1:
        flags.append("mixed EMG methods")
    if "normalisation" in rows and rows["normalisation"].astype(str).nunique() > 1:
        flags.append("mixed normalisation")
    return flags


def band_range(ci_low, ci_high) -> str | None:
    """The bands a CI spans, e.g. ``"moderate to very high"`` (None without a CI)."""
    if pd.isna(ci_low) or pd.isna(ci_high):
        return None
    lo, hi = band(max(float(ci_low), 0.0)), band(max(float(ci_high), 0.0))
    return lo if lo == hi else f"{lo} to {hi}"


def bands_spanned(ci_low, ci_high) -> int | None:
    if pd.isna(ci_low) or pd.isna(ci_high):
        return None
    return BANDS.index(band(max(float(ci_high), 0.0))) - BANDS.index(band(max(float(ci_low), 0.0))) + 1


def band_probabilities(estimate, scale, df) -> dict[str, float]:
    """Probability mass of the pooled mean in each band under a t distribution (location ``estimate``,
    scale ``scale``, ``df`` degrees of freedom): the CI's own distribution. Mass below 0 counts as low."""
    keys = [f"p_{b.replace(' ', '_')}" for b in BANDS]
    if any(pd.isna(x) for x in (estimate, scale, df)) or scale <= 0 or df < 1:
        return dict.fromkeys(keys, np.nan)
    from scipy.special import stdtr

    cdf = [0.0] + [float(stdtr(df, (edge - estimate) / scale)) for edge in EDGES] + [1.0]
    return {key: cdf[i + 1] - cdf[i] for i, key in enumerate(keys)}


def rate(k: int, n, i2, ci_low, ci_high, flags: list[str]) -> tuple[str, str]:
    """The certainty level and its reasons, by the rule in the module docstring."""
    steps, reasons = 0, []
    if k < 3:
        steps += 1
        reasons.append("one study" if k == 1 else f"{k} studies")
    if pd.isna(n) or n < SMALL_N:
        steps += 1
        reasons.append("participants not stated" if pd.isna(n) else f"N={int(n)}")
    spanned = bands_spanned(ci_low, ci_high)
    if spanned is None:
        steps += 2
        reasons.append("no spread reported, so no CI")
    elif spanned >= 3:
        steps += 2
        reasons.append(f"CI spans {spanned} bands")
    elif spanned == 2:
        steps += 1
        reasons.append("CI spans 2 bands")
    if pd.notna(i2) and i2 > HIGH_I2:
        steps += 1
        reasons.append(f"I²={i2:.0%}")
    for flag, why in (("SD imputed", "a spread imputed from other studies"),
                      ("abstract-only", "values from abstracts only"),
                      ("study concerns", "includes a study with appraisal concerns"),
                      ("mixed EMG methods", "mixed EMG methods"),
                      ("mixed normalisation", "mixed normalisation")):
        if flag in flags:
            steps += 1
            reasons.append(why)
    return CERTAINTY[min(steps, len(CERTAINTY) - 1)], "; ".join(reasons)
