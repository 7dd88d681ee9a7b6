"""The sandbox worker: ``python -I -S _worker.py REQ_FD RES_FD MEMORY_MB SITE_DIRS BLOCKED`` (started by
spec_nn.sandbox inside a spec_nn.isolation jail).

A standalone script, run from a private copy of spec_nn's directory: it imports only the standard library,
NumPy and that copy's adapters*.py and wire.py (as a bare package), never the grading code.  Requests and
replies are spec_nn.wire frames (data only); what the submission prints goes to a truncated buffer and is
sent back with the reply.  SITE_DIRS (os.pathsep-separated) are where NumPy is found; BLOCKED (comma
separated) are top-level modules the submission may not import (spec_nn, and torch unless allowed).
"""
import io
import os
import sys
import types

MAX_OUTPUT = 2000


class Capped(io.TextIOBase):
    """A text stream that keeps the first MAX_OUTPUT characters and drops the rest (printing floods)."""

    def __init__(self):
        self.buf, self.dropped = [], 0
        self.size = 0

    def writable(self):
        return True

    def write(self, s):
        s = str(s)
        if self.size < MAX_OUTPUT:
            keep = s[:MAX_OUTPUT - self.size]
            self.buf.append(keep)
            self.size += len(keep)
            self.dropped += len(s) - len(keep)
        else:
            self.dropped += len(s)
        return len(s)

    def take(self):
        out = "".join(self.buf)
        if self.dropped:
            out += f"\n[... {self.dropped} more characters of output dropped]"
        self.buf, self.size, self.dropped = [], 0, 0
        return out


# Libraries a course may forbid (the rubric's [grading] allow_torch): importing them succeeds with a stand-in,
# and only using one fails, so a student file that imports torch for an unused helper (an edited
# fast_layers.py) does not take down every component importing that file (audit class L6).
STAND_INS = ("torch", "functorch", "torchgen")
FORBIDDEN = ("{name} uses torch, which this course does not allow in graded code (a rubric allows it with "
             "[grading] allow_torch = true)")


class Forbidden:
    """What a forbidden library's attributes are: any further attribute is another Forbidden; calling one, or
    deriving a class from one, raises ImportError naming what was used."""

    def __init__(self, name):
        object.__setattr__(self, "_name", name)

    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        return Forbidden(f"{self._name}.{attr}")

    def __call__(self, *args, **kwargs):
        raise ImportError(FORBIDDEN.format(name=f"{self._name}(...)"))

    def __mro_entries__(self, bases):
        raise ImportError(FORBIDDEN.format(name=f"a class derived from {self._name}"))

    def __repr__(self):
        return f"<forbidden {self._name}>"


class StandIn(types.ModuleType):
    """The module a forbidden import gets: a package (its submodules are stand-ins too) of Forbidden names."""

    __path__ = []

    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        return Forbidden(f"{self.__name__}.{attr}")


class Blocker:
    """A meta-path finder refusing the answer key (spec_nn, conformance) and giving stand-ins for the libraries
    the course does not allow (torch unless the rubric allows it)."""

    def __init__(self, names):
        self.names = frozenset(n for n in names if n)

    def find_spec(self, name, path=None, target=None):
        top = name.split(".")[0]
        if top in self.names and top in STAND_INS:
            import importlib.machinery
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
        if top in self.names:
            raise ImportError(f"importing {name} is not allowed in graded code (the grader's own code and the "
                              f"libraries the course does not allow are out of reach)", name=name)
        return None

    def create_module(self, spec):
        return StandIn(spec.name)

    def exec_module(self, module):
        pass


