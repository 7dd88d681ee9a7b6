"""Records for the losses: sum_squared_error, cross_entropy, softmax_cross_entropy, svm_loss.

Every loss returns a scalar (0-d array) and its backward takes the upstream scalar (1 in the checks, the
book's ``backward(dout=1)``) and returns the gradient with respect to the predictions only: labels ``t``
are constants (``case.consts``).  The case's ``hp["label_format"]`` says whether ``t`` is one-hot
("one_hot", float rows of the predictions' shape) or integer indices ("index", shape (N,)).
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from ..checks import call_backward, call_forward, match_variants
from ..errors import SpecViolation
from ..record import Case, Component, Convention, Property
from ..reference import losses as ref
from ..strategies import EXTREMES, labels, one_hot, shapes, values
from ..tolerance import assert_close, least_precise, tolerance


def _torch():
    import torch
    import torch.nn.functional as F
    return torch, F


def _softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def _labels_as(fmt: str, idx: np.ndarray, classes: int, dtype):
    return one_hot(idx, classes, dtype=dtype) if fmt == "one_hot" else idx


# -- strategies -------------------------------------------------------------------------------------

def sse_cases(*, dtype=np.float64, smooth=False):
    """y of 1 to 3 axes (+-1000 among the specials unless smooth); t real or one-hot along the last axis."""
    @st.composite
    def build(draw):
        shape = draw(shapes(min_dims=1, max_dims=3, max_side=4))
        y = draw(values(shape, dtype=dtype, scale=1.5, specials=(0.0,) + EXTREMES, smooth=smooth, kinks=()))
        if draw(st.booleans()):
            idx = np.array(draw(st.lists(st.integers(0, shape[-1] - 1), min_size=int(np.prod(shape[:-1])),
                                         max_size=int(np.prod(shape[:-1])))), dtype=np.int64)
            t = np.eye(shape[-1])[idx].reshape(shape).astype(dtype)
        else:
            t = draw(values(shape, dtype=dtype, specials=(), smooth=True, kinks=()))
        return Case({"y": y}, {"t": t})
    return build()


@st.composite
def _prob_rows(draw, n, c, smooth):
    """Rows of a softmax, strictly positive (>= ~1e-11, so log(y) is finite even without delta).

    smooth: every probability >= 0.5 / C (no steep log near 0 inside a finite-difference stencil).
    Otherwise sharpness varies and some rows are near-one-hot (confident, right or wrong)."""
    z = draw(values((n, c), dtype=np.float64, specials=(), smooth=True, kinks=(), decimals=3))
    if smooth:
        return 0.5 * _softmax(z) + 0.5 / c
    z = np.clip(z * draw(st.sampled_from([1.0, 0.3, 3.0, 10.0])), -12, 12)
    return _softmax(z)


def ce_cases(*, dtype=np.float64, smooth=False, single=True, formats=("one_hot", "index")):
    """Case(y=probabilities (N, C) [sometimes one sample (C,)], t=one-hot or indices (among ``formats``),
    hp label_format)."""
    @st.composite
    def build(draw):
        n, c = draw(st.integers(1, 4)), draw(st.integers(2, 5))
        lab = draw(labels(n, c))
        y = draw(_prob_rows(n, c, smooth))
        if not smooth and draw(st.integers(0, 3)) == 0:  # confident rows: right (y[t] ~ 1) or wrong
            rows = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True))
            for r in rows:
                k = lab[r] if draw(st.booleans()) else (lab[r] + 1) % c
                y[r] = 1e-11
                y[r, k] = 1 - (c - 1) * 1e-11
        if not smooth and draw(st.integers(0, 5)) == 0:  # a probability of exactly 0 at the true class (a
            r = draw(st.integers(0, n - 1))              # saturated softmax): log(0) without the book's delta
            k = (lab[r] + 1) % c
            y[r] = 0.0
            y[r, k] = 1.0
        fmt = draw(st.sampled_from(list(formats)))
        t = _labels_as(fmt, lab, c, dtype)
        if single and n == 1 and draw(st.booleans()):  # the book's 1-D single sample
            y, t = y[0], (t[0] if fmt == "one_hot" else np.asarray(lab[0], dtype=np.int64))
        return Case({"y": y.astype(dtype)}, {"t": t}, {"label_format": fmt})
    return build()


def logit_cases(*, dtype=np.float64, smooth=False, extreme=False, formats=("one_hot", "index")):
    """Case(x=logits (N, C), t=one-hot or indices): +-1000 among the specials unless smooth; extreme=True
    puts 1000 and -1000 into every row (one of them sometimes at the label)."""
    @st.composite
    def build(draw):
        n, c = draw(st.integers(1, 4)), draw(st.integers(2, 5))
        x = draw(values((n, c), dtype=np.float64, scale=2.0, specials=(0.0,) + EXTREMES, smooth=smooth, kinks=()))
        lab = draw(labels(n, c))
        if extreme:
            for r in range(n):
                i, j = draw(st.lists(st.integers(0, c - 1), min_size=2, max_size=2, unique=True))
                x[r, i], x[r, j] = draw(st.sampled_from([(1000.0, -1000.0), (-1000.0, 1000.0)]))
        fmt = draw(st.sampled_from(list(formats)))
        return Case({"x": x.astype(dtype)}, {"t": _labels_as(fmt, lab, c, dtype)}, {"label_format": fmt})
    return build()


SVM_GAP = 0.25


def svm_cases(*, dtype=np.float64, smooth=False, satisfied=False):
    """Case(x=scores (N, C), t=indices).  Scores are multiples of 1/16, so every margin x_j - x_t + 1 is
    exact in float32 and float64: either exactly 0 (a tie, the kink) or at least 1/16 away.

    Non-smooth: exact ties are planted and +-1000 are among the specials.  smooth: every margin is at
    least SVM_GAP from 0.  satisfied: every margin <= 0 (some exactly 0), so the loss is 0."""
    @st.composite
    def build(draw):
        n, c = draw(st.integers(1, 4)), draw(st.integers(2, 5))
        x = draw(values((n, c), dtype=np.float64, scale=1.5, specials=() if satisfied else EXTREMES,
                        smooth=smooth, kinks=(), max_specials=2))
        x = np.round(x * 16) / 16
        lab = draw(labels(n, c))
        rows = np.arange(n)
        if satisfied:
            x[rows, lab] = x.max(axis=1) + 1 + np.round(np.abs(x[rows, lab]) * 4) / 16
        if smooth:
            m = x - x[rows, lab][:, None] + 1
            near = (np.abs(m) < SVM_GAP) & (np.arange(c)[None, :] != lab[:, None])
            x[near] = (x[rows, lab][:, None] - 1 + np.where(m >= 0, SVM_GAP, -SVM_GAP))[near]
        elif c > 1:
            ties = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(1, c - 1)), max_size=3))
            if satisfied and not ties:
                ties = [(0, 1)]
            for r, k in ties:
                x[r, (lab[r] + k) % c] = x[r, lab[r]] - 1
        return Case({"x": x.astype(dtype)}, {"t": lab})
    return build()


def svm_satisfied_cases(*, dtype=np.float64, smooth=False):
    return svm_cases(dtype=dtype, smooth=False, satisfied=True)


def extreme_logit_cases(*, dtype=np.float64, smooth=False, formats=("one_hot", "index")):
    return logit_cases(dtype=dtype, smooth=False, extreme=True, formats=formats)


# -- specific properties ----------------------------------------------------------------------------

def _loss(impl, case) -> float:
    return float(np.asarray(call_forward(impl, case)["out"], dtype=np.float64).reshape(()))


def _doubled(case: Case) -> Case:
    """The batch concatenated with itself (a 1-D single sample becomes a batch of two)."""
    def dbl(v):
        if not isinstance(v, np.ndarray):
            return v
        v = v.copy()
        return np.stack([v, v]) if v.ndim == 0 or (v.ndim == 1 and "y" in case.arrays and case["y"].ndim == 1) \
            else np.concatenate([v, v], axis=0)
    return Case({k: dbl(v) for k, v in case.arrays.items()}, {k: dbl(v) for k, v in case.consts.items()},
                dict(case.hp))


def _same_loss(component, got, want, case, what):
    rtol, atol = tolerance(component, least_precise(case.dtype), "forward")
    assert_close(np.float64(got), np.float64(want), rtol=rtol * 10, atol=atol * 10, name="loss",
                 where=f"{component.name}_forward: {what}, at {case!r}")


def sums_over_batch(component, impl, case, ctx):
    """E(batch ++ batch) = 2 E(batch): the book's sum of squares is summed, not averaged, over the batch."""
    one, two = _loss(impl, case.copy()), _loss(impl, _doubled(case))
    _same_loss(component, two, 2 * one, case, "the loss of the batch repeated twice should be twice the loss "
                                                "(summed, not averaged, over the batch)")
    return {}


