"""Losses: the book's sum_squared_error and cross_entropy, the fused softmax cross-entropy and CS231n's
multiclass SVM (hinge) loss.

Shapes: predictions ``y`` / scores ``x`` are (N, C) (cross_entropy also takes the book's 1-D single
sample (C,)); labels ``t`` are one-hot (same shape as the predictions) or integer indices (N,) (a 0-d
index for a 1-D sample).  Every loss returns a 0-d array of the input's dtype; every backward takes the
upstream scalar ``dout`` (1 for the book's ``backward(dout=1)``) and returns the gradient with respect to
the predictions only (labels are constants).
"""
from __future__ import annotations

import numpy as np

BOOK_DELTA = 1e-7


def _scalar(v, dtype) -> np.ndarray:
    return np.asarray(v, dtype=dtype)


def is_index(t, y) -> bool:
    """Integer labels are indices; float labels of the predictions' shape are one-hot (or soft)."""
    return np.asarray(t).dtype.kind in "iu"


def to_one_hot(t, y) -> np.ndarray:
    """Labels as one-hot rows of y's 2-D shape (float64)."""
    y2 = np.atleast_2d(y)
    t = np.asarray(t)
    if is_index(t, y):
        out = np.zeros(y2.shape, dtype=np.float64)
        out[np.arange(y2.shape[0]), t.reshape(-1)] = 1.0
        return out
    return t.reshape(y2.shape).astype(np.float64)


def to_index(t, y) -> np.ndarray:
    """Labels as integer indices (N,) for y's 2-D shape (the book: ``t.argmax(axis=1)``)."""
    y2 = np.atleast_2d(y)
    t = np.asarray(t)
    if is_index(t, y):
        return t.reshape(-1).astype(np.int64)
    return t.reshape(y2.shape).argmax(axis=-1).astype(np.int64)


# -- sum of squared errors ---------------------------------------------------------------------------

def sum_squared_error(y, t):
    """E = 0.5 * sum (y - t)^2 over every element (the book's form: summed, not averaged, over the batch)."""
    y = np.asarray(y)
    d = y.astype(np.float64) - np.asarray(t, dtype=np.float64)
    return _scalar(0.5 * np.sum(d * d), y.dtype)


def sum_squared_error_backward(dout, y, t):
    """dy = dout * (y - t)."""
    y = np.asarray(y)
    return (np.asarray(dout, dtype=np.float64) * (y.astype(np.float64) - np.asarray(t, dtype=np.float64))).astype(y.dtype)


# -- cross-entropy on probabilities ------------------------------------------------------------------

def cross_entropy(y, t, delta: float = BOOK_DELTA):
    """E = -(1/N) sum_n sum_k t_nk log(y_nk + delta) (the book's cross_entropy_error).

    y: probabilities (N, C) or one sample (C,); t: one-hot of y's shape or indices (N,) / 0-d.
    delta: 1e-7 as in the book (log(0) = -inf otherwise); 0 as PyTorch's nll_loss(log(y)).
    """
    y = np.asarray(y)
    y2 = np.atleast_2d(y).astype(np.float64)
    n = y2.shape[0]
    if is_index(t, y):
        idx = to_index(t, y)
        loss = -np.sum(np.log(y2[np.arange(n), idx] + delta)) / n
    else:
        oh = to_one_hot(t, y)
        with np.errstate(invalid="ignore", divide="ignore"):
            terms = np.where(oh != 0, oh * np.log(y2 + delta), 0.0)
        loss = -np.sum(terms) / n
    return _scalar(loss, y.dtype)


def cross_entropy_backward(dout, y, t, delta: float = BOOK_DELTA):
    """dy = -dout * t / (y + delta) / N (zero where t is zero)."""
    y = np.asarray(y)
    y2 = np.atleast_2d(y).astype(np.float64)
    n = y2.shape[0]
    oh = to_one_hot(t, y)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.where(oh != 0, -oh / (y2 + delta), 0.0)
    return (np.asarray(dout, dtype=np.float64) * g / n).reshape(y.shape).astype(y.dtype)


# -- softmax + cross-entropy, fused ------------------------------------------------------------------

def _log_softmax(x):
    z = x - np.max(x, axis=-1, keepdims=True)
    return z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True))


def softmax_cross_entropy(x, t, delta=None):
    """E = -(1/N) sum_n log softmax(x_n)[t_n] with the max-shift (finite for logits of +-1000).

    x: logits (N, C); t: one-hot (N, C) or indices (N,).  ``delta``: the book's SoftmaxWithLoss form,
    -(1/N) sum t log(softmax(x) + delta) (delta=1e-7; it caps each row's loss at -log(delta) ~ 16.1)."""
    x = np.asarray(x)
    x64 = x.astype(np.float64)
    logp = _log_softmax(x64) if delta is None else np.log(np.exp(_log_softmax(x64)) + delta)
    oh = to_one_hot(t, x64)
    return _scalar(-np.sum(np.where(oh != 0, oh * logp, 0.0)) / x64.shape[0], x.dtype)


def softmax_cross_entropy_backward(dout, x, t):
    """dx = dout * (softmax(x) - t) / N."""
    x = np.asarray(x)
    x64 = x.astype(np.float64)
    p = np.exp(_log_softmax(x64))
    oh = to_one_hot(t, x64)
    return (np.asarray(dout, dtype=np.float64) * (p - oh) / x64.shape[0]).astype(x.dtype)


# -- multiclass SVM (hinge) loss ---------------------------------------------------------------------

def _margins(x64, idx):
    n = x64.shape[0]
    correct = x64[np.arange(n), idx][:, None]
    m = np.maximum(0.0, x64 - correct + 1.0)
    m[np.arange(n), idx] = 0.0
    return m


def svm_loss(x, t):
    """E = (1/N) sum_n sum_{j != t_n} max(0, x_nj - x_n,t_n + 1) (CS231n's svm_loss, margin 1).

    x: scores (N, C); t: indices (N,)."""
    x = np.asarray(x)
    x64 = x.astype(np.float64)
    return _scalar(np.sum(_margins(x64, to_index(t, x64))) / x64.shape[0], x.dtype)


def svm_loss_backward(dout, x, t, at_tie: str = "zero"):
    """dx_nj = dout/N * 1[margin_nj > 0] for j != t_n, dx_n,t_n = -dout/N * #{j: margin_nj > 0}.

    At a tie (x_nj - x_n,t_n + 1 == 0 exactly) the derivative is 0 ("zero": CS231n's ``margins > 0``,
    PyTorch's multi_margin_loss); "one" counts ties as active (a named variant, not accepted)."""
    x = np.asarray(x)
    x64 = x.astype(np.float64)
    n = x64.shape[0]
    idx = to_index(t, x64)
    correct = x64[np.arange(n), idx][:, None]
    raw = x64 - correct + 1.0
    active = (raw > 0) if at_tie == "zero" else (raw >= 0)
    active[np.arange(n), idx] = False
    g = active.astype(np.float64)
    g[np.arange(n), idx] = -active.sum(axis=1)
    return (np.asarray(dout, dtype=np.float64) * g / n).astype(x.dtype)
