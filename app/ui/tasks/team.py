"""The store manager's team view (团队完成情况) and review queue (待审核). First version."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app.store.guides import GuideAccount
from app.ui.session import Session


class TeamView(QWidget):
    """Completion by guide and by task, completions per day, and the review queue."""

    def __init__(
        self, session: Session, manager: GuideAccount, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("teamView")
        self.session = session
        self.manager = manager
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("Team completion")))
