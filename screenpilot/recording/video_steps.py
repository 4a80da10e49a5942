"""What the model is asked about a screen recording, and how its answer becomes steps.

The prompt is one user turn: each frame as a line with its number and time ("Frame 3 at
2.0 s:") followed by the picture, then the request for the steps the person took, as a JSON
array in the task file's own step format with every target named in words.

The answer is data. The array is taken out of a code fence or the bare text with the model
parser's bounds (`models.parsing.json_values`: no eval, nothing huge or deeply nested), and
each step goes through the action vocabulary like a hand-written one. A step is left out,
with the reason, when it is not one of the action types a recording proposes, when it fails
validation, when a target is a point, a box or an element id (a replay by pixels is what
recording in words avoids), or when it uses a `${variable}` the task file would not define
(typed text may hold one: the task writer keeps such text apart, as typed).
Text typed into a password field (or shown masked, or written `${password}` as asked) becomes
`${password}`, with the step's `secret` naming it, so no password reaches the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from screenpilot.actions.targets import Description, ElementRef
from screenpilot.actions.vocabulary import Action, Click, parse_action
from screenpilot.errors import InvalidInputError
from screenpilot.models.parsing import ModelParseError, json_values
from screenpilot.models.runtime import Message
from screenpilot.perception.geometry import ScreenBox, ScreenPoint
from screenpilot.recording.steps import RecordedStep
from screenpilot.recording.video_frames import VideoFrame

#: The action types a step read from a video may have.
VIDEO_STEP_TYPES = (
    "click", "type", "key", "scroll", "swipe", "long_press", "drag", "wait", "system_button",
    "open_app",
)  # fmt: skip
#: The most steps read from one answer; a recording a person shows holds far fewer.
MAX_STEPS = 100
#: The secret a password typed in the video stands for in the task file.
PASSWORD_SECRET = "password"
PASSWORD_TEXT = "${" + PASSWORD_SECRET + "}"
#: How every step read from a video was named, as `RecordedStep.how` says.
HOW = "the model's reading of the video"

# Keys a model adds to a step to explain it; they are not part of the step and are dropped.
_NOTES = frozenset({"frame", "frames", "time", "timestamp", "at", "thought", "reason", "note"})
_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.DOTALL)
_VARIABLE = re.compile(r"\$\{(\w+)\}")
_PASSWORD_FIELD = re.compile(r"\b(pass ?words?|pass ?codes?|pass ?phrases?|pins?)\b", re.I)
_MASKED = re.compile(r"[•●∙✱⬤]+|\*{3,}")
_COORDINATES = re.compile(r"[\[(]\s*-?\d+(?:\.\d+)?\s*,\s*-?\d+(?:\.\d+)?\s*[,\])]")
# How many of the reasons steps were left out are named in an error (the rest are counted).
_REASONS_SHOWN = 3

_INSTRUCTION = """\
These are frames of a screen recording, in time order, of a person doing a task on a \
computer or a phone. Work out what the person did, and write the steps that do the same \
task again.

Answer with a JSON array only, one object per step, in the order they happened. Each step \
has a "type" and the fields of that type:
- {"type": "click", "target": "<what is clicked>"}; may add "button": "right" or \
"count": 2 for a double click
- {"type": "type", "text": "<the text typed>", "target": "<the field>"}; may add \
"press_enter": true
- {"type": "key", "keys": "ctrl+s"}
- {"type": "scroll", "direction": "down", "amount": 3, "target": "<what is scrolled>"}
- {"type": "swipe", "direction": "up"}, or {"type": "swipe", "start": "<where>", \
"end": "<where>"}
- {"type": "long_press", "target": "<what is pressed>"}
- {"type": "drag", "start": "<what is dragged>", "end": "<where it is dropped>"}
- {"type": "wait", "until_text": "<text that appears>"}
- {"type": "system_button", "button": "back"} (back, home, recents or enter)
- {"type": "open_app", "app": "<the application's name>"}
Any step may add "expect": "<what it changes on the screen>".
Name every target in words by what it shows or says, e.g. "the Email field", \
"the Save button", "the Wi-Fi switch", never by coordinates. When a password is typed, \
write its text as "${password}". Leave out what the frames do not show."""


def video_prompt(frames: Sequence[VideoFrame]) -> Message:
    """The one user turn that shows the model the frames with their times and asks for
    the steps."""
    content: list[Any] = []
    for number, frame in enumerate(frames, start=1):
        content += [f"Frame {number} at {frame.seconds:.1f} s:\n", frame.image, "\n"]
    content.append(_INSTRUCTION)
    return Message("user", tuple(content))


class NoStepsError(ModelParseError):
    """The model's answer about a video holds no step that can be used."""

    def __init__(self, reason: str, raw: str) -> None:
        super().__init__(f"no usable step in the model's answer about the video: {reason}", raw)


@dataclass(frozen=True)
class ProposedSteps:
    """The steps read from an answer, and why each of those left out was left out
    ("step 3 (click): ...")."""

    steps: list[RecordedStep]
    left_out: list[str]


class _RefusedError(Exception):
    """A step that cannot be kept; the message says why."""


