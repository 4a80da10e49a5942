"""What a live run tells its viewers: one typed event per thing that happened.

An event is `{"id", "kind", "data"}`; the kinds are `status` (the run's phase changed; the
last one also carries the outcome), `step` (an action ran: the page's view of a
`StepRecorded`), `confirm` (a risky action waits for a person), `confirmed` (the answer),
`stopping` (a person pressed Stop) and `end` (always last). Over server-sent events the kind
is the SSE `event:` field and `data` its `data:` line; `ConsoleEvent` is the union the
OpenAPI document names.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from screenpilot.actions.vocabulary import Action
from screenpilot.trajectory.records import Failure, Status

#: What a console run is doing before it ends with one of the agent's statuses.
Phase = Literal["starting", "loading", "opening", "running", "waiting"]
RunState = Phase | Status


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    #: The event kind this data travels under.
    kind: ClassVar[str]


class RunStatus(_Data):
    """The run's phase changed. The last status (how the run ended) also says what it did."""

    kind: ClassVar[str] = "status"
    status: RunState
    message: str = ""
    steps: int | None = Field(None, description="Actions recorded (the final status only).")
    model_calls: int | None = Field(None, description="The final status only.")
    seconds: float | None = Field(None, description="The whole run (the final status only).")
    folder: str | None = Field(None, description="The run folder's name (the final status).")
    report: str | None = Field(None, description="The report's address (the final status).")
    answers: list[str] | None = Field(None, description="What the run answered (final).")


class BoxFraction(BaseModel):
    """A box as fractions of the screenshot (0..1 from its top-left corner)."""

    left: float
    top: float
    width: float
    height: float


class PointFraction(BaseModel):
    """A point as fractions of the screenshot."""

    x: float
    y: float


class StepShown(_Data):
    """One recorded step as the page shows it: the verdict in words, the screenshot's
    address, and the main target drawn as fractions of the screenshot (any size on the page)."""

    kind: ClassVar[str] = "step"
    index: int
    summary: str
    action: Action
    ok: bool | None = Field(description="Whether its effect was seen; null in a dry run.")
    reason: str = ""
    failure: Failure | None = None
    expect: str = ""
    thought: str = ""
    safety: str = Field("allow", description="The safety decision in words.")
    grounding: str | None = Field(None, description="How the main target was found.")
    seconds: float = 0.0
    screenshot_url: str | None = Field(None, description="The screen before the action.")
    box_fraction: BoxFraction | None = None
    point_fraction: PointFraction | None = None


class ConfirmAsked(_Data):
    """A risky action waits for a person: answer with POST /api/runs/{id}/confirm."""

    kind: ClassVar[str] = "confirm"
    id: str
    action: Action
    reason: str


class ConfirmAnswered(_Data):
    """What came of a confirmation: allowed, refused, or no answer in time (refused)."""

    kind: ClassVar[str] = "confirmed"
    id: str
    allowed: bool
    how: str


class Stopping(_Data):
    """A person asked the run to stop; it ends after the step under way."""

    kind: ClassVar[str] = "stopping"


class RunOver(_Data):
    """The last event of every run."""

    kind: ClassVar[str] = "end"
    status: RunState
    message: str = ""


EventData = RunStatus | StepShown | ConfirmAsked | ConfirmAnswered | Stopping | RunOver


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int = Field(ge=1, description="1 for a run's first event; `Last-Event-ID` resumes.")


class StatusEvent(_Event):
    kind: Literal["status"] = "status"
    data: RunStatus


class StepEvent(_Event):
    kind: Literal["step"] = "step"
    data: StepShown


class ConfirmEvent(_Event):
    kind: Literal["confirm"] = "confirm"
    data: ConfirmAsked


class ConfirmedEvent(_Event):
    kind: Literal["confirmed"] = "confirmed"
    data: ConfirmAnswered


class StoppingEvent(_Event):
    kind: Literal["stopping"] = "stopping"
    data: Stopping


class EndEvent(_Event):
    kind: Literal["end"] = "end"
    data: RunOver


ConsoleEvent = Annotated[
    StatusEvent | StepEvent | ConfirmEvent | ConfirmedEvent | StoppingEvent | EndEvent,
    Field(discriminator="kind"),
]
EVENT_ADAPTER: TypeAdapter[ConsoleEvent] = TypeAdapter(ConsoleEvent)


def make_event(number: int, data: EventData) -> ConsoleEvent:
    """Event number `number` carrying `data`, under the kind its data belongs to."""
    return EVENT_ADAPTER.validate_python({"id": number, "kind": data.kind, "data": data})


def server_sent(event: ConsoleEvent) -> str:
    """The event as one server-sent event: its id, its kind as the event name, its data."""
    return f"id: {event.id}\nevent: {event.kind}\ndata: {event.data.model_dump_json()}\n\n"
