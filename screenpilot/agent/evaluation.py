"""Task suites: run several tasks and count what succeeded.

```yaml
tasks:
  - name: fill the Tk form
    setup: python3 {suite}/../forms/tk_form.py {tmp}/out.json   # launches the app
    window: Tk form                                              # wait for this window
    instruction: type bob into the Name field, click Submit, wait for Saved
    check: {file: "{tmp}/out.json", contains: '"name": "bob"'}   # or {command: "..."}
    timeout: 60
```

`{suite}` is the suite file's folder and `{tmp}` a fresh folder per task. Commands are split
like a shell would (`shlex`) but never run through one. A task may name a `task:` file
(scripted policy) instead of an `instruction`.
"""

from __future__ import annotations

import shlex
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

from screenpilot.agent.loop import Agent, Budgets
from screenpilot.errors import ScreenpilotError
from screenpilot.policies.base import Policy, PolicyError


@dataclass(frozen=True)
class TaskResult:
    name: str
    success: bool
    status: str
    steps: int
    model_calls: int
    seconds: float
    detail: str
    report: str | None


def load_suite(path: Path) -> list[dict[str, Any]]:
    """The tasks of a suite file, checked for the keys each needs."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise PolicyError(f"cannot read the suite {path}: {error}") from None
    tasks = data.get("tasks") if isinstance(data, dict) else None
    if not isinstance(tasks, list) or not tasks:
        raise PolicyError(f"{path}: a suite needs a non-empty `tasks:` list")
    for number, task in enumerate(tasks, start=1):
        if not isinstance(task, dict) or "name" not in task or "check" not in task:
            raise PolicyError(f"{path}: task {number} needs a `name` and a `check`")
        if ("instruction" in task) == ("task" in task):
            raise PolicyError(f"{path}: task {task['name']!r} needs an `instruction` or a `task`")
        check = task["check"]
        if not isinstance(check, dict) or not ({"file", "command"} & set(check)):
            raise PolicyError(f"{path}: task {task['name']!r}: `check` takes `file` or `command`")
    return tasks


def run_suite(
    path: Path,
    make_device: Callable[[], Any],
    make_policy: Callable[[dict[str, Any]], Policy],
    *,
    output: Path,
    reader: Any = None,
    wait_for_window: Callable[[str], object] | None = None,
) -> list[TaskResult]:
    """Run every task of a suite; an app that a task's setup started is stopped after it."""
    results = []
    for task in load_suite(path):
        with tempfile.TemporaryDirectory() as tmp:
            fill = {"suite": str(path.resolve().parent), "tmp": tmp}
            start = time.monotonic()
            app = None
            try:
                if task.get("setup"):
                    argv = [part.format(**fill) for part in shlex.split(str(task["setup"]))]
                    app = subprocess.Popen(
                        argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                    )
                if task.get("window") and wait_for_window is not None:
                    wait_for_window(str(task["window"]))
                device = make_device()
                try:
                    agent = Agent(
                        device,
                        make_policy({**task, **fill}),
                        reader=reader,
                        output=output,
                        budgets=Budgets(max_seconds=float(task.get("timeout", 120))),
                    )
                    run = agent.run(str(task.get("instruction") or task["name"]))
                finally:
                    if hasattr(device, "close"):
                        device.close()
                passed, detail = _check(task["check"], fill)
                results.append(
                    TaskResult(
                        str(task["name"]),
                        passed and run.ok,
                        run.status,
                        run.steps,
                        run.model_calls,
                        time.monotonic() - start,
                        detail if run.ok else run.message,
                        str(run.report) if run.report else None,
                    )
                )
            except ScreenpilotError as error:
                results.append(
                    TaskResult(
                        str(task["name"]),
                        False,
                        "error",
                        0,
                        0,
                        time.monotonic() - start,
                        str(error),
                        None,
                    )
                )
            finally:
                if app is not None:
                    app.terminate()
                    app.wait(timeout=10)
    return results


def _check(check: dict[str, Any], fill: dict[str, str]) -> tuple[bool, str]:
    if "file" in check:
        file = Path(str(check["file"]).format(**fill))
        if not file.exists():
            return False, f"{file} was not written"
        text = file.read_text(encoding="utf-8", errors="replace")
        wanted = str(check.get("contains", ""))
        return wanted in text, f"{file.name} {'holds' if wanted in text else 'lacks'} {wanted!r}"
    argv = [part.format(**fill) for part in shlex.split(str(check["command"]))]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    return done.returncode == 0, f"check command exited {done.returncode}"


def as_json(results: list[TaskResult]) -> dict[str, Any]:
    return {
        "passed": sum(r.success for r in results),
        "total": len(results),
        "tasks": [asdict(r) for r in results],
    }
