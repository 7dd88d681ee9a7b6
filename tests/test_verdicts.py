"""Verdicts instructors can trust (issue 7, sections 4 and 5): what is seen is reported (dout written in place,
float32 dtypes, every component graded on its own, several findings per property), the possible total is fixed
by dialect and rubric, stubs earn nothing, one cause gives one message, messages never contradict themselves,
and the student's own traceback frames reach every report."""
import json
import os
import re
import textwrap

import numpy as np
import pytest

from spec_nn.checks import Context, get_check, match_variants
from spec_nn.cli import main
from spec_nn.errors import SpecViolation
from spec_nn.grading import grade_submission, print_summary
from spec_nn.impl import FunctionImpl
from spec_nn.record import Case
from spec_nn.registry import get
from spec_nn.reports import to_html
from spec_nn.tolerance import assert_close

from tests import stubs

EX = os.path.join(os.path.dirname(__file__), "..", "examples")
FAST = dict(max_examples=6)
pytest_plugins = ["pytester"]


def book_tree(tmp_path, layers: str = "", functions: str = "") -> str:
    common = tmp_path / "common"
    common.mkdir()
    (common / "__init__.py").write_text("")
    (common / "layers.py").write_text("import numpy as np\n" + textwrap.dedent(layers))
    if functions:
        (common / "functions.py").write_text("import numpy as np\n" + textwrap.dedent(functions))
    return str(tmp_path)


def cs_tree(tmp_path, layers: str) -> str:
    pkg = tmp_path / "cs231n"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "layers.py").write_text("import numpy as np\n" + textwrap.dedent(layers))
    return str(tmp_path)


def props_of(res, comp):
    c = next(c for c in res["components"] if c["name"] == comp)
    return c, {p["name"]: p for p in c["properties"]}


BOOK_RELU = '''
class Relu:
    def forward(self, x):
        self.mask = (x <= 0)
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        dout[self.mask] = 0
        dx = dout
        return dx
'''

CS_RELU_DROPOUT = '''
def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    dx, x = dout, cache
    dx[x <= 0] = 0
    return dx


def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    mask = None
    if mode == "train":
        mask = (np.random.rand(*x.shape) < p) / p
        out = x * mask
    else:
        out = x
    return out.astype(x.dtype, copy=False), (dropout_param, mask)


def dropout_backward(dout, cache):
    dropout_param, mask = cache
    if dropout_param["mode"] == "train":
        dout *= mask
    return dout
'''


# --------------------------------------------------------------------------------------------------
# 4. Report what is seen

def test_writing_into_dout_fails_does_not_mutate_inputs_and_says_when_it_corrupts_gradients(tmp_path):
    res = grade_submission(book_tree(tmp_path, BOOK_RELU), components=["relu"], **FAST)
    c, props = props_of(res, "relu")
    p = props["does_not_mutate_inputs"]
    assert p["status"] == "fail" and c["status"] == "fail"
    assert p["message"].startswith("dout[") and "but the upstream gradient must not be mutated" in p["message"]
    assert "residual shortcut" in p["message"] and "gradient check" in p["message"]
    assert "(variant dout=writes_dout, which is not accepted)" in p["message"]
    others = [n for n, q in props.items() if q["status"] != "pass" and n != "does_not_mutate_inputs"]
    assert not others, others  # a convention costs points in its own property only


def test_cs231n_relu_and_dropout_writing_into_dout_fail_too(tmp_path):
    res = grade_submission(cs_tree(tmp_path, CS_RELU_DROPOUT), components=["relu", "dropout"], **FAST)
    for comp in ("relu", "dropout"):
        _, props = props_of(res, comp)
        assert props["does_not_mutate_inputs"]["status"] == "fail", (comp, props["does_not_mutate_inputs"])
        assert "writes_dout" in props["does_not_mutate_inputs"]["message"]


@pytest.mark.parametrize("table", ['[accept."*"]', "[accept.relu]"])
def test_a_rubric_accepts_writes_dout(tmp_path, table):
    rub = tmp_path / "r.toml"
    rub.write_text(f'{table}\ndout = ["untouched", "writes_dout"]\n')
    sub = tmp_path / "sub"
    sub.mkdir()
    res = grade_submission(book_tree(sub, BOOK_RELU), components=["relu"], rubric=str(rub), **FAST)
    c, props = props_of(res, "relu")
    assert c["status"] == "pass", [(n, p["message"]) for n, p in props.items() if p["status"] != "pass"]
    assert props["does_not_mutate_inputs"]["variant"] == {"dout": "writes_dout"}


