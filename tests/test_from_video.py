"""`record --from-video`: frames of a real video (written here with OpenCV from drawn
pictures) reach the model with their times, still stretches skipped, and its answer becomes
recorded steps the task writer turns into a file the runner loads - or a clear error."""

from __future__ import annotations

import itertools
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from screenpilot.actions.targets import Description
from screenpilot.actions.vocabulary import Click, Key, TypeText, Wait
from screenpilot.errors import InvalidInputError, ModelUnavailableError
from screenpilot.models.runtime import GREEDY, Generation, Message, Sampling
from screenpilot.policies.task_loading import load_task
from screenpilot.recording.from_video import steps_from_video
from screenpilot.recording.task_writer import secret_variable, task_text
from screenpilot.recording.video_frames import MAX_FRAME_SIDE, VideoError, read_frames
from screenpilot.recording.video_steps import MAX_STEPS, NoStepsError, read_steps
from tests.scripted_runtime import ScriptedRuntime

FPS = 10
SIZE = (640, 360)
_FONT = ImageFont.load_default(size=18)


def form(name: str = "", email: str = "", password: str = "", saved: bool = False) -> Image.Image:
    """A login form as a person's screen shows it, its fields filled in so far."""
    image = Image.new("RGB", SIZE, (246, 245, 244))
    draw = ImageDraw.Draw(image)
    draw.text((40, 30), "Sign up", fill="black", font=_FONT)
    for row, (label, value) in enumerate((("Name", name), ("Email", email),
                                          ("Password", "•" * len(password)))):  # fmt: skip
        top = 80 + row * 60
        draw.text((40, top + 6), label, fill="black", font=_FONT)
        draw.rectangle((160, top, 560, top + 34), fill="white", outline=(150, 150, 150))
        draw.text((168, top + 6), value, fill="black", font=_FONT)
    draw.rectangle((160, 270, 280, 304), fill=(53, 132, 228))
    draw.text((186, 276), "Submit", fill="white", font=_FONT)
    if saved:
        draw.text((320, 276), "Saved", fill=(38, 162, 105), font=_FONT)
    return image


