"""Running untrusted student code: a worker process per submission, and the Impl proxies the checks call.

The worker (``spec_nn/_worker.py``, a standalone script that imports only NumPy and the adapters, run from a
private copy inside a :class:`spec_nn.isolation.Jail`) imports the submission and executes adapter calls on
the arrays it is sent.  It runs under ``RLIMIT_AS`` (memory), with stdout/stderr captured and truncated, one
BLAS thread, and NumPy's global RNG reseeded before every call (same submission, same seed: same verdicts).
It sends back the outputs *and* the inputs as they are after the call, so the grading process sees mutation.

Everything the worker sends is hostile data: replies are :mod:`spec_nn.wire` frames (JSON plus ``.npy``
arrays read with ``allow_pickle=False``, size-capped before reading), validated field by field (plain numeric
arrays, dicts of str to arrays, known statuses and kinds), and every string in them is sanitised
(:func:`sanitize`) before it reaches a terminal, an HTML page or an XML file.  Any malformed, oversized,
truncated or late reply is that component's ``error``, never a traceback.  Which components exist is decided
once, at load: a later "missing" from the worker is an error.  Verdicts are computed here.

Faults become :class:`~spec_nn.errors.ImplError` with ``kind`` timeout | crash | memory | raised |
wrong_type | protocol | environment; timeouts, crashes, memory exhaustion and protocol violations are
``fatal`` (the worker is killed and replaced) and every other component is still graded.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time

import numpy as np

from . import isolation, wire
from .errors import ImplError
from .impl import Impl
from .record import Case, Component, outputs

DEFAULT_TIMEOUT = 10.0          # seconds per call
DEFAULT_SUBMISSION_TIMEOUT = 600.0  # seconds per submission
DEFAULT_MEMORY_MB = 3072        # memory of the worker (its whole process tree where a cgroup is available)
MAX_REPLY = wire.DEFAULT_CAP    # bytes; a larger reply is a protocol error, never read
KINDS = ("timeout", "crash", "memory", "raised", "wrong_type", "environment", "protocol", "nondeterministic")
# How the worker reseeds NumPy's global RNG before a call, by dialect: "same" (the book's Dropout has no seed
# argument and draws from the global RNG) or "vary" (CS231n passes a seed: ignoring it must show).
# (A dialect manifest's ``reseed``: spec_nn/dialects/<style>.toml.)


class LoadError(Exception):
    """The submission cannot be graded at all (one line, for the user)."""


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def sanitize(text, *, lines: bool = True, limit: int = 4000) -> str:
    """Student text made inert for terminals, HTML and XML: control characters and escape sequences (ESC,
    CR, bidi overrides...) are shown escaped (``\\x1b``); newlines are kept only where ``lines``."""
    text = str(text)[:limit]
    if not lines:
        text = text.replace("\n", "\\n")
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256 else f"\\u{ord(m.group()):04x}",
                        text)


def _numeric(v) -> bool:
    if isinstance(v, np.ndarray):
        return type(v) is np.ndarray and v.dtype.kind in wire.NUMERIC_KINDS
    if isinstance(v, np.generic):
        return np.asarray(v).dtype.kind in wire.NUMERIC_KINDS
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _array_dict(d, what: str) -> dict:
    if not isinstance(d, dict) or not all(isinstance(k, str) and len(k) < 100 for k in d):
        raise wire.ProtocolError(f"{what} is not a dict of names")
    return d


def validate_reply(reply, *, load: bool = False):
    """The reply, checked field by field; ProtocolError for anything else."""
    if not isinstance(reply, list) or not reply or not isinstance(reply[0], str):
        raise wire.ProtocolError("the reply is not a list starting with a status")
    status = reply[0]
    if load:
        if status == "ok" and len(reply) == 3 and isinstance(reply[1], dict) and isinstance(reply[2], str):
            comps = reply[1].get("components")
            if isinstance(comps, dict) and all(isinstance(k, str) and isinstance(v, dict) for k, v in comps.items()):
                return reply
        if status == "loadfail" and len(reply) == 3 and all(isinstance(x, str) for x in reply[1:]):
            return reply
        raise wire.ProtocolError("the load reply has an unknown shape")
    if status == "ok" and len(reply) == 4:
        _, result, after, out = reply
        result = _array_dict(result, "the result")
        bad = [k for k, v in result.items() if not _numeric(v)]
        if bad:
            raise wire.ProtocolError(f"the result {bad[0]!r} is not a number or a plain numeric array")
        if not isinstance(after, dict) or not isinstance(out, str):
            raise wire.ProtocolError("the reply's inputs-after-the-call field has an unknown shape")
        for key in ("arrays", "consts"):
            _array_dict(after.get(key, {}), f"the {key} after the call")
        return reply
    if status == "err" and len(reply) == 6:
        _, kind, reason, detail, fatal, out = reply
        if kind in KINDS + ("missing",) and isinstance(reason, str) and isinstance(detail, str) \
                and isinstance(fatal, bool) and isinstance(out, str):
            return reply
    raise wire.ProtocolError(f"the reply has an unknown shape (status {sanitize(status, lines=False)[:40]!r})")


class Worker:
    """One sandboxed worker process for one submission."""

    def __init__(self, style: str, root: str, manifest: dict | None, *, memory_mb: int = DEFAULT_MEMORY_MB,
                 options: dict | None = None, cpu_seconds: float = 0):
        self.style, self.root, self.manifest = style, root, manifest
        self.memory_mb, self.options = memory_mb, dict(options or {})
        self.proc: subprocess.Popen | None = None
        self.jail: isolation.Jail | None = None
        self.cpu_seconds = cpu_seconds
        self.killed_by_us = False
        self.restarts = 0
        self.last_stderr = ""

    def start(self, timeout: float) -> list:
        req_r, req_w = os.pipe()
        res_r, res_w = os.pipe()
        allow_torch = bool(self.options.get("allow_torch"))
        try:
            self.jail = isolation.Jail(self.root, memory_mb=self.memory_mb, cpu_seconds=self.cpu_seconds,
                                       allow_torch=allow_torch)
        except (OSError, RuntimeError, shutil.Error) as e:
            for fd in (req_r, req_w, res_r, res_w):
                os.close(fd)
            raise ImplError(f"the sandbox could not be prepared: {e}", kind="crash", fatal=True) from None
        try:
            self.proc = self.jail.spawn([str(req_r), str(res_w), str(int(self.memory_mb)),
                                         os.pathsep.join(isolation.site_dirs()),
                                         ",".join(isolation.blocked_modules(allow_torch))], (req_r, res_w))
        finally:
            os.close(req_r)
            os.close(res_w)
        self.req, self.res = req_w, res_r
        self.killed_by_us = False
        return self.call(["load", self.style, self.jail.root, self.manifest, self.options], timeout, load=True)

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """Kill the worker and every process it started; nothing of the submission outlives this."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.killed_by_us = True
        if self.jail is not None:
            self.last_stderr = self.jail.stderr_tail()
            self.jail.close()
        for fd in (self.req, self.res):
            try:
                os.close(fd)
            except OSError:
                pass
        self.proc = None

    def _death(self) -> ImplError:
        try:
            rc = self.proc.wait(5) if self.proc else None
        except subprocess.TimeoutExpired:
            rc = None
        if rc is not None and rc < 0:
            sig = -rc
            name = signal.Signals(sig).name if sig in signal.Signals.__members__.values() else str(sig)
            if sig == signal.SIGSEGV:
                why = "the worker crashed with a segmentation fault (SIGSEGV)"
            elif sig == signal.SIGKILL and not self.killed_by_us:
                return ImplError("the worker was killed (SIGKILL), most likely out of memory", kind="memory",
                                 fatal=True)
            elif sig == signal.SIGXCPU:
                return ImplError("the worker used up its CPU time", kind="timeout", fatal=True)
            else:
                why = f"the worker was killed by signal {name}"
        elif rc is None:
            why = "the worker closed its reply pipe"
        else:
            why = f"the submission ended the worker process (exit status {rc}, e.g. os._exit or sys.exit)"
        return ImplError(why, kind="crash", fatal=True)

    def call(self, msg, timeout: float, load: bool = False):
        """Send one request; return the validated reply or raise ImplError (fatal for timeout, crash, memory
        and protocol violations)."""
        if not self.alive:
            raise ImplError("the worker is not running", kind="crash", fatal=True)
        deadline = time.monotonic() + timeout
        try:
            wire.write_frame(self.req, msg)
            reply = wire.read_frame(self.res, deadline, cap=MAX_REPLY)
            if reply is not None:
                reply = validate_reply(reply, load=load)
        except TimeoutError:
            self.kill()
            raise ImplError(f"no answer within the time limit of {timeout:g} s (infinite loop?)", kind="timeout",
                            fatal=True) from None
        except wire.ProtocolError as e:
            self.kill()
            raise ImplError(f"the worker's reply was rejected: {e}", kind="protocol", fatal=True) from None
        except OSError:
            reply = None
        if reply is None:
            err = self._death()
            self.kill()
            raise err
        return reply


