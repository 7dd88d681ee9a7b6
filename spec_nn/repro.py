"""Reproduction snippets written in the student's own API (``Relu().backward(...)``, ``relu_backward(dout,
cache)``, ``sgd(w, dw, config)``, the manifest's own callables...), for the minimal counterexample of a failed
property.

A snippet runs as printed, in a fresh interpreter, from anywhere: it puts the submission on ``sys.path``,
defines the inputs with their real values, calls the submission the way the grader's adapter does (pool_height /
pool_width keys, integer labels for softmax_loss / svm_loss, mode='test', book-2 optimizers with lists, the
gradient attribute the layer sets) and prints what comes back.  Its last line re-runs the very check the grader
ran, on that input, through the same adapters, in-process (:func:`check_submission`): it raises the
SpecViolation the grader reported, or the student's own exception.
"""
from __future__ import annotations

import os
import random
import re

import numpy as np

from .checks import reference_dout
from .errors import ImplError
from .impl import Impl
from .record import Case, Component, outputs

BACKWARD_PROPS = ("backward_matches_reference", "backward_matches_finite_differences", "grad_at_zero",
                  "derivative_at_most_quarter", "does_not_mutate_inputs")

BOOK_LAYERS = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "Relu", "leaky_relu": "LeakyRelu", "elu": "Elu",
               "prelu": "PRelu", "softmax": "Softmax", "affine": "Affine", "conv2d": "Convolution",
               "max_pool2d": "Pooling", "dropout": "Dropout", "batch_norm": "BatchNormalization",
               "softmax_cross_entropy": "SoftmaxWithLoss"}
BOOK_FUNCS = {"identity": "identity_function", "step": "step_function", "sigmoid": "sigmoid", "relu": "relu",
              "softmax": "softmax", "log_softmax": "log_softmax", "tanh": "tanh", "leaky_relu": "leaky_relu",
              "elu": "elu", "sum_squared_error": "sum_squared_error", "cross_entropy": "cross_entropy_error"}
BOOK_OPT = {"sgd": "SGD", "momentum": "Momentum", "nesterov": "Nesterov", "adagrad": "AdaGrad",
            "rmsprop": "RMSprop", "adam": "Adam"}
CS_LAYERS = {"relu": "relu", "sigmoid": "sigmoid", "tanh": "tanh", "leaky_relu": "leaky_relu", "prelu": "prelu",
             "affine": "affine", "conv2d": "conv", "max_pool2d": "max_pool", "dropout": "dropout",
             "batch_norm": "batchnorm", "spatial_batch_norm": "spatial_batchnorm", "layer_norm": "layernorm",
             "group_norm": "spatial_groupnorm"}
CS_OPT = {"sgd": "sgd", "momentum": "sgd_momentum", "nesterov": "sgd_nesterov", "adagrad": "adagrad",
          "rmsprop": "rmsprop", "adam": "adam"}
CS_LOSSES = {"softmax_cross_entropy": "softmax_loss", "svm_loss": "svm_loss"}


def lit(v) -> str:
    if isinstance(v, np.ndarray):
        with np.printoptions(precision=17, threshold=10**6, floatmode="unique"):
            body = np.array2string(v, separator=", ").replace("\n", "")
        return f"np.array({body}, dtype=np.{v.dtype})"
    if isinstance(v, (np.floating, np.integer, np.bool_)):
        return repr(v.item())
    return repr(v)


def _dout(component: Component, case: Case, prop: str):
    if component.backward is None:
        return None
    if prop in ("grad_at_zero", "derivative_at_most_quarter"):
        return np.ones_like(case["x"])
    return reference_dout(component, case)


class _View:
    """What the adapters' helpers look a case up in (spec_nn.adapters.CaseView, without importing the worker)."""

    def __init__(self, case: Case):
        from .adapters import CaseView
        self.view = CaseView(case.arrays, case.consts, case.hp)

    def __getattr__(self, name):
        return getattr(self.view, name)


