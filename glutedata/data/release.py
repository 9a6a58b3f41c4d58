"""The data package's own record: file sizes and hashes, the list of primary sources, and citations.

``stamp`` rewrites ``bytes``, ``hash`` and ``sources`` of ``datapackage.json`` from the files, so the
descriptor can be checked against the data by any Frictionless tool; a test fails when a data file
changed without a new stamp. Run ``glutedata stamp`` after reviewing a data change.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

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


def stamp(folder=None) -> list[Path]:
    """Write :func:`stamped` into ``datapackage.json`` and, in a checkout, :func:`citation_cff` into
    ``CITATION.cff`` beside ``pyproject.toml``; returns the files written."""
    folder = data_dir(folder)
    path = folder / DICTIONARY
    path.write_text(json.dumps(stamped(folder), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    written = [path]
    if (folder.parent / "pyproject.toml").is_file():
        cff = folder.parent / "CITATION.cff"
        cff.write_text(citation_cff(folder), encoding="utf-8")
        written.append(cff)
    return written


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


def citation_cff(folder=None) -> str:
    """``CITATION.cff`` for the checkout: code (MIT) and data (CC-BY-4.0) licences, the data version
    and date, and every primary study of ``sources.bib`` as a reference."""
    from .._version import __version__
    from .bib import _plain
    from .loaders import sources
    folder = data_dir(folder)
    d = load_descriptor(folder)
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
