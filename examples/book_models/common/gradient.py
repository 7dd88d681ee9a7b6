"""Central-difference numerical gradient, book style (written for spec_nn's examples)."""
import numpy as np


def numerical_gradient(f, x):
    h = 1e-4
    if x.dtype.kind in "biu":  # x + h must not truncate: differentiate at float(x)
        x = x.astype(np.float64)
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        idx = it.multi_index
        tmp = x[idx]
        x[idx] = float(tmp) + h
        fxh1 = f(x)
        x[idx] = tmp - h
        fxh2 = f(x)
        grad[idx] = (fxh1 - fxh2) / (2 * h)
        x[idx] = tmp
        it.iternext()
    return grad
