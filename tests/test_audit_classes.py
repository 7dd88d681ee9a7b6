"""Failure classes the real-code audit's final re-run left open (docs/real_code_audit.md), each written as a
small submission in our own words: a book 2 softmax that is 2-D by design (L2), functions named with the
``_function`` suffix (C10), one-hot-only losses and models (B7), the book Pooling's pad bug costing one property
(L3), a zero-gradient backward stub (C9) and float64 buffers in every course layer (L5)."""
import textwrap

from spec_nn.grading import grade_submission

FAST = dict(max_examples=8, seed=0)


def tree(root, files: dict, package="common") -> str:
    pkg = root / package
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    for name, text in files.items():
        (pkg / f"{name}.py").write_text("import numpy as np\n" + textwrap.dedent(text))
    return str(root)


def graded(res, name):
    c = next(c for c in res["components"] if c["name"] == name)
    return c, {p["name"]: p for p in c["properties"]}


def bad(props):
    return {n for n, p in props.items() if p["status"] in ("fail", "error")}


# Book 2's functions.softmax: 2-D rows or one 1-D sample, by design (a 3-D x comes back unchanged).
BOOK2_SOFTMAX = '''
def softmax(x):
    if x.ndim == 2:
        x = x - x.max(axis=1, keepdims=True)
        x = np.exp(x)
        x /= x.sum(axis=1, keepdims=True)
    elif x.ndim == 1:
        x = x - np.max(x)
        x = np.exp(x) / np.sum(np.exp(x))
    return x
'''
BOOK2_LAYERS = '''
from common.functions import softmax


class Softmax:
    def __init__(self):
        self.params, self.grads = [], []
        self.out = None

    def forward(self, x):
        self.out = softmax(x)
        return self.out

    def backward(self, dout):
        dx = self.out * dout
        sumdx = np.sum(dx, axis=1, keepdims=True)
        dx -= self.out * sumdx
        return dx
'''
BOOK1_LAYERS = BOOK2_LAYERS.replace("self.params, self.grads = [], []", "pass")


def test_book2_softmax_function_is_drawn_as_rows(tmp_path):
    """L2: in a book 2 tree (layers keep params/grads lists) functions.softmax is graded on 2-D rows; the same
    function in a book 1 tree is graded on N-D input (book 1's later printings: the last axis), and fails."""
    res = grade_submission(tree(tmp_path / "b2", {"functions": BOOK2_SOFTMAX, "layers": BOOK2_LAYERS}),
                           style="book", components=["softmax"], **FAST)
    c, props = graded(res, "softmax")
    assert c["status"] == "pass", {n: props[n]["message"] for n in bad(props)}
    assert "functions.softmax" in c["api"]
    res = grade_submission(tree(tmp_path / "b1", {"functions": BOOK2_SOFTMAX, "layers": BOOK1_LAYERS}),
                           style="book", components=["softmax"], **FAST)
    c, props = graded(res, "softmax")
    assert "forward_matches_reference" in bad(props)
    assert "entry='functions.softmax'" in props["forward_matches_reference"]["example"]


FUNCTION_SUFFIX = '''
def softmax_function(a):
    a = a - np.max(a, axis=-1, keepdims=True)
    return np.exp(a) / np.sum(np.exp(a), axis=-1, keepdims=True)


def cross_entropy_error_function(y, t):
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    return -np.sum(t * np.log(y + 1e-7)) / y.shape[0]      # one-hot t only (the book's first form)


def identity(x):
    return x
'''


def test_function_suffix_names_are_found_and_one_hot_only_costs_label_formats_only(tmp_path):
    """C10: softmax_function / cross_entropy_error_function / identity are the book's functions under the names
    real trees use.  B7: a one-hot-only cross entropy loses label_formats_agree alone (the book's labels are
    one-hot; index labels are a convention)."""
    res = grade_submission(tree(tmp_path, {"functions": FUNCTION_SUFFIX}), style="book",
                           components=["softmax", "cross_entropy", "identity"], **FAST)
    for name, api in (("softmax", "softmax_function"), ("cross_entropy", "cross_entropy_error_function"),
                      ("identity", "identity")):
        c, props = graded(res, name)
        assert c["status"] != "missing" and c["api"].endswith(api), (name, c["api"])
    c, props = graded(res, "cross_entropy")
    assert bad(props) == {"label_formats_agree"}, {n: props[n]["message"] for n in bad(props)}
    assert graded(res, "softmax")[0]["status"] == "pass"


