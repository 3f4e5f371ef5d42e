"""The guard against PySide6 6.12.0's lost references to None / True (see app.ui.pyside_fix)."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal

from app.ui import pyside_fix


class Pinger(QObject):
    ping = Signal()


def test_many_void_calls_and_emits_cannot_free_none_or_true() -> None:
    pyside_fix.apply()  # idempotent
    probe, pinger = QObject(), Pinger()
    for _ in range(20_000):  # ~4x None's references at start-up: an abort without the guard
        probe.setObjectName("probe")
        pinger.ping.emit()
    assert sys.getrefcount(None) > 1000 and sys.getrefcount(True) > 100
