"""The Android device against a simulated phone behind a loopback adb server, through the
unmodified pure-python-adb client."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screenpilot.devices.adb import AdbError
from screenpilot.devices.android import AndroidDevice, AndroidError, _decode_png
from screenpilot.perception.geometry import ScreenPoint
from screenpilot.sim.adb_server import FakeAdbServer
from screenpilot.sim.phone import SimulatedPhone
from screenpilot.sim.phone_apps import ADB_KEYBOARD, LATIN_IME, NOTES


@pytest.fixture
def phone() -> SimulatedPhone:
    return SimulatedPhone()


@pytest.fixture
def server(phone: SimulatedPhone) -> Iterator[FakeAdbServer]:
    with FakeAdbServer([phone]) as srv:
        yield srv


@pytest.fixture
def device(server: FakeAdbServer) -> AndroidDevice:
    return AndroidDevice(port=server.port, timeout=5)


def focus_note(device: AndroidDevice, phone: SimulatedPhone) -> None:
    device.open_app(NOTES)
    device.click(ScreenPoint(x=540, y=580))
    assert phone.focus == "note"


# ---------------------------------------------------------------- connecting
def test_the_real_client_lists_and_chooses_the_device(
    device: AndroidDevice, server: FakeAdbServer
) -> None:
    assert device.serial == "emulator-5554"
    assert "host:devices" in server.requests
    assert device.geometry.screen.width == 1080 and device.geometry.screen.height == 2400


@pytest.mark.integration
def test_several_devices_without_a_serial_is_an_error_that_lists_them() -> None:
    with FakeAdbServer([SimulatedPhone(serial="A1"), SimulatedPhone(serial="B2")]) as srv:
        with pytest.raises(AndroidError, match=r"several devices .*A1 \(device\), B2 \(device\)"):
            AndroidDevice(port=srv.port)
        assert AndroidDevice("B2", port=srv.port).serial == "B2"
        with pytest.raises(AndroidError, match="no device 'C3'"):
            AndroidDevice("C3", port=srv.port)


@pytest.mark.parametrize(
    ("state", "message"), [("unauthorized", "Allow USB debugging"), ("offline", "is offline")]
)
def test_unauthorized_and_offline_devices_say_what_to_do(
    server: FakeAdbServer, state: str, message: str
) -> None:
    server.state["emulator-5554"] = state
    with pytest.raises(AndroidError, match=message):
        AndroidDevice(port=server.port)


@pytest.mark.integration
def test_no_server_and_no_device_are_clear_errors() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    with pytest.raises(AdbError, match=f"no adb server on 127.0.0.1:{free_port}.*adb start-server"):
        AndroidDevice(port=free_port)
    with FakeAdbServer([]) as srv, pytest.raises(AndroidError, match="no device on adb"):
        AndroidDevice(port=srv.port)


def test_a_device_unplugged_mid_run_is_a_clear_error(
    device: AndroidDevice, server: FakeAdbServer
) -> None:
    device.screenshot()
    server.unplug("emulator-5554")
    with pytest.raises(AdbError, match="emulator-5554 is not connected"):
        device.screenshot()


def test_a_hung_device_times_out_instead_of_hanging(server: FakeAdbServer) -> None:
    device = AndroidDevice(port=server.port, timeout=1)
    server.hanging.add("emulator-5554")
    start = time.monotonic()
    with pytest.raises(AdbError, match="did not answer within 1 s"):
        device.screenshot()
    assert time.monotonic() - start < 5


# ---------------------------------------------------------------- seeing
def test_png_and_raw_screenshots_agree(device: AndroidDevice, server: FakeAdbServer) -> None:
    png = device.screenshot()
    device.raw_screencap = True
    raw = device.screenshot()
    assert png.pixels.shape == raw.pixels.shape == (2400, 1080, 3)
    assert np.array_equal(png.pixels, raw.pixels)
    assert "exec:screencap -p" in server.requests and "exec:screencap" in server.requests


def test_damaged_and_corrupt_screenshots_are_refused() -> None:
    with pytest.raises(AndroidError, match="CRLF"):
        _decode_png(b"\x89PNG\r\r\n\x1a\r\n" + b"rest")
    with pytest.raises(AndroidError, match="corrupt"):
        _decode_png(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    with pytest.raises(AndroidError, match="did not return a PNG: 'error: no display'"):
        _decode_png(b"error: no display\n")


def test_ui_dump_becomes_elements(device: AndroidDevice) -> None:
    elements = device.elements()
    entries = {e.name: e for e in elements if e.role == "entry"}
    assert set(entries) == {"username", "password"}
    assert "password" in entries["password"].states
    assert any(e.role == "button" and e.name == "Sign in" for e in elements)
    # the tree stops above the navigation bar, which the screenshot still shows
    assert max(e.box.y2 for e in elements) < 2400 - 126


def test_a_flaky_dump_is_retried_and_a_broken_one_gives_up_empty(
    phone: SimulatedPhone, device: AndroidDevice
) -> None:
    phone.flaky_dumps = 2
    assert device.elements()
    phone.flaky_dumps = 10
    assert device.elements() == []  # bounded: three tries, then OCR must do


def test_wm_size_override_is_the_touch_frame(phone: SimulatedPhone, server: FakeAdbServer) -> None:
    phone.override = (720, 1600)
    device = AndroidDevice(port=server.port)
    assert (device.geometry.screen.width, device.geometry.screen.height) == (720, 1600)
    assert device.screenshot().pixels.shape == (1600, 720, 3)
    sign_in = next(e for e in device.elements() if e.name == "Sign in")
    assert sign_in.box.x2 < 720
    device.click(ScreenPoint(x=360, y=380))  # the username field, in override coordinates
    assert phone.focus == "username"


# ---------------------------------------------------------------- text
METACHARACTERS = "a b;c && d | e > f $(reboot) `id` $HOME %s 'q' \"dq\" \\ * ? # ~x %"


def test_text_with_shell_metacharacters_arrives_literally(
    device: AndroidDevice, phone: SimulatedPhone
) -> None:
    focus_note(device, phone)
    device.type_text(METACHARACTERS + "\nsecond line\tend")
    assert phone.fields["note"] == METACHARACTERS + "\nsecond line\tend"
    assert phone.interpreted == []


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=st.text(
        st.characters(min_codepoint=32, max_codepoint=126) | st.sampled_from("\n\t"),
        min_size=1,
        max_size=40,
    )
)
def test_any_ascii_text_arrives_exactly(
    device: AndroidDevice, phone: SimulatedPhone, text: str
) -> None:
    phone.fields["note"] = ""
    phone.stack[-1:] = [NOTES]
    phone.focus = "note"
    device.type_text(text)
    assert phone.fields["note"] == text
    assert phone.interpreted == []


def test_unicode_goes_through_adb_keyboard_and_the_ime_is_restored(
    device: AndroidDevice, phone: SimulatedPhone
) -> None:
    focus_note(device, phone)
    device.type_text("Zoë 北京")
    assert phone.fields["note"] == "Zoë 北京"
    assert phone.ime == LATIN_IME
    assert f"ime set {ADB_KEYBOARD}" in phone.commands
    assert not any(c.startswith("input text") for c in phone.commands)


def test_unicode_without_adb_keyboard_says_how_to_enable_it(
    server: FakeAdbServer, phone: SimulatedPhone
) -> None:
    phone.adb_keyboard_installed = False
    device = AndroidDevice(port=server.port)
    with pytest.raises(AndroidError, match=r"ADBKeyBoard.*ime enable"):
        device.type_text("北京")


def test_input_text_crashes_on_non_ascii_as_a_phone_does(phone: SimulatedPhone) -> None:
    assert b"NullPointerException" in phone.handle("shell:input text 'é'")


def test_bad_input_is_refused(device: AndroidDevice) -> None:
    with pytest.raises(AndroidError, match="control characters"):
        device.type_text("a\x1bb")
    with pytest.raises(AndroidError, match="not an Android package name"):
        device.open_app("settings; reboot")
    with pytest.raises(AndroidError, match="no launchable activity"):
        device.open_app("com.example.missing")
    with pytest.raises(AndroidError, match="off the 1080x2400 screen"):
        device.click(ScreenPoint(x=2000, y=10))


def test_a_malformed_dump_is_retried_then_left_to_ocr(
    device: AndroidDevice, phone: SimulatedPhone, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(phone, "ui_dump", lambda: "<hierarchy><node bounds='[0,0][9,9]'>")
    assert device.elements() == []
    assert phone.commands.count("uiautomator dump /dev/tty") == 3


def test_the_real_adb_client_talks_to_the_fake_server(
    server: FakeAdbServer, phone: SimulatedPhone
) -> None:
    """Debian's adb 1.0.41 command-line client, unmodified, against the same server."""
    base = ["adb", "-H", "127.0.0.1", "-P", str(server.port)]

    def adb(*args: str) -> bytes:
        done = subprocess.run([*base, *args], capture_output=True, timeout=20, check=True)
        return done.stdout

    assert adb("devices") == b"List of devices attached\nemulator-5554\tdevice\n\n"
    assert adb("-s", "emulator-5554", "shell", "wm", "size") == b"Physical size: 1080x2400\n"
    adb("-s", "emulator-5554", "shell", "input", "tap", "540", "570")
    adb("-s", "emulator-5554", "shell", "input text 'a b;c'")
    assert phone.fields["username"] == "a b;c" and phone.interpreted == []
    assert adb("-s", "emulator-5554", "exec-out", "screencap", "-p").startswith(
        b"\x89PNG\r\n\x1a\n"
    )
    assert "host:tport:serial:emulator-5554" in server.requests
