"""Isolating the worker that runs student code, with what the machine offers.

Levels, strongest first (``SPEC_NN_ISOLATION`` forces one; the JSON ``environment.isolation`` of every report
says which was used):

* ``bubblewrap``: the worker runs under bwrap with new user, PID, network, IPC and UTS namespaces,
  ``--die-with-parent``, a read-only view of only the system libraries, the Python installation (with spec_nn,
  conformance and torch masked unless torch is allowed), a private copy of the worker's own files and the
  submission; a private size-limited tmpfs is the only writable place; a clean environment.  Nothing of the
  grader (its install, its output folder, other submissions, its processes, its environment) is visible.
* ``uid``: no bwrap (missing, or user namespaces refused): as root, the worker starts as root, imports what it
  needs (the Python installation may live where only root can read, e.g. /root/.pyenv) and then drops to a
  uid of its own before the submission is imported (nothing of the grader is writable, the grader's processes
  cannot be signalled or read through /proc), in a new session and a network namespace of its own, with
  rlimits and a private scratch cwd.  The world-readable file system is shared.
* ``session``: not root and no bwrap: a new session and rlimits only (the weakest level; a warning is
  printed in every report).

Whatever the level, the process tree is the unit: where the cgroup file system is writable (as root), a
cgroup per worker limits memory and process count for the whole tree and is emptied on close; otherwise a
per-uid process-count limit (``uid`` level) or none.  :meth:`Jail.close` kills every process of the
submission (PID namespace, cgroup, the worker's uid, its process group) before the grading process writes
any result.
"""
from __future__ import annotations

import atexit
import fcntl
import functools
import glob
import os
import shutil
import signal
import site
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
LEVELS = ("bubblewrap", "uid", "session")
BLOCKED = ("spec_nn", "conformance")
TORCH = ("torch", "functorch", "torchgen")
UID_BASE, UID_COUNT = 61000, 2000
LOCK_DIR = os.path.join(tempfile.gettempdir(), "spec_nn-uids")
CLONE_NEWNET, CLONE_NEWIPC, PR_SET_PDEATHSIG = 0x40000000, 0x08000000, 1
MAX_PROCS = 64          # processes (threads count too) of one worker's tree
SCRATCH_MB = 256        # private writable space
FILE_MB = 128           # the largest file the worker may write


