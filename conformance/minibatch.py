"""minibatch_learning: seed 004's mini-batch section and the book's chapter-4 TwoLayerNet experiment."""
from __future__ import annotations

import numpy as np

from .data import digits
from .nets import forward, init_params, loss_and_grads, to_ops
from .scenario import Scenario, check, pick

HIDDEN, WEIGHT_INIT_STD = 50, 0.01  # the book's TwoLayerNet(input, 50, 10), weight_init_std=0.01
BATCH = 100
LAYERS = [("sigmoid", False), ("identity", False)]  # affine-sigmoid-affine-softmax, as in ch. 4/5
SIZES = {"fast": (1, 4, 16, 64, 256), "ci": (1, 4, 16, 64, 256), "thorough": (1, 2, 4, 8, 16, 32, 64, 128, 256)}


def split(seed: int, n_test: int = 450):
    """A fixed train/test split of sklearn's digits (1347 / 450)."""
    X, y = digits()
    perm = np.random.default_rng(seed).permutation(len(X))
    tr, te = perm[n_test:], perm[:n_test]
    return X[tr], y[tr], X[te], y[te]


def _flat(ops, grads) -> np.ndarray:
    return np.concatenate([ops.numpy(grads[k]).ravel() for k in sorted(grads)])


def _accuracy(ops, P, X, y) -> float:
    return float(np.mean(np.argmax(ops.numpy(forward(ops, P, ops.asarray(X), LAYERS)[0]), axis=1) == y))


