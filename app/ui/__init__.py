"""The Qt desktop UI. Entry point: ``app.ui.app.run(UiContext(...), argv)``."""
