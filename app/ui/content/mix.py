"""The guide's 631 mix on the Content page: a small stacked bar (QtCharts) of the last 30
days' shares per category above the target 60 / 30 / 10 (``mixChart``), one line of
advice (``mixAdvice``); for a manager, a per-guide table (``mixByGuide``).

The rule is app/domain/mix631.py, the counts app/store/mix.py (on the read lane); this
module only shows them, in the guide's language. It reloads when a share is recorded.
"""

from __future__ import annotations

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSet,
    QChart,
    QChartView,
    QHorizontalStackedBarSeries,
    QValueAxis,
)
from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QMargins, Qt, QTimer, Slot
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.content import Category631
from app.domain.mix631 import TARGET, Advice, Mix, mix, window
from app.store.changes import Changes
from app.store.guides import GuideAccount
from app.store.mix import GuideCounts, guide_counts, store_counts
from app.ui.labels import CATEGORIES_631
from app.ui.session import Session
from app.ui.widgets import plain_label

COLORS = {
    Category631.BRAND: QColor("#3f7cac"),
    Category631.SERVICE: QColor("#5aa469"),
    Category631.SELLING: QColor("#e07a3f"),
}
ME, TARGET_ROW = 1, 0  # the chart's rows, bottom to top
ADVICE: dict[str, str] = {
    Advice.NO_SHARES: QT_TRANSLATE_NOOP(
        "Mix631", "No shares in the last 30 days yet: start with a piece of brand content."
    ),
    Advice.HEALTHY: QT_TRANSLATE_NOOP("Mix631", "A healthy mix: keep it up."),
    Advice.BRAND_OVER: QT_TRANSLATE_NOOP(
        "Mix631",
        "A lot of brand content: try answering a customer's question or an after-sale check-in.",
    ),
    Advice.BRAND_UNDER: QT_TRANSLATE_NOOP(
        "Mix631", "Little brand content: try sharing a brand story or an outfit."
    ),
    Advice.SERVICE_OVER: QT_TRANSLATE_NOOP(
        "Mix631", "A lot of service content: share some brand and outfit pieces too."
    ),
    Advice.SERVICE_UNDER: QT_TRANSLATE_NOOP(
        "Mix631",
        "Little service content: try answering a customer's question or an after-sale check-in.",
    ),
    Advice.SELLING_OVER: QT_TRANSLATE_NOOP(
        "Mix631", "Too much selling content this month: try sharing an outfit."
    ),
    Advice.SELLING_UNDER: QT_TRANSLATE_NOOP(
        "Mix631", "Little selling content: recommend a new arrival or an offer when it fits."
    ),
}


def advice_text(advice: Advice) -> str:
    return QCoreApplication.translate("Mix631", ADVICE[advice])


def category_text(category: Category631) -> str:
    return QCoreApplication.translate("Labels", CATEGORIES_631[category.value])


