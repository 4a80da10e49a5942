"""Plain instructions without a model."""

from __future__ import annotations

import pytest

from screenpilot.actions import Click, Key, OpenApp, Scroll, Swipe, SystemButton, TypeText, Wait
from screenpilot.actions.targets import Description
from screenpilot.policies.base import PolicyError
from screenpilot.policies.rules import read_instruction, split_clauses


def actions(text: str) -> list[object]:
    return [s.action for s in read_instruction(text)]


def test_clauses_split_at_commas_and_then_but_not_inside_quotes() -> None:
    assert split_clauses(
        'type "Bob and Alice, Inc." into Name, then click Save and press Enter'
    ) == [
        'type "Bob and Alice, Inc." into Name',
        "click Save",
        "press Enter",
    ]


def test_the_phrases_people_use() -> None:
    assert actions(
        "type bob@example.org into Email, type 'Zoë 北京' into the Name field, check Subscribe, "
        "select Blue from Color, press ctrl+s, scroll down 5, swipe up, go back, "
        'open com.android.settings, wait for "Saved", wait 2 seconds, click Submit'
    ) == [
        TypeText(text="bob@example.org", target=Description(text="Email"), clear_first=True),
        TypeText(text="Zoë 北京", target=Description(text="the Name field"), clear_first=True),
        Click(target=Description(text="Subscribe checkbox"), ensure="checked"),
        Click(target=Description(text="the Color list")),
        Click(target=Description(text="Blue")),
        Key(keys=["ctrl", "s"]),
        Scroll(direction="down", amount=5),
        Swipe(direction="up"),
        SystemButton(button="back"),
        OpenApp(app="com.android.settings"),
        Wait(until_text="Saved"),
        Wait(seconds=2.0),
        Click(target=Description(text="Submit")),
    ]


def test_an_unreadable_clause_says_what_was_understood() -> None:
    with pytest.raises(PolicyError) as info:
        read_instruction("click Submit, then make it pretty")
    message = str(info.value)
    assert "cannot read 'make it pretty'" in message
    assert "understood so far: click" in message
    with pytest.raises(PolicyError, match="unknown key 'ctrll'"):
        read_instruction("press ctrll+s")
    with pytest.raises(PolicyError, match="empty"):
        read_instruction("  ")
