"""Book-dialect adapters ("Deep Learning from Scratch" 1 and 2).

``common/functions.py`` functions, ``common/layers.py`` classes with ``forward``/``backward`` (gradients stored
as ``dW``/``db``/``dgamma``... or, in the book-2 form, in the ``grads`` list next to ``params``),
``common/optimizer.py`` classes with ``update(params, grads)`` on dicts (book 2: lists), ``common/gradient.py``
``numerical_gradient(f, x)``.  Runs inside the sandbox worker like spec_nn/adapters.py, which looks TABLE, CORE
and FIXED_HP up.
"""
from __future__ import annotations

import inspect

import numpy as np

from .adapters import (ENTRY_MARK, T, W, Adapter, CaseView, arr, as_dict_grads, call_with_h, case_labels, conv_hp,
                       dropout_ratio, is_train, optimizer_case, optimizer_kwargs, pool_hp, spec_function,
                       trajectory)


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


def function_names(fn):
    """The names a book function goes by in real trees: the book's own, and with or without the ``_function``
    suffix the book uses for identity_function / step_function (ports write softmax_function,
    cross_entropy_error_function, sigmoid_function...)."""
    base = fn[:-len("_function")] if fn.endswith("_function") else fn
    return tuple(dict.fromkeys((fn, base, base + "_function")))


def find_function(sub, mod, fn):
    """(name, callable) of the first of :func:`function_names` the submission defines (None, None if none)."""
    for name in function_names(fn):
        f = sub.attr(mod, name)
        if f is not None:
            return name, f
    return None, None


def book_function(fn, call=lambda f, c: f(c["x"]), mod="functions"):
    def forward(sub, c, o):
        name, f = find_function(sub, mod, fn)
        return {"out": arr(call(f if f is not None else sub.attr(mod, fn), c), name or fn)}
    return Adapter(forward, needs=(tuple(f"{mod}.{n}" for n in function_names(fn)),),
                   api=lambda sub: f"common.{mod}.{find_function(sub, mod, fn)[0] or fn}")


def edition_of(root: str) -> int:
    """2 for a "Deep Learning from Scratch 2" tree (its common/layers.py keeps ``self.params, self.grads``
    lists), else 1.  Book 2's functions are 2-D by design where book 1's later printings are N-D (softmax over
    the last axis): the dialect draws what the edition's API supports."""
    import os
    import re
    try:
        with open(os.path.join(root, "common", "layers.py"), encoding="utf-8", errors="replace") as f:
            text = f.read(400_000)
    except OSError:
        return 1
    return 2 if re.search(r"self\.params\s*,\s*self\.grads\s*=|self\.grads\s*=\s*\[", text) else 1


def book_edition(sub) -> int:
    """:func:`edition_of` the loaded submission, computed once."""
    if "_book_edition" not in sub.__dict__:
        sub.__dict__["_book_edition"] = edition_of(sub.root)
    return sub.__dict__["_book_edition"]


def book_rows_function(fn, mod="functions"):
    """A row-wise function of book 2 (softmax: 2-D rows or one 1-D sample by design) called on the case's x
    reshaped to rows (N*, C) and reshaped back; in a book 1 tree the function itself on N-D x (last axis)."""
    plain = book_function(fn, mod=mod)

    def forward(sub, c, o):
        if book_edition(sub) == 1:
            return plain.forward(sub, None, c, o)
        x = c["x"]
        name, f = find_function(sub, mod, fn)
        y = arr(f(x.reshape(-1, x.shape[-1]) if x.ndim > 2 else x), name or fn)
        return {"out": y.reshape(x.shape) if x.ndim > 2 and y.size == x.size else y}
    api = lambda sub: plain.api(sub) + (" (book 2: 2-D rows)" if book_edition(sub) == 2 else "")
    return Adapter(forward, needs=plain.needs, api=api)


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
    chosen = Prefer(None)
    chosen.alternatives = adapters  # the files it can come from (a load problem names them)
    return chosen


