"""Scenarios about how signals and gradients travel through depth: vanishing_gradient, relu_he_init,
residual_connection, exploding_gradient."""
from __future__ import annotations

import math

import numpy as np

from .data import digits
from .nets import init_params, loss_and_grads, to_ops
from .ops import he_std, xavier_std
from .scenario import Scenario, check, pick

# activation, weight std, residual? -- the four nets of vanishing_gradient
NETS = {
    "sigmoid": ("sigmoid", xavier_std, False),
    "tanh": ("tanh", xavier_std, False),
    "relu_he": ("relu", he_std, False),
    "residual": ("relu", he_std, True),
}


def deep_net(rng, width, depth, kind):
    """Square deep net of ``depth`` layers; residual branches are scaled by 1/sqrt(depth) so that the
    identity stream's variance stays bounded (no normalisation layers here)."""
    act, std, residual = NETS[kind]
    scale = [1 / math.sqrt(depth)] * depth if residual else None
    P = init_params(rng, [width] * (depth + 1), std, scale=scale)
    return P, [(act, residual)] * depth


def _grad_profile(ops, width, depth, kind, seed, batch):
    rng = np.random.default_rng(seed)
    P, layers = deep_net(rng, width, depth, kind)
    x = rng.standard_normal((batch, width))
    t = rng.standard_normal((batch, width))
    _, _, info = loss_and_grads(ops, to_ops(ops, P), ops.asarray(x), layers, target=ops.asarray(t))
    return P, info


def measure_vanishing(ops, seed, profile):
    width = pick(profile, 64, 64, 128)
    batch = pick(profile, 64, 64, 256)
    depths = (5, 10, 20, 30)
    by_depth, ratio, factors = {k: {} for k in NETS}, {k: {} for k in NETS}, []
    for depth in depths:
        for kind in NETS:
            P, info = _grad_profile(ops, width, depth, kind, seed, batch)
            by_depth[kind][depth] = info["dW"]
            ratio[kind][depth] = info["dW"][0] / info["dW"][-1]
            if kind == "sigmoid":  # ||dL/dh_{l-1}|| / (||W_l||_2 ||dL/dh_l||) for every layer
                dh = info["dh"]
                for l in range(depth):
                    factors.append(dh[l] / (np.linalg.norm(P[f"W{l}"], 2) * dh[l + 1]))
    deepest = depths[-1]
    m = {"width": width, "batch": batch, "depths": list(depths),
         "grad_norm_per_layer": {k: by_depth[k][deepest] for k in NETS},
         "grad_norm_per_layer_by_depth": by_depth,
         "first_last_ratio": ratio,
         "sigmoid_layer_factor_over_spectral_norm_max": max(factors)}
    checks = [
        check("sigmoid per-layer factor <= 0.25 * ||W||_2 (seed 003: sigmoid' <= 0.25)", "<= 0.25",
              max(factors), max(factors) <= 0.25 + 1e-12),
        *[check(f"sigmoid first/last gradient ratio at depth {d}", "< 1e-2", ratio["sigmoid"][d],
                ratio["sigmoid"][d] < 1e-2) for d in depths if d >= 10],
        *[check(f"relu_he first/last gradient ratio at depth {d}", "in [0.1, 10]", ratio["relu_he"][d],
                0.1 <= ratio["relu_he"][d] <= 10) for d in depths],
        *[check(f"residual first/last gradient ratio at depth {d}", ">= 0.1", ratio["residual"][d],
                ratio["residual"][d] >= 0.1) for d in depths],
    ]
    plots = [
        {"kind": "lines", "title": f"||dLoss/dW_l|| per layer, depth {deepest} (first layer left)",
         "xlabel": "layer", "ylabel": "gradient norm", "logy": True,
         "x": list(range(1, deepest + 1)), "series": {k: by_depth[k][deepest] for k in NETS}},
        {"kind": "lines", "title": "first/last layer gradient ratio by depth", "xlabel": "depth",
         "ylabel": "||dW_1|| / ||dW_L||", "logy": True, "x": list(depths),
         "series": {k: [ratio[k][d] for d in depths] for k in NETS}},
    ]
    return m, checks, plots


