"""The customer list model: Qt's model checks, paging by offset, labels and masking."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt

from app.store.customers import PAGE_SIZE, CustomerQuery, search_customers
from app.ui.customers.book import CustomerBook
from app.ui.customers.model import ID_ROLE, SORT_ROLE, CustomerListModel


def loaded_model(session, query: CustomerQuery) -> CustomerListModel:
    """A model fed synchronously from the UI connection (fine for a test's small store)."""
    model = CustomerListModel()

    def more(offset: int) -> None:
        page = search_customers(session.conn, query, today=session.today(), offset=offset)
        model.add_page(offset, page)

    model.more_wanted.connect(more)
    model.set_page(search_customers(session.conn, query, today=session.today()))
    return model


def test_model_passes_qt_model_tester(qtmodeltester, session, add_records, many_customers) -> None:
    add_records(many_customers(450))
    model = loaded_model(session, CustomerQuery(guide_id="G001"))
    qtmodeltester.check(model)


def test_model_display_roles(session) -> None:
    model = loaded_model(session, CustomerQuery(text="5678"))
    fields = [c.field for c in model.columns]
    row = {f: model.data(model.index(0, i)) for i, f in enumerate(fields)}
    assert row["name"] == "张三"
    assert row["phone"] == "138****5678"
    assert row["tier"] == "Head"
    assert row["points"] == "9,000"
    assert row["birthday"] == "11-20"
    assert row["tags"] == "新品控、VIP"
    assert model.data(model.index(0, 0), ID_ROLE) == "C1"
    assert model.data(model.index(0, fields.index("points")), SORT_ROLE) == 9000
    assert "138****5678" in model.data(model.index(0, 0), Qt.ItemDataRole.ToolTipRole)


def test_big_result_is_loaded_page_by_page(qtbot, session, guide, add_records, many_customers):
    add_records(many_customers(450))
    book = CustomerBook(session, guide)
    qtbot.addWidget(book)
    book.search_box.setText("王")
    qtbot.waitUntil(lambda: book.model.rowCount() == PAGE_SIZE)
    assert book.model.total == 450 and book.count_label.text() == "Customers: 450"
    assert book.model.rowCount() < book.model.total  # holds a page, not the whole result
    assert book.model.canFetchMore(QModelIndex())
    book.model.fetchMore(QModelIndex())
    qtbot.waitUntil(lambda: book.model.rowCount() == 2 * PAGE_SIZE)
    book.model.fetchMore(QModelIndex())
    qtbot.waitUntil(lambda: book.model.rowCount() == 450)
    assert not book.model.canFetchMore(QModelIndex())
    assert len(set(book.model.customer_ids())) == 450


def test_a_page_for_an_older_query_is_ignored(session) -> None:
    model = loaded_model(session, CustomerQuery())
    page = search_customers(session.conn, CustomerQuery(), today=session.today())
    model.add_page(offset=99, page=page)  # the list moved on since it was asked for
    assert model.rowCount() == 5
