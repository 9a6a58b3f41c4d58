"""Command line: ``glutedata validate | rank | pool | cite | gaps | dictionary | handout | build-site``."""

from __future__ import annotations

import argparse
import os
import sys

import pandas as pd

from ._version import __version__
from .markup import one_line

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2
# what fits a terminal; the package's rank() has every column
CLI_RANK_COLUMNS = ["exercise", "statistic", "estimate", "ci_low", "ci_high", "band_range", "k", "n", "certainty",
                    "sources", "equipment"]


def _yes_no(value: str) -> bool:
    v = value.lower()
    if v in ("yes", "true", "1", "y"):
        return True
    if v in ("no", "false", "0", "n"):
        return False
    raise argparse.ArgumentTypeError(f"expected yes or no, got '{value}'")


def _vocabulary(argument: str):
    """An argparse type that accepts only the dictionary's values for ``argument``, suggesting the closest."""
    def check(value: str) -> str:
        from .data.arguments import choice, vocabulary
        try:
            choice(argument, value, vocabulary(argument))
        except ValueError as e:
            raise argparse.ArgumentTypeError(str(e).split("=", 1)[1]) from None
        return value
    check.__name__ = argument
    return check


def _choices(argument: str) -> str:
    from .data.arguments import vocabulary
    try:
        return ", ".join(vocabulary(argument))
    except Exception:  # a broken data directory is reported by the command itself, not by --help
        return "see `glutedata dictionary`"


