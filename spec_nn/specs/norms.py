"""Records for dropout and the normalisation layers: dropout, batch_norm, spatial_batch_norm, layer_norm,
group_norm.

Dropout draws a random mask, and an implementation draws its own (its RNG, its seeding), so it cannot be
compared element by element with the reference.  Its ``forward_matches_reference`` and
``backward_matches_reference`` are therefore *consistency* checks (specific properties under the stable
generic ids): at train every output element is 0 or x * scale for the scale of an accepted form, at eval
the output equals the reference; the backward equals dout * mask * scale for the mask recovered from the
forward output of the same seed.  Two statistical properties (fixed seeds, z-bounds) judge the mask's
distribution: the mean of many train outputs equals the eval output, and the share of dropped units is p.
An implementation is called with ``hp["seed"]`` and must be a deterministic function of it (finite
differences call the forward repeatedly).
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from ..checks import call_backward, call_forward, make_dout, where_of
from ..errors import SpecViolation
from ..record import Case, Component, Convention, Property
from ..reference import norms as ref
from ..strategies import EXTREMES, check_dtype, values
from ..tolerance import assert_close, least_precise, tolerance, index_str

SPECIALS = (0.0,) + EXTREMES
NORM_EPS = (1e-5, 1e-3, 0.1)        # PyTorch and CS231n default 1e-5; 0.1 tells the eps placements apart in float32
MOMENTA = (0.9, 0.99, 0.8, 0.1)     # old-weight momenta (CS231n: 0.9); never 0.5, where both readings agree
DROP_P = (0.1, 0.25, 0.5, 0.6, 0.8)  # drop ratios: p != 0.5 tells "p" from "keep probability"
STAT_P = (0.2, 0.3, 0.6, 0.75, 0.8)  # p(1-p) >= 0.16: a forgotten 1/(1-p) is >= 17 standard errors away
STAT_SAMPLES = 2000                 # identical rows = independent samples of each unit's mask
Z_BOUND = 6.0                       # per statistic; binomial tails at K = 2000 are slightly heavier than normal


# -- conventions ----------------------------------------------------------------------------------

FORM = Convention("form", "inverted", {
    "inverted": "train: x * mask / (1 - p); eval: x (CS231n, PyTorch)",
    "direct": "train: x * mask; eval: x * (1 - p) (the book's Dropout)"}, accepted=("inverted", "direct"))
EPS_PLACEMENT = Convention("eps_placement", "inside_sqrt", {
    "inside_sqrt": "x_hat = (x - mean) / sqrt(var + eps) (CS231n, the book, PyTorch)",
    "outside_sqrt": "x_hat = (x - mean) / (sqrt(var) + eps)"})
RUNNING_MOMENTUM = Convention("running_momentum", "old_weight", {
    "old_weight": "running = momentum * running + (1 - momentum) * batch (CS231n, the book; momentum 0.9)",
    "new_weight": "running = (1 - momentum) * running + momentum * batch (PyTorch nn.BatchNorm; momentum 0.1): "
                  "the same as old_weight under momentum_torch = 1 - momentum; reported when an implementation "
                  "reads the specification's number as PyTorch's"}, accepted=("old_weight", "new_weight"))
RUNNING_VAR = Convention("running_var", "biased", {
    "biased": "the running variance tracks the biased batch variance used for normalisation (CS231n, the book)",
    "unbiased": "the running variance tracks M/(M-1) times it (PyTorch)"}, accepted=("biased", "unbiased"))
# eps in real code: 1e-5 (CS231n, PyTorch), 1e-6 (the book's 10e-7), 1e-7, 1e-8.  Where a dialect can pass eps
# in (CS231n's bn_param, PyTorch, a manifest) the case's eps is the specification and these readings coincide
# with it; where it cannot (the book's BatchNormalization: hp eps_source = "hard_coded"), each named value is a
# variant and the one that explains the output is reported.
HARD_CODED_EPS = {"1e-5": 1e-5, "1e-6": 1e-6, "1e-7": 1e-7, "1e-8": 1e-8}
EPS_VALUE = Convention("eps", "passed", {
    "passed": "eps is the hyper-parameter passed in (CS231n's bn_param['eps'], PyTorch's eps)",
    "1e-5": "eps = 1e-5 hard-coded (PyTorch's and CS231n's default)",
    "1e-6": "eps = 1e-6 hard-coded (the book's 10e-7)",
    "1e-7": "eps = 1e-7 hard-coded", "1e-8": "eps = 1e-8 hard-coded"},
    accepted=("passed", "1e-5", "1e-6", "1e-7", "1e-8"))
BN_CONVENTIONS = (EPS_PLACEMENT, RUNNING_MOMENTUM, RUNNING_VAR, EPS_VALUE)


def bn_eps(c, v) -> float:
    """The eps of a batch-norm case under variant v: the case's own unless the dialect hard-codes it."""
    if c.hp.get("eps_source") == "hard_coded" and v.get("eps", "passed") in HARD_CODED_EPS:
        return HARD_CODED_EPS[v["eps"]]
    return c["eps"]