def mean_over_batch(component, impl, case, ctx):
    """E(batch ++ batch) = E(batch): the loss is the mean over the batch, not the sum (or, where the variant
    reduction=sum is accepted, twice the loss)."""
    one, two = _loss(impl, case.copy()), _loss(impl, _doubled(case))
    if "sum" in ctx.accept.get("reduction", ()) and np.isclose(two, 2 * one, rtol=1e-6, atol=1e-12):
        return {"variant": {"reduction": "sum"}}
    _same_loss(component, two, one, case, "the loss of the batch repeated twice should equal the loss "
                                          "(a batch mean, not a sum)"
               + (" (matches variant reduction=sum, which is not accepted)"
                  if one and np.isclose(two, 2 * one, rtol=1e-6) and any(c.name == "reduction" for c in
                                                                           component.conventions) else ""))
    return {}


def _relabel(case: Case, fmt: str, pred: str) -> Case:
    y = case[pred]
    idx = ref.to_index(case["t"], y)
    if fmt == "one_hot":
        t = ref.to_one_hot(idx, y).reshape(y.shape).astype(y.dtype)
    else:
        t = idx if y.ndim > 1 else np.asarray(idx[0], dtype=np.int64)
    return Case({k: v.copy() for k, v in case.arrays.items()}, {"t": t}, {**case.hp, "label_format": fmt})


