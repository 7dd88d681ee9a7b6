"""The scenario record: a claim from a seed article turned into a reproducible measurement.

A :class:`Scenario` is declarative: name, claim, source (seed file and what it says), build (the
network and training set-up, in words), and ``measure(ops, seed, profile) -> (measurements, checks,
plots)``.  ``run`` adds the verdict:

* "pass": every check held; "fail": a check did not hold;
* "observed": every strict check held, and the scenario reports what a seed claims next to what was
  measured (``strict=False`` checks are claims under observation: they never fail the scenario; when
  one of them does not hold, or the scenario is ``observed=True``, the status is "observed" and the
  report lists which claims held and which did not).

Checks are plain dicts ``{name, threshold, measured, held, strict}``, built with :func:`check`.
Plots are data (``{"kind": "lines" | "paths", "title", "x", "series", "logy", ...}``) so that a
scenario never imports matplotlib; the report draws them.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

PROFILES = ("fast", "ci", "thorough")


def check(name: str, threshold: str, measured, held, *, strict: bool = True) -> dict:
    """One threshold: ``held`` is a bool computed from ``measured`` by the scenario."""
    return {"name": name, "threshold": threshold, "measured": _jsonable(measured), "held": bool(held),
            "strict": strict}


@dataclass(frozen=True)
class Scenario:
    """name: stable id; claim: one sentence; source: {"seed": file, "says": quote or paraphrase};
    build: the set-up in words; measure(ops, seed, profile) -> (measurements, checks, plots);
    observed: True when the scenario compares a seed's claims with measurements (never "fail");
    seeds: the fixed seeds the tests use."""
    name: str
    claim: str
    source: dict
    build: str
    measure: Callable
    observed: bool = False
    seeds: tuple = (0,)
    tags: tuple = field(default_factory=tuple)

    def run(self, ops, *, seed: int | None = None, profile: str = "fast") -> dict:
        if profile not in PROFILES:
            raise ValueError(f"profile={profile!r} is not one of {PROFILES}")
        seed = self.seeds[0] if seed is None else seed
        t0 = time.perf_counter()
        if hasattr(ops, "begin"):
            ops.begin()
        try:
            with _one_blas_thread():
                measurements, checks, plots = self.measure(ops, seed, profile)
            error = ""
        except Exception as e:  # noqa: BLE001 - a submission's fault becomes the verdict
            measurements, checks, plots, error = {}, [], [], f"{type(e).__name__}: {e}"
        strict = [c for c in checks if c["strict"]]
        if error:
            status = "error"
        elif not all(c["held"] for c in strict):
            status = "fail"
        elif self.observed or not all(c["held"] for c in checks):
            status = "observed"
        else:
            status = "pass"
        return {"name": self.name, "claim": self.claim, "source": self.source, "build": self.build,
                "backend": ops.backend, "ops": ops.describe(), "seed": seed, "profile": profile,
                "status": status, "error": error, "checks": checks,
                "claims_held": [c["name"] for c in checks if c["held"]],
                "claims_not_held": [c["name"] for c in checks if not c["held"]],
                "measurements": _jsonable(measurements), "plots": _jsonable(plots),
                "seconds": round(time.perf_counter() - t0, 3)}


def _one_blas_thread():
    """The scenario nets are small: BLAS threads only add overhead (and contention on 2 cores)."""
    try:
        from threadpoolctl import threadpool_limits
        return threadpool_limits(limits=1)
    except ImportError:
        import contextlib
        return contextlib.nullcontext()


def _jsonable(v):
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, np.ndarray):
        return _jsonable(v.tolist())
    if isinstance(v, (np.floating, float)):
        f = float(v)
        return f if np.isfinite(f) else str(f)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    return v


def pick(profile: str, fast, ci, thorough):
    """A budget by profile (ci sits between fast and thorough; tests use it)."""
    return {"fast": fast, "ci": ci, "thorough": thorough}[profile]
