"""Adapters: each canonical component, called through a student's own API (the shared core).

Two dialects plus a manifest:

* ``book`` ("Deep Learning from Scratch" 1 and 2): spec_nn/adapters_book.py.
* ``cs231n`` (the CS231n assignments): spec_nn/adapters_cs231n.py.
* ``manifest``: a TOML file mapping canonical names to ``module:callable`` (see :class:`Submission` and
  :class:`ManifestAdapter`, here).

This module holds what the dialects share: the worker's view of a case, the submission loader, the
:class:`Adapter` record, the helpers both dialects call, and the registry of the dialect tables
(:func:`dialect_table`, :func:`core_components`, :func:`fixed_hp`), which imports a dialect module on first use
(the dialect modules import this one).

These files run *inside the sandbox worker* (imported from spec_nn's directory as a bare package, without
spec_nn/__init__.py; they import only NumPy and the standard library).  An adapter returns outputs and
gradients in the specification's layout (e.g. cs231n's ``(1, C, 1, 1)`` group-norm gamma becomes ``(C,)``), so
every check of the specification applies.  Adapter options (``p_meaning`` for cs231n dropout: keep | drop) are
named variants a rubric can accept.
"""
from __future__ import annotations

import importlib
import inspect
import os
import sys

import numpy as np

STYLES = ("book", "cs231n", "manifest")


class Missing(Exception):
    """The submission does not implement this (part of a) component."""


class WrongType(Exception):
    """The submission returned something that is not what its API promises."""


class LoadFailure(Exception):
    """The submission cannot be imported (a one-line reason)."""


class CaseView:
    """The worker's view of a spec_nn Case (same lookups, no dependency on the grading code)."""

    def __init__(self, arrays, consts, hp):
        self.arrays, self.consts, self.hp = arrays, consts, hp

    def __getitem__(self, key):
        for d in (self.arrays, self.consts, self.hp):
            if key in d:
                return d[key]
        raise KeyError(key)

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default

    def first(self, *keys, default=KeyError):
        """The first of several names the specification might use for one input."""
        for k in keys:
            for d in (self.arrays, self.consts, self.hp):
                if k in d:
                    return d[k]
        if default is KeyError:
            raise KeyError(f"none of {keys} in the case")
        return default

    def name_of(self, *keys):
        for k in keys:
            if k in self.arrays or k in self.consts:
                return k
        return keys[0]


def check_types(result) -> str:
    """'' if every value is an array or a number, otherwise a one-line reason (wrong_type)."""
    if not isinstance(result, dict):
        return f"the adapter produced {type(result).__name__}"
    for k, v in result.items():
        if isinstance(v, (np.ndarray, float, int, np.floating, np.integer)) and not isinstance(v, bool):
            continue
        if isinstance(v, np.bool_):
            continue
        return f"{k} is {type(v).__name__}, but should be a NumPy array"
    return ""


def arr(v, what: str) -> np.ndarray:
    if isinstance(v, np.ndarray):
        return v
    if isinstance(v, (float, int, np.floating, np.integer)) and not isinstance(v, bool):
        return np.asarray(v)
    raise WrongType(f"{what} returned {type(v).__name__}, but should be a NumPy array")


def labels_int(t) -> np.ndarray:
    t = np.asarray(t)
    return t.argmax(axis=-1) if t.ndim >= 2 else t.astype(np.int64)


def pair(result, what: str, n: int = 2) -> tuple:
    if not isinstance(result, (tuple, list)) or len(result) != n:
        raise WrongType(f"{what} returned {type(result).__name__}, but should be a tuple of {n}")
    return tuple(result)


# ------------------------------------------------------------------------------------------------------
# What the specification calls things (several names accepted while the records settle)

X = ("x",)
W = ("w", "W")
B = ("b",)
GAMMA = ("gamma",)
BETA = ("beta",)
T = ("t", "y", "labels", "target")


def hp(case, *names, default=None):
    return case.first(*names, default=default)


def as_dict_grads(case, pairs):
    """{spec name: gradient} for the arrays in the case ("w" stands for whichever of w/W it uses)."""
    out = {}
    for k, v in pairs:
        if k in ("w", "W"):
            k = case.name_of(*W)
        if k in case.arrays:
            out[k] = v
    return out


