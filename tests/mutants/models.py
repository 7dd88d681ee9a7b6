"""Broken and correct-but-different networks (two_layer_net, fc_net, conv_net) in the students' two dialects.

Each mutant is a model class written the way students write them (the book's ``params`` / ``predict`` /
``loss`` / ``gradient``, CS231n's ``params`` / ``loss(X, y=None)``), with one realistic slip; it is run through
the very adapter code the grader uses (spec_nn/adapters_models.py) on a stand-in for the loaded submission.
"""
from __future__ import annotations

from collections import OrderedDict

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from spec_nn import adapters_models

from . import Mutant


# ======================================================================================================
# The book's layers

class Affine:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.shape = x.shape
        self.x = x.reshape(x.shape[0], -1)
        return self.x @ self.W + self.b

    def backward(self, dout):
        self.dW, self.db = self.x.T @ dout, dout.sum(axis=0)
        return (dout @ self.W.T).reshape(self.shape)


class Relu:
    def forward(self, x):
        self.mask = x <= 0
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        dout = dout.copy()
        dout[self.mask] = 0
        return dout


class SoftmaxWithLoss:
    def forward(self, x, t):
        z = x - x.max(axis=1, keepdims=True)
        self.y = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        self.t = t
        return -np.mean(np.log(self.y[np.arange(len(t)), t] + 1e-7))

    def backward(self, dout=1):
        dx = self.y.copy()
        dx[np.arange(len(self.t)), self.t] -= 1
        return dout * dx / len(self.t)


class Dropout:
    def __init__(self, ratio):
        self.ratio = ratio

    def forward(self, x, train_flg=True):
        if train_flg:
            self.mask = np.random.rand(*x.shape) > self.ratio
            return x * self.mask
        return x * (1.0 - self.ratio)

    def backward(self, dout):
        return dout * self.mask


class BatchNormalization:
    def __init__(self, gamma, beta, momentum=0.9):
        self.gamma, self.beta, self.momentum = gamma, beta, momentum
        self.running_mean = self.running_var = None

    def forward(self, x, train_flg=True):
        if self.running_mean is None:
            self.running_mean, self.running_var = np.zeros(x.shape[1]), np.zeros(x.shape[1])
        if train_flg:
            mu, var = x.mean(axis=0), x.var(axis=0)
            self.xc, self.std = x - mu, np.sqrt(var + 10e-7)
            self.xn = self.xc / self.std
            self.running_mean = self.momentum * self.running_mean + (1 - self.momentum) * mu
            self.running_var = self.momentum * self.running_var + (1 - self.momentum) * var
            xn = self.xn
        else:
            xn = (x - self.running_mean) / np.sqrt(self.running_var + 10e-7)
        return self.gamma * xn + self.beta

    def backward(self, dout):
        n = dout.shape[0]
        self.dbeta, self.dgamma = dout.sum(axis=0), np.sum(self.xn * dout, axis=0)
        dxn = self.gamma * dout
        return (n * dxn - dxn.sum(axis=0) - self.xn * np.sum(dxn * self.xn, axis=0)) / (n * self.std)


class Convolution:
    """Stride 1; windows by sliding_window_view instead of im2col."""

    def __init__(self, W, b, stride=1, pad=0):
        self.W, self.b, self.pad = W, b, pad

    def forward(self, x):
        p, fh = self.pad, self.W.shape[2]
        self.x = x
        self.xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        self.win = sliding_window_view(self.xp, (fh, fh), axis=(2, 3))  # N, C, H', W', fh, fw
        return np.einsum("nchwij,fcij->nfhw", self.win, self.W) + self.b[None, :, None, None]

    def backward(self, dout):
        p, fh = self.pad, self.W.shape[2]
        self.dW = np.einsum("nfhw,nchwij->fcij", dout, self.win)
        self.db = dout.sum(axis=(0, 2, 3))
        dxp = np.zeros_like(self.xp)
        for i in range(fh):
            for j in range(fh):
                dxp[:, :, i:i + dout.shape[2], j:j + dout.shape[3]] += np.einsum("nfhw,fc->nchw", dout, self.W[:, :, i, j])
        return dxp[:, :, p:p + self.x.shape[2], p:p + self.x.shape[3]]


