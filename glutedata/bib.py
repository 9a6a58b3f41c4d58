"""``sources.bib``: parsing (bibtexparser 2), checks, and citations for any frame."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import bibtexparser
from bibtexparser.model import DuplicateBlockKeyBlock

from .io import read_text

KEY_PATTERN = re.compile(r"^[a-z]+[0-9]{4}[a-z]?$")
DOI_PATTERN = re.compile(r"^10\.\d{4,9}/\S+$")


@dataclass(frozen=True)
class BibProblem:
    line: int
    field: str
    message: str


def parse(path: Path, required: dict | None = None) -> tuple[dict[str, dict], list[BibProblem]]:
    """Parse a .bib file into ``{key: {field: value, ...}}`` plus the problems found.

    ``required`` maps an entry type (or ``"*"`` for any other) to the fields it must have.

    Each entry dict also carries ``ENTRYTYPE`` and ``line`` (1-based line of its ``@``).
    """
    text = read_text(path)
    # bibtexparser logs failed blocks itself; we report them with file and line instead.
    logging.getLogger("bibtexparser").setLevel(logging.CRITICAL)
    library = bibtexparser.parse_string(text)
    problems: list[BibProblem] = []
    for block in library.failed_blocks:
        line = block.start_line + 1
        if isinstance(block, DuplicateBlockKeyBlock):
            problems.append(BibProblem(line, "key", f"duplicate entry key '{block.key}'"))
        else:
            first = block.raw.splitlines()[0] if block.raw else ""
            problems.append(BibProblem(line, "entry", f"cannot parse entry starting '{first[:60]}': "
                                                      "check braces, quotes and commas"))
    entries: dict[str, dict] = {}
    for e in library.entries:
        line = e.start_line + 1
        fields = {k.lower(): str(f.value).strip() for k, f in e.fields_dict.items()}
        if not KEY_PATTERN.match(e.key):
            problems.append(BibProblem(line, "key", f"key '{e.key}' is not of the form surnameYEAR[a-z]"))
        needed = (required or {}).get(e.entry_type.lower(), (required or {}).get("*", ()))
        for name in needed:
            if not fields.get(name):
                problems.append(BibProblem(line, name, f"entry '{e.key}' lacks required field '{name}'"))
        if fields.get("doi") and not DOI_PATTERN.match(fields["doi"]):
            problems.append(BibProblem(line, "doi", f"'{fields['doi']}' is not a DOI (10.xxxx/...)"))
        if fields.get("url") and not re.match(r"^https?://", fields["url"]):
            problems.append(BibProblem(line, "url", f"'{fields['url']}' is not an http(s) address"))
        if fields.get("year") and not re.fullmatch(r"\d{4}", fields["year"]):
            problems.append(BibProblem(line, "year", f"'{fields['year']}' is not a four-digit year"))
        entries[e.key] = {"ENTRYTYPE": e.entry_type, "ID": e.key, "line": line, **fields}
    return entries, problems


def _plain(value: str) -> str:
    return re.sub(r"[{}]", "", value or "").strip()


def to_bibtex(entry: dict) -> str:
    """One entry back to BibTeX (fields in the order they were read)."""
    body = ",\n".join(f"  {k} = {{{v}}}" for k, v in entry.items() if k not in ("ENTRYTYPE", "ID", "line"))
    return f"@{entry['ENTRYTYPE']}{{{entry['ID']},\n{body}\n}}"


def _authors(author: str) -> str:
    names = [a.strip() for a in _plain(author).split(" and ") if a.strip()]
    short = []
    for n in names:
        if n.lower() == "others":
            short.append("et al.")
            continue
        surname, _, given = n.partition(",")
        initials = "".join(p[0] for p in re.split(r"[\s.\-]+", given.strip()) if p)
        short.append(f"{surname.strip()} {initials}".strip())
    if len(short) > 6:
        short = short[:6] + ["et al."]
    return ", ".join(short)


def format_reference(entry: dict) -> str:
    """A plain-text reference with a DOI link (or the page read when there is no DOI)."""
    parts = [f"{_authors(entry.get('author', ''))} ({entry.get('year', 'n.d.')}). {_plain(entry.get('title', ''))}."]
    journal = _plain(entry.get("journal", "") or entry.get("school", ""))
    if journal:
        vol = entry.get("volume", "")
        num = f"({entry['number']})" if entry.get("number") else ""
        pages = f":{entry['pages'].replace('--', '-')}" if entry.get("pages") else ""
        parts.append(f"{journal}{' ' + vol if vol else ''}{num}{pages}.")
    if entry.get("doi"):
        parts.append(f"https://doi.org/{entry['doi']}")
    elif entry.get("url"):
        parts.append(entry["url"])
    return " ".join(parts)
