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
from .record import Case, Component, Convention, outputs
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


# The upstream gradient of a loss: not 1, so that a backward ignoring its dout (a book SoftmaxWithLoss.backward(dout)
# returning (y - t) / N) is seen; exact in every float dtype.
LOSS_DOUT = 1.5


def make_dout(component: Component, out: np.ndarray) -> np.ndarray:
    """Upstream gradient: LOSS_DOUT for losses (the book's ``backward(dout=1)`` is called with it), otherwise
    deterministic values bounded away from 0 so that no element of the gradient is hidden by a zero."""
    if component.kind == "loss":
        return np.full(np.shape(out), LOSS_DOUT,
                       dtype=np.asarray(out).dtype if np.asarray(out).dtype.kind == "f" else np.float64)
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
    """Every named output compared: the first mismatch is raised, the others ride along as ``also`` (distinct
    findings: a running mean of the wrong shape beside a wrong output)."""
    rtol, atol = tolerance(component, dtype, what)
    found = []
    for k in keys or expected:
        try:
            if k not in got:
                raise SpecViolation(f"{prefix}{k} is missing from the result, but should be returned [{where}]")
            assert_close(got[k], expected[k], rtol=rtol, atol=atol, name=prefix + k if prefix or k != "out" else "out",
                         where=where)
        except SpecViolation as e:
            found.append(e)
    if found:
        found[0].also = found[1:]
        raise found[0]


NEAR_TOLERANCE = 100.0   # "within 100x of an accepted variant's tolerance": said, with that variant's value
FAR_APART = 100.0        # a variant is named as the cause only where it and the default differ by this much more


def excess(actual, expected, rtol: float, atol: float) -> float:
    """max |actual - expected| / (atol + rtol |expected|): <= 1 is a match; inf for a shape mismatch or NaN."""
    try:
        a, e = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    except (TypeError, ValueError):
        return float("inf")
    if a.shape != e.shape:
        if a.size == e.size == 1:
            a = a.reshape(e.shape)
        else:
            return float("inf")
    if not a.size:
        return 0.0
    with np.errstate(invalid="ignore", over="ignore"):
        same = (a == e) | (np.isnan(a) & np.isnan(e))
        r = np.where(same, 0.0, np.abs(a - e) / (atol + rtol * np.abs(e)))
    r = np.nan_to_num(r, nan=np.inf)
    return float(r.max())


def _variant_name(component: Component, v: dict) -> str:
    return ", ".join(f"{k}={val}" for k, val in v.items() if component.default_variants.get(k) != val)


def match_variants(component: Component, ctx: Context, expected_for, got: dict, *, dtype, what: str,
                   prefix: str = "", where: str = "", keys=None) -> dict:
    """Compare ``got`` with the reference under each accepted combination of convention variants.

    Returns {"variant": the first combination that matched}.  If none matched, raises the violation of
    the default combination; it says so when the output is within 100x of an accepted variant's tolerance
    (with that variant's value), and names an unaccepted variant as the cause only when that variant explains
    the output and the default does not, on an input where the two differ by far more than the tolerance.
    """
    first_error = None
    accepted = component.variant_combinations(ctx.accept)
    expected = {}
    for v in accepted:
        try:
            expected[id(v)] = want = expected_for(v)
            _compare_named(component, want, got, dtype=dtype, what=what, prefix=prefix, where=where, keys=keys)
            return {"variant": v} if v else {}
        except SpecViolation as e:
            first_error = first_error or e
    rtol, atol = tolerance(component, dtype, what)
    names = list(keys or expected.get(id(accepted[0]), {}) or ())
    default_want = expected.get(id(accepted[0]))

    def worst(want) -> float:
        return max((excess(got[k], want[k], rtol, atol) for k in names if k in got and k in want), default=np.inf)

    # Nearly an accepted variant: say which, by how much, and what it gives.
    near = sorted(((worst(expected[id(v)]), i, v) for i, v in enumerate(accepted) if id(v) in expected),
                  key=lambda t: t[:2])
    if near and 1.0 < near[0][0] <= NEAR_TOLERANCE:
        r, _, v = near[0]
        k = next((k for k in names if k in got and excess(got[k], expected[id(v)][k], rtol, atol) > 1), None)
        if v == accepted[0] or not _variant_name(component, v):
            first_error.message += f" (within {r:.3g}x of the tolerance rtol={rtol:g}, atol={atol:g})"
        else:
            val = ""
            if k is not None:
                w = np.asarray(expected[id(v)][k])
                idx = first_error.stats.get("worst_index")
                if isinstance(idx, tuple) and len(idx) == w.ndim:
                    val = f", which gives {np.format_float_positional(float(w[idx]), precision=8, trim='-')} there"
            first_error.message += (f" (within {r:.3g}x of the tolerance of the accepted variant "
                                    f"{_variant_name(component, v)}{val})")
        first_error.args = (first_error.message,)
    # Would an unaccepted named variant have matched?  Say so: the rubric decides, not the message.
    consistent = None
    for v in component.variant_combinations({c.name: tuple(c.variants) for c in component.conventions}):
        if v in accepted:
            continue
        try:
            want = expected_for(v)
            _compare_named(component, want, got, dtype=dtype, what=what, prefix=prefix, where=where,
                           keys=keys)
        except SpecViolation:
            continue
        apart = max((excess(want[k], default_want[k], rtol, atol) for k in names if k in want and k in default_want),
                    default=np.inf) if default_want is not None and names else np.inf
        if apart <= FAR_APART:
            # on this input the variant and the default barely differ: it is no explanation, but worth a word
            # (a shrunk input is where conventions differ least, e.g. the placement of a batch norm's eps)
            consistent = consistent or (v, apart)
            continue
        first_error.message += f" (matches variant {_variant_name(component, v)}, which is not accepted)"
        first_error.variant = v
        first_error.args = (first_error.message,)
        break
    else:
        if consistent is not None and _variant_name(component, consistent[0]):
            first_error.message += (f" (the unaccepted variant {_variant_name(component, consistent[0])} gives this "
                                    f"output, though on this input it differs from the default by only "
                                    f"{consistent[1]:.3g}x the tolerance)")
            first_error.args = (first_error.message,)
    raise first_error


