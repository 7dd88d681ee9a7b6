"""The ``spec-nn`` command: list | grade | grade-class | conformance | bench.

Each subcommand's options live with the module that implements it (``add_arguments(parser)`` and
``run(args) -> exit code``); this file only wires them, so the CLI stays a thin driver.
"""
from __future__ import annotations

import os
import signal
import sys


def _interrupted_while_starting(*_):
    # Ctrl-C before anything was started: nothing to clean up, the exit status of an interrupt, no traceback
    sys.stderr.write("spec-nn: interrupted\n")
    os._exit(130)


import argparse  # noqa: E402
import importlib  # noqa: E402
import json  # noqa: E402

# subcommand -> (module, help)
SUBCOMMANDS = {
    "list": ("spec_nn.cli", "every component with kind, properties and conventions"),
    "grade": ("spec_nn.grading", "grade one student submission (book, cs231n or manifest style)"),
    "grade-class": ("spec_nn.classroom", "grade every submission under a directory, in parallel, resumable"),
    "conformance": ("spec_nn.conformance_report", "run every property and scenario; write JSON and HTML"),
    "bench": ("spec_nn.bench", "benchmark: examples/s per component, harness overhead, FD evaluations"),
    "gradescope-bundle": ("spec_nn.gradescope", "write an autograder.zip for Gradescope (setup.sh, run_autograder)"),
    "dialect": ("spec_nn.dialect_cli", "print a built-in dialect's manifest, or copy it to edit (book, cs231n)"),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:  # for "list"
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def run(args) -> int:  # "list"
    from .registry import COMPONENTS
    comps = [c.to_json() for c in COMPONENTS.values()]
    if args.json:
        print(json.dumps({"components": comps}, indent=2))
        return 0
    for c in comps:
        conv = ", ".join(f"{k}={v['default']}" for k, v in c["conventions"].items())
        print(f"{c['name']:<22} {c['kind']:<12} {len(c['properties']):>2} properties"
              + (f"  [{conv}]" if conv else ""))
        for p in c["properties"]:
            print(f"    {c['name']}::{p}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from . import __version__
    parser = argparse.ArgumentParser(prog="spec-nn", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module, help_) in SUBCOMMANDS.items():
        p = sub.add_parser(name, help=help_, description=help_)
        try:
            mod = importlib.import_module(module)
        except ImportError as e:  # a part still being built must not break the others
            p.set_defaults(_unavailable=f"{name} is unavailable: {e}")
            continue
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv=None) -> int:
    # While the subcommands' modules are imported (the slow part of starting), Ctrl-C exits at once; from
    # then on it is a KeyboardInterrupt, so that sandboxes are closed on the way out.  A caller's own
    # handler (an embedding program) is left alone.
    own = signal.getsignal(signal.SIGINT) is signal.default_int_handler
    if own:
        signal.signal(signal.SIGINT, _interrupted_while_starting)
    try:
        parser = build_parser()
    finally:
        if own:
            signal.signal(signal.SIGINT, signal.default_int_handler)
    args = parser.parse_args(argv)
    if getattr(args, "_unavailable", None):
        print(f"spec-nn: {args._unavailable}", file=sys.stderr)
        return 2
    from .errors import INTERRUPTED
    INTERRUPTED[0] = False
    hook = sys.unraisablehook
    if own:
        signal.signal(signal.SIGINT, _interrupt)
        sys.unraisablehook = lambda u: None if issubclass(u.exc_type, KeyboardInterrupt) else hook(u)
    try:
        rc = int(args._run(args) or 0)
        if INTERRUPTED[0]:  # raised where Python could not deliver it (a gc callback): stop all the same
            raise KeyboardInterrupt
        return rc
    except BrokenPipeError:  # output piped into head & co.
        return 0
    except KeyboardInterrupt:
        print("spec-nn: interrupted", file=sys.stderr)
        return 130
    finally:
        INTERRUPTED[0] = False  # handled: a caller that goes on (a test, an embedding program) is not stopped
        if own:
            signal.signal(signal.SIGINT, signal.default_int_handler)
            sys.unraisablehook = hook


def _interrupt(signum, frame):
    """Ctrl-C while running: remembered (spec_nn.errors.INTERRUPTED), then the usual KeyboardInterrupt."""
    from .errors import INTERRUPTED
    INTERRUPTED[0] = True
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
