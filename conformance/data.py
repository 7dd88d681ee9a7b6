"""Small real data sets that ship with installed packages (no downloads)."""
from __future__ import annotations

from functools import lru_cache

import numpy as np


@lru_cache(maxsize=1)
def digits():
    """scikit-learn's 8x8 digits: X (1797, 64) scaled to [0, 1], labels y (1797,) int64."""
    from sklearn.datasets import load_digits
    d = load_digits()
    return (d.data / 16.0).astype(np.float64), d.target.astype(np.int64)