ONE_HOT_SOFTMAX_WITH_LOSS = '''
class SoftmaxWithLoss:
    def forward(self, x, t):
        self.t = t
        z = x - x.max(axis=1, keepdims=True)
        self.y = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        return -np.sum(t * np.log(self.y + 1e-7)) / x.shape[0]     # one-hot t only

    def backward(self, dout=1):
        return dout * (self.y - self.t) / self.t.shape[0]
'''


def test_one_hot_only_softmax_with_loss_costs_label_formats_only(tmp_path):
    """B7: every other property of softmax_cross_entropy draws one-hot labels in the book dialect."""
    res = grade_submission(tree(tmp_path, {"layers": ONE_HOT_SOFTMAX_WITH_LOSS}), style="book",
                           components=["softmax_cross_entropy"], **FAST)
    c, props = graded(res, "softmax_cross_entropy")
    assert bad(props) == {"label_formats_agree"}, {n: props[n]["message"] for n in bad(props)}


CS_ZERO_CONV_BACKWARD = '''
def conv_forward_naive(x, w, b, conv_param):
    s, p = conv_param["stride"], conv_param["pad"]
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    N, C, H, W = xp.shape
    F, _, HH, WW = w.shape
    Ho, Wo = 1 + (H - HH) // s, 1 + (W - WW) // s
    out = np.zeros((N, F, Ho, Wo), dtype=x.dtype)
    for i in range(Ho):
        for j in range(Wo):
            win = xp[:, :, i * s:i * s + HH, j * s:j * s + WW]
            out[:, :, i, j] = np.tensordot(win, w, axes=([1, 2, 3], [1, 2, 3])) + b
    return out, (x, w, b, conv_param)


def conv_backward_naive(dout, cache):
    x, w, b, conv_param = cache
    return np.zeros_like(x), np.zeros_like(w), np.zeros_like(b)    # the assignment's TODO, left as a stub
'''


def test_zero_backward_stub_earns_nothing_for_the_properties_that_call_it(tmp_path):
    """C9: a backward returning zeros wherever the reference does not keeps only the points of the properties
    that never call backward (the forward is right: those are earned)."""
    res = grade_submission(tree(tmp_path, {"layers": CS_ZERO_CONV_BACKWARD}, package="cs231n"), style="cs231n",
                           components=["conv2d"], **FAST)
    c, props = graded(res, "conv2d")
    assert {"backward_matches_reference", "backward_matches_finite_differences"} <= bad(props)
    stubbed = {n for n, p in props.items() if p["status"] == "not_implemented"}
    assert {"does_not_mutate_inputs", "finite_outputs"} <= stubbed, props
    assert all(props[n]["earned"] == 0 for n in stubbed | bad(props))
    assert props["forward_matches_reference"]["status"] == "pass" and props["forward_matches_reference"]["earned"] > 0
    assert "backward returns 0 for every gradient" in c["message"]


CS_DROPOUT_FLOAT64 = '''
def dropout_forward(x, dropout_param):
    """p is the probability of keeping a neuron output, as opposed to the probability of dropping."""
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    mask = None
    if mode == "train":
        mask = (np.random.rand(*x.shape) < p) / p       # float64, whatever x is
        out = x * mask
    else:
        out = x
    return out, (dropout_param, mask)


def dropout_backward(dout, cache):
    dropout_param, mask = cache
    return dout * mask if dropout_param["mode"] == "train" else dout
'''


def test_float64_buffers_are_a_warning_in_every_course_layer(tmp_path):
    """L5: a float64 dropout mask (the course's own np.random.rand) is a warning, as in conv and pool."""
    res = grade_submission(tree(tmp_path, {"layers": CS_DROPOUT_FLOAT64}, package="cs231n"), style="cs231n",
                           components=["dropout"], **FAST)
    c, props = graded(res, "dropout")
    assert props["preserves_dtype"]["status"] == "warn" and props["preserves_dtype"]["points"] == 0
    assert not bad(props), {n: props[n]["message"] for n in bad(props)}


