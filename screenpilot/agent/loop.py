"""The agent: observe -> decide -> guard -> act -> verify -> record, for any device and policy.

`Agent(device, policy).run("instruction")` asks the policy for a plan, runs its steps one by
one through the executor (which grounds each target on the newest screenshot, acts and
verifies), and asks again when a step fails or the plan runs out. Around that: budgets
(steps, seconds, model calls), loop detection (the same action on an unchanged screen three
times: replan once, then stop), the safety guard, cancellation (Ctrl+C or `cancel()`), and the
trajectory + HTML report of everything that happened.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from screenpilot.actions.executor import Executor, GroundingError, Placed, StepResult
from screenpilot.actions.targets import Description
from screenpilot.actions.vocabulary import ACTION_ADAPTER, Answer, Finish
from screenpilot.agent.report import build_report
from screenpilot.agent.safety import Confirm, SafetyPolicy, refuse_all
from screenpilot.agent.trajectory import Redactor, TrajectoryWriter, new_run_dir
from screenpilot.devices.protocol import Device
from screenpilot.errors import ScreenpilotError
from screenpilot.perception.geometry import ScreenPoint
from screenpilot.perception.ocr import ScreenReader
from screenpilot.perception.screenshot import Observation
from screenpilot.policies.base import Outcome, Policy, Step

log = logging.getLogger(__name__)

Status = Literal[
    "success", "failure", "budget", "stuck", "refused", "cancelled", "dry_run", "error"
]


class RefusedError(ScreenpilotError):
    """The safety policy (or the person asked) refused an action."""


@dataclass(frozen=True)
class Budgets:
    """Limits of one run."""

    max_steps: int = 40
    max_seconds: float = 900.0
    max_model_calls: int = 60


@dataclass(frozen=True)
class RunResult:
    """How a run ended."""

    status: Status
    message: str
    steps: int
    model_calls: int
    seconds: float
    folder: Path | None = None
    report: Path | None = None
    answers: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status in ("success", "dry_run")


def screen_digest(observation: Observation) -> str:
    """A cheap fingerprint of the screen (every 8th pixel), for loop detection."""
    sample = observation.screenshot.raw[::8, ::8]
    return hashlib.blake2b(sample.tobytes(), digest_size=12).hexdigest()


class Agent:
    """Drives one device with one policy."""

    def __init__(
        self,
        device: Device,
        policy: Policy,
        *,
        reader: ScreenReader | None = None,
        safety: SafetyPolicy | None = None,
        confirm: Confirm = refuse_all,
        budgets: Budgets | None = None,
        output: Path | None = Path("runs"),
        dry_run: bool = False,
        secrets: Iterable[str] = (),
        on_step: Callable[[dict[str, Any]], None] | None = None,
        executor: Executor | None = None,
    ) -> None:
        self.device, self.policy = device, policy
        self.safety = safety or SafetyPolicy()
        self.confirm = confirm
        self.budgets = budgets or Budgets()
        self.output, self.dry_run = output, dry_run
        self.redactor = Redactor(secrets)
        self.on_step = on_step
        self.executor = executor or Executor(device, reader=reader)
        self.executor.guard = self._guard
        self._cancelled = threading.Event()
        self._safety_note = "allow"
        #: The folder of the run under way (or the last one), once `run()` has made it.
        self.folder: Path | None = None

    def cancel(self) -> None:
        """Stop the run after the current step (from another thread, e.g. a web request)."""
        self._cancelled.set()

    # ------------------------------------------------------------------ the loop
    def run(self, instruction: str) -> RunResult:
        """Carry out `instruction`; always returns (the report is written either way)."""
        start = time.monotonic()
        # The folder's name is made from the instruction's first words: secrets masked first.
        folder = (
            new_run_dir(self.output, self.redactor.text(instruction))
            if self.output is not None
            else None
        )
        self.folder = folder
        writer = TrajectoryWriter(folder, self.redactor) if folder is not None else None
        if writer:
            writer.record(
                "start",
                instruction=instruction,
                policy=self.policy.name,
                device=type(self.device).__name__,
                dry_run=self.dry_run,
            )
        history: list[Outcome] = []
        answers: list[str] = []
        model_calls, index = 0, 0
        repeats: dict[tuple[str, str], int] = {}
        replanned: set[tuple[str, str]] = set()
        status: Status = "failure"
        message = ""
        try:
            while True:
                if self._cancelled.is_set():
                    status, message = "cancelled", "cancelled"
                    break
                over = self._over_budget(index, model_calls, time.monotonic() - start)
                if over:
                    status, message = "budget", over
                    break
                observation = self.executor.observe(with_elements=False)
                plan = self.policy.plan(instruction, observation, self._shown(history))
                model_calls += plan.model_calls
                if plan.done and not plan.steps:
                    status = "success" if plan.success else "failure"
                    message = plan.message
                    break
                if not plan.steps:
                    status, message = "failure", "the policy had nothing more to do"
                    break
                finished = all_ran = False
                for position, step in enumerate(plan.steps):
                    if self._cancelled.is_set() or self._over_budget(
                        index, model_calls, time.monotonic() - start
                    ):
                        break
                    index += 1
                    if self.dry_run:
                        self._record(
                            writer, index, step, plan.raw if position == 0 else "", None, None
                        )
                        if isinstance(step.action, Finish):
                            finished = True
                        continue
                    result, reason = self._execute(step)
                    ok = result.ok if result is not None else False
                    reason = result.verdict.reason if result is not None else reason
                    self._record(
                        writer, index, step, plan.raw if position == 0 else "", result, reason
                    )
                    history.append(Outcome(step, ok, reason, index))
                    if isinstance(step.action, Answer) and ok:
                        answers.append(step.action.text)
                    if isinstance(step.action, Finish) and ok:
                        status = step.action.status
                        message = step.action.message or (
                            "done" if status == "success" else "gave up"
                        )
                        finished = True
                        break
                    if self._safety_note.startswith("refused"):
                        status, message = "refused", self._safety_note
                        finished = True
                        break
                    key = (
                        ACTION_ADAPTER.dump_json(step.action).decode(),
                        screen_digest(result.observation) if result else "",
                    )
                    unchanged = result is None or not ok or result.verdict.changed == 0
                    if unchanged:
                        repeats[key] = repeats.get(key, 0) + 1
                    if repeats.get(key, 0) >= 3:
                        if key in replanned:
                            status = "stuck"
                            message = f"repeating {step.action.type} on an unchanged screen"
                            finished = True
                        else:
                            replanned.add(key)
                            repeats[key] = 0
                            history.append(
                                Outcome(step, False, "repeated three times with no effect", index)
                            )
                        break
                    if not ok:
                        break  # replan with what happened
                else:
                    all_ran = True
                if finished:
                    break
                if self.dry_run:
                    status, message = "dry_run", f"{index} steps planned, none run"
                    break
                if plan.done and all_ran:
                    status = "success" if plan.success else "failure"
                    message = plan.message
                    break
        except KeyboardInterrupt:
            status, message = "cancelled", "interrupted (Ctrl+C)"
        except RefusedError as error:
            status, message = "refused", str(error)
        except ScreenpilotError as error:  # the model server or the device went away
            status, message = "error", str(error)
        seconds = time.monotonic() - start
        report = None
        if writer is not None and folder is not None:
            writer.record(
                "end",
                status=status,
                message=message,
                steps=index,
                model_calls=model_calls,
                seconds=seconds,
                answers=answers,
            )
            writer.close()
            report = build_report(folder)
        return RunResult(
            status,
            self.redactor.text(message),
            index,
            model_calls,
            seconds,
            folder,
            report,
            answers,
        )

    # ------------------------------------------------------------------ pieces
    def _shown(self, history: list[Outcome]) -> list[Outcome]:
        """The history a policy that talks to a model may see: secrets masked."""
        if not getattr(self.policy, "uses_model", False) or not self.redactor.active:
            return history
        masked = []
        for outcome in history:
            step = Step(
                self._masked(outcome.step.action),
                self.redactor.text(outcome.step.expect),
                outcome.step.thought,
            )
            masked.append(
                Outcome(step, outcome.ok, self.redactor.text(outcome.reason), outcome.index)
            )
        return masked

    def _over_budget(self, steps: int, calls: int, seconds: float) -> str:
        b = self.budgets
        if steps >= b.max_steps:
            return f"step budget of {b.max_steps} used up"
        if calls > b.max_model_calls:
            return f"model-call budget of {b.max_model_calls} used up"
        if seconds >= b.max_seconds:
            return f"time budget of {b.max_seconds:g} s used up"
        return ""

    def _execute(self, step: Step) -> tuple[StepResult | None, str]:
        self._safety_note = "allow"
        try:
            return self.executor.run(step.action), ""
        except RefusedError as error:
            self._safety_note = f"refused: {error}"
            return None, self._safety_note
        except GroundingError as error:
            return None, str(error)
        except ScreenpilotError as error:  # the device could not do it
            return None, str(error)

    def _guard(self, action: Any, placed: Placed | None, observation: Observation) -> None:
        check = self.safety.check(
            action, placed.point if placed else None, placed.element if placed else None
        )
        if check.decision == "allow":
            return
        if check.decision == "ask" and self.confirm(self._masked(action), check.reason):
            self._safety_note = f"asked ({check.reason}): confirmed"
            return
        raise RefusedError(f"{action.type} refused: {check.reason}")

    def _masked(self, action: Any) -> Any:
        """The action as a person may see it: secrets replaced by the mask."""
        if not self.redactor.active:
            return action
        return ACTION_ADAPTER.validate_python(
            self.redactor.data(ACTION_ADAPTER.dump_python(action, mode="json"))
        )

    def _record(
        self,
        writer: TrajectoryWriter | None,
        index: int,
        step: Step,
        raw: str,
        result: StepResult | None,
        reason: str | None,
    ) -> None:
        placed = result.placed if result is not None else None
        grounding = placed.grounding if placed is not None else None
        entry: dict[str, Any] = {
            "index": index,
            "summary": _summary(step),
            "action": ACTION_ADAPTER.dump_python(step.action, mode="json"),
            "expect": step.expect,
            "thought": step.thought,
            "raw": raw,
            "ok": None if self.dry_run else (result.ok if result is not None else False),
            "reason": reason or "",
            "safety": self._safety_note,
            "seconds": result.seconds if result is not None else 0.0,
            "point": placed.point.model_dump() if placed is not None else None,
            "box": placed.box.model_dump() if placed is not None and placed.box else None,
            "grounding": (
                f"{grounding.element.source} {grounding.element.role} "
                f"{grounding.element.name!r} ({grounding.why})"
            )
            if grounding
            else None,
            "confidence": grounding.confidence if grounding else None,
        }
        if result is not None:
            entry["geometry"] = result.observation.geometry.model_dump(mode="json")
            if writer is not None:
                entry["screenshot"] = writer.save_screenshot(
                    result.observation.screenshot, f"step-{index:04d}.png"
                )
                if result.after is not None:
                    entry["after"] = writer.save_screenshot(
                        result.after, f"step-{index:04d}-after.png"
                    )
        if writer is not None:
            writer.record("step", **entry)
        if self.on_step is not None:
            self.on_step(self.redactor.data(entry))


def _summary(step: Step) -> str:
    """A short line for a step: "type 'bob' into the Email field", "click (960, 540)"."""
    action = step.action
    target: Any = getattr(action, "target", None)
    if isinstance(target, Description):
        words = target.text
    elif isinstance(target, ScreenPoint):
        words = f"({target.x:.0f}, {target.y:.0f})"
    else:
        words = ""
    detail = getattr(action, "text", "") if action.type in ("type", "answer") else ""
    if action.type == "type" and detail and words:
        words = f"into {words}"
    return " ".join(p for p in (action.type, repr(detail) if detail else "", words) if p)
