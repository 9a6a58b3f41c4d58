"""Data is untrusted text: a site built from data poisoned in every free-text field runs none of it.

Validation rejects markup (tests/test_validate.py); here it is switched off (GLUTEDATA_VALIDATE=0) so
that the escaping itself is what is tested, on every page the build writes, in headless Chromium.
"""

import csv
import io
import os
import re

import pytest

from glutedata.publish.site import build

from ..conftest import ROOT, chromium_context

NOTEBOOKS = ROOT / "notebooks"


def payload(field: str) -> str:
    return (f'<gd-poison data-field="{field}">{field}</gd-poison><img src=x onerror="window.__gdXss=1;alert(1)">'
            f"<script>window.__gdXss=1</script>[gdlink](javascript:alert(1))")


CSV_FIELDS = {
    "emg_activation.csv": ["variant", "notes"],
    "exercises.csv": ["name", "aliases", "description", "dosing"],
    "screening.csv": ["title", "reason"],
    "studies.csv": ["concerns", "notes", "mvic_position"],
}


def _poison_csv(path, fields):
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    for r in rows[1:]:
        for f in fields:
            i = rows[0].index(f)
            r[i] = payload(f"{path.stem}.{f}") + r[i]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def _poison_bib(path):
    text = path.read_text(encoding="utf-8")
    for field in ("author", "title", "journal", "school"):
        text = re.sub(rf"(\n\s*{field}\s*=\s*\{{)", lambda m, f=field: m.group(1) + payload(f"bib.{f}") + " and ",
                      text)
    text = re.sub(r"(\n\s*doi\s*=\s*\{)[^}]*", lambda m: m.group(1) + '10.1234/gd"><gd-poison>doi</gd-poison>', text)
    urls = iter(["javascript:alert(1)", 'https://example.org/"><gd-poison>url</gd-poison>'] * 100)
    text = re.sub(r"(\n\s*url\s*=\s*\{)[^}]*", lambda m: m.group(1) + next(urls), text)
    path.write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def poisoned_site(tmp_path_factory):
    import shutil
    data = tmp_path_factory.mktemp("poisoned") / "data"
    shutil.copytree(ROOT / "data", data)
    for name, fields in CSV_FIELDS.items():
        _poison_csv(data / name, fields)
    _poison_bib(data / "sources.bib")
    out = tmp_path_factory.mktemp("site")
    saved = {k: os.environ.get(k) for k in ("GLUTEDATA_DATA", "GLUTEDATA_VALIDATE")}
    os.environ.update(GLUTEDATA_DATA=str(data), GLUTEDATA_VALIDATE="0")
    try:
        build(NOTEBOOKS, out, timeout=300)
    finally:
        for k, v in saved.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    return out


@pytest.mark.site
@pytest.mark.browser
def test_poisoned_data_stays_text_on_every_page(poisoned_site):
    pages = sorted(poisoned_site.rglob("*.html"))
    assert pages
    dialogs, errors, results = [], [], {}
    with chromium_context() as context:
        for page_file in pages:
            page = context.new_page()
            page.on("dialog", lambda d, n=page_file.name: (dialogs.append(n), d.dismiss()))
            page.on("pageerror", lambda e, n=page_file.name: errors.append(f"{n}: {e}"))
            page.goto(page_file.as_uri(), wait_until="load")
            page.wait_for_timeout(200)
            # hover every chart mark that has hover text, so plotly renders it too
            results[str(page_file.relative_to(poisoned_site))] = page.evaluate("""() => ({
                injected: document.querySelectorAll('gd-poison, img[src="x"], [onerror]').length,
                ran: window.__gdXss === 1,
                jsLinks: [...document.querySelectorAll('a[href]')].filter(
                    a => a.href.trim().toLowerCase().startsWith('javascript:')).length,
                shown: document.body.innerText.includes('<gd-poison'),
                charts: document.querySelectorAll('.plotly-graph-div').length,
                chartText: [...document.querySelectorAll('.plotly-graph-div text')].some(
                    t => t.textContent.includes('<gd-poison')),
            })""")
            page.close()
    assert not dialogs, f"a dialog opened on {dialogs}"
    assert not errors, errors
    for name, r in results.items():
        assert r["injected"] == 0 and not r["ran"] and r["jsLinks"] == 0, (name, r)
    # the poisoned text is visible as text, in tables and in chart labels
    assert sum(r["shown"] for r in results.values()) >= 3, results
    assert any(r["chartText"] for r in results.values()), results
