"""The rendered site: every notebook executes, pages are offline, every chart draws in Chromium, the data
browser filters, every link resolves, rebuilds come from the cache and the handout prints on two A4 pages."""

import json
import os
import re
import shutil
import subprocess
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest

from glutedata.publish.site import build, page_name

from ..conftest import CHROMIUM, ROOT, chromium_context

NOTEBOOKS = ROOT / "notebooks"


def _open(context, path: Path):
    """A new page at ``path`` and the list its script errors are collected in."""
    page, errors = context.new_page(), []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri(), wait_until="load")
    return page, errors


def _notebook_pages(out, pages):
    names = {page_name(nb) for nb in NOTEBOOKS.glob("[0-9][0-9]-*.ipynb")}
    return [p for p in pages if p.parent == out and p.name in names]


def test_notebooks_are_committed_without_outputs():
    for nb in sorted(NOTEBOOKS.glob("*.ipynb")):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        assert all(not c.get("outputs") and not c.get("execution_count") for c in cells if c["cell_type"] == "code"), nb


@pytest.mark.site
def test_one_page_per_notebook_and_plotly_once(site):
    out, pages, _, _ = site
    expected = {page_name(nb) for nb in NOTEBOOKS.glob("[0-9][0-9]-*.ipynb")}
    assert {p.name for p in _notebook_pages(out, pages)} == expected and "index.html" in expected
    assert (out / "plotly.min.js").stat().st_size > 1_000_000
    for page in _notebook_pages(out, pages):
        html = page.read_text(encoding="utf-8")
        assert html.count('<script src="plotly.min.js"></script>') == 1
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert "cdn.plot.ly" not in html and "cdnjs" not in html and "unpkg" not in html
        assert 'class="gd-nav"' in html or page.name == "handout.html"


@pytest.mark.site
def test_generated_pages_exist_for_every_exercise_and_study(site):
    import glutedata as gd
    from glutedata.publish.pages import exercise_href, study_href

    out, pages, _, _ = site
    written = {p.relative_to(out).as_posix() for p in pages}
    assert {exercise_href(e) for e in gd.exercises()["id"]} <= written
    assert {study_href(k) for k in gd.load()["source"].unique()} <= written
    assert {"browse.html", "glossary.html", "cite.html", "handout.html", "exercises/index.html",
            "studies/index.html"} <= written
    clam = (out / exercise_href("clamshell")).read_text(encoding="utf-8")
    assert "Where it ranks" in clam and "Every value measured" in clam


@pytest.mark.site
def test_code_is_folded_tables_show_no_python_reprs_and_footer_cites(site):
    out, pages, _, _ = site
    version = __import__("glutedata").metadata()["version"]
    for page in _notebook_pages(out, pages):
        html = page.read_text(encoding="utf-8")
        assert html.count('<details class="gd-code"><summary>show code</summary>') >= 1, page.name
        cells = re.findall(r"<td>(.*?)</td>", html, flags=re.S)
        reprs = [c for c in cells if re.match(r"\s*[(\[](&#x27;|'|\))", c) or c.strip() == "None"]
        assert not reprs, (page.name, reprs[:3])
    for page in pages:
        html = page.read_text(encoding="utf-8")
        if page.name != "handout.html":
            assert f"Data version {version}" in html and "cite.html" in html, page


