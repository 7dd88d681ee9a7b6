"""The tiny "ops" interface every scenario network is written against, and its three backends.

A scenario never imports NumPy-reference or torch code directly: it asks an :class:`Ops` for

* ``asarray(np_array)`` / ``numpy(native)`` / ``norm(native) -> float``: moving data in and out;
* ``affine_forward(x, w, b) -> (out, cache)`` and ``affine_backward(dout, cache) -> (dx, dw, db)``
  (weight layout ``(in, out)``, ``out = x @ w + b``, as in the book and CS231n);
* ``act_forward(name, x) -> (out, cache)`` and ``act_backward(name, dout, cache) -> dx`` for
  ``identity, step, sigmoid, tanh, relu, leaky_relu, elu`` (step: the book's ``x > 0``, derivative 0);
* ``mse(y, t) -> (loss, dy)`` (``0.5 * sum((y - t)^2) / N``) and ``softmax_ce(s, labels) -> (loss, ds)``;
* ``optimizer(name, params, **hp)``: an object whose ``step(grads)`` updates ``params`` (a dict of
  native arrays) in place of its entries, for ``sgd, momentum, adagrad, rmsprop, adam``.

Backends: ``ReferenceOps`` (the NumPy reference functions of spec_nn.reference), ``TorchOps`` (torch
ops, gradients by autograd one op at a time, torch.optim for the optimizers; CPU or CUDA) and
``ImplOps`` (spec_nn Impl objects per component: a student's layers through the grader's sandbox and
adapters, see :func:`submission_ops`).  Everything runs in float64.
"""
from __future__ import annotations

import math
import os

import numpy as np

from spec_nn.record import Case
from spec_nn.reference import activations as ref_act
from spec_nn.reference import layers as ref_layers
from spec_nn.reference import losses as ref_losses

ACTIVATIONS = ("identity", "step", "sigmoid", "tanh", "relu", "leaky_relu", "elu")
OPTIMIZERS = ("sgd", "momentum", "adagrad", "rmsprop", "adam")
# Hyper-parameters shared by every backend (the book's defaults; eps = 1e-7 as in the book).
OPT_DEFAULTS = {"sgd": {}, "momentum": {"momentum": 0.9}, "adagrad": {"eps": 1e-7},
                "rmsprop": {"decay_rate": 0.99, "eps": 1e-7}, "adam": {"beta1": 0.9, "beta2": 0.999, "eps": 1e-7}}
LEAKY_SLOPE, ELU_ALPHA = 0.01, 1.0


class Ops:
    """Base class: ``backend`` names the implementation in reports."""
    backend = "ops"
    device = "cpu"

    def asarray(self, a):
        raise NotImplementedError

    def numpy(self, a) -> np.ndarray:
        raise NotImplementedError

    def norm(self, a) -> float:
        return float(np.linalg.norm(self.numpy(a)))

    def describe(self) -> dict:
        return {"backend": self.backend, "device": self.device, "dtype": "float64"}


# -- NumPy reference ------------------------------------------------------------------------------

def _ref_optim():
    """The shared reference optimizers when spec_nn.reference.optim has landed, else None."""
    try:
        from spec_nn.reference import optim
    except ImportError:
        return None
    return optim


class _BookOptimizer:
    """The book's update rules (ch. 6), used when spec_nn.reference.optim is not available.

    sgd: w -= lr g; momentum: v = m v - lr g, w += v; adagrad: h += g^2, w -= lr g / (sqrt(h) + eps);
    rmsprop: h = d h + (1 - d) g^2, w -= lr g / (sqrt(h) + eps);
    adam (bias-corrected moments, eps outside the root): m = b1 m + (1-b1) g, v = b2 v + (1-b2) g^2,
    w -= lr * mhat / (sqrt(vhat) + eps).
    """

    def __init__(self, name, params, lr, **hp):
        self.name, self.params, self.lr, self.hp, self.t = name, params, lr, {**OPT_DEFAULTS[name], **hp}, 0
        self.state = {k: {} for k in params}

    def step(self, grads):
        self.t += 1
        hp, lr = self.hp, self.lr
        for k, g in grads.items():
            w, s = self.params[k], self.state[k]
            if self.name == "sgd":
                w = w - lr * g
            elif self.name == "momentum":
                s["v"] = hp["momentum"] * s.get("v", 0.0) - lr * g
                w = w + s["v"]
            elif self.name == "adagrad":
                s["h"] = s.get("h", 0.0) + g * g
                w = w - lr * g / (np.sqrt(s["h"]) + hp["eps"])
            elif self.name == "rmsprop":
                s["h"] = hp["decay_rate"] * s.get("h", 0.0) + (1 - hp["decay_rate"]) * g * g
                w = w - lr * g / (np.sqrt(s["h"]) + hp["eps"])
            elif self.name == "adam":
                s["m"] = hp["beta1"] * s.get("m", 0.0) + (1 - hp["beta1"]) * g
                s["v"] = hp["beta2"] * s.get("v", 0.0) + (1 - hp["beta2"]) * g * g
                mhat = s["m"] / (1 - hp["beta1"] ** self.t)
                vhat = s["v"] / (1 - hp["beta2"] ** self.t)
                w = w - lr * mhat / (np.sqrt(vhat) + hp["eps"])
            else:
                raise ValueError(f"optimizer={self.name!r} is not one of {OPTIMIZERS}")
            self.params[k] = w