def write_video(path: Path, pictures: Sequence[Image.Image], fps: int = FPS) -> Path:
    """An mp4 (MPEG-4 part 2, `mp4v`) of the pictures, one per frame."""
    width, height = pictures[0].size
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    assert writer.isOpened()
    for picture in pictures:
        writer.write(cv2.cvtColor(np.asarray(picture), cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def signup_pictures() -> list[Image.Image]:
    """9 s at 10 fps: a still form, the name typed at 2.0-2.4 s, the email at 4.2-4.6 s,
    still again, "Saved" from 8.3 s to the end (8.9 s)."""
    pictures = []
    for index in range(90):
        t = index / FPS
        name = "Zoe Lin"[: max(0, min(7, round((t - 2.0) * 20)))] if t >= 2.0 else ""
        email = "zoe@example.org"[: max(0, min(15, round((t - 4.2) * 40)))] if t >= 4.2 else ""
        pictures.append(form(name, email, saved=t >= 8.3))
    return pictures


@pytest.fixture(scope="module")
def signup(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_video(tmp_path_factory.mktemp("video") / "signup.mp4", signup_pictures())


def difference(a: Image.Image, b: Image.Image) -> float:
    return float(np.abs(np.asarray(a, np.int16) - np.asarray(b, np.int16)).mean())


def sent_frames(message: Message) -> list[tuple[str, Image.Image]]:
    """(caption, picture) of each frame in the prompt, in order."""
    content = list(message.content)
    pairs = []
    for i, item in enumerate(content):
        if isinstance(item, Image.Image):
            caption = content[i - 1]
            assert isinstance(caption, str)
            pairs.append((caption.strip(), item))
    return pairs


ANSWER = """The person filled in the form and submitted it.
```json
[
  {"type": "type", "text": "Zoe Lin", "target": "the Name field", "frame": 2},
  {"type": "type", "text": "zoe@example.org", "target": "the Email field"},
  {"type": "type", "text": "hunter22", "target": "the Password field",
   "expect": "the field shows hunter22 masked"},
  {"type": "click", "target": "the Submit button", "expect": "Saved is shown"},
  {"type": "wait", "until_text": "Saved"}
]
```"""


# --- frames -----------------------------------------------------------------------------


def test_frames_and_their_times_reach_the_model_in_order_and_still_frames_are_skipped(
    signup: Path,
) -> None:
    runtime = ScriptedRuntime([ANSWER])
    steps_from_video(signup, runtime)
    [messages] = runtime.sent
    [message] = messages
    assert message.role == "user"
    frames = sent_frames(message)
    # Samples every second: 0 s (first), 3 s (name typed), 5 s (email typed); 1, 2, 4, 6,
    # 7 and 8 s show nothing new; the last frame (8.9 s, "Saved") is always kept.
    assert [caption for caption, _ in frames] == [
        "Frame 1 at 0.0 s:", "Frame 2 at 3.0 s:", "Frame 3 at 5.0 s:", "Frame 4 at 8.9 s:",
    ]  # fmt: skip
    pictures = signup_pictures()
    for (_, sent), index in zip(frames, (0, 30, 50, 89), strict=True):
        assert sent.size == SIZE
        assert difference(sent, pictures[index]) < 3  # codec noise only
        others = [pictures[i] for i in (0, 30, 50, 89) if i != index]
        assert all(difference(sent, other) > difference(sent, pictures[index]) for other in others)
    # The request comes after the frames, and asks for steps in words.
    instruction = message.content[-1]
    assert isinstance(instruction, str)
    assert "JSON array" in instruction and "never by coordinates" in instruction
    assert "${password}" in instruction


def test_a_still_video_gives_its_first_and_last_frame(tmp_path: Path) -> None:
    video = write_video(tmp_path / "still.mp4", [form("Ann")] * 50)
    frames = read_frames(video)
    assert [(f.index, round(f.seconds, 3)) for f in frames] == [(0, 0.0), (49, 4.9)]


def test_the_interval_is_honoured(signup: Path) -> None:
    # Every half second: the name is whole at 2.5 s, the email partly typed at 4.5 s and
    # whole at 5.0 s, "Saved" shown at 8.5 s; the last frame (8.9 s) is kept as always.
    frames = read_frames(signup, interval=0.5)
    assert [round(f.seconds, 1) for f in frames] == [0.0, 2.5, 4.5, 5.0, 8.5, 8.9]


def test_a_busy_video_keeps_at_most_max_frames_spread_over_its_length(tmp_path: Path) -> None:
    # A counter that changes every frame for 30 s: every sample differs.
    pictures = []
    for index in range(150):
        picture = form()
        ImageDraw.Draw(picture).text((40, 320), f"{index:04d}", fill="black", font=_FONT)
        pictures.append(picture)
    video = write_video(tmp_path / "busy.mp4", pictures, fps=5)
    frames = read_frames(video, interval=1.0, max_frames=6)
    times = [f.seconds for f in frames]
    assert 2 <= len(frames) <= 6
    assert times[0] == 0.0 and frames[-1].index == 149
    assert times == sorted(times)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps[:-1]) >= 4.0  # spread over the video, not its first seconds
    assert times[-2] >= 15.0


@pytest.mark.parametrize("reported", [0, -1, 200])
def test_the_last_frame_is_kept_when_the_video_misreports_its_length(
    signup: Path, monkeypatch: pytest.MonkeyPatch, reported: int
) -> None:
    # Screen recorders' webm files often carry no length (OpenCV then reports 0 or less),
    # and an estimate from the duration can be too long.
    real = cv2.VideoCapture

    class Misreporting:  # OpenCV's own reader, but for the length it reports
        def __init__(self, *args: Any) -> None:
            self.capture = real(*args)

        def get(self, prop: int) -> float:
            if prop == cv2.CAP_PROP_FRAME_COUNT:
                return float(reported)
            return float(self.capture.get(prop))

        def __getattr__(self, name: str) -> Any:
            return getattr(self.capture, name)

    monkeypatch.setattr(cv2, "VideoCapture", Misreporting)
    frames = read_frames(signup)
    assert [(f.index, round(f.seconds, 1)) for f in frames][-1] == (89, 8.9)
    assert difference(frames[-1].image, signup_pictures()[89]) < 3


def test_large_frames_are_scaled_down(tmp_path: Path) -> None:
    video = write_video(tmp_path / "big.mp4", [form().resize((2400, 1350))] * 3)
    [first, last] = read_frames(video)
    assert first.image.size == (MAX_FRAME_SIDE, 720) == last.image.size


def test_webm_and_mkv_are_read(tmp_path: Path) -> None:
    for name, fourcc in (("a.webm", "VP90"), ("a.mkv", "MJPG")):
        path = tmp_path / name
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), FPS, SIZE)
        if not writer.isOpened():  # pragma: no cover - depends on OpenCV's FFmpeg
            pytest.fail(f"this OpenCV cannot write {name} with {fourcc}")
        for picture in [form()] * 10 + [form("Bo")] * 10:
            writer.write(cv2.cvtColor(np.asarray(picture), cv2.COLOR_RGB2BGR))
        writer.release()
        frames = read_frames(path)
        assert [round(f.seconds, 1) for f in frames] == [0.0, 1.0, 1.9], name


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p / "missing.mp4", "no such file"),
        (lambda p: p, "it is a folder, not a video file"),
        (lambda p: _write(p / "empty.mp4", b""), "the file is empty"),
        (lambda p: _write(p / "notes.mp4", b"just some text\n" * 100), "OpenCV cannot read it"),
    ],
)
def test_videos_that_cannot_be_read_are_clear_errors(
    tmp_path: Path, make: Any, message: str
) -> None:
    path = make(tmp_path)
    runtime = ScriptedRuntime([ANSWER])
    with pytest.raises(VideoError, match=message) as caught:
        steps_from_video(path, runtime)
    assert isinstance(caught.value, InvalidInputError)
    assert str(caught.value).startswith(f"invalid video {path}: ")
    assert runtime.sent == []  # the model is never asked


