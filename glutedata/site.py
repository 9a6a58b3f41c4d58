"""Build the static site: execute every numbered notebook and render it to HTML, offline.

plotly.js is copied once from the installed plotly package into the site folder and every page
loads it from there, so the site works with no network.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbconvert import HTMLExporter

TEMPLATES = Path(__file__).parent / "templates"


def plotly_js() -> Path:
    """plotly.min.js of the installed plotly package."""
    import plotly
    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def page_name(notebook: Path) -> str:
    return "index.html" if notebook.stem.startswith("00") else f"{notebook.stem}.html"


def _title(nb) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return "glutedata"


def notebooks_in(folder) -> list[Path]:
    """The numbered notebooks ``NN-*.ipynb`` of a folder, in order; ValueError when there are none."""
    src = Path(folder)
    if not src.is_dir():
        raise ValueError(f"no such notebooks folder: {src}")
    files = sorted(src.glob("[0-9][0-9]-*.ipynb"))
    if not files:
        raise ValueError(f"no numbered notebooks (NN-name.ipynb) in {src}")
    return files


def build(notebooks="notebooks", out="site", *, timeout: int = 600, kernel: str = "python3") -> list[Path]:
    """Execute ``notebooks/NN-*.ipynb`` in order and write ``out/index.html`` plus one page per notebook.

    The notebooks on disk are not modified; executed copies go only into the site.
    """
    src, dest = Path(notebooks), Path(out)
    files = notebooks_in(src)
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(plotly_js(), dest / "plotly.min.js")
    books = [(f, nbformat.read(f, as_version=4)) for f in files]
    nav = [{"href": page_name(f), "title": _title(nb)} for f, nb in books]
    exporter = HTMLExporter(template_name="glutedata_site", extra_template_basedirs=[str(TEMPLATES)])
    pages = []
    for f, nb in books:
        NotebookClient(nb, timeout=timeout, kernel_name=kernel,
                       resources={"metadata": {"path": str(src.resolve())}}).execute()
        resources = {"metadata": {"name": _title(nb)},
                     "glutedata_nav": [{**p, "current": p["href"] == page_name(f)} for p in nav]}
        html, _ = exporter.from_notebook_node(nb, resources=resources)
        page = dest / page_name(f)
        page.write_text(html, encoding="utf-8")
        pages.append(page)
    return pages
