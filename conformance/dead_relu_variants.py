"""Variants of dead_relu: PReLU (a learnable negative slope per unit) and seed 000's remedy, gradients
clipped when they exceed a fraction of sqrt(2/n) (scenario ``dead_relu_clipped``).

PReLU is not in the ops interface (it has a parameter); this module holds its forward and backward for
the scenarios: the NumPy formula on the reference backend (and on a submission's, which has no
``prelu``), ``torch.nn.functional.prelu`` with autograd on the torch backends.  (The ``prelu``
component record of spec_nn is another piece of work; this one is only what the scenarios need.)
"""
from __future__ import annotations

import numpy as np

from .data import digits
from .nets import init_params, loss_and_grads, to_ops
from .ops import ImplOps, TorchOps, he_std
from .scenario import Scenario, check, pick

PRELU_INIT = 0.25  # He et al. 2015 and torch.nn.PReLU's default slope


# -- PReLU: y = x if x > 0 else a * x, one slope a_j per unit (the last axis) -----------------------------

def prelu_ref(x, a):
    """y = where(x > 0, x, a * x); x (N, H), a (H,)."""
    return np.where(x > 0, x, a * x)


def prelu_ref_backward(dout, x, a):
    """dx = dout * (1 if x > 0 else a) (left derivative a at 0); da_j = sum_n dout * x * 1[x <= 0]."""
    neg = x <= 0
    return dout * np.where(neg, a, 1.0), np.sum(dout * x * neg, axis=0)


def prelu_forward(ops, x, a):
    """(out, cache) on any ops backend."""
    if isinstance(ops, TorchOps):
        xl, al = x.detach().requires_grad_(True), a.detach().requires_grad_(True)
        out = ops.torch.nn.functional.prelu(xl, al)
        return out.detach(), ("torch", out, xl, al)
    if isinstance(ops, ImplOps):  # a submission has no prelu component: say that the formula here stood in
        ops.fallbacks.add("prelu (the scenarios' NumPy PReLU)")
    x, a = np.asarray(ops.numpy(x)), np.asarray(ops.numpy(a))
    return ops.asarray(prelu_ref(x, a)), ("ref", x, a)


def prelu_backward(ops, dout, cache):
    """(dx, da)."""
    if cache[0] == "torch":
        _, out, xl, al = cache
        dx, da = ops.torch.autograd.grad(out, (xl, al), dout)
        return dx.detach(), da.detach()
    dx, da = prelu_ref_backward(np.asarray(ops.numpy(dout)), cache[1], cache[2])
    return ops.asarray(dx), ops.asarray(da)


