"""Policies that ask Qwen3-VL.

- `NativePolicy`: the model acts end to end through the official `computer_use` /
  `mobile_use` tool, one call per step, seeing the current screenshot and the steps so far.
- `PlannedPolicy`: the model writes the whole chain at once with targets in words; each
  target is grounded on the newest screenshot just before its action (accessibility,
  uiautomator or OCR - no model call), and the model is asked again only when a step fails.
  Far fewer model calls per task.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from PIL import Image

from screenpilot.actions.vocabulary import ACTION_TYPES, Action, Wait, parse_action
from screenpilot.errors import InvalidInputError
from screenpilot.models.parsing import ModelParseError, json_values, parse_tool_calls
from screenpilot.models.prompts import tool_system_prompt
from screenpilot.models.runtime import Message, Runtime, Sampling
from screenpilot.models.tool_calls import ToolName, tool_call_to_action
from screenpilot.perception.geometry import ScreenGeometry
from screenpilot.perception.screenshot import Observation
from screenpilot.perception.sizing import VisualBudget
from screenpilot.policies.base import Outcome, Plan, Step

_RETRY = Wait(seconds=0.5)
#: Extra answer tokens when the model may think before it answers.
THINKING_TOKENS = 2048


def _sampling(max_new_tokens: int, temperature: float, thinking: bool) -> Sampling:
    extra = THINKING_TOKENS if thinking else 0
    return Sampling(
        temperature=temperature, max_new_tokens=max_new_tokens + extra, thinking=thinking
    )


def _history_lines(history: Sequence[Outcome], limit: int) -> str:
    first = max(1, len(history) - limit + 1)
    lines = []
    for number, outcome in enumerate(history[-limit:], start=first):
        action = json.dumps(outcome.step.action.model_dump(mode="json"), ensure_ascii=False)
        result = "done" if outcome.ok else "FAILED: " + outcome.reason
        lines.append(f"{number}. {action} -> {result}")
    return "\n".join(lines) or "(none yet)"


def _screen(observation: Observation, budget: VisualBudget) -> tuple[Image.Image, ScreenGeometry]:
    """The screenshot as the model will see it, and the geometry that maps answers back."""
    geometry = observation.geometry.with_image(budget.resize(observation.geometry.crop_rect.size))
    crop = geometry.crop_rect
    image = (
        observation.screenshot.image()
        .crop((crop.left, crop.top, crop.left + crop.width, crop.top + crop.height))
        .resize((geometry.image.width, geometry.image.height))
    )
    return image, geometry


class NativePolicy:
    """Qwen3-VL decides every step itself with the official tool."""

    name = "native"
    uses_model = True  # the agent masks secrets in the history it passes

    def __init__(
        self,
        runtime: Runtime,
        *,
        tool: ToolName = "computer_use",
        budget: VisualBudget | None = None,
        history_steps: int = 8,
        temperature: float = 0.0,
        thinking: bool = False,
    ) -> None:
        self.runtime, self.tool = runtime, tool
        self.budget = budget or VisualBudget(max_tokens=1280)
        self.history_steps = history_steps
        self.sampling = _sampling(512, temperature, thinking)

    def plan(self, instruction: str, observation: Observation, history: Sequence[Outcome]) -> Plan:
        image, geometry = _screen(observation, self.budget)
        query = (
            f"The user query: {instruction}\n"
            f"Task progress (steps done so far):\n{_history_lines(history, self.history_steps)}\n"
            "Answer with one sentence of Thought, one of Action, then one tool call."
        )
        messages = [Message.system(tool_system_prompt(self.tool)), Message.user(query, image)]
        answer = self.runtime.generate(messages, self.sampling)
        thought = answer.text.split("<tool_call>")[0].strip()
        try:
            actions = [tool_call_to_action(c, geometry) for c in parse_tool_calls(answer.text)]
        except (ModelParseError, InvalidInputError) as error:
            return Plan(
                [Step(_RETRY, thought=f"unusable answer: {error}")], raw=answer.raw, model_calls=1
            )
        return Plan([Step(a, thought=thought) for a in actions], raw=answer.raw, model_calls=1)


PLANNER_PROMPT = """You operate a {device} for a person. Task: {instruction}

Write the whole plan now as a JSON list of actions, in order, each one object like
{{"type": "type", "text": "Bob", "target": "the Name field"}}
{{"type": "click", "target": "the Submit button"}}
{{"type": "key", "keys": ["ctrl", "s"]}}
{{"type": "wait", "until_text": "Saved", "timeout": 5}}
Action types: {types}. Name targets in words as they appear on the screen. End with
{{"type": "finish", "status": "success"}}.
{history}"""


class PlannedPolicy:
    """Qwen3-VL plans the whole chain once; words are grounded without the model."""

    name = "planned"
    uses_model = True

    def __init__(
        self,
        runtime: Runtime,
        *,
        device: str = "desktop computer",
        budget: VisualBudget | None = None,
        temperature: float = 0.0,
        thinking: bool = False,
    ) -> None:
        self.runtime, self.device = runtime, device
        self.budget = budget or VisualBudget(max_tokens=1280)
        self.sampling = _sampling(1024, temperature, thinking)

    def plan(self, instruction: str, observation: Observation, history: Sequence[Outcome]) -> Plan:
        image, _ = _screen(observation, self.budget)
        context = ""
        if history:
            context = (
                "Already done, with results:\n"
                + _history_lines(history, 12)
                + "\nPlan only what is left, starting from the current screen."
            )
        prompt = PLANNER_PROMPT.format(
            device=self.device,
            instruction=instruction,
            types=", ".join(ACTION_TYPES),
            history=context,
        )
        answer = self.runtime.generate([Message.user(prompt, image)], self.sampling)
        try:
            steps = [Step(a) for a in self._actions(answer.text)]
        except (ModelParseError, InvalidInputError) as error:
            return Plan(
                [Step(_RETRY, thought=f"unusable plan: {error}")], raw=answer.raw, model_calls=1
            )
        if not steps:
            return Plan(
                done=True,
                success=False,
                message="the planner planned nothing",
                raw=answer.raw,
                model_calls=1,
            )
        return Plan(steps, raw=answer.raw, model_calls=1)

    @staticmethod
    def _actions(text: str) -> list[Action]:
        values = [v for v in json_values(text) if isinstance(v, list)]
        if not values:
            raise ModelParseError("no JSON list of actions in the plan", text)
        return [parse_action(item) for item in values[0] if isinstance(item, dict)]