def label_formats_agree(component, impl, case, ctx):
    """One-hot labels and the same labels as indices give the same loss and the same gradient."""
    pred = next(iter(case.arrays))
    a, b = _relabel(case, "one_hot", pred), _relabel(case, "index", pred)
    la, lb = call_forward(impl, a)["out"], call_forward(impl, b)["out"]
    dt = least_precise(case.dtype)
    rtol, atol = tolerance(component, dt, "forward")
    assert_close(lb, la, rtol=rtol, atol=atol, name="loss(index labels)",
                 where=f"{component.name}_forward: should equal the loss with one-hot labels, at {case!r}")
    if not impl.has_backward:  # a forward-only form (the book's cross_entropy_error): the loss says it all
        return {}
    ga = call_backward(impl, a, np.ones((), dtype=case.dtype))
    gb = call_backward(impl, b, np.ones((), dtype=case.dtype))
    rtol, atol = tolerance(component, dt, "backward")
    if pred not in ga or pred not in gb:
        raise SpecViolation(f"d{pred} is missing from the result, but should be returned "
                            f"[{component.name}_backward at {case!r}]")
    assert_close(gb[pred], ga[pred], rtol=rtol, atol=atol, name=f"d{pred}(index labels)",
                 where=f"{component.name}_backward: should equal the gradient with one-hot labels, at {case!r}")
    return {}


