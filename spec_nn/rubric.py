"""Rubrics: points per ``component::property`` and the named variants a course accepts.

A rubric is TOML (the default ships as ``spec_nn/default_rubric.toml``; ``--rubric F`` overrides keys)::

    [points]                       # most specific key wins: "c::p", "c::*", "*::p", "*"
    "*" = 1
    "relu::grad_at_zero" = 2
    [accept.relu]                  # convention -> accepted variants (the specification's names)
    grad_at_zero = ["zero", "one"]
    [adapter.dropout]              # adapter variants (how the dialect reads its arguments)
    p_meaning = ["keep", "drop"]
    [accept."*"]                   # conventions every component shares (spec_nn.checks.GENERIC_CONVENTIONS)
    dout = ["untouched", "writes_dout"]
    [style.book.points]            # points of one dialect; 0 = "warn": shown on the card, no points lost
    "conv2d::preserves_dtype" = 0
    [grading]
    missing_counts = true          # a missing component of the dialect still counts in "possible"
    environment_counts = false     # a component that failed for the environment's sake counts in "possible"

The possible total of a submission is fixed by the dialect and the rubric: every property of the dialect's core
components (a manifest: of its mapped components) counts, whatever happened while grading them.  A key of the
file given with ``--rubric`` wins over the dialect's table, which wins over the defaults' ``[points]``, each at
its own level of specificity.
"""
from __future__ import annotations

import itertools
import tomllib
from dataclasses import dataclass, field
from importlib import resources

from .errors import InvalidArgument


@dataclass
class Rubric:
    points: dict = field(default_factory=lambda: {"*": 1})
    accept: dict = field(default_factory=dict)
    adapter: dict = field(default_factory=dict)
    missing_counts: bool = True
    source: str = "default"
    style_points: dict = field(default_factory=dict)  # {style: {key: points}}
    user_points: frozenset = frozenset()              # keys the --rubric file set itself
    environment_counts: bool = False
    allow_torch: bool = False                         # the submission may import torch
    visibility: dict = field(default_factory=dict)     # Gradescope test visibility, keyed like points

    def visibility_for(self, component: str, prop: str) -> str:
        """visible | after_due_date | after_published | hidden (the most specific key wins, as for points)."""
        for key in (f"{component}::{prop}", f"{component}::*", f"*::{prop}", "*"):
            if key in self.visibility:
                return self.visibility[key]
        return "visible"

    def points_for(self, component: str, prop: str, style: str | None = None) -> float:
        table = self.style_points.get(style, {}) if style else {}
        for key in (f"{component}::{prop}", f"{component}::*", f"*::{prop}", "*"):
            if key in self.user_points and key in self.points:
                return float(self.points[key])
            if key in table:
                return float(table[key])
            if key in self.points:
                return float(self.points[key])
        return 1.0

    def accept_for(self, component: str) -> dict:
        out = {k: tuple(v) for k, v in self.accept.get("*", {}).items()}
        out.update({k: tuple(v) for k, v in self.accept.get(component, {}).items()})
        return out

    def adapter_options(self, component: str, style: str, manifest: dict | None = None) -> list[dict]:
        """Every combination of accepted adapter variants, the default first (the dialect's entry ``options``,
        or a manifest entry's own: a course's copy of a built-in dialect keeps them)."""
        conf = dict(adapter_defaults(style).get(component, {}))
        entry = ((manifest or {}).get("components") or {}).get(component) if style == "manifest" else None
        if isinstance(entry, dict) and isinstance(entry.get("options"), dict):
            conf.update({k: list(v) if isinstance(v, (list, tuple)) else [v] for k, v in entry["options"].items()})
        conf.update({k: list(v) if isinstance(v, (list, tuple)) else [v]
                     for k, v in self.adapter.get(component, {}).items()})
        if not conf:
            return [{}]
        keys = list(conf)
        return [dict(zip(keys, combo)) for combo in itertools.product(*[conf[k] for k in keys])]

    def to_json(self) -> dict:
        return {"source": self.source, "points": self.points, "style_points": self.style_points,
                "accept": self.accept, "adapter": self.adapter, "missing_counts": self.missing_counts,
                "environment_counts": self.environment_counts}


# Gradescope's test visibilities (hidden tests still count).
VISIBILITY = ("visible", "after_due_date", "after_published", "hidden")

