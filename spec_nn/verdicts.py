"""What a grading makes of a component's verdicts: the record each report holds (verdict_record, with the
student's own traceback frames), whether the component or its backward computes at all (a stub earns nothing:
not_computing, backward_not_computing, from the calls a _Recorder kept), the component's status, message and
notes (finish_component), the causes several properties share (group_causes) and the score (fixed by dialect
and rubric).  spec_nn/grading.py drives them.
"""
from __future__ import annotations

import os
import re

import numpy as np

from .record import outputs
from .runner import Verdict, cause_key

def verdict_record(v: Verdict, points: float, root: str | None = None) -> dict:
    """A verdict as the reports hold it (JSON, the card, JUnit, the plugin's failure text): its fields, the
    property name, the points it is worth and earns, and the student's traceback frames relative to ``root``."""
    d = v.to_json()
    d["name"] = v.property
    d["points"] = points
    d["earned"] = points if v.status == "pass" else 0.0
    if root:
        add_trace(v, root)
        d["message"] = v.message
    if v.info.get("trace"):
        d["trace"] = list(v.info["trace"])
    if points == 0 and d["status"] in ("fail", "error"):  # weighted 0 by the rubric: visible, no points lost
        d["status"], d["weighted_out"] = "warn", d["status"]
    return d


# Properties judged at a fixed dtype in every grading, whatever --dtype: a float64 grading would never see a
# float32 input come back float64.
_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<fn>[^\n]+)\n(?:(?P<code>[ \t]+[^\n]*)\n)?',
                    re.M)


def add_trace(v: Verdict, root: str) -> None:
    """The student's frames of an error's traceback into ``v.info["trace"]``, the last one at the end of the
    message (so every report, the pytest plugin's failure text included, names file:line in the submission)."""
    if v.info.get("trace") is not None or not v.info.get("detail"):
        return
    frames = student_frames(v.info["detail"], root)
    v.info["trace"] = frames
    if frames and " (at " not in v.message:
        v.message += f" (at {frames[-1].split(': ', 1)[0]})"
        for f in v.findings[:1]:
            f["message"] = v.message


def student_frames(detail: str, root: str, last: int = 3) -> list[str]:
    """The last frames of a traceback that lie in the submission: ``common/layers.py:42 in backward: dx = ...``."""
    root = os.path.realpath(root)
    out = []
    for m in _FRAME.finditer(detail or ""):
        f = os.path.realpath(m["file"])
        if f == root or not f.startswith(root + os.sep):
            continue
        code = (m["code"] or "").strip()
        out.append(f"{os.path.relpath(f, root)}:{m['line']} in {m['fn'].strip()}" + (f": {code}" if code else ""))
    return out[-last:]


class _Recorder:
    """The submission's Impl, keeping the first few forward results and faults: enough to tell a component
    that does not compute (returns None, raises NotImplementedError, returns one constant) from one that
    computes wrongly, without one more call into the submission."""

    def __init__(self, impl, limit: int = 6, *, accept=None, api: str = "", manifest=None):
        self._impl, self._limit = impl, limit
        self.calls, self.faults, self._n = [], [], 0
        self.bwd_calls, self.bwd_faults, self._nb = [], [], 0  # the same for backward: (case, dout, grads)
        self.prop, self.used_backward = None, set()              # the properties whose check called backward
        self._accept, self._api, self._manifest = dict(accept or {}), api, manifest

    def __getattr__(self, name):
        return getattr(self._impl, name)

    def forward(self, case):
        self._n += 1  # the first few calls, then every 10th: not only the smallest inputs
        keep = len(self.calls) < self._limit or (self._n % 10 == 0 and len(self.calls) < 2 * self._limit)
        snap = case.copy() if keep else None
        try:
            res = self._impl.forward(case)
        except Exception as e:  # noqa: BLE001 - recorded, then the check sees it as before
            if len(self.faults) < self._limit:
                self.faults.append(e)
            raise
        if snap is not None and isinstance(res, dict):
            self.calls.append((snap, res.get("out")))
        return res

    def backward(self, case, dout):
        if self.prop is not None:
            self.used_backward.add(self.prop)
        self._nb += 1
        keep = len(self.bwd_calls) < self._limit or (self._nb % 10 == 0 and len(self.bwd_calls) < 2 * self._limit)
        snap = (case.copy(), np.array(dout, copy=True)) if keep else None
        try:
            res = self._impl.backward(case, dout)
        except Exception as e:  # noqa: BLE001 - recorded, then the check sees it as before
            if len(self.bwd_faults) < self._limit:
                self.bwd_faults.append(e)
            raise
        if snap is not None and isinstance(res, dict):
            self.bwd_calls.append((*snap, res))
        return res

    def repro(self, prop, case):
        """The snippet in the student's own API (spec_nn.repro.snippet), with what this grading accepted."""
        from .repro import snippet
        i = self._impl
        return snippet(i.style, i.component, prop, case, i.root, i.options, api=self._api,
                       accept={k: v for k, v in self._accept.items() if v}, manifest=self._manifest)


