"""Mutants generated from every record, one per generic property, so that each generic check is shown
to fail on every component it applies to (a check that cannot fail is a defect).

Each operator is a realistic slip applied to the reference: an off-by-a-few-percent constant, a
gradient with the wrong scale, an in-place write into the caller's array, an upcast, a statistic taken
over the whole batch, a log(0).  Each mutant names exactly one property, which must catch it.
"""
import numpy as np

from spec_nn.record import outputs
from spec_nn.registry import COMPONENTS

from . import Mutant


def _ref_fwd(c):
    return lambda case: outputs(c.forward(case, c.default_variants))


def _ref_bwd(c):
    return (lambda case, dout: c.backward(case, dout, c.default_variants)) if c.backward else None


def _map_out(c, f):
    fwd = _ref_fwd(c)

    def forward(case):
        res = fwd(case)
        res["out"] = f(case, np.asarray(res["out"]))
        return res
    return forward


def _first_input(case):
    if case.arrays:
        return next(iter(case.arrays.values()))
    return next(v for v in case.consts.values() if isinstance(v, np.ndarray))


def _mutates(c):
    fwd = _ref_fwd(c)

    def forward(case):
        res = {k: np.array(v, copy=True) for k, v in fwd(case).items()}
        a = _first_input(case)
        a[...] = 0  # "in-place" cleanup of a buffer that belongs to the caller
        return res
    return forward


def _blows_up(case, out):
    arrays = [a for a in list(case.arrays.values()) + list(case.consts.values()) if isinstance(a, np.ndarray)]
    bad = any(np.any(a == 0) or np.any(np.abs(a) >= 500) for a in arrays if a.dtype.kind == "f")
    with np.errstate(all="ignore"):
        return out + (np.nan if bad else 0)  # log(x) or exp(x) without a guard


def _leaks_batch(case, out):
    x = case.arrays["x"]
    return out + (0.1 * float(x[0].sum()) if x.shape[0] > 1 else 0.0)  # statistic over the whole batch


OPERATORS = {
    "forward_matches_reference": lambda c: dict(forward=_map_out(c, lambda case, o: o * 1.01 + 1e-3),
                                                backward=_ref_bwd(c), why="off by a constant"),
    "backward_matches_reference": lambda c: dict(forward=_ref_fwd(c), why="gradient 10% too large",
                                                 backward=lambda case, d: {k: g * 1.1 + 1e-3 for k, g in
                                                                           c.backward(case, d, c.default_variants).items()}),
    "backward_matches_finite_differences": lambda c: dict(
        forward=_ref_fwd(c), why="gradient with a flipped sign and an offset",
        backward=lambda case, d: {k: -g + 0.05 for k, g in c.backward(case, d, c.default_variants).items()}),
    "does_not_mutate_inputs": lambda c: dict(forward=_mutates(c), backward=_ref_bwd(c), why="writes into its input"),
    "preserves_dtype": lambda c: dict(forward=_map_out(c, lambda case, o: o.astype(np.float64)), backward=_ref_bwd(c),
                                      dtypes=("float32",), why="computes in float64 and returns it"),
    "batch_rows_independent": lambda c: dict(forward=_map_out(c, _leaks_batch), backward=_ref_bwd(c),
                                             why="mixes a batch statistic into every row"),
    "finite_outputs": lambda c: dict(forward=_map_out(c, _blows_up), backward=_ref_bwd(c),
                                     why="log/exp without a guard: NaN at 0 or at +-1000"),
}


def _generate():
    for c in COMPONENTS.values():
        for prop in c.generic_properties:
            op = OPERATORS.get(prop)
            if op is None:
                continue
            spec = op(c)
            yield Mutant(c.name, f"generic_{prop}", spec["forward"], spec["backward"], caught_by=(prop,),
                         dtypes=spec.get("dtypes", ("float64",)), why=spec["why"])


MUTANTS = list(_generate())
CORRECT = []