class ReferenceOps(Ops):
    """The NumPy reference functions: spec_nn.reference.layers.affine*, .activations.*,
    .losses.sum_squared_error* / softmax_cross_entropy*.  Optimizers step online with the book's rules
    (:class:`_BookOptimizer`); spec_nn.reference.optim (whole trajectories) judges them in optimizer_paths."""
    backend = "reference"

    def asarray(self, a):
        return np.array(a, dtype=np.float64)

    def numpy(self, a):
        return np.asarray(a)

    def affine_forward(self, x, w, b):
        return ref_layers.affine(x, w, b), (x, w, b)

    def affine_backward(self, dout, cache):
        g = ref_layers.affine_backward(dout, *cache)
        return g["x"], g["w"], g["b"]

    def act_forward(self, name, x):
        f = {"identity": ref_act.identity, "step": ref_act.step, "sigmoid": ref_act.sigmoid, "tanh": ref_act.tanh,
             "relu": ref_act.relu, "leaky_relu": lambda z: ref_act.leaky_relu(z, LEAKY_SLOPE),
             "elu": lambda z: ref_act.elu(z, ELU_ALPHA)}[name]
        return f(x), x

    def act_backward(self, name, dout, x):
        f = {"identity": ref_act.identity_backward, "step": ref_act.step_backward,
             "sigmoid": ref_act.sigmoid_backward,
             "tanh": ref_act.tanh_backward, "relu": ref_act.relu_backward,
             "leaky_relu": lambda d, z: ref_act.leaky_relu_backward(d, z, LEAKY_SLOPE),
             "elu": lambda d, z: ref_act.elu_backward(d, z, ELU_ALPHA)}[name]
        return f(dout, x)

    def mse(self, y, t):
        n = y.shape[0]  # the book's sum_squared_error, divided by the batch size
        return (float(ref_losses.sum_squared_error(y, t)) / n,
                ref_losses.sum_squared_error_backward(np.asarray(1.0 / n), y, t))

    def softmax_ce(self, s, labels):
        return (float(ref_losses.softmax_cross_entropy(s, labels)),
                ref_losses.softmax_cross_entropy_backward(np.asarray(1.0), s, labels))

    def optimizer(self, name, params, lr, **hp):
        return _BookOptimizer(name, params, lr, **hp)


# -- PyTorch --------------------------------------------------------------------------------------

class TorchOps(Ops):
    """torch ops with gradients by autograd, one op at a time (each op's inputs are fresh leaves);
    optimizers are torch.optim.  ``device``: "cpu" or "cuda"."""

    def __init__(self, device: str = "cpu"):
        import torch
        self.torch = torch
        if device == "cuda" and not torch.cuda.is_available():
            raise RuntimeError("torch.cuda.is_available() is False: no CUDA device for the torch backend")
        torch.backends.cuda.matmul.allow_tf32 = False
        if device == "cpu" and torch.get_num_threads() > 1:
            # The scenario nets are small: intra-op threads only add overhead (and contention on 2 cores).
            torch.set_num_threads(1)
        self.device = device
        self.backend = f"torch-{device}"

    def asarray(self, a):
        return self.torch.tensor(np.asarray(a, dtype=np.float64), device=self.device)

    def numpy(self, a):
        return a.detach().cpu().numpy() if isinstance(a, self.torch.Tensor) else np.asarray(a)

    def norm(self, a):
        return float(self.torch.linalg.vector_norm(a))

    def _leaf(self, a):
        return a.detach().requires_grad_(True)

    def affine_forward(self, x, w, b):
        x, w, b = self._leaf(x), self._leaf(w), self._leaf(b)
        out = self.torch.addmm(b, x, w)
        return out.detach(), (out, x, w, b)

    def affine_backward(self, dout, cache):
        out, x, w, b = cache
        return tuple(g.detach() for g in self.torch.autograd.grad(out, (x, w, b), dout))

    def _act(self, name, z):
        F = self.torch.nn.functional
        # step(x) = (sign x + |sign x|) / 2 = 1[x > 0], whose autograd gradient is 0 (heaviside has no backward)
        sign = self.torch.sign
        return {"identity": lambda v: v * 1, "step": lambda v: (sign(v) + sign(v).abs()) / 2,
                "sigmoid": self.torch.sigmoid, "tanh": self.torch.tanh,
                "relu": self.torch.relu, "leaky_relu": lambda v: F.leaky_relu(v, LEAKY_SLOPE),
                "elu": lambda v: F.elu(v, ELU_ALPHA)}[name](z)

    def act_forward(self, name, x):
        x = self._leaf(x)
        out = self._act(name, x)
        return out.detach(), (out, x)

    def act_backward(self, name, dout, cache):
        out, x = cache
        return self.torch.autograd.grad(out, x, dout)[0].detach()

    def mse(self, y, t):
        y = self._leaf(y)
        loss = 0.5 * ((y - t) ** 2).sum() / y.shape[0]
        return float(loss.detach()), self.torch.autograd.grad(loss, y)[0].detach()

    def softmax_ce(self, s, labels):
        s = self._leaf(s)
        lab = self.torch.as_tensor(np.asarray(labels), device=self.device)
        loss = self.torch.nn.functional.cross_entropy(s, lab)
        return float(loss.detach()), self.torch.autograd.grad(loss, s)[0].detach()

    def optimizer(self, name, params, lr, **hp):
        return _TorchOptimizer(self.torch, name, params, lr, **hp)


