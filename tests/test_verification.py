"""Verification against a probe (fast tier): what an action's effect must look like for the
step to pass - a field's value, OCR's reading, a checkbox's state, text that appears, a
screen that changed at all."""

from __future__ import annotations

import numpy as np

from screenpilot.actions.placement import Placed
from screenpilot.actions.verification import verify
from screenpilot.actions.vocabulary import Click, TypeText, Wait
from screenpilot.perception.change import Frame
from screenpilot.perception.elements import Element, Role
from screenpilot.perception.geometry import Rect, ScreenBox, ScreenGeometry
from screenpilot.perception.screenshot import Observation, Screenshot

GEOMETRY = ScreenGeometry.for_screen(200, 100)
FIELD = ScreenBox(x1=50, y1=10, x2=150, y2=30)


def shot(shade: int = 255, field_shade: int | None = None) -> Screenshot:
    frame = np.full((100, 200, 3), shade, np.uint8)
    if field_shade is not None:
        frame[10:31, 50:151] = field_shade
    return Screenshot(frame, GEOMETRY, 0.0)


def element(role: Role = "entry", value: str = "", checked: bool | None = None) -> Element:
    states = {"checkable", "checked"} if checked else ({"checkable"} if checked is False else set())
    return Element(
        id="a", role=role, name="Name", value=value, states=frozenset(states), box=FIELD,
        source="a11y",
    )  # fmt: skip


class Probe:
    """Answers as the device would after the action; time passes only when it settles."""

    def __init__(self, elements: list[Element] | None = None, reads: str | None = None) -> None:
        self.now_s, self.seen = 0.0, elements or []
        self.reads = reads
        self.later: list[list[Element]] = []

    @property
    def can_read(self) -> bool:
        return self.reads is not None

    def observe(self) -> Observation:
        if self.later:
            self.seen = self.later.pop(0)
        return Observation(shot(), self.seen)

    def elements(self) -> list[Element]:
        return self.seen

    def read_text(self, pixels: Frame, region: Rect) -> str:
        return self.reads or ""

    def settle(self) -> None:
        self.now_s += 0.4

    def now(self) -> float:
        return self.now_s


def before() -> Observation:
    return Observation(shot(field_shade=250), [element()])


def test_a_typed_field_passes_when_it_holds_the_text_read_again_from_the_tree() -> None:
    placed = Placed(FIELD.center, FIELD, element())
    typed = TypeText(text="Bob", target="Name", clear_first=True)
    after = shot(field_shade=200)
    assert verify(typed, placed, before(), after, Probe([element(value="Bob")])).ok
    wrong = verify(typed, placed, before(), after, Probe([element(value="Bo")]))
    assert not wrong.ok and "holds 'Bo', not 'Bob'" in wrong.reason


def test_ocr_must_read_the_text_and_a_replaced_field_must_hold_only_it() -> None:
    placed = Placed(FIELD.center, FIELD, None)
    replaced = TypeText(text="42", target="Age", clear_first=True)
    after = shot(field_shade=200)
    assert verify(replaced, placed, before(), after, Probe(reads="42|")).ok  # the caret
    glued = verify(replaced, placed, before(), after, Probe(reads="421"))
    assert not glued.ok and "OCR reads '421'" in glued.reason


def test_a_checkbox_must_change_state_and_to_the_state_asked_for() -> None:
    box = element("checkbox", checked=False)
    placed = Placed(FIELD.center, FIELD, box)
    after = shot(field_shade=100)
    ticked = Probe([element("checkbox", checked=True)])
    assert verify(Click(target="Name", ensure="checked"), placed, before(), after, ticked).ok
    still = verify(Click(target="Name"), placed, before(), after, Probe([box]))
    assert not still.ok and "still unchecked" in still.reason


def test_a_wait_for_text_passes_once_it_appears_and_fails_after_its_timeout() -> None:
    probe = Probe()
    probe.later = [
        [],
        [element("text", value="")],
        [element("text").model_copy(update={"name": "Saved"})],
    ]
    waited = verify(Wait(until_text="Saved", timeout=5), None, before(), shot(), probe)
    assert waited.ok and probe.now_s < 5
    never = verify(Wait(until_text="Saved", timeout=2), None, before(), shot(), Probe())
    assert not never.ok and "did not appear within 2 s" in never.reason


def test_an_action_with_no_visible_effect_fails() -> None:
    same = Observation(shot(), [])
    verdict = verify(Click(target="Name"), Placed(FIELD.center), same, shot(), Probe())
    assert not verdict.ok and "no visible effect" in verdict.reason
    moved = verify(Click(target="Name"), Placed(FIELD.center), same, shot(field_shade=0), Probe())
    assert moved.ok and moved.changed > 0