@pytest.mark.site
def test_build_reports_each_page_and_rebuilds_from_the_cache(site, tmp_path, capfd):
    out, pages, lines, cache = site
    notebooks = _notebook_pages(out, pages)
    assert sum("executed" in line for line in lines) == len(notebooks)
    assert all(re.search(r"\d+\.\d s$", line) for line in lines)
    start = time.perf_counter()
    again = []
    build(NOTEBOOKS, tmp_path / "again", cache_dir=cache, progress=again.append)
    assert time.perf_counter() - start < 5, again
    assert len(again) == len(lines) and all(line.split()[1] == "cached" for line in again), again
    # edit one notebook in a copy: only that one runs again
    copy = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOKS, copy)
    nb = nbformat.read(copy / "01-tour.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("One more line."))
    nbformat.write(nb, copy / "01-tour.ipynb")
    edited = []
    build(copy, tmp_path / "edited", cache_dir=cache, progress=edited.append)
    assert [line.split()[0] for line in edited if "executed" in line] == ["01-tour.html"]
    kernel_output = capfd.readouterr().err  # the kernel writes to the build's stderr
    assert "WARNING" not in kernel_output and "Debugger warning" not in kernel_output, kernel_output
    assert "One more line." in (tmp_path / "edited" / "01-tour.html").read_text(encoding="utf-8")


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src") and value is not None:
                self.links.append(value)
            if name == "id" and value:
                self.ids.add(value)


@pytest.mark.site
def test_every_link_inside_the_site_resolves(site):
    out, _, _, _ = site
    parsed = {}
    for page in out.rglob("*.html"):
        parser = _Links()
        parser.feed(page.read_text(encoding="utf-8"))
        parsed[page.resolve()] = parser
    browse = (out / "browse.html").read_text(encoding="utf-8")
    data = json.loads(re.search(r'<script type="application/json" id="gd-data">(.*?)</script>', browse, re.S)[1])
    parsed[(out / "browse.html").resolve()].links += [r[k] for r in data["rows"] for k in ("study", "exercise")
                                                       if r[k]]
    broken, checked = [], 0
    for page, parser in parsed.items():
        for link in parser.links:
            parts = urlsplit(link)
            assert parts.scheme.lower() not in ("javascript", "data", "vbscript"), (page, link)
            if parts.scheme or parts.netloc:
                continue  # DOI and source pages: outside the site
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            checked += 1
            if not target.is_file() or out.resolve() not in target.parents:
                broken.append(f"{page.relative_to(out.resolve())}: {link}")
            elif parts.fragment and target.suffix == ".html" and parts.fragment not in parsed[target].ids:
                broken.append(f"{page.relative_to(out.resolve())}: {link} (no such anchor)")
    assert checked > 500 and not broken, broken


@pytest.mark.site
def test_pages_stay_small(site):
    out, pages, _, _ = site
    sizes = {p.relative_to(out).as_posix(): p.stat().st_size for p in pages}
    assert sizes["browse.html"] < 1_500_000
    assert max(sizes.values()) < 1_500_000, max(sizes.items(), key=lambda kv: kv[1])


@pytest.mark.site
def test_pages_have_no_execution_errors(site):
    out, pages, _, _ = site
    for page in _notebook_pages(out, pages):
        html = page.read_text(encoding="utf-8")
        assert "jp-OutputArea-output" in html
        assert "Traceback (most recent call last)" not in html, page.name
        # warnings and errors print to stderr; a clean page has none
        assert 'data-mime-type="application/vnd.jupyter.stderr"' not in html, page.name


@pytest.mark.site
@pytest.mark.browser
def test_every_page_loads_offline_in_chromium_and_every_chart_draws(site):
    out, pages, _, _ = site
    problems, charts, current = [], {}, [""]
    with chromium_context() as context:
        page = context.new_page()  # one tab for every page: a new tab each time costs more than the page
        page.on("console", lambda m: m.type == "error" and problems.append(f"{current[0]}: {m.text}"))
        page.on("pageerror", lambda e: problems.append(f"{current[0]}: {e}"))
        for page_file in pages:
            current[0] = name = page_file.relative_to(out).as_posix()
            page.goto(page_file.as_uri(), wait_until="load")
            page.wait_for_timeout(300 if page_file in _notebook_pages(out, pages) else 20)
            charts[name] = page.evaluate("""() => {
                const divs = [...document.querySelectorAll('.plotly-graph-div')];
                return {total: divs.length, drawn: divs.filter(d => d.querySelector('svg.main-svg') &&
                        d._fullLayout).length};
            }""")
        blocked = context.blocked
    assert not blocked, f"pages tried to reach the network: {blocked}"
    assert not problems, problems
    assert any(n.startswith("exercises/") for n in charts) and any(n.startswith("studies/") for n in charts)
    for name, c in charts.items():
        assert c["total"] == c["drawn"], f"{name}: {c}"
    assert all(charts[p.name]["total"] > 0 for p in _notebook_pages(out, pages)), charts


@pytest.mark.site
@pytest.mark.browser
def test_data_browser_filters_searches_and_sorts_offline(site):
    out, _, _, _ = site
    with chromium_context() as context:
        page, errors = _open(context, out / "browse.html")
        rows = page.locator("#gd-browse tbody tr")
        total = rows.count()
        assert total > 50 and page.locator("#gd-count").inner_text().startswith(f"{total} of {total}")
        page.locator("#gd-search").fill("fine-wire")
        found = rows.count()
        assert 0 < found < total
        assert all("fine-wire" in t for t in page.locator("#gd-browse tbody tr td:nth-child(6)").all_inner_texts())
        page.locator("#gd-search").fill("no such value anywhere")
        assert rows.count() == 0
        page.locator("#gd-search").fill("")
        page.select_option("#gd-filter-muscle", "gluteus_minimus")
        minimus = rows.count()
        assert 0 < minimus < total
        page.select_option("#gd-filter-muscle", "")
        page.locator("#gd-browse th button", has_text="%MVIC").click()
        page.locator("#gd-browse th button", has_text="%MVIC").click()  # second click: highest first
        values = [float(v) for v in page.locator("#gd-browse tbody tr td:nth-child(8)").all_inner_texts() if v]
        assert values == sorted(values, reverse=True) and len(values) > 10
        link = page.locator("#gd-browse tbody tr td:first-child a").first.get_attribute("href")
        assert link.startswith("studies/") and (out / link).is_file()
        page.goto((out / "browse.html").as_uri() + "?exercise=clamshell", wait_until="load")
        names = set(page.locator("#gd-browse tbody tr td:nth-child(2)").all_inner_texts())
        assert names == {"Clamshell"}
        blocked = context.blocked
    assert not errors and not blocked


def _pdf_pages(pdf: Path) -> tuple[int, str]:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M)[1]), re.search(r"^Page size:\s+(.*)$", info, re.M)[1]


