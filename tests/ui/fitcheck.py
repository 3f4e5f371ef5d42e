"""Finds what a person would see cut off on a window: the checks behind tests/ui/test_fit.py
(and the screenshot script, which prints them).

``problems(window)`` looks at every visible widget of ``window`` and returns one line per
finding:

- a label whose text needs more room than its contents rect gives it (wrapped labels: the
  height the wrapped text needs; others: the widest line);
- a push or tool button narrower than its text (and icon) needs;
- a combo box whose field is narrower than one of its entries, or whose open list is
  narrower than an entry or shows fewer than all (up to its max visible) entries;
- a table header section narrower than its title needs (an elided title counts: the
  header has no tooltips);
- a list (a ``QListView`` in list mode) whose shown entries need more room than their
  rows give them, or that scrolls sideways to show them;
- a visible widget that sticks out of the window (contents of a scroll area may: they
  scroll), or a label, button or field cut at the side by what holds it where nothing
  scrolls sideways (a profile wider than its pane);
- (``small_targets``) a button, combo box (or a row of its open list), line edit or table
  row under 40 px tall.

Measures are the widgets' own font metrics and style (the style sheet's padding included),
so a check fails where the text really does not fit, whatever the language or the scale.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QMessageLogContext,
    QPoint,
    QRect,
    QSize,
    Qt,
    QtMsgType,
    qInstallMessageHandler,
)
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractScrollArea,
    QApplication,
    QComboBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QStyle,
    QStyleOptionButton,
    QStyleOptionComboBox,
    QTableView,
    QToolButton,
    QTreeView,
    QWidget,
)

TOUCH = 40  # px: the smallest target a finger hits without a second try
_previous_handler = None
ENTRY_PADDING = 6  # px each side of an entry in an open combo box list


def _name(widget: QWidget) -> str:
    parts = []
    w: QWidget | None = widget
    while w is not None and len(parts) < 3:
        parts.append(w.objectName() or type(w).__name__)
        w = w.parentWidget()
    return "/".join(reversed(parts))


def _shown(widget: QWidget, window: QWidget) -> bool:
    return widget.isVisible() and widget.window() is window and widget.width() > 0


def _in_scrolled_content(widget: QWidget, window: QWidget) -> bool:
    w = widget.parentWidget()
    while w is not None and w is not window:
        parent = w.parentWidget()
        if isinstance(parent, QAbstractScrollArea) and w is parent.viewport():
            return True
        w = parent
    return False


def _visible_rect(widget: QWidget, window: QWidget) -> QRect:
    """The part of ``widget`` its ancestors leave visible, in window coordinates."""
    rect = QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())
    w = widget.parentWidget()
    while w is not None and w is not window:
        rect = rect.intersected(QRect(w.mapTo(window, QPoint(0, 0)), w.size()))
        w = w.parentWidget()
    return rect


def _cut_sideways(widget: QWidget, window: QWidget) -> bool:
    """True if an ancestor cuts ``widget``'s width and none lets it scroll sideways to the
    rest (a scroll area without its horizontal bar, a splitter pane, a drawer's edge)."""
    if not isinstance(widget, QLabel | QAbstractButton | QComboBox | QLineEdit):
        return False
    w = widget.parentWidget()
    while w is not None and w is not window:
        parent = w.parentWidget()
        if isinstance(parent, QAbstractScrollArea) and w is parent.viewport():
            bar = parent.horizontalScrollBar()
            if bar.isVisible() and bar.maximum() > 0:
                return False
        w = parent
    return True


def _plain(text: str) -> str:
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&")


def _label(label: QLabel) -> str | None:
    text = label.text()
    if not text or label.textFormat() == Qt.TextFormat.RichText or not label.pixmap().isNull():
        return None
    fm = label.fontMetrics()
    room = label.contentsRect().adjusted(
        label.margin(), label.margin(), -label.margin(), -label.margin()
    )
    if label.indent() > 0:
        room.setLeft(room.left() + label.indent())
    if label.wordWrap():
        # Qt breaks Chinese anywhere, Latin text at spaces: what it cannot break sticks out.
        need = fm.boundingRect(QRect(0, 0, room.width(), 100_000), Qt.TextFlag.TextWordWrap, text)
        if need.height() > room.height() + 1:
            return f"wrapped text needs {need.height()} px height, has {room.height()}"
        if need.width() > room.width() + 1:
            return f"a word needs {need.width()} px, has {room.width()}"
        return None
    need = max(fm.horizontalAdvance(line) for line in text.splitlines() or [text])
    if need > room.width() + 1:
        return f"needs {need} px, has {room.width()}"
    return None


def _button(button: QAbstractButton) -> str | None:
    text = _plain(button.text())
    if not text:
        return None
    if isinstance(button, QPushButton):
        opt = QStyleOptionButton()
        button.initStyleOption(opt)
        room = button.style().subElementRect(QStyle.SubElement.SE_PushButtonContents, opt, button)
        need = button.fontMetrics().horizontalAdvance(text)
        if not button.icon().isNull():
            need += button.iconSize().width() + 4
        if need > room.width() + 1:
            return f"needs {need} px, has {room.width()}"
        return None
    if isinstance(button, QToolButton):
        hint = button.sizeHint()
        if button.width() + 1 < hint.width() or button.height() + 1 < hint.height():
            return f"needs {hint.width()}x{hint.height()}, has {button.width()}x{button.height()}"
    return None


def _combo(box: QComboBox) -> list[str]:
    out = []
    if not box.count():
        return out
    opt = QStyleOptionComboBox()
    box.initStyleOption(opt)
    field = box.style().subControlRect(
        QStyle.ComplexControl.CC_ComboBox, opt, QStyle.SubControl.SC_ComboBoxEditField, box
    )
    fm = box.fontMetrics()
    for i in range(box.count()):
        text = box.itemText(i)
        need = fm.horizontalAdvance(text)
        if need > field.width() + 1:
            out.append(f"entry {text!r} needs {need} px in the field, has {field.width()}")
    # The open list: every entry whole, and as many shown as it may show.
    global _previous_handler
    previous = _previous_handler = qInstallMessageHandler(_quiet_popup)
    box.showPopup()
    try:
        view = box.view()
        QApplication.processEvents()
        room = view.viewport().width()
        height = view.viewport().height()
        rows = min(box.count(), box.maxVisibleItems())
        shown = 0
        view_fm = view.fontMetrics()
        for i in range(box.count()):
            index = view.model().index(i, box.modelColumn())
            # The entry's text with a little air each side (what a delegate leaves).
            need = view_fm.horizontalAdvance(box.itemText(i)) + 2 * ENTRY_PADDING
            if need > room + 1:
                out.append(f"open list: {box.itemText(i)!r} needs {need} px, has {room}")
            rect = view.visualRect(index)
            if rect.isValid() and rect.top() >= 0 and rect.bottom() < height:
                shown += 1
        if shown < rows:
            out.append(f"open list shows {shown} whole entries of {rows}")
    finally:
        box.hidePopup()
        qInstallMessageHandler(previous)
    return out


_PLATFORM_CANNOT = ("does not support raise", "does not support grabbing the keyboard")


def _quiet_popup(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    """While a list opens: the offscreen platform says it cannot raise it or grab the
    keyboard (it has no windows to raise); anything else goes on to the usual handler."""
    if any(text in message for text in _PLATFORM_CANNOT):
        return
    if _previous_handler is not None:
        _previous_handler(kind, context, message)


def _header(header: QHeaderView) -> list[str]:
    out = []
    model = header.model()
    if model is None:
        return out
    view = header.parentWidget()
    for logical in range(header.count()):
        if header.isSectionHidden(logical):
            continue
        start = header.sectionViewportPosition(logical)
        if start < 0 or start >= header.viewport().width():
            continue  # scrolled out of sight: not cut, just elsewhere
        text = model.headerData(logical, header.orientation(), Qt.ItemDataRole.DisplayRole)
        need = header.sectionSizeHint(logical)
        has = header.sectionSize(logical)
        if header.stretchLastSection() and logical == header.logicalIndex(header.count() - 1):
            has = max(has, header.viewport().width() - start)
        if need > has + 1:
            out.append(f"{_name(view)} header {text!r} needs {need} px, has {has}")
    return out


def _list(view: QListView) -> list[str]:
    model = view.model()
    if view.viewMode() != QListView.ViewMode.ListMode or model is None:
        return []
    bar = view.horizontalScrollBar()
    if bar.isVisible() and bar.maximum() > 0:
        return [f"{_name(view)}: its entries scroll sideways ({bar.maximum()} px more)"]
    out = []
    height = view.viewport().height()
    for row in range(model.rowCount()):
        index = model.index(row, view.modelColumn())
        rect = view.visualRect(index)
        if not rect.isValid() or rect.bottom() < 0 or rect.top() >= height:
            continue  # scrolled out of sight
        text = str(model.data(index) or "")
        room = QSize(min(rect.right() + 1, view.viewport().width()) - rect.left(), rect.height())
        if view.wordWrap():
            # The view wraps at its width: the wrapped text must fit the row's height.
            margin = view.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin) + 1
            inner = room.width() - 2 * margin
            if model.flags(index) & Qt.ItemFlag.ItemIsUserCheckable:
                inner -= view.style().pixelMetric(QStyle.PixelMetric.PM_IndicatorWidth) + margin
            wrapped = view.fontMetrics().boundingRect(
                QRect(0, 0, max(inner, 1), 100_000), Qt.TextFlag.TextWordWrap, text
            )
            need = QSize(min(wrapped.width(), inner), wrapped.height())
        else:
            need = view.sizeHintForIndex(index)
        if need.width() > room.width() + 1 or need.height() > room.height() + 1:
            out.append(
                f"{_name(view)} entry {text.replace(chr(10), ' ')[:40]!r} needs "
                f"{need.width()}x{need.height()}, has {room.width()}x{room.height()}"
            )
    return out


def problems(window: QWidget) -> list[str]:
    """Every clipped text and every widget outside ``window`` (see the module docstring)."""
    found: list[str] = []
    bounds = window.rect()
    for widget in window.findChildren(QWidget):
        if not _shown(widget, window):
            continue
        if not _in_scrolled_content(widget, window):
            rect = QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())
            if not bounds.contains(rect) and _visible_rect(widget, window).isValid():
                found.append(f"{_name(widget)}: outside the window ({rect} in {bounds})")
        visible = _visible_rect(widget, window)
        if visible.width() <= 0:
            continue
        if visible.width() < widget.width() - 1 and _cut_sideways(widget, window):
            found.append(
                f"{_name(widget)}: cut at the side ({visible.width()} of {widget.width()} px "
                "shown, nothing scrolls sideways)"
            )
        if isinstance(widget, QLabel):
            issue = _label(widget)
            if issue:
                found.append(f"{_name(widget)} {widget.text()[:40]!r}: {issue}")
        elif isinstance(widget, QAbstractButton):
            issue = _button(widget)
            if issue:
                found.append(f"{_name(widget)} {_plain(widget.text())!r}: {issue}")
        elif isinstance(widget, QComboBox):
            found += [f"{_name(widget)}: {issue}" for issue in _combo(widget)]
        elif isinstance(widget, QHeaderView) and widget.orientation() == Qt.Orientation.Horizontal:
            found += _header(widget)
        elif isinstance(widget, QListView):
            found += _list(widget)
    return found


