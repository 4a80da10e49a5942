"""The safety policy and guard (fast tier): which actions are allowed, asked about or
refused, judged on every placed target - a drag or swipe at both ends, the element under a
bare point - with the words of the words file in every language it lists, judged with the
element's role; the system chords; typing that ends in Enter; and what a person's answer
does, down to a model clicking by coordinates on the fake desktop."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from screenpilot.actions import parse_action
from screenpilot.actions.executor import Executor, Pacing
from screenpilot.actions.guard import RefusedError
from screenpilot.actions.placement import Placed, element_at, needs_elements
from screenpilot.actions.vocabulary import (
    Action,
    Click,
    Drag,
    Hover,
    Key,
    LongPress,
    Scroll,
    Swipe,
    SystemButton,
    TypeText,
    Wait,
)
from screenpilot.agent.loop import Agent, RunResult
from screenpilot.agent.safety import SafetyGuard, SafetyPolicy
from screenpilot.devices.virtual_display import XSession
from screenpilot.perception.elements import Element
from screenpilot.perception.geometry import ScreenBox, ScreenPoint
from screenpilot.perception.ocr import ScreenReader
from screenpilot.perception.screenshot import Observation
from screenpilot.policies.model_policies import NativePolicy
from tests.fake_device import FakeDesktop, Widget, fast_agent
from tests.scripted_runtime import ScriptedRuntime, tool_call

REGION = ScreenBox(x1=100, y1=100, x2=1800, y2=1000)
FAST = Pacing(settle_timeout=0.2, settle_interval=0.01, react=0.0)


def _pin() -> Element:
    return Element(
        id="e",
        role="entry",
        name="PIN",
        states=frozenset({"password"}),
        box=ScreenBox(x1=0, y1=0, x2=9, y2=9),
        source="a11y",
    )


@pytest.mark.parametrize(
    ("action", "element", "decision", "reason"),
    [
        ({"type": "click", "target": "the Delete account button"}, None, "ask", "'delete'"),
        ({"type": "click", "target": "Pay now"}, None, "ask", "'pay'"),
        ({"type": "click", "target": "Submit"}, None, "allow", ""),
        ({"type": "key", "keys": "ctrl+alt+delete"}, None, "ask", "system chord"),
        ({"type": "type", "text": "x", "target": "the PIN"}, "password", "ask", "password field"),
        ({"type": "click", "target": [5, 5]}, None, "refuse", "outside the allowed region"),
    ],
)
def test_safety_rules(
    action: dict[str, object], element: str | None, decision: str, reason: str
) -> None:
    parsed = parse_action(action)
    target = getattr(parsed, "target", None)
    point = target if isinstance(target, ScreenPoint) else ScreenPoint(x=500, y=500)
    placed = Placed(point, element=_pin() if element else None)
    judged = SafetyPolicy(allowed_region=REGION).judge(parsed, (placed,))
    assert judged.decision == decision and reason in judged.reason


def test_a_drag_is_judged_at_both_ends() -> None:
    policy = SafetyPolicy(allowed_region=REGION)
    onto_trash = Drag(start="the report", end="the Delete forever button")
    ends = (Placed(ScreenPoint(x=200, y=200), role="start"),
            Placed(ScreenPoint(x=300, y=300), role="end"))  # fmt: skip
    assert policy.judge(onto_trash, ends).decision == "ask"
    out_of_bounds = (ends[0], Placed(ScreenPoint(x=1900, y=300), role="end"))
    judged = policy.judge(Drag(start="a", end="b"), out_of_bounds)
    assert judged.decision == "refuse" and "(1900, 300)" in judged.reason


def test_a_swipe_by_direction_is_judged_where_it_ends() -> None:
    """The executor computes a direction swipe's end, so a swipe off the allowed region is
    caught before the finger moves."""
    device = FakeDesktop([Widget("button", "Send", (10, 10, 60, 30))], width=640, height=480)
    policy = SafetyPolicy(allowed_region=ScreenBox(x1=0, y1=100, x2=640, y2=480))
    ex = Executor(device, guard=SafetyGuard(policy), pacing=Pacing(0.05, 0.01, 0.0))
    with pytest.raises(RefusedError, match="outside the allowed region"):
        ex.run(Swipe(start=ScreenPoint(x=320, y=300), direction="up", distance=0.6))
    assert not any(call[0] == "drag" for call in device.calls)


def test_a_drag_onto_a_risky_element_is_refused_unattended_and_sends_nothing() -> None:
    device = FakeDesktop(
        [
            Widget("text", "report.pdf", (10, 10, 100, 30)),
            Widget("button", "Erase all", (300, 300, 400, 330)),
        ]
    )
    ex = Executor(device, guard=SafetyGuard(SafetyPolicy()), pacing=Pacing(0.05, 0.01, 0.0))
    with pytest.raises(RefusedError) as refused:
        ex.run(Drag(start="report.pdf", end="the Erase all button"))
    assert refused.value.decision.decision == "ask" and refused.value.decision.confirmed is False
    assert "'erase'" in refused.value.decision.reason
    assert [p.role for p in refused.value.placements] == ["start", "end"]
    assert not any(call[0] == "drag" for call in device.calls)


def test_the_guard_asks_a_person_and_shows_the_action_masked() -> None:
    shown: list[str] = []

    def person(action: object, reason: str) -> bool:
        shown.append(f"{action} / {reason}")
        return True

    guard = SafetyGuard(SafetyPolicy(), person, lambda a: Click(target="the ••• button"))
    device = FakeDesktop([Widget("button", "Delete", (10, 10, 60, 30))])
    screen = Observation(device.screenshot(), [])
    decision = guard(parse_action({"type": "click", "target": "Delete"}), (), screen)
    assert decision.decision == "ask" and decision.confirmed is True and not decision.blocked
    assert shown and "•••" in shown[0] and "'delete'" in shown[0]


def test_a_word_a_task_declares_safe_is_allowed() -> None:
    policy = SafetyPolicy(extra_allowed={"send"})
    assert policy.judge(parse_action({"type": "click", "target": "Send"})).decision == "allow"


# ------------------------------------------------- the table of words and roles
#
# Each case: an action on a placed element (a button unless said), the decision, and a piece
# of the reason. Risky words are checked by the concept the reason names.

AT = ScreenPoint(x=500, y=500)


def _element(name: str, role: str = "button", *states: str) -> Element:
    return Element(
        id="a11y-0",
        role=role,
        name=name,
        states=frozenset(states),
        box=ScreenBox(x1=400, y1=480, x2=600, y2=520),
        source="ocr" if role == "text" else "a11y",
    )


RISKY_LABELS = [
    # English, with inflections and synonyms
    ("Delete everything", "delete"), ("Deleting…", "delete"), ("Deleted", "delete"),
    ("Deletion", "delete"), ("Remove", "delete"), ("Removing", "delete"),
    ("Erase all", "delete"), ("Erased", "delete"), ("Wipe device", "delete"),
    ("Wiped", "delete"), ("Trash", "delete"), ("Move to trash", "delete"),
    ("Empty", "delete"), ("Emptied", "delete"), ("Discard changes", "delete"),
    ("Discarded", "delete"), ("Destroy", "delete"), ("Purge", "delete"),
    ("Pay now", "pay"), ("Paying", "pay"), ("Payment", "pay"), ("Checkout", "pay"),
    ("Check out", "pay"), ("Place order", "pay"), ("Buy", "purchase"),
    ("Buying", "purchase"), ("Purchase", "purchase"), ("Purchased", "purchase"),
    ("Confirm purchase", "purchase"), ("Order", "purchase"), ("Ordered", "purchase"),
    ("Send", "send"), ("Sending", "send"), ("Send payment", "pay"),
    ("Transfer", "transfer"), ("Transferred", "transfer"), ("Withdraw", "withdraw"),
    ("Withdrawal", "withdraw"), ("Sign out", "sign out"), ("Signing out", "sign out"),
    ("Sign-out", "sign out"), ("Log out", "sign out"), ("Logout", "sign out"),
    ("Log-out", "sign out"), ("Logged out", "sign out"), ("LOG OFF", "sign out"),
    ("Uninstall", "uninstall"), ("Uninstalling", "uninstall"), ("Reset", "factory reset"),
    ("Resetting", "factory reset"), ("Factory reset", "factory reset"), ("Format", "format"),
    ("Formatting", "format"), ("Unsubscribe", "unsubscribe"),
    ("Unsubscribed", "unsubscribe"), ("Close account", "close account"), ("Drop", "drop"),
    ("Dropped", "drop"),
    # German
    ("Löschen", "delete"), ("Gelöscht", "delete"), ("Entfernen", "delete"),
    ("Papierkorb leeren", "delete"), ("Bezahlen", "pay"), ("Zahlung", "pay"),
    ("Jetzt kaufen", "purchase"), ("Kaufen", "purchase"), ("Bestellen", "purchase"),
    ("Senden", "send"), ("Abschicken", "send"), ("Überweisen", "transfer"),
    ("Abmelden", "sign out"), ("Deinstallieren", "uninstall"),
    ("Zurücksetzen", "factory reset"), ("Formatieren", "format"), ("Kündigen", "unsubscribe"),
    # French
    ("Supprimer", "delete"), ("Supprimé", "delete"), ("Effacer", "delete"),
    ("Vider la corbeille", "delete"), ("Payer", "pay"), ("Paiement", "pay"),
    ("Acheter", "purchase"), ("Commander", "purchase"), ("Envoyer", "send"),
    ("Virement", "transfer"), ("Se déconnecter", "sign out"), ("Déconnexion", "sign out"),
    ("Désinstaller", "uninstall"), ("Desinstaller", "uninstall"),
    ("Réinitialiser", "factory reset"), ("Formater", "format"),
    ("Se désabonner", "unsubscribe"),
    # Spanish
    ("Eliminar", "delete"), ("Eliminado", "delete"), ("Borrar", "delete"),
    ("Vaciar papelera", "delete"), ("Pagar", "pay"), ("Pago", "pay"),
    ("Comprar", "purchase"), ("Enviar", "send"), ("Enviado", "send"),
    ("Transferir", "transfer"), ("Retirar", "withdraw"), ("Cerrar sesión", "sign out"),
    ("Desinstalar", "uninstall"), ("Restablecer", "factory reset"), ("Formatear", "format"),
    ("Darse de baja", "unsubscribe"),
    # Italian
    ("Elimina", "delete"), ("Eliminato", "delete"), ("Cancella", "delete"),
    ("Svuota cestino", "delete"), ("Paga", "pay"), ("Pagamento", "pay"),
    ("Acquista", "purchase"), ("Invia", "send"), ("Bonifico", "transfer"),
    ("Prelievo", "withdraw"), ("Disconnetti", "sign out"), ("Disinstalla", "uninstall"),
    ("Ripristina", "factory reset"), ("Formatta", "format"),
    ("Annulla iscrizione", "unsubscribe"),
    # Portuguese
    ("Excluir", "delete"), ("Excluído", "delete"), ("Apagar", "delete"),
    ("Remover", "delete"), ("Pagamento", "pay"), ("Finalizar compra", "pay"),
    ("Comprar agora", "purchase"), ("Enviar mensagem", "send"), ("Sacar", "withdraw"),
    ("Sair da conta", "sign out"), ("Desinstalar app", "uninstall"),
    ("Redefinir", "factory reset"), ("Formatar", "format"),
    # Chinese (simplified and traditional)
    ("删除", "delete"), ("全部删除", "delete"), ("刪除", "delete"), ("清空", "delete"),
    ("支付", "pay"), ("立即付款", "pay"), ("购买", "purchase"), ("发送", "send"),
    ("转账", "transfer"), ("提现", "withdraw"), ("退出登录", "sign out"),
    ("卸载", "uninstall"), ("恢复出厂设置", "factory reset"), ("格式化", "format"),
    ("取消订阅", "unsubscribe"),
    # Japanese
    ("削除", "delete"), ("削除する", "delete"), ("消去", "delete"), ("支払う", "pay"),
    ("お支払い", "pay"), ("購入", "purchase"), ("注文する", "purchase"), ("送信", "send"),
    ("送金", "transfer"), ("出金", "withdraw"), ("ログアウト", "sign out"),
    ("アンインストール", "uninstall"), ("初期化", "factory reset"), ("フォーマット", "format"),
    ("配信停止", "unsubscribe"),
    # Russian
    ("Удалить", "delete"), ("Удалено", "delete"), ("УДАЛИТЬ", "delete"),
    ("Очистить", "delete"), ("Оплатить", "pay"), ("Оплата", "pay"), ("Купить", "purchase"),
    ("Оформить заказ", "pay"), ("Отправить", "send"), ("Перевести", "transfer"),
    ("Выйти", "sign out"), ("Деинсталлировать", "uninstall"), ("Сбросить", "factory reset"),
    ("Форматировать", "format"), ("Отписаться", "unsubscribe"),
    # Korean
    ("삭제", "delete"), ("결제", "pay"), ("전송", "send"), ("로그아웃", "sign out"),
    # look-alike letters of other scripts, invisible characters, other forms of letters
    ("D\u0435lete", "delete"), ("DEL\u0395TE", "delete"), ("\u0420\u0430\u0443", "pay"),
    ("S\u0435nd", "send"), ("Unin\u0455tall", "uninstall"), ("Er\u0430se", "delete"),
    ("De\u200blete", "delete"), ("Del\u00adete", "delete"), ("Se\u200dnd", "send"),
    ("\u2066Delete\u2069", "delete"), ("Pay\ufeff", "pay"), ("Log\u200bout", "sign out"),
    ("\uff24\uff25\uff2c\uff25\uff34\uff25", "delete"), ("\uff30\uff41\uff59", "pay"),
    ("De\u0301lete", "delete"),
    ("L\u00f6schen".upper(), "delete"), ("Lo\u0308schen", "delete"),
]  # fmt: skip

BENIGN_LABELS = [
    "Submit", "OK", "Save", "Cancel", "Next", "Back", "Open", "Settings", "Sign in", "Log in",
    "Sign up", "Register", "Search", "Print", "Help", "Close", "Apply", "Continue", "Edit",
    "Copy", "Undo", "Dropdown", "Sent", "Sender", "Next page", "Catalogue", "Paste",
    "Speichern", "Abbrechen", "Weiter", "Zahl", "Enregistrer", "Annuler", "Suivant",
    "Guardar", "Cancelar", "Siguiente", "Página siguiente", "Salva", "Annulla", "Avanti",
    "Salvar", "Próximo", "保存", "取消", "下一步", "保存する", "キャンセル", "次へ",
    "Сохранить", "Отмена", "Далее", "Удалённый доступ", "저장", "취소",
]  # fmt: skip

_CLICK = Click(target=AT)


def _word_cases() -> list[tuple[str, Action, Element | None, Element | None, str, str]]:
    cases: list[tuple[str, Action, Element | None, Element | None, str, str]] = []
    for label, concept in RISKY_LABELS:
        cases.append((f"risky {label!a}", _CLICK, _element(label), None, "ask", concept))
    for label in BENIGN_LABELS:
        cases.append((f"benign {label!a}", _CLICK, _element(label), None, "allow", ""))
    return cases


def _type(text: str, **options: object) -> TypeText:
    return TypeText(text=text, target=AT, **options)


def _key(chord: str) -> Key:
    return Key(keys=chord)


CHORDS = [
    ("super", "ask"), ("super+l", "ask"), ("super+d", "ask"), ("meta+e", "ask"),
    ("win+r", "ask"), ("alt+f2", "ask"), ("alt+f4", "ask"), ("ctrl+alt+f1", "ask"),
    ("ctrl+alt+t", "ask"), ("ctrl+alt+delete", "ask"), ("ctrl+alt+backspace", "ask"),
    ("shift+delete", "ask"), ("ctrl+shift+delete", "ask"), ("ctrl+q", "ask"),
    ("ctrl+w", "ask"), ("ctrl+shift+w", "ask"),
    ("ctrl+c", "allow"), ("ctrl+v", "allow"), ("ctrl+s", "allow"), ("ctrl+a", "allow"),
    ("ctrl+z", "allow"), ("shift+tab", "allow"), ("alt+f", "allow"), ("f5", "allow"),
    ("delete", "allow"), ("alt+tab", "allow"),
]  # fmt: skip

FOCUSED_SEND = _element("Send", "button", "focused")
FOCUSED_BOX = _element("Send me product news", "checkbox", "focused")
FOCUSED_CHAT = _element("Write a message to send", "entry", "focused")
FOCUSED_NAME = _element("Name", "entry", "focused")

ROLE_CASES: list[tuple[str, Action, Element | None, Element | None, str, str]] = [
    # A toggle is not the risky act; a button, link, menu item or text is.
    ("tick news", _CLICK, _element("Send me product news", "checkbox"), None, "allow", ""),
    ("tick remember", _CLICK, _element("Remember me", "checkbox"), None, "allow", ""),
    ("tick my data", _CLICK, _element("Delete my data", "checkbox"), None, "allow", ""),
    ("pick radio", _CLICK, _element("Pay monthly", "radio"), None, "allow", ""),
    ("switch", _CLICK, _element("Send crash reports", "other", "checkable"), None, "allow", ""),
    ("button send", _CLICK, _element("Send"), None, "ask", "'send'"),
    ("button send payment", _CLICK, _element("Send payment"), None, "ask", "'pay'"),
    ("link", _CLICK, _element("Delete", "link"), None, "ask", "'delete'"),
    ("menu item", _CLICK, _element("Delete", "menu"), None, "ask", "'delete'"),
    ("OCR text", _CLICK, _element("Delete", "text"), None, "ask", "'delete'"),
    ("long press", LongPress(target=AT), _element("Uninstall"), None, "ask", "uninstall"),
    ("box target", Click(target=ScreenBox(x1=450, y1=490, x2=550, y2=510)),
     _element("Pay"), None, "ask", "'pay'"),
    ("hover", Hover(target=AT), _element("Delete"), None, "allow", ""),
    ("focus a field", _CLICK, _element("Send to", "entry"), None, "allow", ""),
    ("scroll over", Scroll(direction="down", target=AT), _element("Delete"), None, "ask",
     "'delete'"),
    ("ensure ticked, words only", Click(target="Send me news", ensure="checked"), None, None,
     "allow", ""),
    # Typing: into a field it is not the act, unless a newline (Enter) submits it.
    ("type into chat", _type("hello"), FOCUSED_CHAT, None, "allow", ""),
    ("newline into chat", _type("hello\n"), FOCUSED_CHAT, None, "ask", "Enter"),
    ("newline mid-text", _type("hi\nthere"), FOCUSED_CHAT, None, "ask", "Enter"),
    ("press_enter into chat", _type("hi", press_enter=True), FOCUSED_CHAT, None, "ask",
     "'send'"),
    ("newline into name", _type("Bob\n"), FOCUSED_NAME, None, "allow", ""),
    ("newline, no target", TypeText(text="hi\n"), None, FOCUSED_CHAT, "ask", "Enter"),
    ("newline, focus on button", TypeText(text="\n"), None, FOCUSED_SEND, "ask", "'send'"),
    ("no newline, focus on button", TypeText(text="x"), None, FOCUSED_SEND, "allow", ""),
    ("typing onto a button", _type("x"), _element("Delete"), None, "ask", "'delete'"),
    # Enter (and Space) pressed as keys act on the focused element.
    ("enter on send", _key("enter"), None, FOCUSED_SEND, "ask", "Enter"),
    ("space on send", _key("space"), None, FOCUSED_SEND, "ask", "'send'"),
    ("enter on checkbox", _key("enter"), None, FOCUSED_BOX, "allow", ""),
    ("enter on name", _key("enter"), None, FOCUSED_NAME, "allow", ""),
    ("enter, no focus", _key("enter"), None, None, "allow", ""),
    ("android enter", SystemButton(button="enter"), None, FOCUSED_CHAT, "ask", "'send'"),
    ("tab on send", _key("tab"), None, FOCUSED_SEND, "allow", ""),
    # Passwords, focused or targeted.
    ("password", _type("x"), _element("PIN", "entry", "password"), None, "ask", "password"),
    ("password focused", TypeText(text="x"), None,
     _element("PIN", "entry", "password", "focused"), "ask", "password field"),
]  # fmt: skip

CHORD_CASES = [
    (f"chord {c}", _key(c), None, None, d, "system chord" if d == "ask" else "") for c, d in CHORDS
]

TABLE = _word_cases() + ROLE_CASES + CHORD_CASES


def test_the_table_is_as_wide_as_the_issue_asks() -> None:
    risky = sum(1 for case in TABLE if case[4] != "allow")
    assert len(TABLE) >= 150 and risky >= 100 and len(TABLE) - risky >= 50


@pytest.mark.parametrize(
    ("action", "element", "focused", "decision", "reason"),
    [case[1:] for case in TABLE],
    ids=[case[0] for case in TABLE],
)
def test_the_words_of_what_is_acted_on_are_judged_with_its_role(
    action: Action, element: Element | None, focused: Element | None, decision: str, reason: str
) -> None:
    target = getattr(action, "target", None)
    placements: tuple[Placed, ...] = ()
    if element is not None:
        point = target.center if isinstance(target, ScreenBox) else AT
        placements = (Placed(point, element=element),)
    screen = Observation(
        FakeDesktop([]).screenshot(), [e for e in (focused, element) if e is not None]
    )
    judged = SafetyPolicy().judge(action, placements, screen)
    assert judged.decision == decision, judged.reason
    assert reason in judged.reason
    if decision == "ask" and "chord" not in reason and "password" not in reason:
        assert judged.reason.startswith(("the target says", "Enter (a typed newline) where"))


def test_a_word_from_the_words_file_is_shown_as_written_with_its_concept() -> None:
    judged = SafetyPolicy().judge(_CLICK, (Placed(AT, element=_element("Löschen")),))
    assert judged.reason == "the target says 'löschen' (delete)"
    judged = SafetyPolicy().judge(_CLICK, (Placed(AT, element=_element("Delete all")),))
    assert judged.reason == "the target says 'delete'"


def test_a_policy_with_its_own_words_asks_about_those_only() -> None:
    policy = SafetyPolicy(risky_words=("archive",))
    assert policy.judge(_CLICK, (Placed(AT, element=_element("Archived")),)).decision == "ask"
    assert policy.judge(_CLICK, (Placed(AT, element=_element("Delete")),)).decision == "allow"
    # the chords stay asked about whatever the words
    assert policy.judge(_key("super+l")).decision == "ask"


def test_a_concept_declared_safe_covers_its_other_languages() -> None:
    policy = SafetyPolicy(extra_allowed={"send"})
    for label in ("Send", "Senden", "发送"):
        assert policy.judge(_CLICK, (Placed(AT, element=_element(label)),)).decision == "allow"
    assert policy.judge(_CLICK, (Placed(AT, element=_element("Delete")),)).decision == "ask"


def test_typing_with_no_target_is_checked_against_the_region_at_the_focus() -> None:
    policy = SafetyPolicy(allowed_region=ScreenBox(x1=0, y1=0, x2=300, y2=300))
    screen = Observation(FakeDesktop([]).screenshot(), [FOCUSED_NAME])
    judged = policy.judge(TypeText(text="Bob"), (), screen)
    assert judged.decision == "refuse" and "(500, 500) is outside" in judged.reason
    assert policy.judge(TypeText(text="Bob"), (), None).decision == "allow"  # nothing known


# ------------------------------------------------- placing what is under a point


def test_the_element_under_a_point_is_the_smallest_control_there() -> None:
    def e(i: int, role: str, box: tuple[int, int, int, int], source: str = "a11y") -> Element:
        x1, y1, x2, y2 = box
        return Element(id=f"e{i}", role=role, name=str(i), source=source,
                       box=ScreenBox(x1=x1, y1=y1, x2=x2, y2=y2))  # fmt: skip

    window = e(0, "window", (0, 0, 640, 480))
    button = e(1, "button", (100, 100, 300, 140))
    label = e(2, "text", (120, 110, 280, 130))  # the button's own label, drawn inside it
    ocr = e(3, "text", (400, 400, 500, 420), "ocr")
    screen = Observation(FakeDesktop([]).screenshot(), [window, button, label, ocr])
    assert element_at(screen, ScreenPoint(x=200, y=120)) == button
    assert element_at(screen, ScreenPoint(x=50, y=50)) == window
    only_ocr = Observation(screen.screenshot, [ocr])
    assert element_at(only_ocr, ScreenPoint(x=450, y=410)) == ocr
    assert element_at(only_ocr, ScreenPoint(x=10, y=10)) is None


def test_a_guarded_point_action_reads_the_elements_an_unguarded_one_does_not() -> None:
    click = Click(target=AT)
    assert not needs_elements(click) and needs_elements(click, guarded=True)
    assert needs_elements(Click(), guarded=True) and needs_elements(_key("enter"), guarded=True)
    assert not needs_elements(_key("ctrl+c"), guarded=True)
    assert not needs_elements(Wait(seconds=1), guarded=True)


class _Pointer(FakeDesktop):
    def __enter__(self) -> _Pointer:
        return self

    def pointer_position(self) -> ScreenPoint:
        return ScreenPoint(x=620, y=20)


def test_a_click_with_no_target_is_judged_where_the_pointer_is() -> None:
    device = _Pointer([Widget("button", "Delete", (600, 0, 640, 40))])
    ex = Executor(device, guard=SafetyGuard(SafetyPolicy()), pacing=FAST)
    with pytest.raises(RefusedError, match="'delete'"):
        ex.run(Click())
    region = SafetyPolicy(allowed_region=ScreenBox(x1=0, y1=100, x2=640, y2=480))
    ex = Executor(device, guard=SafetyGuard(region, lambda a, r: True), pacing=FAST)
    with pytest.raises(RefusedError, match=r"\(620, 20\) is outside the allowed region"):
        ex.run(Click())
    assert not any(call[0] == "click" for call in device.calls)
    # a device that cannot tell where its pointer is: no placement, no error
    plain = FakeDesktop([Widget("button", "OK", (600, 0, 640, 40))])
    Executor(plain, guard=SafetyGuard(region), pacing=FAST).run(Click())
    assert plain.calls[0] == ("click", None)


def _yes_noting(asked: list[str]) -> Callable[[Action, str], bool]:
    """A person who says yes to everything, keeping why they were asked."""

    def person(_action: Action, why: str) -> bool:
        asked.append(why)
        return True

    return person


def test_a_drag_ending_on_a_risky_element_given_as_a_point_is_asked_about() -> None:
    device = FakeDesktop(
        [
            Widget("text", "report.pdf", (10, 10, 100, 30)),
            Widget("button", "Erase all", (300, 300, 400, 330)),
        ]
    )
    asked: list[str] = []
    ex = Executor(device, guard=SafetyGuard(SafetyPolicy()), pacing=FAST)
    drag = Drag(start=ScreenPoint(x=50, y=20), end=ScreenPoint(x=350, y=315))
    with pytest.raises(RefusedError) as refused:
        ex.run(drag)
    assert refused.value.decision.decision == "ask" and "'erase'" in refused.value.decision.reason
    assert refused.value.placements[1].element is not None
    assert refused.value.placements[1].element.name == "Erase all"
    assert not any(call[0] == "drag" for call in device.calls)
    person = SafetyGuard(SafetyPolicy(), _yes_noting(asked))
    Executor(device, guard=person, pacing=FAST).run(drag)
    assert asked == ["the target says 'erase' (delete)"]
    assert any(call[0] == "drag" for call in device.calls)


# ------------------------------------------------- end to end: a model clicks by coordinates


def _signup() -> FakeDesktop:
    return FakeDesktop(
        [
            Widget("checkbox", "Send me product news", (20, 100, 200, 120)),
            Widget("button", "OK", (300, 150, 390, 180)),
            Widget("button", "Delete everything", (420, 150, 600, 180)),
        ]
    )


def _native_run(
    device: FakeDesktop, answers: list[str], tmp_path: Path, **options: object
) -> RunResult:
    agent = fast_agent(device, NativePolicy(ScriptedRuntime(answers)), tmp_path, **options)
    return agent.run("clean up")


# "Delete everything" is at (510, 165) of a 640x480 screen: 797/1000, 344/1000 to the model.
_DELETE_CLICK = tool_call("left_click", coordinate=[797, 344])
_DONE = tool_call("terminate", status="success")


def test_a_model_clicking_a_risky_button_by_coordinates_is_refused_unattended(
    tmp_path: Path,
) -> None:
    device = _signup()
    result = _native_run(device, [_DELETE_CLICK, _DONE], tmp_path)
    assert result.status == "refused", result.message
    assert "the target says 'delete'" in result.message
    assert not any(call[0] == "click" for call in device.calls)  # no click reached the device
    assert device.widgets[2].presses == 0


def test_a_model_clicking_a_risky_button_by_coordinates_runs_once_confirmed(
    tmp_path: Path,
) -> None:
    asked: list[str] = []
    device = _signup()
    result = _native_run(
        device,
        [_DELETE_CLICK, _DONE],
        tmp_path,
        confirm=_yes_noting(asked),
    )
    assert result.status == "success", result.message
    assert asked == ["the target says 'delete'"] and device.widgets[2].presses == 1


def test_a_model_ticking_a_newsletter_checkbox_by_coordinates_runs_unattended(
    tmp_path: Path,
) -> None:
    """Issue 16's false positive: "Send me product news" is a checkbox, not a send."""
    device = _signup()
    tick = tool_call("left_click", coordinate=[172, 229])  # (110, 110)
    result = _native_run(device, [tick, _DONE], tmp_path)
    assert result.status == "success", result.message
    assert device.widgets[0].checked


