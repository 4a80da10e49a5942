"""Reading getevent's text: device lists, event lines, touch frames, screen mapping."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screenpilot.recording.events import InputEvent, KeyPress, Motion, Press, Release
from screenpilot.recording.getevent import (
    AxisRange,
    GeteventError,
    InputDevice,
    PhoneClock,
    RawEvent,
    ScreenMapping,
    TouchDecoder,
    find_touchscreen,
    orientation,
    parse_devices,
    parse_event,
    screen_size,
)

# What `getevent -p` prints on a phone: a fingerprint reader and a sensor hub that report
# axes but are no screen, a pen digitizer that is not direct, the touch panel, the keys.
DEVICES = """\
could not get driver version for /dev/input/mice, Not a typewriter
add device 1: /dev/input/event5
  name:     "uinput-fpc"
  events:
    KEY (0001): 0066  008b  009e  00d4  00d9  00fe  0210  0211
                0212  0213
  input props:
    <none>
add device 2: /dev/input/event4
  name:     "sensor_hub"
  events:
    ABS (0003): 0000  : value 3, min -32768, max 32767, fuzz 0, flat 0, resolution 0
                0001  : value -7, min -32768, max 32767, fuzz 0, flat 0, resolution 0
                0002  : value 980, min -32768, max 32767, fuzz 0, flat 0, resolution 0
  input props:
    <none>
add device 3: /dev/input/event3
  name:     "sec_e-pen"
  events:
    KEY (0001): 0140  0141  014a  014b
    ABS (0003): 0035  : value 0, min 0, max 11000, fuzz 0, flat 0, resolution 0
                0036  : value 0, min 0, max 24000, fuzz 0, flat 0, resolution 0
  input props:
    INPUT_PROP_POINTER
add device 4: /dev/input/event2
  name:     "sec_touchscreen"
  events:
    KEY (0001): 0145  014a  0172*
    ABS (0003): 002f  : value 0, min 0, max 9, fuzz 0, flat 0, resolution 0
                0030  : value 0, min 0, max 255, fuzz 0, flat 0, resolution 0
                0035  : value 0, min 16, max 4111, fuzz 0, flat 0, resolution 0
                0036  : value 0, min 0, max 9599, fuzz 0, flat 0, resolution 0
                0039  : value 0, min 0, max 65535, fuzz 0, flat 0, resolution 0
                003a  : value 0, min 0, max 63, fuzz 0, flat 0, resolution 0
  input props:
    INPUT_PROP_DIRECT
add device 5: /dev/input/event1
  name:     "gpio_keys"
  events:
    KEY (0001): 0072  0073  0074  00ac  009e
  input props:
    <none>
"""

# `getevent -pl` through a PTY: labels, CRLF, the padding getevent writes after each label.
LABELLED = "\r\n".join(
    [
        "add device 1: /dev/input/event2",
        '  name:     "fts_ts"',
        "  events:",
        "    KEY (0001): BTN_TOOL_FINGER       BTN_TOUCH            ",
        "    ABS (0003): ABS_MT_SLOT           : value 0, min 0, max 9, fuzz 0, flat 0, "
        "resolution 0",
        "                ABS_MT_POSITION_X     : value 0, min 0, max 32767, fuzz 0, flat 0, "
        "resolution 0",
        "                ABS_MT_POSITION_Y     : value 0, min 0, max 32767, fuzz 0, flat 0, "
        "resolution 0",
        "                ABS_MT_TRACKING_ID    : value 0, min 0, max 65535, fuzz 0, flat 0, "
        "resolution 0",
        "  input props:",
        "    INPUT_PROP_DIRECT",
        "add device 2: /dev/input/event0",
        '  name:     "qwerty2"',
        "  events:",
        "    KEY (0001): KEY_ENTER             KEY_BACK              KEY_HOMEPAGE          "
        "KEY_POWER*           ",
        "                KEY_APPSELECT        ",
        "    SW  (0005): 0000 ",
        "  input props:",
        "    <none>",
        "",
    ]
)

PANEL = InputDevice(
    path="/dev/input/event2",
    name="panel",
    keys=frozenset({"BTN_TOUCH"}),
    axes={"ABS_MT_POSITION_X": AxisRange(0, 4095), "ABS_MT_POSITION_Y": AxisRange(0, 8191)},
    props=frozenset({"INPUT_PROP_DIRECT"}),
)
MAPPING = ScreenMapping(x=AxisRange(0, 4095), y=AxisRange(0, 8191), width=1080, height=2400)


def decode(text: str, device: InputDevice = PANEL, mapping: ScreenMapping = MAPPING) -> list:
    """Every event the decoder yields for `text`, timed by the lines' own stamps."""
    decoder = TouchDecoder(device, mapping)
    out: list[InputEvent] = []
    for line in text.splitlines():
        raw = parse_event(line)
        if raw is not None:
            out += decoder.feed(raw, raw.time if raw.time is not None else 0.0)
    return out


