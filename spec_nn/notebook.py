"""Notebook submissions: a ``.ipynb`` is graded like the files it defines.

The notebook is read with nbformat in the grading process (parsing only; nothing of it runs here).  From each
code cell the definitions are kept: imports, ``def``, ``class`` and assignments whose value calls nothing
(constants, lambdas); IPython magics (``%...``), shell lines (``!...``) and every other statement (training
loops, data loading, plots) are dropped, since they are the notebook's experiments, not its API.  A
``%%writefile PATH`` cell becomes that file of the submission (the way courses ship ``layers.py`` from a
notebook).  Cells that do not parse are reported; cells that fail when the kept code runs are reported by the
generated module (``[notebook] cell N failed: ...`` in the submission's output), and the definitions of every
other cell are still graded.

The dialect's files (``common/*.py`` or ``cs231n/*.py``) are generated as ``from notebook_cells import *``,
so the adapters find the notebook's names where they look for them.
"""
from __future__ import annotations

import ast
import atexit
import os
import shutil
import tempfile

DIALECT_FILES = {"book": ("common", ("functions", "layers", "optimizer", "gradient", "util")),
                 "cs231n": ("cs231n", ("layers", "optim", "gradient_check", "layer_utils"))}
BOOK_NAMES = {"Relu", "Sigmoid", "Affine", "SoftmaxWithLoss", "cross_entropy_error", "numerical_gradient",
              "step_function", "SGD", "Momentum", "AdaGrad", "Adam", "BatchNormalization", "Dropout", "Convolution",
              "Pooling", "softmax", "sigmoid", "relu", "identity_function", "sum_squared_error"}


class NotebookError(Exception):
    """The notebook cannot be read (one line)."""


def _kept(node: ast.stmt) -> bool:
    if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return True
    if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
        return not any(isinstance(n, ast.Call) for n in ast.walk(node.value))
    return False


def _clean(source: str) -> str:
    lines = []
    for line in source.splitlines():
        s = line.lstrip()
        if s.startswith(("%", "!")) or "get_ipython()" in s:
            lines.append("")  # keep line numbers
        else:
            lines.append(line)
    return "\n".join(lines)


def read(path: str) -> dict:
    """{"cells": [(index, kept source)], "files": {relpath: text}, "unparsable": [(index, message)],
    "names": set of defined names} for one notebook."""
    import nbformat
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as e:  # noqa: BLE001 - any unreadable notebook is one line
        raise NotebookError(f"{os.path.basename(path)} is not a readable notebook: {type(e).__name__}: "
                            f"{str(e).splitlines()[0][:200] if str(e) else ''}") from None
    out = {"cells": [], "files": {}, "unparsable": [], "names": set()}
    for i, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "code":
            continue
        src = cell.get("source", "")
        first = src.lstrip().splitlines()[0] if src.strip() else ""
        if first.startswith("%%writefile"):
            target = first.split(maxsplit=1)[1].strip() if len(first.split()) > 1 else ""
            target = os.path.normpath(target.replace("-a ", "").strip())
            if target and not target.startswith("..") and not os.path.isabs(target):
                out["files"][target] = src.split("\n", 1)[1] if "\n" in src else ""
            continue
        if first.startswith("%%"):
            if first.split()[0] not in ("%%time", "%%timeit", "%%capture"):
                continue  # %%bash, %%html...: not Python
            src = src.split("\n", 1)[1] if "\n" in src else ""
        src = _clean(src)
        try:
            tree = ast.parse(src)
        except SyntaxError as e:
            out["unparsable"].append((i, f"line {e.lineno}: SyntaxError: {e.msg}"))
            continue
        kept = [n for n in tree.body if _kept(n)]
        if not kept:
            continue
        for n in kept:
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                out["names"].add(n.name)
        module = ast.Module(body=kept, type_ignores=[])
        out["cells"].append((i, ast.unparse(module)))
    return out


def detect_style(names: set) -> str | None:
    if any(n.endswith("_forward") or n.endswith("_backward") for n in names) or names & {"sgd_momentum", "adam"} \
            and not names & BOOK_NAMES:
        return "cs231n"
    if names & BOOK_NAMES:
        return "book"
    return None


def to_tree(paths: list[str], style: str | None, base: str | None = None) -> tuple[str, str, dict]:
    """(root of a generated submission tree, style, report) for notebooks; the tree is removed at exit.
    base: the folder the notebooks came from (its other files are copied beside them)."""
    parsed = [(p, read(p)) for p in sorted(paths)]
    names = set().union(*(r["names"] for _, r in parsed)) if parsed else set()
    style = style or detect_style(names)
    if style not in DIALECT_FILES:
        raise NotebookError("cannot tell the style from the notebook's definitions (no affine_forward-like "
                            "functions, no Relu/Affine-like classes); pass --style book|cs231n")
    root = tempfile.mkdtemp(prefix="spec_nn-notebook-")
    atexit.register(shutil.rmtree, root, True)
    if base and os.path.isdir(base):
        shutil.copytree(base, root, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.ipynb", ".git"))
    lines = ["# Generated by spec_nn from the notebook(s): each cell's definitions, run one cell at a time.",
             "import sys as _sys", "_FAILED_CELLS = []"]
    report = {"notebooks": [os.path.basename(p) for p in paths], "cells_kept": 0, "unparsable": [],
              "written_files": []}
    for p, r in parsed:
        nb = os.path.basename(p)
        for i, msg in r["unparsable"]:
            report["unparsable"].append(f"{nb} cell {i}: {msg}")
        for rel, text in r["files"].items():
            dest = os.path.join(root, rel)
            os.makedirs(os.path.dirname(dest) or root, exist_ok=True)
            with open(dest, "w", encoding="utf-8") as f:
                f.write(text)
            report["written_files"].append(rel)
        for i, src in r["cells"]:
            report["cells_kept"] += 1
            lines += ["try:", f"    exec(compile({src!r}, {f'{nb} cell {i}'!r}, 'exec'), globals())",
                      "except Exception as _e:",
                      f"    print('[notebook] {nb} cell {i} failed: ' + type(_e).__name__ + ': ' + str(_e))"]
    with open(os.path.join(root, "notebook_cells.py"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    pkg, mods = DIALECT_FILES[style]
    os.makedirs(os.path.join(root, pkg), exist_ok=True)
    init = os.path.join(root, pkg, "__init__.py")
    if not os.path.exists(init):
        open(init, "w").close()
    for m in mods:
        dest = os.path.join(root, pkg, m + ".py")
        if not os.path.exists(dest):  # a %%writefile of the real file wins
            with open(dest, "w") as f:
                f.write("from notebook_cells import *  # noqa: F401,F403 (generated by spec_nn)\n")
    return root, style, report


def notebooks_in(path: str) -> list[str]:
    if os.path.isfile(path):
        return [path] if path.endswith(".ipynb") else []
    if not os.path.isdir(path):
        return []
    return [os.path.join(path, f) for f in sorted(os.listdir(path)) if f.endswith(".ipynb")]
