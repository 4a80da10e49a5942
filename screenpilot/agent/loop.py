"""The agent: observe -> decide -> guard -> act -> verify -> record, for any device and policy.

`Agent(device, policy).run("instruction")` is a short loop over `Agent.step()`: each step
either asks the policy for a plan (when none is pending) or runs the plan's next action
through the executor, which places its targets on the newest screenshot, has the safety
guard judge them, acts and verifies. Every step becomes a typed record
(`trajectory.records`), secrets masked once, handed to the observers (`agent.observers`):
the trajectory recorder, budgets, loop detection, and whatever the caller adds (the CLI's
printer, the console's feed). A failed step makes the policy plan again; a lost
environment (the X server, the phone, the model server) ends the run as "error" at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from screenpilot.actions.executor import Executor, Pacing, StepResult
from screenpilot.actions.guard import ALLOWED, RefusedError, SafetyDecision
from screenpilot.actions.placement import GroundingError, Placed
from screenpilot.actions.vocabulary import Action, Answer, Finish
from screenpilot.actions.wording import summary
from screenpilot.agent.observers import (
    BudgetObserver,
    Budgets,
    Frames,
    LoopDetector,
    Observer,
    Progress,
    Replan,
    Stop,
    TrajectoryRecorder,
)
from screenpilot.agent.safety import Confirm, SafetyGuard, SafetyPolicy, refuse_all
from screenpilot.devices.protocol import Device
from screenpilot.errors import EnvironmentLostError, ScreenpilotError
from screenpilot.perception.grounding import Candidate as GroundingCandidate
from screenpilot.perception.ocr import ScreenReader
from screenpilot.perception.screenshot import Observation
from screenpilot.policies.base import Outcome, Plan, Policy, Step
from screenpilot.trajectory.records import (
    Candidate,
    Failure,
    PlacedTarget,
    RunEnded,
    RunStarted,
    Status,
    StepRecorded,
    StepTimings,
)
from screenpilot.trajectory.redaction import Redactor
from screenpilot.trajectory.store import new_run_dir
from screenpilot.version import __version__

log = logging.getLogger(__name__)

__all__ = ["Agent", "Budgets", "RefusedError", "Run", "RunResult", "Status"]

#: How many of a failed grounding's nearest candidates a step record keeps.
CANDIDATES_KEPT = 5


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


@dataclass
class Run:
    """A run under way: what the loop carries from one step to the next."""

    instruction: str
    progress: Progress
    folder: Path | None = None
    history: list[Outcome] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)
    pending: deque[Step] = field(default_factory=deque)
    plan: Plan | None = None  # the plan the pending steps come from
    plan_intact: bool = True  # every step of that plan so far had its effect
    raw: str = ""  # the model's answer, recorded with the plan's first step
    ended: Stop | None = None
    recorder: TrajectoryRecorder | None = None
    watchers: list[Observer] = field(default_factory=list)  # this run's observers, in order


@dataclass(frozen=True)
class _Attempt:
    """What came of running one action, whether it ran or not."""

    ok: bool
    reason: str
    failure: Failure | None = None
    result: StepResult | None = None
    observation: Observation | None = None
    placements: tuple[Placed, ...] = ()
    safety: SafetyDecision = ALLOWED
    candidates: tuple[GroundingCandidate, ...] = ()


class Agent:
    """Drives one device with one policy. `observers` watch every run (see
    `agent.observers`); `pacing`, `clock` and `sleep` set how the executor waits; `report`
    False records the trajectory alone (`agent.report.build_report` makes the HTML report
    from it later)."""

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
        observers: Iterable[Observer] = (),
        pacing: Pacing | None = None,
        report: bool = True,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.device, self.policy = device, policy
        self.report = report
        self.budgets = budgets or Budgets()
        self.output, self.dry_run = output, dry_run
        self.redactor = Redactor(secrets)
        self.clock = clock
        guard = SafetyGuard(safety or SafetyPolicy(), confirm, self._masked)
        self.executor = Executor(
            device, reader=reader, guard=guard, pacing=pacing, clock=clock, sleep=sleep
        )
        self.observers = list(observers)
        self._cancelled = threading.Event()
        #: The folder of the run under way (or the last one), once `start()` has made it.
        self.folder: Path | None = None

    def cancel(self) -> None:
        """Stop the run after the current step (from another thread, e.g. a web request)."""
        self._cancelled.set()

    # ------------------------------------------------------------------ the loop
    def run(self, instruction: str) -> RunResult:
        """Carry out `instruction`; always returns (the record is complete either way)."""
        run = self.start(instruction)
        try:
            while run.ended is None:
                self.step(run)
        except KeyboardInterrupt:
            run.ended = Stop("cancelled", "interrupted (Ctrl+C)")
        except Exception as error:  # a bug, or an observer that failed: still end the record
            log.exception("the run of %r stopped on an unexpected error", run.folder)
            run.ended = Stop("error", f"internal error: {type(error).__name__}: {error}")
        return self.finish(run)

    def start(self, instruction: str) -> Run:
        """Begin a run: its folder (when recording), its observers, its first record."""
        run = Run(instruction, Progress(started=self.clock()))
        watchers: list[Observer] = [BudgetObserver(self.budgets, self.clock), LoopDetector()]
        if self.output is not None:
            # The folder's name is made from the instruction's first words: secrets masked.
            run.folder = new_run_dir(self.output, self.redactor.text(instruction))
            run.recorder = TrajectoryRecorder(run.folder, report=self.report)
            watchers.insert(0, run.recorder)
        self.folder = run.folder
        run.watchers = watchers + self.observers
        record = RunStarted(
            time=time.time(),
            instruction=instruction,
            policy=self.policy.name,
            device=type(self.device).__name__,
            dry_run=self.dry_run,
            version=__version__,
        )
        record = self.redactor.record(record)
        for observer in run.watchers:
            observer.started(record)
        return run

    def step(self, run: Run) -> StepRecorded | None:
        """One turn of the loop: plan when nothing is pending, else run the next action.
        Returns the step's record (None when it planned or the run ended)."""
        if run.ended is not None:
            return None
        if self._cancelled.is_set():
            run.ended = Stop("cancelled", "cancelled")
            return None
        for observer in run.watchers:
            stop = observer.before_action(run.progress)
            if stop is not None:
                # A dry run that has its plan ends as one, however many steps it recorded.
                run.ended = _dry_run_end(run) if self.dry_run and run.plan is not None else stop
                return None
        if not run.pending:
            self._plan(run)
            return None
        return self._act(run, run.pending.popleft())

    def finish(self, run: Run) -> RunResult:
        """End a run: its last record, the report; how it ended."""
        ended = run.ended or Stop("failure", "the run stopped before it ended")
        seconds = self.clock() - run.progress.started
        record = RunEnded(
            time=time.time(),
            status=ended.status,
            message=ended.message,
            steps=run.progress.steps,
            model_calls=run.progress.model_calls,
            seconds=max(0.0, seconds),
            answers=run.answers,
        )
        record = self.redactor.record(record)
        for observer in run.watchers:
            try:
                observer.ended(record)
            except Exception:  # one observer's failure must not keep the others from ending
                log.exception("%s failed at the end of the run", type(observer).__name__)
        return RunResult(
            ended.status,
            record.message,
            run.progress.steps,
            run.progress.model_calls,
            seconds,
            run.folder,
            run.recorder.report if run.recorder is not None else None,
            record.answers,  # masked, like the message
        )

    # ------------------------------------------------------------------ pieces
    def _plan(self, run: Run) -> None:
        try:
            observation = self.executor.observe(with_elements=False)
            plan = self.policy.plan(run.instruction, observation, self._shown(run.history))
        except ScreenpilotError as error:  # the device or the model server went away
            run.ended = Stop("error", _said(error))
            return
        run.progress.model_calls += plan.model_calls
        if not plan.steps:
            run.ended = (
                _plan_end(plan)
                if plan.done
                else Stop("failure", "the policy had nothing more to do")
            )
            return
        run.pending = deque(plan.steps)
        run.plan, run.plan_intact, run.raw = plan, True, plan.raw

    def _act(self, run: Run, step: Step) -> StepRecorded:
        run.progress.steps += 1
        index = run.progress.steps
        raw, run.raw = run.raw, ""
        if self.dry_run:
            record = self._record(run, index, step, raw, None)
            for observer in run.watchers:
                observer.after_action(record, Frames())
            if isinstance(step.action, Finish) or not run.pending:
                run.ended = _dry_run_end(run)
            return record
        attempt = self._attempt(step.action)
        record = self._record(run, index, step, raw, attempt)
        before = attempt.observation.screenshot if attempt.observation is not None else None
        after = attempt.result.after if attempt.result is not None else None
        verdicts = [
            observer.after_action(record, Frames(before, after)) for observer in run.watchers
        ]
        run.history.append(Outcome(step, attempt.ok, attempt.reason, index))
        action = step.action
        if isinstance(action, Answer) and attempt.ok:
            run.answers.append(action.text)
        if not attempt.ok:
            run.plan_intact = False
            run.pending.clear()  # plan again, knowing what happened
        stop = next((v for v in verdicts if isinstance(v, Stop)), None)
        replan = next((v for v in verdicts if isinstance(v, Replan)), None)
        if isinstance(action, Finish) and attempt.ok:
            run.ended = Stop(action.status, action.message or _finished(action.status))
        elif attempt.failure == "refused":
            run.ended = Stop("refused", attempt.reason)
        elif attempt.failure == "environment":
            run.ended = Stop("error", attempt.reason)
        elif stop is not None:
            run.ended = stop
        elif replan is not None:
            run.pending.clear()
            run.history.append(Outcome(step, False, replan.reason, index))
        elif not run.pending and run.plan is not None and run.plan.done and run.plan_intact:
            run.ended = _plan_end(run.plan)
        return record

    def _attempt(self, action: Action) -> _Attempt:
        try:
            result = self.executor.run(action)
        except RefusedError as error:
            return _Attempt(False, str(error), "refused", None, error.observation,
                            error.placements, error.decision)  # fmt: skip
        except GroundingError as error:
            return _Attempt(False, str(error), "grounding", observation=error.observation,
                            candidates=tuple(error.result.candidates))  # fmt: skip
        except EnvironmentLostError as error:
            return _Attempt(False, _said(error), "environment")
        except ScreenpilotError as error:  # the device could not do it
            return _Attempt(False, str(error), "device")
        ok = result.ok
        return _Attempt(ok, result.verdict.reason, None if ok else "verification", result,
                        result.observation, result.placements, result.safety)  # fmt: skip

    def _record(
        self, run: Run, index: int, step: Step, raw: str, attempt: _Attempt | None
    ) -> StepRecorded:
        """The step as a record, secrets masked."""
        observation = attempt.observation if attempt is not None else None
        result = attempt.result if attempt is not None else None
        recording = run.folder is not None
        record = StepRecorded(
            time=time.time(),
            index=index,
            summary=summary(step.action),
            action=step.action,
            expect=step.expect,
            thought=step.thought,
            raw=raw,
            ok=attempt.ok if attempt is not None else None,
            reason=attempt.reason if attempt is not None else "",
            failure=attempt.failure if attempt is not None else None,
            safety=attempt.safety if attempt is not None else ALLOWED,
            targets=[_placed_target(p) for p in attempt.placements] if attempt else [],
            candidates=[_candidate(c) for c in attempt.candidates[:CANDIDATES_KEPT]]
            if attempt
            else [],
            changed=result.verdict.changed if result is not None else 0.0,
            seconds=result.seconds if result is not None else 0.0,
            timings=StepTimings(**vars(result.timings)) if result is not None else None,
            geometry=observation.geometry if observation is not None else None,
            screenshot=f"step-{index:04d}.png" if recording and observation else None,
            after=f"step-{index:04d}-after.png"
            if recording and result is not None and result.after is not None
            else None,
        )
        return self.redactor.record(record)

    def _shown(self, history: list[Outcome]) -> list[Outcome]:
        """The history a policy that talks to a model may see: secrets masked."""
        if not self.redactor.active or not self.policy.uses_model:
            return history
        masked = []
        for outcome in history:
            step = Step(
                self._masked(outcome.step.action),
                self.redactor.text(outcome.step.expect),
                self.redactor.text(outcome.step.thought),  # prompts show the model's words
            )
            masked.append(
                Outcome(step, outcome.ok, self.redactor.text(outcome.reason), outcome.index)
            )
        return masked

    def _masked(self, action: Action) -> Action:
        """The action as a person may see it: secrets replaced by the mask."""
        return self.redactor.record(action)


def _said(error: Exception) -> str:
    """An error's sentence, or at least its kind when it came without one."""
    return str(error) or f"{type(error).__name__} (it gave no reason)"


def _plan_end(plan: Plan) -> Stop:
    return Stop("success" if plan.success else "failure", plan.message)


def _dry_run_end(run: Run) -> Stop:
    return Stop("dry_run", f"{run.progress.steps} steps planned, none run")


def _finished(status: str) -> str:
    return "done" if status == "success" else "gave up"


def _placed_target(placed: Placed) -> PlacedTarget:
    element, found = placed.element, placed.grounding
    return PlacedTarget(
        role=placed.role,
        point=placed.point,
        box=placed.box,
        source=element.source if element is not None else None,
        element_role=element.role if element is not None else None,
        name=element.name if element is not None else None,
        why=found.why if found is not None else "",
        confidence=found.confidence if found is not None else None,
    )


def _candidate(candidate: GroundingCandidate) -> Candidate:
    e = candidate.element
    return Candidate(box=e.box, source=e.source, element_role=e.role, name=e.name,
                     score=candidate.score, why=candidate.why)  # fmt: skip
