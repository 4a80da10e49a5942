"""The console's feed: an observer of the agent that turns each recorded step into the
`step` event a live run's viewers read (see `web.events`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from screenpilot.agent.observers import Frames, Observer
from screenpilot.trajectory.records import RunStarted, StepRecorded
from screenpilot.web.events import BoxFraction, EventData, PointFraction, StepShown


class Listener(Protocol):
    """Where the feed sends what it makes of the run (a `LiveRun`)."""

    folder: Path | None

    def emit(self, data: EventData) -> object: ...


def step_shown(record: StepRecorded, folder: str | None) -> StepShown:
    """A step as the page shows it. `folder` is the run folder's name (None when the run is
    not recorded: no screenshot to show). The main target's box and point become fractions
    of the screen the screenshot covers, measured from its corner (a monitor's offset)."""
    box_fraction = point_fraction = None
    main = record.main_target
    if main is not None and record.geometry is not None:
        screen = record.geometry.screen
        if main.box is not None:
            box_fraction = BoxFraction(
                left=(main.box.x1 - screen.left) / screen.width,
                top=(main.box.y1 - screen.top) / screen.height,
                width=main.box.width / screen.width,
                height=main.box.height / screen.height,
            )
        point_fraction = PointFraction(
            x=(main.point.x - screen.left) / screen.width,
            y=(main.point.y - screen.top) / screen.height,
        )
    return StepShown(
        index=record.index,
        summary=record.summary,
        action=record.action,
        ok=record.ok,
        reason=record.reason,
        failure=record.failure,
        expect=record.expect,
        thought=record.thought,
        safety=record.safety.sentence(),
        grounding=record.grounding,
        seconds=record.seconds,
        screenshot_url=(
            f"/runs/{folder}/{record.screenshot}" if folder and record.screenshot else None
        ),
        box_fraction=box_fraction,
        point_fraction=point_fraction,
    )


class ConsoleFeed(Observer):
    """Tells a live run about its agent's run: the run folder once it is made, then every
    recorded step. `folder` says where the agent records (its `folder` once started)."""

    def __init__(self, listener: Listener, folder: Callable[[], Path | None]) -> None:
        self.listener, self._folder = listener, folder

    def started(self, record: RunStarted) -> None:
        self.listener.folder = self._folder()

    def after_action(self, record: StepRecorded, frames: Frames) -> None:
        folder = self.listener.folder
        self.listener.emit(step_shown(record, folder.name if folder is not None else None))