def _table(df: pd.DataFrame, empty: str = "(no rows)") -> str:
    """A frame as plain text; text from the data is put on one line with control characters escaped,
    so it cannot move the cursor or recolour the terminal."""
    if df.empty:
        return empty
    shown = df.copy()
    for col in shown.columns:
        if shown[col].map(lambda v: isinstance(v, (tuple, list))).any():
            shown[col] = shown[col].map(lambda v: ", ".join(v) if isinstance(v, (tuple, list)) else v)
        if shown[col].dtype == object or isinstance(shown[col].dtype, (pd.StringDtype, pd.CategoricalDtype)):
            shown[col] = shown[col].map(lambda v: one_line(v) if isinstance(v, str) else v)
    return shown.to_string(index=False, float_format=lambda x: f"{x:.1f}", na_rep="-")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="glutedata", description=__doc__)
    p.add_argument("--version", action="version", version=f"glutedata {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    v = sub.add_parser("validate", help="check a data directory; print file:line: field: message per problem")
    v.add_argument("data_dir", nargs="?", help="data directory (default: the checkout's or the package's)")
    v.add_argument("--study", help="only this study's problems (source key), then where its values land "
                                   "in the rankings")

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
        q.add_argument("--population", default="healthy",
                       help="'all' keeps every population; otherwise one of: " + _choices("population"))
        q.add_argument("--include-flagged", action="store_true",
                       help="keep studies whose appraisal records concerns (left out by default)")

    r = sub.add_parser("rank", help="exercises ordered by pooled %%MVIC of a segment")
    filters(r)
    r.add_argument("--consensus", action="store_true",
                   help="rank by within-study comparisons (network meta-analysis) instead of pooled %%MVIC")
    r.add_argument("--reference", help="with --consensus: the exercise id ratios are relative to")
    r.add_argument("--seed", type=int, default=0, help="with --consensus: seed of the rank bootstrap")
    filters(sub.add_parser("progression", help="a low-to-very-high ladder for a segment"))

    c = sub.add_parser("cite", help="BibTeX (or formatted references) of sources")
    c.add_argument("keys", nargs="*", help="source keys (default: every source, or those of --exercise)")
    c.add_argument("--exercise", action="append", help="cite the sources with values for this exercise id")
    c.add_argument("--format", choices=["bibtex", "text"], default="bibtex")
    c.add_argument("--data", dest="data_dir")

    sub.add_parser("gaps", help="seed exercises, muscles and segments with no or one study").add_argument(
        "--data", dest="data_dir")
    sub.add_parser("dictionary", help="print the data dictionary as Markdown").add_argument(
        "--data", dest="data_dir")
    sub.add_parser("stamp", help="after a reviewed data change: record file sizes, hashes and sources in "
                                 "datapackage.json (and CITATION.cff in a checkout)").add_argument(
        "data_dir", nargs="?", help="data directory (default: the checkout's)")
    h = sub.add_parser("handout", help="a printable home-exercise sheet (HTML, and PDF through Chromium)")
    h.add_argument("--segment", required=True, type=_vocabulary("segment"), help=_choices("segment"))
    h.add_argument("--muscle", default="gluteus_medius", type=_vocabulary("muscle"), help=_choices("muscle"))
    h.add_argument("--equipment", action="append", type=_vocabulary("equipment"),
                   help="repeatable: " + _choices("equipment"))
    h.add_argument("--weight-bearing", type=_yes_no, help="yes or no")
    h.add_argument("--population", default="healthy",
                   help="'all' keeps every population; otherwise one of: " + _choices("population"))
    h.add_argument("--steps", type=int, default=4, help="how many exercises to pick from the ladder (default 4)")
    h.add_argument("--exercise", action="append", dest="exercises",
                   help="repeatable: choose the steps yourself, in order (exercise ids)")
    h.add_argument("--title", help="the sheet's heading")
    h.add_argument("--out", default="handout.html", help="HTML file to write (default handout.html)")
    h.add_argument("--pdf", help="also print it to this PDF with headless Chromium")
    h.add_argument("--data", dest="data_dir", help="data directory")
    b = sub.add_parser("build-site", help="execute the notebooks and write the static site")
    b.add_argument("--notebooks", default="notebooks")
    b.add_argument("--out", default="site")
    b.add_argument("--timeout", type=int, default=600, help="seconds per notebook cell")
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
    from .data.schema import dictionary_markdown, read_schema
    from .data.validate import validate as run_validation
    from .query.citations import cite, references
    from .query.coverage import gaps
    from .query.ranking import progression, rank

    folder = data_dir(getattr(args, "data_dir", None))
    if not folder.is_dir():
        return _error(f"no such data directory: {folder}", EXIT_USAGE)
    try:
        if args.command == "validate":
            problems = run_validation(folder)
            if args.study:
                return _validate_study(problems, folder, args.study)
            for prob in problems:
                print(prob)
            print(f"{len(problems)} problem(s) in {folder}" if problems else f"ok: {folder} is valid",
                  file=sys.stderr)
            return EXIT_PROBLEMS if problems else EXIT_OK
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
            problems = run_validation(folder)
            if problems:
                for prob in problems:
                    print(prob)
                return _error(f"{len(problems)} problem(s) in {folder}; fix them before stamping", EXIT_PROBLEMS)
            from .data.release import stamp
            for path in stamp(folder):
                print(f"wrote {path}")
            return EXIT_OK
        if args.command == "dictionary":
            print(dictionary_markdown(read_schema(data_dir(args.data_dir))))
            return EXIT_OK
        if args.command == "handout":
            return _handout(args)
        if args.command == "build-site":
            import time

            from .publish.site import build, notebooks_in
            notebooks_in(args.notebooks)  # a wrong folder is a usage error, before any work
            problems = run_validation(folder)
            if problems:
                for prob in problems:
                    print(prob)
                return _error(f"{len(problems)} problem(s) in {folder}; the site was not built", EXIT_PROBLEMS)
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


def _validate_study(problems, folder, key: str) -> int:
    """``glutedata validate --study KEY``: that study's problems, then a preview of its place in the rankings."""
    from .query.contribute import known_study, preview, study_problems
    if not known_study(folder, key):
        return _error(f"no rows, screening entry, appraisal or .bib entry for '{key}' in {folder}", EXIT_USAGE)
    own = study_problems(problems, folder, key)
    for prob in own:
        print(prob)
    if own:
        return _error(f"{len(own)} problem(s) for {key}; fix them to see where its values land", EXIT_PROBLEMS)
    others = len(problems)
    print(f"ok: {key} has no problems" + (f" ({others} elsewhere in the data)" if others else ""), file=sys.stderr)
    print(_table(preview(key, folder), empty=f"(no values for {key} yet)"))
    return EXIT_OK


def _handout(args) -> int:
    """``glutedata handout``: write the sheet, then print it to PDF when asked."""
    from pathlib import Path

    from .publish.handout import NoEvidence, handout, print_pdf
    try:
        html = handout(args.segment, equipment=args.equipment, weight_bearing=args.weight_bearing, steps=args.steps,
                       title=args.title, exercises=args.exercises, muscle=args.muscle,
                       population=None if args.population == "all" else args.population, path=args.data_dir)
    except NoEvidence as e:
        return _error(str(e), EXIT_PROBLEMS)
    out = Path(args.out)
    out.write_text(html, encoding="utf-8")
    print(f"wrote {out}")
    if args.pdf:
        try:
            print(f"wrote {print_pdf(out, args.pdf)}")
        except (FileNotFoundError, RuntimeError) as e:
            return _error(f"no PDF: {e}", EXIT_PROBLEMS)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
