"""Every reproduction snippet runs as printed and reproduces its failure (issue 7, section 5).

The snippets emitted for the mutant corpus (tests/mutants) and for the buggy examples (examples/book_buggy,
examples/cs231n_buggy) are run in fresh processes (tests/repro_harness.py: one interpreter per batch imports
NumPy and spec_nn, then forks one child per snippet; nothing of the submission is imported before the fork).
A snippet reproduces when it raises the violation the grader reported (the same message, up to where it was
found) or the student's own exception for an "error" verdict; the calls it shows in the student's API must
not raise an error of their own, and where the failure names a value the shown calls print, they print it.
"""
import importlib
import json
import os
import pkgutil
import re
import subprocess
import sys

import numpy as np
import pytest

from spec_nn.grading import grade_submission
from spec_nn.registry import get
from spec_nn.runner import cause_key, check_property

from tests import mutants as corpus
from tests.mutants import impl_of

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
EX = os.path.join(REPO, "examples")
MODULES = sorted(m.name for m in pkgutil.iter_modules(corpus.__path__))
UNREPRODUCIBLE_KINDS = ("timeout", "crash", "memory", "nondeterministic", "internal")


def run_snippets(snippets: list[str]) -> list[dict]:
    if not snippets:
        return []
    p = subprocess.run([sys.executable, "-I", os.path.join(HERE, "repro_harness.py")], input=json.dumps(snippets),
                       capture_output=True, text=True, timeout=900, cwd="/")
    assert p.returncode == 0, p.stderr[-3000:]
    return json.loads(p.stdout)


def check_line(code: str) -> int:
    return 1 + max(i for i, t in enumerate(code.splitlines()) if t.startswith(("check_submission(", "check_case(")))


def _exc_name(message: str) -> str:
    m = re.match(r"(?:raised|environment): ([A-Za-z_][\w.]*)(?::|$)", message)
    return m.group(1).rsplit(".", 1)[-1] if m else ""


NAMED_VALUE = re.compile(r"^(?P<name>[A-Za-z_]\w*)(?P<idx>\[[\d, ]*\])?=(?P<val>-?[\d.e+-]+|nan|-?inf), but should be")


def reproduces(status: str, message: str, code: str, res: dict, *, prop: str = "", loss: bool = False) -> str:
    """'' when ``res`` (the harness's result of running ``code``) reproduces the verdict, else why not."""
    if res["exc_type"] in ("Timeout", "HarnessError"):
        return f"{res['exc_type']}: {res['exc_msg']}"
    if res["exc_type"] is None:
        return "the snippet ran to the end without reproducing anything"
    line = check_line(code)
    from_check = res["line"] == line
    if status == "fail":
        if res["exc_type"] != "SpecViolation" or not from_check:
            return (f"raised {res['exc_type']}: {res['exc_msg'][:300]} at line {res['line']} "
                    f"(the check is line {line}), not the violation")
        want = cause_key(message, values=True)
        got = [cause_key(m, values=True) for m in [res["exc_msg"], *res["also"]]]
        if want not in got and cause_key(message) not in [cause_key(m) for m in [res["exc_msg"], *res["also"]]]:
            # (values may differ only where the failure itself is a difference between two calls)
            return f"raised a different violation: {res['exc_msg'][:300]!r}, not {message[:300]!r}"
        # the shown calls print the value the message names, where they compute the same thing
        m = NAMED_VALUE.match(message)
        if m and prop in ("forward_matches_reference", "backward_matches_reference", "finite_outputs"):
            name = "loss" if loss and m["name"] == "out" else m["name"]
            vals = res["values"].get(name)
            if vals is not None and m["idx"] is not None:
                idx = tuple(int(i) for i in m["idx"][1:-1].split(",") if i.strip())
                arr = np.asarray(vals["flat"]).reshape(vals["shape"])
                if arr.ndim == len(idx):
                    want_v, got_v = float(m["val"]), float(arr[idx])
                    if not (np.isclose(got_v, want_v, rtol=1e-6, atol=1e-7) or (np.isnan(got_v) and np.isnan(want_v))):
                        return f"the shown calls give {name}{list(idx)}={got_v}, the message says {want_v}"
        return ""
    exc = _exc_name(message)
    if exc:
        if res["exc_type"] != exc:
            return f"raised {res['exc_type']}: {res['exc_msg'][:200]}, not the student's {exc}"
        return ""
    # wrong_type / missing / output: the adapter's ImplError, from the check
    if res["exc_type"] not in ("ImplError", "SpecViolation") or not from_check:
        return f"raised {res['exc_type']}: {res['exc_msg'][:300]} at line {res['line']}, not the grader's error"
    return ""


