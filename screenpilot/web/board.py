"""The console's runs: each agent run in its own thread, its events kept for live viewers, a
risky action held until a person answers from the page, and the runs already on disk.

A `LiveRun` is the bridge between one agent thread and any number of browser tabs. The agent
thread appends typed events (`web.events`); viewers read them from any position, so a tab
opened late, or one that lost its connection, sees the whole run. A risky action blocks the
agent thread on a `PendingConfirmation` until the page answers, the run is stopped, or the
wait times out (which refuses, as a non-interactive run would). The history reads each run
folder back as a `Trajectory`; one that cannot be read is listed as unreadable.

What a console holds is bounded: every field of a request has a length limit, the secrets a
request names are masked in everything the run shows (its events, its summary, and through
the agent its folder, trajectory and report), and a finished run is forgotten after a while
or when too many have finished (its record stays on disk, in the history). Two names for one
device are one device: the board compares what `web.device_identity` resolves them to.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from screenpilot.actions.vocabulary import Action
from screenpilot.agent.assembly import check_device_spec
from screenpilot.errors import InvalidInputError, ScreenpilotError
from screenpilot.trajectory.records import Status
from screenpilot.trajectory.redaction import MASK, Redactor
from screenpilot.trajectory.store import FILE, Trajectory
from screenpilot.web.device_identity import device_identity
from screenpilot.web.events import (
    ConfirmAnswered,
    ConfirmAsked,
    ConsoleEvent,
    EventData,
    RunOver,
    RunState,
    RunStatus,
    Stopping,
    make_event,
)

log = logging.getLogger(__name__)

#: The statuses a run ends with: the agent's own ("error" also when it could not start).
FINAL = frozenset(get_args(Status))
#: A URL or a hub id longer than this is no URL or hub id.
MAX_NAME = 2000
Secret = Annotated[str, StringConstraints(min_length=1, max_length=1000)]


class RunRequest(BaseModel):
    """What a person asks the console to do."""

    model_config = ConfigDict(extra="forbid")

    instruction: str = Field(min_length=1, max_length=4000, description="What to do, in words.")
    device: str = Field(
        "desktop", max_length=200, description="desktop, android or android:SERIAL."
    )
    policy: Literal["rules", "native", "planned"] | None = Field(
        None, description="Who decides: rules (no model), native or planned (Qwen3-VL)."
    )
    model: str | None = Field(
        None, max_length=MAX_NAME, description="Local Qwen3-VL: hub id or folder."
    )
    server: str | None = Field(
        None, max_length=MAX_NAME, description="OpenAI-compatible server URL (…/v1)."
    )
    temperature: float = Field(0.0, ge=0.0, le=2.0, description="Sampling temperature.")
    thinking: bool = Field(False, description="Let the model think before it answers.")
    max_steps: int = Field(40, ge=1, le=500, description="Stop after this many steps.")
    visual_tokens: int = Field(
        1280, ge=64, le=16384, description="Most visual tokens per screenshot sent to the model."
    )
    dry_run: bool = Field(False, description="Plan and record, run nothing.")
    secrets: list[Secret] = Field(
        default_factory=list,
        max_length=32,
        description="Values to mask wherever the run shows or records them (a password "
        "the instruction types, say), as a task file's `secrets:`.",
    )

    def masked(self) -> RunRequest:
        """The request as it may be shown: each secret masked in the instruction, and the
        secrets themselves only as masks."""
        redactor = Redactor(self.secrets)
        return self.model_copy(
            update={
                "instruction": redactor.text(self.instruction),
                "secrets": [MASK] * len(self.secrets),
            }
        )

    @field_validator("device")
    @classmethod
    def _known_device(cls, value: str) -> str:
        try:
            check_device_spec(value)
        except InvalidInputError as error:
            raise ValueError(str(error)) from None
        return value

    @field_validator("model", "server")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None


class WaitingFor(BaseModel):
    """The risky action a run holds until a person answers."""

    id: str = Field(description="The confirmation's id: send it back with the answer.")
    action: Action
    reason: str


class RunSummary(BaseModel):
    """A console run's state."""

    id: str
    status: RunState
    message: str
    request: RunRequest
    folder: str | None = Field(description="The run folder's name, once it is made.")
    events: int = Field(description="How many events it has sent so far.")
    waiting_for: WaitingFor | None = Field(description="The confirmation it waits on, if any.")


