"""Records for the initialisers: he_init, xavier_init.

A case is ``Case(hp={"fan_in", "fan_out", "seed", "dtype"})``; ``forward`` returns one sample of shape
``(fan_in, fan_out)`` (the book's layout) in ``dtype``.  A grader calls ``init(fan_in, fan_out)`` (seeding
NumPy's global generator with ``seed`` first when the submission takes no seed) and casts nothing.

A sample is random, so it is never compared elementwise with the reference: the generic properties are
restricted to preserves_dtype (the dtype is the hyper-parameter ``dtype``), and statistical properties
judge the sample; both statistical properties first require every element to be finite (a generic
finite_outputs check would have no input that could make a sane initialiser overflow).  Fans are
32..256, so each sample has N >= 1024 elements; the variance interval is the normal approximation to
the chi-square one, var/target in 1 +- 6 sqrt(2 / (N - 1)) (at most +-27%), which a wrong scale misses by
far more: std 1 or 0.01 (the book's default ``weight_init_std``), or the variance set to sqrt(2/n) where
the std should be (seed 000's claim) give ratios of >= 4 or <= 1/4.  Six sigma keeps a correct
implementation with an unseeded generator from failing by chance (p ~ 2e-9 per example).
The interval assumes a normal sample; a uniform one with the same variance (kaiming_uniform_,
Glorot uniform) has a narrower sampling distribution, so it passes too.
"""
from __future__ import annotations

import numpy as np

from ..tolerance import index_str
from hypothesis import strategies as st

from ..checks import call_forward, far_apart, where_of
from ..errors import SpecViolation
from ..record import Case, Component, Convention, Property
from ..reference import init as ref

Z = 6.0  # sigmas of the confidence intervals
FAN = (32, 256)


def init_cases(*, dtype=np.float64, smooth=False):
    """Case(hp={fan_in, fan_out, seed, dtype}) with fans in [32, 256]."""
    return st.builds(lambda fi, fo, seed: Case(hp={"fan_in": fi, "fan_out": fo, "seed": seed,
                                                   "dtype": np.dtype(dtype).name}),
                     st.integers(*FAN), st.integers(*FAN), st.integers(0, 2**16))


def _sample(component, impl, case) -> np.ndarray:
    w = call_forward(impl, case.copy())["out"]
    want = (case["fan_in"], case["fan_out"])
    if w.size != want[0] * want[1]:
        raise SpecViolation(f"out.size={w.size}, but should be {want[0] * want[1]} "
                            f"[{where_of(component, 'forward', case)}]")
    w = w.astype(np.float64)
    if not np.isfinite(w).all():
        i = tuple(int(j) for j in np.argwhere(~np.isfinite(w))[0])
        raise SpecViolation(f"out{index_str(i)}={w[i]}, but should be finite [{where_of(component, 'forward', case)}]")
    return w.reshape(-1)


def shape(component, impl, case, ctx):
    """out.shape == (fan_in, fan_out): the book's x @ W layout, not PyTorch's (out, in)."""
    w = call_forward(impl, case.copy())["out"]
    want = (case["fan_in"], case["fan_out"])
    if w.shape != want:
        hint = " (PyTorch's (out, in) layout)" if w.shape == want[::-1] else ""
        raise SpecViolation(f"out.shape={w.shape}, but should be {want}{hint} [{where_of(component, 'forward', case)}]")
    return {}


def mean_near_zero(component, impl, case, ctx):
    """|mean| <= 6 s / sqrt(N): the sample is centred at 0 (np.random.rand is not)."""
    w = _sample(component, impl, case)
    m, s = float(w.mean()), float(w.std(ddof=1))
    bound = Z * s / np.sqrt(w.size)
    if not abs(m) <= bound:
        raise SpecViolation(f"mean(out)={m:.4g}, but should be 0 within +-{bound:.3g} (6 standard errors) "
                            f"[{where_of(component, 'forward', case)}]", stats={"std": f"{s:.4g}", "N": w.size})
    return {}


def _shape(w, s2) -> str:
    """How the sample is distributed, from its extreme: "truncated" (within ~2.27 of its std: a normal truncated
    at 2 std, corrected or not), "normal" (beyond 2.45 std: for N >= 1024 a normal sample is, but with
    probability < 1e-6), or "" (bounded more tightly, e.g. a uniform one: no evidence either way)."""
    r = float(np.max(np.abs(w - w.mean()))) / np.sqrt(s2) if s2 > 0 else 0.0
    return "normal" if r > 2.45 else "truncated" if r > 2.05 else ""


