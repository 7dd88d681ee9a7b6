"""Broken and correct-but-different layers, as students and libraries write them."""
import numpy as np

from spec_nn.reference import layers as ref

from . import Mutant


# -- affine ------------------------------------------------------------------------------------------

def _aff_fwd(c):
    return ref.affine(c["x"], c["w"], c["b"])


def _aff_bwd(c, d):
    return ref.affine_backward(d, c["x"], c["w"], c["b"])


class BookAffine:
    """Deep Learning from Scratch, common/layers.py Affine (kept stateful, as in the book)."""

    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.original_x_shape = x.shape
        x = x.reshape(x.shape[0], -1)
        self.x = x
        return np.dot(self.x, self.W) + self.b

    def backward(self, dout):
        dx = np.dot(dout, self.W.T)
        self.dW = np.dot(self.x.T, dout)
        self.db = np.sum(dout, axis=0)
        return dx.reshape(*self.original_x_shape)


def _book_affine_bwd(c, d):
    layer = BookAffine(c["w"], c["b"])
    layer.forward(c["x"])
    dx = layer.backward(d)
    return {"x": dx, "w": layer.dW, "b": layer.db}


def _nhwc_flatten(x):
    return x.transpose(0, *range(2, x.ndim), 1).reshape(x.shape[0], -1) if x.ndim > 2 else x


# -- conv2d ------------------------------------------------------------------------------------------

def im2col(input_data, filter_h, filter_w, stride=1, pad=0):
    """Deep Learning from Scratch, common/util.py."""
    N, C, H, W = input_data.shape
    out_h = (H + 2 * pad - filter_h) // stride + 1
    out_w = (W + 2 * pad - filter_w) // stride + 1
    img = np.pad(input_data, [(0, 0), (0, 0), (pad, pad), (pad, pad)], "constant")
    col = np.zeros((N, C, filter_h, filter_w, out_h, out_w), dtype=input_data.dtype)
    for y in range(filter_h):
        y_max = y + stride * out_h
        for x in range(filter_w):
            x_max = x + stride * out_w
            col[:, :, y, x, :, :] = img[:, :, y:y_max:stride, x:x_max:stride]
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(N * out_h * out_w, -1)


def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    """Deep Learning from Scratch, common/util.py."""
    N, C, H, W = input_shape
    out_h = (H + 2 * pad - filter_h) // stride + 1
    out_w = (W + 2 * pad - filter_w) // stride + 1
    col = col.reshape(N, out_h, out_w, C, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((N, C, H + 2 * pad + stride - 1, W + 2 * pad + stride - 1), dtype=col.dtype)
    for y in range(filter_h):
        y_max = y + stride * out_h
        for x in range(filter_w):
            x_max = x + stride * out_w
            img[:, :, y:y_max:stride, x:x_max:stride] += col[:, :, y, x, :, :]
    return img[:, :, pad:H + pad, pad:W + pad]


def book_conv_forward(c):
    x, W, b, stride, pad = c["x"], c["w"], c["b"], c["stride"], c["pad"]
    FN, C, FH, FW = W.shape
    N, C, H, Wd = x.shape
    out_h = 1 + (H + 2 * pad - FH) // stride
    out_w = 1 + (Wd + 2 * pad - FW) // stride
    col = im2col(x, FH, FW, stride, pad)
    col_W = W.reshape(FN, -1).T
    out = np.dot(col, col_W) + b
    return out.reshape(N, out_h, out_w, -1).transpose(0, 3, 1, 2)


def book_conv_backward(c, dout):
    x, W, b, stride, pad = c["x"], c["w"], c["b"], c["stride"], c["pad"]
    FN, C, FH, FW = W.shape
    dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)
    col = im2col(x, FH, FW, stride, pad)
    col_W = W.reshape(FN, -1).T
    db = np.sum(dout, axis=0)
    dW = np.dot(col.T, dout).transpose(1, 0).reshape(FN, C, FH, FW)
    dcol = np.dot(dout, col_W.T)
    dx = col2im(dcol, x.shape, FH, FW, stride, pad)
    return {"x": dx, "w": dW, "b": db}


