"""pytest plugin (entry point ``spec_nn``): Hypothesis profile selection, and grading a submission as
tests: ``pytest --spec-nn-submission PATH [--spec-nn-style book|cs231n|manifest]`` adds one test per
``component::property`` (ids ``spec_nn::component::property``) with the grader's verdicts; missing and
blocked components are skipped with the reason.  ``--spec-nn-known-deviations F`` names ids (one per
line, ``#`` comments) that are expected to fail: they are ``xfail(strict=True)``, so a known deviation
that starts passing fails the run.  JUnit comes from pytest's own ``--junitxml``.
"""
from __future__ import annotations

import os

import pytest


def pytest_addoption(parser):
    group = parser.getgroup("spec_nn")
    group.addoption("--spec-nn-profile", choices=["fast", "ci", "thorough"], default=None,
                    help="Hypothesis profile for spec_nn checks (default: $SPEC_NN_PROFILE or fast)")
    group.addoption("--spec-nn-submission", default=None, metavar="PATH",
                    help="grade this student submission: one test per component::property")
    group.addoption("--spec-nn-style", choices=["book", "cs231n", "manifest"], default=None,
                    help="dialect of the submission (default: detected)")
    group.addoption("--spec-nn-components", default=None, help="comma-separated components to grade")
    group.addoption("--spec-nn-known-deviations", default=None, metavar="FILE",
                    help="ids expected to fail (xfail strict), one per line")
    group.addoption("--spec-nn-seed", type=int, default=0, help="seed of the grading run")
    group.addoption("--spec-nn-rubric", default=None, metavar="FILE", help="TOML rubric (accepted variants)")
    group.addoption("--spec-nn-dtype", choices=["float64", "float32"], default="float64",
                    help="dtype of the drawn inputs and of the tolerances (default: float64)")


def pytest_configure(config):
    profile = config.getoption("--spec-nn-profile", None)
    if profile:
        os.environ["SPEC_NN_PROFILE"] = profile


def read_known_deviations(path: str | None) -> set:
    if not path:
        return set()
    ids = set()
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                ids.add(line.removeprefix("spec_nn::"))
    return ids


class SubmissionGrade:
    """Grades the submission once (on the first test that needs it) and serves the verdicts."""

    def __init__(self, config):
        self.config = config
        self.result = None
        self.error = None

    def get(self) -> dict:
        if self.result is None and self.error is None:
            from .errors import InvalidArgument
            from .grading import UsageError, grade_submission, parse_components
            from .sandbox import LoadError
            c = self.config
            try:
                self.result = grade_submission(
                    c.getoption("--spec-nn-submission"), style=c.getoption("--spec-nn-style"),
                    components=parse_components(c.getoption("--spec-nn-components")),
                    rubric=c.getoption("--spec-nn-rubric"), seed=c.getoption("--spec-nn-seed"),
                    dtype=c.getoption("--spec-nn-dtype"))
            except (UsageError, LoadError, InvalidArgument) as e:
                self.error = str(e)
        if self.error:
            pytest.fail(f"spec-nn: {self.error}", pytrace=False)
        return self.result

    def verdict(self, comp: str, prop: str) -> dict:
        for c in self.get()["components"]:
            if c["name"] == comp:
                for p in c["properties"]:
                    if p["name"] == prop:
                        return p
        return {"status": "missing", "message": "not graded"}


class SpecNNItem(pytest.Item):
    def __init__(self, *, component: str, prop: str, grade: SubmissionGrade, **kw):
        super().__init__(**kw)
        self.component, self.prop, self.grade = component, prop, grade

    def runtest(self):
        v = self.grade.verdict(self.component, self.prop)
        if v["status"] in ("missing", "blocked"):
            pytest.skip(f"{v['status']}: {v.get('message', '')}")
        if v["status"] != "pass":
            raise SpecNNFailure(v)

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, SpecNNFailure):
            v = excinfo.value.verdict
            lines = [f"{self.component}::{self.prop} {v['status']}: {v.get('message', '')}"]
            if v.get("example"):
                lines.append(f"minimal example: {v['example']}")
            if v.get("repro"):
                lines.append("reproduce with:\n" + v["repro"])
            return "\n".join(lines)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.config.getoption("--spec-nn-submission"), None, f"spec_nn::{self.component}::{self.prop}"


class SpecNNFailure(AssertionError):
    def __init__(self, verdict):
        super().__init__(verdict.get("message", ""))
        self.verdict = verdict


def pytest_collection_modifyitems(session, config, items):
    if not config.getoption("--spec-nn-submission", None):
        return
    from .grading import parse_components
    from .registry import COMPONENTS
    grade = SubmissionGrade(config)
    wanted = parse_components(config.getoption("--spec-nn-components"))
    bad = [c for c in wanted or () if c not in COMPONENTS]
    if bad:
        raise pytest.UsageError(f"--spec-nn-components: {', '.join(map(repr, bad))} not a component; "
                                f"choose from {', '.join(COMPONENTS)}")
    try:
        known = read_known_deviations(config.getoption("--spec-nn-known-deviations"))
    except OSError as e:
        raise pytest.UsageError(f"--spec-nn-known-deviations: cannot read {e.filename}: {e.strerror}") from None
    ids = {f"{c.name}::{p}" for c in COMPONENTS.values() for p in c.property_names}
    unknown = sorted(known - ids)
    if unknown:
        raise pytest.UsageError(f"--spec-nn-known-deviations: {unknown} not component::property ids "
                                "(see spec-nn list)")
    for comp in COMPONENTS.values():
        if wanted and comp.name not in wanted:
            continue
        for prop in comp.property_names:
            item = SpecNNItem.from_parent(session, name=f"spec_nn::{comp.name}::{prop}", component=comp.name,
                                          prop=prop, grade=grade)
            if f"{comp.name}::{prop}" in known:
                item.add_marker(pytest.mark.xfail(strict=True, reason="known deviation"))
            items.append(item)
