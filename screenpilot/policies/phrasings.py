"""Readers of whole everyday phrasings whose words are not the controls' own: answering a
question ("answer yes"), confirming ("confirm with OK"), a bare button word after a comma
("then OK"), logging in as someone, signing up for a newsletter, accepting the terms,
marking something as a gift, creating an account, saving a document (as a name), and the
terminal's "run the command ..." and "create a file called ... from the terminal".

Each reads one way that is common on screens, and falls back (a `Choice`) where screens
differ: "Log in" or "Sign in", the email or the username field. What no action expresses
(moving a slider to a value) is a ClauseError that says so.
"""

from __future__ import annotations

import re

from screenpilot.actions.targets import Description
from screenpilot.actions.vocabulary import Click, Key, TypeText
from screenpilot.policies.base import Step
from screenpilot.policies.clauses import Choice, Clause, ClauseError, Part, Readers, trim
from screenpilot.policies.filling import fill, toggles
from screenpilot.policies.pointing import key_chord

READERS = Readers()

_OK = Description(text="OK")


def _click(clause: Clause, words: str, expect: str = "") -> Step:
    target = Description(text=words)
    return clause.step(Click(target=target), expect or f"{words} responds to the click")


# "..., then OK.": a dialog's button word alone is that button.
@READERS(r"^(?P<w>ok|okay|cancel|yes|no|done|next|finish|apply)$")
def _button_word(clause: Clause, m: re.Match[str]) -> list[Part]:
    word = "OK" if m["w"].lower() in ("ok", "okay") else m["w"]
    return [_click(clause, word)]


@READERS(
    r"^confirm(?:\s+(?:it|this|that|the\s+(?:dialog|choice|selection|changes|order|form)))?"
    r"(?:\s+(?:with|using)\s+(?P<x>.+))?$"
)
def _confirm(clause: Clause, m: re.Match[str]) -> list[Part]:
    # "Confirm with OK": the named button (or key); "confirm" alone: OK, else "Confirm".
    if m["x"]:
        keys = key_chord(m["x"])
        if keys is not None:
            return [clause.step(Key(keys=keys), f"the screen reacts to {'+'.join(keys)}")]
        target = clause.target(m["x"])
        return [clause.step(Click(target=target), f"{target.text} responds to the click")]
    effect = "the choice is confirmed"
    return [
        Choice(readings=((_click(clause, "OK", effect),), (_click(clause, "Confirm", effect),)))
    ]


# "Answer yes to the question", "Say no, I don't want to restart now".
@READERS(
    r"^(?:answer|reply|respond|say)(?:\s+with)?\s+[\"“]?(?P<a>yes|no)[\"”]?"
    r"(?:\s+to\s+(?:the|this|that)\s+(?:question|dialog|prompt|message))?"
    r"(?:\s*,\s*(?:i|we|because|since|as|thanks|thank\s+you|not\s+now|please)\b.*)?$"
)
def _answer(clause: Clause, m: re.Match[str]) -> list[Part]:
    return [_click(clause, m["a"].capitalize(), "the question is answered")]


@READERS(
    r"^(?P<verb>log\s*in|sign\s+in)\s+as\s+(?P<u>.+?)(?:\s+(?:with|using)\s+(?:the\s+|my\s+)?"
    r"(?:password|passcode|passphrase|pin)\s+(?P<p>.+))?$"
)
def _log_in_as(clause: Clause, m: re.Match[str]) -> list[Part]:
    # The login field is called one of two things; the one the value looks like goes first.
    user = clause.value(m["u"])
    fields = ["the email field", "the username field"]
    if "@" not in user:
        fields.reverse()
    parts: list[Part] = [
        Choice(readings=tuple((_typed(clause, user, f),) for f in fields)),
    ]
    if m["p"]:
        parts.append(_typed(clause, clause.value(m["p"]), "the password field"))
    buttons = (
        ["Log in", "Sign in"] if m["verb"].lower().startswith("log") else ["Sign in", "Log in"]
    )
    effect = "the sign-in goes through"
    parts.append(Choice(readings=tuple((_click(clause, b, effect),) for b in buttons)))
    return parts


def _typed(clause: Clause, text: str, where: str) -> Step:
    step = fill(clause, where, text, clear=True)[0]
    assert isinstance(step, Step)
    return step


_LISTS = r"newsletters?|mailing\s+list|updates|offers|emails|news|notifications|alerts"


