"""The manifest vocabulary: how a library's own API is called, written as data in ``spec_nn.toml``.

A manifest entry maps one canonical component to the library.  The original keys (``forward``/``backward`` =
"module:callable", ``args``, ``hp``, ``pass_hp``) describe module-level functions; the keys below describe
everything else real NumPy libraries do, so that a library maps with a manifest alone (no wrapper module).
A manifest with a ``modules`` list is a dialect manifest instead (the built-in book and cs231n dialects are
such manifests: spec_nn/dialects/*.toml, interpreted by spec_nn/dialect.py).  This module interprets the
plain keys inside the sandbox worker (imported like adapters_book.py: standard library, NumPy and
``.adapters`` only); spec_nn/vocabulary_grading.py turns an entry's input restrictions into the cases drawn
and checks its keys, in the grading process.

Values (in ``init``, ``args``, ``grad_args``, ``optimizer.extra``): ``"$name"`` is the case's input ``name``
(array, constant or hyper-parameter, in the specification's layout), ``"$name.shape[i]"`` one of its sizes;
a plain string in ``args`` is a name too (the original meaning), elsewhere a constant; a list is a tuple of
values; ``{class = "module:Class", init = {...}}`` a constructed object (``Identity()``, a wrapped layer);
``{component = "softmax", of = "x"}`` the forward of another component of this manifest; ``{value = ...}`` a
constant.

Entry keys (each optional; see README "The manifest vocabulary"):

* ``class`` "module:Class", constructed for every call with ``init`` (keywords) / ``init_args`` (positional);
  ``call`` the forward method (default "forward"), ``grad`` the backward method (default "backward"),
  ``call_kw`` / ``grad_kw`` fixed keywords; forward and backward run on the same instance.
* ``prime``: a forward before the parameters are set (lazy initialisation); true or the keywords of that call.
* ``params`` {library name: spec name}, set where ``params_at`` says: "." attributes (default), "NAME" a dict
  attribute (``.parameters["W"]``), "init" constructor keywords.
* ``grads`` {library name: spec name} read after backward from ``grads_at`` ("." attributes, "NAME" a dict
  attribute, or, with ``grads`` a list of spec names, a list attribute ``.grads[0]``); ``grad_returns``: the
  spec names of what backward returns (default: the gradient of the first input).
* ``outputs`` {library name: spec output} read after forward from ``params_at`` (running statistics).
* ``backward_style``: "chain" (default: ``grad(dout)``), "derivative" (``grad(x)`` is f'(x), the adapter
  returns dout * f'(x)), "scale" (``grad(*grad_args)`` is dL/dinput of a loss, times the scalar dout).
* ``layout`` {spec name: form}: x "nchw" | "nhwc"; w "fchw" | "hwcf" | "in_out" | "out_in"; b, gamma, beta
  "m" | "1m" | "111m"; converted to the library on the way in and back on the way out (``out`` follows x).
* ``rename`` {spec hp: library keyword} for ``hp`` / ``pass_hp`` keywords.
* ``mode``: train/eval as ``{by = "keyword", name = "train", train = true, eval = false}`` (a keyword of the
  forward call), ``{by = "method", train = "unfreeze", eval = "freeze"}`` or ``{by = "attribute", name =
  "trainable", train = true, eval = false}``; ``backward_modes = ["train"]``: backward exists in train mode only.
* ``optimizer``: ``{protocol = "call", before = "step", method = "update", extra = ["W"]}`` (``w = m(w, g,
  *extra)``), "update_dict" (``update({"W": w}, {"W": g})`` in place), "update_list" (``update([w], [g])``),
  "config" (``w, config = fn(w, g, config)``, CS231n; ``config`` {spec hp: key}); state stays on the object.
* ``restrict``: what the API supports, restricting the generated cases: ``labels = "one_hot"``, ``ndim = 2``,
  ``batch_min = 2``, ``dtype = "float32" | "float64"``, ``divisible = true``; ``cases`` keywords of the
  record's case factories; ``fixed`` {hp: value} the library hard-codes; ``accept`` {convention: [variants]}
  the library's named variants (a rubric's [accept] wins).
"""
from __future__ import annotations

import re

import numpy as np

from .adapters import Missing, WrongType, arr

# Every key this module adds to a manifest entry (grading.MANIFEST_ENTRY_KEYS includes them).
KEYS = {"class", "init", "init_args", "call", "call_kw", "grad", "grad_kw", "grad_args", "prime", "params",
        "params_at", "grads", "grads_at", "grad_returns", "outputs", "backward_style", "layout", "rename", "mode",
        "backward_modes", "optimizer", "restrict", "cases", "fixed", "accept"}
