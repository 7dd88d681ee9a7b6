"""Records for whole networks: two_layer_net, fc_net, conv_net (spec_nn/reference/models.py).

A model is judged through the student's own constructor and methods, one sandbox call per example: the case
names an *op* (``hp["op"]``, see spec_nn/adapters_models.py) and a config; the data are fixed batches of
scikit-learn's bundled 8x8 digits (``load_digits``, no download), scaled to [0, 1].  Cases are a short fixed
list per property (a model check is costly and its inputs need no search), in float64 whatever the grading
dtype: the whole-model gradient check is a float64 check.

Properties (none of the generic ones: a network has no single reference output to compare):

* ``gradients_match_parameters``: every parameter the architecture has, with its shape; a gradient of the same
  name, shape and dtype for each, and none for a name that is not a parameter.
* ``loss_at_init``: small weights, reg 0: the loss is within 0.1 of log(num_classes).
* ``scores_without_labels``: test-mode scores of shape (N, C), the same on a second call, and the loss is the
  softmax cross-entropy of those scores (variant: the book's log(softmax + 1e-7)).
* ``regularization``: with the same parameters, loss(reg) - loss(0) = 0.5 reg sum W^2 over the weights only and
  the gradients change by reg W (variant ``full``: reg sum W^2 and 2 reg W); biases, gamma, beta unregularised.
* ``gradient_check``: for each parameter a random direction: the gradient's directional derivative equals the
  central difference at one of two steps (a step straddling a ReLU kink disagrees with the other), with an
  absolute floor for true zeros (a bias before batch norm); biases are jittered off the kinks first.
* ``train_test``: after train passes, test-mode scores are deterministic and equal the architecture's on the
  student's parameters with dropout off (variant ``direct``: scaled by 1 - p) and batch norm on the running
  statistics of those passes (momentum 0.9 from 0).
* ``overfits_small_batch``: the reference optimizer (Adam) on a small batch reaches 100% training accuracy within
  a fixed number of steps, and the loss decreases.
* ``own_numerical_gradient_agrees``: the dialect's own numerical gradient of the model (the book's
  ``numerical_gradient(x, t)``, CS231n's ``eval_numerical_gradient``) agrees with its gradient.
"""
from __future__ import annotations

import functools
import itertools
import math

import numpy as np
from hypothesis import strategies as st

from .. import adapters_models
from ..errors import ImplError, SpecViolation
from ..record import Case, Component, Convention, Property
from ..reference import models as ref
from ..tolerance import assert_close

NUM_CLASSES = 10
LOSS_AT_INIT_TOL = 0.1   # scores of order 0.01 at small weights move the loss by far less than this
REG = 0.1
PASSES = 3               # train passes before the test-mode scores (running stats at 1 - 0.9^3 = 27% of batch)
GRAD_RTOL, GRAD_FLOOR = 1e-4, 1e-8   # directional derivatives, float64, steps 1e-5 and 1e-6
# Test-mode scores vs the architecture (batch norm's eps a named variant): ignoring the running statistics, or
# leaving dropout on, moves scores by O(1).
TEST_RTOL, TEST_ATOL = 1e-6, 1e-8
NUMGRAD_RTOL, NUMGRAD_ATOL, NUMGRAD_SHARE = 1e-3, 1e-6, 0.02  # h = 1e-4 (book) / 1e-5 (CS231n) central differences


# -- data ---------------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def digits() -> tuple:
    """(X (1797, 64) in [0, 1], y (1797,) int64): scikit-learn's bundled copy (no download), the file
    ``load_digits`` reads (sklearn/datasets/data/digits.csv.gz), read directly: importing scikit-learn costs
    seconds, a grading's whole model budget.  ``load_digits`` itself where the file is not found."""
    import gzip
    import importlib.util
    import os
    spec = importlib.util.find_spec("sklearn")
    path = os.path.join(list(spec.submodule_search_locations)[0], "datasets", "data", "digits.csv.gz") \
        if spec and spec.submodule_search_locations else ""
    if os.path.isfile(path):
        with gzip.open(path, "rt") as f:
            data = np.loadtxt(f, delimiter=",")
        X, y = data[:, :-1], data[:, -1]
    else:
        from sklearn.datasets import load_digits
        d = load_digits()
        X, y = d.data, d.target
    return (X / 16.0).astype(np.float64), y.astype(np.int64)


