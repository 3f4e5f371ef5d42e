"""Start the desktop UI: ``run(UiContext(...), argv)``, called by the composition root.

It builds the QApplication, loads the Chinese translation (unless ``lang='en'``) and
the style sheet, opens the session (connections and lanes), shows the sign-in screen —
or goes straight to the workbench when ``guide_id`` is given (``guidedesk demo``) — and
starts syncing when the terminal is enrolled.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QTranslator
from PySide6.QtWidgets import QApplication, QWidget

from app.store.guides import GuideAccount, get_guide
from app.ui.errors import ErrorReporter, install_excepthook
from app.ui.main_window import MainWindow
from app.ui.session import Session, utc_now
from app.ui.sign_in import SignInView
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


def install_translator(app: QCoreApplication, lang: str) -> QTranslator | None:
    """Load ``resources/i18n/guidedesk_<lang>.qm``; English (the source language) needs none."""
    if lang == "en":
        return None
    translator = QTranslator(app)
    if not translator.load(str(translation_path(lang))):
        log.warning("no translation for %s", lang)
        return None
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

    def start(self) -> None:
        guide = get_guide(self.session.conn, self.ctx.guide_id) if self.ctx.guide_id else None
        if guide is not None:
            self.open_main(guide)
        else:
            self.open_sign_in()
        self.sync.start()

    def _replace(self, window: QWidget) -> None:
        # Show the new window before closing the old: closing the last one quits the app.
        previous, self.window = self.window, window
        window.show()
        if previous is not None:
            previous.close()
            previous.deleteLater()

    def open_sign_in(self) -> SignInView:
        view = SignInView(self.session)
        view.setWindowTitle(QCoreApplication.translate("Workbench", "GuideDesk — sign in"))
        view.resize(720, 560)
        view.signed_in.connect(self.open_main)
        view.sync_requested.connect(self.sync.sync_now)
        self._replace(view)
        return view

    def open_main(self, guide: GuideAccount) -> MainWindow:
        window = MainWindow(self.session, guide, self.sync)
        window.sign_out_requested.connect(self.open_sign_in)
        self._replace(window)
        return window


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
