"""Adapters: each canonical component, called through a student's own API.

Two dialects plus a manifest:

* ``book`` ("Deep Learning from Scratch"): ``common/functions.py`` functions, ``common/layers.py``
  classes with ``forward``/``backward`` (gradients stored as ``dW``/``db``/``dgamma``... or, in the
  book-2 form, in the ``grads`` list next to ``params``), ``common/optimizer.py`` classes with
  ``update(params, grads)`` on dicts (book 2: lists), ``common/gradient.py`` ``numerical_gradient(f, x)``.
* ``cs231n``: ``cs231n/layers.py`` ``*_forward(...) -> (out, cache)`` / ``*_backward(dout, cache)``,
  loss functions returning ``(loss, dx)``, ``cs231n/optim.py`` update rules with config dicts,
  ``cs231n/gradient_check.py``.
* ``manifest``: a TOML file mapping canonical names to ``module:callable`` (see :class:`Submission`).

This file runs *inside the sandbox worker* (loaded by path; it imports only NumPy and the standard
library).  An adapter returns outputs and gradients in the specification's layout (e.g. cs231n's
``(1, C, 1, 1)`` group-norm gamma becomes ``(C,)``), so every check of the specification applies.
Adapter options (``p_meaning`` for cs231n dropout: keep | drop) are named variants a rubric can accept.
"""
from __future__ import annotations

import importlib
import inspect
import os
import sys

import numpy as np

STYLES = ("book", "cs231n", "manifest")


class Missing(Exception):
    """The submission does not implement this (part of a) component."""


class WrongType(Exception):
    """The submission returned something that is not what its API promises."""


class LoadFailure(Exception):
    """The submission cannot be imported (a one-line reason)."""


class CaseView:
    """The worker's view of a spec_nn Case (same lookups, no dependency on the grading code)."""

    def __init__(self, arrays, consts, hp):
        self.arrays, self.consts, self.hp = arrays, consts, hp

    def __getitem__(self, key):
        for d in (self.arrays, self.consts, self.hp):
            if key in d:
                return d[key]
        raise KeyError(key)

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default

    def first(self, *keys, default=KeyError):
        """The first of several names the specification might use for one input."""
        for k in keys:
            for d in (self.arrays, self.consts, self.hp):
                if k in d:
                    return d[k]
        if default is KeyError:
            raise KeyError(f"none of {keys} in the case")
        return default

    def name_of(self, *keys):
        for k in keys:
            if k in self.arrays or k in self.consts:
                return k
        return keys[0]


def check_types(result) -> str:
    """'' if every value is an array or a number, otherwise a one-line reason (wrong_type)."""
    if not isinstance(result, dict):
        return f"the adapter produced {type(result).__name__}"
    for k, v in result.items():
        if isinstance(v, (np.ndarray, float, int, np.floating, np.integer)) and not isinstance(v, bool):
            continue
        if isinstance(v, np.bool_):
            continue
        return f"{k} is {type(v).__name__}, but should be a NumPy array"
    return ""


def arr(v, what: str) -> np.ndarray:
    if isinstance(v, np.ndarray):
        return v
    if isinstance(v, (float, int, np.floating, np.integer)) and not isinstance(v, bool):
        return np.asarray(v)
    raise WrongType(f"{what} returned {type(v).__name__}, but should be a NumPy array")


def labels_int(t) -> np.ndarray:
    t = np.asarray(t)
    return t.argmax(axis=-1) if t.ndim >= 2 else t.astype(np.int64)


def pair(result, what: str, n: int = 2) -> tuple:
    if not isinstance(result, (tuple, list)) or len(result) != n:
        raise WrongType(f"{what} returned {type(result).__name__}, but should be a tuple of {n}")
    return tuple(result)


# ------------------------------------------------------------------------------------------------------
# What the specification calls things (several names accepted while the records settle)

X = ("x",)
W = ("w", "W")
B = ("b",)
GAMMA = ("gamma",)
BETA = ("beta",)
T = ("t", "y", "labels", "target")


def hp(case, *names, default=None):
    return case.first(*names, default=default)


