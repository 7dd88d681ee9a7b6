"""Grading options: --dtype float32|float64 (a float32 submission is judged with float32 tolerances), and
bad input from the teacher (rubric, --components, limits, report paths) ends in one line and exit 2,
never a traceback and never a wrong verdict for the student."""
import json
import os
import textwrap

import pytest

from spec_nn.cli import main
from spec_nn.grading import grade_submission

EX = os.path.join(os.path.dirname(__file__), "..", "examples")
FAST = dict(max_examples=6)

FLOAT32_LAYERS = textwrap.dedent('''
    """A float32-only submission: everything is computed and returned in float32."""
    import numpy as np


    class Relu:
        def forward(self, x):
            x = np.asarray(x, dtype=np.float32)
            self.mask = x <= 0
            return np.where(self.mask, np.float32(0), x)

        def backward(self, dout):
            return np.where(self.mask, np.float32(0), np.asarray(dout, dtype=np.float32))


    class Sigmoid:
        def forward(self, x):
            x = np.asarray(x, dtype=np.float32)
            e = np.exp(-np.abs(x))
            self.out = np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(np.float32)
            return self.out

        def backward(self, dout):
            return (np.asarray(dout, dtype=np.float32) * (1 - self.out) * self.out).astype(np.float32)
''')


@pytest.fixture(scope="module")
def float32_sub(tmp_path_factory):
    d = tmp_path_factory.mktemp("f32")
    (d / "common").mkdir()
    (d / "common" / "__init__.py").write_text("")
    (d / "common" / "layers.py").write_text(FLOAT32_LAYERS)
    return str(d)


def _statuses(res):
    return {c["name"]: {p["name"]: p for p in c["properties"]} for c in res["components"]}


def test_float32_submission_passes_under_dtype_float32(float32_sub, tmp_path):
    out = tmp_path / "r.json"
    rc = main(["grade", float32_sub, "--components", "relu,sigmoid", "--dtype", "float32", "--max-examples", "6",
               "--json", str(out), "-q"])
    assert rc == 0
    data = json.loads(out.read_text())
    assert data["dtype"] == "float32"
    for comp, props in _statuses(data).items():
        assert all(p["status"] == "pass" and p["dtype"] == "float32" for p in props.values()), (comp, props)


def test_float32_result_under_float64_inputs_is_judged_with_float32_tolerances(float32_sub):
    res = grade_submission(float32_sub, components=["relu", "sigmoid"], dtype="float64", **FAST)
    for comp, props in _statuses(res).items():
        # the dtype is wrong, and said so (a warning in the course dialects: weighted 0 by the default rubric)...
        assert props["preserves_dtype"]["status"] == "warn", comp
        assert "dtype=float32, but should be float64" in props["preserves_dtype"]["message"]
        # ...but the values are compared at float32 precision: no other property is accused
        others = {n: (p["status"], p["message"]) for n, p in props.items() if n != "preserves_dtype"}
        assert all(s == "pass" for s, _ in others.values()), (comp, others)


def test_dtype_option_is_validated():
    with pytest.raises(SystemExit):  # argparse choices
        main(["grade", os.path.join(EX, "book_correct"), "--dtype", "float16"])
    from spec_nn.grading import UsageError
    with pytest.raises(UsageError, match="--dtype"):
        grade_submission(os.path.join(EX, "book_correct"), dtype="int8")


