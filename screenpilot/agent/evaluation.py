"""Task suites: run several tasks and count what succeeded.

```yaml
tasks:
  - name: fill the Tk form
    program: tk form                       # groups tasks in the per-program tables
    setup: python3 {suite}/../forms/my_form.py {tmp}/out.json   # launches the app
    env: {LANG: C.UTF-8}                   # extra environment for the setup program
    cwd: "{tmp}"                           # its working folder (default: {tmp})
    window: Tk form                        # wait for this window (window_timeout: 30)
    phrasings:                             # or `instruction: ...` (one phrasing), or `task:`
      - type bob into the Name field, click Submit, wait for Saved
      - Fill in the name with bob and press Submit.
    after: xdotool key ctrl+q              # run after the agent, before the check
    check: {file: "{tmp}/out.json", contains: '"name": "bob"'}
    timeout: 60                            # seconds the agent may take
    confirm: true                          # allow actions the safety policy would ask about
```

`{suite}` is the suite file's folder and `{tmp}` a fresh folder per run; they are replaced
wherever they appear (setup, env, cwd, after, check). Commands are split like a shell would
(`shlex`), or given as a list, and never run through one: a task that needs a pipeline says
`sh -c '...'` itself.

A check holds one or more of these, and passes when all of them hold:
- `file: PATH` with `contains: TEXT` and/or `matches: REGEX` (a bare `file` must exist);
- `command: ARGV` that exits 0;
- `stdout: TEXT` / `stdout_matches: REGEX` on what the setup program printed. The setup
  program is given `exit_wait` seconds (5) to exit first; what it printed so far counts when
  it is still running.

Each phrasing of a task is its own run. A task passes when its first phrasing passes; the
other phrasings count as runs. `summarise` tabulates both per program and per element mode
(`a11y` or `ocr`, the label a caller gives `run_suite`).

The format itself is `agent.suites` (pydantic models, `load_suite`, `suite_json_schema`).
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from screenpilot.agent.loop import Agent, Budgets
from screenpilot.agent.safety import refuse_all
from screenpilot.agent.suites import Check, Command, SuiteTask, load_suite, suite_json_schema
from screenpilot.devices.protocol import Device
from screenpilot.errors import ScreenpilotError
from screenpilot.policies.base import Policy, PolicyError

__all__ = [
    "SuiteRun",
    "TaskResult",
    "as_json",
    "load_suite",
    "phrasings",
    "program_of",
    "run_suite",
    "select_runs",
    "suite_json_schema",
    "summarise",
]

#: Seconds a setup program is given to exit when neither the task nor its check says.
EXIT_WAIT = 5.0


@dataclass(frozen=True)
class TaskResult:
    """One run: one phrasing of one task in one element mode."""

    name: str
    success: bool
    status: str
    steps: int
    model_calls: int
    seconds: float
    detail: str
    report: str | None
    program: str = ""
    phrasing: int = 0
    instruction: str = ""
    mode: str = ""
    checked: bool = False  # what the program itself reported held what the check wanted
    folder: str | None = None


@dataclass(frozen=True)
class SuiteRun:
    """What to run of a task: its phrasing number and instruction (None for a task file)."""

    task: SuiteTask
    phrasing: int
    instruction: str | None


def phrasings(task: SuiteTask) -> list[str]:
    """A task's instructions, first phrasing first (empty for a task file)."""
    if task.phrasings is not None:
        return list(task.phrasings)
    if task.instruction is not None:
        return [task.instruction]
    return []


def program_of(task: SuiteTask) -> str:
    """The program a task exercises: its `program:`, else the setup command's name."""
    if task.program:
        return task.program
    if not task.setup:
        return ""
    argv = task.setup if isinstance(task.setup, list) else shlex.split(task.setup)
    return Path(argv[0]).name if argv else ""


def select_runs(
    tasks: Iterable[SuiteTask],
    *,
    programs: Sequence[str] = (),
    names: Sequence[str] = (),
    first_phrasing_only: bool = False,
) -> list[SuiteRun]:
    """The runs of these tasks (one per phrasing), narrowed to some programs or task names."""
    runs = []
    for task in tasks:
        if programs and program_of(task) not in programs:
            continue
        if names and task.name not in names:
            continue
        said = phrasings(task)
        if not said:
            runs.append(SuiteRun(task, 0, None))
            continue
        for number, instruction in enumerate(said[:1] if first_phrasing_only else said):
            runs.append(SuiteRun(task, number, instruction))
    return runs


def _fill(text: str, fill: dict[str, str]) -> str:
    for key, replacement in fill.items():
        text = text.replace("{" + key + "}", replacement)
    return text


