"""The pytest plugin: one test per component::property, known deviations as strict xfail, JUnit."""
import os

import pytest

pytest_plugins = ["pytester"]

EX = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "examples"))


def test_plugin_grades_a_submission(pytester):
    pytester.makefile(".txt", known="relu::grad_at_zero\nrelu::backward_matches_reference  # ReLU'(0)=1\n")
    r = pytester.runpytest("-p", "no:cacheprovider", "--spec-nn-submission", os.path.join(EX, "book_buggy"),
                           "--spec-nn-components", "relu,sigmoid,tanh", "--spec-nn-known-deviations", "known.txt",
                           "--junitxml", "j.xml")
    out = r.stdout.str()
    # relu's two known deviations fail as expected (xfail), sigmoid passes, tanh is missing (skipped)
    outcomes = r.parseoutcomes()
    assert outcomes.get("xfailed", 0) + outcomes.get("failed", 0) >= 1, out
    assert outcomes.get("passed", 0) >= 7 and outcomes.get("skipped", 0) >= 5, out
    assert (pytester.path / "j.xml").exists()


def test_plugin_known_deviation_that_passes_fails_strictly(pytester):
    pytester.makefile(".txt", known="sigmoid::forward_matches_reference\n")
    r = pytester.runpytest("-p", "no:cacheprovider", "--spec-nn-submission", os.path.join(EX, "book_correct"),
                           "--spec-nn-components", "sigmoid", "--spec-nn-known-deviations", "known.txt")
    r.assert_outcomes(passed=7, failed=1)


def test_plugin_style_option(pytester):
    sub = os.path.join(EX, "cs231n_correct")
    # the named dialect is used: cs231n's relu_forward/relu_backward are graded and pass
    r = pytester.runpytest("-p", "no:cacheprovider", "--spec-nn-submission", sub, "--spec-nn-style", "cs231n",
                           "--spec-nn-components", "relu")
    r.assert_outcomes(passed=8)
    # the wrong dialect: every test fails with the grader's one-line reason, no traceback
    r = pytester.runpytest("-p", "no:cacheprovider", "--spec-nn-submission", sub, "--spec-nn-style", "book",
                           "--spec-nn-components", "relu")
    r.assert_outcomes(failed=8)
    r.stdout.fnmatch_lines(["*spec-nn: *missing file common/*(book style)*"])
    assert "Traceback" not in r.stdout.str()
    # not a dialect: pytest's usage error
    r = pytester.runpytest("-p", "no:cacheprovider", "--spec-nn-submission", sub, "--spec-nn-style", "keras")
    assert r.ret == pytest.ExitCode.USAGE_ERROR
    r.stderr.fnmatch_lines(["*--spec-nn-style*invalid choice*keras*"])


def test_plugin_usage_errors_and_dtype(pytester):
    sub = os.path.join(EX, "book_correct")
    r = pytester.runpytest("-p", "no:cacheprovider", "--spec-nn-submission", sub, "--spec-nn-components", "rleu")
    assert r.ret == pytest.ExitCode.USAGE_ERROR
    r.stderr.fnmatch_lines(["*--spec-nn-components*'rleu'*not a component*"])
    pytester.makefile(".txt", known="relu::grad_at_one\n")
    r = pytester.runpytest("-p", "no:cacheprovider", "--spec-nn-submission", sub, "--spec-nn-known-deviations",
                           "known.txt")
    assert r.ret == pytest.ExitCode.USAGE_ERROR
    r.stderr.fnmatch_lines(["*relu::grad_at_one*not component::property ids*"])
    r = pytester.runpytest("-p", "no:cacheprovider", "--spec-nn-submission", sub, "--spec-nn-known-deviations",
                           "nonexistent.txt")
    assert r.ret == pytest.ExitCode.USAGE_ERROR
    # float32 inputs: book_correct's sigmoid keeps the dtype and passes at float32 too
    r = pytester.runpytest("-p", "no:cacheprovider", "--spec-nn-submission", sub, "--spec-nn-components", "sigmoid",
                           "--spec-nn-dtype", "float32")
    r.assert_outcomes(passed=8)
