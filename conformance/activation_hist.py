"""activation_histograms: the book's chapter-6 experiment (ch06/weight_init_activation_histogram.py).

1000 standard-normal inputs of 100 features through 5 layers of 100 units, no bias, weights N(0, std^2)
with std 1, 0.01, Xavier sqrt(1/n) and He sqrt(2/n), sigmoid or ReLU after every layer; the histogram of
every layer's activations, and the statistics that say what the book reads off them: sigmoid with std 1
saturates at 0 and 1 (the gradient vanishes), with std 0.01 every unit says about 0.5 (the
representation collapses), Xavier keeps a spread; ReLU with std 0.01 or Xavier shrinks layer by layer,
He keeps the scale, std 1 explodes.  Seeds 000 and 003 argue about exactly this (sigmoid's vanishing
gradient, the initial weights ReLU needs).
"""
from __future__ import annotations

import numpy as np

from .nets import backward
from .ops import he_std, xavier_std
from .scenario import Scenario, check, pick

INITS = {"std 1": lambda n: 1.0, "std 0.01": lambda n: 0.01, "Xavier sqrt(1/n)": xavier_std, "He sqrt(2/n)": he_std}
ACTS = ("sigmoid", "relu")
LAYERS, NODES, BINS = 5, 100, 30
SAT = 0.01  # sigmoid saturated: a < SAT or a > 1 - SAT


