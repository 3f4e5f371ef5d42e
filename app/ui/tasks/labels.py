"""Translated names of task codes: outcomes, target statuses, personal-task kinds."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from app.domain.personal_tasks import PersonalKind
from app.domain.tasks import Outcome, TaskTargetStatus

OUTCOMES: dict[str, str] = {
    Outcome.CONTACTED: QT_TRANSLATE_NOOP("TaskLabels", "Contacted"),
    Outcome.UNREACHABLE: QT_TRANSLATE_NOOP("TaskLabels", "Unreachable"),
    Outcome.DECLINED: QT_TRANSLATE_NOOP("TaskLabels", "Declined"),
    Outcome.PURCHASED: QT_TRANSLATE_NOOP("TaskLabels", "Purchased"),
    Outcome.BOOKED: QT_TRANSLATE_NOOP("TaskLabels", "Booked a visit"),
}
STATUSES: dict[str, str] = {
    TaskTargetStatus.OPEN: QT_TRANSLATE_NOOP("TaskLabels", "To do"),
    TaskTargetStatus.DONE: QT_TRANSLATE_NOOP("TaskLabels", "Done"),
    TaskTargetStatus.APPROVED: QT_TRANSLATE_NOOP("TaskLabels", "Approved"),
    TaskTargetStatus.REJECTED: QT_TRANSLATE_NOOP("TaskLabels", "Returned: redo"),
}
PERSONAL: dict[str, str] = {
    PersonalKind.FOLLOW_UP: QT_TRANSLATE_NOOP("TaskLabels", "Follow-ups due"),
    PersonalKind.BIRTHDAY: QT_TRANSLATE_NOOP("TaskLabels", "Birthdays within 7 days"),
    PersonalKind.NEW_CUSTOMER: QT_TRANSLATE_NOOP("TaskLabels", "New customers: day 3 / 7 / 14"),
}


def task_label(table: dict[str, str], code: str | None) -> str:
    if not code:
        return ""
    source = table.get(code)
    return QCoreApplication.translate("TaskLabels", source) if source else code
