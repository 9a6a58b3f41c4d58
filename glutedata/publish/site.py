"""Build the static site: execute every numbered notebook and render it to HTML, offline, then write the
pages generated from the data (:mod:`glutedata.pages`) and an example handout.

plotly.js is copied once from the installed plotly package into the site folder and every page
loads it from there, so the site works with no network. Executed notebooks are cached under a key
made of the notebook's text, the data files, the package's source and version and the libraries
that shape the outputs, so a rebuild runs only the notebooks whose inputs changed; rendered pages are
cached too, keyed also on the templates, the navigation and the footer.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbconvert import HTMLExporter
from traitlets.config import Config

from .._version import __version__
from ..data.files import check_outside, copy_atomic, has_generator_meta, write_atomic
from ..data.io import data_dir
from ..data.loaders import metadata
from . import api, pages
from .digest import hash_files, hash_versions
from .render import TEMPLATES
from .render import footer as render_footer

# Libraries whose versions change what an executed notebook shows (reprs, charts, numbers).
OUTPUT_LIBRARIES = ("pandas", "numpy", "plotly", "statsmodels", "ipykernel", "IPython", "nbformat")
# Environment that changes what the notebooks load (the data folder, whether it is validated).
OUTPUT_ENVIRONMENT = ("GLUTEDATA_DATA", "GLUTEDATA_VALIDATE")
CACHE_ENTRIES_KEPT = 3  # entries kept per notebook (and for the data pages): switching data versions stays fast
SITE_MARKER = ".glutedata-site"  # written into every site folder: build-site may replace what is in it


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


def default_cache_dir(notebooks) -> Path:
    """``.cache/glutedata-site`` next to the notebooks folder (the project root of a checkout)."""
    return Path(notebooks).resolve().parent / ".cache" / "glutedata-site"


def inputs_digest() -> str:
    """SHA-256 of what a notebook's outputs depend on besides its own text: the data files, the package's
    version and source files, the Python and library versions, and the GLUTEDATA_ environment."""
    h = hashlib.sha256(f"glutedata {__version__}\npython {sys.version}\n".encode())
    hash_versions(h, OUTPUT_LIBRARIES)
    for var in OUTPUT_ENVIRONMENT:
        h.update(f"{var}={os.environ.get(var, '')}\n".encode())
    hash_files(h, data_dir(), "*")
    hash_files(h, Path(__file__).parents[1], "*.py")  # every layer of the package, not only this one
    return h.hexdigest()


def _look_digest(nav, footer: dict, citation: Path) -> str:
    """SHA-256 of what a page's HTML depends on besides its content: templates, navigation, footer, citation."""
    h = hashlib.sha256(json.dumps([nav, footer], sort_keys=True).encode())
    hash_files(h, TEMPLATES, "*")
    h.update(citation.read_bytes() if citation.is_file() else b"-")
    return h.hexdigest()


def _key(*parts: str | bytes) -> str:
    return hashlib.sha256(b"\0".join(p.encode() if isinstance(p, str) else p for p in parts)).hexdigest()


