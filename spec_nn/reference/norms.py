"""Dropout and the normalisation layers: batch norm (dense and spatial), layer norm, group norm.

Shapes
  dropout             x any shape; hp p (the *drop* ratio, 0 <= p < 1), mode "train" | "eval", seed.
  batch_norm          x (N, D); gamma, beta, running_mean, running_var (D,).
  spatial_batch_norm  x (N, C, H, W); gamma, beta, running_mean, running_var (C,); statistics over N, H, W.
  layer_norm          x (N, D); gamma, beta (D,); statistics over D, per row.
  group_norm          x (N, C, H, W); gamma, beta (C,); G groups of C/G consecutive channels; statistics
                      over (C/G, H, W) per sample and group.

Normalisation: x_hat = (x - mean) / sqrt(var + eps), out = gamma * x_hat + beta, with the *biased*
variance (1/M) of the M elements normalised together.  Every function computes in float64 and returns
the input's dtype; none mutates its arguments (running statistics are returned, never updated in place).

Conventions (the specification's default first; see spec_nn.specs.norms for which are accepted):
  eps_placement     "inside_sqrt": (x - mu) / sqrt(var + eps) (CS231n, the book, PyTorch);
                    "outside_sqrt": (x - mu) / (sqrt(var) + eps).
  running_momentum  "old_weight": running = momentum * running + (1 - momentum) * batch (CS231n and the
                    book, momentum = 0.9); "new_weight": running = (1 - momentum) * running + momentum * batch
                    (PyTorch's nn.BatchNorm, momentum = 0.1).  The two agree under momentum_torch =
                    1 - momentum; an implementation handed the number unchanged is the "new_weight" variant.
  running_var       "biased": the running variance tracks the batch variance used for normalisation;
                    "unbiased": it tracks M/(M-1) times it (PyTorch).
  form (dropout)    "inverted": train out = x * mask / (1 - p), eval out = x (CS231n, PyTorch);
                    "direct": train out = x * mask, eval out = x * (1 - p) (the book).
The dropout mask keeps element i iff u_i >= p, u = np.random.default_rng(seed).random(x.shape), so the
reference is a deterministic function of (x, p, mode, seed).
"""
from __future__ import annotations

import numpy as np

# -- dropout --------------------------------------------------------------------------------------


def dropout_mask(shape, p: float, seed: int) -> np.ndarray:
    """Boolean keep-mask: True with probability 1 - p, a deterministic function of (shape, p, seed)."""
    return np.random.default_rng(seed).random(shape) >= p


def dropout_scale(p: float, mode: str, form: str = "inverted") -> float:
    """Factor applied to kept units: train 1/(1-p) (inverted) or 1 (direct); eval 1 (inverted) or 1-p."""
    if mode == "train":
        return 1.0 / (1.0 - p) if form == "inverted" else 1.0
    return 1.0 if form == "inverted" else 1.0 - p


def dropout(x, p: float, mode: str = "train", seed: int = 0, form: str = "inverted"):
    """train: out = x * mask * scale; eval: out = x * scale (no mask).  p is the drop ratio."""
    x = np.asarray(x)
    m = dropout_mask(x.shape, p, seed) if mode == "train" else np.ones(x.shape, dtype=bool)
    return (x.astype(np.float64) * m * dropout_scale(p, mode, form)).astype(x.dtype)


def dropout_backward(dout, x, p: float, mode: str = "train", seed: int = 0, form: str = "inverted"):
    """dx = dout * mask * scale, with the forward's mask (same seed)."""
    x = np.asarray(x)
    m = dropout_mask(x.shape, p, seed) if mode == "train" else np.ones(x.shape, dtype=bool)
    return (np.asarray(dout, dtype=np.float64) * m * dropout_scale(p, mode, form)).astype(x.dtype)


# -- the normalisation core -----------------------------------------------------------------------


def denominator(var, eps: float, placement: str = "inside_sqrt"):
    """sqrt(var + eps) (inside_sqrt) or sqrt(var) + eps (outside_sqrt)."""
    return np.sqrt(var + eps) if placement == "inside_sqrt" else np.sqrt(var) + eps


