"""Charts are plotly Figures whose hover text names the sources behind each mark."""

import plotly.graph_objects as go
import plotly.io as pio
import pytest

import glutedata as gd
from glutedata import plots


def _hover(fig):
    return " ".join(str(h) for t in fig.data for h in (t.hovertext or []))


def test_ranked_bars_name_sources(df):
    r = gd.rank("posterior", df=df)
    fig = plots.ranked_bars(r, "posterior")
    assert isinstance(fig, go.Figure) and len(fig.data[0].x) == len(r)
    for keys in r["sources"]:
        assert all(k in _hover(fig) for k in keys)
    assert list(fig.data[0].x)[::-1] == list(r["estimate"])  # highest drawn on top


def test_rank_explorer_switches_views_without_plotly_dropdowns(df):
    options = {seg: gd.rank(seg, df=df) for seg in ("anterior", "posterior", "whole")}
    fig = plots.rank_explorer(df, options)
    assert not fig.layout.updatemenus and "updatemenus" not in fig.to_json()
    assert [label for label, _ in fig.views] == list(options)
    switches = fig.switches()
    for i, s in enumerate(switches):
        assert s["visible"][i] and sum(s["visible"]) == 1
    assert [t.visible for t in fig.data].count(True) == 1
    # each view is a figure of its own ranking (JupyterLab's dropdown shows it), and the switch brings its notes
    for (label, view), s in zip(fig.views, switches):
        keys = {k for ks in options[label]["sources"] for k in ks}
        assert set(view.sources) == keys and list(view.data[0].x)[::-1] == list(options[label]["estimate"])
        note = s["layout"]["annotations"][-1]["text"]
        assert note.startswith("Sources:") and all(k in note for k in keys)
        assert not {k for k in set(df["source"]) - keys if k in note}, label


def test_heatmap_forest_ladder_coverage(df):
    h = plots.heatmap(df, statistic="median")
    assert "moore2019a" in str(h.data[0].hovertext)
    f = plots.forest(df, segment="whole", statistic="mean")
    assert "pooled" in " ".join(f.data[0].y) and "mcbeth2012" in _hover(f)
    lad = gd.progression("whole", equipment="none", df=df)
    assert len(plots.ladder(lad).data[0].y) == len(lad)
    c = plots.coverage(df)
    assert sum(sum(t.y) for t in c.data) == len(df)


def test_site_renderer_emits_lab_and_html_without_plotly_js(df):
    plots.setup()
    assert pio.renderers.default == "glutedata"
    bundle = pio.renderers["glutedata"].to_mimebundle(plots.ranked_bars(gd.rank("posterior", df=df)).to_dict())
    assert "application/vnd.plotly.v1+json" in bundle
    html = bundle["text/html"]
    assert "Plotly.newPlot" in html and "cdn" not in html.lower() and len(html) < 200_000


def test_gap_map_covers_every_cell(df):
    g = gd.gaps(df, max_studies=99)
    fig = plots.gap_map(g)
    assert fig.data[0].z.size == len(set(g["name"])) * len(set(zip(g["muscle"], g["segment"])))


def test_widget_explorer_reranks_when_a_filter_changes(df):
    from glutedata.views.widgets import explorer

    panel = explorer(df)
    assert set(panel.ranking["exercise"]) == set(gd.rank("posterior", df=df)["exercise"])
    segment = panel.children[0].children[1]
    segment.value = "whole"
    assert panel.ranking.equals(gd.rank("whole", df=df))
    equipment = panel.children[1].children[0]
    equipment.value = "none"
    assert (panel.ranking["equipment"] == "none").all()


def test_static_charts_print_their_sources(df):
    r = gd.rank("whole", df=df)
    fig = plots.ranked_bars(r)
    note = fig.layout.annotations[-1].text
    assert note.startswith("Sources:")
    assert all(k in note for keys in r["sources"] for k in keys)


def test_forest_shows_weights_prediction_interval_bands_and_footer():
    from ..stats.test_certainty import frame
    rows = frame([("a2020", "x", "surface", 50, 10, 40, "Table 1"), ("b2021", "x", "surface", 62, 12, 40, "Table 1"),
                  ("c2022", "x", "surface", 41, 9, 40, "Table 1")])
    p = gd.pool(rows, model="reml").iloc[0]
    f = plots.forest(rows, model="reml")
    labels = list(f.data[0].y)
    weights = [int(lbl.rsplit("(", 1)[1].rstrip("%)")) for lbl in labels if "pooled" not in lbl]
    assert sum(weights) in (99, 100, 101) and len(weights) == 3
    assert "pooled (k=3)" in labels[-1] and f.data[0].marker.symbol[-1] == "diamond"
    pi = f.data[1]
    assert list(pi.x) == pytest.approx([p["pi_low"], p["pi_high"]]) and pi.mode == "lines"
    assert {s.x0 for s in f.layout.shapes} == {20, 40, 60}
    footer = f.layout.annotations[-1].text
    assert f"tau²={p['tau2']:.1f}" in footer and f"I²={p['i2']:.0%}" in footer and "Q=" in footer
    assert "df=2" in footer and "k=3, N=120" in footer and "nothing left out" in footer


def test_forest_by_default_shows_the_bayesian_diamond_new_study_bar_and_three_priors():
    from ..stats.test_certainty import frame
    rows = frame([("a2020", "x", "surface", 50, 10, 40, "Table 1"), ("b2021", "x", "surface", 62, 12, 40, "Table 1")])
    p = gd.pool(rows).iloc[0]
    f = plots.forest(rows)
    assert "pooled (k=2)" in f.data[0].y[-1] and f.data[0].x[-1] == pytest.approx(p["estimate"])
    assert f.data[0].x[-1] - f.data[0].error_x.arrayminus[-1] == pytest.approx(p["ci_low"])
    assert list(f.data[1].x) == pytest.approx([p["pi_low"], p["pi_high"]])
    footer = f.layout.annotations[-1].text
    assert f"tau={p['tau']:.2f}" in footer and "log scale" in footer
    for scale in (0.3, 0.5, 1):
        est = gd.pool(rows, prior_scale=scale).iloc[0]["estimate"]
        assert f"half-normal({scale:g}) {est:.1f}" in footer


def test_consensus_and_network_charts(df):
    c = gd.consensus("whole", df=df)
    fig = plots.consensus(c)
    assert len(fig.data[0].y) == len(c) and "Model:" in fig.layout.annotations[-1].text
    net = plots.network(c)
    edges = [t for t in net.data if t.mode == "lines"]
    assert len(edges) == len(c.attrs["comparisons"])
    assert edges[0].line.width == 2 + 3 * c.attrs["comparisons"]["studies"].iloc[0]
