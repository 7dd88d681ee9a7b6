"""The grader <-> worker wire format: data only, never code.

A frame is ``b"SNW1"`` + u64 body length + body; the body is u32 JSON length + JSON + for each array
u64 length + its raw bytes (C order).  The JSON carries dicts with string keys, lists, strings, numbers,
booleans and None; an array is ``{"\\u0000nd": [i, dtype, shape]}`` (the i-th buffer after the JSON) and a
NumPy scalar ``{"\\u0000sc": [i, dtype, []]}`` (given back as a scalar so its dtype survives).  The dtype
must be one of a fixed list of plain numeric dtypes (bool, int, uint, float: no fields, no objects), the
shape must match the buffer's length, and the array is rebuilt with ``np.frombuffer``: nothing a worker
sends can execute in the grading process (and the format costs no more than pickle).  The body length is checked against a cap
before anything is read, and every malformed frame is one :class:`ProtocolError`.

This module runs on both sides (the worker imports it from its private copy of spec_nn's directory):
standard library and NumPy only.
"""
from __future__ import annotations

import json
import os
import select
import struct
import time

import numpy as np

MAGIC = b"SNW1"
HEAD = struct.Struct("<4sQ")
ND, SC = "\u0000nd", "\u0000sc"
NUMERIC_KINDS = "biuf"
MAX_ARRAYS = 100_000
DEFAULT_CAP = 64 << 20  # bytes: far above any reply a test case needs, far below the grader's memory


class ProtocolError(Exception):
    """The peer sent something that is not a well-formed frame (one line for the report)."""


DTYPES = frozenset(np.dtype(t).str for t in ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16",
                                                "uint32", "uint64", "float16", "float32", "float64", "longdouble"))
MAX_NDIM = 32


def encode(obj) -> bytes:
    """One frame for ``obj`` (JSON-able values, ndarrays and NumPy scalars; tuples become lists)."""
    buffers: list[bytes] = []

    def enc(v):
        if isinstance(v, (np.ndarray, np.generic)):
            a = np.asarray(v)
            if a.dtype.str not in DTYPES:
                raise TypeError(f"an array of dtype {a.dtype} cannot be sent (only plain numeric dtypes)")
            buffers.append(np.ascontiguousarray(a).tobytes())
            return {ND if isinstance(v, np.ndarray) else SC: [len(buffers) - 1, a.dtype.str, list(a.shape)]}
        if isinstance(v, dict):
            return {str(k): enc(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [enc(x) for x in v]
        if v is None or isinstance(v, (bool, int, float, str)):
            return v
        raise TypeError(f"{type(v).__name__} cannot be sent (only data: arrays, numbers, strings, lists, dicts)")

    head = json.dumps(enc(obj), separators=(",", ":")).encode()
    parts = [struct.pack("<I", len(head)), head]
    for b in buffers:
        parts += [struct.pack("<Q", len(b)), b]
    body = b"".join(parts)
    return HEAD.pack(MAGIC, len(body)) + body


def _array(ref, buffers) -> np.ndarray:
    if not (isinstance(ref, list) and len(ref) == 3 and isinstance(ref[0], int) and not isinstance(ref[0], bool)
            and isinstance(ref[1], str) and isinstance(ref[2], list)):
        raise ProtocolError("an array reference in the reply has an unknown shape")
    i, dtype, shape = ref
    if not 0 <= i < len(buffers):
        raise ProtocolError("the reply refers to an array it does not hold")
    if dtype not in DTYPES:
        raise ProtocolError(f"the reply holds an array of dtype {dtype[:20]!r}, not a plain numeric one")
    if len(shape) > MAX_NDIM or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape):
        raise ProtocolError("the reply holds an array with an invalid shape")
    dt = np.dtype(dtype)
    count = 1
    for n in shape:
        count *= n
    if count * dt.itemsize != len(buffers[i]):
        raise ProtocolError("an array in the reply does not match its announced shape")
    return np.frombuffer(bytearray(buffers[i]), dtype=dt).reshape(shape)


def decode(body: bytes):
    """The value a frame body carries, or ProtocolError."""
    try:
        (n,) = struct.unpack_from("<I", body, 0)
        head = json.loads(body[4:4 + n].decode("utf-8"))
        pos, buffers = 4 + n, []
        while pos < len(body):
            if len(buffers) >= MAX_ARRAYS:
                raise ProtocolError("the reply holds too many arrays")
            (m,) = struct.unpack_from("<Q", body, pos)
            if pos + 8 + m > len(body):
                raise ProtocolError("the reply is truncated")
            buffers.append(body[pos + 8:pos + 8 + m])
            pos += 8 + m
    except ProtocolError:
        raise
    except (struct.error, UnicodeDecodeError, ValueError, RecursionError) as e:
        raise ProtocolError(f"the reply is not a well-formed frame ({type(e).__name__})") from None

    def dec(v):
        if isinstance(v, dict):
            if len(v) == 1 and (ND in v or SC in v):
                a = _array(v.get(ND, v.get(SC)), buffers)
                return a if ND in v else a[()]
            return {k: dec(x) for k, x in v.items()}
        if isinstance(v, list):
            return [dec(x) for x in v]
        return v
    try:
        return dec(head)
    except RecursionError:
        raise ProtocolError("the reply is nested too deeply") from None


def write_frame(fd: int, obj) -> None:
    view = memoryview(encode(obj))
    while view:
        view = view[os.write(fd, view):]


def read_exact(fd: int, n: int, deadline: float | None) -> bytes | None:
    """n bytes from fd, None at end of file; TimeoutError past the deadline (None: wait for ever)."""
    chunks, got = [], 0
    while got < n:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError
        b = os.read(fd, min(n - got, 1 << 20))
        if not b:
            return None
        chunks.append(b)
        got += len(b)
    return b"".join(chunks)


def read_frame(fd: int, deadline: float | None = None, cap: int = DEFAULT_CAP):
    """The next value from fd; None at end of file; ProtocolError for a bad or oversized frame (the size
    is checked before the body is read); TimeoutError past the deadline."""
    head = read_exact(fd, HEAD.size, deadline)
    if head is None:
        return None
    magic, n = HEAD.unpack(head)
    if magic != MAGIC:
        raise ProtocolError("the reply does not start with the protocol's header (garbage on the pipe)")
    if n > cap:
        raise ProtocolError(f"the reply is {n} bytes, over the limit of {cap} bytes")
    body = read_exact(fd, n, deadline)
    if body is None:
        raise ProtocolError("the reply ended before its announced length (truncated)")
    return decode(body)