BAD_RUBRICS = {
    "unknown_property": ('[points]\n"relu::nonexistent" = 3\n', "not a property of relu"),
    "unknown_component": ('[points]\n"relu2::*" = 3\n', "'relu2' is not a component"),
    "unknown_any_property": ('[points]\n"*::grad_at_one" = 3\n', "not a property of any component"),
    "bad_key": ('[points]\nrelu = 3\n', "is not \"*\""),
    "string_points": ('[points]\n"relu::*" = "lots"\n', "must be a number >= 0"),
    "negative_points": ('[points]\n"*" = -1\n', "must be a number >= 0"),
    "bool_points": ('[points]\n"*" = true\n', "must be a number >= 0"),
    "points_not_table": ('points = 3\n', "points must be a table"),
    "accept_not_table": ('[accept]\nrelu = "one"\n', "accept.relu must be a table"),
    "accept_unknown_component": ('[accept.relu2]\ngrad_at_zero = ["one"]\n', "'relu2' is not a component"),
    "accept_unknown_convention": ('[accept.relu]\ngrad_at_one = ["one"]\n', "has no convention"),
    "accept_unknown_variant": ('[accept.relu]\ngrad_at_zero = ["sideways"]\n', "is not among"),
    "accept_empty": ('[accept.relu]\ngrad_at_zero = []\n', "non-empty list"),
    "adapter_unknown_option": ('[adapter.dropout]\np_means = ["keep"]\n', "unknown adapter option"),
    "adapter_unknown_value": ('[adapter.dropout]\np_meaning = ["maybe"]\n', "is not one of"),
    "adapter_unknown_component": ('[adapter.dropouts]\np_meaning = ["keep"]\n', "is not a component"),
    "grading_not_bool": ('[grading]\nmissing_counts = "no"\n', "must be true or false"),
    "grading_unknown_key": ('[grading]\nmising_counts = false\n', "unknown key"),
    "unknown_table": ('[pionts]\n"*" = 1\n', "unknown table"),
    "not_toml": ('[points\n', "not valid TOML"),
}


