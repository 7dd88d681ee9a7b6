"""Issue 7, sections 2 and 3: the adapters call the student's own code paths with the arguments real code gets,
and a dialect's conventions are not bugs.  Each test writes a small tree in the dialect's layout (the failing
student pattern first, then the correct or conventional one) and grades it, or checks a record against a
FunctionImpl through the dialect's view (spec_nn.adapters.for_dialect)."""
import textwrap

import numpy as np
import pytest

from spec_nn.adapters import entries_in, for_dialect
from spec_nn.grading import grade_submission
from spec_nn.impl import FunctionImpl
from spec_nn.reference import activations as aref
from spec_nn.reference import losses as lref
from spec_nn.reference import norms as nref
from spec_nn.registry import get
from spec_nn.runner import check_property

FAST = dict(max_examples=10, seed=0)


def _tree(tmp_path, pkg, files):
    d = tmp_path / pkg
    d.mkdir(parents=True)
    (d / "__init__.py").write_text("")
    for name, text in files.items():
        (d / f"{name}.py").write_text(textwrap.dedent(text))
    return str(tmp_path)


def _graded(res, comp):
    c = next(c for c in res["components"] if c["name"] == comp)
    return c, {p["name"]: p for p in c["properties"]}


def _bad(props):
    return {n: p["message"] for n, p in props.items() if p["status"] in ("fail", "error")}


# ---------------------------------------------------------------------------------------------------------
# Section 2: the student's own code paths

POOL_IGNORES_PAD = '''
import numpy as np


class Pooling:
    def __init__(self, pool_h, pool_w, stride=1, pad=0):
        self.ph, self.pw, self.stride, self.pad = pool_h, pool_w, stride, pad

    def forward(self, x):
        n, c, h, w = x.shape
        oh = (h - self.ph) // self.stride + 1          # forgets the pad it was given
        ow = (w - self.pw) // self.stride + 1
        out = np.empty((n, c, oh, ow), dtype=x.dtype)
        for i in range(oh):
            for j in range(ow):
                win = x[:, :, i * self.stride:i * self.stride + self.ph, j * self.stride:j * self.stride + self.pw]
                out[:, :, i, j] = win.max(axis=(2, 3))
        self.x = x
        return out

    def backward(self, dout):
        x, dx = self.x, np.zeros_like(self.x)
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3]):
                sl = (slice(None), slice(None), slice(i * self.stride, i * self.stride + self.ph),
                      slice(j * self.stride, j * self.stride + self.pw))
                win = x[sl].reshape(x.shape[0], x.shape[1], -1)
                k = win.argmax(axis=2)
                m = np.zeros_like(win)
                np.put_along_axis(m, k[..., None], 1.0, axis=2)
                dx[sl] += (m * dout[:, :, i, j][..., None]).reshape(x[sl].shape)
        return dx
'''

POOL_PADS = POOL_IGNORES_PAD.replace(
    "        n, c, h, w = x.shape\n",
    "        self.x0 = x\n        x = np.pad(x, ((0, 0), (0, 0), (self.pad,) * 2, (self.pad,) * 2), constant_values=-np.inf)\n"
    "        n, c, h, w = x.shape\n").replace(
    "        return dx\n",
    "        p = self.pad\n        return dx[:, :, p:dx.shape[2] - p, p:dx.shape[3] - p]\n").replace(
    "# forgets the pad it was given", "# x is padded above")