def _accepted(component, ctx, name: str) -> list:
    """The accepted variants of one convention (the rubric's, else the record's), default first."""
    return list(dict.fromkeys(v[name] for v in component.variant_combinations(ctx.accept)))


# -- strategies -----------------------------------------------------------------------------------

def _spread(x: np.ndarray, axes, *, floor: float, dead=None) -> np.ndarray:
    """Give every slice normalised together (the elements over ``axes``) a standard deviation of at least
    ``floor`` (and 1e-3 of its largest magnitude) by replacing a flatter slice with a ramp; slice number
    ``dead`` becomes all zeros instead (a dead ReLU feature: variance 0, valid since eps is inside the root,
    computed exactly in any precision).  Near-constant slices are excluded because their x_hat is rounding
    noise amplified by 1/sqrt(eps), which no float32 implementation reproduces."""
    axes = tuple(axes)
    kept = [a for a in range(x.ndim) if a not in axes]
    perm = kept + list(axes)
    t = np.transpose(x, perm)
    m = int(np.prod([x.shape[a] for a in axes]))
    rows = t.reshape(-1, m).copy()
    for i, r in enumerate(rows):
        if i == dead:
            rows[i] = 0.0
        elif m >= 2 and r.std() < max(floor, 1e-3 * np.abs(r).max()):
            rows[i] = np.round(1.5 * np.linspace(-1.0, 1.0, m) + 0.25 * i, 2)  # std >= 0.86
    return np.transpose(rows.reshape(t.shape), np.argsort(perm))


def _param(draw, n, *, smooth, specials=(0.0, 1.0), scale=1.0):
    return draw(values((n,), scale=scale, specials=specials, smooth=smooth, kinks=()))


def dropout_cases(*, dtype=np.float64, smooth=False):
    """Case(x; p, mode, seed): x of 1-3 axes with zeros (ambiguous under the mask) and +-1000."""
    dtype = check_dtype(dtype)
    @st.composite
    def build(draw):
        x = draw(values(st.integers(1, 3).flatmap(lambda n: st.tuples(*[st.integers(1, 4)] * n)), dtype=dtype,
                        scale=2.0, specials=SPECIALS, smooth=smooth, kinks=()))
        return Case({"x": x}, hp={"mode": draw(st.sampled_from(("train", "eval"))), "p": draw(st.sampled_from(DROP_P)),
                                  "seed": draw(st.integers(0, 2**16))})
    return build()


