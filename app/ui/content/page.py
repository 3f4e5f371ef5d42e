"""The Content page: the brand's pieces as cards with thumbnails, filters, a preview.

Reads go to the read lane (``app.store.content``), pictures to their own lane (the cache
on disk, then HQ when a fetcher is given); a picture not yet cached shows a placeholder.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QSize, Qt, QTimer, Slot
from PySide6.QtGui import (
    QColor,
    QIcon,
    QImage,
    QPainter,
    QPixmap,
    QStandardItem,
    QStandardItemModel,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.domain.content import Category631, ContentKind
from app.store.changes import Changes
from app.store.content import ContentPiece, ContentQuery, Library, list_content
from app.store.guides import GuideAccount
from app.store.picture_cache import PictureCache, fetch_into
from app.ui.content.mix import MixPanel
from app.ui.fit import FlowLayout, fit_combo
from app.ui.session import Session
from app.ui.widgets import ChoiceBox, SearchBox, plain_label
from app.ui.workers import Lane
from sync.outcome import AuthError

THUMB = QSize(160, 120)
RETRY_MS = 30_000
# Cards read first when the page opens on a big library (a 1920x1080 screen shows ~40).
FIRST_SCREEN = 60
PIECE_ROLE = Qt.ItemDataRole.UserRole + 1
Fetch = Callable[[str], bytes]


def placeholder_pixmap(size: QSize = THUMB) -> QPixmap:
    pixmap = QPixmap(size)
    pixmap.fill(QColor("#eceff1"))
    painter = QPainter(pixmap)
    painter.setPen(QColor("#90a4ae"))
    painter.drawRect(0, 0, size.width() - 1, size.height() - 1)
    painter.drawText(pixmap.rect(), Qt.AlignmentFlag.AlignCenter, "…")
    painter.end()
    return pixmap


class PictureSource:
    """Pictures by hash for the UI: the cache first, HQ when a fetcher is given; the
    work is on its own lane, the answer (a QImage, or None) comes back on the UI thread."""

    def __init__(self, session: Session, cache: PictureCache | None, fetch: Fetch | None) -> None:
        self.cache, self.fetch = cache, fetch
        self.lane = Lane("pictures", session.errors)
        self._images: dict[str, QImage] = {}
        self._closing = False

    def image(self, sha: str) -> QImage | None:
        return self._images.get(sha)

    def request(self, sha: str, done: Callable[[str, QImage | None], None], owner=None) -> None:
        if sha in self._images:
            done(sha, self._images[sha])
            return
        cache, fetch = self.cache, self.fetch

        def job() -> bytes | None:
            if cache is None:
                return None
            data = cache.get(sha)
            if data is None and fetch is not None:
                data = fetch_into(cache, sha, fetch)  # hash checked; corrupt: None
            return data

        def loaded(data: bytes | None) -> None:
            image = QImage.fromData(data) if data else None
            if image is not None and not image.isNull():
                self._images[sha] = image
                done(sha, image)
            else:
                done(sha, None)

        self.lane.run(job, success=loaded, failure=lambda _e: done(sha, None), owner=owner)

    def request_many(
        self, shas: list[str], done: Callable[[str, QImage | None], None], owner=None
    ) -> None:
        """Like :meth:`request` for many pictures (a page of cards): one job on the lane
        reads and decodes them in order and hands them back a few at a time, so the first
        cards' thumbnails show while the rest still load."""
        known = [s for s in shas if s in self._images]
        for sha in known:
            done(sha, self._images[sha])
        wanted = [s for s in shas if s not in self._images]
        if not wanted:
            return
        cache, fetch, lane, images = self.cache, self.fetch, self.lane, self._images
        source = self

        def deliver(batch: list[tuple[str, QImage | None]]) -> None:
            if owner is not None and not shiboken6.isValid(owner):
                return
            for sha, image in batch:
                if image is not None:
                    images[sha] = image
                done(sha, image)

        def job() -> None:
            batch: list[tuple[str, QImage | None]] = []
            for n, sha in enumerate(wanted):
                if source._closing:  # the page went away: stop loading its pictures
                    return
                data = cache.get(sha) if cache is not None else None
                if data is None and cache is not None and fetch is not None:
                    try:
                        data = fetch_into(cache, sha, fetch)  # hash checked; corrupt: None
                    except Exception:  # offline, refused: the placeholder stays
                        data = None
                image = QImage.fromData(data) if data else None
                batch.append((sha, image if image is not None and not image.isNull() else None))
                if len(batch) >= (8 if n < 32 else 64):
                    lane.post(lambda b=batch: deliver(b))
                    batch = []
            if batch:
                lane.post(lambda b=batch: deliver(b))

        lane.run(job, owner=owner)

    def close(self) -> None:
        self._closing = True
        self.lane.close()  # the running fetch finishes first
        close = getattr(self.fetch, "close", None)
        if close is not None:
            close()


