"""Site pages generated from the data: the data browser, one page per exercise and per study, their
indexes, the glossary and the citation page.

Everything from ``data/`` is untrusted text. The templates are rendered by Jinja2 with autoescape on;
links out go through :func:`glutedata.markup.url` / :func:`~glutedata.markup.doi_url`; the browser's
data sits in a ``<script type="application/json">`` block as JSON with ``<``, ``>`` and ``&`` escaped,
and its script writes cells with ``textContent``, never as markup.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pandas as pd

from .. import markup
from ..data import bib
from ..data.io import data_dir
from ..data.loaders import exercises, load, metadata, sources
from ..query.ranking import rank
from .handout import NoEvidence, handout
from .render import day, environment, footer, number

# Pages of this module, after the notebooks in the navigation (paths relative to the site root).
NAV = [("browse.html", "Browse the data"), ("exercises/index.html", "Exercises"), ("studies/index.html", "Studies"),
       ("glossary.html", "Glossary"), ("handout.html", "Example handout"), ("cite.html", "How to cite"),
       ("api/index.html", "API reference")]  # written by site.py from the docstrings (api.py)
# The example handout written into the site: a whole-muscle ladder a patient can do at home.
EXAMPLE_HANDOUT = {"segment": "whole", "equipment": "none"}
BROWSE_COLUMNS = [  # (field of the load() frame, heading); "study" and "exercise" are links
    ("source", "Study"), ("name", "Exercise"), ("variant", "Variant"), ("muscle", "Muscle"), ("segment", "Segment"),
    ("emg", "EMG"), ("statistic", "Statistic"), ("pct_mvic", "%MVIC"), ("sd", "SD"), ("n", "n"),
    ("population", "Population"), ("equipment", "Equipment"), ("band", "Band"), ("locator", "Locator"),
    ("as_printed", "As printed"), ("inferred", "Set by a rule or judgement"), ("notes", "Notes")]
BROWSE_FILTERS = [("muscle", "Muscle"), ("segment", "Segment"), ("exercise", "Exercise"), ("source", "Study"),
                  ("emg", "EMG method"), ("population", "Population"), ("statistic", "Statistic")]
APPRAISAL_LABELS = {"publication_type": "Publication type", "emg_method": "EMG method",
                    "normalisation": "Normalised to", "mvic_position": "MVIC test position",
                    "unit_printed": "Unit as printed", "statistic_named": "Statistic named in the source",
                    "concerns": "Concerns", "appraisal_locator": "Appraisal read from", "notes": "Appraisal notes"}
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,100}$")


def file_name(key) -> str:
    """A page's file name for an exercise id or source key: the key itself when it is a plain name, else a
    hash of it, so no key can reach outside its folder or take the place of ``index.html``."""
    text = str(key)
    if _SAFE_NAME.match(text) and not text.endswith(".") and text.lower() != "index":
        return f"{text}.html"
    return f"key-{hashlib.sha256(text.encode('utf-8')).hexdigest()[:16]}.html"


def exercise_href(exercise_id) -> str:
    return f"exercises/{file_name(exercise_id)}"


def study_href(key) -> str:
    return f"studies/{file_name(key)}"


def _text(value) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value))
    return str(value)


def _label(value) -> str:
    return _text(value).replace("_", " ")


@dataclass
class Context:
    """What the pages are made from: the data, its record, and the head of the checkout's CITATION.cff."""

    df: pd.DataFrame
    vocabulary: pd.DataFrame
    entries: dict
    appraisal: pd.DataFrame | None
    meta: dict
    citation_cff: str | None = None

    @property
    def footer(self) -> dict:
        return footer(self.meta)

    def names(self) -> dict:
        return dict(zip(self.vocabulary["id"], self.vocabulary["name"]))


def context(path=None, citation: Path | None = None) -> Context:
    """Read the data once for every page (``path`` as for :func:`glutedata.load`)."""
    studies_csv = data_dir(path) / "studies.csv"
    appraisal = (pd.read_csv(studies_csv, dtype=str, keep_default_na=False, encoding="utf-8")
                 if studies_csv.is_file() else None)
    cff = None
    if citation is not None and citation.is_file():
        # the dataset's own record; the list of every study it references follows and is left to the page's list
        cff = citation.read_text(encoding="utf-8").split("\nreferences:", 1)[0].rstrip() + "\n"
    return Context(df=load(path), vocabulary=exercises(path), entries=sources(path), appraisal=appraisal,
                   meta=metadata(path), citation_cff=cff)


def _nav(nav, href: str) -> list[dict]:
    return [{"href": h, "title": t, "current": h == href} for h, t in nav]


