"""Model adapters: two_layer_net, fc_net and conv_net through the book's, CS231n's and a manifest's API.

Runs inside the sandbox worker like spec_nn/adapters.py (NumPy and the standard library only).  A model is
judged through a few *ops*, each one worker call that builds the student's model from a config and does all
the work there (a model check costs one round trip, not hundreds).  The op is ``hp["op"]``, the config
``hp["config"]`` (see spec_nn/reference/models.py), the data ``consts`` ``X``, ``y`` (and ``X2``):

* ``inspect``: ``param:NAME``, ``grad:NAME`` (train-mode loss and gradients), ``loss``, ``scores`` (test mode,
  no labels) and ``scores_again`` (the same call once more, after the global RNG was reseeded differently).
* ``regularization``: the same parameters at reg 0 and at ``hp["reg"]``: ``loss0``, ``lossR``, ``grad0:*``,
  ``gradR:*``, ``param:*``.
* ``gradcheck``: biases (and betas) jittered away from 0, then for each parameter a random unit direction d:
  ``ad:NAME`` = grad . d and ``fd1:NAME``, ``fd2:NAME`` the central differences at two steps (a step that
  straddles a ReLU kink disagrees with the other one), ``loss``.
* ``train_test``: ``hp["passes"]`` train-mode forward/backward passes on X, then test-mode ``scores`` on X2 twice
  (``scores_again`` after reseeding the global RNG differently), ``param:*``.
* ``overfit``: ``hp["steps"]`` full-batch steps of the reference optimizer (Adam, ``hp["lr"]``, in place) on X:
  ``losses`` (steps,), ``accuracy`` (test-mode, on X).
* ``numgrad``: the dialect's own numerical gradient of the model (the book's ``model.numerical_gradient(x, t)``,
  CS231n's ``eval_numerical_gradient(f, model.params[k])``) and its analytic gradient: ``num:*``, ``ana:*``.

A config the submission's API cannot express (layer norm in the book, weight decay in the ch05 TwoLayerNet)
returns ``{"unsupported": 1}`` and the check says so.  The training loop holds the parameters as the student's
model does: updated in place (``p -= ...``, as the book's optimizers do), so a gradient whose shape differs from
its parameter fails here as it fails in the student's own training.
"""
from __future__ import annotations

import inspect

import numpy as np

from .adapters import MANIFEST_TABLE, Adapter, Missing, WrongType, arr, train_keyword

MODELS = ("two_layer_net", "fc_net", "conv_net")
RESEED = 12345   # the global RNG before every train-mode call: the book's Dropout draws the same mask each time


class Unsupported(Exception):
    """The submission's API cannot express this config."""


def params_of(fn):
    """The parameters of fn's signature ({} where it has none Python can read)."""
    try:
        return inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return {}


def _kw(fn, **candidates):
    """The keywords of ``candidates`` that ``fn`` takes (all of them when it takes **kwargs)."""
    ps = params_of(fn)
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in ps.values()):
        return candidates
    return {k: v for k, v in candidates.items() if k in ps}


def _scalar(v, what):
    a = arr(v, what)
    if a.size != 1:
        raise WrongType(f"{what} returned an array of shape {a.shape}, but should be a scalar loss")
    return float(a.reshape(-1)[0])


# ------------------------------------------------------------------------------------------------------
# Handles: one student model behind one small interface (params, loss_and_grads, loss, scores, numerical)

class Handle:
    def __init__(self, model):
        self.model = model

    @property
    def params(self):
        p = getattr(self.model, "params", None)
        if not isinstance(p, dict):
            raise WrongType(f"{type(self.model).__name__}.params is {type(p).__name__}, but should be a dict")
        return p

    numerical = None


