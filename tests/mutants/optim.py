"""Broken and correct-but-different optimizers: the book's classes, PyTorch's forms, CS231n's
config-dict functions, and the bugs students write into them.

Each implementation is driven over the K gradients of a case by an adapter, as the grader drives a
submission: ``book(Class)`` copies the parameter into ``params = {"W": ...}`` and calls
``update(params, grads)`` per step; ``cs231n(update, config)`` threads ``(w, config)`` through the steps.
"""
import numpy as np

from spec_nn.reference import optim as ref

from . import Mutant

BOTH = ("float64", "float32")


def book(cls):
    """Adapter for the book's ``Opt(**hp).update(params, grads)`` (in place on the adapter's copy)."""
    def fwd(c):
        opt, params, out = cls(**c.hp), {"W": c["param"].copy()}, []
        for g in c["grads"]:
            opt.update(params, {"W": g})
            out.append(params["W"].copy())
        return np.stack(out)
    return fwd


def cs231n(update, config):
    """Adapter for CS231n's ``update(w, dw, config) -> (next_w, config)``; ``config(hp)`` maps names."""
    def fwd(c):
        w, cfg, out = c["param"].copy(), config(c.hp), []
        for g in c["grads"]:
            w, cfg = update(w, g, cfg)
            out.append(w)
        return np.stack(out)
    return fwd


# -- the book's classes (common/optimizer.py), eps taken from the case's hyper-parameters ----------

class SGD:
    def __init__(self, lr=0.01):
        self.lr = lr

    def update(self, params, grads):
        for key in params.keys():
            params[key] -= self.lr * grads[key]


class Momentum:
    def __init__(self, lr=0.01, momentum=0.9):
        self.lr, self.momentum, self.v = lr, momentum, None

    def update(self, params, grads):
        if self.v is None:
            self.v = {key: np.zeros_like(val) for key, val in params.items()}
        for key in params.keys():
            self.v[key] = self.momentum * self.v[key] - self.lr * grads[key]
            params[key] += self.v[key]


class Nesterov(Momentum):
    def update(self, params, grads):
        if self.v is None:
            self.v = {key: np.zeros_like(val) for key, val in params.items()}
        for key in params.keys():
            self.v[key] *= self.momentum
            self.v[key] -= self.lr * grads[key]
            params[key] += self.momentum * self.momentum * self.v[key]
            params[key] -= (1 + self.momentum) * self.lr * grads[key]


class AdaGrad:
    def __init__(self, lr=0.01, eps=1e-7):
        self.lr, self.eps, self.h = lr, eps, None

    def update(self, params, grads):
        if self.h is None:
            self.h = {key: np.zeros_like(val) for key, val in params.items()}
        for key in params.keys():
            self.h[key] += grads[key] * grads[key]
            params[key] -= self.lr * grads[key] / (np.sqrt(self.h[key]) + self.eps)


class RMSprop:
    def __init__(self, lr=0.01, decay_rate=0.99, eps=1e-7):
        self.lr, self.decay_rate, self.eps, self.h = lr, decay_rate, eps, None

    def update(self, params, grads):
        if self.h is None:
            self.h = {key: np.zeros_like(val) for key, val in params.items()}
        for key in params.keys():
            self.h[key] *= self.decay_rate
            self.h[key] += (1 - self.decay_rate) * grads[key] * grads[key]
            params[key] -= self.lr * grads[key] / (np.sqrt(self.h[key]) + self.eps)


class Adam:
    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-7):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.iter, self.m, self.v = 0, None, None

    def update(self, params, grads):
        if self.m is None:
            self.m = {key: np.zeros_like(val) for key, val in params.items()}
            self.v = {key: np.zeros_like(val) for key, val in params.items()}
        self.iter += 1
        lr_t = self.lr * np.sqrt(1.0 - self.beta2 ** self.iter) / (1.0 - self.beta1 ** self.iter)
        for key in params.keys():
            self.m[key] += (1 - self.beta1) * (grads[key] - self.m[key])
            self.v[key] += (1 - self.beta2) * (grads[key] ** 2 - self.v[key])
            params[key] -= lr_t * self.m[key] / (np.sqrt(self.v[key]) + self.eps)


