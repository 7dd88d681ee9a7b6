"""The thresholds of the seed-claim scenarios (conformance.SEED_SCENARIOS), asserted with fixed seeds at
the ci profile on the reference backend; the cheap ones on torch too; the plots they add to the report."""
from __future__ import annotations

import json

import numpy as np
import pytest

from conformance import ALL_SCENARIOS, BY_NAME, SEED_SCENARIOS, make_ops
from conformance.dead_relu_variants import clip_seed000, prelu_gradient_check, prelu_ref, prelu_ref_backward
from conformance.perceptron import BOOK_GATES, X4, grid_counts, lp_separable, xor_two_layers

PROFILE = "ci"
_cache: dict = {}


def result(name, backend="reference"):
    if (name, backend) not in _cache:
        _cache[(name, backend)] = BY_NAME[name].run(make_ops(backend), profile=PROFILE)
    return _cache[(name, backend)]


def check_named(r, fragment) -> dict:
    found = [c for c in r["checks"] if fragment in c["name"]]
    assert len(found) == 1, f"{fragment!r} matches {[c['name'] for c in found]} of {[c['name'] for c in r['checks']]}"
    return found[0]


def test_registry_order_and_names():
    names = [s.name for s in SEED_SCENARIOS]
    assert names == ["perceptron_gates", "loss_not_accuracy", "minibatch_learning", "relu_sparsity",
                     "activation_histograms", "dead_relu_clipped"]
    assert [s.name for s in ALL_SCENARIOS][-len(names):] == names and len(set(BY_NAME)) == len(ALL_SCENARIOS)


@pytest.mark.parametrize("name", [s.name for s in SEED_SCENARIOS])
def test_strict_thresholds_hold(name):
    r = result(name)
    assert r["status"] in ("pass", "observed"), (r["error"], [c for c in r["checks"] if c["strict"] and not c["held"]])
    assert r["claim"] and r["source"]["seed"] and r["source"]["says"] and r["build"] and r["plots"]
    assert len(r["claims_held"]) + len(r["claims_not_held"]) == len(r["checks"])
    json.dumps(r)  # the report writes it as it is


# -- perceptron_gates ----------------------------------------------------------------------------------

def test_perceptron_gates_thresholds():
    r = result("perceptron_gates")
    m = r["measurements"]
    assert r["status"] == "pass"
    assert m["book_gate_tables"] == {"AND": [0, 0, 0, 1], "NAND": [1, 1, 1, 0], "OR": [0, 1, 1, 1],
                                     "XOR (NAND, OR -> AND)": [0, 1, 1, 0]}
    assert m["grid_counts"]["XOR"] == 0 and m["grid_counts"]["XNOR"] == 0
    assert sum(m["grid_counts"].values()) == 101 ** 3
    assert sorted(k for k, v in m["lp_feasible"].items() if not v) == ["XNOR", "XOR"]


def test_perceptron_helpers_agree_across_backends():
    ref, tor = make_ops("reference"), make_ops("torch-cpu")
    np.testing.assert_array_equal(grid_counts(ref, 21), grid_counts(tor, 21))
    assert ref.numpy(xor_two_layers(ref, ref.asarray(X4))).ravel().tolist() == [0, 1, 1, 0]
    assert lp_separable((0, 0, 0, 1))[0] and not lp_separable((0, 1, 1, 0))[0]
    assert set(BOOK_GATES) == {"AND", "NAND", "OR"}


def test_perceptron_gates_on_torch():
    assert result("perceptron_gates", "torch-cpu")["status"] == "pass"


# -- loss_not_accuracy ----------------------------------------------------------------------------------

def test_loss_not_accuracy_thresholds():
    r = result("loss_not_accuracy")
    m = r["measurements"]
    s = m["sigmoid_net"]
    assert s["share_accuracy_grad_zero"] >= 0.95
    assert s["share_loss_grad_zero"] <= s["share_on_constant_zero_pixels"] + 0.01
    assert 0.1 < s["accuracy"] < 1.0  # probed part-way through training, not at a trivial point
    assert m["step_net"]["moved"]["W0"] == 0 and m["step_net"]["moved"]["b0"] == 0
    assert m["step_net"]["moved"]["W1"] > 0  # the output layer does learn: reported, not hidden
    assert m["perceptron_mse"]["moved"] == 0 and m["perceptron_mse"]["loss_first"] == m["perceptron_mse"]["loss_last"]
    assert m["sweep"]["accuracy_flat_share"] >= 0.5 and m["sweep"]["loss_flat_share"] == 0
    c = check_named(r, "a step-activated net does not learn")
    assert not c["strict"]  # a claim under observation: either way it is reported