def dropout_stat_cases(*, dtype=np.float64, smooth=False):
    """Train-mode Case with x = one row of 2-6 nonzero values (|x| >= 0.1) repeated STAT_SAMPLES times: each
    column is STAT_SAMPLES independent draws of one unit's mask, and an output 0 means dropped."""
    dtype = check_dtype(dtype)
    @st.composite
    def build(draw):
        d = draw(st.integers(2, 6))
        row = draw(values((d,), scale=2.0, smooth=True, kinks=(0.0,), gap=0.1))
        x = np.tile(row, (STAT_SAMPLES, 1)).astype(dtype)
        return Case({"x": x}, hp={"mode": "train", "p": draw(st.sampled_from(STAT_P)),
                                  "seed": draw(st.integers(0, 2**16))})
    return build()


def batch_norm_cases(*, spatial: bool = False, mode: str | None = None):
    """Strategy factory for batch_norm (x (N, D)) and spatial_batch_norm (x (N, C, H, W)); ``hard_coded_eps``
    (a dialect whose layer cannot take eps) marks the cases hp eps_source = "hard_coded" (see EPS_VALUE).

    Train mode draws at least M = 2 elements per feature: with one, the batch variance is 0, x_hat is 0
    and the unbiased running variance divides by M - 1 = 0 (PyTorch raises "Expected more than 1 value per
    channel when training"), so N = 1 is drawn in eval mode only.  Features are spread (see _spread), one may
    be dead (all zeros).  running_var >= 0.1; eps from NORM_EPS; momentum from MOMENTA.
    """
    def cases(*, dtype=np.float64, smooth=False, hard_coded_eps=False):
        dtype = check_dtype(dtype)

        @st.composite
        def build(draw):
            md = mode or draw(st.sampled_from(("train", "eval")))
            if spatial:
                n, c, h, w = draw(st.tuples(*[st.integers(1, 3)] * 4))
                shape = (2 if md == "train" and n * h * w < 2 else n, c, h, w)
            else:
                shape = (draw(st.integers(2 if md == "train" else 1, 4)), draw(st.integers(1, 4)))
            f = shape[1]
            x = draw(values(shape, scale=2.0, specials=SPECIALS, smooth=smooth, kinks=()))
            if md == "train":
                dead = None if smooth else draw(st.one_of(st.none(), st.integers(0, f - 1)))
                x = _spread(x, [a for a in range(x.ndim) if a != 1], floor=0.5 if smooth else 0.3, dead=dead)
                if hard_coded_eps and not smooth:  # a narrow feature (variance ~1e-5): the named eps values
                    x[:, 0] = x[:, 0] * 0.01            # differ by far more than the tolerance there
            arrays = {"x": x, "gamma": _param(draw, f, smooth=smooth), "beta": _param(draw, f, smooth=smooth)}
            consts = {"running_mean": _param(draw, f, smooth=True),
                      "running_var": np.round(np.abs(_param(draw, f, smooth=True)), 2) + 0.1}
            if hard_coded_eps and not smooth:
                consts["running_var"][0] = 1e-4
            hp = {"mode": md, "eps": draw(st.sampled_from(NORM_EPS)), "momentum": draw(st.sampled_from(MOMENTA))}
            if hard_coded_eps:
                hp["eps_source"] = "hard_coded"
            return Case(arrays, consts, hp).astype(dtype)
        return build()
    return cases


def layer_norm_cases(*, dtype=np.float64, smooth=False):
    """x (N, D) with D >= 2, every row spread (one may be all zeros); gamma, beta (D,); eps."""
    dtype = check_dtype(dtype)
    @st.composite
    def build(draw):
        n, d = draw(st.integers(1, 4)), draw(st.integers(2, 5))
        x = draw(values((n, d), scale=2.0, specials=SPECIALS, smooth=smooth, kinks=()))
        dead = None if smooth else draw(st.one_of(st.none(), st.integers(0, n - 1)))
        x = _spread(x, (1,), floor=0.5 if smooth else 0.3, dead=dead)
        return Case({"x": x, "gamma": _param(draw, d, smooth=smooth), "beta": _param(draw, d, smooth=smooth)},
                    hp={"eps": draw(st.sampled_from(NORM_EPS))}).astype(dtype)
    return build()


