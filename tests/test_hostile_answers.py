"""Hostile Qwen3-VL answers (issue 16, item 4): whatever the model or its server says, reading
it ends in a project error that the policies record as an unusable answer, and a run fed
nothing but such answers ends cleanly with its report. The red team's cases first, then a
fuzz of generated answers through every parse path (native tool calls to actions, grounding,
the planner's list of actions), then whole runs on the fake desktop: hostile answers to both
model policies, a server whose content is not text, an X server lost mid-run."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screenpilot.actions.vocabulary import ACTION_ADAPTER, ACTION_TYPES
from screenpilot.agent.loop import Agent, Budgets
from screenpilot.errors import DeviceLostError, ScreenpilotError
from screenpilot.models.openai_client import OpenAIRuntime
from screenpilot.models.parsing import ModelParseError, parse_grounding, parse_tool_calls
from screenpilot.models.runtime import Message, ModelRuntimeError
from screenpilot.models.tool_calls import (
    COMPUTER_USE_ACTIONS,
    MOBILE_USE_ACTIONS,
    tool_call_to_action,
)
from screenpilot.perception.geometry import ScreenGeometry, Size
from screenpilot.policies.model_policies import NativePolicy, PlannedPolicy
from screenpilot.trajectory.store import Trajectory
from tests.fake_device import FakeDesktop, Widget, fast_agent
from tests.scripted_runtime import ScriptedRuntime, tool_call

DESKTOP = ScreenGeometry.for_screen(1920, 1080).with_image(Size(width=1504, height=832))


def to_actions(text: str) -> list[Any]:
    """The native policy's path from an answer to actions."""
    return [tool_call_to_action(c, DESKTOP) for c in parse_tool_calls(text)]


def planned(text: str) -> list[Any]:
    """The planned policy's path from an answer to actions."""
    return PlannedPolicy._actions(text)


def wrapped(arguments: str, name: str = "computer_use") -> str:
    return (
        f'Thought: go.\n<tool_call>\n{{"name": "{name}", "arguments": {arguments}}}\n</tool_call>'
    )


HUGE = "9" * 5000  # past Python's 4300-digit limit on int("...")
LONG = "9" * 400  # an int too large for a float (1e400)

# The red team's answers: each crashed a run with a traceback before (ValueError from int
# parsing, OverflowError from float(), TypeError from a reply whose content is not text).
RED_TEAM: list[tuple[str, Callable[[str], object], str, str]] = [
    (
        "5000-digit coordinate",
        to_actions,
        wrapped(f'{{"action": "left_click", "coordinate": [{HUGE}, 10]}}'),
        "5000 characters long",
    ),
    (
        "5000-digit scroll",
        to_actions,
        wrapped(f'{{"action": "scroll", "pixels": -{HUGE}}}'),
        "5001 characters long",
    ),
    ("5000-digit box", parse_grounding, f'{{"bbox_2d": [{HUGE}, 1, 2, 3]}}', "characters long"),
    ("400-digit box", parse_grounding, f'[{{"bbox_2d": [1, 2, {LONG}, 3]}}]', "characters long"),
    ("400-digit point", parse_grounding, f'{{"point_2d": [{LONG}, 3]}}', "characters long"),
    (
        "5000-digit plan",
        planned,
        f'[{{"type": "scroll", "direction": "down", "amount": {HUGE}}}]',
        "characters long",
    ),
]


@pytest.mark.parametrize(
    ("parse", "answer", "reason"),
    [case[1:] for case in RED_TEAM],
    ids=[case[0] for case in RED_TEAM],
)
def test_the_red_team_s_answers_are_parse_errors(
    parse: Callable[[str], object], answer: str, reason: str
) -> None:
    with pytest.raises(ModelParseError) as info:
        parse(answer)
    assert reason in str(info.value)
    assert info.value.raw == answer
    assert len(str(info.value)) < 1000  # the message stays readable, the raw text is kept


