"""Deadlines of the two timed steps (accept, handle), near-due/overdue flags, near-due/overdue notices.

Allowed time comes from :class:`~tinhso.reports.models.DeadlineRule` rows (category-specific
first, then the general rule for the severity), else from :data:`DEFAULT_DEADLINES`, the
Vietnamese pattern (iHanoi Decision 1207/QĐ-UBND 2025 and similar provincial rules):

=========  ======================  ======================
severity   accept                  handle
=========  ======================  ======================
urgent     2 working hours         4 working hours
normal     8 working hours         5 working days
complex    8 working hours         15 working days
=========  ======================  ======================

Clocks: the accept clock starts when the report is received (IOC verification counts against
it, as in Hà Nội's rule) and restarts when the report is reassigned, returned or reopened; the
handle clock starts when the unit accepts and is paused while the unit waits for the citizen
(``info_requested``): the waiting working time is added to ``handle_due`` when handling resumes.

Working time uses :class:`tinhso.core.workcalendar.WorkCalendar` with the holiday library plus
the :class:`~tinhso.reports.models.CalendarException` table; working hours come from the
``WORKING_HOURS`` setting (default ``"07:30-11:30,13:30-17:00"``).

The rules and calendar are read once per process (:meth:`Policy.current`, a
:class:`~tinhso.core.process_cache.ProcessCache`), not per submission: loading them was two
queries plus building the calendar, about a sixth of a submission's CPU. Saving or deleting a
:class:`DeadlineRule` or :class:`CalendarException` in this process drops the cached copy; other
server processes notice within :data:`POLICY_TTL_SECONDS`. Trade-off: with several workers, a
deadline rule edited in the admin applies to new reports in other workers up to that long later
— acceptable for rules that change a few times a year.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from tinhso.core.errors import UserError
from tinhso.core.process_cache import ProcessCache
from tinhso.core.workcalendar import DEFAULT_PERIODS, WorkCalendar, parse_periods
from tinhso.reports.models import (
    CalendarException,
    DeadlineRule,
    Measure,
    Membership,
    Report,
    Role,
    Severity,
    State,
    Step,
)

DEFAULT_DEADLINES: dict[tuple[str, str], tuple[Decimal, str]] = {
    (Severity.URGENT, Step.ACCEPT): (Decimal(2), Measure.WORKING_HOURS),
    (Severity.URGENT, Step.HANDLE): (Decimal(4), Measure.WORKING_HOURS),
    (Severity.NORMAL, Step.ACCEPT): (Decimal(8), Measure.WORKING_HOURS),
    (Severity.NORMAL, Step.HANDLE): (Decimal(5), Measure.WORKING_DAYS),
    (Severity.COMPLEX, Step.ACCEPT): (Decimal(8), Measure.WORKING_HOURS),
    (Severity.COMPLEX, Step.HANDLE): (Decimal(15), Measure.WORKING_DAYS),
}
POLICY_TTL_SECONDS = 60.0  # other processes see an edited rule within this long
NEAR_DUE_FRACTION = 0.2  # the last 20 % of the allowed time
CHECK_EVERY_S = 300  # how often the background worker runs check_deadlines
AUTO_CLOSE_WORKING_DAYS = 5  # a resolved report nobody rated is closed after this long
# Near-due candidates: clocks ending within this long (20 % of 15 working days, Tết included, fits).
NEAR_DUE_HORIZON = dt.timedelta(days=14)

ACCEPT_STATES = frozenset({State.SUBMITTED, State.VERIFIED, State.ASSIGNED, State.RETURNED_TO_IOC,
                           State.REOPENED})
HANDLE_STATES = frozenset({State.IN_PROGRESS, State.INFO_REQUESTED})
# Actions after which a (new) unit or the IOC gets a fresh accept window.
RESTART_ACCEPT = frozenset({"reassign", "return_to_ioc", "reopen", "request_reopen"})


def build_calendar() -> WorkCalendar:
    periods = getattr(settings, "WORKING_HOURS", None)
    extra_off, extra_on = set(), set()
    for day, kind in CalendarException.objects.values_list("date", "kind"):
        (extra_off if kind == CalendarException.Kind.HOLIDAY else extra_on).add(day)
    return WorkCalendar(periods=parse_periods(periods) if periods else DEFAULT_PERIODS,
                        extra_holidays=frozenset(extra_off), extra_working_days=frozenset(extra_on))


@dataclass
class Policy:
    """Deadline rules and calendar loaded once; pass it around when computing many deadlines."""

    calendar: WorkCalendar
    rules: dict[tuple[int | None, str, str], tuple[Decimal, str]]

    @classmethod
    def load(cls) -> Policy:
        rules = {(r.category_id, r.severity, r.step): (r.amount, r.measure)
                 for r in DeadlineRule.objects.filter(active=True)}
        return cls(calendar=build_calendar(), rules=rules)

    @classmethod
    def current(cls) -> Policy:
        """The process-wide copy, reloaded after a local edit or :data:`POLICY_TTL_SECONDS`
        (fresh inside a transaction; see :mod:`tinhso.core.process_cache`)."""
        return _policy_cache.get()

    def allowance(self, category_id: int | None, severity: str, step: str) -> tuple[Decimal, str]:
        for key in ((category_id, severity, step), (None, severity, step)):
            if key in self.rules:
                return self.rules[key]
        return DEFAULT_DEADLINES[(Severity(severity), Step(step))]

    def add(self, start: dt.datetime, amount: Decimal, measure: str) -> dt.datetime:
        if measure == Measure.CALENDAR_HOURS:
            return start + dt.timedelta(hours=float(amount))
        if measure == Measure.WORKING_DAYS:
            return self.calendar.add_working_time(start, days=float(amount))
        return self.calendar.add_working_time(start, hours=float(amount))

    def due(self, category_id: int | None, severity: str, step: str, start: dt.datetime) -> dt.datetime:
        amount, measure = self.allowance(category_id, severity, step)
        return self.add(start, amount, measure)

    def elapsed(self, start: dt.datetime, end: dt.datetime, measure: str) -> dt.timedelta:
        if measure == Measure.CALENDAR_HOURS:
            return end - start
        return self.calendar.working_time_between(start, end)


_policy_cache: ProcessCache[Policy] = ProcessCache("sla-policy", Policy.load, ttl=POLICY_TTL_SECONDS,
                                                   models=(DeadlineRule, CalendarException))
forget_policy = _policy_cache.forget


# ---------------------------------------------------------------------------------------------
# Keeping the due times of a report


def start_accept_clock(report: Report, start: dt.datetime, policy: Policy | None = None) -> None:
    policy = policy or Policy.current()
    report.accept_started_at = start
    report.accept_due = policy.due(report.category_id, report.severity, Step.ACCEPT, start)
    report.accepted_at = None
    report.handle_due = None
    report.paused_at = None
    refresh_expected(report, policy)


def refresh_expected(report: Report, policy: Policy | None = None) -> None:
    """Store :func:`expected_datetime` in ``report.expected_at`` (in memory; the caller saves).

    Called wherever a deadline, the state, the category or the severity changes (the clock
    functions here, :func:`on_transition` for every transition, :func:`recompute_after_correction`),
    so lists read it instead of doing working-time arithmetic per row. Like ``accept_due``, it is
    fixed with the rules in force when it was set: a later edit of a deadline rule does not move it.
    """
    if report.handle_due or report.state in (State.REJECTED, State.MERGED) or not report.accept_due:
        report.expected_at = expected_datetime(report)  # no arithmetic on these paths
    else:
        report.expected_at = expected_datetime(report, policy or Policy.current())


def on_transition(report: Report, action: str, from_state: str, now: dt.datetime,
                  policy: Policy | None = None) -> None:
    """Update the due times for a transition (called by :func:`tinhso.reports.workflow.apply`)."""
    if action in RESTART_ACCEPT or (action == "forward" and from_state == State.RETURNED_TO_IOC):
        start_accept_clock(report, now, policy)  # stores expected_at too
        return
    if action == "accept":
        policy = policy or Policy.load()
        report.accepted_at = now
        report.handle_due = policy.due(report.category_id, report.severity, Step.HANDLE, now)
    elif action == "request_info":
        report.paused_at = now
    elif action in ("provide_info", "resume") and report.paused_at and report.handle_due:
        policy = policy or Policy.load()
        _, measure = policy.allowance(report.category_id, report.severity, Step.HANDLE)
        waited = policy.elapsed(report.paused_at, now, measure)
        report.handle_due = (report.handle_due + waited if measure == Measure.CALENDAR_HOURS
                             else policy.calendar.add_working_time(report.handle_due,
                                                                   hours=waited.total_seconds() / 3600))
        report.paused_at = None
    refresh_expected(report, policy)


def recompute_after_correction(report: Report, policy: Policy | None = None) -> None:
    """Category or severity changed before acceptance: the accept deadline follows the new rule."""
    if report.accept_started_at and report.accepted_at is None:
        policy = policy or Policy.load()
        report.accept_due = policy.due(report.category_id, report.severity, Step.ACCEPT,
                                       report.accept_started_at)
    refresh_expected(report, policy)


# ---------------------------------------------------------------------------------------------
# Reading deadlines


def current_step(report: Report) -> str | None:
    if report.state in ACCEPT_STATES:
        return Step.ACCEPT
    if report.state in HANDLE_STATES:
        return Step.HANDLE
    return None


def expected_datetime(report: Report, policy: Policy | None = None) -> dt.datetime | None:
    """When the report is expected to be handled (Open311 ``expected_datetime``), computed.

    Once accepted, the handle deadline; before that, the accept deadline plus the handle
    allowance (the latest date the rules allow). Readers use the stored ``report.expected_at``
    (kept by :func:`refresh_expected`); this is the rule that fills it.
    """
    if report.handle_due:
        return report.handle_due
    if report.state in (State.REJECTED, State.MERGED):
        return None
    if report.accept_due:
        policy = policy or Policy.load()
        return policy.due(report.category_id, report.severity, Step.HANDLE, report.accept_due)
    return None


@dataclass(frozen=True)
class DeadlineStatus:
    step: str | None
    due: dt.datetime | None
    near_due: bool
    overdue: bool
    paused: bool

    def as_dict(self) -> dict:
        return {"step": self.step, "due": self.due, "near_due": self.near_due, "overdue": self.overdue,
                "paused": self.paused}


def deadline_status(report: Report, now: dt.datetime | None = None,
                    policy: Policy | None = None) -> DeadlineStatus:
    """Which step's clock runs, its due time, and whether it is near due or overdue."""
    now = now or timezone.now()
    step = current_step(report)
    if step is None:
        return DeadlineStatus(None, None, False, False, False)
    due = report.accept_due if step == Step.ACCEPT else report.handle_due
    start = report.accept_started_at if step == Step.ACCEPT else report.accepted_at
    paused = report.paused_at is not None
    if due is None or start is None:
        return DeadlineStatus(step, due, False, False, paused)
    at = report.paused_at if paused else now
    overdue = at > due
    near = False
    if not overdue:
        policy = policy or Policy.load()
        _, measure = policy.allowance(report.category_id, report.severity, step)
        allowed = policy.elapsed(start, due, measure).total_seconds()
        remaining = policy.elapsed(at, due, measure).total_seconds()
        near = allowed > 0 and remaining <= NEAR_DUE_FRACTION * allowed
    return DeadlineStatus(step, due, near, overdue, paused)


