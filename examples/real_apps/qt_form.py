"""A Qt 5 form (PyQt5, Debian's python3-pyqt5) for the real-program suite.

Usage: /usr/bin/python3 qt_form.py

A "Delivery details" dialog with line edits, a combo box, a spin box, radio buttons, a
checkbox and OK/Cancel. OK prints the values as one JSON line and exits 0; Cancel exits 1.
Qt exposes its widgets to AT-SPI when QT_LINUX_ACCESSIBILITY_ALWAYS_ON=1 is set (the suite
sets it).
"""

from __future__ import annotations

import json
import sys

from PyQt5.QtWidgets import (
    QApplication,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)


def main() -> int:
    app = QApplication(sys.argv)
    app.setApplicationName("Delivery details")
    dialog = QDialog()
    dialog.setWindowTitle("Delivery details")
    form = QFormLayout()
    name, street, city = QLineEdit(), QLineEdit(), QLineEdit()
    city.setPlaceholderText("e.g. Lyon")
    form.addRow("&Name:", name)
    form.addRow("&Street:", street)
    form.addRow("&City:", city)
    country = QComboBox()
    country.addItems(["Belgium", "France", "Germany", "Netherlands", "Spain"])
    form.addRow("C&ountry:", country)
    parcels = QSpinBox()
    parcels.setRange(1, 20)
    form.addRow("&Parcels:", parcels)
    speeds = QWidget()
    row = QHBoxLayout(speeds)
    row.setContentsMargins(0, 0, 0, 0)
    group = QButtonGroup(dialog)
    for label in ("Standard", "Express", "Overnight"):
        button = QRadioButton(label)
        group.addButton(button)
        row.addWidget(button)
    group.buttons()[0].setChecked(True)
    form.addRow("Delivery:", speeds)
    gift = QCheckBox("This is a gift")
    form.addRow("", gift)
    buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    layout.addLayout(form)
    layout.addWidget(buttons)
    dialog.resize(440, 320)
    if dialog.exec_() != QDialog.Accepted:
        return 1
    checked = group.checkedButton()
    values = {
        "name": name.text(),
        "street": street.text(),
        "city": city.text(),
        "country": country.currentText(),
        "parcels": parcels.value(),
        "delivery": checked.text() if checked else "",
        "gift": gift.isChecked(),
    }
    print(json.dumps(values, sort_keys=True, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
