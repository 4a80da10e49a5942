"""How the simulated phone's shell splits a command line into words, as Android's mksh does,
and what in it the shell would have *interpreted* (command separators, substitutions,
redirections, globs, variable expansion).

The phone keeps the words and records the interpretations: the tests assert that nothing the
Android device sends is ever interpreted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

_OPERATORS = set(";&|<>()\n")
_GLOBS = set("*?[")


@dataclass
class ShellWords:
    """The words of a command line and what the shell would have interpreted in it."""

    words: list[str] = field(default_factory=list)
    interpreted: list[str] = field(default_factory=list)


def split_command(line: str) -> ShellWords:
    """Split like POSIX sh: single quotes literal; double quotes literal except for `$`,
    backquote and backslash; backslash escapes outside quotes. Unquoted operators, globs,
    `$` and backquotes are reported in `interpreted` (and kept as literal text)."""
    out = ShellWords()
    word: list[str] = []
    in_word = False
    i = 0
    while i < len(line):
        ch = line[i]
        if ch == "'":
            end = line.find("'", i + 1)
            if end < 0:
                out.interpreted.append("unterminated single quote")
                end = len(line)
            word.append(line[i + 1 : end])
            in_word, i = True, end + 1
            continue
        if ch == '"':
            i += 1
            while i < len(line) and line[i] != '"':
                if line[i] == "\\" and i + 1 < len(line) and line[i + 1] in '$`"\\\n':
                    word.append(line[i + 1])
                    i += 2
                    continue
                if line[i] in "$`":
                    out.interpreted.append(f"{line[i]!r} inside double quotes")
                word.append(line[i])
                i += 1
            if i >= len(line):
                out.interpreted.append("unterminated double quote")
            in_word, i = True, i + 1
            continue
        if ch == "\\" and i + 1 < len(line):
            word.append(line[i + 1])
            in_word, i = True, i + 2
            continue
        if ch in " \t":
            if in_word:
                out.words.append("".join(word))
                word, in_word = [], False
            i += 1
            continue
        if ch in _OPERATORS or ch in _GLOBS or ch in "$`" or (ch in "~#" and not in_word):
            out.interpreted.append(repr(ch))
        word.append(ch)
        in_word = True
        i += 1
    if in_word:
        out.words.append("".join(word))
    return out
