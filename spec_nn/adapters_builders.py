"""The builders of a dialect manifest's entry shapes (spec_nn/dialect.py reads the manifest and picks one per
entry): a function with its derivative-style helper, a layer object (forward/backward on one instance, its
gradients in attributes or book 2's lists), CS231n's cache protocol, a loss returning (loss, dx), an optimizer
protocol, the first of several alternatives, further entry points.  Runs inside the sandbox worker, like
spec_nn/adapters.py.
"""
from __future__ import annotations

import inspect

import numpy as np

from . import adapters as A

ABSENT = object()  # an input the case lacks, where the entry marks it optional (a keyword left out)


def ref(s: str) -> tuple[str, str]:
    """``"layers:Affine"`` -> ("layers", "Affine")."""
    mod, _, name = s.partition(":")
    return mod, name



def function_names(d: Dialect, e: dict, fn: str) -> tuple:
    """The names a function goes by: with and without the dialect's ``function_suffix`` (the book's
    identity_function / step_function; ports write softmax_function, sigmoid_function...), unless the entry
    says ``exact_name = true``."""
    suffix = d.data.get("function_suffix", "")
    if not suffix or e.get("exact_name"):
        return (fn,)
    base = fn[:-len(suffix)] if fn.endswith(suffix) else fn
    return tuple(dict.fromkeys((fn, base, base + suffix)))


def find_function(sub, mod: str, names: tuple):
    """(name as the submission spells it, callable) of the first of ``names`` it defines ((None, None) if none)."""
    for name in names:
        found, f = sub.lookup(mod, name)
        if f is not None:
            return found, f
    return None, None


def class_names(d: Dialect, e: dict, cls: str) -> tuple:
    """The names a class goes by: its own and with the dialect's ``class_suffix`` (``AffineLayer``,
    ``SoftmaxWithLossLayer`` for the book's Affine, SoftmaxWithLoss), unless the entry says ``exact_name``."""
    suffix = d.data.get("class_suffix", "")
    return (cls,) if not suffix or e.get("exact_name") else (cls, cls + suffix)


def keyword_names(d: Dialect, fn, kw: dict) -> dict:
    """``kw`` with each keyword the callable does not take renamed to the first of the dialect's
    ``keyword_aliases`` it does take (a book optimizer's ``learning_rate`` for lr)."""
    aliases = d.data.get("keyword_aliases") or {}
    if not aliases or not kw:
        return kw
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return kw
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return kw
    return {(k if k in params else next((a for a in aliases.get(k, ()) if a in params), k)): v for k, v in kw.items()}


def _needs(mod, names):
    return (f"{mod}.{names[0]}",) if len(names) == 1 else (tuple(f"{mod}.{n}" for n in names),)


def function(d: Dialect, e: dict) -> A.Adapter:
    """``forward(*args, **kw_if_taken)`` -> out."""
    mod, fn = ref(e["forward"])
    names = function_names(d, e, fn)
    args = e.get("args", ["$x"])

    def forward(sub, c, o):
        name, f = find_function(sub, mod, names)
        f = f if f is not None else sub.attr(mod, fn)
        kw = d.keywords(c, e.get("kw_if_taken"))
        if kw:
            try:
                params = inspect.signature(f).parameters
            except (TypeError, ValueError):
                params = {}
            kw = {k: v for k, v in kw.items() if k in params}
        return {"out": A.arr(f(*d.values(c, args), **kw), name or fn)}
    api = e.get("api") or (f"{d.prefix(mod)}.{fn}" if len(names) == 1 else
                           lambda sub: f"{d.prefix(mod)}.{find_function(sub, mod, names)[0] or fn}")
    return A.Adapter(forward, needs=_needs(mod, names), api=api)