@pytest.mark.site
@pytest.mark.browser
def test_handout_prints_to_at_most_two_a4_pages(site, tmp_path):
    if not CHROMIUM:
        if os.environ.get("GLUTEDATA_REQUIRE_BROWSER"):
            pytest.fail("Chromium is required (GLUTEDATA_REQUIRE_BROWSER is set) but was not found")
        pytest.skip("Chromium not installed (apt-get install chromium)")
    if not shutil.which("pdfinfo"):
        pytest.skip("pdfinfo (poppler-utils) not installed")
    from glutedata.cli import main
    from glutedata.publish.handout import print_pdf

    out, _, _, _ = site
    example = print_pdf(out / "handout.html", tmp_path / "example.pdf", chromium=CHROMIUM)
    assert main(["handout", "--segment", "posterior", "--equipment", "none", "--out", str(tmp_path / "h.html"),
                 "--pdf", str(tmp_path / "h.pdf")]) == 0
    for pdf in (example, tmp_path / "h.pdf"):
        pages, size = _pdf_pages(pdf)
        assert 1 <= pages <= 2 and "A4" in size, (pdf.name, pages, size)


class _Text(HTMLParser):
    """The text a reader sees (everything outside <script> and <style>), and each table cell's text."""

    def __init__(self):
        super().__init__()
        self.parts, self.cells, self._skip, self._cell = [], [], 0, None

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style")
        if tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style") and self._skip > 0
        if tag in ("td", "th") and self._cell is not None:
            self.cells.append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)
            if self._cell is not None:
                self._cell.append(data)


