"""Test-wide settings."""

from hypothesis import settings

# Property tests judge correctness, not speed: a loaded CI machine must not fail them on
# Hypothesis's per-example deadline. Speed lives in bench/.
settings.register_profile("screenpilot", deadline=None, print_blob=True)
settings.load_profile("screenpilot")
