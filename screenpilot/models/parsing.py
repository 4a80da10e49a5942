"""Reading what Qwen3-VL answers. Model output is data: it is parsed with `json`, never
evaluated, and anything it cannot be read as becomes a `ModelParseError` that keeps the raw
text, whatever its shape: a number thousands of digits long, NaN or Infinity, JSON nested
hundreds deep, an answer megabytes long. No library error gets out of these functions.

- `split_thinking`: a Thinking variant's `<think>...</think>` is kept apart from the answer.
- `parse_tool_calls`: every `<tool_call>` block (after any Thought/Action prose), or a bare
  JSON object or list of calls, in a code fence or not, trailing junk ignored.
- `parse_grounding`: `bbox_2d` / `point_2d` objects, alone or in a list, fenced or not.
- `json_values`: every JSON value in a text (the planner's list of actions), with the same
  bounds.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from screenpilot.errors import InvalidInputError, ScreenpilotError
from screenpilot.models.tool_calls import ToolCall, parse_tool_call
from screenpilot.perception.geometry import ModelBox, ModelPoint

_THINK = re.compile(r"<think>(.*?)(?:</think>|$)", re.DOTALL)
_TOOL_CALL = re.compile(r"<tool_call>(.*?)(?:</tool_call>|$)", re.DOTALL)
_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.DOTALL)

#: The longest answer read, thinking apart. The policies ask for at most a few thousand
#: tokens; past this a server is not obeying `max_tokens`, and reading JSON out of broken
#: text costs more the longer it is.
MAX_ANSWER_CHARS = 50_000
#: The longest number read, sign and exponent included. Coordinates, seconds and wheel
#: clicks need a handful of characters; Python refuses to read an int of over 4300 digits
#: and a float cannot hold one of over 309.
MAX_NUMBER_CHARS = 40
#: The deepest nesting of lists and objects read. A tool call is four deep.
MAX_DEPTH = 32
#: How much of a problem's sentence is kept (a 100,000-character key name, say).
_MAX_REASON_CHARS = 500


class ModelParseError(ScreenpilotError):
    """The model's answer could not be read; `raw` keeps it whole for the trajectory."""

    def __init__(self, message: str, raw: str) -> None:
        self.raw = raw
        message = _clipped(message, _MAX_REASON_CHARS)
        super().__init__(f"{message} (model said: {_clipped(raw, 200)!r})")


class _UnreadableError(Exception):
    """Raised inside the JSON reader; the caller turns it into a `ModelParseError` that
    carries the whole answer, not just the part being read."""


