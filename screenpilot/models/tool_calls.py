"""Qwen3-VL's agent tool calls, and their exact translation to and from the action vocabulary.

Qwen3-VL was trained to act through two function tools: `computer_use` (desktop) and
`mobile_use` (phone). A call is `{"name": <tool>, "arguments": {"action": ..., ...}}` with the
parameter names and enums below kept exactly as the model knows them. Coordinates in a call are
in the model frame: 0..1000 for `computer_use` (its prompt says the screen is 1000x1000) and
0..999 for `mobile_use` (its prompt says 999x999).

The translation is exact in both directions or it refuses: an action the tool cannot express
(a right double-click, a swipe given by direction, typing into a target, a finish message...)
raises `NoEquivalentError` saying how to express it instead. The only changes a round trip
makes are the screen rules: a model coordinate on the very right/bottom edge is clamped one
pixel inside, and one within a few pixels of a corner is moved off it.

Scroll conventions: `pixels` counts wheel clicks; positive scrolls up. For `hscroll` the
official prompt leaves the sign open; here positive scrolls right, as pyautogui's `hscroll`
and X's wheel buttons 6/7 do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, ClassVar, Literal, Self, TypeVar, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from screenpilot.actions.keys import normalise_chord
from screenpilot.actions.vocabulary import (
    MAX_GESTURE_SECONDS,
    MAX_WAIT_SECONDS,
    Action,
    Answer,
    Click,
    Direction,
    Drag,
    Finish,
    Hover,
    Key,
    LongPress,
    Scroll,
    Swipe,
    SystemButton,
    TypeText,
    Wait,
)
from screenpilot.errors import InvalidInputError, NoEquivalentError
from screenpilot.perception.geometry import ModelPoint, ScreenGeometry, ScreenPoint

ToolName = Literal["computer_use", "mobile_use"]

ComputerUseAction = Literal[
    "key", "type", "mouse_move", "left_click", "left_click_drag", "right_click",
    "middle_click", "double_click", "triple_click", "scroll", "hscroll", "wait",
    "terminate", "answer",
]  # fmt: skip
MobileUseAction = Literal[
    "click", "long_press", "swipe", "type", "answer", "system_button", "wait", "terminate"
]
MobileButton = Literal["Back", "Home", "Menu", "Enter"]

#: The resolution each tool's prompt states, i.e. the divisor of its coordinates.
TOOL_SCALE: dict[ToolName, int] = {"computer_use": 1000, "mobile_use": 999}


def _plain_number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _plain_pair(xy: tuple[float, float]) -> list[int | float]:
    return [_plain_number(v) for v in xy]


# Numbers are written back the way the model writes them: whole numbers without ".0".
_Number = Annotated[float, Field(strict=True, allow_inf_nan=False), PlainSerializer(_plain_number)]
_ModelCoordinate = Annotated[
    tuple[Annotated[_Number, Field(ge=0, le=1000)], Annotated[_Number, Field(ge=0, le=1000)]],
    PlainSerializer(_plain_pair),
]
_Time = Annotated[_Number, Field(gt=0, le=MAX_WAIT_SECONDS)]
_Text = Annotated[str, Field(min_length=1)]


class _Arguments(BaseModel):
    """Shared checks: which parameters each action requires and which it allows."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    #: action -> (required parameters, optional parameters)
    PARAMETERS: ClassVar[dict[str, tuple[frozenset[str], frozenset[str]]]]

    action: str

    @model_validator(mode="after")
    def _parameters_fit_action(self) -> Self:
        required, optional = self.PARAMETERS[self.action]
        given = {
            name
            for name in type(self).model_fields
            if name != "action" and getattr(self, name) is not None
        }
        missing = sorted(required - given)
        if missing:
            raise ValueError(f"action {self.action!r} needs {', '.join(f'`{m}`' for m in missing)}")
        stray = sorted(given - required - optional)
        if stray:
            raise ValueError(
                f"{', '.join(f'`{s}`' for s in stray)} does not apply to action {self.action!r}"
            )
        return self

    def call_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


def _req(*names: str) -> tuple[frozenset[str], frozenset[str]]:
    return frozenset(names), frozenset()


def _opt(*names: str) -> tuple[frozenset[str], frozenset[str]]:
    return frozenset(), frozenset(names)


