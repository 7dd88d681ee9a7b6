"""The plugin's items behave like pytest's: collected from a file (a spec_nn.toml in the tree, a book or
cs231n tree's file), ids ``FILE::component::property`` that select by node id, -k, --deselect, --lf and --sw;
unmapped components not collected; each property checked once under xdist, on the worker that runs it;
per-property options; the student's frames of a traceback."""
import os
import re
import shutil
import textwrap

import pytest

pytest_plugins = ["pytester"]

EX = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "examples"))
N_RELU = 8  # properties of relu
FEW = ("--spec-nn-max-examples", "5")  # selection is what these tests are about, not the examples


def copy_sub(pytester, name: str, as_name: str | None = None) -> str:
    shutil.copytree(os.path.join(EX, name), pytester.path / (as_name or name),
                    ignore=shutil.ignore_patterns("__pycache__"))
    return as_name or name


def ids(result) -> list[str]:
    return [ln for ln in result.stdout.lines if "::" in ln and not ln.startswith(("FAILED", "ERROR"))]


# --------------------------------------------------------------------------------------------------
# Ids and selection

def test_ids_are_file_component_property_and_select_by_node_id(pytester):
    copy_sub(pytester, "book_buggy")
    r = pytester.runpytest("--spec-nn-submission", "book_buggy", "--collect-only", "-q")
    got = ids(r)
    assert "book_buggy/common/layers.py::relu::grad_at_zero" in got
    assert all(re.fullmatch(r"book_buggy/common/layers\.py::\w+::\w+", i) for i in got), got
    # one node id, a component, two files' worth of arguments: pytest's own selection
    r = pytester.runpytest("book_buggy/common/layers.py::relu::grad_at_zero", *FEW)
    r.assert_outcomes(failed=1)
    r = pytester.runpytest("book_buggy/common/layers.py::relu", "book_buggy/common/layers.py::sigmoid::finite_outputs")
    out = r.parseoutcomes()
    assert out["passed"] + out["failed"] == N_RELU + 1, out
    r.stdout.fnmatch_lines(["FAILED book_buggy/common/layers.py::relu::grad_at_zero - *"])
    r = pytester.runpytest("--spec-nn-submission", "book_buggy", "book_buggy/common/layers.py::relu::grad_at_zero",
                           *FEW)
    r.assert_outcomes(failed=1)


def test_k_and_deselect(pytester):
    copy_sub(pytester, "book_buggy")
    r = pytester.runpytest("--spec-nn-submission", "book_buggy", "-k", "relu and zero", *FEW)
    out = r.parseoutcomes()
    assert out["failed"] == 1 and out["deselected"] > 100 and "passed" not in out, out
    r = pytester.runpytest("--spec-nn-submission", "book_buggy", "--spec-nn-components", "relu",
                           "--deselect", "book_buggy/common/layers.py::relu::grad_at_zero")
    out = r.parseoutcomes()
    assert out["deselected"] == 1 and out["passed"] + out.get("failed", 0) == N_RELU - 1, out
    assert "grad_at_zero" not in r.stdout.str()


def test_last_failed_reruns_only_the_failures(pytester):
    copy_sub(pytester, "book_buggy")
    args = ["--spec-nn-submission", "book_buggy", "--spec-nn-components", "relu,sigmoid,softmax"]
    first = pytester.runpytest(*args).parseoutcomes()
    assert first["failed"] >= 3 and first["passed"] > 10
    r = pytester.runpytest(*args, "--lf")
    r.assert_outcomes(failed=first["failed"], deselected=first["passed"] + first.get("skipped", 0))
    r.stdout.fnmatch_lines(["*run-last-failure: rerun previous {} failures*".format(first["failed"])])


def test_stepwise_continues_from_the_last_failure(pytester):
    copy_sub(pytester, "book_buggy")
    args = ["--spec-nn-submission", "book_buggy", "--spec-nn-components", "sigmoid,relu", "--sw"]
    r = pytester.runpytest(*args)
    # sigmoid (8 passing), relu up to its first failure, where it stops
    first = r.parseoutcomes()
    assert first["failed"] == 1 and first["passed"] >= N_RELU, first
    failed = [ln for ln in r.stdout.lines if ln.startswith("FAILED")]
    assert len(failed) == 1 and "::relu::" in failed[0]
    r = pytester.runpytest(*args)  # starts at that failure (fails again, stops again)
    r.assert_outcomes(failed=1, deselected=first["passed"])
    assert [ln for ln in r.stdout.lines if ln.startswith("FAILED")] == failed


# --------------------------------------------------------------------------------------------------
# What is collected

def test_a_manifest_in_the_tree_is_a_file_with_only_its_components(pytester):
    copy_sub(pytester, "manifest_example", "lib")
    r = pytester.runpytest("-v", *FEW)
    got = ids(r)
    comps = {i.split("::")[1] for i in got}
    assert comps == {"relu", "tanh", "affine", "residual_block"}, got
    assert all(i.startswith("lib/spec_nn.toml::") for i in got)
    r.stdout.fnmatch_lines(["spec_nn: lib (manifest): 4 of * components collected; * not mapped by the manifest: "
                            "identity, step, sigmoid, *"])
    assert "skipped" not in r.parseoutcomes()


def test_book_tree_collects_only_its_implemented_components(pytester):
    copy_sub(pytester, "book_correct")
    r = pytester.runpytest("--spec-nn-submission", "book_correct", "--collect-only", "-q")
    comps = {i.split("::")[1] for i in ids(r)}
    assert "relu" in comps and "adam" in comps and "tanh" not in comps and "layer_norm" not in comps
    header = [ln for ln in r.stdout.lines if ln.startswith("spec_nn: ")]
    assert len(header) == 1 and f"{len(comps)} of " in header[0] and "not mapped by the book dialect" in header[0]
    assert "tanh" in header[0]


