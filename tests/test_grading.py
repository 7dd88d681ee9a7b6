"""The grader on the examples: correct submissions pass every property, buggy ones are caught; rubric;
styles; exit codes; reports (JSON, JUnit, Gradescope, HTML in headless Chromium where installed)."""
import json
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

from spec_nn.cli import main
from spec_nn.grading import detect_style, grade_submission

EX = os.path.join(os.path.dirname(__file__), "..", "examples")
FAST = dict(max_examples=6)


@pytest.mark.parametrize("name,style", [("book_correct", "book"), ("cs231n_correct", "cs231n"),
                                        ("manifest_example", "manifest")])
def test_correct_examples_pass_everything(name, style):
    res = grade_submission(os.path.join(EX, name), **FAST)
    assert res["style"] == style
    bad = [(c["name"], p["name"], p["message"]) for c in res["components"] for p in c["properties"]
           if p["status"] in ("fail", "error", "blocked")]
    assert not bad, bad
    assert res["score"]["earned"] == res["score"]["possible"] > 0


@pytest.mark.parametrize("name,expect", [
    ("book_buggy", {"relu": "grad_at_zero", "softmax": "finite_outputs", "adam": "forward_matches_reference",
                    "affine": "backward_matches_reference"}),
    ("cs231n_buggy", {"relu": "grad_at_zero", "softmax_cross_entropy": "finite_outputs",
                      "adam": "forward_matches_reference", "dropout": "drop_share_matches_p",
                      "svm_loss": "forward_matches_reference"})])
def test_buggy_examples_are_caught(name, expect):
    res = grade_submission(os.path.join(EX, name), components=list(expect), **FAST)
    for c in res["components"]:
        props = {p["name"]: p for p in c["properties"]}
        assert c["status"] == "fail", (c["name"], c["status"])
        p = props[expect[c["name"]]]
        assert p["status"] == "fail" and p["example"] and p["repro"], p
    assert main(["grade", os.path.join(EX, name), "--components", ",".join(expect), "--max-examples", "4",
                 "-q"]) == 1


def test_repro_snippet_uses_the_students_api_and_reproduces():
    res = grade_submission(os.path.join(EX, "cs231n_buggy"), components=["relu"], **FAST)
    p = next(p for p in res["components"][0]["properties"] if p["name"] == "grad_at_zero")
    assert "relu_backward(dout.copy(), cache)" in p["repro"]
    out = subprocess.run([shutil.which("python") or "python", "-c", p["repro"]], capture_output=True, text=True,
                         cwd=os.path.join(EX, "cs231n_buggy"))
    res_b = grade_submission(os.path.join(EX, "book_buggy"), components=["relu"], **FAST)
    pb = next(p for p in res_b["components"][0]["properties"] if p["name"] == "grad_at_zero")
    assert "Relu()" in pb["repro"] and "layer.backward(dout.copy())" in pb["repro"]


def test_rubric_accepts_a_named_variant_and_sets_points(tmp_path):
    rub = tmp_path / "r.toml"
    rub.write_text('[points]\n"relu::grad_at_zero" = 5\n[accept.relu]\ngrad_at_zero = ["zero", "one"]\n'
                   '[adapter.dropout]\np_meaning = ["keep", "drop"]\n')
    res = grade_submission(os.path.join(EX, "book_buggy"), components=["relu"], rubric=str(rub), **FAST)
    relu = res["components"][0]
    assert relu["status"] == "pass", [(p["name"], p["message"]) for p in relu["properties"] if p["status"] != "pass"]
    assert next(p for p in relu["properties"] if p["name"] == "grad_at_zero")["points"] == 5
    res = grade_submission(os.path.join(EX, "cs231n_buggy"), components=["dropout"], rubric=str(rub), **FAST)
    assert res["components"][0]["status"] == "pass"
    assert res["components"][0]["adapter_variant"] == {"p_meaning": "drop"}
    bad = tmp_path / "bad.toml"
    bad.write_text('[accept.relu]\ngrad_at_zero = ["sideways"]\n')
    assert main(["grade", os.path.join(EX, "book_buggy"), "--rubric", str(bad)]) == 2


def test_detect_style_and_missing_components():
    assert detect_style(os.path.join(EX, "book_correct")) == "book"
    assert detect_style(os.path.join(EX, "cs231n_correct")) == "cs231n"
    assert detect_style(os.path.join(EX, "manifest_example")) == "manifest"
    res = grade_submission(os.path.join(EX, "cs231n_correct"), components=["nesterov", "relu"], **FAST)
    st = {c["name"]: c["status"] for c in res["components"]}
    assert st == {"relu": "pass", "nesterov": "missing"}


def test_built_from_a_failed_component_is_graded_on_its_own_with_a_note(tmp_path):
    man = tmp_path / "spec_nn.toml"
    (tmp_path / "ops.py").write_text(
        "import numpy as np\n"
        "def affine(x, w, b):\n    return x.reshape(len(x), -1) @ w + b + 1\n"
        "def res(x, w1, b1, w2, b2):\n    return np.maximum(x + np.maximum(x @ w1 + b1, 0) @ w2 + b2, 0)\n")
    man.write_text('[components.affine]\nforward = "ops:affine"\nargs = ["x", "w", "b"]\n'
                   '[components.residual_block]\nforward = "ops:res"\n')
    res = grade_submission(str(man), components=["affine", "residual_block"], **FAST)
    st = {c["name"]: c for c in res["components"]}
    assert st["affine"]["status"] == "fail"
    rb = st["residual_block"]
    assert rb["status"] == "pass" and any(p["status"] == "pass" for p in rb["properties"])
    assert all(p["status"] in ("pass", "missing") for p in rb["properties"])
    assert rb["note"].startswith("affine fails too: fix it first") and rb["blocked_by"] == ["affine"]


def test_reports(tmp_path):
    out = {k: str(tmp_path / f"r.{k}") for k in ("json", "junit", "html", "gradescope")}
    rc = main(["grade", os.path.join(EX, "book_buggy"), "--components", "relu,sigmoid,softmax", "--max-examples", "4",
               "--json", out["json"], "--junit", out["junit"], "--html", out["html"], "--gradescope",
               out["gradescope"], "-q"])
    assert rc == 1
    data = json.load(open(out["json"]))
    assert {"submission", "style", "components", "score"} <= set(data)
    assert {"earned", "possible"} <= set(data["score"])
    c = data["components"][0]
    assert {"name", "status", "properties"} <= set(c)
    assert {"name", "status", "message", "example"} <= set(c["properties"][0])
    root = ET.parse(out["junit"]).getroot()
    cases = root.findall(".//testcase")
    assert any(tc.find("failure") is not None for tc in cases) and len(cases) > 10
    gs = json.load(open(out["gradescope"]))
    assert gs["score"] == data["score"]["earned"] and all({"name", "score", "max_score"} <= set(t) for t in gs["tests"])
    html = open(out["html"]).read()
    assert "relu::grad_at_zero" in html and "Reproduce with" in html and "Minimal input" in html
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or (
        "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
    if not chromium:
        pytest.skip("headless Chromium is not installed: the HTML report was not rendered in a browser")
    dom = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom",
                          "file://" + out["html"]], capture_output=True, text=True, timeout=60)
    assert dom.returncode == 0, dom.stderr[-500:]
    assert 'data-status="fail"' in dom.stdout and "relu::grad_at_zero" in dom.stdout