def batch(component: str, n: int, start: int = 0) -> tuple:
    X, y = digits()
    Xb, yb = X[start:start + n].copy(), y[start:start + n].copy()
    if component == "conv_net":
        Xb = Xb.reshape(n, 1, 8, 8)
    return Xb, yb


# -- configs --------------------------------------------------------------------------------------------

def config(component: str, **over) -> dict:
    base = {"input_dim": [1, 8, 8] if component == "conv_net" else 64, "num_classes": NUM_CLASSES,
            "weight_scale": 1e-2, "reg": 0.0, "seed": 0, "dropout": 0.0, "normalization": None}
    if component == "two_layer_net":
        base["hidden_dims"] = [10]
    elif component == "fc_net":
        base["hidden_dims"] = [12, 10]
    else:
        base.update(hidden_dims=[10], num_filters=4, filter_size=3)
    base.update(over)
    return base


# per component: the configs of each op (fc_net exercises normalisation and dropout)
def configs(component: str, op: str) -> list:
    fc = component == "fc_net"
    if op in ("inspect", "regularization", "numgrad"):
        extra = [dict(normalization="batchnorm")] if fc else []
        if op == "numgrad":  # He-like weights: a step of 1e-4 is small against them (and pooling has no near-ties)
            small = dict(hidden_dims=[6] if component != "fc_net" else [6, 5], weight_scale=0.1)
            if component == "conv_net":  # 4x4 digits (2x2 means): a full central difference stays well in time
                small.update(num_filters=2, input_dim=[1, 4, 4])
            return [config(component, **small, **e) for e in [{}] + extra]
        return [config(component, **e) for e in [{}] + extra]
    if op == "gradcheck":
        extra = [dict(normalization="batchnorm"), dict(normalization="layernorm"),
                 dict(dropout=0.25, dropout_seed=3)] if fc else []
        return [config(component, weight_scale=0.1, **e) for e in [{}, dict(reg=0.05)] + extra]
    if op == "train_test":
        extra = [dict(dropout=0.25), dict(normalization="batchnorm", weight_scale=0.3),
                 dict(normalization="layernorm", weight_scale=0.3)] if fc else []
        return [config(component, weight_scale=0.3)] + [config(component, **e) for e in extra]
    if op == "overfit":  # wide enough and He-like weights: every seed fits within the budget (seeds 0-29 checked)
        extra = [dict(normalization="batchnorm")] if fc else []
        wide = {"two_layer_net": dict(hidden_dims=[32]), "fc_net": dict(hidden_dims=[32, 32]),
                "conv_net": dict(hidden_dims=[32], num_filters=8)}[component]
        return [config(component, weight_scale=0.1, **wide, **e) for e in [{}] + extra]
    raise ValueError(op)


OVERFIT = {"two_layer_net": dict(n=30, steps=100, lr=1e-2), "fc_net": dict(n=30, steps=100, lr=1e-2),
           "conv_net": dict(n=20, steps=100, lr=1e-2)}


def model_case(component: str, op: str, cfg: dict, n: int = 20, **hp) -> Case:
    X, y = batch(component, n)
    if component == "conv_net" and list(cfg["input_dim"]) == [1, 4, 4]:
        X = X.reshape(n, 1, 4, 2, 4, 2).mean(axis=(3, 5))
    consts = {"X": X, "y": y}
    if op == "train_test":
        consts["X2"] = batch(component, 15, start=100)[0]
    return Case({}, consts, {"op": op, "config": cfg, **hp})