ONE_HOT_NET = {
    "layers": ONE_HOT_SOFTMAX_WITH_LOSS + """

class Affine:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW, self.db = self.x.T @ dout, dout.sum(axis=0)
        return dout @ self.W.T
""",
}
ONE_HOT_TWO_LAYER_NET = '''
import numpy as np
from common.layers import Affine, SoftmaxWithLoss


class TwoLayerNet:
    """ch05's TwoLayerNet without the ReLU (a linear two-layer net), fed one-hot labels like the book's ch05."""
    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01):
        self.params = {"W1": weight_init_std * np.random.randn(input_size, hidden_size),
                       "b1": np.zeros(hidden_size),
                       "W2": weight_init_std * np.random.randn(hidden_size, output_size),
                       "b2": np.zeros(output_size)}
        self.a1, self.a2 = Affine(self.params["W1"], self.params["b1"]), Affine(self.params["W2"], self.params["b2"])
        self.last = SoftmaxWithLoss()

    def predict(self, x):
        return self.a2.forward(self.a1.forward(x))

    def loss(self, x, t):
        return self.last.forward(self.predict(x), t)

    def gradient(self, x, t):
        self.loss(x, t)
        self.a1.backward(self.a2.backward(self.last.backward(1)))
        return {"W1": self.a1.dW, "b1": self.a1.db, "W2": self.a2.dW, "b2": self.a2.db}
'''


def test_a_one_hot_only_book_model_is_fed_one_hot_labels(tmp_path):
    """B7 at model level: the model's loss takes one-hot rows only (ch05 trains on one-hot labels), so the
    grader gives it one-hot labels (found on a model of its own) and its gradients are judged, not its labels."""
    root = tree(tmp_path, ONE_HOT_NET)
    (tmp_path / "two_layer_net.py").write_text(ONE_HOT_TWO_LAYER_NET)
    res = grade_submission(root, style="book", components=["two_layer_net"], **FAST)
    c, props = graded(res, "two_layer_net")
    assert "gradient_check" in props and props["gradient_check"]["status"] == "pass", props["gradient_check"]
    assert not any("broadcast" in p["message"] or "index" in p["message"] for p in props.values()), props


CS_POOL_ALL_TIES = '''
def max_pool_forward_naive(x, pool_param):
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H, W = x.shape
    Ho, Wo = 1 + (H - ph) // s, 1 + (W - pw) // s
    out = np.zeros((N, C, Ho, Wo), dtype=x.dtype)
    for i in range(Ho):
        for j in range(Wo):
            out[:, :, i, j] = x[:, :, i * s:i * s + ph, j * s:j * s + pw].max(axis=(2, 3))
    return out, (x, pool_param)


def max_pool_backward_naive(dout, cache):
    x, pool_param = cache
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    dx = np.zeros_like(x)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            win = x[:, :, i * s:i * s + ph, j * s:j * s + pw]
            mask = win == win.max(axis=(2, 3), keepdims=True)          # every tied maximum
            dx[:, :, i * s:i * s + ph, j * s:j * s + pw] += mask * dout[:, :, i, j][:, :, None, None]
    return dx
'''


def test_pool_tie_routing_costs_its_own_property_only(tmp_path):
    """B6: a mask x == max (every tied maximum gets the gradient) loses ties_route_to_first_max, which names the
    variant; backward_matches_reference accepts any routing among tied maxima."""
    res = grade_submission(tree(tmp_path, {"layers": CS_POOL_ALL_TIES}, package="cs231n"), style="cs231n",
                           components=["max_pool2d"], max_examples=25, seed=0)
    c, props = graded(res, "max_pool2d")
    assert bad(props) == {"ties_route_to_first_max"}, {n: props[n]["message"] for n in bad(props)}
    assert "ties=all" in props["ties_route_to_first_max"]["message"]


TORCH_HELPER = '''
import torch                      # used by one helper only (a student's edited fast_layers.py)
import torch.nn as nn


def conv_forward_pytorch(x, w, b, conv_param):
    layer = nn.Conv2d(1, 1, 1)
    return layer(torch.tensor(x)).detach().numpy(), None
'''
CS_RELU_IMPORTING_HELPER = '''
from cs231n.fast_layers import conv_forward_pytorch   # imported, never called by relu


def relu_forward(x):
    return np.maximum(x, 0), x


def relu_backward(dout, cache):
    return dout * (cache > 0)
'''


