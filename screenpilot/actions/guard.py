"""The seam where an action is judged before it runs: the guard's decision and its refusal.

The executor places every target of an action first, then hands the action, its placements
and the screen to its guard (given in its constructor). The guard answers with a
`SafetyDecision`; a decision that blocks the action stops it with `RefusedError`, which
carries the decision and what the screen was, so the refusal is recorded like any step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from screenpilot.errors import ScreenpilotError

if TYPE_CHECKING:
    from screenpilot.actions.placement import Placed
    from screenpilot.actions.vocabulary import Action
    from screenpilot.perception.screenshot import Observation

Decision = Literal["allow", "ask", "refuse"]


class SafetyDecision(BaseModel):
    """What the safety policy said of one action, and what came of it.

    `decision` is the policy's rule; for "ask", `confirmed` is the person's answer (False also
    when nobody could be asked: a non-interactive run refuses what it would have asked)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    decision: Decision = Field("allow", description="allow, ask (a person decides) or refuse.")
    reason: str = Field("", description="Why the action was not simply allowed.")
    confirmed: bool | None = Field(
        None, description="For decision 'ask': whether a person confirmed it."
    )

    @property
    def blocked(self) -> bool:
        """Whether the action must not run."""
        return self.decision == "refuse" or (self.decision == "ask" and not self.confirmed)

    def sentence(self) -> str:
        """The decision in words: "allow", "asked (the target says 'delete'): confirmed"."""
        if self.decision == "allow":
            return "allow"
        if self.decision == "refuse":
            return f"refused: {self.reason}"
        return f"asked ({self.reason}): {'confirmed' if self.confirmed else 'refused'}"


ALLOWED = SafetyDecision()


class Guard(Protocol):
    """Judges an action once its targets are placed, before any input is sent."""

    def __call__(
        self, action: Action, placements: tuple[Placed, ...], observation: Observation
    ) -> SafetyDecision: ...


class RefusedError(ScreenpilotError):
    """The guard (or the person asked) refused an action; nothing was sent to the device."""

    def __init__(
        self,
        action: Action,
        decision: SafetyDecision,
        observation: Observation,
        placements: tuple[Placed, ...] = (),
    ) -> None:
        self.action, self.decision = action, decision
        self.observation, self.placements = observation, placements
        super().__init__(f"{action.type} refused: {decision.reason}")
