"""Optimizers as trajectories: each function takes the initial parameter ``param`` (any shape), the
gradient sequence ``grads`` (shape ``(K, *param.shape)``, one gradient per step) and the
hyper-parameters, and returns the parameter after every step, shape ``(K, *param.shape)``, in
``param``'s dtype.  State (velocity, accumulators, step count) starts at zero and is kept between steps.

Hyper-parameter names follow the book's classes; the PyTorch mapping is
``momentum -> SGD(momentum=)``, ``decay_rate -> RMSprop(alpha=)``, ``(beta1, beta2) -> Adam(betas=)``,
``eps -> eps``.  Each stateful loop below has a closed form (``*_closed``): the same trajectory written
as explicit weighted sums of the gradients, which checks the loops (and any implementation)
independently of how the state is stored.
"""
from __future__ import annotations

import numpy as np


def _start(param, grads):
    w = np.array(param, dtype=np.float64, copy=True)
    return w, np.asarray(grads, dtype=np.float64), []


def _end(traj, param):
    return np.stack(traj).astype(np.asarray(param).dtype)


def sgd(param, grads, lr):
    """w_t = w_{t-1} - lr g_t."""
    w, G, out = _start(param, grads)
    for g in G:
        w = w - lr * g
        out.append(w)
    return _end(out, param)


def momentum(param, grads, lr, momentum, form="book"):
    """Heavy-ball momentum, two forms that are equal for a constant lr.

    book (CS231n ``sgd_momentum``): v_t = a v_{t-1} - lr g_t;  w_t = w_{t-1} + v_t.
    pytorch (``SGD(momentum=mu)``):  b_t = mu b_{t-1} + g_t; w_t = w_{t-1} - lr b_t.
    With a = mu and v_0 = b_0 = 0, induction gives v_t = -lr b_t, so the trajectories coincide.
    """
    w, G, out = _start(param, grads)
    v = np.zeros_like(w)
    for g in G:
        if form == "book":
            v = momentum * v - lr * g
            w = w + v
        else:
            v = momentum * v + g
            w = w - lr * v
        out.append(w)
    return _end(out, param)


def nesterov(param, grads, lr, momentum, form="pytorch"):
    """Nesterov momentum; g_t is the gradient at the stored parameter w_{t-1}.

    pytorch (``SGD(momentum=mu, nesterov=True)``): b_t = mu b_{t-1} + g_t; w_t = w_{t-1} - lr (g_t + mu b_t).
    cs231n (notes; Bengio et al. 2012 eq. 7): v_t = mu v_{t-1} - lr g_t; w_t = w_{t-1} - mu v_{t-1} + (1 + mu) v_t
        = w_{t-1} + mu^2 v_{t-1} - (1 + mu) lr g_t.
        With v_t = -lr b_t: -mu v_{t-1} + (1 + mu) v_t = mu v_t - lr g_t = -lr (g_t + mu b_t): the same as pytorch.
    book (``common/optimizer.py`` Nesterov): v_t = mu v_{t-1} - lr g_t; w_t = w_{t-1} + mu^2 v_t - (1 + mu) lr g_t.
        It applies mu^2 to the *updated* velocity v_t where Bengio's form has v_{t-1}:
        step_t = mu^3 v_{t-1} - (1 + mu + mu^2) lr g_t, already -(1 + mu + mu^2) lr g_1 at the first step
        (pytorch/cs231n: -(1 + mu) lr g_1).  Not equivalent; a named variant a rubric may accept.
        (Copies that update params *before* the velocity compute Bengio's form, i.e. pytorch.)
    """
    w, G, out = _start(param, grads)
    v = np.zeros_like(w)
    for g in G:
        if form == "pytorch":
            v = momentum * v + g
            w = w - lr * (g + momentum * v)
        elif form == "cs231n":
            v_prev = v
            v = momentum * v - lr * g
            w = w - momentum * v_prev + (1 + momentum) * v
        else:  # book
            v = momentum * v - lr * g
            w = w + momentum * momentum * v - (1 + momentum) * lr * g
        out.append(w)
    return _end(out, param)