def line(t: float, kind: str, code: str, value: str, dev: str = "/dev/input/event2") -> str:
    return f"[{t:15.6f}] {dev}: {kind:<12} {code:<20} {value:<20}"


def touch(t: float, x: int, y: int, tracking: int = 0x1A2) -> list[str]:
    return [
        line(t, "EV_ABS", "ABS_MT_TRACKING_ID", f"{tracking:08x}"),
        line(t, "EV_ABS", "ABS_MT_POSITION_X", f"{x:08x}"),
        line(t, "EV_ABS", "ABS_MT_POSITION_Y", f"{y:08x}"),
        line(t, "EV_KEY", "BTN_TOUCH", "DOWN"),
        line(t, "EV_SYN", "SYN_REPORT", "00000000"),
    ]


def lift(t: float) -> list[str]:
    return [
        line(t, "EV_ABS", "ABS_MT_TRACKING_ID", "ffffffff"),
        line(t, "EV_KEY", "BTN_TOUCH", "UP"),
        line(t, "EV_SYN", "SYN_REPORT", "00000000"),
    ]


def moved(t: float, x: int | None = None, y: int | None = None) -> list[str]:
    out = [line(t, "EV_ABS", "ABS_MT_POSITION_X", f"{x:08x}")] if x is not None else []
    out += [line(t, "EV_ABS", "ABS_MT_POSITION_Y", f"{y:08x}")] if y is not None else []
    return [*out, line(t, "EV_SYN", "SYN_REPORT", "00000000")]


# ---------------------------------------------------------------- getevent -p
def test_the_touch_screen_is_the_direct_multitouch_device_with_its_ranges() -> None:
    devices = parse_devices(DEVICES)
    assert [d.name for d in devices] == [
        "uinput-fpc", "sensor_hub", "sec_e-pen", "sec_touchscreen", "gpio_keys",
    ]  # fmt: skip
    screen = find_touchscreen(devices)
    assert screen.path == "/dev/input/event2" and screen.name == "sec_touchscreen"
    assert screen.axes["ABS_MT_POSITION_X"] == AxisRange(16, 4111)
    assert screen.axes["ABS_MT_POSITION_Y"] == AxisRange(0, 9599)
    assert screen.axes["ABS_MT_PRESSURE"] == AxisRange(0, 63)
    assert "BTN_TOUCH" in screen.keys and "0x0172" in screen.keys  # held key, no label known
    assert screen.props == {"INPUT_PROP_DIRECT"}
    assert devices[1].axes["ABS_X"] == AxisRange(-32768, 32767)  # a sensor: no screen
    assert {"KEY_BACK", "KEY_HOMEPAGE", "KEY_POWER"} <= devices[4].keys