def read_steps(answer: str) -> ProposedSteps:
    """The steps of the model's answer (its thinking already apart). Raises
    `NoStepsError`, naming what the model said, when no step can be kept."""
    try:
        items = _step_items(answer)
    except ModelParseError as error:
        reason = str(error).partition(" (model said: ")[0]
        raise NoStepsError(reason, answer) from None
    if items is None:
        raise NoStepsError("it holds no JSON array of steps", answer)
    if not items:
        raise NoStepsError("its list of steps is empty", answer)
    left_out: list[str] = []
    if len(items) > MAX_STEPS:
        left_out.append(f"steps {MAX_STEPS + 1} to {len(items)}: only {MAX_STEPS} are read")
        items = items[:MAX_STEPS]
    steps: list[RecordedStep] = []
    for number, item in enumerate(items, start=1):
        try:
            steps.append(_step(item))
        except _RefusedError as refusal:
            left_out.append(f"step {number}{_kind_of(item)}: {refusal}")
    if not steps:
        shown = "; ".join(left_out[:_REASONS_SHOWN])
        more = len(left_out) - _REASONS_SHOWN
        shown += f"; and {more} more" if more > 0 else ""
        count = len(items)
        which = "its only step cannot" if count == 1 else f"none of its {count} steps can"
        raise NoStepsError(f"{which} be used ({shown})", answer)
    return ProposedSteps(steps, left_out)


def _step_items(answer: str) -> list[Any] | None:
    """The answer's list of steps: the first JSON array of objects (in a code fence if
    there is one), else an object's `steps` array, else the step objects written one after
    another; None when there is none of these."""
    fenced = [m.group(1) for m in _FENCE.finditer(answer)]
    values = [value for source in fenced or [answer] for value in json_values(source)]
    for value in values:
        if isinstance(value, list) and (not value or any(isinstance(v, dict) for v in value)):
            return value
    for value in values:
        if isinstance(value, dict) and isinstance(value.get("steps"), list):
            return list(value["steps"])
    loose = [value for value in values if isinstance(value, dict) and "type" in value]
    return loose or None


def _kind_of(item: Any) -> str:
    kind = item.get("type") if isinstance(item, dict) else None
    return f" ({_clipped(kind, 40)})" if isinstance(kind, str) and kind else ""


def _step(item: Any) -> RecordedStep:
    if not isinstance(item, dict):
        raise _RefusedError(f"a step must be an object, not {_clipped(repr(item), 60)}")
    kind = item.get("type")
    if not isinstance(kind, str):
        raise _RefusedError("it has no `type`")
    if kind not in VIDEO_STEP_TYPES:
        raise _RefusedError(
            f"{_clipped(kind, 40)!r} is not a type a recorded step may have "
            f"({', '.join(VIDEO_STEP_TYPES)})"
        )
    data = {key: value for key, value in item.items() if key not in _NOTES}
    expect = data.pop("expect", "")
    expect = expect.strip()[:500] if isinstance(expect, str) else ""
    secret, typed = None, data.get("text")
    if kind == "type" and _is_password(typed, data.get("target")):
        data["text"], secret = PASSWORD_TEXT, PASSWORD_SECRET
        if isinstance(typed, str) and typed.strip() and typed.strip() in expect:
            expect = ""  # it would say the password
    unknown = next(_variables(data), None)
    if unknown is not None:
        raise _RefusedError(
            f"it uses ${{{_clipped(unknown, 40)}}}, which the task file does not define"
        )
    try:
        action = parse_action(data)
    except InvalidInputError as error:
        raise _RefusedError(_clipped(str(error), 300)) from None
    _check_targets(action)
    if _VARIABLE.search(expect):
        expect = ""  # an effect is only words; a variable in it would not be defined
    return RecordedStep(action, how=HOW, secret=secret, expect=expect)


def _is_password(text: Any, target: Any) -> bool:
    if not isinstance(text, str):
        return False
    if text.strip() == PASSWORD_TEXT or (text.strip() and _MASKED.fullmatch(text.strip())):
        return True
    words = target.get("text") if isinstance(target, Mapping) else target
    return isinstance(words, str) and _PASSWORD_FIELD.search(words) is not None


def _variables(data: Mapping[str, Any]) -> Iterator[str]:
    """The `${name}`s in the step that the task file would not define: all but those in
    the text a step types (the password that stands for a secret, or text typed as it
    reads, which the task writer keeps apart so a replay does not take it for a variable)."""
    for key, value in data.items():
        if key == "text" and data.get("type") == "type":
            continue
        for text in _texts(value):
            yield from _VARIABLE.findall(text)


def _texts(value: Any) -> Iterator[str]:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _check_targets(action: Action) -> None:
    for role, target in action.targets:
        if isinstance(target, ScreenPoint | ScreenBox):
            raise _RefusedError(
                f"its {role} is a {'point' if isinstance(target, ScreenPoint) else 'box'} on "
                "the screen; a recorded step names its targets in words"
            )
        if isinstance(target, ElementRef):
            raise _RefusedError(f"its {role} is an element id, which means nothing in a replay")
        if isinstance(target, Description) and _COORDINATES.search(target.text):
            raise _RefusedError(
                f"its {role} {_clipped(target.text, 60)!r} names a place by its coordinates"
            )
    if isinstance(action, Click) and action.target is None:
        raise _RefusedError("a click needs its target, in words")


def _clipped(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "..."