def _jobs_from_verdict(v, extra: dict) -> list[dict]:
    jobs = []
    if v["status"] in ("fail", "error") and v.get("repro") and v.get("info", {}).get("kind") not in \
            UNREPRODUCIBLE_KINDS and "not reproducible" not in v["message"]:
        jobs.append({**extra, "status": v["status"], "message": v["message"], "code": v["repro"]})
        for f in v.get("findings", [])[1:]:
            if f.get("repro"):
                jobs.append({**extra, "status": f["status"], "message": f["message"], "code": f["repro"],
                             "finding": True})
    return jobs


def _check_all(jobs: list[dict]) -> list[str]:
    results = run_snippets([j["code"] for j in jobs])
    bad = []
    for j, r in zip(jobs, results):
        why = reproduces(j["status"], j["message"], j["code"], r, prop=j.get("prop", ""), loss=j.get("loss", False))
        if why and j.get("finding") and r.get("exc_type") == "SpecViolation":
            why = ""  # a further finding rides on a case whose first violation is another one: reproduced
        if why:
            bad.append(f"{j['id']}: {why}\n--- snippet ---\n{j['code']}")
    return bad


# --------------------------------------------------------------------------------------------------
# The mutant corpus

def test_corpus_names_are_unique():
    seen = {}
    for m in MODULES:
        mod = importlib.import_module(f"tests.mutants.{m}")
        for mu in mod.MUTANTS:
            key = (mu.component, mu.name)
            assert key not in seen, f"{key} twice ({seen[key]}, {m}): the snippets could not tell them apart"
            seen[key] = m


@pytest.mark.parametrize("module", MODULES)
def test_every_mutant_snippet_runs_and_reproduces(module):
    mod = importlib.import_module(f"tests.mutants.{module}")
    jobs = []
    for m in mod.MUTANTS:
        impl = impl_of(m.component, m.name)
        impl.repro_setup = (f"import sys\nsys.path.insert(0, {REPO!r})\nfrom tests.mutants import impl_of\n"
                            f"impl = impl_of({m.component!r}, {m.name!r})")
        comp = get(m.component)
        for dt in m.dtypes:
            v = next((v for p in m.caught_by
                      for v in [check_property(comp, p, impl, dtype=dt, max_examples=10)]
                      if v.status in ("fail", "error")), None)
            if v is not None:
                jobs += _jobs_from_verdict(v.to_json(), {"id": f"{m.component}::{m.name}::{v.property}[{dt}]",
                                                         "prop": v.property})
                break
    bad = _check_all(jobs)
    assert not bad, f"{len(bad)} of {len(jobs)} snippets do not reproduce:\n" + "\n".join(bad[:5])


# --------------------------------------------------------------------------------------------------
# The buggy examples, graded as a student's submission is

@pytest.mark.parametrize("name", ["book_buggy", "cs231n_buggy"])
def test_every_snippet_of_the_buggy_examples_runs_as_printed_and_reproduces(name):
    res = grade_submission(os.path.join(EX, name), max_examples=6)
    jobs = []
    for c in res["components"]:
        for p in c["properties"]:
            jobs += _jobs_from_verdict(p, {"id": f"{c['name']}::{p['name']}", "prop": p["name"],
                                           "loss": c["kind"] == "loss"})
    assert len(jobs) >= 8, [j["id"] for j in jobs]
    for j in jobs:
        assert "..." not in j["code"].replace("...]", "]"), j["code"]  # real values, never an ellipsis
    bad = _check_all(jobs)
    assert not bad, f"{len(bad)} of {len(jobs)} snippets do not reproduce:\n" + "\n".join(bad[:6])


