import csv
import hashlib
import io
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
