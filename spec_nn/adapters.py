"""Adapters: each canonical component, called through a student's own API (the shared core).

Two dialects plus a manifest:

* ``book`` ("Deep Learning from Scratch" 1 and 2) and ``cs231n`` (the CS231n assignments): dialect manifests,
  spec_nn/dialects/book.toml and cs231n.toml, read by spec_nn/dialect.py (their own behaviour that is not data:
  spec_nn/adapters_book.py, adapters_cs231n.py); a user manifest with ``modules`` is a dialect too;
* ``manifest``: a TOML file mapping canonical names to ``module:callable`` (see :class:`Submission` and
  :class:`ManifestAdapter`, here; the vocabulary beyond that: spec_nn/vocabulary.py).

This module holds what the dialects share: the worker's view of a case, the submission loader, the
:class:`Adapter` record, the helpers the dialects call, and the dialects' data for the grader
(:func:`dialect_table`, :func:`core_components`, :func:`fixed_hp`, :func:`for_dialect`).

These files run *inside the sandbox worker* (imported from spec_nn's directory as a bare package, without
spec_nn/__init__.py; they import only NumPy and the standard library).  An adapter returns outputs and
gradients in the specification's layout (e.g. cs231n's ``(1, C, 1, 1)`` group-norm gamma becomes ``(C,)``), so
every check of the specification applies.  Adapter options (``p_meaning`` for cs231n dropout: keep | drop) are
named variants a rubric can accept.
"""
from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import re
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

from . import adapters_loading  # noqa: E402 - why a file did not load (environment or student)
from .adapters_loading import environment_fix, load_problem, looks_like_python2, where_in  # noqa: E402,F401