def group_norm_cases(*, dtype=np.float64, smooth=False):
    """x (N, C, H, W) with C = G * k, at least 2 elements per group, every group spread (one may be all
    zeros); gamma, beta (C,); hp G, eps."""
    dtype = check_dtype(dtype)
    @st.composite
    def build(draw):
        n, g, k, h, w = draw(st.tuples(*[st.integers(1, 3)] * 5))
        w = 2 if k * h * w < 2 else w
        x = draw(values((n, g * k, h, w), scale=2.0, specials=SPECIALS, smooth=smooth, kinks=()))
        dead = None if smooth else draw(st.one_of(st.none(), st.integers(0, n * g - 1)))
        x = _spread(x.reshape(n, g, k, h, w), (2, 3, 4), floor=0.5 if smooth else 0.3, dead=dead).reshape(x.shape)
        return Case({"x": x, "gamma": _param(draw, g * k, smooth=smooth), "beta": _param(draw, g * k, smooth=smooth)},
                    hp={"G": g, "eps": draw(st.sampled_from(NORM_EPS))}).astype(dtype)
    return build()


# -- dropout checks -------------------------------------------------------------------------------

def _dropout_fit(x, out, p, mode, form, rtol, atol) -> np.ndarray:
    """Which elements of ``out`` are consistent with ``form``: 0 or x * scale at train, x * scale at eval."""
    want = x.astype(np.float64) * ref.dropout_scale(p, mode, form)
    o = out.astype(np.float64)
    with np.errstate(invalid="ignore"):
        ok = np.abs(o - want) <= atol + rtol * np.abs(want)
    return ok | (o == 0) if mode == "train" else ok


def _shape_ok(name, got, want, where):
    if np.shape(got) != np.shape(want):
        raise SpecViolation(f"{name}.shape={np.shape(got)}, but should be {np.shape(want)} [{where}]")


def _deterministic(component, impl, case, got=None):
    """Two forward calls with the same seed agree, on the case and on a 64-unit probe (so that an
    implementation ignoring the seed fails every time, not only when two small masks happen to differ:
    Hypothesis replays a failure to shrink it, and a failure that does not replay is reported as flaky)."""
    probe = Case({"x": np.linspace(1.0, 2.0, 64).reshape(8, 8).astype(case["x"].dtype)}, hp=dict(case.hp))
    for c, first in ((case, got), (probe, None)):
        first = call_forward(impl, c.copy())["out"] if first is None else first
        again = call_forward(impl, c.copy())["out"]
        if np.shape(first) == np.shape(again) and not np.array_equal(first, again, equal_nan=True):
            i = tuple(int(k) for k in np.argwhere(~((first == again) | (np.isnan(first) & np.isnan(again))))[0])
            raise SpecViolation(f"out{index_str(i)}={float(again[i]):.8g} on a second call, but should be "
                                f"{float(first[i]):.8g} as on the first: the mask must be a function of hp "
                                f"seed={case['seed']} [{where_of(component, 'forward', c)}]")


def dropout_forward_consistent(component, impl, case, ctx):
    """train: every element is 0 or x * scale of one accepted form (inverted 1/(1-p), direct 1); eval: the
    output equals x * scale (inverted 1, direct 1-p); two calls with the same seed agree."""
    x, p, mode = case["x"], case["p"], case["mode"]
    where = where_of(component, "forward", case)
    got = call_forward(impl, case.copy())["out"]
    _shape_ok("out", got, x, where)
    _deterministic(component, impl, case, got)
    rtol, atol = tolerance(component, least_precise(x.dtype, got.dtype), "forward")
    accepted = _accepted(component, ctx, "form")
    fits = {f: _dropout_fit(x, got, p, mode, f, rtol, atol) for f in FORM.variants}
    for f in accepted:
        if fits[f].all():
            return {"variant": {"form": f}}
    f0 = accepted[0]
    s = ref.dropout_scale(p, mode, f0)
    i = tuple(np.argwhere(~fits[f0])[0])
    should = (f"0 or x*{s:.6g}={float(x[i]) * s:.8g}" if mode == "train" else f"x*{s:.6g}={float(x[i]) * s:.8g}")
    msg = f"out{index_str(i)}={float(got[i]):.8g}, but should be {should} (form={f0}, p={p}) [{where}]"
    other = [f for f in FORM.variants if f not in accepted and fits[f].all()]
    if other:
        msg += f" (matches variant form={other[0]}, which is not accepted)"
    elif mode == "train" and x[i] != 0 and np.isclose(float(got[i]) / float(x[i]), 1 / p, rtol=10 * rtol):
        msg += " (scale 1/p: p read as the keep probability?)"
    raise SpecViolation(msg, stats={"mismatched": f"{int((~fits[f0]).sum())} / {x.size}"},
                        variant={"form": other[0]} if other else None)


