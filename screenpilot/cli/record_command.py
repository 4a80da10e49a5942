"""`screenpilot record`: a person does the task once; the task file that replays it is written.

On a desktop the X server's RECORD extension sees the input, on a phone `getevent` does;
either way every step is printed as it is recorded, with how its target was named, and the
file is written when the recording stops (Ctrl+C, or the stop chord on the desktop).
`--from-video` reads a screen recording a person already has, with a Qwen3-VL model.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Annotated, Any

import typer

from screenpilot.cli import EXIT_FAILURE, BadInputError, app, err, out, reading_input
from screenpilot.cli.agent_commands import DeviceOpt, ModelOpt, ServerOpt, load_runtime
from screenpilot.recording import DEFAULT_STOP_KEY

#: The most frames --from-video sends (recording.video_frames.MAX_FRAMES_LIMIT).
MAX_FRAMES_LIMIT = 64

_STOP_HELP = (
    f"The chord that stops a desktop recording (default {DEFAULT_STOP_KEY}; it is grabbed, "
    "so the program being recorded never gets it)."
)


@app.command()
def record(
    output: Annotated[Path, typer.Argument(help="The task file to write (YAML).")],
    device: DeviceOpt = "desktop",
    stop_key: Annotated[str, typer.Option(help=_STOP_HELP)] = DEFAULT_STOP_KEY,
    name: Annotated[
        str | None, typer.Option(help="The task's name (default: the file's name).")
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite OUTPUT if it exists.")] = False,
    from_video: Annotated[
        Path | None,
        typer.Option(help="Propose the steps from a screen recording (needs --model or --server)."),
    ] = None,
    model: ModelOpt = None,
    server: ServerOpt = None,
    every: Annotated[
        float, typer.Option(help="With --from-video: seconds between the frames read.")
    ] = 1.0,
    frames: Annotated[int, typer.Option(help="With --from-video: at most this many frames.")] = 16,
) -> None:
    """Record a task as you do it; replay it anywhere with `screenpilot script OUTPUT`.

    Targets are written in words (what the accessibility tree, uiautomator or OCR shows under
    each press), so the replay finds them after the window moves. Typed passwords are never
    written: the file reads them from an environment variable.
    """
    from screenpilot.recording.task_writer import secret_variable, write_task

    if output.exists() and not force:
        raise BadInputError(f"{output} exists; give another file, or --force to overwrite it")
    if output.suffix.lower() not in (".yaml", ".yml"):
        raise BadInputError(f"{output}: a task file ends in .yaml or .yml")
    title = name or output.stem.replace("_", " ").replace("-", " ")
    if from_video is not None:
        steps = _from_video(from_video, model, server, every, frames)
        source, early = from_video.name, False
    else:
        steps, failure = _record_live(device, stop_key)
        source, early = "", failure is not None
    if not steps:
        err.print("Nothing was recorded: no file written.")
        raise typer.Exit(EXIT_FAILURE)
    with reading_input():
        write_task(output, steps, name=title, source=source)
    out.print(f"Wrote {len(steps)} steps to {output}.", markup=False)
    secrets = list(dict.fromkeys(s.secret for s in steps if s.secret))
    for secret in secrets:
        out.print(f"Before replaying, set {secret_variable(secret)} to the {secret}.")
    if secrets:
        out.print("Typing a password asks for confirmation: answer it, or pass --yes.")
    out.print(f"Replay: screenpilot script {output}", markup=False)
    if early:
        raise typer.Exit(EXIT_FAILURE)


def _record_live(device: str, stop_key: str) -> tuple[list[Any], str | None]:
    """Record on the device until stopped; the steps, and why it ended early if it did."""
    from screenpilot.agent.assembly import check_device_spec
    from screenpilot.recording.recorder import Recorder

    kind, serial = check_device_spec(device)
    stop = threading.Event()
    the_device: Any
    if kind == "desktop":
        from screenpilot.devices.desktop import Desktop

        the_device = Desktop()
        how = f"press {stop_key} (or Ctrl+C here) to stop"
    else:
        from screenpilot.devices.android import AndroidDevice

        the_device = AndroidDevice(serial)
        how = "press Ctrl+C here to stop"
    with the_device:
        source: Any
        if kind == "desktop":
            from screenpilot.recording.x11_source import DesktopSource

            with reading_input():  # a stop key that is no chord is bad input
                source = DesktopSource(the_device, stop_key=stop_key, on_stop=stop.set)
        else:
            from screenpilot.recording.phone_source import PhoneSource

            source = PhoneSource(the_device)
        recorder = Recorder(source, read_pixels=_pixel_reader(), on_step=StepLines())
        steps = recorder.run(
            stop, ready=lambda: out.print(f"Recording on {device}: do the task; {how}.")
        )
    if source.failure is not None:
        # What was recorded until then is still written; the exit code says it ended early.
        err.print(f"The recording stopped early: {source.failure}", markup=False)
    return steps, source.failure


def _pixel_reader() -> Any:
    """OCR for snapshots whose own elements do not name a place; its models load on the
    first snapshot that needs them, not before."""
    reader: Any = None

    def read(snapshot: Any) -> list[Any]:
        nonlocal reader
        if reader is None:
            from screenpilot.perception.ocr import RapidOcr, ScreenReader

            with out.status("loading OCR..."):
                reader = ScreenReader(RapidOcr())
        shot = snapshot.observation.screenshot
        found = reader.elements(shot.pixels, shot.geometry)
        box = snapshot.window_box
        if box is None:
            return list(found)
        return [
            e.model_copy(update={"states": e.states | {"active-window"}})
            if box.contains(e.box.center)
            else e
            for e in found
        ]

    return read


class StepLines:
    """Prints each recorded step as it becomes final, numbered, with how it was named."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, step: Any) -> None:
        from screenpilot.actions.wording import summary

        self.count += 1
        line = f"  {self.count}. {summary(step.action)}"
        if step.secret:
            line += f"  (a {step.secret}: not kept, the replay reads it from the environment)"
        elif step.how:
            line += f"  [{step.how}]"
        out.print(line, markup=False, highlight=False)


def _from_video(
    path: Path, model: str | None, server: str | None, every: float, frames: int
) -> Any:
    if not (model or server):
        raise BadInputError(
            "--from-video needs a Qwen3-VL model to read the video: give --model (a hub id "
            "or folder) or --server (an OpenAI-compatible URL)"
        )
    if every <= 0 or not 2 <= frames <= MAX_FRAMES_LIMIT:
        raise BadInputError(
            f"--every must be above 0 and --frames from 2 (the first and the last frame) "
            f"to {MAX_FRAMES_LIMIT}"
        )
    from screenpilot.recording.from_video import steps_from_video

    runtime = load_runtime(model, server)
    # A file that is no video is bad input (exit 2); a model that fails is not (exit 1).
    steps = steps_from_video(
        path,
        runtime,
        interval=every,
        max_frames=frames,
        on_progress=lambda words: out.print(words, markup=False, highlight=False),
    )
    lines = StepLines()
    for step in steps:
        lines(step)
    return steps
