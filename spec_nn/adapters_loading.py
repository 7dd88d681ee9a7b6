"""Why a file of the submission did not load, or a call failed, for the environment's sake or the student's:
the ``environment`` status and the fix it names (a pip package, Python 2 code, a NumPy removal, an unbuilt
Cython extension, a course file left out of the repository), else the file, line and exception of a student
error.  Runs inside the sandbox worker like spec_nn/adapters.py (standard library only); the Submission
loader sets :data:`PY2_TREE` once per submission.
"""
from __future__ import annotations

import functools
import os
import re
import sys

import numpy as np

# Why an import or a call failed for reasons of the environment, not of the student's code (data: pattern ->
# the fix to name).  A rubric decides whether the status "environment" counts against the student.
PIP_NAMES = {"past": "future", "future": "future", "cv2": "opencv-python", "sklearn": "scikit-learn",
             "PIL": "pillow", "skimage": "scikit-image", "yaml": "pyyaml", "imageio": "imageio"}
NUMPY_REMOVED = {"int": "1.24", "float": "1.24", "bool": "1.24", "object": "1.24", "str": "1.24", "long": "1.24",
                 "unicode": "1.24", "complex": "1.24", "asscalar": "1.23", "float_": "2.0", "NaN": "2.0",
                 "Inf": "2.0", "product": "2.0", "cumproduct": "2.0", "alltrue": "2.0", "sometrue": "2.0",
                 "row_stack": "2.0", "in1d": "2.0", "trapz": "2.0", "string_": "2.0", "unicode_": "2.0",
                 "infty": "2.0", "PINF": "2.0", "NINF": "2.0", "mat": "2.0", "round_": "2.0"}
PY2_SYNTAX = ("Missing parentheses in call to 'print'", "Missing parentheses in call to 'exec'",
              "leading zeros in decimal integer literals", "inconsistent use of tabs and spaces",
              "Did you mean print(", "multiple exception types must be parenthesized")


PY2_TREE = False  # set at load: the submission's files carry Python 2 markers (print statements, xrange)
PY2_MARKERS = re.compile(r"^\s*print\s+[\"'\w]|\bxrange\s*\(|\braw_input\s*\(|^\s*except\s+\w+\s*,\s*\w+\s*:",
                         re.MULTILINE)
PY2_RUNTIME = ("'float' object cannot be interpreted as an integer", "slice indices must be integers",
               "only integer scalar arrays can be converted", "Cannot cast ufunc", "object cannot be interpreted as an "
               "integer", "only integers, slices", "Cannot cast array data from dtype('float64') to dtype('int64')")
# Course files students often leave out of their repository (the course hands them out, they import them).
COURSE_FILES = {"fast_layers", "im2col", "im2col_cython", "data_utils", "vis_utils", "solver", "gradient_check",
                "layer_utils"}


def looks_like_python2(root: str, limit: int = 200) -> bool:
    """Whether the submission's Python files carry Python 2 markers (then integer-division faults at run time
    are the environment's: the code was written for Python 2's ``/``)."""
    seen = 0
    for dirpath, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d != "__pycache__"]
        for n in names:
            if n.endswith(".py") and seen < limit:
                seen += 1
                try:
                    with open(os.path.join(dirpath, n), encoding="utf-8", errors="replace") as f:
                        if PY2_MARKERS.search(f.read(200_000)):
                            return True
                except OSError:
                    pass
    return False


