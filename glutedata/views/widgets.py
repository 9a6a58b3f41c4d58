"""A JupyterLab panel of filters over :func:`glutedata.rank` (needs ipywidgets: ``pip install glutedata[lab]``).

The static site cannot run a kernel: its pages switch between precomputed views with a native ``<select>``
(:func:`glutedata.plots.rank_explorer`, which in JupyterLab is an ipywidgets dropdown too).
"""

from __future__ import annotations

import pandas as pd

ANY = "any"


def _choices(series: pd.Series) -> list[str]:
    return [ANY] + sorted({str(v) for v in series.dropna()})


def explorer(df: pd.DataFrame | None = None):
    """Dropdowns for muscle, segment, weight-bearing, equipment, position and population, and the ranked
    bars they select. The widget's ``ranking`` attribute holds the current :func:`glutedata.rank` frame."""
    import ipywidgets as w
    from IPython.display import display

    from ..data.loaders import load
    from ..query.ranking import rank
    from . import plots

    df = load() if df is None else df
    controls = {
        "muscle": w.Dropdown(options=sorted({str(m) for m in df["muscle"].dropna()}), value="gluteus_medius",
                             description="muscle"),
        "segment": w.Dropdown(options=["anterior", "middle", "posterior", "whole"], value="posterior",
                              description="segment"),
        "weight_bearing": w.Dropdown(options=[(ANY, None), ("yes", True), ("no", False)], value=None,
                                     description="weight-bearing"),
        "equipment": w.Dropdown(options=_choices(df["equipment"]), value=ANY, description="equipment"),
        "position": w.Dropdown(options=_choices(df["position"]), value=ANY, description="position"),
        "population": w.Dropdown(options=_choices(df["population"]), value="healthy", description="population"),
    }
    out = w.Output()
    panel = w.VBox([w.HBox(list(controls.values())[:3]), w.HBox(list(controls.values())[3:]), out])

    def update(*_):
        v = {k: (None if c.value == ANY else c.value) for k, c in controls.items()}
        panel.ranking = rank(v["segment"], v["muscle"], weight_bearing=v["weight_bearing"], equipment=v["equipment"],
                             position=v["position"], population=v["population"], df=df)
        with out:
            out.clear_output(wait=True)
            if panel.ranking.empty:
                print("No values for this combination.")
            else:
                display(plots.ranked_bars(panel.ranking, f"{v['muscle']}, {v['segment']}"))

    for c in controls.values():
        c.observe(update, "value")
    update()
    return panel