def _clipped(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def _too_long(text: str) -> _UnreadableError:
    return _UnreadableError(
        f"the answer has a number {len(text)} characters long "
        f"(at most {MAX_NUMBER_CHARS} are read): {_clipped(text, 20)}"
    )


def _read_int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise _too_long(text)
    return int(text)


def _read_float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise _too_long(text)
    value = float(text)
    if not math.isfinite(value):
        raise _UnreadableError(f"the answer has a number too large for a float: {text}")
    return value


def _read_constant(name: str) -> Any:
    raise _UnreadableError(f"the answer has {name}, which is not a number anything can use")


_DECODER = json.JSONDecoder(
    parse_int=_read_int, parse_float=_read_float, parse_constant=_read_constant
)


def _depth(value: Any) -> int:
    """How deep lists and objects nest in a decoded value (without recursion)."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, level + 1)
            if deepest > MAX_DEPTH:
                break
            stack.extend((child, level + 1) for child in item)
    return deepest


def split_thinking(text: str) -> tuple[str, str]:
    """(thinking, answer): the `<think>` block(s) and the rest. An answer whose opening
    `<think>` was part of the prompt (only `</think>` appears) is split there too."""
    if "<think>" not in text and "</think>" in text:
        thought, _, answer = text.partition("</think>")
        return thought.strip(), answer.strip()
    thoughts = [m.group(1).strip() for m in _THINK.finditer(text)]
    return "\n".join(thoughts), _THINK.sub("", text).strip()


def _check_length(answer: str) -> None:
    if len(answer) > MAX_ANSWER_CHARS:
        raise _UnreadableError(
            f"the answer is {len(answer)} characters long (at most {MAX_ANSWER_CHARS} are read)"
        )


def _values(text: str) -> list[Any]:
    """`json_values`, raising `_UnreadableError` for what no real answer holds."""
    _check_length(text)
    values, i = [], 0
    # Characters read by tries that failed. Each failed try is followed by one from the
    # next bracket, so text that is JSON almost to the end at every bracket (`[1, [1, ...`)
    # is read over and over; no answer a model writes comes near this bound.
    wasted, budget = 0, 8 * len(text) + 10_000
    while i < len(text):
        start = min((p for p in (text.find("{", i), text.find("[", i)) if p >= 0), default=-1)
        if start < 0:
            break
        try:
            value, end = _DECODER.raw_decode(text, start)
        except json.JSONDecodeError as error:
            wasted += error.pos - start
            if wasted > budget:
                raise _UnreadableError("the answer is JSON broken at every bracket") from None
            i = start + 1  # not JSON from here: try the next bracket
            continue
        except RecursionError:
            raise _UnreadableError("the answer nests lists or objects too deep to read") from None
        if _depth(value) > MAX_DEPTH:
            raise _UnreadableError(f"the answer nests lists or objects over {MAX_DEPTH} deep")
        values.append(value)
        i = end
    return values


def json_values(text: str) -> list[Any]:
    """Every top-level JSON value that can be read out of `text`, in order.

    Raises `ModelParseError` for a text no model answer looks like: over
    `MAX_ANSWER_CHARS` long, a number over `MAX_NUMBER_CHARS` long or not finite (NaN,
    Infinity, 1e999), nesting over `MAX_DEPTH` deep."""
    try:
        return _values(text)
    except _UnreadableError as error:
        raise ModelParseError(str(error), text) from None


def parse_tool_calls(text: str) -> list[ToolCall]:
    """The tool calls of an answer, validated against the tool declarations."""
    parsed = []
    for call in raw_tool_calls(text):
        try:
            parsed.append(parse_tool_call(call))
        except InvalidInputError as error:
            raise ModelParseError(str(error), text) from None
    return parsed


def raw_tool_calls(text: str) -> list[dict[str, Any]]:
    """The tool calls of an answer as read (objects with a `name`), not yet validated: a
    family whose coordinates are not in the 0..1000 frame maps them first (`families`)."""
    _, answer = split_thinking(text)
    blocks = [m.group(1) for m in _TOOL_CALL.finditer(answer)]
    sources = blocks or [m.group(1) for m in _FENCE.finditer(answer)] or [answer]
    candidates: list[Any] = []
    try:
        _check_length(answer)
        for source in sources:
            for value in _values(source):
                candidates.extend(value if isinstance(value, list) else [value])
    except _UnreadableError as error:
        raise ModelParseError(str(error), text) from None
    calls = [c for c in candidates if isinstance(c, dict) and "name" in c]
    if not calls:
        raise ModelParseError("no tool call in the answer", text)
    return calls


@dataclass(frozen=True)
class GroundedRegion:
    """One element the model located: a box or a point (model frame) and its label."""

    label: str
    box: ModelBox | None = None
    point: ModelPoint | None = None

    @property
    def center(self) -> ModelPoint:
        if self.point is not None:
            return self.point
        assert self.box is not None
        return ModelPoint(x=(self.box.x1 + self.box.x2) / 2, y=(self.box.y1 + self.box.y2) / 2)


def parse_grounding(text: str) -> list[GroundedRegion]:
    """The boxes and points of a grounding answer (0..1000 model frame)."""
    _, answer = split_thinking(text)
    fenced = [m.group(1) for m in _FENCE.finditer(answer)]
    found: list[GroundedRegion] = []
    try:
        _check_length(answer)
        values = [v for source in fenced or [answer] for v in _values(source)]
    except _UnreadableError as error:
        raise ModelParseError(str(error), text) from None
    for value in values:
        for item in value if isinstance(value, list) else [value]:
            region = _region(item, text)
            if region is not None:
                found.append(region)
    if not found:
        raise ModelParseError("no bbox_2d or point_2d in the answer", text)
    return found


def _region(item: Any, raw: str) -> GroundedRegion | None:
    if not isinstance(item, dict):
        return None
    try:
        label = _label(item.get("label", ""))
        if "bbox_2d" in item:
            x1, y1, x2, y2 = _numbers(item["bbox_2d"], 4)
            return GroundedRegion(label, box=ModelBox(x1=min(x1, x2), y1=min(y1, y2),
                                                     x2=max(x1, x2), y2=max(y1, y2)))  # fmt: skip
        if "point_2d" in item:
            x, y = _numbers(item["point_2d"], 2)
            return GroundedRegion(label, point=ModelPoint(x=x, y=y))
    except (ValueError, TypeError, OverflowError) as error:
        reason = _clipped(str(error), _MAX_REASON_CHARS)
        raise ModelParseError(f"a region the model gave is unusable: {reason}", raw) from None
    return None


def _label(value: Any) -> str:
    if isinstance(value, list | dict):
        raise ValueError(f"a label must be text, got a {type(value).__name__}")
    return str(value)


def _numbers(value: Any, count: int) -> list[float]:
    if not isinstance(value, list) or len(value) != count:
        raise ValueError(f"expected {count} numbers, got {_clipped(repr(value), 80)}")
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
        raise ValueError(f"coordinates must be numbers, got {_clipped(repr(value), 80)}")
    return [float(v) for v in value]
