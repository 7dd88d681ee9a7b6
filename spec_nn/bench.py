"""``spec-nn bench``: how fast the harness is, measured, never asserted in tests.

For each component and backend it runs ``forward_matches_reference`` (or the first property for
components without one) and ``backward_matches_finite_differences`` under a fixed example budget and
reports

* examples per second;
* the harness overhead ratio = total time / time spent inside the implementation's own calls on the
  same examples (everything else is Hypothesis generation, shrinking bookkeeping, the reference and the
  comparison);
* function evaluations per gradient check: the random-direction check costs 2 per direction, where a
  full central difference over every input element would cost 2N (N shown for the drawn cases).
"""
from __future__ import annotations

import json
import platform
import time

import numpy as np

from .impl import make_impl
from .registry import COMPONENTS
from .runner import check_property


class Timed:
    """Proxy that accumulates the time spent inside an implementation's forward/backward."""

    def __init__(self, impl):
        self.impl, self.seconds, self.calls, self.elements = impl, 0.0, 0, []
        self.backend, self.component = impl.backend, impl.component

    @property
    def has_backward(self):
        return self.impl.has_backward

    def _timed(self, fn, *args):
        t0 = time.perf_counter()
        try:
            return fn(*args)
        finally:
            self.seconds += time.perf_counter() - t0
            self.calls += 1

    def forward(self, case):
        self.elements.append(sum(a.size for a in case.arrays.values()))
        return self._timed(self.impl.forward, case)

    def backward(self, case, dout):
        return self._timed(self.impl.backward, case, dout)

    def repro(self, prop, case):
        return self.impl.repro(prop, case)


def bench_one(component, backend: str, prop: str, examples: int, dtype="float64") -> dict:
    impl = Timed(make_impl(component, backend))
    t0 = time.perf_counter()
    v = check_property(component, prop, impl, dtype=dtype, max_examples=examples, profile="ci")
    total = time.perf_counter() - t0
    row = {"component": component.name, "backend": backend, "property": prop, "status": v.status,
           "examples": v.examples, "seconds": round(total, 4),
           "examples_per_s": round(v.examples / total, 1) if total else None,
           "impl_seconds": round(impl.seconds, 4), "impl_calls": impl.calls,
           "overhead_ratio": round(total / impl.seconds, 2) if impl.seconds else None}
    if "fd_evals_per_check" in v.info:
        row["fd_evals_per_check"] = v.info["fd_evals_per_check"]
        row["full_central_difference_evals"] = int(2 * np.mean(impl.elements)) if impl.elements else None
    return row


def bench_submission(path: str, profile: str = "fast") -> dict:
    """Grade a whole submission and split the wall time into time spent inside the sandboxed
    implementation (Session.call, IPC included) and everything else."""
    from . import sandbox
    from .grading import grade_submission
    spent = {"seconds": 0.0, "calls": 0}
    original = sandbox.Session.call

    def timed(self, *a, **kw):
        t0 = time.perf_counter()
        try:
            return original(self, *a, **kw)
        finally:
            spent["seconds"] += time.perf_counter() - t0
            spent["calls"] += 1
    sandbox.Session.call = timed
    try:
        t0 = time.perf_counter()
        res = grade_submission(path, profile=profile)
        total = time.perf_counter() - t0
    finally:
        sandbox.Session.call = original
    return {"submission": path, "profile": profile, "seconds": round(total, 2),
            "impl_seconds": round(spent["seconds"], 2), "impl_calls": spent["calls"],
            "overhead_ratio": round(total / spent["seconds"], 2) if spent["seconds"] else None,
            "score": res["score"]}


def bench_naive_baseline(examples: int = 200) -> dict:
    """The approach spec_nn replaces, for comparison: Hypothesis drawing every float of the array
    (hypothesis.extra.numpy.arrays) and one torch call per example, compared with NumPy."""
    import torch
    from hypothesis import given, settings
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp
    spent, count = [0.0], [0]

    @settings(max_examples=examples, database=None, deadline=None, derandomize=True)
    @given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
                      elements=st.floats(-1000, 1000)))
    def run(x):
        t0 = time.perf_counter()
        y = torch.relu(torch.from_numpy(x)).numpy()
        spent[0] += time.perf_counter() - t0
        count[0] += 1
        np.testing.assert_allclose(y, np.maximum(x, 0))
    t0 = time.perf_counter()
    run()
    total = time.perf_counter() - t0
    return {"component": "relu (naive baseline)", "examples": count[0], "seconds": round(total, 3),
            "examples_per_s": round(count[0] / total, 1), "overhead_ratio": round(total / spent[0], 2)}


def add_arguments(parser):
    parser.add_argument("--examples", type=int, default=50, help="examples per component::property (default 50)")
    parser.add_argument("--backends", default="reference,torch-cpu", help="comma-separated backends")
    parser.add_argument("--components", default="", help="comma-separated subset (default: all)")
    parser.add_argument("--json", default=None, help="also write the rows to this JSON file")
    parser.add_argument("--submission", default=None, metavar="PATH",
                        help="instead: grade PATH and report the harness overhead of the grading path")


def run(args) -> int:
    if args.submission:
        row = bench_submission(args.submission)
        print(json.dumps(row))
        if args.json:
            with open(args.json, "w") as f:
                json.dump(row, f, indent=2)
        return 0
    names = [n for n in args.components.split(",") if n] or list(COMPONENTS)
    rows = []
    for name in names:
        c = COMPONENTS[name]
        for backend in args.backends.split(","):
            if backend.startswith("torch") and c.torch is None:
                continue
            props = [p for p in ("forward_matches_reference", "backward_matches_finite_differences")
                     if p in c.property_names and not (backend == "reference" and p == "forward_matches_reference")]
            # the reference is not compared with itself: time its first other property instead
            fallback = [p for p in c.property_names if p not in ("forward_matches_reference",
                                                                  "backward_matches_reference")][:1]
            for prop in props or fallback:
                rows.append(bench_one(c, backend, prop, args.examples))
                r = rows[-1]
                print(f"{name:<22} {backend:<10} {prop:<38} {r['examples_per_s'] or 0:>8.1f} ex/s  "
                      f"overhead {r['overhead_ratio'] or 0:>6.2f}x"
                      + (f"  fd evals {r['fd_evals_per_check']:.0f} (full: {r['full_central_difference_evals']})"
                         if "fd_evals_per_check" in r else ""), flush=True)
    base = bench_naive_baseline(args.examples * 4)
    print(f"{'relu naive baseline':<22} {'torch-cpu':<10} {'hnp.arrays + torch call':<38} {base['examples_per_s']:>8.1f} ex/s  "
          f"overhead {base['overhead_ratio']:>6.2f}x", flush=True)
    ratios = [r["overhead_ratio"] for r in rows if r["overhead_ratio"]]
    total_s = sum(r["seconds"] for r in rows)
    total_impl = sum(r["impl_seconds"] for r in rows)
    summary = {"machine": f"{platform.machine()} {platform.processor() or ''}".strip(), "python": platform.python_version(),
               "median_overhead_ratio": float(np.median(ratios)) if ratios else None,
               "aggregate_overhead_ratio": round(total_s / total_impl, 2) if total_impl else None,
               "rows": len(rows), "naive_baseline": base}
    print(json.dumps(summary))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"summary": summary, "rows": rows}, f, indent=2)
    return 0
