"""Broken and correct-but-different dropout and normalisation layers, as students and libraries write them.

The dropout implementations here draw their masks from np.random.RandomState(seed) (CS231n's
``np.random.seed(seed)``), not from the reference's generator: the dropout checks judge consistency, so a
correct implementation with its own random stream must pass.
"""
import numpy as np

from spec_nn.reference import norms as ref

from . import Mutant

F64 = np.float64


# -- dropout --------------------------------------------------------------------------------------

def _u(c, seed_offset=0):
    return np.random.RandomState(c["seed"] + seed_offset).rand(*c["x"].shape)


def _keep(c, seed_offset=0):
    return _u(c, seed_offset) < 1 - c["p"]  # CS231n: keep with probability 1 - p


def _drop(train, evalf=lambda c: c["x"].astype(F64), mask=_keep):
    """forward(case) from train(case, mask) -> float64 and evalf(case) -> float64, cast back to x.dtype."""
    def forward(c):
        x = c["x"]
        y = train(c, mask(c)) if c["mode"] == "train" else evalf(c)
        return np.asarray(y).astype(x.dtype)
    return forward


def _drop_bwd(train_scale, eval_scale=lambda c: 1.0, mask=_keep):
    def backward(c, d):
        x = c["x"]
        g = d.astype(F64) * mask(c) * train_scale(c) if c["mode"] == "train" else d.astype(F64) * eval_scale(c)
        return {"x": g.astype(x.dtype)}
    return backward


_inv = lambda c: 1 / (1 - c["p"])  # noqa: E731
_inverted_fwd = _drop(lambda c, m: c["x"] * m * _inv(c))
_inverted_bwd = _drop_bwd(_inv)


def _renormalised(c, m):
    y = c["x"].astype(F64) * m * _inv(c)
    s = np.abs(y).sum()
    return y * (np.abs(c["x"]).sum() / s if s else 1.0)


def _mutating_dropout(c):
    x = c["x"]
    if c["mode"] == "train":
        x *= (_keep(c) * _inv(c)).astype(x.dtype)  # the caller's array, scaled in place
    return x.copy()


def _fresh_rng_forward(c):
    x = c["x"]
    if c["mode"] != "train":
        return x.copy()
    return (x * (np.random.default_rng().random(x.shape) >= c["p"]) * _inv(c)).astype(x.dtype)


def _fresh_rng_backward(c, d):
    if c["mode"] != "train":
        return {"x": d.copy()}
    return {"x": (d * (np.random.default_rng().random(d.shape) >= c["p"]) * _inv(c)).astype(d.dtype)}