def main():
    req, res, mem = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    sites = [p for p in (sys.argv[4].split(os.pathsep) if len(sys.argv) > 4 else []) if p]
    blocked = sys.argv[5].split(",") if len(sys.argv) > 5 else []
    drop_to = int(sys.argv[6]) if len(sys.argv) > 6 else -1
    max_procs = int(sys.argv[7]) if len(sys.argv) > 7 else 64
    try:
        import resource
        if mem > 0:
            lim = mem * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (lim, lim))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ImportError, ValueError, OSError):
        pass
    cap = Capped()
    sys.stdout = sys.stderr = cap
    sys.path.extend(sites)
    # Everything the worker (and NumPy) needs is imported before the submission's root is on sys.path, so a
    # student file named random.py or dataclasses.py cannot replace the grader's own imports.
    import dataclasses, functools, importlib, importlib.util, inspect, json, math, random  # noqa: F401,E401
    import re, select, signal, struct, tokenize, traceback, types, typing, warnings  # noqa: F401,E401
    import numpy as np
    import numpy.random, numpy.linalg, numpy.fft, numpy.lib.stride_tricks  # noqa: F401,E401
    import collections, copy, glob, itertools, pickle, time, string, numbers, operator  # noqa: F401,E401
    import abc, enum, contextlib, decimal, fractions, heapq, bisect, textwrap, pprint, csv  # noqa: F401,E401
    import socket, ctypes, threading, subprocess, shutil, tempfile, hashlib, logging, datetime  # noqa: F401,E401
    import argparse, uuid, gzip, zipfile, platform, encodings.idna, encodings.latin_1  # noqa: F401,E401
    sys.meta_path.insert(0, Blocker(blocked))
    package = types.ModuleType("_spec_nn_adapters")
    package.__path__ = [os.path.dirname(os.path.abspath(__file__))]
    sys.modules[package.__name__] = package
    wire = importlib.import_module("_spec_nn_adapters.wire")
    adapters = importlib.import_module("_spec_nn_adapters.adapters")
    for name in ("dialect", "adapters_book", "adapters_cs231n", "adapters_models", "vocabulary"):
        try:
            importlib.import_module(f"_spec_nn_adapters.{name}")
        except ImportError:
            pass
    try:  # the built-in dialects read before any code of the submission runs (and before a uid drop)
        for style in ("book", "cs231n"):
            sys.modules["_spec_nn_adapters.dialect"].builtin(style)
    except (KeyError, OSError):
        pass
    if drop_to >= 0:
        # the "uid" isolation level: root until here (the Python installation may be readable by root only),
        # a uid of its own from now on, before any code of the submission runs
        resource.setrlimit(resource.RLIMIT_NPROC, (max_procs, max_procs))
        os.setgroups([])
        os.setgid(drop_to)
        os.setuid(drop_to)
    sub = None

    def send(obj):
        try:
            frame = wire.encode(obj)
        except Exception as e:  # noqa: BLE001 - a result that is not data is a wrong type
            frame = wire.encode(["err", "wrong_type", f"the result cannot be sent back ({type(e).__name__}: {e})",
                                 "", False, cap.take()])
        view = memoryview(frame)
        while view:
            view = view[os.write(res, view):]

    while True:
        try:
            msg = wire.read_frame(req, None, cap=1 << 30)
        except wire.ProtocolError:
            os._exit(3)
        if msg is None:
            os._exit(0)
        op = msg[0]
        try:
            if op == "load":
                _, style, root, manifest, options = msg
                sub = adapters.Submission(style, root, manifest, options)
                send(["ok", sub.describe(), cap.take()])
                continue
            _, component, what, arrays, consts, hp, dout, options = msg
            reseed = options.get("reseed", "same")
            seed = int(hp.get("seed", 0)) % (2**32) if isinstance(hp.get("seed", 0), int) else 0
            # "same": the global RNG is reseeded before every call (book code draws from it); "vary": a new
            # seed each call, so an implementation that ignores the seed its API passes is nondeterministic.
            np.random.seed(seed if reseed == "same" else (seed + int(options.get("call", 0)) * 7919) % (2**32))
            random.seed(0)
            case = adapters.CaseView(arrays, consts, hp)
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if what == "forward":
                    result = sub.forward(component, case, options)
                else:
                    result = sub.backward(component, case, dout, options)
            bad = adapters.check_types(result)
            if bad:
                send(["err", "wrong_type", bad, "", False, cap.take()])
                continue
            send(["ok", result, {"arrays": arrays, "consts": consts, "dout": dout}, cap.take()])
        except adapters.Missing as e:
            send(["err", "missing", str(e), "", True, cap.take()])
        except adapters.WrongType as e:
            send(["err", "wrong_type", str(e), "", False, cap.take()])
        except adapters.LoadFailure as e:
            send(["loadfail", str(e), cap.take()])
        except MemoryError:
            send(["err", "memory", "MemoryError: the submission ran out of memory", "", True, cap.take()])
        except RecursionError as e:
            send(["err", "raised", f"RecursionError: {e}", _tb(), True, cap.take()])
        except SystemExit as e:
            send(["err", "crash", f"the submission called sys.exit({e.code!r}) (SystemExit)", "", True, cap.take()])
        except KeyboardInterrupt:
            send(["err", "crash", "the submission raised KeyboardInterrupt", "", True, cap.take()])
        except BaseException as e:  # noqa: BLE001 - any fault of the submission becomes a reply
            env = adapters.environment_fix(e)
            text = f"{type(e).__name__}: {e}"
            if env:  # the first line of the exception and the fix (NumPy's own messages run to a paragraph)
                text = text.splitlines()[0][:200] + f" [{env}]"
            send(["err", "environment" if env else "raised", text[:500], _tb(), False, cap.take()])


def _tb():
    import traceback
    return "".join(traceback.format_exc(limit=-6))[-3000:]


if __name__ == "__main__":
    main()
