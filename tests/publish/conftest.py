"""The site, built once per test session (every notebook executes, from a fresh cache) and shared by the
site, accessibility and print tests: building it takes most of a minute."""

import pytest

from glutedata.publish.site import build

from ..conftest import ROOT

NOTEBOOKS = ROOT / "notebooks"


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """(site folder, pages written, progress lines, cache folder)."""
    before = {p.name: p.read_bytes() for p in NOTEBOOKS.glob("*.ipynb")}
    out, cache = tmp_path_factory.mktemp("site"), tmp_path_factory.mktemp("cache")
    lines = []
    pages = build(NOTEBOOKS, out, timeout=300, cache_dir=cache, progress=lines.append)
    assert {p.name: p.read_bytes() for p in NOTEBOOKS.glob("*.ipynb")} == before, "build must not touch notebooks"
    return out, pages, lines, cache
