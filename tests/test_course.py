"""Issue 11: running a course: class reports, per-student outputs, resubmissions, the command line."""
import csv
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time

import pytest

from spec_nn.classroom import grade_class, summarize

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "examples")
OPTS = dict(components=["relu", "affine", "sgd", "svm_loss"], max_examples=3)
CHROMIUM = next((p for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser", shutil.which("chromium") or "")
                 if p and os.path.exists(p)), None)


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    d = tmp_path_factory.mktemp("class")
    shutil.copytree(os.path.join(EXAMPLES, "book_correct"), d / "alice")
    shutil.copytree(os.path.join(EXAMPLES, "book_buggy"), d / "bob")
    shutil.copytree(os.path.join(EXAMPLES, "cs231n_correct"), d / "carol")
    (d / "dave").mkdir()
    (d / "dave" / "notes.txt").write_text("no code")
    out = d.parent / (d.name + "-results")
    summary = grade_class(str(d), str(out), workers=2, progress=False, options=OPTS, log=lambda m: None)
    return d, out, summary


def test_class_summary_answers_the_instructors_questions(klass):
    d, out, s = klass
    students = {st["name"]: st for st in s["students"]}
    assert set(students) == {"alice", "bob", "carol", "dave"}
    assert students["dave"]["status"] == "unreadable" and students["dave"]["note"]
    assert students["alice"]["percent"] == 100.0 and students["bob"]["percent"] < 100.0
    # mean and median per style, never book and cs231n points averaged together
    assert set(s["styles"]) >= {"book", "cs231n"}
    assert s["styles"]["cs231n"]["mean_percent"] == 100.0
    # pass rates over the students who implemented the component: svm_loss is CS231n-only
    assert s["components"]["svm_loss"]["implemented"] == 1 and s["components"]["svm_loss"]["pass_rate"] == 1.0
    html = (out / "summary.html").read_text()
    assert html.count('src="data:image/png;base64,') == 2  # the histogram and the heat map
    assert 'href="students/alice.html"' in html


def test_a_component_nobody_implements_has_no_pass_rate():
    _, s = summarize([{"submission": "/x/a", "style": "book", "score": {"earned": 1.0, "possible": 2.0},
                       "components": [{"name": "relu", "status": "missing", "properties": []}]}])
    assert s["components"]["relu"]["pass_rate"] is None


def test_each_student_gets_outputs_ready_to_hand_back_and_the_csv_has_points_per_component(klass):
    d, out, _ = klass
    for name in ("alice", "bob", "carol"):
        for suffix in (".json", ".html", ".results.json"):
            assert (out / "students" / (name + suffix)).exists(), name + suffix
    gs = json.loads((out / "students" / "bob.results.json").read_text())
    assert gs["tests"] and "score" in gs
    rows = list(csv.DictReader(open(out / "summary.csv")))
    bob = next(r for r in rows if r["submission"] == "bob")
    assert float(bob["relu"]) < float(next(r for r in rows if r["submission"] == "alice")["relu"])
    assert bob["relu:status"] == "fail"


def test_resubmissions_are_regraded_and_force_regrades_all(klass, tmp_path):
    d, out, _ = klass
    work = tmp_path / "c"
    shutil.copytree(d, work)
    res = tmp_path / "r"
    shutil.copytree(out, res)
    logs = []
    s = grade_class(str(work), str(res), workers=1, progress=False, options=OPTS, log=logs.append)
    assert s["graded_now"] == 0
    with open(work / "alice" / "common" / "layers.py", "a") as f:
        f.write("\n# resubmitted\n")
    s = grade_class(str(work), str(res), workers=1, progress=False, options=OPTS, log=logs.append)
    assert s["graded_now"] == 1 and any("alice" in m and "changed" in m for m in logs)
    s = grade_class(str(work), str(res), workers=2, progress=False, options=OPTS, log=logs.append, force=True)
    assert s["graded_now"] == 4


def test_report_files_get_the_usual_permissions(klass):
    _, out, _ = klass
    mask = os.umask(0)
    os.umask(mask)
    for p in (out / "summary.html", out / "students" / "alice.json"):
        assert stat.S_IMODE(os.stat(p).st_mode) == 0o666 & ~mask


def test_progress_in_a_log_is_a_line_every_few_percent(klass, tmp_path):
    d, _, _ = klass
    p = subprocess.run([sys.executable, "-m", "spec_nn", "grade-class", str(d), "--out", str(tmp_path / "o"),
                        "--components", "relu", "--max-examples", "2", "--workers", "2"],
                       capture_output=True, text=True, timeout=300)
    lines = [l for l in p.stderr.splitlines() if l.startswith("grading:")]
    assert lines and lines[-1] == "grading: 4/4 (100%)" and "\r" not in p.stderr and len(p.stderr) < 2000