class _TorchOptimizer:
    """torch.optim with the book's hyper-parameters: Momentum v = m v - lr g equals torch's SGD
    (momentum=m, dampening=0) for a constant lr; eps = 1e-7 everywhere (torch: eps outside the root)."""

    def __init__(self, torch, name, params, lr, **hp):
        hp = {**OPT_DEFAULTS[name], **hp}
        self.params = params
        self.leaves = {k: v.detach().clone().requires_grad_(True) for k, v in params.items()}
        ps = list(self.leaves.values())
        o = torch.optim
        self.opt = {
            "sgd": lambda: o.SGD(ps, lr=lr),
            "momentum": lambda: o.SGD(ps, lr=lr, momentum=hp["momentum"]),
            "adagrad": lambda: o.Adagrad(ps, lr=lr, eps=hp["eps"]),
            "rmsprop": lambda: o.RMSprop(ps, lr=lr, alpha=hp["decay_rate"], eps=hp["eps"]),
            "adam": lambda: o.Adam(ps, lr=lr, betas=(hp["beta1"], hp["beta2"]), eps=hp["eps"]),
        }[name]()

    def step(self, grads):
        for k, g in grads.items():
            self.leaves[k].grad = g.detach().clone()
        self.opt.step()
        for k in grads:
            self.params[k] = self.leaves[k].detach().clone()


# -- any spec_nn Impl (a sandboxed submission through the grader's adapters) ---------------------------

class ImplOps(ReferenceOps):
    """Ops over spec_nn Impl objects, one per component: ``impl_for(name) -> Impl`` (the grader's
    ``spec_nn.sandbox.SubmissionImpl`` for a student's book or cs231n code, or ``ReferenceImpl``).

    Uses the components ``affine`` (Case x, w, b), the activations (Case x) and the optimizers (Case
    param, consts grads of shape (K, *param.shape), hp lr/momentum/decay_rate/beta1/beta2/eps; the
    Impl returns the trajectory).  An optimizer is replayed from the start at every step (O(K^2)), so
    it is the submission's only for small parameters (<= 64 numbers, e.g. optimizer_paths); training
    uses the reference update rule there.  Whatever the submission lacks falls back to the reference
    and is listed in ``describe()["fallbacks_to_reference"]``.
    """

    def __init__(self, impl_for, label: str = "submission"):
        self.impl_for, self.backend = impl_for, label
        self.fallbacks: set = set()
        self._impls: dict = {}

    def _impl(self, name):
        if name not in self._impls:
            try:
                self._impls[name] = self.impl_for(name)
            except Exception:  # noqa: BLE001 - missing component: the reference stands in, and we say so
                self._impls[name] = None
        if self._impls[name] is None:
            self.fallbacks.add(name)
        return self._impls[name]

    def begin(self):
        """A new scenario starts: fallbacks are reported per scenario."""
        self.fallbacks = set()

    def affine_forward(self, x, w, b):
        impl = self._impl("affine")
        if impl is None:
            return super().affine_forward(x, w, b)
        case = Case({"x": np.array(x), "w": np.array(w), "b": np.array(b)})
        return np.asarray(impl.forward(case.copy())["out"], dtype=np.float64), ("impl", case)

    def affine_backward(self, dout, cache):
        if not (isinstance(cache, tuple) and isinstance(cache[0], str)):
            return super().affine_backward(dout, cache)
        g = self._impl("affine").backward(cache[1].copy(), np.array(dout))
        return np.asarray(g["x"]), np.asarray(g["w"]), np.asarray(g["b"]).reshape(-1)

    def act_forward(self, name, x):
        impl = None if name == "identity" else self._impl(name)
        if impl is None:
            return super().act_forward(name, x)
        case = Case({"x": np.array(x)})
        return np.asarray(impl.forward(case.copy())["out"], dtype=np.float64), ("impl", case)

    def act_backward(self, name, dout, cache):
        if not (isinstance(cache, tuple) and isinstance(cache[0], str)):
            return super().act_backward(name, dout, cache)
        impl = self._impl(name)
        if not getattr(impl, "has_backward", True):  # e.g. the book's step_function: a forward only
            self.fallbacks.add(f"{name} backward (the submission has only a forward)")
            return super().act_backward(name, dout, np.asarray(cache[1]["x"]))
        return np.asarray(impl.backward(cache[1].copy(), np.array(dout))["x"])

    def optimizer(self, name, params, lr, **hp):
        small = sum(np.size(v) for v in params.values()) <= 64
        impl = self._impl(name) if small else None
        if impl is None:
            if not small:
                self.fallbacks.add(f"{name} (training: parameters too large to replay)")
            return super().optimizer(name, params, lr, **hp)
        return _ReplayOptimizer(impl, params, {"lr": lr, **OPT_DEFAULTS[name], **hp})

    def describe(self):
        return {**super().describe(), "fallbacks_to_reference": sorted(self.fallbacks)}