def adagrad(param, grads, lr, eps, eps_placement="outside"):
    """h_t = h_{t-1} + g_t^2;  w_t = w_{t-1} - lr g_t / (sqrt(h_t) + eps)   ("outside": the book with
    eps = 1e-7, ``torch.optim.Adagrad`` with eps = 1e-10), or lr g_t / sqrt(h_t + eps) ("inside").
    A zero gradient from a fresh state gives 0 / eps = 0 (without eps: 0 / 0 = NaN)."""
    w, G, out = _start(param, grads)
    h = np.zeros_like(w)
    for g in G:
        h = h + g * g
        denom = np.sqrt(h) + eps if eps_placement == "outside" else np.sqrt(h + eps)
        w = w - lr * g / denom
        out.append(w)
    return _end(out, param)


def rmsprop(param, grads, lr, decay_rate, eps, eps_placement="outside"):
    """h_t = rho h_{t-1} + (1 - rho) g_t^2 (rho = decay_rate);  w_t = w_{t-1} - lr g_t / (sqrt(h_t) + eps).

    The book (rho 0.99, eps 1e-7), CS231n (rho 0.99, eps 1e-8) and ``torch.optim.RMSprop`` (alpha = rho,
    eps 1e-8) all put eps outside the root; TF1's RMSPropOptimizer uses sqrt(h_t + eps) ("inside")."""
    w, G, out = _start(param, grads)
    h = np.zeros_like(w)
    for g in G:
        h = decay_rate * h + (1 - decay_rate) * g * g
        denom = np.sqrt(h) + eps if eps_placement == "outside" else np.sqrt(h + eps)
        w = w - lr * g / denom
        out.append(w)
    return _end(out, param)


def adam(param, grads, lr, beta1, beta2, eps, form="textbook"):
    """m_t = b1 m_{t-1} + (1 - b1) g_t;  v_t = b2 v_{t-1} + (1 - b2) g_t^2  (t counts from 1).

    textbook (Kingma & Ba, ``torch.optim.Adam``, CS231n with t incremented first):
        w_t = w_{t-1} - lr m_hat / (sqrt(v_hat) + eps),  m_hat = m_t / (1 - b1^t), v_hat = v_t / (1 - b2^t).
    lr_t (the book's Adam, and Kingma & Ba's "efficient version"):
        lr_t = lr sqrt(1 - b2^t) / (1 - b1^t);  w_t = w_{t-1} - lr_t m_t / (sqrt(v_t) + eps)
        = lr m_hat / (sqrt(v_hat) + eps / sqrt(1 - b2^t)): the same with eps scaled by 1/sqrt(1 - b2^t)
        (x31.6 at t = 1 for b2 = 0.999), so the two differ by O(eps / sqrt(v_hat)) relative: two named variants.
    """
    w, G, out = _start(param, grads)
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    for t, g in enumerate(G, start=1):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        if form == "textbook":
            w = w - lr * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps)
        else:
            lr_t = lr * np.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
            w = w - lr_t * m / (np.sqrt(v) + eps)
        out.append(w)
    return _end(out, param)


# -- closed forms: the trajectory as explicit sums over the gradients -----------------------------

def _powers(k: int, base: float) -> np.ndarray:
    """P[t, s] = base^(t - s) for s <= t, else 0 (t, s = 0..k-1): sum_s P[t, s] x_s = sum_{s<=t} base^(t-s) x_s."""
    t = np.arange(k)
    d = t[:, None] - t[None, :]
    return np.where(d >= 0, float(base) ** np.maximum(d, 0), 0.0)


def _apply(P, G):
    return np.tensordot(P, G, axes=1)


def _geom(n, mu):
    """sum_{j=0}^{n-1} mu^j, elementwise over the integer array n (no division: mu = 1 is fine)."""
    return np.array([sum(mu ** j for j in range(int(m))) for m in np.ravel(n)]).reshape(np.shape(n))


