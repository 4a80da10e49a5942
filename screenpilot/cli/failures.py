"""How a command that cannot go on ends: one sentence for the user and an exit code.

A command raises; it never prints its own errors. The command group (`screenpilot.cli`)
catches what a command raises and ends it as `ending_of` says. Exit codes: 0 success, 1 a
failure while working, 2 bad input (the user's options, instruction, task file, action or tool
call), 130 cancelled with Ctrl+C. Rich markup in a message is escaped: it shows as written.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from rich.markup import escape

from screenpilot.errors import InvalidInputError, ScreenpilotError

EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2
EXIT_CANCELLED = 130


class BadInputError(ScreenpilotError):
    """What the user gave cannot be used; nothing has run yet (exit code 2)."""


@contextlib.contextmanager
def reading_input() -> Iterator[None]:
    """A block that reads what the user gave (an instruction, a task file, a device name)
    before anything runs: any ScreenpilotError it raises is bad input, not a failure."""
    try:
        yield
    except BadInputError:
        raise
    except ScreenpilotError as error:
        raise BadInputError(str(error)) from error


def ending_of(error: ScreenpilotError | KeyboardInterrupt) -> tuple[str, int]:
    """The sentence to print (rich markup, the message escaped) and the exit code for an error
    a command raised."""
    if isinstance(error, KeyboardInterrupt):
        return "[yellow]cancelled[/]", EXIT_CANCELLED
    bad = isinstance(error, BadInputError | InvalidInputError)
    return f"[red]error:[/] {escape(str(error))}", EXIT_BAD_INPUT if bad else EXIT_FAILURE
