"""Test-wide settings and the shared virtual desktop."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from screenpilot.devices.virtual_display import XSession, pointed_at, x_session
from screenpilot.perception.ocr import ScreenReader
from tests.desktop_apps import start_tk_form

# Property tests judge correctness, not speed: a loaded CI machine must not fail them on
# Hypothesis's per-example deadline. Speed lives in bench/.
settings.register_profile("screenpilot", deadline=None, print_blob=True)
settings.load_profile("screenpilot")


#: Fixtures that bring up something real (an X server, OCR models, an adb socket, a model):
#: a test that uses one belongs to the integration tier, marked so without being told.
_REAL_FIXTURES = frozenset({"xsession", "reader", "tiny_qwen", "tk_form", "server"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _REAL_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def xsession() -> Iterator[XSession]:
    """One private X desktop for all desktop tests; DISPLAY and the D-Bus address point at
    it while the tests run and are put back afterwards."""
    with x_session() as session, pointed_at(session):
        yield session


@pytest.fixture(scope="module")
def reader() -> ScreenReader:
    """The OCR reader (its models load once per test module)."""
    from screenpilot.perception.ocr import RapidOcr

    return ScreenReader(RapidOcr())


@pytest.fixture
def tk_form(xsession: XSession, tmp_path: Path) -> Iterator[Path]:
    """The example Tk form on the test desktop; yields the file it writes on Submit."""
    out = tmp_path / "tk.json"
    app = start_tk_form(xsession, out)
    yield out
    xsession.stop(app)


@pytest.fixture(scope="session")
def tiny_qwen(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random Qwen3-VL checkpoint, built offline once per test session."""
    from screenpilot.sim import tiny_qwen3vl

    return tiny_qwen3vl.build(tmp_path_factory.mktemp("tiny-qwen3vl"))