def naive_conv_forward(c, flip=False, size_pad=True):
    """CS231n conv_forward_naive style loops (flip: true convolution; size_pad=False: H' ignores pad)."""
    x, w, b, stride, pad = c["x"], c["w"], c["b"], c["stride"], c["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    if flip:
        w = w[:, :, ::-1, ::-1]
    p = pad if size_pad else 0
    Ho, Wo = 1 + (H + 2 * p - HH) // stride, 1 + (W + 2 * p - WW) // stride
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((N, F, max(Ho, 0), max(Wo, 0)), dtype=x.dtype)
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    out[n, f, i, j] = np.sum(xp[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW] * w[f]) + b[f]
    return out


def naive_conv_backward(c, dout, crop_offset=True):
    """CS231n conv_backward_naive style loops (crop_offset=False crops dx at [:H] instead of [pad:pad + H])."""
    x, w, b, stride, pad = c["x"], c["w"], c["b"], c["stride"], c["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, Ho, Wo = dout.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp, dw, db = np.zeros_like(xp), np.zeros_like(w), np.zeros_like(b)
    for n in range(N):
        for f in range(F):
            db[f] += dout[n, f].sum()
            for i in range(Ho):
                for j in range(Wo):
                    win = (n, slice(None), slice(i * stride, i * stride + HH), slice(j * stride, j * stride + WW))
                    dw[f] += xp[win] * dout[n, f, i, j]
                    dxp[win] += w[f] * dout[n, f, i, j]
    dx = dxp[:, :, pad:pad + H, pad:pad + W] if crop_offset else dxp[:, :, :H, :W]
    return {"x": dx, "w": dw, "b": db}


def _conv_ref_bwd(c, d):
    return ref.conv2d_backward(d, c["x"], c["w"], c["b"], c["stride"], c["pad"])


def _conv_rotating_bwd(c, d):
    w = c["w"]
    orig = w.copy()
    w[:] = w[:, :, ::-1, ::-1]  # the 180-degree rotation, written back into the caller's array
    return ref.conv2d_backward(d, c["x"], orig, c["b"], c["stride"], c["pad"])


# -- max_pool2d --------------------------------------------------------------------------------------

def _pool_hp(c):
    return c["pool_h"], c["pool_w"], c["stride"], c["pad"]


def _pool_fwd(c):
    return ref.max_pool2d(c["x"], *_pool_hp(c))


def book_pool_forward(c):
    """Deep Learning from Scratch, common/layers.py Pooling (padding with -inf: the book pads zeros
    through im2col, which only agrees with the specification when pad = 0; adapted here)."""
    x = c["x"]
    ph, pw, stride, pad = _pool_hp(c)
    N, C, H, W = x.shape
    out_h = int(1 + (H + 2 * pad - ph) / stride)
    out_w = int(1 + (W + 2 * pad - pw) / stride)
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), constant_values=-np.inf)
    col = im2col(xp, ph, pw, stride, 0).reshape(-1, ph * pw)
    arg_max = np.argmax(col, axis=1)
    out = np.max(col, axis=1).reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)
    return out, arg_max


def book_pool_backward(c, dout):
    x = c["x"]
    ph, pw, stride, pad = _pool_hp(c)
    _, arg_max = book_pool_forward(c)
    dout = dout.transpose(0, 2, 3, 1)
    pool_size = ph * pw
    dmax = np.zeros((dout.size, pool_size), dtype=dout.dtype)
    dmax[np.arange(arg_max.size), arg_max.flatten()] = dout.flatten()
    dmax = dmax.reshape(dout.shape + (pool_size,))
    dcol = dmax.reshape(dmax.shape[0] * dmax.shape[1] * dmax.shape[2], -1)
    N, C, H, W = x.shape
    dxp = col2im(dcol, (N, C, H + 2 * pad, W + 2 * pad), ph, pw, stride, 0)
    return {"x": dxp[:, :, pad:pad + H, pad:pad + W]}


