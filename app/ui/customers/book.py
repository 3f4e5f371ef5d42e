"""The customer book page (顾客): search as you type, filters, the list and the profile.

Search runs on the read lane with no debounce (a debounce adds straight to what the
guide feels). While one query runs, keystrokes only bump a sequence number; when the
query returns, a stale answer is dropped and the newest query starts — so the lane never
queues a backlog of searches nobody will see.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, QObject, Qt, Slot
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.domain.customers import LifecycleStage, Tier
from app.store.changes import Changes
from app.store.counter import log_counter_visit
from app.store.customers import (
    RARE_LIMIT,
    CustomerQuery,
    SearchPage,
    all_tags,
    count_customers,
    search_customers,
)
from app.store.guides import GuideAccount, list_guides
from app.store.ui_queries import ColleagueMatch, colleague_matches, customer_rows
from app.ui.customers.counter import ColleaguePanel, CounterVisitDialog
from app.ui.customers.fold import ProfileFold
from app.ui.customers.model import CustomerListModel
from app.ui.customers.profile import ProfilePane
from app.ui.fit import FlowLayout, fit_columns, fit_combo
from app.ui.labels import stage_label, tier_label
from app.ui.session import Session
from app.ui.widgets import ChoiceBox, SearchBox, icon, plain_label

ROW_HEIGHT = 40  # a finger hits a row without a second try
# A search of the guide's own book that finds at most this many also looks among the store
# colleagues' customers (shown below, as theirs): a walk-in whose last 4 phone digits a
# customer of the guide's own shares is still found.
COLLEAGUES_BESIDE = 10


# A search's answer: the page, whether the guide's book is empty (a new terminal), and the
# store colleagues' customers the text finds when the guide's own book finds few or none.
_Answer = tuple[SearchPage, bool, tuple[list[ColleagueMatch], bool]]


def _search_job(
    query: CustomerQuery,
    today: date,
    limit: int,
    offset: int = 0,
    *,
    colleagues_of: str | None = None,
) -> Callable[[Any], _Answer]:
    """A read-lane job: one page, whether the guide's book is empty, and — for a guide
    (``colleagues_of``) whose own book finds at most ``COLLEAGUES_BESIDE`` — the
    colleagues' customers the text finds."""

    def job(conn: Any) -> _Answer:
        page = search_customers(conn, query, today=today, limit=limit, offset=offset)
        empty = page.total == 0 and offset == 0 and count_customers(conn, query.guide_id) == 0
        colleagues: tuple[list[ColleagueMatch], bool] = ([], False)
        few = page.exact and page.total <= COLLEAGUES_BESIDE
        if colleagues_of and few and offset == 0 and query.text.strip():
            colleagues = colleague_matches(conn, query.text, guide_id=colleagues_of, today=today)
        return page, empty, colleagues

    return job


