"""The data dictionary: ``datapackage.json`` read once, used by validation, loading and docs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DICTIONARY = "datapackage.json"


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
    )


def parse(descriptor: dict) -> Schema:
    """Build a :class:`Schema` from a data-package descriptor (a dict)."""
    tables: dict[str, Table] = {}
    bib_path, required, recommended = "sources.bib", {}, ()
    for res in descriptor["resources"]:
        if res.get("format") == "bib":
            bib_path = res["path"]
            req = res.get("bibtex", {}).get("required", {})
            required = {k: tuple(v) for k, v in req.items()} if isinstance(req, dict) else {"*": tuple(req)}
            recommended = tuple(res.get("bibtex", {}).get("recommended", ()))
            continue
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
    return Schema(tables, bib_path, required, recommended)


@lru_cache(maxsize=8)
def _read(path: str, mtime: float) -> Schema:
    return parse(json.loads(Path(path).read_text(encoding="utf-8")))


def read_schema(data_dir: Path) -> Schema:
    """Read ``datapackage.json`` of a data directory (cached until the file changes)."""
    p = Path(data_dir) / DICTIONARY
    return _read(str(p), p.stat().st_mtime)


def dictionary_markdown(schema: Schema) -> str:
    """The data dictionary as Markdown tables, for the docs and the rendered site."""
    out = []
    for t in schema.tables.values():
        out.append(f"### `{t.path}`\n\n{t.description}\n")
        out.append("| column | type | unit | required | allowed values | example | description |")
        out.append("|---|---|---|---|---|---|---|")
        for f in t.fields:
            allowed = ", ".join(f.enum) if f.enum else ""
            if f.minimum is not None or f.maximum is not None:
                allowed = f"{'' if f.minimum is None else f.minimum} to {'' if f.maximum is None else f.maximum}"
            if f.pattern:
                allowed = allowed or f"`{f.pattern}`"
            out.append(
                f"| `{f.name}` | {f.type} | {f.unit or ''} | {'yes' if f.required else ''} | {allowed} "
                f"| {f.example} | {f.description} |"
            )
        out.append("")
    required = "; ".join(f"{'any other type' if t == '*' else '@' + t}: {', '.join(f)}"
                         for t, f in schema.bib_required.items())
    out.append(f"### `{schema.bib_path}`\n\nRequired fields by entry type ({required}); "
               f"recommended: {', '.join(schema.bib_recommended)}.\n")
    return "\n".join(out)
