"""Qwen3-VL `computer_use` / `mobile_use` tool calls <-> the action vocabulary."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from screenpilot.actions import (
    Answer,
    Click,
    Description,
    Drag,
    ElementRef,
    Finish,
    Hover,
    Key,
    LongPress,
    OpenApp,
    Scroll,
    Swipe,
    SystemButton,
    TypeText,
    Wait,
)
from screenpilot.actions.vocabulary import Action
from screenpilot.errors import InvalidInputError, NoEquivalentError
from screenpilot.models.tool_calls import (
    COMPUTER_USE_ACTIONS,
    MOBILE_USE_ACTIONS,
    TOOL_SCALE,
    ToolName,
    action_to_tool_call,
    parse_tool_call,
    tool_call_dict,
    tool_call_to_action,
)
from screenpilot.perception.geometry import ScreenBox, ScreenGeometry, ScreenPoint, Size
from tests.strategies import chords, geometries, gesture_seconds, seconds, shown_points, texts

DESKTOP = ScreenGeometry.for_screen(1920, 1080).with_image(Size(width=1504, height=832))
PHONE = ScreenGeometry.for_screen(1080, 2400).with_image(Size(width=1088, height=2400))


def call(name: str, **arguments: Any) -> dict[str, Any]:
    return {"name": name, "arguments": arguments}


def act(data: dict[str, Any], geometry: ScreenGeometry = DESKTOP) -> Action:
    return tool_call_to_action(parse_tool_call(data), geometry)


def test_the_tool_enums_are_qwen3_vl_s_exactly() -> None:
    assert COMPUTER_USE_ACTIONS == (
        "key",
        "type",
        "mouse_move",
        "left_click",
        "left_click_drag",
        "right_click",
        "middle_click",
        "double_click",
        "triple_click",
        "scroll",
        "hscroll",
        "wait",
        "terminate",
        "answer",
    )
    assert MOBILE_USE_ACTIONS == (
        "click",
        "long_press",
        "swipe",
        "type",
        "answer",
        "system_button",
        "wait",
        "terminate",
    )
    assert TOOL_SCALE == {"computer_use": 1000, "mobile_use": 999}


def test_computer_use_calls_become_actions_in_screen_pixels() -> None:
    click = act(call("computer_use", action="left_click", coordinate=[500, 300]))
    assert click == Click(target=ScreenPoint(x=960, y=324))
    assert act(call("computer_use", action="triple_click")) == Click(count=3)
    assert act(call("computer_use", action="right_click", coordinate=[250, 500])) == Click(
        target=ScreenPoint(x=480, y=540), button="right"
    )
    assert act(call("computer_use", action="key", keys=["Control", "a"])) == Key(keys=["ctrl", "a"])
    assert act(call("computer_use", action="scroll", pixels=-5)) == Scroll(
        direction="down", amount=5
    )
    assert act(call("computer_use", action="hscroll", pixels=2)) == Scroll(
        direction="right", amount=2
    )
    assert act(call("computer_use", action="left_click_drag", coordinate=[100, 100])) == Drag(
        end=ScreenPoint(x=192, y=108)
    )
    assert act(call("computer_use", action="terminate", status="failure")) == Finish(
        status="failure"
    )


def test_mobile_use_calls_divide_by_999() -> None:
    tap = act(call("mobile_use", action="click", coordinate=[999, 0]), PHONE)
    assert tap == Click(target=ScreenPoint(x=1075, y=4))  # off the corner
    swipe = act(
        call("mobile_use", action="swipe", coordinate=[499.5, 799.2], coordinate2=[499.5, 199.8]),
        PHONE,
    )
    assert isinstance(swipe, Swipe)
    assert swipe.start == ScreenPoint(x=540, y=1920)
    assert swipe.end is not None and (swipe.end.x, swipe.end.y) == pytest.approx((540, 480))
    assert act(call("mobile_use", action="system_button", button="menu"), PHONE) == SystemButton(
        button="recents"
    )
    assert act(
        call("mobile_use", action="long_press", coordinate=[10, 500], time=2), PHONE
    ) == LongPress(target=ScreenPoint(x=10 / 999 * 1080, y=500 / 999 * 2400), duration=2)


BAD_CALLS: list[tuple[dict[str, Any], str, str]] = [
    (
        call("computer_use", action="left_click", coordinate=[1200, 3]),
        "arguments.coordinate.0",
        "less than or equal to 1000",
    ),
    (
        call("computer_use", action="left_click", coordinate=[-1, 3]),
        "arguments.coordinate.0",
        "greater than or equal to 0",
    ),
    (
        call("computer_use", action="left_click", coordinate=[1, 2, 3]),
        "arguments.coordinate",
        "at most 2 items",
    ),
    (
        call("computer_use", action="left_click", coordinate=["1", 2]),
        "arguments.coordinate.0",
        "valid number",
    ),
    (call("computer_use", action="left_click_drag"), "arguments", "needs `coordinate`"),
    (call("computer_use", action="key", keys=[]), "arguments.keys", "at least one key"),
    (
        call("computer_use", action="key", keys=["ctrl", "enterr"]),
        "arguments.keys",
        "unknown key 'enterr'",
    ),
    (call("computer_use", action="scroll", pixels=0), "arguments.pixels", "non-zero whole"),
    (call("computer_use", action="scroll", pixels=1.5), "arguments.pixels", "non-zero whole"),
    (call("computer_use", action="wait", time=-3), "arguments.time", "greater than 0"),
    (call("computer_use", action="type", text=""), "arguments.text", "at least 1 character"),
    (
        call("computer_use", action="type", text="hi", coordinate=[1, 1]),
        "arguments",
        "`coordinate` does not apply to action 'type'",
    ),
    (call("computer_use", action="fly"), "arguments.action", "Input should be 'key'"),
    (call("computer_use", action="answer", text="x", extra=1), "arguments.extra", "Extra inputs"),
    (call("mobile_use", action="long_press", coordinate=[1, 1]), "arguments", "needs `time`"),
    (
        call("mobile_use", action="long_press", coordinate=[1, 1], time=90),
        "arguments",
        "at most 60 s",
    ),
    (call("mobile_use", action="swipe", coordinate=[1, 1]), "arguments", "needs `coordinate2`"),
    (
        call("mobile_use", action="system_button", button="Power"),
        "arguments.button",
        "'Back', 'Home', 'Menu' or 'Enter'",
    ),
    (
        call("mobile_use", action="terminate", status="ok"),
        "arguments.status",
        "'success' or 'failure'",
    ),
    (call("mobile_use", action="key", text="x"), "arguments.action", "Input should be 'click'"),
    ({"name": "browser_use", "arguments": {}}, "name", "'browser_use' is not one of"),
    ({"arguments": {"action": "click"}}, "name", "is missing"),
    # An explicit null counts as not given (it reached float() and raised TypeError).
    (call("computer_use", action="scroll", pixels=None), "arguments", "needs `pixels`"),
    (call("computer_use", action="key", keys=None), "arguments", "needs `keys`"),
    # Lists and objects where a scalar belongs.
    (call("computer_use", action="key", keys=[["ctrl"]]), "arguments.keys.0", "valid string"),
    (call("computer_use", action="type", text={"a": 1}), "arguments.text", "valid string"),
    (call("computer_use", action="wait", time=[1]), "arguments.time", "valid number"),
    (
        call("computer_use", action="left_click", coordinate=[[1], [2]]),
        "arguments.coordinate.1",
        "valid number",
    ),
    (call("mobile_use", action="system_button", button=["Back"]), "arguments.button", "'Back'"),
    (call("mobile_use", action="terminate", status={"x": 1}), "arguments.status", "'success'"),
    ({"name": {"a": 1}, "arguments": {}}, "name", "is not one of"),
    ({"name": "computer_use", "arguments": [1]}, "arguments", "valid dictionary"),
]


@pytest.mark.parametrize(("data", "field", "reason"), BAD_CALLS)
def test_invalid_tool_call_arguments_name_the_field_and_the_reason(
    data: dict[str, Any], field: str, reason: str
) -> None:
    with pytest.raises(InvalidInputError) as info:
        parse_tool_call(data)
    assert field in [path for path, _ in info.value.problems], info.value.problems
    assert reason in str(info.value)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (call("computer_use", action="type", text="a\x07b"), "`text`: contains control characters"),
        (call("computer_use", action="scroll", pixels=5000), "`amount`: Input should be less"),
    ],
)
def test_valid_calls_asking_for_refused_actions_say_why(data: dict[str, Any], reason: str) -> None:
    with pytest.raises(InvalidInputError, match="invalid action from a computer_use") as info:
        act(data)
    assert reason in str(info.value)


NO_EQUIVALENT: list[tuple[Action, ToolName, str]] = [
    (
        Click(target=ScreenPoint(x=5, y=5), button="right", count=2),
        "computer_use",
        "no right click repeated 2 times",
    ),
    (
        Drag(start=ScreenPoint(x=9, y=9), end=ScreenPoint(x=50, y=50)),
        "computer_use",
        "send a hover to the start first",
    ),
    (Drag(end=ScreenPoint(x=50, y=50), duration=1), "computer_use", "no duration"),
    (
        TypeText(text="bob", target=Description(text="Name")),
        "computer_use",
        "click the target first",
    ),
    (TypeText(text="bob", clear_first=True), "mobile_use", "cannot clear a field"),
    (TypeText(text="bob", press_enter=True), "computer_use", "send Enter after it"),
    (Wait(until_text="Saved"), "mobile_use", "only waits a number of seconds"),
    (Finish(status="success", message="done"), "computer_use", "send the message as an answer"),
    (Click(target=ScreenBox(x1=1, y1=1, x2=9, y2=9)), "computer_use", "use the box's center"),
    (Click(target=ElementRef(id="e3")), "mobile_use", "ground it to a screen point first"),
    (Hover(target=Description(text="Help")), "computer_use", "ground it to a screen point"),
    (Click(target=ScreenPoint(x=5000, y=5)), "computer_use", "outside the area the image shows"),
    (Click(), "mobile_use", "needs a coordinate"),
    (Click(target=ScreenPoint(x=5, y=5), count=2), "mobile_use", "only taps once"),
    (Swipe(direction="up"), "mobile_use", "resolve the direction"),
    (
        Swipe(start=ScreenPoint(x=9, y=9), end=ScreenPoint(x=9, y=90), duration=1),
        "mobile_use",
        "no duration",
    ),
    (Scroll(direction="down"), "mobile_use", "mobile_use has no 'scroll' action"),
    (Key(keys=["ctrl", "c"]), "mobile_use", "mobile_use has no 'key' action"),
    (Hover(target=ScreenPoint(x=9, y=9)), "mobile_use", "no 'hover' action"),
    (LongPress(target=ScreenPoint(x=9, y=9)), "computer_use", "no 'long_press' action"),
    (SystemButton(button="home"), "computer_use", "no 'system_button' action"),
    (OpenApp(app="com.android.settings"), "mobile_use", "no 'open_app' action"),
    (OpenApp(app="gedit"), "computer_use", "no 'open_app' action"),
    (Click(target=ScreenPoint(x=5, y=5), ensure="checked"), "computer_use", "checkbox's state"),
    (Click(target=ScreenPoint(x=5, y=5), ensure="unchecked"), "mobile_use", "checkbox's state"),
]


@pytest.mark.parametrize(("action", "tool", "reason"), NO_EQUIVALENT)
def test_actions_without_an_exact_counterpart_are_refused(
    action: Action, tool: ToolName, reason: str
) -> None:
    with pytest.raises(NoEquivalentError, match=None) as info:
        action_to_tool_call(action, tool, DESKTOP)
    assert reason in str(info.value)


def test_tool_call_dict_writes_what_the_model_writes() -> None:
    c = action_to_tool_call(
        Scroll(direction="down", amount=3, target=ScreenPoint(x=960, y=540)),
        "computer_use",
        DESKTOP,
    )
    assert tool_call_dict(c) == {
        "name": "computer_use",
        "arguments": {"action": "scroll", "pixels": -3, "coordinate": [500, 500]},
    }
    c = action_to_tool_call(SystemButton(button="recents"), "mobile_use", PHONE)
    assert tool_call_dict(c) == {
        "name": "mobile_use",
        "arguments": {"action": "system_button", "button": "Menu"},
    }


# ---------------------------------------------------------------- round trips
def _close(a: Any, b: Any) -> bool:
    """Structural equality up to 1e-4 (of a pixel, or of a second): tool calls carry model
    coordinates rounded to 6 decimals, i.e. within ~1e-5 px on a 4000 px screen."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) or isinstance(b, float):
        return abs(a - b) <= 1e-4
    return bool(a == b)


