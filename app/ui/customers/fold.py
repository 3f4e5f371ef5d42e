"""The customer list and the profile, laid out for the width there is.

Wide (the page at least ``narrow_below`` px, ``NARROW`` for the customer book): side by
side in a splitter, as on a big screen. Narrow (a 1024×768 counter terminal, a laptop at
150 %): the list takes the whole width and the profile opens as a drawer over its right
part when a customer is opened, with a close button; Esc (``MainWindow.clear_search``) or
the button closes it, and choosing another customer opens it again. The Tasks page's Today
folds its profile the same way on a still narrower page.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLayout,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.ui.customers.profile import ProfilePane

NARROW = 1080  # px of the page: below it the profile folds into a drawer
DRAWER_SHARE = 0.52  # of the page's width, at least the profile's minimum width


class ProfileFold(QWidget):
    dismissed = Signal()  # the guide closed the drawer (the keys go back to the search)

    def __init__(
        self,
        main: QWidget,
        profile: ProfilePane,
        cover: QWidget | None = None,
        parent: QWidget | None = None,
        *,
        narrow_below: int = NARROW,
    ):
        """``cover``: the part of ``main`` the drawer lies over (the list: the search box
        and the filters above it stay in reach); by default all of it. ``narrow_below``:
        the page width under which the profile folds."""
        super().__init__(parent)
        self.setObjectName("profileFold")
        self.main, self.profile = main, profile
        self.narrow_below = narrow_below
        self.cover = cover or main
        self.cover.installEventFilter(self)  # it moves when the filters wrap
        self.narrow = False
        self._open = False
        self._dismissed_id: str | None = None

        self.drawer = QFrame()
        self.drawer.setObjectName("profileDrawer")
        self.drawer.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.close_button = QPushButton(self.tr("Close"))
        self.close_button.setObjectName("closeProfileButton")
        self.close_button.clicked.connect(self.close_drawer)
        self.close_button.hide()
        self.head = QWidget()
        head = QHBoxLayout(self.head)
        head.setContentsMargins(0, 0, 0, 4)
        head.addStretch(1)
        head.addWidget(self.close_button)
        self.head.hide()
        column = QVBoxLayout(self.drawer)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.head)
        column.addWidget(profile, 1)

        self.splitter = QSplitter()
        self.splitter.addWidget(main)
        self.splitter.addWidget(self.drawer)
        self.splitter.setStretchFactor(0, 7)
        self.splitter.setStretchFactor(1, 4)
        self.splitter.setChildrenCollapsible(False)
        self._sizes: list[int] | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        # Not the side-by-side minimum: narrower than that, the profile folds instead.
        layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        layout.addWidget(self.splitter)

        self._least_width = profile.minimumWidth()
        profile.loaded.connect(self._loaded)
        profile.stack.currentChanged.connect(self._profile_page)
        self._fit_profile()

    # -- the drawer --------------------------------------------------------------------

    @property
    def drawer_open(self) -> bool:
        return self.narrow and self.drawer.isVisible()

    @Slot(str)
    def _loaded(self, customer_id: str) -> None:
        self._fit_profile()
        QTimer.singleShot(0, self, self._fit_profile)  # once its new parts are shown, too
        if self.narrow and customer_id != self._dismissed_id:
            self.open_drawer()

    def _fit_profile(self) -> None:
        """The profile's pane (or drawer) never narrower than what it shows needs: its
        scroll area does not scroll sideways, so a narrower pane would cut the buttons."""
        content = self.profile.findChild(QWidget, "profileContent")
        scroll = self.profile.findChild(QScrollArea)
        if content is None or scroll is None:
            return
        content.ensurePolished()  # the parts just built: measured in the style sheet's font
        need = (
            content.minimumSizeHint().width()
            + scroll.verticalScrollBar().sizeHint().width()
            + 2 * scroll.frameWidth()
        )
        width = max(self._least_width, need)
        if width != self.profile.minimumWidth():
            self.profile.setMinimumWidth(width)
            self._set_narrow(self.width() < max(self.narrow_below, self._side_by_side_width()))
            if self.narrow:
                self._place_drawer()

    @Slot(int)
    def _profile_page(self, index: int) -> None:
        if index == 0:  # no customer chosen: nothing to show; the next one opens it
            self._dismissed_id = None
            if self.narrow:
                self._hide_drawer()

    def open_drawer(self) -> None:
        """Show the profile (narrow: the drawer) when it has a customer to show."""
        if self.profile.customer_id is None:
            return
        self._dismissed_id = None
        self._open = True
        if self.narrow:
            self._place_drawer()
            self.drawer.show()
            self.drawer.raise_()

    @Slot()
    def close_drawer(self) -> None:
        """Fold the profile away (narrow only): the list is whole again."""
        if not self.drawer_open:
            return
        self._dismissed_id = self.profile.customer_id
        self._hide_drawer()
        self.dismissed.emit()

    def _hide_drawer(self) -> None:
        self._open = False
        if self.narrow:
            self.drawer.hide()

    # -- the width -----------------------------------------------------------------------

    def minimumSizeHint(self) -> QSize:
        """As small as the list with the drawer over it may be."""
        main = self.main.minimumSizeHint().expandedTo(self.main.minimumSize())
        return main.expandedTo(QSize(self.profile.minimumWidth(), 0))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._set_narrow(self.width() < max(self.narrow_below, self._side_by_side_width()))
        if self.narrow:
            self._place_drawer()

    def _side_by_side_width(self) -> int:
        """The least width at which the list and the profile both get their minimum."""
        main = self.main.minimumSizeHint().expandedTo(self.main.minimumSize()).width()
        return main + self.splitter.handleWidth() + self.profile.minimumWidth()

    def _set_narrow(self, narrow: bool) -> None:
        if narrow == self.narrow:
            return
        self.narrow = narrow
        if narrow:
            self._sizes = self.splitter.sizes()
            focus = self.drawer.isAncestorOf(self.focusWidget()) if self.focusWidget() else False
            self.drawer.setParent(self)  # out of the splitter, over the list
            self.head.show()
            self.close_button.show()
            self._open = self._open or self.profile.stack.currentIndex() == 1
            self.drawer.setVisible(self._open)
            if self._open:
                self._place_drawer()
                self.drawer.raise_()
                if focus:
                    self.profile.setFocus()
        else:
            self.head.hide()
            self.close_button.hide()
            self.splitter.addWidget(self.drawer)
            self.drawer.show()
            if self._sizes:
                self.splitter.setSizes(self._sizes)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        moved = event.type() in (QEvent.Type.Move, QEvent.Type.Resize)
        if watched is self.cover and moved and self.narrow:
            self._place_drawer()
        return super().eventFilter(watched, event)

    def _place_drawer(self) -> None:
        width = max(self.profile.minimumWidth(), int(self.width() * DRAWER_SHARE))
        width = min(width, self.width())
        top, bottom = 0, self.height()
        if self.cover is not self.main:  # over the cover only: what is above and below stays
            top = max(self.cover.mapTo(self, QPoint(0, 0)).y(), 0)
            bottom = min(top + self.cover.height(), self.height())
        self.drawer.setGeometry(QRect(self.width() - width, top, width, bottom - top))
