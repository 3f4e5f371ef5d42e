"""A lane closed while Python exits (a window that outlived the interpreter's shutdown)
ends quietly instead of printing 'cannot schedule new futures after shutdown'."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_lane_closed_at_interpreter_exit_ends_quietly() -> None:
    script = textwrap.dedent(
        """
        import atexit, os
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        from PySide6.QtWidgets import QApplication
        from app.ui.errors import ErrorReporter
        from app.ui.workers import Lane

        class Conn:
            def close(self):
                print("connection closed")

        app = QApplication([])
        lane = Lane("late", ErrorReporter(), opener=Conn)
        lane.run(lambda conn: None)
        # Registered first, so it runs after concurrent.futures' own exit hook.
        atexit.register(lane.close)
        print("exiting")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "exiting" in done.stdout
    assert "cannot schedule new futures" not in done.stderr, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
