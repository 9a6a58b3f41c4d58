"""JupyterLab in one command (scripts/lab.sh): JupyterLab starts headless on localhost, serves a notebook,
runs it in a real kernel from the browser, and its chart draws. The notebooks are served from a copy, so
JupyterLab's autosave never writes outputs into the committed ones."""

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from importlib.util import find_spec

import pytest

from ..conftest import CHROMIUM, ROOT

NOTEBOOK = "02-rank.ipynb"  # ranks exercises and draws them as bars
# JupyterLab settings for the test: every cell stays in the page (by default cells out of view are not
# drawn), and no news is fetched.
SETTINGS = {"@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
            "@jupyterlab/apputils-extension/notification": {"fetchNews": "false"}}
REQUIRED = bool(os.environ.get("GLUTEDATA_REQUIRE_LAB") or os.environ.get("GLUTEDATA_REQUIRE_BROWSER"))


def _need(ok: bool, why: str) -> None:
    if not ok:
        if REQUIRED:
            pytest.fail(f"{why} (GLUTEDATA_REQUIRE_LAB or GLUTEDATA_REQUIRE_BROWSER is set)")
        pytest.skip(why)


def test_lab_script_installs_the_lab_extra_and_passes_its_arguments_on():
    script = (ROOT / "scripts" / "lab.sh").read_text(encoding="utf-8")
    assert subprocess.run(["bash", "-n", str(ROOT / "scripts" / "lab.sh")]).returncode == 0
    assert 'pip install --quiet -e ".[lab]"' in script
    assert re.search(r'jupyter lab .*--notebook-dir[= ]notebooks .*"\$@"', script)


def test_environment_yml_installs_the_extras_of_the_test_and_lab_scripts():
    import tomllib

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    line = re.search(r'-e\s+"\.\[([\w,]+)\]"', (ROOT / "environment.yml").read_text(encoding="utf-8"))
    assert line, "environment.yml installs the package with pip -e"
    assert {"test", "lab"} <= set(line[1].split(",")) <= set(extras)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, token: str, method: str = "GET", timeout: float = 10):
    req = urllib.request.Request(url, method=method, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(req, timeout=timeout) as r:  # noqa: S310 (localhost only)
        return r.status, r.read()


def _wait_for_kernel(page, base: str, token: str, timeout: float = 60) -> None:
    """Until a kernel the page started is idle and connected to the page. Waits in the page, not in
    time.sleep: the test's request handler runs only while Playwright has control."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        kernels = json.loads(_get(f"{base}/api/kernels", token)[1])
        if any(k["execution_state"] == "idle" and k.get("connections", 1) > 0 for k in kernels):
            page.wait_for_timeout(500)
            return
        page.wait_for_timeout(250)
    pytest.fail(f"no kernel became idle in {timeout:.0f} s: {kernels}")


@contextlib.contextmanager
def _lab(tmp_path):
    """A JupyterLab server on 127.0.0.1 with a random port and token, serving a copy of notebooks/, with its
    settings, workspaces and runtime files in ``tmp_path``; shut down (kernels too) when the block ends."""
    port, token = _free_port(), secrets.token_hex(16)
    root = tmp_path / "notebooks"
    shutil.copytree(ROOT / "notebooks", root)
    env = dict(os.environ)
    for var, sub in [("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"), ("JUPYTER_RUNTIME_DIR", "run"),
                     ("JUPYTERLAB_SETTINGS_DIR", "settings"), ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
                     ("IPYTHONDIR", "ipython")]:
        env[var] = str(tmp_path / "jupyter" / sub)  # nothing read from or written to the user's own Jupyter
    settings = tmp_path / "jupyter" / "settings"
    for plugin, values in SETTINGS.items():
        path = settings / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")
    log = (tmp_path / "lab.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
         f"--notebook-dir={root}", "--LabApp.news_url=", "--LabApp.extension_manager=readonly",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
         *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else [])],  # CI containers run as root
        cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"JupyterLab exited with {proc.returncode}:\n{(tmp_path / 'lab.log').read_text()[-3000:]}")
            with contextlib.suppress(OSError):
                if _get(f"{base}/api/status", token, timeout=2)[0] == 200:
                    break
            if time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not answer in 60 s:\n{(tmp_path / 'lab.log').read_text()[-3000:]}")
            time.sleep(0.25)
        yield base, token
    finally:
        with contextlib.suppress(OSError, urllib.error.URLError):
            _get(f"{base}/api/shutdown", token, method="POST", timeout=5)  # stops its kernels too
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the server's own process group, started above
            proc.wait(timeout=10)
        log.close()


@pytest.mark.browser
def test_jupyterlab_opens_a_notebook_runs_it_and_its_chart_draws(tmp_path):
    _need(find_spec("jupyterlab") is not None, "JupyterLab not installed (pip install -e '.[lab]')")
    _need(bool(CHROMIUM), "Chromium not installed (apt-get install chromium)")
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    start = time.monotonic()
    with _lab(tmp_path) as (base, token):
        status, page_html = _get(f"{base}/lab", token)
        assert status == 200 and b"jupyter-config-data" in page_html  # the JupyterLab page itself
        status, body = _get(f"{base}/api/contents/{NOTEBOOK}", token)
        model = json.loads(body)
        assert status == 200 and model["type"] == "notebook" and model["content"]["cells"]
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-quic"])
            try:
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                blocked = []

                def route(r):  # the server on localhost only: everything else is recorded and aborted
                    if r.request.url.startswith(base + "/"):
                        r.continue_()
                    else:
                        blocked.append(r.request.url)
                        r.abort()
                context.route("**/*", route)
                page = context.new_page()
                errors = []
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.goto(f"{base}/lab/tree/{NOTEBOOK}?token={token}", wait_until="domcontentloaded", timeout=60_000)
                page.locator(".jp-NotebookPanel .jp-CodeCell").first.wait_for(timeout=60_000)
                _wait_for_kernel(page, base, token)  # the page shows "idle" before its kernel has started
                for _ in range(3):
                    # run all cells from the keyboard: select every cell in command mode, then Shift+Enter
                    page.locator(".jp-NotebookPanel .jp-CodeCell").first.click()
                    page.keyboard.press("Escape")
                    page.keyboard.press("Control+a")
                    page.keyboard.press("Shift+Enter")
                    with contextlib.suppress(PlaywrightTimeout):  # started: the first cell has a number or *
                        page.locator(".jp-CodeCell .jp-InputPrompt", has_text=re.compile(r"\[(\d+|\*)\]")).first \
                            .wait_for(timeout=15_000)
                        break
                chart = page.locator(".jp-OutputArea-output .js-plotly-plot").first
                chart.wait_for(state="attached", timeout=90_000)
                chart.scroll_into_view_if_needed()
                chart.locator("svg.main-svg").first.wait_for(timeout=30_000)
                assert chart.locator(".barlayer .point").count() > 0  # the bars are drawn
                failed = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']")
                assert failed.count() == 0, failed.all_inner_texts()[:1]
            finally:
                browser.close()
        assert not blocked, f"JupyterLab tried to reach the network: {blocked}"
        assert not errors, errors
    assert time.monotonic() - start < 150