DROPOUT_MUTANTS = [
    Mutant("dropout", "no_scale_inverted", _drop(lambda c, m: c["x"] * m), _drop_bwd(lambda c: 1.0),
           caught_by=("train_expectation_matches_eval",),
           why="inverted dropout without 1/(1-p): train expectation x(1-p), eval x"),
    Mutant("dropout", "inverted_train_direct_eval", _drop(lambda c, m: c["x"] * m * _inv(c),
                                                          lambda c: c["x"] * (1 - c["p"])),
           _drop_bwd(_inv, lambda c: 1 - c["p"]), caught_by=("train_expectation_matches_eval",),
           why="scales at train and again at eval: train expectation x, eval x(1-p)"),
    Mutant("dropout", "p_as_keep", _drop(lambda c, m: c["x"] * m / c["p"], mask=lambda c: _u(c) < c["p"]),
           _drop_bwd(lambda c: 1 / c["p"], mask=lambda c: _u(c) < c["p"]),
           caught_by=("drop_share_matches_p", "forward_matches_reference"),
           why="CS231n's keep-probability code handed the drop ratio: keeps p, scales 1/p"),
    Mutant("dropout", "p_as_keep_mask_only", _drop(lambda c, m: c["x"] * m * _inv(c), mask=lambda c: _u(c) < c["p"]),
           _drop_bwd(_inv, mask=lambda c: _u(c) < c["p"]), caught_by=("drop_share_matches_p",),
           why="mask rand < p keeps with probability p, but the scale is 1/(1-p)"),
    Mutant("dropout", "mask_shared_across_batch",
           _drop(lambda c, m: c["x"] * m * _inv(c), mask=lambda c: np.random.RandomState(c["seed"]).rand(
               *c["x"].shape[1:]) < 1 - c["p"]),
           _drop_bwd(_inv, mask=lambda c: np.random.RandomState(c["seed"]).rand(*c["x"].shape[1:]) < 1 - c["p"]),
           caught_by=("train_expectation_matches_eval", "drop_share_matches_p"),
           why="mask of shape x.shape[1:]: every sample drops the same units"),
    Mutant("dropout", "drops_at_eval", _drop(lambda c, m: c["x"] * m * _inv(c),
                                             lambda c: c["x"] * _keep(c) * _inv(c)),
           _drop_bwd(_inv, lambda c: 1.0), caught_by=("forward_matches_reference",),
           why="ignores mode: the mask is applied at test time too"),
    Mutant("dropout", "backward_without_mask", _inverted_fwd,
           lambda c, d: {"x": (d.astype(F64) * (_inv(c) if c["mode"] == "train" else 1.0)).astype(d.dtype)},
           caught_by=("backward_matches_reference", "backward_matches_finite_differences"),
           why="dx = dout / (1 - p): forgets the mask"),
    Mutant("dropout", "backward_fresh_mask", _inverted_fwd, _drop_bwd(_inv, mask=lambda c: _keep(c, 1)),
           caught_by=("backward_matches_reference",),
           why="backward draws a new mask instead of reusing the forward's"),
    Mutant("dropout", "ignores_seed", _fresh_rng_forward, _fresh_rng_backward,
           caught_by=("forward_matches_reference", "backward_matches_reference"),
           why="unseeded generator: two calls with the same seed disagree on the mask"),
    Mutant("dropout", "scales_x_in_place", _mutating_dropout, _inverted_bwd, caught_by=("does_not_mutate_inputs",),
           why="x *= mask / (1 - p) writes into the caller's array"),
    Mutant("dropout", "float64_mask", lambda c: c["x"] * ((_keep(c) / (1 - c["p"])) if c["mode"] == "train" else 1.0),
           lambda c, d: {"x": d * ((_keep(c) / (1 - c["p"])) if c["mode"] == "train" else 1.0)},
           caught_by=("preserves_dtype",), dtypes=("float32",),
           why="CS231n's mask = (rand < keep) / keep is float64: float32 x comes out float64"),
    Mutant("dropout", "renormalises_total_activation", _drop(_renormalised), _inverted_bwd,
           caught_by=("batch_rows_independent",), why="rescales so that sum|out| = sum|x| over the whole batch"),
    Mutant("dropout", "divides_by_mask", _drop(lambda c, m: c["x"] / (m / (1 - c["p"]))), _inverted_bwd,
           caught_by=("finite_outputs", "forward_matches_reference"),
           why="x / mask for x * mask (mask = keep / (1 - p)): dropped units become inf (nan where x == 0)"),
]

DROPOUT_CORRECT = [
    Mutant("dropout", "cs231n_inverted", _inverted_fwd, _inverted_bwd, dtypes=("float64", "float32"),
           why="mask = rand < 1 - p from np.random.seed(seed), scaled by 1/(1-p)"),
    Mutant("dropout", "book_direct", _drop(lambda c, m: c["x"] * m, lambda c: c["x"] * (1 - c["p"]),
                                           mask=lambda c: _u(c) > c["p"]),
           _drop_bwd(lambda c: 1.0, lambda c: 1 - c["p"], mask=lambda c: _u(c) > c["p"]),
           dtypes=("float64", "float32"), why="the book: mask = rand > ratio, eval x * (1 - ratio)"),
    Mutant("dropout", "reference_direct", lambda c: ref.dropout(c["x"], c["p"], c["mode"], c["seed"], "direct"),
           lambda c, d: {"x": ref.dropout_backward(d, c["x"], c["p"], c["mode"], c["seed"], "direct")},
           why="the reference's own mask, direct form"),
]


# -- normalisation helpers ------------------------------------------------------------------------

def _feat(a, ndim):
    shape = [1] * ndim
    shape[1] = -1
    return a.astype(F64).reshape(shape)


def _standardise(x, axes, eps, *, ddof=0, placement="inside_sqrt", use_eps=True):
    mu = x.mean(axis=axes, keepdims=True)
    xc = x - mu
    var = x.var(axis=axes, keepdims=True, ddof=ddof)
    d = (np.sqrt(var + eps) if placement == "inside_sqrt" else np.sqrt(var) + eps) if use_eps else np.sqrt(var)
    return xc / d, xc, var, d