VANISHING = Scenario(
    name="vanishing_gradient",
    claim="Gradients shrink geometrically through deep sigmoid nets (sigmoid' <= 0.25), but not through "
          "ReLU nets with He initialisation or through residual blocks.",
    source={"seed": "003_46780a16831aa15f.txt, 000_23a75d5ee33f8d61.txt, 001_d14e0df49f779b15.txt",
            "says": "003: the sigmoid's derivative is at most 0.25, so the error shrinks as it propagates "
                    "back; tanh's maximum is 1 but it still vanishes; ReLU's derivative is 1 for x > 0. "
                    "000: with sigmoid the gradient gets smaller as layers are added, with ReLU it does not."},
    build="Square MLPs (width 64; 128 in thorough) of depth 5, 10, 20, 30, batch of N(0, 1) inputs, "
          "MSE to N(0, 1) targets, at initialisation: sigmoid and tanh with std sqrt(1/n), ReLU with "
          "He std sqrt(2/n), residual blocks h + relu(h) W + b with He std / sqrt(depth). Measured: "
          "||dLoss/dW_l|| per layer, and for sigmoid ||dL/dh_(l-1)|| / (||W_l||_2 ||dL/dh_l||).",
    measure=measure_vanishing)


# -- relu_he_init -----------------------------------------------------------------------------------

INITS = {  # name -> std(n)
    "he_std_sqrt(2/n)": he_std,
    "std_1": lambda n: 1.0,
    "variance_sqrt(2/n) (seed 000)": lambda n: (2.0 / n) ** 0.25,
    "xavier_std_sqrt(1/n)": xavier_std,
}


def measure_he(ops, seed, profile):
    width = pick(profile, 128, 128, 512)
    batch = pick(profile, 256, 256, 1024)
    depth = pick(profile, 20, 20, 50)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, width))
    from .nets import forward
    var = {}
    for name, std in INITS.items():
        P = init_params(np.random.default_rng(seed + 1), [width] * (depth + 1), std)
        _, _, zs = forward(ops, to_ops(ops, P), ops.asarray(x), [("relu", False)] * depth)
        var[name] = [float(np.var(ops.numpy(z))) for z in zs]
    growth = {k: v[-1] / v[0] for k, v in var.items()}
    per_layer = {k: g ** (1 / (depth - 1)) for k, g in growth.items()}
    he, one, seedv = "he_std_sqrt(2/n)", "std_1", "variance_sqrt(2/n) (seed 000)"
    checks = [
        check(f"He std sqrt(2/n): per-layer variance factor over {depth} layers", "in [0.9, 1.1]",
              per_layer[he], 0.9 <= per_layer[he] <= 1.1),
        check("std 1: variance explodes (per-layer factor about n/2)", "per-layer factor > 10",
              per_layer[one], per_layer[one] > 10),
        check("variance sqrt(2/n) (std (2/n)^(1/4)), as seed 000 states: variance not preserved",
              "per-layer factor outside [0.9, 1.1]", per_layer[seedv], not (0.9 <= per_layer[seedv] <= 1.1)),
        check("seed 000's claim 'variance sqrt(2/n)' preserves the forward variance", "per-layer factor in [0.9, 1.1]",
              per_layer[seedv], 0.9 <= per_layer[seedv] <= 1.1, strict=False),
    ]
    m = {"width": width, "depth": depth, "batch": batch, "preactivation_variance_per_layer": var,
         "variance_growth_last_over_first": growth, "per_layer_factor": per_layer,
         "theory_per_layer_factor": {he: 1.0, one: width / 2, seedv: math.sqrt(width / 2),
                                     "xavier_std_sqrt(1/n)": 0.5},
         "which_holds": "std sqrt(2/n) (variance 2/n) preserves the variance; variance sqrt(2/n) does not "
                        "(it multiplies the variance by sqrt(n/2) per layer)" if 0.9 <= per_layer[he] <= 1.1 and per_layer[seedv] > 1.1
         else "see measurements"}
    plots = [{"kind": "lines", "title": f"Var(pre-activation) per layer, ReLU, width {width}", "xlabel": "layer",
              "ylabel": "variance", "logy": True, "x": list(range(1, depth + 1)), "series": var}]
    return m, checks, plots


RELU_HE = Scenario(
    name="relu_he_init",
    claim="With ReLU, weights of std sqrt(2/n) (He) keep the forward variance constant through depth; std 1 "
          "explodes; seed 000's wording 'variance sqrt(2/n)' does not preserve it.",
    source={"seed": "000_23a75d5ee33f8d61.txt",
            "says": "ReLU grows without bound, so the initial weights must depend on the number of neurons: "
                    "a normal distribution with mean 0 and variance sqrt(2/n) (分散が sqrt(2/n))."},
    build="ReLU MLP, width 128 (512 in thorough), depth 20 (50), N(0, 1) inputs; weights N(0, std^2) with "
          "std = sqrt(2/n), 1, (2/n)^(1/4) (variance sqrt(2/n)) and sqrt(1/n); Var of every layer's "
          "pre-activation.",
    measure=measure_he, observed=True)


# -- residual_connection --------------------------------------------------------------------------

