"""The built-in dialects are manifests (spec_nn/dialects/*.toml): the same adapters as the Python tables they
replaced, well formed, and usable as a user's manifest once copied and edited."""
from __future__ import annotations

import json
import os
import shutil

import pytest

from spec_nn import dialect
from spec_nn.grading import grade_submission, locate

HERE = os.path.dirname(__file__)
EXAMPLES = os.path.join(os.path.dirname(HERE), "examples")


def test_the_manifest_built_tables_match_the_python_tables_they_replaced():
    """api strings, availability (every name, one file, one name) and files of every component; core, fixed,
    cases, accept and entries: as recorded from adapters_book.TABLE / adapters_cs231n.TABLE before the change
    (re-taken when the book dialect gained class_suffix "Layer" and mean_squared_error: every earlier entry
    of the record was unchanged, only the new names' entries were added)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("dialect_fingerprint", os.path.join(HERE, "dialect_fingerprint.py"))
    dialect_fingerprint = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(dialect_fingerprint)
    with open(os.path.join(HERE, "data", "dialect_fingerprint.json")) as f:
        before = json.load(f)
    now = dialect_fingerprint.current()
    for style in before:
        for key in before[style]:
            if key != "table":
                assert now[style][key] == before[style][key], (style, key)
        for comp, fp in before[style]["table"].items():
            assert now[style]["table"].get(comp) == fp, (style, comp)
        assert set(now[style]["table"]) == set(before[style]["table"])


@pytest.mark.parametrize("style", dialect.BUILTIN)
def test_the_built_in_manifests_are_well_formed(style):
    import tomllib
    with open(dialect.path_of(style), "rb") as f:
        data = tomllib.load(f)
    assert dialect.check(data) == ""
    assert set(data["core"]) <= set(data["components"])


@pytest.mark.parametrize("bad, why", [
    ({"modules": "common.layers"}, "modules"),
    ({"components": {"relu": {"klass": "layers:Relu"}}}, "components.relu.klass: unknown key"),
    ({"components": {"relu": {"class": "Relu"}}}, "components.relu.class"),
    ({"components": {"relu": {"adapter": "book.nothing"}}}, "unknown builder"),
    ({"components": {"relu": {"adapter": "keras.relu"}}}, "no builders"),
    ({"reseed": "sometimes"}, "reseed"),
])
def test_a_malformed_dialect_manifest_is_one_line_naming_the_key(bad, why):
    data = {"modules": ["common.layers"], "components": {"relu": {"class": "layers:Relu"}}, **bad}
    assert why in dialect.check(data)


def _copy_book(tmp_path, edit_code, edit_manifest):
    root = tmp_path / "course"
    shutil.copytree(os.path.join(EXAMPLES, "book_correct"), root)
    layers = root / "common" / "layers.py"
    layers.write_text(edit_code(layers.read_text()))
    text = open(dialect.path_of("book")).read()
    edited = edit_manifest(text)
    assert edited != text
    (root / "spec_nn.toml").write_text(edited)
    return root


def test_a_copied_and_edited_book_manifest_grades_the_course_variant(tmp_path):
    """The course calls its ReLU layer ``Rectifier``: the built-in book dialect falls back to the functions; the
    copied manifest with one name changed grades the course's class."""
    root = _copy_book(tmp_path, lambda s: s.replace("class Relu:", "class Rectifier:"),
                      lambda s: s.replace('{class = "layers:Relu"}', '{class = "layers:Rectifier"}'))
    as_book = grade_submission(str(root), style="book", components=["relu"], profile="ci", max_examples=10)
    as_manifest = grade_submission(str(root / "spec_nn.toml"), components=["relu"], profile="ci", max_examples=10)
    assert as_manifest["style"] == "manifest"
    [book_relu] = [c for c in as_book["components"] if c["name"] == "relu"]
    [mine] = [c for c in as_manifest["components"] if c["name"] == "relu"]
    assert not book_relu["api"].startswith("common.layers.")
    assert mine["api"].startswith("common.layers.Rectifier"), mine["api"]
    assert mine["status"] == "pass", [(p["id"], p["status"], p["message"]) for p in mine["properties"]]


