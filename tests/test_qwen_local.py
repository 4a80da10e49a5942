"""The local runtime on a tiny random Qwen3-VL, loaded through the users' code path:
load -> prompt -> generate -> parse -> geometry, on CPU."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from screenpilot.errors import ScreenpilotError
from screenpilot.models.grounder import Qwen3VLGrounder
from screenpilot.models.local import LocalRuntime
from screenpilot.models.parsing import ModelParseError, parse_tool_calls
from screenpilot.models.runtime import GREEDY, Message, ModelRuntimeError, Sampling
from screenpilot.models.tool_calls import tool_call_to_action
from screenpilot.perception.geometry import ModelBox, ScreenGeometry, ScreenPoint
from screenpilot.perception.screenshot import Screenshot
from screenpilot.perception.sizing import VisualBudget


@pytest.fixture(scope="module")
def runtime(tiny_qwen: Path) -> LocalRuntime:
    return LocalRuntime(tiny_qwen, budget=VisualBudget(max_tokens=1280))


def forcing(runtime: LocalRuntime, answer: str) -> Any:
    """A decoding constraint that makes the model emit `answer` - its own logits still give
    every token's log-probability. (Random weights cannot answer anything useful.)"""
    ids = runtime.processor.tokenizer(answer, add_special_tokens=False)["input_ids"]
    eos = runtime.processor.tokenizer.convert_tokens_to_ids("<|im_end|>")
    return lambda step, _ids: [ids[step]] if step < len(ids) else [eos]


class Forced:
    """The local runtime with a forced answer, for the code that takes any Runtime."""

    def __init__(self, runtime: LocalRuntime, answer: str) -> None:
        self.runtime, self.answer = runtime, answer
        self.calls = 0

    def generate(
        self, messages: Any, sampling: Sampling = GREEDY, *, logprobs: bool = False
    ) -> Any:
        self.calls += 1
        return self.runtime.generate(
            messages, sampling, logprobs=logprobs, constraint=forcing(self.runtime, self.answer)
        )


def screenshot(width: int = 1920, height: int = 1080) -> Screenshot:
    pixels = np.full((height, width, 3), 255, dtype=np.uint8)
    return Screenshot(raw=pixels, geometry=ScreenGeometry.for_screen(width, height), taken_at=0.0)


def test_the_budget_takes_effect_and_the_whole_processor_output_is_used(
    runtime: LocalRuntime,
) -> None:
    shot = Image.new("RGB", (1920, 1080), "white")
    result = runtime.generate([Message.user(shot, "Click Submit")], Sampling(max_new_tokens=4))
    # 1222 visual tokens at the 1280-token budget, plus the chat scaffolding
    assert 1222 < result.prompt_tokens < 1222 + 40
    assert result.seconds > 0


def test_tool_call_end_to_end(runtime: LocalRuntime) -> None:
    answer = (
        'Thought: click it.\n<tool_call>\n{"name": "computer_use", "arguments": '
        '{"action": "left_click", "coordinate": [500, 250]}}\n</tool_call>'
    )
    shot = Image.new("RGB", (1920, 1080), "white")
    result = runtime.generate(
        [Message.user(shot, "Click Submit")],
        Sampling(max_new_tokens=80),
        logprobs=True,
        constraint=forcing(runtime, answer),
    )
    assert result.text == answer
    assert result.tokens is not None and all(t.logprob <= 0 for t in result.tokens)
    assert "".join(t.text for t in result.tokens).startswith("Thought")
    geometry = ScreenGeometry.for_screen(1920, 1080).with_image(
        runtime.budget.resize(ScreenGeometry.for_screen(1920, 1080).capture)
    )
    action = tool_call_to_action(parse_tool_calls(result.text)[0], geometry)
    assert action.target == ScreenPoint(x=960, y=270)  # type: ignore[union-attr]


def test_thinking_is_kept_apart(runtime: LocalRuntime) -> None:
    answer = "<think>\nThe field is empty.\n</think>\n\nDone."
    result = runtime.generate(
        [Message.user("Hi")], Sampling(max_new_tokens=40), constraint=forcing(runtime, answer)
    )
    assert (result.thinking, result.text) == ("The field is empty.", "Done.")


def test_a_random_answer_is_a_parse_error_not_a_crash(runtime: LocalRuntime) -> None:
    result = runtime.generate(
        [Message.user(Image.new("RGB", (640, 480)), "Go")], Sampling(max_new_tokens=24)
    )
    with pytest.raises(ModelParseError):
        parse_tool_calls(result.text)


def test_grounding_maps_back_with_a_confidence_and_zooms_when_unsure(runtime: LocalRuntime) -> None:
    answer = '[{"bbox_2d": [400, 300, 600, 400], "label": "Submit"}]'
    unsure = Forced(runtime, answer)
    grounder = Qwen3VLGrounder(unsure, budget=runtime.budget, min_confidence=0.99)
    result = grounder.ground(screenshot(), "the Submit button")
    # A random model is never sure: the answer is asked again on a zoomed crop. Either way
    # the box lies where the (forced) answer put it in the image that was sent.
    assert unsure.calls == 2
    g = result.geometry
    expected = g.model_box_to_screen(ModelBox(x1=400, y1=300, x2=600, y2=400))
    assert result.box == expected
    assert result.confidence is not None and 0 <= result.confidence < 0.99
    assert result.label == "Submit"
    once = Forced(runtime, answer)
    first = Qwen3VLGrounder(once, budget=runtime.budget, zoom=False).ground(
        screenshot(), "the Submit button"
    )
    assert (first.box.x1, first.box.y1) == pytest.approx((768, 324))
    assert not first.zoomed and once.calls == 1


def test_missing_weights_are_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelRuntimeError, match="no model folder"):
        LocalRuntime(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    start = time.monotonic()
    with pytest.raises(ScreenpilotError, match="cannot load the model"):
        LocalRuntime(tmp_path / "empty")
    assert time.monotonic() - start < 30


@pytest.mark.parametrize(
    ("size", "reason"), [((40000, 100), "too large"), ((10, 2500), "more elongated")]
)
def test_images_the_model_cannot_take_are_refused_up_front(
    runtime: LocalRuntime, size: tuple[int, int], reason: str
) -> None:
    with pytest.raises(ModelRuntimeError, match=reason):
        runtime.generate([Message.user(Image.new("RGB", size), "hi")])
