"""screenpilot: a GUI automation agent that sees the screen, finds what an instruction talks
about, acts, and proves each action worked.

`import screenpilot` stays light (no display, GPU or torch needed). The entry point:

    from screenpilot import Agent
    from screenpilot.devices.desktop import Desktop
    from screenpilot.policies.rules import RulesPolicy

    with Desktop() as desktop:
        result = Agent(desktop, RulesPolicy()).run("type bob into Name, click Submit")
    print(result.status, result.report)

The public types live in the subpackages: `screenpilot.actions` (the action vocabulary and
the executor), `screenpilot.perception` (frames, sizing, elements, OCR, grounding),
`screenpilot.devices`, `screenpilot.models` (Qwen3-VL), `screenpilot.policies` and
`screenpilot.agent`.
"""

from typing import Any

from screenpilot.version import __version__

__all__ = ["Agent", "__version__"]


def __getattr__(name: str) -> Any:
    # `screenpilot.Agent` without importing the agent (and its numpy, pydantic models...) on
    # `import screenpilot`.
    if name == "Agent":
        from screenpilot.agent.loop import Agent

        return Agent
    raise AttributeError(f"module 'screenpilot' has no attribute {name!r}")
