"""relu_sparsity: seed 001's "ReLU's representation is sparse" and "ReLU is cheap to compute"."""
from __future__ import annotations

import os
import platform
import time

import numpy as np

from .data import digits
from .dead_relu_variants import init_2layer, prelu_forward, train_2layer
from .nets import init_params
from .ops import xavier_std
from .scenario import Scenario, check, pick

HIDDEN = 100
ACTS = ("relu", "leaky_relu", "prelu", "elu", "sigmoid", "tanh")
NEAR = 0.01  # "near zero": |a| < NEAR (for sigmoid, whose "off" level is 0, a < NEAR)


def _init(seed, act):
    if act in ("sigmoid", "tanh"):
        return init_params(np.random.default_rng(seed), [64, HIDDEN, 10], xavier_std)
    return init_2layer(seed, act, HIDDEN)


def _hidden(ops, P, X, act):
    z, _ = ops.affine_forward(ops.asarray(X), P["W0"], P["b0"])
    a = prelu_forward(ops, z, P["a0"])[0] if act == "prelu" else ops.act_forward(act, z)[0]
    return ops.numpy(a)


def _time_per_element(fn, x, repeats):
    """Best of ``repeats`` wall-clock timings of fn(x), in nanoseconds per element."""
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(x)
        best = min(best, time.perf_counter() - t0)
    return best / np.prod(np.shape(x)) * 1e9


