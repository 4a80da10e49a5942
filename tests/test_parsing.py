"""Reading Qwen3-VL answers: recorded answers in the official formats, and fuzzing."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screenpilot.actions import Click, Finish, Key, Swipe, TypeText
from screenpilot.errors import ScreenpilotError
from screenpilot.models.parsing import (
    MAX_ANSWER_CHARS,
    MAX_DEPTH,
    MAX_NUMBER_CHARS,
    ModelParseError,
    json_values,
    parse_grounding,
    parse_tool_calls,
    split_thinking,
)
from screenpilot.models.prompts import grounding_prompt, tool_declaration, tool_system_prompt
from screenpilot.models.tool_calls import tool_call_to_action
from screenpilot.perception.geometry import ScreenGeometry, ScreenPoint, Size

# Answers written the way Qwen3-VL gives them (official formats, realistic coordinates).
DESKTOP_ANSWER = (
    "Thought: The Email field is empty, so I should click it first.\n"
    "Action: Click the Email field.\n"
    '<tool_call>\n{"name": "computer_use", "arguments": {"action": "left_click", '
    '"coordinate": [431, 262]}}\n</tool_call>'
)
TWO_CALLS = (
    '<tool_call>\n{"name": "computer_use", "arguments": {"action": "type", '
    '"text": "bob@example.org"}}\n</tool_call>\n<tool_call>\n'
    '{"name": "computer_use", "arguments": {"action": "key", '
    '"keys": ["ctrl", "s"]}}\n</tool_call>'
)
PHONE_ANSWER = (
    "Thought: The setting is further down the list.\nAction: Swipe up to scroll.\n"
    '<tool_call>\n{"name": "mobile_use", "arguments": {"action": "swipe", '
    '"coordinate": [500, 700], "coordinate2": [500, 250]}}\n</tool_call>'
)
THINKING_ANSWER = (
    "<think>\nThe task is finished: the form shows Saved.\n</think>\n\n"
    '<tool_call>\n{"name": "computer_use", "arguments": {"action": "terminate", '
    '"status": "success"}}\n</tool_call>'
)
GROUNDING_ANSWER = (
    '```json\n[\n\t{"bbox_2d": [512, 377, 598, 409], "label": "Submit button"}\n]\n```'
)

DESKTOP = ScreenGeometry.for_screen(1920, 1080).with_image(Size(width=1504, height=832))
PHONE = ScreenGeometry.for_screen(1080, 2400).with_image(Size(width=1088, height=2400))


def test_a_desktop_answer_becomes_a_click_on_the_screen() -> None:
    [call] = parse_tool_calls(DESKTOP_ANSWER)
    action = tool_call_to_action(call, DESKTOP)
    assert isinstance(action, Click) and isinstance(action.target, ScreenPoint)
    assert (action.target.x, action.target.y) == pytest.approx(
        (431 / 1000 * 1920, 262 / 1000 * 1080)
    )


def test_several_calls_thinking_and_phone_answers() -> None:
    actions = [tool_call_to_action(c, DESKTOP) for c in parse_tool_calls(TWO_CALLS)]
    assert actions == [TypeText(text="bob@example.org"), Key(keys=["ctrl", "s"])]
    [swipe] = [tool_call_to_action(c, PHONE) for c in parse_tool_calls(PHONE_ANSWER)]
    assert isinstance(swipe, Swipe) and swipe.start is not None
    assert (swipe.start.x, swipe.start.y) == pytest.approx((500 / 999 * 1080, 700 / 999 * 2400))
    thinking, answer = split_thinking(THINKING_ANSWER)
    assert thinking == "The task is finished: the form shows Saved."
    assert "<think>" not in answer
    assert tool_call_to_action(parse_tool_calls(THINKING_ANSWER)[0], DESKTOP) == Finish(
        status="success"
    )


@pytest.mark.parametrize(
    "text",
    [
        '```json\n{"name": "computer_use", "arguments": {"action": "wait", "time": 2}}\n```',
        '[{"name": "computer_use", "arguments": {"action": "wait", "time": 2}}] trailing junk }',
        '<tool_call>{"name": "computer_use", "arguments": {"action": "wait", "time": 2}}',
        'Action: wait.\n{"name": "computer_use", "arguments": {"action": "wait", "time": 2}}',
    ],
)
def test_fences_lists_missing_closers_and_junk_are_read(text: str) -> None:
    [call] = parse_tool_calls(text)
    assert call.arguments.action == "wait"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("I will click the button.", "no tool call"),
        (
            '<tool_call>{"name": "computer_use", "arguments": {"action": "fly"}}</tool_call>',
            "`arguments.action`",
        ),
        (
            '<tool_call>{"name": "computer_use", "arguments": {"action": "left_click", '
            '"coordinate": [1500, 20]}}</tool_call>',
            "less than or equal to 1000",
        ),
        (
            '<tool_call>{"name": "computer_use", "arguments": {"action": "type"}}</tool_call>',
            "needs `text`",
        ),
        (
            '<tool_call>{"name": "shell", "arguments": {"cmd": "rm -rf /"}}</tool_call>',
            "'shell' is not one of",
        ),
    ],
)
def test_malformed_answers_are_parse_errors_that_keep_the_raw_text(text: str, reason: str) -> None:
    with pytest.raises(ModelParseError) as info:
        parse_tool_calls(text)
    assert reason in str(info.value)
    assert info.value.raw == text


def test_grounding_answers() -> None:
    [region] = parse_grounding(GROUNDING_ANSWER)
    assert region.label == "Submit button"
    assert region.box is not None and (region.box.x1, region.box.y2) == (512, 409)
    [point] = parse_grounding('{"point_2d": [250, 731], "label": "Email field"}')
    assert point.center.x == 250
    with pytest.raises(ModelParseError, match="unusable"):
        parse_grounding('{"bbox_2d": [1, 2, 3], "label": "x"}')
    with pytest.raises(ModelParseError, match="no bbox_2d"):
        parse_grounding("It is at the top left.")


def test_the_tool_declarations_keep_the_trained_names_and_enums() -> None:
    computer = tool_declaration("computer_use")["function"]
    assert computer["name"] == "computer_use"
    assert computer["parameters"]["properties"]["action"]["enum"][:3] == [
        "key",
        "type",
        "mouse_move",
    ]
    assert "resolution is 1000x1000" in computer["description"]
    mobile = tool_declaration("mobile_use")["function"]
    assert "resolution is 999x999" in mobile["description"]
    assert set(mobile["parameters"]["properties"]) == {
        "action",
        "coordinate",
        "coordinate2",
        "text",
        "time",
        "button",
        "status",
    }
    prompt = tool_system_prompt("computer_use")
    declared = json.loads(prompt.split("<tools>\n")[1].split("\n</tools>")[0])
    assert declared == tool_declaration("computer_use")
    assert (
        '<tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call>'
        in prompt
    )
    assert "the Submit button" in grounding_prompt("the Submit button")


def wait_call(time: str) -> str:
    return (
        '<tool_call>{"name": "computer_use", "arguments": {"action": "wait", "time": '
        f"{time}}}}}</tool_call>"
    )


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (wait_call("1" * (MAX_NUMBER_CHARS + 1)), f"{MAX_NUMBER_CHARS + 1} characters long"),
        (wait_call("0." + "5" * MAX_NUMBER_CHARS), "characters long"),
        (wait_call("NaN"), "has NaN"),
        (wait_call("-Infinity"), "has -Infinity"),
        (wait_call("1e999"), "too large for a float: 1e999"),
        ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), f"over {MAX_DEPTH} deep"),
        ('{"a": ' * 5000 + "1" + "}" * 5000, "too deep to read"),
        ("[" * 20_000, "too deep to read"),
        (("[1, " * 300 + "x ") * 40, "broken at every bracket"),
        (wait_call("2") + "x" * MAX_ANSWER_CHARS, f"at most {MAX_ANSWER_CHARS} are read"),
    ],
    ids=[
        "long int",
        "long float",
        "NaN",
        "-Infinity",
        "1e999",
        "33 deep",
        "5000 deep objects",
        "20,000 deep lists",
        "quadratic",
        "too long",
    ],
)
def test_numbers_nesting_and_lengths_no_answer_has_are_parse_errors(text: str, reason: str) -> None:
    for parse in (parse_tool_calls, parse_grounding, json_values):
        with pytest.raises(ModelParseError) as info:
            parse(text)
        assert reason in str(info.value), parse
        assert info.value.raw == text


def test_the_bounds_leave_every_real_answer_readable() -> None:
    # A number of exactly the longest length, nesting of exactly the deepest, and a long
    # thinking part (the bound is on the answer after it) are all read.
    [call] = parse_tool_calls(wait_call("2." + "0" * (MAX_NUMBER_CHARS - 2)))
    assert call.arguments.time == 2
    assert json_values("[" * MAX_DEPTH + "]" * MAX_DEPTH) != []
    thinking = "<think>" + "I look at the form. " * 5000 + "</think>"
    assert len(thinking) > MAX_ANSWER_CHARS
    assert parse_tool_calls(thinking + DESKTOP_ANSWER)[0].arguments.action == "left_click"


def test_a_long_problem_is_told_short_with_the_answer_kept_whole() -> None:
    text = (
        '<tool_call>{"name": "computer_use", "arguments": {"action": "key", "keys": ["'
        + "q" * 40_000
        + '"]}}</tool_call>'
    )
    with pytest.raises(ModelParseError, match="unknown key") as info:
        parse_tool_calls(text)
    assert len(str(info.value)) < 1000 and info.value.raw == text


def test_a_label_that_is_not_text_is_an_unusable_region() -> None:
    with pytest.raises(ModelParseError, match="a label must be text"):
        parse_grounding('{"bbox_2d": [1, 2, 3, 4], "label": [["Submit"]]}')


RECORDED = [DESKTOP_ANSWER, TWO_CALLS, PHONE_ANSWER, THINKING_ANSWER, GROUNDING_ANSWER]


def to_actions(text: str) -> None:
    """The whole way from an answer to actions; any error but a project one fails the test."""
    try:
        for call in parse_tool_calls(text):
            tool_call_to_action(call, DESKTOP)
    except ModelParseError as error:
        assert error.raw == text
    except ScreenpilotError:
        pass  # a call the tool allows asking for an action screenpilot refuses


@pytest.mark.integration  # 3,000 mangled answers: the slow tier (the suite still runs them)
@settings(max_examples=3000)
@given(
    base=st.sampled_from(RECORDED),
    cut=st.integers(0, 400),
    noise=st.text(st.sampled_from('{}[]":,<>/\\ntool_call 0123456789-.eE'), max_size=12),
    where=st.integers(0, 400),
)
def test_mangled_answers_never_crash_the_parsers(
    base: str, cut: int, noise: str, where: int
) -> None:
    text = base[:cut] + noise + base[where:]
    to_actions(text)
    try:
        parse_grounding(text)
    except ModelParseError as error:
        assert error.raw == text


# With these 4,000 and test_hostile_answers' 6,000, the suite reads 10,000 generated answers.
@settings(max_examples=1000)
@given(st.text(max_size=300))
def test_arbitrary_text_never_crashes_the_parsers(text: str) -> None:
    to_actions(text)
    with contextlib.suppress(ModelParseError):
        parse_grounding(text)
