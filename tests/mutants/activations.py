"""Broken and correct-but-different activations, as students and libraries write them."""
import numpy as np

from spec_nn.reference import activations as ref

from . import Mutant


def _relu_fwd(c):
    return ref.relu(c["x"])


MUTANTS = [
    Mutant("relu", "mask_x_lt_0", _relu_fwd,
           lambda c, d: {"x": d * (c["x"] >= 0)}, caught_by=("grad_at_zero", "backward_matches_reference"),
           why="mask x < 0 zeroes only negatives: ReLU'(0) becomes 1"),
    Mutant("relu", "derivative_x_over_abs_x", _relu_fwd,
           lambda c, d: {"x": d * (c["x"] / np.abs(c["x"]) + 1) / 2},
           caught_by=("backward_matches_reference", "grad_at_zero"),
           why="ReLU' written as (x/|x| + 1)/2: 0/0 = nan at x = 0, outside the subdifferential [0, 1]"),
    Mutant("relu", "mutates_input", lambda c: (np.maximum(c["x"], 0, out=c["x"]), c["x"])[1],
           lambda c, d: {"x": d * (c["x"] > 0)}, caught_by=("does_not_mutate_inputs",),
           why="np.maximum(x, 0, out=x) overwrites the caller's array"),
    Mutant("relu", "returns_float64", lambda c: np.maximum(c["x"].astype(np.float64), 0),
           lambda c, d: {"x": (d * (c["x"] > 0)).astype(np.float64)}, caught_by=("preserves_dtype",),
           dtypes=("float32",), why="upcasts float32 input"),
    Mutant("relu", "backward_ignores_dout", _relu_fwd, lambda c, d: {"x": (c["x"] > 0).astype(c["x"].dtype)},
           caught_by=("backward_matches_reference", "backward_matches_finite_differences"),
           why="returns the mask instead of dout * mask"),
    Mutant("relu", "batch_max", lambda c: np.maximum(c["x"], 0) * (1 + 0 * c["x"].max() + 0.01 * (c["x"].shape[0] > 1) * c["x"][0].sum()),
           lambda c, d: {"x": d * (c["x"] > 0)}, caught_by=("batch_rows_independent", "forward_matches_reference"),
           why="leaks the first row into every row"),
    Mutant("softmax", "no_max_shift", lambda c: np.exp(c["x"]) / np.exp(c["x"]).sum(-1, keepdims=True),
           lambda c, d: {"x": ref.softmax_backward(d, c["x"])},
           caught_by=("finite_outputs", "rows_sum_to_one"), why="exp(1000) overflows to inf, inf/inf = nan"),
    Mutant("softmax", "normalises_whole_batch", lambda c: np.exp(c["x"] - c["x"].max()) / np.exp(c["x"] - c["x"].max()).sum(),
           lambda c, d: {"x": ref.softmax_backward(d, c["x"])},
           caught_by=("rows_sum_to_one", "batch_rows_independent"), why="sums over the whole array, not per row"),
    Mutant("softmax", "shift_by_mean", lambda c: ref.softmax(c["x"]) if np.abs(c["x"]).max() < 50 else
           np.exp(c["x"] - c["x"].mean(-1, keepdims=True)) / np.exp(c["x"] - c["x"].mean(-1, keepdims=True)).sum(-1, keepdims=True),
           lambda c, d: {"x": ref.softmax_backward(d, c["x"])},
           caught_by=("finite_outputs", "rows_sum_to_one", "forward_matches_reference"), why="mean shift still overflows"),
    Mutant("softmax", "clips_logits", lambda c: ref.softmax(np.clip(c["x"], -20, 20)),
           lambda c, d: {"x": ref.softmax_backward(d, np.clip(c["x"], -20, 20))},
           caught_by=("shift_invariant", "forward_matches_reference"),
           why="clips logits to [-20, 20] against overflow instead of subtracting the row max"),
    Mutant("sigmoid", "derivative_y", lambda c: ref.sigmoid(c["x"]), lambda c, d: {"x": d * ref.sigmoid(c["x"])},
           caught_by=("derivative_at_most_quarter", "backward_matches_reference"), why="forgot the (1 - y) factor"),
    Mutant("sigmoid", "overflow_exp", lambda c: 1 / (1 + np.exp(-c["x"].astype(np.float64))).astype(c["x"].dtype) if False else
           (1 / (1 + np.exp(-c["x"]))),
           lambda c, d: {"x": ref.sigmoid_backward(d, c["x"])}, caught_by=(),
           why="naive 1/(1+exp(-x)) is correct (exp overflow gives 1/inf = 0): listed as correct below"),
    Mutant("tanh", "tanh_as_sigmoid_2x", lambda c: ref.sigmoid(2 * c["x"]), lambda c, d: {"x": ref.tanh_backward(d, c["x"])},
           caught_by=("equals_rescaled_sigmoid", "forward_matches_reference"), why="forgot 2s - 1"),
    Mutant("leaky_relu", "right_derivative_at_0", lambda c: ref.leaky_relu(c["x"]),
           lambda c, d: {"x": d * np.where(c["x"] >= 0, 1.0, 0.01)}, caught_by=("grad_at_zero",),
           why="derivative 1 at 0 (x >= 0): not the left derivative PyTorch uses (costs its own property only)"),
    Mutant("elu", "alpha_sign", lambda c: np.where(c["x"] > 0, c["x"], -np.expm1(np.minimum(c["x"], 0))),
           lambda c, d: {"x": ref.elu_backward(d, c["x"])}, caught_by=("forward_matches_reference",),
           why="alpha * (1 - exp(x)) sign error"),
    Mutant("step", "returns_bool", lambda c: c["x"] > 0, lambda c, d: {"x": np.zeros_like(c["x"])},
           caught_by=("preserves_dtype",), why="returns a bool array (the book's first draft)"),
    Mutant("log_softmax", "log_of_softmax", lambda c: np.log(ref.softmax(c["x"])),
           lambda c, d: {"x": ref.log_softmax_backward(d, c["x"])}, caught_by=("finite_outputs",),
           why="log(softmax) gives -inf for logits far below the max"),
    Mutant("identity", "returns_input_itself_then_scales", lambda c: c["x"] * 1.0001,
           lambda c, d: {"x": d}, caught_by=("forward_matches_reference",), why="off by a factor"),
]


