"""``spec-nn gradescope-bundle``: an autograder.zip for Gradescope, and the runner inside it.

The zip follows Gradescope's autograder specification: ``setup.sh`` (run once when the image is built:
installs Python, bubblewrap where the image allows, and spec_nn's pinned dependencies into a virtual
environment) and ``run_autograder`` (run per submission: grades ``/autograder/submission`` into
``/autograder/results/results.json``).  spec_nn itself travels as source in ``lib/``, with ``config.json``
(style, components, limits) and the course's ``rubric.toml``.  ``AUTOGRADER_ROOT`` replaces ``/autograder``
(the tests run the bundle against a temporary folder laid out the same way).

results.json is always written: a submission with a syntax error or a file that does not import is a graded
result (those components error, the others are graded); one that cannot be graded at all (no dialect files)
gets score 0 with the reason; if the grader itself fails, run_autograder writes a results.json saying so.
Students upload files flat (``layers.py``) or in the course's tree (``cs231n/layers.py``, or deeper):
:func:`prepare` finds or builds the tree the dialect expects; notebooks are graded like the files they define.
"""
from __future__ import annotations

import argparse
import importlib.metadata
import io
import json
import os
import shutil
import stat
import sys
import tempfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
# What grading needs at run time (the conformance report, torch and the plots are not needed to grade).
RUNTIME_REQUIREMENTS = ("numpy", "hypothesis", "jinja2", "tqdm", "nbformat")
DIALECT_DIRS = {"book": ("common", ("functions.py", "layers.py", "optimizer.py", "gradient.py")),
                "cs231n": ("cs231n", ("layers.py", "optim.py", "gradient_check.py", "layer_utils.py"))}

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, when it builds the autograder image (AUTOGRADER_ROOT replaces /autograder).
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
cd "$(dirname "$0")"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    # bubblewrap is the strongest sandbox level; an image without user namespaces falls back to a uid of its own
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv \\
        python3-pip bubblewrap >/dev/null) || echo "apt-get failed: grading with what the image has"
fi
python3 -m venv "$ROOT/spec_nn_venv"
"$ROOT/spec_nn_venv/bin/python" -m pip install -q -r requirements.txt
"$ROOT/spec_nn_venv/bin/python" -c "import sys; sys.path.insert(0, 'lib'); import spec_nn; print('spec_nn', spec_nn.__version__)"
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission: grade $ROOT/submission into $ROOT/results/results.json.
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SRC="$(cd "$(dirname "$0")" && pwd)"
PY="${SPEC_NN_PYTHON:-$ROOT/spec_nn_venv/bin/python}"
mkdir -p "$ROOT/results"
rm -f "$ROOT/results/results.json"
PYTHONPATH="$SRC/lib" "$PY" -m spec_nn.gradescope --root "$ROOT" --config "$SRC/config.json" 2> "$ROOT/results/grader.log"
status=$?
if [ ! -s "$ROOT/results/results.json" ]; then
    # the grader itself failed: still a results.json, never "the autograder failed to run"
    printf '{"score": 0, "output": "The grader could not grade this submission (exit %s); your instructor has the log.", "tests": []}\\n' "$status" > "$ROOT/results/results.json"