def overdue_q(now: dt.datetime) -> Q:
    """Database filter for reports whose running clock is past due (paused clocks excluded)."""
    return (Q(state__in=ACCEPT_STATES, accept_due__lt=now)
            | Q(state__in=HANDLE_STATES, paused_at__isnull=True, handle_due__lt=now))


# Resolved, as every count of resolved reports counts it (the IOC wall's aggregates, the lists its tiles
# open): resolved or closed after it, with the time it was resolved; on time when that is no later than
# the handling deadline.
RESOLVED_STATES = frozenset({State.RESOLVED.value, State.CLOSED.value})


def resolved_on_time(state: str, resolved_at, handle_due) -> bool | None:
    """Whether a resolved report was resolved by its handling deadline; ``None`` if it is not resolved."""
    if state not in RESOLVED_STATES or resolved_at is None:
        return None
    return handle_due is not None and resolved_at <= handle_due


def resolved_q() -> Q:
    """Database filter of :func:`resolved_on_time`'s resolved reports."""
    return Q(state__in=sorted(RESOLVED_STATES), resolved_at__isnull=False)


def on_time_q() -> Q:
    """Database filter of the reports :func:`resolved_on_time` finds on time."""
    return resolved_q() & Q(resolved_at__lte=F("handle_due"))