def _d_denominator(var, eps: float, placement: str):
    """d denominator / d var (outside_sqrt at var = 0: 0, the limit of its product with sum(dxhat * xc) = 0)."""
    if placement == "inside_sqrt":
        return 0.5 / np.sqrt(var + eps)
    safe = np.where(var > 0, var, 1.0)
    return np.where(var > 0, 0.5 / np.sqrt(safe), 0.0)


def standardise(x, axes, eps: float, placement: str = "inside_sqrt"):
    """x_hat = (x - mean) / denominator(var) over ``axes`` (biased variance); returns x_hat, xc, var, d."""
    mu = x.mean(axis=axes, keepdims=True)
    xc = x - mu
    var = (xc * xc).mean(axis=axes, keepdims=True)
    d = denominator(var, eps, placement)
    return xc / d, xc, var, d


def standardise_backward(dxhat, xc, var, d, axes, eps: float, placement: str = "inside_sqrt"):
    """dx for x_hat = xc / d(var) through the mean and the variance of ``axes``:
    dx = dxhat/d - mean(dxhat/d) + 2 xc / M * sum(dxhat * xc) * (-d'(var) / d^2)."""
    m = int(np.prod([xc.shape[a] for a in axes]))
    dvar = np.sum(dxhat * xc, axis=axes, keepdims=True) * (-1.0 / d ** 2) * _d_denominator(var, eps, placement)
    g = dxhat / d
    return g - g.mean(axis=axes, keepdims=True) + dvar * 2.0 * xc / m


# -- batch norm (dense and spatial: the feature axis is 1) ----------------------------------------


def _feature(a, ndim):
    """A (F,) parameter broadcast along axis 1 of an ndim array."""
    shape = [1] * ndim
    shape[1] = -1
    return np.asarray(a, dtype=np.float64).reshape(shape)


def batch_norm(x, gamma, beta, running_mean, running_var, *, mode: str = "train", eps: float = 1e-5,
               momentum: float = 0.9, eps_placement: str = "inside_sqrt", running_momentum: str = "old_weight",
               running_var_kind: str = "biased") -> dict:
    """Batch normalisation over every axis but 1 (x (N, D) or (N, C, H, W)).

    train: batch mean/variance (biased) normalise x; running stats move towards them (momentum per the
    running_momentum convention, the variance per running_var_kind; M >= 2 elements per feature).
    eval: the running statistics normalise x and are returned unchanged.
    Returns {"out", "running_mean", "running_var"}.
    """
    x = np.asarray(x)
    dt = x.dtype
    x64 = x.astype(np.float64)
    axes = tuple(a for a in range(x.ndim) if a != 1)
    rm = np.asarray(running_mean, dtype=np.float64)
    rv = np.asarray(running_var, dtype=np.float64)
    g, b = _feature(gamma, x.ndim), _feature(beta, x.ndim)
    if mode == "train":
        x_hat, xc, var, _ = standardise(x64, axes, eps, eps_placement)
        m = x.size // x.shape[1]
        mean = x64.mean(axis=axes)
        batch_var = var.reshape(-1) * (m / (m - 1) if running_var_kind == "unbiased" else 1.0)
        w_old = momentum if running_momentum == "old_weight" else 1.0 - momentum
        rm = w_old * rm + (1.0 - w_old) * mean
        rv = w_old * rv + (1.0 - w_old) * batch_var
    else:
        x_hat = (x64 - _feature(rm, x.ndim)) / denominator(_feature(rv, x.ndim), eps, eps_placement)
    return {"out": (g * x_hat + b).astype(dt), "running_mean": rm.astype(dt), "running_var": rv.astype(dt)}


