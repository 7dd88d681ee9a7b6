"""The book-2 form ("Deep Learning from Scratch 2"): layers keep ``params``/``grads`` lists, optimizers
update lists in place.  Graded through the same book adapter, with no false accusation."""
import textwrap

from spec_nn.grading import grade_submission

LAYERS = '''
import numpy as np


class Relu:
    def __init__(self):
        self.params, self.grads = [], []
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


class Affine:
    def __init__(self, W, b):
        self.params = [W, b]
        self.grads = [np.zeros_like(W), np.zeros_like(b)]
        self.x = None

    def forward(self, x):
        W, b = self.params
        self.shape = x.shape
        self.x = x.reshape(x.shape[0], -1)
        return np.dot(self.x, W) + b

    def backward(self, dout):
        W, b = self.params
        dx = np.dot(dout, W.T)
        self.grads[0][...] = np.dot(self.x.T, dout)
        self.grads[1][...] = np.sum(dout, axis=0)
        return dx.reshape(self.shape)
'''

OPTIMIZER = '''
import numpy as np


class SGD:
    def __init__(self, lr=0.01):
        self.lr = lr

    def update(self, params, grads):
        for i in range(len(params)):
            params[i] -= self.lr * grads[i]


class Momentum:
    def __init__(self, lr=0.01, momentum=0.9):
        self.lr, self.momentum, self.v = lr, momentum, None

    def update(self, params, grads):
        if self.v is None:
            self.v = [np.zeros_like(p) for p in params]
        for i in range(len(params)):
            self.v[i] = self.momentum * self.v[i] - self.lr * grads[i]
            params[i] += self.v[i]
'''


def test_book2_lists_are_graded_without_false_accusation(tmp_path):
    common = tmp_path / "common"
    common.mkdir()
    (common / "__init__.py").write_text("")
    (common / "layers.py").write_text(textwrap.dedent(LAYERS))
    (common / "optimizer.py").write_text(textwrap.dedent(OPTIMIZER))
    res = grade_submission(str(tmp_path), components=["relu", "affine", "sgd", "momentum"], max_examples=8)
    assert res["style"] == "book"
    statuses = {(c["name"], p["name"]): p["status"] for c in res["components"] for p in c["properties"]}
    bad = {k: v for k, v in statuses.items() if v != "pass"}
    assert not bad, bad
    assert {c["name"] for c in res["components"] if c["status"] == "pass"} == {"relu", "affine", "sgd", "momentum"}