def test_a_file_named_like_a_url_is_read_as_a_file(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    write_video(tmp_path / "http:video.mp4", [form()] * 5)
    assert len(read_frames(Path("http:video.mp4"))) == 2


def test_without_opencv_the_error_says_how_to_install_it(
    signup: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "cv2", None)  # import cv2 raises ImportError
    with pytest.raises(VideoError, match=r"needs OpenCV \(cv2\).*pip install 'screenpilot\[ocr\]'"):
        steps_from_video(signup, ScriptedRuntime([ANSWER]))


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"interval": 0}, "interval"),
        ({"interval": float("nan")}, "interval"),
        ({"max_frames": 1}, "max_frames"),
        ({"max_frames": 1000}, "max_frames"),
    ],
)
def test_nonsensical_settings_are_refused(signup: Path, settings: Any, field: str) -> None:
    with pytest.raises(InvalidInputError, match=f"invalid video sampling: `{field}`"):
        read_frames(signup, **settings)


# --- the answer -------------------------------------------------------------------------


def test_a_canned_answer_becomes_a_task_file_the_runner_loads(signup: Path, tmp_path: Path) -> None:
    said: list[str] = []
    steps = steps_from_video(signup, ScriptedRuntime([ANSWER]), on_progress=said.append)
    assert said == ["reading frames...", "asking the model..."]
    assert [type(s.action) for s in steps] == [TypeText, TypeText, TypeText, Click, Wait]
    name, email, password, submit, wait = steps
    assert email.action == TypeText(
        text="zoe@example.org", target=Description(text="the Email field")
    )
    assert name.action == TypeText(text="Zoe Lin", target=Description(text="the Name field"))
    assert isinstance(password.action, TypeText)
    assert password.secret == "password" and password.action.text == "${password}"
    assert password.expect == ""  # it said the password
    assert submit.expect == "Saved is shown"
    assert wait.action == Wait(until_text="Saved")
    assert all(s.how for s in steps)

    text = task_text(steps, name="Sign up")
    assert "hunter22" not in text
    path = tmp_path / "signup.yaml"
    path.write_text(text, encoding="utf-8")
    task = load_task(path, {secret_variable("password"): "s3cret"})
    actions = [step.step.action for step in task.steps]
    assert actions[0] == name.action
    assert actions[2] == TypeText(text="s3cret", target=Description(text="the Password field"))
    assert actions[3] == Click(target=Description(text="the Submit button"))
    assert len(actions) == 5


def steps_of(answer: str) -> list[Any]:
    return [step.action for step in read_steps(answer).steps]


