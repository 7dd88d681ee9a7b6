"""Broken and correct-but-different losses, as students and libraries write them."""
import numpy as np

from spec_nn.reference import losses as ref

from . import Mutant


def _oh(c, y):
    """Labels of a case as one-hot rows of y's 2-D shape, in y's dtype."""
    return ref.to_one_hot(c["t"], y).astype(np.asarray(y).dtype)


def _idx(c, y):
    return ref.to_index(c["t"], y)


def _n(y):
    return np.atleast_2d(y).shape[0]


def _sse_bwd(c, d):
    return {"y": d * (c["y"] - c["t"])}


def _ce_bwd(c, d, delta=1e-7):
    y = c["y"]
    return {"y": (d * -_oh(c, y).reshape(y.shape) / (y + delta) / _n(y)).astype(y.dtype)}


def _ce_fwd(c, delta=1e-7):
    y2 = np.atleast_2d(c["y"])
    return (-np.sum(_oh(c, c["y"]) * np.log(y2 + delta)) / y2.shape[0]).astype(c["y"].dtype)


# -- the book's and CS231n's code, transcribed ---------------------------------------------------

def book_cross_entropy_error(y, t):
    """Deep Learning from Scratch, common/functions.py."""
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    # if the labels are one-hot, turn them into indices
    if t.size == y.size:
        t = t.argmax(axis=1)
    batch_size = y.shape[0]
    return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size


def _softmax(x):
    x = x - np.max(x, axis=-1, keepdims=True)
    return np.exp(x) / np.sum(np.exp(x), axis=-1, keepdims=True)


def cs231n_softmax_loss(x, y):
    """CS231n layers.py softmax_loss(x, y): index labels, shifted logits, returns (loss, dx)."""
    shifted_logits = x - np.max(x, axis=1, keepdims=True)
    Z = np.sum(np.exp(shifted_logits), axis=1, keepdims=True)
    log_probs = shifted_logits - np.log(Z)
    probs = np.exp(log_probs)
    N = x.shape[0]
    loss = -np.sum(log_probs[np.arange(N), y]) / N
    dx = probs.copy()
    dx[np.arange(N), y] -= 1
    dx /= N
    return loss, dx


def cs231n_svm_loss(x, y):
    """CS231n layers.py svm_loss(x, y), vectorized."""
    N = x.shape[0]
    correct_class_scores = x[np.arange(N), y]
    margins = np.maximum(0, x - correct_class_scores[:, np.newaxis] + 1.0)
    margins[np.arange(N), y] = 0
    loss = np.sum(margins) / N
    num_pos = np.sum(margins > 0, axis=1)
    dx = np.zeros_like(x)
    dx[margins > 0] = 1
    dx[np.arange(N), y] -= num_pos
    dx /= N
    return loss, dx


def svm_loss_naive_loops(x, y):
    """The naive-loop version (as in CS231n's linear_svm.svm_loss_naive, on scores)."""
    N, C = x.shape
    loss, dx = 0.0, np.zeros_like(x)
    for i in range(N):
        for j in range(C):
            if j == y[i]:
                continue
            margin = x[i, j] - x[i, y[i]] + 1
            if margin > 0:
                loss += margin
                dx[i, j] += 1
                dx[i, y[i]] -= 1
    return loss / N, dx / N


def _sce_t(c):
    return _idx(c, c["x"])


def _svm_pair(margin_ge=False, count_correct=False, batch_sum=False, div_c=False):
    """forward/backward mutants built from the vectorized CS231n svm_loss."""
    def fwd(c):
        x, y = c["x"], c["t"]
        n, k = x.shape
        m = np.maximum(0, x - x[np.arange(n), y][:, None] + 1.0)
        if not count_correct:
            m[np.arange(n), y] = 0
        loss = np.sum(m) / (1 if batch_sum else n) / (k if div_c else 1)
        return np.asarray(loss, dtype=x.dtype)

    def bwd(c, d):
        x, y = c["x"], c["t"]
        n = x.shape[0]
        raw = x - x[np.arange(n), y][:, None] + 1.0
        act = (raw >= 0) if margin_ge else (raw > 0)
        act[np.arange(n), y] = False
        dx = act.astype(x.dtype)
        dx[np.arange(n), y] -= act.sum(axis=1)
        return {"x": (d * dx / (1 if batch_sum else n)).astype(x.dtype)}
    return fwd, bwd