def linear_closed(param, grads, lr, coeff):
    """w_k = w_0 - lr sum_{s<=k} C[k, s] g_s for a linear optimizer with coefficient matrix C."""
    G = np.asarray(grads, dtype=np.float64)
    return (np.asarray(param, np.float64) - lr * _apply(coeff, G)).astype(np.asarray(param).dtype)


def sgd_closed(param, grads, lr):
    """w_k = w_0 - lr sum_{s<=k} g_s."""
    k = len(grads)
    return linear_closed(param, grads, lr, np.tril(np.ones((k, k))))


def momentum_closed(param, grads, lr, momentum, form="book"):
    """w_k = w_0 - lr sum_{s<=k} g_s (1 + mu + ... + mu^(k-s)) (both forms)."""
    k = len(grads)
    t = np.arange(k)
    n = t[:, None] - t[None, :] + 1
    return linear_closed(param, grads, lr, np.where(n > 0, _geom(np.maximum(n, 0), momentum), 0.0))


def nesterov_closed(param, grads, lr, momentum, form="pytorch"):
    """pytorch = cs231n: w_k = w_0 - lr sum_s g_s (1 + mu + ... + mu^(k-s+1));
    book: w_k = w_0 - lr sum_s g_s ((1 + mu) + mu^2 (1 + mu + ... + mu^(k-s)))."""
    k = len(grads)
    t = np.arange(k)
    n = t[:, None] - t[None, :] + 1
    geo = _geom(np.maximum(n, 0), momentum)
    c = (1 + momentum * geo) if form in ("pytorch", "cs231n") else (1 + momentum + momentum ** 2 * geo)
    return linear_closed(param, grads, lr, np.where(n > 0, c, 0.0))


def _adaptive_closed(param, lr, step):
    return (np.asarray(param, np.float64) - lr * np.cumsum(step, axis=0)).astype(np.asarray(param).dtype)


def adagrad_closed(param, grads, lr, eps, eps_placement="outside"):
    """h_t = sum_{s<=t} g_s^2 (a cumulative sum);  w_k = w_0 - lr sum_{t<=k} g_t / (sqrt(h_t) + eps)."""
    G = np.asarray(grads, np.float64)
    h = np.cumsum(G * G, axis=0)
    denom = np.sqrt(h) + eps if eps_placement == "outside" else np.sqrt(h + eps)
    return _adaptive_closed(param, lr, G / denom)


def rmsprop_closed(param, grads, lr, decay_rate, eps, eps_placement="outside"):
    """h_t = (1 - rho) sum_{s<=t} rho^(t-s) g_s^2;  w_k = w_0 - lr sum_{t<=k} g_t / (sqrt(h_t) + eps)."""
    G = np.asarray(grads, np.float64)
    h = (1 - decay_rate) * _apply(_powers(len(G), decay_rate), G * G)
    denom = np.sqrt(h) + eps if eps_placement == "outside" else np.sqrt(h + eps)
    return _adaptive_closed(param, lr, G / denom)


def adam_closed(param, grads, lr, beta1, beta2, eps, form="textbook"):
    """m_t = (1 - b1) sum_{s<=t} b1^(t-s) g_s, v_t = (1 - b2) sum_{s<=t} b2^(t-s) g_s^2;
    w_k = w_0 - lr sum_{t<=k} m_hat_t / (sqrt(v_hat_t) + eps') with eps' = eps (textbook) or
    eps / sqrt(1 - b2^t) (lr_t)."""
    G = np.asarray(grads, np.float64)
    t = np.arange(1, len(G) + 1).reshape((-1,) + (1,) * (G.ndim - 1))
    c1, c2 = 1 - beta1 ** t, 1 - beta2 ** t
    m = (1 - beta1) * _apply(_powers(len(G), beta1), G)
    v = (1 - beta2) * _apply(_powers(len(G), beta2), G * G)
    e = eps if form == "textbook" else eps / np.sqrt(c2)
    return _adaptive_closed(param, lr, (m / c1) / (np.sqrt(v / c2) + e))
