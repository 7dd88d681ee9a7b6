"""Records for the activations: identity, step, sigmoid, tanh, relu, leaky_relu, elu, prelu, softmax, log_softmax."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from ..checks import call_backward, call_forward, preserves_dtype
from ..errors import SpecViolation
from ..record import Case, Component, Convention, Property
from ..reference import activations as ref
from ..strategies import EXTREMES, shapes, values
from ..tolerance import assert_close, least_precise, tolerance, index_str

SLOPE, ALPHA = 0.01, 1.0


def x_cases(*, specials=(0.0,), kinks=(0.0,), min_dims=1, max_dims=3, scale=2.0):
    """Strategy factory: Case(x) with kinks and +-1000 among the specials; smooth keeps |x - kink| >= gap."""
    def cases(*, dtype=np.float64, smooth=False):
        return values(shapes(min_dims=min_dims, max_dims=max_dims, max_side=4), dtype=dtype, scale=scale,
                      specials=tuple(specials) + EXTREMES, smooth=smooth, kinks=kinks).map(lambda x: Case({"x": x}))
    return cases


def zero_cases(*, dtype=np.float64, smooth=False):
    """x with at least one exact zero (the kink)."""
    @st.composite
    def build(draw):
        x = draw(values(shapes(min_dims=1, max_dims=2, max_side=4), dtype=dtype, specials=(0.0,)))
        x.reshape(-1)[draw(st.integers(0, x.size - 1))] = 0
        return Case({"x": x})
    return build()


def elementwise(name, fwd, bwd, torch_fn, doc, *, kinks=(0.0,), conventions=(), properties=(), **kw):
    """A record for y = f(x) elementwise: forward fwd(x, v), backward bwd(dout, x, v)."""
    return Component(
        name=name, kind="activation", doc=doc,
        forward=lambda c, v: fwd(c["x"], v),
        backward=lambda c, dout, v: {"x": bwd(dout, c["x"], v)},
        torch=lambda t, c, v: torch_fn(t["x"]),
        cases=x_cases(specials=kinks, kinks=kinks, **kw),
        conventions=conventions, properties=properties)


@st.composite
def _prelu_case(draw, *, dtype, smooth, zero):
    """x (N, C[, H[, W]]) and a slope a of shape (C,) (per channel, axis 1) or (1,) (shared)."""
    n, c = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    rest = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    x = draw(values((n, c) + rest, dtype=dtype, scale=2.0, specials=() if zero else (0.0,) + EXTREMES,
                    smooth=smooth, kinks=(0.0,)))
    if zero:  # at least one exact zero, for grad_at_zero
        x.reshape(-1)[draw(st.integers(0, x.size - 1))] = 0
    k = 1 if draw(st.integers(0, 3)) == 3 else c  # per channel mostly: it is where the axis can go wrong
    # slopes in the usual range (PReLU starts at 0.25) and beyond: 0, negative, above 1
    a = draw(values((k,), dtype=dtype, scale=0.5, specials=(0.0,), smooth=smooth, kinks=()))
    return Case({"x": x, "a": a})


def prelu_cases(*, dtype=np.float64, smooth=False):
    return _prelu_case(dtype=dtype, smooth=smooth, zero=False)


def prelu_zero_cases(*, dtype=np.float64, smooth=False):
    return _prelu_case(dtype=dtype, smooth=False, zero=True)


# -- specific properties --------------------------------------------------------------------------

def grad_at_zero(allowed: dict):
    """Property factory: f'(0) follows the accepted variant of the grad_at_zero convention (its own property: the
    other checks accept any subgradient there); ``allowed`` maps each variant to its derivative at 0."""
    def check(component, impl, case, ctx):
        return _grad_at_zero(component, impl, case, ctx, allowed)
    check.__doc__ = f"f'(0) is the accepted convention: dx at x == 0 with dout = 1 ({allowed})."
    return check


def _grad_at_zero(component, impl, case, ctx, allowed):
    x = case["x"]
    dx = call_backward(impl, case.copy(), np.ones_like(x))["x"]
    conv = component.convention("grad_at_zero")
    accepted = ctx.accept.get("grad_at_zero", conv.accepted)
    zeros = np.argwhere(x == 0)
    if np.shape(dx) != x.shape:
        raise SpecViolation(f"dx.shape={np.shape(dx)}, but should be {x.shape} [{component.name}_backward at {case!r}]")
    for name in accepted:
        if np.allclose(dx[x == 0], allowed[name], rtol=1e-6, atol=0):
            return {"variant": {"grad_at_zero": name}}
    i = tuple(zeros[0])
    bad = [tuple(z) for z in zeros if dx[tuple(z)] != allowed[accepted[0]]]
    i = bad[0] if bad else i
    got = float(dx[i])
    named = [n for n, val in allowed.items() if np.isclose(got, val, rtol=1e-6, atol=0) and n not in accepted]
    extra = f" (variant grad_at_zero={named[0]}, which is not accepted)" if named else ""
    raise SpecViolation(f"dx{index_str(i)}={got}, but should be {allowed[accepted[0]]} [{component.name}_backward "
                        f"at x=0]{extra}",
                        stats={"zeros": len(zeros)})


def prelu_grad_at_zero(component, impl, case, ctx):
    """prelu'(0) is the accepted convention: with dout = 1, dx at x == 0 is the element's slope a (left) or 1."""
    x = case["x"]
    dx = call_backward(impl, case.copy(), np.ones_like(x)).get("x")
    if np.shape(dx) != x.shape:
        raise SpecViolation(f"dx.shape={np.shape(dx)}, but should be {x.shape} [prelu_backward at {case!r}]")
    slope = np.broadcast_to(ref._channel_slope(case["a"], x), x.shape).astype(np.float64)
    allowed = {"left": slope, "right": np.ones(x.shape)}
    zero = x == 0
    accepted = ctx.accept.get("grad_at_zero", component.convention("grad_at_zero").accepted)
    for name in accepted:
        if np.allclose(dx[zero], allowed[name][zero], rtol=1e-6, atol=1e-7):
            return {"variant": {"grad_at_zero": name}}
    want = allowed[accepted[0]]
    i = tuple(next(z for z in np.argwhere(zero) if not np.isclose(dx[tuple(z)], want[tuple(z)], rtol=1e-6, atol=1e-7)))
    named = [n for n, val in allowed.items() if n not in accepted and np.isclose(dx[i], val[i], rtol=1e-6, atol=1e-7)]
    extra = f" (variant grad_at_zero={named[0]}, which is not accepted)" if named else ""
    raise SpecViolation(f"dx{index_str(i)}={float(dx[i])}, but should be {float(want[i])} [prelu_backward at x=0, "
                        f"a={np.asarray(case['a']).tolist()}]{extra}", stats={"zeros": int(zero.sum())})


def sigmoid_derivative_at_most_quarter(component, impl, case, ctx):
    """sigmoid'(x) = y(1 - y) <= 0.25 for every x (seed 003: why deep sigmoid nets vanish)."""
    x = case["x"]
    d = call_backward(impl, case.copy(), np.ones_like(x))["x"].astype(np.float64)
    rtol, atol = tolerance(component, least_precise(x.dtype), "backward")
    if np.any(d > 0.25 + atol) or np.any(d < -atol):
        i = tuple(np.argwhere((d > 0.25 + atol) | (d < -atol))[0])
        raise SpecViolation(f"dx{index_str(i)}={d[i]}, but should lie in [0, 0.25] [sigmoid_backward at x={x[i]}]")
    return {}


