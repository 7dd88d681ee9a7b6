"""Issue 7, section 1: one file that does not load never refuses the whole submission.

Each file of a dialect is imported on its own; the components of a file that fails (or imports one that
fails) get one line (file, line, exception) and the status "error", or "environment" when the fault is the
grader's environment (a missing third-party module, Python 2 code, non-UTF-8 source, NumPy removals), with
the fix named.  Every other component is graded and every report is written.
"""
import json
import os
import shutil

import pytest

from spec_nn.cli import main
from spec_nn.grading import grade_submission

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "examples")


def tree(tmp_path, example, edits):
    d = tmp_path / "sub"
    shutil.copytree(os.path.join(EXAMPLES, example), d)
    for rel, fn in edits.items():
        p = d / rel
        p.write_bytes(fn(p.read_bytes() if p.exists() else b""))
    return str(d)


def by_name(res):
    return {c["name"]: c for c in res["components"]}


FAST = dict(max_examples=3)


def test_course_gradient_check_importing_past_leaves_every_layer_graded(tmp_path):
    sub = tree(tmp_path, "cs231n_correct",
               {"cs231n/gradient_check.py": lambda b: b"from past.builtins import xrange\n" + b})
    out = tmp_path / "r.json"
    gs = tmp_path / "results.json"
    rc = main(["grade", sub, "--json", str(out), "--gradescope", str(gs), "--max-examples", "3", "-q"])
    res = json.loads(out.read_text())
    comps = by_name(res)
    ng = comps["numerical_gradient"]
    assert ng["status"] == "environment" and "pip install future" in ng["message"], ng
    assert "cs231n/gradient_check.py line 1" in ng["message"]
    graded = [c for c in res["components"] if c["status"] not in ("missing", "environment")]
    assert len(graded) >= 14 and all(c["status"] == "pass" for c in graded), [c["name"] for c in graded]
    assert rc == 1 and gs.exists()  # the exit status of a graded submission, every report written
    # the default rubric does not count the environment against the student
    assert res["score"]["earned"] == res["score"]["possible"] > 0


def test_syntax_error_in_optimizer_does_not_zero_the_layers(tmp_path):
    sub = tree(tmp_path, "book_correct", {"common/optimizer.py": lambda b: b + b"\ndef broken(:\n"})
    res = grade_submission(sub, components=["relu", "affine", "sgd", "adam"], **FAST)
    comps = by_name(res)
    for opt in ("sgd", "adam"):
        assert comps[opt]["status"] == "error", comps[opt]
        assert "common/optimizer.py line" in comps[opt]["message"] and "SyntaxError" in comps[opt]["message"]
    assert comps["relu"]["status"] == comps["affine"]["status"] == "pass"


@pytest.mark.parametrize("source,fix", [
    (b"def relu(x):\n    print 'hello'\n    return x\n", "Python 2 code"),
    (b"import numpy as np\nNAME = 'caf\xe9'\n", "not UTF-8"),
    (b"import cv2_not_installed_anywhere\n", "pip install"),
])
def test_environment_faults_name_the_fix(tmp_path, source, fix):
    # the book's functions.py with the fault added (its step_function is still defined in the file)
    sub = tree(tmp_path, "book_correct", {"common/functions.py": lambda b: b + b"\n" + source})
    res = grade_submission(sub, components=["step", "relu", "sgd"], **FAST)
    comps = by_name(res)
    assert comps["step"]["status"] == "environment" and fix in comps["step"]["message"], comps["step"]
    # layers.py imports functions.py, so its components share the fault (named through the import) ...
    assert comps["relu"]["status"] == "environment" and "common/functions.py" in comps["relu"]["message"]
    assert comps["sgd"]["status"] == "pass"  # ... optimizer.py does not


def test_numpy_removal_at_call_time_is_environment(tmp_path):
    sub = tree(tmp_path, "book_correct", {"common/functions.py": lambda b: b + b"\n\ndef step_function(x):\n"
                                          b"    return np.array(x > 0, dtype=np.int)\n"})
    res = grade_submission(sub, components=["step"], **FAST)
    step = by_name(res)["step"]
    bad = [p for p in step["properties"] if p["status"] not in ("pass", "missing")]
    assert bad and all(p["status"] == "environment" and "removed in NumPy 1.24" in p["message"] for p in bad), bad
    assert step["status"] == "environment" and res["score"]["possible"] == 0