def _argv(command: Command, fill: dict[str, str]) -> list[str]:
    parts = command if isinstance(command, list) else shlex.split(command)
    return [_fill(part, fill) for part in parts]


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    """End a setup program and everything it started in its process group (a browser's
    helpers, a shell's children), even when the leader has already exited."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=8)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


class _Program:
    """A setup program started for one run, its output kept in files."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: str | None, logs: Path) -> None:
        self.stdout_path, self.stderr_path = logs / "stdout", logs / "stderr"
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
            try:
                self.process = subprocess.Popen(
                    argv,
                    stdout=out,
                    stderr=err,
                    stdin=subprocess.DEVNULL,
                    env=env,
                    cwd=cwd,
                    start_new_session=True,
                )
            except OSError as error:
                raise PolicyError(f"cannot start {argv[0]!r}: {error}") from None

    def stdout(self) -> str:
        return self.stdout_path.read_text(encoding="utf-8", errors="replace")

    def stderr_tail(self, limit: int = 300) -> str:
        text = self.stderr_path.read_text(encoding="utf-8", errors="replace").strip()
        return text[-limit:]

    def wait_exit(self, seconds: float, until: Callable[[str], bool]) -> None:
        """Wait up to `seconds` for the program to exit, or for its output to satisfy `until`."""
        deadline = time.monotonic() + seconds
        while self.process.poll() is None and time.monotonic() < deadline:
            if until(self.stdout()):
                return
            time.sleep(0.05)

    def stop(self) -> None:
        _stop_group(self.process)


def _stdout_holds(check: Check) -> Callable[[str], bool]:
    def holds(text: str) -> bool:
        if check.stdout is not None and check.stdout not in text:
            return False
        return not (check.stdout_matches is not None and not re.search(check.stdout_matches, text))

    return holds


def _check(
    check: Check, fill: dict[str, str], program: _Program | None, exit_wait: float
) -> tuple[bool, str]:
    """Whether every part of a check holds, and what was seen (a setup program is given
    `exit_wait` seconds to exit before its output is read)."""
    verdicts: list[tuple[bool, str]] = []
    if check.reads_stdout:
        holds = _stdout_holds(check)
        if program is None:
            verdicts.append((False, "no setup program to read from"))
        else:
            program.wait_exit(exit_wait, holds)
            text = program.stdout()
            shown = text.strip()[-200:] or "nothing"
            state = "" if program.process.poll() is not None else " (still running)"
            verdicts.append((holds(text), f"stdout{state}: {shown!r}"))
    if check.file is not None:
        file = Path(_fill(check.file, fill))
        if not file.exists():
            verdicts.append((False, f"{file.name} was not written"))
        else:
            text = file.read_text(encoding="utf-8", errors="replace")
            if check.contains is not None:
                wanted = _fill(check.contains, fill)
                has = wanted in text
                verdicts.append((has, f"{file.name} {'holds' if has else 'lacks'} {wanted!r}"))
            if check.matches is not None:
                pattern = check.matches
                has = re.search(pattern, text) is not None
                verdicts.append(
                    (has, f"{file.name} {'matches' if has else 'does not match'} /{pattern}/")
                )
            if check.contains is None and check.matches is None:
                verdicts.append((True, f"{file.name} was written"))
            if not all(ok for ok, _ in verdicts):
                verdicts.append((False, f"it holds {text.strip()[-200:]!r}"))
    if check.command is not None:
        argv = _argv(check.command, fill)
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
            verdicts.append((done.returncode == 0, f"check command exited {done.returncode}"))
        except (OSError, subprocess.TimeoutExpired) as error:
            verdicts.append((False, f"check command failed: {error}"))
    return all(ok for ok, _ in verdicts), "; ".join(text for _, text in verdicts)


def _allow_all(action: object, reason: str) -> bool:
    """The suite's author said yes beforehand (`confirm: true`)."""
    return True


def run_suite(
    path: Path,
    make_device: Callable[[], Device],
    make_policy: Callable[[dict[str, Any]], Policy],
    *,
    output: Path,
    reader: Any = None,
    wait_for_window: Callable[..., object] | None = None,
    mode: str = "",
    programs: Sequence[str] = (),
    names: Sequence[str] = (),
    first_phrasing_only: bool = False,
    on_result: Callable[[TaskResult], None] | None = None,
) -> list[TaskResult]:
    """Run every selected run of a suite; whatever a task's setup started is stopped after it.

    `make_policy` gets the task's fields as its file gave them (`SuiteTask.fields()`), with
    `suite`, `tmp` and the run's `instruction`.
    `wait_for_window(title, timeout=seconds)` waits for a task's window. `mode` labels the
    results (the element source the caller's device uses)."""
    runs = select_runs(
        load_suite(path), programs=programs, names=names, first_phrasing_only=first_phrasing_only
    )
    results = []
    for run in runs:
        result = _run_one(
            run, path, make_device, make_policy, output, reader, wait_for_window, mode
        )
        results.append(result)
        if on_result is not None:
            on_result(result)
    return results