def _probe_bwrap() -> str:
    """'' when bwrap runs a trivial sandbox here, else why not."""
    exe = shutil.which("bwrap")
    if not exe:
        return "bubblewrap is not installed (apt-get install bubblewrap)"
    try:
        r = subprocess.run([exe, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "true"],
                           capture_output=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"bubblewrap cannot start ({e})"
    if r.returncode != 0:
        return "bubblewrap is refused here: " + r.stderr.decode(errors="replace").strip()[:200]
    return ""


_LEVEL: tuple | None = None


def level() -> tuple[str, str]:
    """(level, why not stronger), decided once per process."""
    global _LEVEL
    if _LEVEL is None:
        forced = os.environ.get("SPEC_NN_ISOLATION", "").strip()
        if forced and forced not in LEVELS:
            raise ValueError(f"SPEC_NN_ISOLATION={forced!r} is not one of {', '.join(LEVELS)}")
        why = _probe_bwrap() if forced in ("", "bubblewrap") else f"SPEC_NN_ISOLATION={forced}"
        if not why:
            _LEVEL = ("bubblewrap", "")
        elif forced == "bubblewrap":
            raise RuntimeError(f"SPEC_NN_ISOLATION=bubblewrap, but {why}")
        elif os.geteuid() == 0 and forced != "session":
            _LEVEL = ("uid", why)
        else:
            _LEVEL = ("session", why if os.geteuid() == 0 else why + "; not root, so no separate uid")
    return _LEVEL


# -- the worker's own files: a private read-only copy (the grader's install is never visible) ------------

_RUNTIME: str | None = None
# what the worker imports besides the adapters (spec_nn/adapters*.py) and the numerical-gradient test functions
WORKER_FILES = ("_worker.py", "wire.py", "vocabulary.py", "dialect.py")


def runtime_dir() -> str:
    """A private copy of the worker script, the adapters, the wire format and the numerical-gradient test
    functions (nothing else of spec_nn: no reference, no checks)."""
    global _RUNTIME
    if _RUNTIME is None or not os.path.isdir(_RUNTIME):
        sweep_stale()
        d = tempfile.mkdtemp(prefix=f"spec_nn-worker-{os.getpid()}-")
        files = [*WORKER_FILES, *map(os.path.basename, glob.glob(os.path.join(HERE, "adapters*.py"))),
                 os.path.join("reference", "gradient.py"),
                 *(os.path.join("dialects", os.path.basename(f)) for f in glob.glob(os.path.join(HERE, "dialects", "*.toml")))]
        for f in files:
            os.makedirs(os.path.dirname(os.path.join(d, f)), exist_ok=True)
            shutil.copyfile(os.path.join(HERE, f), os.path.join(d, f))
        for dirpath, dirs, names in os.walk(d):
            os.chmod(dirpath, 0o755)
            for n in names:
                os.chmod(os.path.join(dirpath, n), 0o444)
        atexit.register(shutil.rmtree, d, True)
        _RUNTIME = d
    return _RUNTIME


def site_dirs() -> list[str]:
    """The directories third-party packages (NumPy first of all) are imported from (fixed for the process:
    computed once, every worker start asks twice)."""
    return list(_site_dirs())


@functools.lru_cache(maxsize=1)
def _site_dirs() -> tuple:
    out = []
    for p in list(site.getsitepackages()) + sys.path:
        if p and os.path.isdir(p) and os.path.basename(p) in ("site-packages", "dist-packages") and p not in out:
            out.append(p)
    return tuple(out)


def blocked_modules(allow_torch: bool) -> list[str]:
    return list(BLOCKED) + ([] if allow_torch else list(TORCH))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale() -> None:
    """Remove what graders that were killed before they could clean up left behind (their pid is in every
    name): runtime copies, scratch folders and stderr files in the temp folder, and their cgroups (emptied
    first).  A grader that exits normally leaves nothing."""
    tmp = tempfile.gettempdir()
    for name in os.listdir(tmp):
        parts = name.split("-")
        if len(parts) >= 3 and parts[0] == "spec_nn" and parts[1] in ("worker", "scratch", "stderr") \
                and parts[2].isdigit() and not _alive(int(parts[2])):
            path = os.path.join(tmp, name)
            shutil.rmtree(path, ignore_errors=True) if os.path.isdir(path) else _unlink(path)
    if os.geteuid() != 0:
        return
    for pattern in ("/sys/fs/cgroup/spec_nn-*", "/sys/fs/cgroup/*/spec_nn-*", "/sys/fs/cgroup/*/*/spec_nn-*",
                    "/sys/fs/cgroup/*/*/*/spec_nn-*"):
        for d in glob.glob(pattern):
            pid = os.path.basename(d).split("-")[1]
            if pid.isdigit() and not _alive(int(pid)):
                kill_until_gone(lambda: _Cgroup._procs(d))
                try:
                    os.rmdir(d)
                except OSError:
                    pass


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


# -- a uid per worker (root only), held by a lock file -----------------------------------------------------

class _Uid:
    def __init__(self):
        os.makedirs(LOCK_DIR, mode=0o755, exist_ok=True)
        for i in range(UID_COUNT):
            fd = os.open(os.path.join(LOCK_DIR, str(UID_BASE + i)), os.O_CREAT | os.O_RDWR, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                continue
            self.uid, self.fd = UID_BASE + i, fd
            _kill_uid(self.uid)  # leftovers of a grader that was itself killed before it could clean up
            return
        raise RuntimeError("no free sandbox uid")

    def release(self):
        os.close(self.fd)


def kill_until_gone(pids_now, rounds: int = 50) -> None:
    """SIGKILL whatever ``pids_now()`` lists until it lists nothing (processes forking while they are
    killed need a few rounds)."""
    for _ in range(rounds):
        pids = pids_now()
        if not pids:
            return
        for p in pids:
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.01)


def _kill_uid(uid: int) -> None:
    kill_until_gone(lambda: _procs_of_uid(uid))


def _count_procs(uid: int) -> int:
    return len(_procs_of_uid(uid))


def _procs_of_uid(uid: int) -> list[int]:
    out = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open(f"/proc/{p}/status") as f:
                    for line in f:
                        if line.startswith("Uid:"):
                            if int(line.split()[1]) == uid:
                                out.append(int(p))
                            break
            except OSError:
                pass
    return out


# -- a cgroup per worker (v1 memory+pids, or v2), where the cgroup file system is writable ------------------

class _Cgroup:
    def __init__(self, name: str, memory_mb: int, max_procs: int):
        self.dirs: list[str] = []
        self.v2 = os.path.exists("/sys/fs/cgroup/cgroup.controllers")
        mine = {}
        with open("/proc/self/cgroup") as f:
            for line in f:
                _, ctrl, path = line.rstrip("\n").split(":", 2)
                for c in ctrl.split(","):
                    mine[c] = path
        try:
            if self.v2:
                d = os.path.join("/sys/fs/cgroup", mine.get("", "/").lstrip("/"), name)
                os.mkdir(d)
                self.dirs.append(d)
                if memory_mb:
                    self._write(d, "memory.max", memory_mb << 20)
                self._write(d, "pids.max", max_procs)
            else:
                for ctrl, key, val in (("memory", "memory.limit_in_bytes", memory_mb << 20),
                                       ("pids", "pids.max", max_procs)):
                    d = os.path.join("/sys/fs/cgroup", ctrl, mine.get(ctrl, "/").lstrip("/"), name)
                    os.mkdir(d)
                    self.dirs.append(d)
                    if val:
                        self._write(d, key, val)
        except OSError:
            self.remove()
            raise

    @staticmethod
    def _write(d, key, val):
        with open(os.path.join(d, key), "w") as f:
            f.write(str(val))

    def enter(self):
        """Called in the child before exec: the whole tree it starts stays in the cgroup."""
        for d in self.dirs:
            with open(os.path.join(d, "cgroup.procs"), "w") as f:
                f.write(str(os.getpid()))

    def kill(self):
        for d in self.dirs:
            if self.v2 and os.path.exists(os.path.join(d, "cgroup.kill")):
                try:
                    self._write(d, "cgroup.kill", 1)
                except OSError:
                    pass
            kill_until_gone(lambda: self._procs(d))

    @staticmethod
    def _procs(d) -> list[int]:
        try:
            with open(os.path.join(d, "cgroup.procs")) as f:
                return [int(p) for p in f.read().split()]
        except OSError:
            return []

    def remove(self):
        for d in self.dirs:
            for _ in range(100):
                try:
                    os.rmdir(d)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)
        self.dirs = []