BACKWARD_STYLES = ("chain", "derivative", "scale")
LAYOUTS = {"x": ("nchw", "nhwc"), "w": ("fchw", "hwcf", "in_out", "out_in"), "vector": ("m", "1m", "111m")}
MODE_BY = ("keyword", "method", "attribute")
PROTOCOLS = ("call", "update_dict", "update_list", "config")
RESTRICT = {"labels": ("one_hot", "index"), "ndim": (2,), "batch_min": (1, 2, 3, 4), "dtype": ("float32", "float64"),
            "divisible": (True, False)}
# Manifest-level compatibility shims (top-level ``compat = [...]``): aliases the standard library removed,
# restored before the library is imported (a library written for an older Python imports unchanged).
COMPAT = ("collections_abc",)
REF = re.compile(r"^\$([A-Za-z_][A-Za-z0-9_]*)(?:\.shape\[(-?\d+)\])?$")


def uses_vocabulary(entry) -> bool:
    """Whether a manifest entry needs this interpreter (the original keys alone do not)."""
    return isinstance(entry, dict) and (bool(KEYS & set(entry)) or any(not isinstance(a, str)
                                                                      for a in entry.get("args") or ()))


def layout_kind(name: str) -> str:
    return "x" if name == "x" else "w" if name in ("w", "W") else "vector"


def apply_compat(names) -> None:
    """The named shims (COMPAT), applied in the worker before anything of the library is imported."""
    for n in names or ():
        if n == "collections_abc":
            import collections
            import collections.abc
            for a in collections.abc.__all__:
                if not hasattr(collections, a):
                    setattr(collections, a, getattr(collections.abc, a))


# ------------------------------------------------------------------------------------------------------
# Layouts: the specification's (N, C, H, W), (F, C, kh, kw), (M,) <-> the library's

def to_lib(name, a, form):
    if form in (None, "nchw", "fchw", "m", "in_out") or not isinstance(a, np.ndarray):
        return a
    if form == "nhwc":
        return a.transpose(0, 2, 3, 1) if a.ndim == 4 else a
    if form == "hwcf":
        return a.transpose(2, 3, 1, 0)
    if form == "out_in":
        return a.T
    if form == "1m":
        return a.reshape(1, -1)
    if form == "111m":
        return a.reshape(1, 1, 1, -1)
    raise WrongType(f"layout {name} = {form!r} is unknown")


def from_lib(name, a, form):
    if form in (None, "nchw", "fchw", "m", "in_out") or not isinstance(a, np.ndarray):
        return a
    if form == "nhwc":
        return a.transpose(0, 3, 1, 2) if a.ndim == 4 else a
    if form == "hwcf":
        return a.transpose(3, 2, 0, 1)
    if form == "out_in":
        return a.T
    if form in ("1m", "111m"):
        return a.reshape(-1)
    raise WrongType(f"layout {name} = {form!r} is unknown")


# ------------------------------------------------------------------------------------------------------
# The worker side