class BookHandle(Handle):
    """The book: ``predict(x[, train_flg])``, ``loss(x, t[, train_flg])``, ``gradient(x, t)``,
    ``numerical_gradient(x, t)``; MultiLayerNetExtend's ``gradient`` runs in train mode.

    ``one_hot``: the number of classes when the model takes one-hot labels only (:func:`book_labels`: ch05's
    TwoLayerNet is trained on ``load_mnist(one_hot_label=True)``, and students' one-hot-only SoftmaxWithLoss
    follows it); the case's index labels are given as one-hot rows (N, C) then."""

    def __init__(self, model, one_hot=None):
        super().__init__(model)
        self.one_hot = one_hot

    def _t(self, y):
        if self.one_hot and np.ndim(y) == 1:
            return np.eye(self.one_hot)[np.asarray(y, dtype=np.int64)]
        return y

    def _train_kw(self, fn, train):
        flag = train_keyword(fn)
        return {flag: train} if flag else {}

    def loss(self, X, y):
        np.random.seed(RESEED)
        return _scalar(self.model.loss(X, self._t(y), **self._train_kw(self.model.loss, True)), "loss")

    def loss_and_grads(self, X, y):
        loss = self.loss(X, y)
        np.random.seed(RESEED)
        g = self.model.gradient(X, self._t(y))
        if not isinstance(g, dict):
            raise WrongType(f"gradient returned {type(g).__name__}, but should be a dict of gradients")
        return loss, g

    def scores(self, X):
        return arr(self.model.predict(X, **self._train_kw(self.model.predict, False)), "predict")

    def train_pass(self, X, y):
        """One train-mode forward and backward (gradient runs loss once: running statistics move once)."""
        np.random.seed(RESEED)
        self.model.gradient(X, self._t(y))

    def numerical(self, X, y):
        fn = getattr(self.model, "numerical_gradient", None)
        if fn is None:
            raise Unsupported("the model has no numerical_gradient(x, t)")
        np.random.seed(RESEED)
        g = fn(X, self._t(y))
        if not isinstance(g, dict):
            raise WrongType(f"numerical_gradient returned {type(g).__name__}, but should be a dict")
        return g


class CsHandle(Handle):
    """CS231n (and the manifest): ``loss(X)`` -> scores (test mode), ``loss(X, y)`` -> (loss, grads);
    the numerical gradient is ``cs231n/gradient_check.py`` ``eval_numerical_gradient(f, x)`` (the notebook's)."""

    def __init__(self, model, numerical_fn=None):
        super().__init__(model)
        self.numerical_fn = numerical_fn
        self.numerical = self._numerical if numerical_fn is not None else None

    def _numerical(self, X, y):
        f = lambda _x: self.loss(X, y)  # noqa: E731 - the notebook's lambda
        out = {}
        for k in sorted(self.params):
            kw = _kw(self.numerical_fn, verbose=False, h=1e-5)
            out[k] = self.numerical_fn(f, self.params[k], **kw)
        return out

    def train_pass(self, X, y):
        self.loss_and_grads(X, y)

    def loss_and_grads(self, X, y):
        np.random.seed(RESEED)
        res = self.model.loss(X, y)
        if not isinstance(res, (tuple, list)) or len(res) != 2:
            raise WrongType(f"loss(X, y) returned {type(res).__name__}, but should be (loss, grads)")
        if not isinstance(res[1], dict):
            raise WrongType(f"loss(X, y) returned grads of type {type(res[1]).__name__}, but should be a dict")
        return _scalar(res[0], "loss(X, y)"), res[1]

    def loss(self, X, y):
        return self.loss_and_grads(X, y)[0]

    def scores(self, X):
        return arr(self.model.loss(X), "loss(X)")


_LABEL_FORMS: dict = {}  # (class, constructor keywords, input shape, classes) -> book_labels' answer


def book_labels(cls, kw: dict, x_shape, classes: int):
    """The label format a book model takes, found on a model of its own (``cls(**kw)``; the graded one is never
    called for this), once per class and configuration: index labels (N,) as chapters 6-7 feed them, else one-hot
    rows when only those work (ch05 trains on one-hot labels; the book's SoftmaxWithLoss takes both).  Returns
    ``one_hot`` for BookHandle: None for index labels, the number of classes for one-hot."""
    key = (cls, repr(sorted(kw.items())), tuple(x_shape), classes)
    if key in _LABEL_FORMS:
        return _LABEL_FORMS[key]
    state = np.random.get_state()
    found = None
    try:
        x = np.random.default_rng(0).standard_normal((2,) + tuple(x_shape))
        y = np.arange(2) % classes
        for one_hot in (None, classes):
            try:
                t = np.eye(classes)[y] if one_hot else y
                _scalar(cls(**kw).loss(x, t), "loss")
                found = one_hot
                break
            except Exception:  # noqa: BLE001 - a model failing both ways is graded (and reported) as it is
                continue
    finally:
        np.random.set_state(state)
    _LABEL_FORMS[key] = found
    return found


