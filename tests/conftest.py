"""Shared test configuration: hypothesis profiles picked by PERFKIT_HYPOTHESIS_PROFILE.

``ci`` (the default) keeps the suite fast and deterministic; ``dev`` runs many
more examples for local hunting, e.g. ``PERFKIT_HYPOTHESIS_PROFILE=dev pytest``.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=100,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "dev",
    max_examples=2000,
    deadline=None,
    print_blob=True,
)
settings.load_profile(os.environ.get("PERFKIT_HYPOTHESIS_PROFILE", "ci"))