def cases_for(op: str, **hp):
    """Strategy factory: the fixed cases of ``op`` (sampled: Hypothesis runs each once and stops)."""
    def factory(component):
        def cases(*, dtype=np.float64, smooth=False):
            extra = dict(hp)
            n = extra.pop("n", 20)
            if op == "overfit":
                o = dict(OVERFIT[component])
                n = o.pop("n")
                extra.update(o)
            return st.sampled_from([model_case(component, op, cfg, n=n, **extra) for cfg in configs(component, op)])
        return cases
    return factory


# -- calling a model ------------------------------------------------------------------------------------

def model_call(impl, case: Case) -> dict:
    """One op of a model.  Through the sandbox (SubmissionImpl) the worker's reply comes whole (its names
    depend on the op and the architecture), after the same first-call determinism check as any component."""
    with np.errstate(all="ignore"):
        res = impl.forward(case)
    out = {}
    for k, v in dict(res).items():
        try:
            out[k] = np.asarray(v)
        except Exception:  # noqa: BLE001
            raise ImplError(f"{k} is {type(v).__name__}, but should be a NumPy array", kind="wrong_type") from None
    return out


def unsupported(res: dict) -> str:
    if "unsupported" not in res:
        return ""
    why = res.get("why")
    return "".join(chr(int(c)) for c in np.asarray(why).reshape(-1)) if why is not None else "unsupported"


def named(res: dict, prefix: str) -> dict:
    p = prefix + ":"
    return {k[len(p):]: v for k, v in res.items() if k.startswith(p)}


def where(component, case, op=None) -> str:
    cfg = case.hp["config"]
    bits = [f"hidden_dims={cfg.get('hidden_dims')}"]
    for k in ("normalization", "dropout", "reg"):
        if cfg.get(k):
            bits.append(f"{k}={cfg[k]}")
    return f"{component.name} {op or case.hp['op']} with {', '.join(bits)}"


def scalar(v) -> float:
    """A number from the reply (a 0-d or one-element array)."""
    a = np.asarray(v, dtype=np.float64).reshape(-1)
    if a.size != 1:
        raise SpecViolation(f"a scalar was expected, but the model gave an array of shape {np.shape(v)}")
    return float(a[0])


def _note(why: str) -> dict:
    return {"note": f"not applicable: {why}"}


def require_parameters(component, case, have, what: str, at: str) -> None:
    """Raise unless ``have`` (names) holds every parameter the architecture has (W1, b1, ... gamma1...): a check
    over the model's parameters must not pass because there are none (an unsolved skeleton's empty
    ``self.params = {}`` passes every "for each parameter" check vacuously: audit class N1)."""
    want = sorted(ref.shapes(component.name, case.hp["config"]))
    missing = [k for k in want if k not in have]
    if missing:
        raise SpecViolation(f"{what} has no {missing[0]!r}" + (f" (nor {len(missing) - 1} more)" if len(missing) > 1
                                                             else "") +
                            f", but the model should have {', '.join(want)} [{at}]")


# -- checks ---------------------------------------------------------------------------------------------

def check_gradients_match_parameters(component, impl, case, ctx):
    res = model_call(impl, case)
    if unsupported(res):
        return _note(unsupported(res))
    params, grads = named(res, "param"), named(res, "grad")
    at = where(component, case)
    for k, shape in ref.shapes(component.name, case.hp["config"]).items():
        if k not in params:
            raise SpecViolation(f"params has no {k!r} (it has {sorted(params)}), but should hold {k} of shape "
                                f"{shape} [{at}]")
        if params[k].shape != shape:
            raise SpecViolation(f"params[{k!r}].shape={params[k].shape}, but should be {shape} [{at}]")
    for k, p in params.items():
        if k not in grads:
            raise SpecViolation(f"grads has no {k!r}, but every parameter should have a gradient [{at}]")
        g = grads[k]
        if g.shape != p.shape:
            raise SpecViolation(f"grads[{k!r}].shape={g.shape}, but should be {p.shape} like params[{k!r}] (an "
                                f"update params[{k!r}] -= lr * grads[{k!r}] would fail or broadcast) [{at}]")
        if g.dtype != p.dtype:
            raise SpecViolation(f"grads[{k!r}].dtype={g.dtype}, but should be {p.dtype} like params[{k!r}] [{at}]")
    extra = sorted(set(grads) - set(params))
    if extra:
        raise SpecViolation(f"grads has {extra[0]!r}, but params has no such parameter [{at}]")
    return {}