def adapter_defaults(style: str) -> dict:
    """{component: {option: [values]}}: how a dialect reads an argument by default (its entries' ``options``;
    named variants a rubric can widen): cs231n's dropout p_meaning = as_documented; cs231n's adam initial_t =
    skeleton, zero (the course's own skeleton sets config.setdefault('t', 1) in some years, 0 in others: the
    step counter is given as the specification's 0 when the skeleton's default does not explain the outputs,
    audit class B9)."""
    from .adapters import dialect_data
    return {c: {k: list(v) if isinstance(v, (list, tuple)) else [v] for k, v in opts.items()}
            for c, opts in dialect_data(style, "options").items()}


ADAPTER_VARIANTS = {"p_meaning": ("keep", "drop"), "initial_t": ("skeleton", "zero")}


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


STYLES = ("book", "cs231n", "manifest")


def _parse(data: dict, source: str, user_points=()) -> Rubric:
    unknown = set(data) - {"points", "accept", "adapter", "grading", "style", "visibility"}
    if unknown:
        raise InvalidArgument(f"rubric {source}: unknown table(s) {sorted(unknown)}; "
                              "use [points], [accept.COMPONENT], [adapter.COMPONENT], [style.STYLE.points], [grading], "
                              "[visibility]")
    for table in ("points", "accept", "adapter", "grading", "style", "visibility"):
        if not isinstance(data.get(table, {}), dict):
            raise InvalidArgument(f"rubric {source}: {table} must be a table ([{table}]), not "
                                  f"{type(data[table]).__name__}")
    for comp, conv in data.get("adapter", {}).items():
        if not isinstance(conv, dict):
            raise InvalidArgument(f"rubric {source}: adapter.{comp} must be a table ([adapter.{comp}])")
        for k, vals in conv.items():
            vals = vals if isinstance(vals, list) else [vals]
            bad = [v for v in vals if v not in ADAPTER_VARIANTS.get(k, ())]
            if k not in ADAPTER_VARIANTS:
                raise InvalidArgument(f"rubric {source}: adapter.{comp}.{k}: unknown adapter option; "
                                      f"known: {sorted(ADAPTER_VARIANTS)}")
            if bad or not vals:
                raise InvalidArgument(f"rubric {source}: adapter.{comp}.{k}={bad or vals} is not one of "
                                      f"{ADAPTER_VARIANTS.get(k, ())}")
    style_points = {}
    for style, tables in data.get("style", {}).items():
        if style not in STYLES:
            raise InvalidArgument(f"rubric {source}: style.{style}: {style!r} is not one of {STYLES}")
        if not isinstance(tables, dict) or set(tables) - {"points"} or not isinstance(tables.get("points", {}), dict):
            raise InvalidArgument(f"rubric {source}: style.{style} may hold only a [style.{style}.points] table")
        style_points[style] = dict(tables.get("points", {}))
    for key, vis in data.get("visibility", {}).items():
        if vis not in VISIBILITY:
            raise InvalidArgument(f"rubric {source}: visibility.{key!r}={vis!r} is not one of {', '.join(VISIBILITY)}")
    grading = data.get("grading", {})
    known = ("missing_counts", "environment_counts", "allow_torch")
    extra = set(grading) - set(known)
    if extra:
        raise InvalidArgument(f"rubric {source}: grading.{sorted(extra)[0]}: unknown key; known: {', '.join(known)}")
    for key in known:
        if not isinstance(grading.get(key, True), bool):
            raise InvalidArgument(f"rubric {source}: grading.{key}={grading[key]!r} must be true or false")
    return Rubric(points=dict(data.get("points", {"*": 1})), accept=dict(data.get("accept", {})),
                  adapter=dict(data.get("adapter", {})),
                  missing_counts=grading.get("missing_counts", True), source=source, style_points=style_points,
                  user_points=frozenset(user_points), environment_counts=grading.get("environment_counts", False),
                  allow_torch=grading.get("allow_torch", False), visibility=dict(data.get("visibility", {})))


def default_data() -> dict:
    return tomllib.loads(resources.files("spec_nn").joinpath("default_rubric.toml").read_text())


