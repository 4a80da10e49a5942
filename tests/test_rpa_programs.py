"""Task files with data rows on real programs (issue 13's done-when): zenity and yad dialogs
on the test desktop, launched by the task itself, and two simulated phones behind one adb
server. Each test writes its task file, its data and the little shell scripts that start
the dialogs into tmp_path, runs `screenpilot script` as a user would (a subprocess), and
judges by what the programs themselves wrote: a dialog prints what was typed into it when
OK closes it, and the scripts here keep that in a file.

zenity and yad are GTK: they expose an accessibility tree (the desktop switches the bus
on), so no step here waits for OCR.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from screenpilot.devices.virtual_display import XSession

pytestmark = pytest.mark.integration

SECRET = "pin-9;$(id)"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def script(
    *args: str | Path, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`screenpilot script ...` run as a user would, with its records under cwd/runs."""
    return subprocess.run(
        [sys.executable, "-m", "screenpilot", "script", *map(str, args), "-o", str(cwd / "runs")],
        capture_output=True,
        text=True,
        timeout=150,
        check=False,
        cwd=cwd,
        env={**os.environ, **(env or {})},
    )


def results(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def left_running(marker: Path) -> list[str]:
    """Command lines of processes still alive that mention `marker` (the test's folder)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = next(
                line
                for line in (proc / "status").read_text().splitlines()
                if line.startswith("State:")
            )
        except (OSError, StopIteration):
            continue
        if str(marker) in cmdline and "zombie" not in state:
            found.append(cmdline)
    return found


def records(folder: Path) -> Iterator[Path]:
    """Every file a run leaves that a person reads: trajectories, reports, results."""
    for pattern in ("runs/**/*.jsonl", "runs/**/*.html", "*.csv"):
        yield from folder.glob(pattern)


def ok(done: subprocess.CompletedProcess[str]) -> str:
    return done.stdout + done.stderr


# ---------------------------------------------------------------- rows into real dialogs
# A contact form: what is typed into it is written to out-ID.txt when OK closes it. The
# script runs it with the test folder in its arguments, so that a dialog left running can
# be found.
CONTACT_FORM = """
    exec zenity --forms --title="Contact $1" --text="New contact $2" \\
      --add-entry=Name --add-entry=City --add-password=PIN > "out-$1.txt"
"""


def test_csv_rows_fill_a_form_the_task_launches_and_the_secret_stays_out(
    xsession: XSession, tmp_path: Path
) -> None:
    write(tmp_path, "form.sh", CONTACT_FORM)
    write(tmp_path, "people.csv", "id,name,city\n1,Zoë,北京\n2,Bob Stone,Lyon\n")
    task = write(
        tmp_path,
        "contacts.yaml",
        f"""
        name: Register contacts
        data: people.csv
        output: results.csv
        secrets: {{pin: TEST_PIN}}
        steps:
          - launch: [sh, form.sh, "${{id}}", {str(tmp_path)!r}]
            window: Contact ${{id}}
          - {{type: type, text: "${{name}}", target: the Name field}}
          - {{type: type, text: "${{city}}", target: the City field}}
          - {{type: type, text: "${{pin}}", target: the PIN field}}
          - {{type: click, target: the OK button}}
        """,
    )
    done = script(task, "--yes", cwd=tmp_path, env={"TEST_PIN": SECRET})
    assert done.returncode == 0, ok(done)
    assert (tmp_path / "out-1.txt").read_text(encoding="utf-8") == f"Zoë|北京|{SECRET}\n"
    assert (tmp_path / "out-2.txt").read_text(encoding="utf-8") == f"Bob Stone|Lyon|{SECRET}\n"
    lines = results(tmp_path / "results.csv")
    assert [(r["row"], r["name"], r["city"], r["status"]) for r in lines] == [
        ("1", "Zoë", "北京", "success"),
        ("2", "Bob Stone", "Lyon", "success"),
    ]
    assert left_running(tmp_path) == []
    assert len(list(records(tmp_path))) >= 5  # 2 trajectories, 2 + 1 reports, results
    for path in records(tmp_path):
        assert "pin-9" not in path.read_text(encoding="utf-8"), path
    assert "pin-9" not in done.stdout + done.stderr


def test_xlsx_rows_fill_a_yad_form(xsession: XSession, tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (["name", "city"], ["Zoë", "北京"], ["Åsa Öberg", "Malmö"]):
        sheet.append(row)
    book.save(tmp_path / "people.xlsx")
    write(
        tmp_path,
        "form.sh",
        'exec yad --title="Contact $1" --form --field=Name --field=City > "out-$1.txt"\n',
    )
    task = write(
        tmp_path,
        "contacts.yaml",
        """
        data: people.xlsx
        output: results.csv
        steps:
          - launch: [sh, form.sh, "${name}"]
            window: Contact ${name}
          - {type: type, text: "${name}", target: the Name field}
          - {type: type, text: "${city}", target: the City field}
          - {type: click, target: the OK button}
        """,
    )
    done = script(task, cwd=tmp_path)
    assert done.returncode == 0, ok(done)
    assert (tmp_path / "out-Zoë.txt").read_text(encoding="utf-8") == "Zoë|北京|\n"
    assert (tmp_path / "out-Åsa Öberg.txt").read_text(encoding="utf-8") == "Åsa Öberg|Malmö|\n"
    assert [r["status"] for r in results(tmp_path / "results.csv")] == ["success", "success"]


# A question whose text the row decides; the answer is written to answer-ID.txt.
QUESTION = """
    zenity --question --title="Customer $1" --text="$2" && echo yes > "answer-$1.txt" \\
      || echo no > "answer-$1.txt"
"""


def test_if_then_else_goes_both_ways_and_read_keeps_what_the_dialog_says(
    xsession: XSession, tmp_path: Path
) -> None:
    write(tmp_path, "ask.sh", QUESTION)
    write(
        tmp_path,
        "customers.csv",
        "id,text\n1,Customer number: 4711. Keep it?\n2,Duplicate customer. Keep it?\n",
    )
    task = write(
        tmp_path,
        "check.yaml",
        """
        data: customers.csv
        output: results.csv
        steps:
          - launch: [sh, ask.sh, "${id}", "${text}"]
            window: Customer ${id}
          - if: {text: Duplicate}
            then:
              - {type: click, target: the No button}
            else:
              - read: {target: Customer number, pattern: 'number: (\\d+)', into: number}
              - read: {target: Customer number, into: said}
              - if: {not: {element: the No button}}
                then:
                  - {type: click, target: the Cancel button}
                else:
                  - {type: click, target: the Yes button}
        """,
    )
    done = script(task, cwd=tmp_path)
    assert done.returncode == 0, ok(done)
    assert (tmp_path / "answer-1.txt").read_text() == "yes\n"  # else, then the inner else
    assert (tmp_path / "answer-2.txt").read_text() == "no\n"  # then
    lines = results(tmp_path / "results.csv")
    assert [(r["row"], r["number"], r["said"], r["status"]) for r in lines] == [
        ("1", "4711", "Customer number: 4711. Keep it?", "success"),
        ("2", "", "", "success"),
    ]


def test_for_and_include_run_their_steps_once_per_item(xsession: XSession, tmp_path: Path) -> None:
    write(
        tmp_path,
        "entry.sh",
        'exec zenity --entry --title="Item $1" --text="How many $1?" > "item-$1.txt"\n',
    )
    write(
        tmp_path,
        "common/answer.yaml",
        """
        variables: {answer: nothing}
        steps:
          - {type: type, text: "${answer}", target: the text field}
          - {type: click, target: the OK button}
        """,
    )
    write(tmp_path, "orders.csv", "customer,items,count\nZoë,Milk; Brot;北京烤鸭,2\n")
    task = write(
        tmp_path,
        "order.yaml",
        """
        data: orders.csv
        output: results.csv
        steps:
          - for: {each: item, in: "${items}"}
            steps:
              - launch: [sh, entry.sh, "${item}"]
                window: Item ${item}
              - include: common/answer.yaml
                variables: {answer: "${count} for ${customer}"}
        """,
    )
    done = script(task, cwd=tmp_path)
    assert done.returncode == 0, ok(done)
    for item in ("Milk", "Brot", "北京烤鸭"):
        assert (tmp_path / f"item-{item}.txt").read_text(encoding="utf-8") == "2 for Zoë\n", item
    assert [r["status"] for r in results(tmp_path / "results.csv")] == ["success"]


# ---------------------------------------------------------------- failing rows, resume, shards
INFO = """
    zenity --info --title="Customer $1" --text="$2 ($3)" && echo closed > "closed-$1.txt"
"""
LOOKUP = """
    data: customers.csv
    output: results.csv
    steps:
      - launch: [sh, info.sh, "${id}", "${text}", "%s"]
        window: Customer ${id}
      - assert: {text: Customer number}
        timeout: 2
      - read: {target: Customer number, pattern: '\\d+', into: number}
    on_error:
      - {type: click, target: the OK button}
"""


def lookup(folder: Path, rows: str) -> Path:
    write(folder, "info.sh", INFO)
    write(folder, "customers.csv", rows)
    return write(folder, "lookup.yaml", LOOKUP % folder)


def test_a_failing_row_runs_on_error_and_the_next_row_succeeds_then_resume_redoes_it(
    xsession: XSession, tmp_path: Path
) -> None:
    rows = "id,text\n1,Customer number: 101\n2,Duplicate\n3,Customer number: 303\n"
    task = lookup(tmp_path, rows)
    done = script(task, cwd=tmp_path)
    assert done.returncode == 1, ok(done)
    lines = results(tmp_path / "results.csv")
    assert [(r["row"], r["status"], r["number"]) for r in lines] == [
        ("1", "success", "101"),
        ("2", "failure", ""),
        ("3", "success", "303"),
    ]
    assert "lookup.yaml:6" in lines[1]["message"]  # the assert step's line
    # on_error clicked OK on row 2's dialog (the dialog wrote so); rows 1 and 3 left theirs
    # open, and the launcher ended them with the row.
    assert sorted(p.name for p in tmp_path.glob("closed-*.txt")) == ["closed-2.txt"]
    assert left_running(tmp_path) == []

    (tmp_path / "customers.csv").write_text(rows.replace("Duplicate", "Customer number: 202"))
    again = script(task, "--resume", tmp_path / "results.csv", cwd=tmp_path)
    assert again.returncode == 0, ok(again)
    lines = results(tmp_path / "results.csv")
    assert [(r["row"], r["status"], r["number"]) for r in lines][3:] == [("2", "success", "202")]
    assert (
        "no rows to run" in script(task, "--resume", tmp_path / "results.csv", cwd=tmp_path).stdout
    )


def test_two_shards_merged_equal_one_full_run(xsession: XSession, tmp_path: Path) -> None:
    rows = "".join(f"{n},Customer number: {n}0{n}\n" for n in (1, 2, 3))
    task = lookup(tmp_path, "id,text\n" + rows)
    full = script(task, "--results", tmp_path / "full.csv", cwd=tmp_path)
    assert full.returncode == 0, ok(full)
    for i in (1, 2):
        part = script(
            task, "--shard", f"{i}/2", "--results", tmp_path / f"part{i}.csv", cwd=tmp_path
        )
        assert part.returncode == 0, ok(part)
    assert [r["row"] for r in results(tmp_path / "part1.csv")] == ["1", "3"]
    assert [r["row"] for r in results(tmp_path / "part2.csv")] == ["2"]
    merged = subprocess.run(
        [
            sys.executable,
            "-m",
            "screenpilot",
            "merge",
            *(str(tmp_path / n) for n in ("merged.csv", "part1.csv", "part2.csv")),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert merged.returncode == 0, merged.stdout + merged.stderr

    def strip(path: Path) -> list[dict[str, str]]:
        return [{k: v for k, v in r.items() if k != "seconds"} for r in results(path)]

    assert strip(tmp_path / "merged.csv") == strip(tmp_path / "full.csv")
    assert [r["number"] for r in results(tmp_path / "merged.csv")] == ["101", "202", "303"]


# ---------------------------------------------------------------- two phones
def test_two_simulated_phones_each_log_in_a_user_of_the_rows(tmp_path: Path) -> None:
    from screenpilot.sim.adb_server import FakeAdbServer
    from screenpilot.sim.phone import SimulatedPhone

    write(tmp_path, "users.csv", "user\nann\nbob\n")
    task = write(
        tmp_path,
        "login.yaml",
        """
        name: Log in on the phones
        data: users.csv
        output: results.csv
        secrets: {password: PHONE_PASSWORD}
        steps:
          - {type: type, text: "${user}", target: the Username field}
          - {type: type, text: "${password}", target: the Password field}
          - {type: click, target: the Sign in button, retries: 1}
          - assert: {text: "Welcome, ${user}"}
            timeout: 5
        """,
    )
    phones = [SimulatedPhone(serial="emulator-5554"), SimulatedPhone(serial="emulator-5556")]
    with FakeAdbServer(phones) as server:
        done = script(
            task,
            "--devices",
            "android:emulator-5554,android:emulator-5556",
            "--yes",
            cwd=tmp_path,
            env={"ANDROID_ADB_SERVER_PORT": str(server.port), "PHONE_PASSWORD": SECRET},
        )
    assert done.returncode == 0, ok(done)
    assert sorted(str(p.logged_in_as) for p in phones) == ["ann", "bob"]
    assert all(p.fields["password"] == SECRET for p in phones)
    assert all(p.interpreted == [] for p in phones)  # the secret's $(id) reached no shell
    assert [r["status"] for r in results(tmp_path / "results.csv")] == ["success", "success"]
    for path in records(tmp_path):
        assert "pin-9" not in path.read_text(encoding="utf-8"), path
    assert "pin-9" not in done.stdout + done.stderr


# ---------------------------------------------------------------- bad files
STEPS = """
  - launch: [touch, ran]
  - {type: type, text: "${name}", target: the Name field}
"""


@pytest.mark.parametrize(
    ("text", "where", "reason"),
    [
        ("data: people.csv\nsteps:" + STEPS + "  - {type: click, target: OK, colour: red}\n",
         "t.yaml:5:", "`colour`: unknown key"),
        ("data: people.csv\nsteps:" + STEPS + "  - {type: wait, seconds: lots}\n",
         "t.yaml:5:", "`seconds`"),
        ("data: nobody.csv\nsteps:" + STEPS, "t.yaml:1:", "nobody.csv: no such file"),
        ("data: people.csv\nsteps:" + STEPS + "  - {type: type, text: '${tel}', target: Tel}\n",
         "t.yaml:5:", "unknown variable ${tel}"),
        ("data: people.csv\nsteps:" + STEPS + "  - read: {target: Customer number}\n",
         "t.yaml:5:", "`read.into`: is missing"),
    ],
    ids=["unknown key", "wrong type", "missing data file", "column not in data", "read no into"],
)  # fmt: skip
def test_a_bad_task_file_exits_2_naming_file_and_line_before_anything_runs(
    tmp_path: Path, text: str, where: str, reason: str
) -> None:
    write(tmp_path, "people.csv", "name,city\nZoë,北京\n")
    (tmp_path / "t.yaml").write_text(text, encoding="utf-8")
    done = script(tmp_path / "t.yaml", cwd=tmp_path, env={"DISPLAY": ":404"})
    assert done.returncode == 2, ok(done)
    message = " ".join(ok(done).split())  # rich wraps long lines
    assert where in message and reason in message, message
    assert not (tmp_path / "ran").exists() and not (tmp_path / "runs").exists()
