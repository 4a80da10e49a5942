"""Policies that ask Qwen3-VL (or, natively, another model family).

- `NativePolicy`: the model acts end to end through the official `computer_use` /
  `mobile_use` tool, one call per step, seeing the current screenshot and the steps so far -
  each as its own Action sentence and tool call, in the tool's own frame (0..1000; 0..999
  for mobile_use; `prompts`).
  With another `Family` (`models.families`: Qwen2.5-VL, UI-TARS-1.5) it speaks that
  family's prompt, answer format and coordinate frame instead.
- `PlannedPolicy`: the model writes the whole chain at once with targets in words; each
  target is grounded on the newest screenshot just before its action (accessibility,
  uiautomator or OCR - no model call), and the model is asked again only when a step fails.
  Far fewer model calls per task.

Both take an optional `PromptFile`: a person's own wording in place of the built-in prompt.
"""

from __future__ import annotations

import json
import logging
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image

from screenpilot.actions.targets import WindowPoint
from screenpilot.actions.vocabulary import ACTION_TYPES, Action, Wait, parse_action
from screenpilot.actions.wording import summary
from screenpilot.errors import InvalidInputError
from screenpilot.models.families import Family, FamilyName, family_named
from screenpilot.models.parsing import ModelParseError, json_values
from screenpilot.models.prompts import (
    PastStep,
    PromptFile,
    action_sentence,
    history_text,
)
from screenpilot.models.runtime import (
    THINKING_TOKENS,
    Generation,
    Message,
    Runtime,
    Sampling,
    room_to_think,
)
from screenpilot.models.tool_calls import ToolName
from screenpilot.perception.geometry import ScreenBox, ScreenGeometry, ScreenPoint
from screenpilot.perception.screenshot import Observation
from screenpilot.perception.sizing import VisualBudget
from screenpilot.policies.base import Outcome, Plan, Step

log = logging.getLogger(__name__)

_RETRY = Wait(seconds=0.5)
#: The placeholders each policy fills in a prompt file (see `prompts.PROMPT_PLACEHOLDERS`).
NATIVE_PLACEHOLDERS = frozenset({"instruction", "history", "device", "tools"})
PLANNED_PLACEHOLDERS = frozenset({"instruction", "history", "device", "actions"})
#: How many steps a native policy remembers the screenshot frame of.
_FRAMES_KEPT = 256
#: The most of a step's own note (its thought) the model is shown again.
_NOTE_CHARS = 200


@dataclass(frozen=True)
class _Answering:
    """How a policy's answers are sampled: `answer_tokens` for the answer itself, and
    `thinking_tokens` more when the model thinks first - asked to (`thinking`), or because
    the runtime found it is a Thinking checkpoint (its `thinks`, known from the checkpoint's
    chat template or from a server's answers)."""

    answer_tokens: int
    temperature: float
    thinking: bool
    thinking_tokens: int

    def __post_init__(self) -> None:
        if self.thinking_tokens < 0:
            raise ValueError("thinking_tokens must be 0 or more")

    def sampling(self, runtime: Runtime) -> Sampling:
        plain = Sampling(
            temperature=self.temperature, max_new_tokens=self.answer_tokens, thinking=self.thinking
        )
        return room_to_think(plain, runtime, self.thinking_tokens)

    def ask(self, runtime: Runtime, messages: list[Message]) -> tuple[Generation, int]:
        """The runtime's answer and the calls it took. A served Thinking checkpoint is known
        only from an answer; when that first answer ran out of tokens inside its reasoning,
        it is asked once more, now with the thinking budget."""
        sampling = self.sampling(runtime)
        answer = runtime.generate(messages, sampling)
        again = self.sampling(runtime)
        if answer.finish_reason == "length" and again.max_new_tokens > sampling.max_new_tokens:
            return runtime.generate(messages, again), 2
        return answer, 1


def _result(outcome: Outcome) -> str:
    return "done" if outcome.ok else "FAILED: " + outcome.reason


