"""Layers: affine (fully connected), conv2d, max_pool2d and a two-layer residual block.

Layouts follow the book and CS231n: affine ``w`` is (D, M) and an N-D ``x`` is flattened to (N, D);
images are NCHW, conv weights (F, C, HH, WW); convolution is cross-correlation (no kernel flip), as in
both and in PyTorch.  Output sizes: H' = 1 + (H + 2 pad - HH) // stride (floor), W' likewise.
Max pooling pads with -inf (a pad never wins) and routes the gradient of a window to its *first*
maximum in row-major window order (np.argmax, PyTorch); the variant "all" gives it to every tied maximum.
"""
from __future__ import annotations

import numpy as np


def out_size(n: int, k: int, stride: int, pad: int) -> int:
    """1 + (n + 2 pad - k) // stride."""
    return 1 + (n + 2 * pad - k) // stride


# -- affine ------------------------------------------------------------------------------------------

def affine(x, w, b):
    """out = x.reshape(N, -1) @ w + b."""
    x = np.asarray(x)
    return (x.reshape(x.shape[0], -1) @ w + b).astype(x.dtype)


def affine_backward(dout, x, w, b):
    """dx = (dout @ w.T).reshape(x.shape), dw = x2.T @ dout, db = sum_n dout."""
    x = np.asarray(x)
    x2 = x.reshape(x.shape[0], -1)
    return {"x": (dout @ w.T).reshape(x.shape).astype(x.dtype),
            "w": (x2.T @ dout).astype(np.result_type(w)),
            "b": np.sum(dout, axis=0).astype(np.result_type(b))}


# -- conv2d ------------------------------------------------------------------------------------------

def conv2d(x, w, b, stride: int = 1, pad: int = 0):
    """out[n, f, i, j] = b[f] + sum_{c, p, q} xpad[n, c, i*stride + p, j*stride + q] * w[f, c, p, q]."""
    x = np.asarray(x)
    n, c, h, wd = x.shape
    f, _, hh, ww = w.shape
    ho, wo = out_size(h, hh, stride, pad), out_size(wd, ww, stride, pad)
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    w64 = np.asarray(w, dtype=np.float64)
    out = np.zeros((n, f, ho, wo))
    for p in range(hh):
        for q in range(ww):
            patch = xp[:, :, p:p + stride * (ho - 1) + 1:stride, q:q + stride * (wo - 1) + 1:stride]
            out += np.einsum("nchw,fc->nfhw", patch, w64[:, :, p, q])
    out += np.asarray(b, dtype=np.float64)[None, :, None, None]
    return out.astype(x.dtype)


def conv2d_backward(dout, x, w, b, stride: int = 1, pad: int = 0):
    """dx (cropped back from the padded input), dw, db = sum over n, i, j of dout."""
    x = np.asarray(x)
    n, c, h, wd = x.shape
    f, _, hh, ww = w.shape
    ho, wo = out_size(h, hh, stride, pad), out_size(wd, ww, stride, pad)
    d = np.asarray(dout, dtype=np.float64)
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    w64 = np.asarray(w, dtype=np.float64)
    dxp = np.zeros_like(xp)
    dw = np.zeros(w.shape)
    for p in range(hh):
        for q in range(ww):
            sl = (slice(None), slice(None), slice(p, p + stride * (ho - 1) + 1, stride),
                  slice(q, q + stride * (wo - 1) + 1, stride))
            dw[:, :, p, q] = np.einsum("nchw,nfhw->fc", xp[sl], d)
            dxp[sl] += np.einsum("nfhw,fc->nchw", d, w64[:, :, p, q])
    dx = dxp[:, :, pad:pad + h, pad:pad + wd]
    return {"x": dx.astype(x.dtype), "w": dw.astype(np.result_type(w)),
            "b": d.sum(axis=(0, 2, 3)).astype(np.result_type(b))}


# -- max_pool2d --------------------------------------------------------------------------------------

