"""The book dialect's own behaviour ("Deep Learning from Scratch" 1 and 2), as registered builders.

The dialect itself is data: spec_nn/dialects/book.toml (read by spec_nn/dialect.py).  What is left here cannot
sensibly be data, and an entry names it with ``adapter = "book.NAME"`` (a course's copied manifest can too):

* ``book.batch_norm``: ``BatchNormalization(gamma, beta[, momentum, running_mean, running_var])``, the running
  statistics read back from the layer; the book defines backward after a training forward only, so the
  eval-mode gradient is derived from the eval forward (affine in x, gamma and beta);
* ``book.dropout``: ``Dropout(ratio)``, ``forward(x, train_flg)``; the eval-mode backward is the eval forward
  of dout (linear in x);
* ``book.rows_function`` (``fn``, ``mod``): a row-wise function of book 2 (softmax: 2-D rows by design) called on
  x reshaped to rows and back; in a book 1 tree the function itself on N-D x (its edition is read from the tree).

Runs inside the sandbox worker like spec_nn/adapters.py.
"""
from __future__ import annotations


import numpy as np

from .adapters import Adapter, CaseView, arr, as_dict_grads, dropout_ratio, is_train, train_keyword
from .dialect import grads_of


def call_forward(layer, *args, train=None):
    """``layer.forward(*args, train_flg=train)`` under whichever name the layer gives the flag; else the one
    boolean-defaulted parameter after ``args``; else ``forward(*args)``."""
    f = layer.forward
    flag = train_keyword(f, after=len(args)) if train is not None else ""
    return f(*args, **{flag: train}) if flag else f(*args)


def _bn_layer(sub, c):
    rm = c.first("running_mean", default=None)
    rv = c.first("running_var", default=None)
    kwargs = {}
    if rm is not None:
        kwargs["running_mean"] = np.array(rm, copy=True)
    if rv is not None:
        kwargs["running_var"] = np.array(rv, copy=True)
    mom = c.first("momentum", default=None)
    if mom is not None:
        kwargs["momentum"] = mom
    return sub.attr("layers", "BatchNormalization")(c["gamma"], c["beta"], **kwargs)


def book_batchnorm():
    def forward(sub, c, o):
        layer = _bn_layer(sub, c)
        out = arr(call_forward(layer, c["x"], train=is_train(c)), "BatchNormalization.forward")
        res = {"out": out}
        if getattr(layer, "running_mean", None) is not None:
            res["running_mean"] = arr(layer.running_mean, "BatchNormalization.running_mean")
            res["running_var"] = arr(layer.running_var, "BatchNormalization.running_var")
        return res

    def backward(sub, c, dout, o):
        if not is_train(c):  # the book defines backward after a training forward only: derive it from
            x = c["x"]     # the eval forward, which is affine in x, gamma and beta
            f = lambda z, g, b: arr(call_forward(_bn_layer(sub, CaseView({**c.arrays, "x": z, "gamma": g, "beta": b},
                                                                          c.consts, c.hp)), z, train=False),
                                     "BatchNormalization.forward")
            g, b = c["gamma"], c["beta"]
            dx = f(dout, g, np.zeros_like(b)) - f(np.zeros_like(x), g, np.zeros_like(b))
            xn = f(x, np.ones_like(g), np.zeros_like(b))
            return as_dict_grads(c, [("x", dx.astype(x.dtype)), ("gamma", np.sum(dout * xn, axis=0)),
                                     ("beta", np.sum(dout, axis=0))])
        layer = _bn_layer(sub, c)
        call_forward(layer, c["x"], train=is_train(c))
        dx = arr(layer.backward(dout), "BatchNormalization.backward")
        res = {"x": dx}
        res.update(grads_of(layer, [("gamma", ("dgamma",)), ("beta", ("dbeta",))], "grads"))
        return as_dict_grads(c, res.items())
    return Adapter(forward, backward, needs=("layers.BatchNormalization",), api="common.layers.BatchNormalization")


def book_dropout():
    def make(sub, c):
        return sub.attr("layers", "Dropout")(dropout_ratio(c))

    def forward(sub, c, o):
        layer = make(sub, c)
        return {"out": arr(call_forward(layer, c["x"], train=is_train(c)), "Dropout.forward")}

    def backward(sub, c, dout, o):
        if not is_train(c):  # the book defines backward after a training forward only; eval is linear in x
            return {"x": arr(call_forward(make(sub, c), dout, train=False), "Dropout.forward (eval)")}
        layer = make(sub, c)
        call_forward(layer, c["x"], train=is_train(c))
        return {"x": arr(layer.backward(dout), "Dropout.backward")}
    return Adapter(forward, backward, needs=("layers.Dropout",), api="common.layers.Dropout")


def edition_of(root: str) -> int:
    """2 for a "Deep Learning from Scratch 2" tree (its common/layers.py keeps ``self.params, self.grads``
    lists), else 1.  Book 2's functions are 2-D by design where book 1's later printings are N-D (softmax over
    the last axis): the dialect draws what the edition's API supports."""
    import os
    import re
    try:
        with open(os.path.join(root, "common", "layers.py"), encoding="utf-8", errors="replace") as f:
            text = f.read(400_000)
    except OSError:
        return 1
    return 2 if re.search(r"self\.params\s*,\s*self\.grads\s*=|self\.grads\s*=\s*\[", text) else 1


def book_edition(sub) -> int:
    """:func:`edition_of` the loaded submission, computed once."""
    if "_book_edition" not in sub.__dict__:
        sub.__dict__["_book_edition"] = edition_of(sub.root)
    return sub.__dict__["_book_edition"]


def book_rows_function(dialect, fn, mod="functions"):
    """A row-wise function of book 2 called on the case's x reshaped to rows (N*, C) and reshaped back; in a
    book 1 tree the function itself on N-D x (last axis)."""
    from .dialect import find_function, function, function_names
    entry = {"forward": f"{mod}:{fn}"}
    plain = function(dialect, entry)
    names = function_names(dialect, entry, fn)

    def forward(sub, c, o):
        if book_edition(sub) == 1:
            return plain.forward(sub, None, c, o)
        x = c["x"]
        name, f = find_function(sub, mod, names)
        y = arr(f(x.reshape(-1, x.shape[-1]) if x.ndim > 2 else x), name or fn)
        return {"out": y.reshape(x.shape) if x.ndim > 2 and y.size == x.size else y}
    api = lambda sub: plain.api(sub) + (" (book 2: 2-D rows)" if book_edition(sub) == 2 else "")
    return Adapter(forward, needs=plain.needs, api=api)


# The builders ``adapter = "book.NAME"`` names (spec_nn/dialect.py).
ESCAPES = {"batch_norm": book_batchnorm, "dropout": book_dropout, "rows_function": book_rows_function}
