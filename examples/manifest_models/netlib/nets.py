"""A small network library with its own API (written for spec_nn's examples): layer objects with
forward/backward, a network holding a params dict and a loss(X, y=None) method."""
import numpy as np


class Dense:
    def __init__(self, net, i):
        self.net, self.w, self.b = net, f"W{i}", f"b{i}"

    def forward(self, x, train):
        self.shape, self.x = x.shape, x.reshape(x.shape[0], -1)
        return self.x @ self.net.params[self.w] + self.net.params[self.b]

    def backward(self, d, grads):
        grads[self.w], grads[self.b] = self.x.T @ d, d.sum(axis=0)
        return (d @ self.net.params[self.w].T).reshape(self.shape)


class ReLU:
    def forward(self, x, train):
        self.pos = x > 0
        return x * self.pos

    def backward(self, d, grads):
        return d * self.pos


class Norm:
    """Batch norm (axis 0, running statistics for test) or layer norm (axis 1)."""

    def __init__(self, net, i, kind, eps=1e-5, momentum=0.9):
        self.net, self.g, self.bt, self.kind, self.eps, self.m = net, f"gamma{i}", f"beta{i}", kind, eps, momentum
        self.mean = self.var = None

    def forward(self, x, train):
        ax = 0 if self.kind == "batchnorm" else 1
        if self.kind == "batchnorm" and self.mean is None:
            self.mean, self.var = np.zeros(x.shape[1]), np.zeros(x.shape[1])
        if train or self.kind == "layernorm":
            mu, var = x.mean(axis=ax, keepdims=True), x.var(axis=ax, keepdims=True)
            if self.kind == "batchnorm":
                self.mean = self.m * self.mean + (1 - self.m) * mu[0]
                self.var = self.m * self.var + (1 - self.m) * var[0]
        else:
            mu, var = self.mean, self.var
        self.std = np.sqrt(var + self.eps)
        self.xhat, self.ax = (x - mu) / self.std, ax
        return self.net.params[self.g] * self.xhat + self.net.params[self.bt]

    def backward(self, d, grads):
        grads[self.g], grads[self.bt] = (d * self.xhat).sum(axis=0), d.sum(axis=0)
        dx = d * self.net.params[self.g]
        return (dx - dx.mean(axis=self.ax, keepdims=True)
                - self.xhat * (dx * self.xhat).mean(axis=self.ax, keepdims=True)) / self.std


class DropOut:
    def __init__(self, p, seed):
        self.p, self.seed = p, seed

    def forward(self, x, train):
        if not train:
            return x
        rng = np.random.default_rng(self.seed) if self.seed is not None else np.random
        self.keep = (rng.random(x.shape) >= self.p) / (1 - self.p)
        return x * self.keep

    def backward(self, d, grads):
        return d * self.keep


class Conv:
    def __init__(self, net):
        self.net = net

    def forward(self, x, train):
        w = self.net.params["W1"]
        p = (w.shape[2] - 1) // 2
        self.xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        self.win = np.lib.stride_tricks.sliding_window_view(self.xp, w.shape[2:], axis=(2, 3))
        self.pad, self.shape = p, x.shape
        return np.einsum("nchwij,fcij->nfhw", self.win, w) + self.net.params["b1"][None, :, None, None]

    def backward(self, d, grads):
        w = self.net.params["W1"]
        grads["W1"], grads["b1"] = np.einsum("nfhw,nchwij->fcij", d, self.win), d.sum(axis=(0, 2, 3))
        dxp = np.zeros_like(self.xp)
        for i in range(w.shape[2]):
            for j in range(w.shape[3]):
                dxp[:, :, i:i + d.shape[2], j:j + d.shape[3]] += np.einsum("nfhw,fc->nchw", d, w[:, :, i, j])
        p = self.pad
        return dxp[:, :, p:p + self.shape[2], p:p + self.shape[3]]


class MaxPool2:
    def forward(self, x, train):
        n, c, h, w = self.shape = x.shape
        b = x.reshape(n, c, h // 2, 2, w // 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, h // 2, w // 2, 4)
        self.arg = b.argmax(axis=-1)
        return b.max(axis=-1)

    def backward(self, d, grads):
        n, c, h, w = self.shape
        out = np.zeros(d.shape + (4,))
        np.put_along_axis(out, self.arg[..., None], d[..., None], axis=-1)
        return out.reshape(n, c, h // 2, w // 2, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(self.shape)


class Net:
    def loss(self, X, y=None):
        train = y is not None
        h = X
        for layer in self.layers:
            h = layer.forward(h, train)
        if not train:
            return h
        z = h - h.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        n = X.shape[0]
        loss = -logp[np.arange(n), y].mean()
        d = np.exp(logp)
        d[np.arange(n), y] -= 1
        d /= n
        grads = {}
        for layer in reversed(self.layers):
            d = layer.backward(d, grads)
        for k, v in self.params.items():
            if k.startswith("W"):
                loss += 0.5 * self.reg * np.sum(v * v)
                grads[k] = grads[k] + self.reg * v
        return loss, grads


class MLP(Net):
    def __init__(self, input_dim, hidden_dims, num_classes, weight_scale=1e-2, reg=0.0, dropout=0.0,
                 normalization=None, seed=None):
        self.reg, self.params, self.layers = reg, {}, []
        dims = [input_dim] + list(hidden_dims) + [num_classes]
        for i in range(1, len(dims)):
            self.params[f"W{i}"] = weight_scale * np.random.randn(dims[i - 1], dims[i])
            self.params[f"b{i}"] = np.zeros(dims[i])
            self.layers.append(Dense(self, i))
            if i == len(dims) - 1:
                break
            if normalization:
                self.params[f"gamma{i}"], self.params[f"beta{i}"] = np.ones(dims[i]), np.zeros(dims[i])
                self.layers.append(Norm(self, i, normalization))
            self.layers.append(ReLU())
            if dropout:
                self.layers.append(DropOut(dropout, seed))


class ConvNet(Net):
    def __init__(self, input_dim, num_filters, filter_size, hidden_dim, num_classes, weight_scale=1e-3, reg=0.0):
        c, h, w = input_dim
        s, self.reg = weight_scale, reg
        self.params = {"W1": s * np.random.randn(num_filters, c, filter_size, filter_size), "b1": np.zeros(num_filters),
                       "W2": s * np.random.randn(num_filters * (h // 2) * (w // 2), hidden_dim),
                       "b2": np.zeros(hidden_dim),
                       "W3": s * np.random.randn(hidden_dim, num_classes), "b3": np.zeros(num_classes)}
        self.layers = [Conv(self), ReLU(), MaxPool2(), Dense(self, 2), ReLU(), Dense(self, 3)]
