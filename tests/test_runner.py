"""The row runner on fake desktops (fast tier): one agent run per data row, a failing row
marked and followed by on_error and the next row, the results file, --resume, shards that
merge into one full run, two devices at once, and secrets kept out of every output."""

from __future__ import annotations

import csv
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from screenpilot.actions.executor import Pacing
from screenpilot.devices.protocol import Device
from screenpilot.rpa.results import merge
from screenpilot.rpa.runner import Prepared, RowRunner, Selection, prepare
from tests.fake_device import FakeDesktop, Widget

TASK = """
name: Register customers
data: customers.csv
output: results.csv
secrets: {pin: TEST_PIN}
steps:
  - {type: type, text: "${name}", target: the Name field, clear_first: true}
  - if: {text: "${expect}"}
    then:
      - read: {target: Customer number, pattern: '\\d+', into: number}
    else:
      - {type: click, target: the Missing button}
  - {type: type, text: "${pin}", target: the PIN field, clear_first: true}
on_error:
  - {type: click, target: Back to the list}
"""
ROWS = "name,expect\nZoë,Customer\n北京,Nope\nBob,Customer\n"


def desktop() -> FakeDesktop:
    return FakeDesktop(
        [
            Widget("text", "Name", (20, 20, 80, 40)),
            Widget("entry", "", (100, 18, 400, 42)),
            Widget("text", "PIN", (20, 60, 80, 80)),
            Widget("entry", "", (100, 58, 400, 82)),
            Widget("text", "Customer number: 4711", (20, 100, 250, 120)),
            Widget("button", "Back to the list", (300, 150, 390, 180)),
        ]
    )


def folder(tmp_path: Path, rows: str = ROWS) -> Path:
    (tmp_path / "task.yaml").write_text(textwrap.dedent(TASK), encoding="utf-8")
    (tmp_path / "customers.csv").write_text(rows, encoding="utf-8")
    return tmp_path / "task.yaml"


