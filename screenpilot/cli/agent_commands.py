"""The commands that drive a screen: `demo`, `run`, `script`, `replay`, `report`, `eval`.

Also the pieces `serve` and `ground` share with them: the display to work on
(`display_or_virtual`) and the model runtime the options name (`load_runtime`).
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from screenpilot.cli import (
    EXIT_CANCELLED,
    EXIT_FAILURE,
    BadInputError,
    app,
    out,
    reading_input,
)
from screenpilot.errors import InvalidInputError

DEMO_INSTRUCTION = (
    "type 'Zoë 北京' into the Name field, type bob@example.org into the Email field, "
    "check Subscribe, click Submit, wait for Saved"
)

Output = Annotated[Path, typer.Option("--output", "-o", help="Folder for run records.")]
DeviceOpt = Annotated[str, typer.Option(help="desktop, android or android:SERIAL.")]
ModelOpt = Annotated[
    str | None,
    typer.Option(help="Local Qwen3-VL: hub id or folder. With --server: the served model's name."),
]
ServerOpt = Annotated[str | None, typer.Option(help="OpenAI-compatible server URL (…/v1).")]
ModelTimeoutOpt = Annotated[
    float,
    typer.Option(
        "--model-timeout",
        min=0.1,
        help="Seconds one call to the model server may take in all, its retries included.",
    ),
]
PolicyOpt = Annotated[str | None, typer.Option(help="rules, native or planned.")]
FamilyOpt = Annotated[
    str | None,
    typer.Option(
        "--family",
        metavar="NAME",
        help="What the model is, for the native policy: qwen3-vl (tool calls, 0..1000), "
        "qwen2.5-vl (tool calls in pixels of the resized screenshot; serve it with --server) "
        "or ui-tars (UI-TARS-1.5's Thought/Action text). Found from the model's name, or a "
        "local checkpoint's config, when not given.",
    ),
]
DryRunOpt = Annotated[bool, typer.Option(help="Plan and record, run nothing.")]
YesOpt = Annotated[bool, typer.Option("--yes", help="Confirm risky actions without asking.")]
NoReportOpt = Annotated[
    bool,
    typer.Option(
        "--no-report",
        help="Write the trajectory only, no HTML report (`screenpilot report DIR` makes it later).",
    ),
]


def step_printer() -> Any:
    """The observer that prints each step (imported when a run starts, not for --help)."""
    from screenpilot.cli.printer import StepPrinter

    return StepPrinter(out)


def _finish(result: Any) -> None:
    """Print how a run ended and where its report is, and exit with a code scripts can
    rely on."""
    from rich.markup import escape

    colour = "green" if result.ok else "red"
    out.print(
        f"[{colour}]{result.status}[/]: {escape(result.message)} ({result.steps} steps, "
        f"{result.model_calls} model calls, {result.seconds:.1f} s)"
    )
    if result.report is not None:
        out.print(f"report: {escape(str(result.report))}")
    if result.status == "cancelled":
        raise typer.Exit(EXIT_CANCELLED)
    if not result.ok:
        raise typer.Exit(EXIT_FAILURE)


@contextlib.contextmanager
def display_or_virtual() -> Iterator[None]:
    """The current X display, or a private virtual one (Xvfb) while the block runs when there
    is none."""
    from screenpilot.devices.desktop import DesktopError, require_display

    try:
        require_display()
        yield
        return
    except DesktopError:
        pass
    from screenpilot.devices.virtual_display import pointed_at, x_session

    out.print("no display here: starting a virtual one (Xvfb)")
    with x_session() as session, pointed_at(session):
        yield


def _tk_python() -> str:
    """An interpreter with tkinter for the demo's form (ours, or Debian's python3-tk)."""
    try:
        import tkinter  # noqa: F401

        return sys.executable
    except ImportError:
        return shutil.which("python3") or "/usr/bin/python3"


@app.command()
def demo(output: Output = Path("runs")) -> None:
    """Fill the bundled form offline: no model, OCR grounding, every step verified.

    Starts a virtual display if there is none, opens the Tk form shipped with screenpilot,
    fills it from a plain-English instruction through the rules policy, and prints the
    report's path.
    """
    from screenpilot.agent.loop import Agent
    from screenpilot.demo_form import TK_FORM_TITLE, tk_form_on_disk
    from screenpilot.devices.desktop import Desktop
    from screenpilot.devices.virtual_display import wait_for_window
    from screenpilot.perception.ocr import RapidOcr, ScreenReader
    from screenpilot.policies.rules import RulesPolicy

    engine = RapidOcr()  # a missing OCR install is told before anything starts
    engine.load_in_background()  # while the display and the form come up
    with (
        display_or_virtual(),
        tempfile.TemporaryDirectory() as tmp,
        tk_form_on_disk() as script,
    ):
        saved = Path(tmp) / "form.json"
        form = subprocess.Popen(
            [_tk_python(), str(script), str(saved)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for_window(TK_FORM_TITLE, timeout=20.0)
            out.print(f"instruction: {DEMO_INSTRUCTION}")
            reader = ScreenReader(engine)
            with Desktop() as desktop:
                agent = Agent(
                    desktop,
                    RulesPolicy(),
                    reader=reader,
                    output=output,
                    observers=[step_printer()],
                )
                result = agent.run(DEMO_INSTRUCTION)
            if saved.exists():
                out.print(f"the form saved: {json.loads(saved.read_text(encoding='utf-8'))}")
        finally:
            form.terminate()
            form.wait(timeout=10)
    _finish(result)


def named_device(spec: str) -> Any:
    """`desktop`, `android` or `android:SERIAL`, opened (a bad name is bad input)."""
    from screenpilot.agent.assembly import open_device

    return open_device(spec)


def load_runtime(
    model: str | None, server: str | None, budget: Any = None, *, timeout: float = 120.0
) -> Any:
    """The Qwen3-VL runtime the options name, or None for no model (a local one loads under a
    spinner). A server's calls end within `timeout` seconds each, retries included."""
    from screenpilot.agent.assembly import make_runtime

    if model and not server:
        with out.status(f"loading {model}..."):
            return make_runtime(model, server, budget)
    return make_runtime(model, server, budget, timeout=timeout)