def check_loss_at_init(component, impl, case, ctx):
    res = model_call(impl, case)
    if unsupported(res):
        return _note(unsupported(res))
    loss, c = scalar(res["loss"]), case.hp["config"]["num_classes"]
    expect = math.log(c)
    if not (abs(loss - expect) <= LOSS_AT_INIT_TOL):
        n = case.consts["X"].shape[0]
        hint = " (summed over the batch instead of averaged?)" if abs(loss - n * expect) < n * LOSS_AT_INIT_TOL else ""
        raise SpecViolation(f"loss={loss:.6g} at initialisation with small weights and reg 0, but should be close "
                            f"to log({c})={expect:.4f} (within {LOSS_AT_INIT_TOL}){hint} [{where(component, case)}]",
                            expected=np.asarray(expect), actual=np.asarray(loss))
    return {}


LOSS_FORM = Convention("loss_form", "exact", {
    "exact": "the mean of -log softmax(scores)[y] (CS231n softmax_loss, PyTorch)",
    "book_delta": "the mean of -log(softmax(scores)[y] + 1e-7) (the book's cross_entropy_error)"},
    accepted=("exact", "book_delta"))
REG_FORM = Convention("reg_form", "half", {
    "half": "0.5 * reg * sum W^2 with gradient reg * W (CS231n, the book's weight decay)",
    "full": "reg * sum W^2 with gradient 2 reg W (self-consistent; CS231n assignment 1's softmax)"},
    accepted=("half", "full"))
DROPOUT_FORM = Convention("dropout_form", "inverted", {
    "inverted": "test mode: no mask, no scaling (CS231n)",
    "direct": "test mode: activations scaled by 1 - p (the book's Dropout)"}, accepted=("inverted", "direct"))
BN_EPS = Convention("bn_eps", "1e-5", {
    "1e-5": "batch norm eps = 1e-5 (CS231n's bn_param default, PyTorch)",
    "1e-6": "eps = 1e-6 hard-coded (the book's BatchNormalization, 10e-7)"}, accepted=("1e-5", "1e-6"))
RUNNING_VAR = Convention("running_var", "biased", {
    "biased": "running variance tracks the biased batch variance (CS231n, the book)",
    "unbiased": "running variance tracks M/(M-1) times it (PyTorch)"}, accepted=("biased", "unbiased"))


def _accepted(component, ctx, conv):
    return tuple(ctx.accept.get(conv.name, conv.accepted))


def check_scores_without_labels(component, impl, case, ctx):
    res = model_call(impl, case)
    if unsupported(res):
        return _note(unsupported(res))
    at = where(component, case)
    s, n, c = res["scores"], case.consts["X"].shape[0], case.hp["config"]["num_classes"]
    if s.shape != (n, c):
        raise SpecViolation(f"scores.shape={s.shape}, but should be ({n}, {c}) when no labels are given [{at}]")
    if s.dtype.kind != "f" or not np.all(np.isfinite(s)):
        raise SpecViolation(f"scores are not all finite floats (dtype {s.dtype}) [{at}]")
    if not np.array_equal(s, res["scores_again"]):
        raise SpecViolation(f"scores differ between two calls without labels, but should be the same (the test mode "
                            f"is deterministic) [{at}]")
    cfg = case.hp["config"]
    if cfg.get("normalization") or cfg.get("dropout"):
        return {}  # the train-mode loss is not a function of the test-mode scores
    loss = scalar(res["loss"])
    tries = {}
    for form in _accepted(component, ctx, LOSS_FORM):
        expect = ref.data_loss(s, case.consts["y"], form)
        tries[form] = expect
        if abs(loss - expect) <= 1e-9 + 1e-7 * abs(expect):
            return {"variant": {"loss_form": form}}
    raise SpecViolation(f"loss={loss:.10g}, but should be {tries['exact']:.10g}, the softmax cross-entropy of the "
                        f"scores the model gives without labels [{at}]", expected=np.asarray(tries["exact"]),
                        actual=np.asarray(loss))


