"""Quoting for the phone's shell (`devices.phone_shell.shell_quote`) and the simulated phone's
reading of a command line (`sim.shell_words.split_command`): what the Android device sends is
one literal word to mksh, and the simulated shell reads it back the way mksh does."""

from __future__ import annotations

import random
import shutil
import string
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screenpilot.devices.phone_shell import shell_quote
from screenpilot.sim.phone import SimulatedPhone
from screenpilot.sim.shell_words import split_command

#: Text a shell would act on if it reached it unquoted.
HOSTILE = [
    "",
    " ",
    "'",
    "''",
    "it's",
    '"',
    "\\",
    "\\'",
    "a b",
    "a;b",
    "a && b || c",
    "a | b",
    "> /sdcard/x",
    "2>&1",
    "< x",
    "$(reboot)",
    "`id`",
    "$HOME",
    "${x:-y}",
    "$((1+1))",
    "*",
    "?",
    "[ab]",
    "{a,b}",
    "~",
    "~root",
    "#comment",
    "a#b",
    "!x",
    "@(a|b)",
    "+(x)",
    "x=y",
    "%s",
    "100%",
    "-n",
    "--help",
    "line\nbreak",
    "tab\there",
    "\r",
    "Zoë 北京",
    "'\"'\"'",
]


def _hostile_and_random() -> list[str]:
    """HOSTILE, every printable ASCII character alone and next to a quote, and a few hundred
    random strings of shell-significant characters (seeded, the same every run)."""
    rng = random.Random(12)
    alphabet = string.printable + "'\"\\$`é北"
    strings = list(HOSTILE)
    strings += list(string.printable) + [f"'{c}'" for c in string.printable]
    strings += ["".join(rng.choices(alphabet, k=rng.randint(1, 24))) for _ in range(400)]
    return strings


@pytest.mark.parametrize(
    "word", ["abc", "com.android.adbkeyboard/.AdbIME", "a=b", "x@y%z+1:2,3-_", "/sdcard/a.png"]
)
def test_safe_words_go_as_they_are(word: str) -> None:
    assert shell_quote(word) == word


def test_the_empty_string_is_an_empty_quoted_word() -> None:
    assert shell_quote("") == "''"
    assert split_command(f"input text {shell_quote('')}").words == ["input", "text", ""]


@settings(max_examples=500)
@given(text=st.text(st.characters(blacklist_characters="\x00")))
def test_any_text_reads_back_as_one_literal_word(text: str) -> None:
    read = split_command(f"input text {shell_quote(text)}")
    assert read.words == ["input", "text", text]
    assert read.interpreted == []


@pytest.mark.integration
@pytest.mark.parametrize("shell", ["mksh", "sh"])
def test_a_real_shell_reads_each_quoted_word_back_exactly(shell: str) -> None:
    """Android's shell is mksh (scripts/system-packages.sh installs it); /bin/sh is the POSIX
    reference. Each word is printed back through printf, NUL-separated."""
    if shutil.which(shell) is None:
        pytest.fail(f"{shell} is not installed: run scripts/system-packages.sh")
    strings = _hostile_and_random()
    script = "".join(f"printf '%s\\0' {shell_quote(s)}\n" for s in strings)
    done = subprocess.run([shell, "-c", script], capture_output=True, timeout=30, check=True)
    assert done.stdout.decode().split("\0")[:-1] == strings


@pytest.mark.parametrize(
    ("line", "words", "interpreted"),
    [
        ("input text 'a b;c'", ["input", "text", "a b;c"], []),
        ("input text a\\ b", ["input", "text", "a b"], []),
        ('input text "a b"', ["input", "text", "a b"], []),
        ("input text 'it'\"'\"'s'", ["input", "text", "it's"], []),
        ("input text x#y", ["input", "text", "x#y"], []),
        ("input text a;reboot", ["input", "text", "a;reboot"], ["';'"]),
        ("input text $(id)", ["input", "text", "$(id)"], ["'$'", "'('", "')'"]),
        ('input text "$HOME"', ["input", "text", "$HOME"], ["'$' inside double quotes"]),
        ("input text `id`", ["input", "text", "`id`"], ["'`'", "'`'"]),
        ("ls *.png > x", ["ls", "*.png", ">", "x"], ["'*'", "'>'"]),
        ("input text #x", ["input", "text", "#x"], ["'#'"]),
        ("input text ~", ["input", "text", "~"], ["'~'"]),
        ("input text 'open", ["input", "text", "open"], ["unterminated single quote"]),
        ('input text "open', ["input", "text", "open"], ["unterminated double quote"]),
    ],
)
def test_the_simulated_shell_reads_a_line_as_mksh_and_reports_what_it_would_interpret(
    line: str, words: list[str], interpreted: list[str]
) -> None:
    read = split_command(line)
    assert read.words == words
    assert read.interpreted == interpreted


def test_the_phone_records_what_its_shell_would_have_interpreted() -> None:
    phone = SimulatedPhone()
    phone.handle("shell:input tap 540 570")
    phone.handle("shell:input text bob;reboot")
    assert phone.fields["username"] == "bob;reboot"
    assert phone.interpreted == ["'input text bob;reboot': ';'"]


def test_an_unknown_program_gets_the_shells_complaint() -> None:
    assert SimulatedPhone().handle("shell:reboot now") == (
        b"/system/bin/sh: reboot: inaccessible or not found\n"
    )
