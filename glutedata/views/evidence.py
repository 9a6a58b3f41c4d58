"""Charts of how sure the evidence is: forest plots, the comparison network and the consensus ranking.

Available as ``glutedata.plots.forest``, ``plots.network`` and ``plots.consensus``. Every text taken
from the data goes through :func:`glutedata.markup.chart`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..markup import chart as _t
from ..query.select import filter_rows
from ..stats.pooling import PRIOR_SCALES, left_out, per_study, pool, within_study_cv
from .common import band_lines, interval, wrap
from .figures import Figure

# Marks at 3:1 or more against white (WCAG 1.4.11): studies 5.1, pooled 5.7, a new study's interval 4.0.
STUDY, POOLED, PI = "#2171b5", "#cb181d", "#e34a33"
FOREST = ["name", "row", "source", "estimate", "low", "high", "weight", "n"]


def _note(fig: go.Figure, lines: list[str], base_height: int) -> go.Figure:
    """Footer lines under the chart (statistics, what was left out, sources)."""
    fig.add_annotation(text="<br>".join(lines), xref="paper", yref="paper", x=0, y=0, yshift=-45,
                       xanchor="left", yanchor="top", showarrow=False, align="left", font=dict(size=10, color="#444"))
    fig.update_layout(height=base_height + 14 * len(lines), margin=dict(l=10, r=10, t=50, b=60 + 14 * len(lines)))
    return fig


def _study_rows(p, studies: pd.DataFrame, cv: float | None, log: bool) -> list[dict]:
    """Each study of one pooled group: its value with its own 95% CI (log scale for the Bayesian model)
    and its share of the weight, 1 / (v + tau^2) at the group's tau."""
    from scipy.special import stdtrit

    value, sd, n = (studies[c].to_numpy(float) for c in ("value", "sd", "n"))
    imputed = ~np.isfinite(sd) & np.isfinite(n) & (cv is not None) & (p.imputed > 0)
    if log:
        v = np.where(imputed, (cv or np.nan) ** 2 / n, sd ** 2 / (n * value ** 2))
        tau2 = p.tau ** 2 if pd.notna(p.tau) else 0.0
    else:
        v = sd ** 2 / n
        tau2 = p.tau2 if pd.notna(p.tau2) else 0.0
    weighted = not p.method.startswith("unweighted")
    w = 1 / (v + tau2) if weighted else np.full(len(studies), np.nan)
    share = w / np.nansum(w) if weighted else w
    out = []
    for s, sh, vi, imp in zip(studies.itertuples(), share, v, imputed):
        half = stdtrit(s.n - 1, 0.975) * math.sqrt(vi) if np.isfinite(vi) and s.n >= 2 else np.nan
        lo, hi = ((s.value * math.exp(-half), s.value * math.exp(half)) if log
                  else (s.value - half, s.value + half))
        weight = f"{sh:.0%}" if np.isfinite(sh) else "unweighted"
        spread = (f" (95% CI {lo:.1f} to {hi:.1f}{'; SD imputed' if imp else ''})" if np.isfinite(half)
                  else " (no spread reported)")
        out.append(dict(name=p.name, row="study", source=s.source, weight=sh if np.isfinite(sh) else np.nan,
                        n=s.n, y=_t(f"{p.name} | {s.source} ({weight})"), x=s.value, lo=lo, hi=hi, symbol="square",
                        colour=STUDY, size=7 + 14 * math.sqrt(sh) if np.isfinite(sh) else 8,
                        hover=_t(f"{s.source}: {s.value:.1f} %MVIC{spread}; weight {weight}; "
                                 f"n={s.n if np.isfinite(s.n) else '?'}; " + ", ".join(s.variants))))
    return out


