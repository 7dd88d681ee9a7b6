"""Mutants distilled from the real-code audit (docs/real_code_audit.md): bugs seen in public student trees,
re-written here in our own words (no student code is copied)."""
import numpy as np

from spec_nn.reference import layers as ref

from . import Mutant


def _conv_hp(c):
    return c["stride"], c["pad"]


def _conv_fwd(c):
    return ref.conv2d(c["x"], c["w"], c["b"], *_conv_hp(c))


def _conv_bwd_sliced_by_negative_pad(c, d):
    """dx taken from the padded gradient as dxp[:, :, pad:-pad, pad:-pad]: right for pad >= 1, empty at pad=0
    (seen in five CS231n trees, 2017-2024)."""
    s, pad = _conv_hp(c)
    x = c["x"]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    g = ref.conv2d_backward(d, xp, c["w"], c["b"], s, 0)
    g["x"] = g["x"][:, :, pad:-pad, pad:-pad]
    return g


def _pool_hp(c):
    return c["pool_h"], c["pool_w"], c["stride"], c["pad"]


def _pool_fwd(c):
    return ref.max_pool2d(c["x"], *_pool_hp(c))


def _pool_bwd_assigned(c, d):
    """Each window's gradient assigned into dx instead of added: wrong where windows overlap (stride < size)."""
    x = c["x"]
    ph, pw, s, pad = _pool_hp(c)
    N, C, H, W = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), constant_values=-np.inf)
    dxp = np.zeros_like(xp)
    for n in range(N):
        for ch in range(C):
            for i in range(d.shape[2]):
                for j in range(d.shape[3]):
                    win = xp[n, ch, i * s:i * s + ph, j * s:j * s + pw]
                    g = np.zeros_like(win)
                    g.flat[np.argmax(win)] = d[n, ch, i, j]
                    dxp[n, ch, i * s:i * s + ph, j * s:j * s + pw] = g  # BUG: = instead of +=
    return {"x": dxp[:, :, pad:pad + H, pad:pad + W]}


def _pool_fwd_width_from_height(c):
    """The output width computed from the pool height (a copy-paste slip)."""
    ph, pw, s, pad = _pool_hp(c)
    return ref.max_pool2d(c["x"], ph, ph, s, pad)


MUTANTS = [
    Mutant("conv2d", "dx_sliced_by_negative_pad", _conv_fwd, _conv_bwd_sliced_by_negative_pad,
           caught_by=("backward_matches_reference",), why="empty dx at pad=0"),
    Mutant("max_pool2d", "window_gradient_assigned", _pool_fwd, _pool_bwd_assigned,
           caught_by=("backward_matches_reference",), why="overlapping windows overwrite each other"),
    Mutant("max_pool2d", "width_from_pool_height", _pool_fwd_width_from_height,
           caught_by=("forward_matches_reference",), why="pool_w ignored"),
]
CORRECT: list = []
