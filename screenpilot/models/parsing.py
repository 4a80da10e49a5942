"""Reading what Qwen3-VL answers. Model output is data: it is parsed with `json`, never
evaluated, and anything malformed becomes a `ModelParseError` that keeps the raw text.

- `split_thinking`: a Thinking variant's `<think>...</think>` is kept apart from the answer.
- `parse_tool_calls`: every `<tool_call>` block (after any Thought/Action prose), or a bare
  JSON object or list of calls, in a code fence or not, trailing junk ignored.
- `parse_grounding`: `bbox_2d` / `point_2d` objects, alone or in a list, fenced or not.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from screenpilot.errors import InvalidInputError, ScreenpilotError
from screenpilot.models.tool_calls import ToolCall, parse_tool_call
from screenpilot.perception.geometry import ModelBox, ModelPoint

_THINK = re.compile(r"<think>(.*?)(?:</think>|$)", re.DOTALL)
_TOOL_CALL = re.compile(r"<tool_call>(.*?)(?:</tool_call>|$)", re.DOTALL)
_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.DOTALL)


class ModelParseError(ScreenpilotError):
    """The model's answer could not be read; `raw` keeps it whole for the trajectory."""

    def __init__(self, message: str, raw: str) -> None:
        self.raw = raw
        preview = raw if len(raw) <= 200 else raw[:200] + "..."
        super().__init__(f"{message} (model said: {preview!r})")


def split_thinking(text: str) -> tuple[str, str]:
    """(thinking, answer): the `<think>` block(s) and the rest. An answer whose opening
    `<think>` was part of the prompt (only `</think>` appears) is split there too."""
    if "<think>" not in text and "</think>" in text:
        thought, _, answer = text.partition("</think>")
        return thought.strip(), answer.strip()
    thoughts = [m.group(1).strip() for m in _THINK.finditer(text)]
    return "\n".join(thoughts), _THINK.sub("", text).strip()


def json_values(text: str) -> list[Any]:
    """Every top-level JSON value that can be read out of `text`, in order."""
    decoder = json.JSONDecoder()
    values, i = [], 0
    while i < len(text):
        start = min((p for p in (text.find("{", i), text.find("[", i)) if p >= 0), default=-1)
        if start < 0:
            break
        try:
            value, end = decoder.raw_decode(text, start)
        except (json.JSONDecodeError, RecursionError):
            i = start + 1
            continue
        values.append(value)
        i = end
    return values


def parse_tool_calls(text: str) -> list[ToolCall]:
    """The tool calls of an answer, validated against the tool declarations."""
    _, answer = split_thinking(text)
    blocks = [m.group(1) for m in _TOOL_CALL.finditer(answer)]
    sources = blocks or [m.group(1) for m in _FENCE.finditer(answer)] or [answer]
    candidates: list[Any] = []
    for source in sources:
        for value in json_values(source):
            candidates.extend(value if isinstance(value, list) else [value])
    calls = [c for c in candidates if isinstance(c, dict) and "name" in c]
    if not calls:
        raise ModelParseError("no tool call in the answer", text)
    parsed = []
    for call in calls:
        try:
            parsed.append(parse_tool_call(call))
        except InvalidInputError as error:
            raise ModelParseError(str(error), text) from None
    return parsed


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
    for source in fenced or [answer]:
        for value in json_values(source):
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
    label = str(item.get("label", ""))
    try:
        if "bbox_2d" in item:
            x1, y1, x2, y2 = _numbers(item["bbox_2d"], 4)
            return GroundedRegion(label, box=ModelBox(x1=min(x1, x2), y1=min(y1, y2),
                                                     x2=max(x1, x2), y2=max(y1, y2)))  # fmt: skip
        if "point_2d" in item:
            x, y = _numbers(item["point_2d"], 2)
            return GroundedRegion(label, point=ModelPoint(x=x, y=y))
    except (ValueError, TypeError) as error:
        raise ModelParseError(f"a region the model gave is unusable: {error}", raw) from None
    return None


def _numbers(value: Any, count: int) -> list[float]:
    if not isinstance(value, list) or len(value) != count:
        raise ValueError(f"expected {count} numbers, got {value!r}")
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
        raise ValueError(f"coordinates must be numbers, got {value!r}")
    return [float(v) for v in value]
