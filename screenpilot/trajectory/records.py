"""The records of a run: `RunStarted`, one `StepRecorded` per step, `RunEnded`.

Each is one line of `trajectory.jsonl`, told apart by its `kind`. `trajectory_json_schema()`
is the JSON Schema of one line (`screenpilot schema --of trajectory` prints it). Coordinates
are in the screen frame of the step's `geometry`; times are seconds (`time`: Unix time).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from screenpilot.actions.guard import SafetyDecision
from screenpilot.actions.vocabulary import Action, TargetRole
from screenpilot.perception.geometry import ScreenBox, ScreenGeometry, ScreenPoint

#: How a run can end.
Status = Literal[
    "success", "failure", "budget", "stuck", "refused", "cancelled", "dry_run", "error"
]
#: Why a step failed: its effect was not seen, its target not found, the safety policy (or
#: the person asked) refused it, the device could not do it, or the environment was lost.
Failure = Literal["verification", "grounding", "refused", "device", "environment"]


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    time: float = Field(description="When it was recorded (Unix time, seconds).")


class RunStarted(_Record):
    """The first line: what the run was asked to do, and by whom on what."""

    kind: Literal["start"] = "start"
    instruction: str = Field(description="The instruction (secrets masked).")
    policy: str = Field("", description="Who decided the actions: rules, scripted, native...")
    device: str = Field("", description="The device's kind (its class name).")
    dry_run: bool = Field(False, description="Planned and recorded only: nothing ran.")
    version: str = Field("", description="The screenpilot version that recorded it.")


class PlacedTarget(BaseModel):
    """One target of a step's action as it was placed on the screenshot."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: TargetRole = Field("target", description="target, or a gesture's start/end.")
    point: ScreenPoint = Field(description="Where the input went.")
    box: ScreenBox | None = Field(None, description="The element's box, when known.")
    source: str | None = Field(None, description="Where the element came from: a11y, ocr, ...")
    element_role: str | None = Field(None, description="The element's role: button, entry, ...")
    name: str | None = Field(None, description="The element's name or text.")
    why: str = Field("", description="Why grounding chose it.")
    confidence: float | None = Field(None, description="The grounding's confidence, 0..1.")


class Candidate(BaseModel):
    """An element grounding considered for a target it could not place (nearest first)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    box: ScreenBox
    source: str
    element_role: str
    name: str
    score: float
    why: str = ""


class StepTimings(BaseModel):
    """Where a step's seconds went."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ground: float = Field(0.0, description="Observing the screen and placing the targets.")
    act: float = Field(0.0, description="Sending the input.")
    settle: float = Field(0.0, description="Waiting for the screen to hold still.")
    verify: float = Field(0.0, description="Checking the effect.")


class StepRecorded(_Record):
    """One action: what was planned, where its targets landed, what the safety policy said,
    and whether its effect was seen."""

    kind: Literal["step"] = "step"
    index: int = Field(ge=1, description="1 for the first action of the run.")
    summary: str = Field(description="The step as a short sentence.")
    action: Action
    expect: str = Field("", description="The effect the policy expected.")
    thought: str = Field("", description="The policy's reasoning, when it gave some.")
    raw: str = Field("", description="What the model answered (first step of each plan).")
    ok: bool | None = Field(description="Whether the effect was seen; null in a dry run.")
    reason: str = Field("", description="What was checked, or why the step failed.")
    failure: Failure | None = Field(None, description="Why it failed, when it did.")
    safety: SafetyDecision = Field(default_factory=SafetyDecision)
    targets: list[PlacedTarget] = Field(default_factory=list)
    candidates: list[Candidate] = Field(
        default_factory=list, description="For a target not placed: what came nearest."
    )
    changed: float = Field(0.0, ge=0, le=1, description="Share of the screen that changed.")
    seconds: float = Field(0.0, ge=0, description="The whole step.")
    timings: StepTimings | None = None
    geometry: ScreenGeometry | None = Field(None, description="The frames of the screenshot.")
    screenshot: str | None = Field(None, description="The screen before the action (PNG).")
    after: str | None = Field(None, description="The settled screen after it (PNG).")

    @property
    def main_target(self) -> PlacedTarget | None:
        """The target a person looks at first: the action's own, else a gesture's end."""
        for role in ("target", "end", "start"):
            for placed in self.targets:
                if placed.role == role:
                    return placed
        return None

    @property
    def grounding(self) -> str | None:
        """How the main target was found, in words: "ocr entry 'Name' (label left)"."""
        main = self.main_target
        if main is None or main.source is None:
            return None
        return f"{main.source} {main.element_role} {main.name!r} ({main.why})"

    @model_validator(mode="before")
    @classmethod
    def _from_older_runs(cls, data: Any) -> Any:
        """Runs recorded before records were typed kept the safety decision as a sentence
        and one target as point/box/grounding/confidence: read them into today's fields."""
        if not isinstance(data, dict) or not ({"point", "grounding"} & data.keys()):
            return data
        data = dict(data)
        safety = data.get("safety")
        if isinstance(safety, str):
            data["safety"] = _safety_from_sentence(safety)
        point, box = data.pop("point", None), data.pop("box", None)
        why, confidence = data.pop("grounding", None), data.pop("confidence", None)
        if point is not None and "targets" not in data:
            data["targets"] = [
                {"point": point, "box": box, "why": why or "", "confidence": confidence}
            ]
        return data


def _safety_from_sentence(sentence: str) -> dict[str, Any]:
    if sentence.startswith("refused"):
        return {"decision": "refuse", "reason": sentence.partition(": ")[2]}
    if sentence.startswith("asked ("):
        reason, _, answer = sentence.removeprefix("asked (").rpartition("): ")
        return {"decision": "ask", "reason": reason, "confirmed": answer == "confirmed"}
    return {}


class RunEnded(_Record):
    """The last line: how the run ended."""

    kind: Literal["end"] = "end"
    status: Status
    message: str = ""
    steps: int = Field(ge=0, description="Actions recorded.")
    model_calls: int = Field(0, ge=0)
    seconds: float = Field(ge=0, description="The whole run.")
    answers: list[str] = Field(default_factory=list, description="What the run answered.")


Record = Annotated[RunStarted | StepRecorded | RunEnded, Field(discriminator="kind")]
RECORD_ADAPTER: TypeAdapter[Record] = TypeAdapter(Record)


def trajectory_json_schema() -> dict[str, Any]:
    """JSON Schema of one line of `trajectory.jsonl`."""
    schema = RECORD_ADAPTER.json_schema()
    schema["title"] = "screenpilot trajectory line"
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
