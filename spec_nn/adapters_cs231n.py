"""CS231n-dialect adapters.

``cs231n/layers.py`` ``*_forward(...) -> (out, cache)`` / ``*_backward(dout, cache)``, loss functions
returning ``(loss, dx)``, ``cs231n/optim.py`` update rules with config dicts, ``cs231n/gradient_check.py``.
Runs inside the sandbox worker like spec_nn/adapters.py, which looks TABLE, CORE and FIXED_HP up.
"""
from __future__ import annotations

import inspect
import re

import numpy as np

from .adapters import (ENTRY_MARK, W, Adapter, CaseView, WrongType, arr, as_dict_grads, call_with_h, case_labels, conv_hp,
                       dropout_ratio, is_train, labels_int, optimizer_case, optimizer_kwargs, pair, pool_hp,
                       spec_function, trajectory)


def cs_layer(name, args, grads, *, param=None, out_grad=lambda g: g, gamma_shape=None, api_mod="layers",
             fwd_name=None, bwd_name=None):
    """``fwd(*args(case)[, param(case)]) -> (out, cache)``, ``bwd(dout, cache) -> dx[, dw, ...]``."""
    fwd_name = fwd_name or f"{name}_forward"
    bwd_name = bwd_name or f"{name}_backward"

    def run_fwd(sub, c, o):
        a = list(args(c, o))
        if param is not None:
            a.append(param(c, o))
        res = pair(sub.attr(api_mod, fwd_name)(*a), fwd_name)
        return res

    def forward(sub, c, o):
        out, _cache = run_fwd(sub, c, o)
        if isinstance(out, np.ndarray) and gamma_shape is not None:
            pass
        return {"out": arr(out, fwd_name)}

    def backward(sub, c, dout, o):
        _out, cache = run_fwd(sub, c, o)
        res = sub.attr(api_mod, bwd_name)(dout, cache)
        if len(grads) == 1:
            if isinstance(res, (tuple, list)) and len(res) == 1:
                res = res[0]
            res = (res,)
        else:
            res = pair(res, bwd_name, len(grads))
        out = {}
        for name_, g in zip(grads, res):
            g = arr(g, bwd_name)
            if name_ in ("gamma", "beta") and gamma_shape is not None and name_ in c.arrays:
                g = g.reshape(c.arrays[name_].shape)
            out[name_] = g
        return as_dict_grads(c, out.items())
    return Adapter(forward, backward, needs=(f"{api_mod}.{fwd_name}",), bwd_needs=(f"{api_mod}.{bwd_name}",),
                   api=f"cs231n.{api_mod}.{fwd_name} / {bwd_name}")


def cs_padded_pool():
    """max_pool_*_naive has no padding: the dialect draws pad = 0 (CASES).  A case with pad > 0 (from another
    driver) is padded here with -inf, the specification's padding, and the gradient cropped."""
    fwd_name, bwd_name = "max_pool_forward_naive", "max_pool_backward_naive"

    def run(sub, c):
        ph, pw, stride, pad = pool_hp(c)
        x = c["x"]
        xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), constant_values=-np.inf) if pad else x
        out, cache = pair(sub.attr("layers", fwd_name)(xp, {"pool_height": ph, "pool_width": pw, "stride": stride}),
                          fwd_name)
        return arr(out, fwd_name), cache, pad

    def forward(sub, c, o):
        return {"out": run(sub, c)[0]}

    def backward(sub, c, dout, o):
        _, cache, pad = run(sub, c)
        dx = arr(sub.attr("layers", bwd_name)(dout, cache), bwd_name)
        if pad:
            dx = dx[:, :, pad:dx.shape[2] - pad, pad:dx.shape[3] - pad]
        return {"x": dx}
    return Adapter(forward, backward, needs=(f"layers.{fwd_name}",), bwd_needs=(f"layers.{bwd_name}",),
                   api=f"cs231n.layers.{fwd_name} / {bwd_name}")


def cs_loss(fn):
    def forward(sub, c, o):
        loss, _dx = pair(sub.attr("layers", fn)(c["x"], labels_int(case_labels(c))), fn)
        return {"out": arr(loss, fn)}

    def backward(sub, c, dout, o):
        _loss, dx = pair(sub.attr("layers", fn)(c["x"], labels_int(case_labels(c))), fn)
        return {"x": arr(dx, fn) * np.asarray(dout).reshape(()).astype(np.asarray(dx).dtype)}
    return Adapter(forward, backward, needs=(f"layers.{fn}",), api=f"cs231n.layers.{fn}")


def _cs_mode(c):
    """cs231n says "test" where the specification says "eval"."""
    return "train" if is_train(c) else "test"


