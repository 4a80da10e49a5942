"""Observers: everything around the loop that is not deciding or acting, each a small class
watching the run at its seams.

The seams: `started` (the run's first record), `before_action` (may stop the run: budgets),
`after_action` (each recorded step, with its screenshots; may stop the run or ask for a new
plan: loop detection), `ended` (the last record). Records reach observers with secrets
already masked. Observers here: the trajectory recorder (JSONL, screenshots, the HTML
report), the budgets and loop detection. The CLI's printer and the console's feed are
observers of their own layers; the safety guard is the executor's (see `agent.safety`).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from screenpilot.perception.screenshot import Screenshot
from screenpilot.trajectory.records import RunEnded, RunStarted, Status, StepRecorded
from screenpilot.trajectory.store import TrajectoryWriter

if TYPE_CHECKING:
    from screenpilot.agent.report import ReportDraft


@dataclass(frozen=True)
class Stop:
    """End the run with this status and message."""

    status: Status
    message: str


@dataclass(frozen=True)
class Replan:
    """Drop the rest of the plan and ask the policy again, telling it `reason`."""

    reason: str


@dataclass
class Progress:
    """What the run has done so far."""

    started: float  # on the agent's clock
    steps: int = 0
    model_calls: int = 0


@dataclass(frozen=True)
class Frames:
    """A step's screenshots: the screen its action was placed on, and the settled one after."""

    before: Screenshot | None = None
    after: Screenshot | None = None


class Observer:
    """Watches a run; every seam does nothing unless a subclass says otherwise."""

    def started(self, record: RunStarted) -> None:
        """The run began."""

    def before_action(self, progress: Progress) -> Stop | None:
        """The loop is about to plan or act; a `Stop` ends the run instead."""
        return None

    def after_action(self, record: StepRecorded, frames: Frames) -> Stop | Replan | None:
        """A step was recorded; a `Stop` ends the run, a `Replan` drops the rest of the plan."""
        return None

    def ended(self, record: RunEnded) -> None:
        """The run ended (always called, however it ended)."""


@dataclass(frozen=True)
class Budgets:
    """Limits of one run."""

    max_steps: int = 40
    max_seconds: float = 900.0
    max_model_calls: int = 60


class BudgetObserver(Observer):
    """Stops the run once it has used up its steps, model calls or time."""

    def __init__(self, budgets: Budgets, clock: Callable[[], float] = time.monotonic) -> None:
        self.budgets, self.clock = budgets, clock

    def before_action(self, progress: Progress) -> Stop | None:
        b = self.budgets
        if progress.steps >= b.max_steps:
            return Stop("budget", f"step budget of {b.max_steps} used up")
        if progress.model_calls > b.max_model_calls:
            return Stop("budget", f"model-call budget of {b.max_model_calls} used up")
        if self.clock() - progress.started >= b.max_seconds:
            return Stop("budget", f"time budget of {b.max_seconds:g} s used up")
        return None


def screen_digest(shot: Screenshot) -> str:
    """A cheap fingerprint of the screen (every 8th pixel), for loop detection."""
    sample = shot.raw[::8, ::8]
    return hashlib.blake2b(sample.tobytes(), digest_size=12).hexdigest()


@dataclass
class LoopDetector(Observer):
    """The same action on an unchanged screen `limit` times without effect: ask for a new
    plan once, then stop the run as stuck."""

    limit: int = 3
    _repeats: dict[tuple[str, str], int] = field(default_factory=dict)
    _replanned: set[tuple[str, str]] = field(default_factory=set)

    def after_action(self, record: StepRecorded, frames: Frames) -> Stop | Replan | None:
        if record.ok is None:
            return None  # a dry run repeats nothing
        screen = screen_digest(frames.before) if frames.before is not None else ""
        key = (record.action.model_dump_json(), screen)
        if record.ok and record.changed > 0:
            return None
        self._repeats[key] = self._repeats.get(key, 0) + 1
        if self._repeats[key] < self.limit:
            return None
        if key in self._replanned:
            return Stop("stuck", f"repeating {record.action.type} on an unchanged screen")
        self._replanned.add(key)
        self._repeats[key] = 0
        return Replan(f"repeated {self.limit} times with no effect")


class TrajectoryRecorder(Observer):
    """Writes the run folder: every record to `trajectory.jsonl`, each step's screenshots
    under the names its record gives, and at the end the HTML report (unless `report` is
    False), its pictures drawn step by step as the run goes."""

    def __init__(self, folder: Path, *, report: bool = True) -> None:
        self.folder = folder
        self.writer = TrajectoryWriter(folder)
        self.draft: ReportDraft | None = None
        if report:
            from screenpilot.agent.report import ReportDraft

            self.draft = ReportDraft()
        self.report: Path | None = None

    def started(self, record: RunStarted) -> None:
        self.writer.write(record)

    def after_action(self, record: StepRecorded, frames: Frames) -> None:
        shown: dict[str, Screenshot] = {}
        if record.screenshot and frames.before is not None:
            self.writer.save_screenshot(frames.before, record.screenshot)
            shown[record.screenshot] = frames.before
        if record.after and frames.after is not None:
            self.writer.save_screenshot(frames.after, record.after)
            shown[record.after] = frames.after
        self.writer.write(record)
        if self.draft is not None:
            self.draft.add(record, shown)

    def ended(self, record: RunEnded) -> None:
        from screenpilot.agent.report import build_report

        self.writer.write(record)
        try:
            self.writer.close()  # raises when a screenshot could not be saved
        finally:
            # ... and the report is written all the same, saying which picture is missing.
            if self.draft is not None:
                self.report = build_report(self.folder, self.draft)
