"""Pages generated from the data (glutedata.publish.pages), and the display helpers the site relies on."""

import json
import re

import pandas as pd
import pytest

import glutedata as gd
from glutedata import plots
from glutedata.publish import pages

XSS = "<img src=x onerror=alert(1)>"
SHOWN = "&lt;img src=x onerror=alert(1)&gt;"
NAV = [("index.html", "Home")] + pages.NAV


@pytest.fixture(scope="module")
def ctx():
    return pages.context()


@pytest.fixture(scope="module")
def env():
    return pages.environment()


@pytest.fixture
def poisoned(ctx):
    """The real data with markup in every free-text field a page shows, and a script address as a url."""
    vocab = ctx.vocabulary.copy()
    for col in ("name", "description", "dosing"):
        vocab[col] = XSS
    vocab["aliases"] = [[XSS, "clam"]] * len(vocab)
    df = ctx.df.copy()
    for col in ("name", "variant", "locator", "notes"):
        df[col] = XSS
    entries = {k: {**e, "title": XSS, "journal": XSS, "doi": "", "url": "javascript:alert(1)"}
               for k, e in ctx.entries.items()}
    appraisal = ctx.appraisal.copy() if ctx.appraisal is not None else pd.DataFrame({"key": list(entries)})
    appraisal["concerns"] = XSS
    appraisal["appraisal_url"] = "javascript:alert(1)"
    return pages.Context(df=df, vocabulary=vocab, entries=entries, appraisal=appraisal,
                         meta={**ctx.meta, "version": XSS}, citation_cff=XSS)


def _assert_inert(html: str) -> None:
    assert "<img" not in html and not re.search(r"href\s*=\s*[\"']?\s*javascript", html, re.I)
    assert SHOWN in html or "\\u003cimg" in html


def test_markup_in_the_data_shows_as_text_on_every_generated_page(env, poisoned):
    key = sorted(poisoned.entries)[0]
    rendered = {
        "exercise": pages.exercise_page(env, poisoned, "clamshell", NAV),
        "study": pages.study_page(env, poisoned, key, NAV),
        "exercises": pages.exercises_index(env, poisoned, NAV),
        "studies": pages.studies_index(env, poisoned, NAV),
        "browse": pages.browse_page(env, poisoned, NAV),
        "cite": pages.cite_page(env, poisoned, NAV),
        "glossary": pages.glossary_page(env, poisoned, NAV),
    }
    for name, html in rendered.items():
        _assert_inert(html)
    assert rendered["exercise"].count(SHOWN) >= 4  # name, aliases, description, dosing, values
    assert "<title>&lt;img" in rendered["exercise"]
    assert f"Data version {SHOWN}" in rendered["glossary"]


def test_browser_data_cannot_close_its_script_block(env, poisoned):
    html = pages.browse_page(env, poisoned, NAV)
    block = re.search(r'<script type="application/json" id="gd-data">(.*?)</script>', html, re.S)[1]
    assert "<" not in block and ">" not in block and "&" not in block
    data = json.loads(block)
    assert data["rows"][0]["c"][1] == XSS  # the exercise name, intact once parsed
    assert pages.script_json({"a": "</script><b>&amp;"}) == '{"a":"\\u003c/script\\u003e\\u003cb\\u003e\\u0026amp;"}'


def test_file_names_stay_inside_their_folder():
    assert pages.file_name("clamshell") == "clamshell.html"
    assert pages.file_name("moore2019a") == "moore2019a.html"
    for key in ("../../etc/passwd", "index", "INDEX", "a/b", XSS, "", "trailing.", "a b"):
        name = pages.file_name(key)
        assert re.fullmatch(r"key-[0-9a-f]{16}\.html", name), (key, name)
    assert pages.exercise_href("clamshell") == "exercises/clamshell.html"
    assert pages.study_href("moore2019a") == "studies/moore2019a.html"


def test_exercise_page_has_facts_neighbours_values_and_rank(env, ctx):
    html = pages.exercise_page(env, ctx, "clamshell", NAV)
    vocab = ctx.vocabulary.set_index("id")
    assert "<h1>Clamshell</h1>" in html and "Also called:" in html
    harder = vocab.at["clamshell", "progresses_to"][0]
    assert f'href="../exercises/{harder}.html"' in html
    assert "Where it ranks" in html and re.search(r"<td>\d+ of \d+</td>", html)
    rows = ctx.df[ctx.df["exercise"] == "clamshell"]
    assert f"{len(rows)} value" in html
    for key in rows["source"].unique():
        assert f'href="../studies/{key}.html"' in html
    assert 'href="../browse.html?exercise=clamshell"' in html and 'href="../cite.html"' in html


def test_exercise_never_measured_says_so(env, ctx):
    measured = set(ctx.df["exercise"])
    unmeasured = [e for e in ctx.vocabulary["id"] if e not in measured]
    if not unmeasured:
        pytest.skip("every exercise in the vocabulary has a value")
    html = pages.exercise_page(env, ctx, unmeasured[0], NAV)
    assert "No study in the dataset has measured this exercise" in html and "Not in any of the rankings" in html


def test_study_page_cites_links_the_doi_and_shows_locators(env, ctx):
    key = next(k for k, e in sorted(ctx.entries.items()) if e.get("doi") and (ctx.df["source"] == k).any())
    html = pages.study_page(env, ctx, key, NAV)
    assert f'href="https://doi.org/{ctx.entries[key]["doi"]}"' in html
    assert "Where it was read" in html
    for locator in ctx.df.loc[ctx.df["source"] == key, "locator"].unique():
        assert f"<td>{locator}</td>" in html
    if ctx.appraisal is not None and (ctx.appraisal["key"] == key).any():
        assert "Publication type" in html


def test_browse_data_has_every_value_with_page_links(ctx):
    data = pages.browse_data(ctx)
    assert len(data["rows"]) == len(ctx.df)
    assert [c["label"] for c in data["columns"]][:2] == ["Study", "Exercise"]
    assert {f["field"] for f in data["filters"]} == {"muscle", "segment", "exercise", "source", "emg", "population",
                                                       "statistic"}
    row = data["rows"][0]
    assert row["study"] == pages.study_href(ctx.df["source"].iloc[0])
    json.dumps(data, allow_nan=False)  # missing numbers are null, not NaN


def test_readable_frames_join_keys_and_leave_rank_alone(df):
    ranked = gd.rank("whole", df=df)
    shown = plots.readable(ranked)
    assert isinstance(ranked["sources"].iloc[0], tuple)  # rank() itself is unchanged
    assert all(isinstance(v, str) and "(" not in v for v in shown["sources"])
    assert ", ".join(ranked["sources"].iloc[0]) == shown["sources"].iloc[0]
    html = plots._frame_html(gd.pool(df))
    assert "(&#x27;" not in html and "('" not in html


def test_gap_map_hover_names_the_studies(df):
    fig = plots.gap_map(gd.gaps(df, max_studies=99), df)
    text = " ".join(t for row in fig.data[0].hovertext for t in row)
    assert "sources: " in text and "moore2019a" in text
