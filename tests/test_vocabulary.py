"""The manifest vocabulary (spec_nn/vocabulary.py): every API shape of issue 9 on a small library written here,
graded through a manifest alone; the input restrictions restrict generation; bad keys are one-line errors; and
numpy-ml (PyPI ``numpy-ml``), when installed, graded through examples/numpy_ml_manifest with its verdicts pinned."""
from __future__ import annotations

import importlib.util
import os
import textwrap

import numpy as np
import pytest

from spec_nn.grading import UsageError, grade_submission, locate
from spec_nn.record import Case
from spec_nn.vocabulary_grading import restrict_case

HERE = os.path.dirname(os.path.abspath(__file__))
NUMPY_ML = os.path.join(os.path.dirname(HERE), "examples", "numpy_ml_manifest")

LIB = {
    "acts.py": '''
        import numpy as np

        class Leaky:                                  # derivative style: grad(x) = f'(x)
            def __init__(self, alpha=0.3):
                self.alpha = alpha
            def fn(self, z):
                return np.where(z > 0, z, self.alpha * z)
            def grad(self, x):
                return np.where(x > 0, 1.0, self.alpha).astype(x.dtype)

        class BadLeaky(Leaky):                        # f'(x) of the wrong side: must be caught
            def grad(self, x):
                return np.where(x < 0, 1.0, self.alpha).astype(x.dtype)

        class Sigmoid32:                              # float32 only
            def fn(self, z):
                assert z.dtype == np.float32, z.dtype
                return (1 / (1 + np.exp(-z))).astype(np.float32)
            def grad(self, x):
                s = self.fn(x)
                return s * (1 - s)
    ''',
    "layers.py": '''
        import numpy as np

        class Dense:                                  # parameters and gradients as attributes, W (out, in), b (1, M)
            def __init__(self, n_in, n_out):
                self.W, self.b = np.zeros((n_out, n_in)), np.zeros((1, n_out))
            def forward(self, x):
                assert x.ndim == 2, "2-D inputs only"
                self.x = x
                return x @ self.W.T + self.b
            def backward(self, d):
                self.dW, self.db = d.T @ self.x, d.sum(axis=0, keepdims=True)
                return d @ self.W

        class DenseInit:                              # parameters by constructor
            def __init__(self, W, b):
                self.W, self.b = W, b
                self.grads = {}
            def __call__(self, x):
                self.x = x.reshape(x.shape[0], -1)
                return self.x @ self.W + self.b
            def grad(self, d):
                self.grads = {"W": self.x.T @ d, "b": d.sum(axis=0)}
                return d @ self.W.T

        class Conv:                                   # NHWC, kernel (kh, kw, C, F), bias (1, 1, 1, F), grads list
            def __init__(self, stride=1, pad=0):
                self.stride, self.pad = stride, pad
                self.params = {"k": None, "bias": None}
            def forward(self, x):
                self.x = x
                k, bias, s, p = self.params["k"], self.params["bias"], self.stride, self.pad
                kh, kw, c, f = k.shape
                xp = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
                n, h, w, _ = xp.shape
                ho, wo = (h - kh) // s + 1, (w - kw) // s + 1
                out = np.zeros((n, ho, wo, f), dtype=x.dtype)
                for i in range(ho):
                    for j in range(wo):
                        win = xp[:, i * s:i * s + kh, j * s:j * s + kw, :]
                        out[:, i, j, :] = np.tensordot(win, k, axes=([1, 2, 3], [0, 1, 2]))
                return out + bias
            def backward(self, d):
                k, s, p, x = self.params["k"], self.stride, self.pad, self.x
                kh, kw, c, f = k.shape
                xp = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
                dxp, dk = np.zeros_like(xp), np.zeros_like(k)
                for i in range(d.shape[1]):
                    for j in range(d.shape[2]):
                        win = xp[:, i * s:i * s + kh, j * s:j * s + kw, :]
                        dk += np.tensordot(win, d[:, i, j, :], axes=([0], [0]))
                        dxp[:, i * s:i * s + kh, j * s:j * s + kw, :] += np.tensordot(d[:, i, j, :], k, axes=([1], [3]))
                self.grads = [dk, d.sum(axis=(0, 1, 2)).reshape(1, 1, 1, -1)]
                return dxp[:, p:xp.shape[1] - p, p:xp.shape[2] - p, :]

        class Dropout:                                # train/eval by keyword, method or flag; backward in train only
            def __init__(self, rate):
                self.rate, self.training = rate, True
            def eval(self):
                self.training = False
            def forward(self, x, train=None):
                train = self.training if train is None else train
                self.training = train
                if not train:
                    return x
                self.mask = (np.random.rand(*x.shape) >= self.rate) / (1 - self.rate)
                return (x * self.mask).astype(x.dtype)
            def backward(self, d):
                assert self.training, "no backward in eval mode"
                return (d * self.mask).astype(d.dtype)
    ''',
    "losses.py": '''
        import numpy as np

        class SummedCE:                               # one-hot 2-D labels only, summed over the batch
            def loss(self, y, t):
                assert t.shape == y.shape and y.ndim == 2, "one-hot (N, C) labels only"
                return -np.sum(t * np.log(y + 1e-7))
            def grad(self, y, t):
                return -t / (y + 1e-7)

        def sce(x, t):                                # index labels, a batch of 2 or more
            assert x.ndim == 2 and x.shape[0] >= 2, "batches of 2 or more"
            z = x - x.max(axis=1, keepdims=True)
            logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
            return -logp[np.arange(len(t)), t].mean()

        def sce_grad(x, t):
            z = x - x.max(axis=1, keepdims=True)
            p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
            p[np.arange(len(t)), t] -= 1
            return p / len(t)
    ''',
    "optim.py": '''
        import numpy as np

        class SGD:                                    # update(params, grads) on dicts, in place
            def __init__(self, lr):
                self.lr = lr
            def update(self, params, grads):
                for k in params:
                    params[k] -= self.lr * grads[k]

        class Momentum:                               # update(params, grads) on lists, state on the object
            def __init__(self, lr, momentum):
                self.lr, self.momentum, self.v = lr, momentum, None
            def update(self, params, grads):
                if self.v is None:
                    self.v = [np.zeros_like(p) for p in params]
                for i in range(len(params)):
                    self.v[i] = self.momentum * self.v[i] - self.lr * grads[i]
                    params[i] += self.v[i]

        class Adam:                                   # step() then opt(w, g, name); renamed b1, b2, epsilon
            def __init__(self, lr, b1, b2, epsilon):
                self.lr, self.b1, self.b2, self.epsilon, self.t, self.state = lr, b1, b2, epsilon, 0, {}
            def step(self):
                self.t += 1
            def __call__(self, w, g, name):
                m, v = self.state.get(name, (np.zeros_like(g), np.zeros_like(g)))
                m = self.b1 * m + (1 - self.b1) * g
                v = self.b2 * v + (1 - self.b2) * g * g
                self.state[name] = (m, v)
                mh, vh = m / (1 - self.b1 ** self.t), v / (1 - self.b2 ** self.t)
                return w - self.lr * mh / (np.sqrt(vh) + self.epsilon)

        def rmsprop(w, dw, config):                   # CS231n: config dict returned
            cache = config.get("cache", np.zeros_like(w))
            cache = config["decay_rate"] * cache + (1 - config["decay_rate"]) * dw ** 2
            config["cache"] = cache
            return w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"]), config
    ''',
    "init.py": '''
        import numpy as np

        def he(shape):                                # float64 only, NumPy's global generator
            return np.random.randn(*shape) * np.sqrt(2.0 / shape[0])

        def he_truncated_uncorrected(shape):          # numpy-ml's bug: variance 0.77x
            z = np.random.randn(*shape)
            while np.any(np.abs(z) > 2):
                z[np.abs(z) > 2] = np.random.randn(int((np.abs(z) > 2).sum()))
            return z * np.sqrt(2.0 / shape[0])

        def he_truncated_keras(shape):                # Keras: truncated at 2 std, the std corrected
            return he_truncated_uncorrected(shape) / 0.87962566103423978
    ''',
}