# ------------------------------------------------------------------------------------------------------
# Loading

class Submission:
    """The imported submission and the per-component adapter calls."""

    def __init__(self, style, root, manifest=None, options=None):
        self.style, self.root, self.options = style, os.path.abspath(root), dict(options or {})
        if self.root not in sys.path:
            sys.path.insert(0, self.root)
        self.mods = {}
        self.errors = {}
        if style == "book":
            names = ("common.functions", "common.layers", "common.optimizer", "common.gradient", "common.util")
        elif style == "cs231n":
            names = ("cs231n.layers", "cs231n.optim", "cs231n.gradient_check", "cs231n.layer_utils")
        elif style == "manifest":
            names = ()
        else:
            raise LoadFailure(f"unknown style {style!r}")
        for name in names:
            path = os.path.join(self.root, *name.split(".")) + ".py"
            if not os.path.exists(path):
                continue
            try:
                self.mods[name.split(".")[-1]] = importlib.import_module(name)
            except SyntaxError as e:
                rel = os.path.relpath(e.filename or path, self.root)
                raise LoadFailure(f"{rel} line {e.lineno}: SyntaxError: {e.msg}") from None
            except BaseException as e:  # noqa: BLE001 - whatever the import does, it is one line for the user
                raise LoadFailure(f"{os.path.relpath(path, self.root)} fails to import: "
                                  f"{type(e).__name__}: {e}"[:300]) from None
        self.manifest = {}
        if style == "manifest":
            self._load_manifest(manifest or {})

    def _load_manifest(self, manifest):
        for p in manifest.get("path", ["."]):
            full = os.path.abspath(os.path.join(self.root, p))
            if full not in sys.path:
                sys.path.insert(0, full)
        for name, entry in manifest.get("components", {}).items():
            if isinstance(entry, str):
                entry = {"forward": entry}
            resolved = dict(entry)
            for key in ("forward", "backward"):
                if key in entry:
                    resolved[key] = self._resolve(entry[key])
            self.manifest[name] = resolved

    def _resolve(self, ref):
        mod, _, attr = ref.partition(":")
        try:
            obj = importlib.import_module(mod)
        except SyntaxError as e:
            raise LoadFailure(f"{os.path.relpath(e.filename or mod, self.root)} line {e.lineno}: "
                              f"SyntaxError: {e.msg}") from None
        except BaseException as e:  # noqa: BLE001
            raise LoadFailure(f"manifest entry {ref!r}: module {mod!r} fails to import: {type(e).__name__}: {e}"[:300]) \
                from None
        for part in attr.split(".") if attr else ():
            if not hasattr(obj, part):
                raise LoadFailure(f"manifest entry {ref!r}: {mod} has no attribute {attr!r}")
            obj = getattr(obj, part)
        return obj

    def attr(self, mod, name):
        m = self.mods.get(mod)
        return getattr(m, name, None) if m is not None else None

    def table(self):
        return dialect_table(self.style)

    def describe(self) -> dict:
        """{component: {"forward": bool, "backward": bool}} for what this submission implements."""
        out = {}
        for comp, ad in self.table().items():
            if self.style == "manifest":
                e = self.manifest.get(comp)
                has = (e is not None and "forward" in e, e is not None and "backward" in e)
            else:
                has = ad.available(self)
            out[comp] = {"forward": bool(has[0]), "backward": bool(has[1]), "api": ad.api(self) if has[0] else "",
                         "core": comp in core_components(self.style)}
        if self.style == "manifest":
            for comp in self.manifest:
                out.setdefault(comp, {"forward": True, "backward": "backward" in self.manifest[comp], "api": comp,
                                     "core": True})
        return {"components": out, "modules": sorted(self.mods)}

    def forward(self, comp, case, options):
        ad = self.table().get(comp) if self.style != "manifest" else MANIFEST_TABLE_ENTRY
        if ad is None:
            raise Missing(f"{comp} is not part of the {self.style} dialect")
        return ad.forward(self, comp, case, options)

    def backward(self, comp, case, dout, options):
        ad = self.table().get(comp) if self.style != "manifest" else MANIFEST_TABLE_ENTRY
        if ad is None:
            raise Missing(f"{comp} is not part of the {self.style} dialect")
        return ad.backward(self, comp, case, dout, options)


