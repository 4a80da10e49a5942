"""The pieces of a run, built from plain names: a device, a model runtime, a policy.

The command line and the web console both start runs from words a person typed
(`android:SERIAL`, `planned`, a hub id or a server URL, a prompt file); this is the one place
that turns those words into objects, and the one place that says what is wrong with them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from screenpilot.devices.protocol import Device
from screenpilot.errors import InvalidInputError
from screenpilot.models.runtime import Runtime
from screenpilot.models.tool_calls import ToolName
from screenpilot.perception.sizing import VisualBudget
from screenpilot.policies.base import Policy

if TYPE_CHECKING:
    from screenpilot.models.families import Family
    from screenpilot.models.prompts import PromptFile

POLICIES = ("rules", "native", "planned")
DEFAULT_SERVER_MODEL = "Qwen/Qwen3-VL-4B-Instruct"
#: Seconds a call to a model server may take in all, its retries included (--model-timeout).
DEFAULT_MODEL_TIMEOUT = 120.0


def _bad(what: str, reason: str) -> InvalidInputError:
    return InvalidInputError(what, [("", reason)])


def check_device_spec(spec: str) -> tuple[str, str | None]:
    """(`desktop` | `android`, serial or None) for `desktop`, `android` or `android:SERIAL`."""
    kind, _, serial = spec.partition(":")
    if kind == "desktop" and not serial:
        return kind, None
    if kind == "android":
        return kind, serial or None
    raise _bad("device", f"{spec!r} is not one: use desktop, android or android:SERIAL")


def open_device(spec: str) -> Device:
    """Open the named device (the caller closes it)."""
    kind, serial = check_device_spec(spec)
    if kind == "desktop":
        from screenpilot.devices.desktop import Desktop

        return Desktop()
    from screenpilot.devices.android import AndroidDevice

    return AndroidDevice(serial)


def choose_policy(name: str | None, *, has_model: bool) -> str:
    """The policy a run uses: the one named, else `planned` with a model and `rules` without."""
    chosen = name or ("planned" if has_model else "rules")
    if chosen not in POLICIES:
        raise _bad("policy", f"{chosen!r} is not one of {', '.join(POLICIES)}")
    if chosen != "rules" and not has_model:
        raise _bad("policy", f"the {chosen} policy needs a model (a hub id, folder or server)")
    return chosen


def choose_family(name: str | None, model: str | None, server: str | None) -> Family:
    """The model family a run speaks (`run --family`): the one named, else the one the
    model's name or its local checkpoint's config says (`families.detect_family`)."""
    from screenpilot.models.families import FAMILIES, detect_family, family_named

    if name is None:
        return family_named(detect_family(model, server=server))
    if name not in FAMILIES:
        raise _bad("family", f"{name!r} is not one of {', '.join(FAMILIES)}")
    return family_named(name)


def read_prompt_file(path: Path, policy: str) -> PromptFile:
    """A person's own prompt text for the named model policy (`--prompt-file`), read and
    checked before anything loads: an unreadable file, an unknown placeholder or one the
    policy cannot fill is an `InvalidInputError` naming the file."""
    from screenpilot.models.prompts import PromptFile
    from screenpilot.policies.model_policies import NATIVE_PLACEHOLDERS, PLANNED_PLACEHOLDERS

    fills = {"native": NATIVE_PLACEHOLDERS, "planned": PLANNED_PLACEHOLDERS}.get(policy)
    if fills is None:
        raise _bad(
            "prompt file",
            f"the {policy} policy asks no model, so it has no prompt to replace: "
            "use --policy native or planned",
        )
    prompt = PromptFile.read(path)
    prompt.check(fills, policy)
    return prompt


def make_runtime(
    model: str | None,
    server: str | None,
    budget: VisualBudget | None = None,
    *,
    send_key: bool = True,
    timeout: float = DEFAULT_MODEL_TIMEOUT,
) -> Runtime | None:
    """A server runtime when a URL is given (sending `$OPENAI_API_KEY` as its key when set
    and `send_key`: False for a server the caller does not trust with it), a local one for
    a model alone, else None. A server's every call ends within `timeout` seconds.

    Loading a local model takes a while (and downloads it on first use)."""
    if server:
        from screenpilot.models.openai_client import OpenAIRuntime

        return OpenAIRuntime(
            server,
            model=model or DEFAULT_SERVER_MODEL,
            budget=budget,
            api_key=(os.environ.get("OPENAI_API_KEY") or None) if send_key else None,
            timeout=timeout,
            deadline=timeout,  # --model-timeout bounds the whole call, retries included
        )
    if model:
        from screenpilot.models.local import LocalRuntime

        return LocalRuntime(model, budget=budget)
    return None


def make_policy(
    name: str,
    runtime: Runtime | None,
    *,
    device: str = "desktop",
    temperature: float = 0.0,
    thinking: bool = False,
    thinking_tokens: int | None = None,
    budget: VisualBudget | None = None,
    prompt: PromptFile | None = None,
    family: Family | None = None,
) -> Policy:
    """The named policy (see `choose_policy`) with the model settings a person chose and,
    for a model policy, their own prompt text (`read_prompt_file`). The native policy
    speaks `family` (`choose_family`; Qwen3-VL when None); give the runtime the budget
    `family.visual_budget` makes, so a server sends the screenshot at the size the
    family's answers are measured on."""
    if name == "rules":
        from screenpilot.policies.rules import RulesPolicy

        return RulesPolicy()
    if runtime is None:
        raise _bad("policy", f"the {name} policy needs a model (a hub id, folder or server)")
    from screenpilot.policies.model_policies import NativePolicy, PlannedPolicy

    phone = device.startswith("android")
    settings: dict[str, Any] = {"temperature": temperature, "thinking": thinking, "prompt": prompt}
    if budget is not None:
        settings["budget"] = budget
    if thinking_tokens is not None:
        settings["thinking_tokens"] = thinking_tokens
    if name == "native":
        tool: ToolName = "mobile_use" if phone else "computer_use"
        if family is not None:
            settings["family"] = family
        return NativePolicy(runtime, tool=tool, **settings)
    if name == "planned":
        return PlannedPolicy(runtime, device="phone" if phone else "desktop computer", **settings)
    raise _bad("policy", f"{name!r} is not one of {', '.join(POLICIES)}")
