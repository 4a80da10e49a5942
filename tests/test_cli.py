"""The command line, run as a user runs it: a real subprocess with no display."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["COLUMNS"] = "200"
    return subprocess.run(
        [sys.executable, "-m", "screenpilot", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_import_needs_no_display_gpu_or_heavy_library() -> None:
    code = (
        "import sys, screenpilot, screenpilot.actions, screenpilot.perception, "
        "screenpilot.models.tool_calls, screenpilot.agent, screenpilot.devices, "
        "screenpilot.policies\n"
        "heavy = {'torch', 'transformers', 'pyautogui', 'mss', 'ppadb', 'onnxruntime', "
        "'typer', 'rich', 'cv2'}\n"
        "print(sorted(heavy & set(sys.modules)))"
    )
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip() == "[]"


def test_the_agent_entry_point_is_there_without_loading_it_up_front() -> None:
    code = (
        "import sys, screenpilot\n"
        "print('screenpilot.agent.loop' in sys.modules)\n"
        "from screenpilot import Agent\n"
        "print(Agent.__module__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "screenpilot.agent.loop"]


def test_tour_runs_offline_and_refuses_the_bad_answer() -> None:
    result = run("tour")
    assert result.returncode == 0, result.stderr
    assert "1920x1088" in result.stdout and "2040" in result.stdout
    assert "1504x832" in result.stdout and "1222" in result.stdout
    assert '"type":"click"' in result.stdout
    assert '"keys":["ctrl","s"]' in result.stdout
    assert "refused" in result.stdout and "less than or equal to 1000" in result.stdout


def test_tokens_command() -> None:
    result = run("tokens", "1920x1080", "--max-tokens", "1280")
    assert result.returncode == 0
    assert "1920x1080 -> 1504x832: 1222 visual tokens" in result.stdout
    assert run("tokens", "19x20x30").returncode == 2
    assert run("tokens", "10x5000").returncode == 2


def test_tool_call_command_prints_the_action_and_exits_2_on_bad_input() -> None:
    ok = run(
        "tool-call",
        '{"name": "computer_use", "arguments": {"action": "left_click", "coordinate": [500, 500]}}',
        "--screen",
        "1280x720",
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout) == {
        "type": "click",
        "target": {"x": 640.0, "y": 360.0, "kind": "point"},
        "button": "left",
        "count": 1,
        "ensure": None,
    }
    bad = run("tool-call", '{"name": "computer_use", "arguments": {"action": "wait"}}')
    assert bad.returncode == 2
    assert "needs `time`" in bad.stderr
    garbage = run("tool-call", "not json at all")
    assert garbage.returncode == 2
    assert "invalid call" in garbage.stderr


def test_schema_command_writes_a_valid_schema(tmp_path: Path) -> None:
    target = tmp_path / "actions.schema.json"
    result = run("schema", "--output", str(target))
    assert result.returncode == 0
    jsonschema.Draft202012Validator.check_schema(json.loads(target.read_text()))


def test_schema_of_actions_is_a_json_schema_that_an_action_meets() -> None:
    result = run("schema", "--of", "actions")
    assert result.returncode == 0, result.stderr
    described = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(described)
    validator = jsonschema.Draft202012Validator(described)
    click = {"type": "click", "target": {"kind": "description", "text": "the Submit button"}}
    assert not list(validator.iter_errors(click))
    assert list(validator.iter_errors({"type": "jump"}))  # it does tell actions apart


def test_schema_of_something_else_is_bad_input_listing_the_choices() -> None:
    result = run("schema", "--of", "everything")
    assert result.returncode == 2
    for choice in ("trajectory", "actions", "task"):
        assert choice in result.stderr
    assert "Traceback" not in result.stderr
    assert "trajectory|actions|task" in run("schema", "--help").stdout


def test_an_error_is_one_sentence_on_stderr_with_markup_shown_as_written(tmp_path: Path) -> None:
    # A folder name that looks like rich markup must reach the user as it is.
    folder = tmp_path / "[bold]runs"
    folder.mkdir()
    result = run("report", str(folder))
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {folder} has no trajectory.jsonl"
    assert result.stdout == ""


def test_version_and_help() -> None:
    assert run("--version").stdout.strip() == "screenpilot 0.1.0"
    helped = run("--help")
    assert helped.returncode == 0
    for command in (
        "demo",
        "tour",
        "tokens",
        "schema",
        "tool-call",
        "run",
        "script",
        "replay",
        "report",
        "serve-model",
    ):
        assert command in helped.stdout


@pytest.mark.integration
def test_the_offline_demo_fills_the_form_and_writes_a_report(tmp_path: Path) -> None:
    # No DISPLAY: the demo starts its own virtual display (run() drops DISPLAY).
    result = subprocess.run(
        [sys.executable, "-m", "screenpilot", "demo", "--output", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={
            k: v for k, v in os.environ.items() if k not in ("DISPLAY", "DBUS_SESSION_BUS_ADDRESS")
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "'name': 'Zoë 北京', 'email': 'bob@example.org', 'subscribe': True" in result.stdout
    reports = list(tmp_path.glob("*/report.html"))
    assert len(reports) == 1 and f"report: {reports[0]}" in result.stdout.replace("\n", "")
    # Every line of the demo's trajectory is valid against the schema the CLI prints.
    schema = json.loads(run("schema", "--of", "trajectory").stdout)
    lines = (reports[0].parent / "trajectory.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["kind"] for line in lines] == ["start"] + ["step"] * 5 + ["end"]
    for line in lines:
        jsonschema.validate(json.loads(line), schema)


def test_run_refuses_an_unreadable_instruction_before_touching_anything(tmp_path: Path) -> None:
    result = run("run", "make the form pretty", "--output", str(tmp_path))
    assert result.returncode == 2
    assert "cannot read 'make the form pretty'" in result.stderr
    assert not list(tmp_path.iterdir())


def test_script_validates_the_task_file_first(tmp_path: Path) -> None:
    task = tmp_path / "task.yaml"
    task.write_text("steps:\n  - {type: click}\n  - {type: jump}\n", encoding="utf-8")
    result = run("script", str(task))
    assert result.returncode == 2 and "task.yaml:3" in result.stderr


def test_report_rebuilds_and_refuses_a_folder_without_a_trajectory(tmp_path: Path) -> None:
    assert run("report", str(tmp_path)).returncode == 2
    (tmp_path / "trajectory.jsonl").write_text(
        '{"kind": "start", "instruction": "x", "time": 0}\n', encoding="utf-8"
    )
    rebuilt = run("report", str(tmp_path))
    assert rebuilt.returncode == 0 and (tmp_path / "report.html").exists()


def _form_picture(path: Path) -> None:
    from PIL import Image, ImageDraw, ImageFont

    picture = Image.new("RGB", (800, 400), (235, 235, 235))
    draw = ImageDraw.Draw(picture)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 28)
    draw.text((60, 80), "Email", font=font, fill="black")
    draw.rectangle((200, 74, 600, 118), fill="white", outline=(120, 120, 120))
    draw.rectangle((200, 200, 360, 250), fill=(210, 210, 210), outline="black")
    draw.text((235, 208), "Submit", font=font, fill="black")
    picture.save(path)


@pytest.mark.integration
def test_ground_an_image_without_a_model(tmp_path: Path) -> None:
    shot = tmp_path / "form.png"
    _form_picture(shot)
    result = run("ground", str(shot), "the Email field")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    x1, y1, x2, y2 = answer["bbox"][0]
    assert 195 <= x1 <= 205 and 70 <= y1 <= 80 and 595 <= x2 <= 605 and 114 <= y2 <= 122
    assert Path(answer["overlay"]).exists()
    missing = run("ground", str(shot), "the Cancel button")
    assert missing.returncode == 1 and "nothing on the screen matches" in missing.stderr
    assert run("ground", str(tmp_path / "nope.png"), "x").returncode == 2


def test_ground_with_the_tiny_model_reports_an_unreadable_answer(
    tmp_path: Path, tiny_qwen: Path
) -> None:
    shot = tmp_path / "form.png"
    _form_picture(shot)
    result = run("ground", str(shot), "Submit", "--model", str(tiny_qwen))
    assert result.returncode == 1 and "no bbox_2d or point_2d" in result.stderr


@pytest.mark.integration
def test_devices_and_doctor_say_what_is_there() -> None:
    seen = run("devices")
    assert "desktop: no DISPLAY set" in seen.stdout  # run() drops DISPLAY
    assert "android" in seen.stdout  # a device list, or why there is none
    assert seen.returncode == (0 if "android " in seen.stdout and ": device" in seen.stdout else 1)
    checked = run("doctor")
    assert checked.returncode == 0
    for line in (
        "display",
        "xdotool",
        "OCR models",
        "web console",
        "adb server",
        "torch + transformers",
    ):
        assert line in checked.stdout


@pytest.mark.integration
def test_eval_runs_the_example_suite_and_writes_results(tmp_path: Path) -> None:
    suite = Path(__file__).resolve().parent.parent / "examples" / "suites" / "forms.yaml"
    results = tmp_path / "results.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "screenpilot",
            "eval",
            str(suite),
            "--output",
            str(tmp_path / "runs"),
            "--results",
            str(results),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
        env={
            k: v for k, v in os.environ.items() if k not in ("DISPLAY", "DBUS_SESSION_BUS_ADDRESS")
        },
    )
    assert done.returncode == 0, done.stdout + done.stderr
    summary = json.loads(results.read_text(encoding="utf-8"))
    assert (summary["passed"], summary["total"]) == (3, 3)
    assert all(t["model_calls"] == 0 and t["report"] for t in summary["tasks"])
    bad = tmp_path / "bad.yaml"
    bad.write_text("tasks:\n  - {name: x, instruction: click Submit}\n", encoding="utf-8")
    refused = run("eval", str(bad))
    assert refused.returncode == 2 and "needs a `name` and a `check`" in refused.stderr
