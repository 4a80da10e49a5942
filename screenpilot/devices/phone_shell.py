"""How the Android device quotes text for the phone's shell, so it arrives as one literal word.

Android's /system/bin/sh is mksh, which reads single quotes as POSIX sh does: everything inside
them is literal. `shlex.quote` writes exactly that rule - a word of only safe characters
(letters, digits, `@%+=:,./-_`) as it is, anything else inside single quotes with each single
quote closed, quoted and reopened - so that is what we use. tests/test_android_shell.py checks
it against mksh itself on hundreds of hostile strings.
"""

from __future__ import annotations

import shlex


def shell_quote(text: str) -> str:
    """One shell word that the device shell turns back into exactly `text` (`''` for empty)."""
    return shlex.quote(text)