def small_targets(window: QWidget) -> list[str]:
    """Main targets under ``TOUCH`` px tall."""
    found = []
    for widget in window.findChildren(QWidget):
        if not _shown(widget, window):
            continue
        if isinstance(widget, QAbstractItemView) and widget.parentWidget() is not None:
            if isinstance(widget, QTableView) and widget.verticalHeader().count():
                height = widget.verticalHeader().defaultSectionSize()
                if height < TOUCH:
                    found.append(f"{_name(widget)}: rows {height} px tall")
            elif isinstance(widget, QTreeView) and widget.model() is not None:
                first = widget.model().index(0, 0)
                height = widget.visualRect(first).height() if first.isValid() else TOUCH
                if height < TOUCH:
                    found.append(f"{_name(widget)}: rows {height} px tall")
            continue
        if isinstance(widget, QAbstractButton | QComboBox | QLineEdit):
            if isinstance(widget.parentWidget(), QComboBox | QLineEdit):
                continue  # a line edit's own clear button, a combo's editor
            if widget.height() < TOUCH:
                found.append(f"{_name(widget)} {type(widget).__name__}: {widget.height()} px")
            if isinstance(widget, QComboBox) and widget.count():
                row = widget.view().sizeHintForRow(0)
                if row < TOUCH:
                    found.append(f"{_name(widget)}: open list rows {row} px tall")
    return found