NUMBER = r"[-\u2212]?\d+(?:\.\d+)?"
# "a to b" (an interval in words) and table cells that hold a single number
INTERVAL = re.compile(rf"(?<![\w.])({NUMBER})\s*(?:%MVIC\s*)?to\s+({NUMBER})")
CELL = re.compile(rf"^({NUMBER})$")


@pytest.mark.site
def test_no_interval_or_table_cell_on_any_page_is_below_zero(site):
    """%MVIC cannot be negative: no interval in the text and no number in a table may be (the API
    reference, which shows code, aside)."""
    out, pages, _, _ = site
    found = {}
    for page in pages:
        if "api" in page.relative_to(out).parts:
            continue
        parser = _Text()
        parser.feed(page.read_text(encoding="utf-8"))
        text = " ".join(parser.parts)
        bad = [m.group(0) for m in INTERVAL.finditer(text) if min(_value(m.group(1)), _value(m.group(2))) < 0]
        bad += [c for c in parser.cells if CELL.match(c) and _value(c) < 0]
        if bad:
            found[str(page.relative_to(out))] = bad[:5]
    assert not found, found
    # the check itself finds what it should
    probe = _Text()
    probe.feed("<p>95% CI -117.1 to 213.2 %MVIC</p><table><tr><td>\u22123</td></tr></table>")
    assert INTERVAL.search(" ".join(probe.parts)) and CELL.match(probe.cells[0])


def _value(text: str) -> float:
    return float(text.replace("\u2212", "-"))


class _Figures(HTMLParser):
    """Every chart (``plotly-graph-div``) with the figure around it: the figure's caption, tables, CSV links, and
    the chart's own attributes; plus every table cell of the page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.figures, self.charts, self.cells, self.stack, self._cell = [], [], [], [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "figure":
            self.figures.append({"tags": [], "csv": [], "ids": set()})
        inside = [f for f in self.figures if f.get("open", True)]
        if tag == "figure":
            inside[-1]["open"] = True
        if inside:
            inside[-1]["tags"].append(tag)
            if attrs.get("id"):
                inside[-1]["ids"].add(attrs["id"])
            if tag == "a" and "data-csv" in attrs:
                inside[-1]["csv"].append(attrs)
        if tag == "div" and "plotly-graph-div" in (attrs.get("class") or ""):
            self.charts.append((attrs, inside[-1] if inside else None))
        if tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "figure":
            open_ = [f for f in self.figures if f.get("open")]
            if open_:
                open_[-1]["open"] = False
        if tag in ("td", "th") and self._cell is not None:
            self.cells.append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


@pytest.mark.site
def test_every_chart_is_a_figure_with_its_answer_data_csv_and_sources(site):
    """Every chart on a notebook page sits in a <figure> with a caption, its data as a table and as CSV, and is
    labelled for a screen reader; no page embeds plotly's dropdowns; no table cell shows a missing value as
    NaN or None, or a number with 4 or more decimals; no frame is shown as pandas' raw table."""
    out, pages, _, _ = site
    version = __import__("glutedata").metadata()["version"]
    for page in pages:
        assert "updatemenus" not in page.read_text(encoding="utf-8"), page.name
    for page in _notebook_pages(out, pages):
        html = page.read_text(encoding="utf-8")
        parser = _Figures()
        parser.feed(html)
        assert parser.charts, page.name
        for attrs, figure in parser.charts:
            assert figure is not None, (page.name, attrs.get("id"))
            assert attrs.get("role") == "group" and attrs.get("aria-label"), (page.name, attrs)
            assert attrs.get("aria-describedby") in figure["ids"], (page.name, attrs)
            assert "figcaption" in figure["tags"] and "table" in figure["tags"] and "details" in figure["tags"]
            assert figure["csv"] and all(a.get("download", "").endswith(".csv") and a["data-csv"].strip()
                                         for a in figure["csv"]), page.name
        assert f"data version {version}" in html, page.name
        missing = [c for c in parser.cells if c in ("NaN", "nan", "None", "<NA>", "NaT")]
        long = [c for c in parser.cells if re.search(r"\d\.\d{4,}", c)]
        assert not missing and not long, (page.name, missing[:3], long[:3])
        assert 'class="dataframe' not in html, page.name