def _drive(device: str, policy: Any, instruction: str, **options: Any) -> Any:
    """Run the agent on the named device (opened and closed here) and return its result.
    Its report's pictures are drawn as the steps go, so the report costs its end little."""
    from screenpilot.agent.loop import Agent
    from screenpilot.perception.ocr import RapidOcr, ScreenReader

    with named_device(device) as the_device:
        agent = Agent(
            the_device,
            policy,
            reader=ScreenReader(RapidOcr()),
            observers=[step_printer()],
            **options,
        )
        return agent.run(instruction)


def confirmation(yes: bool) -> Any:
    from screenpilot.agent.safety import refuse_all

    if yes:
        return lambda action, reason: True
    if not sys.stdin.isatty():
        return refuse_all

    def ask(action: Any, reason: str) -> bool:
        return typer.confirm(f"{action.type} looks risky ({reason}). Go ahead?", default=False)

    return ask


TemperatureOpt = Annotated[
    float, typer.Option(min=0.0, max=2.0, help="Model sampling temperature (0: greedy).")
]
ThinkingOpt = Annotated[
    bool, typer.Option(help="Let the model think (<think>) before it answers; slower.")
]
ThinkingTokensOpt = Annotated[
    int,
    typer.Option(
        min=0,
        help="Answer tokens added for a model that thinks first (--thinking, or a Thinking"
        " checkpoint, which is found on its own).",
    ),
]
VisualTokensOpt = Annotated[
    int,
    typer.Option(min=64, max=16384, help="Most visual tokens per screenshot sent to the model."),
]
PromptFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--prompt-file",
        metavar="PATH",
        help="Your own wording for the model (native and planned policies), UTF-8 text. All "
        "of it replaces the words sent with each screenshot; or split it with a line "
        "'\\[system]' (replaces the system prompt) and a line '\\[user]'. It may hold "
        "{instruction} (needed when it replaces the user turn), {history}, {device}, and "
        "{tools} (native) or {actions} (planned); {{name}} is a literal {name}.",
    ),
]


