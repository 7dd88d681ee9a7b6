"""`spec-nn conformance` writes the JSON and HTML reports: every scenario with its plots, the component
matrix, the environment; the HTML opens in headless Chromium where it is installed."""
from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from conformance import SCENARIOS
from spec_nn.cli import main

SCENARIO_NAMES = [s.name for s in SCENARIOS]
EXPECTED = ["vanishing_gradient", "relu_he_init", "residual_connection", "exploding_gradient", "dead_relu",
            "autoencoder_depth", "optimizer_paths"]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("conformance")
    rc = main(["conformance", "--target", "reference", "--profile", "ci", "--quiet", "--out", str(out),
               "--only", ",".join(["relu", "sigmoid", "sgd"] + SCENARIO_NAMES)])
    with open(out / "conformance.json") as f:
        data = json.load(f)
    return rc, data, out / "conformance.html"


def test_every_scenario_of_the_issue_is_registered():
    assert SCENARIO_NAMES == EXPECTED


def test_json_shape(report):
    rc, data, _ = report
    assert rc == 0, data["summary"]
    env = data["environment"]
    for k in ("numpy", "torch", "device", "dtype_policy", "seed"):
        assert k in env
    assert {v["component"] for v in data["components"]} >= {"relu", "sigmoid"}
    for v in data["components"]:
        assert {"component", "property", "backend", "dtype", "status"} <= set(v)
        assert v["dtype"] in ("float64", "float32")
    assert [s["name"] for s in data["scenarios"]] == EXPECTED
    for s in data["scenarios"]:
        assert {"name", "claim", "status", "measurements"} <= set(s)
        assert s["status"] in ("pass", "observed"), (s["name"], s["error"], s["claims_not_held"])
        assert s["plots"], s["name"]
        assert all({"name", "threshold", "measured", "held"} <= set(c) for c in s["checks"])
    vg = next(s for s in data["scenarios"] if s["name"] == "vanishing_gradient")
    assert set(vg["measurements"]["grad_norm_per_layer"]) == {"sigmoid", "tanh", "relu_he", "residual"}


def test_html_has_matrix_and_every_scenario_with_plots(report):
    _, data, html = report
    text = html.read_text()
    assert 'id="matrix"' in text
    for name in EXPECTED:
        assert f'id="scenario-{name}-reference"' in text
    assert text.count('src="data:image/png;base64,') == sum(len(s["plots"]) for s in data["scenarios"])


CHROMIUM = next((p for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser", shutil.which("chromium") or "")
                 if p and os.path.exists(p)), None)


def test_html_opens_in_headless_chromium(report, tmp_path, capsys):
    if CHROMIUM is None:
        with capsys.disabled():
            print("\nskipping the Chromium check: no /usr/bin/chromium (apt-get install chromium to run it)")
        pytest.skip("chromium is not installed")
    _, data, html = report
    flags = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files"]
    dom = subprocess.run(flags + ["--dump-dom", html.as_uri()], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert 'id="matrix"' in dom.stdout and "scenario-optimizer_paths-reference" in dom.stdout
    shot = tmp_path / "shot.png"
    r = subprocess.run(flags + [f"--screenshot={shot}", "--window-size=1280,4000", html.as_uri()],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and shot.exists() and shot.stat().st_size > 10_000, r.stderr[-2000:]


def test_junit_report_has_a_case_per_verdict_and_scenario(report):
    import xml.etree.ElementTree as ET
    _, data, html = report
    root = ET.parse(html.parent / "conformance.xml").getroot()
    cases = root.findall(".//testcase")
    assert len(cases) == len(data["components"]) + len(data["scenarios"])
    names = {c.get("name") for c in cases}
    assert "relu::grad_at_zero[float64]" in names and "vanishing_gradient[reference]" in names
    assert not root.findall(".//failure") and not root.findall(".//error")


def test_junit_marks_a_failed_verdict_and_scenario():
    import xml.etree.ElementTree as ET
    from spec_nn.conformance_report import to_junit
    report = {"components": [{"id": "relu::grad_at_zero", "component": "relu", "property": "grad_at_zero",
                              "backend": "submission:book", "dtype": "float64", "status": "fail",
                              "message": "dx[0]=1.0, but should be 0.0", "example": "Case(x=[0.])", "repro": "..."}],
              "scenarios": [{"name": "optimizer_paths", "backend": "submission:book", "status": "fail",
                             "checks": [{"name": "adam path", "measured": 1.0, "threshold": "< 1e-9",
                                         "held": False, "strict": True}]}]}
    root = ET.fromstring(to_junit(report))
    assert [f.get("message") for f in root.iter("failure")] == ["dx[0]=1.0, but should be 0.0", "adam path"]
