"""The idle lock: the terminal sits at a public counter, so the workbench locks itself.

``IdleWatch`` notes the time of the last keyboard, mouse or touch input to the *whole
application* (an event filter on the QApplication: typing in a dialog counts as much as
scrolling the customer list) and says ``idle`` once no input came for ``seconds``. It
reads the session's clock on a coarse tick rather than restarting a timer on every mouse
move: the filter stays a comparison and an assignment, and a test moves a fake clock
forward instead of waiting minutes.

The same filter hears the lock key, Ctrl+L, wherever the keyboard is — in a dialog of
the window too, where a window's shortcut would not fire (a window-modal dialog blocks its
window's shortcuts, even application-wide ones).

The delay is the brand's (HQ's ``idle_lock_seconds``, kept in sync_state; 5 minutes by
default). What locking does — the lock screen, hiding dialogs — is the main window's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QKeyEvent

# What a person does to the app. Not focus, paint or timer events: the app does those.
INPUT_EVENTS = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.KeyRelease,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseButtonRelease,
        QEvent.Type.MouseButtonDblClick,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
        QEvent.Type.TouchUpdate,
        QEvent.Type.TouchEnd,
        QEvent.Type.TabletPress,
        QEvent.Type.InputMethod,
    }
)


LOCK_KEY = Qt.Key.Key_L  # with Ctrl (Cmd on a Mac keyboard): "lock"


class IdleWatch(QObject):
    """Emits ``idle`` once after ``seconds`` without input (or at ``deadline``: the end
    of the guide's HQ session, after which their edits would no longer say who made
    them), ``lock_requested`` on Ctrl+L; ``start`` again to re-arm (a stopped watch
    hears nothing)."""

    idle = Signal()
    lock_requested = Signal()

    def __init__(
        self,
        clock: Callable[[], datetime],
        seconds: float,
        *,
        tick_ms: int = 1000,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.clock = clock
        self.seconds = seconds
        self.deadline: datetime | None = None
        self._last = clock()
        self._filtering = False
        self._timer = QTimer(self)
        self._timer.setInterval(tick_ms)
        self._timer.timeout.connect(self._check)

    @property
    def active(self) -> bool:
        return self._timer.isActive()

    def start(self) -> None:
        self._last = self.clock()
        app = QCoreApplication.instance()
        if app is not None and not self._filtering:
            app.installEventFilter(self)
            self._filtering = True
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        app = QCoreApplication.instance()
        if app is not None and self._filtering:
            app.removeEventFilter(self)
        self._filtering = False

    def set_seconds(self, seconds: float) -> None:
        self.seconds = seconds

    def poke(self) -> None:
        """Count as input now (the app was just unlocked, say)."""
        self._last = self.clock()

    def idle_for(self) -> float:
        return (self.clock() - self._last).total_seconds()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in INPUT_EVENTS:
            self._last = self.clock()
            if (
                kind == QEvent.Type.KeyPress
                and isinstance(event, QKeyEvent)
                and event.key() == LOCK_KEY
                and event.modifiers() == Qt.KeyboardModifier.ControlModifier
            ):
                self.lock_requested.emit()
                return True  # the key is the lock's, not typed anywhere
        return False

    @Slot()
    def _check(self) -> None:
        idle = self.idle_for()
        if idle < 0:  # the clock went back (NTP): count from now
            self._last = self.clock()
        elif idle >= self.seconds or (self.deadline is not None and self.clock() >= self.deadline):
            self.stop()
            self.idle.emit()
