"""Qwen3-VL latency for one agent step on a GPU: the image processor, time to first token, a
whole action, a whole grounding, peak memory - per model, attention kernel and visual budget;
with `--vllm`, the same models served by vLLM at 1, 4 and 16 concurrent agents.

Run: bash bench/gpu.sh (sets up an environment, then runs this), or directly
    python bench/gpu_qwen3vl.py [--device auto|cuda|cpu] [--models 4b,8b,30b-a3b] [--runs 3]
        [--budgets 1280,1080p,1440p] [--attention auto|sdpa|flash_attention_2] [--vllm]
        [--json bench/results/gpu.json] [--markdown PATH] [--deadline-s 290]

On a GPU each model is the released architecture (bench/qwen3vl_sizes.py) with random bf16
weights, built on the device (bench/qwen3vl_random.py): the speed is the real model's, nothing
is downloaded. The screenshot is 1920x1080 (2560x1440 for the 1440p row). Decoding is forced to
the length of real answers, as Qwen spells numbers one digit per token: an action (a Thought
sentence, an Action sentence and a computer_use call) is `--action-tokens` (100), a grounding
answer (a bbox_2d JSON) `--ground-tokens` (45); the action prompt carries a system prompt of
`--system-tokens` (700, the computer_use tool declaration). Every figure is the median of
`--runs` after one warm-up. On CPU the same code runs tiny copies of the same architectures:
that proves the plumbing, not the speed. Rows that would start after `--deadline-s` are skipped
(and say so), so the whole run keeps to its time.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import gpu_report  # noqa: E402
import qwen3vl_random  # noqa: E402
import qwen3vl_sizes as sizes  # noqa: E402
import torch  # noqa: E402
from synthetic_screen import screenshot  # noqa: E402
from transformers.generation.streamers import BaseStreamer  # noqa: E402

from screenpilot.models.qwen_processor import image_processor  # noqa: E402
from screenpilot.perception.sizing import VisualBudget  # noqa: E402


@dataclass(frozen=True)
class Budget:
    """One row's screenshot: its size and the visual-token cap it is sent with."""

    key: str
    label: str
    screen: tuple[int, int]
    max_tokens: int


BUDGETS = {
    b.key: b
    for b in (
        Budget("1280", "1920x1080, 1280-token cap", (1920, 1080), 1280),
        Budget("1080p", "1920x1080, default", (1920, 1080), 16384),
        Budget("1440p", "2560x1440, default", (2560, 1440), 16384),
    )
}