class Submission:
    """The imported submission and the per-component adapter calls.

    Each file of the dialect is imported on its own: one that does not load (or imports one that does not)
    is recorded in ``problems`` with one line (file, line, exception) and the status ``error`` or
    ``environment``; the components it provides get that status and every other component is graded.
    """

    def __init__(self, style, root, manifest=None, options=None):
        self.style, self.root, self.options = style, os.path.abspath(root), dict(options or {})
        if self.root not in sys.path:
            sys.path.insert(0, self.root)
        self.mods = {}
        self.problems = {}   # short module name ("layers") or manifest component -> load_problem dict
        if style not in STYLES:
            raise LoadFailure(f"unknown style {style!r}")
        from . import adapters_models, dialect  # noqa: F401 - the models fill MANIFEST_TABLE
        # a built-in dialect (spec_nn/dialects/<style>.toml) or a manifest with modules (a copied one)
        self.dialect = dialect.of(style, manifest)
        modules = self.dialect.modules if self.dialect is not None else ()
        if self.dialect is not None and style == "manifest":
            for p in manifest.get("path", ["."]):
                full = os.path.abspath(os.path.join(self.root, p))
                if full not in sys.path:
                    sys.path.insert(0, full)
        self.failed_sources = {}  # short module name -> path of a dialect file that did not load
        for name in modules:
            path = os.path.join(self.root, *name.split(".")) + ".py"
            if not os.path.exists(path):
                continue
            try:
                self.mods[name.split(".")[-1]] = importlib.import_module(name)
            except BaseException as e:  # noqa: BLE001 - whatever the import does, it is one line for the user
                if isinstance(e, (KeyboardInterrupt, MemoryError)):
                    raise
                self.problems[name.split(".")[-1]] = load_problem(e, self.root, path)
                self.failed_sources[name.split(".")[-1]] = path
                for k in [k for k in sys.modules if k == name]:
                    del sys.modules[k]
        # The dialect's package may hold more files (conv_layers.py, activation.py...): names the canonical
        # files lack are looked up there too, so a student's own file layout is graded, not called missing.
        self.extras = []
        pkg = modules[0].split(".")[0] if modules else None
        canonical = set(modules)
        if pkg and os.path.isdir(os.path.join(self.root, pkg)):
            for f in sorted(os.listdir(os.path.join(self.root, pkg))):
                name = f"{pkg}.{f[:-3]}"
                if f.endswith(".py") and f != "__init__.py" and name not in canonical and f[:-3].isidentifier():
                    try:
                        self.extras.append(importlib.import_module(name))
                    except BaseException as e:  # noqa: BLE001 - an extra file only matters if it is needed
                        if isinstance(e, (KeyboardInterrupt, MemoryError)):
                            raise
        adapters_loading.PY2_TREE = looks_like_python2(self.root)
        self.manifest = {}
        if style == "manifest" and self.dialect is None:
            self._load_manifest(manifest or {})

    def _load_manifest(self, manifest):
        for p in manifest.get("path", ["."]):
            full = os.path.abspath(os.path.join(self.root, p))
            if full not in sys.path:
                sys.path.insert(0, full)
        if manifest.get("compat"):
            from . import vocabulary
            vocabulary.apply_compat(manifest["compat"])
        for name, entry in manifest.get("components", {}).items():
            if isinstance(entry, str):
                entry = {"forward": entry}
            resolved = dict(entry)
            try:
                for key in ("forward", "backward"):
                    if key in entry:
                        resolved[key] = self._resolve(entry[key])
                if "class" in entry:  # the manifest vocabulary (spec_nn/vocabulary.py): objects, by reference
                    from . import vocabulary
                    for ref in vocabulary.refs({k: v for k, v in entry.items() if k not in ("forward", "backward")}):
                        self.vocab_ref(ref)
            except LoadFailure as e:
                self.problems[name] = e.args[1] if len(e.args) > 1 else {"status": "error", "message": str(e)}
                continue
            self.manifest[name] = resolved

    def _resolve(self, ref):
        mod, _, attr = ref.partition(":")
        try:
            obj = importlib.import_module(mod)
        except BaseException as e:  # noqa: BLE001
            if isinstance(e, (KeyboardInterrupt, MemoryError)):
                raise
            spec = importlib.util.find_spec(mod.split(".")[0]) if not isinstance(e, ImportError) else None
            path = getattr(spec, "origin", None) or os.path.join(self.root, *mod.split(".")) + ".py"
            p = load_problem(e, self.root, path)
            p["message"] = f"manifest entry {ref!r}: " + p["message"]
            raise LoadFailure(p["message"], p) from None
        for part in attr.split(".") if attr else ():
            if not hasattr(obj, part):
                raise LoadFailure(f"manifest entry {ref!r}: {mod} has no attribute {attr!r}",
                                  {"status": "error", "message": f"manifest entry {ref!r}: {mod} has no attribute "
                                                                 f"{attr!r}", "file": "", "line": None, "fix": ""})
            obj = getattr(obj, part)
        return obj

    def vocab_ref(self, ref):
        """A "module:attr" of the manifest vocabulary (a class, an object's class), resolved once."""
        cache = self.__dict__.setdefault("_vocab_refs", {})
        if ref not in cache:
            cache[ref] = self._resolve(ref)
        return cache[ref]

    def attr(self, mod, name):
        return self.lookup(mod, name)[1]

    def name_of(self, mod, name) -> str:
        """The name the submission gives what ``attr(mod, name)`` finds (``RMSProp`` for RMSprop)."""
        return self.lookup(mod, name)[0] or name

    def lookup(self, mod, name) -> tuple:
        """(name as the submission spells it, object), or (None, None): ``name`` in the dialect file ``mod``, then
        in the package's other files, then (defined in one of those files, exactly one match) spelt with other
        capitals: students write ``RMSProp``, ``ReLU``, ``Adagrad`` for the book's RMSprop, Relu, AdaGrad."""
        m = self.mods.get(mod)
        found = getattr(m, name, None) if m is not None else None
        if found is not None:
            return name, found
        if mod in self.problems:
            return None, None
        for extra in self.extras:  # the student's other files of the dialect's package
            found = getattr(extra, name, None)
            if found is not None and getattr(found, "__module__", extra.__name__) == extra.__name__:
                return name, found
        # The scan over every name of the files runs once per (file, spelling): adapters with alternatives ask
        # for an absent name on every call (the layer class before the function), and the files do not change.
        spellings = self.__dict__.setdefault("_spellings", {})
        key = (mod, name.lower())
        if key not in spellings:
            hits = [(a, getattr(f, a)) for f in ([m] if m is not None else []) + list(self.extras) for a in vars(f)
                    if a.lower() == key[1] and getattr(getattr(f, a), "__module__", f.__name__) == f.__name__]
            spellings[key] = hits[0] if len(hits) == 1 else (None, None)
        return spellings[key]

    def table(self):
        return self.dialect.table if self.dialect is not None else MANIFEST_TABLE

    def problem_of(self, ad) -> dict | None:
        """The load problem of a file this adapter's component comes from (None when they all loaded, or when
        the file that failed does not define any of the names the component needs: that component is missing,
        not broken, e.g. a Convolution class absent from a layers.py whose import failed)."""
        for m in adapter_modules(ad):
            if m in self.problems and self._defined_in_failed(ad, m):
                return self.problems[m]
        return None

    def _defined_in_failed(self, ad, mod) -> bool:
        """Whether a name the component needs is defined (def, class or assignment, any capitals) in the failed
        file or another file of its package (it may import it from there)."""
        path = getattr(self, "failed_sources", {}).get(mod)
        names = adapter_names(ad, mod)
        if not path or not names:
            return True
        pattern = re.compile("|".join(rf"^\s*(class|def)\s+{re.escape(n)}\b|^\s*{re.escape(n)}\s*=" for n in names),
                             re.M | re.I)
        texts = self._package_sources(os.path.dirname(path))
        return texts is None or any(pattern.search(t) for t in texts)

    def _package_sources(self, folder) -> list | None:
        """The text of every .py file in ``folder``, read once per submission (None when one cannot be read)."""
        cache = self.__dict__.setdefault("_sources", {})
        if folder not in cache:
            texts = []
            try:
                for x in sorted(os.listdir(folder)):
                    if x.endswith(".py"):
                        with open(os.path.join(folder, x), encoding="utf-8", errors="replace") as fh:
                            texts.append(fh.read(2_000_000))
            except OSError:
                texts = None
            cache[folder] = texts
        return cache[folder]

    def describe(self) -> dict:
        """{component: {"forward", "backward", "api", "core", "problem"}} for what this submission implements
        (problem: the load problem of its file, when the component is not available because of it)."""
        out = {}
        plain = self.dialect is None  # a plain manifest (spec_nn/vocabulary.py), not a dialect manifest
        core = self.dialect.core if self.dialect is not None else ()
        for comp, ad in self.table().items():
            if plain:
                e = self.manifest.get(comp)
                has = (e is not None and ("forward" in e or "class" in e),
                       e is not None and ("backward" in e or "grad" in e))
            else:
                has = ad.available(self)
            problem = self.problem_of(ad)
            out[comp] = {"forward": bool(has[0]), "backward": bool(has[1]), "api": ad.api(self) if has[0] else "",
                         "core": comp in core, "problem": None if has[0] else problem,
                         # graded through another file of the submission while one it could come from failed
                         "note": (problem or {}).get("message", "") if has[0] else ""}
        if plain:
            for comp in self.manifest:
                out.setdefault(comp, {"forward": True, "backward": "backward" in self.manifest[comp]
                                      or "grad" in self.manifest[comp], "api": comp,
                                     "core": True, "problem": None})
            for comp, p in self.problems.items():
                out[comp] = {"forward": False, "backward": False, "api": comp, "core": True, "problem": p}
        return {"components": out, "modules": sorted(self.mods), "problems": self.problems}

    def _adapter(self, comp):
        if self.dialect is not None:
            return self.table().get(comp)
        return MANIFEST_TABLE.get(comp, MANIFEST_TABLE_ENTRY)

    def forward(self, comp, case, options):
        ad = self._adapter(comp)
        if ad is None:
            raise Missing(f"{comp} is not part of the {self.style} dialect")
        return ad.forward(self, comp, case, options)

    def backward(self, comp, case, dout, options):
        ad = self._adapter(comp)
        if ad is None:
            raise Missing(f"{comp} is not part of the {self.style} dialect")
        return ad.backward(self, comp, case, dout, options)


