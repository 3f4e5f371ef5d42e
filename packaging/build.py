"""Build the terminal: ``python packaging/build.py [--dist DIR] [--work DIR] [--clean]``.

A one-folder PyInstaller build of ``guidedesk`` (packaging/guidedesk.spec says what is in it
and what is left out) into ``DIST/guidedesk/`` (default: ``dist/``), the program being
``DIST/guidedesk/guidedesk`` (``guidedesk.exe`` on Windows). PyInstaller's work folder
(default: ``build/pyinstaller``) caches its analysis between builds; ``--clean`` drops it.
``--start-probe`` adds the cold-start benchmark's program (tests/bench/frozen_start.py).

Needs the ``build`` extra: ``pip install -c constraints.txt -e '.[build]'``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SPEC = REPO / "packaging" / "guidedesk.spec"


def program(dist: Path) -> Path:
    """The built program inside ``dist``."""
    name = "guidedesk.exe" if sys.platform == "win32" else "guidedesk"
    return dist / "guidedesk" / name


def build(dist: Path, work: Path, *, clean: bool = False, start_probe: bool = False) -> Path:
    import PyInstaller.__main__

    args = [
        str(SPEC),
        "--noconfirm",
        "--log-level=WARN",
        f"--distpath={dist}",
        f"--workpath={work}",
    ]
    if clean:
        args.append("--clean")
    if start_probe:
        args += ["--", "--start-probe"]
    PyInstaller.__main__.run(args)
    built = program(dist)
    if not built.exists():
        raise SystemExit(f"build.py: PyInstaller finished but {built} is missing")
    return built


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=REPO / "dist")
    parser.add_argument("--work", type=Path, default=REPO / "build" / "pyinstaller")
    parser.add_argument("--clean", action="store_true", help="drop PyInstaller's cache first")
    parser.add_argument(
        "--start-probe",
        action="store_true",
        help="also build guidedesk-startprobe (tests/bench/frozen_start.py); not for terminals",
    )
    args = parser.parse_args(argv)
    started = time.monotonic()
    built = build(
        args.dist.resolve(), args.work.resolve(), clean=args.clean, start_probe=args.start_probe
    )
    print(f"built {built} in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
