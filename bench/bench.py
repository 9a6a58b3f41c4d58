"""Time validation, loading, ranking and pooling on the real data and on synthetic 100k / 1M-row extensions
(one of them with 1% of its cells corrupted), plus the whole site build. Prints a Markdown table.

Each operation runs in a fresh process: seconds are the best of ``--repeat`` runs (one run on the synthetic
sets); peak MB is that process's largest resident memory (imports and any frame it needs included; the
imports alone take about 75 MB).

    python bench/bench.py [--sizes 100000 1000000] [--repeat 3] [--no-site]
    python bench/bench.py --imports [--runs 15]   # only the new-process ratios against pandas.read_csv
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import shutil
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import glutedata as gd

ROOT = Path(__file__).resolve().parent.parent
# bad values per column, each one a problem for validate (a corrupted cell gets one of them)
BAD = {
    "source": ["Nobody2020", "nobody2020"], "exercise": ["moonwalk", "Clamshell"], "variant": ["<b>x</b>", " x"],
    "muscle": ["gluteus medius", ""], "segment": ["lateral", ""], "emg": ["Surface", "emg"],
    "statistic": ["avg", "Mean"], "pct_mvic": ["48%", "700", "4_8"], "sd": ["-3", "nan"], "q1": ["1e999", "abc"],
    "q3": ["x", "-1"], "n": ["10.5", "0"], "population": ["helthy", ""], "equipment": ["bands", "Band"],
    "locator": ["somewhere", "table 3"], "as_printed": ["", "about forty"], "inferred": ["Exercise", "pct_mvic"],
    "notes": ["<script>alert(1)</script>", " padded", "esc\x1b[1m"],
}
# what each operation times; rank and pool work on a frame loaded beforehand, untimed
OPERATIONS = {
    "validate": lambda path, df: gd.validate(path),
    "load": lambda path, df: gd.load(path),
    "load-unvalidated": lambda path, df: gd.load(path, validate=False),
    "rank": lambda path, df: gd.rank("whole", df=df),
    "pool": lambda path, df: gd.pool(df),
    "validate+rank": lambda path, df: gd.rank("whole", df=gd.load(path)),
}
LABELS = {
    "validate": "`validate()`",
    "load": "`load()` (validates, then reads)",
    "load-unvalidated": "`load(validate=False)`",
    "rank": "`rank('whole')`",
    "pool": "`pool()`",
    "validate+rank": "`rank('whole', df=load())`: validate, load, rank",
}


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def _key(i: int) -> str:
    letters = ""
    while True:
        i, r = divmod(i, 26)
        letters += string.ascii_lowercase[r]
        if i == 0:
            return f"syn{letters}2020"


def synthetic(rows: int, dest: Path, seed: int = 0, corrupt: float = 0.0) -> Path:
    """A data directory of ``rows`` rows: each copy of the real rows becomes one synthetic study (the original
    study's key goes into ``variant`` to keep rows distinct), with jittered values, plus its screening entry,
    appraisal and .bib entry. Valid unless ``corrupt`` > 0: then that share of the cells holds a bad value."""
    rng = np.random.default_rng(seed)
    shutil.copytree(gd.data_dir(), dest)
    with open(gd.data_dir() / "emg_activation.csv", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        header, real = reader.fieldnames, list(reader)
    keys = sorted({_key(i // len(real)) for i in range(0, rows, len(real))})
    jitter = rng.normal(1.0, 0.1, size=rows).clip(0.5, 1.5)
    bad = rng.random((rows, len(header))) < corrupt
    with open(dest / "emg_activation.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, header, lineterminator="\n")
        w.writeheader()
        for i in range(rows):
            c, r = divmod(i, len(real))
            row = {**real[r], "source": _key(c), "variant": f"{real[r]['variant']} ({real[r]['source']})".strip()}
            if not (row["q1"] or row["q3"]):  # a jittered median could leave its quartiles
                row["pct_mvic"] = f"{float(row['pct_mvic']) * jitter[i]:.2f}"
                row["as_printed"] = f"{row['pct_mvic']} ± {row['sd']}" if row["sd"] else row["pct_mvic"]
            for j in np.flatnonzero(bad[i]):
                row[header[j]] = rng.choice(BAD[header[j]])
            w.writerow(row)
    with open(dest / "sources.bib", "w", encoding="utf-8") as f:
        for key in keys:
            f.write(f"@article{{{key},\n  author = {{Synthetic, S.}},\n  title = {{Synthetic study}},\n"
                    f"  journal = {{None}},\n  year = {{2020}},\n  url = {{https://example.org/{key}}}\n}}\n\n")
    with open(dest / "screening.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["key", "reading_list_key", "title", "year", "status", "reason", "url"])
        for key in keys:
            w.writerow([key, "", "Synthetic study", 2020, "extracted", "benchmark", f"https://example.org/{key}"])
    # every extracted study needs an appraisal: each synthetic study borrows one of the real appraisals
    with open(gd.data_dir() / "studies.csv", encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        header, appraisals = reader.fieldnames, list(reader)
    with open(dest / "studies.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, header, lineterminator="\n")
        w.writeheader()
        for i, key in enumerate(keys):
            w.writerow({**appraisals[i % len(appraisals)], "key": key})
    return dest


def child(operation: str, path: str, repeat: int) -> dict:
    """Run one operation ``repeat`` times in this (fresh) process: best seconds, peak MB and what it returned."""
    if operation in ("rank", "pool", "validate+rank"):
        # the first call imports what pooling needs (scipy, ...): make it on the shipped data, untimed
        OPERATIONS[operation](gd.data_dir(), gd.load(validate=False))
    df = gd.load(path, validate=False) if operation in ("rank", "pool") else None
    out = []
    seconds = best(lambda: out.append(OPERATIONS[operation](path, df)), repeat)
    return {"seconds": seconds, "peak_mb": peak_mb(), "size": len(out[-1])}


def peak_mb() -> float:
    """This process's peak resident memory. Linux's VmHWM, because ru_maxrss starts from the parent's peak
    (the process that started this one, with its synthetic data in memory)."""
    status = Path("/proc/self/status")
    if status.exists():
        kb = next(int(line.split()[1]) for line in status.read_text().splitlines() if line.startswith("VmHWM:"))
        return kb / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (2 ** 20 if sys.platform == "darwin" else 2 ** 10)


def measure(operation: str, path: Path, repeat: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", operation, str(path), str(repeat)],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.splitlines()[-1])


def machine() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    models = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
              if line.startswith("model name")] if cpuinfo.exists() else []
    cpu = models[0] if models else platform.processor()
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2 ** 30
    return (f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} cores ({cpu}), "
            f"{ram:.0f} GB RAM; pandas {pd.__version__}, numpy {np.__version__}, glutedata {gd.__version__}")


# new-process commands whose time is compared with a bare pandas.read_csv of the same file
COLD = {
    "read_csv": "import pandas as pd; pd.read_csv({path!r})",
    "load": "import glutedata; glutedata.load()",
    "rank": "import sys; from glutedata.cli import main; sys.exit(main(['rank', '--segment', 'whole']))",
}


def cold_ratios(runs: int) -> dict[str, float]:
    """Median seconds of each COLD command over ``runs`` rounds run in alternation (so a busy spell of a
    shared machine falls on all of them alike), and each median's ratio to read_csv's."""
    path = str(gd.data_dir() / "emg_activation.csv")
    times: dict[str, list[float]] = {name: [] for name in COLD}
    for _ in range(runs):
        for name, code in COLD.items():
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code.format(path=path)], check=True, stdout=subprocess.DEVNULL)
            times[name].append(time.perf_counter() - start)
    medians = {name: float(np.median(t)) for name, t in times.items()}
    return {**medians, **{f"{name}/read_csv": medians[name] / medians["read_csv"] for name in ("load", "rank")}}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[100_000, 1_000_000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-site", action="store_true")
    ap.add_argument("--imports", action="store_true", help="only the new-process ratios against pandas.read_csv")
    ap.add_argument("--runs", type=int, default=15, help="alternated rounds for --imports")
    ap.add_argument("--child", nargs=3, metavar=("OPERATION", "PATH", "REPEAT"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child[0], args.child[1], int(args.child[2]))))
        return
    r = cold_ratios(args.runs)
    print(f"new process, median of {args.runs} alternated runs: pandas.read_csv {r['read_csv']:.3f} s; "
          f"import glutedata; load() {r['load']:.3f} s ({r['load/read_csv']:.2f}x); "
          f"glutedata rank --segment whole {r['rank']:.3f} s ({r['rank/read_csv']:.2f}x)\n")
    if args.imports:
        return
    rows = [("`import glutedata; glutedata.load()` (new process)", "dataset", {"seconds": r["load"]})]
    with tempfile.TemporaryDirectory() as tmp:
        datasets = [("dataset", gd.data_dir(), args.repeat, list(OPERATIONS))]
        for n in args.sizes:
            datasets.append((f"{n:,} rows", synthetic(n, Path(tmp) / f"d{n}"), 1, list(OPERATIONS)))
        if args.sizes:
            n = max(args.sizes)
            datasets.append((f"{n:,} rows, 1% of cells corrupted", synthetic(n, Path(tmp) / "bad", corrupt=0.01), 1,
                             ["validate"]))
        for label, path, repeat, operations in datasets:
            for op in operations:
                result = measure(op, path, repeat)
                what = LABELS[op] + (f": {result['size']:,} problems" if op == "validate" and result["size"] else "")
                rows.append((what, label, result))
        if not args.no_site:
            from glutedata.publish.site import build
            site = best(lambda: build(ROOT / "notebooks", Path(tmp) / "site", cache=False), 1)
            rows.append(("site build (execute the notebooks, render; no cache)", "dataset", {"seconds": site}))
    print(f"{machine()}\n")
    print("| operation | data | seconds | peak MB |\n|---|---|---|---|")
    for op, data, r in rows:
        peak = f"{r['peak_mb']:,.0f}" if "peak_mb" in r else ""
        print(f"| {op} | {data} | {r['seconds']:.2f} | {peak} |")


if __name__ == "__main__":
    main()