@st.composite
def convertible_actions(draw: st.DrawFn) -> tuple[ScreenGeometry, ToolName, Action]:
    """An action the chosen tool expresses exactly, on a geometry that shows its points."""
    g = draw(geometries())
    tool: ToolName = draw(st.sampled_from(["computer_use", "mobile_use"]))
    point = shown_points(g)
    shared = [
        st.builds(TypeText, text=texts),
        st.builds(Wait, seconds=seconds),
        st.builds(Answer, text=texts),
        st.builds(Finish, status=st.sampled_from(["success", "failure"])),
    ]
    if tool == "computer_use":
        clicks = st.sampled_from(
            [("left", 1), ("right", 1), ("middle", 1), ("left", 2), ("left", 3)]
        )
        options = [
            st.builds(
                lambda bc, t: Click(target=t, button=bc[0], count=bc[1]), clicks, st.none() | point
            ),
            st.builds(Hover, target=point),
            st.builds(Drag, end=point),
            st.builds(
                Scroll,
                direction=st.sampled_from(["up", "down", "left", "right"]),
                amount=st.integers(1, 1000),
                target=st.none() | point,
            ),
            st.builds(Key, keys=chords),
        ]
    else:
        options = [
            st.builds(Click, target=point),
            st.builds(LongPress, target=point, duration=gesture_seconds),
            st.builds(Swipe, start=point, end=point),
            st.builds(SystemButton, button=st.sampled_from(["back", "home", "recents", "enter"])),
        ]
    return g, tool, draw(st.one_of(*options, *shared))


