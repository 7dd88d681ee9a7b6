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


def _reaches(name, predicate, prop=None, dtype="float64"):
    """The strategy of a component (or of one of its properties) can produce a case with ``predicate``."""
    from hypothesis import find
    from spec_nn.runner import strategy_for
    c = COMPONENTS[name]
    return find(strategy_for(c, prop or c.property_names[0], dtype), predicate,
                settings=settings(database=None, max_examples=2000))


def _window_has_tie(case):
    x, ph, pw, s, p = case["x"], case["pool_h"], case["pool_w"], case["stride"], case["pad"]
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=-np.inf)
    for i in range(0, xp.shape[2] - ph + 1, s):
        for j in range(0, xp.shape[3] - pw + 1, s):
            w = xp[..., i:i + ph, j:j + pw].reshape(x.shape[0], x.shape[1], -1)
            if ((w == w.max(-1, keepdims=True)).sum(-1) > 1).any():
                return True
    return False


HARD_CASES = {
    "relu: exact zero at the kink": ("relu", lambda c: bool((c["x"] == 0).any()), None),
    "relu: batch of 1": ("relu", lambda c: c["x"].ndim >= 2 and c["x"].shape[0] == 1, None),
    "conv2d: non-square kernel, stride != kernel, pad >= 1, batch of 1": (
        "conv2d", lambda c: c["w"].shape[2] != c["w"].shape[3] and c["stride"] not in c["w"].shape[2:]
        and c["pad"] >= 1 and c["x"].shape[0] == 1, None),
    "max_pool2d: non-square pool, stride != pool, pad >= 1": (
        "max_pool2d", lambda c: c["pool_h"] != c["pool_w"] and c["stride"] not in (c["pool_h"], c["pool_w"])
        and c["pad"] >= 1, None),
    "max_pool2d: ties in a window": ("max_pool2d", _window_has_tie, None),
    "softmax: logits of +-1000": ("softmax", lambda c: bool((np.abs(c["x"]) >= 1000).any()), None),
    "softmax_cross_entropy: logits of +-1000": (
        "softmax_cross_entropy", lambda c: bool((np.abs(c["x"]) >= 1000).any()), "finite_at_extreme_logits"),
    "adam: an exactly zero gradient over several steps": (
        "adam", lambda c: c["grads"].shape[0] >= 3 and bool((c["grads"] == 0).any()), None),
    "sgd: several steps": ("sgd", lambda c: c["grads"].shape[0] >= 4, None),
    "dropout: ratio other than 0.5, train mode": ("dropout", lambda c: c["mode"] == "train" and c["p"] != 0.5, None),
    "batch_norm: train mode": ("batch_norm", lambda c: c["mode"] == "train", None),
    "svm_loss: a margin of exactly 0": (
        "svm_loss", lambda c: bool(np.any((c["x"] - c["x"][np.arange(len(c["t"])), c["t"]][:, None] + 1 == 0)
                                          & (np.arange(c["x"].shape[1]) != c["t"][:, None]))), None),
}


@pytest.mark.parametrize("what", list(HARD_CASES))
def test_strategies_reach_the_hard_cases(what):
    name, predicate, prop = HARD_CASES[what]
    assert _reaches(name, predicate, prop) is not None
