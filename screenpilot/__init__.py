"""screenpilot: a GUI automation agent that sees the screen, finds what an instruction talks
about, acts, and proves each action worked.

`import screenpilot` stays light (no display, GPU or torch needed). The public types live in
the subpackages: `screenpilot.actions` (the action vocabulary), `screenpilot.perception`
(coordinate frames, Qwen3-VL image sizing) and `screenpilot.models` (Qwen3-VL tool calls).
"""

__version__ = "0.1.0"
