"""The markdown tables of a bench/gpu_qwen3vl.py results JSON (also runnable on a saved one:
python bench/gpu_report.py bench/results/gpu.json)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def _cell(value: Any, unit: str = "") -> str:
    return "-" if value is None else f"{value:,.0f}{unit}" if value >= 100 else f"{value}{unit}"


def row_summary(row: dict[str, Any]) -> str:
    """One progress line for a measured (or skipped) row."""
    if "skipped" in row:
        return f"skipped: {row['skipped']}"
    return (
        f"{row['visual_tokens']} visual tokens, processor {row['processor_ms']} ms, "
        f"first token {row['ttft_ms']} ms, action {row['action_ms']} ms, "
        f"grounding {row['ground_ms']} ms, peak {_cell(row['peak_gib'], ' GiB')}"
    )


def markdown(results: dict[str, Any]) -> str:
    """Every figure of a run as markdown: the transformers table, then vLLM's."""
    m, s = results["machine"], results["settings"]
    lines = [
        f"Qwen3-VL, random weights, on {m['device']} (torch {m['torch']}, CUDA {m['cuda']}, "
        f"transformers {m['transformers']}, flash-attn {m['flash_attn'] or 'absent'}). "
        f"Medians of {s['runs']} runs; an action is {s['action_tokens']} generated tokens after "
        f"a {s['system_tokens']}-token system prompt, a grounding {s['ground_tokens']}.",
        "",
        "| model | attention | screenshot | visual tokens | processor | first token "
        "| action | grounding | ms/token | step (processor + action) | peak memory |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for entry in results["transformers"]:
        tiny = ", tiny copy" if entry.get("sizes") == "tiny copy" else ""
        name = f"{entry['model']}{tiny} ({entry.get('parameters_b', '?')} B)"
        if "skipped" in entry:
            lines.append(f"| {name} | - | skipped: {entry['skipped']} |||||||||")
            continue
        for row in entry["rows"]:
            if "skipped" in row:
                lines.append(f"| {name} | {row['attention']} | {row.get('budget', '-')}: "
                             f"skipped ({row['skipped']}) |||||||||")  # fmt: skip
                continue
            lines.append(
                f"| {name} | {row['attention']} | {row['label']} | {row['visual_tokens']} "
                f"| {row['processor_ms']} ms | {_cell(row['ttft_ms'], ' ms')} "
                f"| {_cell(row['action_ms'], ' ms')} | {_cell(row['ground_ms'], ' ms')} "
                f"| {row['decode_ms_per_token']} | {_cell(row['step_ms'], ' ms')} "
                f"| {_cell(row['peak_gib'], ' GiB')} |"
            )
    vllm = results.get("vllm", {})
    lines.append("")
    if "skipped" in vllm:
        lines.append(f"vLLM: skipped - {vllm['skipped']}.")
        return "\n".join(lines) + "\n"
    lines += [
        f"vLLM {vllm.get('version', '?')}, dummy weights, one 1920x1080 screenshot per request "
        "(a different one for each agent), greedy, forced lengths.",
        "",
        "| model | agents | first token | action (each) | actions/s | generated tokens/s "
        "| grounding (each) |",
        "|---|---|---|---|---|---|---|",
    ]
    for entry in vllm.get("models", []):
        if "skipped" in entry:
            lines.append(f"| {entry['model']} | skipped: {entry['skipped']} ||||||")
            continue
        for row in entry["concurrency"]:
            lines.append(
                f"| {entry['model']} | {row['agents']} | {_cell(row.get('ttft_ms'), ' ms')} "
                f"| {_cell(row['action_ms'], ' ms')} | {row['actions_per_s']} "
                f"| {_cell(row['tokens_per_s'])} | {_cell(row['ground_ms'], ' ms')} |"
            )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(json.loads(Path(sys.argv[1]).read_text())), end="")