class Session:
    """The sandboxed submission: a worker (restarted after fatal faults) plus the per-call and
    per-submission time limits."""

    def __init__(self, style: str, root: str, manifest: dict | None = None, *, timeout: float = DEFAULT_TIMEOUT,
                 submission_timeout: float = DEFAULT_SUBMISSION_TIMEOUT, memory_mb: int = DEFAULT_MEMORY_MB,
                 options: dict | None = None):
        self.timeout, self.memory_mb = float(timeout), int(memory_mb)
        self.deadline = time.monotonic() + float(submission_timeout)
        self.submission_timeout = float(submission_timeout)
        self.root = os.path.abspath(root)
        self.worker = Worker(style, root, manifest, memory_mb=memory_mb, options=options,
                             cpu_seconds=float(submission_timeout) + 30)
        self.info: dict = {}
        self.isolation: dict = {}
        self.output = ""  # what the submission printed (truncated, sanitised)
        self.calls = 0
        from .adapters import dialect_of
        d = dialect_of(style, manifest)
        self.reseed = d.reseed if d is not None else "same"

    def _text(self, s, lines=True, limit=4000) -> str:
        """Student text, sanitised, with the worker's view of the submission mapped back to its real path."""
        jail = self.worker.jail
        s = str(s)
        if jail is not None and jail.root != self.root:
            s = s.replace(jail.root, self.root)
        return sanitize(s, lines=lines, limit=limit)

    def load(self) -> dict:
        """Start the worker and import the submission (each file on its own); raise LoadError with a one-line
        reason only when the worker itself cannot start."""
        try:
            reply = self.worker.start(max(self.timeout, 30.0))
        except ImplError as e:
            tail = self.worker.last_stderr
            raise LoadError(f"importing the submission failed: {e.reason}"
                            + (f" ({self._text(tail, lines=False, limit=400)})" if tail else "")) from None
        finally:
            if self.worker.jail is not None:
                self.isolation = self.worker.jail.describe()
        if reply[0] != "ok":
            raise LoadError(self._text(reply[1], lines=False, limit=300))
        self.output = self._text(reply[2])
        info = reply[1]
        comps = {}
        for name, c in info["components"].items():
            p = c.get("problem")
            if isinstance(p, dict):
                p = {"status": "environment" if p.get("status") == "environment" else "error",
                     "message": self._text(p.get("message", ""), lines=False, limit=400),
                     "fix": self._text(p.get("fix", ""), lines=False, limit=200)}
            else:
                p = None
            comps[self._text(name, lines=False, limit=80)] = {
                "forward": c.get("forward") is True, "backward": c.get("backward") is True,
                "api": self._text(c.get("api", ""), lines=False, limit=200), "core": c.get("core") is True,
                "problem": p, "note": self._text(c.get("note", ""), lines=False, limit=400)}
        self.info = {"components": comps}
        return self.info

    def _restart(self) -> None:
        self.worker.kill()
        self.worker.restarts += 1
        reply = self.worker.start(max(self.timeout, 30.0))
        if reply[0] != "ok":
            raise ImplError(f"the worker could not be restarted: {self._text(reply[1], lines=False)}", kind="crash",
                            fatal=True)

    def call(self, component: str, op: str, case: Case, dout=None, options: dict | None = None):
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise ImplError(f"the submission's time limit of {self.submission_timeout:g} s is spent",
                            kind="timeout", fatal=True)
        if not self.worker.alive:
            self._restart()
        self.calls += 1
        msg = ["call", component, op, case.arrays, case.consts, case.hp, dout,
               {**(options or {}), "call": self.calls, "reseed": self.reseed}]
        reply = self.worker.call(msg, min(self.timeout, left))
        status = reply[0]
        if reply[-1]:
            self.output = (self.output + self._text(reply[-1]))[-4000:]
        if status == "ok":
            return reply[1], reply[2]
        _, kind, reason, detail, fatal, _out = reply
        reason, detail = self._text(reason, lines=False, limit=600), self._text(detail, limit=3000)
        if kind == "missing":  # existence was decided at load; the worker cannot take a component back
            kind, fatal = "raised", False
            reason = f"the submission reported {component} as missing after it was loaded: {reason}"
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


