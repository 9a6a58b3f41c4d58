"""The API reference: pages made by pdoc from the docstrings, written into the site's ``api/`` folder.

The reference documents the public surface: the facade ``glutedata`` (every name in ``glutedata.__all__``,
each with its signature and full docstring) and the chart module ``glutedata.plots``. The facade imports
its names on first use, so they are resolved before pdoc reads it; the functions ``plots`` re-exports
(imports marked ``noqa: F401``, e.g. ``plots.forest``) are documented with it.

Nothing is fetched: pdoc inlines its styles and scripts, maths (MathJax) and diagrams (Mermaid), the only
features that would load from a CDN, are off, and its logo (a ``data:`` image linking to pdoc.dev) is
left out. Every page carries the site's header and footer (``templates/glutedata_site/gd_chrome.html.j2``)
and is adjusted to pass the site's accessibility checks (:func:`accessible`, and the style below).
The facade's names are imported here by the package's name, as a documentation tool reads any package;
no layer imports the facade.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import importlib
import inspect
import re
import sys
from functools import cached_property
from pathlib import Path

from .digest import hash_files, hash_versions
from .render import TEMPLATES

PACKAGE = "glutedata"
# The documented modules: (module, the name users reach it by).
MODULES = ((PACKAGE, PACKAGE), (f"{PACKAGE}.views.plots", f"{PACKAGE}.plots"))
FOLDER = "api"
INDEX = f"{FOLDER}/index.html"  # the entry of the site's navigation
RENDERERS = ("pdoc", "markdown2", "Pygments", "Jinja2")  # their versions change the pages
_PERMALINK = re.compile(r'<a class="headerlink" href="#([\w.]+)"></a>')
_ROLE = re.compile(r":(?:py:)?(\w+):`~?([^`]+)`")  # a reST cross-reference such as :func:`glutedata.rank`

# pdoc's templates, extended: the site's header (skip link, navigation) and footer on every page, the skip link's
# target on pdoc's <main>, no pdoc logo, and a landing page. Landmarks: header, pdoc's sidebar <nav>, one <main>,
# footer, all at the top level.
_TEMPLATES = {
    "frame.html.jinja2": """\
{% extends "default/frame.html.jinja2" %}
{% import "gd_chrome.html.j2" as chrome %}
{% block head %}{{ chrome.style() }}{% endblock %}
{% block body %}
{% set root = "../" * ((module.modulename.count(".") + 1) if module else 1) %}
{% if chrome.header is defined %}{{ chrome.header(glutedata_nav, root) }}
{% else %}{{ chrome.nav(glutedata_nav, root) }}{% endif %}
{{ super() }}
{{ chrome.footer(glutedata_footer, root) }}
{% endblock %}
""",
    "module.html.jinja2": """\
{% extends "default/module.html.jinja2" %}
{% block module_list_link %}
<a class="pdoc-button module-list-button" href="{{ "../" * module.modulename.count(".") }}index.html">
{% include "resources/box-arrow-in-left.svg" %}&nbsp;API index</a>
{% endblock %}
{% block attribution %}{% endblock %}
""",
    "index.html.jinja2": """\
{% set root_module_name = false %}
{% extends "default/index.html.jinja2" %}
{% block title %}glutedata API reference{% endblock %}
{% block nav %}
{% if search %}<input type="search" placeholder="Search..." role="searchbox" aria-label="search" pattern=".+" required>
{% endif %}
<h2>Modules</h2>
<ul>{% for m in glutedata_index %}<li><a href="{{ m.href }}">{{ m.title }}</a></li>{% endfor %}</ul>
{% endblock %}
{% block content %}
<main class="pdoc" id="gd-content">
<h1>glutedata API reference</h1>
<p>Every public name, its signature and its docstring, generated from the code of glutedata
{{ glutedata_footer.package }}. <code>import glutedata as gd</code>, then <code>gd.&lt;name&gt;</code>.</p>
{% for m in glutedata_index %}
<h2><a href="{{ m.href }}">{{ m.title }}</a></h2>
<p>{{ m.summary }}</p>
<dl class="gd-api-index">
{% for item in m["items"] %}
<dt><a href="{{ item.href }}"><code>{{ item.name }}</code></a></dt><dd>{{ item.summary }}</dd>
{% endfor %}
</dl>
{% endfor %}
</main>
{% if search %}{% include "search.html.jinja2" %}{% endif %}
{% endblock %}
""",
    # pdoc styles every <nav> as its fixed sidebar: the site's header and footer sit beside it instead. Colours
    # at 4.5:1 or more on pdoc's grey, links in running text underlined, long signatures wrapped on a phone.
    "custom.css": """\
