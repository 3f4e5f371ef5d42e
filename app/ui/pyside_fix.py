"""A guard against a reference-counting bug of PySide6 6.12.0 on Python 3.11.

PySide6 6.12.0 gives back ``None`` from every void C++ method (``setText``, ``show``,
``processEvents`` …) and the bool of ``SignalInstance.emit`` without taking a new
reference. On Python 3.12+ those objects are immortal and nothing happens; on 3.11 each
call takes one reference away from ``None`` (about 5,500 at start-up) or ``True``, and a
few minutes of use end in "Fatal Python error: none_dealloc". 6.11 does not have the bug
(pin ``PySide6-Essentials!=6.12.0``).

When a probe shows the bug, we give ``None``, ``True`` and ``False`` a reserve of 2**40
references — in effect the immortality Python 3.12 gives them. On a fixed PySide or a
newer Python the probe finds nothing and this module changes nothing.
"""

from __future__ import annotations

import ctypes
import sys

from PySide6.QtCore import QObject

_RESERVE = 1 << 40


def _void_calls_lose_none() -> bool:
    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(64):
        probe.setObjectName("probe")
    return sys.getrefcount(None) - before <= -32


_applied: bool | None = None


def apply() -> bool:
    """Give the singletons their reserve if this PySide needs it (once). True if it did."""
    global _applied
    if _applied is None:
        _applied = sys.version_info < (3, 12) and _void_calls_lose_none()
        if _applied:
            for singleton in (None, True, False):
                # CPython 3.11: a PyObject starts with its reference count (Py_ssize_t).
                ctypes.c_ssize_t.from_address(id(singleton)).value += _RESERVE
    return _applied
