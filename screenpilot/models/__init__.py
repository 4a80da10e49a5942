"""Qwen3-VL behind one interface. For now: the `computer_use` / `mobile_use` tool calls and
their exact translation to the action vocabulary (`tool_calls`). Runtimes, prompts and
parsing of free-form answers come with the Qwen3-VL issue."""
