"""The workbench window: navigation rail, pages, the sync status line, global keys.

It only assembles: each page is its own module and listens to the change hub itself.
Keys: Ctrl+F / F3 search customers from anywhere, Esc clears the search, F5 syncs now,
Ctrl+L (or the lock button) locks.

Locking (also after the brand's idle time, ``app.ui.lock.IdleWatch``) puts a lock screen
in place of the rail and the pages, and hides the window's open dialogs — hidden, not
closed: what the guide typed in them is still there when the same guide unlocks. Another
guide may sign in from the lock screen: the window asks to be set aside
(``switch_guide_requested``), still locked, with its dialogs, until its guide comes back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QSize, Qt, Signal, Slot
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QHBoxLayout,
    QMainWindow,
    QStackedWidget,
    QToolButton,
    QWidget,
)

from app.store.guides import GuideAccount
from app.store.replica import sync_status
from app.store.sessions import idle_lock_seconds, session_expiry
from app.ui.customers.book import CustomerBook
from app.ui.fit import keep_frame_inside, place_window, save_window
from app.ui.lock import IdleWatch
from app.ui.navigation import SECTIONS, ComingSoonPage, NavRail
from app.ui.session import Session
from app.ui.sign_in import SignInView
from app.ui.sync_panel import SyncController, SyncProgressBar, SyncStatusLabel
from app.ui.widgets import icon

if TYPE_CHECKING:
    from app.ui.content.page import ContentPage
    from app.ui.tasks.page import TasksPage


class MainWindow(QMainWindow):
    sign_out_requested = Signal()
    switch_guide_requested = Signal(object)  # GuideAccount who signed in at the lock screen
    locked_changed = Signal(bool)

    def __init__(
        self,
        session: Session,
        guide: GuideAccount,
        sync: SyncController,
        parent: QWidget | None = None,
        *,
        authority: Any | None = None,
        idle_seconds: float | None = None,
        idle_tick_ms: int = 1000,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.session, self.guide, self.sync = session, guide, sync
        self.authority = authority
        self.lock_screen: SignInView | None = None
        self._hidden_dialogs: list[QDialog] = []
        # None: the brand's delay from the store (HQ's hello), read again after each sync.
        self._fixed_idle = idle_seconds

        self.customers = CustomerBook(session, guide)
        self.customers.profile.share_content_requested.connect(self.share_content_with)
        # The Tasks page is built when first shown: its queries must not queue ahead of
        # the customer list on the read lane when the window opens (first window ≤ 1 s).
        self._tasks: TasksPage | None = None
        self._content: ContentPage | None = None  # built on first use, like Tasks
        self.pages: dict[str, QWidget] = {
            "customers": self.customers,
            "tasks": QWidget(),
            "content": QWidget(),
        }
        self.stack = QStackedWidget()
        self.stack.setObjectName("pages")
        for section in SECTIONS:
            page = self.pages.setdefault(section.key, ComingSoonPage(section))
            self.stack.addWidget(page)
        self.rail = NavRail()
        self.rail.chosen.connect(self.show_section)
        self.rail.sign_out.connect(self.sign_out_requested)

        self.workspace = QWidget()
        self.workspace.setObjectName("workspace")
        row = QHBoxLayout(self.workspace)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.rail)
        row.addWidget(self.stack, 1)
        # The workspace, or the lock screen in its place: nothing of it shows when locked.
        self.screens = QStackedWidget()
        self.screens.setObjectName("screens")
        self.screens.addWidget(self.workspace)
        self.setCentralWidget(self.screens)

        self.sync_status = SyncStatusLabel(session, sync)
        self.sync_progress = SyncProgressBar(session, sync)
        bar = self.statusBar()
        bar.setSizeGripEnabled(False)
        bar.addWidget(self.sync_status, 1)
        bar.addPermanentWidget(self.sync_progress)
        self.lock_button = QToolButton()
        self.lock_button.setObjectName("lockButton")
        self.lock_button.setText(self.tr("Lock"))
        self.lock_button.setToolTip(self.tr("Lock the screen (Ctrl+L)"))
        self.lock_button.setIcon(icon("lock"))
        self.lock_button.setIconSize(QSize(18, 18))
        self.lock_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.lock_button.clicked.connect(self.lock)
        bar.addPermanentWidget(self.lock_button)

        for keys, slot in (
            (QKeySequence.StandardKey.Find, self.focus_search),
            (QKeySequence(Qt.Key.Key_F3), self.focus_search),
            (QKeySequence(Qt.Key.Key_F5), sync.sync_now),
            (QKeySequence(Qt.Key.Key_Escape), self.clear_search),
        ):
            QShortcut(keys, self, activated=slot)
        # Ctrl+L (from a dialog of this window too) is heard by the idle watch, which
        # listens only while this window is in use.
        self.idle = IdleWatch(
            session.clock, self._idle_seconds(), tick_ms=idle_tick_ms, parent=self
        )
        self.idle.idle.connect(self.lock)
        self.idle.lock_requested.connect(self.lock)
        sync.finished.connect(self._sync_finished)
        self._arm_idle()

        self._set_title()
        self.show_section("customers")
        # Where it was last time, else 1360×820 — always inside the screen's available area
        # (a 1024×768 counter terminal gets a window that fits, status bar and all).
        place_window(self, session.db_path.parent, "mainWindow", QSize(1360, 820))
        self._placed_frame = False

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

    @property
    def content(self) -> ContentPage:
        """The Content page, built on first use (pictures cached in the data folder)."""
        if self._content is None:
            from app.store.picture_cache import PictureCache
            from app.ui.content.page import ContentPage, PictureSource, picture_fetcher

            cache = PictureCache(self.session.db_path.parent / "pictures")
            source = PictureSource(self.session, cache, picture_fetcher(self.sync.make_engine))
            placeholder = self.pages["content"]
            self._content = ContentPage(self.session, self.guide, pictures=source)
            self.stack.insertWidget(self.stack.indexOf(placeholder), self._content)
            self.stack.removeWidget(placeholder)
            placeholder.deleteLater()
            self.pages["content"] = self._content
        return self._content

    @Slot(str)
    def share_content_with(self, customer_id: str) -> None:
        """From a profile's "Share content": the Content page, the customer ticked in the
        share dialog of whichever piece the guide picks."""
        self.show_section("content")
        self.content.share_for(customer_id)

    @Slot(str)
    def show_section(self, key: str) -> None:
        self.rail.select(key)
        if key == "tasks":
            self.tasks  # noqa: B018 - builds the page on first use
        elif key == "content":
            self.content  # noqa: B018 - builds the page on first use
        self.stack.setCurrentWidget(self.pages[key])
        if key == "customers":
            self.customers.focus_search()
        elif key == "tasks":
            self.tasks.today.task_list.setFocus()

    # -- the lock ---------------------------------------------------------------------------

    @property
    def locked(self) -> bool:
        return self.lock_screen is not None

    def _idle_seconds(self) -> float:
        if self._fixed_idle is not None:
            return self._fixed_idle
        return idle_lock_seconds(self.session.conn)

    def _arm_idle(self) -> None:
        # The screen also locks when the guide's HQ session ends: signing in again gets
        # a new one, so what they type next still says who typed it.
        self.idle.deadline = session_expiry(self.session.conn, self.guide.id)
        self.idle.start()

    @Slot(object)
    def _sync_finished(self, _report: object) -> None:
        self.idle.set_seconds(self._idle_seconds())  # hello may have brought the brand's

    def _open_dialogs(self) -> list[QDialog]:
        """The dialogs showing over this window (a follow-up being typed, an error that
        names a customer): they go out of sight with the lock."""
        mine = [d for d in self.findChildren(QDialog) if d.isVisible()]
        loose = [
            w
            for w in QApplication.topLevelWidgets()
            if isinstance(w, QDialog) and w.isVisible() and w.parent() is None
        ]
        return mine + [d for d in loose if d not in mine]

    @Slot()
    def lock(self) -> None:
        """Hide everything of the customers behind the lock screen; dialogs are hidden,
        not closed (what was typed in them waits for the same guide)."""
        if self.locked:
            return
        self.idle.stop()
        self._hidden_dialogs = self._open_dialogs()
        for dialog in self._hidden_dialogs:
            dialog.hide()
            # One that finishes while hidden (its save completed, say) stays closed.
            dialog.finished.connect(lambda _result, d=dialog: self._forget_dialog(d))
        screen = SignInView(self.session, authority=self.authority, locked_guide=self.guide)
        screen.signed_in.connect(self._signed_in_at_lock)
        screen.sync_requested.connect(self.sync.sync_now)
        self.lock_screen = screen
        self.screens.addWidget(screen)
        self.screens.setCurrentWidget(screen)
        # The keys go to the PIN field, even when a dialog had them (kiosk terminals
        # often run without a window manager to hand focus back).
        self.activateWindow()
        screen.pin.setFocus()
        self.locked_changed.emit(True)

    @Slot(object)
    def _signed_in_at_lock(self, guide: GuideAccount) -> None:
        if guide.id == self.guide.id:
            self.unlock()
        else:
            self.switch_guide_requested.emit(guide)

    def unlock(self) -> None:
        """The same guide is back: the workspace and the dialogs they left open."""
        screen, self.lock_screen = self.lock_screen, None
        if screen is None:
            return
        self.screens.setCurrentWidget(self.workspace)
        self.screens.removeWidget(screen)
        screen.deleteLater()
        dialogs, self._hidden_dialogs = self._hidden_dialogs, []
        for dialog in dialogs:
            if shiboken6.isValid(dialog):
                dialog.show()
        self._arm_idle()
        self.locked_changed.emit(False)
        if dialogs and shiboken6.isValid(dialogs[-1]) and dialogs[-1].isVisible():
            dialogs[-1].activateWindow()
        else:
            self.activateWindow()

    def _forget_dialog(self, dialog: QDialog) -> None:
        if dialog in self._hidden_dialogs:
            self._hidden_dialogs.remove(dialog)

    @property
    def hidden_dialogs(self) -> list[QDialog]:
        return [d for d in self._hidden_dialogs if shiboken6.isValid(d)]

    @Slot()
    def focus_search(self) -> None:
        if self.locked:
            return
        self.show_section("customers")

    @Slot()
    def clear_search(self) -> None:
        if self.stack.currentWidget() is self.customers:
            if self.customers.fold.drawer_open:  # Esc first folds the profile away
                self.customers.fold.close_drawer()
            else:
                self.customers.clear_search()
        elif self._tasks is not None and self.stack.currentWidget() is self._tasks:
            self._tasks.today.fold.close_drawer()  # a narrow Today's drawer, if open

    # -- the window's place ---------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._placed_frame:
            # The title bar is known only now: keep the whole frame on the screen.
            self._placed_frame = True
            keep_frame_inside(self)

    def closeEvent(self, event: QCloseEvent) -> None:
        save_window(self, self.session.db_path.parent, "mainWindow")
        super().closeEvent(event)