def _classifier(rng, width, depth, residual, n_in=64, n_out=10):
    """Input layer n_in -> width (ReLU), depth - 2 hidden layers (plain or residual), output width -> n_out."""
    hidden = depth - 2
    sizes = [n_in] + [width] * (hidden + 1) + [n_out]
    scale = [1.0] + ([1 / math.sqrt(hidden)] * hidden if residual else [1.0] * hidden) + [1.0]
    P = init_params(rng, sizes, he_std, scale=scale)
    layers = [("relu", False)] + [("relu", residual)] * hidden + [("identity", False)]
    return P, layers


def train(ops, P, layers, X, y, *, steps, lr, batch, seed, opt="sgd", record=None, every=10):
    """Minibatch training with softmax cross-entropy (labels) or MSE (y is an array); returns losses
    (full-batch every ``every`` steps) and, with ``record(step, P, info)``, custom measurements."""
    rng = np.random.default_rng(seed)
    Pn = to_ops(ops, P)
    optim = ops.optimizer(opt, Pn, lr)
    Xo = ops.asarray(X)
    labels = y if y.dtype.kind in "iu" else None
    yo = None if labels is not None else ops.asarray(y)
    hist = []
    for step in range(steps + 1):
        if step % every == 0 or step == steps:
            kw = {"labels": labels} if labels is not None else {"target": yo}
            loss, _, info = loss_and_grads(ops, Pn, Xo, layers, **kw)
            hist.append((step, loss))
            if record:
                record(step, Pn, info)
        if step == steps:
            break
        idx = rng.choice(len(X), batch, replace=False)
        kw = {"labels": labels[idx]} if labels is not None else {"target": ops.asarray(y[idx])}
        _, grads, _ = loss_and_grads(ops, Pn, ops.asarray(X[idx]), layers, **kw)
        optim.step(grads)
    return hist, Pn


def measure_residual(ops, seed, profile):
    X, y = digits()
    width = pick(profile, 32, 32, 64)
    depth = pick(profile, 30, 30, 50)
    steps = pick(profile, 300, 300, 2000)
    lr = pick(profile, 0.05, 0.05, 0.02)  # at depth 50 the residual net diverges with lr 0.05
    out = {}
    for name, residual, d in (("plain", False, depth), ("residual", True, depth), ("plain_shallow", False, 4)):
        P, layers = _classifier(np.random.default_rng(seed), width, d, residual)
        _, _, info = loss_and_grads(ops, to_ops(ops, P), ops.asarray(X[:256]), layers, labels=y[:256])
        hist, _ = train(ops, P, layers, X, y, steps=steps, lr=lr, batch=64, seed=seed)
        out[name] = {"depth": d, "grad_norm_per_layer": info["dW"], "first_layer_grad": info["dW"][0],
                     "first_last_ratio": info["dW"][0] / info["dW"][-1], "loss_curve": hist,
                     "final_loss": hist[-1][1]}
    p, r, s = out["plain"], out["residual"], out["plain_shallow"]
    checks = [
        check("residual: gradient reaching the first layer, first/last ratio", ">= 0.1",
              r["first_last_ratio"], r["first_last_ratio"] >= 0.1),
        check(f"training loss after {steps} SGD steps: residual < plain (same width {width}, depth {depth})",
              "residual / plain < 1", r["final_loss"] / p["final_loss"], r["final_loss"] < p["final_loss"]),
        check(f"degradation: the plain depth-{depth} net ends above the plain depth-4 net", "plain deep / shallow > 1",
              p["final_loss"] / s["final_loss"], p["final_loss"] > s["final_loss"], strict=False),
        check("plain: first/last gradient ratio (reported; He init keeps it near 1)", "reported",
              p["first_last_ratio"], True, strict=False),
    ]
    m = {"width": width, "depth": depth, "steps": steps, "lr": lr, "task": "sklearn digits, 10 classes, "
         "softmax cross-entropy, SGD batch 64", **out}
    plots = [
        {"kind": "lines", "title": "||dLoss/dW_l|| per layer at initialisation", "xlabel": "layer",
         "ylabel": "gradient norm", "logy": True, "x": list(range(1, depth + 1)),
         "series": {"plain": p["grad_norm_per_layer"], "residual": r["grad_norm_per_layer"]}},
        {"kind": "lines", "title": "training loss (full batch)", "xlabel": "step", "ylabel": "cross-entropy",
         "logy": True, "x": [h[0] for h in p["loss_curve"]],
         "series": {f"plain depth {depth}": [h[1] for h in p["loss_curve"]],
                    f"residual depth {depth}": [h[1] for h in r["loss_curve"]],
                    "plain depth 4": [h[1] for h in s["loss_curve"]]}},
    ]
    return m, checks, plots


