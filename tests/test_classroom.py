"""grade-class: parallel, resumable (atomic results), summary CSV/HTML, and the dask path."""
import csv
import json
import os
import shutil

import pytest

from spec_nn.classroom import grade_class, result_path
from spec_nn.cli import main

EX = os.path.join(os.path.dirname(__file__), "..", "examples")
OPTS = dict(components=["relu", "softmax_cross_entropy"], max_examples=4)


@pytest.fixture
def klass(tmp_path):
    d = tmp_path / "class"
    d.mkdir()
    for n in ("book_correct", "book_buggy", "cs231n_buggy"):
        shutil.copytree(os.path.join(EX, n), d / n)
    (d / "empty").mkdir()
    return d


def test_grade_class_parallel_and_resume(klass, tmp_path):
    out = tmp_path / "res"
    rc = main(["grade-class", str(klass), "--out", str(out), "--workers", "2", "--components",
               "relu,softmax_cross_entropy", "--max-examples", "4", "--no-progress"])
    assert rc == 0
    rows = list(csv.DictReader(open(out / "summary.csv")))
    by = {r["submission"]: r for r in rows}
    assert by["book_correct"]["relu:status"] == "pass" and by["book_buggy"]["relu:status"] == "fail"
    assert "empty" in by["empty"]["note"]
    assert "Pass rate per component" in open(out / "summary.html").read()
    # resume: a finished result is never recomputed or lost; a missing one is graded
    keep = result_path(str(out), str(klass / "book_correct"))
    mtime = os.path.getmtime(keep)
    os.remove(result_path(str(out), str(klass / "book_buggy")))
    s = grade_class(str(klass), str(out), workers=1, progress=False, options=OPTS)
    assert s["graded_now"] == 1 and os.path.getmtime(keep) == mtime
    assert not [f for f in os.listdir(out) if f.startswith(".tmp-")]


def test_dask_local_cluster(klass, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        s = grade_class(str(klass), str(tmp_path / "res"), scheduler=client, progress=False, options=OPTS)
    assert s["submissions"] == 4 and s["graded_now"] == 4
    r = json.load(open(result_path(str(tmp_path / "res"), str(klass / "book_correct"))))
    assert all(c["status"] == "pass" for c in r["components"])
