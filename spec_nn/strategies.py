"""Hypothesis building blocks for component inputs.

Arrays are drawn as (seed, specials): a seeded standard normal scaled and rounded to a few decimals,
then up to a few elements overwritten by *special* values (kinks such as 0, extremes such as +-1000).
Drawing a seed instead of every element keeps generation cheap (the harness overhead budget), while
Hypothesis still shrinks shapes to the smallest, the seed to 0 and the specials to the fewest, so a
failure at a kink shrinks to e.g. ``x=[[0.]]``.

Every public strategy validates its arguments eagerly and raises ``InvalidArgument`` naming
``name=value`` with a fix, as hypothesis.extra.numpy does.
"""
from __future__ import annotations

import functools
import numbers

import numpy as np
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from .errors import invalid

FLOAT_DTYPES = ("float32", "float64")
EXTREMES = (1000.0, -1000.0)


def check_dtype(dtype) -> np.dtype:
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise invalid("dtype", dtype, "is not a NumPy dtype", "use np.float32 or np.float64") from None
    if dt.name not in FLOAT_DTYPES:
        raise invalid("dtype", dtype, "is not a supported float dtype", f"use one of {FLOAT_DTYPES}")
    return dt


def check_int(name: str, value, lo: int = 0, hi: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise invalid(name, value, "must be an integer")
    if value < lo or (hi is not None and value > hi):
        rng = f">= {lo}" if hi is None else f"in [{lo}, {hi}]"
        raise invalid(name, value, f"must be {rng}")
    return int(value)


def check_range(lo_name: str, lo, hi_name: str, hi, minimum: int = 0) -> tuple[int, int]:
    lo = check_int(lo_name, lo, minimum)
    hi = check_int(hi_name, hi, minimum)
    if lo > hi:
        raise invalid(lo_name, lo, f"is greater than {hi_name}={hi}", f"pass {lo_name} <= {hi_name}")
    return lo, hi


def check_float(name: str, value, lo: float | None = None, hi: float | None = None,
                lo_open: bool = False, hi_open: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise invalid(name, value, "must be a finite real number")
    if lo is not None and (value < lo or (lo_open and value == lo)):
        raise invalid(name, value, f"must be {'>' if lo_open else '>='} {lo}")
    if hi is not None and (value > hi or (hi_open and value == hi)):
        raise invalid(name, value, f"must be {'<' if hi_open else '<='} {hi}")
    return float(value)


def draw_if(draw, value):
    """Options accept a value or a strategy for it."""
    return draw(value) if isinstance(value, SearchStrategy) else value


def shapes(*, min_dims: int = 2, max_dims: int = 2, min_side: int = 1, max_side: int = 5) -> SearchStrategy:
    """Array shapes with ``min_dims..max_dims`` axes of length ``min_side..max_side`` (axis 0 is the batch)."""
    min_dims, max_dims = check_range("min_dims", min_dims, "max_dims", max_dims, minimum=1)
    min_side, max_side = check_range("min_side", min_side, "max_side", max_side, minimum=1)
    return st.integers(min_dims, max_dims).flatmap(functools.partial(_sides, lo=min_side, hi=max_side))


@functools.lru_cache(maxsize=256)
def _sides(n: int, lo: int, hi: int) -> SearchStrategy:
    return st.tuples(*[st.integers(lo, hi)] * n)


# One pool of standard normals, sliced by the drawn seed: creating a Generator per example costs more
# than the rest of the draw, and the slice is just as reproducible.
_POOL = np.random.default_rng(20260101).standard_normal(1 << 16)


def _seeded(shape, seed: int, scale: float, decimals) -> np.ndarray:
    n = int(np.prod(shape, dtype=np.int64))
    start = (seed * 7919) % (_POOL.size - n) if n < _POOL.size else 0
    x = (_POOL[start:start + n] if n <= _POOL.size else np.random.default_rng(seed).standard_normal(n))
    x = x.reshape(shape) * scale
    return np.round(x, decimals) if decimals is not None else x


def push_from_kinks(x: np.ndarray, kinks, gap: float) -> np.ndarray:
    """Move every element at least ``gap`` away from each kink (keeps a finite-difference stencil smooth)."""
    x = np.array(x, dtype=np.float64)
    for k in kinks:
        d = x - k
        near = np.abs(d) < gap
        x[near] = k + np.where(d[near] >= 0, gap, -gap) * (1 + np.abs(d[near]))
    return x


def values(shape, *, dtype=np.float64, scale: float = 1.0, specials=(0.0,), smooth: bool = False,
           kinks=(0.0,), gap: float = 0.05, decimals: int | None = 2, max_specials: int = 4) -> SearchStrategy:
    """Arrays of ``shape`` (a tuple or a strategy of tuples).

    dtype: float32 | float64.  scale: standard deviation before rounding.  specials: values that may
    overwrite up to ``max_specials`` elements (kinks, extremes).  smooth: no specials and every element at
    least ``gap`` from each of ``kinks`` (for finite differences).  decimals: rounding (None: none).
    """
    dt = check_dtype(dtype)
    scale = check_float("scale", scale, lo=0, lo_open=True)
    gap = check_float("gap", gap, lo=0)
    max_specials = check_int("max_specials", max_specials, 0)
    if decimals is not None:
        check_int("decimals", decimals, 0, 15)
    if not isinstance(shape, SearchStrategy):
        if not isinstance(shape, tuple) or not all(isinstance(s, numbers.Integral) and s >= 0 for s in shape):
            raise invalid("shape", shape, "must be a tuple of non-negative ints or a strategy of them")
    specials = tuple(specials)
    for v in specials:
        if not isinstance(v, numbers.Real):
            raise invalid("specials", specials, "must contain real numbers only")

    return _values(shape, dt, scale, specials, smooth, tuple(kinks), gap, decimals, max_specials)


# Defined once at module level: applying @st.composite is costly (Hypothesis re-reads the function's
# source each time), and values() is called inside other strategies' draws, once per example.
@st.composite
def _values(draw, shape, dt, scale, specials, smooth, kinks, gap, decimals, max_specials):
    shp = draw_if(draw, shape)
    x = _seeded(shp, draw(st.integers(0, 2**16)), scale, decimals)
    if smooth:
        x = push_from_kinks(x, kinks, gap)
    elif specials and x.size and max_specials:
        picks = draw(_picks(x.size, specials, max_specials))
        flat = x.reshape(-1)
        for i, v in picks:
            flat[i] = v
    return x.astype(dt)


@functools.lru_cache(maxsize=4096)
def _picks(size: int, specials: tuple, max_specials: int) -> SearchStrategy:
    """(flat index, special value) pairs; cached because a new strategy object is validated on first use."""
    return st.lists(st.tuples(st.integers(0, size - 1), st.sampled_from(specials)), max_size=min(max_specials, size))


def labels(n: int, classes: int, seed_strategy=None) -> SearchStrategy:
    """Integer class labels of length ``n`` in ``[0, classes)``."""
    n = check_int("n", n, 1)
    classes = check_int("classes", classes, 1)
    return st.lists(st.integers(0, classes - 1), min_size=n, max_size=n).map(lambda l: np.array(l, dtype=np.int64))


def one_hot(t: np.ndarray, classes: int, dtype=np.float64) -> np.ndarray:
    out = np.zeros((t.shape[0], classes), dtype=dtype)
    out[np.arange(t.shape[0]), t] = 1
    return out