@pytest.mark.parametrize("text,err", [
    ('[accept."*"]\ndout = ["sideways"]\n', "is not among"),
    ('[accept."*"]\ngrad_at_zero = ["one"]\n', "not a convention every component shares"),
    ('[accept.sgd]\ndout = ["writes_dout"]\n', "sgd has no convention 'dout'"),
    ('[style.book.points]\n"relu::nonsense" = 0\n', "'nonsense' is not a property of relu"),
    ('[style.fortran.points]\n"*" = 0\n', "is not one of"),
])
def test_bad_rubric_entries_for_the_new_tables_are_one_line_errors(tmp_path, capsys, text, err):
    rub = tmp_path / "r.toml"
    rub.write_text(text)
    assert main(["grade", os.path.join(EX, "book_correct"), "--rubric", str(rub), "-q"]) == 2
    msg = capsys.readouterr().err
    assert err in msg and len(msg.strip().splitlines()) == 1, msg


def test_preserves_dtype_is_judged_on_float32_inputs_in_a_float64_grading(tmp_path):
    layers = '''
    class Relu:
        def forward(self, x):
            self.mask = x <= 0
            return np.where(self.mask, 0.0, x).astype(np.float64)   # always float64

        def backward(self, dout):
            return np.where(self.mask, 0.0, dout).astype(np.float64)
    '''
    root = book_tree(tmp_path, layers)
    res = grade_submission(root, components=["relu"], dtype="float64", **FAST)
    _, props = props_of(res, "relu")
    p = props["preserves_dtype"]
    # the course dialects weight preserves_dtype 0 (default rubric): a warning, visible, no points lost
    assert p["status"] == "warn" and p["dtype"] == "float32" and p["points"] == 0
    assert "dtype=float64, but should be float32" in p["message"]
    assert all(q["status"] == "pass" for n, q in props.items() if n != "preserves_dtype")
    rub = tmp_path / "dtypes.toml"  # a course that teaches dtypes weights it again: then it fails
    rub.write_text('[points]\n"*::preserves_dtype" = 1\n')
    res = grade_submission(root, components=["relu"], dtype="float64", rubric=str(rub), **FAST)
    assert props_of(res, "relu")[1]["preserves_dtype"]["status"] == "fail"


BOOK_POOLING_FLOAT64 = '''
class Pooling:
    """Loops, and float64 buffers as the book's im2col and Pooling.backward allocate them (np.zeros)."""
    def __init__(self, pool_h, pool_w, stride=1, pad=0):
        self.pool_h, self.pool_w, self.stride, self.pad = pool_h, pool_w, stride, pad

    def forward(self, x):
        p = self.pad
        xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=-np.inf)
        N, C, H, W = xp.shape
        oh, ow = (H - self.pool_h) // self.stride + 1, (W - self.pool_w) // self.stride + 1
        out = np.zeros((N, C, oh, ow))
        self.arg = {}
        for i in range(oh):
            for j in range(ow):
                win = xp[:, :, i * self.stride:i * self.stride + self.pool_h, j * self.stride:j * self.stride + self.pool_w]
                flat = win.reshape(N, C, -1)
                out[:, :, i, j] = flat.max(axis=2)
                self.arg[i, j] = flat.argmax(axis=2)
        self.shape = xp.shape
        return out

    def backward(self, dout):
        dxp = np.zeros(self.shape)
        N, C = self.shape[:2]
        n, c = np.meshgrid(np.arange(N), np.arange(C), indexing="ij")
        for (i, j), a in self.arg.items():
            r, q = i * self.stride + a // self.pool_w, j * self.stride + a % self.pool_w
            np.add.at(dxp, (n, c, r, q), dout[:, :, i, j])
        p = self.pad
        return dxp[:, :, p:self.shape[2] - p, p:self.shape[3] - p]
'''