def test_book_pooling_runs_the_students_pad_path(tmp_path):
    """Pooling(pool_h, pool_w, stride, pad) is built with pad >= 1 when the case has it: a layer that ignores
    its pad is caught (the grader used to pad x itself and pass pad=0), one that pads with -inf passes."""
    res = grade_submission(_tree(tmp_path / "a", "common", {"layers": POOL_IGNORES_PAD}), style="book",
                           components=["max_pool2d"], **FAST)
    _, props = _graded(res, "max_pool2d")
    bad = _bad(props)
    # one padding bug, one property: the others draw pad = 0 in the book dialect (audit class L3)
    assert set(bad) == {"pads_with_neg_inf"}, bad
    assert "pad=" in props["pads_with_neg_inf"]["example"] and "pad=0" not in props["pads_with_neg_inf"]["example"]
    res = grade_submission(_tree(tmp_path / "b", "common", {"layers": POOL_PADS}), style="book",
                           components=["max_pool2d"], **FAST)
    c, props = _graded(res, "max_pool2d")
    assert c["status"] == "pass", _bad(props)


SWL = '''
import numpy as np


class SoftmaxWithLoss:
    def forward(self, x, t):
        z = x - x.max(axis=1, keepdims=True)
        self.y = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        self.t = t if t.ndim == 1 else t.argmax(axis=1)
        n = x.shape[0]
        return -np.mean(z[np.arange(n), self.t] - np.log(np.exp(z).sum(axis=1)))

    def backward(self, dout=1):
        dx = self.y.copy()
        dx[np.arange(len(self.t)), self.t] -= 1
        return dx / len(self.t){scale}
'''


@pytest.mark.parametrize("scale,ok", [("", False), (" * dout", True)])
def test_loss_backward_gets_an_upstream_gradient_other_than_one(tmp_path, scale, ok):
    """SoftmaxWithLoss.backward(dout) that ignores dout is a real bug: the upstream gradient of a loss is 1.5."""
    res = grade_submission(_tree(tmp_path, "common", {"layers": SWL.replace("{scale}", scale)}), style="book",
                           components=["softmax_cross_entropy"], **FAST)
    c, props = _graded(res, "softmax_cross_entropy")
    if ok:
        assert c["status"] == "pass", _bad(props)
    else:
        assert set(_bad(props)) == {"backward_matches_reference", "backward_matches_finite_differences"}


SOFTMAX_2D_ONLY = '''
import numpy as np


def softmax(x):
    if x.ndim == 2:
        z = x - x.max(axis=1, keepdims=True)
        return np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    z = x - np.max(x)
    return np.exp(z) / np.sum(np.exp(z))
'''

SOFTMAX_LAST_AXIS = '''
import numpy as np


def softmax(x):
    z = x - x.max(axis=-1, keepdims=True)
    return np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)
'''

SOFTMAX_LAYER = '''
import numpy as np


class Softmax:
    def forward(self, x):
        z = x - x.max(axis=1, keepdims=True)
        self.out = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        return self.out

    def backward(self, dout):
        dx = self.out * dout
        return dx - self.out * dx.sum(axis=1, keepdims=True)
'''


def test_book_softmax_function_is_called_on_nd_input(tmp_path):
    """functions.softmax is called on N-D input itself (last axis), not on reshaped rows, also when a Softmax
    layer class exists (then it is a further entry point of softmax)."""
    res = grade_submission(_tree(tmp_path / "a", "common", {"functions": SOFTMAX_2D_ONLY}), style="book",
                           components=["softmax"], **FAST)
    _, props = _graded(res, "softmax")
    assert "forward_matches_reference" in _bad(props)  # reshaped into rows, as before, it would pass
    res = grade_submission(_tree(tmp_path / "b", "common", {"functions": SOFTMAX_2D_ONLY, "layers": SOFTMAX_LAYER}),
                           style="book", components=["softmax"], **FAST)
    c, props = _graded(res, "softmax")
    assert "functions.softmax" in c["api"]
    assert "forward_matches_reference" in _bad(props) and "entry='functions.softmax'" in \
        props["forward_matches_reference"]["example"]
    res = grade_submission(_tree(tmp_path / "c", "common", {"functions": SOFTMAX_LAST_AXIS, "layers": SOFTMAX_LAYER}),
                           style="book", components=["softmax"], **FAST)
    c, props = _graded(res, "softmax")
    assert c["status"] == "pass", _bad(props)


