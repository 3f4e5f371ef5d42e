"""The workbench window: navigation rail, pages, the sync status line, global keys.

It only assembles: each page is its own module and listens to the change hub itself.
Keys: Ctrl+F / F3 search customers from anywhere, Esc clears the search, F5 syncs now.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QMainWindow, QStackedWidget, QWidget

from app.store.guides import GuideAccount
from app.store.replica import sync_status
from app.ui.customers.book import CustomerBook
from app.ui.navigation import SECTIONS, ComingSoonPage, NavRail
from app.ui.session import Session
from app.ui.sync_panel import SyncController, SyncProgressBar, SyncStatusLabel

if TYPE_CHECKING:
    from app.ui.tasks.page import TasksPage


class MainWindow(QMainWindow):
    sign_out_requested = Signal()

    def __init__(
        self,
        session: Session,
        guide: GuideAccount,
        sync: SyncController,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.session, self.guide, self.sync = session, guide, sync

        self.customers = CustomerBook(session, guide)
        # The Tasks page is built when first shown: its queries must not queue ahead of
        # the customer list on the read lane when the window opens (first window ≤ 1 s).
        self._tasks: TasksPage | None = None
        self.pages: dict[str, QWidget] = {"customers": self.customers, "tasks": QWidget()}
        self.stack = QStackedWidget()
        self.stack.setObjectName("pages")
        for section in SECTIONS:
            page = self.pages.setdefault(section.key, ComingSoonPage(section))
            self.stack.addWidget(page)
        self.rail = NavRail()
        self.rail.chosen.connect(self.show_section)
        self.rail.sign_out.connect(self.sign_out_requested)

        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.rail)
        row.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.sync_status = SyncStatusLabel(session, sync)
        self.sync_progress = SyncProgressBar(session, sync)
        bar = self.statusBar()
        bar.setSizeGripEnabled(False)
        bar.addWidget(self.sync_status, 1)
        bar.addPermanentWidget(self.sync_progress)

        for keys, slot in (
            (QKeySequence.StandardKey.Find, self.focus_search),
            (QKeySequence(Qt.Key.Key_F3), self.focus_search),
            (QKeySequence(Qt.Key.Key_F5), sync.sync_now),
            (QKeySequence(Qt.Key.Key_Escape), self.clear_search),
        ):
            QShortcut(keys, self, activated=slot)

        self._set_title()
        self.show_section("customers")
        self.resize(1360, 820)

    def _set_title(self) -> None:
        status = sync_status(self.session.conn)
        store = status.store_name or status.store_id or self.guide.store_id
        who = (
            self.tr("{name} (manager)").format(name=self.guide.name)
            if self.guide.is_manager
            else self.guide.name
        )
        self.setWindowTitle(self.tr("GuideDesk — {store} — {guide}").format(store=store, guide=who))

    @property
    def tasks(self) -> TasksPage:
        """The Tasks page, built on first use."""
        if self._tasks is None:
            from app.ui.tasks.page import TasksPage

            placeholder = self.pages["tasks"]
            self._tasks = TasksPage(self.session, self.guide)
            self.stack.insertWidget(self.stack.indexOf(placeholder), self._tasks)
            self.stack.removeWidget(placeholder)
            placeholder.deleteLater()
            self.pages["tasks"] = self._tasks
        return self._tasks

    @Slot(str)
    def show_section(self, key: str) -> None:
        self.rail.select(key)
        if key == "tasks":
            self.tasks  # noqa: B018 - builds the page on first use
        self.stack.setCurrentWidget(self.pages[key])
        if key == "customers":
            self.customers.focus_search()
        elif key == "tasks":
            self.tasks.today.task_list.setFocus()

    @Slot()
    def focus_search(self) -> None:
        self.show_section("customers")

    @Slot()
    def clear_search(self) -> None:
        if self.stack.currentWidget() is self.customers:
            self.customers.clear_search()