ACT = 'call = "fn"\ngrad = "grad"\nbackward_style = "derivative"\nargs = ["x"]\n'
MANIFEST = f'''
[components.leaky_relu]
class = "vlib.acts:Leaky"
init = {{alpha = 0.01}}
{ACT}
[components.sigmoid]
class = "vlib.acts:Sigmoid32"
{ACT}restrict = {{dtype = "float32"}}

[components.affine]
class = "vlib.layers:Dense"
init = {{n_in = "$w.shape[0]", n_out = "$w.shape[1]"}}
params = {{W = "w", b = "b"}}
grads = {{dW = "w", db = "b"}}
grad = "backward"
args = ["x"]
layout = {{w = "out_in", b = "1m"}}
restrict = {{ndim = 2}}

[components.conv2d]
class = "vlib.layers:Conv"
init = {{stride = "$stride", pad = "$pad"}}
params_at = "params"
params = {{k = "w", bias = "b"}}
grads_at = "grads"
grads = ["w", "b"]
grad = "backward"
args = ["x"]
layout = {{x = "nhwc", w = "hwcf", b = "111m"}}

[components.dropout]
class = "vlib.layers:Dropout"
init = {{rate = "$p"}}
grad = "backward"
args = ["x"]
mode = {{by = "keyword", name = "train", train = true, eval = false}}
backward_modes = ["train"]

[components.cross_entropy]
class = "vlib.losses:SummedCE"
call = "loss"
args = ["y", "t"]
grad = "grad"
backward_style = "scale"
restrict = {{labels = "one_hot", ndim = 2}}
accept = {{reduction = ["sum"]}}

[components.softmax_cross_entropy]
forward = "vlib.losses:sce"
backward = "vlib.losses:sce_grad"
backward_style = "scale"
args = ["x", "t"]
restrict = {{labels = "index", batch_min = 2}}

[components.sgd]
class = "vlib.optim:SGD"
init = {{lr = "$lr"}}
optimizer = {{protocol = "update_dict"}}

[components.momentum]
class = "vlib.optim:Momentum"
init = {{lr = "$lr", momentum = "$momentum"}}
optimizer = {{protocol = "update_list"}}

[components.adam]
class = "vlib.optim:Adam"
init = {{lr = "$lr", b1 = "$beta1", b2 = "$beta2", epsilon = "$eps"}}
optimizer = {{protocol = "call", before = "step", method = "__call__", extra = ["W"]}}

[components.rmsprop]
forward = "vlib.optim:rmsprop"
optimizer = {{protocol = "config", config = {{lr = "learning_rate", decay_rate = "decay_rate", eps = "epsilon"}}}}

[components.he_init]
forward = "vlib.init:he"
args = [["$fan_in", "$fan_out"]]
restrict = {{dtype = "float64"}}
'''