def cached(store: Path | None, name: str, key: str, make) -> tuple[str, bool]:
    """The text ``make()`` returns, kept in ``store`` as ``name.<key>`` and read back while ``key`` is unchanged;
    the second value says whether it came from the store (``store=None`` always calls ``make``)."""
    entry = store / f"{name}.{key[:32]}" if store is not None else None
    if entry is not None and entry.is_file():
        return entry.read_text(encoding="utf-8"), True
    text = make()
    if entry is not None:
        store.mkdir(parents=True, exist_ok=True)
        partial = entry.with_name(entry.name + ".partial")
        partial.write_text(text, encoding="utf-8")
        partial.replace(entry)  # an interrupted build never leaves a truncated entry behind
        older = sorted(store.glob(f"{name}.*"), key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in [p for p in older if not p.name.endswith(".partial")][CACHE_ENTRIES_KEPT:]:
            stale.unlink(missing_ok=True)
    return text, False


def _kernel_config(sockets: str) -> Config:
    config = Config()
    if os.name == "posix":
        # Local sockets in a private folder instead of TCP ports: no network is touched and ipykernel has no
        # reason to warn that its TCP traffic is unencrypted. The absolute path keeps client and kernel
        # (started in the notebooks folder) on the same sockets.
        config.KernelManager.transport = "ipc"
        config.KernelManager.ip = str(Path(sockets) / "kernel")
    return config


def execute(path: Path, *, key: str, cache: Path | None, timeout: int = 600, kernel: str = "python3"):
    """The executed notebook at ``path`` and whether it came from the cache (``cache=None``: always run)."""
    def run() -> str:
        nb = nbformat.read(path, as_version=4)
        with tempfile.TemporaryDirectory(prefix="glutedata-kernel-") as sockets:
            NotebookClient(nb, timeout=timeout, kernel_name=kernel, config=_kernel_config(sockets),
                           resources={"metadata": {"path": str(path.parent.resolve())}}).execute()
        return nbformat.writes(nb)
    text, hit = cached(cache, f"{path.stem}.ipynb", key, run)
    return nbformat.reads(text, as_version=4), hit


def _copy_if_changed(src: Path, dest: Path) -> None:
    if not dest.is_file() or dest.stat().st_size != src.stat().st_size or dest.read_bytes() != src.read_bytes():
        copy_atomic(src, dest)


def is_site(folder) -> bool:
    """Whether a folder holds a site written by :func:`build` (its marker file, or a generator meta in index.html)."""
    folder = Path(folder)
    return (folder / SITE_MARKER).is_file() or has_generator_meta(folder / "index.html")


def build(notebooks="notebooks", out="site", *, timeout: int = 600, kernel: str = "python3",
          cache_dir=None, cache: bool = True, progress=print) -> list[Path]:
    """Execute ``notebooks/NN-*.ipynb`` in order and write ``out/index.html`` plus one page per notebook,
    then the data browser, the exercise and study pages, the glossary, the citation page, an example
    handout and the API reference in ``out/api/``. Returns every page written.

    ``progress`` receives one line per page with its time (``None`` keeps quiet). Executed notebooks and
    rendered pages are cached in ``cache_dir`` (default :func:`default_cache_dir`); ``cache=False`` runs
    every notebook. The notebooks on disk are not modified; executed copies go only into the cache and the site.
    """
    src, dest = Path(notebooks), Path(out)
    files = notebooks_in(src)
    store = (Path(cache_dir) if cache_dir is not None else default_cache_dir(src)) if cache else None
    check_outside(dest, [data_dir()])  # never into the data, whatever the caller checked
    if store is not None:
        check_outside(store, [data_dir()])
    dest.mkdir(parents=True, exist_ok=True)
    write_atomic(dest / SITE_MARKER, f"glutedata {__version__}\nWritten by glutedata build-site, which "
                 "replaces the files of this folder when it builds the site again.\n")
    _copy_if_changed(plotly_js(), dest / "plotly.min.js")
    inputs = inputs_digest()
    citation = src.resolve().parent / "CITATION.cff"
    footer = render_footer(metadata())
    titles = [(f, _title(nbformat.read(f, as_version=4))) for f in files]
    nav = [(page_name(f), title) for f, title in titles] + pages.NAV
    look = _look_digest(nav, footer, citation)
    exporter = HTMLExporter(template_name="glutedata_site", extra_template_basedirs=[str(TEMPLATES)])

    def say(name: str, what: str, seconds: float) -> None:
        if progress:
            progress(f"{name:<40} {what:>10} {seconds:6.1f} s")

    written = []
    for f, title in titles:
        start, ran = time.perf_counter(), []
        key = _key(inputs, kernel, f.read_bytes())

        def render(f=f, title=title, key=key, ran=ran) -> str:
            nb, hit = execute(f, key=key, cache=store, timeout=timeout, kernel=kernel)
            ran.append(not hit)
            resources = {"metadata": {"name": title}, "glutedata_footer": footer,
                         "glutedata_nav": [{"href": h, "title": t, "current": h == page_name(f)} for h, t in nav]}
            return exporter.from_notebook_node(nb, resources=resources)[0]
        html, _ = cached(store, f"{f.stem}.html", _key(key, look), render)
        page = dest / page_name(f)
        write_atomic(page, html)
        written.append(page)
        say(page.name, "cached" if not ran else "executed" if ran[0] else "rendered", time.perf_counter() - start)

    def generate() -> str:
        ctx = pages.context(citation=citation)
        groups = []
        for label, make in pages.groups(ctx, nav):
            start = time.perf_counter()
            groups.append({"label": label, "pages": make(), "seconds": time.perf_counter() - start})
        return json.dumps(groups)
    start = time.perf_counter()
    text, hit = cached(store, "pages.json", _key(inputs, look), generate)
    for group in json.loads(text):
        for rel, html in group["pages"]:
            path = dest / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, html)
            written.append(path)
        count = len(group["pages"])
        if hit:
            say(group["label"], "cached", time.perf_counter() - start)
            start = time.perf_counter()
        else:
            say(group["label"], f"{count} pages" if count > 1 else "written", group["seconds"])
    written += write_api(dest, store, nav, footer, look, say)
    return written


def write_api(dest: Path, store: Path | None, nav, footer: dict, look: str, say) -> list[Path]:
    """The API reference (:mod:`glutedata.publish.api`) in ``dest/api/``, cached on the package's source and
    the site's look. Returns its HTML pages."""
    start = time.perf_counter()
    text, hit = cached(store, "api.json", _key(api.digest(), look), lambda: json.dumps(api.pages(nav, footer)))
    pages_written = []
    for rel, body in json.loads(text):
        path = dest / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, body)
        if path.suffix == ".html":
            pages_written.append(path)
    say(f"{api.FOLDER}/*.html", "cached" if hit else f"{len(pages_written)} pages", time.perf_counter() - start)
    return pages_written
