"""Test the testers: every mutant is caught by a property it names; every correct variant passes all."""
import importlib
import pkgutil

import pytest

from spec_nn.impl import FunctionImpl
from spec_nn.registry import get
from spec_nn.runner import check_property

from tests import mutants as corpus

MODULES = [importlib.import_module(f"tests.mutants.{m.name}") for m in pkgutil.iter_modules(corpus.__path__)]
MUTANTS = [m for mod in MODULES for m in mod.MUTANTS]
CORRECT = [m for mod in MODULES for m in getattr(mod, "CORRECT", [])]


def _impl(m):
    return FunctionImpl(get(m.component), m.forward, m.backward, backend=f"mutant:{m.name}")


@pytest.mark.parametrize("m", MUTANTS, ids=lambda m: f"{m.component}::{m.name}")
def test_mutant_is_caught(m):
    c = get(m.component)
    assert m.caught_by, "a mutant must name the properties that catch it"
    for p in m.caught_by:
        assert p in c.property_names, f"{p} is not a property of {c.name}"
    results = {}
    for dt in m.dtypes:
        for p in m.caught_by:
            v = check_property(c, p, _impl(m), dtype=dt)
            results[(p, dt)] = v
            if v.status in ("fail", "error"):
                assert v.message and v.example is not None
                if len(m.caught_by) == 1:  # a one-property mutant must be caught by that very property
                    assert v.property == m.caught_by[0]
                return
    pytest.fail(f"mutant {m.component}::{m.name} ({m.why}) escaped: " +
                "; ".join(f"{p}[{dt}]={v.status}" for (p, dt), v in results.items()))


@pytest.mark.parametrize("m", CORRECT, ids=lambda m: f"{m.component}::{m.name}")
def test_correct_variant_passes(m):
    c = get(m.component)
    for dt in m.dtypes:
        for p in c.property_names:
            v = check_property(c, p, _impl(m), dtype=dt, accept=m.accept)
            assert v.status == "pass", f"{m.name} [{dt}] falsely accused by {p}: {v.message}\n{v.example!r}"


def test_every_property_has_a_mutant():
    """A check that cannot fail is a defect: each component::property is named by some mutant."""
    from spec_nn.registry import COMPONENTS
    covered = {(m.component, p) for m in MUTANTS for p in m.caught_by}
    missing = [f"{c.name}::{p}" for c in COMPONENTS.values() for p in c.property_names if (c.name, p) not in covered]
    assert not missing, f"properties without a mutant: {missing}"


def test_failure_carries_message_stats_example_and_a_runnable_repro():
    """A failing check reports the one-line message, mismatch statistics, the shrunk minimal example and
    a snippet that, run as written, raises the same violation."""
    from spec_nn.errors import SpecViolation
    m = next(m for m in MUTANTS if m.component == "relu" and m.name == "derivative_x_over_abs_x")
    impl = _impl(m)
    v = check_property(get("relu"), "backward_matches_reference", impl)
    assert v.status == "fail"
    assert v.message.startswith("dx[") and ", but should be 0" in v.message
    assert v.stats["mismatched"].startswith("1 /") and "allowed" in v.stats
    assert (v.example["x"] == 0).sum() == 1 and v.example["x"].size == 1  # shrunk to x = [0.]
    assert "check_case('relu', 'backward_matches_reference', impl, case)" in v.repro
    with pytest.raises(SpecViolation) as e:
        exec(v.repro, {"impl": impl})
    assert e.value.message.split(" [")[0] == v.message.split(" [")[0]
