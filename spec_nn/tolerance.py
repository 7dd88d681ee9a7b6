"""Tolerances (a per-dtype table plus per-component overrides with a reason) and the comparison
that every check uses.

``assert_close`` follows torch.testing.assert_close: |actual - expected| <= atol + rtol * |expected|,
NaN never equal unless both are NaN and ``equal_nan``; on failure it raises SpecViolation with a
one-line message in the grammar ``dx[0, 3]=1.0, but should be 0.0 [relu_backward at x=0]`` and
mismatch statistics (count, percent, worst index, greatest difference, allowed tolerance).
"""
from __future__ import annotations

import numpy as np

from .errors import SpecViolation

# (rtol, atol) by dtype and by what is compared.  "backward" is looser than "forward" because
# gradients chain more operations; "fd" compares against finite differences, whose truncation and
# rounding error is O(h^2) + O(eps/h).
TABLE = {
    "float64": {"forward": (1e-7, 1e-9), "backward": (1e-6, 1e-8), "fd": (1e-4, 1e-6)},
    "float32": {"forward": (1e-4, 1e-5), "backward": (1e-3, 1e-4), "fd": (3e-2, 3e-3)},
    "float16": {"forward": (1e-2, 1e-3), "backward": (3e-2, 3e-3), "fd": (2e-1, 5e-2)},
}


def dtype_name(dtype) -> str:
    return np.dtype(dtype).name


def least_precise(*dtypes) -> str:
    """The least precise float dtype among those given: a float32 result is judged as float32."""
    names = [np.dtype(d).name for d in dtypes if d is not None and np.dtype(d).kind == "f"]
    for n in ("float16", "float32", "float64"):
        if n in names:
            return n
    return "float64"


def tolerance(component, dtype, what: str) -> tuple[float, float]:
    """(rtol, atol) for comparing `what` ("forward" | "backward" | "fd") at `dtype` for a component.

    Overrides in ``component.tol`` are keyed ``(dtype_name, what)`` with value ``(rtol, atol, why)``.
    """
    name = dtype_name(dtype)
    rtol, atol = TABLE.get(name, TABLE["float64"])[what]
    if component is not None:
        over = component.tol.get((name, what)) or component.tol.get(("*", what))
        if over:
            rtol, atol = over[0], over[1]
    return rtol, atol


def fd_step(dtype) -> float:
    """Finite-difference step: cube root of machine epsilon balances truncation O(h^2) against
    rounding O(eps/h) for a central difference."""
    return float(np.finfo(np.dtype(dtype)).eps ** (1 / 3))


def _fmt(v) -> str:
    if isinstance(v, (float, np.floating)) and v == 0:
        return "0"  # never "-0": "out=inf, but should be -0" reads as a typo
    if isinstance(v, (float, np.floating)):
        return np.format_float_positional(float(v), precision=8, trim="-") if abs(float(v)) < 1e6 and (v == 0 or abs(float(v)) > 1e-6) else f"{float(v):.8g}"
    return repr(v)


def assert_close(actual, expected, *, rtol: float, atol: float, name: str = "out", where: str = "",
                 equal_nan: bool = False, component: str | None = None, property: str | None = None) -> None:
    """Raise SpecViolation unless ``actual`` matches ``expected`` in shape and value."""
    __tracebackhide__ = True
    suffix = f" [{where}]" if where else ""
    try:
        a = np.asarray(actual)
    except Exception:  # noqa: BLE001 - an unconvertible object is a wrong type, report it as such
        raise SpecViolation(f"{name} is {type(actual).__name__}, but should be an array{suffix}",
                            component=component, property=property)
    e = np.asarray(expected)
    if a.dtype == object or a.dtype.kind not in "biuf":
        raise SpecViolation(f"{name}.dtype={a.dtype}, but should be a numeric array{suffix}",
                            component=component, property=property)
    if a.shape != e.shape:
        if a.size == e.size == 1:
            a = a.reshape(e.shape)
        else:
            raise SpecViolation(f"{name}.shape={a.shape}, but should be {e.shape}{suffix}",
                                component=component, property=property,
                                expected=e, actual=a)
    a64, e64 = a.astype(np.float64), e.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.abs(a64 - e64)
        allowed = atol + rtol * np.abs(e64)
        ok = diff <= allowed
        both_nan = np.isnan(a64) & np.isnan(e64)
        if equal_nan:
            ok |= both_nan
        same_inf = np.isinf(a64) & (a64 == e64)
        ok |= same_inf
    if ok.all():
        return
    bad = ~ok
    n_bad, n = int(bad.sum()), bad.size
    with np.errstate(invalid="ignore"):
        # the worst element, but never one that is NaN on both sides while another is not ("nan, but should
        # be nan" contradicts itself)
        score = np.where(bad, np.nan_to_num(diff, nan=np.inf, posinf=np.inf), -1.0)
        if (bad & ~both_nan).any():
            score = np.where(both_nan, -0.5, score)
    worst = np.unravel_index(int(np.argmax(score)), a.shape) if a.ndim else ()
    idx = "[" + ", ".join(str(int(i)) for i in worst) + "]" if a.ndim else ""
    av, ev = a64[worst] if a.ndim else float(a64), e64[worst] if e.ndim else float(e64)
    if np.isnan(av) and np.isnan(ev):
        msg = f"{name}{idx}=nan, and so is the value it is compared with, but both should be finite{suffix}"
    else:
        msg = f"{name}{idx}={_fmt(av)}, but should be {_fmt(ev)}{suffix}"
    stats = {
        "mismatched": f"{n_bad} / {n} ({100.0 * n_bad / n:.1f}%)",
        "worst_index": tuple(int(i) for i in worst),
        "greatest_abs_diff": _fmt(float(np.nanmax(np.where(bad, diff, np.nan))) if np.isfinite(diff[bad]).any() else float("nan")),
        "allowed": f"atol={atol:g} + rtol={rtol:g}*|expected|",
    }
    raise SpecViolation(msg, component=component, property=property, stats=stats, expected=e, actual=a)


def index_str(index) -> str:
    """``(np.int64(0), np.int64(3))`` -> ``"[0, 3]"`` for messages."""
    return "[" + ", ".join(str(int(i)) for i in index) + "]"