class HistoryEntry(BaseModel):
    """A run recorded in the output folder."""

    folder: str
    instruction: str
    policy: str
    device: str
    status: Status | Literal["unfinished", "unreadable"] = Field(
        description="How it ended; unfinished (killed, or still going); unreadable."
    )
    message: str = Field(description="The end's message, or why it cannot be read.")
    steps: int
    seconds: float | None
    report: str | None = Field(description="The report's address, when it has one.")


@dataclass
class PendingConfirmation:
    """A risky action waiting for a person's answer."""

    id: str
    action: Action
    reason: str
    answered: threading.Event = field(default_factory=threading.Event)
    allowed: bool = False


class LiveRun:
    """One run started from the console, and everything it has said so far."""

    def __init__(
        self, request: RunRequest, *, confirm_timeout: float = 300.0, device_id: str = ""
    ) -> None:
        self.id = uuid.uuid4().hex[:12]
        self.request = request
        #: The device it drives, resolved (`web.device_identity`); the spec when not given.
        self.device_id = device_id or request.device
        self.redactor = Redactor(request.secrets)
        #: When its `end` event was sent (the board's clock); None while it runs.
        self.ended: float | None = None
        self.status: RunState = "starting"
        self.message = ""
        self.folder: Path | None = None
        self.created = time.time()
        self.confirm_timeout = confirm_timeout
        self._events: list[ConsoleEvent] = []
        self._changed = threading.Condition()
        self._pending: PendingConfirmation | None = None
        self._stopped = threading.Event()
        self._cancel: Callable[[], None] | None = None
        #: Viewers waiting on an event loop (`next_events`): the loop and what wakes them.
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()

    # ------------------------------------------------------------------ events
    def emit(self, data: EventData) -> ConsoleEvent:
        """Append an event (its secrets masked) and wake every viewer waiting for one."""
        data = self.redactor.record(data)
        with self._changed:
            event = make_event(len(self._events) + 1, data)
            self._events.append(event)
            self._changed.notify_all()
            waiters = list(self._waiters)
        for loop, woken in waiters:
            with contextlib.suppress(RuntimeError):  # its loop has closed: nobody to wake
                loop.call_soon_threadsafe(woken.set)
        return event

    async def next_events(self, last: int, timeout: float) -> list[ConsoleEvent]:
        """`events_after` for an event loop: waits up to `timeout` seconds for an event after
        number `last` without holding a thread (a stream per viewer costs no worker)."""
        woken = asyncio.Event()
        waiter = (asyncio.get_running_loop(), woken)
        with self._changed:
            if len(self._events) > last:
                return list(self._events[last:])
            self._waiters.add(waiter)
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(woken.wait(), timeout)
        finally:
            with self._changed:
                self._waiters.discard(waiter)
        with self._changed:
            return list(self._events[last:])

    def events_after(self, last: int, timeout: float) -> list[ConsoleEvent]:
        """The events after number `last`, waiting up to `timeout` seconds for one."""
        with self._changed:
            self._changed.wait_for(lambda: len(self._events) > last, timeout=timeout)
            return list(self._events[last:])

    @property
    def finished(self) -> bool:
        return self.status in FINAL

    def summary(self) -> RunSummary:
        pending = self._pending
        return RunSummary(
            id=self.id,
            status=self.status,
            message=self.message,
            request=self.request.masked(),
            folder=self.folder.name if self.folder else None,
            events=len(self._events),
            waiting_for=(
                self.redactor.record(
                    WaitingFor(id=pending.id, action=pending.action, reason=pending.reason)
                )
                if pending is not None and not pending.answered.is_set()
                else None
            ),
        )

    def set_status(self, status: RunState, message: str = "") -> None:
        """The run's new phase (or how it ended, when nothing more is known of it)."""
        self.set_outcome(RunStatus(status=status, message=message))

    def set_outcome(self, outcome: RunStatus) -> None:
        """The run's new status, with whatever is known of what it did."""
        outcome = self.redactor.record(outcome)
        self.status, self.message = outcome.status, outcome.message
        self.emit(outcome)

    # ------------------------------------------------------------------ people
    def ask(self, action: Action, reason: str) -> bool:
        """The agent's confirmation callback: hold the action until a person answers."""
        if self._stopped.is_set():
            return False
        pending = PendingConfirmation(uuid.uuid4().hex[:8], action, reason)
        self._pending = pending
        self.set_status("waiting", f"{action.type} looks risky ({reason}): allow or refuse")
        self.emit(ConfirmAsked(id=pending.id, action=action, reason=reason))
        answered = pending.answered.wait(self.confirm_timeout)
        self._pending = None  # answered or not, it waits no more: a late answer is refused
        allowed = answered and pending.allowed and not self._stopped.is_set()
        how = "allowed" if allowed else ("refused" if answered else "no answer in time: refused")
        self.emit(ConfirmAnswered(id=pending.id, allowed=allowed, how=how))
        self.set_status("running")
        return allowed

    def answer(self, confirmation: str, allow: bool) -> None:
        """A person's answer to the pending confirmation `confirmation`."""
        pending = self._pending
        if pending is None or pending.id != confirmation or pending.answered.is_set():
            raise LookupError(f"run {self.id} is not waiting for confirmation {confirmation!r}")
        pending.allowed = allow
        pending.answered.set()

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def attach(self, cancel: Callable[[], None]) -> None:
        """The agent's `cancel`, called when a person stops the run."""
        self._cancel = cancel
        if self._stopped.is_set():
            cancel()

    def stop(self) -> None:
        """Stop after the current step; a pending confirmation is refused."""
        self._stopped.set()
        if self._cancel is not None:
            self._cancel()
        pending = self._pending
        if pending is not None and not pending.answered.is_set():
            pending.allowed = False
            pending.answered.set()
        if not self.finished:
            self.emit(Stopping())


