"""Runs reproduction snippets as printed, each in a fresh process: ``python -I repro_harness.py < snippets.json``.

This interpreter imports NumPy and spec_nn once, then forks one child per snippet; the child executes the
snippet's text as ``__main__`` (its own ``sys.path`` insertions and imports: nothing of a submission or of the
test corpus is imported before the fork) and reports, as one JSON line: what it printed, the exception it ended
with (type, message, the SpecViolation's other findings), the snippet line the exception left from, and the
small arrays and numbers it defined.  A child that runs past the time limit is killed.
"""
import io
import json
import os
import select
import signal
import sys
import time
import traceback

import numpy as np

import spec_nn  # noqa: F401 - imported once, before the forks
import spec_nn.repro  # noqa: F401

LIMIT = float(os.environ.get("REPRO_LIMIT_S", "60"))


def _values(ns: dict) -> dict:
    out = {}
    for k, v in ns.items():
        if k.startswith("_"):
            continue
        if isinstance(v, np.ndarray) and v.size <= 4096 and v.dtype.kind in "biuf":
            out[k] = {"shape": list(v.shape), "flat": [float(x) for x in v.astype(np.float64).reshape(-1)]}
        elif isinstance(v, (float, int, np.floating, np.integer)) and not isinstance(v, bool):
            out[k] = {"shape": [], "flat": [float(v)]}
    return out


def child(code: str, w: int) -> None:
    buf = io.StringIO()
    sys.stdout = sys.stderr = buf
    ns = {"__name__": "__main__"}
    res = {"exc_type": None, "exc_msg": "", "also": [], "line": None, "exc_module": ""}
    try:
        exec(compile(code, "<repro>", "exec"), ns)
    except BaseException as e:  # noqa: BLE001 - what the snippet ends with is the result
        res["exc_type"] = type(e).__name__
        res["exc_module"] = type(e).__module__
        res["exc_msg"] = str(getattr(e, "message", None) or getattr(e, "reason", None) or e)[:2000]
        res["also"] = [str(getattr(a, "message", a))[:2000] for a in getattr(e, "also", ())]
        res["kind"] = getattr(e, "kind", None)
        frames = [f for f in traceback.extract_tb(e.__traceback__) if f.filename == "<repro>"]
        res["line"] = frames[-1].lineno if frames else None
    res["printed"] = buf.getvalue()[-4000:]
    try:
        res["values"] = _values(ns)
    except Exception:  # noqa: BLE001
        res["values"] = {}
    data = json.dumps(res).encode()
    os.write(w, data)
    os.close(w)
    os._exit(0)


def run_one(code: str) -> dict:
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            child(code, w)
        finally:
            os._exit(1)
    os.close(w)
    chunks, deadline = [], time.monotonic() + LIMIT
    while True:
        left = deadline - time.monotonic()
        ready, _, _ = select.select([r], [], [], max(left, 0))
        if not ready:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            os.close(r)
            return {"exc_type": "Timeout", "exc_msg": f"ran past {LIMIT:g} s", "also": [], "line": None,
                    "printed": "", "values": {}}
        b = os.read(r, 1 << 16)
        if not b:
            break
        chunks.append(b)
    os.close(r)
    os.waitpid(pid, 0)
    try:
        return json.loads(b"".join(chunks))
    except ValueError:
        return {"exc_type": "HarnessError", "exc_msg": "the child died without a result", "also": [],
                "line": None, "printed": "", "values": {}}


def main() -> None:
    snippets = json.load(sys.stdin)
    out = [run_one(code) for code in snippets]
    sys.__stdout__.write(json.dumps(out))


if __name__ == "__main__":
    main()
