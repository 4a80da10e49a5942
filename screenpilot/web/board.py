"""The console's runs: each agent run in its own thread, its events kept for live viewers, a
risky action held until a person answers from the page, and the runs already on disk.

A `LiveRun` is the bridge between one agent thread and any number of browser tabs. The agent
thread appends events (status, step, confirm, end); viewers read them from any position, so a
tab opened late, or one that lost its connection, sees the whole run. A risky action blocks
the agent thread on a `PendingConfirmation` until the page answers, the run is stopped, or the
wait times out (which refuses, as a non-interactive run would).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator

from screenpilot.agent.assembly import check_device_spec
from screenpilot.agent.loop import Status
from screenpilot.agent.trajectory import read_trajectory
from screenpilot.errors import InvalidInputError, ScreenpilotError

log = logging.getLogger(__name__)

#: The statuses a run ends with: the agent's own ("error" also when it could not start).
FINAL = frozenset(get_args(Status))


class RunRequest(BaseModel):
    """What a person asks the console to do."""

    model_config = ConfigDict(extra="forbid")

    instruction: str = Field(min_length=1, max_length=4000, description="What to do, in words.")
    device: str = Field("desktop", description="desktop, android or android:SERIAL.")
    policy: Literal["rules", "native", "planned"] | None = Field(
        None, description="Who decides: rules (no model), native or planned (Qwen3-VL)."
    )
    model: str | None = Field(None, description="Local Qwen3-VL: hub id or folder.")
    server: str | None = Field(None, description="OpenAI-compatible server URL (…/v1).")
    temperature: float = Field(0.0, ge=0.0, le=2.0, description="Sampling temperature.")
    thinking: bool = Field(False, description="Let the model think before it answers.")
    max_steps: int = Field(40, ge=1, le=500, description="Stop after this many steps.")
    visual_tokens: int = Field(
        1280, ge=64, le=16384, description="Most visual tokens per screenshot sent to the model."
    )
    dry_run: bool = Field(False, description="Plan and record, run nothing.")

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


@dataclass
class PendingConfirmation:
    """A risky action waiting for a person's answer."""

    id: str
    action: dict[str, Any]
    reason: str
    answered: threading.Event = field(default_factory=threading.Event)
    allowed: bool = False


class LiveRun:
    """One run started from the console, and everything it has said so far."""

    def __init__(self, request: RunRequest, *, confirm_timeout: float = 300.0) -> None:
        self.id = uuid.uuid4().hex[:12]
        self.request = request
        self.status = "starting"
        self.message = ""
        self.folder: Path | None = None
        self.created = time.time()
        self.confirm_timeout = confirm_timeout
        self._events: list[dict[str, Any]] = []
        self._changed = threading.Condition()
        self._pending: PendingConfirmation | None = None
        self._stopped = threading.Event()
        self._cancel: Callable[[], None] | None = None

    # ------------------------------------------------------------------ events
    def emit(self, kind: str, **data: Any) -> None:
        with self._changed:
            self._events.append({"id": len(self._events) + 1, "kind": kind, "data": data})
            self._changed.notify_all()

    def events_after(self, last: int, timeout: float) -> list[dict[str, Any]]:
        """The events after number `last`, waiting up to `timeout` seconds for one."""
        with self._changed:
            self._changed.wait_for(lambda: len(self._events) > last, timeout=timeout)
            return list(self._events[last:])

    @property
    def finished(self) -> bool:
        return self.status in FINAL

    def summary(self) -> dict[str, Any]:
        pending = self._pending
        return {
            "id": self.id,
            "status": self.status,
            "message": self.message,
            "request": self.request.model_dump(),
            "folder": self.folder.name if self.folder else None,
            "events": len(self._events),
            "waiting_for": (
                {"id": pending.id, "action": pending.action, "reason": pending.reason}
                if pending is not None and not pending.answered.is_set()
                else None
            ),
        }

    def set_status(self, status: str, message: str = "", **extra: Any) -> None:
        self.status, self.message = status, message
        self.emit("status", status=status, message=message, **extra)

    # ------------------------------------------------------------------ people
    def ask(self, action: Any, reason: str) -> bool:
        """The agent's confirmation callback: hold the action until a person answers."""
        if self._stopped.is_set():
            return False
        pending = PendingConfirmation(uuid.uuid4().hex[:8], action.model_dump(mode="json"), reason)
        self._pending = pending
        self.set_status("waiting", f"{action.type} looks risky ({reason}): allow or refuse")
        self.emit("confirm", id=pending.id, action=pending.action, reason=reason)
        answered = pending.answered.wait(self.confirm_timeout)
        allowed = answered and pending.allowed and not self._stopped.is_set()
        how = "allowed" if allowed else ("refused" if answered else "no answer in time: refused")
        self.emit("confirmed", id=pending.id, allowed=allowed, how=how)
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
            self.emit("stopping")