def _windows(x, ph, pw, stride, pad):
    x = np.asarray(x)
    n, c, h, wd = x.shape
    ho, wo = out_size(h, ph, stride, pad), out_size(wd, pw, stride, pad)
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (pad, pad), (pad, pad)), constant_values=-np.inf)
    return xp, ho, wo


def max_pool2d(x, pool_h: int, pool_w: int, stride: int, pad: int = 0):
    """out[n, c, i, j] = max of the (pool_h, pool_w) window at (i*stride - pad, j*stride - pad), pads -inf."""
    x = np.asarray(x)
    xp, ho, wo = _windows(x, pool_h, pool_w, stride, pad)
    out = np.empty(x.shape[:2] + (ho, wo))
    for i in range(ho):
        for j in range(wo):
            out[:, :, i, j] = xp[:, :, i * stride:i * stride + pool_h, j * stride:j * stride + pool_w].max(axis=(2, 3))
    return out.astype(x.dtype)


def max_pool2d_backward(dout, x, pool_h: int, pool_w: int, stride: int, pad: int = 0, ties: str = "first"):
    """Each window's dout goes to its first maximum in row-major order ("first"), to its last ("last": a
    running ``x >= max``), or in full to every tied maximum ("all"); windows overlap when stride < pool, and
    their contributions add."""
    x = np.asarray(x)
    n, c, h, wd = x.shape
    xp, ho, wo = _windows(x, pool_h, pool_w, stride, pad)
    d = np.asarray(dout, dtype=np.float64)
    dxp = np.zeros_like(xp)
    for i in range(ho):
        for j in range(wo):
            win = xp[:, :, i * stride:i * stride + pool_h, j * stride:j * stride + pool_w].reshape(n, c, -1)
            if ties in ("first", "last"):
                k = win.shape[2]
                at = np.argmax(win, axis=2) if ties == "first" else k - 1 - np.argmax(win[..., ::-1], axis=2)
                mask = np.zeros_like(win)
                np.put_along_axis(mask, at[..., None], 1.0, axis=2)
            else:
                mask = (win == win.max(axis=2, keepdims=True)).astype(np.float64)
            dxp[:, :, i * stride:i * stride + pool_h, j * stride:j * stride + pool_w] += \
                (mask * d[:, :, i, j][..., None]).reshape(n, c, pool_h, pool_w)
    return dxp[:, :, pad:pad + h, pad:pad + wd].astype(x.dtype)


# -- residual block ----------------------------------------------------------------------------------

def residual_block(x, w1, b1, w2, b2):
    """y = relu(x + F(x)), F(x) = relu(x @ w1 + b1) @ w2 + b2 (affine-relu-affine, then the skip, then relu)."""
    x = np.asarray(x)
    x64 = x.astype(np.float64)
    h = np.maximum(x64 @ w1 + b1, 0)
    return np.maximum(x64 + h @ w2 + b2, 0).astype(x.dtype)


def residual_block_backward(dout, x, w1, b1, w2, b2):
    """Backward through relu (ReLU'(0) = 0), the skip (dx gets the upstream gradient directly) and F."""
    x = np.asarray(x)
    x64 = x.astype(np.float64)
    w1, b1, w2, b2 = (np.asarray(a, dtype=np.float64) for a in (w1, b1, w2, b2))
    z1 = x64 @ w1 + b1
    h = np.maximum(z1, 0)
    z2 = x64 + h @ w2 + b2
    dz2 = np.asarray(dout, dtype=np.float64) * (z2 > 0)
    dh = dz2 @ w2.T
    dz1 = dh * (z1 > 0)
    dt = x.dtype
    return {"x": (dz2 + dz1 @ w1.T).astype(dt), "w1": (x64.T @ dz1).astype(dt), "b1": dz1.sum(0).astype(dt),
            "w2": (h.T @ dz2).astype(dt), "b2": dz2.sum(0).astype(dt)}
