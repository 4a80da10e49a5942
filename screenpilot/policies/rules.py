"""Plainly worded instructions, no model: the policy that runs what `instructions` reads
("type bob@example.org into Email, check Subscribe and click Submit").

The steps run in order; a step that fails is tried once more on a fresh screenshot. Two
kinds of clause are settled by the run itself: a value that may be a list's option ("set
Country to France") is picked first and typed when picking fails for good, and "into all
fields" types into the first, second... field until the screen has no more (or as many as
the observation's elements show).
"""

from __future__ import annotations

from collections.abc import Sequence

from screenpilot.perception.screenshot import Observation
from screenpilot.policies.base import Outcome, Plan, Step
from screenpilot.policies.instructions import (
    Choice,
    EachField,
    Part,
    read_clause,
    read_instruction,
    read_parts,
    split_clauses,
)
from screenpilot.policies.retrying import retried, same_step

__all__ = ["RulesPolicy", "read_clause", "read_instruction", "split_clauses"]


class RulesPolicy:
    """Runs an instruction's steps in order; a step that fails is tried once more on a fresh
    screenshot, then the run stops (or the clause's next reading is tried)."""

    name = "rules"
    uses_model = False

    def __init__(self, retries: int = 1) -> None:
        self.retries = retries
        self._instruction: str | None = None  # none read yet
        self._parts: list[Part] = []
        self._start()

    def _start(self, instruction: str | None = None) -> None:
        if instruction is not None:
            self._parts = read_parts(instruction)
            self._instruction = instruction
        self._seen = 0  # outcomes of the history already taken in
        self._part = 0  # the part being run
        self._reading = 0  # which reading of a Choice
        self._index = 0  # the step within the part (the field, for EachField)
        self._fields: int | None = None  # how many fields an EachField has, when known
        self._failures = 0
        self._why = ""  # why the step being retried failed
        self._ok = 0
        self._failed = ""

    def plan(self, instruction: str, observation: Observation, history: Sequence[Outcome]) -> Plan:
        if instruction != self._instruction or len(history) < self._seen:
            self._start(instruction)  # a new instruction, or a new run of the same one
        for outcome in history[self._seen :]:
            self._take(outcome, observation)
        self._seen = len(history)
        if self._failed:
            return Plan(done=True, success=False, message=self._failed)
        steps, settled = self._upcoming(observation)
        if steps and self._failures:
            steps[0] = retried(steps[0], self._failures, self._why)
        total = self._ok + len(steps)
        if not steps:
            return Plan(done=True, success=True, message=f"all {self._ok} steps done")
        return Plan(steps=steps, done=settled, success=True, message=f"all {total} steps done")

    def _steps(self, part: Part, reading: int, observation: Observation) -> list[Step] | None:
        """The steps of a part; None for fields not yet counted (one step at a time)."""
        if isinstance(part, Step):
            return [part]
        if isinstance(part, Choice):
            return list(part.readings[reading])
        if self._fields is None and part is self._parts[self._part]:
            self._fields = _count_fields(observation)
        count = self._fields if part is self._parts[self._part] else None
        return [part.step(i) for i in range(count)] if count else None

    def _current(self, observation: Observation) -> Step | None:
        if self._part >= len(self._parts):
            return None
        part = self._parts[self._part]
        steps = self._steps(part, self._reading, observation)
        if steps is None and isinstance(part, EachField):
            return part.step(self._index)
        return steps[self._index] if steps and self._index < len(steps) else None

    def _upcoming(self, observation: Observation) -> tuple[list[Step], bool]:
        """The steps to run from here, and whether they are all there is."""
        out: list[Step] = []
        for n in range(self._part, len(self._parts)):
            part = self._parts[n]
            first = n == self._part
            steps = self._steps(part, self._reading if first else 0, observation)
            if steps is None:
                if first and isinstance(part, EachField):
                    return [*out, part.step(self._index)], False
                return out, False  # the fields are counted when the run gets there
            out += steps[self._index :] if first else steps
        return out, True

    def _take(self, outcome: Outcome, observation: Observation) -> None:
        expected = self._current(observation)
        if expected is None or not same_step(outcome.step, expected):
            return  # not a step of this plan
        part = self._parts[self._part]
        if outcome.ok:
            self._ok += 1
            self._failures = 0
            self._index += 1
            steps = self._steps(part, self._reading, observation)
            if steps is not None and self._index >= len(steps):
                self._next_part()
            return
        self._failures += 1
        self._why = outcome.reason
        if self._failures <= self.retries:
            return
        if isinstance(part, Choice) and self._reading + 1 < len(part.readings):
            self._reading, self._index, self._failures = self._reading + 1, 0, 0
            return
        if isinstance(part, EachField) and self._fields is None and self._index > 0:
            self._next_part()  # no further field: every one there was has been filled
            return
        self._failed = f"step {self._ok + 1} ({expected.action.type}) failed: {outcome.reason}"

    def _next_part(self) -> None:
        self._part += 1
        self._reading = self._index = self._failures = 0
        self._fields = None


def _count_fields(observation: Observation) -> int | None:
    """How many text fields the observation's elements show; None when it has no elements
    (the agent plans on a bare screenshot), so the fields are found one by one."""
    if not observation.elements:
        return None
    count = sum(1 for e in observation.elements if e.role == "entry" or "editable" in e.states)
    return count or None