def tanh_is_rescaled_sigmoid(component, impl, case, ctx):
    """tanh(x) = 2 sigmoid(2x) - 1 (seed 003)."""
    x = case["x"]
    y = call_forward(impl, case.copy())["out"]
    expected = 2 * ref.sigmoid(2 * x.astype(np.float64)) - 1
    rtol, atol = tolerance(component, least_precise(x.dtype, y.dtype), "forward")
    assert_close(y, expected, rtol=rtol, atol=atol, name="tanh(x)", where="should equal 2*sigmoid(2x) - 1")
    return {}


def softmax_rows_sum_to_one(component, impl, case, ctx):
    """Each row of softmax(x) sums to 1 and lies in [0, 1], even for logits of +-1000."""
    y = call_forward(impl, case.copy())["out"].astype(np.float64)
    rtol, atol = tolerance(component, least_precise(case.dtype), "forward")
    if not np.isfinite(y).all():
        i = tuple(np.argwhere(~np.isfinite(y))[0])
        raise SpecViolation(f"out{index_str(i)}={y[i]}, but should be finite [softmax_forward at {case!r}]")
    if (y < -atol).any() or (y > 1 + atol).any():
        i = tuple(np.argwhere((y < -atol) | (y > 1 + atol))[0])
        raise SpecViolation(f"out{index_str(i)}={y[i]}, but should lie in [0, 1] [softmax_forward at {case!r}]")
    assert_close(y.sum(axis=-1), np.ones(y.shape[:-1]), rtol=0, atol=max(atol, 10 * rtol) * y.shape[-1] ** 0.5,
                 name="out.sum(axis=-1)", where="softmax rows must sum to 1")
    return {}


