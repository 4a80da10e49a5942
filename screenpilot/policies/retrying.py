"""A step handed out again after it failed, saying so: its thought records which try it is
and why the last one failed, so the trajectory and the report show every retry with its
reason. The retry itself is made safe by the executor (typing only what a field lacks, a
chord pressed again only once a longer wait showed it did nothing)."""

from __future__ import annotations

from dataclasses import replace

from screenpilot.policies.base import Step


def retried(step: Step, attempt: int, why: str) -> Step:
    """`step` as its retry number `attempt` (1 for the first retry), after `why`."""
    note = f"retry {attempt}: the last try failed ({why})"
    return replace(step, thought=f"{step.thought} [{note}]" if step.thought else note)


def same_step(a: Step, b: Step) -> bool:
    """Whether two steps are one step of a plan, however their thoughts differ."""
    return a.action == b.action and a.expect == b.expect
