"""Conformance scenarios: claims about training dynamics from the seed articles, turned into
reproducible measurements with thresholds (see :mod:`conformance.scenario`).

``SCENARIOS`` is the first registry (the training-dynamics scenarios), ``SEED_SCENARIOS`` the seed
claims added after it (perceptrons, loss vs accuracy, mini-batches, sparsity, the book's chapter-6
histograms, seed 000's clipping remedy); ``ALL_SCENARIOS`` is both, in the order ``spec-nn conformance``
runs them.  Every scenario runs on any :class:`conformance.ops.Ops` backend (``make_ops("reference" |
"torch" | "torch-cpu" | "torch-cuda")`` or a submission's adapter).
"""
from .activation_hist import ACTIVATION_HISTOGRAMS
from .dead_relu_variants import DEAD_RELU_CLIPPED
from .gradients import EXPLODING, RELU_HE, RESIDUAL, VANISHING
from .minibatch import MINIBATCH
from .ops import make_ops
from .optim_paths import OPTIMIZER_PATHS
from .perceptron import LOSS_NOT_ACCURACY, PERCEPTRON_GATES
from .scenario import Scenario, check
from .sparsity import RELU_SPARSITY
from .training import AUTOENCODER, DEAD_RELU

SCENARIOS = [VANISHING, RELU_HE, RESIDUAL, EXPLODING, DEAD_RELU, AUTOENCODER, OPTIMIZER_PATHS]
SEED_SCENARIOS = [PERCEPTRON_GATES, LOSS_NOT_ACCURACY, MINIBATCH, RELU_SPARSITY, ACTIVATION_HISTOGRAMS,
                  DEAD_RELU_CLIPPED]
ALL_SCENARIOS = SCENARIOS + SEED_SCENARIOS
BY_NAME = {s.name: s for s in ALL_SCENARIOS}

__all__ = ["SCENARIOS", "SEED_SCENARIOS", "ALL_SCENARIOS", "BY_NAME", "Scenario", "check", "make_ops"]
