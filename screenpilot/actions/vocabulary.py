"""The typed action vocabulary: everything the agent can do to a desktop or a phone.

One pydantic model per action, joined in the `Action` union on the `type` field. Each model
checks its own invariants when it is built (no negative durations, no empty chords, no swipe
without an end, no unknown keys, only finite coordinates), with messages that name the field
and the reason. `action_json_schema()` exports the whole vocabulary; it is the one source the
model-facing schemas and the task-file format are derived from.

Durations are in seconds. Coordinates are in the screen frame (see `perception.geometry`).
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any, Literal, Self, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from screenpilot.actions.keys import normalise_chord, split_chord
from screenpilot.actions.targets import Target
from screenpilot.errors import InvalidInputError

Direction = Literal["up", "down", "left", "right"]
#: Which of an action's targets a place is: the one it acts on, or where a gesture starts/ends.
TargetRole = Literal["target", "start", "end"]
_ROLES: tuple[TargetRole, ...] = ("start", "end", "target")
MouseButton = Literal["left", "right", "middle"]

#: How long a wait may last; longer is surely a mistake (or a model's runaway number).
MAX_WAIT_SECONDS = 3600.0
#: How long a gesture (press, swipe, drag) may last.
MAX_GESTURE_SECONDS = 60.0

Seconds = Annotated[float, Field(strict=True, allow_inf_nan=False, gt=0, le=MAX_WAIT_SECONDS)]
GestureSeconds = Annotated[
    float, Field(strict=True, allow_inf_nan=False, gt=0, le=MAX_GESTURE_SECONDS)
]


def _no_control_characters(text: str, *, allow_newlines: bool) -> str:
    # Only C0/C1 controls and lone surrogates are refused: every kind of space (no-break,
    # ideographic) and format characters (the joiners inside emoji) are real text.
    allowed = "\n\t" if allow_newlines else ""
    bad = sorted(
        {repr(ch) for ch in text if unicodedata.category(ch) in ("Cc", "Cs") and ch not in allowed}
    )
    if bad:
        raise ValueError(f"contains control characters {', '.join(bad)}")
    return text


class _Action(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    @property
    def targets(self) -> tuple[tuple[TargetRole, Target], ...]:
        """Every target the action points at, with its role, in the order the input uses
        them (a drag's start before its end). The one answer the executor (to place them),
        the safety policy (to judge them) and summaries (to name them) all read."""
        found: list[tuple[TargetRole, Target]] = []
        for role in _ROLES:
            value = getattr(self, role, None)
            if value is not None:
                found.append((role, value))
        return tuple(found)


class Click(_Action):
    """Click a target: left, right or middle button; single, double or triple.

    Without a target it clicks wherever the pointer is. `ensure` makes the click a switch
    to a state: "checked" clicks a checkbox, radio or switch only when it is not checked yet
    (and the step passes once it is), "unchecked" the other way round.
    """

    type: Literal["click"] = "click"
    target: Target | None = None
    button: MouseButton = "left"
    count: Literal[1, 2, 3] = 1
    ensure: Literal["checked", "unchecked"] | None = None


class Hover(_Action):
    """Move the pointer onto a target without clicking (tooltips, hover menus)."""

    type: Literal["hover"] = "hover"
    target: Target


class LongPress(_Action):
    """Press and hold a target (a touch on a phone, the left button on a desktop)."""

    type: Literal["long_press"] = "long_press"
    target: Target
    duration: GestureSeconds = 1.0


class Drag(_Action):
    """Press on `start`, move to `end`, release. Without `start` the drag begins wherever
    the pointer is. `duration` None means the device's own default speed."""

    type: Literal["drag"] = "drag"
    start: Target | None = None
    end: Target
    duration: GestureSeconds | None = None


class Scroll(_Action):
    """Turn the wheel `amount` clicks towards `direction` (up shows what is above), over
    `target` if given, otherwise wherever the pointer is."""

    type: Literal["scroll"] = "scroll"
    direction: Direction
    amount: Annotated[int, Field(strict=True, ge=1, le=1000)] = 3
    target: Target | None = None


class Swipe(_Action):
    """Slide a finger from `start` to `end`, or from `start` in a `direction`.

    `direction` names where the finger moves: "up" moves it up the screen, which scrolls
    a list towards its end. Without `start`, a direction swipe starts mid-screen. `distance`
    (a fraction of the screen's extent along the direction) applies to direction swipes only.
    `duration` None means the device's default (300 ms on Android).
    """

    type: Literal["swipe"] = "swipe"
    start: Target | None = None
    end: Target | None = None
    direction: Direction | None = None
    distance: Annotated[float, Field(strict=True, gt=0, le=1)] | None = None
    duration: GestureSeconds | None = None

    @model_validator(mode="after")
    def _one_way_to_end(self) -> Self:
        if self.end is None and self.direction is None:
            raise ValueError("a swipe needs an end: give `end` (a target) or `direction`")
        if self.end is not None and self.direction is not None:
            raise ValueError("give a swipe either `end` or `direction`, not both")
        if self.end is not None and self.start is None:
            raise ValueError("a swipe to an `end` also needs its `start`")
        if self.distance is not None and self.direction is None:
            raise ValueError("`distance` applies only to a swipe given by `direction`")
        return self


class TypeText(_Action):
    """Enter `text`: into `target` if given (it is clicked first), else where the focus is.

    `clear_first` empties the field before typing; `press_enter` presses Enter after.
    Empty text is allowed only to clear a field. Newlines and tabs are typed as such.
    """

    type: Literal["type"] = "type"
    text: Annotated[str, Field(max_length=100_000)]
    target: Target | None = None
    clear_first: bool = False
    press_enter: bool = False

    @field_validator("text")
    @classmethod
    def _printable(cls, text: str) -> str:
        return _no_control_characters(text, allow_newlines=True)

    @model_validator(mode="after")
    def _something_to_do(self) -> Self:
        if not self.text and not self.clear_first:
            raise ValueError("`text` is empty: give the text to type, or set clear_first")
        return self


def _chord_from_text(value: Any) -> Any:
    return split_chord(value) if isinstance(value, str) else value


class Key(_Action):
    """Press keys together as one chord ("ctrl+c" is `["ctrl", "c"]`); released in reverse."""

    type: Literal["key"] = "key"
    keys: Annotated[list[str], BeforeValidator(_chord_from_text)]

    @field_validator("keys")
    @classmethod
    def _known_keys(cls, keys: list[str]) -> list[str]:
        return normalise_chord(keys)

    @property
    def chord(self) -> str:
        return "+".join(self.keys)


def _button_alias(value: Any) -> Any:
    if isinstance(value, str):
        folded = value.strip().lower()
        return {"menu": "recents", "appswitch": "recents", "app_switch": "recents"}.get(
            folded, folded
        )
    return value


class SystemButton(_Action):
    """A phone's system button: back, home, recents (the app switcher, "Menu"), enter."""

    type: Literal["system_button"] = "system_button"
    button: Annotated[Literal["back", "home", "recents", "enter"], BeforeValidator(_button_alias)]


class OpenApp(_Action):
    """Open an application: an Android package name (com.android.settings) or a desktop
    application's name or .desktop id."""

    type: Literal["open_app"] = "open_app"
    app: Annotated[str, Field(max_length=300)]

    @field_validator("app")
    @classmethod
    def _plain_name(cls, app: str) -> str:
        app = app.strip()
        if not app:
            raise ValueError("name the application to open")
        return _no_control_characters(app, allow_newlines=False)


class Wait(_Action):
    """Wait a number of `seconds`, or until `until_text` is visible or `until_element`
    (a description) can be found, giving up after `timeout` seconds (default 10)."""

    type: Literal["wait"] = "wait"
    seconds: Seconds | None = None
    until_text: Annotated[str, Field(min_length=1, max_length=500)] | None = None
    until_element: Annotated[str, Field(min_length=1, max_length=500)] | None = None
    timeout: Seconds | None = None

    @model_validator(mode="after")
    def _one_condition(self) -> Self:
        given = [name for name in ("seconds", "until_text", "until_element") if getattr(self, name)]
        if len(given) != 1:
            raise ValueError(
                "a wait needs exactly one of `seconds`, `until_text`, `until_element`"
                + (f" (got {', '.join(given)})" if given else "")
            )
        if self.seconds is not None and self.timeout is not None:
            raise ValueError("`timeout` applies only to waiting for text or an element")
        return self

    @property
    def limit(self) -> float:
        """How long this wait may take at most, in seconds."""
        if self.seconds is not None:
            return self.seconds
        return self.timeout if self.timeout is not None else 10.0


class Answer(_Action):
    """Report an answer to the user's question (the task may go on)."""

    type: Literal["answer"] = "answer"
    text: Annotated[str, Field(min_length=1, max_length=100_000)]


class Finish(_Action):
    """End the task, successfully or not, with an optional message for the user."""

    type: Literal["finish"] = "finish"
    status: Literal["success", "failure"]
    message: Annotated[str, Field(max_length=100_000)] = ""


Action = Annotated[
    Click
    | Hover
    | LongPress
    | Drag
    | Scroll
    | Swipe
    | TypeText
    | Key
    | SystemButton
    | OpenApp
    | Wait
    | Answer
    | Finish,
    Field(discriminator="type"),
]

ACTION_ADAPTER: TypeAdapter[Action] = TypeAdapter(Action)
#: The `type` tag of every action class, in declaration order.
ACTION_CLASSES: tuple[type[BaseModel], ...] = get_args(get_args(Action)[0])
ACTION_TYPES: tuple[str, ...] = tuple(
    get_args(cls.model_fields["type"].annotation)[0] for cls in ACTION_CLASSES
)


def parse_action(data: Any) -> Action:
    """Build an action from a dict (or a JSON string), validating everything.

    Raises `InvalidInputError` listing each failing field with the reason.
    """
    try:
        if isinstance(data, str | bytes):
            return ACTION_ADAPTER.validate_json(data)
        return ACTION_ADAPTER.validate_python(data)
    except ValidationError as error:
        raise InvalidInputError.from_validation("action", error, tagged=True) from None


def action_to_json(action: Action) -> str:
    """The canonical JSON form of an action (shorthands expanded, defaults written out)."""
    return ACTION_ADAPTER.dump_json(action).decode()


def action_json_schema() -> dict[str, Any]:
    """JSON Schema of the whole vocabulary (one `oneOf` over the action types)."""
    schema = ACTION_ADAPTER.json_schema()
    schema["title"] = "screenpilot action"
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
