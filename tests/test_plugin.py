"""The pytest plugin: one test per component::property, known deviations as strict xfail, options and
usage errors (one line each, never a failure per test)."""
import os
import shutil

import pytest

pytest_plugins = ["pytester"]

EX = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "examples"))


def copy_sub(pytester, name: str) -> str:
    shutil.copytree(os.path.join(EX, name), pytester.path / name, ignore=shutil.ignore_patterns("__pycache__"))
    return name


def test_plugin_grades_a_submission(pytester):
    sub = copy_sub(pytester, "book_buggy")
    pytester.makefile(".txt", known="relu::grad_at_zero  # ReLU'(0)=1\n")
    r = pytester.runpytest("-p", "no:cacheprovider", "--spec-nn-submission", sub,
                           "--spec-nn-components", "relu,sigmoid,tanh", "--spec-nn-known-deviations", "known.txt",
                           "--junitxml", "j.xml")
    # relu's known deviation fails as expected (xfail), the rest of relu and sigmoid pass; tanh is not part
    # of the book dialect: not collected, named in the header
    r.assert_outcomes(passed=15, xfailed=1)
    r.stdout.fnmatch_lines(["spec_nn: book_buggy (book): 2 of * components collected; 1 not mapped by the book "
                            "dialect: tanh; * not in --spec-nn-components"])
    assert (pytester.path / "j.xml").exists()


def test_plugin_known_deviation_that_passes_fails_strictly(pytester):
    sub = copy_sub(pytester, "book_correct")
    pytester.makefile(".txt", known="sigmoid::forward_matches_reference\n")
    r = pytester.runpytest("-p", "no:cacheprovider", "--spec-nn-submission", sub,
                           "--spec-nn-components", "sigmoid", "--spec-nn-known-deviations", "known.txt")
    r.assert_outcomes(passed=7, failed=1)
    r.stdout.fnmatch_lines(["*XPASS(strict)*known deviation*"])


def test_plugin_style_option(pytester):
    sub = os.path.join(EX, "cs231n_correct")  # outside the rootdir: ids are relative paths all the same
    # the named dialect is used: cs231n's relu_forward/relu_backward are graded and pass
    r = pytester.runpytest("-p", "no:cacheprovider", "--spec-nn-submission", sub, "--spec-nn-style", "cs231n",
                           "--spec-nn-components", "relu")
    r.assert_outcomes(passed=8)
    # the wrong dialect: one usage error with the grader's one-line reason, no test, no traceback
    r = pytester.runpytest("-p", "no:cacheprovider", "--spec-nn-submission", sub, "--spec-nn-style", "book",
                           "--spec-nn-components", "relu")
    assert r.ret == pytest.ExitCode.USAGE_ERROR
    r.stderr.fnmatch_lines(["ERROR: --spec-nn-submission: *missing file common/*(book style)*"])
    assert "Traceback" not in r.stdout.str() + r.stderr.str()
    # not a dialect: pytest's usage error
    r = pytester.runpytest("-p", "no:cacheprovider", "--spec-nn-submission", sub, "--spec-nn-style", "keras")
    assert r.ret == pytest.ExitCode.USAGE_ERROR
    r.stderr.fnmatch_lines(["*--spec-nn-style*invalid choice*keras*"])


@pytest.mark.parametrize("args, error", [
    (["--spec-nn-components", "rleu"], "*--spec-nn-components*'rleu'*not a component*"),
    (["--spec-nn-known-deviations", "nonexistent.txt"], "*--spec-nn-known-deviations: cannot read nonexistent.txt*"),
    (["--spec-nn-known-deviations", "known.txt"], "*relu::grad_at_one*not component::property ids*"),
    (["--spec-nn-timeout", "0"], "*--spec-nn-timeout=0.0 must be a positive number of seconds*"),
    (["--spec-nn-max-examples", "0"], "*--spec-nn-max-examples=0 must be a positive integer*"),
    (["--spec-nn-rubric", "nonexistent.toml"], "*--spec-nn-rubric*cannot be read*"),
])
def test_plugin_usage_errors(pytester, args, error):
    pytester.makefile(".txt", known="relu::grad_at_one\n")
    r = pytester.runpytest("-p", "no:cacheprovider", "--spec-nn-submission", os.path.join(EX, "book_correct"), *args)
    assert r.ret == pytest.ExitCode.USAGE_ERROR
    r.stderr.fnmatch_lines([error])
    assert len([ln for ln in r.stderr.lines if ln.startswith("ERROR")]) == 1


def test_plugin_submission_that_does_not_exist_is_one_usage_error(pytester):
    r = pytester.runpytest("-p", "no:cacheprovider", "--spec-nn-submission", "no/such/dir")
    assert r.ret == pytest.ExitCode.USAGE_ERROR
    assert r.stderr.lines[0] == "ERROR: --spec-nn-submission: no/such/dir: no such file or directory"
    assert "failed" not in r.stdout.str()


BOOK_RELU = """
class Relu:
    def forward(self, x):
        self.mask = x <= 0
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        dx = dout.copy()
        dx[self.mask] = 0
        return dx
"""


def test_plugin_file_that_does_not_import(pytester):
    # its components fail with the one line, no traceback; the other files' components are graded
    pytester.makepyfile(**{"sub/common/functions.py": "def identity_function(x):\n    return x\n\n\ndef sigmoid(x:\n",
                           "sub/common/layers.py": BOOK_RELU})
    r = pytester.runpytest("-p", "no:cacheprovider", "--spec-nn-submission", "sub", "--spec-nn-components",
                           "identity,relu", "--spec-nn-max-examples", "3")
    out = r.parseoutcomes()
    assert out["failed"] == 7, r.stdout.str()  # identity's properties
    r.stdout.fnmatch_lines(["identity::forward_matches_reference error: common/functions.py line 5: SyntaxError: *"])
    assert "Traceback" not in r.stdout.str()
    assert out["passed"] == 8 and not [ln for ln in r.stdout.lines if ln.startswith("FAILED") and "relu::" in ln]


def test_plugin_submission_without_any_component_is_one_collection_error(pytester):
    pytester.makepyfile(**{"sub/common/functions.py": "x = 1\n"})
    r = pytester.runpytest("-p", "no:cacheprovider", "--spec-nn-submission", "sub")
    assert r.ret == pytest.ExitCode.INTERRUPTED
    r.assert_outcomes(errors=1)
    r.stdout.fnmatch_lines(["spec-nn: no component of the specification found in the book-style submission *"])


def test_plugin_dtype(pytester):
    # float32 inputs: book_correct's sigmoid keeps the dtype and passes at float32 too
    r = pytester.runpytest("-p", "no:cacheprovider", "--spec-nn-submission", os.path.join(EX, "book_correct"),
                           "--spec-nn-components", "sigmoid", "--spec-nn-dtype", "float32")
    r.assert_outcomes(passed=8)


def test_plugin_rubric_weight_zero_passes_with_a_warning(pytester):
    sub = copy_sub(pytester, "book_buggy")
    pytester.makefile(".toml", rubric='[points]\n"relu::grad_at_zero" = 0\n')
    r = pytester.runpytest("-p", "no:cacheprovider", "--spec-nn-submission", sub, "--spec-nn-rubric", "rubric.toml",
                           f"{sub}/common/layers.py::relu::grad_at_zero")
    r.assert_outcomes(passed=1, warnings=1)
    r.stdout.fnmatch_lines(["*SpecNNWarning: relu::grad_at_zero fail (weighted 0 by the rubric): *"])
