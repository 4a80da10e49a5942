"""`screenpilot record --from-video`: the steps a person took in a screen recording they
already have, proposed by Qwen3-VL, in the task file's format with targets in words.

The video's frames worth reading (`video_frames`) go to the model in one prompt with their
times; its answer is read into `RecordedStep`s (`video_steps`), the same the live recorders
make, so `task_writer` writes the file whatever the source. Steps the model got wrong are
left out and said so through `on_progress`; an answer with no usable step is a
`NoStepsError` that quotes the start of what the model said.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from screenpilot.models.runtime import Runtime, Sampling
from screenpilot.recording.steps import RecordedStep
from screenpilot.recording.video_frames import DEFAULT_INTERVAL, DEFAULT_MAX_FRAMES, read_frames
from screenpilot.recording.video_steps import read_steps, video_prompt

log = logging.getLogger(__name__)

#: Greedy (the model's best reading, not a sample), with room for a few dozen steps.
VIDEO_SAMPLING = Sampling(max_new_tokens=2048)


def steps_from_video(
    path: Path,
    runtime: Runtime,
    *,
    interval: float = DEFAULT_INTERVAL,
    max_frames: int = DEFAULT_MAX_FRAMES,
    on_progress: Callable[[str], None] | None = None,
    sampling: Sampling = VIDEO_SAMPLING,
) -> list[RecordedStep]:
    """The steps shown in the video at `path`, as the model reads them.

    Frames are taken about every `interval` seconds, still stretches skipped, at most
    `max_frames` of them, the last always kept. `on_progress` hears what is happening
    ("reading frames...", "asking the model...") and each step left out, with why.

    Raises `VideoError` (an `InvalidInputError`) for a video that cannot be read,
    `InvalidInputError` for nonsensical `interval`/`max_frames`, `NoStepsError` (a
    `ModelParseError`) when the answer holds no usable step, and what the runtime raises
    when the model does not answer (`ModelRuntimeError`, `ModelUnavailableError`)."""

    def say(message: str) -> None:
        log.info("%s", message)
        if on_progress is not None:
            on_progress(message)

    say("reading frames...")
    frames = read_frames(path, interval=interval, max_frames=max_frames)
    times = ", ".join(f"{frame.seconds:.1f}" for frame in frames)
    log.info("%d frames kept, at %s s", len(frames), times)
    say("asking the model...")
    answer = runtime.generate([video_prompt(frames)], sampling)
    proposed = read_steps(answer.text)
    for reason in proposed.left_out:
        say(f"left out {reason}")
    return proposed.steps
