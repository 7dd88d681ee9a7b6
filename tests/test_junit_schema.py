"""The JUnit XML spec-nn writes (``spec-nn grade --junit``, ``conformance.xml``) and the plugin's
``--junitxml`` validate against Jenkins' junit-10.xsd (tests/data/junit-10.xsd), the schema CI viewers check
reports with; class names have no leading dot.  ``spec-nn --version``."""
import importlib.metadata
import os
import shutil
import subprocess
import sys

import pytest
from lxml import etree

from spec_nn.cli import main

pytest_plugins = ["pytester"]

HERE = os.path.dirname(__file__)
EX = os.path.abspath(os.path.join(HERE, "..", "examples"))
SCHEMA = etree.XMLSchema(etree.parse(os.path.join(HERE, "data", "junit-10.xsd")))


def assert_valid(xml: bytes | str):
    doc = etree.fromstring(xml.encode() if isinstance(xml, str) else xml)
    assert SCHEMA.validate(doc), "\n".join(str(e) for e in SCHEMA.error_log)
    names = [tc.get("classname") for tc in doc.iter("testcase")]
    assert names and not [c for c in names if not c or c.startswith(".")], names
    return doc


def test_the_schema_rejects_what_junit_xml_wrote():
    # the negative control: junit-xml's "disabled" attribute, as spec-nn wrote it before
    old = ('<testsuites disabled="0" errors="0" failures="0" tests="1" time="1.0"><testsuite disabled="0" '
           'errors="0" failures="0" name="s" skipped="0" tests="1" time="1.0"><testcase name="a" classname="c" '
           'time="1.000000"/></testsuite></testsuites>')
    assert not SCHEMA.validate(etree.fromstring(old))
    assert "disabled" in str(SCHEMA.error_log)


def test_grade_junit_validates(tmp_path):
    out = tmp_path / "j.xml"
    rc = main(["grade", os.path.join(EX, "book_buggy"), "--components", "relu,sigmoid,tanh,softmax",
               "--max-examples", "4", "--junit", str(out), "-q"])
    assert rc == 1
    doc = assert_valid(out.read_bytes())
    cases = {tc.get("classname") + "::" + tc.get("name"): tc for tc in doc.iter("testcase")}
    assert "spec_nn.book.relu::relu::grad_at_zero" in cases
    assert cases["spec_nn.book.relu::relu::grad_at_zero"].find("failure") is not None
    assert any(tc.find("skipped") is not None for tc in cases.values())  # tanh is not in the book dialect
    suite = doc.find("testsuite")
    assert int(suite.get("tests")) == len(cases) and int(suite.get("failures")) >= 1


def test_report_writers_validate_with_awkward_text():
    from spec_nn.conformance_report import to_junit as conformance_junit
    from spec_nn.reports import to_junit
    nasty = "printed \x00\x1b[31mred\x1b[0m & <b>bold</b> \ud800"
    result = {"submission": "/s", "style": "book", "components": [
        {"name": "relu", "properties": [
            {"name": "grad_at_zero", "status": "fail", "message": nasty, "example": "Case(x=[0.])", "repro": nasty,
             "seconds": 0.25},
            {"name": "finite_outputs", "status": "error", "message": "raised: ValueError", "seconds": 1e-7},
            {"name": "preserves_dtype", "status": "pass", "seconds": 1234.5},
            {"name": "backward_matches_reference", "status": "missing", "message": "no backward"},
            {"name": "batch_rows_independent", "status": "blocked", "message": "built from x"}]}]}
    doc = assert_valid(to_junit(result))
    assert [len(list(doc.iter(t))) for t in ("failure", "error", "skipped")] == [1, 1, 2]
    report = {"components": [
        {"id": "relu::grad_at_zero", "component": "relu", "backend": "submission:book", "dtype": "float64",
         "status": "fail", "message": nasty, "example": "Case(x=[0.])", "repro": "...", "seconds": 0.1},
        {"id": "relu::forward_matches_reference", "component": "relu", "backend": "reference", "dtype": "float64",
         "status": "n/a", "message": "the reference is the definition"},
        {"id": "relu::finite_outputs", "component": "relu", "backend": "torch", "dtype": "float32",
         "status": "error", "message": "boom"}],
        "scenarios": [
            {"name": "optimizer_paths", "backend": "reference", "status": "fail", "seconds": 2.0,
             "checks": [{"name": "adam path", "measured": 1.0, "threshold": "< 1e-9", "held": False, "strict": True}]},
            {"name": "dead_relu", "backend": "torch", "status": "observed", "checks": []},
            {"name": "vanishing_gradient", "backend": "torch", "status": "error", "error": "nan", "checks": []}]}
    doc = assert_valid(conformance_junit(report))
    assert len(doc.findall("testsuite")) == 4 and int(doc.get("tests")) == 6 and doc.get("failures") == "2"


def test_plugin_junitxml_validates(pytester):
    shutil.copytree(os.path.join(EX, "book_buggy"), pytester.path, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__"))
    r = pytester.runpytest("--spec-nn-submission", ".", "--spec-nn-components", "relu,softmax",
                           "--spec-nn-max-examples", "4", "--junitxml", "j.xml")
    assert r.ret == pytest.ExitCode.TESTS_FAILED
    doc = assert_valid((pytester.path / "j.xml").read_bytes())
    assert {tc.get("classname") for tc in doc.iter("testcase")} == {"common.layers.relu", "common.layers.softmax"}


def test_version():
    r = subprocess.run([sys.executable, "-m", "spec_nn", "--version"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.strip() == f"spec-nn {importlib.metadata.version('spec_nn')}"
