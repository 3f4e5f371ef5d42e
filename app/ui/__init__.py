"""The Qt desktop UI. Entry point: ``app.ui.app.run(UiContext(...), argv)``."""

from app.ui import pyside_fix

pyside_fix.apply()  # before any other Qt call of ours: see the module
