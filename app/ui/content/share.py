"""The share dialog: pick the customers, then copy for WeChat one customer at a time.

Each copy puts the text with the placeholders filled for that customer and the first
picture on the clipboard (one QMimeData with text and image: one paste carries both),
and records the share at once through the write lane (offline: the outbox takes it).
"""

from __future__ import annotations

from PySide6.QtCore import QMimeData, Qt, QTimer, Slot
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.outreach import MAX_REASON_CHARS, Eligibility, reason_problem
from app.domain.share_text import fill_placeholders, form_of_address
from app.store.content import ContentPiece, ShareCandidate, guide_customers, record_share
from app.store.guides import GuideAccount
from app.store.replica import sync_status
from app.ui.session import Session
from app.ui.widgets import plain_label
from sync.records import clean_text

ID_ROLE = Qt.ItemDataRole.UserRole + 1


class ShareDialog(QDialog):
    def __init__(
        self,
        session: Session,
        guide: GuideAccount,
        piece: ContentPiece,
        pictures=None,
        *,
        preselected: list[str] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("shareDialog")
        self.setWindowTitle(self.tr("Share “{title}”").format(title=piece.title))
        self.session, self.guide, self.piece = session, guide, piece
        self.pictures = pictures
        self.image: QImage | None = None
        self.ready = False
        self.shared: list[str] = []  # customer ids whose share was recorded
        # Ticked customers in the order they were ticked: the walk's order.
        self._picked: dict[str, None] = dict.fromkeys(preselected or [])
        self._candidates: dict[str, ShareCandidate] = {}
        # Customers at the contact cap the guide chose to send to anyway, with the reason.
        self._overrides: dict[str, str] = {}
        self.queue: list[ShareCandidate] = []
        self.position = 0
        status = sync_status(session.conn)  # a tiny read: the store's name
        self.store_name = status.store_name or status.store_id or guide.store_id

        self.search = QLineEdit()
        self.search.setObjectName("shareSearch")
        self.search.setPlaceholderText(self.tr("Search your customers"))
        self.search.setClearButtonEnabled(True)
        self._typing = QTimer(self, singleShot=True, interval=150)
        self._typing.timeout.connect(self.reload)
        self.search.textChanged.connect(self._typing.start)
        self.customers = QListWidget()
        self.customers.setObjectName("shareCustomers")
        self.customers.setWordWrap(True)
        self.customers.setSpacing(2)
        self.customers.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.customers.itemChanged.connect(self._item_changed)
        self.customers.currentItemChanged.connect(lambda *_: self._refresh_override())
        self.override_button = QPushButton(self.tr("Send anyway…"))
        self.override_button.setObjectName("shareOverrideButton")
        self.override_button.setToolTip(
            self.tr("This customer has been contacted as often as the store allows; say why")
        )
        self.override_button.setEnabled(False)
        self.override_button.clicked.connect(self.override_current)

        self.who = plain_label("", "shareWho", selectable=False)
        self.text = QPlainTextEdit()
        self.text.setObjectName("shareText")
        self.text.setReadOnly(True)
        self.copy_button = QPushButton(self.tr("Copy for WeChat"))
        self.copy_button.setObjectName("copyForWeChatButton")
        self.copy_button.setDefault(True)
        self.copy_button.clicked.connect(self.copy_current)
        self.next_button = QPushButton(self.tr("Next customer"))
        self.next_button.setObjectName("nextCustomerButton")
        self.next_button.clicked.connect(self.next_customer)
        self.done_note = plain_label("", "shareDone", selectable=False)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.copy_button)
        row.addWidget(self.next_button)
        row.addStretch(1)
        left = QVBoxLayout()
        left.addWidget(self.search)
        left.addWidget(self.customers, 1)
        left.addWidget(self.override_button)
        right = QVBoxLayout()
        right.addWidget(self.who)
        right.addWidget(self.text, 1)
        right.addLayout(row)
        right.addWidget(self.done_note)
        columns = QHBoxLayout()
        columns.addLayout(left, 2)
        columns.addLayout(right, 3)
        layout = QVBoxLayout(self)
        layout.addLayout(columns, 1)
        layout.addWidget(buttons)
        self.resize(860, 560)  # within a 1024×768 screen with room for the title bar

        if pictures is not None and piece.images:
            pictures.request(piece.images[0], self._picture, owner=self)
        self._refresh_step()
        self.reload()

    def _picture(self, _sha: str, image: QImage | None) -> None:
        self.image = image

    @Slot()
    def reload(self) -> None:
        text, guide_id, now = self.search.text(), self.guide.id, self.session.clock()
        self.ready = False
        self.session.read.run(
            lambda conn: guide_customers(conn, guide_id, text, now=now),
            success=self._fill,
            owner=self,
        )

    def _fill(self, found: list[ShareCandidate]) -> None:
        self.customers.blockSignals(True)
        self.customers.clear()
        for c in found:
            self._candidates[c.id] = c
            # Two lines (the name, then the counts and consent) so nothing is cut off in
            # the dialog's narrow list; a long reason wraps.
            label = f"{c.name}（{form_of_address(c.name, c.gender)}）\n"
            if c.cap is None:
                counted = self.tr("Contacted %1 times in %2 days")
            else:
                counted = self.tr("Contacted %1 times in %2 days (cap %3)").replace(
                    "%3", str(c.cap)
                )
            label += counted.replace("%1", str(c.contacts)).replace("%2", str(c.window_days))
            overridden = c.id in self._overrides
            blocked = c.eligibility != Eligibility.OK and not overridden
            if c.eligibility == Eligibility.OPTED_OUT:
                label += "\n" + self.tr("Opted out of marketing: %1").replace(
                    "%1", c.opt_out_reason
                )
            elif overridden:
                label += "\n" + self.tr("Over the cap, reason given: %1").replace(
                    "%1", self._overrides[c.id]
                )
            elif blocked:
                label += "\n" + self.tr("At the store's contact cap (%1)").replace("%1", str(c.cap))
            item = QListWidgetItem(label)
            item.setData(ID_ROLE, c.id)
            if blocked:  # listed, never tickable (app/domain/outreach.py)
                flags = item.flags() & ~Qt.ItemFlag.ItemIsUserCheckable
                if c.eligibility == Eligibility.OPTED_OUT:
                    flags &= ~Qt.ItemFlag.ItemIsEnabled  # greyed: never offered
                item.setFlags(flags)  # at the cap: still chosen for "Send anyway…"
                item.setCheckState(Qt.CheckState.Unchecked)  # the box in line, unticked
                self._picked.pop(c.id, None)
            else:
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(
                    Qt.CheckState.Checked if c.id in self._picked else Qt.CheckState.Unchecked
                )
            self.customers.addItem(item)
        self.customers.blockSignals(False)
        self._rebuild_queue()
        self._refresh_override()
        self.ready = True

    def _over_cap(self, customer_id: str | None) -> bool:
        c = self._candidates.get(customer_id or "")
        return (
            c is not None and c.eligibility == Eligibility.OVER_CAP and c.id not in self._overrides
        )

    def _refresh_override(self) -> None:
        item = self.customers.currentItem()
        self.override_button.setEnabled(item is not None and self._over_cap(item.data(ID_ROLE)))

    @Slot()
    def override_current(self) -> OverrideDialog | None:
        """The guide sends to a customer at the cap anyway: a reason first (recorded with
        the share, seen by the manager)."""
        item = self.customers.currentItem()
        if item is None or not self._over_cap(item.data(ID_ROLE)):
            return None
        cid = item.data(ID_ROLE)
        dialog = OverrideDialog(self._candidates[cid].name, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def given() -> None:
            self._overrides[cid] = dialog.reason()
            self._picked.setdefault(cid)
            self.reload()

        dialog.accepted.connect(given)
        self.override_dialog = dialog
        dialog.open()
        return dialog

    def item_of(self, customer_id: str) -> QListWidgetItem | None:
        for row in range(self.customers.count()):
            item = self.customers.item(row)
            if item.data(ID_ROLE) == customer_id:
                return item
        return None

    def _item_changed(self, item: QListWidgetItem) -> None:
        cid = item.data(ID_ROLE)
        if item.checkState() == Qt.CheckState.Checked:
            self._picked.setdefault(cid)
        else:
            self._picked.pop(cid, None)
        self._rebuild_queue()

    def _rebuild_queue(self) -> None:
        current = self.current()
        self.queue = [self._candidates[cid] for cid in self._picked if cid in self._candidates]
        ids = [c.id for c in self.queue]
        self.position = ids.index(current.id) if current and current.id in ids else 0
        self._refresh_step()

    def current(self) -> ShareCandidate | None:
        return self.queue[self.position] if 0 <= self.position < len(self.queue) else None

    def text_for(self, candidate: ShareCandidate) -> str:
        piece = self.piece
        body = piece.body or piece.caption or piece.title
        return fill_placeholders(
            body,
            address=form_of_address(candidate.name, candidate.gender),
            guide=self.guide.name,
            store=self.store_name,
        )

    def _refresh_step(self) -> None:
        who = self.current()
        if who is None:
            self.who.setText(self.tr("Tick the customers this is for."))
            self.text.setPlainText("")
            self.copy_button.setEnabled(False)
            self.next_button.setEnabled(False)
            return
        self.who.setText(
            self.tr("{n} of {total}: {name}").format(
                n=self.position + 1, total=len(self.queue), name=who.name
            )
        )
        self.text.setPlainText(self.text_for(who))
        self.copy_button.setEnabled(True)
        self.next_button.setEnabled(self.position + 1 < len(self.queue))

    @Slot()
    def copy_current(self) -> None:
        who = self.current()
        if who is None:
            return
        mime = QMimeData()
        mime.setText(self.text_for(who))
        if self.image is not None and not self.image.isNull():
            mime.setImageData(self.image)
        QGuiApplication.clipboard().setMimeData(mime)
        if who.id in self.shared:
            self.done_note.setText(self.tr("Copied again (the share was already recorded)."))
            return
        self.shared.append(who.id)
        piece, guide_id, now = self.piece, self.guide.id, self.session.now_iso()
        reason = self._overrides.get(who.id, "")
        self.session.change(
            lambda conn: record_share(
                conn,
                customer_id=who.id,
                piece=piece,
                guide_id=guide_id,
                now=now,
                override_reason=reason,
            ),
            owner=self,
        )
        self.done_note.setText(
            self.tr("Copied for {name}: paste it into WeChat. The share is recorded.").format(
                name=who.name
            )
        )

    @Slot()
    def next_customer(self) -> None:
        if self.position + 1 < len(self.queue):
            self.position += 1
            self.done_note.setText("")
            self._refresh_step()


class OverrideDialog(QDialog):
    """Why send to a customer already contacted as often as the store allows."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("overrideDialog")
        self.setWindowTitle(self.tr("Over the contact cap"))
        intro = plain_label(
            self.tr(
                "{name} has been contacted as often as the store allows. Send anyway only"
                " with a reason; your store manager sees it."
            ).format(name=name),
            "overrideIntro",
        )
        self.edit = QLineEdit()
        self.edit.setObjectName("overrideReason")
        self.edit.setMaxLength(MAX_REASON_CHARS)
        self.edit.setPlaceholderText(self.tr("e.g. the customer asked about the new coats"))
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText(self.tr("Send anyway"))
        self.ok.setObjectName("overrideOk")
        self.ok.setEnabled(False)
        self.edit.textChanged.connect(lambda t: self.ok.setEnabled(reason_problem(t) is None))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.edit)
        layout.addWidget(buttons)

    def reason(self) -> str:
        return clean_text(self.edit.text())