def adapter_names(ad, mod) -> set:
    """The names an adapter's component looks up in the dialect module ``mod`` (every alternative's)."""
    names = set()
    for alt in tuple(getattr(ad, "needs", ()) or ()) + tuple(getattr(ad, "bwd_needs", ()) or ()):
        for a in (alt if isinstance(alt, tuple) else (alt,)):
            m, _, n = a.partition(".")
            if m == mod and n:
                names.add(n)
    for sub in getattr(ad, "alternatives", ()):
        names |= adapter_names(sub, mod)
    return names


def adapter_modules(ad) -> list:
    """The dialect modules ("layers", "optim"...) an adapter's component can come from."""
    mods = []
    for alt in tuple(getattr(ad, "needs", ()) or ()) + tuple(getattr(ad, "bwd_needs", ()) or ()):
        for a in (alt if isinstance(alt, tuple) else (alt,)):
            m = a.split(".", 1)[0]
            if m not in mods:
                mods.append(m)
    for sub in getattr(ad, "alternatives", ()):
        mods += [m for m in adapter_modules(sub) if m not in mods]
    return mods


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

# The names students give the book's train_flg (a forward called without it runs its default, train mode).
TRAIN_FLAGS = ("train_flg", "train_flag", "train", "training", "is_train", "is_training", "train_mode")


