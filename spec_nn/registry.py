"""The registry of components, in the canonical order.  Names are an API."""
from __future__ import annotations

import dataclasses
import difflib
import functools

from .errors import InvalidArgument
from .record import Component
from .specs import activations, gradient, init, layers, losses, models, norms, optim
from .strategies import check_dtype

CANONICAL = (
    "identity", "step", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "prelu", "softmax", "log_softmax",
    "sum_squared_error", "cross_entropy", "softmax_cross_entropy", "svm_loss",
    "affine", "conv2d", "max_pool2d", "dropout", "batch_norm", "spatial_batch_norm", "layer_norm",
    "group_norm", "residual_block",
    "sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam",
    "he_init", "xavier_init", "numerical_gradient",
)



def _validating(cases):
    """Every component strategy rejects a bad dtype with InvalidArgument before drawing anything."""
    @functools.wraps(cases)
    def wrapper(*, dtype="float64", smooth=False, **kw):
        return cases(dtype=check_dtype(dtype), smooth=smooth, **kw)
    return wrapper


_ALL = {c.name: dataclasses.replace(c, cases=_validating(c.cases))
        for m in (activations, losses, layers, norms, optim, init, gradient, models) for c in m.COMPONENTS}
COMPONENTS: dict[str, Component] = {n: _ALL[n] for n in CANONICAL if n in _ALL}
COMPONENTS.update({n: c for n, c in _ALL.items() if n not in COMPONENTS})


def get(name: str) -> Component:
    try:
        return COMPONENTS[name]
    except KeyError:
        close = difflib.get_close_matches(name, list(COMPONENTS), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; choose from {list(COMPONENTS)}"
        raise InvalidArgument(f"component={name!r} is not a component of the specification{hint}") from None


def names() -> list[str]:
    return list(COMPONENTS)


def all_ids() -> list[str]:
    """Every ``component::property`` id."""
    return [f"{c.name}::{p}" for c in COMPONENTS.values() for p in c.property_names]
