"""UI-TARS-1.5: its prompt, and its answers turned into actions.

UI-TARS answers `Thought: ...` then `Action: ` and one call (or a few, a blank line apart)
written like a Python call with quoted keyword arguments only:

    Thought: The Email field is empty; I click it first.
    Action: click(start_box='(412,318)')

The text is read as data by `action_text` (no `eval`, no `ast`). UI-TARS-1.5 is
Qwen2.5-VL underneath, and like it names absolute pixels of the screenshot after smart
resize (factor 28), which is the size the screenshot is sent at (`visual_budget`).

Each call becomes the `computer_use` / `mobile_use` call that means the same where there is
one (the pixel point divided into the 0..1000 frame), so it goes through the same mapping
as Qwen3-VL's answers; a drag from a start point, typing then Enter, opening an app and
finishing with a message have no such call and become the project's actions directly.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from pydantic import ValidationError

from screenpilot.actions.vocabulary import (
    Action,
    Click,
    Drag,
    Finish,
    Key,
    LongPress,
    OpenApp,
    Scroll,
    Swipe,
    SystemButton,
    TypeText,
    Wait,
)
from screenpilot.errors import InvalidInputError
from screenpilot.models.families import FamilyName
from screenpilot.models.families.action_text import (
    ARGUMENT_ALIASES,
    ActionCall,
    action_text,
    read_calls,
    read_point,
)
from screenpilot.models.families.qwen import QWEN25_PATCH_SIZE
from screenpilot.models.parsing import ModelParseError, split_thinking
from screenpilot.models.tool_calls import TOOL_SCALE, ToolName, parse_tool_call, tool_call_to_action
from screenpilot.perception.geometry import (
    ScreenGeometry,
    ScreenPoint,
    Size,
)
from screenpilot.perception.sizing import MERGE_SIZE, VisualBudget

#: How many wheel clicks one `scroll` turns (UI-TARS' own parser sends pyautogui 5).
SCROLL_CLICKS = 5
#: How long `wait()` waits: its prompt says it sleeps 5 s.
WAIT_SECONDS = 5.0
#: How long a `long_press` holds; its call gives no time.
LONG_PRESS_SECONDS = 1.0

# ------------------------------------------------------------------------ the prompt
_COMPUTER_SPACE = """\
click(start_box='<|box_start|>(x1,y1)<|box_end|>')
left_double(start_box='<|box_start|>(x1,y1)<|box_end|>')
right_single(start_box='<|box_start|>(x1,y1)<|box_end|>')
drag(start_box='<|box_start|>(x1,y1)<|box_end|>', end_box='<|box_start|>(x3,y3)<|box_end|>')
hotkey(key='') # the keys in lowercase, a space between them (key='ctrl c'), three at most
type(content='') # write \\', \\" and \\n for a quote or a new line; end with \\n to submit
scroll(start_box='<|box_start|>(x1,y1)<|box_end|>', direction='down or up or right or left')
wait() # pause 5 seconds, then look at a new screenshot
finished(content='xxx') # the task is done; say what came of it, escaped as in type"""

_MOBILE_SPACE = """\
click(start_box='<|box_start|>(x1,y1)<|box_end|>')
long_press(start_box='<|box_start|>(x1,y1)<|box_end|>')
type(content='') # end with \\n to submit what you typed
scroll(start_box='<|box_start|>(x1,y1)<|box_end|>', direction='down or up or right or left')
open_app(app_name='')
drag(start_box='<|box_start|>(x1,y1)<|box_end|>', end_box='<|box_start|>(x3,y3)<|box_end|>')
press_home()
press_back()
finished(content='xxx') # the task is done; say what came of it"""

_SPACES: dict[ToolName, str] = {"computer_use": _COMPUTER_SPACE, "mobile_use": _MOBILE_SPACE}
_DEVICES: dict[ToolName, str] = {"computer_use": "a computer", "mobile_use": "a phone"}


def ui_tars_prompt(tool: ToolName, instruction: str, history: str) -> str:
    """The words sent with each screenshot, laid out in the sections UI-TARS was trained
    on (output format, action space, notes, the instruction), then the steps so far."""
    return (
        f"You operate {_DEVICES[tool]} for a person, one action at a time. You see the task, "
        "what has been done, and a screenshot; give the next action.\n\n"
        "## Output Format\n```\nThought: ...\nAction: ...\n```\n\n"
        f"## Action Space\n\n{_SPACES[tool]}\n\n"
        "## Note\n- Use English in `Thought` part.\n"
        "- In `Thought`, plan briefly, then say in one sentence which action comes next "
        "and on what element.\n\n"
        f"## User Instruction\n{instruction}\n\n"
        f"## Action History\n{history}"
    )