fi
exit 0
"""


def requirements() -> str:
    """Pinned versions of what grading needs, as installed here."""
    lines = []
    for name in RUNTIME_REQUIREMENTS:
        try:
            lines.append(f"{name}=={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            lines.append(name)
    return "\n".join(lines) + "\n"


def build(out: str, *, rubric: str | None = None, style: str | None = None, components=None, timeout=None,
          submission_timeout=None, memory_mb=None, profile=None, max_examples=None, manifest: str | None = None) -> dict:
    """Write the autograder zip; returns its config.  ``manifest``: the course's own dialect manifest, every
    submission read with it (``spec-nn grade --manifest``)."""
    config = {"style": style, "components": components, "timeout": timeout, "submission_timeout": submission_timeout,
              "memory_mb": memory_mb, "profile": profile, "max_examples": max_examples,
              "rubric": "rubric.toml" if rubric else None, "manifest": "course_manifest.toml" if manifest else None}
    config = {k: v for k, v in config.items() if v is not None}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        def add(name, text, mode=0o644):
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFREG | mode) << 16
            z.writestr(info, text)
        add("setup.sh", SETUP_SH, 0o755)
        add("run_autograder", RUN_AUTOGRADER, 0o755)
        add("requirements.txt", requirements())
        add("config.json", json.dumps(config, indent=1))
        if rubric:
            with open(rubric, encoding="utf-8") as f:
                add("rubric.toml", f.read())
        if manifest:
            with open(manifest, encoding="utf-8") as f:
                add("course_manifest.toml", f.read())
        for dirpath, dirs, names in os.walk(HERE):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            for n in names:
                if n.endswith((".py", ".html", ".toml")):
                    full = os.path.join(dirpath, n)
                    with open(full, encoding="utf-8") as f:
                        add(os.path.join("lib", "spec_nn", os.path.relpath(full, HERE)), f.read())
    from .reports import atomic_write_bytes
    atomic_write_bytes(out, buf.getvalue())
    return config


def prepare(submission: str, style: str | None) -> str:
    """The folder to grade: the submission itself when it has the dialect's tree (at its top or deeper, as
    when a student zips a whole assignment folder), else a tree built from flat files (``layers.py`` at the
    top becomes ``cs231n/layers.py``)."""
    from .notebook import notebooks_in
    styles = [style] if style in DIALECT_DIRS else list(DIALECT_DIRS)
    for st in styles:
        pkg, files = DIALECT_DIRS[st]
        for dirpath, dirs, names in os.walk(submission):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__MACOSX")
            if os.path.relpath(dirpath, submission).count(os.sep) > 3:
                dirs[:] = []
            if os.path.basename(dirpath) == pkg and any(f in names for f in files):
                return os.path.dirname(dirpath)
    if notebooks_in(submission):
        return submission
    for st in styles:
        pkg, files = DIALECT_DIRS[st]
        flat = [f for f in files if os.path.isfile(os.path.join(submission, f))]
        if flat and (style or len(styles) == 1 or st == "cs231n" and "optim.py" in flat or st == "book"):
            root = tempfile.mkdtemp(prefix="spec_nn-gradescope-")
            import atexit
            atexit.register(shutil.rmtree, root, True)
            shutil.copytree(submission, os.path.join(root, pkg), ignore=shutil.ignore_patterns(".git"))
            open(os.path.join(root, pkg, "__init__.py"), "a").close()
            return root
    return submission


def main(argv=None) -> int:
    """The bundle's runner: grade ROOT/submission into ROOT/results/results.json."""
    ap = argparse.ArgumentParser(prog="spec_nn.gradescope")
    ap.add_argument("--root", default=os.environ.get("AUTOGRADER_ROOT", "/autograder"))
    ap.add_argument("--config", required=True)
    a = ap.parse_args(argv)
    with open(a.config) as f:
        config = json.load(f)
    src = os.path.dirname(os.path.abspath(a.config))
    results = os.path.join(a.root, "results", "results.json")
    sub = prepare(os.path.join(a.root, "submission"), config.get("style"))
    args = ["grade", sub, "--gradescope", results, "-q"]
    for key, flag in (("style", "--style"), ("timeout", "--timeout"), ("submission_timeout", "--submission-timeout"),
                      ("memory_mb", "--memory"), ("profile", "--profile"), ("max_examples", "--max-examples")):
        if config.get(key) is not None:
            args += [flag, str(config[key])]
    if config.get("components"):
        args += ["--components", ",".join(config["components"])]
    if config.get("rubric"):
        args += ["--rubric", os.path.join(src, config["rubric"])]
    if config.get("manifest"):
        args += ["--manifest", os.path.join(src, config["manifest"])]
    from . import cli
    cli.main(args)
    return 0


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, metavar="ZIP", help="where to write autograder.zip")
    p.add_argument("--rubric", metavar="F", help="the course's rubric (points, visibility, accepted variants)")
    p.add_argument("--style", choices=("book", "cs231n"), help="dialect (default: detected per submission)")
    p.add_argument("--manifest", metavar="F", help="the course's own dialect manifest (every submission read with it)")
    p.add_argument("--components", help="comma-separated component names (default: all)")
    p.add_argument("--timeout", type=float, metavar="S", help="seconds per call")
    p.add_argument("--submission-timeout", type=float, metavar="S", help="seconds per submission")
    p.add_argument("--memory", type=int, metavar="MB", help="memory of the sandbox")
    p.add_argument("--profile", choices=["fast", "ci", "thorough"])
    p.add_argument("--max-examples", type=int)


def run(args) -> int:  # spec-nn gradescope-bundle
    from .errors import InvalidArgument
    from .grading import UsageError, parse_components, validate_options
    from .rubric import load as load_rubric
    comps = parse_components(args.components)
    try:
        validate_options(components=comps, style=args.style, **{k: v for k, v in (
            ("timeout", args.timeout), ("submission_timeout", args.submission_timeout), ("memory_mb", args.memory),
            ("profile", args.profile), ("max_examples", args.max_examples)) if v is not None})
        load_rubric(args.rubric)
        if args.manifest:
            from .grading import locate
            if args.style:
                raise UsageError("--manifest says how submissions are read: --style cannot be given too")
            locate(args.manifest, "manifest")  # one line now, not at every student's upload
    except (UsageError, InvalidArgument) as e:
        print(f"spec-nn gradescope-bundle: {e}", file=sys.stderr)
        return 2
    build(args.out, rubric=args.rubric, style=args.style, components=comps, timeout=args.timeout,
          submission_timeout=args.submission_timeout, memory_mb=args.memory, profile=args.profile,
          max_examples=args.max_examples, manifest=args.manifest)
    print(f"wrote {args.out}: upload it as the autograder of a Gradescope programming assignment")
    return 0


if __name__ == "__main__":
    sys.exit(main())
