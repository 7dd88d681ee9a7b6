"""Dialect manifests: a whole API family (the book's ``common/``, CS231n's ``cs231n/``) written as data.

A dialect manifest is a ``spec_nn.toml`` with a ``modules`` list: the files of the family, imported one by one
(a file that does not load costs only the components it provides) and searched together (a name the canonical
file lacks is found in another file of the same package).  Its entries name callables as ``"file:name"``
(``"layers:Affine"``: the attribute ``Affine`` of the file ``.../layers.py``).  The built-in dialects are such
manifests, shipped in spec_nn/dialects/ (``book.toml``, ``cs231n.toml``); a course with its own variant copies
one next to its code and edits it (``spec-nn dialect show book``).

This module turns an entry into an :class:`~adapters.Adapter`, inside the sandbox worker (imported like
adapters_book.py: standard library, NumPy and ``.adapters`` only), and gives the grading process the
dialect-level data (``core``, and per entry ``fixed``, ``cases``, ``accept``, ``entries``, ``options``).

Dialect-level keys: ``modules`` (dotted module names, in import order; a later one with the same last part
wins), ``core`` (the components the dialect defines: only these count as missing), ``models`` ("book" |
"cs231n": the model adapters of spec_nn/adapters_models.py), ``reseed`` ("same" | "vary": NumPy's global RNG
before each call), ``function_suffix`` (functions are found with or without it, ``"_function"``; an entry's
``exact_name = true`` opts out), ``[inputs]`` (named inputs, ``{names = [...], default = ..., type = "int" |
"float", form = "index" | "spec_function", copy = true}``: the first of ``names`` the case has, labels as
indices, the numerical-gradient test function the case names; ``"$name"`` looks them up before the case).

Entry shapes (the keys that pick one; see README "The manifest vocabulary"):

* ``forward`` alone: a function, ``forward(*args)`` (``args`` default ``["$x"]``); ``kw_if_taken`` keywords
  passed only when the callable takes them (numerical gradients' ``h``, ``verbose``);
* ``forward`` + ``backward`` + ``backward_style = "derivative"``: ``backward(x)`` is f'(x), composed with dout;
* ``backward_style = "cache"``: ``forward(*args[, param]) -> (out, cache)``, ``backward(dout, cache)`` returns
  the gradients ``grad_returns`` in that order; ``param`` a dict built from the case, passed last (CS231n's
  conv_param, ln_param);
* ``backward_style = "returned"``: ``forward(*args) -> (out, d out / d first input)`` (CS231n's losses);
* ``class``: ``Class(*init_args)``, ``forward(*args)``, ``backward(dout)`` -> dx on the same instance, the other
  gradients read from attributes ``grads = {dW = "w", dw = "w", db = "b"}`` (the first present per spec name),
  else from ``grads_fallback`` (book 2's ``grads`` list in that order, or a dict keyed without the ``d``);
  ``layout.x = "rows"`` calls it on (-1, last axis) rows; ``dout = "scalar"`` passes a loss's dout as a number;
* ``optimizer = {protocol = ...}``: "update_dict_or_list" (``Class(**init).update(params, grads)`` on a dict,
  else on lists: book 1 and book 2), "config" (``w, config = forward(w, dw, config)``, ``config`` {spec hp: key});
* ``alternatives = [entry, ...]``: the first the submission has (a layer class, else the function);
* ``entries = {name = entry}``: further entry points, drawn as hp ``entry`` when the submission has them;
* ``adapter = "book.batch_norm"`` (+ ``with = {...}``): a registered builder, for what is one dialect's own
  behaviour (:data:`ESCAPES`).
"""
from __future__ import annotations

import inspect
import json
import os

import numpy as np

from . import adapters as A

try:
    import tomllib
except ImportError:  # pragma: no cover - Python < 3.11
    tomllib = None

HERE = os.path.dirname(os.path.abspath(__file__))
BUILTIN = ("book", "cs231n")
# The registered builders ``adapter = "dialect.name"`` may name: module adapters_<dialect>.py, dict ESCAPES there.
ESCAPE_MODULES = {"book": "adapters_book", "cs231n": "adapters_cs231n"}
DIALECT_KEYS = {"dialect", "modules", "core", "models", "reseed", "inputs", "components", "path", "compat",
                "function_suffix"}
ENTRY_KEYS = {"forward", "backward", "backward_style", "args", "class", "init", "init_args", "grads",
              "grads_fallback", "grad_returns", "param", "layout", "dout", "optimizer", "alternatives", "entries",
              "adapter", "with", "kw_if_taken", "api", "fixed", "cases", "accept", "restrict", "options",
              "exact_name", "not_in_api", "course_provided"}
ABSENT = object()


