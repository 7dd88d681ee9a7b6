"""The training-dynamics op on a student's own network (worker side: NumPy and the standard library only).

``spec-nn conformance --target PATH`` runs the model scenarios (conformance/model_dynamics.py) through the
component ``fc_net`` with ``hp["op"] = "dynamics"``: one worker call builds the student's multi-layer net from
``hp["config"]`` and returns what the scenario measures, computed by the student's code:

* ``param:NAME``: the parameters as built (the grading process recomputes the reference on exactly these);
* ``grad:NAME``: the train-mode gradients of the softmax cross-entropy on (X, y) (book ``gradient(x, t)``,
  CS231n ``loss(X, y)``);
* ``act:L``: the output of the L-th hidden activation (1-based) on a test-mode forward of X (book ``predict``,
  CS231n ``loss(X)``), where the API lets it be observed;
* ``note``: how the config was applied (the init the constructor gave, what could not be observed).

config: ``hidden_dims``, ``input_dim``, ``num_classes``, ``activation`` ("sigmoid" | "relu"), ``init``
("xavier" | "he" | a number: the weight std), ``std`` (the std every weight matrix should have: the fan-ins
are equal by construction).  Book: ``MultiLayerNet(input_size, hidden_size_list, output_size,
activation=..., weight_init_std=...)`` with the init given as the student's own argument ('xavier', 'he' or
the number); where the weights it draws do not have the std asked for, they are redrawn in place with it (and
the note says so).  CS231n: ``FullyConnectedNet(hidden_dims, input_dim, num_classes, weight_scale=std,
dtype=float64)``, ReLU only.
"""
from __future__ import annotations

import contextlib
import inspect
import sys

import numpy as np

from .adapters import WrongType, arr, train_keyword
from .adapters_models import Unsupported, params_of  # the API cannot express the config (no sigmoid in CS231n)

STD_TOLERANCE = 0.25  # a drawn W whose sample std is off by more than this share is not the init asked for




def _weights(params):
    """The weight matrices W1, W2, ... in layer order (numbered keys starting with W)."""
    ws = [k for k in params if k.startswith("W") and k[1:].isdigit()]
    return sorted(ws, key=lambda k: int(k[1:]))


def _enforce_std(params, std, seed, notes, given):
    """Redraw, in place, every weight matrix whose sample std is not ``std`` (in place: the book's Affine
    layers hold the very arrays of params)."""
    rng = np.random.default_rng(seed)
    off = []
    for k in _weights(params):
        w = params[k]
        s = float(np.std(w)) if isinstance(w, np.ndarray) and w.size else 0.0
        if abs(s - std) > STD_TOLERANCE * std:
            off.append(f"{k} std {s:.3g}")
            w[...] = rng.standard_normal(w.shape) * std
    if off:
        notes.append(f"{given} gave {', '.join(off[:3])}{' ...' if len(off) > 3 else ''}, not {std:.3g}: "
                     f"the weights were set directly")


def _book(sub, cfg, notes):
    cls = sub.attr("multi_layer_net", "MultiLayerNet") or sub.attr("multi_layer_net_extend", "MultiLayerNetExtend")
    if cls is None:
        raise Unsupported("no MultiLayerNet (common/multi_layer_net.py)")
    ps = params_of(cls)
    act, init = cfg["activation"], cfg["init"]
    kw = {"input_size": int(cfg["input_dim"]), "hidden_size_list": [int(h) for h in cfg["hidden_dims"]],
          "output_size": int(cfg["num_classes"])}
    if "activation" in ps:
        kw["activation"] = act
    elif act != "relu":
        raise Unsupported(f"{cls.__name__} takes no activation keyword (ReLU only)")
    if "weight_decay_lambda" in ps:
        kw["weight_decay_lambda"] = 0
    given = "default init"
    if "weight_init_std" in ps:
        kw["weight_init_std"] = init
        given = f"weight_init_std={init!r}"
    np.random.seed(int(cfg.get("seed", 0)))
    try:
        model = cls(**kw)
    except (KeyError, ValueError, TypeError) as e:  # an init name the student's code does not know
        if not isinstance(init, str):
            raise
        kw["weight_init_std"] = float(cfg["std"])
        np.random.seed(int(cfg.get("seed", 0)))
        model = cls(**kw)
        notes.append(f"weight_init_std={init!r} raised {type(e).__name__}: built with the number {cfg['std']:.3g}")
        given = f"weight_init_std={cfg['std']:.3g}"
    _enforce_std(_params(model), float(cfg["std"]), int(cfg.get("seed", 0)), notes, given)
    return model


