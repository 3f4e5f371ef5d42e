"""Tasks (任务): what HQ asks guides to do, and how far each target got.

The allowed values live here once; the wire declaration (sync/records.py), HQ's checks
and the terminal's rules all take them from this module.
"""

from __future__ import annotations

from enum import StrEnum


class TaskKind(StrEnum):
    """What a task is for (the kinds an HQ campaign file may name)."""

    BIRTHDAY = "birthday"  # 生日问候
    WIN_BACK = "win_back"  # 流失挽回: frequent buyers slipping toward 120 days
    NEW_CUSTOMER = "new_customer"  # 新客跟进: the first two weeks after a first purchase
    CONTENT_SHARE = "content_share"  # 转发活动内容
    HANDOVER_INTRO = "handover_intro"  # 交接后自我介绍 (离职继承 / 在职转接)
    CUSTOM = "custom"


class TaskStatus(StrEnum):
    """A task as HQ published it."""

    OPEN = "open"
    CANCELLED = "cancelled"


class TaskTargetStatus(StrEnum):
    """One customer of a task: open, done by the guide, then approved or rejected by the
    store manager (店长) when the task asks for a review."""

    OPEN = "open"
    DONE = "done"
    APPROVED = "approved"
    REJECTED = "rejected"


class Outcome(StrEnum):
    """What came of reaching a task's customer (recorded with the completion)."""

    CONTACTED = "contacted"  # 已联系
    UNREACHABLE = "unreachable"  # 联系不上
    DECLINED = "declined"  # 婉拒
    PURCHASED = "purchased"  # 已购买
    BOOKED = "booked"  # 已预约


class EvidenceKind(StrEnum):
    """What a task asks the guide to attach to a completion."""

    NONE = "none"
    NOTE = "note"
    PICTURE = "picture"  # a picture pasted from the clipboard (a chat screenshot)
