"""prelu (issue 10, seed 001): the learnable slope is a differentiable input like any parameter, graded in the
book dialect (a PRelu/PReLU layer), in CS231n (prelu_forward / prelu_backward) and through the manifest; it is
never counted as missing where a dialect does not define it."""
import textwrap

import numpy as np

from spec_nn.grading import grade_submission
from spec_nn.impl import FunctionImpl
from spec_nn.reference import activations as aref
from spec_nn.registry import get
from spec_nn.runner import check_property

FAST = dict(max_examples=10, seed=0)

BOOK_PRELU = '''
import numpy as np


class {cls}:
    def __init__(self, {arg}):
        self.{arg} = {arg}
        self.d{arg} = None

    def _slope(self, x):
        return self.{arg}.reshape((1, -1) + (1,) * (x.ndim - 2))

    def forward(self, x):
        self.x = x
        return np.where(x > 0, x, self._slope(x) * x)

    def backward(self, dout):
        x = self.x
        axes = tuple(i for i in range(x.ndim) if self.{arg}.size == 1 or i != 1)
        self.d{arg} = np.sum(dout * x * (x <= 0), axis=axes).reshape(self.{arg}.shape)
        return dout * np.where(x > 0, 1.0, self._slope(x)){bug}
'''

CS_PRELU = '''
import numpy as np


def prelu_forward(x, a):
    s = a.reshape((1, -1) + (1,) * (x.ndim - 2))
    return np.maximum(x, 0) + s * np.minimum(x, 0), (x, a)


def prelu_backward(dout, cache):
    x, a = cache
    s = a.reshape((1, -1) + (1,) * (x.ndim - 2))
    axes = tuple(i for i in range(x.ndim) if a.size == 1 or i != 1)
    da = np.sum(dout * np.minimum(x, 0), axis={da_axes})
    return dout * np.where(x > 0, 1.0, s), da.reshape(a.shape) if da.size == a.size else da
'''


def _tree(root, pkg, name, text):
    d = root / pkg
    d.mkdir(parents=True)
    (d / "__init__.py").write_text("")
    (d / f"{name}.py").write_text(textwrap.dedent(text))
    return str(root)


def _props(res):
    c = next(c for c in res["components"] if c["name"] == "prelu")
    return c, {p["name"]: p["status"] for p in c["properties"]}


def test_reference_record_declares_the_slope_as_a_parameter():
    case = get("prelu").cases  # the slope is among the differentiable arrays, so every generic check covers it
    from hypothesis import given, settings

    @settings(max_examples=5, database=None, derandomize=True)
    @given(case())
    def run(c):
        assert set(c.arrays) == {"x", "a"} and c["a"].shape in ((1,), (c["x"].shape[1],))
    run()


def test_reference_backward_equals_torch_autograd():
    import torch
    rng = np.random.default_rng(0)
    for shape, k in (((3, 4), 4), ((2, 3, 2, 2), 3), ((2, 3, 2), 1)):
        x, a, d = rng.standard_normal(shape), rng.uniform(-0.5, 0.5, k), rng.standard_normal(shape)
        tx, ta = torch.tensor(x, requires_grad=True), torch.tensor(a, requires_grad=True)
        out = torch.nn.functional.prelu(tx, ta)
        out.backward(torch.tensor(d))
        np.testing.assert_allclose(aref.prelu(x, a), out.detach().numpy(), rtol=1e-12)
        dx, da = aref.prelu_backward(d, x, a)
        np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-12)
        np.testing.assert_allclose(da, ta.grad.numpy(), rtol=1e-12)


def test_right_derivative_at_zero_costs_its_own_property_only():
    comp = get("prelu")
    slope = lambda c: c["a"].reshape((1, -1) + (1,) * (c["x"].ndim - 2))
    impl = FunctionImpl(comp, lambda c: aref.prelu(c["x"], c["a"]),
                        lambda c, d: {"x": d * np.where(c["x"] >= 0, 1.0, slope(c)),
                                      "a": aref.prelu_backward(d, c["x"], c["a"])[1]})
    failing = [p for p in comp.property_names if check_property(comp, p, impl, **FAST).status != "pass"]
    assert failing == ["grad_at_zero"]
    v = check_property(comp, "grad_at_zero", impl, **FAST)
    assert "variant grad_at_zero=right, which is not accepted" in v.message


def test_book_prelu_layer_passes_and_a_lost_slope_gradient_is_caught(tmp_path):
    for cls, arg in (("PRelu", "a"), ("PReLU", "alpha")):
        res = grade_submission(_tree(tmp_path / cls, "common", "layers", BOOK_PRELU.format(cls=cls, arg=arg, bug="")),
                               style="book", components=["prelu", "relu"], **FAST)
        c, props = _props(res)
        assert c["status"] == "pass", props
        assert c["api"] == f"common.layers.{cls}"
        assert c["in_style"] is False  # graded where present, never counted as missing
    bad = BOOK_PRELU.format(cls="PRelu", arg="a", bug=" * (x > 0)")  # the slope dropped from dx
    c, props = _props(grade_submission(_tree(tmp_path / "bad", "common", "layers", bad), style="book",
                                       components=["prelu"], **FAST))
    assert props["backward_matches_reference"] == "fail" and props["backward_matches_finite_differences"] == "fail"
    assert props["forward_matches_reference"] == "pass"


def test_cs231n_prelu_passes_and_a_slope_gradient_not_summed_is_caught(tmp_path):
    good = CS_PRELU.format(da_axes="axes")
    c, props = _props(grade_submission(_tree(tmp_path / "a", "cs231n", "layers", good), style="cs231n",
                                       components=["prelu"], **FAST))
    assert c["status"] == "pass", props
    bad = CS_PRELU.format(da_axes="0")  # the (N, C) habit: not summed over the spatial axes
    c, props = _props(grade_submission(_tree(tmp_path / "b", "cs231n", "layers", bad), style="cs231n",
                                       components=["prelu"], **FAST))
    assert props["backward_matches_reference"] == "fail" and props["forward_matches_reference"] == "pass"


def test_a_dialect_tree_without_prelu_does_not_count_it_missing():
    for root, style in (("examples/book_correct", "book"), ("examples/cs231n_correct", "cs231n")):
        res = grade_submission(root, style=style, components=["prelu", "relu"], max_examples=3)
        c = next(c for c in res["components"] if c["name"] == "prelu")
        assert c["status"] == "missing" and c["in_style"] is False and "not part of the" in c["message"]
        assert res["score"]["earned"] == res["score"]["possible"]  # costs no points


def test_manifest_prelu(tmp_path):
    pkg = tmp_path / "plib"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "act.py").write_text(textwrap.dedent('''
        import numpy as np

        def _s(a, x):
            return a.reshape((1, -1) + (1,) * (x.ndim - 2))

        def prelu(x, a):
            return np.where(x > 0, x, _s(a, x) * x)

        def prelu_grad(dout, x, a):
            axes = tuple(i for i in range(x.ndim) if a.size == 1 or i != 1)
            return dout * np.where(x > 0, 1.0, _s(a, x)), np.sum(dout * np.minimum(x, 0), axis=axes).reshape(a.shape)
    '''))
    (tmp_path / "spec_nn.toml").write_text('path = ["."]\n\n[components.prelu]\nforward = "plib.act:prelu"\n'
                                           'backward = "plib.act:prelu_grad"\n')
    c, props = _props(grade_submission(str(tmp_path), style="manifest", **FAST))
    assert c["status"] == "pass", props