def softmax_shift_invariant(component, impl, case, ctx):
    """softmax(x + c) = softmax(x) for a constant c per row."""
    x = case["x"]
    c = np.round(np.random.default_rng(11).uniform(-50, 50, size=x.shape[:-1] + (1,)))
    y1 = call_forward(impl, case.copy())["out"]
    y2 = call_forward(impl, Case({"x": (x + c).astype(x.dtype)}))["out"]
    rtol, atol = tolerance(component, least_precise(x.dtype, np.asarray(y1).dtype), "forward")
    # NaN in both is finite_outputs' finding; here only a difference the shift makes counts
    assert_close(y2, y1, rtol=rtol * 10, atol=atol * 10, name="softmax(x + c)", equal_nan=True,
                 where=f"should equal softmax(x) for c={c.reshape(-1)[:4].tolist()} per row")
    return {}


def step_preserves_dtype(component, impl, case, ctx):
    """preserves_dtype, with the named variant output_dtype=int: the book's step_function returns
    ``np.array(x > 0, dtype=int)``, an integer array of 0 and 1 (accepted where the dialect or rubric says)."""
    out = call_forward(impl, case.copy())["out"]
    if out.dtype.kind in "iu":
        conv = component.convention("output_dtype")
        if "int" in ctx.accept.get("output_dtype", conv.accepted):
            return {"variant": {"output_dtype": "int"}}
        raise SpecViolation(f"out.dtype={out.dtype}, but should be {case.dtype} [step_forward at {case!r}] "
                            "(matches variant output_dtype=int, which is not accepted)",
                            variant={"output_dtype": "int"})
    return preserves_dtype(component, impl, case, ctx)


# -- records --------------------------------------------------------------------------------------

def _torch():
    import torch
    import torch.nn.functional as F
    return torch, F


GRAD_AT_ZERO = Convention("grad_at_zero", "zero", {
    "zero": "ReLU'(0) = 0: mask x > 0 (PyTorch, the book's x <= 0 mask, CS231n)",
    "one": "ReLU'(0) = 1: mask x >= 0 (the book's relu_grad)",
    "half": "ReLU'(0) = 0.5: midpoint of the subdifferential"}, subgradients=("zero", "one"))
AT_ZERO = {"zero": 0.0, "one": 1.0, "half": 0.5}


