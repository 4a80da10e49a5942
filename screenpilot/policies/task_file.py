"""The RPA task file format: pydantic models of a file and of each kind of step.

A step is one of several kinds told apart by their keys (`TaskStepKind`): an action step has
a `type` and is any action of `actions.vocabulary` (its own model, extended with `retries`
and `expect`); the others are `assert`, `launch` (+ `window`), `if` (+ `then`, `else`),
`read`, `for` (+ `steps`), `include`, `do` (a plain instruction) and the verb steps
(`check: Subscribe`). The header may name `data` rows and an `output` file, and `on_error`
steps. `task_json_schema()` exports the format; `policies.scripted` reads files into
runnable tasks and runs them.
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


def _regex(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as error:
        raise ValueError(f"{pattern!r} is not a regular expression: {error}") from None
    return pattern


class Condition(_Model):
    """What an `if` judges on a settled screenshot: `text` shown, an `element` (words, as
    for a target) found, or `not` another condition. Exactly one of them."""

    model_config = ConfigDict(
        coerce_numbers_to_str=True,
        populate_by_name=True,
        json_schema_extra={"minProperties": 1, "maxProperties": 1},
    )

    text: Annotated[str, Field(min_length=1, max_length=500)] | None = Field(
        None, description="Text that is shown (e.g. Duplicate)."
    )
    element: Annotated[str, Field(min_length=1, max_length=500)] | None = Field(
        None, description="An element that can be found (e.g. the Retry button)."
    )
    negated: Condition | None = Field(None, alias="not", description="The opposite of this.")

    @model_validator(mode="before")
    @classmethod
    def _one_of_them(cls, data: Any) -> Any:
        keys = set(data) if isinstance(data, Mapping) else set()
        if not isinstance(data, Mapping) or len(data) != 1 or keys - {"text", "element", "not"}:
            got = f", not {', '.join(f'`{k}`' for k in keys)}" if keys else ""
            raise ValueError(f"a condition is `text`, `element` or `not`, one of them{got}")
        return data


class LaunchStep(StepOptions):
    """Start a program (an argv list, never run through a shell; in the task file's folder)
    and, with `window`, wait until a window whose title contains it shows. The programs a
    row started are ended when the row ends."""

    launch: list[Annotated[str, Field(min_length=1, max_length=4000)]] = Field(
        min_length=1, description="The program and its arguments, e.g. [sh, register.sh]."
    )
    window: Annotated[str, Field(min_length=1, max_length=300)] | None = Field(
        None, description="Part of the title of the window to wait for."
    )
    timeout: float = Field(
        30.0, gt=0, le=MAX_WAIT_SECONDS, allow_inf_nan=False,
        description="Seconds to wait for the window (default 30).",
    )  # fmt: skip

    @field_validator("launch", mode="before")
    @classmethod
    def _a_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            raise ValueError(
                "give the program as a list, e.g. [sh, register.sh] (no shell runs it)"
            )
        return value


class ReadSpec(_Model):
    """What a `read` takes off the screen and where it keeps it."""

    target: Annotated[str, Field(min_length=1, max_length=500)] = Field(
        description="The element to read, in words (e.g. Customer number)."
    )
    pattern: Annotated[str, AfterValidator(_regex)] | None = Field(
        None, description="A regular expression: the first match is kept (its group 1 if any)."
    )
    into: VariableName = Field(description="The variable that receives the text.")


class ReadStep(StepOptions):
    """Read an element's text (its accessible value or name, else what OCR reads there)
    into a variable; the row fails when it cannot be found or the pattern does not match."""

    read: ReadSpec


class IfStep(_Model):
    """Run `then` when the condition holds on the screen now, else `else`."""

    model_config = ConfigDict(populate_by_name=True)

    condition: Condition = Field(alias="if")
    then: list[TaskStepKind] = Field(min_length=1, description="The steps when it holds.")
    otherwise: list[TaskStepKind] = Field(
        default_factory=list, alias="else", description="The steps when it does not."
    )


class ForSpec(_Model):
    """A loop's variable and what it goes over."""

    model_config = ConfigDict(populate_by_name=True)

    each: VariableName = Field(description="The variable each item is given in.")
    items: Annotated[str, Field(max_length=100_000)] = Field(
        alias="in", description='A ;-separated list, usually a variable ("${items}").'
    )


class ForStep(_Model):
    """Run `steps` once per item of a ;-separated list."""

    model_config = ConfigDict(populate_by_name=True)

    loop: ForSpec = Field(alias="for")
    steps: list[TaskStepKind] = Field(min_length=1)


class IncludeStep(_Model):
    """Another task file's steps, run here with this file's variables (and `variables`
    given on top of them)."""

    include: Annotated[str, Field(min_length=1, max_length=1000)] = Field(
        description="The file, relative to this one (e.g. common/login.yaml)."
    )
    variables: dict[VariableName, VariableValue] = Field(default_factory=dict)


class DoStep(StepOptions):
    """A plain instruction, read by the same grammar as `screenpilot run` ("tick Subscribe
    and click Submit"); its actions run in order."""

    do: Annotated[str, Field(min_length=1, max_length=4000)]


#: Verbs of the instruction grammar that are steps of their own: `- check: Subscribe` is
#: `- do: check Subscribe`.
VERB_STEPS = (
    "check", "uncheck", "tick", "untick", "select", "choose", "pick", "clear", "press",
    "tap", "open", "close", "toggle", "fill", "set", "switch", "turn",
)  # fmt: skip


def _verb_step(verb: str) -> type[StepOptions]:
    fields: dict[str, Any] = {verb: (Annotated[str, Field(min_length=1, max_length=4000)], ...)}
    model = create_model(
        f"{verb.capitalize()}Step",
        __base__=StepOptions,
        __doc__=f'`- {verb}: X` is the instruction "{verb} X" (see `do`).',
        __module__=__name__,
        **fields,
    )
    return cast(type[StepOptions], model)


_VERB_MODELS: dict[str, type[StepOptions]] = {verb: _verb_step(verb) for verb in VERB_STEPS}


def verb_instruction(step: BaseModel) -> str | None:
    """The instruction a verb step stands for ("check Subscribe"), or None."""
    for verb, model in _VERB_MODELS.items():
        if type(step) is model:
            return f"{verb} {getattr(step, verb)}"
    return None


#: The key that tells each kind of step, and its tag (the first key found decides).
_KIND_KEYS = (
    ("assert", "assert step"), ("launch", "launch step"), ("if", "if step"),
    ("read", "read step"), ("for", "for step"), ("include", "include step"),
    ("do", "do step"), ("type", "action step"),
)  # fmt: skip


def _step_kind(value: Any) -> str | None:
    if isinstance(value, BaseModel):
        if isinstance(value, ActionStepOptions):
            return "action step"
        return _TAG_OF_MODEL.get(type(value))
    if not isinstance(value, Mapping):
        return None
    for key, tag in _KIND_KEYS:
        if key in value:
            return tag
    return next((f"{verb} step" for verb in VERB_STEPS if verb in value), None)


if TYPE_CHECKING:
    TaskStepKind = (
        ActionStepOptions | AssertStep | LaunchStep | IfStep | ReadStep | ForStep
        | IncludeStep | DoStep | StepOptions
    )  # fmt: skip
else:
    # One tag per kind of step, found from its keys.
    TaskStepKind = Annotated[
        reduce(
            operator.or_,
            [
                Annotated[ActionStep, Tag("action step")],
                Annotated[AssertStep, Tag("assert step")],
                Annotated[LaunchStep, Tag("launch step")],
                Annotated[IfStep, Tag("if step")],
                Annotated[ReadStep, Tag("read step")],
                Annotated[ForStep, Tag("for step")],
                Annotated[IncludeStep, Tag("include step")],
                Annotated[DoStep, Tag("do step")],
                *(Annotated[m, Tag(f"{verb} step")] for verb, m in _VERB_MODELS.items()),
            ],
        ),
        Discriminator(
            _step_kind,
            custom_error_type="step_kind",
            custom_error_message="a step is an action (it has a `type`, e.g. `type: click`), "
            "an `assert`, `launch`, `if`, `read`, `for`, `include` or `do`, or a verb such "
            "as `check`",
        ),
    ]

_TAG_OF_MODEL: dict[type[BaseModel], str] = {
    AssertStep: "assert step", LaunchStep: "launch step", IfStep: "if step",
    ReadStep: "read step", ForStep: "for step", IncludeStep: "include step",
    DoStep: "do step", **{model: f"{verb} step" for verb, model in _VERB_MODELS.items()},
}  # fmt: skip
IfStep.model_rebuild()
ForStep.model_rebuild()


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

    data: Annotated[str, Field(min_length=1, max_length=1000)] | None = Field(
        None,
        description="A CSV (UTF-8, header row) or XLSX file, relative to this one: the steps "
        "run once per row, `${column}` being the row's value.",
    )
    output: Annotated[str, Field(min_length=1, max_length=1000)] | None = Field(
        None,
        description="A CSV written as rows end: the row's columns, every variable read, "
        "status, message and seconds.",
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
        description="The steps: actions of the vocabulary (with `retries` and `expect`), "
        "assertions, launch, if/then/else, read, for, include, do and verb steps.",
    )
    on_error: list[TaskStepKind] = Field(
        default_factory=list,
        description="Steps run when a row fails (close dialogs, go back to a known screen) "
        "before the next row starts.",
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