def _render(env, template: str, ctx: Context, nav, href: str, **values) -> str:
    root = "../" * href.count("/")
    return env.get_template(template).render(nav=_nav(nav, href), root=root, footer=ctx.footer, **values)


def _link(text, href) -> dict:
    return {"text": _text(text), "href": href}


def _reference(entry: dict) -> dict:
    """A source's formatted reference (without its address) and a safe link to its DOI or the page read."""
    plain = bib.format_reference({k: v for k, v in entry.items() if k not in ("doi", "url")})
    href = markup.doi_url(entry["doi"]) if entry.get("doi") else markup.url(entry.get("url"))
    return {"text": plain, "href": href, "label": "DOI" if entry.get("doi") else "page read"}


def _value_rows(rows: pd.DataFrame, ctx: Context, root: str) -> list[dict]:
    """Rows of the load() frame as table cells, with links to the study and exercise pages."""
    names = ctx.names()
    out = []
    for r in rows.to_dict("records"):
        q = f"{number(r.get('q1'))}-{number(r.get('q3'))}" if _text(r.get("q1")) and _text(r.get("q3")) else ""
        out.append({
            "study": _link(r["source"], root + study_href(r["source"])),
            "exercise": _link(r.get("name") or names.get(r["exercise"], r["exercise"]),
                              root + exercise_href(r["exercise"]) if r["exercise"] in names else None),
            "variant": _text(r.get("variant")), "muscle": _label(r["muscle"]), "segment": _text(r["segment"]),
            "emg": _text(r["emg"]), "statistic": _text(r["statistic"]), "value": number(r["pct_mvic"]),
            "sd": number(r.get("sd")), "iqr": q, "n": number(r.get("n")), "population": _text(r["population"]),
            "equipment": _text(r["equipment"]), "band": _text(r.get("band")), "locator": _text(r["locator"]),
            "as_printed": _text(r.get("as_printed")), "inferred": _text(r.get("inferred")).replace(";", ", "),
            "notes": _text(r.get("notes"))})
    return out


def _rankings(ctx: Context) -> dict:
    """gd.rank for every muscle and segment with healthy-population data, keyed by (muscle, segment)."""
    pairs = ctx.df.loc[ctx.df["population"] == "healthy", ["muscle", "segment"]].drop_duplicates()
    return {(str(m), str(s)): rank(str(s), str(m), df=ctx.df) for m, s in pairs.itertuples(index=False)}


def _places(exercise_id, rankings: dict, root: str) -> list[dict]:
    """The exercise's row in each ranking, with its place among the exercises ranked on the same statistic."""
    out = []
    for (muscle, segment), ranked in sorted(rankings.items()):
        hit = ranked.index[ranked["exercise"] == exercise_id]
        if not len(hit):
            continue
        row = ranked.loc[hit[0]]
        same = ranked[ranked["statistic"] == row["statistic"]].reset_index(drop=True)
        place = int(same.index[same["exercise"] == exercise_id][0]) + 1
        ci = (f"{number(row['ci_low'], 1)} to {number(row['ci_high'], 1)}"
              if pd.notna(row["ci_low"]) and pd.notna(row["ci_high"]) else "")
        out.append({"muscle": _label(muscle), "segment": segment, "statistic": _text(row["statistic"]),
                    "place": f"{place} of {len(same)}", "estimate": number(row["estimate"], 1), "ci": ci,
                    "k": number(row["k"]), "n": number(row["n"]), "band": _text(row["band"]),
                    "certainty": _text(row["certainty"]) if "certainty" in ranked.columns else None,
                    "footnote": _text(ranked.attrs.get("footnote")),
                    "sources": [_link(k, root + study_href(k)) for k in row["sources"]]})
    return out


def exercise_page(env, ctx: Context, exercise_id, nav, rankings: dict | None = None) -> str:
    """One exercise: what it is, how it is dosed, its easier and harder neighbours, every value measured for
    it and its place in the rankings."""
    href = exercise_href(exercise_id)
    root = "../"
    ex = ctx.vocabulary.set_index("id").loc[exercise_id]
    names = ctx.names()

    def neighbours(ids):
        return [_link(names.get(i, i), root + exercise_href(i) if i in names else None) for i in ids]

    rows = ctx.df[ctx.df["exercise"] == exercise_id].sort_values(["muscle", "segment", "source"], kind="stable")
    wb = ex.get("weight_bearing")
    return _render(env, "exercise.html.j2", ctx, nav, href, title=_text(ex["name"]), exercise={
        "id": _text(exercise_id), "name": _text(ex["name"]), "aliases": _text(ex.get("aliases")),
        "description": _text(ex.get("description")), "dosing": _text(ex.get("dosing")),
        "facts": [("Position", _label(ex.get("position"))), ("Equipment", _text(ex.get("equipment"))),
                  ("Weight-bearing", "" if pd.isna(wb) else "yes" if wb else "no"),
                  ("Contraction", _text(ex.get("contraction")))],
        "easier": neighbours(ex.get("regresses_to") or []), "harder": neighbours(ex.get("progresses_to") or []),
        "browse": f"{root}browse.html?exercise={quote(str(exercise_id), safe='')}",
    }, values=_value_rows(rows, ctx, root),
        places=_places(exercise_id, rankings if rankings is not None else _rankings(ctx), root))


