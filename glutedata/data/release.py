"""The data package's own record: file sizes and hashes, the list of primary sources, and citations.

``stamp`` rewrites ``bytes``, ``hash`` and ``sources`` of ``datapackage.json`` from the files, so the
descriptor can be checked against the data by any Frictionless tool; :func:`stale` says what a new stamp
would change, and a test fails while anything is. Maintainers stamp a reviewed change when they merge it,
with ``glutedata stamp --bump patch|minor|major``, which also sets the version and the date.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from pathlib import Path

from .files import write_atomic
from .io import data_dir
from .schema import DICTIONARY, load_descriptor


def file_record(path: Path) -> dict:
    """``bytes`` and ``hash`` (Frictionless form, ``sha256:<hex>``) of one file."""
    raw = path.read_bytes()
    return {"bytes": len(raw), "hash": "sha256:" + hashlib.sha256(raw).hexdigest()}


def primary_sources(folder: Path) -> list[dict]:
    """The studies the values come from, as Data Package ``sources`` (title and DOI or page read)."""
    from .loaders import sources
    out = []
    for key, e in sorted(sources(folder, validate=False).items()):
        link = f"https://doi.org/{e['doi']}" if e.get("doi") else e.get("url", "")
        out.append({"title": f"{key}: {e.get('title', '').replace('{', '').replace('}', '')}", "path": link})
    return out


def stamped(folder=None) -> dict:
    """The descriptor as it should read for the files now in ``folder`` (nothing is written)."""
    folder = data_dir(folder)
    d = load_descriptor(folder)
    for res in d["resources"]:
        res.update(file_record(folder / res["path"]))
    d["sources"] = primary_sources(folder)
    return d


BUMPS = ("patch", "minor", "major")


def bumped(version: str, part: str) -> str:
    """``version`` (X.Y.Z) with one part raised and the parts after it set to 0.

    >>> bumped("0.4.2", "minor")
    '0.5.0'
    """
    if part not in BUMPS:
        raise ValueError(f"bump must be one of {', '.join(BUMPS)}, not '{part}'")
    m = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", str(version))
    if not m:
        raise ValueError(f"the data version '{version}' is not X.Y.Z; fix it in datapackage.json first")
    major, minor, patch = map(int, m.groups())
    raised = {"major": (major + 1, 0, 0), "minor": (major, minor + 1, 0), "patch": (major, minor, patch + 1)}[part]
    return ".".join(map(str, raised))


def _citation_path(folder: Path) -> Path | None:
    """``CITATION.cff`` of the checkout the data directory belongs to (None outside a checkout)."""
    return folder.parent / "CITATION.cff" if (folder.parent / "pyproject.toml").is_file() else None


def stamp(folder=None, bump: str | None = None, today: datetime.date | None = None) -> list[Path]:
    """Write :func:`stamped` into ``datapackage.json`` and, in a checkout, :func:`citation_cff` into
    ``CITATION.cff`` beside ``pyproject.toml``; returns the files written. With ``bump`` (patch, minor or
    major) the data version is raised and ``created`` set to ``today`` (UTC by default) first. Each file is
    written to a temporary file beside it that then replaces it (:func:`os.replace`): a file is never left
    half-written."""
    folder = data_dir(folder)
    d = stamped(folder)
    if bump is not None:
        d["version"] = bumped(d.get("version", ""), bump)
        day = today or datetime.datetime.now(datetime.timezone.utc).date()
        d["created"] = f"{day.isoformat()}T00:00:00Z"
    # everything is made before anything is written, and each file is replaced whole (through a temporary
    # file beside it): a failure leaves the old files as they were
    texts = {folder / DICTIONARY: json.dumps(d, indent=1, ensure_ascii=False) + "\n"}
    cff = _citation_path(folder)
    if cff is not None:
        texts[cff] = citation_cff(folder, descriptor=d)
    return [write_atomic(path, text) for path, text in texts.items()]


def changelog_heading(folder=None) -> str:
    """The heading of the data version's entry in ``CHANGELOG.md``: ``## X.Y.Z — YYYY-MM-DD``."""
    d = load_descriptor(data_dir(folder))
    return f"## {d.get('version', '')} — {(d.get('created') or '')[:10]}"


