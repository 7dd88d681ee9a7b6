"""The manifest vocabulary on the grading process's side (spec_nn/vocabulary.py interprets it in the worker):
an entry's input restrictions restrict the cases drawn (:func:`for_entry`, :func:`restrict_case`), and its keys
are checked before anything runs (:func:`check_entry`, :func:`check_accept`: one line naming the key).
"""
from __future__ import annotations

import numpy as np

from .adapters import keywords_taken
from .vocabulary import BACKWARD_STYLES, LAYOUTS, MODE_BY, PROTOCOLS, RESTRICT, labels_as, layout_kind


BACKWARD_PROPERTIES = ("backward_matches_reference", "backward_matches_finite_differences", "does_not_mutate_inputs",
                       "preserves_dtype", "finite_outputs")
BATCHED = ("x", "y", "t")


def restrict_case(case, restrict: dict, fixed: dict, train_only: bool = False):
    """One drawn case as the library's API supports it (a map, never a rejection: no generation is wasted)."""
    from .record import Case
    arrays, consts, hp = dict(case.arrays), dict(case.consts), dict(case.hp)
    if restrict.get("ndim") == 2:
        for d in (arrays, consts):
            for k in [k for k in d if k in BATCHED and isinstance(d[k], np.ndarray)]:
                v = d[k]
                if k == "t" and v.dtype.kind in "iu" and v.ndim <= 1:
                    d[k] = v.reshape(-1)
                elif v.ndim == 1:
                    d[k] = v.reshape(1, -1)
                elif v.ndim > 2:
                    d[k] = v.reshape(v.shape[0], -1)
    if restrict.get("labels") and "t" in consts:
        consts["t"] = labels_as(consts["t"], next(iter(arrays.values()), None), restrict["labels"])
        if "label_format" in hp:
            hp["label_format"] = restrict["labels"]
    k = int(restrict.get("batch_min", 1))
    x = arrays.get("x", arrays.get("y"))
    if k > 1 and isinstance(x, np.ndarray) and x.ndim >= 1 and x.shape[0] < k:
        reps = -(-k // max(1, x.shape[0]))
        for d in (arrays, consts):
            for name in [n for n in d if n in BATCHED and isinstance(d[n], np.ndarray) and d[n].ndim >= 1]:
                d[name] = np.concatenate([d[name]] * reps, axis=0)
    if restrict.get("dtype"):
        dt = np.dtype(restrict["dtype"])
        conv = lambda v: v.astype(dt) if isinstance(v, np.ndarray) and v.dtype.kind == "f" else v
        arrays = {n: conv(v) for n, v in arrays.items()}
        consts = {n: conv(v) for n, v in consts.items()}
        if "dtype" in hp:
            hp["dtype"] = dt.name
    hp.update({n: v for n, v in fixed.items() if n in hp})
    if train_only and "mode" in hp:
        hp["mode"] = "train"
    return Case(arrays, consts, hp)


def for_entry(comp, entry: dict, accept=None):
    """(component, accept) as a manifest entry's API supports it: case factories called with ``cases``
    keywords (and the ones ``restrict`` implies: ``divisible``, ``two_d``/``single`` for ``ndim = 2``), every
    drawn case mapped by :func:`restrict_case`, backward-calling properties drawn in the ``backward_modes``
    only, and the entry's ``accept`` under the rubric's.  Runs in the grading process."""
    import dataclasses
    restrict = dict(entry.get("restrict") or {})
    fixed = dict(entry.get("fixed") or {})
    kw = dict(entry.get("cases") or {})
    if restrict.get("divisible"):
        kw["divisible"] = True
    if restrict.get("ndim") == 2:
        kw.setdefault("two_d", True)
        kw.setdefault("single", False)
    merged = {k: tuple(v) for k, v in (entry.get("accept") or {}).items()}
    merged.update(accept or {})
    modes = entry.get("backward_modes")
    train_only = bool(modes) and list(modes) == ["train"]
    if not (restrict or fixed or kw or train_only):
        return comp, merged

    def wrap(factory, backward_prop):
        if factory is None:
            return None
        use = keywords_taken(factory, kw)

        def cases(**k2):
            return factory(**k2, **use).map(lambda c: restrict_case(c, restrict, fixed, train_only and backward_prop))
        cases.__doc__ = factory.__doc__
        return cases

    props = tuple(dataclasses.replace(p, cases=wrap(p.cases if p.cases is not None else comp.cases,
                                                    _calls_backward(p.name)))
                  if p.cases is not None or (train_only and _calls_backward(p.name)) else p for p in comp.properties)
    generic = comp.generic_properties
    if train_only:  # generic properties calling backward become specific ones drawing train cases only
        moved = [n for n in generic if n in BACKWARD_PROPERTIES and comp.specific(n) is None]
        props = props + tuple(dataclasses.replace(_generic_property(comp, n), cases=wrap(comp.cases, True))
                              for n in moved)
        generic = tuple(n for n in generic if n not in moved)
    return dataclasses.replace(comp, cases=wrap(comp.cases, False), properties=props, generic=generic), merged


def _calls_backward(name: str) -> bool:
    return name in BACKWARD_PROPERTIES or "backward" in name


def _generic_property(comp, name):
    from .checks import get_check
    from .record import GENERIC, Property
    return Property(name, get_check(comp, name), GENERIC.get(name, name))


def check_entry(name: str, entry: dict) -> str:
    """'' when the vocabulary keys of a manifest entry are well formed, else one line naming the key."""
    def bad(key, why):
        return f"components.{name}.{key} = {entry.get(key)!r}: {why}"

    def is_ref(s):
        return isinstance(s, str) and bool(s.partition(":")[0]) and bool(s.partition(":")[2])
    if "class" in entry and not is_ref(entry["class"]):
        return bad("class", 'must be "module:Class"')
    for key in ("init", "call_kw", "grad_kw", "params", "outputs", "rename", "layout", "fixed", "accept", "cases",
                "restrict", "mode", "optimizer"):
        if key in entry and not isinstance(entry[key], dict):
            return bad(key, "must be a table")
    for key in ("init_args", "grad_args", "backward_modes", "grad_returns"):
        if key in entry and not isinstance(entry[key], list):
            return bad(key, "must be a list")
    for key in ("call", "grad", "params_at", "grads_at"):
        if key in entry and not (isinstance(entry[key], str) and entry[key]):
            return bad(key, "must be a name")
    if "prime" in entry and not isinstance(entry["prime"], (bool, dict)):
        return bad("prime", "must be true or a table of keywords")
    if entry.get("backward_style", "chain") not in BACKWARD_STYLES:
        return bad("backward_style", f"must be one of {', '.join(BACKWARD_STYLES)}")
    for spec, form in (entry.get("layout") or {}).items():
        kind = "x" if spec == "out" else layout_kind(spec)
        if form not in LAYOUTS[kind]:
            return f"components.{name}.layout.{spec} = {form!r}: must be one of {', '.join(LAYOUTS[kind])}"
    for spec in (entry.get("params") or {}).values():
        if not isinstance(spec, str):
            return f"components.{name}.params: {spec!r} must be the name of an input of the case"
    grads = entry.get("grads")
    if grads is not None and not isinstance(grads, (dict, list)):
        return bad("grads", "must be a table {library name = spec name} or a list of spec names")
    m = entry.get("mode")
    if m is not None:
        if m.get("by") not in MODE_BY:
            return f"components.{name}.mode.by = {m.get('by')!r}: must be one of {', '.join(MODE_BY)}"
        if m["by"] in ("keyword", "attribute") and not isinstance(m.get("name"), str):
            return f"components.{name}.mode.name: the {m['by']} to set is missing"
    for mm in entry.get("backward_modes") or ():
        if mm not in ("train", "eval"):
            return f"components.{name}.backward_modes: {mm!r} must be train or eval"
    o = entry.get("optimizer")
    if o is not None and o.get("protocol", "call") not in PROTOCOLS:
        return f"components.{name}.optimizer.protocol = {o.get('protocol')!r}: must be one of {', '.join(PROTOCOLS)}"
    if o is not None and "class" not in entry and "forward" not in entry:
        return f"components.{name}.optimizer: needs class = \"module:Class\" or forward = \"module:callable\""
    for k, v in (entry.get("restrict") or {}).items():
        if k not in RESTRICT:
            return f"components.{name}.restrict.{k}: unknown restriction; known: {', '.join(RESTRICT)}"
        if v not in RESTRICT[k]:
            return f"components.{name}.restrict.{k} = {v!r}: must be one of {', '.join(map(repr, RESTRICT[k]))}"
    for k, v in (entry.get("accept") or {}).items():
        if not (isinstance(v, list) and all(isinstance(x, str) for x in v)):
            return f"components.{name}.accept.{k} = {v!r}: must be a list of variant names"
    return ""


def check_accept(name: str, entry: dict, comp) -> str:
    """'' when every accepted variant is one the specification names for that component."""
    for conv, variants in (entry.get("accept") or {}).items():
        try:
            c = comp.convention(conv)
        except KeyError:
            return (f"components.{name}.accept.{conv}: {name} has no convention {conv!r}; it has "
                    f"{', '.join(x.name for x in comp.conventions) or 'none'}")
        for v in variants:
            if v not in c.variants:
                return f"components.{name}.accept.{conv}: {v!r} is not a variant; choose from {', '.join(c.variants)}"
    return ""