# -- prelu: y = max(0, x) + a min(0, x), a (C,) per channel of axis 1 or (1,) ---------------------------

def _slope(c):
    """The slope broadcast over x's axis 1 (what a correct implementation does)."""
    a, x = c["a"], c["x"]
    return a.reshape((1, a.size) + (1,) * (x.ndim - 2))


def _prelu_fwd(c):
    return ref.prelu(c["x"], c["a"])


def _prelu_dx(c, d):
    return d * np.where(c["x"] > 0, 1.0, _slope(c))


def _prelu_da(c, d):
    return ref.prelu_backward(d, c["x"], c["a"])[1]


PRELU_MUTANTS = [
    Mutant("prelu", "slope_on_last_axis", lambda c: np.where(c["x"] > 0, c["x"], c["a"] * c["x"]),
           lambda c, d: {"x": _prelu_dx(c, d), "a": _prelu_da(c, d)}, caught_by=("forward_matches_reference",),
           why="np.where(x > 0, x, a * x) broadcasts a over the last axis, not the channels (axis 1): right for "
               "(N, C) only"),
    Mutant("prelu", "da_summed_over_batch_only", _prelu_fwd,
           lambda c, d: {"x": _prelu_dx(c, d), "a": np.sum(d * np.minimum(c["x"], 0), axis=0)},
           caught_by=("backward_matches_reference", "backward_matches_finite_differences"),
           why="da = sum(dout * x * (x <= 0), axis=0): the (N, C) habit, not summed over the spatial axes nor "
               "to one value for a shared slope"),
    Mutant("prelu", "da_from_positive_side", _prelu_fwd,
           lambda c, d: {"x": _prelu_dx(c, d), "a": _prelu_da(c.replace(x=-np.maximum(c["x"], 0)), -d)},
           caught_by=("backward_matches_finite_differences", "backward_matches_reference"),
           why="da = sum(dout * x * (x > 0)): the mask of the wrong side"),
    Mutant("prelu", "slope_not_applied_in_backward", _prelu_fwd,
           lambda c, d: {"x": d * (c["x"] > 0), "a": _prelu_da(c, d)},
           caught_by=("backward_matches_reference", "backward_matches_finite_differences"),
           why="dx = dout * (x > 0), the ReLU backward copied: the negative side's slope a is lost"),
    Mutant("prelu", "right_derivative_at_0", _prelu_fwd,
           lambda c, d: {"x": d * np.where(c["x"] >= 0, 1.0, _slope(c)), "a": _prelu_da(c, d)},
           caught_by=("grad_at_zero",), why="mask x >= 0: derivative 1 at 0, not the left derivative a"),
]