def path_of(style: str) -> str:
    return os.path.join(HERE, "dialects", f"{style}.toml")


_BUILTIN: dict = {}


def builtin(style: str) -> "Dialect":
    """The built-in dialect ``style``, loaded from spec_nn/dialects/<style>.toml once."""
    if style not in _BUILTIN:
        with open(path_of(style), "rb") as f:
            _BUILTIN[style] = Dialect(tomllib.load(f))
    return _BUILTIN[style]


def of(style: str, manifest: dict | None = None) -> "Dialect | None":
    """The dialect a grading uses: a built-in one, a user manifest with ``modules`` (a copied and edited
    built-in), or None (a plain manifest: spec_nn/vocabulary.py)."""
    if style in BUILTIN:
        return builtin(style)
    if isinstance(manifest, dict) and manifest.get("modules"):
        key = json.dumps(manifest, sort_keys=True, default=str)
        if key not in _USER:
            _USER[key] = Dialect(manifest)
        return _USER[key]
    return None


_USER: dict = {}


class Dialect:
    """A dialect manifest, read: its modules, its data for the grader and (built on first use) its adapters."""

    def __init__(self, data: dict):
        self.data = data
        self.name = str(data.get("dialect", "manifest"))
        self.modules = tuple(data.get("modules") or ())
        self.core = tuple(data.get("core") or ())
        self.models = data.get("models")
        self.reseed = data.get("reseed", "same")
        self.inputs = dict(data.get("inputs") or {})
        self.entries = {k: v for k, v in (data.get("components") or {}).items() if isinstance(v, dict)}
        self._table = None
        self._built: dict = {}

    # -- the grader's data ----------------------------------------------------------------------
    def of_entry(self, key: str) -> dict:
        """{component: entry[key]} over the components that have it."""
        return {c: e[key] for c, e in self.entries.items() if key in e}

    def entry_names(self, comp: str) -> tuple:
        ent = (self.entries.get(comp) or {}).get("entries") or ()
        return tuple(ent)  # a table's keys or a list of names

    # -- the worker's adapters ------------------------------------------------------------------
    @property
    def table(self) -> dict:
        if self._table is None:
            table = {comp: self.build(e) for comp, e in self.entries.items()}
            if self.models:
                from . import adapters_models
                table.update({"book": adapters_models.BOOK, "cs231n": adapters_models.CS231N}[self.models])
            self._table = table
        return self._table

    def prefix(self, mod: str) -> str:
        """The dotted module a file's short name stands for in api strings (``layers`` -> ``common.layers``)."""
        return next((m for m in self.modules if m.split(".")[-1] == mod), mod)

    def build(self, e: dict) -> A.Adapter:
        """The adapter of one entry; the same entry (by value) gives the same object, so that an entry point
        that is also an alternative is recognised as the one already chosen."""
        key = json.dumps(e, sort_keys=True, default=str)
        if key not in self._built:
            self._built[key] = self._build(e)
        return self._built[key]

    def _build(self, e: dict) -> A.Adapter:
        if "adapter" in e:
            builder = escape(e["adapter"])
            takes_dialect = "dialect" in inspect.signature(builder).parameters
            return builder(**({"dialect": self} if takes_dialect else {}), **(e.get("with") or {}))
        if "alternatives" in e:
            primary = prefer(*[self.build(a) for a in e["alternatives"]])
        elif "optimizer" in e:
            primary = optimizer(self, e)
        elif "class" in e:
            primary = object_layer(self, e)
        elif e.get("backward_style") == "cache":
            primary = cache_layer(self, e)
        elif e.get("backward_style") == "returned":
            primary = returned_loss(self, e)
        elif e.get("backward_style") == "derivative":
            primary = derivative(self, e)
        else:
            primary = function(self, e)
        if isinstance(e.get("entries"), dict):
            return WithEntries(primary, {name: self.build(x) for name, x in e["entries"].items()})
        return primary

    # -- values -----------------------------------------------------------------------------------
    def value(self, c, v, optional=False):
        """``"$name"``: a named input ([inputs]) or the case's input; ``"$0"``: the case's first array;
        anything else: a constant.  ``optional``: an absent input is ABSENT (a keyword left out)."""
        if not (isinstance(v, str) and v.startswith("$")):
            return v
        name = v[1:]
        if name == "0":
            return next(iter(c.arrays.values()))
        spec = self.inputs.get(name)
        if spec is not None and spec.get("form") == "spec_function":  # a function object cannot cross the wire
            return A.spec_function(c)
        if spec is None:
            if optional and c.get(name, ABSENT) is ABSENT:
                return ABSENT
            return c[name]
        found = c.first(*spec.get("names", [name]), default=ABSENT)
        if found is ABSENT:
            if "default" in spec:
                found = self.value(c, spec["default"])
            elif optional:
                return ABSENT
            else:
                raise KeyError(f"none of {tuple(spec.get('names', [name]))} in the case")
        form = spec.get("form")
        if form == "index":
            found = A.labels_int(found)
        if spec.get("copy"):
            found = np.array(found, copy=True)
        kind = spec.get("type")
        return int(found) if kind == "int" else float(found) if kind == "float" else found

    def values(self, c, vs):
        return [self.value(c, v) for v in vs]

    def keywords(self, c, table):
        out = {}
        for k, v in (table or {}).items():
            got = self.value(c, v, optional=True)
            if got is not ABSENT and got is not None:
                out[k] = got
        return out