def _source(root: str, *parts: str) -> str:
    try:
        with open(os.path.join(root, *parts), encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def _class_source(text: str, cls: str) -> str:
    m = re.search(rf"^class {re.escape(cls)}\b.*?(?=^\S|\Z)", text, re.M | re.S)
    return m.group(0) if m else ""


def grad_attrs(root: str, cls: str, names) -> dict:
    """{spec name: how the layer exposes its gradient} as its source shows: ``layer.dW``, ``layer.dw`` or the
    book-2 ``layer.grads[i]``."""
    src = _class_source(_source(root, "common", "layers.py"), cls)
    out = {}
    for i, (spec, attrs) in enumerate(names):
        attr = next((a for a in attrs if re.search(rf"self\.{a}\b", src)), None)
        if attr:
            out[spec] = f"layer.{attr}"
        elif re.search(r"self\.grads\b", src):
            out[spec] = f"layer.grads[{i}]"
        else:
            out[spec] = f"layer.{attrs[0]}"
    return out


def _list_form(root: str, cls: str) -> bool:
    """Book 2's optimizers take lists (params[i]); book 1's take dicts (params[key])."""
    src = _class_source(_source(root, "common", "optimizer.py"), cls)
    return bool(re.search(r"range\(len\(params\)\)|params\[i\]", src)) and "params.keys()" not in src \
        and "params.items()" not in src


def _kw(d: dict) -> str:
    return ", ".join(f"{k}={lit(v)}" for k, v in d.items())


def _dict(d: dict) -> str:
    return "{" + ", ".join(f"{k!r}: {lit(v) if not isinstance(v, str) or not v.startswith('@') else v[1:]}"
                           for k, v in d.items()) + "}"


def snippet(style: str, component: Component, prop: str, case: Case, root: str, options: dict | None = None, *,
            api: str = "", accept: dict | None = None, manifest: dict | None = None,
            manifest_path: str | None = None) -> str:
    """The snippet for ``component::prop`` failing on ``case`` (see the module docstring)."""
    name = component.name
    options = {k: v for k, v in (options or {}).items() if k in ("p_meaning",)}
    root = os.path.abspath(root)
    lines = ["import sys", f"sys.path.insert(0, {root!r})", "import numpy as np", ""]
    for d in (case.arrays, case.consts):
        for k, v in d.items():
            lines.append(f"{k} = {lit(v)}")
    for k, v in case.hp.items():
        if k.isidentifier() and k not in case.arrays and k not in case.consts:
            lines.append(f"{k} = {lit(v)}")
    want_bwd = prop in BACKWARD_PROPS and component.backward is not None
    dout = _dout(component, case, prop) if want_bwd else None
    if dout is not None:
        lines.append(f"dout = {lit(dout)}")
    part = lambda d: "{" + ", ".join(f"{k!r}: {k}.copy()" if isinstance(v, np.ndarray) else f"{k!r}: {k}"  # noqa
                                     for k, v in d.items()) + "}"
    hp_code = "{" + ", ".join(f"{k!r}: {k if k.isidentifier() and k not in case.arrays and k not in case.consts else lit(v)}"
                              for k, v in case.hp.items()) + "}"
    lines += ["from spec_nn import Case",
              f"case = Case(arrays={part(case.arrays)}, consts={part(case.consts)}, hp={hp_code})", ""]
    try:
        body = _body(style, name, component, case, want_bwd, options, root, api, manifest)
    except Exception:  # noqa: BLE001 - the shown calls are a courtesy; the check below reproduces anyway
        body = None
    if body:
        lines.append(f"# {name} called as the grader calls it ({style} style):")
        lines += body
        lines.append("")
    extra = []
    if options:
        extra.append(f"options={options!r}")
    if accept:
        extra.append(f"accept={ {k: tuple(v) for k, v in accept.items()}!r}")
    if style == "manifest":
        extra.append(f"manifest={manifest_path!r}" if manifest_path or not manifest else f"manifest={manifest!r}")
    lines += ["# The check the grader ran, on this input (raises what the grader reported):",
              "from spec_nn.repro import check_submission",
              f"check_submission({root!r}, {style!r}, {name!r}, {prop!r}, case" + "".join(f", {e}" for e in extra)
              + ")"]
    return "\n".join(lines) + "\n"


def _body(style, name, component, case, want_bwd, options, root, api, manifest):
    c = _View(case)
    hp = case.hp
    entry = hp.get("entry") if isinstance(hp.get("entry"), str) else ""
    if style == "book":
        return _book(name, component, case, c, want_bwd, root, api, entry)
    if style == "cs231n":
        return _cs231n(name, component, case, c, want_bwd, options, entry, root)
    if style == "manifest":
        return _manifest(name, case, want_bwd, manifest)
    return None


def _api_name(api: str, prefix: str) -> str:
    """The class name an api string gives ("common.layers.AffineLayer" -> "AffineLayer"), '' for another prefix."""
    return api[len(prefix):].split()[0].split(";")[0] if api.startswith(prefix) else ""


def _book(name, component, case, c, want_bwd, root, api, entry):
    from .adapters_book import edition_of as _edition_of
    from .adapters import case_labels, conv_hp, dropout_ratio, is_train, optimizer_kwargs, pool_hp
    if name in BOOK_OPT:
        cls = _api_name(api, "common.optimizer.") or BOOK_OPT[name]
        pname = next(iter(case.arrays), None) or next(k for k, v in case.consts.items() if k not in ("grads",))
        gname = next(k for k in ("grads", "g", "gs", "dws") if k in case.consts or k in case.arrays)
        lst = _list_form(root, cls)
        lines = [f"from common.optimizer import {cls}", f"opt = {cls}({_kw(optimizer_kwargs(c, name, 1))})",
                 f"w = {pname}.copy()"]
        if lst:
            lines += [f"params = [w]", f"for g in {gname}:", "    opt.update(params, [g.copy()])",
                      "    print(params[0])"]
        else:
            lines += [f"params = {{'W': w}}", f"for g in {gname}:", "    opt.update(params, {'W': g.copy()})",
                      "    print(params['W'])"]
        return lines
    if name == "numerical_gradient":
        return ["from common.gradient import numerical_gradient", "from spec_nn.reference.gradient import function",
                f"f_ = function({case.hp.get('f')!r})  # the scalar test function the grader differentiates",
                "print(numerical_gradient(f_, x.copy()))"]
    fn_api = api.startswith("common.functions") or name not in BOOK_LAYERS or (entry or "").startswith("functions.")
    if fn_api and name in BOOK_FUNCS:
        fn = BOOK_FUNCS[name]
        if api.startswith("common.functions."):  # the name the submission uses (softmax_function...)
            fn = api.removeprefix("common.functions.").split()[0].split(";")[0]
        if name in ("sum_squared_error", "cross_entropy"):
            y = next(iter(case.arrays))
            t = next(k for k in ("t", "y", "labels", "target") if k in case.consts) if case.consts else "t"
            return [f"from common.functions import {fn}", f"loss = {fn}({y}.copy(), {t}.copy())", "print(loss)"]
        call = f"{fn}(x.copy())"
        if entry == "functions.softmax" and root and _edition_of(root) == 2:  # book 2's softmax takes rows
            call = f"{fn}(x.reshape(-1, x.shape[-1]).copy()).reshape(x.shape)"
        lines = [f"from common.functions import {fn}", f"out = {call}", "print(out)"]
        grad_fn = (entry or "").removeprefix("functions.") if entry else ""
        if not grad_fn and " / " in api:
            grad_fn = api.split(" / ", 1)[1].split()[0]
        if want_bwd and grad_fn:
            lines += [f"from common.functions import {grad_fn}", f"dx = dout * {grad_fn}(x.copy())", "print(dx)"]
        return lines
    if name not in BOOK_LAYERS:
        return None
    cls = _api_name(api, "common.layers.") or BOOK_LAYERS[name]
    grads = []
    if name == "affine":
        w = "W" if "W" in case.arrays else "w"
        ctor, grads = f"{w}.copy(), b.copy()", [("w", ("dW", "dw")), ("b", ("db",))]
    elif name == "conv2d":
        w = "W" if "W" in case.arrays else "w"
        s, p = conv_hp(c)
        ctor, grads = f"{w}.copy(), b.copy(), {s}, {p}", [("w", ("dW", "dw")), ("b", ("db",))]
    elif name == "prelu":
        cls = api.removeprefix("common.layers.") if api.startswith("common.layers.") else cls  # PRelu or PReLU
        ctor, grads = "a.copy()", [("a", ("da", "dalpha"))]
    elif name == "max_pool2d":
        ctor = ", ".join(str(v) for v in pool_hp(c))
    elif name == "dropout":
        ctor = repr(dropout_ratio(c))
    elif name == "batch_norm":
        kw = [f"{k}={k}.copy()" for k in ("running_mean", "running_var") if k in case.consts or k in case.arrays]
        if case.get("momentum") is not None:
            kw.append(f"momentum={lit(case.get('momentum'))}")
        ctor, grads = ", ".join(["gamma.copy()", "beta.copy()"] + kw), [("gamma", ("dgamma",)), ("beta", ("dbeta",))]
    else:
        ctor = ""
    train = ""
    if name in ("dropout", "batch_norm"):
        train = f", train_flg={is_train(c)!r}"
    lines = [f"from common.layers import {cls}", f"layer = {cls}({ctor})"]
    if name == "softmax_cross_entropy":
        t = case_labels(c)
        tname = next(k for k in ("t", "y", "labels", "target") if k in case.consts)
        lines += [f"loss = layer.forward(x.copy(), {tname}.copy())", "print(loss)"]
        if want_bwd:
            d = float(np.asarray(_dout(component, case, "backward_matches_reference")).reshape(-1)[0])
            lines += [f"dx = layer.backward({lit(d) if d != 1 else 1})", "print(dx)"]
        del t
        return lines
    if name == "softmax":
        lines += ["out = layer.forward(x.reshape(-1, x.shape[-1]).copy()).reshape(x.shape)", "print(out)"]
        if want_bwd:
            lines += ["dx = layer.backward(dout.reshape(-1, x.shape[-1]).copy()).reshape(x.shape)", "print(dx)"]
        return lines
    lines += [f"out = layer.forward(x.copy(){train})", "print(out)"]
    if name == "batch_norm":
        lines += ["print(layer.running_mean, layer.running_var)"]
    if want_bwd and not (name in ("dropout", "batch_norm") and not is_train(c)):
        lines += ["dx = layer.backward(dout.copy())", "print(dx)"]
        for spec, expr in grad_attrs(root, cls, grads).items():
            if spec in case.arrays or (spec == "w" and "W" in case.arrays):
                lines.append(f"print({expr})")
    return lines


_DOC_STANDINS: dict = {}


def _p_meaning(root: str, options: dict) -> str:
    """keep | drop, as the cs231n adapter reads the submission's dropout p: the rubric's word, else its
    docstring (read from the source here: nothing of the submission runs in the grading process)."""
    meaning = options.get("p_meaning", "as_documented")
    if meaning in ("keep", "drop"):
        return meaning
    import ast
    try:
        tree = ast.parse(_source(root, "cs231n", "layers.py"))
        node = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "dropout_forward")
        doc = ast.get_docstring(node) or ""
        from .adapters_cs231n import documented_p_meaning
        fake = _DOC_STANDINS.setdefault(doc, type("F", (), {"__doc__": doc})())  # kept alive: the cache is by id
        return documented_p_meaning(fake) or "keep"
    except Exception:  # noqa: BLE001 - unknown: the check line below uses the adapter's own reading
        return "keep"


