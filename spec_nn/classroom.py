"""``spec-nn grade-class DIR --out RESULTS``: grade every submission under DIR.

Parallel worker processes by default (``--workers``), or a dask.distributed cluster (``--scheduler
ADDRESS``).  Resumable: each result is written atomically to ``RESULTS/students/<name>.json`` (the name escaped; the summary files beside the folder, so no student name collides with them) as soon as it
is finished, and a rerun skips submissions whose result exists (a corrupt one is regraded, with a word).  A class summary follows: ``summary.csv``
(one row per submission) and ``summary.html`` (pass rates per component, most common failures).
"""
from __future__ import annotations

import argparse
import collections
import csv
import io
import json
import os
import sys
import time
import urllib.parse
from concurrent.futures import ProcessPoolExecutor, as_completed

from .reports import atomic_write
from .sandbox import DEFAULT_MEMORY_MB, DEFAULT_SUBMISSION_TIMEOUT, DEFAULT_TIMEOUT


SKIPPED_NAMES = ("__MACOSX", "__pycache__")
RESULTS_DIR = "students"  # per-student results live here: no student name can collide with the summary files


def scan(root: str) -> tuple[list[str], list[str]]:
    """(every submission directory or manifest .toml directly under root, sorted; what was skipped and why)."""
    out, skipped = [], []
    for e in sorted(os.scandir(root), key=lambda e: e.name):
        if e.name.startswith("."):
            skipped.append(f"{e.name} (hidden)")
        elif e.name in SKIPPED_NAMES:
            skipped.append(f"{e.name} (not a submission)")
        elif e.is_dir(follow_symlinks=False) or (e.name.endswith(".toml") and e.is_file(follow_symlinks=False)):
            out.append(e.path)
        else:
            skipped.append(f"{e.name} (not a directory or a manifest .toml)")
    return out, skipped


def submissions(root: str) -> list[str]:
    return scan(root)[0]


def result_key(sub: str) -> str:
    """A collision-free file name for a submission: its own name, escaped (``alice`` and ``alice.toml`` are two
    keys; ``summary`` is a student like any other, since results live in their own folder)."""
    name = os.path.basename(sub.rstrip("/"))
    return urllib.parse.quote(name, safe="") or "%00"


def result_path(out_dir: str, sub: str) -> str:
    return os.path.join(out_dir, RESULTS_DIR, result_key(sub) + ".json")


def read_result(path: str) -> dict | None:
    """A finished result, or None when the file is missing, corrupt or not a result (then it is regraded)."""
    try:
        with open(path, encoding="utf-8") as f:
            r = json.load(f)
    except (OSError, ValueError):
        return None
    ok = (isinstance(r, dict) and isinstance(r.get("components"), list) and isinstance(r.get("score"), dict)
          and all(isinstance(r["score"].get(k), (int, float)) for k in ("earned", "possible"))
          and isinstance(r.get("submission"), str))
    return r if ok else None


def grade_one(sub: str, out_file: str, options: dict) -> dict:
    """Grade one submission and write its result atomically; returns a short summary (runs in a worker).
    The result is written by the grading process after every process of the submission is gone."""
    from .grading import UsageError, exit_code, grade_submission
    from .sandbox import LoadError
    t0 = time.perf_counter()
    try:
        res = grade_submission(sub, **options)
        res["exit"] = exit_code(res)
    except (UsageError, LoadError) as e:
        res = unreadable(sub, options, str(e), time.perf_counter() - t0)
    atomic_write(out_file, json.dumps(res, indent=1, default=str))
    return {"submission": sub, "score": res["score"], "exit": res["exit"]}


def unreadable(sub: str, options: dict, why: str, seconds: float = 0.0) -> dict:
    return {"submission": os.path.abspath(sub), "style": options.get("style"), "components": [],
            "score": {"earned": 0.0, "possible": 0.0}, "unreadable": why, "exit": 2, "seconds": round(seconds, 2)}


def summarize(results: list[dict]) -> tuple[str, dict]:
    """(CSV text, summary dict) over the class."""
    comps = []
    for r in results:
        for c in r["components"]:
            if c["name"] not in comps:
                comps.append(c["name"])
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["submission", "style", "earned", "possible", "note"] + comps)
    rates = {c: collections.Counter() for c in comps}
    failures = collections.Counter()
    for r in results:
        status = {c["name"]: c["status"] for c in r["components"]}
        w.writerow([os.path.basename(r["submission"]), r.get("style"), r["score"]["earned"], r["score"]["possible"],
                    r.get("unreadable", "")] + [status.get(c, "") for c in comps])
        for c in r["components"]:
            rates[c["name"]][c["status"]] += 1
            for p in c["properties"]:
                if p["status"] in ("fail", "error"):
                    failures[f"{c['name']}::{p['name']}"] += 1
    summary = {"submissions": len(results), "unreadable": sum(1 for r in results if r.get("unreadable")),
               "components": {c: {"pass_rate": (rates[c]["pass"] / max(1, sum(v for k, v in rates[c].items()
                                                                             if k != "missing"))),
                                  **dict(rates[c])} for c in comps},
               "most_common_failures": failures.most_common(20),
               "mean_score": (sum(r["score"]["earned"] for r in results) / len(results)) if results else 0.0}
    return buf.getvalue(), summary


def _html(summary: dict) -> str:
    from .reports import _env
    return _env().get_template("class.html").render(s=summary)