def _book_build(sub, comp, cfg):
    D, C, ws, reg = int(np.prod(cfg["input_dim"])), int(cfg["num_classes"]), float(cfg["weight_scale"]), \
        float(cfg.get("reg", 0) or 0)
    hd = [int(h) for h in cfg.get("hidden_dims", ())]
    drop, norm = float(cfg.get("dropout", 0) or 0), cfg.get("normalization")
    if comp == "two_layer_net":
        cls = sub.attr("two_layer_net", "TwoLayerNet")
        kw = _kw(cls, input_size=D, hidden_size=hd[0], output_size=C, weight_init_std=ws)
        if reg:
            if "weight_decay_lambda" not in params_of(cls):
                raise Unsupported("TwoLayerNet takes no weight_decay_lambda (the book's ch05 form has no weight decay)")
            kw["weight_decay_lambda"] = reg
        return BookHandle(cls(**kw), one_hot=book_labels(cls, kw, (D,), C))
    if comp == "fc_net":
        if norm == "layernorm":
            raise Unsupported("the book's networks have no layer norm")
        plain, ext = sub.attr("multi_layer_net", "MultiLayerNet"), sub.attr("multi_layer_net_extend",
                                                                             "MultiLayerNetExtend")
        cls = plain if (plain is not None and not drop and not norm) else ext
        if cls is None:
            raise Unsupported("dropout and batch norm need MultiLayerNetExtend (common/multi_layer_net_extend.py)")
        kw = dict(input_size=D, hidden_size_list=hd, output_size=C, activation="relu", weight_init_std=ws,
                  weight_decay_lambda=reg)
        if cls is ext:
            kw.update(use_dropout=bool(drop), dropout_ration=drop or 0.5, use_batchnorm=norm == "batchnorm")
        kw = _kw(cls, **kw)
        return BookHandle(cls(**kw), one_hot=book_labels(cls, kw, (D,), C))
    cls = sub.attr("simple_convnet", "SimpleConvNet")
    if reg:
        raise Unsupported("SimpleConvNet takes no weight decay")
    fs = int(cfg["filter_size"])
    conv = {"filter_num": int(cfg["num_filters"]), "filter_size": fs, "pad": (fs - 1) // 2, "stride": 1}
    shape = tuple(int(v) for v in cfg["input_dim"])
    kw = _kw(cls, input_dim=shape, conv_param=conv, hidden_size=hd[0], output_size=C, weight_init_std=ws)
    return BookHandle(cls(**kw), one_hot=book_labels(cls, kw, shape, C))


def _cs_fc_kwargs(cls, cfg):
    """FullyConnectedNet's keywords, whichever year of the assignment: dropout as a drop probability (``dropout``
    defaulting to 0), a keep probability (``dropout`` defaulting to 1, or ``dropout_keep_ratio``); batch norm as
    ``normalization`` or ``use_batchnorm``."""
    ps = params_of(cls)
    drop, norm = float(cfg.get("dropout", 0) or 0), cfg.get("normalization")
    kw = dict(hidden_dims=[int(h) for h in cfg["hidden_dims"]], input_dim=int(np.prod(cfg["input_dim"])),
              num_classes=int(cfg["num_classes"]), reg=float(cfg.get("reg", 0) or 0),
              weight_scale=float(cfg["weight_scale"]), dtype=np.float64)
    if cfg.get("dropout_seed") is not None:
        kw["seed"] = int(cfg["dropout_seed"])
    if "dropout_keep_ratio" in ps:
        kw["dropout_keep_ratio"] = 1.0 - drop
    elif "dropout" in ps:
        default = ps["dropout"].default
        kw["dropout"] = (1.0 - drop) if default in (1, 1.0) else drop
    elif drop:
        raise Unsupported("FullyConnectedNet takes no dropout keyword")
    if "normalization" in ps:
        kw["normalization"] = norm
    elif "use_batchnorm" in ps:
        if norm == "layernorm":
            raise Unsupported("FullyConnectedNet takes use_batchnorm only (no layer norm)")
        kw["use_batchnorm"] = norm == "batchnorm"
    elif norm:
        raise Unsupported("FullyConnectedNet takes no normalization keyword")
    return _kw(cls, **kw)


def _cs_build(sub, comp, cfg):
    C, ws, reg = int(cfg["num_classes"]), float(cfg["weight_scale"]), float(cfg.get("reg", 0) or 0)
    hd = [int(h) for h in cfg.get("hidden_dims", ())]
    num = sub.attr("gradient_check", "eval_numerical_gradient")
    if comp == "two_layer_net":
        cls = sub.attr("fc_net", "TwoLayerNet")
        return CsHandle(cls(**_kw(cls, input_dim=int(np.prod(cfg["input_dim"])), hidden_dim=hd[0], num_classes=C,
                                  weight_scale=ws, reg=reg)), num)
    if comp == "fc_net":
        cls = sub.attr("fc_net", "FullyConnectedNet")
        return CsHandle(cls(**_cs_fc_kwargs(cls, cfg)), num)
    cls = sub.attr("cnn", "ThreeLayerConvNet")
    return CsHandle(cls(**_kw(cls, input_dim=tuple(int(v) for v in cfg["input_dim"]), num_filters=int(cfg["num_filters"]),
                              filter_size=int(cfg["filter_size"]), hidden_dim=hd[0], num_classes=C, weight_scale=ws,
                              reg=reg, dtype=np.float64)), num)


def manifest_build(sub, comp, cfg):
    """A manifest's model: ``forward = "module:Factory"``, called with the config keywords it takes (input_dim,
    hidden_dim, hidden_dims, num_classes, weight_scale, reg, dropout (drop probability), normalization,
    num_filters, filter_size, dtype, seed); the object follows the CS231n protocol (``params``; ``loss(X)``,
    ``loss(X, y)``)."""
    e = sub.manifest.get(comp)
    if e is None or "forward" not in e:
        raise Missing(f"the manifest maps no model for {comp}")
    factory = e["forward"]
    hd = [int(h) for h in cfg.get("hidden_dims", ())]
    cand = dict(input_dim=cfg["input_dim"] if comp == "conv_net" else int(np.prod(cfg["input_dim"])),
                hidden_dim=hd[0] if hd else None, hidden_dims=hd, num_classes=int(cfg["num_classes"]),
                weight_scale=float(cfg["weight_scale"]), reg=float(cfg.get("reg", 0) or 0),
                dropout=float(cfg.get("dropout", 0) or 0), normalization=cfg.get("normalization"),
                num_filters=cfg.get("num_filters"), filter_size=cfg.get("filter_size"), dtype=np.float64,
                seed=cfg.get("dropout_seed"))
    kw = _kw(factory, **{k: v for k, v in cand.items() if v is not None or k == "normalization"})
    ps = params_of(factory)
    for what, needed in (("dropout", bool(cand["dropout"])), ("normalization", bool(cand["normalization"])),
                         ("reg", bool(cand["reg"]))):
        if needed and what not in kw and not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in ps.values()):
            raise Unsupported(f"the manifest's {comp} factory takes no {what} keyword")
    return CsHandle(factory(**kw))


