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
import hashlib
import io
import json
import os
import signal
import sys
import statistics
import time
import urllib.parse
from concurrent.futures import ProcessPoolExecutor, as_completed

from .errors import check_interrupt
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


def content_hash(sub: str) -> str:
    """sha256 over the submission's files (relative path and bytes; no .git, no caches): a resubmission whose
    files changed is regraded."""
    h = hashlib.sha256()
    if os.path.isfile(sub):
        paths = [sub]
        base = os.path.dirname(sub)
    else:
        base, paths = sub, []
        for dirpath, dirs, names in os.walk(sub):
            dirs[:] = sorted(d for d in dirs if d not in (".git", "__pycache__", ".ipynb_checkpoints"))
            paths += [os.path.join(dirpath, n) for n in sorted(names) if not n.endswith(".pyc")]
    for p in paths:
        h.update(os.path.relpath(p, base).encode() + b"\0")
        try:
            with open(p, "rb") as f:
                h.update(f.read())
        except OSError:
            h.update(b"<unreadable>")
        h.update(b"\0")
    return h.hexdigest()


def grade_one(sub: str, out_file: str, options: dict) -> dict:
    """Grade one submission and write its result atomically, with the student's own HTML and Gradescope
    results.json beside it; returns a short summary (runs in a worker).  Everything is written by the grading
    process after every process of the submission is gone."""
    from .grading import UsageError, exit_code, grade_submission
    from .sandbox import LoadError
    from . import reports
    t0 = time.perf_counter()
    digest = content_hash(sub)
    try:
        res = grade_submission(sub, **options)
        res["exit"] = exit_code(res)
    except (UsageError, LoadError) as e:
        res = unreadable(sub, options, str(e), time.perf_counter() - t0)
    res["content_hash"] = digest
    stem = out_file.removesuffix(".json")
    if not res.get("unreadable"):
        reports.write_all(res, html=stem + ".html", gradescope=stem + ".results.json")
    atomic_write(out_file, json.dumps(res, indent=1, default=str))
    return {"submission": sub, "score": res["score"], "exit": res["exit"]}


def unreadable(sub: str, options: dict, why: str, seconds: float = 0.0) -> dict:
    return {"submission": os.path.abspath(sub), "style": options.get("style"), "components": [],
            "score": {"earned": 0.0, "possible": 0.0}, "unreadable": why, "exit": 2, "seconds": round(seconds, 2)}


def _student_status(r: dict) -> str:
    if r.get("unreadable"):
        return "unreadable"
    if any(p.get("info", {}).get("kind") == "timeout" for c in r["components"] for p in c["properties"]):
        return "timed out"
    return "graded"


def summarize(results: list[dict]) -> tuple[str, dict]:
    """(CSV text, summary dict) over the class: a row per student with points per component, pass rates per
    component over the students who implemented it, mean and median per style."""
    comps = []
    for r in results:
        for c in r["components"]:
            if c["name"] not in comps:
                comps.append(c["name"])
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["submission", "style", "earned", "possible", "status", "note"] + comps
               + [f"{c}:status" for c in comps])
    rates = {c: collections.Counter() for c in comps}
    failures = collections.Counter()
    students = []
    for r in results:
        name = os.path.basename(r["submission"].rstrip("/"))
        by = {c["name"]: c for c in r["components"]}
        points = {c: round(sum(p.get("earned", 0.0) for p in by[c]["properties"]), 4) if c in by else "" for c in comps}
        status = _student_status(r)
        note = r.get("unreadable", "")
        if status == "timed out":
            note = note or "a component timed out: " + ", ".join(
                c["name"] for c in r["components"]
                if any(p.get("info", {}).get("kind") == "timeout" for p in c["properties"]))
        w.writerow([name, r.get("style"), r["score"]["earned"], r["score"]["possible"], status, note]
                   + [points[c] for c in comps] + [by[c]["status"] if c in by else "" for c in comps])
        possible = r["score"]["possible"]
        students.append({"name": name, "key": result_key(r["submission"]), "style": r.get("style") or "",
                         "earned": r["score"]["earned"], "possible": possible,
                         "percent": 100.0 * r["score"]["earned"] / possible if possible else 0.0,
                         "status": status, "note": note,
                         "components": {c: by[c]["status"] for c in by}})
        for c in r["components"]:
            rates[c["name"]][c["status"]] += 1
            for p in c["properties"]:
                if p["status"] in ("fail", "error"):
                    failures[f"{c['name']}::{p['name']}"] += 1
    not_implemented = ("missing", "not_implemented", "environment")
    per_comp = {}
    for c in comps:
        implemented = sum(v for k, v in rates[c].items() if k not in not_implemented)
        per_comp[c] = {"implemented": implemented, **dict(rates[c]),
                       "pass_rate": (rates[c]["pass"] / implemented) if implemented else None}
    styles = {}
    for st in sorted({s["style"] for s in students}):
        pct = [s["percent"] for s in students if s["style"] == st and s["status"] != "unreadable"]
        styles[st] = {"students": sum(1 for s in students if s["style"] == st),
                      "mean_percent": statistics.mean(pct) if pct else None,
                      "median_percent": statistics.median(pct) if pct else None,
                      "possible": max((s["possible"] for s in students if s["style"] == st), default=0.0)}
    graded = [s["percent"] for s in students if s["status"] != "unreadable"]
    summary = {"submissions": len(results), "unreadable": sum(1 for r in results if r.get("unreadable")),
               "students": students, "styles": styles, "components": per_comp,
               "most_common_failures": failures.most_common(20),
               "mean_percent": statistics.mean(graded) if graded else 0.0,
               "median_percent": statistics.median(graded) if graded else 0.0,
               # kept for scripts reading it: the mean of raw points (only comparable within one style)
               "mean_score": (sum(r["score"]["earned"] for r in results) / len(results)) if results else 0.0}
    return buf.getvalue(), summary