# -- CS231n's optim.py style (config dicts) -------------------------------------------------------

def cs_sgd(w, dw, config):
    return w - config["learning_rate"] * dw, config


def cs_sgd_momentum(w, dw, config):
    v = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v - config["learning_rate"] * dw
    config["velocity"] = v
    return w + v, config


def cs_nesterov(w, dw, config):
    """The CS231n notes' Nesterov: v_prev = v; v = mu v - lr dx; x += -mu v_prev + (1 + mu) v."""
    v_prev = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v_prev - config["learning_rate"] * dw
    config["velocity"] = v
    return w - config["momentum"] * v_prev + (1 + config["momentum"]) * v, config


def cs_rmsprop(w, dw, config):
    cache = config.get("cache", np.zeros_like(w))
    cache = config["decay_rate"] * cache + (1 - config["decay_rate"]) * dw ** 2
    config["cache"] = cache
    return w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"]), config


def cs_adam(w, dw, config):
    config["t"] = config.get("t", 0) + 1
    m = config["beta1"] * config.get("m", np.zeros_like(w)) + (1 - config["beta1"]) * dw
    v = config["beta2"] * config.get("v", np.zeros_like(w)) + (1 - config["beta2"]) * dw ** 2
    config["m"], config["v"] = m, v
    mt = m / (1 - config["beta1"] ** config["t"])
    vt = v / (1 - config["beta2"] ** config["t"])
    return w - config["learning_rate"] * mt / (np.sqrt(vt) + config["epsilon"]), config


def cfg(**names):
    """Map the case's hyper-parameters to CS231n config keys: cfg(learning_rate="lr", ...)."""
    return lambda hp: {k: hp[v] for k, v in names.items()}


# -- loop-style variants and bugs: ``steps(step)`` runs step(w, g, state, **hp) -> new w -------------

def steps(step):
    def fwd(c):
        w, state, out = c["param"].copy(), {"t": 0}, []
        for g in c["grads"]:
            w = step(w, g, state, **c.hp)
            out.append(np.array(w, copy=True))
        return np.stack(out)
    return fwd


def _pytorch_momentum(w, g, s, lr, momentum):
    s["b"] = momentum * s.get("b", 0) + g
    return w - lr * s["b"]


def _pytorch_nesterov(w, g, s, lr, momentum):
    s["b"] = momentum * s.get("b", 0) + g
    return w - lr * (g + momentum * s["b"])


def _adam(w, g, s, lr, beta1, beta2, eps, correct=True, t_step=1):
    s["t"] += t_step
    s["m"] = beta1 * s.get("m", 0) + (1 - beta1) * g
    s["v"] = beta2 * s.get("v", 0) + (1 - beta2) * g * g
    if not correct:
        return w - lr * s["m"] / (np.sqrt(s["v"]) + eps)
    return w - lr * (s["m"] / (1 - beta1 ** s["t"])) / (np.sqrt(s["v"] / (1 - beta2 ** s["t"])) + eps)


def _adagrad(w, g, s, lr, eps, inside=False, use_eps=True):
    s["h"] = s.get("h", 0) + g * g
    if inside:
        return w - lr * g / np.sqrt(s["h"] + eps)
    return w - lr * g / (np.sqrt(s["h"]) + (eps if use_eps else 0))


def _rmsprop(w, g, s, lr, decay_rate, eps, swapped=False):
    a, b = (1 - decay_rate, decay_rate) if swapped else (decay_rate, 1 - decay_rate)
    s["h"] = a * s.get("h", 0) + b * g * g
    return w - lr * g / (np.sqrt(s["h"]) + eps)


REF = {"sgd": ref.sgd, "momentum": ref.momentum, "nesterov": ref.nesterov, "adagrad": ref.adagrad,
       "rmsprop": ref.rmsprop, "adam": ref.adam}


def _ref(name, c, **over):
    return REF[name](c["param"], c["grads"], **{**c.hp, **over})