def measure_minibatch(ops, seed, profile):
    Xtr, ytr, Xte, yte = split(seed)
    n = len(Xtr)
    steps = pick(profile, 600, 600, 10000)
    lr = pick(profile, 0.5, 0.5, 0.1)  # thorough: the book's lr 0.1 and 10000 iterations
    reps = pick(profile, 100, 100, 1000)
    sizes = SIZES[profile]
    rng = np.random.default_rng(seed + 1)
    P0 = init_params(np.random.default_rng(seed), [64, HIDDEN, 10], lambda _: WEIGHT_INIT_STD)
    P = to_ops(ops, P0)
    opt = ops.optimizer("sgd", P, lr)
    iter_per_epoch = max(n // BATCH, 1)
    train_loss, epochs = [], {"iteration": [], "train_acc": [], "test_acc": []}
    probe_at = steps // 6  # the unbiasedness / variance measurements are taken part-way through training
    stats = None
    for it in range(steps + 1):
        if it == probe_at:
            stats = _minibatch_stats(ops, P, Xtr, ytr, reps, sizes, np.random.default_rng(seed + 2))
        if it % iter_per_epoch == 0 or it == steps:
            epochs["iteration"].append(it)
            epochs["train_acc"].append(_accuracy(ops, P, Xtr, ytr))
            epochs["test_acc"].append(_accuracy(ops, P, Xte, yte))
        if it == steps:
            break
        idx = rng.choice(n, BATCH)  # the book: np.random.choice(train_size, batch_size), with replacement
        loss, grads, _ = loss_and_grads(ops, P, ops.asarray(Xtr[idx]), LAYERS, labels=ytr[idx])
        train_loss.append(loss)
        opt.step(grads)
    z, zg, ratio, var = stats["z_loss"], stats["z_grad"], stats["bias_ratio"], stats["variance"]
    slope, intercept = np.polyfit(np.log(sizes), np.log([var[b] for b in sizes]), 1)
    first = float(np.mean(train_loss[:10]))
    last = float(np.mean(train_loss[-10:]))
    tr_acc, te_acc = epochs["train_acc"][-1], epochs["test_acc"][-1]
    checks = [
        check(f"mini-batch loss is an unbiased estimate of the full-data loss ({reps} batches per size)",
              "|mean - full| / standard error < 4 for every B", {b: z[b] for b in sizes},
              all(abs(z[b]) < 4 for b in sizes)),
        check("mini-batch gradient is unbiased: its component along the full-data gradient g averages ||g||",
              "|mean - ||g||| / standard error < 4 for every B", {b: zg[b] for b in sizes},
              all(abs(zg[b]) < 4 for b in sizes)),
        check("variance of the mini-batch gradient falls as 1/B: slope of log E||g_B - g||^2 on log B",
              "slope in [-1.1, -0.9]", float(slope), -1.1 <= slope <= -0.9),
        check("TwoLayerNet learns with mini-batch SGD: mean loss of the last 10 iterations vs the first 10",
              "last < 0.3 x first", [first, last], last < 0.3 * first),
        check(f"training accuracy after {steps} iterations (batch {BATCH}, lr {lr})", ">= 0.9", tr_acc, tr_acc >= 0.9),
        check("test accuracy follows training accuracy (the book's ch. 4: no overfitting)", "test >= 0.85",
              te_acc, te_acc >= 0.85),
        check("train - test accuracy gap", "<= 0.05", tr_acc - te_acc, tr_acc - te_acc <= 0.05, strict=False),
    ]
    m = {"task": f"sklearn digits split 1347 train / 450 test; TwoLayerNet 64 -> {HIDDEN} (sigmoid) -> 10 "
                 f"(softmax cross-entropy), weight_init_std {WEIGHT_INIT_STD}, SGD lr {lr}, batch {BATCH}, "
                 f"{steps} iterations, batches drawn with replacement",
         "probe_iteration": probe_at, "full_loss_at_probe": stats["full_loss"],
         "minibatch_loss_mean": stats["loss_mean"], "minibatch_loss_z": z, "gradient_z_along_g": zg,
         "gradient_bias_ratio ||mean g_B - g||^2 / (E||g_B - g||^2 / R)": ratio,
         "gradient_variance": var, "variance_slope": float(slope),
         "variance_B1_over_B_prediction": {b: var[1] / b for b in sizes},
         "final_train_accuracy": tr_acc, "final_test_accuracy": te_acc, "train_loss_first10": first,
         "train_loss_last10": last, "epochs": epochs}
    fit = np.exp(intercept) * np.asarray(sizes, dtype=float) ** slope
    plots = [
        {"kind": "lines", "title": f"E||g_B - g||^2 over {reps} mini-batches (log-log), fitted slope {slope:.3f}",
         "xlabel": "batch size B", "ylabel": "gradient variance", "logy": True, "logx": True, "x": list(sizes),
         "series": {"measured": [var[b] for b in sizes], f"fit B^{slope:.2f}": fit.tolist(),
                    "V(1) / B": [var[1] / b for b in sizes]}},
        {"kind": "lines", "title": "mini-batch loss: mean over batches vs the full-data loss", "xlabel": "batch size B",
         "ylabel": "cross-entropy", "logy": False, "logx": True, "x": list(sizes),
         "series": {"mean mini-batch loss": [stats["loss_mean"][b] for b in sizes],
                    "full-data loss": [stats["full_loss"]] * len(sizes),
                    "mean + 2 s.e.": [stats["loss_mean"][b] + 2 * stats["loss_se"][b] for b in sizes],
                    "mean - 2 s.e.": [stats["loss_mean"][b] - 2 * stats["loss_se"][b] for b in sizes]}},
        {"kind": "lines", "title": "training loss per iteration (the book's fig. 4-11)", "xlabel": "iteration",
         "ylabel": "mini-batch cross-entropy", "logy": False, "x": list(range(len(train_loss))),
         "series": {"train loss": train_loss}},
        {"kind": "lines", "title": "accuracy per epoch (the book's fig. 4-12)", "xlabel": "iteration",
         "ylabel": "accuracy", "logy": False, "x": epochs["iteration"],
         "series": {"train acc": epochs["train_acc"], "test acc": epochs["test_acc"]}},
    ]
    return m, checks, plots


def _minibatch_stats(ops, P, X, y, reps, sizes, rng) -> dict:
    """For every B in ``sizes``, ``reps`` mini-batches drawn with replacement: their losses and gradients
    against the full-data loss L and gradient g."""
    L, grads, _ = loss_and_grads(ops, P, ops.asarray(X), LAYERS, labels=y)
    g = _flat(ops, grads)
    out = {"full_loss": L, "loss_mean": {}, "loss_se": {}, "z_loss": {}, "bias_ratio": {}, "z_grad": {}, "variance": {}}
    gdir = g / np.linalg.norm(g)
    for b in sizes:
        losses, gs = [], []
        for _ in range(reps):
            idx = rng.choice(len(X), b)
            lb, gb, _ = loss_and_grads(ops, P, ops.asarray(X[idx]), LAYERS, labels=y[idx])
            losses.append(lb)
            gs.append(_flat(ops, gb))
        losses, gs = np.array(losses), np.array(gs)
        se = losses.std(ddof=1) / np.sqrt(reps)
        var = float(np.mean(np.sum((gs - g) ** 2, axis=1)))
        out["loss_mean"][b], out["loss_se"][b] = float(losses.mean()), float(se)
        out["z_loss"][b] = float((losses.mean() - L) / se)
        out["bias_ratio"][b] = float(np.sum((gs.mean(axis=0) - g) ** 2) / (var / reps))
        proj = gs @ gdir  # along the full gradient: E[g_B . g/||g||] = ||g|| when g_B is unbiased
        out["z_grad"][b] = float((proj.mean() - np.linalg.norm(g)) / (proj.std(ddof=1) / np.sqrt(reps)))
        out["variance"][b] = var
    return out


MINIBATCH = Scenario(
    name="minibatch_learning",
    claim="A random mini-batch's loss is an unbiased estimate of the full-data loss and the variance of its "
          "gradient falls as 1/B; a TwoLayerNet trained by mini-batch SGD learns (loss falls, train and test "
          "accuracy rise together).",
    source={"seed": "004_ebe8b05ec467fb2f.txt",
            "says": "データの中からランダムに一部を選び出し、その一部を全体の「近似」として学習に利用する ... ミニバッチ学習 "
                    "(a randomly chosen part of the data is used as an approximation of the whole: mini-batch "
                    "learning); the book's ch. 4 trains TwoLayerNet this way and plots loss and accuracy."},
    build="sklearn digits, fixed split 1347 train / 450 test; the book's TwoLayerNet 64 -> 50 -> 10 (sigmoid, "
          "weight_init_std 0.01), SGD lr 0.5, batch 100 drawn with replacement (np.random.choice as in the "
          "book), 600 iterations (thorough: the book's lr 0.1 and 10000 iterations); at 1/6 of the way, 150 "
          "mini-batches (1000 thorough) of each size B = 1 ... 256 against the full-data loss and gradient.",
    measure=measure_minibatch)
