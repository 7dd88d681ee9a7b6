"""Whole networks: two_layer_net, fc_net and conv_net, composed from the layer references.

Architectures (the book's and CS231n's, which agree):

* ``two_layer_net``: affine(W1, b1) - relu - affine(W2, b2) - softmax cross-entropy (ch05 TwoLayerNet,
  CS231n ``fc_net.TwoLayerNet``).
* ``fc_net``: L - 1 blocks affine(Wi, bi) - [batch norm | layer norm](gammai, betai) - relu - [dropout], then
  affine(WL, bL) (MultiLayerNet / MultiLayerNetExtend, CS231n ``FullyConnectedNet``).
* ``conv_net``: conv(W1, b1; stride 1, pad (fs - 1) // 2) - relu - 2x2 max pool (stride 2) - affine(W2, b2) -
  relu - affine(W3, b3) (ch07 SimpleConvNet, CS231n ``cnn.ThreeLayerConvNet``).

Loss: the mean softmax cross-entropy plus ``0.5 * reg * sum_i sum(Wi ** 2)`` over the weights only (biases,
gamma and beta are not regularised); the gradient of that term is ``reg * Wi``.  Batch norm: eps 1e-5, running
statistics start at 0 and move as ``running = 0.9 running + 0.1 batch`` (biased variance), used at test time.
Dropout: inverted (train ``x mask / (1 - p)``, test ``x``; p the drop probability; the book's direct form
scales by ``1 - p`` at test instead).  A config is a dict: ``input_dim`` (int, or (C, H, W) for conv_net),
``hidden_dims`` (list), ``num_classes``, ``weight_scale``, ``reg``, ``dropout`` (drop probability, 0: none),
``normalization`` (None | "batchnorm" | "layernorm"), ``num_filters``, ``filter_size``, ``seed``.

:class:`Net` holds parameters and running statistics like a student's model (``params`` dict, train-mode
``loss_and_grads``, test-mode ``scores``); the functions never mutate their arguments.
"""
from __future__ import annotations

import numpy as np

from . import layers as L
from . import losses
from . import norms

BN_EPS, LN_EPS, BN_MOMENTUM = 1e-5, 1e-5, 0.9
MODELS = ("two_layer_net", "fc_net", "conv_net")


def is_weight(name: str) -> bool:
    """Weights are regularised; biases (b*), gamma* and beta* are not."""
    return name.startswith("W")


def conv_geometry(cfg) -> tuple:
    """(C, H, W, F, fs, pad, pooled feature count) of a conv_net config."""
    c, h, w = (int(v) for v in cfg["input_dim"])
    f, fs = int(cfg["num_filters"]), int(cfg["filter_size"])
    return c, h, w, f, fs, (fs - 1) // 2, f * (h // 2) * (w // 2)


def shapes(component: str, cfg) -> dict:
    """{parameter name: shape} of the architecture."""
    hd, c = list(cfg.get("hidden_dims", ())), int(cfg["num_classes"])
    if component == "conv_net":
        ch, _, _, f, fs, _, pooled = conv_geometry(cfg)
        return {"W1": (f, ch, fs, fs), "b1": (f,), "W2": (pooled, hd[0]), "b2": (hd[0],), "W3": (hd[0], c), "b3": (c,)}
    dims = [int(np.prod(cfg["input_dim"]))] + [int(h) for h in hd] + [c]
    out = {}
    for i in range(len(dims) - 1):
        out[f"W{i + 1}"], out[f"b{i + 1}"] = (dims[i], dims[i + 1]), (dims[i + 1],)
        if component == "fc_net" and cfg.get("normalization") and i < len(dims) - 2:
            out[f"gamma{i + 1}"], out[f"beta{i + 1}"] = (dims[i + 1],), (dims[i + 1],)
    return out


def init_params(component: str, cfg) -> dict:
    """Gaussian weights of std ``weight_scale``, zero biases and betas, unit gammas (seeded by cfg seed)."""
    rng = np.random.default_rng(int(cfg.get("seed", 0)))
    out = {}
    for k, s in shapes(component, cfg).items():
        if is_weight(k):
            out[k] = rng.standard_normal(s) * float(cfg["weight_scale"])
        else:
            out[k] = np.ones(s) if k.startswith("gamma") else np.zeros(s)
    return out


def reg_term(params: dict, reg: float, form: str = "half") -> float:
    """0.5 * reg * sum W^2 ("half") or reg * sum W^2 ("full"), weights only."""
    s = sum(float(np.sum(np.asarray(v, dtype=np.float64) ** 2)) for k, v in params.items() if is_weight(k))
    return (0.5 if form == "half" else 1.0) * reg * s


