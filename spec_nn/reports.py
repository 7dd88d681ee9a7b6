"""Reports of a grading result: JSON, JUnit XML, the student's HTML page (jinja2) and
Gradescope's results.json."""
from __future__ import annotations

import json
import os
import re
import sys
import tempfile

from jinja2 import Environment, PackageLoader, select_autoescape


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: str, data: bytes) -> None:
    """Write via a temporary file and os.replace (a reader never sees half a file), with the permissions of a
    new file under the umask."""
    d = os.path.dirname(os.path.abspath(path)) or "."
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".tmp-", suffix=os.path.basename(path))
    try:
        os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def atomic_write(path: str, text: str) -> None:
    """Write via a temporary file and os.replace: a reader never sees half a file."""
    atomic_write_bytes(path, text.encode("utf-8"))


def to_json(result: dict) -> str:
    return json.dumps(result, indent=2, default=str)


# JUnit XML as CI viewers read it: valid against Jenkins' junit-10.xsd (tests/data/junit-10.xsd), the schema
# the xUnit plugin checks reports with.  <testsuites> carries name/tests/failures/errors/time only (no
# "disabled", which junit-xml wrote), <testsuite> adds skipped and timestamp, a <testcase> has name, classname
# and time and at most one <failure>, <error> or <skipped>.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(s) -> str:
    """Text XML 1.0 can hold: a submission's output may contain control characters."""
    return _NOT_XML.sub("\ufffd", str(s or ""))


def junit_case(name: str, classname: str, seconds: float = 0.0, status: str = "pass", message: str = "",
               detail: str = "", stdout: str = "") -> dict:
    """One test case for :func:`junit_xml`; status is pass | fail | error | skip."""
    return {"name": name, "classname": classname, "seconds": float(seconds or 0.0), "status": status,
            "message": message or "", "detail": detail or "", "stdout": stdout or ""}


def junit_xml(suites: list[tuple[str, list[dict]]], name: str = "spec-nn") -> str:
    """JUnit XML for ``[(suite name, [junit_case(...), ...]), ...]``."""
    import datetime
    import xml.etree.ElementTree as ET
    stamp = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()
    root = ET.Element("testsuites", name=_xml_text(name))
    totals = dict.fromkeys(("tests", "failures", "errors"), 0)
    total_time = 0.0
    for suite_name, cases in suites:
        n = {k: sum(c["status"] == s for c in cases) for k, s in
             (("failures", "fail"), ("errors", "error"), ("skipped", "skip"))}
        t = sum(c["seconds"] for c in cases)
        suite = ET.SubElement(root, "testsuite", name=_xml_text(suite_name), tests=str(len(cases)),
                              failures=str(n["failures"]), errors=str(n["errors"]), skipped=str(n["skipped"]),
                              time=f"{t:.3f}", timestamp=stamp)
        for c in cases:
            tc = ET.SubElement(suite, "testcase", name=_xml_text(c["name"]),
                               classname=_xml_text(c["classname"]).lstrip("."), time=f"{c['seconds']:.3f}")
            tag = {"fail": "failure", "error": "error", "skip": "skipped"}.get(c["status"])
            if tag:
                el = ET.SubElement(tc, tag, type=tag, message=_xml_text(c["message"]))
                if c["detail"]:
                    el.text = _xml_text(c["detail"])
            if c["stdout"]:
                ET.SubElement(tc, "system-out").text = _xml_text(c["stdout"])
        totals["tests"] += len(cases)
        totals["failures"] += n["failures"]
        totals["errors"] += n["errors"]
        total_time += t
    root.set("tests", str(totals["tests"]))
    root.set("failures", str(totals["failures"]))
    root.set("errors", str(totals["errors"]))
    root.set("time", f"{total_time:.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def to_junit(result: dict) -> str:
    """A test case per component::property (classname ``spec_nn.STYLE.COMPONENT``); missing and blocked
    properties are skipped with the reason."""
    cases = []
    for c in result["components"]:
        for p in c["properties"]:
            detail = "\n".join(x for x in (p.get("message", ""), f"minimal example: {p['example']}"
                                           if p.get("example") else "", p.get("repro") or "") if x)
            status = {"fail": "fail", "error": "error", "missing": "skip", "blocked": "skip"}.get(p["status"], "pass")
            message = f"{p['status']}: {p.get('message', '')}" if status == "skip" else p.get("message", "")
            cases.append(junit_case(f"{c['name']}::{p['name']}", f"spec_nn.{result['style']}.{c['name']}",
                                    p.get("seconds", 0.0), status, message, detail if status != "skip" else ""))
    return junit_xml([(f"spec-nn grade {result['submission']}", cases)], name="spec-nn grade")


def _env() -> Environment:
    return Environment(loader=PackageLoader("spec_nn", "templates"), autoescape=select_autoescape(["html"]))


def to_html(result: dict) -> str:
    return _env().get_template("grade.html").render(r=result)


def to_gradescope(result: dict) -> str:
    """Gradescope's results.json: one test per property in the possible total (so the per-test max_scores add up
    to it), with the rubric's visibility, the execution time, and the message, minimal example, student-code
    frames and reproduction as output."""
    tests = []
    for c in result["components"]:
        for p in c["properties"]:
            if not p.get("in_total", True):
                continue
            out = p.get("message", "") or ""
            for fr in p.get("trace", []) or []:
                out += f"\n  at {fr}"
            if p.get("example"):
                out += f"\nminimal example: {p['example']}"
            if p.get("repro"):
                out += f"\nreproduce with:\n{p['repro']}"
            tests.append({"name": f"{c['name']}::{p['name']}", "score": p.get("earned", 0.0),
                          "max_score": p.get("points", 0.0), "status": "passed" if p["status"] == "pass" else "failed",
                          "visibility": p.get("visibility", "visible"),
                          "execution_time": round(float(p.get("seconds", 0.0) or 0.0), 3), "output": out.strip()})
    lines = [f"{result['style']} submission: {result['score']['earned']:g} / {result['score']['possible']:g}"]
    for c in result["components"]:
        if c["status"] in ("error", "environment") and c.get("message"):
            lines.append(f"{c['name']}: {c['message']}")
    return json.dumps({"score": result["score"]["earned"], "output": "\n".join(lines), "tests": tests}, indent=2)


def gradescope_unreadable(reason: str) -> str:
    """results.json for a submission that could not be graded at all (score 0, the reason as output)."""
    return json.dumps({"score": 0.0, "output": f"This submission could not be graded: {reason}", "tests": []},
                      indent=2)


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
