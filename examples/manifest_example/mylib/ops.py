"""A tiny library with its own API, graded through a manifest (written for spec_nn's examples)."""
import numpy as np


def relu(x):
    return np.maximum(x, 0)


def relu_grad(dout, x):
    return dout * (x > 0)


def tanh(x):
    return np.tanh(x)


def tanh_grad(dout, x):
    return dout * (1 - np.tanh(x) ** 2)


def dense(x, w, b):
    return x.reshape(len(x), -1) @ w + b


def dense_grad(dout, x, w, b):
    x2 = x.reshape(len(x), -1)
    return {"x": (dout @ w.T).reshape(x.shape), "w": x2.T @ dout, "b": dout.sum(axis=0)}


def residual(x, w1, b1, w2, b2):
    return np.maximum(x + np.maximum(x @ w1 + b1, 0) @ w2 + b2, 0)


def residual_grad(dout, x, w1, b1, w2, b2):
    h_pre = x @ w1 + b1
    h = np.maximum(h_pre, 0)
    y_pre = x + h @ w2 + b2
    dy = dout * (y_pre > 0)
    dh = (dy @ w2.T) * (h_pre > 0)
    return {"x": dy + dh @ w1.T, "w1": x.T @ dh, "b1": dh.sum(axis=0), "w2": h.T @ dy, "b2": dy.sum(axis=0)}
