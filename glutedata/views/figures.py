"""Charts a reader can use without seeing them: every chart is a ``<figure>`` with its answer and its data.

:class:`Figure` is a plotly ``go.Figure`` (so ``fig.data``, ``fig.layout`` and ``fig.update_layout`` work as
before) that also knows what it shows. Displayed in a notebook it gives two representations:

- ``application/vnd.plotly.v1+json``: the interactive chart JupyterLab draws;
- ``text/html``, which the static site shows: a ``<figure>`` holding the chart (a group labelled by its title and
  described by its caption; once drawn, the drawing gets ``role="img"`` and the same label, while the toolbar's
  buttons stay reachable), a ``<figcaption>`` with the title and the one-line answer, the chart's data as a
  table (folded under "Data"), a link that downloads that data as CSV and a citation line (the source keys and
  the data version).

:class:`Views` is a figure with several views (several rankings, say) and a native ``<select>`` that switches
between them on the site, each view with its own caption, table and CSV; in JupyterLab it is an ipywidgets
dropdown. No figure uses plotly's own ``updatemenus``, which a keyboard cannot reach.

Everything taken from the data is escaped: :func:`glutedata.markup.html` for the HTML, JSON with ``<``, ``>`` and
``&`` as ``\\u`` escapes inside the script, and CSV cells that a spreadsheet would read as a formula (a leading
``=``, ``+``, ``-``, ``@``, tab or carriage return) get a leading apostrophe.
"""

from __future__ import annotations

import html as _html
import numbers
import os
import re
import uuid

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from ..markup import html as _h
from .tables import is_missing, table

# The toolbar keeps what helps a reader: download the chart as PNG (and as SVG, a button added on the site),
# reset the axes after a zoom. No plotly logo.
BUTTONS = ["toImage", "resetScale2d"]
LAB_CONFIG = {"responsive": True, "displaylogo": False, "modeBarButtons": [BUTTONS],
              "toImageButtonOptions": {"format": "png"}}
FORMULA = ("=", "+", "-", "@", "\t", "\r")
_EXTRAS = ("_gd_answer", "_gd_table", "_gd_sources", "_gd_name", "_gd_columns", "_gd_footnote")

# Defined once per page (every figure carries it, the first one to run defines it): draw the chart, fill the CSV
# links from their data-csv attribute (a Blob: works offline, needs no data: address) and wire the view select.
SCRIPT = """window.gdFigure = window.gdFigure || function (id, spec) {
  var gd = document.getElementById(id), fig = gd.closest("figure");
  var svg = {name: "Download the chart as SVG", icon: Plotly.Icons.disk,
             click: function (g) { Plotly.downloadImage(g, {format: "svg", filename: spec.name}); }};
  // the drawing is the image (the toolbar's buttons stay outside it, reachable by keyboard); other layers are hidden
  function label() {
    gd.querySelectorAll("svg.main-svg").forEach(function (s, i) {
      if (i) { s.setAttribute("aria-hidden", "true"); return; }
      s.setAttribute("role", "img");
      s.setAttribute("aria-label", gd.getAttribute("aria-label"));
      s.setAttribute("aria-describedby", gd.getAttribute("aria-describedby"));
    });
  }
  Plotly.newPlot(gd, spec.data, spec.layout, {responsive: true, displaylogo: false,
    modeBarButtons: [["toImage", svg, "resetScale2d"]], toImageButtonOptions: {format: "png", filename: spec.name}}
  ).then(function () { label(); gd.on("plotly_afterplot", label); });
  fig.querySelectorAll("a[data-csv]").forEach(function (a) {
    a.href = URL.createObjectURL(new Blob(["\\ufeff" + a.getAttribute("data-csv")], {type: "text/csv;charset=utf-8"}));
  });
  var select = fig.querySelector("select.gd-view-select");
  if (select) { select.addEventListener("change", function () {
    var i = Number(select.value), view = spec.views[i];
    Plotly.update(gd, {visible: view.visible}, view.layout);
    fig.querySelectorAll("[data-gd-view]").forEach(function (e) { e.hidden = e.getAttribute("data-gd-view") != i; });
    gd.setAttribute("aria-label", view.label);
    gd.setAttribute("aria-describedby", id + "-desc-" + i);
    label();
  }); }
};"""