def reg_grad(params: dict, reg: float, form: str = "half") -> dict:
    """d reg_term / d param: reg * W ("half") or 2 reg W ("full"); 0 for the others."""
    k_ = 1.0 if form == "half" else 2.0
    return {k: (k_ * reg * np.asarray(v, dtype=np.float64) if is_weight(k) else np.zeros(np.shape(v)))
            for k, v in params.items()}


def data_loss(scores, y, form: str = "exact") -> float:
    """Mean softmax cross-entropy of scores (N, C) and integer labels y; "book_delta": log(softmax + 1e-7)."""
    return float(losses.softmax_cross_entropy(np.asarray(scores, dtype=np.float64), np.asarray(y),
                                              delta=1e-7 if form == "book_delta" else None))


def _forward(component, cfg, params, X, mode, running, dropout_form="inverted", dropout_seed=0, var_kind="biased",
             bn_eps=BN_EPS):
    """Scores and the caches the backward needs; ``running`` {i: (mean, var)} is returned updated (train)."""
    p = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
    X = np.asarray(X, dtype=np.float64)
    caches, new_running = [], dict(running)
    if component == "conv_net":
        _, _, _, _, _, pad, _ = conv_geometry(cfg)
        c1 = L.conv2d(X, p["W1"], p["b1"], 1, pad)
        r1 = np.maximum(c1, 0)
        p1 = L.max_pool2d(r1, 2, 2, 2)
        a2 = L.affine(p1, p["W2"], p["b2"])
        r2 = np.maximum(a2, 0)
        s = L.affine(r2, p["W3"], p["b3"])
        return s, (X, c1, r1, p1, a2, r2, pad), new_running
    n_layers = len([k for k in p if k.startswith("W")])
    h = X.reshape(X.shape[0], -1)
    norm = cfg.get("normalization") if component == "fc_net" else None
    drop = float(cfg.get("dropout", 0) or 0) if component == "fc_net" else 0.0
    for i in range(1, n_layers):
        a = L.affine(h, p[f"W{i}"], p[f"b{i}"])
        z, nc = a, None
        if norm == "batchnorm":
            rm, rv = running.get(i, (np.zeros(a.shape[1]), np.zeros(a.shape[1])))
            r = norms.batch_norm(a, p[f"gamma{i}"], p[f"beta{i}"], rm, rv, mode=mode, eps=bn_eps,
                                 momentum=BN_MOMENTUM, running_var_kind=var_kind)
            z, nc = r["out"], (rm, rv)
            if mode == "train":
                new_running[i] = (r["running_mean"], r["running_var"])
        elif norm == "layernorm":
            z = norms.layer_norm(a, p[f"gamma{i}"], p[f"beta{i}"], eps=LN_EPS)
        rl = np.maximum(z, 0)
        out = norms.dropout(rl, drop, "train" if mode == "train" else "eval", dropout_seed + i, dropout_form) \
            if drop else rl
        caches.append((h, a, nc, z, rl))
        h = out
    s = L.affine(h, p[f"W{n_layers}"], p[f"b{n_layers}"])
    caches.append((h,))
    return s, caches, new_running


