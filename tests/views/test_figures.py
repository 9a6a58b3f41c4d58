"""Every chart is a figure a reader can use without seeing it: a caption with the answer, the data as a table
and as CSV, the sources and the data version; views switch with a native select; band colours reach 3:1."""

import io
import re
from html.parser import HTMLParser

import pandas as pd
import pytest

import glutedata as gd
from glutedata import plots
from glutedata.views import evidence
from glutedata.views.figures import Figure, csv_cell, live_frontend
from glutedata.views.tables import MISSING, table

HOSTILE = '<script>window.__x=1</script><img src=x onerror=alert(1)>'
FORMULAS = ['=HYPERLINK("http://example.org","x")', "+SUM(A1)", "-2+3", "@cmd", "\tTAB"]


class Outline(HTMLParser):
    """Elements (tag, attributes, path of open tags) and the text of each element with an id."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements, self.stack, self.text, self.raw = [], [], {}, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.elements.append((tag, attrs, [t for t, _ in self.stack]))
        if tag not in ("br", "img", "input", "meta", "link"):
            self.stack.append((tag, attrs.get("id")))

    def handle_endtag(self, tag):
        while self.stack:
            t, _ = self.stack.pop()
            if t == tag:
                break

    def handle_data(self, data):
        for _, ident in self.stack:
            if ident:
                self.text[ident] = self.text.get(ident, "") + data
        self.raw.append(data)

    def find(self, tag, **attrs):
        return [a for t, a, _ in self.elements if t == tag and all(a.get(k) == v for k, v in attrs.items())]


def outline(html: str) -> Outline:
    o = Outline()
    o.feed(html)
    o.close()
    return o


def _csv_frame(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text), keep_default_na=False, dtype=str)


def _expected_csv(frame: pd.DataFrame) -> pd.DataFrame:
    def one(v):
        if isinstance(v, (list, tuple)):
            return "; ".join(map(str, v))
        return "" if pd.isna(v) else str(v)
    return pd.DataFrame({c: [one(v) for v in frame[c]] for c in frame.columns}).astype(str)


def test_a_chart_is_a_figure_with_caption_table_csv_and_citation(df):
    ranked = gd.rank("whole", df=df)
    fig = plots.ranked_bars(ranked, "GMed, whole muscle")
    assert isinstance(fig, Figure)
    html = fig._repr_html_()
    o = outline(html)
    assert len(o.find("figure")) == 1 and len(o.find("figcaption")) == 1
    chart = o.find("div", role="group")
    assert len(chart) == 1 and "plotly-graph-div" in chart[0]["class"] and chart[0]["aria-label"]
    desc = chart[0]["aria-describedby"]
    top = ranked.loc[ranked["estimate"].idxmax()]
    caption = " ".join(o.text[desc].split())
    assert caption.startswith("GMed, whole muscle.") and top["name"] in caption
    assert f"{top['estimate']:.1f} %MVIC" in caption and f"{top['ci_low']:.1f} to {top['ci_high']:.1f}" in caption
    # the data, folded, with human headers and rounded numbers
    assert '<details class="gd-data"><summary>Data</summary>' in html
    headers = [t for t, _, path in o.elements if t == "th"]
    assert headers and "95% CI" in html and "Studies (k)" in html and "Participants (n)" in html
    assert f"{top['ci_low']:.1f} to {top['ci_high']:.1f}" in html
    # the CSV link holds exactly the chart's data
    (link,) = o.find("a", **{"class": "gd-csv"})
    assert link["download"].endswith(".csv") and re.fullmatch(r"[a-z0-9-]+\.csv", link["download"])
    got = _csv_frame(link["data-csv"])
    assert list(got.columns) == list(fig.frame.columns) and len(got) == len(ranked)
    assert got.equals(_expected_csv(fig.frame))
    assert pd.to_numeric(got["estimate"]).tolist() == pytest.approx(ranked["estimate"].tolist())
    # the citation line: every source key and the data version
    version = gd.metadata()["version"]
    cite = "".join(o.raw)
    assert f"data version {version}" in cite
    assert all(k in cite for keys in ranked["sources"] for k in keys)


def test_the_notebook_bundle_keeps_the_interactive_chart_for_jupyterlab(df):
    fig = plots.ranked_bars(gd.rank("posterior", df=df))
    bundle = fig._repr_mimebundle_()
    lab = bundle["application/vnd.plotly.v1+json"]
    assert lab["data"][0]["type"] == "bar" and lab["layout"]["title"]["text"]
    assert lab["config"]["displaylogo"] is False and lab["config"]["modeBarButtons"] == [["toImage", "resetScale2d"]]
    assert "<figure" in bundle["text/html"] and bundle["text/plain"] == fig.caption()
    assert "displaylogo: false" in bundle["text/html"] and 'format: "svg"' in bundle["text/html"]


def test_every_chart_function_returns_a_figure_with_data_and_an_answer(df):
    c = gd.consensus("whole", df=df)
    figures = [plots.heatmap(df, statistic="median"), plots.forest(df, segment="whole"),
               plots.ladder(gd.progression("whole", equipment="none", df=df)), plots.coverage(df),
               plots.gap_map(gd.gaps(df, max_studies=99), df), plots.consensus(c), plots.network(c)]
    for fig in figures:
        assert isinstance(fig, Figure) and fig.answer and fig.frame is not None and len(fig.frame), fig.title
        html = fig._repr_html_()
        assert html.count("<table") == 1 and "data-csv=" in html and 'role="group"' in html, fig.title
        assert _csv_frame(outline(html).find("a", **{"class": "gd-csv"})[0]["data-csv"]).equals(
            _expected_csv(fig.frame)), fig.title
    forest = figures[1]
    pooled = forest.frame[forest.frame["row"] == "pooled"].sort_values("estimate")
    top = pooled.iloc[-1]
    assert f"{top['name']} {top['estimate']:.1f} %MVIC ({'95% credible interval'} {top['low']:.1f} to " \
           f"{top['high']:.1f}" in forest.answer and forest.answer.startswith("Pooled:")
    assert set(forest.frame["row"]) >= {"study", "pooled", "new study (95%)"}


def test_figures_survive_copies_and_layout_updates(df):
    import copy
    import pickle

    fig = plots.coverage(df)
    fig.update_layout(title="Values in the dataset")
    assert fig.caption().startswith("Values in the dataset.")
    for other in (copy.deepcopy(fig), pickle.loads(pickle.dumps(fig))):
        assert isinstance(other, Figure) and other.caption() == fig.caption() and other.frame.equals(fig.frame)


def _hostile_ranking(df):
    r = gd.rank("whole", df=df).head(len(FORMULAS) + 1).copy()
    r["name"] = [HOSTILE] + FORMULAS
    r["sources"] = [(HOSTILE,)] + [(k,) for k in r["sources"].iloc[1:].map(lambda s: s[0])]
    r.attrs["footnote"] = "Left out: " + HOSTILE
    return r


def test_hostile_text_stays_text_in_caption_table_chart_and_csv(df):
    r = _hostile_ranking(df)
    fig = plots.ranked_bars(r, title=HOSTILE)
    html = fig._repr_html_()
    o = outline(html)
    assert not o.find("img") and len(o.find("script")) == 1  # only the figure's own script
    script = html[html.index("<script>"):html.index("</script>")]
    assert "<script" not in script[8:] and "<img" not in script and HOSTILE not in script
    assert HOSTILE in "".join(o.raw)  # shown as the characters it holds (caption, table, footnote, sources)
    assert HOSTILE in " ".join(o.text[o.find("div", role="group")[0]["aria-describedby"]].split())
    assert o.find("div", role="group")[0]["aria-label"] == "Chart: " + HOSTILE
    csv = _csv_frame(o.find("a", **{"class": "gd-csv"})[0]["data-csv"])
    assert csv["name"].tolist() == [HOSTILE] + ["'" + f for f in FORMULAS]
    assert csv_cell("=1+1") == "'=1+1" and csv_cell("-") == "'-" and csv_cell("plain") == "plain"
    assert csv_cell(-2.5) == "-2.5" and csv_cell(None) == "" and csv_cell(("a", "b")) == "a; b"


def test_hostile_view_labels_and_tables_are_escaped(df):
    options = {HOSTILE: gd.rank("whole", df=df), "posterior": gd.rank("posterior", df=df)}
    html = plots.rank_explorer(df, options, title="GMed: ")._repr_html_()
    o = outline(html)
    assert not o.find("img") and len(o.find("script")) == 1
    assert [a["value"] for a in o.find("option")] == ["0", "1"]
    shown = table(_hostile_ranking(df), ["name", "estimate", "ci"]).to_html()
    assert "<script>" not in shown and "&lt;script&gt;" in shown and "<img" not in shown


def test_views_switch_with_a_labelled_native_select(df):
    options = {f"GMed {seg}": gd.rank(seg, df=df) for seg in ("anterior", "posterior", "whole")}
    options["empty"] = gd.rank("whole", df=df).head(0)
    fig = plots.rank_explorer(df, options, title="Ranked: ", label="Segment")
    html = fig._repr_html_()
    assert "updatemenus" not in html and "updatemenu" not in html
    o = outline(html)
    (select,) = o.find("select")
    (label,) = o.find("label")
    assert label["for"] == select["id"] and o.text.get(select["id"]) is not None
    assert [a["value"] for a in o.find("option")] == ["0", "1", "2"]  # the empty ranking is left out
    views = [a for t, a, _ in o.elements if "data-gd-view" in a]
    assert [v["data-gd-view"] for v in views] == ["0", "1", "2"]
    assert "hidden" not in views[0] and all("hidden" in v for v in views[1:])
    links = o.find("a", **{"class": "gd-csv"})
    assert len(links) == 3 and html.count("<table") == 3
    for (name, ranked), link in zip(list(options.items())[:3], links):
        assert _csv_frame(link["data-csv"])["name"].tolist() == ranked["name"].tolist()
    for i in range(3):
        assert f'id="{select["id"].removesuffix("-select")}-desc-{i}"' in html
    assert "Plotly.update(gd, {visible: view.visible}, view.layout)" in html


def test_views_are_an_ipywidgets_dropdown_in_jupyterlab(df, monkeypatch):
    pytest.importorskip("ipywidgets")
    options = {seg: gd.rank(seg, df=df) for seg in ("posterior", "whole")}
    fig = plots.rank_explorer(df, options)
    panel = fig.widget()
    choose, out = panel.children
    assert [label for label, _ in choose.options] == list(options) and choose.value == 0
    choose.value = 1  # shows the second view; nothing raises without a frontend
    monkeypatch.setenv("GLUTEDATA_WIDGETS", "1")
    assert live_frontend()
    monkeypatch.setenv("GLUTEDATA_WIDGETS", "0")
    assert not live_frontend()
    monkeypatch.delenv("GLUTEDATA_WIDGETS")
    assert not live_frontend()  # no kernel here: what is shown is the static page


def _luminance(colour: str) -> float:
    rgb = [int(colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two sRGB colours."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_band_colours_reach_3_to_1_and_bars_carry_the_band_as_text(df):
    assert contrast("#c6dbef", "#ffffff") < 1.5 and round(contrast("#000000", "#ffffff"), 1) == 21  # the formula
    for band in gd.BANDS:
        assert contrast(plots.BAND_COLOURS[band], "#ffffff") >= 3, band
        assert contrast(plots.BAND_TEXT[band], plots.BAND_COLOURS[band]) >= 4.5, band  # the label on the bar
    assert contrast(plots.NO_BAND, "#ffffff") >= 3
    for mark in (evidence.STUDY, evidence.POOLED, evidence.PI):
        assert contrast(mark, "#ffffff") >= 3, mark
    ranked = gd.rank("whole", df=df)
    bar = plots.ranked_bars(ranked).data[0]
    assert list(bar.text)[::-1] == [str(b) for b in ranked["band"]]
    assert all(f"band: {b}" in h for b, h in zip(ranked["band"], list(bar.hovertext)[::-1]))
    steps = gd.progression("whole", equipment="none", df=df)
    assert all(t.startswith(str(b)) for b, t in zip(steps["band"], plots.ladder(steps).data[0].text))


def test_tables_read_like_a_paper(df):
    ranked = gd.rank("whole", df=df)
    t = table(ranked, ["name", "estimate", "ci", "pi", "k", "n", "certainty", "sources"])
    assert list(t.shown.columns) == ["Exercise", "%MVIC", "95% CI", "New study (95%)", "Studies (k)",
                                     "Participants (n)", "Certainty", "Sources"]
    row = ranked.iloc[0]
    assert t.shown.iloc[0]["%MVIC"] == f"{row['estimate']:.1f}"
    assert t.shown.iloc[0]["95% CI"] == f"{row['ci_low']:.1f} to {row['ci_high']:.1f}"
    assert MISSING in set(t.shown["New study (95%)"])  # a single study has no new-study interval
    html = t.to_html()
    cells = re.findall(r"<td[^>]*>(.*?)</td>", html)
    assert cells and not {"NaN", "nan", "None", "&lt;NA&gt;", "<NA>"} & set(cells)
    assert not [c for c in cells if re.search(r"\d\.\d{4,}", c)]
    assert ranked.attrs["footnote"].split(";")[0] in html and '<p class="gd-footnote">' in html
    assert "<th></th>" not in html and "index" not in t.shown.columns  # no index column
    # every kind of frame the notebooks show: pooled rows, pivots, counts, Series
    pooled = gd.pool(df)
    assert "Exercise id" in table(pooled).shown.columns and "tau, 95% interval" in table(pooled).shown.columns
    pivot = pooled.pivot_table(index="exercise", columns=["muscle", "segment"], values="estimate", observed=True)
    shown = table(pivot).shown
    assert shown.columns[0] == "Exercise id" and "Gluteus medius, whole" in shown.columns
    assert not shown.map(lambda v: v in ("nan", "NaN", "None")).any().any()
    counts = table(df["statistic"].value_counts())
    assert list(counts.shown.columns) == ["Statistic", "Count"] and counts.shown["Count"].str.isdigit().all()
    assert "First 3 of" in (table(df, ["source", "pct_mvic"], rows=3).footnote or "")
    assert table(pd.DataFrame({"i2": [0.923], "p_low": [0.001], "weight_bearing": [True]})).shown.iloc[0].tolist() == [
        "92%", "<1%", "yes"]
