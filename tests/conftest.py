"""Hypothesis profiles: ``dev`` (fast, the default) and ``ci`` (many more examples).

Select with ``HYPOTHESIS_PROFILE=ci`` (``.ci/run`` does).
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=25, deadline=None)
settings.register_profile(
    "ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
