"""Plotly charts. Every figure's hover text names the source keys behind each mark."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.io.base_renderers import MimetypeRenderer

from ..data.bands import BANDS
from ..markup import chart as _t
from ..stats.pooling import pool
from .common import band_lines, wrap
from .evidence import consensus, forest, network  # noqa: F401  (re-exported: plots.forest ...)

BAND_COLOURS = dict(zip(BANDS, ("#c6dbef", "#6baed6", "#2171b5", "#08306b")))
SEGMENT_ORDER = ["anterior", "middle", "posterior", "whole"]


class SiteRenderer(MimetypeRenderer):
    """Plotly's own mimetype for JupyterLab plus an HTML div for the static site.

    The div assumes plotly.js is already on the page: the site includes it once, from the
    installed plotly package, instead of inlining it in every output or fetching it from a CDN.
    """

    def to_mimebundle(self, fig_dict):
        fig = go.Figure(fig_dict)
        html = pio.to_html(fig, include_plotlyjs=False, full_html=False, config={"responsive": True})
        return {"application/vnd.plotly.v1+json": fig.to_plotly_json(), "text/html": html}


def setup() -> None:
    """Make notebooks render figures for both JupyterLab and the offline static site, and show
    frames with list cells (source keys, variants) as ``a, b`` rather than Python reprs."""
    pio.renderers["glutedata"] = SiteRenderer()
    pio.renderers.default = "glutedata"
    from IPython import get_ipython
    shell = get_ipython()
    if shell is not None:
        shell.display_formatter.formatters["text/html"].for_type(pd.DataFrame, _frame_html)


def _cell_text(value):
    if isinstance(value, (list, tuple, set)):
        return ", ".join(map(str, sorted(value) if isinstance(value, set) else value))
    return "" if value is None else value


def readable(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` for display: list, tuple and set cells joined as ``a, b`` and None left blank.
    The frame itself (and the types rank() and pool() return) is left alone."""
    shown = frame.copy()
    for col in range(shown.shape[1]):
        values = shown.iloc[:, col]
        if values.dtype == object and values.map(lambda v: v is None or isinstance(v, (list, tuple, set))).any():
            shown.isetitem(col, values.map(_cell_text))
    return shown


def _frame_html(frame: pd.DataFrame) -> str | None:
    return readable(frame)._repr_html_()


def _keys(sources) -> str:
    """Source keys as chart text (escaped: every label and hover text below is data)."""
    return _t(", ".join(sources) if not isinstance(sources, str) else sources)


def _source_lines(groups) -> list[str]:
    """The "Sources: a, b, ..." note for groups of source keys, wrapped into lines of chart text."""
    keys = sorted({k for g in groups for k in ([g] if isinstance(g, str) else g)})
    return wrap("Sources: " + ", ".join(_t(k) for k in keys))


def _cite_below(fig: go.Figure, groups, footnote: str | None = None) -> go.Figure:
    """Print the source keys under the chart and, below them, the ranking's footnote (studies, participants,
    what was left out), so a static page says both without hovering."""
    lines = _source_lines(groups)
    notes = wrap(_t(footnote)) if footnote else []
    # the footnote first, so the sources note stays the chart's last annotation
    for text, shift in (("<br>".join(notes), -50 - 14 * len(lines)), ("<br>".join(lines), -50)):
        fig.add_annotation(text=text, xref="paper", yref="paper", x=0, y=0, yshift=shift, xanchor="left",
                           yanchor="top", showarrow=False, align="left", font=dict(size=10, color="#555"))
    fig.update_layout(margin=dict(b=60 + 14 * (len(lines) + len(notes))))
    fig.layout.height = (fig.layout.height or 400) + 14 * (len(lines) + len(notes))
    return fig


def _errors(frame: pd.DataFrame):
    hi = (frame["ci_high"] - frame["estimate"]).astype(float)
    lo = (frame["estimate"] - frame["ci_low"]).astype(float)
    return dict(type="data", symmetric=False, array=hi.fillna(0).tolist(), arrayminus=lo.fillna(0).tolist(),
                color="#444", thickness=1.2)


def _get(row, name):
    return getattr(row, name, pd.NA)