def test_an_unused_torch_import_costs_nothing_and_using_torch_is_an_error(tmp_path):
    """L6: importing torch gives a stand-in; only calling it fails, for the component that calls it."""
    root = tree(tmp_path, {"layers": CS_RELU_IMPORTING_HELPER, "fast_layers": TORCH_HELPER}, package="cs231n")
    res = grade_submission(root, style="cs231n", components=["relu"], **FAST)
    c, props = graded(res, "relu")
    assert c["status"] == "pass", {n: props[n]["message"] for n in bad(props)}
    (tmp_path / "cs231n" / "layers.py").write_text(
        "import numpy as np\nfrom cs231n.fast_layers import conv_forward_pytorch\n\n"
        "def relu_forward(x):\n    return conv_forward_pytorch(x, x, x, {})[0], x\n")
    res = grade_submission(root, style="cs231n", components=["relu"], **FAST)
    c, props = graded(res, "relu")
    msg = props["forward_matches_reference"]["message"]
    assert c["status"] == "error" and "uses torch, which this course does not allow" in msg, msg


CS_SKELETON = '''
def relu_forward(x):
    out = None
    # TODO: Implement the ReLU forward pass.
    return out, x


def relu_backward(dout, cache):
    dx = None
    return dx


def svm_loss(x, y):
    """Given by the course (a correct multiclass SVM loss)."""
    N = x.shape[0]
    correct = x[np.arange(N), y]
    margins = np.maximum(0, x - correct[:, np.newaxis] + 1.0)
    margins[np.arange(N), y] = 0
    loss = np.sum(margins) / N
    num_pos = np.sum(margins > 0, axis=1)
    dx = np.zeros_like(x)
    dx[margins > 0] = 1
    dx[np.arange(N), y] -= num_pos
    dx /= N
    return loss, dx
'''
CS_OPTIM_SKELETON_T1 = '''
def adam(x, dx, config=None):
    """The 2016/2017 skeleton's defaults (t starts at 1), completed the way students did: t += 1 first."""
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("m", np.zeros_like(x))
    config.setdefault("v", np.zeros_like(x))
    config.setdefault("t", 1)
    t = config["t"] + 1
    m = config["beta1"] * config["m"] + (1 - config["beta1"]) * dx
    v = config["beta2"] * config["v"] + (1 - config["beta2"]) * dx * dx
    mh, vh = m / (1 - config["beta1"] ** t), v / (1 - config["beta2"] ** t)
    next_x = x - config["learning_rate"] * mh / (np.sqrt(vh) + config["epsilon"])
    config["m"], config["v"], config["t"] = m, v, t
    return next_x, config
'''


def test_course_provided_code_is_graded_but_never_counted(tmp_path):
    """B9: an untouched CS231n skeleton earns nothing: svm_loss (given by the course) is graded and shown with a
    note, outside the possible total; the student's stubs are not_implemented.  The skeleton's Adam default
    t = 1 is the course's: the step counter given as 0 explains the outputs, and the variant is named."""
    root = tree(tmp_path, {"layers": CS_SKELETON, "optim": CS_OPTIM_SKELETON_T1}, package="cs231n")
    res = grade_submission(root, style="cs231n", components=["relu", "svm_loss", "adam"], **FAST)
    svm, _ = graded(res, "svm_loss")
    assert svm["status"] == "pass" and not svm["in_style"]
    assert any("course-provided" in n for n in svm.get("notes", []))
    adam, props = graded(res, "adam")
    assert adam["status"] == "pass", {n: props[n]["message"] for n in bad(props)}
    assert adam["adapter_variant"] == {"initial_t": "zero"}
    relu, _ = graded(res, "relu")
    assert relu["status"] == "not_implemented"
    assert res["score"]["earned"] == sum(p["earned"] for p in props.values())  # adam's points only


CS_EMPTY_MODEL = '''
class TwoLayerNet(object):
    """The unsolved skeleton: no parameters, loss 0, no gradients."""
    def __init__(self, input_dim=3 * 32 * 32, hidden_dim=100, num_classes=10, weight_scale=1e-3, reg=0.0):
        self.params = {}
        self.reg = reg

    def loss(self, X, y=None):
        scores = None
        if y is None:
            return scores
        loss, grads = 0, {}
        return loss, grads
'''


