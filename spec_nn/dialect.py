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
from .adapters_builders import (ABSENT, WithEntries, cache_layer, derivative, find_function, function,  # noqa: F401
                                function_names, grads_of, object_layer, optimizer, prefer, primary_pick, ref,
                                returned_loss)

try:
    import tomllib
except ImportError:  # pragma: no cover - Python < 3.11
    tomllib = None

HERE = os.path.dirname(os.path.abspath(__file__))
BUILTIN = ("book", "cs231n")
# The registered builders ``adapter = "dialect.name"`` may name: module adapters_<dialect>.py, dict ESCAPES there.
ESCAPE_MODULES = {"book": "adapters_book", "cs231n": "adapters_cs231n"}
DIALECT_KEYS = {"dialect", "modules", "core", "models", "reseed", "inputs", "components", "path", "compat",
                "class_suffix", "keyword_aliases",
                "function_suffix"}
ENTRY_KEYS = {"forward", "backward", "backward_style", "args", "class", "init", "init_args", "grads",
              "grads_fallback", "grad_returns", "param", "layout", "dout", "optimizer", "alternatives", "entries",
              "adapter", "with", "kw_if_taken", "api", "fixed", "cases", "accept", "restrict", "options",
              "exact_name", "not_in_api", "course_provided"}


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