def _footer(p, priors: dict) -> list[str]:
    if p.k < 2:
        return []
    if p.method.startswith("unweighted"):
        return [_t(f"{p.name}: k={p.k}, N={p.n if pd.notna(p.n) else '?'}; plain average, "
                   "no heterogeneity statistics (spread not reported)")]
    if pd.notna(p.tau2):
        return [_t(f"{p.name}: tau²={p.tau2:.1f} (95% CI {p.tau2_ci_low:.1f} to {p.tau2_ci_high:.1f}), "
                   f"I²={p.i2:.0%}, Q={p.q:.2f} (df={p.k - 1}, p={p.q_p:.3f}), k={p.k}, N={p.n}; {p.method}")]
    lines = [_t(f"{p.name}: tau={p.tau:.2f} (95% interval {p.tau_ci_low:.2f} to {p.tau_ci_high:.2f}, log scale), "
                f"I²={p.i2:.0%}, Q={p.q:.2f} (df={p.k - 1}, p={p.q_p:.3f}), k={p.k}, N={p.n}; {p.method}"
                + ("; prior-sensitive" if "prior-sensitive" in p.flags else ""))]
    lines.append(_t(f"{p.name}, by prior on tau: " + "; ".join(
        f"half-normal({scale:g}) {r.estimate:.1f} ({r.ci_low:.1f} to {r.ci_high:.1f})" for scale, r in priors.items())))
    return lines


def forest(df: pd.DataFrame, *, muscle: str = "gluteus_medius", segment: str = "whole", statistic: str = "mean",
           exercise=None, population="healthy", model: str = "bayes", tau2_method: str = "reml",
           include_flagged: bool = False) -> Figure:
    """Forest plot per exercise: each study's value with its 95% CI (t on n-1; on the log scale for the
    Bayesian model) and its weight at the group's tau (marker size and label), the pooled estimate as a
    diamond with its 95% credible interval (``model="reml"``: HKSJ CI), the 95% interval for a new study
    as a bar, band lines at 20/40/60 %MVIC, and a footer per exercise (tau, I², Q, df, p, k, N; for the
    Bayesian model the estimate and interval under half-normal priors of scale 0.3, 0.5 and 1) plus
    the SDs imputed and what was left out. The caption gives each pooled estimate; the data has a row per study,
    pooled estimate and new-study interval."""
    sub = filter_rows(df, muscle=muscle, segment=segment, statistic=statistic, exercise=exercise,
                      population=population)
    used, _ = left_out(sub, include_flagged)
    cv = within_study_cv(df)
    how = dict(by=("name",), model=model, tau2_method=tau2_method, include_flagged=include_flagged, cv=cv)
    pooled = pool(sub, **how)
    priors = ({scale: pool(sub, **how, prior_scale=scale).set_index("name") for scale in PRIOR_SCALES}
              if model == "bayes" else {})
    labels, rows, footer = [], [], []
    for p in pooled.sort_values("name").itertuples():
        studies = per_study(used[used["name"] == p.name])
        for r in _study_rows(p, studies, cv.get(str(p.statistic)), log=model != "reml"):
            labels.append(r["y"])
            rows.append(r)
        what = "95% credible interval" if model == "bayes" else "95% CI"
        if p.k > 1:
            label = _t(f"{p.name} | pooled (k={p.k})")
            labels.append(label)
            rows.append(dict(name=p.name, row="pooled", source=", ".join(p.sources), n=p.n,
                             y=label, x=p.estimate, lo=p.ci_low, hi=p.ci_high, symbol="diamond", colour=POOLED,
                             size=14, hover=_t(f"pooled, {p.method}: {p.estimate:.1f} %MVIC"
                                               + (f" ({what} {p.ci_low:.1f} to {p.ci_high:.1f})"
                                                  if pd.notna(p.ci_low) else " (no interval: spread not reported)"))))
        if pd.notna(p.pi_low):
            label = _t(f"{p.name} | a new study (95%)")
            labels.append(label)
            rows.append(dict(name=p.name, row="new study (95%)", y=label, pi=(p.pi_low, p.pi_high),
                             hover=_t(f"95% interval for a new study {p.pi_low:.1f} to {p.pi_high:.1f} %MVIC")))
        footer += _footer(p, {sc: pr.loc[p.name] for sc, pr in priors.items() if p.name in pr.index})
    fig = go.Figure()
    points = [r for r in rows if "x" in r]
    if points:
        fig.add_trace(go.Scatter(
            x=[r["x"] for r in points], y=[r["y"] for r in points], mode="markers", showlegend=False,
            error_x=dict(type="data", symmetric=False, color="#444", thickness=1.2,
                         array=[0 if pd.isna(r["hi"]) else r["hi"] - r["x"] for r in points],
                         arrayminus=[0 if pd.isna(r["lo"]) else r["x"] - r["lo"] for r in points]),
            marker=dict(symbol=[r["symbol"] for r in points], color=[r["colour"] for r in points],
                        size=[r["size"] for r in points]),
            hovertext=[r["hover"] for r in points], hoverinfo="text"))
    for r in rows:
        if "pi" in r:
            fig.add_trace(go.Scatter(x=list(r["pi"]), y=[r["y"], r["y"]], mode="lines", showlegend=False,
                                     line=dict(color=PI, width=6), hovertext=[r["hover"]] * 2, hoverinfo="text"))
    band_lines(fig)
    fig.update_layout(title=_t(f"{muscle.replace('_', ' ')}, {segment}: {statistic} %MVIC by study"),
                      xaxis_title="%MVIC (dotted lines: band edges at 20, 40, 60)",
                      yaxis=dict(categoryorder="array", categoryarray=labels[::-1]))
    footer += wrap(_t(pooled.attrs["footnote"]))
    footer.append("Sources: " + _t(", ".join(sorted(used["source"].unique()))))
    _note(fig, footer, max(300, 80 + 26 * len(labels)))
    data = pd.DataFrame([{**{c: r.get(c) for c in FOREST}, "estimate": r.get("x"),
                          "low": r["pi"][0] if "pi" in r else r.get("lo"),
                          "high": r["pi"][1] if "pi" in r else r.get("hi")} for r in rows], columns=FOREST)
    data.attrs["footnote"] = pooled.attrs.get("footnote")
    return Figure(fig, answer=_pooled_answer(pooled, model), table=data, sources=used["source"].unique(),
                  name=f"forest-{muscle}-{segment}-{statistic}")