def ref(s: str) -> tuple[str, str]:
    """``"layers:Affine"`` -> ("layers", "Affine")."""
    mod, _, name = s.partition(":")
    return mod, name


def escape(name: str):
    """The registered builder ``adapter = "book.batch_norm"`` names (ESCAPES of spec_nn/adapters_book.py)."""
    import importlib
    dialect_name, _, builder = name.partition(".")
    if dialect_name not in ESCAPE_MODULES:
        raise A.LoadFailure(f"adapter = {name!r}: no builders for {dialect_name!r}; known: {', '.join(ESCAPE_MODULES)}")
    mod = importlib.import_module(f".{ESCAPE_MODULES[dialect_name]}", __package__)
    if builder not in mod.ESCAPES:
        raise A.LoadFailure(f"adapter = {name!r}: unknown builder; known: "
                            + ", ".join(f"{dialect_name}.{b}" for b in mod.ESCAPES))
    return mod.ESCAPES[builder]


# ------------------------------------------------------------------------------------------------------
# The builders of the entry shapes

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
    """(name, callable) of the first of ``names`` the submission defines ((None, None) if none)."""
    for name in names:
        f = sub.attr(mod, name)
        if f is not None:
            return name, f
    return None, None


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

    def run(sub, c):
        layer = sub.attr(mod, cls)(*d.values(c, e.get("init_args", ())))
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
    return A.Adapter(forward, backward, needs=(f"{mod}.{cls}",), api=e.get("api", f"{d.prefix(mod)}.{cls}"))


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

    def forward(sub, c, o):
        pname, w0, grads = A.optimizer_case(c)
        make = lambda: sub.attr(mod, cls)(**d.keywords(c, e.get("init")))
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
    return A.Adapter(forward, needs=(f"{mod}.{cls}",), api=e.get("api", f"{d.prefix(mod)}.{cls}"))


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


# ------------------------------------------------------------------------------------------------------
# Checking a dialect manifest (the grading process, before anything runs)

def check(data: dict) -> str:
    """'' when a dialect manifest is well formed, else one line naming the key."""
    if not isinstance(data.get("modules"), list) or not all(isinstance(m, str) for m in data["modules"]):
        return f"modules = {data.get('modules')!r}: must be a list of dotted module names"
    for k in ("core",):
        if k in data and not (isinstance(data[k], list) and all(isinstance(x, str) for x in data[k])):
            return f"{k} = {data[k]!r}: must be a list of component names"
    if data.get("models") not in (None, "book", "cs231n"):
        return f"models = {data['models']!r}: must be book or cs231n"
    if data.get("reseed", "same") not in ("same", "vary"):
        return f"reseed = {data['reseed']!r}: must be same or vary"
    for name, e in (data.get("components") or {}).items():
        why = check_entry(f"components.{name}", e)
        if why:
            return why
    return ""


def check_entry(where: str, e) -> str:
    if not isinstance(e, dict):
        return f"{where}: must be a table"
    extra = set(e) - ENTRY_KEYS
    if extra:
        return (f"{where}.{sorted(extra)[0]}: unknown key in a dialect manifest entry; known: "
                f"{', '.join(sorted(ENTRY_KEYS))}")
    if "adapter" in e:
        try:
            escape(e["adapter"])
        except A.LoadFailure as err:
            return f"{where}.{err}"
        return ""
    for k in ("forward", "backward", "class"):
        if k in e and not (isinstance(e[k], str) and all(ref(e[k]))):
            return f"{where}.{k} = {e[k]!r}: must be \"file:name\" (a file of modules, a name in it)"
    for i, a in enumerate(e.get("alternatives") or ()):
        why = check_entry(f"{where}.alternatives[{i}]", a)
        if why:
            return why
    if isinstance(e.get("entries"), dict):
        for n, a in e["entries"].items():
            why = check_entry(f"{where}.entries.{n}", a)
            if why:
                return why
    if not any(k in e for k in ("forward", "class", "alternatives")):
        return f"{where}: needs forward, class, alternatives or adapter"
    return ""