def nonnegative_zero_iff_correct(component, impl, case, ctx):
    """E >= 0 for probabilities; E ~ 0 for the correct confident prediction (y = one-hot(t) up to 1e-11);
    E clearly > 0 otherwise (at least (1/N) max_n -log(y_n[t_n] + 1e-7))."""
    y = case["y"]
    dt = least_precise(case.dtype)
    rtol, atol = tolerance(component, dt, "forward")
    slack = 1e-6 + 10 * atol
    where = f"[{component.name}_forward at {case!r}]"
    e = _loss(impl, case.copy())
    if not e >= -slack:
        raise SpecViolation(f"loss={e:.8g}, but should be >= 0 for probabilities y {where}")
    idx = ref.to_index(case["t"], y)
    y2 = np.atleast_2d(y).astype(np.float64)
    n = y2.shape[0]
    bound = float(np.max(-np.log(y2[np.arange(n), idx] + ref.BOOK_DELTA))) / n
    if not e >= bound * (1 - 10 * rtol) - slack:
        raise SpecViolation(f"loss={e:.8g}, but should be at least {bound:.8g} (the largest sample's "
                            f"-log(y[t] + 1e-7) / N): a wrong prediction must cost {where}")
    best = np.full(y2.shape, 1e-11)
    best[np.arange(n), idx] = 1 - (y2.shape[1] - 1) * 1e-11
    ok = Case({"y": best.reshape(y.shape).astype(y.dtype)}, {k: v.copy() if isinstance(v, np.ndarray) else v
                                                              for k, v in case.consts.items()}, dict(case.hp))
    e0 = _loss(impl, ok)
    if not abs(e0) <= slack:
        raise SpecViolation(f"loss={e0:.8g}, but should be 0 (within {slack:.2g}) for the correct prediction "
                            f"y = one-hot(t) [{component.name}_forward at {ok!r}]")
    return {}


def finite_at_extreme_logits(component, impl, case, ctx):
    """Logits of +-1000 in every row give a finite loss and gradient, equal to the stable reference
    (or to the accepted book form, whose delta caps the loss)."""
    where = f"[{component.name} at {case!r}]"
    got = call_forward(impl, case.copy())
    out = got["out"]
    if not np.isfinite(out).all():
        raise SpecViolation(f"loss={float(np.asarray(out).reshape(-1)[0])}, but should be finite for logits of "
                            f"+-1000 (shift by the row max before exp, and take the log as "
                            f"shifted - log(sum(exp(shifted))), not log(probs), which underflows to log(0)) {where}")
    x64 = case["x"].astype(np.float64)
    info = match_variants(component, ctx, lambda v: {"out": ref.softmax_cross_entropy(x64, case["t"], SCE_DELTA[v["log_form"]])
                                                                 * _batch(case, v, "x")},
                          {"out": out}, dtype=least_precise(case.dtype, out.dtype), what="forward",
                          where=f"{component.name}_forward at {case!r}")
    dx = call_backward(impl, case.copy(), np.ones((), dtype=case.dtype)).get("x")
    if dx is None or not np.isfinite(dx).all():
        bad = "missing" if dx is None else f"{dx[tuple(np.argwhere(~np.isfinite(dx))[0])]}"
        raise SpecViolation(f"dx={bad}, but should be finite for logits of +-1000 {where}")
    return info


def zero_when_margins_satisfied(component, impl, case, ctx):
    """When every x_t >= x_j + 1 (some margins exactly 0: ties), the loss is 0 and so is the gradient
    (a margin of exactly 0 contributes derivative 0, CS231n's ``margins > 0``)."""
    dt = least_precise(case.dtype)
    rtol, atol = tolerance(component, dt, "forward")
    out = call_forward(impl, case.copy())["out"]
    assert_close(out, np.zeros(np.shape(out)), rtol=0, atol=atol, name="loss",
                 where=f"svm_loss_forward: every margin is <= 0, at {case!r}")
    dx = call_backward(impl, case.copy(), np.ones((), dtype=case.dtype)).get("x")
    if dx is None:
        raise SpecViolation(f"dx is missing from the result, but should be returned [svm_loss_backward at {case!r}]")
    rtol, atol = tolerance(component, dt, "backward")
    extra = ""
    if np.shape(dx) == case["x"].shape and not np.allclose(dx, 0, atol=atol, rtol=0):
        at_tie = component.backward(case, np.ones(()), {"grad_at_tie": "one"})["x"]
        if np.allclose(dx, at_tie, atol=atol, rtol=rtol):
            extra = " (matches variant grad_at_tie=one, which is not accepted)"
    try:
        assert_close(dx, np.zeros(case["x"].shape), rtol=0, atol=atol, name="dx",
                     where=f"svm_loss_backward: every margin is <= 0 (ties at 0 have derivative 0), at {case!r}")
    except SpecViolation as e:
        e.message += extra
        e.args = (e.message,)
        raise
    return {}


# -- records ----------------------------------------------------------------------------------------