def _bn_param(c, o):
    p = {"mode": _cs_mode(c), "eps": float(c.first("eps", default=1e-5)),
         "momentum": float(c.first("momentum", default=0.9))}
    for k in ("running_mean", "running_var"):
        v = c.first(k, default=None)
        if v is not None:
            p[k] = np.array(v, copy=True)
    return p


# What dropout_forward's p means, read from the submission's own words (its docstring, else its comments):
# the 2016 and 2017 assignments say "We drop each neuron output with probability p", later years "We keep each
# neuron output with probability p".  Data: (pattern, reading), the first pattern found in the source wins.
P_MEANING_PATTERNS = (
    (r"\b(keep|retain|drop)\w*\s+(?:\w+\s+){0,4}?with\s+probability\s+(?:of\s+)?p\b", None),
    (r"\bp\s*(?::|=|is|-)?\s*(?:the\s+)?(?:dropout\s+)?(keep|retain|drop)\w*\s+(?:prob|ratio|rate)", None),
    (r"\bprobability\s+of\s+(keep|retain|drop)\w*\b", None),
)
_READING = {"keep": "keep", "retain": "keep", "drop": "drop"}
_P_MEANING_CACHE: dict = {}


def documented_p_meaning(fn):
    """"keep" | "drop" as dropout_forward's docstring (else its comments) says, or "" when they do not say."""
    key = id(fn)
    if key not in _P_MEANING_CACHE:
        texts = [inspect.getdoc(fn) or ""]
        try:
            texts.append("\n".join(line.split("#", 1)[1] for line in inspect.getsource(fn).splitlines() if "#" in line))
        except (OSError, TypeError):
            pass
        found = ""
        for text in texts:
            hits = [(m.start(), _READING[m.group(1).lower()]) for pat, _ in P_MEANING_PATTERNS
                    for m in [re.search(pat, text, re.I)] if m]
            if hits:
                found = min(hits)[1]
                break
        _P_MEANING_CACHE[key] = (fn, found)  # fn kept alive so that its id is not reused
    return _P_MEANING_CACHE[key][1]


def _matched_p_meaning(fn):
    """Undocumented p: the reading its outputs match (share of zeros at cs231n p = 0.3 on 10^4 ones: 0.3 drops p,
    0.7 keeps p), "keep" when neither does."""
    key = ("probe", id(fn))
    if key not in _P_MEANING_CACHE:
        found = "keep"
        try:
            with np.errstate(all="ignore"):
                out = fn(np.ones((100, 100)), {"p": 0.3, "mode": "train", "seed": 0})
            out = np.asarray(out[0] if isinstance(out, (tuple, list)) else out, dtype=np.float64)
            share = float(np.mean(out == 0))
            found = "drop" if abs(share - 0.3) < 0.05 else "keep"
        except Exception:  # noqa: BLE001 - a probe that fails decides nothing; the checks will see the fault
            pass
        _P_MEANING_CACHE[key] = (fn, found)
    return _P_MEANING_CACHE[key][1]


def p_meaning(sub, o):
    """The adapter option p_meaning: keep | drop as a rubric says, or as_documented (the default): the
    submission's own words, else the reading its outputs match."""
    meaning = o.get("p_meaning", "as_documented")
    if meaning in ("keep", "drop"):
        return meaning
    fn = sub.attr("layers", "dropout_forward")
    return documented_p_meaning(fn) or _matched_p_meaning(fn)


def _cs_dropout_param(c, o, meaning="keep"):
    drop = dropout_ratio(c)
    return {"p": (1.0 - drop) if meaning == "keep" else drop, "mode": _cs_mode(c),
            "seed": int(c.first("seed", default=0))}


def cs_dropout():
    base = cs_layer("dropout", lambda c, o: (c["x"],), ("x",), param=_cs_dropout_param)

    def call(fn_name, sub, c, o, *lead):
        param = _cs_dropout_param(c, o, p_meaning(sub, o))
        return sub.attr("layers", fn_name), param

    def forward(sub, c, o):
        fn, param = call("dropout_forward", sub, c, o)
        out, _cache = pair(fn(c["x"], param), "dropout_forward")
        return {"out": arr(out, "dropout_forward")}

    def backward(sub, c, dout, o):
        fn, param = call("dropout_forward", sub, c, o)
        _out, cache = pair(fn(c["x"], param), "dropout_forward")
        res = sub.attr("layers", "dropout_backward")(dout, cache)
        if isinstance(res, (tuple, list)) and len(res) == 1:
            res = res[0]
        return {"x": arr(res, "dropout_backward")}

    def api(sub):
        fn = sub.attr("layers", "dropout_forward")
        doc = documented_p_meaning(fn) if fn is not None else ""
        said = f"p = {doc} probability, as its docstring or comments say" if doc else \
            "p undocumented: read as keep or drop probability, whichever its outputs match"
        return f"cs231n.layers.dropout_forward / dropout_backward ({said})"
    return Adapter(forward, backward, needs=base.needs, bwd_needs=base.bwd_needs, api=api)


