"""What Qwen3-VL is shown (fast tier): the steps so far in the tool's own frame and words,
checked against a golden rendering; the response-format block of both tools; a person's own
prompt text from `--prompt-file`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from screenpilot.agent.assembly import make_policy, read_prompt_file
from screenpilot.errors import InvalidInputError
from screenpilot.models.prompts import (
    PromptFile,
    action_sentence,
    call_sentence,
    response_format,
    tool_system_prompt,
)
from screenpilot.models.runtime import GREEDY, Generation, Message, Sampling
from screenpilot.models.tool_calls import ToolName
from screenpilot.perception.geometry import ScreenGeometry
from screenpilot.perception.screenshot import Observation, Screenshot
from screenpilot.policies.base import Outcome
from screenpilot.policies.model_policies import NativePolicy, PlannedPolicy
from screenpilot.trajectory.store import Trajectory
from tests.fake_device import FakeDesktop, Widget, fast_agent
from tests.scripted_runtime import ScriptedRuntime

GOLDEN = Path(__file__).resolve().parent / "golden"


def form() -> FakeDesktop:
    """A 640x480 form: the Name entry's middle (250, 30) is (391, 62) in the 0..1000 frame,
    the OK button's (345, 165) is (539, 344)."""
    return FakeDesktop(
        [
            Widget("text", "Name", (20, 20, 80, 40)),
            Widget("entry", "", (100, 18, 400, 42)),
            Widget("button", "OK", (300, 150, 390, 180)),
        ]
    )


def answer(lead: str, tool: str = "computer_use", **arguments: object) -> str:
    """An answer as Qwen3-VL writes one: its sentences, then the call."""
    body = json.dumps({"name": tool, "arguments": arguments}, ensure_ascii=False)
    return f"{lead}\n<tool_call>\n{body}\n</tool_call>"


def texts(messages: Sequence[Message], role: str) -> str:
    return "".join(
        part for m in messages if m.role == role for part in m.content if isinstance(part, str)
    )


def screen(width: int = 640, height: int = 480) -> Observation:
    geometry = ScreenGeometry.for_screen(width, height)
    return Observation(Screenshot(np.zeros((height, width, 3), np.uint8), geometry, 0.0))


# ------------------------------------------------------------------ the steps so far
def test_three_steps_are_shown_in_the_tool_frame_with_the_models_own_words(
    tmp_path: Path,
) -> None:
    device = form()
    runtime = ScriptedRuntime(
        [
            answer(
                "Action: Click the empty Name field.", action="left_click", coordinate=[391, 62]
            ),
            answer("Action: Type the name Zoë 北京.", action="type", text="Zoë 北京"),
            "The form looks filled in; nothing to call.",  # unusable: a wait not the model's
            answer("Action: Press OK to save.", action="left_click", coordinate=[539, 344]),
            answer("Action: The form is saved.", action="terminate", status="success"),
        ]
    )
    result = fast_agent(device, NativePolicy(runtime), tmp_path).run(
        "type Zoë 北京 into Name, then press OK"
    )
    assert result.status == "success" and result.steps == 5, result.message
    assert device.widgets[1].value == "Zoë 北京" and device.widgets[2].presses == 1
    shown = texts(runtime.sent[3], "user")
    # The file ends with a newline, as text files do; the prompt does not.
    assert shown + "\n" == (GOLDEN / "native_history_computer_use.txt").read_text(encoding="utf-8")
    # What the history is made from is what the trajectory keeps: the answer's own words.
    steps = Trajectory.load(result.folder).steps  # type: ignore[arg-type]
    assert steps[0].thought == "Action: Click the empty Name field."
    assert steps[2].thought.startswith("unusable answer")


def test_a_masked_step_is_told_in_our_words_so_its_secret_stays_out(tmp_path: Path) -> None:
    runtime = ScriptedRuntime(
        [
            answer("Action: Click the Name field.", action="left_click", coordinate=[391, 62]),
            answer("Action: Type s3cr3t-Zoë.", action="type", text="s3cr3t-Zoë"),
            answer("Action: Stop.", action="terminate", status="success"),
        ]
    )
    result = fast_agent(form(), NativePolicy(runtime), tmp_path, secrets=["s3cr3t-Zoë"]).run(
        "fill the name"
    )
    assert result.status == "success", result.message
    shown = texts(runtime.sent[2], "user")
    assert "s3cr3t" not in shown
    assert 'Step 2: Type "•••". {"name": "computer_use", "arguments": {"action": "type", ' in shown
    assert "Step 1: Click the Name field. " in shown  # nothing masked: the model's own words