def write_lib(root, manifest):
    pkg = os.path.join(root, "vlib")
    os.makedirs(pkg, exist_ok=True)
    open(os.path.join(pkg, "__init__.py"), "w").close()
    for name, src in LIB.items():
        with open(os.path.join(pkg, name), "w") as f:
            f.write(textwrap.dedent(src))
    with open(os.path.join(root, "spec_nn.toml"), "w") as f:
        f.write(manifest)
    return root


def statuses(result):
    return {c["name"]: c["status"] for c in result["components"] if c["status"] != "missing"}


def failing(result):
    return sorted(p["id"] for c in result["components"] for p in c["properties"] if p["status"] in ("fail", "error"))


@pytest.fixture(scope="module")
def lib_root(tmp_path_factory):
    return write_lib(str(tmp_path_factory.mktemp("vocab")), MANIFEST)


SHAPES = {  # component -> the API shape it exercises
    "leaky_relu": "object with a constant constructor argument, derivative-style grad composed with dout",
    "sigmoid": "float32 only (cases drawn in float32)",
    "affine": "parameters and gradients as attributes, W (out, in), b (1, M), 2-D inputs only",
    "conv2d": "NHWC, (kh, kw, C, F) weights, (1, 1, 1, F) biases, parameters in a dict, gradients in a list",
    "dropout": "train/eval by keyword, backward only in train mode",
    "cross_entropy": "one-hot 2-D labels only, loss summed over the batch (named variant reduction=sum)",
    "softmax_cross_entropy": "functions, index labels only, batches of 2 or more, loss-style gradient",
    "sgd": "update(params, grads) on dicts",
    "momentum": "update(params, grads) on lists, state on the object",
    "adam": "step() then opt(w, g, name), renamed hyper-parameters",
    "rmsprop": "CS231n config dict returned",
    "he_init": "a function of the weight shape, float64 only",
}


@pytest.mark.parametrize("comp", sorted(SHAPES))
def test_each_api_shape_grades_a_correct_library(lib_root, comp):
    graded = grade_submission(lib_root, components=[comp], seed=0, max_examples=25)
    assert statuses(graded) == {comp: "pass"}, (SHAPES[comp], failing(graded))
    if comp == "cross_entropy":  # the named variant is reported by name
        ce = next(c for c in graded["components"] if c["name"] == "cross_entropy")
        mob = next(p for p in ce["properties"] if p["name"] == "mean_over_batch")
        assert mob["variant"]["reduction"] == "sum"