def check_regularization(component, impl, case, ctx):
    res = model_call(impl, case)
    if unsupported(res):
        return _note(unsupported(res))
    at = where(component, case, f"regularization reg={case.hp['reg']}")
    reg, params = float(case.hp["reg"]), named(res, "param")
    g0, gr = named(res, "grad0"), named(res, "gradR")
    require_parameters(component, case, params, "params", at)
    dl = scalar(res["lossR"]) - scalar(res["loss0"])
    weights = sorted(k for k in params if ref.is_weight(k))
    first = None
    for form in _accepted(component, ctx, REG_FORM):
        try:
            expect = ref.reg_term(params, reg, form)
            assert_close(np.asarray(dl), np.asarray(expect), rtol=1e-6, atol=1e-10, name="loss(reg) - loss(0)",
                         where=at)
            eg = ref.reg_grad(params, reg, form)
            for k in sorted(params):
                if k not in g0 or k not in gr:
                    raise SpecViolation(f"grads has no {k!r} [{at}]")
                assert_close(np.asarray(gr[k], np.float64) - np.asarray(g0[k], np.float64), eg[k], rtol=1e-6,
                             atol=1e-10, name=f"grads[{k!r}](reg) - grads[{k!r}](0)", where=at)
            return {"variant": {"reg_form": form}}
        except SpecViolation as e:
            first = first or e
    wsum = "0.5 * reg * sum(W**2)"
    if first.message.startswith("loss(reg)"):
        first.message = first.message.replace(", but should be", f", but should be {wsum} over {', '.join(weights)} =", 1)
    else:
        first.message = first.message.replace(", but should be", ", but should be reg * W (0 for biases, gamma, beta):", 1)
    raise first


def check_gradient_check(component, impl, case, ctx):
    res = model_call(impl, case)
    if unsupported(res):
        return _note(unsupported(res))
    at = where(component, case)
    require_parameters(component, case, {k[3:] for k in res if k.startswith("ad:")}, "the gradient check's parameters", at)
    for key in sorted(k for k in res if k.startswith("ad:")):
        k = key[3:]
        ad = scalar(res[key])
        fds = [scalar(res[f"fd1:{k}"]), scalar(res[f"fd2:{k}"])]
        if not math.isfinite(ad):
            raise SpecViolation(f"grads[{k!r}] cannot be paired with params[{k!r}] (missing or of another shape) "
                                f"[{at}]")
        if any(abs(ad - fd) <= GRAD_FLOOR + GRAD_RTOL * max(abs(ad), abs(fd)) for fd in fds):
            continue
        raise SpecViolation(f"d loss / d {k} along a random direction={ad:.6g}, but should be {fds[1]:.6g} (central "
                            f"differences of the model's own loss, steps 1e-5: {fds[0]:.6g} and 1e-6: {fds[1]:.6g}) "
                            f"[{at}]", expected=np.asarray(fds[1]), actual=np.asarray(ad))
    return {}


