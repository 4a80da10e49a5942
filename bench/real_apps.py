"""The real-program suite (examples/suites/real_apps.yaml) with the no-model default.

Run: .venv/bin/python bench/real_apps.py [--only PROGRAM ...] [--modes a11y,ocr] [--json OUT]
Starts its own Xvfb (+ openbox and a D-Bus session bus), runs every phrasing of every task
through the rules policy twice - elements from AT-SPI (then OCR), and OCR only
(`Desktop(accessibility=False)`) - and prints, per program and overall, for each mode:
tasks passed at their first phrasing, runs passed over every phrasing, and the median
seconds per run. `--first-phrasing` runs only the first phrasing of each task. Run records
(trajectory, screenshots, report) go to --output (default runs/real_apps).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from screenpilot.agent.evaluation import TaskResult, as_json, run_suite, summarise
from screenpilot.devices.desktop import Desktop
from screenpilot.devices.virtual_display import pointed_at, wait_for_window, x_session
from screenpilot.perception.ocr import RapidOcr, ScreenReader
from screenpilot.policies.rules import RulesPolicy

SUITE = Path(__file__).resolve().parent.parent / "examples" / "suites" / "real_apps.yaml"


def show(result: TaskResult) -> None:
    verdict = "pass" if result.success else f"FAIL ({result.status})"
    print(
        f"[{result.mode:>4}] {result.program:<10} {result.name} #{result.phrasing + 1}: "
        f"{verdict} in {result.seconds:.1f} s",
        flush=True,
    )
    if not result.success:
        print(f"        {result.instruction!r}\n        -> {result.detail}", flush=True)


def table(results: list[TaskResult]) -> str:
    summary = summarise(results)
    modes = list(summary)
    programs = sorted({p for part in summary.values() for p in part["programs"]})
    head = ["program", *(f"{m} {what}" for m in modes for what in ("tasks", "runs"))]
    head.append("median s/run")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for program in [*programs, "overall"]:
        cells = [f"**{program}**" if program == "overall" else program]
        for mode in modes:
            part = summary[mode]
            tally = part["overall"] if program == "overall" else part["programs"].get(program)
            if tally is None:
                cells.append("-")
                continue
            cells.append(
                f"{tally['tasks_passed']}/{tally['tasks']} | {tally['runs_passed']}/{tally['runs']}"
            )
        mine = [r.seconds for r in results if program in ("overall", r.program)]
        cells.append(f"{statistics.median(mine):.1f}" if mine else "-")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", default=[], help="a program (repeatable)")
    parser.add_argument("--task", action="append", default=[], help="a task name (repeatable)")
    parser.add_argument("--modes", default="a11y,ocr", help="a11y, ocr or both (a11y,ocr)")
    parser.add_argument("--first-phrasing", action="store_true")
    parser.add_argument("--json", type=Path, help="write the results and summary here")
    parser.add_argument("--output", type=Path, default=Path("runs/real_apps"))
    parser.add_argument("--suite", type=Path, default=SUITE)
    args = parser.parse_args()
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not set(modes) <= {"a11y", "ocr"}:
        parser.error("--modes takes a11y and/or ocr")
    reader = ScreenReader(RapidOcr())
    results: list[TaskResult] = []
    started = time.monotonic()
    with x_session() as session, pointed_at(session):
        for mode in modes:
            results += run_suite(
                args.suite,
                lambda mode=mode: Desktop(accessibility=mode == "a11y"),  # type: ignore[misc]
                lambda _task: RulesPolicy(),
                output=args.output,
                reader=reader,
                wait_for_window=wait_for_window,
                mode=mode,
                programs=args.only,
                names=args.task,
                first_phrasing_only=args.first_phrasing,
                on_result=show,
            )
    elapsed = time.monotonic() - started
    print()
    print(table(results))
    print(f"\n{len(results)} runs in {elapsed / 60:.1f} min; run records in {args.output}")
    if args.json:
        data = {**as_json(results), "elapsed_seconds": round(elapsed, 1)}
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
        print(f"results: {args.json}")


if __name__ == "__main__":
    main()
