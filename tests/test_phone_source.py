"""PhoneSource against the simulated phone behind the loopback adb server: a person's
touches, keys and typing arrive as the recorder's events, with snapshots around them."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest

from screenpilot.devices.android import AndroidDevice
from screenpilot.perception.elements import Element
from screenpilot.perception.geometry import ScreenBox
from screenpilot.recording.events import (
    InputEvent,
    KeyPress,
    Motion,
    Press,
    Release,
    Snapshot,
    TextChanged,
)
from screenpilot.recording.getevent import GeteventError
from screenpilot.recording.phone_source import PhoneSource, text_changes
from screenpilot.sim.adb_server import FakeAdbServer
from screenpilot.sim.phone import SimulatedPhone
from screenpilot.sim.phone_apps import LOGIN, SETTINGS
from screenpilot.sim.phone_input import SIDE_KEYS, InputDevices

PASSWORD = "s3cr3t;$(id)"


class Collected:
    """A sink that keeps what it gets, in the order it got it."""

    def __init__(self) -> None:
        self.items: list[InputEvent | Snapshot] = []
        self._lock = threading.Lock()

    def event(self, event: InputEvent) -> None:
        with self._lock:
            self.items.append(event)

    def snapshot(self, snapshot: Snapshot) -> None:
        with self._lock:
            self.items.append(snapshot)

    def of(self, kind: type) -> list:
        with self._lock:
            return [i for i in self.items if isinstance(i, kind)]

    def until(self, condition: Callable[[], bool], timeout: float = 2.0) -> None:
        end = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < end, f"timed out; got {self.items}"
            time.sleep(0.01)


@pytest.fixture
def phone() -> SimulatedPhone:
    return SimulatedPhone()


@pytest.fixture
def server(phone: SimulatedPhone) -> Iterator[FakeAdbServer]:
    with FakeAdbServer([phone]) as srv:
        yield srv


@pytest.fixture
def recording(
    server: FakeAdbServer, phone: SimulatedPhone
) -> Iterator[tuple[PhoneSource, Collected]]:
    source = PhoneSource(AndroidDevice(port=server.port, timeout=5), poll=0.03, settle=0.05)
    sink = Collected()
    source.start(sink)
    yield source, sink
    source.stop()
    assert not source.running


def entry(snapshot: Snapshot, name: str) -> Element:
    return next(e for e in snapshot.observation.elements if e.role == "entry" and e.name == name)


def snapshot_before(sink: Collected, event: InputEvent) -> Snapshot:
    """The newest snapshot delivered before `event` and stamped before it."""
    index = sink.items.index(event)
    earlier = [i for i in sink.items[:index] if isinstance(i, Snapshot) and i.time < event.time]
    assert earlier, f"no snapshot before {event}"
    return earlier[-1]


def test_a_recorded_login_arrives_as_touches_text_changes_and_snapshots(
    recording: tuple[PhoneSource, Collected], phone: SimulatedPhone
) -> None:
    _, sink = recording
    first = sink.items[0]
    assert isinstance(first, Snapshot) and first.window == LOGIN  # at the start
    assert entry(first, "username").value == "Username"  # the hint, as uiautomator shows it
    person = phone.person
    person.tap(540, 570)
    person.types("bob")
    time.sleep(0.1)
    person.tap(540, 850)
    person.types(PASSWORD)
    person.tap(540, 1070)  # straight after typing: no poll in between
    sink.until(lambda: len(sink.of(Release)) == 3)
    assert phone.logged_in_as == "bob"

    presses = sink.of(Press)
    assert [(p.point.x, round(p.point.y)) for p in presses] == [(540, 570), (540, 850), (540, 1070)]
    assert all(p.button == "left" for p in presses)
    typed = sink.of(TextChanged)
    assert [(t.field.name, t.text) for t in typed] == [
        ("username", "bob"),
        ("password", "•" * len(PASSWORD)),
    ]
    # Each field as it was before: holding the hint / nothing.
    assert typed[0].field.value == "Username"
    assert typed[1].field.value == "" and "password" in typed[1].field.states
    # Typed text comes before the touch that ends it, in delivery and in time.
    for text, press in zip(typed, presses[1:], strict=True):
        assert sink.items.index(text) < sink.items.index(press) and text.time < press.time
    # Every press has the screen from just before it.
    assert entry(snapshot_before(sink, presses[0]), "username").value == "Username"
    assert entry(snapshot_before(sink, presses[1]), "username").value == "bob"
    # No time passed between typing the password and Sign in: the screen before it is the
    # last one polled. The dump that found the password typed came after the press (on a
    # phone it could show what the tap opened) and is stamped so.
    before_sign_in = snapshot_before(sink, presses[2])
    assert before_sign_in.window == LOGIN
    assert before_sign_in.observation.screenshot.pixels.shape == (2400, 1080, 3)
    button = next(e for e in before_sign_in.observation.elements if e.role == "button")
    assert button.name == "Sign in" and button.box.contains(presses[2].point)
    # The first screen showing the password typed is stamped no earlier than the text change
    # it showed: a dump the press asked for is stamped when it began (after the press), its
    # text change just before the press; a poll that came between typing and the press
    # (a loaded machine) stamps both alike.
    masked = next(s for s in sink.of(Snapshot) if entry(s, "password").value == "•" * len(PASSWORD))
    assert masked.time >= typed[1].time
    # The password itself is nowhere in what the recorder got.
    assert not any(PASSWORD in repr(item) for item in sink.items)
    for snapshot in sink.of(Snapshot):
        assert not any(
            PASSWORD in e.value or PASSWORD in e.name for e in snapshot.observation.elements
        )


def test_a_settled_gesture_gets_a_snapshot_of_its_result(
    recording: tuple[PhoneSource, Collected], phone: SimulatedPhone
) -> None:
    _, sink = recording
    phone.person.tap(540, 570)
    sink.until(lambda: bool(sink.of(Release)))
    lifted = sink.of(Release)[0].time
    sink.until(lambda: any(s.time > lifted for s in sink.of(Snapshot)))
    after = next(s for s in sink.of(Snapshot) if s.time > lifted)
    assert "focused" in entry(after, "username").states


def test_a_swipe_and_the_back_key(
    recording: tuple[PhoneSource, Collected], phone: SimulatedPhone
) -> None:
    _, sink = recording
    phone.open_app(SETTINGS)
    sink.until(lambda: any(s.window == SETTINGS for s in sink.of(Snapshot)))
    phone.person.swipe(540, 1800, 540, 1000, seconds=0.05, steps=5)
    phone.person.press("BACK")
    sink.until(lambda: bool(sink.of(KeyPress)) and sink.of(Snapshot)[-1].window == LOGIN)
    touches = [i for i in sink.items if isinstance(i, Press | Motion | Release | KeyPress)]
    assert [type(t) for t in touches] == [Press] + [Motion] * 5 + [Release, KeyPress]
    assert touches[0].point.y == pytest.approx(1800, abs=0.5)
    assert touches[6].point.y == pytest.approx(1000, abs=0.5)
    assert touches[-1].key == "back"
    assert [t.time for t in touches] == sorted(t.time for t in touches)
    assert touches[6].time - touches[0].time == pytest.approx(0.05, abs=0.04)
    assert phone.scroll == 800
    assert snapshot_before(sink, touches[0]).window == SETTINGS


def test_stop_ends_everything_and_closes_the_stream(
    server: FakeAdbServer, phone: SimulatedPhone
) -> None:
    source = PhoneSource(AndroidDevice(port=server.port, timeout=5), poll=0.03)
    sink = Collected()
    source.start(sink)
    assert source.running and phone.input_devices.open_streams == 1
    source.stop()
    source.stop()  # idempotent
    assert not source.running and source.failure is None
    end = time.monotonic() + 2
    while phone.input_devices.open_streams and time.monotonic() < end:
        time.sleep(0.01)
    assert phone.input_devices.open_streams == 0
    count = len(sink.items)
    phone.person.tap(540, 570)
    time.sleep(0.1)
    assert len(sink.items) == count


def test_an_unplugged_phone_stops_the_recording_and_says_why(
    recording: tuple[PhoneSource, Collected], server: FakeAdbServer, phone: SimulatedPhone
) -> None:
    source, sink = recording
    server.unplug(phone.serial)
    sink.until(lambda: not source.running)
    assert source.failure is not None and "getevent stream ended" in source.failure


def test_a_phone_without_a_touch_screen_cannot_be_recorded() -> None:
    phone = SimulatedPhone(input_devices=InputDevices((SIDE_KEYS,)))
    with FakeAdbServer([phone]) as server:
        source = PhoneSource(AndroidDevice(port=server.port, timeout=5))
        with pytest.raises(GeteventError, match="no touch screen"):
            source.start(Collected())
        assert not source.running and phone.input_devices.open_streams == 0


def test_failed_dumps_neither_lose_a_text_change_nor_flood_snapshots(
    recording: tuple[PhoneSource, Collected], phone: SimulatedPhone
) -> None:
    source, sink = recording
    phone.person.tap(540, 570)
    sink.until(lambda: "focused" in entry(sink.of(Snapshot)[-1], "username").states)
    source.refresh = 60.0
    phone.flaky_dumps = 10**6  # the UI is never idle for a while
    count = len(sink.of(Snapshot))
    phone.person.types("bob")
    time.sleep(0.3)
    assert len(sink.of(Snapshot)) == count and sink.of(TextChanged) == []
    phone.flaky_dumps = 0
    sink.until(lambda: bool(sink.of(TextChanged)))
    assert [(t.field.name, t.text) for t in sink.of(TextChanged)] == [("username", "bob")]


# ---------------------------------------------------------------- matching fields
def field(name: str, value: str, y: float, *states: str) -> Element:
    box = ScreenBox(x1=60, y1=y, x2=1020, y2=y + 140)
    return Element(id="", role="entry", name=name, value=value, states=frozenset(states),
                   box=box, source="uiautomator")  # fmt: skip


def test_fields_match_by_name_when_the_keyboard_pushed_them_up() -> None:
    before = [field("username", "", 1500, "focused"), field("password", "", 1700)]
    after = [field("username", "bob", 900, "focused"), field("password", "", 1100)]
    assert text_changes(before, after) == [(before[0], "bob")]


def test_only_focused_fields_count_and_nameless_ones_match_by_box() -> None:
    before = [field("", "", 500, "focused"), field("city", "Paris", 800)]
    after = [field("", "x", 505, "focused"), field("city", "Lyon", 800), field("", "y", 1200)]
    assert text_changes(before, after) == [(before[0], "x")]  # autofill of city: not typing
    assert text_changes([], after) == []