def environment_fix(e: BaseException, root: str | None = None) -> str:
    """The fix to name when ``e`` comes from the environment ('' when it is the code's own fault)."""
    msg = str(e)
    if isinstance(e, (NameError, ImportError)) and "_cython" in msg:
        return ("the course's Cython extension is not built (python setup.py build_ext --inplace in the cs231n "
                "folder); the grader does not build it")
    if PY2_TREE and isinstance(e, (TypeError, IndexError, ValueError)) and any(p in msg for p in PY2_RUNTIME):
        return "Python 2 code: / on integers gives a float in Python 3 (use //), so sizes and indices are floats"
    if isinstance(e, ModuleNotFoundError) and e.name:
        top = e.name.split(".")[0]
        if top in getattr(sys, "stdlib_module_names", ()) and os.getuid() != 0 and os.path.isdir(sys.prefix) \
                and not os.access(sys.prefix, os.R_OK | os.X_OK):
            return (f"the standard-library module {top!r} cannot be read by the sandbox's uid (the Python "
                    "installation is readable by root only): install bubblewrap, or Python where all users can read it")
        local = root and any(os.path.exists(os.path.join(root, top + ext)) for ext in ("", ".py"))
        last = e.name.split(".")[-1]
        if local and last in COURSE_FILES and root and not os.path.exists(
                os.path.join(root, *e.name.split(".")) + ".py"):
            return (f"the course file {e.name.replace('.', '/')}.py is not in the submission (the course hands it "
                    "out: add it to the grader's copy of the course files)")
        if not local and not own_module(root, top):
            return f"missing third-party module {top!r}: pip install {PIP_NAMES.get(top, top)}"
        return ""
    if isinstance(e, SyntaxError):
        text = (e.text or "").strip()
        if any(p in msg for p in PY2_SYNTAX) or text.startswith(("print ", "exec ")) or "`" in text \
                or (" ur\"" in text or " ur'" in text):
            return "Python 2 code: the grader runs Python 3 (convert it, e.g. print(...), range for xrange)"
        if "Non-UTF-8 code" in msg or "(unicode error)" in msg or "invalid non-printable" in msg:
            return "the source is not UTF-8: save it as UTF-8 or declare its encoding (# -*- coding: latin-1 -*-)"
        return ""
    if isinstance(e, UnicodeDecodeError):
        return "the source is not UTF-8: save it as UTF-8 or declare its encoding (# -*- coding: latin-1 -*-)"
    if isinstance(e, NameError) and any(f"name '{n}' is not defined" in msg for n in ("xrange", "raw_input",
                                                                                        "unicode", "basestring")):
        return "Python 2 code: the grader runs Python 3"
    if isinstance(e, AttributeError) and msg.startswith("module 'numpy' has no attribute '"):
        name = msg.split("'")[3]
        if name in NUMPY_REMOVED:
            return f"np.{name} was removed in NumPy {NUMPY_REMOVED[name]} (the grader has NumPy {np.__version__})"
    if isinstance(e, TypeError) and ("only length-1 arrays can be converted" in msg
                                     or "only 0-dimensional arrays can be converted" in msg
                                     or "only integer scalar arrays can be converted" in msg):
        return f"int()/float() of an array with ndim > 0 is refused by NumPy {np.__version__} (use .item())"
    return ""


@functools.lru_cache(maxsize=64)  # environment_fix and load_problem both ask, for the same failed import
def own_module(root: str | None, top: str, depth: int = 3) -> str:
    """The submission's own file a failed ``import top`` meant ('common/functions.py' for ``from functions import
    *`` inside common/layers.py: a sibling imported as a top-level module), '' when it has none."""
    if not root:
        return ""
    base = root.rstrip(os.sep).count(os.sep)
    for dirpath, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
        if dirpath.count(os.sep) - base >= depth:
            dirs[:] = []
        if top + ".py" in names and dirpath != root:
            return os.path.relpath(os.path.join(dirpath, top + ".py"), root)
    return ""


def where_in(e: BaseException, root: str) -> tuple[str, int | None]:
    """(file relative to the submission, line) where ``e`` happened in the submission's own code."""
    if isinstance(e, SyntaxError) and e.filename:
        return os.path.relpath(e.filename, root) if os.path.isabs(e.filename) else e.filename, e.lineno
    import traceback
    frames = [f for f in traceback.extract_tb(e.__traceback__) if f.filename.startswith(root + os.sep)]
    if frames:
        return os.path.relpath(frames[-1].filename, root), frames[-1].lineno
    return "", None


def load_problem(e: BaseException, root: str, path: str) -> dict:
    """One line (file, line, exception) and a status for a module that does not load."""
    rel, line = where_in(e, root)
    rel = rel or os.path.relpath(path, root)
    fix = environment_fix(e, root)
    text = f"{type(e).__name__}: {e}".replace("\n", " ")[:300]
    own = os.path.relpath(path, root)
    at = f"{rel} line {line}" if line else rel
    head = at if rel == own else f"{own} fails to import: {at}"
    mine = own_module(root, e.name.split(".")[0]) if isinstance(e, ModuleNotFoundError) and e.name and not fix else ""
    if mine:  # the student's own file, imported under another name
        text += (f" (the submission has {mine}: import it as {mine[:-3].replace(os.sep, '.')}, the way the grader "
                 f"and the course's scripts import the package)")
    return {"status": "environment" if fix else "error", "file": rel, "line": line,
            "message": f"{head}: {text}" + (f" [{fix}]" if fix else ""), "fix": fix}
