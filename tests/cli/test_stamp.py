"""`glutedata stamp`: maintainers stamp with --bump when merging; --check says what is stale and writes nothing."""

import datetime
import json

import pytest

from glutedata.cli import main
from glutedata.data.release import bumped, stale

from ..conftest import DATA, digest, edit_cell


def _descriptor(folder):
    return json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))


@pytest.fixture
def checkout(data_copy):
    """A data copy inside a folder that looks like a checkout (pyproject.toml beside it), so CITATION.cff is
    written too."""
    (data_copy.parent / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    main(["stamp", str(data_copy)])
    return data_copy


@pytest.mark.parametrize("part, expected", [("patch", "0.4.1"), ("minor", "0.5.0"), ("major", "1.0.0")])
def test_bumped_raises_one_part_and_zeroes_the_rest(part, expected):
    assert bumped("0.4.0", part) == expected
    assert bumped("1.9.9", "minor") == "1.10.0"


def test_bumped_refuses_what_is_not_semver():
    with pytest.raises(ValueError, match="not X.Y.Z"):
        bumped("0.4", "minor")
    with pytest.raises(ValueError, match="patch, minor, major"):
        bumped("0.4.0", "micro")


def test_stamp_bump_sets_version_date_files_and_citation_and_prints_the_heading(checkout, capsys):
    before = digest(DATA)
    old = _descriptor(checkout)
    edit_cell(checkout / "emg_activation.csv", 2, "notes", "reviewed and merged")
    capsys.readouterr()
    assert main(["stamp", "--bump", "minor", str(checkout)]) == 0
    out = capsys.readouterr().out
    d = _descriptor(checkout)
    today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    assert d["version"] == "0.5.0" and d["created"] == f"{today}T00:00:00Z"
    assert f"## 0.5.0 — {today}" in out.splitlines()
    assert "CHANGELOG.md" in out and f"wrote {checkout / 'datapackage.json'}" in out
    assert {k: v for k, v in d.items() if k not in ("version", "created", "resources")} == \
        {k: v for k, v in old.items() if k not in ("version", "created", "resources")}
    assert stale(checkout) == []  # sizes, hashes, sources and CITATION.cff all follow
    cff = (checkout.parent / "CITATION.cff").read_text(encoding="utf-8")
    assert 'version: "0.5.0"' in cff and f'date-released: "{today}"' in cff
    assert digest(DATA) == before, "the repository's data was touched"


def test_stamp_without_bump_keeps_version_and_date(checkout, capsys):
    old = _descriptor(checkout)
    edit_cell(checkout / "emg_activation.csv", 2, "notes", "edited")
    assert main(["stamp", str(checkout)]) == 0
    d = _descriptor(checkout)
    assert (d["version"], d["created"]) == (old["version"], old["created"])
    assert "##" not in capsys.readouterr().out


def test_stamp_check_names_what_is_stale_and_writes_nothing(checkout, capsys):
    assert main(["stamp", "--check", str(checkout)]) == 0
    assert "is stamped" in capsys.readouterr().err
    edit_cell(checkout / "screening.csv", 2, "reason", "read again")
    before = digest(checkout)
    assert main(["stamp", "--check", str(checkout)]) == 1
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [
        "datapackage.json: screening.csv: bytes and hash are stale (the file changed since the last stamp)"]
    assert "run: glutedata stamp" in captured.err
    assert digest(checkout) == before


def test_stamp_check_names_a_stale_citation_and_a_new_source(checkout, capsys):
    (checkout.parent / "CITATION.cff").write_text("cff-version: 1.2.0\n", encoding="utf-8")
    assert main(["stamp", "--check", str(checkout)]) == 1
    assert "CITATION.cff: differs from the data" in capsys.readouterr().out
    d = _descriptor(checkout)
    d["sources"] = d["sources"][1:]
    (checkout / "datapackage.json").write_text(json.dumps(d, indent=1), encoding="utf-8")
    assert main(["stamp", "--check", str(checkout)]) == 1
    assert "datapackage.json: sources: the list of primary sources is not that of sources.bib (new: " \
        in capsys.readouterr().out


def test_stamp_usage_errors_and_invalid_data(data_copy, capsys):
    assert main(["stamp", "--bump", "minor", "--check", str(data_copy)]) == 2
    assert main(["stamp", "--bump", "huge", str(data_copy)]) == 2
    edit_cell(data_copy / "emg_activation.csv", 2, "pct_mvic", "abc")
    before = digest(data_copy)
    assert main(["stamp", "--bump", "minor", str(data_copy)]) == 1
    assert "fix them before stamping" in capsys.readouterr().err
    assert digest(data_copy) == before
