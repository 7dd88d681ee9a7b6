"""Generic property checks, derived from the record.  Each is ``check(component, impl, case, ctx)``:
it returns an info dict (e.g. the convention variant that matched) or raises SpecViolation.

Reference values are always computed in float64 from the (possibly float32) inputs, and compared with
the tolerance of the least precise dtype involved, so a float32 implementation is judged as float32.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from .errors import ImplError, SpecViolation
from .record import Case, Component, outputs
from .tolerance import assert_close, fd_step, least_precise, tolerance, index_str


@dataclass
class Context:
    """What a driver passes to every check: accepted variants (rubric), counters for the benchmark."""
    accept: dict = field(default_factory=dict)
    fd_directions: int = 2
    counters: dict = field(default_factory=lambda: {"fd_evals": 0, "fd_checks": 0})


def quiet(fn, *args):
    """Call an implementation with floating-point warnings silenced (overflow in student code is judged
    by its result, not by a warning)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return fn(*args)


def as_array(value, name: str) -> np.ndarray:
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, (float, int, np.floating, np.integer)):
        return np.asarray(value)
    raise ImplError(f"{name} is {type(value).__name__}, but should be a NumPy array", kind="wrong_type")


def call_forward(impl, case: Case) -> dict:
    res = quiet(impl.forward, case)
    if not isinstance(res, dict):
        res = outputs(res)
    if "out" not in res:
        raise ImplError("forward returned no output", kind="wrong_type")
    return {k: as_array(v, k) for k, v in res.items()}


def call_backward(impl, case: Case, dout) -> dict:
    res = quiet(impl.backward, case, dout)
    if not isinstance(res, dict):
        raise ImplError(f"backward returned {type(res).__name__}, not named gradients", kind="wrong_type")
    return {k: as_array(v, "d" + k) for k, v in res.items()}


def upcast(case: Case) -> Case:
    return case.astype(np.float64)