def test_mode_by_method_and_by_attribute(tmp_path):
    by_method = ('[components.dropout]\nclass = "vlib.layers:Dropout"\ninit = {rate = "$p"}\ngrad = "backward"\n'
                 'args = ["x"]\nmode = {by = "method", eval = "eval"}\nbackward_modes = ["train"]\n')
    by_flag = by_method.replace('mode = {by = "method", eval = "eval"}',
                                'mode = {by = "attribute", name = "training", train = true, eval = false}')
    for i, m in enumerate((by_method, by_flag)):
        root = write_lib(str(tmp_path / str(i)), m)
        r = grade_submission(root, seed=0, max_examples=15)
        assert statuses(r) == {"dropout": "pass"}, failing(r)


def test_parameters_by_constructor_and_gradients_in_a_dict(tmp_path):
    m = ('[components.affine]\nclass = "vlib.layers:DenseInit"\nparams_at = "init"\nparams = {W = "w", b = "b"}\n'
         'call = "__call__"\ngrad = "grad"\ngrads_at = "grads"\ngrads = {W = "w", b = "b"}\nargs = ["x"]\n'
         'restrict = {ndim = 2}\n')
    r = grade_submission(write_lib(str(tmp_path), m), seed=0, max_examples=15)
    assert statuses(r) == {"affine": "pass"}, failing(r)


def test_wrong_derivative_and_uncorrected_truncated_normal_are_caught(tmp_path):
    m = (f'[components.leaky_relu]\nclass = "vlib.acts:BadLeaky"\ninit = {{alpha = 0.01}}\n{ACT}\n'
         '[components.he_init]\nforward = "vlib.init:he_truncated_uncorrected"\nargs = [["$fan_in", "$fan_out"]]\n'
         'restrict = {dtype = "float64"}\n')
    r = grade_submission(write_lib(str(tmp_path), m), seed=0, max_examples=25)
    assert statuses(r) == {"leaky_relu": "fail", "he_init": "fail"}
    he = next(c for c in r["components"] if c["name"] == "he_init")
    msg = next(p["message"] for p in he["properties"] if p["name"] == "variance_in_confidence_interval")
    assert "distribution=truncated_uncorrected, which is not accepted" in msg


def test_keras_truncated_normal_is_an_accepted_variant(tmp_path):
    m = ('[components.he_init]\nforward = "vlib.init:he_truncated_keras"\nargs = [["$fan_in", "$fan_out"]]\n'
         'restrict = {dtype = "float64"}\n')
    r = grade_submission(write_lib(str(tmp_path), m), seed=0, max_examples=25)
    assert statuses(r) == {"he_init": "pass"}, failing(r)


# -- restrictions map the drawn cases (generation), they do not reject them -----------------------------

def test_restrict_case_maps_labels_shapes_batch_and_dtype():
    c = Case({"y": np.full(3, 1 / 3)}, {"t": np.asarray(1)}, {"label_format": "index"})
    r = restrict_case(c, {"labels": "one_hot", "ndim": 2}, {})
    assert r["y"].shape == (1, 3) and r["t"].tolist() == [[0.0, 1.0, 0.0]] and r.hp["label_format"] == "one_hot"
    c = Case({"x": np.ones((1, 2, 2))}, {"t": np.array([0])}, {"mode": "eval", "eps": 1e-5})
    r = restrict_case(c, {"batch_min": 2, "ndim": 2, "dtype": "float32"}, {"eps": 1e-3}, train_only=True)
    assert r["x"].shape == (2, 4) and r["x"].dtype == np.float32 and r["t"].tolist() == [0, 0]
    assert r.hp == {"mode": "train", "eps": 1e-3}


# -- every new key is checked in the grading process, one line naming it --------------------------------