def check_train_test(component, impl, case, ctx):
    res = model_call(impl, case)
    if unsupported(res):
        return _note(unsupported(res))
    cfg, at = case.hp["config"], where(component, case)
    s, s2 = res["scores"], res["scores_again"]
    if s.shape != s2.shape or not np.array_equal(s, s2):
        hint = " (dropout still active at test time?)" if cfg.get("dropout") else ""
        raise SpecViolation(f"test-mode scores differ between two calls on the same input, but should be the same"
                            f"{hint} [{at}]")
    params = named(res, "param")
    missing = [k for k in ref.shapes(component.name, cfg) if k not in params]
    if missing:
        raise SpecViolation(f"params has no {missing[0]!r} [{at}]")
    first = None
    for form in _accepted(component, ctx, DROPOUT_FORM) if cfg.get("dropout") else ("inverted",):
        bn = cfg.get("normalization") == "batchnorm"
        for var, eps in itertools.product(_accepted(component, ctx, RUNNING_VAR) if bn else ("biased",),
                                          _accepted(component, ctx, BN_EPS) if bn else ("1e-5",)):
            try:
                running = ref.running_after(component.name, cfg, params, case.consts["X"], case.hp["passes"], var,
                                             float(eps)) \
                    if bn else None
                expect = ref.scores(component.name, cfg, params, case.consts["X2"], running=running, dropout_form=form,
                                    bn_eps=float(eps))
            except (ValueError, TypeError) as e:
                raise SpecViolation(f"the architecture cannot run on these params ({e}) [{at}]") from None
            try:
                assert_close(s, expect, rtol=TEST_RTOL, atol=TEST_ATOL, name="test-mode scores", where=at)
                v = {}
                if cfg.get("dropout"):
                    v["dropout_form"] = form
                if bn:
                    v.update(running_var=var, bn_eps=eps)
                return {"variant": v} if v else {}
            except SpecViolation as e:
                first = first or e
    why = {"batchnorm": " (batch norm should use the running statistics at test time)",
           "layernorm": ""}.get(cfg.get("normalization"), "")
    if cfg.get("dropout"):
        why = " (dropout should be off at test time)"
    first.message = first.message.replace(" [", f"{why} [", 1) if why else first.message
    raise first


def check_overfits_small_batch(component, impl, case, ctx):
    res = model_call(impl, case)
    if unsupported(res):
        return _note(unsupported(res))
    at = where(component, case, "overfit")
    losses, acc = np.asarray(res["losses"], dtype=np.float64), scalar(res["accuracy"])
    n, steps, lr = case.consts["X"].shape[0], case.hp["steps"], case.hp["lr"]
    if losses.size == 0 or not np.all(np.isfinite(losses)):
        raise SpecViolation(f"the loss became non-finite while training ({steps} Adam steps, lr {lr}) [{at}]")
    if not losses[-1] < losses[0]:
        raise SpecViolation(f"loss went {losses[0]:.4g} -> {losses[-1]:.4g} in {steps} Adam steps (lr {lr}) on {n} "
                            f"digits, but should decrease [{at}]")
    if acc < 1.0:
        raise SpecViolation(f"train accuracy={acc:.3g} after {steps} Adam steps (lr {lr}) on {n} digits, but should be "
                            f"1.0 (loss {losses[0]:.4g} -> {losses[-1]:.4g}) [{at}]", expected=np.asarray(1.0),
                            actual=np.asarray(acc))
    return {}


def check_own_numerical_gradient_agrees(component, impl, case, ctx):
    res = model_call(impl, case)
    if unsupported(res):
        return _note(unsupported(res))
    at = where(component, case, "numerical gradient")
    num, ana = named(res, "num"), named(res, "ana")
    require_parameters(component, case, set(ana), "the gradient", at)
    for k in sorted(ana):
        if k not in num:
            raise SpecViolation(f"the numerical gradient has no {k!r}, but the gradient has [{at}]")
        a, g = np.asarray(num[k], np.float64), np.asarray(ana[k], np.float64)
        if a.shape != g.shape:
            raise SpecViolation(f"gradient[{k!r}].shape={g.shape}, but should be {a.shape} like its numerical "
                                f"gradient [{at}]")
        bad = np.abs(a - g) > NUMGRAD_ATOL + NUMGRAD_RTOL * np.abs(a)
        allowed = int(NUMGRAD_SHARE * a.size)  # a step straddling a kink spoils single elements
        if bad.sum() > allowed:
            i = np.unravel_index(int(np.argmax(np.where(bad, np.abs(a - g), -1))), a.shape)
            raise SpecViolation(f"gradient[{k!r}]{list(i)}={g[i]:.6g}, but should be {a[i]:.6g} like the numerical "
                                f"gradient ({int(bad.sum())} of {a.size} elements differ) [{at}]",
                                stats={"mismatched": f"{int(bad.sum())} / {a.size}"}, expected=a, actual=g)
    return {}


