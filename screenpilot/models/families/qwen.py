"""The Qwen families: `computer_use` / `mobile_use` tool calls in `<tool_call>` JSON.

Qwen3-VL (`QWEN3_VL`) names points 0..1000 of the image (0..999 on the phone); this is the
project's own format (`tool_calls`, `prompts`), used here unchanged.

Qwen2.5-VL (`QWEN25_VL`) was trained on the same two tools, with fewer actions (no
triple_click, hscroll or answer on the computer; `open` an app on the phone), and names
points in absolute pixels of the image its processor saw: the screenshot after "smart
resize" with 14 px patches merged 2x2, i.e. both sides multiples of 28 and the pixel count
kept between the processor's `min_pixels` (4 x 28 x 28) and `max_pixels` (16384 x 28 x 28).
Its cookbook states that resized width and height as "the screen's resolution", so the
prompt does too. The screenshot is sent at exactly that size (`visual_budget`), so the
server's own resize changes nothing. Its answers are turned into Qwen3-VL calls - every
coordinate divided by the image size into the 0..1000 frame - and then into actions by the
very code Qwen3-VL's calls go through.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from screenpilot.actions.vocabulary import Action, OpenApp
from screenpilot.errors import InvalidInputError, NoEquivalentError
from screenpilot.models.families import FamilyName
from screenpilot.models.parsing import (
    ModelParseError,
    parse_tool_calls,
    raw_tool_calls,
)
from screenpilot.models.prompts import (
    call_sentence,
    native_query,
    response_format,
    tool_declaration,
    tool_system_prompt,
    tools_system_prompt,
)
from screenpilot.models.tool_calls import (
    TOOL_SCALE,
    ToolName,
    action_to_tool_call,
    parse_tool_call,
    tool_call_dict,
    tool_call_to_action,
)
from screenpilot.perception.geometry import ImagePoint, ModelPoint, ScreenGeometry, Size
from screenpilot.perception.sizing import MERGE_SIZE, PATCH_SIZE, VisualBudget

#: The arguments of a tool call that hold a point.
_POINTS = ("coordinate", "coordinate2")
#: Qwen2.5-VL's ViT patch side; with the 2x2 merge one visual token covers 28x28 px.
QWEN25_PATCH_SIZE = 14


def whole_numbers(call: dict[str, Any]) -> dict[str, Any]:
    """The call with its points rounded to whole numbers, as the model writes them."""
    arguments = {
        name: [round(v) for v in value] if name in _POINTS else value
        for name, value in call["arguments"].items()
    }
    return {**call, "arguments": arguments}


@dataclass(frozen=True)
class Qwen3VL:
    """Qwen3-VL: tool calls in the 0..1000 frame, the prompt of `prompts`."""

    name: FamilyName = "qwen3-vl"
    frame: str = "0..1000 of the image on both axes (0..999 for mobile_use)"

    def visual_budget(self, budget: VisualBudget) -> VisualBudget:
        return replace(budget, patch_size=PATCH_SIZE, merge_size=MERGE_SIZE)

    def system_prompt(self, tool: ToolName, image: Size) -> str:
        return tool_system_prompt(tool)

    def user_turn(self, tool: ToolName, instruction: str, history: str) -> str:
        return native_query(tool, instruction, history)

    def tools_text(self, tool: ToolName, image: Size) -> str:
        return json.dumps(tool_declaration(tool), ensure_ascii=False)

    def thought(self, answer: str) -> str:
        return answer.split("<tool_call>")[0].strip()

    def actions(self, answer: str, tool: ToolName, geometry: ScreenGeometry) -> list[Action]:
        return [tool_call_to_action(c, geometry) for c in parse_tool_calls(answer)]

    def past_call(
        self, action: Action, tool: ToolName, geometry: ScreenGeometry
    ) -> dict[str, Any] | str | None:
        try:
            return whole_numbers(tool_call_dict(action_to_tool_call(action, tool, geometry)))
        except NoEquivalentError:
            return None  # a step the tool cannot express (not one the model asked for)

    def call_words(self, call: dict[str, Any] | str) -> str:
        return call if isinstance(call, str) else call_sentence(call)

    def tool_label(self, tool: ToolName) -> str:
        return tool


#: The actions Qwen2.5-VL's cookbook declares for each tool, less the phone's `key` (adb
#: key events, which the project has no action for).
QWEN25_ACTIONS: dict[ToolName, tuple[str, ...]] = {
    "computer_use": (
        "key", "type", "mouse_move", "left_click", "left_click_drag", "right_click",
        "middle_click", "double_click", "scroll", "wait", "terminate",
    ),
    "mobile_use": (
        "click", "long_press", "swipe", "type", "system_button", "open", "wait", "terminate"
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Qwen25VL(Qwen3VL):
    """Qwen2.5-VL: the same tools, points in pixels of the smart-resized image."""

    name: FamilyName = "qwen2.5-vl"
    frame: str = "absolute pixels of the image after smart resize (sides multiples of 28)"

    def visual_budget(self, budget: VisualBudget) -> VisualBudget:
        return replace(budget, patch_size=QWEN25_PATCH_SIZE, merge_size=MERGE_SIZE)

    def declaration(self, tool: ToolName, image: Size) -> dict[str, Any]:
        """The tool as Qwen2.5-VL knows it, with the image's size as the resolution."""
        return tool_declaration(
            tool, resolution=(image.width, image.height), actions=QWEN25_ACTIONS[tool]
        )

    def system_prompt(self, tool: ToolName, image: Size) -> str:
        declared = tools_system_prompt([self.declaration(tool, image)])
        return declared + "\n\n" + response_format(tool)

    def tools_text(self, tool: ToolName, image: Size) -> str:
        return json.dumps(self.declaration(tool, image), ensure_ascii=False)

    def actions(self, answer: str, tool: ToolName, geometry: ScreenGeometry) -> list[Action]:
        found = []
        for raw in raw_tool_calls(answer):
            opened = _opened_app(raw, answer)
            if opened is not None:
                found.append(opened)
                continue
            try:
                call = parse_tool_call(_into_model_frame(raw, geometry, answer))
            except InvalidInputError as error:
                raise ModelParseError(str(error), answer) from None
            found.append(tool_call_to_action(call, geometry))
        return found

    def past_call(
        self, action: Action, tool: ToolName, geometry: ScreenGeometry
    ) -> dict[str, Any] | str | None:
        if isinstance(action, OpenApp) and tool == "mobile_use":
            return {"name": tool, "arguments": {"action": "open", "text": action.app}}
        call = super().past_call(action, tool, geometry)
        if not isinstance(call, dict):
            return call
        scale = TOOL_SCALE[tool]
        arguments = dict(call["arguments"])
        for name in _POINTS:
            if name in arguments:
                x, y = arguments[name]
                p = geometry.model_to_image(ModelPoint(x=x, y=y), scale)
                arguments[name] = [round(p.x), round(p.y)]
        return {**call, "arguments": arguments}