def _cs231n(name, component, case, c, want_bwd, options, entry, root="."):
    from .adapters import conv_hp, dropout_ratio, is_train, labels_int, optimizer_kwargs, pool_hp
    if name in CS_OPT:
        fn = CS_OPT[name]
        pname = next(iter(case.arrays), None) or next(k for k in case.consts if k != "grads")
        gname = next(k for k in ("grads", "g", "gs", "dws") if k in case.consts or k in case.arrays)
        return [f"from cs231n.optim import {fn}", f"config = {_dict(optimizer_kwargs(c, name, 2))}",
                f"w = {pname}.copy()", f"for dw in {gname}:", f"    w, config = {fn}(w, dw.copy(), config)",
                "    print(w)"]
    if name in CS_LOSSES:
        fn = CS_LOSSES[name]
        tname = next(k for k in ("t", "y", "labels", "target") if k in case.consts)
        labels = labels_int(case.consts[tname])
        lines = [f"from cs231n.layers import {fn}", f"labels = {lit(np.asarray(labels))}  # integer class labels",
                 f"loss, dx = {fn}(x.copy(), labels)", "print(loss)"]
        if want_bwd:
            lines += ["dx = dx * dout  # times the upstream gradient the grader passes (the chain rule)"]
        lines += ["print(dx)"]
        return lines
    if name == "numerical_gradient":
        h = case.hp.get("h")
        return ["from cs231n.gradient_check import eval_numerical_gradient",
                "from spec_nn.reference.gradient import function",
                f"f_ = function({case.hp.get('f')!r})  # the scalar test function the grader differentiates",
                f"print(eval_numerical_gradient(f_, x.copy(), verbose=False{', h=' + lit(h) if h is not None else ''}))"]
    if name not in CS_LAYERS:
        return None
    base = CS_LAYERS[name]
    naive = "_naive" if name in ("conv2d", "max_pool2d") else ""
    f, b = f"{base}_forward{naive}", f"{base}_backward{naive}"
    if entry and entry.startswith("layers."):
        b = entry.removeprefix("layers.")
    mode = "train" if is_train(c) else "test"
    pre = []
    args = ", ".join(f"{k}.copy()" for k in case.arrays)
    grads = list(case.arrays)
    if name == "conv2d":
        s, p = conv_hp(c)
        args += f", {{'stride': {s}, 'pad': {p}}}"
    elif name == "max_pool2d":
        ph, pw, s, p = pool_hp(c)
        if p:
            pre = [f"x = np.pad(x, ((0, 0), (0, 0), ({p}, {p}), ({p}, {p})), constant_values=-np.inf)"
                   "  # max_pool_forward_naive has no pad: the grader pads with -inf"]
        args = f"x.copy(), {{'pool_height': {ph}, 'pool_width': {pw}, 'stride': {s}}}"
    elif name == "dropout":
        drop = dropout_ratio(c)
        keep = _p_meaning(root, options) == "keep"
        p = (1.0 - drop) if keep else drop
        pre = [f"# p read as the {'keep' if keep else 'drop'} probability"]
        args += f", {{'p': {lit(p)}, 'mode': {mode!r}, 'seed': {int(c.first('seed', default=0))}}}"
    elif name in ("batch_norm", "spatial_batch_norm"):
        param = {"mode": mode, "eps": float(c.first("eps", default=1e-5)),
                 "momentum": float(c.first("momentum", default=0.9))}
        param.update({k: f"@{k}.copy()" for k in ("running_mean", "running_var") if c.first(k, default=None)
                      is not None})
        pre = [f"bn_param = {_dict(param)}"]
        args = "x.copy(), gamma.copy(), beta.copy(), bn_param"
    elif name == "layer_norm":
        args = f"x.copy(), gamma.copy(), beta.copy(), {{'eps': {lit(float(c.first('eps', default=1e-5)))}}}"
    elif name == "group_norm":
        G = int(c.first("G", "groups", "num_groups"))
        args = (f"x.copy(), gamma.reshape(1, -1, 1, 1), beta.reshape(1, -1, 1, 1), {G}, "
                f"{{'eps': {lit(float(c.first('eps', default=1e-5)))}}}")
    lines = [f"from cs231n.layers import {f}, {b}", *pre, f"out, cache = {f}({args})", "print(out)"]
    if name in ("batch_norm", "spatial_batch_norm"):
        lines.append("print(bn_param.get('running_mean'), bn_param.get('running_var'))")
    if want_bwd and not (name in ("batch_norm", "spatial_batch_norm") and mode == "test"):
        names = ", ".join("d" + k for k in grads)
        lines += [f"{names}{',' if len(grads) == 1 else ''} = {b}(dout.copy(), cache)" if len(grads) > 1
                  else f"dx = {b}(dout.copy(), cache)", f"print({names})"]
    return lines


