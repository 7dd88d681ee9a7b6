"""Hypothesis profiles: "fast" for development, "ci" derandomized, "thorough" on demand.

Chosen by ``--spec-nn-profile`` (pytest), ``--profile`` (CLI) or the ``SPEC_NN_PROFILE`` environment
variable; "fast" by default.
"""
from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

PROFILES = {
    # max_examples per component::property; shrinking stays on in every profile: the minimal
    # counterexample is the point of a failure report.
    "fast": dict(max_examples=15),
    "ci": dict(max_examples=25, derandomize=True),
    "thorough": dict(max_examples=300),
}

COMMON = dict(deadline=None, database=None, print_blob=False,
              suppress_health_check=list(HealthCheck),
              phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink))

for _name, _kw in PROFILES.items():
    settings.register_profile(f"spec_nn-{_name}", **COMMON, **_kw)


def current_profile(explicit: str | None = None) -> str:
    name = explicit or os.environ.get("SPEC_NN_PROFILE", "fast")
    if name not in PROFILES:
        raise ValueError(f"profile={name!r} is not one of {sorted(PROFILES)}")
    return name


def settings_for(profile: str | None = None, **overrides) -> settings:
    return settings(settings.get_profile(f"spec_nn-{current_profile(profile)}"), **overrides)