class ContentPage(QWidget):
    def __init__(
        self,
        session: Session,
        guide: GuideAccount,
        *,
        pictures: PictureSource | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("contentView")
        self.session, self.guide = session, guide
        self.pictures = pictures or PictureSource(session, None, None)
        self.ready = False
        self.library = Library([], 0)
        self.current: ContentPiece | None = None
        self._rows_of_picture: dict[str, list[int]] = {}  # a thumbnail's cards
        # Thumbnails already made, by picture hash: a reload (a filter, the whole library
        # after the first screen) shows them at once instead of a placeholder again.
        self._icons: dict[str, QIcon] = {}
        self._generation = 0  # the latest reload: older reads' answers are dropped
        self.preselected: list[str] = []  # ticked in the next share dialog
        self._placeholder = QIcon(placeholder_pixmap())

        self.search = SearchBox()
        self.search.setObjectName("contentSearch")
        self.search.setPlaceholderText(self.tr("Search title, words, tags"))
        self.search.setClearButtonEnabled(True)
        self.kind = ChoiceBox("contentKind", self._kind_choices())
        self.category = ChoiceBox("contentCategory", self._category_choices())
        self.tag = ChoiceBox("contentTag", [(self.tr("All tags"), None)])
        self.campaign = ChoiceBox("contentCampaign", [(self.tr("All campaigns"), None)])
        for box in (self.kind, self.category, self.tag, self.campaign):
            fit_combo(box)
            box.currentIndexChanged.connect(self.reload)
        self.valid_today = QCheckBox(self.tr("Valid today"))
        self.valid_today.setObjectName("contentValidToday")
        self.valid_today.toggled.connect(self.reload)
        self._typing = QTimer(self, singleShot=True, interval=150)
        self._typing.timeout.connect(self.reload)
        self.search.textChanged.connect(self._typing.start)

        filters = QWidget()
        flow = FlowLayout(filters)
        for w in (self.kind, self.category, self.tag, self.campaign, self.valid_today):
            flow.addWidget(w)

        self.model = QStandardItemModel(self)
        self.grid = QListView()
        self.grid.setObjectName("contentGrid")
        self.grid.setViewMode(QListView.ViewMode.IconMode)
        self.grid.setResizeMode(QListView.ResizeMode.Adjust)
        self.grid.setMovement(QListView.Movement.Static)
        self.grid.setIconSize(THUMB)
        self.grid.setGridSize(QSize(THUMB.width() + 24, THUMB.height() + 76))
        self.grid.setWordWrap(True)
        self.grid.setUniformItemSizes(True)
        self.grid.setModel(self.model)
        self.grid.selectionModel().currentChanged.connect(self._current_changed)
        self.grid.doubleClicked.connect(lambda _i: self.share_current())

        self.preview_title = plain_label("", "contentPreviewTitle")
        self.preview_meta = plain_label("", "contentPreviewMeta")
        self.preview_body = plain_label("", "contentPreviewBody")
        self.preview_picture = QLabel()
        self.preview_picture.setObjectName("contentPreviewPicture")
        self.preview_picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.share_button = QPushButton(self.tr("Copy for WeChat…"))
        self.share_button.setObjectName("shareContentButton")
        self.share_button.setEnabled(False)
        self.share_button.clicked.connect(self.share_current)
        preview = QWidget()
        preview.setObjectName("contentPreview")
        preview.setMinimumWidth(260)
        column = QVBoxLayout(preview)
        for w in (self.preview_title, self.preview_meta, self.preview_picture, self.preview_body):
            column.addWidget(w)
        column.addStretch(1)
        column.addWidget(self.share_button)

        split = QSplitter()
        split.addWidget(self.grid)
        split.addWidget(preview)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setChildrenCollapsible(False)

        self.empty = plain_label(
            self.tr("HQ has not published any content yet; it appears here after a sync."),
            "contentEmpty",
            selectable=False,
        )
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.no_match = plain_label(
            self.tr("No content matches these filters."), "contentNoMatch", selectable=False
        )
        self.no_match.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body = QStackedWidget()
        for w in (split, self.empty, self.no_match):
            self.body.addWidget(w)
        self._split = split

        top = QHBoxLayout()
        top.addWidget(plain_label(self.tr("Content"), "pageTitle", wrap=False, selectable=False))
        top.addWidget(self.search, 1)
        from app.ui.content.compose import ComposeBar  # 自由组合 and 我的草稿

        self.compose = ComposeBar(session, guide, self.pictures, share=self.open_share, parent=self)
        top.addWidget(self.compose)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(filters)
        self.mix = MixPanel(session, guide, parent=self)  # the 631 mix: chart, advice
        layout.addWidget(self.mix)
        layout.addWidget(self.body, 1)
        from app.ui.content.tips import add_tips_tab  # 无师自通: a tab beside the content

        self.tips = add_tips_tab(self, layout, self.body)

        # A picture that could not be had (offline, a corrupt transfer) is asked for again.
        self.retry = QTimer(self, singleShot=True, interval=RETRY_MS)
        self.retry.timeout.connect(self._retry_pictures)
        session.hub.changed.connect(self._on_changes)
        self.destroyed.connect(self.pictures.close)
        self.reload()

    def _kind_choices(self) -> list[tuple[str, str | None]]:
        return [(self.tr("All kinds"), None)] + [
            (self.kind_label(k), k.value) for k in ContentKind if k is not ContentKind.TIP
        ]

    def _category_choices(self) -> list[tuple[str, str | None]]:
        return [(self.tr("All 631 categories"), None)] + [
            (self.category_label(c), c.value) for c in Category631
        ]

    def kind_label(self, kind: str) -> str:
        return {
            "copy": self.tr("Campaign copy"),
            "product": self.tr("Product"),
            "outfit": self.tr("Outfit"),
            "poster": self.tr("Poster"),
            "tip": self.tr("Tip"),
        }.get(kind, kind)

    def category_label(self, category: str) -> str:
        return {
            "brand": self.tr("Brand (60%)"),
            "service": self.tr("Service (30%)"),
            "selling": self.tr("Selling (10%)"),
        }.get(category, category)

    def validity(self, piece: ContentPiece) -> str:
        if piece.valid_from and piece.valid_until:
            return f"{piece.valid_from} – {piece.valid_until}"
        if piece.valid_until:
            return self.tr("until {day}").format(day=piece.valid_until)
        if piece.valid_from:
            return self.tr("from {day}").format(day=piece.valid_from)
        return self.tr("no end date")

    # -- loading --------------------------------------------------------------------------

    def query(self) -> ContentQuery:
        return ContentQuery(
            text=self.search.text(),
            kind=self.kind.value(),
            tag=self.tag.value(),
            campaign=self.campaign.value(),
            category_631=self.category.value(),
            valid_on=self.session.today() if self.valid_today.isChecked() else None,
        )

    @Slot()
    def reload(self) -> None:
        query = self.query()
        self.ready = False
        self._generation += 1
        generation = self._generation

        def show(library: Library) -> None:
            if generation == self._generation:
                self._show(library)

        if self.model.rowCount() or not query.unfiltered:
            self.session.read.run(lambda conn: list_content(conn, query), success=show, owner=self)
            return

        # Opening on an empty grid: the first screen of cards first (a big library takes
        # a while to read), then the whole library in the same order below them.
        def first_shown(library: Library) -> None:
            if generation != self._generation:
                return
            partial = library.total > len(library.pieces)
            self._show(library, partial=partial)
            if partial:
                self.session.read.run(
                    lambda conn: list_content(conn, query), success=show, owner=self
                )

        self.session.read.run(
            lambda conn: list_content(conn, query, first=FIRST_SCREEN),
            success=first_shown,
            owner=self,
        )

    def _on_changes(self, changes: Changes) -> None:
        if changes.touches("content"):
            self.reload()

    def _show(self, library: Library, *, partial: bool = False) -> None:
        """Fill the grid with ``library``'s cards; ``partial``: only the first screen of
        them, the rest is on its way (``ready`` stays False until it is here)."""
        self.library = library
        self.tag.set_choices([(self.tr("All tags"), None)] + [(t, t) for t in library.tags])
        self.campaign.set_choices(
            [(self.tr("All campaigns"), None)] + [(c, c) for c in library.campaigns]
        )
        keep = self.current.id if self.current else None
        self.model.clear()
        self._rows_of_picture = {}
        icons, self._icons = self._icons, {}
        items: list[QStandardItem] = []
        kinds = {k.value: self.kind_label(k.value) for k in ContentKind}
        for row, piece in enumerate(library.pieces):
            item = QStandardItem(
                f"{piece.title}\n{kinds.get(piece.kind, piece.kind)} · {self.validity(piece)}"
            )
            item.setEditable(False)
            item.setData(piece, PIECE_ROLE)
            item.setData(piece.id, Qt.ItemDataRole.AccessibleDescriptionRole)
            item.setToolTip(piece.title)
            sha = piece.images[0] if piece.images else None
            icon = icons.get(sha) if sha else None
            if icon is not None:  # made for an earlier fill of the grid
                self._icons[sha] = icon
                item.setIcon(icon)
                item.setData(sha, Qt.ItemDataRole.UserRole + 2)
            else:
                item.setIcon(self._placeholder)
            if sha:
                self._rows_of_picture.setdefault(sha, []).append(row)
            items.append(item)
        if items:  # one insertion, not one per card
            self.model.invisibleRootItem().appendRows(items)
        wanted = [sha for sha in self._rows_of_picture if sha not in self._icons]
        if wanted:
            self.pictures.request_many(wanted, self._picture_ready, owner=self)
        if library.total == 0:
            self.body.setCurrentWidget(self.empty)
        elif not library.pieces:
            self.body.setCurrentWidget(self.no_match)
        else:
            self.body.setCurrentWidget(self._split)
        row = self.row_of(keep) if keep else -1
        if row >= 0:
            self.grid.setCurrentIndex(self.model.index(row, 0))
        else:
            self._preview(None)
        self.ready = not partial

    def row_of(self, content_id: str) -> int:
        for row in range(self.model.rowCount()):
            if self.model.item(row).data(PIECE_ROLE).id == content_id:
                return row
        return -1

    def thumbnail_is_placeholder(self, row: int) -> bool:
        return self.model.item(row).data(Qt.ItemDataRole.UserRole + 2) is None

    def _picture_ready(self, sha: str, image: QImage | None) -> None:
        if image is None:  # the placeholder stays; asked for again in a while
            if self.pictures.fetch is not None and not self.retry.isActive():
                self.retry.start()
            return
        pixmap = QPixmap.fromImage(image).scaled(
            THUMB, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
        icon = QIcon(pixmap)
        rows = self._rows_of_picture.get(sha, ())
        if rows:
            self._icons[sha] = icon
        for row in rows:
            item = self.model.item(row)
            if item is not None:
                item.setIcon(icon)
                item.setData(sha, Qt.ItemDataRole.UserRole + 2)
        if self.current and self.current.images and self.current.images[0] == sha:
            self._show_picture(image)

    def _retry_pictures(self) -> None:
        wanted = {
            item.data(PIECE_ROLE).images[0]
            for item in (self.model.item(r) for r in range(self.model.rowCount()))
            if item.data(PIECE_ROLE).images and item.data(Qt.ItemDataRole.UserRole + 2) is None
        }
        for sha in sorted(wanted):
            self.pictures.request(sha, self._picture_ready, owner=self)

    # -- preview and share ----------------------------------------------------------------

    def _current_changed(self, current, _previous) -> None:
        self._preview(current.data(PIECE_ROLE) if current.isValid() else None)

    def _preview(self, piece: ContentPiece | None) -> None:
        self.current = piece
        self.share_button.setEnabled(piece is not None)
        if piece is None:
            for label in (self.preview_title, self.preview_meta, self.preview_body):
                label.setText("")
            self.preview_picture.clear()
            return
        self.preview_title.setText(piece.title)
        meta = [self.kind_label(piece.kind), self.category_label(piece.category_631)]
        meta.append(self.validity(piece))
        if piece.campaign:
            meta.append(piece.campaign)
        if piece.tags:
            meta.append(" ".join(f"#{t}" for t in piece.tags))
        self.preview_meta.setText(" · ".join(meta))
        self.preview_body.setText("\n\n".join(x for x in (piece.body, piece.caption) if x))
        self.preview_picture.setPixmap(placeholder_pixmap(QSize(240, 180)))
        if piece.images:
            image = self.pictures.image(piece.images[0])
            if image is not None:
                self._show_picture(image)
            else:
                self.pictures.request(piece.images[0], self._picture_ready, owner=self)

    def _show_picture(self, image: QImage) -> None:
        self.preview_picture.setPixmap(
            QPixmap.fromImage(image).scaled(
                QSize(240, 180),
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )

    def share_for(self, customer_id: str | None) -> None:
        """The next share dialog opens with this customer ticked (from their profile)."""
        self.preselected = [customer_id] if customer_id else []

    @Slot()
    def share_current(self):
        if self.current is None:
            return None
        return self.open_share(self.current)

    def open_share(self, piece: ContentPiece, customer_ids: list[str] | None = None):
        from app.ui.content.share import ShareDialog

        if customer_ids is None:
            customer_ids = self.preselected
        dialog = ShareDialog(
            self.session, self.guide, piece, self.pictures, preselected=customer_ids, parent=self
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.share_dialog = dialog
        dialog.open()
        return dialog


class PictureFetcher:
    """Fetch pictures from HQ with the terminal's token through ONE HQ client for the
    page's lifetime (httpx.Client pools its connections and is thread-safe).

    The client is taken from a sync engine built on first use (the engine's own database
    connection is closed at once, in the thread that opened it: only its HQ client is
    kept). A refused credential (a rotated token) drops the client and builds a fresh
    one once; :meth:`close` (when the page goes away) closes it.
    """

    def __init__(self, make_engine: Callable[[], object]) -> None:
        self.make_engine = make_engine
        self._lock = threading.Lock()
        self._hq = None
        self._closed = False
        self.clients_made = 0  # for tests and the benchmark

    def _client(self):
        with self._lock:
            if self._closed:
                raise RuntimeError("picture fetcher closed")
            if self._hq is None:
                engine = self.make_engine()
                replica = getattr(engine, "replica", None)
                if replica is not None and hasattr(replica, "close"):
                    replica.close()
                self._hq = engine.hq  # type: ignore[attr-defined]
                self.clients_made += 1
            return self._hq

    def _drop(self, hq) -> None:
        with self._lock:
            if self._hq is hq:
                self._hq = None
                hq.close()

    def __call__(self, sha: str) -> bytes:
        hq = self._client()
        try:
            return hq.picture(sha)
        except AuthError:
            self._drop(hq)  # perhaps the token rotated since: once more with a fresh one
            return self._client().picture(sha)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            hq, self._hq = self._hq, None
        if hq is not None:
            hq.close()


def picture_fetcher(make_engine: Callable[[], object] | None) -> PictureFetcher | None:
    """Fetch a picture from HQ with the terminal's token, through one HQ client kept for
    the page's lifetime (None when the terminal is not enrolled: then only what is cached
    shows)."""
    if make_engine is None:
        return None
    return PictureFetcher(make_engine)
