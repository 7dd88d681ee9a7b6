"""Conformance scenarios: claims about training dynamics from the seed articles, turned into
reproducible measurements with thresholds (see :mod:`conformance.scenario`).

``SCENARIOS`` is the ordered registry; every scenario runs on any :class:`conformance.ops.Ops`
backend (``make_ops("reference" | "torch" | "torch-cpu" | "torch-cuda")`` or a submission's adapter).
"""
from .gradients import EXPLODING, RELU_HE, RESIDUAL, VANISHING
from .ops import make_ops
from .optim_paths import OPTIMIZER_PATHS
from .scenario import Scenario, check
from .training import AUTOENCODER, DEAD_RELU

SCENARIOS = [VANISHING, RELU_HE, RESIDUAL, EXPLODING, DEAD_RELU, AUTOENCODER, OPTIMIZER_PATHS]
BY_NAME = {s.name: s for s in SCENARIOS}

__all__ = ["SCENARIOS", "BY_NAME", "Scenario", "check", "make_ops"]
