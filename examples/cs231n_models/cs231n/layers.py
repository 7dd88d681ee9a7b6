"""Layers in the CS231n assignment API (written for spec_nn's examples)."""
import numpy as np


def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1) @ w + b
    return out, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    dx = (dout @ w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T @ dout
    db = dout.sum(axis=0)
    return dx, dw, db


def relu_forward(x):
    return np.maximum(x, 0), x


def relu_backward(dout, cache):
    return dout * (cache > 0)


def _norm_fwd(x, gamma, beta, eps, axis):
    mu = x.mean(axis=axis, keepdims=True)
    var = x.var(axis=axis, keepdims=True)
    xhat = (x - mu) / np.sqrt(var + eps)
    return gamma * xhat + beta, (xhat, np.sqrt(var + eps), gamma)


def _norm_bwd_xhat(dxhat, xhat, std, axis):
    m = int(np.prod([xhat.shape[a] for a in np.atleast_1d(axis)]))  # a Python int keeps float32 float32
    return (dxhat - dxhat.sum(axis=axis, keepdims=True) / m
            - xhat * (dxhat * xhat).sum(axis=axis, keepdims=True) / m) / std


def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps, momentum = bn_param.get("eps", 1e-5), bn_param.get("momentum", 0.9)
    d = x.shape[1]
    rm = bn_param.get("running_mean", np.zeros(d, dtype=x.dtype))
    rv = bn_param.get("running_var", np.zeros(d, dtype=x.dtype))
    if mode == "train":
        out, (xhat, std, _) = _norm_fwd(x, gamma, beta, eps, 0)
        rm = momentum * rm + (1 - momentum) * x.mean(axis=0)
        rv = momentum * rv + (1 - momentum) * x.var(axis=0)
        cache = ("train", xhat, std, gamma)
    else:
        std = np.sqrt(rv + eps)
        xhat = (x - rm) / std
        out = gamma * xhat + beta
        cache = ("test", xhat, std, gamma)
    bn_param["running_mean"], bn_param["running_var"] = rm, rv
    return out, cache


def batchnorm_backward(dout, cache):
    mode, xhat, std, gamma = cache
    dgamma = (dout * xhat).sum(axis=0)
    dbeta = dout.sum(axis=0)
    if mode == "train":
        dx = _norm_bwd_xhat(dout * gamma, xhat, std, 0)
    else:
        dx = dout * gamma / std
    return dx, dgamma, dbeta


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    n, c, h, w = x.shape
    out, cache = batchnorm_forward(x.transpose(0, 2, 3, 1).reshape(-1, c), gamma, beta, bn_param)
    return out.reshape(n, h, w, c).transpose(0, 3, 1, 2), (cache, x.shape)


def spatial_batchnorm_backward(dout, cache):
    cache, (n, c, h, w) = cache
    dx, dgamma, dbeta = batchnorm_backward(dout.transpose(0, 2, 3, 1).reshape(-1, c), cache)
    return dx.reshape(n, h, w, c).transpose(0, 3, 1, 2), dgamma, dbeta


def layernorm_forward(x, gamma, beta, ln_param):
    out, (xhat, std, _) = _norm_fwd(x, gamma, beta, ln_param.get("eps", 1e-5), 1)
    return out, (xhat, std, gamma)


def layernorm_backward(dout, cache):
    xhat, std, gamma = cache
    return _norm_bwd_xhat(dout * gamma, xhat, std, 1), (dout * xhat).sum(axis=0), dout.sum(axis=0)


def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
    n, c, h, w = x.shape
    xg = x.reshape(n, G, c // G, h, w)
    mu = xg.mean(axis=(2, 3, 4), keepdims=True)
    std = np.sqrt(xg.var(axis=(2, 3, 4), keepdims=True) + gn_param.get("eps", 1e-5))
    xhat = ((xg - mu) / std).reshape(x.shape)
    return gamma * xhat + beta, (xhat, std, gamma, G)


def spatial_groupnorm_backward(dout, cache):
    xhat, std, gamma, G = cache
    n, c, h, w = dout.shape
    dgamma = (dout * xhat).sum(axis=(0, 2, 3), keepdims=True)
    dbeta = dout.sum(axis=(0, 2, 3), keepdims=True)
    dxhat = (dout * gamma).reshape(n, G, c // G, h, w)
    dx = _norm_bwd_xhat(dxhat, xhat.reshape(dxhat.shape), std, (2, 3, 4))
    return dx.reshape(dout.shape), dgamma, dbeta


def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]  # p: keep probability
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    mask = None
    if mode == "train":
        mask = (np.random.rand(*x.shape) < p) / p
        out = (x * mask).astype(x.dtype)
    else:
        out = x.copy()
    return out, (dropout_param, mask)


def dropout_backward(dout, cache):
    dropout_param, mask = cache
    if dropout_param["mode"] == "train":
        return (dout * mask).astype(dout.dtype)
    return dout.copy()


def conv_forward_naive(x, w, b, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    n, c, h, wd = x.shape
    f, _, hh, ww = w.shape
    oh, ow = 1 + (h + 2 * pad - hh) // stride, 1 + (wd + 2 * pad - ww) // stride
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((n, f, oh, ow), dtype=x.dtype)
    for i in range(oh):
        for j in range(ow):
            win = xp[:, :, i * stride:i * stride + hh, j * stride:j * stride + ww]
            out[:, :, i, j] = np.tensordot(win, w, axes=([1, 2, 3], [1, 2, 3])) + b
    return out, (x, w, b, conv_param)


def conv_backward_naive(dout, cache):
    x, w, b, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    f, _, hh, ww = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            win = xp[:, :, i * stride:i * stride + hh, j * stride:j * stride + ww]
            d = dout[:, :, i, j]
            dw += np.tensordot(d, win, axes=([0], [0]))
            dxp[:, :, i * stride:i * stride + hh, j * stride:j * stride + ww] += np.tensordot(d, w, axes=([1], [0]))
    dx = dxp[:, :, pad:pad + x.shape[2], pad:pad + x.shape[3]]
    return dx, dw, dout.sum(axis=(0, 2, 3))


def max_pool_forward_naive(x, pool_param):
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    n, c, h, w = x.shape
    oh, ow = 1 + (h - ph) // s, 1 + (w - pw) // s
    out = np.zeros((n, c, oh, ow), dtype=x.dtype)
    for i in range(oh):
        for j in range(ow):
            out[:, :, i, j] = x[:, :, i * s:i * s + ph, j * s:j * s + pw].max(axis=(2, 3))
    return out, (x, pool_param)


def max_pool_backward_naive(dout, cache):
    x, pool_param = cache
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    dx = np.zeros_like(x)
    n, c = x.shape[:2]
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            win = x[:, :, i * s:i * s + ph, j * s:j * s + pw].reshape(n, c, -1)
            k = win.argmax(axis=2)  # the first maximum gets the gradient
            for a in range(n):
                for b in range(c):
                    dx[a, b, i * s + k[a, b] // pw, j * s + k[a, b] % pw] += dout[a, b, i, j]
    return dx


def svm_loss(x, y):
    n = x.shape[0]
    correct = x[np.arange(n), y][:, None]
    margins = np.maximum(0, x - correct + 1.0)
    margins[np.arange(n), y] = 0
    loss = margins.sum() / n
    pos = (margins > 0).astype(x.dtype)
    pos[np.arange(n), y] = -pos.sum(axis=1)
    return loss, pos / n


def softmax_loss(x, y):
    z = x - x.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    n = x.shape[0]
    loss = -logp[np.arange(n), y].sum() / n
    dx = np.exp(logp)
    dx[np.arange(n), y] -= 1
    return loss, dx / n
