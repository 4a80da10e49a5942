"""What Qwen3-VL is told: the agent tool declarations and the grounding prompt.

The tool declarations keep exactly what the model was trained on - the function names
`computer_use` and `mobile_use`, the `action` enums, the parameter names, "The screen's
resolution is 1000x1000" (999x999 on the phone), `<tools></tools>` around the declaration
and `<tool_call></tool_call>` around each answer. The descriptions are written here in the
project's own words.
"""

from __future__ import annotations

import json
from typing import Any

from screenpilot.models.tool_calls import (
    COMPUTER_USE_ACTIONS,
    MOBILE_USE_ACTIONS,
    TOOL_SCALE,
    ToolName,
)

_COMPUTER_ACTIONS = {
    "key": "press the listed keys together, then let go in reverse order",
    "type": "type a piece of text with the keyboard",
    "mouse_move": "move the pointer to (x, y)",
    "left_click": "click the left button at (x, y)",
    "left_click_drag": "hold the left button and drag the pointer to (x, y)",
    "right_click": "click the right button at (x, y)",
    "middle_click": "click the middle button at (x, y)",
    "double_click": "double-click the left button at (x, y)",
    "triple_click": "triple-click the left button at (x, y)",
    "scroll": "turn the mouse wheel vertically",
    "hscroll": "turn the mouse wheel horizontally",
    "wait": "wait some seconds for the screen to change",
    "terminate": "stop and report whether the task succeeded",
    "answer": "give the user an answer",
}
_MOBILE_ACTIONS = {
    "click": "tap the point (x, y)",
    "long_press": "press and hold the point (x, y) for some seconds",
    "swipe": "slide from (x, y) to (x2, y2)",
    "type": "enter text into the focused input",
    "answer": "give the user an answer",
    "system_button": "press a system button",
    "wait": "wait some seconds for the screen to change",
    "terminate": "stop and report whether the task succeeded",
}


def tool_declaration(tool: ToolName) -> dict[str, Any]:
    """The OpenAI-style function declaration of a tool, as it goes inside <tools>."""
    scale = TOOL_SCALE[tool]
    if tool == "computer_use":
        actions, enum = _COMPUTER_ACTIONS, list(COMPUTER_USE_ACTIONS)
        intro = "Operate a computer with mouse and keyboard, looking at screenshots."
        params: dict[str, Any] = {
            "keys": {"description": "Keys for action=key.", "type": "array"},
            "text": {"description": "Text for action=type and action=answer.", "type": "string"},
            "coordinate": {"description": "(x, y) on the screen, from the left and top edges.",
                           "type": "array"},
            "pixels": {"description": "How far to scroll for action=scroll and action=hscroll; "
                                      "positive goes up.", "type": "number"},
            "time": {"description": "Seconds, for action=wait.", "type": "number"},
            "status": {"description": "For action=terminate.", "type": "string",
                       "enum": ["success", "failure"]},
        }  # fmt: skip
    else:
        actions, enum = _MOBILE_ACTIONS, list(MOBILE_USE_ACTIONS)
        intro = "Operate a touch-screen phone, looking at screenshots."
        params = {
            "coordinate": {"description": "(x, y) on the screen, for click, long_press and swipe.",
                           "type": "array"},
            "coordinate2": {"description": "(x2, y2) where a swipe ends.", "type": "array"},
            "text": {"description": "Text for action=type and action=answer.", "type": "string"},
            "time": {"description": "Seconds, for action=long_press and action=wait.",
                     "type": "number"},
            "button": {"description": "Back, Home, Menu (recent apps) or Enter.", "type": "string",
                       "enum": ["Back", "Home", "Menu", "Enter"]},
            "status": {"description": "For action=terminate.", "type": "string",
                       "enum": ["success", "failure"]},
        }  # fmt: skip
    described = "\n".join(f"* `{name}`: {text}." for name, text in actions.items())
    return {
        "type": "function",
        "function": {
            "name": tool,
            "description": f"{intro}\n* The screen's resolution is {scale}x{scale}.\n"
            "* Aim at the middle of what you click.",
            "parameters": {
                "properties": {
                    "action": {"description": f"The action to take:\n{described}",
                               "enum": enum, "type": "string"},
                    **params,
                },
                "required": ["action"],
                "type": "object",
            },
        },
    }  # fmt: skip


def tool_system_prompt(tool: ToolName) -> str:
    """The system prompt that declares one tool and how to call it."""
    declaration = json.dumps(tool_declaration(tool), ensure_ascii=False)
    return (
        "# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
        "You are provided with function signatures within <tools></tools> XML tags:\n"
        f"<tools>\n{declaration}\n</tools>\n\n"
        "For each function call, return a json object with function name and arguments "
        "within <tool_call></tool_call> XML tags:\n<tool_call>\n"
        '{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call>'
    )


def grounding_prompt(description: str) -> str:
    """Ask for the box of one element, as `bbox_2d` JSON in 0..1000 coordinates."""
    return (
        f"Locate {description} in the screenshot. Answer with JSON only: "
        '[{"bbox_2d": [x1, y1, x2, y2], "label": "<what it is>"}], coordinates from 0 to 1000.'
    )
