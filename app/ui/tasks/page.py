"""The Tasks page: the guide's Today; for a store manager also the team view (a tab).

The team view (``app/ui/tasks/team.py``) is imported only for a manager: it loads QtCharts,
which a guide's session never needs.
"""

from __future__ import annotations

from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from app.store.guides import GuideAccount
from app.ui.session import Session
from app.ui.tasks.today import TodayView


class TasksPage(QWidget):
    def __init__(self, session: Session, guide: GuideAccount, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("page_tasks")
        self.today = TodayView(session, guide)
        self.team: QWidget | None = None
        self.tabs: QTabWidget | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        if guide.is_manager:
            from app.ui.tasks.team import TeamView

            self.team = TeamView(session, guide)
            self.tabs = QTabWidget()
            self.tabs.setObjectName("tasksTabs")
            self.tabs.addTab(self.today, self.tr("Today"))
            self.tabs.addTab(self.team, self.tr("Team"))
            layout.addWidget(self.tabs)
        else:
            layout.addWidget(self.today)