def copy_submission(src: str, dst: str, max_file_mb: int = 64, max_total_mb: int = 512) -> None:
    """Copy a submission tree (no .git, no caches, no symlinks leaving it, no huge files)."""
    total = 0
    src = os.path.realpath(src)

    def ignore(d, names):
        nonlocal total
        skip = []
        for n in names:
            p = os.path.join(d, n)
            if n in (".git", "__pycache__", ".ipynb_checkpoints") or (
                    os.path.islink(p) and not os.path.realpath(p).startswith(src + os.sep)):
                skip.append(n)
            elif os.path.isfile(p):
                size = os.path.getsize(p)
                if size > max_file_mb << 20 or total + size > max_total_mb << 20:
                    skip.append(n)
                else:
                    total += size
        return skip
    shutil.copytree(src, dst, symlinks=False, ignore=ignore)


# -- one jail per worker process ----------------------------------------------------------------------------

class Jail:
    """Where and how one worker runs; ``spawn`` starts it, ``close`` leaves nothing of it behind."""

    def __init__(self, submission: str, *, memory_mb: int, cpu_seconds: float, allow_torch: bool = False):
        self.level, self.why = level()
        self.submission = os.path.abspath(submission)
        self.memory_mb, self.cpu_seconds, self.allow_torch = memory_mb, cpu_seconds, allow_torch
        self.proc: subprocess.Popen | None = None
        # a uid of its own for the worker where the grader is root and bwrap's user namespace is not used
        self.uid = _Uid() if os.geteuid() == 0 and self.level == "uid" else None
        self.scratch = tempfile.mkdtemp(prefix=f"spec_nn-scratch-{os.getpid()}-")
        # The worker grades a private copy: it needs no access to the instructor's folders, and nothing it
        # writes reaches the original.
        self.copy = os.path.join(self.scratch, "submission")
        copy_submission(self.submission, self.copy)
        if self.uid:
            for dirpath, dirs, names in os.walk(self.scratch):
                os.chown(dirpath, self.uid.uid, self.uid.uid)
                for n in names:
                    os.chown(os.path.join(dirpath, n), self.uid.uid, self.uid.uid, follow_symlinks=False)
        os.chmod(self.scratch, 0o700)
        self.root = "/submission" if self.level == "bubblewrap" else self.copy
        self.cgroup = None
        if os.geteuid() == 0 and os.environ.get("SPEC_NN_CGROUP", "1") != "0":
            try:
                self.cgroup = _Cgroup(f"spec_nn-{os.getpid()}-{id(self):x}", memory_mb, MAX_PROCS)
            except OSError:
                self.cgroup = None

    def describe(self) -> dict:
        weak = {"bubblewrap": [], "uid": ["file system readable where it is world-readable"],
                "session": ["network shared", "file system readable", "same uid as the grader: the grader's "
                            "files and processes are reachable"]}[self.level]
        if not self.cgroup:
            weak = weak + ["memory limited per process, not for the process tree"]
        return {"level": self.level, "cgroup": bool(self.cgroup), "separate_uid": bool(self.uid),
                "why_not_stronger": self.why, "weaknesses": weak,
                "warning": "weakest isolation: run as root or install bubblewrap" if self.level == "session" else ""}

    def env(self) -> dict:
        return {"PATH": "/usr/bin:/bin", "HOME": self._inside(self.scratch), "LANG": "C.UTF-8",
                "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0", "TMPDIR": self._inside(self.scratch)}

    def _inside(self, path):
        return "/scratch" if (path == self.scratch and self.level == "bubblewrap") else path

    def _bwrap_prefix(self, python: str) -> list[str]:
        a = ["bwrap", "--unshare-user", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
             "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--disable-userns",
             "--uid", "65534", "--gid", "65534", "--hostname", "sandbox",
             # /tmp first: the binds below may lie under the host's /tmp (a clone or a venv there)
             "--size", str(16 << 20), "--tmpfs", "/tmp", "--proc", "/proc", "--dev", "/dev"]
        for d in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc/ld.so.cache", "/etc/ld.so.conf",
                  "/etc/ld.so.conf.d", "/etc/alternatives", "/etc/localtime"):
            if os.path.lexists(d):
                a += ["--ro-bind", d, d]
        bound = {sys.base_prefix, os.path.dirname(os.path.dirname(python))}
        for d in sorted(bound):
            if not d.startswith("/usr"):
                a += ["--ro-bind", d, d]
        blocked = blocked_modules(self.allow_torch)
        for sd in site_dirs():
            a += ["--ro-bind", sd, sd]
        for sd in site_dirs() + [os.path.join(sys.base_prefix, "lib", f"python{sys.version_info[0]}."
                                              f"{sys.version_info[1]}", "site-packages")]:
            if not os.path.isdir(sd):
                continue
            for name in os.listdir(sd):
                stem = name.split("-")[0].split(".")[0]
                full = os.path.join(sd, name)
                if stem in blocked and os.path.isdir(full):
                    a += ["--tmpfs", full]
                elif "spec_nn" in name and os.path.isfile(full):
                    a += ["--ro-bind", "/dev/null", full]
        rt = runtime_dir()
        a += ["--ro-bind", rt, rt, "--ro-bind", self.copy, "/submission",
              "--size", str(SCRATCH_MB << 20), "--tmpfs", "/scratch", "--chdir", "/scratch"]
        return a

    def _preexec(self):
        import resource
        if self.cgroup:
            self.cgroup.enter()
        try:
            import ctypes
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # the worker dies with the grader
            if self.uid:  # root without bwrap: still a network namespace of its own (only a down lo)
                libc.unshare(CLONE_NEWNET | CLONE_NEWIPC)
        except (OSError, AttributeError):
            pass
        lim = [(resource.RLIMIT_CORE, 0), (resource.RLIMIT_FSIZE, FILE_MB << 20)]
        if self.cpu_seconds:
            lim.append((resource.RLIMIT_CPU, int(self.cpu_seconds) + 1))
        if os.geteuid() != 0 and not self.cgroup:  # counted per real uid: the grader's own processes too
            lim.append((resource.RLIMIT_NPROC, _count_procs(os.getuid()) + MAX_PROCS))
        for r, v in lim:
            try:
                resource.setrlimit(r, (v, v))
            except (ValueError, OSError):
                pass

    def spawn(self, worker_args: list[str], pass_fds: tuple) -> subprocess.Popen:
        python = os.path.realpath(sys.executable)
        rt = runtime_dir()
        cmd = [python, "-I", "-S", os.path.join(rt, "_worker.py"), *worker_args,
               str(self.uid.uid if self.uid else -1), str(MAX_PROCS)]
        if self.level == "bubblewrap":
            cmd = self._bwrap_prefix(python) + cmd
        cwd = self.scratch
        # What the interpreter prints before the worker captures its output (a failed start) goes to a file
        # the grader reads back, capped, as hostile text.
        self.stderr_path = os.path.join(tempfile.gettempdir(), f"spec_nn-stderr-{os.getpid()}-{id(self):x}")
        with open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                                         pass_fds=pass_fds, cwd=cwd, env=self.env(), start_new_session=True,
                                         preexec_fn=self._preexec)
        return self.proc

    def stderr_tail(self, n: int = 400) -> str:
        try:
            with open(self.stderr_path, "rb") as f:
                f.seek(max(0, os.path.getsize(self.stderr_path) - n))
                return f.read(n).decode("utf-8", "replace").strip()
        except (OSError, AttributeError):
            return ""

    def kill(self) -> None:
        """Kill every process of the submission: the worker (and with it bwrap's PID namespace), its process
        group, its cgroup and every process of its uid."""
        if self.proc is not None:
            for fn in (lambda: os.killpg(self.proc.pid, signal.SIGKILL), self.proc.kill):
                try:
                    fn()
                except (ProcessLookupError, PermissionError, OSError):
                    pass
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
        if self.cgroup:
            self.cgroup.kill()
        if self.uid:
            _kill_uid(self.uid.uid)

    def close(self) -> None:
        self.kill()
        if self.cgroup:
            self.cgroup.remove()
        shutil.rmtree(self.scratch, ignore_errors=True)
        if getattr(self, "stderr_path", None):
            try:
                os.unlink(self.stderr_path)
            except OSError:
                pass
        if self.uid:
            self.uid.release()
            self.uid = None