def _pooled_answer(pooled: pd.DataFrame, model: str, shown: int = 3) -> str:
    """The pooled estimates of a forest plot in words: those of two or more studies, highest first."""
    several = pooled[pooled["k"] > 1].sort_values("estimate", ascending=False)
    if several.empty:
        return f"No exercise has two or more studies to pool; {len(pooled)} single-study values are shown."
    what = "95% credible interval" if model == "bayes" else "95% CI"
    parts = [f"{p.name} {p.estimate:.1f} %MVIC ({interval(p.ci_low, p.ci_high, what)}; k={p.k})"
             for p in several.head(shown).itertuples()]
    more = f", and {len(several) - shown} more in the data" if len(several) > shown else ""
    return f"Pooled: {'; '.join(parts)}{more}."


def consensus(frame: pd.DataFrame, title: str | None = None) -> Figure:
    """A :func:`glutedata.consensus` result: ratios to the reference with 95% CIs on a log axis when
    the network model ran; otherwise P-scores with the 95% rank interval in the hover."""
    r = frame.iloc[::-1]
    ratios = r["ratio"].notna().any()
    hover = [_t(f"{row.name}: P-score {row.p_score:.2f}, rank {row.rank} (95% interval {row.rank_ci_low} "
                f"to {row.rank_ci_high}); k={row.k}"
                + (f"; ratio {row.ratio:.2f} ({row.ratio_ci_low:.2f} to {row.ratio_ci_high:.2f})" if ratios else ""))
             for row in r.itertuples()]
    names = [_t(n) for n in r["name"]]
    if ratios:
        trace = go.Scatter(x=r["ratio"], y=names, mode="markers", marker=dict(size=10, color=STUDY),
                           error_x=dict(type="data", symmetric=False, array=r["ratio_ci_high"] - r["ratio"],
                                        arrayminus=r["ratio"] - r["ratio_ci_low"], color="#444"),
                           hovertext=hover, hoverinfo="text", showlegend=False)
        fig = go.Figure(trace)
        fig.add_vline(x=1, line_dash="dot", line_color="#999")
        fig.update_layout(xaxis=dict(type="log", title=_t(f"activation relative to {frame.attrs.get('reference')}")))
    else:
        fig = go.Figure(go.Bar(x=r["p_score"], y=names, orientation="h", marker_color=STUDY, hovertext=hover,
                               hoverinfo="text", showlegend=False))
        fig.update_layout(xaxis=dict(range=[0, 1], title="P-score (chance of out-activating the others)"))
    fig.update_layout(title=_t(title or "Consensus ranking from within-study comparisons"))
    lines = wrap(_t(f"Model: {frame.attrs.get('model', '')}. Studies: {', '.join(frame.attrs.get('studies', []))}."))
    if frame.attrs.get("disconnected"):
        lines += wrap(_t(f"Not connected to the network: {', '.join(frame.attrs['disconnected'])}."))
    _note(fig, lines, max(260, 80 + 30 * len(frame)))
    columns = ["name", "ratio", "ratio_ci_low", "ratio_ci_high", "p_score", "rank", "rank_ci_low", "rank_ci_high", "k"]
    data = frame[[c for c in columns if c in frame.columns]].reset_index(drop=True)
    if frame.empty:
        answer = "No exercises in the network."
    else:
        top = frame.sort_values("p_score", ascending=False).iloc[0]
        answer = (f"Most likely to out-activate the others: {top['name']} (P-score {top['p_score']:.2f}, rank "
                  f"{top['rank']}, 95% interval {top['rank_ci_low']} to {top['rank_ci_high']}"
                  + (f"; ratio to {frame.attrs.get('reference')} {top['ratio']:.2f}" if pd.notna(top["ratio"]) else "")
                  + f"). Model: {frame.attrs.get('model', '')}.")
    data.attrs["footnote"] = ("Not connected to the network: " + ", ".join(frame.attrs["disconnected"]) + "."
                              if frame.attrs.get("disconnected") else None)
    return Figure(fig, answer=answer, table=data, sources=frame.attrs.get("studies", []), name="consensus-ranking")


