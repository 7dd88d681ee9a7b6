"""pytest plugin (entry point ``spec_nn``): Hypothesis profile selection, and a submission's properties as
pytest items collected from a file.

* A ``spec_nn.toml`` manifest anywhere in the collected tree is a pytest File.  ``--spec-nn-submission PATH``
  adds the submission at PATH (book, cs231n or manifest style): its file is ``common/layers.py`` (or
  ``common/functions.py``), ``cs231n/layers.py`` or the manifest.  Naming such a file on the command line
  collects it too.  Items are ``FILE::component::property``, e.g.
  ``examples/book_buggy/common/layers.py::relu::grad_at_zero``: node ids, ``-k``, ``--deselect``, ``--lf``
  and ``--sw`` work as for any test.
* Only the components the submission maps are collected; one header line names the others.
* Each item checks its one property when it runs, on the process that runs it (under pytest-xdist every
  property is checked once, on one worker), through the grader's sandboxed worker process: one per pytest
  process and submission, started at collection.
* Verdicts are the grader's (``spec-nn grade``, same seed: same verdicts): pass and warn (a failure the
  rubric weights 0, with a warning) pass, fail and error fail, with the message, the minimal example, the
  submission's frames of a traceback and a reproduction snippet; missing (a property the submission cannot
  answer, e.g. no backward), not_implemented (a stub) and environment (the grader's environment, not the
  submission) are skips with the reason.  A component whose file does not import fails with that one line.
* ``--spec-nn-known-deviations F`` names ``component::property`` ids (one per line, ``#`` comments) that are
  expected to fail: ``xfail(strict=True)``, so a known deviation that starts passing fails the run.
* JUnit comes from pytest's own ``--junitxml``.
"""
from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

import pytest

MANIFEST_FILE = "spec_nn.toml"
SPEC_NN_STATE = pytest.StashKey["State"]()


def pytest_addoption(parser):
    group = parser.getgroup("spec_nn")
    group.addoption("--spec-nn-profile", choices=["fast", "ci", "thorough"], default=None,
                    help="Hypothesis profile for spec_nn checks (default: $SPEC_NN_PROFILE or fast)")
    group.addoption("--spec-nn-submission", default=None, metavar="PATH",
                    help="grade this student submission: one test per component::property")
    group.addoption("--spec-nn-style", choices=["book", "cs231n", "manifest"], default=None,
                    help="dialect of the --spec-nn-submission (default: detected)")
    group.addoption("--spec-nn-components", default=None, help="comma-separated components to collect")
    group.addoption("--spec-nn-known-deviations", default=None, metavar="FILE",
                    help="ids expected to fail (xfail strict), one per line")
    group.addoption("--spec-nn-seed", type=int, default=0, help="seed of the grading run")
    group.addoption("--spec-nn-rubric", default=None, metavar="FILE", help="TOML rubric (accepted variants)")
    group.addoption("--spec-nn-dtype", choices=["float64", "float32"], default="float64",
                    help="dtype of the drawn inputs and of the tolerances (default: float64)")
    group.addoption("--spec-nn-max-examples", type=int, default=None, metavar="N",
                    help="examples per property (default: the profile's)")
    group.addoption("--spec-nn-timeout", type=float, default=None, metavar="S",
                    help="seconds per call into the submission (default: the grader's, 10)")
    group.addoption("--spec-nn-allow-torch", action="store_true", default=False,
                    help="let the submission import torch (passed to the sandbox as allow_torch)")


# --------------------------------------------------------------------------------------------------
# Configuration: the options, checked once (one usage error, never a failure per test)

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


def anchor_file(spec: str, root: str, style: str) -> Path:
    """The file a submission's items are collected from (it exists: ``grading.locate`` checked)."""
    from .grading import MANIFEST_NAMES
    if style == "manifest":
        if os.path.isfile(spec):
            return Path(spec).resolve()
        return next(Path(root, m) for m in MANIFEST_NAMES if os.path.isfile(os.path.join(root, m))).resolve()
    names = ("layers.py", "functions.py", "optimizer.py", "gradient.py") if style == "book" else ("layers.py",)
    sub = "common" if style == "book" else "cs231n"
    return next(Path(root, sub, n) for n in names if os.path.isfile(os.path.join(root, sub, n))).resolve()


