"""The simulated phone's input hardware: `getevent` as a real phone prints it, streamed over
the loopback adb server, and a person whose touches act on the phone as touches do."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from screenpilot.devices.adb import AdbError
from screenpilot.devices.android import AndroidDevice
from screenpilot.perception.geometry import ScreenPoint
from screenpilot.recording.adb_stream import AdbStream
from screenpilot.recording.events import InputEvent, KeyPress, Motion, Press, Release
from screenpilot.recording.getevent import (
    ScreenMapping,
    TouchDecoder,
    find_touchscreen,
    parse_devices,
    parse_event,
)
from screenpilot.sim.adb_server import FakeAdbServer
from screenpilot.sim.phone import SimulatedPhone
from screenpilot.sim.phone_apps import BANNER, LAUNCHER, LOGIN, SETTINGS


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


class Lines:
    """A getevent stream read in the background, its lines kept."""

    def __init__(self, server: FakeAdbServer, command: str = "getevent -lt") -> None:
        self.stream = AdbStream("127.0.0.1", server.port, "emulator-5554", command, timeout=5)
        self.lines: list[str] = []
        self.ended = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        for line in self.stream.lines():
            self.lines.append(line)
        self.ended.set()

    def events(self, count: int, timeout: float = 2.0) -> list[str]:
        """The event lines, once at least `count` have arrived."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            found = [line for line in self.lines if parse_event(line) is not None]
            if len(found) >= count:
                return found
            time.sleep(0.01)
        raise AssertionError(f"only {len(found)} of {count} events came: {self.lines}")

    def close(self) -> None:
        self.stream.close()
        self._thread.join(timeout=5)


@pytest.fixture
def getevent(server: FakeAdbServer, phone: SimulatedPhone) -> Iterator[Lines]:
    lines = Lines(server)
    wait_for(lambda: phone.input_devices.open_streams == 1)
    yield lines
    lines.close()


def wait_for(condition: object, timeout: float = 2.0) -> None:
    assert callable(condition)
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError("timed out")
        time.sleep(0.01)


def decoded(device: AndroidDevice, lines: list[str]) -> list[InputEvent]:
    screen = find_touchscreen(parse_devices(device.shell("getevent -p")))
    decoder = TouchDecoder(screen, ScreenMapping.of(screen, (1080, 2400)))
    out: list[InputEvent] = []
    for line in lines:
        raw = parse_event(line)
        if raw is not None and raw.time is not None:
            out += decoder.feed(raw, raw.time)
    return out


# ---------------------------------------------------------------- getevent -p
def test_getevent_p_describes_the_devices_as_toolbox_prints_them(device: AndroidDevice) -> None:
    text = device.shell("getevent -p")
    assert text.startswith("add device 1: /dev/input/event2\n")
    assert '  name:     "fts_ts"\n' in text
    assert "    KEY (0001): 0145  014a \n" in text
    assert "    ABS (0003): 002f  : value 0, min 0, max 9, fuzz 0, flat 0, resolution 0\n" in text
    assert (
        "                0035  : value 0, min 0, max 4095, fuzz 0, flat 0, resolution 0\n" in text
    )
    assert (
        "                0036  : value 0, min 0, max 8191, fuzz 0, flat 0, resolution 0\n" in text
    )
    assert "  input props:\n    INPUT_PROP_DIRECT\n" in text
    devices = parse_devices(text)
    assert [d.path for d in devices] == [
        "/dev/input/event2",
        "/dev/input/event1",
        "/dev/input/event0",
    ]
    assert {"KEY_BACK", "KEY_HOMEPAGE", "KEY_APPSELECT", "KEY_ENTER"} <= devices[1].keys
    assert devices[2].name == "gpio-keys" and "KEY_POWER" in devices[2].keys


def test_getevent_p_with_labels_pads_each_label(device: AndroidDevice) -> None:
    text = device.shell("getevent -lp /dev/input/event1")
    assert text.splitlines()[:4] == [
        "add device 1: /dev/input/event1",
        '  name:     "qwerty2"',
        "  events:",
        "    KEY (0001): KEY_ENTER             KEY_MENU              KEY_BACK              "
        "KEY_HOMEPAGE         ",
    ]
    assert "ABS_MT_POSITION_X     : value 0, min 0, max 4095" in device.shell("getevent -lp")
    assert device.shell("getevent -p /dev/input/event9") == (
        "could not open /dev/input/event9, No such file or directory\n"
    )
    assert device.shell("getevent -z").startswith("getevent: invalid option -z\nUsage: getevent")


# ---------------------------------------------------------------- streaming
def test_a_tap_streams_type_b_frames_with_timestamps(
    phone: SimulatedPhone, getevent: Lines, device: AndroidDevice
) -> None:
    phone.person.tap(540, 570)
    lines = getevent.events(12)
    assert getevent.lines[:2] == ["add device 1: /dev/input/event2", '  name:     "fts_ts"']
    down, up = lines[:8], lines[8:12]
    assert all(line.startswith("[") and "] /dev/input/event2: " in line for line in lines)
    assert down[0].split("] ", 1)[1] == (
        "/dev/input/event2: EV_ABS       ABS_MT_TRACKING_ID   000001a3            "
    )
    assert "EV_ABS       ABS_MT_POSITION_X    00000800" in down[1]  # 540 px of 1080 -> 2048
    assert "EV_ABS       ABS_MT_POSITION_Y    00000799" in down[2]  # 570 px of 2400 -> 1945
    assert "EV_KEY       BTN_TOUCH            DOWN" in down[5]
    assert "EV_SYN       SYN_REPORT           00000000" in down[7]
    assert "ABS_MT_TRACKING_ID   ffffffff" in up[0] and "BTN_TOUCH            UP" in up[1]
    assert len({line[:17] for line in down}) == 1  # one frame, one timestamp
    events = decoded(device, lines)
    assert [type(e) for e in events] == [Press, Release]
    assert events[0].point == ScreenPoint(x=540.0, y=569.8)
    assert phone.focus == "username"  # and the tap tapped