def _gn_gamma(c):
    x = c["x"]
    return c["gamma"].reshape(1, x.shape[1], 1, 1), c["beta"].reshape(1, x.shape[1], 1, 1)


def _bn_eval_backward(fwd, name, c, dout, o):
    """CS231n defines {name}_backward after a "train" forward only (the "test" branch leaves cache = None): in
    eval mode the gradient is derived from the student's test-mode forward, which is affine in x, gamma and beta."""
    def f(z, g, b):
        view = CaseView({**c.arrays, "x": z, "gamma": g, "beta": b}, c.consts, c.hp)
        out, _cache = pair(fwd(z, g, b, _bn_param(view, o)), f"{name}_forward")
        return arr(out, f"{name}_forward")
    x, g, b = c["x"], c["gamma"], c["beta"]
    axes = (0,) + tuple(range(2, x.ndim))
    dx = f(np.asarray(dout, dtype=x.dtype), g, np.zeros_like(b)) - f(np.zeros_like(x), g, np.zeros_like(b))
    xn = f(x, np.ones_like(g), np.zeros_like(b))
    return as_dict_grads(c, [("x", dx.astype(x.dtype)), ("gamma", np.sum(dout * xn, axis=axes)),
                             ("beta", np.sum(dout, axis=axes))])


def cs_batchnorm(name, alt=None):
    """batchnorm / spatial_batchnorm, also returning the running statistics bn_param holds.  ``alt``: a second
    backward of the same cache (batchnorm_backward_alt, the assignment's simplified gradient), the entry point of
    cases whose hp entry names it."""
    base = cs_layer(name, lambda c, o: (c["x"], c["gamma"], c["beta"]), ("x", "gamma", "beta"))

    def forward(sub, c, o):
        bp = _bn_param(c, o)
        out, _cache = pair(sub.attr("layers", f"{name}_forward")(c["x"], c["gamma"], c["beta"], bp),
                           f"{name}_forward")
        res = {"out": arr(out, f"{name}_forward")}
        if "running_mean" in bp:
            res["running_mean"] = arr(bp["running_mean"], "bn_param['running_mean']")
            res["running_var"] = arr(bp["running_var"], "bn_param['running_var']")
        return res

    def backward(sub, c, dout, o):
        fwd = sub.attr("layers", f"{name}_forward")
        if not is_train(c):
            return _bn_eval_backward(fwd, name, c, dout, o)
        _out, cache = pair(fwd(c["x"], c["gamma"], c["beta"], _bn_param(c, o)), f"{name}_forward")
        bwd = alt if alt is not None and c.hp.get("entry") == alt and sub.attr("layers", alt) is not None \
            else f"{name}_backward"
        res = pair(sub.attr("layers", bwd)(dout, cache), bwd, 3)
        return as_dict_grads(c, zip(("x", "gamma", "beta"), (arr(r, bwd) for r in res)))

    def api(sub):
        has_alt = alt is not None and sub.attr("layers", alt) is not None \
            and sub.attr("layers", f"{name}_backward") is not None
        return base._api + (ENTRY_MARK + alt if has_alt else "")
    return Adapter(forward, backward, needs=base.needs, bwd_needs=base.bwd_needs, api=api)


def cs_numgrad():
    def forward(sub, c, o):
        f = spec_function(c)
        x = np.array(c["x"], copy=True)
        res = call_with_h(sub.attr("gradient_check", "eval_numerical_gradient"), f, x, c, verbose=False)
        return {"out": arr(res, "eval_numerical_gradient")}
    return Adapter(forward, needs=("gradient_check.eval_numerical_gradient",),
                   api="cs231n.gradient_check.eval_numerical_gradient")


def cs_optimizer(fn, comp):
    def forward(sub, c, o):
        pname, w0, grads = optimizer_case(c)
        f = sub.attr("optim", fn)
        config = optimizer_kwargs(c, comp, 2)
        if o.get("initial_t") == "zero":  # the step counter passed in (else the skeleton's setdefault decides)
            config["t"] = 0
        w = np.array(w0, copy=True)
        steps = []
        for g in grads:
            res = pair(f(w, np.array(g, copy=True), config), fn)
            nw, config = res
            if config is None:
                raise WrongType(f"{fn} returned config=None, but should return the config dict")
            w = arr(nw, fn)
            steps.append(w.copy())
        return trajectory(c, pname, steps)
    return Adapter(forward, needs=(f"optim.{fn}",), api=f"cs231n.optim.{fn}")


