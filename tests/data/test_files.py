"""Writing without losing anything: each file is replaced whole, so a write that fails half-way leaves the old
file as it was; ``stamp`` makes everything before it writes anything."""

import os
import shutil

import pytest

from glutedata.data import files, release

from ..conftest import edit_cell


class _HalfWritten:
    """A file object that writes half of what it is given, then fails as a full disk would."""

    def __init__(self, f):
        self.f = f

    def write(self, data):
        self.f.write(data[: len(data) // 2])
        self.f.flush()
        raise OSError(28, "No space left on device")

    def __getattr__(self, name):
        return getattr(self.f, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.f.close()


def _fail_half_way(monkeypatch):
    monkeypatch.setattr(files, "open", lambda *a, **k: _HalfWritten(open(*a, **k)), raising=False)


def test_write_atomic_replaces_whole_and_keeps_the_mode(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("old", encoding="utf-8")
    os.chmod(path, 0o640)
    files.write_atomic(path, "new ✓")
    assert path.read_text(encoding="utf-8") == "new ✓" and path.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


@pytest.mark.parametrize("failure", ["half-way", "fsync", "replace"])
def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(failure, tmp_path, monkeypatch):
    path = tmp_path / "a.txt"
    path.write_bytes(b"old contents")
    if failure == "half-way":
        _fail_half_way(monkeypatch)
    else:
        def boom(*args):
            raise OSError(5, "Input/output error")
        monkeypatch.setattr(files.os, failure, boom)
    with pytest.raises(OSError):
        files.write_atomic(path, "new contents " * 1000)
    monkeypatch.undo()
    assert path.read_bytes() == b"old contents"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def _checkout(tmp_path, data_copy):
    """A checkout-like folder (pyproject.toml beside data/), so stamp writes CITATION.cff too."""
    root = tmp_path / "checkout"
    root.mkdir()
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    (root / "CITATION.cff").write_text("cff-version: 1.2.0\n", encoding="utf-8")
    shutil.copytree(data_copy, root / "data")
    return root


def test_stamp_that_fails_half_way_changes_nothing(tmp_path, data_copy, monkeypatch):
    root = _checkout(tmp_path, data_copy)
    edit_cell(root / "data" / "emg_activation.csv", 2, "notes", "edited")  # the stamp would change the hash
    before = {p.name: p.read_bytes() for p in [*(root / "data").iterdir(), root / "CITATION.cff"]}
    _fail_half_way(monkeypatch)
    with pytest.raises(OSError, match="No space left"):
        release.stamp(root / "data")
    monkeypatch.undo()
    after = {p.name: p.read_bytes() for p in [*(root / "data").iterdir(), root / "CITATION.cff"]}
    assert after == before  # datapackage.json byte-identical, and no temporary file left in data/


def test_stamp_makes_everything_before_writing_anything(tmp_path, data_copy, monkeypatch):
    root = _checkout(tmp_path, data_copy)
    descriptor = (root / "data" / "datapackage.json").read_bytes()

    def broken(*args, **kwargs):
        raise ValueError("cannot make CITATION.cff")
    monkeypatch.setattr(release, "citation_cff", broken)
    with pytest.raises(ValueError):
        release.stamp(root / "data")
    assert (root / "data" / "datapackage.json").read_bytes() == descriptor


def test_stamp_writes_both_files(tmp_path, data_copy):
    root = _checkout(tmp_path, data_copy)
    written = release.stamp(root / "data")
    assert [p.name for p in written] == ["datapackage.json", "CITATION.cff"]
    assert (root / "CITATION.cff").read_text(encoding="utf-8").startswith("cff-version: 1.2.0\nmessage:")
    assert not [p for p in root.rglob("*.tmp")]


def test_refusals_are_value_errors_with_the_reason(tmp_path):
    mine = tmp_path / "mine.txt"
    mine.write_text("x", encoding="utf-8")
    with pytest.raises(files.Refused, match="not written by glutedata"):
        files.check_file(mine, ours=lambda p: False)
    files.check_file(mine, ours=lambda p: False, force=True)
    with pytest.raises(files.Refused, match="never writes there"):
        files.check_file(tmp_path / "data" / "x.html", ours=lambda p: True, force=True, data_dirs=[tmp_path / "data"])
    with pytest.raises(files.Refused, match="not empty"):
        files.check_folder(tmp_path, ours=lambda p: False)
    files.check_folder(tmp_path / "new", ours=lambda p: False)
    assert issubclass(files.Refused, ValueError)


def test_generator_meta_marks_html(tmp_path):
    html = '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>x</title></head></html>'
    marked = files.with_generator_meta(html, "1.2.3")
    assert '<head>\n<meta name="generator" content="glutedata 1.2.3">' in marked
    assert files.with_generator_meta(marked, "9") == marked
    (tmp_path / "a.html").write_text(marked, encoding="utf-8")
    (tmp_path / "b.html").write_text(html, encoding="utf-8")
    assert files.has_generator_meta(tmp_path / "a.html") and not files.has_generator_meta(tmp_path / "b.html")
    assert not files.has_generator_meta(tmp_path / "missing.html")