class Board:
    """The console's runs: starts each in its own thread, one run per device at a time.

    `identify` resolves a device spec to the device it names (`device_identity`). A finished
    run is kept `keep_seconds` after its end, and at most `keep_finished` of them at all;
    `clock` is the time they are measured by."""

    def __init__(
        self,
        output: Path,
        execute: Callable[[LiveRun], None],
        *,
        confirm_timeout: float = 300.0,
        identify: Callable[[str], str] = device_identity,
        keep_finished: int = 100,
        keep_seconds: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.output = output
        self.confirm_timeout = confirm_timeout
        self._execute, self._identify = execute, identify
        self.keep_finished, self.keep_seconds, self._clock = keep_finished, keep_seconds, clock
        self._runs: dict[str, LiveRun] = {}
        self._lock = threading.Lock()

    def start(self, request: RunRequest) -> LiveRun:
        """Start a run; DeviceBusyError when its device is busy with another."""
        device = self._identify(request.device)  # before the lock: it may ask adb
        with self._lock:
            self._forget_old()
            for other in self._runs.values():
                if other.device_id == device and not other.finished:
                    same = (
                        ""
                        if other.request.device == request.device
                        else f" as {other.request.device}"
                    )
                    raise DeviceBusyError(
                        f"{request.device} is busy with run {other.id}{same} ({other.status}); "
                        "stop it or wait for it to end"
                    )
            live = LiveRun(request, confirm_timeout=self.confirm_timeout, device_id=device)
            self._runs[live.id] = live
        threading.Thread(
            target=self._guarded, args=(live,), name=f"run-{live.id}", daemon=True
        ).start()
        return live

    def _guarded(self, live: LiveRun) -> None:
        try:
            self._execute(live)
        except ScreenpilotError as error:
            live.set_status("error", str(error))
        except Exception as error:  # a bug must not leave the page waiting forever
            log.exception("run %s crashed", live.id)
            live.set_status("error", f"internal error: {type(error).__name__}: {error}")
        finally:
            if not live.finished:
                live.set_status("error", "the run ended without a result")
            live.emit(RunOver(status=live.status, message=live.message))
            live.ended = self._clock()

    def get(self, run_id: str) -> LiveRun:
        with self._lock:
            self._forget_old()
            found = self._runs.get(run_id)
        if found is None:
            raise LookupError(
                f"no run {run_id!r} in this console (a finished run is kept for "
                f"{self.keep_seconds / 60:g} minutes; its record is in the history)"
            )
        return found

    def live(self) -> list[LiveRun]:
        """The runs it holds, newest first."""
        with self._lock:
            self._forget_old()
            runs = list(self._runs.values())
        return sorted(runs, key=lambda r: r.created, reverse=True)

    def stop_all(self) -> None:
        with self._lock:
            runs = list(self._runs.values())
        for live in runs:
            live.stop()

    def _forget_old(self) -> None:
        """Drop finished runs past their time, then the oldest beyond the count (the lock
        is held). A run's record stays on disk; a run under way is never dropped."""
        now = self._clock()
        ended = sorted(
            (live for live in self._runs.values() if live.ended is not None),
            key=lambda live: live.ended or 0.0,
        )
        overflow = len(ended) - self.keep_finished
        for n, live in enumerate(ended):
            if n < overflow or now - (live.ended or 0.0) > self.keep_seconds:
                del self._runs[live.id]

    def history(self, limit: int = 200) -> list[HistoryEntry]:
        """The runs recorded under the output folder, newest first."""
        if not self.output.is_dir():
            return []
        # Run folders are named by the second they started in (see `new_run_dir`): the
        # newest `limit` by name, then two of one second in the order they started.
        folders = sorted(
            (f for f in self.output.iterdir() if (f / FILE).is_file()),
            key=lambda f: f.name,
            reverse=True,
        )[:limit]
        read = [(folder, *_history_entry(folder)) for folder in folders]
        read.sort(key=lambda item: (item[0].name[:_STAMP], item[1], item[0].name), reverse=True)
        return [entry for _, _, entry in read]


class DeviceBusyError(ScreenpilotError):
    """A run already drives that device."""


#: The length of a run folder's date-time stamp, "20250101-120000".
_STAMP = 15


def _history_entry(folder: Path) -> tuple[float, HistoryEntry]:
    """When the run started (0 when that cannot be read), and how it is listed."""
    report = folder / "report.html"
    address = f"/runs/{folder.name}/report.html" if report.is_file() else None
    try:
        run = Trajectory.load(folder)
    except (ScreenpilotError, OSError, ValueError) as error:  # ValueError: not UTF-8
        return 0.0, HistoryEntry(
            folder=folder.name,
            instruction="",
            policy="",
            device="",
            status="unreadable",
            message=str(error),
            steps=0,
            seconds=None,
            report=address,
        )
    start, end = run.start, run.end
    return (start.time if start is not None else 0.0), HistoryEntry(
        folder=folder.name,
        instruction=run.instruction,
        policy=start.policy if start is not None else "",
        device=start.device if start is not None else "",
        status=end.status if end is not None else "unfinished",
        message=end.message if end is not None else "",
        steps=end.steps if end is not None else len(run.steps),
        seconds=end.seconds if end is not None else None,
        report=address,
    )