class Pooling:
    """2x2, stride 2 (H and W even)."""

    def forward(self, x):
        n, c, h, w = x.shape
        self.shape = x.shape
        blocks = x.reshape(n, c, h // 2, 2, w // 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, h // 2, w // 2, 4)
        self.arg = blocks.argmax(axis=-1)
        return blocks.max(axis=-1)

    def backward(self, dout):
        n, c, h, w = self.shape
        d = np.zeros(dout.shape + (4,))
        np.put_along_axis(d, self.arg[..., None], dout[..., None], axis=-1)
        return d.reshape(n, c, h // 2, w // 2, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(self.shape)


def numerical_gradient(f, x):
    h = 1e-4
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        i = it.multi_index
        tmp = x[i]
        x[i] = tmp + h
        f1 = f(x)
        x[i] = tmp - h
        f2 = f(x)
        grad[i] = (f1 - f2) / (2 * h)
        x[i] = tmp
        it.iternext()
    return grad


# ======================================================================================================
# The book's networks: layers in an OrderedDict, each parametrised layer knowing its parameters' names

class BookNet:
    weight_decay_lambda = 0.0

    def add(self, name, layer, **pnames):
        layer.pnames = pnames  # {"W": "W1", "b": "b1"} / {"gamma": "gamma1", "beta": "beta1"}
        self.layers[name] = layer

    def predict(self, x, train_flg=False):
        for layer in self.layers.values():
            x = layer.forward(x, train_flg) if isinstance(layer, (Dropout, BatchNormalization)) else layer.forward(x)
        return x

    def weight_decay(self):
        return sum(0.5 * self.weight_decay_lambda * np.sum(self.params[k] ** 2) for k in self.params if k[0] == "W")

    def loss(self, x, t, train_flg=False):
        return self.last_layer.forward(self.predict(x, train_flg), t) + self.weight_decay()

    def backprop(self, x, t):
        self.loss(x, t, train_flg=True)
        dout = self.last_layer.backward(1)
        for layer in reversed(list(self.layers.values())):
            dout = layer.backward(dout)

    def gradient(self, x, t):
        self.backprop(x, t)
        grads = {}
        for layer in self.layers.values():
            for attr, name in getattr(layer, "pnames", {}).items():
                g = getattr(layer, "d" + attr)
                grads[name] = g + self.weight_decay_lambda * self.params[name] if attr == "W" else g
        return grads

    def numerical_gradient(self, x, t):
        f = lambda w: self.loss(x, t, train_flg=True)  # noqa: E731
        return {k: numerical_gradient(f, self.params[k]) for k in self.params}


class BookTwoLayerNet(BookNet):
    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01):
        self.params = {"W1": weight_init_std * np.random.randn(input_size, hidden_size), "b1": self.bias(hidden_size),
                       "W2": weight_init_std * np.random.randn(hidden_size, output_size), "b2": self.bias(output_size)}
        self.layers = OrderedDict()
        self.add("Affine1", Affine(self.params["W1"], self.params["b1"]), W="W1", b="b1")
        self.add("Relu1", Relu())
        self.add("Affine2", Affine(self.params["W2"], self.params["b2"]), W="W2", b="b2")
        self.last_layer = SoftmaxWithLoss()

    def bias(self, n):
        return np.zeros(n)


class BookMultiLayerNetExtend(BookNet):
    def __init__(self, input_size, hidden_size_list, output_size, activation="relu", weight_init_std="relu",
                 weight_decay_lambda=0, use_dropout=False, dropout_ration=0.5, use_batchnorm=False):
        self.weight_decay_lambda = weight_decay_lambda
        sizes = [input_size] + list(hidden_size_list) + [output_size]
        self.params, self.layers = {}, OrderedDict()
        for i in range(1, len(sizes)):
            scale = np.sqrt(2.0 / sizes[i - 1]) if str(weight_init_std) in ("relu", "he") else weight_init_std
            self.params[f"W{i}"] = scale * np.random.randn(sizes[i - 1], sizes[i])
            self.params[f"b{i}"] = np.zeros(sizes[i])
            self.add(f"Affine{i}", Affine(self.params[f"W{i}"], self.params[f"b{i}"]), W=f"W{i}", b=f"b{i}")
            if i == len(sizes) - 1:
                break
            if use_batchnorm:
                self.params[f"gamma{i}"], self.params[f"beta{i}"] = np.ones(sizes[i]), np.zeros(sizes[i])
                self.add(f"BatchNorm{i}", self.batchnorm(self.params[f"gamma{i}"], self.params[f"beta{i}"]),
                         gamma=f"gamma{i}", beta=f"beta{i}")
            self.add(f"Relu{i}", Relu())
            if use_dropout:
                self.add(f"Dropout{i}", self.dropout(dropout_ration))
        self.last_layer = SoftmaxWithLoss()

    def batchnorm(self, gamma, beta):
        return BatchNormalization(gamma, beta)

    def dropout(self, ratio):
        return Dropout(ratio)


class BookSimpleConvNet(BookNet):
    def __init__(self, input_dim=(1, 28, 28), conv_param={"filter_num": 30, "filter_size": 5, "pad": 0, "stride": 1},
                 hidden_size=100, output_size=10, weight_init_std=0.01):
        fn, fs, pad = conv_param["filter_num"], conv_param["filter_size"], conv_param["pad"]
        out = input_dim[1] - fs + 2 * pad + 1
        s = weight_init_std
        self.params = {"W1": s * np.random.randn(fn, input_dim[0], fs, fs), "b1": np.zeros(fn),
                       "W2": s * np.random.randn(fn * (out // 2) ** 2, hidden_size), "b2": np.zeros(hidden_size),
                       "W3": s * np.random.randn(hidden_size, output_size), "b3": np.zeros(output_size)}
        self.layers = OrderedDict()
        self.add("Conv1", Convolution(self.params["W1"], self.params["b1"], 1, pad), W="W1", b="b1")
        self.add("Relu1", Relu())
        self.add("Pool1", Pooling())
        self.add("Affine1", Affine(self.params["W2"], self.params["b2"]), W="W2", b="b2")
        self.add("Relu2", Relu())
        self.add("Affine2", Affine(self.params["W3"], self.params["b3"]), W="W3", b="b3")
        self.last_layer = SoftmaxWithLoss()


# ======================================================================================================
# CS231n's layer functions

def affine_forward(x, w, b):
    return x.reshape(x.shape[0], -1) @ w + b, (x, w)


def affine_backward(dout, cache):
    x, w = cache
    return (dout @ w.T).reshape(x.shape), x.reshape(x.shape[0], -1).T @ dout, dout.sum(axis=0)


def relu_forward(x):
    return np.maximum(x, 0), x


def relu_backward(dout, x):
    return dout * (x > 0)


def softmax_loss(x, y):
    z = x - x.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    n = x.shape[0]
    dx = np.exp(logp)
    dx[np.arange(n), y] -= 1
    return -logp[np.arange(n), y].mean(), dx / n


def batchnorm_forward(x, gamma, beta, bn_param):
    eps, mom = bn_param.get("eps", 1e-5), bn_param.get("momentum", 0.9)
    rm = bn_param.get("running_mean", np.zeros(x.shape[1]))
    rv = bn_param.get("running_var", np.zeros(x.shape[1]))
    if bn_param["mode"] == "train":
        mu, var = x.mean(axis=0), x.var(axis=0)
        std = np.sqrt(var + eps)
        xhat = (x - mu) / std
        bn_param["running_mean"], bn_param["running_var"] = mom * rm + (1 - mom) * mu, mom * rv + (1 - mom) * var
        return gamma * xhat + beta, (xhat, std, gamma)
    return gamma * (x - rm) / np.sqrt(rv + eps) + beta, None


def norm_backward(dout, cache, axis=0):
    xhat, std, gamma = cache
    n = dout.shape[axis]
    dxhat = dout * gamma
    dx = (n * dxhat - dxhat.sum(axis=axis, keepdims=True)
          - xhat * np.sum(dxhat * xhat, axis=axis, keepdims=True)) / (n * std)
    return dx, np.sum(dout * xhat, axis=0), dout.sum(axis=0)


def layernorm_forward(x, gamma, beta, ln_param):
    mu, var = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)
    std = np.sqrt(var + ln_param.get("eps", 1e-5))
    xhat = (x - mu) / std
    return gamma * xhat + beta, (xhat, std, gamma)


def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]  # p: keep probability
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    if mode == "train":
        mask = (np.random.rand(*x.shape) < p) / p
        return x * mask, mask
    return x, None


def conv_forward(x, w, b, conv_param):
    p = conv_param["pad"]
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    win = sliding_window_view(xp, w.shape[2:], axis=(2, 3))
    return np.einsum("nchwij,fcij->nfhw", win, w) + b[None, :, None, None], (x, xp, win, w, p)


def conv_backward(dout, cache):
    x, xp, win, w, p = cache
    dw, db = np.einsum("nfhw,nchwij->fcij", dout, win), dout.sum(axis=(0, 2, 3))
    dxp = np.zeros_like(xp)
    for i in range(w.shape[2]):
        for j in range(w.shape[3]):
            dxp[:, :, i:i + dout.shape[2], j:j + dout.shape[3]] += np.einsum("nfhw,fc->nchw", dout, w[:, :, i, j])
    return dxp[:, :, p:p + x.shape[2], p:p + x.shape[3]], dw, db


_pool = Pooling


def eval_numerical_gradient(f, x, verbose=True, h=0.00001):
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        fxph = f(x)
        x[i] = old - h
        fxmh = f(x)
        x[i] = old
        grad[i] = (fxph - fxmh) / (2 * h)
        it.iternext()
    return grad


# ======================================================================================================
# CS231n's networks: the forward pass as a list of (kind, layer index) blocks

class CsNet:
    reg = 0.0
    normalization = None
    use_dropout = False

    def blocks(self):
        raise NotImplementedError

    def set_mode(self, mode):
        if self.use_dropout:
            self.dropout_param["mode"] = mode
        for bp in getattr(self, "bn_params", []):
            bp["mode"] = mode

    def reg_loss(self):
        return 0.5 * self.reg * sum(np.sum(self.params[k] * self.params[k]) for k in self.params if k[0] == "W")

    def reg_grad(self, k):
        return self.reg * self.params[k]

    def test_output(self, scores):
        return scores

    def loss(self, X, y=None):
        mode = "test" if y is None else "train"
        self.set_mode(mode)
        h, caches = X, []
        for kind, i in self.blocks():
            p = self.params
            if kind == "affine":
                h, c = affine_forward(h, p[f"W{i}"], p[f"b{i}"])
            elif kind == "conv":
                h, c = conv_forward(h, p[f"W{i}"], p[f"b{i}"], {"stride": 1, "pad": (p[f"W{i}"].shape[2] - 1) // 2})
            elif kind == "relu":
                h, c = relu_forward(h)
            elif kind == "pool":
                c = _pool()
                h = c.forward(h)
            elif kind == "batchnorm":
                h, c = batchnorm_forward(h, p[f"gamma{i}"], p[f"beta{i}"], self.bn_params[i - 1])
            elif kind == "layernorm":
                h, c = layernorm_forward(h, p[f"gamma{i}"], p[f"beta{i}"], {})
            else:
                h, c = dropout_forward(h, self.dropout_param)
            caches.append(c)
        if y is None:
            return self.test_output(h)
        loss, dh = self.data_loss(h, y)
        grads = {}
        for (kind, i), c in zip(reversed(self.blocks()), reversed(caches)):
            if kind == "affine":
                dh, grads[f"W{i}"], grads[f"b{i}"] = affine_backward(dh, c)
            elif kind == "conv":
                dh, grads[f"W{i}"], grads[f"b{i}"] = conv_backward(dh, c)
            elif kind == "relu":
                dh = self.relu_back(dh, c)
            elif kind == "pool":
                dh = c.backward(dh)
            elif kind in ("batchnorm", "layernorm"):
                dh, grads[f"gamma{i}"], grads[f"beta{i}"] = self.norm_back(dh, c, 0 if kind == "batchnorm" else 1)
            else:
                dh = dh * c
        for k in self.params:
            if k[0] == "W":
                grads[k] = grads[k] + self.reg_grad(k)
        return loss + self.reg_loss(), grads

    def data_loss(self, scores, y):
        return softmax_loss(scores, y)

    def relu_back(self, dout, x):
        return relu_backward(dout, x)

    def norm_back(self, dout, cache, axis):
        return norm_backward(dout, cache, axis)


class CsTwoLayerNet(CsNet):
    def __init__(self, input_dim=3 * 32 * 32, hidden_dim=100, num_classes=10, weight_scale=1e-3, reg=0.0):
        self.reg = reg
        self.params = {"W1": weight_scale * np.random.randn(input_dim, hidden_dim), "b1": np.zeros(hidden_dim),
                       "W2": weight_scale * np.random.randn(hidden_dim, num_classes), "b2": np.zeros(num_classes)}

    def blocks(self):
        return [("affine", 1), ("relu", 0), ("affine", 2)]


class CsFullyConnectedNet(CsNet):
    def __init__(self, hidden_dims, input_dim=3 * 32 * 32, num_classes=10, dropout_keep_ratio=1, normalization=None,
                 reg=0.0, weight_scale=1e-2, dtype=np.float32, seed=None):
        self.reg, self.normalization = reg, normalization
        self.use_dropout = dropout_keep_ratio != 1
        self.L = len(hidden_dims) + 1
        dims = [input_dim] + list(hidden_dims) + [num_classes]
        self.params = {}
        for i in range(1, self.L + 1):
            self.params[f"W{i}"] = weight_scale * np.random.randn(dims[i - 1], dims[i])
            self.params[f"b{i}"] = np.zeros(dims[i])
            if normalization and i < self.L:
                self.params[f"gamma{i}"], self.params[f"beta{i}"] = self.norm_params(dims[i])
        self.dropout_param = {"mode": "train", "p": dropout_keep_ratio}
        if seed is not None:
            self.dropout_param["seed"] = seed
        self.bn_params = [{"mode": "train"} for _ in range(self.L - 1)] if normalization == "batchnorm" else []
        self.params = {k: v.astype(dtype) for k, v in self.params.items()}

    def norm_params(self, d):
        return np.ones(d), np.zeros(d)

    def blocks(self):
        out = []
        for i in range(1, self.L):
            out.append(("affine", i))
            if self.normalization:
                out.append((self.normalization, i))
            out.append(("relu", 0))
            if self.use_dropout:
                out.append(("dropout", 0))
        return out + [("affine", self.L)]


class CsThreeLayerConvNet(CsNet):
    def __init__(self, input_dim=(3, 32, 32), num_filters=32, filter_size=7, hidden_dim=100, num_classes=10,
                 weight_scale=1e-3, reg=0.0, dtype=np.float32):
        self.reg = reg
        c, h, w = input_dim
        s = weight_scale
        self.params = {"W1": s * np.random.randn(num_filters, c, filter_size, filter_size), "b1": np.zeros(num_filters),
                       "W2": s * np.random.randn(num_filters * (h // 2) * (w // 2), hidden_dim), "b2": np.zeros(hidden_dim),
                       "W3": s * np.random.randn(hidden_dim, num_classes), "b3": np.zeros(num_classes)}
        self.params = {k: v.astype(dtype) for k, v in self.params.items()}

    def blocks(self):
        return [("conv", 1), ("relu", 0), ("pool", 0), ("affine", 2), ("relu", 0), ("affine", 3)]


# ======================================================================================================
# Running a model class through the grader's adapters

class _Sub:
    """Stands in for the loaded submission: the attributes the model adapters look up."""

    def __init__(self, attrs):
        self.attrs, self.manifest = attrs, {}

    def attr(self, mod, name):
        return self.attrs.get((mod, name))


BOOK_SLOTS = {"two_layer_net": ("two_layer_net", "TwoLayerNet"), "fc_net": ("multi_layer_net_extend",
                                                                             "MultiLayerNetExtend"),
              "conv_net": ("simple_convnet", "SimpleConvNet")}
CS_SLOTS = {"two_layer_net": ("fc_net", "TwoLayerNet"), "fc_net": ("fc_net", "FullyConnectedNet"),
            "conv_net": ("cnn", "ThreeLayerConvNet")}


def _model(style, component, cls):
    slots = BOOK_SLOTS if style == "book" else CS_SLOTS
    sub = _Sub({slots[component]: cls, ("gradient_check", "eval_numerical_gradient"): eval_numerical_gradient})
    build = adapters_models.BUILDERS[style]

    def forward(case):
        with np.errstate(all="ignore"):
            return adapters_models.run_op(lambda cfg: build(sub, component, cfg), case)
    return forward


BASES = {("book", "two_layer_net"): BookTwoLayerNet, ("book", "fc_net"): BookMultiLayerNetExtend,
         ("book", "conv_net"): BookSimpleConvNet, ("cs231n", "two_layer_net"): CsTwoLayerNet,
         ("cs231n", "fc_net"): CsFullyConnectedNet, ("cs231n", "conv_net"): CsThreeLayerConvNet}


def mutant(style, component, name, overrides, caught_by, why):
    cls = type(f"{name}", (BASES[(style, component)],), overrides)
    return Mutant(component, f"{style}_{name}", _model(style, component, cls), caught_by=tuple(caught_by), why=why)


def correct(style, component, name, overrides, why, accept=None):
    cls = type(f"{name}", (BASES[(style, component)],), overrides)
    return Mutant(component, f"{style}_{name}", _model(style, component, cls), accept=dict(accept or {}), why=why)


# -- the slips ------------------------------------------------------------------------------------------

def _scalar_bias(self, n):
    return 0  # "the bias broadcasts anyway"


def _bn_gamma_keepdims(self, dout, cache, axis):
    dx, dgamma, dbeta = norm_backward(dout, cache, axis)
    return dx, dgamma.reshape(1, -1), dbeta.reshape(1, -1)  # np.sum(..., axis=0, keepdims=True)


def _gradient_without(name):
    def gradient(self, x, t):
        g = BookNet.gradient(self, x, t)
        g.pop(name)
        return g
    return gradient


def _summed_loss(self, scores, y):
    loss, d = softmax_loss(scores, y)
    return loss * scores.shape[0], d * scores.shape[0]  # forgot "/ N"


def _book_summed_loss():
    class Summed(SoftmaxWithLoss):
        def forward(self, x, t):
            return super().forward(x, t) * len(t)

        def backward(self, dout=1):
            return super().backward(dout) * len(self.t)
    return Summed


def _book_init_summed_loss(self, *args, **kw):
    BookMultiLayerNetExtend.__init__(self, *args, **kw)
    self.last_layer = _book_summed_loss()()


def _book_predict_softmax(self, x, train_flg=False):
    s = BookNet.predict(self, x, train_flg)
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)  # "predict" returns probabilities


class _AscentLoss(SoftmaxWithLoss):
    def backward(self, dout=1):
        return -super().backward(dout)  # (t - y) / N


def _book_conv_init_ascent(self, *args, **kw):
    BookSimpleConvNet.__init__(self, *args, **kw)
    self.last_layer = _AscentLoss()


def _book_predict_labels(self, x, train_flg=False):
    s = BookNet.predict(self, x, train_flg)
    return s if train_flg else np.argmax(s, axis=1)  # "predict" = the class


def _cs_test_probabilities(self, scores):
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _sum_then_square(self):
    return 0.5 * self.reg * sum(np.sum(self.params[k]) ** 2 for k in self.params if k[0] == "W")


def _reg_biases_too(self):
    return 0.5 * self.reg * sum(np.sum(v * v) for v in self.params.values())


def _reg_grad_biases(self, k):
    return self.reg * self.params[k]


def _no_reg_grad(self, k):
    return 0.0 * self.params[k]  # the regularisation is in the loss only


def _book_decay_not_in_grads(self, x, t):
    lam = self.weight_decay_lambda
    self.weight_decay_lambda = 0.0
    try:
        return BookNet.gradient(self, x, t)
    finally:
        self.weight_decay_lambda = lam


def _relu_back_no_mask(self, dout, x):
    return dout  # the ReLU's gradient forgotten


def _book_conv_skip_relu2(self, x, t):
    self.loss(x, t, train_flg=True)
    dout = self.last_layer.backward(1)
    for name, layer in reversed(list(self.layers.items())):
        if name != "Relu2":
            dout = layer.backward(dout)
    return {"W1": self.layers["Conv1"].dW, "b1": self.layers["Conv1"].db, "W2": self.layers["Affine1"].dW,
            "b2": self.layers["Affine1"].db, "W3": self.layers["Affine2"].dW, "b3": self.layers["Affine2"].db}


class _BNdgammaWrong(BatchNormalization):
    def backward(self, dout):
        dx = super().backward(dout)
        self.dgamma = dout.sum(axis=0)  # dgamma = sum(dout): the x_hat factor forgotten
        return dx


class _DropoutAlwaysOn(Dropout):
    def forward(self, x, train_flg=True):
        self.mask = np.random.rand(*x.shape) > self.ratio
        return x * self.mask  # train_flg ignored


class _BNBatchStatsAlways(BatchNormalization):
    def forward(self, x, train_flg=True):
        return super().forward(x, True)  # the running statistics are never used


def _cs_dropout_stays_on(self, mode):
    if getattr(self, "bn_params", None):
        for bp in self.bn_params:
            bp["mode"] = mode
    # dropout_param["mode"] is never set to "test"


def _cs_bn_train_always(self, mode):
    if self.use_dropout:
        self.dropout_param["mode"] = mode
    for bp in self.bn_params:
        bp["mode"] = "train"  # batch statistics at test time too


def _wrong_sign_loss(self, scores, y):
    loss, d = softmax_loss(scores, y)
    return loss, -d  # dscores[range(N), y] += 1 instead of -= 1


def _grads_times_n(self, X, y=None):
    res = CsFullyConnectedNet.loss(self, X, y)
    if y is None:
        return res
    return res[0], {k: v * X.shape[0] for k, v in res[1].items()}  # averaged loss, summed gradients


def _book_grads_times_n(self, x, t):
    return {k: v * x.shape[0] for k, v in BookNet.gradient(self, x, t).items()}


def _cs_conv_no_pool_grad(self, X, y=None):
    res = CsThreeLayerConvNet.loss(self, X, y)
    if y is None:
        return res
    res[1]["b1"] = np.zeros_like(res[1]["b1"])  # "the bias gradient is zero after pooling"
    return res


MUTANTS = [
    # gradients_match_parameters
    mutant("book", "two_layer_net", "scalar_zero_bias", {"bias": _scalar_bias}, ["gradients_match_parameters"],
           "b1 = 0 broadcasts in the forward pass; its gradient has shape (H,)"),
    mutant("cs231n", "fc_net", "gamma_grad_keepdims", {"norm_back": _bn_gamma_keepdims}, ["gradients_match_parameters"],
           "gamma (5,), dgamma (1, 5): the in-place update params -= lr * grads fails"),
    mutant("book", "conv_net", "no_grad_b1", {"gradient": _gradient_without("b1")}, ["gradients_match_parameters"],
           "gradient() forgets to return the conv bias's gradient"),
    # loss_at_init
    mutant("cs231n", "two_layer_net", "loss_summed", {"data_loss": _summed_loss}, ["loss_at_init"],
           "the loss summed over the batch instead of averaged"),
    mutant("book", "fc_net", "loss_summed", {"__init__": _book_init_summed_loss}, ["loss_at_init"],
           "SoftmaxWithLoss without the division by the batch size"),
    mutant("cs231n", "conv_net", "loss_summed", {"data_loss": _summed_loss}, ["loss_at_init"],
           "the loss summed over the batch instead of averaged"),
    # scores_without_labels
    mutant("book", "two_layer_net", "predict_labels", {"predict": _book_predict_labels}, ["scores_without_labels"],
           "predict returns the predicted classes, not the scores"),
    mutant("cs231n", "fc_net", "test_probabilities", {"test_output": _cs_test_probabilities}, ["scores_without_labels"],
           "loss(X) returns probabilities, not scores"),
    mutant("cs231n", "conv_net", "test_probabilities", {"test_output": _cs_test_probabilities},
           ["scores_without_labels"], "loss(X) returns probabilities, not scores"),
    # regularization
    mutant("cs231n", "fc_net", "sum_then_square", {"reg_loss": _sum_then_square}, ["regularization"],
           "np.sum(W3)**2 instead of np.sum(W3**2) (invisible at reg = 0)"),
    mutant("cs231n", "two_layer_net", "biases_regularised", {"reg_loss": _reg_biases_too}, ["regularization"],
           "the biases regularised too"),
    mutant("book", "fc_net", "decay_not_in_grads", {"gradient": _book_decay_not_in_grads}, ["regularization"],
           "weight decay in the loss, not in the gradients"),
    mutant("cs231n", "conv_net", "reg_loss_only", {"reg_grad": _no_reg_grad}, ["regularization"],
           "regularisation in the loss but not in the gradients"),
    # gradient_check
    mutant("cs231n", "two_layer_net", "relu_grad_forgotten", {"relu_back": _relu_back_no_mask}, ["gradient_check"],
           "the ReLU's backward passes dout through unmasked"),
    mutant("book", "fc_net", "dgamma_without_xhat", {"batchnorm": lambda self, g, b: _BNdgammaWrong(g, b)},
           ["gradient_check"], "dgamma = sum(dout) (the x_hat factor forgotten)"),
    mutant("book", "conv_net", "skips_relu2_backward", {"gradient": _book_conv_skip_relu2}, ["gradient_check"],
           "gradient() skips the second ReLU's backward"),
    # train_test
    mutant("cs231n", "fc_net", "dropout_on_at_test", {"set_mode": _cs_dropout_stays_on}, ["train_test"],
           "dropout still active at test time"),
    mutant("book", "fc_net", "running_stats_ignored", {"batchnorm": lambda self, g, b: _BNBatchStatsAlways(g, b)},
           ["train_test"], "batch norm uses the batch statistics at test time (running statistics ignored)"),
    mutant("book", "two_layer_net", "predict_softmax_tt", {"predict": _book_predict_softmax}, ["train_test"],
           "predict returns probabilities: not the architecture's scores"),
    mutant("cs231n", "conv_net", "test_scores_halved", {"test_output": lambda self, s: s * 0.5}, ["train_test"],
           "test-mode scores halved (an eval-time dropout scale in a network without dropout)"),
    # overfits_small_batch
    mutant("cs231n", "two_layer_net", "gradient_ascent", {"data_loss": _wrong_sign_loss}, ["overfits_small_batch"],
           "dscores with the wrong sign: training climbs the loss"),
    mutant("cs231n", "fc_net", "gamma_grad_keepdims_sgd", {"norm_back": _bn_gamma_keepdims}, ["overfits_small_batch"],
           "dgamma of shape (1, 5): the in-place update raises"),
    mutant("book", "conv_net", "loss_gradient_ascent", {"__init__": _book_conv_init_ascent}, ["overfits_small_batch"],
           "SoftmaxWithLoss.backward returns t - y: every step climbs the loss"),
    # own_numerical_gradient_agrees
    mutant("book", "two_layer_net", "grads_times_n", {"gradient": _book_grads_times_n},
           ["own_numerical_gradient_agrees"], "gradients summed over the batch, loss averaged"),
    mutant("cs231n", "fc_net", "grads_times_n", {"loss": _grads_times_n}, ["own_numerical_gradient_agrees"],
           "gradients summed over the batch, loss averaged"),
    mutant("cs231n", "conv_net", "conv_bias_grad_zero", {"loss": _cs_conv_no_pool_grad},
           ["own_numerical_gradient_agrees"], "the conv bias's gradient left at zero"),
]


# -- correct variants -------------------------------------------------------------------------------------

def _full_reg_loss(self):
    return self.reg * sum(np.sum(self.params[k] ** 2) for k in self.params if k[0] == "W")


def _full_reg_grad(self, k):
    return 2 * self.reg * self.params[k]


def _norm_reg_loss(self):
    return 0.5 * self.reg * sum(np.linalg.norm(self.params[k]) ** 2 for k in self.params if k[0] == "W")


CORRECT = [
    correct("book", "fc_net", "he_init_default", {}, "MultiLayerNetExtend with He initialisation by default "
                                                     "(weight_init_std='relu'), float64 parameters"),
    correct("cs231n", "fc_net", "float64_params", {}, "FullyConnectedNet honouring dtype=np.float64"),
    correct("cs231n", "two_layer_net", "reg_full", {"reg_loss": _full_reg_loss, "reg_grad": _full_reg_grad},
            "reg * ||W||^2 with gradient 2 reg W (self-consistent)"),
    correct("cs231n", "fc_net", "linalg_norm_reg", {"reg_loss": _norm_reg_loss}, "0.5 * reg * np.linalg.norm(W)**2"),
    correct("cs231n", "conv_net", "plain", {}, "ThreeLayerConvNet as the assignment writes it"),
    correct("book", "two_layer_net", "book_delta_loss", {}, "SoftmaxWithLoss with log(y + 1e-7)"),
    correct("book", "conv_net", "plain", {}, "SimpleConvNet as the book writes it"),
]