class Recorder:
    """A runtime that keeps what it was sent and gives the answers it was handed."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.sent: list[Sequence[Message]] = []

    def generate(
        self, messages: Sequence[Message], sampling: Sampling = GREEDY, **_: object
    ) -> Generation:
        self.sent.append(messages)
        return Generation.from_raw(self.answers.pop(0) if self.answers else "[]")


def test_a_step_is_shown_in_the_frame_of_the_screenshot_the_model_saw() -> None:
    runtime = Recorder(
        answer("Thought: It is there.\nAction: Tap Settings.", "mobile_use",
               action="click", coordinate=[250, 800]),
        answer("Thought: Done.\nAction: Stop.", "mobile_use", action="terminate",
               status="success"),
    )  # fmt: skip
    policy = NativePolicy(runtime, tool="mobile_use")
    tap = policy.plan("open Settings", screen(1080, 2400), []).steps[0]
    # The phone turned sideways: the tap is still told as the model wrote it.
    policy.plan("open Settings", screen(2400, 1080), [Outcome(tap, True, "changed", 1)])
    shown = texts(runtime.sent[1], "user")
    assert shown == (
        "The user query: open Settings\n"
        "Task progress (the steps already done on this phone):\n"
        'Step 1: Tap Settings. {"name": "mobile_use", "arguments": {"action": "click", '
        '"coordinate": [250, 800]}} -> done'
    )


def test_a_step_not_from_the_model_gets_our_words_and_no_pixels() -> None:
    from screenpilot.actions.vocabulary import Click, Scroll, TypeText
    from screenpilot.perception.geometry import ScreenPoint
    from screenpilot.policies.base import Step

    runtime = Recorder(answer("Action: Stop.", action="terminate", status="success"))
    history = [
        Outcome(Step(Click(target=ScreenPoint(x=1674.24, y=900), count=2)), True, "ok", 1),
        Outcome(Step(Scroll(direction="down", amount=3)), False, "no visible effect", 2),
        Outcome(Step(TypeText(text="bob", target=ScreenPoint(x=1500, y=40))), True, "ok", 3),
        Outcome(Step(TypeText(text="bob", target="the Email field")), True, "ok", 4),
    ]
    NativePolicy(runtime).plan("fill the form", screen(1920, 1080), history)
    lines = texts(runtime.sent[0], "user").split("Previous actions:\n")[1].splitlines()
    assert lines == [
        'Step 1: Double-click (872, 833). {"name": "computer_use", "arguments": '
        '{"action": "double_click", "coordinate": [872, 833]}} -> done',
        'Step 2: Scroll down 3. {"name": "computer_use", "arguments": {"action": "scroll", '
        '"pixels": -3}} -> FAILED: no visible effect',
        "Step 3: A type step (computer_use has no call for it). -> done",
        "Step 4: type 'bob' into the Email field (computer_use has no call for it). -> done",
    ]
    assert "1674" not in texts(runtime.sent[0], "user")


@pytest.mark.parametrize(
    ("said", "sentence"),
    [
        ("Thought: the field is empty.\nAction: Click the Name field.", "Click the Name field."),
        ("1) Thought: x\n2) **Action:** Tap OK.", "Tap OK."),
        ("Thought: go on. Action: Press Enter.", "Press Enter."),
        ("I will click it.", None),
        ("", None),
    ],
)
def test_the_action_sentence_is_read_from_the_answer(said: str, sentence: str | None) -> None:
    assert action_sentence(said) == sentence


def test_our_sentence_for_each_call_uses_the_calls_own_numbers() -> None:
    def said(tool: str, **arguments: object) -> str:
        return call_sentence({"name": tool, "arguments": arguments})

    assert said("computer_use", action="key", keys=["ctrl", "s"]) == "Press ctrl+s."
    assert said("computer_use", action="left_click") == "Click where the pointer is."
    assert said("computer_use", action="hscroll", pixels=2, coordinate=[5, 6]) == (
        "Scroll right 2 at (5, 6)."
    )
    assert said("mobile_use", action="swipe", coordinate=[1, 2], coordinate2=[3, 4]) == (
        "Swipe from (1, 2) to (3, 4)."
    )
    assert said("mobile_use", action="system_button", button="Back") == "Press the Back button."


# ------------------------------------------------------------------ the response format
@pytest.mark.parametrize(
    ("tool", "parts"), [("computer_use", ["Action"]), ("mobile_use", ["Thought", "Action"])]
)
def test_the_response_format_block_closes_the_system_prompt(
    tool: ToolName, parts: list[str]
) -> None:
    runtime = Recorder(answer("Action: Stop.", tool, action="terminate", status="success"))
    NativePolicy(runtime, tool=tool).plan("open Settings", screen(), [])
    system = texts(runtime.sent[0], "system")
    assert system == tool_system_prompt(tool)
    block = response_format(tool)
    # Where the cookbooks put it: after the tool declaration and the call format, last.
    assert system.endswith("</tool_call>\n\n" + block)
    assert block.startswith("# Response format\n")
    numbered = [line for line in block.splitlines() if line[:1].isdigit()]
    # The parts in order - the sentences, then the call - numbered from 1.
    assert [line.split(" ")[1] for line in numbered[:-1]] == [f"{part}:" for part in parts]
    assert [line.split(")")[0] for line in numbered] == [str(n) for n in range(1, len(parts) + 2)]
    assert "<tool_call></tool_call>" in numbered[-1]
    assert ("Thought:" in block) == (tool == "mobile_use")
    assert f"call {tool} with action=terminate" in block
    # The user turn no longer repeats it.
    assert "Thought" not in texts(runtime.sent[0], "user")


# ------------------------------------------------------------------ a person's own prompt
def test_a_prompt_file_replaces_the_user_turn_and_fills_its_placeholders(tmp_path: Path) -> None:
    path = tmp_path / "prompt.txt"
    path.write_text(
        "Task: {instruction}\nDone so far:\n{history}\n"
        'Answer like {"name": "computer_use", ...}; {{instruction}} stays as written.\n',
        encoding="utf-8",
    )
    prompt = read_prompt_file(path, "native")
    runtime = Recorder(answer("Action: Stop.", action="terminate", status="success"))
    policy = make_policy("native", runtime, prompt=prompt)
    policy.plan("say {history} to me", screen(), [])
    sent = runtime.sent[0]
    assert texts(sent, "system") == tool_system_prompt("computer_use")  # kept built in
    assert texts(sent, "user") == (
        "Task: say {history} to me\nDone so far:\nNone\n"
        'Answer like {"name": "computer_use", ...}; {instruction} stays as written.'
    )


def test_a_prompt_file_can_replace_the_system_prompt_too(tmp_path: Path) -> None:
    path = tmp_path / "prompt.txt"
    path.write_text(
        "[system]\nYou drive a {device}.\n<tools>\n{tools}\n</tools>\n"
        "[user]\nThe user query: {instruction}\n",
        encoding="utf-8",
    )
    runtime = Recorder(answer("Action: Stop.", action="terminate", status="success"))
    NativePolicy(runtime, prompt=PromptFile.read(path)).plan("open Settings", screen(), [])
    system, user = texts(runtime.sent[0], "system"), texts(runtime.sent[0], "user")
    assert system.startswith("You drive a desktop computer.\n<tools>\n{")
    declared = json.loads(system.split("<tools>\n")[1].split("\n</tools>")[0])
    assert declared["function"]["name"] == "computer_use"
    assert user == "The user query: open Settings"
    # The planned policy takes one too, with its own placeholders.
    path.write_text("Plan for a {device} using {actions}: {instruction}", encoding="utf-8")
    planner = Recorder("[]")
    PlannedPolicy(planner, prompt=read_prompt_file(path, "planned")).plan("x", screen(), [])
    sent = planner.sent[0]
    assert [m.role for m in sent] == ["user"]
    assert texts(sent, "user").startswith("Plan for a desktop computer using click, ")


@pytest.mark.parametrize(
    ("text", "policy", "message"),
    [
        ("Do {instruction} in {colour}.", "native", "{colour} is not a placeholder (known: "),
        ("{instruction} {actions}", "native", "{actions} cannot be filled by the native policy"),
        ("{instruction} {tools}", "planned", "{tools} cannot be filled by the planned policy"),
        ("Just click OK.", "native", "holds no {instruction}"),
        ("", "native", "it is empty"),
        ("[user]\n{instruction}\n[user]\nagain", "native", "more than one [user] line"),
        ("hello\n[system]\nx", "native", "text comes before its first [system] line"),
        ("[system]\n\n[user]\n{instruction}", "native", "its [system] part is empty"),
        ("{instruction}", "rules", "the rules policy asks no model"),
    ],
)
def test_a_bad_prompt_file_is_refused_naming_the_file_and_the_problem(
    tmp_path: Path, text: str, policy: str, message: str
) -> None:
    path = tmp_path / "prompt.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInputError) as caught:
        read_prompt_file(path, policy)
    assert message in str(caught.value)
    if policy != "rules":
        assert str(caught.value).startswith(f"invalid prompt file {path}: ")


def test_a_missing_or_unreadable_prompt_file_is_refused(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.txt"
    with pytest.raises(InvalidInputError, match=r"nowhere\.txt: cannot read it"):
        read_prompt_file(missing, "native")
    binary = tmp_path / "prompt.bin"
    binary.write_bytes(b"\xff\xfe{instruction}")
    with pytest.raises(InvalidInputError, match=r"prompt\.bin: it is not UTF-8 text"):
        read_prompt_file(binary, "native")


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["COLUMNS"] = "200"
    return subprocess.run(
        [sys.executable, "-m", "screenpilot", *args],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip


def test_run_refuses_a_bad_prompt_file_before_anything_starts(tmp_path: Path) -> None:
    server = ("--server", "http://127.0.0.1:9/v1", "--policy", "native")
    out = ("--output", str(tmp_path / "runs"))
    missing = run_cli("run", "press OK", *server, "--prompt-file", str(tmp_path / "no.txt"), *out)
    assert missing.returncode == 2, missing.stderr
    assert "no.txt: cannot read it" in missing.stderr
    (tmp_path / "p.txt").write_text("{instruction} {colour}", encoding="utf-8")
    unknown = run_cli("run", "press OK", *server, "--prompt-file", str(tmp_path / "p.txt"), *out)
    assert unknown.returncode == 2 and "{colour} is not a placeholder" in unknown.stderr
    assert not (tmp_path / "runs").exists()
    assert "--prompt-file" in run_cli("run", "--help").stdout