def book_derivative(fn, grad_fn):
    """A function ``fn(x)`` with its derivative-style helper ``grad_fn(x)`` = f'(x) (the book's relu_grad,
    sigmoid_grad): backward is dout * grad_fn(x), composed here."""
    def forward(sub, c, o):
        name, f = find_function(sub, "functions", fn)
        return {"out": arr(f(c["x"]), name)}

    def backward(sub, c, dout, o):
        return {"x": dout * arr(sub.attr("functions", grad_fn)(c["x"]), grad_fn)}
    return Adapter(forward, backward, needs=(tuple(f"functions.{n}" for n in function_names(fn)),),
                   bwd_needs=(f"functions.{grad_fn}",),
                   api=lambda sub: f"common.functions.{find_function(sub, 'functions', fn)[0] or fn} / {grad_fn}")


class WithEntries(Adapter):
    """A component with further entry points (data: {entry name: adapter}): a case whose hp ``entry`` names one
    the submission has is routed there, every other case to the primary adapter (so is the backward of an entry
    that has only a forward, functions.softmax).  An entry counts as present when its adapter has a forward and
    is not what the primary adapter already calls; the api string lists the present ones after ENTRY_MARK, which
    is how the grader learns which entries to draw."""

    def __init__(self, primary, entries):
        super().__init__(None)
        self.primary, self.entries = primary, dict(entries)
        self.alternatives = (primary,) + tuple(self.entries.values())

    def _present(self, sub):
        chosen = primary_pick(self.primary, sub)
        return [name for name, ad in self.entries.items()
                if ad is not chosen and ad.available(sub)[0] and self.primary.available(sub)[0]]

    def _route(self, sub, case):
        e = case.hp.get("entry")
        return self.entries[e] if e in self.entries and e in self._present(sub) else self.primary

    def available(self, sub):
        return self.primary.available(sub)

    def api(self, sub):
        extra = self._present(sub)
        return self.primary.api(sub) + (ENTRY_MARK + ", ".join(extra) if extra else "")

    def forward(self, sub, comp, case, options):
        return self._route(sub, case).forward(sub, comp, case, options)

    def backward(self, sub, comp, case, dout, options):
        route = self._route(sub, case)
        route = route if route.available(sub)[1] else self.primary
        return route.backward(sub, comp, case, dout, options)


def primary_pick(ad, sub):
    """The adapter a book_prefer choice calls for this submission (the adapter itself otherwise)."""
    pick = getattr(ad, "_pick", None)
    return pick(sub) if pick is not None else ad


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
        out = arr(call_forward(layer, c["x"], train=is_train(c)), "BatchNormalization.forward")
        res = {"out": out}
        if getattr(layer, "running_mean", None) is not None:
            res["running_mean"] = arr(layer.running_mean, "BatchNormalization.running_mean")
            res["running_var"] = arr(layer.running_var, "BatchNormalization.running_var")
        return res

    def backward(sub, c, dout, o):
        if not is_train(c):  # the book defines backward after a training forward only: derive it from
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
        call_forward(layer, c["x"], train=is_train(c))
        dx = arr(layer.backward(dout), "BatchNormalization.backward")
        res = {"x": dx}
        res.update(book_grads(layer, [("gamma", ("dgamma",)), ("beta", ("dbeta",))]))
        return as_dict_grads(c, res.items())
    return Adapter(forward, backward, needs=("layers.BatchNormalization",), api="common.layers.BatchNormalization")


def book_dropout():
    def make(sub, c):
        return sub.attr("layers", "Dropout")(dropout_ratio(c))

    def forward(sub, c, o):
        layer = make(sub, c)
        return {"out": arr(call_forward(layer, c["x"], train=is_train(c)), "Dropout.forward")}

    def backward(sub, c, dout, o):
        if not is_train(c):  # the book defines backward after a training forward only; eval is linear in x
            return {"x": arr(call_forward(make(sub, c), dout, train=False), "Dropout.forward (eval)")}
        layer = make(sub, c)
        call_forward(layer, c["x"], train=is_train(c))
        return {"x": arr(layer.backward(dout), "Dropout.backward")}
    return Adapter(forward, backward, needs=("layers.Dropout",), api="common.layers.Dropout")


