"""spec-nn conformance --target PATH on the student's own network (conformance/model_dynamics.py): the book's
MultiLayerNet and CS231n's FullyConnectedNet run the vanishing-gradient and chapter-6 histogram scenarios in the
sandbox; a broken sigmoid backward is reported; a target without a model class is one line per scenario, exit 0."""
import json
import os
import shutil

import pytest

from conformance.model_dynamics import MODEL_SCENARIOS, ModelRunner, run_model_scenarios
from conformance.ops import submission_ops
from spec_nn.cli import main

EX = os.path.join(os.path.dirname(__file__), "..", "examples")
NAMES = ",".join(s.name for s in MODEL_SCENARIOS)


def _run(path, style):
    ops, session = submission_ops(path, style)
    try:
        runner = ModelRunner(session, style, ops.components["fc_net"]["api"])
        return {r["name"]: r for r in run_model_scenarios(runner, profile="ci")}
    finally:
        session.close()


def _check(r, fragment):
    found = [c for c in r["checks"] if fragment in c["name"]]
    assert len(found) == 1, [c["name"] for c in r["checks"]]
    return found[0]


def test_book_multilayernet_runs_both_scenarios():
    res = _run(os.path.join(EX, "book_models"), "book")
    van, hist = res["model_vanishing_gradient"], res["model_activation_histograms"]
    assert van["status"] == "pass", van["claims_not_held"]
    assert _check(van, "equal the reference's")["held"]
    ratios = van["measurements"]["first_last_ratio"]
    assert ratios["sigmoid, Xavier, depth 10"] < 1e-4 and 0.1 <= ratios["relu, He, depth 10"] <= 10
    assert hist["status"] in ("pass", "observed") and not [c for c in hist["checks"] if c["strict"] and not c["held"]]
    assert set(hist["measurements"]["stats_per_layer"]) == {f"{a}, {i}" for a in ("sigmoid", "relu") for i in
                                                            ("std 1", "std 0.01", "Xavier sqrt(1/n)", "He sqrt(2/n)")}
    kinds = [p["kind"] for p in hist["plots"]]
    assert kinds.count("hist") == 2 and [len(p["rows"]) for p in hist["plots"] if p["kind"] == "hist"] == [4, 4]
    assert van["seconds"] < 20 and hist["seconds"] < 20


def test_cs231n_fully_connected_net_runs_what_its_api_allows():
    res = _run(os.path.join(EX, "cs231n_models"), "cs231n")
    van, hist = res["model_vanishing_gradient"], res["model_activation_histograms"]
    assert van["status"] == "pass", van["claims_not_held"]
    assert "ReLU only" in van["measurements"]["not_run"]["sigmoid, Xavier"]
    assert any("not run" in n for n in van["ops"]["notes"])
    assert _check(van, "std 0.01 vs He, depth 10")["held"]
    assert hist["status"] == "pass", hist["claims_not_held"]
    assert set(hist["measurements"]["stats_per_layer"]) == {f"relu, {i}" for i in
                                                            ("std 1", "std 0.01", "Xavier sqrt(1/n)", "He sqrt(2/n)")}
    assert not any(c["name"].startswith("sigmoid") for c in hist["checks"])


def test_a_broken_sigmoid_backward_in_the_model_is_reported(tmp_path):
    sub = tmp_path / "sub"
    shutil.copytree(os.path.join(EX, "book_models"), sub)
    layers = sub / "common" / "layers.py"
    src = layers.read_text()
    good = "return dout * (1.0 - self.out) * self.out"
    assert src.count(good) == 1
    layers.write_text(src.replace(good, "return dout * self.out"))  # forgot the (1 - y) factor
    res = _run(str(sub), "book")
    van = res["model_vanishing_gradient"]
    assert van["status"] == "fail"
    agree = _check(van, "equal the reference's")
    assert not agree["held"] and agree["strict"]
    bad = {k for k, v in agree["measured"].items() if v >= 1e-6}
    assert bad == {"sigmoid, Xavier, depth 5", "sigmoid, Xavier, depth 10"}  # the ReLU nets are still right
    assert res["model_activation_histograms"]["status"] == "fail"


def test_cli_target_with_models_writes_the_plots(tmp_path, capsys):
    rc = main(["conformance", "--target", os.path.join(EX, "cs231n_models"), "--only", NAMES, "--profile", "ci",
               "--out", str(tmp_path), "--quiet"])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "model_vanishing_gradient" in out and "submission:cs231n model pass" in out
    rep = json.load(open(tmp_path / "conformance.json"))
    assert [s["name"] for s in rep["scenarios"]] == [s.name for s in MODEL_SCENARIOS]
    html = (tmp_path / "conformance.html").read_text()
    assert html.count("data:image/png") >= 2 and "ReLU only" in html


@pytest.mark.parametrize("target,style,why", [
    ("book_correct", "book", "no MultiLayerNet in the target"),
    ("cs231n_correct", "cs231n", "no FullyConnectedNet in the target"),
    ("manifest_example", None, "the manifest dialect has no multi-layer net class"),
])
def test_a_target_without_a_model_class_skips_with_one_line_each(tmp_path, capsys, target, style, why):
    args = ["conformance", "--target", os.path.join(EX, target), "--only", NAMES, "--out", str(tmp_path), "--quiet"]
    rc = main(args + (["--style", style] if style else []))
    out = capsys.readouterr().out
    assert rc == 0, out
    lines = [ln for ln in out.splitlines() if "skipped:" in ln]
    assert len(lines) == 2 and all(why in ln for ln in lines), out
    assert "Traceback" not in out
    rep = json.load(open(tmp_path / "conformance.json"))
    assert [s["status"] for s in rep["scenarios"]] == ["skip", "skip"]


def test_an_init_the_constructor_gets_wrong_is_set_directly_and_noted(tmp_path):
    """A MultiLayerNet whose 'he' is the Xavier std (a swapped branch): the weights are redrawn with the std asked
    for, the note says which, and the dynamics are still measured (on the redrawn weights)."""
    sub = tmp_path / "sub"
    shutil.copytree(os.path.join(EX, "book_models"), sub)
    net = sub / "common" / "multi_layer_net.py"
    src = net.read_text()
    he = "scale = np.sqrt(2.0 / all_size_list[idx - 1])"
    assert src.count(he) == 1
    net.write_text(src.replace(he, "scale = np.sqrt(1.0 / all_size_list[idx - 1])"))
    van = _run(str(sub), "book")["model_vanishing_gradient"]
    notes = " ".join(van["ops"]["notes"])
    assert "weight_init_std='he' gave W1 std 0.12" in notes and "set directly" in notes, notes
    assert van["status"] == "pass", van["claims_not_held"]