# Guards students put inside the log besides the book's 1e-7: any tiny delta keeps log(0) finite, and the
# loss differs from the exact one only where a probability is below about delta (a named variant each, accepted).
SMALL_GUARDS = {"1e-8": 1e-8, "1e-10": 1e-10, "1e-12": 1e-12, "1e-15": 1e-15}
DELTA = {"book": ref.BOOK_DELTA, "pytorch": 0.0, "float_eps": float(np.finfo(np.float64).eps), **SMALL_GUARDS}

LABEL_FORMAT = Convention("label_format", "one_hot", {
    "one_hot": "t is one-hot rows of the predictions' shape (the book's default)",
    "index": "t holds class indices (N,) (PyTorch, CS231n); the book's cross_entropy_error accepts both"},
    accepted=("one_hot", "index"))


# Losses a library sums over the batch instead of averaging (numpy-ml's CrossEntropy, Keras' reduction="sum"):
# a named variant, never the default.
REDUCTION = Convention("reduction", "mean", {
    "mean": "the mean over the batch (the book, CS231n, PyTorch's default reduction='mean')",
    "sum": "the sum over the batch (reduction='sum' in PyTorch and Keras; numpy-ml's CrossEntropy): N times the mean"})


def _batch(c, v, pred):
    """N when the variant reduction=sum is drawn (a 1-D prediction is one sample), else 1."""
    y = np.asarray(c[pred])
    return (y.shape[0] if y.ndim >= 2 else 1) if v.get("reduction", "mean") == "sum" else 1


def _ce_torch(t, c, v):
    torch, F = _torch()
    y = t["y"]
    y2 = y.reshape(1, -1) if y.ndim == 1 else y
    lab = t["t"]
    idx = lab.reshape(y2.shape).argmax(dim=-1) if lab.is_floating_point() else lab.reshape(-1)
    # nll_loss(log p, t) = -(1/N) sum_n log p[n, t_n]; the book's delta goes inside the log.
    return F.nll_loss(torch.log(y2 + DELTA[v["delta"]]), idx, reduction=v.get("reduction", "mean"))


SCE_DELTA = {"fused": None, "book_delta": 1e-7, "float_eps_delta": float(np.finfo(np.float64).eps)}


def _sce_torch(t, c, v):
    _, F = _torch()
    # cross_entropy accepts indices or class probabilities (one-hot rows) as the target.
    return F.cross_entropy(t["x"], t["t"], reduction=v.get("reduction", "mean"))


def _svm_torch(t, c, v):
    _, F = _torch()
    x = t["x"]
    # multi_margin_loss = (1/N) sum_n sum_{j != t_n} max(0, 1 - x_t + x_j) / C: it also divides by the
    # number of classes C, so CS231n's svm_loss = C * multi_margin_loss (p=1, margin=1, mean over N).
    return x.shape[1] * F.multi_margin_loss(x, t["t"], p=1, margin=1.0, reduction="mean")