def book_pooling():
    """``Pooling(pool_h, pool_w, stride, pad)`` built with the case's pad and called on x itself: the student's
    own padding path runs (the book's Pooling takes pad, but its out_h ignores it and im2col pads with 0, not
    -inf: at pad > 0 it fails, and that is what the student's code does)."""
    def run(sub, c):
        ph, pw, stride, pad = pool_hp(c)
        layer = sub.attr("layers", "Pooling")(ph, pw, stride, pad)
        return layer, arr(layer.forward(c["x"]), "Pooling.forward")

    def forward(sub, c, o):
        return {"out": run(sub, c)[1]}

    def backward(sub, c, dout, o):
        layer, _ = run(sub, c)
        return {"x": arr(layer.backward(dout), "Pooling.backward")}
    return Adapter(forward, backward, needs=("layers.Pooling",), api="common.layers.Pooling")


# -- optimizers: run the update rule over the parameter's gradient sequence ------------------------

def book_optimizer(cls, comp):
    def forward(sub, c, o):
        pname, w0, grads = optimizer_case(c)
        opt = sub.attr("optimizer", cls)(**optimizer_kwargs(c, comp, 1))
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
                    opt = sub.attr("optimizer", cls)(**optimizer_kwargs(c, comp, 1))
                    w = np.array(w0, copy=True)
                    params, gr = [w], [g]
                    opt.update(params, gr)
                    mode = "list"
            else:
                params, gr = ({"W": w}, {"W": g}) if mode == "dict" else ([w], [g])
                opt.update(params, gr)
            w = params["W"] if mode == "dict" else params[0]
            steps.append(arr(w, f"{cls}.update").copy())
        return trajectory(c, pname, steps)
    return Adapter(forward, needs=(f"optimizer.{cls}",), api=f"common.optimizer.{cls}")


# -- numerical gradient: the function to differentiate is named by the case (spec_function) ---------

def book_numgrad():
    def forward(sub, c, o):
        f = spec_function(c)
        x = np.array(c["x"], copy=True)
        return {"out": arr(call_with_h(sub.attr("gradient", "numerical_gradient"), f, x, c), "numerical_gradient")}
    return Adapter(forward, needs=("gradient.numerical_gradient",), api="common.gradient.numerical_gradient")


def _pred(c):
    """The predictions of a loss case (its first differentiable array: y or x)."""
    return next(iter(c.arrays.values()))


# The components the book defines (others are graded when present, never counted as missing).
CORE = ("identity", "step", "sigmoid", "relu", "softmax", "sum_squared_error", "cross_entropy",
        "softmax_cross_entropy", "affine", "conv2d", "max_pool2d", "dropout", "batch_norm", "sgd", "momentum",
        "nesterov", "adagrad", "rmsprop", "adam", "numerical_gradient")

# Hyper-parameters the book hard-codes: the grader draws cases with these values (the optimizers' eps, h).
FIXED_HP = {"adagrad": {"eps": 1e-7}, "rmsprop": {"eps": 1e-7}, "adam": {"eps": 1e-7},
            "numerical_gradient": {"h": 1e-4}}