class MixPanel(QWidget):
    """The guide's mix (and, for a manager, the store's per guide)."""

    def __init__(self, session: Session, guide: GuideAccount, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("mixPanel")
        self.session, self.guide = session, guide
        self.ready = False
        self.current: Mix = mix({})
        self.by_guide: list[tuple[GuideCounts, Mix]] = []

        self.sets = {c: QBarSet(category_text(c)) for c in Category631}
        series = QHorizontalStackedBarSeries()
        for c, bar in self.sets.items():
            bar.setColor(COLORS[c])
            bar.setBorderColor(COLORS[c])
            bar.append([float(TARGET[c]), 0.0])  # row 0 (bottom): the target, row 1: the guide
            series.append(bar)
        series.setBarWidth(0.7)
        series.setLabelsVisible(True)
        series.setLabelsFormat("@value%")
        chart = QChart()
        chart.addSeries(series)
        rows = QBarCategoryAxis()
        rows.append([self.tr("Target"), self.tr("Me")])
        rows.setTruncateLabels(False)
        rows.setGridLineVisible(False)
        values = QValueAxis()
        values.setRange(0, 100)
        values.setTickCount(2)
        values.setLabelsVisible(False)
        values.setGridLineVisible(False)
        chart.addAxis(rows, Qt.AlignmentFlag.AlignLeft)
        chart.addAxis(values, Qt.AlignmentFlag.AlignBottom)
        series.attachAxis(rows)
        series.attachAxis(values)
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignRight)
        chart.setMargins(QMargins(0, 0, 0, 0))
        chart.layout().setContentsMargins(0, 0, 0, 0)
        chart.setBackgroundRoundness(0)
        self.series, self.chart = series, chart
        self.view = QChartView(chart)
        self.view.setObjectName("mixChart")
        self.view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.view.setFixedHeight(86)
        self.view.setMinimumWidth(260)

        self.title = plain_label(self.tr("631 mix, last 30 days"), "mixTitle", selectable=False)
        self.advice = plain_label("", "mixAdvice", selectable=False)
        self.summary = plain_label("", "mixSummary", selectable=False)
        words = QVBoxLayout()
        words.setContentsMargins(0, 0, 0, 0)
        for w in (self.title, self.advice, self.summary):
            words.addWidget(w)
        words.addStretch(1)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.view, 3)
        row.addLayout(words, 2)

        self.table: QTableWidget | None = None
        if guide.is_manager:
            self.table = QTableWidget(0, 6)
            self.table.setObjectName("mixByGuide")
            self.table.setHorizontalHeaderLabels(
                [
                    self.tr("Guide"),
                    *(category_text(c) for c in Category631),
                    self.tr("Over"),
                    self.tr("Advice"),
                ]
            )
            self.table.horizontalHeaderItem(4).setToolTip(
                self.tr(
                    "Shares to customers over the contact cap, or who had opted out, "
                    "in these 30 days"
                )
            )
            self.table.verticalHeader().hide()
            self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
            self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
            header = self.table.horizontalHeader()
            header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
            header.setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
            line = self.table.fontMetrics().height() + 6
            self.table.verticalHeader().setDefaultSectionSize(line)
            head = header.sizeHint().height()
            tall = head + 3 * line + 2 * self.table.frameWidth()  # three guides in view
            self.table.setFixedHeight(tall)
            self.view.setFixedHeight(tall)
            self.table.setWordWrap(False)
            row.addWidget(self.table, 6)

        session.hub.changed.connect(self._on_changes)
        # After the page's own first query (the cards are what the guide waits for).
        QTimer.singleShot(0, self, self.reload)

    def _on_changes(self, changes: Changes) -> None:
        if changes.touches("share", "content", "guide"):
            self.reload()

    @Slot()
    def reload(self) -> None:
        since, until = window(self.session.clock())
        guide_id, store_id = self.guide.id, self.guide.store_id
        manager = self.guide.is_manager
        self.ready = False

        def job(conn):
            mine = guide_counts(conn, guide_id, since, until)
            team = store_counts(conn, store_id, since, until) if manager else []
            return mine, team

        self.session.read.run(job, success=self._show, owner=self)

    def _show(self, result) -> None:
        mine, team = result
        self.current = mix(mine)
        for c, bar in self.sets.items():
            bar.replace(ME, round(self.current.percent[c]))
        self.advice.setText(advice_text(self.current.advice))
        self.summary.setText(
            self.tr("%n share(s)", "", self.current.total)
            + " · "
            + " / ".join(f"{round(self.current.percent[c])}%" for c in Category631)
        )
        if self.table is not None:
            self.by_guide = [(g, mix(g.counts)) for g in team]
            self.table.setRowCount(len(self.by_guide))
            for r, (g, m) in enumerate(self.by_guide):
                cells = [g.name, *(f"{round(m.percent[c])}%" for c in Category631)]
                cells.append(str(len(g.over_cap)) if g.over_cap else "—")
                cells.append(advice_text(m.advice))
                for col, text in enumerate(cells):
                    item = QTableWidgetItem(text)
                    item.setToolTip(self.over_cap_text(g) if col == 4 and g.over_cap else text)
                    self.table.setItem(r, col, item)
        self.ready = True

    def over_cap_text(self, g) -> str:
        """The manager's view of a guide's shares over the contact cap: who, when, why."""
        lines = []
        for o in g.over_cap:
            if o.opted_out and not o.reason and not o.flagged_by_hq:
                why = self.tr("sent after the customer had opted out (found by HQ)")
            else:
                why = o.reason or self.tr("no reason given (found by HQ)")
                if o.opted_out:
                    why += self.tr("; the customer had opted out")
            lines.append(f"{o.shared_at[:10]}  {o.customer_name}：{why}")
        return "\n".join(lines)

    def advice_of(self, guide_id: str) -> Advice | None:
        """The advice the manager's table shows for a guide (None: not in the table)."""
        for g, m in self.by_guide:
            if g.guide_id == guide_id:
                return m.advice
        return None
