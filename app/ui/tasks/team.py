"""The store manager's team view (团队完成情况) and review queue (待审核).

Three tabs on one page of the Tasks section, for a manager signed in on the store's
terminal at the end of the day:

* 完成情况 — a bar chart of completions per day for the last 14 days (QtCharts), the
  completion of each guide and of each task, overdue counts in red;
* 待审核 — completed targets of tasks that ask for a review, with outcome, the evidence
  note and picture (a thumbnail; a click enlarges it); 通过 / 驳回 with a comment (a
  rejection needs one: the guide reads it on their Today);
* 未完成 · 转派 — open targets, overdue first, and giving one to another guide.

Everything is read in one snapshot on the read lane (``app.store.review.team_snapshot``,
thumbnails decoded there too, as QImages are safe off the UI thread) and written through
``Session.change``; the view reloads when a change touches tasks, targets or guides.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from PySide6.QtCharts import (
    QAbstractBarSeries,
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QValueAxis,
)
from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractTableModel,
    QCoreApplication,
    QItemSelectionModel,
    QMargins,
    QModelIndex,
    QPersistentModelIndex,
    QSize,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtGui import QBrush, QColor, QIcon, QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.tasks import Outcome, TaskTargetStatus
from app.store import review
from app.store.changes import Changes
from app.store.guides import GuideAccount
from app.ui import format as fmt
from app.ui.errors import plain_message
from app.ui.session import Session
from app.ui.widgets import ChoiceBox, plain_label, plain_tooltip

_CONTEXT = "TeamView"
THUMB_HEIGHT = 96
_OVERDUE = QColor("#c62828")

OUTCOMES: dict[str, str] = {
    Outcome.CONTACTED: QT_TRANSLATE_NOOP("TeamView", "Contacted"),
    Outcome.UNREACHABLE: QT_TRANSLATE_NOOP("TeamView", "Unreachable"),
    Outcome.DECLINED: QT_TRANSLATE_NOOP("TeamView", "Declined"),
    Outcome.PURCHASED: QT_TRANSLATE_NOOP("TeamView", "Purchased"),
    Outcome.BOOKED: QT_TRANSLATE_NOOP("TeamView", "Booked"),
}
NOBODY = QT_TRANSLATE_NOOP("TeamView", "(nobody)")
OVERDUE_MARK = QT_TRANSLATE_NOOP("TeamView", "overdue")
STATUSES: dict[str, str] = {
    TaskTargetStatus.OPEN: QT_TRANSLATE_NOOP("TeamView", "Open"),
    TaskTargetStatus.DONE: QT_TRANSLATE_NOOP("TeamView", "Done"),
    TaskTargetStatus.APPROVED: QT_TRANSLATE_NOOP("TeamView", "Approved"),
    TaskTargetStatus.REJECTED: QT_TRANSLATE_NOOP("TeamView", "Rejected, to redo"),
}


def _t(source: str) -> str:
    return QCoreApplication.translate(_CONTEXT, source)


def _name(table: dict[str, str], code: str | None) -> str:
    if not code:
        return ""
    return _t(table[code]) if code in table else code


# -- one table model for every list of the view ----------------------------------------------


REFUSALS_SHOWN = 3  # HQ's refusals listed under the queue (all of them in the tooltip)


@dataclass(frozen=True, slots=True)
class Column:
    """One column: its header (a source string of the TeamView context) and how a row
    shows in it. ``number`` columns align right and sort by their value."""

    header: str
    value: Callable[[Any], Any]
    number: bool = False
    alert: Callable[[Any], bool] | None = None  # red text (overdue)
    tooltip: Callable[[Any], str | None] | None = None
    picture: Callable[[Any], QImage | None] | None = None


class RowsModel(QAbstractTableModel):
    """Rows of frozen store values shown through ``Column`` specs (no widget per row)."""

    KeyRole = Qt.ItemDataRole.UserRole + 1

    def __init__(
        self,
        columns: Sequence[Column],
        key: Callable[[Any], Any],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.columns = tuple(columns)
        self._key = key
        self._rows: tuple[Any, ...] = ()

    def set_rows(self, rows: Sequence[Any]) -> None:
        self.beginResetModel()
        self._rows = tuple(rows)
        self.endResetModel()

    def rows(self) -> tuple[Any, ...]:
        return self._rows

    def row_of(self, key: Any) -> int:
        return next((i for i, r in enumerate(self._rows) if self._key(r) == key), -1)

    def item(self, row: int) -> Any:
        return self._rows[row]

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(self.columns)
        ):
            return _t(self.columns[section].header)
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        row, column = self._rows[index.row()], self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            value = column.value(row)
            return "" if value is None else str(value)
        if role == self.KeyRole:
            return self._key(row)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if column.number:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and column.alert and column.alert(row):
            return QBrush(_OVERDUE)
        if role == Qt.ItemDataRole.ToolTipRole:
            text = column.tooltip(row) if column.tooltip else None
            return plain_tooltip(text)
        if role == Qt.ItemDataRole.DecorationRole and column.picture:
            image = column.picture(row)
            return None if image is None else QPixmap.fromImage(image)
        return None


def _rate(f: review.Figures) -> str:
    return f"{round(f.rate * 100)}%" if f.targets else "—"


_COUNT_COLUMNS = (
    Column(QT_TRANSLATE_NOOP("TeamView", "Targets"), lambda f: f.targets, number=True),
    Column(QT_TRANSLATE_NOOP("TeamView", "Done"), lambda f: f.done, number=True),
    Column(QT_TRANSLATE_NOOP("TeamView", "Open"), lambda f: f.open, number=True),
    Column(
        QT_TRANSLATE_NOOP("TeamView", "Overdue"),
        lambda f: f.overdue,
        number=True,
        alert=lambda f: f.overdue > 0,
    ),
    Column(QT_TRANSLATE_NOOP("TeamView", "Approved"), lambda f: f.approved, number=True),
    Column(QT_TRANSLATE_NOOP("TeamView", "Rejected"), lambda f: f.rejected, number=True),
    Column(QT_TRANSLATE_NOOP("TeamView", "Rate"), _rate, number=True),
)


def guide_figures_model(parent: QWidget | None = None) -> RowsModel:
    first = Column(
        QT_TRANSLATE_NOOP("TeamView", "Guide"),
        lambda f: f.name or _t(NOBODY),
        tooltip=lambda f: f.key or None,
    )
    return RowsModel((first, *_COUNT_COLUMNS), key=lambda f: f.key, parent=parent)


def task_figures_model(parent: QWidget | None = None) -> RowsModel:
    return RowsModel(
        (
            Column(
                QT_TRANSLATE_NOOP("TeamView", "Task"), lambda f: f.name, tooltip=lambda f: f.name
            ),
            Column(QT_TRANSLATE_NOOP("TeamView", "Due"), lambda f: f.due_on or "—"),
            *_COUNT_COLUMNS,
        ),
        key=lambda f: f.key,
        parent=parent,
    )


def _target_key(item: review.ReviewItem | review.OpenTarget) -> tuple[str, str]:
    return (item.task_id, item.customer_id)


def queue_model(thumbs: dict[tuple[str, str], QImage], parent: QWidget | None = None) -> RowsModel:
    """The review queue; ``thumbs`` (shared, refilled on each load) holds the pictures."""
    return RowsModel(
        (
            Column(QT_TRANSLATE_NOOP("TeamView", "Guide"), lambda i: i.guide_name),
            Column(QT_TRANSLATE_NOOP("TeamView", "Customer"), lambda i: i.customer_name),
            Column(
                QT_TRANSLATE_NOOP("TeamView", "Task"),
                lambda i: i.task_title,
                tooltip=lambda i: i.task_title,
            ),
            Column(QT_TRANSLATE_NOOP("TeamView", "Outcome"), lambda i: _name(OUTCOMES, i.outcome)),
            Column(
                QT_TRANSLATE_NOOP("TeamView", "Evidence"),
                lambda i: i.evidence.replace("\n", " "),
                tooltip=lambda i: i.evidence or None,
                picture=lambda i: _small(thumbs.get(_target_key(i))),
            ),
            Column(
                QT_TRANSLATE_NOOP("TeamView", "Completed"), lambda i: fmt.day_time(i.completed_at)
            ),
        ),
        key=_target_key,
        parent=parent,
    )


def open_targets_model(parent: QWidget | None = None) -> RowsModel:
    return RowsModel(
        (
            Column(
                QT_TRANSLATE_NOOP("TeamView", "Task"),
                lambda t: t.task_title,
                tooltip=lambda t: t.task_title,
            ),
            Column(QT_TRANSLATE_NOOP("TeamView", "Customer"), lambda t: t.customer_name),
            Column(QT_TRANSLATE_NOOP("TeamView", "Guide"), lambda t: t.guide_name or _t(NOBODY)),
            Column(
                QT_TRANSLATE_NOOP("TeamView", "Status"),
                lambda t: _name(STATUSES, t.status),
                tooltip=lambda t: t.review_comment or None,
            ),
            Column(
                QT_TRANSLATE_NOOP("TeamView", "Due"),
                lambda t: (t.due_on or "—") + (f" · {_t(OVERDUE_MARK)}" if t.overdue else ""),
                alert=lambda t: t.overdue,
            ),
        ),
        key=_target_key,
        parent=parent,
    )


_ICON_CACHE: dict[int, QImage] = {}


def _small(image: QImage | None) -> QImage | None:
    """A list-row sized copy of a thumbnail (rows are one line of text high)."""
    if image is None:
        return None
    small = _ICON_CACHE.get(image.cacheKey())
    if small is None:
        small = image.scaledToHeight(24, Qt.TransformationMode.SmoothTransformation)
        _ICON_CACHE[image.cacheKey()] = small
    return small


def decode_picture(data: str | None) -> QImage | None:
    """The evidence picture (base64 as stored), or None when there is none or it is not
    a picture Qt can read."""
    if not data:
        return None
    try:
        raw = base64.b64decode(data, validate=False)
    except (binascii.Error, ValueError):
        return None
    image = QImage()
    return image if image.loadFromData(raw) and not image.isNull() else None


# -- reading, off the UI thread ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TeamLoad:
    snapshot: review.TeamSnapshot
    thumbs: dict[tuple[str, str], QImage]


def load_team(conn: Any, now: datetime, manager_id: str) -> TeamLoad:
    """Runs on the read lane: the snapshot, and a thumbnail for each evidence picture."""
    snapshot = review.team_snapshot(conn, now=now, manager_id=manager_id)
    thumbs = {}
    for item in snapshot.queue:
        image = decode_picture(item.evidence_picture)
        if image is not None:
            thumbs[_target_key(item)] = image.scaled(
                THUMB_HEIGHT * 2,
                THUMB_HEIGHT,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
    return TeamLoad(snapshot, thumbs)


# -- the chart --------------------------------------------------------------------------------


class DailyChart(QChartView):
    """Completions per day over the last 14 days: one bar per day, its count on top."""

    def __init__(self, parent: QWidget | None = None) -> None:
        chart = QChart()
        chart.setTitle(self.tr("Tasks completed per day, last 14 days"))
        chart.legend().hide()
        chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
        chart.setMargins(QMargins(4, 4, 4, 4))
        chart.setBackgroundRoundness(0)
        self.bars = QBarSet(self.tr("Completed"))
        self.bars.setColor(QColor("#1e88e5"))
        self.bars.setLabelColor(QColor("#263238"))
        self.series = QBarSeries()
        self.series.append(self.bars)
        self.series.setLabelsVisible(True)
        self.series.setLabelsPosition(QAbstractBarSeries.LabelsPosition.LabelsOutsideEnd)
        self.series.setBarWidth(0.7)
        chart.addSeries(self.series)
        self.days = QBarCategoryAxis()
        self.days.setTitleText(self.tr("Date"))
        self.counts = QValueAxis()
        self.counts.setTitleText(self.tr("Completed"))
        self.counts.setLabelFormat("%d")
        self.counts.setMinorTickCount(0)
        chart.addAxis(self.days, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(self.counts, Qt.AlignmentFlag.AlignLeft)
        self.series.attachAxis(self.days)
        self.series.attachAxis(self.counts)
        super().__init__(chart, parent)
        self.setObjectName("teamChart")
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumSize(420, 240)
        self.set_days(())

    def set_days(self, days: Sequence[review.DayCount]) -> None:
        values = [d.completions for d in days]
        self.bars.remove(0, self.bars.count())
        self.bars.append([float(v) for v in values])
        self.days.clear()
        # Day numbers only (a bar is ~30 px wide on a small terminal); the axis title
        # says which days.
        labels = [str(d.day.day) for d in days]
        if labels:
            self.days.setTitleText(
                self.tr("Date ({first} – {last})").format(
                    first=self._month_day(days[0].day), last=self._month_day(days[-1].day)
                )
            )
        self.days.append(labels)
        top = max(values, default=0)
        # Room above the tallest bar for its label; whole numbers on the axis.
        ceiling = max(4, top + max(1, top // 5))
        step = max(1, -(-ceiling // 4))
        self.counts.setRange(0, step * 4)
        self.counts.setTickCount(5)

    def _month_day(self, day: date) -> str:
        return self.tr("{month}/{day}").format(month=day.month, day=day.day)

    def values(self) -> list[int]:
        return [int(self.bars.at(i)) for i in range(self.bars.count())]


class EvidenceDialog(QDialog):
    """The evidence picture at a readable size (a chat screenshot is tall)."""

    def __init__(self, image: QImage, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("evidenceDialog")
        self.setWindowTitle(self.tr("Evidence — {title}").format(title=title))
        screen = (parent.screen() if parent is not None else self.screen()).availableSize()
        fit = QSize(int(screen.width() * 0.8), int(screen.height() * 0.8))
        picture = QLabel()
        picture.setObjectName("evidencePicture")
        pixmap = QPixmap.fromImage(image)
        if pixmap.width() > fit.width() or pixmap.height() > fit.height():
            pixmap = pixmap.scaled(
                fit, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
            )
        picture.setPixmap(pixmap)
        picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        scroll = QScrollArea()
        scroll.setWidget(picture)
        scroll.setWidgetResizable(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText(self.tr("Close"))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll)
        layout.addWidget(buttons)
        self.resize(min(fit.width(), pixmap.width() + 40), min(fit.height(), pixmap.height() + 80))


# -- the view ---------------------------------------------------------------------------------


def _table(name: str, model: RowsModel, *, stretch: int = 0) -> QTableView:
    table = QTableView()
    table.setObjectName(name)
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.verticalHeader().setVisible(False)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    header.setMinimumSectionSize(36)
    return table


class TeamView(QWidget):
    """The manager's page: team figures with the chart, the review queue, reassignment."""

    loaded = Signal()  # a snapshot is on screen (tests wait on it)

    def __init__(
        self, session: Session, manager: GuideAccount, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("teamView")
        self.session = session
        self.manager = manager
        self.snapshot: review.TeamSnapshot | None = None
        self._thumbs: dict[tuple[str, str], QImage] = {}
        self._generation = 0
        self._busy = False

        self.summary = plain_label("", "teamSummary", wrap=True, selectable=False)
        self.refused = plain_label("", "refusedNote", wrap=True)
        self.refused.setStyleSheet("color: #c62828;")
        self.refused.hide()

        # Tab 1: figures.
        self.chart = DailyChart()
        self.guide_model = guide_figures_model(self)
        self.task_model = task_figures_model(self)
        self.by_guide = _table("teamByGuide", self.guide_model)
        self.by_task = _table("teamByTask", self.task_model)
        # A layout, not a splitter: a splitter starts the chart at its tiny size hint.
        top = QWidget()
        top_layout = QHBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.chart, 11)
        top_layout.addWidget(self._titled(self.tr("By guide"), self.by_guide), 9)
        figures_split = QSplitter(Qt.Orientation.Vertical)
        figures_split.setChildrenCollapsible(False)
        figures_split.addWidget(top)
        figures_split.addWidget(self._titled(self.tr("By task"), self.by_task))
        figures_split.setStretchFactor(0, 3)
        figures_split.setStretchFactor(1, 2)

        # Tab 2: the review queue.
        self.queue_model = queue_model(self._thumbs, self)
        self.queue = _table("reviewQueue", self.queue_model, stretch=4)
        self.queue.setMinimumWidth(320)
        self.detail = plain_label("", "reviewDetail", wrap=True)
        self.evidence_note = QPlainTextEdit()
        self.evidence_note.setObjectName("reviewEvidence")
        self.evidence_note.setReadOnly(True)
        self.evidence_note.setMaximumHeight(90)
        self.picture_button = QToolButton()
        self.picture_button.setObjectName("reviewPicture")
        self.picture_button.setIconSize(QSize(THUMB_HEIGHT * 2, THUMB_HEIGHT))
        self.picture_button.setToolTip(self.tr("Click to enlarge"))
        self.picture_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        self.picture_button.clicked.connect(self.show_picture)
        self.no_picture = plain_label(self.tr("No picture attached"), "reviewNoPicture")
        self.comment = QPlainTextEdit()
        self.comment.setObjectName("reviewComment")
        self.comment.setPlaceholderText(
            self.tr("Comment for the guide (needed to reject; they will see it)")
        )
        self.comment.setMaximumHeight(80)
        self.approve_button = QPushButton(self.tr("Approve"))
        self.approve_button.setObjectName("approveButton")
        self.reject_button = QPushButton(self.tr("Reject"))
        self.reject_button.setObjectName("rejectButton")
        self.reject_button.setToolTip(self.tr("A rejection needs a comment for the guide"))
        self.approve_button.clicked.connect(lambda: self.decide(review_approved=True))
        self.reject_button.clicked.connect(lambda: self.decide(review_approved=False))
        self.review_message = plain_label("", "reviewMessage", wrap=True)
        decide_row = QHBoxLayout()
        decide_row.addWidget(self.approve_button)
        decide_row.addWidget(self.reject_button)
        decide_row.addStretch(1)
        pane = QWidget()
        pane.setObjectName("reviewPane")
        pane_layout = QVBoxLayout(pane)
        pane_layout.setContentsMargins(8, 0, 0, 0)
        pane_layout.addWidget(self.detail)
        pane_layout.addWidget(plain_label(self.tr("Evidence note"), wrap=False, selectable=False))
        pane_layout.addWidget(self.evidence_note)
        pane_layout.addWidget(self.picture_button, 0, Qt.AlignmentFlag.AlignLeft)
        pane_layout.addWidget(self.no_picture)
        pane_layout.addWidget(plain_label(self.tr("Your comment"), wrap=False, selectable=False))
        pane_layout.addWidget(self.comment)
        pane_layout.addLayout(decide_row)
        pane_layout.addWidget(self.review_message)
        pane_layout.addStretch(1)
        pane.setMinimumWidth(300)
        pane.setMaximumWidth(460)
        queue_split = QSplitter(Qt.Orientation.Horizontal)
        queue_split.setChildrenCollapsible(False)
        queue_split.addWidget(self.queue)
        queue_split.addWidget(pane)
        queue_split.setStretchFactor(0, 3)
        queue_split.setStretchFactor(1, 2)

        # Tab 3: open targets and reassignment.
        self.open_model = open_targets_model(self)
        self.open_table = _table("openTargets", self.open_model)
        self.reassign_guide = ChoiceBox("reassignGuide", [])
        self.reassign_button = QPushButton(self.tr("Reassign"))
        self.reassign_button.setObjectName("reassignButton")
        self.reassign_button.clicked.connect(self.reassign)
        self.reassign_message = plain_label("", "reassignMessage", wrap=True)
        self.open_note = plain_label("", "openTargetsNote", wrap=True, selectable=False)
        reassign_row = QHBoxLayout()
        reassign_row.addWidget(
            plain_label(self.tr("Give the selected target to"), wrap=False, selectable=False)
        )
        reassign_row.addWidget(self.reassign_guide)
        reassign_row.addWidget(self.reassign_button)
        reassign_row.addWidget(self.reassign_message, 1)
        open_page = QWidget()
        open_layout = QVBoxLayout(open_page)
        open_layout.addWidget(self.open_note)
        open_layout.addWidget(self.open_table, 1)
        open_layout.addLayout(reassign_row)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("teamTabs")
        self.tabs.addTab(figures_split, self.tr("Team completion"))
        self.tabs.addTab(queue_split, self.tr("To review"))
        self.tabs.addTab(open_page, self.tr("Open · reassign"))

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.summary)
        layout.addWidget(self.refused)
        layout.addWidget(self.tabs, 1)

        self.queue.selectionModel().currentRowChanged.connect(self._show_item)
        self.open_table.selectionModel().currentRowChanged.connect(self._update_reassign)
        session.hub.changed.connect(self._on_changes)
        self._show_item()
        self._update_reassign()
        self.reload()

    @staticmethod
    def _titled(title: str, widget: QWidget) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(2)
        heading = plain_label(title, wrap=False, selectable=False)
        heading.setObjectName("sectionTitle")
        layout.addWidget(heading)
        layout.addWidget(widget, 1)
        return box

    # -- loading ----------------------------------------------------------------------------

    @Slot(object)
    def _on_changes(self, changes: Changes) -> None:
        if changes.touches("task", "task_target", "guide", "store"):
            self.reload()

    def reload(self) -> None:
        """Read the team's figures again on the read lane; a newer load wins."""
        self._generation += 1
        generation = self._generation
        now, manager_id = self.session.clock(), self.manager.id
        self.session.read.run(
            lambda conn: load_team(conn, now, manager_id),
            success=lambda result: self._loaded(generation, result),
            owner=self,
        )

    def _loaded(self, generation: int, result: TeamLoad) -> None:
        if generation != self._generation:
            return  # an older read finished after a newer one started
        snapshot = result.snapshot
        self.snapshot = snapshot
        current = self._current_key(self.queue, self.queue_model)
        current_row = self.queue.currentIndex().row()
        open_current = self._current_key(self.open_table, self.open_model)
        self._thumbs.clear()
        self._thumbs.update(result.thumbs)
        _ICON_CACHE.clear()
        self.guide_model.set_rows(snapshot.by_guide)
        self.task_model.set_rows(snapshot.by_task)
        self.queue_model.set_rows(snapshot.queue)
        self.open_model.set_rows(snapshot.open_targets)
        self.chart.set_days(snapshot.per_day)
        self._show_summary(snapshot)
        # The next item after a decision: the same row number, so the manager works down.
        row = self.queue_model.row_of(current) if current is not None else -1
        if row < 0 and snapshot.queue:
            row = min(max(current_row, 0), len(snapshot.queue) - 1)
        self._select(self.queue, row)
        self._select(self.open_table, self.open_model.row_of(open_current))
        self._show_item()
        self._update_reassign()
        self.loaded.emit()

    @staticmethod
    def _current_key(table: QTableView, model: RowsModel) -> Any:
        index = table.currentIndex()
        return model.data(index, RowsModel.KeyRole) if index.isValid() else None

    @staticmethod
    def _select(table: QTableView, row: int) -> None:
        model = table.model()
        if 0 <= row < model.rowCount():
            table.selectionModel().setCurrentIndex(
                model.index(row, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )

    def _show_summary(self, snapshot: review.TeamSnapshot) -> None:
        totals = snapshot.totals
        self.summary.setText(
            self.tr(
                "{day}: {targets} targets in open tasks · {done} done · {open} open · "
                "{overdue} overdue · {queue} waiting for your review"
            ).format(
                day=snapshot.today.isoformat(),
                targets=totals.targets,
                done=totals.done,
                open=totals.open,
                overdue=totals.overdue,
                queue=snapshot.queue_total,
            )
        )
        self.tabs.setTabText(1, self.tr("To review ({n})").format(n=snapshot.queue_total))
        self.tabs.setTabText(2, self.tr("Open · reassign ({n})").format(n=snapshot.open_total))
        shown = len(snapshot.open_targets)
        self.open_note.setText(
            self.tr("Overdue first. Showing {shown} of {total}.").format(
                shown=shown, total=snapshot.open_total
            )
            if shown < snapshot.open_total
            else self.tr("Overdue first.")
        )
        refused = snapshot.refused
        if refused:
            newest = refused[0]
            lines = [
                f"{fmt.day_time(r.created_at)}  {r.task_id} · {r.customer_id}: {r.reason}"
                for r in refused
            ]
            # Each refusal on the page itself (a touch screen has no hover), the latest three.
            self.refused.setText(
                "\n".join(
                    [
                        self.tr(
                            "HQ refused {n} of your reviews or reassignments. Latest: {reason}"
                        ).format(n=len(refused), reason=newest.reason),
                        *lines[:REFUSALS_SHOWN],
                    ]
                )
            )
            self.refused.setToolTip(plain_tooltip("\n".join(lines)))
        self.refused.setVisible(bool(refused))

    # -- the review queue ------------------------------------------------------------------

    def current_item(self) -> review.ReviewItem | None:
        index = self.queue.currentIndex()
        return self.queue_model.item(index.row()) if index.isValid() else None

    def _show_item(self, *_: Any) -> None:
        item = self.current_item()
        enabled = item is not None and not self._busy
        self.approve_button.setEnabled(enabled)
        self.reject_button.setEnabled(enabled)
        self.comment.setEnabled(item is not None)
        if item is None:
            empty = self.snapshot is not None and not self.snapshot.queue
            self.detail.setText(
                self.tr("Nothing is waiting for your review.")
                if empty
                else self.tr("Choose a completed task in the list.")
            )
            self.evidence_note.setPlainText("")
            self.picture_button.hide()
            self.no_picture.hide()
            return
        self.detail.setText(
            self.tr(
                "{task}\nCustomer: {customer} · Guide: {guide}\nOutcome: {outcome} · Completed {at}"
            ).format(
                task=item.task_title,
                customer=item.customer_name,
                guide=item.guide_name,
                outcome=_name(OUTCOMES, item.outcome) or "—",
                at=fmt.day_time(item.completed_at),
            )
        )
        self.evidence_note.setPlainText(item.evidence or self.tr("(no note)"))
        thumb = self._thumbs.get(_target_key(item))
        if thumb is not None:
            self.picture_button.setIcon(QIcon(QPixmap.fromImage(thumb)))
            self.picture_button.show()
            self.no_picture.hide()
        else:
            self.picture_button.hide()
            self.no_picture.show()

    @Slot()
    def show_picture(self) -> EvidenceDialog | None:
        item = self.current_item()
        image = decode_picture(item.evidence_picture) if item is not None else None
        if item is None or image is None:
            return None
        dialog = EvidenceDialog(image, f"{item.customer_name} · {item.task_title}", self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def decide(self, *, review_approved: bool) -> None:
        """Approve or reject the selected item; a rejection without a comment is refused
        here, in words, with the cursor put where the comment goes."""
        item = self.current_item()
        if item is None or self._busy:
            return
        comment = self.comment.toPlainText()
        if not review_approved and not comment.strip():
            self.review_message.setText(
                self.tr("Write why you reject it first: the guide will read your comment.")
            )
            self.comment.setFocus()
            return
        decision = (
            TaskTargetStatus.APPROVED.value if review_approved else TaskTargetStatus.REJECTED.value
        )
        manager_id, now = self.manager.id, self.session.now_iso()
        self._set_busy(True)
        self.review_message.setText("")

        def done(_changes: Changes) -> None:
            self._set_busy(False)
            self.comment.clear()
            text = (
                self.tr("Approved: {customer}")
                if review_approved
                else self.tr("Rejected: {customer}. It is open again for {guide}.")
            )
            self.review_message.setText(
                text.format(customer=item.customer_name, guide=item.guide_name)
            )

        self.session.change(
            lambda conn: review.review_target(
                conn,
                task_id=item.task_id,
                customer_id=item.customer_id,
                manager_id=manager_id,
                decision=decision,
                comment=comment,
                now=now,
                completed_at=item.completed_at,
            ),
            success=done,
            failure=lambda exc: self._failed(exc, self.review_message),
            owner=self,
        )

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self._show_item()
        self._update_reassign()

    def _failed(self, exc: BaseException, where: QLabel) -> None:
        self._set_busy(False)
        message = plain_message(exc)
        if message is None:
            self.session.errors.report(exc)
        else:
            where.setText(message)  # the typed text stays for another try

    # -- reassignment ----------------------------------------------------------------------

    def current_open_target(self) -> review.OpenTarget | None:
        index = self.open_table.currentIndex()
        return self.open_model.item(index.row()) if index.isValid() else None

    def _update_reassign(self, *_: Any) -> None:
        target = self.current_open_target()
        guides = self.snapshot.guides if self.snapshot is not None else ()
        manager = self.tr("manager")
        choices = [
            (g.name + (f"（{manager}）" if g.is_manager else ""), g.id)
            for g in guides
            if target is None or g.id != target.guide_id
        ]
        self.reassign_guide.set_choices(choices)
        ready = target is not None and bool(choices) and not self._busy
        self.reassign_button.setEnabled(ready)
        self.reassign_guide.setEnabled(target is not None and bool(choices))

    def reassign(self) -> None:
        target = self.current_open_target()
        to_guide = self.reassign_guide.value()
        if target is None or to_guide is None or self._busy:
            return
        name = self.reassign_guide.currentText()
        manager_id, now = self.manager.id, self.session.now_iso()
        self._set_busy(True)
        self.reassign_message.setText("")

        def done(_changes: Changes) -> None:
            self._set_busy(False)
            self.reassign_message.setText(
                self.tr("{customer} ({task}) now goes to {guide}.").format(
                    customer=target.customer_name, task=target.task_title, guide=name
                )
            )

        self.session.change(
            lambda conn: review.reassign_target(
                conn,
                task_id=target.task_id,
                customer_id=target.customer_id,
                manager_id=manager_id,
                to_guide_id=to_guide,
                now=now,
            ),
            success=done,
            failure=lambda exc: self._failed(exc, self.reassign_message),
            owner=self,
        )