# ------------------------------------------------------------------------ the fuzz
# Cheap strategies that reach deep into the parsers: calls shaped like the tools' own, whose
# values are drawn from the shapes a model should never write (numbers thousands of digits
# long, NaN, nested lists and objects where scalars belong, long strings, nulls) beside
# ordinary ones, plus JSON nested thousands deep and bracket junk. Values are picked from a
# fixed list so that thousands of answers take seconds, not minutes. These 6,000 and
# test_parsing's 4,000 mangled and arbitrary texts make the suite's 10,000 answers.
_SCALARS = [
    "0", "1", "-1", "500", "1000", "1001", "999.5", "1e3", "-0.0", "1e-400", "1.5", "2",
    "NaN", "Infinity", "-Infinity", "1e999", "-1e400", "9" * 41, "9" * 309, "9" * 400,
    "9" * 4301, "-" + "9" * 5000, "0." + "1" * 500, "1" + "0" * 300 + ".5", "true", "null",
    '""', '"ctrl"', '"enter"', '"Back"', '"Power"', '"success"', '"left_click"', '"a\\u0007b"',
    '"Ök 删除"', '"\\ud800"', json.dumps("x" * 150_000), json.dumps("[" * 2000),
]  # fmt: skip
_VALUES = [
    *_SCALARS,
    *(f"[{a}, {b}]" for a in ("1", "500", "9" * 400, "NaN", "[1]", '"1"') for b in ("2", "1e999")),
    "[1, 2, 3]", "[]", "{}", '{"x": 1, "y": 2}', '[["ctrl"], {"s": 1}]', '["ctrl", "s"]',
    '["ctrl", "ctrl"]', '[[[[[[[[1]]]]]]]]', "[" * 40 + "]" * 40, '{"a": ' * 40 + "1" + "}" * 40,
]  # fmt: skip
_PARAMETERS = [
    "coordinate", "coordinate2", "keys", "text", "pixels", "time", "status", "button", "action",
]  # fmt: skip
_value = st.sampled_from(_VALUES)
_CALLS = [(n, a) for n in ("computer_use",) for a in COMPUTER_USE_ACTIONS] + [
    ("mobile_use", a) for a in MOBILE_USE_ACTIONS
]
_GIVEN = [chosen for size in (0, 1, 2, 3) for chosen in itertools.combinations(_PARAMETERS, size)]
# The planner writes actions of the vocabulary: every field any of them has.
_FIELDS = sorted(
    {name for d in ACTION_ADAPTER.json_schema()["$defs"].values() for name in d["properties"]}
    - {"type"}
)
_PLAN_GIVEN = [chosen for size in (0, 1, 2) for chosen in itertools.combinations(_FIELDS, size)]


@st.composite
def hostile_answers(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["call", "call", "call", "call", "box", "plan", "deep", "junk"]))
    if kind == "deep":
        depth = draw(st.sampled_from([33, 200, 990, 1200, 20_000]))
        opener = draw(st.sampled_from(["[", '{"a": ', '[{"name": ', "[1, ", '[ "]", ']))
        return opener * depth + draw(st.sampled_from(["", "1", "x", "]" * depth]))
    if kind == "junk":
        return draw(st.text(st.sampled_from('{}[]":,019-eE.<>tool_cal/ N'), max_size=40))
    if kind == "box":
        key = draw(st.sampled_from(["bbox_2d", "point_2d"]))
        return f'[{{"{key}": {draw(_value)}, "label": {draw(_value)}}}]'
    if kind == "plan":
        fields = "".join(f', "{k}": {draw(_value)}' for k in draw(st.sampled_from(_PLAN_GIVEN)))
        return f'[{{"type": "{draw(st.sampled_from(ACTION_TYPES))}"{fields}}}]'
    name, action = draw(st.sampled_from(_CALLS))
    given_ = "".join(f', "{k}": {draw(_value)}' for k in draw(st.sampled_from(_GIVEN)))
    return wrapped(f'{{"action": "{action}"{given_}}}', name)


@pytest.mark.integration  # 6,000 answers: the slow tier (the suite still runs them)
@settings(max_examples=6_000, deadline=None)
@given(hostile_answers())
def test_only_project_errors_escape_the_way_from_an_answer_to_actions(answer: str) -> None:
    for parse in (to_actions, parse_grounding, planned):
        try:
            parse(answer)
        except ModelParseError as error:
            assert error.raw == answer
        except ScreenpilotError:
            pass  # InvalidInputError and the like: the policies record them as unusable


# ------------------------------------------------------------------- whole runs


def form() -> FakeDesktop:
    return FakeDesktop(
        [
            Widget("text", "Name", (20, 20, 80, 40)),
            Widget("entry", "", (100, 18, 400, 42)),
            Widget("button", "OK", (300, 150, 390, 180)),
        ]
    )


def agent(
    device: FakeDesktop, policy: Any, tmp_path: Path, budgets: Budgets | None = None
) -> Agent:
    return fast_agent(device, policy, tmp_path, budgets=budgets)


HOSTILE = [
    wrapped(f'{{"action": "left_click", "coordinate": [{HUGE}, 10]}}'),
    wrapped('{"action": "key", "keys": [["ctrl"], {"s": 1}]}'),
    "[" * 50_000,
    wrapped('{"action": "wait", "time": NaN}'),
]


