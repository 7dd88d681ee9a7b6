"""The training-dynamics scenarios on a student's own network (``spec-nn conformance --target PATH``).

The other scenarios build their nets from a submission's layers (conformance.ops.ImplOps); these run the
student's *model class*, where the dialect has one: the book's ``MultiLayerNet(input_size, hidden_size_list,
output_size, activation='relu'|'sigmoid', weight_init_std='relu'|'he'|'sigmoid'|'xavier'|float)`` and CS231n's
``FullyConnectedNet(hidden_dims, input_dim, num_classes, weight_scale=...)`` (ReLU only).  Everything the student
wrote runs in the sandbox worker (spec_nn/adapters_dynamics.py, op ``dynamics`` of the component ``fc_net``);
this module only sends configs and reads the replies.

* ``model_vanishing_gradient``: ||dLoss/dW_l|| per layer of the student's net at initialisation (softmax
  cross-entropy on random labels), sigmoid with Xavier against ReLU with He (and ReLU with std 0.01), depths 5
  and 10: seed 003's sigmoid' <= 0.25 makes the first layers' gradients vanish, ReLU with He keeps them.
* ``model_activation_histograms``: the book's chapter-6 experiment on the student's net: the outputs of its 5
  hidden activation layers on 1000 N(0, 1) inputs for weight std 1, 0.01, Xavier and He, sigmoid and ReLU,
  judged by the claims of conformance.activation_hist.

Both recompute, with the NumPy reference, the same net on the very weights the student's constructor drew (the
reply carries them): a model whose backward or forward is wrong shows as a strict check that fails, beside the
claims measured on its own numbers.
"""
from __future__ import annotations

import numpy as np

from .activation_hist import ACTS, INITS, LAYERS, NODES, _panels, claims, plots, stats
from .nets import forward, loss_and_grads
from .ops import ReferenceOps, he_std, xavier_std
from .scenario import Scenario, check, pick

AGREE = 1e-6  # max relative difference from the reference on the same weights (float64 all through)
CLASSES = 10


class Unsupported(Exception):
    """The student's API cannot run this config (the reason is the message)."""


class ModelRunner:
    """The student's fc_net behind a sandbox Session: ``run(config, X, y)`` -> the worker's reply (params,
    grads, hidden activations, note).  ``backend`` and ``describe`` are what a Scenario reports."""

    def __init__(self, session, style: str, api: str = ""):
        self.session, self.style, self.api = session, style, api
        self.backend = f"submission:{style} model"
        self.notes: list = []

    def begin(self):
        self.notes = []

    def describe(self) -> dict:
        return {"backend": self.backend, "model": self.api, "notes": list(dict.fromkeys(self.notes))}

    def run(self, config: dict, X: np.ndarray, y: np.ndarray) -> dict:
        from spec_nn.record import Case
        case = Case({}, {"X": np.asarray(X, dtype=np.float64), "y": np.asarray(y, dtype=np.int64)},
                    {"op": "dynamics", "config": config})
        res, _after = self.session.call("fc_net", "forward", case)
        if "unsupported" in res:
            raise Unsupported(_text(res.get("why")))
        if "note" in res:
            self.notes.append(f"{config['activation']}, init {config['init']!r}: {_text(res['note'])}")
        return res


def _text(codes) -> str:
    return "".join(chr(int(c)) for c in np.asarray(codes).reshape(-1)) if codes is not None else ""


def _numbered(res: dict, prefix: str, depth: int) -> list:
    """[res["prefix:W1"], ..., "prefix:W{depth}"] (1-based names of both dialects); a missing name is an error."""
    out = []
    for l in range(1, depth + 1):
        k = f"{prefix}:W{l}"
        if k not in res:
            have = sorted(n.split(":", 1)[1] for n in res if n.startswith(prefix + ":"))
            raise KeyError(f"the model's {'parameters' if prefix == 'param' else 'gradients'} have no W{l} "
                           f"(they are {have})")
        out.append(np.asarray(res[k], dtype=np.float64))
    return out


def reference_on(res: dict, act: str, depth: int, X, y):
    """The reference net on the student's weights: (||dW_l|| for l = 1..depth + 1, hidden activations)."""
    ops = ReferenceOps()
    P = {}
    for l, w in enumerate(_numbered(res, "param", depth + 1)):
        P[f"W{l}"] = w
        b = res.get(f"param:b{l + 1}")
        P[f"b{l}"] = np.zeros(P[f"W{l}"].shape[1]) if b is None else np.asarray(b, dtype=np.float64).reshape(-1)
    layers = [(act, False)] * depth + [("identity", False)]
    _, _, info = loss_and_grads(ops, P, np.asarray(X, dtype=np.float64), layers, labels=np.asarray(y))
    _, _, zs = forward(ops, P, np.asarray(X, dtype=np.float64), layers)
    acts = [ops.act_forward(act, z)[0] for z in zs[:depth]]
    return info["dW"], acts


def rel_diff(a, b) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return float("inf")
    scale = max(float(np.max(np.abs(b))) if b.size else 0.0, 1e-300)
    d = float(np.max(np.abs(a - b))) / scale if a.size else 0.0
    return d if np.isfinite(d) else float("inf")


