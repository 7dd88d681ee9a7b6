"""Seed 004's perceptron chapter and its "why a loss" section: perceptron_gates, loss_not_accuracy."""
from __future__ import annotations

import numpy as np

from .data import digits
from .nets import forward, init_params, loss_and_grads, to_ops
from .ops import xavier_std
from .scenario import Scenario, check, pick

# -- perceptron_gates ---------------------------------------------------------------------------------

# The book's input order (x1, x2) = (0,0), (1,0), (0,1), (1,1) and its weights (ch. 2).
X4 = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
BOOK_GATES = {"AND": ((0.5, 0.5), -0.7), "NAND": ((-0.5, -0.5), 0.7), "OR": ((0.5, 0.5), -0.2)}
TRUTH = {"AND": (0, 0, 0, 1), "NAND": (1, 1, 1, 0), "OR": (0, 1, 1, 1), "XOR": (0, 1, 1, 0)}
# Names of the 16 boolean functions of two inputs, by truth table over X4.
NAMES16 = {(0, 0, 0, 0): "FALSE", (0, 0, 0, 1): "AND", (0, 1, 0, 0): "x1 AND NOT x2", (0, 1, 0, 1): "x1",
           (0, 0, 1, 0): "NOT x1 AND x2", (0, 0, 1, 1): "x2", (0, 1, 1, 0): "XOR", (0, 1, 1, 1): "OR",
           (1, 0, 0, 0): "NOR", (1, 0, 0, 1): "XNOR", (1, 0, 1, 0): "NOT x2", (1, 0, 1, 1): "x2 OR NOT x1",
           (1, 1, 0, 0): "NOT x1", (1, 1, 0, 1): "x1 OR NOT x2", (1, 1, 1, 0): "NAND", (1, 1, 1, 1): "TRUE"}


def _table(code: int) -> tuple:
    """Truth table (y(0,0), y(1,0), y(0,1), y(1,1)) of the 4-bit code y00 + 2 y10 + 4 y01 + 8 y11."""
    return tuple((code >> i) & 1 for i in range(4))


def unit(ops, x, w, b):
    """One step-function perceptron through the ops: y = step(x @ w + b) (the book: 1 if > 0 else 0)."""
    a, _ = ops.affine_forward(x, ops.asarray(np.asarray(w, dtype=float).reshape(2, -1)),
                              ops.asarray(np.atleast_1d(np.asarray(b, dtype=float))))
    return ops.act_forward("step", a)[0]


def xor_two_layers(ops, x):
    """The book's XOR: s1 = NAND(x), s2 = OR(x), y = AND(s1, s2)."""
    (wn, bn), (wo, bo), (wa, ba) = BOOK_GATES["NAND"], BOOK_GATES["OR"], BOOK_GATES["AND"]
    s = np.concatenate([ops.numpy(unit(ops, x, wn, bn)), ops.numpy(unit(ops, x, wo, bo))], axis=1)
    return unit(ops, ops.asarray(s), wa, ba)


def grid_counts(ops, g: int, lim: float = 1.0) -> np.ndarray:
    """How many (w1, w2, b) of the g^3 grid on [-lim, lim]^3 realise each of the 16 functions (by code)."""
    v = np.linspace(-lim, lim, g)
    w1, w2 = np.meshgrid(v, v, indexing="ij")
    W = ops.asarray(np.stack([w1.ravel(), w2.ravel()]))  # (2, g^2): every weight pair as one column
    x = ops.asarray(X4)
    counts = np.zeros(16, dtype=np.int64)
    for b in v:
        a, _ = ops.affine_forward(x, W, ops.asarray(np.full(g * g, b)))
        y = ops.numpy(ops.act_forward("step", a)[0])  # (4, g^2)
        code = (y * np.array([[1], [2], [4], [8]])).sum(axis=0).astype(np.int64)
        counts += np.bincount(code, minlength=16)
    return counts


