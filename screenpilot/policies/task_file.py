"""The RPA task file format: pydantic models of a file and of each kind of step.

A step is one of several kinds told apart by their keys (`TaskStepKind`): an action step has
a `type` and is any action of `actions.vocabulary` (its own model, extended with `retries`
and `expect`), an assert step has `assert`. More kinds (data rows, conditions, loops,
includes) join that union. `task_json_schema()` exports the format; `policies.scripted`
reads files into runnable tasks.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Mapping
from functools import reduce
from typing import TYPE_CHECKING, Annotated, Any, cast

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    TypeAdapter,
    create_model,
    field_validator,
    model_validator,
)

from screenpilot.actions.vocabulary import ACTION_CLASSES, MAX_WAIT_SECONDS, Action, Wait
from screenpilot.policies.base import Step


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class StepOptions(_Model):
    """What any step may say besides what it does."""

    retries: int = Field(
        0,
        ge=0,
        le=100,
        description="How many more times the step is tried when it fails before the task "
        "fails (default 0: once).",
    )


class ActionStepOptions(StepOptions):
    """What an action step may say besides the action's own fields."""

    expect: str = Field(
        "",
        max_length=500,
        description="The effect the action should have, in words (kept in the run's record).",
    )

    def action(self) -> Action:
        """The step's action alone, as the vocabulary defines it."""
        kind = _ACTION_OF_STEP[type(self)]
        return cast(Action, kind.model_validate({k: getattr(self, k) for k in kind.model_fields}))

    def step(self) -> Step:
        """The action and the effect it should have, as a policy plans them."""
        return Step(self.action(), expect=self.expect)


def _action_step(action: type[BaseModel]) -> type[ActionStepOptions]:
    # The action's own model, extended: its fields, invariants and documentation stay the
    # vocabulary's (a wait step's `timeout` is the wait's).
    step = create_model(
        f"{action.__name__}Step",
        __base__=(action, ActionStepOptions),
        __doc__=action.__doc__,
        __module__=__name__,
    )
    return cast(type[ActionStepOptions], step)


_ACTION_STEPS: tuple[type[ActionStepOptions], ...] = tuple(_action_step(a) for a in ACTION_CLASSES)
_ACTION_OF_STEP: dict[type[BaseModel], type[BaseModel]] = dict(
    zip(_ACTION_STEPS, ACTION_CLASSES, strict=True)
)


if TYPE_CHECKING:
    ActionStep = ActionStepOptions
else:
    ActionStep = Annotated[reduce(operator.or_, _ACTION_STEPS), Field(discriminator="type")]


class Shown(_Model):
    """What an `assert` waits for: `text` visible on the screen, or an `element` (a
    description in words, as for a target) that can be found. Exactly one of them."""

    model_config = ConfigDict(
        coerce_numbers_to_str=True, json_schema_extra={"minProperties": 1, "maxProperties": 1}
    )

    text: Annotated[str, Field(min_length=1, max_length=500)] | None = Field(
        None, description="Text that must be shown (e.g. Saved)."
    )
    element: Annotated[str, Field(min_length=1, max_length=500)] | None = Field(
        None, description="An element that must be found (e.g. the Logout button)."
    )

    @model_validator(mode="before")
    @classmethod
    def _one_of_them(cls, data: Any) -> Any:
        if not isinstance(data, Mapping) or len(data) != 1 or set(data) - {"text", "element"}:
            got = f", not {', '.join(f'`{k}`' for k in data)}" if isinstance(data, Mapping) else ""
            raise ValueError(f"`assert` takes `text` or `element`, one of them{got}")
        return data


class AssertStep(StepOptions):
    """Wait until some text is shown or an element can be found; the step fails when that
    has not happened within `timeout` seconds."""

    model_config = ConfigDict(serialize_by_alias=True)

    shown: Shown = Field(alias="assert", description="What must be shown.")
    timeout: float = Field(
        1.0,
        gt=0,
        le=MAX_WAIT_SECONDS,
        allow_inf_nan=False,
        description="Seconds to wait for it (default 1).",
    )

    def step(self) -> Step:
        """The wait this assertion runs as, and what it expects."""
        if self.shown.text is not None:
            wait = Wait(until_text=self.shown.text, timeout=self.timeout)
        else:
            wait = Wait(until_element=self.shown.element, timeout=self.timeout)
        return Step(wait, expect=f"{self.shown.text or self.shown.element} is shown")


def _step_kind(value: Any) -> str | None:
    if isinstance(value, AssertStep) or (isinstance(value, Mapping) and "assert" in value):
        return "assert step"
    if isinstance(value, ActionStepOptions) or (isinstance(value, Mapping) and "type" in value):
        return "action step"
    return None


