"""WCAG 2.2 AA: axe-core finds nothing serious or critical on any page of the site, in headless Chromium, offline.

Every page the build writes is checked (the notebook pages, the data browser, every exercise and study page,
the glossary, the citation page and the example handout), plus a handout made the way ``glutedata handout``
makes one. Notebook pages are checked twice: as they load, and again with every folded code cell open and a
chart's toolbar showing, so what a reader can reveal is checked too; a few pages are checked again at a phone's
width. axe-core comes from the PyPI package ``axe-playwright-python`` (its bundled ``axe.min.js``; nothing is
fetched). The site is built here rather than shared with tests/publish/test_site.py: a fixture in one test module
is built again for another, and a shared one would belong in a tests/publish/conftest.py.

The same checks by hand, with more detail than the assertion gives::

    GLUTEDATA_REQUIRE_BROWSER=1 .venv/bin/python -m pytest tests/publish/test_accessibility.py -s
"""

import os
import re
from collections import Counter
from html.parser import HTMLParser

import pytest

import glutedata as gd
from glutedata.publish.site import page_name

from ..conftest import ROOT, chromium_context

NOTEBOOKS = ROOT / "notebooks"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
FAILING = ("serious", "critical")
# Nothing is excluded from the check: every element of every page, plotly's SVG and toolbar included, is tested.
EXCLUDE: list[list[str]] = []
PHONE = {"width": 390, "height": 844}
# one page of each kind (and the first exercise and study page the build wrote)
PHONE_PAGES = ["index.html", "02-rank.html", "browse.html", "exercises/index.html", "studies/index.html",
               "glossary.html", "cite.html", "handout.html"]


@pytest.fixture(scope="module")
def a11y_site(site, tmp_path_factory):
    """The session's site (tests/publish/conftest.py), plus a handout from the command line's defaults written
    in a folder of its own, so the shared site stays as the build wrote it."""
    out, pages, _, _ = site
    handout = tmp_path_factory.mktemp("a11y-handout") / "handout-posterior.html"
    handout.write_text(gd.handout("posterior", equipment="none"), encoding="utf-8")
    return out, pages + [handout]


def _axe_script() -> str:
    try:
        from axe_playwright_python.base import AXE_SCRIPT
    except ImportError:
        if os.environ.get("GLUTEDATA_REQUIRE_BROWSER"):
            pytest.fail("axe-playwright-python is required (GLUTEDATA_REQUIRE_BROWSER is set): "
                        "pip install -e '.[test]'")
        pytest.skip("axe-playwright-python not installed (pip install -e '.[test]')")
    return AXE_SCRIPT


def _kind(name: str) -> str:
    if name.startswith(("exercises/", "studies/")):
        return name.split("/")[0] + ("/index" if name.endswith("index.html") else "/*")
    if re.match(r"\d\d-|index\.html$", name):
        return "notebook"
    return name.removesuffix(".html")


def _notebook_names():
    return {page_name(nb) for nb in NOTEBOOKS.glob("[0-9][0-9]-*.ipynb")}


CHARTS_DRAWN = """() => [...document.querySelectorAll('.plotly-graph-div')].every(d => d._fullLayout &&
                                                                                   d.querySelector('svg.main-svg'))"""


def _axe(page, script):
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(script)
    return page.evaluate("""([exclude, tags]) => axe.run({include: [document], exclude},
                                                       {runOnly: {type: 'tag', values: tags},
                                                        resultTypes: ['violations']})""", [EXCLUDE, TAGS])


def _reveal(page) -> bool:
    """Open every folded code cell and hover the first chart so its toolbar shows; False when there is none."""
    opened = page.evaluate("() => { const d = [...document.querySelectorAll('details')];"
                           " d.forEach(x => x.open = true); return d.length; }")
    chart = page.locator(".plotly-graph-div")
    if chart.count():
        chart.first.scroll_into_view_if_needed()
        chart.first.hover()
        page.wait_for_timeout(100)
    return bool(opened or chart.count())


def _record(result, where: str, kind: str, found: list, counts: Counter) -> None:
    for v in result["violations"]:
        counts[(kind, v["id"], v["impact"])] += len(v["nodes"])
        if v["impact"] in FAILING:
            targets = [" ".join(map(str, n["target"])) for n in v["nodes"]]
            found.append(f"{where}: {v['id']} ({v['impact']}, {len(targets)}): "
                         + "; ".join(targets[:8]) + (" ..." if len(targets) > 8 else ""))


@pytest.mark.site
@pytest.mark.browser
def test_axe_finds_nothing_serious_on_any_page(a11y_site):
    out, pages = a11y_site
    script = _axe_script()
    notebooks = _notebook_names()
    found, counts, checked = [], Counter(), []
    with chromium_context() as context:
        page = context.new_page()
        for path in pages:
            name = path.relative_to(out).as_posix() if path.is_relative_to(out) else path.name
            page.goto(path.as_uri(), wait_until="load")
            if name in notebooks:
                page.wait_for_function(CHARTS_DRAWN, timeout=10_000)
            _record(_axe(page, script), name, _kind(name), found, counts)
            if name in notebooks and _reveal(page):
                _record(_axe(page, script), f"{name} (code open, toolbar shown)", "notebook (revealed)", found, counts)
            checked.append(name)
        # at a phone's width the navigation wraps onto more lines: its targets must still be large enough
        page.set_viewport_size(PHONE)
        first = [next(n for n in checked if n.startswith(f"{kind}/") and not n.endswith("/index.html"))
                 for kind in ("exercises", "studies")]
        for name in PHONE_PAGES + first:
            page.goto((out / name).as_uri(), wait_until="load")
            if name in notebooks:
                page.wait_for_function(CHARTS_DRAWN, timeout=10_000)
            _record(_axe(page, script), f"{name} ({PHONE['width']} px wide)", f"{_kind(name)} (phone)", found, counts)
        blocked = context.blocked
    summary = "\n".join(f"  {kind:<26} {rule:<28} {impact:<9} {n} element(s)"
                        for (kind, rule, impact), n in sorted(counts.items()))
    print(f"axe-core on {len(checked)} pages, tags {', '.join(TAGS)}:\n{summary or '  no violations'}")
    assert not blocked, f"pages tried to reach the network: {blocked}"
    assert {"browse.html", "glossary.html", "cite.html", "handout.html", "handout-posterior.html",
            "exercises/index.html", "studies/index.html"} <= set(checked) and notebooks <= set(checked)
    assert not found, "serious or critical axe-core violations (page: rule (impact, elements): targets):\n" + \
        "\n".join(found)