def _manifest(name, case, want_bwd, manifest):
    entry = ((manifest or {}).get("components") or {}).get(name)
    if entry is None or (manifest or {}).get("modules"):  # a dialect manifest: the check line shows the call
        return None
    if isinstance(entry, str):
        entry = {"forward": entry}
    if "class" in entry:
        return _manifest_object(entry, case, want_bwd)
    names = entry.get("args") or list(case.arrays) + list(case.consts)
    hp = {n: case.hp[n] for n in (entry.get("hp") or ()) if n in case.hp}
    if entry.get("pass_hp") == "all":
        hp = dict(case.hp)
    call = ", ".join([f"{n}.copy()" if isinstance(case.get(n), np.ndarray) else n for n in names]
                     + [f"{k}={lit(v)}" for k, v in hp.items()])
    lines = []
    for key in ("forward", "backward"):
        if key in entry:
            mod, _, attr = entry[key].partition(":")
            lines.append(f"from {mod} import {attr.split('.')[0]} as {key}_fn" + (
                f"  # {entry[key]}" if "." in attr else ""))
            if "." in attr:
                lines.append(f"{key}_fn = {key}_fn.{attr.split('.', 1)[1]}")
    lines += [f"out = forward_fn({call})", "print(out)"]
    if want_bwd and "backward" in entry:
        lines += [f"grads = backward_fn(dout.copy(), {call})", "print(grads)"]
    return lines


