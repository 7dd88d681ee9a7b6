"""``spec-nn grade PATH``: grade one student submission (book, cs231n or manifest style).

Every property of every component runs through :func:`spec_nn.runner.check_property`, the driver the
specification's own suite uses, on a :class:`~spec_nn.sandbox.SubmissionImpl` whose calls go to the
sandboxed worker.  Property verdicts: pass | fail | error | warn (a failure the rubric weights 0) | missing |
not_implemented | environment.  Every component is graded on its own (one built from a failing component gets a
note beside its own verdicts); a component that does not compute (None, NotImplementedError, one constant where
the reference differs) is not_implemented and earns nothing.  The possible total is fixed by dialect and rubric.
Exit status: 0 when every graded component passes, 1 when any fails (or errors, or is not implemented), 2 on
usage errors or an unreadable submission (one line, never a traceback).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
import tomllib

import dataclasses

import numpy as np

from . import notebook
from . import rubric as rubric_mod
from .adapters import dialect_data, dialect_property_names, fixed_hp, for_dialect
from .record import Case
from .errors import InvalidArgument, check_interrupt
from .runner import Verdict, check_property
from .verdicts import (_Recorder, add_trace, backward_not_computing, component_status, finish_component,  # noqa: F401
                       group_causes, not_computing, score, stale_grads_hint, student_frames, verdict_record)
from .sandbox import (DEFAULT_MEMORY_MB, DEFAULT_SUBMISSION_TIMEOUT, DEFAULT_TIMEOUT, LoadError, Session,
                      SubmissionImpl)

STYLES = ("book", "cs231n", "manifest")
DTYPES = ("float64", "float32")
MANIFEST_NAMES = ("spec_nn.toml", "manifest.toml")


class UsageError(Exception):
    """Exit 2 with this one line."""


# --------------------------------------------------------------------------------------------------
# Finding the submission

def _is_empty(path: str) -> bool:
    try:
        with os.scandir(path) as it:
            return not any(True for _ in it)
    except OSError as e:
        raise UsageError(f"{path}: cannot be read: {e.strerror}") from None


def detect_style(path: str) -> str:
    """The dialect of a submission directory: a manifest in it wins (it says how the tree is to be read, e.g. a
    course's copy of a built-in dialect), then cs231n/layers.py, then the book's common/*.py."""
    if os.path.isfile(path):
        if path.endswith(".toml"):
            return "manifest"
        raise UsageError(f"{path} is a file; give the submission directory (or a manifest .toml)")
    if any(os.path.isfile(os.path.join(path, m)) for m in MANIFEST_NAMES):
        return "manifest"
    if os.path.isfile(os.path.join(path, "cs231n", "layers.py")):
        return "cs231n"
    if os.path.isdir(os.path.join(path, "common")) and any(
            os.path.isfile(os.path.join(path, "common", f)) for f in
            ("functions.py", "layers.py", "optimizer.py", "gradient.py")):
        return "book"
    if any(os.path.isfile(os.path.join(path, m)) for m in MANIFEST_NAMES):
        return "manifest"
    if _is_empty(path):
        raise UsageError(f"{path} is empty: no submission to grade")
    raise UsageError(f"{path}: cannot tell the style (no common/*.py, cs231n/layers.py or spec_nn.toml); "
                     "pass --style book|cs231n|manifest")


NOTEBOOK_REPORTS: dict = {}  # generated root -> what the notebook conversion kept and dropped


def _has_dialect_tree(path: str) -> bool:
    return os.path.isfile(os.path.join(path, "cs231n", "layers.py")) or os.path.isdir(os.path.join(path, "common")) \
        or any(os.path.isfile(os.path.join(path, m)) for m in MANIFEST_NAMES)


def locate(path: str, style: str | None, manifest_file: str | None = None) -> tuple[str, str, dict | None]:
    """(root, style, manifest) or UsageError.  ``manifest_file``: read the submission directory ``path`` with
    that manifest (a course's own dialect, kept outside the students' trees)."""
    if not os.path.exists(path):
        raise UsageError(f"{path}: no such file or directory")
    if manifest_file is not None:
        if style not in (None, "manifest"):
            raise UsageError(f"--manifest reads the submission with the manifest: --style={style} cannot be given too")
        if not os.path.isfile(manifest_file):
            raise UsageError(f"--manifest {manifest_file}: no such file")
        if not os.path.isdir(path):
            raise UsageError(f"{path}: with --manifest, give the submission directory")
        _root, _style, manifest = locate(manifest_file, "manifest")
        return os.path.abspath(path), "manifest", manifest
    if os.path.isdir(path) and _is_empty(path):
        raise UsageError(f"{path} is empty: no submission to grade")
    nbs = notebook.notebooks_in(path)
    if nbs and style != "manifest" and (os.path.isfile(path) or not _has_dialect_tree(path)):
        try:
            root, style, report = notebook.to_tree(nbs, style, base=None if os.path.isfile(path) else path)
        except notebook.NotebookError as e:
            raise UsageError(f"{path}: {e}") from None
        NOTEBOOK_REPORTS[root] = report
        return root, style, None
    style = style or detect_style(path)
    if style not in STYLES:
        raise UsageError(f"--style={style!r} is not one of {STYLES}")
    root, manifest = (os.path.dirname(os.path.abspath(path)) if os.path.isfile(path) else os.path.abspath(path)), None
    if style == "book":
        if not os.path.isdir(os.path.join(root, "common")):
            raise UsageError(f"{path}: missing file common/functions.py or common/layers.py (book style)")
        if not any(os.path.isfile(os.path.join(root, "common", f)) for f in ("functions.py", "layers.py")):
            raise UsageError(f"{path}: missing file common/functions.py and common/layers.py (book style)")
    elif style == "cs231n":
        if not os.path.isfile(os.path.join(root, "cs231n", "layers.py")):
            raise UsageError(f"{path}: missing file cs231n/layers.py (cs231n style)")
    else:
        mpath = path if os.path.isfile(path) else next(
            (os.path.join(root, m) for m in MANIFEST_NAMES if os.path.isfile(os.path.join(root, m))), None)
        if mpath is None:
            raise UsageError(f"{path}: missing file spec_nn.toml (manifest style)")
        try:
            with open(mpath, "rb") as f:
                manifest = tomllib.load(f)
        except tomllib.TOMLDecodeError as e:
            raise UsageError(f"{mpath}: not valid TOML: {e}") from None
        if not isinstance(manifest.get("components"), dict) or not manifest["components"]:
            raise UsageError(f"{mpath}: no [components] table mapping component names to callables")
        from .registry import COMPONENTS
        unknown = [c for c in manifest["components"] if c not in COMPONENTS]
        if unknown:
            raise UsageError(f"{mpath}: {unknown} are not components of the specification")
        manifest = check_manifest(manifest, mpath)
    return root, style, manifest


MANIFEST_ENTRY_KEYS = {"forward", "backward", "args", "hp", "pass_hp"}
# -- the manifest vocabulary (spec_nn/vocabulary.py: objects, layouts, modes, optimizers, restrictions) --------
from .vocabulary import KEYS as _VOCABULARY_KEYS  # noqa: E402
MANIFEST_ENTRY_KEYS |= _VOCABULARY_KEYS


ANSWER_KEY_MODULES = ("spec_nn", "conformance")
TORCH_MODULES = ("torch", "functorch", "torchgen")


def refused_manifest_entries(manifest: dict | None, allow_torch: bool) -> dict:
    """{component: why} for manifest entries naming a callable of the grader itself (the answer key) or of
    torch when it is not allowed: they are not graded, and say so."""
    if not manifest:
        return {}
    blocked = ANSWER_KEY_MODULES + (() if allow_torch else TORCH_MODULES)
    out = {}
    if manifest.get("modules"):  # a dialect manifest names files of its modules: those are what it imports
        bad = [m for m in manifest["modules"] if str(m).split(".")[0] in blocked]
        return {name: f"the manifest's modules include {bad[0]!r}, which is not graded"
                for name in manifest.get("components", {})} if bad else {}
    for name, entry in manifest.get("components", {}).items():
        from .vocabulary import refs as vocabulary_refs
        refs = vocabulary_refs(entry)  # forward, backward, class and the objects inside values
        for ref in refs:
            top = str(ref).partition(":")[0].split(".")[0]
            if top in blocked:
                what = "the grader's own code (the answer key)" if top in ANSWER_KEY_MODULES else \
                    "torch, which this course does not allow (rubric [grading] allow_torch)"
                out[name] = f"the manifest maps {name} to {ref!r}: {what} is not graded"
                break
    return out


def check_manifest(manifest: dict, mpath: str) -> dict:
    """The manifest's shape, checked here (one line naming the key) rather than failing obscurely inside
    the worker; ``path = "src"`` is read as ``["src"]``."""
    manifest = dict(manifest)
    path = manifest.get("path", ["."])
    if isinstance(path, str):
        path = [path]
    if not isinstance(path, list) or not all(isinstance(p, str) for p in path):
        raise UsageError(f"{mpath}: path = {manifest['path']!r} must be a directory or a list of directories")
    manifest["path"] = path
    if "modules" in manifest:  # a dialect manifest (a copied built-in one): spec_nn/dialect.py
        from . import dialect
        why = dialect.check(manifest)
        if why:
            raise UsageError(f"{mpath}: {why}")
        from .registry import COMPONENTS
        for name, entry in manifest["components"].items():
            why = vocabulary_accept(name, entry, COMPONENTS)
            if why:
                raise UsageError(f"{mpath}: {why}")
        return manifest

    def callable_ref(name, key, ref):
        if not isinstance(ref, str) or not ref.partition(":")[0] or not ref.partition(":")[2]:
            raise UsageError(f"{mpath}: components.{name}.{key} = {ref!r} must be \"module:callable\"")

    for name, entry in manifest["components"].items():
        if isinstance(entry, str):
            callable_ref(name, "forward", entry)
            continue
        if not isinstance(entry, dict):
            raise UsageError(f"{mpath}: components.{name} = {entry!r} must be \"module:callable\" or a table "
                             "with forward = \"module:callable\"")
        extra = set(entry) - MANIFEST_ENTRY_KEYS
        if extra:
            raise UsageError(f"{mpath}: components.{name}.{sorted(extra)[0]}: unknown key; known: "
                             f"{sorted(MANIFEST_ENTRY_KEYS)}")
        if "forward" not in entry and "class" not in entry:
            raise UsageError(f"{mpath}: components.{name} has no forward = \"module:callable\" "
                             "(or class = \"module:Class\")")
        for key in ("forward", "backward"):
            if key in entry:
                callable_ref(name, key, entry[key])
        vocab = _check_vocabulary_entry(name, entry, mpath)
        for key in ("args", "hp"):
            if key in entry and (not isinstance(entry[key], list)
                                 or not all(isinstance(a, str) or (vocab and key == "args") for a in entry[key])):
                raise UsageError(f"{mpath}: components.{name}.{key} = {entry[key]!r} must be a list of names")
    compat = manifest.get("compat", [])
    from .vocabulary import COMPAT
    if not isinstance(compat, list) or any(c not in COMPAT for c in compat):
        raise UsageError(f"{mpath}: compat = {compat!r} must be a list of {', '.join(COMPAT)}")
    return manifest


def vocabulary_accept(name: str, entry: dict, components: dict) -> str:
    from . import vocabulary_grading
    return vocabulary_grading.check_accept(name, entry, components[name]) if name in components else ""


def _check_vocabulary_entry(name: str, entry: dict, mpath: str) -> bool:
    """The manifest vocabulary's keys of one entry, checked here (spec_nn/vocabulary.py); True when it uses them."""
    from . import vocabulary, vocabulary_grading
    from .registry import COMPONENTS
    why = vocabulary_grading.check_entry(name, entry) or (
        vocabulary_grading.check_accept(name, entry, COMPONENTS[name]) if name in COMPONENTS else "")
    if why:
        raise UsageError(f"{mpath}: {why}")
    return vocabulary.uses_vocabulary(entry)


# --------------------------------------------------------------------------------------------------
# Grading

def _order(names: list[str], comps: dict) -> list[str]:
    """Canonical order, each component after those it is built from."""
    done, out = set(), []

    def visit(n, stack=()):
        if n in done or n not in comps or n in stack:
            return
        for d in comps[n].built_from:
            visit(d, stack + (n,))
        done.add(n)
        out.append(n)
    for n in names:
        visit(n)
    return [n for n in out if n in names]


PROPERTY_DTYPES = {"preserves_dtype": "float32"}


def constrained(comp, fixed: dict):
    """The component with cases whose hyper-parameters ``fixed`` overrides (where the case has them):
    a dialect that hard-codes eps is graded at its eps, not accused of ignoring another."""
    if not fixed:
        return comp

    def wrap(factory):
        def cases(**kw):
            return factory(**kw).map(lambda c: Case(c.arrays, c.consts,
                                                    {**c.hp, **{k: v for k, v in fixed.items() if k in c.hp}}))
        return cases
    props = tuple(dataclasses.replace(p, cases=wrap(p.cases)) if p.cases is not None else p for p in comp.properties)
    return dataclasses.replace(comp, cases=wrap(comp.cases), properties=props)


def grade_properties(comp, session, style, root, has_bwd, rub, seed, profile, max_examples, dtype, props=None,
                     probe: dict | None = None):
    """(verdicts, adapter options) of ``props`` (default: every property of the component as ``style`` grades
    it) on a loaded sandbox ``session``, under the best of the rubric's adapter options: the one grading step
    the grader (every property of a component) and the pytest plugin (one property per item) share.
    ``probe``, when given, receives ``not_implemented`` (why the component does not compute, '' when it does),
    ``backward_not_implemented`` and ``uses_backward`` (the properties whose check called backward)."""
    accept = rub.accept_for(comp.name)
    comp, accept = for_dialect(comp, style, accept, getattr(session, "info", None),  # CASES, FIXED_HP, ACCEPT, ENTRIES
                               manifest=getattr(getattr(session, "worker", None), "manifest", None))
    best = None
    for opts in rub.adapter_options(comp.name, style, getattr(getattr(session, "worker", None), "manifest", None)):
        info = (getattr(session, "info", None) or {}).get("components", {}).get(comp.name, {})
        impl = _Recorder(SubmissionImpl(comp, session, style, has_backward=has_bwd, options=opts, root=root),
                         accept=accept, api=str(info.get("api", "")).split("; also: ")[0],
                         manifest=getattr(getattr(session, "worker", None), "manifest", None))
        verdicts = []
        hung = None
        for prop in (props or comp.property_names):
            check_interrupt()  # a Ctrl-C swallowed inside a gc callback still stops the grading here
            if hung is not None:  # do not wait for the time limit once per property
                verdicts.append(Verdict(comp.name, prop, impl.backend, dtype, "error", info={"kind": "timeout"},
                                        message=f"timeout: not run, {hung} timed out before", example=None))
                continue
            impl.prop = prop
            try:
                v = check_property(comp, prop, impl, dtype=PROPERTY_DTYPES.get(prop, dtype), profile=profile,
                                   accept=accept, seed=seed, max_examples=max_examples)
                if v.status == "pass" and PROPERTY_DTYPES.get(prop, dtype) != dtype:
                    # and at the grading's own dtype, on a few examples (dtype behaviour rarely depends on values)
                    v2 = check_property(comp, prop, impl, dtype=dtype, profile=profile, accept=accept, seed=seed,
                                        max_examples=min(max_examples or 5, 5))
                    v = v2 if v2.status != "pass" else v
            except Exception as e:  # noqa: BLE001 - one property must not end the grading of the others
                from hypothesis.errors import Flaky
                if isinstance(e, Flaky):  # the submission answered the same input differently
                    v = Verdict(comp.name, prop, impl.backend, dtype, "error", info={"kind": "nondeterministic"},
                                message="nondeterministic: the same input gave different results on two runs "
                                        f"({type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''})")
                else:  # not the submission's doing: say so rather than accuse it
                    v = Verdict(comp.name, prop, impl.backend, dtype, "error", info={"kind": "internal"},
                                message=f"internal error of the grader (not necessarily the submission's fault; "
                                        f"please report it): {type(e).__name__}: {str(e)[:300]}")
            if v.status == "error" and v.info.get("kind") == "environment":
                v.status = "environment"  # the grader's environment, not the student's code
            if v.status == "error" and v.info.get("kind") == "missing":
                v.status, v.message = "missing", v.message.removeprefix("missing: ")
                v.example, v.repro = None, ""
            if v.status == "n/a":
                continue
            if v.status == "error" and v.info.get("kind") == "timeout":
                hung = f"{comp.name}::{prop}"
            if opts and v.status == "pass":
                v.variant = {**(v.variant or {}), **opts}
            add_trace(v, root)
            verdicts.append(v)
        fails = sum(v.status in ("fail", "error") for v in verdicts)
        if best is None or fails < best[0]:
            best = (fails, verdicts, opts, impl)
        if fails == 0:
            break
    if probe is not None:
        probe["not_implemented"] = not_computing(comp, best[3])
        probe["backward_not_implemented"] = backward_not_computing(comp, best[3])
        probe["uses_backward"] = set(best[3].used_backward)
    return best[1], best[2]


DIALECT_MODULES = ("functions", "layers", "optimizer", "gradient", "util", "optim", "gradient_check", "layer_utils")


def dialect_requires_backward(style: str, name: str, manifest: dict | None = None) -> bool:
    """Whether the dialect's API for ``name`` always has a backward (whatever this submission implements): the
    properties needing one then count in the possible total even when the submission lacks it.  Not when the
    dialect also offers a forward-only form (the book's functions.relu beside layers.Relu) or none at all."""
    from .adapters import dialect_of, dialect_table
    if style == "manifest" and dialect_of(style, manifest) is None:
        entry = ((manifest or {}).get("components") or {}).get(name)
        return isinstance(entry, dict) and ("backward" in entry or "grad" in entry)

    class Only:  # a submission that has every attribute of the given modules, and nothing else
        def __init__(self, mods):
            self.mods = mods

        def attr(self, mod, attr):
            return object if mod in self.mods else None

    ad = dialect_table(style, manifest).get(name)
    if ad is None:
        return False
    try:
        if not ad.available(Only(DIALECT_MODULES))[1]:
            return False
        return not any(tuple(ad.available(Only((m,)))) == (True, False) for m in DIALECT_MODULES)
    except Exception:  # noqa: BLE001 - an adapter that cannot say: assume the dialect has it
        return True


def counted_components(style: str, manifest: dict | None) -> set:
    """The components whose properties make up the possible total: the dialect's core components, or the
    components a manifest maps (a dialect manifest's ``core``, when it has one).  Fixed before anything runs."""
    from .adapters import core_components, dialect_of
    d = dialect_of(style, manifest)
    if style == "manifest" and (d is None or not d.core):
        return set(((manifest or {}).get("components") or {}))
    return set(core_components(style, manifest))


def counted_models(style: str, root: str, manifest: dict | None = None) -> set:
    """The model components whose files the submission has (they count in the possible total then)."""
    from .adapters import dialect_of
    from .adapters_models import MODEL_FILES
    d = dialect_of(style, manifest)
    models = d.models if d is not None else style
    return {name for name, files in MODEL_FILES.get(models, {}).items()
            if any(os.path.isfile(os.path.join(root, f)) for f in files)}


def validate_options(*, components=None, dtype: str = "float64", timeout: float = DEFAULT_TIMEOUT,
                     submission_timeout: float = DEFAULT_SUBMISSION_TIMEOUT, memory_mb: int = DEFAULT_MEMORY_MB,
                     profile: str | None = None, max_examples: int | None = None, style: str | None = None,
                     **_ignored) -> None:
    """Raise UsageError (one line) for options that would otherwise make every property of a correct
    submission "error" (a zero time limit, an unknown profile, ...) or end in a traceback."""
    from .profiles import current_profile
    from .registry import COMPONENTS
    if style is not None and style not in STYLES:
        raise UsageError(f"--style={style!r} is not one of {', '.join(STYLES)}")
    if components:
        bad = [c for c in components if c not in COMPONENTS]
        if bad:
            raise UsageError(f"--components: {', '.join(map(repr, bad))} {'is' if len(bad) == 1 else 'are'} not "
                             f"a component; choose from {', '.join(COMPONENTS)}")
    if str(dtype) not in DTYPES:
        raise UsageError(f"--dtype={dtype!r} is not one of {', '.join(DTYPES)}")
    for name, val in (("--timeout", timeout), ("--submission-timeout", submission_timeout)):
        if not (isinstance(val, (int, float)) and val > 0 and val == val):
            raise UsageError(f"{name}={val!r} must be a positive number of seconds")
    if not isinstance(memory_mb, int) or (memory_mb != 0 and memory_mb < 256):
        raise UsageError(f"--memory={memory_mb!r} must be 0 (no limit) or at least 256 MiB "
                         "(the worker needs that much to import NumPy)")
    if max_examples is not None and (not isinstance(max_examples, int) or max_examples < 1):
        raise UsageError(f"--max-examples={max_examples!r} must be a positive integer")
    try:
        current_profile(profile)
    except ValueError as e:
        raise UsageError(f"{e} (from --profile or $SPEC_NN_PROFILE)") from None


def grade_submission(path: str, *, style: str | None = None, components=None, rubric=None, seed: int = 0,
                     timeout: float = DEFAULT_TIMEOUT, submission_timeout: float = DEFAULT_SUBMISSION_TIMEOUT,
                     memory_mb: int = DEFAULT_MEMORY_MB, profile: str | None = None, max_examples: int | None = None,
                     dtype: str = "float64", progress=None, allow_torch: bool | None = None,
                     manifest: str | None = None) -> dict:
    """Grade one submission; returns the JSON-able result.  Raises UsageError / LoadError.

    allow_torch: the submission may import torch (default: the rubric's ``[grading] allow_torch``, false).
    manifest: a manifest file to read the submission directory with (``--manifest``)."""
    from .registry import COMPONENTS
    t0 = time.perf_counter()
    try:
        dtype = np.dtype(dtype).name
    except (TypeError, ValueError):
        raise UsageError(f"--dtype={dtype!r} is not one of {', '.join(DTYPES)}") from None
    validate_options(components=components, dtype=dtype, timeout=timeout, submission_timeout=submission_timeout,
                     memory_mb=memory_mb, profile=profile, max_examples=max_examples, style=style)
    rub = rubric if isinstance(rubric, rubric_mod.Rubric) else rubric_mod.load(rubric)
    root, style, manifest = locate(path, style, manifest)
    names = list(COMPONENTS)
    if components:
        names = [n for n in names if n in components]
    if allow_torch is None:
        allow_torch = bool(getattr(rub, "allow_torch", False))
    refused = refused_manifest_entries(manifest, allow_torch)
    if refused:
        manifest = {**manifest, "components": {k: v for k, v in manifest["components"].items() if k not in refused}}
    session = Session(style, root, manifest, timeout=timeout, submission_timeout=submission_timeout,
                      memory_mb=memory_mb, options={"allow_torch": allow_torch})
    try:
        info = session.load()
        impl_info = info["components"]
        for name, why in refused.items():  # decided here, from the manifest, not by the worker
            impl_info[name] = {"forward": False, "backward": False, "api": "", "core": True,
                               "problem": {"status": "error", "message": why, "fix": ""}}
        if not any(impl_info.get(n, {}).get("forward") or impl_info.get(n, {}).get("problem") for n in COMPONENTS):
            raise LoadError(f"no component of the specification found in the {style}-style submission")
        results, status_of = [], {}
        counted = counted_components(style, manifest) | counted_models(style, root, manifest)
        for name in _order(names, COMPONENTS):
            comp = COMPONENTS[name]
            have = impl_info.get(name, {})
            entry = {"name": name, "kind": comp.kind, "api": have.get("api", ""), "status": "", "message": "",
                     "variant": None, "properties": [],
                     "in_style": bool(have.get("core"))}
            if have.get("note"):
                entry["notes"] = [f"graded through {entry['api']}, because {have['note']}"]
            if progress:
                progress(name)
            if not have.get("forward") and have.get("problem"):
                # its file (or one it imports) did not load: that one line, for this component only
                prob = have["problem"]
                entry["properties"] = [{"name": p, "id": f"{name}::{p}", "status": prob["status"],
                                        "message": prob["message"], "points": rub.points_for(name, p), "earned": 0.0}
                                       for p in dialect_property_names(comp, style, manifest)]
                entry["status"], entry["message"], entry["fix"] = prob["status"], prob["message"], prob.get("fix", "")
            elif not have.get("forward"):
                why = ("not implemented by the submission" if have.get("core")
                       else f"not part of the {style} dialect")
                entry["properties"] = [{"name": p, "id": f"{name}::{p}", "status": "missing", "message": why,
                                        "points": rub.points_for(name, p), "earned": 0.0}
                                       for p in dialect_property_names(comp, style, manifest)]
                entry["status"], entry["message"] = "missing", why
            else:  # graded on its own; a failing part it is built from is a note beside its verdicts
                probe: dict = {}
                verdicts, opts = grade_properties(comp, session, style, root, have.get("backward", False), rub,
                                                  seed, profile, max_examples, dtype, probe=probe)
                entry["properties"] = [verdict_record(v, rub.points_for(name, v.property, style), root)
                                       for v in verdicts]
                entry["adapter_variant"] = opts or None
                finish_component(entry, status_of, comp, counted=name in counted, style=style,
                                 optional_bwd=not have.get("backward") and not dialect_requires_backward(
                                     style, name, manifest),
                                 not_implemented=probe.get("not_implemented", ""),
                                 backward_not_implemented=probe.get("backward_not_implemented", ""),
                                 uses_backward=frozenset(probe.get("uses_backward", ())))
            entry["in_style"] = name in counted
            provided = dialect_data(style, "COURSE_PROVIDED", manifest).get(name)
            if provided and entry["status"] != "missing":
                entry.setdefault("notes", []).append(f"course-provided, not counted: {provided}")
            hint = stale_grads_hint(entry, style, root)
            if hint:
                entry.setdefault("notes", []).append(hint)
            for p in entry["properties"]:
                p.setdefault("counted", entry["in_style"])
                p["points"] = rub.points_for(name, p["name"], style)
            status_of[name] = entry["status"]
            results.append(entry)
    finally:
        output = session.output
        session.close()
    total = score(results, rub)
    for e in results:
        for p in e["properties"]:
            p["visibility"] = rub.visibility_for(e["name"], p["name"])
    counts = {}
    for e in results:
        counts[e["status"]] = counts.get(e["status"], 0) + 1
    from .profiles import current_profile
    return {"submission": os.path.abspath(path), "style": style, "seed": seed, "profile": current_profile(profile),
            "dtype": dtype,
            "components": results, "score": total,
            "counts": counts, "rubric": rub.source, "output": output,
            "seconds": round(time.perf_counter() - t0, 2), "worker_restarts": session.worker.restarts,
            "environment": {"isolation": session.isolation},
            **({"notebook": {**NOTEBOOK_REPORTS[root], "failed_cells": [
                l.removeprefix("[notebook] ") for l in output.splitlines() if l.startswith("[notebook] ")]}}
               if root in NOTEBOOK_REPORTS else {})}


def exit_code(result: dict) -> int:
    return 1 if any(c["status"] in ("fail", "error", "blocked", "environment", "not_implemented")
                    for c in result["components"]) else 0


# --------------------------------------------------------------------------------------------------
# CLI

def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", help="submission directory (or a manifest .toml)")
    p.add_argument("--style", choices=STYLES, help="dialect (default: detected)")
    p.add_argument("--manifest", metavar="F", help="read the submission directory with the manifest F (a "
                   "course's own dialect, e.g. its edited copy of `spec-nn dialect copy book`)")
    p.add_argument("--components", help="comma-separated component names (default: all)")
    p.add_argument("--json", metavar="F", help="write the JSON result to F ('-' for stdout)")
    p.add_argument("--junit", metavar="F", help="write JUnit XML to F")
    p.add_argument("--html", metavar="F", help="write the student's HTML report to F")
    p.add_argument("--gradescope", metavar="F", help="write Gradescope results.json to F")
    p.add_argument("--rubric", metavar="F", help="TOML rubric overriding the default points and accepted variants")
    p.add_argument("--seed", type=int, default=0, help="Hypothesis seed (same seed: same verdicts)")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="S", help="seconds per call (%(default)s)")
    p.add_argument("--submission-timeout", type=float, default=DEFAULT_SUBMISSION_TIMEOUT, metavar="S",
                   help="seconds for the whole submission (%(default)s)")
    p.add_argument("--memory", type=int, default=DEFAULT_MEMORY_MB, metavar="MB",
                   help="address-space limit of the worker in MiB (%(default)s)")
    p.add_argument("--profile", choices=["fast", "ci", "thorough"], default=None, help="Hypothesis profile")
    p.add_argument("--max-examples", type=int, default=None, help="examples per property (overrides the profile)")
    p.add_argument("--dtype", choices=DTYPES, default="float64",
                   help="dtype of the drawn inputs; float32 also judges with the float32 tolerances (%(default)s)")
    p.add_argument("-q", "--quiet", action="store_true", help="print only the score line")


def parse_components(text: str | None):
    return [c.strip() for c in text.split(",") if c.strip()] if text else None


def print_summary(result: dict, quiet: bool = False, file=None) -> None:
    file = file if file is not None else sys.stdout
    if not quiet:
        for c in result["components"]:
            if c["status"] == "missing":
                continue
            print(f"{c['status'].upper():<8} {c['name']}" + (f"  ({c['message']})" if c["message"] else ""), file=file)
            if c.get("note"):
                print(f"    note   {c['note']}", file=file)
            for n in c.get("notes") or ():
                print(f"    note   {n}", file=file)
            grouped = set()
            for g in c.get("groups", []):
                grouped.update(g["properties"])
                print(f"    {len(g['properties'])} properties fail the same way: {g['message']}", file=file)
                print(f"           {', '.join(g['properties'])}", file=file)
                if g.get("example"):
                    print(f"           minimal example: {g['example']}", file=file)
                for fr in g.get("trace", []):
                    print(f"           at {fr}", file=file)
            for p in c["properties"]:
                if p["status"] not in ("fail", "error", "warn") or p["name"] in grouped:
                    continue
                print(f"    {p['status']:<6} {c['name']}::{p['name']}: {p['message']}", file=file)
                if p.get("example"):
                    print(f"           minimal example: {p['example']}", file=file)
                for f in p.get("findings", [])[1:]:
                    print(f"           also: {f['message']}", file=file)
                for fr in p.get("trace", []):
                    print(f"           at {fr}", file=file)
        missing = [c["name"] for c in result["components"] if c["status"] == "missing" and c["in_style"]]
        if missing:
            print(f"MISSING  {', '.join(missing)}", file=file)
        nb = result.get("notebook")
        if nb:
            print(f"notebook: {', '.join(nb['notebooks'])}: definitions of {nb['cells_kept']} cells graded", file=file)
            for line in nb["unparsable"] + nb["failed_cells"]:
                print(f"    cell not graded: {line}", file=file)
        iso = result.get("environment", {}).get("isolation") or {}
        if iso:
            print(f"isolation: {iso['level']}" + (" + cgroup" if iso.get("cgroup") else "")
                  + (f" (not contained here: {'; '.join(iso['weaknesses'])})" if iso.get("weaknesses") else ""),
                  file=file)
            if iso.get("warning"):
                print(f"WARNING: {iso['warning']}", file=file)
    s = result["score"]
    dt = f" [{result['dtype']} inputs]" if result.get("dtype", "float64") != "float64" else ""
    print(f"{result['style']} submission {result['submission']}{dt}: {s['earned']:g} / {s['possible']:g} points "
          f"({', '.join(f'{k} {v}' for k, v in sorted(result['counts'].items()))}) in {result['seconds']:.1f} s",
          file=file)


def check_outputs(**paths) -> None:
    """UsageError before grading (not a traceback after it) when a report cannot be written; missing
    directories are fine (they are created)."""
    for opt, path in paths.items():
        if not path or path == "-":
            continue
        flag = f"--{opt.replace('_', '-')} {path}"
        if os.path.isdir(path):
            raise UsageError(f"{flag}: is a directory, give a file name")
        d = os.path.dirname(os.path.abspath(path))
        while not os.path.exists(d):
            d = os.path.dirname(d)
        if not os.path.isdir(d):
            raise UsageError(f"{flag}: {d} is a file, not a directory")
        if not os.access(d, os.W_OK):
            raise UsageError(f"{flag}: directory {d} is not writable")


def run(args) -> int:
    try:
        check_outputs(json=args.json, junit=args.junit, html=args.html, gradescope=args.gradescope)
        result = grade_submission(args.path, style=args.style, manifest=args.manifest,
                                  components=parse_components(args.components),
                                  rubric=args.rubric, seed=args.seed, timeout=args.timeout,
                                  submission_timeout=args.submission_timeout, memory_mb=args.memory,
                                  profile=args.profile, max_examples=args.max_examples, dtype=args.dtype)
    except (UsageError, LoadError, InvalidArgument) as e:
        print(f"spec-nn grade: {e}", file=sys.stderr)
        if args.gradescope and isinstance(e, (UsageError, LoadError)) and os.path.exists(args.path):
            # Gradescope shows "the autograder failed to run" without a results.json: write one saying why
            from .reports import atomic_write, gradescope_unreadable
            try:
                atomic_write(args.gradescope, gradescope_unreadable(str(e)))
            except OSError:
                pass
        return 2
    from . import reports
    try:
        reports.write_all(result, json_path=args.json, junit=args.junit, html=args.html, gradescope=args.gradescope)
    except OSError as e:
        print(f"spec-nn grade: cannot write a report: {e.filename or ''}: {e.strerror or e}", file=sys.stderr)
        return 2
    print_summary(result, quiet=args.quiet, file=sys.stderr if args.json == "-" else sys.stdout)
    return exit_code(result)