@pytest.mark.site
@pytest.mark.browser
def test_show_code_toggle_and_the_view_list_switches_chart_caption_table_and_csv(site, tmp_path):
    """The native list above a chart with several views is reached with the keyboard and switches the chart, its
    caption, its data table and its CSV download together; the CSV downloads offline."""
    out, _, _, _ = site
    with chromium_context() as context:
        page, errors = _open(context, out / "02-rank.html")
        cell = page.locator("details.gd-code").first
        code = cell.locator(".jp-InputArea")
        assert not code.is_visible()
        cell.locator("summary", has_text="show code").click()
        assert code.is_visible() and "gd.rank" in code.inner_text()
        cell.locator("summary").click()
        assert not code.is_visible()

        figure = page.locator("figure.gd-figure:has(select)").first
        select = figure.locator("select")
        label = figure.locator(f"label[for='{select.get_attribute('id')}']")
        assert label.count() == 1 and label.inner_text().strip()
        shown = """f => {
            const d = f.querySelector('.plotly-graph-div'), v = f.querySelector('[data-gd-view]:not([hidden])');
            return {title: d._fullLayout.title.text,
                    note: d._fullLayout.annotations.map(a => a.text).filter(t => t.startsWith('Sources:')),
                    visible: d.data.map(t => t.visible), caption: v.querySelector('.gd-caption').innerText,
                    described: document.getElementById(d.getAttribute('aria-describedby')).innerText,
                    table: v.querySelector('table').textContent,
                    csv: v.querySelector('a.gd-csv').getAttribute('data-csv'),
                    tabbable: f.querySelector('select').tabIndex >= 0,
                    image: [...d.querySelectorAll('svg.main-svg')].map(s => [s.getAttribute('role'),
                        s.getAttribute('aria-label'), s.getAttribute('aria-hidden')])}; }"""
        before = figure.evaluate(shown)
        assert before["tabbable"] and before["visible"][0] is True and before["described"] == before["caption"]
        # the drawing is the image, labelled like the chart; the other layers are hidden from screen readers
        assert before["image"][0][:2] == ["img", "Chart: " + before["title"]] and \
            all(hidden == "true" for _, _, hidden in before["image"][1:]), before["image"]
        select.focus()
        page.keyboard.press("ArrowDown")  # a keyboard changes the view
        page.wait_for_timeout(200)
        after = figure.evaluate(shown)
        assert after["title"] != before["title"] and after["title"].startswith("Ranked by")
        assert after["visible"][:2] == [False, True] and after["caption"] != before["caption"]
        assert after["described"] == after["caption"], after
        assert after["table"] != before["table"], (before, after)
        assert after["csv"] != before["csv"]
        select.select_option(index=select.locator("option").count() - 1)  # a view with other studies
        page.wait_for_timeout(200)
        last = figure.evaluate(shown)
        assert len(last["note"]) == 1 and last["note"] != before["note"] and last["visible"][-1] is True
        assert last["image"][0][:2] == ["img", "Chart: " + last["title"]]
        with page.expect_download() as download:
            figure.locator("[data-gd-view]:not([hidden]) a.gd-csv").click()
        saved = tmp_path / download.value.suggested_filename
        download.value.save_as(saved)
        assert saved.suffix == ".csv" and saved.read_text(encoding="utf-8-sig") == last["csv"]
        blocked = context.blocked
    assert not errors and not blocked