RELU_LAYER = '''
import numpy as np


class Relu:
    def forward(self, x):
        self.mask = x <= 0
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        dx = dout.copy()
        dx[self.mask] = 0
        return dx
'''

HELPERS = '''
import numpy as np


def relu(x):
    return np.maximum(0, x)


def relu_grad(x):
{relu_grad}


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def sigmoid_grad(x):
{sigmoid_grad}
'''


def _helpers(relu_grad, sigmoid_grad):
    return HELPERS.replace("{relu_grad}", relu_grad).replace("{sigmoid_grad}", sigmoid_grad)


def test_book_derivative_helpers_are_entry_points(tmp_path):
    """relu_grad and sigmoid_grad are graded as entry points of relu/sigmoid backward (dout * f'(x)) next to the
    layer class: relu_grad's ReLU'(0) = 1 costs relu::grad_at_zero only; a relu_grad that cannot even allocate
    its output (np.zeros of an array) and a sigmoid_grad without (1 - y) are caught."""
    ok_sigmoid = "    s = sigmoid(x)\n    return s * (1 - s)"
    conventional = _helpers("    g = np.zeros_like(x)\n    g[x >= 0] = 1\n    return g", ok_sigmoid)
    res = grade_submission(_tree(tmp_path / "a", "common", {"functions": conventional, "layers": RELU_LAYER}),
                           style="book", components=["relu", "sigmoid"], **FAST)
    c, props = _graded(res, "relu")
    assert "functions.relu_grad" in c["api"] and entries_in(c["api"]) == ("functions.relu_grad",)
    assert set(_bad(props)) == {"grad_at_zero"}, _bad(props)
    assert "entry='functions.relu_grad'" in props["grad_at_zero"]["example"]
    c, props = _graded(res, "sigmoid")
    assert c["status"] == "pass", _bad(props)

    broken = _helpers("    g = np.zeros(x)\n    g[x > 0] = 1\n    return g", "    return sigmoid(x)")
    res = grade_submission(_tree(tmp_path / "b", "common", {"functions": broken, "layers": RELU_LAYER}),
                           style="book", components=["relu", "sigmoid"], **FAST)
    _, props = _graded(res, "relu")
    assert "backward_matches_reference" in _bad(props)
    _, props = _graded(res, "sigmoid")
    assert {"backward_matches_reference", "derivative_at_most_quarter"} <= set(_bad(props))


BN_ALT = '''
import numpy as np


def batchnorm_forward(x, gamma, beta, bn_param):
    eps, momentum = bn_param.get("eps", 1e-5), bn_param.get("momentum", 0.9)
    rm = bn_param.get("running_mean", np.zeros(x.shape[1]))
    rv = bn_param.get("running_var", np.zeros(x.shape[1]))
    if bn_param["mode"] == "train":
        mu, var = x.mean(axis=0), x.var(axis=0)
        xhat = (x - mu) / np.sqrt(var + eps)
        bn_param["running_mean"] = momentum * rm + (1 - momentum) * mu
        bn_param["running_var"] = momentum * rv + (1 - momentum) * var
        return gamma * xhat + beta, (xhat, np.sqrt(var + eps), gamma)
    bn_param["running_mean"], bn_param["running_var"] = rm, rv
    return gamma * (x - rm) / np.sqrt(rv + eps) + beta, None


def batchnorm_backward(dout, cache):
    xhat, std, gamma = cache
    n = dout.shape[0]
    dxhat = dout * gamma
    dx = (n * dxhat - dxhat.sum(axis=0) - xhat * (dxhat * xhat).sum(axis=0)) / (n * std)
    return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)


def batchnorm_backward_alt(dout, cache):
{alt}
'''


@pytest.mark.parametrize("alt,ok", [("    return None", False),
                                    ("    dx, dg, db = batchnorm_backward(dout, cache)\n    return dx * 1.01, dg, db", False),
                                    ("    return batchnorm_backward(dout, cache)", True)])