def _pool_bwd_routed(c, d, how):
    """Loops over windows; how: "first" | "last" | "spread" (dout / window size everywhere) | "all"."""
    x = c["x"]
    ph, pw, s, pad = _pool_hp(c)
    N, C, H, W = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), constant_values=-np.inf)
    dxp = np.zeros_like(xp)
    Ho, Wo = d.shape[2], d.shape[3]
    for n in range(N):
        for ch in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    win = xp[n, ch, i * s:i * s + ph, j * s:j * s + pw]
                    g = np.zeros_like(win)
                    if how == "first":
                        g.flat[np.argmax(win)] = 1
                    elif how == "last":
                        g.flat[win.size - 1 - np.argmax(win.reshape(-1)[::-1])] = 1
                    elif how == "all":
                        g[win == win.max()] = 1
                    else:
                        g[:] = 1.0 / win.size
                    dxp[n, ch, i * s:i * s + ph, j * s:j * s + pw] += g * d[n, ch, i, j]
    return {"x": dxp[:, :, pad:pad + H, pad:pad + W]}


def _pool_zero_pad(c):
    x = c["x"]
    ph, pw, s, pad = _pool_hp(c)
    xz = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))  # zeros: a pad beats negative values
    return ref.max_pool2d(xz, ph, pw, s, 0)


def _pool_ignores_pad(c):
    ph, pw, s, _pad = _pool_hp(c)
    return ref.max_pool2d(c["x"], ph, pw, s, 0)


def _pool_ignores_pad_bwd(c, d):
    ph, pw, s, _pad = _pool_hp(c)
    return {"x": ref.max_pool2d_backward(d, c["x"], ph, pw, s, 0, "first")}


def _pool_ceil(c):
    x = c["x"]
    ph, pw, s, pad = _pool_hp(c)
    H, W = x.shape[2:]
    Ho = -(-(H + 2 * pad - ph) // s) + 1
    Wo = -(-(W + 2 * pad - pw) // s) + 1
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad + s), (pad, pad + s)), constant_values=-np.inf)
    out = np.empty(x.shape[:2] + (Ho, Wo), dtype=x.dtype)
    for i in range(Ho):
        for j in range(Wo):
            out[:, :, i, j] = xp[:, :, i * s:i * s + ph, j * s:j * s + pw].max(axis=(2, 3))
    return out


def _pool_ceil_bwd(c, d):
    return {"x": np.zeros_like(c["x"])}


# -- residual_block ----------------------------------------------------------------------------------

def _res_args(c):
    return c["x"], c["w1"], c["b1"], c["w2"], c["b2"]


def _res_fwd(c):
    return ref.residual_block(*_res_args(c))


def _res_bwd(c, d, skip=True):
    x, w1, b1, w2, b2 = _res_args(c)
    z1 = x @ w1 + b1
    h = np.maximum(z1, 0)
    z2 = x + h @ w2 + b2
    dz2 = d * (z2 > 0)
    dz1 = (dz2 @ w2.T) * (z1 > 0)
    dx = dz1 @ w1.T + (dz2 if skip else 0)
    return {"x": dx, "w1": x.T @ dz1, "b1": dz1.sum(0), "w2": h.T @ dz2, "b2": dz2.sum(0)}


def _relu(z):
    return np.maximum(z, 0)


def composed_forward(c):
    """Built from the affine and relu references, as a network assembles layers."""
    from spec_nn.reference import activations as act
    x, w1, b1, w2, b2 = _res_args(c)
    return act.relu(x + ref.affine(act.relu(ref.affine(x, w1, b1)), w2, b2))