def live_frontend() -> bool:
    """Whether outputs go to a person at a notebook (JupyterLab), who can use widgets, rather than into a notebook
    executed for the static site. The site build (nbclient) runs every cell with stdin disallowed, a notebook
    frontend allows it; ``GLUTEDATA_WIDGETS=1`` or ``0`` decides instead."""
    chosen = os.environ.get("GLUTEDATA_WIDGETS", "").strip()
    if chosen in ("0", "1"):
        return chosen == "1"
    try:
        import ipywidgets  # noqa: F401
        from IPython import get_ipython
    except ImportError:
        return False
    kernel = getattr(get_ipython(), "kernel", None)
    return bool(kernel is not None and getattr(kernel, "_allow_stdin", False))


def slug(text, default: str = "chart") -> str:
    """A file name stem from a title: lower-case letters, digits and hyphens."""
    s = re.sub(r"[^a-z0-9]+", "-", _plain(text).lower()).strip("-")[:60].strip("-")
    return s or default


def _plain(text) -> str:
    """Plain text from plotly chart text (our own ``<br>``/``<b>`` tags out, entities decoded)."""
    t = re.sub(r"<br\s*/?>", " ", "" if text is None else str(text), flags=re.I)
    return " ".join(_html.unescape(re.sub(r"</?(b|i|em|strong|sup|sub|span)\b[^>]*>", "", t)).split())


def csv_cell(value) -> str:
    """A CSV cell: lists as ``a; b``, missing values empty, and text a spreadsheet would run as a formula with a
    leading apostrophe."""
    if isinstance(value, (list, tuple, set)):
        value = "; ".join(str(v) for v in (sorted(value) if isinstance(value, set) else value))
    elif is_missing(value):
        return ""
    elif isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)):
        return str(value)  # a negative number is a number, not a formula
    text = str(value)
    return "'" + text if text.startswith(FORMULA) else text


def csv_text(frame: pd.DataFrame) -> str:
    """``frame`` as CSV text: its own column names and values (not rounded), text cells made safe by
    :func:`csv_cell`."""
    out = pd.DataFrame({csv_cell(c): [csv_cell(v) for v in frame[c]] for c in frame.columns},
                       index=range(len(frame)), dtype=object)
    return out.to_csv(index=False, lineterminator="\n")


def _json(obj) -> str:
    """JSON for an inline script: ``<``, ``>`` and ``&`` escaped, so no data can close the script."""
    text = pio.json.to_json_plotly(obj)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _version() -> str:
    try:
        from ..data.loaders import metadata
        return str(metadata().get("version") or "?")
    except Exception:  # an unreadable data folder: the chart still renders, with "?" for the version
        return "?"


