"""The profile pane: one customer's record, history and the guide's actions on it.

Loaded on the read lane, never on the UI thread: ``customer_profile`` is a few indexed
reads, but a customer with years of history or a busy disk makes it tens of ms, which
the guide would feel on every ↑/↓. While a profile loads the pane keeps showing the
previous one (no flash), and the actions wait for the customer asked for; an answer for
a customer the guide has moved past is dropped. Writes (follow-up, edit, phone reveal)
run on the write lane; the pane reloads when the change hub says the change concerns its
customer (or tasks, for the open-task list).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.domain.customers import Channel, mask_phone
from app.domain.followups import followup_due
from app.store.changes import Changes
from app.store.customers import (
    CustomerProfile,
    copy_phone,
    customer_profile,
    log_followup,
    reveal_phone,
    update_customer,
)
from app.store.drafts import DraftKind
from app.store.guides import GuideAccount
from app.store.handovers import HandoverView, latest_handover
from app.store.tasks import OpenTask, customer_open_tasks
from app.ui import format as fmt
from app.ui.customers.dialogs import (
    DialogCustomer,
    EditCustomerDialog,
    FollowUpDialog,
    FollowUpDraft,
)
from app.ui.customers.model import due_text
from app.ui.drafts import DraftSlot
from app.ui.labels import (
    FIELDS,
    SIZES,
    category_631_label,
    channel_label,
    label,
    stage_label,
    tier_label,
)
from app.ui.session import Session
from app.ui.widgets import plain_label

# A copied phone number is taken off the clipboard after this long (if still there).
CLIPBOARD_CLEAR_MS = 60_000


def _bold(label: QLabel) -> QLabel:
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    return label


def _entry(name: str, lines: list[QLabel]) -> QFrame:
    """One entry of a list (a follow-up, a purchase): its lines, one plain label each."""
    entry = QFrame()
    entry.setObjectName(name)
    column = QVBoxLayout(entry)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(2)
    for line in lines:
        column.addWidget(line)
    return entry


class ProfilePane(QWidget):
    loaded = Signal(str)  # the customer id whose profile is now shown
    share_content_requested = Signal(str)  # the customer id: pick content to share with them

    def __init__(self, session: Session, guide: GuideAccount, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("customerProfile")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.session, self.guide = session, guide
        self.profile: CustomerProfile | None = None
        self.open_tasks: tuple[OpenTask, ...] = ()
        self.handover: HandoverView | None = None  # how the current guide got them
        self._brief_open = False  # the handover brief unfolded (until moving on)
        self._wanted: str | None = None  # the customer asked for (shown once loaded)
        self._seq = 0  # bumped by every request; older answers are dropped
        self._pending_action: Callable[[], object] | None = None
        self._revealed: tuple[str, str] | None = None  # (customer id, phone) until moving on

        self.placeholder = plain_label(
            self.tr("Choose a customer on the left, or search by the last 4 digits of a phone."),
            "emptyState",
        )
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.name = plain_label(name="profileName")
        self.phone = plain_label(name="profilePhone", wrap=False)
        self.reveal_button = QPushButton(self.tr("Show number"))
        self.reveal_button.setObjectName("revealPhoneButton")
        self.reveal_button.setToolTip(self.tr("Shows the full number; every reveal is recorded."))
        self.reveal_button.clicked.connect(lambda: self._when_ready(self.reveal))
        self.copy_button = QPushButton(self.tr("Copy number"))
        self.copy_button.setObjectName("copyPhoneButton")
        self.copy_button.setToolTip(
            self.tr("Copies the full number to the clipboard; every copy is recorded.")
        )
        self.copy_button.clicked.connect(lambda: self._when_ready(self.copy_number))
        self.badges = plain_label(name="profileBadges")
        self.follow_up_button = QPushButton(self.tr("Log follow-up"))
        self.follow_up_button.setObjectName("logFollowUpButton")
        self.follow_up_button.setProperty("primary", True)
        # Enter in the search opens the profile with this button focused: a second Enter
        # logs the follow-up (outside a dialog a push button takes Enter only when asked).
        self.follow_up_button.setAutoDefault(True)
        self.follow_up_button.clicked.connect(lambda: self._when_ready(self.log_follow_up))
        self.edit_button = QPushButton(self.tr("Edit"))
        self.edit_button.setObjectName("editCustomerButton")
        self.edit_button.clicked.connect(lambda: self._when_ready(self.edit))
        self.share_button = QPushButton(self.tr("Share content"))
        self.share_button.setObjectName("shareContentFromProfileButton")
        self.share_button.clicked.connect(
            lambda: self._wanted and self.share_content_requested.emit(self._wanted)
        )

        phone_row = QHBoxLayout()
        phone_row.addWidget(self.phone)
        phone_row.addWidget(self.reveal_button)
        phone_row.addWidget(self.copy_button)
        phone_row.addStretch(1)
        actions = QHBoxLayout()
        actions.addWidget(self.follow_up_button)
        actions.addWidget(self.edit_button)
        actions.addWidget(self.share_button)
        actions.addStretch(1)

        self.body = QVBoxLayout()
        self.body.setSpacing(6)
        content = QWidget()
        content.setObjectName("profileContent")
        column = QVBoxLayout(content)
        column.setContentsMargins(16, 12, 16, 12)
        column.addWidget(self.name)
        column.addLayout(phone_row)
        column.addWidget(self.badges)
        column.addLayout(actions)
        column.addLayout(self.body)
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(content)

        self.stack = QStackedWidget()
        self.stack.addWidget(self.placeholder)
        self.stack.addWidget(scroll)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)
        session.hub.changed.connect(self._on_changes)

    @property
    def customer_id(self) -> str | None:
        """The customer asked for (the profile shown may still be loading)."""
        return self._wanted

    @property
    def ready(self) -> bool:
        """The shown profile is the customer asked for (the actions act on it)."""
        return self.profile is not None and self.profile.id == self._wanted

    def _when_ready(self, action: Callable[[], object]) -> None:
        """Run a button's action now, or — pressed while the customer asked for is still
        loading (Enter, Enter at the counter) — as soon as that profile has arrived."""
        if self.ready:
            action()
        elif self._wanted is not None:
            self._pending_action = action

    # -- showing -------------------------------------------------------------------------

    def show_customer(self, customer_id: str | None) -> None:
        if self._revealed and self._revealed[0] != customer_id:
            self._revealed = None
        if customer_id != self._wanted:
            self._pending_action = None  # it was meant for another customer
            self._brief_open = False
        self._wanted = customer_id
        self._seq += 1
        if customer_id is None:
            self.profile, self.open_tasks, self.handover = None, (), None
            self._render()
            return
        seq, today = self._seq, self.session.today()

        def job(conn):  # type: ignore[no-untyped-def]
            profile = customer_profile(conn, customer_id)
            tasks = customer_open_tasks(conn, customer_id, today=today) if profile else []
            handover = latest_handover(conn, customer_id) if profile else None
            return profile, tuple(tasks), handover

        def arrived(
            answer: tuple[CustomerProfile | None, tuple[OpenTask, ...], HandoverView | None],
        ) -> None:
            if seq != self._seq:
                return  # the guide moved on meanwhile
            self.profile, self.open_tasks, self.handover = answer
            self._render()
            self.loaded.emit(customer_id)
            action, self._pending_action = self._pending_action, None
            if action is not None and self.ready:
                action()

        self.session.read.run(job, success=arrived, owner=self)

    @Slot(object)
    def _on_changes(self, changes: Changes) -> None:
        if self._wanted and (
            changes.touches_customer(self._wanted)
            or changes.outbox
            or changes.touches("task", "task_target")
        ):
            self.show_customer(self._wanted)

    def _render(self) -> None:
        profile = self.profile
        if profile is None:
            self.stack.setCurrentIndex(0)
            return
        self.stack.setCurrentIndex(1)
        self.name.setText(profile.name)
        revealed = self._revealed[1] if self._revealed else None
        self.phone.setText(revealed or mask_phone(profile.phone))
        self.reveal_button.setVisible(revealed is None and bool(profile.phone))
        self.copy_button.setVisible(bool(profile.phone))
        points = self.tr("{points} points").format(points=f"{profile.points:,}")
        self.badges.setText(
            "  ·  ".join((tier_label(profile.tier), stage_label(profile.stage), points))
        )
        while self.body.count():
            item = self.body.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        for widget in self._sections(profile):
            self.body.addWidget(widget)

    def _sections(self, p: CustomerProfile) -> list[QWidget]:
        # Everything here but the section titles came from data (HQ, other terminals):
        # plain labels only, so a note holding markup reads as the characters typed.
        widgets: list[QWidget] = []

        def section(title: str, name: str | None = None) -> None:
            heading = plain_label(title, "sectionTitle", wrap=False, selectable=False)
            if name:
                heading.setProperty("section", name)
            widgets.append(heading)

        if self.handover is not None and self.handover.customer_id == p.id:
            widgets.append(self._handover_box(self.handover))
        due = followup_due(
            p.next_followup_on,
            self.session.today(),
            last_contact_at=p.last_contact_at,
            timezone=self.session.timezone,
        )
        if due is not None:
            # Said in words with a mark, not by colour alone.
            overdue = plain_label(
                "⚠ " + due_text(due.days_overdue), "profileFollowUpDue", selectable=False
            )
            overdue.setProperty("overdue", due.days_overdue > 0)
            widgets.append(overdue)
        if p.pending_changes:
            pending = plain_label(
                self.tr("Changes for this customer waiting to sync: {n}").format(
                    n=p.pending_changes
                ),
                "profilePending",
            )
            widgets.append(pending)
        if p.conflicts:
            section(self.tr("Edits that were not kept"))
            box = QWidget()
            box.setObjectName("profileConflicts")
            rows = QVBoxLayout(box)
            rows.setContentsMargins(0, 0, 0, 0)
            for c in p.conflicts:
                if c.field not in FIELDS and c.detail:
                    # Not a field edit (a task completion HQ kept aside): HQ's own words.
                    rows.addWidget(
                        plain_label(f"{c.detail} ({fmt.day_time(c.created_at)})", "conflictEntry")
                    )
                    continue
                rows.addWidget(
                    plain_label(
                        self.tr("{field}: kept “{kept}”, lost “{lost}” ({who}, {when})").format(
                            field=label(FIELDS, c.field),
                            kept=c.kept_value or "",
                            lost=c.lost_value or "",
                            who=c.lost_by or "",
                            when=fmt.day_time(c.created_at),
                        ),
                        "conflictEntry",
                    )
                )
            widgets.append(box)

        section(self.tr("About"))
        facts = [
            ("guide", self.tr("Guide"), p.guide_name),
            ("birthday", self.tr("Birthday"), fmt.day(p.birthday)),
            ("tags", self.tr("Tags"), "、".join(p.tags)),
            (
                "sizes",
                self.tr("Sizes"),
                "  ".join(f"{label(SIZES, k)} {v}" for k, v in p.sizes.items()),
            ),
            ("preferences", self.tr("Preferences"), p.preferences),
            ("note", self.tr("Note"), p.note),
            (
                "marketing",
                self.tr("Marketing"),
                self.tr("Opted out: {reason}").format(reason=p.opt_out_reason or "—")
                if p.marketing_opt_out
                else self.tr("Accepts marketing"),
            ),
            ("spent", self.tr("Spent in 12 months"), fmt.money(p.spent_365_cents)),
            ("joined", self.tr("Member since"), fmt.day(p.joined_at)),
        ]
        about = QWidget()
        about.setObjectName("profileAbout")
        grid = QGridLayout(about)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(12)
        grid.setColumnStretch(1, 1)
        for row, (key, title, value) in enumerate(facts):
            name = plain_label(title, "aboutName", wrap=False, selectable=False)
            grid.addWidget(name, row, 0, Qt.AlignmentFlag.AlignTop)
            shown = plain_label(value or "—", "aboutValue")
            shown.setProperty("field", key)
            grid.addWidget(shown, row, 1)
        widgets.append(about)

        if self.open_tasks:
            section(self.tr("Open tasks"))
            box = QWidget()
            box.setObjectName("profileOpenTasks")
            rows = QVBoxLayout(box)
            rows.setContentsMargins(0, 0, 0, 0)
            for t in self.open_tasks:
                due = self.tr("due {day}").format(day=t.due_on) if t.due_on else ""
                redo = self.tr("returned by the manager") if t.status == "rejected" else ""
                text = "  ·  ".join(x for x in (t.title, due, redo) if x)
                rows.addWidget(plain_label(text, "openTaskEntry"))
            widgets.append(box)

        def entry_list(title: str, name: str, empty: str, count: int) -> QVBoxLayout:
            """A titled list of entries (``name`` is its objectName), or ``empty``."""
            section(title)
            holder = QWidget()
            holder.setObjectName(name)
            rows = QVBoxLayout(holder)
            rows.setContentsMargins(0, 0, 0, 0)
            if not count:
                rows.addWidget(plain_label(empty, "quiet"))
            widgets.append(holder)
            return rows

        rows = entry_list(
            self.tr("Follow-ups"),
            "followUpTimeline",
            self.tr("No follow-ups yet."),
            len(p.followups),
        )
        for f in p.followups:
            counter = f.channel == Channel.COUNTER
            how = self.tr("Served at the counter") if counter else channel_label(f.channel)
            head = " · ".join(x for x in (fmt.day_time(f.created_at), how, f.guide_name) if x)
            lines = [_bold(plain_label(head, "followUpHead"))]
            if counter and f.guide_id != p.guide_id:
                lines.append(
                    plain_label(
                        self.tr("A colleague's note: {name} served this customer").format(
                            name=f.guide_name
                        ),
                        "followUpColleague",
                    )
                )
            if not f.synced:
                lines.append(plain_label(self.tr("waiting to sync"), "followUpWaiting"))
            lines.append(plain_label(f.note, "followUpNote"))
            if f.next_followup_on:
                lines.append(
                    plain_label(
                        self.tr("Next follow-up: {day}").format(day=f.next_followup_on),
                        "followUpNext",
                    )
                )
            entry = _entry("followUpEntry", lines)
            entry.setProperty("synced", f.synced)
            rows.addWidget(entry)

        rows = entry_list(
            self.tr("Shared content"),
            "shareTimeline",
            self.tr("No content shared yet."),
            len(p.shares),
        )
        for share in p.shares:
            head = " · ".join(
                x
                for x in (
                    fmt.day_time(share.shared_at),
                    category_631_label(share.category_631),
                    share.guide_name,
                )
                if x
            )
            lines = [_bold(plain_label(head, "shareHead"))]
            lines.append(plain_label(share.title or self.tr("Own composition"), "shareTitle"))
            if share.override_reason:
                lines.append(
                    plain_label(
                        self.tr("Over the contact cap, sent because: {reason}").format(
                            reason=share.override_reason
                        ),
                        "shareOverride",
                    )
                )
            elif share.over_cap:
                lines.append(
                    plain_label(self.tr("HQ found it over the contact cap"), "shareOverCap")
                )
            if share.opted_out:
                lines.append(
                    plain_label(
                        self.tr("Sent after the customer had opted out of marketing"),
                        "shareOptedOut",
                    )
                )
            if not share.synced:
                lines.append(plain_label(self.tr("waiting to sync"), "shareWaiting"))
            rows.addWidget(_entry("shareEntry", lines))

        rows = entry_list(
            self.tr("Purchases"), "purchaseHistory", self.tr("No purchases yet."), len(p.purchases)
        )
        for purchase in p.purchases:
            head = f"{fmt.day(purchase.paid_at)}  {fmt.money(purchase.amount_cents)}"
            lines = [_bold(plain_label(head, "purchaseHead"))]
            for i in purchase.items:
                price = f"  {fmt.money(i.price_cents)}" if i.price_cents is not None else ""
                lines.append(plain_label(f"{i.name} ×{i.qty}{price}", "purchaseItem"))
            rows.addWidget(_entry("purchaseEntry", lines))
        return widgets

    def _handover_box(self, h: HandoverView) -> QWidget:
        """The line "inherited from 王芳 on 2026-12-02", a one-line summary of the brief, and the
        brief itself behind a toggle (short by default: the guide may have a customer in
        front of them)."""
        brief = h.brief
        box = QFrame()
        box.setObjectName("handoverBox")
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        title = self.tr("Inherited from {name} on {day}").format(
            name=h.from_guide_name or self.tr("HQ"), day=fmt.day(h.moved_at)
        )
        if h.reason == "departure":
            title += " " + self.tr("(the former guide has left)")
        head = QHBoxLayout()
        head.addWidget(_bold(plain_label(title, "profileInherited")), 1)
        toggle = QPushButton(self.tr("Handover brief"))
        toggle.setObjectName("handoverBriefToggle")
        toggle.setCheckable(True)
        toggle.setChecked(self._brief_open)
        head.addWidget(toggle)
        column.addLayout(head)
        column.addWidget(plain_label(self._brief_summary(brief), "handoverSummary"))

        details = QWidget()
        details.setObjectName("handoverBrief")
        lines = QVBoxLayout(details)
        lines.setContentsMargins(0, 0, 0, 0)
        lines.setSpacing(2)
        last = brief.get("last_contact") or None
        if last:
            lines.addWidget(
                plain_label(
                    self.tr("Last conversation: {day} · {channel}: “{text}”").format(
                        day=fmt.day(last.get("on")),
                        channel=channel_label(last.get("channel")),
                        text=last.get("text") or "",
                    ),
                    "briefLastContact",
                )
            )
        open_tasks = "; ".join(
            t.get("title", "") + (f" ({t['due_on']})" if t.get("due_on") else "")
            for t in brief.get("open_tasks") or ()
        )
        booked = "; ".join(
            f"{fmt.day_time(a.get('starts_at'))} {a.get('purpose') or ''}".strip()
            for a in brief.get("appointments") or ()
        )
        for name, text, value in (
            ("briefOpenTasks", self.tr("Open tasks: {value}"), open_tasks),
            ("briefAppointments", self.tr("Appointments: {value}"), booked),
            ("briefPreferences", self.tr("Preferences: {value}"), brief.get("preferences")),
            ("briefNote", self.tr("What the former guide noted: {value}"), brief.get("note")),
            ("briefLastPurchase", self.tr("Last purchase: {value}"), brief.get("last_purchase_on")),
        ):
            if value:
                lines.addWidget(plain_label(text.format(value=value), name))
        details.setVisible(self._brief_open)
        column.addWidget(details)

        def unfold(on: bool) -> None:
            self._brief_open = on
            details.setVisible(on)

        toggle.toggled.connect(unfold)
        return box

    def _brief_summary(self, brief: dict) -> str:
        days = brief.get("days_since_contact")
        last = brief.get("last_contact") or {}
        if days is None or not last:
            return self.tr("No contact recorded before the handover.")
        return self.tr("Last contact {n} days before the handover, by {channel}.").format(
            n=days, channel=channel_label(last.get("channel"))
        )

    # -- actions -------------------------------------------------------------------------

    @Slot()
    def reveal(self) -> None:
        if not self.ready or self.profile is None:
            return
        customer_id, guide_id, now = self.profile.id, self.guide.id, self.session.now_iso()

        def revealed(phone: str) -> None:
            self._revealed = (customer_id, phone)
            self.session.hub.publish(Changes(outbox=True))
            if self.profile is not None and self.profile.id == customer_id:
                self._render()

        self.session.write.run(
            lambda conn: reveal_phone(conn, customer_id=customer_id, guide_id=guide_id, now=now),
            success=revealed,
            owner=self,
        )

    @Slot()
    def copy_number(self) -> None:
        """The full number to the clipboard (the screen keeps it masked), audited like a
        reveal; the clipboard is cleared after a minute if it still holds it."""
        if not self.ready or self.profile is None:
            return
        customer_id, guide_id, now = self.profile.id, self.guide.id, self.session.now_iso()

        def copied(phone: str) -> None:
            clipboard = QGuiApplication.clipboard()
            clipboard.setText(phone)
            QTimer.singleShot(
                CLIPBOARD_CLEAR_MS,
                lambda: clipboard.text() == phone and clipboard.clear(),
            )
            self.session.hub.publish(Changes(outbox=True))

        self.session.write.run(
            lambda conn: copy_phone(conn, customer_id=customer_id, guide_id=guide_id, now=now),
            success=copied,
            owner=self,
        )

    @Slot()
    def log_follow_up(self) -> FollowUpDialog | None:
        if not self.ready or self.profile is None:
            return None
        customer_id, guide_id = self.profile.id, self.guide.id
        p = self.profile
        dialog = FollowUpDialog(
            DialogCustomer(p.id, p.name, p.phone),
            self.session.today(),
            self,
            drafts=DraftSlot(
                self.session, DraftKind.FOLLOWUP, guide_id=guide_id, customer_id=customer_id
            ),
        )

        def save(draft: FollowUpDraft) -> None:
            now = self.session.now_iso()
            self.session.change(
                lambda conn: log_followup(
                    conn,
                    customer_id=customer_id,
                    guide_id=guide_id,
                    channel=draft.channel,
                    note=draft.note,
                    now=now,
                    next_followup_on=draft.next_followup_on,
                ),
                success=lambda _changes: dialog.saved(),
                failure=lambda exc: self._failed(dialog, exc),
                owner=dialog,
            )

        dialog.submitted.connect(save)
        dialog.open()
        return dialog

    @Slot()
    def edit(self) -> EditCustomerDialog | None:
        if not self.ready or self.profile is None:
            return None
        customer_id, guide_id = self.profile.id, self.guide.id
        dialog = EditCustomerDialog(
            self.profile,
            self,
            drafts=DraftSlot(
                self.session, DraftKind.EDIT_CUSTOMER, guide_id=guide_id, customer_id=customer_id
            ),
        )

        def save(fields: dict) -> None:
            if not fields:
                dialog.saved()
                return
            now = self.session.now_iso()
            self.session.change(
                lambda conn: update_customer(
                    conn, customer_id=customer_id, guide_id=guide_id, fields=fields, now=now
                ),
                success=lambda _changes: dialog.saved(),
                failure=lambda exc: self._failed(dialog, exc),
                owner=dialog,
            )

        dialog.submitted.connect(save)
        dialog.open()
        return dialog

    def _failed(self, dialog: FollowUpDialog | EditCustomerDialog, exc: BaseException) -> None:
        dialog.set_busy(False)
        self.session.errors.report(exc)