class _ReplayOptimizer:
    """Steps an optimizer Impl that returns whole trajectories: the parameter after step k is the last
    row of its trajectory for the first k gradients."""

    def __init__(self, impl, params, hp):
        self.impl, self.params, self.hp = impl, params, hp
        self.start = {k: np.array(v) for k, v in params.items()}
        self.grads: dict = {k: [] for k in params}

    def step(self, grads):
        for k, g in grads.items():
            self.grads[k].append(np.array(g, dtype=np.float64))
            case = Case({"param": self.start[k].copy()}, {"grads": np.stack(self.grads[k])}, dict(self.hp))
            self.params[k] = np.asarray(self.impl.forward(case)["out"])[-1]


def submission_ops(path: str, style: str | None = None, label: str | None = None):
    """ImplOps over a sandboxed submission (the grader's spec_nn.grading.locate, spec_nn.sandbox.Session
    and SubmissionImpl); style None: detected.  Returns (ops, session): close the session when done."""
    from spec_nn.grading import locate
    from spec_nn.registry import COMPONENTS
    from spec_nn.sandbox import Session, SubmissionImpl
    path, style, manifest = locate(path, style)
    label = label or f"submission:{style}"
    session = Session(style, path, manifest)
    info = session.load()
    has = {n: v.get("forward", False) for n, v in (info or {}).get("components", {}).items()}

    def impl_for(name):
        comp = COMPONENTS.get(name)
        if comp is None or not has.get(name, False):  # not in the submission: the reference stands in
            return None
        return SubmissionImpl(comp, session, style, has_backward=bool(info["components"][name].get("backward")),
                              root=path)
    ops = ImplOps(impl_for, label)
    ops.components = dict((info or {}).get("components", {}))  # what the submission has (the model scenarios ask)
    return ops, session


SubmissionOps = ImplOps


def torch_backend_name() -> tuple[str, str]:
    """("torch-cuda", "") when a GPU is present, else ("torch-cpu", reason)."""
    import torch
    if torch.cuda.is_available():
        return "torch-cuda", ""
    return "torch-cpu", "CUDA not available (torch.cuda.is_available() is False): the torch backend runs on CPU"


def make_ops(backend: str, submission=None) -> Ops:
    """"reference" | "torch" (CUDA when present) | "torch-cpu" | "torch-cuda" | "submission"."""
    if backend == "reference":
        return ReferenceOps()
    if backend == "torch":
        backend = torch_backend_name()[0]
    if backend in ("torch-cpu", "torch-cuda"):
        return TorchOps(backend.split("-")[1])
    if backend == "submission" or submission is not None:
        if submission is None:
            raise ValueError("backend='submission' needs impl_for (submission=...) or an Ops")
        return submission if isinstance(submission, Ops) else ImplOps(submission)
    raise ValueError(f"backend={backend!r} is not one of reference, torch, torch-cpu, torch-cuda, submission")


def he_std(n_in: int) -> float:
    """sqrt(2 / n_in): spec_nn.reference.init.he_variance (fan_in mode)."""
    from spec_nn.reference import init
    return math.sqrt(init.he_variance(n_in, n_in))


def xavier_std(n_in: int) -> float:
    """sqrt(1 / n_in): spec_nn.reference.init.xavier_variance (the book's Xavier)."""
    from spec_nn.reference import init
    return math.sqrt(init.xavier_variance(n_in, n_in))
