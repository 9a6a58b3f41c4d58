"""The API reference (glutedata/publish/api.py): pdoc pages of the public facade, offline, inside the site's
navigation, and docstrings whose examples run against the bundled data."""

import doctest
import inspect
import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest

import glutedata
from glutedata.publish import api, pages, site
from glutedata.publish.render import environment, footer

pytest.importorskip("pdoc", reason="the API reference needs pdoc (pip install -e '.[site]')")

NAV = [("index.html", "Home"), ("01-tour.html", "Tour")] + pages.NAV
EXTERNAL = re.compile(r"^\s*(https?:|//|data:|javascript:)", re.I)


class _Page(HTMLParser):
    """Every tag with its attributes, the ids, and the text inside each element with an id."""

    def __init__(self):
        super().__init__()
        self.tags, self.ids, self.text, self._open = [], set(), {}, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if attrs.get("id"):
            self.ids.add(attrs["id"])
            self.text.setdefault(attrs["id"], [])
            if tag == "section":
                self._open.append((tag, attrs["id"]))
                return
        if self._open and tag == "section":
            self._open.append((tag, None))

    def handle_endtag(self, tag):
        if tag == "section" and self._open:
            self._open.pop()

    def handle_data(self, data):
        for _, name in self._open:
            if name:
                self.text[name].append(data)


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def _plain(docstring: str) -> str:
    """The first paragraph of a docstring as pdoc shows it: roles as ``name()``, no double backquotes."""
    first = inspect.cleandoc(docstring).split("\n\n", 1)[0]
    first = re.sub(r":(\w+):`([^`]+)`", lambda m: m[2] + ("()" if m[1] in ("func", "meth") else ""), first)
    return " ".join(first.replace("``", "").split())


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The reference written by the site's build step into an empty folder, with the time it took."""
    out = tmp_path_factory.mktemp("site")
    lines = []
    written = site.write_api(out, None, NAV, footer(glutedata.metadata()), "look",
                             lambda name, what, seconds: lines.append((name, what, seconds)))
    return out, written, lines


def test_reference_has_an_index_a_page_per_module_and_a_search_index(reference):
    out, written, lines = reference
    names = {p.relative_to(out).as_posix() for p in written}
    assert names == {"api/index.html", "api/glutedata.html", "api/glutedata/views/plots.html"}
    assert (out / "api" / "search.js").stat().st_size > 10_000
    assert [(name, what) for name, what, _ in lines] == [("api/*.html", "3 pages")]


@pytest.mark.parametrize("name", ["rank", "pool"])
def test_rank_and_pool_are_documented_with_their_docstrings(reference, name):
    out, _, _ = reference
    facade = _parse(out / "api" / "glutedata.html")
    assert name in facade.ids
    text = " ".join("".join(facade.text[name]).split())
    assert _plain(getattr(glutedata, name).__doc__) in text
    assert f"gd.{name}(" in text  # the example
    index = (out / "api" / "index.html").read_text(encoding="utf-8")
    assert f'href="glutedata.html#{name}"' in index


def test_every_public_name_is_on_the_facade_page(reference):
    out, _, _ = reference
    facade = _parse(out / "api" / "glutedata.html")
    missing, undocumented = [], []
    for name in glutedata.__all__:
        value = getattr(glutedata, name)
        if inspect.ismodule(value):  # gd.plots: a page of its own, listed with the submodules
            link = f"{value.__name__.replace('.', '/')}.html"
            if not any(t == "a" and a.get("href") == link for t, a in facade.tags):
                missing.append(name)
        elif name not in facade.ids:
            missing.append(name)
        elif (inspect.isroutine(value) or inspect.isclass(value)) and \
                _plain(value.__doc__) not in " ".join("".join(facade.text[name]).split()):
            undocumented.append(name)
    assert not missing and not undocumented, (missing, undocumented)
    plots = _parse(out / "api" / "glutedata" / "views" / "plots.html")
    assert {"ranked_bars", "forest", "network", "consensus"} <= plots.ids  # re-exported from views.evidence too


