"""The data package is standard, versioned and stamped: any Frictionless tool reads it as we do."""

import json
import re
import shutil
import subprocess
import sys

import pytest

import glutedata as gd
from glutedata.data.release import citation_cff, file_record, stale, stamped

from ..conftest import DATA, ROOT, edit_cell

FRICTIONLESS = shutil.which("frictionless", path=str(ROOT / ".venv" / "bin")) or shutil.which("frictionless")


def _frictionless(folder):
    if not FRICTIONLESS:
        pytest.skip("frictionless is not installed (pip install -e '.[test]')")
    return subprocess.run([FRICTIONLESS, "validate", "--json", str(folder / "datapackage.json")],
                          capture_output=True, text=True, timeout=300)


@pytest.mark.stamp
def test_frictionless_accepts_the_package_as_written():
    r = _frictionless(DATA)
    report = json.loads(r.stdout)
    stale_files = [s for s in stale(DATA) if s.startswith("datapackage.json")]
    assert report["valid"], (_run_stamp("datapackage.json") + "\n" if stale_files else "") + \
        json.dumps([t["errors"] for t in report["tasks"]], indent=1)[:3000]


def test_frictionless_and_glutedata_read_patterns_alike(data_copy):
    # a url that only starts like one: a whole-value pattern rejects it in both tools
    edit_cell(data_copy / "screening.csv", 2, "url", "https://example.org/ a space")
    assert any(p.field == "url" and p.line == 2 for p in gd.validate(data_copy))
    from glutedata.data.release import stamp
    stamp(data_copy)
    report = json.loads(_frictionless(data_copy).stdout)
    errors = [e for t in report["tasks"] for e in t["errors"]]
    assert any(e.get("type") == "constraint-error" and e.get("fieldName") == "url" for e in errors), errors


def _run_stamp(prefix: str) -> str:
    """The message for a stale stamp: the command to run, then what it would change."""
    lines = [s for s in stale(DATA) if s.startswith(prefix)]
    return ("run: glutedata stamp (maintainers do, with --bump, when merging a reviewed change; see "
            "CONTRIBUTING.md)\n" + "\n".join(lines))


@pytest.mark.stamp
def test_descriptor_is_stamped_with_the_files_as_they_are():
    """Fails when a data file changed without `glutedata stamp`, naming the stale file or field."""
    assert not [s for s in stale(DATA) if s.startswith("datapackage.json")], _run_stamp("datapackage.json")
    descriptor = json.loads((DATA / "datapackage.json").read_text(encoding="utf-8"))
    for res in descriptor["resources"]:
        assert {k: res[k] for k in ("bytes", "hash")} == file_record(DATA / res["path"]), \
            f"{res['path']} changed since the descriptor was stamped: review it, then run: glutedata stamp"
    assert descriptor == stamped(DATA), _run_stamp("datapackage.json")


@pytest.mark.stamp
def test_descriptor_carries_version_date_licence_contributors_and_sources():
    d = json.loads((DATA / "datapackage.json").read_text(encoding="utf-8"))
    assert re.fullmatch(r"\d+\.\d+\.\d+", d["version"])
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", d["created"])
    assert d["licenses"][0]["name"] == "CC-BY-4.0" and d["contributors"]
    assert {s["title"].split(":")[0] for s in d["sources"]} == set(gd.sources()), _run_stamp("datapackage.json")
    assert gd.load().attrs["version"] == d["version"] == gd.metadata()["version"]
    assert f"## {d['version']}" in (DATA / "CHANGELOG.md").read_text(encoding="utf-8")


@pytest.mark.stamp
def test_citation_cff_matches_the_data():
    assert not [s for s in stale(DATA) if s.startswith("CITATION.cff")], _run_stamp("CITATION.cff")
    assert (ROOT / "CITATION.cff").read_text(encoding="utf-8") == citation_cff(DATA), _run_stamp("CITATION.cff")
    text = citation_cff(DATA)
    assert "license: [MIT, CC-BY-4.0]" in text and 'version: "' + gd.metadata()["version"] + '"' in text
    for key in gd.sources():
        assert f"glutedata source key {key}" in text


