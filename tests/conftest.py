import contextlib
import csv
import hashlib
import io
import os
import shutil
from pathlib import Path

import pytest

import glutedata

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"


@pytest.fixture
def data_copy(tmp_path) -> Path:
    """A writable copy of the repository's data directory."""
    dest = tmp_path / "data"
    shutil.copytree(DATA, dest)
    return dest


def edit_cell(path: Path, line: int, field: str, value: str) -> None:
    """Set one field of the record on a given line of a CSV file (records are one line each)."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    header = next(csv.reader([lines[0]]))
    rec = next(csv.reader([lines[line - 1]]))
    rec[header.index(field)] = value
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(rec)
    lines[line - 1] = buf.getvalue()
    path.write_text("".join(lines), encoding="utf-8")


def digest(folder: Path) -> dict[str, str]:
    """Content hash of every regular file (directories and broken links are recorded by kind)."""
    out = {}
    for p in sorted(folder.iterdir()):
        try:
            out[p.name] = hashlib.sha256(p.read_bytes()).hexdigest()
        except OSError as e:
            out[p.name] = type(e).__name__
    return out


@pytest.fixture(scope="session")
def df():
    return glutedata.load()


CHROMIUM = os.environ.get("GLUTEDATA_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@contextlib.contextmanager
def chromium_context():
    """A headless Chromium browser context in which every request outside file:// is aborted.

    Skips when Chromium is missing, unless GLUTEDATA_REQUIRE_BROWSER is set (as in CI).
    """
    if not CHROMIUM:
        if os.environ.get("GLUTEDATA_REQUIRE_BROWSER"):
            pytest.fail("Chromium is required (GLUTEDATA_REQUIRE_BROWSER is set) but was not found")
        pytest.skip("Chromium not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-quic"])
        context = browser.new_context()
        context.blocked = []

        def route(r):
            if r.request.url.startswith("file://"):
                r.continue_()
            else:
                context.blocked.append(r.request.url)
                r.abort()
        context.route("**/*", route)
        try:
            yield context
        finally:
            browser.close()


def require_rscript(*libraries: str) -> None:
    """Skip unless Rscript can load ``libraries``; fail instead when GLUTEDATA_REQUIRE_R is set (as in CI)."""
    import subprocess
    loads = "; ".join(f"library({lib})" for lib in libraries)
    if shutil.which("Rscript") and subprocess.run(["Rscript", "-e", loads], capture_output=True).returncode == 0:
        return
    why = f"Rscript with {', '.join(libraries)} is not available"
    if os.environ.get("GLUTEDATA_REQUIRE_R"):
        pytest.fail(f"GLUTEDATA_REQUIRE_R is set but {why}")
    pytest.skip(why)
