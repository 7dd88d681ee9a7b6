"""The sandbox worker: ``python -I _worker.py REQ_FD RES_FD MEMORY_MB`` (started by spec_nn.sandbox).

A standalone script: it imports only the standard library, NumPy and spec_nn/adapters*.py (as a bare package
of spec_nn's directory), never the grading code.  Requests and replies are length-prefixed pickles on two
pipes; what the submission prints goes to a truncated buffer and is sent back with the reply.
"""
import io
import os
import pickle
import struct
import sys
import traceback

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


def main():
    req, res, mem = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
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
    import numpy as np
    import importlib
    import types
    # spec_nn's directory as a bare package, without spec_nn/__init__.py (which imports the grading code): the
    # adapters import their dialect modules (adapters_book.py, adapters_cs231n.py) relatively
    package = types.ModuleType("_spec_nn_adapters")
    package.__path__ = [os.path.dirname(os.path.abspath(__file__))]
    sys.modules[package.__name__] = package
    adapters = importlib.import_module("_spec_nn_adapters.adapters")
    sub = None

    def read(n):
        data = b""
        while len(data) < n:
            b = os.read(req, n - len(data))
            if not b:
                os._exit(0)
            data += b
        return data

    def send(obj):
        try:
            data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as e:  # noqa: BLE001 - an unpicklable result is a wrong type
            data = pickle.dumps(("err", "wrong_type", f"the result cannot be sent back ({type(e).__name__}: {e})",
                                 "", False, cap.take()))
        msg = struct.pack("<Q", len(data)) + data
        view = memoryview(msg)
        while view:
            view = view[os.write(res, view):]

    while True:
        msg = pickle.loads(read(struct.unpack("<Q", read(8))[0]))
        op = msg[0]
        try:
            if op == "load":
                _, style, root, manifest, options = msg
                sub = adapters.Submission(style, root, manifest, options)
                send(("ok", sub.describe(), cap.take()))
                continue
            _, component, what, arrays, consts, hp, dout, options = msg
            np.random.seed(int(hp.get("seed", 0)) % (2**32) if isinstance(hp.get("seed", 0), int) else 0)
            import random
            random.seed(0)
            case = adapters.CaseView(arrays, consts, hp)
            with np.errstate(all="ignore"):
                import warnings
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    if what == "forward":
                        result = sub.forward(component, case, options)
                    else:
                        result = sub.backward(component, case, dout, options)
            bad = adapters.check_types(result)
            if bad:
                send(("err", "wrong_type", bad, "", False, cap.take()))
                continue
            send(("ok", result, {"arrays": arrays, "consts": consts, "dout": dout}, cap.take()))
        except adapters.Missing as e:
            send(("err", "missing", str(e), "", True, cap.take()))
        except adapters.WrongType as e:
            send(("err", "wrong_type", str(e), "", False, cap.take()))
        except adapters.LoadFailure as e:
            send(("err", str(e), cap.take()))
        except MemoryError:
            send(("err", "memory", "MemoryError: the submission ran out of memory", "", True, cap.take()))
        except RecursionError as e:
            send(("err", "raised", f"RecursionError: {e}", _tb(), True, cap.take()))
        except SystemExit as e:
            send(("err", "crash", f"the submission called sys.exit({e.code!r}) (SystemExit)", "", True, cap.take()))
        except KeyboardInterrupt:
            send(("err", "crash", "the submission raised KeyboardInterrupt", "", True, cap.take()))
        except BaseException as e:  # noqa: BLE001 - any fault of the submission becomes a reply
            send(("err", "raised", f"{type(e).__name__}: {e}"[:500], _tb(), False, cap.take()))


def _tb():
    return "".join(traceback.format_exc(limit=-6))[-3000:]


if __name__ == "__main__":
    main()
