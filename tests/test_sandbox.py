"""Hostile submissions: each offending component gets "error" with a clear reason, the worker is replaced
and every other component is still graded; unreadable submissions end with one line and exit 2."""
import os
import textwrap

import pytest

from spec_nn.cli import main
from spec_nn.grading import grade_submission

GOOD_SIGMOID = textwrap.dedent("""
    class Sigmoid:
        def forward(self, x):
            self.out = np.where(x >= 0, 1 / (1 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x))))
            self.out = self.out.astype(x.dtype)
            return self.out
        def backward(self, dout):
            return dout * self.out * (1 - self.out)
""")

HOSTILE = {
    "infinite_loop": ("while True:\n            pass", "timeout"),
    "os_exit": ("import os; os._exit(3)", "crash"),
    "segfault": ("import ctypes; ctypes.string_at(0)", "crash"),
    "system_exit": ("import sys; sys.exit(1)", "crash"),
    "memory_bomb": ("a = [np.ones(10**7) for _ in range(1000)]", "memory"),
    "print_flood": ("print('x' * 10**7)\n        return 'not an array'", "wrong_type"),
    "wrong_type": ("return [1, 2, 3]", "wrong_type"),
}


def book(tmp_path, relu_forward_body):
    d = tmp_path / "sub"
    (d / "common").mkdir(parents=True)
    (d / "common" / "__init__.py").write_text("")
    relu = ("class Relu:\n    def forward(self, x):\n        " + relu_forward_body +
            "\n    def backward(self, dout):\n        return dout\n")
    (d / "common" / "layers.py").write_text("import numpy as np\n" + GOOD_SIGMOID + relu)
    return str(d)


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_component_errors_and_others_are_graded(tmp_path, name):
    body, kind = HOSTILE[name]
    res = grade_submission(book(tmp_path, body), components=["relu", "sigmoid"],
                           timeout=2 if kind == "timeout" else 20, memory_mb=1024,
                           max_examples=3)
    comps = {c["name"]: c for c in res["components"]}
    relu = comps["relu"]
    assert relu["status"] == "error", relu
    msgs = [p["message"] for p in relu["properties"] if p["status"] == "error"]
    assert msgs and all(m.startswith(kind) for m in msgs), msgs
    assert comps["sigmoid"]["status"] == "pass", comps["sigmoid"]


def test_print_flood_is_truncated(tmp_path):
    res = grade_submission(book(tmp_path, HOSTILE["print_flood"][0]), components=["relu"], timeout=5, max_examples=2)
    assert len(res["output"]) <= 4000 and "dropped" in res["output"]


@pytest.mark.parametrize("case,expect", [
    ("empty", "empty"), ("missing", "missing file"), ("nonexistent", "no such file")])
def test_unreadable_submission_one_line_exit_2(tmp_path, capsys, case, expect):
    d = tmp_path / "s"
    d.mkdir()
    if case == "missing":
        (d / "common").mkdir()
        (d / "common" / "optimizer.py").write_text("")
        rc = main(["grade", str(d), "--style", "cs231n"])
        err = capsys.readouterr().err
        assert rc == 2 and expect in err and len(err.strip().splitlines()) == 1
        return
    elif case == "nonexistent":
        d = d / "nope"
    rc = main(["grade", str(d)])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert expect in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_patching_numpy_in_the_submission_changes_nothing(tmp_path):
    """A submission that patches numpy.allclose / the checks cannot change verdicts (computed here)."""
    body = ("import numpy, sys\n        numpy.allclose = lambda *a, **k: True\n"
            "        numpy.array_equal = lambda *a, **k: True\n        return x * 2")
    res = grade_submission(book(tmp_path, body), components=["relu"], max_examples=3)
    assert res["components"][0]["status"] == "fail"


def test_same_seed_same_verdicts():
    ex = os.path.join(os.path.dirname(__file__), "..", "examples", "book_buggy")
    a = grade_submission(ex, components=["relu", "softmax"], seed=3, max_examples=5)
    b = grade_submission(ex, components=["relu", "softmax"], seed=3, max_examples=5)
    strip = lambda r: [(c["name"], [(p["name"], p["status"], p.get("example")) for p in c["properties"]])
                       for c in r["components"]]
    assert strip(a) == strip(b)
