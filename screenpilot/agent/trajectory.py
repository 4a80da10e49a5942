"""A run's record: one JSON line per step, appended and flushed as it happens, and the
screenshots beside it.

`trajectory.jsonl` stays readable however the run ends - a killed process loses at most the
step it was writing. Screenshots are written by a background thread (PNG encoding costs more
than a whole agent step). Secrets are replaced by "•••" in everything written, before it is
written.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

from screenpilot.perception.screenshot import Screenshot

MASK = "•••"


class Redactor:
    """Replaces every secret value wherever it appears in text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        values = sorted({s for s in secrets if s}, key=len, reverse=True)
        self._pattern = re.compile("|".join(re.escape(v) for v in values)) if values else None

    @property
    def active(self) -> bool:
        """Whether there is any secret to mask."""
        return self._pattern is not None

    def text(self, value: str) -> str:
        return self._pattern.sub(MASK, value) if self._pattern else value

    def data(self, value: Any) -> Any:
        """Redact every string inside a JSON-ready structure."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: self.data(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.data(v) for v in value]
        return value


def new_run_dir(root: Path, instruction: str) -> Path:
    """runs/<date-time>-<first words of the instruction>/, created."""
    slug = re.sub(r"[^a-z0-9]+", "-", instruction.lower())[:40].strip("-") or "run"
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = root / f"{stamp}-{slug}"
    n = 1
    while folder.exists():
        n += 1
        folder = root / f"{stamp}-{slug}-{n}"
    folder.mkdir(parents=True)
    return folder


class TrajectoryWriter:
    """Appends records to `trajectory.jsonl` in `folder` and saves screenshots beside it."""

    def __init__(self, folder: Path, redactor: Redactor | None = None) -> None:
        self.folder = folder
        self.redactor = redactor or Redactor()
        self._file = (folder / "trajectory.jsonl").open("a", encoding="utf-8")
        self._images = ThreadPoolExecutor(max_workers=1, thread_name_prefix="screenshots")
        self._pending: list[Future[None]] = []
        self._lock = threading.Lock()

    def record(self, kind: str, **fields: Any) -> None:
        """Append one record ("start", "step", "end") and flush it to the file."""
        line = {"kind": kind, "time": time.time(), **self.redactor.data(fields)}
        with self._lock:
            self._file.write(json.dumps(line, ensure_ascii=False, default=str) + "\n")
            self._file.flush()

    def save_screenshot(self, shot: Screenshot, name: str) -> str:
        """Queue `shot` to be saved as `name`; returns the file name to record."""

        def write() -> None:
            from PIL import Image

            # Written aside and renamed: a killed run never leaves half a PNG under the name.
            # The RGB conversion happens here too, off the agent's step: a screenshot's frame
            # is its own buffer, never reused by the next capture.
            partial = self.folder / f".{name}.partial"
            Image.fromarray(shot.pixels).save(partial, "PNG", compress_level=1)
            partial.rename(self.folder / name)

        self._pending.append(self._images.submit(write))
        return name

    def close(self) -> None:
        """Wait for queued screenshots, then close the file."""
        for pending in self._pending:
            pending.result()
        self._images.shutdown(wait=True)
        self._file.close()


def read_trajectory(folder: Path) -> list[dict[str, Any]]:
    """The records of a run; a last line cut off by a killed process is skipped."""
    records = []
    for line in (folder / "trajectory.jsonl").read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records
