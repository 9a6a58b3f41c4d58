"""Pieces every chart shares: wrapped chart text and the band edges."""

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
