"""Checking a contribution sent as files (without git): filled-in templates are appended to a scratch copy of the
data directory, the copy is validated, and each problem is reported at the submitted file's own name and line.

Spreadsheet exports are taken as they come: a byte-order mark, CRLF (or CR) line endings, TRUE/FALSE in any case
and empty rows are normalised in the copy. The data directory itself is only read; a merged folder or a patch is
written only where the caller points, after :func:`check_outputs`.
"""

from __future__ import annotations

import contextlib
import csv
import difflib
import io
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .arguments import suggestion
from .files import Refused, check_file, check_folder, within, write_atomic
from .io import data_dir as _data_dir
from .problems import Problem
from .reader import BOM, any_field_size
from .scan import delimiter
from .schema import Schema, Table, read_schema
from .validate import validate_with_warnings

MARKER = ".glutedata-submission"  # left in a folder check-submission wrote, so that it may write there again
PATCH_HEADER = "# glutedata check-submission patch"
# what the contributor calls each table (the templates of contributing/)
TEMPLATES = {"emg_activation": "values", "studies": "appraisal", "screening": "screening", "exercises": "exercises"}
SPREADSHEETS = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")  # .xlsx and .ods are zip files; .xls an OLE file
# messages of validation that name another line of the same file
_LINE_REFERENCE = re.compile(r"\b(already used on line|as line) (\d+)\b")


@dataclass
class Check:
    """What check-submission found. ``folder`` is the merged copy (it exists while :func:`merged` runs);
    problems and warnings stand at the submitted files' lines, or at the data's own for what lies there."""

    data: Path
    folder: Path
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    studies: list[str] = field(default_factory=list)  # source keys of the submitted values
    changed: list[str] = field(default_factory=list)  # files of the data directory the submission adds to


def _text(raw: bytes) -> str:
    """A submitted file as the data keeps text: no byte-order mark, LF line endings. Bytes that are not UTF-8 are
    kept (as surrogates) so that validation reports them where they stand."""
    text = raw[len(BOM):] if raw.startswith(BOM) else raw
    text = text.decode("utf-8", "surrogateescape").replace("\r\n", "\n")
    return text.replace("\r", "\n") if "\n" not in text else text


def _lines(text: str) -> list[str]:
    # line feeds only: str.splitlines() would also split at characters CSV keeps inside a value
    return re.findall(r"[^\n]*\n|[^\n]+$", text)


def _append(dest: Path, lines: list[str], blank_first: bool = False) -> int:
    """Append ``lines`` to ``dest`` on lines of their own; return the line number the first one gets."""
    raw = dest.read_bytes()
    lead = ("" if not raw or raw.endswith(b"\n") else "\n") + ("\n" if blank_first and raw else "")
    first = (raw + lead.encode()).count(b"\n") + 1
    body = "".join(line if line.endswith("\n") else line + "\n" for line in lines)
    with open(dest, "ab") as f:
        f.write((lead + body).encode("utf-8", "surrogateescape"))
    return first