def test_a_property_the_dialect_weights_0_is_a_visible_warning_that_costs_nothing(tmp_path):
    """Course code allocates float64 buffers (np.zeros): under float32 inputs the output comes back float64.
    The book's default rubric weights max_pool2d::preserves_dtype 0: "warn", full marks, exit 0."""
    root = book_tree(tmp_path, BOOK_POOLING_FLOAT64)
    res = grade_submission(root, components=["max_pool2d"], **FAST)
    c, props = props_of(res, "max_pool2d")
    p = props["preserves_dtype"]
    assert p["status"] == "warn" and p["weighted_out"] == "fail" and p["points"] == 0, p
    assert "float64, but should be float32" in p["message"]
    assert c["status"] == "pass" and "1 warning" in c["message"], [(n, q["message"]) for n, q in props.items()]
    assert res["score"]["earned"] == res["score"]["possible"] > 0
    assert main(["grade", root, "--components", "max_pool2d", "--max-examples", "6", "-q"]) == 0
    html = to_html(res)
    assert 'data-status="warn"' in html and "weighted 0 by the rubric" in html
    # a rubric that says so counts it
    rub = tmp_path / "r.toml"
    rub.write_text('[points]\n"max_pool2d::preserves_dtype" = 1\n')
    res = grade_submission(root, components=["max_pool2d"], rubric=str(rub), **FAST)
    assert props_of(res, "max_pool2d")[1]["preserves_dtype"]["status"] == "fail"


def test_a_component_built_from_a_failing_one_is_graded_with_a_note(tmp_path, capsys):
    man = tmp_path / "spec_nn.toml"
    (tmp_path / "ops.py").write_text(
        "import numpy as np\n"
        "def affine(x, w, b):\n    return x.reshape(len(x), -1) @ w + b + 1\n"
        "def res(x, w1, b1, w2, b2):\n    return np.maximum(x + np.maximum(x @ w1 + b1, 0) @ w2 + b2, 0) * 1.5\n")
    man.write_text('[components.affine]\nforward = "ops:affine"\nargs = ["x", "w", "b"]\n'
                   '[components.residual_block]\nforward = "ops:res"\n')
    res = grade_submission(str(man), components=["affine", "residual_block"], **FAST)
    c, props = props_of(res, "residual_block")
    assert c["status"] == "fail"  # its own verdict, computed (the 1.5 is its own bug)
    assert props["forward_matches_reference"]["status"] == "fail"
    assert c["note"].startswith("affine fails too: fix it first")
    print_summary(res)
    assert "note   affine fails too: fix it first" in capsys.readouterr().out
    assert "affine fails too: fix it first" in to_html(res)


CS_BATCHNORM_TWO_BUGS = '''
def batchnorm_forward(x, gamma, beta, bn_param):
    eps, momentum = bn_param.get("eps", 1e-5), bn_param.get("momentum", 0.9)
    D = x.shape[1]
    rm = bn_param.get("running_mean", np.zeros(D, dtype=x.dtype))
    rv = bn_param.get("running_var", np.zeros(D, dtype=x.dtype))
    if bn_param["mode"] == "train":
        mu = x.mean(axis=0, keepdims=True)             # bug 1: the running mean becomes (1, D)
        var = x.var(axis=0, keepdims=True)
        out = gamma * (x - mu) / (np.sqrt(var) + eps) + beta   # bug 2: eps outside the square root
        rm = momentum * rm + (1 - momentum) * mu
        rv = momentum * rv + (1 - momentum) * var.reshape(-1)
    else:
        out = gamma * (x - rm) / np.sqrt(rv + eps) + beta
    bn_param["running_mean"], bn_param["running_var"] = rm, rv
    return out, None
'''


def test_a_property_reports_each_distinct_failure_up_to_three(tmp_path):
    res = grade_submission(cs_tree(tmp_path, CS_BATCHNORM_TWO_BUGS), components=["batch_norm"], **FAST)
    _, props = props_of(res, "batch_norm")
    p = props["forward_matches_reference"]
    assert p["status"] == "fail"
    msgs = [f["message"] for f in p["findings"]]
    assert 2 <= len(msgs) <= 3, msgs
    assert msgs[0] == p["message"]
    assert any(m.startswith("running_mean.shape=(1, ") for m in msgs), msgs
    assert any(m.startswith("out[") for m in msgs), msgs