def composed_backward(c, d):
    from spec_nn.reference import activations as act
    x, w1, b1, w2, b2 = _res_args(c)
    z1 = ref.affine(x, w1, b1)
    h = act.relu(z1)
    z2 = x + ref.affine(h, w2, b2)
    dz2 = act.relu_backward(d, z2)
    g2 = ref.affine_backward(dz2, h, w2, b2)
    g1 = ref.affine_backward(act.relu_backward(g2["x"], z1), x, w1, b1)
    return {"x": dz2 + g1["x"], "w1": g1["w"], "b1": g1["b"], "w2": g2["w"], "b2": g2["b"]}


def _aff_reshape_in_place(c):
    x = c["x"]
    x.shape = (x.shape[0], -1)  # reshapes the caller's array, not a view
    return x @ c["w"] + c["b"]


def _aff_prealloc(c):
    x2 = c["x"].reshape(c["x"].shape[0], -1)
    out = np.zeros((x2.shape[0], c["w"].shape[1]))  # float64 whatever x is
    out[:] = x2 @ c["w"] + c["b"]
    return out


def _aff_cosine(c):
    x2 = c["x"].reshape(c["x"].shape[0], -1)
    with np.errstate(all="ignore"):
        xn = x2 / np.linalg.norm(x2, axis=1, keepdims=True)  # feature normalisation without an eps
    return (xn @ c["w"] + c["b"]).astype(x2.dtype)


def _conv_prealloc(c):
    out = naive_conv_forward(c)
    res = np.zeros(out.shape)  # CS231n's out = np.zeros((N, F, H', W')): float64
    res[:] = out
    return res


def _conv_pad_all_axes(c):
    """np.pad(x, pad): pads every axis, the batch and channel axes too; loops then index xp[n, :C]."""
    x, w, b, s, pad = c["x"], c["w"], c["b"], c["stride"], c["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    Ho, Wo = 1 + (H + 2 * pad - HH) // s, 1 + (W + 2 * pad - WW) // s
    xp = np.pad(x, pad)
    out = np.zeros((N, F, Ho, Wo), dtype=x.dtype)
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    out[n, f, i, j] = np.sum(xp[n, :C, i * s:i * s + HH, j * s:j * s + WW] * w[f]) + b[f]
    return out


def _conv_normalised(c):
    """Normalised cross-correlation (template matching): each window divided by its norm, no eps."""
    x, w, b, s, pad = c["x"], c["w"], c["b"], c["stride"], c["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    Ho, Wo = 1 + (H + 2 * pad - HH) // s, 1 + (W + 2 * pad - WW) // s
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((N, F, Ho, Wo), dtype=x.dtype)
    with np.errstate(all="ignore"):
        for i in range(Ho):
            for j in range(Wo):
                win = xp[:, :, i * s:i * s + HH, j * s:j * s + WW]
                win = win / np.sqrt(np.sum(win * win, axis=(1, 2, 3), keepdims=True))
                out[:, :, i, j] = np.einsum("nchw,fchw->nf", win, w) + b
    return out


def _pool_mask_in_place(c, d):
    x = c["x"]
    g = _pool_bwd_routed(c, d, "first")
    x[g["x"] == 0] = 0  # builds the "mask" by zeroing the caller's non-max entries
    return g


def _pool_prealloc(c):
    out = _pool_fwd(c)
    res = np.zeros(out.shape)  # float64
    res[:] = out
    return res


def _pool_batch_axis(c):
    x = c["x"]
    ph, pw, s, pad = _pool_hp(c)
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), constant_values=-np.inf)
    out = ref.max_pool2d(x, ph, pw, s, pad)
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            out[:, :, i, j] = xp[:, :, i * s:i * s + ph, j * s:j * s + pw].max(axis=(0, 2, 3))  # axis 0 too
    return out