class ComputerUseArguments(_Arguments):
    """The arguments of one `computer_use` call, checked against the tool's declaration."""

    PARAMETERS = {
        "key": _req("keys"),
        "type": _req("text"),
        "mouse_move": _req("coordinate"),
        "left_click": _opt("coordinate"),
        "right_click": _opt("coordinate"),
        "middle_click": _opt("coordinate"),
        "double_click": _opt("coordinate"),
        "triple_click": _opt("coordinate"),
        "left_click_drag": _req("coordinate"),
        "scroll": (frozenset({"pixels"}), frozenset({"coordinate"})),
        "hscroll": (frozenset({"pixels"}), frozenset({"coordinate"})),
        "wait": _req("time"),
        "terminate": _req("status"),
        "answer": _req("text"),
    }

    action: ComputerUseAction
    keys: list[str] | None = None
    text: _Text | None = None
    coordinate: _ModelCoordinate | None = None
    pixels: _Number | None = None
    time: _Time | None = None
    status: Literal["success", "failure"] | None = None

    @field_validator("keys")
    @classmethod
    def _known_keys(cls, keys: list[str] | None) -> list[str] | None:
        # An explicit null reaches the validator too; it counts as not given.
        return None if keys is None else normalise_chord(keys)

    @field_validator("pixels")
    @classmethod
    def _whole_clicks(cls, pixels: float | None) -> float | None:
        if pixels is None:
            return None
        if pixels == 0 or not float(pixels).is_integer():
            raise ValueError(f"must be a non-zero whole number of wheel clicks, got {pixels}")
        return pixels


def _button_spelling(value: Any) -> Any:
    return value.strip().capitalize() if isinstance(value, str) else value


class MobileUseArguments(_Arguments):
    """The arguments of one `mobile_use` call, checked against the tool's declaration."""

    PARAMETERS = {
        "click": _req("coordinate"),
        "long_press": _req("coordinate", "time"),
        "swipe": _req("coordinate", "coordinate2"),
        "type": _req("text"),
        "answer": _req("text"),
        "system_button": _req("button"),
        "wait": _req("time"),
        "terminate": _req("status"),
    }

    action: MobileUseAction
    coordinate: _ModelCoordinate | None = None
    coordinate2: _ModelCoordinate | None = None
    text: _Text | None = None
    time: _Time | None = None
    button: Annotated[MobileButton, BeforeValidator(_button_spelling)] | None = None
    status: Literal["success", "failure"] | None = None

    @model_validator(mode="after")
    def _gesture_length(self) -> Self:
        if (
            self.action == "long_press"
            and self.time is not None
            and self.time > MAX_GESTURE_SECONDS
        ):
            raise ValueError(f"a long press lasts at most {MAX_GESTURE_SECONDS:g} s")
        return self


class ComputerUseCall(BaseModel):
    """`{"name": "computer_use", "arguments": {...}}`"""

    model_config = ConfigDict(frozen=True, extra="forbid")
    name: Literal["computer_use"] = "computer_use"
    arguments: ComputerUseArguments


class MobileUseCall(BaseModel):
    """`{"name": "mobile_use", "arguments": {...}}`"""

    model_config = ConfigDict(frozen=True, extra="forbid")
    name: Literal["mobile_use"] = "mobile_use"
    arguments: MobileUseArguments


ToolCall = Annotated[ComputerUseCall | MobileUseCall, Field(discriminator="name")]
TOOL_CALL_ADAPTER: TypeAdapter[ToolCall] = TypeAdapter(ToolCall)

COMPUTER_USE_ACTIONS: tuple[str, ...] = get_args(ComputerUseAction)
MOBILE_USE_ACTIONS: tuple[str, ...] = get_args(MobileUseAction)


def parse_tool_call(data: Any) -> ToolCall:
    """Validate one tool call given as a dict or as JSON text.

    Raises `InvalidInputError` naming each failing argument and the reason (an unknown action,
    a missing `coordinate`, a coordinate outside 0..1000, an unknown key...).
    """
    try:
        if isinstance(data, str | bytes):
            return TOOL_CALL_ADAPTER.validate_json(data)
        return TOOL_CALL_ADAPTER.validate_python(data)
    except ValidationError as error:
        raise InvalidInputError.from_validation("call", error, tagged=True) from None


def tool_call_dict(call: ToolCall) -> dict[str, Any]:
    """The call as the model writes it: unused parameters left out, whole numbers as ints."""
    return {"name": call.name, "arguments": call.arguments.call_json()}


# --------------------------------------------------------------------- tool call -> action
_CLICKS: dict[str, tuple[Literal["left", "right", "middle"], Literal[1, 2, 3]]] = {
    "left_click": ("left", 1),
    "right_click": ("right", 1),
    "middle_click": ("middle", 1),
    "double_click": ("left", 2),
    "triple_click": ("left", 3),
}
_BUTTONS: dict[MobileButton, Literal["back", "home", "recents", "enter"]] = {
    "Back": "back",
    "Home": "home",
    "Menu": "recents",
    "Enter": "enter",
}


