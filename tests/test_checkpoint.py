"""Loading checkpoints whole: the dense and the mixture-of-experts Qwen3-VL, through the code
users run (`LocalRuntime`, `serve-model`), every weight used or a refusal naming the rest;
and the checks made before any weight is read."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw

from screenpilot.models import checkpoint
from screenpilot.models.runtime import ModelRuntimeError


# ------------------------------------------------------------------ checks before loading
@pytest.mark.parametrize("version", ["4.57.6", "5.0.0", "5.3.0"])
def test_a_transformers_without_the_pil_image_processor_is_refused(version: str) -> None:
    with pytest.raises(ModelRuntimeError, match=r"too old .* pip install 'transformers>=5.4'"):
        checkpoint.check_transformers(version)


@pytest.mark.parametrize("version", ["5.4.0", "5.24.0", "5.25.0.dev0", "6.0"])
def test_transformers_from_5_4_is_taken(version: str) -> None:
    checkpoint.check_transformers(version)


class _Config:
    def __init__(self, model_type: str, quantization_config: Any = None) -> None:
        self.model_type = model_type
        self.quantization_config = quantization_config


def test_only_qwen3_vl_model_types_are_driven() -> None:
    assert checkpoint.model_type(_Config("qwen3_vl_moe")) == "qwen3_vl_moe"
    with pytest.raises(ModelRuntimeError, match=r"'qwen2_5_vl'; the local runtime runs Qwen3-VL"):
        checkpoint.model_type(_Config("qwen2_5_vl"))


def test_dtype_and_attention_are_checked() -> None:
    assert checkpoint.pick_dtype(None, on_gpu=True) == "bfloat16"
    assert checkpoint.pick_dtype(None, on_gpu=False) == "float32"
    assert checkpoint.pick_dtype("float16", on_gpu=False) == "float16"
    with pytest.raises(ModelRuntimeError, match="unknown dtype 'int4'"):
        checkpoint.pick_dtype("int4", on_gpu=True)  # type: ignore[arg-type]
    with pytest.raises(ModelRuntimeError, match="CUDA GPU only"):
        checkpoint.check_attention("flash_attention_2", on_gpu=False)
    with pytest.raises(ModelRuntimeError, match="unknown attention"):
        checkpoint.check_attention("xformers", on_gpu=True)  # type: ignore[arg-type]


def test_a_quantised_checkpoint_says_how_it_runs() -> None:
    assert checkpoint.describe_quantisation(_Config("qwen3_vl"), on_gpu=False) is None
    fp8 = _Config("qwen3_vl", {"quant_method": "fp8", "weight_block_size": [128, 128]})
    assert "back into bf16" in str(checkpoint.describe_quantisation(fp8, on_gpu=False))
    assert "fp8-quantised" in str(checkpoint.describe_quantisation(fp8, on_gpu=True))


def test_a_partial_load_names_what_did_not_fit() -> None:
    checkpoint.refuse_partial("x", {"missing_keys": [], "unexpected_keys": set()})
    info = {
        "missing_keys": [f"layers.{i}.mlp.up_proj.weight" for i in range(8)],
        "unexpected_keys": {"layers.0.mlp.experts.gate_up_proj"},
        "mismatched_keys": [("lm_head.weight", (10, 4), (12, 4))],
    }
    with pytest.raises(ModelRuntimeError) as caught:
        checkpoint.refuse_partial("ckpt", info)
    said = str(caught.value)
    assert "8 weights missing" in said and "and 2 more" in said
    assert "1 weights in the checkpoint but not in the model" in said
    assert "experts.gate_up_proj" in said and "lm_head.weight" in said


class _Tokenizer:
    def __init__(self, opened: str | None) -> None:
        self.chat_template = None if opened is None else "a template"
        self._opened = opened

    def apply_chat_template(self, messages: Any, **options: Any) -> str:
        assert options["add_generation_prompt"] and not options["tokenize"]
        return f"<|im_start|>user\n{messages[0]['content']}<|im_end|>\n{self._opened}"


def test_a_thinking_checkpoint_is_known_by_its_template_or_its_name() -> None:
    thinking = _Tokenizer("<|im_start|>assistant\n<think>\n")
    instruct = _Tokenizer("<|im_start|>assistant\n")
    assert checkpoint.thinks(thinking, "Qwen/Qwen3-VL-4B-Instruct")  # the template decides
    assert not checkpoint.thinks(instruct, "Qwen/Qwen3-VL-4B-Thinking")
    assert checkpoint.thinks(_Tokenizer(None), "/models/Qwen3-VL-8B-Thinking/")
    assert not checkpoint.thinks(_Tokenizer(None), "/models/Qwen3-VL-8B-Instruct")


# ------------------------------------------------------------------ real tiny checkpoints
@pytest.fixture(scope="module")
def tiny_moe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from screenpilot.sim import tiny_qwen3vl

    return tiny_qwen3vl.build(tmp_path_factory.mktemp("tiny-qwen3vl-moe"), seed=3, moe=True)


def _prompt_messages() -> list[Any]:
    from screenpilot.models.runtime import Message

    shot = Image.new("RGB", (640, 400), "white")
    ImageDraw.Draw(shot).rectangle((200, 150, 320, 190), fill="navy")
    return [Message.user(shot, "Click the dark button.")]


@pytest.mark.integration
def test_a_moe_checkpoint_loads_whole_and_answers_as_a_direct_load(tiny_moe: Path) -> None:
    import torch
    from safetensors import safe_open
    from transformers import AutoModelForImageTextToText

    from screenpilot.models.local import LocalRuntime
    from screenpilot.models.runtime import Sampling, render_chat
    from screenpilot.perception.sizing import VisualBudget

    assert json.loads((tiny_moe / "config.json").read_text())["model_type"] == "qwen3_vl_moe"
    runtime = LocalRuntime(tiny_moe, budget=VisualBudget(max_tokens=256))
    assert runtime.model_type == "qwen3_vl_moe" and not runtime.thinks
    assert type(runtime.model).__name__ == "Qwen3VLMoeForConditionalGeneration"
    # Every tensor of the file is in the model, equal to what was saved.
    with safe_open(str(tiny_moe / "model.safetensors"), "pt") as saved:
        names = list(saved.keys())
        state = runtime.model.state_dict()
        assert any("experts" in n for n in names)
        for name in names:
            assert torch.equal(state[name], saved.get_tensor(name)), name

    messages = _prompt_messages()
    ours = runtime.generate(messages, Sampling(max_new_tokens=12), logprobs=True)
    direct = AutoModelForImageTextToText.from_pretrained(tiny_moe, dtype=torch.float32).eval()
    prompt = render_chat(messages)
    inputs = runtime.processor(images=prompt.images, text=[prompt.text], return_tensors="pt")
    with torch.inference_mode():
        out = direct.generate(**inputs, max_new_tokens=12, do_sample=False)
    tokens = out[0, inputs["input_ids"].shape[1] :].tolist()
    ends = {runtime.processor.tokenizer.convert_tokens_to_ids(t) for t in ("<|im_end|>",)}
    while tokens and tokens[-1] in ends:
        tokens.pop()
    assert ours.tokens is not None
    expected = [runtime.processor.tokenizer.decode([t]) for t in tokens]
    assert [t.text for t in ours.tokens] == expected  # the same greedy tokens
    assert all(t.top and t.top[0][1] >= t.logprob - 1e-5 for t in ours.tokens)


@pytest.mark.integration
def test_a_moe_checkpoint_read_as_dense_is_refused_naming_the_experts(
    tiny_moe: Path, tmp_path: Path
) -> None:
    from screenpilot.models.local import LocalRuntime

    wrong = tmp_path / "wrong"
    wrong.mkdir()
    for item in tiny_moe.iterdir():
        (wrong / item.name).write_bytes(item.read_bytes())
    config = json.loads((wrong / "config.json").read_text())
    config["model_type"] = "qwen3_vl"  # the dense class: experts have no place in it
    config["text_config"]["model_type"] = "qwen3_vl_text"
    config["vision_config"]["model_type"] = "qwen3_vl"
    config["architectures"] = ["Qwen3VLForConditionalGeneration"]
    (wrong / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelRuntimeError, match=r"does not load whole.*experts"):
        LocalRuntime(wrong)


@pytest.mark.integration
def test_serve_model_serves_the_moe_checkpoint(tiny_moe: Path) -> None:
    from screenpilot.errors import ModelUnavailableError
    from screenpilot.models.local import LocalRuntime
    from screenpilot.models.openai_client import OpenAIRuntime
    from screenpilot.models.runtime import Sampling
    from screenpilot.perception.sizing import VisualBudget

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "screenpilot", "serve-model", "--model", str(tiny_moe)]
    command += ["--port", str(port), "--max-tokens", "256", "--dtype", "float32"]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    budget = VisualBudget(max_tokens=256)
    try:
        client = OpenAIRuntime(f"http://127.0.0.1:{port}/v1", retries=0, timeout=30, budget=budget)
        deadline = time.monotonic() + 90
        messages = _prompt_messages()
        while True:
            try:
                served = client.generate(messages, Sampling(max_new_tokens=10))
                break
            except ModelUnavailableError:
                assert server.poll() is None, server.communicate()[1][-2000:]
                assert time.monotonic() < deadline, "serve-model did not come up"
                time.sleep(0.3)
        here = LocalRuntime(tiny_moe, budget=budget).generate(messages, Sampling(max_new_tokens=10))
        assert served.raw == here.raw and served.prompt_tokens == here.prompt_tokens
    finally:
        server.terminate()
        server.wait(timeout=10)


#: The end of a Thinking checkpoint's chat template as it bears on the answer: the
#: assistant's turn opens with `<think>` and a newline (enable_thinking is not read).
_THINKING_TEMPLATE = (
    "{%- for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n"
    "{%- endfor %}{%- if add_generation_prompt %}<|im_start|>assistant\n<think>\n{%- endif %}"
)


@pytest.mark.integration
def test_a_thinking_checkpoint_thinks_without_being_told(tiny_qwen: Path, tmp_path: Path) -> None:
    from screenpilot.models.local import LocalRuntime
    from screenpilot.models.runtime import Message, Sampling

    thinking = tmp_path / "tiny"  # a name that says nothing: the template decides
    thinking.mkdir()
    for item in tiny_qwen.iterdir():
        (thinking / item.name).write_bytes(item.read_bytes())
    (thinking / "chat_template.jinja").write_text(_THINKING_TEMPLATE)
    plain, thinker = LocalRuntime(tiny_qwen), LocalRuntime(thinking)
    assert (plain.thinks, thinker.thinks) == (False, True)
    hello, few = [Message.user("Click Submit")], Sampling(max_new_tokens=2)
    # Not asked to think, the Thinking checkpoint's turn opens with "<think>\n" all the same.
    assert (
        thinker.generate(hello, few).prompt_tokens == plain.generate(hello, few).prompt_tokens + 2
    )


@pytest.mark.integration
def test_weights_of_another_shape_are_refused_by_name(tiny_qwen: Path, tmp_path: Path) -> None:
    from screenpilot.models.local import LocalRuntime

    for item in tiny_qwen.iterdir():
        (tmp_path / item.name).write_bytes(item.read_bytes())
    config = json.loads((tmp_path / "config.json").read_text())
    config["text_config"]["intermediate_size"] *= 2  # the saved MLPs are half as wide
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelRuntimeError, match=r"does not load whole.*of another shape.*mlp"):
        LocalRuntime(tmp_path)


@pytest.mark.integration
def test_the_grounder_gives_a_thinking_checkpoint_room_to_think(
    tiny_qwen: Path, tmp_path: Path
) -> None:
    import numpy as np

    from screenpilot.models.grounder import Qwen3VLGrounder
    from screenpilot.models.local import LocalRuntime
    from screenpilot.models.parsing import ModelParseError
    from screenpilot.models.runtime import Sampling
    from screenpilot.perception.geometry import ScreenGeometry
    from screenpilot.perception.screenshot import Screenshot

    for item in tiny_qwen.iterdir():
        (tmp_path / item.name).write_bytes(item.read_bytes())
    (tmp_path / "chat_template.jinja").write_text(_THINKING_TEMPLATE)
    shot = Screenshot(np.zeros((400, 640, 3), np.uint8), ScreenGeometry.for_screen(640, 400), 0)
    asked: list[Sampling] = []
    for source in (tiny_qwen, tmp_path):
        runtime = LocalRuntime(source)
        real = runtime.generate

        def spy(messages: Any, sampling: Sampling, real: Any = real, **options: Any) -> Any:
            asked.append(sampling)
            return real(messages, Sampling(max_new_tokens=4), **options)  # a short random try

        runtime.generate = spy  # type: ignore[method-assign,assignment]
        grounder = Qwen3VLGrounder(runtime, zoom=False, thinking_tokens=1000)
        with contextlib.suppress(ModelParseError):  # a random model's answer holds no box
            grounder.ground(shot, "the OK button")
    assert [s.max_new_tokens for s in asked] == [96, 96 + 1000]