class Adapter:
    """One component in one dialect: forward/backward in the specification's terms."""

    def __init__(self, fwd, bwd=None, needs=(), bwd_needs=None, api=""):
        self._fwd, self._bwd = fwd, bwd
        self.needs, self.bwd_needs = needs, bwd_needs
        self._api = api

    def _has(self, sub, needs):
        for alt in needs:  # each entry: "mod.attr" or a tuple of alternatives
            alts = alt if isinstance(alt, tuple) else (alt,)
            if not any(sub.attr(*a.split(".", 1)) is not None for a in alts):
                return False
        return True

    def available(self, sub):
        f = self._has(sub, self.needs)
        b = f and self._bwd is not None and self._has(sub, self.bwd_needs if self.bwd_needs is not None else ())
        return f, b

    def api(self, sub):
        return self._api(sub) if callable(self._api) else self._api

    def forward(self, sub, comp, case, options):
        return self._fwd(sub, case, options)

    def backward(self, sub, comp, case, dout, options):
        if self._bwd is None or not self.available(sub)[1]:
            raise Missing(f"{comp} has no backward in this submission")
        return self._bwd(sub, case, dout, options)


# ------------------------------------------------------------------------------------------------------
# Helpers both dialects use

def dropout_ratio(c):
    """The specification's drop probability (from p_drop / p_keep / p + p_meaning)."""
    if "p_drop" in c.hp:
        return float(c.hp["p_drop"])
    if "p_keep" in c.hp:
        return 1.0 - float(c.hp["p_keep"])
    if "keep_prob" in c.hp:
        return 1.0 - float(c.hp["keep_prob"])
    p = float(c.first("p", "ratio", "dropout_ratio", default=0.5))
    return p if c.hp.get("p_meaning", "drop") == "drop" else 1.0 - p


def is_train(c):
    return str(c.first("mode", default="train")) == "train"


# -- optimizers: run the update rule over the gradient sequence and return the trajectory ------------

def optimizer_case(c):
    pname = c.name_of("w", "params", "param", "x", "theta")
    w0 = c.first("w", "params", "param", "x", "theta")
    grads = c.first("grads", "g", "gs", "dws")
    return pname, np.asarray(w0), np.asarray(grads)


OPT_HP = {  # spec name(s) -> (book keyword, cs231n config key)
    "lr": (("lr", "learning_rate"), "lr", "learning_rate"),
    "momentum": (("momentum", "mu", "beta"), "momentum", "momentum"),
    "decay_rate": (("decay_rate", "rho", "alpha", "beta2_rms"), "decay_rate", "decay_rate"),
    "beta1": (("beta1",), "beta1", "beta1"),
    "beta2": (("beta2",), "beta2", "beta2"),
    "eps": (("eps", "epsilon"), None, "epsilon"),
}
OPT_KEYS = {"sgd": ("lr",), "momentum": ("lr", "momentum"), "nesterov": ("lr", "momentum"),
            "adagrad": ("lr",), "rmsprop": ("lr", "decay_rate"), "adam": ("lr", "beta1", "beta2")}


def optimizer_kwargs(c, comp, which):
    out = {}
    for key in OPT_KEYS[comp] + (("eps",) if which == 2 else ()):
        names, book_kw, cs_kw = OPT_HP[key]
        v = c.first(*names, default=None)
        kw = book_kw if which == 1 else cs_kw
        if v is not None and kw is not None:
            out[kw] = float(v)
    return out


def trajectory(c, pname, steps):
    return {"out": np.stack(steps) if steps else np.zeros((0,))}


# -- numerical gradient: the function to differentiate is named by the case ---------------------------