def derivative(d: Dialect, e: dict) -> A.Adapter:
    """``forward(x)`` with its derivative-style helper ``backward(x)`` = f'(x): backward is dout * f'(x)."""
    mod, fn = ref(e["forward"])
    names = function_names(d, e, fn)
    gmod, grad_fn = ref(e["backward"])

    def forward(sub, c, o):
        name, f = find_function(sub, mod, names)
        return {"out": A.arr(f(c["x"]), name)}

    def backward(sub, c, dout, o):
        return {"x": dout * A.arr(sub.attr(gmod, grad_fn)(c["x"]), grad_fn)}
    api = e.get("api") or (lambda sub: f"{d.prefix(mod)}.{find_function(sub, mod, names)[0] or fn} / {grad_fn}")
    return A.Adapter(forward, backward, needs=_needs(mod, names), bwd_needs=(f"{gmod}.{grad_fn}",), api=api)


def grads_of(layer, names, fallback):
    """Gradients a layer stored: attributes (dW, db, dgamma...), else the ``fallback`` list (in the order of
    the spec names) or dict (keyed by the attribute without its d)."""
    out = {}
    grads = getattr(layer, fallback, None) if fallback else None
    for i, (spec_name, attrs) in enumerate(names):
        for a in attrs:
            v = getattr(layer, a, None)
            if v is not None:
                out[spec_name] = A.arr(v, f"{type(layer).__name__}.{a}")
                break
        else:
            if isinstance(grads, (list, tuple)) and i < len(grads):
                out[spec_name] = A.arr(grads[i], f"{type(layer).__name__}.{fallback}[{i}]")
            elif isinstance(grads, dict):
                for a in attrs:
                    if a.lstrip("d") in grads:
                        out[spec_name] = A.arr(grads[a.lstrip("d")], f"{type(layer).__name__}.{fallback}")
                        break
    return out


def grouped(grads: dict) -> list:
    """{library attribute: spec name} -> [(spec name, (attributes, first wins)), ...] in order."""
    out: dict = {}
    for lib, spec in (grads or {}).items():
        out.setdefault(spec, []).append(lib)
    return [(spec, tuple(libs)) for spec, libs in out.items()]


def object_layer(d: Dialect, e: dict) -> A.Adapter:
    """``Class(*init_args)``; ``forward(*args)``; ``backward(dout)`` -> dx, the other gradients stored."""
    mod, cls = ref(e["class"])
    args = e.get("args", ["$x"])
    grads = grouped(e.get("grads"))
    fallback = e.get("grads_fallback")
    rows = (e.get("layout") or {}).get("x") == "rows"
    scalar_dout = e.get("dout") == "scalar"

    names = class_names(d, e, cls)

    def run(sub, c):
        layer = find_function(sub, mod, names)[1](*d.values(c, e.get("init_args", ())))
        a = d.values(c, args)
        if rows:
            a[0] = a[0].reshape(-1, a[0].shape[-1])
        return layer, A.arr(layer.forward(*a), f"{cls}.forward")

    def forward(sub, c, o):
        out = run(sub, c)[1]
        return {"out": out.reshape(c["x"].shape) if rows else out}

    def backward(sub, c, dout, o):
        layer, _ = run(sub, c)
        if scalar_dout:  # a loss layer's backward(dout=1)
            dv = float(np.asarray(dout).reshape(-1)[0]) if np.size(dout) == 1 else dout
            dx = A.arr(layer.backward(1) if dv == 1 else layer.backward(dv), f"{cls}.backward")
            return {"x": dx}
        dx = A.arr(layer.backward(dout.reshape(-1, c["x"].shape[-1]) if rows else dout), f"{cls}.backward")
        if rows:
            return {"x": dx.reshape(c["x"].shape)}
        res = {"x": dx}
        res.update(grads_of(layer, grads, fallback))
        return A.as_dict_grads(c, res.items())
    return A.Adapter(forward, backward, needs=_needs(mod, names), api=_class_api(d, e, mod, names))


def _class_api(d: Dialect, e: dict, mod: str, names: tuple):
    """The entry's api string: the class as the submission names it (the repro snippets import that name)."""
    if "api" in e:
        return e["api"]
    return lambda sub: f"{d.prefix(mod)}.{find_function(sub, mod, names)[0] or names[0]}"


