"""Records for the layers: affine, conv2d, max_pool2d, residual_block.

Strategies own validity: every drawn geometry is valid (no ``assume``), so Hypothesis never discards.
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from ..checks import call_backward, call_forward, make_dout, match_variants
from ..errors import SpecViolation
from ..record import Case, Component, Convention, Property
from ..reference import layers as ref
from ..strategies import EXTREMES, values
from ..tolerance import assert_close, least_precise, tolerance


def _torch():
    import torch
    import torch.nn.functional as F
    return torch, F


# -- strategies -------------------------------------------------------------------------------------

def affine_cases(*, dtype=np.float64, smooth=False, min_extra=0, two_d=False):
    """Case(x (N, d1[, d2[, d3]]), w (D, M), b (M,)) with D = d1 d2 d3: N-D inputs are flattened; some
    non-smooth cases have an all-zero sample.  two_d: x is (N, D) only (book 2's Affine, early ports of book 1:
    2-D by design; flattens_nd_input keeps its own N-D cases)."""
    @st.composite
    def build(draw):
        n = draw(st.integers(1, 4))
        rest = tuple(draw(st.lists(st.integers(1, 3), min_size=1 + min_extra, max_size=1 if two_d else 3)))
        d, m = int(np.prod(rest)), draw(st.integers(1, 4))
        x = draw(values((n,) + rest, dtype=dtype, scale=1.5, specials=(0.0,), smooth=smooth, kinks=()))
        if not smooth and draw(st.integers(0, 3)) == 0:  # an all-zero sample (e.g. a dead previous layer)
            x[draw(st.integers(0, n - 1))] = 0
        w = draw(values((d, m), dtype=dtype, specials=(0.0,), smooth=smooth, kinks=()))
        b = draw(values((m,), dtype=dtype, specials=(0.0,), smooth=smooth, kinks=()))
        return Case({"x": x, "w": w, "b": b})
    return build()


def nd_affine_cases(*, dtype=np.float64, smooth=False):
    return affine_cases(dtype=dtype, smooth=smooth, min_extra=1)


@st.composite
def _geometry(draw, max_k=3, max_side=6, pool=False, divisible=False, pad=None, min_pad=0):
    """(kh, kw, stride, pad, H, W) with H + 2 pad >= kh (at least one output); pooling keeps
    pad <= min(kh, kw) // 2 (PyTorch's limit, which also keeps a real element in every window).

    divisible: (H + 2 pad - kh) % stride == 0 and likewise for W (CS231n's conv and pool docstrings "assume"
    it; the floor formula stays the specification elsewhere).  pad: that pad only (CS231n's max pool has none);
    min_pad: at least that pad (pooling: kernels of at least 2 * min_pad then)."""
    kh, kw = draw(st.integers(max(1, 2 * min_pad if pool else 1), max_k)), draw(st.integers(max(1, 2 * min_pad if pool else 1), max_k))
    stride = draw(st.integers(1, 3))
    pad = draw(st.integers(min_pad, min(kh, kw) // 2 if pool else 2)) if pad is None else pad

    def side(k):
        if not divisible:
            return draw(st.integers(max(1, k - 2 * pad), max_side))
        base = k - 2 * pad  # side = base + stride * m, at least 1, at most max_side
        lo = 0 if base >= 1 else -(-(1 - base) // stride)
        return base + stride * draw(st.integers(lo, max(lo, (max_side - base) // stride)))
    h, w = side(kh), side(kw)
    return kh, kw, stride, pad, h, w


def conv_cases(*, dtype=np.float64, smooth=False, divisible=False):
    """Case(x (N, C, H, W), w (F, C, HH, WW), b (F,), hp stride, pad): batch 1..3, channels 1..3, spatial
    1..6, kernels 1..3 (non-square too), stride 1..3 (also != kernel, also not dividing unless divisible), pad 0..2."""
    @st.composite
    def build(draw):
        kh, kw, stride, pad, h, w = draw(_geometry(divisible=divisible))
        n, c, f = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
        x = draw(values((n, c, h, w), dtype=dtype, specials=(0.0,), smooth=smooth, kinks=()))
        wt = draw(values((f, c, kh, kw), dtype=dtype, scale=0.7, specials=(0.0,), smooth=smooth, kinks=()))
        b = draw(values((f,), dtype=dtype, specials=(0.0,), smooth=smooth, kinks=()))
        return Case({"x": x, "w": wt, "b": b}, {}, {"stride": stride, "pad": pad})
    return build()


def pool_cases(*, dtype=np.float64, smooth=False, ties_only=False, divisible=False, pad=None, min_pad=0):
    """Case(x (N, C, H, W), hp pool_h, pool_w, stride, pad).

    Non-smooth: usually small integers, so exact ties inside windows are common (+-1000 among specials).
    smooth: every element distinct (a permutation of an even grid over [-1, 1]) and at most 50 elements,
    so the window maxima keep their order inside a float32 finite-difference stencil.  divisible, pad: see
    _geometry (a dialect's restrictions)."""
    @st.composite
    def build(draw):
        kh, kw, stride, pad_, h, w = draw(_geometry(max_side=5 if smooth else 6, pool=True, divisible=divisible,
                                                    pad=pad, min_pad=min_pad))
        if smooth:
            n, c = draw(st.sampled_from([(1, 1), (1, 2), (2, 1)]))
            noise = draw(values((n, c, h, w), dtype=np.float64, specials=(), smooth=True, kinks=(), decimals=None))
            ranks = np.argsort(np.argsort(noise.reshape(-1), kind="stable"), kind="stable")
            x = (-1 + 2 * ranks / max(1, ranks.size - 1)).reshape(noise.shape)
        else:
            n, c = draw(st.integers(1, 3)), draw(st.integers(1, 3))
            tied = ties_only or draw(st.integers(0, 2)) > 0
            if tied:
                x = np.round(draw(values((n, c, h, w), dtype=np.float64, scale=0.8, specials=(), decimals=None)))
            else:
                x = draw(values((n, c, h, w), dtype=np.float64, specials=(0.0,) + EXTREMES))
        return Case({"x": x.astype(dtype)}, {}, {"pool_h": kh, "pool_w": kw, "stride": stride, "pad": pad_})
    return build()


def tie_pool_cases(*, dtype=np.float64, smooth=False, divisible=False, pad=None):
    return pool_cases(dtype=dtype, smooth=False, ties_only=True, divisible=divisible, pad=pad)


def padded_pool_cases(*, dtype=np.float64, smooth=False, divisible=False):
    """pool_cases with pad >= 1 always (kernels >= 2).  It takes no ``pad`` keyword on purpose: a dialect that
    draws pad = 0 for the other properties (the book, whose Pooling ignores pad) still gets its padding checked
    here, so that one padding bug costs this property alone."""
    return pool_cases(dtype=dtype, smooth=smooth, divisible=divisible, min_pad=1)


def pads_with_neg_inf(component, impl, case, ctx):
    """At pad >= 1 the windows are padded with -inf: out = the reference max pool (border windows take the
    max of their real elements, so an all-negative border is not 0), dx = the reference backward (no gradient
    lost to, or taken from, padding); the output size is 1 + (H + 2 pad - pool_h) // stride."""
    from ..checks import backward_matches_reference, forward_matches_reference
    _output_size_formula("pool_h", "pool_w", lambda c: c["x"].shape[1])(component, impl, case, ctx)
    forward_matches_reference(component, impl, case, ctx)
    backward_matches_reference(component, impl, case, ctx)
    return {}


def _clear_of_zero(z: np.ndarray, b: np.ndarray, gap: float) -> np.ndarray:
    """A bias close to ``b`` such that every z[:, j] + bias[j] is at least ``gap`` from 0 (per column,
    0 is put below, above or between the column's values, whichever moves the bias least)."""
    out = np.array(b, dtype=np.float64)
    for j in range(z.shape[1]):
        v = np.sort(z[:, j])
        if np.all(np.abs(v + out[j]) >= gap):
            continue
        cands = [v[0] - 1.5 * gap, v[-1] + 1.5 * gap]  # where the kink (-bias) may sit
        cands += [(a + c) / 2 for a, c in zip(v[:-1], v[1:]) if c - a >= 3 * gap]
        k = min(cands, key=lambda p: abs(p + out[j]))
        out[j] = -k
    return np.round(out, 3)


def residual_cases(*, dtype=np.float64, smooth=False):
    """Case(x (N, D), w1 (D, D), b1 (D,), w2 (D, D), b2 (D,)): the biases are nudged so that both ReLU
    pre-activations (x w1 + b1 and x + relu(.) w2 + b2) stay clear of 0: by 0.3 when smooth (a float32
    finite-difference stencil never crosses a kink), by 0.02 otherwise (float32 and float64 agree on
    every ReLU mask)."""
    gap = 0.3 if smooth else 0.02

    @st.composite
    def build(draw):
        n, d = draw(st.integers(1, 3 if smooth else 4)), draw(st.integers(1, 3 if smooth else 4))
        x = draw(values((n, d), dtype=np.float64, specials=(), smooth=True, kinks=()))
        w1 = draw(values((d, d), dtype=np.float64, scale=0.7, specials=(), smooth=True, kinks=()))
        w2 = draw(values((d, d), dtype=np.float64, scale=0.7, specials=(), smooth=True, kinks=()))
        b1 = draw(values((d,), dtype=np.float64, scale=0.5, specials=(), smooth=True, kinks=()))
        b2 = draw(values((d,), dtype=np.float64, scale=0.5, specials=(), smooth=True, kinks=()))
        # Round in the target dtype first, so the gap holds for the values actually passed.
        x, w1, w2 = (a.astype(dtype).astype(np.float64) for a in (x, w1, w2))
        b1 = _clear_of_zero(x @ w1, b1, gap).astype(dtype).astype(np.float64)
        hdn = np.maximum(x @ w1 + b1, 0)
        b2 = _clear_of_zero(x + hdn @ w2, b2, gap)
        return Case({"x": x.astype(dtype), "w1": w1.astype(dtype), "b1": b1.astype(dtype),
                     "w2": w2.astype(dtype), "b2": b2.astype(dtype)})
    return build()


# -- specific properties ----------------------------------------------------------------------------

def flattens_nd_input(component, impl, case, ctx):
    """affine(x) = affine(x.reshape(N, -1)) and dx = dx_2d.reshape(x.shape): C-order flattening."""
    x = case["x"]
    flat = case.replace(x=x.reshape(x.shape[0], -1).copy())
    dt = least_precise(case.dtype)
    rtol, atol = tolerance(component, dt, "forward")
    out_nd, out_2d = call_forward(impl, case.copy())["out"], call_forward(impl, flat.copy())["out"]
    assert_close(out_nd, out_2d, rtol=rtol, atol=atol, name="out",
                 where=f"affine_forward: x of shape {x.shape} should act as x.reshape(N, -1), at {case!r}")
    dout = make_dout(component, out_2d).astype(case.dtype)
    g_nd, g_2d = call_backward(impl, case.copy(), dout.copy()), call_backward(impl, flat, dout.copy())
    rtol, atol = tolerance(component, dt, "backward")
    for k in ("x", "w"):
        got, want = g_nd.get(k), g_2d.get(k)
        if got is None or want is None:
            raise SpecViolation(f"d{k} is missing from the result, but should be returned [affine_backward at {case!r}]")
        if np.shape(got) != np.shape(case[k]):
            raise SpecViolation(f"d{k}.shape={np.shape(got)}, but should be {np.shape(case[k])} (the input's shape) "
                                f"[affine_backward at {case!r}]")
        if np.size(want) != np.size(got):
            raise SpecViolation(f"d{k} for the flattened x has shape {np.shape(want)}, but should have "
                                f"{np.size(got)} elements [affine_backward at {flat!r}]")
        assert_close(got, np.reshape(want, np.shape(got)), rtol=rtol, atol=atol, name=f"d{k}",
                     where=f"affine_backward: should equal the gradient for x.reshape(N, -1), at {case!r}")
    return {}


def _output_size_formula(kh_key, kw_key, channels):
    def check(component, impl, case, ctx):
        x = case["x"]
        s, p = case["stride"], case["pad"]
        kh, kw = (case["w"].shape[2], case["w"].shape[3]) if kh_key is None else (case[kh_key], case[kw_key])
        want = (x.shape[0], channels(case), 1 + (x.shape[2] + 2 * p - kh) // s, 1 + (x.shape[3] + 2 * p - kw) // s)
        out = call_forward(impl, case.copy())["out"]
        if tuple(np.shape(out)) != want:
            raise SpecViolation(
                f"out.shape={tuple(np.shape(out))}, but should be {want}: H' = 1 + (H + 2 pad - {'HH' if kh_key is None else 'pool_h'}) "
                f"// stride = 1 + ({x.shape[2]} + 2*{p} - {kh}) // {s} [{component.name}_forward at {case!r}]")
        return {}
    return check


def ties_route_to_first_max(component, impl, case, ctx):
    """With exact ties in the windows, each window's gradient goes to its first maximum in row-major window
    order (np.argmax, PyTorch): the accepted "ties" variants are tried, "all" is named if it matches."""
    ref_case = case.astype(np.float64)
    out = ref.max_pool2d(ref_case["x"], case["pool_h"], case["pool_w"], case["stride"], case["pad"])
    dout = make_dout(component, out).astype(case.dtype)
    got = call_backward(impl, case.copy(), dout.copy())
    return match_variants(component, ctx, lambda v: component.backward(ref_case, dout.astype(np.float64), v), got,
                          dtype=least_precise(case.dtype), what="backward", prefix="d", keys=["x"],
                          where=f"max_pool2d_backward (ties in windows) at {case!r}")


def skip_identity(component, impl, case, ctx):
    """With the residual branch switched off (w2 = 0, b2 = 0): y = relu(x) and dx = dout * 1[x > 0]."""
    x = case["x"]
    x = np.where(np.abs(x) < 0.05, np.where(x >= 0, 0.05, -0.05), x).astype(x.dtype)
    c = case.replace(x=x, w2=np.zeros_like(case["w2"]), b2=np.zeros_like(case["b2"]))
    dt = least_precise(case.dtype)
    rtol, atol = tolerance(component, dt, "forward")
    out = call_forward(impl, c.copy())["out"]
    assert_close(out, np.maximum(x.astype(np.float64), 0), rtol=rtol, atol=atol, name="out",
                 where=f"residual_block_forward with w2 = b2 = 0 should be relu(x) (the skip), at {c!r}")
    dout = make_dout(component, out).astype(case.dtype)
    dx = call_backward(impl, c.copy(), dout.copy()).get("x")
    if dx is None:
        raise SpecViolation(f"dx is missing from the result, but should be returned [residual_block_backward at {c!r}]")
    rtol, atol = tolerance(component, dt, "backward")
    assert_close(dx, dout.astype(np.float64) * (x > 0), rtol=rtol, atol=atol, name="dx",
                 where=f"residual_block_backward with w2 = b2 = 0 should pass dout * 1[x > 0] through the skip, at {c!r}")
    return {}


# -- records ----------------------------------------------------------------------------------------

def _affine_torch(t, c, v):
    _, F = _torch()
    x = t["x"]
    # Layout adapter: the book's w is (D, M); F.linear wants (M, D).
    return F.linear(x.reshape(x.shape[0], -1), t["w"].T, t["b"])


def _residual_torch(t, c, v):
    torch, _ = _torch()
    x = t["x"]
    return torch.relu(x + torch.relu(x @ t["w1"] + t["b1"]) @ t["w2"] + t["b2"])


def _pool_bwd(c, d, v):
    return {"x": ref.max_pool2d_backward(d, c["x"], c["pool_h"], c["pool_w"], c["stride"], c["pad"], v["ties"])}


COMPONENTS = [
    Component(
        name="affine", kind="layer",
        doc="out = x.reshape(N, -1) @ w + b, w (D, M) (the book, CS231n); dx has x's original shape",
        forward=lambda c, v: ref.affine(c["x"], c["w"], c["b"]),
        backward=lambda c, d, v: ref.affine_backward(d, c["x"], c["w"], c["b"]),
        torch=_affine_torch,
        cases=affine_cases,
        properties=(Property("flattens_nd_input", flattens_nd_input,
                             "an N-D x acts as x.reshape(N, -1) (C order) and dx comes back in x's shape",
                             cases=nd_affine_cases),)),
    Component(
        name="conv2d", kind="layer",
        doc="NCHW cross-correlation: out[n, f] = b[f] + sum_c xpad[n, c] * w[f, c] (no kernel flip), "
            "stride and zero pad; H' = 1 + (H + 2 pad - HH) // stride, W' likewise",
        forward=lambda c, v: ref.conv2d(c["x"], c["w"], c["b"], c["stride"], c["pad"]),
        backward=lambda c, d, v: ref.conv2d_backward(d, c["x"], c["w"], c["b"], c["stride"], c["pad"]),
        torch=lambda t, c, v: _torch()[1].conv2d(t["x"], t["w"], t["b"], stride=c["stride"], padding=c["pad"]),
        cases=conv_cases,
        properties=(Property("output_size_formula", _output_size_formula(None, None, lambda c: c["w"].shape[0]),
                             "out.shape = (N, F, 1 + (H + 2 pad - HH) // stride, 1 + (W + 2 pad - WW) // stride)"),)),
    Component(
        name="max_pool2d", kind="layer",
        doc="max over (pool_h, pool_w) windows with stride and -inf padding (pad <= min(pool_h, pool_w) // 2, "
            "PyTorch's limit); H' = 1 + (H + 2 pad - pool_h) // stride; the gradient of a window goes to its "
            "first maximum in row-major order",
        forward=lambda c, v: ref.max_pool2d(c["x"], c["pool_h"], c["pool_w"], c["stride"], c["pad"]),
        backward=_pool_bwd,
        torch=lambda t, c, v: _torch()[1].max_pool2d(t["x"], kernel_size=(c["pool_h"], c["pool_w"]),
                                                     stride=c["stride"], padding=c["pad"]),
        cases=pool_cases,
        # Routing among tied maxima costs ties_route_to_first_max alone: every other check accepts, at exact
        # ties, any gradient between these variants (within_subgradients), as for ReLU'(0).
        conventions=(Convention("ties", "first", {
            "first": "the first maximum in row-major window order gets the gradient (np.argmax: the book's "
                     "Pooling, CS231n; PyTorch)",
            "last": "the last maximum in row-major window order gets it (a running x >= max)",
            "all": "every tied maximum gets the window's full gradient (a mask x == max)"},
            subgradients=("first", "last", "all")),),
        properties=(Property("output_size_formula",
                             _output_size_formula("pool_h", "pool_w", lambda c: c["x"].shape[1]),
                             "out.shape = (N, C, 1 + (H + 2 pad - pool_h) // stride, 1 + (W + 2 pad - pool_w) // stride)"),
                    Property("ties_route_to_first_max", ties_route_to_first_max,
                             "with exact ties, each window's gradient goes to its first maximum (row-major)",
                             cases=tie_pool_cases),
                    Property("pads_with_neg_inf", pads_with_neg_inf,
                             "at pad >= 1: -inf padding (out and dx equal the reference, out.shape uses pad)",
                             cases=padded_pool_cases))),
    Component(
        name="residual_block", kind="layer", built_from=("affine", "relu"),
        doc="y = relu(x + F(x)), F(x) = relu(x @ w1 + b1) @ w2 + b2; x (N, D), w1, w2 (D, D); "
            "ReLU'(0) = 0",
        forward=lambda c, v: ref.residual_block(c["x"], c["w1"], c["b1"], c["w2"], c["b2"]),
        backward=lambda c, d, v: ref.residual_block_backward(d, c["x"], c["w1"], c["b1"], c["w2"], c["b2"]),
        torch=_residual_torch,
        cases=residual_cases,
        properties=(Property("skip_identity", skip_identity,
                             "with w2 = b2 = 0 the block is relu(x): the skip carries x and its gradient"),)),
]