# ---------------------------------------------------------------------- on real programs
def test_under_xvfb_a_model_clicking_a_risky_tk_button_by_coordinates_is_refused(
    xsession: XSession, reader: ScreenReader, tmp_path: Path
) -> None:
    """Under Xvfb, a stand-in model answers `left_click [x, y]` onto the Tk form's
    "Delete everything" button: the element under the point is what safety judges."""
    from screenpilot.devices.desktop import Desktop
    from screenpilot.policies.model_policies import NativePolicy
    from tests.desktop_apps import start_tk_form
    from tests.standin_model import StandInModel

    saved = tmp_path / "form.json"
    form = start_tk_form(xsession, saved, "--button", "Delete everything", "Name")
    try:
        with Desktop() as desktop:
            model = StandInModel(reader, [("click", "Delete everything")])
            refused = Agent(desktop, NativePolicy(model), reader=reader, output=tmp_path).run(
                "press the button"
            )
            assert refused.status == "refused", refused.message
            assert "'delete'" in refused.message and not saved.exists()
            model = StandInModel(reader, [("click", "Delete everything")])
            allowed = Agent(
                desktop, NativePolicy(model), reader=reader, output=tmp_path,
                confirm=lambda action, reason: True,
            ).run("press the button")  # fmt: skip
        assert allowed.status == "success", allowed.message
        assert saved.exists()  # the click went through once a person said yes
    finally:
        xsession.stop(form)


