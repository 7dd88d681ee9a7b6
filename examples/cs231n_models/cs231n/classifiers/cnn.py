"""ThreeLayerConvNet, CS231n assignment 2 style (written for spec_nn's examples):
conv - relu - 2x2 max pool - affine - relu - affine - softmax."""
import numpy as np

from ..layers import affine_backward, affine_forward, softmax_loss
from ..layer_utils import affine_relu_backward, affine_relu_forward, conv_relu_pool_backward, conv_relu_pool_forward


class ThreeLayerConvNet(object):
    def __init__(self, input_dim=(3, 32, 32), num_filters=32, filter_size=7, hidden_dim=100, num_classes=10,
                 weight_scale=1e-3, reg=0.0, dtype=np.float32):
        self.params = {}
        self.reg = reg
        self.dtype = dtype
        C, H, W = input_dim
        self.params["W1"] = weight_scale * np.random.randn(num_filters, C, filter_size, filter_size)
        self.params["b1"] = np.zeros(num_filters)
        self.params["W2"] = weight_scale * np.random.randn(num_filters * (H // 2) * (W // 2), hidden_dim)
        self.params["b2"] = np.zeros(hidden_dim)
        self.params["W3"] = weight_scale * np.random.randn(hidden_dim, num_classes)
        self.params["b3"] = np.zeros(num_classes)
        for k, v in self.params.items():
            self.params[k] = v.astype(dtype)

    def loss(self, X, y=None):
        W1, b1 = self.params["W1"], self.params["b1"]
        W2, b2 = self.params["W2"], self.params["b2"]
        W3, b3 = self.params["W3"], self.params["b3"]
        conv_param = {"stride": 1, "pad": (W1.shape[2] - 1) // 2}
        pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}
        h1, c1 = conv_relu_pool_forward(X, W1, b1, conv_param, pool_param)
        h2, c2 = affine_relu_forward(h1, W2, b2)
        scores, c3 = affine_forward(h2, W3, b3)
        if y is None:
            return scores
        grads = {}
        loss, dscores = softmax_loss(scores, y)
        loss += 0.5 * self.reg * (np.sum(W1 ** 2) + np.sum(W2 ** 2) + np.sum(W3 ** 2))
        dh2, grads["W3"], grads["b3"] = affine_backward(dscores, c3)
        dh1, grads["W2"], grads["b2"] = affine_relu_backward(dh2, c2)
        _, grads["W1"], grads["b1"] = conv_relu_pool_backward(dh1, c1)
        for k in ("W1", "W2", "W3"):
            grads[k] += self.reg * self.params[k]
        return loss, grads