def _pool_logsumexp(c):
    """A "differentiable max": log sum exp over the window, without subtracting the window max."""
    x = c["x"]
    ph, pw, s, pad = _pool_hp(c)
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), constant_values=-np.inf)
    out = ref.max_pool2d(x, ph, pw, s, pad)
    with np.errstate(all="ignore"):
        for i in range(out.shape[2]):
            for j in range(out.shape[3]):
                out[:, :, i, j] = np.log(np.sum(np.exp(xp[:, :, i * s:i * s + ph, j * s:j * s + pw]), axis=(2, 3)))
    return out


def _res_in_place(c):
    x, w1, b1, w2, b2 = _res_args(c)
    out = x  # aliases the input ...
    out += _relu(x @ w1 + b1) @ w2 + b2  # ... and adds the branch into it
    return _relu(out)


def _res_astype_float(c):
    x, w1, b1, w2, b2 = (a.astype(float) for a in _res_args(c))  # float means float64
    return _relu(x + _relu(x @ w1 + b1) @ w2 + b2)


def _bn(h, eps):
    return (h - h.mean(axis=0)) / np.sqrt(h.var(axis=0) + eps)


def _res_bn(c, eps=1e-5):
    """ResNet's block has batch norm inside F (training mode: batch statistics)."""
    x, w1, b1, w2, b2 = _res_args(c)
    with np.errstate(all="ignore"):
        return _relu(x + _relu(_bn(x @ w1 + b1, eps)) @ w2 + b2).astype(x.dtype)


