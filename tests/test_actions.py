"""The action vocabulary: construction, invariants, JSON, shorthands, schema."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from hypothesis import given

from screenpilot.actions import (
    ACTION_TYPES,
    Click,
    Description,
    ElementRef,
    Key,
    Swipe,
    SystemButton,
    Wait,
    action_json_schema,
    action_to_json,
    parse_action,
)
from screenpilot.actions.keys import normalise_key, split_chord
from screenpilot.errors import InvalidInputError
from screenpilot.perception.geometry import ScreenBox, ScreenPoint
from tests.strategies import any_action


def test_shorthand_targets_read_into_typed_targets() -> None:
    assert parse_action({"type": "click", "target": "the Submit button"}) == Click(
        target=Description(text="the Submit button")
    )
    assert parse_action({"type": "click", "target": [10, 20]}) == Click(
        target=ScreenPoint(x=10, y=20)
    )
    assert parse_action({"type": "click", "target": [1, 2, 30, 40]}).target == ScreenBox(
        x1=1, y1=2, x2=30, y2=40
    )
    assert parse_action({"type": "hover", "target": {"element": 7}}).target == ElementRef(id="7")


def test_key_chords_are_normalised_and_checked() -> None:
    assert Key(keys="Control+Shift+T").keys == ["ctrl", "shift", "T"]  # type: ignore[arg-type]
    assert Key(keys=["Return"]).keys == ["enter"]
    assert Key(keys="ctrl++").keys == ["ctrl", "+"]  # type: ignore[arg-type]
    assert Key(keys=["cmd", "page_up"]).chord == "super+pageup"
    assert split_chord("+") == ["+"]
    assert normalise_key(" ") == "space"


def test_system_button_menu_means_recents() -> None:
    assert SystemButton(button="Menu").button == "recents"  # type: ignore[arg-type]


def test_wait_limit() -> None:
    assert Wait(seconds=2).limit == 2
    assert Wait(until_text="Saved").limit == 10
    assert Wait(until_element="the OK button", timeout=3).limit == 3


INVALID: list[tuple[dict[str, Any], str, str]] = [
    ({"type": "wait", "seconds": -1}, "seconds", "greater than 0"),
    ({"type": "long_press", "target": [1, 2], "duration": 0}, "duration", "greater than 0"),
    ({"type": "drag", "end": [1, 2], "duration": -0.5}, "duration", "greater than 0"),
    ({"type": "key", "keys": []}, "keys", "at least one key"),
    ({"type": "key", "keys": "ctrll+c"}, "keys", "unknown key 'ctrll'; did you mean 'ctrl'"),
    ({"type": "key", "keys": ["ctrl", "Control"]}, "keys", "appears twice"),
    ({"type": "key", "keys": "ctrl++a"}, "keys", "empty key"),
    ({"type": "swipe", "start": [5, 5]}, "", "a swipe needs an end"),
    ({"type": "swipe", "start": [5, 5], "end": [1, 1], "direction": "up"}, "", "not both"),
    ({"type": "swipe", "end": [1, 1]}, "", "also needs its `start`"),
    ({"type": "swipe", "start": [5, 5], "end": [1, 1], "distance": 0.5}, "", "`distance`"),
    ({"type": "click", "target": [float("nan"), 3]}, "target.point.x", "finite number"),
    ({"type": "click", "target": [1, float("inf")]}, "target.point.y", "finite number"),
    ({"type": "click", "target": ["1", 3]}, "target.point.x", "valid number"),
    ({"type": "click", "target": [1, 2, 3]}, "target", "[x, y] or [x1, y1, x2, y2]"),
    ({"type": "click", "target": [5, 5, 1, 1]}, "target.box", "x1 <= x2"),
    ({"type": "click", "target": "   "}, "target.description.text", "needs some words"),
    ({"type": "click", "count": 4}, "count", "1, 2 or 3"),
    ({"type": "click", "button": "side"}, "button", "'left', 'right' or 'middle'"),
    ({"type": "click", "where": [1, 2]}, "where", "Extra inputs"),
    ({"type": "scroll", "direction": "up", "amount": 0}, "amount", "greater than or equal to 1"),
    ({"type": "scroll", "direction": "sideways"}, "direction", "'up', 'down', 'left'"),
    ({"type": "type", "text": ""}, "", "`text` is empty"),
    ({"type": "type", "text": "a\x00b"}, "text", "control characters '\\x00'"),
    ({"type": "system_button", "button": "power"}, "button", "'back', 'home', 'recents'"),
    ({"type": "open_app", "app": " "}, "app", "name the application"),
    ({"type": "wait"}, "", "exactly one of"),
    ({"type": "wait", "seconds": 1, "until_text": "x"}, "", "(got seconds, until_text)"),
    ({"type": "wait", "seconds": 1, "timeout": 5}, "", "`timeout` applies only"),
    ({"type": "wait", "seconds": 7200}, "seconds", "less than or equal to 3600"),
    ({"type": "answer", "text": ""}, "text", "at least 1 character"),
    ({"type": "finish", "status": "done"}, "status", "'success' or 'failure'"),
    ({"type": "teleport"}, "type", "'teleport' is not one of"),
    ({"target": [1, 2]}, "type", "is missing"),
]


@pytest.mark.parametrize(("data", "field", "reason"), INVALID)
def test_invalid_actions_name_the_field_and_the_reason(
    data: dict[str, Any], field: str, reason: str
) -> None:
    with pytest.raises(InvalidInputError) as info:
        parse_action(data)
    paths = [path for path, _ in info.value.problems]
    assert field in paths, info.value.problems
    assert reason in str(info.value)
    if "type" in data and data["type"] in ACTION_TYPES:
        assert str(info.value).startswith(f"invalid {data['type']} action")


def test_every_kind_of_space_and_joiner_is_text_not_a_control_character() -> None:
    text = "a\u00a0b\u3000c\u2003d 👩\u200d💻 e\tf\ng"
    assert parse_action({"type": "type", "text": text}).text == text  # type: ignore[union-attr]


def test_actions_are_immutable() -> None:
    click = Click(target=ScreenPoint(x=1, y=2))
    with pytest.raises(ValueError, match="frozen"):
        click.count = 2  # type: ignore[misc]


def test_json_schema_covers_every_action_type() -> None:
    schema = action_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    tags = {branch["$ref"].rsplit("/", 1)[-1] for branch in schema["oneOf"]}
    assert len(tags) == len(ACTION_TYPES) == 13
    assert set(schema["discriminator"]["mapping"]) == set(ACTION_TYPES)


SCHEMA = action_json_schema()


@given(any_action())
def test_action_json_round_trips(data: dict[str, Any]) -> None:
    action = parse_action(data)
    text = action_to_json(action)
    assert parse_action(text) == action
    # and the canonical form validates against the exported schema
    jsonschema.validate(json.loads(text), SCHEMA)


def test_direction_swipe_needs_no_end() -> None:
    swipe = Swipe(direction="up")
    assert swipe.start is None and swipe.end is None
