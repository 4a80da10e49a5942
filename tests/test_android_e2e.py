"""End to end on the simulated phone: device + grounding (uiautomator, OCR when the tree is
empty) + executor + verification, checked against the phone's own final state."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from screenpilot.actions import parse_action
from screenpilot.actions.executor import Executor
from screenpilot.devices.android import AndroidDevice
from screenpilot.perception.ocr import ScreenReader
from screenpilot.sim.adb_server import FakeAdbServer
from screenpilot.sim.phone import SimulatedPhone
from screenpilot.sim.phone_apps import LATIN_IME, SETTING_NAMES


@pytest.fixture
def phone() -> SimulatedPhone:
    return SimulatedPhone()


@pytest.fixture
def executor(phone: SimulatedPhone, reader: ScreenReader) -> Iterator[Executor]:
    with FakeAdbServer([phone]) as server:
        yield Executor(AndroidDevice(port=server.port), reader=reader)


def run(executor: Executor, *steps: dict[str, object]) -> list[str]:
    return [r.verdict.reason for r in executor.run_all(parse_action(s) for s in steps)]


def test_log_in(executor: Executor, phone: SimulatedPhone) -> None:
    reasons = run(
        executor,
        {"type": "type", "text": "bob", "target": "the Username field"},
        {"type": "type", "text": "s3cret;$(reboot)", "target": "the Password field"},
        {"type": "click", "target": "the Sign in button"},
        {"type": "wait", "until_text": "Welcome, bob", "timeout": 5},
    )
    assert phone.logged_in_as == "bob"
    assert phone.fields["password"] == "s3cret;$(reboot)"
    assert phone.interpreted == []
    assert reasons[0] == "the field now holds 'bob'"  # read back from the UI tree


def test_swipe_to_a_setting_below_the_fold_and_toggle_it(
    executor: Executor, phone: SimulatedPhone
) -> None:
    last = SETTING_NAMES.index("Developer options")
    before = phone.switches[last]
    run(executor, {"type": "open_app", "app": "com.android.settings"})
    assert not any(e.name == "Developer options" for e in executor.device.elements())
    for _ in range(2):
        run(executor, {"type": "swipe", "direction": "up"})
    # At the end of the list another swipe moves nothing, and verification says so.
    assert not executor.run(parse_action({"type": "swipe", "direction": "up"})).ok
    run(executor, {"type": "click", "target": "the Developer options switch"})
    assert phone.switches[last] is (not before)
    assert phone.switches[:last] == SimulatedPhone().switches[:last]  # nothing else flipped


def test_notes_on_a_webview_are_found_by_ocr_and_typed_literally(
    executor: Executor, phone: SimulatedPhone
) -> None:
    run(executor, {"type": "open_app", "app": "com.example.notes"})
    assert executor.device.elements() == []  # a WebView: the tree holds nothing
    reasons = run(executor, {"type": "type", "text": "Zoë 北京", "target": "the Note field"})
    assert phone.fields["note"] == "Zoë 北京"
    assert reasons[0].startswith("OCR reads") and "北京" in reasons[0]
    assert phone.ime == LATIN_IME
    text = " ; echo $(id) `uname` %s 'x' \"y\" & done"
    run(executor, {"type": "type", "text": text})  # into the focused note
    assert phone.fields["note"] == "Zoë 北京" + text
    assert phone.interpreted == []