def _same(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))


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
        self._determinism_checked = False

    @property
    def has_backward(self) -> bool:
        return self._has_backward

    def _out_keys(self, case: Case) -> list:
        if self._keys is None:
            ref = outputs(self.component.forward(case.astype(np.float64), self.component.default_variants))
            self._keys = list(ref)
        return self._keys

    def forward(self, case: Case) -> dict:
        # A model's reply is taken whole: its names depend on the op and the architecture (scores, loss,
        # grad:W1...), so there are no reference keys to keep.
        whole = self.component.kind == "model"
        keys = None if whole else self._out_keys(case)
        if not self._determinism_checked and case.hp.get("op") != "overfit":
            # The first case is run twice: the same case and seed must give the same outputs (an unseeded
            # dropout is a real bug where the API passes a seed, as CS231n's does; a model answering the same
            # test-mode case differently is one).  A model's training budget (op overfit) is the costliest
            # call there is: the check waits for the next case.
            self._determinism_checked = True
            first, _ = self.session.call(self.component.name, "forward", case.copy(), options=self.options)
        else:
            first = None
        res, after = self.session.call(self.component.name, "forward", case, options=self.options)
        _copy_back(case.arrays, after.get("arrays", {}))
        _copy_back(case.consts, after.get("consts", {}))
        if first is not None:
            differs = [k for k in (res if whole else keys)
                       if k in res and k in first and not _same(first[k], res[k])]
            if differs:
                raise ImplError(f"the same input and seed gave different {differs[0]} on two runs (an unseeded "
                                f"random number generator?)", kind="nondeterministic")
        return dict(res) if whole else {k: v for k, v in res.items() if k in keys}

    def backward(self, case: Case, dout) -> dict:
        if not self._has_backward:
            raise ImplError(f"{self.component.name} has no backward in this submission", kind="missing",
                            fatal=True)
        res, after = self.session.call(self.component.name, "backward", case, dout=dout, options=self.options)
        _copy_back(case.arrays, after.get("arrays", {}))
        _copy_back(case.consts, after.get("consts", {}))
        if isinstance(dout, np.ndarray) and isinstance(after.get("dout"), np.ndarray) \
                and after["dout"].shape == dout.shape:
            dout[...] = after["dout"]
        return res

    def repro(self, prop: str, case: Case) -> str:
        from .repro import snippet
        return snippet(self.style, self.component, prop, case, self.root, self.options)