def dropout_backward_consistent(component, impl, case, ctx):
    """dx = dout * mask * scale, with the mask recovered from the forward output of the same seed (kept iff
    out != 0 where x != 0) and the scale of the accepted form the forward matched; where x == 0 the mask is
    unknown and both 0 and dout * scale are accepted.  eval: dx = dout * scale."""
    x, p, mode = case["x"], case["p"], case["mode"]
    where = where_of(component, "backward", case)
    out = call_forward(impl, case.copy())["out"]
    _shape_ok("out", out, x, where_of(component, "forward", case))
    _deterministic(component, impl, case, out)
    dout = make_dout(component, x).astype(case.dtype)
    got = call_backward(impl, case.copy(), dout.copy())
    if "x" not in got:
        raise SpecViolation(f"dx is missing from the result, but should be returned [{where}]")
    dx = got["x"]
    _shape_ok("dx", dx, x, where)
    frtol, fatol = tolerance(component, least_precise(x.dtype, out.dtype), "forward")
    rtol, atol = tolerance(component, least_precise(x.dtype, dx.dtype), "backward")
    accepted = _accepted(component, ctx, "form")
    forms = [f for f in accepted if _dropout_fit(x, out, p, mode, f, frtol, fatol).all()] or accepted
    d64, g64 = dout.astype(np.float64), dx.astype(np.float64)
    kept = (out != 0) | (x == 0) if mode == "train" else np.ones(x.shape, dtype=bool)
    first = None
    for f in forms:
        s = ref.dropout_scale(p, mode, f)
        expected = np.where(kept, d64 * s, 0.0)
        if mode == "train":  # x == 0: dropped or kept cannot be told from the output; take the closer one
            with np.errstate(invalid="ignore"):
                dropped_closer = np.abs(g64) < np.abs(g64 - d64 * s)
            expected = np.where((x == 0) & dropped_closer, 0.0, expected)
        try:
            assert_close(dx, expected, rtol=rtol, atol=atol, name="dx",
                         where=f"{where}, mask recovered from the forward output, form={f}")
            return {"variant": {"form": f}}
        except SpecViolation as e:
            first = first or e
    raise first


def _stat_outputs(impl, case):
    x = case["x"]
    tr = call_forward(impl, case.copy())["out"]
    ev = call_forward(impl, Case({"x": x.copy()}, hp={**case.hp, "mode": "eval"}))["out"]
    _shape_ok("out", tr, x, "dropout_forward (train)")
    _shape_ok("out", ev, x, "dropout_forward (eval)")
    return tr.astype(np.float64), ev.astype(np.float64)


