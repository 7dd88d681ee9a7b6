"""Running untrusted student code: a worker process per submission, and the Impl proxies the checks call.

The worker (``python spec_nn/_worker.py``, a standalone script that imports only NumPy and the adapters)
imports the submission with its root on ``sys.path`` and executes adapter calls on the arrays it is sent.
It runs under ``RLIMIT_AS`` (memory), with stdout/stderr captured and truncated (printing floods), one
BLAS thread, and NumPy's global RNG reseeded before every call (same submission, same seed: same
verdicts).  It sends back the outputs *and* the inputs as they are after the call, so the grading
process sees mutation.  Verdicts are computed here, in the grading process: patching NumPy or the checks
inside the submission changes nothing.

Faults become :class:`~spec_nn.errors.ImplError` with ``kind`` timeout | crash | memory | raised |
wrong_type | missing; timeouts, crashes and memory exhaustion are ``fatal`` (the worker is killed and
replaced, the property stops early) and every other component is still graded.
"""
from __future__ import annotations

import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import time

import numpy as np

from .errors import ImplError
from .impl import Impl
from .record import Case, Component, outputs

WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_worker.py")
DEFAULT_TIMEOUT = 10.0          # seconds per call
DEFAULT_SUBMISSION_TIMEOUT = 600.0  # seconds per submission
DEFAULT_MEMORY_MB = 3072        # address-space limit of the worker


class LoadError(Exception):
    """The submission cannot be graded at all (one line, for the user)."""