@pytest.mark.parametrize("name", list(BAD_RUBRICS))
def test_bad_rubric_is_one_line_and_exit_2(name, tmp_path, capsys):
    text, msg = BAD_RUBRICS[name]
    rub = tmp_path / "r.toml"
    rub.write_text(text)
    assert main(["grade", os.path.join(EX, "book_correct"), "--rubric", str(rub), "--components", "relu"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and msg in err, err


def test_rubric_single_variant_string_is_accepted(tmp_path):
    rub = tmp_path / "r.toml"
    rub.write_text('[accept.relu]\ngrad_at_zero = "one"\n[points]\n"*::grad_at_zero" = 3\n')
    res = grade_submission(os.path.join(EX, "book_buggy"), components=["relu"], rubric=str(rub), **FAST)
    relu = _statuses(res)["relu"]
    assert res["components"][0]["status"] == "pass" and relu["grad_at_zero"]["points"] == 3


@pytest.mark.parametrize("args,msg", [
    (["--components", "relu,rleu"], "'rleu' is not a component"),
    (["--timeout", "0"], "--timeout"),
    (["--submission-timeout", "-5"], "--submission-timeout"),
    (["--max-examples", "0"], "--max-examples"),
    (["--memory", "10"], "--memory"),
    (["--json", "."], "is a directory"),
    (["--html", "/etc/hostname/r.html"], "is a file, not a directory"),
])
def test_bad_options_are_one_line_and_exit_2(args, msg, capsys):
    assert main(["grade", os.path.join(EX, "book_correct"), *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and msg in err, err


def test_unknown_profile_in_environment_is_a_usage_error_not_an_error_verdict(monkeypatch, capsys):
    monkeypatch.setenv("SPEC_NN_PROFILE", "quick")
    assert main(["grade", os.path.join(EX, "book_correct"), "--components", "relu"]) == 2
    assert "profile='quick'" in capsys.readouterr().err


def test_grade_class_usage_errors_write_no_results(tmp_path, capsys):
    out = tmp_path / "res"
    bad = tmp_path / "r.toml"
    bad.write_text('[points]\n"relu::nonexistent" = 3\n')
    for args in (["--components", "nope"], ["--rubric", str(bad)], ["--workers", "0"], ["--timeout", "0"]):
        assert main(["grade-class", EX, "--out", str(out), "--no-progress", *args]) == 2, args
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err, err
    assert not out.exists()  # a rerun with fixed options grades everyone (nothing cached as "unreadable")


@pytest.mark.parametrize("toml,msg", [
    ('[components]\nrelu = 5\n', 'components.relu = 5 must be "module:callable"'),
    ('[components]\nrelu = "ops"\n', 'components.relu.forward = \'ops\' must be "module:callable"'),
    ('[components.relu]\nforwad = "ops:relu"\n', "components.relu.forwad: unknown key"),
    ('[components.relu]\nbackward = "ops:relu"\n', "has no forward"),
    ('[components.relu]\nforward = "ops:relu"\nargs = "x"\n', "args = 'x' must be a list of names"),
    ('path = 3\n[components]\nrelu = "ops:relu"\n', "path = 3 must be a directory"),
])
def test_bad_manifest_is_one_line_and_exit_2(toml, msg, tmp_path, capsys):
    (tmp_path / "ops.py").write_text("import numpy as np\ndef relu(x):\n    return np.maximum(x, 0)\n")
    (tmp_path / "spec_nn.toml").write_text(toml)
    assert main(["grade", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and msg in err, err


def test_manifest_path_may_be_one_string(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "ops.py").write_text("import numpy as np\ndef relu(x):\n    return np.maximum(x, 0)\n")
    (tmp_path / "spec_nn.toml").write_text('path = "src"\n[components]\nrelu = "ops:relu"\n')
    res = grade_submission(str(tmp_path), components=["relu"], **FAST)
    assert res["components"][0]["status"] == "pass"


def test_nondeterministic_submission_is_named_so(tmp_path):
    """A result that depends on the call history (here every 4th call is off) fails once and passes on the
    replay: Hypothesis' Flaky becomes a verdict saying so (the runner's "not reproducible" failure, or the
    grader's "nondeterministic" error), never an internal error."""
    (tmp_path / "common").mkdir()
    (tmp_path / "common" / "__init__.py").write_text("")
    (tmp_path / "common" / "layers.py").write_text(textwrap.dedent('''
        import numpy as np
        CALLS = [0]
        class Relu:
            def forward(self, x):
                CALLS[0] += 1
                return np.maximum(x, 0) + (1.0 if CALLS[0] % 4 == 0 else 0.0)
            def backward(self, dout):
                return dout
    '''))
    res = grade_submission(str(tmp_path), components=["relu"], **FAST)
    props = _statuses(res)["relu"].values()
    said = [p for p in props if "not reproducible" in p["message"] or p["info"].get("kind") == "nondeterministic"]
    assert said and all(p["status"] in ("fail", "error") for p in said), [(p["name"], p["message"]) for p in props]
    assert not any(p["info"].get("kind") == "internal" for p in props)


def test_a_grader_fault_is_labelled_internal_not_blamed_on_the_submission(monkeypatch):
    import spec_nn.grading as grading

    def broken(*a, **k):
        raise RuntimeError("boom")
    monkeypatch.setattr(grading, "check_property", broken)
    res = grade_submission(os.path.join(EX, "book_correct"), components=["relu"], **FAST)
    props = _statuses(res)["relu"].values()
    assert all(p["info"].get("kind") == "internal" and "internal error of the grader" in p["message"]
               and "RuntimeError: boom" in p["message"] for p in props)


def test_grade_class_dtype(float32_sub, tmp_path):
    import shutil
    klass = tmp_path / "class"
    shutil.copytree(float32_sub, klass / "student_f32")
    out = tmp_path / "res"
    assert main(["grade-class", str(klass), "--out", str(out), "--workers", "1", "--no-progress", "--dtype", "float32",
                 "--components", "relu,sigmoid", "--max-examples", "4"]) == 0
    data = json.loads((out / "students" / "student_f32.json").read_text())
    assert data["dtype"] == "float32" and data["exit"] == 0
    assert all(c["status"] == "pass" for c in data["components"])


@pytest.mark.parametrize("name,components", [
    ("cs231n_correct", ["batch_norm", "layer_norm", "group_norm", "affine", "softmax_cross_entropy"]),
    ("book_correct", ["sigmoid", "softmax", "affine", "batch_norm", "adam"]),
])
def test_correct_examples_pass_at_float32(name, components):
    """The correct examples keep float32 float32 (cs231n's norms divided by an np.int64 count, which NumPy 2
    promotes to float64: fixed in the example) and are not accused at float32 tolerances."""
    res = grade_submission(os.path.join(EX, name), components=components, dtype="float32", max_examples=4)
    bad = [(c["name"], p["name"], p["message"]) for c in res["components"] for p in c["properties"]
           if p["status"] not in ("pass", "missing")]
    assert not bad, bad