def tree_anchor(path: Path) -> tuple[Path, str] | None:
    """(root, style) when ``path`` is the file a book or cs231n tree is collected from."""
    root = path.parent.parent
    if path.parent.name == "cs231n" and path.name == "layers.py":
        return root, "cs231n"
    if path.parent.name == "common" and path.suffix == ".py":
        try:
            return (root, "book") if anchor_file(str(root), str(root), "book") == path.resolve() else None
        except StopIteration:
            return None
    return None


class State:
    """The plugin's options and, per submission, the run that grades it in this process."""

    def __init__(self, config):
        from .errors import InvalidArgument
        from .grading import UsageError, locate, parse_components, validate_options
        from .registry import COMPONENTS
        from .sandbox import DEFAULT_MEMORY_MB, DEFAULT_SUBMISSION_TIMEOUT, DEFAULT_TIMEOUT
        opt = config.getoption
        self.config = config
        self.seed, self.dtype = opt("--spec-nn-seed"), opt("--spec-nn-dtype")
        self.max_examples = opt("--spec-nn-max-examples")
        self.timeout = opt("--spec-nn-timeout") if opt("--spec-nn-timeout") is not None else DEFAULT_TIMEOUT
        self.submission_timeout, self.memory_mb = DEFAULT_SUBMISSION_TIMEOUT, DEFAULT_MEMORY_MB
        self.allow_torch = bool(opt("--spec-nn-allow-torch"))
        self.wanted = parse_components(opt("--spec-nn-components"))
        bad = [c for c in self.wanted or () if c not in COMPONENTS]
        if bad:
            raise pytest.UsageError(f"--spec-nn-components: {', '.join(map(repr, bad))} not a component; "
                                    f"choose from {', '.join(COMPONENTS)}")
        try:
            validate_options(dtype=self.dtype, timeout=self.timeout, max_examples=self.max_examples)
        except UsageError as e:
            raise pytest.UsageError(str(e).replace("--timeout", "--spec-nn-timeout")
                                    .replace("--max-examples", "--spec-nn-max-examples")) from None
        try:
            self.known = read_known_deviations(opt("--spec-nn-known-deviations"))
        except OSError as e:
            raise pytest.UsageError(f"--spec-nn-known-deviations: cannot read {e.filename}: {e.strerror}") from None
        ids = {f"{c.name}::{p}" for c in COMPONENTS.values() for p in c.property_names}
        unknown = sorted(self.known - ids)
        if unknown:
            raise pytest.UsageError(f"--spec-nn-known-deviations: {unknown} not component::property ids "
                                    "(see spec-nn list)")
        from . import rubric as rubric_mod
        try:
            self.rubric = rubric_mod.load(opt("--spec-nn-rubric"))
        except InvalidArgument as e:
            raise pytest.UsageError(f"--spec-nn-rubric: {e}") from None
        self.runs: dict[Path, SubmissionRun] = {}
        self.reported: set[Path] = set()
        self.anchor: Path | None = None
        spec = opt("--spec-nn-submission")
        if spec:
            try:
                root, style, manifest = locate(spec, opt("--spec-nn-style"))
            except UsageError as e:
                raise pytest.UsageError(f"--spec-nn-submission: {e}") from None
            self.anchor = anchor_file(spec, root, style)
            self.runs[self.anchor] = SubmissionRun(self, root, style, manifest)

    def run_for(self, anchor: Path, style: str) -> SubmissionRun:
        """The run of the submission collected from ``anchor`` (UsageError, LoadError: a collection error)."""
        if anchor not in self.runs:
            from .grading import locate
            root, style, manifest = locate(str(anchor if style == "manifest" else anchor.parent.parent), style)
            self.runs[anchor] = SubmissionRun(self, root, style, manifest)
        return self.runs[anchor]

    def close(self):
        for run in self.runs.values():
            run.close()


GRADING_OPTIONS = ("--spec-nn-submission", "--spec-nn-style", "--spec-nn-components", "--spec-nn-known-deviations",
                   "--spec-nn-rubric", "--spec-nn-max-examples", "--spec-nn-timeout")


