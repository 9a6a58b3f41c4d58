"""The rendered site: every notebook executes, pages are offline, and every chart draws in Chromium."""

import json
import os
import shutil

import pytest

from glutedata.site import build, page_name

from .conftest import ROOT

NOTEBOOKS = ROOT / "notebooks"
CHROMIUM = os.environ.get("GLUTEDATA_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    before = {p.name: p.read_bytes() for p in NOTEBOOKS.glob("*.ipynb")}
    out = tmp_path_factory.mktemp("site")
    pages = build(NOTEBOOKS, out, timeout=300)
    assert {p.name: p.read_bytes() for p in NOTEBOOKS.glob("*.ipynb")} == before, "build must not touch notebooks"
    return out, pages


def test_notebooks_are_committed_without_outputs():
    for nb in sorted(NOTEBOOKS.glob("*.ipynb")):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        assert all(not c.get("outputs") and not c.get("execution_count") for c in cells if c["cell_type"] == "code"), nb


@pytest.mark.site
def test_one_page_per_notebook_and_plotly_once(site):
    out, pages = site
    expected = {page_name(nb) for nb in NOTEBOOKS.glob("[0-9][0-9]-*.ipynb")}
    assert {p.name for p in pages} == expected and "index.html" in expected
    assert (out / "plotly.min.js").stat().st_size > 1_000_000
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert html.count('<script src="plotly.min.js"></script>') == 1
        assert "cdn.plot.ly" not in html and "cdnjs" not in html and "unpkg" not in html
        assert 'class="gd-nav"' in html


@pytest.mark.site
def test_pages_have_no_execution_errors(site):
    _, pages = site
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert "jp-OutputArea-output" in html
        assert "Traceback (most recent call last)" not in html, page.name
        # warnings and errors print to stderr; a clean page has none
        assert 'data-mime-type="application/vnd.jupyter.stderr"' not in html, page.name


@pytest.mark.site
@pytest.mark.browser
def test_every_chart_draws_offline_in_chromium(site):
    if not CHROMIUM:
        if os.environ.get("GLUTEDATA_REQUIRE_BROWSER"):
            pytest.fail("Chromium is required (GLUTEDATA_REQUIRE_BROWSER is set) but was not found")
        pytest.skip("Chromium not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    out, pages = site
    blocked, problems, charts = [], [], {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-quic"])
        context = browser.new_context()

        def route(r):
            if r.request.url.startswith("file://"):
                r.continue_()
            else:
                blocked.append(r.request.url)
                r.abort()
        context.route("**/*", route)
        for page_file in pages:
            page = context.new_page()
            page.on("console", lambda m, n=page_file.name: m.type == "error" and problems.append(f"{n}: {m.text}"))
            page.on("pageerror", lambda e, n=page_file.name: problems.append(f"{n}: {e}"))
            page.goto(page_file.as_uri(), wait_until="load")
            page.wait_for_timeout(300)
            charts[page_file.name] = page.evaluate("""() => {
                const divs = [...document.querySelectorAll('.plotly-graph-div')];
                return {total: divs.length, drawn: divs.filter(d => d.querySelector('svg.main-svg') &&
                        d._fullLayout).length};
            }""")
            page.close()
        browser.close()
    assert not blocked, f"pages tried to reach the network: {blocked}"
    assert not problems, problems
    for name, c in charts.items():
        assert c["total"] == c["drawn"], f"{name}: {c}"
    assert all(c["total"] > 0 for name, c in charts.items()), charts