def grade_class(root: str, out_dir: str, *, workers: int | None = None, scheduler: str | None = None,
                progress: bool = True, options: dict | None = None, log=None) -> dict:
    options = dict(options or {})
    log = log or (lambda msg: print(msg, file=sys.stderr))
    subs, skipped = scan(root)
    for s in skipped:
        log(f"skipped: {s}")
    os.makedirs(os.path.join(out_dir, RESULTS_DIR), exist_ok=True)
    todo = []
    for s in subs:
        p = result_path(out_dir, s)
        if read_result(p) is None:
            if os.path.exists(p):
                log(f"regrading {os.path.basename(s)}: its result file {p} is corrupt")
            todo.append(s)
    from tqdm import tqdm
    bar = tqdm(total=len(subs), initial=len(subs) - len(todo), desc="grading", unit="submission",
               disable=not progress, file=sys.stderr)

    def lost(s, e):  # the process grading s died: that student gets a result saying so, the class goes on
        atomic_write(result_path(out_dir, s), json.dumps(unreadable(s, options, f"the grading process failed: "
                                                                             f"{type(e).__name__}: {e}"[:300])))
    if todo:
        if scheduler:
            from distributed import Client, as_completed as dask_completed
            client = scheduler if not isinstance(scheduler, str) else Client(scheduler)
            try:
                futs = {client.submit(grade_one, s, result_path(out_dir, s), options, pure=False): s for s in todo}
                for f in dask_completed(futs):
                    try:
                        f.result()
                    except Exception as e:  # noqa: BLE001
                        lost(futs[f], e)
                    bar.update(1)
            finally:
                if isinstance(scheduler, str):
                    client.close()
        else:
            workers = workers or max(1, os.cpu_count() or 1)
            if workers == 1:
                for s in todo:
                    try:
                        grade_one(s, result_path(out_dir, s), options)
                    except Exception as e:  # noqa: BLE001
                        lost(s, e)
                    bar.update(1)
            else:
                with ProcessPoolExecutor(max_workers=workers) as pool:
                    futs = {pool.submit(grade_one, s, result_path(out_dir, s), options): s for s in todo}
                    for f in as_completed(futs):
                        try:
                            f.result()
                        except Exception as e:  # noqa: BLE001 - e.g. BrokenProcessPool
                            lost(futs[f], e)
                        bar.update(1)
    bar.close()
    results = []
    for s in subs:
        r = read_result(result_path(out_dir, s))
        results.append(r if r is not None else unreadable(s, options, "its result could not be read back"))
    text, summary = summarize(results)
    atomic_write(os.path.join(out_dir, "summary.csv"), text)
    atomic_write(os.path.join(out_dir, "summary.json"), json.dumps(summary, indent=1))
    atomic_write(os.path.join(out_dir, "summary.html"), _html(summary))
    summary["graded_now"] = len(todo)
    summary["skipped"] = skipped
    return summary


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", help="directory holding one submission per subdirectory")
    p.add_argument("--out", required=True, metavar="RESULTS", help="results directory (resumable)")
    p.add_argument("--workers", type=int, default=None, help="parallel worker processes (default: CPU count)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="dask.distributed scheduler address")
    p.add_argument("--style", choices=("book", "cs231n", "manifest"))
    p.add_argument("--components", help="comma-separated component names (default: all)")
    p.add_argument("--rubric", metavar="F")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="S")
    p.add_argument("--submission-timeout", type=float, default=DEFAULT_SUBMISSION_TIMEOUT, metavar="S")
    p.add_argument("--memory", type=int, default=DEFAULT_MEMORY_MB, metavar="MB")
    p.add_argument("--profile", choices=["fast", "ci", "thorough"], default=None)
    p.add_argument("--max-examples", type=int, default=None)
    p.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                   help="dtype of the drawn inputs and of the tolerances (%(default)s)")
    p.add_argument("--no-progress", action="store_true")


def run(args) -> int:
    from .errors import InvalidArgument
    from .grading import UsageError, parse_components, validate_options
    from .rubric import load as load_rubric
    if not os.path.isdir(args.dir):
        print(f"spec-nn grade-class: {args.dir} is not a directory", file=sys.stderr)
        return 2
    if not submissions(args.dir):
        print(f"spec-nn grade-class: {args.dir} holds no submissions", file=sys.stderr)
        return 2
    opts = dict(style=args.style, components=parse_components(args.components), rubric=args.rubric,
                seed=args.seed, timeout=args.timeout, submission_timeout=args.submission_timeout,
                memory_mb=args.memory, profile=args.profile, max_examples=args.max_examples, dtype=args.dtype)
    # A usage error is the teacher's, not a submission's: stop before any result is written (a rerun
    # would otherwise skip every submission as already graded).
    try:
        validate_options(**opts)
        load_rubric(args.rubric)
        if args.workers is not None and args.workers < 1:
            raise UsageError(f"--workers={args.workers} must be at least 1")
        if os.path.exists(args.out) and not os.path.isdir(args.out):
            raise UsageError(f"--out {args.out} is a file, not a directory")
    except (UsageError, InvalidArgument) as e:
        print(f"spec-nn grade-class: {e}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    s = grade_class(args.dir, args.out, workers=args.workers, scheduler=args.scheduler,
                    progress=not args.no_progress, options=opts)
    print(f"{s['submissions']} submissions ({s['graded_now']} graded now, {s['unreadable']} unreadable), "
          f"mean score {s['mean_score']:.1f}, in {time.perf_counter() - t0:.1f} s; summary in "
          f"{os.path.join(args.out, 'summary.csv')} and summary.html")
    return 0
