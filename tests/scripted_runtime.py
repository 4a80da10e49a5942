"""A scripted stand-in for a Qwen3-VL runtime (fast tier): it answers each call with the
next of the answers it was given, in the model's own text format, and keeps the messages
it was sent. An answer that is an exception is raised instead (a model server gone)."""

from __future__ import annotations

from collections.abc import Sequence

from screenpilot.models.runtime import GREEDY, Generation, Message, Sampling


class ScriptedRuntime:
    def __init__(self, answers: Sequence[str | Exception]) -> None:
        self.answers = list(answers)
        self.sent: list[Sequence[Message]] = []

    def generate(
        self,
        messages: Sequence[Message],
        sampling: Sampling = GREEDY,
        *,
        logprobs: bool = False,
    ) -> Generation:
        self.sent.append(messages)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return Generation.from_raw(answer)


def tool_call(action: str, tool: str = "computer_use", **arguments: object) -> str:
    """One answer as Qwen3-VL writes it: a thought, an action, the tool call."""
    import json

    body = {"name": tool, "arguments": {"action": action, **arguments}}
    return (
        f"Thought: next.\nAction: {action}.\n<tool_call>\n"
        f"{json.dumps(body, ensure_ascii=False)}\n</tool_call>"
    )
