"""The navigation rail and the pages that are not built yet (a section with a promise)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.ui.widgets import icon, plain_label


@dataclass(frozen=True, slots=True)
class Section:
    key: str  # also the icon's name
    title: str  # English source, "Navigation" context
    promise: str  # what the page will do, for pages not built yet


SECTIONS = (
    Section("customers", QT_TRANSLATE_NOOP("Navigation", "Customers"), ""),
    Section("tasks", QT_TRANSLATE_NOOP("Navigation", "Tasks"), ""),  # app/ui/tasks
    Section("content", QT_TRANSLATE_NOOP("Navigation", "Content"), ""),  # app/ui/content
    Section(
        "appointments",
        QT_TRANSLATE_NOOP("Navigation", "Appointments"),
        QT_TRANSLATE_NOOP(
            "Navigation",
            "Your calendar of fittings and visits will be here, with reminders and clash checks.",
        ),
    ),
    Section(
        "performance",
        QT_TRANSLATE_NOOP("Navigation", "Performance"),
        QT_TRANSLATE_NOOP(
            "Navigation",
            "Your sales, conversions and progress toward this month's target will be here.",
        ),
    ),
)


RAIL_MIN_WIDTH = 92  # px: the rail's width when its words are short (Chinese)


def _t(text: str) -> str:
    return QCoreApplication.translate("Navigation", text)


class NavRail(QWidget):
    """A column of big icon buttons, one per section; ``chosen`` carries the section key."""

    chosen = Signal(str)
    sign_out = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("navRail")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        # As wide as its widest item needs ("Appointments"), whatever page is beside it.
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
        self.buttons: dict[str, QToolButton] = {}
        group = QButtonGroup(self)
        group.setExclusive(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 10, 6, 10)
        layout.setSpacing(4)
        for section in SECTIONS:
            button = self._button(f"nav_{section.key}", section.key, _t(section.title))
            button.setCheckable(True)
            button.clicked.connect(lambda _c=False, k=section.key: self.chosen.emit(k))
            group.addButton(button)
            layout.addWidget(button)
            self.buttons[section.key] = button
        layout.addStretch(1)
        out = self._button("signOutButton", "sign-out", self.tr("Sign out"))
        out.clicked.connect(self.sign_out)
        layout.addWidget(out)

    def _button(self, name: str, icon_name: str, text: str) -> QToolButton:
        button = QToolButton()
        button.setObjectName(name)
        button.setText(text)
        button.setIcon(icon(icon_name))
        button.setIconSize(QSize(26, 26))
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
        button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        return button

    def sizeHint(self) -> QSize:
        return super().sizeHint().expandedTo(QSize(RAIL_MIN_WIDTH, 0))

    def minimumSizeHint(self) -> QSize:
        # Never squeezed below what its items' words need: the page beside it gives way.
        return self.sizeHint()

    def select(self, key: str) -> None:
        self.buttons[key].setChecked(True)


class ComingSoonPage(QWidget):
    """A plain, friendly page for a section that is not built yet."""

    def __init__(self, section: Section, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"page_{section.key}")
        title = plain_label(_t(section.title), "pageTitle", wrap=False, selectable=False)
        soon = plain_label(self.tr("Coming soon"), "comingSoon", wrap=False, selectable=False)
        promise = plain_label(_t(section.promise), "comingSoonText", selectable=False)
        # A fixed-width column lets the wrapped text take the height it needs.
        column = QWidget()
        column.setFixedWidth(560)
        rows = QVBoxLayout(column)
        for label in (title, soon, promise):
            label.setAlignment(Qt.AlignmentFlag.AlignHCenter)
            rows.addWidget(label)
        centred = QHBoxLayout()  # not an alignment flag: that would ignore the wrapped height
        centred.addStretch(1)
        centred.addWidget(column)
        centred.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addLayout(centred)
        layout.addStretch(2)