class Call:
    """One call of an entry: the case in the library's terms (layouts, labels) and the resolved references."""

    def __init__(self, sub, comp, entry, case):
        self.sub, self.comp, self.e, self.case = sub, comp, entry, case
        self.layout = entry.get("layout") or {}
        restrict = entry.get("restrict") or {}
        self.labels = restrict.get("labels")

    def lookup(self, name):
        """A case input in the library's layout."""
        try:
            v = self.case[name]
        except KeyError:
            raise Missing(f"the manifest names {name!r}, which the {self.comp} case does not have") from None
        if name == "t" and self.labels:
            v = self.labels_as(v)
        return to_lib(name, v, self.layout.get(name))

    def labels_as(self, t):
        """Labels in the one format the library takes (a property may relabel the drawn case)."""
        return labels_as(t, next(iter(self.case.arrays.values()), None), self.labels)

    def value(self, v, in_args=False):
        if isinstance(v, str):
            m = REF.match(v)
            if m:
                name, axis = m.group(1), m.group(2)
                if axis is not None:
                    return int(np.shape(self.case[name])[int(axis)])
                return self.lookup(name)
            return self.lookup(v) if in_args else v
        if isinstance(v, list):
            return tuple(self.value(x, in_args) for x in v)
        if isinstance(v, dict):
            if "class" in v:
                cls = self.sub.vocab_ref(v["class"])
                return cls(*[self.value(a) for a in v.get("init_args", ())],
                           **{k: self.value(x) for k, x in (v.get("init") or {}).items()})
            if "component" in v:
                other = self.sub.manifest.get(v["component"])
                if other is None:
                    raise Missing(f"{self.comp} goes through {v['component']}, which the manifest does not map")
                from .adapters import CaseView
                name = v.get("of", "x")
                sub_case = CaseView({"x": np.asarray(self.case[name])}, {}, dict(self.case.hp))
                return self.sub.forward(v["component"], sub_case, {})["out"]
            if "value" in v:
                return v["value"]
        return v

    def args(self, key="args"):
        names = self.e.get(key)
        if names is None:
            names = self.e.get("args")
        if names is None:
            names = list(self.case.arrays) + list(self.case.consts)
        return [self.value(n, in_args=True) for n in names]

    def kwargs(self):
        ren = self.e.get("rename") or {}
        kw = {n: self.case.hp[n] for n in (self.e.get("hp") or ()) if n in self.case.hp}
        if self.e.get("pass_hp") == "all":
            kw = dict(self.case.hp)
        return {ren.get(k, k): v for k, v in kw.items()}

    def mode(self):
        return str(self.case.hp.get("mode", "train"))

    # -- objects --------------------------------------------------------------------------------
    def construct(self):
        cls = self.sub.vocab_ref(self.e["class"])
        init = {k: self.value(v) for k, v in (self.e.get("init") or {}).items()}
        if self.e.get("params_at") == "init":
            init.update({lib: self.lookup(spec) for lib, spec in (self.e.get("params") or {}).items()})
        obj = cls(*[self.value(a) for a in self.e.get("init_args", ())], **init)
        m = self.e.get("mode")
        if m and "mode" in self.case.hp and m.get("by") in ("method", "attribute"):
            want = m.get(self.mode())
            if m["by"] == "method" and want:
                getattr(obj, want)()
            elif m["by"] == "attribute" and self.mode() in m:
                setattr(obj, m["name"], want)
        return obj

    def call_kw(self, key):
        kw = dict(self.e.get(key) or {})
        m = self.e.get("mode")
        if key == "call_kw" and m and m.get("by") == "keyword" and "mode" in self.case.hp:
            kw[m["name"]] = m.get(self.mode(), self.mode() == "train")
        return kw

    def set_params(self, obj):
        at = self.e.get("params_at", ".")
        if at == "init":
            return
        for lib, spec in (self.e.get("params") or {}).items():
            v = self.lookup(spec)
            if at == ".":
                setattr(obj, lib, v)
            else:
                getattr(obj, at)[lib] = v

    def build(self):
        """The object, constructed, primed and with its parameters set."""
        obj = self.construct()
        prime = self.e.get("prime")
        if prime:
            getattr(obj, self.e.get("call", "forward"))(*self.args(), **(prime if isinstance(prime, dict) else {}))
        self.set_params(obj)
        return obj

    def read(self, obj, at, name):
        if at == ".":
            return getattr(obj, name)
        holder = getattr(obj, at)
        return holder[name]


def labels_as(t, pred, fmt):
    """``t`` as one-hot rows of ``pred``'s shape or as indices (N,), whichever it is now."""
    t = np.asarray(t)
    if pred is None:
        return t
    one_hot = t.shape == pred.shape and t.dtype.kind == "f"
    if fmt == "one_hot" and not one_hot:
        return np.eye(pred.shape[-1], dtype=pred.dtype)[t.astype(np.int64)].reshape(pred.shape)
    if fmt == "index" and one_hot:
        return t.argmax(axis=-1).astype(np.int64)
    return t


def forward(sub, comp, entry, case):
    c = Call(sub, comp, entry, case)
    if entry.get("optimizer"):
        return {"out": trajectory(c)}
    xform = (entry.get("layout") or {}).get("out", (entry.get("layout") or {}).get("x"))
    if "class" in entry:
        obj = c.build()
        res = getattr(obj, entry.get("call", "forward"))(*c.args(), **c.call_kw("call_kw"), **c.kwargs())
        out = {"out": from_lib("out", _first(res, comp), xform)}
        for lib, spec in (entry.get("outputs") or {}).items():
            out[spec] = arr(c.read(obj, entry.get("params_at", "."), lib), f"{comp} {lib}")
        return out
    fn = sub.manifest[comp].get("forward")
    if fn is None:
        raise Missing(f"the manifest maps no forward for {comp}")
    res = fn(*c.args(), **c.call_kw("call_kw"), **c.kwargs())
    if isinstance(res, dict):
        return {k: arr(v, f"{comp} forward") for k, v in res.items()}
    return {"out": from_lib("out", _first(res, comp), xform)}


