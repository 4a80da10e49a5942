"""The commands that look without acting: `ground`, `devices`, `doctor`."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Annotated

import typer

from screenpilot.cli import EXIT_FAILURE, BadInputError, app, out
from screenpilot.cli.agent_commands import load_runtime
from screenpilot.errors import ScreenpilotError


@app.command()
def ground(
    image: Annotated[Path, typer.Argument(help="A screenshot (PNG, JPG or WEBP).")],
    description: Annotated[str, typer.Argument(help='What to find, e.g. "the Submit button".')],
    model: Annotated[str | None, typer.Option(help="Local Qwen3-VL: hub id or folder.")] = None,
    server: Annotated[str | None, typer.Option(help="OpenAI-compatible server URL (…/v1).")] = None,
    overlay: Annotated[Path | None, typer.Option(help="Where to write the overlay image.")] = None,
) -> None:
    """Find an element on a screenshot and print it as JSON; writes an overlay image (the box,
    and the visual-token grid when a model grounded it). Without a model, OCR grounds it."""
    from PIL import Image, UnidentifiedImageError

    from screenpilot.agent.picture_grounding import ground_picture

    try:
        picture = Image.open(image)
        picture.load()
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError) as error:
        raise BadInputError(f"cannot read {image}: {error}") from None
    result = ground_picture(picture, description, runtime=load_runtime(model, server))
    if result.status != "found":
        raise ScreenpilotError(result.answer)
    target = overlay or image.with_name(f"{image.stem}.grounded.png")
    result.overlay(picture).save(target)
    typer.echo(json.dumps({**result.as_json(), "overlay": str(target)}, ensure_ascii=False))


@app.command()
def devices() -> None:
    """The screens and phones screenpilot can see from here."""
    found = False
    if os.environ.get("DISPLAY"):
        try:
            import mss

            with mss.MSS() as grabber:
                for index, m in enumerate(grabber.monitors):
                    label = "all monitors" if index == 0 else f"monitor {index}"
                    out.print(
                        f"desktop {label}: {m['width']}x{m['height']} at ({m['left']}, {m['top']})"
                    )
                    found = True
        except Exception as error:  # no X server behind DISPLAY, or mss missing
            out.print(f"desktop: not usable ({error})")
    else:
        out.print("desktop: no DISPLAY set")
    try:
        from screenpilot.devices.adb import AdbClient

        for entry in AdbClient(timeout=3).devices():
            out.print(f"android {entry.serial}: {entry.state}")
            found = True
    except ScreenpilotError as error:
        out.print(f"android: {error}")
    if not found:
        raise typer.Exit(EXIT_FAILURE)


def _check(name: str, ok: bool, detail: str, fix: str = "") -> bool:
    mark = "[green]ok[/]  " if ok else "[yellow]no[/]  "
    out.print(f"{mark} {name:<22} {detail}" + ("" if ok or not fix else f"  -> {fix}"))
    return ok


@app.command()
def doctor(
    server: Annotated[str | None, typer.Option(help="Also check this model server (…/v1).")] = None,
) -> None:
    """What works here, and what to install for the rest."""
    have = importlib.util.find_spec
    display = os.environ.get("DISPLAY", "")
    reachable = False
    if display:
        reachable = (
            subprocess.run(["xdpyinfo"], capture_output=True, check=False).returncode == 0
            if shutil.which("xdpyinfo")
            else bool(have("Xlib"))
        )
    _check(
        "display",
        reachable,
        display or "no DISPLAY",
        "the demo starts Xvfb itself; apt-get install xvfb",
    )
    for tool, package in (
        ("xdotool", "xdotool"),
        ("xclip", "xclip"),
        ("Xvfb", "xvfb"),
        ("adb", "adb"),
    ):
        _check(
            tool,
            shutil.which(tool) is not None,
            shutil.which(tool) or "missing",
            f"apt-get install {package}",
        )
    _check(
        "desktop extra",
        bool(have("mss") and have("pyautogui")),
        "mss, pyautogui",
        "pip install 'screenpilot[desktop]'",
    )
    _accessibility_checks()
    ocr = bool(have("rapidocr") and have("onnxruntime"))
    _check("OCR models", ocr, "rapidocr (bundled models)", "pip install 'screenpilot[ocr]'")
    _check(
        "android extra",
        bool(have("ppadb")),
        "pure-python-adb",
        "pip install 'screenpilot[android]'",
    )
    _check(
        "web console",
        bool(have("fastapi") and have("uvicorn") and have("multipart")),
        "fastapi, uvicorn, python-multipart",
        "pip install 'screenpilot[web]'",
    )
    try:
        from screenpilot.devices.adb import AdbClient

        listed = AdbClient(timeout=2).devices()
        _check("adb server", True, f"{len(listed)} device(s)")
    except ScreenpilotError as error:
        _check("adb server", False, str(error).split(" - ")[0], "adb start-server")
    torch_ok = bool(have("torch") and have("transformers"))
    _check(
        "torch + transformers",
        torch_ok,
        "local Qwen3-VL",
        "pip install torch==2.13.0 'screenpilot[local]'",
    )
    if torch_ok:
        import torch

        gpu = torch.cuda.is_available()
        _check("GPU", gpu, torch.cuda.get_device_name() if gpu else "CPU only (fine for OCR/rules)")
    if server:
        import urllib.request

        try:
            with urllib.request.urlopen(server.rstrip("/") + "/models", timeout=5) as response:
                _check("model server", response.status == 200, server)
        except OSError as error:
            _check(
                "model server",
                False,
                f"{server}: {error}",
                "start vllm serve or screenpilot serve-model",
            )


#: What a browser needs to show its pages to AT-SPI (the session's IsEnabled must be true as it
#: starts, which any screenpilot Desktop, and doctor, make sure of).
BROWSER_FLAGS = "--force-renderer-accessibility"


def _accessibility_checks() -> None:
    """Session bus, AT-SPI, the IsEnabled switch (turned on), and the applications whose trees
    can be read right now."""
    from screenpilot.devices import a11y_bus
    from screenpilot.devices.atspi import AccessibilityReader, load_pyatspi

    address = os.environ.get("DBUS_SESSION_BUS_ADDRESS", "")
    status = a11y_bus.switch_on()
    _check(
        "session bus",
        status.session_bus,
        address or "no DBUS_SESSION_BUS_ADDRESS",
        "run inside a desktop session, or `dbus-run-session -- screenpilot ...`",
    )
    if not status.session_bus:
        return
    pyatspi = load_pyatspi()
    if status.problem:
        detail = status.problem
    elif pyatspi is None:
        detail = "python3-pyatspi is not installed"
    else:
        detail = f"pyatspi; accessibility bus {status.a11y_bus or '?'}"
    _check(
        "AT-SPI",
        pyatspi is not None and not status.problem,
        detail,
        "apt-get install python3-pyatspi at-spi2-core",
    )
    if status.was_enabled is None:
        return
    if status.switched_on:
        detail = "IsEnabled was false; set to true now (programs started from now on expose trees)"
    else:
        detail = "IsEnabled was already true"
    _check("accessibility on", status.enabled, detail, "see the AT-SPI line")
    if pyatspi is not None:
        apps = AccessibilityReader(pyatspi).census(seconds=3.0)
        listed = ", ".join(f"{name} ({count} nodes)" for name, count in apps)
        _check(
            "accessible apps",
            bool(apps),
            listed or "none is running",
            "start programs after this check (Qt apps and browsers already open stay dark)",
        )
    out.print(
        f"{'':4} {'browsers':<22} start Chromium, Chrome or Electron apps with {BROWSER_FLAGS}"
        " after accessibility is on (or with ACCESSIBILITY_ENABLED=1 in their environment);"
        " restart any that were open before"
    )
