"""spec_nn: an executable specification of neural-network building blocks.

One declarative record per component (spec_nn.specs) drives every generic check (spec_nn.checks);
pytest, the grader and the conformance runner are thin drivers over spec_nn.runner.check_property.
"""
from .errors import ImplError, InvalidArgument, SpecViolation
from .record import Case, Component, Convention, Property
from .runner import Verdict, check_case, check_property

__all__ = ["Case", "Component", "Convention", "Property", "SpecViolation", "ImplError", "InvalidArgument",
           "Verdict", "check_case", "check_property"]
__version__ = "0.1.0"
