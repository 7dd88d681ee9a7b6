#!/usr/bin/env python
"""Class throughput: ``spec-nn grade-class`` over N copies of examples/book_correct and examples/cs231n_buggy
with --workers 1, 2, 4 (a fresh results directory each time, so nothing is resumed).

    .venv/bin/python scripts/bench_class.py [--copies 2] [--workers 1,2,4] [--components a,b] [--json F]

Prints one line per worker count (wall seconds, submissions per minute, speed-up over 1 worker, CPU seconds
of all its processes, sandbox workers included) and the machine's load average before and after each
run: on a shared machine the load is part of the figure.  Figures are recorded in BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
EXAMPLES = ("book_correct", "cs231n_buggy")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, default=2, help="copies of each example (%(default)s)")
    ap.add_argument("--workers", default="1,2,4", help="worker counts to time (%(default)s)")
    ap.add_argument("--components", default=None, help="grade only these components (default: all)")
    ap.add_argument("--json", metavar="F", help="also write the figures as JSON to F")
    args = ap.parse_args(argv)
    workers = [int(w) for w in args.workers.split(",")]
    exe = [sys.executable, "-m", "spec_nn"]
    rows, base = [], None
    with tempfile.TemporaryDirectory(prefix="spec_nn_bench_class_") as tmp:
        klass = os.path.join(tmp, "class")
        os.makedirs(klass)
        for name in EXAMPLES:
            for i in range(args.copies):
                shutil.copytree(os.path.join(ROOT, "examples", name), os.path.join(klass, f"{name}_{i}"),
                                ignore=shutil.ignore_patterns("__pycache__"))
        n = len(os.listdir(klass))
        for w in workers:
            out = os.path.join(tmp, f"results_{w}")
            cmd = exe + ["grade-class", klass, "--out", out, "--workers", str(w), "--no-progress"]
            if args.components:
                cmd += ["--components", args.components]
            load0 = os.getloadavg()
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True)
            wall = time.perf_counter() - t0
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
            load1 = os.getloadavg()
            if proc.returncode != 0:
                print(proc.stdout + proc.stderr, file=sys.stderr)
                return proc.returncode
            rows.append({"workers": w, "submissions": n, "wall_s": round(wall, 1),
                         "per_minute": round(60 * n / wall, 2), "cpu_s": round(cpu, 1),
                         "load_before": [round(x, 2) for x in load0], "load_after": [round(x, 2) for x in load1]})
            base = base if rows[1:] else wall
            print(f"--workers {w}: {n} submissions in {wall:.1f} s ({60 * n / wall:.2f}/min, speed-up "
                  f"{base / wall:.2f}x), CPU {cpu:.1f} s; load average {load0[0]:.1f} before, {load1[0]:.1f} after",
                  flush=True)
    info = {"cpus": os.cpu_count(), "copies": args.copies, "examples": list(EXAMPLES),
            "components": args.components or "all", "runs": rows}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(info, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
