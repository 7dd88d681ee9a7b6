"""spec_nn: an executable specification of neural-network building blocks.

One declarative record per component (spec_nn.specs) drives every generic check (spec_nn.checks);
pytest, the grader and the conformance runner are thin drivers over spec_nn.runner.check_property.
"""
from .errors import ImplError, InvalidArgument, SpecViolation

# The heavier names are imported on first use (PEP 562), so that ``spec-nn`` starts quickly and can take
# Ctrl-C from its first moment (spec_nn.cli installs its handler before anything heavy is imported).
_LAZY = {"Case": "record", "Component": "record", "Convention": "record", "Property": "record",
         "Verdict": "runner", "check_case": "runner", "check_property": "runner"}


def __getattr__(name):
    if name in _LAZY:
        import importlib
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'spec_nn' has no attribute {name!r}")


__all__ = ["Case", "Component", "Convention", "Property", "SpecViolation", "ImplError", "InvalidArgument",
           "Verdict", "check_case", "check_property"]
__version__ = "0.1.0"