def test_a_run_fed_hostile_answers_records_them_as_unusable_and_ends_cleanly(
    tmp_path: Path,
) -> None:
    runtime = ScriptedRuntime([*HOSTILE, tool_call("terminate", status="failure")])
    result = agent(form(), NativePolicy(runtime), tmp_path).run("press OK")
    assert result.status == "failure", result.message
    assert result.model_calls == len(HOSTILE) + 1
    run = Trajectory.load(result.folder)  # type: ignore[arg-type]
    unusable = [s for s in run.steps if s.thought.startswith("unusable answer")]
    assert len(unusable) == len(HOSTILE)
    assert [s.raw for s in unusable] == HOSTILE  # each kept whole for the record
    assert run.end is not None and run.end.status == "failure"
    assert result.report is not None and result.report.exists()


def test_a_planned_run_fed_hostile_plans_records_them_as_unusable_and_ends_cleanly(
    tmp_path: Path,
) -> None:
    plans = [
        f'[{{"type": "scroll", "direction": "down", "amount": {HUGE}}}]',
        '[{"type": "click", "target": {"x": [1e999]}}]',
        '[{"type": "wait", "seconds": NaN}]',
        '[{"type": "finish", "status": "failure", "message": "gave up"}]',
    ]
    result = agent(form(), PlannedPolicy(ScriptedRuntime(plans)), tmp_path).run("press OK")
    assert (result.status, result.message) == ("failure", "gave up")
    steps = Trajectory.load(result.folder).steps  # type: ignore[arg-type]
    assert [s.thought.startswith("unusable plan") for s in steps] == [True, True, True, False]
    assert result.report is not None and result.report.exists()


def test_a_run_of_nothing_but_hostile_answers_ends_on_its_budget(tmp_path: Path) -> None:
    runtime = ScriptedRuntime(HOSTILE * 3)
    result = agent(form(), NativePolicy(runtime), tmp_path, budgets=Budgets(max_steps=4)).run(
        "press OK"
    )
    assert result.status == "budget" and "step budget of 4" in result.message
    assert result.report is not None and result.report.exists()


def served(content: object) -> OpenAIRuntime:
    """A client whose server answers every request with this `content`."""
    reply = {"choices": [{"message": {"role": "assistant", "content": content}}]}
    return OpenAIRuntime(
        "http://gpu-box:8000/v1",
        transport=httpx.MockTransport(lambda request: httpx.Response(200, json=reply)),
        sleep=lambda seconds: None,
    )


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (7, "a number"),
        (3.5, "a number"),
        (True, "a bool"),
        ({"text": "hi"}, "an object"),
        ([{"type": "text", "text": 5}], "a text part whose text is a number"),
        (["hi", 3], "a part that is a number"),
    ],
)
def test_a_reply_whose_content_is_not_text_is_a_sentence(content: object, said: str) -> None:
    with pytest.raises(ModelRuntimeError) as info:
        served(content).generate([Message.user("hi")])
    assert said in str(info.value) and "gpu-box" in str(info.value)


def test_a_reply_in_text_parts_is_read_as_their_text_joined() -> None:
    parts = [
        {"type": "text", "text": "Thought: go.\n<tool_call>\n"},
        {"type": "image_url", "image_url": {"url": "data:,"}},
        {"type": "text", "text": tool_call("wait", time=1).split("<tool_call>\n")[1]},
    ]
    answer = served(parts).generate([Message.user("hi")])
    assert answer.text.startswith("Thought: go.\n<tool_call>\n{")
    assert [type(a).__name__ for a in to_actions(answer.text)] == ["Wait"]


def test_a_run_whose_server_answers_a_number_ends_as_error_with_a_sentence(
    tmp_path: Path,
) -> None:
    result = agent(form(), NativePolicy(served(12345)), tmp_path).run("press OK")
    assert result.status == "error" and "content is a number" in result.message
    assert "Traceback" not in result.message and "\n" not in result.message
    assert result.report is not None and result.report.exists()


class LostMidRun(FakeDesktop):
    """A desktop whose X server goes away after `after` screenshots, with `reason`."""

    def __init__(self, after: int, reason: str) -> None:
        super().__init__(form().widgets)
        self.after, self.reason = after, reason

    def screenshot(self) -> Any:
        if self.shots >= self.after:
            raise DeviceLostError(self.reason)
        return super().screenshot()


def test_a_lost_x_server_mid_run_ends_as_error_with_its_reason_in_the_record(
    tmp_path: Path,
) -> None:
    reason = "the X server at :99 went away (connection reset)"
    runtime = ScriptedRuntime(
        [tool_call("left_click", coordinate=[539, 344]), tool_call("wait", time=1)] * 3
    )
    result = agent(LostMidRun(3, reason), NativePolicy(runtime), tmp_path).run("press OK")
    assert result.status == "error" and result.message == reason
    run = Trajectory.load(result.folder)  # type: ignore[arg-type]
    assert run.end is not None and run.end.status == "error" and run.end.message == reason
    assert run.steps and run.steps[-1].failure == "environment"
    assert run.steps[-1].reason == reason
    assert result.report is not None and result.report.exists()