def study_page(env, ctx: Context, key, nav) -> str:
    """One study: its citation with a DOI link, what it measured, its appraisal and its rows with locators."""
    href = study_href(key)
    root = "../"
    rows = ctx.df[ctx.df["source"] == key].sort_values(["name", "muscle", "segment"], kind="stable")
    names = ctx.names()
    appraisal = []
    if ctx.appraisal is not None and "key" in ctx.appraisal.columns:
        found = ctx.appraisal[ctx.appraisal["key"] == key]
        if len(found):
            rec = found.iloc[0]
            appraisal = [(APPRAISAL_LABELS.get(c, _label(c)), _text(rec[c])) for c in ctx.appraisal.columns
                         if c not in ("key", "appraisal_url") and _text(rec[c])]
            if _text(rec.get("appraisal_url")):
                appraisal.append(("Appraised from", {"href": markup.url(rec["appraisal_url"]),
                                                     "text": _text(rec["appraisal_url"])}))
    measured = [
        ("Exercises", [_link(names.get(e, e), root + exercise_href(e) if e in names else None)
                       for e in dict.fromkeys(rows["exercise"])]),
        ("Muscles and segments", ", ".join(dict.fromkeys(
            f"{_label(m)} ({s})" for m, s in zip(rows["muscle"], rows["segment"])))),
        ("EMG method", ", ".join(dict.fromkeys(map(_text, rows["emg"])))),
        ("Statistic", ", ".join(dict.fromkeys(map(_text, rows["statistic"])))),
        ("Population", ", ".join(dict.fromkeys(map(_text, rows["population"])))),
        ("Participants (largest n)", number(rows["n"].max()) if rows["n"].notna().any() else "not stated"),
        ("Read from", ", ".join(dict.fromkeys(map(_text, rows["locator"])))),
    ]
    entry = ctx.entries.get(key)
    return _render(env, "study.html.j2", ctx, nav, href, title=_text(key), study={
        "key": _text(key), "reference": _reference(entry) if entry else None, "measured": measured,
        "appraisal": appraisal, "has_appraisal_file": ctx.appraisal is not None,
        "browse": f"{root}browse.html?source={quote(str(key), safe='')}",
    }, values=_value_rows(rows, ctx, root))


def exercises_index(env, ctx: Context, nav) -> str:
    counts = ctx.df.groupby("exercise", observed=True).agg(values=("source", "size"), studies=("source", "nunique"))
    items = []
    for ex in ctx.vocabulary.sort_values("name", key=lambda s: s.str.lower()).to_dict("records"):
        c = counts.loc[ex["id"]] if ex["id"] in counts.index else None
        items.append({"link": _link(ex["name"], file_name(ex["id"])), "position": _label(ex.get("position")),
                      "equipment": _text(ex.get("equipment")),
                      "weight_bearing": "" if pd.isna(ex.get("weight_bearing")) else
                      "yes" if ex.get("weight_bearing") else "no",
                      "values": int(c["values"]) if c is not None else 0,
                      "studies": int(c["studies"]) if c is not None else 0})
    return _render(env, "exercises.html.j2", ctx, nav, "exercises/index.html", title="Exercises", items=items)


def study_keys(ctx: Context) -> list[str]:
    """Every study with a value or an entry in sources.bib."""
    return sorted(set(ctx.entries) | {str(k) for k in ctx.df["source"].dropna()})


def studies_index(env, ctx: Context, nav) -> str:
    items = []
    for key in study_keys(ctx):
        rows = ctx.df[ctx.df["source"] == key]
        entry = ctx.entries.get(key)
        items.append({"link": _link(key, file_name(key)),
                      "reference": _reference(entry)["text"] if entry else "(no entry in sources.bib)",
                      "values": len(rows), "exercises": rows["exercise"].nunique(),
                      "emg": ", ".join(dict.fromkeys(map(_text, rows["emg"])))})
    return _render(env, "studies.html.j2", ctx, nav, "studies/index.html", title="Studies", items=items)