@READERS(
    r"^(?P<verb>sign\s+up|subscribe|register|opt\s+in)\s+(?:for|to)\s+(?:the\s+|our\s+|a\s+)?"
    rf"(?:monthly\s+|weekly\s+)?(?P<x>{_LISTS})(?:\s+(?:with|using)\s+(?P<e>.+))?$"
)
def _sign_up_for(clause: Clause, m: re.Match[str]) -> list[Part]:
    # "Sign up for the newsletter" on a form is its checkbox; "... with ann@example.org" is
    # a subscribe box: the address, then its button.
    if m["e"] is None:
        return toggles(clause, f"the {m['x']}", "checked")
    button = "Sign up" if m["verb"].lower().startswith("sign") else "Subscribe"
    return [
        _typed(clause, clause.value(m["e"]), "the email field"),
        _click(clause, button, "the subscription is sent"),
    ]


@READERS(
    r"^(?:accept|agree\s+(?:to|with)|consent\s+to)\s+(?P<x>(?:the\s+|our\s+)?"
    r"(?:terms|conditions|privacy\s+policy|licen[cs]e|eula|user\s+agreement)\b.*)$"
)
def _accept_terms(clause: Clause, m: re.Match[str]) -> list[Part]:
    # Terms are accepted with a checkbox on most forms, with a button on some pages.
    words = clause.words(m["x"])
    box = Description(text=f"{words} checkbox")
    tick = clause.step(Click(target=box, ensure="checked"), f"{words} is checked")
    whole = clause.target(clause.text)
    button = clause.step(Click(target=whole), f"{whole.text} responds to the click")
    return [Choice(readings=((tick,), (button,)))]


@READERS(r"^mark\s+(?:it|this|that|the\s+\w+(?:\s+\w+)?)\s+as\s+(?:a|an)\s+(?P<x>[\w-]+)$")
def _mark_as(clause: Clause, m: re.Match[str]) -> list[Part]:
    # "Mark it as a gift": the gift checkbox.
    return toggles(clause, m["x"], "checked")


_TERMINAL = r"(?:the\s+|a\s+)?(?:terminal|shell|console|command\s+line)"
_SAFE_NAME = re.compile(r"[\w.@+-]+")


@READERS(
    r"^create\s+(?:an?\s+|the\s+)?(?:new\s+)?(?:empty\s+|blank\s+)?file\s+(?:called|named)\s+"
    rf"(?P<f>.+?)\s+(?:from|in|on|using|with)\s+{_TERMINAL}$"
)
def _touch(clause: Clause, m: re.Match[str]) -> list[Part]:
    name = clause.value(m["f"])
    if not _SAFE_NAME.fullmatch(name):
        raise ClauseError("say the command to run for that name, e.g. \"run 'touch my file'\"")
    action = TypeText(text=f"touch {name}", press_enter=True)
    return [clause.step(action, f"the file {name} exists")]


@READERS(rf"^run\s+(?:the\s+)?(?:command|cmd)\s+(?P<c>.+?)(?:\s+(?:in|on|inside)\s+{_TERMINAL})?$")
def _run_command(clause: Clause, m: re.Match[str]) -> list[Part]:
    # Typed into the focused terminal as written; the project never runs anything itself.
    text = clause.value(m["c"])
    return [clause.step(TypeText(text=text, press_enter=True), f"{text!r} runs")]


@READERS(r"^create\s+(?:the\s+|an?\s+|your\s+|my\s+)?(?P<x>[\w-]+(?:\s+[\w-]+)?)$")
def _create(clause: Clause, m: re.Match[str]) -> list[Part]:
    # "create the account": the button "Create account".
    return [_click(clause, f"Create {m['x']}")]


_DOCUMENT = r"(?:it|this|that|(?:the|this|my|your)\s+(?:file|document|text|notes?|work))"


@READERS(rf"^save\s+(?:{_DOCUMENT}\s+)?as\s+(?P<n>.+)$")
def _save_as(clause: Clause, m: re.Match[str]) -> list[Part]:
    # Ctrl+S asks for a name when the document has none; the dialog's field is "Name".
    name = clause.value(m["n"])
    save = clause.step(Key(keys=["ctrl", "s"]), "the save dialog opens")
    action = TypeText(text=name, target=Description(text="the Name field"), clear_first=True)
    return [save, clause.step(action.model_copy(update={"press_enter": True}), f"{name} is saved")]


@READERS(r"^save\s+(?:the|this|my|your)\s+(?:file|document|text|notes?|work)$")
def _save_document(clause: Clause, m: re.Match[str]) -> list[Part]:
    return [clause.step(Key(keys=["ctrl", "s"]), "the document is saved")]


@READERS(
    r"^(?:turn|crank|push|move|slide|drag)\s+(?:(?P<a>up|down)\s+)?(?P<x>.+?)"
    r"(?(a)|\s+(?:up|down))\s+(?:to|by)\s+\d+(?:\.\d+)?\s*%?$"
)
def _slider(clause: Clause, m: re.Match[str]) -> list[Part]:
    raise ClauseError(
        f"moving {trim(m['x'])!r} up or down to a value is not something I can do (no "
        "slider actions); type the value into its field if it has one, or use a model policy"
    )
