"""Record for numerical_gradient: central differences over every element of an N-D array.

A case is ``Case(arrays={"x": x}, hp={"f": name, "h": h})``: ``name`` is a smooth test function of the
registry in ``spec_nn.reference.gradient`` (``function(name)`` returns it).  ``forward`` calls the
implementation as ``numerical_gradient(function(name), x)`` (with ``h=h`` when it takes h) and returns
the gradient, shape and dtype of x.  A grader passes the *name* to its sandbox worker, which looks the
function up in ``spec_nn.reference.gradient`` and calls the submission with the callable (a function
object cannot cross the process boundary); the mutants here receive the Case and look it up themselves.

h is the book's 1e-4 at float64.  At float32 the rounding error eps |f| / h would be ~1e-3 |f| at
h = 1e-4, so float32 cases use h = 1e-2 (near eps32^(1/3), where truncation and rounding balance).
The PyTorch counterpart is the same central difference written with torch ops (autograd's exact
gradient would not be a numerical gradient).
"""
from __future__ import annotations

import re

import numpy as np
from hypothesis import strategies as st

from ..checks import call_forward, where_of
from ..errors import ImplError, SpecViolation
from ..record import Case, Component, Property
from ..reference import gradient as ref
from ..strategies import shapes, values
from ..tolerance import assert_close, least_precise, index_str, tolerance

H = {"float64": 1e-4, "float32": 1e-2}


def gradient_cases(*, decimals=2):
    """Strategy factory: x of 1..3 axes (<= 4 per axis, scale 1), f from the registry, h by dtype."""
    def cases(*, dtype=np.float64, smooth=False):
        dt = np.dtype(dtype).name
        return st.builds(lambda x, f: Case({"x": x}, hp={"f": f, "h": H[dt]}),
                         values(shapes(min_dims=1, max_dims=3, max_side=4), dtype=dtype, decimals=decimals),
                         st.sampled_from(sorted(ref.FUNCTIONS)))
    return cases


def integer_cases(*, dtype=np.float64, smooth=False):
    """x of small integers (int64, -3..3), f from the registry, h by dtype: course code computing x + h in place
    truncates it back to the integer."""
    dt = np.dtype(dtype).name
    return st.builds(lambda x, f: Case({"x": np.round(x).astype(np.int64)}, hp={"f": f, "h": H[dt]}),
                     values(shapes(min_dims=1, max_dims=2, max_side=3), scale=2.0, specials=(0.0,), decimals=0),
                     st.sampled_from(sorted(ref.FUNCTIONS)))


# What counts as a clear refusal of an integer x: an exception of these types whose message names the dtype.
CLEAR_ERROR = (r"^(TypeError|ValueError|AssertionError)\b", r"int|float|dtype|integer")


def integer_input(component, impl, case, ctx):
    """An integer x gets a float gradient, the central difference at float(x), or a clear error (TypeError /
    ValueError / AssertionError naming the dtype).  Writing x + h into an integer x truncates it: the book's and
    CS231n's loops then return zeros or garbage, which is a failure."""
    x, h, name = case["x"], case["h"], case["f"]
    where = where_of(component, "forward", case) + f" with f={name} and an integer x"
    try:
        got = call_forward(impl, case.copy())["out"]
    except (ImplError, TypeError, ValueError, AssertionError) as e:
        text = getattr(e, "reason", None) or f"{type(e).__name__}: {e}"
        if (not isinstance(e, ImplError) or e.kind == "raised") and re.search(CLEAR_ERROR[0], text) \
                and re.search(CLEAR_ERROR[1], text, re.I):
            return {"note": f"refuses an integer x: {text[:120]}"}
        raise
    if got.dtype.kind != "f":
        raise SpecViolation(f"out.dtype={got.dtype}, but should be a float gradient (or a clear error) [{where}]")
    x64 = x.astype(np.float64)
    want = ref.numerical_gradient(ref.function(name), x64, h)
    rtol, atol = tolerance(component, least_precise(got.dtype), "forward")
    eps = float(np.finfo(least_precise(got.dtype)).eps)
    atol += 16 * eps * (ref.FUNCTIONS[name].mag(x64) + 1) / h
    assert_close(got, want, rtol=rtol, atol=atol, where=where)
    return {}


