"""The declarative records: one :class:`Component` per building block drives every generic check.

A :class:`Case` is one example input.  ``arrays`` are the differentiable inputs by name (``x``, ``w``,
``b``, ``gamma``...; the batch is axis 0 of ``x``), ``consts`` are non-differentiable arrays (labels,
gradient sequences for optimizers), ``hp`` are scalars and small settings (stride, eps, mode, seed).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

Variants = Mapping[str, str]


@dataclass(frozen=True)
class Case:
    arrays: dict = field(default_factory=dict)
    consts: dict = field(default_factory=dict)
    hp: dict = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        for d in (self.arrays, self.consts, self.hp):
            if key in d:
                return d[key]
        raise KeyError(key)

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    @property
    def dtype(self) -> np.dtype:
        for a in self.arrays.values():
            return a.dtype
        for a in self.consts.values():
            if isinstance(a, np.ndarray) and a.dtype.kind == "f":
                return a.dtype
        return np.dtype(self.hp.get("dtype", "float64"))

    def copy(self) -> "Case":
        cp = lambda d: {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in d.items()}
        return Case(cp(self.arrays), cp(self.consts), dict(self.hp))

    def replace(self, **arrays: np.ndarray) -> "Case":
        c = self.copy()
        for k, v in arrays.items():
            (c.arrays if k in c.arrays else c.consts)[k] = v
        return c

    def astype(self, dtype) -> "Case":
        conv = lambda v: v.astype(dtype) if isinstance(v, np.ndarray) and v.dtype.kind == "f" else v
        return Case({k: conv(v) for k, v in self.arrays.items()},
                    {k: conv(v) for k, v in self.consts.items()}, dict(self.hp))

    def code(self) -> str:
        """Python source that rebuilds this case (for reproduction snippets)."""
        def arr(v):
            if isinstance(v, np.ndarray):
                with np.printoptions(precision=17, threshold=10**6, floatmode="unique"):
                    body = np.array2string(v, separator=", ").replace("\n", "")
                return f"np.array({body}, dtype=np.{v.dtype})"
            return repr(v)
        part = lambda d: "{" + ", ".join(f"{k!r}: {arr(v)}" for k, v in d.items()) + "}"
        return f"Case(arrays={part(self.arrays)}, consts={part(self.consts)}, hp={self.hp!r})"

    def __repr__(self) -> str:
        def short(v):
            if isinstance(v, np.ndarray):
                if v.size <= 12:
                    return np.array2string(v, precision=4, separator=", ").replace("\n", "")
                return f"<{v.dtype} array {v.shape}>"
            return repr(v)
        items = [f"{k}={short(v)}" for d in (self.arrays, self.consts, self.hp) for k, v in d.items()]
        return "Case(" + ", ".join(items) + ")"


@dataclass(frozen=True)
class Convention:
    """A point where real implementations legitimately (or not) differ, written down as data.

    name: e.g. ``grad_at_zero``; variants: variant name -> what it means (and who uses it);
    default: the specification's choice; accepted: variants a check accepts without a rubric saying so;
    subgradients: for a derivative at a kink, the variants spanning its subdifferential: every check but the
    convention's own accepts any gradient between them at exactly the kink.
    """
    name: str
    default: str
    variants: dict
    accepted: tuple = ()
    subgradients: tuple = ()

    def __post_init__(self):
        if self.default not in self.variants:
            raise ValueError(f"{self.name}: default {self.default!r} not among {list(self.variants)}")
        if not self.accepted:
            object.__setattr__(self, "accepted", (self.default,))

    def to_json(self) -> dict:
        return {"default": self.default, "accepted": list(self.accepted), "variants": dict(self.variants)}


@dataclass(frozen=True)
class Property:
    """A component-specific property: ``check(component, impl, case, ctx)`` raises SpecViolation.

    cases: optional strategy factory overriding the component's own (same keyword arguments).
    """
    name: str
    check: Callable
    doc: str
    cases: Callable | None = None


# Generic properties, applied from the record according to the component's kind and fields.
GENERIC = {
    "forward_matches_reference": "output equals the reference forward (named convention variants accepted)",
    "backward_matches_reference": "gradients equal the reference analytic backward",
    "backward_matches_finite_differences": "gradients equal central finite differences of the forward "
                                           "(random directions; step from the dtype; kinks kept out of the stencil)",
    "does_not_mutate_inputs": "inputs (and the upstream gradient) are unchanged by forward and backward",
    "preserves_dtype": "float32 in gives float32 out, float64 in gives float64 out",
    "batch_rows_independent": "changing one batch row changes only that row of the output",
    "finite_outputs": "finite inputs (including extreme ones) give finite outputs and gradients",
}


@dataclass(frozen=True)
class Component:
    """One building block of the specification (~10 fields, every generic test is derived from them).

    name/kind/doc: canonical name; "activation" | "loss" | "layer" | "optimizer" | "initializer" | "gradient".
    forward(case, v) -> ndarray or dict of named outputs ("out" first); v maps convention -> variant.
    backward(case, dout, v) -> dict of gradients for case.arrays (None: no backward).
    cases(dtype=np.float64, smooth=False) -> Hypothesis strategy of Case; smooth=True keeps inputs away
        from kinks (for finite differences).
    torch(t, case, v) -> tensor or dict: counterpart using torch ops; t holds case.arrays as tensors.
    tol: {("float32", "backward"): (rtol, atol, "why"), ...} overrides of the dtype table.
    conventions: tuple of Convention.  properties: component-specific Property records.
    generic: names of GENERIC properties that apply (None: derived from kind and fields).
    built_from: other components it is made of (a failure there "blocks" this one).
    couples_batch: the batch rows interact (normalisation over the batch, losses averaged over it).
    """
    name: str
    kind: str
    forward: Callable
    cases: Callable
    doc: str = ""
    backward: Callable | None = None
    torch: Callable | None = None
    tol: dict = field(default_factory=dict)
    conventions: tuple = ()
    properties: tuple = ()
    generic: tuple | None = None
    built_from: tuple = ()
    couples_batch: bool = False

    @property
    def generic_properties(self) -> tuple:
        if self.generic is not None:
            return tuple(self.generic)
        names = ["forward_matches_reference"]
        if self.backward is not None:
            names += ["backward_matches_reference", "backward_matches_finite_differences"]
        names += ["does_not_mutate_inputs", "preserves_dtype"]
        if not self.couples_batch and self.kind in ("activation", "layer"):
            names.append("batch_rows_independent")
        names.append("finite_outputs")
        return tuple(names)

    @property
    def property_names(self) -> tuple:
        return self.generic_properties + tuple(p.name for p in self.properties)

    def specific(self, name: str) -> Property | None:
        for p in self.properties:
            if p.name == name:
                return p
        return None

    def convention(self, name: str) -> Convention:
        for c in self.conventions:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no convention {name!r}")

    @property
    def default_variants(self) -> dict:
        return {c.name: c.default for c in self.conventions}

    def variant_combinations(self, accept: Mapping[str, tuple] | None = None) -> list[dict]:
        """Every combination of accepted variants, the default combination first."""
        accept = dict(accept or {})
        axes = []
        for c in self.conventions:
            allowed = list(accept.get(c.name, c.accepted))
            ordered = [c.default] if c.default in allowed else []
            ordered += [a for a in allowed if a != c.default]
            axes.append([(c.name, a) for a in ordered])
        return [dict(combo) for combo in itertools.product(*axes)] or [{}]

    def to_json(self) -> dict:
        return {"name": self.name, "kind": self.kind, "doc": self.doc,
                "properties": list(self.property_names),
                "conventions": {c.name: c.to_json() for c in self.conventions},
                "built_from": list(self.built_from)}


def outputs(value: Any) -> dict:
    """Normalise a forward result to a dict of named outputs with "out" first."""
    if isinstance(value, Mapping):
        return dict(value)
    return {"out": value}