def _bar_trace(ranked: pd.DataFrame, visible=True, name="") -> go.Bar:
    r = ranked.iloc[::-1]  # plotly draws horizontal bars bottom-up; keep the highest on top
    hover = [
        f"<b>{_t(row.name)}</b><br>{row.statistic} {row.estimate:.1f} %MVIC"
        + (f" (95% CI {row.ci_low:.1f}-{row.ci_high:.1f}: {_t(_get(row, 'band_range'))})" if pd.notna(row.ci_low)
           else " (no CI: no spread reported)")
        + f"<br>k={row.k} studies, n={row.n if pd.notna(row.n) else '?'}; {row.band}"
        + (f"<br>certainty: {_get(row, 'certainty')} ({_t(_get(row, 'certainty_reasons'))})"
           if pd.notna(_get(row, "certainty")) else "")
        + f"<br>sources: {_keys(row.sources)}"
        for row in r.itertuples()
    ]
    return go.Bar(
        x=r["estimate"].astype(float),
        y=[f"{_t(n)} ({s}" + (f"; {c} certainty)" if pd.notna(c) else ")")
           for n, s, c in zip(r["name"], r["statistic"], r.get("certainty", pd.Series(pd.NA, index=r.index)))],
        orientation="h", error_x=_errors(r), marker_color=[BAND_COLOURS.get(str(b), "#999") for b in r["band"]],
        hovertext=hover, hoverinfo="text", visible=visible, name=_t(name), showlegend=False,
    )


def ranked_bars(ranked: pd.DataFrame, title: str | None = None) -> go.Figure:
    """Horizontal bars of a :func:`glutedata.rank` result with 95% CI whiskers, coloured by band."""
    fig = go.Figure(_bar_trace(ranked))
    band_lines(fig)
    fig.update_layout(title=_t(title) if title else None, xaxis_title="%MVIC (whiskers: 95% CI)",
                      height=max(260, 60 + 28 * len(ranked)),
                      margin=dict(l=10, r=10, t=50, b=40))
    return _cite_below(fig, ranked["sources"], ranked.attrs.get("footnote"))


def rank_explorer(df: pd.DataFrame, options: dict[str, pd.DataFrame], title: str = "") -> go.Figure:
    """One ranked-bar chart with a dropdown that switches between precomputed rankings.

    ``options`` maps a label (e.g. "posterior, no equipment") to a :func:`glutedata.rank` frame.
    The dropdown is plotly's own, so it works in the static site without a kernel.
    """
    labels = [k for k, v in options.items() if not v.empty]
    fig = go.Figure([_bar_trace(options[k], visible=(i == 0), name=k) for i, k in enumerate(labels)])
    band_lines(fig)
    fig.update_layout(title=_t(f"{title}{labels[0]}" if labels else title), xaxis_title="%MVIC",
                      height=max(300, 60 + 28 * (len(options[labels[0]]) if labels else 0)),
                      margin=dict(l=10, r=10, t=90, b=40))
    _cite_below(fig, options[labels[0]]["sources"] if labels else [],
                options[labels[0]].attrs.get("footnote") if labels else None)
    # Each button rewrites the source note and the footnote too, so the static page names the studies of
    # the view shown and what that view left out.
    note, below = len(fig.layout.annotations) - 1, len(fig.layout.annotations) - 2
    buttons = []
    for i, k in enumerate(labels):
        lines = _source_lines(options[k]["sources"])
        footnote = options[k].attrs.get("footnote")
        notes = wrap(_t(footnote)) if footnote else []
        buttons.append(dict(label=_t(k), method="update", args=[
            {"visible": [j == i for j in range(len(labels))]},
            {"title.text": _t(f"{title}{k}"),
             "height": max(300, 60 + 28 * len(options[k])) + 14 * (len(lines) + len(notes)),
             "margin.b": 60 + 14 * (len(lines) + len(notes)), f"annotations[{note}].text": "<br>".join(lines),
             f"annotations[{below}].text": "<br>".join(notes),
             f"annotations[{below}].yshift": -50 - 14 * len(lines)}]))
    fig.update_layout(updatemenus=[dict(buttons=buttons, x=0, xanchor="left", y=1.15, yanchor="top")])
    return fig


def heatmap(df: pd.DataFrame, muscle: str = "gluteus_medius", statistic: str = "mean") -> go.Figure:
    """Exercise x segment matrix of pooled %MVIC for one muscle and statistic; hover names sources."""
    sub = df[(df["muscle"] == muscle) & (df["statistic"] == statistic)]
    pooled = pool(sub, by=("name", "segment")) if not sub.empty else pd.DataFrame(
        columns=["name", "segment", "estimate", "k", "sources"])
    segs = [s for s in SEGMENT_ORDER if s in set(pooled["segment"].astype(str))]
    names = sorted(set(pooled["name"]))
    z = np.full((len(names), len(segs)), np.nan)
    text = [["no data" for _ in segs] for _ in names]
    for row in pooled.itertuples():
        i, j = names.index(row.name), segs.index(str(row.segment))
        z[i, j] = row.estimate
        text[i][j] = (f"{_t(row.name)}, {row.segment}: {row.estimate:.1f} %MVIC<br>"
                      f"k={row.k}; sources: {_keys(row.sources)}")
    fig = go.Figure(go.Heatmap(z=z, x=segs, y=[_t(n) for n in names], hovertext=text, hoverinfo="text",
                               colorscale="Blues",
                               zmin=0, zmax=max(80.0, float(np.nanmax(z)) if np.isfinite(z).any() else 80.0),
                               colorbar_title="%MVIC"))
    fig.update_layout(title=f"{muscle.replace('_', ' ')}: {statistic} %MVIC by exercise and segment",
                      height=max(300, 80 + 24 * len(names)), margin=dict(l=10, r=10, t=50, b=40))
    return _cite_below(fig, pooled["sources"], pooled.attrs.get("footnote"))


