"""A run folder written and read back (fast tier): typed records round trip, a killed run's
cut-off line is skipped, a broken line is named, older runs still load, folders never
collide, secrets are masked out of records."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import jsonschema
import numpy as np
import pytest

from screenpilot.actions.guard import SafetyDecision
from screenpilot.actions.vocabulary import Click, TypeText
from screenpilot.errors import InvalidInputError
from screenpilot.perception.geometry import ScreenGeometry, ScreenPoint
from screenpilot.perception.screenshot import Screenshot
from screenpilot.trajectory.records import (
    PlacedTarget,
    RunEnded,
    RunStarted,
    StepRecorded,
    trajectory_json_schema,
)
from screenpilot.trajectory.redaction import MASK, Redactor
from screenpilot.trajectory.store import Trajectory, TrajectoryWriter, new_run_dir


def _step(index: int, ok: bool | None, **fields: object) -> StepRecorded:
    return StepRecorded(
        time=time.time(),
        index=index,
        summary="click OK",
        action=Click(target="OK"),
        ok=ok,
        targets=[PlacedTarget(point=ScreenPoint(x=10, y=20))],
        **fields,  # type: ignore[arg-type]
    )


def _write(folder: Path, *records: object) -> None:
    writer = TrajectoryWriter(folder)
    for record in records:
        writer.write(record)  # type: ignore[arg-type]
    writer.close()


def test_records_round_trip_and_answer_queries(tmp_path: Path) -> None:
    start = RunStarted(time=1.0, instruction="click OK", policy="rules", device="Fake")
    refused = SafetyDecision(decision="ask", reason="the target says 'pay'", confirmed=False)
    end = RunEnded(time=3.0, status="failure", message="no", steps=2, seconds=2.0)
    _write(tmp_path, start, _step(1, True), _step(2, False, failure="refused", safety=refused), end)
    run = Trajectory.load(tmp_path)
    assert run.start == start and run.end == end and run.status == "failure"
    assert [s.index for s in run.succeeded] == [1] and [s.index for s in run.failures] == [2]
    assert run.failures[0].safety.blocked and run.instruction == "click OK"
    schema = trajectory_json_schema()
    for line in (tmp_path / "trajectory.jsonl").read_text(encoding="utf-8").splitlines():
        jsonschema.validate(json.loads(line), schema)


def test_a_line_cut_off_by_a_killed_run_is_skipped(tmp_path: Path) -> None:
    _write(tmp_path, RunStarted(time=1.0, instruction="x", policy="p", device="d"), _step(1, True))
    with (tmp_path / "trajectory.jsonl").open("a", encoding="utf-8") as f:
        f.write('{"kind": "step", "index": 2, "summ')
    run = Trajectory.load(tmp_path)
    assert len(run.steps) == 1 and run.status == "unfinished"


def test_a_line_that_is_not_a_record_is_named(tmp_path: Path) -> None:
    (tmp_path / "trajectory.jsonl").write_text(
        '{"kind": "start", "time": 1, "instruction": "x", "policy": "p", "device": "d"}\n'
        '{"kind": "step", "time": 1, "index": 0, "summary": "s", "action": {"type": "click"},'
        ' "ok": true}\n',
        encoding="utf-8",
    )
    with pytest.raises(InvalidInputError, match="line 2") as error:
        Trajectory.load(tmp_path)
    assert "index" in str(error.value)


def test_a_folder_without_a_trajectory_says_so(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match=r"has no trajectory\.jsonl"):
        Trajectory.load(tmp_path)


def test_a_run_recorded_before_records_were_typed_still_loads(tmp_path: Path) -> None:
    old = {
        "kind": "step", "time": 1.0, "index": 1, "summary": "click OK",
        "action": {"type": "click", "target": {"kind": "description", "text": "OK"}},
        "expect": "", "thought": "", "raw": "", "ok": True, "reason": "changed",
        "safety": "asked (the target says 'send'): confirmed", "seconds": 0.5,
        "point": {"kind": "point", "x": 5, "y": 6}, "box": None,
        "grounding": "a11y button 'OK' (name)", "confidence": 0.9,
    }  # fmt: skip
    (tmp_path / "trajectory.jsonl").write_text(json.dumps(old) + "\n", encoding="utf-8")
    step = Trajectory.load(tmp_path).steps[0]
    assert step.safety.decision == "ask" and step.safety.confirmed is True
    assert step.safety.reason == "the target says 'send'"
    assert step.main_target is not None and step.main_target.point.x == 5
    assert step.main_target.confidence == 0.9


def test_screenshots_are_written_whole_under_their_names(tmp_path: Path) -> None:
    geometry = ScreenGeometry.for_screen(32, 16)
    shot = Screenshot(np.full((16, 32, 3), 200, np.uint8), geometry, 0.0)
    writer = TrajectoryWriter(tmp_path)
    writer.save_screenshot(shot, "step-0001.png")
    writer.close()
    from PIL import Image

    assert Image.open(tmp_path / "step-0001.png").size == (32, 16)
    assert not list(tmp_path.glob(".*partial"))


def test_run_folders_never_collide_even_when_made_at_once(tmp_path: Path) -> None:
    made: list[Path] = []
    lock = threading.Lock()

    def make() -> None:
        for _ in range(20):
            folder = new_run_dir(tmp_path, "fill the form")
            with lock:
                made.append(folder)

    threads = [threading.Thread(target=make) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(made) == 160 and len(set(made)) == 160 and all(f.is_dir() for f in made)


def test_the_redactor_masks_a_secret_everywhere_in_a_record() -> None:
    redactor = Redactor(["hunter2"])
    step = StepRecorded(
        time=1.0, index=1, summary="type 'hunter2' into Password",
        action=TypeText(text="hunter2", target="Password"), ok=True,
        reason="the field now holds 'hunter2'",
    )  # fmt: skip
    masked = redactor.record(step)
    assert "hunter2" not in masked.model_dump_json()
    assert isinstance(masked.action, TypeText) and masked.action.text == MASK
    assert Redactor().record(step) is step  # nothing to mask: the same record


def test_a_secret_that_spells_a_fixed_word_of_the_format_is_masked_only_in_free_text() -> None:
    """A password "start" or "back" must not break the record's own kind or an action's enum
    (masking does not re-validate; it leaves Literal fields alone)."""
    from screenpilot.actions.vocabulary import SystemButton

    redactor = Redactor(["start", "back"])
    started = redactor.record(
        RunStarted(time=1.0, instruction="start then go back", policy="p", device="d")
    )
    assert started.kind == "start" and started.instruction == f"{MASK} then go {MASK}"
    assert redactor.record(SystemButton(button="back")).button == "back"
    ended = redactor.record(
        RunEnded(time=1.0, status="success", message="back", steps=0, seconds=0, answers=["start"])
    )
    assert ended.status == "success" and ended.message == MASK and ended.answers == [MASK]