def test_adb_input_is_not_seen_by_getevent_as_on_a_real_phone(
    phone: SimulatedPhone, getevent: Lines, device: AndroidDevice
) -> None:
    device.click(ScreenPoint(x=540, y=570))
    device.type_text("bob")
    device.system_button("back")
    phone.person.press("HOME")  # only this reaches the kernel
    lines = getevent.events(4)
    time.sleep(0.1)
    assert len([line for line in getevent.lines if parse_event(line)]) == 4
    assert "KEY_HOMEPAGE" in lines[0] and "/dev/input/event1:" in lines[0]
    assert phone.fields["username"] == "bob" and phone.stack[-1] == LAUNCHER
    assert decoded(device, lines) == [KeyPress(time=decoded(device, lines)[0].time, key="home")]


def test_a_swipe_scrolls_and_reports_only_the_axis_that_moved(
    phone: SimulatedPhone, getevent: Lines, device: AndroidDevice
) -> None:
    phone.stack.append(SETTINGS)
    phone.person.swipe(540, 1800, 540, 1000, seconds=0.04, steps=4)
    lines = getevent.events(8 + 4 * 2 + 4)
    moves = lines[8:16]
    assert all("ABS_MT_POSITION_Y" in m or "SYN_REPORT" in m for m in moves)
    events = decoded(device, lines)
    assert [type(e) for e in events] == [Press, Motion, Motion, Motion, Motion, Release]
    assert events[-1].point.y == pytest.approx(1000, abs=0.5)
    assert phone.scroll == 800


def test_a_still_finger_held_long_is_no_tap(phone: SimulatedPhone, getevent: Lines) -> None:
    phone.person.long_press(540, 570, seconds=0.55)
    getevent.events(12)
    assert phone.focus is None
    phone.person.tap(540, 570)
    assert phone.focus == "username"


def test_the_navigation_bar_buttons_answer_taps(phone: SimulatedPhone) -> None:
    phone.open_app(SETTINGS)
    phone.person.tap(270, 2340)  # Back
    assert phone.stack[-1] == LOGIN
    phone.person.tap(540, 2340)  # Home
    assert phone.stack[-1] == LAUNCHER
    phone.person.tap(810, 2340)  # Recents
    assert phone.recents


def test_typing_on_the_soft_keyboard_changes_the_field_and_sends_no_events(
    phone: SimulatedPhone, getevent: Lines
) -> None:
    phone.person.tap(540, 850)
    phone.person.types("pa55")
    phone.person.press("ENTER")
    getevent.events(12 + 4)
    time.sleep(0.1)
    assert len([line for line in getevent.lines if parse_event(line)]) == 16
    assert phone.fields["password"] == "pa55"
    assert not any("pa55" in line for line in getevent.lines)


def test_closing_the_stream_stops_getevent_on_the_phone(
    phone: SimulatedPhone, server: FakeAdbServer
) -> None:
    lines = Lines(server)
    wait_for(lambda: phone.input_devices.open_streams == 1)
    lines.close()
    wait_for(lambda: phone.input_devices.open_streams == 0)
    phone.person.tap(540, 570)  # no one listens; nothing breaks
    assert phone.focus == "username"


def test_a_counted_getevent_exits_and_an_unplugged_phone_ends_the_stream(
    phone: SimulatedPhone, server: FakeAdbServer
) -> None:
    counted = Lines(server, "getevent -c 3 /dev/input/event2")
    wait_for(lambda: phone.input_devices.open_streams == 1)
    phone.person.tap(540, 570)
    assert counted.ended.wait(2)
    assert counted.lines == ["0003 0039 000001a3", "0003 0035 00000800", "0003 0036 00000799"]
    endless = Lines(server)
    wait_for(lambda: phone.input_devices.open_streams == 1)
    server.unplug(phone.serial)
    assert endless.ended.wait(2)
    wait_for(lambda: phone.input_devices.open_streams == 0)
    with pytest.raises(AdbError, match="not found"):
        AdbStream("127.0.0.1", server.port, phone.serial, "getevent -lt", timeout=2)


def test_an_old_pty_ends_the_streamed_lines_in_crlf(
    phone: SimulatedPhone, server: FakeAdbServer
) -> None:
    phone.pty_crlf = True
    stream = AdbStream("127.0.0.1", server.port, phone.serial, "getevent -l", timeout=2)
    try:
        wait_for(lambda: phone.input_devices.open_streams == 1)
        phone.person.press("BACK")
        raw = b""
        while raw.count(b"\n") < 10:
            raw += stream._sock.recv(4096)
        assert b"EV_KEY       KEY_BACK             DOWN                \r\n" in raw
    finally:
        stream.close()


# ---------------------------------------------------------------- the login screen
def test_a_banner_pushes_the_login_form_down(phone: SimulatedPhone) -> None:
    before = {n.rid: n.bounds for n in phone.nodes() if n.rid}
    phone.banner = "Your session expired. Sign in again."
    after = {n.rid: n.bounds for n in phone.nodes() if n.rid}
    for rid, (left, top, right, bottom) in before.items():
        assert after[rid] == (left, top + BANNER, right, bottom + BANNER)
    assert "Your session expired" in phone.ui_dump()
    phone.person.tap(540, 850)  # where the password field was: now the username field
    assert phone.focus == "username"