def as_dict_grads(case, pairs):
    """{spec name: gradient} for the arrays in the case ("w" stands for whichever of w/W it uses)."""
    out = {}
    for k, v in pairs:
        if k in ("w", "W"):
            k = case.name_of(*W)
        if k in case.arrays:
            out[k] = v
    return out


# ------------------------------------------------------------------------------------------------------
# Loading

class Submission:
    """The imported submission and the per-component adapter calls."""

    def __init__(self, style, root, manifest=None, options=None):
        self.style, self.root, self.options = style, os.path.abspath(root), dict(options or {})
        if self.root not in sys.path:
            sys.path.insert(0, self.root)
        self.mods = {}
        self.errors = {}
        if style == "book":
            names = ("common.functions", "common.layers", "common.optimizer", "common.gradient", "common.util")
        elif style == "cs231n":
            names = ("cs231n.layers", "cs231n.optim", "cs231n.gradient_check", "cs231n.layer_utils")
        elif style == "manifest":
            names = ()
        else:
            raise LoadFailure(f"unknown style {style!r}")
        for name in names:
            path = os.path.join(self.root, *name.split(".")) + ".py"
            if not os.path.exists(path):
                continue
            try:
                self.mods[name.split(".")[-1]] = importlib.import_module(name)
            except SyntaxError as e:
                rel = os.path.relpath(e.filename or path, self.root)
                raise LoadFailure(f"{rel} line {e.lineno}: SyntaxError: {e.msg}") from None
            except BaseException as e:  # noqa: BLE001 - whatever the import does, it is one line for the user
                raise LoadFailure(f"{os.path.relpath(path, self.root)} fails to import: "
                                  f"{type(e).__name__}: {e}"[:300]) from None
        self.manifest = {}
        if style == "manifest":
            self._load_manifest(manifest or {})

    def _load_manifest(self, manifest):
        for p in manifest.get("path", ["."]):
            full = os.path.abspath(os.path.join(self.root, p))
            if full not in sys.path:
                sys.path.insert(0, full)
        for name, entry in manifest.get("components", {}).items():
            if isinstance(entry, str):
                entry = {"forward": entry}
            resolved = dict(entry)
            for key in ("forward", "backward"):
                if key in entry:
                    resolved[key] = self._resolve(entry[key])
            self.manifest[name] = resolved

    def _resolve(self, ref):
        mod, _, attr = ref.partition(":")
        try:
            obj = importlib.import_module(mod)
        except SyntaxError as e:
            raise LoadFailure(f"{os.path.relpath(e.filename or mod, self.root)} line {e.lineno}: "
                              f"SyntaxError: {e.msg}") from None
        except BaseException as e:  # noqa: BLE001
            raise LoadFailure(f"manifest entry {ref!r}: module {mod!r} fails to import: {type(e).__name__}: {e}"[:300]) \
                from None
        for part in attr.split(".") if attr else ():
            if not hasattr(obj, part):
                raise LoadFailure(f"manifest entry {ref!r}: {mod} has no attribute {attr!r}")
            obj = getattr(obj, part)
        return obj

    def attr(self, mod, name):
        m = self.mods.get(mod)
        return getattr(m, name, None) if m is not None else None

    def table(self):
        return MANIFEST_TABLE if self.style == "manifest" else (BOOK if self.style == "book" else CS231N)

    def describe(self) -> dict:
        """{component: {"forward": bool, "backward": bool}} for what this submission implements."""
        out = {}
        for comp, ad in self.table().items():
            if self.style == "manifest":
                e = self.manifest.get(comp)
                has = (e is not None and "forward" in e, e is not None and "backward" in e)
            else:
                has = ad.available(self)
            out[comp] = {"forward": bool(has[0]), "backward": bool(has[1]), "api": ad.api(self) if has[0] else "",
                         "core": comp in CORE.get(self.style, ())}
        if self.style == "manifest":
            for comp in self.manifest:
                out.setdefault(comp, {"forward": True, "backward": "backward" in self.manifest[comp], "api": comp,
                                     "core": True})
        return {"components": out, "modules": sorted(self.mods)}

    def forward(self, comp, case, options):
        ad = self.table().get(comp) if self.style != "manifest" else MANIFEST_TABLE_ENTRY
        if ad is None:
            raise Missing(f"{comp} is not part of the {self.style} dialect")
        return ad.forward(self, comp, case, options)

    def backward(self, comp, case, dout, options):
        ad = self.table().get(comp) if self.style != "manifest" else MANIFEST_TABLE_ENTRY
        if ad is None:
            raise Missing(f"{comp} is not part of the {self.style} dialect")
        return ad.backward(self, comp, case, dout, options)


