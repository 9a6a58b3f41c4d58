"""``sources.bib``: parsing (bibtexparser 2), checks, and citations for any frame."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from ..markup import looks_like_markup

KEY_PATTERN = re.compile(r"^[a-z]+[0-9]{4}[a-z]?$")
# Crossref's recommended pattern: the characters modern DOIs are made of, nothing that can close an attribute
DOI_PATTERN = re.compile(r"^10\.[0-9]{4,9}/[-._;()/:A-Za-z0-9]+$")
URL_PATTERN = re.compile(r"^https?://[^\s\"'<>`]+$")
# fields shown to readers, which must be plain text
TEXT_FIELDS = ("author", "title", "journal", "school", "booktitle", "publisher", "note", "volume", "number",
               "pages", "institution", "howpublished")


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
    problems: list[BibProblem] = []
    raw = path.read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"):
        problems.append(BibProblem(1, "-", "file starts with a byte-order mark (BOM); save it as UTF-8 without BOM"))
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        problems.append(BibProblem(line, "-", f"not valid UTF-8 (byte 0x{raw[e.start]:02x}); save the file as UTF-8"))
        return {}, problems
    import bibtexparser  # here, not at the top: `import glutedata` stays fast
    from bibtexparser.model import DuplicateBlockKeyBlock, ImplicitComment

    # bibtexparser logs failed blocks itself; we report them with file and line instead.
    logging.getLogger("bibtexparser").setLevel(logging.CRITICAL)
    library = bibtexparser.parse_string(text)
    for block in library.blocks:
        # text outside any entry is usually an entry whose '@' was lost; it would vanish silently
        if isinstance(block, ImplicitComment) and block.comment.strip():
            first = block.comment.strip().splitlines()[0]
            problems.append(BibProblem(block.start_line + 1 + _leading_blank_lines(block.raw), "entry",
                                       f"text outside any entry: '{first[:60]}' (a missing '@'?)"))
    if not library.entries and not library.failed_blocks:
        problems.append(BibProblem(1, "-", "no entries; every source in emg_activation.csv needs one"))
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
            problems.append(BibProblem(line, "doi", f"'{fields['doi']}' is not a DOI (10.NNNN/ followed by "
                                                    "letters, digits and - . _ ; ( ) / :)"))
        if fields.get("url") and not URL_PATTERN.match(fields["url"]):
            problems.append(BibProblem(line, "url", f"'{fields['url']}' is not an http(s) address "
                                                    "(no spaces, quotes, < > or `)"))
        for name in TEXT_FIELDS:
            why = looks_like_markup(fields.get(name, ""))
            if why:
                problems.append(BibProblem(line, name, f"entry '{e.key}': {why}"))
        if fields.get("year") and not re.fullmatch(r"\d{4}", fields["year"]):
            problems.append(BibProblem(line, "year", f"'{fields['year']}' is not a four-digit year"))
        entries[e.key] = {"ENTRYTYPE": e.entry_type, "ID": e.key, "line": line, **fields}
    return entries, problems


def _leading_blank_lines(raw: str) -> int:
    return len(raw) - len(raw.lstrip("\n")) if raw else 0


def _plain(value: str) -> str:
    """A BibTeX value as plain text: LaTeX accents decoded (pylatexenc, which bibtexparser uses), braces dropped."""
    text = value or ""
    if "\\" in text:
        from pylatexenc.latex2text import LatexNodes2Text
        text = LatexNodes2Text().latex_to_text(text)
    return re.sub(r"[{}]", "", text).strip()


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
