"""The examples in examples/ run as their docstrings say."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


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