def test_snippets_speak_the_dialects_api():
    res = grade_submission(os.path.join(EX, "cs231n_buggy"), components=["relu", "svm_loss", "dropout"], max_examples=6)
    code = {(c["name"], p["name"]): p["repro"] for c in res["components"] for p in c["properties"] if p.get("repro")}
    assert "relu_backward(dout.copy(), cache)" in code[("relu", "grad_at_zero")]
    svm = next(v for (c, _), v in code.items() if c == "svm_loss")
    assert "labels = np.array([" in svm and "dtype=np.int64)  # integer class labels" in svm
    drop = next(v for (c, _), v in code.items() if c == "dropout")
    assert "'mode': 'train'" in drop and "..." not in drop
    res = grade_submission(os.path.join(EX, "book_buggy"), components=["relu", "adam"], max_examples=6)
    code = {(c["name"], p["name"]): p["repro"] for c in res["components"] for p in c["properties"] if p.get("repro")}
    assert "layer = Relu()" in code[("relu", "grad_at_zero")] and "dx = layer.backward(dout.copy())" in \
        code[("relu", "grad_at_zero")]
    adam = next(v for (c, _), v in code.items() if c == "adam")
    assert "opt = Adam(lr=" in adam and "opt.update(params, {'W': g.copy()})" in adam


BOOK2_SGD_BUGGY = '''
class SGD:
    def __init__(self, lr=0.01):
        self.lr = lr

    def update(self, params, grads):
        for i in range(len(params)):
            params[i] -= self.lr * grads[i] * 2
'''

BOOK_AFFINE_DW = '''
import numpy as np


class Affine:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dw = self.x.T @ dout * 2      # lower-case dw, and wrong
        self.db = dout.sum(axis=0)
        return dout @ self.W.T
'''


def test_snippets_of_manifests_book2_lists_and_gradient_attributes_run_and_reproduce(tmp_path):
    man = tmp_path / "man"
    man.mkdir()
    (man / "ops.py").write_text("import numpy as np\ndef affine(x, w, b):\n    return x.reshape(len(x), -1) @ w + b + 1\n")
    (man / "spec_nn.toml").write_text('[components.affine]\nforward = "ops:affine"\nargs = ["x", "w", "b"]\n')
    book2 = tmp_path / "book2"
    (book2 / "common").mkdir(parents=True)
    (book2 / "common" / "__init__.py").write_text("")
    (book2 / "common" / "optimizer.py").write_text("import numpy as np\n" + BOOK2_SGD_BUGGY)
    (book2 / "common" / "layers.py").write_text(BOOK_AFFINE_DW)
    jobs = []
    for root, comps in ((str(man / "spec_nn.toml"), ["affine"]), (str(book2), ["sgd", "affine"])):
        res = grade_submission(root, components=comps, max_examples=6)
        for c in res["components"]:
            for p in c["properties"]:
                jobs += _jobs_from_verdict(p, {"id": f"{c['name']}::{p['name']}", "prop": p["name"]})
    codes = "\n".join(j["code"] for j in jobs)
    assert "from ops import affine as forward_fn" in codes
    assert "params = [w]" in codes and "opt.update(params, [g.copy()])" in codes
    assert "print(layer.dw)" in codes
    bad = _check_all(jobs)
    assert not bad, "\n".join(bad[:4])


def test_snippets_of_a_vocabulary_class_entry_construct_the_object_and_call_its_methods(tmp_path):
    man = tmp_path / "objman"
    man.mkdir()
    (man / "ops.py").write_text(
        "import numpy as np\n"
        "class Dense:\n"
        "    def __init__(self, W, b):\n"
        "        self.W, self.b = W, b\n"
        "    def forward(self, x):\n"
        "        self.x = x\n"
        "        return x @ self.W + self.b + 1\n"
        "    def backward(self, dout):\n"
        "        self.dW = 2 * self.x.T @ dout\n"
        "        self.db = dout.sum(axis=0)\n"
        "        return dout @ self.W.T\n")
    (man / "spec_nn.toml").write_text(
        '[components.affine]\nclass = "ops:Dense"\nparams_at = "init"\nparams = {W = "w", b = "b"}\n'
        'args = ["x"]\ngrad = "backward"\ngrads = {dW = "w", db = "b"}\nrestrict = {ndim = 2}\n')
    res = grade_submission(str(man / "spec_nn.toml"), components=["affine"], max_examples=6)
    jobs = []
    for c in res["components"]:
        for p in c["properties"]:
            jobs += _jobs_from_verdict(p, {"id": f"{c['name']}::{p['name']}", "prop": p["name"]})
    assert jobs
    codes = "\n".join(j["code"] for j in jobs)
    assert "forward_fn" not in codes
    assert "from ops import Dense as Layer" in codes and "layer = Layer(W=w.copy(), b=b.copy())" in codes
    assert "out = layer.forward(x.copy())" in codes
    assert "grads = layer.backward(dout.copy())" in codes and "print(layer.dW)  # dw" in codes
    bad = _check_all(jobs)
    assert not bad, "\n".join(bad[:4])
