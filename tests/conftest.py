"""Test-wide settings and the shared virtual desktop."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from screenpilot.devices.virtual_display import XSession, x_session

# Property tests judge correctness, not speed: a loaded CI machine must not fail them on
# Hypothesis's per-example deadline. Speed lives in bench/.
settings.register_profile("screenpilot", deadline=None, print_blob=True)
settings.load_profile("screenpilot")


@pytest.fixture(scope="session")
def xsession() -> Iterator[XSession]:
    """One private X desktop for all desktop tests; DISPLAY and the D-Bus address point at
    it while the tests run and are put back afterwards."""
    saved = {k: os.environ.get(k) for k in ("DISPLAY", "DBUS_SESSION_BUS_ADDRESS")}
    with x_session() as session:
        os.environ["DISPLAY"] = session.display
        os.environ["DBUS_SESSION_BUS_ADDRESS"] = session.env["DBUS_SESSION_BUS_ADDRESS"]
        try:
            yield session
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


@pytest.fixture(scope="session")
def tiny_qwen(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random Qwen3-VL checkpoint, built offline once per test session."""
    from screenpilot.models import tiny_qwen3vl

    return tiny_qwen3vl.build(tmp_path_factory.mktemp("tiny-qwen3vl"))
