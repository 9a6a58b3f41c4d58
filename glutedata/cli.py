"""Command line: ``glutedata validate | rank | pool | cite | gaps | dictionary | build-site``."""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from . import __version__

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


def _yes_no(value: str) -> bool:
    v = value.lower()
    if v in ("yes", "true", "1", "y"):
        return True
    if v in ("no", "false", "0", "n"):
        return False
    raise argparse.ArgumentTypeError(f"expected yes or no, got '{value}'")


def _table(df: pd.DataFrame) -> str:
    if df.empty:
        return "(no rows)"
    shown = df.copy()
    for col in shown.columns:
        if shown[col].map(lambda v: isinstance(v, tuple)).any():
            shown[col] = shown[col].map(lambda v: ", ".join(v) if isinstance(v, tuple) else v)
    return shown.to_string(index=False, float_format=lambda x: f"{x:.1f}", na_rep="-")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="glutedata", description=__doc__)
    p.add_argument("--version", action="version", version=f"glutedata {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    v = sub.add_parser("validate", help="check a data directory; print file:line: field: message per problem")
    v.add_argument("data_dir", nargs="?", help="data directory (default: the checkout's or the package's)")

    def filters(q):
        q.add_argument("--data", dest="data_dir", help="data directory")
        q.add_argument("--muscle", default="gluteus_medius")
        q.add_argument("--equipment", action="append", help="repeatable: none, band, ...")
        q.add_argument("--position", action="append", help="repeatable: side-lying, standing, ...")
        q.add_argument("--weight-bearing", type=_yes_no, help="yes or no")
        q.add_argument("--emg", choices=["surface", "fine-wire"])
        q.add_argument("--population", default="healthy", help="'all' keeps every population")

    r = sub.add_parser("rank", help="exercises ordered by pooled %%MVIC of a segment")
    r.add_argument("--segment", required=True, choices=["anterior", "middle", "posterior", "whole"])
    filters(r)
    g = sub.add_parser("progression", help="a low-to-very-high ladder for a segment")
    g.add_argument("--segment", required=True, choices=["anterior", "middle", "posterior", "whole"])
    filters(g)

    c = sub.add_parser("cite", help="BibTeX (or formatted references) of sources")
    c.add_argument("keys", nargs="*", help="source keys (default: every source, or those of --exercise)")
    c.add_argument("--exercise", action="append", help="cite the sources with values for this exercise id")
    c.add_argument("--format", choices=["bibtex", "text"], default="bibtex")
    c.add_argument("--data", dest="data_dir")

    sub.add_parser("gaps", help="seed exercises, muscles and segments with no or one study").add_argument(
        "--data", dest="data_dir")
    sub.add_parser("dictionary", help="print the data dictionary as Markdown").add_argument(
        "--data", dest="data_dir")
    b = sub.add_parser("build-site", help="execute the notebooks and write the static site")
    b.add_argument("--notebooks", default="notebooks")
    b.add_argument("--out", default="site")
    b.add_argument("--timeout", type=int, default=600, help="seconds per notebook cell")
    return p


def main(argv=None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:  # output piped into e.g. `head`, which stopped reading
        sys.stderr.close()
        return EXIT_OK


def _main(argv) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as e:  # argparse exits 2 on usage errors, 0 on --help
        return int(e.code or 0)
    from . import dataset, query
    from .citations import cite, references
    from .io import DataError, data_dir
    from .schema import dictionary_markdown, read_schema
    from .validate import validate as run_validation

    try:
        if args.command == "validate":
            folder = data_dir(args.data_dir)
            if not folder.is_dir():
                print(f"glutedata: no such data directory: {folder}", file=sys.stderr)
                return EXIT_USAGE
            problems = run_validation(folder)
            for prob in problems:
                print(prob)
            print(f"{len(problems)} problem(s) in {folder}" if problems else f"ok: {folder} is valid",
                  file=sys.stderr)
            return EXIT_PROBLEMS if problems else EXIT_OK
        if args.command in ("rank", "progression"):
            df = dataset.load(args.data_dir)
            kw = dict(equipment=args.equipment, weight_bearing=args.weight_bearing,
                      population=None if args.population == "all" else args.population, df=df)
            if args.command == "rank":
                out = query.rank(args.segment, args.muscle, position=args.position, emg=args.emg, **kw)
                out = out.drop(columns=["position", "weight_bearing"])
            else:
                out = query.progression(args.segment, muscle=args.muscle, **kw)
            print(_table(out))
            return EXIT_OK
        if args.command == "cite":
            keys = list(args.keys)
            if args.exercise:
                df = dataset.load(args.data_dir)
                keys += sorted(set(df.loc[df["exercise"].isin(args.exercise), "source"]))
            if not keys:
                keys = sorted(dataset.sources(args.data_dir))
            if args.format == "bibtex":
                print(cite(keys, args.data_dir), end="")
            else:
                print("\n".join(references(keys, args.data_dir)))
            return EXIT_OK
        if args.command == "gaps":
            print(_table(query.gaps(dataset.load(args.data_dir), dataset.exercises(args.data_dir))))
            return EXIT_OK
        if args.command == "dictionary":
            print(dictionary_markdown(read_schema(data_dir(args.data_dir))))
            return EXIT_OK
        if args.command == "build-site":
            from .site import build
            pages = build(args.notebooks, args.out, timeout=args.timeout)
            print(f"wrote {len(pages)} pages to {args.out}/")
            return EXIT_OK
    except DataError as e:
        print(e, file=sys.stderr)
        return EXIT_PROBLEMS
    except KeyError as e:
        print(f"glutedata: {e.args[0]}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
