"""sources(), cite() and references()."""

import bibtexparser
import pytest

import glutedata as gd


def test_every_source_has_an_entry_with_a_url(df):
    entries = gd.sources()
    assert set(df["source"]) <= set(entries)
    for key in set(df["source"]):
        e = entries[key]
        assert e["title"] and e["year"] and e["url"].startswith("http")


def test_cite_round_trips_through_bibtexparser(df):
    r = gd.rank("posterior", df=df)
    text = gd.cite(r)
    lib = bibtexparser.parse_string(text)
    assert not lib.failed_blocks
    keys = {k for s in r["sources"] for k in s}
    assert {e.key for e in lib.entries} == keys | {f"glutedata{gd.metadata()['created'][:4]}"}


def test_references_have_doi_links_where_known(df):
    refs = gd.references(df[df["source"] == "moore2019a"])
    assert refs == [r for r in refs if "https://doi.org/10.1123/jsr.2018-0340" in r]
    assert "Moore D" in refs[0] and "(2019)" in refs[0]


def test_cite_unknown_key():
    with pytest.raises(ValueError, match="not in sources.bib: nobody1999"):
        gd.cite(["nobody1999"])