def _std_backward(dxhat, x_hat, xc, var, d, axes, how):
    m = int(np.prod([xc.shape[a] for a in axes]))
    g = dxhat / d
    dvar_term = -x_hat * np.sum(dxhat * x_hat, axis=axes, keepdims=True) / (m * d)
    if how == "no_mean":
        return g + dvar_term
    if how == "no_var":
        return g - g.mean(axis=axes, keepdims=True)
    if how == "alt":  # CS231n batchnorm_backward_alt: one line
        return (m * dxhat - dxhat.sum(axis=axes, keepdims=True)
                - x_hat * np.sum(dxhat * x_hat, axis=axes, keepdims=True)) / (m * d)
    return g - g.mean(axis=axes, keepdims=True) + dvar_term


def _bn(*, ddof=0, placement="inside_sqrt", use_eps=True, update=True, eval_batch=False, torch_momentum=None,
        unbiased_running=False, in_place=False, axes=None, via=None):
    """A batch-norm forward: the reference's formulas with one thing changed.  torch_momentum: PyTorch's
    running = (1 - m) running + m batch with m = 1 - momentum ("mapped") or m = momentum ("unmapped")."""
    def forward(c):
        if via is not None:
            return via(c, forward_plain)
        return forward_plain(c)

    def forward_plain(c):
        x, dt = c["x"], c["x"].dtype
        x64 = x.astype(F64)
        ax = axes or tuple(a for a in range(x.ndim) if a != 1)
        rm, rv = c["running_mean"], c["running_var"]
        g, b = _feat(c["gamma"], x.ndim), _feat(c["beta"], x.ndim)
        eps = c["eps"]
        if c["mode"] == "train" or eval_batch:
            x_hat, xc, var, _ = _standardise(x64, ax, eps, ddof=ddof, placement=placement, use_eps=use_eps)
            if c["mode"] == "train" and update:
                m = x.size // x.shape[1]
                m_torch = {"mapped": 1 - c["momentum"], "unmapped": c["momentum"]}.get(torch_momentum)
                mom = c["momentum"] if m_torch is None else 1 - m_torch  # the weight of the old value
                bvar = x64.var(axis=ax) * (m / (m - 1) if unbiased_running else 1.0)
                new_rm = mom * rm + (1 - mom) * x64.mean(axis=ax)
                new_rv = mom * rv + (1 - mom) * bvar
                if in_place:  # bn_param['running_mean'] *= momentum ...: the caller's arrays
                    rm *= mom
                    rm += ((1 - mom) * x64.mean(axis=ax)).astype(rm.dtype)
                    rv *= mom
                    rv += ((1 - mom) * bvar).astype(rv.dtype)
                rm, rv = new_rm, new_rv
        else:
            d = np.sqrt(_feat(rv, x.ndim) + eps) if placement == "inside_sqrt" else np.sqrt(_feat(rv, x.ndim)) + eps
            x_hat = (x64 - _feat(rm, x.ndim)) / d
        return {"out": (g * x_hat + b).astype(dt), "running_mean": np.array(rm, dtype=dt),
                "running_var": np.array(rv, dtype=dt)}
    return forward


def _bn_bwd(how="full", *, via=None):
    def backward(c, d):
        if via is not None:
            return via(c, d, plain)
        return plain(c, d)

    def plain(c, d):
        x, dt = c["x"], c["x"].dtype
        if c["mode"] != "train":
            return ref.batch_norm_backward(d, x, c["gamma"], c["beta"], c["running_mean"], c["running_var"],
                                           mode=c["mode"], eps=c["eps"])
        ax = tuple(a for a in range(x.ndim) if a != 1)
        d64 = d.astype(F64)
        x_hat, xc, var, den = _standardise(x.astype(F64), ax, c["eps"])
        dx = _std_backward(d64 * _feat(c["gamma"], x.ndim), x_hat, xc, var, den, ax, how)
        return {"x": dx.astype(dt), "gamma": np.sum(d64 * x_hat, axis=ax).astype(dt),
                "beta": d64.sum(axis=ax).astype(dt)}
    return backward


def _ref_bn_bwd(c, d):
    return ref.batch_norm_backward(d, c["x"], c["gamma"], c["beta"], c["running_mean"], c["running_var"],
                                   mode=c["mode"], eps=c["eps"])