def test_labelled_device_lists_with_crlf_read_the_same() -> None:
    devices = parse_devices(LABELLED)
    screen = find_touchscreen(devices)
    assert screen.name == "fts_ts"
    assert screen.axes["ABS_MT_POSITION_X"] == AxisRange(0, 32767)
    assert devices[1].keys == {
        "KEY_ENTER", "KEY_BACK", "KEY_HOMEPAGE", "KEY_POWER", "KEY_APPSELECT",
    }  # fmt: skip
    assert devices[1].axes == {}  # the switch section is no axis


def test_no_touch_screen_is_a_clear_error() -> None:
    keys_only = DEVICES.split("add device 2")[0]
    with pytest.raises(GeteventError, match="no touch screen"):
        find_touchscreen(parse_devices(keys_only))
    with pytest.raises(GeteventError):
        find_touchscreen(parse_devices("/system/bin/sh: getevent: inaccessible or not found\n"))


def test_an_old_single_touch_panel_is_found_by_abs_x_and_btn_touch() -> None:
    text = """add device 1: /dev/input/event1
  name:     "synaptics-rmi-touchscreen"
  events:
    KEY (0001): 014a
    ABS (0003): 0000  : value 0, min 0, max 1023, fuzz 0, flat 0
                0001  : value 0, min 0, max 1759, fuzz 0, flat 0
  input props:
    INPUT_PROP_DIRECT
"""
    screen = find_touchscreen(parse_devices(text))
    assert screen.single_touch and not screen.multitouch
    mapping = ScreenMapping.of(screen, (480, 800))
    events = decode(
        "\n".join(
            [
                line(1.0, "EV_KEY", "BTN_TOUCH", "DOWN", "/dev/input/event1"),
                line(1.0, "EV_ABS", "ABS_X", "00000200", "/dev/input/event1"),
                line(1.0, "EV_ABS", "ABS_Y", "00000370", "/dev/input/event1"),
                line(1.0, "EV_SYN", "SYN_REPORT", "00000000", "/dev/input/event1"),
                line(1.1, "EV_KEY", "BTN_TOUCH", "UP", "/dev/input/event1"),
                line(1.1, "EV_SYN", "SYN_REPORT", "00000000", "/dev/input/event1"),
            ]
        ),
        screen,
        mapping,
    )
    assert [type(e) for e in events] == [Press, Release]
    assert (events[0].point.x, events[0].point.y) == (240.0, 400.0)


# ---------------------------------------------------------------- screen mapping
def test_wm_size_prefers_the_override_and_orientation_reads_dumpsys() -> None:
    assert screen_size("Physical size: 1080x2400\n") == (1080, 2400)
    assert screen_size("Physical size: 1440x3120\nOverride size: 1080x2340\n") == (1080, 2340)
    with pytest.raises(GeteventError, match="screen size"):
        screen_size("error: no devices/emulators found")
    assert orientation("  mCurrentOrientation=1\n  mOverrideDisplayInfo=...") == 1
    assert orientation("DISPLAY MANAGER (dumpsys display)\n") == 0


def test_raw_values_scale_by_the_axis_range_not_the_screen() -> None:
    screen = find_touchscreen(parse_devices(DEVICES))
    mapping = ScreenMapping.of(screen, (1440, 3200))
    # X runs 16..4111 (4096 units), Y 0..9599 (9600 units) for 1440 x 3200 pixels.
    assert mapping.point(16, 0) == mapping.point(0, 0)  # below the minimum: clamped
    middle = mapping.point(16 + 2048, 4800)
    assert (middle.x, middle.y) == (720.0, 1600.0)
    corner = mapping.point(4111, 9599)
    assert 1439 < corner.x < 1440 and 3199 < corner.y < 3200
    smaller = ScreenMapping.of(
        screen, screen_size("Physical size: 1440x3200\nOverride size: 720x1600")
    )
    assert (smaller.point(2064, 4800).x, smaller.point(2064, 4800).y) == (360.0, 800.0)