def batch_norm_backward(dout, x, gamma, beta, running_mean, running_var, *, mode: str = "train",
                        eps: float = 1e-5, momentum: float = 0.9, eps_placement: str = "inside_sqrt", **_) -> dict:
    """Gradients {"x", "gamma", "beta"}: train through the batch statistics, eval through the running ones.
    dgamma = sum(dout * x_hat), dbeta = sum(dout) over every axis but 1."""
    x = np.asarray(x)
    dt = x.dtype
    x64, dout = x.astype(np.float64), np.asarray(dout, dtype=np.float64)
    axes = tuple(a for a in range(x.ndim) if a != 1)
    dxhat = dout * _feature(gamma, x.ndim)
    if mode == "train":
        x_hat, xc, var, d = standardise(x64, axes, eps, eps_placement)
        dx = standardise_backward(dxhat, xc, var, d, axes, eps, eps_placement)
    else:
        d = denominator(_feature(running_var, x.ndim), eps, eps_placement)
        x_hat = (x64 - _feature(running_mean, x.ndim)) / d
        dx = dxhat / d
    return {"x": dx.astype(dt), "gamma": np.sum(dout * x_hat, axis=axes).astype(dt),
            "beta": np.sum(dout, axis=axes).astype(dt)}


# -- layer norm -----------------------------------------------------------------------------------


def layer_norm(x, gamma, beta, *, eps: float = 1e-5, eps_placement: str = "inside_sqrt"):
    """x (N, D): each row normalised over its D features; out = gamma * x_hat + beta (gamma, beta (D,))."""
    x = np.asarray(x)
    x_hat = standardise(x.astype(np.float64), (1,), eps, eps_placement)[0]
    return (np.asarray(gamma, np.float64) * x_hat + np.asarray(beta, np.float64)).astype(x.dtype)


def layer_norm_backward(dout, x, gamma, beta, *, eps: float = 1e-5, eps_placement: str = "inside_sqrt") -> dict:
    """dx through the row statistics; dgamma = sum_rows(dout * x_hat), dbeta = sum_rows(dout)."""
    x = np.asarray(x)
    dout = np.asarray(dout, dtype=np.float64)
    x_hat, xc, var, d = standardise(x.astype(np.float64), (1,), eps, eps_placement)
    dx = standardise_backward(dout * np.asarray(gamma, np.float64), xc, var, d, (1,), eps, eps_placement)
    return {"x": dx.astype(x.dtype), "gamma": np.sum(dout * x_hat, axis=0).astype(x.dtype),
            "beta": np.sum(dout, axis=0).astype(x.dtype)}


# -- group norm -----------------------------------------------------------------------------------


def _groups(x, G: int):
    n, c = x.shape[:2]
    return x.reshape(n, G, c // G, *x.shape[2:])


def group_norm(x, gamma, beta, G: int, *, eps: float = 1e-5, eps_placement: str = "inside_sqrt"):
    """x (N, C, H, W), G | C: each (sample, group of C/G consecutive channels) normalised over
    (C/G, H, W); out = gamma * x_hat + beta with per-channel gamma, beta (C,)."""
    x = np.asarray(x)
    x_hat = standardise(_groups(x.astype(np.float64), G), (2, 3, 4), eps, eps_placement)[0].reshape(x.shape)
    return (_feature(gamma, 4) * x_hat + _feature(beta, 4)).astype(x.dtype)


def group_norm_backward(dout, x, gamma, beta, G: int, *, eps: float = 1e-5,
                        eps_placement: str = "inside_sqrt") -> dict:
    """dx through the group statistics; dgamma, dbeta summed over (N, H, W)."""
    x = np.asarray(x)
    dout = np.asarray(dout, dtype=np.float64)
    x_hat, xc, var, d = standardise(_groups(x.astype(np.float64), G), (2, 3, 4), eps, eps_placement)
    dxhat = _groups(dout * _feature(gamma, 4), G)
    dx = standardise_backward(dxhat, xc, var, d, (2, 3, 4), eps, eps_placement).reshape(x.shape)
    x_hat = x_hat.reshape(x.shape)
    return {"x": dx.astype(x.dtype), "gamma": np.sum(dout * x_hat, axis=(0, 2, 3)).astype(x.dtype),
            "beta": np.sum(dout, axis=(0, 2, 3)).astype(x.dtype)}