def _writes_into_grads(name):
    def fwd(c):
        traj = _ref(name, c)
        g = c["grads"]
        g[...] = traj  # "saves memory" by reusing the caller's gradient buffer as the output
        return g
    return fwd


def _weight_decay(name):
    def fwd(c):
        shrink = 0.99 ** np.arange(1, len(c["grads"]) + 1).reshape((-1,) + (1,) * c["param"].ndim)
        return (_ref(name, c) * shrink).astype(c["param"].dtype)
    return fwd


def _normalised(name):
    """Gradient normalised by its norm without eps: 0/0 at an all-zero step."""
    def fwd(c):
        g = c["grads"] / np.sqrt(np.sum(c["grads"] ** 2, axis=tuple(range(1, c["grads"].ndim)), keepdims=True))
        return REF[name](c["param"], g, **c.hp)
    return fwd


def _generic(name):
    ms = [
        Mutant(name, "writes_trajectory_into_grads", _writes_into_grads(name), caught_by=("does_not_mutate_inputs",),
               why="reuses the caller's gradient array as the output buffer"),
        Mutant(name, "returns_float64", lambda c: _ref(name, c).astype(np.float64), caught_by=("preserves_dtype",),
               dtypes=("float32",), why="keeps its state in float64 and returns it"),
        Mutant(name, "built_in_weight_decay", _weight_decay(name),
               caught_by=("zero_gradient_keeps_param", "forward_matches_reference"),
               why="shrinks the parameter by 1% every step (an unrequested weight decay)"),
    ]
    if name in ("sgd", "momentum", "nesterov"):
        ms.append(Mutant(name, "normalised_gradient_no_eps", _normalised(name),
                         caught_by=("finite_outputs", "zero_gradient_keeps_param"),
                         why="g / ||g|| without eps: 0/0 = NaN at an all-zero gradient"))
    return ms


MUTANTS = [m for n in REF for m in _generic(n)] + [
    Mutant("sgd", "sign_flipped", steps(lambda w, g, s, lr: w + lr * g),
           caught_by=("forward_matches_reference", "trajectory_matches_closed_form"), why="gradient ascent"),
    Mutant("momentum", "state_reset_each_step",
           steps(lambda w, g, s, lr, momentum: w + (momentum * 0 - lr * g)),
           caught_by=("forms_equivalent", "trajectory_matches_closed_form", "forward_matches_reference"),
           why="velocity re-initialised to zero on every update (state not kept): plain SGD"),
    Mutant("momentum", "aliases_grad_as_velocity",
           steps(lambda w, g, s, lr, momentum: (s.__setitem__("b", g) if "b" not in s else
                                                (s["b"].__imul__(momentum), s["b"].__iadd__(g)), w - lr * s["b"])[1]),
           caught_by=("does_not_mutate_inputs",),
           why="PyTorch's first step buf = grad without clone(): later steps scale the caller's gradient"),
    Mutant("nesterov", "plain_momentum", steps(_pytorch_momentum),
           caught_by=("forward_matches_reference", "forms_equivalent", "trajectory_matches_closed_form"),
           why="Nesterov implemented as heavy-ball momentum (no look-ahead term)"),
    Mutant("adagrad", "no_eps", steps(lambda w, g, s, lr, eps: _adagrad(w, g, s, lr, eps, use_eps=False)),
           caught_by=("zero_gradient_keeps_param", "finite_outputs"),
           why="lr g / sqrt(h) without epsilon: 0/0 = NaN at a zero gradient"),
    Mutant("adagrad", "sum_not_squared", steps(lambda w, g, s, lr, eps: (s.__setitem__("h", s.get("h", 0) + np.abs(g)),
                                                                         w - lr * g / (np.sqrt(s["h"]) + eps))[1]),
           caught_by=("forward_matches_reference", "trajectory_matches_closed_form"), why="h += |g| instead of g^2"),
    Mutant("rmsprop", "decay_on_wrong_term", steps(lambda w, g, s, **hp: _rmsprop(w, g, s, swapped=True, **hp)),
           caught_by=("forward_matches_reference", "trajectory_matches_closed_form"),
           why="h = (1 - rho) h + rho g^2: the decay rate weights the new gradient"),
    Mutant("rmsprop", "no_eps", steps(lambda w, g, s, lr, decay_rate, eps: _rmsprop(w, g, s, lr, decay_rate, 0.0)),
           caught_by=("zero_gradient_keeps_param", "finite_outputs"), why="0/0 = NaN at a zero gradient"),
    Mutant("adam", "no_bias_correction", steps(lambda w, g, s, **hp: _adam(w, g, s, correct=False, **hp)),
           caught_by=("forward_matches_reference", "trajectory_matches_closed_form"),
           why="m / (sqrt(v) + eps) without 1/(1 - b^t): first steps 3x too large"),
    Mutant("adam", "t_not_incremented", steps(lambda w, g, s, **hp: _adam(w, g, s, t_step=0, **hp)),
           caught_by=("finite_outputs", "zero_gradient_keeps_param", "forward_matches_reference"),
           why="t stays 0: 1 - b1^0 = 0, division by zero"),
    Mutant("adam", "t_stuck_at_one", steps(lambda w, g, s, **hp: (s.__setitem__("t", 0), _adam(w, g, s, **hp))[1]),
           caught_by=("forward_matches_reference", "trajectory_matches_closed_form"),
           why="t reset to 1 every step: the bias correction of the first step forever"),
    Mutant("adam", "no_eps", steps(lambda w, g, s, **hp: _adam(w, g, s, **{**hp, "eps": 0.0})),
           caught_by=("zero_gradient_keeps_param", "finite_outputs"), why="0/0 = NaN at a zero gradient"),
]