def _vocab_code(v, case, in_args=False):
    """A manifest vocabulary value as code of the snippet: "$x" (or a name in args) the case's variable,
    "$x.shape[1]" one of its sizes, anything else a literal."""
    from .vocabulary import REF
    if isinstance(v, str):
        m = REF.match(v)
        if m:
            return f"{m.group(1)}.shape[{m.group(2)}]" if m.group(2) is not None else _copied(m.group(1), case)
        return _copied(v, case) if in_args else lit(v)
    if isinstance(v, list):
        return "(" + ", ".join(_vocab_code(x, case, in_args) for x in v) + ("," if len(v) == 1 else "") + ")"
    if isinstance(v, dict) and "value" in v:
        return lit(v["value"])
    if isinstance(v, dict) and "class" in v:
        mod, _, attr = v["class"].partition(":")
        init = ", ".join(f"{k}={_vocab_code(x, case)}" for k, x in (v.get("init") or {}).items())
        return f"__import__({mod!r}, fromlist=[{attr!r}]).{attr}({init})"
    return lit(v)


def _copied(name, case):
    return f"{name}.copy()" if isinstance(case.get(name), np.ndarray) else name


def _manifest_object(entry, case, want_bwd):
    """A vocabulary ``class`` entry: the object constructed, its parameters set, forward (and backward) called
    on the same instance, the stored gradients printed (layouts as the manifest declares are noted, not done)."""
    mod, _, attr = entry["class"].partition(":")
    lines = [f"from {mod} import {attr.split('.')[0]} as Layer" + (f"  # {entry['class']}" if "." in attr else "")]
    if "." in attr:
        lines.append(f"Layer = Layer.{attr.split('.', 1)[1]}")
    if entry.get("layout"):
        lines.append(f"# the grader converts to the library's layout first: {entry['layout']!r}")
    init = [_vocab_code(a, case) for a in entry.get("init_args", ())]
    init += [f"{k}={_vocab_code(v, case)}" for k, v in (entry.get("init") or {}).items()]
    at = entry.get("params_at", ".")
    if at == "init":
        init += [f"{lib}={_copied(spec, case)}" for lib, spec in (entry.get("params") or {}).items()]
    lines.append(f"layer = Layer({', '.join(init)})")
    call_kw = dict(entry.get("call_kw") or {})
    mode = entry.get("mode") or {}
    if mode.get("by") == "keyword" and "mode" in case.hp:
        call_kw[mode["name"]] = mode.get(str(case.hp["mode"]), str(case.hp["mode"]) == "train")
    elif mode.get("by") == "method" and mode.get(str(case.hp.get("mode", ""))):
        lines.append(f"layer.{mode[str(case.hp['mode'])]}()")
    elif mode.get("by") == "attribute" and str(case.hp.get("mode", "")) in mode:
        lines.append(f"layer.{mode['name']} = {lit(mode[str(case.hp['mode'])])}")
    args = entry.get("args") or list(case.arrays) + list(case.consts)
    call = ", ".join([_vocab_code(a, case, in_args=True) for a in args] + [f"{k}={lit(v)}" for k, v in call_kw.items()])
    method = entry.get("call", "forward")
    if entry.get("prime"):
        lines.append(f"layer.{method}({call})  # a first forward: lazy initialisation")
    for lib, spec in (entry.get("params") or {}).items() if at != "init" else ():
        target = f"layer.{lib}" if at == "." else f"layer.{at}[{lib!r}]"
        lines.append(f"{target} = {_copied(spec, case)}")
    lines += [f"out = layer.{method}({call})", "print(out)"]
    grad = entry.get("grad", "backward")
    if want_bwd and entry.get("backward_style", "chain") == "chain" and "optimizer" not in entry:
        grad_kw = ", ".join(f"{k}={lit(v)}" for k, v in (entry.get("grad_kw") or {}).items())
        lines += [f"grads = layer.{grad}(dout.copy(){', ' + grad_kw if grad_kw else ''})", "print(grads)"]
        grads, gat = entry.get("grads"), entry.get("grads_at", ".")
        if isinstance(grads, list):
            lines += [f"print(layer.{gat}[{i}])  # d{spec}" for i, spec in enumerate(grads)]
        elif isinstance(grads, dict):
            lines += [f"print(layer.{lib})  # d{spec}" if gat == "." else f"print(layer.{gat}[{lib!r}])  # d{spec}"
                      for lib, spec in grads.items()]
    elif want_bwd:
        grad_args = entry.get("grad_args", args)
        lines += [f"d = layer.{grad}({', '.join(_vocab_code(a, case, in_args=True) for a in grad_args)})",
                  "print(d)  # times dout: the gradient" if entry.get("backward_style") in ("derivative", "scale")
                  else "print(d)"]
    return lines