STATUS_COLOURS = {"pass": "#2e7d32", "fail": "#c62828", "error": "#ef6c00", "blocked": "#8e24aa",
                  "environment": "#1565c0", "not_implemented": "#9e9e9e", "missing": "#eeeeee", "": "#ffffff",
                  "warn": "#f9a825"}


def plots(summary: dict) -> dict:
    """PNG data URIs: a histogram of scores (percent, per style) and a component x student heat map."""
    import base64
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    def uri(fig):
        b = io.BytesIO()
        fig.savefig(b, format="png", dpi=90, bbox_inches="tight")
        plt.close(fig)
        return "data:image/png;base64," + base64.b64encode(b.getvalue()).decode()
    out = {}
    students = summary["students"]
    fig, ax = plt.subplots(figsize=(6, 3))
    for st in summary["styles"]:
        ax.hist([s["percent"] for s in students if s["style"] == st and s["status"] != "unreadable"],
                bins=range(0, 105, 5), alpha=0.6, label=st or "?")
    ax.set_xlabel("score (% of the style's possible points)")
    ax.set_ylabel("students")
    ax.legend()
    out["histogram"] = uri(fig)
    comps = list(summary["components"])
    if students and comps:
        names = list(STATUS_COLOURS)
        grid = [[names.index(s["components"].get(c, "")) if s["components"].get(c, "") in names else 0
                 for s in students] for c in comps]
        fig, ax = plt.subplots(figsize=(max(4, 0.35 * len(students) + 2), max(3, 0.25 * len(comps) + 1)))
        ax.imshow(grid, cmap=ListedColormap([STATUS_COLOURS[n] for n in names]), vmin=0, vmax=len(names) - 1,
                  aspect="auto", interpolation="nearest")
        ax.set_yticks(range(len(comps)), comps, fontsize=7)
        ax.set_xticks(range(len(students)), [s["name"][:16] for s in students], rotation=90, fontsize=7)
        out["heatmap"] = uri(fig)
    return out


def _html(summary: dict) -> str:
    from .reports import _env
    return _env().get_template("class.html").render(s=summary, plots=plots(summary), colours=STATUS_COLOURS,
                                                    results_dir=RESULTS_DIR)


def _ignore_sigint():
    """Pool workers leave Ctrl-C to the parent (no worker tracebacks); the parent stops them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def grade_class(root: str, out_dir: str, *, workers: int | None = None, scheduler: str | None = None,
                progress: bool = True, options: dict | None = None, log=None, force: bool = False) -> dict:
    """Grade every submission under root into out_dir; resumable (a submission whose result is there and whose
    files did not change since is not regraded; force regrades all).  Ctrl-C stops the pool and raises
    KeyboardInterrupt."""
    options = dict(options or {})
    log = log or (lambda msg: print(msg, file=sys.stderr))
    subs, skipped = scan(root)
    for s in skipped:
        log(f"skipped: {s}")
    os.makedirs(os.path.join(out_dir, RESULTS_DIR), exist_ok=True)
    todo = []
    for s in subs:
        p = result_path(out_dir, s)
        old = read_result(p)
        if force:
            todo.append(s)
        elif old is None:
            if os.path.exists(p):
                log(f"regrading {os.path.basename(s)}: its result file {p} is corrupt")
            todo.append(s)
        elif old.get("content_hash") != content_hash(s):
            log(f"regrading {os.path.basename(s)}: its files changed since it was graded")
            todo.append(s)
    from .progress import bar as progress_bar
    bar = progress_bar(len(subs), "grading", initial=len(subs) - len(todo), unit="submission", enabled=progress)

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
                    check_interrupt()
                    try:
                        grade_one(s, result_path(out_dir, s), options)
                    except Exception as e:  # noqa: BLE001
                        lost(s, e)
                    bar.update(1)
            else:
                pool = ProcessPoolExecutor(max_workers=workers, initializer=_ignore_sigint)
                try:
                    futs = {pool.submit(grade_one, s, result_path(out_dir, s), options): s for s in todo}
                    for f in as_completed(futs):
                        check_interrupt()  # a Ctrl-C Python swallowed on the way (a gc callback)
                        try:
                            f.result()
                        except Exception as e:  # noqa: BLE001 - e.g. BrokenProcessPool
                            lost(futs[f], e)
                        bar.update(1)
                except KeyboardInterrupt:
                    # the workers ignore SIGINT: end them (their sandboxes die with them) and stop at once
                    for proc in list(getattr(pool, "_processes", {}).values()):
                        try:
                            proc.terminate()
                        except OSError:
                            pass
                    pool.shutdown(wait=False, cancel_futures=True)
                    raise
                pool.shutdown()
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
    p.add_argument("--manifest", metavar="F", help="read every submission with the manifest F (the course's dialect)")
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
    p.add_argument("--force", action="store_true", help="regrade every submission, changed or not")


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
                **({"manifest": os.path.abspath(args.manifest)} if args.manifest else {}),
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
                    progress=not args.no_progress, options=opts, force=args.force)
    per_style = "; ".join(f"{st or '?'}: mean {v['mean_percent']:.1f}%, median {v['median_percent']:.1f}%"
                          for st, v in s["styles"].items() if v["mean_percent"] is not None)
    print(f"{s['submissions']} submissions ({s['graded_now']} graded now, {s['unreadable']} unreadable), "
          f"{per_style or 'none graded'}, in {time.perf_counter() - t0:.1f} s; summary in "
          f"{os.path.join(args.out, 'summary.csv')} and summary.html")
    return 0
