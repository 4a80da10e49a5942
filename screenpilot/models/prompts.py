"""What Qwen3-VL is told: the agent tool declarations, the shape of its answers, the steps
so far, the grounding prompt, and prompt text a user supplies instead of ours.

The tool declarations keep exactly what the model was trained on - the function names
`computer_use` and `mobile_use`, the `action` enums, the parameter names, "The screen's
resolution is 1000x1000" (999x999 on the phone), `<tools></tools>` around the declaration
and `<tool_call></tool_call>` around each answer. The descriptions are written here in the
project's own words.

As in Qwen's own agent cookbooks, the system prompt ends with a response-format block (the
phone agent answers Thought, Action, call; the computer agent Action, call), and the user
turn names the task and lists the steps taken so far. Each past step is shown the way the
model itself would have written it: its Action sentence and the tool call, coordinates in
the tool's frame - never the project's action JSON or screen pixels.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from screenpilot.errors import InvalidInputError
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
    # Not in Qwen3-VL's declaration; Qwen2.5-VL's phone tool has it (`families`).
    "open": "open the app named in `text`",
}


def tool_declaration(
    tool: ToolName,
    *,
    resolution: tuple[int, int] | None = None,
    actions: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The OpenAI-style function declaration of a tool, as it goes inside <tools>.

    By default it is Qwen3-VL's: the screen is the tool's model frame (1000x1000, 999x999)
    and every action the tool has is offered. Another family of the same tool format
    (`families`) states its own `resolution` (width, height) and offers only its `actions`.
    """
    scale = TOOL_SCALE[tool]
    width, height = resolution or (scale, scale)
    if tool == "computer_use":
        every, enum = _COMPUTER_ACTIONS, list(COMPUTER_USE_ACTIONS)
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
        every, enum = _MOBILE_ACTIONS, list(MOBILE_USE_ACTIONS)
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
    if actions is not None:
        enum = list(actions)
    described = "\n".join(f"* `{name}`: {every[name]}." for name in enum)
    return {
        "type": "function",
        "function": {
            "name": tool,
            "description": f"{intro}\n* The screen's resolution is {width}x{height}.\n"
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
    """The system prompt of the native agent: the `# Tools` block declaring one tool and how
    to call it (`tools_system_prompt`), then the response-format block."""
    return tools_system_prompt([tool_declaration(tool)]) + "\n\n" + response_format(tool)


# ----------------------------------------------------------------------- response format
#: The parts an answer has before its call, after the cookbooks: the phone agent was shown
#: Thought then Action, the computer agent Action alone.
_ANSWER_PARTS: dict[ToolName, tuple[str, ...]] = {
    "computer_use": ("Action",),
    "mobile_use": ("Thought", "Action"),
}
_PART_MEANING = {
    "Thought": "Thought: a single short sentence on why this is the right next move "
    "(no step-by-step reasoning).",
    "Action": "Action: a single short sentence, as an order, naming what to do next on the screen.",
}
_COUNT = {2: "two", 3: "three"}


def response_format(tool: ToolName) -> str:
    """The block that tells the model how to lay out every answer; it closes the system
    prompt, where the cookbooks put it."""
    lead = _ANSWER_PARTS[tool]
    parts = [_PART_MEANING[p] for p in lead]
    parts.append("One <tool_call></tool_call> block, holding nothing but the JSON of the call.")
    numbered = "\n".join(f"{n}) {text}" for n, text in enumerate(parts, start=1))
    order = ", ".join([*lead, "<tool_call>"])
    if len(lead) == 1:
        brevity = f"One sentence for the {lead[0]}"
    else:
        brevity = f"One sentence each for {' and '.join(lead)}"
    return (
        "# Response format\n\n"
        f"Lay out every answer as these {_COUNT[len(parts)]} parts:\n{numbered}\n\n"
        "Rules:\n"
        f"- Keep the order {order}.\n"
        f"- {brevity}; no more.\n"
        "- Write nothing before, between or after the parts.\n"
        f"- To end the task, call {tool} with action=terminate."
    )


# ----------------------------------------------------------------------- the steps so far
@dataclass(frozen=True)
class PastStep:
    """A step already taken, as the model is told of it.

    `said` is the model's own Action sentence (or, for a step it did not describe, one of
    ours); `call` the tool call in the tool's vocabulary, coordinates as whole numbers in
    its frame (None when the tool cannot express the step), or, for a family that answers
    in action text rather than JSON (UI-TARS), that text; `result` how it went.
    """

    number: int
    said: str
    call: dict[str, Any] | str | None
    result: str


def history_text(steps: Sequence[PastStep]) -> str:
    """The steps so far, one a line, e.g.
    `Step 2: Click the Email field. {"name": "computer_use", ...} -> done`; `None` before
    the first."""
    lines = []
    for step in steps:
        if step.call is None:
            call = ""
        elif isinstance(step.call, str):
            call = " " + step.call
        else:
            call = " " + json.dumps(step.call, ensure_ascii=False)
        lines.append(f"Step {step.number}: {step.said}{call} -> {step.result}")
    return "\n".join(lines) or "None"


def native_query(tool: ToolName, instruction: str, history: str) -> str:
    """The user turn that goes with each screenshot, shaped as in the cookbook of each tool:
    the computer agent gets the instruction and its previous actions, the phone agent the
    user query and the task's progress."""
    if tool == "computer_use":
        return (
            "Choose the next move from the screenshot, the instruction and what has been "
            f"done so far.\n\nInstruction: {instruction}\n\nPrevious actions:\n{history}"
        )
    return (
        f"The user query: {instruction}\n"
        f"Task progress (the steps already done on this phone):\n{history}"
    )


# A labelled line (`Action: ...`, `2) **Action:** ...`), else the label inside a line.
_ACTION_LINE = re.compile(r"^[\s*#>\d.)-]*action\**\s*:\**\s*(\S.*?)\s*$", re.I | re.M)
_ACTION_INLINE = re.compile(r"\bAction\s*:\s*(\S.*?)\s*$", re.M)


def action_sentence(answer: str) -> str | None:
    """The Action sentence of an answer (`Action: Click the Email field.`), if it has one."""
    match = _ACTION_LINE.search(answer) or _ACTION_INLINE.search(answer)
    if match is None:
        return None
    return match.group(1).strip("* ") or None


_CLICK_WORDS = {
    "left_click": "Click",
    "right_click": "Right-click",
    "middle_click": "Middle-click",
    "double_click": "Double-click",
    "triple_click": "Triple-click",
}


def call_sentence(call: Mapping[str, Any]) -> str:
    """A short sentence of ours for a tool call (as `tool_call_dict` writes it), for a step
    the model did not describe; coordinates stay in the call's frame."""
    args: Mapping[str, Any] = call["arguments"]
    action = args["action"]

    def point(name: str = "coordinate") -> str:
        xy = args.get(name)
        return "where the pointer is" if xy is None else f"({xy[0]}, {xy[1]})"

    def quoted(name: str) -> str:
        return json.dumps(args.get(name, ""), ensure_ascii=False)

    at = "" if args.get("coordinate") is None else f" at {point()}"
    pixels = args.get("pixels", 0)
    sentences = {
        "key": lambda: f"Press {'+'.join(args.get('keys', []))}.",
        "type": lambda: f"Type {quoted('text')}.",
        "answer": lambda: f"Answer {quoted('text')}.",
        "mouse_move": lambda: f"Move the pointer to {point()}.",
        "left_click_drag": lambda: f"Drag to {point()}.",
        "scroll": lambda: f"Scroll {'up' if pixels > 0 else 'down'} {abs(pixels)}{at}.",
        "hscroll": lambda: f"Scroll {'right' if pixels > 0 else 'left'} {abs(pixels)}{at}.",
        "wait": lambda: f"Wait {args.get('time', 0):g} seconds.",
        "terminate": lambda: f"End the task ({args.get('status')}).",
        "click": lambda: f"Tap {point()}.",
        "long_press": lambda: f"Press and hold {point()} for {args.get('time', 0):g} seconds.",
        "swipe": lambda: f"Swipe from {point()} to {point('coordinate2')}.",
        "system_button": lambda: f"Press the {args.get('button')} button.",
    }
    if action in _CLICK_WORDS:
        return f"{_CLICK_WORDS[action]} {point()}."
    return sentences[action]() if action in sentences else f"{action}."


# ----------------------------------------------------------------------- a user's own prompt
#: The placeholders a prompt file may hold, and what each becomes.
PROMPT_PLACEHOLDERS: dict[str, str] = {
    "instruction": "the task, as it was given",
    "history": "the steps taken so far, one a line, as the built-in prompt lists them",
    "device": "what is operated: `desktop computer` or `phone`",
    "tools": "native policy only: the tool's JSON declaration (what goes in <tools></tools>; "
    "for UI-TARS, its action space)",
    "actions": "planned policy only: the action types a plan may use",
}
# `{name}` is a placeholder and `{{name}}` the literal text `{name}`; every other brace (a
# JSON example, say) is plain text and needs no escaping.
_PLACEHOLDER = re.compile(r"\{\{([A-Za-z_]\w*)\}\}|\{([A-Za-z_]\w*)\}")
_SECTION = re.compile(r"^\[(system|user)\][ \t]*\r?$", re.M)


@dataclass(frozen=True)
class PromptFile:
    """Prompt text a person supplies in place of the built-in wording (`run --prompt-file`).

    The whole file is the user turn - the words sent with each screenshot. A file may
    instead be split by a line `[system]` and a line `[user]`: the `[system]` part replaces
    the system prompt, the `[user]` part the user turn, and a part the file leaves out stays
    built in. Placeholders (`PROMPT_PLACEHOLDERS`) are filled in on every request; a file
    that replaces the user turn must hold `{instruction}` somewhere, or the task would never
    reach the model. The screenshot and the parsing of answers do not change.
    """

    source: str
    system: str | None
    user: str | None

    @classmethod
    def read(cls, path: Path) -> PromptFile:
        """Read and check a prompt file (UTF-8)."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise _bad_prompt(str(path), "it is not UTF-8 text") from None
        except OSError as error:
            why = error.strerror or type(error).__name__
            raise _bad_prompt(str(path), f"cannot read it ({why})") from None
        return cls.parse(text, source=str(path))

    @classmethod
    def parse(cls, text: str, *, source: str = "text") -> PromptFile:
        """Split and check prompt text (see the class); `source` names it in errors."""
        if not text.strip():
            raise _bad_prompt(source, "it is empty")
        headers = list(_SECTION.finditer(text))
        parts: dict[str, str] = {}
        if not headers:
            parts["user"] = text.strip("\r\n")
        elif text[: headers[0].start()].strip():
            raise _bad_prompt(source, f"text comes before its first [{headers[0].group(1)}] line")
        for n, header in enumerate(headers):
            name = header.group(1)
            if name in parts:
                raise _bad_prompt(source, f"it has more than one [{name}] line")
            end = headers[n + 1].start() if n + 1 < len(headers) else len(text)
            parts[name] = text[header.end() : end].strip("\r\n")
            if not parts[name].strip():
                raise _bad_prompt(source, f"its [{name}] part is empty")
        prompt = cls(source, parts.get("system"), parts.get("user"))
        unknown = sorted(prompt.placeholders() - PROMPT_PLACEHOLDERS.keys())
        if unknown:
            verb = "is not a placeholder" if len(unknown) == 1 else "are not placeholders"
            raise _bad_prompt(
                source,
                f"{_braced(unknown)} {verb} (known: {_braced(PROMPT_PLACEHOLDERS)}; "
                "write {{name}} for a literal {name})",
            )
        if prompt.user is not None and "instruction" not in prompt.placeholders():
            raise _bad_prompt(
                source,
                "it replaces the user turn but holds no {instruction}: the task would "
                "never reach the model",
            )
        return prompt

    def placeholders(self) -> set[str]:
        """The placeholder names the file uses."""
        found: set[str] = set()
        for part in (self.system, self.user):
            found |= {m.group(2) for m in _PLACEHOLDER.finditer(part or "") if m.group(2)}
        return found

    def check(self, allowed: Collection[str], policy: str) -> None:
        """Refuse placeholders the `policy` cannot fill."""
        stray = sorted(self.placeholders() - set(allowed))
        if stray:
            raise _bad_prompt(
                self.source,
                f"{_braced(stray)} cannot be filled by the {policy} policy "
                f"(it fills {_braced(sorted(allowed))})",
            )

    def turns(self, values: Mapping[str, str], *, system: str, user: str) -> tuple[str, str]:
        """(system prompt, user turn): the file's parts filled in, the given built-in text
        where the file has none."""
        return (
            system if self.system is None else _fill(self.system, values),
            user if self.user is None else _fill(self.user, values),
        )


def _fill(text: str, values: Mapping[str, str]) -> str:
    # One pass: a value that itself holds `{history}` (an instruction, say) stays as written.
    return _PLACEHOLDER.sub(
        lambda m: "{" + m.group(1) + "}" if m.group(1) else values[m.group(2)], text
    )


def _braced(names: Collection[str]) -> str:
    return ", ".join("{" + name + "}" for name in names)


def _bad_prompt(source: str, reason: str) -> InvalidInputError:
    return InvalidInputError(f"prompt file {source}", [("", reason)])


def grounding_prompt(description: str) -> str:
    """Ask for the box of one element, as `bbox_2d` JSON in 0..1000 coordinates."""
    return (
        f"Locate {description} in the screenshot. Answer with JSON only: "
        '[{"bbox_2d": [x1, y1, x2, y2], "label": "<what it is>"}], coordinates from 0 to 1000.'
    )


def tools_system_prompt(declarations: Sequence[Mapping[str, Any]]) -> str:
    """The `# Tools` block that declares any OpenAI-style functions (a request's `tools`, as
    `tool_declaration` gives them) the way Qwen3-VL's chat template does: one JSON line per
    tool inside <tools></tools>, then how to call one. `tool_system_prompt` opens with this
    block for its one tool."""
    lines = "".join(f"\n{json.dumps(d, ensure_ascii=False)}" for d in declarations)
    return (
        "# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
        f"You are provided with function signatures within <tools></tools> XML tags:\n<tools>"
        f"{lines}\n</tools>\n\n"
        "For each function call, return a json object with function name and arguments "
        "within <tool_call></tool_call> XML tags:\n<tool_call>\n"
        '{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call>'
    )