def _run_one(
    run: SuiteRun,
    path: Path,
    make_device: Callable[[], Device],
    make_policy: Callable[[dict[str, Any]], Policy],
    output: Path,
    reader: Any,
    wait_for_window: Callable[..., object] | None,
    mode: str,
) -> TaskResult:
    task = run.task
    instruction = run.instruction or task.name

    def result(success: bool, status: str, detail: str, **more: Any) -> TaskResult:
        return TaskResult(
            name=task.name,
            success=success,
            status=status,
            steps=more.pop("steps", 0),
            model_calls=more.pop("model_calls", 0),
            seconds=time.monotonic() - start,
            detail=detail,
            report=more.pop("report", None),
            program=program_of(task),
            phrasing=run.phrasing,
            instruction=instruction,
            mode=mode,
            **more,
        )

    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as logs:
        fill = {"suite": str(path.resolve().parent), "tmp": tmp}
        start = time.monotonic()
        program: _Program | None = None
        device: Device | None = None
        try:
            env = {**os.environ, **{k: _fill(v, fill) for k, v in task.env.items()}}
            # The device first: a desktop switches accessibility on, and Qt and Chromium expose
            # their trees only when it is on before they start.
            device = make_device()
            if task.setup:
                cwd = _fill(task.cwd, fill) if task.cwd else tmp
                program = _Program(_argv(task.setup, fill), env, cwd, Path(logs))
            if task.window and wait_for_window is not None:
                try:
                    wait_for_window(task.window, timeout=task.window_timeout)
                except ScreenpilotError as error:
                    said = program.stderr_tail() if program is not None else ""
                    raise PolicyError(f"{error}{f' (it said: {said})' if said else ''}") from None
            agent = Agent(
                device,
                make_policy({**task.fields(), **fill, "instruction": instruction}),
                reader=reader,
                output=output,
                budgets=Budgets(max_seconds=task.timeout),
                confirm=_allow_all if task.confirm else refuse_all,
            )
            ran = agent.run(instruction)
            device.close()
            device = None
            wait = next(
                (w for w in (task.exit_wait, task.check.exit_wait) if w is not None), EXIT_WAIT
            )
            if task.after:
                # Whatever became of it, the check tells.
                with contextlib.suppress(OSError, subprocess.TimeoutExpired):
                    subprocess.run(
                        _argv(task.after, fill), env=env, timeout=30, check=False,
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                    )  # fmt: skip
                if program is not None:
                    # `after` usually asks the program to quit (and write what it keeps).
                    after_wait = EXIT_WAIT if task.exit_wait is None else task.exit_wait
                    program.wait_exit(after_wait, lambda _: False)
            # A run that went wrong rarely ends the program; it gets a moment, not the wait.
            checked, verdict = _check(task.check, fill, program, wait if ran.ok else min(wait, 1.0))
            detail = verdict if ran.ok else f"{ran.message} | check: {verdict}"
            return result(
                checked and ran.ok,
                ran.status,
                detail,
                steps=ran.steps,
                model_calls=ran.model_calls,
                report=str(ran.report) if ran.report else None,
                checked=checked,
                folder=str(ran.folder) if ran.folder else None,
            )
        except ScreenpilotError as error:
            return result(False, "error", str(error))
        finally:
            if device is not None:
                device.close()
            if program is not None:
                program.stop()


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


def _tally(results: list[TaskResult]) -> dict[str, Any]:
    first = [r for r in results if r.phrasing == 0]
    return {
        "tasks_passed": sum(r.success for r in first),
        "tasks": len(first),
        "runs_passed": sum(r.success for r in results),
        "runs": len(results),
        "median_seconds": _median([r.seconds for r in results]),
    }


def summarise(results: Sequence[TaskResult]) -> dict[str, Any]:
    """Per mode: per program and overall, tasks passed at their first phrasing and runs
    passed (every phrasing), with the median seconds per run."""
    summary: dict[str, Any] = {}
    for mode in dict.fromkeys(r.mode for r in results):
        mine = [r for r in results if r.mode == mode]
        per_program = {
            program: _tally([r for r in mine if r.program == program])
            for program in sorted({r.program for r in mine})
        }
        summary[mode or "default"] = {"programs": per_program, "overall": _tally(mine)}
    return summary


def as_json(results: Sequence[TaskResult]) -> dict[str, Any]:
    return {
        "passed": sum(r.success for r in results),
        "total": len(results),
        "summary": summarise(results),
        "tasks": [asdict(r) for r in results],
    }