def results(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def runner(
    prepared: Prepared, tmp_path: Path, devices: list[Callable[[], Device]], **kw: object
) -> RowRunner:
    fast = Pacing(settle_timeout=0.2, settle_interval=0.01, react=0.0)
    return RowRunner(prepared, devices, output=tmp_path / "runs", pacing=fast, **kw)  # type: ignore[arg-type]


ENV = {"TEST_PIN": "s3cret-pin"}


def test_each_row_runs_and_a_failing_row_does_not_stop_the_run(tmp_path: Path) -> None:
    prepared = prepare(folder(tmp_path), Selection(), ENV)
    devices = [desktop()]
    done = runner(prepared, tmp_path, [lambda: devices[0]]).run()
    assert [(d.row.number, d.status) for d in done] == [
        (1, "success"),
        (2, "failure"),
        (3, "success"),
    ]
    lines = results(tmp_path / "results.csv")
    assert [line["row"] for line in lines] == ["1", "2", "3"]
    assert (
        lines[0]["name"] == "Zoë"
        and lines[0]["number"] == "4711"
        and lines[0]["status"] == "success"
    )
    assert (
        lines[1]["name"] == "北京" and lines[1]["status"] == "failure" and lines[1]["number"] == ""
    )
    assert "task.yaml" in lines[1]["message"]
    assert devices[0].widgets[5].presses == 1  # on_error ran once, after row 2
    # The secret reached the field but no output.
    assert devices[0].widgets[3].value == "s3cret-pin"
    for path in [
        tmp_path / "results.csv",
        *tmp_path.glob("runs/**/*.jsonl"),
        *tmp_path.glob("runs/**/*.html"),
    ]:
        assert "s3cret-pin" not in path.read_text(encoding="utf-8"), path
    summary = (next((tmp_path / "runs").iterdir()) / "report.html").read_text(encoding="utf-8")
    assert "2 of 3 rows succeeded" in summary and summary.count('href="row-') == 3


def test_stop_on_error_stops_after_the_first_failing_row(tmp_path: Path) -> None:
    prepared = prepare(folder(tmp_path), Selection(), ENV)
    done = runner(prepared, tmp_path, [desktop], stop_on_error=True).run()
    assert [d.row.number for d in done] == [1, 2]


def test_resume_runs_only_the_rows_not_yet_done(tmp_path: Path) -> None:
    path = folder(tmp_path)
    runner(prepare(path, Selection(), ENV), tmp_path, [desktop]).run()
    (tmp_path / "customers.csv").write_text(ROWS.replace("Nope", "Customer"), encoding="utf-8")
    again = prepare(path, Selection(resume=tmp_path / "results.csv"), ENV)
    assert [r.number for r in again.rows] == [2]
    runner(again, tmp_path, [desktop]).run()
    lines = results(tmp_path / "results.csv")
    assert [(line["row"], line["status"]) for line in lines][-1] == ("2", "success")


def test_two_shards_merge_into_what_one_run_writes(tmp_path: Path) -> None:
    path = folder(tmp_path)
    full = tmp_path / "full.csv"
    runner(prepare(path, Selection(output=full), ENV), tmp_path, [desktop]).run()
    parts = []
    for i in (1, 2):
        part = tmp_path / f"part{i}.csv"
        runner(prepare(path, Selection(shard=(i, 2), output=part), ENV), tmp_path, [desktop]).run()
        parts.append(part)
    merged = tmp_path / "merged.csv"
    assert merge(parts, merged) == 3
    strip = lambda rows: [{k: v for k, v in r.items() if k != "seconds"} for r in rows]  # noqa: E731
    assert strip(results(merged)) == strip(results(full))


def test_two_devices_share_the_rows(tmp_path: Path) -> None:
    rows = "name,expect\n" + "".join(f"p{n},Customer\n" for n in range(6))
    prepared = prepare(folder(tmp_path, rows), Selection(), ENV)
    phones = [desktop(), desktop()]
    done = runner(prepared, tmp_path, [lambda: phones[0], lambda: phones[1]]).run()
    assert sorted(d.row.number for d in done) == [1, 2, 3, 4, 5, 6] and all(d.ok for d in done)
    assert all(any(c[0] == "type" for c in p.calls) for p in phones)  # both did rows
    assert all(p.closed for p in phones)


def test_a_bad_file_is_refused_before_any_row_runs(tmp_path: Path) -> None:
    from screenpilot.policies.base import PolicyError

    path = folder(tmp_path, "nme,expect\nZoë,Customer\n")
    with pytest.raises(PolicyError, match=r"task.yaml:7: unknown variable \$\{name\}"):
        prepare(path, Selection(), ENV)
    (tmp_path / "customers.csv").unlink()
    with pytest.raises(Exception, match=r"customers\.csv"):
        prepare(path, Selection(), ENV)


def test_a_missing_data_file_is_refused_at_the_line_that_names_it(tmp_path: Path) -> None:
    from screenpilot.errors import InvalidInputError
    from screenpilot.policies.base import PolicyError

    path = folder(tmp_path)
    (tmp_path / "customers.csv").unlink()
    with pytest.raises(PolicyError, match=r"task.yaml:3: invalid data file .*customers\.csv"):
        prepare(path, Selection(), ENV)
    # --data names a file of the command line's: there is no line of the task file to name.
    with pytest.raises(InvalidInputError, match=r"^invalid data file .*other\.csv: no such file"):
        prepare(path, Selection(data=tmp_path / "other.csv"), ENV)


def test_rows_and_variables_from_the_command_line(tmp_path: Path) -> None:
    from screenpilot.rpa.rows import parse_row_ranges

    prepared = prepare(
        folder(tmp_path), Selection(ranges=parse_row_ranges("2-3"), variables={"extra": "x"}), ENV
    )
    assert [r.number for r in prepared.rows] == [2, 3]
