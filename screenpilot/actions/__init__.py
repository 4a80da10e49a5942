"""The typed action vocabulary (pydantic models, one discriminated union) and the executor
that turns an action into device input: it places the action's targets, has its guard judge
them, acts, and verifies the effect (`executor`, `placement`, `guard`, `verification`)."""

from screenpilot.actions.targets import Description, ElementRef, Target
from screenpilot.actions.vocabulary import (
    ACTION_TYPES,
    Action,
    Answer,
    Click,
    Drag,
    Finish,
    Hover,
    Key,
    LongPress,
    OpenApp,
    Scroll,
    Swipe,
    SystemButton,
    TypeText,
    Wait,
    action_json_schema,
    action_to_json,
    parse_action,
)

__all__ = [
    "ACTION_TYPES",
    "Action",
    "Answer",
    "Click",
    "Description",
    "Drag",
    "ElementRef",
    "Finish",
    "Hover",
    "Key",
    "LongPress",
    "OpenApp",
    "Scroll",
    "Swipe",
    "SystemButton",
    "Target",
    "TypeText",
    "Wait",
    "action_json_schema",
    "action_to_json",
    "parse_action",
]