LANDMARKS = ("main", "nav", "header", "footer", "aside", "article", "section")


class _Outline(HTMLParser):
    """The language of a page, its top-level landmarks (a <header> or <footer> inside <main> or a section is no
    banner or content-info landmark, a <main> inside another landmark no main landmark) and its <nav>s outside
    <main>."""

    def __init__(self):
        super().__init__()
        self.top, self.lang, self.stack, self.mains, self.navs = Counter(), None, [], 0, 0

    def handle_starttag(self, tag, attrs):
        if tag == "html":
            self.lang = dict(attrs).get("lang")
        if tag in LANDMARKS:
            self.mains += tag == "main"
            self.navs += tag == "nav" and "main" not in self.stack
            if not self.stack:
                self.top[tag] += 1
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in LANDMARKS and self.stack and self.stack[-1] == tag:
            self.stack.pop()


@pytest.mark.site
def test_every_page_has_a_language_and_top_level_landmarks_and_no_prompts(a11y_site):
    out, pages = a11y_site
    for path in pages:
        name = path.relative_to(out).as_posix() if path.is_relative_to(out) else path.name
        html = path.read_text(encoding="utf-8")
        outline = _Outline()
        outline.feed(html)
        assert outline.lang == "en", name
        assert outline.top["main"] == outline.mains == 1 and outline.top["header"] <= 1, (name, outline.top)
        if not name.startswith("handout"):  # the sheet is one <main>: nothing to navigate to, nothing around it
            assert outline.navs >= 1 and outline.top["footer"] == 1, (name, outline.top)
        assert not re.search(r'class="[^"]*jp-(In|Out)putPrompt', html), name
        assert not re.search(r"\b(In|Out)(&nbsp;|\s)?\[[\d&nbsp; ]*\]:", html), name


PRINTED = """() => {
    const charts = [...document.querySelectorAll('.js-plotly-plot')];
    const home = c => c.closest('figure') || c.closest('.jp-OutputArea');
    const tabled = c => !!home(c) && !!home(c).querySelector('table');
    // a page needs both kinds to test both: a chart with its data (a table in its figure or cell output) and
    // one without; where the notebooks have only one kind, one chart is made into the other
    if (!charts.some(tabled)) {
        home(charts[0]).insertAdjacentHTML('beforeend', '<details class="gd-data"><summary>Data</summary>' +
                                           '<table><tr><th>x</th></tr><tr><td>1</td></tr></table></details>');
    }
    if (charts.every(tabled)) { home(charts[charts.length - 1]).querySelectorAll('table').forEach(t => t.remove()); }
    return charts.map(c => ({tabled: tabled(c), home: home(c).tagName + '.' + home(c).className}));
}"""
SHOWN = """() => {
    const visible = e => !!e && e.checkVisibility({visibilityProperty: true});
    const home = c => c.closest('figure') || c.closest('.jp-OutputArea');
    return {
        charts: [...document.querySelectorAll('.js-plotly-plot')].map(c => ({
            chart: visible(c), table: visible(home(c).querySelector('table')),
            avoid: getComputedStyle(c.closest('figure') || c.closest('.jp-OutputArea-child')).breakInside,
            width: parseFloat(getComputedStyle(c).zoom) * c.querySelector('svg.main-svg').width.baseVal.value})),
        nav: visible(document.querySelector('nav.gd-nav')),
        code: visible(document.querySelector('details.gd-code')),
    };
}"""


@pytest.mark.site
@pytest.mark.browser
def test_print_shows_a_charts_table_in_its_place_and_keeps_figures_whole_and_on_the_page(a11y_site):
    """In print, a chart whose figure or cell output also holds a table (its data) prints as that table; every
    other chart is scaled to the printed line; charts and figures are kept to one page; the site's navigation
    and folded code are left out."""
    out, _ = a11y_site
    with chromium_context() as context:
        page = context.new_page()
        page.goto((out / "02-rank.html").as_uri(), wait_until="load")
        page.wait_for_function(CHARTS_DRAWN, timeout=10_000)
        kinds = page.evaluate(PRINTED)
        page.emulate_media(media="print")
        shown = page.evaluate(SHOWN)
    charts = [dict(k, **c) for k, c in zip(kinds, shown["charts"])]
    assert any(c["tabled"] for c in charts) and not all(c["tabled"] for c in charts), charts
    for c in charts:
        assert c["avoid"] == "avoid", c
        if c["tabled"]:
            assert c["table"] and not c["chart"], c
        else:
            assert c["chart"] and c["width"] <= 700, c  # scaled to the printed line of A4 (and Letter)
    assert not shown["nav"] and not shown["code"], shown