@pytest.mark.parametrize(
    ("rotation", "expected"),
    [(0, (270.0, 600.0)), (1, (600.0, 810.0)), (2, (810.0, 1800.0)), (3, (1800.0, 270.0))],
)
def test_a_turned_display_turns_the_panel_axes(
    rotation: int, expected: tuple[float, float]
) -> None:
    mapping = ScreenMapping(
        x=AxisRange(0, 999), y=AxisRange(0, 999), width=1080, height=2400, rotation=rotation
    )
    point = mapping.point(250, 250)  # a quarter in from the panel's natural top left
    assert (point.x, point.y) == expected


# ---------------------------------------------------------------- event lines
def test_event_lines_with_labels_numbers_timestamps_and_devices() -> None:
    assert parse_event(
        "[   16394.264532] /dev/input/event2: EV_ABS       ABS_MT_POSITION_X    0000021b    "
    ) == RawEvent(16394.264532, "/dev/input/event2", "EV_ABS", "ABS_MT_POSITION_X", 0x21B)
    assert parse_event(
        "[   16394.264532] /dev/input/event2: EV_ABS       ABS_MT_TRACKING_ID   ffffffff\r"
    ) == RawEvent(16394.264532, "/dev/input/event2", "EV_ABS", "ABS_MT_TRACKING_ID", -1)
    assert parse_event("/dev/input/event1: 0001 009e 00000001") == RawEvent(
        None, "/dev/input/event1", "EV_KEY", "KEY_BACK", 1
    )
    assert parse_event("[  51262.382424] 0003 0039 00000e4c") == RawEvent(
        51262.382424, "", "EV_ABS", "ABS_MT_TRACKING_ID", 0xE4C
    )
    unknown = parse_event("/dev/input/event2: EV_ABS       0032                 00000010")
    assert unknown is not None and unknown.code == "0x0032"
    assert parse_event("EV_KEY       BTN_TOUCH            DOWN") == RawEvent(
        None, "", "EV_KEY", "BTN_TOUCH", 1
    )


@pytest.mark.parametrize(
    "garbage",
    [
        "add device 1: /dev/input/event2",
        '  name:     "fts_ts"',
        "could not get driver version for /dev/input/mice, Not a typewriter",
        "[   16394.264532] /dev/input/event2: EV_ABS       ABS_MT_POSITION_X    0000",
        "[   16394.264532] /dev/input/event2: EV_ABS       ABS_MT_POSI",
        "[   16394.26",
        "[   16394.264532] /dev/input/event2: EV_ABS       DOWN                 UP",
        "[   16394.264532] /dev/input/event2: EV_ABS ABS_MT_POSITION_X 0000021b[   16394.2",
        "\x00\x00\xff\xfe garbage \x1b[0m",
        "",
        "remove device 3: /dev/input/event4",
        "/system/bin/sh: getevent: inaccessible or not found",
    ],
)
def test_lines_that_are_not_whole_events_are_skipped(garbage: str) -> None:
    assert parse_event(garbage) is None


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(codec="utf-8"), max_size=90), max_size=30))
def test_any_text_decodes_without_crashing(lines: list[str]) -> None:
    decode("\n".join(lines))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["EV_ABS", "EV_KEY", "EV_SYN", "0003", "0000"]),
            st.sampled_from(
                [
                    "ABS_MT_SLOT",
                    "ABS_MT_TRACKING_ID",
                    "ABS_MT_POSITION_X",
                    "ABS_MT_POSITION_Y",
                    "BTN_TOUCH",
                    "KEY_BACK",
                    "SYN_REPORT",
                    "SYN_MT_REPORT",
                    "SYN_DROPPED",
                    "0035",
                ]
            ),
            st.one_of(st.sampled_from(["DOWN", "UP", "ffffffff"]), st.integers(0, 2**32 - 1)),
        ),
        max_size=60,
    )
)
def test_any_sequence_of_real_events_keeps_presses_and_releases_paired(
    events: list[tuple[str, str, object]],
) -> None:
    text = "\n".join(
        line(i / 100, kind, code, value if isinstance(value, str) else f"{value:08x}")
        for i, (kind, code, value) in enumerate(events)
    )
    touches = [e for e in decode(text) if not isinstance(e, KeyPress)]
    down = False
    for event in touches:
        assert isinstance(event, Motion | Release) if down else isinstance(event, Press)
        if isinstance(event, Press | Release):
            down = isinstance(event, Press)
        assert 0 <= event.point.x < 1080 and 0 <= event.point.y < 2400