def load(path: str | None = None) -> Rubric:
    data = default_data()
    if path is None:
        return _parse(data, "default")
    try:
        with open(path, "rb") as f:
            over = tomllib.load(f)
    except OSError as e:
        raise InvalidArgument(f"rubric={path!r} cannot be read: {e.strerror}") from None
    except tomllib.TOMLDecodeError as e:
        raise InvalidArgument(f"rubric={path!r} is not valid TOML: {e}") from None
    if not isinstance(over.get("points", {}), dict):
        raise InvalidArgument(f"rubric {path}: points must be a table ([points]), not {type(over['points']).__name__}")
    rub = _parse(_merge(data, over), path, user_points=over.get("points", {}).keys())
    _validate(rub, path)
    return rub


def _validate(rub: Rubric, source: str) -> None:
    """Every name a rubric uses must exist (a misspelt id would otherwise be ignored silently) and every
    value must have the right type: InvalidArgument with one line otherwise."""
    import math

    from .registry import COMPONENTS
    from .checks import GENERIC_CONVENTIONS
    all_props = {p for c in COMPONENTS.values() for p in c.property_names}
    tables = [("points", rub.points)] + [(f"style.{s}.points", t) for s, t in rub.style_points.items()]
    for where, key, val in ((w, k, v) for w, t in tables for k, v in t.items()):
        comp, sep, prop = str(key).partition("::")
        if key != "*":
            if not sep:
                raise InvalidArgument(f"rubric {source}: {where} key {key!r} is not \"*\", \"COMPONENT::*\", "
                                      "\"*::PROPERTY\" or \"COMPONENT::PROPERTY\"")
            if comp != "*" and comp not in COMPONENTS:
                raise InvalidArgument(f"rubric {source}: {where} {key!r}: {comp!r} is not a component")
            if prop != "*":
                known = COMPONENTS[comp].property_names if comp != "*" else all_props
                if prop not in known:
                    raise InvalidArgument(f"rubric {source}: {where} {key!r}: {prop!r} is not a property of "
                                          + (comp if comp != "*" else "any component")
                                          + (f"; it has {list(known)}" if comp != "*" else ""))
        if isinstance(val, bool) or not isinstance(val, (int, float)) or not math.isfinite(val) or val < 0:
            raise InvalidArgument(f"rubric {source}: {where} {key!r} = {val!r} must be a number >= 0")
    for comp in rub.adapter:
        if comp not in COMPONENTS:
            raise InvalidArgument(f"rubric {source}: adapter.{comp}: {comp!r} is not a component")
    for comp, conv in rub.accept.items():
        if comp == "*":
            if not isinstance(conv, dict):
                raise InvalidArgument(f'rubric {source}: accept."*" must be a table mapping shared conventions '
                                      "to lists of variants")
            for name, variants in conv.items():
                if name not in GENERIC_CONVENTIONS:
                    raise InvalidArgument(f'rubric {source}: accept."*".{name}: not a convention every component '
                                          f"shares; those are {sorted(GENERIC_CONVENTIONS)}")
                _check_variants(source, f'accept."*".{name}', conv, name, GENERIC_CONVENTIONS[name].variants)
            continue
        if comp not in COMPONENTS:
            raise InvalidArgument(f"rubric {source}: accept.{comp}: {comp!r} is not a component")
        if not isinstance(conv, dict):
            raise InvalidArgument(f"rubric {source}: accept.{comp} must be a table ([accept.{comp}]) mapping "
                                  "conventions to lists of variants")
        c = COMPONENTS[comp]
        shared = {n: cv for n, cv in GENERIC_CONVENTIONS.items() if c.backward is not None}
        for name, variants in conv.items():
            try:
                known = c.convention(name).variants
            except KeyError:
                if name not in shared:
                    raise InvalidArgument(f"rubric {source}: accept.{comp}.{name}: {comp} has no convention "
                                          f"{name!r}; it has {[x.name for x in c.conventions] + sorted(shared)}") \
                        from None
                known = shared[name].variants
            _check_variants(source, f"accept.{comp}.{name}", conv, name, known)


def _check_variants(source, where, conv, name, known):
    variants = conv[name]
    if isinstance(variants, str):
        variants = conv[name] = [variants]
    if not isinstance(variants, list) or not variants:
        raise InvalidArgument(f"rubric {source}: {where} = {variants!r} must be a non-empty "
                              f"list of variants among {list(known)}")
    bad = [v for v in variants if not isinstance(v, str) or v not in known]
    if bad:
        raise InvalidArgument(f"rubric {source}: {where}={bad} is not among {list(known)}")