def make_dout(component: Component, out: np.ndarray) -> np.ndarray:
    """Upstream gradient: 1 for losses (the book's ``backward(dout=1)``), otherwise deterministic values
    bounded away from 0 so that no element of the gradient is hidden by a zero."""
    if component.kind == "loss":
        return np.ones(np.shape(out), dtype=np.asarray(out).dtype if np.asarray(out).dtype.kind == "f" else np.float64)
    rng = np.random.default_rng(1234)
    shape = np.shape(out)
    d = rng.uniform(0.5, 1.5, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    return np.round(d, 2).astype(np.asarray(out).dtype if np.asarray(out).dtype.kind == "f" else np.float64)


def reference_dout(component: Component, case: Case) -> np.ndarray:
    """The upstream gradient for ``case``, shaped like the reference output, in the case's dtype."""
    out = outputs(component.forward(upcast(case), component.default_variants))["out"]
    return make_dout(component, out).astype(case.dtype)


def where_of(component: Component, op: str, case: Case) -> str:
    return f"{component.name}_{op} at {case!r}"


def _compare_named(component, expected: dict, got: dict, *, dtype, what: str, prefix: str, where: str, keys=None):
    rtol, atol = tolerance(component, dtype, what)
    for k in keys or expected:
        if k not in got:
            raise SpecViolation(f"{prefix}{k} is missing from the result, but should be returned [{where}]")
        assert_close(got[k], expected[k], rtol=rtol, atol=atol, name=prefix + k if prefix or k != "out" else "out",
                     where=where)


def match_variants(component: Component, ctx: Context, expected_for, got: dict, *, dtype, what: str,
                   prefix: str = "", where: str = "", keys=None) -> dict:
    """Compare ``got`` with the reference under each accepted combination of convention variants.

    Returns {"variant": the first combination that matched}.  If none matched, raises the violation of
    the default combination, naming an unaccepted variant that would have matched, if any.
    """
    first_error = None
    accepted = component.variant_combinations(ctx.accept)
    for v in accepted:
        try:
            _compare_named(component, expected_for(v), got, dtype=dtype, what=what, prefix=prefix, where=where,
                           keys=keys)
            return {"variant": v} if v else {}
        except SpecViolation as e:
            first_error = first_error or e
    # Would an unaccepted named variant have matched?  Say so: the rubric decides, not the message.
    for v in component.variant_combinations({c.name: tuple(c.variants) for c in component.conventions}):
        if v in accepted:
            continue
        try:
            _compare_named(component, expected_for(v), got, dtype=dtype, what=what, prefix=prefix, where=where,
                           keys=keys)
        except SpecViolation:
            continue
        extra = ", ".join(f"{k}={val}" for k, val in v.items() if component.default_variants.get(k) != val)
        first_error.message += f" (matches variant {extra}, which is not accepted)"
        first_error.variant = v
        first_error.args = (first_error.message,)
        break
    raise first_error


# ----------------------------------------------------------------------------------------------------
# The generic properties

def forward_matches_reference(component: Component, impl, case: Case, ctx: Context) -> dict:
    got = call_forward(impl, case.copy())
    dtype = least_precise(case.dtype, got["out"].dtype)
    ref_case = upcast(case)
    return match_variants(component, ctx, lambda v: outputs(component.forward(ref_case, v)), got, dtype=dtype,
                          what="forward", where=where_of(component, "forward", case))


def backward_matches_reference(component: Component, impl, case: Case, ctx: Context) -> dict:
    ref_case = upcast(case)
    dout = reference_dout(component, case)
    got = call_backward(impl, case.copy(), dout.copy())
    dtype = least_precise(case.dtype, *[g.dtype for g in got.values()])
    return match_variants(component, ctx, lambda v: component.backward(ref_case, dout.astype(np.float64), v), got,
                          dtype=dtype, what="backward", prefix="d", keys=list(case.arrays),
                          where=where_of(component, "backward", case))


def _fd_variant_corrections(component: Component, ctx: Context, case: Case, got_out, dout) -> list:
    """Accepted variant combinations whose forward differs from the default's while the specification gives
    them the default's gradient (the book's SoftmaxWithLoss: log(y + 1e-7) in the loss, the fused gradient
    (y - t) / N in backward), for which the submission's forward matches that variant's forward here.

    For each: (variant, L_ref_default - L_ref_variant as a function of the shift t), so the finite difference
    of the corrected loss is the derivative the backward is meant to compute."""
    default = component.default_variants
    out = []
    ref_case = upcast(case)
    d64 = dout.astype(np.float64)
    want_bwd = component.backward(ref_case, d64, default) if component.backward is not None else None
    for v in component.variant_combinations(ctx.accept):
        if not v or v == default:
            continue
        try:
            if want_bwd is not None:
                other = component.backward(ref_case, d64, v)
                if any(not np.allclose(np.asarray(other[k]), np.asarray(want_bwd[k]), rtol=1e-12, atol=0)
                       for k in want_bwd):
                    continue
            fwd_v = outputs(component.forward(ref_case, v))["out"]
            if np.allclose(fwd_v, outputs(component.forward(ref_case, default))["out"], rtol=1e-12, atol=0):
                continue
            rtol, atol = tolerance(component, least_precise(case.dtype, got_out.dtype), "forward")
            assert_close(got_out, fwd_v, rtol=rtol, atol=atol)
        except SpecViolation:
            continue

        def gap(shifted, v=v):
            c64 = upcast(shifted)
            return float(np.sum((np.asarray(outputs(component.forward(c64, default))["out"], dtype=np.float64)
                                 - np.asarray(outputs(component.forward(c64, v))["out"], dtype=np.float64)) * d64))
        out.append((v, gap))
    return out


def backward_matches_finite_differences(component: Component, impl, case: Case, ctx: Context) -> dict:
    """<grad, v> == (L(x + h v) - L(x - h v)) / 2h with L = sum(forward * dout), for random directions v.

    Costs 2 forward evaluations per direction (a full central difference would cost 2N).  Where an accepted
    variant changes only the forward (its gradient is the default's, e.g. the book's delta inside the log of
    SoftmaxWithLoss), L is corrected by the reference's difference between the two forwards."""
    got_out = call_forward(impl, case.copy())["out"]
    dout = make_dout(component, got_out).astype(case.dtype)
    grads = call_backward(impl, case.copy(), dout.copy())
    dtype = least_precise(case.dtype, got_out.dtype)
    rtol, atol = tolerance(component, dtype, "fd")
    rng = np.random.default_rng(4321)
    for k in case.arrays:
        if k not in grads:
            raise SpecViolation(f"d{k} is missing from the result, but should be returned "
                                f"[{where_of(component, 'backward', case)}]")
        if np.shape(grads[k]) != np.shape(case.arrays[k]):
            raise SpecViolation(f"d{k}.shape={np.shape(grads[k])}, but should be {np.shape(case.arrays[k])} "
                                f"[{where_of(component, 'backward', case)}]")
    corrections = None
    matched = None
    for _ in range(ctx.fd_directions):
        dirs = {k: rng.standard_normal(np.shape(a)) for k, a in case.arrays.items()}
        scale = max(1.0, max((float(np.max(np.abs(a))) for a in case.arrays.values() if a.size), default=1.0))
        h = fd_step(dtype) * scale

        def shifted(t):
            return Case({k: (case.arrays[k].astype(np.float64) + t * dirs[k]).astype(case.arrays[k].dtype)
                         for k in case.arrays}, {k: (v.copy() if isinstance(v, np.ndarray) else v)
                                                 for k, v in case.consts.items()}, dict(case.hp))

        def loss(t):
            o = call_forward(impl, shifted(t))["out"]
            return float(np.sum(o.astype(np.float64) * dout.astype(np.float64)))
        fd = (loss(h) - loss(-h)) / (2 * h)
        ctx.counters["fd_evals"] += 2
        analytic = sum(float(np.sum(grads[k].astype(np.float64) * dirs[k])) for k in case.arrays)
        mag = sum(float(np.sum(np.abs(grads[k].astype(np.float64) * dirs[k]))) for k in case.arrays)

        def close(fd_value):
            return np.isfinite(analytic) and abs(analytic - fd_value) <= atol + rtol * max(abs(fd_value), mag)
        if close(fd):
            continue
        if corrections is None:
            corrections = _fd_variant_corrections(component, ctx, case, got_out, dout)
        for v, gap in corrections:
            if matched in (None, v) and close(fd + (gap(shifted(h)) - gap(shifted(-h))) / (2 * h)):
                matched = v
                break
        else:
            raise SpecViolation(
                f"<grad, v>={analytic:.8g}, but should be {fd:.8g} by central differences (h={h:.3g}) "
                f"[{where_of(component, 'backward', case)}]",
                stats={"abs_diff": f"{abs(analytic - fd):.3g}",
                       "allowed": f"atol={atol:g} + rtol={rtol:g}*max(|fd|, sum|grad*v|)={max(abs(fd), mag):.3g}",
                       "evaluations": 2 * ctx.fd_directions})
    ctx.counters["fd_checks"] += 1
    info = {"fd_evals": 2 * ctx.fd_directions}
    if matched:
        info["variant"] = matched
    return info


def _assert_unchanged(before: dict, after: dict, what: str, where: str):
    for k, v in before.items():
        if not isinstance(v, np.ndarray):
            continue
        a = after[k]
        same = a.shape == v.shape and np.array_equal(a, v, equal_nan=True)
        if not same:
            idx = ""
            if a.shape == v.shape:
                bad = np.argwhere(~((a == v) | (np.isnan(a) & np.isnan(v))))
                idx = "[" + ", ".join(map(str, bad[0])) + "]"
                raise SpecViolation(f"{k}{idx} was changed by {what} from {v[tuple(bad[0])]!r} to "
                                    f"{a[tuple(bad[0])]!r}, but inputs must not be mutated [{where}]")
            raise SpecViolation(f"{k} was reshaped in place by {what}, but inputs must not be mutated [{where}]")


def does_not_mutate_inputs(component: Component, impl, case: Case, ctx: Context) -> dict:
    work, before = case.copy(), case.copy()
    call_forward(impl, work)
    _assert_unchanged({**before.arrays, **before.consts}, {**work.arrays, **work.consts}, "forward",
                      where_of(component, "forward", case))
    info = {}
    if component.backward is not None and impl.has_backward:
        dout = reference_dout(component, case)
        dout_before = dout.copy()
        call_backward(impl, work, dout)
        _assert_unchanged({**before.arrays, **before.consts}, {**work.arrays, **work.consts}, "backward",
                          where_of(component, "backward", case))
        if not np.array_equal(dout, dout_before):
            # The book's Relu/Dropout write into dout; harmless inside a network, so reported, not failed.
            info["note"] = "backward overwrites dout in place (the book's Relu style)"
    return info


def preserves_dtype(component: Component, impl, case: Case, ctx: Context) -> dict:
    want = case.dtype
    where = where_of(component, "forward", case)
    for k, v in call_forward(impl, case.copy()).items():
        # the main output must be floating point of the input's dtype (a bool or int step output is not)
        if (v.dtype.kind == "f" or k == "out") and v.dtype != want:
            raise SpecViolation(f"{k}.dtype={v.dtype}, but should be {want} [{where}]")
    if component.backward is not None and impl.has_backward:
        for k, v in call_backward(impl, case.copy(), reference_dout(component, case)).items():
            if v.dtype.kind == "f" and v.dtype != want:
                raise SpecViolation(f"d{k}.dtype={v.dtype}, but should be {want} "
                                    f"[{where_of(component, 'backward', case)}]")
    return {}


def batch_rows_independent(component: Component, impl, case: Case, ctx: Context) -> dict:
    x = case.arrays["x"]
    if x.shape[0] < 2:
        return {"vacuous": True}
    out = call_forward(impl, case.copy())["out"]
    x2 = x.copy()
    x2[0] = x2[0] + np.round(np.random.default_rng(7).standard_normal(x2[0].shape), 2).astype(x.dtype) + 0.5
    out2 = call_forward(impl, case.replace(x=x2))["out"]
    rtol, atol = tolerance(component, least_precise(case.dtype, out.dtype), "forward")
    # NaN in both runs is finite_outputs' business, not a sign of rows leaking into each other.
    assert_close(out2[1:], out[1:], rtol=rtol, atol=atol, name="out[1:]", equal_nan=True,
                 where=f"{component.name}_forward: changing only x[0] changed other rows, at {case!r}")
    return {}


def finite_outputs(component: Component, impl, case: Case, ctx: Context) -> dict:
    where = where_of(component, "forward", case)
    res = call_forward(impl, case.copy())
    for k, v in res.items():
        if v.dtype.kind == "f" and not np.isfinite(v).all():
            i = tuple(np.argwhere(~np.isfinite(v))[0])
            raise SpecViolation(f"{k}{index_str(i)}={v[i]}, but should be finite [{where}]")
    if component.backward is not None and impl.has_backward:
        dout = make_dout(component, res["out"]).astype(case.dtype)
        for k, v in call_backward(impl, case.copy(), dout).items():
            if v.dtype.kind == "f" and not np.isfinite(v).all():
                i = tuple(np.argwhere(~np.isfinite(v))[0])
                raise SpecViolation(f"d{k}{index_str(i)}={v[i]}, but should be finite "
                                    f"[{where_of(component, 'backward', case)}]")
    return {}


GENERIC_CHECKS = {
    "forward_matches_reference": forward_matches_reference,
    "backward_matches_reference": backward_matches_reference,
    "backward_matches_finite_differences": backward_matches_finite_differences,
    "does_not_mutate_inputs": does_not_mutate_inputs,
    "preserves_dtype": preserves_dtype,
    "batch_rows_independent": batch_rows_independent,
    "finite_outputs": finite_outputs,
}


def get_check(component: Component, prop: str):
    if prop in GENERIC_CHECKS and prop in component.generic_properties:
        return GENERIC_CHECKS[prop]
    p = component.specific(prop)
    if p is None:
        from .errors import InvalidArgument
        raise InvalidArgument(f"property={prop!r} is not a property of {component.name}; "
                              f"choose from {list(component.property_names)}")
    return p.check
