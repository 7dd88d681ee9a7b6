"""Mutants of issue 7 ("report what is seen"): code that writes into the upstream gradient, as the book's
Relu.backward, CS231n's relu_backward and many dropout layers do.  Each fails does_not_mutate_inputs; with
the rubric's ``dout = ["writes_dout"]`` (the shared convention spec_nn.checks.GENERIC_CONVENTIONS) the same
code is a correct variant."""
import numpy as np

from spec_nn.reference import activations as aref

from . import Mutant

WRITES_DOUT = {"dout": ("untouched", "writes_dout")}


def _book_relu_bwd(c, dout):
    mask = c["x"] <= 0
    dout[mask] = 0  # the book: dout[self.mask] = 0; dx = dout
    return {"x": dout}


def _cs_relu_bwd(c, dout):
    dx = dout  # CS231n solutions: dx = dout; dx[x <= 0] = 0 (no copy)
    dx[c["x"] <= 0] = 0
    return {"x": dx}


def _keep(c):
    return np.random.RandomState(c["seed"]).rand(*c["x"].shape) < 1 - c["p"]


def _dropout_fwd(c):
    x = c["x"]
    if c["mode"] != "train":
        return x.copy()
    return (x * _keep(c) / (1 - c["p"])).astype(x.dtype)


def _dropout_bwd_in_place(c, dout):
    if c["mode"] == "train":
        dout *= (_keep(c) / (1 - c["p"])).astype(dout.dtype)  # dout *= mask
    return {"x": dout}


def _sigmoid_bwd_in_place(c, dout):
    y = aref.sigmoid(c["x"])
    dout *= y * (1 - y)
    return {"x": dout}


MUTANTS = [
    Mutant("relu", "book_relu_writes_dout", lambda c: np.maximum(c["x"], 0), _book_relu_bwd,
           caught_by=("does_not_mutate_inputs",), why="the book's Relu.backward: dout[self.mask] = 0"),
    Mutant("relu", "cs231n_relu_writes_dout", lambda c: np.maximum(c["x"], 0), _cs_relu_bwd,
           caught_by=("does_not_mutate_inputs",), why="dx = dout; dx[x <= 0] = 0"),
    Mutant("dropout", "dropout_scales_dout_in_place", _dropout_fwd, _dropout_bwd_in_place,
           caught_by=("does_not_mutate_inputs",), why="dout *= mask in dropout's backward"),
    Mutant("sigmoid", "sigmoid_scales_dout_in_place", lambda c: aref.sigmoid(c["x"]), _sigmoid_bwd_in_place,
           caught_by=("does_not_mutate_inputs",), why="dout *= y * (1 - y)"),
]

CORRECT = [
    Mutant("relu", "book_relu_writes_dout_accepted", lambda c: np.maximum(c["x"], 0), _book_relu_bwd,
           accept=WRITES_DOUT, why="a rubric that accepts dout=writes_dout"),
    Mutant("sigmoid", "sigmoid_scales_dout_accepted", lambda c: aref.sigmoid(c["x"]), _sigmoid_bwd_in_place,
           accept=WRITES_DOUT, why="a rubric that accepts dout=writes_dout"),
]
