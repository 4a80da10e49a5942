"""A stand-in for Qwen3-VL weights (which cannot be had here): it answers in the exact
Qwen3-VL formats, looking at the screenshot it is sent through the project's OCR grounder to
put realistic coordinates in its tool calls. It counts its calls."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from screenpilot.models.runtime import GREEDY, Generation, Message, Sampling
from screenpilot.perception.geometry import ScreenGeometry
from screenpilot.perception.grounding import Found, ground
from screenpilot.perception.ocr import ScreenReader


class StandInModel:
    """Answers one intent per call (native) or a whole plan once (planned)."""

    def __init__(
        self,
        reader: ScreenReader,
        intents: Sequence[tuple[str, str]] = (),
        plan: list[dict[str, Any]] | None = None,
    ) -> None:
        self.reader, self.intents, self.plan = reader, list(intents), plan
        self.calls = 0

    def generate(
        self,
        messages: Sequence[Message],
        sampling: Sampling = GREEDY,
        *,
        logprobs: bool = False,
    ) -> Generation:
        self.calls += 1
        if self.plan is not None:
            return Generation.from_raw(
                "```json\n" + json.dumps(self.plan, ensure_ascii=False) + "\n```"
            )
        if not self.intents:
            return Generation.from_raw(_call("terminate", status="success"))
        verb, value = self.intents.pop(0)
        if verb == "type":
            return Generation.from_raw(
                f"Thought: type it.\nAction: Type {value}.\n{_call('type', text=value)}"
            )
        image = next(item for m in messages for item in m.content if not isinstance(item, str))
        pixels = np.asarray(image.convert("RGB"))
        geometry = ScreenGeometry.for_screen(image.width, image.height)
        found = ground(value, ScreenReader(self.reader.engine).elements(pixels, geometry))
        assert isinstance(found, Found), found
        c = found.box.center
        coordinate = [round(c.x / image.width * 1000), round(c.y / image.height * 1000)]
        return Generation.from_raw(
            f"Thought: {value} is there.\nAction: Click {value}.\n"
            + _call("left_click", coordinate=coordinate)
        )


def _call(action: str, **arguments: Any) -> str:
    body = {"name": "computer_use", "arguments": {"action": action, **arguments}}
    return f"<tool_call>\n{json.dumps(body, ensure_ascii=False)}\n</tool_call>"