@pytest.mark.parametrize("cmd", ["grade", "grade-class"])
def test_ctrl_c_always_stops_with_130_and_no_traceback(tmp_path, cmd, klass):
    d, _, _ = klass
    args = {"grade": ["grade", os.path.join(EXAMPLES, "book_correct")],
            "grade-class": ["grade-class", str(d), "--out", str(tmp_path / "o"), "--workers", "2", "--force"]}[cmd]
    for delay in (0.3, 1.0, 2.5, 5.0):
        p = subprocess.Popen([sys.executable, "-m", "spec_nn", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, start_new_session=True)
        time.sleep(delay)
        if p.poll() is not None:
            break  # finished before the interrupt: nothing to stop
        os.killpg(p.pid, signal.SIGINT)
        _, err = p.communicate(timeout=30)
        assert p.returncode == 130, (delay, p.returncode, err[-1500:])
        assert "Traceback" not in err, (delay, err[-1500:])


def test_class_page_renders_in_headless_chromium(klass, tmp_path, capsys):
    if CHROMIUM is None:
        with capsys.disabled():
            print("\nskipping the Chromium check: no /usr/bin/chromium (apt-get install chromium to run it)")
        pytest.skip("chromium is not installed")
    _, out, _ = klass
    flags = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--no-first-run", "--user-data-dir=" + str(tmp_path / "profile")]
    page = (out / "summary.html").as_uri()
    dom = subprocess.run(flags + ["--dump-dom", page], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0 and 'id="students"' in dom.stdout and "dave" in dom.stdout
    shot = tmp_path / "class.png"
    r = subprocess.run(flags + [f"--screenshot={shot}", "--window-size=1280,2400", page], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0 and shot.exists() and shot.stat().st_size > 20_000, r.stderr[-2000:]


def test_student_card_summary_first_failing_first_and_nothing_overflows(tmp_path, capsys):
    """The card opens with a summary (failing components first, each a link to its card); a long message and
    a 2000x2 literal wrap or scroll inside their box; variants read as ``name = value``."""
    from spec_nn.grading import grade_submission
    from spec_nn.reports import to_html
    res = grade_submission(os.path.join(EXAMPLES, "book_buggy"), components=["relu", "sigmoid", "affine"],
                           max_examples=3)
    comp = next(c for c in res["components"] if c["status"] == "fail")
    bad = next(p for p in comp["properties"] if p["status"] == "fail")
    bad["message"] = "x" * 3000
    bad["expected"] = [[0.123456789] * 2] * 2000
    ok = next(c for c in res["components"] if c["status"] == "pass")
    ok["properties"][0]["variant"] = {"grad_at_zero": "zero"}
    html = to_html(res)
    summary = html[html.index('<ul id="summary">'):html.index("</ul>", html.index('<ul id="summary">'))]
    order = [line.split('href="#')[1].split('"')[0] for line in summary.split("<li>")[1:]]
    statuses = {c["name"]: c["status"] for c in res["components"]}
    assert [statuses[n] for n in order] == sorted((statuses[n] for n in order), key=lambda s: s != "fail")
    assert "<code>grad_at_zero = zero</code>" in html and "{&#39;grad_at_zero&#39;" not in html
    if CHROMIUM is None:
        with capsys.disabled():
            print("\nskipping the Chromium overflow check: no /usr/bin/chromium")
        return
    page = tmp_path / "card.html"
    # the page reports its own width: wider than the window means something overflows the page
    page.write_text(html.replace("</body>", "<script>document.title = 'W' + document.documentElement.scrollWidth"
                                            "</script></body>"))
    flags = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--no-first-run", "--user-data-dir=" + str(tmp_path / "profile"), "--window-size=1000,800"]
    dom = subprocess.run(flags + ["--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    width = int(dom.stdout.split("<title>W")[1].split("<")[0])
    assert width <= 1000, width
    shot = tmp_path / "card.png"
    r = subprocess.run(flags + [f"--screenshot={shot}", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and shot.stat().st_size > 10_000


def test_an_interrupt_python_swallowed_still_stops_with_130(monkeypatch, capsys):
    """Ctrl-C inside a garbage-collector callback (Hypothesis installs one) is swallowed by Python ("Exception
    ignored in ..."): the CLI's handler has remembered it, so the command still exits 130, without a traceback,
    and a grading stops at the next property (spec_nn.errors.check_interrupt)."""
    from spec_nn import cli, errors, grading

    def run_swallowing(args):
        try:
            cli._interrupt(signal.SIGINT, None)  # what Ctrl-C calls
        except KeyboardInterrupt:
            pass  # lost, as in a gc callback
        with pytest.raises(KeyboardInterrupt):
            errors.check_interrupt()
        return 0
    monkeypatch.setattr(grading, "run", run_swallowing)
    assert cli.main(["grade", os.path.join(EXAMPLES, "book_correct")]) == 130
    err = capsys.readouterr().err
    assert "interrupted" in err and "Traceback" not in err
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handler restored
    assert errors.INTERRUPTED == [False]  # and the flag: what runs next in this process is not stopped