def test_findings_are_distinct_and_at_most_three():
    comp = get("relu")
    from spec_nn.runner import check_property

    def bwd(c, d):  # three different mistakes, on three kinds of input
        x = c["x"]
        if x.ndim == 1:
            return {"x": d * (x > 0) + 1}
        if x.shape[0] > 1:
            return {"x": (d * (x > 0))[:1]}
        return {"x": (d * (x > 0)).astype(np.float32)}
    v = check_property(comp, "backward_matches_reference", FunctionImpl(comp, lambda c: np.maximum(c["x"], 0), bwd),
                       max_examples=40)
    assert v.status == "fail" and 1 <= len(v.findings) <= 3
    from spec_nn.runner import cause_key
    assert len({cause_key(f["message"]) for f in v.findings}) == len(v.findings)


# -- points -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("dialect", ["book", "cs231n"])
def test_an_all_zeros_submission_earns_at_most_5_percent(tmp_path, dialect):
    root = getattr(stubs, dialect)(str(tmp_path / "zeros"))
    res = grade_submission(root, **FAST)
    s = res["score"]
    assert s["possible"] > 100 and s["earned"] <= 0.05 * s["possible"], s
    graded = [c for c in res["components"] if c["status"] != "missing"]
    assert graded and all(c["status"] == "not_implemented" for c in graded), \
        [(c["name"], c["status"]) for c in graded if c["status"] != "not_implemented"]
    correct = grade_submission(os.path.join(EX, f"{dialect}_correct"), **FAST)
    assert correct["score"]["possible"] == s["possible"]  # the total is the dialect's, not the submission's


@pytest.mark.parametrize("kind,why", [(stubs.RAISE, "raises NotImplementedError"), (stubs.NONE, "returns None")])
def test_stubs_that_raise_or_return_none_are_not_implemented(tmp_path, kind, why):
    root = stubs.cs231n(str(tmp_path / "stub"), kind)
    res = grade_submission(root, components=["relu", "affine", "sgd"], **FAST)
    for c in res["components"]:
        assert c["status"] == "not_implemented" and why in c["message"], (c["name"], c["status"], c["message"])
        assert all(p["earned"] == 0 for p in c["properties"])
    assert res["score"]["earned"] == 0


def test_a_correct_component_is_never_called_a_stub():
    res = grade_submission(os.path.join(EX, "cs231n_correct"), components=["relu", "dropout", "svm_loss"], **FAST)
    assert all(c["status"] == "pass" for c in res["components"])


def test_the_possible_total_does_not_depend_on_crashes_timeouts_or_missing_claims(tmp_path):
    comps = ["relu", "affine"]
    base = grade_submission(os.path.join(EX, "cs231n_correct"), components=comps, **FAST)["score"]["possible"]
    hang = cs_tree(tmp_path / "hang" if (tmp_path / "hang").mkdir() is None else None, '''
    def relu_forward(x):
        while True:
            pass

    def relu_backward(dout, cache):
        return dout

    def affine_forward(x, w, b):
        import os
        os._exit(3)
    ''')
    res = grade_submission(hang, components=comps, timeout=1.0, **FAST)
    assert res["score"]["possible"] == base and res["score"]["earned"] == 0
    # no relu_backward at all: the worker says "missing" for every backward property, the total stays
    nobwd = cs_tree(tmp_path / "nobwd" if (tmp_path / "nobwd").mkdir() is None else None, '''
    def relu_forward(x):
        return np.maximum(x, 0), x
    ''')
    res = grade_submission(nobwd, components=["relu"], **FAST)
    full = grade_submission(os.path.join(EX, "cs231n_correct"), components=["relu"], **FAST)["score"]["possible"]
    c, props = props_of(res, "relu")
    assert props["backward_matches_reference"]["status"] == "missing"
    assert res["score"]["possible"] == full and 0 < res["score"]["earned"] < full


def test_a_component_outside_the_dialect_is_graded_but_not_counted(tmp_path):
    layers = BOOK_RELU.replace("dout[self.mask] = 0\n        dx = dout", "dx = dout * (x > 0)") + '''
class Tanh:
    def forward(self, x):
        self.out = np.tanh(x) * 1.01
        return self.out

    def backward(self, dout):
        return dout * (1 - self.out ** 2)
'''
    layers = layers.replace("dx = dout * (x > 0)", "dx = dout * ~self.mask")
    res = grade_submission(book_tree(tmp_path, layers), components=["tanh", "relu"], **FAST)
    c, props = props_of(res, "tanh")
    assert c["status"] == "fail" and not any(p["counted"] for p in props.values())
    assert res["score"]["possible"] == grade_submission(os.path.join(EX, "book_correct"), components=["relu"],
                                                        **FAST)["score"]["possible"]


