"""Weight initialisers.  Shape ``(fan_in, fan_out)``: the book's layout, ``y = x @ W``.  A sample is
drawn from ``np.random.default_rng(seed)`` in float64 and cast to ``dtype`` (the initialiser's dtype is a
hyper-parameter, there being no input array to take it from).

Target variances (the book's ``weight_init_std = sqrt(k / n)`` with n = fan_in):

* He (Kaiming): Var W = 2 / fan_in (for ReLU).  ``mode="fan_out"``: 2 / fan_out (``torch.nn.init``'s
  mode="fan_out", and what ``kaiming_normal_`` computes when handed a tensor in the book's (in, out)
  layout, since PyTorch weights are (out, in) and it reads fan_in from ``size(1)``).
* Xavier: Var W = 1 / fan_in (the book's ``sqrt(1 / n)``); Glorot & Bengio's 2 / (fan_in + fan_out)
  (``torch.nn.init.xavier_normal_``) is the named variant "glorot".
"""
from __future__ import annotations

import numpy as np


def he_variance(fan_in: int, fan_out: int, mode: str = "fan_in") -> float:
    """2 / fan_in (mode "fan_in") or 2 / fan_out (mode "fan_out")."""
    return 2.0 / (fan_in if mode == "fan_in" else fan_out)


def xavier_variance(fan_in: int, fan_out: int, variance: str = "book") -> float:
    """1 / fan_in ("book") or 2 / (fan_in + fan_out) ("glorot")."""
    return 1.0 / fan_in if variance == "book" else 2.0 / (fan_in + fan_out)


def _normal(fan_in, fan_out, seed, dtype, var):
    return (np.random.default_rng(seed).standard_normal((fan_in, fan_out)) * np.sqrt(var)).astype(dtype)


def he_init(fan_in: int, fan_out: int, seed: int, dtype="float64", mode: str = "fan_in") -> np.ndarray:
    """W ~ N(0, 2 / fan_in), shape (fan_in, fan_out)."""
    return _normal(fan_in, fan_out, seed, dtype, he_variance(fan_in, fan_out, mode))


def xavier_init(fan_in: int, fan_out: int, seed: int, dtype="float64", variance: str = "book") -> np.ndarray:
    """W ~ N(0, 1 / fan_in) (the book's Xavier), shape (fan_in, fan_out)."""
    return _normal(fan_in, fan_out, seed, dtype, xavier_variance(fan_in, fan_out, variance))
