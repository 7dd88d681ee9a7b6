"""Broken and correct-but-different initialisers: wrong scales (std 1, the book's 0.01, variance where
the std belongs), a uniform [0, 1) draw, PyTorch's layout, and the book's randn-based code."""
import numpy as np

from . import Mutant

BOTH = ("float64", "float32")


def normal(std, shape=lambda fi, fo: (fi, fo)):
    """np.random.seed(seed); randn(*shape) * std(fan_in, fan_out), the book's style."""
    def fwd(c):
        fi, fo = c["fan_in"], c["fan_out"]
        np.random.seed(c["seed"])
        return (np.random.randn(*shape(fi, fo)) * std(fi, fo)).astype(c["dtype"])
    return fwd


def uniform(limit):
    def fwd(c):
        fi, fo = c["fan_in"], c["fan_out"]
        return np.random.default_rng(c["seed"]).uniform(-limit(fi, fo), limit(fi, fo), (fi, fo)).astype(c["dtype"])
    return fwd


def rand(std):
    def fwd(c):
        np.random.seed(c["seed"])
        return (np.random.rand(c["fan_in"], c["fan_out"]) * std(c["fan_in"], c["fan_out"])).astype(c["dtype"])
    return fwd


HE = lambda fi, fo: np.sqrt(2.0 / fi)
XAVIER = lambda fi, fo: np.sqrt(1.0 / fi)
TORCH_LAYOUT = lambda fi, fo: (fo, fi)

MUTANTS = []
for name, good in (("he_init", HE), ("xavier_init", XAVIER)):
    MUTANTS += [
        Mutant(name, "std_one", normal(lambda fi, fo: 1.0), caught_by=("variance_in_confidence_interval",),
               why="randn without a scale"),
        Mutant(name, "std_0.01", normal(lambda fi, fo: 0.01), caught_by=("variance_in_confidence_interval",),
               why="the book's default weight_init_std = 0.01"),
        Mutant(name, "uniform_0_1", rand(good), caught_by=("mean_near_zero", "variance_in_confidence_interval"),
               why="np.random.rand (uniform on [0, 1)) instead of randn: mean > 0"),
        Mutant(name, "pytorch_layout", normal(good, TORCH_LAYOUT), caught_by=("shape",),
               why="(fan_out, fan_in): PyTorch's (out, in) weight layout"),
        Mutant(name, "returns_float64", lambda c, good=good: normal(good)(c).astype(np.float64),
               caught_by=("preserves_dtype",), dtypes=("float32",), why="ignores the requested dtype"),
        Mutant(name, "fan_difference_typo", normal(lambda fi, fo: np.sqrt(np.float64(2.0) / (fi - fo))),
               caught_by=("variance_in_confidence_interval", "mean_near_zero"),
               why="2 / (fan_in - fan_out) for 2 / (fan_in + fan_out): NaN or inf, or a wrong scale"),
    ]
MUTANTS += [
    Mutant("he_init", "variance_sqrt_2_over_n", normal(lambda fi, fo: (2.0 / fi) ** 0.25),
           caught_by=("variance_in_confidence_interval",),
           why="variance sqrt(2/n) instead of std sqrt(2/n) (seed 000's claim)"),
    Mutant("he_init", "std_passed_variance", normal(lambda fi, fo: 2.0 / fi),
           caught_by=("variance_in_confidence_interval",), why="np.random.normal(0, 2/n): the variance as the std"),
    Mutant("he_init", "kaiming_on_book_layout", normal(lambda fi, fo: np.sqrt(2.0 / fo)),
           caught_by=("variance_in_confidence_interval",),
           why="kaiming_normal_ on an (in, out) tensor reads fan_in from size(1) = fan_out"),
    Mutant("xavier_init", "he_scale", normal(HE), caught_by=("variance_in_confidence_interval",),
           why="sqrt(2/n) (He) used for Xavier"),
]

CORRECT = [
    Mutant("he_init", "book_randn", normal(HE), dtypes=BOTH, why="np.random.randn(in, out) * sqrt(2 / in)"),
    Mutant("he_init", "kaiming_uniform", uniform(lambda fi, fo: np.sqrt(6.0 / fi)), dtypes=BOTH,
           why="U(-sqrt(6/in), sqrt(6/in)) has variance 2/in"),
    Mutant("xavier_init", "book_randn", normal(XAVIER), dtypes=BOTH, why="np.random.randn(in, out) * sqrt(1 / in)"),
    Mutant("xavier_init", "glorot_normal", normal(lambda fi, fo: np.sqrt(2.0 / (fi + fo))), dtypes=BOTH,
           why="Glorot's 2 / (in + out): accepted, reported as variance=glorot"),
    Mutant("xavier_init", "glorot_uniform", uniform(lambda fi, fo: np.sqrt(6.0 / (fi + fo))), dtypes=BOTH),
]