def timings(ops, seed, n, repeats) -> dict:
    """ns per element of forward and forward + backward for relu and sigmoid on the backend, and of the
    bare formulas np.maximum(x, 0) and 1 / (1 + np.exp(-x)) in NumPy."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n)
    xo, ones = ops.asarray(x), ops.asarray(np.ones(n))
    out = {}
    for act in ("relu", "sigmoid"):
        def fwd(v, act=act):
            return ops.numpy(ops.act_forward(act, v)[0])

        def fwd_bwd(v, act=act):
            _, c = ops.act_forward(act, v)
            return ops.numpy(ops.act_backward(act, ones, c))
        fwd(xo), fwd_bwd(xo)  # warm-up (allocations, lazy initialisation)
        out[f"{ops.backend} {act} forward"] = _time_per_element(fwd, xo, repeats)
        out[f"{ops.backend} {act} forward+backward"] = _time_per_element(fwd_bwd, xo, repeats)
    out["numpy np.maximum(x, 0)"] = _time_per_element(lambda v: np.maximum(v, 0), x, repeats)
    out["numpy 1 / (1 + np.exp(-x))"] = _time_per_element(lambda v: 1 / (1 + np.exp(-v)), x, repeats)
    return out


def machine() -> dict:
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {"processor": platform.processor() or platform.machine(), "platform": platform.platform(),
            "cpu_count": os.cpu_count(), "load_average_1_5_15_min": load, "numpy": np.__version__,
            "python": platform.python_version(), "blas_threads": 1}


def measure_sparsity(ops, seed, profile):
    X, y = digits()
    steps = pick(profile, 100, 100, 1000)
    lr = 0.1
    zero, near, acc = {}, {}, {}
    for act in ACTS:
        P = _init(seed, act)
        a0 = _hidden(ops, {k: ops.asarray(v) for k, v in P.items()}, X, act)
        _, Pn, _ = train_2layer(ops, P, act, X, y, steps=steps, lr=lr, batch=64, seed=seed, every=steps)
        a1 = _hidden(ops, Pn, X, act)
        zero[act] = {"init": float(np.mean(a0 == 0)), "trained": float(np.mean(a1 == 0))}
        near_fn = (lambda a: a < NEAR) if act == "sigmoid" else (lambda a: np.abs(a) < NEAR)
        near[act] = {"init": float(np.mean(near_fn(a0))), "trained": float(np.mean(near_fn(a1)))}
        acc[act] = a1
    # per digit: how many of the 100 hidden units are exactly 0 (ReLU, trained)
    per_digit = np.sum(acc["relu"] == 0, axis=1)
    n = pick(profile, 1 << 20, 1 << 20, 1 << 23)
    t = timings(ops, seed, n, pick(profile, 5, 5, 20))
    ratio_fwd = t[f"{ops.backend} sigmoid forward"] / t[f"{ops.backend} relu forward"]
    ratio_np = t["numpy 1 / (1 + np.exp(-x))"] / t["numpy np.maximum(x, 0)"]
    others = ("leaky_relu", "prelu", "elu", "sigmoid", "tanh")
    checks = [
        check("ReLU: share of exact zeros in the hidden activations (1797 digits), at init and after training",
              ">= 0.3 both", zero["relu"], zero["relu"]["init"] >= 0.3 and zero["relu"]["trained"] >= 0.3),
        check("sigmoid and tanh never output an exact zero", "share = 0",
              {a: zero[a]["trained"] for a in ("sigmoid", "tanh")},
              all(zero[a]["init"] == 0 and zero[a]["trained"] == 0 for a in ("sigmoid", "tanh"))),
        check("LeakyReLU, PReLU and ELU give up the sparsity (seed 001): no exact zeros", "share = 0",
              {a: zero[a]["trained"] for a in ("leaky_relu", "prelu", "elu")},
              all(zero[a]["trained"] == 0 for a in ("leaky_relu", "prelu", "elu"))),
        check(f"even counting |a| < {NEAR} as zero, ReLU is the sparsest", "relu > every other, after training",
              {a: near[a]["trained"] for a in ACTS}, all(near["relu"]["trained"] > near[a]["trained"] for a in others),
              strict=False),
        check(f"ReLU is cheaper than sigmoid on {ops.backend} (forward, ns per element; timing on this machine, "
              "never a test assertion)", "sigmoid / relu > 1", ratio_fwd, ratio_fwd > 1, strict=False),
        check("bare NumPy: 1 / (1 + exp(-x)) costs more than max(x, 0)", "ratio > 1", ratio_np, ratio_np > 1,
              strict=False),
    ]
    m = {"task": f"digits 64 -> {HIDDEN} -> 10, He init (ReLU family) or Xavier (sigmoid, tanh), SGD lr {lr} batch 64, "
                 f"{steps} steps; hidden activations of all 1797 digits", "exact_zero_share": zero,
         f"near_zero_share (|a| < {NEAR})": near, "relu_zero_units_per_digit_mean": float(per_digit.mean()),
         "timing_ns_per_element": t, "timing_elements": n, "sigmoid_over_relu_forward": ratio_fwd,
         "numpy_sigmoid_over_relu": ratio_np, "machine": machine()}
    plots = [
        {"kind": "bars", "title": "share of exact zeros in the hidden activations (after training)",
         "labels": list(ACTS), "values": [zero[a]["trained"] for a in ACTS], "logy": False, "ylabel": "share"},
        {"kind": "hist", "title": "ReLU, trained: exactly-zero hidden units per digit",
         "panels": [{"title": "ReLU (100 hidden units)", **_hist(per_digit, 0, HIDDEN, 25)}]},
        {"kind": "bars", "title": f"time per element, best of {pick(profile, 5, 5, 20)} ({n} elements; this machine, "
                                  "one BLAS thread)", "labels": list(t), "values": list(t.values()),
         "logy": False, "ylabel": "ns per element"},
    ]
    return m, checks, plots


def _hist(values, lo, hi, bins) -> dict:
    counts, edges = np.histogram(values, bins=bins, range=(lo, hi))
    return {"counts": counts.tolist(), "edges": edges.tolist()}


RELU_SPARSITY = Scenario(
    name="relu_sparsity",
    claim="ReLU outputs true zeros (a sparse representation) where sigmoid and tanh never do, and LeakyReLU, "
          "PReLU and ELU give that sparsity up; ReLU is cheaper to compute than sigmoid.",
    source={"seed": "001_d14e0df49f779b15.txt",
            "says": "計算が単純である: Sigmoidやtanhなどの関数にはexpの計算が含まれているが、ReLUはmax関数の演算だけなので"
                    "計算コストが軽く ... 表現スパース性がある: ReLUを活性化関数として用いると不必要な情報に対しては真の0を出力できる ... "
                    "Leaky ReLU、PReLU、ELUなどを用いる方法もあるが、前節で見た利点である表現スパース性が弱くなる。"},
    build="Digits classifiers 64 -> 100 -> 10 with ReLU, LeakyReLU (0.01), PReLU (learnable, 0.25), ELU (He init) "
          "and sigmoid, tanh (Xavier), SGD lr 0.1 batch 64 for 100 steps (1000 thorough); share of exact zeros "
          "and of |a| < 0.01 in the hidden activations of all 1797 digits. Timing: best of 5 runs over 2^20 "
          "standard-normal numbers (2^23, 20 runs thorough), on the backend and in bare NumPy; reported with the "
          "machine, as observed.",
    measure=measure_sparsity, observed=True)