def network(frame: pd.DataFrame, title: str | None = None) -> Figure:
    """The comparison network behind a :func:`glutedata.consensus` result: exercises on a circle, a line
    between two exercises measured in the same study, its width the number of such studies."""
    comparisons = frame.attrs.get("comparisons", pd.DataFrame(columns=["exercise_a", "exercise_b", "studies"]))
    names = dict(zip(frame["exercise"], frame["name"]))
    ex = sorted(names, key=lambda e: names[e])
    angle = {e: 2 * math.pi * i / max(len(ex), 1) for i, e in enumerate(ex)}
    pos = {e: (math.cos(a), math.sin(a)) for e, a in angle.items()}
    fig = go.Figure()
    for c in comparisons.itertuples():
        (x0, y0), (x1, y1) = pos[c.exercise_a], pos[c.exercise_b]
        fig.add_trace(go.Scatter(x=[x0, x1], y=[y0, y1], mode="lines", line=dict(width=2 + 3 * c.studies,
                                                                                  color="#9ecae1"),
                                 hovertext=[_t(f"{names[c.exercise_a]} vs {names[c.exercise_b]}: {c.sources}")] * 2,
                                 hoverinfo="text", showlegend=False))
    k = dict(zip(frame["exercise"], frame["k"]))
    fig.add_trace(go.Scatter(x=[pos[e][0] for e in ex], y=[pos[e][1] for e in ex], mode="markers+text",
                             text=[_t(names[e]) for e in ex], textposition="top center",
                             marker=dict(size=[10 + 6 * k[e] for e in ex], color=STUDY),
                             hovertext=[_t(f"{names[e]}: {k[e]} studies") for e in ex], hoverinfo="text",
                             showlegend=False))
    fig.update_layout(title=_t(title or "Which exercises were compared within the same study"),
                      xaxis=dict(visible=False, range=[-1.6, 1.6]), yaxis=dict(visible=False, range=[-1.4, 1.4]))
    _note(fig, ["Line width: number of studies that measured both exercises; marker size: studies "
                "that measured the exercise."], 420)
    data = pd.DataFrame({"exercise_a": [names[a] for a in comparisons["exercise_a"]],
                         "exercise_b": [names[b] for b in comparisons["exercise_b"]],
                         "studies": list(comparisons["studies"]), "sources": list(comparisons["sources"])},
                        columns=["exercise_a", "exercise_b", "studies", "sources"])
    answer = (f"{len(ex)} exercises joined by {len(comparisons)} within-study comparison"
              f"{'s' if len(comparisons) != 1 else ''} from {len(frame.attrs.get('studies', []))} studies"
              + (f"; {len(frame.attrs['disconnected'])} exercises not connected." if frame.attrs.get("disconnected")
                 else "."))
    return Figure(fig, answer=answer, table=data, sources=frame.attrs.get("studies", []), name="comparison-network")
