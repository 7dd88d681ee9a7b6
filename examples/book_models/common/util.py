"""im2col / col2im for the convolution and pooling layers."""
import numpy as np


def im2col(x, fh, fw, stride=1, pad=0, fill=0):
    n, c, h, w = x.shape
    oh = (h + 2 * pad - fh) // stride + 1
    ow = (w + 2 * pad - fw) // stride + 1
    xp = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)], constant_values=fill)
    col = np.zeros((n, c, fh, fw, oh, ow), dtype=x.dtype)
    for i in range(fh):
        for j in range(fw):
            col[:, :, i, j, :, :] = xp[:, :, i:i + stride * oh:stride, j:j + stride * ow:stride]
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(n * oh * ow, -1)


def col2im(col, shape, fh, fw, stride=1, pad=0):
    n, c, h, w = shape
    oh = (h + 2 * pad - fh) // stride + 1
    ow = (w + 2 * pad - fw) // stride + 1
    col = col.reshape(n, oh, ow, c, fh, fw).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((n, c, h + 2 * pad, w + 2 * pad), dtype=col.dtype)
    for i in range(fh):
        for j in range(fw):
            img[:, :, i:i + stride * oh:stride, j:j + stride * ow:stride] += col[:, :, i, j, :, :]
    return img[:, :, pad:h + pad, pad:w + pad]
