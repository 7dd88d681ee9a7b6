"""Every public strategy rejects invalid arguments with InvalidArgument naming ``name=value``
(the table of bad calls, as hypothesis.extra.numpy tests its own), and draws valid cases."""
import numpy as np
import pytest
from hypothesis import given, settings

from spec_nn import strategies as sn
from spec_nn.errors import InvalidArgument
from spec_nn.registry import COMPONENTS

BAD_CALLS = [
    (sn.shapes, dict(min_dims=0), "min_dims=0"),
    (sn.shapes, dict(min_dims=3, max_dims=2), "min_dims=3"),
    (sn.shapes, dict(min_side=2, max_side=1), "min_side=2"),
    (sn.shapes, dict(max_side=1.5), "max_side=1.5"),
    (sn.shapes, dict(min_dims=True), "min_dims=True"),
    (sn.values, dict(shape=(2, 2), dtype="int32"), "dtype='int32'"),
    (sn.values, dict(shape=(2, 2), dtype="banana"), "dtype='banana'"),
    (sn.values, dict(shape=(2, 2), scale=0), "scale=0"),
    (sn.values, dict(shape=(2, 2), scale=float("nan")), "scale=nan"),
    (sn.values, dict(shape=(2, 2), gap=-1.0), "gap=-1.0"),
    (sn.values, dict(shape=(2, 2), decimals=-1), "decimals=-1"),
    (sn.values, dict(shape=(2, 2), max_specials=-1), "max_specials=-1"),
    (sn.values, dict(shape=[2, 2]), "shape=[2, 2]"),
    (sn.values, dict(shape=(2, -1)), "shape=(2, -1)"),
    (sn.values, dict(shape=(2, 2), specials=("a",)), "specials=('a',)"),
    (sn.labels, dict(n=0, classes=3), "n=0"),
    (sn.labels, dict(n=2, classes=0), "classes=0"),
]


@pytest.mark.parametrize("fn,kwargs,named", BAD_CALLS, ids=[n for _, _, n in BAD_CALLS])
def test_invalid_arguments_raise_clearly(fn, kwargs, named):
    with pytest.raises(InvalidArgument) as e:
        fn(**kwargs)
    assert named in str(e.value)


@pytest.mark.parametrize("name", list(COMPONENTS))
@pytest.mark.parametrize("dtype", ["int32", "banana", np.complex128])
def test_component_strategies_reject_bad_dtype(name, dtype):
    with pytest.raises(InvalidArgument, match="dtype="):
        COMPONENTS[name].cases(dtype=dtype)


@pytest.mark.parametrize("name", list(COMPONENTS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_component_strategies_draw_cases_of_the_dtype(name, dtype):
    @settings(max_examples=5, database=None, deadline=None)
    @given(COMPONENTS[name].cases(dtype=np.dtype(dtype)))
    def run(case):
        for a in case.arrays.values():
            assert a.dtype == np.dtype(dtype)
    run()


@given(sn.values(sn.shapes(min_dims=1, max_dims=2), smooth=True, kinks=(0.0,), gap=0.05))
@settings(max_examples=30, database=None)
def test_smooth_values_stay_away_from_kinks(x):
    assert np.all(np.abs(x) >= 0.05)


def test_specials_reach_exact_kinks():
    from hypothesis import find
    x = find(sn.values((3,), specials=(0.0,)), lambda a: bool(np.any(a == 0)), settings=settings(database=None))
    assert np.any(x == 0)