# ------------------------------------------------------------------------ calls -> actions
#: Each call's required and optional arguments (after `ARGUMENT_ALIASES`), per tool.
_Spec = tuple[frozenset[str], frozenset[str]]
_BOTH: dict[str, _Spec] = {
    "click": (frozenset({"start_box"}), frozenset()),
    "type": (frozenset({"content"}), frozenset()),
    "scroll": (frozenset({"direction"}), frozenset({"start_box"})),
    "drag": (frozenset({"start_box", "end_box"}), frozenset()),
    "wait": (frozenset(), frozenset()),
    "finished": (frozenset(), frozenset({"content"})),
}
_CALLS: dict[ToolName, dict[str, _Spec]] = {
    "computer_use": {
        **_BOTH,
        "left_single": (frozenset({"start_box"}), frozenset()),
        "left_double": (frozenset({"start_box"}), frozenset()),
        "right_single": (frozenset({"start_box"}), frozenset()),
        "hover": (frozenset({"start_box"}), frozenset()),
        "select": (frozenset({"start_box", "end_box"}), frozenset()),
        "hotkey": (frozenset({"key"}), frozenset()),
    },
    "mobile_use": {
        **_BOTH,
        "long_press": (frozenset({"start_box"}), frozenset()),
        "open_app": (frozenset({"app_name"}), frozenset()),
        "press_home": (frozenset(), frozenset()),
        "press_back": (frozenset(), frozenset()),
    },
}
_CLICK_CALLS = {
    "click": "left_click",
    "left_single": "left_click",
    "left_double": "double_click",
    "right_single": "right_click",
    "hover": "mouse_move",
}
_DIRECTIONS = ("up", "down", "left", "right")


class _Mapper:
    """Turns one answer's calls into actions on the screen of `geometry`."""

    def __init__(self, tool: ToolName, geometry: ScreenGeometry, raw: str) -> None:
        self.tool, self.geometry, self.raw = tool, geometry, raw

    def checked(self, call: ActionCall) -> dict[str, str]:
        known = _CALLS[self.tool]
        if call.name not in known:
            raise ModelParseError(
                f"{call.name}() is not in UI-TARS' {self.tool} action space "
                f"({', '.join(sorted(known))})",
                self.raw,
            )
        arguments = {ARGUMENT_ALIASES.get(k, k): v for k, v in call.arguments.items()}
        if call.name == "hotkey" and "hotkey" in arguments:
            arguments["key"] = arguments.pop("hotkey")
        required, optional = known[call.name]
        missing = sorted(required - arguments.keys())
        stray = sorted(arguments.keys() - required - optional)
        problem = (
            f"needs {', '.join(missing)}"
            if missing
            else f"takes no {', '.join(stray)}"
            if stray
            else "names one argument twice"
            if len(arguments) != len(call.arguments)
            else ""
        )
        if problem:
            raise ModelParseError(f"{call.name}() {problem}", self.raw)
        return arguments

    def model(self, text: str) -> list[float]:
        """A point of the call in the tool's model frame (for a Qwen3-VL call)."""
        p = read_point(text, self.geometry.image, self.raw)
        m = self.geometry.image_to_model(p, TOOL_SCALE[self.tool])
        return [m.x, m.y]

    def screen(self, text: str) -> ScreenPoint:
        return self.geometry.image_to_screen(read_point(text, self.geometry.image, self.raw))

    def qwen3(self, **arguments: Any) -> Action:
        """The action of the `computer_use` / `mobile_use` call that means the same."""
        call = parse_tool_call({"name": self.tool, "arguments": arguments})
        return tool_call_to_action(call, self.geometry)

    def action(self, call: ActionCall) -> Action:
        a = self.checked(call)
        name, phone = call.name, self.tool == "mobile_use"
        if name in _CLICK_CALLS:
            if phone:
                return self.qwen3(action="click", coordinate=self.model(a["start_box"]))
            return self.qwen3(action=_CLICK_CALLS[name], coordinate=self.model(a["start_box"]))
        if name == "long_press":
            return self.qwen3(
                action="long_press", coordinate=self.model(a["start_box"]), time=LONG_PRESS_SECONDS
            )
        if name in ("drag", "select"):
            if phone:
                return self.qwen3(
                    action="swipe",
                    coordinate=self.model(a["start_box"]),
                    coordinate2=self.model(a["end_box"]),
                )
            return Drag(start=self.screen(a["start_box"]), end=self.screen(a["end_box"]))
        if name == "hotkey":
            return self.qwen3(action="key", keys=a["key"].split())
        if name == "type":
            return self.typed(a["content"])
        if name == "scroll":
            return self.scroll(a["direction"], a.get("start_box"))
        if name == "wait":
            return self.qwen3(action="wait", time=WAIT_SECONDS)
        if name == "finished":
            return Finish(status="success", message=a.get("content", "").strip())
        if name == "open_app":
            return OpenApp(app=a["app_name"])
        button = "Home" if name == "press_home" else "Back"
        return self.qwen3(action="system_button", button=button)

    def typed(self, content: str) -> Action:
        # Its prompt: a content ending in a new line submits what was typed.
        enter = content.endswith("\n")
        text = content[:-1] if enter else content
        if not text:
            if enter:
                return Key(keys=["enter"])
            raise ModelParseError("type() has nothing to type", self.raw)
        if enter:
            return TypeText(text=text, press_enter=True)
        return self.qwen3(action="type", text=text)

    def scroll(self, direction: str, at: str | None) -> Action:
        way = direction.strip().lower()
        if way not in _DIRECTIONS:
            raise ModelParseError(
                f"{direction!r} is not a scroll direction (up, down, left, right)", self.raw
            )
        if self.tool == "mobile_use":  # mobile_use has no scroll: the device's own one
            target = None if at is None else self.screen(at)
            return Scroll(direction=way, amount=SCROLL_CLICKS, target=target)
        sign = 1 if way in ("up", "right") else -1
        kind = "scroll" if way in ("up", "down") else "hscroll"
        coordinate = None if at is None else self.model(at)
        return self.qwen3(action=kind, pixels=sign * SCROLL_CLICKS, coordinate=coordinate)