def _past_step(
    number: int,
    outcome: Outcome,
    tool: ToolName,
    geometry: ScreenGeometry,
    *,
    planned: bool,
    family: Family,
) -> PastStep:
    """A step as the model is told of it: its own Action sentence, else one of ours, and the
    call in the tool's vocabulary (the `family`'s), mapped back into the frame of
    `geometry`'s image and rounded to whole numbers as the model writes them.

    Only a step this policy `planned`, exactly as it was run, is told in its own words (its
    thought): any other - from elsewhere, or with a secret the agent masked in it - gets
    ours alone, so words the agent never masked cannot carry a secret back to the model.
    """
    step = outcome.step
    call = family.past_call(step.action, tool, geometry)
    said = action_sentence(step.thought) if planned else None
    if said is None:
        label = family.tool_label(tool)
        said = family.call_words(call) if call is not None else _unplaced_words(step.action, label)
        note = " ".join(step.thought.split()) if planned else ""
        if note:  # why the step was taken (an unusable answer, a rule), where it says so
            cut = note if len(note) <= _NOTE_CHARS else note[: _NOTE_CHARS - 3] + "..."
            said = f"{said.rstrip('.')} ({cut})."
    return PastStep(number, said, call, _result(outcome))


def _unplaced_words(action: Action, tool: str) -> str:
    """Our words for a step the tool has no call for, without screen pixels: pixel numbers
    in the prompt would invite pixel answers."""
    pixels = (ScreenPoint, ScreenBox, WindowPoint)
    if any(isinstance(target, pixels) for _, target in action.targets):
        return f"A {action.type} step ({tool} has no call for it)."
    return f"{summary(action)} ({tool} has no call for it)."