def _data(seed, n, width):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, width)), rng.integers(0, CLASSES, n)


def _config(act, init, std, width, depth, seed):
    return {"hidden_dims": [width] * depth, "input_dim": width, "num_classes": CLASSES, "activation": act,
            "init": init, "std": float(std), "seed": int(seed)}


# -- model_vanishing_gradient -----------------------------------------------------------------------------

# name -> (activation, the init as the student's argument, the std it means for fan-in n)
VANISHING_NETS = {
    "sigmoid, Xavier": ("sigmoid", "xavier", xavier_std),
    "relu, He": ("relu", "he", he_std),
    "relu, std 0.01": ("relu", 0.01, lambda n: 0.01),
}


def measure_vanishing(runner, seed, profile):
    width, batch = pick(profile, 64, 64, 128), pick(profile, 64, 64, 256)
    depths = pick(profile, (5, 10), (5, 10), (5, 10, 20))
    X, y = _data(seed, batch, width)
    norms, ratio, agree, skipped = {}, {}, {}, {}
    for name, (act, init, std) in VANISHING_NETS.items():
        for depth in depths:
            try:
                res = runner.run(_config(act, init, std(width), width, depth, seed), X, y)
            except Unsupported as e:
                skipped[name] = str(e)
                runner.notes.append(f"{name}: not run: {e}")
                break
            got = [float(np.linalg.norm(g)) for g in _numbered(res, "grad", depth + 1)]
            want, _ = reference_on(res, act, depth, X, y)
            key = f"{name}, depth {depth}"
            norms[key] = got
            ratio[key] = got[0] / got[depth - 1] if got[depth - 1] > 0 else float("inf")
            agree[key] = max(rel_diff(g, w) for g, w in zip(got, want))
    if not norms:
        raise Unsupported("; ".join(f"{k}: {v}" for k, v in skipped.items()))
    checks = [check("the model's ||dW_l|| per layer equal the reference's on the same weights (its backward is "
                    "right)", f"max relative difference < {AGREE:g}", agree, all(v < AGREE for v in agree.values()))]
    for d in depths:
        k = f"sigmoid, Xavier, depth {d}"
        if k in ratio:
            checks.append(check(f"sigmoid, Xavier: the first hidden layer's gradient vanishes against the last's, "
                                f"depth {d} (seed 003: sigmoid' <= 0.25)", "||dW_1|| / ||dW_L|| < 1e-2",
                                ratio[k], ratio[k] < 1e-2))
        k = f"relu, He, depth {d}"
        if k in ratio:
            checks.append(check(f"relu, He: the gradient keeps its size through depth {d}", "ratio in [0.1, 10]",
                                ratio[k], 0.1 <= ratio[k] <= 10))
        k, kh = f"relu, std 0.01, depth {d}", f"relu, He, depth {d}"
        if k in norms and kh in norms:
            checks.append(check(f"relu, std 0.01 vs He, depth {d}: with small weights the first layer's gradient is "
                                "far smaller (CS231n's weight_scale, seed 000's initial weights)",
                                "||dW_1|| std 0.01 < 1e-3 ||dW_1|| He", {"std 0.01": norms[k][0], "He": norms[kh][0]},
                                norms[k][0] < 1e-3 * norms[kh][0]))
    deepest = max(d for d in depths if any(k.endswith(f"depth {d}") for k in norms))
    m = {"width": width, "batch": batch, "depths": list(depths), "grad_norm_per_layer": norms,
         "first_last_ratio": ratio, "max_relative_difference_from_reference": agree, "not_run": skipped}
    plots_ = [{"kind": "lines", "title": f"||dLoss/dW_l|| per layer of the student's net, depth {deepest} "
               "(the last point is the output layer)", "xlabel": "layer", "ylabel": "gradient norm", "logy": True,
               "x": list(range(1, deepest + 2)),
               "series": {k.rsplit(",", 1)[0]: v for k, v in norms.items() if k.endswith(f"depth {deepest}")}}]
    return m, checks, plots_


MODEL_VANISHING = Scenario(
    name="model_vanishing_gradient",
    claim="Through the student's own multi-layer net, the first layers' weight gradients vanish with sigmoid "
          "(Xavier init) but keep their size with ReLU and He init.",
    source={"seed": "003_46780a16831aa15f.txt, 000_23a75d5ee33f8d61.txt",
            "says": "003: the sigmoid's derivative is at most 0.25, so the error shrinks as it propagates back; "
                    "000: with sigmoid the gradient gets smaller as layers are added, with ReLU it does not."},
    build="The student's MultiLayerNet (book: activation='sigmoid' with weight_init_std='xavier', activation='relu' "
          "with 'he' and with 0.01) or FullyConnectedNet (CS231n: ReLU only, weight_scale sqrt(2/n) and 0.01), "
          "hidden widths 64 (128 thorough), depth 5 and 10 (and 20 thorough), 64 N(0, 1) inputs (256 thorough), "
          "10 random labels, softmax cross-entropy; ||dLoss/dW_l|| from the model's own gradient, and from the "
          "reference on the weights it drew.",
    measure=measure_vanishing)