# ------------------------------------------------------------------------ actions -> calls
def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n")


@dataclass(frozen=True)
class UITars:
    """UI-TARS-1.5: Thought / Action text, points in pixels of the smart-resized image."""

    name: FamilyName = "ui-tars"
    frame: str = "absolute pixels of the image after smart resize (sides multiples of 28)"

    def visual_budget(self, budget: VisualBudget) -> VisualBudget:
        return replace(budget, patch_size=QWEN25_PATCH_SIZE, merge_size=MERGE_SIZE)

    def system_prompt(self, tool: ToolName, image: Size) -> str:
        # UI-TARS was trained with its whole prompt in the user turn (`user_turn`).
        return "You are a careful assistant that operates devices for people."

    def user_turn(self, tool: ToolName, instruction: str, history: str) -> str:
        return ui_tars_prompt(tool, instruction, history)

    def tools_text(self, tool: ToolName, image: Size) -> str:
        return _SPACES[tool]

    def thought(self, answer: str) -> str:
        try:
            return action_text(answer)[0]
        except ModelParseError:
            return split_thinking(answer)[1].strip()

    def actions(self, answer: str, tool: ToolName, geometry: ScreenGeometry) -> list[Action]:
        _, text = action_text(answer)
        mapper = _Mapper(tool, geometry, answer)
        found = []
        for call in read_calls(text, answer):
            try:
                found.append(mapper.action(call))
            except ValidationError as error:
                what = f"action from {call.name}()"
                raise InvalidInputError.from_validation(what, error) from None
        return found

    def past_call(
        self, action: Action, tool: ToolName, geometry: ScreenGeometry
    ) -> dict[str, Any] | str | None:
        def box(target: object) -> str | None:
            if not isinstance(target, ScreenPoint) or not geometry.shows(target):
                return None
            p = geometry.screen_to_image(target)
            return f"'({round(p.x)},{round(p.y)})'"

        phone = tool == "mobile_use"
        match action:
            case Click(button="left", count=1, target=t, ensure=None) if box(t):
                return f"click(start_box={box(t)})"
            case Click(button="left", count=2, target=t, ensure=None) if box(t) and not phone:
                return f"left_double(start_box={box(t)})"
            case Click(button="right", count=1, target=t, ensure=None) if box(t) and not phone:
                return f"right_single(start_box={box(t)})"
            case LongPress(target=t) if box(t) and phone:
                return f"long_press(start_box={box(t)})"
            case Drag(start=s, end=e) | Swipe(start=s, end=e) if box(s) and box(e):
                return f"drag(start_box={box(s)}, end_box={box(e)})"
            case Key(keys=keys) if not phone:
                return f"hotkey(key='{' '.join(keys)}')"
            case TypeText(text=text, target=None, clear_first=False, press_enter=enter):
                submitted = text + "\n" if enter else text
                return f"type(content='{_escaped(submitted)}')"
            case Scroll(direction=way, target=None):
                return f"scroll(direction='{way}')"
            case Scroll(direction=way, target=t) if box(t):
                return f"scroll(start_box={box(t)}, direction='{way}')"
            case Wait(seconds=s) if s is not None:
                return "wait()"
            case Finish(message=message):
                return f"finished(content='{_escaped(message)}')"
            case SystemButton(button="home") if phone:
                return "press_home()"
            case SystemButton(button="back") if phone:
                return "press_back()"
            case OpenApp(app=app) if phone:
                return f"open_app(app_name='{_escaped(app)}')"
        return None

    def call_words(self, call: dict[str, Any] | str) -> str:
        name = str(call).split("(", 1)[0] if isinstance(call, str) else "a call"
        return _CALL_WORDS.get(name, f"{name}.")

    def tool_label(self, tool: ToolName) -> str:
        return "UI-TARS' action space"


_CALL_WORDS = {
    "click": "Click.",
    "left_double": "Double-click.",
    "right_single": "Right-click.",
    "long_press": "Press and hold.",
    "drag": "Drag.",
    "hotkey": "Press keys.",
    "type": "Type.",
    "scroll": "Scroll.",
    "wait": "Wait.",
    "finished": "Finish.",
    "press_home": "Go home.",
    "press_back": "Go back.",
    "open_app": "Open an app.",
}

UI_TARS = UITars()