def test_a_model_without_parameters_passes_nothing_vacuously(tmp_path):
    """N1: checks over "every parameter" fail when there are none (the empty skeleton passed three)."""
    root = tree(tmp_path, {"layers": CS_SKELETON}, package="cs231n")
    (tmp_path / "cs231n" / "classifiers").mkdir()
    (tmp_path / "cs231n" / "classifiers" / "__init__.py").write_text("")
    (tmp_path / "cs231n" / "classifiers" / "fc_net.py").write_text(CS_EMPTY_MODEL)
    res = grade_submission(root, style="cs231n", components=["two_layer_net"], max_examples=2, seed=0)
    c, props = graded(res, "two_layer_net")
    # (own_numerical_gradient_agrees is not applicable here: the tree has no course gradient_check.py)
    passed = [n for n, p in props.items() if p["status"] == "pass" and not p.get("info", {}).get("notes")]
    assert not passed, passed
    for n in ("regularization", "gradient_check"):
        assert props[n]["status"] == "fail" and "has no 'W1'" in props[n]["message"], props[n]


CS_BN_EPS_OUTSIDE = '''
def batchnorm_forward(x, gamma, beta, bn_param):
    mode, eps, momentum = bn_param["mode"], bn_param.get("eps", 1e-5), bn_param.get("momentum", 0.9)
    N, D = x.shape
    running_mean = bn_param.get("running_mean", np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(D, dtype=x.dtype))
    if mode == "train":
        mu, var = x.mean(axis=0), x.var(axis=0)
        xhat = (x - mu) / np.sqrt(var + eps)
        bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * mu
        bn_param["running_var"] = momentum * running_var + (1 - momentum) * var
    else:
        xhat = (x - running_mean) / (eps + np.sqrt(running_var))     # eps outside the square root at test time
    return gamma * xhat + beta, None
'''


def test_a_variant_that_fits_the_shrunk_input_is_mentioned_not_blamed(tmp_path):
    """C8: the eval-mode eps placed outside the square root: on the shrunk input the two placements differ by
    only tens of times the tolerance, so the variant is not named as the cause, but the message says it fits."""
    res = grade_submission(tree(tmp_path, {"layers": CS_BN_EPS_OUTSIDE}, package="cs231n"), style="cs231n",
                           components=["batch_norm"], max_examples=30, seed=0)
    c, props = graded(res, "batch_norm")
    msg = props["forward_matches_reference"]["message"]
    assert props["forward_matches_reference"]["status"] == "fail"
    assert "eps_placement=outside_sqrt" in msg, msg


BOOK2_AFFINE_STALE_GRADS = '''
class Affine:
    def __init__(self, W, b):
        self.params = [W, b]
        self.grads = [np.zeros_like(W), np.zeros_like(b)]

    def forward(self, x):
        W, b = self.params
        self.x = x
        return x @ W + b

    def backward(self, dout):
        W, b = self.params
        self.dweight = self.x.T @ dout          # computed, but never written into self.grads
        self.dbias = dout.sum(axis=0)
        return dout @ W.T
'''


def test_a_book2_gradient_kept_outside_grads_gets_a_hint(tmp_path, capsys):
    """D2: the verdict stays (book 2's optimizers read layer.grads, which stay 0); a note says where to look,
    in the JSON, the CLI text and the card."""
    from spec_nn.grading import print_summary
    from spec_nn.reports import to_html
    res = grade_submission(tree(tmp_path, {"layers": BOOK2_AFFINE_STALE_GRADS}), style="book",
                           components=["affine"], **FAST)
    c, props = graded(res, "affine")
    assert props["backward_matches_reference"]["status"] == "fail"
    assert any("optimizers read layer.grads" in n for n in c.get("notes", [])), c.get("notes")
    print_summary(res)
    assert "optimizers read layer.grads" in capsys.readouterr().out
    assert "optimizers read layer.grads" in to_html(res)


# -- the second audit's classes (four more trees, docs/real_code_audit.md "Second audit") -------------------