def get_state(config) -> State:
    """The plugin's state, made on first use: a pytest run that grades nothing does not import the grader."""
    state = config.stash.get(SPEC_NN_STATE, None)
    if state is None:
        state = config.stash[SPEC_NN_STATE] = State(config)
    return state


def pytest_configure(config):
    profile = config.getoption("--spec-nn-profile", None)
    if profile:
        os.environ["SPEC_NN_PROFILE"] = profile
    if not any(config.getoption(o, None) is not None for o in GRADING_OPTIONS):
        return
    state = get_state(config)  # bad options: one usage error now
    if state.anchor is not None:
        # Collect the submission's file: instead of the default paths when none were given, besides the
        # given ones otherwise (unless they already point into the submission).
        root = Path(state.runs[state.anchor].root)
        inside = [a for a in config.args if _under(config, a, root)]
        if config.args_source != pytest.Config.ArgsSource.ARGS:
            config.args = [str(state.anchor)]
        elif not inside:
            config.args = [*config.args, str(state.anchor)]


def _under(config, arg: str, root: Path) -> bool:
    p = Path(config.invocation_params.dir, arg.split("::", 1)[0]).resolve()
    return p == root or root in p.parents


def pytest_unconfigure(config):
    state = config.stash.get(SPEC_NN_STATE, None)
    if state is not None:
        state.close()


# --------------------------------------------------------------------------------------------------
# Collection

@pytest.hookimpl(wrapper=True)
def pytest_collect_file(file_path, parent):
    found = yield
    state = parent.config.stash.get(SPEC_NN_STATE, None)
    if state is not None and state.anchor is not None and Path(file_path).resolve() == state.anchor:
        style = state.runs[state.anchor].style
    elif file_path.name == MANIFEST_FILE:
        style = "manifest"
    elif parent.session.isinitpath(file_path) and (tree := tree_anchor(Path(file_path).resolve())):
        style = tree[1]
    else:
        return found
    # the student's module is graded in the sandbox, never imported here as a test module
    return [f for f in found if not isinstance(f, pytest.Module)] + [
        SubmissionFile.from_parent(parent, path=file_path, style=style)]


@pytest.hookimpl(tryfirst=True)
def pytest_collect_directory(path, parent):
    """A submission's ``common/`` or ``cs231n/`` is a plain directory, not a Package: pytest would import the
    student's ``__init__.py`` here."""
    state = parent.config.stash.get(SPEC_NN_STATE, None)
    p = Path(path).resolve()
    if state is not None and any(a.parent == p and r.style != "manifest" for a, r in state.runs.items()) or any(
            parent.session.isinitpath(c) and tree_anchor(c.resolve()) for c in (p / "layers.py", p / "functions.py")
            if c.is_file()):
        return pytest.Dir.from_parent(parent, path=path)
    return None


class SubmissionFile(pytest.File):
    """A submission's file: one collector per component it maps, one item per property."""

    def __init__(self, *, style: str, **kw):
        super().__init__(**kw)
        self.style = style

    def collect(self):
        from .errors import InvalidArgument
        from .grading import UsageError
        from .registry import COMPONENTS
        from .sandbox import LoadError
        state = get_state(self.config)
        try:
            run = state.run_for(Path(self.path).resolve(), self.style)
            collected = run.collected(state.wanted)
        except (UsageError, LoadError, InvalidArgument) as e:
            raise self.CollectError(f"spec-nn: {e}") from None
        if not collected and not state.wanted:
            raise self.CollectError(f"spec-nn: no component of the specification found in the "
                                    f"{run.style}-style submission {run.root}")
        for name in collected:
            yield ComponentNode.from_parent(self, name=name, component=COMPONENTS[name], style=self.style)


class ComponentNode(pytest.Collector):
    def __init__(self, *, component, style=None, **kw):
        super().__init__(**kw)
        self.component, self.style = component, style

    def collect(self):
        from .adapters import dialect_property_names
        known = get_state(self.config).known
        for prop in dialect_property_names(self.component, self.style):
            item = SpecNNItem.from_parent(self, name=prop, prop=prop)
            if f"{self.component.name}::{prop}" in known:
                item.add_marker(pytest.mark.xfail(strict=True, reason="known deviation"))
            yield item

    def reportinfo(self):
        return self.path, None, self.component.name