if TYPE_CHECKING:
    TaskStepKind = ActionStepOptions | AssertStep
else:
    # One tag per kind of step, found from its keys; more kinds join here.
    TaskStepKind = Annotated[
        Annotated[ActionStep, Tag("action step")] | Annotated[AssertStep, Tag("assert step")],
        Discriminator(
            _step_kind,
            custom_error_type="step_kind",
            custom_error_message="a step is an action (it has a `type`, e.g. `type: click`) "
            "or an `assert`",
        ),
    ]


def _variable_name(name: str) -> str:
    if not re.fullmatch(r"\w+", name):
        raise ValueError(f"{name!r} is not a name of letters, digits and _ (written ${{name}})")
    return name


def _scalar_text(value: Any) -> Any:
    # Today's behaviour: a number or a boolean is used as Python writes it (True, 1.5).
    if isinstance(value, bool | int | float):
        return str(value)
    if not isinstance(value, str):
        raise ValueError("a variable's value is text, a number or true/false")
    return value


VariableName = Annotated[str, AfterValidator(_variable_name)]
VariableValue = Annotated[
    str, BeforeValidator(_scalar_text, json_schema_input_type=str | int | float | bool)
]


class TaskHeader(_Model):
    """What a task file says before its steps (what the steps need to be read)."""

    model_config = ConfigDict(coerce_numbers_to_str=True)

    name: Annotated[str, Field(max_length=300)] | None = Field(
        None, description="What the task does; names its run (default: the file's name)."
    )
    variables: dict[VariableName, VariableValue] = Field(
        default_factory=dict,
        description="Values for `${name}` anywhere in a step's text (numbers and booleans "
        "are written as text).",
    )
    secrets: dict[VariableName, Annotated[str, Field(min_length=1)]] = Field(
        default_factory=dict,
        description="Like variables, but each names the environment variable its value is "
        "read from; the value is masked in every record, report and error.",
    )

    @field_validator("variables", "secrets", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return {} if value is None else value


class TaskFile(TaskHeader):
    """An RPA task file: steps run in order, each retried as often as it allows; the task
    fails at the first step that still fails."""

    model_config = ConfigDict(title="screenpilot task file")

    steps: list[TaskStepKind] = Field(
        json_schema_extra={"minItems": 1},
        description="The steps: actions of the vocabulary (with `retries` and `expect`) "
        "and assertions.",
    )

    @model_validator(mode="before")
    @classmethod
    def _has_steps(cls, data: Any) -> Any:
        if not isinstance(data, Mapping) or not data.get("steps"):
            raise ValueError("a task file needs a non-empty `steps:` list")
        return data


def task_json_schema() -> dict[str, Any]:
    """JSON Schema (2020-12) of a task file, the action steps derived from the vocabulary's
    models, with the shorthands a hand-written file may use (a target in words or as a
    list of numbers, a key chord as one string)."""
    schema = _with_shorthands(TypeAdapter(TaskFile).json_schema())
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


_TARGET_SHORTHAND: dict[str, Any] = {
    "description": "A target as written by hand: words to find on the screen, [x, y] a "
    "screen point, [x1, y1, x2, y2] a box, or {element: id}.",
    "anyOf": [
        {"type": "string", "minLength": 1, "maxLength": 500},
        {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
        {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 4},
        {
            "type": "object",
            "properties": {"element": {"type": "string", "minLength": 1}},
            "required": ["element"],
            "additionalProperties": False,
        },
    ],
}


def _with_shorthands(schema: dict[str, Any]) -> dict[str, Any]:
    # The vocabulary's schema is of the canonical form (a target has a `kind`, keys are a
    # list); its models also read the shorthands, which the schema has to allow.
    def widen(node: Any) -> Any:
        if isinstance(node, dict):
            node = {k: widen(v) for k, v in node.items()}
            if node.get("discriminator", {}).get("propertyName") == "kind":
                return {"anyOf": [{"$ref": "#/$defs/TargetShorthand"}, node]}
            return node
        if isinstance(node, list):
            return [widen(v) for v in node]
        return node

    widened: dict[str, Any] = widen(schema)
    widened["$defs"]["TargetShorthand"] = _TARGET_SHORTHAND
    keys = widened["$defs"]["KeyStep"]["properties"]["keys"]
    widened["$defs"]["KeyStep"]["properties"]["keys"] = {
        "anyOf": [{"type": "string", "minLength": 1, "description": "e.g. ctrl+s"}, keys]
    }
    return widened
