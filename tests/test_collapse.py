"""The collapser and the namer on synthetic events and screens (the fast tier): what a person
did, fed as the input sources deliver it, becomes the steps a person would write, with
targets in words that ground back to what was pressed."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from screenpilot.actions.targets import Description, WindowPoint
from screenpilot.actions.vocabulary import (
    Click,
    Drag,
    Key,
    LongPress,
    Scroll,
    Swipe,
    SystemButton,
    TypeText,
    Wait,
)
from screenpilot.perception.elements import Element, Role
from screenpilot.perception.geometry import ScreenBox, ScreenGeometry, ScreenPoint
from screenpilot.perception.screenshot import Observation, Screenshot
from screenpilot.recording.collapse import Collapser
from screenpilot.recording.events import (
    InputEvent,
    KeyPress,
    Motion,
    Press,
    Release,
    Snapshot,
    TextChanged,
    Wheel,
)
from screenpilot.recording.naming import Namer, holds_a_password
from screenpilot.recording.steps import RecordedStep

GEOMETRY = ScreenGeometry.for_screen(1280, 720)


def el(
    id: str,
    role: Role,
    box: tuple[int, int, int, int],
    name: str = "",
    *,
    states: Sequence[str] = (),
    value: str = "",
    source: str = "a11y",
) -> Element:
    x1, y1, x2, y2 = box
    return Element.model_validate(
        {
            "id": id, "role": role, "name": name, "value": value, "states": frozenset(states),
            "box": {"x1": x1, "y1": y1, "x2": x2, "y2": y2}, "source": source,
        }
    )  # fmt: skip


def snap(
    time: float, elements: list[Element], *, window: str = "Form", shade: int = 0, xid: str = ""
) -> Snapshot:
    pixels = np.full((720, 1280, 3), shade, np.uint8)
    return Snapshot(
        time,
        Observation(Screenshot(pixels, GEOMETRY, time), elements),
        window=window,
        window_box=ScreenBox(x1=100, y1=100, x2=900, y2=600),
        window_id=xid,
    )


FORM = [
    el("l-name", "text", (120, 150, 200, 180), "Name", source="ocr"),
    el("f-name", "field", (260, 150, 600, 180), source="pixels"),
    el("l-email", "text", (120, 210, 200, 240), "Email", source="ocr"),
    el("f-email", "field", (260, 210, 600, 240), source="pixels"),
    el("l-pin", "text", (120, 270, 200, 300), "PIN", source="ocr"),
    el("f-pin", "field", (260, 270, 600, 300), source="pixels"),
    el("b-ok", "button", (260, 330, 360, 370), "OK", source="ocr"),
]


def at(x: float, y: float) -> ScreenPoint:
    return ScreenPoint(x=x, y=y)


def click(t: float, x: float, y: float, button: str = "left") -> list[InputEvent]:
    return [Press(t, at(x, y), button), Release(t + 0.05, at(x, y), button)]  # type: ignore[arg-type]


def typed(t: float, text: str) -> list[InputEvent]:
    mods = frozenset({"shift"})
    return [
        KeyPress(
            t + 0.01 * i,
            ch.lower() if ch.isalpha() else ch,
            ch,
            mods if ch.isupper() else frozenset(),
        )
        for i, ch in enumerate(text)
    ]


def collapse(
    events: list[InputEvent],
    snapshots: list[Snapshot],
    *,
    touch: bool = False,
    final: Snapshot | None = None,
) -> list[RecordedStep]:
    def before(moment: float) -> Snapshot | None:
        found = [s for s in snapshots if s.time <= moment]
        return found[-1] if found else None

    collapser = Collapser(before, Namer(), touch=touch)
    steps: list[RecordedStep] = []
    for event in events:
        steps += collapser.feed(event)
    return steps + collapser.finish(final)


def actions(steps: list[RecordedStep]) -> list[object]:
    return [s.action for s in steps]


def words(text: str) -> Description:
    return Description(text=text)


def test_a_click_then_keystrokes_is_one_type_step_into_the_labelled_field() -> None:
    steps = collapse(
        [
            *click(1.0, 400, 165),
            *typed(1.2, "Bob Stone"),
            *click(3.0, 400, 225),
            *typed(3.2, "a@b.c"),
        ],
        [snap(0.0, FORM)],
    )
    assert actions(steps) == [
        TypeText(text="Bob Stone", target=words("the Name field")),
        TypeText(text="a@b.c", target=words("the Email field")),
    ]
    assert steps[0].how == "the label beside it"


def test_backspace_takes_back_a_character_and_enter_ends_the_text() -> None:
    events = [
        *click(1.0, 400, 165),
        *typed(1.2, "Bobb"),
        KeyPress(1.5, "backspace"),
        KeyPress(1.6, "enter"),
    ]
    assert actions(collapse(events, [snap(0.0, FORM)])) == [
        TypeText(text="Bob", target=words("the Name field"), press_enter=True)
    ]


def test_a_password_is_never_kept_and_becomes_a_secret() -> None:
    steps = collapse([*click(1.0, 400, 285), *typed(1.2, "hunter2")], [snap(0.0, FORM)])
    assert actions(steps) == [TypeText(text="${password}", target=words("the PIN field"))]
    assert steps[0].secret == "password"
    assert "hunter2" not in repr(steps)


def test_a_field_the_source_calls_a_password_is_one_whatever_its_label() -> None:
    masked = [*FORM[:4], el("f-x", "entry", (260, 270, 600, 300), "Code", states=["password"])]
    steps = collapse([*click(1.0, 400, 285), *typed(1.2, "s3cret")], [snap(0.0, masked)])
    assert steps[0].secret == "password" and steps[0].action == TypeText(
        text="${password}", target=words("the Code field")
    )


def test_two_password_fields_get_two_secrets() -> None:
    steps = collapse(
        [*click(1.0, 400, 285), *typed(1.2, "one"), *click(2.0, 400, 285), *typed(2.2, "one")],
        [snap(0.0, FORM)],
    )
    # The same field twice is the same secret.
    assert [s.secret for s in steps] == ["password", "password"]
    other = [*FORM, el("l-again", "text", (620, 270, 760, 300), "Password", source="ocr"),
             el("f-again", "field", (780, 270, 880, 300), source="pixels")]  # fmt: skip
    steps = collapse(
        [*click(1.0, 400, 285), *typed(1.2, "one"), *click(2.0, 830, 285), *typed(2.2, "one")],
        [snap(0.0, other)],
    )
    assert [s.secret for s in steps] == ["password", "password_2"]


def test_shortcuts_and_keys_that_type_nothing_are_key_steps() -> None:
    events = [
        *click(1.0, 400, 165),
        *typed(1.2, "x"),
        KeyPress(1.4, "ctrl", "", frozenset()),
        KeyPress(1.5, "a", "", frozenset({"ctrl"})),
        KeyPress(1.6, "tab"),
        KeyPress(1.7, "s", "", frozenset({"ctrl", "shift"})),
    ]
    assert actions(collapse(events, [snap(0.0, FORM)])) == [
        TypeText(text="x", target=words("the Name field")),
        Key(keys=["ctrl", "a"]),
        Key(keys=["tab"]),
        Key(keys=["ctrl", "shift", "s"]),
    ]


def test_typing_after_tab_goes_to_the_focused_input_the_screen_shows() -> None:
    focused = [*FORM[:3], FORM[3].model_copy(update={"states": frozenset({"focused"})}), *FORM[4:]]
    events = [KeyPress(1.0, "tab"), *typed(1.5, "z@y.x")]
    steps = collapse(events, [snap(0.0, FORM), snap(1.2, focused)])
    assert actions(steps) == [
        Key(keys=["tab"]),
        TypeText(text="z@y.x", target=words("the Email field")),
    ]


def test_typing_with_no_known_focus_types_where_the_focus_is() -> None:
    assert actions(collapse(typed(1.0, "hello"), [snap(0.0, FORM)])) == [TypeText(text="hello")]


def test_a_click_on_a_button_is_a_click_with_its_name_and_a_double_click_stays_one() -> None:
    events = [*click(1.0, 300, 350), *click(3.0, 300, 350), *click(3.2, 301, 351)]
    assert actions(collapse(events, [snap(0.0, FORM)])) == [
        Click(target=words("the OK button")),
        Click(target=words("the OK button"), count=2),
    ]


def test_right_click_keeps_its_button() -> None:
    steps = collapse(click(1.0, 300, 350, "right"), [snap(0.0, FORM)])
    assert actions(steps) == [Click(target=words("the OK button"), button="right")]


def test_a_wheel_run_is_one_scroll_and_a_change_of_direction_another() -> None:
    events: list[InputEvent] = [Wheel(1.0 + 0.1 * i, at(400, 225), "down") for i in range(5)]
    events += [Wheel(2.0, at(400, 225), "up"), Wheel(2.1, at(400, 226), "up")]
    assert actions(collapse(events, [snap(0.0, FORM)])) == [
        Scroll(direction="down", amount=5, target=words("the Email field")),
        Scroll(direction="up", amount=2, target=words("the Email field")),
    ]


def test_press_move_release_is_a_drag_and_on_a_touch_screen_a_swipe() -> None:
    events = [
        Press(1.0, at(300, 350)),
        Motion(1.1, at(350, 300)),
        Motion(1.2, at(400, 230)),
        Release(1.3, at(400, 225)),
    ]
    assert actions(collapse(events, [snap(0.0, FORM)])) == [
        Drag(start=words("the OK button"), end=words("the Email field"))
    ]
    assert actions(collapse(events, [snap(0.0, FORM)], touch=True)) == [
        Swipe(start=words("the OK button"), end=words("the Email field"))
    ]


def test_a_touch_held_still_is_a_long_press_and_phone_keys_are_system_buttons() -> None:
    events: list[InputEvent] = [Press(1.0, at(300, 350)), Release(1.9, at(301, 350))]
    events += [KeyPress(3.0, "back"), KeyPress(4.0, "home")]
    assert actions(collapse(events, [snap(0.0, FORM)], touch=True)) == [
        LongPress(target=words("the OK button"), duration=0.9),
        SystemButton(button="back"),
        SystemButton(button="home"),
    ]


def test_text_read_from_a_phone_field_replaces_what_it_held() -> None:
    field = el("u", "entry", (260, 150, 600, 180), "Username", source="uiautomator", value="old")
    screen = [field, FORM[-1].model_copy(update={"source": "uiautomator"})]
    events: list[InputEvent] = [*click(1.0, 400, 165), TextChanged(2.0, field, "ne")]
    events.append(TextChanged(2.5, field, "new user"))
    steps = collapse(events, [snap(0.0, screen)], touch=True)
    assert actions(steps) == [
        TypeText(text="new user", target=words("the Username field"), clear_first=True)
    ]


def test_a_step_that_opens_a_window_is_followed_by_a_wait_for_it() -> None:
    dialog = [el("d", "text", (300, 300, 600, 330), "Saved the contact"), *FORM]
    steps = collapse(
        [*click(1.0, 300, 350), *click(3.0, 400, 165)],
        [snap(0.0, FORM), snap(2.0, dialog, window="Done", shade=200)],
    )
    assert actions(steps) == [
        Click(target=words("the OK button")),
        Wait(until_text="Saved the contact", timeout=10.0),
        Click(target=words("the Name field")),
    ]


def test_a_step_that_changes_little_gets_no_wait() -> None:
    steps = collapse(
        [*click(1.0, 300, 350), *click(3.0, 400, 165)], [snap(0.0, FORM), snap(2.0, FORM)]
    )
    assert [type(a) for a in actions(steps)] == [Click, Click]


def test_the_last_step_gets_its_wait_from_the_final_screen() -> None:
    after = [el("d", "text", (300, 300, 600, 330), "Welcome back"), *FORM]
    steps = collapse(click(1.0, 300, 350), [snap(0.0, FORM)], final=snap(5, after, shade=250))
    assert actions(steps)[-1] == Wait(until_text="Welcome back", timeout=10.0)


def test_an_unnamed_place_is_kept_relative_to_the_window_as_a_last_resort() -> None:
    steps = collapse(click(1.0, 700, 500), [snap(0.0, FORM)])
    assert actions(steps) == [Click(target=WindowPoint(x=600, y=400, window="Form"))]
    assert "nothing there has a name" in steps[0].how


def test_a_field_without_a_label_of_its_own_is_named_by_a_relation_or_its_place() -> None:
    # Two unlabelled fields on one row: the second is "right of" the first's label? No -
    # grounding pairs "Total" with the nearer one; the other needs its place among fields.
    screen = [
        el("t", "text", (120, 150, 200, 180), "Total", source="ocr"),
        el("a", "field", (260, 150, 400, 180), source="pixels"),
        el("b", "field", (420, 150, 560, 180), source="pixels"),
    ]
    steps = collapse(
        [*click(1.0, 330, 165), *typed(1.1, "1"), *click(2.0, 490, 165), *typed(2.1, "2")],
        [snap(0.0, screen)],
    )
    first, second = (s.action for s in steps)
    assert first == TypeText(text="1", target=words("the Total field"))
    assert isinstance(second, TypeText) and isinstance(second.target, Description)
    assert second.target.text != "the Total field"
    # Whatever the words, they find that second field again.
    from screenpilot.perception.grounding import Found, ground

    found = ground(second.target.text, screen, intent="type")
    assert isinstance(found, Found) and found.element is not None and found.element.id == "b"


def test_texts_typed_into_a_field_are_never_taken_for_labels() -> None:
    filled = [*FORM, el("typed", "text", (270, 155, 380, 178), "Bob", source="ocr")]
    steps = collapse([*click(1.0, 400, 225), *typed(1.1, "x")], [snap(0.0, filled)])
    assert actions(steps) == [TypeText(text="x", target=words("the Email field"))]


@pytest.mark.parametrize(
    ("element", "label", "expected"),
    [
        (el("a", "entry", (0, 0, 10, 10), "Password"), "", True),
        (el("a", "entry", (0, 0, 10, 10), "", value="•••"), "", True),
        (el("a", "entry", (0, 0, 10, 10), "Mot de passe"), "", True),
        (el("a", "entry", (0, 0, 10, 10), "Passport number"), "", False),
        (el("a", "entry", (0, 0, 10, 10), "Spinner"), "", False),
        (None, "Your PIN", True),
        (None, "", False),
    ],
)
def test_what_counts_as_a_password_field(
    element: Element | None, label: str, expected: bool
) -> None:
    assert holds_a_password(element, label) is expected


def test_a_caption_read_inside_a_drawn_button_names_the_button() -> None:
    screen = [
        el("b", "button", (260, 330, 360, 370), source="pixels"),
        el("c", "text", (270, 335, 350, 365), "Submit", source="ocr"),
    ]
    steps = collapse(click(1.0, 300, 350), [snap(0.0, screen)])
    assert actions(steps) == [Click(target=words("the Submit button"))]


def test_a_tap_in_a_phones_navigation_bar_is_its_system_button() -> None:
    # The bar lies below anything uiautomator dumps: left Back, middle Home, right Recents.
    events = [*click(1.0, 100, 700), *click(3.0, 640, 705), *click(5.0, 1200, 710)]
    steps = collapse(events, [snap(0.0, [])], touch=True)
    assert actions(steps) == [SystemButton(button=b) for b in ("back", "home", "recents")]
    # On a desktop the same place is a click.
    assert [type(a) for a in actions(collapse(events, [snap(0.0, [])]))] == [Click] * 3


def test_a_touch_that_moves_within_the_slop_is_a_tap() -> None:
    events = [Press(1.0, at(300, 350)), Motion(1.1, at(315, 355)), Release(1.2, at(318, 356))]
    steps = collapse(events, [snap(0.0, FORM)], touch=True)
    assert actions(steps) == [Click(target=words("the OK button"))]


def test_a_window_whose_title_changes_is_no_new_window() -> None:
    # An editor marks its title "*Untitled" once typed into: the same window, no wait.
    edited = [el("t", "text", (300, 300, 600, 330), "*Untitled 1 - Editor"), *FORM]
    events = [*click(1.0, 400, 165), *typed(1.1, "hi"), *click(3.0, 300, 350)]
    before, after = snap(0.0, FORM, xid="7"), snap(2.0, edited, window="*Untitled 1", xid="7")
    assert [type(a) for a in actions(collapse(events, [before, after]))] == [TypeText, Click]
    dialog = snap(2.0, edited, window="Save As", xid="9")
    assert [type(a) for a in actions(collapse(events, [before, dialog]))] == [TypeText, Wait, Click]


def test_typing_over_a_selected_value_replaces_it() -> None:
    # A Save dialog offers "Untitled 1", selected: what a person types replaces it.
    offered = [el("n", "entry", (260, 150, 600, 180), "Name", value="Untitled 1")]
    typed_over = [offered[0].model_copy(update={"value": "notes.txt"})]
    appended = [offered[0].model_copy(update={"value": "Untitled 1notes.txt"})]
    events = [*click(1.0, 400, 165), *typed(1.1, "notes.txt"), KeyPress(3.0, "tab")]
    steps = collapse(events, [snap(0.0, offered), snap(2.0, typed_over)])
    assert steps[0].action == TypeText(
        text="notes.txt", target=words("the Name field"), clear_first=True
    )
    steps = collapse(events, [snap(0.0, offered), snap(2.0, appended)])
    assert steps[0].action == TypeText(text="notes.txt", target=words("the Name field"))