def _history_lines(history: Sequence[Outcome], limit: int) -> str:
    first = max(1, len(history) - limit + 1)
    lines = []
    for number, outcome in enumerate(history[-limit:], start=first):
        action = json.dumps(outcome.step.action.model_dump(mode="json"), ensure_ascii=False)
        lines.append(f"{number}. {action} -> {_result(outcome)}")
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
    """Qwen3-VL decides every step itself with the official tool.

    The steps so far are shown as the model would have written them: the Action sentence
    of its answer (kept in the step's thought) and the call, mapped back into the 0..1000
    frame of the screenshot it saw then. `prompt` replaces the built-in wording; it may hold
    {instruction}, {history}, {device} and {tools}.

    `family` (a `Family` or its name) swaps in another model's prompt, answer format and
    frame; the screenshot is then sized by that family's patch (`Family.visual_budget`),
    and a server runtime must resize with the same budget (`assembly.make_runtime` is
    given it) or the pixels the model names are not the pixels it was sent.
    """

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
        thinking_tokens: int = THINKING_TOKENS,
        prompt: PromptFile | None = None,
        family: Family | FamilyName = "qwen3-vl",
    ) -> None:
        if prompt is not None:
            prompt.check(NATIVE_PLACEHOLDERS, self.name)
        self.runtime, self.tool, self.prompt = runtime, tool, prompt
        self.family = family_named(family) if isinstance(family, str) else family
        self.budget = self.family.visual_budget(budget or VisualBudget(max_tokens=1280))
        sends = getattr(runtime, "budget", None)
        if isinstance(sends, VisualBudget) and sends.token_side != self.budget.token_side:
            log.warning(
                "the runtime resizes screenshots to multiples of %d px but %s measures its "
                "answers on multiples of %d: build the runtime with family.visual_budget(...)",
                sends.token_side,
                self.family.name,
                self.budget.token_side,
            )
        self.history_steps = history_steps
        self.answering = _Answering(512, temperature, thinking, thinking_tokens)
        # The frame each step was planned in: a step is shown in the frame of the screenshot
        # the model saw then, which differs from today's once a phone turns sideways.
        self._frames: deque[tuple[Step, ScreenGeometry]] = deque(maxlen=_FRAMES_KEPT)

    def shown_history(self, history: Sequence[Outcome], geometry: ScreenGeometry) -> str:
        """The steps so far as the model is shown them (the last `history_steps`);
        `geometry` is the frame for a step this policy did not plan."""
        first = max(1, len(history) - self.history_steps + 1)
        shown = history[-self.history_steps :] if self.history_steps > 0 else []
        past = []
        for number, outcome in enumerate(shown, start=first):
            frame = self._frame_of(outcome.step)
            past.append(
                _past_step(
                    number,
                    outcome,
                    self.tool,
                    frame or geometry,
                    planned=frame is not None,
                    family=self.family,
                )
            )
        return history_text(past)

    def _frame_of(self, step: Step) -> ScreenGeometry | None:
        """The frame this policy planned `step` in, None for a step it did not plan as is."""
        return next((g for s, g in reversed(self._frames) if s == step), None)

    def plan(self, instruction: str, observation: Observation, history: Sequence[Outcome]) -> Plan:
        image, geometry = _screen(observation, self.budget)
        past = self.shown_history(history, geometry)
        family, shown = self.family, geometry.image
        system = family.system_prompt(self.tool, shown)
        query = family.user_turn(self.tool, instruction, past)
        if self.prompt is not None:
            values = {
                "instruction": instruction,
                "history": past,
                "device": "desktop computer" if self.tool == "computer_use" else "phone",
                "tools": family.tools_text(self.tool, shown),
            }
            system, query = self.prompt.turns(values, system=system, user=query)
        messages = [Message.system(system), Message.user(query, image)]
        answer, calls = self.answering.ask(self.runtime, messages)
        thought = family.thought(answer.text)
        try:
            actions = family.actions(answer.text, self.tool, geometry)
        except (ModelParseError, InvalidInputError) as error:
            steps = [Step(_RETRY, thought=f"unusable answer: {error}")]
        else:
            steps = [Step(a, thought=thought) for a in actions]
        self._frames.extend((step, geometry) for step in steps)
        return Plan(steps, raw=answer.raw, model_calls=calls)


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
    """Qwen3-VL plans the whole chain once; words are grounded without the model.

    `prompt` replaces the built-in wording; it may hold {instruction}, {history},
    {device} and {actions}.
    """

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
        thinking_tokens: int = THINKING_TOKENS,
        prompt: PromptFile | None = None,
    ) -> None:
        if prompt is not None:
            prompt.check(PLANNED_PLACEHOLDERS, self.name)
        self.runtime, self.device, self.prompt = runtime, device, prompt
        self.budget = budget or VisualBudget(max_tokens=1280)
        self.answering = _Answering(1024, temperature, thinking, thinking_tokens)

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
        messages = [Message.user(prompt, image)]
        if self.prompt is not None:
            values = {
                "instruction": instruction,
                "history": _history_lines(history, 12),
                "device": self.device,
                "actions": ", ".join(ACTION_TYPES),
            }
            system, prompt = self.prompt.turns(values, system="", user=prompt)
            messages = [Message.user(prompt, image)]
            if system:  # the built-in planner prompt has no system part; a file may add one
                messages.insert(0, Message.system(system))
        answer, calls = self.answering.ask(self.runtime, messages)
        try:
            steps = [Step(a) for a in self._actions(answer.text)]
        except (ModelParseError, InvalidInputError) as error:
            return Plan(
                [Step(_RETRY, thought=f"unusable plan: {error}")], raw=answer.raw, model_calls=calls
            )
        if not steps:
            return Plan(
                done=True,
                success=False,
                message="the planner planned nothing",
                raw=answer.raw,
                model_calls=calls,
            )
        return Plan(steps, raw=answer.raw, model_calls=calls)

    @staticmethod
    def _actions(text: str) -> list[Action]:
        values = [v for v in json_values(text) if isinstance(v, list)]
        if not values:
            raise ModelParseError("no JSON list of actions in the plan", text)
        return [parse_action(item) for item in values[0] if isinstance(item, dict)]
