"""Reproduction snippets written in the student's own API (``Relu().backward(...)``,
``relu_backward(dout, cache)``...), for the minimal counterexample of a failed property."""
from __future__ import annotations

import numpy as np

from .checks import reference_dout
from .record import Case, Component

BACKWARD_PROPS = ("backward_matches_reference", "backward_matches_finite_differences", "grad_at_zero",
                  "derivative_at_most_quarter")

BOOK_LAYERS = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "Relu", "leaky_relu": "LeakyRelu", "elu": "Elu",
               "softmax": "Softmax", "affine": "Affine", "conv2d": "Convolution", "max_pool2d": "Pooling",
               "dropout": "Dropout", "batch_norm": "BatchNormalization", "softmax_cross_entropy": "SoftmaxWithLoss"}
BOOK_FUNCS = {"identity": "identity_function", "step": "step_function", "sigmoid": "sigmoid", "relu": "relu",
              "softmax": "softmax", "log_softmax": "log_softmax", "tanh": "tanh",
              "sum_squared_error": "sum_squared_error", "cross_entropy": "cross_entropy_error"}
BOOK_OPT = {"sgd": "SGD", "momentum": "Momentum", "nesterov": "Nesterov", "adagrad": "AdaGrad",
            "rmsprop": "RMSprop", "adam": "Adam"}
CS_LAYERS = {"relu": "relu", "sigmoid": "sigmoid", "tanh": "tanh", "leaky_relu": "leaky_relu", "affine": "affine",
             "conv2d": "conv", "max_pool2d": "max_pool", "dropout": "dropout", "batch_norm": "batchnorm",
             "spatial_batch_norm": "spatial_batchnorm", "layer_norm": "layernorm", "group_norm": "spatial_groupnorm"}
CS_OPT = {"sgd": "sgd", "momentum": "sgd_momentum", "nesterov": "sgd_nesterov", "adagrad": "adagrad",
          "rmsprop": "rmsprop", "adam": "adam"}


def lit(v) -> str:
    if isinstance(v, np.ndarray):
        with np.printoptions(precision=17, threshold=10**6, floatmode="unique"):
            body = np.array2string(v, separator=", ").replace("\n", "")
        return f"np.array({body}, dtype=np.{v.dtype})"
    return repr(v)


def _dout(component: Component, case: Case, prop: str):
    if component.backward is None:
        return None
    if prop in ("grad_at_zero", "derivative_at_most_quarter"):
        return np.ones_like(case["x"])
    return reference_dout(component, case)


def _args(case: Case, names) -> list[str]:
    return [n for n in names if case.get(n) is not None]


def snippet(style: str, component: Component, prop: str, case: Case, root: str, options: dict | None = None) -> str:
    name = component.name
    lines = ["import sys", f"sys.path.insert(0, {root!r})", "import numpy as np"]
    for d in (case.arrays, case.consts):
        for k, v in d.items():
            lines.append(f"{k} = {lit(v)}")
    want_bwd = prop in BACKWARD_PROPS and component.backward is not None
    dout = _dout(component, case, prop) if want_bwd else None
    if dout is not None:
        lines.append(f"dout = {lit(dout)}")
    hp = {k: v for k, v in case.hp.items()}
    xs = [k for k in case.arrays] + [k for k in case.consts]
    call = ", ".join(xs)
    body = _body(style, name, component, case, hp, call, want_bwd, options or {})
    if body is None:
        from .impl import Impl
        return Impl.repro(type("R", (), {"component": component, "backend": style})(), prop, case)
    lines += body
    lines.append(f"# property: {name}::{prop}")
    return "\n".join(lines) + "\n"


