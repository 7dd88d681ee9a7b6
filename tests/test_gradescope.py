"""Issue 11: the Gradescope bundle, run as Gradescope runs it against a folder laid out like /autograder."""
import json
import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from spec_nn.gradescope import build, prepare

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "examples")
COMPONENTS = ["relu", "affine", "adam", "momentum"]  # sgd is course-provided in CS231n: not counted


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    d = tmp_path_factory.mktemp("bundle")
    rubric = d / "rubric.toml"
    rubric.write_text('[visibility]\n"*" = "visible"\n"affine::*" = "hidden"\n"adam::*" = "after_due_date"\n')
    z = d / "autograder.zip"
    build(str(z), rubric=str(rubric), style="cs231n", components=COMPONENTS, timeout=3, max_examples=3)
    return z


def run_bundle(bundle, tmp_path, files: dict, *, flat=True):
    root = tmp_path / "autograder"
    (root / "source").mkdir(parents=True)
    with zipfile.ZipFile(bundle) as z:
        z.extractall(root / "source")
    sub = root / "submission"
    sub.mkdir()
    for rel, text in files.items():
        p = sub / (rel if flat else os.path.join("cs231n", rel))
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), SPEC_NN_PYTHON=sys.executable)
    p = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env, capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 0, p.stderr
    return json.loads((root / "results" / "results.json").read_text())


def cs231n_files(example="cs231n_correct"):
    d = os.path.join(EXAMPLES, example, "cs231n")
    return {f: open(os.path.join(d, f)).read() for f in os.listdir(d) if f.endswith(".py")}


def test_the_bundle_follows_gradescopes_layout(bundle):
    with zipfile.ZipFile(bundle) as z:
        names = set(z.namelist())
        assert {"setup.sh", "run_autograder", "requirements.txt", "config.json", "rubric.toml",
                "lib/spec_nn/grading.py", "lib/spec_nn/_worker.py", "lib/spec_nn/templates/grade.html"} <= names
        assert (z.getinfo("run_autograder").external_attr >> 16) & 0o111
        reqs = z.read("requirements.txt").decode()
        assert "numpy==" in reqs and "torch" not in reqs


def test_correct_submission_full_marks_with_visibility_and_consistent_totals(bundle, tmp_path):
    r = run_bundle(bundle, tmp_path, cs231n_files())
    total = sum(t["max_score"] for t in r["tests"])
    assert r["score"] == total > 0
    vis = {t["name"].split("::")[0]: t["visibility"] for t in r["tests"]}
    assert vis == {"relu": "visible", "affine": "hidden", "adam": "after_due_date", "momentum": "visible"}
    assert all("execution_time" in t for t in r["tests"])


def test_buggy_submission_shows_the_minimal_example_and_reproduction(bundle, tmp_path):
    r = run_bundle(bundle, tmp_path, cs231n_files("cs231n_buggy"), flat=False)
    failed = [t for t in r["tests"] if t["status"] == "failed"]
    assert failed and r["score"] < sum(t["max_score"] for t in r["tests"])
    assert any("minimal example:" in t["output"] and "reproduce with:" in t["output"] for t in failed)


def test_a_syntax_error_is_a_graded_result(bundle, tmp_path):
    files = cs231n_files()
    files["optim.py"] = files["optim.py"] + "\ndef broken(:\n"
    r = run_bundle(bundle, tmp_path, files)
    by = {}
    for t in r["tests"]:
        by.setdefault(t["name"].split("::")[0], []).append(t)
    assert all(t["status"] == "failed" and "SyntaxError" in t["output"] for t in by["adam"] + by["momentum"])
    assert all(t["status"] == "passed" for t in by["relu"] + by["affine"])
    assert "optim.py line" in r["output"]


def test_a_timing_out_submission_is_graded_around_the_hang(bundle, tmp_path):
    files = cs231n_files()
    files["layers.py"] += "\n\ndef relu_forward(x):\n    while True:\n        pass\n"
    r = run_bundle(bundle, tmp_path, files)
    relu = [t for t in r["tests"] if t["name"].startswith("relu::")]
    assert relu and all(t["status"] == "failed" for t in relu) and any("timeout" in t["output"] for t in relu)
    assert all(t["status"] == "passed" for t in r["tests"] if t["name"].startswith("affine::"))


def test_an_ungradable_submission_still_gets_a_results_json(bundle, tmp_path):
    r = run_bundle(bundle, tmp_path, {"README.md": "I could not do it"})
    assert r["score"] == 0 and "could not be graded" in r["output"] and r["tests"] == []


def test_prepare_finds_the_tree_at_any_depth_or_builds_it(tmp_path):
    deep = tmp_path / "a" / "assignment2" / "cs231n"
    deep.mkdir(parents=True)
    (deep / "layers.py").write_text("")
    assert prepare(str(tmp_path / "a"), None) == str(tmp_path / "a" / "assignment2")
    flat = tmp_path / "flat"
    flat.mkdir()
    (flat / "layers.py").write_text("")
    built = prepare(str(flat), "cs231n")
    assert os.path.isfile(os.path.join(built, "cs231n", "layers.py"))


def test_a_bundle_with_the_courses_own_dialect_manifest(tmp_path):
    """--manifest: the course's edited copy of a built-in dialect travels in the bundle and reads every
    upload (here: the course's Rectifier class, which the built-in book dialect does not know)."""
    from spec_nn import dialect
    course = tmp_path / "course.toml"
    course.write_text(open(dialect.path_of("book")).read().replace('{class = "layers:Relu"}', '{class = "layers:Rectifier"}'))
    z = tmp_path / "autograder.zip"
    build(str(z), components=["relu"], max_examples=3, manifest=str(course))
    d = os.path.join(EXAMPLES, "book_correct", "common")
    files = {f: open(os.path.join(d, f)).read() for f in os.listdir(d) if f.endswith(".py")}
    files["layers.py"] = files["layers.py"].replace("class Relu:", "class Rectifier:")
    files["functions.py"] = files["functions.py"].replace("def relu(x):", "def _relu_unused(x):")  # only Rectifier
    r = run_bundle(z, tmp_path, {os.path.join("common", k): v for k, v in files.items()})
    [t] = [t for t in r["tests"] if t["name"].startswith("relu::forward_matches_reference")]
    assert t["status"] == "passed" and r["score"] == sum(x["max_score"] for x in r["tests"]) > 0, r
    with zipfile.ZipFile(z) as zz:
        assert json.loads(zz.read("config.json"))["manifest"] == "course_manifest.toml"
