"""The one driver core: run one ``component::property`` against one implementation under Hypothesis
and turn the outcome into a :class:`Verdict`.  pytest, the grader and the conformance runner are thin
layers over :func:`check_property`.
"""
from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import given, seed as hseed
from hypothesis.errors import FlakyFailure

from .checks import Context, get_check
from .errors import ImplError, SpecViolation
from .profiles import settings_for
from .record import Case, Component

# Comparing the reference with itself is a check that cannot fail: on the reference backend these
# properties are "n/a" (the torch backend and submissions are compared with it instead).
SELF_COMPARISONS = ("forward_matches_reference", "backward_matches_reference")


@dataclass
class Verdict:
    component: str
    property: str
    backend: str
    dtype: str
    status: str  # pass | fail | error | skip | n/a
    message: str = ""
    example: Any = None
    repro: str = ""
    variant: dict | None = None
    stats: dict = field(default_factory=dict)
    info: dict = field(default_factory=dict)
    examples: int = 0
    seconds: float = 0.0
    expected: Any = None
    actual: Any = None
    findings: list = field(default_factory=list)  # distinct failures, the verdict's own first (at most 3)

    @property
    def id(self) -> str:
        return f"{self.component}::{self.property}"

    def to_json(self) -> dict:
        def small(a):
            if a is None:
                return None
            a = np.asarray(a)
            return a.tolist() if a.size <= 64 else f"<{a.dtype} array {a.shape}>"
        return {"id": self.id, "component": self.component, "property": self.property,
                "backend": self.backend, "dtype": self.dtype, "status": self.status,
                "message": self.message, "example": repr(self.example) if self.example is not None else None,
                "repro": self.repro, "variant": self.variant, "stats": {k: str(v) for k, v in self.stats.items()},
                "info": self.info, "examples": self.examples, "seconds": round(self.seconds, 4),
                "expected": small(self.expected), "actual": small(self.actual),
                "findings": [dict(f) for f in self.findings]}


def strategy_for(component: Component, prop: str, dtype):
    smooth = prop == "backward_matches_finite_differences"
    specific = component.specific(prop)
    factory = specific.cases if specific is not None and specific.cases is not None else component.cases
    return _strategy(factory, np.dtype(dtype).name, smooth)


@functools.lru_cache(maxsize=1024)
def _strategy(factory, dtype: str, smooth: bool):
    """Strategies are immutable: build each (factory, dtype, smooth) once, not once per property."""
    return factory(dtype=np.dtype(dtype), smooth=smooth)


def applicable(component: Component, prop: str, backend: str) -> bool:
    return not (backend == "reference" and prop in SELF_COMPARISONS)


def _merge_variants(infos: list[dict], component: Component) -> dict | None:
    """The named variant each convention matched: a non-default one wins if any example needed it."""
    seen: dict = {}
    for info in infos:
        for k, v in (info.get("variant") or {}).items():
            if v != component.default_variants.get(k) or k not in seen:
                seen[k] = v
    return seen or None


MAX_FINDINGS = 3


def cause_key(message: str, values: bool = False) -> str:
    """What makes two failure messages "the same cause": the message without its [where] part and its element
    index, and (unless ``values``) with numbers blanked: two examples give different values for one mistake."""
    import re
    head = message
    i = head.find(" [")
    if i >= 0:  # drop the bracketed location, brackets nested inside it included
        depth, j = 0, i + 1
        while j < len(head):
            depth += {"[": 1, "]": -1}.get(head[j], 0)
            j += 1
            if depth == 0:
                break
        head = head[:i] + head[j:]
    head = re.sub(r"\s*\((at|matches variant|variant|within) [^)]*\)", "", head)  # annotations, not the cause
    head = re.sub(r"(?<=[\w)])\[[-\d, ]*\]", "", head)          # dx[0, 3] -> dx
    if values:
        return head.strip()
    head = re.sub(r"\((-?\d+,? ?)*\)", "(#)", head)               # (1, 2) -> (#)
    return re.sub(r"-?\d+(\.\d+)?(e[-+]?\d+)?", "#", head).strip()


def _size(case) -> tuple:
    arrays = [v for d in (case.arrays, case.consts) for v in d.values() if isinstance(v, np.ndarray)]
    return sum(a.size for a in arrays), len(repr(case))


class _Findings:
    """Distinct failures seen while Hypothesis searched (no extra calls): the smallest example of each cause."""

    def __init__(self):
        self.by_key: dict = {}

    def add(self, message: str, case, kind: str = "fail") -> None:
        key = cause_key(message)
        old = self.by_key.get(key)
        if old is None:
            if len(self.by_key) < 16:
                self.by_key[key] = (message, case, kind)
        elif case is not None and old[1] is not None and _size(case) < _size(old[1]):
            self.by_key[key] = (message, case, kind)

    def others(self, primary: str) -> list:
        key = cause_key(primary)
        return [v for k, v in self.by_key.items() if k != key][:MAX_FINDINGS - 1]


EXPLORE_EXAMPLES = 10


def _explore(component, prop, impl, check, ctx, seen, dt, profile, seed) -> None:
    """After a failure, a few more drawn examples (no shrinking, nothing raised) to see failures of other causes:
    Hypothesis stops generating at the first one.  Runs only for failing properties."""
    from hypothesis import Phase
    stop: list = []

    @hseed(seed + 1)
    @settings_for(profile, max_examples=EXPLORE_EXAMPLES, phases=(Phase.generate,))
    @given(strategy_for(component, prop, dt))
    def more(case: Case):
        if stop or len(seen.by_key) >= 2 * MAX_FINDINGS:
            return
        try:
            check(component, impl, case, ctx)
        except SpecViolation as e:
            for f in (e, *getattr(e, "also", ())):
                seen.add(f.message, case)
        except ImplError as e:
            if e.fatal:
                stop.append(e)
            else:
                seen.add(f"{e.kind}: {e.reason}", case, "error")
        except Exception as e:  # noqa: BLE001 - as in the main run: the implementation's fault
            seen.add(f"raised: {type(e).__name__}: {e}", case, "error")
    try:
        more()
    except Exception:  # noqa: BLE001 - extra findings are a courtesy, never a reason to lose the verdict
        pass