# -- minibatch_learning ----------------------------------------------------------------------------------

def test_minibatch_thresholds():
    r = result("minibatch_learning")
    m = r["measurements"]
    assert r["status"] == "pass", r["claims_not_held"]
    assert all(abs(z) < 4 for z in m["minibatch_loss_z"].values())
    assert all(abs(z) < 4 for z in m["gradient_z_along_g"].values())
    assert -1.1 <= m["variance_slope"] <= -0.9
    assert m["final_train_accuracy"] >= 0.9 and m["final_test_accuracy"] >= 0.85
    assert m["train_loss_last10"] < 0.3 * m["train_loss_first10"]
    ep = m["epochs"]
    assert len(ep["train_acc"]) == len(ep["test_acc"]) == len(ep["iteration"]) >= 10
    assert ep["train_acc"][0] < 0.3 < ep["train_acc"][-1]


# -- relu_sparsity -------------------------------------------------------------------------------------

def test_relu_sparsity_thresholds_and_timing_is_only_observed():
    r = result("relu_sparsity")
    z = r["measurements"]["exact_zero_share"]
    assert z["relu"]["init"] >= 0.3 and z["relu"]["trained"] >= 0.3
    assert all(z[a]["trained"] == 0 for a in ("sigmoid", "tanh", "leaky_relu", "prelu", "elu"))
    for fragment in ("ReLU is cheaper than sigmoid", "bare NumPy"):
        assert not check_named(r, fragment)["strict"]  # timings are reported with the machine, never asserted
    mach = r["measurements"]["machine"]
    assert mach["cpu_count"] and mach["processor"]
    assert all(v > 0 for v in r["measurements"]["timing_ns_per_element"].values())


# -- activation_histograms ---------------------------------------------------------------------------------

def test_activation_histograms_thresholds():
    r = result("activation_histograms")
    st = r["measurements"]["stats_per_layer"]
    g = r["measurements"]["rms_growth_layer5_over_layer1"]
    assert len(st) == 8 and all(len(v) == 5 for v in st.values())
    assert all(s["saturated"] >= 0.4 for s in st["sigmoid, std 1"])
    assert all(s["near_half"] >= 0.95 and s["std"] < 0.03 for s in st["sigmoid, std 0.01"])
    assert all(s["saturated"] < 0.05 and s["std"] > 0.1 for s in st["sigmoid, Xavier sqrt(1/n)"])
    assert g["relu, std 0.01"] < 1e-3 and 0.1 <= g["relu, Xavier sqrt(1/n)"] <= 0.5
    assert 0.5 <= g["relu, He sqrt(2/n)"] <= 2 and g["relu, std 1"] > 100
    hist = [p for p in r["plots"] if p["kind"] == "hist"]
    assert len(hist) == 2 and all(len(p["rows"]) == 4 and all(len(row) == 5 for row in p["rows"]) for p in hist)
    assert sum(hist[0]["rows"][0][0]["counts"]) == 1000 * 100  # sigmoid: every activation in (0, 1) is counted


def test_activation_histograms_on_torch_match_reference():
    ref, tor = result("activation_histograms"), result("activation_histograms", "torch-cpu")
    assert tor["status"] == ref["status"]
    for k, v in ref["measurements"]["rms_growth_layer5_over_layer1"].items():
        assert tor["measurements"]["rms_growth_layer5_over_layer1"][k] == pytest.approx(v, rel=1e-9)


# -- dead_relu variants: PReLU and seed 000's clipping ---------------------------------------------------------