def test_a_book_file_named_on_the_command_line_is_graded_not_imported(pytester):
    copy_sub(pytester, "book_buggy")
    # the tree's files are never imported in pytest's process: not a Module, and common/ not a Package
    r = pytester.runpytest("book_buggy/common/layers.py", "--collect-only", "--spec-nn-components", "relu")
    out = r.stdout.str()
    assert "<SubmissionFile layers.py>" in out and "<Module" not in out and "<Package" not in out, out
    assert out.count("<SpecNNItem") == N_RELU


def test_cs231n_tree(pytester):
    copy_sub(pytester, "cs231n_buggy")
    r = pytester.runpytest("--spec-nn-submission", "cs231n_buggy", "--collect-only", "-q")
    got = ids(r)
    assert got and all(i.startswith("cs231n_buggy/cs231n/layers.py::") for i in got)


# --------------------------------------------------------------------------------------------------
# xdist: each property checked once, on the worker that runs it

def test_xdist_checks_each_property_once(pytester):
    copy_sub(pytester, "book_correct")
    args = ["--spec-nn-submission", "book_correct", "--spec-nn-components", "relu,sigmoid,sgd", *FEW]
    n = len(ids(pytester.runpytest(*args, "--collect-only", "-q")))
    r = pytester.runpytest_subprocess(*args, "-n", "2", timeout=300)
    r.assert_outcomes(passed=n)
    line = next(ln for ln in r.stdout.lines if ln.startswith("spec_nn: ") and "properties checked" in ln)
    per = dict(re.findall(r"(gw\d+) (\d+)", line))
    assert sorted(per) == ["gw0", "gw1"] and sum(map(int, per.values())) == n, line
    assert all(int(v) > 0 for v in per.values()), line
    # the header names the collection once, as in a serial run
    assert sum(ln.startswith("spec_nn: book_correct (book): 3 of ") for ln in r.stdout.lines) == 1


# --------------------------------------------------------------------------------------------------
# Options and failures

RAISING = {
    "spec_nn.toml": """
        [components.relu]
        forward = "pkg.ops:relu"
        backward = "pkg.ops:relu_grad"
    """,
    "pkg/__init__.py": "",
    "pkg/ops.py": """
        import numpy as np


        def relu(x):
            return np.maximum(x, 0)


        def _scale(dout, mask):
            raise ValueError("scale broke")


        def relu_grad(dout, x):
            return _scale(dout, x > 0)
    """,
}


def make_tree(pytester, files: dict, under: str = "sub"):
    for name, text in files.items():
        p = pytester.path / under / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text))


def test_failure_shows_the_submissions_frames(pytester):
    make_tree(pytester, RAISING)
    r = pytester.runpytest("sub/spec_nn.toml::relu::backward_matches_reference", "--spec-nn-max-examples", "3")
    r.assert_outcomes(failed=1)
    out = r.stdout.str()
    assert "relu::backward_matches_reference error: raised: ValueError: scale broke" in out
    r.stdout.fnmatch_lines(["Traceback (the submission's code, most recent call last):",
                            '  File "sub/pkg/ops.py", line 14, in relu_grad',
                            "    return _scale(dout, x > 0)",
                            '  File "sub/pkg/ops.py", line 10, in _scale',
                            '    raise ValueError("scale broke")',
                            "ValueError: scale broke"])
    assert "_worker.py" not in out and "adapters" not in out  # the grader's frames are not shown


def test_timeout_per_call(pytester):
    make_tree(pytester, {**RAISING, "pkg/ops.py": """
        import time


        def relu(x):
            while True:
                time.sleep(0.05)


        def relu_grad(dout, x):
            return dout
    """})
    r = pytester.runpytest("sub", "--spec-nn-timeout", "0.5")
    r.assert_outcomes(failed=N_RELU)
    r.stdout.fnmatch_lines(["*relu::forward_matches_reference error: timeout: no answer within the time limit "
                            "of 0.5 s*", "*timeout: not run, relu::forward_matches_reference timed out before*"])
    assert r.duration < 60


def test_examples_and_allow_torch_reach_the_grader(pytester, monkeypatch):
    import spec_nn.grading
    import spec_nn.sandbox
    seen = {"max_examples": set(), "options": []}
    real_check, real_session = spec_nn.grading.check_property, spec_nn.sandbox.Session

    def check(*a, **kw):
        seen["max_examples"].add(kw.get("max_examples"))
        return real_check(*a, **kw)

    class Session(real_session):
        def __init__(self, *a, options=None, **kw):
            seen["options"].append(options)
            super().__init__(*a, options=options, **kw)

    monkeypatch.setattr(spec_nn.grading, "check_property", check)
    monkeypatch.setattr(spec_nn.sandbox, "Session", Session)
    copy_sub(pytester, "book_correct")
    r = pytester.runpytest("--spec-nn-submission", "book_correct", "--spec-nn-components", "relu",
                           "--spec-nn-max-examples", "3", "--spec-nn-allow-torch")
    r.assert_outcomes(passed=N_RELU)
    assert seen["max_examples"] == {3}
    assert seen["options"] and all(o == {"allow_torch": True} for o in seen["options"])
    seen["options"].clear()
    pytester.runpytest("--spec-nn-submission", "book_correct", "--spec-nn-components", "relu",
                       "--spec-nn-max-examples", "3")
    assert seen["options"] and all(o == {"allow_torch": False} for o in seen["options"])