def cache_layer(d: Dialect, e: dict) -> A.Adapter:
    """``forward(*args[, param]) -> (out, cache)``, ``backward(dout, cache) -> (d arg, ...)`` in grad_returns
    order; ``layout`` gamma/beta "1c11": passed as (1, C, 1, 1), their gradients read back in the case's shape."""
    mod, fwd_name = ref(e["forward"])
    bmod, bwd_name = ref(e["backward"])
    args = e.get("args", ["$x"])
    names = tuple(e.get("grad_returns") or ("x",))
    reshaped = {k for k, v in (e.get("layout") or {}).items() if v == "1c11"}

    def run_fwd(sub, c):
        a = d.values(c, args)
        for i, spec in enumerate(args):
            if isinstance(spec, str) and spec[1:] in reshaped:
                a[i] = a[i].reshape(1, c["x"].shape[1], 1, 1)
        if "param" in e:
            a.append(d.keywords(c, e["param"]))
        return A.pair(sub.attr(mod, fwd_name)(*a), fwd_name)

    def forward(sub, c, o):
        out, _cache = run_fwd(sub, c)
        return {"out": A.arr(out, fwd_name)}

    def backward(sub, c, dout, o):
        _out, cache = run_fwd(sub, c)
        res = sub.attr(bmod, bwd_name)(dout, cache)
        if len(names) == 1:
            if isinstance(res, (tuple, list)) and len(res) == 1:
                res = res[0]
            res = (res,)
        else:
            res = A.pair(res, bwd_name, len(names))
        out = {}
        for name, g in zip(names, res):
            g = A.arr(g, bwd_name)
            if name in reshaped and name in c.arrays:
                g = g.reshape(c.arrays[name].shape)
            out[name] = g
        return A.as_dict_grads(c, out.items())
    return A.Adapter(forward, backward, needs=(f"{mod}.{fwd_name}",), bwd_needs=(f"{bmod}.{bwd_name}",),
                     api=e.get("api", f"{d.prefix(mod)}.{fwd_name} / {bwd_name}"))


def returned_loss(d: Dialect, e: dict) -> A.Adapter:
    """``forward(*args) -> (loss, dx)``: the backward is dx times the scalar dout."""
    mod, fn = ref(e["forward"])
    args = e.get("args", ["$x"])

    def forward(sub, c, o):
        loss, _dx = A.pair(sub.attr(mod, fn)(*d.values(c, args)), fn)
        return {"out": A.arr(loss, fn)}

    def backward(sub, c, dout, o):
        _loss, dx = A.pair(sub.attr(mod, fn)(*d.values(c, args)), fn)
        return {"x": A.arr(dx, fn) * np.asarray(dout).reshape(()).astype(np.asarray(dx).dtype)}
    return A.Adapter(forward, backward, needs=(f"{mod}.{fn}",), api=e.get("api", f"{d.prefix(mod)}.{fn}"))


