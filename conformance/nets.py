"""Multi-layer networks written only against the :mod:`conformance.ops` interface.

A network is a dict of parameters ``W0, b0, W1, b1, ...`` (weight layout ``(in, out)``) and a list of
layer specs ``(activation, residual)``:

* plain layer l:    ``h_l = act(h_{l-1} @ W_l + b_l)``
* residual layer l: ``h_l = h_{l-1} + act(h_{l-1}) @ W_l + b_l`` (a pre-activation block with one
  weight layer and an identity shortcut, seed 002's ``F(x) + x``; needs equal widths).
"""
from __future__ import annotations

import numpy as np


def init_params(rng: np.random.Generator, sizes, std, *, scale=None) -> dict:
    """Gaussian weights ``N(0, std(n_in)^2)`` (times ``scale[l]`` when given), zero biases (NumPy)."""
    p = {}
    for l, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        s = std(n_in) * (scale[l] if scale is not None else 1.0)
        p[f"W{l}"] = rng.standard_normal((n_in, n_out)) * s
        p[f"b{l}"] = np.zeros(n_out)
    return p


def to_ops(ops, params: dict) -> dict:
    return {k: ops.asarray(v) for k, v in params.items()}


def forward(ops, P: dict, x, layers):
    """Run the layers; returns (output, caches, pre-activations z_l as native arrays)."""
    h, caches, zs = x, [], []
    for l, (act, residual) in enumerate(layers):
        if residual:
            a, ca = ops.act_forward(act, h)
            z, cz = ops.affine_forward(a, P[f"W{l}"], P[f"b{l}"])
            caches.append((residual, act, ca, cz))
            zs.append(h)
            h = h + z
        else:
            z, cz = ops.affine_forward(h, P[f"W{l}"], P[f"b{l}"])
            a, ca = ops.act_forward(act, z)
            caches.append((residual, act, ca, cz))
            zs.append(z)
            h = a
    return h, caches, zs


def backward(ops, dout, caches):
    """Returns (grads dict, dh norms): ``dh[l]`` is ||dLoss/d(input of layer l)||, ``dh[L]`` the output's."""
    grads, dh = {}, [0.0] * (len(caches) + 1)
    dh[-1] = ops.norm(dout)
    d = dout
    for l in range(len(caches) - 1, -1, -1):
        residual, act, ca, cz = caches[l]
        if residual:
            da, dw, db = ops.affine_backward(d, cz)
            d = d + ops.act_backward(act, da, ca)
        else:
            dz = ops.act_backward(act, d, ca)
            d, dw, db = ops.affine_backward(dz, cz)
        grads[f"W{l}"], grads[f"b{l}"] = dw, db
        dh[l] = ops.norm(d)
    return grads, dh


def loss_and_grads(ops, P, x, layers, *, target=None, labels=None):
    """One forward and backward pass: (loss, grads, info) with info = {dW: [||dW_l||], dh: [...], zs}."""
    out, caches, zs = forward(ops, P, x, layers)
    loss, dout = ops.mse(out, target) if labels is None else ops.softmax_ce(out, labels)
    grads, dh = backward(ops, dout, caches)
    dW = [ops.norm(grads[f"W{l}"]) for l in range(len(layers))]
    return loss, grads, {"dW": dW, "dh": dh, "zs": zs, "out": out}
