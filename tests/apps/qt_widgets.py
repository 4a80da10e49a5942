"""A Qt 5 window of entries, checkboxes, radios, buttons and a combo that reports where Qt
put each of them.

Usage: /usr/bin/python3 qt_widgets.py OUTPUT.json [X Y] [-style Fusion]
Once the window is shown it writes a JSON list of {"kind", "checked", "box": [left, top,
width, height]} in root-window pixels, then waits to be stopped. A checkbox's or radio's box
is the indicator the style draws (QStyle's own sub-element rectangle), not its caption.
"""

from __future__ import annotations

import json
import sys

from PyQt5.QtCore import QPoint, QTimer
from PyQt5.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QStyle,
    QStyleOptionButton,
    QWidget,
)


def main() -> None:
    app = QApplication(sys.argv)  # takes Qt's own options (-style) out of argv
    if len(sys.argv) not in (2, 4):
        sys.exit(__doc__)
    output = sys.argv[1]
    x, y = (int(v) for v in sys.argv[2:4] or (120, 80))
    window = QWidget()
    window.setWindowTitle("Shapes Qt")
    window.move(x, y)
    form = QFormLayout(window)
    form.setVerticalSpacing(14)
    widgets: list[tuple[str, bool | None, QWidget]] = []
    name = QLineEdit()
    name.setPlaceholderText("Your name")
    name.setMinimumWidth(220)
    form.addRow("Name", name)
    city = QLineEdit("Paris")
    form.addRow("City", city)
    widgets += [("entry", None, name), ("entry", None, city)]
    for label, state in (("Subscribe", False), ("Remember me", True)):
        check = QCheckBox(label)
        check.setChecked(state)
        form.addRow("", check)
        widgets.append(("checkbox", state, check))
    for label, state in (("Small", False), ("Large", True)):
        radio = QRadioButton(label)
        radio.setChecked(state)
        form.addRow("", radio)
        widgets.append(("radio", state, radio))
    combo = QComboBox()
    combo.addItems(["Red", "Green", "Blue"])
    form.addRow("Colour", combo)
    widgets.append(("combo", None, combo))
    row = QHBoxLayout()
    row.setSpacing(8)
    for label in ("Submit", "Cancel"):
        button = QPushButton(label)
        button.setAutoDefault(False)
        row.addWidget(button)
        widgets.append(("button", None, button))
    row.addStretch(1)
    form.addRow("", row)
    window.show()

    def report() -> None:
        # No widget holds the focus: a focused line edit hides its placeholder.
        focused = app.focusWidget()
        if focused is not None:
            focused.clearFocus()
        found = []
        for kind, checked, widget in widgets:
            rect = widget.rect()
            if kind in ("checkbox", "radio"):
                option = QStyleOptionButton()
                widget.initStyleOption(option)  # type: ignore[attr-defined]
                element = (
                    QStyle.SE_CheckBoxIndicator
                    if kind == "checkbox"
                    else QStyle.SE_RadioButtonIndicator
                )
                rect = widget.style().subElementRect(element, option, widget)
            origin = widget.mapToGlobal(QPoint(rect.x(), rect.y()))
            box = [origin.x(), origin.y(), rect.width(), rect.height()]
            found.append({"kind": kind, "checked": checked, "box": box})
        with open(output, "w", encoding="utf-8") as f:
            json.dump(found, f)

    QTimer.singleShot(1000, report)
    app.exec_()


if __name__ == "__main__":
    main()