OWN_NAMES_OPTIMIZER = '''
class SGD:
    def __init__(self, learning_rate=0.01):            # the book's lr, spelt out
        self.learning_rate = learning_rate

    def update(self, params, grads):
        for k in params:
            params[k] -= self.learning_rate * grads[k]


class RMSProp:                                         # the book's RMSprop, other capitals
    def __init__(self, learning_rate=0.01, decay_rate=0.99):
        self.lr, self.decay_rate, self.h = learning_rate, decay_rate, None

    def update(self, params, grads):
        if self.h is None:
            self.h = {k: np.zeros_like(v) for k, v in params.items()}
        for k in params:
            self.h[k] *= self.decay_rate
            self.h[k] += (1 - self.decay_rate) * grads[k] * grads[k]
            params[k] -= self.lr * grads[k] / (np.sqrt(self.h[k]) + 1e-7)
'''
OWN_NAMES_LAYERS = '''
class AffineLayer:                                     # the book's Affine with a suffix
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.shape = x.shape
        self.x = x.reshape(x.shape[0], -1)
        return self.x @ self.W + self.b

    def backward(self, dout):
        self.dW, self.db = self.x.T @ dout, dout.sum(axis=0)
        return (dout @ self.W.T).reshape(self.shape)


class Dropout:
    def __init__(self, dropout_ratio=0.5):
        self.dropout_ratio = dropout_ratio

    def forward(self, x, train_flag=True):             # the book's train_flg, spelt out
        if train_flag:
            self.mask = np.random.rand(*x.shape) > self.dropout_ratio
            return x * self.mask
        return x * (1.0 - self.dropout_ratio)

    def backward(self, dout):
        return dout * self.mask
'''
OWN_NAMES_FUNCTIONS = '''
def mean_squared_error(y, t):                          # the book's name for it before 2019
    return 0.5 * np.sum((y - t) ** 2)


def cross_entropy_error(y, t):
    if y.ndim == 1:
        t, y = t.reshape(1, t.size), y.reshape(1, y.size)
    if t.size == y.size:
        t = t.argmax(axis=1)
    return -np.sum(np.log(y[np.arange(y.shape[0]), t] + 1e-10)) / y.shape[0]   # a guard of 1e-10
'''


def test_the_names_and_guards_real_book_trees_use(tmp_path):
    """A book optimizer taking learning_rate, RMSProp for RMSprop, AffineLayer for Affine, mean_squared_error for
    sum_squared_error, a dropout flag spelt train_flag (eval mode reached) and a log guard of 1e-10: all
    graded, all correct."""
    root = tree(tmp_path, {"optimizer": OWN_NAMES_OPTIMIZER, "layers": OWN_NAMES_LAYERS,
                           "functions": OWN_NAMES_FUNCTIONS})
    names = ["sgd", "rmsprop", "affine", "dropout", "sum_squared_error", "cross_entropy"]
    res = grade_submission(root, style="book", components=names, **FAST)
    for n in names:
        c, props = graded(res, n)
        assert c["status"] == "pass", (n, c["api"], {k: props[k]["message"] for k in bad(props)})
    assert graded(res, "rmsprop")[0]["api"].endswith("RMSProp")
    assert graded(res, "affine")[0]["api"].endswith("AffineLayer")
    assert graded(res, "sum_squared_error")[0]["api"].endswith("mean_squared_error")


SIBLING_IMPORT_LAYERS = '''
from functions import *            # common/functions.py imported as a top-level module


class Affine:
    def __init__(self, W, b):
        self.W, self.b = W, b
'''


def test_a_sibling_imported_as_a_top_level_module_is_the_students_error(tmp_path):
    """Not "pip install functions": the submission has common/functions.py; and a component the failed file
    does not define at all (no class Convolution there) is missing, not an error."""
    root = tree(tmp_path, {"layers": SIBLING_IMPORT_LAYERS, "functions": "def relu(x):\n    return np.maximum(x, 0)\n"})
    res = grade_submission(root, style="book", components=["affine", "conv2d"], **FAST)
    affine, _ = graded(res, "affine")
    assert affine["status"] == "error" and "pip install" not in affine["message"], affine["message"]
    assert "the submission has common/functions.py" in affine["message"]
    assert graded(res, "conv2d")[0]["status"] == "missing"