def optimizer(d: Dialect, e: dict) -> A.Adapter:
    """An update rule run over the case's gradient sequence: the trajectory of the parameter."""
    proto = e["optimizer"].get("protocol")
    if proto == "config":
        mod, fn = ref(e["forward"])
        config_keys = e["optimizer"].get("config") or {}

        def forward(sub, c, o):
            pname, w0, grads = A.optimizer_case(c)
            f = sub.attr(mod, fn)
            config = {key: float(v) for spec, key in config_keys.items()
                      for v in [d.value(c, "$" + spec, optional=True)] if v is not ABSENT and v is not None}
            if o.get("initial_t") == "zero":  # the adapter option: the step counter passed in (else the default's)
                config["t"] = 0
            w = np.array(w0, copy=True)
            steps = []
            for g in grads:
                nw, config = A.pair(f(w, np.array(g, copy=True), config), fn)
                if config is None:
                    raise A.WrongType(f"{fn} returned config=None, but should return the config dict")
                w = A.arr(nw, fn)
                steps.append(w.copy())
            return A.trajectory(c, pname, steps)
        return A.Adapter(forward, needs=(f"{mod}.{fn}",), api=e.get("api", f"{d.prefix(mod)}.{fn}"))
    if proto != "update_dict_or_list":
        raise A.LoadFailure(f"optimizer.protocol = {proto!r}: a dialect entry takes config or update_dict_or_list")
    mod, cls = ref(e["class"])
    names = class_names(d, e, cls)

    def forward(sub, c, o):
        pname, w0, grads = A.optimizer_case(c)
        klass = find_function(sub, mod, names)[1]
        make = lambda: klass(**keyword_names(d, klass, d.keywords(c, e.get("init"))))
        opt = make()
        w = np.array(w0, copy=True)
        steps = []
        mode = None
        for g in grads:
            g = np.array(g, copy=True)
            if mode is None:  # book 1 updates dicts, book 2 lists: the first step tells
                try:
                    params, gr = {"W": w}, {"W": g}
                    opt.update(params, gr)
                    mode = "dict"
                except (AttributeError, KeyError, TypeError, IndexError):
                    opt = make()
                    w = np.array(w0, copy=True)
                    params, gr = [w], [g]
                    opt.update(params, gr)
                    mode = "list"
            else:
                params, gr = ({"W": w}, {"W": g}) if mode == "dict" else ([w], [g])
                opt.update(params, gr)
            w = params["W"] if mode == "dict" else params[0]
            steps.append(A.arr(w, f"{cls}.update").copy())
        return A.trajectory(c, pname, steps)
    return A.Adapter(forward, needs=_needs(mod, names), api=_class_api(d, e, mod, names))


# ------------------------------------------------------------------------------------------------------
# Alternatives and entry points

def prefer(*adapters):
    """The first adapter the submission provides (a layer class with backward before a bare function)."""
    class Prefer(A.Adapter):
        def _pick(self, sub):
            for a in adapters:
                if a.available(sub)[0]:
                    return a
            return adapters[0]

        def available(self, sub):
            return self._pick(sub).available(sub)

        def api(self, sub):
            return self._pick(sub).api(sub)

        def forward(self, sub, comp, case, options):
            return self._pick(sub).forward(sub, comp, case, options)

        def backward(self, sub, comp, case, dout, options):
            return self._pick(sub).backward(sub, comp, case, dout, options)
    chosen = Prefer(None)
    chosen.alternatives = adapters  # the files it can come from (a load problem names them)
    return chosen


class WithEntries(A.Adapter):
    """A component with further entry points ({entry name: adapter}): a case whose hp ``entry`` names one the
    submission has is routed there, every other case to the primary adapter (so is the backward of an entry
    that has only a forward, functions.softmax).  An entry counts as present when its adapter has a forward and
    is not what the primary adapter already calls; the api string lists the present ones after ENTRY_MARK, which
    is how the grader learns which entries to draw."""

    def __init__(self, primary, entries):
        super().__init__(None)
        self.primary, self.entries = primary, dict(entries)
        self.alternatives = (primary,) + tuple(self.entries.values())

    def _present(self, sub):
        chosen = primary_pick(self.primary, sub)
        return [name for name, ad in self.entries.items()
                if ad is not chosen and ad.available(sub)[0] and self.primary.available(sub)[0]]

    def _route(self, sub, case):
        e = case.hp.get("entry")
        return self.entries[e] if e in self.entries and e in self._present(sub) else self.primary

    def available(self, sub):
        return self.primary.available(sub)

    def api(self, sub):
        extra = self._present(sub)
        return self.primary.api(sub) + (A.ENTRY_MARK + ", ".join(extra) if extra else "")

    def forward(self, sub, comp, case, options):
        return self._route(sub, case).forward(sub, comp, case, options)

    def backward(self, sub, comp, case, dout, options):
        route = self._route(sub, case)
        route = route if route.available(sub)[1] else self.primary
        return route.backward(sub, comp, case, dout, options)


def primary_pick(ad, sub):
    """The adapter an ``alternatives`` choice calls for this submission (the adapter itself otherwise)."""
    pick = getattr(ad, "_pick", None)
    return pick(sub) if pick is not None else ad