def _to_2d(c, inner):
    """CS231n's spatial_batchnorm_forward: (N, C, H, W) -> (N*H*W, C), batch norm, and back."""
    x = c["x"]
    n, ch, h, w = x.shape
    res = inner(c.replace(x=x.transpose(0, 2, 3, 1).reshape(-1, ch)))
    res["out"] = res["out"].reshape(n, h, w, ch).transpose(0, 3, 1, 2)
    return res


def _to_2d_bwd(c, d, inner):
    x = c["x"]
    n, ch, h, w = x.shape
    g = inner(c.replace(x=x.transpose(0, 2, 3, 1).reshape(-1, ch)), d.transpose(0, 2, 3, 1).reshape(-1, ch))
    g["x"] = g["x"].reshape(n, h, w, ch).transpose(0, 3, 1, 2)
    return g


def _reshape_no_transpose(c, inner):
    """(N, C, H, W).reshape(-1, C): rows of C consecutive memory elements, channels mixed up."""
    x = c["x"]
    res = inner(c.replace(x=x.reshape(-1, x.shape[1])))
    res["out"] = res["out"].reshape(x.shape)
    return res


BN_MUTANTS = []
for _name in ("batch_norm", "spatial_batch_norm"):
    BN_MUTANTS += [
        Mutant(_name, "unbiased_variance", _bn(ddof=1), _ref_bn_bwd,
               caught_by=("train_output_standardised", "forward_matches_reference"),
               why="x.var(axis=0, ddof=1) normalises: output variance (M-1)/M"),
        Mutant(_name, "eps_outside_sqrt", _bn(placement="outside_sqrt"), _ref_bn_bwd,
               caught_by=("forward_matches_reference",), why="(x - mu) / (sqrt(var) + eps)"),
        Mutant(_name, "backward_ignores_mean_dependence", _bn(), _bn_bwd("no_mean"),
               caught_by=("backward_matches_reference", "backward_matches_finite_differences"),
               why="drops the -mean(dx_hat)/std term: the batch mean treated as a constant"),
        Mutant(_name, "backward_ignores_variance_dependence", _bn(), _bn_bwd("no_var"),
               caught_by=("backward_matches_reference", "backward_matches_finite_differences"),
               why="drops the x_hat * mean(dx_hat * x_hat) term: the batch variance treated as a constant"),
        Mutant(_name, "running_stats_not_updated", _bn(update=False), _ref_bn_bwd,
               caught_by=("forward_matches_reference",), why="train mode returns the running statistics unchanged"),
        Mutant(_name, "eval_uses_batch_statistics", _bn(eval_batch=True), _ref_bn_bwd,
               caught_by=("forward_matches_reference",), why="test mode normalises with the batch's own statistics"),
        Mutant(_name, "running_update_in_place", _bn(in_place=True), _ref_bn_bwd,
               caught_by=("does_not_mutate_inputs",), why="running_mean *= momentum on the caller's array"),
        Mutant(_name, "no_eps", _bn(use_eps=False), _ref_bn_bwd, caught_by=("finite_outputs",),
               why="(x - mu) / sqrt(var): 0/0 for a dead (all-zero) feature"),
    ]
BN_MUTANTS += [
    Mutant("spatial_batch_norm", "reshape_without_transpose", _bn(via=_reshape_no_transpose), _ref_bn_bwd,
           caught_by=("forward_matches_reference",), why="x.reshape(-1, C) without moving C last mixes channels"),
    Mutant("spatial_batch_norm", "statistics_per_pixel", _bn(axes=(0,)), _ref_bn_bwd,
           caught_by=("forward_matches_reference",), why="normalises over N only, per (c, h, w)"),
]