def test_cs231n_batchnorm_backward_alt_is_a_second_entry_point(tmp_path, alt, ok):
    """A stub batchnorm_backward_alt (returning None) fails batch_norm, so does a wrong one; a right one passes."""
    res = grade_submission(_tree(tmp_path, "cs231n", {"layers": BN_ALT.replace("{alt}", alt)}), style="cs231n",
                           components=["batch_norm"], **FAST)
    c, props = _graded(res, "batch_norm")
    assert entries_in(c["api"]) == ("batchnorm_backward_alt",)
    if ok:
        assert c["status"] == "pass", _bad(props)
    else:
        bad = {n: props[n] for n in _bad(props)}
        assert set(bad) & {"backward_matches_reference", "backward_matches_finite_differences"}, bad
        assert all("entry='batchnorm_backward_alt'" in p["example"] for p in bad.values()), bad


def test_numerical_gradient_of_an_integer_array():
    """x + h written into an integer x truncates: the course loops return zeros.  A float gradient at float(x)
    or a clear error passes (the records' mutants cover both sides; here the specification's own answer)."""
    comp = get("numerical_gradient")
    from spec_nn.reference import gradient as gref
    from spec_nn.record import Case
    case = Case({"x": np.array([1, -2, 3])}, hp={"f": "sum_squares", "h": 1e-4})
    got = comp.forward(case, {})
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, [2.0, -4.0, 6.0], rtol=1e-8)

    def truncating(c):
        x = c["x"]
        g = np.zeros_like(x)
        for i in range(x.size):
            t = x[i]
            x[i] = t + c["h"]
            fp = gref.function(c["f"])(x)
            x[i] = t - c["h"]
            fm = gref.function(c["f"])(x)
            x[i] = t
            g[i] = (fp - fm) / (2 * c["h"])
        return g
    v = check_property(comp, "integer_input", FunctionImpl(comp, truncating), **FAST)
    assert v.status == "fail" and "float gradient" in v.message


def test_cross_entropy_with_an_exact_zero_at_the_true_class():
    """Probabilities with y[t] == 0 exactly are drawn: log(y) without the book's 1e-7 is inf, a failure of
    finite_outputs (and of nothing else: delta=pytorch stays an accepted forward variant)."""
    comp = get("cross_entropy")
    no_delta = FunctionImpl(comp, lambda c: lref.cross_entropy(c["y"], c["t"], 0.0),
                            lambda c, d: {"y": lref.cross_entropy_backward(d, c["y"], c["t"], 0.0)})
    v = check_property(comp, "finite_outputs", no_delta, **FAST)
    assert v.status == "fail" and "inf" in v.message and "should be finite" in v.message
    assert check_property(comp, "forward_matches_reference", no_delta, **FAST).status == "pass"
    book = FunctionImpl(comp, lambda c: lref.cross_entropy(c["y"], c["t"]),
                        lambda c, d: {"y": lref.cross_entropy_backward(d, c["y"], c["t"])})
    assert check_property(comp, "finite_outputs", book, **FAST).status == "pass"


# ---------------------------------------------------------------------------------------------------------
# Section 3: dialect conventions are not bugs

