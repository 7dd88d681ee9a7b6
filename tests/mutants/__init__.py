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