# ---------------------------------------------------------------- touch frames
def test_a_tap_is_a_press_and_a_release_in_screen_pixels() -> None:
    events = decode("\n".join([*touch(100.0, 2048, 4096), *lift(100.08)]))
    assert [type(e) for e in events] == [Press, Release]
    press, release = events
    assert (press.point.x, press.point.y, press.button) == (540.0, 1200.0, "left")
    assert press.time == 100.0 and release.time == pytest.approx(100.08)
    assert release.point == press.point


def test_a_swipe_moves_with_only_the_changed_axis_reported() -> None:
    text = [*touch(5.0, 2048, 6826)]
    for i, y in enumerate((6000, 5000, 4000, 3000, 2048), 1):
        text += moved(5.0 + i * 0.016, y=y)
    text += moved(5.1, x=2100)
    text += lift(5.12)
    events = decode("\n".join(text))
    assert [type(e).__name__ for e in events] == ["Press"] + ["Motion"] * 6 + ["Release"]
    assert [round(e.point.y) for e in events[1:6]] == [1758, 1465, 1172, 879, 600]
    assert events[6].point.x == pytest.approx(2100 * 1080 / 4096, abs=0.1)
    assert events[-1].point == events[6].point


def test_a_second_finger_does_not_move_the_gesture_and_all_must_lift() -> None:
    slot = [line(1.0, "EV_ABS", "ABS_MT_SLOT", "00000001")]
    back = [line(1.0, "EV_ABS", "ABS_MT_SLOT", "00000000")]
    text = [
        *touch(1.0, 1000, 1000),
        *slot, *touch(1.1, 3000, 7000, tracking=0x1A3)[:-2],  # second finger, same frame
        line(1.1, "EV_SYN", "SYN_REPORT", "00000000"),
        line(1.2, "EV_ABS", "ABS_MT_POSITION_X", "00000c00"),  # slot 1 moves
        line(1.2, "EV_SYN", "SYN_REPORT", "00000000"),
        *back, *lift(1.3)[:1], line(1.3, "EV_SYN", "SYN_REPORT", "00000000"),  # first lifts
        *slot, *lift(1.4),  # then the second
    ]  # fmt: skip
    events = decode("\n".join(text))
    assert [type(e) for e in events] == [Press, Release]
    assert events[1].time == 1.4 and events[1].point == events[0].point


def test_a_new_touch_where_the_last_one_was_keeps_the_unreported_position() -> None:
    # evdev drops values equal to the slot's last ones: a second tap on the same spot comes
    # with a tracking id and no position.
    again = [
        line(2.0, "EV_ABS", "ABS_MT_TRACKING_ID", "000001a9"),
        line(2.0, "EV_KEY", "BTN_TOUCH", "DOWN"),
        line(2.0, "EV_SYN", "SYN_REPORT", "00000000"),
    ]
    events = decode("\n".join([*touch(1.0, 2048, 4096), *lift(1.05), *again, *lift(2.05)]))
    assert [type(e) for e in events] == [Press, Release, Press, Release]
    assert events[2].point == events[0].point


def test_dropped_events_skip_to_the_next_report() -> None:
    text = [
        *touch(1.0, 2048, 4096),
        line(1.01, "EV_ABS", "ABS_MT_POSITION_Y", "00000100"),
        line(1.02, "EV_SYN", "SYN_DROPPED", "00000000"),
        line(1.03, "EV_ABS", "ABS_MT_POSITION_Y", "00001000"),  # lost with the frame
        line(1.03, "EV_SYN", "SYN_REPORT", "00000000"),
        *moved(1.04, y=0x1400),
        *lift(1.05),
    ]
    events = decode("\n".join(text))
    assert [type(e) for e in events] == [Press, Motion, Release]
    assert events[1].point.y == pytest.approx(0x1400 * 2400 / 8192, abs=0.1)