CS_CONV_POOL = '''
import numpy as np


def conv_forward_naive(x, w, b, conv_param):
    s, p = conv_param["stride"], conv_param["pad"]
    n, c, h, wd = x.shape
    f, _, hh, ww = w.shape
    assert (h + 2 * p - hh) % s == 0 and (wd + 2 * p - ww) % s == 0, "the docstring's assumption"
    oh, ow = 1 + (h + 2 * p - hh) // s, 1 + (wd + 2 * p - ww) // s
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    out = np.zeros((n, f, oh, ow), dtype=x.dtype)
    for i in range(oh):
        for j in range(ow):
            out[:, :, i, j] = np.tensordot(xp[:, :, i * s:i * s + hh, j * s:j * s + ww], w, axes=([1, 2, 3], [1, 2, 3])) + b
    return out, (x, w, b, conv_param)


def conv_backward_naive(dout, cache):
    x, w, b, conv_param = cache
    s, p = conv_param["stride"], conv_param["pad"]
    hh, ww = w.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            win = xp[:, :, i * s:i * s + hh, j * s:j * s + ww]
            dw += np.tensordot(dout[:, :, i, j], win, axes=([0], [0]))
            dxp[:, :, i * s:i * s + hh, j * s:j * s + ww] += np.tensordot(dout[:, :, i, j], w, axes=([1], [0]))
    return dxp[:, :, p:p + x.shape[2], p:p + x.shape[3]], dw, dout.sum(axis=(0, 2, 3))


def max_pool_forward_naive(x, pool_param):
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    n, c, h, w = x.shape
    assert (h - ph) % s == 0 and (w - pw) % s == 0, "the docstring's assumption"
    oh, ow = 1 + (h - ph) // s, 1 + (w - pw) // s
    out = np.zeros((n, c, oh, ow), dtype=x.dtype)
    for i in range(oh):
        for j in range(ow):
            out[:, :, i, j] = x[:, :, i * s:i * s + ph, j * s:j * s + pw].max(axis=(2, 3))
    return out, (x, pool_param)


def max_pool_backward_naive(dout, cache):
    x, pool_param = cache
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    dx = np.zeros_like(x)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            win = x[:, :, i * s:i * s + ph, j * s:j * s + pw].reshape(x.shape[0], x.shape[1], -1)
            m = np.zeros_like(win)
            np.put_along_axis(m, win.argmax(axis=2)[..., None], 1.0, axis=2)
            dx[:, :, i * s:i * s + ph, j * s:j * s + pw] += (m * dout[:, :, i, j][..., None]).reshape(
                x.shape[0], x.shape[1], ph, pw)
    return dx
'''


def test_cs231n_draws_divisible_geometries_and_no_pool_padding(tmp_path):
    """The docstrings "assume (H - HH) % stride == 0" and max_pool has no pad: code asserting the assumption is
    not accused; the cases drawn hold it (the floor formula stays the specification for other dialects)."""
    res = grade_submission(_tree(tmp_path, "cs231n", {"layers": CS_CONV_POOL}), style="cs231n",
                           components=["conv2d", "max_pool2d"], **FAST)
    for name in ("conv2d", "max_pool2d"):
        c, props = _graded(res, name)
        assert c["status"] == "pass", (name, _bad(props))
    comp, _ = for_dialect(get("max_pool2d"), "cs231n")
    from hypothesis import given, settings

    @settings(max_examples=40, database=None, deadline=None)
    @given(comp.cases(dtype=np.float64, smooth=False))
    def divisible(case):
        h, w = case["x"].shape[2:]
        assert case["pad"] == 0 and (h - case["pool_h"]) % case["stride"] == 0
        assert (w - case["pool_w"]) % case["stride"] == 0
    divisible()


AFFINE_2D = '''
import numpy as np


class Affine:
    def __init__(self, W, b):
        self.params, self.grads = [W, b], [np.zeros_like(W), np.zeros_like(b)]

    def forward(self, x):
        W, b = self.params
        self.x = x
        return np.dot(x, W) + b

    def backward(self, dout):
        W, b = self.params
        self.grads[0][...] = np.dot(self.x.T, dout)
        self.grads[1][...] = np.sum(dout, axis=0)
        return np.dot(dout, W.T)
'''


def test_book2_affine_is_2d_by_design(tmp_path):
    """Book 2's Affine takes (N, D): only flattens_nd_input concerns N-D input."""
    res = grade_submission(_tree(tmp_path, "common", {"layers": AFFINE_2D}), style="book",
                           components=["affine"], **FAST)
    _, props = _graded(res, "affine")
    assert set(_bad(props)) == {"flattens_nd_input"}, _bad(props)


