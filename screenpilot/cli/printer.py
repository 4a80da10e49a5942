"""The CLI's view of a run: each step printed as it is recorded."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from screenpilot.agent.observers import Frames, Observer
from screenpilot.trajectory.records import StepRecorded


class StepPrinter(Observer):
    """Prints each step: its number, summary, verdict and what was checked."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def after_action(self, record: StepRecorded, frames: Frames) -> None:
        ok = record.ok
        mark = "[green]ok[/]" if ok else ("[yellow]planned[/]" if ok is None else "[red]FAILED[/]")
        # What a step says comes from the screen and the model: printed as written, never
        # read as markup ("[b]" in a typed text stays "[b]").
        line = f"{escape(record.summary):<60} {mark} {escape(record.reason)}"
        self.console.print(f"  {record.index:>2}. {line}")
