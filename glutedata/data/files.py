"""Writing files without losing any.

Every file glutedata writes goes to a temporary file in the same folder first and then takes the place of
the old one with :func:`os.replace`, so an interrupted or failed write leaves the old file whole.
Commands that write where a user points them check the place first (:func:`check_file`,
:func:`check_folder`): they refuse a file or a non-empty folder glutedata did not write, unless forced,
and never write inside a data directory, forced or not.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

# what a page glutedata wrote carries in its <head>; files are recognised by it
GENERATOR = re.compile(rb"""<meta\s+name=["']?generator["']?\s+content=["']glutedata[\s"']""", re.I)
HEAD_BYTES = 8192  # where the generator meta must stand to be found


class Refused(ValueError):
    """A write was refused: it would replace something glutedata did not write, or write into the data."""


def generator_meta(version: str) -> str:
    """The ``<meta name="generator">`` element that marks an HTML file as written by glutedata."""
    return f'<meta name="generator" content="glutedata {version}">'


def with_generator_meta(html: str, version: str) -> str:
    """``html`` with glutedata's generator meta at the start of its ``<head>`` (unchanged if it has one)."""
    if GENERATOR.search(html[:HEAD_BYTES].encode("utf-8", "replace")):
        return html
    return re.sub(r"<head(\s[^>]*)?>", lambda m: m.group(0) + "\n" + generator_meta(version), html, count=1,
                  flags=re.I)


def has_generator_meta(path: Path) -> bool:
    """Whether an HTML file's head carries glutedata's generator meta."""
    try:
        with open(path, "rb") as f:
            return bool(GENERATOR.search(f.read(HEAD_BYTES)))
    except OSError:
        return False


@contextlib.contextmanager
def replacing(path) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; when the block ends without an error it takes the place of
    ``path`` (atomically), otherwise it is removed and ``path`` is left as it was."""
    target = Path(path)
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        yield tmp
        if not tmp.is_file():
            raise OSError(f"nothing was written to replace {target}")
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def write_atomic(path, data: str | bytes, *, encoding: str = "utf-8") -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder and :func:`os.replace`.

    The new file gets the permissions of the file it replaces, or the usual ones for a new file (the umask).
    """
    target = Path(path)
    raw = data.encode(encoding) if isinstance(data, str) else bytes(data)
    try:
        mode = target.stat().st_mode & 0o7777
    except OSError:
        mode = None
    with replacing(target) as tmp:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        with open(fd, "wb") as f:
            f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
    return target


def copy_atomic(src, dest) -> Path:
    """Copy a file (as :func:`write_atomic` writes)."""
    return write_atomic(dest, Path(src).read_bytes())


def within(path, folder) -> bool:
    """Whether ``path`` is ``folder`` or inside it, after resolving links and ``..``."""
    p, f = Path(path).resolve(), Path(folder).resolve()
    return p == f or f in p.parents


def check_outside(path, data_dirs: Iterable) -> None:
    """Refuse a ``path`` inside any of ``data_dirs``: glutedata never writes into the data, even when forced."""
    for d in data_dirs:
        if d is not None and within(path, d):
            raise Refused(f"{path} is inside the data directory {d}; glutedata never writes there "
                          "(choose another place)")


def check_file(path, *, ours: Callable[[Path], bool], force: bool = False, data_dirs: Iterable = (),
               refusal: str = "exists and was not written by glutedata; use --force to replace it") -> None:
    """Refuse to write ``path`` when it is a folder, lies inside a data directory, or is an existing file that
    ``ours`` does not recognise (unless ``force``; ``refusal`` says why, after the path)."""
    target = Path(path)
    check_outside(target, data_dirs)
    if target.is_dir():
        raise Refused(f"{target} is a folder; give a file name")
    if (target.exists() or target.is_symlink()) and not force and not ours(target):
        raise Refused(f"{target} {refusal}")


def check_folder(folder, *, ours: Callable[[Path], bool], force: bool = False, data_dirs: Iterable = (),
                 refusal: str = "is a folder that is not empty and holds no glutedata site; use --force to write "
                                "into it") -> None:
    """Refuse to write into ``folder`` when it is a file, lies inside a data directory, or is a non-empty folder
    that ``ours`` does not recognise (unless ``force``; ``refusal`` says why, after the path)."""
    target = Path(folder)
    check_outside(target, data_dirs)
    if target.exists() and not target.is_dir():
        raise Refused(f"{target} is a file, not a folder")
    if target.is_dir() and not force and any(target.iterdir()) and not ours(target):
        raise Refused(f"{target} {refusal}")
