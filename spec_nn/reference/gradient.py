"""Numerical gradient by central differences, and the registry of smooth test functions it is judged on.

``numerical_gradient(f, x, h)``: grad[i] = (f(x + h e_i) - f(x - h e_i)) / (2h) for every element i of
an N-D array (the book's ``numerical_gradient`` with h = 1e-4).  Error: h^2 / 6 |d^3 f / dx_i^3| from
truncation plus about eps |f| / h from rounding.

A grader passes the function *by name*: the sandbox worker calls ``function(name)`` from this module and
hands the callable to the submission as ``numerical_gradient(f, x)``.  Each registry entry carries f in
NumPy and in PyTorch, its analytic gradient, a bound ``m3`` on |d^3 f / dx_i^3| and ``mag(x)``, a bound
on the magnitudes summed inside f (for the rounding term).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable

import numpy as np


def numerical_gradient(f: Callable, x: np.ndarray, h: float = 1e-4) -> np.ndarray:
    """Central difference over every element of x (any shape), evaluated on a private copy of x; an integer x
    is differentiated at its float64 values (x + h must not truncate) and gives a float64 gradient."""
    x = np.asarray(x)
    xc = np.array(x, dtype=np.float64 if x.dtype.kind in "biu" else x.dtype, copy=True)
    grad = np.zeros_like(xc)
    flat, gflat = xc.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        tmp = flat[i]
        flat[i] = tmp + h
        fp = f(xc)
        flat[i] = tmp - h
        fm = f(xc)
        flat[i] = tmp
        gflat[i] = (fp - fm) / (2 * h)
    return grad


@functools.lru_cache(maxsize=None)
def spd_matrix(n: int) -> np.ndarray:
    """A fixed symmetric positive definite n x n matrix: M M^T / n + I with M from seed 0."""
    m = np.random.default_rng(0).standard_normal((n, n))
    return m @ m.T / n + np.eye(n)


def _rows(x):
    return x.reshape(-1, x.shape[-1]) if x.ndim else x.reshape(1, 1)


def _targets(z):
    return np.arange(z.shape[0]) % z.shape[1]


def _sce(x):
    """sum over rows of -log softmax(row)[t], rows = x.reshape(-1, last axis), t = row index mod classes."""
    z = _rows(x)
    mx = z.max(axis=1, keepdims=True)
    lse = np.log(np.exp(z - mx).sum(axis=1)) + mx[:, 0]
    return (lse - z[np.arange(z.shape[0]), _targets(z)]).sum()


def _sce_grad(x):
    z = _rows(x.astype(np.float64))
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(z.shape[0]), _targets(z)] -= 1
    return p.reshape(x.shape)


def _sce_torch(x):
    import torch
    z = x.reshape(-1, x.shape[-1])
    t = torch.arange(z.shape[0]) % z.shape[1]
    return (torch.logsumexp(z, dim=1) - z[torch.arange(z.shape[0]), t]).sum()


def _quad(x):
    v = x.reshape(-1)
    return 0.5 * v @ (spd_matrix(v.size).astype(x.dtype if x.dtype.kind == "f" else np.float64) @ v)


def _quad_torch(x):
    import torch
    v = x.reshape(-1)
    return 0.5 * v @ (torch.as_tensor(spd_matrix(v.numel()), dtype=x.dtype, device=x.device) @ v)


@dataclass(frozen=True)
class SmoothFunction:
    f: Callable          # NumPy, returns a scalar of x's dtype
    torch: Callable      # the same in PyTorch ops
    grad: Callable       # analytic gradient (float64)
    m3: float            # bound on |d^3 f / dx_i^3|: truncation error <= m3 h^2 / 6
    mag: Callable        # bound on the magnitudes summed inside f: rounding error ~ eps mag / h
    doc: str = ""


FUNCTIONS = {
    "sum_squares": SmoothFunction(lambda x: np.sum(x ** 2), lambda x: (x ** 2).sum(), lambda x: 2 * x, 0.0,
                                lambda x: float(np.sum(x ** 2)), "sum x^2 (the book's function_2)"),
    "sum_sin": SmoothFunction(lambda x: np.sum(np.sin(x)), lambda x: x.sin().sum(), lambda x: np.cos(x), 1.0,
                            lambda x: float(x.size), "sum sin x"),
    "sum_cubes": SmoothFunction(lambda x: np.sum(x ** 3) / 3, lambda x: (x ** 3).sum() / 3, lambda x: x ** 2, 2.0,
                              lambda x: float(np.sum(np.abs(x) ** 3)),
                              "sum x^3 / 3: central difference error exactly h^2 / 3"),
    "quadratic_form": SmoothFunction(_quad, _quad_torch, lambda x: (spd_matrix(x.size) @ x.reshape(-1)).reshape(x.shape),
                                   0.0, lambda x: float(np.abs(x).reshape(-1) @ np.abs(spd_matrix(x.size))
                                                        @ np.abs(x).reshape(-1)),
                                   "x^T A x / 2 with a fixed SPD A (x flattened)"),
    "softmax_cross_entropy": SmoothFunction(_sce, _sce_torch, _sce_grad, 0.1,
                                          lambda x: float(np.sum(np.abs(x)) + 2 * _rows(x).shape[0] * (1 + np.log(_rows(x).shape[1]))),
                                          "sum of -log softmax(row)[row index mod classes] over the rows of x"),
}


def function(name: str) -> Callable:
    """The NumPy callable registered as ``name`` (what the grader's worker hands to a submission)."""
    return FUNCTIONS[name].f
