"""``spec-nn dialect show|copy NAME``: a built-in dialect's manifest (spec_nn/dialects/NAME.toml), printed or
copied next to a course's code as spec_nn.toml, to be edited (README "The manifest vocabulary")."""
from __future__ import annotations

import os
import shutil
import sys

from .dialect import BUILTIN, path_of


def add_arguments(parser) -> None:
    parser.add_argument("action", choices=("show", "copy", "path"), help="print it, copy it, or print its path")
    parser.add_argument("name", choices=BUILTIN, help="the built-in dialect")
    parser.add_argument("dest", nargs="?", default="spec_nn.toml",
                        help="copy: the file or directory to write (default: ./spec_nn.toml)")


def run(args) -> int:
    src = path_of(args.name)
    if args.action == "path":
        print(src)
    elif args.action == "show":
        with open(src, encoding="utf-8") as f:
            sys.stdout.write(f.read())
    else:
        dest = os.path.join(args.dest, "spec_nn.toml") if os.path.isdir(args.dest) else args.dest
        if os.path.exists(dest):
            print(f"spec-nn: {dest} exists; not overwritten", file=sys.stderr)
            return 2
        shutil.copyfile(src, dest)
        print(f"{dest}: the {args.name} dialect; edit it, then: spec-nn grade {dest}")
    return 0
