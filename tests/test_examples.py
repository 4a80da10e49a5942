"""The examples in examples/ run as their docstrings say."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from screenpilot.devices.adb import AdbClient
from screenpilot.devices.virtual_display import XSession
from screenpilot.policies.scripted import load_task
from screenpilot.sim.adb_server import FakeAdbServer
from screenpilot.sim.phone import SimulatedPhone

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def example(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *argv],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env=env,
    )


def validate(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EXAMPLES / "validate_actions.py"), str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_example_action_chain_is_valid() -> None:
    result = validate(EXAMPLES / "form_actions.yaml")
    assert result.returncode == 0, result.stderr
    actions = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a["type"] for a in actions] == [
        "click", "type", "type", "click", "scroll", "key", "wait", "click", "finish",
    ]  # fmt: skip
    assert actions[0]["target"] == {"kind": "description", "text": "the Name field"}
    assert actions[1]["text"] == "Zoë 北京"
    assert actions[7]["target"] == {"kind": "point", "x": 960.0, "y": 540.0}


def test_an_invalid_step_is_reported_by_number(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("- {type: click, target: 'OK'}\n- {type: swipe, start: [1, 2]}\n")
    result = validate(bad)
    assert result.returncode == 2
    assert "step 2: invalid swipe action: a swipe needs an end" in result.stderr


@pytest.mark.integration
def test_the_python_api_example_fills_the_form_on_its_own_display(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "DBUS_SESSION_BUS_ADDRESS")}
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "python_api.py")],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "'name': 'Ada Lovelace', 'email': 'ada@example.org', 'subscribe': True" in done.stdout
    assert list((tmp_path / "runs").glob("*/report.html"))


@pytest.mark.integration
def test_the_android_login_example_logs_in_and_keeps_the_password_out(tmp_path: Path) -> None:
    env = {**os.environ, "PHONE_PASSWORD": "pa55;$(word)"}
    done = example(
        str(EXAMPLES / "android_login.py"), "--simulated", "--output", str(tmp_path), env=env
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "logged in as 'bob'" in done.stdout
    (folder,) = tmp_path.iterdir()
    assert "pa55" not in folder.name
    for record in (folder / "trajectory.jsonl", folder / "report.html"):
        assert "pa55" not in record.read_text(encoding="utf-8")
    assert "pa55" not in done.stdout


@pytest.mark.integration
def test_the_phone_task_file_runs_through_the_cli_on_the_simulated_phone(
    tmp_path: Path,
) -> None:
    phone = SimulatedPhone()
    with FakeAdbServer([phone]) as server:
        # What examples/simulated_phone.py prints: adb clients find the server by this.
        env = {**os.environ, "ANDROID_ADB_SERVER_PORT": str(server.port), "PHONE_PASSWORD": "x1"}
        done = example(
            "-m",
            "screenpilot",
            "script",
            str(EXAMPLES / "tasks" / "phone_login.yaml"),
            "--device",
            "android",
            "--yes",
            "--output",
            str(tmp_path),
            env=env,
        )
    assert done.returncode == 0, done.stdout + done.stderr
    assert phone.logged_in_as == "bob" and phone.fields["password"] == "x1"


def test_the_desktop_task_file_fills_the_form(
    xsession: XSession, tk_form: Path, tmp_path: Path
) -> None:
    task = EXAMPLES / "tasks" / "desktop_form.yaml"
    assert len(load_task(task).steps) == 5
    done = example(
        "-m", "screenpilot", "script", str(task), "--output", str(tmp_path), env=dict(os.environ)
    )
    assert done.returncode == 0, done.stdout + done.stderr
    saved = json.loads(tk_form.read_text(encoding="utf-8"))
    assert saved == {"name": "Zoë 北京", "email": "zoe@example.org", "subscribe": True}


def test_the_simulated_phone_example_serves_a_phone_to_adb_clients() -> None:
    server = subprocess.Popen(
        [sys.executable, str(EXAMPLES / "simulated_phone.py"), "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        server.stdout.readline()
        export = server.stdout.readline().strip()
        assert export.startswith("export ANDROID_ADB_SERVER_PORT=")
        port = int(export.rsplit("=", 1)[1])
        listed = AdbClient(port=port, timeout=5).devices()
        assert [(d.serial, d.state) for d in listed] == [("emulator-5554", "device")]
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_the_data_driven_task_file_registers_every_contact_in_the_form(
    xsession: XSession, tmp_path: Path
) -> None:
    task = EXAMPLES / "tasks" / "register_contacts.yaml"
    results = tmp_path / "results.csv"
    done = example(
        "-m", "screenpilot", "script", str(task), "--var", f"forms={tmp_path}",
        "--results", str(results), "--output", str(tmp_path / "runs"), env=dict(os.environ),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    with (EXAMPLES / "tasks" / "contacts.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) >= 3 and any(not r["name"].isascii() for r in rows)
    for row in rows:  # what the form itself saved, one launch of it per row
        saved = json.loads((tmp_path / f"contact-{row['id']}.json").read_text(encoding="utf-8"))
        assert saved == {"name": row["name"], "email": row["email"], "subscribe": False}
    with results.open(encoding="utf-8", newline="") as f:
        lines = list(csv.DictReader(f))
    assert [(r["id"], r["status"]) for r in lines] == [(r["id"], "success") for r in rows]
    assert not (EXAMPLES / "tasks" / "contacts-results.csv").exists()
