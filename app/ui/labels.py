"""Chinese (translated) names of the domain's codes: tiers, lifecycle stages, channels.

Source strings are English and marked with ``QT_TRANSLATE_NOOP`` so ``pyside6-lupdate``
finds them; they are translated when shown, so switching the language needs no restart
of this module.
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from app.domain.customers import Channel, LifecycleStage, Tier

TIERS: dict[str, str] = {
    Tier.HEAD: QT_TRANSLATE_NOOP("Labels", "Head"),
    Tier.WAIST: QT_TRANSLATE_NOOP("Labels", "Waist"),
    Tier.REGULAR: QT_TRANSLATE_NOOP("Labels", "Regular"),
}
STAGES: dict[str, str] = {
    LifecycleStage.PROSPECT: QT_TRANSLATE_NOOP("Labels", "Prospect"),
    LifecycleStage.NEW: QT_TRANSLATE_NOOP("Labels", "New"),
    LifecycleStage.MATURE: QT_TRANSLATE_NOOP("Labels", "Mature"),
    LifecycleStage.AT_RISK: QT_TRANSLATE_NOOP("Labels", "At risk"),
    LifecycleStage.DORMANT: QT_TRANSLATE_NOOP("Labels", "Dormant"),
}
CHANNELS: dict[str, str] = {
    Channel.WECHAT: QT_TRANSLATE_NOOP("Labels", "WeChat"),
    Channel.CALL: QT_TRANSLATE_NOOP("Labels", "Call"),
    Channel.IN_STORE: QT_TRANSLATE_NOOP("Labels", "In store"),
    Channel.SMS: QT_TRANSLATE_NOOP("Labels", "SMS"),
}
# The 631 mix (app/domain/content.Category631), short.
CATEGORIES_631: dict[str, str] = {
    "brand": QT_TRANSLATE_NOOP("Labels", "Brand"),
    "service": QT_TRANSLATE_NOOP("Labels", "Service"),
    "selling": QT_TRANSLATE_NOOP("Labels", "Selling"),
}
SIZES: dict[str, str] = {
    "top": QT_TRANSLATE_NOOP("Labels", "Top"),
    "bottom": QT_TRANSLATE_NOOP("Labels", "Bottom"),
    "shoe": QT_TRANSLATE_NOOP("Labels", "Shoes"),
}
# Fields a guide may edit (conflicts name them).
FIELDS: dict[str, str] = {
    "tags": QT_TRANSLATE_NOOP("Labels", "Tags"),
    "sizes": QT_TRANSLATE_NOOP("Labels", "Sizes"),
    "preferences": QT_TRANSLATE_NOOP("Labels", "Preferences"),
    "note": QT_TRANSLATE_NOOP("Labels", "Note"),
    "marketing_opt_out": QT_TRANSLATE_NOOP("Labels", "No marketing"),
    "opt_out_reason": QT_TRANSLATE_NOOP("Labels", "Why no marketing"),
}

# The kinds of record HQ sends (sync/records.py), as a skipped record names them.
ENTITIES: dict[str, str] = {
    "store": QT_TRANSLATE_NOOP("Labels", "Store"),
    "guide": QT_TRANSLATE_NOOP("Labels", "Guide"),
    "product": QT_TRANSLATE_NOOP("Labels", "Product"),
    "customer": QT_TRANSLATE_NOOP("Labels", "Customer"),
    "purchase": QT_TRANSLATE_NOOP("Labels", "Purchase"),
    "followup": QT_TRANSLATE_NOOP("Labels", "Follow-up"),
    "content": QT_TRANSLATE_NOOP("Labels", "Content"),
    "task": QT_TRANSLATE_NOOP("Labels", "Task"),
    "task_target": QT_TRANSLATE_NOOP("Labels", "Task target"),
    "share": QT_TRANSLATE_NOOP("Labels", "Share"),
    "appointment": QT_TRANSLATE_NOOP("Labels", "Appointment"),
    "conflict": QT_TRANSLATE_NOOP("Labels", "Lost edit"),
    "handover": QT_TRANSLATE_NOOP("Labels", "Handover"),
    "tip": QT_TRANSLATE_NOOP("Labels", "Peer tip"),
}


# A change the guide made, as the refused-changes list names it ("entity/op").
CHANGES: dict[str, str] = {
    "followup/create": QT_TRANSLATE_NOOP("Labels", "Follow-up"),
    "followup/counter": QT_TRANSLATE_NOOP("Labels", "Counter visit note"),
    "customer/update": QT_TRANSLATE_NOOP("Labels", "Profile edit"),
    "share/create": QT_TRANSLATE_NOOP("Labels", "Share"),
    "tip/create": QT_TRANSLATE_NOOP("Labels", "Peer tip"),
    "appointment/create": QT_TRANSLATE_NOOP("Labels", "Appointment"),
    "appointment/update": QT_TRANSLATE_NOOP("Labels", "Appointment change"),
    "task_target/complete": QT_TRANSLATE_NOOP("Labels", "Task outcome"),
    "task_target/review": QT_TRANSLATE_NOOP("Labels", "Review of a task"),
    "task_target/reassign": QT_TRANSLATE_NOOP("Labels", "Task reassignment"),
    "audit/reveal_phone": QT_TRANSLATE_NOOP("Labels", "Phone number shown"),
    "audit/copy_phone": QT_TRANSLATE_NOOP("Labels", "Phone number copied"),
}


def change_label(entity: str, op: str) -> str:
    return label(CHANGES, f"{entity}/{op}")


def label(table: dict[str, str], code: str | None) -> str:
    """The translated name of ``code`` in ``table``; an unknown code shows as itself."""
    if not code:
        return ""
    source = table.get(code)
    return QCoreApplication.translate("Labels", source) if source else code


def tier_label(tier: str | None) -> str:
    return label(TIERS, tier)


def stage_label(stage: str | None) -> str:
    return label(STAGES, stage)


def channel_label(channel: str | None) -> str:
    return label(CHANNELS, channel)


def category_631_label(category: str | None) -> str:
    return label(CATEGORIES_631, category)


def entity_label(entity: str | None) -> str:
    return label(ENTITIES, entity)