def _opened_app(raw: dict[str, Any], answer: str) -> Action | None:
    """The app a phone call's `open` action names, else None (not an `open` call)."""
    arguments = raw.get("arguments")
    if raw.get("name") != "mobile_use" or not isinstance(arguments, dict):
        return None
    if arguments.get("action") != "open":
        return None
    app = arguments.get("text")
    if not isinstance(app, str) or not app.strip() or set(arguments) - {"action", "text"}:
        raise ModelParseError("`open` needs the app's name in `text`, and nothing more", answer)
    return OpenApp(app=app.strip())


def _into_model_frame(raw: dict[str, Any], geometry: ScreenGeometry, answer: str) -> Any:
    """The call with its pixel points (on the sent image) in the tool's model frame; what
    is not a pair of numbers is left for the call's own checks to refuse."""
    arguments = raw.get("arguments")
    name = raw.get("name")
    if not isinstance(arguments, dict) or name not in TOOL_SCALE:
        return raw
    scale = TOOL_SCALE[name]
    image = geometry.image
    moved = dict(arguments)
    for name in _POINTS:
        xy = arguments.get(name)
        if not (
            isinstance(xy, list)
            and len(xy) == 2
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in xy)
        ):
            continue
        x, y = xy
        if not (0 <= x <= image.width and 0 <= y <= image.height):
            raise ModelParseError(
                f"`{name}` [{x}, {y}] lies outside the {image} image the model was shown", answer
            )
        p = geometry.image_to_model(ImagePoint(x=x, y=y), scale)
        moved[name] = [p.x, p.y]
    return {**raw, "arguments": moved}


QWEN3_VL = Qwen3VL()
QWEN25_VL = Qwen25VL()