# grader statuses that are skips: the property is not the submission's (missing, not implemented) or the
# grader's environment kept it from running; pass and warn pass; fail and error fail
SKIPPED = ("missing", "not_implemented", "environment")


class SpecNNWarning(UserWarning):
    """A property that fails, weighted 0 by the rubric."""


class SpecNNFailure(AssertionError):
    def __init__(self, verdict):
        super().__init__(verdict.get("message", ""))
        self.verdict = verdict


class SpecNNItem(pytest.Item):
    def __init__(self, *, prop: str, **kw):
        super().__init__(**kw)
        self.component, self.prop = self.parent.component.name, prop

    @property
    def run(self) -> SubmissionRun:
        return self.config.stash[SPEC_NN_STATE].runs[Path(self.path).resolve()]

    def runtest(self):
        v = self.run.verdict(self.component, self.prop)
        status, why = v["status"], v.get("message") or ""
        if status in SKIPPED:
            pytest.skip(why if why.startswith(status) else f"{status}: {why}")
        if status == "warn":  # a failure the rubric weights 0: passes, and says so
            warnings.warn(SpecNNWarning(f"{self.component}::{self.prop} {v.get('weighted_out', 'fail')} "
                                        f"(weighted 0 by the rubric): {why}"))
        elif status != "pass":
            raise SpecNNFailure(v)

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, SpecNNFailure):
            return failure_text(f"{self.component}::{self.prop}", excinfo.value.verdict, self.run.root,
                                self.config.invocation_params.dir)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, None, f"{self.component}::{self.prop}"


def census_line(config, root: str, style: str, manifest, collected, wanted) -> str:
    """``spec_nn: ROOT (STYLE): N of M components collected; K not mapped by ...: names; ...``: which
    components are not collected, and why (the dialect or manifest does not map them, the submission does
    not implement them, --spec-nn-components leaves them out)."""
    from .grading import counted_components
    from .registry import COMPONENTS
    counted = counted_components(style, manifest)
    c = {"collected": [], "not_mapped": [], "not_implemented": [], "not_selected": []}
    for name in COMPONENTS:
        key = ("not_selected" if wanted and name not in wanted else "collected" if name in collected
               else "not_implemented" if name in counted else "not_mapped")
        c[key].append(name)
    try:
        where = os.path.relpath(root, config.invocation_params.dir)
    except ValueError:
        where = root
    dialect = "the manifest" if style == "manifest" else f"the {style} dialect"
    parts = [f"spec_nn: {where} ({style}): {len(c['collected'])} of {len(COMPONENTS)} components collected"]
    if c["not_mapped"]:
        parts.append(f"{len(c['not_mapped'])} not mapped by {dialect}: {', '.join(c['not_mapped'])}")
    if c["not_implemented"]:
        parts.append(f"{len(c['not_implemented'])} not implemented: {', '.join(c['not_implemented'])}")
    if c["not_selected"]:
        parts.append(f"{len(c['not_selected'])} not in --spec-nn-components")
    return "; ".join(parts)


def _xdist_controller(config) -> bool:
    return config.pluginmanager.has_plugin("dsession")


def pytest_report_header(config):
    state = config.stash.get(SPEC_NN_STATE, None)
    if state is None or state.anchor is None or _xdist_controller(config):
        return None  # the xdist controller starts no sandbox: the first worker's collection gives the line
    run = state.runs[state.anchor]
    try:
        line = run.census_line(config, state.wanted)
    except Exception:  # noqa: BLE001 - the collection error says why, once
        return None
    state.reported.add(state.anchor)
    return line


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node, ids):
    """Under xdist, the census line of each submission file, from the first worker's collection."""
    config = node.config
    if config.stash.get(CENSUS_DONE, False):
        return
    config.stash[CENSUS_DONE] = True
    from .grading import UsageError, locate
    state = config.stash.get(SPEC_NN_STATE, None)
    by_file: dict = {}
    for nodeid in ids:
        parts = nodeid.split("::")
        if len(parts) == 3:
            by_file.setdefault(parts[0], set()).add(parts[1])
    tr = config.pluginmanager.get_plugin("terminalreporter")
    for rel, comps in by_file.items():
        path = (config.rootpath / rel).resolve()
        try:
            if state is not None and path in state.runs:
                run = state.runs[path]
                root, style, manifest = run.root, run.style, run.manifest
            elif path.name == MANIFEST_FILE:
                root, style, manifest = locate(str(path), "manifest")
            elif tree := tree_anchor(path):
                root, style, manifest = locate(str(tree[0]), tree[1])
            else:
                continue
        except UsageError:
            continue
        if tr is not None:
            tr.write_line(census_line(config, root, style, manifest, comps,
                                      state.wanted if state is not None else None))


