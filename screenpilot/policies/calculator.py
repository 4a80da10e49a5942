# ruff: noqa: RUF001, RUF002  (the look-alike signs of sums are the point here)
"""Arithmetic said in words, worked out on a calculator's buttons: "What is 7 plus 5?",
"Multiply 12 by 3", "divide 100 by 8", "Take the square root of 81".

The sum becomes clicks on the buttons a calculator shows: each digit on its own ("12" is
"1" then "2"), the operators "+", "-", "*", "/" (grounding takes × and ÷ for * and /),
"sqrt" after its number, and "=" at the end when there is an operator to finish. The
project never works the sum out itself: the calculator does.
"""

from __future__ import annotations

import re

from screenpilot.actions.targets import Description
from screenpilot.actions.vocabulary import Click
from screenpilot.policies.base import Step
from screenpilot.policies.clauses import Clause, ClauseError, Part, Readers

READERS = Readers()

_NUMBER = r"\d+(?:\.\d+)?"
_OPERATORS = {
    "plus": "+", "+": "+", "minus": "-", "-": "-", "−": "-", "times": "*", "x": "*", "*": "*",
    "×": "*", "multiplied by": "*", "divided by": "/", "over": "/", "/": "/", "÷": "/",
}  # fmt: skip
_TOKEN = re.compile(
    rf"\s*(?:(?P<root>(?:the\s+)?square\s+root\s+of\s+|sqrt\s*|√\s*)?(?P<n>{_NUMBER})|"
    r"(?P<op>plus|minus|times|multiplied\s+by|divided\s+by|over|[-+*/x×÷−]))",
    re.I,
)
# "Work it out on the calculator", "using the calculator": where, not what.
_ON_THE_CALCULATOR = re.compile(
    r"(?:\s*[?.!]\s*|\s+)(?:(?:please\s+)?(?:work|figure)\s+it\s+out\s*)?"
    r"(?:(?:on|with|in|using|use)\s+)?(?:the\s+|a\s+)?calculator$|\s*\?$",
    re.I,
)


def _clicks(clause: Clause, expression: str) -> list[Part]:
    """The button clicks of an expression ("7 plus 5"), or ClauseError."""
    text = expression
    while (tail := _ON_THE_CALCULATOR.search(text)) is not None and tail.start() > 0:
        text = text[: tail.start()]
    presses: list[str] = []
    pos, want_number, operators = 0, True, 0
    while pos < len(text.rstrip()):
        m = _TOKEN.match(text, pos)
        if m is None or (m["n"] is not None) != want_number:
            raise ClauseError(
                "it reads as a sum but not one I can key in: say e.g. 'calculate 7 plus 5', "
                "'multiply 12 by 3' or 'take the square root of 81'"
            )
        if m["n"] is not None:
            presses += list(m["n"])
            if m["root"]:
                presses.append("sqrt")
        else:
            presses.append(_OPERATORS[" ".join(m["op"].lower().split())])
            operators += 1
        pos, want_number = m.end(), not want_number
    if want_number:
        raise ClauseError("the sum ends without its last number")
    if operators:
        presses.append("=")
    shown = " ".join(presses)
    return [_press(clause, p, shown) for p in presses]


def _press(clause: Clause, button: str, shown: str) -> Step:
    effect = f"the calculator shows the result of {shown[:-2]}" if button == "=" else ""
    action = Click(target=Description(text=button))
    return clause.step(action, effect or f"{button} is keyed in")


@READERS(
    r"^(?:what\s+is|what's|whats|how\s+much\s+is|calculate|compute|evaluate|work\s+out|"
    r"figure\s+out)\s+(?P<e>.+)$"
)
def _calculate(clause: Clause, m: re.Match[str]) -> list[Part]:
    return _clicks(clause, m["e"])


@READERS(rf"^multiply\s+(?P<a>{_NUMBER})\s+(?:by|and|with)\s+(?P<b>{_NUMBER})(?P<t>.*)$")
def _multiply(clause: Clause, m: re.Match[str]) -> list[Part]:
    return _clicks(clause, f"{m['a']} * {m['b']}{m['t']}")


@READERS(rf"^divide\s+(?P<a>{_NUMBER})\s+(?:by|into)\s+(?P<b>{_NUMBER})(?P<t>.*)$")
def _divide(clause: Clause, m: re.Match[str]) -> list[Part]:
    return _clicks(clause, f"{m['a']} / {m['b']}{m['t']}")


@READERS(rf"^add\s+(?P<a>{_NUMBER})\s+(?:and|to|plus)\s+(?P<b>{_NUMBER})(?P<t>.*)$")
def _add(clause: Clause, m: re.Match[str]) -> list[Part]:
    return _clicks(clause, f"{m['a']} + {m['b']}{m['t']}")


@READERS(rf"^subtract\s+(?P<a>{_NUMBER})\s+from\s+(?P<b>{_NUMBER})(?P<t>.*)$")
def _subtract(clause: Clause, m: re.Match[str]) -> list[Part]:
    return _clicks(clause, f"{m['b']} - {m['a']}{m['t']}")


@READERS(
    rf"^(?:take|find|get|calculate|compute)\s+(?P<e>(?:the\s+)?square\s+root\s+of\s+{_NUMBER}.*)$"
)
def _square_root(clause: Clause, m: re.Match[str]) -> list[Part]:
    return _clicks(clause, m["e"])