PRELU_CORRECT = [
    Mutant("prelu", "where_with_channel_reshape",
           lambda c: np.where(c["x"] > 0, c["x"], _slope(c) * c["x"]).astype(c["x"].dtype),
           lambda c, d: {"x": _prelu_dx(c, d).astype(c["x"].dtype),
                         "a": np.sum((d * c["x"] * (c["x"] <= 0)).reshape(c["x"].shape[0], c["x"].shape[1], -1),
                                     axis=(0, 2)).sum(axis=0, keepdims=True).reshape(c["a"].shape)
                         if c["a"].size == 1 else
                         np.sum((d * c["x"] * (c["x"] <= 0)).reshape(c["x"].shape[0], c["x"].shape[1], -1),
                                axis=(0, 2))},
           dtypes=("float64", "float32"),
           why="np.where with the slope reshaped to (1, C, 1, ...); da by reshape and sum"),
    Mutant("prelu", "mask_ge_0_accepted", _prelu_fwd,
           lambda c, d: {"x": d * np.where(c["x"] >= 0, 1.0, _slope(c)), "a": _prelu_da(c, d)},
           accept={"grad_at_zero": ("left", "right")}, why="prelu'(0) = 1 passes when the rubric accepts it"),
]

# The naive sigmoid is in fact correct; keep it as a correct variant instead.
MUTANTS = [m for m in MUTANTS if m.caught_by]

CORRECT = [
    Mutant("relu", "x_times_mask", lambda c: c["x"] * (c["x"] > 0), lambda c, d: {"x": d * (c["x"] > 0)},
           dtypes=("float64", "float32"), why="x*(x>0)"),
    Mutant("relu", "book_mask_in_place_dout", lambda c: np.maximum(c["x"], 0),
           lambda c, d: (d.__setitem__(c["x"] <= 0, 0), {"x": d})[1], dtypes=("float64", "float32"),
           accept={"dout": ("untouched", "writes_dout")},
           why="the book's Relu.backward writes into dout: passes where the rubric accepts dout=writes_dout"),
    Mutant("relu", "mask_ge_0_accepted", lambda c: np.maximum(c["x"], 0), lambda c, d: {"x": d * (c["x"] >= 0)},
           accept={"grad_at_zero": ("zero", "one")}, why="ReLU'(0)=1 passes when the rubric accepts it"),
    Mutant("sigmoid", "naive_exp", lambda c: 1 / (1 + np.exp(-c["x"])),
           lambda c, d: {"x": d * (1 - 1 / (1 + np.exp(-c["x"]))) * (1 / (1 + np.exp(-c["x"])))},
           dtypes=("float64", "float32")),
    Mutant("softmax", "book_softmax", lambda c: (lambda z: np.exp(z) / np.exp(z).sum(-1, keepdims=True))(
        c["x"] - c["x"].max(-1, keepdims=True)), lambda c, d: {"x": ref.softmax_backward(d, c["x"])},
           dtypes=("float64", "float32")),
    Mutant("step", "ge_zero", lambda c: (c["x"] >= 0).astype(c["x"].dtype), lambda c, d: {"x": np.zeros_like(c["x"])},
           why="H(0)=1 is a named, accepted variant"),
]
MUTANTS += PRELU_MUTANTS
CORRECT += PRELU_CORRECT