# The components CS231n students write (others are graded when present, never counted as missing).
CORE = ("relu", "affine", "conv2d", "max_pool2d", "dropout", "batch_norm", "spatial_batch_norm", "layer_norm",
        "group_norm", "momentum", "rmsprop", "adam")

# What the assignment's skeleton ships already written: graded and shown, never counted (an untouched skeleton
# would otherwise earn their points, and the course's own code's faults would be charged to the student:
# audit class B9).
COURSE_PROVIDED = {
    "softmax_cross_entropy": "softmax_loss is given at the end of the skeleton's layers.py",
    "svm_loss": "svm_loss is given at the end of the skeleton's layers.py",
    "sgd": "sgd is given in the skeleton's optim.py",
    "numerical_gradient": "gradient_check.py is the course's own file",
}

# Hyper-parameters CS231n hard-codes: none.
FIXED_HP: dict = {}

# How the assignments' API restricts the inputs drawn (keywords of the records' case factories).
CASES = {
    "conv2d": {"divisible": True},               # conv_forward_naive: "assume (H + 2 pad - HH) % stride == 0"
    "max_pool2d": {"divisible": True, "pad": 0},  # max_pool_forward_naive: no padding, "(H - HH) % stride == 0"
}

# Properties about what the dialect's API cannot express: max_pool_forward_naive takes no pad (pool_param has
# pool_height, pool_width, stride only), so the padding property is not part of this dialect.
NOT_IN_API = {"max_pool2d": ("pads_with_neg_inf",)}

# Further entry points (the grader draws hp entry among those a submission has).
ENTRIES = {"batch_norm": ("batchnorm_backward_alt",)}


TABLE = {
    "relu": cs_layer("relu", lambda c, o: (c["x"],), ("x",)),
    "sigmoid": cs_layer("sigmoid", lambda c, o: (c["x"],), ("x",)),
    "tanh": cs_layer("tanh", lambda c, o: (c["x"],), ("x",)),
    "leaky_relu": cs_layer("leaky_relu", lambda c, o: (c["x"],), ("x",)),
    "prelu": cs_layer("prelu", lambda c, o: (c["x"], c["a"]), ("x", "a")),  # not in the course: (dx, da)
    "softmax_cross_entropy": cs_loss("softmax_loss"),
    "svm_loss": cs_loss("svm_loss"),
    "affine": cs_layer("affine", lambda c, o: (c["x"], c.first(*W), c["b"]), ("x", "w", "b")),
    "conv2d": cs_layer("conv", lambda c, o: (c["x"], c.first(*W), c["b"]), ("x", "w", "b"),
                       param=lambda c, o: {"stride": conv_hp(c)[0], "pad": conv_hp(c)[1]},
                       fwd_name="conv_forward_naive", bwd_name="conv_backward_naive"),
    "max_pool2d": cs_padded_pool(),
    "dropout": cs_dropout(),
    "batch_norm": cs_batchnorm("batchnorm", alt="batchnorm_backward_alt"),
    "spatial_batch_norm": cs_batchnorm("spatial_batchnorm"),
    "layer_norm": cs_layer("layernorm", lambda c, o: (c["x"], c["gamma"], c["beta"]), ("x", "gamma", "beta"),
                           param=lambda c, o: {"eps": float(c.first("eps", default=1e-5))}),
    "group_norm": cs_layer("spatial_groupnorm", lambda c, o: (c["x"], *_gn_gamma(c), int(c.first("G", "groups",
                                                                                                 "num_groups"))),
                           ("x", "gamma", "beta"), param=lambda c, o: {"eps": float(c.first("eps", default=1e-5))},
                           gamma_shape="1C11"),
    "sgd": cs_optimizer("sgd", "sgd"),
    "momentum": cs_optimizer("sgd_momentum", "momentum"),
    "nesterov": cs_optimizer("sgd_nesterov", "nesterov"),
    "adagrad": cs_optimizer("adagrad", "adagrad"),
    "rmsprop": cs_optimizer("rmsprop", "rmsprop"),
    "adam": cs_optimizer("adam", "adam"),
    "numerical_gradient": cs_numgrad(),
}

from . import adapters_models  # noqa: E402 - the models (two_layer_net, fc_net, conv_net)
TABLE.update(adapters_models.CS231N)
