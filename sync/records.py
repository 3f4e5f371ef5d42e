"""The records that travel between HQ and terminals: each entity's key and fields.

Plain data, no imports: the terminal's store (app/store/replica.py) maps its tables onto
these without loading the protocol's message models or the HTTP client, and HQ's
storage does the same (sync/hq/storage.py). sync/protocol.py re-exports both names.
"""

from __future__ import annotations

# The records on the wire: entity -> (key fields, every field of the record, in order).
# HQ's tables and the terminal's tables both map onto these (sync/hq/storage.py,
# app/store/replica.py): a field added here reaches both sides.
RECORDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    entity: (tuple(keys.split()), tuple(fields.split()))
    for entity, keys, fields in (
        ("store", "id", "id name city"),
        ("guide", "id", "id store_id name is_manager active pin_verifier"),
        ("product", "sku", "sku name category color price_cents image"),
        (
            "customer",
            "id",
            "id store_id guide_id name phone gender birthday tier points tags sizes"
            " preferences note joined_at",
        ),
        ("purchase", "id", "id customer_id store_id guide_id paid_at amount_cents items"),
        (
            "followup",
            "id",
            "id customer_id guide_id channel note next_followup_on created_at task_id",
        ),
        (
            "content",
            "id",
            "id kind title body images skus category_631 published_at expires_at",
        ),
        (
            "task",
            "id",
            "id campaign_id store_id guide_id kind title description content_id"
            " target_rule starts_on due_on status",
        ),
        (
            "task_target",
            "task_id customer_id",
            "task_id customer_id guide_id status completed_at evidence review_comment",
        ),
        ("share", "id", "id customer_id guide_id content_id task_id channel shared_at"),
        (
            "appointment",
            "id",
            "id customer_id guide_id starts_at ends_at purpose status rating",
        ),
        (
            "conflict",
            "id",
            "id customer_id field kept_value lost_value lost_by detail created_at",
        ),
    )
}
ENTITIES = tuple(RECORDS)
