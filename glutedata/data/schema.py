"""The data dictionary: ``datapackage.json`` read once, used by validation, loading and docs."""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..markup import Markdown, md, one_line
from .problems import DataError, Problem

DICTIONARY = "datapackage.json"
# The most a cell of any table may hold, in bytes of UTF-8: ten times the longest note any study needs.
# Validation reports a larger value at its place; it also keeps a cell under the csv module's field limit.
MAX_CELL_BYTES = 10_000
MAX_CELL_TEXT = "10 kB"


def cell_too_large(size: int) -> str:
    """The problem of a cell of ``size`` bytes, over :data:`MAX_CELL_BYTES`."""
    return f"value is {size:,} bytes; the most a cell may hold is {MAX_CELL_TEXT}"


@dataclass(frozen=True)
class Field:
    """One column of a table, as the data dictionary defines it."""

    name: str
    type: str
    description: str
    example: object
    unit: str | None = None
    required: bool = False
    enum: tuple[str, ...] | None = None
    ordered: bool = False
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None
    unique: bool = False
    # the pattern in plain words ("'abstract' or 'Table N' (e.g. 'Table 2')"), for messages and docs
    pattern_description: str | None = None


@dataclass(frozen=True)
class Table:
    """A CSV resource of the data package."""

    name: str
    path: str
    description: str
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[tuple[str, str, str], ...]  # (field, resource, field)

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


@dataclass(frozen=True)
class Schema:
    """All tables plus the BibTeX requirements of ``sources.bib``."""

    tables: dict[str, Table]
    bib_path: str
    bib_required: dict[str, tuple[str, ...]]  # entry type (or "*") -> required fields
    bib_recommended: tuple[str, ...]
    segments_by_muscle: dict[str, tuple[str, ...]]

    def vocabulary(self, table: str, field: str) -> tuple[str, ...]:
        """The closed list of allowed values of a field."""
        return self.tables[table].field(field).enum or ()


def _as_list(x) -> list:
    return x if isinstance(x, list) else [x]


def _field(d: dict) -> Field:
    c = d.get("constraints", {})
    return Field(
        name=d["name"],
        type=d.get("type", "string"),
        description=d.get("description", ""),
        example=d.get("example"),
        unit=d.get("unit"),
        required=bool(c.get("required", False)),
        enum=tuple(c["enum"]) if "enum" in c else None,
        ordered=bool(d.get("ordered", False)),
        minimum=c.get("minimum"),
        maximum=c.get("maximum"),
        pattern=c.get("pattern"),
        unique=bool(c.get("unique", False)),
        pattern_description=d.get("pattern_description"),
    )


class SchemaError(ValueError):
    """The data dictionary itself is malformed; ``where`` is the JSON path of the fault."""

    def __init__(self, where: str, message: str):
        self.where, self.message = where, message
        super().__init__(f"{where}: {message}")


REQUIRED_RESOURCES = ("emg_activation", "exercises", "screening", "studies", "sources")


def _shape(descriptor) -> None:
    """Raise :class:`SchemaError` unless the descriptor has the shape this package reads."""
    if not isinstance(descriptor, dict):
        raise SchemaError("-", f"the descriptor must be a JSON object, not {type(descriptor).__name__}")
    resources = descriptor.get("resources")
    if not isinstance(resources, list) or not all(isinstance(r, dict) for r in resources):
        raise SchemaError("resources", "must be a list of resource objects")
    for i, res in enumerate(resources):
        where = f"resources[{i}]"
        for key in ("name", "path"):
            if not isinstance(res.get(key), str) or not res.get(key):
                raise SchemaError(f"{where}.{key}", "missing or not a string")
        if "/" in res["path"] or "\\" in res["path"] or res["path"].startswith("."):
            raise SchemaError(f"{where}.path", f"'{res['path']}' must be a file name inside the data directory")
        if res.get("format") == "bib":
            continue
        schema = res.get("schema")
        if not isinstance(schema, dict) or not isinstance(schema.get("fields"), list):
            raise SchemaError(f"{where}.schema.fields", "missing or not a list")
        for j, f in enumerate(schema["fields"]):
            if not isinstance(f, dict) or not isinstance(f.get("name"), str):
                raise SchemaError(f"{where}.schema.fields[{j}]", "each field needs a name")
            if not isinstance(f.get("constraints", {}), dict):
                raise SchemaError(f"{where}.schema.fields[{j}].constraints", "must be an object")
            if not isinstance(f.get("pattern_description", ""), str):
                raise SchemaError(f"{where}.schema.fields[{j}].pattern_description", "must be a string")
            enum = f.get("constraints", {}).get("enum")
            if enum is not None and not (isinstance(enum, list) and all(isinstance(e, str) for e in enum)):
                raise SchemaError(f"{where}.schema.fields[{j}].constraints.enum", "must be a list of strings")
        for k, fk in enumerate(schema.get("foreignKeys", [])):
            try:
                fk["fields"], fk["reference"]["resource"], fk["reference"]["fields"]
            except (KeyError, TypeError):
                raise SchemaError(f"{where}.schema.foreignKeys[{k}]", "needs fields and reference.resource/fields")
    names = {r["name"] for r in resources}
    missing = [n for n in REQUIRED_RESOURCES if n not in names]
    if missing:
        raise SchemaError("resources", f"no resource named {', '.join(missing)}")