def _table_of(header: list[str], schema: Schema) -> Table | None:
    """The table whose columns a submitted header shares most (at least half of it), or None."""
    def shared(t: Table) -> int:
        return len(set(header) & set(t.columns))
    best = max((t for t in schema.tables.values() if t.name in TEMPLATES), key=shared)
    return best if shared(best) >= max(2, len(set(header)) // 2) else None


def _header_problems(name: str, header: list[str], table: Table) -> list[Problem]:
    out = [Problem(name, 1, c, "column appears twice") for c in sorted({c for c in header if header.count(c) > 1})]
    missing = [c for c in table.columns if c not in header]
    for c in header:
        if c not in table.columns:
            hint = suggestion(c.strip(), missing)
            if hint:  # a misspelt column is one cause: the column it stands for is not reported missing too
                missing.remove(re.search(r"'(.*)'", hint).group(1))
            out.append(Problem(name, 1, c, f"unknown column{hint}; the {TEMPLATES[table.name]} template's columns "
                                           f"are: {', '.join(table.columns)}"))
    return out + [Problem(name, 1, c, "missing column (keep every column of the template, empty where the page "
                                      "says nothing)") for c in missing]


def _rows(name: str, text: str, schema: Schema, problems: list[Problem]):
    """The table a submitted CSV adds to and its lines as the table keeps them, each with its own line number;
    None (and the problems) when it cannot be merged."""
    lines = _lines(text)
    first = lines[0] if lines else ""
    try:
        header = next(csv.reader([first], strict=True)) if first.strip() else []
    except csv.Error:
        header = []
    table = _table_of(header, schema) if header else None
    if table is None:
        why = delimiter(first) or ("the file is empty" if not first.strip() else
                                   "its header is that of no template: use the columns of "
                                   + ", ".join(f"{v} ({schema.tables[k].path})" for k, v in TEMPLATES.items()))
        problems.append(Problem(name, 1, "-", why))
        return None
    bad = _header_problems(name, header, table)
    if bad:
        problems += bad
        return None
    order = [header.index(c) for c in table.columns]
    booleans = {header.index(f.name) for f in table.fields if f.type == "boolean"}
    rows = []
    for number, line in enumerate(lines[1:], 2):
        if not line.strip().strip(","):
            continue  # an empty spreadsheet row
        try:
            values = next(csv.reader([line], strict=True))
        except (csv.Error, StopIteration):
            values = None  # kept as it is: validation reports it at this line
        if values is not None and len(values) == len(header):
            fixed = [v.lower() if i in booleans and v.lower() in ("true", "false") else v for i, v in enumerate(values)]
            if fixed != values or order != list(range(len(header))):
                buf = io.StringIO()
                csv.writer(buf, lineterminator="\n").writerow([fixed[i] for i in order])
                line = buf.getvalue()
        rows.append((number, line))
    if not rows:
        problems.append(Problem(name, 1, "-", "the file has a header but no rows"))
        return None
    return table, rows


@contextlib.contextmanager
def merged(files: Iterable, data=None) -> Iterator[Check]:
    """Append the submitted ``files`` to a scratch copy of the data directory and validate it; the copy is removed
    when the block ends. Raises ValueError for a file that cannot be read at all (a usage error)."""
    data = _data_dir(data)
    paths = [Path(f) for f in files]
    if not paths:
        raise ValueError("give the filled-in templates to check (values, appraisal, screening CSV and .bib)")
    for p in paths:
        if not p.is_file():
            raise ValueError(f"no such file: {p}")
        if within(p, data):
            raise ValueError(f"{p} is a file of the data directory itself; give the submitted files")
    if len({p.resolve() for p in paths}) < len(paths):
        raise ValueError("a file is given twice")
    schema = read_schema(data)  # a broken dictionary is reported as the data's problem (DataError)
    with tempfile.TemporaryDirectory(prefix="glutedata-submission-") as tmp, any_field_size():
        folder = Path(tmp) / data.name
        shutil.copytree(data, folder)
        check = Check(data, folder)
        origin: dict[str, dict[int, tuple[str, int]]] = {}  # merged file -> merged line -> (submitted, line)
        for p in paths:
            name, raw = str(p), p.read_bytes()
            if raw.startswith(SPREADSHEETS):
                check.problems.append(Problem(name, 1, "-", "a spreadsheet file, not CSV: save it as CSV UTF-8 "
                                                            "(comma-separated)"))
                continue
            text = _text(raw)
            if p.suffix.lower() == ".bib" or text.lstrip().startswith("@"):
                target, numbered = schema.bib_path, list(enumerate(_lines(text), 1))
            else:
                found = _rows(name, text, schema, check.problems)
                if found is None:
                    continue
                table, numbered = found
                target = table.path
                if table.name == "emg_activation":
                    keys = dict.fromkeys([*check.studies, *(k for _, line in numbered for k in _source(line))])
                    check.studies = [k for k in keys if k]
            if not numbered:
                continue
            start = _append(folder / target, [line for _, line in numbered], blank_first=target == schema.bib_path)
            origin.setdefault(target, {}).update({start + i: (name, n) for i, (n, _) in enumerate(numbered)})
            check.changed += [target] if target not in check.changed else []
        problems, warnings = validate_with_warnings(folder)
        check.problems += [_mapped(p, origin, data) for p in problems]
        check.warnings += [_mapped(p, origin, data) for p in warnings]
        submitted = {str(p): i for i, p in enumerate(paths)}
        for found in (check.problems, check.warnings):
            found.sort(key=lambda q: (submitted.get(q.file, len(paths)), q.file, q.line, q.field, q.message))
        yield check


def _source(line: str) -> list[str]:
    try:
        return [next(csv.reader([line]))[0]]
    except (csv.Error, StopIteration, IndexError):
        return []


def _mapped(p: Problem, origin: dict, data: Path) -> Problem:
    """A problem of the merged copy at the submitted file and line it comes from; one on a line of the data
    itself keeps that line, under the data directory's path."""
    lines = origin.get(p.file, {})

    def other(m: re.Match) -> str:
        hit = lines.get(int(m.group(2)))
        return f"{m.group(1)} {hit[1]} of {hit[0]}" if hit else f"{m.group(0)} of {data / p.file}"

    message = _LINE_REFERENCE.sub(other, p.message)
    if p.line in lines:
        name, line = lines[p.line]
        return Problem(name, line, p.field, message)
    return Problem(str(data / p.file), p.line, p.field, message)


def is_merged_folder(path: Path) -> bool:
    """Whether a folder was written by check-submission (it may then be written again)."""
    return (Path(path) / MARKER).is_file()


def is_patch(path: Path) -> bool:
    """Whether a file is a patch check-submission wrote (it may then be replaced)."""
    try:
        with open(path, "rb") as f:
            return f.read(len(PATCH_HEADER)) == PATCH_HEADER.encode()
    except OSError:
        return False


def check_outputs(out=None, patch=None, data_dirs: Iterable = ()) -> None:
    """Refuse, before any work, an ``out`` folder or ``patch`` file that lies in a data directory, or holds
    something check-submission did not write."""
    dirs = [Path(d) for d in data_dirs if d is not None]
    if out is not None:
        check_folder(out, ours=is_merged_folder, data_dirs=dirs,
                     refusal="is a folder that is not empty and was not written by check-submission; "
                             "give a new or empty folder")
        for d in dirs:
            if within(d, out):
                raise Refused(f"the data directory {d} lies inside {out}; choose another --out")
    if patch is not None:
        check_file(patch, ours=is_patch, data_dirs=dirs,
                   refusal="exists and is not a patch check-submission wrote; give a new file name")
        if out is not None and within(patch, out):
            raise Refused(f"--patch {patch} lies inside --out {out}; put it elsewhere")


def write_folder(check: Check, out) -> Path:
    """The merged data directory, written into ``out`` (checked by :func:`check_outputs`)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for src in sorted(check.folder.iterdir()):
        if src.is_file():
            write_atomic(out / src.name, src.read_bytes())
    write_atomic(out / MARKER, f"merged by glutedata check-submission from {check.data}\n")
    return out


def patch_text(check: Check) -> str:
    """A unified diff that adds the submission to the data directory, to apply from the folder that holds it
    (``patch -p1 < FILE`` or ``git apply FILE``)."""
    out = [f"{PATCH_HEADER}: apply it in the folder that holds {check.data.name}/ with `git apply` or "
           "`patch -p1`\n"]
    for name in check.changed:
        old, new = ((d / name).read_text(encoding="utf-8", errors="replace") for d in (check.data, check.folder))
        where = f"{check.data.name}/{name}"
        for line in difflib.unified_diff(_lines(old), _lines(new), f"a/{where}", f"b/{where}"):
            out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def write_patch(check: Check, path) -> Path:
    """:func:`patch_text` written to ``path`` (checked by :func:`check_outputs`)."""
    return write_atomic(path, patch_text(check))