def ladder(steps: pd.DataFrame, title: str = "Progression") -> go.Figure:
    """A :func:`glutedata.progression` ladder as a staircase of bars, easiest at the bottom."""
    fig = go.Figure(go.Bar(
        x=steps["estimate"].astype(float), y=[_t(f"{s}. {n}") for s, n in zip(steps["step"], steps["name"])],
        orientation="h", marker_color=[BAND_COLOURS.get(str(b), "#999") for b in steps["band"]],
        text=[_t(f"{b}; {d}") for b, d in zip(steps["band"], steps["dosing"])], textposition="auto",
        hovertext=[f"{_t(n)}: {e:.1f} %MVIC ({s})<br>sources: {_keys(src)}<br>easier: {_t(r or '-')}; "
                   f"harder: {_t(p or '-')}"
                   for n, e, s, src, r, p in zip(steps["name"], steps["estimate"], steps["statistic"],
                                                   steps["sources"], steps["regresses_to"], steps["progresses_to"])],
        hoverinfo="text", showlegend=False))
    fig.update_layout(title=_t(title), xaxis_title="%MVIC", yaxis=dict(autorange=True),
                      height=max(260, 60 + 30 * len(steps)), margin=dict(l=10, r=10, t=50, b=40))
    return _cite_below(fig, steps["sources"], steps.attrs.get("footnote"))


def gap_map(gaps: pd.DataFrame, df: pd.DataFrame | None = None) -> go.Figure:
    """Exercises x muscle segments coloured by how many studies there are (0 or 1) from :func:`glutedata.gaps`.

    With the :func:`glutedata.load` frame ``df``, each cell's hover also names its studies.
    """
    cols = list(dict.fromkeys(f"{m.replace('_', ' ')}: {s}" for m, s in zip(gaps["muscle"], gaps["segment"])))
    names = sorted(set(gaps["name"]))
    z = np.full((len(names), len(cols)), np.nan)
    text = [["two or more studies" for _ in cols] for _ in names]  # cells with more studies are not in gaps
    found = {} if df is None else df.groupby(["exercise", "muscle", "segment"], observed=True)["source"].unique()
    for row in gaps.itertuples():
        i, j = names.index(row.name), cols.index(f"{row.muscle.replace('_', ' ')}: {row.segment}")
        z[i, j] = row.k
        keys = sorted(found.get((row.exercise, row.muscle, row.segment), []))
        text[i][j] = ("no study" if row.k == 0 else "one study" if row.k == 1 else "two or more studies") + (
            f"<br>sources: {_keys(keys)}" if keys else "")
    fig = go.Figure(go.Heatmap(z=np.nan_to_num(z, nan=2), x=cols, y=[_t(n) for n in names], zmin=0, zmax=2,
                               hovertext=text,
                               hoverinfo="text+x+y", showscale=False,
                               colorscale=[[0, "#fcbba1"], [0.5, "#fee391"], [1, "#c7e9c0"]]))
    fig.update_layout(title="Evidence gaps: red none, yellow one study, green two or more",
                      height=max(320, 90 + 22 * len(names)), margin=dict(l=10, r=10, t=50, b=120))
    return fig


def coverage(df: pd.DataFrame, by: str = "segment", colour: str = "emg") -> go.Figure:
    """Counts of values by one column, split by another (e.g. segment by EMG method)."""
    counts = df.groupby([by, colour], observed=True).agg(values=("pct_mvic", "size"),
                                                          sources=("source", lambda s: ", ".join(sorted(set(s)))))
    fig = go.Figure()
    for c, g in counts.reset_index().groupby(colour, observed=True):
        fig.add_bar(x=[_t(x) for x in g[by].astype(str)], y=g["values"], name=_t(c),
                    hovertext=[f"{v} values; sources: {_t(s)}" for v, s in zip(g["values"], g["sources"])],
                    hoverinfo="text")
    fig.update_layout(barmode="stack", title=f"Values by {by} and {colour}", yaxis_title="values",
                      height=360, margin=dict(l=10, r=10, t=50, b=40))
    return _cite_below(fig, [df["source"].unique()])
