"""TwoLayerNet and FullyConnectedNet, CS231n assignment 2 style (written for spec_nn's examples)."""
import numpy as np

from ..layers import (affine_backward, affine_forward, batchnorm_backward, batchnorm_forward, dropout_backward,
                      dropout_forward, layernorm_backward, layernorm_forward, relu_backward, relu_forward,
                      softmax_loss)
from ..layer_utils import affine_relu_backward, affine_relu_forward


class TwoLayerNet(object):
    """affine - relu - affine - softmax."""

    def __init__(self, input_dim=3 * 32 * 32, hidden_dim=100, num_classes=10, weight_scale=1e-3, reg=0.0):
        self.params = {}
        self.reg = reg
        self.params["W1"] = weight_scale * np.random.randn(input_dim, hidden_dim)
        self.params["b1"] = np.zeros(hidden_dim)
        self.params["W2"] = weight_scale * np.random.randn(hidden_dim, num_classes)
        self.params["b2"] = np.zeros(num_classes)

    def loss(self, X, y=None):
        h, cache1 = affine_relu_forward(X, self.params["W1"], self.params["b1"])
        scores, cache2 = affine_forward(h, self.params["W2"], self.params["b2"])
        if y is None:
            return scores
        grads = {}
        loss, dscores = softmax_loss(scores, y)
        loss += 0.5 * self.reg * (np.sum(self.params["W1"] ** 2) + np.sum(self.params["W2"] ** 2))
        dh, grads["W2"], grads["b2"] = affine_backward(dscores, cache2)
        _, grads["W1"], grads["b1"] = affine_relu_backward(dh, cache1)
        grads["W1"] += self.reg * self.params["W1"]
        grads["W2"] += self.reg * self.params["W2"]
        return loss, grads


class FullyConnectedNet(object):
    """{affine - [batch/layer norm] - relu - [dropout]} x (L - 1) - affine - softmax."""

    def __init__(self, hidden_dims, input_dim=3 * 32 * 32, num_classes=10, dropout_keep_ratio=1,
                 normalization=None, reg=0.0, weight_scale=1e-2, dtype=np.float32, seed=None):
        self.normalization = normalization
        self.use_dropout = dropout_keep_ratio != 1
        self.reg = reg
        self.num_layers = 1 + len(hidden_dims)
        self.dtype = dtype
        self.params = {}
        dims = [input_dim] + list(hidden_dims) + [num_classes]
        for i in range(self.num_layers):
            self.params["W%d" % (i + 1)] = weight_scale * np.random.randn(dims[i], dims[i + 1])
            self.params["b%d" % (i + 1)] = np.zeros(dims[i + 1])
            if normalization is not None and i < self.num_layers - 1:
                self.params["gamma%d" % (i + 1)] = np.ones(dims[i + 1])
                self.params["beta%d" % (i + 1)] = np.zeros(dims[i + 1])
        self.dropout_param = {}
        if self.use_dropout:
            self.dropout_param = {"mode": "train", "p": dropout_keep_ratio}
            if seed is not None:
                self.dropout_param["seed"] = seed
        self.bn_params = []
        if self.normalization == "batchnorm":
            self.bn_params = [{"mode": "train"} for _ in range(self.num_layers - 1)]
        if self.normalization == "layernorm":
            self.bn_params = [{} for _ in range(self.num_layers - 1)]
        for k, v in self.params.items():
            self.params[k] = v.astype(dtype)

    def loss(self, X, y=None):
        X = X.astype(self.dtype)
        mode = "test" if y is None else "train"
        if self.use_dropout:
            self.dropout_param["mode"] = mode
        if self.normalization == "batchnorm":
            for bn_param in self.bn_params:
                bn_param["mode"] = mode
        caches, h = [], X
        for i in range(1, self.num_layers):
            a, fc = affine_forward(h, self.params["W%d" % i], self.params["b%d" % i])
            nc = None
            if self.normalization == "batchnorm":
                a, nc = batchnorm_forward(a, self.params["gamma%d" % i], self.params["beta%d" % i],
                                          self.bn_params[i - 1])
            elif self.normalization == "layernorm":
                a, nc = layernorm_forward(a, self.params["gamma%d" % i], self.params["beta%d" % i],
                                          self.bn_params[i - 1])
            h, rc = relu_forward(a)
            dc = None
            if self.use_dropout:
                h, dc = dropout_forward(h, self.dropout_param)
            caches.append((fc, nc, rc, dc))
        L = self.num_layers
        scores, last = affine_forward(h, self.params["W%d" % L], self.params["b%d" % L])
        if mode == "test":
            return scores
        loss, dscores = softmax_loss(scores, y)
        grads = {}
        dh, grads["W%d" % L], grads["b%d" % L] = affine_backward(dscores, last)
        for i in range(L - 1, 0, -1):
            fc, nc, rc, dc = caches[i - 1]
            if self.use_dropout:
                dh = dropout_backward(dh, dc)
            da = relu_backward(dh, rc)
            if self.normalization == "batchnorm":
                da, grads["gamma%d" % i], grads["beta%d" % i] = batchnorm_backward(da, nc)
            elif self.normalization == "layernorm":
                da, grads["gamma%d" % i], grads["beta%d" % i] = layernorm_backward(da, nc)
            dh, grads["W%d" % i], grads["b%d" % i] = affine_backward(da, fc)
        for i in range(1, L + 1):
            W = self.params["W%d" % i]
            loss += 0.5 * self.reg * np.sum(W * W)
            grads["W%d" % i] += self.reg * W
        return loss, grads
