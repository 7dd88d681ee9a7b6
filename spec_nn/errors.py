"""The exception types every check, strategy and driver shares.

A check is a plain function that either returns (possibly with a small info dict, e.g. which named
variant matched) or raises :class:`SpecViolation`.  Drivers (pytest, the grader, the conformance runner)
turn exceptions into verdicts:

* ``SpecViolation``  -> "fail": the implementation disagrees with the specification.
* ``ImplError``      -> "error": the implementation raised, crashed, hung, ran out of memory or returned
  something that is not an array.  ``fatal=True`` means the worker died (timeout, crash, memory) and
  further calls for this component are pointless.
* ``InvalidArgument`` -> a programming error in *our* caller (bad strategy argument, unknown name).
"""
from __future__ import annotations

from typing import Any


class SpecViolation(AssertionError):
    """An implementation broke a property of the specification.

    Attributes: component, property (canonical names), message (one line, in the grammar
    ``dx[0, 3]=1.0, but should be 0.0 [relu_backward at x=0]``), stats (mismatch statistics: count,
    percent, worst index, greatest difference, allowed tolerance), example (the failing Case, after
    Hypothesis shrinking when a driver ran it), repro (a copy-paste snippet, attached by the driver),
    variant (named convention variants that were tried or matched).
    """

    def __init__(self, message: str, *, component: str | None = None, property: str | None = None,
                 stats: dict | None = None, example: Any = None, variant: dict | None = None,
                 expected: Any = None, actual: Any = None):
        super().__init__(message)
        self.message = message
        self.component = component
        self.property = property
        self.stats = dict(stats or {})
        self.example = example
        self.variant = variant
        self.expected = expected
        self.actual = actual
        self.repro: str | None = None

    @property
    def id(self) -> str:
        return f"{self.component}::{self.property}"

    def __str__(self) -> str:
        lines = [f"[{self.id}] {self.message}" if self.component else self.message]
        if self.stats:
            lines.append("  " + ", ".join(f"{k}={v}" for k, v in self.stats.items()))
        if self.example is not None:
            lines.append(f"  minimal example: {self.example!r}")
        if self.repro:
            lines.append("  reproduce with:\n" + "\n".join("    " + l for l in self.repro.splitlines()))
        return "\n".join(lines)


class ImplError(Exception):
    """The implementation under test could not produce an answer.

    kind: "raised" | "timeout" | "crash" | "memory" | "wrong_type" | "missing" | "output".
    fatal: the worker process is gone (or should not be trusted again for this component).
    """

    def __init__(self, reason: str, *, kind: str = "raised", fatal: bool = False, detail: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.kind = kind
        self.fatal = fatal
        self.detail = detail


class InvalidArgument(ValueError):
    """A strategy or API was called with an invalid argument; the message names ``name=value``."""


def invalid(name: str, value: Any, why: str, fix: str = "") -> InvalidArgument:
    msg = f"{name}={value!r} {why}"
    if fix:
        msg += f"; {fix}"
    return InvalidArgument(msg)


# Ctrl-C: the CLI's SIGINT handler sets this before raising KeyboardInterrupt.  Python swallows an exception
# raised inside a garbage-collector callback (Hypothesis installs one), so the drivers also look at the flag
# between properties (check_interrupt) and the CLI at the end: an interrupt is never lost.
INTERRUPTED = [False]


def check_interrupt() -> None:
    """Raise KeyboardInterrupt if Ctrl-C was pressed and its exception was swallowed on the way."""
    if INTERRUPTED[0]:
        raise KeyboardInterrupt
