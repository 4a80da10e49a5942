"""Qwen3-VL latency for one screenshot: time to first token, one action, one grounding, and
peak memory, at several visual-token budgets.

Run: .venv/bin/python bench/gpu_qwen3vl.py [--device auto|cuda|cpu] [--runs 5]

On an NVIDIA GPU it builds the full-size Qwen3-VL-4B architecture with random weights in
bf16 (the speed is the real model's; no download needed) and feeds it a 1920x1080
screenshot at budgets of about 1200, 2040 and 3600 visual tokens. Decoding is forced to its
length (random weights would stop at a random end token), so "action" is 40 generated
tokens, "grounding" 20 (a bbox_2d answer). On CPU it runs the same measurements on the tiny
random checkpoint (tiny_qwen3vl) - that guards the plumbing, not the speed.
Prints one row per budget: median ms of each, and peak memory.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch
from PIL import Image

from screenpilot.models.qwen_processor import image_processor
from screenpilot.perception.sizing import VisualBudget
from screenpilot.sim import tiny_qwen3vl

# Token ids of the released checkpoints (shared/reference/qwen3vl.md).
IMAGE_PAD, VISION_START, VISION_END, IM_START, IM_END = 151655, 151652, 151653, 151644, 151645
BUDGETS = {"~1200 (1280 max)": 1280, "2040 (default 1080p)": 16384, "~3600 (2560 px wide)": None}


def qwen3vl_4b_config() -> Any:
    from transformers import Qwen3VLConfig

    return Qwen3VLConfig(
        text_config={
            "vocab_size": 151936,
            "hidden_size": 2560,
            "intermediate_size": 9728,
            "num_hidden_layers": 36,
            "num_attention_heads": 32,
            "num_key_value_heads": 8,
            "head_dim": 128,
            "max_position_embeddings": 262144,
            "tie_word_embeddings": True,
            "rope_scaling": {
                "rope_type": "default",
                "mrope_section": [24, 20, 20],
                "mrope_interleaved": True,
                "rope_theta": 5_000_000.0,
            },
        },
        vision_config={
            "depth": 24,
            "hidden_size": 1024,
            "intermediate_size": 4096,
            "num_heads": 16,
            "patch_size": 16,
            "spatial_merge_size": 2,
            "temporal_patch_size": 2,
            "out_hidden_size": 2560,
            "num_position_embeddings": 2304,
            "deepstack_visual_indexes": [5, 11, 17],
        },
        image_token_id=IMAGE_PAD,
        video_token_id=151656,
        vision_start_token_id=VISION_START,
        vision_end_token_id=VISION_END,
    )


def random_4b_on_gpu() -> Any:
    from transformers import Qwen3VLForConditionalGeneration

    with torch.device("meta"):
        model = Qwen3VLForConditionalGeneration(qwen3vl_4b_config())
    model.to_empty(device="cuda")
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.normal_(0.0, 0.02)
    return model.to(torch.bfloat16).eval()


def inputs_for(
    screenshot: Image.Image,
    budget: VisualBudget,
    special: dict[str, int],
    text_ids: list[int],
    device: str,
) -> dict[str, Any]:
    """Processor-shaped inputs: chat scaffolding, the image's pad tokens, the instruction."""
    pixels = image_processor(budget)(images=screenshot, return_tensors="pt")
    t, h, w = (int(v) for v in pixels["image_grid_thw"][0])
    image_pad = special["image_pad"]
    ids = [special["im_start"], *text_ids[:3], special["vision_start"]]
    ids += [image_pad] * (t * h * w // 4)
    ids += [special["vision_end"], *text_ids, special["im_end"], special["im_start"], *text_ids[:2]]
    input_ids = torch.tensor([ids], device=device)
    return {
        "input_ids": input_ids,
        "attention_mask": torch.ones_like(input_ids),
        "mm_token_type_ids": (input_ids == image_pad).int(),
        "pixel_values": pixels["pixel_values"].to(device),
        "image_grid_thw": pixels["image_grid_thw"].to(device),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto", choices=["auto", "cuda", "cpu"])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    device = "cuda" if args.device == "auto" and torch.cuda.is_available() else args.device
    device = "cpu" if device == "auto" else device
    if device == "cuda":
        model = random_4b_on_gpu()
        dtype, what = torch.bfloat16, "Qwen3-VL-4B architecture, random bf16"
        special = {
            "image_pad": IMAGE_PAD,
            "vision_start": VISION_START,
            "vision_end": VISION_END,
            "im_start": IM_START,
            "im_end": IM_END,
        }
        text_ids = list(range(1000, 1030))
        gpu_name = torch.cuda.get_device_name()
    else:
        from transformers import AutoTokenizer, Qwen3VLForConditionalGeneration

        folder = tiny_qwen3vl.build(tempfile.mkdtemp())
        model = Qwen3VLForConditionalGeneration.from_pretrained(folder, dtype=torch.float32).eval()
        dtype, what = torch.float32, "tiny random Qwen3-VL"
        ids = AutoTokenizer.from_pretrained(folder).convert_tokens_to_ids
        special = {
            "image_pad": ids("<|image_pad|>"),
            "vision_start": ids("<|vision_start|>"),
            "vision_end": ids("<|vision_end|>"),
            "im_start": ids("<|im_start|>"),
            "im_end": ids("<|im_end|>"),
        }
        text_ids = list(range(20, 50))
        gpu_name = "CPU"
    print(f"{what} on {gpu_name}; 1920x1080 screenshot (2560x1440 for the ~3600 row)")
    names = ("budget", "tokens", "TTFT ms", "action ms", "ground ms", "peak")
    print(f"{names[0]:24} {names[1]:>7} {names[2]:>9} " + " ".join(f"{n:>10}" for n in names[3:]))
    for label, max_tokens in BUDGETS.items():
        size = (2560, 1440) if max_tokens is None else (1920, 1080)
        budget = VisualBudget(max_tokens=max_tokens or 16384)
        shot = Image.new("RGB", size, (240, 240, 240))
        inputs = inputs_for(shot, budget, special, text_ids, device)
        tokens = int((inputs["input_ids"] == special["image_pad"]).sum())
        if device == "cuda":
            torch.cuda.reset_peak_memory_stats()
        times: dict[str, list[float]] = {"ttft": [], "action": [], "ground": []}
        for run in range(args.runs + 1):  # the first run warms up and is dropped
            for name, new in (("ttft", 1), ("action", 40), ("ground", 20)):
                if device == "cuda":
                    torch.cuda.synchronize()
                start = time.perf_counter()
                with (
                    torch.inference_mode(),
                    torch.autocast(device, dtype=dtype, enabled=device == "cuda"),
                ):
                    model.generate(
                        **inputs, max_new_tokens=new, min_new_tokens=new, do_sample=False
                    )
                if device == "cuda":
                    torch.cuda.synchronize()
                if run:
                    times[name].append(time.perf_counter() - start)
        if device == "cuda":
            peak = f"{torch.cuda.max_memory_allocated() / 2**30:.1f} GiB"
        else:
            peak = f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10:.0f} MiB RSS"
        ms = {k: statistics.median(v) * 1000 for k, v in times.items()}
        cells = f"{ms['ttft']:9.1f} {ms['action']:10.1f} {ms['ground']:10.1f}"
        print(f"{label:24} {tokens:7d} {cells} {peak:>10}")


if __name__ == "__main__":
    main()