def lp_separable(table) -> tuple[bool, str]:
    """Is there (w1, w2, b) with w.x + b >= 1 where y = 1 and <= -1 where y = 0?  (A strict separation
    rescales to margin 1, so this is exactly "a single step unit realises the table".)  scipy's linprog."""
    from scipy.optimize import linprog
    s = np.array([1.0 if t else -1.0 for t in table])
    A = -s[:, None] * np.hstack([X4, np.ones((4, 1))])  # -s (w.x + b) <= -1
    r = linprog(np.zeros(3), A_ub=A, b_ub=-np.ones(4), bounds=[(None, None)] * 3, method="highs")
    return r.status == 0, r.message


def _mesh(ops, fn, n):
    xs = np.linspace(-0.5, 1.5, n)
    gx, gy = np.meshgrid(xs, xs)
    pts = np.stack([gx.ravel(), gy.ravel()], axis=1)
    return ops.numpy(fn(ops.asarray(pts))).reshape(n, n)


def measure_gates(ops, seed, profile):
    g = pick(profile, 101, 101, 401)
    x = ops.asarray(X4)
    tables = {name: tuple(int(v) for v in ops.numpy(unit(ops, x, w, b)).ravel())
              for name, (w, b) in BOOK_GATES.items()}
    tables["XOR (NAND, OR -> AND)"] = tuple(int(v) for v in ops.numpy(xor_two_layers(ops, x)).ravel())
    counts = grid_counts(ops, g)
    by_name = {NAMES16[_table(c)]: int(counts[c]) for c in range(16)}
    lp = {NAMES16[_table(c)]: lp_separable(_table(c)) for c in range(16)}
    realised = sorted(n for n, k in by_name.items() if k > 0)
    feasible = sorted(n for n, (ok, _) in lp.items() if ok)
    checks = [
        *[check(f"single step unit with the book's weights realises {n} {BOOK_GATES[n]}", f"truth table {TRUTH[n]}",
                list(tables[n]), tables[n] == TRUTH[n]) for n in ("AND", "NAND", "OR")],
        check(f"no (w1, w2, b) on a {g}^3 grid of [-1, 1]^3 realises XOR with one step unit", "count = 0",
              by_name["XOR"], by_name["XOR"] == 0),
        check("the linear program 'w.x + b >= 1 where XOR = 1, <= -1 where XOR = 0' is infeasible",
              "linprog status infeasible", lp["XOR"][1], not lp["XOR"][0]),
        check("AND, NAND and OR are found on the grid and by the linear program", "count > 0 and feasible",
              {n: by_name[n] for n in ("AND", "NAND", "OR")},
              all(by_name[n] > 0 and lp[n][0] for n in ("AND", "NAND", "OR"))),
        check("of the 16 boolean functions of two inputs, exactly XOR and XNOR are not linearly separable "
              "(grid and linear program agree)", "unrealised = {XOR, XNOR}",
              sorted(set(NAMES16.values()) - set(realised)),
              set(NAMES16.values()) - set(realised) == {"XOR", "XNOR"} and realised == feasible),
        check("two layers (NAND and OR into AND) realise XOR", f"truth table {TRUTH['XOR']}",
              list(tables["XOR (NAND, OR -> AND)"]), tables["XOR (NAND, OR -> AND)"] == TRUTH["XOR"]),
    ]
    n = 81
    panels = [{"title": f"{name}: step({w[0]} x1 + {w[1]} x2 + {b})",
               "z": _mesh(ops, lambda p, w=w, b=b: unit(ops, p, w, b), n),
               "lines": [[w[0], w[1], b]], "points": [[*X4[i], TRUTH[name][i]] for i in range(4)]}
              for name, (w, b) in BOOK_GATES.items()]
    (wn, bn), (wo, bo) = BOOK_GATES["NAND"], BOOK_GATES["OR"]
    panels.append({"title": "XOR = AND(NAND(x), OR(x)): two layers",
                   "z": _mesh(ops, lambda p: xor_two_layers(ops, p), n), "lines": [[*wn, bn], [*wo, bo]],
                   "points": [[*X4[i], TRUTH["XOR"][i]] for i in range(4)]})
    order = sorted(by_name, key=lambda k: -by_name[k])
    plots = [
        {"kind": "panels2d", "title": "step-unit outputs over the input plane (shaded: output 1)",
         "extent": [-0.5, 1.5, -0.5, 1.5], "panels": panels},
        {"kind": "bars", "title": f"grid points (w1, w2, b) in a {g}^3 grid realising each function (XOR, XNOR: none)",
         "labels": order, "values": [by_name[k] for k in order], "logy": True, "ylabel": "grid points",
         "highlight": ["XOR", "XNOR"]},
    ]
    m = {"grid": f"{g}^3 points on [-1, 1]^3", "book_gate_tables": {k: list(v) for k, v in tables.items()},
         "grid_counts": by_name, "lp_feasible": {k: v[0] for k, v in lp.items()},
         "why_xor_fails": "the margins add up: a(1,0) + a(0,1) = w1 + w2 + 2b = a(0,0) + a(1,1), but XOR needs the "
                          "left side > 0 and the right side <= 0"}
    return m, checks, plots