class _Placer:
    """Puts a tool call's model-frame coordinates on the screen."""

    def __init__(self, geometry: ScreenGeometry, scale: int) -> None:
        self.geometry, self.scale = geometry, scale

    def point(self, xy: tuple[float, float] | None) -> ScreenPoint:
        assert xy is not None, "the argument check guarantees this coordinate"
        return self.geometry.model_to_screen(ModelPoint(x=xy[0], y=xy[1]), self.scale)

    def optional(self, xy: tuple[float, float] | None) -> ScreenPoint | None:
        return None if xy is None else self.point(xy)


def tool_call_to_action(call: ToolCall, geometry: ScreenGeometry) -> Action:
    """The action a validated tool call asks for, with its coordinates on the screen.

    Raises `InvalidInputError` when the call is well-formed for the tool but asks for an
    action screenpilot refuses (text with control characters, a 5000-click scroll...).
    """
    at = _Placer(geometry, TOOL_SCALE[call.name])
    try:
        if isinstance(call, ComputerUseCall):
            return _computer_action(call.arguments, at)
        return _mobile_action(call.arguments, at)
    except ValidationError as error:
        raise InvalidInputError.from_validation(
            f"action from a {call.name} {call.arguments.action!r} call", error
        ) from None


def _computer_action(args: ComputerUseArguments, at: _Placer) -> Action:
    a = args.action
    if a in _CLICKS:
        button, count = _CLICKS[a]
        return Click(target=at.optional(args.coordinate), button=button, count=count)
    if a == "mouse_move":
        return Hover(target=at.point(args.coordinate))
    if a == "left_click_drag":
        return Drag(end=at.point(args.coordinate))
    if a in ("scroll", "hscroll"):
        assert args.pixels is not None
        forward = args.pixels > 0
        direction: Direction
        if a == "scroll":
            direction = "up" if forward else "down"
        else:
            direction = "right" if forward else "left"
        return Scroll(
            direction=direction, amount=int(abs(args.pixels)), target=at.optional(args.coordinate)
        )
    return _common_action(args, a)


def _mobile_action(args: MobileUseArguments, at: _Placer) -> Action:
    a = args.action
    if a == "click":
        return Click(target=at.point(args.coordinate))
    if a == "long_press":
        assert args.time is not None
        return LongPress(target=at.point(args.coordinate), duration=args.time)
    if a == "swipe":
        return Swipe(start=at.point(args.coordinate), end=at.point(args.coordinate2))
    if a == "system_button":
        assert args.button is not None
        return SystemButton(button=_BUTTONS[args.button])
    return _common_action(args, a)


def _common_action(args: ComputerUseArguments | MobileUseArguments, a: str) -> Action:
    """The actions both tools share, with the same parameters."""
    if a == "type":
        assert args.text is not None
        return TypeText(text=args.text)
    if a == "answer":
        assert args.text is not None
        return Answer(text=args.text)
    if a == "wait":
        assert args.time is not None
        return Wait(seconds=args.time)
    if a == "terminate":
        assert args.status is not None
        return Finish(status=args.status)
    if a == "key" and isinstance(args, ComputerUseArguments):
        assert args.keys is not None
        return Key(keys=args.keys)
    raise AssertionError(f"unhandled tool action {a!r}")  # the Literal types make this unreachable


# --------------------------------------------------------------------- action -> tool call
def action_to_tool_call(action: Action, tool: ToolName, geometry: ScreenGeometry) -> ToolCall:
    """The `tool` call that asks for exactly `action` on this observation's image.

    Raises `NoEquivalentError` when the tool cannot express the action exactly, with a
    sentence saying what to do instead.
    """
    scale = TOOL_SCALE[tool]

    def coordinate(target: object, what: str) -> tuple[float, float]:
        if not isinstance(target, ScreenPoint):
            raise NoEquivalentError(_target_problem(target, what, tool))
        if not geometry.shows(target):
            raise NoEquivalentError(
                f"{what} ({target.x:g}, {target.y:g}) lies outside the area the image shows, "
                f"so {tool} cannot name it"
            )
        p = geometry.screen_to_model(target, scale)
        return (round(p.x, 6), round(p.y, 6))

    if tool == "computer_use":
        return ComputerUseCall(arguments=_computer_arguments(action, coordinate))
    return MobileUseCall(arguments=_mobile_arguments(action, coordinate))


_Coordinate = Callable[[object, str], tuple[float, float]]
_ENSURE_HINT = (
    "the tools have no click that depends on a checkbox's state: send a plain click once "
    "the screenshot shows it needs one"
)


