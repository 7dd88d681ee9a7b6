"""Generated stub submissions: every function of the dialect's API present, none computing anything (each
returns zeros of the right shape, or raises NotImplementedError, or returns None).  A submission like that
must earn (next to) nothing: see tests/test_verdicts.py."""
from __future__ import annotations

import os
import textwrap

ZERO, RAISE, NONE = "zero", "raise", "none"


def _body(kind: str, zero: str) -> str:
    return {ZERO: f"return {zero}", RAISE: "raise NotImplementedError", NONE: "return None"}[kind]


def book(root: str, kind: str = ZERO) -> str:
    z = lambda e: _body(kind, e)  # noqa: E731
    common = os.path.join(root, "common")
    os.makedirs(common, exist_ok=True)
    open(os.path.join(common, "__init__.py"), "w").close()
    funcs = f'''
    import numpy as np

    def identity_function(x):
        {z("np.zeros_like(x)")}

    def step_function(x):
        {z("np.zeros_like(x)")}

    def sigmoid(x):
        {z("np.zeros_like(x)")}

    def relu(x):
        {z("np.zeros_like(x)")}

    def softmax(x):
        {z("np.zeros_like(x)")}

    def sum_squared_error(y, t):
        {z("0.0")}

    def cross_entropy_error(y, t):
        {z("0.0")}
    '''
    layers = f'''
    import numpy as np

    class _Elementwise:
        def forward(self, x, *args, **kw):
            self.x = x
            {z("np.zeros_like(x)")}

        def backward(self, dout=1):
            {z("np.zeros_like(self.x)")}

    class Relu(_Elementwise):
        pass

    class Sigmoid(_Elementwise):
        pass

    class Dropout(_Elementwise):
        def __init__(self, dropout_ratio=0.5):
            self.dropout_ratio = dropout_ratio

    class SoftmaxWithLoss:
        def forward(self, x, t):
            self.x = x
            {z("0.0")}

        def backward(self, dout=1):
            {z("np.zeros_like(self.x)")}

    class Affine:
        def __init__(self, W, b):
            self.W, self.b = W, b

        def forward(self, x):
            self.x = x
            {z("np.zeros((x.shape[0], self.W.shape[1]))")}

        def backward(self, dout):
            self.dW, self.db = np.zeros_like(self.W), np.zeros_like(self.b)
            {z("np.zeros_like(self.x)")}

    class Convolution:
        def __init__(self, W, b, stride=1, pad=0):
            self.W, self.b, self.stride, self.pad = W, b, stride, pad

        def forward(self, x):
            self.x = x
            FN, C, FH, FW = self.W.shape
            N, C, H, W = x.shape
            oh = (H + 2 * self.pad - FH) // self.stride + 1
            ow = (W + 2 * self.pad - FW) // self.stride + 1
            {z("np.zeros((N, FN, oh, ow))")}

        def backward(self, dout):
            self.dW, self.db = np.zeros_like(self.W), np.zeros_like(self.b)
            {z("np.zeros_like(self.x)")}

    class Pooling:
        def __init__(self, pool_h, pool_w, stride=1, pad=0):
            self.pool_h, self.pool_w, self.stride, self.pad = pool_h, pool_w, stride, pad

        def forward(self, x):
            self.x = x
            N, C, H, W = x.shape
            oh = (H + 2 * self.pad - self.pool_h) // self.stride + 1
            ow = (W + 2 * self.pad - self.pool_w) // self.stride + 1
            {z("np.zeros((N, C, oh, ow))")}

        def backward(self, dout):
            {z("np.zeros_like(self.x)")}

    class BatchNormalization:
        def __init__(self, gamma, beta, momentum=0.9, running_mean=None, running_var=None):
            self.gamma, self.beta = gamma, beta
            self.running_mean, self.running_var = running_mean, running_var

        def forward(self, x, train_flg=True):
            self.x = x
            {z("np.zeros_like(x)")}

        def backward(self, dout):
            self.dgamma, self.dbeta = np.zeros_like(self.gamma), np.zeros_like(self.beta)
            {z("np.zeros_like(self.x)")}
    '''
    opt = "\n".join(textwrap.dedent(f'''
    class {cls}:
        def __init__(self, lr=0.01, **kw):
            self.lr = lr

        def update(self, params, grads):
            for key in params:
                params[key][...] = 0
    ''') for cls in ("SGD", "Momentum", "Nesterov", "AdaGrad", "RMSprop", "Adam"))
    if kind != ZERO:
        opt = opt.replace("for key in params:\n        params[key][...] = 0", _body(kind, ""))
    grad = f'''
    import numpy as np

    def numerical_gradient(f, x):
        {z("np.zeros_like(x)")}
    '''
    for name, text in (("functions", funcs), ("layers", layers), ("optimizer", "import numpy as np\n" + opt),
                       ("gradient", grad)):
        with open(os.path.join(common, f"{name}.py"), "w") as f:
            f.write(textwrap.dedent(text))
    return root


