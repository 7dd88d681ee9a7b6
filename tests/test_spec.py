"""Every component::property of the specification, on every backend and dtype: the reference is
self-consistent (finite differences, purity, dtype, batch independence, specific properties) and the
PyTorch counterpart agrees with it (CPU always, CUDA when a GPU is present)."""
import pytest
import torch

from spec_nn.impl import make_impl
from spec_nn.registry import COMPONENTS
from spec_nn.runner import applicable, check_property

BACKENDS = ["reference", "torch-cpu"]
DTYPES = ["float64", "float32"]


def _params():
    for c in COMPONENTS.values():
        for p in c.property_names:
            for b in BACKENDS:
                if b.startswith("torch") and c.torch is None:
                    continue
                if not applicable(c, p, b):
                    continue
                for dt in DTYPES:
                    yield pytest.param(c.name, p, b, dt, id=f"{c.name}::{p}[{b}-{dt}]")


@pytest.mark.parametrize("name,prop,backend,dtype", list(_params()))
def test_property(name, prop, backend, dtype):
    c = COMPONENTS[name]
    v = check_property(c, prop, make_impl(c, backend), dtype=dtype)
    assert v.status == "pass", f"{v.id} [{backend}-{dtype}] {v.status}: {v.message}\nexample: {v.example!r}\n{v.repro}"


CUDA_REASON = "no GPU here: torch.cuda.is_available() is False, CUDA parity not checked"


@pytest.mark.skipif(not torch.cuda.is_available(), reason=CUDA_REASON)
@pytest.mark.parametrize("name", [n for n, c in COMPONENTS.items() if c.torch is not None])
@pytest.mark.parametrize("dtype", DTYPES)
def test_cuda_matches_reference_and_cpu(name, dtype):
    """CUDA: float64 parity with the reference, float32 with TF32 off; CPU-vs-CUDA agreement follows
    because both are held to the same reference with the same tolerance table."""
    c = COMPONENTS[name]
    for p in c.property_names:
        v = check_property(c, p, make_impl(c, "torch-cuda"), dtype=dtype)
        assert v.status in ("pass", "n/a"), f"{v.id} [torch-cuda-{dtype}]: {v.message}\n{v.example!r}"


@pytest.mark.skipif(not torch.cuda.is_available(), reason=CUDA_REASON)
@pytest.mark.parametrize("name", [n for n, c in COMPONENTS.items() if c.torch is not None and c.kind != "initializer"])
def test_cpu_and_cuda_agree(name):
    """The same drawn cases give the same outputs on CPU and CUDA (float32, TF32 off)."""
    from hypothesis import given, settings
    from spec_nn.tolerance import assert_close, tolerance
    c = COMPONENTS[name]
    cpu, cuda = make_impl(c, "torch-cpu"), make_impl(c, "torch-cuda")

    @settings(max_examples=10, database=None, deadline=None)
    @given(c.cases(dtype="float32"))
    def run(case):
        a, b = cpu.forward(case.copy()), cuda.forward(case.copy())
        rtol, atol = tolerance(c, "float32", "forward")
        for k in a:
            assert_close(b[k], a[k], rtol=rtol, atol=atol, name=k, where=f"{name} CUDA vs CPU")
    run()