RESIDUAL = Scenario(
    name="residual_connection",
    claim="With identity shortcuts (F(x) + x) the gradient reaches the first layer of a deep net and the "
          "deep net trains; the plain net of the same width and depth trains worse (degradation).",
    source={"seed": "002_a5fbf1a02d796181.txt",
            "says": "adding layers to a plain net makes accuracy worse (degradation); ResNet learns the "
                    "residual F(x) = H(x) - x through shortcut connections and deeper is better."},
    build="Digits classifier 64 -> width 32 (64 thorough) x depth 30 (50) -> 10, ReLU, He init; the residual "
          "variant replaces the hidden layers by h + relu(h) W + b (branch std / sqrt(#blocks)); a plain depth-4 "
          "net as the shallow baseline; SGD batch 64, lr 0.05 for 300 steps (thorough: lr 0.02, 2000 steps).",
    measure=measure_residual)


# -- exploding_gradient ---------------------------------------------------------------------------

def measure_exploding(ops, seed, profile):
    width, depth, batch = 32, pick(profile, 20, 20, 50), 32
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, width))
    t = rng.standard_normal((batch, width))
    layers = [("identity", False)] * depth
    res, factor = {}, {}
    configs = [(f"orthogonal x {s}", s, "orthogonal") for s in (0.9, 1.0, 1.1, 1.5)]
    configs.append(("gaussian, spectral norm 1.5", 1.5, "gaussian"))
    bound_ok = True
    for name, s, kind in configs:
        r = np.random.default_rng(seed + 1)
        P = {}
        for l in range(depth):
            a = r.standard_normal((width, width))
            if kind == "orthogonal":
                q, _ = np.linalg.qr(a)
                w = s * q
            else:
                w = a * (s / np.linalg.norm(a, 2))
            P[f"W{l}"], P[f"b{l}"] = w, np.zeros(width)
        _, _, info = loss_and_grads(ops, to_ops(ops, P), ops.asarray(x), layers, target=ops.asarray(t))
        dh = info["dh"]  # input of layer l ... output
        res[name] = dh
        factor[name] = (dh[0] / dh[-1]) ** (1 / depth)
        bound_ok &= all(dh[l] <= np.linalg.norm(P[f"W{l}"], 2) * dh[l + 1] * (1 + 1e-9) for l in range(depth))
    checks = [
        *[check(f"orthogonal weights scaled by {s}: per-layer gradient growth equals the spectral norm",
                f"= {s} (rel 1e-6)", factor[f"orthogonal x {s}"],
                abs(factor[f"orthogonal x {s}"] / s - 1) < 1e-6) for s in (0.9, 1.0, 1.1, 1.5)],
        check(f"spectral norm 1.5: gradient at the input / at the output over {depth} layers",
              f">= 1.5^{depth} = {1.5 ** depth:.3g}", res["orthogonal x 1.5"][0] / res["orthogonal x 1.5"][-1],
              res["orthogonal x 1.5"][0] / res["orthogonal x 1.5"][-1] >= 1.5 ** depth * (1 - 1e-6)),
        check("every layer: ||dL/dh_(l-1)|| <= ||W_l||_2 ||dL/dh_l|| (the spectral norm bounds the growth)",
              "holds for every layer", bound_ok, bound_ok),
        check("a Gaussian matrix rescaled to spectral norm 1.5 explodes too (seed 002: 'may diverge')",
              "per-layer factor > 1", factor["gaussian, spectral norm 1.5"],
              factor["gaussian, spectral norm 1.5"] > 1, strict=False),
    ]
    m = {"width": width, "depth": depth, "grad_norm_input_to_output": res, "per_layer_factor": factor}
    plots = [{"kind": "lines", "title": f"||dLoss/dh|| from input (0) to output ({depth}), linear net",
              "xlabel": "layer boundary", "ylabel": "gradient norm", "logy": True, "x": list(range(depth + 1)),
              "series": res}]
    return m, checks, plots


EXPLODING = Scenario(
    name="exploding_gradient",
    claim="Weights whose spectral norm exceeds 1 make the backpropagated gradient grow geometrically "
          "(by up to the spectral norm per layer).",
    source={"seed": "002_a5fbf1a02d796181.txt",
            "says": "neurons are connected by weights W; if the weights are 1 or more, W x W x W ... over many "
                    "layers may diverge (勾配発散)."},
    build="Linear net (identity activation), width 32, depth 20 (50 thorough), weights s Q with Q orthogonal "
          "(every singular value s) for s = 0.9, 1.0, 1.1, 1.5, and a Gaussian matrix rescaled to spectral norm 1.5; "
          "||dLoss/dh|| at every layer boundary.",
    measure=measure_exploding)

SCENARIOS = [VANISHING, RELU_HE, RESIDUAL, EXPLODING]
