"""Free composition (自由组合): the guide's own message from products, library pictures and
their own words, kept as a draft (草稿) and shared like any other content.

``ComposeBar`` is what the Content page shows: the "自由组合" button and "我的草稿 (N)".
``ComposeDialog`` is the composer. What is typed is never lost: an edit is kept on a short
timer through the write lane, and Esc, Close or the window's close box keep it too; a
crash loses at most the last ``AUTOSAVE_MS``. Sharing opens the page's share dialog with
the composition as a ``ContentPiece(composed=True)``; the draft stays for the next time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import (
    QIcon,
    QImage,
    QKeySequence,
    QPixmap,
    QShortcut,
    QStandardItem,
    QStandardItemModel,
)
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.content import Category631
from app.domain.share_text import fill_placeholders
from app.store import outbox
from app.store.changes import Changes
from app.store.compositions import (
    BODY_MAX,
    IMAGES_MAX,
    SKUS_MAX,
    Composition,
    Problem,
    ProductChoice,
    composition_piece,
    composition_problems,
    delete_composition,
    library_pictures,
    list_compositions,
    products_by_sku,
    save_composition,
    search_products,
)
from app.store.content import ContentPiece
from app.store.guides import GuideAccount
from app.store.replica import sync_status
from app.ui.fit import fit_combo
from app.ui.format import money
from app.ui.session import Session
from app.ui.widgets import ChoiceBox, plain_label

if TYPE_CHECKING:  # the page imports this module: no import of it at run time
    from app.ui.content.page import PictureSource

AUTOSAVE_MS = 800
SAMPLE_ADDRESS = "王女士"  # the preview's customer: how {称呼} reads for a real one
THUMB = QSize(96, 72)
VALUE_ROLE = Qt.ItemDataRole.UserRole + 1


def category_label(value: str) -> str:
    """The 631 category as the Content page names it (one translation for both)."""
    source = {
        "brand": "Brand (60%)",
        "service": "Service (30%)",
        "selling": "Selling (10%)",
    }.get(value)
    return QCoreApplication.translate("ContentPage", source) if source else value


class ComposeDialog(QDialog):
    """The composer: pick products and pictures, write, choose the 631 category, preview,
    keep as a draft or share. It never writes SQL: store calls run on the session's lanes."""

    share_requested = Signal(object)  # ContentPiece (composed)

    def __init__(
        self,
        session: Session,
        guide: GuideAccount,
        pictures: PictureSource,
        *,
        draft: Composition | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("composeDialog")
        self.setWindowTitle(self.tr("Free composition"))
        self.session, self.guide, self.pictures = session, guide, pictures
        self.draft_id = draft.id if draft is not None else outbox.new_id()
        self.created = draft is not None  # a row of this draft is (or will be) in the store
        self._finishing = False
        self._loading = True
        self.ready = False
        self.saved_count = 0  # drafts written by this dialog (tests wait on it)
        status = sync_status(session.conn)  # a tiny read: the store's name
        self.store_name = status.store_name or status.store_id or guide.store_id
        self._skus: dict[str, ProductChoice | None] = dict.fromkeys(draft.skus if draft else ())
        self._images: dict[str, None] = dict.fromkeys(draft.images if draft else ())
        from app.ui.content.page import placeholder_pixmap

        self._placeholder = QIcon(placeholder_pixmap(THUMB))

        # Products: a search over the products table; the ticked ones kept across searches.
        self.product_search = QLineEdit()
        self.product_search.setObjectName("composeProductSearch")
        self.product_search.setPlaceholderText(self.tr("Search products by name or SKU"))
        self.product_search.setClearButtonEnabled(True)
        self._typing = QTimer(self, singleShot=True, interval=150)
        self._typing.timeout.connect(self.reload_products)
        self.product_search.textChanged.connect(self._typing.start)
        self.products = QListWidget()
        self.products.setObjectName("composeProducts")
        self.products.itemChanged.connect(self._product_changed)

        # Pictures of the library, thumbnails by hash (a placeholder until cached).
        self.picture_list = QListWidget()
        self.picture_list.setObjectName("composePictures")
        self.picture_list.setViewMode(QListView.ViewMode.IconMode)
        self.picture_list.setResizeMode(QListView.ResizeMode.Adjust)
        self.picture_list.setMovement(QListView.Movement.Static)
        self.picture_list.setIconSize(THUMB)
        self.picture_list.setGridSize(QSize(THUMB.width() + 16, THUMB.height() + 30))
        self.picture_list.itemChanged.connect(self._picture_changed)

        self.text = QPlainTextEdit()
        self.text.setObjectName("composeText")
        self.text.setTabChangesFocus(True)
        self.text.setPlaceholderText(
            self.tr("Your own words. {称呼}, {导购} and {门店} are filled in for each customer.")
        )
        self.category = ChoiceBox(
            "composeCategory",
            [(self.tr("Choose the 631 category"), None)]
            + [(category_label(c.value), c.value) for c in Category631],
        )
        fit_combo(self.category)
        self.counts = plain_label("", "composeCounts", selectable=False)
        self.problems = plain_label("", "composeProblems", selectable=False)
        self.problems.setStyleSheet("color: #c62828;")
        self.preview = plain_label("", "composePreview")
        self.preview.setMinimumHeight(60)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.preview_meta = plain_label("", "composePreviewMeta")
        self.note = plain_label("", "composeNote", selectable=False)

        self.save_button = QPushButton(self.tr("Save draft"))
        self.save_button.setObjectName("composeSaveDraft")
        self.save_button.setToolTip("Ctrl+S")
        self.save_button.setAutoDefault(False)
        self.save_button.clicked.connect(self.save_draft)
        QShortcut(QKeySequence.StandardKey.Save, self, activated=self.save_draft)
        self.share_button = QPushButton(self.tr("Share…"))
        self.share_button.setObjectName("composeShare")
        self.share_button.setAutoDefault(False)
        self.share_button.clicked.connect(self.share)
        self.delete_button = QPushButton(self.tr("Delete draft"))
        self.delete_button.setObjectName("composeDelete")
        self.delete_button.setAutoDefault(False)
        self.delete_button.clicked.connect(self.delete)
        self.close_button = QPushButton(self.tr("Close"))
        self.close_button.setObjectName("composeClose")
        self.close_button.setAutoDefault(False)
        self.close_button.clicked.connect(self.reject)

        left = QVBoxLayout()
        left.addWidget(plain_label(self.tr("Products"), selectable=False))
        left.addWidget(self.product_search)
        left.addWidget(self.products, 2)
        left.addWidget(plain_label(self.tr("Pictures from the library"), selectable=False))
        left.addWidget(self.picture_list, 3)
        right = QVBoxLayout()
        right.addWidget(self.text, 3)
        right.addWidget(self.counts)
        right.addWidget(self.category)
        right.addWidget(
            plain_label(
                self.tr("Preview (for {address})").format(address=SAMPLE_ADDRESS),
                selectable=False,
            )
        )
        right.addWidget(self.preview, 2)
        right.addWidget(self.preview_meta)
        right.addWidget(self.problems)
        columns = QHBoxLayout()
        columns.addLayout(left, 2)
        columns.addLayout(right, 3)
        buttons = QHBoxLayout()
        buttons.addWidget(self.delete_button)
        buttons.addWidget(self.note, 1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.share_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addLayout(columns, 1)
        layout.addLayout(buttons)
        self.resize(900, 620)

        if draft is not None:
            self.text.setPlainText(draft.body)
            self.category.select(draft.category_631)
        self.delete_button.setEnabled(self.created)
        self._autosave = QTimer(self, singleShot=True, interval=AUTOSAVE_MS)
        self._autosave.timeout.connect(self._keep)
        self.text.textChanged.connect(self._edited)
        self.category.currentIndexChanged.connect(self._edited)
        self._loading = False
        self._refresh()
        self._load()

    # -- loading --------------------------------------------------------------------------

    def _load(self) -> None:
        skus = list(self._skus)
        text = self.product_search.text()

        def job(conn) -> tuple[list[ProductChoice], list[ProductChoice], list[str]]:
            return products_by_sku(conn, skus), search_products(conn, text), library_pictures(conn)

        self.session.read.run(job, success=self._loaded, owner=self)

    def _loaded(self, found: tuple[list[ProductChoice], list[ProductChoice], list[str]]) -> None:
        picked, products, shas = found
        for p in picked:
            self._skus[p.sku] = p
        self._fill_products(products)
        self.picture_list.blockSignals(True)
        for sha in [*self._images, *(s for s in shas if s not in self._images)]:
            item = QListWidgetItem(self._placeholder, "")
            item.setData(VALUE_ROLE, sha)
            item.setToolTip(sha[:12])
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(
                Qt.CheckState.Checked if sha in self._images else Qt.CheckState.Unchecked
            )
            self.picture_list.addItem(item)
        self.picture_list.blockSignals(False)
        shas = [
            self.picture_list.item(r).data(VALUE_ROLE) for r in range(self.picture_list.count())
        ]
        self.pictures.request_many(shas, self._picture_ready, owner=self)  # one lane job
        self._refresh()
        self.ready = True

    @Slot()
    def reload_products(self) -> None:
        text = self.product_search.text()
        self.ready = False

        def shown(products: list[ProductChoice]) -> None:
            self._fill_products(products)
            self.ready = True

        self.session.read.run(lambda conn: search_products(conn, text), success=shown, owner=self)

    def _fill_products(self, products: list[ProductChoice]) -> None:
        self.products.blockSignals(True)
        self.products.clear()
        for p in products:
            item = QListWidgetItem(self.product_text(p))
            item.setData(VALUE_ROLE, p)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(
                Qt.CheckState.Checked if p.sku in self._skus else Qt.CheckState.Unchecked
            )
            self.products.addItem(item)
        self.products.blockSignals(False)

    @staticmethod
    def product_text(p: ProductChoice) -> str:
        return f"{p.name}  {money(p.price_cents)}  ·  {p.sku}"

    def _picture_ready(self, sha: str, image: QImage | None) -> None:
        if image is None:
            return  # the placeholder stays (not cached, HQ out of reach)
        icon = QIcon(
            QPixmap.fromImage(image).scaled(
                THUMB,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )
        for row in range(self.picture_list.count()):
            item = self.picture_list.item(row)
            if item.data(VALUE_ROLE) == sha:
                item.setIcon(icon)
                item.setData(VALUE_ROLE + 1, True)

    def product_item(self, sku: str) -> QListWidgetItem | None:
        for row in range(self.products.count()):
            item = self.products.item(row)
            if item.data(VALUE_ROLE).sku == sku:
                return item
        return None

    def picture_item(self, sha: str) -> QListWidgetItem | None:
        for row in range(self.picture_list.count()):
            item = self.picture_list.item(row)
            if item.data(VALUE_ROLE) == sha:
                return item
        return None

    def thumbnail_is_placeholder(self, sha: str) -> bool:
        item = self.picture_item(sha)
        return item is None or not item.data(VALUE_ROLE + 1)

    # -- editing --------------------------------------------------------------------------

    def _product_changed(self, item: QListWidgetItem) -> None:
        product: ProductChoice = item.data(VALUE_ROLE)
        if item.checkState() == Qt.CheckState.Checked:
            self._skus[product.sku] = product
        else:
            self._skus.pop(product.sku, None)
        self._edited()

    def _picture_changed(self, item: QListWidgetItem) -> None:
        sha = item.data(VALUE_ROLE)
        if item.checkState() == Qt.CheckState.Checked:
            self._images.setdefault(sha)
        else:
            self._images.pop(sha, None)
        self._edited()

    @Slot()
    def _edited(self) -> None:
        if self._loading or self._finishing:
            return
        self.note.setText("")
        self._refresh()
        self._autosave.start()

    def composition(self) -> Composition:
        return Composition(
            id=self.draft_id,
            guide_id=self.guide.id,
            body=self.text.toPlainText(),
            images=tuple(self._images),
            skus=tuple(self._skus),
            category_631=self.category.value(),
        )

    def problem_text(self, problem: Problem) -> str:
        return {
            Problem.NO_WORDS: self.tr("Write a few words first."),
            Problem.BODY_TOO_LONG: self.tr("The text is longer than {n} characters.").format(
                n=BODY_MAX
            ),
            Problem.TOO_MANY_IMAGES: self.tr("At most {n} pictures.").format(n=IMAGES_MAX),
            Problem.TOO_MANY_SKUS: self.tr("At most {n} products.").format(n=SKUS_MAX),
            Problem.NO_CATEGORY: self.tr("Choose the 631 category (brand, service or selling)."),
        }[problem]

    def _refresh(self, *, all_problems: bool = False) -> None:
        comp = self.composition()
        self.counts.setText(
            self.tr(
                "{chars} / {max_chars} characters · {pics} / {max_pics} pictures · "
                "{skus} / {max_skus} products"
            ).format(
                chars=len(comp.body.strip()),
                max_chars=BODY_MAX,
                pics=len(comp.images),
                max_pics=IMAGES_MAX,
                skus=len(comp.skus),
                max_skus=SKUS_MAX,
            )
        )
        self.preview.setText(
            fill_placeholders(
                comp.body.strip(),
                address=SAMPLE_ADDRESS,
                guide=self.guide.name,
                store=self.store_name,
            )
        )
        names = [
            f"{p.name} {money(p.price_cents)}" if p is not None else sku
            for sku, p in self._skus.items()
        ]
        meta = [self.tr("{n} picture(s)").format(n=len(comp.images))]
        if names:
            meta.append(self.tr("products: {names}").format(names="、".join(names)))
        self.preview_meta.setText(" · ".join(meta))
        found = composition_problems(comp)
        if not all_problems:  # while typing: only what is over a limit
            found = [p for p in found if p not in (Problem.NO_WORDS, Problem.NO_CATEGORY)]
        self.problems.setText("\n".join(self.problem_text(p) for p in found))

    # -- keeping, sharing, deleting ---------------------------------------------------------

    def _keep(self) -> bool:
        """Keep what is typed now as the draft (nothing to keep in an untouched new one)."""
        self._autosave.stop()
        comp = self.composition()
        if comp.is_empty and not self.created:
            return False
        now = self.session.now_iso()
        self.created = True
        self.delete_button.setEnabled(True)

        def written(_changes: Changes) -> None:
            self.saved_count += 1

        try:
            self.session.change(
                lambda conn: save_composition(conn, comp, now=now), success=written, owner=self
            )
        except RuntimeError:
            return False  # the app is closing: its write lane takes no more work
        return True

    @Slot()
    def save_draft(self) -> None:
        if self._keep():
            self.note.setText(self.tr("Draft saved."))
        else:
            self.note.setText(self.tr("Nothing to save yet."))

    @Slot()
    def share(self) -> None:
        comp = self.composition()
        problems = composition_problems(comp)
        if problems:
            self._refresh(all_problems=True)
            return
        self._keep()
        self._finishing = True
        piece: ContentPiece = composition_piece(comp)
        self.accept()
        self.share_requested.emit(piece)

    @Slot()
    def delete(self) -> None:
        self._finishing = True
        self._autosave.stop()
        comp_id, guide_id = self.draft_id, self.guide.id
        self.session.change(lambda conn: delete_composition(conn, comp_id, guide_id))
        self.accept()

    def reject(self) -> None:
        """Esc, Close or the close box: nothing typed is lost — it is kept as the draft."""
        if not self._finishing:
            self._keep()
            self._finishing = True
        super().reject()


class DraftsDialog(QDialog):
    """我的草稿: the guide's compositions, last edited first; open one to edit or share it,
    or delete it."""

    open_requested = Signal(object)  # Composition

    def __init__(self, session: Session, guide: GuideAccount, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("composeDraftsDialog")
        self.setWindowTitle(self.tr("My drafts"))
        self.session, self.guide = session, guide
        self.ready = False
        self.model = QStandardItemModel(self)
        self.list = QListView()
        self.list.setObjectName("composeDrafts")
        self.list.setModel(self.model)
        self.list.setEditTriggers(QListView.EditTrigger.NoEditTriggers)
        self.list.doubleClicked.connect(lambda _i: self.open_current())
        self.empty = plain_label(
            self.tr("No drafts yet: “Free composition…” starts one."), "composeDraftsEmpty"
        )
        self.open_button = QPushButton(self.tr("Open"))
        self.open_button.setObjectName("composeDraftOpen")
        self.open_button.clicked.connect(self.open_current)
        self.delete_button = QPushButton(self.tr("Delete"))
        self.delete_button.setObjectName("composeDraftDelete")
        self.delete_button.setAutoDefault(False)
        self.delete_button.clicked.connect(self.delete_current)
        close = QPushButton(self.tr("Close"))
        close.setAutoDefault(False)
        close.clicked.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.delete_button)
        row.addStretch(1)
        row.addWidget(self.open_button)
        row.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.empty)
        layout.addWidget(self.list, 1)
        layout.addLayout(row)
        self.resize(520, 420)
        session.hub.changed.connect(self._on_changes)
        self.reload()

    def _on_changes(self, changes: Changes) -> None:
        if changes.touches("composition"):
            self.reload()

    def reload(self) -> None:
        guide_id = self.guide.id
        self.ready = False
        self.session.read.run(
            lambda conn: list_compositions(conn, guide_id), success=self._show, owner=self
        )

    def _show(self, drafts: list[Composition]) -> None:
        self.model.clear()
        for comp in drafts:
            title = comp.title or self.tr("(no words yet)")
            item = QStandardItem(
                f"{title}\n{category_label(comp.category_631 or '')}"
                f"  ·  {comp.updated_at[:16].replace('T', ' ')}"
            )
            item.setData(comp, VALUE_ROLE)
            self.model.appendRow(item)
        self.empty.setVisible(not drafts)
        if drafts:
            self.list.setCurrentIndex(self.model.index(0, 0))
        self.open_button.setEnabled(bool(drafts))
        self.delete_button.setEnabled(bool(drafts))
        self.ready = True

    def row_of(self, comp_id: str) -> int:
        for row in range(self.model.rowCount()):
            if self.model.item(row).data(VALUE_ROLE).id == comp_id:
                return row
        return -1

    def current(self) -> Composition | None:
        index = self.list.currentIndex()
        return index.data(VALUE_ROLE) if index.isValid() else None

    @Slot()
    def open_current(self) -> None:
        comp = self.current()
        if comp is not None:
            self.accept()
            self.open_requested.emit(comp)

    @Slot()
    def delete_current(self) -> None:
        comp = self.current()
        if comp is not None:
            guide_id = self.guide.id
            self.session.change(lambda conn: delete_composition(conn, comp.id, guide_id))


class ComposeBar(QWidget):
    """The Content page's entry to free composition: "自由组合…" and "我的草稿 (N)"."""

    def __init__(
        self,
        session: Session,
        guide: GuideAccount,
        pictures: PictureSource,
        *,
        share: Callable[[ContentPiece], object],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("composeBar")
        self.session, self.guide, self.pictures, self._share = session, guide, pictures, share
        self.drafts: list[Composition] = []
        self.ready = False
        self.composer: ComposeDialog | None = None
        self.drafts_dialog: DraftsDialog | None = None
        self.compose_button = QPushButton(self.tr("Free composition…"))
        self.compose_button.setObjectName("composeButton")
        self.compose_button.clicked.connect(lambda: self.compose())
        self.drafts_button = QPushButton()
        self.drafts_button.setObjectName("composeDraftsButton")
        self.drafts_button.clicked.connect(self.show_drafts)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.compose_button)
        row.addWidget(self.drafts_button)
        session.hub.changed.connect(self._on_changes)
        self._count(0)
        self.reload()

    def _count(self, n: int) -> None:
        self.drafts_button.setText(self.tr("My drafts ({n})").format(n=n))

    def _on_changes(self, changes: Changes) -> None:
        if changes.touches("composition"):
            self.reload()

    def reload(self) -> None:
        guide_id = self.guide.id
        self.ready = False
        self.session.read.run(
            lambda conn: list_compositions(conn, guide_id), success=self._show, owner=self
        )

    def _show(self, drafts: list[Composition]) -> None:
        self.drafts = drafts
        self._count(len(drafts))
        self.ready = True

    def compose(self, draft: Composition | None = None) -> ComposeDialog:
        dialog = ComposeDialog(self.session, self.guide, self.pictures, draft=draft, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.share_requested.connect(self._share)
        self.composer = dialog
        dialog.open()
        return dialog

    @Slot()
    def show_drafts(self) -> DraftsDialog:
        dialog = DraftsDialog(self.session, self.guide, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open_requested.connect(self.compose)
        self.drafts_dialog = dialog
        dialog.open()
        return dialog