def test_a_protocol_a_panel_follows_its_first_finger() -> None:
    def contact(t: float, x: int, y: int) -> list[str]:
        return [
            line(t, "EV_ABS", "ABS_MT_POSITION_X", f"{x:08x}"),
            line(t, "EV_ABS", "ABS_MT_POSITION_Y", f"{y:08x}"),
            line(t, "EV_SYN", "SYN_MT_REPORT", "00000000"),
        ]

    report = [line(0, "EV_SYN", "SYN_REPORT", "00000000")]
    text = [
        *contact(1.0, 2048, 4096), *contact(1.0, 100, 100), *report,
        *contact(1.1, 2048, 2048), *contact(1.1, 200, 200), *report,
        line(1.2, "EV_SYN", "SYN_MT_REPORT", "00000000"), *report,
    ]  # fmt: skip
    events = decode("\n".join(text))
    assert [type(e) for e in events] == [Press, Motion, Release]
    assert (events[0].point.y, events[1].point.y) == (1200.0, 600.0)


def test_system_keys_from_any_device_press_once() -> None:
    keys = "/dev/input/event1"
    text = [
        line(3.0, "EV_KEY", "KEY_BACK", "DOWN", keys),
        line(3.0, "EV_SYN", "SYN_REPORT", "00000000", keys),
        line(3.4, "EV_KEY", "KEY_BACK", "REPEAT", keys),
        line(3.5, "EV_KEY", "KEY_BACK", "UP", keys),
        line(4.0, "EV_KEY", "KEY_HOMEPAGE", "DOWN", keys),
        line(5.0, "EV_KEY", "KEY_APPSELECT", "DOWN", keys),
        line(6.0, "EV_KEY", "KEY_ENTER", "DOWN", keys),
        line(7.0, "EV_KEY", "KEY_VOLUMEUP", "DOWN", keys),
        line(8.0, "EV_KEY", "KEY_HOME", "DOWN", keys),  # MOVE_HOME, a text key
        "[       9.000000] /dev/input/event1: 0001 009e 00000001",
    ]
    events = decode("\n".join(text))
    assert events == [
        KeyPress(time=3.0, key="back"),
        KeyPress(time=4.0, key="home"),
        KeyPress(time=5.0, key="recents"),
        KeyPress(time=6.0, key="enter"),
        KeyPress(time=9.0, key="back"),
    ]


def test_touches_of_other_devices_are_not_the_screens() -> None:
    pen = "/dev/input/event3"
    text = [
        line(1.0, "EV_ABS", "ABS_MT_TRACKING_ID", "00000001", pen),
        line(1.0, "EV_ABS", "ABS_MT_POSITION_X", "00000100", pen),
        line(1.0, "EV_ABS", "ABS_MT_POSITION_Y", "00000100", pen),
        line(1.0, "EV_SYN", "SYN_REPORT", "00000000", pen),
    ]
    assert decode("\n".join(text)) == []


# ---------------------------------------------------------------- clocks
def test_phone_time_keeps_its_spacing_when_lines_arrive_in_a_burst() -> None:
    clock = PhoneClock()
    assert clock.time(8000.0, received=50.010) == pytest.approx(50.010)  # first: as received
    # The finger was held 0.8 s, but the release was read late, with later lines.
    assert clock.time(8000.8, received=51.5) == pytest.approx(50.81)
    assert clock.time(8000.9, received=51.5) == pytest.approx(50.91)
    # A line that came faster than any before tightens the offset; times stay in order.
    assert clock.time(8001.0, received=50.95) == pytest.approx(50.95)
    assert clock.time(8001.1, received=51.5) == pytest.approx(51.05)
    assert clock.time(None, received=60.0) == 60.0
