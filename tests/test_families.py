"""Model families behind the native policy (fast tier, no torch): Qwen2.5-VL's and
UI-TARS-1.5's answers, as those models write them, become the same actions on the same
screen as the Qwen3-VL answer aimed at the same point; each family is found from a model's
name or checkpoint config; hostile answers are refused, never run; `--family` reaches the
policy from the command line."""

from __future__ import annotations

import builtins
import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from screenpilot.actions.vocabulary import (
    Action,
    Click,
    Drag,
    Finish,
    OpenApp,
    Scroll,
    TypeText,
    Wait,
)
from screenpilot.agent.assembly import choose_family, make_policy
from screenpilot.errors import InvalidInputError
from screenpilot.models.checkpoint import model_type
from screenpilot.models.families import FAMILIES, detect_family, family_named
from screenpilot.models.families.action_text import read_calls
from screenpilot.models.parsing import MAX_ANSWER_CHARS, ModelParseError
from screenpilot.models.prompts import PastStep, history_text
from screenpilot.models.runtime import ModelRuntimeError
from screenpilot.models.tool_calls import TOOL_SCALE, ToolName
from screenpilot.perception.geometry import ScreenGeometry, ScreenPoint, Size
from screenpilot.perception.screenshot import Observation, Screenshot
from screenpilot.perception.sizing import VisualBudget
from screenpilot.policies.base import Outcome, Step
from screenpilot.policies.model_policies import NativePolicy
from tests.scripted_runtime import ScriptedRuntime

DESKTOP = (1920, 1080)
PHONE = (1080, 2400)
#: How far apart two answers naming the same point may land, in screen pixels: each frame
#: rounds to whole numbers (1.9 px per unit for 0..1000 over 1920 px, 2.4 px per unit for
#: 0..999 over 2400 px, 1.5-1.6 px per pixel of the smart-resized image).
TOLERANCE = 2.5


def screen(size: tuple[int, int]) -> Observation:
    width, height = size
    geometry = ScreenGeometry.for_screen(width, height)
    return Observation(Screenshot(np.zeros((height, width, 3), np.uint8), geometry, 0.0))


def sent_size(family: str, size: tuple[int, int]) -> Size:
    """The size the screenshot is sent at for `family` (the native policy's budget)."""
    budget = family_named(family).visual_budget(VisualBudget(max_tokens=1280))  # type: ignore[arg-type]
    return budget.resize(Size(width=size[0], height=size[1]))


def tool_of(size: tuple[int, int]) -> ToolName:
    return "mobile_use" if size == PHONE else "computer_use"


def qwen3(x: float, y: float, size: tuple[int, int]) -> list[int]:
    """A screen point as Qwen3-VL names it: 0..1000 (0..999 on the phone), whole numbers."""
    scale = TOOL_SCALE[tool_of(size)]
    return [round(x / size[0] * scale), round(y / size[1] * scale)]


def pixels(x: float, y: float, size: tuple[int, int]) -> list[int]:
    """A screen point as Qwen2.5-VL and UI-TARS name it: pixels of the resized image."""
    image = sent_size("qwen2.5-vl", size)
    return [round(x / size[0] * image.width), round(y / size[1] * image.height)]


def box(x: float, y: float, size: tuple[int, int]) -> str:
    px, py = pixels(x, y, size)
    return f"({px},{py})"


def call(arguments: dict[str, Any], size: tuple[int, int], lead: str) -> str:
    body = json.dumps({"name": tool_of(size), "arguments": arguments}, ensure_ascii=False)
    return f"{lead}\n<tool_call>\n{body}\n</tool_call>"


def planned(family: str, size: tuple[int, int], answer: str) -> list[Step]:
    runtime = ScriptedRuntime([answer])
    policy = NativePolicy(runtime, tool=tool_of(size), family=family)  # type: ignore[arg-type]
    return policy.plan("do the task", screen(size), []).steps


