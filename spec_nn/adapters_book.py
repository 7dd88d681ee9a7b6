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

from .adapters import (T, W, Adapter, CaseView, arr, as_dict_grads, call_with_h, case_labels, conv_hp,
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
    """The book's Pooling takes ``pad`` but never uses it (its out_h ignores pad; im2col would pad with 0, not
    -inf), and the book only pools with pad=0: the adapter pads x with -inf (the specification's padding) and
    crops the gradient, as for CS231n's max_pool_*_naive, so cases with pad > 0 grade the window logic."""
    def run(sub, c):
        ph, pw, stride, pad = pool_hp(c)
        x = c["x"]
        xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), constant_values=-np.inf) if pad else x
        layer = sub.attr("layers", "Pooling")(ph, pw, stride, 0)
        return layer, arr(layer.forward(xp), "Pooling.forward"), pad

    def forward(sub, c, o):
        return {"out": run(sub, c)[1]}

    def backward(sub, c, dout, o):
        layer, _, pad = run(sub, c)
        dx = arr(layer.backward(dout), "Pooling.backward")
        if pad and dx.ndim == 4:
            dx = dx[:, :, pad:dx.shape[2] - pad, pad:dx.shape[3] - pad]
        return {"x": dx}
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

# Hyper-parameters the book hard-codes: the grader draws cases with these values (the book's eps).
FIXED_HP = {"adagrad": {"eps": 1e-7}, "rmsprop": {"eps": 1e-7}, "adam": {"eps": 1e-7},
            "batch_norm": {"eps": 1e-6}, "numerical_gradient": {"h": 1e-4}}


TABLE = {
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