# -- model_activation_histograms -----------------------------------------------------------------------------

# the init names of conformance.activation_hist.INITS -> the student's weight_init_std argument
INIT_ARGS = {"std 1": 1.0, "std 0.01": 0.01, "Xavier sqrt(1/n)": "xavier", "He sqrt(2/n)": "he"}


def measure_histograms(runner, seed, profile):
    n = pick(profile, 1000, 1000, 10000)
    X, y = _data(seed, n, NODES)
    st, gn, panels, agree, skipped = {}, {}, {}, {}, {}
    for act in ACTS:
        for name, std in INITS.items():
            key = f"{act}, {name}"
            try:
                res = runner.run(_config(act, INIT_ARGS[name], std(NODES), NODES, LAYERS, seed), X, y)
            except Unsupported as e:
                skipped[key] = str(e)
                runner.notes.append(f"{act}: not run: {e}")
                continue
            acts = [np.asarray(res[f"act:{l}"]) for l in range(1, LAYERS + 1) if f"act:{l}" in res]
            want_g, want_a = reference_on(res, act, LAYERS, X, y)
            got_g = [float(np.linalg.norm(g)) for g in _numbered(res, "grad", LAYERS)]
            gn[key] = got_g
            agree[key] = max(rel_diff(got_g, want_g[:LAYERS]),
                             max((rel_diff(a, w) for a, w in zip(acts, want_a)), default=0.0))
            if len(acts) != LAYERS:
                skipped[key] = (f"{len(acts)} of {LAYERS} hidden activations observable"
                                + (f" ({runner.notes[-1]})" if runner.notes else ""))
                continue
            with np.errstate(all="ignore"):
                st[key] = [stats(act, a) for a in acts]
                panels[key] = _panels(act, acts, st[key])
    if not gn:
        raise Unsupported("; ".join(f"{k}: {v}" for k, v in skipped.items()))
    checks = [check("the model's hidden activations and ||dW_l|| equal the reference's on the same weights",
                    f"max relative difference < {AGREE:g}", agree, all(v < AGREE for v in agree.values()))]
    checks += claims(st, gn)
    m = {"task": f"{n} x {NODES} N(0, 1) inputs through the student's net: {LAYERS} hidden layers of {NODES} units",
         "stats_per_layer": st, "grad_norm_per_layer": gn, "max_relative_difference_from_reference": agree,
         "not_run": skipped}
    return m, checks, plots(st, panels) if st else []


MODEL_HISTOGRAMS = Scenario(
    name="model_activation_histograms",
    claim="The book's chapter-6 experiment on the student's own net: with sigmoid, std 1 saturates the units and "
          "std 0.01 collapses them to 0.5 while Xavier keeps a spread; with ReLU, std 0.01 and Xavier shrink the "
          "activations layer by layer, He keeps their scale and std 1 explodes.",
    source={"seed": "003_46780a16831aa15f.txt, 000_23a75d5ee33f8d61.txt (the book's ch. 6)",
            "says": "The book (ch. 6.2, ch06/weight_init_activation_histogram.py): std 1 -> activations at 0 and 1, "
                    "gradient vanishing; std 0.01 -> around 0.5; Xavier -> spread; ReLU needs He (seed 000)."},
    build="The student's MultiLayerNet(100, [100] * 5, 10, activation, weight_init_std) for weight_init_std 1, 0.01, "
          "'xavier', 'he' and activation 'sigmoid', 'relu' (CS231n: FullyConnectedNet with weight_scale 1, 0.01, "
          "sqrt(1/100), sqrt(2/100), ReLU only); the outputs of its 5 activation layers on a test-mode forward of "
          "1000 N(0, 1) inputs (10000 thorough), 30-bin histograms as in the book, and the reference's on the "
          "same weights.",
    measure=measure_histograms)


MODEL_SCENARIOS = [MODEL_VANISHING, MODEL_HISTOGRAMS]


def run_model_scenarios(runner, names=None, *, seed: int = 0, profile: str = "fast") -> list:
    """Every model scenario on ``runner``; one the API cannot run at all is reported as "skip" with the reason."""
    out = []
    for s in MODEL_SCENARIOS:
        if names and s.name not in names:
            continue
        r = s.run(runner, seed=seed, profile=profile)
        if r["error"].startswith(f"{Unsupported.__name__}: "):
            r.update(status="skip", error=r["error"].split(": ", 1)[1])
        out.append(r)
    return out


def skipped(name: str, why: str, backend: str, seed: int, profile: str) -> dict:
    """The report entry of a model scenario that cannot run (no model class in the target)."""
    s = next(s for s in MODEL_SCENARIOS if s.name == name)
    return {"name": s.name, "claim": s.claim, "source": s.source, "build": s.build, "backend": backend,
            "ops": {"backend": backend}, "seed": seed, "profile": profile, "status": "skip", "error": why,
            "checks": [], "claims_held": [], "claims_not_held": [], "measurements": {}, "plots": [], "seconds": 0.0}