def prelu_gradient_check(ops, seed: int) -> float:
    """Max relative error of (dx, da) against central differences of sum(out * dout), at points kept
    away from the kink."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((7, 5))
    x = np.where(np.abs(x) < 0.1, 0.5, x)
    a, dout = rng.uniform(0.05, 0.5, 5), rng.standard_normal((7, 5))
    _, cache = prelu_forward(ops, ops.asarray(x), ops.asarray(a))
    dx, da = (ops.numpy(g) for g in prelu_backward(ops, ops.asarray(dout), cache))
    h, err = 1e-6, 0.0

    def f(xx, aa):
        return float(np.sum(ops.numpy(prelu_forward(ops, ops.asarray(xx), ops.asarray(aa))[0]) * dout))
    for arr, grad, which in ((x, dx, "x"), (a, da, "a")):
        for i in range(arr.size):
            p, m = arr.copy(), arr.copy()
            p.flat[i] += h
            m.flat[i] -= h
            num = (f(p, a) - f(m, a)) / (2 * h) if which == "x" else (f(x, p) - f(x, m)) / (2 * h)
            err = max(err, abs(num - grad.flat[i]) / max(abs(num), 1e-6))
    return err


# -- a 64 -> H -> 10 classifier with any hidden activation (prelu included), optional clipping -----------

def loss_grads_2layer(ops, P, x, labels, act):
    """Softmax cross-entropy of act(x W0 + b0) W1 + b1; returns (loss, grads, z0)."""
    if act != "prelu":
        layers = [(act, False), ("identity", False)]
        loss, grads, info = loss_and_grads(ops, P, x, layers, labels=labels)
        return loss, grads, info["zs"][0]
    z, cz = ops.affine_forward(x, P["W0"], P["b0"])
    h, ch = prelu_forward(ops, z, P["a0"])
    s, cs = ops.affine_forward(h, P["W1"], P["b1"])
    loss, ds = ops.softmax_ce(s, labels)
    dh, dW1, db1 = ops.affine_backward(ds, cs)
    dz, da = prelu_backward(ops, dh, ch)
    _, dW0, db0 = ops.affine_backward(dz, cz)
    return loss, {"W0": dW0, "b0": db0, "a0": da, "W1": dW1, "b1": db1}, z


def unit_derivative_zero(ops, act, z, P):
    """(share of units never positive on the data, share whose activation derivative is 0 on all of it)."""
    zn = ops.numpy(z)
    ones = ops.asarray(np.ones(zn.shape))
    if act == "prelu":
        _, cache = prelu_forward(ops, z, P["a0"])
        deriv = ops.numpy(prelu_backward(ops, ones, cache)[0])
    else:
        _, cache = ops.act_forward(act, z)
        deriv = ops.numpy(ops.act_backward(act, ones, cache))
    return float(np.mean(np.all(zn <= 0, axis=0))), float(np.mean(np.all(deriv == 0, axis=0)))


def clip_seed000(ops, grads, fan_in: dict, frac: float):
    """Seed 000's remedy: every gradient entry whose |value| exceeds frac * sqrt(2 / n) (n: the fan-in of
    the layer) is set to +-frac * sqrt(2 / n).  Returns (clipped grads, share of entries clipped)."""
    out, clipped, total = {}, 0, 0
    for k, g in grads.items():
        c = frac * np.sqrt(2.0 / fan_in[k])
        gn = ops.numpy(g)
        clipped += int(np.sum(np.abs(gn) > c))
        total += gn.size
        out[k] = ops.asarray(np.clip(gn, -c, c))
    return out, clipped / max(total, 1)


def train_2layer(ops, P, act, X, y, *, steps, lr, batch, seed, record=None, every=10, clip=None):
    """Minibatch SGD as conformance.gradients.train (same batches for the same seed), for the 2-layer
    classifier with any hidden activation; ``clip``: seed 000's fraction of sqrt(2/n), or None.
    Once a recorded loss is not finite the parameters are left as they are (the curve goes on as NaN).
    Returns (losses [(step, full-batch loss)], params, mean share of gradient entries clipped)."""
    rng = np.random.default_rng(seed)
    Pn = to_ops(ops, P)
    optim = ops.optimizer("sgd", Pn, lr)
    Xo = ops.asarray(X)
    fan_in = {k: (P["W0"].shape[0] if k in ("W0", "b0") else P["W1"].shape[0]) for k in P}
    hist, shares, diverged = [], [], False
    for step in range(steps + 1):
        if step % every == 0 or step == steps:
            with np.errstate(all="ignore"):  # a diverged run is measured (NaN), not warned about
                loss, _, z = loss_grads_2layer(ops, Pn, Xo, y, act)
            hist.append((step, loss))
            diverged = diverged or not np.isfinite(loss)
            if record:
                record(step, Pn, z)
        if step == steps:
            break
        if diverged:  # nothing left to learn: the parameters are not finite
            continue
        idx = rng.choice(len(X), batch, replace=False)
        with np.errstate(all="ignore"):
            _, grads, _ = loss_grads_2layer(ops, Pn, ops.asarray(X[idx]), y[idx], act)
        if clip is not None:
            clipped, share = clip_seed000(ops, {k: v for k, v in grads.items() if k != "a0"}, fan_in, clip)
            grads = {**grads, **clipped}
            shares.append(share)
        optim.step(grads)
    return hist, Pn, float(np.mean(shares)) if shares else 0.0


def init_2layer(seed, act, hidden=100):
    P = init_params(np.random.default_rng(seed), [64, hidden, 10], he_std)
    if act == "prelu":
        P["a0"] = np.full(hidden, PRELU_INIT)
    return P


# -- dead_relu_clipped -------------------------------------------------------------------------------

FRACTIONS = (0.01, 0.1, 1.0)  # 1/100 is seed 000's


def measure_clipped(ops, seed, profile):
    X, y = digits()
    steps = pick(profile, 150, 150, 1000)
    lr_big, lr_ok = 3.0, 0.1
    every = max(steps // 15, 1)
    runs = {}
    variants = [("relu, lr 3.0, no clipping", lr_big, None)] + \
               [(f"relu, lr 3.0, clipped at {f:g} sqrt(2/n)", lr_big, f) for f in FRACTIONS] + \
               [("relu, lr 0.1, no clipping (control)", lr_ok, None)]
    for name, lr, frac in variants:
        P = init_2layer(seed, "relu")
        curve = {"step": [], "zero_gradient": []}

        def record(step, Pn, z, curve=curve):
            curve["step"].append(step)
            curve["zero_gradient"].append(unit_derivative_zero(ops, "relu", z, Pn)[1])

        hist, Pn, share = train_2layer(ops, P, "relu", X, y, steps=steps, lr=lr, batch=64, seed=seed,
                                       record=record, every=every, clip=frac)
        from .nets import forward
        scores = ops.numpy(forward(ops, Pn, ops.asarray(X), [("relu", False), ("identity", False)])[0])
        runs[name] = {**curve, "loss": [l for _, l in hist], "final_loss": hist[-1][1],
                      "accuracy": float(np.mean(np.argmax(scores, axis=1) == y)), "clipped_share": share,
                      "max_step_per_weight_W0": lr * frac * np.sqrt(2 / 64) if frac else None}
    base, ctl = runs[variants[0][0]], runs[variants[-1][0]]
    seed_run = runs[variants[1][0]]
    dead = {k: v["zero_gradient"][-1] for k, v in runs.items()}
    checks = [
        check("without clipping, lr 3.0 kills ReLU units (as in dead_relu)", "dead share > control + 0.2",
              [base["zero_gradient"][-1], ctl["zero_gradient"][-1]],
              base["zero_gradient"][-1] > ctl["zero_gradient"][-1] + 0.2),
        check("every run stays finite", "final losses finite", {k: v["final_loss"] for k, v in runs.items()},
              all(np.isfinite(v["final_loss"]) for v in runs.values())),
        check("seed 000's remedy (clip at sqrt(2/n) / 100) keeps units alive at lr 3.0", "dead share <= control + 0.05",
              [seed_run["zero_gradient"][-1], ctl["zero_gradient"][-1]],
              seed_run["zero_gradient"][-1] <= ctl["zero_gradient"][-1] + 0.05, strict=False),
        check("with the remedy the net still learns as well as the control (lr 0.1, no clipping)",
              "final loss <= 1.1 x control's", [seed_run["final_loss"], ctl["final_loss"]],
              seed_run["final_loss"] <= 1.1 * ctl["final_loss"], strict=False),
        *[check(f"clipping at {f:g} sqrt(2/n) keeps units alive at lr 3.0", "dead share <= control + 0.05",
                runs[variants[1 + i][0]]["zero_gradient"][-1],
                runs[variants[1 + i][0]]["zero_gradient"][-1] <= ctl["zero_gradient"][-1] + 0.05, strict=False)
          for i, f in enumerate(FRACTIONS) if f != 0.01],
    ]
    m = {"task": f"digits 64 -> 100 -> 10 ReLU (He), softmax cross-entropy, SGD batch 64, {steps} steps",
         "dead_share_final": dead, "final_loss": {k: v["final_loss"] for k, v in runs.items()},
         "final_accuracy": {k: v["accuracy"] for k, v in runs.items()},
         "share_of_gradient_entries_clipped": {k: v["clipped_share"] for k, v in runs.items()},
         "max_update_per_W0_entry": {k: v["max_step_per_weight_W0"] for k, v in runs.items()},
         "note": "clipped at c = frac sqrt(2/n), every update is at most lr * c per weight: at 1/100 and lr 3.0 "
                 "that is 0.0053 for W0 (n = 64), so the remedy also acts as a much smaller step", "runs": runs}
    x = base["step"]
    plots = [
        {"kind": "lines", "title": "share of dead ReLU units (zero gradient on every digit), lr 3.0 with and without "
                                   "seed 000's clipping", "xlabel": "step", "ylabel": "share", "logy": False, "x": x,
         "series": {k: v["zero_gradient"] for k, v in runs.items()}},
        {"kind": "lines", "title": "training loss (full batch)", "xlabel": "step", "ylabel": "cross-entropy",
         "logy": True, "x": x, "series": {k: v["loss"] for k, v in runs.items()}},
    ]
    return m, checks, plots


DEAD_RELU_CLIPPED = Scenario(
    name="dead_relu_clipped",
    claim="Seed 000's remedy for dying ReLUs at a large learning rate, clipping every gradient entry at 1/100 "
          "of sqrt(2/n), keeps the units alive; what it costs in learning is measured next to it.",
    source={"seed": "000_23a75d5ee33f8d61.txt",
            "says": "学習率が大きすぎると一気に重みが負になってしまい、すべてのニューロンが活動しなくなり、学習が止まってしまいます。"
                    "今回は勾配の絶対値が、sqrt(2/n) の1/100を上回ったら強制的に補正をするようにしました。 (Too large a "
                    "learning rate turns the weights negative and every neuron stops; I forcibly corrected the "
                    "gradient whenever its absolute value exceeded 1/100 of sqrt(2/n).)"},
    build="dead_relu's net (digits 64 -> 100 -> 10 ReLU, He init, SGD batch 64, same batches) for 150 steps "
          "(1000 thorough) at lr 3.0 without clipping, and with every weight and bias gradient entry clipped "
          "to +-frac sqrt(2/n) (n the layer's fan-in) for frac = 1/100 (the seed's), 1/10 and 1; control: lr "
          "0.1 without clipping. Dead: activation derivative 0 on all 1797 digits.",
    measure=measure_clipped, observed=True)