def test_cite_adds_the_dataset_entry():
    text = gd.cite(["moore2019a"])
    assert text.startswith("@article{moore2019a,") and "@misc{glutedata" in text
    assert f"version = {{{gd.metadata()['version']}}}" in text
    assert "@misc" not in gd.cite(["moore2019a"], dataset=False)


def test_stamp_command_updates_bytes_and_hash(data_copy):
    edit_cell(data_copy / "emg_activation.csv", 2, "notes", "edited")
    r = subprocess.run([sys.executable, "-m", "glutedata", "stamp", str(data_copy)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    d = json.loads((data_copy / "datapackage.json").read_text(encoding="utf-8"))
    res = next(x for x in d["resources"] if x["path"] == "emg_activation.csv")
    assert {k: res[k] for k in ("bytes", "hash")} == file_record(data_copy / "emg_activation.csv")


def test_validate_one_study_shows_its_problems_and_its_place(data_copy, capsys):
    from glutedata.cli import main
    assert main(["validate", str(data_copy), "--study", "okubo2019"]) == 0
    out = capsys.readouterr().out
    assert "side-plank-hip-abduction" in out and "place_with" in out and "estimate_without" in out
    assert out.startswith("Where okubo2019's values land in rank() (population healthy")
    line = next(i for i, r in enumerate((data_copy / "emg_activation.csv").read_text().splitlines(), 1)
                if r.startswith("okubo2019,"))
    other = next(i for i, r in enumerate((data_copy / "emg_activation.csv").read_text().splitlines(), 1)
                 if r.startswith("youdas2015,"))
    edit_cell(data_copy / "emg_activation.csv", line, "segment", "posteriour")
    edit_cell(data_copy / "emg_activation.csv", other, "pct_mvic", "abc")
    assert main(["validate", str(data_copy), "--study", "okubo2019"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert any(o.startswith(f"emg_activation.csv:{line}: segment:") for o in out)
    assert not any(o.startswith(f"emg_activation.csv:{other}:") for o in out), "another study's problem"
    assert main(["validate", str(data_copy), "--study", "nobody2020"]) == 2


TEMPLATES = (("values-template.csv", "emg_activation"), ("appraisal-template.csv", "studies"),
             ("screening-template.csv", "screening"))


def test_contributor_templates_fit_the_dictionary():
    from glutedata.data.bib import parse
    from glutedata.data.schema import read_schema
    schema = read_schema(DATA)
    for template, table in TEMPLATES:
        lines = (ROOT / "contributing" / template).read_text(encoding="utf-8").splitlines()
        assert lines[0] == (DATA / schema.tables[table].path).read_text(encoding="utf-8").splitlines()[0], template
        assert len(lines) == 2, f"{template}: one example row"
    entries, problems = parse(ROOT / "contributing" / "citation-template.bib", schema.bib_required)
    assert list(entries) == ["yourname2025"]
    # the template's only problem is the url it leaves to fill in; every required field is there
    assert [(p.field, p.message.split(" ")[0]) for p in problems] == [("url", "'https://'")]


def test_every_placeholder_stands_in_its_template():
    """The placeholders validation warns about are the templates' own words: a template edited without them
    would let its text slip through unwarned."""
    import csv

    from glutedata.data.advisories import PLACEHOLDERS
    texts = {table: next(csv.DictReader((ROOT / "contributing" / t).open(encoding="utf-8")))
             for t, table in TEMPLATES}
    texts["sources"] = {"ID": "yourname2025", **{k.strip(): v.strip(" {},") for k, v in (
        line.split("=", 1) for line in (ROOT / "contributing" / "citation-template.bib").read_text(
            encoding="utf-8").splitlines() if "=" in line)}}
    for (table, field), hints in PLACEHOLDERS.items():
        for hint in hints:
            assert hint in texts[table][field].lower(), (table, field, hint)