MUTANTS = [
    # affine
    Mutant("affine", "db_wrong_axis", _aff_fwd,
           lambda c, d: {**_aff_bwd(c, d), "b": np.sum(d, axis=1)},
           caught_by=("backward_matches_reference", "backward_matches_finite_differences"),
           why="db = dout.sum(axis=1): one value per sample instead of per output"),
    Mutant("affine", "nhwc_flatten", lambda c: _nhwc_flatten(c["x"]) @ c["w"] + c["b"],
           lambda c, d: {"x": (d @ c["w"].T).reshape(c["x"].shape), "w": _nhwc_flatten(c["x"]).T @ d,
                         "b": d.sum(0)},
           caught_by=("flattens_nd_input", "forward_matches_reference"),
           why="flattens channels-last (TensorFlow layout) instead of x.reshape(N, -1)"),
    Mutant("affine", "dx_not_reshaped", _aff_fwd,
           lambda c, d: {**_aff_bwd(c, d), "x": d @ c["w"].T},
           caught_by=("flattens_nd_input", "backward_matches_reference"),
           why="forgot dx.reshape(*original_x_shape): dx comes back (N, D)"),
    Mutant("affine", "dw_transposed", _aff_fwd,
           lambda c, d: {**_aff_bwd(c, d), "w": d.T @ c["x"].reshape(c["x"].shape[0], -1)},
           caught_by=("backward_matches_reference",), why="dw = dout.T @ x: (M, D) instead of (D, M)"),
    Mutant("affine", "batch_leak", lambda c: _aff_fwd(c) + 0.1 * c["x"].reshape(c["x"].shape[0], -1)[:1].sum(),
           _aff_bwd, caught_by=("batch_rows_independent", "forward_matches_reference"),
           why="a statistic of the first sample leaks into every row"),
    Mutant("affine", "reshapes_x_in_place", _aff_reshape_in_place, _aff_bwd,
           caught_by=("does_not_mutate_inputs",), why="x.shape = (N, -1) reshapes the caller's array"),
    Mutant("affine", "preallocated_float64", _aff_prealloc, _aff_bwd, caught_by=("preserves_dtype",),
           dtypes=("float32",), why="out = np.zeros((N, M)) is float64"),
    Mutant("affine", "normalises_x_without_eps", _aff_cosine, _aff_bwd, caught_by=("finite_outputs",),
           why="x / ||x|| per sample: 0 / 0 for an all-zero sample"),
    # conv2d
    Mutant("conv2d", "true_convolution", lambda c: naive_conv_forward(c, flip=True), _conv_ref_bwd,
           caught_by=("forward_matches_reference",), why="flips the kernel (signal-processing convolution)"),
    Mutant("conv2d", "output_size_ignores_pad", lambda c: naive_conv_forward(c, size_pad=False), _conv_ref_bwd,
           caught_by=("output_size_formula",), why="H' = 1 + (H - HH) // stride: the padding is applied but not counted"),
    Mutant("conv2d", "backward_crop_ignores_pad", lambda c: ref.conv2d(c["x"], c["w"], c["b"], c["stride"], c["pad"]),
           lambda c, d: naive_conv_backward(c, d, crop_offset=False),
           caught_by=("backward_matches_reference", "backward_matches_finite_differences"),
           why="crops dx at [:H, :W] instead of [pad:pad + H, pad:pad + W]"),
    Mutant("conv2d", "rotates_w_in_place", lambda c: ref.conv2d(c["x"], c["w"], c["b"], c["stride"], c["pad"]),
           _conv_rotating_bwd, caught_by=("does_not_mutate_inputs",),
           why="rotates the kernel in place (w[:] = w[..., ::-1, ::-1]) for the full convolution of dx"),
    Mutant("conv2d", "preallocated_float64", _conv_prealloc, _conv_ref_bwd, caught_by=("preserves_dtype",),
           dtypes=("float32",), why="out = np.zeros((N, F, H', W')) is float64"),
    Mutant("conv2d", "np_pad_all_axes", _conv_pad_all_axes, _conv_ref_bwd,
           caught_by=("batch_rows_independent", "forward_matches_reference"),
           why="np.pad(x, pad) pads the batch and channel axes too: sample n reads sample n - pad"),
    Mutant("conv2d", "normalised_cross_correlation", _conv_normalised, _conv_ref_bwd,
           caught_by=("finite_outputs",), why="divides each window by its norm: 0 / 0 over the padding"),
    # max_pool2d
    Mutant("max_pool2d", "gradient_spread_over_window", _pool_fwd, lambda c, d: _pool_bwd_routed(c, d, "spread"),
           caught_by=("backward_matches_reference", "backward_matches_finite_differences"),
           why="average-pooling backward: dout / window size to every element"),
    Mutant("max_pool2d", "gradient_to_last_max", _pool_fwd, lambda c, d: _pool_bwd_routed(c, d, "last"),
           caught_by=("ties_route_to_first_max",),
           why="x >= running max: the last of tied maxima wins (other checks accept it at ties: audit class B6)"),
    Mutant("max_pool2d", "gradient_to_all_ties", _pool_fwd, lambda c, d: _pool_bwd_routed(c, d, "all"),
           caught_by=("ties_route_to_first_max",), why="mask x == max: every tied maximum gets the gradient"),
    Mutant("max_pool2d", "zero_padding", _pool_zero_pad, lambda c, d: _pool_bwd_routed(c, d, "first"),
           caught_by=("forward_matches_reference", "pads_with_neg_inf"), why="pads with 0, which beats all-negative windows"),
    Mutant("max_pool2d", "ignores_pad", _pool_ignores_pad, _pool_ignores_pad_bwd, caught_by=("pads_with_neg_inf",),
           why="the book's Pooling: out_h = 1 + (H - pool_h) // stride, pad accepted and never used"),
    Mutant("max_pool2d", "ceil_mode", _pool_ceil, _pool_ceil_bwd, caught_by=("output_size_formula",),
           why="ceil((H + 2 pad - k) / stride) + 1 output rows"),
    Mutant("max_pool2d", "zeroes_x_for_mask", _pool_fwd, _pool_mask_in_place,
           caught_by=("does_not_mutate_inputs",), why="x[~mask] = 0 on the caller's array to build the mask"),
    Mutant("max_pool2d", "preallocated_float64", _pool_prealloc, lambda c, d: _pool_bwd_routed(c, d, "first"),
           caught_by=("preserves_dtype",), dtypes=("float32",), why="out = np.zeros(...) is float64"),
    Mutant("max_pool2d", "max_over_batch_axis", _pool_batch_axis, lambda c, d: _pool_bwd_routed(c, d, "first"),
           caught_by=("batch_rows_independent", "forward_matches_reference"), why="max over axis=(0, 2, 3)"),
    Mutant("max_pool2d", "logsumexp_smooth_max", _pool_logsumexp, lambda c, d: _pool_bwd_routed(c, d, "first"),
           caught_by=("finite_outputs",), why="log sum exp without the max shift: exp(1000) = inf"),
    # residual_block
    Mutant("residual_block", "no_skip_in_backward", _res_fwd, lambda c, d: _res_bwd(c, d, skip=False),
           caught_by=("backward_matches_reference", "backward_matches_finite_differences", "skip_identity"),
           why="dx forgets the identity path"),
    Mutant("residual_block", "no_skip", lambda c: _relu(_relu(c["x"] @ c["w1"] + c["b1"]) @ c["w2"] + c["b2"]),
           lambda c, d: _res_bwd(c, d), caught_by=("skip_identity", "forward_matches_reference"),
           why="a plain two-layer MLP: the skip is missing"),
    Mutant("residual_block", "relu_before_add",
           lambda c: c["x"] + _relu(_relu(c["x"] @ c["w1"] + c["b1"]) @ c["w2"] + c["b2"]),
           lambda c, d: _res_bwd(c, d), caught_by=("skip_identity", "forward_matches_reference"),
           why="y = x + relu(F(x)): the final relu moved inside the residual branch"),
    Mutant("residual_block", "adds_into_x", _res_in_place, _res_bwd, caught_by=("does_not_mutate_inputs",),
           why="out = x; out += F(x): the in-place add writes into the caller's x"),
    Mutant("residual_block", "astype_float", _res_astype_float, _res_bwd, caught_by=("preserves_dtype",),
           dtypes=("float32",), why="a.astype(float) is float64"),
    Mutant("residual_block", "batch_norm_in_branch", _res_bn, _res_bwd,
           caught_by=("batch_rows_independent", "forward_matches_reference"),
           why="ResNet's batch norm (batch statistics) inside F couples the samples"),
    Mutant("residual_block", "batch_norm_without_eps", lambda c: _res_bn(c, eps=0.0), _res_bwd,
           caught_by=("finite_outputs",), why="batch norm with eps = 0: 0 / 0 for a batch of one or a dead unit"),
]