class Adapter:
    """One component in one dialect: forward/backward in the specification's terms."""

    def __init__(self, fwd, bwd=None, needs=(), bwd_needs=None, api=""):
        self._fwd, self._bwd = fwd, bwd
        self.needs, self.bwd_needs = needs, bwd_needs
        self._api = api

    def _has(self, sub, needs):
        for alt in needs:  # each entry: "mod.attr" or a tuple of alternatives
            alts = alt if isinstance(alt, tuple) else (alt,)
            if not any(sub.attr(*a.split(".", 1)) is not None for a in alts):
                return False
        return True

    def available(self, sub):
        f = self._has(sub, self.needs)
        b = f and self._bwd is not None and self._has(sub, self.bwd_needs if self.bwd_needs is not None else ())
        return f, b

    def api(self, sub):
        return self._api(sub) if callable(self._api) else self._api

    def forward(self, sub, comp, case, options):
        return self._fwd(sub, case, options)

    def backward(self, sub, comp, case, dout, options):
        if self._bwd is None or not self.available(sub)[1]:
            raise Missing(f"{comp} has no backward in this submission")
        return self._bwd(sub, case, dout, options)


# ------------------------------------------------------------------------------------------------------
# book ("Deep Learning from Scratch" 1 and 2)

def book_grads(layer, names):
    """Gradients a book layer stored: attributes (dW, db, dgamma...) or the book-2 ``grads`` list."""
    out = {}
    grads = getattr(layer, "grads", None)
    for i, (spec_name, attrs) in enumerate(names):
        for a in attrs:
            v = getattr(layer, a, None)
            if v is not None:
                out[spec_name] = arr(v, f"{type(layer).__name__}.{a}")
                break
        else:
            if isinstance(grads, (list, tuple)) and i < len(grads):
                out[spec_name] = arr(grads[i], f"{type(layer).__name__}.grads[{i}]")
            elif isinstance(grads, dict):
                for a in attrs:
                    if a.lstrip("d") in grads:
                        out[spec_name] = arr(grads[a.lstrip("d")], f"{type(layer).__name__}.grads")
                        break
    return out


def call_forward(layer, *args, train=None):
    f = layer.forward
    if train is not None:
        try:
            params = inspect.signature(f).parameters
        except (TypeError, ValueError):
            params = {}
        if "train_flg" in params:
            return f(*args, train_flg=train)
    return f(*args)


def book_layer(cls, make, fwd_args=lambda c: (c["x"],), grads=(), train=None, out_shape=None):
    """A layer class ``cls(*make(case))`` with forward(*fwd_args) and backward(dout) -> dx."""
    def forward(sub, c, o):
        layer = sub.attr("layers", cls)(*make(c))
        return {"out": arr(call_forward(layer, *fwd_args(c), train=train(c) if train else None), f"{cls}.forward")}

    def backward(sub, c, dout, o):
        layer = sub.attr("layers", cls)(*make(c))
        call_forward(layer, *fwd_args(c), train=train(c) if train else None)
        dx = layer.backward(dout)
        res = {"x": arr(dx, f"{cls}.backward")}
        res.update(book_grads(layer, grads))
        return as_dict_grads(c, res.items())
    return Adapter(forward, backward, needs=(f"layers.{cls}",), api=f"common.layers.{cls}")


def book_function(fn, call=lambda f, c: f(c["x"]), mod="functions"):
    def forward(sub, c, o):
        return {"out": arr(call(sub.attr(mod, fn), c), fn)}
    return Adapter(forward, needs=(f"{mod}.{fn}",), api=f"common.{mod}.{fn}")