def test_a_bare_array_an_object_with_steps_and_loose_steps_are_read() -> None:
    key = Key(keys=["ctrl", "s"])
    assert steps_of('[{"type": "key", "keys": "ctrl+s"}]') == [key]
    assert steps_of('{"steps": [{"type": "key", "keys": "ctrl+s"}]}') == [key]
    assert steps_of('First {"type": "key", "keys": "ctrl+s"} then {"type": "key", '
                    '"keys": "ctrl+s"}') == [key, key]  # fmt: skip
    # Thinking is the runtime's to strip; a list of numbers in prose is not the steps.
    assert steps_of('Frames [1, 2] show: [{"type": "key", "keys": "ctrl+s"}]') == [key]


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ("I think the person signed up for something.", "it holds no JSON array of steps"),
        ('[{"type": "click", "target": "the Save button"', "it holds no JSON array of steps"),
        ("```json\n[]\n```", "its list of steps is empty"),
        ('[{"type": "teleport", "to": "Mars"}]', "'teleport' is not a type a recorded step may"),
        ('[{"type": "click", "target": [312, 845]}]', "its target is a point on the screen"),
        ('[{"type": "click", "target": [1, 2, 3, 4]}]', "its target is a box on the screen"),
        ('[{"type": "click", "target": {"element": "e7"}}]', "its target is an element id"),
        ('[{"type": "click", "target": "the point (312, 845)"}]', "names a place by its coord"),
        ('[{"type": "click"}]', "a click needs its target, in words"),
        ('[{"type": "finish", "status": "success"}]', "'finish' is not a type"),
        ('[{"type": "click", "target": "${button}"}]', "it uses ${button}, which the task"),
        ('[{"type": "scroll", "direction": "sideways"}]', "invalid scroll action: `direction`"),
        ('[{"type": "type", "text": "a\\u0000b"}]', "contains control characters"),
        ('[{"type": "click", "target": "x", "speed": 9}]', "`speed`: Extra inputs"),
        ("[1, 2, 3]", "it holds no JSON array of steps"),
        ('[{"type": "wait", "seconds": 1e999}]', "too large for a float"),
        ("[" * 100 + "]" * 100, "nests lists or objects"),
        ('[{"type": "key", "keys": "a"}] ' + "x" * 60_000, "characters long"),
    ],
)
def test_hostile_answers_are_clear_errors_that_quote_the_model(answer: str, reason: str) -> None:
    with pytest.raises(NoStepsError) as caught:
        read_steps(answer)
    message = str(caught.value)
    assert message.startswith("no usable step in the model's answer about the video: ")
    assert reason in message
    assert "(model said: " in message and len(message) < 1200
    assert caught.value.raw == answer


def test_unusable_steps_are_left_out_with_their_reasons() -> None:
    answer = json.dumps([
        {"type": "click", "target": [10, 20]},
        {"type": "click", "target": "the OK button"},
        {"type": "answer", "text": "done"},
    ])  # fmt: skip
    proposed = read_steps(answer)
    assert [s.action for s in proposed.steps] == [Click(target=Description(text="the OK button"))]
    assert proposed.left_out == [
        "step 1 (click): its target is a point on the screen; a recorded step names its "
        "targets in words",
        "step 3 (answer): 'answer' is not a type a recorded step may have (click, type, key, "
        "scroll, swipe, long_press, drag, wait, system_button, open_app)",
    ]


def test_left_out_steps_are_told_through_on_progress(signup: Path) -> None:
    answer = '[{"type": "click", "target": [1, 2]}, {"type": "key", "keys": "enter"}]'
    said: list[str] = []
    steps = steps_from_video(signup, ScriptedRuntime([answer]), on_progress=said.append)
    assert [s.action for s in steps] == [Key(keys=["enter"])]
    assert said[2:] == [
        "left out step 1 (click): its target is a point on the screen; a recorded step names "
        "its targets in words"
    ]


def test_a_huge_array_is_read_up_to_its_limit() -> None:
    answer = json.dumps([{"type": "key", "keys": "a"}] * 1000)
    proposed = read_steps(answer)
    assert len(proposed.steps) == MAX_STEPS
    assert proposed.left_out == [f"steps {MAX_STEPS + 1} to 1000: only {MAX_STEPS} are read"]


def test_none_usable_names_the_first_reasons_and_counts_the_rest() -> None:
    answer = json.dumps([{"type": "click", "target": [i, i]} for i in range(8)])
    with pytest.raises(NoStepsError) as caught:
        read_steps(answer)
    message = str(caught.value)
    assert "none of its 8 steps can be used (step 1 (click): its target is a point" in message
    assert "; and 5 more)" in message


@pytest.mark.parametrize(
    ("step", "secret"),
    [
        ({"type": "type", "text": "hunter22", "target": "the Password field"}, True),
        ({"type": "type", "text": "1234", "target": {"kind": "description", "text": "PIN"}}, True),
        ({"type": "type", "text": "••••••", "target": "the field under Email"}, True),
        ({"type": "type", "text": "${password}"}, True),
        ({"type": "type", "text": "zoe@example.org", "target": "the Email field"}, False),
        ({"type": "type", "text": "2*3", "target": "the calculator display"}, False),
    ],
)
def test_passwords_become_a_secret(step: dict[str, Any], secret: bool) -> None:
    [recorded] = read_steps(json.dumps([step])).steps
    assert isinstance(recorded.action, TypeText)
    if secret:
        assert recorded.secret == "password" and recorded.action.text == "${password}"
    else:
        assert recorded.secret is None and recorded.action.text == step["text"]