# How the book's API restricts the inputs drawn (keywords of the records' case factories).
CASES = {
    # Book 2's Affine (and early ports of book 1) is 2-D only by design: only flattens_nd_input draws N-D x.
    "affine": {"two_d": True},
    # BatchNormalization(gamma, beta, momentum, running_mean, running_var) cannot take eps: the records' named
    # values (1e-5, 1e-6 = the book's 10e-7, 1e-7, 1e-8) are tried and the one that explains the output reported.
    "batch_norm": {"hard_coded_eps": True},
    # The book's default label format is one-hot (load_mnist(one_hot_label=True)); its first printings'
    # cross_entropy_error and many students' SoftmaxWithLoss take one-hot rows only.  Index labels are a
    # convention (label_format), so they cost label_formats_agree alone: every other property draws one-hot.
    "cross_entropy": {"formats": ("one_hot",)},
    # Pooling(pool_h, pool_w, stride, pad): the book's own out_h ignores pad and im2col pads with 0, so padding
    # is checked by max_pool2d::pads_with_neg_inf alone (its cases always pad); the other properties draw pad 0.
    "max_pool2d": {"pad": 0},
    "softmax_cross_entropy": {"formats": ("one_hot",)},
}

# Named variants the book's code uses, accepted in this dialect (a rubric's [accept] wins).
ACCEPT = {
    "step": {"output_dtype": ("float", "int")},  # step_function returns np.array(x > 0, dtype=int)
}


# Function-level entry points students write and use: the derivative-style helpers (relu_grad, sigmoid_grad)
# back the function forms, and softmax on N-D input (last axis) is the function itself, not reshaped rows.
_RELU_GRAD = book_derivative("relu", "relu_grad")
_SIGMOID_GRAD = book_derivative("sigmoid", "sigmoid_grad")
_SOFTMAX_FN = book_rows_function("softmax")

# Further entry points of a component (the names are WithEntries' keys below; the grader draws hp entry among
# those a submission has).
ENTRIES = {"relu": ("functions.relu_grad",), "sigmoid": ("functions.sigmoid_grad",),
           "softmax": ("functions.softmax",)}

TABLE = {
    "identity": book_function("identity_function"),
    "step": book_function("step_function"),
    "sigmoid": WithEntries(book_prefer(book_layer("Sigmoid", lambda c: ()), _SIGMOID_GRAD, book_function("sigmoid")),
                           {"functions.sigmoid_grad": _SIGMOID_GRAD}),
    "tanh": book_prefer(book_layer("Tanh", lambda c: ()), book_function("tanh")),
    "relu": WithEntries(book_prefer(book_layer("Relu", lambda c: ()), _RELU_GRAD, book_function("relu")),
                        {"functions.relu_grad": _RELU_GRAD}),
    "leaky_relu": book_prefer(book_layer("LeakyRelu", lambda c: ()), book_function("leaky_relu")),
    "elu": book_prefer(book_layer("Elu", lambda c: ()), book_function("elu")),
    # Not in the book: a PRelu (or PReLU) layer built with the slope, its gradient stored as da (or dalpha).
    "prelu": book_prefer(*(book_layer(cls, lambda c: (c["a"],), grads=[("a", ("da", "dalpha"))])
                           for cls in ("PRelu", "PReLU"))),
    "softmax": WithEntries(book_prefer(book_softmax_layer(), _SOFTMAX_FN), {"functions.softmax": _SOFTMAX_FN}),
    "log_softmax": book_function("log_softmax"),
    "sum_squared_error": book_function("sum_squared_error", call=lambda f, c: f(_pred(c), case_labels(c))),
    "cross_entropy": book_function("cross_entropy_error", call=lambda f, c: f(_pred(c), case_labels(c))),
    "softmax_cross_entropy": book_loss_layer("SoftmaxWithLoss"),
    "affine": book_layer("Affine", lambda c: (c.first(*W), c["b"]), grads=[("w", ("dW", "dw")), ("b", ("db",))]),
    "conv2d": book_layer("Convolution", lambda c: (c.first(*W), c["b"], *conv_hp(c)),
                         grads=[("w", ("dW", "dw")), ("b", ("db",))]),
    "max_pool2d": book_pooling(),
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

from . import adapters_models  # noqa: E402 - the models (two_layer_net, fc_net, conv_net)
TABLE.update(adapters_models.BOOK)
