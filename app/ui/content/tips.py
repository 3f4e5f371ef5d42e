"""Peer tips (无师自通) on the Content page: the list guides share, and the dialog to post one.

Reads go to the read lane (``app.store.tips.list_tips``), the post to the write lane
(``post_tip``); a tip posted here shows at once, marked as waiting for sync until its
``tip/create`` mutation has left the outbox. Pictures come from the page's
:class:`~app.ui.content.page.PictureSource` (cached: at once; otherwise off the UI thread).
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from zoneinfo import ZoneInfo

from PySide6.QtCore import QCoreApplication, QEvent, QSize, Qt, Slot
from PySide6.QtGui import QIcon, QImage, QKeyEvent, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.domain.tips import MAX_TIP_CHARS, TipAudience
from app.store import outbox
from app.store.changes import Changes
from app.store.errors import InvalidEntry
from app.store.guides import GuideAccount
from app.store.tips import Tip, TipList, list_tips, post_tip
from app.ui.session import Session
from app.ui.tasks.outcome_dialog import picture_base64
from app.ui.widgets import plain_label

TIP_THUMB = QSize(64, 48)
TIP_ROLE = Qt.ItemDataRole.UserRole + 1


def _placeholder() -> QPixmap:
    from app.ui.content.page import placeholder_pixmap

    return placeholder_pixmap(TIP_THUMB)


def _tip_list_and_pending(conn, guide_id: str) -> tuple[TipList, set[str]]:
    """The panel's read: the tips, and which of them still wait in the outbox."""
    pending = {e.entity_id for e in outbox.pending(conn, limit=10_000) if e.entity == "tip"}
    return list_tips(conn, guide_id), pending


