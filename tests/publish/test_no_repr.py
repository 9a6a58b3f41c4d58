"""No page generated from the data shows a Python repr: a method or object address (Jinja's ``x.values`` finds
the dict method before the key), a function, or a missing value printed as ``None`` / ``NaN``."""

import html
import json
import re
from html.parser import HTMLParser

import pytest

from glutedata.publish import pages

NAV = [("index.html", "Home")] + pages.NAV
# text that only a repr of a Python object produces
REPRS = re.compile(r"<built-in method|<bound method|<function |<method-wrapper|object at 0x[0-9a-f]+|<class '")
# what a missing value turns into when it is printed rather than left out
MISSING = {"None", "NaN", "nan", "<NA>", "NaT", "null", "undefined"}
CELLS = {"td", "th", "dd", "dt", "li", "a", "span", "code", "p", "h1", "h2", "h3", "caption", "option", "title"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Cells(HTMLParser):
    """The text of every element of CELLS (a cell, a link, a heading ...), and of every JSON script block."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, list[str]]] = []
        self.cells: list[tuple[str, str]] = []
        self.scripts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            return
        self.stack.append((tag, []))
        if tag == "script" and dict(attrs).get("type") == "application/json":
            self.stack[-1] = ("json", [])

    def handle_endtag(self, tag):
        while self.stack:
            name, parts = self.stack.pop()
            text = "".join(parts)
            if name == "json":
                self.scripts.append(text)
            elif name in CELLS:
                self.cells.append((name, " ".join(text.split())))
            if self.stack:
                self.stack[-1][1].append(text)
            if name in (tag, "json"):
                break

    def handle_data(self, data):
        if self.stack:
            self.stack[-1][1].append(data)


@pytest.fixture(scope="module")
def generated():
    """Every page built from the data (browser, exercise and study pages and their indexes, glossary, citation
    page, example handout), as {path in the site: html}, without executing the notebooks."""
    ctx = pages.context()
    return {path: text for _, make in pages.groups(ctx, NAV) for path, text in make()}


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def test_every_data_page_is_built(generated):
    assert {"browse.html", "exercises/index.html", "studies/index.html", "glossary.html", "cite.html",
            "handout.html"} <= set(generated)
    assert sum(p.startswith("exercises/") for p in generated) > 10
    assert sum(p.startswith("studies/") for p in generated) > 5


def test_no_page_shows_a_python_repr(generated):
    found = []
    for path, page in sorted(generated.items()):
        text = html.unescape(re.sub(r"<[^>]+>", " ", page))
        found += [(path, m.group()) for m in REPRS.finditer(text)]
        parser = Cells()
        parser.feed(page)
        parser.close()
        found += [(path, f"<{tag}>{text}") for tag, text in parser.cells if text in MISSING]
        for block in parser.scripts:
            for s in _strings(json.loads(block)):
                if s.strip() in MISSING or REPRS.search(s):
                    found.append((path, f"JSON {s!r}"))
    assert not found, found[:10]


def test_index_pages_count_values(generated, df):
    """The "Values" column of both indexes holds numbers, and they add up to the rows of the data."""
    for path, column in (("studies/index.html", 2), ("exercises/index.html", 4)):
        rows = re.findall(r"<tr>(.*?)</tr>", generated[path], flags=re.S)[1:]
        counts = [re.findall(r"<td[^>]*>(.*?)</td>", r, flags=re.S)[column] for r in rows]
        assert all(c.isdigit() for c in counts), (path, counts[:3])
        assert sum(map(int, counts)) == len(df), path
