"""Records for the optimizers: sgd, momentum, nesterov, adagrad, rmsprop, adam.

A case is ``Case(arrays={"param": w0}, consts={"grads": G}, hp={...})`` with ``G`` of shape
``(K, *w0.shape)``, K = 1..5 steps, exact zero gradients and +-1000 among the values.  ``forward``
returns ``{"out": trajectory}``, the parameter after each step, shape ``(K, *w0.shape)``; the optimizer's
state starts fresh and is kept between the K steps.  No backward.

How a grader calls a submission: a book-style class ``Opt(**hp).update(params, grads)`` (which updates
``params`` in place) is driven by an adapter that copies ``w0`` into ``params = {"W": w0.copy()}``,
calls ``update(params, {"W": G[k]})`` for k = 0..K-1 and stacks ``params["W"]`` after each call; a
CS231n-style ``update(w, dw, config) -> (next_w, config)`` is driven the same way with
``config = {"learning_rate": lr, ...}``.  ``grads`` must never be mutated (does_not_mutate_inputs).

The PyTorch counterpart *is* ``torch.optim`` (SGD, SGD(momentum), SGD(nesterov=True), Adagrad, RMSprop,
Adam) with mapped hyper-parameters, so ``forward_matches_reference`` on the torch backend is the check
that the reference trajectory equals torch.optim's.
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from ..checks import call_forward, match_variants, upcast, where_of
from ..errors import SpecViolation
from ..record import Case, Component, Convention, Property
from ..reference import optim as ref
from ..strategies import EXTREMES, shapes, values
from ..tolerance import assert_close, least_precise, tolerance

LR = (0.01, 0.1, 0.001)
MU = (0.9, 0.5, 0.99)
MAX_STEPS = 5


def optim_cases(hps: dict, *, zero_elements: bool = False):
    """Strategy factory: Case(param, grads, hp); hp drawn from the listed conventional values.

    zero_elements: some elements (sometimes all) get a zero gradient at every step (fresh state)."""
    def cases(*, dtype=np.float64, smooth=False):
        @st.composite
        def build(draw):
            shape = draw(shapes(min_dims=1, max_dims=2, max_side=3))
            k = draw(st.integers(1, MAX_STEPS))
            w0 = draw(values(shape, dtype=dtype, specials=(0.0,) + EXTREMES))
            g = draw(values((k,) + shape, dtype=dtype, specials=(0.0,) + EXTREMES, max_specials=6))
            if zero_elements:
                flat = g.reshape(k, -1)
                if draw(st.booleans()):
                    flat[:] = 0
                else:
                    flat[:, draw(st.lists(st.integers(0, flat.shape[1] - 1), min_size=1, max_size=3))] = 0
            else:
                zero_step = draw(st.one_of(st.none(), st.integers(0, k - 1)))
                if zero_step is not None:
                    g[zero_step] = 0
            hp = {name: draw(st.sampled_from(choices)) for name, choices in hps.items()}
            return Case({"param": w0}, {"grads": g}, hp)
        return build()
    return cases


# -- specific properties --------------------------------------------------------------------------

def closed_form(closed):
    """trajectory_matches_closed_form: the trajectory equals the explicit sums of ``closed`` (per
    accepted variant), independent of how the implementation stores its state."""
    def check(component, impl, case, ctx):
        got = call_forward(impl, case.copy())
        c = upcast(case)
        return match_variants(component, ctx, lambda v: {"out": closed(c["param"], c["grads"], **c.hp, **v)},
                              got, dtype=least_precise(case.dtype, got["out"].dtype), what="forward",
                              where=f"{component.name} closed form at {case!r}")
    return check


def zero_gradient_keeps_param(component, impl, case, ctx):
    """From a fresh state, an element whose gradient is 0 at every step stays at its initial value and
    is not NaN (AdaGrad without eps computes 0 / sqrt(0) = NaN)."""
    w0, g = case["param"], case["grads"]
    traj = call_forward(impl, case.copy())["out"]
    where = where_of(component, "forward", case)
    if traj.shape != g.shape:
        raise SpecViolation(f"out.shape={traj.shape}, but should be {g.shape} [{where}]")
    still = np.all(g == 0, axis=0)
    rtol, atol = tolerance(component, least_precise(case.dtype, traj.dtype), "forward")
    assert_close(traj[:, still], np.broadcast_to(w0, traj.shape)[:, still], rtol=rtol, atol=atol,
                 name="out[:, zero-gradient elements]",
                 where=f"{component.name}: a parameter with zero gradient at every step must not move, at {case!r}")
    return {}


def forms_equivalent(equivalent: dict):
    """forms_equivalent: the trajectory equals *every* reference form equivalent to an accepted one
    (book and PyTorch momentum; PyTorch and CS231n Nesterov), which also shows the forms agree."""
    def check(component, impl, case, ctx):
        got = call_forward(impl, case.copy())["out"]
        c = upcast(case)
        rtol, atol = tolerance(component, least_precise(case.dtype, got.dtype), "forward")
        first = None
        for form in ctx.accept.get("form", component.convention("form").accepted):
            try:
                for other in equivalent[form]:
                    assert_close(got, component.forward(c, {"form": other}), rtol=rtol, atol=atol,
                                 name=f"out (vs form={other})", where=where_of(component, "forward", case))
                return {"variant": {"form": form}}
            except SpecViolation as e:
                first = first or e
        raise first
    return check


# -- records --------------------------------------------------------------------------------------

def torch_optim(make):
    """Counterpart: run ``torch.optim`` (built by ``make(torch.optim, [p], hp)``) for K steps."""
    def run(t, c, v):
        import torch
        p = torch.nn.Parameter(t["param"].clone())
        opt = make(torch.optim, [p], c.hp)
        traj = []
        for g in t["grads"]:
            p.grad = g.clone()
            opt.step()
            traj.append(p.detach().clone())
        return torch.stack(traj)
    return run


GENERIC = ("forward_matches_reference", "does_not_mutate_inputs", "preserves_dtype", "finite_outputs")
ZERO_DOC = ("from a fresh state, zero gradients leave the parameter unchanged and never produce NaN "
            "(AdaGrad without eps: 0/0)")


def optimizer(name, fn, closed, make, hps, doc, conventions=(), extra=()):
    return Component(
        name=name, kind="optimizer", doc=doc,
        forward=lambda c, v: fn(c["param"], c["grads"], **c.hp, **v),
        torch=torch_optim(make), cases=optim_cases(hps), conventions=conventions, generic=GENERIC,
        properties=(Property("trajectory_matches_closed_form", closed_form(closed),
                             "the trajectory equals the optimizer's update equations written as explicit "
                             "sums over the K gradients"),
                    Property("zero_gradient_keeps_param", zero_gradient_keeps_param, ZERO_DOC,
                             cases=optim_cases(hps, zero_elements=True)))
        + tuple(extra))


EPS_PLACEMENT = {
    "outside": "lr g / (sqrt(h) + eps): the book (eps 1e-7), torch.optim, CS231n, Keras",
    "inside": "lr g / sqrt(h + eps): TF1's RMSPropOptimizer style; also avoids 0/0",
}

COMPONENTS = [
    optimizer("sgd", ref.sgd, ref.sgd_closed, lambda o, p, hp: o.SGD(p, lr=hp["lr"]), {"lr": LR},
              "w <- w - lr g (torch.optim.SGD)"),
    optimizer("momentum", ref.momentum, ref.momentum_closed,
              lambda o, p, hp: o.SGD(p, lr=hp["lr"], momentum=hp["momentum"]),
              {"lr": LR, "momentum": MU},
              "v <- a v - lr g; w <- w + v (book) == b <- mu b + g; w <- w - lr b (torch.optim.SGD(momentum=mu))",
              conventions=(Convention("form", "book", {
                  "book": "v = a v - lr g; w += v (the book's Momentum, CS231n sgd_momentum)",
                  "pytorch": "b = mu b + g; w -= lr b (torch.optim.SGD(momentum=mu)); equal for a constant lr"},
                  accepted=("book", "pytorch")),),
              extra=(Property("forms_equivalent", forms_equivalent({"book": ("book", "pytorch"),
                                                                    "pytorch": ("book", "pytorch")}),
                              "the trajectory equals both the book form and the PyTorch form (v = -lr b)"),)),
    optimizer("nesterov", ref.nesterov, ref.nesterov_closed,
              lambda o, p, hp: o.SGD(p, lr=hp["lr"], momentum=hp["momentum"], nesterov=True),
              {"lr": LR, "momentum": MU},
              "b <- mu b + g; w <- w - lr (g + mu b) (torch.optim.SGD(nesterov=True)) == CS231n's "
              "w += -mu v_prev + (1 + mu) v; the book's Nesterov (mu^2 on the updated v) is a different, named variant",
              conventions=(Convention("form", "pytorch", {
                  "pytorch": "b = mu b + g; w -= lr (g + mu b) (torch.optim.SGD(nesterov=True))",
                  "cs231n": "v_prev = v; v = mu v - lr g; w += -mu v_prev + (1 + mu) v (Bengio et al. 2012); "
                            "equal to pytorch",
                  "book": "v = mu v - lr g; w += mu^2 v - (1 + mu) lr g with the *updated* v (the book's "
                          "Nesterov): first step -(1 + mu + mu^2) lr g, not equivalent"},
                  accepted=("pytorch", "cs231n")),),
              extra=(Property("forms_equivalent", forms_equivalent({"pytorch": ("pytorch", "cs231n"),
                                                                    "cs231n": ("pytorch", "cs231n"),
                                                                    "book": ("book",)}),
                              "the trajectory equals both the PyTorch and the CS231n form (they are equal)"),)),
    optimizer("adagrad", ref.adagrad, ref.adagrad_closed,
              lambda o, p, hp: o.Adagrad(p, lr=hp["lr"], eps=hp["eps"]),
              {"lr": LR, "eps": (1e-7, 1e-10)},
              "h <- h + g^2; w <- w - lr g / (sqrt(h) + eps); eps 1e-7 (book) or 1e-10 (torch.optim.Adagrad)",
              conventions=(Convention("eps_placement", "outside", EPS_PLACEMENT, accepted=("outside", "inside")),)),
    optimizer("rmsprop", ref.rmsprop, ref.rmsprop_closed,
              lambda o, p, hp: o.RMSprop(p, lr=hp["lr"], alpha=hp["decay_rate"], eps=hp["eps"]),
              {"lr": LR, "decay_rate": (0.99, 0.9), "eps": (1e-7, 1e-8)},
              "h <- rho h + (1 - rho) g^2; w <- w - lr g / (sqrt(h) + eps); rho = decay_rate (book, CS231n) "
              "= alpha (torch.optim.RMSprop)",
              conventions=(Convention("eps_placement", "outside", EPS_PLACEMENT, accepted=("outside", "inside")),)),
    optimizer("adam", ref.adam, ref.adam_closed,
              lambda o, p, hp: o.Adam(p, lr=hp["lr"], betas=(hp["beta1"], hp["beta2"]), eps=hp["eps"]),
              {"lr": (0.001, 0.01, 0.1), "beta1": (0.9, 0.5), "beta2": (0.999, 0.99), "eps": (1e-7, 1e-8)},
              "m <- b1 m + (1 - b1) g; v <- b2 v + (1 - b2) g^2; w <- w - lr m_hat / (sqrt(v_hat) + eps) "
              "(torch.optim.Adam, CS231n); the book's lr_t form puts eps on sqrt(v) instead",
              conventions=(Convention("form", "textbook", {
                  "textbook": "lr m_hat / (sqrt(v_hat) + eps), t incremented before use (torch.optim.Adam, CS231n)",
                  "lr_t": "lr_t m / (sqrt(v) + eps), lr_t = lr sqrt(1 - b2^t) / (1 - b1^t) (the book's Adam): "
                          "eps effectively scaled by 1/sqrt(1 - b2^t)"},
                  accepted=("textbook", "lr_t")),)),
]
