"""Whole-network components (two_layer_net, fc_net, conv_net): the reference passes every property, the example
submissions pass in both dialects and through the manifest, buggy models are caught (the mutants themselves run in
tests/test_mutants.py), and the adapters' reference optimizer is the specification's Adam."""
import os

import numpy as np
import pytest

from spec_nn.grading import grade_submission
from spec_nn.impl import ReferenceImpl
from spec_nn.registry import get
from spec_nn.runner import check_property

EX = os.path.join(os.path.dirname(__file__), "..", "examples")
MODELS = ["two_layer_net", "fc_net", "conv_net"]


@pytest.mark.parametrize("name", MODELS)
def test_reference_network_passes_every_property(name):
    c = get(name)
    for p in c.property_names:
        v = check_property(c, p, ReferenceImpl(c))
        assert v.status == "pass", f"{v.id}: {v.message}"


@pytest.mark.parametrize("example", ["book_models", "cs231n_models", "manifest_models"])
def test_example_models_pass_in_every_dialect(example):
    res = grade_submission(os.path.join(EX, example), components=MODELS)
    got = {c["name"]: c for c in res["components"]}
    for name in MODELS:
        c = got[name]
        bad = [(p["name"], p["message"]) for p in c["properties"] if p["status"] != "pass"]
        assert c["status"] == "pass" and not bad, (name, c["status"], bad)


def test_model_is_graded_after_its_layers_and_names_them():
    c = get("fc_net")
    assert {"affine", "relu", "batch_norm", "dropout"} <= set(c.built_from)
    from spec_nn.grading import _order
    from spec_nn.registry import COMPONENTS
    order = _order(list(COMPONENTS), COMPONENTS)
    assert order.index("conv_net") > order.index("conv2d") and order.index("fc_net") > order.index("batch_norm")


def test_reference_optimizer_is_the_specifications_adam():
    """op_overfit's in-place Adam is spec_nn.reference.optim.adam (textbook form, eps 1e-8) on the gradients the
    model gave."""
    from spec_nn import adapters_models
    from spec_nn.reference import optim

    class Quadratic:
        def __init__(self):
            self.params = {"w": np.array([1.0, -2.0, 0.5])}
            self.seen = []

        def loss_and_grads(self, X, y):
            w = self.params["w"]
            self.seen.append(2 * w.copy())
            return float(np.sum(w ** 2)), {"w": 2 * w}

        def scores(self, X):
            return np.zeros((1, 1))
    h = Quadratic()
    w0 = h.params["w"].copy()
    res = adapters_models.op_overfit(h, {"X": None, "y": np.zeros(1, int), "lr": 0.1, "steps": 5})
    assert res["losses"].shape == (5,)
    traj = optim.adam(w0, np.stack(h.seen), lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8)
    np.testing.assert_allclose(h.params["w"], np.asarray(traj)[-1], rtol=1e-12)


def test_gradient_check_keeps_finite_differences_off_relu_kinks():
    """Digits have blank borders: with zero biases many conv outputs are exactly 0, ReLU's kink, and a central
    difference along b1 straddles it (a correct model would be accused).  The property jitters biases first."""
    from spec_nn.reference.models import Net
    from spec_nn.specs.models import batch, config
    net = Net("conv_net", config("conv_net", weight_scale=0.1))
    X, y = batch("conv_net", 20)
    _, g = net.loss_and_grads(X, y)
    b, d, h = net.params["b1"], np.full(4, 0.5), 1e-5
    b0 = b.copy()
    b[...] = b0 + h * d
    up = net.loss(X, y)
    b[...] = b0 - h * d
    down = net.loss(X, y)
    b[...] = b0
    assert abs((up - down) / (2 * h) - g["b1"] @ d) > 1e-4   # the kink, seen by an unjittered check
    v = check_property(get("conv_net"), "gradient_check", ReferenceImpl(get("conv_net")))
    assert v.status == "pass", v.message


def test_true_zero_gradients_meet_the_absolute_floor():
    """A bias before batch norm has a true gradient of 0: its directional derivative is ~1e-17, its central
    difference rounding noise; the check's absolute floor accepts both."""
    from spec_nn.specs.models import config, model_case
    from spec_nn import adapters_models
    from spec_nn.reference.models import Net
    case = model_case("fc_net", "gradcheck", config("fc_net", weight_scale=0.1, normalization="batchnorm"))
    res = adapters_models.run_op(lambda cfg: Net("fc_net", cfg), case)
    assert abs(float(res["ad:b1"])) < 1e-12 and abs(float(res["fd1:b1"])) < 1e-8


def test_a_config_the_api_cannot_express_is_a_note_not_a_verdict():
    """The book's ch05 TwoLayerNet has no weight decay: its regularization property says so."""
    res = grade_submission(os.path.join(EX, "book_models"), components=["two_layer_net"])
    p = {p["name"]: p for p in res["components"][[c["name"] for c in res["components"]].index("two_layer_net")]
         ["properties"]}["regularization"]
    assert p["status"] == "pass" and any("not applicable" in n for n in p["info"].get("notes", []))


def test_a_failing_layer_is_a_note_beside_the_models_own_verdicts(tmp_path):
    """relu_backward with ReLU'(0) = 1 fails relu::grad_at_zero; two_layer_net, built from relu, keeps its own
    verdicts (its checks keep inputs off the kink) and carries the note."""
    import shutil
    sub = tmp_path / "sub"
    shutil.copytree(os.path.join(EX, "cs231n_models"), sub)
    layers = sub / "cs231n" / "layers.py"
    src = layers.read_text()
    assert "dout * (cache > 0)" in src
    layers.write_text(src.replace("dout * (cache > 0)", "dout * (cache >= 0)"))
    res = grade_submission(str(sub), components=["relu", "two_layer_net"], max_examples=10)
    got = {c["name"]: c for c in res["components"]}
    assert got["relu"]["status"] == "fail"
    assert got["two_layer_net"]["status"] == "pass" and got["two_layer_net"]["blocked_by"] == ["relu"]
    assert "relu fails too" in got["two_layer_net"]["note"]


def test_digits_are_sklearns_load_digits():
    from sklearn.datasets import load_digits
    from spec_nn.specs.models import digits
    X, y = digits()
    d = load_digits()
    np.testing.assert_array_equal(X * 16, d.data)
    np.testing.assert_array_equal(y, d.target)


def test_a_model_answering_the_same_first_case_differently_is_nondeterministic(tmp_path):
    """Models go through the same first-call determinism check as every component (SubmissionImpl runs the first
    case twice): test-mode scores with noise from an RNG the grader cannot reseed are the finding
    ``nondeterministic``, while the unchanged example passes (tests above)."""
    import shutil
    sub = tmp_path / "sub"
    shutil.copytree(os.path.join(EX, "cs231n_models"), sub)
    fc = sub / "cs231n" / "classifiers" / "fc_net.py"
    src = fc.read_text()
    first = "        if y is None:\n            return scores\n"
    assert src.count(first) == 1
    fc.write_text(src.replace(first, "        if y is None:  # dropout-like noise left on at test time, unseeded\n"
                                     "            return scores * np.random.default_rng().uniform(0.99, 1.01)\n"))
    res = grade_submission(str(sub), components=["two_layer_net"], max_examples=5)
    c = res["components"][0]
    assert c["status"] in ("fail", "error"), c
    said = [p for p in c["properties"]
            if "nondeterministic" in p["message"] or p["info"].get("kind") == "nondeterministic"]
    assert said, [(p["name"], p["status"], p["message"]) for p in c["properties"]]