def test_prelu_reference_formula_and_gradient():
    x = np.array([[-2.0, 0.0, 3.0]])
    a = np.array([0.25, 0.5, 0.1])
    np.testing.assert_array_equal(prelu_ref(x, a), [[-0.5, 0.0, 3.0]])
    dx, da = prelu_ref_backward(np.ones_like(x), x, a)
    np.testing.assert_array_equal(dx, [[0.25, 0.5, 1.0]])  # the left derivative a at 0
    np.testing.assert_array_equal(da, [-2.0, 0.0, 0.0])
    for backend in ("reference", "torch-cpu"):
        assert prelu_gradient_check(make_ops(backend), 0) < 1e-6


def test_clip_seed000_bounds_every_entry():
    ops = make_ops("reference")
    g = {"W0": np.array([[1.0, -1.0, 1e-4]]), "b0": np.array([0.5])}
    out, share = clip_seed000(ops, g, {"W0": 2, "b0": 2}, 0.01)
    np.testing.assert_allclose(out["W0"], [[0.01, -0.01, 1e-4]])
    assert out["b0"][0] == pytest.approx(0.01) and share == pytest.approx(3 / 4)


def test_dead_relu_clipped_reports_what_holds():
    r = result("dead_relu_clipped")
    m = r["measurements"]
    assert r["status"] in ("observed",)  # an observed scenario: the remedy's claims are reported, never "fail"
    base = m["dead_share_final"]["relu, lr 3.0, no clipping"]
    ctl = m["dead_share_final"]["relu, lr 0.1, no clipping (control)"]
    assert base > ctl + 0.2
    assert set(m["share_of_gradient_entries_clipped"]) == set(m["dead_share_final"])
    assert m["share_of_gradient_entries_clipped"]["relu, lr 3.0, clipped at 0.01 sqrt(2/n)"] > 0
    assert not check_named(r, "seed 000's remedy")["strict"]


# -- the report draws the new plot kinds -------------------------------------------------------------------------

def test_report_draws_the_new_plot_kinds(tmp_path):
    from spec_nn.cli import main
    names = ["perceptron_gates", "activation_histograms"]
    rc = main(["conformance", "--target", "reference", "--profile", "ci", "--quiet", "--no-components",
               "--out", str(tmp_path), "--only", ",".join(names)])
    data = json.loads((tmp_path / "conformance.json").read_text())
    assert rc == 0 and [s["name"] for s in data["scenarios"]] == names
    html = (tmp_path / "conformance.html").read_text()
    for name in names:
        assert f'id="scenario-{name}-reference"' in html
    kinds = [p["kind"] for s in data["scenarios"] for p in s["plots"]]
    assert {"panels2d", "bars", "hist", "lines"} <= set(kinds)
    assert html.count('src="data:image/png;base64,') == len(kinds)
    grids = [p for s in data["scenarios"] for p in s["plots"] if p["kind"] in ("hist", "panels2d")]
    assert html.count('class="wide"') == len(grids) == 3  # two 4 x 5 histogram grids, the 4 gate panels


def test_a_submission_step_without_backward_gets_the_reference_backward_and_says_so():
    """The book writes step_function as a forward only: the scenarios still run on it, and the report
    lists the stand-in (like every other fallback to the reference)."""
    from spec_nn.impl import FunctionImpl, ReferenceImpl
    from spec_nn.reference import activations as ra
    from spec_nn.registry import COMPONENTS
    from conformance.ops import ImplOps

    def impl_for(n):
        if n == "step":
            return FunctionImpl(COMPONENTS[n], lambda c: ra.step(c["x"]))  # forward only
        return ReferenceImpl(COMPONENTS[n]) if n in COMPONENTS else None
    ops = ImplOps(impl_for, "forward-only step")
    r = BY_NAME["loss_not_accuracy"].run(ops, profile=PROFILE)
    assert r["status"] in ("pass", "observed"), r["error"]
    assert "step backward (the submission has only a forward)" in r["ops"]["fallbacks_to_reference"]
    assert r["measurements"]["step_net"]["moved"]["W0"] == 0
    assert not any("prelu" in f for f in r["ops"]["fallbacks_to_reference"])
    from conformance.dead_relu_variants import prelu_forward
    prelu_forward(ops, np.ones((2, 3)), np.full(3, 0.25))  # no prelu component in any dialect: listed too
    assert "prelu (the scenarios' NumPy PReLU)" in ops.describe()["fallbacks_to_reference"]
