"""What the sandbox costs per submission, and grading time against an earlier commit, side by side.

    .venv/bin/python scripts/bench_isolation.py [--submission examples/book_correct] [--repeat 3]
        [--levels bubblewrap,uid,session] [--baseline DIR]

Each run is ``python -m spec_nn grade SUBMISSION -q`` in a fresh process (what an instructor runs), at each
isolation level (``SPEC_NN_ISOLATION``); ``--baseline DIR`` also times a checkout of an earlier commit
(``git worktree add DIR COMMIT``) with the same interpreter, its package put first on PYTHONPATH.  Runs are
interleaved (level by level, round by round) so that machine load falls on all of them alike; the median
and the minimum wall time are printed per variant.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--submission", default=os.path.join(HERE, "examples", "book_correct"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--levels", default="bubblewrap,uid,session")
    ap.add_argument("--baseline", metavar="DIR", help="a checkout of an earlier commit to time beside this one")
    args = ap.parse_args(argv)
    variants = [(f"this tree, {lvl}", HERE, {"SPEC_NN_ISOLATION": lvl}) for lvl in args.levels.split(",") if lvl]
    if args.baseline:
        variants.append((f"baseline {os.path.basename(os.path.abspath(args.baseline))}", args.baseline, {}))
    times = {name: [] for name, _, _ in variants}
    for _ in range(args.repeat):
        for name, tree, extra in variants:
            env = dict(os.environ, PYTHONPATH=tree, **extra)
            t0 = time.perf_counter()
            p = subprocess.run([sys.executable, "-m", "spec_nn", "grade", args.submission, "-q"], env=env,
                               capture_output=True, text=True, cwd=tree)
            times[name].append(time.perf_counter() - t0)
            if p.returncode not in (0, 1):
                print(f"{name}: exit {p.returncode}: {p.stderr.strip()[-300:]}", file=sys.stderr)
    print(f"grading {args.submission} ({args.repeat} runs each, interleaved; {os.cpu_count()} CPUs)")
    for name, ts in times.items():
        print(f"  {name:<40} median {statistics.median(ts):6.2f} s   min {min(ts):6.2f} s")
    # the isolation's own cost, without the grading around it: starting the worker in its jail, importing the
    # submission and closing everything, and one call's round trip
    code = ("import sys, time, statistics; sys.path.insert(0, %r)\n"
            "from spec_nn.sandbox import Session; from spec_nn.record import Case; import numpy as np\n"
            "from spec_nn.grading import locate\n"
            "root, style, man = locate(%r, None); starts, calls = [], []\n"
            "for _ in range(%d):\n"
            "    t = time.perf_counter(); s = Session(style, root, man); s.load(); starts.append(time.perf_counter() - t)\n"
            "    case = Case({'x': np.random.rand(4, 5)}, {}, {})\n"
            "    for _ in range(50):\n"
            "        t = time.perf_counter(); s.call('relu', 'forward', case); calls.append(time.perf_counter() - t)\n"
            "    t = time.perf_counter(); s.close(); starts[-1] += time.perf_counter() - t\n"
            "print(statistics.median(starts), statistics.median(calls))\n") % (HERE, args.submission, args.repeat + 2)
    print("isolation cost per submission (start + load + close) and per call (relu forward round trip):")
    for lvl in args.levels.split(","):
        p = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, SPEC_NN_ISOLATION=lvl),
                           capture_output=True, text=True)
        if p.returncode:
            print(f"  {lvl}: failed: {p.stderr.strip()[-300:]}")
            continue
        start, call = map(float, p.stdout.split())
        print(f"  {lvl:<12} start+load+close {start * 1000:7.1f} ms   one call {call * 1000:6.2f} ms")


if __name__ == "__main__":
    main()