def book_prefer(*adapters):
    """The first adapter the submission provides (a layer class with backward before a bare function)."""
    class Prefer(Adapter):
        def _pick(self, sub):
            for a in adapters:
                if a.available(sub)[0]:
                    return a
            return adapters[0]

        def available(self, sub):
            return self._pick(sub).available(sub)

        def api(self, sub):
            return self._pick(sub).api(sub)

        def forward(self, sub, comp, case, options):
            return self._pick(sub).forward(sub, comp, case, options)

        def backward(self, sub, comp, case, dout, options):
            return self._pick(sub).backward(sub, comp, case, dout, options)
    return Prefer(None)


def rowwise(fn):
    """Call a function written for 1-D/2-D inputs on rows of the last axis (the book's softmax)."""
    def call(f, c):
        x = c["x"]
        return np.asarray(fn(f, x.reshape(-1, x.shape[-1]))).reshape(x.shape) if x.ndim > 2 else fn(f, x)
    return call


def book_softmax_layer():
    def reshape_fwd(sub, c, o):
        x = c["x"]
        layer = sub.attr("layers", "Softmax")()
        y = arr(layer.forward(x.reshape(-1, x.shape[-1])), "Softmax.forward")
        return {"out": y.reshape(x.shape)}

    def reshape_bwd(sub, c, dout, o):
        x = c["x"]
        layer = sub.attr("layers", "Softmax")()
        layer.forward(x.reshape(-1, x.shape[-1]))
        dx = arr(layer.backward(dout.reshape(-1, x.shape[-1])), "Softmax.backward")
        return {"x": dx.reshape(x.shape)}
    return Adapter(reshape_fwd, reshape_bwd, needs=("layers.Softmax",), api="common.layers.Softmax")


def book_loss_layer(cls, labels=lambda c: c.first(*T)):
    def forward(sub, c, o):
        layer = sub.attr("layers", cls)()
        return {"out": arr(layer.forward(c["x"], labels(c)), f"{cls}.forward")}

    def backward(sub, c, dout, o):
        layer = sub.attr("layers", cls)()
        layer.forward(c["x"], labels(c))
        d = float(np.asarray(dout).reshape(-1)[0]) if np.size(dout) == 1 else dout
        dx = arr(layer.backward(1) if d == 1 else layer.backward(d), f"{cls}.backward")
        return {"x": dx}
    return Adapter(forward, backward, needs=(f"layers.{cls}",), api=f"common.layers.{cls}")


def _dropout_ratio(c):
    """The specification's drop probability (from p_drop / p_keep / p + p_meaning)."""
    if "p_drop" in c.hp:
        return float(c.hp["p_drop"])
    if "p_keep" in c.hp:
        return 1.0 - float(c.hp["p_keep"])
    if "keep_prob" in c.hp:
        return 1.0 - float(c.hp["keep_prob"])
    p = float(c.first("p", "ratio", "dropout_ratio", default=0.5))
    return p if c.hp.get("p_meaning", "drop") == "drop" else 1.0 - p


def _train(c):
    return str(c.first("mode", default="train")) == "train"


def _bn_layer(sub, c):
    x = c["x"]
    feat = x.shape[1:] if x.ndim == 2 else (int(np.prod(x.shape[1:])),)
    rm = c.first("running_mean", default=None)
    rv = c.first("running_var", default=None)
    kwargs = {}
    if rm is not None:
        kwargs["running_mean"] = np.array(rm, copy=True)
    if rv is not None:
        kwargs["running_var"] = np.array(rv, copy=True)
    mom = c.first("momentum", default=None)
    if mom is not None:
        kwargs["momentum"] = mom
    return sub.attr("layers", "BatchNormalization")(c["gamma"], c["beta"], **kwargs)