# -- records --------------------------------------------------------------------------------------------

def _reference_forward(component):
    def forward(case, v):
        def build(cfg):
            net = ref.Net(component, cfg, reg_form=v.get("reg_form", "half"),
                          dropout_form=v.get("dropout_form", "inverted"))
            return net
        with np.errstate(all="ignore"):
            return adapters_models.run_op(build, case)
    return forward


PROPS = (
    ("gradients_match_parameters", check_gradients_match_parameters, cases_for("inspect"),
     "every parameter of the architecture, with its shape, has a gradient of the same name, shape and dtype"),
    ("loss_at_init", check_loss_at_init, cases_for("inspect"),
     f"small weights and reg 0: the loss is within {LOSS_AT_INIT_TOL} of log(num_classes)"),
    ("scores_without_labels", check_scores_without_labels, cases_for("inspect"),
     "without labels: test-mode scores (N, C), deterministic; the loss is the softmax cross-entropy of them"),
    ("regularization", check_regularization, cases_for("regularization", reg=REG),
     "loss(reg) - loss(0) = 0.5 reg sum W^2 over weights only, gradients change by reg W"),
    ("gradient_check", check_gradient_check, cases_for("gradcheck"),
     "float64 directional central differences of the model's loss agree with its gradients, every parameter"),
    ("train_test", check_train_test, cases_for("train_test", passes=PASSES),
     "test mode: deterministic, dropout off, batch norm on the running statistics; scores equal the architecture's"),
    ("overfits_small_batch", check_overfits_small_batch, cases_for("overfit"),
     "Adam on a small digits batch reaches 100% training accuracy in a fixed budget; the loss decreases"),
    ("own_numerical_gradient_agrees", check_own_numerical_gradient_agrees, cases_for("numgrad"),
     "the dialect's own numerical gradient of the model agrees with its gradient"),
)

BUILT_FROM = {"two_layer_net": ("affine", "relu", "softmax_cross_entropy"),
              "fc_net": ("affine", "relu", "batch_norm", "layer_norm", "dropout", "softmax_cross_entropy"),
              "conv_net": ("conv2d", "relu", "max_pool2d", "affine", "softmax_cross_entropy")}
DOCS = {"two_layer_net": "affine - relu - affine - softmax cross-entropy (ch05 TwoLayerNet, CS231n fc_net.TwoLayerNet)",
        "fc_net": "(affine - [batch|layer norm] - relu - [dropout]) x L-1 - affine (MultiLayerNet[Extend], "
                  "CS231n FullyConnectedNet)",
        "conv_net": "conv - relu - 2x2 max pool - affine - relu - affine (ch07 SimpleConvNet, CS231n ThreeLayerConvNet)"}


def _component(name):
    return Component(
        name=name, kind="model", forward=_reference_forward(name), cases=cases_for("inspect")(name), doc=DOCS[name],
        conventions=(LOSS_FORM, REG_FORM, DROPOUT_FORM, RUNNING_VAR, BN_EPS),
        properties=tuple(Property(p, chk, doc, cases=f(name)) for p, chk, f, doc in PROPS),
        generic=(), built_from=BUILT_FROM[name], couples_batch=True)


COMPONENTS = [_component(n) for n in ref.MODELS]