def within_h2_of_analytic(component, impl, case, ctx):
    """|grad - analytic| <= 2 m3 h^2 / 6 + 16 eps (mag + 1) / h + 4 eps max|x| / h |analytic| elementwise:
    the central difference's truncation (m3 bounds |f'''|) plus rounding in f and in x +- h.
    A forward difference, error h/2 |f''|, is far outside this at float64."""
    x, h, fn = case["x"], case["h"], ref.FUNCTIONS[case["f"]]
    got = call_forward(impl, case.copy())["out"]
    where = where_of(component, "forward", case) + f" with f={case['f']}"
    if got.shape != x.shape:
        raise SpecViolation(f"out.shape={got.shape}, but should be {x.shape} [{where}]")
    eps = float(np.finfo(least_precise(case.dtype, got.dtype)).eps)
    x64 = x.astype(np.float64)
    exact = fn.grad(x64)
    atol = 2 * fn.m3 * h * h / 6 + 16 * eps * (fn.mag(x64) + 1) / h
    rtol = 4 * eps * float(np.abs(x64).max(initial=0)) / h
    err = np.abs(got.astype(np.float64) - exact)
    bad = ~(err <= atol + rtol * np.abs(exact))
    if bad.any():
        i = tuple(int(j) for j in np.argwhere(bad)[0])
        raise SpecViolation(f"out{index_str(i)}={float(got[i])!r}, but should be {float(exact[i])!r} within {atol + rtol * abs(exact[i]):.3g} "
                            f"(O(h^2) truncation + rounding at h={h:g}) [{where}]",
                            stats={"mismatched": f"{int(bad.sum())} / {bad.size}", "greatest_abs_diff": f"{err.max():.3g}",
                                   "allowed": f"atol={atol:.3g} + rtol={rtol:.3g}*|analytic|"},
                            expected=exact, actual=got)
    return {}


def matches_reference_within_rounding(component, impl, case, ctx):
    """forward_matches_reference with the rounding of f added to the dtype's tolerance: the submission's
    central difference and the float64 reference share the truncation error, but at float32 the
    submission's differs by up to ~16 eps (mag + 1) / h + 4 eps max|x| / h |grad| (as in
    within_h2_of_analytic), which grows with |f| at the book's hard-coded h = 1e-4."""
    got = call_forward(impl, case.copy())
    dtype = least_precise(case.dtype, got["out"].dtype)
    x64 = case["x"].astype(np.float64)
    h, fn = case["h"], ref.FUNCTIONS[case["f"]]
    want = ref.numerical_gradient(ref.function(case["f"]), x64, h)
    rtol, atol = tolerance(component, dtype, "forward")
    eps = float(np.finfo(dtype).eps)
    atol += 16 * eps * (fn.mag(x64) + 1) / h
    rtol += 4 * eps * float(np.abs(x64).max(initial=0)) / h
    assert_close(got["out"], want, rtol=rtol, atol=atol, where=where_of(component, "forward", case))
    return {}


def restores_input(component, impl, case, ctx):
    """x holds exactly its original values after the call (the book perturbs x in place and must put
    tmp_val back, not add h back: x + h - 2h + h != x in floating point) and the result is a new array."""
    work, x0 = case.copy(), case["x"].copy()
    got = call_forward(impl, work)["out"]
    x = work["x"]
    where = where_of(component, "forward", case) + f" with f={case['f']}"
    if np.shares_memory(got, x):
        raise SpecViolation(f"out is x itself, but should be a new array [{where}]")
    if x.shape != x0.shape or not np.array_equal(x, x0):
        i = tuple(int(j) for j in np.argwhere(x != x0)[0]) if x.shape == x0.shape else ()
        raise SpecViolation(f"x{index_str(i)}={float(x[i])!r} after the call, but should be restored to {float(x0[i])!r} [{where}]")
    return {}


def torch_numerical_gradient(t, c, v):
    """The same central difference with torch ops (f from the registry's torch version)."""
    import torch
    f, h = ref.FUNCTIONS[c["f"]].torch, c["h"]
    x = t["x"].clone() if t["x"].is_floating_point() else t["x"].to(torch.float64)
    grad = torch.zeros_like(x)
    flat, gflat = x.view(-1), grad.view(-1)
    for i in range(flat.numel()):
        tmp = flat[i].clone()
        flat[i] = tmp + h
        fp = f(x)
        flat[i] = tmp - h
        fm = f(x)
        flat[i] = tmp
        gflat[i] = (fp - fm) / (2 * h)
    return grad


COMPONENTS = [
    Component(
        name="numerical_gradient", kind="gradient",
        doc="grad[i] = (f(x + h e_i) - f(x - h e_i)) / 2h over every element of an N-D x (h = 1e-4, the book's)",
        forward=lambda c, v: ref.numerical_gradient(ref.function(c["f"]), c["x"], c["h"]),
        torch=torch_numerical_gradient, cases=gradient_cases(),
        generic=("does_not_mutate_inputs", "preserves_dtype", "finite_outputs"),
        tol={("float32", "forward"): (2e-2, 1e-2, "central differences in float32 differ by rounding, "
                                      "~eps32 |f| / h: 1e-5 |f| at the spec's h = 1e-2, but ~1e-3 |f| at "
                                      "the book's hard-coded h = 1e-4 (graded book code, measured 0.9% off)")},
        properties=(Property("forward_matches_reference", matches_reference_within_rounding,
                             "equals the float64 central difference at the case's h, within the dtype's tolerance "
                             "plus the rounding of f in the submission's dtype (~eps |f| / h)"),
                    Property("within_h2_of_analytic", within_h2_of_analytic,
                             "the error against the analytic gradient is O(h^2) truncation plus rounding"),
                    Property("restores_input", restores_input,
                             "x is bitwise unchanged after the call (also for x where x + h - h != x)",
                             cases=gradient_cases(decimals=None)),
                    Property("integer_input", integer_input,
                             "an integer x gets a float gradient at float(x) (x + h must not truncate) or a clear "
                             "error naming the dtype", cases=integer_cases))),
]