CORRECT = [
    Mutant("affine", "book_Affine", lambda c: BookAffine(c["w"], c["b"]).forward(c["x"]), _book_affine_bwd,
           dtypes=("float64", "float32"), why="the book's stateful Affine layer"),
    Mutant("affine", "einsum", lambda c: np.einsum("nd,dm->nm", c["x"].reshape(len(c["x"]), -1), c["w"]) + c["b"],
           _aff_bwd, dtypes=("float64", "float32")),
    Mutant("conv2d", "book_im2col", book_conv_forward, book_conv_backward, dtypes=("float64", "float32"),
           why="the book's Convolution layer via im2col/col2im"),
    Mutant("conv2d", "cs231n_naive_loops", naive_conv_forward, naive_conv_backward, dtypes=("float64", "float32")),
    Mutant("max_pool2d", "book_pooling_argmax", lambda c: book_pool_forward(c)[0], book_pool_backward,
           dtypes=("float64", "float32"), why="the book's Pooling: im2col + argmax (first maximum)"),
    Mutant("max_pool2d", "naive_loops_first_max", _pool_fwd, lambda c, d: _pool_bwd_routed(c, d, "first"),
           dtypes=("float64", "float32")),
    Mutant("residual_block", "composed_from_affine_relu", composed_forward, composed_backward,
           dtypes=("float64", "float32"), why="assembled from the affine and relu references"),
]
