"""Runs a task file row by row on one device or several, and keeps what became of each row.

For every row (a task without `data` is one row with no values): the task's steps run as one
agent run with the row's values (`ScriptedPolicy`), programs its `launch` steps started are
ended with the row, a failed row runs the `on_error` steps and the next row starts (unless
`stop_on_error`), and the row's line goes to the results file. With several devices, each
takes the next row not yet taken, so N phones do N rows at a time.

The run folder holds a folder per row (its trajectory, screenshots and report) and a
summary `report.html` with a table of the rows linking their reports.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from screenpilot.actions.executor import Pacing
from screenpilot.agent.loop import Agent, RunResult
from screenpilot.agent.observers import Observer
from screenpilot.agent.safety import Confirm, refuse_all
from screenpilot.devices.protocol import Device
from screenpilot.errors import InvalidInputError, ScreenpilotError
from screenpilot.perception.ocr import ScreenReader
from screenpilot.policies.base import PolicyError
from screenpilot.policies.documents import YamlDocument
from screenpilot.policies.scripted import Launcher, ScriptedPolicy, Task, load_task, read_header
from screenpilot.rpa.results import ResultsWriter, finished_rows
from screenpilot.rpa.rows import Row, read_rows, select_rows
from screenpilot.trajectory.redaction import Redactor
from screenpilot.trajectory.store import new_run_dir

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Selection:
    """Which rows a run does and with what: the command line's overrides of the file."""

    ranges: list[tuple[int, int]] | None = None
    shard: tuple[int, int] | None = None
    resume: Path | None = None
    data: Path | None = None
    output: Path | None = None
    variables: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RowDone:
    """What became of one row."""

    row: Row
    status: str
    message: str
    seconds: float
    read: dict[str, str]
    report: Path | None = None
    device: str = ""

    @property
    def ok(self) -> bool:
        return self.status in ("success", "dry_run")


@dataclass
class Prepared:
    """A task read with its rows, before anything runs (every error of the file is raised
    while preparing, so a bad file stops the run before it touches a screen)."""

    task: Task
    columns: list[str]
    rows: list[Row]
    output: Path | None
    has_data: bool


def prepare(path: Path, selection: Selection, env: Mapping[str, str] | None = None) -> Prepared:
    """Read the task file, its data and the rows to do; raises PolicyError or
    InvalidInputError (naming file and line) when anything is wrong."""
    header = read_header(path, env)
    folder = path.parent
    data = selection.data or (folder / header.data if header.data else None)
    columns: list[str] = []
    rows = [Row(1, {})]
    if data is not None:
        try:
            columns, rows = read_rows(data)
        except InvalidInputError as error:
            if selection.data is not None:
                raise
            # The file's own `data:` is wrong: say where it is written.
            line = YamlDocument.read(path, "task file").line_of(("data",))
            raise PolicyError(f"{path}:{line}: {error}") from None
    task = load_task(
        path,
        env,
        variables=dict(selection.variables),
        columns=columns,
        sample=rows[0].values if rows else None,
    )
    skip = finished_rows(selection.resume) if selection.resume is not None else set()
    chosen = select_rows(rows, ranges=selection.ranges, shard=selection.shard, skip=skip)
    output = selection.output or task.output
    return Prepared(task, columns, chosen, output, data is not None)


