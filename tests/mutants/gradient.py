"""Broken and correct-but-different numerical gradients.  Each receives the Case and looks the test
function up by name, as the grader's worker does: ``f = function(case["f"])``."""
import numpy as np

from spec_nn.reference.gradient import function

from . import Mutant

BOTH = ("float64", "float32")


def central(diff=lambda fp, fm, f0, h: (fp - fm) / (2 * h), restore="assign", grad_like=np.zeros_like, h=None,
            one_sided=False, cast=False):
    """The book's numerical_gradient (np.nditer, in place on x) with one slip at a time; cast: an integer x is
    first copied to float64 (else x + h written into it truncates)."""
    def fwd(c):
        f, x = function(c["f"]), c["x"]
        if cast and x.dtype.kind in "iu":
            x = x.astype(np.float64)
        step = c["h"] if h is None else h
        grad = grad_like(x)
        it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
        while not it.finished:
            idx = it.multi_index
            tmp_val = x[idx]
            f0 = f(x) if one_sided else None
            x[idx] = float(tmp_val) + step
            fxh1 = f(x)
            if restore == "arithmetic":
                x[idx] -= 2 * step
            else:
                x[idx] = tmp_val - step
            fxh2 = f(x)
            grad[idx] = diff(fxh1, fxh2, f0, step)
            if restore == "assign":
                x[idx] = tmp_val
            elif restore == "arithmetic":
                x[idx] += step
            it.iternext()
        return grad
    return fwd


def first_axis(c):
    """Iterates over x.shape[0] only: perturbs a whole row at a time."""
    f, x, h = function(c["f"]), c["x"], c["h"]
    grad = np.zeros_like(x)
    for i in range(x.shape[0]):
        tmp = x[i].copy()
        x[i] = tmp + h
        fp = f(x)
        x[i] = tmp - h
        fm = f(x)
        x[i] = tmp
        grad[i] = (fp - fm) / (2 * h)
    return grad


def vectorised(c):
    """No in-place writes: one perturbed copy per element, x + h e_i and x - h e_i (in x's float dtype, float64 for
    an integer x)."""
    f, x, h = function(c["f"]), c["x"], c["h"]
    x = x if x.dtype.kind == "f" else x.astype(np.float64)
    eye = np.eye(x.size, dtype=x.dtype).reshape((x.size,) + x.shape) * x.dtype.type(h)
    g = [(f(x + e) - f(x - e)) / (2 * h) for e in eye]
    return np.array(g, dtype=x.dtype).reshape(x.shape)


MUTANTS = [
    Mutant("numerical_gradient", "precedence_2_times_h", central(diff=lambda fp, fm, f0, h: (fp - fm) / 2 * h),
           caught_by=("within_h2_of_analytic", "forward_matches_reference"),
           why="(f(x+h) - f(x-h)) / 2*h multiplies by h (seed 001)"),
    Mutant("numerical_gradient", "forward_difference", central(diff=lambda fp, fm, f0, h: (fp - f0) / h, one_sided=True),
           caught_by=("within_h2_of_analytic",), why="(f(x+h) - f(x)) / h: O(h) error, h/2 f''"),
    Mutant("numerical_gradient", "no_restore", central(restore=None),
           caught_by=("restores_input", "does_not_mutate_inputs"), why="forgets x[idx] = tmp_val"),
    Mutant("numerical_gradient", "restore_by_arithmetic", central(restore="arithmetic"),
           caught_by=("restores_input",), why="x += h; x -= 2h; x += h leaves rounding residue in x"),
    Mutant("numerical_gradient", "first_axis_only", first_axis,
           caught_by=("forward_matches_reference", "within_h2_of_analytic"),
           why="loops over x.shape[0] only, perturbing whole rows of a 2-D array"),
    Mutant("numerical_gradient", "grad_float64", central(grad_like=lambda x: np.zeros(x.shape)),
           caught_by=("preserves_dtype",), dtypes=("float32",), why="np.zeros(x.shape) is float64"),
    Mutant("numerical_gradient", "h_underflows", central(h=np.float32(1e-50)),
           caught_by=("finite_outputs",), why="h = 1e-50 is 0 in float32: 0/0 = NaN (the book's warning)"),
]

def refuses_integers(c):
    """A clear error for an integer x, the central difference otherwise."""
    if c["x"].dtype.kind != "f":
        raise TypeError(f"numerical_gradient needs a float array, got dtype {c['x'].dtype}")
    return central()(c)


MUTANTS += [
    Mutant("numerical_gradient", "book_nditer_integer_x", central(), caught_by=("integer_input",),
           why="the book's loop on an integer x: x[idx] = float(tmp_val) + h truncates, the gradient is zeros"),
    Mutant("numerical_gradient", "raises_unclear_error_on_integers",
           lambda c: (c["x"] + 0.0)[None] if c["x"].dtype.kind == "f" else c["x"][c["x"].size + 5],
           caught_by=("integer_input",), why="an IndexError deep inside is not a clear refusal of an integer x"),
]

CORRECT = [
    Mutant("numerical_gradient", "book_nditer", central(cast=True), dtypes=BOTH,
           why="the book's numerical_gradient: perturbs x in place and restores tmp_val (an integer x as float)"),
    Mutant("numerical_gradient", "refuses_integer_x", refuses_integers, dtypes=BOTH,
           why="a TypeError naming the dtype is a clear refusal"),
    Mutant("numerical_gradient", "vectorised_copies", vectorised, dtypes=BOTH),
]