def test_typed_text_that_looks_like_a_variable_is_kept_as_typed(tmp_path: Path) -> None:
    steps = read_steps('[{"type": "type", "text": "echo ${HOME}", "target": "the terminal"}]')
    path = tmp_path / "t.yaml"
    path.write_text(task_text(steps.steps, name="t"), encoding="utf-8")
    [step] = load_task(path, {}).steps
    assert step.step.action == TypeText(
        text="echo ${HOME}", target=Description(text="the terminal")
    )


def test_the_model_failing_is_not_hidden(signup: Path) -> None:
    runtime = ScriptedRuntime([ModelUnavailableError("the model server is gone")])
    with pytest.raises(ModelUnavailableError):
        steps_from_video(signup, runtime)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# --- the tiny model -----------------------------------------------------------------------


class Forced:
    """The local runtime made to answer `answer` (its random weights cannot answer
    anything useful): the prompt with every frame is still processed by the model."""

    def __init__(self, runtime: Any, answer: str) -> None:
        self.runtime, self.answer = runtime, answer
        self.calls: list[Generation] = []

    def generate(
        self, messages: Sequence[Message], sampling: Sampling = GREEDY, *, logprobs: bool = False
    ) -> Generation:
        tokenizer = self.runtime.processor.tokenizer
        ids = tokenizer(self.answer, add_special_tokens=False)["input_ids"]
        end = tokenizer.convert_tokens_to_ids("<|im_end|>")
        generation: Generation = self.runtime.generate(
            messages,
            sampling,
            logprobs=logprobs,
            constraint=lambda step, _ids: [ids[step]] if step < len(ids) else [end],
        )
        self.calls.append(generation)
        return generation


@pytest.fixture(scope="module")
def small_signup(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3 s at 4 fps, 320x180: an empty form, then the name, then "Saved"."""
    pictures = [form()] * 4 + [form("Zoe")] * 4 + [form("Zoe", saved=True)] * 4
    small = [p.resize((320, 180)) for p in pictures]
    return write_video(tmp_path_factory.mktemp("small") / "s.mp4", small, fps=4)


def test_the_tiny_model_gets_the_frames_and_its_random_answer_is_a_clear_error(
    tiny_qwen: Path, small_signup: Path
) -> None:
    from screenpilot.agent.assembly import make_runtime

    runtime = make_runtime(str(tiny_qwen), None)
    assert runtime is not None
    with pytest.raises(NoStepsError, match="no usable step in the model's answer about the video"):
        steps_from_video(small_signup, runtime)


def test_a_canned_answer_through_the_tiny_model_becomes_a_valid_task_file(
    tiny_qwen: Path, small_signup: Path, tmp_path: Path
) -> None:
    from screenpilot.agent.assembly import make_runtime

    answer = json.dumps([
        {"type": "type", "text": "Zoe", "target": "the Name field"},
        {"type": "click", "target": "the Submit button"},
        {"type": "wait", "until_text": "Saved"},
    ])  # fmt: skip
    runtime = Forced(make_runtime(str(tiny_qwen), None), answer)
    steps = steps_from_video(small_signup, runtime)
    [generation] = runtime.calls
    # Three frames of at least 64 visual tokens each went through the model.
    assert generation.prompt_tokens > 3 * 64
    path = tmp_path / "from_video.yaml"
    path.write_text(task_text(steps, name="Sign up"), encoding="utf-8")
    actions = [step.step.action for step in load_task(path, {}).steps]
    assert actions == [
        TypeText(text="Zoe", target=Description(text="the Name field")),
        Click(target=Description(text="the Submit button")),
        Wait(until_text="Saved"),
    ]


def test_record_from_video_with_the_tiny_model_runs_end_to_end_through_the_cli(
    tiny_qwen: Path, small_signup: Path, tmp_path: Path
) -> None:
    import subprocess
    import sys

    out = tmp_path / "video.yaml"
    done = subprocess.run(
        [sys.executable, "-m", "screenpilot", "record", str(out), "--from-video",
         str(small_signup), "--model", str(tiny_qwen)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    # The frames went through the model; its random answer is no task, said plainly.
    assert "reading frames..." in done.stdout and "asking the model..." in done.stdout
    assert done.returncode == 1, done.stdout + done.stderr
    assert "no usable step in the model's answer about the video" in done.stderr
    assert "Traceback" not in done.stderr and not out.exists()