# --------------------------------------------------------------------------------------------------
# Running the grader's check in-process (what a snippet's last line does)

class InProcessImpl(Impl):
    """A submission's component through the grader's adapters, in this process (no sandbox): for snippets the
    student runs on their own code."""

    backend = "submission"

    def __init__(self, component: Component, sub, options: dict | None = None):
        super().__init__(component)
        self.sub, self.options = sub, dict(options or {})
        info = sub.describe()["components"].get(component.name, {})
        self._has_backward = bool(info.get("backward")) and component.backward is not None

    @property
    def has_backward(self) -> bool:
        return self._has_backward

    def _call(self, what, case, dout=None):
        from . import adapters
        seed = case.hp.get("seed", 0)
        np.random.seed(int(seed) % (2**32) if isinstance(seed, (int, np.integer)) else 0)
        random.seed(0)
        view = adapters.CaseView(case.arrays, case.consts, case.hp)
        try:
            if what == "forward":
                res = self.sub.forward(self.component.name, view, self.options)
            else:
                res = self.sub.backward(self.component.name, view, dout, self.options)
        except adapters.Missing as e:
            raise ImplError(str(e), kind="missing", fatal=True) from None
        except adapters.WrongType as e:
            raise ImplError(str(e), kind="wrong_type") from None
        bad = adapters.check_types(res)
        if bad:
            raise ImplError(bad, kind="wrong_type")
        return res

    def forward(self, case: Case) -> dict:
        keys = list(outputs(self.component.forward(case.astype(np.float64), self.component.default_variants)))
        res = self._call("forward", case)
        return {k: v for k, v in res.items() if k in keys}

    def backward(self, case: Case, dout) -> dict:
        if not self._has_backward:
            raise ImplError(f"{self.component.name} has no backward in this submission", kind="missing", fatal=True)
        return self._call("backward", case, dout)


def check_submission(root: str, style: str, component: str, prop: str, case: Case, *, options: dict | None = None,
                     accept: dict | None = None, manifest: str | dict | None = None) -> dict:
    """Run the grader's check ``component::prop`` on ``case`` against the submission at ``root``, in-process;
    raises SpecViolation (or the submission's own exception) as the grader reported it."""
    from . import adapters
    from .registry import get
    from .runner import check_case
    mdata = None
    if style == "manifest" and isinstance(manifest, dict):
        mdata = manifest
    elif style == "manifest":
        from .grading import locate
        _root, _style, mdata = locate(manifest or root, "manifest")
    comp = get(component)
    sub = adapters.Submission(style, root, mdata, options or {})
    import warnings
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return check_case(comp, prop, InProcessImpl(comp, sub, options), case, accept=accept)
