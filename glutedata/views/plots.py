"""Plotly charts. Every figure's hover text names the source keys behind each mark, and every chart is a
:class:`glutedata.views.figures.Figure`: a ``go.Figure`` that the site shows as a ``<figure>`` with its answer in
the caption, its data as a table and as CSV, and its sources and data version."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.io.base_renderers import MimetypeRenderer

from ..data.bands import BANDS
from ..markup import chart as _t
from ..stats.pooling import pool
from .common import band_lines, interval, wrap
from .evidence import consensus, forest, network  # noqa: F401  (re-exported: plots.forest ...)
from .figures import LAB_CONFIG, Figure, Views, chart_html
from .tables import table  # noqa: F401  (re-exported: plots.table, the notebooks' table helper)

# ColorBrewer Blues, every band at 3:1 or more against white (WCAG 1.4.11: 3.4, 5.1, 7.9, 12.8), and the band
# written on each bar in a colour at 4.5:1 or more against it.
BAND_COLOURS = dict(zip(BANDS, ("#4292c6", "#2171b5", "#08519c", "#08306b")))
BAND_TEXT = dict(zip(BANDS, ("#000000", "#ffffff", "#ffffff", "#ffffff")))
NO_BAND = "#57606a"
SEGMENT_ORDER = ["anterior", "middle", "posterior", "whole"]
RANKED = ["name", "statistic", "estimate", "ci_low", "ci_high", "band", "band_range", "certainty", "k", "n", "sources"]


class SiteRenderer(MimetypeRenderer):
    """Plotly's own mimetype for JupyterLab plus, for the static site, the chart in a ``<figure>`` labelled by its
    title (the charts of this module carry their data too: :class:`glutedata.views.figures.Figure`).

    The chart assumes plotly.js is already on the page: the site includes it once, from the
    installed plotly package, instead of inlining it in every output or fetching it from a CDN.
    """

    def to_mimebundle(self, fig_dict):
        fig = go.Figure(fig_dict)
        return {"application/vnd.plotly.v1+json": {**fig.to_plotly_json(), "config": LAB_CONFIG},
                "text/html": chart_html(fig_dict)}


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


def _bands(values) -> dict:
    """Bar colours by band, and the band written on each bar in a colour that reads against it."""
    bands = [str(b) if pd.notna(b) else "" for b in values]
    return dict(marker_color=[BAND_COLOURS.get(b, NO_BAND) for b in bands],
                insidetextfont=dict(color=[BAND_TEXT.get(b, "#ffffff") for b in bands]))


def _columns(frame: pd.DataFrame, names) -> pd.DataFrame:
    out = frame[[c for c in names if c in frame.columns]].reset_index(drop=True)
    out.attrs = dict(frame.attrs)
    return out


def ranked_answer(ranked: pd.DataFrame) -> str:
    """The one-line answer of a ranking: the top exercise of each statistic, its estimate and interval."""
    if ranked.empty:
        return "No values for this query."
    parts = []
    for stat, g in ranked.groupby("statistic", sort=False, observed=True):
        top = g.loc[g["estimate"].astype(float).idxmax()]
        certainty = _get(top, "certainty")
        parts.append(f"highest {stat}: {top['name']}, {top['estimate']:.1f} %MVIC "
                     f"({interval(top['ci_low'], top['ci_high'])}"
                     + (f"; {certainty} certainty" if pd.notna(certainty) else "") + ")")
    text = "; ".join(parts)
    return f"{text[0].upper()}{text[1:]}. {len(ranked)} exercise{'s' if len(ranked) != 1 else ''} ranked."


def _ranked_figure(fig: go.Figure, ranked: pd.DataFrame, name: str) -> Figure:
    return Figure(fig, answer=ranked_answer(ranked), table=_columns(ranked, RANKED), sources=ranked["sources"],
                  name=name)


def _bar_trace(ranked: pd.DataFrame, visible=True, name="") -> go.Bar:
    r = ranked.iloc[::-1]  # plotly draws horizontal bars bottom-up; keep the highest on top
    hover = [
        f"<b>{_t(row.name)}</b><br>{row.statistic} {row.estimate:.1f} %MVIC"
        + (f" (95% CI {row.ci_low:.1f}-{row.ci_high:.1f}: {_t(_get(row, 'band_range'))})" if pd.notna(row.ci_low)
           else " (no CI: no spread reported)")
        + f"<br>k={row.k} studies, n={row.n if pd.notna(row.n) else '?'}; band: {row.band}"
        + (f"<br>certainty: {_get(row, 'certainty')} ({_t(_get(row, 'certainty_reasons'))})"
           if pd.notna(_get(row, "certainty")) else "")
        + f"<br>sources: {_keys(row.sources)}"
        for row in r.itertuples()
    ]
    return go.Bar(
        x=r["estimate"].astype(float),
        y=[f"{_t(n)} ({s}" + (f"; {c} certainty)" if pd.notna(c) else ")")
           for n, s, c in zip(r["name"], r["statistic"], r.get("certainty", pd.Series(pd.NA, index=r.index)))],
        orientation="h", error_x=_errors(r), text=[_t(b) if pd.notna(b) else "" for b in r["band"]],
        textposition="inside", insidetextanchor="start", textangle=0, **_bands(r["band"]),
        hovertext=hover, hoverinfo="text", visible=visible, name=_t(name), showlegend=False,
    )


def _bars(ranked: pd.DataFrame, title: str | None, min_height=260) -> go.Figure:
    fig = go.Figure(_bar_trace(ranked))
    band_lines(fig)
    fig.update_layout(title=_t(title) if title else None, xaxis_title="%MVIC (whiskers: 95% CI)",
                      height=max(min_height, 60 + 28 * len(ranked)), margin=dict(l=10, r=10, t=50, b=40))
    return _cite_below(fig, ranked["sources"], ranked.attrs.get("footnote"))


def ranked_bars(ranked: pd.DataFrame, title: str | None = None) -> Figure:
    """Horizontal bars of a :func:`glutedata.rank` result with 95% CI whiskers, coloured by band and labelled
    with it; the caption names the top exercise with its estimate and interval."""
    fig = _bars(ranked, title)
    if not title:
        fig.update_layout(title="Exercises ranked by pooled %MVIC")
    return _ranked_figure(fig, ranked, title or "ranking")


def rank_explorer(df: pd.DataFrame, options: dict[str, pd.DataFrame], title: str = "",
                  label: str = "Ranking to show") -> Views:
    """Ranked bars for several precomputed rankings and a control that switches between them.

    ``options`` maps a label (e.g. "posterior, no equipment") to a :func:`glutedata.rank` frame; empty ones are
    left out. On the site the control is a native ``<select>`` (named by ``label``) and each view has its own
    caption, table, CSV and sources; in JupyterLab it is an ipywidgets dropdown. The figure itself holds one
    trace per view, the first visible; ``fig.views`` gives each view as its own figure and ``fig.switches()``
    what the control changes (visible traces, title, height and the notes under the chart).
    """
    labels = [k for k, v in options.items() if not v.empty]
    if not labels:
        return Views(layout=dict(title=_t(title) or None), answer="No values for any of these views.", label=label)
    views = {k: _ranked_figure(_bars(options[k], f"{title}{k}", min_height=300), options[k], f"{title}{k}")
             for k in labels}
    first = views[labels[0]]
    traces = [go.Bar(v.data[0]).update(visible=(i == 0), name=_t(k)) for i, (k, v) in enumerate(views.items())]
    return Views(traces, first.layout, views=views, label=label, answer=first.answer, table=first.frame,
                 sources=first.sources, name=title or labels[0])


def heatmap(df: pd.DataFrame, muscle: str = "gluteus_medius", statistic: str = "mean") -> Figure:
    """Exercise x segment matrix of pooled %MVIC for one muscle and statistic; hover names sources, the caption
    the highest cell."""
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
    _cite_below(fig, pooled["sources"], pooled.attrs.get("footnote"))
    data = _columns(pooled, ["name", "segment", "estimate", "ci_low", "ci_high", "k", "sources"])
    if data.empty:
        answer = "No values for this muscle and statistic."
    else:
        data = data.sort_values(["name", "segment"], key=lambda c: c.astype(str)).reset_index(drop=True)
        top = data.loc[data["estimate"].astype(float).idxmax()]
        answer = (f"Highest: {top['name']}, {top['segment']}, {top['estimate']:.1f} %MVIC "
                  f"({top['k']} stud{'y' if top['k'] == 1 else 'ies'}). {len(data)} of {z.size} exercise and "
                  "segment cells have values.")
    return Figure(fig, answer=answer, table=data, sources=pooled["sources"], name=f"heatmap-{muscle}-{statistic}")


def ladder(steps: pd.DataFrame, title: str = "Progression") -> Figure:
    """A :func:`glutedata.progression` ladder as a staircase of bars, easiest at the bottom, each bar labelled
    with its band and dosing; the caption gives the first and the last step."""
    fig = go.Figure(go.Bar(
        x=steps["estimate"].astype(float), y=[_t(f"{s}. {n}") for s, n in zip(steps["step"], steps["name"])],
        orientation="h", **_bands(steps["band"]), outsidetextfont=dict(color="#1f2328"),
        text=[_t(f"{b}; {d}") for b, d in zip(steps["band"], steps["dosing"])], textposition="auto",
        hovertext=[f"{_t(n)}: {e:.1f} %MVIC ({s}); band: {b}<br>sources: {_keys(src)}<br>easier: {_t(r or '-')}; "
                   f"harder: {_t(p or '-')}"
                   for n, e, s, b, src, r, p in zip(steps["name"], steps["estimate"], steps["statistic"], steps["band"],
                                                      steps["sources"], steps["regresses_to"], steps["progresses_to"])],
        hoverinfo="text", showlegend=False))
    fig.update_layout(title=_t(title), xaxis_title="%MVIC", yaxis=dict(autorange=True),
                      height=max(260, 60 + 30 * len(steps)), margin=dict(l=10, r=10, t=50, b=40))
    _cite_below(fig, steps["sources"], steps.attrs.get("footnote"))
    if steps.empty:
        answer = "No steps: nothing measured for this query."
    else:
        first, last = steps.iloc[0], steps.iloc[-1]
        answer = (f"{len(steps)} step{'s' if len(steps) != 1 else ''}, from {first['name']} "
                  f"({first['estimate']:.1f} %MVIC, {first['band']}) to {last['name']} "
                  f"({last['estimate']:.1f} %MVIC, {last['band']}).")
    data = _columns(steps, ["step", "name", "band", "estimate", "ci_low", "ci_high", "statistic", "k", "dosing",
                            "regresses_to", "progresses_to", "sources"])
    return Figure(fig, answer=answer, table=data, sources=steps["sources"], name=title)


def gap_map(gaps: pd.DataFrame, df: pd.DataFrame | None = None) -> Figure:
    """Exercises x muscle segments coloured by how many studies there are (0 or 1) from :func:`glutedata.gaps`,
    the count written in each cell ("2+" for two or more).

    With the :func:`glutedata.load` frame ``df``, each cell's hover (and the figure's data) also names its studies.
    """
    cols = list(dict.fromkeys(f"{m.replace('_', ' ')}: {s}" for m, s in zip(gaps["muscle"], gaps["segment"])))
    names = sorted(set(gaps["name"]))
    z = np.full((len(names), len(cols)), np.nan)
    text = [["two or more studies" for _ in cols] for _ in names]  # cells with more studies are not in gaps
    found = {} if df is None else df.groupby(["exercise", "muscle", "segment"], observed=True)["source"].unique()
    studies = []
    for row in gaps.itertuples():
        i, j = names.index(row.name), cols.index(f"{row.muscle.replace('_', ' ')}: {row.segment}")
        z[i, j] = row.k
        keys = sorted(found.get((row.exercise, row.muscle, row.segment), []))
        studies.append(keys)
        text[i][j] = ("no study" if row.k == 0 else "one study" if row.k == 1 else "two or more studies") + (
            f"<br>sources: {_keys(keys)}" if keys else "")
    counts = [["2+" if not np.isfinite(v) or v >= 2 else str(int(v)) for v in r] for r in z]
    fig = go.Figure(go.Heatmap(z=np.nan_to_num(z, nan=2), x=cols, y=[_t(n) for n in names], zmin=0, zmax=2,
                               hovertext=text, text=counts, texttemplate="%{text}", textfont=dict(color="#1f2328"),
                               hoverinfo="text+x+y", showscale=False,
                               colorscale=[[0, "#fcbba1"], [0.5, "#fee391"], [1, "#c7e9c0"]]))
    fig.update_layout(title="Evidence gaps: studies per cell (red none, yellow one study, green two or more)",
                      height=max(320, 90 + 22 * len(names)), margin=dict(l=10, r=10, t=50, b=120))
    data = _columns(gaps, ["name", "muscle", "segment", "k", "evidence"])
    if df is not None:
        data["sources"] = studies
    none, one = int((gaps["k"] == 0).sum()), int((gaps["k"] == 1).sum())
    answer = (f"Of {len(gaps)} exercise, muscle and segment cells listed, {none} have no study and {one} "
              f"have one; {len(gaps) - none - one} have two or more.")
    return Figure(fig, answer=answer, table=data, sources=[k for ks in studies for k in ks], name="evidence-gaps")


def coverage(df: pd.DataFrame, by: str = "segment", colour: str = "emg") -> Figure:
    """Counts of values by one column, split by another (e.g. segment by EMG method); the caption names the
    largest group."""
    counts = df.groupby([by, colour], observed=True).agg(values=("pct_mvic", "size"),
                                                          sources=("source", lambda s: ", ".join(sorted(set(s)))))
    fig = go.Figure()
    for c, g in counts.reset_index().groupby(colour, observed=True):
        fig.add_bar(x=[_t(x) for x in g[by].astype(str)], y=g["values"], name=_t(c),
                    hovertext=[f"{v} values; sources: {_t(s)}" for v, s in zip(g["values"], g["sources"])],
                    hoverinfo="text")
    fig.update_layout(barmode="stack", title=f"Values by {by} and {colour}", yaxis_title="values",
                      height=360, margin=dict(l=10, r=10, t=50, b=40))
    _cite_below(fig, [df["source"].unique()])
    data = counts.reset_index()
    totals = data.groupby(by, observed=True)["values"].sum()
    answer = (f"{len(df)} values; the most under {by} {totals.idxmax()} ({totals.max()})." if len(totals)
              else "No values.")
    return Figure(fig, answer=answer, table=data, sources=df["source"].unique(), name=f"values-by-{by}-{colour}")
