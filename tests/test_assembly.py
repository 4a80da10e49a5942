"""Turning the words a person typed (device, policy, model settings) into a run's pieces."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from screenpilot.agent.assembly import check_device_spec, choose_policy, make_policy
from screenpilot.errors import InvalidInputError
from screenpilot.models.runtime import GREEDY, Generation, Sampling
from screenpilot.perception.geometry import ScreenGeometry
from screenpilot.perception.screenshot import Observation, Screenshot
from screenpilot.policies.model_policies import THINKING_TOKENS, NativePolicy, PlannedPolicy
from screenpilot.policies.rules import RulesPolicy


class Recorder:
    """A runtime that only remembers how it was asked."""

    def __init__(self) -> None:
        self.asked: list[Sampling] = []
        self.thinks = False

    def generate(self, messages: Any, sampling: Sampling = GREEDY, **_: Any) -> Generation:
        self.asked.append(sampling)
        return Generation.from_raw("[]")


def test_device_names() -> None:
    assert check_device_spec("desktop") == ("desktop", None)
    assert check_device_spec("android") == ("android", None)
    assert check_device_spec("android:R58M123") == ("android", "R58M123")
    for wrong in ("phone", "desktop:2", "", "Android"):
        with pytest.raises(InvalidInputError, match="desktop, android or android:SERIAL"):
            check_device_spec(wrong)


def test_the_policy_follows_the_model_unless_named() -> None:
    assert choose_policy(None, has_model=False) == "rules"
    assert choose_policy(None, has_model=True) == "planned"
    assert choose_policy("native", has_model=True) == "native"
    with pytest.raises(InvalidInputError, match="needs a model"):
        choose_policy("planned", has_model=False)
    with pytest.raises(InvalidInputError, match="not one of rules, native, planned"):
        choose_policy("yolo", has_model=True)


def test_model_settings_reach_the_model() -> None:
    assert isinstance(make_policy("rules", None), RulesPolicy)
    runtime = Recorder()
    native = make_policy("native", runtime, device="android:X", temperature=0.7, thinking=True)
    assert isinstance(native, NativePolicy) and native.tool == "mobile_use"
    planned = make_policy("planned", runtime, temperature=0.0)
    assert isinstance(planned, PlannedPolicy)
    screen = Observation(
        Screenshot(np.zeros((720, 1280, 3), np.uint8), ScreenGeometry.for_screen(1280, 720), 0.0)
    )
    native.plan("open settings", screen, [])
    planned.plan("open settings", screen, [])
    thinking, plain = runtime.asked
    assert thinking.thinking and thinking.temperature == 0.7
    assert thinking.max_new_tokens == 512 + THINKING_TOKENS
    assert not plain.thinking and plain.greedy and plain.max_new_tokens == 1024


def test_a_server_runtime_sends_the_key_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from screenpilot.agent.assembly import make_runtime
    from screenpilot.models.openai_client import OpenAIRuntime

    assert make_runtime(None, None) is None
    monkeypatch.setenv("OPENAI_API_KEY", "sk-local")
    runtime = make_runtime(None, "http://127.0.0.1:9/v1")
    assert isinstance(runtime, OpenAIRuntime) and runtime.api_key == "sk-local"
    assert runtime.model == "Qwen/Qwen3-VL-4B-Instruct"
    monkeypatch.delenv("OPENAI_API_KEY")
    assert make_runtime("m", "http://127.0.0.1:9/v1").api_key is None  # type: ignore[union-attr]


def test_a_thinking_runtime_gets_the_thinking_budget_unasked() -> None:
    runtime = Recorder()
    policy = make_policy("planned", runtime, thinking_tokens=3000)
    screen = Observation(
        Screenshot(np.zeros((720, 1280, 3), np.uint8), ScreenGeometry.for_screen(1280, 720), 0.0)
    )
    policy.plan("open settings", screen, [])
    runtime.thinks = True  # what a runtime learns of a Thinking checkpoint
    policy.plan("open settings", screen, [])
    plain, thinker = runtime.asked
    assert plain.max_new_tokens == 1024
    # No second <think> is asked for: the checkpoint's own template opens it.
    assert thinker.max_new_tokens == 1024 + 3000 and not thinker.thinking


class LearnsToThink(Recorder):
    """A served Thinking checkpoint: its first answer runs out inside its reasoning, and
    shows the client that it thinks."""

    def generate(self, messages: Any, sampling: Sampling = GREEDY, **_: Any) -> Generation:
        self.asked.append(sampling)
        if not self.thinks:
            self.thinks = True
            return Generation(
                text="", raw="I look at the", thinking="I look at the", finish_reason="length"
            )
        return Generation.from_raw("[]")


def test_a_first_answer_cut_off_inside_its_reasoning_is_asked_again_with_room() -> None:
    runtime = LearnsToThink()
    policy = make_policy("planned", runtime, thinking_tokens=3000)
    screen = Observation(
        Screenshot(np.zeros((720, 1280, 3), np.uint8), ScreenGeometry.for_screen(1280, 720), 0.0)
    )
    plan = policy.plan("open settings", screen, [])
    assert [s.max_new_tokens for s in runtime.asked] == [1024, 1024 + 3000]
    assert plan.model_calls == 2
    policy.plan("open settings", screen, [])  # from then on, one call with the budget
    assert [s.max_new_tokens for s in runtime.asked][2:] == [1024 + 3000]