def book_batchnorm():
    def forward(sub, c, o):
        layer = _bn_layer(sub, c)
        out = arr(call_forward(layer, c["x"], train=_train(c)), "BatchNormalization.forward")
        res = {"out": out}
        if getattr(layer, "running_mean", None) is not None:
            res["running_mean"] = arr(layer.running_mean, "BatchNormalization.running_mean")
            res["running_var"] = arr(layer.running_var, "BatchNormalization.running_var")
        return res

    def backward(sub, c, dout, o):
        if not _train(c):  # the book defines backward after a training forward only: derive it from
            x = c["x"]     # the eval forward, which is affine in x, gamma and beta
            f = lambda z, g, b: arr(call_forward(_bn_layer(sub, CaseView({**c.arrays, "x": z, "gamma": g, "beta": b},
                                                                          c.consts, c.hp)), z, train=False),
                                     "BatchNormalization.forward")
            g, b = c["gamma"], c["beta"]
            dx = f(dout, g, np.zeros_like(b)) - f(np.zeros_like(x), g, np.zeros_like(b))
            xn = f(x, np.ones_like(g), np.zeros_like(b))
            return as_dict_grads(c, [("x", dx.astype(x.dtype)), ("gamma", np.sum(dout * xn, axis=0)),
                                     ("beta", np.sum(dout, axis=0))])
        layer = _bn_layer(sub, c)
        call_forward(layer, c["x"], train=_train(c))
        dx = arr(layer.backward(dout), "BatchNormalization.backward")
        res = {"x": dx}
        res.update(book_grads(layer, [("gamma", ("dgamma",)), ("beta", ("dbeta",))]))
        return as_dict_grads(c, res.items())
    return Adapter(forward, backward, needs=("layers.BatchNormalization",), api="common.layers.BatchNormalization")


def book_dropout():
    def make(sub, c):
        return sub.attr("layers", "Dropout")(_dropout_ratio(c))

    def forward(sub, c, o):
        layer = make(sub, c)
        return {"out": arr(call_forward(layer, c["x"], train=_train(c)), "Dropout.forward")}

    def backward(sub, c, dout, o):
        if not _train(c):  # the book defines backward after a training forward only; eval is linear in x
            return {"x": arr(call_forward(make(sub, c), dout, train=False), "Dropout.forward (eval)")}
        layer = make(sub, c)
        call_forward(layer, c["x"], train=_train(c))
        return {"x": arr(layer.backward(dout), "Dropout.backward")}
    return Adapter(forward, backward, needs=("layers.Dropout",), api="common.layers.Dropout")


# -- optimizers: run the update rule over the gradient sequence and return the trajectory ------------

def _opt_setup(c):
    pname = c.name_of("w", "params", "param", "x", "theta")
    w0 = c.first("w", "params", "param", "x", "theta")
    grads = c.first("grads", "g", "gs", "dws")
    return pname, np.asarray(w0), np.asarray(grads)


OPT_HP = {  # spec name(s) -> (book keyword, cs231n config key)
    "lr": (("lr", "learning_rate"), "lr", "learning_rate"),
    "momentum": (("momentum", "mu", "beta"), "momentum", "momentum"),
    "decay_rate": (("decay_rate", "rho", "alpha", "beta2_rms"), "decay_rate", "decay_rate"),
    "beta1": (("beta1",), "beta1", "beta1"),
    "beta2": (("beta2",), "beta2", "beta2"),
    "eps": (("eps", "epsilon"), None, "epsilon"),
}
OPT_KEYS = {"sgd": ("lr",), "momentum": ("lr", "momentum"), "nesterov": ("lr", "momentum"),
            "adagrad": ("lr",), "rmsprop": ("lr", "decay_rate"), "adam": ("lr", "beta1", "beta2")}


def _opt_kwargs(c, comp, which):
    out = {}
    for key in OPT_KEYS[comp] + (("eps",) if which == 2 else ()):
        names, book_kw, cs_kw = OPT_HP[key]
        v = c.first(*names, default=None)
        kw = book_kw if which == 1 else cs_kw
        if v is not None and kw is not None:
            out[kw] = float(v)
    return out


def _traj(c, pname, steps):
    return {"out": np.stack(steps) if steps else np.zeros((0,))}


def book_optimizer(cls, comp):
    def forward(sub, c, o):
        pname, w0, grads = _opt_setup(c)
        opt = sub.attr("optimizer", cls)(**_opt_kwargs(c, comp, 1))
        w = np.array(w0, copy=True)
        steps = []
        mode = None
        for g in grads:
            g = np.array(g, copy=True)
            if mode is None:
                try:
                    params, gr = {"W": w}, {"W": g}
                    opt.update(params, gr)
                    mode = "dict"
                except (AttributeError, KeyError, TypeError, IndexError):
                    opt = sub.attr("optimizer", cls)(**_opt_kwargs(c, comp, 1))
                    w = np.array(w0, copy=True)
                    params, gr = [w], [g]
                    opt.update(params, gr)
                    mode = "list"
            else:
                params, gr = ({"W": w}, {"W": g}) if mode == "dict" else ([w], [g])
                opt.update(params, gr)
            w = params["W"] if mode == "dict" else params[0]
            steps.append(arr(w, f"{cls}.update").copy())
        return _traj(c, pname, steps)
    return Adapter(forward, needs=(f"optimizer.{cls}",), api=f"common.optimizer.{cls}")


