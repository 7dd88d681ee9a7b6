"""optimizer_paths: seed 004's f(x, y) = x^2 / 20 + y^2 from (-7, 2)."""
from __future__ import annotations

import numpy as np

from .ops import OPT_DEFAULTS, make_ops
from .scenario import Scenario, check, pick

START = (-7.0, 2.0)
# The book's learning rates for its figure (RMSProp is not in the figure: lr chosen like Adam's scale).
LR = {"sgd": 0.95, "momentum": 0.1, "adagrad": 1.5, "rmsprop": 0.1, "adam": 0.3}


def f(p):
    return p[0] ** 2 / 20.0 + p[1] ** 2


def grad(p):
    return np.array([p[0] / 10.0, 2.0 * p[1]])


def path(ops, name, steps):
    params = {"xy": ops.asarray(np.array(START))}
    opt = ops.optimizer(name, params, LR[name])
    pts, gs = [np.array(START)], []
    for _ in range(steps):
        g = grad(ops.numpy(params["xy"]))
        gs.append(g)
        opt.step({"xy": ops.asarray(g)})
        pts.append(np.array(ops.numpy(params["xy"]), dtype=np.float64))
    return np.array(pts), np.array(gs)


# Named variants the specification accepts (spec_nn.reference.optim): Adam's "lr_t" form is the book's.
VARIANTS = {"adam": [{"form": "textbook"}, {"form": "lr_t"}]}
# How far torch.optim may be from a path that follows a named variant, and why.
VARIANT_TOL = {("adam", "lr_t"): (1e-4, "the book's lr_t form scales eps by 1/sqrt(1 - b2^t) (x31.6 at t = 1)")}


def shared_reference_path(name, grads, **variant):
    """spec_nn.reference.optim's trajectory for the same gradient sequence (the specification's rule)."""
    from spec_nn.reference import optim as ref
    hp = {**OPT_DEFAULTS[name], "lr": LR[name], **variant}
    fn = {"sgd": ref.sgd, "momentum": ref.momentum, "adagrad": ref.adagrad, "rmsprop": ref.rmsprop,
          "adam": ref.adam}[name]
    return np.vstack([np.array(START), fn(np.array(START), grads, **hp)])


def closest_variant(name, p, grads):
    """(variant label, max |difference|) of the accepted variant closest to the path ``p``."""
    best = None
    for v in VARIANTS.get(name, [{}]):
        d = float(np.max(np.abs(p - shared_reference_path(name, grads, **v))))
        label = ",".join(f"{k}={x}" for k, x in v.items()) or "default"
        if best is None or d < best[1]:
            best = (label, d, v)
    return best


def measure_paths(ops, seed, profile):
    steps = pick(profile, 30, 30, 100)
    other = make_ops("reference") if ops.backend.startswith("torch") else make_ops("torch")
    paths, dev, spec_dev, dist, flips, variant, tol = {}, {}, {}, {}, {}, {}, {}
    for name in LR:
        p, gs = path(ops, name, steps)
        q, _ = path(other, name, steps)
        paths[name] = p
        dev[name] = float(np.max(np.abs(p - q)))
        variant[name], spec_dev[name], v = closest_variant(name, p, gs)
        tol[name] = VARIANT_TOL.get((name, v.get("form")), (1e-6, ""))
        dist[name] = float(np.hypot(*p[-1]))
        flips[name] = int(np.sum(np.sign(p[1:, 1]) != np.sign(p[:-1, 1])))
    checks = [
        *[check(f"{n}: path on {ops.backend} coincides with {other.backend}",
                f"max |difference| <= {tol[n][0]:g}" + (f" (variant {variant[n]}: {tol[n][1]})" if tol[n][1] else ""),
                dev[n], dev[n] <= tol[n][0]) for n in LR],
        *[check(f"{n}: path equals spec_nn.reference.optim.{n} fed the same gradients",
                f"max |difference| <= 1e-9 for an accepted variant (matched: {variant[n]})",
                spec_dev[n], spec_dev[n] <= 1e-9) for n in LR],
        check("SGD zig-zags across the valley (y changes sign at most steps)", f"sign changes of y >= {steps // 2}",
              flips["sgd"], flips["sgd"] >= steps // 2, strict=False),
        check("Momentum zig-zags less than SGD", "fewer sign changes of y than SGD",
              [flips["momentum"], flips["sgd"]], flips["momentum"] < flips["sgd"], strict=False),
        check(f"AdaGrad ends closer to the minimum than SGD after {steps} steps", "distance AdaGrad < SGD",
              [dist["adagrad"], dist["sgd"]], dist["adagrad"] < dist["sgd"], strict=False),
    ]
    m = {"function": "f(x, y) = x^2/20 + y^2", "start": list(START), "steps": steps, "lr": LR,
         "compared_with": other.backend, "max_path_difference": dev,
         "max_difference_from_spec_nn_reference_optim": spec_dev, "variant": variant, "distance_to_minimum": dist,
         "f_final": {n: float(f(p[-1])) for n, p in paths.items()}, "y_sign_changes": flips,
         "paths": {n: p.tolist() for n, p in paths.items()}}
    plots = [{"kind": "paths", "title": f"optimizer paths on x^2/20 + y^2 from (-7, 2), {steps} steps",
              "function": "x**2/20 + y**2", "xlim": [-10, 10], "ylim": [-5, 5],
              "series": {n: p.tolist() for n, p in paths.items()}}]
    return m, checks, plots


OPTIMIZER_PATHS = Scenario(
    name="optimizer_paths",
    claim="On f(x, y) = x^2/20 + y^2 from (-7, 2), SGD zig-zags, Momentum smooths the path and AdaGrad heads to "
          "the minimum efficiently; the reference update rules and torch.optim trace the same paths.",
    source={"seed": "004_ebe8b05ec467fb2f.txt",
            "says": "SGD from (-7.0, 2.0) moves in an inefficient zig-zag because the gradient does not point "
                    "at the minimum; Momentum reduces the zig-zag; AdaGrad moves efficiently to the minimum."},
    build="Five optimizers with the book's learning rates (SGD 0.95, Momentum 0.1, AdaGrad 1.5, Adam 0.3; "
          "RMSProp 0.1), eps 1e-7, 30 steps (100 thorough) on the exact gradient (x/10, 2y); the backend's path "
          "is compared with the reference's (torch backends) or torch.optim's (reference and submissions).",
    measure=measure_paths)

SCENARIOS = [OPTIMIZER_PATHS]
