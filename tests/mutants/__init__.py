"""The corpus of deliberately broken implementations (mutants) and correct-but-different variants.

Each module exports ``MUTANTS`` and ``CORRECT``: lists of :class:`Mutant`.  A mutant names the
properties that must catch it (``caught_by``: at least one must fail); a correct variant must pass
every property (with the rubric ``accept`` it declares)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable


@dataclass
class Mutant:
    component: str
    name: str
    forward: Callable            # forward(case) -> out | dict
    backward: Callable | None = None  # backward(case, dout) -> dict
    caught_by: tuple = ()        # properties of which at least one must fail (mutants)
    accept: dict = field(default_factory=dict)  # rubric acceptance (correct variants)
    dtypes: tuple = ("float64",)
    why: str = ""


def impl_of(component: str, name: str, correct: bool = False):
    """The FunctionImpl of the corpus entry ``component::name`` (what the corpus's reproduction snippets call)."""
    import importlib
    import pkgutil

    from spec_nn.impl import FunctionImpl
    from spec_nn.registry import get
    for m in pkgutil.iter_modules(__path__):
        mod = importlib.import_module(f"{__name__}.{m.name}")
        for mu in getattr(mod, "CORRECT" if correct else "MUTANTS", []):
            if mu.component == component and mu.name == name:
                return FunctionImpl(get(component), mu.forward, mu.backward, backend=f"mutant:{name}")
    raise KeyError(f"no mutant {component}::{name} in the corpus")