_svm_ok = _svm_pair()
_svm_ge = _svm_pair(margin_ge=True)
_svm_cc = _svm_pair(count_correct=True)
_svm_sum = _svm_pair(batch_sum=True)
_svm_divc = _svm_pair(div_c=True)


def _sce_fwd_ok(c):
    return np.asarray(cs231n_softmax_loss(c["x"], _sce_t(c))[0], dtype=c["x"].dtype)


def _sce_bwd_ok(c, d):
    return {"x": (d * cs231n_softmax_loss(c["x"], _sce_t(c))[1]).astype(c["x"].dtype)}


def _sce_no_shift(c):
    x = c["x"]
    p = np.exp(x) / np.sum(np.exp(x), axis=1, keepdims=True)
    n = x.shape[0]
    return np.asarray(-np.sum(np.log(p[np.arange(n), _sce_t(c)])) / n, dtype=x.dtype)


def _sce_bwd_no_shift(c, d):
    x = c["x"]
    p = np.exp(x) / np.sum(np.exp(x), axis=1, keepdims=True)
    return {"x": (d * (p - _oh(c, x)) / x.shape[0]).astype(x.dtype)}


def _sce_argmax_axis0(c):
    x, t = c["x"], c["t"]
    idx = t.argmax(axis=0) if t.ndim == 2 else t  # wrong axis: the argmax of each column
    idx = np.resize(idx, x.shape[0]) % x.shape[1]
    return np.asarray(cs231n_softmax_loss(x, idx)[0], dtype=x.dtype)


def _sce_argmax_axis0_bwd(c, d):
    x, t = c["x"], c["t"]
    idx = t.argmax(axis=0) if t.ndim == 2 else t
    idx = np.resize(idx, x.shape[0]) % x.shape[1]
    return {"x": (d * cs231n_softmax_loss(x, idx)[1]).astype(x.dtype)}


def _ce_column_pick(c):
    y, t = np.atleast_2d(c["y"]), c["t"]
    n = y.shape[0]
    if t.dtype.kind in "iu":  # index labels: y[:, t] picks whole columns (an (N, N) block), not one per row
        return np.asarray(-np.sum(np.log(y[:, np.atleast_1d(t)] + 1e-7)) / n, dtype=y.dtype)
    return _ce_fwd(c)


def _sse_in_place(c):
    y = c["y"]
    y -= c["t"]  # reuses the caller's array for the difference
    return 0.5 * np.sum(y * y)


def _bce_form(c):
    """Binary cross-entropy summed over the classes: -sum t log y + (1 - t) log(1 - y)."""
    y2, t = np.atleast_2d(c["y"]), _oh(c, c["y"])
    with np.errstate(all="ignore"):
        return (-np.sum(t * np.log(y2) + (1 - t) * np.log(1 - y2)) / y2.shape[0]).astype(y2.dtype)


def _sce_shift_in_place(c):
    x = c["x"]
    x -= np.max(x, axis=1, keepdims=True)  # CS231n's shift, written into the caller's logits
    return _sce_fwd_ok(c)


def _sce_bwd_float64(c, d):
    x = c["x"]
    dx = np.zeros(x.shape)  # float64 whatever x is
    dx[:] = cs231n_softmax_loss(x, _sce_t(c))[1]
    return {"x": d * dx}


def _svm_bwd_no_correct_term(c, d):
    x, y = c["x"], c["t"]
    n = x.shape[0]
    m = np.maximum(0, x - x[np.arange(n), y][:, None] + 1.0)
    m[np.arange(n), y] = 0
    return {"x": (d * (m > 0) / n).astype(x.dtype)}  # forgot dx[arange, y] -= num_pos