COMPONENTS = [
    Component(
        name="sum_squared_error", kind="loss", couples_batch=True,
        doc="E = 0.5 * sum (y - t)^2 over every element (the book's form: summed, not averaged, over the "
            "batch); dy = dout * (y - t)",
        forward=lambda c, v: ref.sum_squared_error(c["y"], c["t"]),
        backward=lambda c, d, v: {"y": ref.sum_squared_error_backward(d, c["y"], c["t"])},
        torch=lambda t, c, v: 0.5 * ((t["y"] - t["t"]) ** 2).sum(),
        cases=sse_cases,
        properties=(Property("sums_over_batch", sums_over_batch,
                             "E(batch ++ batch) = 2 E(batch): summed, not averaged, over the batch"),)),
    Component(
        name="cross_entropy", kind="loss", couples_batch=True,
        doc="E = -(1/N) sum_n sum_k t_nk log(y_nk + delta) on probabilities y (the book's "
            "cross_entropy_error: a 1-D y is one sample; t one-hot or indices); dy = -dout t / (y + delta) / N",
        forward=lambda c, v: ref.cross_entropy(c["y"], c["t"], DELTA[v["delta"]]) * _batch(c, v, "y"),
        backward=lambda c, d, v: {"y": ref.cross_entropy_backward(d, c["y"], c["t"], DELTA[v["delta"]])
                                  * _batch(c, v, "y")},
        torch=_ce_torch,
        cases=ce_cases,
        conventions=(
            Convention("delta", "book", {
                "book": "log(y + 1e-7): the book's delta, keeps log(0) finite",
                "pytorch": "log(y) with no delta: PyTorch's nll_loss(log(y)), CS231n",
                "float_eps": "log(y + 2.2e-16), the float64 machine epsilon (numpy-ml's CrossEntropy)",
                **{k: f"log(y + {k}): another tiny guard against log(0)" for k in SMALL_GUARDS}},
                accepted=("book", "pytorch", *SMALL_GUARDS)),
            LABEL_FORMAT, REDUCTION),
        properties=(
            Property("nonnegative_zero_iff_correct", nonnegative_zero_iff_correct,
                     "E >= 0; E ~ 0 at the correct one-hot prediction and clearly > 0 otherwise"),
            Property("mean_over_batch", mean_over_batch, "E(batch ++ batch) = E(batch): a batch mean"),
            Property("label_formats_agree", label_formats_agree,
                     "one-hot labels and index labels give the same loss and gradient"))),
    Component(
        name="softmax_cross_entropy", kind="loss", couples_batch=True,
        doc="E = -(1/N) sum_n log softmax(x_n)[t_n], fused and stable (log-sum-exp with the row max "
            "subtracted: finite for logits of +-1000); dx = dout (softmax(x) - t) / N",
        forward=lambda c, v: ref.softmax_cross_entropy(c["x"], c["t"], SCE_DELTA[v["log_form"]]) * _batch(c, v, "x"),
        backward=lambda c, d, v: {"x": ref.softmax_cross_entropy_backward(d, c["x"], c["t"]) * _batch(c, v, "x")},
        torch=_sce_torch,
        cases=logit_cases,
        conventions=(LABEL_FORMAT, Convention("log_form", "fused", {
            "fused": "log-softmax with the row max subtracted (PyTorch's cross_entropy, CS231n's softmax_loss)",
            "book_delta": "cross_entropy_error(softmax(x), t): log(y + 1e-7), the book's SoftmaxWithLoss; "
                          "the same gradient, a loss capped at -log(1e-7) ~ 16.1 per row",
            "float_eps_delta": "log(softmax(x) + 2.2e-16) (numpy-ml's CrossEntropy after its Softmax): the same "
                               "gradient, a loss capped at -log(2.2e-16) ~ 36.0 per row"},
            accepted=("fused", "book_delta")), REDUCTION),
        properties=(
            Property("finite_at_extreme_logits", finite_at_extreme_logits,
                     "logits of +-1000 give a finite loss and gradient equal to the stable reference",
                     cases=extreme_logit_cases),
            Property("mean_over_batch", mean_over_batch, "E(batch ++ batch) = E(batch): a batch mean"),
            Property("label_formats_agree", label_formats_agree,
                     "one-hot labels and index labels give the same loss and gradient"))),
    Component(
        name="svm_loss", kind="loss", couples_batch=True,
        doc="E = (1/N) sum_n sum_{j != t_n} max(0, x_nj - x_n,t_n + 1) (CS231n's multiclass SVM, margin 1); "
            "derivative 0 at a margin of exactly 0.  PyTorch: C * multi_margin_loss (it also divides by C)",
        forward=lambda c, v: ref.svm_loss(c["x"], c["t"]),
        backward=lambda c, d, v: {"x": ref.svm_loss_backward(d, c["x"], c["t"], v["grad_at_tie"])},
        torch=_svm_torch,
        cases=svm_cases,
        conventions=(Convention("grad_at_tie", "zero", {
            "zero": "a margin of exactly 0 has derivative 0 (CS231n's margins > 0, PyTorch's multi_margin_loss)",
            "one": "a margin of exactly 0 counts as active (margins >= 0)"}, subgradients=("zero", "one")),),
        properties=(
            Property("zero_when_margins_satisfied", zero_when_margins_satisfied,
                     "every margin <= 0 (ties included) gives loss 0 and gradient 0", cases=svm_satisfied_cases),
            Property("mean_over_batch", mean_over_batch, "E(batch ++ batch) = E(batch): a batch mean"))),
]