BN_CORRECT = []
for _name in ("batch_norm", "spatial_batch_norm"):
    BN_CORRECT += [
        Mutant(_name, "cs231n_alt_backward", _bn(), _bn_bwd("alt"), dtypes=("float64", "float32"),
               why="batchnorm_backward_alt: dx = (M dxhat - sum dxhat - x_hat sum(dxhat x_hat)) / (M std)"),
        Mutant(_name, "pytorch_momentum_mapped", _bn(torch_momentum="mapped"), _ref_bn_bwd,
               why="running = (1 - m) running + m batch with m = 1 - momentum: PyTorch's formula, mapped"),
        Mutant(_name, "pytorch_momentum_unmapped", _bn(torch_momentum="unmapped"), _ref_bn_bwd,
               why="PyTorch's formula handed the number unchanged: the accepted variant new_weight"),
        Mutant(_name, "unbiased_running_var", _bn(unbiased_running=True), _ref_bn_bwd,
               dtypes=("float64", "float32"), why="running_var tracks the unbiased variance (PyTorch)"),
        Mutant(_name, "eps_outside_accepted", _bn(placement="outside_sqrt"),
               lambda c, d: ref.batch_norm_backward(d, c["x"], c["gamma"], c["beta"], c["running_mean"],
                                                    c["running_var"], mode=c["mode"], eps=c["eps"],
                                                    eps_placement="outside_sqrt"),
               accept={"eps_placement": ("inside_sqrt", "outside_sqrt")},
               why="eps outside the root passes when the rubric accepts it"),
    ]
BN_CORRECT += [
    Mutant("spatial_batch_norm", "cs231n_transpose_to_2d", _bn(via=_to_2d), _bn_bwd("alt", via=_to_2d_bwd),
           dtypes=("float64", "float32"), why="transpose to (N*H*W, C), dense batch norm, transpose back"),
]


# -- layer norm and group norm --------------------------------------------------------------------

def _ln(*, axis=1, ddof=0, placement="inside_sqrt", use_eps=True, in_place=False):
    def forward(c):
        x = c["x"]
        if in_place:  # x -= x.mean(...) on the caller's array
            x -= x.mean(axis=axis, keepdims=True)
        x_hat = _standardise(x.astype(F64), (axis,), c["eps"], ddof=ddof, placement=placement, use_eps=use_eps)[0]
        return (c["gamma"].astype(F64) * x_hat + c["beta"].astype(F64)).astype(x.dtype)
    return forward


def _ln_bwd(how="full", *, transposed=False):
    def backward(c, d):
        x, dt = c["x"], c["x"].dtype
        d64 = d.astype(F64)
        if transposed:  # CS231n: layer norm as batch norm of x.T
            x_hat, xc, var, den = _standardise(x.astype(F64).T, (0,), c["eps"])
            dx = _std_backward((d64 * c["gamma"].astype(F64)).T, x_hat, xc, var, den, (0,), "alt").T
            x_hat = x_hat.T
        else:
            x_hat, xc, var, den = _standardise(x.astype(F64), (1,), c["eps"])
            dx = _std_backward(d64 * c["gamma"].astype(F64), x_hat, xc, var, den, (1,), how)
        return {"x": dx.astype(dt), "gamma": np.sum(d64 * x_hat, axis=0).astype(dt), "beta": d64.sum(0).astype(dt)}
    return backward


def _ref_ln_bwd(c, d):
    return ref.layer_norm_backward(d, c["x"], c["gamma"], c["beta"], eps=c["eps"])