def _svm_in_place(c):
    x, y = c["x"], c["t"]
    n = x.shape[0]
    x -= x[np.arange(n), y][:, None].copy()  # scores relative to the correct class, in place
    m = np.maximum(0, x + 1.0)
    m[np.arange(n), y] = 0
    return np.asarray(np.sum(m) / n, dtype=x.dtype)


def _svm_bwd_float64(c, d):
    x, y = c["x"], c["t"]
    dx = np.zeros(x.shape)  # np.zeros defaults to float64
    dx[:] = cs231n_svm_loss(x, y)[1]
    return {"x": d * dx}


def _svm_softplus(c):
    x, y = c["x"], c["t"]
    n = x.shape[0]
    m = x - x[np.arange(n), y][:, None] + 1.0
    with np.errstate(over="ignore"):
        s = np.log(1 + np.exp(m))  # "smooth hinge" without the log-sum-exp shift: exp(2001) = inf
    s[np.arange(n), y] = 0
    return np.asarray(np.sum(s) / n, dtype=x.dtype)


MUTANTS = [
    # sum_squared_error
    Mutant("sum_squared_error", "mean_over_batch", lambda c: (0.5 * np.sum((c["y"] - c["t"]) ** 2) /
                                                              np.atleast_1d(c["y"]).shape[0]).astype(c["y"].dtype),
           _sse_bwd, caught_by=("sums_over_batch", "forward_matches_reference"),
           why="divides by the batch size (the mean squared error of other libraries)"),
    Mutant("sum_squared_error", "no_half", lambda c: np.sum((c["y"] - c["t"]) ** 2).astype(c["y"].dtype), _sse_bwd,
           caught_by=("forward_matches_reference", "backward_matches_finite_differences"),
           why="drops the 0.5, so the forward no longer matches its gradient y - t"),
    Mutant("sum_squared_error", "backward_sign", lambda c: ref.sum_squared_error(c["y"], c["t"]),
           lambda c, d: {"y": d * (c["t"] - c["y"])},
           caught_by=("backward_matches_reference", "backward_matches_finite_differences"), why="t - y"),
    Mutant("sum_squared_error", "returns_float64",
           lambda c: np.float64(0.5 * np.sum((c["y"].astype(np.float64) - c["t"]) ** 2)), _sse_bwd,
           caught_by=("preserves_dtype",), dtypes=("float32",), why="accumulates and returns float64"),
    Mutant("sum_squared_error", "difference_in_place", _sse_in_place, _sse_bwd,
           caught_by=("does_not_mutate_inputs",), why="y -= t overwrites the caller's predictions"),
    Mutant("sum_squared_error", "half_precision", lambda c: (0.5 * np.sum(
        (c["y"].astype(np.float16) - c["t"].astype(np.float16)) ** 2)).astype(c["y"].dtype), _sse_bwd,
           caught_by=("finite_outputs",), why="float16 to save memory: 1000^2 overflows to inf"),
    # cross_entropy
    Mutant("cross_entropy", "not_batch_averaged",
           lambda c: (-np.sum(_oh(c, c["y"]) * np.log(np.atleast_2d(c["y"]) + 1e-7))).astype(c["y"].dtype),
           lambda c, d: {"y": (d * -_oh(c, c["y"]).reshape(c["y"].shape) / (c["y"] + 1e-7)).astype(c["y"].dtype)},
           caught_by=("mean_over_batch", "forward_matches_reference"), why="forgot / batch_size"),
    Mutant("cross_entropy", "no_minus_sign",
           lambda c: (np.sum(_oh(c, c["y"]) * np.log(np.atleast_2d(c["y"]) + 1e-7)) / _n(c["y"])).astype(c["y"].dtype),
           _ce_bwd, caught_by=("nonnegative_zero_iff_correct",), why="returns the log-likelihood, not its negative"),
    Mutant("cross_entropy", "delta_one", lambda c: _ce_fwd(c, delta=1.0), lambda c, d: _ce_bwd(c, d, delta=1.0),
           caught_by=("nonnegative_zero_iff_correct",), why="log(y + 1): a delta of 1 makes every loss <= 0"),
    Mutant("cross_entropy", "index_labels_pick_columns", _ce_column_pick, _ce_bwd,
           caught_by=("label_formats_agree", "forward_matches_reference"),
           why="y[:, t] instead of y[np.arange(N), t] for index labels"),
    Mutant("cross_entropy", "adds_delta_in_place", lambda c: (c["y"].__iadd__(1e-7), _ce_fwd(c, 0.0))[1], _ce_bwd,
           caught_by=("does_not_mutate_inputs",), why="y += 1e-7 writes into the caller's probabilities"),
    Mutant("cross_entropy", "backward_not_divided_by_n", _ce_fwd,
           lambda c, d: {"y": (d * -_oh(c, c["y"]).reshape(c["y"].shape) / (c["y"] + 1e-7)).astype(c["y"].dtype)},
           caught_by=("backward_matches_reference", "backward_matches_finite_differences"),
           why="the forward averages over the batch, the backward does not"),
    Mutant("cross_entropy", "returns_python_float", lambda c: float(_ce_fwd(c)), _ce_bwd,
           caught_by=("preserves_dtype",), dtypes=("float32",), why="return loss.item(): a Python float is float64"),
    Mutant("cross_entropy", "binary_cross_entropy_form", _bce_form, _ce_bwd,
           caught_by=("finite_outputs", "forward_matches_reference"), dtypes=("float32",),
           why="adds (1 - t) log(1 - y): log(0) once a confident y rounds to 1"),
    # softmax_cross_entropy
    Mutant("softmax_cross_entropy", "no_max_shift", _sce_no_shift, _sce_bwd_no_shift,
           caught_by=("finite_at_extreme_logits", "finite_outputs"), why="exp(1000) overflows: inf/inf = nan"),
    Mutant("softmax_cross_entropy", "not_batch_averaged",
           lambda c: np.asarray(cs231n_softmax_loss(c["x"], _sce_t(c))[0] * c["x"].shape[0], dtype=c["x"].dtype),
           lambda c, d: {"x": (d * cs231n_softmax_loss(c["x"], _sce_t(c))[1] * c["x"].shape[0]).astype(c["x"].dtype)},
           caught_by=("mean_over_batch", "forward_matches_reference"), why="sums the per-sample losses"),
    Mutant("softmax_cross_entropy", "backward_forgets_t", _sce_fwd_ok,
           lambda c, d: {"x": (d * _softmax(c["x"]) / c["x"].shape[0]).astype(c["x"].dtype)},
           caught_by=("backward_matches_reference", "backward_matches_finite_differences"), why="dx = softmax / N"),
    Mutant("softmax_cross_entropy", "one_hot_argmax_axis0", _sce_argmax_axis0, _sce_argmax_axis0_bwd,
           caught_by=("label_formats_agree", "forward_matches_reference"),
           why="t.argmax(axis=0) turns one-hot rows into the wrong indices"),
    Mutant("softmax_cross_entropy", "shift_in_place", _sce_shift_in_place, _sce_bwd_ok,
           caught_by=("does_not_mutate_inputs",), why="x -= x.max(axis=1, keepdims=True) on the caller's logits"),
    Mutant("softmax_cross_entropy", "gradient_float64", _sce_fwd_ok, _sce_bwd_float64,
           caught_by=("preserves_dtype",), dtypes=("float32",), why="dx = np.zeros(x.shape) is float64"),
    # svm_loss
    Mutant("svm_loss", "counts_correct_class", *_svm_cc,
           caught_by=("zero_when_margins_satisfied", "forward_matches_reference"),
           why="forgot margins[np.arange(N), y] = 0: every sample pays 1 for its own class"),
    Mutant("svm_loss", "tie_counts_as_active", *_svm_ge,
           caught_by=("zero_when_margins_satisfied", "backward_matches_reference"),
           why="margins >= 0: a margin of exactly 0 gets derivative 1 (variant grad_at_tie=one)"),
    Mutant("svm_loss", "not_batch_averaged", *_svm_sum, caught_by=("mean_over_batch", "forward_matches_reference"),
           why="forgot / N"),
    Mutant("svm_loss", "torch_normalisation", *_svm_divc, caught_by=("forward_matches_reference",),
           why="divides by the number of classes as multi_margin_loss does, without the factor C back"),
    Mutant("svm_loss", "backward_forgets_correct_class", _svm_ok[0], _svm_bwd_no_correct_term,
           caught_by=("backward_matches_finite_differences", "backward_matches_reference"),
           why="dx[np.arange(N), y] -= num_pos is missing"),
    Mutant("svm_loss", "scores_shifted_in_place", _svm_in_place, _svm_ok[1],
           caught_by=("does_not_mutate_inputs",), why="x -= correct_class_scores modifies the caller's scores"),
    Mutant("svm_loss", "gradient_float64", _svm_ok[0], _svm_bwd_float64,
           caught_by=("preserves_dtype",), dtypes=("float32",), why="dx = np.zeros(x.shape) is float64"),
    Mutant("svm_loss", "softplus_hinge", _svm_softplus, _svm_ok[1], caught_by=("finite_outputs",),
           why="log(1 + exp(margin)) as a smooth hinge overflows at scores of +-1000"),
]

