"""The report state machine: one table of allowed transitions, the single source of truth.

States (``models.State``) and what they mean::

    submitted        received, waiting for IOC verification
    verified         checked by the IOC, not yet sent to a unit
    assigned         sent to a handling unit, waiting for it to accept   (accept deadline runs)
    in_progress      accepted by the unit                                 (handle deadline runs)
    info_requested   the unit asked the citizen for more information     (handle clock paused)
    resolved         the unit stated a result with at least one photo
    closed           finished (citizen satisfied, or no rating within the closing period)
    rejected         refused by the IOC with a reason (spam, out of scope …)
    returned_to_ioc  the unit says it is not competent, with a reason
    reopened         the citizen (rating ≤ 2 with a reason) or the IOC reopened it
    merged           duplicate of another report; follows its parent

Allowed transitions (``action: from → to  [roles]  note?``)::

    verify          submitted                                   → verified        [operator]
    auto_assign     submitted                                   → assigned        [system]
    forward         verified, returned_to_ioc, reopened         → assigned        [operator, system]
    reassign        assigned, in_progress, info_requested       → assigned        [operator]             note
    reject          submitted, verified, returned_to_ioc, reopened → rejected     [operator]             note
    merge           submitted, verified, returned_to_ioc, reopened, assigned → merged [operator]
    join            submitted, assigned                         → merged          [citizen]   (its sender: "same
                    problem as" a nearby open report, right after submitting; :mod:`tinhso.reports.support`)
    correct         submitted, verified, returned_to_ioc, reopened → (unchanged)  [operator]
    accept          assigned                                    → in_progress     [handler, supervisor]
    request_info    in_progress                                 → info_requested  [handler, supervisor]  note
    provide_info    info_requested                              → in_progress     [citizen]              note
    resume          info_requested                              → in_progress     [handler, supervisor]  note
    respond         in_progress                                 → (unchanged)     [handler, supervisor]  note
    return_to_ioc   assigned, in_progress                       → returned_to_ioc [handler, supervisor]  note
    resolve         in_progress                                 → resolved        [handler, supervisor]  note
    assign_officer  assigned, in_progress, info_requested       → (unchanged)     [operator, handler, supervisor]
    close           resolved                                    → closed          [citizen, operator, system]
    rate            resolved, closed                            → (unchanged)     [citizen]
    request_reopen  resolved, closed                            → reopened        [citizen]              note
    reopen          resolved, closed, rejected                  → reopened        [operator]             note

Handlers and supervisors act only on reports assigned to their unit (others: 404, see
:mod:`tinhso.reports.permissions`). A user's roles here come from their permissions (the groups of
:mod:`tinhso.core.roles`), not from the staff flag; a leader holds none of these roles and may take
no action. Citizen actions need an actor that proved the report's
secret (:func:`tinhso.reports.citizen_secret.holder`); anyone else gets 403. Every transition saves the report and appends one
:class:`~tinhso.reports.models.ReportEvent` in the same database transaction; an action not in
the table for the current state is refused with a 409 :class:`UserError`. After each persisted
transition the hooks in :data:`AFTER_TRANSITION` run in the same transaction (notifications:
:mod:`tinhso.reports.notices`).

Open311 status: ``resolved``, ``closed``, ``rejected`` and ``merged`` are ``closed``; every other
state is ``open`` (:func:`open311_status`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from tinhso.core.errors import UserError
from tinhso.core.i18n import in_language
from tinhso.core.text import nfc
from tinhso.reports import sla
from tinhso.reports.models import OPEN_STATES, Report, ReportEvent, State
from tinhso.reports.permissions import CITIZEN, HANDLER, OPERATOR, SUPERVISOR, SYSTEM, Actor, not_found

S = State
UNIT_STAFF = frozenset({HANDLER, SUPERVISOR})
TRIAGE_STATES = frozenset({S.SUBMITTED, S.VERIFIED, S.RETURNED_TO_IOC, S.REOPENED})


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str | None  # None: the state does not change (a recorded action such as a response)
    roles: frozenset[str]
    note_required: bool = False
    public: bool = False  # whether the note is shown to the citizen and the public
    label_vi: str = ""
    label_en: str = ""


def _t(action, sources, target, roles, *, note=False, public=False, vi="", en="") -> Transition:
    return Transition(action, frozenset(sources), target, frozenset(roles), note, public, vi, en)


TRANSITIONS: tuple[Transition, ...] = (
    _t("verify", {S.SUBMITTED}, S.VERIFIED, {OPERATOR}, vi="Xác minh", en="Verify"),
    _t("auto_assign", {S.SUBMITTED}, S.ASSIGNED, {SYSTEM}, public=True,
       vi="Tự động chuyển xử lý", en="Forward automatically"),
    _t("forward", {S.VERIFIED, S.RETURNED_TO_IOC, S.REOPENED}, S.ASSIGNED, {OPERATOR, SYSTEM}, public=True,
       vi="Chuyển xử lý", en="Forward"),
    _t("reassign", {S.ASSIGNED, S.IN_PROGRESS, S.INFO_REQUESTED}, S.ASSIGNED, {OPERATOR}, note=True,
       vi="Chuyển đơn vị khác", en="Reassign"),
    _t("reject", TRIAGE_STATES, S.REJECTED, {OPERATOR}, note=True, public=True, vi="Từ chối", en="Reject"),
    _t("merge", TRIAGE_STATES | {S.ASSIGNED}, S.MERGED, {OPERATOR}, public=True, vi="Gộp", en="Merge"),
    _t("join", {S.SUBMITTED, S.ASSIGNED}, S.MERGED, {CITIZEN}, public=True,
       vi="Người gửi gộp vào phản ánh có sẵn", en="Join an existing report"),
    _t("correct", TRIAGE_STATES, None, {OPERATOR}, vi="Sửa thông tin", en="Correct"),
    _t("accept", {S.ASSIGNED}, S.IN_PROGRESS, UNIT_STAFF, public=True, vi="Tiếp nhận", en="Accept"),
    _t("request_info", {S.IN_PROGRESS}, S.INFO_REQUESTED, UNIT_STAFF, note=True, public=True,
       vi="Yêu cầu bổ sung thông tin", en="Request information"),
    _t("provide_info", {S.INFO_REQUESTED}, S.IN_PROGRESS, {CITIZEN}, note=True, public=True,
       vi="Bổ sung thông tin", en="Provide information"),
    _t("resume", {S.INFO_REQUESTED}, S.IN_PROGRESS, UNIT_STAFF, note=True,
       vi="Tiếp tục xử lý", en="Resume"),
    _t("respond", {S.IN_PROGRESS}, None, UNIT_STAFF, note=True, public=True, vi="Trả lời", en="Respond"),
    _t("return_to_ioc", {S.ASSIGNED, S.IN_PROGRESS}, S.RETURNED_TO_IOC, UNIT_STAFF, note=True,
       vi="Trả lại IOC", en="Return to the IOC"),
    _t("resolve", {S.IN_PROGRESS}, S.RESOLVED, UNIT_STAFF, note=True, public=True,
       vi="Hoàn thành xử lý", en="Resolve"),
    _t("assign_officer", {S.ASSIGNED, S.IN_PROGRESS, S.INFO_REQUESTED}, None, {OPERATOR} | UNIT_STAFF,
       vi="Giao cán bộ xử lý", en="Assign to an officer"),
    _t("close", {S.RESOLVED}, S.CLOSED, {CITIZEN, OPERATOR, SYSTEM}, public=True, vi="Đóng", en="Close"),
    _t("rate", {S.RESOLVED, S.CLOSED}, None, {CITIZEN}, public=True, vi="Đánh giá", en="Rate"),
    _t("request_reopen", {S.RESOLVED, S.CLOSED}, S.REOPENED, {CITIZEN}, note=True, public=True,
       vi="Đề nghị mở lại", en="Request reopening"),
    _t("reopen", {S.RESOLVED, S.CLOSED, S.REJECTED}, S.REOPENED, {OPERATOR}, note=True, public=True,
       vi="Mở lại", en="Reopen"),
)
BY_ACTION: dict[str, Transition] = {t.action: t for t in TRANSITIONS}

# Timestamp set on the report when it enters a state (the first time, or again after reopening).
ENTRY_TIMESTAMPS = {S.VERIFIED: "verified_at", S.ASSIGNED: "assigned_at", S.RESOLVED: "resolved_at",
                    S.CLOSED: "closed_at"}


# Called as ``hook(report, event)`` after each persisted transition, inside its transaction (a
# rolled-back transition runs nothing that lasts). :mod:`tinhso.reports.notices` registers here.
AFTER_TRANSITION: list[Callable[[Report, ReportEvent], None]] = []


def open311_status(state: str) -> str:
    return "open" if state in OPEN_STATES else "closed"


def allowed_actions(report: Report, actor: Actor) -> list[str]:
    """Actions the actor may take on the report now (for buttons in the UI)."""
    return [t.action for t in TRANSITIONS if report.state in t.sources and _role_ok(t, report, actor)]


def _role_ok(t: Transition, report: Report, actor: Actor) -> bool:
    matching = t.roles & actor.roles
    if not matching:
        return False
    if matching == {CITIZEN}:
        # The tracking code is public: only the submitter, proved by the report's secret, acts as citizen.
        return bool(actor.holds_report) and actor.holds_report == report.code
    if matching <= UNIT_STAFF and not actor.province_wide:
        return report.handling_unit_id in actor.unit_ids
    return True


def check(report: Report, action: str, actor: Actor, note: str = "") -> Transition:
    """Raise the right :class:`UserError` unless ``actor`` may take ``action`` on ``report`` now."""
    t = check_rights(report, action, actor)
    if report.state not in t.sources:
        raise UserError(
            "illegal_transition",
            f"Không thể “{t.label_vi}” khi phản ánh đang ở trạng thái “{in_language(State(report.state).label, 'vi')}”.",
            f"Cannot {t.label_en.lower()} a report in state {report.state}.",
            status=409, details={"state": report.state, "allowed_from": sorted(t.sources)},
        )
    if t.note_required and not note:
        raise UserError("note_required", f"Cần ghi lý do / nội dung cho thao tác “{t.label_vi}”.",
                        f"A note (reason or text) is required to {t.label_en.lower()}.", field="note")
    return t


def check_rights(report: Report, action: str, actor: Actor) -> Transition:
    """Whether ``actor`` may ever take ``action`` on ``report`` (404 / 403), whatever its state."""
    t = BY_ACTION.get(action)
    if t is None:
        raise UserError("unknown_action", f"Thao tác không hợp lệ: {action}.", f"Unknown action: {action}.",
                        field="action")
    if actor.is_staff_actor and not actor.can_see(report) and not (actor.roles & {CITIZEN, SYSTEM}):
        raise not_found(report.code)
    if not _role_ok(t, report, actor):
        if t.roles & actor.roles == {CITIZEN}:
            raise UserError("citizen_secret_required",
                            f"Chỉ người gửi phản ánh {report.code} (có mã bí mật) mới được “{t.label_vi}”.",
                            f"Only the sender of report {report.code} (holding its secret code) may "
                            f"{t.label_en.lower()} it.", field="citizen_token", status=403)
        raise UserError("action_forbidden", f"Bạn không có quyền thực hiện thao tác “{t.label_vi}”.",
                        f"You may not {t.label_en.lower()} this report.", status=403)
    return t


def apply(report: Report, action: str, actor: Actor, *, note: str = "", public: bool | None = None,
          data: dict | None = None, now: dt.datetime | None = None,
          policy: sla.Policy | None = None, checked: Transition | None = None) -> ReportEvent:
    """Check and apply a transition **in memory**; return the (unsaved) event.

    :func:`transition` persists it; the synthetic-data generator bulk-creates many at once.
    Field changes that belong to an action (unit, texts, rating) are set by the caller on
    ``report`` before calling; deadlines are updated here through :mod:`tinhso.reports.sla`.
    """
    note = nfc(note or "")
    t = checked or check(report, action, actor, note)
    now = now or timezone.now()
    from_state = report.state
    target = t.target or from_state
    if t.target is not None:
        report.state = target
        report.is_open = target in OPEN_STATES
        stamp = ENTRY_TIMESTAMPS.get(target)
        if stamp:
            setattr(report, stamp, now)
    if action in ("forward", "reassign", "auto_assign") or target in TRIAGE_STATES:
        report.assigned_officer = None  # a named officer belongs to the unit the report leaves
    if action in ("request_reopen", "reopen"):
        report.reopen_count += 1
        report.resolved_at = report.closed_at = None
        # The rating judged the result being reopened: it stays in this event's data, and the
        # next result can be rated afresh (statistics count only the current one).
        if report.rating is not None:
            data = {"rating": report.rating, **(data or {})}
        report.rating, report.rating_comment, report.rated_at = None, "", None
    is_public = t.public if public is None else public
    if is_public and note:
        report.status_note = note
    sla.on_transition(report, action, from_state, now, policy=policy)
    report.updated_at = now
    return ReportEvent(report=report, at=now, actor=actor.user, actor_label=actor.label[:120],
                       actor_role=_acting_role(t, actor), action=action, from_state=from_state,
                       to_state=target, note=note, public=is_public, data=data or {})


def _acting_role(t: Transition, actor: Actor) -> str:
    for role in (OPERATOR, SUPERVISOR, HANDLER, CITIZEN, SYSTEM):
        if role in t.roles and role in actor.roles:
            return role
    return ""


def transition(report: Report, action: str, actor: Actor, *, note: str = "", public: bool | None = None,
               data: dict | None = None, now: dt.datetime | None = None,
               changes: dict | None = None) -> ReportEvent:
    """Apply ``action`` and persist the report and its new event in one transaction.

    ``changes`` are report fields set together with the transition (e.g. ``handling_unit``).
    The report row is re-read under a lock first, so two operators acting at once cannot both
    move it from the same state.
    """
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
        # Rights are checked on the report as it is, before the changes (e.g. a unit returning a
        # report clears its own handling_unit).
        t = check(locked, action, actor, nfc(note or ""))
        for name, value in (changes or {}).items():
            setattr(locked, name, value)
        event = apply(locked, action, actor, note=note, public=public, data=data, now=now, checked=t)
        locked.save()
        event.report = locked
        event.save()
        for hook in AFTER_TRANSITION:
            hook(locked, event)
    # Hand the caller the fresh state without making them re-query.
    report.__dict__.update({k: v for k, v in locked.__dict__.items() if not k.startswith("_")})
    report._state.fields_cache = dict(locked._state.fields_cache)
    return event