def run_net(ops, act, std, seed, n):
    """Activations of every layer (NumPy) and ||dLoss/dW_l|| for a standard-normal upstream gradient."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, NODES))  # the book: np.random.randn(1000, 100)
    h = ops.asarray(x)
    acts, caches = [], []
    wrng = np.random.default_rng(seed + 1)  # the same weight draws for every (activation, init), rescaled
    for l in range(LAYERS):
        w = wrng.standard_normal((NODES, NODES)) * std(NODES)
        z, cz = ops.affine_forward(h, ops.asarray(w), ops.asarray(np.zeros(NODES)))
        h, ca = ops.act_forward(act, z)
        caches.append((False, act, ca, cz))
        acts.append(ops.numpy(h))
    with np.errstate(all="ignore"):
        grads, _ = backward(ops, ops.asarray(rng.standard_normal((n, NODES))), caches)
    return acts, [ops.norm(grads[f"W{l}"]) for l in range(LAYERS)]


def stats(act, a) -> dict:
    rms = float(np.sqrt(np.mean(a ** 2)))
    s = {"mean": float(a.mean()), "std": float(a.std()), "rms": rms, "exact_zero": float(np.mean(a == 0))}
    if act == "sigmoid":
        s["saturated"] = float(np.mean((a < SAT) | (a > 1 - SAT)))
        s["near_half"] = float(np.mean(np.abs(a - 0.5) < 0.05))
        s["mean_derivative"] = float(np.mean(a * (1 - a)))  # sigmoid' = y (1 - y) <= 0.25
    return s


def _panels(act, acts, st):
    if act == "sigmoid":
        lo, hi = 0.0, 1.0  # the book's range=(0, 1)
    else:  # ReLU: the exact zeros are counted apart; one range per row, from the first layer's spread
        pos = acts[0][acts[0] > 0]
        lo, hi = 0.0, float(np.quantile(pos, 0.99)) if pos.size else 1.0
    out = []
    for l, a in enumerate(acts):
        v = a[a > 0] if act == "relu" else a.ravel()
        counts, edges = np.histogram(np.clip(v, lo, hi), bins=BINS, range=(lo, hi))
        extra = (f"sat {st[l]['saturated']:.2f}, std {st[l]['std']:.3f}" if act == "sigmoid"
                 else f"zeros {st[l]['exact_zero']:.2f}, rms {st[l]['rms']:.2g}")
        out.append({"title": f"{l + 1}-layer ({extra})", "counts": counts.tolist(), "edges": edges.tolist()})
    return out


def measure_hist(ops, seed, profile):
    n = pick(profile, 1000, 1000, 10000)
    st, gn, panels = {}, {}, {}
    for act in ACTS:
        for name, std in INITS.items():
            acts, g = run_net(ops, act, std, seed, n)
            key = f"{act}, {name}"
            st[key] = [stats(act, a) for a in acts]
            gn[key] = g
            panels[key] = _panels(act, acts, st[key])
    m = {"task": f"{n} x {NODES} N(0, 1) inputs, {LAYERS} layers of {NODES} units, no bias, weights N(0, std^2)",
         "stats_per_layer": st, "rms_growth_layer5_over_layer1": {k: growth(st, k) for k in st},
         "grad_norm_per_layer": gn}
    return m, claims(st, gn), plots(st, panels)


def growth(st, key):
    """rms of the last layer's activations over the first's (inf when it overflows)."""
    r = st[key][-1]["rms"] / st[key][0]["rms"]
    return r if np.isfinite(r) else float("inf")


def claims(st, gn) -> list:
    """The book's readings of the histograms, as checks: per-layer statistics ``st`` and weight-gradient norms
    ``gn`` keyed "act, init" (INITS); a claim whose nets were not run (e.g. sigmoid where the API has ReLU
    only) is left out."""
    def every(key, f):
        return all(f(s) for s in st[key])

    def col(key, field):
        return [s[field] for s in st[key]]
    sx, s1, s01 = "sigmoid, Xavier sqrt(1/n)", "sigmoid, std 1", "sigmoid, std 0.01"
    r1, r01, rx, rh = "relu, std 1", "relu, std 0.01", "relu, Xavier sqrt(1/n)", "relu, He sqrt(2/n)"
    g = lambda k: growth(st, k)  # noqa: E731
    table = [
        ((s1,), lambda: check(f"sigmoid, std 1: activations pile up at 0 and 1 (share below {SAT} or above {1 - SAT}), "
                              "every layer", ">= 0.4", col(s1, "saturated"),
                              every(s1, lambda s: s["saturated"] >= 0.4))),
        ((s1,), lambda: check("sigmoid, std 1: so the mean local gradient y(1 - y) is small, every layer", "<= 0.1",
                              col(s1, "mean_derivative"), every(s1, lambda s: s["mean_derivative"] <= 0.1))),
        ((s01,), lambda: check("sigmoid, std 0.01: every unit outputs about 0.5 (|a - 0.5| < 0.05), every layer; "
                               "the representation collapses", ">= 0.95, std < 0.03",
                               {"near_half": col(s01, "near_half"), "std": col(s01, "std")},
                               every(s01, lambda s: s["near_half"] >= 0.95 and s["std"] < 0.03))),
        ((sx,), lambda: check("sigmoid, Xavier: a spread distribution, neither saturated nor collapsed, every layer",
                              "saturated < 0.05 and std > 0.1",
                              {"saturated": col(sx, "saturated"), "std": col(sx, "std")},
                              every(sx, lambda s: s["saturated"] < 0.05 and s["std"] > 0.1))),
        ((r01,), lambda: check("ReLU, std 0.01: the activations shrink toward 0 layer by layer",
                               "rms layer 5 / layer 1 < 1e-3", g(r01), g(r01) < 1e-3)),
        ((rx,), lambda: check("ReLU, Xavier: the activations shrink with depth (the book: 'gradually biased')",
                              "rms layer 5 / layer 1 in [0.1, 0.5] (theory 0.25)", g(rx), 0.1 <= g(rx) <= 0.5)),
        ((rh,), lambda: check("ReLU, He: the scale is kept through the 5 layers",
                              "rms layer 5 / layer 1 in [0.5, 2] (theory 1)", g(rh), 0.5 <= g(rh) <= 2)),
        ((r1,), lambda: check("ReLU, std 1: the activations explode",
                              "rms layer 5 / layer 1 > 100 (theory 50^2 = 2500)",
                              g(r1), g(r1) > 100)),
        ((rh,), lambda: check("ReLU: about half of every layer's activations are exactly 0 (He)", "share in [0.4, 0.6]",
                              col(rh, "exact_zero"), every(rh, lambda s: 0.4 <= s["exact_zero"] <= 0.6))),
        ((s1, sx), lambda: check("sigmoid, std 1 vs Xavier: the first layer's weight gradient, relative to the last "
                                 "layer's, is smaller when the units saturate", "(||dW1|| / ||dW5||) std 1 < Xavier",
                                 {"std 1": gn[s1][0] / gn[s1][-1], "Xavier": gn[sx][0] / gn[sx][-1]},
                                 gn[s1][0] / gn[s1][-1] < gn[sx][0] / gn[sx][-1], strict=False)),
    ]
    return [make() for keys, make in table if all(k in st for k in keys)]


def plots(st, panels) -> list:
    """Histogram grids (one per activation that ran) and the rms per layer."""
    acts = [a for a in ACTS if any(k.startswith(f"{a}, ") for k in panels)]
    out = [{"kind": "hist", "title": f"{act} activations per layer (the book's fig. 6-10 .. 6-14)"
            + (", exact zeros left out" if act == "relu" else ""),
            "row_labels": [n for n in INITS if f"{act}, {n}" in panels],
            "rows": [panels[f"{act}, {name}"] for name in INITS if f"{act}, {name}" in panels]} for act in acts]
    out.append({"kind": "lines", "title": "rms of the activations per layer", "xlabel": "layer", "ylabel": "rms",
                "logy": True, "x": list(range(1, LAYERS + 1)),
                "series": {k: [s["rms"] for s in v] for k, v in st.items()}})
    return out


ACTIVATION_HISTOGRAMS = Scenario(
    name="activation_histograms",
    claim="The book's chapter-6 experiment: with sigmoid, std 1 saturates the units at 0 and 1 and std 0.01 "
          "collapses them to 0.5 while Xavier keeps a spread; with ReLU, std 0.01 and Xavier shrink the "
          "activations layer by layer, He keeps their scale and std 1 explodes.",
    source={"seed": "003_46780a16831aa15f.txt, 000_23a75d5ee33f8d61.txt (the book's ch. 6, on which seed 004 stops)",
            "says": "003: the sigmoid's derivative is at most 0.25, so the error shrinks as it propagates back. "
                    "000: ReLU grows without bound, so the initial weights must depend on the number of neurons "
                    "(sqrt(2/n)). The book (ch. 6.2): std 1 -> activations at 0 and 1, gradient vanishing; std 0.01 "
                    "-> around 0.5, limited expressiveness; Xavier -> spread; ReLU needs He."},
    build="The book's ch06/weight_init_activation_histogram.py through the ops: 1000 N(0, 1) inputs (10000 "
          "thorough) of 100 features, 5 affine layers of 100 units without bias, weights N(0, std^2) for std 1, "
          "0.01, sqrt(1/n), sqrt(2/n) (the same draws, rescaled), sigmoid or ReLU after each; 30-bin histograms "
          "(sigmoid on (0, 1) as in the book); a standard-normal upstream gradient backpropagated for "
          "||dLoss/dW_l||.",
    measure=measure_hist)