def _gn(*, interleaved=False, over_batch=False, per_channel=False, ddof=0, cs231n=False):
    def forward(c):
        x, G = c["x"], c["G"]
        n, ch, h, w = x.shape
        x64 = x.astype(F64)
        if cs231n:  # x.reshape(N, G, -1), statistics over the last axis
            xg = x64.reshape(n, G, -1)
            x_hat = _standardise(xg, (2,), c["eps"])[0].reshape(x.shape)
        elif interleaved:  # channel c in group c % G
            xg = x64.reshape(n, ch // G, G, h, w)
            x_hat = _standardise(xg, (1, 3, 4), c["eps"], ddof=ddof)[0].reshape(x.shape)
        elif over_batch:
            xg = x64.reshape(n, G, ch // G, h, w)
            x_hat = _standardise(xg, (0, 2, 3, 4), c["eps"], ddof=ddof)[0].reshape(x.shape)
        elif per_channel:  # instance norm: G ignored
            x_hat = _standardise(x64, (2, 3), c["eps"], ddof=ddof)[0]
        else:
            xg = x64.reshape(n, G, ch // G, h, w)
            x_hat = _standardise(xg, (2, 3, 4), c["eps"], ddof=ddof)[0].reshape(x.shape)
        return (_feat(c["gamma"], 4) * x_hat + _feat(c["beta"], 4)).astype(x.dtype)
    return forward


def _gn_bwd(how="full"):
    def backward(c, d):
        x, G, dt = c["x"], c["G"], c["x"].dtype
        n, ch = x.shape[:2]
        d64 = d.astype(F64)
        xg = x.astype(F64).reshape(n, G, -1)
        x_hat, xc, var, den = _standardise(xg, (2,), c["eps"])
        dxhat = (d64 * _feat(c["gamma"], 4)).reshape(n, G, -1)
        dx = _std_backward(dxhat, x_hat, xc, var, den, (2,), how).reshape(x.shape)
        x_hat = x_hat.reshape(x.shape)
        return {"x": dx.astype(dt), "gamma": np.sum(d64 * x_hat, axis=(0, 2, 3)).astype(dt),
                "beta": d64.sum(axis=(0, 2, 3)).astype(dt)}
    return backward


def _ref_gn_bwd(c, d):
    return ref.group_norm_backward(d, c["x"], c["gamma"], c["beta"], c["G"], eps=c["eps"])


LN_GN_MUTANTS = [
    Mutant("layer_norm", "over_batch_axis", _ln(axis=0), _ref_ln_bwd,
           caught_by=("batch_rows_independent", "forward_matches_reference"),
           why="batch norm's axis=0 statistics in a layer norm"),
    Mutant("layer_norm", "unbiased_variance", _ln(ddof=1), _ref_ln_bwd,
           caught_by=("rows_standardised", "forward_matches_reference"), why="np.var(..., ddof=1) per row"),
    Mutant("layer_norm", "eps_outside_sqrt", _ln(placement="outside_sqrt"), _ref_ln_bwd,
           caught_by=("forward_matches_reference",), why="(x - mu) / (sqrt(var) + eps)"),
    Mutant("layer_norm", "backward_ignores_mean_dependence", _ln(), _ln_bwd("no_mean"),
           caught_by=("backward_matches_reference", "backward_matches_finite_differences"),
           why="the row mean treated as a constant in the backward"),
    Mutant("layer_norm", "no_eps", _ln(use_eps=False), _ref_ln_bwd, caught_by=("finite_outputs",),
           why="(x - mu) / sqrt(var): 0/0 for an all-zero row"),
    Mutant("layer_norm", "centres_x_in_place", _ln(in_place=True), _ref_ln_bwd,
           caught_by=("does_not_mutate_inputs",), why="x -= x.mean(axis=1, keepdims=True) on the caller's array"),
    Mutant("group_norm", "interleaved_groups", _gn(interleaved=True), _ref_gn_bwd,
           caught_by=("forward_matches_reference",),
           why="x.reshape(N, C // G, G, H, W): channel c lands in group c % G, not c // (C/G)"),
    Mutant("group_norm", "statistics_over_batch_too", _gn(over_batch=True), _ref_gn_bwd,
           caught_by=("batch_rows_independent", "forward_matches_reference"),
           why="each group normalised over (N, C/G, H, W)"),
    Mutant("group_norm", "instance_norm", _gn(per_channel=True), _ref_gn_bwd,
           caught_by=("forward_matches_reference",), why="ignores G: every channel normalised on its own"),
    Mutant("group_norm", "unbiased_variance", _gn(ddof=1), _ref_gn_bwd,
           caught_by=("groups_standardised", "forward_matches_reference"), why="np.var(..., ddof=1) per group"),
    Mutant("group_norm", "backward_ignores_variance_dependence", _gn(), _gn_bwd("no_var"),
           caught_by=("backward_matches_reference", "backward_matches_finite_differences"),
           why="the group variance treated as a constant in the backward"),
]

LN_GN_CORRECT = [
    Mutant("layer_norm", "cs231n_transposed_batchnorm", _ln(), _ln_bwd(transposed=True),
           dtypes=("float64", "float32"), why="layer norm as batch norm of x.T (CS231n's hint), alt backward"),
    Mutant("group_norm", "cs231n_reshape", _gn(cs231n=True), _gn_bwd("alt"), dtypes=("float64", "float32"),
           why="x.reshape(N, G, -1) statistics, alt backward"),
]

MUTANTS = DROPOUT_MUTANTS + BN_MUTANTS + LN_GN_MUTANTS
CORRECT = DROPOUT_CORRECT + BN_CORRECT + LN_GN_CORRECT