# --------------------------------------------------------------------------------------------------
# 5. Failures that teach

def test_properties_failing_with_one_cause_are_grouped_in_the_text_and_on_the_card(tmp_path, capsys):
    root = cs_tree(tmp_path, "")
    (tmp_path / "cs231n" / "optim.py").write_text(textwrap.dedent('''
        import numpy as np

        def sgd(w, dw, config=None):
            config = config if config is not None else {}
            return (w - config.get("learning_rate", 1e-2) * dw).reshape(1, -1), config   # a row, not w's shape
        '''))
    res = grade_submission(root, components=["sgd"], **FAST)
    c, props = props_of(res, "sgd")
    shape_fails = [n for n, p in props.items() if p["status"] == "fail" and p["message"].startswith("out.shape=")]
    assert len(shape_fails) >= 2, [(n, p["message"]) for n, p in props.items()]
    g = next(g for g in c["groups"] if g["message"].startswith("out.shape="))
    assert set(shape_fails) <= set(g["properties"])
    print_summary(res)
    out = capsys.readouterr().out
    assert re.search(rf"{len(g['properties'])} properties fail the same way: out\.shape=\(", out), out
    assert out.count("out.shape=") == 1, out  # one message for the one cause
    html = to_html(res)
    assert "properties fail the same way:" in html and "fails the same way as above" in html


def test_messages_never_contradict_themselves():
    res = grade_submission(os.path.join(EX, "book_buggy"), **FAST)
    text = json.dumps(res)
    assert not re.search(r"=nan, but should be nan", text)
    assert "should be -0 " not in text and "should be -0," not in text
    with pytest.raises(SpecViolation) as e:
        assert_close(np.array([np.nan, 1.0]), np.array([np.nan, 2.0]), rtol=1e-7, atol=0, name="dx")
    assert e.value.message.startswith("dx[1]=1, but should be 2")  # the element that is wrong, not both-NaN
    with pytest.raises(SpecViolation) as e:
        assert_close(np.array([np.nan]), np.array([np.nan]), rtol=1e-7, atol=0, name="dx")
    assert "but should be nan" not in e.value.message and "should be finite" in e.value.message


def test_within_100x_of_an_accepted_variants_tolerance_is_said_with_its_value():
    comp = get("relu")
    case = Case({"x": np.array([0.0, 2.0])})
    dout = np.array([1.5, -1.0])
    ref = lambda v: comp.backward(case, dout, v)  # noqa: E731
    got = {"x": ref({"grad_at_zero": "one"})["x"] * (1 + 5e-6)}  # ReLU'(0)=1, a few ulps of float32 off
    with pytest.raises(SpecViolation) as e:
        match_variants(comp, Context(accept={"grad_at_zero": ("zero", "one")}), ref, got, dtype="float64",
                       what="backward", prefix="d", keys=["x"])
    assert "of the tolerance of the accepted variant grad_at_zero=one, which gives 1.5 there" in e.value.message
    got = {"x": ref({"grad_at_zero": "zero"})["x"] * (1 + 5e-6)}
    with pytest.raises(SpecViolation) as e:
        match_variants(comp, Context(), ref, got, dtype="float64", what="backward", prefix="d", keys=["x"])
    assert re.search(r"within [\d.]+x of the tolerance rtol=", e.value.message), e.value.message
    # far off: no hint
    got = {"x": ref({"grad_at_zero": "zero"})["x"] * 2}
    with pytest.raises(SpecViolation) as e:
        match_variants(comp, Context(), ref, got, dtype="float64", what="backward", prefix="d", keys=["x"])
    assert "within" not in e.value.message


def test_a_variant_is_named_only_where_it_differs_from_the_default_by_far_more_than_the_tolerance():
    comp = get("he_init")
    check = get_check(comp, "variance_in_confidence_interval")

    def sample(var):
        def fwd(c):
            z = np.random.default_rng(c["seed"]).standard_normal((c["fan_in"], c["fan_out"]))
            z = (z - z.mean()) / z.std(ddof=1)
            return (z * np.sqrt(var(c))).astype(c["dtype"])
        return FunctionImpl(comp, fwd)
    # fan_in=32, fan_out=33: a variance just outside the fan_in interval but inside the fan_out one
    case = Case({}, {}, {"fan_in": 32, "fan_out": 33, "seed": 1, "dtype": "float64"})
    with pytest.raises(SpecViolation) as e:
        check(comp, sample(lambda c: 2 / 32 * 0.72), case, Context())
    assert "matches variant mode=fan_out, which is not accepted" not in e.value.message  # 32 vs 33 explains nothing
    case = Case({}, {}, {"fan_in": 8, "fan_out": 200, "seed": 1, "dtype": "float64"})
    with pytest.raises(SpecViolation) as e:
        check(comp, sample(lambda c: 2 / c["fan_out"]), case, Context())
    assert "matches variant mode=fan_out" in e.value.message