def check_property(component: Component, prop: str, impl, *, dtype="float64", profile: str | None = None,
                   accept: dict | None = None, seed: int = 0, max_examples: int | None = None) -> Verdict:
    """Run ``component::prop`` on ``impl`` for Hypothesis-drawn cases; never raises for the
    implementation's faults (they become the verdict)."""
    dt = np.dtype(dtype).name
    verdict = Verdict(component.name, prop, getattr(impl, "backend", "impl"), dt, "pass")
    if not applicable(component, prop, verdict.backend):
        verdict.status, verdict.message = "n/a", "the reference is the definition this property compares with"
        return verdict
    check = get_check(component, prop)
    ctx = Context(accept=dict(accept or {}))
    seen = _Findings()
    infos: list[dict] = []
    fatal: list = []
    over = {"max_examples": max_examples} if max_examples else {}
    t0 = time.perf_counter()

    @hseed(seed)
    @settings_for(profile, **over)
    @given(strategy_for(component, prop, dt))
    def run(case: Case):
        if fatal:  # the worker is gone: do not wait for a timeout on every remaining example
            return
        try:
            info = check(component, impl, case, ctx)
        except SpecViolation as e:
            e.component, e.property, e.example = component.name, prop, case
            for f in (e, *getattr(e, "also", ())):
                seen.add(f.message, case)
            raise
        except ImplError as e:
            e.example = case
            if e.fatal:
                fatal.append(e)
                return
            seen.add(f"{e.kind}: {e.reason}", case, "error")
            raise
        except Exception as e:  # noqa: BLE001 - an implementation fault surfacing in our comparison code
            err = ImplError(f"{type(e).__name__}: {e}", kind="raised")
            err.example = case
            raise err from e
        infos.append(info or {})

    try:
        try:
            run()
        except FlakyFailure as flaky:
            # The implementation is not deterministic (e.g. an unseeded RNG): report the first real
            # violation Hypothesis saw, marked as not reproducible, instead of a Hypothesis internal error.
            inner = [e for e in flaky.exceptions if isinstance(e, (SpecViolation, ImplError))]
            if not inner:
                raise ImplError(f"not reproducible: {flaky}", kind="raised") from None
            e = inner[0]
            if isinstance(e, SpecViolation):
                e.message += " (not reproducible: the implementation gives different results for the same input)"
            raise e from None
        if fatal:
            e = fatal[0]
            verdict.status, verdict.message = "error", f"{e.kind}: {e.reason}"
            verdict.example = getattr(e, "example", None)
            verdict.info = {"kind": e.kind, "detail": e.detail}
    except SpecViolation as e:
        verdict.status, verdict.message, verdict.stats = "fail", e.message, e.stats
        verdict.example, verdict.variant = e.example, e.variant
        verdict.expected, verdict.actual = e.expected, e.actual
    except ImplError as e:
        verdict.status, verdict.message = "error", f"{e.kind}: {e.reason}"
        verdict.example = getattr(e, "example", None)
        verdict.info = {"kind": e.kind, "detail": e.detail}
    if verdict.status in ("fail", "error") and not fatal and "not reproducible" not in verdict.message:
        _explore(component, prop, impl, check, ctx, seen, dt, profile, seed)
    verdict.seconds = time.perf_counter() - t0
    verdict.examples = len(infos)
    if verdict.status in ("fail", "error") and verdict.message:
        verdict.findings = [{"message": verdict.message, "example": repr(verdict.example)
                             if verdict.example is not None else None, "status": verdict.status}]
        for msg, case, kind in seen.others(verdict.message):
            f = {"message": msg, "example": repr(case) if case is not None else None, "status": kind}
            try:
                f["repro"] = impl.repro(prop, case) if case is not None else ""
            except Exception:  # noqa: BLE001 - a courtesy, as below
                f["repro"] = ""
            verdict.findings.append(f)
    if verdict.status == "pass":
        verdict.variant = _merge_variants(infos, component)
        notes = sorted({i["note"] for i in infos if "note" in i})
        if notes:
            verdict.info["notes"] = notes
        if ctx.counters["fd_checks"]:
            verdict.info["fd_evals_per_check"] = ctx.counters["fd_evals"] / ctx.counters["fd_checks"]
    elif verdict.example is not None:
        try:
            verdict.repro = impl.repro(prop, verdict.example)
        except Exception:  # noqa: BLE001 - a repro snippet is a courtesy, never a reason to lose a verdict
            verdict.repro = ""
    return verdict


def check_case(component, prop: str, impl, case: Case, accept: dict | None = None) -> dict:
    """Run one check on one explicit case (what reproduction snippets call); raises SpecViolation."""
    from .impl import make_impl
    from .registry import get
    comp = get(component) if isinstance(component, str) else component
    if isinstance(impl, str):
        impl = make_impl(comp, impl)
    try:
        return get_check(comp, prop)(comp, impl, case, Context(accept=dict(accept or {}))) or {}
    except SpecViolation as e:
        e.component, e.property, e.example = comp.name, prop, case
        raise