@app.command()
def run(
    instruction: Annotated[str, typer.Argument(help="What to do, in words.")],
    device: DeviceOpt = "desktop",
    model: ModelOpt = None,
    server: ServerOpt = None,
    model_timeout: ModelTimeoutOpt = 120.0,
    policy: PolicyOpt = None,
    family: FamilyOpt = None,
    max_steps: Annotated[int, typer.Option(min=1, help="Stop after this many steps.")] = 40,
    temperature: TemperatureOpt = 0.0,
    thinking: ThinkingOpt = False,
    thinking_tokens: ThinkingTokensOpt = 8192,
    visual_tokens: VisualTokensOpt = 1280,
    prompt_file: PromptFileOpt = None,
    dry_run: DryRunOpt = False,
    yes: YesOpt = False,
    output: Output = Path("runs"),
    no_report: NoReportOpt = False,
) -> None:
    """Carry out an instruction on a device. Without a model, plain instructions are read by
    the rules policy; with one, --prompt-file swaps in your own prompt text."""
    from screenpilot.agent.assembly import (
        check_device_spec,
        choose_family,
        choose_policy,
        make_policy,
        read_prompt_file,
    )
    from screenpilot.agent.loop import Budgets
    from screenpilot.perception.sizing import VisualBudget

    with reading_input():
        check_device_spec(device)
        chosen = choose_policy(policy, has_model=bool(model or server))
        if chosen == "rules":
            from screenpilot.policies.rules import read_instruction

            read_instruction(instruction)  # refuse what cannot be read before touching anything
        # A bad prompt file is told before a model loads.
        prompt = read_prompt_file(prompt_file, chosen) if prompt_file is not None else None
        speaks = choose_family(family, model, server)
    if chosen == "rules" and not (model or server):
        out.print("no model configured: using the rules policy (plain instructions)")
    # Sized by the family's patch, for the runtime too: a server must send the screenshot
    # at the size the family's pixel answers are measured on.
    budget = speaks.visual_budget(VisualBudget(max_tokens=visual_tokens))
    runtime = (
        load_runtime(model, server, budget, timeout=model_timeout) if chosen != "rules" else None
    )
    the_policy = make_policy(
        chosen,
        runtime,
        device=device,
        temperature=temperature,
        thinking=thinking,
        thinking_tokens=thinking_tokens,
        budget=budget,
        prompt=prompt,
        family=speaks,
    )
    _finish(
        _drive(
            device,
            the_policy,
            instruction,
            output=output,
            dry_run=dry_run,
            budgets=Budgets(max_steps=max_steps),
            confirm=confirmation(yes),
            report=not no_report,
        )
    )


@app.command()
def replay(
    run_dir: Annotated[Path, typer.Argument(help="A run folder (with trajectory.jsonl).")],
    device: DeviceOpt = "desktop",
    yes: YesOpt = False,
    output: Output = Path("runs"),
) -> None:
    """Run a recorded run again, no model, grounding its targets afresh."""
    from screenpilot.policies.replay import ReplayPolicy

    _require_trajectory(run_dir)
    with reading_input():
        policy = ReplayPolicy(run_dir)
    _finish(
        _drive(
            device,
            policy,
            f"replay of {policy.instruction}",
            output=output,
            confirm=confirmation(yes),
        )
    )


@app.command()
def report(run_dir: Annotated[Path, typer.Argument(help="A run folder.")]) -> None:
    """Rebuild a run's HTML report from its trajectory."""
    from screenpilot.agent.report import build_report

    _require_trajectory(run_dir)
    out.print(f"report: {build_report(run_dir)}")


def _require_trajectory(run_dir: Path) -> None:
    if not (run_dir / "trajectory.jsonl").exists():
        raise BadInputError(f"{run_dir} has no trajectory.jsonl")