def _computer_arguments(action: Action, coordinate: _Coordinate) -> ComputerUseArguments:
    args_type = ComputerUseArguments
    tool: ToolName = "computer_use"
    match action:
        case Click(ensure=ensure) if ensure is not None:
            raise NoEquivalentError(_ENSURE_HINT)
        case Click(button=button, count=count, target=target):
            name = {v: k for k, v in _CLICKS.items()}.get((button, count))
            if name is None:
                raise NoEquivalentError(
                    f"computer_use has no {button} click repeated {count} times "
                    "(only left double/triple clicks)"
                )
            xy = None if target is None else coordinate(target, "the click target")
            return args_type(action=name, coordinate=xy)
        case Hover(target=target):
            return args_type(action="mouse_move", coordinate=coordinate(target, "the hover target"))
        case Drag(start=None, end=end, duration=None):
            return args_type(action="left_click_drag", coordinate=coordinate(end, "the drag end"))
        case Drag(start=start) if start is not None:
            raise NoEquivalentError(
                "computer_use's left_click_drag starts where the pointer is: send a hover to "
                "the start first, then a drag without `start`"
            )
        case Drag():
            raise NoEquivalentError("computer_use's left_click_drag has no duration")
        case Scroll(direction=direction, amount=amount, target=target):
            sign = 1 if direction in ("up", "right") else -1
            xy = None if target is None else coordinate(target, "the scroll position")
            name = "scroll" if direction in ("up", "down") else "hscroll"
            return args_type(action=name, pixels=sign * amount, coordinate=xy)
        case Key(keys=keys):
            return args_type(action="key", keys=keys)
    return _shared_arguments(args_type, action, tool)


def _mobile_arguments(action: Action, coordinate: _Coordinate) -> MobileUseArguments:
    args_type = MobileUseArguments
    tool: ToolName = "mobile_use"
    match action:
        case Click(ensure=ensure) if ensure is not None:
            raise NoEquivalentError(_ENSURE_HINT)
        case Click(button="left", count=1, target=target) if target is not None:
            return args_type(action="click", coordinate=coordinate(target, "the tap target"))
        case Click(target=None):
            raise NoEquivalentError(
                "mobile_use's click needs a coordinate; give the click a target"
            )
        case Click():
            raise NoEquivalentError("mobile_use only taps once: no other button, no double tap")
        case LongPress(target=target, duration=duration):
            return args_type(
                action="long_press",
                coordinate=coordinate(target, "the press target"),
                time=duration,
            )
        case Swipe(start=start, end=end, duration=None) if end is not None:
            return args_type(
                action="swipe",
                coordinate=coordinate(start, "the swipe start"),
                coordinate2=coordinate(end, "the swipe end"),
            )
        case Swipe(end=None):
            raise NoEquivalentError(
                "mobile_use's swipe goes between two points: resolve the direction into an "
                "`end` point first"
            )
        case Swipe():
            raise NoEquivalentError("mobile_use's swipe has no duration")
        case SystemButton(button=button):
            spelled = {v: k for k, v in _BUTTONS.items()}[button]
            return args_type(action="system_button", button=spelled)
    return _shared_arguments(args_type, action, tool)


_Args = TypeVar("_Args", ComputerUseArguments, MobileUseArguments)


def _shared_arguments(args: type[_Args], action: Action, tool: ToolName) -> _Args:
    """The actions both tools express the same way; a refusal for everything else."""
    match action:
        case TypeText(text=text, target=None, clear_first=False, press_enter=False):
            return args(action="type", text=text)
        case TypeText(target=target) if target is not None:
            raise NoEquivalentError(
                f"{tool}'s type writes where the focus is: click the target first, then type"
            )
        case TypeText(clear_first=True):
            raise NoEquivalentError(
                f"{tool}'s type cannot clear a field: select its text first, then type"
            )
        case TypeText():
            raise NoEquivalentError(f"{tool}'s type cannot press Enter: send Enter after it")
        case Wait(seconds=seconds) if seconds is not None:
            return args(action="wait", time=seconds)
        case Wait():
            raise NoEquivalentError(
                f"{tool}'s wait only waits a number of seconds, not for text or an element"
            )
        case Answer(text=text):
            return args(action="answer", text=text)
        case Finish(status=status, message=""):
            return args(action="terminate", status=status)
        case Finish():
            raise NoEquivalentError(
                f"{tool}'s terminate carries only a status: send the message as an answer first"
            )
    raise NoEquivalentError(f"{tool} has no {action.type!r} action")


def _target_problem(target: object, what: str, tool: str) -> str:
    kind = getattr(target, "kind", None)
    if kind == "box":
        return f"{what} is a box and {tool} takes a point: use the box's center"
    if kind in ("element", "description"):
        return f"{what} is an unplaced {kind}: ground it to a screen point first"
    return f"{what} is missing"