CORRECT = [
    # the book's classes
    Mutant("sgd", "book_SGD", book(SGD), dtypes=BOTH),
    Mutant("momentum", "book_Momentum", book(Momentum), dtypes=BOTH),
    Mutant("nesterov", "book_Nesterov", book(Nesterov), dtypes=BOTH, accept={"form": ("pytorch", "cs231n", "book")},
           why="the book's Nesterov (mu^2 on the updated v) is a named variant; passes when a rubric accepts it"),
    Mutant("adagrad", "book_AdaGrad", book(AdaGrad), dtypes=BOTH),
    Mutant("rmsprop", "book_RMSprop", book(RMSprop), dtypes=BOTH),
    Mutant("adam", "book_Adam_lr_t", book(Adam), dtypes=BOTH, why="eps on sqrt(v): the accepted lr_t variant"),
    # PyTorch's forms in NumPy
    Mutant("momentum", "pytorch_form", steps(_pytorch_momentum), dtypes=BOTH),
    Mutant("nesterov", "pytorch_form", steps(_pytorch_nesterov), dtypes=BOTH),
    Mutant("adam", "pytorch_form", steps(_adam), dtypes=BOTH),
    Mutant("adagrad", "eps_inside_sqrt", steps(lambda w, g, s, lr, eps: _adagrad(w, g, s, lr, eps, inside=True)),
           dtypes=BOTH, why="sqrt(h + eps): an accepted, reported variant"),
    # CS231n's config-dict functions
    Mutant("sgd", "cs231n_sgd", cs231n(cs_sgd, cfg(learning_rate="lr")), dtypes=BOTH),
    Mutant("momentum", "cs231n_sgd_momentum", cs231n(cs_sgd_momentum, cfg(learning_rate="lr", momentum="momentum")),
           dtypes=BOTH),
    Mutant("nesterov", "cs231n_notes", cs231n(cs_nesterov, cfg(learning_rate="lr", momentum="momentum")), dtypes=BOTH),
    Mutant("rmsprop", "cs231n_rmsprop", cs231n(cs_rmsprop, cfg(learning_rate="lr", decay_rate="decay_rate",
                                                               epsilon="eps")), dtypes=BOTH),
    Mutant("adam", "cs231n_adam", cs231n(cs_adam, cfg(learning_rate="lr", beta1="beta1", beta2="beta2", epsilon="eps")),
           dtypes=BOTH),
]
