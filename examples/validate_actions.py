"""Validate a YAML or JSON list of actions and print each in canonical JSON.

Usage: python examples/validate_actions.py FILE
Exits 2 and names the step, the field and the reason when an action is invalid.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from screenpilot.actions import action_to_json, parse_action
from screenpilot.errors import InvalidInputError


def main(path: str) -> int:
    steps = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(steps, list):
        print(f"{path}: expected a list of actions", file=sys.stderr)
        return 2
    for number, step in enumerate(steps, start=1):
        try:
            print(action_to_json(parse_action(step)))
        except InvalidInputError as error:
            print(f"{path}: step {number}: {error}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