def _send(fd: int, obj) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(struct.pack("<Q", len(data)) + data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _read_exact(fd: int, n: int, deadline: float) -> bytes | None:
    chunks, got = [], 0
    while got < n:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        r, _, _ = select.select([fd], [], [], left)
        if not r:
            raise TimeoutError
        b = os.read(fd, min(n - got, 1 << 20))
        if not b:
            return None
        chunks.append(b)
        got += len(b)
    return b"".join(chunks)


class Worker:
    """One sandboxed worker process for one submission."""

    def __init__(self, style: str, root: str, manifest: dict | None, *, memory_mb: int = DEFAULT_MEMORY_MB,
                 options: dict | None = None):
        self.style, self.root, self.manifest = style, root, manifest
        self.memory_mb, self.options = memory_mb, dict(options or {})
        self.proc: subprocess.Popen | None = None
        self.killed_by_us = False
        self.restarts = 0

    def start(self, timeout: float) -> dict:
        req_r, req_w = os.pipe()
        res_r, res_w = os.pipe()
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
                   PYTHONDONTWRITEBYTECODE="1", PYTHONHASHSEED="0")
        env.pop("PYTHONPATH", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-I", WORKER, str(req_r), str(res_w), str(int(self.memory_mb))],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(req_r, res_w), cwd=self.root, env=env, start_new_session=True)
        os.close(req_r)
        os.close(res_w)
        self.req, self.res = req_w, res_r
        self.killed_by_us = False
        return self.call(("load", self.style, self.root, self.manifest, self.options), timeout)

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.killed_by_us = True
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                self.proc.kill()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass
        for fd in (self.req, self.res):
            try:
                os.close(fd)
            except OSError:
                pass
        self.proc = None

    def _death(self) -> ImplError:
        rc = self.proc.wait(5) if self.proc else None
        if rc is not None and rc < 0:
            sig = -rc
            name = signal.Signals(sig).name if sig in signal.Signals.__members__.values() else str(sig)
            if sig == signal.SIGSEGV:
                why = "the worker crashed with a segmentation fault (SIGSEGV)"
            elif sig == signal.SIGKILL and not self.killed_by_us:
                return ImplError("the worker was killed (SIGKILL), most likely out of memory", kind="memory",
                                 fatal=True)
            else:
                why = f"the worker was killed by signal {name}"
        else:
            why = f"the submission ended the worker process (exit status {rc}, e.g. os._exit or sys.exit)"
        return ImplError(why, kind="crash", fatal=True)

    def call(self, msg, timeout: float):
        """Send one request; return the reply or raise ImplError (fatal for timeout/crash/memory)."""
        if not self.alive:
            raise ImplError("the worker is not running", kind="crash", fatal=True)
        deadline = time.monotonic() + timeout
        try:
            _send(self.req, msg)
            head = _read_exact(self.res, 8, deadline)
            body = None if head is None else _read_exact(self.res, struct.unpack("<Q", head)[0], deadline)
        except TimeoutError:
            self.kill()
            raise ImplError(f"no answer within the time limit of {timeout:g} s (infinite loop?)", kind="timeout",
                            fatal=True) from None
        except (BrokenPipeError, OSError):
            body = None
        if body is None:
            err = self._death()
            self.kill()
            raise err
        return pickle.loads(body)


class Session:
    """The sandboxed submission: a worker (restarted after fatal faults) plus the per-call and
    per-submission time limits."""

    def __init__(self, style: str, root: str, manifest: dict | None = None, *, timeout: float = DEFAULT_TIMEOUT,
                 submission_timeout: float = DEFAULT_SUBMISSION_TIMEOUT, memory_mb: int = DEFAULT_MEMORY_MB,
                 options: dict | None = None):
        self.timeout, self.memory_mb = float(timeout), int(memory_mb)
        self.deadline = time.monotonic() + float(submission_timeout)
        self.submission_timeout = float(submission_timeout)
        self.worker = Worker(style, root, manifest, memory_mb=memory_mb, options=options)
        self.info: dict = {}
        self.output = ""  # what the submission printed (truncated)

    def load(self) -> dict:
        """Start the worker and import the submission; raise LoadError with a one-line reason."""
        try:
            reply = self.worker.start(max(self.timeout, 30.0))
        except ImplError as e:
            raise LoadError(f"importing the submission failed: {e.reason}") from None
        if reply[0] != "ok":
            raise LoadError(reply[1] if len(reply) == 3 else f"importing the submission failed: {reply[2]}")
        self.info = reply[1]
        return self.info

    def _restart(self) -> None:
        self.worker.kill()
        self.worker.restarts += 1
        reply = self.worker.start(max(self.timeout, 30.0))
        if reply[0] != "ok":
            raise ImplError(f"the worker could not be restarted: {reply[1]}", kind="crash", fatal=True)

    def call(self, component: str, op: str, case: Case, dout=None, options: dict | None = None):
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise ImplError(f"the submission's time limit of {self.submission_timeout:g} s is spent",
                            kind="timeout", fatal=True)
        if not self.worker.alive:
            self._restart()
        msg = ("call", component, op, case.arrays, case.consts, case.hp, dout, options or {})
        reply = self.worker.call(msg, min(self.timeout, left))
        status = reply[0]
        if reply[-1]:
            self.output = (self.output + reply[-1])[-4000:]
        if status == "ok":
            return reply[1], reply[2]
        _, kind, reason, detail, fatal, _out = reply
        if fatal:
            self.worker.kill()
        raise ImplError(reason, kind=kind, fatal=fatal, detail=detail)

    def close(self) -> None:
        self.worker.kill()


def _copy_back(target: dict, after: dict) -> None:
    """Make the caller's arrays look as the submission left them (mutation is visible to the checks)."""
    for k, v in after.items():
        cur = target.get(k)
        if isinstance(cur, np.ndarray) and isinstance(v, np.ndarray):
            if cur.shape == v.shape and cur.dtype == v.dtype:
                cur[...] = v
            else:
                target[k] = v


class SubmissionImpl(Impl):
    """One component of a sandboxed submission, as an Impl the checks of the specification call."""

    backend = "submission"

    def __init__(self, component: Component, session: Session, style: str, *, has_backward: bool = True,
                 options: dict | None = None, root: str = "."):
        super().__init__(component)
        self.session, self.style, self.root = session, style, root
        self._has_backward = has_backward and component.backward is not None
        self.options = dict(options or {})
        self._keys: list | None = None

    @property
    def has_backward(self) -> bool:
        return self._has_backward

    def _out_keys(self, case: Case) -> list:
        if self._keys is None:
            ref = outputs(self.component.forward(case.astype(np.float64), self.component.default_variants))
            self._keys = list(ref)
        return self._keys

    def forward(self, case: Case) -> dict:
        keys = self._out_keys(case)
        res, after = self.session.call(self.component.name, "forward", case, options=self.options)
        _copy_back(case.arrays, after["arrays"])
        _copy_back(case.consts, after["consts"])
        if not isinstance(res, dict):
            res = {"out": res}
        return {k: v for k, v in res.items() if k in keys}

    def backward(self, case: Case, dout) -> dict:
        if not self._has_backward:
            raise ImplError(f"{self.component.name} has no backward in this submission", kind="missing",
                            fatal=True)
        res, after = self.session.call(self.component.name, "backward", case, dout=dout, options=self.options)
        _copy_back(case.arrays, after["arrays"])
        _copy_back(case.consts, after["consts"])
        if isinstance(dout, np.ndarray) and isinstance(after.get("dout"), np.ndarray) \
                and after["dout"].shape == dout.shape:
            dout[...] = after["dout"]
        return res

    def repro(self, prop: str, case: Case) -> str:
        from .repro import snippet
        return snippet(self.style, self.component, prop, case, self.root, self.options)