BOOK_BN = '''
import numpy as np


class BatchNormalization:
    def __init__(self, gamma, beta, momentum=0.9, running_mean=None, running_var=None):
        self.gamma, self.beta, self.momentum = gamma, beta, momentum
        self.running_mean, self.running_var = running_mean, running_var

    def forward(self, x, train_flg=True):
        if self.running_mean is None:
            self.running_mean, self.running_var = np.zeros(x.shape[1]), np.zeros(x.shape[1])
        if train_flg:
            mu = x.mean(axis=0)
            self.xc = x - mu
            var = (self.xc ** 2).mean(axis=0)
            self.std = np.sqrt(var + EPS)
            self.xn = self.xc / self.std
            self.n = x.shape[0]
            self.running_mean = self.momentum * self.running_mean + (1 - self.momentum) * mu
            self.running_var = self.momentum * self.running_var + (1 - self.momentum) * var
        else:
            self.xn = (x - self.running_mean) / np.sqrt(self.running_var + EPS)
        return self.gamma * self.xn + self.beta

    def backward(self, dout):
        self.dbeta = dout.sum(axis=0)
        self.dgamma = (self.xn * dout).sum(axis=0)
        dxn = self.gamma * dout
        return (dxn - dxn.mean(axis=0) - self.xn * (dxn * self.xn).mean(axis=0)) / self.std
'''


@pytest.mark.parametrize("eps,name", [("1e-5", "1e-5"), ("10e-7", "1e-6"), ("1e-8", "1e-8")])
def test_book_batchnorm_hard_coded_eps_is_a_named_variant(tmp_path, eps, name):
    """The book's BatchNormalization cannot take eps: the named value that explains its output is reported as
    the matched variant, and a correct layer is never failed for its eps."""
    res = grade_submission(_tree(tmp_path, "common", {"layers": f"EPS = {eps}\n" + BOOK_BN}), style="book",
                           components=["batch_norm"], **FAST)
    c, props = _graded(res, "batch_norm")
    assert c["status"] == "pass", _bad(props)
    assert props["forward_matches_reference"]["variant"]["eps"] == name


def test_hard_coded_eps_variants_collapse_where_eps_is_passed():
    """Where eps is passed in (CS231n, PyTorch), ignoring it is still a bug: the named values are not readings."""
    comp = get("batch_norm")

    def fixed_eps(c):
        return nref.batch_norm(c["x"], c["gamma"], c["beta"], c["running_mean"], c["running_var"], mode=c["mode"],
                               eps=1e-5, momentum=c["momentum"])
    v = check_property(comp, "forward_matches_reference", FunctionImpl(comp, fixed_eps), **FAST)
    assert v.status == "fail"
    book, accept = for_dialect(comp, "book")
    v = check_property(book, "forward_matches_reference", FunctionImpl(comp, fixed_eps), accept=accept, **FAST)
    assert v.status == "pass" and v.variant["eps"] == "1e-5"


DROPOUT = '''
import numpy as np


def dropout_forward(x, dropout_param):
    """
    Inputs:
    - dropout_param: A dictionary with the following keys:
      - p: Dropout parameter. We {verb} each neuron output with probability p.
    """
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    mask = None
    if mode == "train":
        mask = (np.random.rand(*x.shape) {cmp} p) / {scale}
        out = (x * mask).astype(x.dtype)
    else:
        out = x
    return out, (dropout_param, mask)


def dropout_backward(dout, cache):
    dropout_param, mask = cache
    return (dout * mask).astype(dout.dtype) if dropout_param["mode"] == "train" else dout
'''

KEEP = dict(cmp="<", scale="p")        # p keeps
DROP = dict(cmp=">=", scale="(1 - p)")  # p drops


def _dropout(verb, code):
    text = DROPOUT.replace("{cmp}", code["cmp"]).replace("{scale}", code["scale"])
    if verb is None:
        return text.replace(text[text.index('    """'):text.index('    p, mode')], "")
    return text.replace("{verb}", verb)