class Board:
    """The console's runs: starts each in its own thread, one run per device at a time."""

    def __init__(self, output: Path, execute: Callable[[LiveRun], None]) -> None:
        self.output = output
        self._execute = execute
        self._runs: dict[str, LiveRun] = {}
        self._lock = threading.Lock()

    def start(self, request: RunRequest) -> LiveRun:
        """Start a run; ScreenpilotError when its device is busy with another."""
        with self._lock:
            for other in self._runs.values():
                if other.request.device == request.device and not other.finished:
                    raise DeviceBusyError(
                        f"{request.device} is busy with run {other.id} ({other.status}); "
                        "stop it or wait for it to end"
                    )
            live = LiveRun(request)
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
            live.emit("end", status=live.status, message=live.message)

    def get(self, run_id: str) -> LiveRun:
        try:
            return self._runs[run_id]
        except KeyError:
            raise LookupError(f"no run {run_id!r} in this console") from None

    def live(self) -> list[LiveRun]:
        return sorted(self._runs.values(), key=lambda r: r.created, reverse=True)

    def stop_all(self) -> None:
        for live in self._runs.values():
            live.stop()

    def history(self, limit: int = 200) -> list[dict[str, Any]]:
        """The runs recorded under the output folder, newest first."""
        if not self.output.is_dir():
            return []
        folders = sorted(
            (f for f in self.output.iterdir() if (f / "trajectory.jsonl").is_file()),
            key=lambda f: f.name,
            reverse=True,
        )
        return [_history_entry(folder) for folder in folders[:limit]]


class DeviceBusyError(ScreenpilotError):
    """A run already drives that device."""


def _history_entry(folder: Path) -> dict[str, Any]:
    try:
        records = read_trajectory(folder)
    except OSError:
        records = []
    start = next((r for r in records if r.get("kind") == "start"), {})
    end = next((r for r in records if r.get("kind") == "end"), {})
    report = folder / "report.html"
    return {
        "folder": folder.name,
        "instruction": start.get("instruction", ""),
        "policy": start.get("policy", ""),
        "device": start.get("device", ""),
        "status": end.get("status", "unfinished"),
        "message": end.get("message", ""),
        "steps": end.get("steps", sum(r.get("kind") == "step" for r in records)),
        "seconds": end.get("seconds"),
        "report": f"/runs/{folder.name}/report.html" if report.is_file() else None,
    }


def step_event(entry: dict[str, Any], folder: Path | None) -> dict[str, Any]:
    """A step as the page shows it: the recorded entry, the screenshot's address and the
    grounded box as fractions of the screenshot (so the page can draw it at any size)."""
    shown = {k: v for k, v in entry.items() if k not in ("raw",)}
    if folder is not None and entry.get("screenshot"):
        shown["screenshot_url"] = f"/runs/{folder.name}/{entry['screenshot']}"
    screen = (entry.get("geometry") or {}).get("screen")
    box = entry.get("box")
    if screen and box and screen["width"] and screen["height"]:
        shown["box_fraction"] = {
            "left": (box["x1"] - screen["left"]) / screen["width"],
            "top": (box["y1"] - screen["top"]) / screen["height"],
            "width": (box["x2"] - box["x1"]) / screen["width"],
            "height": (box["y2"] - box["y1"]) / screen["height"],
        }
    point = entry.get("point")
    if screen and point and screen["width"] and screen["height"]:
        shown["point_fraction"] = {
            "x": (point["x"] - screen["left"]) / screen["width"],
            "y": (point["y"] - screen["top"]) / screen["height"],
        }
    return shown