CHECKED = pytest.StashKey[dict]()
CENSUS_DONE = pytest.StashKey[bool]()


def _checked(config) -> dict:
    """Properties checked, by process ("" for this one, else the xdist worker id)."""
    if CHECKED not in config.stash:
        config.stash[CHECKED] = {}
    return config.stash[CHECKED]


def pytest_sessionfinish(session):
    n = _checked(session.config).get("", 0)
    if hasattr(session.config, "workeroutput") and n:
        session.config.workeroutput["spec_nn_checked"] = n


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    n = getattr(node, "workeroutput", {}).get("spec_nn_checked")
    if n:
        _checked(node.config)[node.gateway.id] = n


def pytest_terminal_summary(terminalreporter, config):
    """How many properties each process checked: under xdist they add up to the items run, each checked on
    one worker (plus, per worker, the whole of a component whose rubric offers several adapter variants)."""
    got = {k: v for k, v in _checked(config).items() if v}
    if not got:
        return
    where = "" if list(got) == [""] else " (" + ", ".join(f"{k} {v}" for k, v in sorted(got.items())) + ")"
    n = sum(got.values())
    terminalreporter.write_line(f"spec_nn: {n} {'property' if n == 1 else 'properties'} checked{where}")


def pytest_report_collectionfinish(config, start_path, items):
    """The census of submissions found while collecting (the --spec-nn-submission one is in the header)."""
    state = config.stash.get(SPEC_NN_STATE, None)
    if state is None:
        return None
    lines = [run.census_line(config, state.wanted) for a, run in state.runs.items()
             if a not in state.reported and run.info is not None]
    return lines or None


# --------------------------------------------------------------------------------------------------
# Grading one property at a time

