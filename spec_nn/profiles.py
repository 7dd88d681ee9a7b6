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

COMMON = dict(deadline=None, database=None, print_blob=False, report_multiple_bugs=False,
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


def _pin_constant_pool() -> None:
    """Same submission, same seed: same verdicts.  Hypothesis (6.13x+) mixes literal constants harvested
    from every *local* module loaded so far into generation, so the examples drawn for a seed depend on
    which modules happen to be imported (the CLI, pytest and a plain script differ).  Freeze that pool at
    empty; the global constants Hypothesis ships still apply.  Guarded: internal API, may move."""
    try:
        from hypothesis.internal.conjecture import providers
        empty = providers.Constants()
        providers._get_local_constants = lambda: empty
    except Exception:  # noqa: BLE001 - an older/newer Hypothesis without the feature needs nothing
        pass


_pin_constant_pool()
