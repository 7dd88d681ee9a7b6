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


# A standard normal truncated to [-2, 2] has variance 0.7737 (std 0.8796): Keras' truncated-normal initialisers
# divide the std by 0.87962566103423978 so that the variance is the target; drawing from N(0, std) and
# rejecting beyond 2 std without that correction (numpy-ml's he_normal / glorot_normal) gives 0.77x the target.
TRUNCATED_STD = 0.87962566103423978
DISTRIBUTION_VARIANCE = {"normal": 1.0, "truncated": 1.0, "truncated_uncorrected": TRUNCATED_STD ** 2}


def _normal(fan_in, fan_out, seed, dtype, var, distribution="normal"):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((fan_in, fan_out))
    if distribution != "normal":
        while np.any(np.abs(z) > 2):
            bad = np.abs(z) > 2
            z[bad] = rng.standard_normal(int(bad.sum()))
        z = z / TRUNCATED_STD if distribution == "truncated" else z
    return (z * np.sqrt(var)).astype(dtype)


def he_init(fan_in: int, fan_out: int, seed: int, dtype="float64", mode: str = "fan_in",
            distribution: str = "normal") -> np.ndarray:
    """W ~ N(0, 2 / fan_in), shape (fan_in, fan_out); distribution "truncated" (Keras: variance kept) or
    "truncated_uncorrected" (variance 0.77x) draw from the normal truncated at 2 std."""
    return _normal(fan_in, fan_out, seed, dtype, he_variance(fan_in, fan_out, mode), distribution)


def xavier_init(fan_in: int, fan_out: int, seed: int, dtype="float64", variance: str = "book",
                distribution: str = "normal") -> np.ndarray:
    """W ~ N(0, 1 / fan_in) (the book's Xavier), shape (fan_in, fan_out); distribution as for he_init."""
    return _normal(fan_in, fan_out, seed, dtype, xavier_variance(fan_in, fan_out, variance), distribution)
