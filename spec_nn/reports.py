"""Reports of a grading result: JSON, JUnit XML (junit-xml), the student's HTML page (jinja2) and
Gradescope's results.json."""
from __future__ import annotations

import json
import os
import sys
import tempfile

from jinja2 import Environment, PackageLoader, select_autoescape


def atomic_write(path: str, text: str) -> None:
    """Write via a temporary file and os.replace: a reader never sees half a file."""
    d = os.path.dirname(os.path.abspath(path)) or "."
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".tmp-", suffix=os.path.basename(path))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def to_json(result: dict) -> str:
    return json.dumps(result, indent=2, default=str)


def to_junit(result: dict) -> str:
    from junit_xml import TestCase, TestSuite, to_xml_report_string
    cases = []
    for c in result["components"]:
        for p in c["properties"]:
            tc = TestCase(f"{c['name']}::{p['name']}", classname=f"spec_nn.{result['style']}.{c['name']}",
                          elapsed_sec=p.get("seconds", 0.0))
            detail = "\n".join(x for x in (p.get("message", ""), f"minimal example: {p['example']}"
                                           if p.get("example") else "", p.get("repro") or "") if x)
            if p["status"] == "fail":
                tc.add_failure_info(message=p["message"], output=detail)
            elif p["status"] == "error":
                tc.add_error_info(message=p["message"], output=detail)
            elif p["status"] in ("missing", "blocked"):
                tc.add_skipped_info(message=f"{p['status']}: {p.get('message', '')}")
            cases.append(tc)
    suite = TestSuite(f"spec-nn grade {result['submission']}", cases)
    return to_xml_report_string([suite])


def _env() -> Environment:
    return Environment(loader=PackageLoader("spec_nn", "templates"), autoescape=select_autoescape(["html"]))


def to_html(result: dict) -> str:
    return _env().get_template("grade.html").render(r=result)


def to_gradescope(result: dict) -> str:
    tests = []
    for c in result["components"]:
        if c["status"] == "missing" and not c.get("in_style"):
            continue
        for p in c["properties"]:
            out = p.get("message", "") or ""
            if p.get("example"):
                out += f"\nminimal example: {p['example']}"
            if p.get("repro"):
                out += f"\nreproduce with:\n{p['repro']}"
            tests.append({"name": f"{c['name']}::{p['name']}", "score": p.get("earned", 0.0),
                          "max_score": p.get("points", 0.0), "status": "passed" if p["status"] == "pass" else "failed",
                          "output": out.strip()})
    return json.dumps({"score": result["score"]["earned"], "output":
                       f"{result['style']} submission: {result['score']['earned']:g} / {result['score']['possible']:g}",
                       "tests": tests}, indent=2)


def write_all(result: dict, *, json_path=None, junit=None, html=None, gradescope=None) -> None:
    if json_path == "-":
        sys.stdout.write(to_json(result) + "\n")
    elif json_path:
        atomic_write(json_path, to_json(result))
    if junit:
        atomic_write(junit, to_junit(result))
    if html:
        atomic_write(html, to_html(result))
    if gradescope:
        atomic_write(gradescope, to_gradescope(result))
