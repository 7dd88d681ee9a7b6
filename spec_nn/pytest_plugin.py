"""pytest plugin (entry point ``spec_nn``): Hypothesis profile selection; submission grading options
are added by the grader."""
from __future__ import annotations

import os


def pytest_addoption(parser):
    group = parser.getgroup("spec_nn")
    group.addoption("--spec-nn-profile", choices=["fast", "ci", "thorough"], default=None,
                    help="Hypothesis profile for spec_nn checks (default: $SPEC_NN_PROFILE or fast)")


def pytest_configure(config):
    profile = config.getoption("--spec-nn-profile", None)
    if profile:
        os.environ["SPEC_NN_PROFILE"] = profile