def prompt(pixels: dict[str, Any], system_tokens: int, ask_tokens: int, device: str) -> dict:
    """Processor-shaped inputs with the chat scaffolding of the real prompt: a system turn,
    the user turn with the screenshot's pad tokens and the request, the assistant's opening."""
    t, h, w = (int(v) for v in pixels["image_grid_thw"][0])
    text = [1000 + i % 5000 for i in range(system_tokens + ask_tokens)]
    ids = [sizes.IM_START, *text[:system_tokens], sizes.IM_END] if system_tokens else []
    ids += [sizes.IM_START, 872, sizes.VISION_START, *[sizes.IMAGE_PAD] * (t * h * w // 4)]
    ids += [sizes.VISION_END, *text[system_tokens:], sizes.IM_END, sizes.IM_START, 77091]
    input_ids = torch.tensor([ids], device=device)
    return {
        "input_ids": input_ids,
        "attention_mask": torch.ones_like(input_ids),
        "mm_token_type_ids": (input_ids == sizes.IMAGE_PAD).int(),
        "pixel_values": pixels["pixel_values"].to(device),
        "image_grid_thw": pixels["image_grid_thw"].to(device),
    }


class FirstToken(BaseStreamer):  # type: ignore[misc]
    """A generate() streamer that notes when the first new token is out (the prompt's ids come
    first; transformers moves each token to the CPU before handing it over, so it has synced)."""

    def __init__(self) -> None:
        self.calls, self.at = 0, 0.0

    def put(self, value: Any) -> None:
        self.calls += 1
        if self.calls == 2:
            self.at = time.perf_counter()

    def end(self) -> None:
        pass


def timed_generate(model: Any, inputs: dict, tokens: int, device: str) -> tuple[float, float]:
    """(seconds to the first token, seconds in all) of a greedy generate forced to `tokens`."""
    streamer = FirstToken()
    if device == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    with torch.inference_mode():
        out = model.generate(
            **inputs,
            max_new_tokens=tokens,
            min_new_tokens=tokens,  # random weights would stop at a random end token
            do_sample=False,
            streamer=streamer,
        )
    if device == "cuda":
        torch.cuda.synchronize()
    total = time.perf_counter() - start
    assert out.shape[1] - inputs["input_ids"].shape[1] == tokens, "decoding stopped early"
    return streamer.at - start, total


def measure_row(model: Any, budget: Budget, args: argparse.Namespace, device: str) -> dict:
    """One (model, attention, budget) row: medians over `args.runs` after one warm-up."""
    shot = screenshot(budget.screen)
    process = image_processor(VisualBudget(max_tokens=budget.max_tokens))
    processor_s = []
    for run in range(args.runs + 1):
        start = time.perf_counter()
        pixels = process(images=shot, return_tensors="pt")
        if run:
            processor_s.append(time.perf_counter() - start)
    action_in = prompt(pixels, args.system_tokens, 30, device)
    ground_in = prompt(pixels, 0, 25, device)
    if device == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    timed_generate(model, action_in, 8, device)  # warm-up: kernels for these shapes
    timed_generate(model, ground_in, 8, device)
    ttft, action, ground = [], [], []
    for _ in range(args.runs):
        first, whole = timed_generate(model, action_in, args.action_tokens, device)
        ttft.append(first)
        action.append(whole)
        ground.append(timed_generate(model, ground_in, args.ground_tokens, device)[1])
    samples = {"processor": processor_s, "ttft": ttft, "action": action, "ground": ground}
    ms = {name: statistics.median(seconds) * 1000 for name, seconds in samples.items()}
    peak = torch.cuda.max_memory_allocated() / 2**30 if device == "cuda" else None
    return {
        "budget": budget.key,
        "screen": f"{budget.screen[0]}x{budget.screen[1]}",
        "label": budget.label,
        "visual_tokens": int((action_in["input_ids"] == sizes.IMAGE_PAD).sum()),
        "action_prompt_tokens": int(action_in["input_ids"].shape[1]),
        "ground_prompt_tokens": int(ground_in["input_ids"].shape[1]),
        "processor_ms": round(ms["processor"], 1),
        "ttft_ms": round(ms["ttft"], 1),
        "action_ms": round(ms["action"], 1),
        "ground_ms": round(ms["ground"], 1),
        "decode_ms_per_token": round((ms["action"] - ms["ttft"]) / (args.action_tokens - 1), 2),
        "step_ms": round(ms["processor"] + ms["action"], 1),
        "peak_gib": None if peak is None else round(peak, 2),
    }


def attentions(requested: str, device: str) -> list[str]:
    """The attention kernels to compare: SDPA, and flash-attention-2 where it imports."""
    if requested != "auto":
        return requested.split(",")
    try:
        import flash_attn  # noqa: F401
    except ImportError:
        return ["sdpa"]
    return ["sdpa", "flash_attention_2"] if device == "cuda" else ["sdpa"]


def bench_model(name: str, args: argparse.Namespace, device: str, clock: Any) -> dict:
    """Build one model, check it, and measure every (attention, budget) row in time."""
    config = sizes.hub_config(name)
    if device != "cuda":
        config = sizes.tiny(config)
    entry: dict[str, Any] = {"model": name, "class": config["architectures"][0], "rows": []}
    entry["sizes"] = "released" if device == "cuda" else "tiny copy"
    # On CPU the timed model is fp32 (bf16 matmuls are slow there); the bf16 build is still
    # the one checked, against a model constructed the ordinary way.
    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    print(f"[{clock():5.0f}s] {name}: building random weights ({entry['sizes']} sizes)")
    try:
        start = time.perf_counter()
        model = qwen3vl_random.build(config, device, dtype, "sdpa")
        entry["build_s"] = round(time.perf_counter() - start, 1)
    except torch.cuda.OutOfMemoryError as error:
        entry["skipped"] = f"out of GPU memory while building: {str(error).splitlines()[0]}"
        return entry
    if device == "cuda":
        entry["checks"] = qwen3vl_random.checks(model, config)
    else:
        from transformers import AutoModelForImageTextToText

        ordinary = AutoModelForImageTextToText.from_config(
            qwen3vl_random.transformers_config(config)
        )
        bf16 = qwen3vl_random.build(config, "cpu", torch.bfloat16, "sdpa")
        entry["checks"] = qwen3vl_random.checks(bf16, config, ordinary)
        del ordinary, bf16
    entry["parameters_b"] = round(entry["checks"]["parameters"] / 1e9, 3)
    if device == "cuda":
        entry["weights_gib"] = round(torch.cuda.memory_allocated() / 2**30, 2)
    for attention in attentions(args.attention, device):
        try:
            model.set_attn_implementation(attention)
        except (ImportError, ValueError) as error:
            entry["rows"].append({"attention": attention, "skipped": str(error).splitlines()[0]})
            continue
        for key in args.budgets.split(","):
            row: dict[str, Any] = {"attention": attention, "budget": key}
            if clock() > args.deadline_s:
                row["skipped"] = f"past the {args.deadline_s:.0f} s time budget"
                entry["rows"].append(row)
                continue
            try:
                row.update(measure_row(model, BUDGETS[key], args, device))
                row["attention"] = attention
            except torch.cuda.OutOfMemoryError as error:
                row["skipped"] = f"out of GPU memory: {str(error).splitlines()[0]}"
            entry["rows"].append(row)
            print(f"[{clock():5.0f}s] {name} {attention} {key}: {gpu_report.row_summary(row)}")
    del model
    gc.collect()
    if device == "cuda":
        torch.cuda.empty_cache()
    return entry


def vllm_section(args: argparse.Namespace, device: str, clock: Any) -> dict[str, Any]:
    """vLLM serving figures from bench/vllm_qwen3vl.py, run in `--vllm-python` (vLLM pins its
    own torch and transformers, so it usually lives in an environment of its own)."""
    python = args.vllm_python or sys.executable
    probe = subprocess.run([python, "-c", "import vllm; print(vllm.__version__)"],
                           capture_output=True, text=True)  # fmt: skip
    if probe.returncode != 0:
        print(f"[{clock():5.0f}s] vllm: not importable in {python} - section skipped")
        return {"skipped": f"vllm is not importable in {python}"}
    if device != "cuda":
        return {"skipped": "vLLM is measured on a GPU only"}
    out = Path(tempfile.mkdtemp()) / "vllm.json"
    command = [python, str(ROOT / "bench" / "vllm_qwen3vl.py"), "--json", str(out),
               "--models", args.vllm_models, "--action-tokens", str(args.action_tokens),
               "--ground-tokens", str(args.ground_tokens), "--system-tokens",
               str(args.system_tokens), "--concurrency", args.vllm_concurrency]  # fmt: skip
    print(f"[{clock():5.0f}s] vllm {probe.stdout.strip()}: {' '.join(command[2:])}", flush=True)
    try:
        subprocess.run(command, timeout=args.vllm_timeout_s, check=False)
    except subprocess.TimeoutExpired:
        return {"skipped": f"vLLM run passed its {args.vllm_timeout_s} s limit"}
    if not out.exists():
        return {"skipped": "the vLLM run wrote no results (see its output above)"}
    result: dict[str, Any] = json.loads(out.read_text())
    return result


def vllm_folder_check() -> dict[str, Any]:
    """On CPU: the model folder vLLM would load, written and read back with transformers."""
    import vllm_qwen3vl
    from transformers import AutoConfig, AutoTokenizer

    folder = vllm_qwen3vl.write_model_folder(sizes.hub_config("4b"), tempfile.mkdtemp())
    config, tokenizer = AutoConfig.from_pretrained(folder), AutoTokenizer.from_pretrained(folder)
    pad = tokenizer.convert_tokens_to_ids("<|image_pad|>")
    return {
        "config_loads": config.text_config.hidden_size == 2560,
        "image_token_id_matches_tokenizer": config.image_token_id == pad,
        "vocab_size": config.text_config.vocab_size,
    }


def machine(device: str) -> dict[str, Any]:
    import transformers

    name = torch.cuda.get_device_name() if device == "cuda" else platform.processor() or "CPU"
    info: dict[str, Any] = {
        "device": name,
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "transformers": transformers.__version__,
        "python": platform.python_version(),
    }
    try:
        import flash_attn

        info["flash_attn"] = flash_attn.__version__
    except ImportError:
        info["flash_attn"] = None
    return info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto", choices=["auto", "cuda", "cpu"])
    parser.add_argument("--models", default="4b,8b,30b-a3b", help=", ".join(sizes.MODELS))
    parser.add_argument("--budgets", default="1280,1080p,1440p", help=", ".join(BUDGETS))
    parser.add_argument("--attention", default="auto", help="auto, sdpa, flash_attention_2")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--action-tokens", type=int, default=100)
    parser.add_argument("--ground-tokens", type=int, default=45)
    parser.add_argument("--system-tokens", type=int, default=700)
    parser.add_argument("--deadline-s", type=float, default=290.0)
    parser.add_argument("--vllm", action="store_true", help="also measure vLLM, if importable")
    parser.add_argument("--vllm-python", help="the interpreter that has vllm (default: this)")
    parser.add_argument("--vllm-models", default="4b")
    parser.add_argument("--vllm-concurrency", default="1,4,16")
    parser.add_argument("--vllm-timeout-s", type=int, default=150)
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "gpu.json")
    parser.add_argument("--markdown", type=Path, help="default: the JSON path with .md")
    args = parser.parse_args()
    cuda = torch.cuda.is_available()
    device = ("cuda" if cuda else "cpu") if args.device == "auto" else args.device
    if device == "cuda" and not cuda:
        raise SystemExit("--device cuda, but torch sees no CUDA GPU (a CPU-only torch build?)")
    begun = time.perf_counter()

    def clock() -> float:
        return time.perf_counter() - begun

    results: dict[str, Any] = {"machine": machine(device), "settings": vars(args) | {
        "json": str(args.json), "markdown": str(args.markdown), "device": device}}  # fmt: skip
    print(f"Qwen3-VL on {results['machine']['device']} ({device}); models {args.models}")
    results["transformers"] = [bench_model(m, args, device, clock) for m in args.models.split(",")]
    if args.vllm:
        results["vllm"] = vllm_section(args, device, clock)
        if device == "cpu":
            results["vllm"]["model_folder_check"] = vllm_folder_check()
    else:
        results["vllm"] = {"skipped": "not asked for (--vllm)"}
    results["seconds"] = round(clock(), 1)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    table = gpu_report.markdown(results)
    markdown = args.markdown or args.json.with_suffix(".md")
    markdown.write_text(table)
    print(table)
    print(f"wrote {args.json} and {markdown} in {results['seconds']:.0f} s")


if __name__ == "__main__":
    main()