def test_pages_fetch_nothing(reference):
    out, _, _ = reference
    for path in out.rglob("*"):
        if path.suffix not in (".html", ".js"):
            continue
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"mathjax|mermaid|katex", text, re.I), path  # both are off in pdoc's settings
        assert not re.search(r"""url\(\s*["']?(https?:)?//""", text), path  # CSS: no fonts or images from afar
        assert not re.search(r"""\bsrc\s*=\s*["'](https?:)?//""", text), path  # nor scripts written by scripts
        if path.suffix == ".html":
            for tag, attrs in _parse(path).tags:
                for attr in ("src", "href"):
                    value = attrs.get(attr) or ""
                    if tag in ("script", "link", "img", "iframe", "source", "style", "object", "embed"):
                        assert not EXTERNAL.match(value), (path.name, tag, value)
                    elif tag == "a":
                        assert not value.lower().startswith(("data:", "javascript:")), (path.name, value)


def test_links_inside_the_reference_resolve_and_every_page_has_the_site_nav(reference):
    out, written, _ = reference
    site_pages = {h for h, _ in NAV}
    parsed = {path.resolve(): _parse(path) for path in written}
    for path in written:
        page = parsed[path.resolve()]
        root = "../" * (len(path.relative_to(out).parts) - 1)
        nav = [a["href"] for t, a in page.tags if t == "a" and a.get("href", "").startswith(root) and
               a["href"][len(root):] in site_pages]
        assert nav[:len(NAV)] == [root + h for h, _ in NAV], path  # then the footer's cite.html
        assert any(t == "a" and a.get("aria-current") == "page" and a["href"] == root + api.INDEX
                   for t, a in page.tags), path
        text = path.read_text(encoding="utf-8")
        assert "Data version" in text and f'href="{root}cite.html"' in text  # the site's footer
        # the site's skip link lands on pdoc's <main>; permalinks have a name (tests/publish/test_accessibility.py)
        assert any(t == "main" and a.get("id") == "gd-content" for t, a in page.tags), path
        assert all(a.get("aria-label") for t, a in page.tags if t == "a" and "headerlink" in a.get("class", "")), path
        for tag, attrs in page.tags:
            link = attrs.get("href") if tag == "a" else None
            if not link or urlsplit(link).scheme or link.startswith(root) and link[len(root):] in site_pages:
                continue
            parts = urlsplit(link)
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            assert target in parsed, (path.name, link)
            if parts.fragment:
                assert parts.fragment in parsed[target].ids, (path.name, link)


def test_nav_links_to_the_reference_from_generated_pages():
    env, ctx = environment(), pages.context()
    assert 'href="api/index.html"' in pages.glossary_page(env, ctx, NAV)
    assert 'href="../api/index.html"' in pages.exercise_page(env, ctx, "clamshell", NAV)


def test_build_site_writes_the_reference_linked_from_notebook_pages(tmp_path, monkeypatch):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Start\n\nA page.")]),
                   notebooks / "00-index.ipynb")
    monkeypatch.setattr(api, "digest", lambda: "fixed")  # the package's files may change while others edit
    lines = []
    written = site.build(notebooks, tmp_path / "site", cache_dir=tmp_path / "cache", progress=lines.append)
    out = tmp_path / "site"
    assert out / "api" / "index.html" in written and (out / "api" / "glutedata.html").is_file()
    assert '<a href="api/index.html">API reference</a>' in (out / "index.html").read_text(encoding="utf-8")
    assert re.search(r"^api/\*\.html +3 pages +\d+\.\d s$", lines[-1]), lines
    again = []
    site.build(notebooks, tmp_path / "site", cache_dir=tmp_path / "cache", progress=again.append)
    assert again[-1].split()[:2] == ["api/*.html", "cached"]


def test_building_the_reference_leaves_pdoc_as_it_was(reference):
    import pdoc.render

    loader, globals_ = pdoc.render.env.loader, dict(pdoc.render.env.globals)
    api.pages(NAV, footer(glutedata.metadata()))
    assert pdoc.render.env.loader is loader and pdoc.render.env.globals == globals_


def _public():
    for name in glutedata.__all__:
        value = getattr(glutedata, name)
        if inspect.isroutine(value) or inspect.isclass(value):
            yield name, value


def test_every_public_function_and_class_has_an_example():
    assert not [name for name, value in _public() if ">>>" not in (value.__doc__ or "")]


@pytest.mark.parametrize("name", [name for name, _ in _public()])
def test_docstring_examples_run_against_the_bundled_data(name):
    value = getattr(glutedata, name)
    globs = dict(vars(sys.modules[value.__module__]))  # e.g. band's examples call band() unqualified
    tests = doctest.DocTestFinder(recurse=False).find(value, name, globs=globs)
    runner, report = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE), []
    for test in tests:
        runner.run(test, out=report.append)
    assert runner.tries > 0 and not runner.failures, "".join(report)