def _stub_faults(faults: list, what: str) -> str:
    """Why a part that never answered is a stub: every call raised NotImplementedError, or returned None."""
    why = [str(getattr(e, "reason", e)) for e in faults]
    if why and all("NotImplementedError" in w for w in why):
        return f"its {what} raises NotImplementedError"
    if why and all("NoneType" in w or "returned None" in w for w in why):
        return f"its {what} returns None"
    return ""


def not_computing(comp, rec: _Recorder) -> str:
    """Why the component does not compute ('' when it does): every forward raised NotImplementedError or
    returned None, or every forward returned the same constant for inputs where the reference differs."""
    if not rec.calls:
        return _stub_faults(rec.faults, "forward")
    values = []
    for _case, out in rec.calls:
        try:
            a = np.asarray(out, dtype=np.float64)
        except (TypeError, ValueError):
            return ""
        if a.size == 0 or not np.isfinite(a).all() or a.min() != a.max():
            return ""
        values.append(float(a.reshape(-1)[0]))
    if len(values) < 2 or len(set(values)) != 1:
        return ""
    c = values[0]
    from .tolerance import tolerance
    rtol, atol = tolerance(comp, "float64", "forward")
    for case, _out in rec.calls:
        try:
            ref = np.asarray(outputs(comp.forward(case.astype(np.float64), comp.default_variants))["out"], dtype=float)
        except Exception:  # noqa: BLE001 - a reference that cannot run here decides nothing
            continue
        if ref.size and np.any(np.abs(ref - c) > 100 * (atol + rtol * abs(c))):
            return f"its forward returns {c:g} for every input, where the reference differs"
    return ""


def backward_not_computing(comp, rec: _Recorder) -> str:
    """Why the component's backward does not compute ('' when it does): every backward raised
    NotImplementedError or returned None, or every gradient of every recorded call is one and the same constant
    (a ``np.zeros_like`` stub) where the reference backward differs by far.  A forward that computes keeps the
    points of the properties that never call backward."""
    if not rec.bwd_calls:
        return _stub_faults(rec.bwd_faults, "backward")
    consts = set()
    for _case, _dout, grads in rec.bwd_calls:
        for g in grads.values():
            try:
                a = np.asarray(g, dtype=np.float64)
            except (TypeError, ValueError):
                return ""
            if a.size == 0 or not np.isfinite(a).all() or a.min() != a.max():
                return ""
            consts.add(float(a.reshape(-1)[0]))
    if len(rec.bwd_calls) < 2 or len(consts) != 1 or comp.backward is None:
        return ""
    c = consts.pop()
    from .tolerance import tolerance
    rtol, atol = tolerance(comp, "float64", "backward")
    for case, dout, grads in rec.bwd_calls:
        try:
            ref = comp.backward(case.astype(np.float64), np.asarray(dout, dtype=np.float64), comp.default_variants)
        except Exception:  # noqa: BLE001 - a reference that cannot run here decides nothing
            continue
        for k in grads:
            r = np.asarray(ref.get(k, c), dtype=np.float64)
            if r.size and np.any(np.abs(r - c) > 100 * (atol + rtol * abs(c))):
                return f"its backward returns {c:g} for every gradient, where the reference differs"
    return ""


def component_status(props: list[dict]) -> str:
    st = [p["status"] for p in props]
    if not st or all(s == "missing" for s in st):
        return "missing"
    for s in ("error", "fail", "environment", "blocked", "not_implemented"):
        if s in st:
            return s
    return "pass"


def group_causes(props: list[dict]) -> list[dict]:
    """Failing properties of one component grouped by cause (groups of two or more)."""
    groups: dict = {}
    for p in props:
        if p["status"] in ("fail", "error") and p.get("message"):
            groups.setdefault(cause_key(p["message"]), []).append(p)  # numbers blanked: each shrank on its own
    return [{"message": ps[0]["message"], "properties": [p["name"] for p in ps], "example": ps[0].get("example"),
             "trace": ps[0].get("trace", [])} for ps in groups.values() if len(ps) >= 2]