def _body(style, name, component, case, hp, call, want_bwd, options):
    hp_kw = ", ".join(f"{k}={v!r}" for k, v in hp.items())
    if style == "book":
        if name in BOOK_OPT:
            return [f"from common.optimizer import {BOOK_OPT[name]}",
                    f"opt = {BOOK_OPT[name]}({hp_kw})  # hyperparameters of the case (names may differ)",
                    f"params = {{'W': {xs0(case)}.copy()}}",
                    "for g in grads:", "    opt.update(params, {'W': g.copy()})", "    print(params['W'])"]
        if name == "numerical_gradient":
            return ["from common.gradient import numerical_gradient",
                    "from spec_nn.reference.gradient import function",
                    f"f = function({hp.get('f')!r})  # the test function the grader passed",
                    "print(numerical_gradient(f, x.copy()))"]
        if name in BOOK_LAYERS:
            cls = BOOK_LAYERS[name]
            ctor = {"affine": f"{_w(case)}, b", "conv2d": f"{_w(case)}, b, stride={hp.get('stride', 1)}, "
                    f"pad={hp.get('pad', 0)}", "max_pool2d": "pool_h=..., pool_w=..., stride=...",
                    "batch_norm": "gamma, beta", "dropout": "dropout_ratio=..."}.get(name, "")
            pre, crop = [], ""
            if name == "max_pool2d":
                pad = int(hp.get("pad", 0) or 0)
                ctor = ", ".join(f"{k}={(0 if k == 'pad' else v)!r}" for k, v in hp.items())
                if pad:  # the grader pads with -inf itself (the book's Pooling ignores pad) and crops dx
                    pre = [f"x = np.pad(x, ((0, 0), (0, 0), ({pad}, {pad}), ({pad}, {pad})), constant_values=-np.inf)"]
                    crop = f"[:, :, {pad}:-{pad}, {pad}:-{pad}]"
            fwd = "layer.forward(x, t)" if name == "softmax_cross_entropy" else "layer.forward(x.copy())"
            lines = [f"from common.layers import {cls}", *pre, f"layer = {cls}({ctor})", f"out = {fwd}", "print(out)"]
            if want_bwd:
                lines += [f"dx = layer.backward(dout.copy()){crop}" if name != "softmax_cross_entropy"
                          else "dx = layer.backward(1)", "print(dx)"]
                for attr in ("dW", "db", "dgamma", "dbeta"):
                    if (attr[1:].lower() in [k.lower() for k in case.arrays]):
                        lines.append(f"print(layer.{attr})")
            return lines
        if name in BOOK_FUNCS:
            return [f"from common.functions import {BOOK_FUNCS[name]}", f"print({BOOK_FUNCS[name]}({call}))"]
        return None
    if style == "cs231n":
        if name in CS_OPT:
            return [f"from cs231n.optim import {CS_OPT[name]}", f"config = {{{', '.join(f'{k!r}: {v!r}' for k, v in hp.items())}}}"
                    "  # learning_rate, momentum, ... as in the case", f"w = {xs0(case)}.copy()",
                    "for g in grads:", f"    w, config = {CS_OPT[name]}(w, g.copy(), config)", "    print(w)"]
        if name in ("softmax_cross_entropy", "svm_loss"):
            fn = "softmax_loss" if name == "softmax_cross_entropy" else "svm_loss"
            lab = [k for k in case.consts][:1] or ["y"]
            return [f"from cs231n.layers import {fn}", f"loss, dx = {fn}(x, {lab[0]})", "print(loss, dx)"]
        if name == "numerical_gradient":
            return ["from cs231n.gradient_check import eval_numerical_gradient",
                    "from spec_nn.reference.gradient import function",
                    f"f = function({hp.get('f')!r})  # the test function the grader passed",
                    "print(eval_numerical_gradient(f, x.copy(), verbose=False))"]
        if name in CS_LAYERS:
            base = CS_LAYERS[name]
            naive = "_naive" if name in ("conv2d", "max_pool2d") else ""
            f, b = f"{base}_forward{naive}", f"{base}_backward{naive}"
            extra = {"conv2d": f", {{'stride': {hp.get('stride', 1)!r}, 'pad': {hp.get('pad', 0)!r}}}",
                     "dropout": f", {{'p': ..., 'mode': {hp.get('mode', 'train')!r}, 'seed': {hp.get('seed', 0)!r}}}",
                     "batch_norm": f", {{'mode': {hp.get('mode', 'train')!r}, 'eps': {hp.get('eps', 1e-5)!r}}}",
                     "spatial_batch_norm": f", {{'mode': {hp.get('mode', 'train')!r}, 'eps': {hp.get('eps', 1e-5)!r}}}",
                     "layer_norm": f", {{'eps': {hp.get('eps', 1e-5)!r}}}",
                     "group_norm": f", {hp.get('G', hp.get('groups'))!r}, {{'eps': {hp.get('eps', 1e-5)!r}}}",
                     "max_pool2d": ", {" + ", ".join(f"{k!r}: {v!r}" for k, v in hp.items()) + "}"}.get(name, "")
            args = ", ".join(case.arrays)
            if name == "group_norm":
                args = "x, gamma.reshape(1, -1, 1, 1), beta.reshape(1, -1, 1, 1)"
            lines = [f"from cs231n.layers import {f}, {b}", f"out, cache = {f}({args}{extra})", "print(out)"]
            if want_bwd:
                grads = ", ".join("d" + k for k in case.arrays)
                lines += [f"{grads} = {b}(dout.copy(), cache)", f"print({grads})"]
            return lines
        return None
    return None


def xs0(case):
    return next(iter(case.arrays), None) or next(iter(case.consts), "w")


def _w(case):
    return "W" if "W" in case.arrays else "w"
