"""The commands that run task files: `script` (once, or once per data row on one device or
several) and `merge` (the results of `script --shard` runs joined)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from screenpilot.cli import EXIT_CANCELLED, EXIT_FAILURE, BadInputError, app, out, reading_input
from screenpilot.cli.agent_commands import (
    DeviceOpt,
    DryRunOpt,
    NoReportOpt,
    Output,
    YesOpt,
    confirmation,
    named_device,
    step_printer,
)


@app.command()
def script(
    task: Annotated[Path, typer.Argument(help="A YAML task file.")],
    device: DeviceOpt = "desktop",
    devices: Annotated[
        str | None,
        typer.Option(
            help="Several devices, comma-separated (android:A,android:B): one row each at a time."
        ),
    ] = None,
    rows: Annotated[
        str | None, typer.Option(help="Only these data rows: 3-7, 3, 3-7,10,12- (from 1).")
    ] = None,
    shard: Annotated[
        str | None, typer.Option(help="I/N: rows I, I+N, I+2N... (N processes split the rows).")
    ] = None,
    resume: Annotated[
        Path | None, typer.Option(help="A results file: run the rows not yet `success` in it.")
    ] = None,
    data: Annotated[
        Path | None, typer.Option(help="Data rows (CSV or XLSX) instead of the file's.")
    ] = None,
    results: Annotated[
        Path | None, typer.Option(help="The results CSV instead of the file's `output`.")
    ] = None,
    var: Annotated[
        list[str] | None, typer.Option(help="NAME=VALUE, over the file's variables (repeatable).")
    ] = None,
    stop_on_error: Annotated[
        bool, typer.Option(help="Stop at the first failing row instead of going on.")
    ] = False,
    dry_run: DryRunOpt = False,
    yes: YesOpt = False,
    output: Output = Path("runs"),
    no_report: NoReportOpt = False,
) -> None:
    """Run an RPA task file, once per data row if it has `data` (validated before anything
    runs). A failing row is marked in the results and the next row starts."""
    from screenpilot.agent.assembly import check_device_spec
    from screenpilot.rpa.rows import parse_row_ranges, parse_shard
    from screenpilot.rpa.runner import Selection, prepare

    specs = [d.strip() for d in devices.split(",") if d.strip()] if devices else [device]
    with reading_input():
        for spec in specs:
            check_device_spec(spec)
        selection = Selection(
            ranges=parse_row_ranges(rows) if rows else None,
            shard=parse_shard(shard) if shard else None,
            resume=resume,
            data=data,
            output=results if results is not None else resume,
            variables=_variables(var or []),
        )
        prepared = prepare(task, selection)
    if not prepared.rows:
        out.print("no rows to run (all done, or none chosen)")
        return
    _run_rows(task, prepared, specs, dry_run=dry_run, yes=yes, output=output,
              stop_on_error=stop_on_error, report=not no_report)  # fmt: skip


def _variables(pairs: list[str]) -> dict[str, str]:
    values = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise BadInputError(f"--var takes NAME=VALUE, not {pair!r}")
        values[name.strip()] = value
    return values


def _run_rows(
    task: Path, prepared: Any, specs: list[str], *, dry_run: bool, yes: bool, output: Path,
    stop_on_error: bool, report: bool = True,
) -> None:  # fmt: skip
    """Run the prepared rows, showing each step (one row without data) or a progress bar
    over the rows; exit 1 when a row failed."""
    from rich.markup import escape

    from screenpilot.perception.ocr import RapidOcr, ScreenReader
    from screenpilot.rpa.runner import RowDone, RowRunner

    engine = RapidOcr()
    desktop = all(spec == "desktop" for spec in specs)
    launcher_for = None
    if desktop:
        from screenpilot.rpa.launcher import ProgramLauncher

        launcher_for = lambda: ProgramLauncher(task.resolve().parent)  # noqa: E731
    single = not prepared.has_data and len(specs) == 1
    counts = {"success": 0, "failure": 0}

    def opener(spec: str) -> Any:
        return lambda: named_device(spec)

    progress: Any = None
    bar: Any = None
    total = len(prepared.rows)

    def heard(done: RowDone) -> None:
        counts["success" if done.ok else "failure"] += 1
        if single:
            return
        line = (
            f"row {done.row.number}: {'[green]' if done.ok else '[red]'}{done.status}[/] "
            f"{escape(done.message)} ({done.seconds:.1f} s)"
        )
        if progress is not None:
            progress.console.print(line)
            progress.update(bar, advance=1, description=_tally(counts, total))
        else:
            out.print(line)

    runner = RowRunner(
        prepared,
        [opener(spec) for spec in specs],
        output=output,
        readers=lambda: ScreenReader(engine),
        confirm=confirmation(yes),
        dry_run=dry_run,
        stop_on_error=stop_on_error,
        launcher_for=launcher_for,
        observers=(lambda: [step_printer()]) if single else tuple,
        on_row=heard,
        report=report,
    )
    if not single and out.is_terminal:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        with Progress(
            "{task.description}", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
            console=out,
        ) as progress:  # fmt: skip
            bar = progress.add_task(_tally(counts, total), total=total)
            done = runner.run()
    else:
        done = runner.run()
    if single:
        row = done[0]
        colour = "green" if row.ok else "red"
        out.print(f"[{colour}]{row.status}[/]: {escape(row.message)} ({row.seconds:.1f} s)")
        if row.report is not None:
            out.print(f"report: {escape(str(row.report))}")
    else:
        out.print(f"{counts['success']} of {len(done)} rows succeeded; report: "
                  f"{escape(str(runner.folder / 'report.html'))}")  # fmt: skip
        if prepared.output is not None and not dry_run:
            out.print(f"results: {escape(str(prepared.output))}")
    if any(d.status == "cancelled" for d in done):
        raise typer.Exit(EXIT_CANCELLED)
    if not all(d.ok for d in done):
        raise typer.Exit(EXIT_FAILURE)


def _tally(counts: dict[str, int], total: int) -> str:
    return f"rows: {counts['success']} ok, {counts['failure']} failed of {total}"


@app.command()
def merge(
    results: Annotated[Path, typer.Argument(help="The merged results CSV to write.")],
    parts: Annotated[list[Path], typer.Argument(help="The shards' results CSVs.")],
) -> None:
    """Join the results files of `script --shard` runs into one, in row order."""
    from screenpilot.rpa.results import merge as merge_files

    with reading_input():
        count = merge_files(parts, results)
    out.print(f"{count} rows from {len(parts)} files: {results}")
