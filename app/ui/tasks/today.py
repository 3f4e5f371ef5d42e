"""The guide's Today (今日任务): tasks by campaign, their customers, the outcome of each.

Left, the task tree (``taskList``): HQ campaigns with progress bars and due / overdue
marks, then the guide's personal tasks (follow-ups due, birthdays, new customers) as
their own group. Middle, the selected task's customers (``taskTargets``) and the
``recordOutcomeButton``. Right, the selected customer's profile — the same pane as the
customer book's, so the guide reads the history and logs without leaving the list she
is working through.

Everything is read on the read lane (one job for the tasks, one for a task's customers;
an answer to an older request is dropped) and written on the write lane through
``Session.change``. The view reloads only for changes that concern it: tasks or targets
touched by a sync, a customer's change (a follow-up changes the personal tasks), or
everything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
    QTableView,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from app.domain.customers import mask_phone
from app.domain.personal_tasks import PersonalKind, PersonalTask
from app.store.changes import Changes
from app.store.drafts import DraftKind
from app.store.guides import GuideAccount
from app.store.replica import store_timezone
from app.store.tasks import (
    OPEN_STATUSES,
    ContentItem,
    TargetRow,
    TaskSummary,
    complete_personal,
    complete_target,
    guide_personal_tasks,
    guide_tasks,
    task_content,
    task_targets,
)
from app.ui.customers.dialogs import DialogCustomer
from app.ui.customers.fold import ProfileFold
from app.ui.customers.profile import ProfilePane
from app.ui.drafts import DraftSlot
from app.ui.fit import fit_columns
from app.ui.session import Session
from app.ui.tasks.labels import PERSONAL, task_label
from app.ui.tasks.models import (
    PROGRESS_ROLE,
    TARGET_WIDTHS,
    TargetListModel,
    TaskGroup,
    TaskItem,
    TaskListModel,
)
from app.ui.tasks.outcome_dialog import OutcomeDialog, OutcomeDraft
from app.ui.widgets import plain_label

PERSONAL_GROUP = "personal"
ROW_HEIGHT = 40  # a finger hits a row without a second try
TODAY_NARROW = 840  # px of the page: below it the profile folds into a drawer


@dataclass(frozen=True, slots=True)
class TodayData:
    tasks: list[TaskSummary]
    personal: list[PersonalTask]


def _today_job(guide_id: str, store_id: str, today: date) -> Callable[[Any], TodayData]:
    def job(conn: Any) -> TodayData:
        return TodayData(
            guide_tasks(conn, guide_id=guide_id, store_id=store_id, today=today),
            guide_personal_tasks(
                conn, guide_id=guide_id, today=today, timezone=store_timezone(conn)
            ),
        )

    return job


class ProgressDelegate(QStyledItemDelegate):
    """Paints ``PROGRESS_ROLE`` (done, total) as a progress bar with "done/total"."""

    def paint(self, painter, option: QStyleOptionViewItem, index) -> None:  # type: ignore[no-untyped-def]
        progress = index.data(PROGRESS_ROLE)
        if not progress:
            super().paint(painter, option, index)
            return
        done, total = progress
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(option.rect, option.palette.highlight())
        bar = QStyleOptionProgressBar()
        bar.rect = option.rect.adjusted(3, 3, -3, -3)
        bar.minimum, bar.maximum = 0, max(total, 1)
        bar.progress = min(done, max(total, 1))
        bar.text = f"{done}/{total}"
        bar.textVisible = True
        bar.textAlignment = Qt.AlignmentFlag.AlignCenter
        bar.state = QStyle.StateFlag.State_Enabled | QStyle.StateFlag.State_Horizontal
        bar.palette = option.palette
        style = option.widget.style() if option.widget else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter, option.widget)


class TodayView(QWidget):
    loaded = Signal()  # the task list (and the selected task's customers) are shown

    def __init__(self, session: Session, guide: GuideAccount, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("todayView")
        self.session, self.guide = session, guide
        self.data = TodayData([], [])
        self._seq = 0  # requests for the task list
        self._targets_seq = 0  # requests for a task's customers
        self._task_key: str | None = None
        self._content: list[ContentItem] = []

        self.title = plain_label(self.tr("Today"), "pageTitle", wrap=False, selectable=False)
        self.summary = plain_label(name="todaySummary", wrap=False, selectable=False)
        header = QHBoxLayout()
        header.addWidget(self.title)
        header.addSpacing(12)
        header.addWidget(self.summary, 1)

        # left: the tasks
        self.tasks = TaskListModel(self)
        self.task_list = QTreeView()
        self.task_list.setObjectName("taskList")
        self.task_list.setModel(self.tasks)
        self.task_list.setItemDelegateForColumn(1, ProgressDelegate(self.task_list))
        self.task_list.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.task_list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.task_list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.task_list.setUniformRowHeights(True)
        self.task_list.setRootIsDecorated(False)
        self.task_list.setItemsExpandable(False)
        self.task_list.setAllColumnsShowFocus(True)
        head = self.task_list.header()
        head.setStretchLastSection(False)
        head.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        head.setSectionResizeMode(1, QHeaderView.ResizeMode.Fixed)
        head.setSectionResizeMode(2, QHeaderView.ResizeMode.Fixed)
        head.resizeSection(1, 92)
        head.resizeSection(2, 96)
        self.task_list.selectionModel().currentChanged.connect(self._task_changed)
        self.no_tasks = plain_label("", "emptyState")
        self.no_tasks.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.task_stack = QStackedWidget()
        self.task_stack.addWidget(self.task_list)
        self.task_stack.addWidget(self.no_tasks)

        self.description = plain_label(name="taskDescription")
        self.content_button = QToolButton()
        self.content_button.setObjectName("taskContentButton")
        self.content_button.setCheckable(True)
        self.content_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.content_button.toggled.connect(self._toggle_content)
        self.content_panel = plain_label(name="taskContentPanel")
        self.content_panel.setVisible(False)
        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.task_stack, 1)
        column.addWidget(self.description)
        column.addWidget(self.content_button, 0, Qt.AlignmentFlag.AlignLeft)
        column.addWidget(self.content_panel)

        # middle: the selected task's customers
        self.targets_title = plain_label(name="targetsTitle", wrap=False, selectable=False)
        self.targets = TargetListModel(self)
        self.target_table = QTableView()
        self.target_table.setObjectName("taskTargets")
        self.target_table.setModel(self.targets)
        self.target_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.target_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.target_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.target_table.setShowGrid(False)
        self.target_table.setWordWrap(False)
        self.target_table.setAlternatingRowColors(True)
        rows = self.target_table.verticalHeader()
        rows.setVisible(False)
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(ROW_HEIGHT)
        cols = self.target_table.horizontalHeader()
        cols.setHighlightSections(False)
        cols.setStretchLastSection(True)
        cols.ensurePolished()  # the style sheet's header font, then measure the titles
        fit_columns(self.target_table, TARGET_WIDTHS)
        self.target_table.selectionModel().currentRowChanged.connect(self._target_changed)
        self.target_table.activated.connect(lambda _index: self.record_outcome())
        self.no_targets = plain_label("", "emptyState")
        self.no_targets.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.target_stack = QStackedWidget()
        self.target_stack.addWidget(self.target_table)
        self.target_stack.addWidget(self.no_targets)
        self.review_comment = plain_label(name="targetReviewComment")
        self.review_comment.setVisible(False)
        self.record_button = QPushButton(self.tr("Record outcome"))
        self.record_button.setObjectName("recordOutcomeButton")
        self.record_button.setProperty("primary", True)
        self.record_button.setToolTip(self.tr("Also logs the follow-up (Enter on a customer)"))
        self.record_button.setEnabled(False)
        self.record_button.clicked.connect(self.record_outcome)
        actions = QHBoxLayout()
        actions.addWidget(self.record_button)
        actions.addStretch(1)
        middle = QWidget()
        column = QVBoxLayout(middle)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.targets_title)
        column.addWidget(self.target_stack, 1)
        column.addWidget(self.review_comment)
        column.addLayout(actions)

        # right: the customer's profile
        self.profile = ProfilePane(session, guide)
        self.profile.setMinimumWidth(260)

        splitter = QSplitter()
        splitter.setObjectName("todaySplitter")
        splitter.addWidget(left)
        splitter.addWidget(middle)
        splitter.setChildrenCollapsible(False)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        left.setMinimumWidth(250)
        middle.setMinimumWidth(280)
        # Beside the customers when there is room, else a drawer over them (a 1024×768
        # screen at 125 %), as in the customer book.
        # Over the customers only: "Record outcome" below them stays in reach.
        self.fold = ProfileFold(
            splitter, self.profile, cover=self.target_stack, narrow_below=TODAY_NARROW
        )
        self.fold.splitter.setStretchFactor(0, 8)
        self.fold.splitter.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.fold, 1)

        session.hub.changed.connect(self._on_changes)
        self._show_task(None)
        self.reload()

    # -- loading ---------------------------------------------------------------------------

    def reload(self) -> None:
        """Read the tasks again (keeping the selected task and customer)."""
        self._seq += 1
        seq, today = self._seq, self.session.today()

        def arrived(data: TodayData) -> None:
            if seq == self._seq:
                self._show_data(data, today)

        self.session.read.run(
            _today_job(self.guide.id, self.guide.store_id, today), success=arrived, owner=self
        )

    def _groups(self, data: TodayData, today: date) -> list[TaskGroup]:
        groups: dict[str | None, list[TaskItem]] = {}
        for t in data.tasks:
            groups.setdefault(t.campaign_id, []).append(
                TaskItem(t.id, t.title, t.due_on, t.done, t.total, t.is_overdue(today), t)
            )
        out = [
            TaskGroup(
                f"campaign/{key}" if key else "hq",
                self.tr("Campaign {id}").format(id=key) if key else self.tr("HQ tasks"),
                tuple(items),
            )
            for key, items in groups.items()
        ]
        personal: list[TaskItem] = []
        for kind in PersonalKind:
            mine = tuple(p for p in data.personal if p.kind is kind)
            if mine:
                overdue = any(p.overdue(today) for p in mine)
                personal.append(
                    TaskItem(
                        f"{PERSONAL_GROUP}/{kind.value}",
                        task_label(PERSONAL, kind),
                        None,
                        0,
                        len(mine),
                        overdue,
                        None,
                        mine,
                    )
                )
        if personal:
            out.append(TaskGroup(PERSONAL_GROUP, self.tr("My own follow-ups"), tuple(personal)))
        return out

    def _show_data(self, data: TodayData, today: date) -> None:
        self.data = data
        keep = self._task_key
        self.tasks.set_groups(self._groups(data, today), today)
        self.task_list.expandAll()
        open_targets = sum(t.open for t in data.tasks) + len(data.personal)
        overdue = sum(t.overdue for t in data.tasks)
        text = self.tr("{day}: {n} customers to contact").format(
            day=today.isoformat(), n=open_targets
        )
        if overdue:
            text += self.tr(" · {n} overdue").format(n=overdue)
        self.summary.setText(text)
        if not self.tasks.groups:
            self.no_tasks.setText(
                self.tr(
                    "No tasks today. HQ campaigns arrive with the next sync (F5); follow-ups "
                    "you schedule, birthdays and new customers appear here by themselves."
                )
            )
            self.task_stack.setCurrentWidget(self.no_tasks)
            self._show_task(None)
            self.loaded.emit()
            return
        self.task_stack.setCurrentWidget(self.task_list)
        index = self.tasks.index_of(keep) if keep else QModelIndex()
        if not index.isValid():
            index = self.tasks.first_task()
        self._task_key = None  # so that selecting it (again) reloads its customers
        self.task_list.setCurrentIndex(index)
        if not index.isValid():
            self._show_task(None)
            self.loaded.emit()

    @Slot(QModelIndex, QModelIndex)
    def _task_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        item = self.tasks.item(current)
        if item is None:
            if current.isValid():  # a group row: go to its first task
                first = self.tasks.index(0, 0, self.tasks.index(current.row(), 0))
                if first.isValid():
                    self.task_list.setCurrentIndex(first)
            return
        if item.key != self._task_key:
            self._show_task(item)

    def _show_task(self, item: TaskItem | None) -> None:
        self._task_key = item.key if item else None
        self._targets_seq += 1
        keep = self._selected_customer()
        if item is None:
            self.targets_title.setText("")
            self.description.setVisible(False)
            self.content_button.setVisible(False)
            self.content_panel.setVisible(False)
            self.targets.set_rows([])
            self.no_targets.setText(self.tr("Choose a task on the left to see its customers."))
            self.target_stack.setCurrentWidget(self.no_targets)
            self._target_changed(QModelIndex(), QModelIndex())
            return
        self.targets_title.setText(item.title)
        summary = item.summary
        self.description.setText(summary.description if summary else "")
        self.description.setVisible(bool(summary and summary.description))
        if item.is_personal:
            self._show_content([])
            self._show_rows([self._personal_row(p) for p in item.personal], keep)
            return
        assert summary is not None
        seq, task_id, guide_id = self._targets_seq, summary.id, self.guide.id
        content_ids = summary.content_ids

        def job(conn: Any) -> tuple[list[TargetRow], list[ContentItem]]:
            return (
                task_targets(conn, task_id=task_id, guide_id=guide_id),
                task_content(conn, content_ids),
            )

        def arrived(answer: tuple[list[TargetRow], list[ContentItem]]) -> None:
            if seq == self._targets_seq:
                self._show_content(answer[1])
                self._show_rows(answer[0], keep)

        self.session.read.run(job, success=arrived, owner=self)

    def _personal_row(self, p: PersonalTask) -> TargetRow:
        if p.kind is PersonalKind.BIRTHDAY:
            detail = self.tr("Birthday {day}").format(day=p.due_on.strftime("%m-%d"))
        elif p.kind is PersonalKind.NEW_CUSTOMER:
            detail = self.tr("Day {n} after the first purchase").format(n=p.day)
        else:
            detail = self.tr("Planned for {day}").format(day=p.due_on.strftime("%m-%d"))
        return TargetRow(
            task_id=p.key,
            customer_id=p.customer_id,
            name=p.name,
            phone=mask_phone(p.phone),
            status="open",
            outcome=None,
            review_comment="",
            last_contact_at=None,
            completed_at=None,
            detail=detail,
        )

    def _show_content(self, items: list[ContentItem]) -> None:
        self._content = items
        self.content_button.setVisible(bool(items))
        self.content_button.setText(self.tr("Suggested content ({n})").format(n=len(items)))
        lines = [
            f"· {c.title}  [{c.id}]"
            if c.found
            else "· "
            + self.tr("{id} (not on this terminal yet; it comes with a sync)").format(id=c.id)
            for c in items
        ]
        note = self.tr("The Content page is coming; until then, find these by title.")
        self.content_panel.setText("\n".join([*lines, note]) if items else "")
        self.content_panel.setVisible(bool(items) and self.content_button.isChecked())

    def _show_rows(self, rows: list[TargetRow], keep: str | None) -> None:
        self.targets.set_rows(rows)
        if not rows:
            self.no_targets.setText(self.tr("No customers left in this task. Well done."))
            self.target_stack.setCurrentWidget(self.no_targets)
            self._target_changed(QModelIndex(), QModelIndex())
            self.loaded.emit()
            return
        self.target_stack.setCurrentWidget(self.target_table)
        row = self.targets.row_of(keep) if keep else -1
        if row < 0:
            row = next((i for i, r in enumerate(rows) if r.status in OPEN_STATUSES), 0)
        self.target_table.selectRow(row)
        self._target_changed(self.targets.index(row, 0), QModelIndex())
        self.loaded.emit()

    # -- the selected customer -------------------------------------------------------------

    def _selected_customer(self) -> str | None:
        r = self.targets.row(self.target_table.currentIndex().row())
        return r.customer_id if r else None

    def current_target(self) -> TargetRow | None:
        return self.targets.row(self.target_table.currentIndex().row())

    def current_task(self) -> TaskItem | None:
        return self.tasks.item(self.task_list.currentIndex())

    @Slot(QModelIndex, QModelIndex)
    def _target_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        r = self.targets.row(current.row()) if current.isValid() else None
        self.record_button.setEnabled(r is not None and r.status in OPEN_STATUSES)
        rejected = r is not None and r.status == "rejected" and bool(r.review_comment)
        self.review_comment.setVisible(rejected)
        if rejected and r is not None:
            self.review_comment.setText(
                self.tr("Returned by the manager: {comment}").format(comment=r.review_comment)
            )
        if r is not None and r.customer_id != self.profile.customer_id:
            self.profile.show_customer(r.customer_id)
        elif r is None and self.profile.customer_id is not None:
            self.profile.show_customer(None)

    @Slot(bool)
    def _toggle_content(self, shown: bool) -> None:
        self.content_panel.setVisible(shown and bool(self._content))

    # -- recording an outcome --------------------------------------------------------------

    @Slot()
    def record_outcome(self) -> OutcomeDialog | None:
        target, item = self.current_target(), self.current_task()
        if target is None or item is None or target.status not in OPEN_STATUSES:
            return None
        summary = item.summary
        customer_id, guide_id = target.customer_id, self.guide.id
        task_id = summary.id if summary else None
        dialog = OutcomeDialog(
            customer=DialogCustomer(customer_id, target.name, target.phone),  # phone masked
            task_title=item.title if summary else f"{item.title} · {target.detail}",
            evidence=summary.evidence if summary else "none",
            review_comment=target.review_comment if target.status == "rejected" else "",
            parent=self,
            drafts=DraftSlot(
                self.session,
                DraftKind.TASK_OUTCOME,
                guide_id=guide_id,
                customer_id=customer_id,
                task_id=task_id,
            ),
        )

        def save(draft: OutcomeDraft) -> None:
            now = self.session.now_iso()

            def job(conn: Any) -> Changes:
                if task_id is None:
                    return complete_personal(
                        conn,
                        customer_id=customer_id,
                        guide_id=guide_id,
                        note=draft.note,
                        now=now,
                        channel=draft.channel,
                    )
                return complete_target(
                    conn,
                    task_id=task_id,
                    customer_id=customer_id,
                    guide_id=guide_id,
                    outcome=draft.outcome,
                    note=draft.note,
                    evidence_note=draft.evidence_note,
                    evidence_picture=draft.evidence_picture,
                    now=now,
                    channel=draft.channel,
                )

            self.session.change(
                job,
                success=lambda _changes: dialog.saved(),
                failure=lambda exc: self._failed(dialog, exc),
                owner=dialog,
            )

        dialog.submitted.connect(save)
        dialog.open()
        return dialog

    def _failed(self, dialog: OutcomeDialog, exc: BaseException) -> None:
        dialog.set_busy(False)
        self.session.errors.report(exc)

    # -- store changes ---------------------------------------------------------------------

    @Slot(object)
    def _on_changes(self, changes: Changes) -> None:
        if changes.everything or changes.customers or changes.touches("task", "task_target"):
            self.reload()
