"""glutedata's command line: validate, check-submission, rank, progression, cite,
gaps, dictionary, stamp, handout, build-site.

Commands that write files (stamp, check-submission, handout, build-site) replace
each file whole through a temporary file. check-submission, handout and
build-site refuse to replace a file, or fill a folder, that glutedata did not
write (unless --force), and never write inside the data directory.
"""

from __future__ import annotations

import argparse
import os
import sys

from ._version import __version__
from .markup import one_line
from .views.terminal import choices as _choices
from .views.terminal import table as _table
from .views.terminal import vocabulary_value as _vocabulary
from .views.terminal import whole as _whole
from .views.terminal import yes_no as _yes_no

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2
# what fits a terminal; the package's rank() has every column
CLI_RANK_COLUMNS = ["exercise", "statistic", "estimate", "ci_low", "ci_high", "pi_low", "pi_high", "band_range", "k",
                    "n", "certainty", "sources", "equipment"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="glutedata", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"glutedata {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    def scope(q):  # the scope of the preview of where a study's values land, as rank() has it
        q.add_argument("--population", default="healthy",
                       help="'all' keeps every population; otherwise one of: " + _choices("population"))
        q.add_argument("--include-flagged", action="store_true",
                       help="keep studies whose appraisal records concerns (left out by default)")

    v = sub.add_parser("validate", help="check a data directory; print file:line: field: message per problem "
                                        "and per warning")
    v.add_argument("data_dir", nargs="?", help="data directory (default: the checkout's or the package's)")
    v.add_argument("--study", help="only this study's problems and warnings (source key), then where its values "
                                   "land in the rankings")
    scope(v)
    s = sub.add_parser("check-submission", help="check filled-in templates (values, appraisal, screening CSV, "
                                                ".bib) against a scratch copy of the data; never changes the data")
    s.add_argument("files", nargs="+", help="the submitted files; spreadsheet CSV exports are fine")
    s.add_argument("--data", dest="data_dir", help="data directory (default: the checkout's or the package's)")
    s.add_argument("--out", help="when clean, write the merged data directory into this new or empty folder")
    s.add_argument("--patch", help="when clean, write a unified diff of the data files to this file")
    scope(s)

    def filters(q):
        q.add_argument("--segment", required=True, type=_vocabulary("segment"), help=_choices("segment"))
        q.add_argument("--data", dest="data_dir", help="data directory")
        q.add_argument("--muscle", default="gluteus_medius", type=_vocabulary("muscle"), help=_choices("muscle"))
        q.add_argument("--equipment", action="append", type=_vocabulary("equipment"),
                       help="repeatable: " + _choices("equipment"))
        q.add_argument("--position", action="append", type=_vocabulary("position"),
                       help="repeatable: " + _choices("position"))
        q.add_argument("--weight-bearing", type=_yes_no, help="yes or no")
        q.add_argument("--emg", type=_vocabulary("emg"), help=_choices("emg"))
        scope(q)

    r = sub.add_parser("rank", help="exercises ordered by pooled %%MVIC of a segment")
    filters(r)
    r.add_argument("--consensus", action="store_true",
                   help="rank by within-study comparisons (network meta-analysis) instead of pooled %%MVIC")
    r.add_argument("--reference", help="with --consensus: the exercise id ratios are relative to")
    r.add_argument("--seed", type=_whole(0), default=0, help="with --consensus: seed of the rank bootstrap")
    filters(sub.add_parser("progression", help="a low-to-very-high ladder for a segment"))

    c = sub.add_parser("cite", help="BibTeX (or formatted references) of sources")
    c.add_argument("keys", nargs="*", help="source keys (default: every source, or those of --exercise)")
    c.add_argument("--exercise", action="append", help="cite the sources with values for this exercise id")
    c.add_argument("--format", choices=["bibtex", "text"], default="bibtex")
    c.add_argument("--data", dest="data_dir")

    sub.add_parser("gaps", help="seed exercises, muscles and segments with no or one study").add_argument(
        "--data", dest="data_dir")
    d = sub.add_parser("dictionary", help="print the data dictionary (plain text; --markdown for Markdown)")
    d.add_argument("--data", dest="data_dir")
    d.add_argument("--markdown", action="store_true", help="print Markdown tables (as the site shows them)")
    st = sub.add_parser("stamp", help="when merging a reviewed data change: record file sizes, hashes and sources "
                                      "in datapackage.json (and CITATION.cff in a checkout)")
    st.add_argument("data_dir", nargs="?", help="data directory (default: the checkout's)")
    how = st.add_mutually_exclusive_group()
    how.add_argument("--bump", choices=["patch", "minor", "major"], help="also raise the data version (patch: "
                     "documentation, minor: new rows, major: renamed or removed fields) and set its date to today")
    how.add_argument("--check", action="store_true", help="write nothing; exit 1 and say what is stale when a "
                                                          "new stamp would change anything")
    h = sub.add_parser("handout", help="a printable home-exercise sheet (HTML, and PDF through Chromium)")
    h.add_argument("--segment", required=True, type=_vocabulary("segment"), help=_choices("segment"))
    h.add_argument("--muscle", default="gluteus_medius", type=_vocabulary("muscle"), help=_choices("muscle"))
    h.add_argument("--equipment", action="append", type=_vocabulary("equipment"),
                   help="repeatable: " + _choices("equipment"))
    h.add_argument("--weight-bearing", type=_yes_no, help="yes or no")
    h.add_argument("--population", default="healthy",
                   help="'all' keeps every population; otherwise one of: " + _choices("population"))
    h.add_argument("--steps", type=_whole(1), default=4,
                   help="how many exercises to pick from the ladder (default 4)")
    h.add_argument("--exercise", action="append", dest="exercises",
                   help="repeatable: choose the steps yourself, in order (exercise ids)")
    h.add_argument("--title", help="the sheet's heading")
    h.add_argument("--out", default="handout.html", help="HTML file to write (default handout.html); an existing "
                                                         "file is replaced only if it is a glutedata handout")
    h.add_argument("--pdf", help="also print it to this PDF with headless Chromium; an existing PDF is replaced "
                                 "only with --force")
    h.add_argument("--force", action="store_true", help="replace existing files that glutedata did not write "
                                                         "(never inside the data directory)")
    h.add_argument("--data", dest="data_dir", help="data directory")
    b = sub.add_parser("build-site", help="execute the notebooks and write the static site")
    b.add_argument("--notebooks", default="notebooks")
    b.add_argument("--out", default="site", help="site folder (default site); a folder that is not empty must "
                                                 "hold a site glutedata built")
    b.add_argument("--force", action="store_true", help="write into a folder that is not empty and holds no "
                                                         "glutedata site (never inside the data directory)")
    b.add_argument("--timeout", type=_whole(1), default=600, help="seconds per notebook cell")
    b.add_argument("--cache-dir", help="where executed notebooks and rendered pages are cached "
                                       "(default .cache/glutedata-site next to the notebooks folder)")
    b.add_argument("--no-cache", action="store_true", help="execute and render everything, ignoring the cache")
    return p


def main(argv=None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:  # output piped into e.g. `head`, which stopped reading
        sys.stderr.close()
        return EXIT_OK
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # no traceback reaches a user; GLUTEDATA_DEBUG=1 shows it to a developer
        if os.environ.get("GLUTEDATA_DEBUG"):
            raise
        print(f"glutedata: unexpected error: {one_line(f'{type(e).__name__}: {e}')} "
              "(please report it; GLUTEDATA_DEBUG=1 shows the traceback)", file=sys.stderr)
        return EXIT_PROBLEMS


def _lines(text: str) -> str:
    """Multi-line output with control characters escaped on each line."""
    return "\n".join(one_line(line) for line in text.split("\n"))


def _error(message: str, code: int) -> int:
    print(f"glutedata: {one_line(message)}", file=sys.stderr)
    return code


def _main(argv) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as e:  # argparse exits 2 on usage errors, 0 on --help
        return int(e.code or 0)
    from .data import loaders as dataset
    from .data.arguments import check_filters
    from .data.io import data_dir
    from .data.problems import DataError
    from .data.schema import dictionary_markdown, dictionary_text, read_schema
    from .data.validate import validate as run_validation
    from .data.validate import validate_with_warnings
    from .query.citations import cite, references
    from .query.coverage import gaps
    from .query.ranking import progression, rank

    folder = data_dir(getattr(args, "data_dir", None))
    if not folder.is_dir():
        return _error(f"no such data directory: {folder}", EXIT_USAGE)
    try:
        if args.command == "validate":
            problems, warnings = validate_with_warnings(folder)
            if args.study:
                return _validate_study(problems, warnings, folder, args)
            _report(problems, warnings)
            print(one_line(f"{len(problems)} problem(s) in {folder}" if problems else f"ok: {folder} is valid")
                  + _warned(warnings), file=sys.stderr)
            return EXIT_PROBLEMS if problems else EXIT_OK
        if args.command == "check-submission":
            return _check_submission(args, folder)
        if args.command in ("rank", "progression"):
            df = dataset.load(args.data_dir)
            population = None if args.population == "all" else args.population
            if population is not None:
                check_filters(df, population=population)
            kw = dict(equipment=args.equipment, weight_bearing=args.weight_bearing, population=population, df=df,
                      include_flagged=args.include_flagged)
            if args.command == "rank" and args.consensus:
                from .query.consensus import consensus
                kw.pop("include_flagged")  # within-study ratios keep flagged studies (see consensus())
                out = consensus(args.segment, args.muscle, position=args.position, emg=args.emg,
                                reference=args.reference, seed=args.seed, **kw)
                print(_table(out, empty="(no within-study comparisons for this query)"))
                notes = [f"model: {out.attrs['model']}", f"reference: {out.attrs['reference']}",
                         f"studies: {', '.join(out.attrs['studies'])}"]
                if out.attrs["disconnected"]:
                    notes.append(f"not connected to the network: {', '.join(out.attrs['disconnected'])}")
                print("\n".join(one_line(n) for n in notes))
                return EXIT_OK
            if args.command == "rank":
                out = rank(args.segment, args.muscle, position=args.position, emg=args.emg, **kw)
                shown = out[[c for c in CLI_RANK_COLUMNS if c in out.columns]]
            else:
                shown = out = progression(args.segment, muscle=args.muscle, **kw)
            print(_table(shown, empty=f"(no rows: {out.attrs.get('empty_reason', 'nothing matches')})"))
            if out.attrs.get("footnote"):
                print(one_line(out.attrs["footnote"]))
            return EXIT_OK
        if args.command == "cite":
            keys = list(args.keys)
            if args.exercise:
                df = dataset.load(args.data_dir)
                check_filters(exercise=args.exercise)
                found = sorted(set(df.loc[df["exercise"].isin(args.exercise), "source"]))
                if not found:
                    return _error(f"no study in the dataset has measured {', '.join(args.exercise)}: "
                                  "nothing to cite", EXIT_PROBLEMS)
                keys += found
            if not keys:
                keys = sorted(dataset.sources(args.data_dir))
            if args.format == "bibtex":
                print(_lines(cite(keys, args.data_dir)), end="")
            else:
                print("\n".join(one_line(r) for r in references(keys, args.data_dir)))
            return EXIT_OK
        if args.command == "gaps":
            print(_table(gaps(dataset.load(args.data_dir), dataset.exercises(args.data_dir))))
            return EXIT_OK
        if args.command == "stamp":
            return _invalid(run_validation(folder), folder, "fix them before stamping") or _stamp(args, folder)
        if args.command == "dictionary":
            schema = read_schema(data_dir(args.data_dir))
            print(_lines(dictionary_markdown(schema)) if args.markdown else dictionary_text(schema))
            return EXIT_OK
        if args.command == "handout":
            return _handout(args)
        if args.command == "build-site":
            import time

            from .publish.site import build, notebooks_in
            notebooks_in(args.notebooks)  # a wrong folder is a usage error, before any work
            _check_site_folder(args)
            if _invalid(run_validation(folder), folder, "the site was not built"):
                return EXIT_PROBLEMS
            start = time.perf_counter()
            pages = build(args.notebooks, args.out, timeout=args.timeout, cache_dir=args.cache_dir,
                          cache=not args.no_cache, progress=lambda line: print(line, flush=True))
            print(f"wrote {len(pages)} pages to {args.out}/ in {time.perf_counter() - start:.1f} s")
            return EXIT_OK
    except DataError as e:
        print(_lines(str(e)), file=sys.stderr)
        return EXIT_PROBLEMS
    except (ValueError, TypeError) as e:
        return _error(str(e), EXIT_USAGE)
    return EXIT_USAGE


def _report(problems, warnings) -> None:
    """Each problem, then each warning, as ``file:line: field: message`` (a warning's message says so)."""
    from .data.problems import Problem
    for prob in [*problems, *(Problem(w.file, w.line, w.field, f"warning: {w.message}") for w in warnings)]:
        print(prob)


def _invalid(problems, folder, consequence: str) -> int:
    """Print the problems of data a command refuses to work on; EXIT_PROBLEMS if any, else 0."""
    _report(problems, [])
    return _error(f"{len(problems)} problem(s) in {folder}; {consequence}", EXIT_PROBLEMS) if problems else 0


def _warned(warnings) -> str:
    return f"; {len(warnings)} warning(s) to check" if warnings else ""


def _preview(key: str, folder, args) -> None:
    """Where a study's values land in the rankings, in the scope of rank() (and of the exercise pages)."""
    from .query.contribute import preview
    out = preview(key, folder, population=None if args.population == "all" else args.population,
                  include_flagged=args.include_flagged)
    print(one_line(out.attrs["heading"]))
    print(_table(out, empty=one_line(f"(no values for {key} yet)")))


def _validate_study(problems, warnings, folder, args) -> int:
    """``glutedata validate --study KEY``: that study's problems and warnings, then a preview of its place in the
    rankings."""
    from .query.contribute import study_findings
    key = args.study
    found = study_findings(folder, key, problems, warnings)
    if found is None:
        return _error(f"no rows, screening entry, appraisal or .bib entry for '{key}' in {folder}", EXIT_USAGE)
    own, cautions = found
    _report(own, cautions)
    if own:
        return _error(f"{len(own)} problem(s) for {key}{_warned(cautions)}; fix them to see where its values land",
                      EXIT_PROBLEMS)
    others = len(problems)
    print(one_line(f"ok: {key} has no problems" + (f" ({others} elsewhere in the data)" if others else "")
                   + _warned(cautions)), file=sys.stderr)
    _preview(key, folder, args)
    return EXIT_OK


def _stamp(args, folder) -> int:
    """``glutedata stamp [--bump PART | --check]`` on data that validates."""
    from .data.release import changelog_heading, stale, stamp
    if args.check:
        lines = stale(folder)
        for line in lines:
            print(one_line(line))
        if lines:
            return _error("the stamp is stale; run: glutedata stamp (maintainers do, with --bump, when merging a "
                          "reviewed change; see CONTRIBUTING.md)", EXIT_PROBLEMS)
        print(one_line(f"ok: {folder} is stamped"), file=sys.stderr)
        return EXIT_OK
    for path in stamp(folder, bump=args.bump):
        print(f"wrote {one_line(path)}")
    if args.bump:
        print(f"now add the release's entry to {one_line(folder / 'CHANGELOG.md')}, under the heading:\n"
              f"{one_line(changelog_heading(folder))}")
    return EXIT_OK


def _check_submission(args, folder) -> int:
    """``glutedata check-submission FILES``: the submission's problems and warnings at its own files and lines,
    then where its values land; the merged folder or a patch when asked and clean."""
    from .data.io import protected_dirs
    from .data.submission import check_outputs, merged, write_folder, write_patch
    check_outputs(args.out, args.patch, [*protected_dirs(args.data_dir), folder])  # before any work
    with merged(args.files, folder) as check:
        _report(check.problems, check.warnings)
        if check.problems:
            unwritten = "; nothing was written" if args.out or args.patch else ""
            return _error(f"{len(check.problems)} problem(s) in the submission{_warned(check.warnings)}{unwritten}",
                          EXIT_PROBLEMS)
        print(one_line(f"ok: the submission merges with {folder} and validates{_warned(check.warnings)}"),
              file=sys.stderr)
        for key in check.studies:
            _preview(key, check.folder, args)
        if args.out:
            print(f"wrote {one_line(write_folder(check, args.out))}")
        if args.patch:
            print(f"wrote {one_line(write_patch(check, args.patch))}")
    return EXIT_OK


def _handout(args) -> int:
    """``glutedata handout``: check where it goes, write the sheet, then print it to PDF when asked."""
    from pathlib import Path

    from .data.files import Refused, check_file
    from .data.io import protected_dirs
    from .publish.handout import NoEvidence, handout, is_handout, print_pdf, write_handout
    out, pdf, data = Path(args.out), Path(args.pdf) if args.pdf else None, protected_dirs(args.data_dir)
    check_file(out, ours=is_handout, force=args.force, data_dirs=data)
    if pdf is not None:
        if pdf.resolve() == out.resolve():
            raise Refused(f"--pdf {pdf} is the same file as --out {out}")
        # Chromium's PDF carries no mark of glutedata (only the page title, its user agent and Skia), so a PDF
        # glutedata printed cannot be told from any other: an existing one is replaced only when forced
        check_file(pdf, ours=lambda _: False, force=args.force, data_dirs=data,
                   refusal="exists; a PDF glutedata printed cannot be told from any other, so use --force "
                           "to replace it")
    try:
        html = handout(args.segment, equipment=args.equipment, weight_bearing=args.weight_bearing, steps=args.steps,
                       title=args.title, exercises=args.exercises, muscle=args.muscle,
                       population=None if args.population == "all" else args.population, path=args.data_dir)
    except NoEvidence as e:
        return _error(str(e), EXIT_PROBLEMS)
    print(f"wrote {one_line(write_handout(html, out))}")
    if pdf is not None:
        try:
            print(f"wrote {one_line(print_pdf(out, pdf))}")
        except (FileNotFoundError, RuntimeError) as e:
            return _error(f"no PDF: {e}", EXIT_PROBLEMS)
    return EXIT_OK


def _check_site_folder(args) -> None:
    """Refuse a site folder that is a file, lies in a data directory, or is a non-empty folder without a
    glutedata site (unless --force); and a cache folder in a data directory."""
    from pathlib import Path

    from .data.files import Refused, check_folder, check_outside, within
    from .data.io import protected_dirs
    from .publish.site import is_site
    data, out = protected_dirs(), Path(args.out)
    check_folder(out, ours=is_site, force=args.force, data_dirs=data)
    for d in data:  # the site's own folders must not be, or hold, a data directory
        if any(within(d, out / sub) for sub in ("exercises", "studies")):
            raise Refused(f"the data directory {d} lies where the site writes its pages; choose another --out")
    if args.cache_dir and not args.no_cache:
        check_outside(args.cache_dir, data)


if __name__ == "__main__":
    sys.exit(main())
