"""A run folder: `trajectory.jsonl` (one record per line, appended and flushed as it
happens) and the screenshots beside it; `Trajectory` reads it back.

The file stays readable however the run ends: a killed process loses at most the line it
was writing, which `Trajectory.load` skips. Screenshots are written by a background thread
(PNG encoding costs more than a whole agent step), each under a temporary name first, so a
killed run never leaves half a picture under the recorded name.
"""

from __future__ import annotations

import json
import re
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ValidationError

from screenpilot.errors import InvalidInputError
from screenpilot.perception.screenshot import Screenshot
from screenpilot.trajectory.records import (
    RECORD_ADAPTER,
    Record,
    RunEnded,
    RunStarted,
    StepRecorded,
)

FILE = "trajectory.jsonl"


def new_run_dir(root: Path, instruction: str) -> Path:
    """runs/<date-time>-<first words of the instruction>/, created (never one that another
    run, in this process or another, created first)."""
    slug = re.sub(r"[^a-z0-9]+", "-", instruction.lower())[:40].strip("-") or "run"
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    root.mkdir(parents=True, exist_ok=True)
    n = 1
    while True:
        folder = root / (f"{stamp}-{slug}" if n == 1 else f"{stamp}-{slug}-{n}")
        try:
            folder.mkdir()
            return folder
        except FileExistsError:
            n += 1


class TrajectoryWriter:
    """Appends records to `trajectory.jsonl` in `folder` and saves screenshots beside it.
    Records are written as given: mask secrets before (see `Redactor.record`)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._file = (folder / FILE).open("a", encoding="utf-8")
        self._images = ThreadPoolExecutor(max_workers=1, thread_name_prefix="screenshots")
        self._pending: list[Future[None]] = []
        self._lock = threading.Lock()

    def write(self, record: BaseModel) -> None:
        """Append one record and flush it to the file."""
        line = json.dumps(record.model_dump(mode="json"), ensure_ascii=False)
        with self._lock:
            self._file.write(line + "\n")
            self._file.flush()

    def save_screenshot(self, shot: Screenshot, name: str) -> None:
        """Queue `shot` to be saved as `name` in the folder."""

        def write() -> None:
            from PIL import Image

            # The RGB conversion happens here too, off the agent's step: a screenshot's frame
            # is its own buffer, never reused by the next capture.
            partial = self.folder / f".{name}.partial"
            Image.fromarray(shot.pixels).save(partial, "PNG", compress_level=1)
            partial.rename(self.folder / name)

        self._pending.append(self._images.submit(write))

    def close(self) -> None:
        """Wait for queued screenshots, then close the file."""
        for pending in self._pending:
            pending.result()
        self._images.shutdown(wait=True)
        self._file.close()


@dataclass
class Trajectory:
    """A recorded run, read back: its start, its steps and how it ended."""

    folder: Path
    records: list[Record] = field(default_factory=list)

    @classmethod
    def load(cls, folder: Path) -> Trajectory:
        """Read `folder/trajectory.jsonl`. A line cut off by a killed process is skipped; a
        line that is JSON but not a record is an InvalidInputError naming its number."""
        path = Path(folder) / FILE
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise InvalidInputError("run folder", [("", f"{folder} has no {FILE}")]) from None
        records: list[Record] = []
        for number, line in enumerate(text.splitlines(), start=1):
            try:
                data = json.loads(line)
            except json.JSONDecodeError:
                continue
            try:
                records.append(RECORD_ADAPTER.validate_python(data))
            except ValidationError as error:
                raise InvalidInputError.from_validation(
                    f"{path.name} line {number}", error
                ) from None
        return cls(Path(folder), records)

    @property
    def start(self) -> RunStarted | None:
        return next((r for r in self.records if isinstance(r, RunStarted)), None)

    @property
    def steps(self) -> list[StepRecorded]:
        return [r for r in self.records if isinstance(r, StepRecorded)]

    @property
    def end(self) -> RunEnded | None:
        return next((r for r in self.records if isinstance(r, RunEnded)), None)

    @property
    def instruction(self) -> str:
        return self.start.instruction if self.start is not None else ""

    @property
    def status(self) -> str:
        """How the run ended, or "unfinished" when it has no end (killed, or still going)."""
        return self.end.status if self.end is not None else "unfinished"

    @property
    def failures(self) -> list[StepRecorded]:
        """The steps whose effect was not seen (or that could not run)."""
        return [s for s in self.steps if s.ok is False]

    @property
    def succeeded(self) -> list[StepRecorded]:
        """The steps whose effect was seen."""
        return [s for s in self.steps if s.ok]