def stale(folder=None) -> list[str]:
    """What ``glutedata stamp`` would change, one line per stale file or field (empty when all is stamped):
    a resource whose file changed, the list of primary sources, ``CITATION.cff`` in a checkout."""
    folder = data_dir(folder)
    now, want = load_descriptor(folder), stamped(folder)
    out = []
    recorded = {r.get("name"): r for r in now.get("resources", [])}
    for res in want["resources"]:
        old = recorded.get(res["name"], {})
        fields = [k for k in ("bytes", "hash") if old.get(k) != res[k]]
        if fields:
            out.append(f"{DICTIONARY}: {res['path']}: {' and '.join(fields)} "
                       f"{'are' if len(fields) > 1 else 'is'} stale (the file changed since the last stamp)")
    if now.get("sources") != want["sources"]:
        had = {s.get("title", "").split(":")[0] for s in now.get("sources", []) if isinstance(s, dict)}
        has = {s["title"].split(":")[0] for s in want["sources"]}
        added, gone = sorted(has - had), sorted(had - has)
        what = "; ".join(x for x in (added and f"new: {', '.join(added)}", gone and f"gone: {', '.join(gone)}") if x)
        bib = next((r["path"] for r in want["resources"] if r.get("format") == "bib"), "the .bib file")
        out.append(f"{DICTIONARY}: sources: the list of primary sources is not that of {bib} "
                   f"({what or 'titles or links changed'})")
    cff = _citation_path(folder)
    if cff is not None:
        text = cff.read_text(encoding="utf-8") if cff.is_file() else None
        if text != citation_cff(folder):
            out.append(f"{cff.name}: " + ("missing" if text is None else "differs from the data (version, date "
                                                                          "or references)"))
    return out


def dataset_bibtex(folder=None) -> str:
    """A BibTeX entry for the dataset itself (title, version, date, licence)."""
    d = load_descriptor(data_dir(folder))
    year = (d.get("created") or "")[:4]
    licence = ", ".join(x.get("name", "") for x in d.get("licenses", []))
    return (f"@misc{{glutedata{year},\n  author  = {{{{The glutedata contributors}}}},\n"
            f"  title   = {{{d.get('title', 'glutedata')}}},\n  year    = {{{year}}},\n"
            f"  version = {{{d.get('version', '')}}},\n  note    = {{Data package version {d.get('version', '')}, "
            f"created {(d.get('created') or '')[:10]}; licence {licence}}}\n}}")


_CFF_TYPES = {"article": "article", "mastersthesis": "thesis", "phdthesis": "thesis", "techreport": "report",
              "inproceedings": "conference-paper"}


def _q(text) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(str(text), ensure_ascii=False)


def citation_cff(folder=None, descriptor: dict | None = None) -> str:
    """``CITATION.cff`` for the checkout: code (MIT) and data (CC-BY-4.0) licences, the data version
    and date (of ``descriptor``, by default the one in the folder), and every primary study of
    ``sources.bib`` as a reference."""
    from .._version import __version__
    from .bib import _plain
    from .loaders import sources
    folder = data_dir(folder)
    d = descriptor if descriptor is not None else load_descriptor(folder)
    lines = [
        "cff-version: 1.2.0",
        "message: " + _q("Cite the dataset as below and the studies behind the values you use (glutedata.cite). "
                         f"Code: MIT (package version {__version__}). Data: CC-BY-4.0 (data version {d['version']})."),
        "title: " + _q(f"glutedata: {d['title']}"),
        "type: dataset",
        f"version: {_q(d['version'])}",
        f"date-released: {_q(d['created'][:10])}",
        "license: [MIT, CC-BY-4.0]",
        "authors:",
        "  - name: " + _q(d["contributors"][0]["title"]),
        "references:",
    ]
    for key, e in sorted(sources(folder, validate=False).items()):
        lines += [f"  - type: {_CFF_TYPES.get(e['ENTRYTYPE'].lower(), 'generic')}",
                  f"    title: {_q(_plain(e.get('title', '')))}", "    authors:"]
        for name in _plain(e.get("author", "")).split(" and "):
            family, _, given = (p.strip() for p in name.partition(","))
            lines.append(f"      - family-names: {_q(family)}")
            if given:
                lines.append(f"        given-names: {_q(given)}")
        lines.append(f"    year: {int(e['year'])}" if e.get("year") else "    year: null")
        venue = _plain(e.get("journal") or e.get("school") or e.get("institution") or "")
        if venue:
            lines.append(f"    {'journal' if e['ENTRYTYPE'].lower() == 'article' else 'institution'}: "
                         + (_q(venue) if e["ENTRYTYPE"].lower() == "article" else "\n      name: " + _q(venue)))
        if e.get("doi"):
            lines.append(f"    doi: {_q(e['doi'])}")
        if e.get("url"):
            lines.append(f"    url: {_q(e['url'])}")
        lines.append(f"    notes: {_q('glutedata source key ' + key)}")
    return "\n".join(lines) + "\n"
