"""Time loading, ranking and pooling on the real data and on synthetic 100k / 1M-row extensions,
plus the whole site build. Prints a Markdown table; timings are best of ``--repeat`` runs.

    python bench/bench.py [--sizes 100000 1000000] [--repeat 3] [--no-site]
"""

from __future__ import annotations

import argparse
import csv
import platform
import shutil
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import glutedata as gd
from glutedata.site import build

ROOT = Path(__file__).resolve().parent.parent


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


def synthetic(rows: int, dest: Path, seed: int = 0) -> Path:
    """A valid data directory of ``rows`` rows: each copy of the real rows becomes one synthetic study
    (the original study's key goes into ``variant`` to keep rows distinct), with jittered values."""
    rng = np.random.default_rng(seed)
    shutil.copytree(gd.data_dir(), dest)
    with open(gd.data_dir() / "emg_activation.csv", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        header, real = reader.fieldnames, list(reader)
    copies = -(-rows // len(real))
    keys = set()
    with open(dest / "emg_activation.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, header, lineterminator="\n")
        w.writeheader()
        jitter = rng.normal(1.0, 0.1, size=copies * len(real)).clip(0.5, 1.5)
        for i in range(rows):
            c, r = divmod(i, len(real))
            key = _key(c)
            keys.add(key)
            w.writerow({**real[r], "source": key, "variant": f"{real[r]['variant']} ({real[r]['source']})".strip(),
                        "pct_mvic": f"{float(real[r]['pct_mvic']) * jitter[i]:.2f}"})
    keys = sorted(keys)
    with open(dest / "sources.bib", "w", encoding="utf-8") as f:
        for key in keys:
            f.write(f"@article{{{key},\n  author = {{Synthetic, S.}},\n  title = {{Synthetic study}},\n"
                    f"  journal = {{None}},\n  year = {{2020}},\n  url = {{https://example.org/{key}}}\n}}\n\n")
    with open(dest / "screening.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["key", "reading_list_key", "title", "year", "status", "reason", "url"])
        for key in keys:
            w.writerow([key, "", "Synthetic study", 2020, "extracted", "benchmark", f"https://example.org/{key}"])
    return dest


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[100_000, 1_000_000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-site", action="store_true")
    args = ap.parse_args(argv)
    rows = []
    cold = best(lambda: subprocess.run([sys.executable, "-c", "import glutedata; glutedata.load()"], check=True),
                args.repeat)
    rows.append(("`import glutedata; glutedata.load()` (new process)", "dataset", cold))
    with tempfile.TemporaryDirectory() as tmp:
        datasets = [("dataset", gd.data_dir())]
        for n in args.sizes:
            datasets.append((f"{n:,} rows", synthetic(n, Path(tmp) / f"d{n}")))
        for label, path in datasets:
            reps = args.repeat if label == "dataset" else 1
            rows.append(("`load()` with validation", label, best(lambda: gd.load(path), reps)))
            rows.append(("`load(validate=False)`", label, best(lambda: gd.load(path, validate=False), reps)))
            df = gd.load(path, validate=False)
            rows.append(("`rank('whole')`", label, best(lambda: gd.rank("whole", df=df), reps)))
            rows.append(("`pool()`", label, best(lambda: gd.pool(df), reps)))
        if not args.no_site:
            rows.append(("site build (execute 7 notebooks, render)", "dataset",
                         best(lambda: build(ROOT / "notebooks", Path(tmp) / "site"), 1)))
    print(f"Python {platform.python_version()}, {platform.machine()}, glutedata {gd.__version__}\n")
    print("| operation | data | seconds |\n|---|---|---|")
    for op, data, t in rows:
        print(f"| {op} | {data} | {t:.2f} |")


if __name__ == "__main__":
    main()