def dropout_train_expectation(component, impl, case, ctx):
    """Over STAT_SAMPLES identical rows, the mean of the train output of each unit equals the eval output
    within Z_BOUND standard errors (inverted: E[x m/(1-p)] = x; direct: E[x m] = x(1-p)).  Catches a
    forgotten 1/(1-p), a train/eval form mix-up and a mask shared across the batch."""
    tr, ev = _stat_outputs(impl, case)
    k = tr.shape[0]
    rtol, atol = tolerance(component, least_precise(case.dtype), "forward")
    mean, target = tr.mean(axis=0), ev.mean(axis=0)
    se = np.maximum(tr.std(axis=0, ddof=1) / np.sqrt(k), atol + rtol * np.abs(target))
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.abs(mean - target) / se
    z = np.where(np.isnan(z), np.inf, z)
    j = int(np.argmax(z))
    if z[j] > Z_BOUND:
        raise SpecViolation(
            f"out[:, {j}].mean()={mean[j]:.6g} over {k} train samples, but should be {target[j]:.6g} (the eval "
            f"output) within {Z_BOUND:g} standard errors (z={z[j]:.3g}) [dropout_forward at p={case['p']}, "
            f"seed={case['seed']}, x[0]={np.round(case['x'][0].astype(np.float64), 4).tolist()}]",
            stats={"standard_error": f"{se[j]:.3g}", "ratio_mean_to_eval": f"{mean[j] / target[j]:.4g}"
                   if target[j] else "n/a"})
    return {"max_z": round(float(z.max()), 2)}


def dropout_drop_share(component, impl, case, ctx):
    """In train mode the share of dropped units (out == 0, with every x != 0) is p within Z_BOUND standard
    errors of a binomial share (p is the drop ratio; a mask built from p as the keep probability drops 1-p)."""
    tr, _ = _stat_outputs(impl, case)
    p, n = case["p"], tr.size
    share = float(np.mean(tr == 0))
    z = (share - p) / np.sqrt(p * (1 - p) / n)
    if not abs(z) <= Z_BOUND:
        hint = " (1 - p: p read as the keep probability?)" if abs(share - (1 - p)) < 0.05 else ""
        raise SpecViolation(f"share of dropped units={share:.4g}, but should be p={p} within {Z_BOUND:g} standard "
                            f"errors (z={z:.3g}, {n} units){hint} [dropout_forward (train) at seed={case['seed']}]")
    return {"z": round(float(z), 2)}


# -- normalisation checks -------------------------------------------------------------------------

def standardised(view, describe, *, train_only: bool = False):
    """Property factory: with gamma = 1 and beta = 0 each normalised slice of the output has mean 0 and
    variance 1, up to the eps shrinkage var/denominator(var)^2 of an accepted eps placement (so a dead
    slice, variance 0, only needs mean 0).  view(a, case) -> (array, axes normalised together)."""
    def check(component, impl, case, ctx):
        c = case.replace(gamma=np.ones_like(case["gamma"]), beta=np.zeros_like(case["beta"]))
        where = f"{component.name}_forward with gamma=1, beta=0 at {case!r}"
        out = call_forward(impl, c)["out"]
        _shape_ok("out", out, case["x"], where)
        o, axes = view(out.astype(np.float64), case)
        xv, _ = view(case["x"].astype(np.float64), case)
        mean_o, var_o, var_x = o.mean(axis=axes), o.var(axis=axes), xv.var(axis=axes)
        eps = case["eps"]
        readings = {bn_eps(case, v) for v in component.variant_combinations(ctx.accept)} if any(
            cv.name == "eps" for cv in component.conventions) else {eps}
        lo = np.min([var_x / ref.denominator(var_x, e, pl) ** 2
                     for pl in _accepted(component, ctx, "eps_placement") for e in readings], axis=0)
        rtol, atol = tolerance(component, least_precise(case.dtype, out.dtype), "forward")
        tol = 10 * (rtol + atol)
        with np.errstate(invalid="ignore"):
            bad_mean = ~(np.abs(mean_o) <= tol)
            bad_var = ~((var_o >= lo - tol) & (var_o <= 1 + tol))
        if bad_mean.any():
            i = tuple(np.argwhere(bad_mean)[0])
            raise SpecViolation(f"{describe(i)}.mean()={mean_o[i]:.8g}, but should be 0 [{where}]")
        if bad_var.any():
            i = tuple(np.argwhere(bad_var)[0])
            raise SpecViolation(f"{describe(i)}.var()={var_o[i]:.8g}, but should be 1 (at least {lo[i]:.8g} "
                                f"with eps={eps} and the slice's variance {var_x[i]:.6g}) [{where}]")
        return {}
    return check