def password(value: str = "") -> Element:
    return element(value=value).model_copy(update={"states": frozenset({"password"})})


def test_a_field_that_merely_contains_the_text_fails() -> None:
    held = Placed(FIELD.center, FIELD, element(value="bob"))
    after = shot(field_shade=200)
    # Typing changed nothing: the field held "bob" already and still does.
    unchanged = verify(TypeText(text="bob", target="Name"), held, before(), after,
                       Probe([element(value="bob")]))  # fmt: skip
    assert not unchanged.ok and "not 'bobbob'" in unchanged.reason
    doubled = verify(TypeText(text="bob", target="Name", clear_first=True), held, before(), after,
                     Probe([element(value="bobbob")]))  # fmt: skip
    assert not doubled.ok
    added = verify(TypeText(text="bob", target="Name"), held, before(), after,
                   Probe([element(value="bobbob")]))  # fmt: skip
    assert added.ok, added.reason


def test_ocr_reads_the_whole_field_exactly() -> None:
    placed = Placed(FIELD.center, FIELD, None)
    typed = TypeText(text="Bob", target="Name", clear_first=True)
    after = shot(field_shade=200)
    assert verify(typed, placed, before(), after, Probe(reads="Bob")).ok
    more = verify(typed, placed, before(), after, Probe(reads="Bob Bob"))
    assert not more.ok and "not 'Bob'" in more.reason


def test_text_wider_than_its_field_passes_as_not_verifiable_only_when_ink_fills_it() -> None:
    placed = Placed(FIELD.center, FIELD, None)
    typed = TypeText(text="a very long address line", target="Name", clear_first=True)
    full = shot(field_shade=250)
    full.raw[15:25, 52:149] = 0  # ink from side to side
    wide = verify(typed, placed, before(), full, Probe(reads="long address line"))
    assert wide.ok and "cannot verify the whole text (wider than the field)" in wide.reason
    short = shot(field_shade=250)
    short.raw[15:25, 52:90] = 0  # room to spare: a missing start is a failure
    dropped = verify(typed, placed, before(), short, Probe(reads="long address line"))
    assert not dropped.ok


def test_a_password_field_is_checked_by_its_number_of_mask_characters_never_written() -> None:
    placed = Placed(FIELD.center, FIELD, password())
    typed = TypeText(text="hunter2", target="Password", clear_first=True)
    after = shot(field_shade=200)
    right = verify(typed, placed, before(), after, Probe([password("●" * 7)]))
    assert right.ok and "as many characters as were typed" in right.reason
    short = verify(typed, placed, before(), after, Probe([password("●" * 6)]))
    assert not short.ok
    for verdict in (right, short):
        assert "7" not in verdict.reason and "6" not in verdict.reason and "●" not in verdict.reason
    by_ocr = Placed(FIELD.center, FIELD, None)
    dots = verify(typed, by_ocr, before(), after, Probe(reads="•••••••"))
    assert dots.ok and "7" not in dots.reason
    assert not verify(typed, by_ocr, before(), after, Probe(reads="••••")).ok


def test_a_hint_shown_as_the_text_of_an_empty_field_is_not_part_of_its_value() -> None:
    hinted = Placed(FIELD.center, FIELD, element(value="Username"))  # Android's empty field
    typed = TypeText(text="bob", target="Username")
    after = shot(field_shade=200)
    assert verify(typed, hinted, before(), after, Probe([element(value="bob")])).ok
    kept = verify(typed, hinted, before(), after, Probe([element(value="Usernamebob")]))
    assert kept.ok  # a real value, added to
    lost = verify(typed, hinted, before(), after, Probe([element(value="bo")]))
    assert not lost.ok


def test_ocr_tolerates_stray_marks_around_the_text_but_not_letters_glued_to_it() -> None:
    placed = Placed(FIELD.center, FIELD, None)
    after = shot(field_shade=200)
    typed = TypeText(text="Bob Stone", target="Name", clear_first=True)
    assert verify(typed, placed, before(), after, Probe(reads="Bob Stonel e")).ok  # caret, edge
    for wrong in ("Bob StoneBob Stone", "Bob Stone Bob Stone", "Bob Ston"):
        assert not verify(typed, placed, before(), after, Probe(reads=wrong)).ok, wrong
    paul = TypeText(text="Paul", target="Name", clear_first=True)
    assert verify(paul, placed, before(), after, Probe(reads="Paul")).ok