@app.command("eval")
def evaluate(
    suite: Annotated[Path, typer.Argument(help="A YAML suite of tasks.")],
    device: DeviceOpt = "desktop",
    model: ModelOpt = None,
    server: ServerOpt = None,
    model_timeout: ModelTimeoutOpt = 120.0,
    policy: PolicyOpt = None,
    output: Output = Path("runs"),
    results: Annotated[Path | None, typer.Option(help="Write the results as JSON here.")] = None,
    elements: Annotated[
        str,
        typer.Option(
            help="Where elements come from: a11y (accessibility, then OCR), ocr (OCR only), "
            "or both (every run twice)."
        ),
    ] = "a11y",
    no_a11y: Annotated[bool, typer.Option("--no-a11y", help="Same as --elements ocr.")] = False,
    only: Annotated[
        list[str] | None, typer.Option(help="Only the tasks of this program (repeatable).")
    ] = None,
    task: Annotated[
        list[str] | None, typer.Option(help="Only the task of this name (repeatable).")
    ] = None,
    first_phrasing: Annotated[
        bool, typer.Option(help="Run only the first phrasing of each task.")
    ] = False,
) -> None:
    """Run a suite of tasks and tabulate successes, steps, model calls and times.

    Each phrasing of a task is its own run; a task passes when its first phrasing does.
    Prints every run, then tasks and runs passed per program and overall."""
    from rich.table import Table

    from screenpilot.agent.assembly import (
        check_device_spec,
        choose_family,
        choose_policy,
        make_policy,
    )
    from screenpilot.agent.evaluation import (
        as_json,
        load_suite,
        run_suite,
        select_runs,
        summarise,
    )
    from screenpilot.devices.virtual_display import wait_for_window
    from screenpilot.perception.ocr import RapidOcr, ScreenReader
    from screenpilot.perception.sizing import VisualBudget
    from screenpilot.policies.scripted import ScriptedPolicy, load_task

    modes = {"a11y": ["a11y"], "ocr": ["ocr"], "both": ["a11y", "ocr"]}.get(
        "ocr" if no_a11y else elements
    )
    with reading_input():
        if modes is None:
            raise InvalidInputError(
                "elements", [("", f"{elements!r} is not one of a11y, ocr, both")]
            )
        kind, _ = check_device_spec(device)
        if kind != "desktop" and modes != ["a11y"]:
            raise InvalidInputError("elements", [("", "OCR-only runs are for the desktop")])
        tasks = load_suite(suite)
        if not select_runs(tasks, programs=only or (), names=task or ()):
            raise InvalidInputError("only", [("", "no task of the suite is selected")])
        chosen = choose_policy(policy, has_model=bool(model or server))
        speaks = choose_family(None, model, server)
    # Another family than Qwen3-VL names pixels of the screenshot as sent: the runtime must
    # send it at the size the policy measures on.
    budget = None
    if speaks.name != "qwen3-vl":
        budget = speaks.visual_budget(VisualBudget(max_tokens=1280))
    runtime = (
        load_runtime(model, server, budget, timeout=model_timeout) if chosen != "rules" else None
    )

    def policy_for(fields: dict[str, Any]) -> Any:
        if "task" in fields:
            path = Path(fields["suite"]) / str(fields["task"]).format(**fields)
            return ScriptedPolicy(load_task(path))
        return make_policy(chosen, runtime, device=device, family=speaks, budget=budget)

    def device_for(mode: str) -> Any:
        if device == "desktop" and mode == "ocr":
            from screenpilot.devices.desktop import Desktop

            return lambda: Desktop(accessibility=False)
        return lambda: named_device(device)

    def show(r: Any) -> None:
        mark = "[green]pass[/]" if r.success else f"[red]{r.status}[/]"
        out.print(f"  [{r.mode}] {r.program}: {r.name} #{r.phrasing + 1} {mark} {r.seconds:.1f} s")

    reader = ScreenReader(RapidOcr())
    rows = []
    with display_or_virtual() if device == "desktop" else contextlib.nullcontext():
        for mode in modes:
            rows += run_suite(
                suite,
                device_for(mode),
                policy_for,
                output=output,
                reader=reader,
                # A window that never appears fails its task, not the whole suite.
                wait_for_window=wait_for_window if device == "desktop" else None,
                mode=mode,
                programs=only or (),
                names=task or (),
                first_phrasing_only=first_phrasing,
                on_result=show,
            )
    table = Table(title=f"{suite.name}: {sum(r.success for r in rows)}/{len(rows)} passed")
    for column in ("task", "program", "mode", "#", "result", "steps", "model calls", "seconds",
                   "detail"):  # fmt: skip
        table.add_column(column, overflow="fold")
    for r in rows:
        table.add_row(
            r.name,
            r.program,
            r.mode,
            str(r.phrasing + 1),
            "[green]pass[/]" if r.success else f"[red]{r.status}[/]",
            str(r.steps),
            str(r.model_calls),
            f"{r.seconds:.1f}",
            r.detail,
        )
    out.print(table)
    totals = Table(title="tasks passed at their first phrasing, and runs passed (every phrasing)")
    for column in ("mode", "program", "tasks", "runs", "median s/run"):
        totals.add_column(column)
    for mode, part in summarise(rows).items():
        for program, tally in [*part["programs"].items(), ("overall", part["overall"])]:
            totals.add_row(
                mode,
                f"[bold]{program}[/]" if program == "overall" else program or "-",
                f"{tally['tasks_passed']}/{tally['tasks']}",
                f"{tally['runs_passed']}/{tally['runs']}",
                f"{tally['median_seconds']}",
            )
    out.print(totals)
    if results is not None:
        results.write_text(
            json.dumps(as_json(rows), indent=2, ensure_ascii=False), encoding="utf-8"
        )
        out.print(f"results: {results}")
    if not all(r.success for r in rows):
        raise typer.Exit(EXIT_FAILURE)