BUILDERS = {"book": _book_build, "cs231n": _cs_build, "manifest": manifest_build}


# ------------------------------------------------------------------------------------------------------
# The ops, on any handle (the reference network in spec_nn/reference/models.py has the same interface)

def _named(prefix, d):
    return {f"{prefix}:{k}": arr(v, f"{prefix} {k}") if not isinstance(v, (int, float)) else np.asarray(v)
            for k, v in d.items()}


def _jitter(params, rng):
    """Biases and betas moved in place to +-U(0.3, 0.6): no ReLU input sits at (or within a step of) its kink."""
    for k in sorted(params):
        v = params[k]
        if (k.startswith("b") or k.startswith("beta")) and isinstance(v, np.ndarray) and v.dtype.kind == "f":
            v[...] = rng.uniform(0.3, 0.6, v.shape) * rng.choice([-1.0, 1.0], v.shape)


def op_inspect(h, c):
    X, y = c["X"], c["y"]
    loss, g = h.loss_and_grads(X, y)
    s = h.scores(X)
    np.random.seed(RESEED + 1)
    s2 = h.scores(X)
    return {**_named("param", h.params), **_named("grad", g), "loss": np.asarray(loss), "scores": s,
            "scores_again": s2}


def op_regularization(h0, hr, c):
    X, y = c["X"], c["y"]
    _jitter(h0.params, np.random.default_rng(int(c.get("seed", 0))))  # a regularised bias must show
    for k, v in h0.params.items():  # the same parameters in both (they are usually the same already)
        w = hr.params.get(k)
        if isinstance(w, np.ndarray) and isinstance(v, np.ndarray) and w.shape == v.shape:
            w[...] = v
    l0, g0 = h0.loss_and_grads(X, y)
    lr, gr = hr.loss_and_grads(X, y)
    return {"loss0": np.asarray(l0), "lossR": np.asarray(lr), **_named("grad0", g0), **_named("gradR", gr),
            **_named("param", hr.params)}


