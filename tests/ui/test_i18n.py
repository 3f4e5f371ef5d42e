"""Translations: the .ts holds every string of the UI, translated, and the .qm matches it.

To update after changing UI strings (see resources/i18n):
    pyside6-lupdate -locations none $(find app/ui -name '*.py' | sort) -ts resources/i18n/guidedesk_zh_CN.ts
    (translate the new messages, e.g. in Qt Linguist)
    pyside6-lrelease resources/i18n/guidedesk_zh_CN.ts -qm resources/i18n/guidedesk_zh_CN.qm
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QWidget,
)

from app.store.customers import log_followup
from app.ui.app import install_translator
from app.ui.main_window import MainWindow
from app.ui.sync_panel import SyncController
from resources.paths import resource_path

ROOT = Path(__file__).resolve().parents[2]
TS = resource_path("i18n/guidedesk_zh_CN.ts")
QM = resource_path("i18n/guidedesk_zh_CN.qm")


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed")
    return found


def test_every_ui_string_is_in_the_ts_and_translated(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.ts"
    shutil.copy(TS, fresh)
    sources = sorted(str(p) for p in (ROOT / "app" / "ui").rglob("*.py"))
    subprocess.run(
        [tool("pyside6-lupdate"), "-locations", "none", *sources, "-ts", str(fresh)],
        check=True,
        capture_output=True,
    )
    text = fresh.read_text(encoding="utf-8")
    untranslated = re.findall(r"<source>(.*?)</source>\s*<translation type=\"unfinished\"", text)
    assert not untranslated, f"new or untranslated strings: {untranslated}"
    assert 'type="vanished"' not in text and 'type="obsolete"' not in text


def test_qm_is_compiled_from_the_ts(tmp_path: Path) -> None:
    compiled = tmp_path / "fresh.qm"
    subprocess.run(
        [tool("pyside6-lrelease"), str(TS), "-qm", str(compiled)], check=True, capture_output=True
    )
    assert compiled.read_bytes() == QM.read_bytes(), "run pyside6-lrelease (see this module)"


@pytest.fixture
def chinese(qapp):
    translator = install_translator(qapp, "zh_CN")
    assert translator is not None
    yield
    qapp.removeTranslator(translator)


def visible_texts(root: QWidget) -> list[str]:
    texts = [root.windowTitle()]
    for widget in root.findChildren(QWidget):
        if isinstance(widget, QLabel | QAbstractButton):
            texts.append(widget.text())
        if isinstance(widget, QLineEdit):
            texts.append(widget.placeholderText())
        if isinstance(widget, QComboBox):
            texts.extend(widget.itemText(i) for i in range(widget.count()))
        texts.append(widget.toolTip())
    return texts


ALLOWED = {"Ctrl", "Enter", "PIN", "VIP"}  # key names, the PIN, a tag from the test data


def english_words(texts: list[str]) -> set[str]:
    words = {w for t in texts for w in re.findall(r"[A-Za-z]{3,}", re.sub(r"<[^>]+>|&\w+;", "", t))}
    return words - ALLOWED


def test_main_window_speaks_chinese(qtbot, chinese, session, manager) -> None:
    sync = SyncController(session, None)
    window = MainWindow(session, manager, sync)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.customers.model.rowCount() == 5)
    book = window.customers
    log_followup(
        session.conn,
        customer_id="C1",
        guide_id="M001",
        channel="call",
        note="回访",
        now="2026-11-22T09:00:00Z",
    )
    book.table.selectRow(book.model.row_of("C1"))
    qtbot.waitUntil(lambda: book.profile.ready)  # the profile loads on the read lane
    assert "待同步" in " ".join(w.text() for w in book.profile.findChildren(QLabel))
    model = book.model
    headers = [model.headerData(i, Qt.Orientation.Horizontal) for i in range(model.columnCount())]
    cells = [model.data(model.index(0, c)) for c in range(model.columnCount())]
    assert headers[:2] == ["姓名", "手机"]
    assert window.windowTitle() == "导购工作台 — 静安嘉里店 — 陈店长（店长）"
    assert "未登记，请联系信息部" in window.sync_status.text()
    assert not english_words(visible_texts(window) + headers + cells)
    follow_up = book.profile.log_follow_up()
    edit = book.profile.edit()
    for dialog in (follow_up, edit):
        assert dialog.save_button.text() == "保存"
        assert not english_words(visible_texts(dialog))
        dialog.reject()
    for page in window.pages.values():
        assert not english_words(visible_texts(page))
    sync.stop()


def test_english_loads_no_translator(qapp) -> None:
    assert install_translator(qapp, "en") is None
    assert QCoreApplication.translate("Labels", "Head") == "Head"


def test_sign_in_speaks_chinese(qtbot, chinese, session) -> None:
    from app.ui.sign_in import SignInView

    view = SignInView(session)
    qtbot.addWidget(view)
    assert not english_words(visible_texts(view))
    assert QApplication.translate("Labels", "At risk") == "流失预警"
