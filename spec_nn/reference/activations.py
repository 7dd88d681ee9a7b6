"""Elementwise activations and the row-wise softmax family.

Shapes: any ``x``; softmax/log_softmax act on the last axis.  Derivatives at kinks follow PyTorch:
the *left* derivative (ReLU'(0)=0, step'(x)=0, leaky_relu'(0)=slope, elu'(0)=alpha).
"""
from __future__ import annotations

import numpy as np


def identity(x):
    """y = x."""
    return np.array(x, copy=True)


def identity_backward(dout, x):
    """dx = dout."""
    return np.array(dout, dtype=np.result_type(x), copy=True)


def step(x, at_zero: float = 0.0):
    """y = 1 if x > 0 else 0 (the book's step_function: ``x > 0``); ``at_zero`` is y(0)."""
    x = np.asarray(x)
    return np.where(x > 0, 1.0, np.where(x == 0, at_zero, 0.0)).astype(x.dtype)


def step_backward(dout, x):
    """dx = 0 everywhere (the derivative is zero wherever it exists; at 0 the left derivative, 0)."""
    return np.zeros_like(np.asarray(x))


def sigmoid(x):
    """y = 1 / (1 + exp(-x)), computed without overflow for x = +-1000."""
    x = np.asarray(x)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(x.dtype)


def sigmoid_backward(dout, x):
    """dx = dout * y * (1 - y); y(1-y) <= 0.25 with equality at x = 0."""
    y = sigmoid(x)
    return (dout * y * (1.0 - y)).astype(np.result_type(x))


def tanh(x):
    """y = tanh(x) = 2 sigmoid(2x) - 1."""
    return np.tanh(x)


def tanh_backward(dout, x):
    """dx = dout * (1 - tanh(x)^2)."""
    return (dout * (1.0 - np.tanh(x) ** 2)).astype(np.result_type(x))


def relu(x):
    """y = max(0, x)."""
    return np.maximum(x, 0).astype(np.result_type(x))


def relu_backward(dout, x, grad_at_zero: float = 0.0):
    """dx = dout * 1[x > 0]; at x = 0 the derivative is ``grad_at_zero`` (0 by convention)."""
    x = np.asarray(x)
    g = np.where(x > 0, 1.0, np.where(x == 0, grad_at_zero, 0.0))
    return (dout * g).astype(x.dtype)


def leaky_relu(x, slope: float = 0.01):
    """y = x if x > 0 else slope * x."""
    x = np.asarray(x)
    return np.where(x > 0, x, slope * x).astype(x.dtype)


def leaky_relu_backward(dout, x, slope: float = 0.01, at_zero: str = "left"):
    """dx = dout * (1 if x > 0 else slope); at 0 the left derivative ``slope`` ("right": 1)."""
    x = np.asarray(x)
    g = np.where(x > 0, 1.0, slope)
    if at_zero == "right":
        g = np.where(x == 0, 1.0, g)
    return (dout * g).astype(x.dtype)


def elu(x, alpha: float = 1.0):
    """y = x if x > 0 else alpha * (exp(x) - 1)."""
    x = np.asarray(x)
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0))).astype(x.dtype)


def elu_backward(dout, x, alpha: float = 1.0, at_zero: str = "left"):
    """dx = dout * (1 if x > 0 else alpha * exp(x)); at 0 the left derivative ``alpha`` ("right": 1)."""
    x = np.asarray(x)
    g = np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0)))
    if at_zero == "right":
        g = np.where(x == 0, 1.0, g)
    return (dout * g).astype(x.dtype)


def softmax(x):
    """y_i = exp(x_i - max x) / sum_j exp(x_j - max x) over the last axis (max-shift: no overflow)."""
    x = np.asarray(x)
    z = x - np.max(x, axis=-1, keepdims=True)
    e = np.exp(z)
    return (e / np.sum(e, axis=-1, keepdims=True)).astype(x.dtype)


def softmax_backward(dout, x):
    """dx = y * (dout - sum(dout * y, last axis))."""
    y = softmax(x)
    return (y * (dout - np.sum(dout * y, axis=-1, keepdims=True))).astype(np.result_type(x))


def log_softmax(x):
    """y = x - max x - log sum exp(x - max x) over the last axis."""
    x = np.asarray(x)
    z = x - np.max(x, axis=-1, keepdims=True)
    return (z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True))).astype(x.dtype)


def log_softmax_backward(dout, x):
    """dx = dout - softmax(x) * sum(dout, last axis)."""
    return (dout - softmax(x) * np.sum(dout, axis=-1, keepdims=True)).astype(np.result_type(x))


def _channel_slope(a, x):
    """The slope ``a`` ((1,) or (C,) with C = x.shape[1]) shaped to broadcast over x's axis 1."""
    a = np.asarray(a)
    return a.reshape((1, a.size) + (1,) * (np.ndim(x) - 2)) if np.ndim(x) >= 2 else a


def prelu(x, a):
    """y = max(0, x) + a * min(0, x) (torch.nn.functional.prelu).

    x (N, C, ...) with at least 2 axes; a (1,): one slope shared by every element, or (C,): one slope per
    channel of axis 1 (PyTorch's layout: channels are axis 1 for (N, C) and (N, C, H, W) alike)."""
    x = np.asarray(x)
    return (np.maximum(x, 0) + _channel_slope(a, x) * np.minimum(x, 0)).astype(x.dtype)


def prelu_backward(dout, x, a, at_zero: str = "left"):
    """(dx, da): dx = dout * (1 if x > 0 else a), at 0 the left derivative a ("right": 1);
    da = sum of dout * min(0, x) over every axis but the channel one (over all axes when a is (1,))."""
    x = np.asarray(x)
    a = np.asarray(a)
    slope = _channel_slope(a, x)
    g = np.where(x > 0, 1.0, slope)
    if at_zero == "right":
        g = np.where(x == 0, 1.0, g)
    contrib = dout * np.minimum(x, 0)
    axes = tuple(i for i in range(x.ndim) if a.size == 1 or i != 1)
    da = np.sum(contrib, axis=axes).reshape(a.shape)
    return (dout * g).astype(x.dtype), da.astype(a.dtype)