PERCEPTRON_GATES = Scenario(
    name="perceptron_gates",
    claim="A single step-function perceptron realises AND, NAND and OR but no weights realise XOR; two layers "
          "(NAND and OR into AND) do.",
    source={"seed": "004_ebe8b05ec467fb2f.txt",
            "says": "パーセプトロンは単層では、線形な形でしか領域を分割できない (AND, NAND, OR)。しかし、多層にすることに"
                    "よって、非線形な形でも領域を分割することができる (XOR)。 (A single layer only splits the plane "
                    "linearly: AND, NAND, OR; with layers, XOR.)"},
    build="y = step(w1 x1 + w2 x2 + b) through the ops (affine, then the book's step x > 0) on the 4 inputs, with "
          "the book's weights (AND 0.5, 0.5, -0.7; NAND -0.5, -0.5, 0.7; OR 0.5, 0.5, -0.2); every (w1, w2, b) "
          "of a 101^3 grid on [-1, 1]^3 (401^3 thorough; the step is scale-invariant, so the cube covers every "
          "direction) and a linear program (scipy linprog, margin 1) for each of the 16 boolean functions; the "
          "book's two-layer XOR.",
    measure=measure_gates)


# -- loss_not_accuracy ----------------------------------------------------------------------------------

H_BOOK = 1e-4  # the book's numerical_gradient step
SWEEP = 0.1  # one weight swept over w +- SWEEP


def _scores(ops, P, X, layers):
    return forward(ops, P, X, layers)[0]


def _loss_acc(ops, P, X, y, layers):
    s = _scores(ops, P, X, layers)
    loss, _ = ops.softmax_ce(s, y)
    return loss, float(np.mean(np.argmax(ops.numpy(s), axis=1) == y))


def numerical_grads(ops, P, X, y, layers, coords, h=H_BOOK):
    """Central differences (f(w + h) - f(w - h)) / 2h of the loss and of the accuracy at ``coords``
    (a list of (param name, flat index)), as the book's numerical_gradient does it."""
    Pn = {k: ops.numpy(v).copy() for k, v in P.items()}
    gl, ga = [], []
    for name, i in coords:
        vals = []
        for sgn in (1, -1):
            Q = dict(P)
            w = Pn[name].copy()
            w.flat[i] += sgn * h
            Q[name] = ops.asarray(w)
            vals.append(_loss_acc(ops, Q, X, y, layers))
        gl.append((vals[0][0] - vals[1][0]) / (2 * h))
        ga.append((vals[0][1] - vals[1][1]) / (2 * h))
    return np.array(gl), np.array(ga)


def _coords(rng, P, k):
    """k parameters drawn uniformly from every weight and bias (all of them when k is None)."""
    flat = [(n, i) for n in sorted(P) for i in range(int(np.prod(P[n].shape)))]
    if k is None or k >= len(flat):
        return flat
    return [flat[j] for j in sorted(rng.choice(len(flat), k, replace=False))]


