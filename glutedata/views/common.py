"""Pieces every chart shares: wrapped chart text, the band edges and intervals in words."""

from __future__ import annotations

import plotly.graph_objects as go


def wrap(text: str, width: int = 140) -> list[str]:
    """Chart text broken into lines of about ``width`` characters (plotly does not wrap annotations)."""
    lines, line = [], ""
    for word in text.split(" "):
        if line and len(line) + len(word) > width:
            lines.append(line.rstrip())
            line = ""
        line += word + " "
    return lines + [line.rstrip()]


def band_lines(fig: go.Figure) -> None:
    for edge, label in ((20, "low | moderate"), (40, "moderate | high"), (60, "high | very high")):
        fig.add_vline(x=edge, line_dash="dot", line_color="#999", annotation_text=label,
                      annotation_position="top", annotation_font_size=9)


def interval(low, high, what: str = "95% interval") -> str:
    """``95% interval 21.2 to 103.4`` for a caption, or what is missing when there is none."""
    if low is None or high is None or low != low or high != high:  # None or NaN
        return "no interval: no spread reported"
    return f"{what} {float(low):.1f} to {float(high):.1f}"