def _bn_view(a, case):
    return a, tuple(i for i in range(a.ndim) if i != 1)


def _gn_view(a, case):
    n, c = a.shape[:2]
    return a.reshape(n, case["G"], c // case["G"], *a.shape[2:]), (2, 3, 4)


# -- PyTorch counterparts -------------------------------------------------------------------------

def _torch():
    import torch
    import torch.nn.functional as F
    return torch, F


def _torch_dropout(t, c, v):
    """PyTorch's CPU dropout with an explicit generator: at::dropout on CPU is
    ``input * empty_like(input).bernoulli_(1 - p).div_(1 - p)``; the noise is drawn here on the CPU from
    torch.Generator().manual_seed(seed) (no global RNG state touched, the same mask on CPU and CUDA) and
    applied on the input's device.  Eval is F.dropout(training=False), the identity."""
    torch, F = _torch()
    x, p = t["x"], c["p"]
    if c["mode"] != "train":
        return F.dropout(x, p, training=False)
    g = torch.Generator().manual_seed(int(c["seed"]))
    noise = torch.empty(tuple(x.shape), dtype=x.dtype).bernoulli_(1 - p, generator=g).div_(1 - p)
    return x * noise.to(x.device)


def _torch_batch_norm(t, c, v):
    """F.batch_norm updates the running tensors in place (copies here) with momentum_torch = 1 - momentum
    (the mapping to the old_weight convention) and stores the *unbiased* batch variance: it matches the
    accepted variant running_var=unbiased."""
    torch, F = _torch()
    rm, rv = t["running_mean"].clone(), t["running_var"].clone()
    out = F.batch_norm(t["x"], rm, rv, t["gamma"], t["beta"], training=c["mode"] == "train",
                       momentum=1.0 - c["momentum"], eps=c["eps"])
    return {"out": out, "running_mean": rm, "running_var": rv}


# -- records --------------------------------------------------------------------------------------

DROPOUT_GENERIC = ("backward_matches_finite_differences", "does_not_mutate_inputs", "preserves_dtype",
                   "batch_rows_independent", "finite_outputs")


def _bn_kw(c, v):
    return dict(mode=c["mode"], eps=bn_eps(c, v), momentum=c["momentum"], eps_placement=v["eps_placement"],
                running_momentum=v["running_momentum"], running_var_kind=v["running_var"])


def _bn_record(name, spatial):
    axes = "N, H, W per channel" if spatial else "N per feature"
    return Component(
        name=name, kind="layer", couples_batch=True, built_from=("batch_norm",) if spatial else (),
        doc=f"train: x_hat = (x - mean) / sqrt(var + eps) over {axes} (biased var), out = gamma x_hat + beta, "
            "running = momentum running + (1 - momentum) batch; eval: the running statistics normalise. "
            "Outputs out, running_mean, running_var; gradients through the batch statistics in train mode",
        forward=lambda c, v: ref.batch_norm(c["x"], c["gamma"], c["beta"], c["running_mean"], c["running_var"],
                                            **_bn_kw(c, v)),
        backward=lambda c, d, v: ref.batch_norm_backward(d, c["x"], c["gamma"], c["beta"], c["running_mean"],
                                                         c["running_var"], **_bn_kw(c, v)),
        torch=_torch_batch_norm, cases=batch_norm_cases(spatial=spatial), conventions=BN_CONVENTIONS,
        properties=(Property("train_output_standardised", standardised(
            _bn_view, (lambda i: f"out[:, {i[0]}]") if not spatial else (lambda i: f"out[:, {i[0]}, :, :]")),
            "train mode, gamma=1, beta=0: every feature of the output has mean 0 and variance 1 (up to eps)",
            cases=batch_norm_cases(spatial=spatial, mode="train")),))


COMPONENTS = [
    Component(
        name="dropout", kind="layer",
        doc="p is the drop ratio; train: out = x * mask / (1 - p) with P(mask = 1) = 1 - p (inverted) or "
            "x * mask (direct); eval: x (inverted) or x * (1 - p) (direct); dx = dout * mask * scale; "
            "deterministic given hp seed",
        forward=lambda c, v: ref.dropout(c["x"], c["p"], c["mode"], c["seed"], v["form"]),
        backward=lambda c, d, v: {"x": ref.dropout_backward(d, c["x"], c["p"], c["mode"], c["seed"], v["form"])},
        torch=_torch_dropout, cases=dropout_cases, conventions=(FORM,), generic=DROPOUT_GENERIC,
        properties=(
            Property("forward_matches_reference", dropout_forward_consistent,
                     "train: each element is 0 or x * scale of an accepted form; eval: equals the reference; "
                     "the same seed gives the same output (the mask itself is the implementation's own)"),
            Property("backward_matches_reference", dropout_backward_consistent,
                     "dx = dout * mask * scale with the mask recovered from the forward output (x == 0: either)"),
            Property("train_expectation_matches_eval", dropout_train_expectation,
                     f"the mean of {STAT_SAMPLES} train outputs equals the eval output within {Z_BOUND:g} "
                     "standard errors", cases=dropout_stat_cases),
            Property("drop_share_matches_p", dropout_drop_share,
                     f"the share of dropped units is p within {Z_BOUND:g} standard errors", cases=dropout_stat_cases),
        )),
    _bn_record("batch_norm", spatial=False),
    _bn_record("spatial_batch_norm", spatial=True),
    Component(
        name="layer_norm", kind="layer",
        doc="each row of x (N, D) normalised over D: x_hat = (x - mean) / sqrt(var + eps) (biased var), "
            "out = gamma x_hat + beta; no running statistics, rows independent",
        forward=lambda c, v: ref.layer_norm(c["x"], c["gamma"], c["beta"], eps=c["eps"],
                                            eps_placement=v["eps_placement"]),
        backward=lambda c, d, v: ref.layer_norm_backward(d, c["x"], c["gamma"], c["beta"], eps=c["eps"],
                                                         eps_placement=v["eps_placement"]),
        torch=lambda t, c, v: _torch()[1].layer_norm(t["x"], (t["x"].shape[-1],), t["gamma"], t["beta"], c["eps"]),
        cases=layer_norm_cases, conventions=(EPS_PLACEMENT,),
        properties=(Property("rows_standardised", standardised(lambda a, c: (a, (1,)), lambda i: f"out[{i[0]}, :]"),
                             "gamma=1, beta=0: every row of the output has mean 0 and variance 1 (up to eps)"),)),
    Component(
        name="group_norm", kind="layer",
        doc="x (N, C, H, W), G groups of C/G consecutive channels: each (sample, group) normalised over "
            "(C/G, H, W) (biased var, eps inside the root); out = gamma x_hat + beta, gamma, beta (C,)",
        forward=lambda c, v: ref.group_norm(c["x"], c["gamma"], c["beta"], c["G"], eps=c["eps"],
                                            eps_placement=v["eps_placement"]),
        backward=lambda c, d, v: ref.group_norm_backward(d, c["x"], c["gamma"], c["beta"], c["G"], eps=c["eps"],
                                                         eps_placement=v["eps_placement"]),
        torch=lambda t, c, v: _torch()[1].group_norm(t["x"], c["G"], t["gamma"], t["beta"], c["eps"]),
        cases=group_norm_cases, conventions=(EPS_PLACEMENT,),
        properties=(Property("groups_standardised", standardised(
            _gn_view, lambda i: f"out[{i[0]}, group {i[1]}]"),
            "gamma=1, beta=0: every (sample, group) of the output has mean 0 and variance 1 (up to eps)"),)),
]