TRACE_LAYERS = '''
class Relu:
    def forward(self, x):
        self.mask = x <= 0
        return np.where(self.mask, 0.0, x)

    def backward(self, dout):
        return helper(dout, self)


def helper(dout, layer):
    return dout * layer.maskk
'''


def test_the_students_traceback_frames_reach_the_pytest_failure_text(pytester):
    (pytester.path / "sub" / "common").mkdir(parents=True)
    (pytester.path / "sub" / "common" / "__init__.py").write_text("")
    (pytester.path / "sub" / "common" / "layers.py").write_text("import numpy as np\n" + TRACE_LAYERS)
    r = pytester.runpytest("-p", "no:cacheprovider", "--spec-nn-submission", "sub", "--spec-nn-components", "relu")
    r.stdout.fnmatch_lines(["*AttributeError*(at common/layers.py:13 in helper)*"])


def test_the_students_traceback_frames_reach_the_text_the_card_and_the_message(tmp_path, capsys):
    layers = '''
    class Relu:
        def forward(self, x):
            self.mask = x <= 0
            return np.where(self.mask, 0.0, x)

        def backward(self, dout):
            return helper(dout, self)


    def helper(dout, layer):
        return dout * layer.maskk
    '''
    root = book_tree(tmp_path, layers)
    res = grade_submission(root, components=["relu"], **FAST)
    _, props = props_of(res, "relu")
    p = props["backward_matches_reference"]
    assert p["status"] == "error" and "AttributeError" in p["message"]
    lines = open(os.path.join(root, "common", "layers.py")).read().splitlines()
    n_helper = 1 + next(i for i, t in enumerate(lines) if "layer.maskk" in t)
    n_bwd = 1 + next(i for i, t in enumerate(lines) if "return helper(" in t)
    where = f"common/layers.py:{n_helper} in helper"
    assert p["trace"][-1] == f"{where}: return dout * layer.maskk", p["trace"]
    assert p["trace"][-2] == f"common/layers.py:{n_bwd} in backward: return helper(dout, self)", p["trace"]
    assert f"(at {where})" in p["message"]  # what the pytest plugin prints
    print_summary(res)
    assert f"at {where}: return dout * layer.maskk" in capsys.readouterr().out
    html = to_html(res)
    assert "Where, in your code" in html and where in html


def test_a_component_that_computes_on_some_inputs_is_graded_not_called_a_stub(tmp_path):
    layers = '''
    def relu_forward(x):
        if x.size < 4:
            return np.zeros_like(x), x          # "small inputs: not done yet"
        return np.maximum(x, 0), x

    def relu_backward(dout, cache):
        return dout * (cache > 0)
    '''
    res = grade_submission(cs_tree(tmp_path, layers), components=["relu"], **FAST)
    c, props = props_of(res, "relu")
    assert c["status"] == "fail" and props["forward_matches_reference"]["status"] == "fail"


def test_match_variants_names_a_variant_only_where_it_and_the_default_differ_by_far_more_than_the_tolerance():
    comp = get("relu")
    case = Case({"x": np.array([0.0, 2.0])})
    ref = lambda v, d: comp.backward(case, d, v)  # noqa: E731
    # at x = 0 the two conventions differ by dout: 5x the tolerance here, 1e6x below
    for d0, named in ((5e-8, False), (1.0, True)):
        dout = np.array([d0, 1.0])
        got = {"x": ref({"grad_at_zero": "one"}, dout)["x"]}
        with pytest.raises(SpecViolation) as e:
            match_variants(comp, Context(), lambda v: ref(v, dout), got, dtype="float64", what="backward",
                           prefix="d", keys=["x"])
        assert ("matches variant grad_at_zero=one" in e.value.message) == named, e.value.message
