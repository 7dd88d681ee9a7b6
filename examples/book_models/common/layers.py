"""Layers with forward/backward, book style (written for spec_nn's examples)."""
import numpy as np

from common.functions import *
from common.util import im2col, col2im


class Relu:
    def __init__(self):
        self.mask = None

    def forward(self, x):
        self.mask = x <= 0
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        dx = dout.copy()
        dx[self.mask] = 0
        return dx


class Sigmoid:
    def __init__(self):
        self.out = None

    def forward(self, x):
        self.out = sigmoid(x)
        return self.out

    def backward(self, dout):
        return dout * (1.0 - self.out) * self.out


class Affine:
    def __init__(self, W, b):
        self.W, self.b = W, b
        self.x = None
        self.original_x_shape = None
        self.dW = self.db = None

    def forward(self, x):
        self.original_x_shape = x.shape
        self.x = x.reshape(x.shape[0], -1)
        return self.x @ self.W + self.b

    def backward(self, dout):
        dx = dout @ self.W.T
        self.dW = self.x.T @ dout
        self.db = np.sum(dout, axis=0)
        return dx.reshape(*self.original_x_shape)


class SoftmaxWithLoss:
    def __init__(self):
        self.loss = self.y = self.t = None

    def forward(self, x, t):
        self.t = t
        self.y = softmax(x)
        z = x - x.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))  # stable log-softmax, no delta
        n = x.shape[0]
        if t.size == x.size:
            self.loss = -np.sum(t * logp) / n
        else:
            self.loss = -np.sum(logp[np.arange(n), t]) / n
        return self.loss

    def backward(self, dout=1):
        n = self.t.shape[0]
        if self.t.size == self.y.size:
            dx = (self.y - self.t) / n
        else:
            dx = self.y.copy()
            dx[np.arange(n), self.t] -= 1
            dx = dx / n
        return dx * dout


class Dropout:
    def __init__(self, dropout_ratio=0.5):
        self.dropout_ratio = dropout_ratio
        self.mask = None

    def forward(self, x, train_flg=True):
        if train_flg:
            self.mask = np.random.rand(*x.shape) > self.dropout_ratio
            return x * self.mask
        return x * (1.0 - self.dropout_ratio)

    def backward(self, dout):
        return dout * self.mask


class BatchNormalization:
    def __init__(self, gamma, beta, momentum=0.9, running_mean=None, running_var=None):
        self.gamma, self.beta, self.momentum = gamma, beta, momentum
        self.input_shape = None
        self.running_mean, self.running_var = running_mean, running_var
        self.batch_size = self.xc = self.std = self.xn = None
        self.dgamma = self.dbeta = None

    def forward(self, x, train_flg=True):
        self.input_shape = x.shape
        if x.ndim != 2:
            x = x.reshape(x.shape[0], -1)
        return self.__forward(x, train_flg).reshape(*self.input_shape)

    def __forward(self, x, train_flg):
        if self.running_mean is None:
            d = x.shape[1]
            self.running_mean = np.zeros(d, dtype=x.dtype)
            self.running_var = np.zeros(d, dtype=x.dtype)
        if train_flg:
            mu = x.mean(axis=0)
            xc = x - mu
            var = np.mean(xc ** 2, axis=0)
            std = np.sqrt(var + 10e-7)
            xn = xc / std
            self.batch_size, self.xc, self.xn, self.std = x.shape[0], xc, xn, std
            self.running_mean = self.momentum * self.running_mean + (1 - self.momentum) * mu
            self.running_var = self.momentum * self.running_var + (1 - self.momentum) * var
        else:
            xc = x - self.running_mean
            xn = xc / np.sqrt(self.running_var + 10e-7)
        return self.gamma * xn + self.beta

    def backward(self, dout):
        if dout.ndim != 2:
            dout = dout.reshape(dout.shape[0], -1)
        dbeta = dout.sum(axis=0)
        dgamma = np.sum(self.xn * dout, axis=0)
        dxn = self.gamma * dout
        dxc = dxn / self.std
        dstd = -np.sum((dxn * self.xc) / (self.std * self.std), axis=0)
        dvar = 0.5 * dstd / self.std
        dxc = dxc + (2.0 / self.batch_size) * self.xc * dvar
        dmu = np.sum(dxc, axis=0)
        dx = dxc - dmu / self.batch_size
        self.dgamma, self.dbeta = dgamma, dbeta
        return dx.reshape(*self.input_shape)


class Convolution:
    def __init__(self, W, b, stride=1, pad=0):
        self.W, self.b, self.stride, self.pad = W, b, stride, pad
        self.x = self.col = self.col_W = None
        self.dW = self.db = None

    def forward(self, x):
        fn, c, fh, fw = self.W.shape
        n, c, h, w = x.shape
        oh = 1 + (h + 2 * self.pad - fh) // self.stride
        ow = 1 + (w + 2 * self.pad - fw) // self.stride
        col = im2col(x, fh, fw, self.stride, self.pad)
        col_W = self.W.reshape(fn, -1).T
        out = col @ col_W + self.b
        self.x, self.col, self.col_W = x, col, col_W
        return out.reshape(n, oh, ow, -1).transpose(0, 3, 1, 2)

    def backward(self, dout):
        fn, c, fh, fw = self.W.shape
        dout = dout.transpose(0, 2, 3, 1).reshape(-1, fn)
        self.db = np.sum(dout, axis=0)
        self.dW = (self.col.T @ dout).transpose(1, 0).reshape(fn, c, fh, fw)
        dcol = dout @ self.col_W.T
        return col2im(dcol, self.x.shape, fh, fw, self.stride, self.pad)


class Pooling:
    def __init__(self, pool_h, pool_w, stride=1, pad=0):
        self.pool_h, self.pool_w, self.stride, self.pad = pool_h, pool_w, stride, pad
        self.x = self.arg_max = None

    def forward(self, x):
        n, c, h, w = x.shape
        oh = 1 + (h + 2 * self.pad - self.pool_h) // self.stride
        ow = 1 + (w + 2 * self.pad - self.pool_w) // self.stride
        col = im2col(x, self.pool_h, self.pool_w, self.stride, self.pad, fill=-np.inf)
        col = col.reshape(-1, self.pool_h * self.pool_w)
        self.x, self.arg_max = x, np.argmax(col, axis=1)
        return np.max(col, axis=1).reshape(n, oh, ow, c).transpose(0, 3, 1, 2)

    def backward(self, dout):
        dout = dout.transpose(0, 2, 3, 1)
        size = self.pool_h * self.pool_w
        dmax = np.zeros((dout.size, size), dtype=dout.dtype)
        dmax[np.arange(self.arg_max.size), self.arg_max.flatten()] = dout.flatten()
        dcol = dmax.reshape(dout.shape + (size,)).reshape(dout.shape[0] * dout.shape[1] * dout.shape[2], -1)
        return col2im(dcol, self.x.shape, self.pool_h, self.pool_w, self.stride, self.pad)