class Figure(go.Figure):
    """A plotly figure with what a reader needs besides the picture: the answer it gives, its data, its sources.

    ``Figure(fig, answer="...", table=frame, sources=keys, name="file-stem")``; ``fig`` is any plotly figure (or
    what ``go.Figure`` accepts). The title is read from the layout when the figure is shown, so
    ``fig.update_layout(title=...)`` changes the caption too. ``table`` is the chart's data, raw: the figure shows
    it rounded (:func:`glutedata.views.tables.table`, ``columns`` picks what is shown) and offers it as CSV as it
    is. ``footnote`` (default ``table.attrs["footnote"]``) goes under the table.
    """

    def __init__(self, data=None, layout=None, frames=None, skip_invalid=False, *, answer: str = "",
                 table: pd.DataFrame | None = None, sources=(), name: str | None = None, columns=None,
                 footnote: str | None = None, **kwargs):
        super().__init__(data, layout, frames, skip_invalid, **kwargs)
        self._gd_answer, self._gd_table, self._gd_columns = answer, table, columns
        keys = [sources] if isinstance(sources, str) else [k for g in sources for k in
                                                              ([g] if isinstance(g, str) else g)]
        self._gd_sources = sorted({str(k) for k in keys if not is_missing(k)})
        self._gd_name = name
        self._gd_footnote = footnote if footnote is not None else (
            table.attrs.get("footnote") if table is not None else None)

    def __reduce__(self):  # copies and pickles keep what the figure says, not only what it draws
        cls, args = super().__reduce__()
        return cls, args, {k: getattr(self, k, None) for k in _EXTRAS}

    @property
    def title(self) -> str:
        return _plain(self.layout.title.text) or "Chart"

    @property
    def answer(self) -> str:
        return self._gd_answer

    @property
    def frame(self) -> pd.DataFrame | None:
        """The chart's data as given (the CSV download holds exactly this)."""
        return self._gd_table

    @property
    def sources(self) -> list[str]:
        return list(self._gd_sources)

    @property
    def file_name(self) -> str:
        return slug(self._gd_name or self.title) + ".csv"

    def caption(self) -> str:
        """Title and answer as one line of plain text."""
        title = self.title.rstrip(". ")
        return f"{title}. {self._gd_answer}".strip() if self._gd_answer else title + "."

    def csv(self) -> str:
        return csv_text(self._gd_table) if self._gd_table is not None else ""

    def _caption_html(self, desc_id: str, version: str) -> str:
        title, answer = _h(self.title.rstrip(". ")), _h(self._gd_answer)
        parts = [f'<p class="gd-caption" id="{desc_id}"><strong>{title}.</strong> {answer}</p>']
        if self._gd_table is not None:
            shown = table(self._gd_table, self._gd_columns, footnote=self._gd_footnote or "")
            parts.append(f'<details class="gd-data"><summary>Data</summary>'
                         f'{shown.to_html(label="Data: " + self.title)}</details>')
        links = []
        if self._gd_table is not None:
            links.append(f'<a class="gd-csv" download="{_h(self.file_name)}" data-csv="{_h(self.csv())}">'
                         f"Download the data (CSV)</a>")
        keys = ", ".join(self._gd_sources) or "none"
        links.append(f'<span class="gd-cite">Sources: {_h(keys)}. Data: glutedata, data version {_h(version)}.'
                     "</span>")
        parts.append(f'<p class="gd-figure-links">{" ".join(links)}</p>')
        return "".join(parts)

    def to_figure_html(self) -> str:
        """The ``<figure>`` the site shows (plotly.js must already be on the page)."""
        uid = "gd-" + uuid.uuid4().hex[:12]
        spec = {"name": slug(self._gd_name or self.title), **_plotly(self)}
        return _figure_html(uid, spec, self.title, f"<figcaption>{self._caption_html(uid + '-desc-0', _version())}"
                                                   "</figcaption>")

    def _repr_html_(self) -> str:
        return self.to_figure_html()

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs) -> dict:
        return {"application/vnd.plotly.v1+json": {**_plotly(self), "config": LAB_CONFIG},
                "text/html": self.to_figure_html(), "text/plain": self.caption()}

    def _ipython_display_(self) -> None:
        from IPython.display import display
        display(self._repr_mimebundle_(), raw=True)


def _plotly(fig: go.Figure) -> dict:
    import json
    return json.loads(pio.to_json(fig, validate=False, remove_uids=False))


def _figure_html(uid: str, spec: dict, label: str, caption: str, before: str = "") -> str:
    # a labelled group, described by the caption: plotly's toolbar inside it is made of buttons, so the role "img"
    # (whose content a screen reader skips) goes on the drawing itself once it is drawn
    chart = (f'<div id="{uid}" class="plotly-graph-div gd-chart" role="group" aria-label="{_h("Chart: " + label)}"'
             f' aria-describedby="{uid}-desc-0" style="width:100%"></div>')
    script = f'<script>{SCRIPT}\ngdFigure("{uid}", {_json(spec)});</script>'
    # the script comes last: the caption's links and the control exist when it runs
    return f'<figure class="gd-figure">{before}{chart}{caption}{script}</figure>'