class RowRunner:
    """Runs a prepared task's rows. `devices` are opened by the runner (one callable per
    device; each row on a device is run, then the next row it takes); `launcher_for` gives
    a launcher for `launch` steps (None: the device cannot launch programs); `readers` an
    OCR reader for each agent (each keeps its own last frame); `on_row` hears of each row as
    it ends (from the device's thread). A cancelled row (Ctrl+C) ends the run."""

    def __init__(
        self,
        prepared: Prepared,
        devices: Sequence[Callable[[], Device]],
        *,
        output: Path,
        readers: Callable[[], ScreenReader | None] | None = None,
        confirm: Confirm = refuse_all,
        dry_run: bool = False,
        pacing: Pacing | None = None,
        stop_on_error: bool = False,
        launcher_for: Callable[[], Launcher] | None = None,
        observers: Callable[[], Iterable[Observer]] = tuple,
        on_row: Callable[[RowDone], None] = lambda done: None,
        report: bool = True,
    ) -> None:
        if not devices:
            raise ValueError("a run needs at least one device")
        self.prepared, self.devices = prepared, list(devices)
        self.readers, self.confirm = readers, confirm
        self.dry_run, self.stop_on_error = dry_run, stop_on_error
        self.pacing, self.report = pacing, report
        self.launcher_for, self.observers, self.on_row = launcher_for, observers, on_row
        self.folder = new_run_dir(output, prepared.task.name)
        self.redactor = Redactor(prepared.task.secrets)
        self.done: list[RowDone] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def stop(self) -> None:
        """Start no more rows (the rows under way end as they will)."""
        self._stop.set()

    def run(self) -> list[RowDone]:
        """Every chosen row, run; the rows' outcomes in the order they ended."""
        task, prepared = self.prepared.task, self.prepared
        writer = (
            ResultsWriter(
                prepared.output, prepared.columns, list(task.read_into), self.redactor.text
            )
            if prepared.output is not None and not self.dry_run
            else None
        )
        todo: queue.SimpleQueue[Row] = queue.SimpleQueue()
        for row in prepared.rows:
            todo.put(row)
        errors: list[BaseException] = []

        def work(open_device: Callable[[], Device]) -> None:
            try:
                with open_device() as device:
                    while not self._stop.is_set():
                        try:
                            row = todo.get_nowait()
                        except queue.Empty:
                            return
                        done = self._row(device, row)
                        with self._lock:
                            self.done.append(done)
                            if writer is not None:
                                writer.write(
                                    row, done.read, done.status, done.message, done.seconds
                                )
                        self.on_row(done)
                        if done.status == "cancelled" or (not done.ok and self.stop_on_error):
                            self._stop.set()
            except BaseException as error:  # a device that cannot be opened, Ctrl+C
                errors.append(error)
                self._stop.set()

        try:
            if len(self.devices) == 1:
                work(self.devices[0])
            else:
                threads = [
                    threading.Thread(target=work, args=(d,), name=f"rows-{n}", daemon=True)
                    for n, d in enumerate(self.devices)
                ]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
        finally:
            if writer is not None:
                writer.close()
            self._summary()
        if errors:
            raise errors[0]
        return self.done

    def _row(self, device: Device, row: Row) -> RowDone:
        task = self.prepared.task
        start = time.monotonic()
        launcher = self.launcher_for() if self.launcher_for is not None else None
        policy = ScriptedPolicy(task, values=row.values, launcher=launcher)
        name = f"row {row.number}" if self.prepared.has_data else task.name
        try:
            result = self._agent(device, policy, f"row-{row.number:04d}").run(
                f"{task.name}: {name}"
            )
            if not result.ok and task.on_error and not self.dry_run:
                self._on_error(device, task, row, launcher, result)
        finally:
            if launcher is not None:
                launcher.stop_all()
        message = result.message
        return RowDone(
            row, result.status, message, time.monotonic() - start, dict(policy.read_values),
            result.report, type(device).__name__,
        )  # fmt: skip

    def _on_error(
        self, device: Device, task: Task, row: Row, launcher: Launcher | None, failed: RunResult
    ) -> None:
        cleanup = ScriptedPolicy(task, values=row.values, launcher=launcher, program=task.on_error)
        try:
            after = self._agent(device, cleanup, f"row-{row.number:04d}-on-error").run(
                f"{task.name}: on_error after row {row.number}"
            )
            if not after.ok:
                log.warning("on_error after row %s: %s", row.number, after.message)
        except ScreenpilotError as error:
            log.warning("on_error after row %s: %s", row.number, error)

    def _agent(self, device: Device, policy: ScriptedPolicy, folder: str) -> Agent:
        agent = Agent(
            device,
            policy,
            reader=self.readers() if self.readers is not None else None,
            confirm=self.confirm,
            output=self.folder / folder,
            dry_run=self.dry_run,
            pacing=self.pacing,
            secrets=self.prepared.task.secrets,
            observers=list(self.observers()),
            report=self.report,
        )
        executor = agent.executor
        policy.look = lambda: executor.observe(with_ocr=executor.reader is not None)
        return agent

    def _summary(self) -> Path:
        """`report.html` in the run folder: a table of the rows, each linking its report."""
        from jinja2 import Environment

        rows = []
        for done in sorted(self.done, key=lambda d: d.row.number):
            report = done.report
            rows.append(
                {
                    "number": done.row.number,
                    "values": self.redactor.text(
                        ", ".join(f"{k}={v}" for k, v in done.row.values.items())
                    ),
                    "status": done.status,
                    "message": self.redactor.text(done.message),
                    "seconds": f"{done.seconds:.1f}",
                    "report": str(report.relative_to(self.folder))
                    if report is not None and report.is_relative_to(self.folder)
                    else None,
                }
            )
        page = (
            Environment(autoescape=True)
            .from_string(_SUMMARY)
            .render(
                name=self.prepared.task.name,
                rows=rows,
                passed=sum(d.ok for d in self.done),
                chosen=len(self.prepared.rows),
            )
        )
        path = self.folder / "report.html"
        path.write_text(page, encoding="utf-8")
        return path


_SUMMARY = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{{ name }}: {{ passed }}/{{ rows|length }} rows</title>
<style>body{font:15px sans-serif;margin:24px}td,th{padding:3px 10px;text-align:left}
tr.failure td,tr.error td,tr.refused td,tr.stuck td,tr.budget td{color:#b00}</style></head>
<body><h1>{{ name }}</h1>
<p>{{ passed }} of {{ rows|length }} rows succeeded ({{ chosen }} chosen).</p>
<table><tr><th>row</th><th>values</th><th>status</th><th>message</th><th>s</th><th></th></tr>
{% for r in rows %}<tr class="{{ r.status }}"><td>{{ r.number }}</td><td>{{ r.values }}</td>
<td>{{ r.status }}</td><td>{{ r.message }}</td><td>{{ r.seconds }}</td>
<td>{% if r.report %}<a href="{{ r.report }}">report</a>{% endif %}</td></tr>
{% endfor %}</table></body></html>
"""
