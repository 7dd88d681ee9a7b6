"""Update rules in the CS231n assignment API (written for spec_nn's examples)."""
import numpy as np


def sgd(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    w -= config["learning_rate"] * dw  # in place, as the assignment's sgd does
    return w, config


def sgd_momentum(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v - config["learning_rate"] * dw
    config["velocity"] = v
    return w + v, config


def rmsprop(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    cache = config.get("cache", np.zeros_like(w))
    cache = config["decay_rate"] * cache + (1 - config["decay_rate"]) * dw ** 2
    config["cache"] = cache
    return w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"]), config


def adam(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    m = config.get("m", np.zeros_like(w))
    v = config.get("v", np.zeros_like(w))
    t = config.get("t", 0) + 1
    b1, b2 = config["beta1"], config["beta2"]
    m = b1 * m + (1 - b1) * dw
    v = b2 * v + (1 - b2) * dw ** 2
    mt, vt = m / (1 - b1 ** t), v / (1 - b2 ** t)
    config.update(m=m, v=v, t=t)
    return w - config["learning_rate"] * mt / (np.sqrt(vt) + config["epsilon"]), config