@pytest.mark.parametrize("verb,code,ok,reading", [
    ("drop", DROP, True, "drop"),   # 2016/2017 docstring, code as documented
    ("keep", KEEP, True, "keep"),   # 2018+ docstring
    (None, DROP, True, None),       # undocumented: both readings accepted, the match used
    ("keep", DROP, False, "keep"),  # the code contradicts its own docstring: a genuine failure
])
def test_cs231n_dropout_p_read_from_the_docstring(tmp_path, verb, code, ok, reading):
    res = grade_submission(_tree(tmp_path, "cs231n", {"layers": _dropout(verb, code)}), style="cs231n",
                           components=["dropout"], **FAST)
    c, props = _graded(res, "dropout")
    assert (c["status"] == "pass") == ok, _bad(props)
    if reading:
        assert f"p = {reading} probability" in c["api"]
    else:
        assert "undocumented" in c["api"]
    if not ok:
        assert "drop_share_matches_p" in _bad(props)


def test_book_step_function_int_output_is_a_named_variant():
    """np.array(x > 0, dtype=int) is accepted in the book dialect and named; a bool array is not, nor is int
    outside the book dialect (its own property, preserves_dtype, is the only one it touches)."""
    comp = get("step")
    as_int = FunctionImpl(comp, lambda c: np.array(c["x"] > 0, dtype=int), lambda c, d: {"x": np.zeros_like(c["x"])})
    book, accept = for_dialect(comp, "book")
    v = check_property(book, "preserves_dtype", as_int, accept=accept, **FAST)
    assert v.status == "pass" and v.variant == {"output_dtype": "int"}
    v = check_property(comp, "preserves_dtype", as_int, **FAST)
    assert v.status == "fail" and "output_dtype=int, which is not accepted" in v.message
    for prop in comp.property_names:
        if prop != "preserves_dtype":
            assert check_property(comp, prop, as_int, **FAST).status == "pass", prop
    as_bool = FunctionImpl(comp, lambda c: c["x"] > 0, lambda c, d: {"x": np.zeros_like(c["x"])})
    assert check_property(book, "preserves_dtype", as_bool, accept=accept, **FAST).status == "fail"


@pytest.mark.parametrize("name,fwd,bwd,own", [
    ("relu", lambda c: aref.relu(c["x"]), lambda c, d: {"x": d * (c["x"] >= 0)}, "grad_at_zero"),
    ("relu", lambda c: aref.relu(c["x"]), lambda c, d: {"x": d * np.where(c["x"] > 0, 1.0, np.where(c["x"] == 0, .3, 0))},
     "grad_at_zero"),
    ("leaky_relu", lambda c: aref.leaky_relu(c["x"]), lambda c, d: {"x": d * np.where(c["x"] >= 0, 1.0, 0.01)},
     "grad_at_zero"),
    ("svm_loss", lambda c: lref.svm_loss(c["x"], c["t"]),
     lambda c, d: {"x": lref.svm_loss_backward(d, c["x"], c["t"], "one")}, "zero_when_margins_satisfied"),
])
def test_a_convention_at_a_kink_costs_its_own_property_only(name, fwd, bwd, own):
    """ReLU'(0) = 1 (or any value in the subdifferential) loses relu::grad_at_zero, not backward_matches_reference
    as well; every other check accepts any subgradient at exactly the kink."""
    comp = get(name)
    impl = FunctionImpl(comp, fwd, bwd)
    failing = [p for p in comp.property_names if check_property(comp, p, impl, **FAST).status != "pass"]
    assert failing == [own]
    outside = FunctionImpl(comp, fwd, lambda c, d: {k: v * 1.5 if k == "x" else v for k, v in bwd(c, d).items()})
    assert check_property(comp, "backward_matches_reference", outside, **FAST).status == "fail"