def test_typing_into_a_gtk_password_field_is_refused_unattended_and_typed_after_yes(
    xsession: XSession, tmp_path: Path
) -> None:
    import subprocess

    from screenpilot.devices.desktop import Desktop
    from screenpilot.policies.rules import RulesPolicy

    out = tmp_path / "yad.out"
    with out.open("w") as stdout:
        app = subprocess.Popen(
            ["yad", "--form", "--title=Sign in", "--field=Password:H", "--field=Name"],
            env=xsession.env, stdout=stdout, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
    try:
        xsession.wait_for_window("Sign in")
        with Desktop() as desktop:
            refused = Agent(desktop, RulesPolicy(), output=tmp_path, secrets=["hunter2"]).run(
                "type hunter2 into the Password field"
            )
            assert refused.status == "refused" and "password field" in refused.message
            typed = Agent(
                desktop, RulesPolicy(), output=tmp_path, secrets=["hunter2"],
                confirm=lambda action, reason: reason == "typing into a password field",
            ).run("type hunter2 into the Password field, click OK")  # fmt: skip
        assert typed.status == "success", typed.message
        app.wait(timeout=10)
        assert out.read_text().startswith("hunter2|")
        for record in tmp_path.glob("**/trajectory.jsonl"):
            assert "hunter2" not in record.read_text(encoding="utf-8")
    finally:
        app.kill()
        app.wait()