def cs231n(root: str, kind: str = ZERO) -> str:
    z = lambda e: _body(kind, e)  # noqa: E731
    pkg = os.path.join(root, "cs231n")
    os.makedirs(pkg, exist_ok=True)
    open(os.path.join(pkg, "__init__.py"), "w").close()
    layers = [
        "import numpy as np\n",
        f"def affine_forward(x, w, b):\n    {z('(np.zeros((x.shape[0], w.shape[1])), (x, w, b))')}\n",
        f"def affine_backward(dout, cache):\n    x, w, b = cache\n    "
        f"{z('(np.zeros_like(x), np.zeros_like(w), np.zeros_like(b))')}\n",
        f"def relu_forward(x):\n    {z('(np.zeros_like(x), x)')}\n",
        f"def relu_backward(dout, cache):\n    {z('np.zeros_like(cache)')}\n",
        f"def softmax_loss(x, y):\n    {z('(0.0, np.zeros_like(x))')}\n",
        f"def svm_loss(x, y):\n    {z('(0.0, np.zeros_like(x))')}\n",
        f"def dropout_forward(x, dropout_param):\n    {z('(np.zeros_like(x), x)')}\n",
        f"def dropout_backward(dout, cache):\n    {z('np.zeros_like(cache)')}\n",
        "def conv_forward_naive(x, w, b, conv_param):\n"
        "    s, p = conv_param['stride'], conv_param['pad']\n"
        "    N, C, H, W = x.shape\n    F, _, HH, WW = w.shape\n"
        f"    {z('(np.zeros((N, F, (H + 2 * p - HH) // s + 1, (W + 2 * p - WW) // s + 1)), (x, w, b))')}\n",
        f"def conv_backward_naive(dout, cache):\n    x, w, b = cache\n    "
        f"{z('(np.zeros_like(x), np.zeros_like(w), np.zeros_like(b))')}\n",
        "def max_pool_forward_naive(x, pool_param):\n"
        "    ph, pw, s = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']\n"
        "    N, C, H, W = x.shape\n"
        f"    {z('(np.zeros((N, C, (H - ph) // s + 1, (W - pw) // s + 1)), x)')}\n",
        f"def max_pool_backward_naive(dout, cache):\n    {z('np.zeros_like(cache)')}\n",
    ]
    for name in ("batchnorm", "spatial_batchnorm", "layernorm"):
        layers += [f"def {name}_forward(x, gamma, beta, param):\n    {z('(np.zeros_like(x), (x, gamma, beta))')}\n",
                   f"def {name}_backward(dout, cache):\n    x, gamma, beta = cache\n    "
                   f"{z('(np.zeros_like(x), np.zeros_like(gamma), np.zeros_like(beta))')}\n"]
    layers += [f"def spatial_groupnorm_forward(x, gamma, beta, G, param):\n    "
               f"{z('(np.zeros_like(x), (x, gamma, beta))')}\n",
               f"def spatial_groupnorm_backward(dout, cache):\n    x, gamma, beta = cache\n    "
               f"{z('(np.zeros_like(x), np.zeros_like(gamma), np.zeros_like(beta))')}\n"]
    optim = ["import numpy as np\n"] + [
        f"def {fn}(w, dw, config=None):\n    config = config if config is not None else {{}}\n    "
        f"{z('(np.zeros_like(w), config)')}\n" for fn in ("sgd", "sgd_momentum", "rmsprop", "adam")]
    grad = ["import numpy as np\n",
            f"def eval_numerical_gradient(f, x, verbose=True, h=0.00001):\n    {z('np.zeros_like(x)')}\n"]
    for name, parts in (("layers", layers), ("optim", optim), ("gradient_check", grad)):
        with open(os.path.join(pkg, f"{name}.py"), "w") as f:
            f.write("\n\n".join(parts))
    return root