class CustomerBook(QWidget):
    def __init__(self, session: Session, guide: GuideAccount, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("customerBook")
        self.session, self.guide = session, guide
        self.query = CustomerQuery(guide_id=None if guide.is_manager else guide.id)
        self._seq = 0  # bumped by every new query; answers to older ones are dropped
        self._busy = False

        self.search_box = SearchBox()
        self.search_box.setObjectName("customerSearch")
        self.search_box.setPlaceholderText(
            self.tr("Search: last 4 phone digits / name / pinyin / initials (Ctrl+F)")
        )
        self.search_box.setClearButtonEnabled(True)
        self.search_box.addAction(icon("search"), SearchBox.ActionPosition.LeadingPosition)
        self.search_box.textChanged.connect(self._text_changed)
        self.search_box.step.connect(self.step)
        self.search_box.open_current.connect(self.open_current)
        self.search_box.installEventFilter(self)  # Esc with nothing typed: clear the profile

        self.filters = self._filter_bar()
        self.count_label = plain_label(name="resultCount", wrap=False, selectable=False)

        guide_names = (
            {g.id: g.name for g in list_guides(session.conn)} if guide.is_manager else None
        )
        self.model = CustomerListModel(guide_names=guide_names, parent=self)
        self.model.more_wanted.connect(self._fetch_more)
        self.table = self._table()
        self.model.sort_wanted.connect(self._sort)
        self.list_stack = QStackedWidget()
        self.list_stack.addWidget(self.table)
        self.list_stack.addWidget(self._empty_panel())

        self.profile = ProfilePane(session, guide)
        self.profile.setMinimumWidth(360)

        top = QHBoxLayout()
        top.addWidget(self.filters, 1)
        top.addWidget(self.count_label)
        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.search_box)
        column.addLayout(top)
        column.addWidget(self.list_stack, 1)
        column.addWidget(self.colleagues)  # below the guide's own results, when any
        # Side by side when wide, the profile a drawer over the list when narrow.
        self.fold = ProfileFold(left, self.profile, cover=self.list_stack)
        self.fold.dismissed.connect(self.focus_search)
        layout = QVBoxLayout(self)
        layout.addWidget(self.fold)

        session.hub.changed.connect(self._on_changes)
        self._load_tags()
        self.search()

    # -- building --------------------------------------------------------------------------

    def _filter_bar(self) -> QWidget:
        bar = QWidget()
        row = FlowLayout(bar)  # a second row when the page is narrow
        row.setContentsMargins(0, 0, 0, 0)
        self.stage_filter = ChoiceBox(
            "filterStage",
            [(self.tr("All stages"), None)] + [(stage_label(s), s.value) for s in LifecycleStage],
        )
        self.tier_filter = ChoiceBox(
            "filterTier", [(self.tr("All tiers"), None)] + [(tier_label(t), t.value) for t in Tier]
        )
        self.tag_filter = ChoiceBox("filterTag", [(self.tr("All tags"), None)])
        self.birthday_filter = ChoiceBox(
            "filterBirthday",
            [
                (self.tr("Any birthday"), None),
                (self.tr("Birthday this week"), "week"),
                (self.tr("Birthday this month"), "month"),
            ],
        )
        self.contact_filter = ChoiceBox(
            "filterNotContacted",
            [(self.tr("Any last contact"), None)]
            + [(self.tr("Not contacted for {n} days").format(n=n), n) for n in (30, 60, 90)],
        )
        self.due_filter = ChoiceBox(
            "filterDue",
            [(self.tr("Any follow-up"), None), (self.tr("Follow-up due"), True)],
        )
        boxes = [
            (self.stage_filter, "stage"),
            (self.tier_filter, "tier"),
            (self.tag_filter, "tag"),
            (self.birthday_filter, "birthday"),
            (self.contact_filter, "not_contacted_days"),
            (self.due_filter, "due"),
        ]
        if self.guide.is_manager:
            guides = list_guides(self.session.conn)
            self.guide_filter = ChoiceBox(
                "filterGuide", [(self.tr("All guides"), None)] + [(g.name, g.id) for g in guides]
            )
            boxes.append((self.guide_filter, "guide_id"))
        self.filter_boxes = boxes
        for box, field in boxes:
            box.currentIndexChanged.connect(lambda _i, b=box, f=field: self._filter(f, b.value()))
            fit_combo(box)
            row.add(box)
        return bar

    def _table(self) -> QTableView:
        table = QTableView()
        table.setObjectName("customerList")
        table.setModel(self.model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(True)
        table.setShowGrid(False)
        table.setWordWrap(False)
        table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        rows = table.verticalHeader()
        rows.setVisible(False)
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(ROW_HEIGHT)
        header = table.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(True)
        header.setSortIndicatorShown(True)
        header.setSortIndicator(-1, Qt.SortOrder.DescendingOrder)  # recency: no column
        header.ensurePolished()  # the style sheet's header font and padding, then measure
        fit_columns(table, [column.width for column in self.model.columns])
        table.setSortingEnabled(True)
        table.selectionModel().currentRowChanged.connect(self._current_changed)
        table.activated.connect(lambda _index: self.focus_profile())
        # Narrow: a tap on a row opens the drawer again, even on the customer it showed.
        table.clicked.connect(lambda _index: self.fold.open_drawer())
        return table

    def _empty_panel(self) -> QWidget:
        """What stands in for the list when nothing matches: why (the filters on, or what
        to type), a button that clears the filters, and the colleagues' customers found."""
        self.empty_panel = QWidget()
        self.empty_panel.setObjectName("emptyPanel")
        self.empty = plain_label("", "emptyState")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.clear_filters_button = QPushButton(self.tr("Clear filters"))
        self.clear_filters_button.setObjectName("clearFiltersButton")
        self.clear_filters_button.clicked.connect(self.clear_filters)
        self.clear_filters_button.setVisible(False)
        self.colleagues = ColleaguePanel()
        self.colleagues.setVisible(False)
        self.colleagues.serve_wanted.connect(self.serve_at_counter)
        button_row = QHBoxLayout()
        button_row.addStretch(1)
        button_row.addWidget(self.clear_filters_button)
        button_row.addStretch(1)
        column = QVBoxLayout(self.empty_panel)
        column.addStretch(1)
        column.addWidget(self.empty)
        column.addLayout(button_row)
        column.addStretch(1)
        return self.empty_panel

    @Slot(object)
    def serve_at_counter(self, match: ColleagueMatch) -> CounterVisitDialog:
        """Record that this guide served a colleague's customer at the counter."""
        dialog = CounterVisitDialog(match, self)
        guide_id = self.guide.id

        def save(note: str) -> None:
            now, today = self.session.now_iso(), self.session.today()
            self.session.change(
                lambda conn: log_counter_visit(
                    conn,
                    customer_id=match.id,
                    guide_id=guide_id,
                    note=note,
                    now=now,
                    today=today,
                ),
                success=lambda _changes: (dialog.saved(), self.colleagues.show_recorded(match)),
                failure=lambda exc: (dialog.failed(), self.session.errors.report(exc)),
                owner=dialog,
            )

        dialog.submitted.connect(save)
        dialog.open()
        return dialog

    # -- searching -----------------------------------------------------------------------

    @Slot(str)
    def _text_changed(self, text: str) -> None:
        if text != self.query.text:
            self._clear_profile()
        self.set_query(replace(self.query, text=text))

    def _filter(self, field: str, value: Any) -> None:
        if field == "due":
            value = bool(value)
        if getattr(self.query, field) != value:
            self._clear_profile()
        self.set_query(replace(self.query, **{field: value}))

    def _clear_profile(self) -> None:
        """A new search: no profile (and no live 记跟进) until the guide chooses a row."""
        self.profile.show_customer(None)
        selection = self.table.selectionModel()
        selection.blockSignals(True)
        selection.clearSelection()
        selection.setCurrentIndex(QModelIndex(), QItemSelectionModel.SelectionFlag.Clear)
        selection.blockSignals(False)
        self.table.viewport().update()

    def active_filters(self) -> list[str]:
        """The shown names of the filters that are on ("沉睡", "生日本周" …)."""
        return [box.currentText() for box, _field in self.filter_boxes if box.value() is not None]

    @Slot()
    def clear_filters(self) -> None:
        """Every filter back to "all", and one new search."""
        cleared: dict[str, Any] = {}
        for box, field in self.filter_boxes:
            box.blockSignals(True)
            box.setCurrentIndex(0)
            box.blockSignals(False)
            cleared[field] = False if field == "due" else None
        if not self.guide.is_manager:
            cleared.pop("guide_id", None)
        self.set_query(replace(self.query, **cleared))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.search_box
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Escape
            and not self.search_box.text()
        ):
            self._clear_profile()
        return super().eventFilter(watched, event)

    @Slot(str, bool)
    def _sort(self, key: str, descending: bool) -> None:
        if key == "recency":
            header = self.table.horizontalHeader()
            header.blockSignals(True)
            header.setSortIndicator(-1, Qt.SortOrder.DescendingOrder)
            header.blockSignals(False)
            header.viewport().update()
        if (key, descending) != (self.query.sort, self.query.descending):
            self.set_query(replace(self.query, sort=key, descending=descending))

    def set_query(self, query: CustomerQuery) -> None:
        if query != self.query:
            self.query = query
            self.search()

    def search(self) -> None:
        """Run ``self.query`` (or, if one is running, as soon as it returns)."""
        self._seq += 1
        if not self._busy:
            self._launch()

    def _launch(self) -> None:
        seq, query = self._seq, self.query
        self._busy = True

        def arrived(answer: _Answer) -> None:
            if self._answered(seq):
                self._show(*answer)

        def failed(exc: BaseException) -> None:
            if self._answered(seq):
                self.session.errors.report(exc)

        colleagues_of = None if self.guide.is_manager else self.guide.id
        self.session.read.run(
            _search_job(
                query, self.session.today(), self.model.page_size, colleagues_of=colleagues_of
            ),
            success=arrived,
            failure=failed,
            owner=self,
        )

    def _answered(self, seq: int) -> bool:
        """True if the answer to query ``seq`` is the one to show; else start the newest."""
        self._busy = False
        if seq == self._seq:
            return True
        self._launch()  # the guide typed on: this answer is stale
        return False

    def _show(
        self,
        page: SearchPage,
        book_empty: bool,
        colleagues: tuple[list[ColleagueMatch], bool] = ([], False),
    ) -> None:
        keep = self.profile.customer_id
        self.model.set_today(self.session.today(), self.session.timezone)
        self.model.set_page(page)
        self.colleagues.set_matches(*colleagues, beside=page.total > 0)
        self._show_count(page, book_empty)
        row = self.model.row_of(keep) if keep else -1
        if row >= 0:
            self._select(row, open_profile=False)

    @Slot(int)
    def _fetch_more(self, offset: int) -> None:
        seq = self._seq
        query = self.query

        def arrived(answer: _Answer) -> None:
            if seq == self._seq:
                self.model.add_page(offset, answer[0])
            else:
                self.model.page_failed()

        def failed(exc: BaseException) -> None:
            self.model.page_failed()
            self.session.errors.report(exc)

        self.session.read.run(
            _search_job(query, self.session.today(), self.model.page_size, offset),
            success=arrived,
            failure=failed,
            owner=self,
        )

    def _show_count(self, page: SearchPage, book_empty: bool) -> None:
        if page.exact:
            self.count_label.setText(self.tr("Customers: {n}").format(n=f"{page.total:,}"))
        else:
            self.count_label.setText(self.tr("Customers: {n}+").format(n=f"{RARE_LIMIT:,}"))
        if page.total:
            self.list_stack.setCurrentWidget(self.table)
            return
        filters = self.active_filters()
        if book_empty:
            text = self.tr(
                "No customers on this terminal yet. Sync first (F5), or ask IT to enrol "
                "this terminal."
            )
        elif filters and self.query.text.strip():
            text = self.tr(
                "No customer found with the filters on: {filters}. The filters may hide "
                "the customer you are looking for."
            ).format(filters="、".join(filters))
        elif filters:
            text = self.tr("No customer matches the filters on: {filters}.").format(
                filters="、".join(filters)
            )
        elif self.query.text.strip() and self.colleagues.matches:
            text = ""  # the colleagues' panel says it: not in your book, but theirs
        elif self.query.text.strip():
            text = self.tr(
                "No customer found in your book. Check the last 4 digits of the phone, "
                "the name, its pinyin or initials (e.g. zs)."
            )
        else:
            text = self.tr("No customers in your book yet.")
        self.empty.setText(text)
        self.empty.setVisible(bool(text))
        self.clear_filters_button.setVisible(bool(filters) and not book_empty)
        self.list_stack.setCurrentWidget(self.empty_panel)

    def _load_tags(self) -> None:
        self.session.read.run(
            all_tags,
            success=lambda tags: self.tag_filter.set_choices(
                [(self.tr("All tags"), None)] + [(t, t) for t in tags]
            ),
            owner=self,
        )

    # -- selection and keys ----------------------------------------------------------------

    @Slot(int)
    def step(self, delta: int) -> None:
        """↑/↓ in the search box: move the list's current row."""
        count = self.model.rowCount()
        if not count:
            return
        current = self.table.currentIndex().row()
        row = 0 if current < 0 else min(max(current + delta, 0), count - 1)
        self._select(row)

    @Slot()
    def open_current(self) -> None:
        """Enter in the search box: open the current (or the first) customer."""
        if not self.model.rowCount():
            return
        if self.table.currentIndex().row() < 0:
            self._select(0)
        self.focus_profile()

    def focus_profile(self) -> None:
        customer_id = self.model.customer_id(self.table.currentIndex().row())
        if customer_id and customer_id != self.profile.customer_id:
            self.profile.show_customer(customer_id)
        self.fold.open_drawer()  # narrow: a closed drawer comes back for Enter
        self.profile.follow_up_button.setFocus()

    def _select(self, row: int, *, open_profile: bool = True) -> None:
        index = self.model.index(row, 0)
        flags = (
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows
        )
        selection = self.table.selectionModel()
        if not open_profile:
            selection.blockSignals(True)
        selection.setCurrentIndex(index, flags)
        if not open_profile:
            selection.blockSignals(False)
            self.table.viewport().update()
        self.table.scrollTo(index)

    @Slot(QModelIndex, QModelIndex)
    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        customer_id = self.model.customer_id(current.row())
        if customer_id and customer_id != self.profile.customer_id:
            self.profile.show_customer(customer_id)

    def focus_search(self) -> None:
        self.search_box.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_box.selectAll()

    def clear_search(self) -> None:
        self.search_box.clear()
        self.focus_search()

    # -- store changes ---------------------------------------------------------------------

    @Slot(object)
    def _on_changes(self, changes: Changes) -> None:
        if changes.touches("customer"):
            # A customer arrived, left or changed at HQ: the result list itself may differ.
            self.search()
            self._load_tags()
            return
        shown = set(self.model.customer_ids()) & changes.customers
        if shown:
            ids = sorted(shown)
            self.session.read.run(
                lambda conn: customer_rows(conn, ids), success=self.model.refresh_rows, owner=self
            )