class SubmissionRun:
    """One submission in this pytest process: the sandboxed worker (started on first use, kept for every
    item this process runs) and the verdicts of the properties run here.  Each verdict is the one
    ``grading.grade_submission`` gives that property (same options, same seed)."""

    def __init__(self, state: State, root: str, style: str, manifest):
        self.state, self.root, self.style, self.manifest = state, root, style, manifest
        self.session = None
        self.info: dict | None = None
        self.error = None
        self.hung: dict[str, str] = {}
        self.whole: dict[str, dict] = {}   # component -> {prop: verdict}, where a property is not graded alone

    @property
    def allow_torch(self) -> bool:
        return self.state.allow_torch or bool(getattr(self.state.rubric, "allow_torch", False))

    def load(self) -> dict:
        from .grading import refused_manifest_entries
        from .sandbox import LoadError, Session
        if self.info is None and self.error is None:
            st = self.state
            manifest = self.manifest
            refused = refused_manifest_entries(manifest, self.allow_torch)
            if refused:
                manifest = {**manifest, "components": {k: v for k, v in manifest["components"].items()
                                                       if k not in refused}}
            self.session = Session(self.style, self.root, manifest, timeout=st.timeout,
                                   submission_timeout=st.submission_timeout, memory_mb=st.memory_mb,
                                   options={"allow_torch": self.allow_torch})
            try:
                self.info = self.session.load()["components"]
            except LoadError as e:
                self.error = str(e)
                self.session.close()
            else:
                for name, why in refused.items():  # as the grader: decided from the manifest, not by the worker
                    self.info[name] = {"forward": False, "backward": False, "api": "", "core": True,
                                       "problem": {"status": "error", "message": why, "fix": ""}}
        if self.error is not None:
            raise LoadError(self.error)
        return self.info

    def collected(self, wanted) -> list[str]:
        """The components collected: those the submission implements, and those of the dialect whose file
        does not load (their properties fail with that one line, as in the grader)."""
        from .registry import COMPONENTS
        info = self.load()
        return [n for n in COMPONENTS if (not wanted or n in wanted) and (
            info.get(n, {}).get("forward") or (info.get(n, {}).get("problem") and info.get(n, {}).get("core")))]

    def census_line(self, config, wanted) -> str:
        return census_line(config, self.root, self.style, self.manifest, self.collected(wanted), wanted)

    def _grade(self, name: str, props) -> list[dict]:
        """The grader's verdict dicts of ``props`` of ``name`` (None: every property)."""
        from .grading import grade_properties, verdict_record
        from .registry import COMPONENTS
        st = self.state
        checked = _checked(st.config)
        checked[""] = checked.get("", 0) + len(props or COMPONENTS[name].property_names)
        probe: dict = {}
        verdicts, opts = grade_properties(COMPONENTS[name], self.session, self.style, self.root,
                                          self.load()[name].get("backward", False), st.rubric, st.seed, None,
                                          st.max_examples, st.dtype, props=props, probe=probe)
        out = []
        for v in verdicts:
            d = verdict_record(v, st.rubric.points_for(name, v.property, self.style), self.root)
            if probe.get("not_implemented") and d["status"] in ("pass", "warn"):
                d["status"], d["message"] = "not_implemented", f"earns nothing: {probe['not_implemented']}"
            out.append(d)
        return out

    def verdict(self, name: str, prop: str) -> dict:
        have = self.load().get(name, {})
        if not have.get("forward") and have.get("problem"):
            # its file (or one it imports) did not load: that one line
            return {"status": have["problem"]["status"], "message": have["problem"]["message"]}
        if name in self.hung:
            return {"status": "error", "message": f"timeout: not run, {self.hung[name]} timed out before",
                    "info": {"kind": "timeout"}}
        if name not in self.whole and len(self.state.rubric.adapter_options(name, self.style)) > 1:
            # the grader picks one adapter variant for the whole component: so does this, once per process
            self.whole[name] = {v["name"]: v for v in self._grade(name, None)}
        if name in self.whole:
            v = self.whole[name].get(prop)
        else:
            got = self._grade(name, [prop])
            v = got[0] if got else None
        if v is None:
            return {"status": "missing", "message": "not applicable to a submission"}
        if v["status"] == "error" and (v.get("info") or {}).get("kind") == "timeout":
            self.hung[name] = f"{name}::{prop}"
        return v

    def close(self):
        if self.session is not None:
            self.session.close()


# --------------------------------------------------------------------------------------------------
# Failure reports

_FRAME = re.compile(r'^  File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<func>.*)$')


def student_frames(detail: str, root: str, cwd=None) -> str:
    """The frames of a worker traceback that are the submission's code (files under ``root``), with the
    exception line; "" when there are none.  Paths are shown relative to ``cwd``."""
    if not detail:
        return ""
    root = os.path.realpath(root)
    lines = detail.rstrip("\n").splitlines()
    kept, i = [], 0
    while i < len(lines):
        m = _FRAME.match(lines[i])
        if not m:
            i += 1
            continue
        j = i + 1
        while j < len(lines) and lines[j].startswith("    "):
            j += 1
        path = os.path.realpath(m["file"])
        if path.startswith(root + os.sep):
            shown = os.path.relpath(path, cwd) if cwd else path
            kept.append(f'  File "{shown}", line {m["line"]}, in {m["func"]}')
            kept.extend(lines[i + 1:j])
        i = j
    if not kept:
        return ""
    last = next((ln for ln in reversed(lines) if ln and not ln.startswith(" ")), "")
    return "\n".join(["Traceback (the submission's code, most recent call last):", *kept, last])


def failure_text(ident: str, v: dict, root: str, cwd=None) -> str:
    from .registry import COMPONENTS
    lines = [f"{ident} {v['status']}: {v.get('message', '')}"]
    comp = COMPONENTS.get(ident.split("::")[0])
    if comp is not None and comp.built_from:
        lines.append(f"note: {comp.name} is built from {', '.join(comp.built_from)}: if one of them fails too, "
                     "fix it first")
    if v.get("example"):
        lines.append(f"minimal example: {v['example']}")
    tb = student_frames((v.get("info") or {}).get("detail", ""), root, cwd)
    if tb:
        lines.append(tb)
    if v.get("repro"):
        lines.append("reproduce with:\n" + v["repro"])
    return "\n".join(lines)
