"""Start the desktop UI: ``run(UiContext(...), argv)``, called by the composition root.

It builds the QApplication, loads the Chinese translation (unless ``lang='en'``) and
the style sheet, opens the session (connections and lanes), shows the sign-in screen —
or goes straight to the workbench when ``guide_id`` is given (``guidedesk demo``) — and
starts syncing when the terminal is enrolled.

One window per signed-in guide: when a second guide signs in at the first one's lock
screen, the first window is set aside — hidden, locked, its dialogs and what was typed
in them kept — and comes back when its guide signs in again. Signing out closes the
guide's window (and its dialogs) and ends their HQ session; nothing already queued in
the outbox changes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QTranslator
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from app.store import sessions
from app.store.guides import GuideAccount, get_guide
from app.ui.errors import ErrorReporter, install_excepthook
from app.ui.main_window import MainWindow
from app.ui.session import Session, utc_now
from app.ui.sign_in import SignInView, sign_out
from app.ui.sync_panel import SyncController
from app.ui.widgets import icon
from resources.paths import STYLE_SHEET, read_text, translation_path

log = logging.getLogger("guidedesk.ui")


@dataclass(frozen=True)
class UiContext:
    """What the composition root hands the UI."""

    db_path: Path
    lang: str = "zh_CN"
    guide_id: str | None = None  # sign this guide in without the sign-in screen
    make_engine: Callable[[], Any] | None = None  # None: terminal not enrolled
    clock: Callable[[], datetime] = field(default=utc_now)
    sync_interval_s: int = 60
    # Checks a guide's PIN at HQ (app.terminal.GuideAuthority); None: offline sign-in only.
    authority: Any | None = None
    idle_seconds: float | None = None  # None: the brand's idle lock (HQ), else 5 minutes


class _WithQtBase(QTranslator):
    """Our translation, and Qt's own (``qtbase_<lang>.qm``) for what Qt writes itself: the
    standard buttons (关闭, 取消, 确定), a line edit's menu. One translator, so whoever
    removes it (a test switching back to English) removes both."""

    def __init__(self, parent: QCoreApplication) -> None:
        super().__init__(parent)
        self.qt = QTranslator(self)

    def translate(self, context, source, disambiguation=None, n=-1):
        found = super().translate(context, source, disambiguation, n)
        found = found or self.qt.translate(context, source, disambiguation, n)
        # None is Qt's "no translation here" (a null string): the next translator, or the
        # source text, is used. An empty string would be taken as the translation.
        return found or None

    def isEmpty(self) -> bool:
        return super().isEmpty() and self.qt.isEmpty()


def install_translator(app: QCoreApplication, lang: str) -> QTranslator | None:
    """Load ``resources/i18n/guidedesk_<lang>.qm`` and Qt's own ``qtbase_<lang>.qm`` (from
    the Qt that runs, frozen builds included); English (the source language) needs none."""
    if lang == "en":
        return None
    translator = _WithQtBase(app)
    if not translator.load(str(translation_path(lang))):
        log.warning("no translation for %s", lang)
        return None
    qt_folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if not translator.qt.load(f"qtbase_{lang}", qt_folder):
        log.info(
            "no Qt translation qtbase_%s in %s: Qt's own buttons stay English", lang, qt_folder
        )
    app.installTranslator(translator)
    return translator


def apply_style(app: QApplication) -> None:
    app.setStyle("Fusion")  # the same look on Windows and Linux terminals
    app.setStyleSheet(read_text(STYLE_SHEET))
    app.setWindowIcon(icon("guidedesk"))


class Workbench:
    """Switches between the sign-in screen and the main window for one session."""

    def __init__(self, ctx: UiContext, session: Session, sync: SyncController) -> None:
        self.ctx, self.session, self.sync = ctx, session, sync
        self.window: QWidget | None = None
        # Windows of guides another guide took over from at the lock screen, by guide id.
        self.set_aside: dict[str, MainWindow] = {}

    def start(self) -> None:
        # Sessions of the last run are not sign-ins of this one (the demo's guide, too,
        # works as signed in offline). The write lane runs this before any sign-in.
        self.session.write.run(sessions.end_all_sessions)
        guide = get_guide(self.session.conn, self.ctx.guide_id) if self.ctx.guide_id else None
        if guide is not None:
            self.open_main(guide)
        else:
            self.open_sign_in()
        self.sync.start()

    def _replace(self, window: QWidget, *, set_aside: bool = False) -> None:
        # Show the new window before closing the old: closing the last one quits the app.
        previous, self.window = self.window, window
        window.show()
        if previous is None or previous is window:
            return
        if set_aside and isinstance(previous, MainWindow):
            previous.hide()  # locked, dialogs hidden: kept for its guide
            self.set_aside[previous.guide.id] = previous
        else:
            previous.close()
            previous.deleteLater()

    def open_sign_in(self) -> SignInView:
        view = SignInView(self.session, authority=self.ctx.authority)
        view.setWindowTitle(QCoreApplication.translate("Workbench", "GuideDesk — sign in"))
        view.resize(720, 560)
        view.signed_in.connect(lambda guide, v=view: self._signed_in(guide, v))
        view.sync_requested.connect(self.sync.sync_now)
        self._replace(view)
        return view

    def _signed_in(self, guide: GuideAccount, view: SignInView) -> None:
        window = self.open_main(guide)
        if view.pin_change_later:
            self.say_pin_change_later(window)

    def open_main(self, guide: GuideAccount, *, set_aside: bool = False) -> MainWindow:
        """The guide's window: the one set aside for them (unlocked), else a new one."""
        window = self.set_aside.pop(guide.id, None)
        if window is not None:
            self._replace(window, set_aside=set_aside)
            window.unlock()
            return window
        window = MainWindow(
            self.session,
            guide,
            self.sync,
            authority=self.ctx.authority,
            idle_seconds=self.ctx.idle_seconds,
        )
        window.sign_out_requested.connect(lambda w=window: self.sign_out(w))
        window.switch_guide_requested.connect(lambda g, w=window: self._switch(w, g))
        self._replace(window, set_aside=set_aside)
        return window

    def _switch(self, window: MainWindow, guide: GuideAccount) -> None:
        """Another guide signed in at ``window``'s lock screen."""
        screen = window.lock_screen
        later = screen is not None and screen.pin_change_later
        opened = self.open_main(guide, set_aside=True)
        if later:
            self.say_pin_change_later(opened)

    def sign_out(self, window: MainWindow) -> None:
        guide_id, authority, now = window.guide.id, self.ctx.authority, self.session.clock()
        self.session.write.run(lambda conn: sign_out(conn, authority, guide_id, now))
        self.open_sign_in()

    def say_pin_change_later(self, window: QWidget) -> QMessageBox:
        """Signed in offline with a PIN that must change: say when it will be asked."""
        box = QMessageBox(
            QMessageBox.Icon.Information,
            QCoreApplication.translate("Workbench", "GuideDesk"),
            QCoreApplication.translate(
                "Workbench",
                "Your PIN is too short or too easy to guess. HQ cannot be reached now, so "
                "you can work with it today; you will be asked to choose a new PIN at "
                "your next sign-in while HQ is reachable.",
            ),
            QMessageBox.StandardButton.Ok,
            window,
        )
        box.setObjectName("pinChangeLater")
        box.open()
        return box

    def close_all(self) -> None:
        """Close every window of this workbench (the app quits; tests clean up)."""
        for window in [*self.set_aside.values(), self.window]:
            if window is not None:
                window.close()
                window.deleteLater()
        self.set_aside.clear()


def run(ctx: UiContext, argv: list[str]) -> int:
    """Run the UI until its last window closes; returns the exit code."""
    app = QApplication.instance() or QApplication(argv)
    assert isinstance(app, QApplication)
    app.setApplicationName("GuideDesk")
    app.setOrganizationName("GuideDesk")
    translator = install_translator(app, ctx.lang)
    previous_style = app.styleSheet()
    apply_style(app)
    errors = ErrorReporter()
    restore_hooks = install_excepthook(errors)
    session = Session(ctx.db_path, clock=ctx.clock, errors=errors)
    sync = SyncController(session, ctx.make_engine, interval_s=ctx.sync_interval_s)
    workbench = Workbench(ctx, session, sync)
    try:
        workbench.start()
        return app.exec()
    finally:
        sync.stop()
        session.close()
        restore_hooks()
        # Leave the QApplication as we found it (tests run several UIs in one process).
        if translator is not None:
            app.removeTranslator(translator)
        app.setStyleSheet(previous_style)
