"""Qwen3-VL served by vLLM with dummy weights: one agent's latency, and throughput at several
concurrent agents, each sending its own 1920x1080 screenshot.

Run by bench/gpu_qwen3vl.py --vllm (in the environment that has vllm), or directly:
    python bench/vllm_qwen3vl.py --json OUT [--models 4b] [--concurrency 1,4,16] [--runs 3]

vLLM loads a local folder: the released `config.json` (bench/qwen3vl_sizes.py), a small
byte-level tokenizer with Qwen's special tokens (the project's tiny one) and the processor
settings, with `load_format="dummy"` - random weights of the real shapes, nothing downloaded.
The vocabulary stays 151936 (the LM head is its real size); the config's special-token ids are
the small tokenizer's. Generated ids are never detokenised (most lie outside the small
vocabulary), and every answer is forced to its length (`min_tokens`, `ignore_eos`).
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import qwen3vl_sizes as sizes  # noqa: E402

_SPECIAL = {
    "image_token_id": "<|image_pad|>",
    "video_token_id": "<|video_pad|>",
    "vision_start_token_id": "<|vision_start|>",
    "vision_end_token_id": "<|vision_end|>",
}
_PROCESSOR = {
    "patch_size": 16,
    "merge_size": 2,
    "temporal_patch_size": 2,
    "image_mean": [0.5, 0.5, 0.5],
    "image_std": [0.5, 0.5, 0.5],
    "processor_class": "Qwen3VLProcessor",
}


def write_model_folder(config: dict[str, Any], folder: str | Path) -> Path:
    """A model folder vLLM (or transformers) loads: config, tokenizer, processor settings."""
    # The project's tiny tokenizer (byte-level BPE, Qwen's specials, digits split one by one).
    from screenpilot.sim.tiny_qwen3vl import build_tokenizer

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer()
    token = tokenizer.convert_tokens_to_ids
    config = copy.deepcopy(config)
    config.update({key: token(text) for key, text in _SPECIAL.items()})
    eos, pad = token("<|im_end|>"), token("<|endoftext|>")
    config["text_config"].update(bos_token_id=pad, eos_token_id=eos)
    (folder / "config.json").write_text(json.dumps(config, indent=2))
    generation = {"eos_token_id": eos, "pad_token_id": pad, "do_sample": False}
    (folder / "generation_config.json").write_text(json.dumps(generation))
    tokenizer.save_pretrained(folder)
    image = {**_PROCESSOR, "image_processor_type": "Qwen2VLImageProcessorFast",
             "size": {"shortest_edge": 65536, "longest_edge": 16777216}}  # fmt: skip
    video = {**_PROCESSOR, "video_processor_type": "Qwen3VLVideoProcessor",
             "size": {"shortest_edge": 4096, "longest_edge": 25165824}}  # fmt: skip
    (folder / "preprocessor_config.json").write_text(json.dumps(image, indent=2))
    (folder / "video_preprocessor_config.json").write_text(json.dumps(video, indent=2))
    return folder


def text_of_length(tokenizer: Any, tokens: int) -> str:
    """Plain words that the tokenizer turns into about `tokens` tokens (a system prompt)."""
    sentence = "Click the Submit button, then type the name into the field 1 2 3. "
    text = ""
    while len(tokenizer(text).input_ids) < tokens:
        text += sentence
    return text


def chat(system: str, ask: str) -> str:
    turn = f"<|im_start|>system\n{system}<|im_end|>\n" if system else ""
    return (
        f"{turn}<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>{ask}<|im_end|>\n"
        "<|im_start|>assistant\n"
    )


def timed_batch(llm: Any, prompt: str, seeds: list[int], tokens: int) -> float:
    """Seconds for vLLM to answer one request per seed (each its own screenshot), every
    answer forced to `tokens` tokens."""
    from synthetic_screen import screenshot
    from vllm import SamplingParams

    params = SamplingParams(
        max_tokens=tokens, min_tokens=tokens, ignore_eos=True, temperature=0.0, detokenize=False
    )
    requests = [
        {"prompt": prompt, "multi_modal_data": {"image": screenshot((1920, 1080), seed)}}
        for seed in seeds
    ]
    begun = time.perf_counter()
    outputs = llm.generate(requests, params, use_tqdm=False)
    seconds = time.perf_counter() - begun
    assert all(len(o.outputs[0].token_ids) == tokens for o in outputs), "decoding stopped early"
    return seconds


def bench_model(name: str, args: argparse.Namespace) -> dict[str, Any]:
    from vllm import LLM

    folder = write_model_folder(sizes.hub_config(name), tempfile.mkdtemp())
    agents = [int(n) for n in args.concurrency.split(",")]
    start = time.perf_counter()
    llm = LLM(
        model=str(folder),
        load_format="dummy",
        dtype="bfloat16",
        max_model_len=8192,
        max_num_seqs=max(agents),
        limit_mm_per_prompt={"image": 1, "video": 0},
        gpu_memory_utilization=args.gpu_memory_utilization,
        enforce_eager=args.eager,
        seed=0,
    )
    startup = time.perf_counter() - start
    tokenizer = llm.get_tokenizer()
    action_prompt = chat(text_of_length(tokenizer, args.system_tokens), "Open the Settings menu.")
    ground_prompt = chat("", "Locate the Save button; answer with its bbox_2d.")
    shots = iter(range(1, 10**6))  # every request its own screenshot: no cache hits

    def wall(prompt: str, n: int, tokens: int) -> float:
        return timed_batch(llm, prompt, [next(shots) for _ in range(n)], tokens)

    rows = []
    for n in agents:
        wall(action_prompt, n, 4)  # warm-up at this batch size
        ttft, action, ground = [], [], []
        for _ in range(args.runs):
            ttft.append(wall(action_prompt, n, 1))
            action.append(wall(action_prompt, n, args.action_tokens))
            ground.append(wall(ground_prompt, n, args.ground_tokens))
        a = statistics.median(action)
        rows.append({
            "agents": n,
            "ttft_ms": round(statistics.median(ttft) * 1000, 1),
            "action_ms": round(a * 1000, 1),
            "ground_ms": round(statistics.median(ground) * 1000, 1),
            "actions_per_s": round(n / a, 2),
            "tokens_per_s": round(n * args.action_tokens / a, 1),
        })  # fmt: skip
        print(f"vllm {name} x{n}: {rows[-1]}", flush=True)
    llm = None  # free the engine before the next model's
    gc.collect()
    return {"model": name, "startup_s": round(startup, 1), "concurrency": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, required=True)
    parser.add_argument("--models", default="4b")
    parser.add_argument("--concurrency", default="1,4,16")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--action-tokens", type=int, default=100)
    parser.add_argument("--ground-tokens", type=int, default=45)
    parser.add_argument("--system-tokens", type=int, default=700)
    parser.add_argument("--gpu-memory-utilization", type=float, default=0.85)
    parser.add_argument("--eager", action="store_true", help="no CUDA graphs (faster start)")
    args = parser.parse_args()
    import vllm

    result: dict[str, Any] = {"version": vllm.__version__, "models": []}
    for name in args.models.split(","):
        try:
            result["models"].append(bench_model(name, args))
        except Exception as error:  # one model failing to serve must not lose the others
            result["models"].append({"model": name, "skipped": f"{type(error).__name__}: {error}"})
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