def _sgd(ops, P, layers, X, y, *, steps, lr, batch, seed):
    """The book's training loop (ch. 4): a random mini-batch each step, plain SGD; returns (P, losses)."""
    rng = np.random.default_rng(seed)
    Pn = to_ops(ops, P)
    opt = ops.optimizer("sgd", Pn, lr)
    losses = []
    for _ in range(steps):
        idx = rng.choice(len(X), batch)
        loss, grads, _ = loss_and_grads(ops, Pn, ops.asarray(X[idx]), layers, labels=y[idx])
        losses.append(loss)
        opt.step(grads)
    return Pn, losses


def measure_loss_acc(ops, seed, profile):
    Xall, yall = digits()
    k = pick(profile, 100, 100, None)
    n_sub = pick(profile, 500, 500, len(Xall))
    hidden = 50
    rng = np.random.default_rng(seed)
    sub = np.sort(rng.choice(len(Xall), n_sub, replace=False))
    X, y = Xall[sub], yall[sub]
    Xo = ops.asarray(X)
    dead_pixels = np.all(X == 0, axis=0)
    res, sweeps = {}, {}
    # 1. a sigmoid TwoLayerNet part-way through training (accuracy neither 10% nor 100%)
    sig = [("sigmoid", False), ("identity", False)]
    P0 = init_params(np.random.default_rng(seed), [64, hidden, 10], xavier_std)
    P, _ = _sgd(ops, P0, sig, X, y, steps=pick(profile, 60, 60, 60), lr=0.5, batch=100, seed=seed)
    coords = _coords(rng, P, k)
    gl, ga = numerical_grads(ops, P, Xo, y, sig, coords)
    _, grads, _ = loss_and_grads(ops, P, Xo, sig, labels=y)
    analytic = np.array([ops.numpy(grads[n]).flat[i] for n, i in coords])
    on_dead = np.array([n == "W0" and dead_pixels[i // hidden] for n, i in coords])
    loss0, acc0 = _loss_acc(ops, P, Xo, y, sig)
    res["sigmoid_net"] = {"loss": loss0, "accuracy": acc0, "params_probed": len(coords),
                          "share_accuracy_grad_zero": float(np.mean(ga == 0)),
                          "share_loss_grad_zero": float(np.mean(gl == 0)),
                          "share_on_constant_zero_pixels": float(np.mean(on_dead)),
                          "accuracy_grad_nonzero_values": sorted(set(np.round(ga[ga != 0], 6).tolist()))[:10],
                          "loss_grad_max_rel_error_vs_backprop": float(
                              np.max(np.abs(gl - analytic) / np.maximum(np.abs(analytic), 1e-8)))}
    # a sweep of one weight: accuracy is a staircase, the loss a smooth curve
    j = int(np.argmax(np.abs(analytic)))
    name, i = coords[j]
    w0 = ops.numpy(P[name]).copy()
    span = pick(profile, 81, 81, 401)
    ts = np.linspace(-SWEEP, SWEEP, span)
    la = []
    for t in ts:
        w = w0.copy()
        w.flat[i] += t
        la.append(_loss_acc(ops, {**P, name: ops.asarray(w)}, Xo, y, sig))
    sweeps = {"offset": ts.tolist(), "loss": [a for a, _ in la], "accuracy": [b for _, b in la],
              "param": f"{name}[{np.unravel_index(i, w0.shape)}]"}
    acc_vals = np.array(sweeps["accuracy"])
    acc_flat = float(np.mean(np.diff(acc_vals) == 0))
    loss_flat = float(np.mean(np.diff(sweeps["loss"]) == 0))
    # 2. step-activated nets: the book's step function, derivative 0
    step_net = [("step", False), ("identity", False)]
    steps = pick(profile, 100, 100, 500)
    nets = {}
    for label, layers in (("step hidden layer", step_net), ("sigmoid hidden layer (control)", sig)):
        Pi = init_params(np.random.default_rng(seed + 1), [64, hidden, 10], xavier_std)
        Pt, losses = _sgd(ops, Pi, layers, X, y, steps=steps, lr=0.5, batch=100, seed=seed + 2)
        moved = {n: float(np.linalg.norm(ops.numpy(Pt[n]) - Pi[n])) for n in sorted(Pi)}
        nets[label] = {"moved": moved, "losses": losses, "final": _loss_acc(ops, Pt, Xo, y, layers),
                       "initial": _loss_acc(ops, to_ops(ops, Pi), Xo, y, layers), "P": Pt}
    Pst = nets["step hidden layer"]["P"]
    cw = [c for c in _coords(np.random.default_rng(seed + 3), {"W0": ops.numpy(Pst["W0"])}, k)]
    gls, _ = numerical_grads(ops, Pst, Xo, y, step_net, cw)
    # a single-layer perceptron y = step(x W + b) against one-hot targets (MSE): no gradient anywhere
    T = np.eye(10)[y]
    Pp = init_params(np.random.default_rng(seed + 4), [64, 10], xavier_std)
    Ppo = to_ops(ops, Pp)
    opt = ops.optimizer("sgd", Ppo, 0.5)
    perc_losses = []
    for _ in range(pick(profile, 50, 50, 200)):
        loss, grads, _ = loss_and_grads(ops, Ppo, Xo, [("step", False)], target=ops.asarray(T))
        perc_losses.append(loss)
        opt.step(grads)
    perc_moved = max(float(np.linalg.norm(ops.numpy(Ppo[n]) - Pp[n])) for n in Pp)
    st, ctl = nets["step hidden layer"], nets["sigmoid hidden layer (control)"]
    r = res["sigmoid_net"]
    checks = [
        check(f"accuracy: numerical gradient (h = {H_BOOK}) is 0 at almost every parameter", "share zero >= 0.95",
              r["share_accuracy_grad_zero"], r["share_accuracy_grad_zero"] >= 0.95),
        check("loss: numerical gradient is nonzero except where the input pixel is 0 on every digit",
              "share zero <= share on constant-zero pixels + 0.01",
              [r["share_loss_grad_zero"], r["share_on_constant_zero_pixels"]],
              r["share_loss_grad_zero"] <= r["share_on_constant_zero_pixels"] + 0.01),
        check("the loss's numerical gradient is the backprop gradient", "max relative error < 1e-4",
              r["loss_grad_max_rel_error_vs_backprop"], r["loss_grad_max_rel_error_vs_backprop"] < 1e-4),
        check(f"along one weight (+-{SWEEP}), accuracy stays flat between most sweep points and moves in "
              "steps of 1/N; the loss moves at every point", "flat share >= 0.5, loss flat share = 0",
              {"accuracy_flat_share": acc_flat, "loss_flat_share": loss_flat, "distinct_accuracy_values":
               int(len(np.unique(acc_vals)))},
              acc_flat >= 0.5 and loss_flat == 0
              and np.allclose(np.diff(acc_vals) * len(X), np.round(np.diff(acc_vals) * len(X)), atol=1e-6)),
        check("the step function's derivative is 0 wherever it exists: backprop moves no weight before the step",
              "||W0_T - W0_0|| = ||b0_T - b0_0|| = 0", {n: st["moved"][n] for n in ("W0", "b0")},
              st["moved"]["W0"] == 0 and st["moved"]["b0"] == 0),
        # (0.9, not 0.95: over all 1797 digits and every W0 entry (thorough) some pre-activation lies within
        # h |x| of 0 for ~5% of the entries, and the finite difference then sees a unit flip)
        check("step hidden layer: numerical loss gradient wrt W0 is 0 almost everywhere too", "share zero >= 0.9",
              float(np.mean(gls == 0)), np.mean(gls == 0) >= 0.9),
        check("single-layer step perceptron (MSE to one-hot): training does not move it", "weights and loss unchanged",
              [perc_moved, perc_losses[0], perc_losses[-1]], perc_moved == 0 and perc_losses[-1] == perc_losses[0]),
        check("the sigmoid control's first layer does move", "||W0_T - W0_0|| > 0", ctl["moved"]["W0"],
              ctl["moved"]["W0"] > 0),
        check("a step-activated net does not learn (seed 004): with a step hidden layer the training loss ends "
              "above the sigmoid net's (same steps, lr, data)", "final loss step > sigmoid",
              {"step": st["final"][0], "sigmoid": ctl["final"][0], "step net's output layer moved": st["moved"]["W1"]},
              st["final"][0] > ctl["final"][0], strict=False),
    ]
    m = {"task": "sklearn digits, TwoLayerNet 64 -> 50 -> 10 (softmax cross-entropy), numerical gradients over "
                 f"{len(coords)} parameters drawn from every weight and bias", **res,
         "sweep": {"param": sweeps["param"], "distinct_accuracy_values": int(len(np.unique(acc_vals))),
                   "accuracy_flat_share": acc_flat, "loss_flat_share": loss_flat},
         "step_net": {"moved": st["moved"], "initial_loss_acc": st["initial"], "final_loss_acc": st["final"],
                      "share_W0_numerical_grad_zero": float(np.mean(gls == 0))},
         "sigmoid_control": {"moved": ctl["moved"], "initial_loss_acc": ctl["initial"], "final_loss_acc": ctl["final"]},
         "perceptron_mse": {"moved": perc_moved, "loss_first": perc_losses[0], "loss_last": perc_losses[-1]}}
    plots = [
        {"kind": "lines", "title": f"accuracy along one weight ({sweeps['param']}): a staircase", "xlabel": "offset",
         "ylabel": "training accuracy", "logy": False, "x": sweeps["offset"],
         "series": {"accuracy": sweeps["accuracy"]}},
        {"kind": "lines", "title": "loss along the same weight: smooth", "xlabel": "offset",
         "ylabel": "cross-entropy", "logy": False, "x": sweeps["offset"], "series": {"loss": sweeps["loss"]}},
        {"kind": "lines", "title": "mini-batch loss during SGD: step vs sigmoid hidden layer", "xlabel": "step",
         "ylabel": "cross-entropy", "logy": False, "x": list(range(steps)),
         "series": {"step hidden layer (W0, b0 never move)": st["losses"], "sigmoid hidden layer": ctl["losses"],
                    "single-layer step perceptron, MSE": perc_losses}},
    ]
    return m, checks, plots


LOSS_NOT_ACCURACY = Scenario(
    name="loss_not_accuracy",
    claim="The gradient of accuracy with respect to the weights is zero almost everywhere while the loss's is "
          "not; the step function's derivative is zero wherever it exists, so nothing before a step moves "
          "under gradient descent.",
    source={"seed": "004_ebe8b05ec467fb2f.txt",
            "says": "認識精度を指標にすると、パラメータの微分値がほとんどのところで 0 になってしまう ... 活性化関数にステップ関数"
                    "を用いると、ステップ関数の微分値が 0 になってしまうため ... 損失関数の値は何の変化も示さなくなってしまう。 "
                    "(With accuracy as the objective the derivative is 0 almost everywhere; with the step function "
                    "as activation small parameter changes are wiped out.)"},
    build="TwoLayerNet 64 -> 50 -> 10 (sigmoid, Xavier), 60 SGD steps (lr 0.5, batch 100) into training on "
          "sklearn's digits; central differences with the book's h = 1e-4 of the loss and of the accuracy at "
          "200 parameters drawn from every weight and bias (all in thorough); one weight swept over +-1. Then the "
          "same net with the book's step hidden layer, and a single-layer step perceptron with MSE, trained "
          "by SGD next to the sigmoid net.",
    measure=measure_loss_acc)