def parse(descriptor: dict) -> Schema:
    """Build a :class:`Schema` from a data-package descriptor (a dict); :class:`SchemaError` if malformed."""
    _shape(descriptor)
    tables: dict[str, Table] = {}
    bib_path, required, recommended, segments = "sources.bib", {}, (), {}
    for res in descriptor["resources"]:
        if res.get("format") == "bib":
            bib_path = res["path"]
            req = res.get("bibtex", {}).get("required", {})
            required = {k: tuple(v) for k, v in req.items()} if isinstance(req, dict) else {"*": tuple(req)}
            recommended = tuple(res.get("bibtex", {}).get("recommended", ()))
            continue
        if res["name"] == "emg_activation":
            segments = {m: tuple(v) for m, v in res.get("segments_by_muscle", {}).items()}
        s = res["schema"]
        fks = tuple(
            (_as_list(fk["fields"])[0], fk["reference"]["resource"], _as_list(fk["reference"]["fields"])[0])
            for fk in s.get("foreignKeys", [])
        )
        tables[res["name"]] = Table(
            name=res["name"],
            path=res["path"],
            description=res.get("description", ""),
            fields=tuple(_field(f) for f in s["fields"]),
            primary_key=tuple(_as_list(s.get("primaryKey", []))),
            foreign_keys=fks,
        )
    return Schema(tables, bib_path, required, recommended, segments)


def load_descriptor(data_dir: Path) -> dict:
    """The descriptor as JSON; :class:`SchemaError` (with a line where known) for any reading fault."""
    p = Path(data_dir) / DICTIONARY
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise SchemaError("-", f"no data dictionary in {data_dir}") from None
    except IsADirectoryError:
        raise SchemaError("-", f"{p} is a directory, not a file") from None
    except OSError as e:
        raise SchemaError("-", f"cannot read {p}: {e.strerror or e}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        err = SchemaError("-", f"not valid UTF-8 (byte 0x{raw[e.start]:02x}); save the file as UTF-8")
        err.line = raw[: e.start].count(b"\n") + 1
        raise err from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        err = SchemaError("-", f"not valid JSON: {e.msg} (column {e.colno})")
        err.line = e.lineno
        raise err from None


@lru_cache(maxsize=8)
def _read(path: str, mtime: float) -> Schema:
    return parse(load_descriptor(Path(path).parent))


def read_schema(data_dir: Path) -> Schema:
    """Read ``datapackage.json`` of a data directory (cached until the file changes).

    Raises :class:`glutedata.DataError` when the dictionary is missing or malformed.
    """
    p = Path(data_dir) / DICTIONARY
    try:
        return _read(str(p), p.stat().st_mtime)
    except FileNotFoundError:
        raise DataError([Problem(DICTIONARY, 0, "-", f"no data dictionary in {data_dir}")]) from None
    except (OSError, SchemaError) as e:
        where = e.where if isinstance(e, SchemaError) else "-"
        message = e.message if isinstance(e, SchemaError) else f"cannot read the data dictionary: {e.strerror or e}"
        raise DataError([Problem(DICTIONARY, getattr(e, "line", 1), where, message)]) from None


def _allowed(f: Field) -> str:
    """The values a field allows, as one line: its vocabulary, its range or its pattern (in words when the
    dictionary gives them)."""
    allowed = ", ".join(f.enum) if f.enum else ""
    if f.minimum is not None or f.maximum is not None:
        allowed = f"{'' if f.minimum is None else f.minimum} to {'' if f.maximum is None else f.maximum}"
    if f.pattern:
        allowed = allowed or f.pattern_description or f.pattern
    return allowed


def dictionary_text(schema: Schema, width: int = 100) -> str:
    """The data dictionary as plain text for a terminal: each table, then each column with its type, unit,
    allowed values, example and description. Text from the descriptor is put on one line with control
    characters escaped (:func:`glutedata.markup.one_line`), then wrapped."""
    def wrap(text: str, indent: str) -> list[str]:
        return textwrap.wrap(one_line(text), width, initial_indent=indent, subsequent_indent=indent,
                             break_long_words=False, break_on_hyphens=False) or []

    out = []
    for t in schema.tables.values():
        out += [one_line(t.path), *wrap(t.description, "  "), ""]
        for f in t.fields:
            kind = ", ".join(x for x in (f.type, f.unit and f"unit {f.unit}", "required" if f.required else "") if x)
            out.append(f"  {one_line(f.name)} ({one_line(kind)})")
            out += wrap(f.description, "      ")
            if _allowed(f):
                out += wrap(f"allowed: {_allowed(f)}", "      ")
            if f.example not in (None, ""):
                out += wrap(f"example: {f.example}", "      ")
        out.append("")
    required = "; ".join(f"{'any other type' if t == '*' else '@' + t}: {', '.join(f)}"
                         for t, f in schema.bib_required.items())
    out += [one_line(schema.bib_path), *wrap(f"Required fields by entry type ({required}); "
                                             f"recommended: {', '.join(schema.bib_recommended)}.", "  ")]
    return "\n".join(out)


def dictionary_markdown(schema: Schema) -> str:
    """The data dictionary as Markdown tables, for the docs and the rendered site.

    The descriptor is data too, so every text taken from it is escaped.
    """
    out = []
    for t in schema.tables.values():
        out.append(f"### {md(t.path)}\n\n{md(t.description)}\n")
        out.append("| column | type | unit | required | allowed values | example | description |")
        out.append("|---|---|---|---|---|---|---|")
        for f in t.fields:
            allowed = _allowed(f)
            out.append(
                f"| {md(f.name)} | {md(f.type)} | {md(f.unit or '')} | {'yes' if f.required else ''} | {md(allowed)} "
                f"| {md(f.example)} | {md(f.description)} |"
            )
        out.append("")
    required = "; ".join(f"{'any other type' if t == '*' else '@' + t}: {', '.join(f)}"
                         for t, f in schema.bib_required.items())
    out.append(f"### {md(schema.bib_path)}\n\nRequired fields by entry type ({md(required)}); "
               f"recommended: {md(', '.join(schema.bib_recommended))}.\n")
    return Markdown("\n".join(out))