def train_keyword(fn, after: int | None = None) -> str:
    """The name under which ``fn`` takes the book's train flag: one of TRAIN_FLAGS, else (``after`` given: the
    number of positional arguments passed) the one boolean-defaulted parameter after them; '' if none."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return ""
    flag = next((n for n in TRAIN_FLAGS if n in params), "")
    if not flag and after is not None:
        rest = [p for p in list(params.values())[after:] if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
        if len(rest) == 1 and isinstance(rest[0].default, bool):
            flag = rest[0].name
    return flag


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
# The dialects: manifests with modules (spec_nn/dialect.py), the built-in ones in spec_nn/dialects/<style>.toml.
# Per entry: ``fixed`` {hp: value} the dialect hard-codes (cases are drawn at it), ``cases`` keywords of the
# record's case factories (divisible geometries, no pooling pad, 2-D affine input, a hard-coded eps...),
# ``accept`` {convention: variants} (a rubric's [accept] wins), ``entries`` further entry points of a component
# (a second backward, a derivative-style helper): its cases draw hp ``entry`` among those the submission has
# (the adapter's api string lists them after "also:"), and the adapter routes the call there.

DIALECTS = ("book", "cs231n")


def dialect_of(style, manifest=None):
    from . import dialect
    return dialect.of(style, manifest)


def dialect_table(style, manifest=None) -> dict:
    """{component: Adapter} for a style (a plain manifest's table holds the models: its entries name callables)."""
    d = dialect_of(style, manifest)
    if d is None:
        from . import adapters_models  # noqa: F401 - its models fill MANIFEST_TABLE
    return d.table if d is not None else MANIFEST_TABLE


def core_components(style, manifest=None) -> tuple:
    """The components a style defines (none for a plain manifest: it defines what it maps)."""
    d = dialect_of(style, manifest)
    return d.core if d is not None else ()


def fixed_hp(style, manifest=None) -> dict:
    """{component: {hyper-parameter: value}} a style hard-codes."""
    d = dialect_of(style, manifest)
    return d.of_entry("fixed") if d is not None else {}


def dialect_data(style, name, manifest=None) -> dict:
    """{component: value} of one per-entry key: CASES (cases; lists as tuples), ACCEPT (accept), ENTRIES
    (entries, as names), NOT_IN_API (not_in_api: properties of what the dialect's API cannot express)."""
    d = dialect_of(style, manifest)
    if d is None:
        return {}
    if name == "ENTRIES":
        return {c: d.entry_names(c) for c in d.entries if d.entry_names(c)}
    key = {"CASES": "cases", "ACCEPT": "accept", "FIXED_HP": "fixed", "NOT_IN_API": "not_in_api",
           "COURSE_PROVIDED": "course_provided"}.get(name, name)
    data = d.of_entry(key)
    if key == "cases":  # keywords of the case factories: hashable (the strategies are cached by them)
        data = {c: {k: tuple(v) if isinstance(v, list) else v for k, v in kw.items()} for c, kw in data.items()}
    if key == "not_in_api":
        data = {c: tuple(v) for c, v in data.items()}
    return data


def dialect_property_names(comp, style, manifest=None) -> tuple:
    """The property names of ``comp`` as ``style`` grades it (without the dialect's NOT_IN_API ones)."""
    absent = set(dialect_data(style, "NOT_IN_API", manifest).get(comp.name, ()))
    return tuple(p for p in comp.property_names if p not in absent)


ENTRY_MARK = "; also: "


def entries_in(api: str) -> tuple:
    """The further entry points an adapter's api string says the submission has."""
    return tuple(e.strip() for e in api.split(ENTRY_MARK, 1)[1].split(",")) if ENTRY_MARK in (api or "") else ()


_DIALECT_FACTORIES: dict = {}


def keywords_taken(factory, kw: dict) -> dict:
    """The keywords of ``kw`` that ``factory`` takes (all of them when it takes ``**kwargs``): a dialect's or a
    manifest entry's case keywords reach only the case factories that know them."""
    try:
        params = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        params = {}
    takes_all = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    return {k: v for k, v in kw.items() if takes_all or k in params}


def _with_keywords(factory, kw: dict, entries: tuple, fixed: dict):
    """``factory`` called with the keywords it takes from ``kw``, drawing hp ``entry`` among ``entries`` and with
    the hyper-parameters ``fixed`` overrides (where the case has them); one object per distinct call, so that
    strategies built from it are cached across gradings."""
    if factory is None:
        return None
    use = keywords_taken(factory, kw)
    if not use and not entries and not fixed:
        return factory
    key = (factory, tuple(sorted(use.items())), entries, tuple(sorted(fixed.items())))
    if key not in _DIALECT_FACTORIES:
        def cases(*, dtype=np.float64, smooth=False):
            from .record import Case
            strat = factory(dtype=dtype, smooth=smooth, **use)
            if fixed:
                strat = strat.map(lambda c: Case(c.arrays, c.consts,
                                                 {**c.hp, **{k: v for k, v in fixed.items() if k in c.hp}}))
            if not entries:
                return strat
            from hypothesis import strategies as st
            with_entry = lambda c, e: c if e is None else Case(c.arrays, c.consts, {**c.hp, "entry": e})
            return st.tuples(strat, st.sampled_from((None,) + entries)).map(lambda ce: with_entry(*ce))
        cases.__doc__ = factory.__doc__
        _DIALECT_FACTORIES[key] = cases
    return _DIALECT_FACTORIES[key]


def for_dialect(comp, style, accept=None, info=None, manifest=None):
    """(component, accept) as ``style`` grades it: its case factories called with the dialect's CASES keywords,
    at its FIXED_HP and drawing the further ENTRIES the submission has (``info``: the loaded submission's
    description), and the dialect's ACCEPT under the rubric's ``accept``.  Runs in the grading process."""
    import dataclasses
    d = dialect_of(style, manifest)
    entry = ((manifest or {}).get("components") or {}).get(comp.name) if style == "manifest" and d is None else None
    if isinstance(entry, dict):  # a manifest entry's restrictions, fixed values and variants (spec_nn/vocabulary.py)
        from . import vocabulary_grading
        return vocabulary_grading.for_entry(comp, entry, accept)
    fixed = fixed_hp(style, manifest).get(comp.name, {})
    kw = dialect_data(style, "CASES", manifest).get(comp.name, {})
    declared = dialect_data(style, "ENTRIES", manifest).get(comp.name, ())
    api = (((info or {}).get("components") or {}).get(comp.name) or {}).get("api", "")
    entries = tuple(e for e in declared if e in entries_in(api))
    merged = {k: tuple(v) for k, v in dialect_data(style, "ACCEPT", manifest).get(comp.name, {}).items()}
    merged.update(accept or {})
    absent = set(dialect_data(style, "NOT_IN_API", manifest).get(comp.name, ()))
    if absent:  # properties of what the dialect's API cannot express (CS231n's max pool has no pad)
        comp = dataclasses.replace(comp, properties=tuple(p for p in comp.properties if p.name not in absent))
    if kw or entries or fixed:
        props = tuple(dataclasses.replace(p, cases=_with_keywords(p.cases, kw, entries, fixed))
                      if p.cases is not None else p for p in comp.properties)
        comp = dataclasses.replace(comp, cases=_with_keywords(comp.cases, kw, entries, fixed), properties=props)
    return comp, merged


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
        if vocabulary_entry(sub, comp):  # objects, layouts, derivative styles...: spec_nn/vocabulary.py
            from . import vocabulary
            return vocabulary.forward(sub, comp, sub.manifest[comp], case)
        res, _ = self._call(sub, comp, case, "forward")
        if isinstance(res, dict):
            return {k: arr(v, f"{comp} forward") for k, v in res.items()}
        if isinstance(res, (tuple, list)):
            res = res[0]
        return {"out": arr(res, f"{comp} forward")}

    def backward(self, sub, comp, case, dout, options):
        if vocabulary_entry(sub, comp):
            from . import vocabulary
            return vocabulary.backward(sub, comp, sub.manifest[comp], case, dout)
        res, names = self._call(sub, comp, case, "backward", lead=(dout,))
        grads = [n for n in names if n in case.arrays]
        if isinstance(res, dict):
            return {k: arr(v, f"{comp} backward") for k, v in res.items()}
        if isinstance(res, (tuple, list)):
            return {n: arr(v, f"{comp} backward") for n, v in zip(grads, res)}
        return {grads[0]: arr(res, f"{comp} backward")}


def vocabulary_entry(sub, comp) -> bool:
    """Whether the manifest entry of ``comp`` uses keys beyond forward/backward/args/hp/pass_hp."""
    e = sub.manifest.get(comp)
    if e is None:
        return False
    from . import vocabulary
    return vocabulary.uses_vocabulary(e)


MANIFEST_TABLE_ENTRY = ManifestAdapter()
MANIFEST_TABLE: dict = {}