nav.gd-nav { position: static; height: auto; width: auto; overflow: visible; }
header.gd-header { padding: 0; width: auto; max-width: none; }
@media (min-width: 770px) {
  nav.pdoc { top: 0; }
  header.gd-header, footer.gd-footer { margin-left: var(--sidebar-width); }
}
@media (max-width: 769px) {
  .pdoc .attr { overflow-x: visible; overflow-wrap: anywhere; }
  .pdoc .param, .pdoc .return-annotation { white-space: pre-wrap; }
}
.pdoc { --def: #006400; }
.pdoc .kc, .pdoc .nb, .pdoc .bp { color: #006b00; }
main.pdoc a:not(.headerlink):not(.pdoc-button) { text-decoration: underline; }
.pdoc .search-result .docstring { max-height: none; overflow: visible; }
dl.gd-api-index dt { margin-top: .6rem; }
dl.gd-api-index dd { margin-left: 1.5rem; }
""",
}


def digest() -> str:
    """SHA-256 of what the reference depends on besides the site's look: the package's source files (the
    docstrings and signatures), this Python, and pdoc and the libraries it renders with."""
    h = hashlib.sha256(f"python {sys.version}\n".encode())
    hash_versions(h, RENDERERS)
    hash_files(h, Path(__file__).resolve().parents[1], "*.py")
    return h.hexdigest()


def _reexported(module) -> set[str]:
    """Names a module imports to re-export them: the names of ``from ... import ...  # noqa: F401`` lines."""
    try:
        source = inspect.getsource(module)
    except (OSError, TypeError):
        return set()
    lines = source.splitlines()
    return {a.asname or a.name for node in ast.walk(ast.parse(source)) if isinstance(node, ast.ImportFrom)
            for a in node.names if "F401" in lines[node.lineno - 1] and not a.name.startswith("_")}


def _summary(text: str | None) -> str:
    """The first paragraph of a docstring as one line of plain text, reST roles and double backquotes dropped
    (``:func:`rank``` becomes ``rank()``)."""
    first = (text or "").strip().split("\n\n", 1)[0]
    first = _ROLE.sub(lambda m: m[2] + ("()" if m[1] in ("func", "meth") else ""), first)
    return " ".join(first.replace("``", "").split())


def accessible(html: str) -> str:
    """A page of pdoc's made to pass the site's accessibility checks (WCAG 2.2 AA, with axe-core): the skip
    link's target on its <main>, a name for each permalink (pdoc's are empty links) and code blocks that can
    be scrolled from the keyboard. Colours and underlined links are in the pages' style (``custom.css``)."""
    html = html.replace('<main class="pdoc">', '<main class="pdoc" id="gd-content">', 1)
    html = _PERMALINK.sub(lambda m: f'<a class="headerlink" href="#{m[1]}" aria-label="Link to {m[1]}"></a>', html)
    return html.replace("<pre>", '<pre tabindex="0">')


def _import_pdoc():
    try:
        import pdoc.doc
        import pdoc.render
    except ImportError:
        raise RuntimeError("the API reference needs pdoc: pip install -e '.[site]'") from None
    return pdoc


@contextlib.contextmanager
def _pdoc_configured(pdoc, **values):
    """pdoc's renderer configured for the site, restored afterwards (its settings are module globals)."""
    import jinja2

    env = pdoc.render.env
    saved_loader, saved_globals = env.loader, dict(env.globals)
    # math and mermaid would load MathJax and Mermaid from a CDN; they stay off
    pdoc.render.configure(docformat="numpy", math=False, mermaid=False, search=True, show_source=True)
    base = Path(pdoc.render.__file__).parent / "templates"
    env.loader = jinja2.ChoiceLoader([  # pdoc's own templates only: no user templates from ~/.config/pdoc
        jinja2.DictLoader(_TEMPLATES), jinja2.FileSystemLoader(str(TEMPLATES / "glutedata_site")),
        jinja2.FileSystemLoader([str(base), str(base / "default"), str(base / "deprecated")])])
    env.globals.update(values)
    try:
        yield
    finally:
        env.loader = saved_loader
        env.globals.clear()
        env.globals.update(saved_globals)


def _documents(pdoc) -> dict:
    """pdoc's documentation objects of :data:`MODULES`, by module name, with the facade's names resolved."""

    class Public(pdoc.doc.Module):
        """A module with the functions it re-exports (``plots.forest`` is defined in ``views.evidence``)."""

        @cached_property
        def _member_objects(self):
            members = dict(super()._member_objects)
            if getattr(self.obj, "__all__", None) is None:
                for name in sorted(_reexported(self.obj)):
                    members.setdefault(name, getattr(self.obj, name))
            return members

        @cached_property
        def submodules(self):
            """Its submodules, and the modules it exports by another name (the facade's ``plots``)."""
            found = list(super().submodules)
            known = {m.modulename for m in found}
            for value in self._member_objects.values():
                if inspect.ismodule(value) and value.__name__ not in known:
                    found.append(Public(value))
                    known.add(value.__name__)
            return found

    docs = {}
    for name, _ in MODULES:
        module = importlib.import_module(name)  # the package documented, by name: not a layer import
        for public in getattr(module, "__all__", ()):
            getattr(module, public)  # the facade imports its names on first use; pdoc reads __dict__
        docs[name] = Public(module)
    return docs


def pages(nav, footer: dict) -> list[tuple[str, str]]:
    """The reference as ``[(path in the site, text), ...]``: ``api/index.html`` (every public name with its
    summary), one page per documented module and pdoc's search index ``api/search.js``.

    ``nav`` is the site's navigation as ``(href, title)`` pairs and ``footer`` what
    :func:`glutedata.publish.render.footer` returns. Raises RuntimeError when pdoc is not installed.
    """
    pdoc = _import_pdoc()
    docs = _documents(pdoc)
    titles = dict(MODULES)

    def href(module: str) -> str:
        return f"{module.replace('.', '/')}.html"

    index = []
    for name, doc in docs.items():
        items = [{"name": f"{titles[name]}.{m.name}", "href": f"{href(name)}#{m.qualname}",
                  "summary": _summary(m.docstring)} for m in doc.members.values() if not m.name.startswith("_")]
        index.append({"title": titles[name], "href": href(name), "summary": _summary(doc.docstring), "items": items})
    site_nav = [{"href": h, "title": t, "current": h == INDEX} for h, t in nav]
    out = []
    with _pdoc_configured(pdoc, glutedata_nav=site_nav, glutedata_footer=footer, glutedata_index=index):
        for name, doc in docs.items():
            out.append((f"{FOLDER}/{href(name)}", accessible(pdoc.render.html_module(doc, docs))))
        out.append((INDEX, accessible(pdoc.render.html_index(docs))))
        search = pdoc.render.search_index(docs)
        if search:
            out.append((f"{FOLDER}/search.js", search))
    return out