CORRECT = [
    Mutant("sum_squared_error", "book_form", lambda c: 0.5 * np.sum((c["y"] - c["t"]) ** 2), _sse_bwd,
           dtypes=("float64", "float32"), why="the book's sum_squared_error, any shape"),
    Mutant("cross_entropy", "book_cross_entropy_error", lambda c: book_cross_entropy_error(c["y"], c["t"]),
           _ce_bwd, dtypes=("float64", "float32"), why="index or one-hot labels, 1-D single sample"),

    Mutant("softmax_cross_entropy", "cs231n_softmax_loss", _sce_fwd_ok, _sce_bwd_ok, dtypes=("float64", "float32")),
    Mutant("softmax_cross_entropy", "book_softmax_with_loss",
           lambda c: book_cross_entropy_error(
               (lambda z: np.exp(z) / np.exp(z).sum(-1, keepdims=True))(c["x"] - c["x"].max(-1, keepdims=True)), c["t"]),
           _sce_bwd_ok, dtypes=("float64", "float32"),
           why="the book's SoftmaxWithLoss: softmax then cross_entropy_error with delta 1e-7 (named variant)"),
    Mutant("softmax_cross_entropy", "one_hot_logsumexp",
           lambda c: (lambda x, t: np.asarray(-np.sum(t * (x - x.max(1, keepdims=True) - np.log(np.exp(
               x - x.max(1, keepdims=True)).sum(1, keepdims=True)))) / x.shape[0], dtype=x.dtype))(c["x"], _oh(c, c["x"])),
           lambda c, d: {"x": (d * (_softmax(c["x"]) - _oh(c, c["x"])) / c["x"].shape[0]).astype(c["x"].dtype)},
           dtypes=("float64", "float32"), why="one-hot form with log-sum-exp"),
    Mutant("svm_loss", "cs231n_vectorized", lambda c: np.asarray(cs231n_svm_loss(c["x"], c["t"])[0], dtype=c["x"].dtype),
           lambda c, d: {"x": d * cs231n_svm_loss(c["x"], c["t"])[1]}, dtypes=("float64", "float32")),
    Mutant("svm_loss", "naive_loops", lambda c: np.asarray(svm_loss_naive_loops(c["x"], c["t"])[0], dtype=c["x"].dtype),
           lambda c, d: {"x": d * svm_loss_naive_loops(c["x"], c["t"])[1]}, dtypes=("float64", "float32")),
]

# A probability of exactly 0 at the true class: log(0) = -inf.  delta = 0 matches the accepted forward variant
# delta=pytorch elsewhere, but the loss is inf there: it costs finite_outputs.
MUTANTS.append(Mutant("cross_entropy", "no_delta_pytorch", lambda c: _ce_fwd(c, 0.0), lambda c, d: _ce_bwd(c, d, 0.0),
                      caught_by=("finite_outputs",),
                      why="log(y) without the book's 1e-7: inf where y[t] == 0 exactly"))