def finish_component(entry: dict, status_of: dict, comp, *, counted: bool, optional_bwd: bool, style: str,
                     not_implemented: str = "", backward_not_implemented: str = "",
                     uses_backward: frozenset = frozenset()) -> None:
    """Status, message, notes and what counts, from the component's own verdicts.  ``optional_bwd``: the
    submission has no backward for it and the dialect does not require one (its properties are not counted).
    ``backward_not_implemented``: why the backward is a stub; the properties whose check called it
    (``uses_backward``) earn nothing then, the forward-only ones keep their points."""
    props = entry["properties"]
    if backward_not_implemented and not not_implemented:
        for p in props:
            if p["name"] in uses_backward and p["status"] in ("pass", "warn"):
                p["earned"] = 0.0
                p["status"], p["message"] = "not_implemented", f"earns nothing: {backward_not_implemented}"
    for p in props:
        p["counted"] = counted and not (p["status"] == "missing" and optional_bwd)
        if p["status"] == "missing" and optional_bwd and counted:
            p["message"] += (" (the manifest maps no backward: not counted)" if style == "manifest"
                             else f" (the {style} dialect's forward-only form: not counted)")
    if not_implemented:
        for p in props:
            p["earned"] = 0.0
            if p["status"] in ("pass", "warn"):
                p["status"], p["message"] = "not_implemented", f"earns nothing: {not_implemented}"
        entry["status"] = "not_implemented"
        entry["message"] = f"not implemented: {not_implemented}"
    else:
        entry["status"] = component_status(props)
        bad = [p for p in props if p["status"] in ("fail", "error")]
        warn = [p for p in props if p["status"] == "warn"]
        entry["message"] = f"{len(bad)} of {len(props)} properties failed" if bad else ""
        if warn:
            entry["message"] += ("; " if bad else "") + f"{len(warn)} warning{'s' if len(warn) > 1 else ''} (weighted 0)"
        env = [p for p in props if p["status"] == "environment"]
        if env and not entry["message"]:  # the environment's one line (a Cython extension not built...)
            entry["message"] = env[0]["message"]
        stub = [p for p in props if p["status"] == "not_implemented"]
        if stub:
            entry["message"] += (("; " if entry["message"] else "") + f"{len(stub)} more earn nothing: "
                                 f"{backward_not_implemented}")
    entry["groups"] = group_causes(props)
    failing = [d for d in comp.built_from if status_of.get(d) in ("fail", "error", "not_implemented")]
    if failing:
        entry["blocked_by"] = failing
        one = len(failing) == 1
        if comp.kind == "model":  # a network uses its optional parts (dropout, the norms) in some configs only
            entry["note"] = (f"{', '.join(failing)} {'fails' if one else 'fail'} too: where {comp.name} uses "
                             f"{'it' if one else 'them'}, fix {'it' if one else 'them'} first ({comp.name} can be "
                             f"built from {', '.join(comp.built_from)})")
        else:
            entry["note"] = (f"{', '.join(failing)} {'fails' if one else 'fail'} too: fix {'it' if one else 'them'} "
                             f"first ({comp.name} is built from {', '.join(comp.built_from)})")


def score(results: list[dict], rub) -> dict:
    """earned / possible over the counted properties (fixed by dialect and rubric)."""
    earned = possible = 0.0
    for e in results:
        for p in e["properties"]:
            p["in_total"] = False  # whether it is in the possible total (Gradescope lists exactly these)
        if e["status"] == "missing" and not rub.missing_counts:
            continue
        if e["status"] == "environment" and not getattr(rub, "environment_counts", False):
            continue  # the grader's environment, not the student's code (a rubric can count it)
        for p in e["properties"]:
            if p["status"] == "environment" and not getattr(rub, "environment_counts", False):
                continue
            if p.get("counted", e.get("in_style", False)):
                possible += p.get("points", 0.0)
                earned += p.get("earned", 0.0)
                p["in_total"] = True
    return {"earned": earned, "possible": possible}


ZERO_PARAM_GRAD = re.compile(r"^d(w|W|b|gamma|beta|a|alpha)(\[[^\]]*\])?=-?0(\.0*)?, but should be")


def stale_grads_hint(entry: dict, style: str, root: str) -> str:
    """A book 2 layer whose parameter gradient reads 0 where the reference's does not: book 2's optimizers read
    ``layer.grads``, and the usual cause is a gradient computed into another attribute and never written there
    (audit class D2).  A note beside the verdict, which stays as it is."""
    if style != "book":
        return ""
    bad = [p for p in entry["properties"] if p["name"] == "backward_matches_reference" and p["status"] == "fail"
           and ZERO_PARAM_GRAD.match(p.get("message", ""))]
    if not bad:
        return ""
    from .adapters_book import edition_of
    if edition_of(root) != 2:
        return ""
    return ("a parameter's gradient reads 0 where it should not: book 2's optimizers read layer.grads, so backward "
            "must write into it in place (self.grads[0][...] = dW), not only into an attribute of its own")