def _steps(dtype):
    return (1e-5, 1e-6) if np.dtype(dtype) == np.float64 else (3e-3, 1e-3)


def op_gradcheck(h, c):
    X, y = c["X"], c["y"]
    rng = np.random.default_rng(int(c.get("seed", 0)))
    params = h.params
    _jitter(params, rng)
    loss, g = h.loss_and_grads(X, y)
    out = {"loss": np.asarray(loss)}
    for k in sorted(params):
        p = params[k]
        if not isinstance(p, np.ndarray) or p.dtype.kind != "f" or p.size == 0:
            continue
        d = rng.standard_normal(p.shape)
        d /= np.linalg.norm(d)
        gk = g.get(k)
        try:
            out[f"ad:{k}"] = np.asarray(float(np.sum(np.asarray(gk, dtype=np.float64) * d)))
        except (TypeError, ValueError):
            out[f"ad:{k}"] = np.asarray(np.nan)
        orig = p.copy()
        for i, step in enumerate(_steps(p.dtype)):
            p[...] = orig + step * d
            lp = h.loss(X, y)
            p[...] = orig - step * d
            lm = h.loss(X, y)
            p[...] = orig
            out[f"fd{i + 1}:{k}"] = np.asarray((lp - lm) / (2 * step))
    return out


def op_train_test(h, c):
    X, y, X2 = c["X"], c["y"], c["X2"]
    for i in range(int(c.get("passes", 3))):
        h.train_pass(X, y)
    s = h.scores(X2)
    np.random.seed(RESEED + 7)
    s2 = h.scores(X2)
    return {"scores": s, "scores_again": s2, **_named("param", h.params)}


def op_overfit(h, c):
    """The reference optimizer: Adam (beta1 0.9, beta2 0.999, eps 1e-8), full batch, in place."""
    X, y = c["X"], c["y"]
    lr, steps = float(c.get("lr", 1e-2)), int(c.get("steps", 100))
    m, v, losses = {}, {}, []
    for t in range(1, steps + 1):
        loss, g = h.loss_and_grads(X, y)
        losses.append(loss)
        for k, p in h.params.items():
            if k not in g:
                raise WrongType(f"the gradients have no {k!r} (the parameters are {sorted(h.params)})")
            gk = np.asarray(g[k])
            m[k] = 0.9 * m.get(k, 0.0) + 0.1 * gk
            v[k] = 0.999 * v.get(k, 0.0) + 0.001 * gk * gk
            p -= lr * (m[k] / (1 - 0.9 ** t)) / (np.sqrt(v[k] / (1 - 0.999 ** t)) + 1e-8)
    pred = np.argmax(h.scores(X), axis=1)
    return {"losses": np.asarray(losses, dtype=np.float64), "accuracy": np.asarray(float(np.mean(pred == y)))}


def op_numgrad(h, c):
    X, y = c["X"], c["y"]
    _jitter(h.params, np.random.default_rng(int(c.get("seed", 0))))
    num = h.numerical(X, y)
    _, ana = h.loss_and_grads(X, y)
    return {**_named("num", num), **_named("ana", ana)}