def _cs231n(sub, cfg, notes):
    if cfg["activation"] != "relu":
        raise Unsupported("CS231n's FullyConnectedNet has ReLU only (no activation argument)")
    cls = sub.attr("fc_net", "FullyConnectedNet")
    kw = {"hidden_dims": [int(h) for h in cfg["hidden_dims"]], "input_dim": int(cfg["input_dim"]),
          "num_classes": int(cfg["num_classes"]), "weight_scale": float(cfg["std"]), "reg": 0.0,
          "dtype": np.float64}
    ps = params_of(cls)
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in ps.values()):
        kw = {k: v for k, v in kw.items() if k in ps}
    np.random.seed(int(cfg.get("seed", 0)))
    model = cls(**kw)
    _enforce_std(_params(model), float(cfg["std"]), int(cfg.get("seed", 0)), notes,
                 f"weight_scale={cfg['std']:.3g}")
    return model


def _params(model):
    p = getattr(model, "params", None)
    if not isinstance(p, dict):
        raise WrongType(f"{type(model).__name__}.params is {type(p).__name__}, but should be a dict")
    return p


# -- watching the hidden activations -------------------------------------------------------------------

ACTIVATION_CLASSES = ("Relu", "ReLU", "Sigmoid", "Tanh")


@contextlib.contextmanager
def _watch_book(model, seen, notes):
    """Wrap the forward of every activation layer in ``model.layers`` (keys Activation_function1...)."""
    layers = getattr(model, "layers", None)
    wrapped = []
    if isinstance(layers, dict):
        for key, layer in layers.items():
            if str(key).startswith("Activation") or type(layer).__name__ in ACTIVATION_CLASSES:
                wrapped.append(layer)
                layer.forward = _recording(layer.forward, seen)
    if not wrapped:
        notes.append("no activation layers in model.layers: the hidden activations are not observable")
    try:
        yield
    finally:
        for layer in wrapped:
            with contextlib.suppress(AttributeError):
                del layer.forward  # the instance attribute: the class's method is back


@contextlib.contextmanager
def _watch_cs231n(model, seen, notes):
    """Wrap relu_forward / affine_relu_forward in the namespace of the model's module (the names its loss
    calls); the activation is the first element of their (out, cache)."""
    mod = sys.modules.get(type(model).__module__)
    names = [n for n in ("affine_relu_forward", "relu_forward") if mod is not None and callable(getattr(mod, n, None))]
    saved = {n: getattr(mod, n) for n in names}
    for n in names:
        setattr(mod, n, _recording(saved[n], seen, first=True, skip_nested=n == "relu_forward"))
    try:
        yield
    finally:
        for n, f in saved.items():
            setattr(mod, n, f)
    if not seen:
        notes.append(f"{type(model).__name__}.loss calls neither relu_forward nor affine_relu_forward by name "
                     f"from its module: the hidden activations are not observable through the API")


_DEPTH = [0]  # affine_relu_forward calls relu_forward inside: count each activation once


def _recording(fn, seen, first=False, skip_nested=False):
    def wrapper(*a, **k):
        nested = skip_nested and _DEPTH[0] > 0
        _DEPTH[0] += 1
        try:
            res = fn(*a, **k)
        finally:
            _DEPTH[0] -= 1
        if not nested:
            out = res[0] if first and isinstance(res, (tuple, list)) else res
            seen.append(np.array(arr(out, getattr(fn, "__name__", "activation")), dtype=np.float64))
        return res
    return wrapper


# -- the op ---------------------------------------------------------------------------------------------

def op_dynamics(sub, style, case):
    cfg = dict(case.hp["config"])
    X, y = case["X"], case["y"]
    notes: list = []
    try:
        model = _book(sub, cfg, notes) if style == "book" else _cs231n(sub, cfg, notes)
    except Unsupported as e:
        return {"unsupported": np.asarray(1), "why": _text(str(e))}
    params = _params(model)
    out = {f"param:{k}": np.array(arr(v, f"params[{k!r}]"), dtype=np.float64) for k, v in params.items()
           if isinstance(v, np.ndarray)}
    seen: list = []
    watch = _watch_book if style == "book" else _watch_cs231n
    with watch(model, seen, notes):
        if style == "book":
            fn = model.predict
            flag = train_keyword(fn)
            kw = {flag: False} if flag else {}
            fn(X, **kw)
        else:
            model.loss(X)
    for i, a in enumerate(seen):
        out[f"act:{i + 1}"] = a
    np.random.seed(int(cfg.get("seed", 0)))
    if style == "book":
        g = model.gradient(X, y)
    else:
        res = model.loss(X, y)
        if not isinstance(res, (tuple, list)) or len(res) != 2:
            raise WrongType(f"loss(X, y) returned {type(res).__name__}, but should be (loss, grads)")
        g = res[1]
    if not isinstance(g, dict):
        raise WrongType(f"the gradients are {type(g).__name__}, but should be a dict")
    for k, v in g.items():
        out[f"grad:{k}"] = np.array(arr(v, f"grads[{k!r}]"), dtype=np.float64)
    if notes:
        out["note"] = _text("; ".join(notes))
    return out


def _text(s: str) -> np.ndarray:
    return np.asarray([ord(ch) for ch in s[:400]], dtype=np.int64)