def _first(res, comp):
    if isinstance(res, (tuple, list)):
        res = res[0]
    return arr(res, f"{comp} forward")


def backward(sub, comp, entry, case, dout):
    c = Call(sub, comp, entry, case)
    modes = entry.get("backward_modes")
    if modes and c.mode() not in modes:
        raise Missing(f"the library's {comp} has a backward in {' and '.join(modes)} mode only")
    style = entry.get("backward_style", "chain")
    layout = entry.get("layout") or {}
    first = next(iter(case.arrays))
    if "class" in entry:
        obj = c.build()
        meth = getattr(obj, entry.get("grad", "backward"))
        if style == "chain":
            getattr(obj, entry.get("call", "forward"))(*c.args(), **c.call_kw("call_kw"), **c.kwargs())
            res = meth(to_lib("out", dout, layout.get("out", layout.get("x"))), **c.call_kw("grad_kw"))
        else:
            res = meth(*c.args("grad_args"), **c.call_kw("grad_kw"))
    else:
        fn = sub.manifest[comp].get("backward")
        if fn is None:
            raise Missing(f"{comp} has no backward in this submission")
        if style == "chain":
            res = fn(to_lib("out", dout, layout.get("out", layout.get("x"))), *c.args("grad_args"), **c.kwargs())
        else:
            res = fn(*c.args("grad_args"), **c.kwargs())
        obj = None
    if style in ("derivative", "scale"):
        d = arr(_first(res, comp), f"{comp} backward")
        return {first: (np.asarray(dout) * d).astype(np.result_type(dout, case.arrays[first]), copy=False)}
    names = entry.get("grad_returns") or [first]
    vals = list(res) if isinstance(res, tuple) else [res]
    out = {}
    for n, v in zip(names, vals):
        out[n] = from_lib(n, arr(v, f"{comp} backward"), layout.get(n))
    grads = entry.get("grads")
    if grads is None and obj is not None and entry.get("grads_at"):
        grads = {lib: spec for lib, spec in (entry.get("params") or {}).items() if spec in case.arrays}
    at = entry.get("grads_at", ".")
    if isinstance(grads, list):
        holder = getattr(obj, at)
        for i, spec in enumerate(grads):
            out[spec] = from_lib(spec, arr(holder[i], f"{comp} gradient {i}"), layout.get(spec))
    elif grads:
        for lib, spec in grads.items():
            out[spec] = from_lib(spec, arr(c.read(obj, at, lib), f"{comp} gradient {lib}"), layout.get(spec))
    return out


def trajectory(c):
    """Run an optimizer over the case's gradient sequence (its state kept on the object or the config)."""
    e, opt = c.e, c.e["optimizer"]
    pname = c.case.name_of("param", "w", "params", "x", "theta")
    w = np.array(c.case[pname], copy=True)
    grads = np.asarray(c.case["grads"])
    proto = opt.get("protocol", "call")
    steps = []
    if proto == "config":
        fn = c.sub.manifest[c.comp]["forward"]
        config = {key: c.case.hp[spec] for spec, key in (opt.get("config") or {}).items() if spec in c.case.hp}
        for g in grads:
            w, config = fn(w, g, config)
            steps.append(np.array(arr(w, f"{c.comp} update"), copy=True))
        return np.stack(steps)
    obj = c.construct() if "class" in e else None
    method = getattr(obj, opt.get("method", "update")) if obj is not None else c.sub.manifest[c.comp]["forward"]
    extra = [c.value(x) for x in opt.get("extra", ())]
    for g in grads:
        if opt.get("before") and obj is not None:
            getattr(obj, opt["before"])()
        if proto == "call":
            w = method(w, g, *extra)
        elif proto == "update_dict":
            params = {opt.get("name", "W"): w}
            method(params, {opt.get("name", "W"): g})
            w = params[opt.get("name", "W")]
        elif proto == "update_list":
            params = [w]
            method(params, [g])
            w = params[0]
        steps.append(np.array(arr(w, f"{c.comp} update"), copy=True))
    return np.stack(steps) if steps else np.zeros((0,) + w.shape)


def refs(entry) -> list:
    """Every "module:attr" reference an entry makes (forward, backward, class, objects inside values)."""
    out = []

    def walk(v):
        if isinstance(v, dict):
            if isinstance(v.get("class"), str):
                out.append(v["class"])
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
    if isinstance(entry, str):
        return [entry]
    for k in ("forward", "backward"):
        if isinstance(entry.get(k), str):
            out.append(entry[k])
    walk(entry)
    return out
