"""Where the resource files are, through ``importlib.resources`` so a PyInstaller build works.

Never ``__file__`` arithmetic (STYLE.md, pattern 17): a frozen or zipped package has no
folder next to the module. Files are extracted once if needed and kept for the process.
"""

from __future__ import annotations

import atexit
from contextlib import ExitStack
from functools import cache
from importlib import resources
from pathlib import Path

_extracted = ExitStack()
atexit.register(_extracted.close)


@cache
def resource_path(relative: str) -> Path:
    """A real file path for ``relative`` (e.g. ``'icons/customers.svg'``)."""
    traversable = resources.files(__package__).joinpath(*relative.split("/"))
    return _extracted.enter_context(resources.as_file(traversable))


def read_text(relative: str) -> str:
    return resources.files(__package__).joinpath(*relative.split("/")).read_text("utf-8")


def read_bytes(relative: str) -> bytes:
    return resources.files(__package__).joinpath(*relative.split("/")).read_bytes()


def icon_path(name: str) -> Path:
    return resource_path(f"icons/{name}.svg")


def translation_path(lang: str) -> Path:
    return resource_path(f"i18n/guidedesk_{lang}.qm")


STYLE_SHEET = "styles/guidedesk.qss"
