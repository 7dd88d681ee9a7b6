"""No false accusations against code written the way correct CS231n solutions (assignments 1-2, 2019-2023) write
it: each test writes a minimal faithful snippet into tmp_path and grades it."""
import types

import numpy as np
import pytest

from spec_nn.adapters import dialect_table
from spec_nn.adapters import CaseView
from spec_nn.grading import grade_submission

FAST = dict(max_examples=8)

# The assignment's batchnorm: the "test" branch computes out only and leaves cache = None (the skeleton's
# ``out, cache = None, None``); batchnorm_backward is defined after a "train" forward only.
BATCHNORM = '''
import numpy as np


def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    N, D = x.shape
    running_mean = bn_param.get("running_mean", np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(D, dtype=x.dtype))
    out, cache = None, None
    if mode == "train":
        sample_mean = x.mean(axis=0)
        sample_var = x.var(axis=0)
        std = np.sqrt(sample_var + eps)
        x_hat = (x - sample_mean) / std
        out = gamma * x_hat + beta
        cache = (x_hat, std, gamma)
        running_mean = momentum * running_mean + (1 - momentum) * sample_mean
        running_var = momentum * running_var + (1 - momentum) * sample_var
    elif mode == "test":
        out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
    else:
        raise ValueError('Invalid forward batchnorm mode "%s"' % mode)
    bn_param["running_mean"] = running_mean
    bn_param["running_var"] = running_var
    return out, cache


def batchnorm_backward(dout, cache):
    x_hat, std, gamma = cache
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx_hat = dout * gamma
    dx = (1.0 / N) / std * (N * dx_hat - dx_hat.sum(axis=0) - x_hat * np.sum(dx_hat * x_hat, axis=0))
    return dx, dgamma, dbeta


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    N, C, H, W = x.shape
    out, cache = batchnorm_forward(x.transpose(0, 2, 3, 1).reshape(-1, C), gamma, beta, bn_param)
    return out.reshape(N, H, W, C).transpose(0, 3, 1, 2), cache


def spatial_batchnorm_backward(dout, cache):
    N, C, H, W = dout.shape
    dx, dgamma, dbeta = batchnorm_backward(dout.transpose(0, 2, 3, 1).reshape(-1, C), cache)
    return dx.reshape(N, H, W, C).transpose(0, 3, 1, 2), dgamma, dbeta
'''


def _write(tmp_path, layers):
    pkg = tmp_path / "cs231n"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "layers.py").write_text(layers)
    return str(tmp_path)


def _bad(res):
    return [(c["name"], p["name"], p["message"]) for c in res["components"] for p in c["properties"]
            if p["status"] in ("fail", "error", "blocked")]


def test_batchnorm_with_no_test_mode_cache_passes(tmp_path):
    """cache = None in "test" mode used to error every backward property on an eval-mode case (and block
    spatial_batch_norm); the eval gradient is now derived from the test-mode forward."""
    res = grade_submission(_write(tmp_path, BATCHNORM), style="cs231n",
                           components=["batch_norm", "spatial_batch_norm"], **FAST)
    assert not _bad(res), _bad(res)
    assert {c["name"]: c["status"] for c in res["components"]
            if c["name"] in ("batch_norm", "spatial_batch_norm")} == {"batch_norm": "pass",
                                                                       "spatial_batch_norm": "pass"}


def test_batchnorm_test_mode_bug_is_still_caught(tmp_path):
    """Using the batch statistics in "test" mode is a genuine deviation (the eval forward is still graded)."""
    buggy = BATCHNORM.replace('out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta',
                              'out = gamma * (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps) + beta')
    res = grade_submission(_write(tmp_path, buggy), style="cs231n", components=["batch_norm"], **FAST)
    bn = next(c for c in res["components"] if c["name"] == "batch_norm")
    assert bn["status"] == "fail"


@pytest.mark.parametrize("spatial", [False, True])
def test_eval_backward_is_derived_from_the_test_mode_forward(tmp_path, spatial):
    """The derived eval-mode gradient is the exact one: dx = gamma dout / sqrt(rv + eps), dgamma = sum(dout
    x_hat), dbeta = sum(dout), over the batch (and spatial) axes."""
    ns = {}
    exec(BATCHNORM, ns)
    sub = types.SimpleNamespace(attr=lambda mod, name: ns.get(name))
    rng = np.random.default_rng(0)
    shape = (3, 4, 2, 2) if spatial else (3, 4)
    x, dout = rng.normal(size=shape), rng.normal(size=shape)
    gamma, beta = rng.normal(size=4), rng.normal(size=4)
    rm, rv = rng.normal(size=4), rng.uniform(0.5, 2, size=4)
    case = CaseView({"x": x, "gamma": gamma, "beta": beta, "running_mean": rm, "running_var": rv}, {},
                    {"mode": "eval", "eps": 1e-5, "momentum": 0.9})
    name = "spatial_batch_norm" if spatial else "batch_norm"
    got = dialect_table("cs231n")[name]._bwd(sub, case, dout, {})
    view = (1, 4, 1, 1) if spatial else (4,)
    axes = (0, 2, 3) if spatial else (0,)
    inv = 1 / np.sqrt(rv + 1e-5).reshape(view)
    np.testing.assert_allclose(got["x"], dout * gamma.reshape(view) * inv, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got["gamma"], np.sum(dout * (x - rm.reshape(view)) * inv, axis=axes), rtol=1e-10)
    np.testing.assert_allclose(got["beta"], dout.sum(axis=axes), rtol=1e-10)