def cs_optimizer(fn, comp):
    def forward(sub, c, o):
        pname, w0, grads = _opt_setup(c)
        f = sub.attr("optim", fn)
        config = _opt_kwargs(c, comp, 2)
        w = np.array(w0, copy=True)
        steps = []
        for g in grads:
            res = pair(f(w, np.array(g, copy=True), config), fn)
            nw, config = res
            if config is None:
                raise WrongType(f"{fn} returned config=None, but should return the config dict")
            w = arr(nw, fn)
            steps.append(w.copy())
        return _traj(c, pname, steps)
    return Adapter(forward, needs=(f"optim.{fn}",), api=f"cs231n.optim.{fn}")


# -- numerical gradient: the function to differentiate is named by the case ---------------------------

def spec_function(c):
    """The scalar test function the numerical_gradient case names (spec_nn/reference/gradient.py, loaded by
    path: a function object cannot cross the process boundary)."""
    import importlib.util
    global _GRAD_REF
    if _GRAD_REF is None:
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference", "gradient.py")
        spec = importlib.util.spec_from_file_location("_spec_nn_reference_gradient", path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = mod  # dataclasses look their module up
        spec.loader.exec_module(mod)
        _GRAD_REF = mod
    try:
        return _GRAD_REF.function(c.first("f", "function", "fn"))
    except KeyError as e:
        raise Missing(f"the numerical_gradient case names an unknown function: {e}") from None


_GRAD_REF = None


def _call_with_h(g, f, x, c, **kw):
    h = c.first("h", default=None)
    try:
        params = inspect.signature(g).parameters
    except (TypeError, ValueError):
        params = {}
    if h is not None and "h" in params:
        kw["h"] = h
    return g(f, x, **{k: v for k, v in kw.items() if k in params or k == "h"})


def book_numgrad():
    def forward(sub, c, o):
        f = spec_function(c)
        x = np.array(c["x"], copy=True)
        return {"out": arr(_call_with_h(sub.attr("gradient", "numerical_gradient"), f, x, c), "numerical_gradient")}
    return Adapter(forward, needs=("gradient.numerical_gradient",), api="common.gradient.numerical_gradient")


def cs_numgrad():
    def forward(sub, c, o):
        f = spec_function(c)
        x = np.array(c["x"], copy=True)
        res = _call_with_h(sub.attr("gradient_check", "eval_numerical_gradient"), f, x, c, verbose=False)
        return {"out": arr(res, "eval_numerical_gradient")}
    return Adapter(forward, needs=("gradient_check.eval_numerical_gradient",),
                   api="cs231n.gradient_check.eval_numerical_gradient")


def _conv_hp(c):
    return int(c.first("stride", default=1)), int(c.first("pad", "padding", default=0))


def _pool_hp(c):
    ph = int(c.first("pool_h", "pool_height", "kernel", "k", "size", default=2))
    pw = int(c.first("pool_w", "pool_width", "kernel", "k", "size", default=ph))
    return ph, pw, int(c.first("stride", default=ph)), int(c.first("pad", "padding", default=0))


def _labels(c):
    return c.first(*T)


def _pred(c):
    """The predictions of a loss case (its first differentiable array: y or x)."""
    return next(iter(c.arrays.values()))


# The components each dialect defines (others are graded when present, never counted as missing).
CORE = {
    "book": ("identity", "step", "sigmoid", "relu", "softmax", "sum_squared_error", "cross_entropy",
             "softmax_cross_entropy", "affine", "conv2d", "max_pool2d", "dropout", "batch_norm", "sgd", "momentum",
             "nesterov", "adagrad", "rmsprop", "adam", "numerical_gradient"),
    "cs231n": ("relu", "softmax_cross_entropy", "svm_loss", "affine", "conv2d", "max_pool2d", "dropout",
               "batch_norm", "spatial_batch_norm", "layer_norm", "group_norm", "sgd", "momentum", "rmsprop", "adam",
               "numerical_gradient"),
}

# Hyper-parameters a dialect hard-codes: the grader draws cases with these values (the book's eps).
FIXED_HP = {
    "book": {"adagrad": {"eps": 1e-7}, "rmsprop": {"eps": 1e-7}, "adam": {"eps": 1e-7},
             "batch_norm": {"eps": 1e-6}, "numerical_gradient": {"h": 1e-4}},
}


BOOK = {
    "identity": book_function("identity_function"),
    "step": book_function("step_function"),
    "sigmoid": book_prefer(book_layer("Sigmoid", lambda c: ()), book_function("sigmoid")),
    "tanh": book_prefer(book_layer("Tanh", lambda c: ()), book_function("tanh")),
    "relu": book_prefer(book_layer("Relu", lambda c: ()), book_function("relu")),
    "leaky_relu": book_prefer(book_layer("LeakyRelu", lambda c: ()), book_function("leaky_relu")),
    "elu": book_prefer(book_layer("Elu", lambda c: ()), book_function("elu")),
    "softmax": book_prefer(book_softmax_layer(),
                           book_function("softmax", call=rowwise(lambda f, x: f(x)))),
    "log_softmax": book_function("log_softmax", call=rowwise(lambda f, x: f(x))),
    "sum_squared_error": book_function("sum_squared_error", call=lambda f, c: f(_pred(c), _labels(c))),
    "cross_entropy": book_function("cross_entropy_error", call=lambda f, c: f(_pred(c), _labels(c))),
    "softmax_cross_entropy": book_loss_layer("SoftmaxWithLoss"),
    "affine": book_layer("Affine", lambda c: (c.first(*W), c["b"]), grads=[("w", ("dW", "dw")), ("b", ("db",))]),
    "conv2d": book_layer("Convolution", lambda c: (c.first(*W), c["b"], *_conv_hp(c)),
                         grads=[("w", ("dW", "dw")), ("b", ("db",))]),
    "max_pool2d": book_layer("Pooling", lambda c: _pool_hp(c)),
    "dropout": book_dropout(),
    "batch_norm": book_batchnorm(),
    "sgd": book_optimizer("SGD", "sgd"),
    "momentum": book_optimizer("Momentum", "momentum"),
    "nesterov": book_optimizer("Nesterov", "nesterov"),
    "adagrad": book_optimizer("AdaGrad", "adagrad"),
    "rmsprop": book_optimizer("RMSprop", "rmsprop"),
    "adam": book_optimizer("Adam", "adam"),
    "numerical_gradient": book_numgrad(),
}


# ------------------------------------------------------------------------------------------------------
# cs231n

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
    """max_pool_*_naive has no padding: the adapter pads x with -inf (the specification's padding) and crops
    the gradient, so cases with pad > 0 are graded too."""
    fwd_name, bwd_name = "max_pool_forward_naive", "max_pool_backward_naive"

    def run(sub, c):
        ph, pw, stride, pad = _pool_hp(c)
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
        loss, _dx = pair(sub.attr("layers", fn)(c["x"], labels_int(_labels(c))), fn)
        return {"out": arr(loss, fn)}

    def backward(sub, c, dout, o):
        _loss, dx = pair(sub.attr("layers", fn)(c["x"], labels_int(_labels(c))), fn)
        return {"x": arr(dx, fn) * np.asarray(dout).reshape(()).astype(np.asarray(dx).dtype)}
    return Adapter(forward, backward, needs=(f"layers.{fn}",), api=f"cs231n.layers.{fn}")


def _cs_mode(c):
    """cs231n says "test" where the specification says "eval"."""
    return "train" if _train(c) else "test"


def _bn_param(c, o):
    p = {"mode": _cs_mode(c), "eps": float(c.first("eps", default=1e-5)),
         "momentum": float(c.first("momentum", default=0.9))}
    for k in ("running_mean", "running_var"):
        v = c.first(k, default=None)
        if v is not None:
            p[k] = np.array(v, copy=True)
    return p


def _cs_dropout_param(c, o):
    drop = _dropout_ratio(c)
    meaning = o.get("p_meaning", "keep")
    return {"p": (1.0 - drop) if meaning == "keep" else drop, "mode": _cs_mode(c),
            "seed": int(c.first("seed", default=0))}


def _gn_gamma(c):
    x = c["x"]
    return c["gamma"].reshape(1, x.shape[1], 1, 1), c["beta"].reshape(1, x.shape[1], 1, 1)


def cs_batchnorm(name):
    """batchnorm / spatial_batchnorm, also returning the running statistics bn_param holds."""
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
        _out, cache = pair(fwd(c["x"], c["gamma"], c["beta"], _bn_param(c, o)), f"{name}_forward")
        res = pair(sub.attr("layers", f"{name}_backward")(dout, cache), f"{name}_backward", 3)
        return as_dict_grads(c, zip(("x", "gamma", "beta"), (arr(r, f"{name}_backward") for r in res)))
    return Adapter(forward, backward, needs=base.needs, bwd_needs=base.bwd_needs, api=base._api)


CS231N = {
    "relu": cs_layer("relu", lambda c, o: (c["x"],), ("x",)),
    "sigmoid": cs_layer("sigmoid", lambda c, o: (c["x"],), ("x",)),
    "tanh": cs_layer("tanh", lambda c, o: (c["x"],), ("x",)),
    "leaky_relu": cs_layer("leaky_relu", lambda c, o: (c["x"],), ("x",)),
    "softmax_cross_entropy": cs_loss("softmax_loss"),
    "svm_loss": cs_loss("svm_loss"),
    "affine": cs_layer("affine", lambda c, o: (c["x"], c.first(*W), c["b"]), ("x", "w", "b")),
    "conv2d": cs_layer("conv", lambda c, o: (c["x"], c.first(*W), c["b"]), ("x", "w", "b"),
                       param=lambda c, o: {"stride": _conv_hp(c)[0], "pad": _conv_hp(c)[1]},
                       fwd_name="conv_forward_naive", bwd_name="conv_backward_naive"),
    "max_pool2d": cs_padded_pool(),
    "dropout": cs_layer("dropout", lambda c, o: (c["x"],), ("x",), param=_cs_dropout_param),
    "batch_norm": cs_batchnorm("batchnorm"),
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


# ------------------------------------------------------------------------------------------------------
# manifest: [components.NAME] forward = "module:callable", backward = "module:callable",
# args = ["x", "w", "b"] (positional, from the case; default: its arrays then its consts),
# hp = ["stride", "pad"] (passed as keywords; default none), returns = "out" | ["out", "cache"]...
# backward(dout, *args, **hp) returns the gradient (one input), a tuple in args order, or a dict.

class ManifestAdapter(Adapter):
    def __init__(self):
        super().__init__(None)

    def _call(self, sub, comp, case, fn, lead=()):
        e = sub.manifest.get(comp)
        if e is None or fn not in e:
            raise Missing(f"the manifest maps no {fn} for {comp}")
        names = e.get("args") or list(case.arrays) + list(case.consts)
        args = [case[n] for n in names]
        kwargs = {n: case.hp[n] for n in (e.get("hp") or ()) if n in case.hp}
        if e.get("pass_hp") == "all":
            kwargs = dict(case.hp)
        return e[fn](*lead, *args, **kwargs), names

    def forward(self, sub, comp, case, options):
        res, _ = self._call(sub, comp, case, "forward")
        if isinstance(res, dict):
            return {k: arr(v, f"{comp} forward") for k, v in res.items()}
        if isinstance(res, (tuple, list)):
            res = res[0]
        return {"out": arr(res, f"{comp} forward")}

    def backward(self, sub, comp, case, dout, options):
        res, names = self._call(sub, comp, case, "backward", lead=(dout,))
        grads = [n for n in names if n in case.arrays]
        if isinstance(res, dict):
            return {k: arr(v, f"{comp} backward") for k, v in res.items()}
        if isinstance(res, (tuple, list)):
            return {n: arr(v, f"{comp} backward") for n, v in zip(grads, res)}
        return {grads[0]: arr(res, f"{comp} backward")}


MANIFEST_TABLE_ENTRY = ManifestAdapter()
MANIFEST_TABLE: dict = {}
