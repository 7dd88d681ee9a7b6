"""Implementations under test.  An :class:`Impl` wraps one component of one backend:

* ``ReferenceImpl``: the NumPy reference of the record (a fixed convention variant).
* ``TorchImpl``: the PyTorch counterpart, on CPU or CUDA, gradients by autograd.
* the grader's submission proxies (spec_nn.grade) and the test corpus's mutants.

``forward(case)`` returns a dict of named outputs ("out" first); ``backward(case, dout)`` returns a
dict of gradients keyed like ``case.arrays``.  Both operate on the arrays they are given, so a check
can see whether an implementation mutated them.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from .errors import ImplError
from .record import Case, Component, outputs


class Impl:
    backend = "impl"

    def __init__(self, component: Component):
        self.component = component

    @property
    def has_backward(self) -> bool:
        return self.component.backward is not None

    def forward(self, case: Case) -> dict:
        raise NotImplementedError

    def backward(self, case: Case, dout) -> dict:
        raise NotImplementedError

    def repro(self, prop: str, case: Case) -> str:
        """A copy-paste snippet that re-runs the failing check on the minimal example."""
        known = self.backend in ("reference", "torch-cpu", "torch-cuda")
        target = repr(self.backend) if known else "impl"
        setup = getattr(self, "repro_setup", "")  # code that defines impl (e.g. a mutant of the test corpus)
        where = "" if known or setup else \
            "\n# impl: the implementation under test, an Impl (e.g. FunctionImpl(get(name), fwd, bwd))"
        return (
            "import numpy as np\n"
            "from spec_nn import Case, check_case\n"
            + (setup.rstrip("\n") + "\n" if setup and not known else "") +
            f"case = {case.code()}{where}\n"
            f"check_case({self.component.name!r}, {prop!r}, {target}, case)  # raises SpecViolation\n"
        )


class FunctionImpl(Impl):
    """An implementation given as two plain functions with the reference's signatures
    ``forward(case) -> out | dict`` and ``backward(case, dout) -> dict`` (used for mutants)."""

    def __init__(self, component: Component, forward: Callable, backward: Callable | None = None,
                 backend: str = "function"):
        super().__init__(component)
        self._forward, self._backward, self.backend = forward, backward, backend

    @property
    def has_backward(self) -> bool:
        return self._backward is not None

    def forward(self, case):
        return outputs(self._forward(case))

    def backward(self, case, dout):
        return dict(self._backward(case, dout))


class ReferenceImpl(Impl):
    backend = "reference"

    def __init__(self, component: Component, variant: dict | None = None):
        super().__init__(component)
        self.variant = {**component.default_variants, **(variant or {})}

    def forward(self, case):
        return outputs(self.component.forward(case, self.variant))

    def backward(self, case, dout):
        return dict(self.component.backward(case, dout, self.variant))


def torch_devices() -> list[str]:
    """"cpu", plus "cuda" when a GPU is present."""
    import torch
    return ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


class TorchImpl(Impl):
    """The PyTorch counterpart.  Float64 parity is exact to the table; float32 runs with TF32
    disabled so that CUDA matmuls and convolutions are true float32."""

    def __init__(self, component: Component, device: str = "cpu", variant: dict | None = None):
        super().__init__(component)
        import torch
        if component.torch is None:
            raise ImplError(f"{component.name} has no PyTorch counterpart", kind="missing")
        if device.startswith("cuda") and not torch.cuda.is_available():
            raise ImplError("CUDA requested but torch.cuda.is_available() is False", kind="missing")
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        self.torch, self.device = torch, device
        self.backend = f"torch-{device.split(':')[0]}"
        self.variant = {**component.default_variants, **(variant or {})}

    def _tensors(self, case: Case, grad: bool) -> dict:
        t = {}
        for k, v in case.arrays.items():
            t[k] = self.torch.tensor(v, device=self.device, requires_grad=grad)
        for k, v in case.consts.items():
            t[k] = self.torch.tensor(v, device=self.device) if isinstance(v, np.ndarray) else v
        return t

    def _numpy(self, v):
        if isinstance(v, self.torch.Tensor):
            return v.detach().cpu().numpy()
        return np.asarray(v)

    def forward(self, case):
        with self.torch.no_grad():
            res = outputs(self.component.torch(self._tensors(case, False), case, self.variant))
        return {k: self._numpy(v) for k, v in res.items()}

    def backward(self, case, dout):
        t = self._tensors(case, True)
        out = outputs(self.component.torch(t, case, self.variant))["out"]
        out.backward(self.torch.as_tensor(np.asarray(dout), dtype=out.dtype, device=self.device).reshape(out.shape))
        return {k: (self._numpy(t[k].grad) if t[k].grad is not None else np.zeros_like(case.arrays[k]))
                for k in case.arrays}


def make_impl(component: Component, backend: str) -> Impl:
    """"reference" | "torch" | "torch-cpu" | "torch-cuda" -> Impl."""
    if backend == "reference":
        return ReferenceImpl(component)
    if backend in ("torch", "torch-cpu"):
        return TorchImpl(component, "cpu")
    if backend == "torch-cuda":
        return TorchImpl(component, "cuda")
    raise ValueError(f"backend={backend!r} is not one of reference, torch-cpu, torch-cuda")