# ---------------------------------------------------------------------------------------------
# Periodic check


def supervisors_for(report: Report) -> list:
    """Supervisors of the report's unit, else the province-wide supervisors (members who still hold
    the supervisor's permission: a membership left behind after the role was taken away is ignored)."""
    members = Membership.objects.filter(role=Role.SUPERVISOR, active=True, user__is_active=True)

    def holding(qs) -> list:
        return [m.user for m in qs.select_related("user") if m.user.has_perm("reports.supervise_report")]

    users = holding(members.filter(unit_id=report.handling_unit_id)) if report.handling_unit_id else []
    return users or holding(members.filter(unit__isnull=True))


def near_due_candidates(now: dt.datetime):
    """Reports whose running clock ends within the next :data:`NEAR_DUE_HORIZON` (then checked exactly)."""
    soon = now + NEAR_DUE_HORIZON
    return Report.objects.filter(
        Q(state__in=ACCEPT_STATES, accept_due__gte=now, accept_due__lt=soon)
        | Q(state__in=HANDLE_STATES, paused_at__isnull=True, handle_due__gte=now, handle_due__lt=soon))


def check_deadlines(now: dt.datetime | None = None, *, policy: Policy | None = None) -> dict[str, int]:
    """Tell supervisors about near-due and overdue reports (once per report, step and clock, through
    :mod:`tinhso.reports.notices` into the notification outbox); close stale resolved reports.

    Idempotent: running it again tells nobody twice about the same step (each notice has a unique
    dedupe key), and a report another process closed meanwhile is skipped, so several server
    processes may run it at once. The background worker runs it every :data:`CHECK_EVERY_S`
    seconds (registered in ``apps.py`` with :mod:`tinhso.notify.periodic`); ``tinhso reports
    check-deadlines`` runs it once. Delivery is the notification worker's job.
    """
    from tinhso.reports import notices, workflow
    from tinhso.reports.permissions import system

    now = now or timezone.now()
    policy = policy or Policy.load()
    overdue_told = near_told = 0
    overdue = Report.objects.filter(overdue_q(now)).select_related("handling_unit", "category", "commune")
    for report in overdue.iterator(chunk_size=500):
        overdue_told += notices.deadline_notice(report, current_step(report), supervisors_for(report), now,
                                                overdue=True)
    near = near_due_candidates(now).select_related("handling_unit", "category", "commune")
    for report in near.iterator(chunk_size=500):
        status = deadline_status(report, now, policy)
        if status.near_due:
            near_told += notices.deadline_notice(report, status.step, supervisors_for(report), now, overdue=False)
    closed = 0
    for report in Report.objects.filter(state=State.RESOLVED, resolved_at__isnull=False,
                                        resolved_at__lt=now - dt.timedelta(days=1)).iterator():
        if policy.calendar.add_working_time(report.resolved_at, days=AUTO_CLOSE_WORKING_DAYS) <= now:
            # An unhappy rating (1–2) without a reason leaves it resolved; it closes here too, and
            # the submitter may still ask to reopen it (feedback.request_reopen).
            note = ("Tự động đóng: người dân không đánh giá trong thời hạn. / "
                    "Closed automatically: no rating within the period.") if report.rating is None else (
                    "Tự động đóng sau thời hạn đánh giá; người dân vẫn có thể đề nghị xử lý lại. / "
                    "Closed automatically after the rating period; the citizen may still ask to reopen.")
            try:
                workflow.transition(report, "close", system(), now=now, note=note)
            except UserError:  # closed (or reopened) meanwhile, e.g. by another server process's check
                continue
            closed += 1
    return {"overdue_notifications": overdue_told, "near_due_notifications": near_told, "auto_closed": closed}