def spec_function(c):
    """The scalar test function the numerical_gradient case names (spec_nn/reference/gradient.py, loaded by
    path: a function object cannot cross the process boundary)."""
    import importlib.util
    global _GRAD_REF
    if _GRAD_REF is None:
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference", "gradient.py")
        spec = importlib.util.spec_from_file_location("_spec_nn_reference_gradient", path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = mod  # dataclasses look their module up
        spec.loader.exec_module(mod)
        _GRAD_REF = mod
    try:
        return _GRAD_REF.function(c.first("f", "function", "fn"))
    except KeyError as e:
        raise Missing(f"the numerical_gradient case names an unknown function: {e}") from None


_GRAD_REF = None


def call_with_h(g, f, x, c, **kw):
    h = c.first("h", default=None)
    try:
        params = inspect.signature(g).parameters
    except (TypeError, ValueError):
        params = {}
    if h is not None and "h" in params:
        kw["h"] = h
    return g(f, x, **{k: v for k, v in kw.items() if k in params or k == "h"})


def conv_hp(c):
    return int(c.first("stride", default=1)), int(c.first("pad", "padding", default=0))


def pool_hp(c):
    ph = int(c.first("pool_h", "pool_height", "kernel", "k", "size", default=2))
    pw = int(c.first("pool_w", "pool_width", "kernel", "k", "size", default=ph))
    return ph, pw, int(c.first("stride", default=ph)), int(c.first("pad", "padding", default=0))


def case_labels(c):
    return c.first(*T)


# ------------------------------------------------------------------------------------------------------
# The dialect tables: spec_nn/adapters_<style>.py, each with TABLE ({component: Adapter}), CORE (the components
# the dialect defines: others are graded when present, never counted as missing) and FIXED_HP (hyper-parameters
# the dialect hard-codes: the grader draws cases with these values, e.g. the book's eps).

DIALECTS = ("book", "cs231n")


def dialect(style):
    """The module of a dialect's adapters, imported on first use (spec_nn/adapters_<style>.py)."""
    return importlib.import_module(f".adapters_{style}", __package__)


def dialect_table(style) -> dict:
    """{component: Adapter} for a style (the manifest's table is empty: its entries name their callables)."""
    return dialect(style).TABLE if style in DIALECTS else MANIFEST_TABLE


def core_components(style) -> tuple:
    """The components a style defines (none for the manifest: it defines what it maps)."""
    return dialect(style).CORE if style in DIALECTS else ()


def fixed_hp(style) -> dict:
    """{component: {hyper-parameter: value}} a style hard-codes."""
    return dialect(style).FIXED_HP if style in DIALECTS else {}


# ------------------------------------------------------------------------------------------------------
# manifest: [components.NAME] forward = "module:callable", backward = "module:callable",
# args = ["x", "w", "b"] (positional, from the case; default: its arrays then its consts),
# hp = ["stride", "pad"] (passed as keywords; default none), returns = "out" | ["out", "cache"]...
# backward(dout, *args, **hp) returns the gradient (one input), a tuple in args order, or a dict.

class ManifestAdapter(Adapter):
    def __init__(self):
        super().__init__(None)

    def _call(self, sub, comp, case, fn, lead=()):
        e = sub.manifest.get(comp)
        if e is None or fn not in e:
            raise Missing(f"the manifest maps no {fn} for {comp}")
        names = e.get("args") or list(case.arrays) + list(case.consts)
        args = [case[n] for n in names]
        kwargs = {n: case.hp[n] for n in (e.get("hp") or ()) if n in case.hp}
        if e.get("pass_hp") == "all":
            kwargs = dict(case.hp)
        return e[fn](*lead, *args, **kwargs), names

    def forward(self, sub, comp, case, options):
        res, _ = self._call(sub, comp, case, "forward")
        if isinstance(res, dict):
            return {k: arr(v, f"{comp} forward") for k, v in res.items()}
        if isinstance(res, (tuple, list)):
            res = res[0]
        return {"out": arr(res, f"{comp} forward")}

    def backward(self, sub, comp, case, dout, options):
        res, names = self._call(sub, comp, case, "backward", lead=(dout,))
        grads = [n for n in names if n in case.arrays]
        if isinstance(res, dict):
            return {k: arr(v, f"{comp} backward") for k, v in res.items()}
        if isinstance(res, (tuple, list)):
            return {n: arr(v, f"{comp} backward") for n, v in zip(grads, res)}
        return {grads[0]: arr(res, f"{comp} backward")}


MANIFEST_TABLE_ENTRY = ManifestAdapter()
MANIFEST_TABLE: dict = {}