@given(convertible_actions())
def test_action_to_tool_call_to_action_is_lossless(
    case: tuple[ScreenGeometry, ToolName, Action],
) -> None:
    geometry, tool, action = case
    tool_call = action_to_tool_call(action, tool, geometry)
    back = tool_call_to_action(parse_tool_call(tool_call_dict(tool_call)), geometry)
    assert type(back) is type(action)
    assert _close(back.model_dump(), action.model_dump()), (action, tool_call, back)


def _lands_unmoved(g: ScreenGeometry, xy: list[int], scale: int) -> bool:
    """Whether a model coordinate maps onto the screen without clamping or the corner guard,
    re-deriving the frame chain independently of the code under test."""
    crop = g.crop_rect
    sx = g.capture.width / g.screen.width
    sy = g.capture.height / g.screen.height
    x = (
        g.screen.left
        + (crop.left + xy[0] / scale * g.image.width * crop.width / g.image.width) / sx
    )
    y = (
        g.screen.top
        + (crop.top + xy[1] / scale * g.image.height * crop.height / g.image.height) / sy
    )
    p = ScreenPoint(x=x, y=y)
    return g.screen_box.contains(p) and not g.in_corner_zone(p)


@st.composite
def model_calls(draw: st.DrawFn) -> tuple[ScreenGeometry, dict[str, Any]]:
    """A tool call as Qwen3-VL writes it (whole-number coordinates, canonical key names)."""
    g = draw(geometries())
    name = draw(st.sampled_from(["computer_use", "mobile_use"]))
    scale = TOOL_SCALE[name]  # type: ignore[index]

    def xy() -> list[int]:
        value = [draw(st.integers(0, scale)), draw(st.integers(0, scale))]
        assume(_lands_unmoved(g, value, scale))
        return value

    if name == "computer_use":
        action = draw(st.sampled_from(COMPUTER_USE_ACTIONS))
        args: dict[str, Any] = {"action": action}
        if action in ("mouse_move", "left_click_drag") or (
            action.endswith("click") and draw(st.booleans())
        ):
            args["coordinate"] = xy()
        elif action in ("scroll", "hscroll"):
            args["pixels"] = draw(st.integers(-50, 50).filter(bool))
            if draw(st.booleans()):
                args["coordinate"] = xy()
        elif action == "key":
            args["keys"] = draw(chords)
    else:
        action = draw(st.sampled_from(MOBILE_USE_ACTIONS))
        args = {"action": action}
        if action in ("click", "long_press", "swipe"):
            args["coordinate"] = xy()
        if action == "swipe":
            args["coordinate2"] = xy()
        if action == "long_press":
            args["time"] = draw(st.sampled_from([0.5, 1, 2, 3]))
        if action == "system_button":
            args["button"] = draw(st.sampled_from(["Back", "Home", "Menu", "Enter"]))
    if action in ("type", "answer"):
        args["text"] = draw(texts)
    elif action == "wait":
        args["time"] = draw(st.sampled_from([0.5, 1, 2, 5, 30]))
    elif action == "terminate":
        args["status"] = draw(st.sampled_from(["success", "failure"]))
    return g, {"name": name, "arguments": args}


@given(model_calls())
def test_tool_call_to_action_to_tool_call_is_exact(
    case: tuple[ScreenGeometry, dict[str, Any]],
) -> None:
    geometry, data = case
    action = tool_call_to_action(parse_tool_call(data), geometry)
    again = tool_call_dict(action_to_tool_call(action, data["name"], geometry))
    assert again == data