def script_json(value) -> str:
    """JSON safe inside a ``<script>`` block: ``<``, ``>`` and ``&`` escaped, so no data can close the block."""
    return (json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
            .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def _cell(value):
    """A JSON cell: numbers stay numbers (the browser sorts them), missing values become null."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return round(float(value), 4) if isinstance(value, float) else int(value)
    return _text(value)


def browse_data(ctx: Context) -> dict:
    """The data browser's table: columns, rows (with page links) and the values of each filter."""
    names = ctx.names()
    fields = [f for f, _ in BROWSE_COLUMNS]
    rows = []
    for r in ctx.df.to_dict("records"):
        cells = [_cell(r.get(f)) for f in fields]
        cells[fields.index("muscle")] = _label(r["muscle"])
        rows.append({"c": cells, "study": study_href(r["source"]),
                     "exercise": exercise_href(r["exercise"]) if r["exercise"] in names else None,
                     "f": [_text(r[f]) for f, _ in BROWSE_FILTERS]})
    filters = []
    for i, (field, label) in enumerate(BROWSE_FILTERS):
        values = sorted({row["f"][i] for row in rows if row["f"][i]}, key=str.lower)
        shown = {v: (names.get(v, v) if field == "exercise" else v.replace("_", " ")) for v in values}
        filters.append({"field": field, "label": label,
                        "options": sorted(([v, shown[v]] for v in values), key=lambda o: o[1].lower())})
    numeric = {"pct_mvic", "sd", "n"}
    return {"columns": [{"label": label, "numeric": f in numeric} for f, label in BROWSE_COLUMNS],
            "rows": rows, "filters": filters}


def browse_page(env, ctx: Context, nav) -> str:
    from markupsafe import Markup
    data = Markup(script_json(browse_data(ctx)))  # escaped by script_json; HTML escaping would corrupt JSON
    return _render(env, "browse.html.j2", ctx, nav, "browse.html", title="Browse the data", data=data,
                   columns=[label for _, label in BROWSE_COLUMNS], filters=BROWSE_FILTERS, total=len(ctx.df))


def glossary_page(env, ctx: Context, nav) -> str:
    return _render(env, "glossary.html.j2", ctx, nav, "glossary.html", title="Glossary")


def cite_page(env, ctx: Context, nav) -> str:
    refs = []
    for key, entry in sorted(ctx.entries.items()):
        ref = _reference(entry)
        refs.append({"key": key, "page": study_href(key), "text": ref["text"], "link": ref["href"],
                     "label": ref["label"]})
    return _render(env, "cite.html.j2", ctx, nav, "cite.html", title="How to cite", meta={
        "title": _text(ctx.meta.get("title")), "version": _text(ctx.meta.get("version")),
        "created": day(ctx.meta.get("created")),
        "licenses": ", ".join(_text(x.get("name")) for x in ctx.meta.get("licenses") or [] if isinstance(x, dict)),
    }, cff=ctx.citation_cff, references=refs)


def example_handout(env, ctx: Context, nav) -> str:
    """The example handout, or a page saying why there is none (the data may hold nothing for its filters)."""
    try:
        return handout(**EXAMPLE_HANDOUT)
    except NoEvidence as e:
        return _render(env, "message.html.j2", ctx, nav, "handout.html", title="Example handout",
                       message=f"No example handout could be made from this data: {e}.")


def groups(ctx: Context, nav) -> list[tuple[str, object]]:
    """The generated pages as (label, make) groups; ``make()`` returns ``[(path in the site, html), ...]``.
    The exercise and study pages form one group each: they take a few milliseconds apiece."""
    env = environment()

    def exercise_pages():
        rankings = _rankings(ctx)
        return ([(exercise_href(i), exercise_page(env, ctx, i, nav, rankings)) for i in ctx.vocabulary["id"]]
                + [("exercises/index.html", exercises_index(env, ctx, nav))])

    return [
        ("browse.html", lambda: [("browse.html", browse_page(env, ctx, nav))]),
        ("exercises/*.html", exercise_pages),
        ("studies/*.html", lambda: [(study_href(k), study_page(env, ctx, k, nav)) for k in study_keys(ctx)]
         + [("studies/index.html", studies_index(env, ctx, nav))]),
        ("glossary.html", lambda: [("glossary.html", glossary_page(env, ctx, nav))]),
        ("cite.html", lambda: [("cite.html", cite_page(env, ctx, nav))]),
        ("handout.html", lambda: [("handout.html", example_handout(env, ctx, nav))]),
    ]