COMPONENTS = [
    elementwise("identity", lambda x, v: ref.identity(x), lambda d, x, v: ref.identity_backward(d, x),
                lambda x: x * 1, "y = x", kinks=()),
    Component(
        name="step", kind="activation", doc="y = 1[x > 0]; derivative 0 (not useful for gradient descent, seed 000)",
        forward=lambda c, v: ref.step(c["x"], AT_ZERO[v["value_at_zero"]]),
        backward=lambda c, d, v: {"x": ref.step_backward(d, c["x"])},
        torch=lambda t, c, v: (t["x"] > 0).to(t["x"].dtype) + 0 * t["x"] if v["value_at_zero"] == "zero"
        else (t["x"] >= 0).to(t["x"].dtype) + 0 * t["x"],
        cases=x_cases(), conventions=(Convention("value_at_zero", "zero", {
            "zero": "step(0) = 0: x > 0 (the book's step_function)",
            "one": "step(0) = 1: x >= 0 (Heaviside with H(0) = 1)"}, accepted=("zero", "one")),
            Convention("output_dtype", "float", {
                "float": "the input's float dtype",
                "int": "an integer array of 0 and 1 (the book's np.array(x > 0, dtype=int)): accepted in the book "
                       "dialect"})),
        generic=("forward_matches_reference", "backward_matches_reference", "backward_matches_finite_differences",
                 "does_not_mutate_inputs", "batch_rows_independent", "finite_outputs"),
        properties=(Property("preserves_dtype", step_preserves_dtype,
                             "float32 in gives float32 out, float64 in gives float64 out (output_dtype=int is a "
                             "named variant)"),)),
    elementwise("sigmoid", lambda x, v: ref.sigmoid(x), lambda d, x, v: ref.sigmoid_backward(d, x),
                lambda x: _torch()[0].sigmoid(x), "y = 1 / (1 + exp(-x)); y' = y(1 - y) <= 0.25", kinks=(),
                properties=(Property("derivative_at_most_quarter", sigmoid_derivative_at_most_quarter,
                                     "sigmoid'(x) lies in [0, 0.25] (seed 003)"),)),
    elementwise("tanh", lambda x, v: ref.tanh(x), lambda d, x, v: ref.tanh_backward(d, x),
                lambda x: _torch()[0].tanh(x), "y = tanh(x) = 2 sigmoid(2x) - 1", kinks=(),
                properties=(Property("equals_rescaled_sigmoid", tanh_is_rescaled_sigmoid,
                                     "tanh(x) = 2 sigmoid(2x) - 1 (seed 003)"),)),
    elementwise("relu", lambda x, v: ref.relu(x),
                lambda d, x, v: ref.relu_backward(d, x, AT_ZERO[v["grad_at_zero"]]),
                lambda x: _torch()[0].relu(x), "y = max(0, x); dx = dout * 1[x > 0] (ReLU'(0) = 0)",
                conventions=(GRAD_AT_ZERO,),
                properties=(Property("grad_at_zero", grad_at_zero(AT_ZERO),
                                     "ReLU'(0) follows the accepted convention (0 by default)", cases=zero_cases),)),
    elementwise("leaky_relu", lambda x, v: ref.leaky_relu(x, SLOPE),
                lambda d, x, v: ref.leaky_relu_backward(d, x, SLOPE, v["grad_at_zero"]),
                lambda x: _torch()[1].leaky_relu(x, SLOPE),
                f"y = x if x > 0 else {SLOPE} x; derivative at 0 is the left one ({SLOPE}), as in PyTorch",
                conventions=(Convention("grad_at_zero", "left", {
                    "left": f"derivative at 0 = slope ({SLOPE}), PyTorch", "right": "derivative at 0 = 1"},
                    subgradients=("left", "right")),),
                properties=(Property("grad_at_zero", grad_at_zero({"left": SLOPE, "right": 1.0}),
                                     f"leaky_relu'(0) follows the accepted convention ({SLOPE} by default)",
                                     cases=zero_cases),)),
    elementwise("elu", lambda x, v: ref.elu(x, ALPHA),
                lambda d, x, v: ref.elu_backward(d, x, ALPHA, v["grad_at_zero"]),
                lambda x: _torch()[1].elu(x, ALPHA),
                f"y = x if x > 0 else alpha (exp(x) - 1), alpha = {ALPHA}; derivative at 0 is the left one (alpha)",
                conventions=(Convention("grad_at_zero", "left", {
                    "left": "derivative at 0 = alpha exp(0) = alpha, PyTorch", "right": "derivative at 0 = 1"},
                    accepted=("left", "right")),)),
    Component(
        name="prelu", kind="activation",
        doc="y = max(0, x) + a min(0, x) with a learnable slope a: (C,) per channel of axis 1 or (1,) shared "
            "(torch.nn.functional.prelu); x (N, C, ...); dx = dout (1 if x > 0 else a), left derivative a at 0; "
            "da = sum of dout min(0, x) over every axis but the channel one",
        forward=lambda c, v: ref.prelu(c["x"], c["a"]),
        backward=lambda c, d, v: dict(zip(("x", "a"), ref.prelu_backward(d, c["x"], c["a"], v["grad_at_zero"]))),
        torch=lambda t, c, v: _torch()[1].prelu(t["x"], t["a"]),
        cases=prelu_cases,
        conventions=(Convention("grad_at_zero", "left", {
            "left": "derivative at 0 = the slope a, PyTorch", "right": "derivative at 0 = 1"},
            subgradients=("left", "right")),),
        properties=(Property("grad_at_zero", prelu_grad_at_zero,
                             "prelu'(0) follows the accepted convention (the slope a by default)",
                             cases=prelu_zero_cases),)),
    Component(
        name="softmax", kind="activation", doc="y = exp(x - max x) / sum exp(x - max x) over the last axis",
        forward=lambda c, v: ref.softmax(c["x"]),
        backward=lambda c, d, v: {"x": ref.softmax_backward(d, c["x"])},
        torch=lambda t, c, v: _torch()[0].softmax(t["x"], dim=-1),
        cases=x_cases(specials=(0.0, 1000.0, -1000.0, 999.0), kinks=(), min_dims=2, max_dims=3),
        properties=(Property("rows_sum_to_one", softmax_rows_sum_to_one,
                             "rows sum to 1 and lie in [0, 1], also for logits of +-1000"),
                    Property("shift_invariant", softmax_shift_invariant,
                             "softmax(x + c) = softmax(x) for a constant per row"))),
    Component(
        name="log_softmax", kind="activation", doc="y = x - max x - log sum exp(x - max x) over the last axis",
        forward=lambda c, v: ref.log_softmax(c["x"]),
        backward=lambda c, d, v: {"x": ref.log_softmax_backward(d, c["x"])},
        torch=lambda t, c, v: _torch()[0].log_softmax(t["x"], dim=-1),
        cases=x_cases(specials=(0.0, 1000.0, -1000.0), kinks=(), min_dims=2, max_dims=3)),
]