def _backward(component, cfg, params, caches, dscores, mode, dropout_form="inverted", dropout_seed=0):
    p = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
    g = {}
    if component == "conv_net":
        X, c1, r1, p1, a2, r2, pad = caches
        b3 = L.affine_backward(dscores, r2, p["W3"], p["b3"])
        g["W3"], g["b3"] = b3["w"], b3["b"]
        da2 = b3["x"] * (a2 > 0)
        b2 = L.affine_backward(da2, p1, p["W2"], p["b2"])
        g["W2"], g["b2"] = b2["w"], b2["b"]
        dr1 = L.max_pool2d_backward(b2["x"], r1, 2, 2, 2)
        dc1 = dr1 * (c1 > 0)
        b1 = L.conv2d_backward(dc1, X, p["W1"], p["b1"], 1, pad)
        g["W1"], g["b1"] = b1["w"], b1["b"]
        return g
    n_layers = len(caches)
    norm = cfg.get("normalization") if component == "fc_net" else None
    drop = float(cfg.get("dropout", 0) or 0) if component == "fc_net" else 0.0
    (h_last,) = caches[-1]
    bl = L.affine_backward(dscores, h_last, p[f"W{n_layers}"], p[f"b{n_layers}"])
    g[f"W{n_layers}"], g[f"b{n_layers}"] = bl["w"], bl["b"]
    dh = bl["x"]
    for i in range(n_layers - 1, 0, -1):
        h, a, nc, z, rl = caches[i - 1]
        if drop:
            dh = norms.dropout_backward(dh, rl, drop, "train" if mode == "train" else "eval", dropout_seed + i,
                                        dropout_form)
        dz = dh * (z > 0)
        if norm == "batchnorm":
            r = norms.batch_norm_backward(dz, a, p[f"gamma{i}"], p[f"beta{i}"], nc[0], nc[1], mode=mode, eps=BN_EPS)
            da, g[f"gamma{i}"], g[f"beta{i}"] = r["x"], r["gamma"], r["beta"]
        elif norm == "layernorm":
            r = norms.layer_norm_backward(dz, a, p[f"gamma{i}"], p[f"beta{i}"], eps=LN_EPS)
            da, g[f"gamma{i}"], g[f"beta{i}"] = r["x"], r["gamma"], r["beta"]
        else:
            da = dz
        bi = L.affine_backward(da, h, p[f"W{i}"], p[f"b{i}"])
        g[f"W{i}"], g[f"b{i}"], dh = bi["w"], bi["b"], bi["x"]
    return g


def scores(component, cfg, params, X, *, mode="test", running=None, dropout_form="inverted", bn_eps=BN_EPS):
    """Scores (N, C) of the architecture on the given parameters; test mode uses ``running`` {layer: (mean,
    var)} for batch norm and no dropout mask (the direct form scales by 1 - p)."""
    return _forward(component, cfg, params, X, mode, dict(running or {}), dropout_form, bn_eps=bn_eps)[0]


def running_after(component, cfg, params, X, passes: int, var_kind: str = "biased", bn_eps: float = BN_EPS) -> dict:
    """The batch-norm running statistics after ``passes`` train-mode forwards on X from zero (no dropout);
    ``var_kind`` "unbiased" tracks M/(M-1) times the batch variance (PyTorch)."""
    running: dict = {}
    for _ in range(passes):
        running = _forward(component, cfg, params, X, "train", running, var_kind=var_kind, bn_eps=bn_eps)[2]
    return running


class Net:
    """The reference network, held like a student's model: ``params`` (live arrays), ``loss_and_grads`` (train
    mode: updates the running statistics), ``loss`` (train mode, running statistics untouched) and ``scores``
    (test mode).  ``dropout_seed`` fixes the masks (the same mask for every call, as a seeded CS231n model)."""

    def __init__(self, component: str, cfg: dict, *, reg_form: str = "half", dropout_form: str = "inverted"):
        self.component, self.cfg = component, dict(cfg)
        self.reg, self.reg_form, self.dropout_form = float(cfg.get("reg", 0) or 0), reg_form, dropout_form
        self.params = init_params(component, cfg)
        self.running: dict = {}
        self.dropout_seed = int(cfg.get("seed", 0)) + 1

    def _loss(self, X, y, update: bool):
        s, caches, run = _forward(self.component, self.cfg, self.params, X, "train", self.running,
                                  self.dropout_form, self.dropout_seed)
        if update:
            self.running = run
        loss = data_loss(s, y) + reg_term(self.params, self.reg, self.reg_form)
        return loss, s, caches

    def loss(self, X, y) -> float:
        return self._loss(X, y, update=False)[0]

    def loss_and_grads(self, X, y):
        loss, s, caches = self._loss(X, y, update=True)
        ds = losses.softmax_cross_entropy_backward(1.0, s, np.asarray(y))
        g = _backward(self.component, self.cfg, self.params, caches, ds, "train", self.dropout_form,
                      self.dropout_seed)
        rg = reg_grad(self.params, self.reg, self.reg_form)
        return loss, {k: g[k] + rg[k] for k in g}

    def train_pass(self, X, y):
        self.loss_and_grads(X, y)

    def scores(self, X):
        return scores(self.component, self.cfg, self.params, X, running=self.running, dropout_form=self.dropout_form)

    def numerical(self, X, y) -> dict:
        """Central differences (h = 1e-4, the book's) of the train-mode loss for every parameter."""
        from .gradient import numerical_gradient
        out = {}
        for k in sorted(self.params):
            p = self.params[k]

            def f(v, k=k, p=p):
                saved = p.copy()
                p[...] = v
                try:
                    return self.loss(X, y)
                finally:
                    p[...] = saved
            out[k] = numerical_gradient(f, p)
        return out