def variance_in_confidence_interval(target):
    """var(out) / target in 1 +- 6 sqrt(2 / (N - 1)) for an accepted variant's target(hp, variant)."""
    def check(component, impl, case, ctx):
        w = _sample(component, impl, case)
        s2, half = float(w.var(ddof=1)), Z * np.sqrt(2.0 / (w.size - 1))
        fits = lambda v: abs(s2 / target(case.hp, v) - 1) <= half
        shape = _shape(w, s2)
        consistent = lambda v: not shape or (v.get("distribution", "normal") == "normal") == (shape == "normal")
        accepted = component.variant_combinations(ctx.accept)
        for v in accepted:
            if fits(v) and consistent(v):
                return {"variant": v, "ratio": s2 / target(case.hp, v)}
        v0 = accepted[0]
        t = target(case.hp, v0)
        what = "; ".join(component.convention(k).variants[x].split(":")[0] for k, x in v0.items())
        msg = (f"var(out)={s2:.4g}, but should be {t:.4g} ({what}) within [{t * (1 - half):.4g}, {t * (1 + half):.4g}] [{where_of(component, 'forward', case)}]")
        everything = component.variant_combinations({c.name: tuple(c.variants) for c in component.conventions})
        # a variant is the cause only if its target is far from the default's (fan_in=32, fan_out=33: it is not),
        # or if the sample's shape says so (bounded at 2 std: a truncated normal) and it is consistent with that
        named = [v for v in everything if v not in accepted and fits(v) and consistent(v)
                 and (far_apart(target(case.hp, v) / t, 1, half)
                      or (shape == "truncated" and v.get("distribution") != "normal"))]
        departs = lambda v: min(sum(v[k] != a[k] for k in v) for a in accepted)
        named.sort(key=lambda v: (departs(v), abs(s2 / target(case.hp, v) - 1)))  # fewest departures, best fit
        if named:
            msg += " (matches variant " + ", ".join(f"{k}={x}" for k, x in named[0].items()) + ", which is not accepted)"
        raise SpecViolation(msg, stats={"ratio": f"{s2 / t:.4g}", "std": f"{np.sqrt(s2):.4g}", "N": w.size},
                            variant=named[0] if named else None)
    return check


def torch_init(fn):
    """Counterpart: ``torch.nn.init`` on a PyTorch-layout (fan_out, fan_in) tensor, transposed to the
    book's (fan_in, fan_out); seeded through a torch.Generator."""
    def run(t, c, v):
        import torch
        w = torch.empty(c["fan_out"], c["fan_in"], dtype=getattr(torch, c["dtype"]))
        fn(torch.nn.init, w, v, torch.Generator().manual_seed(c["seed"]))
        return w.T
    return run


DISTRIBUTION = Convention("distribution", "normal", {
    "normal": "drawn from the normal with the target variance (He et al., the book, torch.nn.init)",
    "truncated": "the normal truncated at 2 std, the std divided by 0.8796 so the variance is the target "
                 "(Keras' he_normal / glorot_normal)",
    "truncated_uncorrected": "the normal truncated at 2 std without correcting the std: variance 0.77x the target "
                             "(a bug: numpy-ml 0.1.2's he_normal / glorot_normal)"}, accepted=("normal", "truncated"))


def initializer(name, fn, target, torch_fn, doc, convention):
    scaled = lambda hp, v: target(hp, v) * ref.DISTRIBUTION_VARIANCE[v.get("distribution", "normal")]
    return Component(
        name=name, kind="initializer", doc=doc,
        forward=lambda c, v: fn(c["fan_in"], c["fan_out"], c["seed"], c["dtype"], **v),
        torch=torch_init(torch_fn), cases=init_cases, conventions=(convention, DISTRIBUTION),
        generic=("preserves_dtype",),
        properties=(Property("shape", shape, "out.shape == (fan_in, fan_out), the book's layout"),
                    Property("mean_near_zero", mean_near_zero, "the sample mean is 0 within 6 standard errors"),
                    Property("variance_in_confidence_interval", variance_in_confidence_interval(scaled),
                             "the sample variance is the target within a 6-sigma chi-square (normal "
                             "approximation) interval")))


COMPONENTS = [
    initializer("he_init", ref.he_init, lambda hp, v: ref.he_variance(hp["fan_in"], hp["fan_out"], v["mode"]),
                lambda init, w, v, g: init.kaiming_normal_(w, mode=v["mode"], nonlinearity="relu", generator=g),
                "W ~ N(0, 2 / fan_in), shape (fan_in, fan_out); torch: kaiming_normal_(mode='fan_in', "
                "nonlinearity='relu') on the (out, in) tensor",
                Convention("mode", "fan_in", {
                    "fan_in": "Var = 2 / fan_in: He et al., the book, kaiming_normal_(mode='fan_in') on (out, in)",
                    "fan_out": "Var = 2 / fan_out: mode='fan_out', or kaiming_normal_ applied to the book's "
                               "(in, out) layout"})),
    initializer("xavier_init", ref.xavier_init,
                lambda hp, v: ref.xavier_variance(hp["fan_in"], hp["fan_out"], v["variance"]),
                # xavier_normal_ is Glorot's; the gain sqrt((in + out) / (2 in)) turns it into the book's 1/fan_in
                lambda init, w, v, g: init.xavier_normal_(w, generator=g, gain=1.0 if v["variance"] == "glorot"
                                                          else float(np.sqrt(sum(w.shape) / (2.0 * w.shape[1])))),
                "W ~ N(0, 1 / fan_in) (the book's sqrt(1/n)); Glorot's 2 / (fan_in + fan_out) is accepted",
                Convention("variance", "book", {
                    "book": "Var = 1 / fan_in: the book's Xavier, sqrt(1 / n) with n = fan_in",
                    "glorot": "Var = 2 / (fan_in + fan_out): Glorot & Bengio, torch.nn.init.xavier_normal_"},
                    accepted=("book", "glorot"))),
]