@pytest.mark.parametrize("name", ["random.py", "dataclasses.py", "warnings.py", "json.py"])
def test_student_file_named_like_a_stdlib_module_does_not_break_the_grader(tmp_path, name):
    sub = tree(tmp_path, "book_correct", {name: lambda b: b"raise RuntimeError('shadowed')\n"})
    res = grade_submission(sub, components=["relu", "dropout", "sgd"], **FAST)
    assert all(c["status"] == "pass" for c in res["components"]), [(c["name"], c["message"]) for c in
                                                                    res["components"]]


def test_a_layer_in_another_file_of_the_package_is_graded_not_missing(tmp_path):
    """Real book trees split common/layers.py (conv_layers.py, activation.py): those classes are graded."""
    def move_relu(b):
        return b.replace(b"class Relu:", b"class _RelocatedRelu:")
    sub = tree(tmp_path, "book_correct", {"common/layers.py": move_relu})
    relu_src = open(os.path.join(EXAMPLES, "book_correct", "common", "layers.py")).read()
    start = relu_src.index("class Relu:")
    end = relu_src.index("\nclass ", start + 1)
    with open(os.path.join(sub, "common", "activation.py"), "w") as f:
        f.write("import numpy as np\n\n" + relu_src[start:end] + "\n")
    res = grade_submission(sub, components=["relu"], **FAST)
    assert by_name(res)["relu"]["status"] == "pass", by_name(res)["relu"]


def test_python2_integer_division_at_run_time_is_environment(tmp_path):
    """A 2016 tree: a course file with a print statement marks the tree as Python 2; its conv computes the
    output size with / (a float under Python 3), which is then the environment's fault, not the student's."""
    sub = tree(tmp_path, "cs231n_correct", {
        "cs231n/gradient_check.py": lambda b: b + b"\n\ndef _legacy():\n    print 'checking'\n",
        "cs231n/layers.py": lambda b: b + b"\n\ndef relu_forward(x):\n    n = x.shape[0] / 1\n"
                                          b"    out = np.maximum(x, 0)[:n]\n    return out, x\n"})
    res = grade_submission(sub, components=["relu", "affine"], **FAST)
    relu = by_name(res)["relu"]
    assert relu["status"] == "environment" and "Python 2" in json.dumps(relu), relu
    assert by_name(res)["affine"]["status"] == "pass"
    assert by_name(res)["numerical_gradient"]["status"] == "environment" if "numerical_gradient" in by_name(res) \
        else True


def test_an_unbuilt_course_cython_extension_is_environment(tmp_path):
    sub = tree(tmp_path, "cs231n_correct", {
        "cs231n/layers.py": lambda b: b + b"\n\ndef affine_forward(x, w, b):\n"
                                          b"    return im2col_6d_cython(x), None\n"})
    res = grade_submission(sub, components=["affine"], **FAST)
    aff = by_name(res)["affine"]
    assert aff["status"] == "environment" and "Cython" in json.dumps(aff), aff


def test_a_course_file_left_out_of_the_repository_is_environment(tmp_path):
    """Students often do not commit the course's fast_layers.py, which layer_utils.py imports."""
    sub = tree(tmp_path, "cs231n_correct", {"cs231n/layers.py": lambda b: b"from cs231n.fast_layers import *\n" + b})
    res = grade_submission(sub, components=["relu", "sgd"], **FAST)
    relu = by_name(res)["relu"]
    assert relu["status"] == "environment" and "course file cs231n/fast_layers.py" in relu["message"], relu
    assert by_name(res)["sgd"]["status"] == "pass"  # optim.py does not import it


def test_python2_cast_error_in_a_python2_tree_is_environment(tmp_path):
    sub = tree(tmp_path, "cs231n_correct", {
        "cs231n/gradient_check.py": lambda b: b + b"\n\ndef _legacy():\n    print 'checking'\n",
        "cs231n/layers.py": lambda b: b + b"\n\ndef relu_forward(x):\n    idx = np.arange(x.size) / 1.0\n"
                                          b"    return np.take(x, idx.astype(float)), x\n"})
    res = grade_submission(sub, components=["relu"], **FAST)
    relu = by_name(res)["relu"]
    assert relu["status"] == "environment" and "Python 2" in json.dumps(relu), [p["message"] for p in
                                                                               relu["properties"]]