class TipsPanel(QWidget):
    """The tips this terminal holds: pinned first (for a new guide in a 新人必看 block of
    their own), then newest; a button to write one."""

    def __init__(self, session: Session, guide: GuideAccount, pictures, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("tipsPanel")
        self.session, self.guide, self.pictures = session, guide, pictures
        self.ready = False
        self.tips = TipList([], False)
        self.pending: set[str] = set()
        self.draft = ""  # what was typed in a dialog closed without posting
        self.draft_audience = TipAudience.STORE.value
        self.dialog: TipDialog | None = None
        self._generation = 0
        self._items_of_picture: dict[str, list[QListWidgetItem]] = {}
        self._placeholder = QIcon(_placeholder())

        self.post_button = QPushButton(self.tr("Write a tip…"))
        self.post_button.setObjectName("postTipButton")
        self.post_button.clicked.connect(self.open_dialog)
        top = QHBoxLayout()
        top.addWidget(
            plain_label(self.tr("Tips from colleagues"), "tipsTitle", wrap=False, selectable=False)
        )
        top.addStretch(1)
        top.addWidget(self.post_button)

        self.must_title = plain_label(
            self.tr("Must-read for new guides"), "tipsMustReadTitle", selectable=False
        )
        self.must_title.setStyleSheet("font-weight: bold; color: #b45309;")
        self.must_list = self._make_list("tipsMustRead")
        self.must_list.setStyleSheet(
            "QListWidget { background: #fff7e6; border: 1px solid #f0b429; }"
        )
        self.must_list.setMaximumHeight(170)
        self.list = self._make_list("tipsList")
        self.empty = plain_label(
            self.tr("No tips yet. Share one of your lessons with your colleagues."),
            "tipsEmpty",
            selectable=False,
        )
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.must_title)
        layout.addWidget(self.must_list)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty, 1)
        for w in (self.must_title, self.must_list, self.list):
            w.hide()
        session.hub.changed.connect(self._on_changes)
        self.reload()

    def _make_list(self, name: str) -> QListWidget:
        view = QListWidget()
        view.setObjectName(name)
        view.setIconSize(TIP_THUMB)
        view.setWordWrap(True)
        view.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        view.setVerticalScrollMode(QListWidget.ScrollMode.ScrollPerPixel)
        return view

    # -- loading --------------------------------------------------------------------------

    @Slot()
    def reload(self) -> None:
        self.ready = False
        self._generation += 1
        generation, guide_id = self._generation, self.guide.id

        def show(found: tuple[TipList, set[str]]) -> None:
            if generation == self._generation:
                self._show(*found)

        self.session.read.run(
            lambda conn: _tip_list_and_pending(conn, guide_id), success=show, owner=self
        )

    def _on_changes(self, changes: Changes) -> None:
        if changes.touches("tip") or (changes.outbox and self.pending):
            self.reload()

    def _show(self, tips: TipList, pending: set[str]) -> None:
        self.tips, self.pending = tips, pending
        self._items_of_picture = {}
        self.must_list.clear()
        self.list.clear()
        must = [t for t in tips.tips if t.pinned] if tips.new_guide else []
        rest = tips.tips[len(must) :] if must else tips.tips
        for view, group in ((self.must_list, must), (self.list, rest)):
            for tip in group:
                view.addItem(self._item(tip))
        self.must_title.setVisible(bool(must))
        self.must_list.setVisible(bool(must))
        self.list.setVisible(bool(rest))
        self.empty.setVisible(not tips.tips)
        wanted = [s for s in self._items_of_picture if self.pictures.image(s) is None]
        for sha in wanted:
            self.pictures.request(sha, self._picture_ready, owner=self)
        self.ready = True

    def _item(self, tip: Tip) -> QListWidgetItem:
        item = QListWidgetItem(self.text_of(tip))
        item.setData(TIP_ROLE, tip.id)
        item.setData(Qt.ItemDataRole.AccessibleDescriptionRole, tip.id)
        if tip.image:
            image = self.pictures.image(tip.image)
            item.setIcon(self._icon(image) if image is not None else self._placeholder)
            self._items_of_picture.setdefault(tip.image, []).append(item)
        return item

    def text_of(self, tip: Tip) -> str:
        audience = self.tr("my store") if tip.audience == TipAudience.STORE else self.tr("brand")
        meta = f"— {tip.guide_name or tip.guide_id} · {audience} · {self.day_of(tip.created_at)}"
        marks = []
        if tip.pinned:
            marks.append(self.tr("Pinned"))
        if tip.id in self.pending:
            marks.append(self.tr("Waiting for sync"))
        head = f"【{' · '.join(marks)}】" if marks else ""
        return f"{head}{tip.body}\n{meta}"

    def day_of(self, created_at: str) -> str:
        try:
            when = datetime.fromisoformat(created_at.replace("Z", "+00:00"))
            zone = self.session.timezone
            when = when.astimezone(ZoneInfo(zone) if zone else None)
        except (ValueError, KeyError):
            return created_at[:10]
        return self.tr("{month}/{day}").format(month=when.month, day=when.day)

    def _icon(self, image: QImage) -> QIcon:
        return QIcon(
            QPixmap.fromImage(image).scaled(
                TIP_THUMB,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )

    def _picture_ready(self, sha: str, image: QImage | None) -> None:
        if image is None:
            return  # the placeholder stays
        icon = self._icon(image)
        for item in self._items_of_picture.get(sha, ()):
            item.setIcon(icon)

    def item_texts(self, view: QListWidget | None = None) -> list[str]:
        view = view or self.list
        return [view.item(r).text() for r in range(view.count())]

    # -- posting --------------------------------------------------------------------------

    @Slot()
    def open_dialog(self) -> TipDialog:
        dialog = TipDialog(self, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        dialog.open()
        return dialog

    def posted(self, tip_id: str) -> None:
        """A tip was written: shown at once, waiting for sync (the hub's reload follows)."""
        self.draft, self.draft_audience = "", TipAudience.STORE.value
        self.pending.add(tip_id)


class TipDialog(QDialog):
    """Write a tip: a few lines (a live counter), for the store or the brand, a picture."""

    def __init__(self, panel: TipsPanel, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("tipDialog")
        self.setWindowTitle(self.tr("Share a tip"))
        self.panel = panel
        self.picture: str | None = None  # base64 JPEG, scaled down
        self.posting = False
        self.text = QPlainTextEdit()
        self.text.setObjectName("tipText")
        self.text.setPlaceholderText(
            self.tr("What worked for you with a customer? A few lines for your colleagues.")
        )
        self.text.setPlainText(panel.draft)
        self.counter = QLabel()
        self.counter.setObjectName("tipCounter")
        self.text.textChanged.connect(self._count)
        self.audience = QComboBox()
        self.audience.setObjectName("tipAudience")
        self.audience.addItem(self.tr("My store"), TipAudience.STORE.value)
        self.audience.addItem(self.tr("Whole brand"), TipAudience.BRAND.value)
        self.audience.setCurrentIndex(max(0, self.audience.findData(panel.draft_audience)))
        self.picture_button = QPushButton(self.tr("Add a picture…"))
        self.picture_button.setObjectName("tipPicture")
        self.picture_button.clicked.connect(self.choose_picture)
        self.picture_note = plain_label("", "tipPictureNote", selectable=False)
        self.message = plain_label("", "tipMessage", selectable=False)
        self.message.setStyleSheet("color: #b91c1c;")
        self.post_button = QPushButton(self.tr("Post"))
        self.post_button.setObjectName("tipPost")
        self.post_button.setDefault(True)
        self.post_button.clicked.connect(self.post)
        cancel = QPushButton(self.tr("Cancel"))
        cancel.setObjectName("tipCancel")
        cancel.clicked.connect(self.reject)
        self.text.installEventFilter(self)  # Ctrl+Enter in the text posts

        row = QHBoxLayout()
        row.addWidget(QLabel(self.tr("For:")))
        row.addWidget(self.audience)
        row.addWidget(self.picture_button)
        row.addStretch(1)
        row.addWidget(self.counter)
        buttons = QHBoxLayout()
        buttons.addWidget(plain_label(self.tr("Ctrl+Enter posts"), "tipHint", selectable=False))
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.post_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text, 1)
        layout.addLayout(row)
        layout.addWidget(self.picture_note)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.resize(520, 340)
        self._count()
        self.finished.connect(self._keep_draft)

    def eventFilter(self, watched, event) -> bool:
        if (
            watched is self.text
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and event.modifiers() & Qt.KeyboardModifier.ControlModifier
        ):
            self.post()
            return True
        return super().eventFilter(watched, event)

    def _count(self) -> None:
        n = len(self.text.toPlainText().strip())
        self.counter.setText(f"{n} / {MAX_TIP_CHARS}")
        self.counter.setStyleSheet("color: #b91c1c;" if n > MAX_TIP_CHARS else "")

    def _keep_draft(self, _result: int) -> None:
        if not self.posting or self.result() != QDialog.DialogCode.Accepted:
            self.panel.draft = self.text.toPlainText()
            self.panel.draft_audience = self.audience.currentData()

    @Slot()
    def choose_picture(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Add a picture"), "", self.tr("Pictures (*.png *.jpg *.jpeg *.bmp *.gif)")
        )
        if path:
            self.set_picture_file(path)

    def set_picture_file(self, path: str) -> bool:
        image = QImage(path)
        encoded = picture_base64(image) if not image.isNull() else None
        if encoded is None:
            self.message.setText(
                self.tr("That file is not a picture we can read; choose a JPEG or PNG.")
            )
            return False
        self.picture = encoded
        self.message.setText("")
        self.picture_note.setText(
            self.tr("Picture added ({w}×{h}).").format(w=image.width(), h=image.height())
        )
        return True

    @Slot()
    def post(self) -> None:
        if self.posting:
            return
        body = self.text.toPlainText().strip()
        if not body:
            self.message.setText(self.tr("Write a few words first."))
            return
        if len(body) > MAX_TIP_CHARS:
            self.message.setText(
                self.tr("Too long: {n} characters, at most {max}. Shorten it a little.").format(
                    n=len(body), max=MAX_TIP_CHARS
                )
            )
            return
        panel, guide = self.panel, self.panel.guide
        audience, picture = self.audience.currentData(), self.picture
        now, tip_id = panel.session.now_iso(), outbox.new_id()
        cache = getattr(panel.pictures, "cache", None)

        def job(conn) -> Changes:
            changes = post_tip(
                conn,
                guide_id=guide.id,
                guide_name=guide.name,
                store_id=guide.store_id,
                body=body,
                audience=audience,
                picture_b64=picture,
                now=now,
                tip_id=tip_id,
            )
            if picture and cache is not None:  # shows before any sync (the hash HQ sets)
                data = base64.b64decode(picture)
                try:
                    cache.put(hashlib.sha256(data).hexdigest(), data)
                except OSError:
                    pass  # the tip is written; its picture comes from HQ later
            return changes

        self.posting = True
        self.post_button.setEnabled(False)
        self.message.setText("")
        panel.session.change(
            job, success=lambda _c: self._posted(tip_id), failure=self._failed, owner=self
        )

    def _posted(self, tip_id: str) -> None:
        self.panel.posted(tip_id)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.posting = False
        self.post_button.setEnabled(True)
        if isinstance(exc, InvalidEntry):
            self.message.setText(str(exc))
        else:
            self.message.setText(
                self.tr("Not posted: {error}. Your text is kept.").format(error=exc)
            )


def add_tips_tab(page, layout, body: QWidget) -> TipsPanel:
    """Put the page's body (grid and preview) and the tips panel in tabs: 内容 / 同事心得."""
    tabs = QTabWidget(page)
    tabs.setObjectName("contentTabs")
    tabs.setDocumentMode(True)
    panel = TipsPanel(page.session, page.guide, page.pictures, parent=tabs)
    layout.replaceWidget(body, tabs)
    tabs.addTab(body, QCoreApplication.translate("TipsPanel", "Content"))
    tabs.addTab(panel, QCoreApplication.translate("TipsPanel", "Tips from colleagues"))
    page.content_tabs = tabs
    return panel
