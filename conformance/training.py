"""Scenarios that train: dead_relu and autoencoder_depth (seed 000's experiment)."""
from __future__ import annotations

import numpy as np

from .data import digits
from .dead_relu_variants import init_2layer, prelu_gradient_check, train_2layer, unit_derivative_zero
from .gradients import train
from .nets import init_params, loss_and_grads, to_ops
from .ops import he_std, xavier_std
from .scenario import Scenario, check, pick

# -- dead_relu --------------------------------------------------------------------------------------

HIDDEN = 100


def measure_dead(ops, seed, profile):
    X, y = digits()
    steps = pick(profile, 150, 150, 1000)  # per phase
    lr_big, lr_ok = 3.0, 0.1
    every = max(steps // 30, 1)
    runs, slopes = {}, {}
    for name, act, lr1 in (("relu, lr too large", "relu", lr_big), ("leaky_relu, lr too large", "leaky_relu", lr_big),
                           ("elu, lr too large", "elu", lr_big), ("prelu, lr too large", "prelu", lr_big),
                           ("relu, lr 0.1 (control)", "relu", lr_ok)):
        P = init_2layer(seed, act, HIDDEN)
        curve = {"step": [], "never_active": [], "zero_gradient": [], "loss": []}
        offset = [0]

        def record(step, Pn, z, curve=curve, act=act, offset=offset):
            never, zero = unit_derivative_zero(ops, act, z, Pn)
            curve["step"].append(step + offset[0])
            curve["never_active"].append(never)
            curve["zero_gradient"].append(zero)

        h1, Pn, _ = train_2layer(ops, P, act, X, y, steps=steps, lr=lr1, batch=64, seed=seed, record=record,
                                 every=every)
        offset[0] = steps
        P2 = {k: ops.numpy(v) for k, v in Pn.items()}
        curve_len = len(curve["step"])
        h2, Pf, _ = train_2layer(ops, P2, act, X, y, steps=steps, lr=lr_ok, batch=64, seed=seed + 1, record=record,
                                 every=every)
        for k in ("step", "never_active", "zero_gradient"):  # drop the duplicate point at the phase boundary
            del curve[k][curve_len]
        curve["loss"] = [l for _, l in h1] + [l for _, l in h2[1:]]
        runs[name] = curve
        if act == "prelu":
            a = ops.numpy(Pf["a0"])
            slopes = {"mean": float(a.mean()), "min": float(a.min()), "max": float(a.max()),
                      "share_below_0.01": float(np.mean(np.abs(a) < 0.01))}
    r, lk, el, pr, ctl = (runs[k] for k in runs)
    i1 = len(r["step"]) // 2  # end of phase 1
    prelu_err = prelu_gradient_check(ops, seed)

    def diverged(curve):
        """The first recorded step whose full-batch loss is not finite (None: it stayed finite)."""
        bad = [st for st, l in zip(curve["step"], curve["loss"]) if not np.isfinite(l)]
        return bad[0] if bad else None
    checks = [
        check(f"ReLU, lr {lr_big}: share of dead units (zero gradient on all {len(X)} digits) after phase 1",
              "> control + 0.2", r["zero_gradient"][i1], r["zero_gradient"][i1] > ctl["zero_gradient"][i1] + 0.2),
        check(f"ReLU: dead share does not recover after lowering lr to {lr_ok} (end of phase 2 vs end of phase 1)",
              ">= phase-1 share", [r["zero_gradient"][i1], r["zero_gradient"][-1]],
              r["zero_gradient"][-1] >= r["zero_gradient"][i1]),
        check("LeakyReLU does not die: share of units with zero gradient, max over training (finite throughout)",
              "= 0", max(lk["zero_gradient"]), max(lk["zero_gradient"]) == 0 and diverged(lk) is None),
        check("ELU does not die: share of units with zero gradient, max over training (finite throughout)", "= 0",
              max(el["zero_gradient"]), max(el["zero_gradient"]) == 0 and diverged(el) is None),
        check("the scenario's PReLU backward (dx and the slope's da) matches central differences",
              "max relative error < 1e-6", prelu_err, prelu_err < 1e-6),
        check(f"after both phases, LeakyReLU ends with a lower training loss than ReLU (same lr {lr_big} then {lr_ok})",
              "loss leaky_relu < relu (ELU, PReLU reported)",
              {"leaky_relu": lk["loss"][-1], "relu": r["loss"][-1], "elu": el["loss"][-1], "prelu": pr["loss"][-1]},
              lk["loss"][-1] < r["loss"][-1], strict=False),
        check(f"PReLU (learnable slope, same SGD) does not die at lr {lr_big}: no unit with zero gradient, and "
              "the training stays finite", "max dead share = 0 and every loss finite",
              {"max_dead_share": max(pr["zero_gradient"]), "diverged_at_step": diverged(pr)},
              max(pr["zero_gradient"]) == 0 and diverged(pr) is None, strict=False),
    ]
    m = {"hidden_units": HIDDEN, "steps_per_phase": steps, "lr_too_large": lr_big, "lr_ok": lr_ok,
         "task": "sklearn digits, 64 -> 100 -> 10, softmax cross-entropy, SGD batch 64; phase 1 at the large lr, "
                 "phase 2 at lr 0.1", "dead_share_over_steps": runs,
         "prelu_slopes_after_training": slopes, "prelu_init_slope": 0.25, "prelu_gradient_check_rel_error": prelu_err,
         "diverged_at_step": {k: diverged(v) for k, v in runs.items()}}
    plots = [
        {"kind": "lines", "title": "share of hidden units with zero gradient on every digit (dead)",
         "xlabel": "step (phase 2 starts at the middle)", "ylabel": "share", "logy": False, "x": r["step"],
         "series": {k: v["zero_gradient"] for k, v in runs.items()}, "vline": steps},
        {"kind": "lines", "title": "share of hidden units never positive on any digit", "xlabel": "step",
         "ylabel": "share", "logy": False, "x": r["step"],
         "series": {k: v["never_active"] for k, v in runs.items()}, "vline": steps},
        {"kind": "lines", "title": "training loss (full batch)", "xlabel": "step", "ylabel": "cross-entropy",
         "logy": True, "x": r["step"], "series": {k: v["loss"] for k, v in runs.items()}, "vline": steps},
    ]
    return m, checks, plots


DEAD_RELU = Scenario(
    name="dead_relu",
    claim="With a learning rate that is too large, the share of ReLU units that never activate grows and does "
          "not recover; LeakyReLU, PReLU and ELU units keep a gradient and do not die.",
    source={"seed": "000_23a75d5ee33f8d61.txt, 001_d14e0df49f779b15.txt",
            "says": "000: if the learning rate is not tuned, weights turn negative at once, every neuron stops "
                    "activating and learning stops; a synapse whose gradient vanished basically never revives. "
                    "001: Dead ReLU: some neurons output zero for every input from then on; Leaky ReLU, PReLU "
                    "and ELU address it."},
    build="Digits classifier 64 -> 100 -> 10 (He init), SGD batch 64; phase 1: lr 3.0 for 150 steps (1000 "
          "thorough), phase 2: lr 0.1 for as many; the same for LeakyReLU (slope 0.01), ELU (alpha 1) and PReLU "
          "(one learnable slope per unit, initial 0.25, trained by the same SGD); control: ReLU at lr 0.1 "
          "throughout. A unit is dead when "
          "its activation derivative is 0 on all 1797 digits.",
    measure=measure_dead)


# -- autoencoder_depth --------------------------------------------------------------------------------

def ae_sizes(n_layers: int, n_in: int = 64, bottleneck: int = 16) -> list:
    """Layer widths of a symmetric autoencoder with ``n_layers`` layers of neurons (input and output
    included), narrowing linearly from n_in to the bottleneck: 5 -> [64, 40, 16, 40, 64]."""
    half = (n_layers - 1) // 2
    enc = [int(round(n_in + (bottleneck - n_in) * i / half)) for i in range(half + 1)]
    return enc + enc[-2::-1]


def measure_ae(ops, seed, profile):
    X, _ = digits()
    steps = pick(profile, 300, 200, 3000)
    lr = 1e-3
    every = max(steps // 20, 1)
    depths = (5, 7, 11, 13)
    res = {}
    Xe = X[np.random.default_rng(seed).choice(len(X), 256, replace=False)]
    for n in depths:
        for act, std in (("relu", he_std), ("sigmoid", xavier_std)):
            sizes = ae_sizes(n)
            P = init_params(np.random.default_rng(seed), sizes, std)
            layers = [(act, False)] * (len(sizes) - 2) + [("identity", False)]
            rec = {"step": [], "zero_grad_share": [], "grad_per_layer": []}

            def record(step, Pn, info, rec=rec, layers=layers):
                _, grads, inf = loss_and_grads(ops, Pn, ops.asarray(Xe), layers, target=ops.asarray(Xe))
                gw = [ops.numpy(grads[f"W{l}"]) for l in range(len(layers))]
                rec["step"].append(step)
                rec["zero_grad_share"].append(float(sum((g == 0).sum() for g in gw) / sum(g.size for g in gw)))
                rec["grad_per_layer"].append([float(np.mean(np.abs(g))) for g in gw])

            hist, _ = train(ops, P, layers, X, X, steps=steps, lr=lr, batch=64, seed=seed, opt="adam",
                            record=record, every=every)
            gpl = np.array(rec["grad_per_layer"])
            res[f"{act}_{n}"] = {"sizes": sizes, "mse_curve": [l for _, l in hist], "steps": [s for s, _ in hist],
                                 "final_mse": hist[-1][1], "zero_grad_share": rec["zero_grad_share"],
                                 "mean_abs_grad_per_layer": gpl.mean(axis=0).tolist(),
                                 "mean_abs_grad_per_layer_at_init": gpl[0].tolist()}
    # the seed's claims, each stated next to the measurement
    first_over_last = {k: v["mean_abs_grad_per_layer_at_init"][0] / v["mean_abs_grad_per_layer_at_init"][-1]
                       for k, v in res.items()}
    fm = {k: v["final_mse"] for k, v in res.items()}
    z = {k: v["zero_grad_share"] for k, v in res.items()}
    checks = [
        check("ReLU: the first layer's gradient stays within 10x of the last layer's as layers are added",
              "first/last in [0.1, 10] for 5..13 layers", {n: first_over_last[f"relu_{n}"] for n in depths},
              all(0.1 <= first_over_last[f"relu_{n}"] <= 10 for n in depths), strict=False),
        check("sigmoid: the first layer's gradient gets smaller as layers are added",
              "first/last decreasing from 5 to 13 layers", {n: first_over_last[f"sigmoid_{n}"] for n in depths},
              first_over_last["sigmoid_13"] < first_over_last["sigmoid_5"], strict=False),
        check("ReLU has more zero-gradient weights than sigmoid from the start", "relu > sigmoid at step 0, all depths",
              {n: [z[f"relu_{n}"][0], z[f"sigmoid_{n}"][0]] for n in depths},
              all(z[f"relu_{n}"][0] > z[f"sigmoid_{n}"][0] for n in depths), strict=False),
        check("ReLU's share of zero-gradient weights grows during training", "last > first, all depths",
              {n: [z[f"relu_{n}"][0], z[f"relu_{n}"][-1]] for n in depths},
              all(z[f"relu_{n}"][-1] > z[f"relu_{n}"][0] for n in depths), strict=False),
        check("11 layers: ReLU and sigmoid reach about the same squared error", "ratio relu/sigmoid in [0.8, 1.25]",
              fm["relu_11"] / fm["sigmoid_11"], 0.8 <= fm["relu_11"] / fm["sigmoid_11"] <= 1.25, strict=False),
        check("13 layers: ReLU reaches a lower squared error than sigmoid", "relu/sigmoid < 1",
              fm["relu_13"] / fm["sigmoid_13"], fm["relu_13"] < fm["sigmoid_13"], strict=False),
        check("up to 7 layers: sigmoid reaches a lower squared error than ReLU", "sigmoid/relu < 1 at 5 and 7",
              {n: fm[f"sigmoid_{n}"] / fm[f"relu_{n}"] for n in (5, 7)},
              all(fm[f"sigmoid_{n}"] < fm[f"relu_{n}"] for n in (5, 7)), strict=False),
        check("training ran and stayed finite", "every final MSE finite", fm, all(np.isfinite(list(fm.values())))),
    ]
    m = {"task": "sklearn digits (1797 x 64, scaled to [0, 1]) reconstructed by autoencoders trained end to end "
                 f"from scratch, Adam lr {lr}, batch 64, {steps} steps", "depths": list(depths),
         "first_over_last_grad_at_init": first_over_last, "final_mse": fm, "runs": res}
    steps_x = res["relu_5"]["steps"]
    plots = [
        {"kind": "lines", "title": f"mean |dLoss/dW| per layer at initialisation, {d} layers", "xlabel": "layer",
         "ylabel": "mean |gradient|", "logy": True, "x": list(range(1, len(res[f'relu_{d}']['sizes']))),
         "series": {a: res[f"{a}_{d}"]["mean_abs_grad_per_layer_at_init"] for a in ("relu", "sigmoid")}}
        for d in (5, 13)
    ] + [
        {"kind": "lines", "title": "share of weights with exactly zero gradient (256 digits)", "xlabel": "step",
         "ylabel": "share", "logy": False, "x": res["relu_5"]["steps"][:len(z["relu_5"])],
         "series": {k: v for k, v in z.items()}},
        {"kind": "lines", "title": "squared error (full batch) during training", "xlabel": "step",
         "ylabel": "0.5 * sum (y - x)^2 / N", "logy": True, "x": steps_x,
         "series": {k: v["mse_curve"] for k, v in res.items()}},
    ]
    return m, checks, plots


AUTOENCODER = Scenario(
    name="autoencoder_depth",
    claim="Seed 000's experiment: in autoencoders trained from scratch, ReLU keeps gradient magnitude across "
          "layers while sigmoid's shrinks; ReLU has more zero-gradient weights and their share grows; at 13 "
          "layers ReLU ends with a lower squared error, at 11 about the same, up to 7 sigmoid is better.",
    source={"seed": "000_23a75d5ee33f8d61.txt",
            "says": "5- and 7-layer autoencoders trained at once: ReLU's gradient barely changes with layers, "
                    "sigmoid's shrinks; ReLU has more zero-gradient synapses and they keep increasing; after "
                    "3000 updates 11 layers give the same squared error, 13 layers favour ReLU, up to 7 layers "
                    "sigmoid is lower."},
    build="Symmetric autoencoders of 5, 7, 11, 13 layers (64 -> ... -> 16 -> ... -> 64), ReLU (He) or sigmoid "
          "(std sqrt(1/n)) hidden layers, linear output, MSE, Adam lr 1e-3 batch 64 on sklearn's digits; "
          "300 steps (3000 thorough, as in the seed). (Plain SGD or Momentum at lr 0.05 diverges for the deeper "
          "ReLU nets and leaves sigmoid at the mean image; the seed clipped ReLU gradients instead.)",
    measure=measure_ae, observed=True)

SCENARIOS = [DEAD_RELU, AUTOENCODER]
