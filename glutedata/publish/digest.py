"""Cache keys of the site build: hashes of the files and library versions an output depends on."""

from __future__ import annotations

import hashlib
from importlib import metadata as _metadata
from pathlib import Path


def hash_versions(h, libraries) -> None:
    """Add each library's installed version ('-' when it is not installed)."""
    for lib in libraries:
        try:
            h.update(f"{lib} {_metadata.version(lib)}\n".encode())
        except _metadata.PackageNotFoundError:
            h.update(f"{lib} -\n".encode())


def hash_files(h, folder: Path, pattern: str) -> None:
    """Add the name and content of every file under ``folder`` matching ``pattern`` (caches left out)."""
    for f in sorted(p for p in folder.rglob(pattern) if p.is_file() and "__pycache__" not in p.parts):
        h.update(f"{f.relative_to(folder).as_posix()}\n".encode())
        h.update(hashlib.sha256(f.read_bytes()).digest())