def run_op(build, case):
    """``build(cfg) -> handle``; the op named by the case, on fresh models (the global RNG seeded before each
    construction, so two models of one config start equal)."""
    cfg = dict(case.hp["config"])
    op = case.hp["op"]

    def make(**over):
        np.random.seed(int(cfg.get("seed", 0)))
        return build({**cfg, **over})
    try:
        if op == "inspect":
            return op_inspect(make(), case)
        if op == "regularization":
            return op_regularization(make(reg=0.0), make(reg=float(case.hp["reg"])), case)
        if op == "gradcheck":
            return op_gradcheck(make(), case)
        if op == "train_test":
            return op_train_test(make(), case)
        if op == "overfit":
            return op_overfit(make(), case)
        if op == "numgrad":
            h = make()
            if getattr(h, "numerical", None) is None:
                raise Unsupported("this API has no numerical_gradient of the model")
            return op_numgrad(h, case)
    except Unsupported as e:
        return {"unsupported": np.asarray(1), "why": np.asarray([ord(ch) for ch in str(e)[:200]], dtype=np.int64)}
    raise Missing(f"unknown model op {op!r}")


# ------------------------------------------------------------------------------------------------------
# The adapters

class ModelAdapter(Adapter):
    """One model component of one dialect: forward runs ``hp["op"]``; there is no separate backward."""

    def __init__(self, style, comp, needs, api):
        super().__init__(None, None, needs=needs, api=api)
        self.style, self.comp = style, comp

    def available(self, sub):
        if self.style == "manifest":
            return self.comp in sub.manifest, False
        return self._has(sub, self.needs), False

    def forward(self, sub, comp, case, options):
        if case.hp.get("op") == "dynamics" and self.comp == "fc_net" and self.style in ("book", "cs231n"):
            from .adapters_dynamics import op_dynamics  # the model scenarios of spec-nn conformance --target
            return op_dynamics(sub, self.style, case)
        return run_op(lambda cfg: BUILDERS[self.style](sub, self.comp, cfg), case)


def _book_api(sub):
    return ", ".join(n for n, (m, a) in (("common.multi_layer_net.MultiLayerNet", ("multi_layer_net", "MultiLayerNet")),
                                         ("common.multi_layer_net_extend.MultiLayerNetExtend",
                                          ("multi_layer_net_extend", "MultiLayerNetExtend"))) if sub.attr(m, a))


BOOK = {
    "two_layer_net": ModelAdapter("book", "two_layer_net", ("two_layer_net.TwoLayerNet",), "TwoLayerNet (two_layer_net.py)"),
    "fc_net": ModelAdapter("book", "fc_net", (("multi_layer_net.MultiLayerNet",
                                               "multi_layer_net_extend.MultiLayerNetExtend"),), _book_api),
    "conv_net": ModelAdapter("book", "conv_net", ("simple_convnet.SimpleConvNet",), "SimpleConvNet (simple_convnet.py)"),
}
CS231N = {
    "two_layer_net": ModelAdapter("cs231n", "two_layer_net", ("fc_net.TwoLayerNet",), "cs231n.classifiers.fc_net.TwoLayerNet"),
    "fc_net": ModelAdapter("cs231n", "fc_net", ("fc_net.FullyConnectedNet",), "cs231n.classifiers.fc_net.FullyConnectedNet"),
    "conv_net": ModelAdapter("cs231n", "conv_net", ("cnn.ThreeLayerConvNet",), "cs231n.classifiers.cnn.ThreeLayerConvNet"),
}
MANIFEST = {c: ModelAdapter("manifest", c, (), c) for c in MODELS}
MANIFEST_TABLE.update(MANIFEST)

# The files each dialect's models come from (spec_nn/adapters.py DIALECT_MODULES): the book's at the submission's
# root or in the chapter folders, CS231n's under cs231n/classifiers/.
DIALECT_MODULES = {
    "book": ("two_layer_net", "ch05.two_layer_net", "simple_convnet", "ch07.simple_convnet",
             "common.multi_layer_net", "common.multi_layer_net_extend"),
    "cs231n": ("cs231n.classifiers.fc_net", "cs231n.classifiers.cnn"),
}


# The files that make a model part of a submission: a model counts in the possible total when one of its files
# is there (decided by the grading process from the files, before anything runs), since many submissions are
# layers only.
MODEL_FILES = {
    "book": {"two_layer_net": ("two_layer_net.py", "ch05/two_layer_net.py"),
             "fc_net": ("common/multi_layer_net.py", "common/multi_layer_net_extend.py"),
             "conv_net": ("simple_convnet.py", "ch07/simple_convnet.py")},
    "cs231n": {"two_layer_net": ("cs231n/classifiers/fc_net.py",), "fc_net": ("cs231n/classifiers/fc_net.py",),
               "conv_net": ("cs231n/classifiers/cnn.py",)},
}
