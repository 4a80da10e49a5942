"""What a recording becomes: task steps, each an action of the vocabulary with its targets in
words, and the interface every input source feeds.

A `RecordedStep` is one step of the task file to be: its action, how its target was named
(printed while recording, so a person sees what the replay will look for) and, for typed
text that must not be kept (a password), the secret's name that stands in for it.

A `Source` delivers events and snapshots to a `Sink` from its own threads once started,
until stopped; the recorder is the sink.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from screenpilot.actions.vocabulary import Action
from screenpilot.recording.events import InputEvent, Snapshot


@dataclass(frozen=True)
class RecordedStep:
    """One step of the recorded task.

    `how` says in a few words how the target was named ("accessibility name", "label
    beside it", "OCR text", "a point in the window (nothing names it)"); `secret` is the name
    of the secret variable a typed text stands for (the text itself is then `${name}`)."""

    action: Action
    how: str = ""
    secret: str | None = None
    expect: str = ""


class Sink(Protocol):
    """Where a source delivers what it sees; safe to call from any thread."""

    def event(self, event: InputEvent) -> None: ...

    def snapshot(self, snapshot: Snapshot) -> None: ...


class Source(Protocol):
    """An input source: started once with a sink, stopped once (idempotent)."""

    #: True for a touch screen: a press-move-release is a swipe, not a drag, and a press
    #: held still is a long press.
    touch: bool
    #: Why the source stopped delivering before it was stopped (the device went away), in
    #: words; None while it works.
    failure: str | None

    def start(self, sink: Sink) -> None: ...

    def stop(self) -> None: ...