def far_apart(a: float, b: float, tol: float, factor: float = 3.0) -> bool:
    """Two predicted statistics differ by far more than the tolerance of the comparison (for checks that name a
    variant from a statistic, e.g. an initialiser's variance: mode=fan_out is no explanation when fan_in=32,
    fan_out=33)."""
    return abs(a - b) > factor * tol


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
    try:
        return match_variants(component, ctx, lambda v: component.backward(ref_case, dout.astype(np.float64), v),
                              got, dtype=dtype, what="backward", prefix="d", keys=list(case.arrays),
                              where=where_of(component, "backward", case))
    except SpecViolation:
        info = within_subgradients(component, ctx, ref_case, dout.astype(np.float64), got, list(case.arrays), dtype)
        if info is None:
            raise
        return info


def within_subgradients(component: Component, ctx: Context, ref_case: Case, dout64, got: dict, keys, dtype):
    """A convention at a kink costs points in its own property only: here (and in every check but its own) any
    gradient between the convention's subgradient variants is accepted, elementwise, at exactly the kink (the
    variants agree everywhere else).  Returns the info of the first accepted combination it fits, None if none."""
    import itertools
    kinks = [c for c in component.conventions if getattr(c, "subgradients", ())]
    if not kinks or component.backward is None:
        return None
    rtol, atol = tolerance(component, dtype, "backward")
    for v in component.variant_combinations(ctx.accept):
        combos = [{**v, **dict(zip([c.name for c in kinks], picks))}
                  for picks in itertools.product(*[c.subgradients for c in kinks])]
        refs = [component.backward(ref_case, dout64, w) for w in combos]
        fits = True
        for k in keys:
            if k not in got or np.shape(got[k]) != np.shape(refs[0][k]):
                return None
            stack = np.stack([np.asarray(r[k], dtype=np.float64) for r in refs])
            lo, hi = stack.min(axis=0), stack.max(axis=0)
            g = np.asarray(got[k], dtype=np.float64)
            slack = atol + rtol * np.maximum(np.abs(lo), np.abs(hi))
            with np.errstate(invalid="ignore"):
                if not np.all((g >= lo - slack) & (g <= hi + slack)):
                    fits = False
                    break
        if not fits:
            continue
        for w, r in zip(combos, refs):  # name the subgradient variant it is, if it is one
            if all(np.allclose(np.asarray(got[k], dtype=np.float64), np.asarray(r[k], dtype=np.float64),
                               rtol=rtol, atol=atol) for k in keys):
                return {"variant": w, "note": "a subgradient at the kink (its own convention's property judges it)"}
        return {"variant": v, "note": "a subgradient at the kink (its own convention's property judges it)"}
    return None


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
                raise SpecViolation(f"{k}{idx} was changed by {what} from {_num(v[tuple(bad[0])])} to "
                                    f"{_num(a[tuple(bad[0])])}, but inputs must not be mutated [{where}]")
            raise SpecViolation(f"{k} was reshaped in place by {what}, but inputs must not be mutated [{where}]")


# Conventions every component with a backward shares (not in the records: they concern the calling contract,
# not the mathematics).  A rubric accepts them like a record's own: [accept.relu] dout = ["writes_dout"], or for
# every component at once [accept."*"] dout = ["writes_dout"].
GENERIC_CONVENTIONS = {
    "dout": Convention("dout", "untouched", {
        "untouched": "backward leaves the upstream gradient dout as it received it",
        "writes_dout": "backward writes into dout and returns it (the book's Relu.backward: dout[self.mask] = 0; "
                       "dx = dout; CS231n's dx = dout; dx[x <= 0] = 0; dout *= mask in dropout)",
    }),
}

DOUT_HARM = ("it corrupts gradients whenever the same dout is used again: a residual shortcut or a second branch "
             "that reads it after this layer, or the caller's own gradient check comparing with it")


def _accepts(ctx: Context, convention: str, variant: str) -> bool:
    return variant in tuple(ctx.accept.get(convention, ()))


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
        if not (dout.shape == dout_before.shape and np.array_equal(dout, dout_before, equal_nan=True)):
            if _accepts(ctx, "dout", "writes_dout"):
                info["variant"] = {"dout": "writes_dout"}
                info["note"] = "backward writes into dout (variant dout=writes_dout, accepted by the rubric)"
                return info
            where = where_of(component, "backward", case)
            if dout.shape != dout_before.shape:
                head = f"dout was reshaped in place by backward"
            else:
                i = tuple(np.argwhere(~((dout == dout_before) | (np.isnan(dout) & np.isnan(dout_before))))[0])
                head = (f"dout{index_str(i)} was changed by backward from {_num(dout_before[i])} to "
                        f"{_num(dout[i])}")
            raise SpecViolation(f"{head}, but the upstream gradient must not be mutated: {DOUT_HARM} [{where}] "
                                "(variant dout=writes_dout, which is not accepted)",
                                variant={"dout": "writes_dout"})
    return info


def _num(v) -> str:
    """A scalar for a message: 1.5, not np.float64(1.5)."""
    v = np.asarray(v).item()
    return f"{v:.8g}" if isinstance(v, float) else repr(v)


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