BAD = [
    ('class = "nocolon"', "components.relu.class"),
    ('class = "m:C"\nbackward_style = "sideways"', "components.relu.backward_style"),
    ('class = "m:C"\nlayout = {x = "chwn"}', "components.relu.layout.x"),
    ('class = "m:C"\nlayout = {w = "nhwc"}', "components.relu.layout.w"),
    ('class = "m:C"\nmode = {by = "magic"}', "components.relu.mode.by"),
    ('class = "m:C"\nmode = {by = "keyword"}', "components.relu.mode.name"),
    ('class = "m:C"\nrestrict = {labels = "sparse"}', "components.relu.restrict.labels"),
    ('class = "m:C"\nrestrict = {colour = 1}', "components.relu.restrict.colour"),
    ('class = "m:C"\naccept = {grad_at_zero = ["sideways"]}', "components.relu.accept.grad_at_zero"),
    ('class = "m:C"\naccept = {reduction = ["sum"]}', "components.relu.accept.reduction"),
    ('class = "m:C"\noptimizer = {protocol = "telepathy"}', "components.relu.optimizer.protocol"),
    ('class = "m:C"\nprime = 3', "components.relu.prime"),
    ('class = "m:C"\ninit = 3', "components.relu.init"),
    ('class = "m:C"\nbackward_modes = ["sometimes"]', "components.relu.backward_modes"),
    ('class = "m:C"\nparams = {W = 3}', "components.relu.params"),
    ('class = "m:C"\nfrobnicate = 1', "components.relu.frobnicate"),
]


@pytest.mark.parametrize("body,key", BAD, ids=[k for _, k in BAD])
def test_bad_vocabulary_key_is_one_line_naming_it(tmp_path, body, key):
    (tmp_path / "spec_nn.toml").write_text(f"[components.relu]\n{body}\n")
    with pytest.raises(UsageError) as e:
        locate(str(tmp_path), None)
    assert key in str(e.value) and "\n" not in str(e.value)


def test_bad_compat_is_refused(tmp_path):
    (tmp_path / "spec_nn.toml").write_text('compat = ["time_travel"]\n[components.relu]\nforward = "m:f"\n')
    with pytest.raises(UsageError, match="compat"):
        locate(str(tmp_path), None)


def test_a_class_of_the_grader_itself_is_refused(tmp_path):
    from spec_nn.grading import refused_manifest_entries
    m = {"components": {"relu": {"class": "mylib:X", "init": {"f": {"class": "spec_nn.reference.activations:R"}}}}}
    assert "relu" in refused_manifest_entries(m, allow_torch=False)


# -- numpy-ml, through examples/numpy_ml_manifest (a manifest alone: no wrapper module) -------------------

NUMPY_ML_PASS = {"identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softmax", "sum_squared_error",
                 "cross_entropy", "softmax_cross_entropy", "affine", "conv2d", "batch_norm", "spatial_batch_norm",
                 "layer_norm", "sgd", "momentum", "adagrad", "rmsprop", "adam"}
# Real defects of numpy-ml 0.1.2, each confirmed by hand (README, "numpy-ml through a manifest"):
NUMPY_ML_DEFECTS = {
    "max_pool2d::forward_matches_reference",     # zero padding: max of an all-negative border window is 0
    "max_pool2d::backward_matches_reference",    # backward indexes the unpadded X with padded coordinates
    "dropout::backward_matches_reference",       # backward does not apply the mask
    "dropout::does_not_mutate_inputs",           # backward scales dLdy in place
    "he_init::variance_in_confidence_interval",  # truncated normal without std correction: 0.77x
    "xavier_init::variance_in_confidence_interval",
}


def test_numpy_ml_through_a_manifest_alone():
    if importlib.util.find_spec("numpy_ml") is None:
        reason = "numpy-ml is not installed (pip install --no-deps numpy-ml; scripts/setup.sh does)"
        print(f"SKIP numpy-ml: {reason}")
        pytest.skip(reason)
    numpy_ml_result = grade_submission(NUMPY_ML, seed=0)
    assert not [f for f in os.listdir(NUMPY_ML) if f.endswith(".py")], "no wrapper module"
    mapped = {c["name"] for c in numpy_ml_result["components"] if c["status"] != "missing"}
    assert len(mapped) == 24, sorted(mapped)
    st = statuses(numpy_ml_result)
    assert {c for c, s in st.items() if s == "pass"} == NUMPY_ML_PASS, failing(numpy_ml_result)
    fails = set(failing(numpy_ml_result))
    assert NUMPY_ML_DEFECTS <= fails, sorted(NUMPY_ML_DEFECTS - fails)
    assert {f.split("::")[0] for f in fails} == {"max_pool2d", "dropout", "he_init", "xavier_init"}, sorted(fails)
    he = next(c for c in numpy_ml_result["components"] if c["name"] == "he_init")
    assert "distribution=truncated_uncorrected" in he["properties"][-1]["message"]
