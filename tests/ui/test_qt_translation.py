"""Qt's own words (the standard buttons) follow the UI language, and go with it."""

from __future__ import annotations

from PySide6.QtCore import QLibraryInfo
from PySide6.QtWidgets import QDialogButtonBox

from app.ui import app as ui_app
from app.ui.app import install_translator

BUTTONS = QDialogButtonBox.StandardButton.Close | QDialogButtonBox.StandardButton.Cancel


def texts() -> list[str]:
    box = QDialogButtonBox(BUTTONS)
    return sorted(b.text() for b in box.buttons())


def test_standard_buttons_speak_chinese_and_go_back_with_the_translation(qapp) -> None:
    assert texts() == ["Cancel", "Close"]
    translator = install_translator(qapp, "zh_CN")
    try:
        assert texts() == ["关闭", "取消"]
        assert qapp.translate("Navigation", "Customers") == "顾客"  # ours still first
    finally:
        qapp.removeTranslator(translator)
    assert texts() == ["Cancel", "Close"]  # one translator: removed, both are gone


def test_without_qts_own_file_our_words_stay_chinese(qapp, monkeypatch, tmp_path) -> None:
    """A Qt without translations (a trimmed install): the buttons stay English, nothing else
    changes."""

    class NoTranslations:
        LibraryPath = QLibraryInfo.LibraryPath

        @staticmethod
        def path(_which) -> str:
            return str(tmp_path)

    monkeypatch.setattr(ui_app, "QLibraryInfo", NoTranslations)
    translator = install_translator(qapp, "zh_CN")
    try:
        assert translator is not None
        assert qapp.translate("Navigation", "Customers") == "顾客"
        assert texts() == ["Cancel", "Close"]
    finally:
        qapp.removeTranslator(translator)
