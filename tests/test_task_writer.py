"""The task file a recording becomes (`recording.task_writer`), the recorder's ring of
snapshots (`recording.recorder`) and `screenpilot record`'s refusals, in the fast tier."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from screenpilot.actions.targets import Description, WindowPoint
from screenpilot.actions.vocabulary import Click, Key, Scroll, TypeText, Wait
from screenpilot.cli import app
from screenpilot.perception.geometry import ScreenGeometry, ScreenPoint
from screenpilot.perception.screenshot import Observation, Screenshot
from screenpilot.policies.scripted import load_task
from screenpilot.recording.events import KeyPress, Press, Release, Snapshot
from screenpilot.recording.recorder import Recorder
from screenpilot.recording.steps import RecordedStep, Sink
from screenpilot.recording.task_writer import secret_variable, task_text, write_task

STEPS = [
    RecordedStep(TypeText(text="Zoë ${HOME} 100%", target=Description(text="the Name field"))),
    RecordedStep(
        TypeText(text="${password}", target=Description(text="the Password field")),
        secret="password",
    ),
    RecordedStep(Key(keys=["ctrl", "s"])),
    RecordedStep(Click(target=WindowPoint(x=12, y=40.5, window="Paint"), count=2)),
    RecordedStep(Click(target=ScreenPoint(x=3, y=4), button="right")),
    RecordedStep(Scroll(direction="down", amount=7)),
    RecordedStep(Wait(until_text="Saved", timeout=10.0)),
]


def test_the_written_file_loads_as_the_runner_reads_it_and_keeps_every_step(
    tmp_path: Path,
) -> None:
    path = tmp_path / "out.yaml"
    text = write_task(path, STEPS, name="Recorded")
    assert path.read_text(encoding="utf-8") == text
    task = load_task(path, env={secret_variable("password"): "hunter2"})
    actions = [step.step.action for step in task.steps]
    # Typed text holding ${...} is kept literally, not read as a variable.
    assert actions[0] == STEPS[0].action
    assert actions[1] == TypeText(text="hunter2", target=Description(text="the Password field"))
    assert actions[2:] == [s.action for s in STEPS[2:]]
    assert task.secrets == ["hunter2"]


def test_the_file_is_short_and_readable(tmp_path: Path) -> None:
    text = task_text(STEPS, name="Recorded")
    data = yaml.safe_load(text)
    assert data["secrets"] == {"password": "SCREENPILOT_PASSWORD"}
    assert data["steps"][0] == {"type": "type", "text": "${typed_1}", "target": "the Name field"}
    assert data["steps"][4] == {"type": "click", "target": [3, 4], "button": "right"}
    assert "SCREENPILOT_PASSWORD" in text.split("name:")[0]  # the header comment says so
    # One line per step.
    assert len([line for line in text.splitlines() if line.startswith("  - ")]) == len(STEPS)


def test_text_read_off_the_screen_that_holds_a_dollar_brace_is_kept_as_written(
    tmp_path: Path,
) -> None:
    odd = [RecordedStep(Click(target=Description(text="the ${price} button")))]
    path = tmp_path / "odd.yaml"
    write_task(path, odd, name="odd")
    assert load_task(path).steps[0].step.action == odd[0].action


def test_a_file_the_runner_would_refuse_is_never_written(tmp_path: Path) -> None:
    from screenpilot.policies.base import PolicyError

    refused = [RecordedStep(TypeText(text="x"), secret="pass word")]  # no variable name
    with pytest.raises(PolicyError):
        write_task(tmp_path / "never.yaml", refused, name="never")
    assert not (tmp_path / "never.yaml").exists()


class Scripted:
    """A source that delivers what it is given from its own thread, as real ones do."""

    touch = False

    def __init__(self, feed: list[object], *, then_fail: str | None = None) -> None:
        self.feed = feed
        self.stopped = threading.Event()
        self.failure: str | None = None
        self.then_fail = then_fail

    def start(self, sink: Sink) -> None:
        def deliver() -> None:
            for item in self.feed:
                if isinstance(item, Snapshot):
                    sink.snapshot(item)
                else:
                    sink.event(item)  # type: ignore[arg-type]
            time.sleep(0.2)
            self.failure = self.then_fail

        threading.Thread(target=deliver, daemon=True).start()

    def stop(self) -> None:
        self.stopped.set()


def snapshot(time: float) -> Snapshot:
    shot = Screenshot(np.zeros((10, 10, 3), np.uint8), ScreenGeometry.for_screen(10, 10), time)
    return Snapshot(time, Observation(shot, []))


def test_the_recorder_names_a_press_on_the_newest_screen_taken_before_it() -> None:
    point = ScreenPoint(x=5, y=5)
    early, late, after = snapshot(0.0), snapshot(0.9), snapshot(2.0)
    # The press arrives before the snapshot begun just before it has been delivered.
    source = Scripted([early, Press(1.0, point), Release(1.05, point), late, after])
    stop = threading.Event()
    seen: list[RecordedStep] = []
    recorder = Recorder(source, on_step=seen.append)
    chosen: list[Snapshot | None] = []
    original = recorder.collapser.frames
    recorder.collapser.frames = lambda t: chosen.append(original(t)) or chosen[-1]
    threading.Timer(1.0, stop.set).start()
    steps = recorder.run(stop)
    assert source.stopped.is_set()
    assert chosen[0] is late
    assert steps == seen and len(steps) == 1 and isinstance(steps[0].action, Click)


def test_a_recorder_behind_on_naming_keeps_the_screen_before_each_waiting_event() -> None:
    """On a busy machine naming (OCR) ran more than the ring's length of snapshots behind
    the events, and a press found no screen before it (the Tk recording wrote points)."""
    from screenpilot.recording.recorder import MOST_KEPT, RING

    recorder = Recorder(Scripted([]))
    recorder.snapshot(snapshot(0.0))
    recorder.event(Press(1.0, ScreenPoint(x=5, y=5)))
    for n in range(RING * 2):
        recorder.snapshot(snapshot(1.1 + n / 10))
    chosen = recorder.before(1.0)
    assert chosen is not None and chosen.time == 0.0
    recorder._take(recorder._events.get_nowait(), wait=False)
    recorder.snapshot(snapshot(9.0))  # once it is named, the ring is trimmed again
    assert len(recorder._ring) == RING and recorder.before(1.0) is None
    # However far behind, no more than MOST_KEPT snapshots are held.
    recorder.event(KeyPress(9.5, "a", "a"))
    for n in range(MOST_KEPT + 10):
        recorder.snapshot(snapshot(10.0 + n))
    assert len(recorder._ring) == MOST_KEPT


def test_what_arrived_before_the_stop_is_kept() -> None:
    source = Scripted([snapshot(0.0), KeyPress(0.5, "a", "a"), KeyPress(0.6, "b", "b")])
    stop = threading.Event()
    threading.Timer(0.5, stop.set).start()
    steps = Recorder(source).run(stop)
    assert [s.action for s in steps] == [TypeText(text="ab")]


def test_ctrl_c_while_a_press_is_being_named_loses_nothing() -> None:
    """Naming runs behind the events (OCR); a Ctrl+C that comes while the recorder names
    the field just clicked ends the recording after it, not in the middle of it: the
    recording of a Tk form lost the first letter typed into a field, and the field."""
    point = ScreenPoint(x=5, y=5)
    feed = [snapshot(0.0), Press(0.5, point), Release(0.55, point), KeyPress(0.7, "P", "P")]
    source = Scripted([*feed, KeyPress(0.8, "w", "w"), snapshot(1.0)])
    named: list[Snapshot] = []

    def read_pixels(shot: Snapshot) -> list[object]:
        if not named:
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl+C, while this OCR read runs
            time.sleep(0.2)
        named.append(shot)
        return []

    steps = Recorder(source, read_pixels=read_pixels).run(threading.Event())
    assert source.stopped.is_set() and named
    assert [s.action for s in steps] == [TypeText(text="Pw", target=ScreenPoint(x=5, y=5))]
    # The handler is put back: Ctrl+C outside a recording interrupts as usual.
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_source_that_fails_ends_the_recording_and_keeps_what_it_saw() -> None:
    source = Scripted([snapshot(0.0), KeyPress(0.5, "a", "a")], then_fail="the phone went away")
    stop = threading.Event()  # never set: the failure alone ends it
    started = time.monotonic()
    steps = Recorder(source).run(stop)
    assert time.monotonic() - started < 5
    assert [s.action for s in steps] == [TypeText(text="a")] and source.stopped.is_set()


runner = CliRunner()


def test_record_refuses_to_overwrite_or_to_write_something_else(tmp_path: Path) -> None:
    existing = tmp_path / "task.yaml"
    existing.write_text("keep me", encoding="utf-8")
    done = runner.invoke(app, ["record", str(existing)])
    assert done.exit_code == 2 and "--force" in done.output
    assert existing.read_text(encoding="utf-8") == "keep me"
    done = runner.invoke(app, ["record", str(tmp_path / "task.txt")])
    assert done.exit_code == 2 and ".yaml" in done.output


def test_record_from_video_without_a_model_says_what_it_needs(tmp_path: Path) -> None:
    video = tmp_path / "demo.mp4"
    video.write_bytes(b"not read")
    done = runner.invoke(app, ["record", str(tmp_path / "t.yaml"), "--from-video", str(video)])
    assert done.exit_code == 2
    assert "--model" in done.output and "--server" in done.output
    done = runner.invoke(
        app, ["record", str(tmp_path / "t.yaml"), "--from-video", str(video), "--server",
              "http://127.0.0.1:9/v1", "--frames", "1"],
    )  # fmt: skip
    assert done.exit_code == 2 and "--frames" in done.output
    assert not (tmp_path / "t.yaml").exists()