class Views(Figure):
    """A figure with several views and a control to switch between them (``views``: label -> :class:`Figure`,
    one trace each). The figure itself draws every view's trace, the first one visible; ``label`` names the
    control."""

    def __init__(self, data=None, layout=None, frames=None, skip_invalid=False, *, views=None,
                 label: str = "View", **kwargs):
        super().__init__(data, layout, frames, skip_invalid, **kwargs)
        self._gd_views = list((views or {}).items())
        self._gd_label = label

    def __reduce__(self):
        cls, args, state = super().__reduce__()
        return cls, args, {**state, "_gd_views": self._gd_views, "_gd_label": self._gd_label}

    @property
    def views(self) -> list[tuple[str, Figure]]:
        """(label, figure) of each view, in the order of the control."""
        return list(self._gd_views)

    def switches(self) -> list[dict]:
        """What the control does for each view: which traces are visible and the layout to apply."""
        out = []
        for i, (label, fig) in enumerate(self._gd_views):
            lay = fig.layout
            out.append({"label": label, "visible": [j == i for j in range(len(self._gd_views))],
                        "layout": {"title.text": lay.title.text, "height": lay.height, "margin.b": lay.margin.b,
                                   "annotations": [a.to_plotly_json() for a in lay.annotations],
                                   "shapes": [s.to_plotly_json() for s in lay.shapes]}})
        return out

    def to_figure_html(self) -> str:
        if not self._gd_views:
            return super().to_figure_html()
        uid, version = "gd-" + uuid.uuid4().hex[:12], _version()
        spec = {"name": slug(self._gd_name or self.title), **_plotly(self),
                "views": [{**s, "label": "Chart: " + _plain(s["layout"]["title.text"])} for s in self.switches()]}
        options = "".join(f'<option value="{i}"{" selected" if i == 0 else ""}>{_h(label)}</option>'
                          for i, (label, _) in enumerate(self._gd_views))
        control = (f'<p class="gd-views"><label for="{uid}-select">{_h(self._gd_label)}</label> '
                   f'<select id="{uid}-select" class="gd-view-select">{options}</select></p>')
        blocks = "".join(f'<div data-gd-view="{i}"{" hidden" if i else ""}>'
                         f"{fig._caption_html(f'{uid}-desc-{i}', version)}</div>"
                         for i, (_, fig) in enumerate(self._gd_views))
        first = self._gd_views[0][1].title
        return _figure_html(uid, spec, first, f"<figcaption>{blocks}</figcaption>", before=control)

    def widget(self):
        """The views behind an ipywidgets dropdown (JupyterLab)."""
        import ipywidgets as w
        from IPython.display import display

        choose = w.Dropdown(options=[(label, i) for i, (label, _) in enumerate(self._gd_views)], value=0,
                            description=self._gd_label, style={"description_width": "initial"})
        out = w.Output()

        def show(*_):
            with out:
                out.clear_output(wait=True)
                display(self._gd_views[choose.value][1])
        choose.observe(show, "value")
        show()
        return w.VBox([choose, out])

    def _ipython_display_(self) -> None:
        from IPython.display import display
        if self._gd_views and live_frontend():
            display(self.widget())
        else:
            display(self._repr_mimebundle_(), raw=True)


def chart_html(fig_dict: dict) -> str:
    """A plain plotly figure (no caption, no data) as the site shows it: a labelled chart in a ``<figure>``."""
    fig = Figure(fig_dict)
    uid = "gd-" + uuid.uuid4().hex[:12]
    caption = f'<figcaption><p class="gd-caption" id="{uid}-desc-0">{_h(fig.title)}</p></figcaption>'
    return _figure_html(uid, {"name": slug(fig.title), **_plotly(fig)}, fig.title, caption)