def actions(family: str, size: tuple[int, int], answer: str) -> list[Action]:
    steps = planned(family, size, answer)
    assert not any("unusable" in s.thought for s in steps), steps[0].thought
    return [s.action for s in steps]


def points(value: Any) -> list[tuple[float, float]]:
    """Every screen point an action's dump holds."""
    if isinstance(value, dict):
        if set(value) >= {"x", "y"} and value.get("kind") == "point":
            return [(value["x"], value["y"])]
        return [p for v in value.values() for p in points(v)]
    if isinstance(value, list):
        return [p for v in value for p in points(v)]
    return []


def without_points(value: Any) -> Any:
    if isinstance(value, dict):
        if value.get("kind") == "point":
            return "POINT"
        return {k: without_points(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_points(v) for v in value]
    return value


def assert_same(
    got: list[Action], expected: list[Action], *, at: list[tuple[float, float]]
) -> None:
    """The same actions, their points within `TOLERANCE` of each other and of the truth."""
    dumps = [a.model_dump(mode="json") for a in got]
    wanted = [a.model_dump(mode="json") for a in expected]
    assert without_points(dumps) == without_points(wanted)
    assert len(points(dumps)) == len(points(wanted)) == len(at)
    for (gx, gy), (wx, wy), (tx, ty) in zip(points(dumps), points(wanted), at, strict=True):
        assert abs(gx - wx) <= TOLERANCE and abs(gy - wy) <= TOLERANCE, (gx, gy, wx, wy)
        assert abs(gx - tx) <= TOLERANCE and abs(gy - ty) <= TOLERANCE, (gx, gy, tx, ty)


# ---------------------------------------------------------------- the frames
def test_each_family_sends_the_screenshot_at_its_processors_size() -> None:
    # Qwen3-VL: multiples of 32; Qwen2.5-VL and UI-TARS: multiples of 28, 1280 tokens each.
    assert sent_size("qwen3-vl", DESKTOP) == Size(width=1504, height=832)
    assert sent_size("qwen2.5-vl", DESKTOP) == Size(width=1316, height=728)
    assert sent_size("ui-tars", DESKTOP) == Size(width=1316, height=728)
    assert sent_size("ui-tars", PHONE) == Size(width=672, height=1484)
    runtime = ScriptedRuntime(["Action: wait()"])
    NativePolicy(runtime, family="ui-tars").plan("x", screen(DESKTOP), [])
    image = runtime.sent[0][1].content[1]
    assert (image.width, image.height) == (1316, 728)  # type: ignore[union-attr]


def test_qwen25_states_the_resized_screenshot_as_the_screen_resolution() -> None:
    runtime = ScriptedRuntime([call({"action": "wait", "time": 1}, DESKTOP, "Action: wait.")])
    NativePolicy(runtime, family="qwen2.5-vl").plan("x", screen(DESKTOP), [])
    system = runtime.sent[0][0].content[0]
    assert "The screen's resolution is 1316x728." in system
    declared = json.loads(system.split("<tools>\n")[1].split("\n</tools>")[0])
    enum = declared["function"]["parameters"]["properties"]["action"]["enum"]
    assert "triple_click" not in enum and "left_click" in enum  # Qwen2.5-VL's own set


def test_qwen3_prompts_are_what_they_were() -> None:
    from screenpilot.models.prompts import native_query, tool_system_prompt

    runtime = ScriptedRuntime([call({"action": "wait", "time": 1}, DESKTOP, "Action: wait.")])
    NativePolicy(runtime).plan("open Settings", screen(DESKTOP), [])
    system, user = runtime.sent[0]
    assert system.content == (tool_system_prompt("computer_use"),)
    assert user.content[0] == native_query("computer_use", "open Settings", "None")


# ---------------------------------------------------------------- the same actions
DESKTOP_CASES = [
    pytest.param(
        {"action": "left_click", "coordinate": "A"},
        "Thought: The Email field is still empty, so I put the cursor in it first.\n"
        "Action: click(start_box='<|box_start|>@<|box_end|>')",
        [(412, 318)],
        id="click",
    ),
    pytest.param(
        {"action": "double_click", "coordinate": "A"},
        "Thought: The report.pdf icon opens with a double click.\n"
        "Action: left_double(start_box='@')",
        [(1500, 870)],
        id="double-click",
    ),
    pytest.param(
        {"action": "right_click", "coordinate": "A"},
        "Thought: The context menu of the file has Rename.\n"
        "Action: right_single(point='<point>@</point>')",
        [(77, 1003)],
        id="right-click-point-variant",
    ),
    pytest.param(
        {"action": "key", "keys": ["ctrl", "shift", "t"]},
        "Thought: The closed tab comes back with the reopen shortcut.\n"
        "Action: hotkey(key='ctrl shift t')",
        [],
        id="hotkey",
    ),
    pytest.param(
        {"action": "scroll", "pixels": -5, "coordinate": "A"},
        "Thought: The Submit button is below the fold; I scroll the form down.\n"
        "Action: scroll(start_box='(@)', direction='down')",
        [(960, 600)],
        id="scroll",
    ),
    pytest.param(
        {"action": "wait", "time": 5},
        "Thought: The page is still loading.\nAction: wait()",
        [],
        id="wait",
    ),
    pytest.param(
        {"action": "terminate", "status": "success"},
        "Thought: The settings are saved, the task is complete.\nAction: finished()",
        [],
        id="finished",
    ),
]


def _fill(arguments: dict[str, Any], at: list[tuple[float, float]], size: tuple[int, int],
          frame: Any) -> dict[str, Any]:  # fmt: skip
    return {k: frame(*at[0], size) if v == "A" else v for k, v in arguments.items()}


def _ui_tars(template: str, at: list[tuple[float, float]], size: tuple[int, int]) -> str:
    if not at:
        return template
    px, py = pixels(*at[0], size)
    return (
        template.replace("<point>@</point>", f"<point>{px} {py}</point>")
        .replace("(@)", f"({px},{py})")
        .replace("@", f"({px},{py})")
    )


@pytest.mark.parametrize(("arguments", "ui_tars", "at"), DESKTOP_CASES)
def test_desktop_answers_of_every_family_become_the_same_actions(
    arguments: dict[str, Any], ui_tars: str, at: list[tuple[float, float]]
) -> None:
    lead = "Action: Do the next step."
    expected = actions(
        "qwen3-vl", DESKTOP, call(_fill(arguments, at, DESKTOP, qwen3), DESKTOP, lead)
    )
    qwen25 = call(_fill(arguments, at, DESKTOP, pixels), DESKTOP, lead)
    assert_same(actions("qwen2.5-vl", DESKTOP, qwen25), expected, at=at)
    assert_same(actions("ui-tars", DESKTOP, _ui_tars(ui_tars, at, DESKTOP)), expected, at=at)


def test_typing_quotes_and_non_ascii_is_the_same_text_in_every_family() -> None:
    text = "He said \"it's 5 o'clock\" - Zoë, 北京 ✓"
    expected = actions(
        "qwen3-vl", DESKTOP, call({"action": "type", "text": text}, DESKTOP, "Action: Type.")
    )
    assert expected == [TypeText(text=text)]
    qwen25 = call({"action": "type", "text": text}, DESKTOP, "Action: Type the reply.")
    assert actions("qwen2.5-vl", DESKTOP, qwen25) == expected
    escaped = text.replace("'", "\\'").replace('"', '\\"')
    ui_tars = f"Thought: I type the reply into the focused box.\nAction: type(content='{escaped}')"
    assert actions("ui-tars", DESKTOP, ui_tars) == expected
    # UI-TARS often leaves the inner quotes unescaped; only the closing ') ends the content.
    loose = "Thought: Typing.\nAction: type(content='it's 5 o'clock, Zoë')"
    assert actions("ui-tars", DESKTOP, loose) == [TypeText(text="it's 5 o'clock, Zoë")]
    # A content ending in a new line submits it: typing, then Enter.
    submit = "Thought: Search.\nAction: type(content='北京 weather\\n')"
    assert actions("ui-tars", DESKTOP, submit) == [TypeText(text="北京 weather", press_enter=True)]


def test_a_drag_from_one_point_to_another() -> None:
    start, end = (300, 200), (1400, 760)
    ui_tars = (
        "Thought: I move the slider knob to the right end.\n"
        f"Action: drag(start_box='{box(*start, DESKTOP)}', end_box='{box(*end, DESKTOP)}')"
    )
    truth = [Drag(start=ScreenPoint(x=start[0], y=start[1]), end=ScreenPoint(x=end[0], y=end[1]))]
    assert_same(actions("ui-tars", DESKTOP, ui_tars), truth, at=[start, end])
    # computer_use's drag starts where the pointer is: the same end in both tool frames.
    q3 = call(
        {"action": "left_click_drag", "coordinate": qwen3(*end, DESKTOP)}, DESKTOP, "Action: Drag."
    )
    q25 = call(
        {"action": "left_click_drag", "coordinate": pixels(*end, DESKTOP)}, DESKTOP, "Action: Drag."
    )
    assert_same(actions("qwen2.5-vl", DESKTOP, q25), actions("qwen3-vl", DESKTOP, q3), at=[end])


def test_finishing_with_a_message_keeps_it() -> None:
    answer = "Thought: Done.\nAction: finished(content='The invoice total is \\'€ 41.20\\'.')"
    assert actions("ui-tars", DESKTOP, answer) == [
        Finish(status="success", message="The invoice total is '€ 41.20'.")
    ]


PHONE_CASES = [
    pytest.param(
        {"action": "click", "coordinate": "A"},
        "Thought: The Wi-Fi row opens the network list.\nAction: click(start_box='@')",
        [(540, 612)],
        id="tap",
    ),
    pytest.param(
        {"action": "long_press", "coordinate": "A", "time": 1},
        "Thought: Holding the message shows its menu.\n"
        "Action: long_press(start_box='<|box_start|>@<|box_end|>')",
        [(300, 1800)],
        id="long-press",
    ),
    pytest.param(
        {"action": "system_button", "button": "Home"},
        "Thought: Back to the home screen first.\nAction: press_home()",
        [],
        id="home",
    ),
    pytest.param(
        {"action": "system_button", "button": "Back"},
        "Thought: This is the wrong screen.\nAction: press_back()",
        [],
        id="back",
    ),
    pytest.param(
        {"action": "type", "text": "Zoë's café"},
        "Thought: The search box is focused.\nAction: type(content='Zoë\\'s café')",
        [],
        id="type",
    ),
    pytest.param(
        {"action": "terminate", "status": "success"},
        "Thought: The alarm is set for 7:00.\nAction: finished()",
        [],
        id="finished",
    ),
]


@pytest.mark.parametrize(("arguments", "ui_tars", "at"), PHONE_CASES)
def test_phone_answers_of_every_family_become_the_same_actions(
    arguments: dict[str, Any], ui_tars: str, at: list[tuple[float, float]]
) -> None:
    lead = "Thought: Next.\nAction: Do the next step."
    expected = actions("qwen3-vl", PHONE, call(_fill(arguments, at, PHONE, qwen3), PHONE, lead))
    qwen25 = call(_fill(arguments, at, PHONE, pixels), PHONE, lead)
    assert_same(actions("qwen2.5-vl", PHONE, qwen25), expected, at=at)
    assert_same(actions("ui-tars", PHONE, _ui_tars(ui_tars, at, PHONE)), expected, at=at)


def test_a_phone_swipe_is_the_same_in_every_family() -> None:
    start, end = (540, 1900), (540, 500)
    lead = "Thought: The list goes on below.\nAction: Swipe up."
    q3 = {"action": "swipe", "coordinate": qwen3(*start, PHONE), "coordinate2": qwen3(*end, PHONE)}
    q25 = {
        "action": "swipe",
        "coordinate": pixels(*start, PHONE),
        "coordinate2": pixels(*end, PHONE),
    }
    expected = actions("qwen3-vl", PHONE, call(q3, PHONE, lead))
    assert_same(actions("qwen2.5-vl", PHONE, call(q25, PHONE, lead)), expected, at=[start, end])
    ui_tars = (
        "Thought: The list goes on below; I drag it up.\n"
        f"Action: drag(start_box='{box(*start, PHONE)}', end_box='{box(*end, PHONE)}')"
    )
    assert_same(actions("ui-tars", PHONE, ui_tars), expected, at=[start, end])


def test_opening_an_app_and_scrolling_on_the_phone() -> None:
    opened = call({"action": "open", "text": "Clock"}, PHONE, "Thought: x.\nAction: Open Clock.")
    assert actions("qwen2.5-vl", PHONE, opened) == [OpenApp(app="Clock")]
    ui_tars = "Thought: The alarm lives in Clock.\nAction: open_app(app_name='Clock')"
    assert actions("ui-tars", PHONE, ui_tars) == [OpenApp(app="Clock")]
    scrolled = actions(
        "ui-tars",
        PHONE,
        "Thought: More below.\n"
        f"Action: scroll(start_box='{box(540, 1200, PHONE)}', direction='down')",
    )
    assert_same(
        scrolled,
        [Scroll(direction="down", amount=5, target=ScreenPoint(x=540, y=1200))],
        at=[(540, 1200)],
    )


def test_the_thought_is_kept_as_the_steps_thought() -> None:
    answer = "Thought: The OK button closes the dialog.\nAction: click(start_box='(600,300)')"
    (step,) = planned("ui-tars", DESKTOP, answer)
    assert step.thought == "Thought: The OK button closes the dialog."


def test_steps_so_far_are_shown_in_each_familys_own_frame_and_words() -> None:
    click = Outcome(Step(Click(target=ScreenPoint(x=960, y=540))), ok=True, reason="")
    typed = Outcome(Step(TypeText(text="it's", press_enter=True)), ok=True, reason="")
    geometry = ScreenGeometry.for_screen(*DESKTOP)
    for family, expected in [
        ("qwen2.5-vl", '{"action": "left_click", "coordinate": [658, 364]}'),
        ("ui-tars", "click(start_box='(658,364)')"),
    ]:
        policy = NativePolicy(ScriptedRuntime([]), family=family)  # type: ignore[arg-type]
        frame = geometry.with_image(sent_size(family, DESKTOP))
        shown = policy.shown_history([click, typed], frame)
        assert expected in shown, shown
    ui = NativePolicy(ScriptedRuntime([]), family="ui-tars")
    shown = ui.shown_history([typed], geometry.with_image(sent_size("ui-tars", DESKTOP)))
    assert "type(content='it\\'s\\n')" in shown
    # What UI-TARS is told of a step reads back into the same step.
    (read,) = read_calls("type(content='it\\'s\\n')")
    assert read.arguments == {"content": "it's\n"}
    assert history_text([PastStep(1, "Click.", "click(start_box='(1,2)')", "done")]) == (
        "Step 1: Click. click(start_box='(1,2)') -> done"
    )


# ---------------------------------------------------------------- hostile answers
HOSTILE = [
    "Action: __import__('os').system('rm -rf ~')",
    "Thought: x\nAction: click(start_box='(100,200)",
    "Action: click(start_box=(100,200))",
    "Action: click(start_box='(100,200)'); exec('import os')",
    "Action: type(content='x'); __import__('os')",
    "Action: eval(content='1+1')",
    "Action: click(start_box='(99999,99999)')",
    "Action: click(start_box='(1e308,2)')",
    "Action: click(start_box='(-5,20)')",
    "Action: click(start_box='" + "(1," * 5000 + "')",
    "Action: type(content='" + "a" * (MAX_ANSWER_CHARS + 10) + "')",
    "Action: click(start_box='(1,2)', start_box='(3,4)')",
    "Action: click(point='(1,2)', start_box='(3,4)')",
    "Action: click(start_box='(1,2)', button='right')",
    "Action: scroll(direction='sideways')",
    "Action: " + "wait() " * 20,
    "Action: press_home()",  # a phone call on the desktop
    "Action: ",
    "I think the task is done.",
    "Thought: " + "\\" * 1000,
]


@pytest.mark.parametrize("answer", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_and_garbled_ui_tars_answers_are_refused_never_run(
    answer: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("model output reached eval, exec or compile")

    family = family_named("ui-tars")
    geometry = ScreenGeometry.for_screen(*DESKTOP).with_image(sent_size("ui-tars", DESKTOP))
    refused: Exception | None = None
    with monkeypatch.context() as patched:
        for name in ("eval", "exec", "compile"):
            patched.setattr(builtins, name, never)
        try:
            family.actions(answer, "computer_use", geometry)
        except Exception as error:  # judged below, once the builtins are back
            refused = error
    assert isinstance(refused, ModelParseError), refused
    assert refused.raw == answer
    (step,) = planned("ui-tars", DESKTOP, answer)  # the policy waits and asks again
    assert isinstance(step.action, Wait) and step.thought.startswith("unusable answer")


def test_an_expression_in_typed_content_is_typed_as_written_never_computed() -> None:
    # Read as content whose inner quotes went unescaped: the characters, not 'ab'.
    answer = "Thought: x\nAction: type(content='a' + 'b')"
    assert actions("ui-tars", DESKTOP, answer) == [TypeText(text="a' + 'b")]


@pytest.mark.parametrize(
    "arguments",
    [
        {"action": "left_click", "coordinate": [1317, 10]},  # past the 1316 px image
        {"action": "left_click", "coordinate": [10, -1]},
        {"action": "left_click", "coordinate": ["__import__('os')", 1]},
        {"action": "left_click", "coordinate": [1, 2, 3]},
        {"action": "triple_click_everything"},
    ],
)
def test_qwen25_answers_it_cannot_place_are_refused(arguments: dict[str, Any]) -> None:
    answer = call(arguments, DESKTOP, "Action: Click.")
    geometry = ScreenGeometry.for_screen(*DESKTOP).with_image(sent_size("qwen2.5-vl", DESKTOP))
    with pytest.raises(ModelParseError) as refused:
        family_named("qwen2.5-vl").actions(answer, "computer_use", geometry)
    assert refused.value.raw == answer


def test_an_open_without_an_app_is_refused() -> None:
    answer = call({"action": "open", "text": ""}, PHONE, "Action: Open.")
    geometry = ScreenGeometry.for_screen(*PHONE).with_image(sent_size("qwen2.5-vl", PHONE))
    with pytest.raises(ModelParseError):
        family_named("qwen2.5-vl").actions(answer, "mobile_use", geometry)


# ---------------------------------------------------------------- which family
@pytest.mark.parametrize(
    ("model", "server", "family"),
    [
        ("ByteDance-Seed/UI-TARS-1.5-7B", None, "ui-tars"),
        ("ui_tars_1.5", "http://127.0.0.1:8000/v1", "ui-tars"),
        ("Qwen/Qwen2.5-VL-7B-Instruct", "http://127.0.0.1:8000/v1", "qwen2.5-vl"),
        ("Qwen/Qwen2.5-VL-72B-Instruct-AWQ", None, "qwen2.5-vl"),
        ("Qwen/Qwen3-VL-4B-Instruct", None, "qwen3-vl"),
        ("my-finetune", "http://127.0.0.1:8000/v1", "qwen3-vl"),
        (None, None, "qwen3-vl"),
    ],
)
def test_the_family_follows_the_models_name(
    model: str | None, server: str | None, family: str
) -> None:
    assert detect_family(model, server=server) == family
    assert choose_family(None, model, server).name == family


def test_a_local_checkpoint_says_its_family_in_its_config(tmp_path: Path) -> None:
    def checkpoint(name: str, config: str) -> str:
        folder = tmp_path / name
        folder.mkdir()
        (folder / "config.json").write_text(config, encoding="utf-8")
        return str(folder)

    assert detect_family(checkpoint("mine", '{"model_type": "qwen2_5_vl"}')) == "qwen2.5-vl"
    assert detect_family(checkpoint("UI-TARS-1.5-7B", '{"model_type": "qwen2_5_vl"}')) == "ui-tars"
    assert (
        detect_family(checkpoint("Qwen2.5-VL-renamed", '{"model_type": "qwen3_vl"}')) == "qwen3-vl"
    )
    assert detect_family(checkpoint("moe", '{"model_type": "qwen3_vl_moe"}')) == "qwen3-vl"
    assert detect_family(checkpoint("broken", "{not json")) == "qwen3-vl"


def test_a_family_is_named_or_refused() -> None:
    assert [choose_family(name, None, None).name for name in FAMILIES] == list(FAMILIES)
    with pytest.raises(InvalidInputError, match="'gpt-4o' is not one of qwen3-vl"):
        choose_family("gpt-4o", None, None)


def test_the_local_runtime_still_refuses_a_qwen25_checkpoint() -> None:
    # Qwen2.5-VL and UI-TARS run behind --server; the local runtime loads Qwen3-VL only.
    with pytest.raises(ModelRuntimeError, match="runs Qwen3-VL"):
        model_type(SimpleNamespace(model_type="qwen2_5_vl"))


# ---------------------------------------------------------------- --family reaches the policy
def test_make_policy_hands_the_family_to_the_native_policy() -> None:
    family = choose_family("ui-tars", None, None)
    policy = make_policy(
        "native", ScriptedRuntime([]), device="android:X", family=family,
        budget=VisualBudget(max_tokens=1000),
    )  # fmt: skip
    assert isinstance(policy, NativePolicy) and policy.family is family
    assert policy.tool == "mobile_use" and policy.budget.token_side == 28


def test_run_family_reaches_the_policy_and_the_runtime(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from screenpilot.cli import agent_commands, app

    seen: dict[str, Any] = {}

    def load_runtime(model: Any, server: Any, budget: Any = None, **_: Any) -> ScriptedRuntime:
        seen["budget"] = budget
        return ScriptedRuntime([])

    def drive(device: str, policy: Any, instruction: str, **_: Any) -> Any:
        seen["policy"] = policy
        return SimpleNamespace(ok=True, status="success", message="ok", steps=0,
                               model_calls=0, seconds=0.0, report=None, folder=None)  # fmt: skip

    monkeypatch.setattr(agent_commands, "load_runtime", load_runtime)
    monkeypatch.setattr(agent_commands, "_drive", drive)
    server = ["--server", "http://127.0.0.1:9/v1", "--policy", "native"]
    result = CliRunner().invoke(app, ["run", "open Settings", *server, "--family", "ui-tars"])
    assert result.exit_code == 0, result.output
    assert seen["policy"].family.name == "ui-tars"
    assert seen["budget"].token_side == 28  # the runtime sends what UI-TARS measures on
    result = CliRunner().invoke(
        app, ["run", "open Settings", *server, "--model", "Qwen/Qwen2.5-VL-7B-Instruct"]
    )
    assert result.exit_code == 0, result.output
    assert seen["policy"].family.name == "qwen2.5-vl"
    result = CliRunner().invoke(app, ["run", "open Settings", *server])
    assert result.exit_code == 0, result.output
    assert seen["policy"].family.name == "qwen3-vl" and seen["budget"].token_side == 32


def test_an_unknown_family_is_bad_input_before_anything_starts() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    result = subprocess.run(
        [sys.executable, "-m", "screenpilot", "run", "open Settings", "--server",
         "http://127.0.0.1:9/v1", "--family", "llava"],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "llava" in result.stderr and "qwen2.5-vl" in result.stderr