def test_a_copied_manifest_keeps_the_dialect_data(tmp_path):
    """core, fixed values and the escape builders come with the copy (the possible total is the book's)."""
    root = _copy_book(tmp_path, lambda s: s, lambda s: s.replace('dialect = "book"', 'dialect = "our_course"'))
    _root, style, manifest = locate(str(root / "spec_nn.toml"), None)
    d = dialect.of(style, manifest)
    assert d is not None and d.name == "our_course" and d.core == dialect.builtin("book").core
    assert d.of_entry("fixed") == dialect.builtin("book").of_entry("fixed")
    res = grade_submission(str(root / "spec_nn.toml"), components=["batch_norm", "adam"], profile="ci",
                           max_examples=5)
    statuses = {c["name"]: c["status"] for c in res["components"] if c["name"] in ("batch_norm", "adam")}
    assert statuses == {"batch_norm": "pass", "adam": "pass"}, statuses


def test_spec_nn_dialect_copies_a_built_in_manifest(tmp_path, capsys):
    from spec_nn.cli import main
    assert main(["dialect", "copy", "cs231n", str(tmp_path)]) == 0
    assert (tmp_path / "spec_nn.toml").read_text() == open(dialect.path_of("cs231n")).read()
    assert main(["dialect", "copy", "cs231n", str(tmp_path)]) == 2  # never overwrites
    assert main(["dialect", "show", "book"]) == 0
    assert 'dialect = "book"' in capsys.readouterr().out


def test_a_copied_cs231n_manifest_keeps_its_adapter_options(tmp_path):
    """The entries' ``options`` (adam's initial_t, dropout's p_meaning) travel with a copy: the 2017 skeleton's
    t = 1 default is explained by initial_t = zero there too."""
    import shutil
    from tests.test_audit_classes import CS_OPTIM_SKELETON_T1, tree
    root = tree(tmp_path, {"optim": CS_OPTIM_SKELETON_T1}, package="cs231n")
    shutil.copy(dialect.path_of("cs231n"), tmp_path / "spec_nn.toml")
    res = grade_submission(str(tmp_path / "spec_nn.toml"), components=["adam"], profile="ci", max_examples=5)
    [adam] = [c for c in res["components"] if c["name"] == "adam"]
    assert res["style"] == "manifest" and root
    assert adam["status"] == "pass" and adam["adapter_variant"] == {"initial_t": "zero"}, adam


def test_a_course_manifest_outside_the_students_trees(tmp_path, capsys):
    """`--manifest F` reads a student's directory with the course's edited dialect (kept out of the students'
    trees); a spec_nn.toml inside a tree is detected before its common/ (it says how the tree is read)."""
    from spec_nn.cli import main
    root = _copy_book(tmp_path, lambda s: s.replace("class Relu:", "class Rectifier:"),
                      lambda s: s.replace('{class = "layers:Relu"}', '{class = "layers:Rectifier"}'))
    course = tmp_path / "course.toml"
    os.replace(root / "spec_nn.toml", course)
    out = tmp_path / "r.json"
    assert main(["grade", str(root), "--manifest", str(course), "--components", "relu", "--max-examples", "5",
                 "--json", str(out), "-q"]) == 0
    import json
    res = json.loads(out.read_text())
    [relu] = [c for c in res["components"] if c["name"] == "relu"]
    assert res["style"] == "manifest" and relu["api"].startswith("common.layers.Rectifier") and relu["status"] == "pass"
    assert main(["grade", str(root), "--manifest", str(tmp_path / "nope.toml")]) == 2
    assert "--manifest" in capsys.readouterr().err
    shutil.copy(course, root / "spec_nn.toml")
    assert locate(str(root), None)[1] == "manifest"


def test_grade_class_reads_every_submission_with_the_course_manifest(tmp_path):
    import csv
    from spec_nn.cli import main
    root = _copy_book(tmp_path, lambda s: s.replace("class Relu:", "class Rectifier:"),
                      lambda s: s.replace('{class = "layers:Relu"}', '{class = "layers:Rectifier"}'))
    course = tmp_path / "course.toml"
    os.replace(root / "spec_nn.toml", course)
    klass = tmp_path / "class"
    klass.mkdir()
    shutil.copytree(root, klass / "alice")
    out = tmp_path / "res"
    assert main(["grade-class", str(klass), "--out", str(out), "--workers", "1", "--manifest", str(course),
                 "--components", "relu", "--max-examples", "4", "--no-progress"]) == 0
    [row] = list(csv.DictReader(open(out / "summary.csv")))
    assert row["relu:status"] == "pass", row
    import json
    res = json.loads((out / "students" / "alice.json").read_text())
    [relu] = [c for c in res["components"] if c["name"] == "relu"]
    assert relu["api"].startswith("common.layers.Rectifier"), relu["api"]   # the course's class, not functions.relu
